/*
 * ddl_shape.c -- the MySQL shape of the replicated tables as the binlog has
 * it (see ddl_apply.h): the shape init_replica records from
 * information_schema, and the decoding definition made from a shape.  The
 * shapes are stored by catalog_shapes.c.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "ddl_apply.h"
#include "ddl_int.h"

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
							 chameleon_ddl_new_column(c->name, c->mytype, c->auto_increment, c->on_update_now));
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
