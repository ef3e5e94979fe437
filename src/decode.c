/*
 * decode.c -- rows events to values (see decode.h).
 *
 * Owns: resolving each column of a TABLE_MAP into a value kind, signedness,
 * source charset and ENUM/SET labels (binlog optional metadata first, then
 * the caller's table definition, then defaults); the row walker over the
 * columns-present and NULL bitmaps; and the variable-length values
 * (CHAR/BINARY, VARCHAR, BLOB/TEXT, ENUM, SET, GEOMETRY, JSON, UUID, INET).
 * Fixed-format values are in decode_types.c.
 *
 * Charsets: utf8mb4/utf8mb3/ascii pass through (validated); ucs2, utf16,
 * utf16le and utf32 are converted here; the other MySQL charsets that have a
 * PostgreSQL twin go through pg_any_to_server (latin1 is MySQL's cp1252, so
 * WIN1252; cp932 -> SJIS; eucjpms -> EUC_JP; tis620 -> WIN874).  armscii8,
 * cp850, cp852, dec8, geostd8, hp8, keybcs2, macce, macroman and swe7 have
 * no PostgreSQL twin: their values are an ERROR (map them with hexify).
 * A string column whose charset nothing tells (no optional metadata, no
 * definition) is passed through when it is valid in the database encoding
 * and shown as bytea hex otherwise.
 */
#include "postgres.h"

#include <sys/socket.h>

#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/inet.h"

#include "decode_int.h"
#include "geometry.h"

#define ENC_BINARY		(-1)
#define ENC_UNKNOWN		(-2)
#define ENC_UTF16BE		(-3)
#define ENC_UTF16LE		(-4)
#define ENC_UTF32		(-5)
#define ENC_UNSUPPORTED (-6)

/* ---------- charsets ---------- */

typedef struct CollationRange
{
	int			lo,
				hi;
	const char *charset;
} CollationRange;

/* MySQL/MariaDB collation ids below 1024 (from information_schema.COLLATIONS). */
static const CollationRange collation_ranges[] = {
	{1, 1, "big5"}, {2, 2, "latin2"}, {3, 3, "dec8"}, {4, 4, "cp850"},
	{5, 5, "latin1"}, {6, 6, "hp8"}, {7, 7, "koi8r"}, {8, 8, "latin1"},
	{9, 9, "latin2"}, {10, 10, "swe7"}, {11, 11, "ascii"}, {12, 12, "ujis"},
	{13, 13, "sjis"}, {14, 14, "cp1251"}, {15, 15, "latin1"}, {16, 16, "hebrew"},
	{18, 18, "tis620"}, {19, 19, "euckr"}, {20, 20, "latin7"}, {21, 21, "latin2"},
	{22, 22, "koi8u"}, {23, 23, "cp1251"}, {24, 24, "gb2312"}, {25, 25, "greek"},
	{26, 26, "cp1250"}, {27, 27, "latin2"}, {28, 28, "gbk"}, {29, 29, "cp1257"},
	{30, 30, "latin5"}, {31, 31, "latin1"}, {32, 32, "armscii8"}, {33, 33, "utf8mb3"},
	{34, 34, "cp1250"}, {35, 35, "ucs2"}, {36, 36, "cp866"}, {37, 37, "keybcs2"},
	{38, 38, "macce"}, {39, 39, "macroman"}, {40, 40, "cp852"}, {41, 42, "latin7"},
	{43, 43, "macce"}, {44, 44, "cp1250"}, {45, 46, "utf8mb4"}, {47, 49, "latin1"},
	{50, 52, "cp1251"}, {53, 53, "macroman"}, {54, 55, "utf16"}, {56, 56, "utf16le"},
	{57, 57, "cp1256"}, {58, 59, "cp1257"}, {60, 61, "utf32"}, {62, 62, "utf16le"},
	{63, 63, "binary"}, {64, 64, "armscii8"}, {65, 65, "ascii"}, {66, 66, "cp1250"},
	{67, 67, "cp1256"}, {68, 68, "cp866"}, {69, 69, "dec8"}, {70, 70, "greek"},
	{71, 71, "hebrew"}, {72, 72, "hp8"}, {73, 73, "keybcs2"}, {74, 74, "koi8r"},
	{75, 75, "koi8u"}, {76, 76, "utf8mb3"}, {77, 77, "latin2"}, {78, 78, "latin5"},
	{79, 79, "latin7"}, {80, 80, "cp850"}, {81, 81, "cp852"}, {82, 82, "swe7"},
	{83, 83, "utf8mb3"}, {84, 84, "big5"}, {85, 85, "euckr"}, {86, 86, "gb2312"},
	{87, 87, "gbk"}, {88, 88, "sjis"}, {89, 89, "tis620"}, {90, 90, "ucs2"},
	{91, 91, "ujis"}, {92, 93, "geostd8"}, {94, 94, "latin1"}, {95, 96, "cp932"},
	{97, 98, "eucjpms"}, {99, 99, "cp1250"}, {101, 124, "utf16"}, {128, 151, "ucs2"},
	{159, 159, "ucs2"}, {160, 183, "utf32"}, {192, 215, "utf8mb3"}, {223, 223, "utf8mb3"},
	{224, 247, "utf8mb4"}, {248, 250, "gb18030"}, {255, 330, "utf8mb4"},
	{576, 578, "utf8mb3"}, {608, 610, "utf8mb4"}, {640, 642, "ucs2"},
	{672, 674, "utf16"}, {736, 738, "utf32"},
};

