/*
 * worker_log.c -- the log_level key of the configuration, applied to a
 * background worker of the replica (apply, sync, copy leader):
 *
 *   debug    each applied batch too (DEBUG1, and the worker's
 *            log_min_messages lowered to debug1)
 *   info     state changes: started, streaming from, stopped (LOG)
 *   warning  only warnings and errors: state changes go to DEBUG1
 *   error    only errors: the worker's log_min_messages raised to error
 *
 * The server's own log_min_messages is left alone where it already says
 * more than the level asks (a DBA debugging the server keeps its output).
 */
#include "postgres.h"

#include "utils/guc.h"
#include "utils/memutils.h"

#include "worker_log.h"

int			chameleon_state_log_level = LOG;

/* The server's own log_min_messages, before a level changed it (NULL: not yet read). */
static char *ServerLevel = NULL;
static int	ServerLevelValue;

void
chameleon_worker_set_log_level(const ChameleonConfig *cfg)
{
	const char *level = cfg->log_level ? cfg->log_level : "info";
	const char *want;

	if (ServerLevel == NULL)
	{
		ServerLevel = MemoryContextStrdup(TopMemoryContext,
										  GetConfigOption("log_min_messages", false, false));
		ServerLevelValue = log_min_messages;
	}
	chameleon_state_log_level =
		(strcmp(level, "warning") == 0 || strcmp(level, "error") == 0) ? DEBUG1 : LOG;
	if (strcmp(level, "debug") == 0 && ServerLevelValue > DEBUG1)
		want = "debug1";
	else if (strcmp(level, "error") == 0 && ServerLevelValue < ERROR)
		want = "error";
	else
		want = ServerLevel;		/* back to the server's, after a reload */
	SetConfigOption("log_min_messages", want, PGC_SUSET, PGC_S_OVERRIDE);
}
