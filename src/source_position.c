/*
 * source_position.c -- binlog positions read from a MySQL/MariaDB server:
 * the server's current position (SHOW MASTER STATUS), the exact position of
 * a MariaDB consistent snapshot (binlog_snapshot_*) and its GTID position.
 * Used by the copy (each slice's positions) and by verify_tables (the
 * position a compared chunk is consistent with).
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "mysql_client.h"
#include "source_position.h"

/* File and position from SHOW MASTER STATUS (SHOW BINARY LOG STATUS on MySQL 8.4). */
void
chameleon_source_binlog_status(MYSQL *conn, bool is_mariadb, ChameleonSnapshot *snap)
{
	const char *sql = "SHOW MASTER STATUS";
	MYSQL_RES  *res;
	MYSQL_ROW	row;

	if (!is_mariadb && mysql_get_server_version(conn) >= 80400)
		sql = "SHOW BINARY LOG STATUS";
	res = chameleon_mysql_query(conn, sql);
	row = res ? mysql_fetch_row(res) : NULL;
	if (row != NULL && row[0] != NULL && row[0][0] != '\0')
	{
		snap->binlog_file = pstrdup(row[0]);
		snap->binlog_position = strtoi64(row[1], NULL, 10);
		if (!is_mariadb && mysql_num_fields(res) >= 5 && row[4] && row[4][0])
			snap->gtid = pstrdup(row[4]);
	}
	if (res)
		chameleon_mysql_free_result(res);
}

/* MariaDB: the binlog position of this session's consistent snapshot. */
void
chameleon_source_snapshot_position(MYSQL *conn, ChameleonSnapshot *snap)
{
	MYSQL_RES  *res = chameleon_mysql_query(conn, "SHOW STATUS LIKE 'binlog_snapshot_%'");
	MYSQL_ROW	row;
	char	   *position = NULL;

	while ((row = mysql_fetch_row(res)) != NULL)
	{
		if (pg_strcasecmp(row[0], "Binlog_snapshot_file") == 0 && row[1] && row[1][0])
			snap->binlog_file = pstrdup(row[1]);
		else if (pg_strcasecmp(row[0], "Binlog_snapshot_position") == 0 && row[1])
			position = pstrdup(row[1]);
	}
	chameleon_mysql_free_result(res);
	if (snap->binlog_file != NULL && position == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("MariaDB did not report the binlog position of the snapshot"),
				 errdetail("SHOW STATUS LIKE 'binlog_snapshot_%%' has no Binlog_snapshot_position.")));
	if (position != NULL)
		snap->binlog_position = strtoi64(position, NULL, 10);
}

/* The GTID position of a MariaDB snapshot's binlog position. */
void
chameleon_source_snapshot_gtid(MYSQL *conn, ChameleonSnapshot *snap)
{
	char	   *gtid;

	if (snap->binlog_file == NULL)
		return;
	gtid = chameleon_mysql_query_value(conn, psprintf(
			"SELECT BINLOG_GTID_POS(%s, " INT64_FORMAT ")",
			chameleon_mysql_quote_literal(conn, snap->binlog_file),
			snap->binlog_position));
	snap->gtid = (gtid && gtid[0]) ? gtid : NULL;
}

/* ---------------------------------------------------------------------
 * A MariaDB GTID as a binlog position
 * ---------------------------------------------------------------------
 */

