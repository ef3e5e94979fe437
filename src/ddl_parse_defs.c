/*
 * ddl_parse_defs.c -- the parts of MySQL/MariaDB DDL statements: names,
 * literals and DEFAULT values, key definitions, foreign keys, column
 * definitions (types read by typemap.c), table elements and table options.
 *
 * This file owns the definition grammar that CREATE TABLE, ALTER TABLE and
 * CREATE INDEX share; ddl_parse.c owns the statements.  Errors are ERRORs
 * with ERRCODE_SYNTAX_ERROR naming the token and its position.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/elog.h"

#include "ddl_parse_int.h"

#define MAX_SHOWN_BYTES 40
#define MAX_NOTE_EXPR_BYTES 60

void
chameleon_ddl_syntax_error(DdlParser *p, const char *expected)
{
	DdlToken   *t = cur(p);
	int			position = chameleon_ddl_char_position(&p->lx, t->start);

	if (t->kind == TK_END)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("syntax error at end of MySQL statement"),
				 errdetail("Expected %s at character %d of the MySQL statement.",
						   expected, position)));
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("syntax error at or near \"%s\"",
					chameleon_ddl_shorten(chameleon_ddl_token_text(&p->lx, t), MAX_SHOWN_BYTES)),
			 errdetail("Expected %s at character %d of the MySQL statement.",
					   expected, position)));
}

void
chameleon_ddl_expect_word(DdlParser *p, const char *kw)
{
	if (!accept_word(p, kw))
	{
		char	   *upper = pstrdup(kw);

		for (char *c = upper; *c; c++)
			*c = pg_ascii_toupper((unsigned char) *c);
		chameleon_ddl_syntax_error(p, psprintf("%s", upper));
	}
}

void
chameleon_ddl_expect_punct(DdlParser *p, char c)
{
	if (!accept_punct(p, c))
		chameleon_ddl_syntax_error(p, psprintf("\"%c\"", c));
}

void
chameleon_ddl_note(List **notes, const char *fmt,...)
{
	va_list		args;
	char	   *text;

	va_start(args, fmt);
	text = chameleon_ddl_vformat(fmt, args);
	va_end(args);
	*notes = lappend(*notes, text);
}

void
chameleon_ddl_parser_note(DdlParser *p, const char *fmt,...)
{
	va_list		args;
	char	   *text;

	va_start(args, fmt);
	text = chameleon_ddl_vformat(fmt, args);
	va_end(args);
	p->stmt->notes = lappend(p->stmt->notes, text);
}

/* ---------- names and simple values ---------- */

bool
chameleon_ddl_is_ident_token(const DdlToken *t)
{
	return t->kind == TK_WORD || t->kind == TK_QIDENT ||
		(t->kind == TK_STRING && t->quote == '"' && !t->national);
}

char *
chameleon_ddl_parse_ident(DdlParser *p, const char *what)
{
	char	   *name;

	if (!chameleon_ddl_is_ident_token(cur(p)))
		chameleon_ddl_syntax_error(p, what);
	name = chameleon_ddl_ident_value(&p->lx, cur(p));
	if (*name == '\0')
		chameleon_ddl_syntax_error(p, psprintf("%s (names cannot be empty)", what));
	advance(p);
	return name;
}

/* [db.]table */
DdlName
chameleon_ddl_parse_table_name(DdlParser *p)
{
	DdlName		n = {NULL, NULL};

	n.name = chameleon_ddl_parse_ident(p, "a table name");
	if (accept_punct(p, '.'))
	{
		n.db = n.name;
		n.name = chameleon_ddl_parse_ident(p, "a table name after the database name");
	}
	return n;
}

/* A string literal (adjacent strings concatenated, as MySQL does). */
static DdlBytes
parse_string(DdlParser *p, const char *what)
{
	StringInfoData buf;
	DdlBytes	result;

	if (cur(p)->kind != TK_STRING)
		chameleon_ddl_syntax_error(p, what);
	initStringInfo(&buf);
	while (cur(p)->kind == TK_STRING)
	{
		DdlBytes	part = chameleon_ddl_string_value(&p->lx, cur(p));

		appendBinaryStringInfo(&buf, part.data, part.len);
		advance(p);
	}
	result.data = buf.data;
	result.len = buf.len;
	return result;
}

/* A C string for COMMENT '...': a NUL byte ends it (PostgreSQL text has none). */
static char *
parse_comment_string(DdlParser *p)
{
	DdlBytes	b = parse_string(p, "a quoted comment");

	if ((int) strlen(b.data) != b.len)
		chameleon_ddl_parser_note(p, "a comment contains a NUL character; it is cut there");
	return b.data;
}

/* [=] */
void
chameleon_ddl_accept_equals(DdlParser *p)
{
	(void) accept_punct(p, '=');
}

/* One value token of an option: a word, name, string or number. */
void
chameleon_ddl_skip_option_value(DdlParser *p)
{
	DdlToken   *t = cur(p);

	if (t->kind == TK_WORD || t->kind == TK_QIDENT || t->kind == TK_STRING ||
		t->kind == TK_NUMBER || t->kind == TK_HEX)
	{
		advance(p);
		return;
	}
	chameleon_ddl_syntax_error(p, "an option value");
}

