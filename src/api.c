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
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/acl.h"
#include "commands/dbcommands.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "binlog.h"
#include "binlog_stream.h"
#include "catalog.h"
#include "config.h"
#include "copy.h"
#include "ddl.h"
#include "decode.h"
#include "mysql_client.h"
#include "preflight.h"
#include "progress.h"
#include "tabledef.h"
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
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(list), 1));
	ListCell   *lc;

	foreach(lc, list)
		elems[foreach_current_index(lc)] = CStringGetTextDatum(lfirst(lc));
	*isnull = false;
	return PointerGetDatum(construct_array(elems, list_length(list), TEXTOID, -1, false,
										   TYPALIGN_INT));
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
	Tuplestorestate *store = begin_materialized_srf(fcinfo, &tupdesc);
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

/* ==================== binlog look-through (binlog section) ============= *
 * chameleon.binlog_file_events / binlog_file_rows read a local binlog file;
 * chameleon.binlog_events / binlog_rows read the configured source through
 * the replication protocol and stop at the binlog end seen when they start.
 * Each event is parsed in a memory context reset per event.
 */


PG_FUNCTION_INFO_V1(chameleon_binlog_file_events);
PG_FUNCTION_INFO_V1(chameleon_binlog_file_rows);

/*
 * Looks up what a table map does not say about its table (NULL: nothing to
 * add): the source's information_schema for maps without full metadata, or
 * a replica's PostgreSQL table.
 */
typedef ChameleonTableDef *(*BinlogTableDefLookup) (void *arg, const ChameleonTableMap *map);

static void
require_file_reader(void)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read binlog files"),
				 errdetail("Only roles with privileges of the \"pg_read_server_files\" role may read server files.")));
}

static int
max_events_arg(FunctionCallInfo fcinfo, int argno)
{
	int			n = PG_ARGISNULL(argno) ? 1000 : PG_GETARG_INT32(argno);

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_events must not be negative")));
	return n;
}

static char *
event_table_name(ChameleonBinlogReader *reader, const ChameleonBinlogEvent *ev)
{
	const ChameleonTableMap *map = NULL;

	if (ev->type == BL_TABLE_MAP_EVENT)
		map = ev->table_map;
	else if (ev->rows.ncols > 0)
		map = chameleon_binlog_lookup_map(&reader->state, ev->rows.table_id, true);
	return map ? psprintf("%s.%s", map->schema, map->table) : NULL;
}

/* One row of binlog_events / binlog_file_events per event. */
static void
emit_events(ChameleonBinlogReader *reader, int max_events, Tuplestorestate *store,
			TupleDesc desc)
{
	MemoryContext evcxt = AllocSetContextCreate(CurrentMemoryContext,
												"chameleon binlog event",
												ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(evcxt);
	ChameleonBinlogEvent ev;

	for (int n = 0; n < max_events && chameleon_binlog_read(reader, &ev); n++)
	{
		Datum		values[8];
		bool		nulls[8];
		char	   *summary = ev.type == BL_FORMAT_DESCRIPTION_EVENT ? ev.text :
			chameleon_binlog_event_summary(&ev);

		CHECK_FOR_INTERRUPTS();
		put_text(values, nulls, 0, ev.file);
		values[1] = Int64GetDatum((int64) ev.position);
		nulls[1] = false;
		values[2] = Int64GetDatum((int64) ev.end_position);
		nulls[2] = false;
		nulls[3] = (ev.timestamp == 0);
		values[3] = TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) ev.timestamp));
		put_text(values, nulls, 4, chameleon_binlog_event_name(ev.wire_type));
		put_text(values, nulls, 5, reader->state.gtid[0] ? reader->state.gtid : ev.gtid);
		put_text(values, nulls, 6, event_table_name(reader, &ev));
		put_text(values, nulls, 7, summary);
		tuplestore_putvalues(store, desc, values, nulls);
		MemoryContextReset(evcxt);
	}
	MemoryContextSwitchTo(old);
}

/* A row image as a jsonb object {column: text or null}; absent columns left out. */
static Datum
row_image_jsonb(const ChameleonDecodeTable *t, const ChameleonRowImage *img)
{
	StringInfoData s;
	bool		first = true;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	for (int i = 0; i < img->ncols; i++)
	{
		if (!img->present[i])
			continue;
		if (!first)
			appendStringInfoString(&s, ", ");
		first = false;
		escape_json(&s, t->cols[i].name);
		appendStringInfoString(&s, ": ");
		if (img->isnull[i])
			appendStringInfoString(&s, "null");
		else
			escape_json(&s, img->values[i]);
	}
	appendStringInfoChar(&s, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data));
}

static const char *
operation_name(ChameleonRowsKind kind)
{
	return kind == CHAMELEON_ROWS_WRITE ? "insert" :
		kind == CHAMELEON_ROWS_UPDATE ? "update" : "delete";
}

