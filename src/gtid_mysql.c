/*
 * gtid_mysql.c -- MySQL GTID sets (see gtid_mysql.h): parsing the text form,
 * the normal form, the binary encoding and the COM_BINLOG_DUMP_GTID payload.
 *
 * Text form (MySQL's): groups separated by commas, each a server uuid
 * (8-4-4-4-12 hex digits, or 32 without dashes) followed by one or more
 * ":interval", an interval being "n" or "first-last" (inclusive, numbers
 * 1 .. 2^63-2).  Whitespace around tokens is allowed (@@gtid_executed puts
 * a newline after each comma).  Tagged GTIDs of MySQL 8.3+ (uuid:tag:n) have
 * another encoding and are refused.
 *
 * Normal form, as the server keeps a set: one entry per uuid, uuids in byte
 * order, intervals sorted with overlapping and adjacent ones merged; the
 * encoding is of the normal form, so equal sets encode to equal bytes.
 */
#include "postgres.h"

#include <ctype.h>

#include "lib/stringinfo.h"

#include "binlog.h"
#include "gtid_mysql.h"

/* MySQL's largest transaction number (GNO_END - 1) */
#define GTID_GNO_MAX	INT64CONST(0x7ffffffffffffffe)

#define GTID_SET_HINT \
	"Give uuid:interval[:interval...] groups separated by commas, as @@gtid_executed prints them, e.g. '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7'."

static void pg_attribute_noreturn()
gtid_error(const char *text, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid MySQL GTID set \"%s\"", text),
			 errdetail("%s", detail),
			 errhint("%s", hint ? hint : GTID_SET_HINT)));
}

bool
chameleon_gtid_text_is_mysql(const char *text)
{
	return strchr(text, ':') != NULL;
}

static const char *
skip_space(const char *p)
{
	while (isspace((unsigned char) *p))
		p++;
	return p;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower((unsigned char) c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A uuid token: 36 characters with dashes at 8, 13, 18, 23, or 32 hex digits. */
static bool
uuid_from_token(const char *tok, size_t len, uint8 *uuid)
{
	int			nibbles = 0;

	if (len != 36 && len != 32)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		int			v;

		if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23))
		{
			if (tok[i] != '-')
				return false;
			continue;
		}
		v = hex_value(tok[i]);
		if (v < 0)
			return false;
		if (nibbles % 2 == 0)
			uuid[nibbles / 2] = (uint8) (v << 4);
		else
			uuid[nibbles / 2] |= (uint8) v;
		nibbles++;
	}
	return nibbles == 32;
}

static const char *
parse_uuid(const char *text, const char *p, uint8 *uuid)
{
	const char *start = p;

	while (*p && *p != ':' && *p != ',' && !isspace((unsigned char) *p))
		p++;
	if (p == start)
		gtid_error(text, *p ? psprintf("A server uuid is missing before \"%s\".", p) :
				   "A server uuid is missing at the end.", NULL);
	if (!uuid_from_token(start, p - start, uuid))
		gtid_error(text, psprintf("\"%.*s\" is not a server uuid (32 hex digits, as 8-4-4-4-12).",
								  (int) (p - start), start), NULL);
	return p;
}

static const char *
parse_gno(const char *text, const char *p, int64 *gno)
{
	int64		v = 0;
	const char *start = p;

	if (*p == '_' || isalpha((unsigned char) *p))
		gtid_error(text, "Tagged GTIDs (uuid:tag:number, MySQL 8.3 and later) are not supported.",
				   "Give a set without tags.");
	while (isdigit((unsigned char) *p))
	{
		int			d = *p++ - '0';

		if (v > (GTID_GNO_MAX - d) / 10)
			gtid_error(text, "GTID numbers run from 1 to 9223372036854775806.", NULL);
		v = v * 10 + d;
	}
	if (p == start)
		gtid_error(text, *p ? psprintf("A transaction number is missing before \"%s\".", p) :
				   "A transaction number is missing at the end.", NULL);
	if (v == 0)
		gtid_error(text, "GTID numbers run from 1 to 9223372036854775806.", NULL);
	*gno = v;
	return p;
}

/* One ":n" or ":first-last"; p is past the colon. */
static const char *
parse_interval(const char *text, const char *p, ChameleonGtidInterval *iv)
{
	int64		first,
				last;

	p = parse_gno(text, skip_space(p), &first);
	p = skip_space(p);
	last = first;
	if (*p == '-')
	{
		p = parse_gno(text, skip_space(p + 1), &last);
		if (last < first)
			gtid_error(text, psprintf("Interval " INT64_FORMAT "-" INT64_FORMAT " ends before it starts.",
									  first, last), NULL);
	}
	iv->start = first;
	iv->end = last + 1;
	return skip_space(p);
}

static int
compare_sids(const void *a, const void *b)
{
	return memcmp(((const ChameleonGtidSid *) a)->uuid,
				  ((const ChameleonGtidSid *) b)->uuid, 16);
}

static int
compare_intervals(const void *a, const void *b)
{
	const ChameleonGtidInterval *x = a;
	const ChameleonGtidInterval *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end ? 1 : 0;
}

/* Sort the intervals of one sid and merge overlapping and adjacent ones. */
static void
normalize_intervals(ChameleonGtidSid *sid)
{
	int			n = 0;

	qsort(sid->intervals, sid->nintervals, sizeof(ChameleonGtidInterval), compare_intervals);
	for (int i = 0; i < sid->nintervals; i++)
	{
		ChameleonGtidInterval *iv = &sid->intervals[i];

		if (n > 0 && iv->start <= sid->intervals[n - 1].end)
			sid->intervals[n - 1].end = Max(sid->intervals[n - 1].end, iv->end);
		else
			sid->intervals[n++] = *iv;
	}
	sid->nintervals = n;
}

