/*
 * worker.c -- the apply worker: one background worker per streaming source.
 *
 * Owns the worker's life: signals (SIGHUP reloads, SIGTERM dies), attaching
 * to its shared slot, the apply session (session_replication_role =
 * replica, search_path = ''), the replication origin, the transaction
 * ritual, memory contexts (a long-lived worker context and a batch context
 * reset after every commit), the state shown in t_sources and
 * chameleon.status, reconnecting to MySQL with capped exponential backoff,
 * and the error-context callback that names the binlog position.
 *
 * Errors: a lost MySQL connection (SQLSTATE class 08) is handled here:
 * state "reconnecting", last error kept, wait, reconnect, resume from the
 * committed position.  Any other error ends the process after recording
 * it; the launcher restarts the worker with backoff (state "reconnecting"),
 * unless the error asked to stop the replica (on_error: stop, source gone),
 * or no launcher runs: then the state is "error".
 */
#include "postgres.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "replication/origin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "apply.h"
#include "catalog.h"
#include "config.h"
#include "mysql_client.h"
#include "position.h"
#include "subxact.h"
#include "worker.h"
#include "apply_session.h"
#include "transaction.h"
#include "worker_log.h"

/*
 * The worker's apply session: source, config, committed position, where in
 * the binlog, memory contexts, stop flag; handed to stream.c and below.
 */
static ChameleonApplySession MySession;
static bool MyReconnectWanted = false;
static int	MyReconnectBackoffMs = CHAMELEON_RECONNECT_MIN_MS;
static const char *MyDurableState = NULL;	/* last state written to t_sources */
static bool MyErrorShown = false;	/* t_sources.last_error holds one of ours */

/* A source error that no retry heals: wait this long before trying again. */
#define CHAMELEON_PERMANENT_RETRY_MS	60000

/* ---------------------------------------------------------------------
 * Commits
 * ---------------------------------------------------------------------
 */

/*
 * Store the position after the last applied source transaction and commit
 * the apply transaction.  pos is copied into s->position (worker context)
 * and reported in chameleon.status after the commit.
 */
static void
worker_commit_position(ChameleonApplySession *s, const ChameleonPosition *pos,
					   uint64 xacts, uint64 rows, bool caught_up)
{
	char	   *file = NULL;
	char	   *gtid = NULL;
	uint64		at = pos->pos;
	TimestampTz event_time = pos->event_time;

	/* pos may live in the batch context, which the commit resets */
	if (s->position.file == NULL || strcmp(s->position.file, pos->file) != 0)
		file = MemoryContextStrdup(s->session_context, pos->file);
	if (pos->gtid != NULL &&
		(s->position.gtid == NULL || strcmp(s->position.gtid, pos->gtid) != 0))
		gtid = MemoryContextStrdup(s->session_context, pos->gtid);

	chameleon_position_save(s->source_id, pos);
	chameleon_session_commit(s);

	/* committed: this is where a restart resumes */
	if (file)
	{
		if (s->position.file)
			pfree(s->position.file);
		s->position.file = file;
	}
	if (gtid)
	{
		if (s->position.gtid)
			pfree(s->position.gtid);
		s->position.gtid = gtid;
	}
	s->position.pos = at;
	if (event_time != 0)
		s->position.event_time = event_time;
	s->position.batch_id++;

	chameleon_slot_report_commit(s->position.file, s->position.pos, s->position.gtid,
								 event_time, xacts, rows, caught_up);
}

/* ---------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------
 */

/* Write the state to t_sources when it changed, in its own transaction. */
static void
write_durable_state(const char *state, const char *error)
{
	bool		clear = error == NULL && MyErrorShown;

	if (error == NULL && !clear && MyDurableState != NULL && strcmp(MyDurableState, state) == 0)
		return;
	chameleon_xact_begin();
	chameleon_source_set_state(MySession.source_id, state, error, clear);
	if (error != NULL)
		chameleon_catalog_add_worker_error(MySession.source_id, state, error);
	chameleon_session_commit(&MySession);
	MyDurableState = state;
	MyErrorShown = error != NULL;
}

/*
 * The source sends the binlog: the replica streams.  The error that made it
 * reconnect is over: status shows the current condition (the error stays in
 * chameleon.error_log).
 */
static void
worker_streaming(ChameleonApplySession *s)
{
	chameleon_slot_set_state(CHAMELEON_SLOT_STREAMING);
	chameleon_slot_set_error(NULL);
	write_durable_state("streaming", NULL);
	MyReconnectBackoffMs = CHAMELEON_RECONNECT_MIN_MS;
}

