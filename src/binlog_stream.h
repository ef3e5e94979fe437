/*
 * binlog_stream.h -- binlog events from a server's replication stream.
 *
 * binlog_stream.c owns the dump session on a libmariadb connection opened by
 * mysql_client.c; events are read with chameleon_binlog_read() like those of
 * a file (binlog.h).
 */
#ifndef CHAMELEON_BINLOG_STREAM_H
#define CHAMELEON_BINLOG_STREAM_H

#include "binlog.h"
#include "mysql_client.h"

typedef struct ChameleonStreamOptions
{
	const char *file;			/* binlog file to start in */
	uint64		position;		/* position in it, >= 4 */
	const char *gtid;			/* or NULL; else where to start: a MariaDB
								 * GTID position ("0-1-39,1-2-7") on MariaDB,
								 * a MySQL GTID set ("uuid:1-5:7") on MySQL;
								 * file and position are then ignored */
	uint32		server_id;		/* our id as a replica; 0 for a one-off read */
	bool		register_replica;	/* send COM_REGISTER_SLAVE first */
	/*
	 * With register_replica: the host this replica reports (SHOW SLAVE HOSTS
	 * shows it; chameleon_replica_identity()), and refuse to register when
	 * another replica shows with the same server id.
	 */
	const char *report_host;
	bool		non_blocking;	/* end at the current end of the binlog */
	int			heartbeat_ms;	/* server heartbeat period, 0 = none */
} ChameleonStreamOptions;

/*
 * Start a dump on conn (which then carries nothing else).  Closing the
 * reader closes the connection.
 */
extern ChameleonBinlogReader *chameleon_binlog_open_stream(MYSQL *conn,
														   const ChameleonStreamOptions *opts);

/* SHOW MASTER STATUS (or SHOW BINARY LOG STATUS); false if the binlog is off. */
extern bool chameleon_binlog_current_end(MYSQL *conn, char **file, uint64 *position);

/* The oldest binlog file of SHOW BINARY LOGS; ERROR if there is none. */
extern char *chameleon_binlog_first_file(MYSQL *conn);

/*
 * The name a replica of this cluster, database and source reports to the
 * source as its host (SHOW SLAVE HOSTS): "pg_chameleon-<system id>-<database
 * oid>-<source id>", source_id 0: the prefix without the source id.
 */
extern char *chameleon_replica_identity(Oid dboid, int32 source_id);

/*
 * The host another replica of the source registered with our server id
 * (SHOW SLAVE HOSTS), or NULL when none (or when SHOW SLAVE HOSTS is not
 * allowed).  The host own_prefix is ours, and so are those it prefixes when it
 * ends in '-' (every source of a database).
 */
extern char *chameleon_server_id_user(MYSQL *conn, uint32 server_id, const char *own_prefix);

#endif							/* CHAMELEON_BINLOG_STREAM_H */
