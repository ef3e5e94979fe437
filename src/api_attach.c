/*
 * api_attach.c -- chameleon.attach_replica(): a replica of tables that
 * already exist in PostgreSQL, streaming from a binlog position the caller
 * gives, with no copy.
 *
 * It records what init_replica records after its copy: the source (state
 * stopped), its start position, and every table of the target schema
 * (tables_limit: those tables) as copied at that position; start_replica
 * then streams from there.  The tables must hold the source's rows as of
 * that position, with the columns the copy would have made; it does not
 * read MySQL.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "catalog.h"
#include "guard.h"
#include "config.h"
#include "list_util.h"
#include "position.h"
#include "spi_util.h"

PG_FUNCTION_INFO_V1(chameleon_attach_replica);

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

/* The tables to attach: those of the schema but skip_tables, or of tables_limit. */
static List *
tables_to_attach(const ChameleonConfig *cfg, const char *pg_schema, Oid nsp)
{
	List	   *present = schema_tables(nsp);
	ListCell   *lc;

	if (cfg->tables_limit == NIL)
	{
		List	   *kept = NIL;

		foreach(lc, present)
			if (!chameleon_name_in_list(cfg->skip_tables, lfirst(lc)))
				kept = lappend(kept, lfirst(lc));
		return kept;
	}
	foreach(lc, cfg->tables_limit)
		if (!chameleon_name_in_list(present, lfirst(lc)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table \"%s\" of tables_limit does not exist in schema \"%s\"",
							(char *) lfirst(lc), pg_schema),
					 errhint("Load every table of tables_limit before attaching.")));
	return cfg->tables_limit;
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
 * chameleon.attach_replica(binlog_file text, binlog_position bigint,
 *   path text DEFAULT NULL) RETURNS text
 */
Datum
chameleon_attach_replica(PG_FUNCTION_ARGS)
{
	char	   *file;
	int64		pos;
	ChameleonConfig *cfg;
	const char *pg_schema;
	ChameleonSource *existing;
	Oid			nsp;
	List	   *tables;
	ListCell   *lc;
	int			source_id;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("attach_replica needs a binlog file and position")));
	file = text_to_cstring(PG_GETARG_TEXT_PP(0));
	pos = PG_GETARG_INT64(1);
	check_start_position(file, pos);
	cfg = chameleon_config_load(PG_NARGS() > 2 && !PG_ARGISNULL(2) ?
								text_to_cstring(PG_GETARG_TEXT_PP(2)) : NULL);
	chameleon_config_require_this_database(cfg, "attach this replica");
	pg_schema = cfg->pg_schema ? cfg->pg_schema : cfg->my_database;

	existing = chameleon_source_by_name(cfg->my_database);
	if (existing != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("MySQL database \"%s\" is already replicated into schema \"%s\"",
						existing->name, existing->pg_schema),
				 errhint("Start that replica with chameleon.start_replica(), or copy it anew with chameleon.init_replica(force => true).")));
	nsp = get_namespace_oid(pg_schema, true);
	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", pg_schema),
				 errhint("Load the tables into schema \"%s\" first, or set pg_schema in the configuration.",
						 pg_schema)));
	tables = tables_to_attach(cfg, pg_schema, nsp);
	if (tables == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("schema \"%s\" has no table to attach", pg_schema)));

	source_id = chameleon_source_add(cfg->my_database, pg_schema, cfg->path,
											 cfg->my_server_id, "stopped");
	chameleon_position_set(source_id, file, pos, NULL);
	foreach(lc, tables)
	{
		chameleon_catalog_add_table(source_id, lfirst(lc), pg_schema, lfirst(lc), "copied",
									0, file, pos);
		if (cfg->protect_tables)
			chameleon_guard_table(pg_schema, lfirst(lc), cfg->my_database);
	}

	PG_RETURN_TEXT_P(cstring_to_text(psprintf("attached %d tables of schema \"%s\" to MySQL database \"%s\" at binlog position %s:" INT64_FORMAT,
											  list_length(tables), pg_schema,
											  cfg->my_database, file, pos)));
}