/* ---------------------------------------------------------------------
 * Boundaries: between source transactions
 * ---------------------------------------------------------------------
 */

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Do two configs open the same replication connection? */
static bool
same_connection(const ChameleonConfig *a, const ChameleonConfig *b)
{
	return same_text(a->host, b->host) && a->port == b->port &&
		same_text(a->socket, b->socket) && same_text(a->user, b->user) &&
		same_text(a->passwd, b->passwd) &&
		a->connect_timeout == b->connect_timeout &&
		a->read_timeout == b->read_timeout &&
		same_text(a->charset, b->charset) && same_text(a->ssl_mode, b->ssl_mode) &&
		same_text(a->ssl_ca, b->ssl_ca) && same_text(a->ssl_cert, b->ssl_cert) &&
		same_text(a->ssl_key, b->ssl_key) && a->my_server_id == b->my_server_id &&
		a->heartbeat_period == b->heartbeat_period;
}

/* Reload the YAML config; connection changes make the loop reconnect. */
static void
reload_config(void)
{
	MemoryContext old = MemoryContextSwitchTo(MySession.session_context);
	ChameleonConfig *volatile cfg = NULL;

	PG_TRY();
	{
		cfg = chameleon_config_load(MySession.source->config_path);
		chameleon_config_check_source(cfg, MySession.source);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(MySession.session_context);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pg_chameleon: keeping the old configuration of source \"%s\"",
						MySession.source->name),
				 errdetail("Reloading failed: %s", edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);

	if (cfg == NULL)
		return;
	if (!same_connection(MySession.config, cfg))
		MyReconnectWanted = true;
	MySession.config = cfg;
	chameleon_worker_set_log_level(cfg);
	ereport(chameleon_state_log_level,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon: reloaded the configuration of source \"%s\" from \"%s\"",
					MySession.source->name, cfg->path)));
}

/*
 * At a transaction boundary (no open transaction): honour interrupts,
 * SIGHUP and committed config changes.  Returns what the loop must do.
 */
static ChameleonBoundary
worker_boundary(ChameleonApplySession *s)
{
	bool		reload = false;

	CHECK_FOR_INTERRUPTS();
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		reload = true;
	}
	if (chameleon_slot_take_config_changed())
	{
		/* the replicated tables may have changed too: new session */
		reload = true;
		MyReconnectWanted = true;
	}
	if (reload)
		reload_config();
	if (chameleon_slot_stop_requested())
		return CHAMELEON_BOUNDARY_STOP;
	if (MyReconnectWanted)
		return CHAMELEON_BOUNDARY_RECONNECT;
	return CHAMELEON_BOUNDARY_CONTINUE;
}

/*
 * Sleep for ms, waking for interrupts; ends early only when stop_replica
 * asks the worker to stop (a latch set for anything else does not cut the
 * wait short).
 */
static void
worker_nap(long ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);

		if (left <= 0 || chameleon_slot_stop_requested())
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* ---------------------------------------------------------------------
 * Start
 * ---------------------------------------------------------------------
 */

static void
set_apply_session(void)
{
	/* no user triggers, no FK checks while replicating; every name quoted */
	SetConfigOption("session_replication_role", "replica", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("search_path", "", PGC_SUSET, PGC_S_OVERRIDE);
	/* the apply loop decides its own transaction sizes */
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("idle_in_transaction_session_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
}

/* Exit quietly, freeing the slot: the replica should not run. */
static void
exit_not_wanted(const char *why)
{
	ereport(chameleon_state_log_level,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon apply worker for source %d exits: %s",
					(int) MySession.source_id, why)));
	chameleon_slot_free_on_exit();
	proc_exit(0);
}


/* How long a starting worker waits for its predecessor to release the origin. */
#define ORIGIN_WAIT_MS			10000

static void
origin_session_setup_once(void *arg)
{
	RepOriginId origin = *(RepOriginId *) arg;

#if PG_VERSION_NUM >= 160000
	replorigin_session_setup(origin, 0);
#else
	replorigin_session_setup(origin);
#endif
}

/*
 * Take the source's replication origin for this session.  A worker that
 * has just been stopped (stop_replica, sync_tables) frees its slot before
 * its exit releases the origin, so a successor started at once can find
 * the origin still held: wait for that, up to ORIGIN_WAIT_MS, instead of
 * failing into a restart with backoff.
 */
