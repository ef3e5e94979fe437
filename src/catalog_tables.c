/*
 * catalog_tables.c -- sch_chameleon.t_replica_tables, one row per
 * replicated table (see catalog.h): the only module that reads or writes
 * it.  Its writers' reasons: init_replica and attach_replica add rows, the
 * apply worker counts rows and marks errors, DDL creates, renames and drops
 * tables, sync_tables/add_tables/remove_tables change states.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "spi_util.h"

#define WHAT_READ	"read sch_chameleon.t_replica_tables"
#define WHAT_WRITE	"write sch_chameleon.t_replica_tables"

/* A statement with (source_id, $2, $3, $4) text arguments. */
/* Run a write with $1 the source and $2.. the texts of args (NULL: SQL NULL). */
static void
write_texts(const char *sql, int32 source_id, int n, const char *const *args)
{
	Oid			types[8];
	Datum		values[8];
	char		nulls[8];

	Assert(n < 8);
	types[0] = INT4OID;
	nulls[0] = ' ';
	values[0] = Int32GetDatum(source_id);
	for (int i = 0; i < n; i++)
	{
		types[i + 1] = TEXTOID;
		values[i + 1] = chameleon_spi_text_arg(args[i], &nulls[i + 1]);
	}
	chameleon_spi_run_once(sql, n + 1, types, values, nulls, 0, WHAT_WRITE);
}

static void
write_text3(const char *sql, int32 source_id, const char *a2, const char *a3, const char *a4)
{
	const char *const args[3] = {a2, a3, a4};

	write_texts(sql, source_id, 3, args);
}

void
chameleon_catalog_add_table(int32 source_id, const char *mysql_table,
							const char *pg_schema, const char *pg_table,
							const char *state, int64 copied_rows,
							const char *snapshot_file, int64 snapshot_position)
{
	Oid			types[8] = {INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID,
	TEXTOID, INT8OID};
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	values[2] = CStringGetTextDatum(pg_schema);
	values[3] = CStringGetTextDatum(pg_table);
	values[4] = CStringGetTextDatum(state);
	values[5] = Int64GetDatum(copied_rows);
	values[6] = chameleon_spi_text_arg(snapshot_file, &nulls[6]);
	values[7] = Int64GetDatum(snapshot_position);
	nulls[7] = snapshot_file == NULL ? 'n' : ' ';
	chameleon_spi_run_once("INSERT INTO sch_chameleon.t_replica_tables "
						   "(source_id, mysql_table, pg_schema, pg_table, state, copied_rows, "
						   " snapshot_file, snapshot_position) "
						   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
						   8, types, values, nulls, SPI_OK_INSERT, WHAT_WRITE);
}

bool
chameleon_catalog_get_table(int32 source_id, const char *mysql_table,
							char **pg_schema, char **pg_table)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};
	bool		found;

	chameleon_spi_connect();
	found = chameleon_spi_run("SELECT pg_schema, pg_table FROM sch_chameleon.t_replica_tables "
							  "WHERE source_id = $1 AND mysql_table = $2",
							  2, types, values, NULL, true, 1, SPI_OK_SELECT, WHAT_READ) > 0;
	if (found)
	{
		*pg_schema = chameleon_spi_text(0, 1, caller);
		*pg_table = chameleon_spi_text(0, 2, caller);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return found;
}

List *
chameleon_catalog_table_rows(int32 source_id)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);
	List	   *rows = NIL;
	uint64		n;

	chameleon_spi_connect();
	/* not read-only: see the DDL of this transaction */
	n = chameleon_spi_run("SELECT mysql_table, pg_schema, pg_table, state,"
						  " snapshot_file, snapshot_position, replay_file, replay_position,"
						  " deferred_indexes"
						  " FROM sch_chameleon.t_replica_tables WHERE source_id = $1",
						  1, &type, &value, NULL, false, 0, SPI_OK_SELECT, WHAT_READ);
	for (uint64 i = 0; i < n; i++)
	{
		ChameleonTableRow *r = MemoryContextAllocZero(caller, sizeof(ChameleonTableRow));
		char	   *pos = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 6);
		char	   *replay = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 8);
		MemoryContext old;

		r->mysql_table = chameleon_spi_text(i, 1, caller);
		r->pg_schema = chameleon_spi_text(i, 2, caller);
		r->pg_table = chameleon_spi_text(i, 3, caller);
		r->state = chameleon_spi_text(i, 4, caller);
		r->snapshot_file = chameleon_spi_text(i, 5, caller);
		r->snapshot_position = pos ? (int64) strtoull(pos, NULL, 10) : 0;
		r->replay_file = replay ? chameleon_spi_text(i, 7, caller) : NULL;
		r->replay_position = replay ? (int64) strtoull(replay, NULL, 10) : 0;
		r->deferred_indexes = chameleon_spi_text_list(i, 9, caller);
		old = MemoryContextSwitchTo(caller);
		rows = lappend(rows, r);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return rows;
}

