/*
 * copy_worker.c -- a copy worker of init_replica ("pg_chameleon copy worker").
 *
 * Started by the copy leader (copy_leader.c), copy_workers of them at once,
 * or by the sync worker (sync.c), copy_workers - 1 beside its own copy, in
 * a pool (copy_pool.c).
 * Each claims a pending range of t_copy_ranges (the biggest first; FOR
 * UPDATE SKIP LOCKED, so two workers never take the same one) and copies it
 * slice by slice: chameleon_copy_slice() reads copy_max_size rows after the
 * range's last copied key in a short MySQL transaction of its own, COPYs
 * them, and the slice is recorded (t_copy_slices, the range's resume key)
 * in the same PostgreSQL transaction, which commits.  A committed slice is
 * never read again; a killed worker loses at most the slice in flight.
 *
 * The worker that finishes a table's last range builds the table's indexes
 * and marks it copied with the window of its slices' positions, in the
 * transaction of that last slice (the ranges of the table are locked first,
 * so two workers finishing ranges of one table at once see each other).
 *
 * A value PostgreSQL rejects fails the table, not the copy (on_error: stop
 * fails the copy): the table is emptied and goes to state error with the
 * row in t_errors, and the worker takes the next range.  Losing MySQL,
 * a cancel or a shutdown ends the worker with a retryable failure: the
 * leader gives its range back and starts another worker.
 */
#include "postgres.h"

#include <sys/socket.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "config.h"
#include "copy.h"
#include "copy_workers.h"
#include "progress.h"
#include "transaction.h"

/* One worker's run (or the sync worker's copy). */
typedef struct CopyRun
{
	int32		source_id;
	const char *config_path;
	List	   *tables;			/* char *: claim ranges of these only (NIL: any) */
	bool		for_sync;		/* a finished table stays syncing: sync.c joins it */
	ChameleonCopyWorkerResult *me;	/* NULL in the sync worker */
	MemoryContext cxt;			/* the run: config, connection */
	MemoryContext range_cxt;	/* the range being copied */
	ChameleonConfig *cfg;
	ChameleonSchemaOptions opts;
	MYSQL	   *conn;
} CopyRun;

/*
 * The MySQL socket, for the SIGTERM handler: a read blocked on MySQL (a
 * slice waiting for a locked table, a slow network) would not see the
 * interrupt before read_timeout; shutting the socket down ends it at once.
 */
static volatile int CopySocket = -1;

static void
copy_worker_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	if (CopySocket >= 0)
		(void) shutdown(CopySocket, SHUT_RDWR);
	die(postgres_signal_arg);
	errno = save_errno;
}

/* Errors that say nothing about the data: the copy may be tried again. */
static bool
error_is_retryable(const ErrorData *edata, MYSQL *conn)
{
	return ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_CONNECTION_EXCEPTION ||
		edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
		edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
		edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
		(conn != NULL && mysql_errno(conn) != 0);
}

/* The last range of a table is done: its indexes, its window; in this transaction. */
static void
finish_table_if_complete(CopyRun *run, ChameleonTable *t)
{
	ChameleonCopyWindow w;
	List	   *deferred = NIL;
	bool		window;

	if (!chameleon_copy_table_window(run->source_id, t->key, &w))
		return;
	window = w.low_file != NULL && w.high_file != NULL &&
		(strcmp(w.low_file, w.high_file) != 0 || w.low_position != w.high_position);
	chameleon_copy_finish_table(&run->opts, t, window ? &deferred : NULL);
	if (run->for_sync)
		chameleon_catalog_table_set_deferred(run->source_id, t->key, deferred);
	else
		chameleon_catalog_table_copied_window(run->source_id, t->key, w.rows,
											  w.low_file, w.low_position,
											  w.high_file, w.high_position, deferred);
	chameleon_progress_table_done(w.rows);
}

/* Copy and commit one slice of r; true when the range is done. */
static bool
copy_one_slice(CopyRun *run, ChameleonTable *t, ChameleonCopyRange *r)
{
	ChameleonCopySlice slice;
	int32		source_id = run->source_id;

	chameleon_xact_begin();
	chameleon_copy_slice(run->conn, run->cfg, &run->opts, t, r, &slice);
	if (slice.range_done)
		chameleon_copy_ranges_lock(source_id, t->key);
	chameleon_copy_slice_record(source_id, r, &slice);
	if (slice.range_done)
	{
		chameleon_copy_range_finish(source_id, t->key, r->range_no);
		finish_table_if_complete(run, t);
	}
	/* the range's state for its next slice, out of the transaction's memory */
	{
		MemoryContext old = MemoryContextSwitchTo(run->range_cxt);
		ListCell   *lc;

		if (slice.last_key != NIL)
		{
			r->last_key = NIL;
			foreach(lc, slice.last_key)
				r->last_key = lappend(r->last_key, pstrdup(lfirst(lc)));
		}
		MemoryContextSwitchTo(old);
	}
	chameleon_xact_commit();
	r->rows_copied += slice.rows;
	r->slices++;
	return slice.range_done;
}

/* The table of r failed on its data (edata): record it, go on with other ranges. */
static void
table_failed(CopyRun *run, const char *table, ErrorData *edata)
{
	chameleon_copy_slice_abandon(run->conn);
	chameleon_xact_begin();
	chameleon_copy_ranges_lock(run->source_id, table);
	chameleon_copy_table_error(run->source_id, &run->opts, table, edata);
	chameleon_xact_commit();
}

