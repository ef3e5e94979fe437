/*
 * progress.c -- progress of running init_replica copies, in shared memory.
 *
 * Owns a fixed array of slots in shared memory, one per backend running
 * init_replica.  The copy runs inside one transaction, so nothing it writes
 * to tables is visible to other sessions until it commits; these slots are
 * what chameleon.copy_progress reads instead.
 *
 * When pg_chameleon is in shared_preload_libraries the space is reserved at
 * startup (shmem_request_hook).  Otherwise the struct is created on first
 * use from the few kilobytes the server keeps spare; if even that fails, a
 * copy simply runs without showing progress.  The row counter of a slot is
 * an atomic that the copying backend bumps without locking; everything else
 * is read and written under the slot array's LWLock.
 *
 * The copying backend also keeps its own figures (whether or not it got a
 * slot), and every pg_chameleon.copy_progress_interval says in a NOTICE how
 * far it is: rows, per cent, rows/s, time left.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "progress.h"

#define PROGRESS_SLOTS	16
#define PROGRESS_SHMEM_NAME "pg_chameleon copy progress"
#define PROGRESS_TRANCHE_NAME "pg_chameleon_progress"

typedef struct ProgressSlot
{
	ChameleonProgressRow row;	/* rows_copied: finished tables only */
	pg_atomic_uint64 table_rows_copied;
} ProgressSlot;

typedef struct ProgressShared
{
	int			tranche_id;
	LWLock		lock;
	ProgressSlot slots[PROGRESS_SLOTS];
} ProgressShared;

static ProgressShared *progress = NULL;
static ProgressSlot *my_slot = NULL;
static bool exit_callback_registered = false;

int			chameleon_copy_progress_interval = 10000;

/* Rows of the current table committed before the rows being counted now. */
static int64 TableBase = 0;

/* This backend's own figures, for the NOTICEs. */
static struct
{
	char		source[NAMEDATALEN];
	char		table[NAMEDATALEN * 2];	/* a key: "db.table" */
	int			tables_done;
	int			tables_total;
	int64		rows_done;		/* finished tables */
	int64		rows_estimated;
	int64		table_rows;
	TimestampTz started;
	TimestampTz last_report;
} Local;

/* The NOTICE, when pg_chameleon.copy_progress_interval has passed. */
static void
report_if_due(void)
{
	TimestampTz now;
	int64		rows = Local.rows_done + Local.table_rows;
	double		secs;
	double		rate;

	if (chameleon_copy_progress_interval <= 0 || Local.started == 0)
		return;
	now = GetCurrentTimestamp();
	if (!TimestampDifferenceExceeds(Local.last_report, now, chameleon_copy_progress_interval))
		return;
	Local.last_report = now;
	secs = (now - Local.started) / 1000000.0;
	rate = secs > 0 ? rows / secs : 0;
	if (Local.rows_estimated > rows && rate > 0)
		ereport(NOTICE,
				(errmsg("copy of \"%s\": " INT64_FORMAT " of about " INT64_FORMAT " rows (%d%%), table \"%s\" (%d of %d), %.0f rows/s, about %.0f s left",
						Local.source, rows, Local.rows_estimated,
						(int) Min(99, rows * 100 / Local.rows_estimated), Local.table,
						Local.tables_done + 1, Local.tables_total, rate,
						(Local.rows_estimated - rows) / rate)));
	else
		ereport(NOTICE,
				(errmsg("copy of \"%s\": " INT64_FORMAT " rows, table \"%s\" (%d of %d), %.0f rows/s",
						Local.source, rows, Local.table, Local.tables_done + 1,
						Local.tables_total, rate)));
}

static shmem_request_hook_type prev_shmem_request_hook = NULL;

static void
progress_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(sizeof(ProgressShared));
}

void
chameleon_progress_shmem_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = progress_shmem_request;
}

