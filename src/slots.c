/*
 * slots.c -- the shared array of apply worker slots and its protocols.
 *
 * A slot stands for one source (database oid + t_sources.source_id) that
 * has, or should have, an apply worker.  Life of a slot:
 *
 *   claimed  start_replica (chameleon_worker_start) or the resume worker
 *            (chameleon_slot_want) takes a free slot; at most one slot per
 *            source, so two workers can never apply the same source.
 *   launched RegisterDynamicBackgroundWorker; generation is bumped and
 *            handed to the worker, so a stale worker can never attach.
 *   attached the worker sets pid and latch (chameleon_slot_attach) and
 *            registers the exit callback that detaches it.
 *   detached the worker exited.  After stop_replica, or an exit that asked
 *            for it (on_error stop, source gone), or when no launcher runs,
 *            the slot is freed; otherwise a restart is scheduled with
 *            capped exponential backoff and the launcher starts a new
 *            worker when it is due.
 *
 * The array's shared memory is set up here too: when preloaded it is
 * reserved the PG15 way (shmem_request_hook, with a named LWLock tranche)
 * and created by the shmem startup hook; loaded later, it is created on
 * first use with a lock of its own (chameleon_shmem_attach).
 *
 * Lock order: the array LWLock, then a slot's spinlock.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "binlog.h"
#include "worker.h"
#include "transaction.h"

/* ---------------------------------------------------------------------
 * Shared memory of the slot array
 * ---------------------------------------------------------------------
 */

#define CHAMELEON_SHMEM_NAME	"pg_chameleon"
#define CHAMELEON_TRANCHE_NAME	"pg_chameleon"

ChameleonShared *ChameleonShmem = NULL;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

Size
chameleon_shmem_size(void)
{
	return add_size(offsetof(ChameleonShared, slots),
					mul_size(chameleon_max_workers, sizeof(ChameleonWorkerSlot)));
}

static void
init_shared(ChameleonShared *shared)
{
	memset(shared, 0, chameleon_shmem_size());
	if (chameleon_preloaded)
	{
		shared->lock = &(GetNamedLWLockTranche(CHAMELEON_TRANCHE_NAME))->lock;
		shared->tranche_id = 0;
	}
	else
	{
		/* late load: no tranche could be requested, bring our own lock */
		shared->tranche_id = LWLockNewTrancheId();
		LWLockInitialize(&shared->own_lock, shared->tranche_id);
		shared->lock = &shared->own_lock;
	}
	ConditionVariableInit(&shared->slot_exit_cv);
	shared->nslots = chameleon_max_workers;
	for (int i = 0; i < shared->nslots; i++)
		SpinLockInit(&shared->slots[i].mutex);
}

/*
 * Find or create the shared slot array.  Preloaded, this runs from the
 * shmem startup hook in the postmaster; loaded later (CREATE EXTENSION or a
 * function call without shared_preload_libraries) it runs on first use and
 * takes its small size from the slack the server keeps for add-ins.
 */
void
chameleon_shmem_attach(void)
{
	bool		found;

	if (ChameleonShmem != NULL)
		return;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ChameleonShmem = ShmemInitStruct(CHAMELEON_SHMEM_NAME,
									 chameleon_shmem_size(), &found);
	if (!found)
		init_shared(ChameleonShmem);
	LWLockRelease(AddinShmemInitLock);

	if (ChameleonShmem->tranche_id != 0)
		LWLockRegisterTranche(ChameleonShmem->tranche_id, CHAMELEON_TRANCHE_NAME);
}

static void
request_shmem(void)
{
	RequestAddinShmemSpace(chameleon_shmem_size());
	RequestNamedLWLockTranche(CHAMELEON_TRANCHE_NAME, 1);
}

#if PG_VERSION_NUM >= 150000
static void
chameleon_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	request_shmem();
}
#endif

static void
chameleon_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	/* after a crash restart the segment is new: forget the old pointer */
	ChameleonShmem = NULL;
	chameleon_shmem_attach();
}

/*
 * _PG_init, when preloaded: reserve the slot array and its named LWLock
 * tranche (through shmem_request_hook from PG 15 on) and create the array
 * from the shmem startup hook.
 */
void
chameleon_slots_shmem_init(void)
{
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = chameleon_shmem_request;
#else
	request_shmem();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = chameleon_shmem_startup;
}

/* ---------------------------------------------------------------------
 * The slots and their protocols
 * ---------------------------------------------------------------------
 */

/* The slot this process attached to (an apply worker), or NULL. */
static ChameleonWorkerSlot *AttachedSlot = NULL;
static uint32 AttachedGeneration = 0;
static bool FreeSlotOnExit = false;