const char *
chameleon_collation_charset(int id)
{
	if (id >= 2048)
	{
		/* MariaDB 10.10+ UCA 14.0 collations: one block of 256 per charset */
		switch ((id - 2048) / 256)
		{
			case 0: return "utf8mb3";
			case 1: return "utf8mb4";
			case 2: return "ucs2";
			case 3: return "utf16";
			case 4: return "utf32";
			default: return NULL;
		}
	}
	if (id >= 1024)
		id -= 1024;				/* MariaDB NO PAD twins */
	for (size_t i = 0; i < lengthof(collation_ranges); i++)
		if (id >= collation_ranges[i].lo && id <= collation_ranges[i].hi)
			return collation_ranges[i].charset;
	return NULL;
}

static int
charset_encoding(const char *cs)
{
	static const struct
	{
		const char *mysql;
		int			pg;
	}			map[] = {
		{"utf8mb4", PG_UTF8}, {"utf8mb3", PG_UTF8}, {"utf8", PG_UTF8},
		{"ascii", PG_UTF8}, {"latin1", PG_WIN1252}, {"latin2", PG_LATIN2},
		{"latin5", PG_LATIN5}, {"latin7", PG_LATIN7}, {"greek", PG_ISO_8859_7},
		{"hebrew", PG_ISO_8859_8}, {"cp1250", PG_WIN1250}, {"cp1251", PG_WIN1251},
		{"cp1256", PG_WIN1256}, {"cp1257", PG_WIN1257}, {"cp866", PG_WIN866},
		{"koi8r", PG_KOI8R}, {"koi8u", PG_KOI8U}, {"big5", PG_BIG5},
		{"gbk", PG_GBK}, {"gb2312", PG_EUC_CN}, {"gb18030", PG_GB18030},
		{"sjis", PG_SJIS}, {"cp932", PG_SJIS}, {"ujis", PG_EUC_JP},
		{"eucjpms", PG_EUC_JP}, {"euckr", PG_EUC_KR}, {"tis620", PG_WIN874},
		{"binary", ENC_BINARY}, {"ucs2", ENC_UTF16BE}, {"utf16", ENC_UTF16BE},
		{"utf16le", ENC_UTF16LE}, {"utf32", ENC_UTF32},
	};

	if (cs == NULL)
		return ENC_UNKNOWN;
	for (size_t i = 0; i < lengthof(map); i++)
		if (pg_strcasecmp(cs, map[i].mysql) == 0)
			return map[i].pg;
	return ENC_UNSUPPORTED;
}

