/*
 * copy_launch.c -- init_replica's calling session.
 *
 * chameleon.init_replica(path, force, wait) hands the copy to a copy
 * leader (copy_leader.c) and, by default, waits for it: every NOTICE,
 * WARNING and the ERROR of the leader arrive through a message queue and
 * are raised here as the session's own, so the caller sees the copy as if
 * it ran in its session.  Cancelling the call stops the copy (the leader
 * and its workers); what was committed stays, and init_replica() again
 * resumes it.  wait => false returns once the plan is committed and the
 * copy runs in the background, tied to no session.
 *
 * On a source whose copy is unfinished (state initialising) init_replica
 * resumes it with a new leader, or, when a leader already runs, waits for
 * that one (its messages go to the server log then).  force => true starts
 * over.
 */
#include "postgres.h"

#include "access/xact.h"
#include "libpq/pqformat.h"
#include "libpq/pqmq.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "utils/builtins.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "config.h"
#include "copy.h"
#include "copy_workers.h"
#include "progress.h"

/* How often the waiting session looks at the leader (ms). */
#define WAIT_NAP_MS		100

static void
refuse_in_transaction_block(void)
{
	/* the copy commits as it goes: a caller's rollback could not undo it */
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("chameleon.init_replica() cannot run inside a transaction block"),
				 errhint("It commits its steps itself; call it on its own.")));
}

static BackgroundWorkerHandle *
start_leader(dsm_segment *seg, const char *name)
{
	BackgroundWorkerHandle *handle;

	if (!chameleon_copy_leader_start(seg, MyDatabaseId, 0, name, MyProcPid, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the pg_chameleon copy"),
				 errdetail("Every background worker slot is taken."),
				 errhint("Raise max_worker_processes (a server restart is needed; the copy needs copy_workers + 1 of them).")));
	return handle;
}

/*
 * The role the copy runs as: the current one, unless it cannot log in (a
 * background worker's connection needs LOGIN), then the session's.
 */
static Oid
copy_role(void)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(GetUserId()));
	bool		can_login = false;

	if (HeapTupleIsValid(tup))
	{
		can_login = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
		ReleaseSysCache(tup);
	}
	return can_login ? GetUserId() : GetSessionUserId();
}

/* Raise one message of the leader as this session's own. */
static void
relay_message(const char *data, Size nbytes)
{
	StringInfoData msg;
	char		type;
	ErrorData	edata;

	initStringInfo(&msg);
	appendBinaryStringInfo(&msg, data, nbytes);
	type = pq_getmsgbyte(&msg);
	if (type != 'E' && type != 'N')
		return;
	pq_parse_errornotice(&msg, &edata);
	edata.elevel = Min(edata.elevel, ERROR);
	ThrowErrorData(&edata);
}

/* Relay every queued message; false once the leader has detached. */
static bool
drain_queue(shm_mq_handle *mqh)
{
	for (;;)
	{
		Size		nbytes;
		void	   *data;
		shm_mq_result res = shm_mq_receive(mqh, &nbytes, &data, true);

		if (res == SHM_MQ_WOULD_BLOCK)
			return true;
		if (res == SHM_MQ_DETACHED)
			return false;
		relay_message(data, nbytes);
	}
}

static void
nap(void)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 WAIT_NAP_MS, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

static char *
started_message(const ChameleonConfig *cfg)
{
	return psprintf("the copy of replica \"%s\" runs in the background with %d copy workers; chameleon.copy_progress shows it, chameleon.init_replica() waits for it",
					cfg->source_name, cfg->copy_workers);
}

/* Run a leader (source_id 0: a new copy) and follow it. */
static char *
run_leader(const ChameleonConfig *cfg, int32 source_id, bool force, bool wait)
{
	dsm_segment *seg = dsm_create(CHAMELEON_INIT_SHARED_SIZE, 0);
	ChameleonInitShared *shared = dsm_segment_address(seg);
	shm_mq	   *mq;
	shm_mq_handle *mqh;
	BackgroundWorkerHandle *handle;
	char	   *result = NULL;

	memset(shared, 0, sizeof(*shared));
	shared->dboid = MyDatabaseId;
	shared->roleid = copy_role();
	shared->source_id = source_id;
	shared->force = force;
	shared->progress_interval = chameleon_copy_progress_interval;
	strlcpy(shared->config_path, cfg->path, MAXPGPATH);
	mq = shm_mq_create(CHAMELEON_INIT_QUEUE(shared), CHAMELEON_INIT_QUEUE_SIZE);
	shm_mq_set_receiver(mq, MyProc);
	mqh = shm_mq_attach(mq, seg, NULL);
	handle = start_leader(seg, cfg->source_name);
	shm_mq_set_handle(mqh, handle);

	PG_TRY();
	{
		bool		attached = true;
		pid_t		pid;

		for (;;)
		{
			if (attached)
				attached = drain_queue(mqh);
			pg_read_barrier();
			if (!wait && shared->planned)
			{
				result = started_message(cfg);
				break;
			}
			if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
			{
				if (attached)
					(void) drain_queue(mqh);
				break;
			}
			nap();
		}
	}
	PG_CATCH();
	{
		/* cancelled, or the leader's error: stop the copy (it resumes later) */
		TerminateBackgroundWorker(handle);
		PG_RE_THROW();
	}
	PG_END_TRY();

	pg_read_barrier();
	if (result == NULL)
	{
		if (!shared->done || shared->failed)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("the pg_chameleon copy exited without a result"),
					 errhint("The server log says why; chameleon.init_replica() resumes the copy.")));
		result = pstrdup(shared->summary);
	}
	dsm_detach(seg);
	return result;
}

/* Another session's leader copies the source: wait for it to end. */
static char *
wait_for_other(const ChameleonConfig *cfg, const ChameleonSource *src, bool wait)
{
	ChameleonSource *now;

	if (!wait)
		return started_message(cfg);
	ereport(NOTICE,
			(errmsg("the copy of MySQL database \"%s\" is running: waiting for it", src->name)));
	while (!chameleon_copy_lock(src->name, false))
		nap();
	chameleon_copy_unlock(src->name);
	now = chameleon_source_by_id(src->source_id, false);
	if (now == NULL || strcmp(now->state, "initialising") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the copy of MySQL database \"%s\" did not finish", src->name),
				 now && now->last_error ? errdetail("%s", now->last_error) : 0,
				 errhint("Run chameleon.init_replica() again: it resumes the copy.")));
	return psprintf("the copy of MySQL database \"%s\" into schema \"%s\" is complete",
					src->name, src->pg_schema);
}

char *
chameleon_init_replica_run(const char *path, bool force, bool wait)
{
	ChameleonConfig *cfg;
	ChameleonSource *src;

	refuse_in_transaction_block();
	cfg = chameleon_config_load(path);
	chameleon_config_require_this_database(cfg, "copy into it");
	src = chameleon_source_by_name(cfg->source_name);
	if (src == NULL || force || strcmp(src->state, "initialising") != 0)
		return run_leader(cfg, 0, force, wait);
	if (strcmp(src->config_path, cfg->path) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the copy of MySQL database \"%s\" is not finished", src->name),
				 errdetail("It was started with the configuration file \"%s\".", src->config_path),
				 errhint("Run chameleon.init_replica('%s') to resume it, or chameleon.init_replica(force => true) to start over.",
						 src->config_path)));
	/* an unfinished copy: resume it, or wait for the leader that runs */
	if (!chameleon_copy_lock(src->name, false))
		return wait_for_other(cfg, src, wait);
	chameleon_copy_unlock(src->name);
	return run_leader(cfg, src->source_id, false, wait);
}
