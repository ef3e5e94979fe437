/*
 * binlog_stream.c -- the replication stream of a MySQL/MariaDB server as a
 * source of binlog events.
 *
 * Owns the dump session: the session variables a binlog reader sets
 * (@master_binlog_checksum, @mariadb_slave_capability,
 * @master_heartbeat_period), COM_REGISTER_SLAVE, COM_BINLOG_DUMP (from a
 * file and position, or after a MariaDB GTID position) and MySQL's
 * COM_BINLOG_DUMP_GTID (after a MySQL GTID set, encoded by gtid_mysql.c),
 * all sent through libmariadb's command method, and reading the packets of the
 * stream: 0x00 + one event, EOF (end of a non-blocking dump), ERR (reported
 * with the server's error number through mysql_client.c).  The events
 * themselves are parsed by binlog.c, like those of a file.
 *
 * The connection is owned by the memory context current at open time
 * (mysql_client.c closes it on reset), so an ERROR never leaks it.
 * libmariadb reads are bounded by the configured read timeout; a worker
 * that streams without end relies on the heartbeat period set here.
 */
#include "postgres.h"

#include "access/xlog.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "binlog.h"
#include "binlog_read.h"
#include "binlog_stream.h"
#include "worker.h"
#include "gtid_mysql.h"

typedef struct BinlogStreamSource
{
	MYSQL	   *conn;
	bool		at_end;
} BinlogStreamSource;

static bool
stream_next(ChameleonBinlogReader *reader, const uint8 **buf, size_t *len)
{
	BinlogStreamSource *src = (BinlogStreamSource *) reader->source;
	unsigned long n;
	const uint8 *pkt;

	if (src->at_end)
		return false;
	CHECK_FOR_INTERRUPTS();

	n = mysql_net_read_packet(src->conn);
	if (n == packet_error || n == 0)
		chameleon_mysql_report_replication(src->conn, ERROR, "reading the binlog stream");
	pkt = src->conn->net.read_pos;

	if (pkt[0] == 0xfe && n < 9)
	{
		/* EOF: the end of the binlog in a non-blocking dump */
		src->at_end = true;
		return false;
	}
	if (pkt[0] != 0x00)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("unexpected packet in the binlog stream"),
				 errdetail("The packet starts with 0x%02x and has %lu bytes.", pkt[0], n)));
	if (n - 1 < BL_HEADER_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("binlog stream packet of %lu bytes is too short for an event", n)));
	*buf = pkt + 1;
	*len = n - 1;
	return true;
}

static void
stream_close(ChameleonBinlogReader *reader)
{
	BinlogStreamSource *src = (BinlogStreamSource *) reader->source;

	if (src->conn)
		chameleon_mysql_close(src->conn);
	src->conn = NULL;
}

static const ChameleonBinlogSourceOps stream_ops = {
	.next = stream_next,
	.close = stream_close,
};

/*
 * Send one replication command; ERROR with the server's message on failure.
 * read_reply: the command answers with one OK/ERR packet, read it here (a
 * dump command answers with the event stream instead).
 */
static void
send_command(MYSQL *conn, enum enum_server_command command, const uint8 *data,
			 size_t len, bool read_reply, const char *what)
{
	if (conn->methods->db_command(conn, command, (const char *) data, len,
								  read_reply ? 0 : 1, NULL) != 0)
		chameleon_mysql_report_replication(conn, ERROR, what);
}

