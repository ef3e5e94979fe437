/*
 * spi_util.c -- SPI helpers shared by every module that runs SQL in the
 * server (see spi_util.h).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "spi_util.h"

void
chameleon_spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

uint64
chameleon_spi_run(const char *sql, int nargs, Oid *types, Datum *values,
				  const char *nulls, bool read_only, long count,
				  int expected, const char *what)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc;

	rc = nargs > 0 ? SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, count)
		: SPI_execute(sql, read_only, count);
	MemoryContextSwitchTo(cxt);
	if (rc < 0 || (expected != 0 && rc != expected))
		elog(ERROR, "could not %s: %s", what, SPI_result_code_string(rc));
	return SPI_processed;
}

uint64
chameleon_spi_run_once(const char *sql, int nargs, Oid *types, Datum *values,
					   const char *nulls, int expected, const char *what)
{
	MemoryContext cxt = CurrentMemoryContext;
	uint64		processed;

	chameleon_spi_connect();
	processed = chameleon_spi_run(sql, nargs, types, values, nulls, false, 0, expected, what);
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return processed;
}

char *
chameleon_spi_text(uint64 row, int col, MemoryContext cxt)
{
	char	   *v = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);

	return v ? MemoryContextStrdup(cxt, v) : NULL;
}

Datum
chameleon_spi_text_arg(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

Datum
chameleon_spi_text_array(List *strings)
{
	int			n = list_length(strings);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	ListCell   *lc;

	foreach(lc, strings)
		elems[foreach_current_index(lc)] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

List *
chameleon_spi_text_list(uint64 row, int col, MemoryContext cxt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);
	MemoryContext old;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *list = NIL;

	if (isnull)
		return NIL;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	old = MemoryContextSwitchTo(cxt);
	for (int i = 0; i < n; i++)
		list = lappend(list, nulls[i] ? NULL : TextDatumGetCString(elems[i]));
	MemoryContextSwitchTo(old);
	return list;
}