static void
origin_session_setup_waiting(RepOriginId origin)
{
	ErrorData  *edata = chameleon_run_in_subxact_while_in_use(origin_session_setup_once,
															  &origin, ORIGIN_WAIT_MS);

	if (edata == NULL)
		return;
	if (edata->sqlerrcode != ERRCODE_OBJECT_IN_USE)
		ReThrowError(edata);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_IN_USE),
			 errmsg("the replication origin of replica \"%s\" is held by another process",
					MySession.source->name),
			 errdetail("Waited %d ms for it to be released.", ORIGIN_WAIT_MS),
			 errhint("Look for another session or worker using the origin in pg_replication_origin_status.")));
}

/*
 * Read the source row (waiting for a start_replica that is committing), the
 * applied position and the config; set up the replication origin.
 */
static void
load_source(void)
{
	ChameleonSource *src;
	ChameleonPosition pos;
	RepOriginId origin;
	XLogRecPtr	origin_lsn;
	MemoryContext old;

	chameleon_xact_begin();
	pgstat_report_activity(STATE_RUNNING, "pg_chameleon: loading the replica");

	if (!OidIsValid(get_extension_oid("pg_chameleon", true)))
		exit_not_wanted("extension pg_chameleon is not installed");

	old = MemoryContextSwitchTo(MySession.session_context);
	src = chameleon_source_by_id(MySession.source_id, true);
	if (src == NULL)
		exit_not_wanted("the source no longer exists");
	if (strcmp(src->state, "streaming") != 0 && strcmp(src->state, "reconnecting") != 0)
		exit_not_wanted(psprintf("the replica is %s", src->state));
	MySession.source = src;
	MyDurableState = src->state;
	MyErrorShown = src->last_error != NULL;

	memset(&pos, 0, sizeof(pos));
	if (!chameleon_position_load(MySession.source_id, &pos))
	{
		MySession.stop_on_error = true;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replica \"%s\" has no start position", src->name),
				 errdetail("sch_chameleon.t_replica_batch has no row for source %d.",
						   (int) MySession.source_id),
				 errhint("Run chameleon.init_replica() again.")));
	}
	MySession.position = pos;
	MySession.config = chameleon_config_load(src->config_path);
	chameleon_config_check_source(MySession.config, src);
	MemoryContextSwitchTo(old);
	chameleon_worker_set_log_level(MySession.config);

	chameleon_origin_require_slot(MyDatabaseId, MySession.source_id,
								  psprintf("stream replica \"%s\"", src->name));
	origin = chameleon_origin_ensure(MyDatabaseId, MySession.source_id);
	origin_session_setup_waiting(origin);
	replorigin_session_origin = origin;
	origin_lsn = replorigin_session_get_progress(false);
	if (origin_lsn != InvalidXLogRecPtr &&
		origin_lsn != chameleon_origin_lsn(pos.file, pos.pos))
		ereport(chameleon_state_log_level,
				(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
				 errmsg("pg_chameleon: replication origin of source \"%s\" differs from t_replica_batch; resuming from t_replica_batch",
						src->name)));

	chameleon_session_commit(&MySession);

	chameleon_slot_report_read(MySession.position.file, MySession.position.pos);
	chameleon_slot_report_commit(MySession.position.file, MySession.position.pos, MySession.position.gtid,
								 MySession.position.event_time, 0, 0, false);
	ereport(chameleon_state_log_level,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon apply worker for source \"%s\" starting at %s:" UINT64_FORMAT,
					src->name, MySession.position.file, MySession.position.pos)));
}

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

static bool
is_connection_error(const ErrorData *edata)
{
	return ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_CONNECTION_EXCEPTION;
}

/* Copy the current error and clean up after it: abort, flush. */
static ErrorData *
take_error(void)
{
	ErrorData  *edata;

	HOLD_INTERRUPTS();
	MemoryContextSwitchTo(MySession.session_context);
	edata = CopyErrorData();
	AbortOutOfAnyTransaction();
	FlushErrorState();
	chameleon_apply_xact_abort();
	chameleon_stream_cleanup(&MySession);
	MemoryContextSwitchTo(MySession.session_context);
	MemoryContextReset(MySession.batch_context);
	RESUME_INTERRUPTS();
	return edata;
}

