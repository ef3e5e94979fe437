/*
 * binlog_file.c -- a local binlog file as a source of events.
 *
 * Owns reading a binlog file from disk: the 4-byte magic (0xfe 'b' 'i' 'n'),
 * then whole events framed by the size in their common header.  The file is
 * opened with AllocateFile, so an ERROR closes it.  A file whose last event
 * is cut short (a server still writing it) ends there with a NOTICE.
 */
#include "postgres.h"

#include "storage/fd.h"
#include "utils/memutils.h"

#include "binlog.h"
#include "binlog_read.h"

typedef struct BinlogFileSource
{
	FILE	   *fp;
	char	   *path;
	uint8	   *buf;
	size_t		cap;
} BinlogFileSource;

static bool
file_next(ChameleonBinlogReader *reader, const uint8 **buf, size_t *len)
{
	BinlogFileSource *src = (BinlogFileSource *) reader->source;
	size_t		got;
	uint32		size;

	if (src->fp == NULL)
		return false;

	got = fread(src->buf, 1, BL_HEADER_LEN, src->fp);
	if (got == 0 && feof(src->fp))
		return false;
	if (got < BL_HEADER_LEN)
	{
		if (ferror(src->fp))
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read binlog file \"%s\": %m", src->path)));
		ereport(NOTICE,
				(errmsg("binlog file \"%s\" ends inside an event header at position " UINT64_FORMAT,
						src->path, reader->position),
				 errdetail("The server may still be writing the file.")));
		return false;
	}

	size = (uint32) chameleon_uint_le(src->buf + 9, 4);
	if (size < BL_HEADER_LEN || size >= MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid event size %u in binlog file \"%s\" at position " UINT64_FORMAT,
						size, src->path, reader->position)));
	if (size > src->cap)
	{
		src->cap = Max(size, src->cap * 2);
		src->buf = repalloc(src->buf, src->cap);
	}

	got = fread(src->buf + BL_HEADER_LEN, 1, size - BL_HEADER_LEN, src->fp);
	if (got < size - BL_HEADER_LEN)
	{
		if (ferror(src->fp))
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read binlog file \"%s\": %m", src->path)));
		ereport(NOTICE,
				(errmsg("binlog file \"%s\" ends inside an event at position " UINT64_FORMAT,
						src->path, reader->position),
				 errdetail("The event needs %u bytes, %zu are there; the server may still be writing the file.",
						   size, got + BL_HEADER_LEN)));
		return false;
	}
	*buf = src->buf;
	*len = size;
	return true;
}

static void
file_close(ChameleonBinlogReader *reader)
{
	BinlogFileSource *src = (BinlogFileSource *) reader->source;

	if (src->fp)
		FreeFile(src->fp);
	src->fp = NULL;
}

static const ChameleonBinlogSourceOps file_ops = {
	.next = file_next,
	.close = file_close,
};

ChameleonBinlogReader *
chameleon_binlog_open_file(const char *path)
{
	ChameleonBinlogReader *reader = palloc0(sizeof(ChameleonBinlogReader));
	BinlogFileSource *src = palloc0(sizeof(BinlogFileSource));
	uint8		magic[4];
	const char *base;

	src->path = pstrdup(path);
	src->fp = AllocateFile(path, PG_BINARY_R);
	if (src->fp == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open binlog file \"%s\": %m", path)));
	if (fread(magic, 1, 4, src->fp) != 4 ||
		memcmp(magic, "\xfe" "bin", 4) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("\"%s\" is not a binlog file", path),
				 errdetail("A binlog file starts with the bytes fe 62 69 6e.")));
	src->cap = 64 * 1024;
	src->buf = palloc(src->cap);

	reader->cxt = CurrentMemoryContext;
	chameleon_binlog_state_init(&reader->state);
	reader->ops = &file_ops;
	reader->source = src;
	base = strrchr(path, '/');
	reader->file = pstrdup(base ? base + 1 : path);
	reader->position = 4;
	reader->is_file = true;
	return reader;
}
