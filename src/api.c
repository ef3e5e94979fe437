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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "config.h"
#include "copy.h"
#include "preflight.h"
#include "progress.h"
#include "typemap.h"

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
 * init_replica and copy progress (copy.c, progress.c)
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(chameleon_init_replica);
PG_FUNCTION_INFO_V1(chameleon_copy_progress_rows);

/*
 * chameleon.init_replica(path text DEFAULT NULL, force boolean DEFAULT false)
 *   RETURNS text
 */
Datum
chameleon_init_replica(PG_FUNCTION_ARGS)
{
	char	   *path = optional_path_arg(fcinfo);
	bool		force = PG_NARGS() > 1 && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);

	PG_RETURN_TEXT_P(cstring_to_text(chameleon_copy_init_replica(path, force)));
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
	Tuplestorestate *store = begin_materialized_srf(fcinfo, &tupdesc);

	for (int i = 0; i < n; i++)
	{
		ChameleonProgressRow *r = &rows[i];
		Datum		values[14];
		bool		nulls[14];

		values[0] = Int32GetDatum(r->pid);
		nulls[0] = false;
		values[1] = ObjectIdGetDatum(r->dboid);
		nulls[1] = false;
		put_text(values, nulls, 2, r->source);
		put_text(values, nulls, 3, r->pg_schema);
		put_text(values, nulls, 4, r->phase);
		put_text(values, nulls, 5, r->table_name[0] ? r->table_name : NULL);
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
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	PG_RETURN_NULL();
}
