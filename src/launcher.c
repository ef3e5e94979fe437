/*
 * launcher.c -- the launcher: auto-resume and supervision of apply workers.
 *
 * Registered at server start when pg_chameleon is in shared_preload_libraries
 * (as pg_cron does).  It owns two jobs:
 *
 * Resume.  A background worker can connect to one database only, and
 * sources live in the t_sources table of whichever databases installed
 * the extension.  The launcher itself connects to no database (it can still
 * read the shared catalog pg_database), lists the databases that accept
 * connections, and runs one short-lived "pg_chameleon resume" worker per
 * database, one after the other.  Each resume worker connects to its
 * database, and if the extension is installed, claims a slot for every
 * source whose state is streaming or reconnecting, then exits.  No registry
 * outside the databases is kept, so nothing can disagree with t_sources.
 *
 * Supervision.  A slot whose worker died (any exit other than a requested
 * stop) carries a restart time set with capped exponential backoff
 * (slots.c); the launcher starts the worker when it is due, frees slots
 * whose database was dropped, and drops the replication origins those
 * databases left (every ORIGIN_CHECK_MS).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_replication_origin.h"
#include "replication/origin.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "copy_workers.h"
#include "subxact.h"
#include "sync.h"
#include "transaction.h"
#include "worker.h"

/* How long the launcher sleeps when nothing is due. */
#define LAUNCHER_NAP_MS		10000
/* How often the launcher looks for replication origins of dropped databases. */
#define ORIGIN_CHECK_MS		20000
/* Retry delay when no background worker slot was free for a resume worker. */
#define RESUME_RETRY_MS		1000

/* Launcher state: handles of the workers it started, by slot index. */
typedef struct LaunchedWorker
{
	BackgroundWorkerHandle *handle;
	uint32		generation;
} LaunchedWorker;

static LaunchedWorker *launched = NULL;
static bool resume_done = false;

void
chameleon_launcher_register(void)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 10;
	strlcpy(bgw.bgw_library_name, "pg_chameleon", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "chameleon_launcher_main", BGW_MAXLEN);
	strlcpy(bgw.bgw_name, "pg_chameleon launcher", BGW_MAXLEN);
	strlcpy(bgw.bgw_type, "pg_chameleon launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&bgw);
}

static void
launcher_on_exit(int code, Datum arg)
{
	LWLockAcquire(ChameleonShmem->lock, LW_EXCLUSIVE);
	if (ChameleonShmem->launcher_pid == MyProcPid)
	{
		ChameleonShmem->launcher_pid = 0;
		ChameleonShmem->launcher_latch = NULL;
	}
	LWLockRelease(ChameleonShmem->lock);
}

/* Oids of the databases a resume worker can connect to. */
static List *
list_databases(void)
{
	List	   *dbs = NIL;
	MemoryContext outer = CurrentMemoryContext;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();

	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;

		/* templates are skipped: a connection would block CREATE DATABASE */
		if (!db->datallowconn || db->datistemplate)
			continue;
#ifdef DATCONNLIMIT_INVALID_DB
		if (database_is_invalid_form(db))
			continue;
#endif
		old = MemoryContextSwitchTo(outer);
		dbs = lappend_oid(dbs, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	CommitTransactionCommand();
	MemoryContextSwitchTo(outer);
	return dbs;
}

static bool
database_exists(Oid dboid)
{
	bool		exists;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	exists = SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(dboid));
	CommitTransactionCommand();
	return exists;
}

/* One origin to drop, for chameleon_run_in_subxact(). */
static void
drop_origin(void *arg)
{
	replorigin_drop_by_name((const char *) arg, true, true);
}

/*
 * Replication origins of pg_chameleon (pg_chameleon_<database oid>_<source
 * id>) whose database was dropped: DROP DATABASE leaves them, and each holds
 * a replication state slot (max_replication_slots) until dropped.
 */
static void
drop_orphan_origins(void)
{
	MemoryContext outer = CurrentMemoryContext;
	List	   *orphans = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	ListCell   *lc;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(ReplicationOriginRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_replication_origin_roname,
									 RelationGetDescr(rel), &isnull);
		char	   *name;
		unsigned int dboid;
		int			source_id;

		if (isnull)
			continue;
		name = TextDatumGetCString(d);
		if (sscanf(name, "pg_chameleon_%u_%d", &dboid, &source_id) == 2 &&
			!SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum((Oid) dboid)))
		{
			MemoryContext old = MemoryContextSwitchTo(outer);

			orphans = lappend(orphans, pstrdup(name));
			MemoryContextSwitchTo(old);
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	foreach(lc, orphans)
	{
		ErrorData  *edata = chameleon_run_in_subxact(drop_origin, lfirst(lc));

		if (edata == NULL)
			ereport(LOG,
					(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
					 errmsg("pg_chameleon: dropped replication origin \"%s\": its database no longer exists",
							(char *) lfirst(lc))));
		else
			ereport(LOG,
					(errcode(edata->sqlerrcode),
					 errmsg("pg_chameleon: could not drop replication origin \"%s\" of a dropped database: %s",
							(char *) lfirst(lc), edata->message)));
	}
	CommitTransactionCommand();
	MemoryContextSwitchTo(outer);
}

