/*
 * copy_leader.c -- the leader of init_replica's copy ("pg_chameleon copy").
 *
 * One per source being copied, holding the source's init lock (copy.c,
 * chameleon_copy_lock) for its whole life, so that one copy of a source
 * runs at a time.  Started by init_replica's session (copy_launch.c) with a
 * segment for its request, its result and a message queue (every NOTICE,
 * WARNING and the ERROR of the leader go there, and the session raises them
 * as its own), or by the launcher after a restart, attached to nothing.
 *
 *   1. the plan (a new copy): chameleon_copy_plan() in one transaction --
 *      a failure there leaves nothing behind;
 *   2. the copy: ranges left by a previous leader in flight go back to
 *      pending, then copy_workers copy workers (copy_worker.c) are kept
 *      running while ranges are pending.  A worker that fails on a
 *      connection, a cancel or a shutdown gets its range back and is
 *      started again (a few times while no row is gained); one that fails on
 *      the data (on_error: stop) fails the copy.  Every copy_progress_interval
 *      a progress NOTICE; each table copied or failed is said once;
 *   3. the finish: chameleon_copy_finish() sets the stream's start.
 * A failure leaves the source "initialising" with its last_error: nothing
 * committed is lost, and init_replica() (or the launcher, after a restart)
 * resumes it.  On any exit the leader stops its workers and waits for them,
 * so a new leader never meets a worker of the old one.
 */
#include "postgres.h"

#include "access/xact.h"
#include "libpq/pqmq.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/shm_mq.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "config.h"
#include "copy.h"
#include "copy_workers.h"
#include "progress.h"
#include "transaction.h"
#include "worker_log.h"

/*
 * Worker failures in a row, with no row gained, before the copy gives up;
 * the n-th waits n * 2 s (at most 30 s) before a new worker starts: about
 * three minutes for MySQL to come back.
 */
#define MAX_FAILURES	10
#define RETRY_STEP_MS	2000
#define RETRY_MAX_MS	30000
/* How long the leader sleeps between two looks at its workers (ms). */
#define LEADER_NAP_MS	200

typedef struct LeaderRun
{
	ChameleonInitShared *init;	/* NULL: resumed by the launcher */
	MemoryContext cxt;
	ChameleonConfig *cfg;
	int32		source_id;
	char	   *source_name;
	bool		locked;
	ChameleonCopyPool *pool;
	int			failures;
	char	   *last_failure;
	TimestampTz next_launch;
	int64		rows_seen;
	int64		rows_at_start;	/* committed by an earlier run (a resumed copy) */
	List	   *announced;		/* tables whose end is reported */
	TimestampTz started;
	TimestampTz last_report;
} LeaderRun;

static LeaderRun *ActiveLeader = NULL;

/* ---------------------------------------------------------------------
 * Copy workers
 * ---------------------------------------------------------------------
 */

static void
leader_exit_callback(int code, Datum arg)
{
	if (ActiveLeader != NULL)
		chameleon_copy_pool_stop(ActiveLeader->pool);
}

/* A worker has exited unfinished: a failure on the data fails the copy. */
static void
worker_failed(LeaderRun *run, const ChameleonCopyWorkerResult *w)
{
	if (w->failed && !w->retryable)
		ereport(ERROR,
				(errcode(w->sqlerrcode),
				 errmsg("the copy of MySQL database \"%s\" stopped: %s", run->source_name,
						w->message),
				 w->detail[0] ? errdetail("%s", w->detail) : 0,
				 errhint("%s%sThen run chameleon.init_replica() again: it resumes the copy.",
						 w->hint, w->hint[0] ? " " : "")));
	MemoryContextSwitchTo(run->cxt);
	run->failures++;
	run->last_failure = pstrdup(w->started ? w->message : "the copy worker did not start");
	run->next_launch = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												   Min(RETRY_STEP_MS * run->failures,
													   RETRY_MAX_MS));
	/* in the server log in any case; to the caller too when one waits */
	ereport(run->init != NULL ? NOTICE : LOG,
			(errmsg("a copy worker of \"%s\" stopped (%s); its slice in flight is copied again",
					run->source_name, run->last_failure)));
	if (run->init != NULL)
		ereport(chameleon_state_log_level,
				(errmsg("a copy worker of \"%s\" stopped (%s); its slice in flight is copied again",
						run->source_name, run->last_failure)));
}

