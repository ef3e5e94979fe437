/*
 * decode_json.c -- MySQL's binary JSON format to JSON text.
 *
 * Owns the decoding of MySQL 5.7+/8 JSON column values as they appear in
 * rows events (MariaDB stores JSON as LONGTEXT: plain text, not this).
 * The format (MySQL's json_binary.h): a type byte, then
 *   objects/arrays (small: 2-byte counts and offsets, large: 4-byte):
 *     element count, byte size, [key entries: offset, 2-byte length],
 *     value entries: type byte + offset or an inlined scalar, keys, values;
 *     offsets count from the byte after the type byte;
 *   literals (null/true/false), int16/uint16/int32/uint32/int64/uint64,
 *   double, string (variable-length length: 7 bits a byte, low first),
 *   opaque (a MySQL column type byte, variable length, raw data: DECIMAL,
 *   DATE/TIME/DATETIME/TIMESTAMP as packed integers, anything else shown as
 *   "base64:typeNN:..." as MySQL prints it).
 * Output follows MySQL's text form ({"k": v, ...}, [a, b]); a zero-length
 * value is the JSON null.
 */
#include "postgres.h"

#include "common/base64.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"

#include "decode_int.h"

#define JT_SMALL_OBJECT 0x00
#define JT_LARGE_OBJECT 0x01
#define JT_SMALL_ARRAY	0x02
#define JT_LARGE_ARRAY	0x03
#define JT_LITERAL		0x04
#define JT_INT16		0x05
#define JT_UINT16		0x06
#define JT_INT32		0x07
#define JT_UINT32		0x08
#define JT_INT64		0x09
#define JT_UINT64		0x0a
#define JT_DOUBLE		0x0b
#define JT_STRING		0x0c
#define JT_OPAQUE		0x0f

#define JSON_MAX_DEPTH	150

static void json_value(StringInfo out, uint8 type, const uint8 *p, size_t len, int depth);

static void
json_corrupt(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid binary JSON value in rows event"),
			 errdetail("%s", what)));
}

/* A JSON string literal of n bytes (already UTF-8). */
static void
json_string(StringInfo out, const uint8 *s, size_t n)
{
	appendStringInfoChar(out, '"');
	for (size_t i = 0; i < n; i++)
	{
		uint8		c = s[i];

		switch (c)
		{
			case '"':
				appendStringInfoString(out, "\\\"");
				break;
			case '\\':
				appendStringInfoString(out, "\\\\");
				break;
			case '\n':
				appendStringInfoString(out, "\\n");
				break;
			case '\r':
				appendStringInfoString(out, "\\r");
				break;
			case '\t':
				appendStringInfoString(out, "\\t");
				break;
			case '\b':
				appendStringInfoString(out, "\\b");
				break;
			case '\f':
				appendStringInfoString(out, "\\f");
				break;
			default:
				if (c < 0x20)
					appendStringInfo(out, "\\u%04x", c);
				else
					appendStringInfoChar(out, (char) c);
		}
	}
	appendStringInfoChar(out, '"');
}

