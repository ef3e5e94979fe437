/*
 * schema.c -- MySQL metadata (information_schema) into PostgreSQL DDL.
 *
 * Owns reading a MySQL/MariaDB database's tables, columns, indexes, CHECK
 * constraints (to recognise MariaDB's json columns) and foreign keys from
 * information_schema, and writing the PostgreSQL side through SPI:
 *   - CREATE SCHEMA and CREATE TABLE with the columns in MySQL's order,
 *     mapped types (typemap.c), NOT NULL, translated defaults, the enum/set
 *     CHECKs, identity columns for AUTO_INCREMENT, table/column comments;
 *   - after the data is in: the primary key, unique and secondary indexes
 *     (a prefix index becomes a full index, with a NOTICE), identities and
 *     sequences restarted past the copied maximum.
 * Foreign keys are only read here; copy.c stores them for detach.
 *
 * Names keep MySQL's spelling and go through quote_identifier().  A table
 * or column name longer than a PostgreSQL identifier is an error.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "copy_values.h"
#include "ddl.h"
#include "list_util.h"
#include "schema.h"
#include "subxact.h"
#include "type_override.h"
#include "spi_util.h"

/* ---------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------
 */

void
chameleon_run_sql(const char *sql)
{
	int			rc;

	chameleon_spi_connect();
	rc = SPI_execute(sql, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute failed (%d): %s", rc, sql);
	SPI_finish();
}

/* chameleon_run_sql() for chameleon_run_in_subxact(): arg is the SQL text. */
void
chameleon_run_sql_cb(void *sql)
{
	chameleon_run_sql((const char *) sql);
}

/* Run a query returning one value as text (palloc'd in the caller's context). */
static char *
run_sql_value(const char *sql)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *value = NULL;
	int			rc;

	chameleon_spi_connect();
	rc = SPI_execute(sql, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed (%d): %s", rc, sql);
	if (SPI_processed == 1)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (v != NULL)
			value = MemoryContextStrdup(caller, v);
	}
	SPI_finish();
	return value;
}

/* A copy of row[i], NULL for SQL NULL. */
static char *
field(MYSQL_ROW row, unsigned long *lengths, int i)
{
	return row[i] ? pnstrdup(row[i], lengths[i]) : NULL;
}

/* A copy of row[i], NULL for SQL NULL and for "". */
static char *
field_nonempty(MYSQL_ROW row, unsigned long *lengths, int i)
{
	return (row[i] && lengths[i] > 0) ? pnstrdup(row[i], lengths[i]) : NULL;
}

static int64
field_int64(MYSQL_ROW row, int i)
{
	return row[i] ? strtoi64(row[i], NULL, 10) : 0;
}

static bool
contains_ci(const char *haystack, const char *needle)
{
	size_t		n = strlen(needle);

	if (haystack == NULL)
		return false;
	for (const char *p = haystack; *p; p++)
	{
		if (pg_strncasecmp(p, needle, n) == 0)
			return true;
	}
	return false;
}

static char *
qualified_name(const char *schema, const char *name)
{
	return psprintf("%s.%s", quote_identifier(schema), quote_identifier(name));
}

/* A MySQL name must fit in a PostgreSQL identifier. */
static void
check_name_length(const char *table, const char *column)
{
	const char *name = column ? column : table;

	if (strlen(name) < NAMEDATALEN)
		return;
	if (column == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("MySQL table name \"%s\" is too long for PostgreSQL", table),
				 errdetail("The name has %zu bytes; PostgreSQL identifiers have at most %d.",
						   strlen(table), NAMEDATALEN - 1),
				 errhint("Rename the table in MySQL or leave it out with tables_limit.")));
	ereport(ERROR,
			(errcode(ERRCODE_NAME_TOO_LONG),
			 errmsg("column name \"%s\" of MySQL table \"%s\" is too long for PostgreSQL",
					column, table),
			 errdetail("The name has %zu bytes; PostgreSQL identifiers have at most %d.",
					   strlen(column), NAMEDATALEN - 1),
			 errhint("Rename the column in MySQL or leave the table out with tables_limit.")));
}

/*
 * "<a>_<b>", shortened to an identifier with a hash of the whole name: the
 * one naming rule, shared with DDL translation so later DDL finds the objects.
 */
#define make_pg_name(a, b) chameleon_ddl_object_name((a), (b))

char *
chameleon_pg_index_name(const char *table, const char *index)
{
	if (strcmp(index, "PRIMARY") == 0)
		return make_pg_name(table, "pkey");
	return make_pg_name(table, index);
}

/* ---------------------------------------------------------------------
 * Reading information_schema
 * ---------------------------------------------------------------------
 */

