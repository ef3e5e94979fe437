/*
 * source_position.h -- binlog positions read from the source server
 * (source_position.c).
 */
#ifndef CHAMELEON_SOURCE_POSITION_H
#define CHAMELEON_SOURCE_POSITION_H

#include "mysql_client.h"

/* The binlog coordinates data read from the source is consistent with. */
typedef struct ChameleonSnapshot
{
	char	   *binlog_file;	/* NULL when the binary log is off */
	int64		binlog_position;
	char	   *gtid;			/* MariaDB gtid position / MySQL executed set; NULL if none */
} ChameleonSnapshot;

/*
 * The server's current binlog file and position (SHOW MASTER STATUS, SHOW
 * BINARY LOG STATUS on MySQL 8.4), and on MySQL the executed GTID set;
 * binlog_file stays NULL when the binary log is off.
 */
extern void chameleon_source_binlog_status(MYSQL *conn, bool is_mariadb, ChameleonSnapshot *snap);

/*
 * MariaDB, inside START TRANSACTION WITH CONSISTENT SNAPSHOT: the exact
 * binlog position the snapshot sees (binlog_snapshot_file/position).
 */
extern void chameleon_source_snapshot_position(MYSQL *conn, ChameleonSnapshot *snap);

/* MariaDB: the GTID position of snap's binlog position (BINLOG_GTID_POS). */
extern void chameleon_source_snapshot_gtid(MYSQL *conn, ChameleonSnapshot *snap);

/*
 * MariaDB: the binlog position right after the transaction of a GTID
 * ("domain-server-sequence"), found in the binary logs; an ERROR when it
 * is not there.  snap->gtid gets the GTID position there.
 */
extern void chameleon_source_gtid_position(MYSQL *conn, const char *gtid, ChameleonSnapshot *snap);

#endif							/* CHAMELEON_SOURCE_POSITION_H */