/*
 * From '(' to the matching ')', both consumed.  Returns the text between
 * them (clean text: comments blanked), trimmed.
 */
static char *
skip_parenthesized(DdlParser *p)
{
	int			depth = 0;
	int			from;
	int			to;

	if (!is_punct(p, '('))
		chameleon_ddl_syntax_error(p, "\"(\"");
	from = cur(p)->end;
	for (;;)
	{
		DdlToken   *t = cur(p);

		if (t->kind == TK_END)
			chameleon_ddl_syntax_error(p, "\")\"");
		if (token_is_punct(t, '(', &p->lx))
			depth++;
		else if (token_is_punct(t, ')', &p->lx))
		{
			if (--depth == 0)
			{
				to = t->start;
				advance(p);
				break;
			}
		}
		advance(p);
	}
	while (from < to && p->lx.clean[from] == ' ')
		from++;
	while (to > from && (p->lx.clean[to - 1] == ' ' || p->lx.clean[to - 1] == '\n' ||
						 p->lx.clean[to - 1] == '\t' || p->lx.clean[to - 1] == '\r'))
		to--;
	return pnstrdup(p->lx.clean + from, to - from);
}

/* Skip to the next ',' at this nesting level or the end of the statement. */
static void
skip_clause(DdlParser *p)
{
	while (!at_end(p) && !is_punct(p, ','))
	{
		if (is_punct(p, '('))
			(void) skip_parenthesized(p);
		else
			advance(p);
	}
}

/* Skip to the end of the statement. */
void
chameleon_ddl_skip_statement_rest(DdlParser *p)
{
	while (!at_end(p))
	{
		if (is_punct(p, '('))
			(void) skip_parenthesized(p);
		else
			advance(p);
	}
}

/* The clean text of tokens [from, p->pos), for notes. */
char *
chameleon_ddl_text_since(DdlParser *p, int from_token)
{
	int			from = p->lx.toks[from_token].start;
	int			to = p->pos > from_token ? p->lx.toks[p->pos - 1].end : from;

	return chameleon_ddl_shorten(pnstrdup(p->lx.clean + from, to - from), MAX_NOTE_EXPR_BYTES);
}

/* ---------- DEFAULT values ---------- */

static DdlValue *
new_value(DdlValueKind kind)
{
	DdlValue   *v = palloc0(sizeof(DdlValue));

	v->kind = kind;
	v->fsp = -1;
	return v;
}

/* An optional "(n)" or "()" after a time function; returns n or -1. */
static int
optional_fsp(DdlParser *p, bool required)
{
	int			fsp = -1;

	if (!is_punct(p, '('))
	{
		if (required)
			chameleon_ddl_syntax_error(p, "\"(\"");
		return -1;
	}
	advance(p);
	if (cur(p)->kind == TK_NUMBER)
	{
		char	   *digits = chameleon_ddl_token_text(&p->lx, cur(p));

		if (strlen(digits) != 1 || digits[0] < '0' || digits[0] > '6')
			chameleon_ddl_syntax_error(p, "a fractional seconds precision from 0 to 6");
		fsp = digits[0] - '0';
		advance(p);
	}
	chameleon_ddl_expect_punct(p, ')');
	return fsp;
}

/* A time function (CURRENT_TIMESTAMP, NOW(), ...); NULL without consuming if none. */
static DdlValue *
time_function(DdlParser *p)
{
	static const char *const now_words[] = {"current_timestamp", "localtime", "localtimestamp"};
	static const char *const now_calls[] = {"now", "sysdate"};
	DdlValue   *v;

	for (int i = 0; i < (int) lengthof(now_words); i++)
	{
		if (accept_word(p, now_words[i]))
		{
			v = new_value(DV_NOW);
			v->fsp = optional_fsp(p, false);
			return v;
		}
	}
	for (int i = 0; i < (int) lengthof(now_calls); i++)
	{
		if (is_word(p, now_calls[i]) && token_is_punct(peek(p, 1), '(', &p->lx))
		{
			advance(p);
			v = new_value(DV_NOW);
			v->fsp = optional_fsp(p, true);
			return v;
		}
	}
	if (accept_word(p, "current_date"))
	{
		(void) optional_fsp(p, false);
		return new_value(DV_CURDATE);
	}
	if (is_word(p, "curdate") && token_is_punct(peek(p, 1), '(', &p->lx))
	{
		advance(p);
		(void) optional_fsp(p, true);
		return new_value(DV_CURDATE);
	}
	if (accept_word(p, "current_time"))
	{
		v = new_value(DV_CURTIME);
		v->fsp = optional_fsp(p, false);
		return v;
	}
	if (is_word(p, "curtime") && token_is_punct(peek(p, 1), '(', &p->lx))
	{
		advance(p);
		v = new_value(DV_CURTIME);
		v->fsp = optional_fsp(p, true);
		return v;
	}
	return NULL;
}

