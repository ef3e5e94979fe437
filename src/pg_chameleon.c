/*
 * pg_chameleon.c -- module entry point.
 *
 * Owns _PG_init: the GUCs of the extension.  Shared memory and the launcher
 * worker registration will live here as well; everything else is in the file
 * of its concern (see DESIGN.md).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "config.h"
#include "progress.h"

PG_MODULE_MAGIC;

char	   *chameleon_config_path = NULL;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomStringVariable("pg_chameleon.config",
							   "Path of the pg_chameleon YAML configuration file.",
							   "Used by chameleon functions called without an explicit path.",
							   &chameleon_config_path,
							   NULL,
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	/* shared memory of chameleon.copy_progress (progress.c) */
	chameleon_progress_shmem_init();

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("pg_chameleon");
#else
	EmitWarningsOnPlaceholders("pg_chameleon");
#endif
}