static void
put_u16(uint8 *p, uint16 v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void
put_u32(uint8 *p, uint32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

/*
 * COM_REGISTER_SLAVE: server id, host (our identity, see
 * chameleon_replica_identity), user and password (empty: we are not a
 * server one can connect back to), port, rank, source id.  Shows the reader
 * in SHOW SLAVE HOSTS.
 */
static void
register_replica(MYSQL *conn, uint32 server_id, const char *host)
{
	size_t		hostlen = host ? Min(strlen(host), 60) : 0;
	uint8		buf[4 + 1 + 60 + 1 + 1 + 2 + 4 + 4];
	uint8	   *p = buf;

	put_u32(p, server_id);
	p += 4;
	*p++ = (uint8) hostlen;		/* host */
	if (hostlen > 0)
		memcpy(p, host, hostlen);
	p += hostlen;
	*p++ = 0;					/* user */
	*p++ = 0;					/* password */
	put_u16(p, 0);				/* port */
	p += 2;
	put_u32(p, 0);				/* rank */
	p += 4;
	put_u32(p, 0);				/* source id */
	p += 4;
	send_command(conn, COM_REGISTER_SLAVE, buf, p - buf, true, "registering as a replica");
}

char *
chameleon_replica_identity(Oid dboid, int32 source_id)
{
	char	   *prefix = psprintf("pg_chameleon-" UINT64_FORMAT "-%u-", GetSystemIdentifier(), dboid);

	return source_id == 0 ? prefix : psprintf("%s%d", prefix, (int) source_id);
}

/*
 * A registration of this PostgreSQL server's own replica whose apply worker
 * is gone (stopped, dropped, copied anew): its dump thread lingers on the
 * source until it notices, and the source ends it when a replica of the
 * same server id asks for the binlog.  Not another replica.
 */
static bool
stale_registration(const char *host)
{
	char	   *mine = psprintf("pg_chameleon-" UINT64_FORMAT "-", GetSystemIdentifier());
	unsigned int dboid;
	int			source_id;
	int			used = 0;

	if (ChameleonShmem == NULL || strncmp(host, mine, strlen(mine)) != 0 ||
		sscanf(host + strlen(mine), "%u-%d%n", &dboid, &source_id, &used) != 2 ||
		host[strlen(mine) + used] != '\0')
		return false;
	return !chameleon_worker_is_running((Oid) dboid, source_id, NULL);
}

char *
chameleon_server_id_user(MYSQL *conn, uint32 server_id, const char *own_prefix)
{
	MYSQL_RES  *res = NULL;
	MYSQL_ROW	row;
	char	   *other = NULL;

	if (!chameleon_mysql_try_query(conn, "SHOW SLAVE HOSTS", &res) || res == NULL)
		return NULL;
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		const char *host = row[1] ? row[1] : "";

		if (row[0] == NULL || strtoul(row[0], NULL, 10) != server_id)
			continue;
		/* ours: the identity itself, or any source under a prefix ending in '-' */
		if (own_prefix != NULL &&
			(strcmp(host, own_prefix) == 0 ||
			 (own_prefix[0] && own_prefix[strlen(own_prefix) - 1] == '-' &&
			  strncmp(host, own_prefix, strlen(own_prefix)) == 0)))
			continue;
		if (stale_registration(host))
			continue;
		other = pstrdup(host[0] ? host : "(no host reported)");
		break;
	}
	chameleon_mysql_free_result(res);
	return other;
}

/* Registering as server_id: ERROR when another replica uses it. */
static void
check_server_id_free(MYSQL *conn, uint32 server_id, const char *host)
{
	char	   *other = chameleon_server_id_user(conn, server_id, host);

	if (other != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("my_server_id %u is used by another replica of the source", server_id),
				 errdetail("SHOW SLAVE HOSTS lists server id %u for host \"%s\".", server_id, other),
				 errhint("Give every replica of this MySQL server (pg_chameleon or MySQL) its own my_server_id in its configuration file.")));
}

/* The current end of the binlog: (file, position) of SHOW MASTER STATUS. */
bool
chameleon_binlog_current_end(MYSQL *conn, char **file, uint64 *position)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;

	if (!chameleon_mysql_try_query(conn, "SHOW MASTER STATUS", &res) || res == NULL)
	{
		/* MySQL 8.4 renamed it */
		res = chameleon_mysql_query(conn, "SHOW BINARY LOG STATUS");
	}
	row = res ? mysql_fetch_row(res) : NULL;
	if (row == NULL || row[0] == NULL || row[1] == NULL)
	{
		if (res)
			chameleon_mysql_free_result(res);
		return false;
	}
	*file = pstrdup(row[0]);
	*position = strtoull(row[1], NULL, 10);
	chameleon_mysql_free_result(res);
	return true;
}

