/*
 * position.c -- exactly-once bookkeeping: the resume position
 * (sch_chameleon.t_replica_batch, written only here) and the replication
 * origin of each source.  See position.h.
 */
#include "postgres.h"

#include <ctype.h>

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "replication/slot.h"
#include "replication/origin.h"
#include "storage/lmgr.h"
#include "catalog/pg_replication_origin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "position.h"
#include "spi_util.h"
#include "subxact.h"
#include "worker.h"

/* The UPDATE of t_replica_batch, prepared once per worker and kept. */
static SPIPlanPtr save_position_plan = NULL;

/* Text column of the current SPI result as a string in the caller's
 * context (SPI_palloc), or NULL. */
static char *
spi_text(HeapTuple tup, int col)
{
	char	   *v = SPI_getvalue(tup, SPI_tuptable->tupdesc, col);
	char	   *copy;

	if (v == NULL)
		return NULL;
	copy = SPI_palloc(strlen(v) + 1);
	strcpy(copy, v);
	return copy;
}

bool
chameleon_position_load(int32 source_id, ChameleonPosition *pos)
{
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);
	bool		found;
	int			ret;

	chameleon_spi_connect();
	ret = SPI_execute_with_args("SELECT binlog_file, binlog_position, gtid, event_time, batch_id"
								" FROM sch_chameleon.t_replica_batch WHERE source_id = $1",
								1, &type, &value, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read sch_chameleon.t_replica_batch: %s",
			 SPI_result_code_string(ret));
	found = SPI_processed > 0;
	if (found)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		pos->file = spi_text(tup, 1);
		pos->pos = (uint64) DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		pos->gtid = spi_text(tup, 3);
		d = SPI_getbinval(tup, desc, 4, &isnull);
		pos->event_time = isnull ? 0 : DatumGetTimestampTz(d);
		pos->batch_id = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
	}
	SPI_finish();
	return found;
}

/* A t_replica_batch statement with ($1 source, $2 file, $3 offset, $4 gtid). */
static uint64
position_write(const char *sql, int expected, int32 source_id, const char *file, int64 pos,
			   const char *gtid)
{
	Oid			types[4] = {INT4OID, TEXTOID, INT8OID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(file);
	values[2] = Int64GetDatum(pos);
	values[3] = chameleon_spi_text_arg(gtid, &nulls[3]);
	return chameleon_spi_run_once(sql, 4, types, values, nulls, expected,
								  "write sch_chameleon.t_replica_batch");
}

void
chameleon_position_set(int32 source_id, const char *file, int64 pos, const char *gtid)
{
	position_write("INSERT INTO sch_chameleon.t_replica_batch "
				   "(source_id, binlog_file, binlog_position, gtid) "
				   "VALUES ($1, $2, $3, $4) "
				   "ON CONFLICT (source_id) DO UPDATE SET "
				   "binlog_file = EXCLUDED.binlog_file, "
				   "binlog_position = EXCLUDED.binlog_position, "
				   "gtid = EXCLUDED.gtid, event_time = NULL, applied_at = now()",
				   SPI_OK_INSERT, source_id, file, pos, gtid);
}

void
chameleon_position_rewind(int32 source_id, const char *file, int64 pos, const char *gtid)
{
	if (position_write("UPDATE sch_chameleon.t_replica_batch"
					   " SET binlog_file = $2, binlog_position = $3, gtid = $4,"
					   " batch_id = batch_id + 1, applied_at = now()"
					   " WHERE source_id = $1",
					   SPI_OK_UPDATE, source_id, file, pos, gtid) != 1)
		elog(ERROR, "source %d has no t_replica_batch row", (int) source_id);
}

static void
prepare_save_plan(void)
{
	Oid			types[5] = {INT4OID, TEXTOID, INT8OID, TEXTOID, TIMESTAMPTZOID};
	SPIPlanPtr	plan;

	plan = SPI_prepare("UPDATE sch_chameleon.t_replica_batch"
					   " SET binlog_file = $2, binlog_position = $3, gtid = $4,"
					   " event_time = COALESCE($5, event_time),"
					   " batch_id = batch_id + 1, applied_at = now()"
					   " WHERE source_id = $1",
					   5, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare the position update: %s",
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	save_position_plan = plan;
}

void
chameleon_position_save(int32 source_id, const ChameleonPosition *pos)
{
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int			ret;

	chameleon_spi_connect();
	if (save_position_plan == NULL)
		prepare_save_plan();

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(pos->file);
	values[2] = Int64GetDatum((int64) pos->pos);
	if (pos->gtid != NULL)
		values[3] = CStringGetTextDatum(pos->gtid);
	else
		nulls[3] = 'n';
	if (pos->event_time != 0)
		values[4] = TimestampTzGetDatum(pos->event_time);
	else
		nulls[4] = 'n';

	ret = SPI_execute_plan(save_position_plan, values, nulls, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "could not update sch_chameleon.t_replica_batch: %s",
			 SPI_result_code_string(ret));
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replica source %d has no applied position", source_id),
				 errdetail("sch_chameleon.t_replica_batch has no row for it."),
				 errhint("Run chameleon.init_replica() again.")));
	SPI_finish();

	/* the commit that follows advances the origin to the same position */
	if (replorigin_session_origin != InvalidRepOriginId)
	{
		replorigin_session_origin_lsn = chameleon_origin_lsn(pos->file, pos->pos);
		replorigin_session_origin_timestamp = pos->event_time;
	}
}

/* ---------------------------------------------------------------------
 * Replication origin
 * ---------------------------------------------------------------------
 */

void
chameleon_origin_name(Oid dboid, int32 source_id, char *buf, size_t size)
{
	snprintf(buf, size, "pg_chameleon_%u_%d", dboid, (int) source_id);
}

