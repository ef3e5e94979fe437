/*
 * decode_types.c -- fixed-format column values of rows events.
 *
 * Owns integers (sign extension, unsigned 64-bit), FLOAT/DOUBLE (shortest
 * round-trip text, as float4out/float8out print with extra_float_digits=1),
 * the NEWDECIMAL binary format, BIT, YEAR and the temporal formats:
 *   DATE      3 bytes LE: day | month << 5 | year << 9
 *   TIME      3 bytes LE signed, HHMMSS as a decimal number (old format)
 *   DATETIME  8 bytes LE, YYYYMMDDhhmmss as a decimal number (old format)
 *   TIMESTAMP 4 bytes LE seconds since the epoch (old format)
 *   TIME2     3 bytes BE (offset 0x800000) + fraction, a signed packed value
 *   DATETIME2 5 bytes BE (offset 0x8000000000) + fraction
 *   TIMESTAMP2 4 bytes BE seconds + fraction
 * where the fraction has (fsp + 1) / 2 big-endian bytes.  Output forms are
 * those of typemap.h; zero dates become NULL or an ERROR.
 */
#include "postgres.h"

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"

#include "decode_int.h"

/* ---------- numbers ---------- */

char *
chameleon_decode_integer(ChameleonByteReader *r, int nbytes, bool is_unsigned,
						 bool as_bool)
{
	uint64		u = chameleon_read_uint_le(r, nbytes, "integer value");

	if (as_bool)
		return pstrdup(u != 0 ? "t" : "f");
	if (is_unsigned)
		return psprintf(UINT64_FORMAT, u);
	if (nbytes < 8 && (u & ((uint64) 1 << (nbytes * 8 - 1))))
		u |= ~(((uint64) 1 << (nbytes * 8)) - 1);	/* sign-extend */
	return psprintf(INT64_FORMAT, (int64) u);
}

char *
chameleon_decode_float4(ChameleonByteReader *r)
{
	uint32		bits = (uint32) chameleon_read_uint_le(r, 4, "float value");
	float		f;
	char	   *buf = palloc(FLOAT_SHORTEST_DECIMAL_LEN);

	memcpy(&f, &bits, sizeof(f));
	float_to_shortest_decimal_buf(f, buf);
	return buf;
}

char *
chameleon_decode_float8(ChameleonByteReader *r)
{
	uint64		bits = chameleon_read_uint_le(r, 8, "double value");
	double		d;
	char	   *buf = palloc(DOUBLE_SHORTEST_DECIMAL_LEN);

	memcpy(&d, &bits, sizeof(d));
	double_to_shortest_decimal_buf(d, buf);
	return buf;
}

/*
 * NEWDECIMAL: the digits in groups of 9 decimal digits per 4 bytes, a
 * leading/trailing partial group in 1..4 bytes, big-endian; the sign bit
 * (first bit) is set for positive values, and negative values have every
 * byte inverted.
 */
static const int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
static const uint32 powers10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000,
10000000, 100000000, 1000000000};

static uint32
decimal_group(const uint8 *b, int *pos, int nbytes, int ndigits)
{
	uint32		v = (uint32) chameleon_uint_be(b + *pos, nbytes);

	*pos += nbytes;
	if (v >= powers10[ndigits])
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid DECIMAL value in rows event"),
				 errdetail("A group of %d digits holds %u.", ndigits, v)));
	return v;
}