/* The source connection was lost: record it and wait before reconnecting. */
static void
handle_connection_error(ErrorData *edata)
{
	int			wait_ms = MyReconnectBackoffMs;

	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("pg_chameleon: lost the connection to the source of \"%s\", reconnecting in %d ms",
					MySession.source->name, wait_ms),
			 errdetail("%s", edata->message)));
	chameleon_slot_set_state(CHAMELEON_SLOT_RECONNECTING);
	chameleon_slot_set_error(edata->message);
	write_durable_state("reconnecting", edata->message);

	MyReconnectBackoffMs = Min(MyReconnectBackoffMs * 2, CHAMELEON_RECONNECT_MAX_MS);
	worker_nap(wait_ms);
	FreeErrorData(edata);
}

/*
 * An error of the source that retrying soon cannot heal: the account lacks
 * a privilege or its password is refused, the binlog position is purged, the
 * server id is taken by another replica.  (Not a connection error: those go
 * through handle_connection_error.)
 */
static bool
is_permanent_source_error(const ErrorData *edata, unsigned int mysql_number)
{
	switch (mysql_number)
	{
		case 1044:				/* ER_DBACCESS_DENIED_ERROR */
		case 1045:				/* ER_ACCESS_DENIED_ERROR */
		case 1130:				/* ER_HOST_NOT_PRIVILEGED */
		case 1227:				/* ER_SPECIFIC_ACCESS_DENIED_ERROR */
		case 1236:				/* ER_MASTER_FATAL_ERROR_READING_BINLOG */
		case 1698:				/* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
			return true;
		default:
			return edata->sqlerrcode == ERRCODE_DUPLICATE_OBJECT &&
				edata->message != NULL && strncmp(edata->message, "my_server_id", 12) == 0;
	}
}

/*
 * State "error" with the message and what to do; try again slowly (the cause
 * may be fixed meanwhile: a GRANT, a new my_server_id).
 */
static void
handle_permanent_error(ErrorData *edata)
{
	char	   *text = psprintf("%s%s%s%s%s", edata->message,
								edata->detail ? ": " : "", edata->detail ? edata->detail : "",
								edata->hint ? ". Hint: " : "", edata->hint ? edata->hint : "");

	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("pg_chameleon: replica \"%s\" cannot stream: %s", MySession.source->name,
					edata->message),
			 edata->detail ? errdetail("%s", edata->detail) : 0,
			 edata->hint ? errhint("%s Trying again in %d s.", edata->hint,
								   CHAMELEON_PERMANENT_RETRY_MS / 1000) : 0));
	chameleon_slot_set_state(CHAMELEON_SLOT_ERROR);
	chameleon_slot_set_error(text);
	/* durably "reconnecting": a server restart resumes the replica */
	write_durable_state("reconnecting", text);
	MyReconnectBackoffMs = CHAMELEON_RECONNECT_MIN_MS;
	worker_nap(CHAMELEON_PERMANENT_RETRY_MS);
	FreeErrorData(edata);
}

/*
 * Any other error: log it, record it in t_sources and the slot, and exit.
 * The exit callback frees the slot or schedules the restart.
 */
static void
fail_and_exit(void)
{
	ErrorData  *edata;
	bool		final;

	HOLD_INTERRUPTS();
	EmitErrorReport();
	edata = take_error();

	final = MySession.stop_on_error || ChameleonShmem->launcher_pid == 0;
	if (edata->detail)
		edata->message = psprintf("%s: %s", edata->message, edata->detail);
	chameleon_slot_set_error(edata->message);
	if (final)
		chameleon_slot_free_on_exit();
	if (MySession.source != NULL)
	{
		PG_TRY();
		{
			chameleon_xact_begin();
			chameleon_apply_write_stop_error();
			chameleon_source_set_state(MySession.source_id, final ? "error" : "reconnecting",
									   edata->message, false);
			chameleon_catalog_add_worker_error(MySession.source_id,
											   final ? "error" : "reconnecting", edata->message);
			chameleon_session_commit(&MySession);
		}
		PG_CATCH();
		{
			EmitErrorReport();
			FlushErrorState();
		}
		PG_END_TRY();
	}
	ereport(chameleon_state_log_level,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon apply worker for source %d stops after an error%s",
					(int) MySession.source_id, final ? "" : "; it will be restarted")));
	proc_exit(1);
}

/* ---------------------------------------------------------------------
 * What the apply worker does for the layers below it
 * ---------------------------------------------------------------------
 */

static void
worker_report_read(ChameleonApplySession *s, const char *file, uint64 pos)
{
	chameleon_slot_report_read(file, pos);
}