static void
check_workers(LeaderRun *run)
{
	ChameleonCopyWorkerResult *w;

	while ((w = chameleon_copy_pool_reap(run->pool)) != NULL)
		worker_failed(run, w);
	MemoryContextSwitchTo(run->cxt);
}

/* Keep copy_workers running while ranges wait for one. */
static void
launch_workers(LeaderRun *run, const ChameleonCopyTotals *totals)
{
	int			pending = totals->ranges - totals->ranges_done - totals->ranges_copying;
	int			running = chameleon_copy_pool_running(run->pool);
	int			started = 0;

	if (pending <= 0 || GetCurrentTimestamp() < run->next_launch)
		return;
	for (int i = 0; i < run->pool->shared->nworkers && started < pending; i++)
	{
		if (run->pool->handles[i] != NULL)
			continue;
		if (!chameleon_copy_pool_launch(run->pool, i))
		{
			if (running + started == 0)
				ereport(ERROR,
						(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
						 errmsg("could not start a copy worker for MySQL database \"%s\"",
								run->source_name),
						 errdetail("Every background worker slot is taken."),
						 errhint("Raise max_worker_processes (a server restart is needed; the copy needs copy_workers + 1 of them), then run chameleon.init_replica() again: it resumes the copy.")));
			ereport(NOTICE,
					(errmsg("only %d of %d copy workers could start for \"%s\"",
							running + started, run->pool->shared->nworkers, run->source_name),
					 errhint("Raise max_worker_processes for more.")));
			break;
		}
		started++;
	}
}

/* ---------------------------------------------------------------------
 * Reports
 * ---------------------------------------------------------------------
 */

static bool
announced(LeaderRun *run, const char *table)
{
	ListCell   *lc;

	foreach(lc, run->announced)
		if (strcmp((char *) lfirst(lc), table) == 0)
			return true;
	return false;
}

/* Say once that a table is copied or failed. */
static void
announce_tables(LeaderRun *run, bool quiet)
{
	ListCell   *lc;

	foreach(lc, chameleon_catalog_table_reports(run->source_id))
	{
		ChameleonTableReport *r = lfirst(lc);
		bool		copied = strcmp(r->state, "copied") == 0;
		bool		failed = strcmp(r->state, "error") == 0;
		double		secs;

		if ((!copied && !failed) || announced(run, r->mysql_table))
			continue;
		{
			MemoryContext old = MemoryContextSwitchTo(run->cxt);

			run->announced = lappend(run->announced, pstrdup(r->mysql_table));
			MemoryContextSwitchTo(old);
		}
		if (quiet)
			continue;
		if (failed)
		{
			ereport(WARNING,
					(errmsg("table \"%s\" was not copied: %s", r->mysql_table,
							r->last_error ? r->last_error : "unknown error"),
					 errhint("The row is in chameleon.errors; fix it in MySQL, then copy the table with chameleon.sync_tables().")));
			continue;
		}
		secs = chameleon_copy_table_seconds(run->source_id, r->mysql_table);
		ereport(NOTICE,
				(errmsg("copied table \"%s\": " INT64_FORMAT " rows in %.1f s (%.0f rows/s)",
						r->mysql_table, r->copied_rows, secs,
						secs > 0 ? r->copied_rows / secs : (double) r->copied_rows)));
	}
}

/* Rows read but not committed yet, from the workers' progress slots. */
static int64
rows_in_flight(LeaderRun *run)
{
	ChameleonProgressRow *rows;
	int			n = chameleon_progress_snapshot(&rows);
	int64		sum = 0;

	for (int i = 0; i < n; i++)
		if (rows[i].dboid == MyDatabaseId && strcmp(rows[i].source, run->source_name) == 0 &&
			rows[i].pid != MyProcPid)
			sum += Max(rows[i].table_rows_copied - rows[i].table_rows_base, 0);
	pfree(rows);
	return sum;
}

