/*
 * catalog_shapes.c -- sch_chameleon.t_table_columns and t_table_indexes:
 * the MySQL shape of every replicated table as the binlog has it (see
 * ddl_apply.h), written by init_replica, sync_tables and every DDL
 * statement the worker reads.  The only module that reads or writes them,
 * through SPI in the caller's transaction.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "ddl_apply.h"
#include "ddl_int.h"
#include "spi_util.h"

/* ---------- SPI ---------- */

static void
shape_write(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	chameleon_spi_run_once(sql, nargs, types, values, nulls, 0,
						   "write the recorded shape of a table");
}

/* A text[] of n C strings (NULL entries are NULL elements). */
static Datum
text_array(char **items, int n)
{
	Datum	   *d = palloc0(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc0(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = items[i] == NULL;
		if (items[i])
			d[i] = CStringGetTextDatum(items[i]);
	}
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, TEXTOID, -1,
											  false, TYPALIGN_INT));
}

static Datum
int_array(List *ints, int n)
{
	Datum	   *d = palloc0(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int32GetDatum(i < list_length(ints) ? list_nth_int(ints, i) : 0);
	return PointerGetDatum(construct_array(d, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}

/* ---------- writing ---------- */

static void
save_columns(int32 source_id, const char *mysql_table, const ChameleonDdlTable *t)
{
	int			n = list_length(t->columns);
	char	  **names = palloc0(sizeof(char *) * Max(n, 1));
	char	  **types = palloc0(sizeof(char *) * Max(n, 1));
	char	  **charsets = palloc0(sizeof(char *) * Max(n, 1));
	char	  **collations = palloc0(sizeof(char *) * Max(n, 1));
	char	  **autoinc = palloc0(sizeof(char *) * Max(n, 1));
	char	  **onupdate = palloc0(sizeof(char *) * Max(n, 1));
	Oid			argtypes[8] = {INT4OID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[8];
	ListCell   *lc;

	foreach(lc, t->columns)
	{
		ChameleonDdlColumn *c = lfirst(lc);
		int			i = foreach_current_index(lc);

		names[i] = c->name;
		types[i] = c->type ? chameleon_format_mysql_type(c->type) : NULL;
		charsets[i] = c->type ? c->type->charset : NULL;
		collations[i] = c->type ? c->type->collation : NULL;
		autoinc[i] = c->auto_increment ? "t" : "f";
		onupdate[i] = c->on_update_now ? "t" : "f";
	}
	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	values[2] = text_array(names, n);
	values[3] = text_array(types, n);
	values[4] = text_array(charsets, n);
	values[5] = text_array(collations, n);
	values[6] = text_array(autoinc, n);
	values[7] = text_array(onupdate, n);
	shape_write("INSERT INTO sch_chameleon.t_table_columns (source_id, mysql_table, ordinal,"
				" column_name, column_type, charset_name, collation_name, auto_increment,"
				" on_update_now)"
				" SELECT $1, $2, u.o, u.n, u.t, u.c, u.co, u.ai::boolean, u.ou::boolean"
				" FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4),"
				" pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7),"
				" pg_catalog.unnest($8))"
				" WITH ORDINALITY AS u(n, t, c, co, ai, ou, o)",
				8, argtypes, values, NULL);
}

static void
save_index(int32 source_id, const char *mysql_table, const ChameleonDdlIndex *idx, int ordinal)
{
	Oid			argtypes[10] = {INT4OID, TEXTOID, INT4OID, TEXTOID, TEXTOID, BOOLOID,
	BOOLOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID};
	Datum		values[10];
	char		nulls[10];
	int			n = list_length(idx->columns);
	char	  **cols = palloc0(sizeof(char *) * Max(n, 1));
	ListCell   *lc;

	memset(nulls, ' ', sizeof(nulls));
	foreach(lc, idx->columns)
		cols[foreach_current_index(lc)] = lfirst(lc);
	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	values[2] = Int32GetDatum(ordinal);
	values[3] = CStringGetTextDatum(idx->mysql_name);
	values[4] = chameleon_spi_text_arg(idx->pg_name, &nulls[4]);
	values[5] = BoolGetDatum(idx->primary);
	values[6] = BoolGetDatum(idx->unique);
	values[7] = text_array(cols, n);
	values[8] = int_array(idx->prefix_lengths, n);
	values[9] = int_array(idx->descending, n);
	shape_write("INSERT INTO sch_chameleon.t_table_indexes (source_id, mysql_table, ordinal,"
				" index_name, pg_index_name, is_primary, is_unique, columns, prefix_lengths,"
				" descending) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
				10, argtypes, values, nulls);
}

void
chameleon_shape_save(int32 source_id, const char *mysql_table, const ChameleonDdlTable *t)
{
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	Datum		values[2];
	ListCell   *lc;

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	shape_write("DELETE FROM sch_chameleon.t_table_columns WHERE source_id = $1 AND mysql_table = $2",
				2, argtypes, values, NULL);
	shape_write("DELETE FROM sch_chameleon.t_table_indexes WHERE source_id = $1 AND mysql_table = $2",
				2, argtypes, values, NULL);
	if (t == NULL || t->columns == NIL)
		return;
	save_columns(source_id, mysql_table, t);
	foreach(lc, t->indexes)
		save_index(source_id, mysql_table, lfirst(lc), foreach_current_index(lc) + 1);
}

/* ---------- reading ---------- */

/*
 * Reads are not read-only SPI calls: those would use the snapshot taken
 * before this transaction's own DDL and shape changes.
 */

static char *
get_text(HeapTuple tup, TupleDesc desc, int col)
{
	char	   *s = SPI_getvalue(tup, desc, col);

	return s ? pstrdup(s) : NULL;
}

/* The elements of an array column: C strings (text) or ints. */
static List *
get_array(HeapTuple tup, TupleDesc desc, int col, bool is_text)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *out = NIL;

	if (isnull)
		return NIL;
	deconstruct_array(DatumGetArrayTypeP(d), is_text ? TEXTOID : INT4OID,
					  is_text ? -1 : (int) sizeof(int32), !is_text, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (is_text)
			out = lappend(out, nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]));
		else
			out = lappend_int(out, nulls[i] ? 0 : DatumGetInt32(elems[i]));
	}
	return out;
}

static void
load_columns(ChameleonDdlTable *t, Datum *values, Oid *argtypes, MemoryContext cxt)
{
	int			rc = SPI_execute_with_args("SELECT column_name, column_type, charset_name, collation_name,"
										   " auto_increment, on_update_now FROM sch_chameleon.t_table_columns"
										   " WHERE source_id = $1 AND mysql_table = $2"
										   " ORDER BY ordinal",
										   2, argtypes, values, NULL, false, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read sch_chameleon.t_table_columns: %s", SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(cxt);
		char	   *type = get_text(tup, desc, 2);
		char	   *ai = SPI_getvalue(tup, desc, 5);
		char	   *ou = SPI_getvalue(tup, desc, 6);
		ChameleonDdlColumn *c = palloc0(sizeof(ChameleonDdlColumn));

		c->name = get_text(tup, desc, 1);
		c->type = type ? chameleon_parse_mysql_type(type) : NULL;
		if (c->type)
		{
			char	   *cs = get_text(tup, desc, 3);
			char	   *co = get_text(tup, desc, 4);

			if (cs)
				c->type->charset = cs;
			if (co)
				c->type->collation = co;
		}
		c->auto_increment = ai != NULL && ai[0] == 't';
		c->on_update_now = ou != NULL && ou[0] == 't';
		t->columns = lappend(t->columns, c);
		MemoryContextSwitchTo(old);
	}
}

static void
load_indexes(ChameleonDdlTable *t, Datum *values, Oid *argtypes, MemoryContext cxt)
{
	int			rc = SPI_execute_with_args("SELECT index_name, pg_index_name, is_primary, is_unique,"
										   " columns, prefix_lengths, descending"
										   " FROM sch_chameleon.t_table_indexes"
										   " WHERE source_id = $1 AND mysql_table = $2"
										   " ORDER BY ordinal",
										   2, argtypes, values, NULL, false, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read sch_chameleon.t_table_indexes: %s", SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(cxt);
		ChameleonDdlIndex *idx = palloc0(sizeof(ChameleonDdlIndex));
		char	   *prim = SPI_getvalue(tup, desc, 3);
		char	   *uniq = SPI_getvalue(tup, desc, 4);

		idx->mysql_name = get_text(tup, desc, 1);
		idx->pg_name = get_text(tup, desc, 2);
		idx->primary = prim != NULL && prim[0] == 't';
		idx->unique = uniq != NULL && uniq[0] == 't';
		idx->columns = get_array(tup, desc, 5, true);
		idx->prefix_lengths = get_array(tup, desc, 6, false);
		idx->descending = get_array(tup, desc, 7, false);
		t->indexes = lappend(t->indexes, idx);
		MemoryContextSwitchTo(old);
	}
}

ChameleonDdlTable *
chameleon_shape_load(int32 source_id, const char *mysql_table, const char *db,
					 const char *table)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	Datum		values[2];
	ChameleonDdlTable *t = palloc0(sizeof(ChameleonDdlTable));

	t->db = pstrdup(db);
	t->name = pstrdup(table);
	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	chameleon_spi_connect();
	load_columns(t, values, argtypes, cxt);
	if (t->columns != NIL)
		load_indexes(t, values, argtypes, cxt);
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return t->columns != NIL ? t : NULL;
}


