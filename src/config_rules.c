/*
 * config_rules.c -- which tables and which of their row events a
 * configuration replicates: tables_limit, skip_tables and skip_events
 * (config.c loads and normalizes them to table keys -- "table", or
 * "db.table" in a replica of several databases -- "*" standing for every
 * table, "db.*" for every table of a database).  The copy, the stream, DDL and verify_tables all ask
 * here, so the rules read the same everywhere.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "config.h"
#include "list_util.h"

static const char *const EventNames[] = {"insert", "update", "delete"};

/* Is the table replicated: in tables_limit (when given), not in skip_tables? */
bool
chameleon_config_replicates_table(const ChameleonConfig *cfg, const char *table)
{
	if (cfg->tables_limit != NIL && !chameleon_table_listed(cfg->tables_limit, table))
		return false;
	return !chameleon_table_listed(cfg->skip_tables, table);
}

/* Are the table's row events of this kind left out (skip_events)? */
bool
chameleon_config_skips_events(const ChameleonConfig *cfg, ChameleonEventKind kind,
							  const char *table)
{
	return chameleon_table_listed(cfg->skip_events[kind], table);
}

/* "delete" or "insert, update": the kinds skipped for the table; NULL: none. */
char *
chameleon_config_skipped_events_text(const ChameleonConfig *cfg, const char *table)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int k = CHAMELEON_EVENT_INSERT; k <= CHAMELEON_EVENT_DELETE; k++)
		if (chameleon_config_skips_events(cfg, (ChameleonEventKind) k, table))
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", EventNames[k]);
	return buf.len ? buf.data : NULL;
}
