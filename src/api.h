/*
 * api.h -- what the files of SQL-callable functions (api.c and its
 * split-outs such as api_binlog.c) share: building a materialized
 * set-returning result.  api.c defines these.
 */
#ifndef CHAMELEON_API_H
#define CHAMELEON_API_H

#include "fmgr.h"
#include "access/tupdesc.h"
#include "utils/tuplestore.h"

#include "catalog.h"

/* Set up a materialized SRF result; returns the tuple store to fill. */
extern Tuplestorestate *chameleon_begin_materialized_srf(FunctionCallInfo fcinfo,
														 TupleDesc *tupdesc);

/* Text datum for a C string that may be NULL, as column i of a row. */
extern void chameleon_put_text(Datum *values, bool *nulls, int i, const char *s);

/*
 * api_sync.c: the replica named by argument argno (the only one of this
 * database when it is NULL), initialised; the table names of argument 0
 * (String nodes, no duplicates, not empty).
 */
extern ChameleonSource *chameleon_api_source_arg(FunctionCallInfo fcinfo, int argno,
												 const char *func);
extern List *chameleon_api_tables_arg(FunctionCallInfo fcinfo);

#endif							/* CHAMELEON_API_H */