/* UTF-16 (either byte order) or UTF-32BE -> UTF-8. */
static char *
wide_to_utf8(const uint8 *p, size_t len, int enc)
{
	int			unit = enc == ENC_UTF32 ? 4 : 2;
	StringInfoData s;
	size_t		i = 0;

	if (len % unit != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("invalid %s string of %zu bytes", enc == ENC_UTF32 ? "UTF-32" : "UTF-16", len)));
	initStringInfo(&s);
	while (i < len)
	{
		pg_wchar	cp;
		unsigned char buf[8];

		if (enc == ENC_UTF32)
			cp = (pg_wchar) chameleon_uint_be(p + i, 4);
		else
			cp = (pg_wchar) (enc == ENC_UTF16LE ? chameleon_uint_le(p + i, 2) : chameleon_uint_be(p + i, 2));
		i += unit;
		if (enc != ENC_UTF32 && cp >= 0xD800 && cp <= 0xDBFF && i + 2 <= len)
		{
			pg_wchar	lo = (pg_wchar) (enc == ENC_UTF16LE ? chameleon_uint_le(p + i, 2) : chameleon_uint_be(p + i, 2));

			if (lo >= 0xDC00 && lo <= 0xDFFF)
			{
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			}
		}
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("invalid code point U+%04X in a wide-character string", cp)));
		unicode_to_utf8(cp, buf);
		appendBinaryStringInfo(&s, (char *) buf, pg_utf_mblen(buf));
	}
	return s.data;
}

static char *
hex_bytea(const uint8 *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char	   *s = palloc(len * 2 + 3);

	s[0] = '\\';
	s[1] = 'x';
	for (size_t i = 0; i < len; i++)
	{
		s[2 + 2 * i] = hex[p[i] >> 4];
		s[3 + 2 * i] = hex[p[i] & 15];
	}
	s[len * 2 + 2] = '\0';
	return s;
}

/* Source bytes in a known charset -> NUL-terminated text in the database encoding. */
static char *
to_database_encoding(const uint8 *p, size_t len, int enc)
{
	char	   *s;

	if (enc == ENC_UTF16BE || enc == ENC_UTF16LE || enc == ENC_UTF32)
	{
		s = wide_to_utf8(p, len, enc);
		return pg_any_to_server(s, strlen(s), PG_UTF8);
	}
	if (enc == ENC_UNSUPPORTED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("column character set has no PostgreSQL equivalent"),
				 errhint("Copy the column as bytea with the hexify option.")));
	if (enc < 0)
		enc = PG_UTF8;
	s = palloc(len + 1);
	memcpy(s, p, len);
	s[len] = '\0';
	return pg_any_to_server(s, (int) len, enc);
}

/* ---------- column resolution ---------- */

static bool
is_integer_type(uint8 t)
{
	return t == MYT_TINY || t == MYT_SHORT || t == MYT_INT24 || t == MYT_LONG ||
		t == MYT_LONGLONG;
}

static bool
is_string_type(uint8 t)
{
	return t == MYT_STRING || t == MYT_VARCHAR || t == MYT_VAR_STRING ||
		t == MYT_BLOB || t == MYT_TINY_BLOB || t == MYT_MEDIUM_BLOB ||
		t == MYT_LONG_BLOB;
}

