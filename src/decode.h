/*
 * decode.h -- rows events to column values in PostgreSQL's canonical text.
 *
 * decode.c owns the row walker (columns-present bitmaps, the NULL bitmap
 * over present columns, UPDATE before/after pairs) and the value decoders
 * for every MySQL/MariaDB column type, producing exactly the text forms
 * documented in typemap.h, in the database encoding.  decode_json.c owns
 * MySQL's binary JSON.
 *
 * What a TABLE_MAP does not say (signedness, ENUM/SET labels, names,
 * charsets without binlog_row_metadata=FULL; UUID/INET6 behind BINARY(16))
 * comes from a caller-supplied table definition, which must describe the
 * table as it was when the event was written (never the current catalog
 * for an old event).
 */
#ifndef CHAMELEON_DECODE_H
#define CHAMELEON_DECODE_H

#include "binlog.h"
#include "typemap.h"

/* One column of a caller-supplied table definition. */
typedef struct ChameleonColumnDef
{
	char	   *name;			/* NULL: from the table map, else colN */
	int			kind;			/* ChameleonValueKind, or -1: from the binlog type */
	int8		is_unsigned;	/* 1/0, -1 unknown */
	List	   *labels;			/* ENUM/SET labels (char *, database encoding) */
	char	   *charset;		/* MySQL charset name ("binary", "latin1"), or NULL */
} ChameleonColumnDef;

typedef struct ChameleonTableDef
{
	int			ncols;
	ChameleonColumnDef *cols;
} ChameleonTableDef;

typedef struct ChameleonDecodeOptions
{
	bool		zero_dates_to_null; /* zero or partial dates: NULL (true) or ERROR */
} ChameleonDecodeOptions;

/* A column resolved from the table map and the definition. */
typedef struct ChameleonDecodeColumn
{
	const ChameleonMapColumn *map;
	char	   *name;
	ChameleonValueKind kind;
	bool		is_unsigned;
	int			encoding;		/* source PostgreSQL encoding; -1 binary,
								 * -2 unknown, -3 UTF-16BE/UCS-2, -4 UTF-16LE,
								 * -5 UTF-32 */
	int			nlabels;		/* -1 unknown */
	char	  **labels;			/* database encoding */
} ChameleonDecodeColumn;

typedef struct ChameleonDecodeTable
{
	const ChameleonTableMap *map;
	char	   *name;			/* schema.table, for messages */
	int			ncols;
	ChameleonDecodeColumn *cols;
	ChameleonDecodeOptions opts;
} ChameleonDecodeTable;

/* One row image: per column present / NULL / text (database encoding). */
typedef struct ChameleonRowImage
{
	int			ncols;
	bool	   *present;
	bool	   *isnull;
	char	  **values;
} ChameleonRowImage;

typedef struct ChameleonRowChange
{
	ChameleonRowsKind kind;
	ChameleonRowImage before;	/* UPDATE, DELETE */
	ChameleonRowImage after;	/* WRITE, UPDATE */
} ChameleonRowChange;

typedef struct ChameleonRowIterator
{
	const ChameleonDecodeTable *table;
	const ChameleonRowsEvent *ev;
	const uint8 *p;
	const uint8 *end;
} ChameleonRowIterator;

/*
 * Resolve the columns of a table map; def and opts may be NULL.  A def whose
 * column count differs from the table map is an ERROR (the table changed).
 */
extern ChameleonDecodeTable *chameleon_decode_prepare(const ChameleonTableMap *map,
													  const ChameleonTableDef *def,
													  const ChameleonDecodeOptions *opts);

extern void chameleon_rows_begin(ChameleonRowIterator *it,
								 const ChameleonDecodeTable *table,
								 const ChameleonRowsEvent *ev);

/* Next row change of the event (palloc'd in CurrentMemoryContext); false at the end. */
extern bool chameleon_rows_next(ChameleonRowIterator *it, ChameleonRowChange *change);

/* MySQL collation id -> MySQL charset name, NULL if unknown. */
extern const char *chameleon_collation_charset(int collation_id);

/* MySQL binary JSON (decode_json.c) -> JSON text. */
extern char *chameleon_mysql_json_to_text(const uint8 *data, size_t len);

#endif							/* CHAMELEON_DECODE_H */
