/*
 * catalog_copy.c -- sch_chameleon.t_copy_ranges and t_copy_slices (see
 * catalog.h): the plan of a sliced copy and what each committed slice
 * covered.  The only module that reads or writes them.  Its writers'
 * reasons: the copy leader plans the ranges and gives back the ranges of a
 * dead copy worker; a copy worker claims a range, records each slice in
 * the transaction that commits its rows, and closes the range.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "spi_util.h"

#define WHAT_READ	"read sch_chameleon.t_copy_ranges"
#define WHAT_WRITE	"write sch_chameleon.t_copy_ranges"

/* (length(f), f, p) orders binlog positions as chameleon_binlog_position_cmp does. */
#define POS_BEFORE(f1, p1, f2, p2) \
	"(pg_catalog.length(" f1 "), " f1 ", " p1 ") < (pg_catalog.length(" f2 "), " f2 ", " p2 ")"

void
chameleon_copy_range_add(int32 source_id, const char *mysql_table, int range_no,
						 const char *lower_key, const char *upper_key, int64 rows_estimated)
{
	Oid			types[6] = {INT4OID, TEXTOID, INT4OID, TEXTOID, TEXTOID, INT8OID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(mysql_table);
	values[2] = Int32GetDatum(range_no);
	values[3] = chameleon_spi_text_arg(lower_key, &nulls[3]);
	values[4] = chameleon_spi_text_arg(upper_key, &nulls[4]);
	values[5] = Int64GetDatum(rows_estimated);
	chameleon_spi_run_once("INSERT INTO sch_chameleon.t_copy_ranges"
						   " (source_id, mysql_table, range_no, lower_key, upper_key, rows_estimated)"
						   " VALUES ($1, $2, $3, $4, $5, $6)",
						   6, types, values, nulls, SPI_OK_INSERT, WHAT_WRITE);
}

/* Row i of a SELECT of RANGE_COLUMNS as a ChameleonCopyRange in cxt. */
#define RANGE_COLUMNS "mysql_table, range_no, lower_key, upper_key, last_key," \
	" rows_copied, slices, rows_estimated"

static ChameleonCopyRange *
range_from_row(uint64 i, MemoryContext cxt)
{
	ChameleonCopyRange *r = MemoryContextAllocZero(cxt, sizeof(ChameleonCopyRange));
	char	   *v;

	r->mysql_table = chameleon_spi_text(i, 1, cxt);
	r->range_no = atoi(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
	r->lower_key = chameleon_spi_text(i, 3, cxt);
	r->upper_key = chameleon_spi_text(i, 4, cxt);
	r->last_key = chameleon_spi_text_list(i, 5, cxt);
	v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 6);
	r->rows_copied = strtoi64(v, NULL, 10);
	v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 7);
	r->slices = atoi(v);
	v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 8);
	r->rows_estimated = strtoi64(v, NULL, 10);
	return r;
}

ChameleonCopyRange *
chameleon_copy_range_claim(int32 source_id, int worker_pid, List *tables)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[3] = {INT4OID, INT4OID, TEXTARRAYOID};
	Datum		values[3] = {Int32GetDatum(source_id), Int32GetDatum(worker_pid),
	chameleon_spi_text_array(tables)};
	char		nulls[3] = {' ', ' ', tables == NIL ? 'n' : ' '};
	ChameleonCopyRange *r = NULL;

	chameleon_spi_connect();
	/* the biggest first: the last ranges to finish are small ones */
	/* a row subquery: evaluated once (a join could rescan it and take several) */
	if (chameleon_spi_run("UPDATE sch_chameleon.t_copy_ranges"
						  " SET state = 'copying', worker_pid = $2,"
						  " started_at = coalesce(started_at, pg_catalog.now())"
						  " WHERE (source_id, mysql_table, range_no) ="
						  " (SELECT source_id, mysql_table, range_no FROM sch_chameleon.t_copy_ranges"
						  "  WHERE source_id = $1 AND state = 'pending'"
						  "  AND ($3::pg_catalog.text[] IS NULL OR mysql_table = ANY ($3))"
						  "  ORDER BY rows_estimated - rows_copied DESC, mysql_table, range_no"
						  "  LIMIT 1 FOR UPDATE SKIP LOCKED)"
						  " RETURNING " RANGE_COLUMNS,
						  3, types, values, nulls, false, 0, SPI_OK_UPDATE_RETURNING,
						  WHAT_WRITE) > 0)
		r = range_from_row(0, caller);
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return r;
}

