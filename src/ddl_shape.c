/*
 * ddl_shape.c -- the MySQL shape of the replicated tables as the binlog has
 * it, kept in sch_chameleon.t_table_columns and t_table_indexes (see
 * ddl_apply.h).
 *
 * Owns reading and writing those two tables (through SPI, in the caller's
 * transaction), the shape init_replica records from information_schema, and
 * the decoding definition made from a shape.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "ddl_apply.h"
#include "ddl_int.h"

/* ---------- SPI ---------- */

static void
shape_write(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	SPI_finish();
}

static Datum
text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
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
	Oid			argtypes[7] = {INT4OID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[7];
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
	}
	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	values[2] = text_array(names, n);
	values[3] = text_array(types, n);
	values[4] = text_array(charsets, n);
	values[5] = text_array(collations, n);
	values[6] = text_array(autoinc, n);
	shape_write("INSERT INTO sch_chameleon.t_table_columns (source_id, mysql_table, ordinal,"
				" column_name, column_type, charset_name, collation_name, auto_increment)"
				" SELECT $1, $2, u.o, u.n, u.t, u.c, u.co, u.ai::boolean"
				" FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4),"
				" pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7))"
				" WITH ORDINALITY AS u(n, t, c, co, ai, o)",
				7, argtypes, values, NULL);
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
	values[4] = text_or_null(idx->pg_name, &nulls[4]);
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
										   " auto_increment FROM sch_chameleon.t_table_columns"
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
chameleon_shape_load(int32 source_id, const char *db, const char *mysql_table)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	Datum		values[2];
	ChameleonDdlTable *t = palloc0(sizeof(ChameleonDdlTable));

	t->db = pstrdup(db);
	t->name = pstrdup(mysql_table);
	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_columns(t, values, argtypes, cxt);
	if (t->columns != NIL)
		load_indexes(t, values, argtypes, cxt);
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return t->columns != NIL ? t : NULL;
}

/* ---------- shapes from elsewhere ---------- */

ChameleonDdlTable *
chameleon_shape_from_schema(const char *db, const ChameleonTable *st)
{
	ChameleonDdlTable *t = palloc0(sizeof(ChameleonDdlTable));
	ListCell   *lc;

	t->db = pstrdup(db);
	t->name = pstrdup(st->name);
	for (int i = 0; i < st->ncolumns; i++)
	{
		const ChameleonColumn *c = &st->columns[i];

		t->columns = lappend(t->columns,
							 chameleon_ddl_new_column(c->name, c->mytype, c->auto_increment));
	}
	foreach(lc, st->indexes)
	{
		const ChameleonIndex *ix = lfirst(lc);
		ChameleonDdlIndex *idx = palloc0(sizeof(ChameleonDdlIndex));
		bool		made = !ix->has_expression &&
			pg_strcasecmp(ix->index_type ? ix->index_type : "", "FULLTEXT") != 0 &&
			pg_strcasecmp(ix->index_type ? ix->index_type : "", "SPATIAL") != 0;
		ListCell   *cc;

		idx->mysql_name = pstrdup(ix->name);
		idx->pg_name = made ? chameleon_pg_index_name(st->name, ix->name) : NULL;
		idx->primary = ix->primary;
		idx->unique = ix->is_unique || ix->primary;
		foreach(cc, ix->columns)
		{
			idx->columns = lappend(idx->columns, pstrdup(lfirst(cc)));
			idx->prefix_lengths = lappend_int(idx->prefix_lengths, 0);
			idx->descending = lappend_int(idx->descending,
										  foreach_current_index(cc) < list_length(ix->descending) ?
										  list_nth_int(ix->descending, foreach_current_index(cc)) : 0);
		}
		t->indexes = lappend(t->indexes, idx);
	}
	return t;
}

ChameleonTableDef *
chameleon_shape_table_def(const ChameleonDdlTable *t, const ChameleonTypeOptions *opts)
{
	ChameleonTableDef *def = palloc0(sizeof(ChameleonTableDef));
	ListCell   *lc;

	def->ncols = list_length(t->columns);
	def->cols = palloc0(sizeof(ChameleonColumnDef) * Max(def->ncols, 1));
	foreach(lc, t->columns)
	{
		ChameleonDdlColumn *c = lfirst(lc);
		ChameleonColumnDef *d = &def->cols[foreach_current_index(lc)];
		ListCell   *lb;

		d->name = pstrdup(c->name);
		d->kind = -1;
		d->is_unsigned = -1;
		if (c->type == NULL)
			continue;
		d->kind = (int) chameleon_map_mysql_type(c->type, opts)->kind;
		d->is_unsigned = c->type->is_unsigned ? 1 : 0;
		/* copies: the definition outlives catalog entries */
		d->labels = NIL;
		foreach(lb, c->type->labels)
			d->labels = lappend(d->labels, pstrdup(lfirst(lb)));
		d->charset = c->type->charset ? pstrdup(c->type->charset) : NULL;
	}
	return def;
}
