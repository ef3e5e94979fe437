/*
 * copy_values.c -- MySQL text-protocol values to canonical PostgreSQL text.
 *
 * Owns the per-value conversions of the initial copy: what MySQL sends for
 * a column (through the SELECT list of chameleon_select_expr()) becomes the
 * canonical PostgreSQL input text listed in typemap.h, so that a copied row
 * and a row decoded from the binlog are the same.  Also owns the escaping of
 * those texts for COPY's text and CSV formats.
 *
 * What MySQL sends, and what we make of it:
 *   integers, decimals  digits as is (zerofill padding stripped)
 *   float               CAST(col AS DOUBLE): the exact value of the float
 *                       (the plain text protocol rounds FLOAT to 6 digits),
 *                       rewritten as the shortest text that round-trips
 *   double              rewritten as the shortest round-trip text
 *   bit(n)              the raw big-endian bytes -> n '0'/'1' characters
 *   dates               zero month or day -> NULL; year 0 -> year 1 BC (the
 *                       same day); TIMESTAMP gets "+00" (the session runs
 *                       with time_zone '+00:00')
 *   strings             UTF-8 (the session runs SET NAMES utf8mb4), checked
 *   binary              raw bytes -> \x hex
 *   geometry            MySQL's SRID + WKB -> EWKB: \x hex (bytea), hex (PostGIS)
 *   set                 'a,b' -> {a,b} array literal
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "utils/ascii.h"
#include "utils/memutils.h"

#include "copy_values.h"
#include "geometry.h"

static const char hexdigits[] = "0123456789abcdef";

void
chameleon_value_conv_init(ChameleonValueConv *conv, const ChameleonMySQLType *mt,
						  const ChameleonPgType *pt, bool zero_dates_to_null)
{
	memset(conv, 0, sizeof(*conv));
	conv->kind = pt->kind;
	conv->bits = (pt->kind == CHAMELEON_KIND_BIT) ? Max(mt->length, 1) : 0;
	conv->zerofill = mt->zerofill;
	conv->zero_dates_to_null = zero_dates_to_null;
}

/* A character type (text charset) copied as bytea through hexify. */
static bool
is_hexified_text(const ChameleonValueConv *conv, const ChameleonMySQLType *mt)
{
	return conv->kind == CHAMELEON_KIND_BINARY && mt->charset != NULL &&
		strcmp(mt->charset, "binary") != 0;
}

char *
chameleon_select_expr(const ChameleonValueConv *conv, const ChameleonMySQLType *mt,
					  const char *quoted_column)
{
	if (conv->kind == CHAMELEON_KIND_FLOAT)
		return psprintf("CAST(%s AS DOUBLE)", quoted_column);
	if (is_hexified_text(conv, mt))
		return psprintf("CAST(%s AS BINARY)", quoted_column);
	return pstrdup(quoted_column);
}

const char *
chameleon_conv_status_message(ChameleonConvStatus status)
{
	switch (status)
	{
		case CHAMELEON_CONV_OK:
		case CHAMELEON_CONV_NULL:
			return "no error";
		case CHAMELEON_CONV_ZERO_DATE:
			return "zero dates are not valid in PostgreSQL and zero_dates_to_null is off";
		case CHAMELEON_CONV_BAD_TEXT:
			return "the value is not valid UTF-8 or contains a NUL byte";
		case CHAMELEON_CONV_BAD_VALUE:
			return "the value does not have the expected form";
	}
	return "unknown";
}

/* ---------- checks ---------- */

/* Valid UTF-8 without NUL bytes (PostgreSQL text cannot hold NUL). */
static bool
is_valid_text(const char *s, size_t len)
{
	size_t		whole = len & ~(size_t) 7;
	size_t		i;

	/* fast path: plain ASCII, 8 bytes at a time */
	if (whole > 0 && whole <= PG_INT32_MAX &&
		!is_valid_ascii((const unsigned char *) s, (int) whole))
		return pg_verify_mbstr(PG_UTF8, s, (int) len, true);
	for (i = (whole <= PG_INT32_MAX ? whole : 0); i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == 0 || c >= 0x80)
			return pg_verify_mbstr(PG_UTF8, s, (int) len, true);
	}
	return true;
}

/* YYYY-MM-DD... with a zero month or day (zero dates and partial zero dates). */
static bool
is_zero_date(const char *s, size_t len)
{
	if (len < 10)
		return false;
	return (s[5] == '0' && s[6] == '0') || (s[8] == '0' && s[9] == '0');
}

/* ---------- numbers ---------- */

/* Strip the leading zeros of a zerofill integer or decimal, keep one digit. */
static void
strip_zerofill(const char **s, size_t *len)
{
	while (*len > 1 && (*s)[0] == '0' && (*s)[1] != '.')
	{
		(*s)++;
		(*len)--;
	}
}

static bool
parse_double(const char *in, size_t len, double *result)
{
	char		buf[64];
	char	   *end;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, in, len);
	buf[len] = '\0';
	errno = 0;
	*result = strtod(buf, &end);
	return *end == '\0' && !(errno == ERANGE && isinf(*result));
}