static ChameleonValueKind
default_kind(const ChameleonMapColumn *m, bool is_unsigned, int encoding)
{
	switch (m->real_type)
	{
		case MYT_TINY:
		case MYT_SHORT:
		case MYT_INT24:
		case MYT_LONG:
		case MYT_LONGLONG:
			return is_unsigned ? CHAMELEON_KIND_UINT : CHAMELEON_KIND_INT;
		case MYT_YEAR:
			return CHAMELEON_KIND_YEAR;
		case MYT_NEWDECIMAL:
			return CHAMELEON_KIND_DECIMAL;
		case MYT_FLOAT:
			return CHAMELEON_KIND_FLOAT;
		case MYT_DOUBLE:
			return CHAMELEON_KIND_DOUBLE;
		case MYT_BIT:
			return CHAMELEON_KIND_BIT;
		case MYT_DATE:
		case MYT_NEWDATE:
			return CHAMELEON_KIND_DATE;
		case MYT_TIME:
		case MYT_TIME2:
			return CHAMELEON_KIND_TIME;
		case MYT_DATETIME:
		case MYT_DATETIME2:
			return CHAMELEON_KIND_DATETIME;
		case MYT_TIMESTAMP:
		case MYT_TIMESTAMP2:
			return CHAMELEON_KIND_TIMESTAMP;
		case MYT_ENUM:
			return CHAMELEON_KIND_ENUM;
		case MYT_SET:
			return CHAMELEON_KIND_SET;
		case MYT_JSON:
			return CHAMELEON_KIND_JSON;
		case MYT_GEOMETRY:
			return CHAMELEON_KIND_GEOMETRY;
		default:
			return encoding == ENC_BINARY ? CHAMELEON_KIND_BINARY : CHAMELEON_KIND_TEXT;
	}
}

/* May a value of binlog type m be written as kind? */
static bool
kind_fits(const ChameleonMapColumn *m, ChameleonValueKind kind)
{
	uint8		t = m->real_type;

	if (t == MYT_NULL)
		return true;
	if (is_integer_type(t))
		return kind == CHAMELEON_KIND_INT || kind == CHAMELEON_KIND_UINT ||
			kind == CHAMELEON_KIND_BOOL || kind == CHAMELEON_KIND_DECIMAL ||
			kind == CHAMELEON_KIND_YEAR;
	switch (t)
	{
		case MYT_YEAR:
			return kind == CHAMELEON_KIND_YEAR || kind == CHAMELEON_KIND_INT ||
				kind == CHAMELEON_KIND_UINT;
		case MYT_NEWDECIMAL:
			return kind == CHAMELEON_KIND_DECIMAL;
		case MYT_FLOAT:
		case MYT_DOUBLE:
			return kind == CHAMELEON_KIND_FLOAT || kind == CHAMELEON_KIND_DOUBLE;
		case MYT_BIT:
			return kind == CHAMELEON_KIND_BIT || kind == CHAMELEON_KIND_BOOL;
		case MYT_DATE:
		case MYT_NEWDATE:
			return kind == CHAMELEON_KIND_DATE;
		case MYT_TIME:
		case MYT_TIME2:
			return kind == CHAMELEON_KIND_TIME;
		case MYT_DATETIME:
		case MYT_DATETIME2:
			return kind == CHAMELEON_KIND_DATETIME;
		case MYT_TIMESTAMP:
		case MYT_TIMESTAMP2:
			return kind == CHAMELEON_KIND_TIMESTAMP;
		case MYT_ENUM:
			return kind == CHAMELEON_KIND_ENUM || kind == CHAMELEON_KIND_TEXT;
		case MYT_SET:
			return kind == CHAMELEON_KIND_SET || kind == CHAMELEON_KIND_TEXT;
		case MYT_JSON:
			return kind == CHAMELEON_KIND_JSON || kind == CHAMELEON_KIND_TEXT;
		case MYT_GEOMETRY:
			return kind == CHAMELEON_KIND_GEOMETRY || kind == CHAMELEON_KIND_POSTGIS ||
				kind == CHAMELEON_KIND_BINARY;
		default:
			break;
	}
	if (is_string_type(t))
		return kind == CHAMELEON_KIND_TEXT || kind == CHAMELEON_KIND_BINARY ||
			kind == CHAMELEON_KIND_JSON || kind == CHAMELEON_KIND_UUID ||
			kind == CHAMELEON_KIND_INET || kind == CHAMELEON_KIND_GEOMETRY;
	return false;
}

