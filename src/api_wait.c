/*
 * api_wait.c -- read-your-writes: chameleon.wait_for_source_position() and
 * chameleon.wait_for_source_gtid().
 *
 * An application that wrote to MySQL (and read SHOW MASTER STATUS, or
 * @@gtid_binlog_pos / @@gtid_executed) waits until the replica has applied
 * and committed everything up to that point before it reads PostgreSQL.
 * The applied position is the committed one: the worker reports it in its
 * shared slot after each commit (slots.c); with no worker running, the one
 * in t_replica_batch.  The wait sleeps on the latch, 10 ms at a time.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "api.h"
#include "binlog.h"
#include "gtid_mysql.h"
#include "position.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(chameleon_wait_for_source_position);
PG_FUNCTION_INFO_V1(chameleon_wait_for_source_gtid);

#define WAIT_NAP_MS		10

/* The committed applied position of src (file, pos, gtid); false if none. */
static bool
applied_position(const ChameleonSource *src, char **file, uint64 *pos, char **gtid)
{
	int			n;
	ChameleonSlotView *slots = chameleon_slots_snapshot(MyDatabaseId, &n);
	ChameleonPosition p;

	for (int i = 0; i < n; i++)
		if (slots[i].slot.source_id == src->source_id && slots[i].slot.applied_file[0])
		{
			*file = pstrdup(slots[i].slot.applied_file);
			*pos = slots[i].slot.applied_pos;
			*gtid = slots[i].slot.applied_gtid[0] ? pstrdup(slots[i].slot.applied_gtid) : NULL;
			return true;
		}
	memset(&p, 0, sizeof(p));
	if (!chameleon_position_load(src->source_id, &p))
		return false;
	*file = p.file;
	*pos = p.pos;
	*gtid = p.gtid;
	return true;
}

/* MariaDB: every domain-server-seq of want has a seq at most the applied one of its domain. */
static bool
mariadb_gtid_covered(const char *applied, const char *want)
{
	char	   *w = pstrdup(want);
	char	   *save = NULL;

	for (char *g = strtok_r(w, ",", &save); g; g = strtok_r(NULL, ",", &save))
	{
		unsigned long domain;
		unsigned long server;
		unsigned long long seq;
		bool		found = false;
		char	   *a;
		char	   *asave = NULL;

		while (*g == ' ')
			g++;
		if (sscanf(g, "%lu-%lu-%llu", &domain, &server, &seq) != 3)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid MariaDB GTID \"%s\"", g),
					 errhint("A MariaDB GTID is domain-server-sequence, e.g. 0-1-42 (@@gtid_binlog_pos); several are separated by commas.")));
		if (applied == NULL)
			return false;
		a = pstrdup(applied);
		for (char *h = strtok_r(a, ",", &asave); h; h = strtok_r(NULL, ",", &asave))
		{
			unsigned long d;
			unsigned long s;
			unsigned long long q;

			while (*h == ' ')
				h++;
			if (sscanf(h, "%lu-%lu-%llu", &d, &s, &q) == 3 && d == domain)
				found = q >= seq;
		}
		if (!found)
			return false;
	}
	return true;
}

/* MySQL: every transaction of want is in the applied executed set. */
static bool
mysql_gtid_covered(const char *applied, const char *want)
{
	ChameleonGtidSet *w = chameleon_gtid_set_parse(want);
	ChameleonGtidSet *a;

	if (applied == NULL)
		return w->nsids == 0;
	a = chameleon_gtid_set_parse(applied);
	for (int i = 0; i < w->nsids; i++)
	{
		const ChameleonGtidSid *ws = &w->sids[i];
		const ChameleonGtidSid *as = NULL;

		for (int j = 0; j < a->nsids; j++)
			if (memcmp(a->sids[j].uuid, ws->uuid, 16) == 0)
				as = &a->sids[j];
		for (int k = 0; k < ws->nintervals; k++)
		{
			bool		inside = false;

			for (int m = 0; as != NULL && m < as->nintervals; m++)
				inside |= as->intervals[m].start <= ws->intervals[k].start &&
					ws->intervals[k].end <= as->intervals[m].end;
			if (!inside)
				return false;
		}
	}
	return true;
}

typedef struct WaitTarget
{
	const char *file;			/* a binlog position ... */
	uint64		pos;
	const char *gtid;			/* ... or a GTID */
	bool		mysql_gtid;
} WaitTarget;

static bool
reached(const ChameleonSource *src, const WaitTarget *t)
{
	char	   *file;
	uint64		pos;
	char	   *gtid;

	if (!applied_position(src, &file, &pos, &gtid))
		return false;
	if (t->gtid == NULL)
		return chameleon_binlog_position_cmp(file, pos, t->file, t->pos) >= 0;
	return t->mysql_gtid ? mysql_gtid_covered(gtid, t->gtid) : mariadb_gtid_covered(gtid, t->gtid);
}

/* Wait until t is applied or timeout seconds passed (0: look once). */
static bool
wait_for(const ChameleonSource *src, const WaitTarget *t, double timeout)
{
	TimestampTz until;

	if (timeout < 0 || isnan(timeout))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must be zero or more seconds")));
	until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), (int64) (Min(timeout, 86400.0 * 365) * 1000));
	for (;;)
	{
		if (reached(src, t))
			return true;
		if (GetCurrentTimestamp() >= until)
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, WAIT_NAP_MS,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * chameleon.wait_for_source_position(file text, pos bigint,
 *     timeout double precision DEFAULT 10, source text DEFAULT NULL) RETURNS boolean
 */
Datum
chameleon_wait_for_source_position(PG_FUNCTION_ARGS)
{
	WaitTarget	t = {0};
	ChameleonSource *src;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("file, position and timeout must not be null")));
	t.file = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (PG_GETARG_INT64(1) < 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("binlog position " INT64_FORMAT " is out of range", PG_GETARG_INT64(1)),
				 errhint("Binlog positions start at 4 (SHOW MASTER STATUS gives one).")));
	t.pos = (uint64) PG_GETARG_INT64(1);
	src = chameleon_api_source_arg(fcinfo, 3, "wait_for_source_position");
	PG_RETURN_BOOL(wait_for(src, &t, PG_GETARG_FLOAT8(2)));
}

/*
 * chameleon.wait_for_source_gtid(gtid text, timeout double precision DEFAULT 10,
 *     source text DEFAULT NULL) RETURNS boolean
 */
Datum
chameleon_wait_for_source_gtid(PG_FUNCTION_ARGS)
{
	WaitTarget	t = {0};
	ChameleonSource *src;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("gtid and timeout must not be null")));
	t.gtid = text_to_cstring(PG_GETARG_TEXT_PP(0));
	t.mysql_gtid = chameleon_gtid_text_is_mysql(t.gtid);
	if (t.mysql_gtid)
		(void) chameleon_gtid_set_parse(t.gtid);	/* an ERROR when malformed */
	src = chameleon_api_source_arg(fcinfo, 2, "wait_for_source_gtid");
	PG_RETURN_BOOL(wait_for(src, &t, PG_GETARG_FLOAT8(1)));
}
