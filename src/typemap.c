/*
 * typemap.c -- MySQL/MariaDB column types and their PostgreSQL counterparts.
 *
 * This file owns the one type mapping of the project:
 *   - a parser for MySQL column type text, as information_schema.COLUMNS.
 *     COLUMN_TYPE prints it ("int(10) unsigned zerofill", "enum('a','b')")
 *     or as DDL writes it ("INTEGER UNSIGNED", "national char varying(5)",
 *     "varchar(10) CHARACTER SET latin1 COLLATE latin1_bin");
 *   - the mapping of a parsed type to a PostgreSQL type name, the value kind
 *     that copy.c and decode.c use to write values, and (for enum and set)
 *     a CHECK expression;
 *   - a canonical re-rendering of a parsed type, and the list of MySQL base
 *     type names (for validating the hexify option).
 *
 * Every decision is listed in doc/types.md.  Values are never
 * converted here; see the canonical text forms in typemap.h.
 *
 * Note on JSON: MariaDB has no JSON storage type.  A MariaDB json column is
 * a longtext with a CHECK (json_valid(col)) constraint, and COLUMN_TYPE says
 * "longtext"; recognising it is schema.c's job (it sees the constraint).
 * Passing base "json" here then gives jsonb.
 */
#include "postgres.h"

#include <ctype.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "list_util.h"
#include "typemap.h"

/* Families of MySQL types that share argument rules and a mapping. */
typedef enum TypeClass
{
	TC_INT,
	TC_DECIMAL,
	TC_FLOAT,					/* float; float(p) with p > 24 becomes double */
	TC_DOUBLE,
	TC_BIT,
	TC_YEAR,
	TC_DATE,
	TC_TIME,
	TC_DATETIME,
	TC_TIMESTAMP,
	TC_CHAR,
	TC_VARCHAR,
	TC_TEXT,					/* tinytext .. longtext, text(n) */
	TC_BINARY,
	TC_VARBINARY,
	TC_BLOB,					/* tinyblob .. longblob, blob(n) */
	TC_ENUM,
	TC_SET,
	TC_JSON,
	TC_SPATIAL,
	TC_UUID,
	TC_INET
} TypeClass;

/* Alias flags. */
#define TF_BOOL		0x01		/* bool/boolean = tinyint(1) */
#define TF_SERIAL	0x02		/* serial = bigint unsigned not null auto_increment unique */
#define TF_NATIONAL 0x04		/* nchar/nvarchar: character set utf8mb3 */

typedef struct TypeSpec
{
	const char *name;			/* spelling accepted in input (single word) */
	const char *base;			/* canonical lower-case base (MySQL DATA_TYPE) */
	TypeClass	cls;
	int			flags;
} TypeSpec;

/*
 * Every accepted spelling.  Multi-word spellings ("double precision",
 * "character varying", "national char", "long varbinary", ...) are folded
 * into one of these words by read_type_name().
 */
static const TypeSpec type_specs[] = {
	{"tinyint", "tinyint", TC_INT, 0},
	{"int1", "tinyint", TC_INT, 0},
	{"bool", "tinyint", TC_INT, TF_BOOL},
	{"boolean", "tinyint", TC_INT, TF_BOOL},
	{"smallint", "smallint", TC_INT, 0},
	{"int2", "smallint", TC_INT, 0},
	{"mediumint", "mediumint", TC_INT, 0},
	{"int3", "mediumint", TC_INT, 0},
	{"middleint", "mediumint", TC_INT, 0},
	{"int", "int", TC_INT, 0},
	{"integer", "int", TC_INT, 0},
	{"int4", "int", TC_INT, 0},
	{"bigint", "bigint", TC_INT, 0},
	{"int8", "bigint", TC_INT, 0},
	{"serial", "bigint", TC_INT, TF_SERIAL},
	{"decimal", "decimal", TC_DECIMAL, 0},
	{"dec", "decimal", TC_DECIMAL, 0},
	{"numeric", "decimal", TC_DECIMAL, 0},
	{"fixed", "decimal", TC_DECIMAL, 0},
	{"float", "float", TC_FLOAT, 0},
	{"float4", "float", TC_FLOAT, 0},
	{"double", "double", TC_DOUBLE, 0},
	{"float8", "double", TC_DOUBLE, 0},
	{"real", "double", TC_DOUBLE, 0},
	{"bit", "bit", TC_BIT, 0},
	{"year", "year", TC_YEAR, 0},
	{"date", "date", TC_DATE, 0},
	{"time", "time", TC_TIME, 0},
	{"datetime", "datetime", TC_DATETIME, 0},
	{"timestamp", "timestamp", TC_TIMESTAMP, 0},
	{"char", "char", TC_CHAR, 0},
	{"character", "char", TC_CHAR, 0},
	{"nchar", "char", TC_CHAR, TF_NATIONAL},
	{"varchar", "varchar", TC_VARCHAR, 0},
	{"nvarchar", "varchar", TC_VARCHAR, TF_NATIONAL},
	{"tinytext", "tinytext", TC_TEXT, 0},
	{"text", "text", TC_TEXT, 0},
	{"mediumtext", "mediumtext", TC_TEXT, 0},
	{"long", "mediumtext", TC_TEXT, 0},
	{"longtext", "longtext", TC_TEXT, 0},
	{"binary", "binary", TC_BINARY, 0},
	{"varbinary", "varbinary", TC_VARBINARY, 0},
	{"vector", "vector", TC_VARBINARY, 0},	/* MariaDB 11.7: n float32 values */
	{"tinyblob", "tinyblob", TC_BLOB, 0},
	{"blob", "blob", TC_BLOB, 0},
	{"mediumblob", "mediumblob", TC_BLOB, 0},
	{"longblob", "longblob", TC_BLOB, 0},
	{"enum", "enum", TC_ENUM, 0},
	{"set", "set", TC_SET, 0},
	{"json", "json", TC_JSON, 0},
	{"geometry", "geometry", TC_SPATIAL, 0},
	{"point", "point", TC_SPATIAL, 0},
	{"linestring", "linestring", TC_SPATIAL, 0},
	{"polygon", "polygon", TC_SPATIAL, 0},
	{"multipoint", "multipoint", TC_SPATIAL, 0},
	{"multilinestring", "multilinestring", TC_SPATIAL, 0},
	{"multipolygon", "multipolygon", TC_SPATIAL, 0},
	{"geometrycollection", "geometrycollection", TC_SPATIAL, 0},
	{"geomcollection", "geometrycollection", TC_SPATIAL, 0},
	{"uuid", "uuid", TC_UUID, 0},
	{"inet4", "inet4", TC_INET, 0},
	{"inet6", "inet6", TC_INET, 0},
};