static const char *
kind_name(ChameleonValueKind kind)
{
	static const char *const names[] = {
		"int", "uint", "bool", "decimal", "float", "double", "bit", "year",
		"date", "time", "datetime", "timestamp", "text", "binary", "enum",
		"set", "json", "geometry", "uuid", "inet", "postgis"
	};

	if ((int) kind >= 0 && (int) kind < (int) lengthof(names))
		return names[kind];
	return "?";
}

static bool
type_supported(uint8 t)
{
	switch (t)
	{
		case MYT_DECIMAL:
		case MYT_BLOB_COMPRESSED:
		case MYT_VARCHAR_COMPRESSED:
		case MYT_VECTOR:
		case MYT_TYPED_ARRAY:
		case MYT_INVALID:
		case MYT_BOOL:
			return false;
		default:
			return t <= MYT_TIME2 || t >= MYT_JSON;
	}
}

static void
resolve_labels(ChameleonDecodeColumn *col, const ChameleonMapColumn *m,
			   const ChameleonColumnDef *d)
{
	col->nlabels = -1;
	col->labels = NULL;
	if (m->nlabels >= 0)
	{
		col->nlabels = m->nlabels;
		col->labels = palloc(sizeof(char *) * Max(m->nlabels, 1));
		for (int j = 0; j < m->nlabels; j++)
			col->labels[j] = to_database_encoding((const uint8 *) m->labels[j],
												  strlen(m->labels[j]),
												  col->encoding == ENC_UNKNOWN ||
												  col->encoding == ENC_BINARY ?
												  PG_UTF8 : col->encoding);
	}
	else if (d && d->labels != NIL)
	{
		ListCell   *lc;
		int			j = 0;

		col->nlabels = list_length(d->labels);
		col->labels = palloc(sizeof(char *) * col->nlabels);
		foreach(lc, d->labels)
			col->labels[j++] = (char *) lfirst(lc);
	}
}

ChameleonDecodeTable *
chameleon_decode_prepare(const ChameleonTableMap *map, const ChameleonTableDef *def,
						 const ChameleonDecodeOptions *opts)
{
	ChameleonDecodeTable *t = palloc0(sizeof(ChameleonDecodeTable));

	t->map = map;
	t->name = psprintf("%s.%s", map->schema, map->table);
	t->ncols = map->ncols;
	t->opts.zero_dates_to_null = opts ? opts->zero_dates_to_null : true;
	if (def && def->ncols != map->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("table %s has %d columns in the binlog but %d in its definition",
						t->name, map->ncols, def->ncols),
				 errhint("The table was altered; decode events with the definition valid at their position.")));

	t->cols = palloc0(sizeof(ChameleonDecodeColumn) * t->ncols);
	for (int i = 0; i < t->ncols; i++)
	{
		const ChameleonMapColumn *m = &map->cols[i];
		const ChameleonColumnDef *d = def ? &def->cols[i] : NULL;
		ChameleonDecodeColumn *col = &t->cols[i];
		const char *cs = NULL;

		col->map = m;
		col->name = m->name ? m->name : (d && d->name) ? d->name : psprintf("col%d", i + 1);
		if (m->is_unsigned >= 0)
			col->is_unsigned = m->is_unsigned;
		else if (d)
			col->is_unsigned = d->is_unsigned > 0 || d->kind == CHAMELEON_KIND_UINT;

		if (m->collation >= 0)
			cs = chameleon_collation_charset(m->collation);
		if (cs == NULL && d)
			cs = d->charset;
		col->encoding = charset_encoding(cs);
		if (m->collation >= 0 && cs == NULL)
			col->encoding = ENC_UNSUPPORTED;

		col->kind = (d && d->kind >= 0) ? (ChameleonValueKind) d->kind :
			default_kind(m, col->is_unsigned, col->encoding);
		if (!type_supported(m->type))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column %s of table %s has binlog type %d, which cannot be decoded",
							col->name, t->name, m->type)));
		if (!kind_fits(m, col->kind))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("column %s of table %s has binlog type %d but its definition says %s",
							col->name, t->name, m->type, kind_name(col->kind)),
					 errhint("The table was altered; decode events with the definition valid at their position.")));
		resolve_labels(col, m, d);
	}
	return t;
}

