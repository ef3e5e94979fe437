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
 * The idempotent replay window (apply.c) has its own, tables with a
 * primary key only:
 *   DELETE FROM t WHERE k = ...               no row is fine
 *   DELETE FROM t WHERE u = $i::type ... AND NOT (k = $j::type ...)
 *     -- one per UNIQUE index: rows holding the new row's unique value
 *   INSERT INTO t (c...) VALUES ($i::type, ...) ON CONFLICT (k...)
 *     DO UPDATE SET c = EXCLUDED.c, ...      (DO NOTHING: every column is key)
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

/* What a kept statement does. */
typedef enum StmtKind
{
	STMT_INSERT,				/* a batch of rows */
	STMT_UPDATE,				/* exactly one row */
	STMT_DELETE,				/* one row: exactly, or if present */
	STMT_DELETE_UNIQUE,			/* rows holding a unique value under another key */
	STMT_UPSERT					/* insert or replace by primary key */
} StmtKind;

/* A kept statement of one table version. */
typedef struct ApplyPlan
{
	StmtKind	kind;
	int			unique;			/* STMT_DELETE_UNIQUE: which of t->uniques */
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
statement_shape(StmtKind kind, int unique, const ChameleonApplyTable *t,
				const ChameleonRowChange *c)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "%d.%d|", (int) kind, unique);
	if (kind == STMT_UPDATE || kind == STMT_DELETE)
	{
		append_present(&s, t, &c->before);
		/* a NULL key value cannot use "=": it changes the statement */
		for (int i = 0; i < t->ncols; i++)
			if (t->is_key[i] && c->before.present[i])
				appendStringInfoChar(&s, c->before.isnull[i] ? 'n' : 'v');
	}
	appendStringInfoChar(&s, '|');
	if (kind != STMT_DELETE)
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

/*
 * DELETE the rows holding the after image's values of unique index
 * p->unique under another primary key (the primary key is NOT NULL).
 */
static void
append_delete_unique(StringInfo sql, ApplyPlan *p, const ChameleonApplyTable *t)
{
	const ChameleonUniqueKey *u = &t->uniques[p->unique];
	bool		first = true;

	appendStringInfo(sql, "DELETE FROM %s WHERE ", t->qualified);
	for (int k = 0; k < u->ncols; k++)
	{
		int			i = u->cols[k];

		add_param(p, i, false);
		appendStringInfo(sql, u->nulls_not_distinct ? "%s%s IS NOT DISTINCT FROM $%d::%s" :
						 "%s%s = $%d::%s", k > 0 ? " AND " : "",
						 t->colname[i], p->nparams, t->coltype[i]);
	}
	appendStringInfoString(sql, " AND NOT (");
	for (int i = 0; i < t->ncols; i++)
	{
		if (!t->is_key[i])
			continue;
		add_param(p, i, false);
		appendStringInfo(sql, "%s%s = $%d::%s", first ? "" : " AND ",
						 t->colname[i], p->nparams, t->coltype[i]);
		first = false;
	}
	appendStringInfoChar(sql, ')');
}

/* INSERT the after image, or set the row of its primary key to it. */
static void
append_upsert(StringInfo sql, ApplyPlan *p, const ChameleonApplyTable *t,
			  const ChameleonRowChange *c)
{
	StringInfoData vals;
	StringInfoData set;
	bool		first = true;

	initStringInfo(&vals);
	initStringInfo(&set);
	appendStringInfo(sql, "INSERT INTO %s (", t->qualified);
	for (int i = 0; i < t->ncols; i++)
	{
		if (!c->after.present[i] || t->colname[i] == NULL)
			continue;
		add_param(p, i, false);
		appendStringInfo(sql, "%s%s", first ? "" : ", ", t->colname[i]);
		appendStringInfo(&vals, "%s$%d::%s", first ? "" : ", ", p->nparams, t->coltype[i]);
		if (!t->is_key[i])
			appendStringInfo(&set, "%s%s = EXCLUDED.%s", set.len > 0 ? ", " : "",
							 t->colname[i], t->colname[i]);
		first = false;
	}
	appendStringInfo(sql, ") VALUES (%s) ON CONFLICT (", vals.data);
	first = true;
	for (int i = 0; i < t->ncols; i++)
	{
		if (!t->is_key[i])
			continue;
		appendStringInfo(sql, "%s%s", first ? "" : ", ", t->colname[i]);
		first = false;
	}
	if (set.len > 0)
		appendStringInfo(sql, ") DO UPDATE SET %s", set.data);
	else
		appendStringInfoString(sql, ") DO NOTHING");
}

