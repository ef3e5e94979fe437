/*
 * api_sync.c -- the SQL functions that change the set of replicated tables
 * of a replica without initialising it again:
 *   chameleon.sync_tables(tables text[], source text DEFAULT NULL)
 *   chameleon.add_tables(tables text[], source text DEFAULT NULL)
 *   chameleon.remove_tables(tables text[], source text DEFAULT NULL)
 *
 * sync_tables and add_tables check the request, run it in a "pg_chameleon
 * sync" background worker (sync.c, which commits several transactions of
 * its own), wait for it and return its summary or raise its error.
 * remove_tables runs here, in the caller's transaction: the tables become
 * "removed" (their rows are no longer applied; the PostgreSQL tables stay).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "api.h"
#include "config.h"
#include "guard.h"
#include "list_util.h"
#include "position.h"
#include "sync.h"
#include "worker.h"
#include "transaction.h"

PG_FUNCTION_INFO_V1(chameleon_sync_tables);
PG_FUNCTION_INFO_V1(chameleon_add_tables);
PG_FUNCTION_INFO_V1(chameleon_remove_tables);

/* ---------------------------------------------------------------------
 * Arguments
 * ---------------------------------------------------------------------
 */

/* The replica named by argument argno, or the only one of this database. */
ChameleonSource *
chameleon_api_source_arg(FunctionCallInfo fcinfo, int argno, const char *func)
{
	ChameleonSource *src;
	ChameleonPosition pos;

	if (PG_NARGS() > argno && !PG_ARGISNULL(argno))
		src = chameleon_source_named(text_to_cstring(PG_GETARG_TEXT_PP(argno)));
	else
	{
		List	   *all = chameleon_source_list();

		if (all == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("there is no replica in this database"),
					 errhint("Run chameleon.init_replica() first.")));
		if (list_length(all) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
					 errmsg("this database has %d replicas", list_length(all)),
					 errhint("Name the replica, e.g. chameleon.%s(tables, '%s').", func,
							 ((ChameleonSource *) linitial(all))->name)));
		src = linitial(all);
	}

	memset(&pos, 0, sizeof(pos));
	if (strcmp(src->state, "initialising") == 0 || strcmp(src->state, "detached") == 0 ||
		!chameleon_position_load(src->source_id, &pos))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replica \"%s\" is not initialised", src->name),
				 errdetail("Its state is \"%s\".", src->state),
				 errhint("Run chameleon.init_replica() first.")));
	return src;
}

/* The MySQL table names of the first argument (String nodes), without duplicates. */
List *
chameleon_api_tables_arg(FunctionCallInfo fcinfo)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *names = NIL;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the list of tables must not be null")));
	arr = PG_GETARG_ARRAYTYPE_P(0);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a table name must not be null")));
		name = TextDatumGetCString(elems[i]);
		if (name[0] == '\0' || strlen(name) >= NAMEDATALEN * 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("\"%s\" is not a valid table name", name),
					 errdetail("A name has 1 to %d bytes.", NAMEDATALEN * 2 - 1)));
		if (!list_member(names, makeString(name)))
			names = lappend(names, makeString(name));
	}
	if (names == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no table given")));
	return names;
}

static void
report_not_replicated(const ChameleonSource *src, const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_TABLE),
			 errmsg("table \"%s\" is not replicated by replica \"%s\"", name, src->name),
			 errhint("chameleon.tables lists the replicated tables; chameleon.add_tables() adds one.")));
}

/* sync_tables: every table is replicated (in any state but removed). */
static void
check_sync_request(const ChameleonSource *src, List *names)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		const char *name = strVal(lfirst(lc));
		char	   *state = chameleon_sync_table_state(src->source_id, name, false);

		if (state == NULL)
			report_not_replicated(src, name);
		chameleon_sync_check_table(CHAMELEON_SYNC_TABLES, src->name, name, state);
	}
}

