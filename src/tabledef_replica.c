/*
 * tabledef_replica.c -- table definitions for decoding taken from a
 * replica's own PostgreSQL tables (see tabledef.h).
 *
 * A binlog file says nothing of MariaDB's UUID, INET6 and INET4 types: they
 * are BINARY(16)/BINARY(4) there, even with binlog_row_metadata=FULL, and
 * without FULL the columns have no names either.  A replica already made a
 * PostgreSQL table for each MySQL table, with uuid/inet/boolean/bytea column
 * types chosen by the type mapping: its columns say how the worker applies
 * the values, so binlog_file_rows(..., source) decodes them the same way.
 * Columns are matched by name when the table map has names, else by
 * position; a column with no PostgreSQL twin keeps what the binlog says.
 * Signedness and ENUM/SET labels cannot be read back from PostgreSQL types:
 * they still need binlog_row_metadata=FULL.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "catalog.h"
#include "tabledef.h"

/* Attribute named like a MySQL column: exact, then ignoring case; or -1. */
static int
attribute_by_name(TupleDesc desc, const char *name)
{
	int			ci = -1;

	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (att->attisdropped)
			continue;
		if (strcmp(NameStr(att->attname), name) == 0)
			return a;
		if (ci < 0 && pg_strcasecmp(NameStr(att->attname), name) == 0)
			ci = a;
	}
	return ci;
}

/* The i-th live attribute, or -1. */
static int
attribute_by_position(TupleDesc desc, int i)
{
	for (int a = 0; a < desc->natts; a++)
	{
		if (TupleDescAttr(desc, a)->attisdropped)
			continue;
		if (i-- == 0)
			return a;
	}
	return -1;
}

int
chameleon_tabledef_attribute(TupleDesc desc, const char *name, int position)
{
	return name ? attribute_by_name(desc, name) : attribute_by_position(desc, position);
}

static bool
type_is_postgis_geometry(Oid type)
{
	char	   *name = format_type_be(type);

	return strcmp(name, "geometry") == 0 || strstr(name, ".geometry") != NULL;
}

int
chameleon_tabledef_kind_for_type(Oid type, const ChameleonMapColumn *m)
{
	switch (type)
	{
		case BOOLOID:
			return CHAMELEON_KIND_BOOL;
		case BYTEAOID:
			return m->real_type == MYT_GEOMETRY ? CHAMELEON_KIND_GEOMETRY : CHAMELEON_KIND_BINARY;
		case UUIDOID:
			return CHAMELEON_KIND_UUID;
		case INETOID:
			return CHAMELEON_KIND_INET;
		default:
			/* PostGIS geometry (an extension type: no fixed oid) */
			if (m->real_type == MYT_GEOMETRY && type_is_postgis_geometry(type))
				return CHAMELEON_KIND_POSTGIS;
			return -1;
	}
}

ChameleonTableDef *
chameleon_tabledef_from_replica(const ChameleonSource *source, const ChameleonTableMap *map)
{
	char	   *pg_schema;
	char	   *pg_table;
	Oid			relid;
	Relation	rel;
	TupleDesc	desc;
	ChameleonTableDef *def;
	char	   *key = chameleon_source_table_key(source, map->schema, map->table);

	if (key == NULL ||
		!chameleon_catalog_get_table(source->source_id, key, &pg_schema, &pg_table))
		return NULL;
	relid = RangeVarGetRelid(makeRangeVar(pg_schema, pg_table, -1), AccessShareLock, true);
	if (!OidIsValid(relid))
		return NULL;
	rel = table_open(relid, NoLock);
	desc = RelationGetDescr(rel);

	def = palloc0(sizeof(ChameleonTableDef));
	def->ncols = map->ncols;
	def->cols = palloc0(sizeof(ChameleonColumnDef) * map->ncols);
	for (int i = 0; i < map->ncols; i++)
	{
		const ChameleonMapColumn *m = &map->cols[i];
		ChameleonColumnDef *c = &def->cols[i];
		int			a = chameleon_tabledef_attribute(desc, m->name, i);

		c->kind = -1;
		c->is_unsigned = -1;
		if (a < 0)
			continue;
		c->name = pstrdup(NameStr(TupleDescAttr(desc, a)->attname));
		c->kind = chameleon_tabledef_kind_for_type(TupleDescAttr(desc, a)->atttypid, m);
		/* bytea holds bytes: a BINARY(n) value gets its 0x00 padding back */
		if (TupleDescAttr(desc, a)->atttypid == BYTEAOID)
			c->charset = pstrdup("binary");
	}
	table_close(rel, NoLock);
	return def;
}