static ChameleonTable *
find_table(List *tables, const char *name, ChameleonTable *hint)
{
	ListCell   *lc;

	if (hint != NULL && strcmp(hint->name, name) == 0)
		return hint;
	foreach(lc, tables)
	{
		ChameleonTable *t = lfirst(lc);

		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

/* The replica's name of table name of opts->my_database (table_keys.c). */
static char *
table_key(const ChameleonSchemaOptions *opts, const char *name)
{
	return opts->qualify ? psprintf("%s.%s", opts->my_database, name) : pstrdup(name);
}

bool
chameleon_schema_key_split(const ChameleonSchemaOptions *opts, const char *key,
						   char **db, char **pg_schema, char **table)
{
	const ChameleonDatabaseMap *m;

	if (!opts->qualify)
	{
		*db = pstrdup(opts->my_database);
		*pg_schema = pstrdup(opts->pg_schema);
		*table = pstrdup(key);
		return true;
	}
	if ((m = chameleon_key_database(opts->databases, key)) == NULL)
		return false;
	*db = pstrdup(m->database);
	*pg_schema = pstrdup(m->schema);
	*table = pstrdup(key + strlen(m->database) + 1);
	return true;
}

/* Is the table of this key read: tables_limit, skip_tables? */
static bool
schema_keeps_table(const ChameleonSchemaOptions *opts, const char *key)
{
	return (opts->tables_limit == NIL || chameleon_table_listed(opts->tables_limit, key)) &&
		!chameleon_table_listed(opts->skip_tables, key);
}

/* tables_limit: every listed table must exist. */
static void
check_tables_limit(List *keys, const ChameleonSchemaOptions *opts)
{
	ListCell   *lc;
	StringInfoData missing;
	int			nmissing = 0;

	initStringInfo(&missing);
	foreach(lc, opts->tables_limit)
	{
		const char *name = lfirst(lc);
		size_t		len = strlen(name);
		ListCell   *lt;
		bool		found = strcmp(name, "*") == 0 ||
			(len > 2 && strcmp(name + len - 2, ".*") == 0);

		foreach(lt, keys)
			found |= strcmp((char *) lfirst(lt), name) == 0;
		if (found)
			continue;
		appendStringInfo(&missing, "%s\"%s\"", nmissing > 0 ? ", " : "", name);
		nmissing++;
	}
	if (nmissing > 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 opts->databases != NIL ?
				 errmsg_plural("table %s of tables_limit does not exist in MySQL",
							   "tables %s of tables_limit do not exist in MySQL",
							   nmissing, missing.data) :
				 errmsg_plural("table %s of tables_limit does not exist in MySQL database \"%s\"",
							   "tables %s of tables_limit do not exist in MySQL database \"%s\"",
							   nmissing, missing.data, opts->my_database),
				 errhint("Only base tables can be copied; check the names (they are case sensitive).")));
}

static List *
read_tables(MYSQL *conn, const ChameleonSchemaOptions *opts, const char *db, List **all_keys)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	List	   *tables = NIL;
	List	   *kept = NIL;
	ListCell   *lc;

	res = chameleon_mysql_query(conn, psprintf(
			"SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, AUTO_INCREMENT, TABLE_COMMENT "
			"FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
			"ORDER BY TABLE_NAME", db));
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		unsigned long *len = mysql_fetch_lengths(res);
		ChameleonTable *t;

		if (strcmp(row[1], "BASE TABLE") != 0)
		{
			if (schema_keeps_table(opts, table_key(opts, row[0])))
				ereport(NOTICE,
						(errmsg("%s \"%s\" is not copied: only base tables are",
								pg_strcasecmp(row[1], "VIEW") == 0 ? "view" : "object",
								row[0]),
						 errdetail("Its table type is %s.", row[1])));
			continue;
		}
		t = palloc0(sizeof(ChameleonTable));
		t->name = field(row, len, 0);
		t->database = pstrdup(opts->my_database);
		t->pg_schema = pstrdup(opts->pg_schema);
		t->key = table_key(opts, t->name);
		*all_keys = lappend(*all_keys, t->key);
		t->engine = field(row, len, 2);
		t->rows_estimate = field_int64(row, 3);
		t->auto_increment = field_int64(row, 4);
		t->comment = field_nonempty(row, len, 5);
		tables = lappend(tables, t);
	}
	chameleon_mysql_free_result(res);

	foreach(lc, tables)
	{
		ChameleonTable *t = lfirst(lc);

		if (!schema_keeps_table(opts, t->key))
			continue;
		check_name_length(t->name, NULL);
		kept = lappend(kept, t);
	}
	return kept;
}

/* MariaDB json columns: "json_valid(`col`)" CHECK constraints, as "table\0col" keys. */
static List *
read_json_columns(MYSQL *conn, const ChameleonSchemaOptions *opts, const char *db)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	List	   *found = NIL;

	if (!opts->is_mariadb)
		return NIL;
	res = chameleon_mysql_query(conn, psprintf(
			"SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
			"FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %s", db));
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		char	   *expected = psprintf("json_valid(`%s`)", row[1]);

		if (strcmp(row[2], expected) == 0)
			found = lappend(found, psprintf("%s\x1f%s", row[0], row[1]));
		else
			ereport(DEBUG1,
					(errmsg("CHECK constraint \"%s\" of MySQL table \"%s\" is not copied",
							row[1], row[0])));
	}
	chameleon_mysql_free_result(res);
	return found;
}

/*
 * The SRIDs of spatial columns, as "table\x1fcolumn\x1fsrid" entries:
 * MySQL 8 has them in COLUMNS.SRS_ID (NULL: no SRID), MariaDB in
 * GEOMETRY_COLUMNS.SRID (REF_SYSTEM_ID; 0 when none; the table and column
 * are in its G_ columns, the F_ ones may be empty).  Servers without
 * either have none.
 */