char *
chameleon_catalog_table_state(int32 source_id, const char *mysql_table, bool for_update)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};
	char	   *state = NULL;

	chameleon_spi_connect();
	if (chameleon_spi_run(for_update ?
						  "SELECT state FROM sch_chameleon.t_replica_tables"
						  " WHERE source_id = $1 AND mysql_table = $2 FOR UPDATE" :
						  "SELECT state FROM sch_chameleon.t_replica_tables"
						  " WHERE source_id = $1 AND mysql_table = $2",
						  2, types, values, NULL, !for_update, 1, SPI_OK_SELECT, WHAT_READ) > 0)
		state = chameleon_spi_text(0, 1, caller);
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return state;
}

void
chameleon_catalog_table_applied(int32 source_id, const char *mysql_table, int64 rows)
{
	Oid			types[3] = {INT4OID, TEXTOID, INT8OID};
	Datum		values[3] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table),
	Int64GetDatum(rows)};

	chameleon_spi_run_once("UPDATE sch_chameleon.t_replica_tables"
						   " SET applied_rows = applied_rows + $3,"
						   " state = CASE WHEN state = 'copied' THEN 'streaming' ELSE state END"
						   " WHERE source_id = $1 AND mysql_table = $2",
						   3, types, values, NULL, SPI_OK_UPDATE, WHAT_WRITE);
}

void
chameleon_catalog_table_set_state(int32 source_id, const char *mysql_table,
								  const char *state, const char *error)
{
	write_text3("UPDATE sch_chameleon.t_replica_tables SET state = $3, last_error = $4"
				" WHERE source_id = $1 AND mysql_table = $2",
				source_id, mysql_table, state, error);
}

void
chameleon_catalog_table_dropped_by_hand(const char *pg_schema, const char *pg_table)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {CStringGetTextDatum(pg_schema), CStringGetTextDatum(pg_table)};

	chameleon_spi_run_once("UPDATE sch_chameleon.t_replica_tables SET state = 'error',"
						   " last_error = 'the PostgreSQL table was dropped by hand: copy it again with chameleon.sync_tables()'"
						   " WHERE pg_schema = $1 AND pg_table = $2 AND state <> 'removed'",
						   2, types, values, NULL, SPI_OK_UPDATE,
						   "update sch_chameleon.t_replica_tables");
}

void
chameleon_catalog_table_set_last_error(int32 source_id, const char *mysql_table,
									   const char *error)
{
	write_text3("UPDATE sch_chameleon.t_replica_tables SET last_error = $3"
				" WHERE source_id = $1 AND mysql_table = $2",
				source_id, mysql_table, error, NULL);
}

void
chameleon_catalog_table_delete(int32 source_id, const char *mysql_table)
{
	write_text3("DELETE FROM sch_chameleon.t_replica_tables"
				" WHERE source_id = $1 AND mysql_table = $2",
				source_id, mysql_table, NULL, NULL);
}