/* The sequence number of domain in a GTID position "d-s-n,d-s-n"; -1: absent. */
static int64
domain_seq(const char *state, uint32 domain)
{
	const char *p = state;

	while (p != NULL && *p != '\0')
	{
		unsigned long d;
		unsigned long s;
		unsigned long long n;

		if (sscanf(p, "%lu-%lu-%llu", &d, &s, &n) == 3 && d == domain)
			return (int64) n;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return -1;
}

/* The binlog files of the server, oldest first. */
static List *
binlog_files(MYSQL *conn)
{
	MYSQL_RES  *res = chameleon_mysql_query(conn, "SHOW BINARY LOGS");
	MYSQL_ROW	row;
	List	   *files = NIL;

	while ((row = mysql_fetch_row(res)) != NULL)
		if (row[0] != NULL)
			files = lappend(files, pstrdup(row[0]));
	chameleon_mysql_free_result(res);
	return files;
}

/*
 * The position right after the transaction of GTID "d-s-n" in file: the
 * end of its last event (before the next GTID event or the file's end).
 * -1 when the file does not hold it.
 */
static int64
position_after_gtid(MYSQL *conn, const char *file, const char *gtid)
{
	MYSQL_RES  *res = chameleon_mysql_query(conn, psprintf("SHOW BINLOG EVENTS IN %s",
														   chameleon_mysql_quote_literal(conn, file)));
	MYSQL_ROW	row;
	int64		end = -1;
	bool		inside = false;
	char	   *begin = psprintf("BEGIN GTID %s", gtid);
	char	   *ddl = psprintf("GTID %s", gtid);

	/* Log_name, Pos, Event_type, Server_id, End_log_pos, Info */
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		const char *type = row[2] ? row[2] : "";
		const char *info = row[5] ? row[5] : "";

		if (strcmp(type, "Gtid") == 0 || strcmp(type, "Rotate") == 0 ||
			strcmp(type, "Stop") == 0 || strcmp(type, "Gtid_list") == 0 ||
			strcmp(type, "Binlog_checkpoint") == 0)
		{
			if (inside)
				break;
			inside = strcmp(type, "Gtid") == 0 &&
				(strcmp(info, begin) == 0 || strcmp(info, ddl) == 0 ||
				 strncmp(info, psprintf("%s ", begin), strlen(begin) + 1) == 0 ||
				 strncmp(info, psprintf("%s ", ddl), strlen(ddl) + 1) == 0);
			if (inside && row[4] != NULL)
				end = strtoi64(row[4], NULL, 10);
			continue;
		}
		if (inside && row[4] != NULL)
			end = strtoi64(row[4], NULL, 10);
	}
	chameleon_mysql_free_result(res);
	return end;
}

void
chameleon_source_gtid_position(MYSQL *conn, const char *gtid, ChameleonSnapshot *snap)
{
	unsigned long domain;
	unsigned long server;
	unsigned long long seq;
	int			used = 0;
	List	   *files;
	char	   *found_file = NULL;
	int64		found_pos = -1;

	if (sscanf(gtid, "%lu-%lu-%llu%n", &domain, &server, &seq, &used) != 3 ||
		gtid[used] != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a MariaDB GTID", gtid),
				 errhint("Give one GTID, domain-server-sequence (e.g. 0-1-1234), the last transaction the loaded data holds; with several domains, or on MySQL, give the binlog file and position instead.")));
	files = binlog_files(conn);
	/* newest first: the last file that starts before the GTID holds it */
	for (int i = list_length(files) - 1; i >= 0 && found_file == NULL; i--)
	{
		char	   *file = list_nth(files, i);
		char	   *start = chameleon_mysql_query_value(conn, psprintf(
				"SELECT BINLOG_GTID_POS(%s, 4)", chameleon_mysql_quote_literal(conn, file)));
		int64		at_start = domain_seq(start ? start : "", (uint32) domain);

		if (at_start >= (int64) seq)
			continue;			/* the file starts after it */
		found_pos = position_after_gtid(conn, file, gtid);
		if (found_pos < 0)
			break;				/* not in the file that must hold it */
		found_file = file;
	}
	if (found_file == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("GTID %s is not in the binary logs of the source", gtid),
				 errhint("The binlog may have been purged since, or the GTID is not of this server's history; give the binlog file and position of the data instead.")));
	snap->binlog_file = found_file;
	snap->binlog_position = found_pos;
	chameleon_source_snapshot_gtid(conn, snap);
}