/* A call "name()" with no arguments of a known function; NULL if not. */
static DdlValue *
known_call(DdlParser *p)
{
	DdlValueKind kind;

	if (!token_is_punct(peek(p, 1), '(', &p->lx) || !token_is_punct(peek(p, 2), ')', &p->lx))
		return NULL;
	if (is_word(p, "uuid"))
		kind = DV_UUID;
	else if (is_word(p, "rand"))
		kind = DV_RANDOM;
	else
		return NULL;
	p->pos += 3;
	return new_value(kind);
}

/* A literal value; NULL without consuming if the tokens are not one. */
static DdlValue *
simple_value(DdlParser *p)
{
	DdlToken   *t = cur(p);
	DdlValue   *v;
	bool		binary = false;

	if (accept_word(p, "null"))
		return new_value(DV_NULL);
	if (is_word(p, "true") || is_word(p, "false"))
	{
		v = new_value(DV_BOOL);
		v->boolean = is_word(p, "true");
		advance(p);
		return v;
	}
	if ((token_is_punct(t, '-', &p->lx) || token_is_punct(t, '+', &p->lx)) &&
		peek(p, 1)->kind == TK_NUMBER)
	{
		bool		minus = token_is_punct(t, '-', &p->lx);

		advance(p);
		v = new_value(DV_NUMBER);
		v->text = psprintf("%s%s", minus ? "-" : "", chameleon_ddl_token_text(&p->lx, cur(p)));
		advance(p);
		return v;
	}
	if (t->kind == TK_NUMBER)
	{
		v = new_value(DV_NUMBER);
		v->text = chameleon_ddl_token_text(&p->lx, t);
		advance(p);
		return v;
	}
	/* _charset introducer: _utf8mb4'x', _binary X'00' */
	if (t->kind == TK_WORD && p->lx.src[t->start] == '_' &&
		(peek(p, 1)->kind == TK_STRING || peek(p, 1)->kind == TK_HEX ||
		 peek(p, 1)->kind == TK_BIT))
	{
		binary = token_is_word(p, t, "_binary");
		advance(p);
		t = cur(p);
	}
	if (t->kind == TK_STRING && !(t->quote == '"' && p->lx.ansi_quotes))
	{
		v = new_value(DV_STRING);
		v->bytes = parse_string(p, "a string");
		v->binary = binary;
		return v;
	}
	if (t->kind == TK_HEX)
	{
		v = new_value(DV_HEX);
		v->bytes = chameleon_ddl_hex_value(&p->lx, t);
		v->binary = true;
		advance(p);
		return v;
	}
	if (t->kind == TK_BIT)
	{
		v = new_value(DV_BIT);
		v->text = chameleon_ddl_bit_digits(&p->lx, t);
		advance(p);
		return v;
	}
	if (t->kind == TK_WORD)
	{
		v = time_function(p);
		if (v == NULL)
			v = known_call(p);
		return v;
	}
	return NULL;
}

/*
 * DEFAULT's value: a literal, a time function, "(expr)" (a literal or known
 * call inside is read as such) or a function call (MariaDB).
 */
DdlValue *
chameleon_ddl_parse_default_value(DdlParser *p)
{
	DdlValue   *v = simple_value(p);
	int			from;

	if (v != NULL)
		return v;
	from = p->pos;
	if (is_punct(p, '('))
	{
		int			save = p->pos;

		advance(p);
		v = simple_value(p);
		if (v != NULL && accept_punct(p, ')'))
			return v;
		p->pos = save;
		v = new_value(DV_EXPR);
		v->text = skip_parenthesized(p);
		return v;
	}
	if (cur(p)->kind == TK_WORD && token_is_punct(peek(p, 1), '(', &p->lx))
	{
		advance(p);
		(void) skip_parenthesized(p);
		v = new_value(DV_EXPR);
		v->text = chameleon_ddl_text_since(p, from);
		return v;
	}
	if (accept_word(p, "next") || accept_word(p, "nextval"))
	{
		/* MariaDB: NEXT VALUE FOR seq */
		skip_clause(p);
		v = new_value(DV_EXPR);
		v->text = chameleon_ddl_text_since(p, from);
		return v;
	}
	chameleon_ddl_syntax_error(p, "a default value");
}

/* ---------- keys ---------- */

/* Optional ASC / DESC. */
bool
chameleon_ddl_parse_direction(DdlParser *p)
{
	if (accept_word(p, "desc"))
		return true;
	(void) accept_word(p, "asc");
	return false;
}