/*
 * A resume worker for dboid; origins_only: it only drops the replication
 * origins of dropped databases (the launcher, connected to no database,
 * cannot read pg_replication_origin itself).
 */
static BackgroundWorkerHandle *
start_resume_worker(Oid dboid, bool origins_only)
{
	BackgroundWorker bgw;
	BackgroundWorkerHandle *handle;

	chameleon_bgw_init(&bgw, "chameleon_resume_main", "pg_chameleon resume",
					   psprintf("pg_chameleon resume for database %u", dboid));
	bgw.bgw_main_arg = ObjectIdGetDatum(dboid);
	memcpy(bgw.bgw_extra, &origins_only, sizeof(bool));

	if (!RegisterDynamicBackgroundWorker(&bgw, &handle))
		return NULL;
	return handle;
}

/* Every ORIGIN_CHECK_MS, a resume worker that drops orphan origins. */
static void
check_origins(TimestampTz *checked, BackgroundWorkerHandle **running)
{
	List	   *dbs;

	if (*running != NULL ||
		!TimestampDifferenceExceeds(*checked, GetCurrentTimestamp(), ORIGIN_CHECK_MS))
		return;
	*checked = GetCurrentTimestamp();
	dbs = list_databases();
	if (dbs != NIL)
		*running = start_resume_worker(linitial_oid(dbs), true);
	list_free(dbs);
}

/*
 * One step of resuming: keep one resume worker running until every database
 * was scanned.  Returns the next wait in ms it needs (or LAUNCHER_NAP_MS).
 */
static int
resume_step(List **pending, BackgroundWorkerHandle **running)
{
	pid_t		pid;

	if (*running != NULL)
	{
		if (GetBackgroundWorkerPid(*running, &pid) != BGWH_STOPPED)
			return LAUNCHER_NAP_MS; /* its exit sets our latch */
		pfree(*running);
		*running = NULL;
	}
	while (*pending != NIL && *running == NULL)
	{
		Oid			dboid = linitial_oid(*pending);

		*running = start_resume_worker(dboid, false);
		if (*running == NULL)
			return RESUME_RETRY_MS; /* no background worker slot: later */
		*pending = list_delete_first(*pending);
	}
	if (*pending == NIL && *running == NULL && !resume_done)
	{
		resume_done = true;
		ereport(DEBUG1,
				(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
				 errmsg("pg_chameleon launcher: every database scanned")));
	}
	return LAUNCHER_NAP_MS;
}

/* Forget handles of launched workers that have attached or failed. */
static void
check_launched(void)
{
	for (int i = 0; i < ChameleonShmem->nslots; i++)
	{
		pid_t		pid;

		if (launched[i].handle == NULL)
			continue;
		if (GetBackgroundWorkerPid(launched[i].handle, &pid) != BGWH_STOPPED)
			continue;
		/* no-op unless it stopped before attaching */
		chameleon_slot_launch_failed(i, launched[i].generation);
		pfree(launched[i].handle);
		launched[i].handle = NULL;
	}
}

/* Start every worker that is due; returns the ms until the next is due. */
static int
launch_due_workers(void)
{
	int			wait_ms = LAUNCHER_NAP_MS;
	int			index;
	Oid			dboid;

	check_launched();
	while ((index = chameleon_slots_next_due(GetCurrentTimestamp(), &wait_ms, &dboid)) >= 0)
	{
		BackgroundWorkerHandle *handle;
		uint32		generation = 0;

		if (!database_exists(dboid))
		{
			ereport(LOG,
					(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
					 errmsg("pg_chameleon: database %u was dropped, forgetting its replica", dboid)));
			chameleon_slot_release(index, ChameleonShmem->slots[index].generation);
			continue;
		}
		if (launched[index].handle != NULL)
		{
			pfree(launched[index].handle);
			launched[index].handle = NULL;
		}
		if (chameleon_slot_launch(index, MyProcPid, &handle, &generation))
		{
			launched[index].handle = handle;
			launched[index].generation = generation;
		}
		else
		{
			ereport(WARNING,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("could not register a pg_chameleon apply worker"),
					 errhint("Increase max_worker_processes (needs a server restart).")));
			chameleon_slot_launch_failed(index, generation);
		}
	}
	return wait_ms;
}

