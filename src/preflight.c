/* preflight.c -- placeholder, replaced by the source checks. */
#include "postgres.h"
#include "preflight.h"

List *
chameleon_preflight_run(const ChameleonConfig *cfg)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("check_source is not built yet")));
	return NIL;
}

const char *
chameleon_preflight_status_name(PreflightStatus status)
{
	return status == PREFLIGHT_OK ? "ok" : status == PREFLIGHT_WARNING ? "warning" : "error";
}
