/*
 * api_drop.c -- chameleon.drop_replica(): forget a replica.
 *
 * Removes a replica's state (its t_sources row and everything that belongs
 * to it: the resume position, tables, shapes, foreign keys, copy plan,
 * errors, DDL log) and its replication origin, so that the functions that
 * take an optional replica name need not name the replicas that remain.
 * The PostgreSQL tables stay.  Refused while its apply worker, a copy or a
 * sync runs.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"

#include "api.h"
#include "catalog.h"
#include "copy.h"
#include "position.h"
#include "sync.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(chameleon_drop_replica);

/*
 * chameleon.drop_replica(source text) RETURNS text
 */
Datum
chameleon_drop_replica(PG_FUNCTION_ARGS)
{
	ChameleonSource *src;
	pid_t		pid = 0;
	char	   *summary;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name the replica to drop"),
				 errhint("chameleon.status lists them.")));
	src = chameleon_source_named(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	(void) chameleon_source_lock(src->source_id);
	if (chameleon_worker_is_running(MyDatabaseId, src->source_id, &pid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("replica \"%s\" is running", src->name),
				 pid ? errdetail("Its apply worker has PID %d.", (int) pid) :
				 errdetail("Its apply worker is starting or waits to be restarted."),
				 errhint("Stop it first: SELECT chameleon.stop_replica('%s');", src->name)));
	if (!chameleon_copy_lock(src->name, false))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("init_replica is copying replica \"%s\"", src->name),
				 errhint("Stop the copy first: pg_terminate_backend() of its \"pg_chameleon copy\" process.")));
	chameleon_copy_unlock(src->name);
	/* a sync holds this lock for its whole run; ours goes with the transaction */
	chameleon_sync_lock(src->name, src->source_id, false);

	chameleon_source_delete(src->source_id);
	chameleon_origin_drop(MyDatabaseId, src->source_id);
	summary = psprintf("dropped replica \"%s\": its state and its replication origin; the tables of schema \"%s\" are kept",
					   src->name, src->pg_schema);
	ereport(LOG,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon: %s", summary)));
	PG_RETURN_TEXT_P(cstring_to_text(summary));
}
