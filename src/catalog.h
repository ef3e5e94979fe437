/*
 * catalog.h -- the replica state kept in schema sch_chameleon, one writer
 * module per table (doc/architecture.md has the table of them):
 *
 *   catalog_sources.c   t_sources          one row per source
 *   catalog_tables.c    t_replica_tables   per replicated table
 *   catalog_fkeys.c     t_foreign_keys     MySQL foreign keys, created at detach
 *   catalog_log.c       t_errors, t_ddl    rejected rows/statements, DDL seen
 *   catalog_shapes.c    t_table_columns, t_table_indexes (declared in ddl_apply.h)
 *   catalog_copy.c      t_copy_ranges, t_copy_slices   the sliced copy's plan and slices
 *   position.c          t_replica_batch    the resume position (position.h)
 *
 * Every function runs its SQL through SPI with typed parameters in the
 * caller's transaction (state commits or rolls back with the data), in an
 * SPI connection of its own; results are allocated in the caller's memory
 * context.
 */
#ifndef CHAMELEON_CATALOG_H
#define CHAMELEON_CATALOG_H

#include "nodes/pg_list.h"

/* ---------- t_sources (catalog_sources.c) ---------- */

/* A row of sch_chameleon.t_sources. */
typedef struct ChameleonSource
{
	int32		source_id;
	char	   *name;			/* source_name: the replica's name */
	List	   *databases;		/* char *: its MySQL databases (several: its
								 * tables are named "db.table") */
	char	   *pg_schema;
	char	   *config_path;
	int64		server_id;
	char	   *state;
	char	   *last_error;		/* NULL when none */
} ChameleonSource;

extern ChameleonSource *chameleon_source_by_name(const char *name);
/* The same, an ERROR (the replica does not exist) in place of NULL. */
extern ChameleonSource *chameleon_source_named(const char *name);
/* for_share: lock the row FOR SHARE (wait for a transaction changing it). */
extern ChameleonSource *chameleon_source_by_id(int32 source_id, bool for_share);
extern List *chameleon_source_list(void);
/* The sources the launcher resumes: state streaming or reconnecting. */
extern List *chameleon_source_list_to_resume(void);
/* Lock the row FOR UPDATE; its state, or NULL when there is no row. */
extern char *chameleon_source_lock(int32 source_id);
/* Is path the configuration file of a source?  (Runs as the caller.) */
extern bool chameleon_source_path_registered(const char *path);

/* Add a source; returns its source_id. */
extern int32 chameleon_source_add(const char *name, List *databases, const char *pg_schema,
								  const char *config_path, int64 server_id,
								  const char *state);
/* Remove a source and (ON DELETE CASCADE) all its state. */
extern void chameleon_source_delete(int32 source_id);
/*
 * state, and last_error when error is not NULL or clear_error (NULL then);
 * without either the row is left alone when the state is the same.
 */
extern void chameleon_source_set_state(int32 source_id, const char *state,
									   const char *error, bool clear_error);
extern void chameleon_source_set_config_path(int32 source_id, const char *path);
/* stop_replica: streaming/reconnecting/error become stopped. */
extern void chameleon_source_mark_stopped(int32 source_id);

/* ---------- t_copy_ranges, t_copy_slices (catalog_copy.c) ---------- */

/* A range of a table's key space, copied by one copy worker at a time. */
typedef struct ChameleonCopyRange
{
	char	   *mysql_table;
	int			range_no;
	char	   *lower_key;		/* exclusive bound of the one key column; NULL: none */
	char	   *upper_key;		/* inclusive bound; NULL: none */
	List	   *last_key;		/* char *: the last copied row's key; NIL: none yet */
	int64		rows_copied;
	int			slices;			/* committed slices */
	int64		rows_estimated;
} ChameleonCopyRange;

/* A slice read and copied: what it covered and the positions it was read between. */
typedef struct ChameleonCopySlice
{
	List	   *last_key;		/* char *; NIL: the slice was empty (or the table has no key) */
	int64		rows;
	bool		range_done;		/* shorter than a full slice: nothing after it in the range */
	char	   *low_file;		/* the slice has every change before low */
	int64		low_position;
	char	   *low_gtid;		/* MySQL: the executed set at low (the stream may start there) */
	char	   *high_file;		/* ... and none at or after high (= low: an exact snapshot) */
	int64		high_position;
} ChameleonCopySlice;

