/*
 * type_override.h -- checks of the configuration's type_override against
 * PostgreSQL (type_override.c).
 */
#ifndef CHAMELEON_TYPE_OVERRIDE_H
#define CHAMELEON_TYPE_OVERRIDE_H

#include "typemap.h"

/*
 * ERROR, naming the table and column, when pt came from a type_override
 * whose PostgreSQL type does not exist or cannot take the values of the
 * MySQL type; nothing otherwise.  In a transaction.
 */
extern void chameleon_type_override_check(const char *table, const char *column,
										  const ChameleonMySQLType *mt,
										  const ChameleonPgType *pt);

#endif							/* CHAMELEON_TYPE_OVERRIDE_H */
