/*
 * ddl_catalog.c -- the catalog of the DDL translator: the MySQL shape
 * (columns in order, types, indexes) of the tables it knows, and the
 * PostgreSQL names of the objects of a table.
 *
 * This file owns finding, copying, adding and removing catalog entries
 * (ChameleonDdlContext.tables, allocated in ctx->catalog_cxt) and the
 * naming rule of chameleon_ddl_object_name().  ddl_translate.c decides what
 * each statement does to the catalog.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "mb/pg_wchar.h"

#include "ddl_int.h"

char *
chameleon_ddl_object_name(const char *table, const char *suffix)
{
	char	   *full = psprintf("%s_%s", table, suffix);
	int			len = strlen(full);
	int			keep;

	if (len < NAMEDATALEN)
		return full;
	keep = pg_mbcliplen(full, len, NAMEDATALEN - 1 - 9);
	return psprintf("%.*s_%08x", keep, full,
					(unsigned int) hash_bytes((const unsigned char *) full, len));
}

void
chameleon_ddl_check_name_length(const char *name, const char *what)
{
	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("MySQL %s name \"%s\" is too long for PostgreSQL", what, name),
				 errdetail("PostgreSQL names have at most %d bytes.", NAMEDATALEN - 1)));
}

MemoryContext
chameleon_ddl_catalog_cxt(ChameleonDdlContext *ctx)
{
	return ctx->catalog_cxt ? ctx->catalog_cxt : CurrentMemoryContext;
}

ChameleonMySQLType *
chameleon_ddl_copy_type(const ChameleonMySQLType *mt)
{
	ChameleonMySQLType *copy;
	ListCell   *lc;

	if (mt == NULL)
		return NULL;
	copy = palloc(sizeof(ChameleonMySQLType));
	*copy = *mt;
	copy->base = pstrdup(mt->base);
	copy->charset = mt->charset ? pstrdup(mt->charset) : NULL;
	copy->collation = mt->collation ? pstrdup(mt->collation) : NULL;
	copy->labels = NIL;
	foreach(lc, mt->labels)
		copy->labels = lappend(copy->labels, pstrdup(lfirst(lc)));
	return copy;
}

/* A catalog column (allocated in the current context). */
ChameleonDdlColumn *
chameleon_ddl_new_column(const char *name, const ChameleonMySQLType *mt, bool auto_increment,
						 bool on_update_now)
{
	ChameleonDdlColumn *c = palloc0(sizeof(ChameleonDdlColumn));

	c->name = pstrdup(name);
	c->type = chameleon_ddl_copy_type(mt);
	c->auto_increment = auto_increment;
	c->on_update_now = on_update_now;
	return c;
}

ChameleonDdlIndex *
chameleon_ddl_copy_index(const ChameleonDdlIndex *idx)
{
	ChameleonDdlIndex *c = palloc0(sizeof(ChameleonDdlIndex));
	ListCell   *lc;

	c->mysql_name = pstrdup(idx->mysql_name);
	c->pg_name = idx->pg_name ? pstrdup(idx->pg_name) : NULL;
	c->primary = idx->primary;
	c->unique = idx->unique;
	foreach(lc, idx->columns)
		c->columns = lappend(c->columns, pstrdup(lfirst(lc)));
	c->prefix_lengths = list_copy(idx->prefix_lengths);
	c->descending = list_copy(idx->descending);
	return c;
}

ChameleonDdlTable *
chameleon_ddl_copy_table(const ChameleonDdlTable *t, const char *db, const char *name)
{
	ChameleonDdlTable *c = palloc0(sizeof(ChameleonDdlTable));
	ListCell   *lc;

	c->db = pstrdup(db);
	c->name = pstrdup(name);
	foreach(lc, t->columns)
	{
		ChameleonDdlColumn *col = lfirst(lc);

		c->columns = lappend(c->columns, chameleon_ddl_new_column(col->name, col->type, col->auto_increment, col->on_update_now));
	}
	foreach(lc, t->indexes)
		c->indexes = lappend(c->indexes, chameleon_ddl_copy_index(lfirst(lc)));
	return c;
}

/* The catalog entry of db.name (asking load_table once if needed), or NULL. */
ChameleonDdlTable *
chameleon_ddl_catalog_find(ChameleonDdlContext *ctx, const char *db, const char *name, bool load)
{
	ListCell   *lc;
	ChameleonDdlTable *t;
	MemoryContext old;

	foreach(lc, ctx->tables)
	{
		t = lfirst(lc);
		if (strcmp(t->db, db) == 0 && strcmp(t->name, name) == 0)
			return t;
	}
	if (!load || ctx->load_table == NULL)
		return NULL;
	old = MemoryContextSwitchTo(chameleon_ddl_catalog_cxt(ctx));
	t = ctx->load_table(ctx->callback_arg, db, name);
	if (t != NULL)
		ctx->tables = lappend(ctx->tables, t);
	MemoryContextSwitchTo(old);
	return t;
}

void
chameleon_ddl_catalog_add(ChameleonDdlContext *ctx, const ChameleonDdlTable *t)
{
	MemoryContext old = MemoryContextSwitchTo(chameleon_ddl_catalog_cxt(ctx));

	ctx->tables = lappend(ctx->tables, chameleon_ddl_copy_table(t, t->db, t->name));
	MemoryContextSwitchTo(old);
}

void
chameleon_ddl_catalog_remove(ChameleonDdlContext *ctx, ChameleonDdlTable *t)
{
	MemoryContext old;

	if (t == NULL)
		return;
	old = MemoryContextSwitchTo(chameleon_ddl_catalog_cxt(ctx));
	ctx->tables = list_delete_ptr(ctx->tables, t);
	MemoryContextSwitchTo(old);
}

/* Replace the catalog entry of tr by a copy of t (the statement's working copy). */
/* Column of t by MySQL's case-insensitive rule, and its position; NULL if none. */
ChameleonDdlColumn *
chameleon_ddl_find_column(const ChameleonDdlTable *t, const char *name, int *position)
{
	ListCell   *lc;

	if (t == NULL)
		return NULL;
	foreach(lc, t->columns)
	{
		ChameleonDdlColumn *c = lfirst(lc);

		if (pg_strcasecmp(c->name, name) == 0)
		{
			if (position)
				*position = foreach_current_index(lc);
			return c;
		}
	}
	return NULL;
}

ChameleonDdlIndex *
chameleon_ddl_find_index(const ChameleonDdlTable *t, const char *mysql_name)
{
	ListCell   *lc;

	if (t == NULL)
		return NULL;
	foreach(lc, t->indexes)
	{
		ChameleonDdlIndex *idx = lfirst(lc);

		if (pg_strcasecmp(idx->mysql_name, mysql_name) == 0)
			return idx;
	}
	return NULL;
}