/* (part, ...): col [(n)] [ASC|DESC] | (expression) [ASC|DESC] */
List *
chameleon_ddl_parse_key_parts(DdlParser *p)
{
	List	   *parts = NIL;

	chameleon_ddl_expect_punct(p, '(');
	do
	{
		DdlIndexPart *part = palloc0(sizeof(DdlIndexPart));

		if (is_punct(p, '('))
			part->expression = chameleon_ddl_shorten(skip_parenthesized(p), MAX_NOTE_EXPR_BYTES);
		else
		{
			part->column = chameleon_ddl_parse_ident(p, "a column name");
			if (accept_punct(p, '('))
			{
				char	   *digits;

				if (cur(p)->kind != TK_NUMBER)
					chameleon_ddl_syntax_error(p, "a prefix length");
				digits = chameleon_ddl_token_text(&p->lx, cur(p));
				part->prefix = (strlen(digits) > 9) ? 999999999 : atoi(digits);
				if (part->prefix <= 0)
					chameleon_ddl_syntax_error(p, "a prefix length greater than 0");
				advance(p);
				chameleon_ddl_expect_punct(p, ')');
			}
		}
		part->descending = chameleon_ddl_parse_direction(p);
		parts = lappend(parts, part);
	} while (accept_punct(p, ','));
	chameleon_ddl_expect_punct(p, ')');
	return parts;
}

/* A plain column list (foreign keys): (a, b). */
static List *
parse_column_list(DdlParser *p)
{
	List	   *cols = NIL;
	ListCell   *lc;

	foreach(lc, chameleon_ddl_parse_key_parts(p))
	{
		DdlIndexPart *part = lfirst(lc);

		if (part->column == NULL)
			chameleon_ddl_syntax_error(p, "a list of column names");
		cols = lappend(cols, part->column);
	}
	return cols;
}

/* USING BTREE | HASH | RTREE */
bool
chameleon_ddl_parse_index_type(DdlParser *p)
{
	if (!accept_word(p, "using"))
		return false;
	if (!accept_word(p, "btree") && !accept_word(p, "hash") && !accept_word(p, "rtree"))
		chameleon_ddl_syntax_error(p, "BTREE, HASH or RTREE");
	return true;
}

/* Index options after the key parts. */
void
chameleon_ddl_parse_index_options(DdlParser *p, DdlIndexDef *idx)
{
	for (;;)
	{
		if (chameleon_ddl_parse_index_type(p))
			continue;
		if (accept_word(p, "comment"))
		{
			chameleon_ddl_accept_equals(p);
			idx->comment = parse_comment_string(p);
		}
		else if (accept_word(p, "key_block_size") || accept_word(p, "engine_attribute") ||
				 accept_word(p, "secondary_engine_attribute") || accept_word(p, "clustering"))
		{
			chameleon_ddl_accept_equals(p);
			chameleon_ddl_skip_option_value(p);
		}
		else if (accept_word(p, "with"))
		{
			chameleon_ddl_expect_word(p, "parser");
			(void) chameleon_ddl_parse_ident(p, "a parser name");
		}
		else if (accept_word(p, "visible") || accept_word(p, "invisible") ||
				 accept_word(p, "ignored"))
			 /* nothing */ ;
		else if (is_word(p, "not") && token_is_word(p, peek(p, 1), "ignored"))
			p->pos += 2;
		else if ((cur(p)->kind == TK_WORD || cur(p)->kind == TK_QIDENT) &&
				 token_is_punct(peek(p, 1), '=', &p->lx))
		{
			/* MariaDB engine-defined index attributes, e.g. VECTOR's M=8 DISTANCE=cosine */
			p->pos += 2;
			chameleon_ddl_skip_option_value(p);
		}
		else
			return;
	}
}

bool
chameleon_ddl_accept_if_not_exists(DdlParser *p)
{
	if (!is_word(p, "if"))
		return false;
	advance(p);
	chameleon_ddl_expect_word(p, "not");
	chameleon_ddl_expect_word(p, "exists");
	return true;
}

bool
chameleon_ddl_accept_if_exists(DdlParser *p)
{
	if (!is_word(p, "if"))
		return false;
	advance(p);
	chameleon_ddl_expect_word(p, "exists");
	return true;
}

/*
 * The rest of a key after its keywords: [IF NOT EXISTS] [name] [USING type]
 * (parts) [options].
 */
static DdlIndexDef *
parse_index_rest(DdlParser *p, DdlIndexKind kind, char *constraint_name)
{
	DdlIndexDef *idx = palloc0(sizeof(DdlIndexDef));

	idx->kind = kind;
	idx->constraint_name = constraint_name;
	idx->if_not_exists = chameleon_ddl_accept_if_not_exists(p);
	if (chameleon_ddl_is_ident_token(cur(p)) && !is_word(p, "using"))
		idx->name = chameleon_ddl_parse_ident(p, "an index name");
	(void) chameleon_ddl_parse_index_type(p);
	idx->parts = chameleon_ddl_parse_key_parts(p);
	chameleon_ddl_parse_index_options(p, idx);
	return idx;
}

