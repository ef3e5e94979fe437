/*
 * apply_fkeys.c -- the referential actions the source runs without logging
 * them (apply_int.h).
 *
 * MariaDB, and MySQL up to 9.5 (or later with innodb_native_foreign_keys),
 * run ON DELETE / ON UPDATE CASCADE and SET NULL inside InnoDB and write no
 * row events for the child rows.  After the worker deletes a parent row,
 * or updates its referenced columns, this module does what InnoDB did, in
 * the same transaction: for every foreign key that references the table
 * (sch_chameleon.t_foreign_keys, kept current by DDL) with such a rule,
 * one statement on the child table --
 *   CASCADE on delete:  DELETE FROM child WHERE key = old key
 *   SET NULL:           UPDATE child SET key = NULL WHERE key = old key
 *   CASCADE on update:  UPDATE child SET key = new key WHERE key = old key
 * -- and, when keys reference the child in turn, the same for each child
 * row changed (RETURNING its referenced columns): chains of any depth up
 * to InnoDB's limit of 15, self-references included.  InnoDB's rules are
 * kept: a key with a NULL column references nothing, an UPDATE cascades
 * only when a referenced column changed, nothing happens when the change
 * was made with foreign_key_checks=0 (NO_FOREIGN_KEY_CHECKS_F on the rows
 * event).
 *
 * MySQL 9.6 and later handle foreign keys in the SQL layer by default and
 * do log the child rows, before the parent's event of the same statement.
 * For such a source an action is left out when the statement already
 * changed the child table, so nothing is applied twice.
 *
 * A child table that is not replicated, in error, or older than its copy
 * snapshot (being synced) is left alone, as its own rows events would be.
 * Statements on a child run under apply.c's error handling for that table
 * (chameleon_apply_for_target): a failure is the child's, not the parent's.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "apply_int.h"
#include "catalog.h"
#include "spi_util.h"
#include "tabledef.h"

/* Rows event flag: the change was made with foreign_key_checks=0. */
#define ROWS_NO_FOREIGN_KEY_CHECKS_F	0x0002

/* InnoDB refuses cascades nested deeper than this. */
#define MAX_CASCADE_DEPTH	15

typedef enum FkRule
{
	RULE_NONE,					/* RESTRICT, NO ACTION (SET DEFAULT: refused by InnoDB) */
	RULE_CASCADE,
	RULE_SET_NULL
} FkRule;

/* The statements of a key, each prepared on first use. */
typedef enum FkStatement
{
	FK_DELETE,					/* ON DELETE CASCADE */
	FK_SET_NULL,				/* ON DELETE / ON UPDATE SET NULL */
	FK_UPDATE,					/* ON UPDATE CASCADE */
	FK_NSTATEMENTS
} FkStatement;

static const char *const StatementName[FK_NSTATEMENTS] = {
	"on delete cascade", "set null", "on update cascade"
};

/* A foreign key with an action, on its child table. */
typedef struct FkAction
{
	char	   *child;			/* MySQL table that has the key */
	char	   *name;
	int			ncols;
	char	  **columns;		/* the child's key columns (MySQL names) */
	char	  **ref_columns;	/* the parent's referenced columns */
	FkRule		on_delete;
	FkRule		on_update;
	/* resolved on first use against the child's PostgreSQL table */
	bool		resolved;
	char	   *qualified;
	char	  **colname;		/* quoted PostgreSQL key columns */
	char	  **coltype;
	int			nret;			/* the child's columns its own keys reference */
	char	  **ret_names;		/* MySQL names */
	char	  **ret_colname;
	SPIPlanPtr	plans[FK_NSTATEMENTS];
} FkAction;

/* The keys that reference one table. */
typedef struct FkParent
{
	char		table[NAMEDATALEN * 2]; /* hash key: MySQL table */
	List	   *actions;		/* FkAction * */
} FkParent;

