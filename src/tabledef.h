/*
 * tabledef.h -- a table's definition read from the source's
 * information_schema, for decoding rows when the binlog's table map does
 * not describe the columns (binlog_row_metadata other than FULL).
 *
 * RACE: information_schema describes the table as it is now, not as it was
 * when an old event was written; a table altered between the two is decoded
 * with the wrong shape (the decoder refuses a different column count).
 * binlog_row_metadata=FULL avoids the lookup altogether.
 */
#ifndef CHAMELEON_TABLEDEF_H
#define CHAMELEON_TABLEDEF_H

#include "config.h"
#include "decode.h"
#include "mysql_client.h"

/*
 * Columns of schema.table in ordinal order: name, signedness, ENUM/SET
 * labels, charset, and the value kind the type mapping gives them with the
 * config's options.  NULL when the table does not exist.
 */
extern ChameleonTableDef *chameleon_tabledef_from_source(MYSQL *conn,
														 const ChameleonConfig *cfg,
														 const char *schema,
														 const char *table);

#endif							/* CHAMELEON_TABLEDEF_H */
