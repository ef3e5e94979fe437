/*
 * guard.c -- replicated tables reject local writes.
 *
 * A local INSERT, UPDATE, DELETE or TRUNCATE on a replicated table would
 * make it differ from MySQL without a word (and a later change from the
 * binlog could fail on it).  Each replicated table gets two statement-level
 * BEFORE triggers calling chameleon.reject_local_write(), which raises an
 * error naming the replica.  Ordinary triggers do not fire under
 * session_replication_role = replica, which every pg_chameleon worker that
 * writes rows sets (apply, copy, sync), so the replica's own writes pass;
 * a superuser can do the same to write by hand on purpose.  protect_tables:
 * false leaves new tables unguarded; detach_replica and remove_tables take
 * the triggers away.
 *
 * A replicated table dropped by hand: the sql_drop event trigger
 * (chameleon.on_sql_drop, here) puts it in state error, so the replica
 * skips it and says why (event triggers do not fire for the workers either:
 * a DROP TABLE the stream applies is the replica's own business).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "catalog.h"
#include "guard.h"
#include "schema.h"
#include "spi_util.h"

PG_FUNCTION_INFO_V1(chameleon_on_sql_drop);

#define GUARD_TRIGGER			"chameleon_guard"
#define GUARD_TRUNCATE_TRIGGER	"chameleon_guard_truncate"

/* The table's oid, or InvalidOid when it does not exist. */
static Oid
table_oid(const char *pg_schema, const char *pg_table)
{
	Oid			nsp = get_namespace_oid(pg_schema, true);

	return OidIsValid(nsp) ? get_relname_relid(pg_table, nsp) : InvalidOid;
}

void
chameleon_guard_table(const char *pg_schema, const char *pg_table, const char *source_name)
{
	char	   *qtable = quote_qualified_identifier(pg_schema, pg_table);
	char	   *arg = quote_literal_cstr(source_name);
	Oid			relid = table_oid(pg_schema, pg_table);

	if (!OidIsValid(relid))
		return;
	if (!OidIsValid(get_trigger_oid(relid, GUARD_TRIGGER, true)))
		chameleon_run_sql(psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE OR DELETE ON %s"
								   " FOR EACH STATEMENT EXECUTE FUNCTION chameleon.reject_local_write(%s)",
								   GUARD_TRIGGER, qtable, arg));
	if (!OidIsValid(get_trigger_oid(relid, GUARD_TRUNCATE_TRIGGER, true)))
		chameleon_run_sql(psprintf("CREATE TRIGGER %s BEFORE TRUNCATE ON %s"
								   " FOR EACH STATEMENT EXECUTE FUNCTION chameleon.reject_local_write(%s)",
								   GUARD_TRUNCATE_TRIGGER, qtable, arg));
}

void
chameleon_unguard_table(const char *pg_schema, const char *pg_table)
{
	char	   *qtable = quote_qualified_identifier(pg_schema, pg_table);
	Oid			relid = table_oid(pg_schema, pg_table);

	if (!OidIsValid(relid))
		return;					/* dropped: no trigger left */
	if (OidIsValid(get_trigger_oid(relid, GUARD_TRIGGER, true)))
		chameleon_run_sql(psprintf("DROP TRIGGER %s ON %s", GUARD_TRIGGER, qtable));
	if (OidIsValid(get_trigger_oid(relid, GUARD_TRUNCATE_TRIGGER, true)))
		chameleon_run_sql(psprintf("DROP TRIGGER %s ON %s", GUARD_TRUNCATE_TRIGGER, qtable));
}

/*
 * chameleon.on_sql_drop() RETURNS event_trigger: a replicated table dropped
 * by hand goes to state error.
 */
Datum
chameleon_on_sql_drop(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *dropped = NIL;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("chameleon.on_sql_drop() runs only as an event trigger")));
	chameleon_spi_connect();
	if (SPI_execute("SELECT schema_name, object_name FROM pg_catalog.pg_event_trigger_dropped_objects()"
					" WHERE object_type = 'table' AND schema_name IS NOT NULL", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_event_trigger_dropped_objects()");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		dropped = lappend(dropped, list_make2(chameleon_spi_text(i, 1, caller),
											  chameleon_spi_text(i, 2, caller)));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	foreach(lc, dropped)
	{
		List	   *names = lfirst(lc);

		chameleon_catalog_table_dropped_by_hand(linitial(names), lsecond(names));
	}
	PG_RETURN_VOID();
}