/* MySQL's limits, checked so that a malformed type is an error here. */
#define MAX_DISPLAY_WIDTH	255
#define MAX_DECIMAL_PREC	65
#define MAX_DECIMAL_SCALE	38	/* MariaDB; MySQL stops at 30 */
#define MAX_FLOAT_PREC		53
#define MAX_FLOAT_SCALE		30
#define MAX_BIT_WIDTH		64
#define MAX_FSP				6
#define MAX_CHAR_LENGTH		255
#define MAX_VARCHAR_LENGTH	65535
#define MAX_LOB_LENGTH		INT64CONST(4294967295)
#define MAX_ENUM_LABELS		65535
#define MAX_SET_MEMBERS		64

/* A cursor over the type text being parsed. */
typedef struct TypeLexer
{
	const char *input;			/* the whole text, for messages */
	const char *p;				/* current position */
} TypeLexer;

/* Parser state besides the result. */
typedef struct ParseState
{
	const TypeSpec *spec;
	bool		is_signed;		/* "signed" seen */
} ParseState;

static const TypeSpec *
lookup_spec(const char *name)
{
	for (size_t i = 0; i < lengthof(type_specs); i++)
	{
		if (strcmp(type_specs[i].name, name) == 0)
			return &type_specs[i];
	}
	return NULL;
}

/* The spec of a canonical base (the first entry whose base matches). */
static const TypeSpec *
lookup_base(const char *base)
{
	for (size_t i = 0; i < lengthof(type_specs); i++)
	{
		if (strcmp(type_specs[i].base, base) == 0)
			return &type_specs[i];
	}
	return NULL;
}

/* ---------- errors ---------- */

/* "near "...text..."" or "at the end", for error details. */
static char *
lexer_where(const TypeLexer *lx)
{
	const int	max_shown = 20;
	const char *p = lx->p;
	int			len;

	while (*p && isspace((unsigned char) *p))
		p++;
	len = strlen(p);
	if (len == 0)
		return pstrdup("at the end");
	if (len > max_shown)
		return psprintf("near \"%.*s...\"", pg_mbcliplen(p, len, max_shown), p);
	return psprintf("near \"%s\"", p);
}

/* The input for an error message, shortened if it is very long (big enums). */
static char *
shown_input(const char *input)
{
	const int	max_shown = 100;
	int			len = strlen(input);

	if (len <= max_shown)
		return pstrdup(input);
	return psprintf("%.*s...", pg_mbcliplen(input, len, max_shown), input);
}

static void pg_attribute_noreturn()
type_error(const TypeLexer *lx, int sqlstate, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid MySQL column type \"%s\"", shown_input(lx->input)),
			 detail ? errdetail("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0));
}

/* A syntax error at the current position: "Expected X near ...". */
static void pg_attribute_noreturn()
syntax_error(const TypeLexer *lx, const char *expected)
{
	type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
			   psprintf("Expected %s %s.", expected, lexer_where(lx)), NULL);
}

/* ---------- lexer ---------- */

/* Skip white space and plain comments ("/ * mariadb-5.3 * /" style). */
static void
skip_space(TypeLexer *lx)
{
	for (;;)
	{
		while (*lx->p && isspace((unsigned char) *lx->p))
			lx->p++;
		if (lx->p[0] == '/' && lx->p[1] == '*' && lx->p[2] != '!' && lx->p[2] != 'M')
		{
			const char *end = strstr(lx->p + 2, "*/");

			if (end == NULL)
				syntax_error(lx, "the end of the comment");
			lx->p = end + 2;
			continue;
		}
		return;
	}
}

static bool
is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '$';
}

/* Read a word (letters, digits, _ and $), lower-cased; NULL if none here. */
static char *
read_word(TypeLexer *lx)
{
	const char *start;
	char	   *word;

	skip_space(lx);
	start = lx->p;
	while (is_word_char(*lx->p))
		lx->p++;
	if (lx->p == start)
		return NULL;
	word = pnstrdup(start, lx->p - start);
	for (char *c = word; *c; c++)
		*c = pg_ascii_tolower((unsigned char) *c);
	return word;
}

/* Consume the word w (case-insensitive) if it comes next. */
static bool
accept_word(TypeLexer *lx, const char *w)
{
	const char *save = lx->p;
	char	   *word = read_word(lx);

	if (word != NULL && strcmp(word, w) == 0)
		return true;
	lx->p = save;
	return false;
}

/* Consume the character c if it comes next. */
static bool
accept_char(TypeLexer *lx, char c)
{
	skip_space(lx);
	if (*lx->p != c)
		return false;
	lx->p++;
	return true;
}

static void
expect_char(TypeLexer *lx, char c)
{
	if (!accept_char(lx, c))
		syntax_error(lx, psprintf("\"%c\"", c));
}

/* An unsigned decimal number, at most max. */
static int64
read_number(TypeLexer *lx, int64 max, const char *what)
{
	int64		v = 0;

	skip_space(lx);
	if (!isdigit((unsigned char) *lx->p))
		syntax_error(lx, psprintf("a number for the %s", what));
	while (isdigit((unsigned char) *lx->p))
	{
		v = v * 10 + (*lx->p - '0');
		if (v > max)
			type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
					   psprintf("The %s is out of range (maximum %lld).",
								what, (long long) max),
					   NULL);
		lx->p++;
	}
	return v;
}