/* ---------- variable-length values ---------- */

/* Quote a SET member for a text[] literal when needed. */
static void
append_array_element(StringInfo s, const char *v)
{
	bool		quote = (*v == '\0' || pg_strcasecmp(v, "NULL") == 0);

	for (const char *c = v; *c && !quote; c++)
		if (*c == '{' || *c == '}' || *c == ',' || *c == '"' || *c == '\\' ||
			isspace((unsigned char) *c))
			quote = true;
	if (!quote)
	{
		appendStringInfoString(s, v);
		return;
	}
	appendStringInfoChar(s, '"');
	for (const char *c = v; *c; c++)
	{
		if (*c == '"' || *c == '\\')
			appendStringInfoChar(s, '\\');
		appendStringInfoChar(s, *c);
	}
	appendStringInfoChar(s, '"');
}

static char *
decode_enum(ChameleonByteReader *r, const ChameleonDecodeColumn *col)
{
	uint64		idx = chameleon_read_uint_le(r, col->map->length, "enum value");

	if (col->nlabels < 0)
		return psprintf(UINT64_FORMAT, idx);
	if (idx == 0)
		return pstrdup("");
	if (idx > (uint64) col->nlabels)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("enum index " UINT64_FORMAT " of column %s is out of range", idx, col->name),
				 errdetail("The column has %d labels.", col->nlabels)));
	return pstrdup(col->labels[idx - 1]);
}

static char *
decode_set(ChameleonByteReader *r, const ChameleonDecodeColumn *col)
{
	uint64		bits = chameleon_read_uint_le(r, col->map->length, "set value");
	StringInfoData s;
	bool		first = true;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	for (int i = 0; i < 64; i++)
	{
		if (!(bits & ((uint64) 1 << i)))
			continue;
		if (!first)
			appendStringInfoChar(&s, ',');
		first = false;
		if (col->nlabels < 0)
			appendStringInfo(&s, "%d", i + 1);
		else if (i < col->nlabels)
			append_array_element(&s, col->labels[i]);
		else
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("set member %d of column %s is out of range", i + 1, col->name),
					 errdetail("The column has %d labels.", col->nlabels)));
	}
	appendStringInfoChar(&s, '}');
	return s.data;
}

static char *
format_inet_text(const uint8 *p, size_t len)
{
	inet	   *addr = palloc0(sizeof(inet));

	ip_family(addr) = len == 4 ? PGSQL_AF_INET : PGSQL_AF_INET6;
	ip_bits(addr) = (unsigned char) (len * 8);
	memcpy(ip_addr(addr), p, len);
	SET_INET_VARSIZE(addr);
	return DatumGetCString(DirectFunctionCall1(inet_out, InetPGetDatum(addr)));
}

/*
 * A string value in the column's kind.  pad_to > len re-pads BINARY(n)
 * values, whose trailing 0x00 bytes the binlog drops.
 */
