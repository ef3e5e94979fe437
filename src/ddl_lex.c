/*
 * ddl_lex.c -- MySQL's lexical rules, for the DDL parser.
 *
 * This file owns turning a MySQL statement text into tokens:
 *   - white space; comments "# ...", "-- ..." (only when "--" is followed by
 *     white space, a control character or the end: "1--1" is 1 - -1) and
 *     "/ * ... * /" (not nested);
 *   - version comments "/ *!50100 ... * /", "/ *! ... * /" and MariaDB's
 *     "/ *M!100100 ... * /": their content is SQL (the source server ran it),
 *     only the markers go;
 *   - `identifiers` with `` for a backtick; "identifiers" when ANSI_QUOTES
 *     is set, otherwise "..." is a string like '...';
 *   - strings with both escape styles: a doubled quote, and backslash
 *     sequences unless NO_BACKSLASH_ESCAPES; N'...' national strings;
 *   - numbers (12, 1.5, .5, 1e-3), hex (X'0A', 0x0A) and bit (B'101',
 *     0b101) literals; words (letters, digits, _, $ and any non-ASCII
 *     character; a word may start with a digit, as in MySQL: 1abc);
 *   - any other character is a one-character punctuation token.
 *
 * Besides the tokens it keeps a "clean" copy of the text in which every
 * comment and version-comment marker is blanked with spaces, byte for byte,
 * so offsets stay the same: typemap.c's type parser reads column types from
 * it.  The text must be valid in the database encoding (checked first).
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "ddl_int.h"

#define MAX_SHOWN_BYTES 40

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex_digit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A character of an unquoted identifier: ASCII letters, digits, _, $, non-ASCII. */
static bool
is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
		c == '_' || c == '$' || (unsigned char) c >= 0x80;
}

/* ---------- messages ---------- */

/* text cut to about max_bytes (whole characters), with "..." when cut. */
char *
chameleon_ddl_shorten(const char *text, int max_bytes)
{
	int			len = strlen(text);
	int			cut;

	if (len <= max_bytes)
		return pstrdup(text);
	cut = pg_mbcliplen(text, len, max_bytes);
	return psprintf("%.*s...", cut, text);
}

/* 1-based character position of a byte offset. */
int
chameleon_ddl_char_position(const DdlLexer *lx, int offset)
{
	return pg_mbstrlen_with_len(lx->src, offset) + 1;
}

static void pg_attribute_noreturn()
lex_error(const DdlLexer *lx, int offset, const char *what)
{
	char	   *near = chameleon_ddl_shorten(lx->src + offset, MAX_SHOWN_BYTES);

	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("%s at or near \"%s\"", what, near),
			 errdetail("The error is at character %d of the MySQL statement.",
					   chameleon_ddl_char_position(lx, offset))));
}

/* ---------- scanning ---------- */

typedef struct LexState
{
	DdlLexer   *lx;
	int			cap;
	bool		in_version;		/* inside a version comment */
	int			version_start;
} LexState;

static void
push_token(LexState *ls, DdlTokKind kind, int start, int end, char quote)
{
	DdlLexer   *lx = ls->lx;
	DdlToken   *t;

	if (lx->ntoks == ls->cap)
	{
		ls->cap *= 2;
		lx->toks = repalloc(lx->toks, sizeof(DdlToken) * ls->cap);
	}
	t = &lx->toks[lx->ntoks++];
	t->kind = kind;
	t->start = start;
	t->end = end;
	t->quote = quote;
	t->national = false;
}

static void
blank(DdlLexer *lx, int from, int to)
{
	for (int i = from; i < to; i++)
		lx->clean[i] = ' ';
}

/* End offset (after the closing quote) of a quoted token starting at i. */
static int
scan_quoted(const DdlLexer *lx, int i, char quote, bool backslash, const char *what)
{
	const char *s = lx->src;
	int			j = i + 1;

	for (;;)
	{
		if (s[j] == '\0')
			lex_error(lx, i, what);
		if (backslash && s[j] == '\\')
		{
			if (s[j + 1] == '\0')
				lex_error(lx, i, what);
			j += 2;
			continue;
		}
		if (s[j] == quote)
		{
			if (s[j + 1] != quote)
				return j + 1;
			j += 2;
			continue;
		}
		j++;
	}
}

/* X'..' or B'..': digits checked, closing quote required. */
static int
scan_prefixed_literal(const DdlLexer *lx, int i, bool hex)
{
	const char *s = lx->src;
	int			j = i + 2;

	while (hex ? is_hex_digit(s[j]) : (s[j] == '0' || s[j] == '1'))
		j++;
	if (s[j] != '\'' || (hex && (j - i - 2) % 2 != 0))
		lex_error(lx, i, hex ? "invalid hexadecimal literal" : "invalid binary literal");
	return j + 1;
}

/*
 * A token starting with a digit (or ".digit"): a number, 0x/0b literal, or
 * a word such as 1abc.  Returns the end and sets *kind.
 */