/* The window of a table whose ranges are all copied. */
typedef struct ChameleonCopyWindow
{
	int64		rows;
	char	   *low_file;		/* the earliest slice position; NULL: no slice had one */
	int64		low_position;
	char	   *high_file;		/* the latest */
	int64		high_position;
} ChameleonCopyWindow;

/* A source's copy as a whole. */
typedef struct ChameleonCopyTotals
{
	int			ranges;
	int			ranges_done;	/* done or failed */
	int			ranges_copying;
	int64		rows_copied;
	int64		rows_estimated;
	int64		slices;
} ChameleonCopyTotals;

extern void chameleon_copy_range_add(int32 source_id, const char *mysql_table, int range_no,
									 const char *lower_key, const char *upper_key,
									 int64 rows_estimated);
/*
 * Take the next pending range (of tables, NIL: of any table) for worker_pid
 * (it becomes copying); NULL: none left.
 */
extern ChameleonCopyRange *chameleon_copy_range_claim(int32 source_id, int worker_pid,
													  List *tables);
/* Forget a table's plan and slices (it is copied anew). */
extern void chameleon_copy_ranges_forget(int32 source_id, const char *mysql_table);
/* Has the table an unfinished plan to resume (ranges left, none failed)? */
extern bool chameleon_copy_table_resumable(int32 source_id, const char *mysql_table);
/* Record a committed slice of r (r itself is not changed). */
extern void chameleon_copy_slice_record(int32 source_id, const ChameleonCopyRange *r,
										const ChameleonCopySlice *s);
extern void chameleon_copy_range_finish(int32 source_id, const char *mysql_table, int range_no);
/* A table that could not be copied: its ranges failed, its slices forgotten. */
extern void chameleon_copy_table_failed(int32 source_id, const char *mysql_table);
/* The ranges of worker_pid (0: all) in flight become pending again. */
extern void chameleon_copy_ranges_release(int32 source_id, int worker_pid);
/*
 * Lock the table's ranges (FOR UPDATE, in order), before a transaction that
 * finishes one of them changes it: one worker finishing a table's last
 * range then sees every other's.
 */
extern void chameleon_copy_ranges_lock(int32 source_id, const char *mysql_table);
/* true when all the table's ranges are done, with the window of their slices in *w. */
extern bool chameleon_copy_table_window(int32 source_id, const char *mysql_table,
										ChameleonCopyWindow *w);
extern void chameleon_copy_progress_totals(int32 source_id, ChameleonCopyTotals *totals);
/* Seconds from the first range of the table started to the last one finished. */
extern double chameleon_copy_table_seconds(int32 source_id, const char *mysql_table);
/* The GTID set recorded with a range's low position (file, position), or NULL. */
extern char *chameleon_copy_min_low_gtid(int32 source_id, const char *file, int64 position);

/* ---------- t_replica_tables (catalog_tables.c) ---------- */

/* A row of sch_chameleon.t_replica_tables, as the apply worker needs it. */
typedef struct ChameleonTableRow
{
	char	   *mysql_table;
	char	   *pg_schema;
	char	   *pg_table;
	char	   *state;
	char	   *snapshot_file;	/* NULL: no snapshot position */
	int64		snapshot_position;
	/* end of the idempotent replay window of a sliced copy; NULL: none */
	char	   *replay_file;
	int64		replay_position;
	List	   *deferred_indexes;	/* char *: CREATE UNIQUE INDEX left to the stream */
} ChameleonTableRow;

extern void chameleon_catalog_add_table(int32 source_id, const char *mysql_table,
										const char *pg_schema, const char *pg_table,
										const char *state, int64 copied_rows,
										const char *snapshot_file,
										int64 snapshot_position);
