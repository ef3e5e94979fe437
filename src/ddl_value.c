/*
 * ddl_value.c -- MySQL column values in DDL, as PostgreSQL expressions.
 *
 * This file owns three small translations used by ddl_translate.c:
 *   - a DEFAULT value (literal, time function, known call, expression) for a
 *     column of a given type, written so that PostgreSQL stores what MySQL
 *     stores (a bit default padded to the column width, a binary(n) default
 *     padded with 0x00, set members in definition order, zero dates as no
 *     default because zero dates become NULL);
 *   - MySQL's implicit default of a NOT NULL column without one (0, '',
 *     the first enum label, ...), which MySQL writes into existing rows when
 *     ALTER TABLE adds such a column;
 *   - the USING expression of ALTER COLUMN ... TYPE for a type change.
 * Everything spliced into SQL is either a quote_literal_cstr() literal or
 * text validated here (numbers, 0/1 digits).  A value that cannot be
 * translated gives NULL and a note; it never gives wrong SQL.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "ddl_int.h"

#define MAX_NOTE_BYTES 60

/* ---------- numbers ---------- */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * s as a number literal MySQL would read ("  -1.5e3 "), trimmed; NULL if it
 * is not one.  The result holds only [0-9+-.eE], so it is safe to splice.
 */
static char *
numeric_text(const char *s, int len)
{
	int			i = 0;
	int			end = len;
	int			start;
	int			digits = 0;

	while (i < end && s[i] == ' ')
		i++;
	while (end > i && s[end - 1] == ' ')
		end--;
	start = i;
	if (i < end && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < end && is_digit(s[i]))
		i++, digits++;
	if (i < end && s[i] == '.')
	{
		i++;
		while (i < end && is_digit(s[i]))
			i++, digits++;
	}
	if (digits == 0)
		return NULL;
	if (i < end && (s[i] == 'e' || s[i] == 'E'))
	{
		int			exp_digits = 0;

		i++;
		if (i < end && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < end && is_digit(s[i]))
			i++, exp_digits++;
		if (exp_digits == 0)
			return NULL;
	}
	if (i != end)
		return NULL;
	return pnstrdup(s + start, end - start);
}

/* Bytes as an unsigned big-endian number; false if more than 8 bytes. */
static bool
bytes_as_uint64(const DdlBytes *b, uint64 *out)
{
	uint64		v = 0;

	if (b->len > 8)
		return false;
	for (int i = 0; i < b->len; i++)
		v = (v << 8) | (unsigned char) b->data[i];
	*out = v;
	return true;
}

/* 0/1 digits as a number; false if more than 64 significant bits. */
static bool
bits_as_uint64(const char *digits, uint64 *out)
{
	uint64		v = 0;
	int			significant = 0;

	for (const char *c = digits; *c; c++)
	{
		if (significant > 0 || *c == '1')
			significant++;
		v = (v << 1) | (uint64) (*c - '0');
	}
	if (significant > 64)
		return false;
	*out = v;
	return true;
}