/* A changed row of a parent, as far as the keys need it. */
typedef struct FkRow
{
	int			n;
	char	  **names;			/* MySQL column names */
	char	  **old;			/* values before (NULL: SQL NULL) */
	char	  **new;			/* UPDATE: values after; NULL for a DELETE */
} FkRow;

static ChameleonApplySession *Session = NULL;
static MemoryContext FkContext = NULL;
static HTAB *Parents = NULL;
static bool SourceLogsActions = false;
static List *StatementTables = NIL; /* char *: tables this statement changed */

static void apply_actions(const char *parent, const FkRow *row, int depth);

/* ---------------------------------------------------------------------
 * The keys
 * ---------------------------------------------------------------------
 */

static FkRule
rule_of(const char *rule)
{
	if (rule == NULL)
		return RULE_NONE;
	if (pg_strcasecmp(rule, "CASCADE") == 0)
		return RULE_CASCADE;
	if (pg_strcasecmp(rule, "SET NULL") == 0)
		return RULE_SET_NULL;
	return RULE_NONE;
}

static char **
string_array(List *strings)
{
	char	  **a = palloc0(sizeof(char *) * Max(list_length(strings), 1));
	ListCell   *lc;

	foreach(lc, strings)
		a[foreach_current_index(lc)] = pstrdup(lfirst(lc));
	return a;
}

static void
add_key(const ChameleonStoredForeignKey *fk)
{
	FkAction   *k;
	FkParent   *p;
	bool		found;
	char	   *parent = chameleon_table_key(Session->config, fk->referenced_schema,
											 fk->referenced_table);

	if (parent == NULL || strlen(parent) >= NAMEDATALEN * 2 ||
		list_length(fk->columns) != list_length(fk->referenced_columns) ||
		fk->columns == NIL)
		return;
	k = palloc0(sizeof(FkAction));
	k->on_delete = rule_of(fk->on_delete);
	k->on_update = rule_of(fk->on_update);
	if (k->on_delete == RULE_NONE && k->on_update == RULE_NONE)
		return;
	k->child = pstrdup(fk->mysql_table);
	k->name = pstrdup(fk->constraint_name);
	k->ncols = list_length(fk->columns);
	k->columns = string_array(fk->columns);
	k->ref_columns = string_array(fk->referenced_columns);
	p = hash_search(Parents, parent, HASH_ENTER, &found);
	if (!found)
		p->actions = NIL;
	p->actions = lappend(p->actions, k);
}

static void
load_keys(void)
{
	HASHCTL		ctl;
	MemoryContext old = MemoryContextSwitchTo(FkContext);
	ListCell   *lc;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN * 2;
	ctl.entrysize = sizeof(FkParent);
	ctl.hcxt = FkContext;
	Parents = hash_create("pg_chameleon foreign-key actions", 16, &ctl,
						  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	foreach(lc, chameleon_catalog_foreign_keys(Session->source_id))
		add_key(lfirst(lc));
	MemoryContextSwitchTo(old);
}

static FkParent *
parent_keys(const char *table)
{
	if (Parents == NULL || strlen(table) >= NAMEDATALEN * 2)
		return NULL;
	return hash_search(Parents, table, HASH_FIND, NULL);
}

static void
free_plans(void)
{
	HASH_SEQ_STATUS seq;
	FkParent   *p;

	if (Parents == NULL)
		return;
	hash_seq_init(&seq, Parents);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		ListCell   *lc;

		foreach(lc, p->actions)
		{
			FkAction   *k = lfirst(lc);

			for (int s = 0; s < FK_NSTATEMENTS; s++)
				if (k->plans[s] != NULL)
					SPI_freeplan(k->plans[s]);
		}
	}
}

void
chameleon_fkeys_open(ChameleonApplySession *session, MemoryContext parent)
{
	Session = session;
	/* a child of the parent: goes with the parent's reset at session end */
	FkContext = AllocSetContextCreate(parent, "pg_chameleon foreign-key actions",
									  ALLOCSET_DEFAULT_SIZES);
	load_keys();
}

