/*
 * catalog_fkeys.c -- sch_chameleon.t_foreign_keys: the MySQL foreign keys
 * init_replica and sync_tables record, created at detach (see catalog.h).
 * The only module that reads or writes it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "spi_util.h"

void
chameleon_catalog_add_foreign_key(int32 source_id, const char *mysql_table,
								  const char *constraint_name, List *columns,
								  const char *referenced_schema,
								  const char *referenced_table,
								  List *referenced_columns,
								  const char *on_update, const char *on_delete,
								  const char *create_sql)
{
	Oid			types[10] = {INT4OID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID, TEXTOID,
	TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[10];
	char		nulls[10];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int32GetDatum(source_id);
	values[1] = chameleon_spi_text_arg(mysql_table, &nulls[1]);
	values[2] = chameleon_spi_text_arg(constraint_name, &nulls[2]);
	values[3] = chameleon_spi_text_array(columns);
	values[4] = chameleon_spi_text_arg(referenced_schema, &nulls[4]);
	values[5] = chameleon_spi_text_arg(referenced_table, &nulls[5]);
	values[6] = chameleon_spi_text_array(referenced_columns);
	values[7] = chameleon_spi_text_arg(on_update, &nulls[7]);
	values[8] = chameleon_spi_text_arg(on_delete, &nulls[8]);
	values[9] = chameleon_spi_text_arg(create_sql, &nulls[9]);
	chameleon_spi_run_once("INSERT INTO sch_chameleon.t_foreign_keys "
						   "(source_id, mysql_table, constraint_name, columns, "
						   " referenced_schema, referenced_table, referenced_columns, "
						   " on_update, on_delete, create_sql) "
						   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
						   10, types, values, nulls, SPI_OK_INSERT,
						   "insert into sch_chameleon.t_foreign_keys");
}

void
chameleon_catalog_delete_foreign_keys(int32 source_id, const char *mysql_table)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table)};

	chameleon_spi_run_once("DELETE FROM sch_chameleon.t_foreign_keys "
						   "WHERE source_id = $1 AND mysql_table = $2",
						   2, types, values, NULL, SPI_OK_DELETE,
						   "delete from sch_chameleon.t_foreign_keys");
}

List *
chameleon_catalog_foreign_keys(int32 source_id)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(source_id);
	List	   *keys = NIL;
	uint64		n;

	chameleon_spi_connect();
	n = chameleon_spi_run("SELECT f.mysql_table, f.constraint_name, f.create_sql,"
						  " t.pg_schema, t.pg_table"
						  " FROM sch_chameleon.t_foreign_keys f"
						  " LEFT JOIN sch_chameleon.t_replica_tables t"
						  " ON t.source_id = f.source_id AND t.mysql_table = f.mysql_table"
						  " WHERE f.source_id = $1"
						  " ORDER BY f.mysql_table, f.constraint_name",
						  1, &type, &value, NULL, true, 0, SPI_OK_SELECT,
						  "read sch_chameleon.t_foreign_keys");
	for (uint64 i = 0; i < n; i++)
	{
		ChameleonStoredForeignKey *fk = MemoryContextAllocZero(cxt, sizeof(ChameleonStoredForeignKey));
		MemoryContext old;

		fk->mysql_table = chameleon_spi_text(i, 1, cxt);
		fk->constraint_name = chameleon_spi_text(i, 2, cxt);
		fk->create_sql = chameleon_spi_text(i, 3, cxt);
		fk->pg_schema = chameleon_spi_text(i, 4, cxt);
		fk->pg_table = chameleon_spi_text(i, 5, cxt);
		old = MemoryContextSwitchTo(cxt);
		keys = lappend(keys, fk);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return keys;
}
