/*
 * apply_spi.c -- the SPI statement backend of the apply path (apply_int.h).
 *
 * Statements, all with text parameters cast to the column types (the
 * decoder produces PostgreSQL's canonical input text, so the cast is the
 * type's input function):
 *   INSERT INTO t (c...) SELECT u.c1::type1, ...
 *     FROM ROWS FROM (unnest($1::text[]), ...) u
 *     -- one statement for a whole batch of inserts into one table;
 *   UPDATE t SET c = $i::type, ... WHERE k = $j::type ...   (primary key)
 *   DELETE FROM t WHERE k = $j::type ...
 *   without a primary key: WHERE ctid = (SELECT ctid FROM t WHERE every
 *     column IS NOT DISTINCT FROM its value LIMIT 1), so exactly one row.
 * An UPDATE or DELETE that finds no row is an error (the replica diverged).
 * Plans are prepared once per table version and statement shape (which
 * columns the row images carry) and kept with SPI_keepplan.  The SPI
 * connection lasts as long as the apply transaction.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "apply_int.h"
#include "spi_util.h"

/* Rows an INSERT batch can hold (apply.c sends it at this many). */
#define INSERT_BATCH_CAPACITY	CHAMELEON_INSERT_BATCH_ROWS

/* A kept statement of one table version. */
typedef struct ApplyPlan
{
	ApplyOp		op;
	char	   *shape;			/* which columns it binds, e.g. "a:11101|b:10" */
	SPIPlanPtr	plan;
	int			nparams;
	int		   *param_col;		/* MySQL column of each parameter */
	bool	   *param_before;	/* parameter from the before image */
	int			nvalues;		/* INSERT: number of columns */
} ApplyPlan;

/* The pending INSERT: rows for one table version and statement shape. */
typedef struct InsertBuffer
{
	ChameleonApplyTable *table;
	ApplyPlan  *plan;
	int			nrows;
	Datum	  **values;			/* per parameter: nrows text datums */
	bool	  **nulls;
} InsertBuffer;

static MemoryContext InsertContext = NULL;	/* the pending INSERT */
static InsertBuffer Pending;
static bool SpiConnected = false;

/* ---------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------
 */

/* Which columns an image carries, as a string ("1101"); "" for none. */
static void
append_present(StringInfo s, const ChameleonApplyTable *t, const ChameleonRowImage *img)
{
	for (int i = 0; i < t->ncols; i++)
		appendStringInfoChar(s, (img->present[i] && t->colname[i]) ? '1' : '0');
}

static char *
statement_shape(ApplyOp op, const ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "%d|", (int) op);
	if (op != OP_INSERT)
	{
		append_present(&s, t, &c->before);
		/* a NULL key value cannot use "=": it changes the statement */
		for (int i = 0; i < t->ncols; i++)
			if (t->is_key[i] && c->before.present[i])
				appendStringInfoChar(&s, c->before.isnull[i] ? 'n' : 'v');
	}
	appendStringInfoChar(&s, '|');
	if (op != OP_DELETE)
		append_present(&s, t, &c->after);
	return s.data;
}

static void
add_param(ApplyPlan *p, int col, bool before)
{
	p->param_col[p->nparams] = col;
	p->param_before[p->nparams] = before;
	p->nparams++;
}

/* WHERE clause identifying the row by its before image. */
static void
append_where(StringInfo sql, ApplyPlan *p, const ChameleonApplyTable *t,
			 const ChameleonRowChange *c)
{
	bool		first = true;

	for (int i = 0; i < t->ncols; i++)
	{
		if (!t->is_key[i] || !c->before.present[i])
			continue;
		appendStringInfoString(sql, first ? " WHERE " : " AND ");
		first = false;
		if (t->has_pk && c->before.isnull[i])
			appendStringInfo(sql, "%s IS NULL", t->colname[i]);
		else
		{
			add_param(p, i, true);
			appendStringInfo(sql, t->has_pk ? "%s = $%d::%s" : "%s IS NOT DISTINCT FROM $%d::%s",
							 t->colname[i], p->nparams, t->coltype[i]);
		}
	}
	if (first)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the binlog row image of table %s does not identify the row", t->name),
				 errhint("Use binlog_row_image=FULL on the source, or give the table a primary key.")));
}

/* The row an UPDATE or DELETE changes: by key, or exactly one matching row. */
static void
append_row_identity(StringInfo sql, ApplyPlan *p, const ChameleonApplyTable *t,
					const ChameleonRowChange *c)
{
	if (t->has_pk)
	{
		append_where(sql, p, t, c);
		return;
	}
	appendStringInfo(sql, " WHERE ctid = (SELECT ctid FROM %s", t->qualified);
	append_where(sql, p, t, c);
	appendStringInfoString(sql, " LIMIT 1)");
}

