/*
 * ddl_translate.c -- parsed MySQL DDL -> PostgreSQL statements and a
 * structured summary; the catalog of the tables' MySQL shape.
 *
 * This file owns what a MySQL table change becomes in PostgreSQL:
 *   - every name quoted with quote_identifier() and schema-qualified with
 *     the schema of its MySQL database; index, primary key and enum/set
 *     CHECK names from chameleon_ddl_object_name() (MySQL index names are
 *     per table, PostgreSQL's per schema);
 *   - types through typemap.c, values through ddl_value.c;
 *   - MySQL semantics kept where PostgreSQL differs: ADD COLUMN ... NOT NULL
 *     fills existing rows with MySQL's implicit default; MODIFY/CHANGE
 *     redefine the whole column (type, nullability, default, identity);
 *     DROP COLUMN keeps multi-column keys on the remaining columns; a table
 *     rename renames its indexes; FIRST/AFTER cannot be expressed, so the
 *     PostgreSQL column order stays and the new MySQL order is returned;
 *   - foreign keys are recorded, not created; CHECK, FULLTEXT, SPATIAL and
 *     functional keys are not created; each such choice is a note.
 * The catalog (ChameleonDdlContext.tables) is the MySQL shape of the known
 * tables; it is updated statement by statement.  Without it (a table not
 * known) the statements are written so that they work whatever the
 * PostgreSQL table holds (IF EXISTS forms), and the column order is unknown.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "ddl_int.h"

/* One statement's translation in progress. */
typedef struct Tx
{
	ChameleonDdlContext *ctx;
	ChameleonDdlResult *res;
	DdlStatement *st;
} Tx;

/* A table named in the statement, resolved. */
typedef struct TableRef
{
	char	   *db;				/* MySQL database */
	char	   *name;			/* MySQL table */
	char	   *schema;			/* PostgreSQL schema */
	char	   *qname;			/* "schema"."table", quoted */
	ChameleonDdlTable *known;	/* catalog entry, NULL if unknown */
} TableRef;

/* ---------- names ---------- */

static const char *
qcol(const char *name)
{
	chameleon_ddl_check_name_length(name, "column");
	return quote_identifier(name);
}

static char *
pkey_name(const char *table)
{
	return chameleon_ddl_object_name(table, "pkey");
}

static char *
check_name(const char *table, const char *column)
{
	return chameleon_ddl_object_name(table, psprintf("%s_check", column));
}

static char *
resolve_db(Tx *tx, const DdlName *n)
{
	if (n->db != NULL)
		return n->db;
	if (tx->ctx->default_db == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("no default database for table \"%s\"", n->name),
				 errdetail("The MySQL statement names the table without a database."),
				 errhint("Pass the default database of the statement (the second argument of chameleon.translate_ddl).")));
	return tx->ctx->default_db;
}

static char *
schema_of(Tx *tx, const char *db)
{
	char	   *schema;

	if (tx->ctx->map_schema != NULL)
		schema = tx->ctx->map_schema(tx->ctx->callback_arg, db);
	else
		schema = pstrdup(db);
	chameleon_ddl_check_name_length(schema, "database");
	return schema;
}

static bool
replicated(Tx *tx, const char *db, const char *name)
{
	if (tx->ctx->is_replicated == NULL)
		return true;
	return tx->ctx->is_replicated(tx->ctx->callback_arg, db, name);
}

static char *
qualified(const char *schema, const char *name)
{
	return psprintf("%s.%s", quote_identifier(schema), quote_identifier(name));
}

/* ---------- emitting ---------- */

static void
emit(Tx *tx, const char *fmt,...) pg_attribute_printf(2, 3);

static void
emit(Tx *tx, const char *fmt,...)
{
	va_list		args;
	char	   *text;

	va_start(args, fmt);
	text = chameleon_ddl_vformat(fmt, args);
	va_end(args);
	tx->res->statements = lappend(tx->res->statements, text);
}

/* ---------- the catalog ---------- */

static void
catalog_replace(Tx *tx, TableRef *tr, const ChameleonDdlTable *t)
{
	chameleon_ddl_catalog_remove(tx->ctx, chameleon_ddl_catalog_find(tx->ctx, tr->db, tr->name, false));
	chameleon_ddl_catalog_add(tx->ctx, t);
}

/* The catalog no longer describes the table: drop it, with a note. */
static void
forget(Tx *tx, TableRef *tr, const char *why)
{
	chameleon_ddl_note(&tx->res->notes, "%s: the MySQL column order of table \"%s\" is no longer known",
			 why, tr->name);
	chameleon_ddl_catalog_remove(tx->ctx, chameleon_ddl_catalog_find(tx->ctx, tr->db, tr->name, false));
	tr->known = NULL;
}

static TableRef
table_ref(Tx *tx, const DdlName *n, bool load)
{
	TableRef	tr;
	ChameleonDdlTable *known;

	tr.db = resolve_db(tx, n);
	tr.name = n->name;
	chameleon_ddl_check_name_length(tr.name, "table");
	tr.schema = schema_of(tx, tr.db);
	tr.qname = qualified(tr.schema, tr.name);
	known = chameleon_ddl_catalog_find(tx->ctx, tr.db, tr.name, load);
	/* work on a copy; it goes back into the catalog when the statement is done */
	tr.known = known ? chameleon_ddl_copy_table(known, known->db, known->name) : NULL;
	if (known)
		tr.name = tr.known->name;	/* the catalog's spelling */
	if (known)
		tr.qname = qualified(tr.schema, tr.name);
	return tr;
}

/* The name of a column as the catalog spells it (as written if unknown). */
static const char *
column_spelling(const TableRef *tr, const char *name)
{
	ChameleonDdlColumn *c = chameleon_ddl_find_column(tr->known, name, NULL);

	return c ? c->name : name;
}

static void
add_change(Tx *tx, const char *old_db, const char *old_name,
		   const char *new_db, const char *new_name, const ChameleonDdlTable *known)
{
	ChameleonDdlTableChange *ch = palloc0(sizeof(ChameleonDdlTableChange));

	ch->old_db = old_db ? pstrdup(old_db) : NULL;
	ch->old_name = old_name ? pstrdup(old_name) : NULL;
	ch->new_db = new_db ? pstrdup(new_db) : NULL;
	ch->new_name = new_name ? pstrdup(new_name) : NULL;
	ch->columns_known = (known != NULL && new_name != NULL);
	if (ch->columns_known)
	{
		ListCell   *lc;

		foreach(lc, known->columns)
			ch->columns = lappend(ch->columns, pstrdup(((ChameleonDdlColumn *) lfirst(lc))->name));
	}
	tx->res->tables = lappend(tx->res->tables, ch);
}

/* Is the table replicated?  If not, the statement is skipped. */
static bool
require_replicated(Tx *tx, const TableRef *tr)
{
	if (replicated(tx, tr->db, tr->name))
		return true;
	tx->res->kind = CHAMELEON_DDL_SKIPPED;
	tx->res->skip_reason = psprintf("table %s.%s is not replicated", tr->db, tr->name);
	return false;
}

/* ---------- columns ---------- */

/* The statement's table decides which type_override entries apply. */
static ChameleonPgType *
map_type(Tx *tx, const ChameleonMySQLType *mt)
{
	ChameleonTypeOptions opts = tx->ctx->type_options;
	char	   *key = NULL;

	if (tx->ctx->table_key != NULL && tx->st->table.name != NULL &&
		(tx->st->table.db != NULL || tx->ctx->default_db != NULL))
		key = tx->ctx->table_key(tx->ctx->callback_arg,
								 tx->st->table.db ? tx->st->table.db : tx->ctx->default_db,
								 tx->st->table.name);
	opts.table = key ? key : tx->st->table.name;
	return mt ? chameleon_map_mysql_type(mt, &opts) : NULL;
}

