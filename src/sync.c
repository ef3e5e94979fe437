/*
 * sync.c -- the sync worker: sync_tables and add_tables of one source.
 *
 * A short-lived background worker started by api_sync.c for one request
 * (see sync.h).  It copies the requested tables from a new consistent MySQL
 * snapshot while the apply worker keeps streaming the other tables, then
 * brings them into the stream without losing or repeating a change.
 *
 * Positions.  A binlog position (file, offset) orders by file number (the
 * longer name is the later one, then the name) and then by offset, as
 * apply.c compares them.  Every replicated table has a skip-until position:
 * t_replica_tables.snapshot_file/snapshot_position.  The apply worker
 * applies a row event of a table only when its position is at or after
 * the table's skip-until position (apply.c before_snapshot); the table
 * already holds every change before it.
 *
 * The sequence, each step its own transaction:
 *   1. the tables become "syncing" (add_tables: new t_replica_tables rows);
 *      the apply worker skips the rows of a table in any state other than
 *      copied/streaming, and never opens it;
 *   2. if one of them was being streamed and the apply worker runs, stop
 *      the worker at a transaction boundary and start it again: it reads
 *      t_replica_tables when its session starts, so from now on it skips
 *      the tables and takes no lock on them (it would otherwise block on
 *      the copy's lock, or apply rows to a table being replaced);
 *   3. copy: each table dropped and created again from the MySQL
 *      definition (same type map as init_replica) and its ranges planned,
 *      committed; then read in slices as a copy worker does
 *      (chameleon_copy_tables_here), each slice in a short MySQL transaction
 *      and a commit of its own, the table still syncing -- a table of an
 *      interrupted sync keeps its committed slices and resumes; its rows are
 *      consistent from the earliest slice position (its skip-until) and
 *      replayed idempotently up to the latest (its replay window, see
 *      apply_relation.c); P is the earliest of all.  Then, in the
 *      same transaction: lock the t_sources row (a start_replica meanwhile
 *      waits for us), stop the apply worker at a transaction boundary and
 *      read the position W it committed.
 *        W > P: the worker is past P, and the rows of the copied tables
 *          between P and W were skipped.  The source's position goes back
 *          to P (t_replica_batch, with the GTID position of the snapshot,
 *          and the replication origin), every other streamed table whose
 *          skip-until position is before W gets W (it has every change
 *          before W already), the copied tables get P.
 *        W <= P: the copied tables get P; nothing else changes.
 *      The tables become "copied"; commit;
 *   4. start the apply worker again (if it ran): it resumes from the
 *      source's position with the new table states.
 * No loss: a copied table has every change before P, and the stream
 * resumes at or before P and applies its rows from P on.  No duplicate:
 * its rows before P are skipped; another table's rows before W (which it
 * has) are skipped, and the worker applies nothing past W before the
 * rewind commits (it is stopped).  A failure marks the tables "error" (their
 * changes were skipped meanwhile; a new sync_tables resumes or repairs
 * them); add_tables' new rows are dropped only if it failed before its
 * tables were made (after that they stay, in error, for sync_tables).
 *
 * One sync per source at a time (an advisory lock, chameleon_sync_lock,
 * also taken by remove_tables).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "binlog.h"
#include "catalog.h"
#include "config.h"
#include "copy.h"
#include "copy_workers.h"
#include "position.h"
#include "subxact.h"
#include "sync.h"
#include "transaction.h"
#include "worker.h"
#include "worker_log.h"

/* Lock tag field 4 of our advisory lock: one sync per source. */
#define SYNC_LOCK_TAG		0x4353
/* How long to wait for the exiting apply worker to release the replication
 * origin before moving it. */
#define SYNC_ORIGIN_WAIT_MS	10000

/* A table of the request. */
typedef struct SyncTable
{
	char	   *name;
	char	   *old_state;		/* NULL: not in t_replica_tables before */
} SyncTable;

/* One request being carried out. */
typedef struct SyncRun
{
	ChameleonSyncShared *shared;
	MemoryContext cxt;			/* lives as long as the run */
	ChameleonSource *source;
	ChameleonConfig *cfg;
	List	   *tables;			/* SyncTable * */
	List	   *names;			/* char *, the same order */
	bool		worker_stopped; /* we stopped the apply worker: start it */
	char	   *restart_warning;	/* why the apply worker was not restarted */
	bool		planned;		/* the tables were made again (committed) */
	ChameleonCopyPool *pool;	/* copy workers beside our own copy */
	List	   *resumed;		/* char *: tables resuming an interrupted sync */
} SyncRun;