void
chameleon_copy_slice_record(int32 source_id, const ChameleonCopyRange *r,
							const ChameleonCopySlice *s)
{
	Oid			types[11] = {INT4OID, TEXTOID, INT4OID, INT4OID, TEXTARRAYOID, TEXTARRAYOID,
	INT8OID, TEXTOID, INT8OID, TEXTOID, INT8OID};
	Datum		values[11];
	char		nulls[11];
	Oid			rtypes[8] = {INT4OID, TEXTOID, INT4OID, TEXTARRAYOID, INT8OID, TEXTOID, INT8OID,
	TEXTOID};
	Datum		rvalues[8];
	char		rnulls[8];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(r->mysql_table);
	values[2] = Int32GetDatum(r->range_no);
	values[3] = Int32GetDatum(r->slices + 1);
	values[4] = chameleon_spi_text_array(r->last_key);
	nulls[4] = r->last_key == NIL ? 'n' : ' ';
	values[5] = chameleon_spi_text_array(s->last_key);
	nulls[5] = s->last_key == NIL ? 'n' : ' ';
	values[6] = Int64GetDatum(s->rows);
	values[7] = chameleon_spi_text_arg(s->low_file, &nulls[7]);
	values[8] = Int64GetDatum(s->low_position);
	values[9] = chameleon_spi_text_arg(s->high_file, &nulls[9]);
	values[10] = Int64GetDatum(s->high_position);
	chameleon_spi_run_once("INSERT INTO sch_chameleon.t_copy_slices"
						   " (source_id, mysql_table, range_no, slice_no, first_key, last_key,"
						   "  rows_copied, low_file, low_position, high_file, high_position)"
						   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
						   11, types, values, nulls, SPI_OK_INSERT, WHAT_WRITE);

	/* the range: resume point, counters, the window of its slices so far */
	memset(rnulls, ' ', sizeof(rnulls));
	rvalues[0] = Int32GetDatum(source_id);
	rvalues[1] = CStringGetTextDatum(r->mysql_table);
	rvalues[2] = Int32GetDatum(r->range_no);
	rvalues[3] = chameleon_spi_text_array(s->last_key != NIL ? s->last_key : r->last_key);
	rnulls[3] = (s->last_key == NIL && r->last_key == NIL) ? 'n' : ' ';
	rvalues[4] = Int64GetDatum(s->rows);
	rvalues[5] = chameleon_spi_text_arg(s->low_file, &rnulls[5]);
	rvalues[6] = Int64GetDatum(s->low_position);
	rvalues[7] = chameleon_spi_text_arg(s->low_gtid, &rnulls[7]);
	if (s->low_file == NULL)
		rnulls[6] = 'n';
	if (chameleon_spi_run_once("UPDATE sch_chameleon.t_copy_ranges r SET"
						   " last_key = $4, rows_copied = r.rows_copied + $5, slices = r.slices + 1,"
						   " low_file = CASE WHEN r.low_file IS NULL OR "
						   POS_BEFORE("$6", "$7", "r.low_file", "r.low_position")
						   " THEN $6 ELSE r.low_file END,"
						   " low_gtid = CASE WHEN r.low_file IS NULL OR "
						   POS_BEFORE("$6", "$7", "r.low_file", "r.low_position")
						   " THEN $8 ELSE r.low_gtid END,"
						   " low_position = CASE WHEN r.low_file IS NULL OR "
						   POS_BEFORE("$6", "$7", "r.low_file", "r.low_position")
						   " THEN $7 ELSE r.low_position END"
						   " WHERE source_id = $1 AND mysql_table = $2 AND range_no = $3"
						   " AND state = 'copying' AND worker_pid = pg_catalog.pg_backend_pid()",
						   8, rtypes, rvalues, rnulls, SPI_OK_UPDATE, WHAT_WRITE) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("range %d of table \"%s\" is no longer this copy worker's",
						r->range_no, r->mysql_table),
				 errdetail("Its slice is not kept: another worker copies the range.")));
	if (s->high_file != NULL)
	{
		Oid			htypes[5] = {INT4OID, TEXTOID, INT4OID, TEXTOID, INT8OID};
		Datum		hvalues[5] = {rvalues[0], rvalues[1], rvalues[2],
			CStringGetTextDatum(s->high_file), Int64GetDatum(s->high_position)};

		chameleon_spi_run_once("UPDATE sch_chameleon.t_copy_ranges r SET"
							   " high_file = $4, high_position = $5"
							   " WHERE source_id = $1 AND mysql_table = $2 AND range_no = $3"
							   " AND (r.high_file IS NULL OR "
							   POS_BEFORE("r.high_file", "r.high_position", "$4", "$5") ")",
							   5, htypes, hvalues, NULL, SPI_OK_UPDATE, WHAT_WRITE);
	}
}

