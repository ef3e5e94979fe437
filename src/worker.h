/*
 * worker.h -- apply workers: the shared slot array, the launcher and the
 * apply worker's lifecycle.
 *
 * slots.c owns the array of worker slots in shared memory (one slot per
 * source that has, or should have, an apply worker) and every protocol on
 * it: claiming a slot, launching a worker into it, a worker attaching and
 * detaching, stopping, restart backoff and the monitoring snapshot.
 * It also sets that shared memory up (requested at preload, or created on
 * first use).  launcher.c owns the launcher (auto-resume at server start,
 * restart of dead workers); worker.c owns the apply worker's main loop;
 * pg_chameleon.c owns the GUCs and calls the set-up from _PG_init.
 *
 * Locking: the LWLock of the array protects membership fields (in_use,
 * dboid, source_id, generation, pid, latch, launching, stop_requested,
 * restart bookkeeping).  Each slot's spinlock protects the progress fields
 * the worker updates at every commit (positions, counters, times, error).
 */
#ifndef CHAMELEON_WORKER_H
#define CHAMELEON_WORKER_H

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "postmaster/bgworker.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/spin.h"

#define CHAMELEON_FILE_LEN		128	/* binlog file name */
#define CHAMELEON_GTID_LEN		512	/* GTID position as text (truncated) */
#define CHAMELEON_ERROR_LEN		1024	/* last error message (truncated) */
#define CHAMELEON_RATE_SAMPLES	64	/* one per second: rows/s over a minute */

/* Restart of a dead worker by the launcher: capped exponential backoff. */
#define CHAMELEON_RESTART_MIN_MS	1000
#define CHAMELEON_RESTART_MAX_MS	60000
/* A worker that ran this long before dying restarts after the minimum. */
#define CHAMELEON_RESTART_RESET_MS	60000
/* Reconnect to MySQL inside the worker: capped exponential backoff. */
#define CHAMELEON_RECONNECT_MIN_MS	1000
#define CHAMELEON_RECONNECT_MAX_MS	30000
/* stop_replica: graceful stop first, SIGTERM after this long. */
#define CHAMELEON_STOP_GRACE_MS		10000
/* A launched worker that has not attached after this long has failed. */
#define CHAMELEON_LAUNCH_TIMEOUT_MS	30000

/* What a worker is doing, as chameleon.status shows it. */
typedef enum ChameleonSlotState
{
	CHAMELEON_SLOT_STARTING,	/* launched, not streaming yet */
	CHAMELEON_SLOT_STREAMING,
	CHAMELEON_SLOT_RECONNECTING,	/* MySQL lost, or a restart is pending */
	CHAMELEON_SLOT_ERROR,		/* the source refuses us (privileges, purged
								 * binlog, server id taken): slow retries */
	CHAMELEON_SLOT_STOPPING
} ChameleonSlotState;

typedef struct ChameleonRateSample
{
	TimestampTz at;
	uint64		rows;
} ChameleonRateSample;

typedef struct ChameleonWorkerSlot
{
	/* membership: protected by ChameleonShmem->lock */
	bool		in_use;
	Oid			dboid;
	int32		source_id;
	uint32		generation;		/* bumped at every launch */
	pid_t		pid;			/* 0 when no worker is attached */
	Latch	   *latch;			/* the attached worker's latch */
	bool		launching;		/* registered, not attached yet */
	TimestampTz launched_at;
	bool		stop_requested; /* stop_replica: exit at a boundary */
	bool		config_changed; /* reload config at the next boundary */
	int			restarts;		/* restarts since the slot was claimed */
	int			backoff_ms;		/* next restart delay */
	TimestampTz restart_at;		/* restart due (pid == 0, !launching) */

	/* progress: protected by mutex, written by the worker */
	slock_t		mutex;
	ChameleonSlotState state;
	TimestampTz started_at;		/* the current worker process started */
	char		read_file[CHAMELEON_FILE_LEN];
	uint64		read_pos;
	char		applied_file[CHAMELEON_FILE_LEN];
	uint64		applied_pos;
	char		applied_gtid[CHAMELEON_GTID_LEN];
	TimestampTz last_commit_time;	/* source commit time, last applied */
	TimestampTz last_heartbeat; /* last event or heartbeat from the source */
	TimestampTz caught_up_at;	/* everything read was applied, source idle */
	uint64		xacts_applied;	/* since the slot was claimed */
	uint64		rows_applied;
	int			rate_next;
	ChameleonRateSample rate[CHAMELEON_RATE_SAMPLES];
	char		last_error[CHAMELEON_ERROR_LEN];
	TimestampTz last_error_time;

	/*
	 * A hold (verify_tables): protected by mutex.  The owner asks the worker
	 * to stop at the first transaction boundary at or after hold_file:
	 * hold_pos (anywhere: the next one), commit there and wait; the worker
	 * answers request number hold_request in held_request with the position.
	 */
	pid_t		hold_owner;		/* 0: no hold asked */
	Latch	   *hold_owner_latch;
	uint32		hold_request;
	bool		hold_anywhere;
	char		hold_file[CHAMELEON_FILE_LEN];
	uint64		hold_pos;
	uint32		held_request;	/* 0: not holding */
	char		held_file[CHAMELEON_FILE_LEN];
	uint64		held_pos;
} ChameleonWorkerSlot;