/* ---------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------
 */

static const char *
mode_verb(const SyncRun *run)
{
	return run->shared->mode == CHAMELEON_ADD_TABLES ? "add_tables" : "sync_tables";
}

/* ---------------------------------------------------------------------
 * The request
 * ---------------------------------------------------------------------
 */

void
chameleon_sync_lock(const char *source_name, int32 source_id, bool session)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) source_id, 0, SYNC_LOCK_TAG);
	if (LockAcquire(&tag, ExclusiveLock, session, true) == LOCKACQUIRE_NOT_AVAIL)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("a sync_tables, add_tables or remove_tables is running for replica \"%s\"",
						source_name),
				 errhint("Wait for it to finish, then try again.")));
}

char *
chameleon_sync_table_state(int32 source_id, const char *name, bool for_update)
{
	return chameleon_catalog_table_state(source_id, name, for_update);
}

void
chameleon_sync_check_table(ChameleonSyncMode mode, const char *source_name,
						   const char *table, const char *state)
{
	if (mode == CHAMELEON_SYNC_TABLES)
	{
		if (state == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table \"%s\" is not replicated by replica \"%s\"", table, source_name),
					 errhint("Use chameleon.add_tables() to start replicating it.")));
		if (strcmp(state, "removed") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table \"%s\" was removed from replica \"%s\"", table, source_name),
					 errhint("Use chameleon.add_tables() to replicate it again.")));
	}
	else if (state != NULL && strcmp(state, "removed") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("table \"%s\" is already replicated by replica \"%s\"", table, source_name),
				 errdetail("Its state is \"%s\".", state),
				 errhint("Use chameleon.sync_tables() to copy it again.")));
}

/* Read the source, its config and the tables' states (in a transaction). */
static void
load_request(SyncRun *run)
{
	ChameleonSyncShared *shared = run->shared;
	MemoryContext old = MemoryContextSwitchTo(run->cxt);
	ChameleonPosition pos;

	run->source = chameleon_source_by_id(shared->source_id, false);
	if (run->source == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the replica no longer exists")));
	if (strcmp(run->source->state, "initialising") == 0 ||
		strcmp(run->source->state, "detached") == 0 ||
		!chameleon_position_load(run->source->source_id, &pos))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replica \"%s\" is not initialised", run->source->name),
				 errdetail("Its state is \"%s\".", run->source->state),
				 errhint("Run chameleon.init_replica() first.")));
	chameleon_sync_lock(run->source->name, run->source->source_id, true);
	run->cfg = chameleon_config_load(run->source->config_path);
	chameleon_worker_set_log_level(run->cfg);

	for (int i = 0; i < shared->ntables; i++)
	{
		SyncTable  *t = palloc0(sizeof(SyncTable));

		t->name = pstrdup(chameleon_sync_table(shared, i));
		/* again: things may have changed since the SQL function checked */
		t->old_state = chameleon_sync_table_state(run->source->source_id, t->name, true);
		chameleon_sync_check_table(shared->mode, run->source->name, t->name, t->old_state);
		run->tables = lappend(run->tables, t);
		run->names = lappend(run->names, t->name);
	}
	MemoryContextSwitchTo(old);
}

/* Step 1: the tables become "syncing"; true if one was being streamed. */
static bool
mark_syncing(SyncRun *run)
{
	ListCell   *lc;
	bool		was_streamed = false;

	foreach(lc, run->tables)
	{
		SyncTable  *t = lfirst(lc);
		char	   *db,
				   *table;

		if (!chameleon_table_key_split(run->cfg, t->name, &db, &table))
			elog(ERROR, "table \"%s\" names no database of replica \"%s\"",
				 t->name, run->source->name);
		chameleon_catalog_table_syncing(run->source->source_id, t->name,
										chameleon_config_schema_of(run->cfg, db), table,
										t->old_state != NULL);
		if (t->old_state != NULL && (strcmp(t->old_state, "copied") == 0 ||
									 strcmp(t->old_state, "streaming") == 0))
			was_streamed = true;
	}
	return was_streamed;
}