/* A decimal integer without sign; false if it is not one or too big. */
static bool
text_as_uint64(const char *s, uint64 *out)
{
	uint64		v = 0;

	if (*s == '\0')
		return false;
	for (const char *c = s; *c; c++)
	{
		if (!is_digit(*c) || v > (PG_UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*c - '0');
	}
	*out = v;
	return true;
}

/* The value as an unsigned integer (hex, bit, bool, integer number). */
static bool
value_as_uint64(const DdlValue *v, uint64 *out)
{
	switch (v->kind)
	{
		case DV_HEX:
			return bytes_as_uint64(&v->bytes, out);
		case DV_BIT:
			return bits_as_uint64(v->text, out);
		case DV_BOOL:
			*out = v->boolean ? 1 : 0;
			return true;
		case DV_NUMBER:
			return text_as_uint64(v->text, out);
		default:
			return false;
	}
}

/* A numeric value as splice-safe text: numbers, numeric strings, hex/bit/bool. */
static char *
value_as_number(const DdlValue *v)
{
	uint64		u;

	switch (v->kind)
	{
		case DV_NUMBER:
			return pstrdup(v->text);
		case DV_STRING:
			if ((int) strlen(v->bytes.data) != v->bytes.len)
				return NULL;
			return numeric_text(v->bytes.data, v->bytes.len);
		case DV_HEX:
		case DV_BIT:
		case DV_BOOL:
			if (value_as_uint64(v, &u))
				return psprintf(UINT64_FORMAT, u);
			return NULL;
		default:
			return NULL;
	}
}

/* ---------- strings ---------- */

/* The value as MySQL's string (the bytes of a string or hex, digits of a number). */
static bool
value_as_bytes(const DdlValue *v, DdlBytes *out)
{
	uint64		u;

	switch (v->kind)
	{
		case DV_STRING:
		case DV_HEX:
			*out = v->bytes;
			return true;
		case DV_NUMBER:
			out->data = v->text;
			out->len = strlen(v->text);
			return true;
		case DV_BOOL:
			out->data = v->boolean ? "1" : "0";
			out->len = 1;
			return true;
		case DV_BIT:
			if (!bits_as_uint64(v->text, &u))
				return false;
			{
				char	   *buf = palloc(9);
				int			n = 0;

				for (int shift = 56; shift >= 0; shift -= 8)
				{
					if (n > 0 || (u >> shift) != 0 || shift == 0)
						buf[n++] = (char) ((u >> shift) & 0xff);
				}
				buf[n] = '\0';
				out->data = buf;
				out->len = n;
			}
			return true;
		default:
			return false;
	}
}

/* A text literal for bytes that are valid text (no NUL, valid encoding); NULL if not. */
static char *
text_literal(const DdlBytes *b)
{
	if ((int) strlen(b->data) != b->len || !pg_verifymbstr(b->data, b->len, true))
		return NULL;
	return quote_literal_cstr(b->data);
}

/* A bytea literal (hex format), padded with 0x00 to pad_to bytes. */
static char *
bytea_literal(const DdlBytes *b, int pad_to)
{
	static const char hex[] = "0123456789abcdef";
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "\\x");
	for (int i = 0; i < Max(b->len, pad_to); i++)
	{
		unsigned char c = i < b->len ? (unsigned char) b->data[i] : 0;

		appendStringInfoChar(&buf, hex[c >> 4]);
		appendStringInfoChar(&buf, hex[c & 0x0f]);
	}
	return quote_literal_cstr(buf.data);
}

/* ---------- per type ---------- */

static bool
is_binary_n(const ChameleonMySQLType *mt)
{
	return mt != NULL && strcmp(mt->base, "binary") == 0 && mt->length > 0;
}

/* B'...' of exactly width digits for a bit(width) column; NULL if it does not fit. */
static char *
bit_literal(const DdlValue *v, int width)
{
	char	   *digits;
	uint64		u;
	int			len;
	StringInfoData buf;

	if (v->kind == DV_BIT)
		digits = v->text;
	else if (value_as_uint64(v, &u) || (v->kind == DV_STRING && bytes_as_uint64(&v->bytes, &u)))
	{
		digits = palloc(65);
		for (int i = 0; i < 64; i++)
			digits[i] = ((u >> (63 - i)) & 1) ? '1' : '0';
		digits[64] = '\0';
	}
	else
		return NULL;
	while (digits[0] == '0' && digits[1] != '\0')
		digits++;
	len = strlen(digits);
	if (len > width)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "B'");
	for (int i = len; i < width; i++)
		appendStringInfoChar(&buf, '0');
	appendStringInfoString(&buf, digits);
	appendStringInfoChar(&buf, '\'');
	return buf.data;
}

/* The label of mt matching s (case-insensitively), or NULL. */
static const char *
find_label(const ChameleonMySQLType *mt, const char *s, int len)
{
	ListCell   *lc;

	foreach(lc, mt->labels)
	{
		const char *label = lfirst(lc);

		if ((int) strlen(label) == len && pg_strncasecmp(label, s, len) == 0)
			return label;
	}
	return NULL;
}

/* ARRAY['a', 'b']::text[] of the members, in definition order. */
static char *
set_literal_from_mask(const ChameleonMySQLType *mt, uint64 mask)
{
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	if (mask == 0)
		return pstrdup("'{}'::text[]");
	if (list_length(mt->labels) < 64 && (mask >> list_length(mt->labels)) != 0)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "ARRAY[");
	foreach(lc, mt->labels)
	{
		if (mask & ((uint64) 1 << foreach_current_index(lc)))
			appendStringInfo(&buf, "%s%s", n++ ? ", " : "", quote_literal_cstr(lfirst(lc)));
	}
	appendStringInfoString(&buf, "]::text[]");
	return buf.data;
}

