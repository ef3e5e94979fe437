/*
 * copy_values.h -- MySQL text-protocol values to canonical PostgreSQL text.
 *
 * copy_values.c owns turning one value as the MySQL text protocol sends it
 * (for the SELECT list copy.c builds with chameleon_select_expr()) into the
 * canonical PostgreSQL input text of typemap.h, and escaping that text for
 * COPY's text and CSV formats.  schema.c uses the same conversion for
 * literal column defaults, so a default and a copied value agree.
 */
#ifndef CHAMELEON_COPY_VALUES_H
#define CHAMELEON_COPY_VALUES_H

#include "lib/stringinfo.h"

#include "typemap.h"

/* How one column's values are converted (built once per column). */
typedef struct ChameleonValueConv
{
	ChameleonValueKind kind;
	int			bits;			/* BIT: the column width n */
	bool		zerofill;		/* strip MySQL's zero padding */
	bool		zero_dates_to_null;
} ChameleonValueConv;

typedef enum ChameleonConvStatus
{
	CHAMELEON_CONV_OK,			/* *out holds the value */
	CHAMELEON_CONV_NULL,		/* the value becomes NULL (zero date) */
	CHAMELEON_CONV_ZERO_DATE,	/* zero date and zero_dates_to_null is off */
	CHAMELEON_CONV_BAD_TEXT,	/* not valid UTF-8, or a NUL byte */
	CHAMELEON_CONV_BAD_VALUE	/* not a value of the kind (can't happen from MySQL) */
} ChameleonConvStatus;

/* Fill conv for a column of type mt mapped to pt. */
extern void chameleon_value_conv_init(ChameleonValueConv *conv,
									  const ChameleonMySQLType *mt,
									  const ChameleonPgType *pt,
									  bool zero_dates_to_null);

/*
 * The SELECT-list expression that makes MySQL send the column in the form
 * chameleon_convert_value() expects, for the quoted MySQL column name.
 */
extern char *chameleon_select_expr(const ChameleonValueConv *conv,
								   const ChameleonMySQLType *mt,
								   const char *quoted_column);

/*
 * Convert one non-NULL value of len bytes.  On CHAMELEON_CONV_OK, *out and
 * *outlen give the canonical text: either in itself or in scratch (which is
 * reset first).  The text is not escaped for COPY.
 */
extern ChameleonConvStatus chameleon_convert_value(const ChameleonValueConv *conv,
												   const char *in, size_t len,
												   StringInfo scratch,
												   const char **out, size_t *outlen);

/* A readable reason for a failed status, for errdetail. */
extern const char *chameleon_conv_status_message(ChameleonConvStatus status);

/* Append a value escaped for COPY text format (backslash, tab, LF, CR). */
extern void chameleon_copy_escape_text(StringInfo buf, const char *s, size_t len);

/* Append a value quoted for COPY CSV format ("..." with "" doubled). */
extern void chameleon_copy_escape_csv(StringInfo buf, const char *s, size_t len);

#endif							/* CHAMELEON_COPY_VALUES_H */