static List *
read_spatial_srids(MYSQL *conn, const ChameleonSchemaOptions *opts, const char *db)
{
	MYSQL_RES  *res = NULL;
	MYSQL_ROW	row;
	List	   *found = NIL;
	const char *sql = opts->is_mariadb ?
		psprintf("SELECT G_TABLE_NAME, G_GEOMETRY_COLUMN, SRID FROM information_schema.GEOMETRY_COLUMNS"
				 " WHERE G_TABLE_SCHEMA = %s", db) :
		psprintf("SELECT TABLE_NAME, COLUMN_NAME, SRS_ID FROM information_schema.COLUMNS"
				 " WHERE TABLE_SCHEMA = %s AND SRS_ID IS NOT NULL", db);

	if (!chameleon_mysql_try_query(conn, sql, &res) || res == NULL)
		return NIL;
	while ((row = mysql_fetch_row(res)) != NULL)
		if (row[0] && row[1] && row[2] && strtol(row[2], NULL, 10) > 0)
			found = lappend(found, psprintf("%s\x1f%s\x1f%s", row[0], row[1], row[2]));
	chameleon_mysql_free_result(res);
	return found;
}

/* The SRID of table.column from read_spatial_srids(), or -1. */
static int
spatial_srid(List *srids, const char *table, const char *column)
{
	char	   *key = psprintf("%s\x1f%s\x1f", table, column);
	size_t		n = strlen(key);
	ListCell   *lc;

	foreach(lc, srids)
		if (strncmp(lfirst(lc), key, n) == 0)
			return (int) strtol((char *) lfirst(lc) + n, NULL, 10);
	return -1;
}

/* Is "table.column" in the list of json columns? */
static bool
is_json_column(List *json_columns, const char *table, const char *column)
{
	char	   *key = psprintf("%s\x1f%s", table, column);
	bool		found = chameleon_name_in_list(json_columns, key);

	pfree(key);
	return found;
}

/* ---------- defaults ---------- */

/* MariaDB prints string defaults quoted: '' for ', backslash escapes. */
static bool
unquote_mariadb_literal(const char *s, StringInfo out)
{
	size_t		len = strlen(s);

	if (len < 2 || s[0] != '\'' || s[len - 1] != '\'')
		return false;
	for (size_t i = 1; i < len - 1; i++)
	{
		char		c = s[i];

		if (c == '\'' && i + 1 < len - 1 && s[i + 1] == '\'')
			i++;
		else if (c == '\\' && i + 1 < len - 1)
		{
			int			u = chameleon_mysql_unescape(s[++i]);

			if (u == -1)
			{
				appendStringInfoChar(out, '\\');
				u = (unsigned char) s[i];
			}
			c = (char) u;
		}
		appendStringInfoChar(out, c);
	}
	return true;
}

static bool
is_number_literal(const char *s)
{
	char	   *end;

	if (*s == '\0')
		return false;
	(void) strtod(s, &end);
	return *end == '\0' && strspn(s, "+-0123456789.eE") == strlen(s);
}

/* b'0101' -> its value; false if s is not a bit literal. */
static bool
parse_bit_literal(const char *s, uint64 *value)
{
	size_t		len = strlen(s);

	if (len < 3 || (s[0] != 'b' && s[0] != 'B') || s[1] != '\'' || s[len - 1] != '\'' ||
		len - 3 > 64)
		return false;
	*value = 0;
	for (size_t i = 2; i < len - 1; i++)
	{
		if (s[i] != '0' && s[i] != '1')
			return false;
		*value = (*value << 1) | (uint64) (s[i] - '0');
	}
	return true;
}

/* CURRENT_TIMESTAMP and its spellings, with an optional (fsp). */
static bool
is_current_timestamp(const char *s)
{
	static const char *const names[] = {
		"current_timestamp", "now", "localtime", "localtimestamp"
	};

	for (int i = 0; i < (int) lengthof(names); i++)
	{
		size_t		n = strlen(names[i]);

		if (pg_strncasecmp(s, names[i], n) != 0)
			continue;
		s += n;
		if (*s == '\0')
			return true;
		if (*s != '(')
			return false;
		s += strspn(s + 1, "0123456789") + 1;
		return strcmp(s, ")") == 0;
	}
	return false;
}

static void
notice_default_dropped(const ChameleonTable *t, const ChameleonColumn *c,
					   const char *raw, const char *why)
{
	ereport(NOTICE,
			(errmsg("default of column \"%s\" of table \"%s\" is not copied",
					c->name, t->name),
			 errdetail("MySQL default: %s; %s.", raw, why)));
}

