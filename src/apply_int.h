/*
 * apply_int.h -- what the apply modules share, and nobody else.
 *
 *   apply.c           dispatch of rows events, INSERT batching (when a
 *                     batch is sent), careful replay, error attribution
 *   apply_relation.c  the relation map: the replicated tables
 *                     (t_replica_tables) and the table versions, each
 *                     TABLE_MAP resolved against its PostgreSQL table
 *   apply_spi.c       the statement backend through SPI
 *   apply_fkeys.c     the referential actions the source does not log
 *
 * The statement backend is a table of functions (ChameleonApplyBackend) so
 * that another one -- executor-level, binary Datums through
 * ExecSimpleRelationInsert/Update/Delete as core's apply worker does -- can
 * be added for speed without touching apply.c.
 */
#ifndef CHAMELEON_APPLY_INT_H
#define CHAMELEON_APPLY_INT_H

#include "apply.h"
#include "decode.h"

/* An INSERT batch is sent at this many rows, or bytes of values. */
#define CHAMELEON_INSERT_BATCH_ROWS		1000
#define CHAMELEON_INSERT_BATCH_BYTES	(8 * 1024 * 1024)

typedef enum ApplyOp
{
	OP_INSERT,
	OP_UPDATE,
	OP_DELETE
} ApplyOp;

static inline const char *
apply_op_name(ApplyOp op)
{
	return op == OP_INSERT ? "insert" : op == OP_UPDATE ? "update" : "delete";
}

/* A replicated table: one row of t_replica_tables. */
typedef struct ChameleonApplyTarget
{
	char		mysql_table[NAMEDATALEN * 2];	/* hash key */
	char	   *pg_schema;
	char	   *pg_table;
	char	   *state;
	char	   *snapshot_file;	/* NULL: no snapshot position */
	uint64		snapshot_pos;
	char	   *replay_file;	/* NULL: no idempotent replay window */
	uint64		replay_pos;
	List	   *deferred_indexes;	/* char *: built once the stream passes replay */
	bool		in_error;		/* marked error: changes skipped */
	bool		careful;
	bool		skip_events[3]; /* ChameleonEventKind: skip_events of the config */
	int64		batch_rows;		/* applied in this transaction */
} ChameleonApplyTarget;

/*
 * A UNIQUE index of the PostgreSQL table other than its primary key, on
 * replicated columns only (no expression, no predicate): what an idempotent
 * insert must clear first (see apply.c).
 */
typedef struct ChameleonUniqueKey
{
	int			ncols;
	int		   *cols;			/* MySQL column of each key column */
	bool		nulls_not_distinct; /* NULLs conflict too */
} ChameleonUniqueKey;

/* A table version: one TABLE_MAP resolved against the PostgreSQL table. */
struct ChameleonApplyTable
{
	uint64		table_id;		/* hash key */
	ChameleonApplyTarget *target;	/* NULL: not replicated */
	char	   *name;			/* "db.table" for messages */
	ChameleonDecodeTable *decode;
	char	   *qualified;		/* "schema"."table" */
	int			ncols;			/* MySQL columns */
	char	  **colname;		/* quoted PostgreSQL name, NULL: no column */
	char	  **coltype;		/* qualified type name for casts */
	bool	   *is_key;			/* part of the row identity */
	bool		has_pk;			/* identified by a key: the primary key, else a
								 * unique index of NOT NULL columns */
	int			nuniques;		/* UNIQUE indexes other than that key */
	ChameleonUniqueKey *uniques;
	MemoryContext cxt;			/* where the version and its statements live */
	void	   *statements;		/* what the backend keeps for this version */
};

/* ---------- apply_relation.c ---------- */

/* Load the replicated tables of the session's source; no table version yet. */
extern void chameleon_relmap_open(ChameleonApplySession *session, MemoryContext parent);
/* Forget everything (the contexts go with their parent's reset). */
extern void chameleon_relmap_close(void);
/* After DDL: read t_replica_tables again, forget every table version. */
extern void chameleon_relmap_reload(void);
extern ChameleonApplyTarget *chameleon_relmap_target(const char *mysql_table);
extern void chameleon_relmap_foreach_target(void (*fn) (ChameleonApplyTarget *t));
extern void chameleon_relmap_foreach_version(void (*fn) (ChameleonApplyTable *t));
/* The version of a table map's table id (*found: it existed). */
extern ChameleonApplyTable *chameleon_relmap_version(const ChameleonTableMap *map, bool *found);
/* Is (file, pos) before the target's copy snapshot? */
extern bool chameleon_relmap_before_snapshot(const ChameleonApplyTarget *t,
											 const char *file, uint64 pos);
