/*
 * worker_loop.h -- what the apply worker (worker.c) offers the streaming
 * loop (stream.c) and what it expects from it.
 *
 * worker.c owns the process: signals, slot, apply session, replication
 * origin, transactions, state, reconnect backoff.  stream.c owns one
 * session with the source: open the binlog at MyPosition, read events,
 * hand rows to apply.c, and commit through chameleon_worker_commit_position()
 * every replica_batch_size source transactions or when no more events are
 * immediately available.  It returns at a transaction boundary when
 * chameleon_worker_boundary() says so; a lost connection is an ERROR with a
 * class 08 SQLSTATE (worker.c then reconnects with backoff).
 */
#ifndef CHAMELEON_WORKER_LOOP_H
#define CHAMELEON_WORKER_LOOP_H

#include "config.h"
#include "position.h"

/* Where the worker is in the binlog, for the error context of every
 * failure.  The loop keeps it current; table is set while applying. */
typedef struct ChameleonApplyWhere
{
	const char *file;
	uint64		pos;			/* start of the current event */
	const char *gtid;			/* GTID of the current transaction, or NULL */
	const char *table;			/* "db.table" being applied, or NULL */
} ChameleonApplyWhere;

typedef enum ChameleonBoundary
{
	CHAMELEON_BOUNDARY_CONTINUE,
	CHAMELEON_BOUNDARY_STOP,	/* stop_replica: return, the worker exits */
	CHAMELEON_BOUNDARY_RECONNECT	/* config changed: return, reconnect */
} ChameleonBoundary;

/* Worker globals (worker.c) */
extern int32 MySourceId;
extern ChameleonSource *MySource;
extern ChameleonConfig *MyConfig;
extern ChameleonPosition MyPosition;	/* applied (committed) position */
extern ChameleonApplyWhere MyApplyWhere;
extern MemoryContext MyWorkerContext;	/* lives as long as the worker */
extern MemoryContext MyBatchContext;	/* reset after every commit */

/* Transaction ritual (STYLE habit 6). */
extern void chameleon_worker_begin(void);
extern void chameleon_worker_commit(void);

/*
 * Last step of an apply transaction: write pos (the position after the last
 * applied source transaction) to t_replica_batch, advance the origin by the
 * same commit, commit, reset MyBatchContext, and report to chameleon.status
 * xacts source transactions and rows row changes applied.  caught_up: no
 * more events were immediately available.
 */
extern void chameleon_worker_commit_position(const ChameleonPosition *pos,
											 uint64 xacts, uint64 rows,
											 bool caught_up);

/* Between source transactions (no transaction open). */
extern ChameleonBoundary chameleon_worker_boundary(void);
extern void chameleon_worker_nap(long ms);

/* The session is established: state "streaming", backoff reset. */
extern void chameleon_worker_streaming(void);
/* The error about to be raised stops the replica (state "error"). */
extern void chameleon_worker_stop_on_error(void);
extern void chameleon_worker_request_reconnect(void);

/* stream.c: one session with the source; returns STOP or RECONNECT. */
extern ChameleonBoundary chameleon_stream_session(void);
/* stream.c: close the session's connection after an error. */
extern void chameleon_stream_cleanup(void);

#endif							/* CHAMELEON_WORKER_LOOP_H */