static ChameleonConvStatus
convert_float(const ChameleonValueConv *conv, const char *in, size_t len,
			  StringInfo scratch)
{
	double		d;

	if (!parse_double(in, len, &d))
		return CHAMELEON_CONV_BAD_VALUE;
	enlargeStringInfo(scratch, DOUBLE_SHORTEST_DECIMAL_LEN);
	if (conv->kind == CHAMELEON_KIND_FLOAT)
		scratch->len = float_to_shortest_decimal_buf((float) d, scratch->data);
	else
		scratch->len = double_to_shortest_decimal_buf(d, scratch->data);
	return CHAMELEON_CONV_OK;
}

/* BIT(n): MySQL sends ceil(n/8) big-endian bytes; write n bits, MSB first. */
static ChameleonConvStatus
convert_bit(const ChameleonValueConv *conv, const char *in, size_t len,
			StringInfo scratch)
{
	enlargeStringInfo(scratch, conv->bits + 1);
	for (int k = conv->bits - 1; k >= 0; k--)
	{
		size_t		byte = (size_t) k / 8;
		int			bit = 0;

		if (byte < len)
			bit = ((unsigned char) in[len - 1 - byte] >> (k % 8)) & 1;
		scratch->data[scratch->len++] = bit ? '1' : '0';
	}
	scratch->data[scratch->len] = '\0';
	return CHAMELEON_CONV_OK;
}

static ChameleonConvStatus
convert_year(const char *in, size_t len, StringInfo scratch)
{
	int			year = 0;

	if (len == 0 || len > 4)
		return CHAMELEON_CONV_BAD_VALUE;
	for (size_t i = 0; i < len; i++)
	{
		if (in[i] < '0' || in[i] > '9')
			return CHAMELEON_CONV_BAD_VALUE;
		year = year * 10 + (in[i] - '0');
	}
	appendStringInfo(scratch, "%d", year);
	return CHAMELEON_CONV_OK;
}

/* ---------- bytes ---------- */

static void
append_hex(StringInfo buf, const unsigned char *in, size_t len)
{
	char	   *p;

	enlargeStringInfo(buf, (int) (len * 2));
	p = buf->data + buf->len;
	for (size_t i = 0; i < len; i++)
	{
		*p++ = hexdigits[in[i] >> 4];
		*p++ = hexdigits[in[i] & 0x0f];
	}
	buf->len += (int) (len * 2);
	buf->data[buf->len] = '\0';
}

static ChameleonConvStatus
convert_binary(const char *in, size_t len, StringInfo scratch)
{
	if (len > (MaxAllocSize - 8) / 2)
		return CHAMELEON_CONV_BAD_VALUE;
	appendStringInfoString(scratch, "\\x");
	append_hex(scratch, (const unsigned char *) in, len);
	return CHAMELEON_CONV_OK;
}

/* A spatial value: EWKB as hex text, for PostGIS geometry or for bytea. */
static ChameleonConvStatus
convert_geometry(const char *in, size_t len, bool postgis, StringInfo scratch)
{
	char	   *text;

	if (len > (MaxAllocSize - 8) / 2)
		return CHAMELEON_CONV_BAD_VALUE;
	text = chameleon_geometry_text((const uint8 *) in, len, postgis);
	if (text == NULL)
		return CHAMELEON_CONV_BAD_VALUE;
	appendStringInfoString(scratch, text);
	pfree(text);
	return CHAMELEON_CONV_OK;
}

/* ---------- sets ---------- */

/* Does an array element need double quotes (as array_out decides)? */
static bool
element_needs_quotes(const char *s, size_t len)
{
	if (len == 0 || (len == 4 && pg_strncasecmp(s, "NULL", 4) == 0))
		return true;
	for (size_t i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == '"' || c == '\\' || c == '{' || c == '}' || c == ',' ||
			c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
			c == '\f')
			return true;
	}
	return false;
}

static void
append_element(StringInfo buf, const char *s, size_t len)
{
	if (!element_needs_quotes(s, len))
	{
		appendBinaryStringInfo(buf, s, (int) len);
		return;
	}
	appendStringInfoChar(buf, '"');
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '"' || s[i] == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, s[i]);
	}
	appendStringInfoChar(buf, '"');
}

/* 'a,b' -> {a,b}; set members cannot contain commas. */
static ChameleonConvStatus
convert_set(const char *in, size_t len, StringInfo scratch)
{
	size_t		start = 0;

	if (!is_valid_text(in, len))
		return CHAMELEON_CONV_BAD_TEXT;
	appendStringInfoChar(scratch, '{');
	if (len > 0)
	{
		for (size_t i = 0; i <= len; i++)
		{
			if (i < len && in[i] != ',')
				continue;
			if (start > 0)
				appendStringInfoChar(scratch, ',');
			append_element(scratch, in + start, i - start);
			start = i + 1;
		}
	}
	appendStringInfoChar(scratch, '}');
	return CHAMELEON_CONV_OK;
}

/* ---------- dispatch ---------- */