static void
report_progress(LeaderRun *run, const ChameleonCopyTotals *totals)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		rows;
	double		secs;
	double		rate;
	int64		estimate;

	if (chameleon_copy_progress_interval <= 0 ||
		!TimestampDifferenceExceeds(run->last_report, now, chameleon_copy_progress_interval))
		return;
	run->last_report = now;
	rows = totals->rows_copied + rows_in_flight(run);
	estimate = Max(totals->rows_estimated, rows);
	secs = (now - run->started) / 1000000.0;
	rate = secs > 0 ? (rows - run->rows_at_start) / secs : 0;
	ereport(NOTICE,
			(errmsg("copy of \"%s\": " INT64_FORMAT " of about " INT64_FORMAT " rows (%d%%), %d of %d tables, %d copy workers, %.0f rows/s, about %.0f s left",
					run->source_name, rows, estimate,
					estimate > 0 ? (int) (rows * 100 / estimate) : 100,
					list_length(run->announced),
					list_length(chameleon_catalog_table_reports(run->source_id)),
					chameleon_copy_pool_running(run->pool), rate,
					rate > 0 ? (estimate - rows) / rate : 0.0)));
}

/* ---------------------------------------------------------------------
 * The steps
 * ---------------------------------------------------------------------
 */

static void
copy_all_ranges(LeaderRun *run)
{
	ChameleonCopyTotals totals;

	chameleon_xact_begin();
	/* this leader holds the source's lock: no other copy worker runs */
	chameleon_copy_ranges_release(run->source_id, 0);
	announce_tables(run, true);
	chameleon_copy_progress_totals(run->source_id, &totals);
	run->rows_at_start = run->rows_seen = totals.rows_copied;
	chameleon_xact_commit();
	MemoryContextSwitchTo(run->cxt);
	{
		ChameleonCopyPoolRequest req = {
			.source_id = run->source_id,
			.source_name = run->source_name,
			.config_path = run->cfg->path,
			.nworkers = run->cfg->copy_workers,
		};

		run->pool = chameleon_copy_pool_create(run->cxt, &req);
	}
	run->started = run->last_report = GetCurrentTimestamp();

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		check_workers(run);
		chameleon_xact_begin();
		chameleon_copy_progress_totals(run->source_id, &totals);
		announce_tables(run, false);
		report_progress(run, &totals);
		chameleon_xact_commit();
		MemoryContextSwitchTo(run->cxt);
		if (totals.ranges_done == totals.ranges && chameleon_copy_pool_running(run->pool) == 0)
			break;
		if (totals.rows_copied > run->rows_seen)
		{
			run->rows_seen = totals.rows_copied;
			run->failures = 0;
		}
		if (run->failures >= MAX_FAILURES && chameleon_copy_pool_running(run->pool) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("the copy of MySQL database \"%s\" stopped: %s", run->source_name,
							run->last_failure),
					 errdetail("%d copy workers in a row failed without copying a row.",
							   MAX_FAILURES),
					 errhint("Fix the cause, then run chameleon.init_replica() again: it resumes the copy.")));
		launch_workers(run, &totals);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 LEADER_NAP_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* Step 1, or the source to resume: sets run->cfg, source_id, source_name. */
static void
plan_or_load(LeaderRun *run)
{
	ChameleonInitShared *init = run->init;

	chameleon_xact_begin();
	MemoryContextSwitchTo(run->cxt);
	if (run->source_id == 0)
	{
		run->cfg = chameleon_config_load(init->config_path);
		chameleon_worker_set_log_level(run->cfg);
		run->source_name = pstrdup(run->cfg->source_name);
		if (!chameleon_copy_lock(run->source_name, false))
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("init_replica is already running for MySQL database \"%s\"",
							run->source_name),
					 errhint("chameleon.init_replica() waits for it. To start over, stop it first: pg_terminate_backend() of its \"pg_chameleon copy\" process (pg_stat_activity.backend_type), then init_replica(force => true).")));
		run->locked = true;
		pgstat_report_activity(STATE_RUNNING, "pg_chameleon: creating the tables");
		run->source_id = chameleon_copy_plan(run->cfg, init->force);
	}
	else
	{
		ChameleonSource *src = chameleon_source_by_id(run->source_id, false);

		if (src == NULL || strcmp(src->state, "initialising") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("there is no unfinished copy to resume")));
		run->source_name = pstrdup(src->name);
		if (!chameleon_copy_lock(run->source_name, false))
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("init_replica is already running for MySQL database \"%s\"",
							run->source_name)));
		run->locked = true;
		run->cfg = chameleon_config_load(src->config_path);
		chameleon_worker_set_log_level(run->cfg);
		ereport(NOTICE,
				(errmsg("resuming the copy of MySQL database \"%s\" from its committed slices",
						run->source_name)));
	}
	chameleon_xact_commit();
	MemoryContextSwitchTo(run->cxt);
	if (init != NULL)
	{
		init->planned_source_id = run->source_id;
		pg_write_barrier();
		init->planned = true;
	}
}