/* ON DELETE / ON UPDATE action */
static char *
parse_reference_action(DdlParser *p)
{
	if (accept_word(p, "restrict"))
		return "RESTRICT";
	if (accept_word(p, "cascade"))
		return "CASCADE";
	if (accept_word(p, "set"))
	{
		if (accept_word(p, "null"))
			return "SET NULL";
		chameleon_ddl_expect_word(p, "default");
		return "SET DEFAULT";
	}
	if (accept_word(p, "no"))
	{
		chameleon_ddl_expect_word(p, "action");
		return "NO ACTION";
	}
	chameleon_ddl_syntax_error(p, "RESTRICT, CASCADE, SET NULL, SET DEFAULT or NO ACTION");
}

/* REFERENCES t (cols) [MATCH ...] [ON DELETE ...] [ON UPDATE ...] */
static void
parse_references(DdlParser *p, DdlForeignKeyDef *fk)
{
	chameleon_ddl_expect_word(p, "references");
	fk->ref = chameleon_ddl_parse_table_name(p);
	if (is_punct(p, '('))
		fk->ref_columns = parse_column_list(p);
	if (accept_word(p, "match"))
	{
		if (!accept_word(p, "full") && !accept_word(p, "partial") && !accept_word(p, "simple"))
			chameleon_ddl_syntax_error(p, "FULL, PARTIAL or SIMPLE");
	}
	while (is_word(p, "on"))
	{
		advance(p);
		if (accept_word(p, "delete"))
			fk->on_delete = parse_reference_action(p);
		else if (accept_word(p, "update"))
			fk->on_update = parse_reference_action(p);
		else
			chameleon_ddl_syntax_error(p, "DELETE or UPDATE");
	}
}

/* FOREIGN KEY [IF NOT EXISTS] [name] (cols) REFERENCES ...; FOREIGN consumed. */
static DdlForeignKeyDef *
parse_foreign_key(DdlParser *p, char *constraint_name)
{
	DdlForeignKeyDef *fk = palloc0(sizeof(DdlForeignKeyDef));

	chameleon_ddl_expect_word(p, "key");
	(void) chameleon_ddl_accept_if_not_exists(p);
	fk->name = constraint_name;
	if (chameleon_ddl_is_ident_token(cur(p)))
	{
		char	   *index_name = chameleon_ddl_parse_ident(p, "an index name");

		if (fk->name == NULL)
			fk->name = index_name;
	}
	fk->columns = parse_column_list(p);
	parse_references(p, fk);
	return fk;
}

/* CHECK (expr) [[NOT] ENFORCED]; CHECK consumed. */
static char *
parse_check(DdlParser *p)
{
	char	   *expr = skip_parenthesized(p);

	if (is_word(p, "not") && token_is_word(p, peek(p, 1), "enforced"))
		p->pos += 2;
	else
		(void) accept_word(p, "enforced");
	return chameleon_ddl_shorten(expr, MAX_NOTE_EXPR_BYTES);
}

/* ---------- column definitions ---------- */

typedef struct ColumnContext
{
	const char *name;
} ColumnContext;

static void
column_error_context(void *arg)
{
	ColumnContext *cc = arg;

	errcontext("MySQL column \"%s\"", cc->name);
}

/*
 * The clean text from the current token to the end of the column
 * definition (the next ',' or ')' outside parentheses): what typemap.c
 * reads the type from, and shows in its messages.
 */
static char *
column_rest(DdlParser *p)
{
	int			depth = 0;
	int			i;

	for (i = p->pos; i < p->lx.ntoks - 1; i++)
	{
		const DdlToken *t = &p->lx.toks[i];

		if (token_is_punct(t, '(', &p->lx))
			depth++;
		else if (token_is_punct(t, ')', &p->lx) && depth-- == 0)
			break;
		else if (depth == 0 && (token_is_punct(t, ',', &p->lx) || token_is_punct(t, ';', &p->lx)))
			break;
	}
	return pnstrdup(p->lx.clean + cur(p)->start,
					p->lx.toks[i].start - cur(p)->start);
}

/* The type at the current token, read by typemap.c from the clean text. */
static ChameleonMySQLType *
parse_column_type(DdlParser *p, char **type_text)
{
	DdlToken   *t = cur(p);
	char	   *word;
	ChameleonMySQLType *mt;
	int			consumed;
	int			end;

	if (t->kind != TK_WORD)
		chameleon_ddl_syntax_error(p, "a data type");
	word = chameleon_ddl_token_text(&p->lx, t);
	if (chameleon_mysql_base_type(word) == NULL && pg_strcasecmp(word, "national") != 0)
		chameleon_ddl_syntax_error(p, "a data type");
	mt = chameleon_parse_mysql_type_prefix(column_rest(p), &consumed);
	end = t->start + consumed;
	while (cur(p)->kind != TK_END && cur(p)->start < end)
	{
		if (cur(p)->end > end)
			chameleon_ddl_syntax_error(p, "the end of the data type");
		advance(p);
	}
	*type_text = pnstrdup(p->lx.clean + t->start, consumed);
	return mt;
}

