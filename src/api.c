/*
 * api.c -- the SQL-callable functions of the chameleon schema.
 *
 * Each function here is thin: it checks its arguments, calls the module of
 * its concern (config.c, preflight.c, ...) and turns the result into rows.
 * Larger groups have their own file: api_binlog.c (looking through a
 * binlog), api_gtid.c (MySQL GTID sets on the wire), api_sync.c (changing
 * the tables of a replica).
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "api.h"
#include "geometry.h"
#include "config.h"
#include "copy.h"
#include "copy_workers.h"
#include "ddl.h"
#include "preflight.h"
#include "progress.h"
#include "typemap.h"
#include "position.h"
#include "worker.h"
#include "spi_util.h"

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
Tuplestorestate *
chameleon_begin_materialized_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
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
void
chameleon_put_text(Datum *values, bool *nulls, int i, const char *s)
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
	store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);

	foreach(lc, cfg->settings)
	{
		ChameleonSetting *s = (ChameleonSetting *) lfirst(lc);
		Datum		values[3];
		bool		nulls[3];

		chameleon_put_text(values, nulls, 0, s->key);
		chameleon_put_text(values, nulls, 1, s->value);
		chameleon_put_text(values, nulls, 2, s->from_file ? "file" : "default");
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
	store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);

	foreach(lc, checks)
	{
		PreflightCheck *c = (PreflightCheck *) lfirst(lc);
		Datum		values[4];
		bool		nulls[4];

		chameleon_put_text(values, nulls, 0, c->check);
		chameleon_put_text(values, nulls, 1, chameleon_preflight_status_name(c->status));
		chameleon_put_text(values, nulls, 2, c->value);
		chameleon_put_text(values, nulls, 3, c->hint);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}

/* ---------- type mapping (typemap.c) ---------- */

PG_FUNCTION_INFO_V1(chameleon_map_type);
PG_FUNCTION_INFO_V1(chameleon_map_type_details);
PG_FUNCTION_INFO_V1(chameleon_mysql_geometry_to_ewkb);

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
	store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);
	chameleon_put_text(values, nulls, 0, pt->pg_type);
	chameleon_put_text(values, nulls, 1, chameleon_value_kind_name(pt->kind));
	chameleon_put_text(values, nulls, 2, pt->check_expr);
	chameleon_put_text(values, nulls, 3, chameleon_format_mysql_type(mt));
	tuplestore_putvalues(store, tupdesc, values, nulls);
	PG_RETURN_NULL();
}

/* ---------------------------------------------------------------------
 * init_replica and copy progress (copy.c, progress.c)
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(chameleon_init_replica);
PG_FUNCTION_INFO_V1(chameleon_copy_progress_rows);

/*
 * chameleon.init_replica(path text DEFAULT NULL, force boolean DEFAULT false,
 *                        wait boolean DEFAULT true) RETURNS text
 */
Datum
chameleon_init_replica(PG_FUNCTION_ARGS)
{
	char	   *path = optional_path_arg(fcinfo);
	bool		force = PG_NARGS() > 1 && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	bool		wait = PG_NARGS() < 3 || PG_ARGISNULL(2) || PG_GETARG_BOOL(2);

	PG_RETURN_TEXT_P(cstring_to_text(chameleon_init_replica_run(path, force, wait)));
}

static void
put_int8(Datum *values, bool *nulls, int i, int64 v)
{
	nulls[i] = false;
	values[i] = Int64GetDatum(v);
}

static void
put_timestamp(Datum *values, bool *nulls, int i, TimestampTz t)
{
	nulls[i] = (t == 0);
	values[i] = TimestampTzGetDatum(t);
}

/*
 * chameleon.copy_progress_rows() RETURNS TABLE (pid integer, dboid oid,
 *   source text, pg_schema text, phase text, table_name text,
 *   table_rows_copied bigint, table_rows_estimated bigint, table_started timestamptz,
 *   tables_done integer, tables_total integer, rows_copied bigint,
 *   rows_estimated bigint, started timestamptz)
 */
