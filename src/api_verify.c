/*
 * api_verify.c -- chameleon.verify_tables(): the SQL function over verify.c.
 */
#include "postgres.h"

#include "funcapi.h"
#include "nodes/value.h"
#include "utils/builtins.h"

#include "api.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(chameleon_verify_tables);

#define VERIFY_COLUMNS	9

static Datum
checksum_text(uint64 sum)
{
	return CStringGetTextDatum(psprintf("%016" INT64_MODIFIER "x", sum));
}

/*
 * chameleon.verify_tables(tables text[] DEFAULT NULL, source text DEFAULT NULL)
 * RETURNS TABLE (mysql_table, status, mysql_rows, pg_rows, mysql_checksum,
 *                pg_checksum, differing_rows, first_difference, detail)
 *
 * One row per table (every replicated table when tables is NULL).
 */
Datum
chameleon_verify_tables(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *store = chameleon_begin_materialized_srf(fcinfo, &tupdesc);
	ChameleonSource *src = chameleon_api_source_arg(fcinfo, 1, "verify_tables");
	List	   *tables = NIL;
	ListCell   *lc;

	if (!PG_ARGISNULL(0))
		foreach(lc, chameleon_api_tables_arg(fcinfo))
			tables = lappend(tables, strVal(lfirst(lc)));

	foreach(lc, chameleon_verify_run(src, tables))
	{
		ChameleonVerifyResult *r = lfirst(lc);
		Datum		values[VERIFY_COLUMNS];
		bool		nulls[VERIFY_COLUMNS];

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(r->mysql_table);
		values[1] = CStringGetTextDatum(r->status);
		values[2] = Int64GetDatum(r->mysql_rows);
		values[3] = Int64GetDatum(r->pg_rows);
		values[4] = checksum_text(r->mysql_checksum);
		values[5] = checksum_text(r->pg_checksum);
		values[6] = Int64GetDatum(r->differing_rows);
		nulls[2] = nulls[3] = nulls[4] = nulls[5] = nulls[6] = !r->counted;
		if (r->first_difference)
			values[7] = CStringGetTextDatum(r->first_difference);
		else
			nulls[7] = true;
		if (r->detail)
			values[8] = CStringGetTextDatum(r->detail);
		else
			nulls[8] = true;
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	return (Datum) 0;
}