/* Sources whose workers are woken when the current transaction commits. */
typedef struct PendingWakeup
{
	Oid			dboid;
	int32		source_id;
} PendingWakeup;

static List *pending_wakeups = NIL;
static bool xact_callback_registered = false;

static inline LWLock *
slots_lock(void)
{
	chameleon_shmem_attach();
	return ChameleonShmem->lock;
}

static void
copy_text(char *dst, const char *src, size_t size)
{
	strlcpy(dst, src ? src : "", size);
}

/* The slot of a source, or NULL.  Caller holds the lock. */
static ChameleonWorkerSlot *
find_slot(Oid dboid, int32 source_id)
{
	for (int i = 0; i < ChameleonShmem->nslots; i++)
	{
		ChameleonWorkerSlot *slot = &ChameleonShmem->slots[i];

		if (slot->in_use && slot->dboid == dboid && slot->source_id == source_id)
			return slot;
	}
	return NULL;
}

static int
slot_index(ChameleonWorkerSlot *slot)
{
	return (int) (slot - ChameleonShmem->slots);
}

/* Take a free slot for a source and reset it.  Caller holds the lock
 * exclusively and has checked that the source has no slot. */
static ChameleonWorkerSlot *
claim_free_slot(Oid dboid, int32 source_id)
{
	for (int i = 0; i < ChameleonShmem->nslots; i++)
	{
		ChameleonWorkerSlot *slot = &ChameleonShmem->slots[i];
		uint32		generation;

		if (slot->in_use)
			continue;
		generation = slot->generation;
		SpinLockAcquire(&slot->mutex);
		/* clear everything but the spinlock itself and the generation */
		slot->state = CHAMELEON_SLOT_STARTING;
		slot->started_at = 0;
		slot->read_file[0] = slot->applied_file[0] = slot->applied_gtid[0] = '\0';
		slot->read_pos = slot->applied_pos = 0;
		slot->last_commit_time = slot->last_heartbeat = slot->caught_up_at = 0;
		slot->xacts_applied = slot->rows_applied = 0;
		slot->rate_next = 0;
		memset(slot->rate, 0, sizeof(slot->rate));
		slot->last_error[0] = '\0';
		slot->last_error_time = 0;
		slot->hold_owner = 0;
		slot->hold_owner_latch = NULL;
		slot->held_request = 0;
		SpinLockRelease(&slot->mutex);

		slot->in_use = true;
		slot->dboid = dboid;
		slot->source_id = source_id;
		slot->generation = generation;
		slot->pid = 0;
		slot->latch = NULL;
		slot->launching = false;
		slot->launched_at = 0;
		slot->stop_requested = false;
		slot->config_changed = false;
		slot->restarts = 0;
		slot->backoff_ms = CHAMELEON_RESTART_MIN_MS;
		slot->restart_at = 0;
		return slot;
	}
	return NULL;
}

static void
report_no_free_slot(int elevel)
{
	ereport(elevel,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg("out of pg_chameleon worker slots"),
			 errdetail("All %d slots are in use.", ChameleonShmem->nslots),
			 errhint("Increase pg_chameleon.max_workers (needs a server restart).")));
}

static void
wake_launcher(void)
{
	Latch	   *latch = ChameleonShmem->launcher_latch;

	if (latch != NULL)
		SetLatch(latch);
}

/* Free a slot.  Caller holds the lock exclusively. */
static void
free_slot(ChameleonWorkerSlot *slot)
{
	slot->in_use = false;
	slot->pid = 0;
	slot->latch = NULL;
	slot->launching = false;
}

/*
 * Register the dynamic background worker of a slot.  The slot must be in
 * use with no worker; its generation is bumped here and returned in
 * *generation.  Returns false when the slot cannot be launched or no
 * background worker slot was free; the caller then frees the slot
 * (chameleon_slot_release) or schedules a retry (chameleon_slot_launch_failed).
 */