/* A literal default (bytes) through the same conversion as copied values. */
static char *
literal_default(const ChameleonTable *t, const ChameleonColumn *c,
				const char *raw, const char *bytes, size_t len)
{
	ChameleonValueConv conv;
	StringInfoData scratch;
	const char *out;
	size_t		outlen;
	ChameleonConvStatus status;

	chameleon_value_conv_init(&conv, c->mytype, c->pgtype, true);
	initStringInfo(&scratch);
	status = chameleon_convert_value(&conv, bytes, len, &scratch, &out, &outlen);
	if (status == CHAMELEON_CONV_NULL)
		return NULL;			/* zero date: no default */
	if (status != CHAMELEON_CONV_OK)
	{
		notice_default_dropped(t, c, raw, chameleon_conv_status_message(status));
		return NULL;
	}
	return quote_literal_cstr(pnstrdup(out, outlen));
}

static char *
bit_literal_default(const ChameleonTable *t, const ChameleonColumn *c,
					const char *raw, uint64 value)
{
	unsigned char bytes[8];

	for (int i = 0; i < 8; i++)
		bytes[i] = (value >> (8 * (7 - i))) & 0xff;
	if (c->pgtype->kind == CHAMELEON_KIND_BIT)
		return literal_default(t, c, raw, (const char *) bytes, 8);
	if (c->pgtype->kind == CHAMELEON_KIND_INT || c->pgtype->kind == CHAMELEON_KIND_UINT)
		return quote_literal_cstr(psprintf(UINT64_FORMAT, value));
	notice_default_dropped(t, c, raw, "a bit literal for a column that is not bit or integer");
	return NULL;
}

static char *
expression_default(const ChameleonTable *t, const ChameleonColumn *c,
				   const char *expr)
{
	ChameleonValueKind kind = c->pgtype->kind;

	if (is_current_timestamp(expr) &&
		(kind == CHAMELEON_KIND_DATETIME || kind == CHAMELEON_KIND_TIMESTAMP))
		return pstrdup("CURRENT_TIMESTAMP");
	if ((pg_strcasecmp(expr, "curdate()") == 0 || pg_strcasecmp(expr, "current_date()") == 0 ||
		 pg_strcasecmp(expr, "current_date") == 0) && kind == CHAMELEON_KIND_DATE)
		return pstrdup("CURRENT_DATE");
	notice_default_dropped(t, c, expr, "expression defaults are not translated");
	return NULL;
}

/*
 * The PostgreSQL DEFAULT of a column from information_schema COLUMN_DEFAULT
 * (MariaDB prints literals quoted and expressions as written; MySQL prints
 * literals bare and flags expressions DEFAULT_GENERATED in EXTRA).
 */
static char *
translate_default(const ChameleonSchemaOptions *opts, const ChameleonTable *t,
				  const ChameleonColumn *c, const char *raw, const char *extra)
{
	StringInfoData bytes;
	uint64		bits;

	if (raw == NULL)
		return NULL;
	if (opts->is_mariadb)
	{
		if (pg_strcasecmp(raw, "NULL") == 0)
			return NULL;
		initStringInfo(&bytes);
		if (unquote_mariadb_literal(raw, &bytes))
			return literal_default(t, c, raw, bytes.data, bytes.len);
		if (parse_bit_literal(raw, &bits))
			return bit_literal_default(t, c, raw, bits);
		if (is_number_literal(raw))
			return literal_default(t, c, raw, raw, strlen(raw));
		return expression_default(t, c, raw);
	}
	if (contains_ci(extra, "DEFAULT_GENERATED"))
		return expression_default(t, c, raw);
	if (c->pgtype->kind == CHAMELEON_KIND_BIT && parse_bit_literal(raw, &bits))
		return bit_literal_default(t, c, raw, bits);
	return literal_default(t, c, raw, raw, strlen(raw));
}

/* ---------- columns ---------- */

static bool
is_identity_type(const ChameleonPgType *pt)
{
	return strcmp(pt->pg_type, "smallint") == 0 || strcmp(pt->pg_type, "integer") == 0 ||
		strcmp(pt->pg_type, "bigint") == 0;
}

/* Facts about columns that COLUMNS does not say on every server. */
typedef struct ColumnFacts
{
	List	   *json_columns;	/* MariaDB json columns */
	List	   *srids;			/* SRIDs of spatial columns */
} ColumnFacts;

static void
read_column(const ChameleonSchemaOptions *opts, ChameleonTable *t, ChameleonColumn *c,
			MYSQL_ROW row, unsigned long *len, const ColumnFacts *facts)
{
	char	   *extra = field(row, len, 6);
	char	   *charset = field(row, len, 7);
	char	   *generation = field_nonempty(row, len, 9);

	c->name = field(row, len, 1);
	check_name_length(t->name, c->name);
	c->column_type = field(row, len, 4);
	if (is_json_column(facts->json_columns, t->name, c->name))
		c->column_type = pstrdup("json");
	c->mytype = chameleon_parse_mysql_type(c->column_type);
	if (facts->srids != NIL && c->mytype->srid < 0)
		c->mytype->srid = spatial_srid(facts->srids, t->name, c->name);
	if (charset != NULL && c->mytype->charset == NULL)
		c->mytype->charset = charset;
	{
		ChameleonTypeOptions typeopts = opts->type_options;

		typeopts.table = t->key;
		c->pgtype = chameleon_map_mysql_type(c->mytype, &typeopts);
	}
	c->not_null = (strcmp(row[3], "NO") == 0);
	c->auto_increment = contains_ci(extra, "auto_increment");
	c->on_update_now = contains_ci(extra, "on update");
	c->generated = (generation != NULL);
	c->comment = field_nonempty(row, len, 8);

	/* a zero date becomes NULL, so such a column cannot be NOT NULL */
	if (opts->zero_dates_to_null && chameleon_type_takes_zero_dates(c->pgtype))
		c->not_null = false;

	if (c->generated)
		ereport(NOTICE,
				(errmsg("generated column \"%s\" of table \"%s\" is copied as a plain column",
						c->name, t->name),
				 errdetail("MySQL expression: %s", generation)));
	if (!c->auto_increment && !c->generated)
		c->default_sql = translate_default(opts, t, c, field(row, len, 5), extra);
}