/*
 * Is (file, pos) in the target's idempotent replay window: at or after its
 * copy snapshot and before replay_file/replay_pos?  Its changes are then in
 * some of the copy's slices and not in others.
 */
extern bool chameleon_relmap_in_window(const ChameleonApplyTarget *t,
									   const char *file, uint64 pos);
/* Does a table map describe the same columns as the version's copy? */
extern bool chameleon_relmap_same_map(const ChameleonTableMap *a, const ChameleonTableMap *b);
/* Resolve a table version against its PostgreSQL table. */
extern void chameleon_relmap_resolve(ChameleonApplyTable *t, const ChameleonTableMap *map);

/* ---------- apply.c, for apply_fkeys.c ---------- */

/*
 * Run fn(arg) as a change to target's table: its errors are the table's
 * (careful replay: in a subtransaction, a failure is recorded with
 * operation and row_json and the table goes to error).  false if it failed.
 */
extern bool chameleon_apply_for_target(ChameleonApplyTarget *target, const char *operation,
									   const char *row_json, void (*fn) (void *), void *arg);
/* A change to target's table failed with edata: record it, or stop (on_error). */
extern void chameleon_apply_target_failed(ChameleonApplyTarget *target, const char *operation,
										  const char *row_json, ErrorData *edata);

/* ---------- apply_fkeys.c ---------- */

/* Load the source's foreign keys with actions (memory under parent). */
extern void chameleon_fkeys_open(ChameleonApplySession *session, MemoryContext parent);
extern void chameleon_fkeys_close(void);
/* After DDL: the keys again, no statement prepared. */
extern void chameleon_fkeys_reload(void);
/*
 * A rows event of t is applied: must its rows' actions run after each row?
 * (Also notes t as changed by the current statement.)
 */
extern bool chameleon_fkeys_wanted(const ChameleonApplyTable *t, const ChameleonRowsEvent *ev,
								   const ChameleonBinlogFormat *fmt);
/* After a row of t was deleted or updated: the actions of the keys on it. */
extern void chameleon_fkeys_after_change(ChameleonApplyTable *t, const ChameleonRowChange *c);
/* The rows of a parent's event could not be read: its children are in error. */
extern void chameleon_fkeys_rows_unknown(const ChameleonApplyTable *t, ErrorData *edata);
/* The statement ended (or the transaction was rolled back). */
extern void chameleon_fkeys_statement_end(void);

/* ---------- the statement backend (apply_spi.c) ---------- */

typedef struct ChameleonApplyBackend
{
	/* A streaming session starts (memory under parent) / ends. */
	void		(*session_start) (MemoryContext parent);
	void		(*session_end) (void);
	/* Around the apply transaction: after its start, before its commit. */
	void		(*xact_begin) (void);
	void		(*xact_end) (void);
	/* The transaction was aborted: forget every pending thing. */
	void		(*xact_abort) (void);

	/*
	 * Add an inserted row to the pending INSERT batch, adding the bytes of
	 * its values to *bytes.  false, adding nothing, when the row cannot
	 * join the pending batch (another table or statement shape): the caller
	 * sends the batch (flush) and adds the row again.
	 */
	bool		(*insert) (ChameleonApplyTable *t, const ChameleonRowChange *c, Size *bytes);
	/* Send the pending INSERT batch (nothing when there is none). */
	void		(*flush) (void);
	/* Drop the pending INSERT batch unsent (its subtransaction failed). */
	void		(*discard) (void);
	/* UPDATE / DELETE one row by its before image: exactly one row. */
	void		(*update) (ChameleonApplyTable *t, const ChameleonRowChange *c);
	void		(*delete) (ChameleonApplyTable *t, const ChameleonRowChange *c);

	/*
	 * The idempotent replay window (tables with a primary key, full row
	 * images; see apply.c).  delete_if_present: DELETE by the before
	 * image's primary key, no row is fine.  delete_unique_conflicts: DELETE
	 * the rows holding a UNIQUE key value of the after image under another
	 * primary key.  upsert: INSERT the after image, or on a primary key
	 * conflict set every column of the row to it.
	 */
	void		(*delete_if_present) (ChameleonApplyTable *t, const ChameleonRowChange *c);
	void		(*delete_unique_conflicts) (ChameleonApplyTable *t, const ChameleonRowChange *c);
	void		(*upsert) (ChameleonApplyTable *t, const ChameleonRowChange *c);
	/* A table version goes: free what the backend keeps for it. */
	void		(*forget_table) (ChameleonApplyTable *t);
} ChameleonApplyBackend;

extern const ChameleonApplyBackend chameleon_apply_spi_backend;

#endif							/* CHAMELEON_APPLY_INT_H */
