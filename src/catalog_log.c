/*
 * catalog_log.c -- sch_chameleon.t_errors (rows and statements PostgreSQL
 * rejected, stored whole), sch_chameleon.t_ddl (every DDL statement seen)
 * and sch_chameleon.t_worker_errors (every error the apply worker met, the
 * last ones kept): logs, written only here (see catalog.h).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "spi_util.h"

void
chameleon_catalog_add_error(int32 source_id, const ChameleonLogWhere *where,
							const char *mysql_table, const char *operation,
							const char *row_json, const char *message, const char *sqlstate)
{
	Oid			types[9] = {INT4OID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID};
	Datum		values[9];
	char		nulls[9];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int32GetDatum(source_id);
	values[1] = chameleon_spi_text_arg(where->file, &nulls[1]);
	values[2] = Int64GetDatum((int64) where->pos);
	values[3] = chameleon_spi_text_arg(where->gtid, &nulls[3]);
	values[4] = chameleon_spi_text_arg(mysql_table, &nulls[4]);
	values[5] = chameleon_spi_text_arg(operation, &nulls[5]);
	values[6] = chameleon_spi_text_arg(row_json, &nulls[6]);
	values[7] = chameleon_spi_text_arg(message, &nulls[7]);
	values[8] = chameleon_spi_text_arg(sqlstate, &nulls[8]);
	chameleon_spi_run_once("INSERT INTO sch_chameleon.t_errors (source_id, binlog_file, binlog_position,"
						   " gtid, mysql_table, operation, row_data, error_message, error_sqlstate)"
						   " VALUES ($1, $2, $3, $4, $5, $6, $7::pg_catalog.jsonb, $8, $9)",
						   9, types, values, nulls, SPI_OK_INSERT,
						   "insert into sch_chameleon.t_errors");
}

void
chameleon_catalog_add_ddl(int32 source_id, const ChameleonLogWhere *where,
						  const char *default_schema, const char *source_sql,
						  List *translation, bool translated,
						  const char *status, const char *message)
{
	Oid			types[8] = {INT4OID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTARRAYOID,
	TEXTOID, TEXTOID};
	Datum		values[8];
	char		nulls[8];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int32GetDatum(source_id);
	values[1] = chameleon_spi_text_arg(where->file, &nulls[1]);
	values[2] = Int64GetDatum((int64) where->pos);
	values[3] = chameleon_spi_text_arg(default_schema, &nulls[3]);
	values[4] = CStringGetTextDatum(source_sql);
	values[5] = translated ? chameleon_spi_text_array(translation) : (Datum) 0;
	nulls[5] = translated ? ' ' : 'n';
	values[6] = CStringGetTextDatum(status);
	values[7] = chameleon_spi_text_arg(message, &nulls[7]);
	chameleon_spi_run_once("INSERT INTO sch_chameleon.t_ddl (source_id, binlog_file, binlog_position,"
						   " default_schema, source_sql, translation, status, error_message)"
						   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
						   8, types, values, nulls, SPI_OK_INSERT,
						   "insert into sch_chameleon.t_ddl");
}

void
chameleon_catalog_add_worker_error(int32 source_id, const char *state, const char *message)
{
	Oid			types[4] = {INT4OID, TEXTOID, TEXTOID, INT4OID};
	Datum		values[4];

	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(state);
	values[2] = CStringGetTextDatum(message);
	values[3] = Int32GetDatum(CHAMELEON_WORKER_ERRORS_KEPT);
	chameleon_spi_run_once("INSERT INTO sch_chameleon.t_worker_errors (source_id, state, message)"
						   " VALUES ($1, $2, $3)",
						   3, types, values, NULL, SPI_OK_INSERT,
						   "insert into sch_chameleon.t_worker_errors");
	/* the last ones are enough: an outage of days adds one per retry */
	chameleon_spi_run_once("DELETE FROM sch_chameleon.t_worker_errors"
						   " WHERE source_id = $1 AND error_id <= ("
						   "  SELECT error_id FROM sch_chameleon.t_worker_errors"
						   "   WHERE source_id = $1 ORDER BY error_id DESC OFFSET $4 LIMIT 1)",
						   4, types, values, NULL, SPI_OK_DELETE,
						   "trim sch_chameleon.t_worker_errors");
}