/*
 * A MySQL string literal in single or double quotes, with MySQL's escapes:
 * a doubled quote, and backslash sequences (\0 \' \" \b \n \r \t \Z \\;
 * \% and \_ keep their backslash; any other \x is x).
 */
static char *
read_quoted(TypeLexer *lx)
{
	StringInfoData buf;
	char		quote;

	skip_space(lx);
	quote = *lx->p;
	if (quote != '\'' && quote != '"')
		syntax_error(lx, "a quoted label");
	lx->p++;
	initStringInfo(&buf);
	for (;;)
	{
		char		c = *lx->p;

		if (c == '\0')
			syntax_error(lx, psprintf("the closing %c of the label", quote));
		lx->p++;
		if (c == quote)
		{
			if (*lx->p != quote)
				break;
			lx->p++;
		}
		else if (c == '\\')
		{
			char		e = *lx->p;
			int			u;

			if (e == '\0')
				syntax_error(lx, psprintf("the closing %c of the label", quote));
			lx->p++;
			u = chameleon_mysql_unescape(e);
			if (u == '\0')
				type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
						   "A label contains a NUL character (\\0), which PostgreSQL text cannot hold.",
						   NULL);
			if (u == -1)
			{
				appendStringInfoChar(&buf, '\\');
				u = (unsigned char) e;
			}
			c = (char) u;
		}
		appendStringInfoChar(&buf, c);
	}
	return buf.data;
}

/*
 * What the MySQL string escape \e stands for (\0 \b \n \r \t \Z; any other
 * character stands for itself), or -1 for \% and \_, which MySQL keeps with
 * their backslash (they matter to LIKE).  The one escape table of the project.
 */
int
chameleon_mysql_unescape(char e)
{
	switch (e)
	{
		case '0':
			return '\0';
		case 'b':
			return '\b';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
		case 'Z':
			return '\032';
		case '%':
		case '_':
			return -1;
		default:
			return (unsigned char) e;
	}
}

/* ---------- the type name ---------- */

/*
 * Read the type name, folding the multi-word spellings into one word of
 * type_specs: "double precision", "char varying", "character varying",
 * "national char[acter] [varying]", "national varchar", "nchar varchar",
 * "nchar varying", "long varchar", "long char[acter] varying",
 * "long varbinary".
 */
static const TypeSpec *
read_type_name(TypeLexer *lx)
{
	const char *start;
	char	   *w;
	const TypeSpec *spec;

	skip_space(lx);
	start = lx->p;
	if (*start == '\0')
		type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE, "The type is empty.", NULL);
	if (!isalpha((unsigned char) *start))
		syntax_error(lx, "a type name");
	w = read_word(lx);

	if (strcmp(w, "national") == 0)
	{
		if (accept_word(lx, "varchar"))
			w = "nvarchar";
		else if (accept_word(lx, "char") || accept_word(lx, "character"))
			w = accept_word(lx, "varying") ? "nvarchar" : "nchar";
		else
			syntax_error(lx, "\"char\" or \"varchar\" after \"national\"");
	}
	else if (strcmp(w, "nchar") == 0)
	{
		if (accept_word(lx, "varchar") || accept_word(lx, "varying"))
			w = "nvarchar";
	}
	else if (strcmp(w, "char") == 0 || strcmp(w, "character") == 0)
	{
		if (accept_word(lx, "varying"))
			w = "varchar";
	}
	else if (strcmp(w, "double") == 0)
		(void) accept_word(lx, "precision");
	else if (strcmp(w, "long") == 0)
	{
		const char *save = lx->p;

		if (accept_word(lx, "varbinary"))
			w = "mediumblob";
		else if (accept_word(lx, "varchar"))
			w = "mediumtext";
		else if ((accept_word(lx, "char") || accept_word(lx, "character")) &&
				 accept_word(lx, "varying"))
			w = "mediumtext";
		else
			lx->p = save;		/* plain LONG, maybe "long character set x" */
	}

	spec = lookup_spec(w);
	if (spec == NULL)
	{
		char	   *name = pnstrdup(start, lx->p - start);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown MySQL column type \"%s\"", shown_input(lx->input)),
				 errdetail("\"%s\" is not a MySQL or MariaDB data type.", name),
				 errhint("Pass the column type as information_schema.COLUMNS.COLUMN_TYPE shows it.")));
	}
	return spec;
}

/* ---------- arguments in parentheses ---------- */

static void
reject_arguments(TypeLexer *lx, const ParseState *ps)
{
	skip_space(lx);
	if (*lx->p == '(')
		type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
				   psprintf("Type \"%s\" takes no length or precision.", ps->spec->name),
				   NULL);
}

/* An optional "(n)"; returns dflt when absent. */
static int64
optional_length(TypeLexer *lx, int64 max, const char *what, int64 dflt)
{
	int64		v;

	if (!accept_char(lx, '('))
		return dflt;
	v = read_number(lx, max, what);
	expect_char(lx, ')');
	return v;
}

/* An optional "(m[,d])"; *m and *d stay as given when absent. */
static void
optional_precision_scale(TypeLexer *lx, int64 max_m, int64 max_d,
						 const char *what_m, const char *what_d,
						 bool scale_required, int64 *m, int64 *d)
{
	if (!accept_char(lx, '('))
		return;
	*m = read_number(lx, max_m, what_m);
	if (accept_char(lx, ','))
		*d = read_number(lx, max_d, what_d);
	else if (scale_required)
		syntax_error(lx, "\",\" and the number of decimals");
	expect_char(lx, ')');
	if (*d > *m)
		type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
				   psprintf("The %s (%lld) is greater than the %s (%lld).",
							what_d, (long long) *d, what_m, (long long) *m),
				   "MySQL requires M >= D in (M,D).");
}

