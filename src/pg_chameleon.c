/*
 * pg_chameleon.c -- module entry point.
 *
 * Owns _PG_init: the GUCs of the extension and, when preloaded, the calls
 * that set up the shared memory of the worker slots (slots.c) and register
 * the launcher (launcher.c).  Everything else is in the file of its concern
 * (see DESIGN.md).
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "config.h"
#include "progress.h"
#include "worker.h"

PG_MODULE_MAGIC;

char	   *chameleon_config_path = NULL;
int			chameleon_max_workers = 8;
/* pg_chameleon.lag_alert_seconds: chameleon.health reads it (current_setting) */
static int	chameleon_lag_alert_seconds = 60;

/* Loaded through shared_preload_libraries (launcher, named tranche). */
bool		chameleon_preloaded = false;

void		_PG_init(void);

static void
define_gucs(void)
{
	DefineCustomStringVariable("pg_chameleon.config",
							   "Path of the pg_chameleon YAML configuration file.",
							   "Used by chameleon functions called without an explicit path.",
							   &chameleon_config_path,
							   NULL,
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("pg_chameleon.copy_progress_interval",
							"How often init_replica reports its progress in a NOTICE.",
							"Rows copied, per cent, rows/s and time left; 0 turns the reports off.",
							&chameleon_copy_progress_interval,
							10000, 0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("pg_chameleon.lag_alert_seconds",
							"Lag above which chameleon.health says \"lagging\", in seconds.",
							NULL,
							&chameleon_lag_alert_seconds,
							60, 0, INT_MAX,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	/*
	 * Sizes shared memory, so it exists only when preloaded (a postmaster
	 * setting cannot be defined later); a late load uses the default.
	 */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("pg_chameleon.max_workers",
								"Maximum number of pg_chameleon apply workers (sources replicating at once).",
								"Each running replica uses one background worker: keep max_worker_processes large enough.",
								&chameleon_max_workers,
								8, 1, 1024,
								PGC_POSTMASTER,
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

void
_PG_init(void)
{
	define_gucs();

	if (!process_shared_preload_libraries_in_progress)
		return;

	chameleon_preloaded = true;
	chameleon_slots_shmem_init();
	chameleon_launcher_register();
}