static bool
is_identity_type(const ChameleonPgType *pt)
{
	return strcmp(pt->pg_type, "smallint") == 0 || strcmp(pt->pg_type, "integer") == 0 ||
		strcmp(pt->pg_type, "bigint") == 0;
}

/* Notes for what a column definition has that PostgreSQL does not get. */
static void
column_notes(Tx *tx, const DdlColumnDef *col, const ChameleonPgType *pt)
{
	List	  **notes = &tx->res->notes;

	if (col->auto_increment && !is_identity_type(pt))
		chameleon_ddl_note(notes, "AUTO_INCREMENT of column \"%s\" gives no identity: %s cannot be one (values come from the binlog)",
				 col->name, pt->pg_type);
	if (col->on_update)
		chameleon_ddl_note(notes, "ON UPDATE CURRENT_TIMESTAMP of column \"%s\" is recorded: updated values come from the binlog, and detach_replica makes it a trigger",
				 col->name);
	if (col->generated)
		chameleon_ddl_note(notes, "generated column \"%s\" AS (%s) is a plain column: its values come from the binlog",
				 col->name, col->generated_expr);
	if (col->has_check)
		chameleon_ddl_note(notes, "CHECK constraint of column \"%s\" is not created", col->name);
	if (col->has_references)
		chameleon_ddl_note(notes, "REFERENCES of column \"%s\" is ignored, as MySQL ignores it", col->name);
}

/* NOT NULL as declared, unless zero dates become NULL in this column. */
static bool
declared_not_null(const Tx *tx, const DdlColumnDef *col, const ChameleonPgType *pt)
{
	return col->not_null &&
		!(tx->ctx->zero_dates_to_null && chameleon_type_takes_zero_dates(pt));
}

typedef struct ColumnSql
{
	char	   *definition;		/* name type [identity] [NOT NULL] [DEFAULT] [CHECK] */
	bool		drop_default_after; /* an implicit default was put in for existing rows */
} ColumnSql;

/*
 * The PostgreSQL column definition.  adding: ALTER TABLE ADD on a table
 * that may have rows, where MySQL fills a NOT NULL column without a default
 * with its implicit default.
 */
static ColumnSql
column_sql(Tx *tx, const char *table, const DdlColumnDef *col, bool adding)
{
	ColumnSql	cs = {0};
	ChameleonPgType *pt = map_type(tx, col->type);
	StringInfoData buf;
	const char *q = qcol(col->name);
	bool		identity = col->auto_increment && is_identity_type(pt);
	char	   *dflt = identity ? NULL :
		chameleon_ddl_default_sql(col->default_value, col->type, pt, col->name, &tx->res->notes);
	/* a primary key column is NOT NULL in MySQL even when not written so */
	bool		not_null = declared_not_null(tx, col, pt) || (adding && col->primary_key);
	char	   *check = chameleon_type_check_sql(pt, q);

	column_notes(tx, col, pt);
	if (adding && col->auto_increment && !identity)
		chameleon_ddl_note(&tx->res->notes, "existing rows cannot get the AUTO_INCREMENT values MySQL gives them: copy the table again");
	else if (adding && not_null && dflt == NULL && !identity)
	{
		dflt = col->generated ? NULL : chameleon_ddl_implicit_default_sql(col->type, pt);
		if (dflt != NULL)
			cs.drop_default_after = true;
		else
		{
			not_null = false;
			chameleon_ddl_note(&tx->res->notes, "NOT NULL of new column \"%s\" is not set: existing rows get %s in MySQL, NULL here",
					 col->name, col->generated ? "computed values" : "a zero value");
		}
	}
	if (adding && identity)
		chameleon_ddl_note(&tx->res->notes, "existing rows get identity values for \"%s\" in PostgreSQL's order, which may differ from MySQL's",
				 col->name);

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s %s", q, pt->pg_type);
	if (identity)
		appendStringInfoString(&buf, " GENERATED BY DEFAULT AS IDENTITY");
	if (not_null)
		appendStringInfoString(&buf, " NOT NULL");
	if (dflt != NULL)
		appendStringInfo(&buf, " DEFAULT %s", dflt);
	if (check != NULL)
		appendStringInfo(&buf, " CONSTRAINT %s CHECK (%s)",
						 quote_identifier(check_name(table, col->name)), check);
	cs.definition = buf.data;
	return cs;
}

static void
comment_on_column(Tx *tx, const TableRef *tr, const char *column, const char *comment)
{
	if (comment != NULL)
		emit(tx, "COMMENT ON COLUMN %s.%s IS %s", tr->qname, qcol(column),
			 quote_literal_cstr(comment));
}

/* Insert c into t's columns at the position of col (FIRST/AFTER/end). */
static bool
place_column(ChameleonDdlTable *t, ChameleonDdlColumn *c, const DdlColumnDef *col, int old_pos)
{
	int			at = old_pos >= 0 ? old_pos : list_length(t->columns);

	if (col->position == POS_FIRST)
		at = 0;
	else if (col->position == POS_AFTER)
	{
		int			after;

		if (chameleon_ddl_find_column(t, col->after, &after) == NULL)
			return false;
		at = after + 1;
	}
	t->columns = list_insert_nth(t->columns, at, c);
	return true;
}

/* ---------- keys ---------- */

/* MySQL's name for a key without one: its first column, then _2, _3, ... */
static char *
unnamed_key_name(const ChameleonDdlTable *t, const char *first_column)
{
	char	   *name = pstrdup(first_column);

	for (int n = 2; chameleon_ddl_find_index(t, name) != NULL || pg_strcasecmp(name, "PRIMARY") == 0; n++)
		name = psprintf("%s_%d", first_column, n);
	return name;
}

/*
 * The key parts "a, b DESC" of an index, from the catalog's description.
 * A prefix part (col(n)) indexes the whole column, except for unbounded
 * text/bytea columns (a long value would not fit in a btree entry): there
 * left(col, n) / substring(col FROM 1 FOR n), which is exactly MySQL's key.
 */
static char *
key_parts_sql(Tx *tx, const ChameleonDdlTable *t, const ChameleonDdlIndex *idx)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, idx->columns)
	{
		int			i = foreach_current_index(lc);
		const char *name = lfirst(lc);
		int			prefix = list_nth_int(idx->prefix_lengths, i);
		ChameleonDdlColumn *c = chameleon_ddl_find_column(t, name, NULL);
		ChameleonPgType *pt = c ? map_type(tx, c->type) : NULL;
		const char *q = qcol(c ? c->name : name);

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		if (prefix > 0 && !idx->primary && pt != NULL && strcmp(pt->pg_type, "text") == 0)
			appendStringInfo(&buf, "left(%s, %d)", q, prefix);
		else if (prefix > 0 && !idx->primary && pt != NULL && strcmp(pt->pg_type, "bytea") == 0)
			appendStringInfo(&buf, "substring(%s FROM 1 FOR %d)", q, prefix);
		else
		{
			appendStringInfoString(&buf, q);
			if (prefix > 0)
				chameleon_ddl_note(&tx->res->notes, "prefix key part %s(%d) of index \"%s\" indexes the whole column",
						 name, prefix, idx->mysql_name);
		}
		if (list_nth_int(idx->descending, i))
			appendStringInfoString(&buf, " DESC");
	}
	return buf.data;
}