/*
 * Pack a binlog position into an origin LSN: the number after the last dot
 * of the file name (mariadb-bin.000042 -> 42) in the high 32 bits, the
 * offset in the low 32 bits (event positions are 32-bit in the binlog
 * format, so it fits; a larger value saturates).  It only has to grow with
 * the position, which it does as long as file numbers grow.
 */
XLogRecPtr
chameleon_origin_lsn(const char *file, uint64 pos)
{
	const char *dot = file ? strrchr(file, '.') : NULL;
	uint64		number = 0;

	if (dot != NULL)
	{
		for (const char *p = dot + 1; *p && isdigit((unsigned char) *p); p++)
			number = Min(number * 10 + (*p - '0'), (uint64) PG_UINT32_MAX);
	}
	return (XLogRecPtr) ((number << 32) | Min(pos, (uint64) PG_UINT32_MAX));
}

RepOriginId
chameleon_origin_ensure(Oid dboid, int32 source_id)
{
	char		name[NAMEDATALEN * 2];
	RepOriginId origin;

	chameleon_origin_name(dboid, source_id, name, sizeof(name));
	origin = replorigin_by_name(name, true);
	if (origin == InvalidRepOriginId)
		origin = replorigin_create(name);
	return origin;
}

int
chameleon_origin_slots_used(Oid dboid, int32 source_id, bool *have_own)
{
	Oid			save_userid;
	int			save_sec;
	volatile int used = 0;
	volatile bool own = false;
	char		name[NAMEDATALEN * 2];

	name[0] = '\0';
	if (source_id != 0)
		chameleon_origin_name(dboid, source_id, name, sizeof(name));
	/* pg_replication_origin_status is for superusers */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		Oid			type = TEXTOID;
		Datum		value = CStringGetTextDatum(name);

		chameleon_spi_connect();
		if (chameleon_spi_run("SELECT pg_catalog.count(*)::int4,"
							  " pg_catalog.bool_or(external_id OPERATOR(pg_catalog.=) $1)"
							  " FROM pg_catalog.pg_replication_origin_status",
							  1, &type, &value, NULL, true, 1, SPI_OK_SELECT,
							  "read pg_replication_origin_status") == 1)
		{
			bool		isnull;

			used = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			own = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)) &&
				!isnull;
		}
		SPI_finish();
	}
	PG_CATCH();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
		PG_RE_THROW();
	}
	PG_END_TRY();
	SetUserIdAndSecContext(save_userid, save_sec);
	if (have_own)
		*have_own = own;
	return used;
}

void
chameleon_origin_require_slot(Oid dboid, int32 source_id, const char *action)
{
	bool		have_own = false;
	int			used = chameleon_origin_slots_used(dboid, source_id, &have_own);

	if (have_own || used < max_replication_slots)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg("cannot %s: every replication origin slot is in use", action),
			 errdetail("%d of max_replication_slots %d hold a replication origin (pg_replication_origin_status); the replica needs one for its own.",
					   used, max_replication_slots),
			 errhint("Raise max_replication_slots above %d in postgresql.conf (a server restart is needed), or drop unused origins (chameleon.drop_replica, pg_replication_origin_drop).",
					 used)));
}

void
chameleon_origin_set(Oid dboid, int32 source_id, const char *file, uint64 pos)
{
	RepOriginId origin = chameleon_origin_ensure(dboid, source_id);

	/* as pg_replication_origin_advance does */
	LockRelationOid(ReplicationOriginRelationId, RowExclusiveLock);
	replorigin_advance(origin, chameleon_origin_lsn(file, pos), InvalidXLogRecPtr,
					   true /* go backward */ , true /* WAL log */ );
}

void
chameleon_origin_drop(Oid dboid, int32 source_id)
{
	char		name[NAMEDATALEN * 2];

	chameleon_origin_name(dboid, source_id, name, sizeof(name));
	replorigin_drop_by_name(name, true, false);
}

/* How long init_replica(force) waits for an exiting worker to release the origin. */
#define ORIGIN_DROP_WAIT_MS		10000

/* Drop the origin named by arg, for chameleon_run_in_subxact_while_in_use(). */
static void
origin_drop_once(void *arg)
{
	replorigin_drop_by_name((const char *) arg, true, true);
}

/*
 * init_replica(force) replaces a replica: its origin goes with it (the new
 * source gets a new id, hence a new origin).  A worker just stopped may not
 * have released the origin yet: wait for that; one still running is an error.
 */
void
chameleon_origin_drop_released(Oid dboid, int32 source_id, const char *source_name)
{
	char		name[NAMEDATALEN * 2];
	ErrorData  *edata;
	pid_t		pid;

	chameleon_origin_name(dboid, source_id, name, sizeof(name));
	/* a running worker keeps it: no use waiting */
	if (chameleon_worker_is_running(dboid, source_id, &pid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("the replication origin of replica \"%s\" is in use", source_name),
				 errdetail("The replica's apply worker (PID %d) is running.", (int) pid),
				 errhint("Stop the replica with chameleon.stop_replica() before init_replica(force => true).")));
	edata = chameleon_run_in_subxact_while_in_use(origin_drop_once, name, ORIGIN_DROP_WAIT_MS);
	if (edata == NULL)
		return;
	if (edata->sqlerrcode != ERRCODE_OBJECT_IN_USE)
		ReThrowError(edata);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_IN_USE),
			 errmsg("the replication origin of replica \"%s\" is in use", source_name),
			 errdetail("Origin \"%s\" was not released within %d ms.", name,
					   ORIGIN_DROP_WAIT_MS),
			 errhint("Stop the replica with chameleon.stop_replica() before init_replica(force => true).")));
}