/* One row of binlog_rows / binlog_file_rows per changed row. */
static void
emit_rows(ChameleonBinlogReader *reader, int max_events, Tuplestorestate *store,
		  TupleDesc desc, BinlogTableDefLookup lookup, void *lookup_arg,
		  const ChameleonDecodeOptions *opts)
{
	MemoryContext evcxt = AllocSetContextCreate(CurrentMemoryContext,
												"chameleon binlog event",
												ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(evcxt);
	ChameleonBinlogEvent ev;

	for (int n = 0; n < max_events && chameleon_binlog_read(reader, &ev); n++)
	{
		ChameleonTableMap *map;
		ChameleonTableDef *def = NULL;
		ChameleonDecodeTable *table;
		ChameleonRowIterator it;
		ChameleonRowChange change;
		ErrorContextCallback cb;
		ChameleonBinlogWhere where;

		CHECK_FOR_INTERRUPTS();
		chameleon_binlog_require_decodable_rows(&ev);
		if (ev.rows.ncols == 0)
		{
			MemoryContextReset(evcxt);
			continue;
		}
		map = chameleon_binlog_lookup_map(&reader->state, ev.rows.table_id, false);
		if (lookup)
			def = lookup(lookup_arg, map);

		where.file = ev.file;
		where.position = ev.position;
		where.event_type = ev.type;
		where.table = NULL;
		chameleon_binlog_context_push(&cb, &where);
		table = chameleon_decode_prepare(map, def, opts);
		chameleon_rows_begin(&it, table, &ev.rows);
		while (chameleon_rows_next(&it, &change))
		{
			Datum		values[6];
			bool		nulls[6];

			put_text(values, nulls, 0, ev.file);
			values[1] = Int64GetDatum((int64) ev.position);
			nulls[1] = false;
			put_text(values, nulls, 2, table->name);
			put_text(values, nulls, 3, operation_name(change.kind));
			nulls[4] = (change.kind == CHAMELEON_ROWS_WRITE);
			values[4] = nulls[4] ? (Datum) 0 : row_image_jsonb(table, &change.before);
			nulls[5] = (change.kind == CHAMELEON_ROWS_DELETE);
			values[5] = nulls[5] ? (Datum) 0 : row_image_jsonb(table, &change.after);
			tuplestore_putvalues(store, desc, values, nulls);
		}
		chameleon_binlog_context_pop(&cb);
		MemoryContextReset(evcxt);
	}
	MemoryContextSwitchTo(old);
}

/*
 * chameleon.binlog_file_events(path text, max_events int DEFAULT 1000)
 *   RETURNS TABLE (file, position, end_position, event_time, event_type,
 *                  gtid, table_name, summary)
 */
Datum
chameleon_binlog_file_events(PG_FUNCTION_ARGS)
{
	char	   *path;
	int			max_events = max_events_arg(fcinfo, 1);
	ChameleonBinlogReader *reader;
	TupleDesc	tupdesc;
	Tuplestorestate *store;

	require_file_reader();
	store = begin_materialized_srf(fcinfo, &tupdesc);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* no file: no rows */
	path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	reader = chameleon_binlog_open_file(path);
	emit_events(reader, max_events, store, tupdesc);
	chameleon_binlog_close(reader);
	PG_RETURN_NULL();
}

/* A replica's PostgreSQL table for a table map (tabledef_replica.c). */
static ChameleonTableDef *
replica_table_def(void *arg, const ChameleonTableMap *map)
{
	return chameleon_tabledef_from_replica((const ChameleonSourceRow *) arg, map);
}

/*
 * chameleon.binlog_file_rows(path text, max_events int DEFAULT 1000)
 * chameleon.binlog_file_rows(path text, max_events int, source text)
 *   RETURNS TABLE (file, position, table_name, operation, before, after)
 *
 * Without binlog_row_metadata=FULL a file says nothing of names and
 * signedness: columns are named col1..colN, integers read as signed, ENUM
 * values shown as their index and SET values as member numbers.  MariaDB
 * UUID/INET columns are BINARY in the binlog and shown as bytea hex, FULL
 * or not.  source: a replica in this database (t_sources.source_name); its
 * PostgreSQL tables give the tables of that MySQL database their column
 * names and uuid/inet/boolean/bytea kinds, as the worker applies them.
 */
Datum
chameleon_binlog_file_rows(PG_FUNCTION_ARGS)
{
	char	   *path;
	int			max_events = max_events_arg(fcinfo, 1);
	ChameleonSourceRow *source = NULL;
	ChameleonBinlogReader *reader;
	TupleDesc	tupdesc;
	Tuplestorestate *store;

	require_file_reader();
	store = begin_materialized_srf(fcinfo, &tupdesc);
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(2));

		source = chameleon_catalog_get_source(name);
		if (source == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("replica \"%s\" does not exist", name),
					 errhint("Give the MySQL database of a replica in sch_chameleon.t_sources, or NULL.")));
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* no file: no rows */
	path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	reader = chameleon_binlog_open_file(path);
	emit_rows(reader, max_events, store, tupdesc,
			  source ? replica_table_def : NULL, source, NULL);
	chameleon_binlog_close(reader);
	PG_RETURN_NULL();
}