/* The CREATE INDEX / ADD CONSTRAINT statement of a catalog index. */
static void
create_index_sql(Tx *tx, const TableRef *tr, const ChameleonDdlTable *t,
				 const ChameleonDdlIndex *idx, bool if_not_exists)
{
	char	   *parts = key_parts_sql(tx, t, idx);

	if (idx->primary)
		emit(tx, "ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY (%s)", tr->qname,
			 quote_identifier(idx->pg_name), parts);
	else
		emit(tx, "CREATE %sINDEX %s%s ON %s (%s)", idx->unique ? "UNIQUE " : "",
			 if_not_exists ? "IF NOT EXISTS " : "", quote_identifier(idx->pg_name),
			 tr->qname, parts);
}

/*
 * A key of a statement as a catalog index; pg_name NULL when PostgreSQL
 * gets no index (FULLTEXT, SPATIAL, expression parts), with a note.
 */
static ChameleonDdlIndex *
index_from_def(Tx *tx, const TableRef *tr, const ChameleonDdlTable *t, const DdlIndexDef *def)
{
	ChameleonDdlIndex *idx = palloc0(sizeof(ChameleonDdlIndex));
	ListCell   *lc;
	bool		has_expression = false;

	idx->primary = (def->kind == IDX_PRIMARY);
	idx->unique = (def->kind == IDX_PRIMARY || def->kind == IDX_UNIQUE);
	foreach(lc, def->parts)
	{
		DdlIndexPart *part = lfirst(lc);

		if (part->column == NULL)
		{
			has_expression = true;
			continue;
		}
		idx->columns = lappend(idx->columns, pstrdup(column_spelling(tr, part->column)));
		if (t != tr->known)
		{
			ChameleonDdlColumn *c = chameleon_ddl_find_column(t, part->column, NULL);

			if (c != NULL)
				llast(idx->columns) = c->name;
		}
		idx->prefix_lengths = lappend_int(idx->prefix_lengths, part->prefix);
		idx->descending = lappend_int(idx->descending, part->descending ? 1 : 0);
	}
	if (idx->primary)
		idx->mysql_name = "PRIMARY";
	else if (def->name != NULL)
		idx->mysql_name = def->name;
	else if (def->constraint_name != NULL)
		idx->mysql_name = def->constraint_name;
	else
		idx->mysql_name = unnamed_key_name(t, idx->columns ? linitial(idx->columns) : "expr");

	if (def->kind == IDX_FULLTEXT || def->kind == IDX_SPATIAL || def->kind == IDX_VECTOR)
		chameleon_ddl_note(&tx->res->notes, "%s index \"%s\" is not created",
				 def->kind == IDX_FULLTEXT ? "FULLTEXT" :
				 def->kind == IDX_SPATIAL ? "SPATIAL" : "VECTOR", idx->mysql_name);
	else if (has_expression)
		chameleon_ddl_note(&tx->res->notes, "index \"%s\" has an expression key part: it is not created",
				 idx->mysql_name);
	else
		idx->pg_name = idx->primary ? pkey_name(tr->name)
			: chameleon_ddl_object_name(tr->name, idx->mysql_name);
	return idx;
}

/*
 * A new key on the table.  t is the working shape (the statement's new
 * table for CREATE TABLE, tr->known or NULL for ALTER); the key is recorded
 * in it.  pk_clause: for CREATE TABLE, where the primary key goes.
 */
static void
add_index(Tx *tx, const TableRef *tr, ChameleonDdlTable *t, const DdlIndexDef *def,
		  StringInfo pk_clause, bool if_not_exists)
{
	ChameleonDdlTable empty = {0};
	ChameleonDdlIndex *idx = index_from_def(tx, tr, t ? t : &empty, def);
	ChameleonDdlIndex *existing = chameleon_ddl_find_index(t, idx->mysql_name);

	if (idx->primary && existing != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				 errmsg("multiple primary keys for MySQL table \"%s\"", tr->name)));
	if (idx->pg_name != NULL)
	{
		if (idx->primary && pk_clause != NULL)
			appendStringInfo(pk_clause, ", CONSTRAINT %s PRIMARY KEY (%s)",
							 quote_identifier(idx->pg_name), key_parts_sql(tx, t ? t : &empty, idx));
		else
			create_index_sql(tx, tr, t ? t : &empty, idx, if_not_exists || def->if_not_exists);
		if (def->comment != NULL && !idx->primary)
			emit(tx, "COMMENT ON INDEX %s IS %s", qualified(tr->schema, idx->pg_name),
				 quote_literal_cstr(def->comment));
	}
	if (t != NULL)
	{
		if (existing != NULL)
			t->indexes = list_delete_ptr(t->indexes, existing);
		t->indexes = lappend(t->indexes, idx);
	}
}

static void
record_foreign_key(Tx *tx, const TableRef *tr, const DdlForeignKeyDef *def)
{
	ChameleonDdlForeignKey *fk = palloc0(sizeof(ChameleonDdlForeignKey));
	ListCell   *lc;

	fk->db = tr->db;
	fk->table = tr->name;
	fk->name = def->name;
	foreach(lc, def->columns)
		fk->columns = lappend(fk->columns, pstrdup(column_spelling(tr, lfirst(lc))));
	fk->ref_db = resolve_db(tx, &def->ref);
	fk->ref_table = def->ref.name;
	fk->ref_columns = def->ref_columns;
	fk->on_delete = def->on_delete;
	fk->on_update = def->on_update;
	tx->res->foreign_keys = lappend(tx->res->foreign_keys, fk);
	chameleon_ddl_note(&tx->res->notes, "foreign key %sis recorded, not created: foreign keys are made at detach",
			 def->name ? psprintf("\"%s\" ", def->name) : "");
}

/* Does an index of t start with these columns, in this order, whole? */
static bool
has_index_for(const ChameleonDdlTable *t, List *columns)
{
	ListCell   *li;

	foreach(li, t->indexes)
	{
		ChameleonDdlIndex *idx = lfirst(li);
		bool		match = idx->pg_name != NULL &&
			list_length(idx->columns) >= list_length(columns);

		for (int i = 0; match && i < list_length(columns); i++)
			match = pg_strcasecmp(list_nth(idx->columns, i), list_nth(columns, i)) == 0 &&
				(idx->prefix_lengths == NIL || list_nth_int(idx->prefix_lengths, i) == 0);
		if (match)
			return true;
	}
	return false;
}

/*
 * InnoDB needs an index that starts with a foreign key's columns and makes
 * one when the table has none, named as MariaDB names it: after the
 * constraint, else after the first column (pid, pid_2, ...).  PostgreSQL
 * gets it too: the worker's ON DELETE / ON UPDATE actions search by it.
 */
static void
add_foreign_key_index(Tx *tx, const TableRef *tr, ChameleonDdlTable *t,
					  const DdlForeignKeyDef *fk, bool named)
{
	DdlIndexDef *def;
	char	   *name;
	ListCell   *lc;

	if (t == NULL || fk->columns == NIL || has_index_for(t, fk->columns))
		return;
	name = named ? fk->name : (char *) linitial(fk->columns);
	for (int n = 2; chameleon_ddl_find_index(t, name) != NULL; n++)
		name = psprintf("%s_%d", named ? fk->name : (char *) linitial(fk->columns), n);
	def = palloc0(sizeof(DdlIndexDef));
	def->kind = IDX_PLAIN;
	def->name = name;
	foreach(lc, fk->columns)
	{
		DdlIndexPart *part = palloc0(sizeof(DdlIndexPart));

		part->column = lfirst(lc);
		def->parts = lappend(def->parts, part);
	}
	add_index(tx, tr, t, def, NULL, false);
}