static int
scan_number_or_word(const DdlLexer *lx, int i, DdlTokKind *kind)
{
	const char *s = lx->src;
	int			j = i;
	bool		dot = false;

	if (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'b'))
	{
		bool		hex = (s[i + 1] == 'x');

		j = i + 2;
		while (hex ? is_hex_digit(s[j]) : (s[j] == '0' || s[j] == '1'))
			j++;
		if (j > i + 2 && !is_ident_char(s[j]))
		{
			*kind = hex ? TK_HEX : TK_BIT;
			return j;
		}
		j = i;
	}
	while (is_digit(s[j]))
		j++;
	if (s[j] == '.' && (j > i || is_digit(s[j + 1])))
	{
		dot = true;
		j++;
		while (is_digit(s[j]))
			j++;
	}
	if ((s[j] == 'e' || s[j] == 'E') &&
		(is_digit(s[j + 1]) || ((s[j + 1] == '+' || s[j + 1] == '-') && is_digit(s[j + 2]))))
	{
		j += 2;
		while (is_digit(s[j]))
			j++;
	}
	if (!dot && is_ident_char(s[j]))
	{
		/* digits followed by letters: an identifier, as MySQL reads it */
		j = i;
		while (is_ident_char(s[j]))
			j++;
		*kind = TK_WORD;
		return j;
	}
	*kind = TK_NUMBER;
	return j;
}

/* Comments and version-comment markers at i; returns the new i, or -1 if none. */
static int
scan_comment(LexState *ls, int i)
{
	DdlLexer   *lx = ls->lx;
	const char *s = lx->src;
	int			j;

	if (s[i] == '#' || (s[i] == '-' && s[i + 1] == '-' &&
						(s[i + 2] == '\0' || (unsigned char) s[i + 2] <= ' ')))
	{
		j = i;
		while (s[j] != '\0' && s[j] != '\n')
			j++;
		blank(lx, i, j);
		return j;
	}
	if (s[i] == '/' && s[i + 1] == '*')
	{
		if (s[i + 2] == '!' || (s[i + 2] == 'M' && s[i + 3] == '!'))
		{
			int			digits = 0;

			if (ls->in_version)
				lex_error(lx, i, "nested version comment");
			j = i + (s[i + 2] == '!' ? 3 : 4);
			while (digits < 6 && is_digit(s[j + digits]))
				digits++;
			if (digits >= 5)
				j += digits;
			blank(lx, i, j);
			ls->in_version = true;
			ls->version_start = i;
			return j;
		}
		for (j = i + 2; s[j] != '\0'; j++)
		{
			if (s[j] == '*' && s[j + 1] == '/')
			{
				blank(lx, i, j + 2);
				return j + 2;
			}
		}
		lex_error(lx, i, "unterminated /* comment");
	}
	if (ls->in_version && s[i] == '*' && s[i + 1] == '/')
	{
		blank(lx, i, i + 2);
		ls->in_version = false;
		return i + 2;
	}
	return -1;
}

/* The token at i (no white space or comment there); returns its end. */
static int
scan_token(LexState *ls, int i)
{
	DdlLexer   *lx = ls->lx;
	const char *s = lx->src;
	char		c = s[i];
	char		c1 = s[i + 1];
	DdlTokKind	kind;
	int			j;

	if (c == '`')
	{
		j = scan_quoted(lx, i, '`', false, "unterminated quoted identifier");
		push_token(ls, TK_QIDENT, i, j, '`');
	}
	else if (c == '"' && lx->ansi_quotes)
	{
		j = scan_quoted(lx, i, '"', false, "unterminated quoted identifier");
		push_token(ls, TK_QIDENT, i, j, '"');
	}
	else if (c == '\'' || c == '"')
	{
		j = scan_quoted(lx, i, c, !lx->no_backslash_escapes, "unterminated quoted string");
		push_token(ls, TK_STRING, i, j, c);
	}
	else if ((c == 'N' || c == 'n') && c1 == '\'')
	{
		j = scan_quoted(lx, i + 1, '\'', !lx->no_backslash_escapes, "unterminated quoted string");
		push_token(ls, TK_STRING, i, j, '\'');
		lx->toks[lx->ntoks - 1].national = true;
	}
	else if ((c == 'X' || c == 'x' || c == 'B' || c == 'b') && c1 == '\'')
	{
		bool		hex = (c == 'X' || c == 'x');

		j = scan_prefixed_literal(lx, i, hex);
		push_token(ls, hex ? TK_HEX : TK_BIT, i, j, '\'');
	}
	else if (is_digit(c) || (c == '.' && is_digit(c1) &&
							 !(lx->ntoks > 0 && lx->toks[lx->ntoks - 1].end == i &&
							   (lx->toks[lx->ntoks - 1].kind == TK_WORD ||
								lx->toks[lx->ntoks - 1].kind == TK_QIDENT))))
	{
		j = scan_number_or_word(lx, i, &kind);
		push_token(ls, kind, i, j, 0);
	}
	else if (is_ident_char(c))
	{
		j = i;
		while (is_ident_char(s[j]))
			j++;
		push_token(ls, TK_WORD, i, j, 0);
	}
	else
	{
		j = i + 1;
		push_token(ls, TK_PUNCT, i, j, 0);
	}
	return j;
}

