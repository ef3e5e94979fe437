/*
 * catalog.c -- the replica state kept in schema sch_chameleon.
 *
 * Owns every read and write of the sch_chameleon tables: t_sources (one row
 * per source), t_replica_batch (the binlog position a source's data is
 * consistent with), t_replica_tables (per table: state, rows copied,
 * snapshot position) and t_foreign_keys (MySQL foreign keys, created only
 * at detach).  Statements run through SPI with typed parameters in the
 * caller's transaction, so state commits or rolls back with the data.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "catalog.h"

#define MAX_ARGS 12

/* Parameters of one statement. */
typedef struct SqlArgs
{
	int			n;
	Oid			types[MAX_ARGS];
	Datum		values[MAX_ARGS];
	char		nulls[MAX_ARGS];
} SqlArgs;

static void
add_arg(SqlArgs *a, Oid type, Datum value, bool isnull)
{
	if (a->n >= MAX_ARGS)
		elog(ERROR, "too many SQL parameters");
	a->types[a->n] = type;
	a->values[a->n] = value;
	a->nulls[a->n] = isnull ? 'n' : ' ';
	a->n++;
}

static void
arg_text(SqlArgs *a, const char *s)
{
	add_arg(a, TEXTOID, s ? CStringGetTextDatum(s) : (Datum) 0, s == NULL);
}

static void
arg_int4(SqlArgs *a, int32 v)
{
	add_arg(a, INT4OID, Int32GetDatum(v), false);
}

static void
arg_int8(SqlArgs *a, int64 v, bool isnull)
{
	add_arg(a, INT8OID, Int64GetDatum(v), isnull);
}

static void
arg_text_array(SqlArgs *a, List *strings)
{
	int			n = list_length(strings);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, strings)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	add_arg(a, TEXTARRAYOID,
			PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT)),
			false);
}

/* Run a statement that changes rows; ERROR unless SPI says it worked. */
static uint64
run_write(const char *sql, SqlArgs *a, int expected_rc)
{
	int			rc;
	uint64		processed;

	SPI_connect();
	rc = SPI_execute_with_args(sql, a->n, a->types, a->values, a->nulls, false, 0);
	if (rc != expected_rc)
		elog(ERROR, "SPI_execute_with_args failed (%d): %s", rc, sql);
	processed = SPI_processed;
	SPI_finish();
	return processed;
}

ChameleonSourceRow *
chameleon_catalog_get_source(const char *source_name)
{
	MemoryContext caller = CurrentMemoryContext;
	ChameleonSourceRow *row = NULL;
	SqlArgs		a = {0};
	int			rc;

	arg_text(&a, source_name);
	SPI_connect();
	rc = SPI_execute_with_args("SELECT source_id, source_name, pg_schema, state "
							   "FROM sch_chameleon.t_sources WHERE source_name = $1",
							   a.n, a.types, a.values, a.nulls, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed (%d) reading t_sources", rc);
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		row = MemoryContextAllocZero(caller, sizeof(ChameleonSourceRow));
		row->source_id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		row->source_name = MemoryContextStrdup(caller, SPI_getvalue(tup, desc, 2));
		row->pg_schema = MemoryContextStrdup(caller, SPI_getvalue(tup, desc, 3));
		row->state = MemoryContextStrdup(caller, SPI_getvalue(tup, desc, 4));
	}
	SPI_finish();
	return row;
}

int
chameleon_catalog_add_source(const char *source_name, const char *pg_schema,
							 const char *config_path, int64 server_id,
							 const char *state)
{
	SqlArgs		a = {0};
	int			rc;
	int			source_id;
	bool		isnull;

	arg_text(&a, source_name);
	arg_text(&a, pg_schema);
	arg_text(&a, config_path);
	arg_int8(&a, server_id, false);
	arg_text(&a, state);
	SPI_connect();
	rc = SPI_execute_with_args("INSERT INTO sch_chameleon.t_sources "
							   "(source_name, pg_schema, config_path, server_id, state) "
							   "VALUES ($1, $2, $3, $4, $5) RETURNING source_id",
							   a.n, a.types, a.values, a.nulls, false, 1);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "SPI_execute_with_args failed (%d) inserting into t_sources", rc);
	source_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return source_id;
}

void
chameleon_catalog_delete_source(int source_id)
{
	SqlArgs		a = {0};

	arg_int4(&a, source_id);
	run_write("DELETE FROM sch_chameleon.t_sources WHERE source_id = $1",
			  &a, SPI_OK_DELETE);
}