static void
forget_keys(void)
{
	free_plans();
	Parents = NULL;
	StatementTables = NIL;
}

void
chameleon_fkeys_close(void)
{
	forget_keys();
	FkContext = NULL;
}

void
chameleon_fkeys_reload(void)
{
	forget_keys();
	MemoryContextReset(FkContext);
	load_keys();
}

/* ---------------------------------------------------------------------
 * When actions run
 * ---------------------------------------------------------------------
 */

/* Does the source log the child rows of its actions (MySQL 9.6 and later)? */
static bool
logs_actions(const ChameleonBinlogFormat *fmt)
{
	int			major = 0;
	int			minor = 0;

	if (fmt == NULL || !fmt->valid || fmt->is_mariadb)
		return false;
	if (sscanf(fmt->server_version, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 9 || (major == 9 && minor >= 6);
}

static bool
in_statement(const char *table)
{
	ListCell   *lc;

	foreach(lc, StatementTables)
		if (strcmp(lfirst(lc), table) == 0)
			return true;
	return false;
}

bool
chameleon_fkeys_wanted(const ChameleonApplyTable *t, const ChameleonRowsEvent *ev,
					   const ChameleonBinlogFormat *fmt)
{
	bool		wanted;

	SourceLogsActions = logs_actions(fmt);
	wanted = ev->kind != CHAMELEON_ROWS_WRITE &&
		(ev->flags & ROWS_NO_FOREIGN_KEY_CHECKS_F) == 0 &&
		parent_keys(t->target->mysql_table) != NULL;
	if (SourceLogsActions && !in_statement(t->target->mysql_table))
	{
		MemoryContext old = MemoryContextSwitchTo(FkContext);

		StatementTables = lappend(StatementTables, pstrdup(t->target->mysql_table));
		MemoryContextSwitchTo(old);
	}
	return wanted;
}

void
chameleon_fkeys_statement_end(void)
{
	list_free_deep(StatementTables);
	StatementTables = NIL;
}

/* ---------------------------------------------------------------------
 * Statements on a child table
 * ---------------------------------------------------------------------
 */

static void
resolve_key(FkAction *k, const ChameleonApplyTarget *target)
{
	Oid			relid = RangeVarGetRelid(makeRangeVar(target->pg_schema, target->pg_table, -1),
										 AccessShareLock, false);
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	FkParent   *own = parent_keys(k->child);
	MemoryContext old = MemoryContextSwitchTo(FkContext);
	List	   *ret = NIL;

	k->qualified = psprintf("%s.%s", quote_identifier(target->pg_schema),
							quote_identifier(target->pg_table));
	k->colname = palloc0(sizeof(char *) * k->ncols);
	k->coltype = palloc0(sizeof(char *) * k->ncols);
	for (int i = 0; i < k->ncols; i++)
	{
		int			a = chameleon_tabledef_attribute(desc, k->columns[i], 0);

		if (a < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of foreign key \"%s\" is not in table %s",
							k->columns[i], k->name, k->qualified),
					 errdetail("The key's ON DELETE / ON UPDATE action cannot be applied.")));
		k->colname[i] = pstrdup(quote_identifier(NameStr(TupleDescAttr(desc, a)->attname)));
		k->coltype[i] = format_type_extended(TupleDescAttr(desc, a)->atttypid, -1,
											 FORMAT_TYPE_TYPEMOD_GIVEN |
											 FORMAT_TYPE_FORCE_QUALIFY);
	}

	/* the child's columns that its own keys' children reference */
	if (own != NULL)
	{
		ListCell   *lc;

		foreach(lc, own->actions)
		{
			FkAction   *g = lfirst(lc);

			for (int i = 0; i < g->ncols; i++)
			{
				bool		dup = false;
				ListCell   *lr;

				foreach(lr, ret)
					dup |= pg_strcasecmp(lfirst(lr), g->ref_columns[i]) == 0;
				if (!dup)
					ret = lappend(ret, g->ref_columns[i]);
			}
		}
	}
	k->nret = list_length(ret);
	k->ret_names = string_array(ret);
	k->ret_colname = palloc0(sizeof(char *) * Max(k->nret, 1));
	for (int i = 0; i < k->nret; i++)
	{
		int			a = chameleon_tabledef_attribute(desc, k->ret_names[i], 0);

		if (a < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" referenced by a foreign key is not in table %s",
							k->ret_names[i], k->qualified)));
		k->ret_colname[i] = pstrdup(quote_identifier(NameStr(TupleDescAttr(desc, a)->attname)));
	}
	MemoryContextSwitchTo(old);
	table_close(rel, AccessShareLock);
	k->resolved = true;
}