static void
record_dropped_foreign_key(Tx *tx, const TableRef *tr, const char *name)
{
	ChameleonDdlForeignKey *fk = palloc0(sizeof(ChameleonDdlForeignKey));

	fk->db = tr->db;
	fk->table = tr->name;
	fk->name = pstrdup(name);
	tx->res->dropped_foreign_keys = lappend(tx->res->dropped_foreign_keys, fk);
}

static void
record_column_rename(Tx *tx, const TableRef *tr, const char *from, const char *to)
{
	ChameleonDdlColumnRename *r = palloc0(sizeof(ChameleonDdlColumnRename));

	r->db = tr->db;
	r->table = tr->name;
	r->old_name = pstrdup(from);
	r->new_name = pstrdup(to);
	tx->res->renamed_columns = lappend(tx->res->renamed_columns, r);
}

/* ---------- CREATE TABLE ---------- */

/* The new table's shape from its column definitions. */
static ChameleonDdlTable *
shape_of_create(const TableRef *tr, const DdlStatement *st)
{
	ChameleonDdlTable *t = palloc0(sizeof(ChameleonDdlTable));
	ListCell   *lc;

	t->db = tr->db;
	t->name = tr->name;
	foreach(lc, st->columns)
	{
		DdlColumnDef *col = lfirst(lc);

		if (chameleon_ddl_find_column(t, col->name, NULL) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("column \"%s\" specified more than once in MySQL table \"%s\"",
							col->name, tr->name)));
		t->columns = lappend(t->columns, chameleon_ddl_new_column(col->name, col->type, col->auto_increment, col->on_update));
	}
	return t;
}

/* A one-column key from a column definition (PRIMARY KEY or UNIQUE inline). */
static DdlIndexDef *
inline_key(const DdlColumnDef *col, DdlIndexKind kind)
{
	DdlIndexDef *def = palloc0(sizeof(DdlIndexDef));
	DdlIndexPart *part = palloc0(sizeof(DdlIndexPart));

	def->kind = kind;
	part->column = col->name;
	def->parts = list_make1(part);
	return def;
}

/* The keys written in column definitions: primary key first, then unique ones. */
static List *
inline_keys(const DdlStatement *st)
{
	List	   *keys = NIL;
	ListCell   *lc;

	foreach(lc, st->columns)
	{
		DdlColumnDef *col = lfirst(lc);

		if (col->primary_key)
			keys = lappend(keys, inline_key(col, IDX_PRIMARY));
	}
	foreach(lc, st->columns)
	{
		DdlColumnDef *col = lfirst(lc);

		if (col->unique_key)
			keys = lappend(keys, inline_key(col, IDX_UNIQUE));
	}
	return keys;
}

static void
translate_create_table(Tx *tx, DdlStatement *st)
{
	TableRef	tr = table_ref(tx, &st->table, false);
	ChameleonDdlTable *t;
	StringInfoData body;
	List	   *saved;
	ListCell   *lc;
	bool		if_not_exists = st->if_not_exists;
	int			unnamed_fks = 0;

	tx->res->kind = CHAMELEON_DDL_CREATE;
	if (!require_replicated(tx, &tr))
		return;
	if (st->or_replace)
	{
		emit(tx, "DROP TABLE IF EXISTS %s", tr.qname);
		chameleon_ddl_catalog_remove(tx->ctx, chameleon_ddl_catalog_find(tx->ctx, tr.db, tr.name, false));
		tr.known = NULL;
	}
	else if (if_not_exists && tr.known != NULL)
	{
		chameleon_ddl_note(&tx->res->notes, "table \"%s\" exists already: nothing to do", tr.name);
		return;
	}
	tr.name = st->table.name;
	tr.qname = qualified(tr.schema, tr.name);
	t = shape_of_create(&tr, st);

	initStringInfo(&body);
	foreach(lc, st->columns)
	{
		ColumnSql	cs = column_sql(tx, tr.name, lfirst(lc), false);

		appendStringInfo(&body, "%s%s", foreach_current_index(lc) ? ", " : "", cs.definition);
	}
	/* the CREATE TABLE comes first: index statements are emitted into a side list */
	saved = tx->res->statements;
	tx->res->statements = NIL;
	foreach(lc, list_concat(inline_keys(st), st->indexes))
		add_index(tx, &tr, t, lfirst(lc), &body, if_not_exists);
	foreach(lc, st->foreign_keys)
	{
		DdlForeignKeyDef *fk = lfirst(lc);

		add_foreign_key_index(tx, &tr, t, fk, fk->name != NULL);
	}
	{
		List	   *index_statements = tx->res->statements;

		tx->res->statements = saved;
		emit(tx, "CREATE TABLE %s%s (%s)", if_not_exists ? "IF NOT EXISTS " : "", tr.qname, body.data);
		tx->res->statements = list_concat(tx->res->statements, index_statements);
	}
	if (st->table_comment != NULL)
		emit(tx, "COMMENT ON TABLE %s IS %s", tr.qname, quote_literal_cstr(st->table_comment));
	foreach(lc, st->columns)
	{
		DdlColumnDef *col = lfirst(lc);

		comment_on_column(tx, &tr, col->name, col->comment);
	}
	foreach(lc, st->foreign_keys)
	{
		DdlForeignKeyDef *fk = lfirst(lc);

		/* MySQL names them <table>_ibfk_<n> */
		if (fk->name == NULL)
			fk->name = psprintf("%s_ibfk_%d", tr.name, ++unnamed_fks);
		record_foreign_key(tx, &tr, fk);
	}
	catalog_replace(tx, &tr, t);
	add_change(tx, NULL, NULL, tr.db, tr.name, t);
}

/* CREATE TABLE new LIKE src */
static void
translate_create_like(Tx *tx, DdlStatement *st)
{
	TableRef	tr = table_ref(tx, &st->table, false);
	TableRef	src = table_ref(tx, &st->like, true);
	const char *ine = st->if_not_exists ? "IF NOT EXISTS " : "";
	ChameleonDdlTable *t;
	ListCell   *lc;

	tx->res->kind = CHAMELEON_DDL_CREATE;
	if (!require_replicated(tx, &tr))
		return;
	if (st->if_not_exists && tr.known != NULL)
	{
		chameleon_ddl_note(&tx->res->notes, "table \"%s\" exists already: nothing to do", tr.name);
		return;
	}
	tr.name = st->table.name;
	tr.qname = qualified(tr.schema, tr.name);
	if (src.known == NULL)
	{
		emit(tx, "CREATE TABLE %s%s (LIKE %s INCLUDING ALL)", ine, tr.qname, src.qname);
		chameleon_ddl_note(&tx->res->notes, "table \"%s\" is not known here: PostgreSQL names the copied indexes and constraints",
				 src.name);
		chameleon_ddl_catalog_remove(tx->ctx, chameleon_ddl_catalog_find(tx->ctx, tr.db, tr.name, false));
		add_change(tx, NULL, NULL, tr.db, tr.name, NULL);
		return;
	}
	emit(tx, "CREATE TABLE %s%s (LIKE %s INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING COMMENTS)",
		 ine, tr.qname, src.qname);
	t = chameleon_ddl_copy_table(src.known, tr.db, tr.name);
	foreach(lc, t->columns)
	{
		ChameleonDdlColumn *c = lfirst(lc);
		char	   *check = c->type ? chameleon_type_check_sql(map_type(tx, c->type), qcol(c->name)) : NULL;

		if (check != NULL)
			emit(tx, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s)", tr.qname,
				 quote_identifier(check_name(tr.name, c->name)), check);
	}
	foreach(lc, t->indexes)
	{
		ChameleonDdlIndex *idx = lfirst(lc);

		if (idx->pg_name == NULL)
			continue;
		idx->pg_name = idx->primary ? pkey_name(tr.name)
			: chameleon_ddl_object_name(tr.name, idx->mysql_name);
		create_index_sql(tx, &tr, t, idx, st->if_not_exists);
	}
	catalog_replace(tx, &tr, t);
	add_change(tx, NULL, NULL, tr.db, tr.name, t);
}

