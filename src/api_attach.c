/*
 * api_attach.c -- chameleon.attach_replica(): a replica of tables that
 * already exist in PostgreSQL, streaming from a binlog position the caller
 * gives, with no copy.
 *
 * It reads the MySQL definition of every table of the target schema
 * (tables_limit: those tables; never those of skip_tables) and checks that
 * the PostgreSQL table has the columns the copy would have made, with the
 * types of the type map (type_override included): an error names the
 * table and column otherwise, before anything is recorded.  Then it records
 * what init_replica records after its copy: the source (state stopped), its
 * start position, the tables as copied at that position, their MySQL
 * shapes and foreign keys; start_replica streams from there.  The tables
 * must hold the source's rows as of that position.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "catalog.h"
#include "copy.h"
#include "ddl_apply.h"
#include "guard.h"
#include "config.h"
#include "list_util.h"
#include "mysql_client.h"
#include "position.h"
#include "schema.h"
#include "source_position.h"
#include "spi_util.h"

PG_FUNCTION_INFO_V1(chameleon_attach_replica);
PG_FUNCTION_INFO_V1(chameleon_attach_replica_at_gtid);

/* The ordinary and partitioned tables of a schema, by name. */
static List *
schema_tables(Oid nsp)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(nsp);
	List	   *names = NIL;
	uint64		n;

	chameleon_spi_connect();
	n = chameleon_spi_run("SELECT relname::text FROM pg_catalog.pg_class"
						  " WHERE relnamespace = $1 AND relkind IN ('r', 'p')"
						  " AND NOT relispartition ORDER BY 1",
						  1, &type, &value, NULL, true, 0, SPI_OK_SELECT,
						  "list the tables of the schema");
	for (uint64 i = 0; i < n; i++)
	{
		char	   *name = chameleon_spi_text(i, 1, caller);
		MemoryContext old = MemoryContextSwitchTo(caller);

		names = lappend(names, name);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return names;
}

/*
 * The keys of the tables to attach: those of each database's schema that
 * the rules replicate (tables_limit, skip_tables); a table tables_limit
 * names that is not there is an error.
 */
static List *
tables_to_attach(const ChameleonConfig *cfg)
{
	List	   *keys = NIL;
	ListCell   *lc;

	foreach(lc, cfg->databases)
	{
		const ChameleonDatabaseMap *m = lfirst(lc);
		Oid			nsp = get_namespace_oid(m->schema, true);
		ListCell   *lt;

		if (!OidIsValid(nsp))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"%s\" does not exist", m->schema),
					 cfg->qualified_names ?
					 errhint("Load the tables into schema \"%s\" first, or map MySQL database \"%s\" to the schema that has them.",
							 m->schema, m->database) :
					 errhint("Load the tables into schema \"%s\" first, or set pg_schema in the configuration.",
							 m->schema)));
		foreach(lt, schema_tables(nsp))
		{
			char	   *key = chameleon_table_key(cfg, m->database, lfirst(lt));

			if (chameleon_config_replicates_table(cfg, key))
				keys = lappend(keys, key);
		}
	}
	foreach(lc, cfg->tables_limit)
	{
		const char *entry = lfirst(lc);
		size_t		len = strlen(entry);

		if (strcmp(entry, "*") != 0 && !(len > 2 && strcmp(entry + len - 2, ".*") == 0) &&
			!chameleon_name_in_list(keys, entry))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table \"%s\" of tables_limit does not exist in schema \"%s\"",
							entry, chameleon_table_key_schema(cfg, entry)),
					 errhint("Load every table of tables_limit before attaching.")));
	}
	return keys;
}

/* The attribute of rel named name, or NULL. */
static Form_pg_attribute
attribute_named(TupleDesc desc, const char *name)
{
	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att;
	}
	return NULL;
}

/*
 * Has the PostgreSQL table the columns the copy would have made of t: the
 * same names, each with the type of the type map?  An error names the
 * table and the first column that differs.
 */
