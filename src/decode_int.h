/*
 * decode_int.h -- internal interface between decode.c and decode_types.c.
 *
 * decode_types.c owns the fixed-format values: integers, FLOAT/DOUBLE,
 * NEWDECIMAL, BIT, YEAR and every temporal format (old and "2" formats).
 * Each reader consumes its bytes from a ChameleonByteReader and returns a
 * palloc'd string in the canonical form of typemap.h, or NULL for a value
 * that maps to SQL NULL (zero dates).
 */
#ifndef CHAMELEON_DECODE_INT_H
#define CHAMELEON_DECODE_INT_H

#include "binlog_read.h"
#include "decode.h"

extern char *chameleon_decode_integer(ChameleonByteReader *r, int nbytes,
									  bool is_unsigned, bool as_bool);
extern char *chameleon_decode_float4(ChameleonByteReader *r);
extern char *chameleon_decode_float8(ChameleonByteReader *r);
extern char *chameleon_decode_newdecimal(ChameleonByteReader *r, int precision, int scale);
extern char *chameleon_decode_bit(ChameleonByteReader *r, int nbits);
extern char *chameleon_decode_year(ChameleonByteReader *r);

/* DATE/NEWDATE, TIME/TIME2, DATETIME/DATETIME2, TIMESTAMP/TIMESTAMP2. */
extern char *chameleon_decode_temporal(ChameleonByteReader *r,
									   const ChameleonMapColumn *c,
									   bool zero_dates_to_null);

#endif							/* CHAMELEON_DECODE_INT_H */