/* One entry per uuid, in byte order, each with normal intervals. */
static void
normalize_set(ChameleonGtidSet *set)
{
	int			n = 0;

	qsort(set->sids, set->nsids, sizeof(ChameleonGtidSid), compare_sids);
	for (int i = 0; i < set->nsids; i++)
	{
		ChameleonGtidSid *s = &set->sids[i];

		if (n > 0 && memcmp(set->sids[n - 1].uuid, s->uuid, 16) == 0)
		{
			ChameleonGtidSid *into = &set->sids[n - 1];

			into->intervals = repalloc(into->intervals, sizeof(ChameleonGtidInterval) *
									   (into->nintervals + s->nintervals));
			memcpy(into->intervals + into->nintervals, s->intervals,
				   sizeof(ChameleonGtidInterval) * s->nintervals);
			into->nintervals += s->nintervals;
		}
		else
			set->sids[n++] = *s;
	}
	set->nsids = n;
	for (int i = 0; i < set->nsids; i++)
		normalize_intervals(&set->sids[i]);
}

ChameleonGtidSet *
chameleon_gtid_set_parse(const char *text)
{
	ChameleonGtidSet *set = palloc0(sizeof(ChameleonGtidSet));
	int			maxsids = 4;
	const char *p = skip_space(text);

	if (*p == '\0')
		gtid_error(text, "The set is empty.",
				   "Give a non-empty set; to read from the oldest binlog, give no GTID set.");
	set->sids = palloc(sizeof(ChameleonGtidSid) * maxsids);
	for (;;)
	{
		ChameleonGtidSid *sid;
		int			maxiv = 4;

		if (set->nsids == maxsids)
		{
			maxsids *= 2;
			set->sids = repalloc(set->sids, sizeof(ChameleonGtidSid) * maxsids);
		}
		sid = &set->sids[set->nsids++];
		p = skip_space(parse_uuid(text, p, sid->uuid));
		if (*p != ':')
			gtid_error(text, psprintf("Server uuid %s has no interval (\"uuid:first-last\").",
									  chameleon_format_uuid(sid->uuid)), NULL);
		sid->nintervals = 0;
		sid->intervals = palloc(sizeof(ChameleonGtidInterval) * maxiv);
		while (*p == ':')
		{
			if (sid->nintervals == maxiv)
			{
				maxiv *= 2;
				sid->intervals = repalloc(sid->intervals, sizeof(ChameleonGtidInterval) * maxiv);
			}
			p = parse_interval(text, p + 1, &sid->intervals[sid->nintervals++]);
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			gtid_error(text, psprintf("Unexpected \"%s\" after an interval.", p), NULL);
		p = skip_space(p + 1);
	}
	normalize_set(set);
	return set;
}

char *
chameleon_gtid_set_format(const ChameleonGtidSet *set)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < set->nsids; i++)
	{
		const ChameleonGtidSid *sid = &set->sids[i];

		appendStringInfo(&s, "%s%s", i ? "," : "", chameleon_format_uuid(sid->uuid));
		for (int j = 0; j < sid->nintervals; j++)
		{
			const ChameleonGtidInterval *iv = &sid->intervals[j];

			if (iv->end - 1 == iv->start)
				appendStringInfo(&s, ":" INT64_FORMAT, iv->start);
			else
				appendStringInfo(&s, ":" INT64_FORMAT "-" INT64_FORMAT, iv->start, iv->end - 1);
		}
	}
	return s.data;
}

static uint8 *
put_le(uint8 *p, uint64 v, int n)
{
	for (int i = 0; i < n; i++)
		*p++ = (uint8) ((v >> (8 * i)) & 0xff);
	return p;
}

uint8 *
chameleon_gtid_set_encode(const ChameleonGtidSet *set, size_t *len)
{
	size_t		size = 8;
	uint8	   *buf;
	uint8	   *p;

	for (int i = 0; i < set->nsids; i++)
		size += 16 + 8 + 16 * (size_t) set->sids[i].nintervals;
	buf = palloc(size);
	p = put_le(buf, (uint64) set->nsids, 8);
	for (int i = 0; i < set->nsids; i++)
	{
		const ChameleonGtidSid *sid = &set->sids[i];

		memcpy(p, sid->uuid, 16);
		p = put_le(p + 16, (uint64) sid->nintervals, 8);
		for (int j = 0; j < sid->nintervals; j++)
		{
			p = put_le(p, (uint64) sid->intervals[j].start, 8);
			p = put_le(p, (uint64) sid->intervals[j].end, 8);
		}
	}
	Assert(p == buf + size);
	*len = size;
	return buf;
}

uint8 *
chameleon_binlog_dump_gtid_payload(const ChameleonGtidSet *set, uint32 server_id,
								   bool non_blocking, size_t *len)
{
	size_t		datalen;
	uint8	   *data = chameleon_gtid_set_encode(set, &datalen);
	uint16		flags = CHAMELEON_BINLOG_THROUGH_GTID |
		(non_blocking ? CHAMELEON_BINLOG_DUMP_NON_BLOCK : 0);
	uint8	   *buf;
	uint8	   *p;

	if (datalen > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("MySQL GTID set of %zu bytes is too large to send", datalen)));
	buf = palloc(2 + 4 + 4 + 8 + 4 + datalen);
	p = put_le(buf, flags, 2);
	p = put_le(p, server_id, 4);
	p = put_le(p, 0, 4);		/* binlog name length: no name */
	p = put_le(p, 4, 8);		/* position */
	p = put_le(p, datalen, 4);
	memcpy(p, data, datalen);
	p += datalen;
	*len = p - buf;
	return buf;
}