/* [GENERATED ALWAYS] AS (expr) [VIRTUAL|STORED|PERSISTENT]; the leading words consumed. */
static void
parse_generated(DdlParser *p, DdlColumnDef *col)
{
	col->generated = true;
	if (accept_word(p, "row"))
	{
		/* MariaDB system versioning: AS ROW START | END */
		if (!accept_word(p, "start") && !accept_word(p, "end"))
			chameleon_ddl_syntax_error(p, "START or END");
		col->generated_expr = "ROW START/END";
		return;
	}
	col->generated_expr = chameleon_ddl_shorten(skip_parenthesized(p), MAX_NOTE_EXPR_BYTES);
	if (!accept_word(p, "virtual") && !accept_word(p, "stored"))
		(void) accept_word(p, "persistent");
}

/* One column attribute; false (nothing consumed) if the next token is not one. */
static bool
parse_column_attribute(DdlParser *p, DdlColumnDef *col)
{
	if (is_word(p, "not") && token_is_word(p, peek(p, 1), "null"))
	{
		p->pos += 2;
		col->not_null = true;
	}
	else if (accept_word(p, "null"))
		col->not_null = false;
	else if (accept_word(p, "default"))
		col->default_value = chameleon_ddl_parse_default_value(p);
	else if (accept_word(p, "auto_increment"))
		col->auto_increment = true;
	else if (accept_word(p, "unique"))
	{
		(void) accept_word(p, "key");
		col->unique_key = true;
	}
	else if (accept_word(p, "primary"))
	{
		chameleon_ddl_expect_word(p, "key");
		col->primary_key = true;
	}
	else if (accept_word(p, "key"))
		col->primary_key = true;	/* KEY alone in a column means PRIMARY KEY */
	else if (accept_word(p, "comment"))
		col->comment = parse_comment_string(p);
	else if (accept_word(p, "collate"))
	{
		chameleon_ddl_accept_equals(p);
		chameleon_ddl_skip_option_value(p);
	}
	else if ((is_word(p, "character") || is_word(p, "char")) &&
			 token_is_word(p, peek(p, 1), "set"))
	{
		p->pos += 2;
		chameleon_ddl_skip_option_value(p);
	}
	else if (accept_word(p, "charset"))
		chameleon_ddl_skip_option_value(p);
	else if (accept_word(p, "column_format") || accept_word(p, "storage"))
		chameleon_ddl_skip_option_value(p);
	else if (accept_word(p, "srid") || accept_word(p, "ref_system_id"))
	{
		/* the spatial column's SRID: MySQL 8 SRID n, MariaDB REF_SYSTEM_ID=n */
		chameleon_ddl_accept_equals(p);
		if (cur(p)->kind != TK_NUMBER)
			chameleon_ddl_syntax_error(p, "an SRID number");
		if (col->type != NULL)
			col->type->srid = (int) strtol(chameleon_ddl_token_text(&p->lx, cur(p)), NULL, 10);
		advance(p);
	}
	else if (accept_word(p, "engine_attribute") || accept_word(p, "secondary_engine_attribute") ||
			 accept_word(p, "encryption_key_id"))
	{
		chameleon_ddl_accept_equals(p);
		chameleon_ddl_skip_option_value(p);
	}
	else if (accept_word(p, "compressed"))
	{
		if (accept_punct(p, '='))
			chameleon_ddl_skip_option_value(p);
	}
	else if (accept_word(p, "visible") || accept_word(p, "invisible") ||
			 accept_word(p, "encrypted"))
		 /* nothing */ ;
	else if ((is_word(p, "with") || is_word(p, "without")) &&
			 token_is_word(p, peek(p, 1), "system"))
	{
		p->pos += 2;
		chameleon_ddl_expect_word(p, "versioning");
	}
	else if (accept_word(p, "serial"))
	{
		/* SERIAL DEFAULT VALUE = NOT NULL AUTO_INCREMENT UNIQUE */
		chameleon_ddl_expect_word(p, "default");
		chameleon_ddl_expect_word(p, "value");
		col->not_null = col->auto_increment = col->unique_key = true;
	}
	else if (accept_word(p, "generated"))
	{
		chameleon_ddl_expect_word(p, "always");
		chameleon_ddl_expect_word(p, "as");
		parse_generated(p, col);
	}
	else if (accept_word(p, "as"))
		parse_generated(p, col);
	else if (is_word(p, "on") && token_is_word(p, peek(p, 1), "update"))
	{
		p->pos += 2;
		if (time_function(p) == NULL)
			chameleon_ddl_syntax_error(p, "CURRENT_TIMESTAMP after ON UPDATE");
		col->on_update = true;
	}
	else if (is_word(p, "references"))
	{
		DdlForeignKeyDef fk = {0};

		parse_references(p, &fk);
		col->has_references = true;
	}
	else if (accept_word(p, "constraint"))
	{
		if (!is_word(p, "check"))
			(void) chameleon_ddl_parse_ident(p, "a constraint name");
		chameleon_ddl_expect_word(p, "check");
		(void) parse_check(p);
		col->has_check = true;
	}
	else if (accept_word(p, "check"))
	{
		(void) parse_check(p);
		col->has_check = true;
	}
	else
		return false;
	return true;
}