char *
chameleon_decode_newdecimal(ChameleonByteReader *r, int precision, int scale)
{
	int			intg = precision - scale;
	int			intg0 = intg / 9,
				intg0x = intg % 9;
	int			frac0 = scale / 9,
				frac0x = scale % 9;
	int			size = intg0 * 4 + dig2bytes[intg0x] + frac0 * 4 + dig2bytes[frac0x];
	const uint8 *raw = chameleon_read_bytes(r, size, "decimal value");
	uint8		b[64];
	bool		negative;
	int			pos = 0;
	StringInfoData intpart;
	StringInfoData out;
	const char *digits;

	memcpy(b, raw, size);
	negative = (b[0] & 0x80) == 0;
	b[0] ^= 0x80;
	if (negative)
		for (int i = 0; i < size; i++)
			b[i] ^= 0xff;

	initStringInfo(&intpart);
	if (intg0x > 0)
		appendStringInfo(&intpart, "%u", decimal_group(b, &pos, dig2bytes[intg0x], intg0x));
	for (int i = 0; i < intg0; i++)
		appendStringInfo(&intpart, "%09u", decimal_group(b, &pos, 4, 9));
	digits = intpart.data;
	while (*digits == '0')
		digits++;

	initStringInfo(&out);
	appendStringInfoString(&out, *digits ? digits : "0");
	if (scale > 0)
	{
		appendStringInfoChar(&out, '.');
		for (int i = 0; i < frac0; i++)
			appendStringInfo(&out, "%09u", decimal_group(b, &pos, 4, 9));
		if (frac0x > 0)
			appendStringInfo(&out, "%0*u", frac0x,
							 decimal_group(b, &pos, dig2bytes[frac0x], frac0x));
	}

	if (negative && strspn(out.data, "0.") != (size_t) out.len)
		return psprintf("-%s", out.data);
	return out.data;
}

char *
chameleon_decode_bit(ChameleonByteReader *r, int nbits)
{
	int			nbytes = (nbits + 7) / 8;
	const uint8 *p = chameleon_read_bytes(r, nbytes, "bit value");
	char	   *s = palloc(nbits + 1);
	int			skip = nbytes * 8 - nbits;

	for (int i = 0; i < nbits; i++)
	{
		int			bit = i + skip;

		s[i] = ((p[bit / 8] >> (7 - bit % 8)) & 1) ? '1' : '0';
	}
	s[nbits] = '\0';
	return s;
}

char *
chameleon_decode_year(ChameleonByteReader *r)
{
	uint8		v = chameleon_read_u8(r, "year value");

	return psprintf("%d", v == 0 ? 0 : 1900 + v);
}

/* ---------- temporal ---------- */

typedef struct MyTime
{
	bool		negative;
	int			year,
				month,
				day;
	int64		hour;
	int			minute,
				second;
	int32		usec;
} MyTime;

/* Fraction digits: exactly fsp of the 6-digit microseconds. */
static void
append_fraction(StringInfo s, int32 usec, int fsp)
{
	char		digits[8];

	if (fsp <= 0)
		return;
	snprintf(digits, sizeof(digits), "%06d", usec);
	appendStringInfoChar(s, '.');
	appendBinaryStringInfo(s, digits, fsp);
}

/*
 * An impossible date or time is damage -- or, for the old TIME/DATETIME/
 * TIMESTAMP type codes, a MariaDB column with fractional seconds created
 * under mysql56_temporal_format=OFF: those are written with the old type
 * code and no precision, so their length cannot be known from the binlog.
 */
static void
check_ranges(const MyTime *t, const char *what, bool time_of_day, bool old_format)
{
	if (t->month > 12 || t->day > 31 || t->minute > 59 || t->second > 59 ||
		t->usec < 0 || t->usec > 999999 || (time_of_day && t->hour > 23))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid %s value in rows event", what),
				 errdetail("Decoded %04d-%02d-%02d %02lld:%02d:%02d.%06d.",
						   t->year, t->month, t->day, (long long) t->hour,
						   t->minute, t->second, t->usec),
				 old_format ?
				 errhint("A MariaDB column with fractional seconds created with mysql56_temporal_format=OFF cannot be read from the binlog; rebuild the table (ALTER TABLE ... FORCE) with mysql56_temporal_format=ON.") : 0));
}

/*
 * NULL for a zero or partial date (month or day 0) when zero_dates_to_null;
 * else an ERROR.  Year 0 with a month and a day is a date (1 BC, below).
 */
static bool
is_zero_date(const MyTime *t, bool zero_dates_to_null, const char *what)
{
	if (t->month != 0 && t->day != 0)
		return false;
	if (t->year == 0 && t->month == 0 && t->day == 0 && t->hour == 0 &&
		t->minute == 0 && t->second == 0 && t->usec == 0 && zero_dates_to_null)
		return true;
	if (zero_dates_to_null)
		return true;			/* partial zero date: month or day 0 */
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
			 errmsg("zero %s value %04d-%02d-%02d cannot be stored in PostgreSQL",
					what, t->year, t->month, t->day),
			 errhint("Set zero_dates_to_null: true to store such values as NULL.")));
	return false;
}