static char *
statement_sql(const FkAction *k, FkStatement st)
{
	StringInfoData sql;

	initStringInfo(&sql);
	if (st == FK_DELETE)
		appendStringInfo(&sql, "DELETE FROM %s", k->qualified);
	else
	{
		appendStringInfo(&sql, "UPDATE %s SET ", k->qualified);
		for (int i = 0; i < k->ncols; i++)
		{
			if (st == FK_SET_NULL)
				appendStringInfo(&sql, "%s%s = NULL", i ? ", " : "", k->colname[i]);
			else
				appendStringInfo(&sql, "%s%s = $%d::%s", i ? ", " : "", k->colname[i],
								 k->ncols + i + 1, k->coltype[i]);
		}
	}
	for (int i = 0; i < k->ncols; i++)
		appendStringInfo(&sql, "%s%s = $%d::%s", i ? " AND " : " WHERE ",
						 k->colname[i], i + 1, k->coltype[i]);
	for (int i = 0; i < k->nret; i++)
		appendStringInfo(&sql, "%s%s", i ? ", " : " RETURNING ", k->ret_colname[i]);
	return sql.data;
}

static SPIPlanPtr
statement_plan(FkAction *k, FkStatement st)
{
	int			nargs = k->ncols * (st == FK_UPDATE ? 2 : 1);
	Oid		   *types = palloc(sizeof(Oid) * nargs);
	char	   *sql = statement_sql(k, st);
	SPIPlanPtr	plan;

	if (k->plans[st] != NULL)
		return k->plans[st];
	for (int i = 0; i < nargs; i++)
		types[i] = TEXTOID;
	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	k->plans[st] = plan;
	return plan;
}

/* One action of one key for one parent row: what runs for the child. */
typedef struct FkStep
{
	FkAction   *key;
	ChameleonApplyTarget *target;
	FkStatement statement;
	char	  **old_key;		/* the parent's referenced values before */
	char	  **new_key;		/* FK_UPDATE: after */
	int			depth;
} FkStep;

/* The child rows the statement changed, as parent rows of the next level. */
static List *
returned_rows(const FkStep *s)
{
	const FkAction *k = s->key;
	List	   *rows = NIL;

	for (uint64 r = 0; r < SPI_processed; r++)
	{
		FkRow	   *row = palloc0(sizeof(FkRow));

		row->n = k->nret;
		row->names = k->ret_names;
		row->old = palloc0(sizeof(char *) * Max(k->nret, 1));
		if (s->statement != FK_DELETE)
			row->new = palloc0(sizeof(char *) * Max(k->nret, 1));
		for (int i = 0; i < k->nret; i++)
		{
			char	   *v = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, i + 1);

			row->old[i] = v;
			if (s->statement == FK_DELETE)
				continue;
			row->new[i] = v;
			/* the key columns had the parent's old values before */
			for (int c = 0; c < k->ncols; c++)
				if (pg_strcasecmp(k->columns[c], k->ret_names[i]) == 0)
					row->old[i] = s->old_key[c];
		}
		rows = lappend(rows, row);
	}
	return rows;
}

