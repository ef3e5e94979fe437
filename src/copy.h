/*
 * copy.h -- init_replica: consistent snapshot of MySQL and the data copy.
 *
 * copy.c owns opening a consistent snapshot on the source with its binlog
 * coordinates, streaming every table into PostgreSQL's COPY through a data
 * callback (or a CSV file, copy_mode: file), and the whole init_replica
 * sequence, in the caller's transaction.
 */
#ifndef CHAMELEON_COPY_H
#define CHAMELEON_COPY_H

#include "config.h"

/* The binlog coordinates the copied data is consistent with. */
typedef struct ChameleonSnapshot
{
	char	   *binlog_file;	/* NULL when the binary log is off */
	int64		binlog_position;
	char	   *gtid;			/* MariaDB gtid position / MySQL executed set; NULL if none */
	bool		global_lock;	/* FLUSH TABLES WITH READ LOCK was needed */
	bool		table_lock;		/* LOCK TABLES t READ (one non-transactional table) */
} ChameleonSnapshot;

/*
 * chameleon.init_replica(): create the PostgreSQL schema of the configured
 * MySQL database and copy every table consistently.  config_path NULL means
 * the pg_chameleon.config GUC.  force drops an existing replica first.
 * Returns a one-line summary.
 */
extern char *chameleon_copy_init_replica(const char *config_path, bool force);

/* One table copied by chameleon_copy_tables(). */
typedef struct ChameleonCopiedTable
{
	char	   *name;
	int64		rows;
	bool		failed;			/* not copied: in state error, the row in t_errors */
	char	   *binlog_file;	/* the table's snapshot: it rejoins the stream there */
	int64		binlog_position;
} ChameleonCopiedTable;

/*
 * sync_tables / add_tables: copy the named tables (names: char *) of cfg's
 * MySQL database from one consistent snapshot into new tables of pg_schema,
 * in the caller's transaction.  A PostgreSQL table of the same name is
 * dropped first and its owner kept (a table new to PostgreSQL gets the
 * schema's owner); the tables' foreign keys replace their rows in
 * t_foreign_keys of source_id.  A name MySQL does not have is an ERROR.
 * *snap gets the earliest snapshot's binlog coordinates (ERROR when the
 * binary log is off); on MariaDB each table has a snapshot of its own, held
 * while it is copied, and its copied entry has its position.  Returns a list of ChameleonCopiedTable.  A table that cannot be
 * filled (a value PostgreSQL rejects) is left empty in state error, the
 * others are copied, unless on_error is stop (then the whole copy fails,
 * as it does when a table cannot be made again).
 */
extern List *chameleon_copy_tables(const ChameleonConfig *cfg, int source_id,
								   const char *pg_schema, List *names,
								   ChameleonSnapshot *snap);

#endif							/* CHAMELEON_COPY_H */
