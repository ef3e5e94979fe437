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
