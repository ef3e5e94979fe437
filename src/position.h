/*
 * position.h -- where a replica stands: its resume position and its
 * replication origin.
 *
 * position.c owns the exactly-once bookkeeping and is the only module that
 * reads or writes sch_chameleon.t_replica_batch: the position after the
 * last applied source transaction is written inside the same PostgreSQL
 * transaction as the rows it covers, and the replication origin of the
 * source is advanced by the same commit (replorigin_session_origin_lsn,
 * binlog file number and offset packed into 64 bits).  init_replica and
 * attach_replica set the start position, sync_tables moves it back.
 *
 * Every function here runs inside a transaction with an active snapshot
 * and uses SPI on its own (callers may or may not be SPI-connected).
 */
#ifndef CHAMELEON_POSITION_H
#define CHAMELEON_POSITION_H

#include "access/xlogdefs.h"
#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "replication/origin.h"

#include "catalog.h"

/* A binlog position: where the next source transaction starts. */
typedef struct ChameleonPosition
{
	char	   *file;			/* binlog file name */
	uint64		pos;			/* offset in file */
	char	   *gtid;			/* GTID position after it, or NULL */
	TimestampTz event_time;		/* source commit time, 0 when unknown */
	int64		batch_id;		/* batches committed so far */
} ChameleonPosition;

/* The applied position of a source (t_replica_batch); false if none. */
extern bool chameleon_position_load(int32 source_id, ChameleonPosition *pos);

/* The start position of a new replica (init_replica, attach_replica). */
extern void chameleon_position_set(int32 source_id, const char *file, int64 pos,
								   const char *gtid);

/*
 * sync_tables: the stream goes back to (file, pos, gtid) to replay what the
 * copied tables missed.  ERROR if the source has no position.
 */
extern void chameleon_position_rewind(int32 source_id, const char *file, int64 pos,
									  const char *gtid);

/*
 * Inside the apply transaction, right before its commit: store the position
 * after the last applied source transaction, bump batch_id, and set the
 * session's replication origin progress so the same commit advances it.
 * ERROR if the source has no t_replica_batch row.
 */
extern void chameleon_position_save(int32 source_id, const ChameleonPosition *pos);

/* Replication origin of a source: "pg_chameleon_<dboid>_<source_id>". */
extern void chameleon_origin_name(Oid dboid, int32 source_id, char *buf, size_t size);
extern XLogRecPtr chameleon_origin_lsn(const char *file, uint64 pos);
/*
 * Replication origin state slots (max_replication_slots) in use, and in
 * *have_own whether the source's origin holds one (source_id 0: none).
 */
extern int	chameleon_origin_slots_used(Oid dboid, int32 source_id, bool *have_own);
/* ERROR saying what to raise when the source's origin would find no free slot. */
extern void chameleon_origin_require_slot(Oid dboid, int32 source_id, const char *action);
/* Create the origin if missing; returns its id. */
extern RepOriginId chameleon_origin_ensure(Oid dboid, int32 source_id);
/* init_replica: create the origin (if missing) and set it to a position. */
extern void chameleon_origin_set(Oid dboid, int32 source_id, const char *file,
								 uint64 pos);
extern void chameleon_origin_drop(Oid dboid, int32 source_id);
/* init_replica(force): drop the origin once its worker released it (ERROR if it does not). */
extern void chameleon_origin_drop_released(Oid dboid, int32 source_id,
										   const char *source_name);

#endif							/* CHAMELEON_POSITION_H */