static int
compare_labels(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* MySQL rejects a value listed twice: so do we (sorted, as enums may be long). */
static void
check_duplicate_labels(const TypeLexer *lx, List *labels)
{
	int			n = list_length(labels);
	char	  **sorted = palloc(sizeof(char *) * n);
	ListCell   *lc;

	foreach(lc, labels)
		sorted[foreach_current_index(lc)] = lfirst(lc);
	qsort(sorted, n, sizeof(char *), compare_labels);
	for (int i = 1; i < n; i++)
	{
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
					   psprintf("Value \"%s\" appears twice.", sorted[i]), NULL);
	}
	pfree(sorted);
}

/* "('a','b',...)": labels of enum or set, trailing spaces removed as MySQL does. */
static List *
read_labels(TypeLexer *lx, const ParseState *ps)
{
	List	   *labels = NIL;
	bool		is_set = ps->spec->cls == TC_SET;

	if (!accept_char(lx, '('))
		syntax_error(lx, psprintf("\"(\" and the list of %s values", ps->spec->name));
	skip_space(lx);
	if (*lx->p == ')')
		type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
				   psprintf("The list of %s values is empty.", ps->spec->name), NULL);
	do
	{
		char	   *label = read_quoted(lx);
		int			len = strlen(label);

		while (len > 0 && label[len - 1] == ' ')
			label[--len] = '\0';
		if (is_set && strchr(label, ',') != NULL)
			type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
					   psprintf("Set member \"%s\" contains a comma.", label), NULL);
		labels = lappend(labels, label);
	} while (accept_char(lx, ','));
	expect_char(lx, ')');
	check_duplicate_labels(lx, labels);

	if (list_length(labels) > (is_set ? MAX_SET_MEMBERS : MAX_ENUM_LABELS))
		type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
				   psprintf("The list of %s values is too long: %d values, the maximum is %d.",
							ps->spec->name, list_length(labels),
							is_set ? MAX_SET_MEMBERS : MAX_ENUM_LABELS),
				   NULL);
	return labels;
}

/* The parenthesised part after the type name, by type class. */
static void
read_arguments(TypeLexer *lx, ParseState *ps, ChameleonMySQLType *mt)
{
	int64		m = -1;
	int64		d = -1;

	switch (ps->spec->cls)
	{
		case TC_INT:
			if (ps->spec->flags & (TF_BOOL | TF_SERIAL))
				reject_arguments(lx, ps);
			else
				mt->length = optional_length(lx, MAX_DISPLAY_WIDTH, "display width", -1);
			break;
		case TC_DECIMAL:
			optional_precision_scale(lx, MAX_DECIMAL_PREC, MAX_DECIMAL_SCALE,
									 "precision", "scale", false, &m, &d);
			mt->precision = (m <= 0) ? 10 : m;	/* MySQL: decimal(0) is decimal(10,0) */
			mt->scale = (d < 0) ? 0 : d;
			break;
		case TC_FLOAT:
			optional_precision_scale(lx, MAX_DISPLAY_WIDTH, MAX_FLOAT_SCALE,
									 "precision", "number of decimals", false, &m, &d);
			if (m >= 0 && d < 0 && m > MAX_FLOAT_PREC)
				type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
						   psprintf("The precision of float(p) must be at most %d.", MAX_FLOAT_PREC),
						   NULL);
			mt->precision = m;
			mt->scale = d;
			break;
		case TC_DOUBLE:
			optional_precision_scale(lx, MAX_DISPLAY_WIDTH, MAX_FLOAT_SCALE,
									 "precision", "number of decimals", true, &m, &d);
			mt->precision = m;
			mt->scale = d;
			break;
		case TC_BIT:
			/* MySQL turns bit(0) into bit(1) */
			m = optional_length(lx, MAX_BIT_WIDTH, "bit width", 1);
			mt->length = Max(m, 1);
			break;
		case TC_YEAR:
			/* MariaDB keeps year(2); any other width becomes year(4) */
			mt->length = (optional_length(lx, MAX_DISPLAY_WIDTH, "display width", 4) == 2) ? 2 : 4;
			break;
		case TC_TIME:
		case TC_DATETIME:
		case TC_TIMESTAMP:
			mt->fsp = optional_length(lx, MAX_FSP, "fractional seconds precision", 0);
			break;
		case TC_CHAR:
		case TC_BINARY:
			mt->length = optional_length(lx, MAX_CHAR_LENGTH, "length", 1);
			break;
		case TC_VARCHAR:
		case TC_VARBINARY:
			if (!accept_char(lx, '('))
				type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
						   psprintf("Type \"%s\" needs a length.", ps->spec->base),
						   psprintf("Write %s(n).", ps->spec->base));
			mt->length = read_number(lx, MAX_VARCHAR_LENGTH, "length");
			expect_char(lx, ')');
			break;
		case TC_TEXT:
		case TC_BLOB:
			/* text(n)/blob(n): kept as text/blob with the length (capped) */
			if (strcmp(ps->spec->base, "text") == 0 || strcmp(ps->spec->base, "blob") == 0)
			{
				m = optional_length(lx, MAX_LOB_LENGTH, "length", -1);
				mt->length = Min(m, PG_INT32_MAX);
			}
			else
				reject_arguments(lx, ps);
			break;
		case TC_ENUM:
		case TC_SET:
			mt->labels = read_labels(lx, ps);
			break;
		case TC_DATE:
		case TC_JSON:
		case TC_SPATIAL:
		case TC_UUID:
		case TC_INET:
			reject_arguments(lx, ps);
			break;
	}
}

/* ---------- attributes after the arguments ---------- */

static bool
class_is_numeric(TypeClass cls)
{
	return cls == TC_INT || cls == TC_DECIMAL || cls == TC_FLOAT || cls == TC_DOUBLE;
}

static bool
class_is_character(TypeClass cls)
{
	return cls == TC_CHAR || cls == TC_VARCHAR || cls == TC_TEXT ||
		cls == TC_ENUM || cls == TC_SET;
}