/* ---------- DROP / TRUNCATE ---------- */

static void
translate_drop_table(Tx *tx, DdlStatement *st)
{
	ListCell   *lc;
	int			dropped = 0;

	tx->res->kind = CHAMELEON_DDL_DROP;
	foreach(lc, st->tables)
	{
		TableRef	tr = table_ref(tx, lfirst(lc), false);

		if (!replicated(tx, tr.db, tr.name))
		{
			chameleon_ddl_note(&tx->res->notes, "table %s.%s is not replicated: not dropped", tr.db, tr.name);
			continue;
		}
		emit(tx, "DROP TABLE %s%s", st->if_exists ? "IF EXISTS " : "", tr.qname);
		chameleon_ddl_catalog_remove(tx->ctx, chameleon_ddl_catalog_find(tx->ctx, tr.db, tr.name, false));
		add_change(tx, tr.db, tr.name, NULL, NULL, NULL);
		dropped++;
	}
	if (dropped == 0)
	{
		tx->res->kind = CHAMELEON_DDL_SKIPPED;
		tx->res->skip_reason = pstrdup("no dropped table is replicated");
	}
}

static void
translate_truncate(Tx *tx, DdlStatement *st)
{
	TableRef	tr = table_ref(tx, &st->table, true);

	tx->res->kind = CHAMELEON_DDL_TRUNCATE;
	if (!require_replicated(tx, &tr))
		return;
	emit(tx, "TRUNCATE TABLE %s", tr.qname);
	add_change(tx, tr.db, tr.name, tr.db, tr.name, tr.known);
}

/* ---------- renames ---------- */

/* Rename the indexes and enum/set checks of a renamed table (known shape). */
static void
rename_table_objects(Tx *tx, const TableRef *to, const char *old_name)
{
	ListCell   *lc;

	if (to->known == NULL)
	{
		emit(tx, "ALTER INDEX IF EXISTS %s RENAME TO %s",
			 qualified(to->schema, pkey_name(old_name)), quote_identifier(pkey_name(to->name)));
		chameleon_ddl_note(&tx->res->notes, "the table is not known here: only its primary key index is renamed to the new table name");
		return;
	}
	foreach(lc, to->known->indexes)
	{
		ChameleonDdlIndex *idx = lfirst(lc);
		char	   *new_pg;

		if (idx->pg_name == NULL)
			continue;
		new_pg = idx->primary ? pkey_name(to->name)
			: chameleon_ddl_object_name(to->name, idx->mysql_name);
		if (strcmp(new_pg, idx->pg_name) != 0)
			emit(tx, "ALTER INDEX %s RENAME TO %s", qualified(to->schema, idx->pg_name),
				 quote_identifier(new_pg));
		idx->pg_name = new_pg;
	}
	foreach(lc, to->known->columns)
	{
		ChameleonDdlColumn *c = lfirst(lc);
		ChameleonPgType *pt = map_type(tx, c->type);
		char	   *old_check = check_name(old_name, c->name);
		char	   *new_check = check_name(to->name, c->name);

		if (pt != NULL && pt->check_expr != NULL && strcmp(old_check, new_check) != 0)
			emit(tx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", to->qname,
				 quote_identifier(old_check), quote_identifier(new_check));
	}
}

/* Rename table *tr to new_name; *tr becomes the new table. */
static void
rename_table(Tx *tx, TableRef *tr, const DdlName *new_name)
{
	TableRef	to = *tr;
	bool		from_replicated = replicated(tx, tr->db, tr->name);
	bool		to_replicated;

	to.db = new_name->db ? new_name->db : tr->db;
	to.name = new_name->name;
	chameleon_ddl_check_name_length(to.name, "table");
	to.schema = schema_of(tx, to.db);
	to.qname = qualified(to.schema, to.name);
	to_replicated = replicated(tx, to.db, to.name);

	if (from_replicated && to_replicated)
	{
		if (strcmp(tr->name, to.name) != 0)
			emit(tx, "ALTER TABLE %s RENAME TO %s", tr->qname, quote_identifier(to.name));
		if (strcmp(tr->schema, to.schema) != 0)
			emit(tx, "ALTER TABLE %s SET SCHEMA %s", qualified(tr->schema, to.name),
				 quote_identifier(to.schema));
		if (strcmp(tr->name, to.name) != 0)
			rename_table_objects(tx, &to, tr->name);
	}
	else if (from_replicated)
		chameleon_ddl_note(&tx->res->notes, "table %s.%s leaves the replica (renamed to %s.%s): the PostgreSQL table is left as it is",
				 tr->db, tr->name, to.db, to.name);
	else if (to_replicated)
		chameleon_ddl_note(&tx->res->notes, "table %s.%s enters the replica (renamed from %s.%s): its rows must be copied",
				 to.db, to.name, tr->db, tr->name);

	chameleon_ddl_catalog_remove(tx->ctx, chameleon_ddl_catalog_find(tx->ctx, tr->db, tr->name, false));
	chameleon_ddl_catalog_remove(tx->ctx, chameleon_ddl_catalog_find(tx->ctx, to.db, to.name, false));
	if (to.known != NULL && to_replicated)
	{
		to.known->db = to.db;
		to.known->name = to.name;
		chameleon_ddl_catalog_add(tx->ctx, to.known);
	}
	else
		to.known = NULL;
	*tr = to;
}

static void
translate_rename_table(Tx *tx, DdlStatement *st)
{
	ListCell   *lc;
	bool		any = false;

	tx->res->kind = CHAMELEON_DDL_RENAME;
	foreach(lc, st->renames)
	{
		DdlRenamePair *pair = lfirst(lc);
		TableRef	tr = table_ref(tx, &pair->from, true);
		char	   *old_db = tr.db;
		char	   *old_name = tr.name;

		if (pair->to.db == NULL)
			pair->to.db = resolve_db(tx, &pair->to);
		if (!replicated(tx, tr.db, tr.name) &&
			!replicated(tx, pair->to.db, pair->to.name))
			continue;
		rename_table(tx, &tr, &pair->to);
		add_change(tx, old_db, old_name, tr.db, tr.name, tr.known);
		any = true;
	}
	if (!any)
	{
		tx->res->kind = CHAMELEON_DDL_SKIPPED;
		tx->res->skip_reason = pstrdup("no renamed table is replicated");
	}
}

/* ---------- ALTER TABLE ---------- */