/* The PostgreSQL table of a replicated MySQL table; false if none. */
extern bool chameleon_catalog_get_table(int32 source_id, const char *mysql_table,
										char **pg_schema, char **pg_table);
/* Every table of a source (ChameleonTableRow *), this transaction's DDL seen. */
extern List *chameleon_catalog_table_rows(int32 source_id);
/* The state of one table (FOR UPDATE: locked), or NULL when it has no row. */
extern char *chameleon_catalog_table_state(int32 source_id, const char *mysql_table,
										   bool for_update);
/* Rows applied in this transaction; copied becomes streaming. */
extern void chameleon_catalog_table_applied(int32 source_id, const char *mysql_table,
											int64 rows);
extern void chameleon_catalog_table_set_state(int32 source_id, const char *mysql_table,
											  const char *state, const char *error);
extern void chameleon_catalog_table_set_last_error(int32 source_id, const char *mysql_table,
												   const char *error);
extern void chameleon_catalog_table_delete(int32 source_id, const char *mysql_table);
/* A replicated table (any source) dropped by hand: state error, with why. */
extern void chameleon_catalog_table_dropped_by_hand(const char *pg_schema, const char *pg_table);

/*
 * DDL: a table created in the replicated database (a row already there is
 * replaced only when replace, or when it is a 'removed' one).
 */
extern void chameleon_catalog_table_created(int32 source_id, const char *mysql_table,
											const char *pg_schema, const char *pg_table,
											bool replace, const char *state,
											const char *error);
/*
 * DDL: a table renamed (to PostgreSQL table pg_schema.pg_table); pg_renamed
 * false: its PostgreSQL table was not (error).
 */
extern void chameleon_catalog_table_renamed(int32 source_id, const char *old_name,
											const char *new_name,
											const char *pg_schema, const char *pg_table,
											bool pg_renamed, const char *error);

/* sync_tables/add_tables: the table is being copied again (a new row if none). */
extern void chameleon_catalog_table_syncing(int32 source_id, const char *mysql_table,
											const char *pg_schema, const char *pg_table,
											bool exists);
/* A failed sync: a syncing row goes to state (NULL: deleted). */
extern void chameleon_catalog_table_sync_failed(int32 source_id, const char *mysql_table,
												const char *state, const char *error);
/*
 * A table whose slices are all copied joins the stream: its rows before low
 * are skipped, those from low up to high (the slices were read at different
 * positions in between) are replayed idempotently.  deferred_indexes
 * (char *, CREATE UNIQUE INDEX statements): built by the apply worker once
 * the stream has passed high.
 */
extern void chameleon_catalog_table_copied_window(int32 source_id, const char *mysql_table,
												  int64 rows, const char *low_file,
												  int64 low_position, const char *high_file,
												  int64 high_position,
												  List *deferred_indexes);
/* A table being synced keeps the unique indexes its copy left to the stream. */
extern void chameleon_catalog_table_set_deferred(int32 source_id, const char *mysql_table,
												 List *deferred_indexes);
/* The stream passed the table's replay window: no window, no deferred index left. */
extern void chameleon_catalog_table_window_passed(int32 source_id, const char *mysql_table);
/* The earliest snapshot position of the source's copied tables; false: none. */
extern bool chameleon_catalog_tables_earliest_snapshot(int32 source_id, char **file,
													   int64 *position);

/* A table's state for the reports of a copy. */
typedef struct ChameleonTableReport
{
	char	   *mysql_table;
	char	   *state;
	int64		copied_rows;
	char	   *last_error;
} ChameleonTableReport;

/* Every table of the source (ChameleonTableReport *), by name. */
extern List *chameleon_catalog_table_reports(int32 source_id);

/*
 * The stream goes back to an earlier position: tables streamed already
 * (but those in except) skip what they have, up to (file, pos).
 */
extern void chameleon_catalog_tables_skip_to(int32 source_id, const char *file, int64 pos,
											 List *except);

/* A sequence owned by a column of a replicated table. */
typedef struct ChameleonOwnedSequence
{
	char	   *sequence;		/* regclass text */
	char	   *table;			/* regclass text */
	char	   *column;
} ChameleonOwnedSequence;