static void
check_attached_columns(const ChameleonTable *t)
{
	const char *pg_schema = t->pg_schema;
	Relation	rel = table_open(get_relname_relid(t->name, get_namespace_oid(pg_schema, false)),
								 AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	int			live = 0;

	for (int i = 0; i < t->ncolumns; i++)
	{
		const ChameleonColumn *c = &t->columns[i];
		Form_pg_attribute att = attribute_named(desc, c->name);
		Oid			typid;
		int32		typmod;

		if (att == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\".\"%s\" has no column \"%s\", which MySQL table \"%s\" has",
							pg_schema, t->name, c->name, t->name),
					 errhint("Load the table with every MySQL column, named as in MySQL.")));
		parseTypeString(c->pgtype->pg_type, &typid, &typmod, false);
		if (att->atttypid != typid || (typmod >= 0 && att->atttypmod != typmod))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of table \"%s\".\"%s\" is %s, the copy would make it %s",
							c->name, pg_schema, t->name,
							format_type_with_typemod(att->atttypid, att->atttypmod),
							format_type_with_typemod(typid, typmod)),
					 errdetail("Its MySQL type is %s.", c->column_type),
					 errhint("Change the column's type (ALTER TABLE ... ALTER COLUMN ... TYPE), or map the MySQL type with type_override.")));
	}
	for (int a = 0; a < desc->natts; a++)
		live += !TupleDescAttr(desc, a)->attisdropped;
	if (live != t->ncolumns)
		for (int a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);
			bool		known = false;

			for (int i = 0; i < t->ncolumns && !att->attisdropped; i++)
				known |= strcmp(t->columns[i].name, NameStr(att->attname)) == 0;
			if (!att->attisdropped && !known)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column \"%s\" of table \"%s\".\"%s\" is not a column of MySQL table \"%s\"",
								NameStr(att->attname), pg_schema, t->name, t->name),
						 errhint("Drop it, or attach the table once MySQL has it.")));
		}
	table_close(rel, AccessShareLock);
}

/*
 * The MySQL definitions of the tables to attach, each checked against its
 * PostgreSQL table.  With gtid, at gets the binlog position of that MariaDB
 * GTID; else, on MariaDB, the GTID position of at's binlog position.
 */
static List *
read_and_check_tables(const ChameleonConfig *cfg, List *names,
					  bool check_columns, const char *gtid, ChameleonSnapshot *at)
{
	ChameleonSchemaOptions opts;
	MYSQL	   *conn;
	List	   *volatile tables = NIL;
	List	   *found = NIL;
	ListCell   *lc;

	conn = chameleon_mysql_connect(cfg);
	PG_TRY();
	{
		chameleon_copy_schema_options(&opts, cfg, conn);
		opts.tables_limit = NIL;	/* all of them: names are matched below */
		if (gtid != NULL && !opts.is_mariadb)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("attaching at a GTID needs a MariaDB source"),
					 errhint("Give the binlog file and position of the data to chameleon.attach_replica().")));
		if (gtid != NULL)
			chameleon_source_gtid_position(conn, gtid, at);
		else if (opts.is_mariadb)
			chameleon_source_snapshot_gtid(conn, at);
		tables = chameleon_schema_read(conn, &opts);
	}
	PG_CATCH();
	{
		chameleon_mysql_close(conn);
		PG_RE_THROW();
	}
	PG_END_TRY();
	chameleon_mysql_close(conn);

	foreach(lc, names)
	{
		ChameleonTable *match = NULL;
		ListCell   *lt;

		foreach(lt, tables)
			if (strcmp(((ChameleonTable *) lfirst(lt))->key, lfirst(lc)) == 0)
				match = lfirst(lt);
		if (match == NULL)
		{
			char	   *db,
					   *table;

			(void) chameleon_table_key_split(cfg, lfirst(lc), &db, &table);
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table \"%s\".\"%s\" is not a base table of MySQL database \"%s\"",
							chameleon_config_schema_of(cfg, db), table, db),
					 errhint("Drop it from the schema, list the tables to attach in tables_limit, or leave it out with skip_tables.")));
		}
		if (check_columns)
			check_attached_columns(match);
		found = lappend(found, match);
	}
	return found;
}

static void
check_start_position(const char *file, int64 pos)
{
	if (file[0] == '\0' || pos < 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid binlog start position %s:" INT64_FORMAT, file, pos),
				 errhint("Give the file and position SHOW MASTER STATUS (or your dump's header) printed when the data was taken.")));
}

/*
 * Attach the tables of cfg's schema at the binlog position at (or, with
 * gtid, at the position of that MariaDB GTID).
 */
