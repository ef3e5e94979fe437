/*
 * gtid_mysql.h -- MySQL GTID sets: the text form, the wire encoding and the
 * COM_BINLOG_DUMP_GTID command that carries them.
 *
 * gtid_mysql.c owns parsing "uuid:1-5:7,uuid2:1-3" (what @@gtid_executed
 * prints), its normal form (uuids in byte order, intervals sorted and merged,
 * as the server keeps them) and MySQL's binary encoding of a set (the one
 * PREVIOUS_GTIDS events also carry).  MariaDB GTID positions are another
 * thing altogether (binlog_stream.c).
 */
#ifndef CHAMELEON_GTID_MYSQL_H
#define CHAMELEON_GTID_MYSQL_H

/* One interval of transaction numbers: [start, end), start >= 1. */
typedef struct ChameleonGtidInterval
{
	int64		start;
	int64		end;			/* exclusive */
} ChameleonGtidInterval;

/* The transactions of one source server. */
typedef struct ChameleonGtidSid
{
	uint8		uuid[16];
	int			nintervals;
	ChameleonGtidInterval *intervals;
} ChameleonGtidSid;

typedef struct ChameleonGtidSet
{
	int			nsids;
	ChameleonGtidSid *sids;
} ChameleonGtidSet;

/* COM_BINLOG_DUMP_GTID: MySQL's command byte (MariaDB has no such command) */
#define CHAMELEON_COM_BINLOG_DUMP_GTID 0x1e

/* flags of COM_BINLOG_DUMP and COM_BINLOG_DUMP_GTID */
#define CHAMELEON_BINLOG_DUMP_NON_BLOCK		0x0001
#define CHAMELEON_BINLOG_THROUGH_POSITION	0x0002
#define CHAMELEON_BINLOG_THROUGH_GTID		0x0004

/*
 * True when text looks like a MySQL GTID set (it has a uuid:interval colon)
 * rather than a MariaDB GTID position (domain-server-sequence).
 */
extern bool chameleon_gtid_text_is_mysql(const char *text);

/* Parse a MySQL GTID set, in normal form; ERROR with the reason if malformed. */
extern ChameleonGtidSet *chameleon_gtid_set_parse(const char *text);

/* The set as MySQL prints it (normal form, "uuid:1-5:7,uuid2:3"). */
extern char *chameleon_gtid_set_format(const ChameleonGtidSet *set);

/*
 * MySQL's binary encoding of a set (Gtid_set::encode): n_sids (8 bytes),
 * then per sid its 16-byte uuid, n_intervals (8 bytes) and each interval's
 * start and exclusive end (8 bytes each), all little-endian.  palloc'd.
 */
extern uint8 *chameleon_gtid_set_encode(const ChameleonGtidSet *set, size_t *len);

/*
 * The payload of COM_BINLOG_DUMP_GTID after its command byte: flags (2),
 * server_id (4), binlog name length (4) and name (empty: the server picks
 * the first binlog holding a transaction not in the set), position (8, = 4),
 * and, with BINLOG_THROUGH_GTID (always set here), the encoded set's size (4)
 * and the set.  palloc'd.
 */
extern uint8 *chameleon_binlog_dump_gtid_payload(const ChameleonGtidSet *set,
												 uint32 server_id, bool non_blocking,
												 size_t *len);

#endif							/* CHAMELEON_GTID_MYSQL_H */