void
chameleon_catalog_table_created(int32 source_id, const char *mysql_table,
								const char *pg_schema, const char *pg_table, bool replace,
								const char *state, const char *error)
{
	Oid			types[7] = {INT4OID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	values[2] = CStringGetTextDatum(state);
	values[3] = chameleon_spi_text_arg(error, &nulls[3]);
	values[4] = BoolGetDatum(replace);
	values[5] = CStringGetTextDatum(pg_schema);
	values[6] = CStringGetTextDatum(pg_table);
	chameleon_spi_run_once("INSERT INTO sch_chameleon.t_replica_tables AS r (source_id, mysql_table,"
						   " pg_schema, pg_table, state, last_error)"
						   " VALUES ($1, $2, $6, $7, $3, $4)"
						   " ON CONFLICT (source_id, mysql_table) DO UPDATE SET"
						   " pg_schema = EXCLUDED.pg_schema, pg_table = EXCLUDED.pg_table,"
						   " state = EXCLUDED.state, last_error = EXCLUDED.last_error,"
						   " copied_rows = 0, applied_rows = 0,"
						   " snapshot_file = NULL, snapshot_position = NULL,"
						   " replay_file = NULL, replay_position = NULL, deferred_indexes = NULL"
						   " WHERE r.state = 'removed' OR $5",
						   7, types, values, nulls, 0, WHAT_WRITE);
}

void
chameleon_catalog_table_renamed(int32 source_id, const char *old_name, const char *new_name,
								const char *pg_schema, const char *pg_table,
								bool pg_renamed, const char *error)
{
	const char *const args[5] = {old_name, new_name, error, pg_schema, pg_table};

	write_text3("DELETE FROM sch_chameleon.t_replica_tables"
				" WHERE source_id = $1 AND mysql_table = $3",
				source_id, old_name, new_name, NULL);
	if (pg_renamed)
		write_texts("UPDATE sch_chameleon.t_replica_tables"
					" SET mysql_table = $3, pg_schema = $5, pg_table = $6"
					" WHERE source_id = $1 AND mysql_table = $2",
					source_id, 5, args);
	else
		write_texts("UPDATE sch_chameleon.t_replica_tables SET mysql_table = $3,"
					" state = 'error', last_error = $4"
					" WHERE source_id = $1 AND mysql_table = $2",
					source_id, 5, args);
}

void
chameleon_catalog_table_syncing(int32 source_id, const char *mysql_table,
								const char *pg_schema, const char *pg_table, bool exists)
{
	if (!exists)
		write_text3("INSERT INTO sch_chameleon.t_replica_tables"
					" (source_id, mysql_table, pg_schema, pg_table, state)"
					" VALUES ($1, $2, $3, $4, 'syncing')",
					source_id, mysql_table, pg_schema, pg_table);
	else
		write_text3("UPDATE sch_chameleon.t_replica_tables"
					" SET state = 'syncing', last_error = NULL, pg_schema = $3, pg_table = $4"
					" WHERE source_id = $1 AND mysql_table = $2",
					source_id, mysql_table, pg_schema, pg_table);
}

void
chameleon_catalog_table_sync_failed(int32 source_id, const char *mysql_table,
									const char *state, const char *error)
{
	if (state == NULL)
		write_text3("DELETE FROM sch_chameleon.t_replica_tables"
					" WHERE source_id = $1 AND mysql_table = $2 AND state = 'syncing'",
					source_id, mysql_table, NULL, NULL);
	else if (error != NULL)
		write_text3("UPDATE sch_chameleon.t_replica_tables"
					" SET state = $3, last_error = $4"
					" WHERE source_id = $1 AND mysql_table = $2 AND state = 'syncing'",
					source_id, mysql_table, state, error);
	else
		write_text3("UPDATE sch_chameleon.t_replica_tables SET state = $3"
					" WHERE source_id = $1 AND mysql_table = $2 AND state = 'syncing'",
					source_id, mysql_table, state, NULL);
}

void
chameleon_catalog_tables_skip_to(int32 source_id, const char *file, int64 pos, List *except)
{
	Oid			types[4] = {INT4OID, TEXTOID, INT8OID, TEXTARRAYOID};
	Datum		values[4];

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(file);
	values[2] = Int64GetDatum(pos);
	values[3] = chameleon_spi_text_array(except);
	chameleon_spi_run_once("UPDATE sch_chameleon.t_replica_tables"
						   " SET snapshot_file = $2, snapshot_position = $3"
						   " WHERE source_id = $1 AND state IN ('copied', 'streaming')"
						   " AND mysql_table <> ALL ($4)"
						   " AND (snapshot_file IS NULL OR snapshot_position IS NULL"
						   "  OR (pg_catalog.length(snapshot_file), snapshot_file, snapshot_position)"
						   "   < (pg_catalog.length($2), $2, $3))",
						   4, types, values, NULL, 0, WHAT_WRITE);
}

List *
chameleon_catalog_owned_sequences(int32 source_id)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);
	List	   *seqs = NIL;
	uint64		n;

	chameleon_spi_connect();
	n = chameleon_spi_run("SELECT d.objid::pg_catalog.regclass::text, c.oid::pg_catalog.regclass::text,"
						  " a.attname"
						  " FROM sch_chameleon.t_replica_tables t"
						  " JOIN pg_catalog.pg_namespace n ON n.nspname = t.pg_schema"
						  " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid"
						  "  AND c.relname = t.pg_table"
						  " JOIN pg_catalog.pg_depend d"
						  "  ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
						  "  AND d.refobjid = c.oid AND d.refobjsubid > 0"
						  "  AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
						  "  AND d.deptype IN ('a', 'i')"
						  " JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
						  " JOIN pg_catalog.pg_attribute a"
						  "  ON a.attrelid = c.oid AND a.attnum = d.refobjsubid"
						  " WHERE t.source_id = $1"
						  " ORDER BY 1",
						  1, &type, &value, NULL, true, 0, SPI_OK_SELECT,
						  "read the sequences of the replicated tables");
	for (uint64 i = 0; i < n; i++)
	{
		ChameleonOwnedSequence *s = MemoryContextAllocZero(cxt, sizeof(ChameleonOwnedSequence));
		MemoryContext old;

		s->sequence = chameleon_spi_text(i, 1, cxt);
		s->table = chameleon_spi_text(i, 2, cxt);
		s->column = chameleon_spi_text(i, 3, cxt);
		old = MemoryContextSwitchTo(cxt);
		seqs = lappend(seqs, s);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return seqs;
}