static void
add_column(Tx *tx, TableRef *tr, const DdlAlterCmd *cmd)
{
	DdlColumnDef *col = cmd->column;
	ColumnSql	cs;

	if (tr->known != NULL && chameleon_ddl_find_column(tr->known, col->name, NULL) != NULL)
	{
		if (cmd->if_exists)
		{
			chameleon_ddl_note(&tx->res->notes, "column \"%s\" exists already: not added", col->name);
			return;
		}
		forget(tx, tr, psprintf("column \"%s\" is already known", col->name));
	}
	cs = column_sql(tx, tr->name, col, true);
	emit(tx, "ALTER TABLE %s ADD COLUMN %s%s", tr->qname, cmd->if_exists ? "IF NOT EXISTS " : "",
		 cs.definition);
	if (cs.drop_default_after)
		emit(tx, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", tr->qname, qcol(col->name));
	comment_on_column(tx, tr, col->name, col->comment);
	if (tr->known != NULL &&
		!place_column(tr->known, chameleon_ddl_new_column(col->name, col->type, col->auto_increment, col->on_update), col, -1))
		forget(tx, tr, psprintf("column \"%s\" of AFTER is not known", col->after));
	if (col->primary_key)
		add_index(tx, tr, tr->known, inline_key(col, IDX_PRIMARY), NULL, false);
	if (col->unique_key)
		add_index(tx, tr, tr->known, inline_key(col, IDX_UNIQUE), NULL, false);
}

/* MySQL keeps a key without the dropped column; PostgreSQL drops it: make it again. */
static void
rebuild_keys_without(Tx *tx, TableRef *tr, const char *column)
{
	ListCell   *lc;

	foreach(lc, tr->known->indexes)
	{
		ChameleonDdlIndex *idx = lfirst(lc);
		int			at = -1;
		ListCell   *cc;

		foreach(cc, idx->columns)
		{
			if (pg_strcasecmp(lfirst(cc), column) == 0)
				at = foreach_current_index(cc);
		}
		if (at < 0)
			continue;
		idx->columns = list_delete_nth_cell(idx->columns, at);
		idx->prefix_lengths = list_delete_nth_cell(idx->prefix_lengths, at);
		idx->descending = list_delete_nth_cell(idx->descending, at);
		if (idx->columns == NIL)
			tr->known->indexes = foreach_delete_current(tr->known->indexes, lc);
		else if (idx->pg_name != NULL)
			create_index_sql(tx, tr, tr->known, idx, false);
	}
}

static void
drop_column(Tx *tx, TableRef *tr, const DdlAlterCmd *cmd)
{
	int			pos;
	ChameleonDdlColumn *c = chameleon_ddl_find_column(tr->known, cmd->name, &pos);

	emit(tx, "ALTER TABLE %s DROP COLUMN %s%s", tr->qname, cmd->if_exists ? "IF EXISTS " : "",
		 qcol(c ? c->name : cmd->name));
	if (tr->known == NULL)
	{
		const char *why = "the table is not known here: a key with a dropped column and others is dropped by PostgreSQL, MySQL keeps it on the others";

		ListCell   *lc;

		foreach(lc, tx->res->notes)
		{
			if (strcmp(lfirst(lc), why) == 0)
				return;
		}
		chameleon_ddl_note(&tx->res->notes, "%s", why);
		return;
	}
	if (c == NULL)
	{
		if (!cmd->if_exists)
			forget(tx, tr, psprintf("column \"%s\" is not known", cmd->name));
		return;
	}
	tr->known->columns = list_delete_nth_cell(tr->known->columns, pos);
	rebuild_keys_without(tx, tr, c->name);
}

/* Is column part of the primary key of t (known shape)? */
static bool
in_primary_key(const ChameleonDdlTable *t, const char *column)
{
	ChameleonDdlIndex *pk = chameleon_ddl_find_index(t, "PRIMARY");
	ListCell   *lc;

	if (pk == NULL)
		return false;
	foreach(lc, pk->columns)
	{
		if (pg_strcasecmp(lfirst(lc), column) == 0)
			return true;
	}
	return false;
}

/*
 * MODIFY and CHANGE: the column is redefined as a whole (type, NULL, default,
 * identity, enum/set check, comment), as MySQL does.
 */
static void
redefine_column(Tx *tx, TableRef *tr, const DdlAlterCmd *cmd, const char *old_name)
{
	DdlColumnDef *col = cmd->column;
	int			pos = -1;
	ChameleonDdlColumn *old = chameleon_ddl_find_column(tr->known, old_name, &pos);
	ChameleonPgType *old_pt = old ? map_type(tx, old->type) : NULL;
	ChameleonPgType *pt = map_type(tx, col->type);
	const char *from = old ? old->name : old_name;
	const char *q = qcol(col->name);
	bool		identity = col->auto_increment && is_identity_type(pt);
	char	   *dflt = identity ? NULL :
		chameleon_ddl_default_sql(col->default_value, col->type, pt, col->name, &tx->res->notes);
	char	   *check = chameleon_type_check_sql(pt, q);
	StringInfoData buf;

	/*
	 * MySQL keeps primary key columns NOT NULL whatever the definition says
	 * (and PostgreSQL refuses DROP NOT NULL on them); an AUTO_INCREMENT
	 * column of a table not known here is taken to be one.
	 */
	bool		not_null = declared_not_null(tx, col, pt) || col->primary_key ||
		(old != NULL && in_primary_key(tr->known, old->name)) ||
		(tr->known == NULL && col->auto_increment);

	if (tr->known != NULL && old == NULL)
	{
		if (cmd->if_exists)
		{
			chameleon_ddl_note(&tx->res->notes, "column \"%s\" does not exist: nothing to do", old_name);
			return;
		}
		forget(tx, tr, psprintf("column \"%s\" is not known", old_name));
	}
	column_notes(tx, col, pt);
	if (strcmp(from, col->name) != 0)
	{
		emit(tx, "ALTER TABLE %s RENAME COLUMN %s TO %s", tr->qname, qcol(from), q);
		record_column_rename(tx, tr, from, col->name);
	}
	if (old == NULL || old->auto_increment)
		emit(tx, "ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY IF EXISTS", tr->qname, q);

	initStringInfo(&buf);
	appendStringInfo(&buf, "ALTER TABLE %s ", tr->qname);
	if (old == NULL || (old_pt != NULL && old_pt->check_expr != NULL))
		appendStringInfo(&buf, "DROP CONSTRAINT %s%s, ", old ? "" : "IF EXISTS ",
						 quote_identifier(check_name(tr->name, from)));
	appendStringInfo(&buf, "ALTER COLUMN %s DROP DEFAULT", q);
	if (old_pt == NULL || strcmp(old_pt->pg_type, pt->pg_type) != 0)
		appendStringInfo(&buf, ", ALTER COLUMN %s TYPE %s USING %s", q, pt->pg_type,
						 chameleon_ddl_using_sql(q, old ? old->type : NULL, old_pt,
												 col->type, pt));
	appendStringInfo(&buf, ", ALTER COLUMN %s %s NOT NULL", q, not_null ? "SET" : "DROP");
	if (dflt != NULL)
		appendStringInfo(&buf, ", ALTER COLUMN %s SET DEFAULT %s", q, dflt);
	if (identity)
		appendStringInfo(&buf, ", ALTER COLUMN %s ADD GENERATED BY DEFAULT AS IDENTITY", q);
	if (check != NULL)
		appendStringInfo(&buf, ", ADD CONSTRAINT %s CHECK (%s)",
						 quote_identifier(check_name(tr->name, col->name)), check);
	tx->res->statements = lappend(tx->res->statements, buf.data);
	comment_on_column(tx, tr, col->name, col->comment);

	if (tr->known != NULL)
	{
		ListCell   *lc;

		tr->known->columns = list_delete_nth_cell(tr->known->columns, pos);
		if (!place_column(tr->known, chameleon_ddl_new_column(col->name, col->type, col->auto_increment, col->on_update), col, pos))
			forget(tx, tr, psprintf("column \"%s\" of AFTER is not known", col->after));
		else
		{
			foreach(lc, tr->known->indexes)
			{
				ChameleonDdlIndex *idx = lfirst(lc);
				ListCell   *cc;

				foreach(cc, idx->columns)
				{
					if (pg_strcasecmp(lfirst(cc), from) == 0)
						lfirst(cc) = pstrdup(col->name);
				}
			}
		}
	}
	if (col->primary_key)
		add_index(tx, tr, tr->known, inline_key(col, IDX_PRIMARY), NULL, false);
	if (col->unique_key)
		add_index(tx, tr, tr->known, inline_key(col, IDX_UNIQUE), NULL, false);
}

static void
rename_column(Tx *tx, TableRef *tr, const DdlAlterCmd *cmd)
{
	ChameleonDdlColumn *c = chameleon_ddl_find_column(tr->known, cmd->name, NULL);
	const char *from = c ? c->name : cmd->name;
	ListCell   *lc;

	if (tr->known != NULL && c == NULL)
		forget(tx, tr, psprintf("column \"%s\" is not known", cmd->name));
	emit(tx, "ALTER TABLE %s RENAME COLUMN %s TO %s", tr->qname, qcol(from), qcol(cmd->new_name));
	record_column_rename(tx, tr, from, cmd->new_name);
	if (c == NULL)
		return;
	if (c->type != NULL && map_type(tx, c->type)->check_expr != NULL)
		emit(tx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", tr->qname,
			 quote_identifier(check_name(tr->name, from)),
			 quote_identifier(check_name(tr->name, cmd->new_name)));
	foreach(lc, tr->known->indexes)
	{
		ChameleonDdlIndex *idx = lfirst(lc);
		ListCell   *cc;

		foreach(cc, idx->columns)
		{
			if (pg_strcasecmp(lfirst(cc), from) == 0)
				lfirst(cc) = pstrdup(cmd->new_name);
		}
	}
	c->name = pstrdup(cmd->new_name);
}

static void
set_default(Tx *tx, TableRef *tr, const DdlAlterCmd *cmd)
{
	ChameleonDdlColumn *c = chameleon_ddl_find_column(tr->known, cmd->name, NULL);
	const char *name = c ? c->name : cmd->name;
	ChameleonPgType *pt = c ? map_type(tx, c->type) : NULL;
	char	   *dflt = NULL;

	if (cmd->kind == AT_SET_DEFAULT)
		dflt = chameleon_ddl_default_sql(cmd->value, c ? c->type : NULL, pt, name, &tx->res->notes);
	if (dflt != NULL)
		emit(tx, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", tr->qname, qcol(name), dflt);
	else
		emit(tx, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", tr->qname, qcol(name));
}

static void
drop_primary_key(Tx *tx, TableRef *tr)
{
	ChameleonDdlIndex *pk = chameleon_ddl_find_index(tr->known, "PRIMARY");

	if (tr->known == NULL)
		emit(tx, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", tr->qname,
			 quote_identifier(pkey_name(tr->name)));
	else if (pk != NULL && pk->pg_name != NULL)
		emit(tx, "ALTER TABLE %s DROP CONSTRAINT %s", tr->qname, quote_identifier(pk->pg_name));
	if (pk != NULL)
		tr->known->indexes = list_delete_ptr(tr->known->indexes, pk);
}

static void
drop_index(Tx *tx, TableRef *tr, const char *name, bool if_exists)
{
	ChameleonDdlIndex *idx = chameleon_ddl_find_index(tr->known, name);

	if (pg_strcasecmp(name, "PRIMARY") == 0)
	{
		drop_primary_key(tx, tr);
		return;
	}
	if (tr->known == NULL)
		emit(tx, "DROP INDEX IF EXISTS %s",
			 qualified(tr->schema, chameleon_ddl_object_name(tr->name, name)));
	else if (idx == NULL)
		chameleon_ddl_note(&tx->res->notes, "index \"%s\" is not known: nothing to drop", name);
	else if (idx->pg_name == NULL)
		chameleon_ddl_note(&tx->res->notes, "index \"%s\" was not created in PostgreSQL: nothing to drop", name);
	else
		emit(tx, "DROP INDEX %s%s", if_exists ? "IF EXISTS " : "", qualified(tr->schema, idx->pg_name));
	if (idx != NULL)
		tr->known->indexes = list_delete_ptr(tr->known->indexes, idx);
}

static void
rename_index(Tx *tx, TableRef *tr, const DdlAlterCmd *cmd)
{
	ChameleonDdlIndex *idx = chameleon_ddl_find_index(tr->known, cmd->name);
	char	   *new_pg = chameleon_ddl_object_name(tr->name, cmd->new_name);

	if (tr->known == NULL)
		emit(tx, "ALTER INDEX IF EXISTS %s RENAME TO %s",
			 qualified(tr->schema, chameleon_ddl_object_name(tr->name, cmd->name)),
			 quote_identifier(new_pg));
	else if (idx == NULL)
		forget(tx, tr, psprintf("index \"%s\" is not known", cmd->name));
	else
	{
		if (idx->pg_name != NULL)
		{
			emit(tx, "ALTER INDEX %s RENAME TO %s", qualified(tr->schema, idx->pg_name),
				 quote_identifier(new_pg));
			idx->pg_name = new_pg;
		}
		idx->mysql_name = pstrdup(cmd->new_name);
	}
}

/* DROP CONSTRAINT x: a unique key, a foreign key or a check. */
static void
drop_constraint(Tx *tx, TableRef *tr, const DdlAlterCmd *cmd)
{
	if (chameleon_ddl_find_index(tr->known, cmd->name) != NULL)
	{
		drop_index(tx, tr, cmd->name, cmd->if_exists);
		return;
	}
	if (tr->known == NULL && pg_strcasecmp(cmd->name, "PRIMARY") != 0)
		emit(tx, "DROP INDEX IF EXISTS %s",
			 qualified(tr->schema, chameleon_ddl_object_name(tr->name, cmd->name)));
	record_dropped_foreign_key(tx, tr, cmd->name);
	chameleon_ddl_note(&tx->res->notes, "constraint \"%s\" is recorded as dropped (a foreign key or check)", cmd->name);
}

static void pg_attribute_noreturn()
unsupported_clause(const DdlAlterCmd *cmd, const TableRef *tr)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("ALTER TABLE ... %s cannot be replicated", cmd->note),
			 errdetail("It removes or moves rows of table %s.%s without row events in the binlog.",
					   tr->db, tr->name),
			 errhint("Copy the table again after the change.")));
}