Datum
chameleon_copy_progress_rows(PG_FUNCTION_ARGS)
{
	ChameleonProgressRow *rows;
	int			n = chameleon_progress_snapshot(&rows);
	TupleDesc	tupdesc;
	Tuplestorestate *store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);

	for (int i = 0; i < n; i++)
	{
		ChameleonProgressRow *r = &rows[i];
		Datum		values[15];
		bool		nulls[15];

		values[0] = Int32GetDatum(r->pid);
		nulls[0] = false;
		values[1] = ObjectIdGetDatum(r->dboid);
		nulls[1] = false;
		chameleon_put_text(values, nulls, 2, r->source);
		chameleon_put_text(values, nulls, 3, r->pg_schema);
		chameleon_put_text(values, nulls, 4, r->phase);
		chameleon_put_text(values, nulls, 5, r->table_name[0] ? r->table_name : NULL);
		put_int8(values, nulls, 6, r->table_rows_copied);
		put_int8(values, nulls, 7, r->table_rows_estimated);
		put_timestamp(values, nulls, 8, r->table_name[0] ? r->table_started : 0);
		values[9] = Int32GetDatum(r->tables_done);
		nulls[9] = false;
		values[10] = Int32GetDatum(r->tables_total);
		nulls[10] = false;
		put_int8(values, nulls, 11, r->rows_copied);
		put_int8(values, nulls, 12, r->rows_estimated);
		put_timestamp(values, nulls, 13, r->started);
		put_int8(values, nulls, 14, r->table_slices);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}

/* ---------- DDL translation (ddl.c) ---------- */

PG_FUNCTION_INFO_V1(chameleon_translate_ddl);
PG_FUNCTION_INFO_V1(chameleon_translate_ddl_details);

/* Translate argument 0 with default database argument 1; NIL for a NULL statement. */
static List *
translate_ddl_args(FunctionCallInfo fcinfo)
{
	ChameleonDdlContext ctx = {0};

	if (PG_ARGISNULL(0))
		return NIL;
	ctx.zero_dates_to_null = true;	/* the configuration's default */
	if (!PG_ARGISNULL(1))
		ctx.default_db = text_to_cstring(PG_GETARG_TEXT_PP(1));
	return chameleon_ddl_translate(&ctx, text_to_cstring(PG_GETARG_TEXT_PP(0)));
}

/* A materialized SRF result of one text column (the function returns SETOF text). */
static Tuplestorestate *
begin_text_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	TupleDesc	desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(desc, (AttrNumber) 1, "translate_ddl", TEXTOID, -1, 0);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = BlessTupleDesc(desc);
	MemoryContextSwitchTo(oldcxt);
	*tupdesc = rsinfo->setDesc;
	return rsinfo->setResult;
}

/* chameleon.translate_ddl(sql text, default_schema text DEFAULT NULL) RETURNS SETOF text */
Datum
chameleon_translate_ddl(PG_FUNCTION_ARGS)
{
	List	   *results = translate_ddl_args(fcinfo);
	TupleDesc	tupdesc;
	Tuplestorestate *store = begin_text_srf(fcinfo, &tupdesc);
	ListCell   *lc;

	foreach(lc, results)
	{
		ChameleonDdlResult *res = lfirst(lc);
		ListCell   *sc;

		foreach(sc, res->statements)
		{
			Datum		value = CStringGetTextDatum(lfirst(sc));
			bool		isnull = false;

			tuplestore_putvalues(store, tupdesc, &value, &isnull);
		}
	}
	PG_RETURN_NULL();
}

/* A text[] of the C strings of list (an empty array for an empty list). */
static Datum
text_array_datum(List *list, bool *isnull)
{
	*isnull = false;
	return chameleon_spi_text_array(list);
}

static void
json_string_or_null(StringInfo buf, const char *s)
{
	if (s == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, s);
}

static void
json_string_array(StringInfo buf, List *list)
{
	ListCell   *lc;

	appendStringInfoChar(buf, '[');
	foreach(lc, list)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, lfirst(lc));
	}
	appendStringInfoChar(buf, ']');
}

