/*
 * preflight.h -- chameleon.check_source(): is this MySQL ready to replicate?
 */
#ifndef CHAMELEON_PREFLIGHT_H
#define CHAMELEON_PREFLIGHT_H

#include "config.h"

typedef enum PreflightStatus
{
	PREFLIGHT_OK,
	PREFLIGHT_WARNING,
	PREFLIGHT_ERROR
} PreflightStatus;

typedef struct PreflightCheck
{
	char	   *check;			/* short name, e.g. "binlog_format" */
	PreflightStatus status;
	char	   *value;			/* what was found */
	char	   *hint;			/* exact fix (GRANT, my.cnf line), or NULL */
} PreflightCheck;

/*
 * Connect to the source of cfg and run every check.  A failed connection is
 * an ERROR; everything after that is reported as rows.
 */
extern List *chameleon_preflight_run(const ChameleonConfig *cfg);

extern const char *chameleon_preflight_status_name(PreflightStatus status);

#endif							/* CHAMELEON_PREFLIGHT_H */
