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
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "config.h"
#include "preflight.h"

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

/* ==================== binlog look-through (binlog section) ====================
 *
 * chameleon.binlog_file_events / binlog_file_rows read a local binlog file;
 * chameleon.binlog_events / binlog_rows read the configured source through
 * the replication protocol and stop at the binlog end seen when they start.
 * Each event is parsed in a memory context reset per event.
 */
#include "catalog/pg_authid.h"
#include "utils/acl.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "binlog.h"
#include "decode.h"

PG_FUNCTION_INFO_V1(chameleon_binlog_file_events);
PG_FUNCTION_INFO_V1(chameleon_binlog_file_rows);

/* Looks up the definition of a table for rows without full metadata. */
typedef ChameleonTableDef *(*BinlogTableDefLookup) (void *arg, const char *schema,
													const char *table);

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
		  TupleDesc desc, BinlogTableDefLookup lookup, void *lookup_arg)
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
		if (ev.rows.ncols == 0)
		{
			MemoryContextReset(evcxt);
			continue;
		}
		map = chameleon_binlog_lookup_map(&reader->state, ev.rows.table_id, false);
		if (lookup && !(map->has_names && map->has_signedness))
			def = lookup(lookup_arg, map->schema, map->table);

		where.file = ev.file;
		where.position = ev.position;
		where.event_type = ev.type;
		where.table = NULL;
		chameleon_binlog_context_push(&cb, &where);
		table = chameleon_decode_prepare(map, def, NULL);
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
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	store = begin_materialized_srf(fcinfo, &tupdesc);
	reader = chameleon_binlog_open_file(path);
	emit_events(reader, max_events, store, tupdesc);
	chameleon_binlog_close(reader);
	PG_RETURN_NULL();
}

/*
 * chameleon.binlog_file_rows(path text, max_events int DEFAULT 1000)
 *   RETURNS TABLE (file, position, table_name, operation, before, after)
 *
 * Without binlog_row_metadata=FULL a file says nothing of names and
 * signedness: columns are named col1..colN, integers read as signed, ENUM
 * values shown as their index and SET values as member numbers.
 */
Datum
chameleon_binlog_file_rows(PG_FUNCTION_ARGS)
{
	char	   *path;
	int			max_events = max_events_arg(fcinfo, 1);
	ChameleonBinlogReader *reader;
	TupleDesc	tupdesc;
	Tuplestorestate *store;

	require_file_reader();
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	store = begin_materialized_srf(fcinfo, &tupdesc);
	reader = chameleon_binlog_open_file(path);
	emit_rows(reader, max_events, store, tupdesc, NULL, NULL);
	chameleon_binlog_close(reader);
	PG_RETURN_NULL();
}