/* name type [attributes] */
DdlColumnDef *
chameleon_ddl_parse_column_def(DdlParser *p, char *name)
{
	DdlColumnDef *col = palloc0(sizeof(DdlColumnDef));
	ColumnContext cc;
	ErrorContextCallback errcb;

	col->name = name ? name : chameleon_ddl_parse_ident(p, "a column name");
	cc.name = col->name;
	errcb.callback = column_error_context;
	errcb.arg = &cc;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	col->type = parse_column_type(p, &col->type_text);
	if (col->type->is_serial)
		col->not_null = col->auto_increment = col->unique_key = true;
	while (parse_column_attribute(p, col))
		;

	error_context_stack = errcb.previous;
	return col;
}

/* [FIRST | AFTER col] of an ALTER column clause */
void
chameleon_ddl_parse_column_position(DdlParser *p, DdlColumnDef *col)
{
	if (accept_word(p, "first"))
		col->position = POS_FIRST;
	else if (accept_word(p, "after"))
	{
		col->position = POS_AFTER;
		col->after = chameleon_ddl_parse_ident(p, "a column name after AFTER");
	}
}

/* ---------- table elements and options ---------- */

bool
chameleon_ddl_is_key_word(DdlParser *p)
{
	static const char *const words[] = {
		"constraint", "primary", "unique", "key", "index", "fulltext", "spatial",
		"foreign", "check"
	};

	for (int i = 0; i < (int) lengthof(words); i++)
	{
		if (is_word(p, words[i]))
			return true;
	}
	/* MariaDB 11.7: VECTOR KEY/INDEX (a column may be named vector) */
	return is_word(p, "vector") &&
		(token_is_word(p, peek(p, 1), "key") || token_is_word(p, peek(p, 1), "index"));
}


/*
 * A key, foreign key or check (table element or ALTER ... ADD), starting
 * at CONSTRAINT, PRIMARY, UNIQUE, KEY, INDEX, FULLTEXT, SPATIAL, FOREIGN or
 * CHECK.
 */
KeyElement
chameleon_ddl_parse_key_element(DdlParser *p)
{
	KeyElement	ke = {0};
	char	   *symbol = NULL;
	bool		if_not_exists = false;

	if (accept_word(p, "constraint"))
	{
		/* MariaDB: ADD CONSTRAINT IF NOT EXISTS name ... */
		if_not_exists = chameleon_ddl_accept_if_not_exists(p);
		if (!is_word(p, "primary") && !is_word(p, "unique") && !is_word(p, "foreign") &&
			!is_word(p, "check"))
			symbol = chameleon_ddl_parse_ident(p, "a constraint name");
		if (!is_word(p, "primary") && !is_word(p, "unique") && !is_word(p, "foreign") &&
			!is_word(p, "check"))
			chameleon_ddl_syntax_error(p, "PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK");
	}
	ke.kind = KE_INDEX;
	if (accept_word(p, "primary"))
	{
		chameleon_ddl_expect_word(p, "key");
		ke.index = parse_index_rest(p, IDX_PRIMARY, symbol);
	}
	else if (accept_word(p, "unique"))
	{
		if (!accept_word(p, "key"))
			(void) accept_word(p, "index");
		ke.index = parse_index_rest(p, IDX_UNIQUE, symbol);
	}
	else if (accept_word(p, "key") || accept_word(p, "index"))
		ke.index = parse_index_rest(p, IDX_PLAIN, NULL);
	else if (accept_word(p, "fulltext") || accept_word(p, "spatial"))
	{
		bool		fulltext = token_is_word(p, peek(p, -1), "fulltext");

		if (!accept_word(p, "key"))
			(void) accept_word(p, "index");
		ke.index = parse_index_rest(p, fulltext ? IDX_FULLTEXT : IDX_SPATIAL, NULL);
	}
	else if (accept_word(p, "vector"))
	{
		if (!accept_word(p, "key"))
			(void) accept_word(p, "index");
		ke.index = parse_index_rest(p, IDX_VECTOR, NULL);
	}
	else if (accept_word(p, "foreign"))
	{
		ke.kind = KE_FOREIGN;
		ke.fk = parse_foreign_key(p, symbol);
	}
	else if (accept_word(p, "check"))
	{
		ke.kind = KE_CHECK;
		ke.name = symbol;
		ke.text = parse_check(p);
	}
	else
		chameleon_ddl_syntax_error(p, "a key definition");
	if (if_not_exists && ke.kind == KE_INDEX)
		ke.index->if_not_exists = true;
	return ke;
}

/* MariaDB: PERIOD FOR name (start, end) */
bool
chameleon_ddl_parse_period(DdlParser *p)
{
	if (!(is_word(p, "period") && token_is_word(p, peek(p, 1), "for")))
		return false;
	p->pos += 2;
	(void) chameleon_ddl_parse_ident(p, "a period name");
	(void) skip_parenthesized(p);
	return true;
}