static void
run_step(void *arg)
{
	FkStep	   *s = arg;
	FkAction   *k = s->key;
	int			nargs = k->ncols * (s->statement == FK_UPDATE ? 2 : 1);
	Datum	   *values = palloc(sizeof(Datum) * nargs);
	char	   *nulls = palloc(nargs);
	MemoryContext cxt = CurrentMemoryContext;
	SPIPlanPtr	plan;
	List	   *rows;
	ListCell   *lc;
	int			ret;

	if (!k->resolved)
		resolve_key(k, s->target);
	plan = statement_plan(k, s->statement);
	for (int i = 0; i < k->ncols; i++)
	{
		values[i] = chameleon_spi_text_arg(s->old_key[i], &nulls[i]);
		if (s->statement == FK_UPDATE)
			values[k->ncols + i] = chameleon_spi_text_arg(s->new_key[i], &nulls[k->ncols + i]);
	}
	ret = SPI_execute_plan(plan, values, nulls, false, 0);
	MemoryContextSwitchTo(cxt);
	if (ret < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	s->target->batch_rows += SPI_processed;
	if (k->nret == 0 || SPI_processed == 0)
		return;
	if (s->depth >= MAX_CASCADE_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("foreign-key actions on table %s nest deeper than MySQL allows (%d)",
						k->qualified, MAX_CASCADE_DEPTH),
				 errdetail("The replica no longer matches the source: MySQL would have refused the change."),
				 errhint("Copy the table again with chameleon.sync_tables().")));
	rows = returned_rows(s);
	foreach(lc, rows)
		apply_actions(k->child, lfirst(lc), s->depth + 1);
}

/* {"column": "value" | null, ...} of a key's columns. */
static void
append_key_json(StringInfo j, const FkAction *k, char **values)
{
	appendStringInfoChar(j, '{');
	for (int i = 0; i < k->ncols; i++)
	{
		appendStringInfoString(j, i ? ", " : "");
		escape_json(j, k->columns[i]);
		appendStringInfoString(j, ": ");
		if (values[i])
			escape_json(j, values[i]);
		else
			appendStringInfoString(j, "null");
	}
	appendStringInfoChar(j, '}');
}

/* The parent row of a step, for chameleon.errors. */
static char *
step_json(const FkStep *s, const char *parent)
{
	StringInfoData j;

	initStringInfo(&j);
	appendStringInfoString(&j, "{\"foreign_key\": ");
	escape_json(&j, s->key->name);
	appendStringInfoString(&j, ", \"referenced_table\": ");
	escape_json(&j, parent);
	appendStringInfoString(&j, ", \"key\": ");
	append_key_json(&j, s->key, s->old_key);
	if (s->statement == FK_UPDATE)
	{
		appendStringInfoString(&j, ", \"new_key\": ");
		append_key_json(&j, s->key, s->new_key);
	}
	appendStringInfoChar(&j, '}');
	return j.data;
}

/* ---------------------------------------------------------------------
 * A parent row's actions
 * ---------------------------------------------------------------------
 */

/* The row's values of the key's referenced columns; false if one is unknown. */
static bool
key_values(const FkAction *k, const FkRow *row, char **values, bool after)
{
	for (int i = 0; i < k->ncols; i++)
	{
		int			c;

		for (c = 0; c < row->n; c++)
			if (pg_strcasecmp(row->names[c], k->ref_columns[i]) == 0)
				break;
		if (c == row->n)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the row image lacks column \"%s\" referenced by foreign key \"%s\"",
							k->ref_columns[i], k->name),
					 errhint("Use binlog_row_image=FULL on the source.")));
		values[i] = after ? row->new[c] : row->old[c];
	}
	return true;
}

static bool
any_null(char **values, int n)
{
	for (int i = 0; i < n; i++)
		if (values[i] == NULL)
			return true;
	return false;
}

static bool
same_values(char **a, char **b, int n)
{
	for (int i = 0; i < n; i++)
		if ((a[i] == NULL) != (b[i] == NULL) || (a[i] && strcmp(a[i], b[i]) != 0))
			return false;
	return true;
}

