/*
 * api.c -- the SQL-callable functions of the chameleon schema.
 *
 * Each function here is thin: it checks its arguments, calls the module of
 * its concern (config.c, preflight.c, ...) and turns the result into rows.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "config.h"
#include "preflight.h"
#include "typemap.h"
#include "position.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(chameleon_check_config);
PG_FUNCTION_INFO_V1(chameleon_check_source);

/* Optional text argument 0 as a C string, NULL when absent or NULL. */
static char *
optional_path_arg(FunctionCallInfo fcinfo)
{
	if (PG_NARGS() < 1 || PG_ARGISNULL(0))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(0));
}

/* Set up a materialized SRF result; returns the tuple store to fill. */
static Tuplestorestate *
begin_materialized_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

#if PG_VERSION_NUM >= 150000
	InitMaterializedSRF(fcinfo, 0);
#else
	{
		MemoryContext oldcxt;
		TupleDesc	desc;

		if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
			!(rsinfo->allowedModes & SFRM_Materialize))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("set-valued function called in context that cannot accept a set")));
		oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		rsinfo->returnMode = SFRM_Materialize;
		rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
		rsinfo->setDesc = CreateTupleDescCopy(desc);
		MemoryContextSwitchTo(oldcxt);
	}
#endif
	*tupdesc = rsinfo->setDesc;
	return rsinfo->setResult;
}

/* Text datum for a C string that may be NULL. */
static void
put_text(Datum *values, bool *nulls, int i, const char *s)
{
	nulls[i] = (s == NULL);
	values[i] = s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * chameleon.check_config(path text DEFAULT NULL)
 *   RETURNS TABLE (key text, value text, source text)
 */
Datum
chameleon_check_config(PG_FUNCTION_ARGS)
{
	char	   *path = optional_path_arg(fcinfo);
	ChameleonConfig *cfg;
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	ListCell   *lc;

	cfg = chameleon_config_load(path);
	store = begin_materialized_srf(fcinfo, &tupdesc);

	foreach(lc, cfg->settings)
	{
		ChameleonSetting *s = (ChameleonSetting *) lfirst(lc);
		Datum		values[3];
		bool		nulls[3];

		put_text(values, nulls, 0, s->key);
		put_text(values, nulls, 1, s->value);
		put_text(values, nulls, 2, s->from_file ? "file" : "default");
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}

/*
 * chameleon.check_source(path text DEFAULT NULL)
 *   RETURNS TABLE (check_name text, status text, value text, hint text)
 */
Datum
chameleon_check_source(PG_FUNCTION_ARGS)
{
	char	   *path = optional_path_arg(fcinfo);
	ChameleonConfig *cfg;
	List	   *checks;
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	ListCell   *lc;

	cfg = chameleon_config_load(path);
	checks = chameleon_preflight_run(cfg);
	store = begin_materialized_srf(fcinfo, &tupdesc);

	foreach(lc, checks)
	{
		PreflightCheck *c = (PreflightCheck *) lfirst(lc);
		Datum		values[4];
		bool		nulls[4];

		put_text(values, nulls, 0, c->check);
		put_text(values, nulls, 1, chameleon_preflight_status_name(c->status));
		put_text(values, nulls, 2, c->value);
		put_text(values, nulls, 3, c->hint);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}

/* ---------- type mapping (typemap.c) ---------- */

PG_FUNCTION_INFO_V1(chameleon_map_type);
PG_FUNCTION_INFO_V1(chameleon_map_type_details);

/* The hexify option from a text[] argument: canonical base names. */
static List *
hexify_arg(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;
	List	   *result = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elem_nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name;
		const char *base;

		if (elem_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("hexify must not contain NULL")));
		name = TextDatumGetCString(elems[i]);
		base = chameleon_mysql_base_type(name);
		if (base == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown MySQL type \"%s\" in hexify", name),
					 errhint("List MySQL base type names such as blob, binary or geometry.")));
		result = lappend(result, pstrdup(base));
	}
	return result;
}

/* chameleon.map_type(mysql_column_type text) RETURNS text */
Datum
chameleon_map_type(PG_FUNCTION_ARGS)
{
	char	   *column_type = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ChameleonPgType *pt;

	pt = chameleon_map_mysql_type(chameleon_parse_mysql_type(column_type), NULL);
	PG_RETURN_TEXT_P(cstring_to_text(pt->pg_type));
}