/* A set default: 'a,b' (members by name) or a number (bit mask). */
static char *
set_literal(const DdlValue *v, const ChameleonMySQLType *mt)
{
	uint64		mask = 0;

	if (mt == NULL || mt->labels == NIL)
		return NULL;
	if (v->kind == DV_STRING)
	{
		const char *s = v->bytes.data;
		int			len = v->bytes.len;
		int			start = 0;

		if ((int) strlen(s) != len)
			return NULL;
		for (int i = 0; len > 0 && i <= len; i++)
		{
			if (i == len || s[i] == ',')
			{
				const char *label = find_label(mt, s + start, i - start);
				int			idx = 0;
				ListCell   *lc;

				if (label == NULL)
					return NULL;
				foreach(lc, mt->labels)
				{
					if (lfirst(lc) == label)
						idx = foreach_current_index(lc);
				}
				if (idx < 64)
					mask |= (uint64) 1 << idx;
				start = i + 1;
			}
		}
		return set_literal_from_mask(mt, mask);
	}
	if (value_as_uint64(v, &mask))
		return set_literal_from_mask(mt, mask);
	return NULL;
}

/*
 * A zero date: "0000-00-00", "2020-00-01", "0000-00-00 00:00:00",
 * 00000000, 0 ...: the month or day is 0.  These become NULL.  (Year 0
 * with a month and a day is 1 BC: date_literal.)
 */
static bool
is_zero_date(const char *s)
{
	int			groups[3] = {-1, -1, -1};
	int			ngroups = 0;
	int			ndigits = 0;
	bool		all_digits = true;

	for (const char *c = s; *c; c++)
	{
		if (is_digit(*c))
			ndigits++;
		else if (*c != ' ')
			all_digits = false;
	}
	if (ndigits == 0)
		return false;
	if (all_digits)
	{
		const char *d = s;
		int			v[3] = {0, 0, 0};

		while (*d == ' ')
			d++;
		if (ndigits < 8)
			return strspn(d, "0") == strlen(d);
		for (int i = 0; i < 8; i++)
			v[i < 4 ? 0 : (i < 6 ? 1 : 2)] = v[i < 4 ? 0 : (i < 6 ? 1 : 2)] * 10 + (d[i] - '0');
		return v[1] == 0 || v[2] == 0;
	}
	for (const char *c = s; *c && ngroups < 3;)
	{
		if (is_digit(*c))
		{
			int			v = 0;

			for (; is_digit(*c); c++)
				v = Min(v * 10 + (*c - '0'), 100000);
			groups[ngroups++] = v;
		}
		else
			c++;
	}
	return ngroups == 3 && (groups[1] == 0 || groups[2] == 0);
}

/* A date or datetime literal; MySQL's year 0 is PostgreSQL's 1 BC. */
static char *
date_literal(const DdlBytes *b)
{
	if (b->len >= 10 && strncmp(b->data, "0000-", 5) == 0 && (int) strlen(b->data) == b->len)
		return quote_literal_cstr(psprintf("0001%s BC", b->data + 4));
	return text_literal(b);
}

/* Leading decimal digits of *p as an int (at most 9 digits), advancing *p; -1: none. */
static int
take_digits(const char **p)
{
	int			n = 0;
	int			count = 0;

	while (isdigit((unsigned char) **p) && count < 9)
	{
		n = n * 10 + (**p - '0');
		(*p)++;
		count++;
	}
	return count ? n : -1;
}

/*
 * A MySQL TIME value written as a string or number, as MySQL reads it, into
 * an interval literal 'H:MM:SS[.f]'; NULL when MySQL would not take it.
 * Accepted: [-][D ]HH:MM[:SS][.f], [-]HHMMSS[.f] (also MMSS, SS), and a
 * datetime ('2020-01-01 10:00:00', '0000-00-00 01:00:00.000': its time).
 */