void
chameleon_ddl_lex(DdlLexer *lx, const char *sql, bool ansi_quotes, bool no_backslash_escapes)
{
	LexState	ls = {0};
	int			i = 0;

	memset(lx, 0, sizeof(*lx));
	lx->len = strlen(sql);
	(void) pg_verifymbstr(sql, lx->len, false);
	lx->src = sql;
	lx->clean = pstrdup(sql);
	lx->ansi_quotes = ansi_quotes;
	lx->no_backslash_escapes = no_backslash_escapes;
	ls.lx = lx;
	ls.cap = 64;
	lx->toks = palloc(sizeof(DdlToken) * ls.cap);

	while (sql[i] != '\0')
	{
		int			next;

		if (is_space(sql[i]))
		{
			i++;
			continue;
		}
		next = scan_comment(&ls, i);
		if (next < 0)
			next = scan_token(&ls, i);
		i = next;
	}
	if (ls.in_version)
		lex_error(lx, ls.version_start, "unterminated version comment");
	push_token(&ls, TK_END, lx->len, lx->len, 0);
}

/* ---------- token values ---------- */

char *
chameleon_ddl_token_text(const DdlLexer *lx, const DdlToken *t)
{
	return pnstrdup(lx->src + t->start, t->end - t->start);
}

/* Strip the quotes of [start, end) and undouble the quote character. */
static char *
undouble(const char *s, int start, int end, char quote)
{
	char	   *out = palloc(end - start);
	int			n = 0;

	for (int i = start + 1; i < end - 1; i++)
	{
		out[n++] = s[i];
		if (s[i] == quote)
			i++;
	}
	out[n] = '\0';
	return out;
}

/*
 * The name an identifier token stands for: a word as written, a quoted
 * identifier without its quotes.  A "double-quoted string" is read as an
 * identifier too (the statement ran with ANSI_QUOTES if it stands where a
 * name must be).
 */
char *
chameleon_ddl_ident_value(const DdlLexer *lx, const DdlToken *t)
{
	if (t->kind == TK_QIDENT || (t->kind == TK_STRING && t->quote == '"' && !t->national))
		return undouble(lx->src, t->start, t->end, t->quote);
	return chameleon_ddl_token_text(lx, t);
}

/* The value of a string token: quotes, doubled quotes and backslash escapes resolved. */
DdlBytes
chameleon_ddl_string_value(const DdlLexer *lx, const DdlToken *t)
{
	const char *s = lx->src;
	int			start = t->start + (t->national ? 1 : 0);
	char	   *out = palloc(t->end - start);
	int			n = 0;
	DdlBytes	result;

	for (int i = start + 1; i < t->end - 1; i++)
	{
		char		c = s[i];

		if (c == t->quote)
			i++;				/* a doubled quote */
		else if (c == '\\' && !lx->no_backslash_escapes)
		{
			char		e = s[++i];
			int			u = chameleon_mysql_unescape(e);

			if (u == -1)
			{
				out[n++] = '\\';	/* MySQL keeps these for LIKE */
				u = (unsigned char) e;
			}
			c = (char) u;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	result.data = out;
	result.len = n;
	return result;
}

static int
hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* The bytes of X'..' or 0x.. (an odd number of 0x digits gets a leading 0). */
DdlBytes
chameleon_ddl_hex_value(const DdlLexer *lx, const DdlToken *t)
{
	const char *s = lx->src;
	int			from = t->start + 2;
	int			to = (t->quote == '\'') ? t->end - 1 : t->end;
	int			ndigits = to - from;
	char	   *out = palloc(ndigits / 2 + 2);
	int			n = 0;
	int			i = from;
	DdlBytes	result;

	if (ndigits % 2 != 0)
		out[n++] = hex_value(s[i++]);
	for (; i < to; i += 2)
		out[n++] = (hex_value(s[i]) << 4) | hex_value(s[i + 1]);
	out[n] = '\0';
	result.data = out;
	result.len = n;
	return result;
}

/* The 0/1 digits of B'..' or 0b.. */
char *
chameleon_ddl_bit_digits(const DdlLexer *lx, const DdlToken *t)
{
	int			from = t->start + 2;
	int			to = (t->quote == '\'') ? t->end - 1 : t->end;

	return pnstrdup(lx->src + from, to - from);
}

/*
 * A palloc'd string from a format and its va_list (PostgreSQL 15 has no
 * pvsprintf): the notes and the emitted statements of the DDL code.
 */
char *
chameleon_ddl_vformat(const char *fmt, va_list args)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		copy;
		int			needed;

		va_copy(copy, args);
		needed = appendStringInfoVA(&buf, fmt, copy);
		va_end(copy);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	return buf.data;
}