static void pg_attribute_noreturn()
attribute_mismatch(const TypeLexer *lx, const ParseState *ps, const char *attr, const char *allowed)
{
	type_error(lx, ERRCODE_DATATYPE_MISMATCH,
			   psprintf("\"%s\" is not allowed for type \"%s\"; it is only allowed for %s.",
						attr, ps->spec->name, allowed),
			   NULL);
}

/* A character set or collation name after CHARACTER SET / COLLATE. */
static char *
read_name(TypeLexer *lx, const char *what)
{
	char	   *name = read_word(lx);

	if (name == NULL)
	{
		skip_space(lx);
		if (*lx->p == '\'' || *lx->p == '"')
			name = read_quoted(lx);
		if (name == NULL || *name == '\0')
			syntax_error(lx, what);
		for (char *c = name; *c; c++)
			*c = pg_ascii_tolower((unsigned char) *c);
	}
	return name;
}

static void
set_charset(const TypeLexer *lx, const ParseState *ps, ChameleonMySQLType *mt,
			const char *attr, char *charset)
{
	if (!class_is_character(ps->spec->cls))
		attribute_mismatch(lx, ps, attr, "character string, enum and set types");
	mt->charset = charset;
}

/*
 * Read one attribute (unsigned, signed, zerofill, character set x, charset x,
 * char set x, collate x, binary, ascii, unicode, byte).  Returns false, with
 * nothing consumed, when the next word is not one.
 */
static bool
read_attribute(TypeLexer *lx, ParseState *ps, ChameleonMySQLType *mt)
{
	const char *save = lx->p;
	char	   *w = read_word(lx);
	TypeClass	cls = ps->spec->cls;

	if (w == NULL)
		return false;
	if (strcmp(w, "unsigned") == 0 || strcmp(w, "signed") == 0 || strcmp(w, "zerofill") == 0)
	{
		if (!class_is_numeric(cls) || (ps->spec->flags & (TF_BOOL | TF_SERIAL)))
			attribute_mismatch(lx, ps, w, "numeric types");
		if (w[0] == 'z')
			mt->zerofill = true;
		else if (w[0] == 'u')
			mt->is_unsigned = true;
		else
			ps->is_signed = true;
		if (ps->is_signed && (mt->is_unsigned || mt->zerofill))
			type_error(lx, ERRCODE_INVALID_PARAMETER_VALUE,
					   "The type is both signed and unsigned.", NULL);
	}
	else if ((strcmp(w, "character") == 0 || strcmp(w, "char") == 0))
	{
		if (!accept_word(lx, "set"))
		{
			lx->p = save;
			return false;
		}
		set_charset(lx, ps, mt, "character set", read_name(lx, "a character set name"));
	}
	else if (strcmp(w, "charset") == 0)
		set_charset(lx, ps, mt, "charset", read_name(lx, "a character set name"));
	else if (strcmp(w, "ascii") == 0)
		set_charset(lx, ps, mt, w, pstrdup("latin1"));
	else if (strcmp(w, "unicode") == 0)
		set_charset(lx, ps, mt, w, pstrdup("ucs2"));
	else if (strcmp(w, "byte") == 0)
		set_charset(lx, ps, mt, w, pstrdup("binary"));
	else if (strcmp(w, "collate") == 0)
	{
		if (!class_is_character(cls))
			attribute_mismatch(lx, ps, w, "character string, enum and set types");
		mt->collation = read_name(lx, "a collation name");
	}
	else if (strcmp(w, "binary") == 0)
	{
		/* the BINARY attribute means a _bin collation, not a binary string */
		if (!class_is_character(cls))
			attribute_mismatch(lx, ps, w, "character string, enum and set types");
	}
	else if (cls == TC_SPATIAL && (strcmp(w, "srid") == 0 || strcmp(w, "ref_system_id") == 0))
	{
		/* MySQL 8: SRID n; MariaDB: REF_SYSTEM_ID=n */
		(void) accept_char(lx, '=');
		mt->srid = (int) read_number(lx, PG_INT32_MAX, "SRID");
	}
	else
	{
		lx->p = save;
		return false;
	}
	return true;
}

/* ---------- finishing a parsed type ---------- */

/* The blob type that a text type with CHARACTER SET binary becomes. */
static const char *
binary_counterpart(const char *base)
{
	if (strcmp(base, "char") == 0)
		return "binary";
	if (strcmp(base, "varchar") == 0)
		return "varbinary";
	if (strcmp(base, "tinytext") == 0)
		return "tinyblob";
	if (strcmp(base, "text") == 0)
		return "blob";
	if (strcmp(base, "mediumtext") == 0)
		return "mediumblob";
	if (strcmp(base, "longtext") == 0)
		return "longblob";
	return base;				/* enum and set stay what they are */
}

static void
finish_type(ParseState *ps, ChameleonMySQLType *mt)
{
	const TypeSpec *spec = ps->spec;

	mt->base = pstrdup(spec->base);
	if (mt->zerofill)
		mt->is_unsigned = true;
	if (spec->flags & TF_BOOL)
		mt->length = 1;
	if (spec->flags & TF_SERIAL)
	{
		mt->is_unsigned = true;
		mt->is_serial = true;
	}
	if ((spec->flags & TF_NATIONAL) && mt->charset == NULL)
		mt->charset = pstrdup("utf8mb3");
	if (spec->cls == TC_FLOAT && mt->precision > 24 && mt->scale < 0)
		mt->base = pstrdup("double");	/* MySQL: float(25..53) is double */
	if (spec->cls == TC_BINARY || spec->cls == TC_VARBINARY || spec->cls == TC_BLOB)
		mt->charset = pstrdup("binary");
	else if (mt->charset != NULL && strcmp(mt->charset, "binary") == 0)
		mt->base = pstrdup(binary_counterpart(mt->base));
}

