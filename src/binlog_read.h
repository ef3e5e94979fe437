/*
 * binlog_read.h -- bounds-checked little/big-endian readers over a byte range.
 *
 * Every read of binlog bytes in binlog*.c and decode*.c goes through these
 * helpers: a read past the end of the range is an ERROR with
 * ERRCODE_DATA_CORRUPTED naming what was being read, never a crash.  The
 * position in the binlog is added by the caller's error context callback.
 */
#ifndef CHAMELEON_BINLOG_READ_H
#define CHAMELEON_BINLOG_READ_H

typedef struct ChameleonByteReader
{
	const uint8 *p;				/* next byte to read */
	const uint8 *end;			/* one past the last readable byte */
} ChameleonByteReader;

static inline void
chameleon_reader_init(ChameleonByteReader *r, const uint8 *data, size_t len)
{
	r->p = data;
	r->end = data + len;
}

static inline size_t
chameleon_reader_left(const ChameleonByteReader *r)
{
	return (size_t) (r->end - r->p);
}

extern void chameleon_reader_overrun(const ChameleonByteReader *r, size_t need,
									 const char *what) pg_attribute_noreturn();

/* Return a pointer to the next n bytes and step over them. */
static inline const uint8 *
chameleon_read_bytes(ChameleonByteReader *r, size_t n, const char *what)
{
	const uint8 *p = r->p;

	if (chameleon_reader_left(r) < n)
		chameleon_reader_overrun(r, n, what);
	r->p += n;
	return p;
}

/* Unsigned little-endian integer of n (1..8) bytes. */
static inline uint64
chameleon_read_uint_le(ChameleonByteReader *r, int n, const char *what)
{
	const uint8 *p = chameleon_read_bytes(r, n, what);
	uint64		v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Unsigned big-endian integer of n (1..8) bytes. */
static inline uint64
chameleon_read_uint_be(ChameleonByteReader *r, int n, const char *what)
{
	const uint8 *p = chameleon_read_bytes(r, n, what);
	uint64		v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline uint8
chameleon_read_u8(ChameleonByteReader *r, const char *what)
{
	return *chameleon_read_bytes(r, 1, what);
}

static inline uint16
chameleon_read_u16(ChameleonByteReader *r, const char *what)
{
	return (uint16) chameleon_read_uint_le(r, 2, what);
}

static inline uint32
chameleon_read_u32(ChameleonByteReader *r, const char *what)
{
	return (uint32) chameleon_read_uint_le(r, 4, what);
}

static inline uint64
chameleon_read_u64(ChameleonByteReader *r, const char *what)
{
	return chameleon_read_uint_le(r, 8, what);
}

/*
 * MySQL "length-encoded integer" (packed integer): one byte < 251, or a
 * marker 0xfc/0xfd/0xfe followed by 2/3/8 bytes.  0xfb (NULL) and 0xff are
 * not valid where we read them.
 */
extern uint64 chameleon_read_packed(ChameleonByteReader *r, const char *what);

/* Little-endian value from a byte pointer whose bounds were checked already. */
static inline uint64
chameleon_uint_le(const uint8 *p, int n)
{
	uint64		v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64
chameleon_uint_be(const uint8 *p, int n)
{
	uint64		v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Bit i of a little-endian-ordered bitmap (bit 0 = lowest bit of byte 0). */
static inline bool
chameleon_bit_is_set(const uint8 *bitmap, int i)
{
	return (bitmap[i / 8] >> (i % 8)) & 1;
}

#endif							/* CHAMELEON_BINLOG_READ_H */
