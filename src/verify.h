/*
 * verify.h -- chameleon.verify_tables(): is each PostgreSQL table equal to
 * its MySQL table?  See verify.c.
 */
#ifndef CHAMELEON_VERIFY_H
#define CHAMELEON_VERIFY_H

#include "catalog.h"

/* Rows a chunk reads on each side. */
#define CHAMELEON_VERIFY_CHUNK_ROWS		20000

/* The result of one table. */
typedef struct ChameleonVerifyResult
{
	char	   *mysql_table;
	const char *status;			/* "equal", "differs", "skipped", "error" */
	int64		mysql_rows;		/* -1: not counted */
	int64		pg_rows;
	uint64		mysql_checksum;
	uint64		pg_checksum;
	bool		counted;		/* the checksums mean something */
	int64		differing_rows;
	int			chunks;			/* compared in this many chunks (positions) */
	char	   *first_difference;	/* NULL when none */
	char	   *detail;			/* why skipped, the error, or what differs */
} ChameleonVerifyResult;

/*
 * Compare the tables (char *; NIL: every replicated table) of src; a
 * ChameleonVerifyResult * per table, by name.
 */
extern List *chameleon_verify_run(const ChameleonSource *src, List *tables);

#endif							/* CHAMELEON_VERIFY_H */