static void
read_columns(MYSQL *conn, const ChameleonSchemaOptions *opts, const char *db,
			 List *tables, const ColumnFacts *facts)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	ChameleonTable *t = NULL;
	ListCell   *lc;

	/* first pass: count columns per table */
	res = chameleon_mysql_query(conn, psprintf(
			"SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, IS_NULLABLE, COLUMN_TYPE, "
			"COLUMN_DEFAULT, EXTRA, CHARACTER_SET_NAME, COLUMN_COMMENT, GENERATION_EXPRESSION "
			"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
			"ORDER BY TABLE_NAME, ORDINAL_POSITION", db));
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		t = find_table(tables, row[0], t);
		if (t != NULL)
			t->ncolumns++;
	}
	foreach(lc, tables)
	{
		ChameleonTable *tt = lfirst(lc);

		tt->columns = palloc0(sizeof(ChameleonColumn) * Max(tt->ncolumns, 1));
		tt->ncolumns = 0;
	}

	mysql_data_seek(res, 0);
	t = NULL;
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		unsigned long *len = mysql_fetch_lengths(res);

		t = find_table(tables, row[0], t);
		if (t == NULL)
			continue;
		read_column(opts, t, &t->columns[t->ncolumns++], row, len, facts);
	}
	chameleon_mysql_free_result(res);

	foreach(lc, tables)
	{
		ChameleonTable *tt = lfirst(lc);

		if (tt->ncolumns == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("MySQL table \"%s\" has no columns in information_schema", tt->name),
					 errhint("Check that the MySQL user may read the table's columns.")));
	}
}

/* ---------- indexes ---------- */

static ChameleonIndex *
find_index(List *indexes, const char *name)
{
	ListCell   *lc;

	foreach(lc, indexes)
	{
		ChameleonIndex *ix = lfirst(lc);

		if (strcmp(ix->name, name) == 0)
			return ix;
	}
	return NULL;
}

static void
read_indexes(MYSQL *conn, const char *db, List *tables)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	ChameleonTable *t = NULL;

	res = chameleon_mysql_query(conn, psprintf(
			"SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, INDEX_TYPE, "
			"COLLATION FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s "
			"ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX", db));
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		unsigned long *len = mysql_fetch_lengths(res);
		ChameleonIndex *ix;

		t = find_table(tables, row[0], t);
		if (t == NULL)
			continue;
		ix = find_index(t->indexes, row[1]);
		if (ix == NULL)
		{
			ix = palloc0(sizeof(ChameleonIndex));
			ix->name = field(row, len, 1);
			ix->primary = (strcmp(ix->name, "PRIMARY") == 0);
			ix->is_unique = (strcmp(row[2], "0") == 0);
			ix->index_type = field(row, len, 5);
			if (ix->primary)
				t->indexes = lcons(ix, t->indexes);
			else
				t->indexes = lappend(t->indexes, ix);
		}
		if (row[3] == NULL)
		{
			ix->has_expression = true;
			continue;
		}
		ix->columns = lappend(ix->columns, field(row, len, 3));
		ix->descending = lappend_int(ix->descending, row[6] && strcmp(row[6], "D") == 0);
		if (row[4] != NULL)
			ix->has_prefix = true;
	}
	chameleon_mysql_free_result(res);
}

/* ---------- foreign keys ---------- */

/*
 * The ON UPDATE and ON DELETE rules of a foreign key from SHOW CREATE TABLE.
 * MariaDB hides information_schema.REFERENTIAL_CONSTRAINTS from a user that
 * has only SELECT; SHOW CREATE TABLE needs no more.  A rule MariaDB leaves
 * out is RESTRICT.
 */
static const char *fk_rules[] = {"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"};

static char *
rule_after(const char *line, const char *keyword)
{
	const char *p = strstr(line, keyword);

	if (p == NULL)
		return pstrdup("RESTRICT");
	p += strlen(keyword);
	for (int i = 0; i < (int) lengthof(fk_rules); i++)
	{
		if (strncmp(p, fk_rules[i], strlen(fk_rules[i])) == 0)
			return pstrdup(fk_rules[i]);
	}
	return pstrdup("RESTRICT");
}

