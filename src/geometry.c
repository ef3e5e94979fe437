/*
 * geometry.c -- MySQL spatial values to EWKB, the form PostGIS reads.
 *
 * MySQL (and MariaDB) hand spatial values, in a SELECT of the column as in
 * the binlog, in their internal format: the SRID as a 4-byte little-endian
 * integer, then the value's WKB (OGC well-known binary: a byte-order byte,
 * a 4-byte geometry type in that byte order, then the coordinates).  PostGIS
 * reads EWKB: the same WKB with the flag 0x20000000 in the type and the SRID
 * (in the WKB's byte order) right after the type, when there is an SRID.
 * Only the outer geometry carries it; the rest of the WKB is copied as is.
 *
 * Axis order: MySQL 8 stores geographic coordinates longitude first in the
 * internal format, whatever the SRS's axis order (MySQL worklog WL#9436:
 * "MySQL will interpret stored geometries as if they are in
 * longitude-latitude format"; only its WKT/WKB functions follow the SRS,
 * lat-long for EPSG 4326, unless asked 'axis-order=long-lat').  PostGIS
 * keeps x = longitude too, so the coordinates need no swap.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "geometry.h"
#include "typemap.h"

#define EWKB_SRID_FLAG	0x20000000u

static uint32
read_u32(const uint8 *p, bool little)
{
	return little ?
		(uint32) p[0] | ((uint32) p[1] << 8) | ((uint32) p[2] << 16) | ((uint32) p[3] << 24) :
		(uint32) p[3] | ((uint32) p[2] << 8) | ((uint32) p[1] << 16) | ((uint32) p[0] << 24);
}

static void
append_u32(StringInfo out, uint32 v, bool little)
{
	uint8		b[4];

	for (int i = 0; i < 4; i++)
		b[little ? i : 3 - i] = (v >> (8 * i)) & 0xff;
	appendBinaryStringInfo(out, (const char *) b, 4);
}

bool
chameleon_geometry_to_ewkb(const uint8 *in, size_t len, StringInfo out)
{
	uint32		srid;
	const uint8 *wkb;
	bool		little;
	uint32		type;

	/* SRID, byte order, type */
	if (len < 4 + 1 + 4)
		return false;
	srid = read_u32(in, true);
	wkb = in + 4;
	if (wkb[0] > 1)
		return false;
	little = wkb[0] == 1;
	type = read_u32(wkb + 1, little);
	if (type & EWKB_SRID_FLAG)
		return false;			/* not MySQL's: it has no SRID flag */
	appendStringInfoChar(out, (char) wkb[0]);
	append_u32(out, srid != 0 ? (type | EWKB_SRID_FLAG) : type, little);
	if (srid != 0)
		append_u32(out, srid, little);
	appendBinaryStringInfo(out, (const char *) wkb + 5, len - 4 - 5);
	return true;
}

char *
chameleon_geometry_text(const uint8 *in, size_t len, bool postgis)
{
	static const char hex[] = "0123456789abcdef";
	StringInfoData ewkb;
	StringInfoData text;

	initStringInfo(&ewkb);
	if (!chameleon_geometry_to_ewkb(in, len, &ewkb))
	{
		pfree(ewkb.data);
		return NULL;
	}
	initStringInfo(&text);
	enlargeStringInfo(&text, ewkb.len * 2 + 3);
	if (!postgis)
		appendStringInfoString(&text, "\\x");
	for (int i = 0; i < ewkb.len; i++)
	{
		uint8		b = (uint8) ewkb.data[i];

		text.data[text.len++] = hex[b >> 4];
		text.data[text.len++] = hex[b & 0xf];
	}
	text.data[text.len] = '\0';
	pfree(ewkb.data);
	return text.data;
}

char *
chameleon_postgis_schema(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *schema = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("postgis"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		schema = get_namespace_name(((Form_pg_extension) GETSTRUCT(tup))->extnamespace);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return schema;
}