bool
chameleon_slot_launch(int index, pid_t notify_pid, BackgroundWorkerHandle **handle,
					  uint32 *generation)
{
	ChameleonWorkerSlot *slot = &ChameleonShmem->slots[index];
	BackgroundWorker bgw;
	ChameleonWorkerArgs args;

	LWLockAcquire(slots_lock(), LW_EXCLUSIVE);
	if (!slot->in_use || slot->pid != 0 || slot->launching || slot->stop_requested)
	{
		LWLockRelease(ChameleonShmem->lock);
		return false;
	}
	slot->generation++;
	slot->launching = true;
	slot->launched_at = GetCurrentTimestamp();
	args.dboid = slot->dboid;
	args.source_id = slot->source_id;
	args.generation = slot->generation;
	*generation = slot->generation;
	LWLockRelease(ChameleonShmem->lock);

	/* never restarted by the postmaster: the launcher restarts */
	chameleon_bgw_init(&bgw, "chameleon_apply_main", "pg_chameleon apply",
					   psprintf("pg_chameleon apply worker for source %d", (int) args.source_id));
	bgw.bgw_main_arg = Int32GetDatum(index);
	memcpy(bgw.bgw_extra, &args, sizeof(args));
	bgw.bgw_notify_pid = notify_pid;

	if (RegisterDynamicBackgroundWorker(&bgw, handle))
		return true;

	LWLockAcquire(ChameleonShmem->lock, LW_EXCLUSIVE);
	if (slot->generation == args.generation && slot->pid == 0)
		slot->launching = false;
	LWLockRelease(ChameleonShmem->lock);
	return false;
}

/*
 * A launched worker never attached (no background worker slot, fork failed,
 * or it died before attaching): back to "restart due", or free the slot
 * when nobody would restart it.
 */
void
chameleon_slot_launch_failed(int index, uint32 generation)
{
	ChameleonWorkerSlot *slot = &ChameleonShmem->slots[index];

	LWLockAcquire(slots_lock(), LW_EXCLUSIVE);
	if (slot->in_use && slot->generation == generation && slot->pid == 0 &&
		slot->launching)
	{
		slot->launching = false;
		if (slot->stop_requested || ChameleonShmem->launcher_pid == 0)
			free_slot(slot);
		else
		{
			slot->restart_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														   slot->backoff_ms);
			slot->backoff_ms = Min(slot->backoff_ms * 2, CHAMELEON_RESTART_MAX_MS);
		}
	}
	LWLockRelease(ChameleonShmem->lock);
	ConditionVariableBroadcast(&ChameleonShmem->slot_exit_cv);
}

/* Free a slot if it still has this generation and no worker. */
void
chameleon_slot_release(int index, uint32 generation)
{
	ChameleonWorkerSlot *slot = &ChameleonShmem->slots[index];

	LWLockAcquire(slots_lock(), LW_EXCLUSIVE);
	if (slot->in_use && slot->generation == generation && slot->pid == 0)
		free_slot(slot);
	LWLockRelease(ChameleonShmem->lock);
	ConditionVariableBroadcast(&ChameleonShmem->slot_exit_cv);
}

/*
 * start_replica: claim the source's slot, launch its worker and wait until
 * the worker process runs.  ERROR if it already has a worker (or a pending
 * restart), or if no worker could be started.  Returns the worker's pid.
 */
pid_t
chameleon_worker_start(Oid dboid, int32 source_id)
{
	ChameleonWorkerSlot *slot;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	pid_t		pid = 0;
	int			index;
	uint32		generation;

	LWLockAcquire(slots_lock(), LW_EXCLUSIVE);
	slot = find_slot(dboid, source_id);
	if (slot != NULL)
	{
		pid_t		running = slot->pid;

		LWLockRelease(ChameleonShmem->lock);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("replica is already running"),
				 running != 0
				 ? errdetail("Its apply worker has PID %d.", (int) running)
				 : errdetail("Its apply worker is starting or waiting to be restarted."),
				 errhint("Use chameleon.stop_replica() to stop it.")));
	}
	slot = claim_free_slot(dboid, source_id);
	if (slot == NULL)
	{
		LWLockRelease(ChameleonShmem->lock);
		report_no_free_slot(ERROR);
	}
	index = slot_index(slot);
	LWLockRelease(ChameleonShmem->lock);

	if (!chameleon_slot_launch(index, MyProcPid, &handle, &generation))
	{
		chameleon_slot_release(index, generation);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not register the pg_chameleon apply worker"),
				 errhint("Increase max_worker_processes (needs a server restart).")));
	}

	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status != BGWH_STARTED)
	{
		/* it never ran, or ran and exited at once (the log says why) */
		chameleon_slot_release(index, generation);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the pg_chameleon apply worker"),
				 errhint("More details may be available in the server log.")));
	}
	return pid;
}

/*
 * stop_replica: ask the source's worker to stop at its next transaction
 * boundary and wait until it has exited.  A worker that does not stop
 * within CHAMELEON_STOP_GRACE_MS gets SIGTERM (its open transaction rolls
 * back: the applied position is still consistent).  Returns false when the
 * source had no slot.
 */
