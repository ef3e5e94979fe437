/*
 * apply_session.h -- what a worker hands the layers that stream and apply.
 *
 * A worker (today the apply worker, worker.c) owns the process: signals,
 * its shared slot, the replication origin, the state shown in t_sources.
 * The layers below it -- stream.c (one session with the source), apply.c
 * (rows) and ddl_apply.c (statements) -- read no worker global: the worker
 * passes them a ChameleonApplySession holding the source, its config, the
 * committed position, where in the binlog the loop is (for every error's
 * context), the memory contexts and the stop flag, and the few things only
 * the worker can do as a table of functions (ChameleonWorkerOps), so that
 * another kind of worker can drive the same layers.
 *
 * apply_session.c owns the session's shared helpers: the commit that ends
 * a batch (and frees its memory) and the error-context callback.
 */
#ifndef CHAMELEON_APPLY_SESSION_H
#define CHAMELEON_APPLY_SESSION_H

#include "config.h"
#include "position.h"

/* Where the loop is in the binlog, for the error context of every
 * failure.  stream.c keeps it current; apply.c sets table while applying. */
typedef struct ChameleonApplyWhere
{
	const char *file;
	uint64		pos;			/* start of the current event */
	const char *gtid;			/* GTID of the current transaction, or NULL */
	const char *table;			/* "db.table" being applied, or NULL */
} ChameleonApplyWhere;

/* What the loop does at a boundary between source transactions. */
typedef enum ChameleonBoundary
{
	CHAMELEON_BOUNDARY_CONTINUE,
	CHAMELEON_BOUNDARY_STOP,	/* the worker should stop: return, it exits */
	CHAMELEON_BOUNDARY_RECONNECT	/* config changed: return, reconnect */
} ChameleonBoundary;

typedef struct ChameleonApplySession ChameleonApplySession;

/* What only the driving worker can do, called by the layers below it. */
typedef struct ChameleonWorkerOps
{
	/*
	 * Last step of an apply transaction: write pos (the position after the
	 * last applied source transaction), commit (chameleon_session_commit),
	 * copy pos into session->position and report xacts source transactions
	 * and rows row changes.  caught_up: no more events were available.
	 */
	void		(*commit_position) (ChameleonApplySession *s,
									const ChameleonPosition *pos,
									uint64 xacts, uint64 rows, bool caught_up);
	/* Between source transactions (no transaction open). */
	ChameleonBoundary (*boundary) (ChameleonApplySession *s);
	/* The session with the source is established. */
	void		(*streaming) (ChameleonApplySession *s);
	/* An event was read; the reader is at (file, pos). */
	void		(*report_read) (ChameleonApplySession *s, const char *file, uint64 pos);
	/* A heartbeat arrived from the source. */
	void		(*report_heartbeat) (ChameleonApplySession *s, bool caught_up);
	/* Between source transactions at (file, pos): is a hold asked here? */
	bool		(*hold_wanted) (ChameleonApplySession *s, const char *file, uint64 pos);
	/* Hold at s->position (committed) until released. */
	void		(*hold) (ChameleonApplySession *s);
} ChameleonWorkerOps;

struct ChameleonApplySession
{
	int32		source_id;
	ChameleonSource *source;
	ChameleonConfig *config;	/* the worker replaces it on reload */
	ChameleonPosition position; /* applied (committed) position */
	ChameleonApplyWhere where;
	MemoryContext session_context;	/* lives as long as the worker */
	MemoryContext batch_context;	/* reset after every commit */
	/*
	 * The stop flag: the error being raised must stop the replica
	 * (on_error: stop) instead of being retried.  Set by apply.c and
	 * ddl_apply.c, read by the worker when the error reaches it.
	 */
	bool		stop_on_error;
	const ChameleonWorkerOps *ops;
};

/* Commit the open transaction and free everything the batch allocated. */
extern void chameleon_session_commit(ChameleonApplySession *s);

/* Error-context callback; arg is the session. */
extern void chameleon_session_error_context(void *arg);

/* stream.c: one session with the source; returns STOP or RECONNECT. */
extern ChameleonBoundary chameleon_stream_session(ChameleonApplySession *s);
/* stream.c: close the session's connection after an error. */
extern void chameleon_stream_cleanup(ChameleonApplySession *s);

#endif							/* CHAMELEON_APPLY_SESSION_H */