/* ["db", "table"] or null */
static void
json_table_name(StringInfo buf, const char *db, const char *table)
{
	if (table == NULL)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	json_string_array(buf, list_make2((char *) db, (char *) table));
}

/* [{"old": [db, t], "new": [db, t], "columns": [...] | null}, ...] */
static Datum
tables_jsonb(List *tables)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, tables)
	{
		ChameleonDdlTableChange *ch = lfirst(lc);

		appendStringInfoString(&buf, foreach_current_index(lc) ? ", {\"old\": " : "{\"old\": ");
		json_table_name(&buf, ch->old_db, ch->old_name);
		appendStringInfoString(&buf, ", \"new\": ");
		json_table_name(&buf, ch->new_db, ch->new_name);
		appendStringInfoString(&buf, ", \"columns\": ");
		if (ch->columns_known)
			json_string_array(&buf, ch->columns);
		else
			appendStringInfoString(&buf, "null");
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

static void
json_foreign_key(StringInfo buf, const ChameleonDdlForeignKey *fk, bool added)
{
	appendStringInfo(buf, "{\"action\": \"%s\", \"name\": ", added ? "add" : "drop");
	json_string_or_null(buf, fk->name);
	appendStringInfoString(buf, ", \"table\": ");
	json_table_name(buf, fk->db, fk->table);
	if (added)
	{
		appendStringInfoString(buf, ", \"columns\": ");
		json_string_array(buf, fk->columns);
		appendStringInfoString(buf, ", \"references\": ");
		json_table_name(buf, fk->ref_db, fk->ref_table);
		appendStringInfoString(buf, ", \"ref_columns\": ");
		json_string_array(buf, fk->ref_columns);
		appendStringInfoString(buf, ", \"on_delete\": ");
		json_string_or_null(buf, fk->on_delete);
		appendStringInfoString(buf, ", \"on_update\": ");
		json_string_or_null(buf, fk->on_update);
	}
	appendStringInfoChar(buf, '}');
}

/* Added and dropped foreign keys as a jsonb array; SQL NULL if none. */
static Datum
foreign_keys_jsonb(const ChameleonDdlResult *res, bool *isnull)
{
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	*isnull = (res->foreign_keys == NIL && res->dropped_foreign_keys == NIL);
	if (*isnull)
		return (Datum) 0;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, res->foreign_keys)
	{
		appendStringInfoString(&buf, n++ ? ", " : "");
		json_foreign_key(&buf, lfirst(lc), true);
	}
	foreach(lc, res->dropped_foreign_keys)
	{
		appendStringInfoString(&buf, n++ ? ", " : "");
		json_foreign_key(&buf, lfirst(lc), false);
	}
	appendStringInfoChar(&buf, ']');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/*
 * chameleon.translate_ddl_details(sql text, default_schema text DEFAULT NULL)
 *   RETURNS TABLE (stmt int, kind text, source text, translation text[],
 *                  tables jsonb, foreign_keys jsonb, notes text[])
 */
Datum
chameleon_translate_ddl_details(PG_FUNCTION_ARGS)
{
	List	   *results = translate_ddl_args(fcinfo);
	TupleDesc	tupdesc;
	Tuplestorestate *store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);
	ListCell   *lc;

	foreach(lc, results)
	{
		ChameleonDdlResult *res = lfirst(lc);
		Datum		values[7];
		bool		nulls[7] = {0};
		List	   *notes = res->notes;

		if (res->skip_reason != NULL)
			notes = lcons(psprintf("skipped: %s", res->skip_reason), list_copy(notes));
		values[0] = Int32GetDatum(foreach_current_index(lc) + 1);
		values[1] = CStringGetTextDatum(chameleon_ddl_kind_name(res->kind));
		values[2] = CStringGetTextDatum(res->source);
		values[3] = text_array_datum(res->statements, &nulls[3]);
		values[4] = tables_jsonb(res->tables);
		values[5] = foreign_keys_jsonb(res, &nulls[5]);
		values[6] = text_array_datum(notes, &nulls[6]);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
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
	ChameleonSource *src = chameleon_source_by_name(cfg->source_name);
	ChameleonPosition pos;

	if (src == NULL)
		report_not_initialised(cfg->source_name,
							   psprintf("sch_chameleon.t_sources has no source \"%s\".",
										cfg->source_name));
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
	chameleon_config_check_source(cfg, src);
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
	pid_t		pid;

	chameleon_config_require_this_database(cfg, "start this replica");

	src = source_ready_to_start(cfg);
	if (chameleon_worker_is_running(MyDatabaseId, src->source_id, &pid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("replica \"%s\" is already running", src->name),
				 pid != 0
				 ? errdetail("Its apply worker has PID %d.", (int) pid)
				 : errdetail("Its apply worker is starting or waiting to be restarted."),
				 errhint("Use chameleon.stop_replica() to stop it.")));

	chameleon_origin_require_slot(MyDatabaseId, src->source_id,
								  psprintf("start replica \"%s\"", src->name));
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
		return chameleon_source_named(text_to_cstring(PG_GETARG_TEXT_PP(0)));
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

/*
 * chameleon.worker_status() RETURNS SETOF record: the apply worker slots of
 * this database, copied under a shared lock (the base of chameleon.status).
 */
Datum
chameleon_worker_status(PG_FUNCTION_ARGS)
{
#define WORKER_STATUS_COLS 18
	TupleDesc	tupdesc;
	Tuplestorestate *store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);
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
		chameleon_put_text(values, nulls, c++, chameleon_slot_state_name(s->state));
		chameleon_put_text(values, nulls, c++, s->read_file[0] ? s->read_file : NULL);
		nulls[c] = (s->read_file[0] == '\0');
		values[c++] = Int64GetDatum((int64) s->read_pos);
		chameleon_put_text(values, nulls, c++, s->applied_file[0] ? s->applied_file : NULL);
		nulls[c] = (s->applied_file[0] == '\0');
		values[c++] = Int64GetDatum((int64) s->applied_pos);
		chameleon_put_text(values, nulls, c++, s->applied_gtid[0] ? s->applied_gtid : NULL);
		put_timestamp(values, nulls, c++, s->last_commit_time);
		put_timestamp(values, nulls, c++, s->last_heartbeat);
		put_timestamp(values, nulls, c++, s->caught_up_at);
		put_timestamp(values, nulls, c++, s->started_at);
		values[c++] = Int64GetDatum((int64) s->xacts_applied);
		values[c++] = Int64GetDatum((int64) s->rows_applied);
		nulls[c] = (views[i].rows_per_second < 0);
		values[c++] = Float8GetDatum(views[i].rows_per_second);
		values[c++] = Int32GetDatum(s->restarts);
		chameleon_put_text(values, nulls, c++, s->last_error[0] ? s->last_error : NULL);
		put_timestamp(values, nulls, c++, s->last_error_time);
		Assert(c == WORKER_STATUS_COLS);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}

/*
 * chameleon.mysql_geometry_to_ewkb(value bytea) RETURNS bytea
 *
 * A MySQL spatial value in its internal format (SRID + WKB, as a SELECT of
 * the column or the binlog gives it) as EWKB, the way the copy and the
 * stream convert it (geometry.c).
 */
Datum
chameleon_mysql_geometry_to_ewkb(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	StringInfoData out;
	bytea	   *result;

	initStringInfo(&out);
	if (!chameleon_geometry_to_ewkb((const uint8 *) VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in), &out))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("not a MySQL spatial value"),
				 errdetail("A MySQL spatial value is a 4-byte little-endian SRID, then WKB: a byte order (0 or 1), a 4-byte type and the coordinates; this one has %d bytes.",
						   (int) VARSIZE_ANY_EXHDR(in))));
	result = (bytea *) palloc(VARHDRSZ + out.len);
	SET_VARSIZE(result, VARHDRSZ + out.len);
	memcpy(VARDATA(result), out.data, out.len);
	PG_RETURN_BYTEA_P(result);
}