/* After a failure: sync_tables' tables are in error, add_tables' are not added. */
static void
mark_failed(SyncRun *run, const char *message)
{
	ListCell   *lc;

	foreach(lc, run->tables)
	{
		SyncTable  *t = lfirst(lc);
		int32		source_id = run->source->source_id;

		/* once made again (committed), an added table stays, in error, for sync_tables */
		if (run->shared->mode == CHAMELEON_SYNC_TABLES || run->planned)
			chameleon_catalog_table_sync_failed(source_id, t->name, "error",
												psprintf("%s failed: %s", mode_verb(run), message));
		else
			chameleon_catalog_table_sync_failed(source_id, t->name,
												t->old_state == NULL ? NULL : "removed", NULL);
	}
}

/* ---------------------------------------------------------------------
 * The apply worker
 * ---------------------------------------------------------------------
 */

/* Stop the source's apply worker (if any) at a transaction boundary. */
static void
stop_apply_worker(SyncRun *run)
{
	while (chameleon_worker_stop(MyDatabaseId, run->source->source_id))
		run->worker_stopped = true;
}

/* Start the apply worker again if we stopped it (outside a transaction). */
static void
start_apply_worker(SyncRun *run)
{
	MemoryContext old = CurrentMemoryContext;

	if (!run->worker_stopped)
		return;
	run->worker_stopped = false;
	PG_TRY();
	{
		(void) chameleon_worker_start(MyDatabaseId, run->source->source_id);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(run->cxt);
		edata = CopyErrorData();
		FlushErrorState();
		MemoryContextSwitchTo(old);
		run->restart_warning = edata->message;
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pg_chameleon: could not start the apply worker of replica \"%s\" again",
						run->source->name),
				 errdetail("%s", edata->message),
				 errhint("Run chameleon.start_replica().")));
	}
	PG_END_TRY();
}

/* ---------------------------------------------------------------------
 * Joining the stream
 * ---------------------------------------------------------------------
 */

/* The t_sources row, locked: a start_replica meanwhile waits for our commit. */
static void
lock_source_row(const SyncRun *run)
{
	(void) chameleon_source_lock(run->source->source_id);
}

/*
 * Move the replication origin back to P.  The stopped worker frees its
 * slot before it gives the origin up, so the origin may still be busy for
 * a moment: retry.  The origin only mirrors t_replica_batch (the worker
 * resumes from t_replica_batch), so a failure is a WARNING.
 */
typedef struct OriginTarget
{
	const SyncRun *run;
	const char *file;
	uint64		pos;
} OriginTarget;

/* One attempt of set_origin(), for chameleon_run_in_subxact(). */
static void
set_origin_once(void *arg)
{
	OriginTarget *t = (OriginTarget *) arg;

	chameleon_origin_set(MyDatabaseId, t->run->source->source_id, t->file, t->pos);
}

static void
set_origin(const SyncRun *run, const char *file, uint64 pos)
{
	OriginTarget target = {run, file, pos};
	ErrorData  *edata = chameleon_run_in_subxact_while_in_use(set_origin_once, &target,
															  SYNC_ORIGIN_WAIT_MS);

	if (edata == NULL)
		return;
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("pg_chameleon: could not move the replication origin of replica \"%s\" back",
					run->source->name),
			 errdetail("%s", edata->message)));
}

/* W > P: the source goes back to P; the other streamed tables skip to W. */
static void
rewind_source(const SyncRun *run, const ChameleonSnapshot *snap, const ChameleonPosition *w)
{
	int32		source_id = run->source->source_id;

	chameleon_catalog_tables_skip_to(source_id, w->file, (int64) w->pos, run->names);
	chameleon_position_rewind(source_id, snap->binlog_file, snap->binlog_position, snap->gtid);
	set_origin(run, snap->binlog_file, (uint64) snap->binlog_position);
}

/* The copied tables join the stream at P. */
static void
mark_copied(const SyncRun *run, List *copied, const ChameleonSnapshot *snap)
{
	ListCell   *lc;

	foreach(lc, copied)
	{
		ChameleonCopiedTable *c = lfirst(lc);

		if (c->failed)
			continue;			/* in error already */
		chameleon_catalog_table_copied_window(run->source->source_id, c->name, c->rows,
											  c->binlog_file, c->binlog_position,
											  c->replay_file, c->replay_position,
											  c->deferred_indexes);
	}
}

