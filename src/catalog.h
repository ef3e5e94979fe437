/*
 * catalog.h -- the replica state kept in schema sch_chameleon.
 *
 * catalog.c owns every read and write of the sch_chameleon tables
 * (t_sources, t_replica_batch, t_replica_tables, t_foreign_keys), through
 * SPI with parameters, in the caller's transaction.
 */
#ifndef CHAMELEON_CATALOG_H
#define CHAMELEON_CATALOG_H

#include "nodes/pg_list.h"

/* One row of sch_chameleon.t_sources. */
typedef struct ChameleonSourceRow
{
	int			source_id;
	char	   *source_name;
	char	   *pg_schema;
	char	   *state;
} ChameleonSourceRow;

/* The row of source_name, or NULL when it has none. */
extern ChameleonSourceRow *chameleon_catalog_get_source(const char *source_name);

/* Add a source; returns its source_id. */
extern int	chameleon_catalog_add_source(const char *source_name, const char *pg_schema,
										 const char *config_path, int64 server_id,
										 const char *state);

/* Remove a source and (ON DELETE CASCADE) all its state. */
extern void chameleon_catalog_delete_source(int source_id);

extern void chameleon_catalog_set_source_state(int source_id, const char *state,
											   const char *last_error);

/* Insert or replace the applied position of a source (t_replica_batch). */
extern void chameleon_catalog_set_position(int source_id, const char *binlog_file,
										   int64 binlog_position, const char *gtid);

/* One t_replica_tables row. */
extern void chameleon_catalog_add_table(int source_id, const char *mysql_table,
										const char *pg_schema, const char *pg_table,
										const char *state, int64 copied_rows,
										const char *snapshot_file,
										int64 snapshot_position);

/* One t_foreign_keys row: a MySQL foreign key, created at detach. */
extern void chameleon_catalog_add_foreign_key(int source_id, const char *mysql_table,
											  const char *constraint_name,
											  List *columns,
											  const char *referenced_schema,
											  const char *referenced_table,
											  List *referenced_columns,
											  const char *on_update,
											  const char *on_delete,
											  const char *create_sql);

/*
 * The PostgreSQL table of a replicated MySQL table (t_replica_tables);
 * false when the replica does not have it.
 */
extern bool chameleon_catalog_get_table(int source_id, const char *mysql_table,
										char **pg_schema, char **pg_table);

/* Forget the stored foreign keys of one table (before storing them again). */
extern void chameleon_catalog_delete_foreign_keys(int source_id, const char *mysql_table);

#endif							/* CHAMELEON_CATALOG_H */
