/*
 * copy_workers.h -- init_replica's copy in background workers.
 *
 *   copy_launch.c  the calling session: starts the copy leader, relays its
 *                  messages (NOTICE, WARNING, the ERROR) and waits, or
 *                  returns once the plan is committed (wait => false)
 *   copy_leader.c  "pg_chameleon copy" leader: the plan (copy.c), then
 *                  copy_workers copy workers until every range is done
 *                  (restarting those that fail on a connection), then the
 *                  finish; also started by the launcher to resume a copy
 *   copy_worker.c  "pg_chameleon copy worker": claims ranges and copies
 *                  them slice by slice, each slice its own commit
 *   copy_pool.c    the copy workers of one leader (or of a sync worker):
 *                  their segment, start, exit, stop
 *
 * Nothing of the copy lives only in memory: the plan and every slice are
 * committed (t_copy_ranges, t_copy_slices), so any of these processes may
 * die and a new leader resumes from the committed slices.
 */
#ifndef CHAMELEON_COPY_WORKERS_H
#define CHAMELEON_COPY_WORKERS_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"

#define CHAMELEON_COPY_TEXT_LEN		1024
#define CHAMELEON_INIT_QUEUE_SIZE	(64 * 1024)

/* The segment between init_replica's session and the copy leader. */
typedef struct ChameleonInitShared
{
	/* request */
	Oid			dboid;
	Oid			roleid;
	int32		source_id;		/* 0: plan a new copy; else resume this source */
	bool		force;
	int			progress_interval;	/* the caller's pg_chameleon.copy_progress_interval */
	char		config_path[MAXPGPATH];

	/* progress and result, written by the leader */
	bool		planned;		/* the plan is committed: the copy runs */
	int32		planned_source_id;
	bool		done;
	bool		failed;
	char		summary[CHAMELEON_COPY_TEXT_LEN];
	/* then the message queue of CHAMELEON_INIT_QUEUE_SIZE bytes */
} ChameleonInitShared;

#define CHAMELEON_INIT_QUEUE(shared) \
	((void *) ((char *) (shared) + MAXALIGN(sizeof(ChameleonInitShared))))
#define CHAMELEON_INIT_SHARED_SIZE \
	(MAXALIGN(sizeof(ChameleonInitShared)) + CHAMELEON_INIT_QUEUE_SIZE)

/* What one copy worker tells its leader. */
typedef struct ChameleonCopyWorkerResult
{
	bool		started;
	bool		done;			/* exited normally: no range left */
	bool		failed;
	bool		retryable;		/* a connection, shutdown or cancel: try again */
	int			sqlerrcode;
	int			pid;
	char		message[CHAMELEON_COPY_TEXT_LEN];
	char		detail[CHAMELEON_COPY_TEXT_LEN];
	char		hint[CHAMELEON_COPY_TEXT_LEN];
} ChameleonCopyWorkerResult;

/* The longest MySQL table name a pool's segment holds. */
#define CHAMELEON_COPY_NAME_LEN		(NAMEDATALEN * 2)

/* The segment between the owner of a pool and its copy workers. */
typedef struct ChameleonCopyShared
{
	Oid			dboid;
	Oid			roleid;
	int32		source_id;
	char		config_path[MAXPGPATH];
	bool		for_sync;		/* a finished table stays syncing (sync.c joins it) */
	int			ntables;		/* > 0: claim ranges of these tables only */
	int			nworkers;
	ChameleonCopyWorkerResult workers[FLEXIBLE_ARRAY_MEMBER];
	/* then ntables names of CHAMELEON_COPY_NAME_LEN bytes */
} ChameleonCopyShared;

#define CHAMELEON_COPY_SHARED_SIZE(n, ntables) \
	(offsetof(ChameleonCopyShared, workers) + (Size) (n) * sizeof(ChameleonCopyWorkerResult) + \
	 (Size) (ntables) * CHAMELEON_COPY_NAME_LEN)

static inline char *
chameleon_copy_shared_table(ChameleonCopyShared *shared, int i)
{
	return (char *) &shared->workers[shared->nworkers] + (Size) i * CHAMELEON_COPY_NAME_LEN;
}

/*
 * A pool of copy workers (copy_pool.c), run by the copy leader or the sync
 * worker: slot i holds a worker started with chameleon_copy_pool_launch().
 */
typedef struct ChameleonCopyPool
{
	dsm_segment *seg;
	ChameleonCopyShared *shared;
	BackgroundWorkerHandle **handles;	/* NULL: the slot is free */
	char	   *source_name;
} ChameleonCopyPool;

typedef struct ChameleonCopyPoolRequest
{
	int32		source_id;
	const char *source_name;
	const char *config_path;
	int			nworkers;
	bool		for_sync;
	List	   *tables;			/* char *; NIL: any range of the source */
} ChameleonCopyPoolRequest;

/* The segment and the empty slots, in cxt. */
extern ChameleonCopyPool *chameleon_copy_pool_create(MemoryContext cxt,
													 const ChameleonCopyPoolRequest *req);

/* Start a worker in free slot i; false when no background worker slot is free. */
extern bool chameleon_copy_pool_launch(ChameleonCopyPool *pool, int i);

/* How many workers run (0 for a NULL pool). */
extern int	chameleon_copy_pool_running(const ChameleonCopyPool *pool);

/*
 * A worker that exited without finishing its work (outside a transaction):
 * its slot is freed, its ranges in flight are pending again, and its result
 * says why; NULL when none.  Workers that finished are freed silently.
 */
extern ChameleonCopyWorkerResult *chameleon_copy_pool_reap(ChameleonCopyPool *pool);

/* Stop every worker and wait until they are gone (a NULL pool: nothing). */
extern void chameleon_copy_pool_stop(ChameleonCopyPool *pool);

/* chameleon.init_replica(path, force, wait): see copy_launch.c. */
extern char *chameleon_init_replica_run(const char *path, bool force, bool wait);

/*
 * Register a copy leader: with seg, for the request in it (init_replica's
 * session, notify_pid its pid); without, to resume the copy of source_id in
 * database dboid attached to nothing (the launcher, after a restart).  false
 * when no background worker slot is free.
 */
extern bool chameleon_copy_leader_start(dsm_segment *seg, Oid dboid, int32 source_id,
										const char *name, pid_t notify_pid,
										BackgroundWorkerHandle **handle);

/*
 * sync_tables' copy, in the calling (sync) worker, between its transactions:
 * the pending ranges of tables copied slice by slice as a copy worker does,
 * each slice its own commit; a finished table stays "syncing" with its
 * deferred unique indexes, for sync.c to join.
 */
extern void chameleon_copy_tables_here(const char *config_path, int32 source_id, List *tables);

/* The background worker entry points. */
extern PGDLLEXPORT void chameleon_copy_leader_main(Datum main_arg);
extern PGDLLEXPORT void chameleon_copy_worker_main(Datum main_arg);

#endif							/* CHAMELEON_COPY_WORKERS_H */