static ChameleonMySQLType *
new_mysql_type(void)
{
	ChameleonMySQLType *mt = palloc0(sizeof(ChameleonMySQLType));

	mt->length = -1;
	mt->precision = -1;
	mt->scale = -1;
	mt->fsp = 0;
	mt->srid = -1;
	return mt;
}

/* Parse a type at lx; stops before the first word that is not part of it. */
static ChameleonMySQLType *
parse_type(TypeLexer *lx)
{
	ChameleonMySQLType *mt = new_mysql_type();
	ParseState	ps = {0};

	ps.spec = read_type_name(lx);
	read_arguments(lx, &ps, mt);
	while (read_attribute(lx, &ps, mt))
		;
	finish_type(&ps, mt);
	return mt;
}

ChameleonMySQLType *
chameleon_parse_mysql_type(const char *column_type)
{
	TypeLexer	lx = {column_type, column_type};
	ChameleonMySQLType *mt = parse_type(&lx);

	skip_space(&lx);
	if (*lx.p != '\0')
		type_error(&lx, ERRCODE_INVALID_PARAMETER_VALUE,
				   psprintf("Unexpected text after the type %s.", lexer_where(&lx)),
				   NULL);
	return mt;
}

ChameleonMySQLType *
chameleon_parse_mysql_type_prefix(const char *text, int *consumed)
{
	TypeLexer	lx = {text, text};
	ChameleonMySQLType *mt = parse_type(&lx);

	*consumed = lx.p - text;
	return mt;
}

const char *
chameleon_mysql_base_type(const char *name)
{
	char	   *lower = pstrdup(name);
	const TypeSpec *spec;

	for (char *c = lower; *c; c++)
		*c = pg_ascii_tolower((unsigned char) *c);
	spec = lookup_spec(lower);
	pfree(lower);
	return spec ? spec->base : NULL;
}

/* ---------- mapping ---------- */

/* PostgreSQL types of MySQL integers, by width: signed and unsigned. */
static const char *const int_signed[] = {"smallint", "smallint", "integer", "integer", "bigint"};
static const char *const int_unsigned[] = {"smallint", "integer", "integer", "bigint", "numeric(20)"};
static const char *const int_bases[] = {"tinyint", "smallint", "mediumint", "int", "bigint"};

static void
map_integer(const ChameleonMySQLType *mt, const ChameleonTypeOptions *opts,
			ChameleonPgType *pt)
{
	int			rank = 0;

	for (int i = 0; i < (int) lengthof(int_bases); i++)
	{
		if (strcmp(mt->base, int_bases[i]) == 0)
			rank = i;
	}
	if (rank == 0 && mt->length == 1 && opts->tinyint1_as_boolean)
	{
		pt->pg_type = "boolean";
		pt->kind = CHAMELEON_KIND_BOOL;
		return;
	}
	pt->pg_type = pstrdup(mt->is_unsigned ? int_unsigned[rank] : int_signed[rank]);
	pt->kind = mt->is_unsigned ? CHAMELEON_KIND_UINT : CHAMELEON_KIND_INT;
}