static char *
format_string(const ChameleonDecodeColumn *col, const uint8 *p, size_t len,
			  size_t pad_to)
{
	if (pad_to > len && (col->kind == CHAMELEON_KIND_BINARY ||
						 col->kind == CHAMELEON_KIND_UUID ||
						 col->kind == CHAMELEON_KIND_INET))
	{
		uint8	   *padded = palloc0(pad_to);

		memcpy(padded, p, len);
		p = padded;
		len = pad_to;
	}

	switch (col->kind)
	{
		case CHAMELEON_KIND_BINARY:
			return hex_bytea(p, len);
		case CHAMELEON_KIND_GEOMETRY:
		case CHAMELEON_KIND_POSTGIS:
			{
				char	   *text = chameleon_geometry_text(p, len, col->kind == CHAMELEON_KIND_POSTGIS);

				if (text == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
							 errmsg("spatial value of column %s is not in MySQL's format (SRID and WKB)",
									col->name),
							 errdetail("It has %zu bytes.", len)));
				return text;
			}
		case CHAMELEON_KIND_UUID:
			if (len != 16)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("uuid value of column %s has %zu bytes", col->name, len)));
			return chameleon_format_uuid(p);
		case CHAMELEON_KIND_INET:
			if (len != 4 && len != 16)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("inet value of column %s has %zu bytes", col->name, len)));
			return format_inet_text(p, len);
		default:
			break;
	}

	if (col->encoding == ENC_UNKNOWN && !pg_verify_mbstr(GetDatabaseEncoding(), (const char *) p,
														 (int) len, true))
		return hex_bytea(p, len);	/* charset unknown and not text: show bytes */
	return to_database_encoding(p, len, col->encoding);
}

static char *
decode_string(ChameleonByteReader *r, const ChameleonDecodeColumn *col)
{
	const ChameleonMapColumn *m = col->map;
	uint32		n;
	const uint8 *p;

	switch (m->type)
	{
		case MYT_STRING:
			n = (uint32) chameleon_read_uint_le(r, m->length > 255 ? 2 : 1, "string length");
			p = chameleon_read_bytes(r, n, "string value");
			/* BINARY(n): the binlog drops trailing 0x00; put them back */
			return format_string(col, p, n,
								 (col->encoding == ENC_BINARY ||
								  col->kind == CHAMELEON_KIND_UUID ||
								  col->kind == CHAMELEON_KIND_INET) ? m->length : 0);
		case MYT_VARCHAR:
		case MYT_VAR_STRING:
			n = (uint32) chameleon_read_uint_le(r, m->length > 255 ? 2 : 1, "varchar length");
			p = chameleon_read_bytes(r, n, "varchar value");
			return format_string(col, p, n, 0);
		default:
			n = (uint32) chameleon_read_uint_le(r, m->length, "blob length");
			p = chameleon_read_bytes(r, n, "blob value");
			if (m->type == MYT_JSON && col->kind == CHAMELEON_KIND_JSON)
			{
				char	   *json = chameleon_mysql_json_to_text(p, n);

				return pg_any_to_server(json, strlen(json), PG_UTF8);
			}
			return format_string(col, p, n, 0);
	}
}

/* One non-NULL value; NULL result = SQL NULL (zero dates). */
static char *
decode_value(ChameleonByteReader *r, const ChameleonDecodeColumn *col, bool zero_to_null)
{
	const ChameleonMapColumn *m = col->map;

	switch (m->type)
	{
		case MYT_TINY:
			return chameleon_decode_integer(r, 1, col->is_unsigned, col->kind == CHAMELEON_KIND_BOOL);
		case MYT_SHORT:
			return chameleon_decode_integer(r, 2, col->is_unsigned, col->kind == CHAMELEON_KIND_BOOL);
		case MYT_INT24:
			return chameleon_decode_integer(r, 3, col->is_unsigned, col->kind == CHAMELEON_KIND_BOOL);
		case MYT_LONG:
			return chameleon_decode_integer(r, 4, col->is_unsigned, col->kind == CHAMELEON_KIND_BOOL);
		case MYT_LONGLONG:
			return chameleon_decode_integer(r, 8, col->is_unsigned, col->kind == CHAMELEON_KIND_BOOL);
		case MYT_FLOAT:
			return chameleon_decode_float4(r);
		case MYT_DOUBLE:
			return chameleon_decode_float8(r);
		case MYT_NEWDECIMAL:
			return chameleon_decode_newdecimal(r, m->precision, m->scale);
		case MYT_BIT:
			{
				char	   *bits = chameleon_decode_bit(r, m->nbits);

				if (col->kind == CHAMELEON_KIND_BOOL)
					return pstrdup(strchr(bits, '1') ? "t" : "f");
				return bits;
			}
		case MYT_YEAR:
			return chameleon_decode_year(r);
		case MYT_DATE:
		case MYT_NEWDATE:
		case MYT_TIME:
		case MYT_TIME2:
		case MYT_DATETIME:
		case MYT_DATETIME2:
		case MYT_TIMESTAMP:
		case MYT_TIMESTAMP2:
			return chameleon_decode_temporal(r, m, zero_to_null);
		case MYT_NULL:
			return NULL;
		default:
			break;
	}
	if (m->real_type == MYT_ENUM)
		return decode_enum(r, col);
	if (m->real_type == MYT_SET)
		return decode_set(r, col);
	return decode_string(r, col);
}