/*
 * MySQL's year 0 is the year before 1 in the proleptic Gregorian calendar
 * both use: PostgreSQL writes it 1 BC.
 */
static int
pg_year(const MyTime *t)
{
	return t->year == 0 ? 1 : t->year;
}

static const char *
pg_era(const MyTime *t)
{
	return t->year == 0 ? " BC" : "";
}

static char *
format_date(const MyTime *t)
{
	return psprintf("%04d-%02d-%02d%s", pg_year(t), t->month, t->day, pg_era(t));
}

static char *
format_datetime(const MyTime *t, int fsp, bool utc)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "%04d-%02d-%02d %02d:%02d:%02d", pg_year(t), t->month, t->day,
					 (int) t->hour, t->minute, t->second);
	append_fraction(&s, t->usec, fsp);
	if (utc)
		appendStringInfoString(&s, "+00");
	appendStringInfoString(&s, pg_era(t));
	return s.data;
}

static char *
format_time(const MyTime *t, int fsp)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "%s%02lld:%02d:%02d", t->negative ? "-" : "",
					 (long long) t->hour, t->minute, t->second);
	append_fraction(&s, t->usec, fsp);
	return s.data;
}

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian). */
static void
civil_from_days(int64 z, MyTime *t)
{
	int64		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->day = (int) (doy - (153 * mp + 2) / 5 + 1);
	t->month = (int) (mp < 10 ? mp + 3 : mp - 9);
	t->year = (int) (yoe + era * 400 + (t->month <= 2));
}

static void
time_from_epoch(uint64 secs, int32 usec, MyTime *t)
{
	memset(t, 0, sizeof(*t));
	civil_from_days((int64) (secs / 86400), t);
	t->hour = (secs % 86400) / 3600;
	t->minute = (int) ((secs % 3600) / 60);
	t->second = (int) (secs % 60);
	t->usec = usec;
}

/* Fractional part of the "2" formats, as microseconds (signed for TIME2). */
static int32
read_fraction(ChameleonByteReader *r, int fsp)
{
	switch ((fsp + 1) / 2)
	{
		case 0:
			return 0;
		case 1:
			return (int32) (int8) chameleon_read_u8(r, "fraction") * 10000;
		case 2:
			return (int32) (int16) chameleon_read_uint_be(r, 2, "fraction") * 100;
		default:
			{
				int32		v = (int32) chameleon_read_uint_be(r, 3, "fraction");

				if (v & 0x800000)
					v |= ~0xffffff;
				return v;
			}
	}
}

static char *
decode_time2(ChameleonByteReader *r, int fsp)
{
	int64		packed;
	MyTime		t;

	memset(&t, 0, sizeof(t));
	if (fsp >= 5)
		packed = (int64) chameleon_read_uint_be(r, 6, "time value") - INT64CONST(0x800000000000);
	else
	{
		int64		intpart = (int64) chameleon_read_uint_be(r, 3, "time value") - 0x800000;
		int64		frac = 0;

		if (fsp == 1 || fsp == 2)
		{
			frac = chameleon_read_u8(r, "time fraction");
			if (intpart < 0 && frac != 0)
			{
				intpart++;
				frac -= 0x100;
			}
			frac *= 10000;
		}
		else if (fsp == 3 || fsp == 4)
		{
			frac = (int64) chameleon_read_uint_be(r, 2, "time fraction");
			if (intpart < 0 && frac != 0)
			{
				intpart++;
				frac -= 0x10000;
			}
			frac *= 100;
		}
		packed = intpart * (INT64CONST(1) << 24) + frac;
	}

	if (packed < 0)
	{
		t.negative = true;
		packed = -packed;
	}
	{
		int64		hms = packed >> 24;

		t.usec = (int32) (packed % (INT64CONST(1) << 24));
		t.hour = (hms >> 12) & 0x3ff;
		t.minute = (int) ((hms >> 6) & 0x3f);
		t.second = (int) (hms & 0x3f);
	}
	check_ranges(&t, "TIME", false, false);
	return format_time(&t, fsp);
}