/* Sequences owned (serial or identity) by the columns of a source's tables. */
extern List *chameleon_catalog_owned_sequences(int32 source_id);

/* ---------- t_foreign_keys (catalog_fkeys.c) ---------- */

/*
 * A MySQL foreign key, with the PostgreSQL tables of its table and of the
 * table it references (NULL when that table has no t_replica_tables row).
 * Rules are MySQL's words: CASCADE, SET NULL, RESTRICT, NO ACTION, SET DEFAULT.
 */
typedef struct ChameleonStoredForeignKey
{
	char	   *mysql_table;	/* the table's key (table_keys.c) */
	char	   *table_name;		/* when adding: its MySQL name (NULL: mysql_table) */
	char	   *constraint_name;	/* NULL when adding: MySQL's generated name */
	List	   *columns;		/* char * */
	char	   *referenced_schema;	/* MySQL database of the referenced table */
	char	   *referenced_table;
	List	   *referenced_columns; /* char * */
	char	   *on_update;
	char	   *on_delete;
	char	   *pg_schema;		/* read only: the table's PostgreSQL table */
	char	   *pg_table;
	char	   *ref_pg_schema;	/* read only: the referenced PostgreSQL table */
	char	   *ref_pg_table;
} ChameleonStoredForeignKey;

/*
 * Record a key (replacing one of the same name).  Without a name it gets
 * the one MySQL generates: <table>_ibfk_<one more than the highest in use>.
 */
extern void chameleon_catalog_add_foreign_key(int32 source_id,
											  const ChameleonStoredForeignKey *fk);
/* Forget one key (DROP FOREIGN KEY); no error if it is not known. */
extern void chameleon_catalog_drop_foreign_key(int32 source_id, const char *mysql_table,
											   const char *constraint_name);
/* Forget the stored foreign keys of one table (dropped, or stored again). */
extern void chameleon_catalog_delete_foreign_keys(int32 source_id, const char *mysql_table);
/*
 * A table of database db renamed: its keys follow it (with their generated
 * names, as InnoDB renames them) and so do the keys that reference it.
 */
extern void chameleon_catalog_foreign_keys_table_renamed(int32 source_id,
														 const char *old_key,
														 const char *new_key,
														 const char *old_db,
														 const char *old_table,
														 const char *new_db,
														 const char *new_table);
/* A column renamed: in the table's keys and in the keys that reference it. */
extern void chameleon_catalog_foreign_keys_column_renamed(int32 source_id, const char *key,
														  const char *db,
														  const char *table,
														  const char *old_name,
														  const char *new_name);
/* Every stored foreign key of a source (ChameleonStoredForeignKey *). */
extern List *chameleon_catalog_foreign_keys(int32 source_id);

/* ---------- t_errors and t_ddl (catalog_log.c) ---------- */

/* Where in the binlog a record was made. */
typedef struct ChameleonLogWhere
{
	const char *file;
	uint64		pos;
	const char *gtid;
} ChameleonLogWhere;

/*
 * A rejected row or statement: row_json is the row ({"before": ..,
 * "after": ..}) or statement ({"statement": ..}, {"translation": [..]}) as
 * JSON text, NULL for none.
 */
extern void chameleon_catalog_add_error(int32 source_id, const ChameleonLogWhere *where,
										const char *mysql_table, const char *operation,
										const char *row_json, const char *message,
										const char *sqlstate);
/* A DDL statement seen: its translation (NULL: not translated) and status. */
/*
 * An error the apply worker met (state: what the replica does about it),
 * kept in t_worker_errors (the last CHAMELEON_WORKER_ERRORS_KEPT per source).
 */
#define CHAMELEON_WORKER_ERRORS_KEPT	1000
extern void chameleon_catalog_add_worker_error(int32 source_id, const char *state,
											   const char *message);
extern void chameleon_catalog_add_ddl(int32 source_id, const ChameleonLogWhere *where,
									  const char *default_schema, const char *source_sql,
									  List *translation, bool translated,
									  const char *status, const char *message);

#endif							/* CHAMELEON_CATALOG_H */
