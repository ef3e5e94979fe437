/*
 * progress.h -- progress of running init_replica copies, in shared memory.
 *
 * progress.c owns a small array of slots in shared memory, one per backend
 * running init_replica, so that chameleon.copy_progress shows the copy from
 * any other session while the copy's own transaction is still open.
 */
#ifndef CHAMELEON_PROGRESS_H
#define CHAMELEON_PROGRESS_H

#include "datatype/timestamp.h"

/* What the copying backend is doing. */
#define CHAMELEON_PHASE_SNAPSHOT	"snapshot"
#define CHAMELEON_PHASE_SCHEMA		"creating tables"
#define CHAMELEON_PHASE_COPY		"copying"
#define CHAMELEON_PHASE_INDEXES		"building indexes"
#define CHAMELEON_PHASE_FINISHING	"finishing"

/* A copy of one slot, for the view. */
typedef struct ChameleonProgressRow
{
	int			pid;
	Oid			dboid;
	char		source[NAMEDATALEN];
	char		pg_schema[NAMEDATALEN];
	char		phase[32];
	char		table_name[NAMEDATALEN];	/* "" between tables */
	int			tables_done;
	int			tables_total;
	int64		table_rows_copied;
	int64		table_rows_estimated;
	int64		table_slices;	/* slices of the table read so far */
	int64		table_rows_base;	/* of table_rows_copied, committed before this run */
	int64		rows_copied;	/* all tables, including the current one */
	int64		rows_estimated;
	TimestampTz started;
	TimestampTz table_started;
} ChameleonProgressRow;

/* _PG_init: reserve the shared memory when preloaded. */
extern void chameleon_progress_shmem_init(void);

/*
 * Take a slot for this backend (ERROR if none is free).  The slot is given
 * back by chameleon_progress_end(), and at backend exit in any case.
 */
extern void chameleon_progress_begin(const char *source, const char *pg_schema,
									 int tables_total, int64 rows_estimated);
extern void chameleon_progress_phase(const char *phase);
extern void chameleon_progress_totals(int tables_total, int64 rows_estimated);
extern void chameleon_progress_table_start(const char *table, int64 rows_estimated);
/* Cheap: called often while rows stream; reports progress (NOTICE) when due. */
extern void chameleon_progress_table_rows(int64 rows_copied);
/*
 * The rows of the current table already committed (a copy worker resuming
 * a range): later table_rows counts are added to it.
 */
extern void chameleon_progress_table_base(int64 rows_committed);
/* A slice of the current table is being read. */
extern void chameleon_progress_slice(void);

/*
 * pg_chameleon.copy_progress_interval (ms, 0: never): how often the copying
 * backend reports its progress in a NOTICE.
 */
extern int	chameleon_copy_progress_interval;
extern void chameleon_progress_table_done(int64 rows_copied);
extern void chameleon_progress_end(void);

/* Copies of the slots in use; returns the number written to *rows (palloc'd). */
extern int	chameleon_progress_snapshot(ChameleonProgressRow **rows);

#endif							/* CHAMELEON_PROGRESS_H */