static char *
decode_datetime2(ChameleonByteReader *r, int fsp, bool zero_to_null)
{
	int64		intpart = (int64) chameleon_read_uint_be(r, 5, "datetime value") -
		INT64CONST(0x8000000000);
	int64		ymd,
				hms,
				ym;
	MyTime		t;

	memset(&t, 0, sizeof(t));
	if (intpart < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("negative DATETIME value in rows event")));
	t.usec = read_fraction(r, fsp);
	ymd = intpart >> 17;
	hms = intpart % (1 << 17);
	ym = ymd >> 5;
	t.day = (int) (ymd % 32);
	t.month = (int) (ym % 13);
	t.year = (int) (ym / 13);
	t.second = (int) (hms % 64);
	t.minute = (int) ((hms >> 6) % 64);
	t.hour = hms >> 12;
	check_ranges(&t, "DATETIME", true, false);
	if (is_zero_date(&t, zero_to_null, "datetime"))
		return NULL;
	return format_datetime(&t, fsp, false);
}

static char *
decode_timestamp_secs(uint64 secs, int32 usec, int fsp)
{
	MyTime		t;

	if (secs == 0 && usec == 0)
		return NULL;			/* the zero timestamp */
	time_from_epoch(secs, usec, &t);
	check_ranges(&t, "TIMESTAMP", true, false);
	return format_datetime(&t, fsp, true);
}

static char *
decode_old_time(ChameleonByteReader *r)
{
	int32		v = (int32) chameleon_read_uint_le(r, 3, "time value");
	MyTime		t;

	memset(&t, 0, sizeof(t));
	if (v & 0x800000)
		v |= ~0xffffff;
	if (v < 0)
	{
		t.negative = true;
		v = -v;
	}
	t.hour = v / 10000;
	t.minute = (v / 100) % 100;
	t.second = v % 100;
	check_ranges(&t, "TIME", false, true);
	return format_time(&t, 0);
}

static char *
decode_old_datetime(ChameleonByteReader *r, bool zero_to_null)
{
	uint64		v = chameleon_read_u64(r, "datetime value");
	uint64		d = v / 1000000,
				tm = v % 1000000;
	MyTime		t;

	memset(&t, 0, sizeof(t));
	t.year = (int) (d / 10000);
	t.month = (int) ((d / 100) % 100);
	t.day = (int) (d % 100);
	t.hour = tm / 10000;
	t.minute = (int) ((tm / 100) % 100);
	t.second = (int) (tm % 100);
	check_ranges(&t, "DATETIME", true, true);
	if (is_zero_date(&t, zero_to_null, "datetime"))
		return NULL;
	return format_datetime(&t, 0, false);
}

static char *
decode_date(ChameleonByteReader *r, bool zero_to_null)
{
	uint32		v = (uint32) chameleon_read_uint_le(r, 3, "date value");
	MyTime		t;

	memset(&t, 0, sizeof(t));
	t.day = v & 31;
	t.month = (v >> 5) & 15;
	t.year = v >> 9;
	check_ranges(&t, "DATE", false, false);
	if (is_zero_date(&t, zero_to_null, "date"))
		return NULL;
	return format_date(&t);
}

char *
chameleon_decode_temporal(ChameleonByteReader *r, const ChameleonMapColumn *c,
						  bool zero_dates_to_null)
{
	switch (c->type)
	{
		case MYT_DATE:
		case MYT_NEWDATE:
			return decode_date(r, zero_dates_to_null);
		case MYT_TIME:
			return decode_old_time(r);
		case MYT_TIME2:
			return decode_time2(r, c->fsp);
		case MYT_DATETIME:
			return decode_old_datetime(r, zero_dates_to_null);
		case MYT_DATETIME2:
			return decode_datetime2(r, c->fsp, zero_dates_to_null);
		case MYT_TIMESTAMP:
			return decode_timestamp_secs(chameleon_read_u32(r, "timestamp value"), 0, 0);
		case MYT_TIMESTAMP2:
			{
				uint64		secs = chameleon_read_uint_be(r, 4, "timestamp value");
				int32		usec = read_fraction(r, c->fsp);

				return decode_timestamp_secs(secs, usec, c->fsp);
			}
		default:
			elog(ERROR, "column type %d is not temporal", c->type);
			return NULL;
	}
}
