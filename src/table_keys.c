/*
 * table_keys.c -- how a replica names its tables.  A replica of one MySQL
 * database names a table by its MySQL name ("film"); a replica of several
 * (schema_mappings) by "database.table" ("shop.film").  That name -- the
 * table's key -- is mysql_table in every state table, in the relation map,
 * in sync_tables() and in the rules of the configuration; these functions
 * turn a MySQL database and table into a key, a key back into both, and a
 * database into its PostgreSQL schema.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "catalog.h"
#include "config.h"

/* The map of the database named by the first len bytes of db; NULL: none. */
static const ChameleonDatabaseMap *
find_map(const List *databases, const char *db, size_t len)
{
	const ListCell *lc;

	foreach(lc, databases)
	{
		const ChameleonDatabaseMap *m = lfirst(lc);

		if (strlen(m->database) == len && strncmp(m->database, db, len) == 0)
			return m;
	}
	return NULL;
}

/* The map of database db, or NULL when the replica does not replicate it. */
static const ChameleonDatabaseMap *
database_map(const ChameleonConfig *cfg, const char *db)
{
	return db ? find_map(cfg->databases, db, strlen(db)) : NULL;
}

const ChameleonDatabaseMap *
chameleon_key_database(const List *databases, const char *key)
{
	/* mapped database names have no "." (config.c) */
	const char *dot = strchr(key, '.');

	if (dot == NULL || dot[1] == '\0')
		return NULL;
	return find_map(databases, key, dot - key);
}

const char *
chameleon_config_schema_of(const ChameleonConfig *cfg, const char *db)
{
	const ChameleonDatabaseMap *m = database_map(cfg, db);

	return m ? m->schema : NULL;
}

char *
chameleon_table_key(const ChameleonConfig *cfg, const char *db, const char *table)
{
	if (database_map(cfg, db) == NULL)
		return NULL;
	return cfg->qualified_names ? psprintf("%s.%s", db, table) : pstrdup(table);
}

bool
chameleon_table_key_split(const ChameleonConfig *cfg, const char *key,
						  char **db, char **table)
{
	const ChameleonDatabaseMap *m;

	if (!cfg->qualified_names)
	{
		*db = pstrdup(cfg->my_database);
		*table = pstrdup(key);
		return true;
	}
	if ((m = chameleon_key_database(cfg->databases, key)) == NULL)
		return false;
	*db = pstrdup(m->database);
	*table = pstrdup(key + strlen(m->database) + 1);
	return true;
}

const char *
chameleon_table_key_schema(const ChameleonConfig *cfg, const char *key)
{
	char	   *db,
			   *table;

	if (!chameleon_table_key_split(cfg, key, &db, &table))
		return NULL;
	return chameleon_config_schema_of(cfg, db);
}

const char *
chameleon_config_first_schema(const ChameleonConfig *cfg)
{
	return ((ChameleonDatabaseMap *) linitial(cfg->databases))->schema;
}

char *
chameleon_config_describe_databases(const ChameleonConfig *cfg)
{
	StringInfoData dbs,
				schemas;
	ListCell   *lc;

	if (!cfg->qualified_names)
		return psprintf("MySQL database \"%s\" into schema \"%s\"",
						cfg->my_database, cfg->pg_schema);
	initStringInfo(&dbs);
	initStringInfo(&schemas);
	foreach(lc, cfg->databases)
	{
		const ChameleonDatabaseMap *m = lfirst(lc);

		appendStringInfo(&dbs, "%s\"%s\"", dbs.len ? ", " : "", m->database);
		appendStringInfo(&schemas, "%s\"%s\"", schemas.len ? ", " : "", m->schema);
	}
	return psprintf("MySQL databases %s into schemas %s", dbs.data, schemas.data);
}

List *
chameleon_config_database_names(const ChameleonConfig *cfg)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, cfg->databases)
		names = lappend(names, ((ChameleonDatabaseMap *) lfirst(lc))->database);
	return names;
}

char *
chameleon_source_table_key(const ChameleonSource *src, const char *db, const char *table)
{
	ListCell   *lc;

	if (db == NULL)
		return NULL;
	foreach(lc, src->databases)
	{
		if (strcmp((char *) lfirst(lc), db) != 0)
			continue;
		return list_length(src->databases) > 1 ? psprintf("%s.%s", db, table) : pstrdup(table);
	}
	return NULL;
}

void
chameleon_config_check_source(const ChameleonConfig *cfg, const ChameleonSource *src)
{
	List	   *names = chameleon_config_database_names(cfg);
	bool		same = list_length(names) == list_length(src->databases);
	ListCell   *a,
			   *b;

	if (same)
		forboth(a, names, b, src->databases)
			same &= strcmp(lfirst(a), lfirst(b)) == 0;
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("configuration file \"%s\" names other MySQL databases than replica \"%s\" was made with",
						cfg->path, src->name),
				 errdetail("The replica copies %s.", chameleon_config_describe_source(src)),
				 errhint("Put the databases back in the configuration, or copy again with chameleon.init_replica(force => true).")));
}

char *
chameleon_config_describe_source(const ChameleonSource *src)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, src->databases)
		appendStringInfo(&buf, "%s\"%s\"", buf.len ? ", " : "", (char *) lfirst(lc));
	return psprintf("MySQL database%s %s", list_length(src->databases) > 1 ? "s" : "", buf.data);
}