static char *
time_literal(const char *text)
{
	const char *p = text;
	bool		neg = false;
	int			days = -1;		/* -1: no day part */
	int			h,
				m = 0,
				sec = 0;
	const char *frac = p;
	int			frac_len = 0;

	while (*p == ' ')
		p++;
	if (*p == '-')
		neg = true, p++;
	/* a date part: Y-M-D then the time */
	if (strspn(p, "0123456789") >= 1 && p[strspn(p, "0123456789")] == '-')
	{
		p = strchr(p, ' ');
		if (p == NULL)
			return quote_literal_cstr("00:00:00");
		while (*p == ' ')
			p++;
	}
	else if (strchr(p, ' ') != NULL)
	{
		days = take_digits(&p);
		if (days < 0 || days > 34 || *p != ' ')
			return NULL;
		while (*p == ' ')
			p++;
	}
	if (strchr(p, ':') != NULL)
	{
		h = take_digits(&p);
		if (h < 0 || *p++ != ':' || (m = take_digits(&p)) < 0)
			return NULL;
		if (*p == ':' && (p++, (sec = take_digits(&p)) < 0))
			return NULL;
	}
	else if (days >= 0)
	{
		/* 'D HH' */
		if ((h = take_digits(&p)) < 0)
			return NULL;
	}
	else
	{
		/* HHMMSS, MMSS or SS */
		int			n = take_digits(&p);

		if (n < 0)
			return NULL;
		h = n / 10000;
		m = n / 100 % 100;
		sec = n % 100;
	}
	if (*p == '.')
	{
		frac = p;
		frac_len = 1 + (int) strspn(p + 1, "0123456789");
		p += frac_len;
	}
	while (*p == ' ')
		p++;
	h += Max(days, 0) * 24;
	if (*p != '\0' || m > 59 || sec > 59 || h > 838)
		return NULL;
	return quote_literal_cstr(psprintf("%s%d:%02d:%02d%.*s", neg ? "-" : "", h, m, sec,
									   frac_len, frac));
}

/* A literal default for a column of kind pt->kind. */
static char *
literal_for_kind(const DdlValue *v, const ChameleonMySQLType *mt, const ChameleonPgType *pt)
{
	DdlBytes	b;

	switch (pt->kind)
	{
		case CHAMELEON_KIND_INT:
		case CHAMELEON_KIND_UINT:
		case CHAMELEON_KIND_DECIMAL:
		case CHAMELEON_KIND_FLOAT:
		case CHAMELEON_KIND_DOUBLE:
		case CHAMELEON_KIND_YEAR:
			return value_as_number(v);
		case CHAMELEON_KIND_BOOL:
			{
				char	   *num = value_as_number(v);

				if (num == NULL)
					return NULL;
				return pstrdup(strtod(num, NULL) != 0 ? "true" : "false");
			}
		case CHAMELEON_KIND_BIT:
			return bit_literal(v, Max(mt ? mt->length : 1, 1));
		case CHAMELEON_KIND_DATE:
		case CHAMELEON_KIND_DATETIME:
		case CHAMELEON_KIND_TIMESTAMP:
			if (!value_as_bytes(v, &b) || is_zero_date(b.data))
				return NULL;
			return date_literal(&b);
		case CHAMELEON_KIND_TIME:
			if (!value_as_bytes(v, &b) || (int) strlen(b.data) != b.len)
				return NULL;
			return time_literal(b.data);
		case CHAMELEON_KIND_BINARY:
			if (v->kind == DV_STRING || v->kind == DV_HEX || v->kind == DV_NUMBER ||
				v->kind == DV_BIT || v->kind == DV_BOOL)
			{
				if (!value_as_bytes(v, &b))
					return NULL;
				return bytea_literal(&b, is_binary_n(mt) ? mt->length : 0);
			}
			return NULL;
		case CHAMELEON_KIND_SET:
			return set_literal(v, mt);
		case CHAMELEON_KIND_ENUM:
			if (!value_as_bytes(v, &b))
				return NULL;
			{
				const char *label = mt ? find_label(mt, b.data, b.len) : NULL;

				return label ? quote_literal_cstr(label) : text_literal(&b);
			}
		case CHAMELEON_KIND_TEXT:
		case CHAMELEON_KIND_JSON:
		case CHAMELEON_KIND_UUID:
		case CHAMELEON_KIND_INET:
			return value_as_bytes(v, &b) ? text_literal(&b) : NULL;
		case CHAMELEON_KIND_GEOMETRY:
		case CHAMELEON_KIND_POSTGIS:
			return NULL;
	}
	return NULL;
}

/* A literal default when the column type is not known. */
static char *
literal_untyped(const DdlValue *v)
{
	switch (v->kind)
	{
		case DV_NUMBER:
			return pstrdup(v->text);
		case DV_BOOL:
			return pstrdup(v->boolean ? "1" : "0");
		case DV_STRING:
			return text_literal(&v->bytes);
		default:
			return NULL;			/* hex and bit depend on the type */
	}
}

static char *
fsp_suffix(int fsp)
{
	return fsp >= 0 ? psprintf("(%d)", fsp) : "";
}