void
chameleon_copy_range_finish(int32 source_id, const char *mysql_table, int range_no)
{
	Oid			types[3] = {INT4OID, TEXTOID, INT4OID};
	Datum		values[3] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table),
	Int32GetDatum(range_no)};

	chameleon_spi_run_once("UPDATE sch_chameleon.t_copy_ranges SET state = 'done',"
						   " worker_pid = NULL, finished_at = pg_catalog.now()"
						   " WHERE source_id = $1 AND mysql_table = $2 AND range_no = $3",
						   3, types, values, NULL, SPI_OK_UPDATE, WHAT_WRITE);
}

void
chameleon_copy_table_failed(int32 source_id, const char *mysql_table)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};

	chameleon_spi_run_once("UPDATE sch_chameleon.t_copy_ranges SET state = 'failed',"
						   " worker_pid = NULL, finished_at = pg_catalog.now()"
						   " WHERE source_id = $1 AND mysql_table = $2",
						   2, types, values, NULL, SPI_OK_UPDATE, WHAT_WRITE);
	chameleon_spi_run_once("DELETE FROM sch_chameleon.t_copy_slices"
						   " WHERE source_id = $1 AND mysql_table = $2",
						   2, types, values, NULL, SPI_OK_DELETE, WHAT_WRITE);
}

void
chameleon_copy_ranges_release(int32 source_id, int worker_pid)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2] = {Int32GetDatum(source_id), Int32GetDatum(worker_pid)};

	/* worker_pid 0: every range in flight (no copy worker runs) */
	chameleon_spi_run_once("UPDATE sch_chameleon.t_copy_ranges SET state = 'pending',"
						   " worker_pid = NULL"
						   " WHERE source_id = $1 AND state = 'copying'"
						   " AND ($2 = 0 OR worker_pid = $2)",
						   2, types, values, NULL, SPI_OK_UPDATE, WHAT_WRITE);
}

void
chameleon_copy_ranges_lock(int32 source_id, const char *mysql_table)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};

	chameleon_spi_run_once("SELECT 1 FROM sch_chameleon.t_copy_ranges"
						   " WHERE source_id = $1 AND mysql_table = $2 ORDER BY range_no FOR UPDATE",
						   2, types, values, NULL, SPI_OK_SELECT, WHAT_READ);
}

bool
chameleon_copy_table_window(int32 source_id, const char *mysql_table, ChameleonCopyWindow *w)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};
	bool		complete = false;

	memset(w, 0, sizeof(*w));
	chameleon_spi_connect();
	if (chameleon_spi_run("SELECT pg_catalog.bool_and(state = 'done'), pg_catalog.sum(rows_copied),"
						  " (SELECT low_file || ' ' || low_position FROM sch_chameleon.t_copy_ranges l"
						  "  WHERE l.source_id = $1 AND l.mysql_table = $2 AND l.low_file IS NOT NULL"
						  "  ORDER BY pg_catalog.length(low_file), low_file, low_position LIMIT 1),"
						  " (SELECT high_file || ' ' || high_position FROM sch_chameleon.t_copy_ranges h"
						  "  WHERE h.source_id = $1 AND h.mysql_table = $2 AND h.high_file IS NOT NULL"
						  "  ORDER BY pg_catalog.length(high_file) DESC, high_file DESC,"
						  "  high_position DESC LIMIT 1),"
						  " EXTRACT(epoch FROM pg_catalog.max(finished_at)"
						  "  - pg_catalog.min(started_at))"
						  " FROM sch_chameleon.t_copy_ranges WHERE source_id = $1 AND mysql_table = $2",
						  2, types, values, NULL, false, 0, SPI_OK_SELECT, WHAT_READ) > 0)
	{
		char	   *all_done = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *rows = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		char	   *low = chameleon_spi_text(0, 3, caller);
		char	   *high = chameleon_spi_text(0, 4, caller);

		complete = all_done != NULL && strcmp(all_done, "t") == 0;
		w->rows = rows ? strtoi64(rows, NULL, 10) : 0;
		if (low != NULL)
		{
			char	   *sp = strrchr(low, ' ');

			*sp = '\0';
			w->low_file = low;
			w->low_position = strtoi64(sp + 1, NULL, 10);
		}
		if (high != NULL)
		{
			char	   *sp = strrchr(high, ' ');

			*sp = '\0';
			w->high_file = high;
			w->high_position = strtoi64(sp + 1, NULL, 10);
		}
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return complete;
}