/* add_tables: no table is replicated, and none is in the way in PostgreSQL. */
static void
check_add_request(const ChameleonSource *src, List *names)
{
	ChameleonConfig *cfg = chameleon_config_load(src->config_path);
	ListCell   *lc;

	foreach(lc, names)
	{
		const char *name = strVal(lfirst(lc));
		char	   *state = chameleon_sync_table_state(src->source_id, name, false);
		char	   *db,
				   *table;
		const char *schema;
		Oid			nsp;

		if (!chameleon_table_key_split(cfg, name, &db, &table))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("table \"%s\" is not in a database of replica \"%s\"", name, src->name),
					 errhint("The replica maps several databases: name tables as \"database.table\", with a database of schema_mappings.")));
		schema = chameleon_config_schema_of(cfg, db);
		nsp = get_namespace_oid(schema, true);
		if (!OidIsValid(nsp))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"%s\" of replica \"%s\" does not exist",
							schema, src->name),
					 errhint("Run chameleon.init_replica() again.")));
		if (chameleon_table_listed(cfg->skip_tables, name))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("table \"%s\" is in skip_tables of replica \"%s\"", name, src->name),
					 errhint("Remove it from skip_tables in \"%s\" to replicate it.",
							 cfg->path)));
		chameleon_sync_check_table(CHAMELEON_ADD_TABLES, src->name, name, state);
		/* a removed table's own PostgreSQL table is replaced; another is not */
		if (state == NULL && OidIsValid(get_relname_relid(table, nsp)))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("relation \"%s.%s\" already exists", schema, table),
					 errdetail("It is not a table of replica \"%s\".", src->name),
					 errhint("Drop or rename it, then add the table.")));
	}
}

/* ---------------------------------------------------------------------
 * sync_tables and add_tables: the sync worker
 * ---------------------------------------------------------------------
 */

/* Launch the sync worker for the request and wait until it has exited. */
static void
run_sync_worker(dsm_segment *seg, const ChameleonSource *src)
{
	BackgroundWorker bgw;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;

	chameleon_bgw_init(&bgw, "chameleon_sync_main", "pg_chameleon sync",
					   psprintf("pg_chameleon sync of replica %s", src->name));
	bgw.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));

	if (!RegisterDynamicBackgroundWorker(&bgw, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not register the pg_chameleon sync worker"),
				 errhint("Increase max_worker_processes (needs a server restart).")));
	status = WaitForBackgroundWorkerShutdown(handle);
	if (status == BGWH_POSTMASTER_DIED)
		ereport(FATAL,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("postmaster exited during chameleon.sync_tables()")));
}

/* Raise the worker's error, or return its summary. */
static text *
sync_result(ChameleonSyncShared *shared)
{
	pg_read_barrier();
	if (!shared->done)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("the pg_chameleon sync worker exited without a result"),
				 errdetail("Its tables stay in state syncing, with the slices it committed; their changes wait until they are copied."),
				 errhint("The server log says why. Call this function again to resume the copy (a server restart resumes it by itself).")));
	if (shared->failed)
		ereport(ERROR,
				(errcode(shared->sqlerrcode),
				 errmsg_internal("%s", shared->message),
				 shared->detail[0] ? errdetail_internal("%s", shared->detail) : 0,
				 shared->hint[0] ? errhint("%s", shared->hint) : 0));
	return cstring_to_text(shared->summary);
}

static Datum
sync_or_add(FunctionCallInfo fcinfo, ChameleonSyncMode mode)
{
	const char *func = mode == CHAMELEON_ADD_TABLES ? "add_tables" : "sync_tables";
	List	   *names;
	ChameleonSource *src;
	dsm_segment *seg;
	ChameleonSyncShared *shared;
	ListCell   *lc;
	text	   *result;

	/* the worker commits as it goes: a caller's rollback could not undo it */
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("chameleon.%s() cannot run inside a transaction block", func),
				 errhint("It commits its steps itself; call it on its own.")));
	names = chameleon_api_tables_arg(fcinfo);
	src = chameleon_api_source_arg(fcinfo, 1, func);
	if (mode == CHAMELEON_ADD_TABLES)
		check_add_request(src, names);
	else
		check_sync_request(src, names);

	seg = dsm_create(CHAMELEON_SYNC_SHARED_SIZE(list_length(names)), 0);
	shared = dsm_segment_address(seg);
	memset(shared, 0, CHAMELEON_SYNC_SHARED_SIZE(list_length(names)));
	shared->dboid = MyDatabaseId;
	shared->source_id = src->source_id;
	shared->mode = mode;
	shared->ntables = list_length(names);
	foreach(lc, names)
		strlcpy(chameleon_sync_table(shared, foreach_current_index(lc)), strVal(lfirst(lc)),
				CHAMELEON_SYNC_NAME_LEN);

	run_sync_worker(seg, src);
	result = sync_result(shared);
	dsm_detach(seg);
	PG_RETURN_TEXT_P(result);
}