/* The first binlog file the server still has. */
char *
chameleon_binlog_first_file(MYSQL *conn)
{
	MYSQL_RES  *res = chameleon_mysql_query(conn, "SHOW BINARY LOGS");
	MYSQL_ROW	row = res ? mysql_fetch_row(res) : NULL;
	char	   *file;

	if (row == NULL || row[0] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the MySQL server has no binary logs"),
				 errhint("Start the server with log_bin and binlog_format=ROW.")));
	file = pstrdup(row[0]);
	chameleon_mysql_free_result(res);
	return file;
}

static void
prepare_session(MYSQL *conn, ChameleonBinlogReader *reader, int heartbeat_ms)
{
	char	   *alg;

	alg = chameleon_mysql_query_value(conn, "SELECT @@global.binlog_checksum");
	/* the events before the first FORMAT_DESCRIPTION carry this checksum */
	reader->state.fmt.checksum_alg = (alg && pg_strcasecmp(alg, "CRC32") == 0) ?
		BL_CHECKSUM_CRC32 : BL_CHECKSUM_OFF;
	chameleon_mysql_exec(conn, "SET @master_binlog_checksum = @@global.binlog_checksum");
	/* MariaDB: send GTID, annotate and checkpoint events (capability 4) */
	chameleon_mysql_exec(conn, "SET @mariadb_slave_capability = 4");
	if (heartbeat_ms > 0)
		chameleon_mysql_exec(conn,
							 psprintf("SET @master_heartbeat_period = " INT64_FORMAT,
									  (int64) heartbeat_ms * 1000000));
}

/*
 * A MariaDB GTID position: domain-server-sequence triples of decimal digits,
 * separated by commas (what @@gtid_binlog_pos prints).  MySQL GTID sets
 * (uuid:interval) are parsed by gtid_mysql.c.
 */
static void
check_gtid_position(const char *gtid)
{
	const char *p = gtid;

	while (*p)
	{
		for (int part = 0; part < 3; part++)
		{
			if (!isdigit((unsigned char) *p))
				goto bad;
			while (isdigit((unsigned char) *p))
				p++;
			if (part < 2 && *p++ != '-')
				goto bad;
		}
		if (*p == ',')
			p++;
		else if (*p != '\0')
			goto bad;
	}
	if (p != gtid)
		return;
bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid MariaDB GTID position \"%s\"", gtid),
			 errhint("Give domain-server-sequence triples separated by commas, as @@gtid_binlog_pos prints them, e.g. '0-1-39', or a MySQL GTID set (uuid:interval).")));
}

static bool
server_is_mariadb(MYSQL *conn)
{
	const char *version = mysql_get_server_info(conn);

	return version != NULL && strstr(version, "MariaDB") != NULL;
}

/*
 * Which GTID start the text and the server call for: a MySQL GTID set for a
 * MySQL server (COM_BINLOG_DUMP_GTID), a MariaDB position for a MariaDB
 * server (@slave_connect_state).  A mismatch is an ERROR before anything is
 * sent: MariaDB has no COM_BINLOG_DUMP_GTID, MySQL no GTID positions.
 * Returns the parsed MySQL set, or NULL for a MariaDB position.
 */
static ChameleonGtidSet *
gtid_start_kind(MYSQL *conn, const char *gtid)
{
	bool		mysql_text = chameleon_gtid_text_is_mysql(gtid);
	ChameleonGtidSet *set = NULL;
	bool		mariadb = server_is_mariadb(conn);

	if (mysql_text)
		set = chameleon_gtid_set_parse(gtid);
	else
		check_gtid_position(gtid);
	if (mysql_text && mariadb)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a MySQL GTID set cannot start a binlog dump from MariaDB"),
				 errdetail("The source is MariaDB %s; its GTID positions are domain-server-sequence triples.",
						   mysql_get_server_info(conn)),
				 errhint("Give the position as @@gtid_binlog_pos prints it (e.g. '0-1-39'), or a binlog file and position.")));
	if (!mysql_text && !mariadb)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a MariaDB GTID position cannot start a binlog dump from MySQL"),
				 errdetail("The source is MySQL %s; its GTIDs are uuid:interval sets.",
						   mysql_get_server_info(conn)),
				 errhint("Give a GTID set as @@gtid_executed prints it (e.g. '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5'), or a binlog file and position.")));
	return set;
}