/* Copy range r to its end; a data error fails its table (unless on_error: stop). */
static void
copy_range(CopyRun *run, ChameleonCopyRange *r)
{
	MemoryContext cxt = CurrentMemoryContext;
	ChameleonTable *volatile t = NULL;

	PG_TRY();
	{
		chameleon_xact_begin();
		MemoryContextSwitchTo(cxt);
		t = chameleon_copy_read_table(run->conn, &run->opts, r->mysql_table);
		chameleon_xact_commit();
		MemoryContextSwitchTo(cxt);
		chameleon_progress_table_start(r->mysql_table, r->rows_estimated);
		chameleon_progress_table_base(r->rows_copied);
		while (!copy_one_slice(run, t, r))
		{
			chameleon_progress_table_base(r->rows_copied);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (error_is_retryable(edata, run->conn) ||
			run->cfg->on_error == CHAMELEON_ON_ERROR_STOP)
			PG_RE_THROW();
		FlushErrorState();
		AbortCurrentTransaction();
		table_failed(run, r->mysql_table, edata);
	}
	PG_END_TRY();
}

static void
run_worker(CopyRun *run)
{
	ChameleonSource *src;
	ChameleonCopyTotals totals;
	int			ntables;

	chameleon_xact_begin();
	MemoryContextSwitchTo(run->cxt);
	run->cfg = chameleon_config_load(run->config_path);
	src = chameleon_source_by_id(run->source_id, false);
	if (src == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the replica being copied is gone")));
	run->conn = chameleon_mysql_connect(run->cfg);
	CopySocket = (int) mysql_get_socket(run->conn);
	chameleon_copy_schema_options(&run->opts, run->cfg, run->conn);
	if (!run->opts.qualify)
		run->opts.pg_schema = pstrdup(src->pg_schema);
	chameleon_copy_progress_totals(run->source_id, &totals);
	ntables = list_length(chameleon_catalog_table_reports(run->source_id));
	chameleon_xact_commit();
	MemoryContextSwitchTo(run->cxt);
	chameleon_progress_begin(src->name, src->pg_schema, ntables, totals.rows_estimated);
	chameleon_progress_phase(CHAMELEON_PHASE_COPY);
	run->range_cxt = AllocSetContextCreate(run->cxt, "pg_chameleon copy range",
										   ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		ChameleonCopyRange *r;

		CHECK_FOR_INTERRUPTS();
		chameleon_xact_begin();
		MemoryContextSwitchTo(run->cxt);
		r = chameleon_copy_range_claim(run->source_id, MyProcPid, run->tables);
		chameleon_xact_commit();
		MemoryContextSwitchTo(run->cxt);
		if (r == NULL)
			break;
		MemoryContextSwitchTo(run->range_cxt);
		pgstat_report_activity(STATE_RUNNING, psprintf("pg_chameleon: copying table %s",
													   r->mysql_table));
		copy_range(run, r);
		MemoryContextSwitchTo(run->cxt);
		MemoryContextReset(run->range_cxt);
	}
	chameleon_progress_end();
}

void
chameleon_copy_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	ChameleonCopyShared *shared;
	int			index;
	CopyRun		run;

	pqsignal(SIGTERM, copy_worker_sigterm);
	BackgroundWorkerUnblockSignals();
	memcpy(&index, MyBgworkerEntry->bgw_extra, sizeof(int));

	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_chameleon copy worker: its leader is gone")));
	memset(&run, 0, sizeof(run));
	shared = dsm_segment_address(seg);
	run.source_id = shared->source_id;
	run.config_path = shared->config_path;
	run.for_sync = shared->for_sync;
	for (int i = 0; i < shared->ntables; i++)
		run.tables = lappend(run.tables, chameleon_copy_shared_table(shared, i));
	run.me = &shared->workers[index];
	run.me->pid = MyProcPid;
	run.me->started = true;

	BackgroundWorkerInitializeConnectionByOid(shared->dboid, shared->roleid, 0);
	chameleon_worker_session_settings();
	SetConfigOption("session_replication_role", "replica", PGC_SUSET, PGC_S_OVERRIDE);
	/* the leader reports the copy's progress */
	SetConfigOption("pg_chameleon.copy_progress_interval", "0", PGC_SUSET, PGC_S_OVERRIDE);

	run.cxt = AllocSetContextCreate(TopMemoryContext, "pg_chameleon copy worker",
									ALLOCSET_DEFAULT_SIZES);
	PG_TRY();
	{
		run_worker(&run);
		run.me->done = true;
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
		run.me->failed = true;
		run.me->retryable = error_is_retryable(edata, run.conn);
		run.me->sqlerrcode = edata->sqlerrcode;
		strlcpy(run.me->message, edata->message ? edata->message : "unknown error",
				sizeof(run.me->message));
		strlcpy(run.me->detail, edata->detail ? edata->detail : "", sizeof(run.me->detail));
		strlcpy(run.me->hint, edata->hint ? edata->hint : "", sizeof(run.me->hint));
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	pg_write_barrier();
	dsm_detach(seg);
	proc_exit(0);
}

void
chameleon_copy_tables_here(const char *config_path, int32 source_id, List *tables)
{
	CopyRun		run;
	MemoryContext caller = CurrentMemoryContext;

	memset(&run, 0, sizeof(run));
	run.source_id = source_id;
	run.config_path = config_path;
	run.tables = tables;
	run.for_sync = true;
	run.cxt = AllocSetContextCreate(TopMemoryContext, "pg_chameleon sync copy",
									ALLOCSET_DEFAULT_SIZES);
	PG_TRY();
	{
		run_worker(&run);
	}
	PG_FINALLY();
	{
		/* the connection goes with the context */
		MemoryContextSwitchTo(caller);
		MemoryContextDelete(run.cxt);
	}
	PG_END_TRY();
}