static void
translate_alter_command(Tx *tx, TableRef *tr, const DdlAlterCmd *cmd)
{
	switch (cmd->kind)
	{
		case AT_ADD_COLUMN:
			add_column(tx, tr, cmd);
			break;
		case AT_DROP_COLUMN:
			drop_column(tx, tr, cmd);
			break;
		case AT_MODIFY_COLUMN:
			{
				/* MODIFY never renames: the column keeps its spelling */
				ChameleonDdlColumn *c = chameleon_ddl_find_column(tr->known, cmd->column->name, NULL);

				if (c != NULL)
					cmd->column->name = c->name;
				redefine_column(tx, tr, cmd, cmd->column->name);
			}
			break;
		case AT_CHANGE_COLUMN:
			redefine_column(tx, tr, cmd, cmd->name);
			break;
		case AT_RENAME_COLUMN:
			rename_column(tx, tr, cmd);
			break;
		case AT_SET_DEFAULT:
		case AT_DROP_DEFAULT:
			set_default(tx, tr, cmd);
			break;
		case AT_ADD_INDEX:
			add_index(tx, tr, tr->known, cmd->index, NULL, false);
			break;
		case AT_DROP_INDEX:
			drop_index(tx, tr, cmd->name, cmd->if_exists);
			break;
		case AT_DROP_PRIMARY:
			drop_primary_key(tx, tr);
			break;
		case AT_RENAME_INDEX:
			rename_index(tx, tr, cmd);
			break;
		case AT_ADD_FOREIGN_KEY:
			record_foreign_key(tx, tr, cmd->fk);
			break;
		case AT_DROP_FOREIGN_KEY:
			record_dropped_foreign_key(tx, tr, cmd->name);
			chameleon_ddl_note(&tx->res->notes, "foreign key \"%s\" is recorded as dropped", cmd->name);
			break;
		case AT_DROP_CONSTRAINT:
			drop_constraint(tx, tr, cmd);
			break;
		case AT_TABLE_COMMENT:
			emit(tx, "COMMENT ON TABLE %s IS %s", tr->qname, quote_literal_cstr(cmd->comment));
			break;
		case AT_NOTE:
			chameleon_ddl_note(&tx->res->notes, "%s", cmd->note);
			break;
		case AT_RENAME_TABLE:
			break;				/* done last */
		case AT_UNSUPPORTED:
			unsupported_clause(cmd, tr);
	}
}

