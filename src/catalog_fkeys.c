/*
 * catalog_fkeys.c -- sch_chameleon.t_foreign_keys: the MySQL foreign keys of
 * the replicated tables (see catalog.h).  init_replica and sync_tables store
 * them from the source's information_schema; streamed DDL keeps them current
 * (keys added and dropped, tables and columns renamed, tables dropped).  The
 * worker reads them to run the referential actions MySQL does not log, and
 * detach creates them.  The only module that reads or writes the table.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "spi_util.h"

/* The name MySQL generates for a key of table $N: <table>_ibfk_<n>. */
#define GENERATED_NAME_OF(N) \
	"left(constraint_name, length($" N ") + 6) = $" N " || '_ibfk_' " \
	"AND substr(constraint_name, length($" N ") + 7) ~ '^[0-9]{1,18}$'"

void
chameleon_catalog_add_foreign_key(int32 source_id, const ChameleonStoredForeignKey *fk)
{
	Oid			types[10] = {INT4OID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID, TEXTOID,
	TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[10];
	char		nulls[10];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int32GetDatum(source_id);
	values[1] = CStringGetTextDatum(fk->mysql_table);
	values[2] = chameleon_spi_text_arg(fk->constraint_name, &nulls[2]);
	values[3] = chameleon_spi_text_array(fk->columns);
	values[4] = CStringGetTextDatum(fk->referenced_schema);
	values[5] = CStringGetTextDatum(fk->referenced_table);
	values[6] = chameleon_spi_text_array(fk->referenced_columns);
	values[7] = chameleon_spi_text_arg(fk->on_update, &nulls[7]);
	values[8] = chameleon_spi_text_arg(fk->on_delete, &nulls[8]);
	values[9] = CStringGetTextDatum(fk->table_name ? fk->table_name : fk->mysql_table);
	chameleon_spi_run_once("INSERT INTO sch_chameleon.t_foreign_keys "
						   "(source_id, mysql_table, constraint_name, columns, "
						   " referenced_schema, referenced_table, referenced_columns, "
						   " on_update, on_delete) "
						   "VALUES ($1, $2, COALESCE($3, $10 || '_ibfk_' || "
						   "  (SELECT COALESCE(max(substr(constraint_name, length($10) + 7)::bigint), 0) + 1"
						   "     FROM sch_chameleon.t_foreign_keys"
						   "    WHERE source_id = $1 AND mysql_table = $2 AND " GENERATED_NAME_OF("10") ")),"
						   " $4, $5, $6, $7, upper(COALESCE($8, 'RESTRICT')), upper(COALESCE($9, 'RESTRICT'))) "
						   "ON CONFLICT (source_id, mysql_table, constraint_name) DO UPDATE SET "
						   " columns = EXCLUDED.columns, referenced_schema = EXCLUDED.referenced_schema,"
						   " referenced_table = EXCLUDED.referenced_table,"
						   " referenced_columns = EXCLUDED.referenced_columns,"
						   " on_update = EXCLUDED.on_update, on_delete = EXCLUDED.on_delete",
						   10, types, values, nulls, SPI_OK_INSERT,
						   "insert into sch_chameleon.t_foreign_keys");
}

void
chameleon_catalog_drop_foreign_key(int32 source_id, const char *mysql_table,
								   const char *constraint_name)
{
	Oid			types[3] = {INT4OID, TEXTOID, TEXTOID};
	Datum		values[3] = {Int32GetDatum(source_id), CStringGetTextDatum(mysql_table),
	CStringGetTextDatum(constraint_name)};

	/* MySQL's key names are case-insensitive */
	chameleon_spi_run_once("DELETE FROM sch_chameleon.t_foreign_keys "
						   "WHERE source_id = $1 AND mysql_table = $2 "
						   "AND lower(constraint_name) = lower($3)",
						   3, types, values, NULL, SPI_OK_DELETE,
						   "delete from sch_chameleon.t_foreign_keys");
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

void
chameleon_catalog_foreign_keys_table_renamed(int32 source_id, const char *old_key,
											 const char *new_key, const char *old_db,
											 const char *old_table, const char *new_db,
											 const char *new_table)
{
	Oid			types[7] = {INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[7] = {Int32GetDatum(source_id), CStringGetTextDatum(old_table),
		CStringGetTextDatum(new_table), CStringGetTextDatum(old_db),
		CStringGetTextDatum(old_key), CStringGetTextDatum(new_key),
	CStringGetTextDatum(new_db)};

	chameleon_spi_connect();
	chameleon_spi_run("UPDATE sch_chameleon.t_foreign_keys SET mysql_table = $6, "
					  " constraint_name = CASE WHEN " GENERATED_NAME_OF("2")
					  "   THEN $3 || substr(constraint_name, length($2) + 1)"
					  "   ELSE constraint_name END "
					  "WHERE source_id = $1 AND mysql_table = $5",
					  7, types, values, NULL, false, 0, SPI_OK_UPDATE,
					  "rename a table in sch_chameleon.t_foreign_keys");
	chameleon_spi_run("UPDATE sch_chameleon.t_foreign_keys SET referenced_table = $3, "
					  " referenced_schema = $7 "
					  "WHERE source_id = $1 AND referenced_schema = $4 AND referenced_table = $2",
					  7, types, values, NULL, false, 0, SPI_OK_UPDATE,
					  "rename a referenced table in sch_chameleon.t_foreign_keys");
	SPI_finish();
}

void
chameleon_catalog_foreign_keys_column_renamed(int32 source_id, const char *key, const char *db,
											  const char *table, const char *old_name,
											  const char *new_name)
{
	Oid			types[6] = {INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[6] = {Int32GetDatum(source_id), CStringGetTextDatum(table),
		CStringGetTextDatum(old_name), CStringGetTextDatum(new_name),
	CStringGetTextDatum(db), CStringGetTextDatum(key)};

	/* MySQL's column names are case-insensitive */
	chameleon_spi_connect();
	chameleon_spi_run("UPDATE sch_chameleon.t_foreign_keys SET columns = ARRAY("
					  "  SELECT CASE WHEN lower(c) = lower($3) THEN $4 ELSE c END"
					  "    FROM unnest(columns) WITH ORDINALITY AS u(c, n) ORDER BY n) "
					  "WHERE source_id = $1 AND mysql_table = $6",
					  6, types, values, NULL, false, 0, SPI_OK_UPDATE,
					  "rename a column in sch_chameleon.t_foreign_keys");
	chameleon_spi_run("UPDATE sch_chameleon.t_foreign_keys SET referenced_columns = ARRAY("
					  "  SELECT CASE WHEN lower(c) = lower($3) THEN $4 ELSE c END"
					  "    FROM unnest(referenced_columns) WITH ORDINALITY AS u(c, n) ORDER BY n) "
					  "WHERE source_id = $1 AND referenced_schema = $5 AND referenced_table = $2",
					  6, types, values, NULL, false, 0, SPI_OK_UPDATE,
					  "rename a referenced column in sch_chameleon.t_foreign_keys");
	SPI_finish();
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
	n = chameleon_spi_run("SELECT f.mysql_table, f.constraint_name, f.columns,"
						  " f.referenced_schema, f.referenced_table, f.referenced_columns,"
						  " f.on_update, f.on_delete, t.pg_schema, t.pg_table,"
						  " r.pg_schema, r.pg_table"
						  " FROM sch_chameleon.t_foreign_keys f"
						  " JOIN sch_chameleon.t_sources s ON s.source_id = f.source_id"
						  " LEFT JOIN sch_chameleon.t_replica_tables t"
						  " ON t.source_id = f.source_id AND t.mysql_table = f.mysql_table"
						  " LEFT JOIN sch_chameleon.t_replica_tables r"
						  " ON r.source_id = f.source_id AND r.mysql_table ="
						  "  CASE WHEN cardinality(s.mysql_databases) > 1"
						  "   THEN f.referenced_schema || '.' || f.referenced_table"
						  "   WHEN f.referenced_schema = COALESCE(s.mysql_databases[1], s.source_name)"
						  "   THEN f.referenced_table END"
						  " WHERE f.source_id = $1"
						  " ORDER BY f.mysql_table, f.constraint_name",
						  /* not read-only: sees the keys this transaction's DDL wrote */
						  1, &type, &value, NULL, false, 0, SPI_OK_SELECT,
						  "read sch_chameleon.t_foreign_keys");
	for (uint64 i = 0; i < n; i++)
	{
		ChameleonStoredForeignKey *fk = MemoryContextAllocZero(cxt, sizeof(ChameleonStoredForeignKey));
		MemoryContext old;

		fk->mysql_table = chameleon_spi_text(i, 1, cxt);
		fk->constraint_name = chameleon_spi_text(i, 2, cxt);
		fk->columns = chameleon_spi_text_list(i, 3, cxt);
		fk->referenced_schema = chameleon_spi_text(i, 4, cxt);
		fk->referenced_table = chameleon_spi_text(i, 5, cxt);
		fk->referenced_columns = chameleon_spi_text_list(i, 6, cxt);
		fk->on_update = chameleon_spi_text(i, 7, cxt);
		fk->on_delete = chameleon_spi_text(i, 8, cxt);
		fk->pg_schema = chameleon_spi_text(i, 9, cxt);
		fk->pg_table = chameleon_spi_text(i, 10, cxt);
		fk->ref_pg_schema = chameleon_spi_text(i, 11, cxt);
		fk->ref_pg_table = chameleon_spi_text(i, 12, cxt);
		old = MemoryContextSwitchTo(cxt);
		keys = lappend(keys, fk);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return keys;
}