/* A time function or known call default. */
static char *
function_default(const DdlValue *v, const ChameleonPgType *pt)
{
	ChameleonValueKind kind = pt ? pt->kind : CHAMELEON_KIND_TIMESTAMP;

	switch (v->kind)
	{
		case DV_NOW:
			if (kind == CHAMELEON_KIND_TIMESTAMP)
				return psprintf("CURRENT_TIMESTAMP%s", fsp_suffix(v->fsp));
			if (kind == CHAMELEON_KIND_DATETIME)
				return psprintf("LOCALTIMESTAMP%s", fsp_suffix(v->fsp));
			if (kind == CHAMELEON_KIND_DATE)
				return pstrdup("CURRENT_DATE");
			return NULL;
		case DV_CURDATE:
			if (kind == CHAMELEON_KIND_DATE || kind == CHAMELEON_KIND_DATETIME ||
				kind == CHAMELEON_KIND_TIMESTAMP)
				return pstrdup("CURRENT_DATE");
			return NULL;
		case DV_CURTIME:
			if (pt != NULL && kind == CHAMELEON_KIND_TIME)
				return psprintf("CAST(LOCALTIME%s AS interval)", fsp_suffix(v->fsp));
			return NULL;
		case DV_UUID:
			if (pt != NULL && kind == CHAMELEON_KIND_UUID)
				return pstrdup("gen_random_uuid()");
			if (pt != NULL && kind == CHAMELEON_KIND_TEXT)
				return pstrdup("CAST(gen_random_uuid() AS text)");
			return NULL;
		case DV_RANDOM:
			if (pt != NULL && (kind == CHAMELEON_KIND_DOUBLE || kind == CHAMELEON_KIND_FLOAT ||
							   kind == CHAMELEON_KIND_DECIMAL))
				return pstrdup("random()");
			return NULL;
		default:
			return NULL;
	}
}

/* How a value reads in a note. */
static char *
value_for_note(const DdlValue *v)
{
	switch (v->kind)
	{
		case DV_EXPR:
			return psprintf("(%s)", chameleon_ddl_shorten(v->text, MAX_NOTE_BYTES));
		case DV_NUMBER:
		case DV_BIT:
			return pstrdup(v->text);
		case DV_STRING:
			if ((int) strlen(v->bytes.data) == v->bytes.len &&
				pg_verifymbstr(v->bytes.data, v->bytes.len, true))
				return quote_literal_cstr(chameleon_ddl_shorten(v->bytes.data, MAX_NOTE_BYTES));
			return pstrdup("a string with a NUL or invalid character");
		case DV_HEX:
			return pstrdup("a hexadecimal literal");
		case DV_NOW:
			return pstrdup("CURRENT_TIMESTAMP");
		case DV_CURDATE:
			return pstrdup("CURRENT_DATE");
		case DV_CURTIME:
			return pstrdup("CURRENT_TIME");
		case DV_UUID:
			return pstrdup("UUID()");
		case DV_RANDOM:
			return pstrdup("RAND()");
		default:
			return pstrdup("the value");
	}
}

char *
chameleon_ddl_default_sql(const DdlValue *v, const ChameleonMySQLType *mt, const ChameleonPgType *pt,
				const char *column, List **notes)
{
	char	   *sql;

	if (v == NULL || v->kind == DV_NULL)
		return NULL;
	if (v->kind == DV_EXPR)
	{
		chameleon_ddl_note(notes, "DEFAULT %s of column \"%s\" is not translated: the column has no default",
				 value_for_note(v), column);
		return NULL;
	}
	if (v->kind >= DV_NOW)
		sql = function_default(v, pt);
	else if (pt != NULL)
		sql = literal_for_kind(v, mt, pt);
	else
		sql = literal_untyped(v);
	if (sql != NULL)
		return sql;
	if (pt != NULL && (pt->kind == CHAMELEON_KIND_DATE || pt->kind == CHAMELEON_KIND_DATETIME ||
					   pt->kind == CHAMELEON_KIND_TIMESTAMP) && v->kind < DV_NOW)
		chameleon_ddl_note(notes, "DEFAULT %s of column \"%s\" is a zero date, which becomes NULL: the column has no default",
				 value_for_note(v), column);
	else
		chameleon_ddl_note(notes, "DEFAULT %s of column \"%s\" does not fit its PostgreSQL type%s: the column has no default",
				 value_for_note(v), column, pt ? psprintf(" %s", pt->pg_type) : " (unknown)");
	return NULL;
}

