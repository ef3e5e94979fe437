/*
 * tabledef.h -- the one table-shape provider for decoding rows when the
 * binlog's table map does not describe the columns (binlog_row_metadata
 * other than FULL): a table's definition read from the source's
 * information_schema, the apply worker's choice between that and the shape
 * recorded from the DDL stream (apply_relation.c), and binlog_rows'
 * definitions (api_binlog.c).
 *
 * RACE: information_schema describes the table as it is now, not as it was
 * when an old event was written; a table altered between the two is decoded
 * with the wrong shape (the decoder refuses a different column count).
 * binlog_row_metadata=FULL avoids the lookup altogether.
 *
 * For a binlog file there is no source to ask: a replica's PostgreSQL tables
 * can stand in (chameleon_tabledef_from_replica).
 */
#ifndef CHAMELEON_TABLEDEF_H
#define CHAMELEON_TABLEDEF_H

#include "access/tupdesc.h"

#include "binlog.h"
#include "catalog.h"
#include "config.h"
#include "decode.h"
#include "mysql_client.h"

/*
 * Columns of schema.table in ordinal order: name, signedness, ENUM/SET
 * labels, charset, and the value kind the type mapping gives them with the
 * config's options (tinyint1_as_boolean, hexify).  NULL when the table does
 * not exist.
 */
extern ChameleonTableDef *chameleon_tabledef_from_source(MYSQL *conn,
														 const ChameleonConfig *cfg,
														 const char *schema,
														 const char *table);

/* The shape a table has at this point of the binlog, or NULL (ddl_apply.h). */
typedef ChameleonTableDef *(*ChameleonRecordedShapeFn) (const char *db, const char *table);

/*
 * The decoding definition of a table map that lacks column metadata (the
 * apply worker's choice), or NULL when the map has names, signedness and
 * charsets of its own: the shape recorded from the DDL stream when
 * recorded gives one, else the source's information_schema read through
 * *conn (connected in conn_cxt on first use; the caller owns it).  ERROR
 * when either has another column count than the map.
 */
extern ChameleonTableDef *chameleon_tabledef_for_map(const ChameleonTableMap *map,
													 ChameleonRecordedShapeFn recorded,
													 const ChameleonConfig *cfg,
													 MYSQL **conn, MemoryContext conn_cxt);

/*
 * The columns of map as the replica's PostgreSQL table of it has them
 * (tabledef_replica.c): names (by name when the map has them, else by
 * position) and the kinds its column types demand (uuid, inet, boolean,
 * bytea); -1 kinds and unknown signedness elsewhere.  NULL when the table is
 * not of this source or the replica has no table for it.
 */
extern ChameleonTableDef *chameleon_tabledef_from_replica(const ChameleonSource *source,
														  const ChameleonTableMap *map);

/*
 * The live attribute of desc a MySQL column maps to, or -1: by name (exact,
 * then ignoring case) when name is not NULL, else the position-th live one.
 */
extern int	chameleon_tabledef_attribute(TupleDesc desc, const char *name, int position);

/*
 * The value kind a PostgreSQL column of this type demands where the MySQL
 * type alone does not decide it (options tinyint1_as_boolean and hexify,
 * UUID/INET), or -1: the binlog decides.
 */
extern int	chameleon_tabledef_kind_for_type(Oid type, const ChameleonMapColumn *m);

#endif							/* CHAMELEON_TABLEDEF_H */