static char *
build_sql(ApplyPlan *p, const ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	StringInfoData sql;
	bool		first = true;

	initStringInfo(&sql);
	switch (p->kind)
	{
		case STMT_INSERT:
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
		case STMT_UPDATE:
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
		case STMT_DELETE:
			appendStringInfo(&sql, "DELETE FROM %s", t->qualified);
			append_row_identity(&sql, p, t, c);
			break;
		case STMT_DELETE_UNIQUE:
			append_delete_unique(&sql, p, t);
			break;
		case STMT_UPSERT:
			append_upsert(&sql, p, t, c);
			break;
	}
	return sql.data;
}

/*
 * The kept plan for this statement shape (unique: which of t->uniques, for
 * STMT_DELETE_UNIQUE, else -1); NULL if there is nothing to do.
 */
static ApplyPlan *
get_plan(ChameleonApplyTable *t, StmtKind kind, int unique, const ChameleonRowChange *c)
{
	char	   *shape = statement_shape(kind, unique, t, c);
	ApplyPlan  *p;
	ListCell   *lc;
	MemoryContext old;
	char	   *sql;
	Oid		   *types;

	foreach(lc, (List *) t->statements)
	{
		p = (ApplyPlan *) lfirst(lc);
		if (p->kind == kind && strcmp(p->shape, shape) == 0)
			return p->plan ? p : NULL;
	}

	old = MemoryContextSwitchTo(t->cxt);
	p = palloc0(sizeof(ApplyPlan));
	p->kind = kind;
	p->unique = unique;
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
		types[k] = (kind == STMT_INSERT) ? TEXTARRAYOID : TEXTOID;
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
check_one_row(const ChameleonApplyTable *t, StmtKind kind)
{
	ApplyOp		op = (kind == STMT_UPDATE) ? OP_UPDATE : OP_DELETE;

	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("row to %s not found in table %s", apply_op_name(op), t->qualified),
				 errdetail("The replica no longer matches the source for this row."),
				 errhint("Copy the table again with chameleon.sync_tables().")));
}

/* Run a row's statement; exactly_one: finding no row is an error. */
static void
execute_row(ChameleonApplyTable *t, ApplyPlan *p, const ChameleonRowChange *c, bool exactly_one)
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
	if (exactly_one)
		check_one_row(t, p->kind);
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
	ApplyPlan  *p = get_plan(t, STMT_INSERT, -1, c);
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
	ApplyPlan  *p = get_plan(t, STMT_UPDATE, -1, c);

	if (p != NULL)				/* NULL: nothing replicated changed */
		execute_row(t, p, c, true);
}

static void
spi_delete(ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	execute_row(t, get_plan(t, STMT_DELETE, -1, c), c, true);
}

/* ---------------------------------------------------------------------
 * The idempotent replay window
 * ---------------------------------------------------------------------
 */

static void
spi_delete_if_present(ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	execute_row(t, get_plan(t, STMT_DELETE, -1, c), c, false);
}

/* May a row with these values conflict on the unique index? */
static bool
unique_applies(const ChameleonUniqueKey *u, const ChameleonRowImage *img)
{
	for (int k = 0; k < u->ncols; k++)
	{
		if (!img->present[u->cols[k]])
			return false;
		if (img->isnull[u->cols[k]] && !u->nulls_not_distinct)
			return false;
	}
	return true;
}

static void
spi_delete_unique_conflicts(ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	for (int k = 0; k < t->nuniques; k++)
		if (unique_applies(&t->uniques[k], &c->after))
			execute_row(t, get_plan(t, STMT_DELETE_UNIQUE, k, c), c, false);
}

static void
spi_upsert(ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	execute_row(t, get_plan(t, STMT_UPSERT, -1, c), c, false);
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
	.delete_if_present = spi_delete_if_present,
	.delete_unique_conflicts = spi_delete_unique_conflicts,
	.upsert = spi_upsert,
	.forget_table = spi_forget_table,
};