/* Start copy_workers - 1 copy workers for the tables (as many as can start). */
static void
start_copy_helpers(SyncRun *run)
{
	ChameleonCopyPoolRequest req = {
		.source_id = run->source->source_id,
		.source_name = run->source->name,
		.config_path = run->cfg->path,
		.nworkers = run->cfg->copy_workers - 1,
		.for_sync = true,
		.tables = run->names,
	};

	if (req.nworkers <= 0)
		return;
	run->pool = chameleon_copy_pool_create(run->cxt, &req);
	for (int i = 0; i < req.nworkers; i++)
		if (!chameleon_copy_pool_launch(run->pool, i))
		{
			ereport(chameleon_state_log_level,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("pg_chameleon %s: %d of %d copy workers could start for replica \"%s\"",
							mode_verb(run), i + 1, run->cfg->copy_workers, run->source->name),
					 errhint("Raise max_worker_processes for more.")));
			break;
		}
}

/*
 * Wait until the helpers have exited; true if one left ranges unfinished
 * (given back: pending again).  A failure on the data fails the sync.
 */
static bool
wait_for_copy_helpers(SyncRun *run)
{
	bool		released = false;

	while (chameleon_copy_pool_running(run->pool) > 0)
	{
		ChameleonCopyWorkerResult *w;

		while ((w = chameleon_copy_pool_reap(run->pool)) != NULL)
		{
			if (w->failed && !w->retryable)
				ereport(ERROR,
						(errcode(w->sqlerrcode),
						 errmsg_internal("%s", w->message),
						 w->detail[0] ? errdetail_internal("%s", w->detail) : 0,
						 w->hint[0] ? errhint("%s", w->hint) : 0));
			released = true;
			ereport(chameleon_state_log_level,
					(errmsg("pg_chameleon %s: a copy worker of replica \"%s\" stopped (%s); its range is copied again from its last slice",
							mode_verb(run), run->source->name,
							w->started ? w->message : "it did not start")));
		}
		if (chameleon_copy_pool_running(run->pool) == 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 200, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	return released;
}

/*
 * Step 3, the plan and the copy, each slice its own commit (the tables stay
 * syncing: the apply worker skips them); tables of an interrupted sync
 * resume from their committed slices.  copy_workers - 1 copy workers claim
 * ranges beside this process; ranges a failed one leaves are ours.
 */
static void
plan_and_copy(SyncRun *run)
{
	MemoryContext old;

	pgstat_report_activity(STATE_RUNNING, "pg_chameleon sync: copying");
	chameleon_xact_begin();
	old = MemoryContextSwitchTo(run->cxt);
	run->resumed = chameleon_copy_sync_plan(run->cfg, run->source->source_id,
											 run->source->pg_schema, run->names);
	MemoryContextSwitchTo(old);
	chameleon_xact_commit();
	run->planned = true;
	start_copy_helpers(run);
	do
		chameleon_copy_tables_here(run->cfg->path, run->source->source_id, run->names);
	while (wait_for_copy_helpers(run));
	MemoryContextSwitchTo(old);
}

/* Step 3, then: stop the stream at W, join; returns the summary. */
static char *
copy_and_join(SyncRun *run)
{
	ChameleonSnapshot snap;
	ChameleonPosition w;
	List	   *copied;
	ListCell   *lc;
	int64		rows = 0;
	int			failed = 0;
	bool		rewound;
	StringInfoData s;

	copied = chameleon_copy_sync_result(run->cfg, run->source->source_id, run->names, &snap);

	pgstat_report_activity(STATE_RUNNING, "pg_chameleon sync: joining the stream");
	stop_apply_worker(run);
	lock_source_row(run);
	stop_apply_worker(run);		/* one started meanwhile waits for our row lock */

	/* read what the stopped worker committed */
	CommandCounterIncrement();
	PopActiveSnapshot();
	PushActiveSnapshot(GetTransactionSnapshot());
	memset(&w, 0, sizeof(w));
	if (!chameleon_position_load(run->source->source_id, &w))
		elog(ERROR, "source %d has no t_replica_batch row", (int) run->source->source_id);

	rewound = chameleon_binlog_position_cmp(w.file, w.pos, snap.binlog_file, (uint64) snap.binlog_position) > 0;
	if (rewound)
		rewind_source(run, &snap, &w);
	mark_copied(run, copied, &snap);

	foreach(lc, copied)
	{
		ChameleonCopiedTable *c = lfirst(lc);

		if (c->failed)
			failed++;
		else
			rows += c->rows;
	}
	initStringInfo(&s);
	appendStringInfo(&s, "%s %d table%s (" INT64_FORMAT " rows) of replica \"%s\" at binlog position %s:" INT64_FORMAT,
					 run->shared->mode == CHAMELEON_ADD_TABLES ? "added" : "copied again",
					 list_length(copied) - failed, list_length(copied) - failed == 1 ? "" : "s", rows,
					 run->source->name, snap.binlog_file, snap.binlog_position);
	if (rewound)
		appendStringInfo(&s, "; the stream went back from %s:" UINT64_FORMAT " to it",
						 w.file, w.pos);
	else
		appendStringInfo(&s, "; the stream was at %s:" UINT64_FORMAT, w.file, w.pos);
	if (failed > 0)
		appendStringInfo(&s, "; %d table%s in error (see chameleon.errors)", failed,
						 failed == 1 ? "" : "s");
	if (run->resumed != NIL)
		appendStringInfo(&s, "; %d resumed from the slices of an interrupted sync",
						 list_length(run->resumed));
	return MemoryContextStrdup(run->cxt, s.data);
}

/* ---------------------------------------------------------------------
 * Main
 * ---------------------------------------------------------------------
 */

/* The run of this process, for the exit callback. */
static SyncRun *ActiveRun = NULL;

/*
 * A sync worker that exits while it owes the apply worker a start (SIGTERM,
 * FATAL: no error recovery runs) hands the restart to the launcher.  The
 * tables it was copying stay "syncing" (skipped) until a new sync_tables.
 */
static void
sync_exit_callback(int code, Datum arg)
{
	if (ActiveRun != NULL)
		chameleon_copy_pool_stop(ActiveRun->pool);
	if (ActiveRun == NULL || !ActiveRun->worker_stopped || ActiveRun->source == NULL)
		return;
	LWLockReleaseAll();
	if (chameleon_slot_want(MyDatabaseId, ActiveRun->source->source_id))
		elog(chameleon_state_log_level, "pg_chameleon sync worker exits: the launcher restarts the apply worker of replica \"%s\"",
			 ActiveRun->source->name);
	ActiveRun->worker_stopped = false;
}

static void
report_error(ChameleonSyncShared *shared, ErrorData *edata)
{
	shared->failed = true;
	shared->sqlerrcode = edata->sqlerrcode;
	strlcpy(shared->message, edata->message ? edata->message : "unknown error",
			sizeof(shared->message));
	strlcpy(shared->detail, edata->detail ? edata->detail : "", sizeof(shared->detail));
	strlcpy(shared->hint, edata->hint ? edata->hint : "", sizeof(shared->hint));
}

/* Steps 3 and 4, cleaning up after a failure. */
static char *
join_or_clean_up(SyncRun *run)
{
	char	   *volatile summary = NULL;

	PG_TRY();
	{
		plan_and_copy(run);
		chameleon_xact_begin();
		summary = copy_and_join(run);
		chameleon_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(run->cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		chameleon_copy_pool_stop(run->pool);
		RESUME_INTERRUPTS();

		chameleon_xact_begin();
		mark_failed(run, edata->message);
		chameleon_xact_commit();
		start_apply_worker(run);
		ReThrowError(edata);
	}
	PG_END_TRY();
	start_apply_worker(run);
	return summary;
}

static void
run_request(SyncRun *run)
{
	bool		pause;
	char	   *summary;

	chameleon_xact_begin();
	load_request(run);
	pause = mark_syncing(run);
	chameleon_xact_commit();

	/* step 2: the running apply worker must see the tables syncing */
	if (pause)
	{
		stop_apply_worker(run);
		start_apply_worker(run);
	}
	summary = join_or_clean_up(run);
	if (run->restart_warning)
		summary = psprintf("%s; the apply worker could not be started again: %s",
						   summary, run->restart_warning);
	strlcpy(run->shared->summary, summary, sizeof(run->shared->summary));
	ereport(chameleon_state_log_level,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon %s: %s", mode_verb(run), summary)));
}

/* The tables of the source left "syncing" by an interrupted sync (char *). */
List *
chameleon_sync_interrupted_tables(int32 source_id)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, chameleon_catalog_table_reports(source_id))
	{
		ChameleonTableReport *r = lfirst(lc);

		if (strcmp(r->state, "syncing") == 0)
			names = lappend(names, r->mysql_table);
	}
	return names;
}

/*
 * The request of a sync worker started to resume an interrupted sync
 * (no caller, no segment): sync_tables of the tables left syncing, in our
 * own memory.
 */
static ChameleonSyncShared *
resume_request(Oid dboid, int32 source_id)
{
	List	   *names;
	ChameleonSyncShared *shared;
	ListCell   *lc;

	chameleon_xact_begin();
	names = chameleon_sync_interrupted_tables(source_id);
	shared = MemoryContextAllocZero(TopMemoryContext, CHAMELEON_SYNC_SHARED_SIZE(list_length(names)));
	shared->dboid = dboid;
	shared->source_id = source_id;
	shared->mode = CHAMELEON_SYNC_TABLES;
	shared->ntables = list_length(names);
	foreach(lc, names)
		strlcpy(chameleon_sync_table(shared, foreach_current_index(lc)), lfirst(lc),
				CHAMELEON_SYNC_NAME_LEN);
	chameleon_xact_commit();
	if (shared->ntables == 0)
		proc_exit(0);			/* resumed by someone else meanwhile */
	ereport(chameleon_state_log_level,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon: resuming an interrupted sync of %d table%s",
					shared->ntables, shared->ntables == 1 ? "" : "s")));
	return shared;
}