void
chameleon_catalog_table_copied_window(int32 source_id, const char *mysql_table, int64 rows,
									  const char *low_file, int64 low_position,
									  const char *high_file, int64 high_position,
									  List *deferred_indexes)
{
	Oid			types[8] = {INT4OID, TEXTOID, INT8OID, TEXTOID, INT8OID, TEXTOID, INT8OID,
	TEXTARRAYOID};
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		window = high_file != NULL && low_file != NULL &&
		(strcmp(high_file, low_file) != 0 || high_position != low_position);

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	values[2] = Int64GetDatum(rows);
	values[3] = chameleon_spi_text_arg(low_file, &nulls[3]);
	values[4] = Int64GetDatum(low_position);
	nulls[4] = nulls[3];
	values[5] = chameleon_spi_text_arg(window ? high_file : NULL, &nulls[5]);
	values[6] = Int64GetDatum(high_position);
	nulls[6] = nulls[5];
	values[7] = chameleon_spi_text_array(deferred_indexes);
	nulls[7] = deferred_indexes == NIL ? 'n' : ' ';
	chameleon_spi_run_once("UPDATE sch_chameleon.t_replica_tables"
						   " SET state = 'copied', copied_rows = $3, snapshot_file = $4,"
						   " snapshot_position = $5, replay_file = $6, replay_position = $7,"
						   " deferred_indexes = $8, last_error = NULL"
						   " WHERE source_id = $1 AND mysql_table = $2",
						   8, types, values, nulls, 0, WHAT_WRITE);
}

bool
chameleon_catalog_tables_earliest_snapshot(int32 source_id, char **file, int64 *position)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);
	bool		found;

	chameleon_spi_connect();
	found = chameleon_spi_run("SELECT snapshot_file, snapshot_position"
							  " FROM sch_chameleon.t_replica_tables"
							  " WHERE source_id = $1 AND state IN ('copied', 'streaming')"
							  " AND snapshot_file IS NOT NULL"
							  " ORDER BY pg_catalog.length(snapshot_file), snapshot_file,"
							  " snapshot_position LIMIT 1",
							  1, &type, &value, NULL, false, 1, SPI_OK_SELECT, WHAT_READ) > 0;
	if (found)
	{
		*file = chameleon_spi_text(0, 1, caller);
		*position = strtoi64(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2),
							 NULL, 10);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return found;
}

List *
chameleon_catalog_table_reports(int32 source_id)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);
	List	   *rows = NIL;
	uint64		n;

	chameleon_spi_connect();
	n = chameleon_spi_run("SELECT mysql_table, state, copied_rows, last_error"
						  " FROM sch_chameleon.t_replica_tables WHERE source_id = $1"
						  " ORDER BY mysql_table",
						  1, &type, &value, NULL, false, 0, SPI_OK_SELECT, WHAT_READ);
	for (uint64 i = 0; i < n; i++)
	{
		ChameleonTableReport *r = MemoryContextAllocZero(caller, sizeof(ChameleonTableReport));
		MemoryContext old;

		r->mysql_table = chameleon_spi_text(i, 1, caller);
		r->state = chameleon_spi_text(i, 2, caller);
		r->copied_rows = strtoi64(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3),
								  NULL, 10);
		r->last_error = chameleon_spi_text(i, 4, caller);
		old = MemoryContextSwitchTo(caller);
		rows = lappend(rows, r);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return rows;
}

void
chameleon_catalog_table_window_passed(int32 source_id, const char *mysql_table)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};

	chameleon_spi_run_once("UPDATE sch_chameleon.t_replica_tables"
						   " SET deferred_indexes = NULL, replay_file = NULL, replay_position = NULL"
						   " WHERE source_id = $1 AND mysql_table = $2",
						   2, types, values, NULL, 0, WHAT_WRITE);
}

void
chameleon_catalog_table_set_deferred(int32 source_id, const char *mysql_table,
									 List *deferred_indexes)
{
	Oid			types[3] = {INT4OID, TEXTOID, TEXTARRAYOID};
	Datum		values[3] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table),
	chameleon_spi_text_array(deferred_indexes)};
	char		nulls[3] = {' ', ' ', deferred_indexes == NIL ? 'n' : ' '};

	chameleon_spi_run_once("UPDATE sch_chameleon.t_replica_tables SET deferred_indexes = $3"
						   " WHERE source_id = $1 AND mysql_table = $2",
						   3, types, values, nulls, 0, WHAT_WRITE);
}
