/*
 * spi_util.h -- the one way pg_chameleon talks SPI: connect (the one place
 * "SPI_connect failed" is handled), run a statement with typed parameters
 * and check its result code, copy a result cell out of SPI's memory.
 */
#ifndef CHAMELEON_SPI_UTIL_H
#define CHAMELEON_SPI_UTIL_H

#include "executor/spi.h"
#include "nodes/pg_list.h"

/* SPI_connect(), ERROR if it fails. */
extern void chameleon_spi_connect(void);

/*
 * Run sql with nargs parameters (read_only, at most count rows, 0: all),
 * back in the caller's memory context afterwards (SPI leaves it in its
 * procedure context, which lives as long as the transaction).  ERROR
 * "could not <what>: <SPI result>" unless SPI returns expected (0: any
 * success).  Returns SPI_processed.  The caller is SPI-connected.
 */
extern uint64 chameleon_spi_run(const char *sql, int nargs, Oid *types, Datum *values,
								const char *nulls, bool read_only, long count,
								int expected, const char *what);

/* The same in a connection of its own (connect, run, finish). */
extern uint64 chameleon_spi_run_once(const char *sql, int nargs, Oid *types, Datum *values,
									 const char *nulls, int expected, const char *what);

/* Cell (row, col) of SPI_tuptable as text in cxt, or NULL. */
extern char *chameleon_spi_text(uint64 row, int col, MemoryContext cxt);

/* A text datum of s, or a NULL parameter (*null = 'n'). */
extern Datum chameleon_spi_text_arg(const char *s, char *null);

/* A text[] datum of a List of C strings. */
extern Datum chameleon_spi_text_array(List *strings);

/* Cell (row, col) of SPI_tuptable, a text[], as a List of C strings in cxt. */
extern List *chameleon_spi_text_list(uint64 row, int col, MemoryContext cxt);

#endif							/* CHAMELEON_SPI_UTIL_H */