static void
rules_from_create_table(MYSQL *conn, const char *my_database, const ChameleonTable *t)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	char	   *ddl = NULL;
	ListCell   *lc;

	res = chameleon_mysql_query(conn, psprintf("SHOW CREATE TABLE %s.%s",
											   chameleon_mysql_quote_identifier(my_database),
											   chameleon_mysql_quote_identifier(t->name)));
	row = mysql_fetch_row(res);
	if (row != NULL && mysql_num_fields(res) >= 2 && row[1] != NULL)
		ddl = pstrdup(row[1]);
	chameleon_mysql_free_result(res);

	foreach(lc, t->foreign_keys)
	{
		ChameleonForeignKey *fk = lfirst(lc);
		char	   *needle = psprintf("CONSTRAINT %s FOREIGN KEY",
									  chameleon_mysql_quote_identifier(fk->name));
		char	   *line = ddl ? strstr(ddl, needle) : NULL;
		char	   *eol;

		if (fk->on_update != NULL && fk->on_delete != NULL)
			continue;
		if (line == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not read foreign key \"%s\" of MySQL table \"%s\"",
							fk->name, t->name),
					 errdetail("SHOW CREATE TABLE does not show it.")));
		line = pstrdup(line);
		eol = strchr(line, '\n');
		if (eol != NULL)
			*eol = '\0';
		fk->on_update = rule_after(line, " ON UPDATE ");
		fk->on_delete = rule_after(line, " ON DELETE ");
	}
}

static void
read_foreign_keys(MYSQL *conn, const ChameleonSchemaOptions *opts, const char *db,
				  List *tables)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	ChameleonTable *t = NULL;
	ChameleonForeignKey *fk = NULL;
	ListCell   *lc;

	res = chameleon_mysql_query(conn, psprintf(
			"SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, "
			"k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, "
			"r.UPDATE_RULE, r.DELETE_RULE "
			"FROM information_schema.KEY_COLUMN_USAGE k "
			"LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
			"ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
			"AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME "
			"WHERE k.TABLE_SCHEMA = %s AND k.REFERENCED_TABLE_NAME IS NOT NULL "
			"ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION", db));
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		unsigned long *len = mysql_fetch_lengths(res);

		t = find_table(tables, row[0], t);
		if (t == NULL)
			continue;
		if (fk == NULL || t->foreign_keys == NIL || llast(t->foreign_keys) != fk ||
			strcmp(fk->name, row[1]) != 0)
		{
			fk = palloc0(sizeof(ChameleonForeignKey));
			fk->name = field(row, len, 1);
			fk->ref_schema = field(row, len, 3);
			fk->ref_table = field(row, len, 4);
			fk->on_update = field(row, len, 6);
			fk->on_delete = field(row, len, 7);
			t->foreign_keys = lappend(t->foreign_keys, fk);
		}
		fk->columns = lappend(fk->columns, field(row, len, 2));
		fk->ref_columns = lappend(fk->ref_columns, field(row, len, 5));
	}
	chameleon_mysql_free_result(res);

	foreach(lc, tables)
	{
		ChameleonTable *tt = lfirst(lc);
		ListCell   *lf;

		foreach(lf, tt->foreign_keys)
		{
			ChameleonForeignKey *f = lfirst(lf);

			if (f->on_update == NULL || f->on_delete == NULL)
			{
				rules_from_create_table(conn, opts->my_database, tt);
				break;
			}
		}
	}
}

/* The base tables of opts->my_database kept by the rules; all_keys: every one's key. */
static List *
read_database(MYSQL *conn, const ChameleonSchemaOptions *opts, List **all_keys)
{
	char	   *db = chameleon_mysql_quote_literal(conn, opts->my_database);
	List	   *tables;
	ColumnFacts facts;

	tables = read_tables(conn, opts, db, all_keys);
	if (tables == NIL)
		return NIL;
	facts.json_columns = read_json_columns(conn, opts, db);
	facts.srids = read_spatial_srids(conn, opts, db);
	read_columns(conn, opts, db, tables, &facts);
	read_indexes(conn, db, tables);
	read_foreign_keys(conn, opts, db, tables);
	return tables;
}

List *
chameleon_schema_read(MYSQL *conn, const ChameleonSchemaOptions *opts)
{
	List	   *tables = NIL;
	List	   *all_keys = NIL;
	ListCell   *lc;

	if (opts->databases == NIL)
		tables = read_database(conn, opts, &all_keys);
	foreach(lc, opts->databases)
	{
		const ChameleonDatabaseMap *m = lfirst(lc);
		ChameleonSchemaOptions one = *opts;

		one.my_database = m->database;
		one.pg_schema = m->schema;
		one.databases = NIL;
		tables = list_concat(tables, read_database(conn, &one, &all_keys));
	}
	check_tables_limit(all_keys, opts);
	return tables;
}

/* ---------------------------------------------------------------------
 * Creating tables
 * ---------------------------------------------------------------------
 */

static char *
sequence_name(const ChameleonTable *t, const ChameleonColumn *c)
{
	return make_pg_name(t->name, psprintf("%s_seq", c->name));
}