bool
chameleon_sync_resume_start(Oid dboid, int32 source_id, const char *name)
{
	BackgroundWorker bgw;
	BackgroundWorkerHandle *handle;

	chameleon_bgw_init(&bgw, "chameleon_sync_main", "pg_chameleon sync",
					   psprintf("pg_chameleon sync of replica %s", name));
	bgw.bgw_notify_pid = 0;
	/* no segment: the source in bgw_extra */
	bgw.bgw_main_arg = UInt32GetDatum(0);
	memcpy(bgw.bgw_extra, &dboid, sizeof(Oid));
	memcpy(bgw.bgw_extra + sizeof(Oid), &source_id, sizeof(int32));
	return RegisterDynamicBackgroundWorker(&bgw, &handle);
}

/* Carry the request out; its result (or error) goes to shared. */
static void
run_and_report(ChameleonSyncShared *shared)
{
	SyncRun		run;

	memset(&run, 0, sizeof(run));
	run.shared = shared;
	run.cxt = AllocSetContextCreate(TopMemoryContext, "pg_chameleon sync",
									ALLOCSET_DEFAULT_SIZES);
	ActiveRun = &run;
	before_shmem_exit(sync_exit_callback, (Datum) 0);
	PG_TRY();
	{
		run_request(&run);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(run.cxt);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		report_error(shared, edata);
		RESUME_INTERRUPTS();
		start_apply_worker(&run);
	}
	PG_END_TRY();
	ActiveRun = NULL;
}

