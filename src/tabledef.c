/*
 * tabledef.c -- table definitions for decoding (see tabledef.h): from the
 * source's information_schema, and the choice the apply worker makes for a
 * table map without column metadata.
 */
#include "postgres.h"

#include "access/xact.h"

#include "tabledef.h"
#include "typemap.h"

ChameleonTableDef *
chameleon_tabledef_from_source(MYSQL *conn, const ChameleonConfig *cfg,
							   const char *schema, const char *table)
{
	ChameleonTypeOptions opts = {0};
	ChameleonTableDef *def;
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	char	   *sql;
	int			n = 0;

	opts.tinyint1_as_boolean = cfg->tinyint1_as_boolean;
	opts.hexify = cfg->hexify;
	opts.overrides = cfg->type_override;
	opts.table = table;
	opts.postgis_schema = IsTransactionState() ? chameleon_postgis_schema() : NULL;
	opts.postgis = opts.postgis_schema != NULL;

	sql = psprintf("SELECT COLUMN_NAME, COLUMN_TYPE, CHARACTER_SET_NAME"
				   " FROM information_schema.COLUMNS"
				   " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s"
				   " ORDER BY ORDINAL_POSITION",
				   chameleon_mysql_quote_literal(conn, schema),
				   chameleon_mysql_quote_literal(conn, table));
	res = chameleon_mysql_query(conn, sql);
	if (res == NULL || mysql_num_rows(res) == 0)
	{
		if (res)
			chameleon_mysql_free_result(res);
		return NULL;
	}

	def = palloc0(sizeof(ChameleonTableDef));
	def->ncols = (int) mysql_num_rows(res);
	def->cols = palloc0(sizeof(ChameleonColumnDef) * def->ncols);
	while ((row = mysql_fetch_row(res)) != NULL && n < def->ncols)
	{
		ChameleonColumnDef *c = &def->cols[n++];
		ChameleonMySQLType *mt = chameleon_parse_mysql_type(row[1]);
		ChameleonPgType *pt = chameleon_map_mysql_type(mt, &opts);

		c->name = pstrdup(row[0]);
		c->kind = (int) pt->kind;
		c->is_unsigned = mt->is_unsigned ? 1 : 0;
		c->labels = mt->labels;
		c->charset = row[2] ? pstrdup(row[2]) : (mt->charset ? mt->charset : NULL);
	}
	chameleon_mysql_free_result(res);
	return def;
}

ChameleonTableDef *
chameleon_tabledef_for_map(const ChameleonTableMap *map, ChameleonRecordedShapeFn recorded,
						   const ChameleonConfig *cfg, MYSQL **conn, MemoryContext conn_cxt)
{
	ChameleonTableDef *def;
	MemoryContext old;

	if (map->has_names && map->has_signedness && map->has_charsets)
		return NULL;
	/* the shape the binlog has at this point, kept from the DDL stream */
	def = recorded ? recorded(map->schema, map->table) : NULL;
	if (def != NULL)
	{
		if (def->ncols != map->ncols)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("table %s.%s has %d columns in the binlog but %d in its recorded MySQL shape",
							map->schema, map->table, map->ncols, def->ncols),
					 errdetail("The recorded shape is in sch_chameleon.t_table_columns; a DDL statement was not followed (see sch_chameleon.t_ddl)."),
					 errhint("Copy the table again with chameleon.sync_tables().")));
		return def;
	}
	old = MemoryContextSwitchTo(conn_cxt);
	if (*conn == NULL)
		*conn = chameleon_mysql_connect(cfg);
	MemoryContextSwitchTo(old);
	def = chameleon_tabledef_from_source(*conn, cfg, map->schema, map->table);
	if (def != NULL && def->ncols != map->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("table %s.%s has %d columns in the binlog but %d on the source now",
						map->schema, map->table, map->ncols, def->ncols),
				 errhint("Without binlog_row_metadata=FULL the table definition is read from the source; set binlog_row_metadata=FULL and copy the table again.")));
	return def;
}