static void
append_column_def(StringInfo sql, const ChameleonSchemaOptions *opts,
				  const ChameleonTable *t, const ChameleonColumn *c)
{
	appendStringInfo(sql, "%s %s", quote_identifier(c->name), c->pgtype->pg_type);
	if (c->auto_increment && is_identity_type(c->pgtype))
		appendStringInfoString(sql, " GENERATED BY DEFAULT AS IDENTITY");
	else if (c->auto_increment)
		appendStringInfo(sql, " DEFAULT nextval(%s::regclass)",
						 quote_literal_cstr(qualified_name(t->pg_schema,
														   sequence_name(t, c))));
	else if (c->default_sql != NULL)
		appendStringInfo(sql, " DEFAULT %s", c->default_sql);
	if (c->not_null)
		appendStringInfoString(sql, " NOT NULL");
}

static void
create_table(const ChameleonSchemaOptions *opts, ChameleonTable *t)
{
	char	   *qname = qualified_name(t->pg_schema, t->name);
	StringInfoData sql;

	for (int i = 0; i < t->ncolumns; i++)
		chameleon_type_override_check(t->name, t->columns[i].name, t->columns[i].mytype,
									  t->columns[i].pgtype);
	/* sequences of AUTO_INCREMENT columns that cannot be identities */
	for (int i = 0; i < t->ncolumns; i++)
	{
		ChameleonColumn *c = &t->columns[i];

		if (c->auto_increment && !is_identity_type(c->pgtype))
			chameleon_run_sql(psprintf("CREATE SEQUENCE %s",
									   qualified_name(t->pg_schema, sequence_name(t, c))));
	}

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (", qname);
	for (int i = 0; i < t->ncolumns; i++)
	{
		if (i > 0)
			appendStringInfoString(&sql, ", ");
		append_column_def(&sql, opts, t, &t->columns[i]);
	}
	for (int i = 0; i < t->ncolumns; i++)
	{
		ChameleonColumn *c = &t->columns[i];
		char	   *check = chameleon_type_check_sql(c->pgtype, quote_identifier(c->name));

		if (check != NULL)
			appendStringInfo(&sql, ", CONSTRAINT %s CHECK (%s)",
							 quote_identifier(make_pg_name(t->name, psprintf("%s_check", c->name))),
							 check);
	}
	appendStringInfoChar(&sql, ')');
	chameleon_run_sql(sql.data);

	for (int i = 0; i < t->ncolumns; i++)
	{
		ChameleonColumn *c = &t->columns[i];

		if (c->auto_increment && !is_identity_type(c->pgtype))
			chameleon_run_sql(psprintf("ALTER SEQUENCE %s OWNED BY %s.%s",
									   qualified_name(t->pg_schema, sequence_name(t, c)),
									   qname, quote_identifier(c->name)));
		if (c->comment != NULL)
			chameleon_run_sql(psprintf("COMMENT ON COLUMN %s.%s IS %s", qname,
									   quote_identifier(c->name),
									   quote_literal_cstr(c->comment)));
	}
	if (t->comment != NULL)
		chameleon_run_sql(psprintf("COMMENT ON TABLE %s IS %s", qname,
								   quote_literal_cstr(t->comment)));
}

/* One table in its existing schema t->pg_schema (sync_tables, add_tables). */
void
chameleon_schema_create_table(const ChameleonSchemaOptions *opts, ChameleonTable *t)
{
	create_table(opts, t);
	t->relid = RangeVarGetRelid(makeRangeVar(pstrdup(t->pg_schema), t->name, -1),
								NoLock, false);
}

void
chameleon_schema_create_tables(const ChameleonSchemaOptions *opts, List *tables)
{
	ListCell   *lc;

	if (opts->databases == NIL)
		chameleon_run_sql(psprintf("CREATE SCHEMA %s", quote_identifier(opts->pg_schema)));
	foreach(lc, opts->databases)
		chameleon_run_sql(psprintf("CREATE SCHEMA %s",
								   quote_identifier(((ChameleonDatabaseMap *) lfirst(lc))->schema)));
	foreach(lc, tables)
	{
		ChameleonTable *t = lfirst(lc);

		create_table(opts, t);
		t->relid = RangeVarGetRelid(makeRangeVar(pstrdup(t->pg_schema), t->name, -1),
									NoLock, false);
	}
}

/* ---------------------------------------------------------------------
 * Keys, indexes and sequences after the copy
 * ---------------------------------------------------------------------
 */

static char *
column_list(List *columns, List *descending)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, columns)
	{
		int			i = foreach_current_index(lc);

		appendStringInfo(&buf, "%s%s%s", i > 0 ? ", " : "",
						 quote_identifier((char *) lfirst(lc)),
						 (descending && list_nth_int(descending, i)) ? " DESC" : "");
	}
	return buf.data;
}

/*
 * Run an index build; an index PostgreSQL cannot build (a key too large for
 * a btree, duplicates under PostgreSQL's comparison) is left out with a
 * WARNING instead of failing the whole copy.  Anything else is re-thrown.
 */
static void
run_index_sql(const ChameleonTable *t, const ChameleonIndex *ix, const char *sql)
{
	ErrorData  *edata = chameleon_run_in_subxact(chameleon_run_sql_cb, (void *) sql);

	if (edata == NULL)
		return;
	if (edata->sqlerrcode != ERRCODE_PROGRAM_LIMIT_EXCEEDED &&
		edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION)
		ReThrowError(edata);
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("index \"%s\" of table \"%s\" is not created", ix->name, t->name),
			 errdetail("%s", edata->message),
			 errhint("Create a suitable index by hand once the copy is done.")));
}