static char *
build_sql(ApplyPlan *p, const ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	StringInfoData sql;
	bool		first = true;

	initStringInfo(&sql);
	switch (p->op)
	{
		case OP_INSERT:
			{
				StringInfoData sel;
				StringInfoData from;

				initStringInfo(&sel);
				initStringInfo(&from);
				appendStringInfo(&sql, "INSERT INTO %s (", t->qualified);
				for (int i = 0; i < t->ncols; i++)
				{
					if (!c->after.present[i] || t->colname[i] == NULL)
						continue;
					add_param(p, i, false);
					appendStringInfo(&sql, "%s%s", first ? "" : ", ", t->colname[i]);
					appendStringInfo(&sel, "%su.c%d::%s", first ? "" : ", ",
									 p->nparams, t->coltype[i]);
					appendStringInfo(&from, "%spg_catalog.unnest($%d::pg_catalog.text[])",
									 first ? "" : ", ", p->nparams);
					first = false;
				}
				if (first)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("a row inserted into table %s has no replicated column", t->name)));
				appendStringInfo(&sql, ") SELECT %s FROM ROWS FROM (%s) AS u(",
								 sel.data, from.data);
				for (int k = 1; k <= p->nparams; k++)
					appendStringInfo(&sql, "%sc%d", k > 1 ? ", " : "", k);
				appendStringInfoChar(&sql, ')');
				p->nvalues = p->nparams;
				break;
			}
		case OP_UPDATE:
			appendStringInfo(&sql, "UPDATE %s SET ", t->qualified);
			for (int i = 0; i < t->ncols; i++)
			{
				if (!c->after.present[i] || t->colname[i] == NULL)
					continue;
				add_param(p, i, false);
				appendStringInfo(&sql, "%s%s = $%d::%s", first ? "" : ", ",
								 t->colname[i], p->nparams, t->coltype[i]);
				first = false;
			}
			if (first)
				return NULL;	/* nothing replicated changed */
			append_row_identity(&sql, p, t, c);
			break;
		case OP_DELETE:
			appendStringInfo(&sql, "DELETE FROM %s", t->qualified);
			append_row_identity(&sql, p, t, c);
			break;
	}
	return sql.data;
}

/* The kept plan for this statement shape; NULL if there is nothing to do. */
static ApplyPlan *
get_plan(ChameleonApplyTable *t, ApplyOp op, const ChameleonRowChange *c)
{
	char	   *shape = statement_shape(op, t, c);
	ApplyPlan  *p;
	ListCell   *lc;
	MemoryContext old;
	char	   *sql;
	Oid		   *types;

	foreach(lc, (List *) t->statements)
	{
		p = (ApplyPlan *) lfirst(lc);
		if (p->op == op && strcmp(p->shape, shape) == 0)
			return p->plan ? p : NULL;
	}

	old = MemoryContextSwitchTo(t->cxt);
	p = palloc0(sizeof(ApplyPlan));
	p->op = op;
	p->shape = pstrdup(shape);
	p->param_col = palloc(sizeof(int) * t->ncols * 2);
	p->param_before = palloc(sizeof(bool) * t->ncols * 2);
	sql = build_sql(p, t, c);
	t->statements = lappend((List *) t->statements, p);
	MemoryContextSwitchTo(old);
	if (sql == NULL)
		return NULL;

	types = palloc(sizeof(Oid) * Max(p->nparams, 1));
	for (int k = 0; k < p->nparams; k++)
		types[k] = (op == OP_INSERT) ? TEXTARRAYOID : TEXTOID;
	old = CurrentMemoryContext;
	p->plan = SPI_prepare(sql, p->nparams, types);
	MemoryContextSwitchTo(old);
	if (p->plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(p->plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return p;
}

static void
check_one_row(const ChameleonApplyTable *t, ApplyOp op)
{
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("row to %s not found in table %s", apply_op_name(op), t->qualified),
				 errdetail("The replica no longer matches the source for this row."),
				 errhint("Copy the table again with chameleon.sync_tables().")));
}

static void
execute_row(ChameleonApplyTable *t, ApplyPlan *p, const ChameleonRowChange *c)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum	   *values = palloc(sizeof(Datum) * Max(p->nparams, 1));
	char	   *nulls = palloc(Max(p->nparams, 1));
	int			ret;

	for (int k = 0; k < p->nparams; k++)
	{
		const ChameleonRowImage *img = p->param_before[k] ? &c->before : &c->after;
		int			col = p->param_col[k];

		values[k] = chameleon_spi_text_arg(img->isnull[col] ? NULL : img->values[col], &nulls[k]);
	}
	ret = SPI_execute_plan(p->plan, values, nulls, false, 0);
	MemoryContextSwitchTo(cxt);
	if (ret < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	check_one_row(t, p->op);
}

/* ---------------------------------------------------------------------
 * INSERT batches
 * ---------------------------------------------------------------------
 */