char *
chameleon_ddl_implicit_default_sql(const ChameleonMySQLType *mt, const ChameleonPgType *pt)
{
	DdlBytes	empty = {"", 0};

	switch (pt->kind)
	{
		case CHAMELEON_KIND_INT:
		case CHAMELEON_KIND_UINT:
		case CHAMELEON_KIND_DECIMAL:
		case CHAMELEON_KIND_FLOAT:
		case CHAMELEON_KIND_DOUBLE:
		case CHAMELEON_KIND_YEAR:
			return pstrdup("0");
		case CHAMELEON_KIND_BOOL:
			return pstrdup("false");
		case CHAMELEON_KIND_BIT:
			{
				DdlValue	zero = {DV_BIT};

				zero.text = "0";
				return bit_literal(&zero, Max(mt->length, 1));
			}
		case CHAMELEON_KIND_TEXT:
			return pstrdup("''");
		case CHAMELEON_KIND_ENUM:
			return mt->labels ? quote_literal_cstr(linitial(mt->labels)) : pstrdup("''");
		case CHAMELEON_KIND_SET:
			return pstrdup("'{}'::text[]");
		case CHAMELEON_KIND_BINARY:
			return bytea_literal(&empty, is_binary_n(mt) ? mt->length : 0);
		case CHAMELEON_KIND_JSON:
			return pstrdup("'null'");
		case CHAMELEON_KIND_TIME:
			return pstrdup("'00:00:00'");
		case CHAMELEON_KIND_UUID:
			return pstrdup("'00000000-0000-0000-0000-000000000000'");
		case CHAMELEON_KIND_INET:
			return pstrdup(strcmp(mt->base, "inet6") == 0 ? "'::'" : "'0.0.0.0'");
		case CHAMELEON_KIND_DATE:
		case CHAMELEON_KIND_DATETIME:
		case CHAMELEON_KIND_TIMESTAMP:
		case CHAMELEON_KIND_GEOMETRY:
		case CHAMELEON_KIND_POSTGIS:
			return NULL;
	}
	return NULL;
}

static bool
is_text_kind(ChameleonValueKind k)
{
	return k == CHAMELEON_KIND_TEXT || k == CHAMELEON_KIND_ENUM || k == CHAMELEON_KIND_JSON;
}

static bool
is_integer_kind(ChameleonValueKind k)
{
	return k == CHAMELEON_KIND_INT || k == CHAMELEON_KIND_UINT || k == CHAMELEON_KIND_YEAR;
}

static bool
is_number_kind(ChameleonValueKind k)
{
	return is_integer_kind(k) || k == CHAMELEON_KIND_DECIMAL || k == CHAMELEON_KIND_FLOAT ||
		k == CHAMELEON_KIND_DOUBLE;
}

static bool
is_date_kind(ChameleonValueKind k)
{
	return k == CHAMELEON_KIND_DATE || k == CHAMELEON_KIND_DATETIME ||
		k == CHAMELEON_KIND_TIMESTAMP;
}

/* ARRAY['a', 'b']::text[] of enum/set labels. */
static char *
labels_array(List *labels)
{
	StringInfoData s;
	ListCell   *lc;

	initStringInfo(&s);
	appendStringInfoString(&s, "ARRAY[");
	foreach(lc, labels)
		appendStringInfo(&s, "%s%s", foreach_current_index(lc) ? ", " : "",
						 quote_literal_cstr(lfirst(lc)));
	appendStringInfoString(&s, "]::text[]");
	return s.data;
}

/* An enum's number: its label's position, 0 for the empty error value. */
static char *
enum_as_number(const char *qcol, List *labels)
{
	return psprintf("CASE WHEN %s IS NULL THEN NULL ELSE coalesce(array_position(%s, %s::text), 0) END",
					qcol, labels_array(labels), qcol);
}

/* Number n as an enum: the n-th label ('' for 0, as MySQL stores it). */
static char *
number_as_enum(const char *qcol, List *labels)
{
	return psprintf("CASE WHEN %s = 0 THEN '' ELSE (%s)[%s::integer] END",
					qcol, labels_array(labels), qcol);
}

/* A set's number: the bits of its labels (label i is bit i - 1). */
static char *
set_as_number(const char *qcol, List *labels)
{
	StringInfoData s;
	ListCell   *lc;

	initStringInfo(&s);
	appendStringInfo(&s, "CASE WHEN %s IS NULL THEN NULL ELSE 0::numeric", qcol);
	foreach(lc, labels)
		appendStringInfo(&s, " + CASE WHEN %s = ANY(%s) THEN %s ELSE 0 END",
						 quote_literal_cstr(lfirst(lc)), qcol,
						 psprintf(UINT64_FORMAT, (uint64) 1 << foreach_current_index(lc)));
	appendStringInfoString(&s, " END");
	return s.data;
}