/* ---------- the row walker ---------- */

typedef struct DecodeWhere
{
	const char *table;
	const char *column;
} DecodeWhere;

static void
decode_error_context(void *arg)
{
	DecodeWhere *w = (DecodeWhere *) arg;

	if (w->column)
		errcontext("decoding column %s of table %s", w->column, w->table);
	else
		errcontext("decoding a row of table %s", w->table);
}

void
chameleon_rows_begin(ChameleonRowIterator *it, const ChameleonDecodeTable *table,
					 const ChameleonRowsEvent *ev)
{
	if (ev->ncols != table->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("rows event for table %s has %d columns, its table map %d",
						table->name, ev->ncols, table->ncols)));
	it->table = table;
	it->ev = ev;
	it->p = ev->rows;
	it->end = ev->rows + ev->rows_len;
}

static void
read_image(ChameleonRowIterator *it, const uint8 *present, ChameleonRowImage *img,
		   DecodeWhere *where)
{
	const ChameleonDecodeTable *t = it->table;
	ChameleonByteReader r;
	int			npresent = 0;
	const uint8 *nulls;
	int			k = 0;

	chameleon_reader_init(&r, it->p, it->end - it->p);
	img->ncols = t->ncols;
	img->present = palloc0(sizeof(bool) * t->ncols);
	img->isnull = palloc0(sizeof(bool) * t->ncols);
	img->values = palloc0(sizeof(char *) * t->ncols);

	for (int i = 0; i < t->ncols; i++)
		if (chameleon_bit_is_set(present, i))
			npresent++;
	nulls = chameleon_read_bytes(&r, (npresent + 7) / 8, "null bitmap");

	for (int i = 0; i < t->ncols; i++)
	{
		if (!chameleon_bit_is_set(present, i))
			continue;
		img->present[i] = true;
		if (chameleon_bit_is_set(nulls, k++))
		{
			img->isnull[i] = true;
			continue;
		}
		where->column = t->cols[i].name;
		img->values[i] = decode_value(&r, &t->cols[i], t->opts.zero_dates_to_null);
		img->isnull[i] = (img->values[i] == NULL);
	}
	where->column = NULL;
	it->p = r.p;
}

bool
chameleon_rows_next(ChameleonRowIterator *it, ChameleonRowChange *change)
{
	ErrorContextCallback cb;
	DecodeWhere where;

	if (it->p >= it->end)
		return false;

	memset(change, 0, sizeof(*change));
	change->kind = it->ev->kind;
	where.table = it->table->name;
	where.column = NULL;
	cb.callback = decode_error_context;
	cb.arg = &where;
	cb.previous = error_context_stack;
	error_context_stack = &cb;

	switch (it->ev->kind)
	{
		case CHAMELEON_ROWS_WRITE:
			read_image(it, it->ev->present, &change->after, &where);
			break;
		case CHAMELEON_ROWS_DELETE:
			read_image(it, it->ev->present, &change->before, &where);
			break;
		case CHAMELEON_ROWS_UPDATE:
			read_image(it, it->ev->present, &change->before, &where);
			read_image(it, it->ev->present_after, &change->after, &where);
			break;
	}

	error_context_stack = cb.previous;
	return true;
}
