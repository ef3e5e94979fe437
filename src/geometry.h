/*
 * geometry.h -- MySQL spatial values to EWKB (geometry.c).
 */
#ifndef CHAMELEON_GEOMETRY_H
#define CHAMELEON_GEOMETRY_H

#include "lib/stringinfo.h"

/*
 * Append the EWKB of a MySQL spatial value (its internal format: a 4-byte
 * little-endian SRID, then WKB) to out: WKB with the SRID flag and the SRID
 * after the type when the SRID is not 0, plain WKB when it is.  false (and
 * nothing appended) when the value is not one (too short, a bad byte order).
 */
extern bool chameleon_geometry_to_ewkb(const uint8 *in, size_t len, StringInfo out);

/*
 * The same as hex text, as PostgreSQL reads it: for PostGIS geometry_in
 * ("0101000020E6...", postgis) or for bytea ("\\x0101..."); NULL when the
 * value is not a spatial value.
 */
extern char *chameleon_geometry_text(const uint8 *in, size_t len, bool postgis);

#endif							/* CHAMELEON_GEOMETRY_H */