void
chameleon_launcher_main(Datum main_arg)
{
	List	   *pending;
	BackgroundWorkerHandle *resume_running = NULL;
	TimestampTz origins_checked = GetCurrentTimestamp();

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	chameleon_shmem_attach();
	LWLockAcquire(ChameleonShmem->lock, LW_EXCLUSIVE);
	ChameleonShmem->launcher_pid = MyProcPid;
	ChameleonShmem->launcher_latch = MyLatch;
	LWLockRelease(ChameleonShmem->lock);
	before_shmem_exit(launcher_on_exit, (Datum) 0);

	launched = MemoryContextAllocZero(TopMemoryContext,
									  sizeof(LaunchedWorker) * ChameleonShmem->nslots);

	/* shared catalogs only */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pending = list_databases();
	ereport(DEBUG1,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon launcher started, %d databases to scan",
					list_length(pending))));

	for (;;)
	{
		int			wait_ms;
		int			resume_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		resume_ms = resume_step(&pending, &resume_running);
		wait_ms = Min(launch_due_workers(), resume_ms);
		if (resume_done)
			check_origins(&origins_checked, &resume_running);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(wait_ms, 10), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ---------------------------------------------------------------------
 * Resume worker: one database
 * ---------------------------------------------------------------------
 */

typedef enum ResumeWhat
{
	RESUME_STREAM,				/* the apply worker */
	RESUME_COPY,				/* an unfinished init_replica copy */
	RESUME_SYNC					/* tables an interrupted sync left syncing */
} ResumeWhat;

typedef struct ResumeSource
{
	int32		source_id;
	char	   *name;
	ResumeWhat	what;
} ResumeSource;

static char *resume_dbname = NULL;

/* found + src, in cxt. */
static List *
add_resume_source(List *found, const ChameleonSource *src, ResumeWhat what, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ResumeSource *rs = palloc(sizeof(ResumeSource));

	rs->source_id = src->source_id;
	rs->name = pstrdup(src->name);
	rs->what = what;
	found = lappend(found, rs);
	MemoryContextSwitchTo(old);
	return found;
}

/*
 * Sources of this database that were streaming when the server stopped,
 * those whose init_replica copy was not finished, and those with tables an
 * interrupted sync_tables/add_tables left syncing (their changes are
 * skipped until a sync copies them: it must run again).
 */
static List *
sources_to_resume(void)
{
	List	   *found = NIL;
	MemoryContext outer = CurrentMemoryContext;

	chameleon_xact_begin();
	pgstat_report_activity(STATE_RUNNING, "looking for pg_chameleon replicas to resume");

	if (OidIsValid(get_extension_oid("pg_chameleon", true)))
	{
		ListCell   *lc;

		foreach(lc, chameleon_source_list_to_resume())
			found = add_resume_source(found, lfirst(lc), RESUME_STREAM, outer);
		foreach(lc, chameleon_source_list())
		{
			ChameleonSource *src = lfirst(lc);

			if (strcmp(src->state, "initialising") == 0)
				found = add_resume_source(found, src, RESUME_COPY, outer);
			else if (strcmp(src->state, "detached") != 0 &&
					 chameleon_sync_interrupted_tables(src->source_id) != NIL)
				found = add_resume_source(found, src, RESUME_SYNC, outer);
		}
	}
	if (found != NIL)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		resume_dbname = get_database_name(MyDatabaseId);
		MemoryContextSwitchTo(old);
	}

	chameleon_xact_commit();
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextSwitchTo(outer);
	return found;
}

void
chameleon_resume_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	bool		origins_only;
	ListCell   *lc;

	memcpy(&origins_only, MyBgworkerEntry->bgw_extra, sizeof(bool));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	chameleon_shmem_attach();

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	drop_orphan_origins();
	if (origins_only)
		proc_exit(0);

	foreach(lc, sources_to_resume())
	{
		ResumeSource *rs = (ResumeSource *) lfirst(lc);

		if (rs->what == RESUME_SYNC)
		{
			if (chameleon_sync_resume_start(MyDatabaseId, rs->source_id, rs->name))
				ereport(LOG,
						(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
						 errmsg("pg_chameleon: resuming the interrupted sync of replica \"%s\" in database \"%s\"",
								rs->name, resume_dbname)));
			else
				ereport(WARNING,
						(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
						 errmsg("pg_chameleon: could not resume the interrupted sync of replica \"%s\": no background worker slot",
								rs->name),
						 errhint("Raise max_worker_processes, or run chameleon.sync_tables() on the tables in state syncing.")));
			continue;
		}
		if (rs->what == RESUME_COPY)
		{
			BackgroundWorkerHandle *handle;

			if (chameleon_copy_leader_start(NULL, MyDatabaseId, rs->source_id, rs->name, 0,
											&handle))
				ereport(LOG,
						(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
						 errmsg("pg_chameleon: resuming the copy of replica \"%s\" in database \"%s\"",
								rs->name, resume_dbname)));
			else
				ereport(WARNING,
						(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
						 errmsg("pg_chameleon: could not resume the copy of replica \"%s\": no background worker slot",
								rs->name),
						 errhint("Raise max_worker_processes, or run chameleon.init_replica() to resume it.")));
			continue;
		}
		if (chameleon_slot_want(MyDatabaseId, rs->source_id))
			ereport(LOG,
					(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
					 errmsg("pg_chameleon: resuming replica \"%s\" in database \"%s\"",
							rs->name, resume_dbname)));
	}
	proc_exit(0);
}
