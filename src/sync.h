/*
 * sync.h -- sync_tables and add_tables: copying some tables of a running
 * replica again (or for the first time) and bringing them into the stream.
 *
 * api_sync.c (the SQL functions) checks the request, hands it to a
 * short-lived background worker, "pg_chameleon sync", through a dynamic
 * shared memory segment, waits for it and reports its result.  sync.c is
 * that worker: it needs several transactions of its own (the tables must
 * be marked "syncing" and seen so by the apply worker before the copy
 * begins), which a SQL function cannot commit.
 */
#ifndef CHAMELEON_SYNC_H
#define CHAMELEON_SYNC_H

#include "fmgr.h"
#include "nodes/pg_list.h"

#define CHAMELEON_SYNC_NAME_LEN		(NAMEDATALEN * 2)
#define CHAMELEON_SYNC_TEXT_LEN		1024

typedef enum ChameleonSyncMode
{
	CHAMELEON_SYNC_TABLES,		/* copy replicated tables again */
	CHAMELEON_ADD_TABLES		/* start replicating tables */
} ChameleonSyncMode;

/*
 * The segment.  The caller writes the request before it launches the
 * worker; the worker writes the result before it exits (then done).
 */
typedef struct ChameleonSyncShared
{
	/* request */
	Oid			dboid;
	int32		source_id;
	ChameleonSyncMode mode;
	int			ntables;

	/* result */
	bool		done;
	bool		failed;
	int			sqlerrcode;
	char		message[CHAMELEON_SYNC_TEXT_LEN];
	char		detail[CHAMELEON_SYNC_TEXT_LEN];
	char		hint[CHAMELEON_SYNC_TEXT_LEN];
	char		summary[CHAMELEON_SYNC_TEXT_LEN];

	/* ntables MySQL table names of CHAMELEON_SYNC_NAME_LEN bytes each */
	char		tables[FLEXIBLE_ARRAY_MEMBER];
} ChameleonSyncShared;

#define CHAMELEON_SYNC_SHARED_SIZE(n) \
	(offsetof(ChameleonSyncShared, tables) + (Size) (n) * CHAMELEON_SYNC_NAME_LEN)

static inline char *
chameleon_sync_table(ChameleonSyncShared *shared, int i)
{
	return shared->tables + (Size) i * CHAMELEON_SYNC_NAME_LEN;
}

/*
 * One sync_tables / add_tables / remove_tables per source at a time: an
 * advisory lock, for the session (the sync worker) or the transaction;
 * ERROR when another holds it.
 */
extern void chameleon_sync_lock(const char *source_name, int32 source_id, bool session);

/*
 * The state of a table in t_replica_tables, or NULL when it has no row;
 * for_update: lock the row.
 */
extern char *chameleon_sync_table_state(int32 source_id, const char *name, bool for_update);

/*
 * ERROR unless a table in this state (NULL: no row) may be synced
 * (CHAMELEON_SYNC_TABLES: replicated, not removed) or added
 * (CHAMELEON_ADD_TABLES: not replicated, or removed).
 */
extern void chameleon_sync_check_table(ChameleonSyncMode mode, const char *source_name,
									   const char *table, const char *state);

/* bgw_main_arg: the dsm_handle of the segment. */
extern PGDLLEXPORT void chameleon_sync_main(Datum main_arg);

/* The tables of the source left "syncing" by an interrupted sync (char *). */
extern List *chameleon_sync_interrupted_tables(int32 source_id);

/*
 * Register a sync worker that resumes the interrupted sync of source_id in
 * database dboid (the launcher's resume worker, after a restart); false
 * when no background worker slot is free.
 */
extern bool chameleon_sync_resume_start(Oid dboid, int32 source_id, const char *name);

#endif							/* CHAMELEON_SYNC_H */