/*
 * chameleon.map_type_details(mysql_column_type text,
 *     tinyint1_as_boolean bool, hexify text[], postgis bool)
 *   RETURNS TABLE (pg_type text, value_kind text, check_expr text, mysql_type text)
 */
Datum
chameleon_map_type_details(PG_FUNCTION_ARGS)
{
	char	   *column_type = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ChameleonTypeOptions opts = {0};
	ChameleonMySQLType *mt;
	ChameleonPgType *pt;
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	Datum		values[4];
	bool		nulls[4];

	opts.tinyint1_as_boolean = PG_GETARG_BOOL(1);
	opts.hexify = hexify_arg(PG_GETARG_ARRAYTYPE_P(2));
	opts.postgis = PG_GETARG_BOOL(3);

	mt = chameleon_parse_mysql_type(column_type);
	pt = chameleon_map_mysql_type(mt, &opts);
	store = begin_materialized_srf(fcinfo, &tupdesc);
	put_text(values, nulls, 0, pt->pg_type);
	put_text(values, nulls, 1, chameleon_value_kind_name(pt->kind));
	put_text(values, nulls, 2, pt->check_expr);
	put_text(values, nulls, 3, chameleon_format_mysql_type(mt));
	tuplestore_putvalues(store, tupdesc, values, nulls);
	PG_RETURN_NULL();
}

/* ---------------------------------------------------------------------
 * Replica lifecycle: start_replica, stop_replica, worker status
 * (worker.h / slots.c own the workers, position.c the state rows)
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(chameleon_start_replica);
PG_FUNCTION_INFO_V1(chameleon_stop_replica);
PG_FUNCTION_INFO_V1(chameleon_worker_status);

static void
report_not_initialised(const char *name, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("replica \"%s\" is not initialised", name),
			 errdetail_internal("%s", detail),
			 errhint("Run chameleon.init_replica() first.")));
}

/* The source a config file describes, checked ready to stream. */
static ChameleonSource *
source_ready_to_start(const ChameleonConfig *cfg)
{
	ChameleonSource *src = chameleon_source_by_name(cfg->my_database);
	ChameleonPosition pos;

	if (src == NULL)
		report_not_initialised(cfg->my_database,
							   psprintf("sch_chameleon.t_sources has no source \"%s\".",
										cfg->my_database));
	if (strcmp(src->state, "initialising") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replica \"%s\" is still being initialised", src->name),
				 errhint("Wait for chameleon.init_replica() to finish, or run it again if it failed.")));
	if (strcmp(src->state, "detached") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replica \"%s\" is detached", src->name),
				 errdetail("Its tables are plain PostgreSQL tables now."),
				 errhint("Run chameleon.init_replica() to replicate it again.")));
	memset(&pos, 0, sizeof(pos));
	if (!chameleon_position_load(src->source_id, &pos))
		report_not_initialised(src->name,
							   "It has no start position in sch_chameleon.t_replica_batch.");
	return src;
}

/*
 * chameleon.start_replica(path text DEFAULT NULL) RETURNS void
 *
 * Starts the apply worker of the source the config describes, in this
 * database, and returns once the worker process runs.
 */
Datum
chameleon_start_replica(PG_FUNCTION_ARGS)
{
	char	   *path = optional_path_arg(fcinfo);
	ChameleonConfig *cfg = chameleon_config_load(path);
	ChameleonSource *src;
	char	   *dbname = get_database_name(MyDatabaseId);
	pid_t		pid;

	if (cfg->pg_database != NULL && strcmp(cfg->pg_database, dbname) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("configuration \"%s\" is for database \"%s\"",
						cfg->path, cfg->pg_database),
				 errdetail("This is database \"%s\".", dbname),
				 errhint("Connect to database \"%s\" to start this replica.",
						 cfg->pg_database)));

	src = source_ready_to_start(cfg);
	if (chameleon_worker_is_running(MyDatabaseId, src->source_id, &pid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("replica \"%s\" is already running", src->name),
				 pid != 0
				 ? errdetail("Its apply worker has PID %d.", (int) pid)
				 : errdetail("Its apply worker is starting or waiting to be restarted."),
				 errhint("Use chameleon.stop_replica() to stop it.")));

	/* the worker reads its row FOR SHARE: it sees these once we commit */
	chameleon_source_set_config_path(src->source_id, cfg->path);
	chameleon_source_set_state(src->source_id, "streaming", NULL, true);
	(void) chameleon_worker_start(MyDatabaseId, src->source_id);
	PG_RETURN_VOID();
}