/* Variable-length length: 7 bits per byte, low group first, high bit = more. */
static size_t
read_varlen(ChameleonByteReader *r)
{
	size_t		v = 0;

	for (int shift = 0; shift < 35; shift += 7)
	{
		uint8		b = chameleon_read_u8(r, "JSON length");

		v |= (size_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	json_corrupt("A length runs over five bytes.");
	return 0;
}

static void
json_double(StringInfo out, const uint8 *p)
{
	double		d;
	uint64		bits = chameleon_uint_le(p, 8);
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	memcpy(&d, &bits, sizeof(d));
	double_to_shortest_decimal_buf(d, buf);
	appendStringInfoString(out, buf);
	if (strpbrk(buf, ".eEn") == NULL)
		appendStringInfoString(out, ".0");	/* MySQL prints doubles as 2.0 */
}

/* Packed temporal value of MySQL (my_time.h packed longlong). */
static void
json_packed_time(StringInfo out, uint8 mysql_type, const uint8 *data, size_t n)
{
	int64		packed;
	bool		neg = false;
	int64		intpart,
				ymd,
				hms,
				ym;
	int			usec;

	if (n < 8)
		json_corrupt("A temporal value is shorter than 8 bytes.");
	packed = (int64) chameleon_uint_le(data, 8);
	if (packed < 0)
	{
		neg = true;
		packed = -packed;
	}
	intpart = packed >> 24;
	usec = (int) (packed % (1 << 24));
	ymd = intpart >> 17;
	hms = intpart % (1 << 17);
	ym = ymd >> 5;

	appendStringInfoChar(out, '"');
	if (mysql_type == MYT_TIME)
		appendStringInfo(out, "%s%02d:%02d:%02d.%06d", neg ? "-" : "",
						 (int) (hms >> 12), (int) ((hms >> 6) % 64), (int) (hms % 64), usec);
	else if (mysql_type == MYT_DATE)
		appendStringInfo(out, "%04d-%02d-%02d", (int) (ym / 13), (int) (ym % 13), (int) (ymd % 32));
	else
		appendStringInfo(out, "%04d-%02d-%02d %02d:%02d:%02d.%06d",
						 (int) (ym / 13), (int) (ym % 13), (int) (ymd % 32),
						 (int) (hms >> 12), (int) ((hms >> 6) % 64), (int) (hms % 64), usec);
	appendStringInfoChar(out, '"');
}

static void
json_opaque(StringInfo out, ChameleonByteReader *r)
{
	uint8		mysql_type = chameleon_read_u8(r, "JSON opaque type");
	size_t		n = read_varlen(r);
	const uint8 *data = chameleon_read_bytes(r, n, "JSON opaque value");

	switch (mysql_type)
	{
		case MYT_NEWDECIMAL:
			{
				ChameleonByteReader dr;
				int			precision,
							scale;

				chameleon_reader_init(&dr, data, n);
				precision = chameleon_read_u8(&dr, "JSON decimal precision");
				scale = chameleon_read_u8(&dr, "JSON decimal scale");
				if (precision == 0 || precision > 65 || scale > precision)
					json_corrupt("A decimal has an invalid precision.");
				appendStringInfoString(out, chameleon_decode_newdecimal(&dr, precision, scale));
				break;
			}
		case MYT_DATE:
		case MYT_TIME:
		case MYT_DATETIME:
		case MYT_TIMESTAMP:
			json_packed_time(out, mysql_type, data, n);
			break;
		default:
			{
				int			enclen = pg_b64_enc_len((int) n);
				char	   *enc = palloc(enclen + 1);
				int			got = pg_b64_encode((const char *) data, (int) n, enc, enclen);

				if (got < 0)
					json_corrupt("An opaque value cannot be encoded.");
				enc[got] = '\0';
				appendStringInfo(out, "\"base64:type%d:%s\"", mysql_type, enc);
				break;
			}
	}
}

/* Object or array starting at p (after the type byte), len bytes available. */
static void
json_container(StringInfo out, bool is_object, bool large, const uint8 *p, size_t len,
			   int depth)
{
	ChameleonByteReader r;
	int			osz = large ? 4 : 2;
	uint32		count,
				size;
	size_t		key_entry = is_object ? osz + 2 : 0;
	size_t		value_entry = 1 + osz;

	if (depth > JSON_MAX_DEPTH)
		json_corrupt("The value nests too deeply.");
	chameleon_reader_init(&r, p, len);
	count = (uint32) chameleon_read_uint_le(&r, osz, "JSON element count");
	size = (uint32) chameleon_read_uint_le(&r, osz, "JSON size");
	if (size > len || (uint64) count * (key_entry + value_entry) + 2 * osz > size)
		json_corrupt("A container is larger than its value.");

	appendStringInfoChar(out, is_object ? '{' : '[');
	for (uint32 i = 0; i < count; i++)
	{
		const uint8 *ve = p + 2 * osz + count * key_entry + i * value_entry;
		uint8		vtype = ve[0];
		bool		inlined;

		if (i > 0)
			appendStringInfoString(out, ", ");
		if (is_object)
		{
			const uint8 *ke = p + 2 * osz + i * key_entry;
			uint32		koff = (uint32) chameleon_uint_le(ke, osz);
			uint16		klen = (uint16) chameleon_uint_le(ke + osz, 2);

			if ((uint64) koff + klen > size)
				json_corrupt("A key lies outside its object.");
			json_string(out, p + koff, klen);
			appendStringInfoString(out, ": ");
		}

		inlined = vtype == JT_LITERAL || vtype == JT_INT16 || vtype == JT_UINT16 ||
			(large && (vtype == JT_INT32 || vtype == JT_UINT32));
		if (inlined)
			json_value(out, vtype, ve + 1, osz, depth + 1);
		else
		{
			uint32		voff = (uint32) chameleon_uint_le(ve + 1, osz);

			if (voff >= size)
				json_corrupt("A value lies outside its container.");
			json_value(out, vtype, p + voff, size - voff, depth + 1);
		}
	}
	appendStringInfoChar(out, is_object ? '}' : ']');
}

static void
json_value(StringInfo out, uint8 type, const uint8 *p, size_t len, int depth)
{
	ChameleonByteReader r;

	chameleon_reader_init(&r, p, len);
	switch (type)
	{
		case JT_SMALL_OBJECT:
		case JT_LARGE_OBJECT:
			json_container(out, true, type == JT_LARGE_OBJECT, p, len, depth);
			break;
		case JT_SMALL_ARRAY:
		case JT_LARGE_ARRAY:
			json_container(out, false, type == JT_LARGE_ARRAY, p, len, depth);
			break;
		case JT_LITERAL:
			switch (chameleon_read_u8(&r, "JSON literal"))
			{
				case 0:
					appendStringInfoString(out, "null");
					break;
				case 1:
					appendStringInfoString(out, "true");
					break;
				case 2:
					appendStringInfoString(out, "false");
					break;
				default:
					json_corrupt("Unknown literal.");
			}
			break;
		case JT_INT16:
			appendStringInfo(out, "%d", (int16) chameleon_read_uint_le(&r, 2, "JSON int16"));
			break;
		case JT_UINT16:
			appendStringInfo(out, "%u", (uint16) chameleon_read_uint_le(&r, 2, "JSON uint16"));
			break;
		case JT_INT32:
			appendStringInfo(out, "%d", (int32) chameleon_read_uint_le(&r, 4, "JSON int32"));
			break;
		case JT_UINT32:
			appendStringInfo(out, "%u", (uint32) chameleon_read_uint_le(&r, 4, "JSON uint32"));
			break;
		case JT_INT64:
			appendStringInfo(out, INT64_FORMAT, (int64) chameleon_read_u64(&r, "JSON int64"));
			break;
		case JT_UINT64:
			appendStringInfo(out, UINT64_FORMAT, chameleon_read_u64(&r, "JSON uint64"));
			break;
		case JT_DOUBLE:
			json_double(out, chameleon_read_bytes(&r, 8, "JSON double"));
			break;
		case JT_STRING:
			{
				size_t		n = read_varlen(&r);

				json_string(out, chameleon_read_bytes(&r, n, "JSON string"), n);
				break;
			}
		case JT_OPAQUE:
			json_opaque(out, &r);
			break;
		default:
			json_corrupt(psprintf("Unknown value type 0x%02x.", type));
	}
}

char *
chameleon_mysql_json_to_text(const uint8 *data, size_t len)
{
	StringInfoData out;

	initStringInfo(&out);
	if (len == 0)
		appendStringInfoString(&out, "null");
	else
		json_value(&out, data[0], data + 1, len - 1, 0);
	return out.data;
}