static void
run_leader(LeaderRun *run)
{
	char	   *summary;

	plan_or_load(run);
	pgstat_report_activity(STATE_RUNNING, "pg_chameleon: copying");
	copy_all_ranges(run);
	chameleon_xact_begin();
	summary = chameleon_copy_finish(run->cfg, run->source_id);
	chameleon_xact_commit();
	ereport(chameleon_state_log_level,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon: %s", summary)));
	if (run->init != NULL)
		strlcpy(run->init->summary, summary, sizeof(run->init->summary));
}

/* After a failure: the source keeps its state, with the error to show. */
static void
remember_failure(LeaderRun *run, ErrorData *edata)
{
	if (run->source_id == 0 || !run->locked)
		return;
	PG_TRY();
	{
		chameleon_xact_begin();
		if (chameleon_source_by_id(run->source_id, false) != NULL)
			chameleon_source_set_state(run->source_id, "initialising", edata->message, false);
		chameleon_xact_commit();
	}
	PG_CATCH();
	{
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
	}
	PG_END_TRY();
}

void
chameleon_copy_leader_main(Datum main_arg)
{
	dsm_segment *seg = NULL;
	LeaderRun	run;
	Oid			dboid;
	Oid			roleid = InvalidOid;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	memset(&run, 0, sizeof(run));
	if (DatumGetUInt32(main_arg) != 0)
	{
		shm_mq	   *mq;

		seg = dsm_attach(DatumGetUInt32(main_arg));
		if (seg == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("pg_chameleon copy: the request is gone")));
		run.init = dsm_segment_address(seg);
		mq = (shm_mq *) CHAMELEON_INIT_QUEUE(run.init);
		shm_mq_set_sender(mq, MyProc);
		pq_redirect_to_shm_mq(seg, shm_mq_attach(mq, seg, NULL));
		dboid = run.init->dboid;
		roleid = run.init->roleid;
		run.source_id = run.init->source_id;
	}
	else
	{
		memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
		memcpy(&run.source_id, MyBgworkerEntry->bgw_extra + sizeof(Oid), sizeof(int32));
	}

	BackgroundWorkerInitializeConnectionByOid(dboid, roleid, 0);
	chameleon_worker_session_settings();
	if (run.init != NULL)
		SetConfigOption("pg_chameleon.copy_progress_interval",
						psprintf("%d", run.init->progress_interval), PGC_SUSET, PGC_S_OVERRIDE);

	run.cxt = AllocSetContextCreate(TopMemoryContext, "pg_chameleon copy leader",
									ALLOCSET_DEFAULT_SIZES);
	ActiveLeader = &run;
	before_shmem_exit(leader_exit_callback, (Datum) 0);
	PG_TRY();
	{
		run_leader(&run);
		if (run.init != NULL)
			run.init->done = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(run.cxt);
		edata = CopyErrorData();
		AbortOutOfAnyTransaction();
		chameleon_copy_pool_stop(run.pool);
		remember_failure(&run, edata);
		if (run.init != NULL)
		{
			run.init->failed = true;
			run.init->done = true;
		}
		pg_write_barrier();
		/* to the session that waits (the queue) and to the log */
		EmitErrorReport();
		FlushErrorState();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	chameleon_copy_pool_stop(run.pool);
	ActiveLeader = NULL;
	if (run.locked)
		chameleon_copy_unlock(run.source_name);
	proc_exit(0);
}

bool
chameleon_copy_leader_start(dsm_segment *seg, Oid dboid, int32 source_id, const char *name,
							pid_t notify_pid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker bgw;

	chameleon_bgw_init(&bgw, "chameleon_copy_leader_main", "pg_chameleon copy",
					   psprintf("pg_chameleon copy of replica %s", name));
	/* the request: in the segment, else the source to resume in bgw_extra */
	bgw.bgw_main_arg = UInt32GetDatum(seg ? dsm_segment_handle(seg) : 0);
	memcpy(bgw.bgw_extra, &dboid, sizeof(Oid));
	memcpy(bgw.bgw_extra + sizeof(Oid), &source_id, sizeof(int32));
	bgw.bgw_notify_pid = notify_pid;
	return RegisterDynamicBackgroundWorker(&bgw, handle);
}