void
chameleon_catalog_set_source_state(int source_id, const char *state,
								   const char *last_error)
{
	SqlArgs		a = {0};

	arg_int4(&a, source_id);
	arg_text(&a, state);
	arg_text(&a, last_error);
	run_write("UPDATE sch_chameleon.t_sources "
			  "SET state = $2, last_error = $3, state_changed = now() "
			  "WHERE source_id = $1",
			  &a, SPI_OK_UPDATE);
}

void
chameleon_catalog_set_position(int source_id, const char *binlog_file,
							   int64 binlog_position, const char *gtid)
{
	SqlArgs		a = {0};

	arg_int4(&a, source_id);
	arg_text(&a, binlog_file);
	arg_int8(&a, binlog_position, false);
	arg_text(&a, gtid);
	run_write("INSERT INTO sch_chameleon.t_replica_batch "
			  "(source_id, binlog_file, binlog_position, gtid) "
			  "VALUES ($1, $2, $3, $4) "
			  "ON CONFLICT (source_id) DO UPDATE SET "
			  "binlog_file = EXCLUDED.binlog_file, "
			  "binlog_position = EXCLUDED.binlog_position, "
			  "gtid = EXCLUDED.gtid, event_time = NULL, applied_at = now()",
			  &a, SPI_OK_INSERT);
}

void
chameleon_catalog_add_table(int source_id, const char *mysql_table,
							const char *pg_schema, const char *pg_table,
							const char *state, int64 copied_rows,
							const char *snapshot_file, int64 snapshot_position)
{
	SqlArgs		a = {0};

	arg_int4(&a, source_id);
	arg_text(&a, mysql_table);
	arg_text(&a, pg_schema);
	arg_text(&a, pg_table);
	arg_text(&a, state);
	arg_int8(&a, copied_rows, false);
	arg_text(&a, snapshot_file);
	arg_int8(&a, snapshot_position, snapshot_file == NULL);
	run_write("INSERT INTO sch_chameleon.t_replica_tables "
			  "(source_id, mysql_table, pg_schema, pg_table, state, copied_rows, "
			  " snapshot_file, snapshot_position) "
			  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			  &a, SPI_OK_INSERT);
}

void
chameleon_catalog_add_foreign_key(int source_id, const char *mysql_table,
								  const char *constraint_name, List *columns,
								  const char *referenced_schema,
								  const char *referenced_table,
								  List *referenced_columns,
								  const char *on_update, const char *on_delete,
								  const char *create_sql)
{
	SqlArgs		a = {0};

	arg_int4(&a, source_id);
	arg_text(&a, mysql_table);
	arg_text(&a, constraint_name);
	arg_text_array(&a, columns);
	arg_text(&a, referenced_schema);
	arg_text(&a, referenced_table);
	arg_text_array(&a, referenced_columns);
	arg_text(&a, on_update);
	arg_text(&a, on_delete);
	arg_text(&a, create_sql);
	run_write("INSERT INTO sch_chameleon.t_foreign_keys "
			  "(source_id, mysql_table, constraint_name, columns, "
			  " referenced_schema, referenced_table, referenced_columns, "
			  " on_update, on_delete, create_sql) "
			  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			  &a, SPI_OK_INSERT);
}

void
chameleon_catalog_delete_foreign_keys(int source_id, const char *mysql_table)
{
	SqlArgs		a = {0};

	arg_int4(&a, source_id);
	arg_text(&a, mysql_table);
	run_write("DELETE FROM sch_chameleon.t_foreign_keys "
			  "WHERE source_id = $1 AND mysql_table = $2",
			  &a, SPI_OK_DELETE);
}

/* ---------- replica tables (binlog look-through section) ---------- */

bool
chameleon_catalog_get_table(int source_id, const char *mysql_table,
							char **pg_schema, char **pg_table)
{
	MemoryContext caller = CurrentMemoryContext;
	SqlArgs		a = {0};
	int			rc;
	bool		found = false;

	arg_int4(&a, source_id);
	arg_text(&a, mysql_table);
	SPI_connect();
	rc = SPI_execute_with_args("SELECT pg_schema, pg_table FROM sch_chameleon.t_replica_tables "
							   "WHERE source_id = $1 AND mysql_table = $2",
							   a.n, a.types, a.values, a.nulls, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed (%d) reading t_replica_tables", rc);
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		*pg_schema = MemoryContextStrdup(caller, SPI_getvalue(tup, desc, 1));
		*pg_table = MemoryContextStrdup(caller, SPI_getvalue(tup, desc, 2));
		found = true;
	}
	SPI_finish();
	return found;
}