/* Number n as a set: the labels of its bits. */
static char *
number_as_set(const char *qcol, List *labels)
{
	StringInfoData s;
	ListCell   *lc;

	initStringInfo(&s);
	appendStringInfoString(&s, "array_remove(ARRAY[");
	foreach(lc, labels)
		appendStringInfo(&s, "%sCASE WHEN (%s::numeric::bigint >> %d) & 1 = 1 THEN %s END",
						 foreach_current_index(lc) ? ", " : "", qcol,
						 foreach_current_index(lc), quote_literal_cstr(lfirst(lc)));
	appendStringInfoString(&s, "]::text[], NULL)");
	return s.data;
}

/* A bit column's value as a bigint (MySQL reads BIT as an unsigned number). */
static char *
bit_as_bigint(const char *qcol)
{
	return psprintf("lpad(%s::text, 64, '0')::bit(64)::bigint", qcol);
}

/* A bigint expression as the low n bits, as MySQL stores a number in BIT(n). */
static char *
bigint_as_bit(const char *expr, const ChameleonPgType *new_pt)
{
	int			n = 64;

	if (sscanf(new_pt->pg_type, "bit varying(%d)", &n) != 1 || n < 1 || n > 64)
		n = 64;
	return psprintf("substring((%s)::bit(64) from %d)::%s", expr, 65 - n, new_pt->pg_type);
}

/* A text as a date: MySQL's zero and partial zero dates become NULL. */
static char *
text_as_date(const char *qcol, const ChameleonPgType *new_pt)
{
	return psprintf("CASE WHEN %s::text ~ '^\\s*([0-9]+-0+-|[0-9]+-[0-9]+-0+([^0-9]|$)|0+-)' THEN NULL ELSE %s::text::%s END",
					qcol, qcol, new_pt->pg_type);
}

/* A number as a YEAR: two-digit years are 2000-2069 and 1970-1999. */
static char *
number_as_year(const char *qcol, const ChameleonPgType *new_pt)
{
	return psprintf("(CASE WHEN %s >= 1 AND %s < 70 THEN %s + 2000 WHEN %s >= 70 AND %s < 100 THEN %s + 1900 ELSE %s END)::%s",
					qcol, qcol, qcol, qcol, qcol, qcol, qcol, new_pt->pg_type);
}

/* A datetime/timestamp as MySQL writes it ('YYYY-MM-DD HH:MM:SS[.f]'), timestamps in UTC. */
static char *
datetime_as_text(const char *qcol, ChameleonValueKind from, int fsp)
{
	const char *value = from == CHAMELEON_KIND_TIMESTAMP ?
		psprintf("(%s AT TIME ZONE 'UTC')", qcol) : qcol;

	if (from == CHAMELEON_KIND_DATE)
		return psprintf("to_char(%s, 'YYYY-MM-DD')", qcol);
	if (fsp > 0)
		return psprintf("to_char(%s, 'YYYY-MM-DD HH24:MI:SS.FF%d')", value, fsp);
	return psprintf("to_char(%s, 'YYYY-MM-DD HH24:MI:SS')", value);
}

/* A date/datetime/timestamp as MySQL's number: YYYYMMDD[HHMMSS]. */
static char *
datetime_as_number(const char *qcol, ChameleonValueKind from)
{
	const char *value = from == CHAMELEON_KIND_TIMESTAMP ?
		psprintf("(%s AT TIME ZONE 'UTC')", qcol) : qcol;

	return psprintf("to_char(%s, '%s')::numeric", value,
					from == CHAMELEON_KIND_DATE ? "YYYYMMDD" : "YYYYMMDDHH24MISS");
}

/* A TIME (an interval) as MySQL's number: [-]HHMMSS. */
static char *
time_as_number(const char *qcol)
{
	const char *e = psprintf("extract(epoch FROM %s)", qcol);

	return psprintf("(trunc(%s / 3600) * 10000 + trunc(mod(%s, 3600) / 60) * 100 + mod(%s, 60))",
					e, e, e);
}

/* MySQL's number [-]HHMMSS as a TIME (an interval). */
static char *
number_as_time(const char *qcol)
{
	const char *n = psprintf("(%s)::numeric", qcol);

	return psprintf("make_interval(hours => trunc(%s / 10000)::integer, "
					"mins => trunc(mod(%s, 10000) / 100)::integer, secs => mod(%s, 100)::float8)",
					n, n, n);
}

/* MySQL's number YYYYMMDD as a date. */
static char *
number_as_date(const char *qcol, const ChameleonPgType *new_pt)
{
	return psprintf("CASE WHEN %s = 0 THEN NULL ELSE to_date(lpad((%s)::bigint::text, 8, '0'), 'YYYYMMDD') END::%s",
					qcol, qcol, new_pt->pg_type);
}