/* ---------- reading for the cut-over ---------- */

List *
chameleon_shape_on_update_columns(int32 source_id)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);
	List	   *out = NIL;
	uint64		n;

	chameleon_spi_connect();
	n = chameleon_spi_run("SELECT t.pg_schema, t.pg_table,"
						  " pg_catalog.array_agg(c.column_name ORDER BY c.ordinal)"
						  " FROM sch_chameleon.t_table_columns c"
						  " JOIN sch_chameleon.t_replica_tables t"
						  "  ON t.source_id = c.source_id AND t.mysql_table = c.mysql_table"
						  " WHERE c.source_id = $1 AND c.on_update_now AND t.state <> 'removed'"
						  " GROUP BY t.pg_schema, t.pg_table ORDER BY 1, 2",
						  1, &type, &value, NULL, true, 0, SPI_OK_SELECT,
						  "read sch_chameleon.t_table_columns");
	for (uint64 i = 0; i < n; i++)
	{
		ChameleonOnUpdateTable *t = MemoryContextAllocZero(caller, sizeof(ChameleonOnUpdateTable));

		t->pg_schema = chameleon_spi_text(i, 1, caller);
		t->pg_table = chameleon_spi_text(i, 2, caller);
		t->columns = chameleon_spi_text_list(i, 3, caller);
		{
			MemoryContext old = MemoryContextSwitchTo(caller);

			out = lappend(out, t);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return out;
}