static void
spi_flush(void)
{
	InsertBuffer *b = &Pending;
	Datum	   *params;
	int			ret;
	MemoryContext old;

	if (b->table == NULL || b->nrows == 0)
	{
		memset(b, 0, sizeof(*b));
		return;
	}
	old = MemoryContextSwitchTo(InsertContext);
	params = palloc(sizeof(Datum) * b->plan->nparams);
	for (int k = 0; k < b->plan->nparams; k++)
	{
		int			dims[1] = {b->nrows};
		int			lbs[1] = {1};

		params[k] = PointerGetDatum(construct_md_array(b->values[k], b->nulls[k], 1,
													   dims, lbs, TEXTOID, -1,
													   false, TYPALIGN_INT));
	}
	ret = SPI_execute_plan(b->plan->plan, params, NULL, false, 0);
	MemoryContextSwitchTo(old);
	if (ret < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	if (SPI_processed != (uint64) b->nrows)
		elog(ERROR, "inserted " UINT64_FORMAT " rows instead of %d", SPI_processed, b->nrows);

	memset(b, 0, sizeof(*b));
	MemoryContextReset(InsertContext);
}

static void
spi_discard(void)
{
	memset(&Pending, 0, sizeof(Pending));
	if (InsertContext)
		MemoryContextReset(InsertContext);
}

/* Add an inserted row to the pending INSERT; false if it cannot join it. */
static bool
spi_insert(ChameleonApplyTable *t, const ChameleonRowChange *c, Size *bytes)
{
	InsertBuffer *b = &Pending;
	ApplyPlan  *p = get_plan(t, OP_INSERT, c);
	MemoryContext old;

	if (b->nrows > 0 && (b->table != t || b->plan != p || b->nrows >= INSERT_BATCH_CAPACITY))
		return false;
	old = MemoryContextSwitchTo(InsertContext);
	if (b->table == NULL)
	{
		b->table = t;
		b->plan = p;
		b->values = palloc(sizeof(Datum *) * p->nparams);
		b->nulls = palloc(sizeof(bool *) * p->nparams);
		for (int k = 0; k < p->nparams; k++)
		{
			b->values[k] = palloc(sizeof(Datum) * INSERT_BATCH_CAPACITY);
			b->nulls[k] = palloc(sizeof(bool) * INSERT_BATCH_CAPACITY);
		}
	}
	for (int k = 0; k < p->nparams; k++)
	{
		int			col = p->param_col[k];
		bool		isnull = c->after.isnull[col];

		b->nulls[k][b->nrows] = isnull;
		b->values[k][b->nrows] = isnull ? (Datum) 0 :
			CStringGetTextDatum(c->after.values[col]);
		if (!isnull)
			*bytes += strlen(c->after.values[col]);
	}
	b->nrows++;
	MemoryContextSwitchTo(old);
	return true;
}

/* ---------------------------------------------------------------------
 * UPDATE and DELETE
 * ---------------------------------------------------------------------
 */

static void
spi_update(ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	ApplyPlan  *p = get_plan(t, OP_UPDATE, c);

	if (p != NULL)				/* NULL: nothing replicated changed */
		execute_row(t, p, c);
}

static void
spi_delete(ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	execute_row(t, get_plan(t, OP_DELETE, c), c);
}

/* ---------------------------------------------------------------------
 * Session, transactions, table versions
 * ---------------------------------------------------------------------
 */

static void
spi_session_start(MemoryContext parent)
{
	if (InsertContext == NULL)
		InsertContext = AllocSetContextCreate(parent, "pg_chameleon insert batch",
											  ALLOCSET_DEFAULT_SIZES);
	spi_discard();
}

static void
spi_session_end(void)
{
	spi_discard();
}

static void
spi_xact_begin(void)
{
	chameleon_spi_connect();
	SpiConnected = true;
}

static void
spi_xact_end(void)
{
	if (SpiConnected)
		SPI_finish();
	SpiConnected = false;
}

static void
spi_xact_abort(void)
{
	/* AbortTransaction cleaned SPI up */
	SpiConnected = false;
	spi_discard();
}

static void
spi_forget_table(ChameleonApplyTable *t)
{
	ListCell   *lc;

	foreach(lc, (List *) t->statements)
	{
		ApplyPlan  *p = (ApplyPlan *) lfirst(lc);

		if (p->plan)
			SPI_freeplan(p->plan);
	}
	t->statements = NIL;
}

const ChameleonApplyBackend chameleon_apply_spi_backend = {
	.session_start = spi_session_start,
	.session_end = spi_session_end,
	.xact_begin = spi_xact_begin,
	.xact_end = spi_xact_end,
	.xact_abort = spi_xact_abort,
	.insert = spi_insert,
	.flush = spi_flush,
	.discard = spi_discard,
	.update = spi_update,
	.delete = spi_delete,
	.forget_table = spi_forget_table,
};
