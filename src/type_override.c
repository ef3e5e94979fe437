/*
 * type_override.c -- is a type_override usable for a column?  Checked when
 * the copy (init_replica, sync_tables, add_tables) creates the table, so a
 * target type the values cannot convert to is an error before any row,
 * not at the first row.
 *
 * The copy and the stream write a column's values in the text form of the
 * MySQL type's own kind (typemap.h), which the PostgreSQL type's input
 * function must accept: the check feeds it one typical value of that kind.
 * A varchar cannot become an integer (its values need not be numbers), an
 * integer can become a bigint, numeric or text, tinyint(1) a boolean.
 */
#include "postgres.h"

#include "fmgr.h"
#include "parser/parse_type.h"
#include "utils/lsyscache.h"

#include "subxact.h"
#include "type_override.h"

typedef struct InputTry
{
	Oid			typid;
	int32		typmod;
	const char *text;
} InputTry;

/* A value of the kind as the copy writes it; NULL: not checked (spatial). */
static const char *
typical_value(const ChameleonMySQLType *mt, ChameleonValueKind kind)
{
	switch (kind)
	{
		case CHAMELEON_KIND_INT:
		case CHAMELEON_KIND_UINT:
		case CHAMELEON_KIND_DECIMAL:
			return "1";
		case CHAMELEON_KIND_BOOL:
			return "t";
		case CHAMELEON_KIND_FLOAT:
		case CHAMELEON_KIND_DOUBLE:
			return "1.5";
		case CHAMELEON_KIND_BIT:
			return "1";
		case CHAMELEON_KIND_YEAR:
			return "2000";
		case CHAMELEON_KIND_DATE:
			return "2000-01-31";
		case CHAMELEON_KIND_TIME:
			return "01:02:03";
		case CHAMELEON_KIND_DATETIME:
			return "2000-01-31 01:02:03";
		case CHAMELEON_KIND_TIMESTAMP:
			return "2000-01-31 01:02:03+00";
		case CHAMELEON_KIND_TEXT:
			return "text";
		case CHAMELEON_KIND_BINARY:
			return "\\x00ff";
		case CHAMELEON_KIND_ENUM:
			return mt->labels != NIL ? linitial(mt->labels) : "";
		case CHAMELEON_KIND_SET:
			return mt->labels != NIL ? psprintf("{%s}", (char *) linitial(mt->labels)) : "{}";
		case CHAMELEON_KIND_JSON:
			return "{\"k\": [1, \"v\"]}";
		case CHAMELEON_KIND_UUID:
			return "00000000-0000-0000-0000-000000000001";
		case CHAMELEON_KIND_INET:
			return "192.0.2.1";
		case CHAMELEON_KIND_GEOMETRY:
		case CHAMELEON_KIND_POSTGIS:
			return NULL;
	}
	return NULL;
}

typedef struct TypeParse
{
	const char *name;
	Oid			typid;
	int32		typmod;
} TypeParse;

static void
parse_type(void *arg)
{
	TypeParse  *p = arg;

	parseTypeString(p->name, &p->typid, &p->typmod, true);
}

static void
try_input(void *arg)
{
	InputTry   *t = arg;
	Oid			func;
	Oid			ioparam;

	getTypeInputInfo(t->typid, &func, &ioparam);
	(void) OidInputFunctionCall(func, (char *) t->text, ioparam, t->typmod);
}

void
chameleon_type_override_check(const char *table, const char *column,
							  const ChameleonMySQLType *mt, const ChameleonPgType *pt)
{
	InputTry	t;
	TypeParse	p = {pt ? pt->pg_type : NULL, InvalidOid, -1};
	ErrorData  *edata;

	if (pt == NULL || pt->override == NULL)
		return;
	edata = chameleon_run_in_subxact(parse_type, &p);
	t.typid = p.typid;
	t.typmod = p.typmod;
	if (edata != NULL || !OidIsValid(t.typid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type_override maps \"%s\" to \"%s\", which is not a PostgreSQL type",
						pt->override->mysql_type, pt->pg_type),
				 errdetail("Column \"%s\" of table \"%s\" has that MySQL type.", column, table),
				 edata ? errdetail_internal("%s", edata->message) : 0,
				 errhint("Correct override_to in the configuration file.")));
	t.text = typical_value(mt, pt->kind);
	if (t.text == NULL)
		return;
	edata = chameleon_run_in_subxact(try_input, &t);
	if (edata != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("type_override cannot give column \"%s\" of table \"%s\" type \"%s\"",
						column, table, pt->pg_type),
				 errdetail("Values of its MySQL type %s, such as '%s', do not convert to %s: %s",
						   chameleon_format_mysql_type(mt), t.text, pt->pg_type, edata->message),
				 errhint("Choose another override_to for \"%s\", or list in override_tables only the tables it suits.",
						 pt->override->mysql_type)));
}