/* The source stop_replica means: by name, or the only one. */
static ChameleonSource *
source_to_stop(FunctionCallInfo fcinfo)
{
	List	   *all;

	if (PG_NARGS() >= 1 && !PG_ARGISNULL(0))
	{
		char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
		ChameleonSource *src = chameleon_source_by_name(name);

		if (src == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("replica \"%s\" does not exist", name),
					 errhint("The sources of this database are listed in chameleon.status.")));
		return src;
	}
	all = chameleon_source_list();
	if (all == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("there is no replica in this database")));
	if (list_length(all) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("this database has %d replicas", list_length(all)),
				 errhint("Name the one to stop, e.g. chameleon.stop_replica('%s').",
						 ((ChameleonSource *) linitial(all))->name)));
	return (ChameleonSource *) linitial(all);
}

/*
 * chameleon.stop_replica(source text DEFAULT NULL) RETURNS void
 *
 * Stops the apply worker at a transaction boundary, waits until it has
 * exited, and sets the state to stopped.
 */
Datum
chameleon_stop_replica(PG_FUNCTION_ARGS)
{
	ChameleonSource *src = source_to_stop(fcinfo);

	if (!chameleon_worker_stop(MyDatabaseId, src->source_id))
		ereport(NOTICE,
				(errmsg("replica \"%s\" was not running", src->name)));
	chameleon_source_mark_stopped(src->source_id);
	PG_RETURN_VOID();
}

static void
put_timestamp(Datum *values, bool *nulls, int i, TimestampTz t)
{
	nulls[i] = (t == 0);
	values[i] = TimestampTzGetDatum(t);
}

/*
 * chameleon.worker_status() RETURNS SETOF record: the apply worker slots of
 * this database, copied under a shared lock (the base of chameleon.status).
 */
Datum
chameleon_worker_status(PG_FUNCTION_ARGS)
{
#define WORKER_STATUS_COLS 18
	TupleDesc	tupdesc;
	Tuplestorestate *store = begin_materialized_srf(fcinfo, &tupdesc);
	int			n;
	ChameleonSlotView *views = chameleon_slots_snapshot(MyDatabaseId, &n);

	for (int i = 0; i < n; i++)
	{
		ChameleonWorkerSlot *s = &views[i].slot;
		Datum		values[WORKER_STATUS_COLS];
		bool		nulls[WORKER_STATUS_COLS];
		int			c = 0;

		memset(nulls, 0, sizeof(nulls));
		values[c++] = Int32GetDatum(s->source_id);
		nulls[c] = (s->pid == 0);
		values[c++] = Int32GetDatum((int32) s->pid);
		put_text(values, nulls, c++, chameleon_slot_state_name(s->state));
		put_text(values, nulls, c++, s->read_file[0] ? s->read_file : NULL);
		nulls[c] = (s->read_file[0] == '\0');
		values[c++] = Int64GetDatum((int64) s->read_pos);
		put_text(values, nulls, c++, s->applied_file[0] ? s->applied_file : NULL);
		nulls[c] = (s->applied_file[0] == '\0');
		values[c++] = Int64GetDatum((int64) s->applied_pos);
		put_text(values, nulls, c++, s->applied_gtid[0] ? s->applied_gtid : NULL);
		put_timestamp(values, nulls, c++, s->last_commit_time);
		put_timestamp(values, nulls, c++, s->last_heartbeat);
		put_timestamp(values, nulls, c++, s->caught_up_at);
		put_timestamp(values, nulls, c++, s->started_at);
		values[c++] = Int64GetDatum((int64) s->xacts_applied);
		values[c++] = Int64GetDatum((int64) s->rows_applied);
		nulls[c] = (views[i].rows_per_second < 0);
		values[c++] = Float8GetDatum(views[i].rows_per_second);
		values[c++] = Int32GetDatum(s->restarts);
		put_text(values, nulls, c++, s->last_error[0] ? s->last_error : NULL);
		put_timestamp(values, nulls, c++, s->last_error_time);
		Assert(c == WORKER_STATUS_COLS);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}
