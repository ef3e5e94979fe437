/*
 * copy.h -- the data copy: MySQL snapshots and positions, rows into COPY.
 *
 * copy.c owns reading MySQL tables into PostgreSQL's COPY through a data
 * callback (or a CSV file, copy_mode: file) and the binlog position each
 * read is consistent with.  init_replica's copy is done in steps by
 * background workers (copy_leader.c, copy_worker.c): the plan (tables,
 * ranges), then slices, each read in its own short MySQL transaction and
 * committed on its own, then the finish (the stream's start position).
 * sync_tables copies its tables in one transaction (chameleon_copy_tables).
 */
#ifndef CHAMELEON_COPY_H
#define CHAMELEON_COPY_H

#include "catalog.h"
#include "config.h"
#include "mysql_client.h"
#include "schema.h"
#include "source_position.h"

/*
 * One init_replica per source at a time: a session advisory lock on the
 * MySQL database name.  false when another session holds it (wait: block).
 */
extern bool chameleon_copy_lock(const char *source_name, bool wait);
extern void chameleon_copy_unlock(const char *source_name);

/*
 * init_replica's first step, in the caller's transaction: drop an existing
 * replica (force) or refuse to, create the tables of the MySQL database,
 * the source (state initialising) with its tables (pending), their shapes
 * and foreign keys, and the plan of ranges.  Returns the source_id.
 */
extern int32 chameleon_copy_plan(const ChameleonConfig *cfg, bool force);

/* Record the MySQL foreign keys of the tables (t_foreign_keys). */
extern void chameleon_copy_store_foreign_keys(int source_id, List *tables);

/* The schema options of cfg; conn: also ask the server and set up the session. */
extern void chameleon_copy_schema_options(ChameleonSchemaOptions *opts,
										  const ChameleonConfig *cfg, MYSQL *conn);

/*
 * The MySQL definition of a table being copied, checked against its
 * PostgreSQL table (an ERROR when the columns changed since the plan).
 */
extern ChameleonTable *chameleon_copy_read_table(MYSQL *conn, const ChameleonSchemaOptions *opts,
												 const char *name);

/*
 * Read the next slice of range r (copy_max_size rows after r->last_key, in
 * primary-key order; a table without a primary key in one pass) in a MySQL
 * transaction of its own and COPY it into the table, in the caller's
 * transaction.  *out: rows, last key, whether the range is done, and the
 * positions the slice is consistent with.
 */
extern void chameleon_copy_slice(MYSQL *conn, const ChameleonConfig *cfg,
								 const ChameleonSchemaOptions *opts, const ChameleonTable *t,
								 const ChameleonCopyRange *r, ChameleonCopySlice *out);
/* After an error in a slice: end its MySQL transaction or table lock. */
extern void chameleon_copy_slice_abandon(MYSQL *conn);
/*
 * A table whose rows are all in: its indexes, its sequences; deferred not
 * NULL: its unique indexes are left to the stream (see schema.h).
 */
extern void chameleon_copy_finish_table(const ChameleonSchemaOptions *opts, ChameleonTable *t,
										List **deferred);
/*
 * A table that could not be copied (edata: why): emptied, state error, the
 * row in t_errors, a WARNING; in the caller's transaction.
 */
extern void chameleon_copy_table_error(int32 source_id, const ChameleonSchemaOptions *opts,
									   const char *name, ErrorData *edata);
/*
 * The last step, once every range is done: the stream's start position (the
 * earliest table snapshot), the source becomes stopped.  Returns the summary.
 */
extern char *chameleon_copy_finish(const ChameleonConfig *cfg, int32 source_id);

/* One table copied by chameleon_copy_tables(). */
typedef struct ChameleonCopiedTable
{
	char	   *name;
	int64		rows;
	bool		failed;			/* not copied: in state error, the row in t_errors */
	char	   *binlog_file;	/* the earliest position of its slices: it rejoins there */
	int64		binlog_position;
	char	   *low_gtid;		/* MySQL: the executed set at that position */
	char	   *replay_file;	/* the latest, when later (a replay window); else NULL */
	int64		replay_position;
	List	   *deferred_indexes;	/* unique indexes left to the stream (char *) */
} ChameleonCopiedTable;

/*
 * sync_tables / add_tables, step 1, in the caller's transaction: each named
 * table (names: char *) of cfg's MySQL database dropped and created again in
 * pg_schema (its owner kept; a table new to PostgreSQL gets the schema's
 * owner), its key ranges planned, its foreign keys and shape recorded.  A
 * table whose earlier sync was interrupted with ranges left (and none
 * failed) is kept as it is: its copy resumes from its committed slices.
 * Returns the names of those.  A name MySQL does not have is an ERROR, as
 * is a binary log that is off.  The copy itself is
 * chameleon_copy_tables_here() (copy_workers.h).
 */
extern List *chameleon_copy_sync_plan(const ChameleonConfig *cfg, int source_id,
									  const char *pg_schema, List *names);

/*
 * sync_tables / add_tables, once copied: a ChameleonCopiedTable per named
 * table (from the committed slices: rows, window, deferred indexes; failed
 * when in error), and in *snap the position they rejoin the stream at (the
 * earliest of their slices) with its GTID position.
 */
extern List *chameleon_copy_sync_result(const ChameleonConfig *cfg, int source_id, List *names,
										ChameleonSnapshot *snap);

#endif							/* CHAMELEON_COPY_H */