static ChameleonConvStatus
convert_date(const ChameleonValueConv *conv, const char *in, size_t len,
			 StringInfo scratch, bool *passthrough)
{
	bool		year_zero = len >= 10 && strncmp(in, "0000-", 5) == 0;

	if (is_zero_date(in, len))
		return conv->zero_dates_to_null ? CHAMELEON_CONV_NULL : CHAMELEON_CONV_ZERO_DATE;
	if (conv->kind != CHAMELEON_KIND_TIMESTAMP && !year_zero)
	{
		*passthrough = true;
		return CHAMELEON_CONV_OK;
	}
	/* MySQL's year 0 is PostgreSQL's 1 BC (one proleptic Gregorian calendar) */
	if (year_zero)
	{
		appendStringInfoString(scratch, "0001");
		appendBinaryStringInfo(scratch, in + 4, (int) len - 4);
	}
	else
		appendBinaryStringInfo(scratch, in, (int) len);
	if (conv->kind == CHAMELEON_KIND_TIMESTAMP)
		appendStringInfoString(scratch, "+00");
	if (year_zero)
		appendStringInfoString(scratch, " BC");
	return CHAMELEON_CONV_OK;
}

ChameleonConvStatus
chameleon_convert_value(const ChameleonValueConv *conv, const char *in, size_t len,
						StringInfo scratch, const char **out, size_t *outlen)
{
	ChameleonConvStatus status = CHAMELEON_CONV_OK;
	bool		passthrough = false;

	resetStringInfo(scratch);
	switch (conv->kind)
	{
		case CHAMELEON_KIND_INT:
		case CHAMELEON_KIND_UINT:
		case CHAMELEON_KIND_DECIMAL:
			if (conv->zerofill)
				strip_zerofill(&in, &len);
			passthrough = true;
			break;
		case CHAMELEON_KIND_BOOL:
			appendStringInfoChar(scratch, (len == 1 && in[0] == '0') ? 'f' : 't');
			break;
		case CHAMELEON_KIND_FLOAT:
		case CHAMELEON_KIND_DOUBLE:
			status = convert_float(conv, in, len, scratch);
			break;
		case CHAMELEON_KIND_BIT:
			status = convert_bit(conv, in, len, scratch);
			break;
		case CHAMELEON_KIND_YEAR:
			status = convert_year(in, len, scratch);
			break;
		case CHAMELEON_KIND_DATE:
		case CHAMELEON_KIND_DATETIME:
		case CHAMELEON_KIND_TIMESTAMP:
			status = convert_date(conv, in, len, scratch, &passthrough);
			break;
		case CHAMELEON_KIND_TIME:
		case CHAMELEON_KIND_UUID:
		case CHAMELEON_KIND_INET:
			passthrough = true;
			break;
		case CHAMELEON_KIND_TEXT:
		case CHAMELEON_KIND_ENUM:
		case CHAMELEON_KIND_JSON:
			if (!is_valid_text(in, len))
				return CHAMELEON_CONV_BAD_TEXT;
			passthrough = true;
			break;
		case CHAMELEON_KIND_SET:
			status = convert_set(in, len, scratch);
			break;
		case CHAMELEON_KIND_BINARY:
			status = convert_binary(in, len, scratch);
			break;
		case CHAMELEON_KIND_GEOMETRY:
		case CHAMELEON_KIND_POSTGIS:
			status = convert_geometry(in, len, conv->kind == CHAMELEON_KIND_POSTGIS, scratch);
			break;
	}
	if (status != CHAMELEON_CONV_OK)
		return status;
	if (passthrough)
	{
		*out = in;
		*outlen = len;
	}
	else
	{
		*out = scratch->data;
		*outlen = scratch->len;
	}
	return CHAMELEON_CONV_OK;
}

/* ---------- COPY escaping ---------- */

/* Characters COPY text format must escape. */
static const bool text_escape[256] = {
	['\t'] = true, ['\n'] = true, ['\r'] = true, ['\\'] = true
};

static inline bool
needs_text_escape(unsigned char c)
{
	return text_escape[c];
}

void
chameleon_copy_escape_text(StringInfo buf, const char *s, size_t len)
{
	size_t		run = 0;

	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (!needs_text_escape(c))
			continue;
		appendBinaryStringInfo(buf, s + run, (int) (i - run));
		appendStringInfoChar(buf, '\\');
		switch (c)
		{
			case '\t':
				appendStringInfoChar(buf, 't');
				break;
			case '\n':
				appendStringInfoChar(buf, 'n');
				break;
			case '\r':
				appendStringInfoChar(buf, 'r');
				break;
			default:
				appendStringInfoChar(buf, '\\');
				break;
		}
		run = i + 1;
	}
	appendBinaryStringInfo(buf, s + run, (int) (len - run));
}

void
chameleon_copy_escape_csv(StringInfo buf, const char *s, size_t len)
{
	size_t		run = 0;

	appendStringInfoChar(buf, '"');
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] != '"')
			continue;
		appendBinaryStringInfo(buf, s + run, (int) (i + 1 - run));
		appendStringInfoChar(buf, '"');
		run = i + 1;
	}
	appendBinaryStringInfo(buf, s + run, (int) (len - run));
	appendStringInfoChar(buf, '"');
}
