/*
 * tabledef.c -- table definitions from the source's information_schema
 * (see tabledef.h).
 */
#include "postgres.h"

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
