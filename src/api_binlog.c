/*
 * api_binlog.c -- the SQL functions that look through a binlog.
 *
 * chameleon.binlog_file_events / binlog_file_rows read a local binlog file;
 * chameleon.binlog_events / binlog_rows read the configured source through
 * the replication protocol and stop at the binlog end seen when they start.
 * Each event is parsed in a memory context reset per event.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_authid.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "api.h"
#include "binlog.h"
#include "binlog_stream.h"
#include "catalog.h"
#include "config.h"
#include "decode.h"
#include "mysql_client.h"
#include "tabledef.h"

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
		chameleon_put_text(values, nulls, 0, ev.file);
		values[1] = Int64GetDatum((int64) ev.position);
		nulls[1] = false;
		values[2] = Int64GetDatum((int64) ev.end_position);
		nulls[2] = false;
		nulls[3] = (ev.timestamp == 0);
		values[3] = TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) ev.timestamp));
		chameleon_put_text(values, nulls, 4, chameleon_binlog_event_name(ev.wire_type));
		chameleon_put_text(values, nulls, 5, reader->state.gtid[0] ? reader->state.gtid : ev.gtid);
		chameleon_put_text(values, nulls, 6, event_table_name(reader, &ev));
		chameleon_put_text(values, nulls, 7, summary);
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

			chameleon_put_text(values, nulls, 0, ev.file);
			values[1] = Int64GetDatum((int64) ev.position);
			nulls[1] = false;
			chameleon_put_text(values, nulls, 2, table->name);
			chameleon_put_text(values, nulls, 3, operation_name(change.kind));
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
	store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);
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
	return chameleon_tabledef_from_replica((const ChameleonSource *) arg, map);
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
	ChameleonSource *source = NULL;
	ChameleonBinlogReader *reader;
	TupleDesc	tupdesc;
	Tuplestorestate *store;

	require_file_reader();
	store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(2));

		source = chameleon_source_by_name(name);
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
 * Table definitions from the source's information_schema (tabledef.c), for
 * rows events whose table map lacks names or signedness (binlog_row_metadata
 * below FULL), read once per table and call.
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

static ChameleonTableDef *
source_table_def(void *arg, const ChameleonTableMap *map)
{
	SourceDefs *sd = (SourceDefs *) arg;
	char	   *key;
	ListCell   *ln,
			   *ld;
	MemoryContext old;
	ChameleonTableDef *def;

	if (map->has_names && map->has_signedness)
		return NULL;			/* full metadata: the map says it all */
	key = psprintf("%s.%s", map->schema, map->table);
	forboth(ln, sd->names, ld, sd->defs)
		if (strcmp((char *) lfirst(ln), key) == 0)
			return (ChameleonTableDef *) lfirst(ld);

	/* definitions live as long as the call, not one event */
	old = MemoryContextSwitchTo(GetMemoryChunkContext(sd));
	if (sd->conn == NULL)
		sd->conn = chameleon_mysql_connect(sd->cfg);
	def = chameleon_tabledef_from_source(sd->conn, sd->cfg, map->schema, map->table);
	sd->names = lappend(sd->names, pstrdup(key));
	sd->defs = lappend(sd->defs, def);
	MemoryContextSwitchTo(old);
	if (def == NULL)
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

	store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);
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

	store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);
	reader = open_source_stream(fcinfo, &sd->cfg);
	opts.zero_dates_to_null = sd->cfg->zero_dates_to_null;
	emit_rows(reader, max_events, store, tupdesc, source_table_def, sd, &opts);
	chameleon_binlog_close(reader);
	if (sd->conn)
		chameleon_mysql_close(sd->conn);
	PG_RETURN_NULL();
}