/*
 * chameleon.sync_tables(tables text[], source text DEFAULT NULL) RETURNS text
 *
 * Copies replicated tables again (a table in error, or one to refresh)
 * while the replica streams the others, and brings them back into the
 * stream from the copy's binlog position.
 */
Datum
chameleon_sync_tables(PG_FUNCTION_ARGS)
{
	return sync_or_add(fcinfo, CHAMELEON_SYNC_TABLES);
}

/*
 * chameleon.add_tables(tables text[], source text DEFAULT NULL) RETURNS text
 *
 * Starts replicating tables of the MySQL database that are not replicated
 * (or were removed): creates, copies and streams them.
 */
Datum
chameleon_add_tables(PG_FUNCTION_ARGS)
{
	return sync_or_add(fcinfo, CHAMELEON_ADD_TABLES);
}

/* ---------------------------------------------------------------------
 * remove_tables
 * ---------------------------------------------------------------------
 */

/* Stop the source's apply worker (if any); true if one was stopped. */
static bool
stop_apply_worker(int32 source_id)
{
	bool		stopped = false;

	while (chameleon_worker_stop(MyDatabaseId, source_id))
		stopped = true;
	return stopped;
}

/*
 * chameleon.remove_tables(tables text[], source text DEFAULT NULL) RETURNS text
 *
 * The tables become "removed": the apply worker is stopped at a
 * transaction boundary and started again, and from then on skips their
 * rows.  The PostgreSQL tables are kept as they are.
 */
Datum
chameleon_remove_tables(PG_FUNCTION_ARGS)
{
	List	   *names = chameleon_api_tables_arg(fcinfo);
	ChameleonSource *src = chameleon_api_source_arg(fcinfo, 1, "remove_tables");
	List	   *todo = NIL;
	ListCell   *lc;
	bool		stopped;

	chameleon_sync_lock(src->name, src->source_id, false);
	foreach(lc, names)
	{
		const char *name = strVal(lfirst(lc));
		char	   *state = chameleon_sync_table_state(src->source_id, name, false);

		if (state == NULL)
			report_not_replicated(src, name);
		if (strcmp(state, "removed") == 0)
			ereport(NOTICE,
					(errmsg("table \"%s\" is already removed from replica \"%s\"",
							name, src->name)));
		else
			todo = lappend(todo, (char *) name);
	}
	if (todo == NIL)
		PG_RETURN_TEXT_P(cstring_to_text("no table removed"));

	/* the worker restarted below reads its row FOR SHARE: it sees the change */
	stopped = stop_apply_worker(src->source_id);
	(void) chameleon_source_lock(src->source_id);
	stopped = stop_apply_worker(src->source_id) || stopped;
	foreach(lc, todo)
	{
		char	   *pg_schema;
		char	   *pg_table;

		chameleon_catalog_table_set_state(src->source_id, (char *) lfirst(lc), "removed", NULL);
		/* no longer replicated: writable again */
		if (chameleon_catalog_get_table(src->source_id, lfirst(lc), &pg_schema, &pg_table))
			chameleon_unguard_table(pg_schema, pg_table);
	}
	if (stopped)
		(void) chameleon_worker_start(MyDatabaseId, src->source_id);

	PG_RETURN_TEXT_P(cstring_to_text(psprintf("removed %d table%s from replica \"%s\"; %s PostgreSQL table%s kept",
											  list_length(todo), list_length(todo) == 1 ? "" : "s",
											  src->name, list_length(todo) == 1 ? "its" : "their",
											  list_length(todo) == 1 ? " is" : "s are")));
}
