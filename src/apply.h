/*
 * apply.h -- applying decoded row changes to the replica's tables.
 *
 * apply.c owns everything between a rows event and PostgreSQL: which MySQL
 * tables are replicated (sch_chameleon.t_replica_tables), the resolution of
 * a TABLE_MAP against the PostgreSQL table (column mapping, key columns,
 * the decoding definition), SPI plans prepared once per table version and
 * kept, INSERT batching (consecutive inserts into one table go in one
 * array-based statement), UPDATE/DELETE by primary key (tables without one
 * match all columns and change exactly one row), per-table counters, and
 * per-table error isolation.
 *
 * Errors.  The fast path runs without subtransactions.  When applying to a
 * table fails, the stream loop aborts the PostgreSQL transaction and replays
 * from the committed position with that table "careful": each of its
 * statements runs alone in a subtransaction; a statement PostgreSQL rejects
 * is rolled back, the row is stored in sch_chameleon.t_errors and the table
 * is marked error and left out, all in the same transaction as the other
 * tables' rows and the position (on_error: stop stops the replica instead).
 *
 * The caller (stream.c) keeps a transaction open with an active snapshot
 * around every call except chameleon_apply_session_start's caller's commit.
 */
#ifndef CHAMELEON_APPLY_H
#define CHAMELEON_APPLY_H

#include "apply_session.h"
#include "binlog.h"
#include "config.h"

typedef struct ChameleonApplyTable ChameleonApplyTable;

/*
 * Start of a streaming session (in a transaction): load the replicated
 * tables of the source and forget every table version of the last session.
 */
extern void chameleon_apply_session_start(ChameleonApplySession *session);
/* End of a session (also after an error): close the side connection. */
extern void chameleon_apply_session_end(void);

/* After StartTransactionCommand / before CommitTransactionCommand. */
extern void chameleon_apply_xact_begin(void);
/* Flush pending inserts and write per-table row counters. */
extern void chameleon_apply_xact_end(void);

/*
 * A batch ending at (file, pos) is about to commit: tables whose replay
 * window it passes get their deferred unique indexes, in this transaction
 * (apply_window.c).
 */
extern void chameleon_apply_window_end(int32 source_id, const char *file, uint64 pos);
/* After the transaction was aborted: drop pending work. */
extern void chameleon_apply_xact_abort(void);

/*
 * The table version of a table map, resolved on first use; NULL when its
 * changes are not replicated (other database, not in t_replica_tables,
 * table in error, or the event is older than the table's copy snapshot).
 */
extern ChameleonApplyTable *chameleon_apply_table(const ChameleonTableMap *map,
												  const char *file, uint64 pos);

/* Send the pending INSERT (before a DDL statement). */
extern void chameleon_apply_flush(void);

/*
 * After DDL: write the counters, forget every table version and its plans,
 * and read t_replica_tables again (in the apply transaction), so the next
 * TABLE_MAP resolves against the new shape, names and states.
 */
extern void chameleon_apply_schema_changed(void);
/* May DDL on this table at (file, pos) be applied?  If not, *why says why. */
extern bool chameleon_apply_table_takes_ddl(const char *mysql_table, const char *file,
											uint64 pos, const char **why);

/*
 * May DROP TABLE of this table at (file, pos) be applied?  As above, but a
 * table in error is dropped too (its rows are lost already).
 */
extern bool chameleon_apply_table_takes_drop(const char *mysql_table, const char *file,
											 uint64 pos, const char **why);

/* Is the table in t_replica_tables (and not removed)? */
extern bool chameleon_apply_table_is_replicated(const char *mysql_table);

/*
 * Decode and apply one rows event, and after each deleted or updated row the
 * foreign-key actions the source ran without logging them (fmt: the
 * source's binlog format, which says whether it logs them).  Returns the
 * row changes applied.
 */
extern uint64 chameleon_apply_rows(ChameleonApplyTable *table,
								   const ChameleonRowsEvent *ev,
								   const ChameleonBinlogFormat *fmt);

/*
 * A rows event chameleon_apply_table() left out: for a table that has its
 * changes already (before its copy snapshot), the foreign-key actions of
 * its rows still run for the child tables that do not.
 */
extern void chameleon_apply_skipped_rows(const ChameleonTableMap *map,
										 const ChameleonRowsEvent *ev,
										 const ChameleonBinlogFormat *fmt);

/* A rows event with STMT_END_F was read (applied or not). */
extern void chameleon_apply_statement_end(void);

/*
 * Error handling (see above).  chameleon_apply_failed_table() names the
 * MySQL table whose statement raised the current error (NULL if the error
 * is not attributable to one table).
 */
extern const char *chameleon_apply_failed_table(void);
extern void chameleon_apply_set_careful(const char *mysql_table);
extern bool chameleon_apply_is_careful(const char *mysql_table);
extern void chameleon_apply_clear_careful(void);

/* on_error: stop -- write the rejected row kept for the stop (in the
 * caller's transaction); no-op when there is none. */
extern void chameleon_apply_write_stop_error(void);
/* on_error: stop -- keep the error that stops the replica, for the above. */
extern void chameleon_apply_stash_stop_error(const char *mysql_table, const char *operation,
											 const char *row_json, const char *message,
											 int sqlerrcode);

#endif							/* CHAMELEON_APPLY_H */