/* MariaDB: the dump starts after these GTIDs when the file name is empty */
static void
set_mariadb_gtid_start(MYSQL *conn, const char *gtid)
{
	chameleon_mysql_exec(conn, psprintf("SET @slave_connect_state = %s",
										chameleon_mysql_quote_literal(conn, gtid)));
	chameleon_mysql_exec(conn, "SET @slave_gtid_strict_mode = 0");
	chameleon_mysql_exec(conn, "SET @slave_gtid_ignore_duplicates = 0");
}

/* COM_BINLOG_DUMP: position(4) flags(2) server_id(4) file name */
static void
send_dump(MYSQL *conn, const char *file, uint64 position, uint32 server_id,
		  bool non_blocking)
{
	size_t		namelen = strlen(file);
	uint8	   *buf = palloc(10 + namelen);

	put_u32(buf, (uint32) position);
	put_u16(buf + 4, non_blocking ? CHAMELEON_BINLOG_DUMP_NON_BLOCK : 0);
	put_u32(buf + 6, server_id);
	memcpy(buf + 10, file, namelen);
	send_command(conn, COM_BINLOG_DUMP, buf, 10 + namelen, false, "requesting the binlog stream");
}

/* MySQL: COM_BINLOG_DUMP_GTID, the server sends what the set lacks */
static void
send_dump_gtid(MYSQL *conn, const ChameleonGtidSet *set, uint32 server_id,
			   bool non_blocking)
{
	size_t		len;
	uint8	   *buf = chameleon_binlog_dump_gtid_payload(set, server_id, non_blocking, &len);

	send_command(conn, (enum enum_server_command) CHAMELEON_COM_BINLOG_DUMP_GTID, buf, len,
				 false, "requesting the binlog stream after a GTID set");
}

ChameleonBinlogReader *
chameleon_binlog_open_stream(MYSQL *conn, const ChameleonStreamOptions *opts)
{
	ChameleonBinlogReader *reader = palloc0(sizeof(ChameleonBinlogReader));
	BinlogStreamSource *src = palloc0(sizeof(BinlogStreamSource));
	const char *file = opts->gtid ? "" : opts->file;
	uint64		position = opts->gtid ? 4 : opts->position;
	size_t		namelen = strlen(file);
	ChameleonGtidSet *mysql_set = NULL;

	if (opts->gtid)
		mysql_set = gtid_start_kind(conn, opts->gtid);
	else if (namelen == 0 || namelen > 511)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid binlog file name \"%s\"", opts->file)));
	if (position < 4 || position > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("binlog position " UINT64_FORMAT " is out of range", position),
				 errhint("Binlog positions start at 4 and fit in 32 bits.")));

	reader->cxt = CurrentMemoryContext;
	chameleon_binlog_state_init(&reader->state);
	reader->ops = &stream_ops;
	reader->source = src;
	reader->file = pstrdup(file);	/* "" until the stream's first ROTATE names it */
	reader->position = position;
	reader->is_file = false;
	src->conn = conn;

	prepare_session(conn, reader, opts->heartbeat_ms);
	if (opts->gtid && mysql_set == NULL)
		set_mariadb_gtid_start(conn, opts->gtid);
	if (opts->register_replica)
	{
		check_server_id_free(conn, opts->server_id, opts->report_host);
		register_replica(conn, opts->server_id, opts->report_host);
	}

	if (mysql_set)
		send_dump_gtid(conn, mysql_set, opts->server_id, opts->non_blocking);
	else
		send_dump(conn, file, position, opts->server_id, opts->non_blocking);
	return reader;
}