/* ---------- the configured source (network) ---------- */



PG_FUNCTION_INFO_V1(chameleon_binlog_events);
PG_FUNCTION_INFO_V1(chameleon_binlog_rows);

/* Open a non-blocking dump of the configured source, ending at today's end. */
static ChameleonBinlogReader *
open_source_stream(FunctionCallInfo fcinfo, ChameleonConfig **cfg_out)
{
	ChameleonConfig *cfg = chameleon_config_load(NULL);
	MYSQL	   *conn = chameleon_mysql_connect(cfg);
	ChameleonStreamOptions opts;
	ChameleonBinlogReader *reader;
	char	   *end_file;
	uint64		end_pos;

	memset(&opts, 0, sizeof(opts));
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
	{
		if (!PG_ARGISNULL(0) || !PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("give either start_file and start_pos or start_gtid, not both")));
		opts.gtid = text_to_cstring(PG_GETARG_TEXT_PP(3));
	}
	else
	{
		opts.file = PG_ARGISNULL(0) ? chameleon_binlog_first_file(conn) :
			text_to_cstring(PG_GETARG_TEXT_PP(0));
		opts.position = PG_ARGISNULL(1) ? 4 : (uint64) Max(PG_GETARG_INT64(1), 0);
	}
	opts.server_id = 0;			/* a one-off reader: no replica id taken */
	opts.non_blocking = true;
	if (!chameleon_binlog_current_end(conn, &end_file, &end_pos))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("binary logging is not enabled on the MySQL server")));

	reader = chameleon_binlog_open_stream(conn, &opts);
	/* never wait for new events: stop where the binlog ended when we began */
	reader->stop_file = end_file;
	reader->stop_position = end_pos;
	*cfg_out = cfg;
	return reader;
}

/*
 * Table definitions from the source's information_schema, for rows events
 * whose table map lacks names or signedness (binlog_row_metadata below FULL).
 *
 * RACE: information_schema describes the table as it is now, not as it was
 * when the event was written.  After an ALTER TABLE, older events may be
 * decoded with the wrong shape (a changed column count is caught and is an
 * ERROR; a changed type may not be).  binlog_row_metadata=FULL avoids this,
 * and the replica worker keeps a schema history instead.
 */
typedef struct SourceDefs
{
	ChameleonConfig *cfg;
	MYSQL	   *conn;			/* a second connection: the first one streams */
	List	   *names;			/* "schema.table" */
	List	   *defs;			/* ChameleonTableDef * */
} SourceDefs;

/* Labels of enum('a','b''c') / set(...) as information_schema prints them. */
static List *
column_type_labels(const char *column_type)
{
	const char *p = strchr(column_type, '(');
	List	   *labels = NIL;

	if (p == NULL)
		return NIL;
	p++;
	while (*p == '\'')
	{
		StringInfoData s;

		initStringInfo(&s);
		p++;
		while (*p)
		{
			if (p[0] == '\'' && p[1] == '\'')
			{
				appendStringInfoChar(&s, '\'');
				p += 2;
			}
			else if (p[0] == '\\' && p[1])
			{
				appendStringInfoChar(&s, p[1]);
				p += 2;
			}
			else if (p[0] == '\'')
			{
				p++;
				break;
			}
			else
				appendStringInfoChar(&s, *p++);
		}
		labels = lappend(labels, pg_any_to_server(s.data, s.len, PG_UTF8));
		if (*p == ',')
			p++;
	}
	return labels;
}

static bool
is_binary_data_type(const char *t)
{
	return strcmp(t, "binary") == 0 || strcmp(t, "varbinary") == 0 ||
		strcmp(t, "uuid") == 0 || strcmp(t, "inet6") == 0 || strcmp(t, "inet4") == 0 ||
		strcmp(t, "tinyblob") == 0 || strcmp(t, "blob") == 0 ||
		strcmp(t, "mediumblob") == 0 || strcmp(t, "longblob") == 0;
}

