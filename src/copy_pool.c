/*
 * copy_pool.c -- a pool of copy workers run by one process.
 *
 * Two processes run copy workers (copy_worker.c): the copy leader of
 * init_replica (copy_leader.c) and the sync worker of sync_tables/add_tables
 * (sync.c).  This file owns what they share: the dynamic shared memory
 * segment that tells each worker its source, configuration and tables and
 * holds its result, starting a worker in a slot of the pool, noticing the
 * workers that exited (their ranges in flight go back to pending, so
 * another worker copies the slice they had not committed again), and
 * stopping them all.  What a failure means is the owner's business.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "copy_workers.h"
#include "transaction.h"

/* How long stopping waits for one worker to exit (ms). */
#define POOL_STOP_WAIT_MS	60000

ChameleonCopyPool *
chameleon_copy_pool_create(MemoryContext cxt, const ChameleonCopyPoolRequest *req)
{
	ChameleonCopyPool *pool = MemoryContextAllocZero(cxt, sizeof(ChameleonCopyPool));
	int			ntables = list_length(req->tables);
	Size		size = CHAMELEON_COPY_SHARED_SIZE(req->nworkers, ntables);
	ChameleonCopyShared *shared;
	ListCell   *lc;

	pool->source_name = MemoryContextStrdup(cxt, req->source_name);
	pool->seg = dsm_create(size, 0);
	dsm_pin_mapping(pool->seg);
	shared = pool->shared = dsm_segment_address(pool->seg);
	memset(shared, 0, size);
	shared->dboid = MyDatabaseId;
	shared->roleid = GetUserId();
	shared->source_id = req->source_id;
	strlcpy(shared->config_path, req->config_path, MAXPGPATH);
	shared->for_sync = req->for_sync;
	shared->nworkers = req->nworkers;
	shared->ntables = ntables;
	foreach(lc, req->tables)
		strlcpy(chameleon_copy_shared_table(shared, foreach_current_index(lc)),
				(const char *) lfirst(lc), CHAMELEON_COPY_NAME_LEN);
	pool->handles = MemoryContextAllocZero(cxt, sizeof(BackgroundWorkerHandle *) *
										   Max(req->nworkers, 1));
	return pool;
}

bool
chameleon_copy_pool_launch(ChameleonCopyPool *pool, int i)
{
	BackgroundWorker bgw;
	ChameleonCopyWorkerResult *w = &pool->shared->workers[i];

	Assert(i >= 0 && i < pool->shared->nworkers && pool->handles[i] == NULL);
	memset(w, 0, sizeof(*w));
	chameleon_bgw_init(&bgw, "chameleon_copy_worker_main", "pg_chameleon copy worker",
					   psprintf("pg_chameleon copy worker %d of replica %s", i + 1,
								pool->source_name));
	bgw.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(pool->seg));
	memcpy(bgw.bgw_extra, &i, sizeof(int));
	return RegisterDynamicBackgroundWorker(&bgw, &pool->handles[i]);
}

int
chameleon_copy_pool_running(const ChameleonCopyPool *pool)
{
	int			n = 0;

	if (pool == NULL)
		return 0;
	for (int i = 0; i < pool->shared->nworkers; i++)
		n += pool->handles[i] != NULL;
	return n;
}

ChameleonCopyWorkerResult *
chameleon_copy_pool_reap(ChameleonCopyPool *pool)
{
	for (int i = 0; i < pool->shared->nworkers; i++)
	{
		ChameleonCopyWorkerResult *w = &pool->shared->workers[i];
		pid_t		pid;

		if (pool->handles[i] == NULL ||
			GetBackgroundWorkerPid(pool->handles[i], &pid) != BGWH_STOPPED)
			continue;
		pg_read_barrier();
		pfree(pool->handles[i]);
		pool->handles[i] = NULL;
		if (w->done)
			continue;
		/* its range in flight: pending again, from its last committed slice */
		if (w->pid != 0)
		{
			chameleon_xact_begin();
			chameleon_copy_ranges_release(pool->shared->source_id, w->pid);
			chameleon_xact_commit();
		}
		return w;
	}
	return NULL;
}

void
chameleon_copy_pool_stop(ChameleonCopyPool *pool)
{
	if (pool == NULL)
		return;
	for (int i = 0; i < pool->shared->nworkers; i++)
		if (pool->handles[i] != NULL)
			TerminateBackgroundWorker(pool->handles[i]);
	for (int i = 0; i < pool->shared->nworkers; i++)
	{
		pid_t		pid;

		if (pool->handles[i] == NULL)
			continue;
		for (int waited = 0; waited < POOL_STOP_WAIT_MS; waited += 10)
		{
			BgwHandleStatus status = GetBackgroundWorkerPid(pool->handles[i], &pid);

			if (status != BGWH_STARTED && status != BGWH_NOT_YET_STARTED)
				break;
			pg_usleep(10000L);
		}
		pool->handles[i] = NULL;
	}
}
