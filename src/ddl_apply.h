/*
 * ddl_apply.h -- DDL from the binlog applied by the apply worker, and the
 * MySQL shape of the replicated tables that it keeps.
 *
 * ddl_shape.c owns sch_chameleon.t_table_columns and t_table_indexes: the
 * MySQL shape (columns in MySQL's order with their types, keys) of every
 * replicated table AS THE BINLOG HAS IT.  init_replica records the shape it
 * copied; the worker updates it with every DDL statement it reads, in the
 * transaction that applies the statement and moves the position.  The
 * worker never asks MySQL for a table's current shape: MySQL is ahead of
 * the binlog being read.
 *
 * ddl_apply.c owns the worker's side of a QUERY event that is not
 * BEGIN/COMMIT: translation (ddl.h) against a catalog loaded from the shape
 * tables, each statement applied in a subtransaction of the apply
 * transaction, sch_chameleon.t_ddl, t_replica_tables bookkeeping (CREATE,
 * DROP, RENAME), the error isolation of a failed statement (table error,
 * t_errors row with operation 'ddl'), statement-based DML (INSERT/UPDATE/
 * DELETE/REPLACE/LOAD DATA as SQL text, also from EXECUTE_LOAD_QUERY events:
 * never applied, never skipped in silence -- the replicated tables it writes
 * go to error with a t_errors row of operation 'statement'), and the table
 * definition rows events are decoded with (chameleon_ddl_apply_table_def).
 */
#ifndef CHAMELEON_DDL_APPLY_H
#define CHAMELEON_DDL_APPLY_H

#include "apply_session.h"
#include "binlog.h"
#include "config.h"
#include "ddl.h"
#include "decode.h"
#include "schema.h"

/* ---------- ddl_shape.c ---------- */

/* Store (replace) the shape of a table; t NULL: forget it. */
/* A replicated table with ON UPDATE CURRENT_TIMESTAMP columns (detach makes triggers). */
typedef struct ChameleonOnUpdateTable
{
	char	   *pg_schema;
	char	   *pg_table;
	List	   *columns;		/* char *: the columns, in MySQL's order */
} ChameleonOnUpdateTable;

/* The source's replicated tables (not removed) that have such columns. */
extern List *chameleon_shape_on_update_columns(int32 source_id);

extern void chameleon_shape_save(int32 source_id, const char *mysql_table,
								 const ChameleonDdlTable *t);
/*
 * The stored shape of the table of key mysql_table, MySQL table db.table
 * (allocated in the current context), or NULL.
 */
extern ChameleonDdlTable *chameleon_shape_load(int32 source_id, const char *mysql_table,
											   const char *db, const char *table);
/* The shape of a table init_replica read from information_schema. */
extern ChameleonDdlTable *chameleon_shape_from_schema(const char *db, const ChameleonTable *t);
/* A decoding definition from a shape: names, value kinds, signedness, labels, charsets. */
extern ChameleonTableDef *chameleon_shape_table_def(const ChameleonDdlTable *t,
													const ChameleonTypeOptions *opts);

/* ---------- ddl_apply.c (apply worker, in its transaction) ---------- */

/* Start of a streaming session: forget the catalog (it reloads from the shape tables). */
extern void chameleon_ddl_apply_session_start(ChameleonApplySession *session);
/*
 * A QUERY event that is not BEGIN/COMMIT, at (file, pos): translate, apply,
 * record.  Tables that are syncing, removed, in error or copied after pos
 * are left alone (chameleon_apply_table_takes_ddl).
 */
/*
 * After the apply transaction committed: start the copy of the tables
 * that entered the replica by RENAME TABLE in it (a sync worker).
 */
extern void chameleon_ddl_apply_committed(void);

extern void chameleon_ddl_apply_query(const ChameleonQueryEvent *q, const char *file,
									  uint64 pos);
/*
 * The decoding definition of db.table as the binlog has it now, or NULL
 * when its shape is not known (allocated in the current context).
 */
extern ChameleonTableDef *chameleon_ddl_apply_table_def(const char *db, const char *table);

#endif							/* CHAMELEON_DDL_APPLY_H */
