/*
 * apply_window.c -- the end of a copy's replay window.
 *
 * A table read in slices at several binlog positions has a replay window
 * (t_replica_tables.snapshot..replay, see apply_relation.c): its row events
 * there are applied idempotently, and its unique indexes other than the
 * primary key were not built by the copy (slices taken at different
 * instants may hold one unique value twice until the window is replayed;
 * copy_worker.c).  Once a batch that ends at or after the table's replay
 * position commits, the table equals the source at that position: its
 * deferred unique indexes are built in that batch's transaction and the
 * window is forgotten.  An index PostgreSQL cannot build (the values are not
 * unique after all, a DDL statement in the window changed the columns, a
 * key too large) is a WARNING and a row in t_errors: the replica goes on.
 */
#include "postgres.h"

#include "utils/elog.h"

#include "apply_int.h"
#include "binlog.h"
#include "catalog.h"
#include "schema.h"
#include "subxact.h"

static int32 WindowSource;
static const char *WindowFile;
static uint64 WindowPos;

static void
build_deferred_index(ChameleonApplyTarget *t, char *sql)
{
	ErrorData  *edata = chameleon_run_in_subxact(chameleon_run_sql_cb, sql);
	ChameleonLogWhere where = {WindowFile, WindowPos, NULL};

	if (edata == NULL)
		return;
	if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_CONNECTION_EXCEPTION ||
		edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
		ReThrowError(edata);
	chameleon_catalog_add_error(WindowSource, &where, t->mysql_table, "create index",
								NULL, psprintf("%s: %s", sql, edata->message),
								unpack_sql_state(edata->sqlerrcode));
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("pg_chameleon: a unique index of table %s could not be built after its copy",
					t->mysql_table),
			 errdetail("%s: %s", sql, edata->message),
			 errhint("The statement is in chameleon.errors; create a suitable index by hand.")));
}

static void
end_window_if_passed(ChameleonApplyTarget *t)
{
	ListCell   *lc;

	if (t->replay_file == NULL || t->in_error ||
		chameleon_binlog_position_cmp(WindowFile, WindowPos, t->replay_file, t->replay_pos) < 0)
		return;
	foreach(lc, t->deferred_indexes)
		build_deferred_index(t, lfirst(lc));
	chameleon_catalog_table_window_passed(WindowSource, t->mysql_table);
	t->deferred_indexes = NIL;
	t->replay_file = NULL;
}

void
chameleon_apply_window_end(int32 source_id, const char *file, uint64 pos)
{
	if (file == NULL)
		return;
	WindowSource = source_id;
	WindowFile = file;
	WindowPos = pos;
	chameleon_relmap_foreach_target(end_window_if_passed);
	WindowFile = NULL;
}