/*
 * A sync worker: for the request in a segment (sync_tables or add_tables
 * waits for it), or, with no segment, to resume the sync a crash or a
 * shutdown interrupted (started by the launcher's resume worker).
 */
void
chameleon_sync_main(Datum main_arg)
{
	dsm_segment *seg = NULL;
	ChameleonSyncShared *shared;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (DatumGetUInt32(main_arg) != 0)
	{
		seg = dsm_attach(DatumGetUInt32(main_arg));
		if (seg == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("pg_chameleon sync worker: the request is gone")));
		shared = dsm_segment_address(seg);
		BackgroundWorkerInitializeConnectionByOid(shared->dboid, InvalidOid, 0);
	}
	else
	{
		Oid			dboid;
		int32		source_id;

		memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
		memcpy(&source_id, MyBgworkerEntry->bgw_extra + sizeof(Oid), sizeof(int32));
		BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
		shared = resume_request(dboid, source_id);
	}
	chameleon_worker_session_settings();
	/* the copy writes replicated tables: their guard must not fire (guard.c) */
	SetConfigOption("session_replication_role", "replica", PGC_SUSET, PGC_S_OVERRIDE);

	run_and_report(shared);

	pg_write_barrier();
	shared->done = true;
	if (seg != NULL)
		dsm_detach(seg);
	proc_exit(0);
}