static void
translate_alter_table(Tx *tx, DdlStatement *st)
{
	TableRef	tr = table_ref(tx, &st->table, true);
	char	   *old_db = tr.db;
	char	   *old_name = tr.name;
	ListCell   *lc;

	tx->res->kind = CHAMELEON_DDL_ALTER;
	if (!require_replicated(tx, &tr))
		return;
	foreach(lc, st->commands)
		translate_alter_command(tx, &tr, lfirst(lc));
	/* after the statement's own indexes: one of them may serve the key */
	foreach(lc, st->commands)
	{
		DdlAlterCmd *cmd = lfirst(lc);

		if (cmd->kind == AT_ADD_FOREIGN_KEY)
			add_foreign_key_index(tx, &tr, tr.known, cmd->fk, cmd->fk->name != NULL);
	}
	if (tr.known != NULL)
		catalog_replace(tx, &tr, tr.known);
	/* MySQL renames the result: renames come after every other clause */
	foreach(lc, st->commands)
	{
		DdlAlterCmd *cmd = lfirst(lc);

		if (cmd->kind == AT_RENAME_TABLE)
			rename_table(tx, &tr, &cmd->new_table);
	}
	add_change(tx, old_db, old_name, tr.db, tr.name, tr.known);
}

/* ---------- CREATE INDEX / DROP INDEX ---------- */

static void
translate_create_index(Tx *tx, DdlStatement *st)
{
	TableRef	tr = table_ref(tx, &st->table, true);

	tx->res->kind = CHAMELEON_DDL_CREATE_INDEX;
	if (!require_replicated(tx, &tr))
		return;
	if (st->or_replace && st->index->name != NULL)
		drop_index(tx, &tr, st->index->name, true);		/* MariaDB CREATE OR REPLACE INDEX */
	add_index(tx, &tr, tr.known, st->index, NULL, false);
	if (tr.known != NULL)
		catalog_replace(tx, &tr, tr.known);
	add_change(tx, tr.db, tr.name, tr.db, tr.name, tr.known);
}

static void
translate_drop_index(Tx *tx, DdlStatement *st)
{
	TableRef	tr = table_ref(tx, &st->table, true);

	tx->res->kind = CHAMELEON_DDL_DROP_INDEX;
	if (!require_replicated(tx, &tr))
		return;
	drop_index(tx, &tr, st->index_name, st->if_exists);
	if (tr.known != NULL)
		catalog_replace(tx, &tr, tr.known);
	add_change(tx, tr.db, tr.name, tr.db, tr.name, tr.known);
}

/* ---------- statements ---------- */

static void
translate_statement(Tx *tx, DdlStatement *st)
{
	switch (st->kind)
	{
		case ST_CREATE_TABLE:
			translate_create_table(tx, st);
			break;
		case ST_CREATE_TABLE_LIKE:
			translate_create_like(tx, st);
			break;
		case ST_ALTER_TABLE:
			translate_alter_table(tx, st);
			break;
		case ST_DROP_TABLE:
			translate_drop_table(tx, st);
			break;
		case ST_RENAME_TABLE:
			translate_rename_table(tx, st);
			break;
		case ST_TRUNCATE:
			translate_truncate(tx, st);
			break;
		case ST_CREATE_INDEX:
			translate_create_index(tx, st);
			break;
		case ST_DROP_INDEX:
			translate_drop_index(tx, st);
			break;
		case ST_USE:
			{
				MemoryContext old = MemoryContextSwitchTo(chameleon_ddl_catalog_cxt(tx->ctx));

				tx->ctx->default_db = pstrdup(st->db);
				MemoryContextSwitchTo(old);
				tx->res->kind = CHAMELEON_DDL_SKIPPED;
				tx->res->skip_reason = psprintf("USE: the default database is now %s", st->db);
			}
			break;
		case ST_SKIPPED:
			tx->res->kind = CHAMELEON_DDL_SKIPPED;
			tx->res->skip_reason = st->skip_reason;
			break;
	}
}

List *
chameleon_ddl_translate(ChameleonDdlContext *ctx, const char *sql)
{
	DdlParser	p;
	DdlStatement *st;
	List	   *results = NIL;

	chameleon_ddl_parser_init(&p, sql, ctx->ansi_quotes, ctx->no_backslash_escapes);
	while ((st = chameleon_ddl_parse_next(&p)) != NULL)
	{
		Tx			tx;

		tx.ctx = ctx;
		tx.st = st;
		tx.res = palloc0(sizeof(ChameleonDdlResult));
		tx.res->source = st->source;
		tx.res->notes = st->notes;
		translate_statement(&tx, st);
		results = lappend(results, tx.res);
	}
	if (results == NIL)
	{
		ChameleonDdlResult *res = palloc0(sizeof(ChameleonDdlResult));

		res->kind = CHAMELEON_DDL_SKIPPED;
		res->source = pstrdup(sql);
		res->skip_reason = pstrdup("no statement (empty, or only comments)");
		results = list_make1(res);
	}
	return results;
}

const char *
chameleon_ddl_kind_name(ChameleonDdlKind kind)
{
	switch (kind)
	{
		case CHAMELEON_DDL_CREATE:
			return "create";
		case CHAMELEON_DDL_ALTER:
			return "alter";
		case CHAMELEON_DDL_DROP:
			return "drop";
		case CHAMELEON_DDL_RENAME:
			return "rename";
		case CHAMELEON_DDL_TRUNCATE:
			return "truncate";
		case CHAMELEON_DDL_CREATE_INDEX:
			return "create_index";
		case CHAMELEON_DDL_DROP_INDEX:
			return "drop_index";
		case CHAMELEON_DDL_SKIPPED:
			return "skipped";
	}
	elog(ERROR, "unknown DDL kind %d", (int) kind);
	return NULL;				/* keep compiler quiet */
}