/*
 * The USING expression of ALTER COLUMN TYPE for a MODIFY/CHANGE from old_pt
 * to new_pt (old_pt NULL: the old type is not known): MySQL's value for
 * every pair MySQL converts between.
 */
char *
chameleon_ddl_using_sql(const char *qcol,
						const ChameleonMySQLType *old_mt, const ChameleonPgType *old_pt,
						const ChameleonMySQLType *new_mt, const ChameleonPgType *new_pt)
{
	ChameleonValueKind to = new_pt->kind;
	ChameleonValueKind from;

	if (old_pt == NULL)
		return psprintf("%s::%s", qcol, new_pt->pg_type);
	from = old_pt->kind;
	/* MySQL reads an ENUM as its label's number and a SET as its bit mask */
	if (from == CHAMELEON_KIND_ENUM && is_number_kind(to) && old_mt != NULL)
		return psprintf("(%s)::%s", enum_as_number(qcol, old_mt->labels), new_pt->pg_type);
	if (to == CHAMELEON_KIND_ENUM && is_number_kind(from) && new_mt != NULL)
		return number_as_enum(qcol, new_mt->labels);
	if (from == CHAMELEON_KIND_SET && is_number_kind(to) && old_mt != NULL)
		return psprintf("(%s)::%s", set_as_number(qcol, old_mt->labels), new_pt->pg_type);
	if (to == CHAMELEON_KIND_SET && is_number_kind(from) && new_mt != NULL)
		return number_as_set(qcol, new_mt->labels);
	/* dates and times as text and numbers, as MySQL writes them */
	if (is_date_kind(from) && is_text_kind(to))
		return psprintf("%s::%s", datetime_as_text(qcol, from, old_mt ? old_mt->fsp : 0),
						new_pt->pg_type);
	if (is_date_kind(from) && is_number_kind(to))
		return psprintf("%s::%s", datetime_as_number(qcol, from), new_pt->pg_type);
	if (from == CHAMELEON_KIND_TIME && is_number_kind(to))
		return psprintf("%s::%s", time_as_number(qcol), new_pt->pg_type);
	if (to == CHAMELEON_KIND_TIME && is_number_kind(from))
		return number_as_time(qcol);
	if (to == CHAMELEON_KIND_DATE && is_integer_kind(from))
		return number_as_date(qcol, new_pt);
	if (to == CHAMELEON_KIND_SET && is_text_kind(from))
		return psprintf("CASE WHEN %s = '' THEN '{}'::text[] ELSE string_to_array(%s::text, ',') END",
						qcol, qcol);
	if (from == CHAMELEON_KIND_SET && is_text_kind(to))
		return psprintf("array_to_string(%s, ',')::%s", qcol, new_pt->pg_type);
	if (to == CHAMELEON_KIND_BINARY && is_text_kind(from))
		return psprintf("convert_to(%s::text, 'UTF8')", qcol);
	if (from == CHAMELEON_KIND_BINARY && is_text_kind(to))
		return psprintf("convert_from(%s, 'UTF8')::%s", qcol, new_pt->pg_type);
	if (to == CHAMELEON_KIND_BOOL && is_integer_kind(from))
		return psprintf("%s <> 0", qcol);
	if (from == CHAMELEON_KIND_BOOL && !is_text_kind(to))
		return psprintf("%s::integer::%s", qcol, new_pt->pg_type);
	if (from == CHAMELEON_KIND_BIT && to == CHAMELEON_KIND_BIT)
		return bigint_as_bit(bit_as_bigint(qcol), new_pt);
	if (from == CHAMELEON_KIND_BIT && is_number_kind(to))
		return psprintf("(%s)::%s", bit_as_bigint(qcol), new_pt->pg_type);
	/*
	 * Numbers into integers round as MySQL does: decimal half away from
	 * zero (numeric's cast), float and double half to even (rint, float8's)
	 */
	if (to == CHAMELEON_KIND_BIT && is_number_kind(from))
		return bigint_as_bit(psprintf("%s::bigint", qcol), new_pt);
	if (to == CHAMELEON_KIND_YEAR && is_number_kind(from))
		return number_as_year(qcol, new_pt);
	if (is_integer_kind(to) && is_text_kind(from))
		return psprintf("round(%s::text::numeric)::%s", qcol, new_pt->pg_type);
	if (is_date_kind(to) && is_text_kind(from))
		return text_as_date(qcol, new_pt);
	return psprintf("%s::%s", qcol, new_pt->pg_type);
}