typedef struct ChameleonShared
{
	LWLock	   *lock;			/* named tranche, or own_lock */
	LWLock		own_lock;		/* used when not preloaded */
	int			tranche_id;
	ConditionVariable slot_exit_cv; /* a worker attached or detached */
	pid_t		launcher_pid;	/* 0 when no launcher runs */
	Latch	   *launcher_latch;
	int			nslots;
	ChameleonWorkerSlot slots[FLEXIBLE_ARRAY_MEMBER];
} ChameleonShared;

/* pg_chameleon.c: GUC pg_chameleon.max_workers; loaded at server start */
extern int	chameleon_max_workers;
extern bool chameleon_preloaded;

/* slots.c: the shared memory of the slot array */
extern ChameleonShared *ChameleonShmem;
extern void chameleon_slots_shmem_init(void);	/* _PG_init, when preloaded */
extern void chameleon_shmem_attach(void);
extern Size chameleon_shmem_size(void);

/* What the launcher hands a worker in bgw_extra. */
typedef struct ChameleonWorkerArgs
{
	Oid			dboid;
	int32		source_id;
	uint32		generation;
} ChameleonWorkerArgs;

/* slots.c: used by api.c */
extern pid_t chameleon_worker_start(Oid dboid, int32 source_id);
extern bool chameleon_worker_stop(Oid dboid, int32 source_id);
extern bool chameleon_worker_is_running(Oid dboid, int32 source_id, pid_t *pid);
extern void chameleon_worker_wakeup_at_commit(Oid dboid, int32 source_id);

/* A copy of one slot for chameleon.status (rate already computed). */
typedef struct ChameleonSlotView
{
	ChameleonWorkerSlot slot;
	double		rows_per_second;	/* -1: not enough samples */
} ChameleonSlotView;
extern ChameleonSlotView *chameleon_slots_snapshot(Oid dboid, int *count);
extern const char *chameleon_slot_state_name(ChameleonSlotState state);

/* slots.c: used by the launcher */
extern bool chameleon_slot_want(Oid dboid, int32 source_id);
extern bool chameleon_slot_launch(int index, pid_t notify_pid,
								  BackgroundWorkerHandle **handle,
								  uint32 *generation);
extern void chameleon_slot_launch_failed(int index, uint32 generation);
extern int	chameleon_slots_next_due(TimestampTz now, int *wait_ms, Oid *dboid);
extern void chameleon_slot_release(int index, uint32 generation);

/*
 * slots.c: holding a worker at a position (verify_tables).  Ask the
 * source's worker to stop at the first transaction boundary at or after
 * file:pos (file NULL: the next boundary), commit and wait; returns once it
 * waits there, with the position in held_file (CHAMELEON_FILE_LEN bytes)
 * and *held_pos, or false when no worker runs or timeout_ms passed.  The
 * worker waits until chameleon_worker_release() (or a new hold), at most
 * CHAMELEON_HOLD_MAX_MS.  One holder per worker at a time: another is an ERROR.
 */
#define CHAMELEON_HOLD_MAX_MS		30000
extern bool chameleon_worker_hold(Oid dboid, int32 source_id, const char *file, uint64 pos,
								  int timeout_ms, char *held_file, uint64 *held_pos);
extern void chameleon_worker_release(Oid dboid, int32 source_id);

/* slots.c: used by the apply worker (on the slot it attached to) */
/* A hold is asked at or before file:pos (a transaction boundary). */
extern bool chameleon_slot_hold_wanted(const char *file, uint64 pos);
/* Wait at file:pos (committed) while the hold lasts. */
extern void chameleon_slot_hold(const char *file, uint64 pos);
extern bool chameleon_slot_attach(int index, const ChameleonWorkerArgs *args);
extern void chameleon_slot_free_on_exit(void);
extern bool chameleon_slot_stop_requested(void);
extern bool chameleon_slot_take_config_changed(void);
extern void chameleon_slot_set_state(ChameleonSlotState state);
extern void chameleon_slot_set_error(const char *message);
extern void chameleon_slot_report_read(const char *file, uint64 pos);
extern void chameleon_slot_report_heartbeat(bool caught_up);
extern void chameleon_slot_report_commit(const char *file, uint64 pos,
										 const char *gtid,
										 TimestampTz source_commit_time,
										 uint64 xacts, uint64 rows,
										 bool caught_up);

/* Entry points of the background workers (bgw_function_name). */
extern PGDLLEXPORT void chameleon_launcher_main(Datum main_arg);
extern PGDLLEXPORT void chameleon_resume_main(Datum main_arg);
extern PGDLLEXPORT void chameleon_apply_main(Datum main_arg);

/* launcher.c */
extern void chameleon_launcher_register(void);

#endif							/* CHAMELEON_WORKER_H */
