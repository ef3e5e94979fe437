/*
 * catalog_sources.c -- sch_chameleon.t_sources, one row per source (see
 * catalog.h): the only module that reads or writes it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "spi_util.h"

#define SOURCE_COLUMNS \
	"source_id, source_name, pg_schema, config_path, server_id, state, last_error, mysql_databases"

static ChameleonSource *
source_from_row(uint64 row, MemoryContext cxt)
{
	ChameleonSource *src = MemoryContextAllocZero(cxt, sizeof(ChameleonSource));
	HeapTuple	tup = SPI_tuptable->vals[row];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	bool		isnull;

	src->source_id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	src->name = chameleon_spi_text(row, 2, cxt);
	src->pg_schema = chameleon_spi_text(row, 3, cxt);
	src->config_path = chameleon_spi_text(row, 4, cxt);
	src->server_id = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
	src->state = chameleon_spi_text(row, 6, cxt);
	src->last_error = chameleon_spi_text(row, 7, cxt);
	src->databases = chameleon_spi_text_list(row, 8, cxt);
	if (src->databases == NIL)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		src->databases = list_make1(pstrdup(src->name));
		MemoryContextSwitchTo(old);
	}
	return src;
}

/* Rows of t_sources (with at most one parameter), in the caller's context. */
static List *
query_sources(const char *where, Oid argtype, Datum arg)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *result = NIL;
	char	   *sql = psprintf("SELECT " SOURCE_COLUMNS " FROM sch_chameleon.t_sources %s", where);
	uint64		n;

	chameleon_spi_connect();
	n = chameleon_spi_run(sql, argtype == InvalidOid ? 0 : 1, &argtype, &arg, NULL,
						  false, 0, SPI_OK_SELECT, "read sch_chameleon.t_sources");
	for (uint64 i = 0; i < n; i++)
	{
		ChameleonSource *src = source_from_row(i, caller);
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = lappend(result, src);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return result;
}

ChameleonSource *
chameleon_source_by_name(const char *name)
{
	List	   *rows = query_sources("WHERE source_name = $1", TEXTOID,
									CStringGetTextDatum(name));

	return rows ? (ChameleonSource *) linitial(rows) : NULL;
}

ChameleonSource *
chameleon_source_named(const char *name)
{
	ChameleonSource *src = chameleon_source_by_name(name);

	if (src == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("replica \"%s\" does not exist", name),
				 errhint("The sources of this database are listed in chameleon.status.")));
	return src;
}

ChameleonSource *
chameleon_source_by_id(int32 source_id, bool for_share)
{
	List	   *rows = query_sources(for_share ? "WHERE source_id = $1 FOR SHARE"
									: "WHERE source_id = $1",
									INT4OID, Int32GetDatum(source_id));

	return rows ? (ChameleonSource *) linitial(rows) : NULL;
}

List *
chameleon_source_list(void)
{
	return query_sources("ORDER BY source_id", InvalidOid, (Datum) 0);
}

List *
chameleon_source_list_to_resume(void)
{
	return query_sources("WHERE state IN ('streaming', 'reconnecting') ORDER BY source_id",
						 InvalidOid, (Datum) 0);
}

char *
chameleon_source_lock(int32 source_id)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);
	char	   *state = NULL;

	chameleon_spi_connect();
	if (chameleon_spi_run("SELECT state FROM sch_chameleon.t_sources"
						  " WHERE source_id = $1 FOR UPDATE",
						  1, &type, &value, NULL, false, 1, SPI_OK_SELECT,
						  "lock sch_chameleon.t_sources") == 1)
		state = chameleon_spi_text(0, 1, caller);
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return state;
}

bool
chameleon_source_path_registered(const char *path)
{
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(path);
	bool		found;

	chameleon_spi_connect();
	found = chameleon_spi_run("SELECT 1 FROM sch_chameleon.t_sources"
							  " WHERE config_path = $1 LIMIT 1",
							  1, &type, &value, NULL, true, 1, SPI_OK_SELECT,
							  "read sch_chameleon.t_sources") > 0;
	SPI_finish();
	return found;
}

int32
chameleon_source_add(const char *name, List *databases, const char *pg_schema,
					 const char *config_path, int64 server_id, const char *state)
{
	Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID, TEXTARRAYOID};
	Datum		values[6] = {CStringGetTextDatum(name), CStringGetTextDatum(pg_schema),
		CStringGetTextDatum(config_path), Int64GetDatum(server_id),
		CStringGetTextDatum(state), chameleon_spi_text_array(databases)};
	bool		isnull;
	int32		source_id;

	chameleon_spi_connect();
	if (chameleon_spi_run("INSERT INTO sch_chameleon.t_sources "
						  "(source_name, pg_schema, config_path, server_id, state, mysql_databases) "
						  "VALUES ($1, $2, $3, $4, $5, $6) RETURNING source_id",
						  6, types, values, NULL, false, 1, SPI_OK_INSERT_RETURNING,
						  "insert into sch_chameleon.t_sources") != 1)
		elog(ERROR, "inserting into sch_chameleon.t_sources returned no row");
	source_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return source_id;
}

void
chameleon_source_delete(int32 source_id)
{
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);

	chameleon_spi_run_once("DELETE FROM sch_chameleon.t_sources WHERE source_id = $1",
						   1, &type, &value, NULL, SPI_OK_DELETE,
						   "delete from sch_chameleon.t_sources");
}

void
chameleon_source_set_state(int32 source_id, const char *state,
						   const char *error, bool clear_error)
{
	Oid			types[3] = {INT4OID, TEXTOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	const char *sql;

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(state);
	values[2] = chameleon_spi_text_arg(error, &nulls[2]);
	if (error != NULL || clear_error)
		sql = "UPDATE sch_chameleon.t_sources"
			" SET state = $2, last_error = $3,"
			" state_changed = CASE WHEN state IS DISTINCT FROM $2 THEN now() ELSE state_changed END"
			" WHERE source_id = $1";
	else
		sql = "UPDATE sch_chameleon.t_sources"
			" SET state = $2, state_changed = now()"
			" WHERE source_id = $1 AND state IS DISTINCT FROM $2";
	chameleon_spi_run_once(sql, 3, types, values, nulls, SPI_OK_UPDATE,
						   "update sch_chameleon.t_sources");
}

void
chameleon_source_set_config_path(int32 source_id, const char *path)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(path)};

	chameleon_spi_run_once("UPDATE sch_chameleon.t_sources SET config_path = $2"
						   " WHERE source_id = $1 AND config_path IS DISTINCT FROM $2",
						   2, types, values, NULL, SPI_OK_UPDATE,
						   "update sch_chameleon.t_sources");
}

void
chameleon_source_mark_stopped(int32 source_id)
{
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);

	chameleon_spi_run_once("UPDATE sch_chameleon.t_sources"
						   " SET state = 'stopped', state_changed = now()"
						   " WHERE source_id = $1"
						   " AND state IN ('streaming', 'reconnecting', 'error')",
						   1, &type, &value, NULL, SPI_OK_UPDATE,
						   "update sch_chameleon.t_sources");
}
