/*
 * api_gtid.c -- SQL functions that show how a MySQL GTID set goes on the
 * wire: its binary encoding and the COM_BINLOG_DUMP_GTID payload built from
 * it (gtid_mysql.c).  No MySQL server can run where pg_chameleon is tested,
 * so these let tests compare the bytes with vectors built by hand from
 * MySQL's protocol documentation; they also tell a user whether a set is
 * well formed before a dump is started with it.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "gtid_mysql.h"

PG_FUNCTION_INFO_V1(chameleon_mysql_gtid_set_encode);
PG_FUNCTION_INFO_V1(chameleon_mysql_binlog_dump_gtid_command);

static bytea *
bytes_to_bytea(const uint8 *prefix, size_t prefixlen, const uint8 *data, size_t len)
{
	bytea	   *result = palloc(VARHDRSZ + prefixlen + len);

	SET_VARSIZE(result, VARHDRSZ + prefixlen + len);
	if (prefixlen > 0)
		memcpy(VARDATA(result), prefix, prefixlen);
	memcpy(VARDATA(result) + prefixlen, data, len);
	return result;
}

/* chameleon.mysql_gtid_set_encode(gtid_set text) RETURNS bytea */
Datum
chameleon_mysql_gtid_set_encode(PG_FUNCTION_ARGS)
{
	ChameleonGtidSet *set = chameleon_gtid_set_parse(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	size_t		len;
	uint8	   *data = chameleon_gtid_set_encode(set, &len);

	PG_RETURN_BYTEA_P(bytes_to_bytea(NULL, 0, data, len));
}

/*
 * chameleon.mysql_binlog_dump_gtid_command(gtid_set text, server_id bigint,
 *                                          non_blocking boolean) RETURNS bytea
 * The command byte 0x1e and the payload, as a dump after gtid_set sends them.
 */
Datum
chameleon_mysql_binlog_dump_gtid_command(PG_FUNCTION_ARGS)
{
	ChameleonGtidSet *set = chameleon_gtid_set_parse(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	int64		server_id = PG_GETARG_INT64(1);
	bool		non_blocking = PG_GETARG_BOOL(2);
	uint8		command = CHAMELEON_COM_BINLOG_DUMP_GTID;
	size_t		len;
	uint8	   *payload;

	if (server_id < 0 || server_id > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("server_id " INT64_FORMAT " is out of range", server_id),
				 errhint("MySQL server ids run from 0 to 4294967295.")));
	payload = chameleon_binlog_dump_gtid_payload(set, (uint32) server_id, non_blocking, &len);
	PG_RETURN_BYTEA_P(bytes_to_bytea(&command, 1, payload, len));
}