/* PostGIS type names of MySQL's spatial types (geometry: any). */
static const char *
postgis_type_name(const char *base)
{
	static const char *const names[][2] = {
		{"point", "Point"}, {"linestring", "LineString"}, {"polygon", "Polygon"},
		{"multipoint", "MultiPoint"}, {"multilinestring", "MultiLineString"},
		{"multipolygon", "MultiPolygon"}, {"geometrycollection", "GeometryCollection"},
	};

	for (int i = 0; i < (int) lengthof(names); i++)
		if (strcmp(base, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

/*
 * With PostGIS: geometry with the column's type and SRID (geometry(Point,
 * 4326); geometry(Point) takes any SRID, as a MySQL column without one
 * does).  Without: bytea holding EWKB (col::geometry reads it).
 */
static void
map_spatial(const ChameleonMySQLType *mt, const ChameleonTypeOptions *opts, ChameleonPgType *pt)
{
	const char *name = postgis_type_name(mt->base);
	/* workers run with an empty search_path: the type of PostGIS's schema */
	const char *geometry = opts->postgis_schema ?
		psprintf("%s.geometry", quote_identifier(opts->postgis_schema)) : "geometry";

	if (!opts->postgis)
	{
		pt->pg_type = "bytea";
		pt->kind = CHAMELEON_KIND_GEOMETRY;
		return;
	}
	pt->kind = CHAMELEON_KIND_POSTGIS;
	if (mt->srid > 0)
		pt->pg_type = psprintf("%s(%s,%d)", geometry, name ? name : "Geometry", mt->srid);
	else if (name != NULL)
		pt->pg_type = psprintf("%s(%s)", geometry, name);
	else
		pt->pg_type = pstrdup(geometry);
}

/*
 * A printf-style CHECK format for the label list: "%s IN ('a', 'b', '')" for
 * an enum, "%s <@ ARRAY['a', 'b']::text[]" for a set.  Labels are PostgreSQL
 * literals (quote_literal_cstr) and every '%' in them is doubled, so that
 * psprintf(check_expr, quoted_column) and SQL format() both give the CHECK.
 */
static char *
label_check(const ChameleonMySQLType *mt, bool is_set)
{
	StringInfoData buf;
	ListCell   *lc;
	bool		has_empty = false;

	initStringInfo(&buf);
	appendStringInfoString(&buf, is_set ? "%s <@ ARRAY[" : "%s IN (");
	foreach(lc, mt->labels)
	{
		const char *label = lfirst(lc);
		const char *lit = quote_literal_cstr(label);

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		for (const char *c = lit; *c; c++)
		{
			if (*c == '%')
				appendStringInfoChar(&buf, '%');
			appendStringInfoChar(&buf, *c);
		}
		has_empty |= (*label == '\0');
	}
	/* MySQL stores an invalid enum value as '' (index 0) */
	if (!is_set && !has_empty)
		appendStringInfoString(&buf, ", ''");
	appendStringInfoString(&buf, is_set ? "]::text[]" : ")");
	return buf.data;
}

static bool
hexified(const ChameleonMySQLType *mt, const ChameleonTypeOptions *opts)
{
	ListCell   *lc;

	foreach(lc, opts->hexify)
	{
		const char *name = lfirst(lc);
		const char *base = chameleon_mysql_base_type(name);

		if (pg_strcasecmp(base ? base : name, mt->base) == 0)
			return true;
	}
	return false;
}

bool
chameleon_type_override_matches(const ChameleonTypeOverride *o, const ChameleonMySQLType *mt,
								const char *table)
{
	const ChameleonMySQLType *k = o->parsed;

	if (k == NULL || mt->base == NULL || strcmp(k->base, mt->base) != 0 ||
		k->is_unsigned != mt->is_unsigned ||
		(k->length >= 0 && k->length != mt->length) ||
		(k->precision >= 0 && (k->precision != mt->precision || k->scale != mt->scale)))
		return false;
	/* no table: only entries for every table apply */
	return chameleon_table_listed(o->tables, table != NULL ? table : "");
}

/*
 * A type_override: the PostgreSQL type given, values written as the MySQL
 * type's own kind (the target's input function converts them, as the
 * stream's casts do), but boolean (0 -> f, else t) and bytea (raw bytes),
 * which the stream also writes by the PostgreSQL column's type.
 */
static void
apply_override(const ChameleonMySQLType *mt, const ChameleonTypeOptions *opts,
			   ChameleonPgType *pt)
{
	ListCell   *lc;

	foreach(lc, opts->overrides)
	{
		const ChameleonTypeOverride *o = lfirst(lc);
		const char *target = o->pg_type;

		if (!chameleon_type_override_matches(o, mt, opts->table))
			continue;
		pt->pg_type = pstrdup(o->pg_type);
		pt->check_expr = NULL;
		pt->override = o;
		if ((pg_strcasecmp(target, "boolean") == 0 || pg_strcasecmp(target, "bool") == 0) &&
			(pt->kind == CHAMELEON_KIND_INT || pt->kind == CHAMELEON_KIND_UINT))
			pt->kind = CHAMELEON_KIND_BOOL;
		else if (pg_strcasecmp(target, "bytea") == 0 && pt->kind == CHAMELEON_KIND_TEXT)
			pt->kind = CHAMELEON_KIND_BINARY;
		return;
	}
}

static ChameleonPgType *map_natural_type(const ChameleonMySQLType *mt,
										 const ChameleonTypeOptions *opts);

ChameleonPgType *
chameleon_map_mysql_type(const ChameleonMySQLType *mt, const ChameleonTypeOptions *opts)
{
	ChameleonPgType *pt = map_natural_type(mt, opts);

	if (opts != NULL && opts->overrides != NIL)
		apply_override(mt, opts, pt);
	return pt;
}

static ChameleonPgType *
map_natural_type(const ChameleonMySQLType *mt, const ChameleonTypeOptions *opts)
{
	static const ChameleonTypeOptions defaults = {0};
	ChameleonPgType *pt = palloc0(sizeof(ChameleonPgType));
	const TypeSpec *spec = mt->base ? lookup_base(mt->base) : NULL;

	if (opts == NULL)
		opts = &defaults;
	if (spec == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown MySQL base type \"%s\"", mt->base ? mt->base : "")));

	if (hexified(mt, opts))
	{
		pt->pg_type = "bytea";
		pt->kind = CHAMELEON_KIND_BINARY;
		return pt;
	}

	switch (spec->cls)
	{
		case TC_INT:
			map_integer(mt, opts, pt);
			break;
		case TC_DECIMAL:
			pt->pg_type = psprintf("numeric(%d,%d)",
								   mt->precision > 0 ? mt->precision : 10,
								   mt->scale > 0 ? mt->scale : 0);
			pt->kind = CHAMELEON_KIND_DECIMAL;
			break;
		case TC_FLOAT:
			pt->pg_type = "real";
			pt->kind = CHAMELEON_KIND_FLOAT;
			break;
		case TC_DOUBLE:
			pt->pg_type = "double precision";
			pt->kind = CHAMELEON_KIND_DOUBLE;
			break;
		case TC_BIT:
			pt->pg_type = psprintf("bit varying(%d)", Max(mt->length, 1));
			pt->kind = CHAMELEON_KIND_BIT;
			break;
		case TC_YEAR:
			pt->pg_type = "smallint";
			pt->kind = CHAMELEON_KIND_YEAR;
			break;
		case TC_DATE:
			pt->pg_type = "date";
			pt->kind = CHAMELEON_KIND_DATE;
			break;
		case TC_TIME:
			pt->pg_type = psprintf("interval(%d)", mt->fsp);
			pt->kind = CHAMELEON_KIND_TIME;
			break;
		case TC_DATETIME:
			pt->pg_type = psprintf("timestamp(%d) without time zone", mt->fsp);
			pt->kind = CHAMELEON_KIND_DATETIME;
			break;
		case TC_TIMESTAMP:
			pt->pg_type = psprintf("timestamp(%d) with time zone", mt->fsp);
			pt->kind = CHAMELEON_KIND_TIMESTAMP;
			break;
		case TC_CHAR:
			/* PostgreSQL has no char(0): a MySQL char(0) holds only '' */
			pt->pg_type = mt->length > 0 ? psprintf("character(%d)", mt->length)
				: "character varying(1)";
			pt->kind = CHAMELEON_KIND_TEXT;
			break;
		case TC_VARCHAR:
			pt->pg_type = psprintf("character varying(%d)", Max(mt->length, 1));
			pt->kind = CHAMELEON_KIND_TEXT;
			break;
		case TC_TEXT:
			pt->pg_type = "text";
			pt->kind = CHAMELEON_KIND_TEXT;
			break;
		case TC_BINARY:
		case TC_VARBINARY:
		case TC_BLOB:
			pt->pg_type = "bytea";
			pt->kind = CHAMELEON_KIND_BINARY;
			break;
		case TC_ENUM:
			pt->pg_type = "text";
			pt->kind = CHAMELEON_KIND_ENUM;
			pt->check_expr = label_check(mt, false);
			break;
		case TC_SET:
			pt->pg_type = "text[]";
			pt->kind = CHAMELEON_KIND_SET;
			pt->check_expr = label_check(mt, true);
			break;
		case TC_JSON:
			pt->pg_type = "jsonb";
			pt->kind = CHAMELEON_KIND_JSON;
			break;
		case TC_SPATIAL:
			map_spatial(mt, opts, pt);
			break;
		case TC_UUID:
			pt->pg_type = "uuid";
			pt->kind = CHAMELEON_KIND_UUID;
			break;
		case TC_INET:
			pt->pg_type = "inet";
			pt->kind = CHAMELEON_KIND_INET;
			break;
	}
	pt->pg_type = pstrdup(pt->pg_type);
	return pt;
}

char *
chameleon_type_check_sql(const ChameleonPgType *pt, const char *quoted_column)
{
	StringInfoData buf;

	if (pt->check_expr == NULL)
		return NULL;
	initStringInfo(&buf);
	for (const char *c = pt->check_expr; *c; c++)
	{
		if (c[0] == '%' && c[1] == 's')
		{
			appendStringInfoString(&buf, quoted_column);
			c++;
		}
		else if (c[0] == '%' && c[1] == '%')
		{
			appendStringInfoChar(&buf, '%');
			c++;
		}
		else
			appendStringInfoChar(&buf, *c);
	}
	return buf.data;
}

/* ---------- canonical MySQL text ---------- */

/* A label as MariaDB prints it in COLUMN_TYPE: quote doubled; backslash, LF, CR escaped. */
static void
append_mysql_label(StringInfo buf, const char *label)
{
	appendStringInfoChar(buf, '\'');
	for (const char *c = label; *c; c++)
	{
		switch (*c)
		{
			case '\'':
				appendStringInfoString(buf, "''");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			default:
				appendStringInfoChar(buf, *c);
				break;
		}
	}
	appendStringInfoChar(buf, '\'');
}

char *
chameleon_format_mysql_type(const ChameleonMySQLType *mt)
{
	StringInfoData buf;
	const TypeSpec *spec = lookup_base(mt->base);
	TypeClass	cls = spec ? spec->cls : TC_JSON;

	initStringInfo(&buf);
	appendStringInfoString(&buf, mt->base);
	if (cls == TC_ENUM || cls == TC_SET)
	{
		ListCell   *lc;

		appendStringInfoChar(&buf, '(');
		foreach(lc, mt->labels)
		{
			if (foreach_current_index(lc) > 0)
				appendStringInfoChar(&buf, ',');
			append_mysql_label(&buf, lfirst(lc));
		}
		appendStringInfoChar(&buf, ')');
	}
	else if (cls == TC_DECIMAL || ((cls == TC_FLOAT || cls == TC_DOUBLE) && mt->scale >= 0))
		appendStringInfo(&buf, "(%d,%d)", mt->precision, mt->scale);
	else if (cls == TC_TIME || cls == TC_DATETIME || cls == TC_TIMESTAMP)
	{
		if (mt->fsp > 0)
			appendStringInfo(&buf, "(%d)", mt->fsp);
	}
	else if (cls != TC_FLOAT && cls != TC_DOUBLE && mt->length >= 0)
		appendStringInfo(&buf, "(%d)", mt->length);
	if (mt->is_unsigned)
		appendStringInfoString(&buf, " unsigned");
	if (mt->zerofill)
		appendStringInfoString(&buf, " zerofill");
	if (mt->charset != NULL && class_is_character(cls))
		appendStringInfo(&buf, " character set %s", mt->charset);
	if (mt->collation != NULL)
		appendStringInfo(&buf, " collate %s", mt->collation);
	if (cls == TC_SPATIAL && mt->srid >= 0)
		appendStringInfo(&buf, " srid %d", mt->srid);
	return buf.data;
}

const char *
chameleon_value_kind_name(ChameleonValueKind kind)
{
	switch (kind)
	{
		case CHAMELEON_KIND_INT:
			return "int";
		case CHAMELEON_KIND_UINT:
			return "uint";
		case CHAMELEON_KIND_BOOL:
			return "bool";
		case CHAMELEON_KIND_DECIMAL:
			return "decimal";
		case CHAMELEON_KIND_FLOAT:
			return "float";
		case CHAMELEON_KIND_DOUBLE:
			return "double";
		case CHAMELEON_KIND_BIT:
			return "bit";
		case CHAMELEON_KIND_YEAR:
			return "year";
		case CHAMELEON_KIND_DATE:
			return "date";
		case CHAMELEON_KIND_TIME:
			return "time";
		case CHAMELEON_KIND_DATETIME:
			return "datetime";
		case CHAMELEON_KIND_TIMESTAMP:
			return "timestamp";
		case CHAMELEON_KIND_TEXT:
			return "text";
		case CHAMELEON_KIND_BINARY:
			return "binary";
		case CHAMELEON_KIND_ENUM:
			return "enum";
		case CHAMELEON_KIND_SET:
			return "set";
		case CHAMELEON_KIND_JSON:
			return "json";
		case CHAMELEON_KIND_GEOMETRY:
			return "geometry";
		case CHAMELEON_KIND_UUID:
			return "uuid";
		case CHAMELEON_KIND_INET:
			return "inet";
		case CHAMELEON_KIND_POSTGIS:
			return "postgis";
	}
	elog(ERROR, "unknown value kind %d", (int) kind);
	return NULL;				/* keep compiler quiet */
}

bool
chameleon_type_takes_zero_dates(const ChameleonPgType *pt)
{
	return pt->kind == CHAMELEON_KIND_DATE || pt->kind == CHAMELEON_KIND_DATETIME ||
		pt->kind == CHAMELEON_KIND_TIMESTAMP;
}