static ChameleonTableDef *
source_table_def(void *arg, const ChameleonTableMap *map)
{
	SourceDefs *sd = (SourceDefs *) arg;
	const char *schema = map->schema;
	const char *table = map->table;
	char	   *key;
	ListCell   *ln,
			   *ld;
	MemoryContext old;
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	List	   *cols = NIL;
	ChameleonTableDef *def;

	if (map->has_names && map->has_signedness)
		return NULL;			/* full metadata: the map says it all */
	key = psprintf("%s.%s", schema, table);
	forboth(ln, sd->names, ld, sd->defs)
		if (strcmp((char *) lfirst(ln), key) == 0)
			return (ChameleonTableDef *) lfirst(ld);

	/* definitions live as long as the call, not one event */
	old = MemoryContextSwitchTo(GetMemoryChunkContext(sd));
	if (sd->conn == NULL)
		sd->conn = chameleon_mysql_connect(sd->cfg);
	res = chameleon_mysql_query(sd->conn,
								psprintf("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME"
										 " FROM information_schema.COLUMNS"
										 " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s"
										 " ORDER BY ORDINAL_POSITION",
										 chameleon_mysql_quote_literal(sd->conn, schema),
										 chameleon_mysql_quote_literal(sd->conn, table)));
	while (res && (row = mysql_fetch_row(res)) != NULL)
	{
		ChameleonColumnDef *c = palloc0(sizeof(ChameleonColumnDef));
		const char *data_type = row[1] ? row[1] : "";
		const char *column_type = row[2] ? row[2] : "";

		c->name = pg_any_to_server(pstrdup(row[0]), strlen(row[0]), PG_UTF8);
		c->kind = -1;
		c->is_unsigned = strstr(column_type, "unsigned") != NULL;
		if (strcmp(data_type, "enum") == 0 || strcmp(data_type, "set") == 0)
			c->labels = column_type_labels(column_type);
		if (strcmp(data_type, "uuid") == 0)
			c->kind = CHAMELEON_KIND_UUID;
		else if (strcmp(data_type, "inet6") == 0 || strcmp(data_type, "inet4") == 0)
			c->kind = CHAMELEON_KIND_INET;
		else if (sd->cfg->tinyint1_as_boolean && strncmp(column_type, "tinyint(1)", 10) == 0)
			c->kind = CHAMELEON_KIND_BOOL;
		c->charset = row[3] ? pstrdup(row[3]) :
			is_binary_data_type(data_type) ? pstrdup("binary") : NULL;
		cols = lappend(cols, c);
	}
	if (res)
		chameleon_mysql_free_result(res);

	def = palloc0(sizeof(ChameleonTableDef));
	def->ncols = list_length(cols);
	def->cols = palloc0(sizeof(ChameleonColumnDef) * Max(def->ncols, 1));
	{
		int			i = 0;
		ListCell   *lc;

		foreach(lc, cols)
			def->cols[i++] = *(ChameleonColumnDef *) lfirst(lc);
	}
	sd->names = lappend(sd->names, pstrdup(key));
	sd->defs = lappend(sd->defs, def);
	MemoryContextSwitchTo(old);
	if (def->ncols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s of the binlog no longer exists on the source", key),
				 errhint("Set binlog_row_metadata=FULL on the source so that events describe their tables.")));
	return def;
}

/*
 * chameleon.binlog_events(start_file text, start_pos bigint, max_events int DEFAULT 1000)
 *   RETURNS TABLE (file, position, end_position, event_time, event_type,
 *                  gtid, table_name, summary)
 * start_file NULL: the oldest binlog; start_pos NULL: 4.  Stops at
 * max_events or at the end of the binlog as it was when the call began.
 */
Datum
chameleon_binlog_events(PG_FUNCTION_ARGS)
{
	int			max_events = max_events_arg(fcinfo, 2);
	ChameleonConfig *cfg;
	ChameleonBinlogReader *reader;
	TupleDesc	tupdesc;
	Tuplestorestate *store;

	store = begin_materialized_srf(fcinfo, &tupdesc);
	reader = open_source_stream(fcinfo, &cfg);
	emit_events(reader, max_events, store, tupdesc);
	chameleon_binlog_close(reader);
	PG_RETURN_NULL();
}

/*
 * chameleon.binlog_rows(start_file text, start_pos bigint, max_events int DEFAULT 1000)
 *   RETURNS TABLE (file, position, table_name, operation, before, after)
 */
Datum
chameleon_binlog_rows(PG_FUNCTION_ARGS)
{
	int			max_events = max_events_arg(fcinfo, 2);
	ChameleonBinlogReader *reader;
	SourceDefs *sd = palloc0(sizeof(SourceDefs));
	ChameleonDecodeOptions opts;
	TupleDesc	tupdesc;
	Tuplestorestate *store;

	store = begin_materialized_srf(fcinfo, &tupdesc);
	reader = open_source_stream(fcinfo, &sd->cfg);
	opts.zero_dates_to_null = sd->cfg->zero_dates_to_null;
	emit_rows(reader, max_events, store, tupdesc, source_table_def, sd, &opts);
	chameleon_binlog_close(reader);
	if (sd->conn)
		chameleon_mysql_close(sd->conn);
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