/* Find or create the shared struct; false if there is no room for it. */
static bool
progress_attach(void)
{
	bool		found = false;
	volatile bool ok = true;

	if (progress != NULL)
		return true;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	PG_TRY();
	{
		progress = ShmemInitStruct(PROGRESS_SHMEM_NAME, sizeof(ProgressShared), &found);
	}
	PG_CATCH();
	{
		/* not preloaded and no spare shared memory left: go on without */
		LWLockRelease(AddinShmemInitLock);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	if (!ok)
	{
		progress = NULL;
		elog(DEBUG1, "pg_chameleon: no shared memory for copy progress");
		return false;
	}
	if (!found)
	{
		memset(progress, 0, sizeof(ProgressShared));
		progress->tranche_id = LWLockNewTrancheId();
		LWLockInitialize(&progress->lock, progress->tranche_id);
		for (int i = 0; i < PROGRESS_SLOTS; i++)
			pg_atomic_init_u64(&progress->slots[i].table_rows_copied, 0);
	}
	LWLockRelease(AddinShmemInitLock);
	LWLockRegisterTranche(progress->tranche_id, PROGRESS_TRANCHE_NAME);
	return true;
}

static void
release_my_slot(void)
{
	if (my_slot == NULL || progress == NULL)
		return;
	LWLockAcquire(&progress->lock, LW_EXCLUSIVE);
	my_slot->row.pid = 0;
	LWLockRelease(&progress->lock);
	my_slot = NULL;
}

static void
progress_on_exit(int code, Datum arg)
{
	release_my_slot();
}

void
chameleon_progress_begin(const char *source, const char *pg_schema,
						 int tables_total, int64 rows_estimated)
{
	ChameleonProgressRow *row;

	memset(&Local, 0, sizeof(Local));
	strlcpy(Local.source, source, sizeof(Local.source));
	Local.tables_total = tables_total;
	Local.rows_estimated = rows_estimated;
	Local.started = Local.last_report = GetCurrentTimestamp();

	release_my_slot();
	if (!progress_attach())
		return;
	if (!exit_callback_registered)
	{
		before_shmem_exit(progress_on_exit, (Datum) 0);
		exit_callback_registered = true;
	}

	LWLockAcquire(&progress->lock, LW_EXCLUSIVE);
	for (int i = 0; i < PROGRESS_SLOTS && my_slot == NULL; i++)
	{
		if (progress->slots[i].row.pid == 0)
			my_slot = &progress->slots[i];
	}
	if (my_slot == NULL)
	{
		LWLockRelease(&progress->lock);
		ereport(NOTICE,
				(errmsg("copy progress is not shown: %d copies are already running",
						PROGRESS_SLOTS)));
		return;
	}
	row = &my_slot->row;
	memset(row, 0, sizeof(*row));
	row->pid = MyProcPid;
	row->dboid = MyDatabaseId;
	strlcpy(row->source, source, sizeof(row->source));
	strlcpy(row->pg_schema, pg_schema, sizeof(row->pg_schema));
	strlcpy(row->phase, CHAMELEON_PHASE_SNAPSHOT, sizeof(row->phase));
	row->tables_total = tables_total;
	row->rows_estimated = rows_estimated;
	row->started = GetCurrentTimestamp();
	pg_atomic_write_u64(&my_slot->table_rows_copied, 0);
	LWLockRelease(&progress->lock);
}

void
chameleon_progress_phase(const char *phase)
{
	if (my_slot == NULL)
		return;
	LWLockAcquire(&progress->lock, LW_EXCLUSIVE);
	strlcpy(my_slot->row.phase, phase, sizeof(my_slot->row.phase));
	LWLockRelease(&progress->lock);
}

/* Totals known only after the metadata is read. */
void
chameleon_progress_totals(int tables_total, int64 rows_estimated)
{
	Local.tables_total = tables_total;
	Local.rows_estimated = rows_estimated;
	if (my_slot == NULL)
		return;
	LWLockAcquire(&progress->lock, LW_EXCLUSIVE);
	my_slot->row.tables_total = tables_total;
	my_slot->row.rows_estimated = rows_estimated;
	LWLockRelease(&progress->lock);
}

void
chameleon_progress_table_start(const char *table, int64 rows_estimated)
{
	strlcpy(Local.table, table, sizeof(Local.table));
	Local.table_rows = 0;
	TableBase = 0;
	if (my_slot == NULL)
		return;
	LWLockAcquire(&progress->lock, LW_EXCLUSIVE);
	strlcpy(my_slot->row.phase, CHAMELEON_PHASE_COPY, sizeof(my_slot->row.phase));
	strlcpy(my_slot->row.table_name, table, sizeof(my_slot->row.table_name));
	my_slot->row.table_rows_estimated = rows_estimated;
	my_slot->row.table_started = GetCurrentTimestamp();
	my_slot->row.table_slices = 0;
	my_slot->row.table_rows_base = 0;
	pg_atomic_write_u64(&my_slot->table_rows_copied, 0);
	LWLockRelease(&progress->lock);
}

void
chameleon_progress_table_rows(int64 rows_copied)
{
	rows_copied += TableBase;
	Local.table_rows = rows_copied;
	if (my_slot != NULL)
		pg_atomic_write_u64(&my_slot->table_rows_copied, (uint64) rows_copied);
	report_if_due();
}

void
chameleon_progress_table_base(int64 rows_committed)
{
	TableBase = rows_committed;
	if (my_slot == NULL)
		return;
	LWLockAcquire(&progress->lock, LW_EXCLUSIVE);
	my_slot->row.table_rows_base = rows_committed;
	LWLockRelease(&progress->lock);
	pg_atomic_write_u64(&my_slot->table_rows_copied, (uint64) rows_committed);
}

void
chameleon_progress_slice(void)
{
	if (my_slot == NULL)
		return;
	LWLockAcquire(&progress->lock, LW_EXCLUSIVE);
	my_slot->row.table_slices++;
	LWLockRelease(&progress->lock);
}

void
chameleon_progress_table_done(int64 rows_copied)
{
	Local.tables_done++;
	Local.rows_done += rows_copied;
	Local.table_rows = 0;
	if (my_slot == NULL)
		return;
	LWLockAcquire(&progress->lock, LW_EXCLUSIVE);
	my_slot->row.tables_done++;
	my_slot->row.rows_copied += rows_copied;
	my_slot->row.table_name[0] = '\0';
	my_slot->row.table_rows_estimated = 0;
	pg_atomic_write_u64(&my_slot->table_rows_copied, 0);
	LWLockRelease(&progress->lock);
}

void
chameleon_progress_end(void)
{
	Local.started = 0;
	release_my_slot();
}

int
chameleon_progress_snapshot(ChameleonProgressRow **rows)
{
	int			n = 0;

	*rows = palloc0(sizeof(ChameleonProgressRow) * PROGRESS_SLOTS);
	if (!progress_attach())
		return 0;
	LWLockAcquire(&progress->lock, LW_SHARED);
	for (int i = 0; i < PROGRESS_SLOTS; i++)
	{
		ProgressSlot *slot = &progress->slots[i];
		ChameleonProgressRow *row = &(*rows)[n];

		if (slot->row.pid == 0)
			continue;
		*row = slot->row;
		row->table_rows_copied = (int64) pg_atomic_read_u64(&slot->table_rows_copied);
		row->rows_copied += row->table_rows_copied;
		n++;
	}
	LWLockRelease(&progress->lock);
	return n;
}
