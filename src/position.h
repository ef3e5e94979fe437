/*
 * position.h -- where a replica stands: its source row, its applied
 * position and its replication origin.
 *
 * position.c owns the exactly-once bookkeeping of the apply worker: the
 * position after the last applied source transaction is written to
 * sch_chameleon.t_replica_batch inside the same PostgreSQL transaction as
 * the rows it covers, and the replication origin of the source is advanced
 * by the same commit (replorigin_session_origin_lsn, binlog file number and
 * offset packed into 64 bits).  It also reads and writes the state of a
 * source in sch_chameleon.t_sources for start/stop and the worker.
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

/* A row of sch_chameleon.t_sources. */
typedef struct ChameleonSource
{
	int32		source_id;
	char	   *name;			/* source_name: the MySQL database */
	char	   *pg_schema;
	char	   *config_path;
	int64		server_id;
	char	   *state;
	char	   *last_error;		/* NULL when none */
} ChameleonSource;

/* A binlog position: where the next source transaction starts. */
typedef struct ChameleonPosition
{
	char	   *file;			/* binlog file name */
	uint64		pos;			/* offset in file */
	char	   *gtid;			/* GTID position after it, or NULL */
	TimestampTz event_time;		/* source commit time, 0 when unknown */
	int64		batch_id;		/* batches committed so far */
} ChameleonPosition;

/* Sources of the current database. */
extern ChameleonSource *chameleon_source_by_name(const char *name);
/* The same, an ERROR (the replica does not exist) in place of NULL. */
extern ChameleonSource *chameleon_source_named(const char *name);
extern ChameleonSource *chameleon_source_by_id(int32 source_id, bool for_share);
extern List *chameleon_source_list(void);

/* UPDATE t_sources: state, and last_error when error is not NULL
 * (clear_error: set it to NULL). */
extern void chameleon_source_set_state(int32 source_id, const char *state,
									   const char *error, bool clear_error);
extern void chameleon_source_set_config_path(int32 source_id, const char *path);
/* stop_replica: streaming/reconnecting/error become stopped. */
extern void chameleon_source_mark_stopped(int32 source_id);

/* The applied position of a source (t_replica_batch); false if none. */
extern bool chameleon_position_load(int32 source_id, ChameleonPosition *pos);

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