static void
worker_report_heartbeat(ChameleonApplySession *s, bool caught_up)
{
	chameleon_slot_report_heartbeat(caught_up);
}

static bool
worker_hold_wanted(ChameleonApplySession *s, const char *file, uint64 pos)
{
	return chameleon_slot_hold_wanted(file, pos);
}

static void
worker_hold(ChameleonApplySession *s)
{
	chameleon_slot_hold(s->position.file, s->position.pos);
}

static const ChameleonWorkerOps ApplyWorkerOps = {
	.commit_position = worker_commit_position,
	.boundary = worker_boundary,
	.streaming = worker_streaming,
	.report_read = worker_report_read,
	.report_heartbeat = worker_report_heartbeat,
	.hold_wanted = worker_hold_wanted,
	.hold = worker_hold,
};

/* ---------------------------------------------------------------------
 * Main
 * ---------------------------------------------------------------------
 */

/*
 * Stream until stopped, reconnecting after connection errors.  Returns when
 * stop_replica asked the worker to stop.
 */
static void
run_replica(void)
{
	for (;;)
	{
		ChameleonBoundary next;

		next = worker_boundary(&MySession);
		if (next == CHAMELEON_BOUNDARY_STOP)
			return;
		MyReconnectWanted = false;

		(void) chameleon_mysql_last_reported(true);
		PG_TRY();
		{
			next = chameleon_stream_session(&MySession);
		}
		PG_CATCH();
		{
			ErrorData  *edata;
			unsigned int mysql_number = chameleon_mysql_last_reported(true);

			MemoryContextSwitchTo(MySession.session_context);
			edata = CopyErrorData();
			if (is_connection_error(edata))
			{
				FreeErrorData(edata);
				handle_connection_error(take_error());
			}
			else if (is_permanent_source_error(edata, mysql_number))
			{
				FreeErrorData(edata);
				handle_permanent_error(take_error());
			}
			else
				PG_RE_THROW();
			next = CHAMELEON_BOUNDARY_RECONNECT;
		}
		PG_END_TRY();

		if (next == CHAMELEON_BOUNDARY_STOP)
			return;
	}
}

/*
 * Keep freed memory in the worker's heap.  glibc gives the free top of the
 * heap back to the kernel (brk) once it exceeds M_TRIM_THRESHOLD, 128 kB
 * until a large free() happens to raise it.  Each flushed INSERT frees its
 * executor memory (ExecutorEnd) at about that size, so a catch-up of small
 * source transactions could shrink and regrow the heap once per transaction:
 * two system calls and freshly zeroed pages every time, whether it does
 * depending on the heap's layout (a ~10% swing between runs and builds).
 * Fixed thresholds make it steady: up to 16 MB of free heap is kept, and
 * allocations from 8 MB up still get their own mapping, unmapped at free.
 */
static void
keep_heap_memory(void)
{
#ifdef __GLIBC__
	(void) mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);
	(void) mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
#endif
}

void
chameleon_apply_main(Datum main_arg)
{
	int			index = DatumGetInt32(main_arg);
	ChameleonWorkerArgs args;
	ErrorContextCallback errcallback;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	MySession.source_id = args.source_id;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (!chameleon_slot_attach(index, &args))
		proc_exit(0);			/* stopped or superseded meanwhile */

	keep_heap_memory();
	MySession.session_context = AllocSetContextCreate(TopMemoryContext,
											"pg_chameleon worker",
											ALLOCSET_DEFAULT_SIZES);
	MySession.batch_context = AllocSetContextCreate(MySession.session_context,
										   "pg_chameleon batch",
										   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(MySession.session_context);
	memset(&MySession.where, 0, sizeof(MySession.where));

	BackgroundWorkerInitializeConnectionByOid(args.dboid, InvalidOid, 0);
	set_apply_session();

	MySession.ops = &ApplyWorkerOps;
	errcallback.callback = chameleon_session_error_context;
	errcallback.arg = &MySession;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	PG_TRY();
	{
		load_source();
		run_replica();
	}
	PG_CATCH();
	{
		fail_and_exit();
	}
	PG_END_TRY();

	/* stop_replica: the last batch is committed; the caller sets "stopped" */
	chameleon_slot_set_state(CHAMELEON_SLOT_STOPPING);
	ereport(chameleon_state_log_level,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon apply worker for source \"%s\" stopped at %s:" UINT64_FORMAT,
					MySession.source->name, MySession.position.file, MySession.position.pos)));
	proc_exit(0);
}