/* Has the index a PostgreSQL translation?  notice: say what is not carried over. */
static bool
index_translated(const ChameleonTable *t, const ChameleonIndex *ix, bool notice)
{
	if (ix->has_expression || pg_strcasecmp(ix->index_type, "FULLTEXT") == 0 ||
		pg_strcasecmp(ix->index_type, "SPATIAL") == 0)
	{
		if (notice)
			ereport(NOTICE,
					(errmsg("index \"%s\" of table \"%s\" is not copied", ix->name, t->name),
					 errdetail("%s indexes have no PostgreSQL translation.",
							   ix->has_expression ? "Functional" : ix->index_type)));
		return false;
	}
	if (ix->has_prefix && notice)
		ereport(NOTICE,
				(errmsg("prefix index \"%s\" of table \"%s\" becomes an index on the whole columns",
						ix->name, t->name)));
	return true;
}

bool
chameleon_schema_index_on_not_null_columns(const ChameleonTable *t, const ChameleonIndex *ix)
{
	ListCell   *lc;

	if (ix->has_prefix || ix->has_expression || ix->columns == NIL)
		return false;
	foreach(lc, ix->columns)
	{
		bool		not_null = false;

		for (int i = 0; i < t->ncolumns; i++)
			if (strcmp(t->columns[i].name, lfirst(lc)) == 0)
				not_null = t->columns[i].not_null;
		if (!not_null)
			return false;
	}
	return true;
}

const ChameleonIndex *
chameleon_schema_row_key(const ChameleonTable *t)
{
	ListCell   *lc;

	foreach(lc, t->indexes)
		if (((ChameleonIndex *) lfirst(lc))->primary)
			return lfirst(lc);
	foreach(lc, t->indexes)
	{
		const ChameleonIndex *ix = lfirst(lc);

		if (ix->is_unique && chameleon_schema_index_on_not_null_columns(t, ix))
			return ix;
	}
	return NULL;
}

void
chameleon_schema_index_notices(const ChameleonTable *t)
{
	ListCell   *lc;

	foreach(lc, t->indexes)
		(void) index_translated(t, lfirst(lc), true);
}

static void
create_index(const ChameleonSchemaOptions *opts, const ChameleonTable *t,
			 const ChameleonIndex *ix, List **deferred)
{
	bool		quiet = opts->quiet_indexes;
	char	   *qname = qualified_name(t->pg_schema, t->name);
	const char *pgname = quote_identifier(chameleon_pg_index_name(t->name, ix->name));
	char	   *cols;

	if (!index_translated(t, ix, !quiet))
		return;

	cols = column_list(ix->columns, ix->descending);
	if (ix->primary)
		chameleon_run_sql(psprintf("ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY (%s)",
								   qname, pgname, column_list(ix->columns, NULL)));
	else if (ix->is_unique && !ix->identity && deferred != NULL)
		*deferred = lappend(*deferred, psprintf("CREATE UNIQUE INDEX %s ON %s (%s)",
												pgname, qname, cols));
	else
		run_index_sql(t, ix, psprintf("CREATE %sINDEX %s ON %s (%s)",
									  ix->is_unique ? "UNIQUE " : "", pgname, qname, cols));
}

/* Restart an identity or sequence past the copied maximum and MySQL's counter. */
static void
restart_auto_increment(const ChameleonSchemaOptions *opts, const ChameleonTable *t,
					   const ChameleonColumn *c)
{
	char	   *qname = qualified_name(t->pg_schema, t->name);
	char	   *next;

	next = run_sql_value(psprintf(
			"SELECT greatest(coalesce(max(%s), 0)::numeric + 1, " INT64_FORMAT ")::numeric "
			"FROM %s", quote_identifier(c->name), Max(t->auto_increment, 1), qname));
	if (next == NULL || strlen(next) > 19 ||
		(strlen(next) == 19 && strcmp(next, "9223372036854775807") > 0) ||
		strchr(next, '.') != NULL)
	{
		ereport(WARNING,
				(errmsg("AUTO_INCREMENT of column \"%s\" of table \"%s\" is not carried over",
						c->name, t->name),
				 errdetail("The next value %s does not fit in a PostgreSQL sequence.",
						   next ? next : "(unknown)")));
		return;
	}
	if (is_identity_type(c->pgtype))
		chameleon_run_sql(psprintf("ALTER TABLE %s ALTER COLUMN %s RESTART WITH %s",
								   qname, quote_identifier(c->name), next));
	else
		chameleon_run_sql(psprintf("SELECT pg_catalog.setval(%s, %s, false)",
								   quote_literal_cstr(qualified_name(t->pg_schema,
																	 sequence_name(t, c))),
								   next));
}

void
chameleon_schema_finish_table(const ChameleonSchemaOptions *opts, ChameleonTable *t,
							  List **deferred)
{
	ListCell   *lc;

	foreach(lc, t->indexes)
		create_index(opts, t, lfirst(lc), deferred);
	for (int i = 0; i < t->ncolumns; i++)
	{
		if (t->columns[i].auto_increment)
			restart_auto_increment(opts, t, &t->columns[i]);
	}
}