void
chameleon_copy_progress_totals(int32 source_id, ChameleonCopyTotals *totals)
{
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);

	memset(totals, 0, sizeof(*totals));
	chameleon_spi_connect();
	if (chameleon_spi_run("SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE state IN ('done', 'failed')),"
						  " coalesce(pg_catalog.sum(rows_copied), 0),"
						  " coalesce(pg_catalog.sum(GREATEST(rows_estimated, rows_copied)), 0),"
						  " coalesce(pg_catalog.sum(slices), 0),"
						  " pg_catalog.count(*) FILTER (WHERE state = 'copying')"
						  " FROM sch_chameleon.t_copy_ranges WHERE source_id = $1",
						  1, &type, &value, NULL, false, 0, SPI_OK_SELECT, WHAT_READ) > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		totals->ranges = atoi(SPI_getvalue(tup, desc, 1));
		totals->ranges_done = atoi(SPI_getvalue(tup, desc, 2));
		totals->rows_copied = strtoi64(SPI_getvalue(tup, desc, 3), NULL, 10);
		totals->rows_estimated = strtoi64(SPI_getvalue(tup, desc, 4), NULL, 10);
		totals->slices = strtoi64(SPI_getvalue(tup, desc, 5), NULL, 10);
		totals->ranges_copying = atoi(SPI_getvalue(tup, desc, 6));
	}
	SPI_finish();
}

char *
chameleon_copy_min_low_gtid(int32 source_id, const char *file, int64 position)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[3] = {INT4OID, TEXTOID, INT8OID};
	Datum		values[3] = {Int32GetDatum(source_id), CStringGetTextDatum(file),
	Int64GetDatum(position)};
	char	   *gtid = NULL;

	chameleon_spi_connect();
	if (chameleon_spi_run("SELECT low_gtid FROM sch_chameleon.t_copy_ranges"
						  " WHERE source_id = $1 AND low_file = $2 AND low_position = $3"
						  " AND low_gtid IS NOT NULL LIMIT 1",
						  3, types, values, NULL, true, 1, SPI_OK_SELECT, WHAT_READ) > 0)
		gtid = chameleon_spi_text(0, 1, caller);
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return gtid;
}

double
chameleon_copy_table_seconds(int32 source_id, const char *mysql_table)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};
	double		secs = 0;

	chameleon_spi_connect();
	if (chameleon_spi_run("SELECT EXTRACT(epoch FROM pg_catalog.max(finished_at)"
						  " - pg_catalog.min(started_at))::float8"
						  " FROM sch_chameleon.t_copy_ranges WHERE source_id = $1 AND mysql_table = $2",
						  2, types, values, NULL, true, 0, SPI_OK_SELECT, WHAT_READ) > 0)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		secs = v ? strtod(v, NULL) : 0;
	}
	SPI_finish();
	return secs;
}

void
chameleon_copy_ranges_forget(int32 source_id, const char *mysql_table)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};

	chameleon_spi_run_once("DELETE FROM sch_chameleon.t_copy_slices"
						   " WHERE source_id = $1 AND mysql_table = $2",
						   2, types, values, NULL, SPI_OK_DELETE, WHAT_WRITE);
	chameleon_spi_run_once("DELETE FROM sch_chameleon.t_copy_ranges"
						   " WHERE source_id = $1 AND mysql_table = $2",
						   2, types, values, NULL, SPI_OK_DELETE, WHAT_WRITE);
}

bool
chameleon_copy_table_resumable(int32 source_id, const char *mysql_table)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};
	bool		resumable = false;

	chameleon_spi_connect();
	if (chameleon_spi_run("SELECT pg_catalog.bool_or(state IN ('pending', 'copying'))"
						  " AND NOT pg_catalog.bool_or(state = 'failed')"
						  " FROM sch_chameleon.t_copy_ranges WHERE source_id = $1 AND mysql_table = $2",
						  2, types, values, NULL, true, 0, SPI_OK_SELECT, WHAT_READ) > 0)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		resumable = v != NULL && strcmp(v, "t") == 0;
	}
	SPI_finish();
	return resumable;
}