/* Is the child table one whose changes are applied now? */
static ChameleonApplyTarget *
live_target(const char *child)
{
	ChameleonApplyTarget *t = chameleon_relmap_target(child);

	if (t == NULL || t->in_error ||
		chameleon_relmap_before_snapshot(t, Session->where.file, Session->where.pos))
		return NULL;
	return t;
}

static void
apply_key(FkAction *k, const char *parent, const FkRow *row, int depth)
{
	FkRule		rule = row->new ? k->on_update : k->on_delete;
	FkStep		s = {k, NULL, FK_DELETE, NULL, NULL, depth};

	if (rule == RULE_NONE)
		return;
	if (SourceLogsActions && in_statement(k->child))
		return;					/* the source logged the child rows */
	s.old_key = palloc(sizeof(char *) * k->ncols);
	key_values(k, row, s.old_key, false);
	if (any_null(s.old_key, k->ncols))
		return;					/* references nothing */
	if (row->new)
	{
		s.new_key = palloc(sizeof(char *) * k->ncols);
		key_values(k, row, s.new_key, true);
		if (same_values(s.old_key, s.new_key, k->ncols))
			return;				/* the referenced columns did not change */
	}
	if ((s.target = live_target(k->child)) == NULL)
		return;
	s.statement = rule == RULE_SET_NULL ? FK_SET_NULL :
		row->new ? FK_UPDATE : FK_DELETE;
	/* skip_events of the child: the rows InnoDB changed there are left too */
	if (s.target->skip_events[s.statement == FK_DELETE ? CHAMELEON_EVENT_DELETE :
							  CHAMELEON_EVENT_UPDATE])
		return;
	chameleon_apply_for_target(s.target, StatementName[s.statement],
							   step_json(&s, parent), run_step, &s);
}

static void
apply_actions(const char *parent, const FkRow *row, int depth)
{
	FkParent   *p = parent_keys(parent);
	ListCell   *lc;

	if (p == NULL)
		return;
	CHECK_FOR_INTERRUPTS();
	foreach(lc, p->actions)
		apply_key(lfirst(lc), parent, row, depth);
}

void
chameleon_fkeys_rows_unknown(const ChameleonApplyTable *t, ErrorData *edata)
{
	FkParent   *p = parent_keys(t->target->mysql_table);
	ListCell   *lc;

	if (p == NULL)
		return;
	foreach(lc, p->actions)
	{
		FkAction   *k = lfirst(lc);
		ChameleonApplyTarget *child = live_target(k->child);
		StringInfoData j;

		if (child == NULL || (SourceLogsActions && in_statement(k->child)))
			continue;
		initStringInfo(&j);
		appendStringInfoString(&j, "{\"foreign_key\": ");
		escape_json(&j, k->name);
		appendStringInfoString(&j, ", \"referenced_table\": ");
		escape_json(&j, t->target->mysql_table);
		appendStringInfoChar(&j, '}');
		chameleon_apply_target_failed(child, "foreign key actions", j.data, edata);
	}
}

void
chameleon_fkeys_after_change(ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	FkRow		row;
	int			n = 0;

	row.names = palloc(sizeof(char *) * Max(t->ncols, 1));
	row.old = palloc(sizeof(char *) * Max(t->ncols, 1));
	row.new = c->kind == CHAMELEON_ROWS_UPDATE ? palloc(sizeof(char *) * Max(t->ncols, 1)) : NULL;
	for (int i = 0; i < t->ncols; i++)
	{
		if (!c->before.present[i] || t->decode->cols[i].name == NULL)
			continue;
		row.names[n] = t->decode->cols[i].name;
		row.old[n] = c->before.isnull[i] ? NULL : c->before.values[i];
		if (row.new)
		{
			/* a column missing from the after image did not change */
			const ChameleonRowImage *img = c->after.present[i] ? &c->after : &c->before;

			row.new[n] = img->isnull[i] ? NULL : img->values[i];
		}
		n++;
	}
	row.n = n;
	apply_actions(t->target->mysql_table, &row, 0);
}
