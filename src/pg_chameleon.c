/*
 * pg_chameleon.c -- module entry point.
 *
 * Owns _PG_init: the GUCs of the extension, the shared memory of the worker
 * slots (requested the PG15 way when preloaded, created on first use
 * otherwise) and the registration of the launcher.  Everything else is in
 * the file of its concern (see DESIGN.md).
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"

#include "config.h"
#include "progress.h"
#include "worker.h"

PG_MODULE_MAGIC;

#define CHAMELEON_SHMEM_NAME	"pg_chameleon"
#define CHAMELEON_TRANCHE_NAME	"pg_chameleon"

char	   *chameleon_config_path = NULL;
int			chameleon_max_workers = 8;

/* Loaded through shared_preload_libraries (launcher, named tranche). */
bool		chameleon_preloaded = false;

ChameleonShared *ChameleonShmem = NULL;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

void		_PG_init(void);

Size
chameleon_shmem_size(void)
{
	return add_size(offsetof(ChameleonShared, slots),
					mul_size(chameleon_max_workers, sizeof(ChameleonWorkerSlot)));
}

static void
init_shared(ChameleonShared *shared)
{
	memset(shared, 0, chameleon_shmem_size());
	if (chameleon_preloaded)
	{
		shared->lock = &(GetNamedLWLockTranche(CHAMELEON_TRANCHE_NAME))->lock;
		shared->tranche_id = 0;
	}
	else
	{
		/* late load: no tranche could be requested, bring our own lock */
		shared->tranche_id = LWLockNewTrancheId();
		LWLockInitialize(&shared->own_lock, shared->tranche_id);
		shared->lock = &shared->own_lock;
	}
	ConditionVariableInit(&shared->slot_exit_cv);
	shared->nslots = chameleon_max_workers;
	for (int i = 0; i < shared->nslots; i++)
		SpinLockInit(&shared->slots[i].mutex);
}

/*
 * Find or create the shared slot array.  Preloaded, this runs from the
 * shmem startup hook in the postmaster; loaded later (CREATE EXTENSION or a
 * function call without shared_preload_libraries) it runs on first use and
 * takes its small size from the slack the server keeps for add-ins.
 */
void
chameleon_shmem_attach(void)
{
	bool		found;

	if (ChameleonShmem != NULL)
		return;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ChameleonShmem = ShmemInitStruct(CHAMELEON_SHMEM_NAME,
									 chameleon_shmem_size(), &found);
	if (!found)
		init_shared(ChameleonShmem);
	LWLockRelease(AddinShmemInitLock);

	if (ChameleonShmem->tranche_id != 0)
		LWLockRegisterTranche(ChameleonShmem->tranche_id, CHAMELEON_TRANCHE_NAME);
}

static void
request_shmem(void)
{
	RequestAddinShmemSpace(chameleon_shmem_size());
	RequestNamedLWLockTranche(CHAMELEON_TRANCHE_NAME, 1);
}

#if PG_VERSION_NUM >= 150000
static void
chameleon_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	request_shmem();
}
#endif

static void
chameleon_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	/* after a crash restart the segment is new: forget the old pointer */
	ChameleonShmem = NULL;
	chameleon_shmem_attach();
}

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
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = chameleon_shmem_request;
#else
	request_shmem();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = chameleon_shmem_startup;

	chameleon_launcher_register();
}