static text *
attach_tables(ChameleonConfig *cfg, ChameleonSnapshot *at, const char *gtid, bool check_columns)
{
	ChameleonSource *existing;
	List	   *tables;
	List	   *defs;
	ListCell   *lc;
	int			source_id;

	chameleon_config_require_this_database(cfg, "attach this replica");

	existing = chameleon_source_by_name(cfg->source_name);
	if (existing != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("MySQL database \"%s\" is already replicated into schema \"%s\"",
						existing->name, existing->pg_schema),
				 errhint("Start that replica with chameleon.start_replica(), or copy it anew with chameleon.init_replica(force => true).")));
	tables = tables_to_attach(cfg);
	if (tables == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 cfg->qualified_names ?
				 errmsg("the schemas of schema_mappings have no table to attach") :
				 errmsg("schema \"%s\" has no table to attach", cfg->pg_schema)));

	defs = read_and_check_tables(cfg, tables, check_columns, gtid, at);
	chameleon_origin_require_slot(MyDatabaseId, 0, "attach a new replica");

	source_id = chameleon_source_add(cfg->source_name, chameleon_config_database_names(cfg),
									 chameleon_config_first_schema(cfg), cfg->path,
									 cfg->my_server_id, "stopped");
	chameleon_position_set(source_id, at->binlog_file, at->binlog_position, at->gtid);
	foreach(lc, defs)
	{
		ChameleonTable *t = lfirst(lc);

		chameleon_catalog_add_table(source_id, t->key, t->pg_schema, t->name, "copied",
									0, at->binlog_file, at->binlog_position);
		/* the MySQL shape the stream starts from, as after a copy */
		chameleon_shape_save(source_id, t->key, chameleon_shape_from_schema(t->database, t));
		if (cfg->protect_tables)
			chameleon_guard_table(t->pg_schema, t->name, cfg->source_name);
	}
	chameleon_copy_store_foreign_keys(source_id, defs);

	if (cfg->qualified_names)
		return cstring_to_text(psprintf("attached %d tables of %s at binlog position %s:" INT64_FORMAT "%s%s",
										list_length(tables),
										chameleon_config_describe_databases(cfg),
										at->binlog_file, at->binlog_position,
										gtid ? ", after GTID " : "", gtid ? gtid : ""));
	return cstring_to_text(psprintf("attached %d tables of schema \"%s\" to MySQL database \"%s\" at binlog position %s:" INT64_FORMAT "%s%s",
									list_length(tables), cfg->pg_schema, cfg->my_database,
									at->binlog_file, at->binlog_position,
									gtid ? ", after GTID " : "", gtid ? gtid : ""));
}

/*
 * chameleon.attach_replica(binlog_file text, binlog_position bigint,
 *   path text DEFAULT NULL, check_columns boolean DEFAULT true) RETURNS text
 *
 * check_columns false attaches tables whose columns differ from the type
 * map's (the stream casts its values to them); the tests use it to stream
 * into tables made by hand.
 */
Datum
chameleon_attach_replica(PG_FUNCTION_ARGS)
{
	ChameleonSnapshot at = {0};
	ChameleonConfig *cfg;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("attach_replica needs a binlog file and position")));
	at.binlog_file = text_to_cstring(PG_GETARG_TEXT_PP(0));
	at.binlog_position = PG_GETARG_INT64(1);
	check_start_position(at.binlog_file, at.binlog_position);
	cfg = chameleon_config_load(PG_NARGS() > 2 && !PG_ARGISNULL(2) ?
								text_to_cstring(PG_GETARG_TEXT_PP(2)) : NULL);
	PG_RETURN_TEXT_P(attach_tables(cfg, &at, NULL,
								   PG_NARGS() <= 3 || PG_ARGISNULL(3) || PG_GETARG_BOOL(3)));
}

/*
 * chameleon.attach_replica_at_gtid(gtid text, path text DEFAULT NULL,
 *   check_columns boolean DEFAULT true) RETURNS text
 *
 * The same, from the position right after the transaction of a MariaDB
 * GTID (the last one the loaded data holds, as a dump records it).
 */
Datum
chameleon_attach_replica_at_gtid(PG_FUNCTION_ARGS)
{
	ChameleonSnapshot at = {0};
	ChameleonConfig *cfg;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("attach_replica_at_gtid needs a GTID")));
	cfg = chameleon_config_load(PG_NARGS() > 1 && !PG_ARGISNULL(1) ?
								text_to_cstring(PG_GETARG_TEXT_PP(1)) : NULL);
	PG_RETURN_TEXT_P(attach_tables(cfg, &at, text_to_cstring(PG_GETARG_TEXT_PP(0)),
								   PG_NARGS() <= 2 || PG_ARGISNULL(2) || PG_GETARG_BOOL(2)));
}