static void
add_key_element(DdlParser *p, DdlStatement *st, KeyElement ke)
{
	switch (ke.kind)
	{
		case KE_INDEX:
			st->indexes = lappend(st->indexes, ke.index);
			break;
		case KE_FOREIGN:
			st->foreign_keys = lappend(st->foreign_keys, ke.fk);
			break;
		case KE_CHECK:
			chameleon_ddl_parser_note(p, "CHECK constraint %s(%s) is not created",
				 ke.name ? psprintf("\"%s\" ", ke.name) : "", ke.text);
			break;
		case KE_PERIOD:
			break;
	}
}

/* Table options that take "[=] value". */
static const char *const value_options[] = {
	"engine", "type", "auto_increment", "avg_row_length", "checksum", "table_checksum",
	"compression", "connection", "delay_key_write", "encryption", "engine_attribute",
	"insert_method", "key_block_size", "max_rows", "min_rows", "pack_keys", "password",
	"row_format", "secondary_engine", "secondary_engine_attribute", "stats_auto_recalc",
	"stats_persistent", "stats_sample_pages", "autoextend_size", "page_checksum",
	"page_compressed", "page_compression_level", "transactional", "ietf_quotes",
	"encrypted", "encryption_key_id", "sequence"
};

/*
 * One table option (CREATE TABLE after the columns, or an ALTER TABLE
 * clause); the table comment goes to *comment.  False, nothing consumed,
 * if the next tokens are not an option.
 */
bool
chameleon_ddl_parse_table_option(DdlParser *p, char **comment)
{
	DdlToken   *t = cur(p);

	/* an engine-defined attribute as SHOW CREATE TABLE quotes it: `PAGE_COMPRESSED`='ON' */
	if (t->kind == TK_QIDENT && token_is_punct(peek(p, 1), '=', &p->lx))
	{
		p->pos += 2;
		chameleon_ddl_skip_option_value(p);
		return true;
	}
	if (t->kind != TK_WORD)
		return false;
	if (is_word(p, "start") && token_is_word(p, peek(p, 1), "transaction"))
		return false;
	/* DEFAULT CHARSET, DEFAULT COLLATE, DEFAULT ENCRYPTION ... */
	if (is_word(p, "default") && peek(p, 1)->kind == TK_WORD)
		advance(p);
	if ((is_word(p, "character") || is_word(p, "char")) && token_is_word(p, peek(p, 1), "set"))
		p->pos += 2;
	else if (!accept_word(p, "charset") && !accept_word(p, "collate"))
	{
		if (accept_word(p, "comment"))
		{
			chameleon_ddl_accept_equals(p);
			*comment = parse_comment_string(p);
			return true;
		}
		if ((is_word(p, "data") || is_word(p, "index")) &&
			token_is_word(p, peek(p, 1), "directory"))
			p->pos += 2;
		else if (accept_word(p, "union"))
		{
			chameleon_ddl_accept_equals(p);
			(void) skip_parenthesized(p);
			return true;
		}
		else if (accept_word(p, "tablespace"))
		{
			chameleon_ddl_accept_equals(p);
			chameleon_ddl_skip_option_value(p);
			if (accept_word(p, "storage"))
				chameleon_ddl_skip_option_value(p);
			return true;
		}
		else if (accept_word(p, "storage"))
		{
			chameleon_ddl_skip_option_value(p);
			return true;
		}
		else if (is_word(p, "with") && token_is_word(p, peek(p, 1), "system"))
		{
			p->pos += 2;
			chameleon_ddl_expect_word(p, "versioning");
			return true;
		}
		else
		{
			bool		known = false;

			for (int i = 0; i < (int) lengthof(value_options); i++)
				known |= is_word(p, value_options[i]);
			/* engine-defined attributes (MariaDB): any word = value */
			if (!known && !token_is_punct(peek(p, 1), '=', &p->lx))
				return false;
			advance(p);
		}
	}
	chameleon_ddl_accept_equals(p);
	chameleon_ddl_skip_option_value(p);
	return true;
}

/* Partitioning after a CREATE TABLE or ALTER TABLE: PARTITION BY ... to the end. */
bool
chameleon_ddl_parse_partitioning(DdlParser *p)
{
	if (!(is_word(p, "partition") && token_is_word(p, peek(p, 1), "by")))
		return false;
	chameleon_ddl_skip_statement_rest(p);
	chameleon_ddl_parser_note(p, "partitioning is not replicated: the PostgreSQL table is not partitioned");
	return true;
}

/* The elements between CREATE TABLE t ( and ). */
void
chameleon_ddl_parse_table_elements(DdlParser *p, DdlStatement *st)
{
	chameleon_ddl_expect_punct(p, '(');
	do
	{
		if (chameleon_ddl_parse_period(p))
			chameleon_ddl_parser_note(p, "PERIOD FOR is not replicated");
		else if (chameleon_ddl_is_key_word(p))
			add_key_element(p, st, chameleon_ddl_parse_key_element(p));
		else
			st->columns = lappend(st->columns, chameleon_ddl_parse_column_def(p, NULL));
	} while (accept_punct(p, ','));
	chameleon_ddl_expect_punct(p, ')');
}