bool
chameleon_worker_stop(Oid dboid, int32 source_id)
{
	ChameleonWorkerSlot *slot;
	TimestampTz start = GetCurrentTimestamp();
	uint32		generation;
	bool		terminated = false;

	LWLockAcquire(slots_lock(), LW_EXCLUSIVE);
	slot = find_slot(dboid, source_id);
	if (slot == NULL)
	{
		LWLockRelease(ChameleonShmem->lock);
		return false;
	}
	slot->stop_requested = true;
	generation = slot->generation;
	if (slot->pid == 0 && !slot->launching)
		free_slot(slot);		/* only a restart was pending */
	else if (slot->latch != NULL)
		SetLatch(slot->latch);
	LWLockRelease(ChameleonShmem->lock);

	ConditionVariablePrepareToSleep(&ChameleonShmem->slot_exit_cv);
	for (;;)
	{
		bool		gone;
		long		waited;

		LWLockAcquire(ChameleonShmem->lock, LW_EXCLUSIVE);
		gone = !slot->in_use || slot->generation != generation ||
			slot->dboid != dboid || slot->source_id != source_id;
		waited = TimestampDifferenceMilliseconds(start, GetCurrentTimestamp());
		if (!gone && slot->pid == 0 && slot->launching &&
			waited > CHAMELEON_LAUNCH_TIMEOUT_MS)
		{
			free_slot(slot);	/* launched but never attached */
			gone = true;
		}
		else if (!gone && !terminated && slot->pid != 0 &&
				 waited > CHAMELEON_STOP_GRACE_MS)
		{
			/* under the lock: the pid cannot be recycled meanwhile */
			kill(slot->pid, SIGTERM);
			terminated = true;
		}
		LWLockRelease(ChameleonShmem->lock);
		if (gone)
			break;
		ConditionVariableTimedSleep(&ChameleonShmem->slot_exit_cv, 200,
									PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return true;
}

bool
chameleon_worker_is_running(Oid dboid, int32 source_id, pid_t *pid)
{
	ChameleonWorkerSlot *slot;

	LWLockAcquire(slots_lock(), LW_SHARED);
	slot = find_slot(dboid, source_id);
	if (pid)
		*pid = slot ? slot->pid : 0;
	LWLockRelease(ChameleonShmem->lock);
	return slot != NULL;
}

/*
 * Resume at server start: the source should be streaming, so claim a slot
 * with a restart due now; the launcher starts the worker.  false when the
 * source already has a slot or none is free.
 */
bool
chameleon_slot_want(Oid dboid, int32 source_id)
{
	ChameleonWorkerSlot *slot;

	LWLockAcquire(slots_lock(), LW_EXCLUSIVE);
	if (find_slot(dboid, source_id) != NULL)
	{
		LWLockRelease(ChameleonShmem->lock);
		return false;
	}
	slot = claim_free_slot(dboid, source_id);
	if (slot != NULL)
		slot->restart_at = GetCurrentTimestamp();
	LWLockRelease(ChameleonShmem->lock);

	if (slot == NULL)
		report_no_free_slot(WARNING);
	else
		wake_launcher();
	return slot != NULL;
}

/*
 * Launcher: the index of a slot whose worker is due to be (re)started, or
 * -1; *wait_ms is lowered to the time until the next one is due.  A launch
 * that never attached within CHAMELEON_LAUNCH_TIMEOUT_MS is treated as
 * failed.  *dboid is set to the slot's database.
 */
int
chameleon_slots_next_due(TimestampTz now, int *wait_ms, Oid *dboid)
{
	int			due = -1;

	LWLockAcquire(slots_lock(), LW_EXCLUSIVE);
	for (int i = 0; i < ChameleonShmem->nslots && due < 0; i++)
	{
		ChameleonWorkerSlot *slot = &ChameleonShmem->slots[i];
		long		ms;

		if (!slot->in_use || slot->pid != 0 || slot->stop_requested)
			continue;
		if (slot->launching)
		{
			if (TimestampDifferenceMilliseconds(slot->launched_at, now) >
				CHAMELEON_LAUNCH_TIMEOUT_MS)
			{
				slot->launching = false;
				slot->restart_at = now;
			}
			else
				continue;
		}
		ms = TimestampDifferenceMilliseconds(now, slot->restart_at);
		if (ms <= 0)
		{
			due = i;
			*dboid = slot->dboid;
		}
		else if (ms < *wait_ms)
			*wait_ms = (int) ms;
	}
	LWLockRelease(ChameleonShmem->lock);
	return due;
}

/* ---------------------------------------------------------------------
 * The worker's side
 * ---------------------------------------------------------------------
 */

/*
 * Exit callback of an attached worker: detach, then free the slot or
 * schedule the restart, and wake whoever waits (stop_replica, launcher).
 */
static void
detach_on_exit(int code, Datum arg)
{
	ChameleonWorkerSlot *slot = AttachedSlot;
	TimestampTz now = GetCurrentTimestamp();

	if (slot == NULL)
		return;

	LWLockAcquire(ChameleonShmem->lock, LW_EXCLUSIVE);
	if (slot->in_use && slot->generation == AttachedGeneration &&
		slot->pid == MyProcPid)
	{
		slot->pid = 0;
		slot->latch = NULL;
		if (slot->stop_requested || FreeSlotOnExit ||
			ChameleonShmem->launcher_pid == 0)
			free_slot(slot);
		else
		{
			TimestampTz started;

			SpinLockAcquire(&slot->mutex);
			started = slot->started_at;
			slot->state = CHAMELEON_SLOT_RECONNECTING;
			SpinLockRelease(&slot->mutex);

			if (started != 0 &&
				TimestampDifferenceMilliseconds(started, now) > CHAMELEON_RESTART_RESET_MS)
				slot->backoff_ms = CHAMELEON_RESTART_MIN_MS;
			slot->restart_at = TimestampTzPlusMilliseconds(now, slot->backoff_ms);
			slot->backoff_ms = Min(slot->backoff_ms * 2, CHAMELEON_RESTART_MAX_MS);
			slot->restarts++;
		}
	}
	LWLockRelease(ChameleonShmem->lock);
	AttachedSlot = NULL;

	ConditionVariableBroadcast(&ChameleonShmem->slot_exit_cv);
	wake_launcher();
}

/*
 * Attach the calling worker to its slot.  false when the slot is no longer
 * ours (stopped meanwhile, or a newer launch): the worker exits quietly.
 */
bool
chameleon_slot_attach(int index, const ChameleonWorkerArgs *args)
{
	ChameleonWorkerSlot *slot;
	bool		ok;

	chameleon_shmem_attach();
	if (index < 0 || index >= ChameleonShmem->nslots)
		elog(ERROR, "pg_chameleon worker slot %d out of range", index);
	LWLockAcquire(ChameleonShmem->lock, LW_EXCLUSIVE);
	slot = &ChameleonShmem->slots[index];
	ok = slot->in_use && slot->generation == args->generation &&
		slot->dboid == args->dboid && slot->source_id == args->source_id &&
		slot->pid == 0 && !slot->stop_requested;
	if (ok)
	{
		slot->pid = MyProcPid;
		slot->latch = MyLatch;
		slot->launching = false;
		SpinLockAcquire(&slot->mutex);
		slot->state = CHAMELEON_SLOT_STARTING;
		slot->started_at = GetCurrentTimestamp();
		slot->held_request = 0;
		SpinLockRelease(&slot->mutex);
		AttachedSlot = slot;
		AttachedGeneration = args->generation;
	}
	else if (slot->in_use && slot->generation == args->generation &&
			 slot->pid == 0 && slot->stop_requested)
		free_slot(slot);		/* stopped before we got here */
	LWLockRelease(ChameleonShmem->lock);

	if (ok)
		before_shmem_exit(detach_on_exit, (Datum) 0);
	ConditionVariableBroadcast(&ChameleonShmem->slot_exit_cv);
	return ok;
}

/* This exit ends the replica: free the slot instead of restarting. */
void
chameleon_slot_free_on_exit(void)
{
	FreeSlotOnExit = true;
}

bool
chameleon_slot_stop_requested(void)
{
	bool		stop;

	if (AttachedSlot == NULL)
		return false;
	LWLockAcquire(ChameleonShmem->lock, LW_SHARED);
	stop = AttachedSlot->stop_requested;
	LWLockRelease(ChameleonShmem->lock);
	return stop;
}

/* True once after a committed configuration change for this source. */
bool
chameleon_slot_take_config_changed(void)
{
	bool		changed;

	if (AttachedSlot == NULL)
		return false;
	LWLockAcquire(ChameleonShmem->lock, LW_EXCLUSIVE);
	changed = AttachedSlot->config_changed;
	AttachedSlot->config_changed = false;
	LWLockRelease(ChameleonShmem->lock);
	return changed;
}

void
chameleon_slot_set_state(ChameleonSlotState state)
{
	if (AttachedSlot == NULL)
		return;
	SpinLockAcquire(&AttachedSlot->mutex);
	AttachedSlot->state = state;
	SpinLockRelease(&AttachedSlot->mutex);
	if (state == CHAMELEON_SLOT_STREAMING)
	{
		/* a worker that streams again restarts quickly next time */
		LWLockAcquire(ChameleonShmem->lock, LW_EXCLUSIVE);
		AttachedSlot->backoff_ms = CHAMELEON_RESTART_MIN_MS;
		LWLockRelease(ChameleonShmem->lock);
	}
}

/* Remember the last error (NULL clears it). */
void
chameleon_slot_set_error(const char *message)
{
	TimestampTz now = GetCurrentTimestamp();

	if (AttachedSlot == NULL)
		return;
	SpinLockAcquire(&AttachedSlot->mutex);
	copy_text(AttachedSlot->last_error, message, CHAMELEON_ERROR_LEN);
	AttachedSlot->last_error_time = message ? now : 0;
	SpinLockRelease(&AttachedSlot->mutex);
}

void
chameleon_slot_report_read(const char *file, uint64 pos)
{
	if (AttachedSlot == NULL)
		return;
	SpinLockAcquire(&AttachedSlot->mutex);
	if (file != NULL && strcmp(AttachedSlot->read_file, file) != 0)
		copy_text(AttachedSlot->read_file, file, CHAMELEON_FILE_LEN);
	AttachedSlot->read_pos = pos;
	SpinLockRelease(&AttachedSlot->mutex);
}

/*
 * The source is alive (an event or a heartbeat arrived).  caught_up: all
 * that was read has been applied and committed, so the lag is at most the
 * time since now.
 */
void
chameleon_slot_report_heartbeat(bool caught_up)
{
	TimestampTz now = GetCurrentTimestamp();

	if (AttachedSlot == NULL)
		return;
	SpinLockAcquire(&AttachedSlot->mutex);
	AttachedSlot->last_heartbeat = now;
	if (caught_up)
		AttachedSlot->caught_up_at = now;
	SpinLockRelease(&AttachedSlot->mutex);
}

/* Record a rate sample at most once a second.  Caller holds the mutex. */
static void
add_rate_sample(ChameleonWorkerSlot *slot, TimestampTz now)
{
	int			last = (slot->rate_next + CHAMELEON_RATE_SAMPLES - 1) % CHAMELEON_RATE_SAMPLES;

	if (slot->rate[last].at != 0 &&
		TimestampDifferenceMilliseconds(slot->rate[last].at, now) < 1000)
		return;
	slot->rate[slot->rate_next].at = now;
	slot->rate[slot->rate_next].rows = slot->rows_applied;
	slot->rate_next = (slot->rate_next + 1) % CHAMELEON_RATE_SAMPLES;
}

/*
 * After a commit: the applied position and what the batch applied.  Only
 * committed state is reported, so chameleon.status never runs ahead of
 * t_replica_batch.
 */
void
chameleon_slot_report_commit(const char *file, uint64 pos, const char *gtid,
							 TimestampTz source_commit_time,
							 uint64 xacts, uint64 rows, bool caught_up)
{
	TimestampTz now = GetCurrentTimestamp();

	if (AttachedSlot == NULL)
		return;
	SpinLockAcquire(&AttachedSlot->mutex);
	if (file != NULL)
		copy_text(AttachedSlot->applied_file, file, CHAMELEON_FILE_LEN);
	AttachedSlot->applied_pos = pos;
	if (gtid != NULL)
		copy_text(AttachedSlot->applied_gtid, gtid, CHAMELEON_GTID_LEN);
	if (source_commit_time != 0)
		AttachedSlot->last_commit_time = source_commit_time;
	AttachedSlot->xacts_applied += xacts;
	AttachedSlot->rows_applied += rows;
	if (caught_up)
		AttachedSlot->caught_up_at = now;
	add_rate_sample(AttachedSlot, now);
	SpinLockRelease(&AttachedSlot->mutex);
}

/* ---------------------------------------------------------------------
 * Holding a worker at a position (verify_tables)
 * ---------------------------------------------------------------------
 */

/* The hold asked of slot is met at file:pos.  Caller holds the mutex. */
static bool
hold_met(const ChameleonWorkerSlot *slot, const char *file, uint64 pos)
{
	return slot->hold_owner != 0 &&
		(slot->hold_anywhere ||
		 chameleon_binlog_position_cmp(file, pos, slot->hold_file, slot->hold_pos) >= 0);
}

/* The attached worker of (dboid, source_id), or NULL; no lock held after. */
static ChameleonWorkerSlot *
running_slot(Oid dboid, int32 source_id, uint32 *generation)
{
	ChameleonWorkerSlot *slot;

	LWLockAcquire(slots_lock(), LW_SHARED);
	slot = find_slot(dboid, source_id);
	if (slot != NULL && (slot->pid == 0 || slot->latch == NULL))
		slot = NULL;
	if (slot != NULL)
		*generation = slot->generation;
	LWLockRelease(ChameleonShmem->lock);
	return slot;
}

static bool
slot_still_runs(ChameleonWorkerSlot *slot, uint32 generation)
{
	bool		runs;

	LWLockAcquire(ChameleonShmem->lock, LW_SHARED);
	runs = slot->in_use && slot->generation == generation && slot->pid != 0;
	LWLockRelease(ChameleonShmem->lock);
	return runs;
}

bool
chameleon_worker_hold(Oid dboid, int32 source_id, const char *file, uint64 pos,
					  int timeout_ms, char *held_file, uint64 *held_pos)
{
	uint32		generation;
	ChameleonWorkerSlot *slot = running_slot(dboid, source_id, &generation);
	TimestampTz start = GetCurrentTimestamp();
	uint32		request = 0;
	pid_t		other;

	if (slot == NULL)
		return false;
	SpinLockAcquire(&slot->mutex);
	other = slot->hold_owner;
	if (other == 0 || other == MyProcPid)
	{
		slot->hold_owner = MyProcPid;
		slot->hold_owner_latch = MyLatch;
		request = ++slot->hold_request;
		if (request == 0)
			request = ++slot->hold_request;
		slot->hold_anywhere = file == NULL;
		copy_text(slot->hold_file, file, CHAMELEON_FILE_LEN);
		slot->hold_pos = pos;
	}
	SpinLockRelease(&slot->mutex);
	if (other != 0 && other != MyProcPid)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("another session is verifying this replica"),
				 errdetail("Process %d holds its apply worker.", (int) other),
				 errhint("Wait for it to finish, then try again.")));
	SetLatch(slot->latch);

	for (;;)
	{
		bool		held;

		SpinLockAcquire(&slot->mutex);
		held = slot->held_request == request;
		if (held)
		{
			strlcpy(held_file, slot->held_file, CHAMELEON_FILE_LEN);
			*held_pos = slot->held_pos;
		}
		SpinLockRelease(&slot->mutex);
		if (held)
			return true;
		if (!slot_still_runs(slot, generation) ||
			TimestampDifferenceExceeds(start, GetCurrentTimestamp(), timeout_ms))
		{
			chameleon_worker_release(dboid, source_id);
			return false;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

void
chameleon_worker_release(Oid dboid, int32 source_id)
{
	ChameleonWorkerSlot *slot;
	Latch	   *latch = NULL;

	LWLockAcquire(slots_lock(), LW_SHARED);
	slot = find_slot(dboid, source_id);
	if (slot != NULL)
	{
		SpinLockAcquire(&slot->mutex);
		if (slot->hold_owner == MyProcPid)
		{
			slot->hold_owner = 0;
			slot->hold_owner_latch = NULL;
			latch = slot->latch;
		}
		SpinLockRelease(&slot->mutex);
		if (latch != NULL)
			SetLatch(latch);
	}
	LWLockRelease(ChameleonShmem->lock);
}

bool
chameleon_slot_hold_wanted(const char *file, uint64 pos)
{
	bool		wanted;

	if (AttachedSlot == NULL || file == NULL)
		return false;
	SpinLockAcquire(&AttachedSlot->mutex);
	wanted = hold_met(AttachedSlot, file, pos);
	SpinLockRelease(&AttachedSlot->mutex);
	return wanted;
}

/*
 * Answer every request met at file:pos while one is; a request for a later
 * position (or none) ends the wait.  A holder that vanished is let go after
 * CHAMELEON_HOLD_MAX_MS.
 */
void
chameleon_slot_hold(const char *file, uint64 pos)
{
	ChameleonWorkerSlot *slot = AttachedSlot;
	TimestampTz start = GetCurrentTimestamp();

	if (slot == NULL)
		return;
	pgstat_report_activity(STATE_RUNNING, "pg_chameleon: held for verify_tables");
	for (;;)
	{
		Latch	   *owner_latch = NULL;
		bool		go_on;
		bool		expired = TimestampDifferenceExceeds(start, GetCurrentTimestamp(),
														 CHAMELEON_HOLD_MAX_MS);

		SpinLockAcquire(&slot->mutex);
		if (expired)
			slot->hold_owner = 0;
		go_on = !hold_met(slot, file, pos);
		if (go_on)
			slot->held_request = 0;
		else if (slot->held_request != slot->hold_request)
		{
			slot->held_request = slot->hold_request;
			copy_text(slot->held_file, file, CHAMELEON_FILE_LEN);
			slot->held_pos = pos;
			owner_latch = slot->hold_owner_latch;
		}
		SpinLockRelease(&slot->mutex);
		if (owner_latch != NULL)
			SetLatch(owner_latch);
		if (expired)
			ereport(WARNING,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("pg_chameleon: a verify_tables hold lasted more than %d s; the replica goes on",
							CHAMELEON_HOLD_MAX_MS / 1000)));
		if (go_on || chameleon_slot_stop_requested())
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	SpinLockAcquire(&slot->mutex);
	slot->held_request = 0;
	SpinLockRelease(&slot->mutex);
	pgstat_report_activity(STATE_RUNNING, "pg_chameleon: applying");
}

/* ---------------------------------------------------------------------
 * Monitoring
 * ---------------------------------------------------------------------
 */

const char *
chameleon_slot_state_name(ChameleonSlotState state)
{
	switch (state)
	{
		case CHAMELEON_SLOT_STARTING:
			return "starting";
		case CHAMELEON_SLOT_STREAMING:
			return "streaming";
		case CHAMELEON_SLOT_RECONNECTING:
			return "reconnecting";
		case CHAMELEON_SLOT_ERROR:
			return "error";
		case CHAMELEON_SLOT_STOPPING:
			return "stopping";
	}
	return "unknown";
}

/* Rows per second over the last minute from a slot's samples, or -1. */
static double
rate_last_minute(const ChameleonWorkerSlot *slot, TimestampTz now)
{
	const ChameleonRateSample *oldest = NULL;
	long		ms;

	for (int i = 0; i < CHAMELEON_RATE_SAMPLES; i++)
	{
		const ChameleonRateSample *s = &slot->rate[i];

		if (s->at == 0 || TimestampDifferenceMilliseconds(s->at, now) > 60000)
			continue;
		if (oldest == NULL || s->at < oldest->at)
			oldest = s;
	}
	if (oldest == NULL)
		return -1;
	ms = TimestampDifferenceMilliseconds(oldest->at, now);
	if (ms < 1000)
		return -1;
	return (double) (slot->rows_applied - oldest->rows) * 1000.0 / ms;
}

/*
 * Copies of the slots in use of one database, taken under the shared lock
 * (and each slot's spinlock), palloc'd.
 */
ChameleonSlotView *
chameleon_slots_snapshot(Oid dboid, int *count)
{
	ChameleonSlotView *views;
	TimestampTz now = GetCurrentTimestamp();
	int			n = 0;

	views = palloc0(sizeof(ChameleonSlotView) * chameleon_max_workers);
	LWLockAcquire(slots_lock(), LW_SHARED);
	for (int i = 0; i < ChameleonShmem->nslots; i++)
	{
		ChameleonWorkerSlot *slot = &ChameleonShmem->slots[i];
		ChameleonSlotView *v;

		if (!slot->in_use || slot->dboid != dboid)
			continue;
		v = &views[n++];
		SpinLockAcquire(&slot->mutex);
		memcpy(&v->slot, slot, sizeof(ChameleonWorkerSlot));
		v->rows_per_second = rate_last_minute(slot, now);
		SpinLockRelease(&slot->mutex);
	}
	LWLockRelease(ChameleonShmem->lock);
	*count = n;
	return views;
}

/* ---------------------------------------------------------------------
 * Wake workers at commit
 * ---------------------------------------------------------------------
 */

static void
wake_pending(void)
{
	ListCell   *lc;

	LWLockAcquire(slots_lock(), LW_EXCLUSIVE);
	foreach(lc, pending_wakeups)
	{
		PendingWakeup *w = (PendingWakeup *) lfirst(lc);
		ChameleonWorkerSlot *slot = find_slot(w->dboid, w->source_id);

		if (slot == NULL)
			continue;
		slot->config_changed = true;
		if (slot->latch != NULL)
			SetLatch(slot->latch);
	}
	LWLockRelease(ChameleonShmem->lock);
}

static void
wakeup_xact_callback(XactEvent event, void *arg)
{
	if (pending_wakeups == NIL)
		return;
	if (event == XACT_EVENT_COMMIT)
		wake_pending();
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		list_free_deep(pending_wakeups);
		pending_wakeups = NIL;
	}
}

/*
 * The current transaction changes what a source's worker must know (its
 * config, its tables): when it commits, tell the worker to reload at its
 * next transaction boundary.  Nothing happens if the transaction aborts.
 */
void
chameleon_worker_wakeup_at_commit(Oid dboid, int32 source_id)
{
	MemoryContext old;
	PendingWakeup *w;
	ListCell   *lc;

	if (!xact_callback_registered)
	{
		RegisterXactCallback(wakeup_xact_callback, NULL);
		xact_callback_registered = true;
	}
	foreach(lc, pending_wakeups)
	{
		w = (PendingWakeup *) lfirst(lc);
		if (w->dboid == dboid && w->source_id == source_id)
			return;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	w = palloc(sizeof(PendingWakeup));
	w->dboid = dboid;
	w->source_id = source_id;
	pending_wakeups = lappend(pending_wakeups, w);
	MemoryContextSwitchTo(old);
}
