/*
 * apply.c -- row changes into the replica's tables through SPI (see apply.h).
 *
 * Statements, all with text parameters cast to the column types (the
 * decoder produces PostgreSQL's canonical input text, so the cast is the
 * type's input function):
 *   INSERT INTO t (c...) SELECT u.c1::type1, ...
 *     FROM ROWS FROM (unnest($1::text[]), ...) u
 *     -- one statement for a whole run of inserts into one table;
 *   UPDATE t SET c = $i::type, ... WHERE k = $j::type ...   (primary key)
 *   DELETE FROM t WHERE k = $j::type ...
 *   without a primary key: WHERE ctid = (SELECT ctid FROM t WHERE every
 *     column IS NOT DISTINCT FROM its value LIMIT 1), so exactly one row.
 * An UPDATE or DELETE that finds no row is an error (the replica diverged).
 * Plans are prepared once per table version and statement shape (which
 * columns the row images carry) and kept with SPI_keepplan.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "apply.h"
#include "ddl_apply.h"
#include "decode.h"
#include "mysql_client.h"
#include "subxact.h"
#include "tabledef.h"
#include "apply_session.h"
#include "transaction.h"

/* Rows gathered before one INSERT is sent. */
#define INSERT_BATCH_ROWS	1000
/* ... or this many bytes of values. */
#define INSERT_BATCH_BYTES	(8 * 1024 * 1024)

typedef enum ApplyOp
{
	OP_INSERT,
	OP_UPDATE,
	OP_DELETE
} ApplyOp;

static const char *const op_names[] = {"insert", "update", "delete"};

/* A replicated table: one row of t_replica_tables. */
typedef struct ApplyTarget
{
	char		mysql_table[NAMEDATALEN * 2];	/* hash key */
	char	   *pg_schema;
	char	   *pg_table;
	char	   *state;
	char	   *snapshot_file;	/* NULL: no snapshot position */
	uint64		snapshot_pos;
	bool		in_error;		/* marked error: changes skipped */
	bool		careful;
	int64		batch_rows;		/* applied in this transaction */
} ApplyTarget;

/* A kept statement of one table version. */
typedef struct ApplyPlan
{
	ApplyOp		op;
	char	   *shape;			/* which columns it binds, e.g. "a:11101|b:10" */
	SPIPlanPtr	plan;
	int			nparams;
	int		   *param_col;		/* MySQL column of each parameter */
	bool	   *param_before;	/* parameter from the before image */
	int			nvalues;		/* INSERT: number of columns */
} ApplyPlan;

/* A table version: one TABLE_MAP resolved against the PostgreSQL table. */
struct ChameleonApplyTable
{
	uint64		table_id;		/* hash key */
	ApplyTarget *target;		/* NULL: not replicated */
	char	   *name;			/* "db.table" for messages */
	ChameleonDecodeTable *decode;
	char	   *qualified;		/* "schema"."table" */
	int			ncols;			/* MySQL columns */
	char	  **colname;		/* quoted PostgreSQL name, NULL: no column */
	char	  **coltype;		/* qualified type name for casts */
	bool	   *is_key;			/* part of the row identity */
	bool		has_pk;
	List	   *plans;			/* ApplyPlan * */
};

/* Session state */
static MemoryContext ApplySessionContext = NULL;	/* the session */
static MemoryContext TargetsContext = NULL; /* Targets (child of the above) */
static MemoryContext VersionsContext = NULL;	/* Tables, their plans (child) */
static MemoryContext InsertContext = NULL;	/* the pending INSERT */
static HTAB *Targets = NULL;
static HTAB *Tables = NULL;
/* The session being applied (source, config, where, contexts, stop flag). */
static ChameleonApplySession *Session = NULL;
static MYSQL *SideConn = NULL;	/* information_schema lookups */
static bool SpiConnected = false;
static List *CarefulTables = NIL;	/* char *, in TopMemoryContext */

/* The statement being executed, for error attribution. */
static ApplyTarget *CurrentTarget = NULL;

/* The pending INSERT: consecutive rows for one table and shape. */
typedef struct InsertBuffer
{
	ChameleonApplyTable *table;
	ApplyPlan  *plan;
	int			nrows;
	Size		bytes;
	Datum	  **values;			/* per parameter: nrows text datums */
	bool	  **nulls;
} InsertBuffer;

static InsertBuffer Pending;

/* on_error: stop -- the rejected row, kept for the final transaction. */
typedef struct StopError
{
	bool		valid;
	char	   *file;
	uint64		pos;
	char	   *gtid;
	char	   *mysql_table;
	char	   *operation;
	char	   *row_json;
	char	   *message;
	char	   *sqlstate;
} StopError;

static StopError PendingStopError;

/* Parameter types of the t_errors INSERT and the t_replica_tables UPDATE. */
static Oid	error_types[9] = {INT4OID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID,
TEXTOID, TEXTOID, TEXTOID};
static Oid	update_types[3] = {INT4OID, TEXTOID, TEXTOID};

static void flush_insert(void);

/* ---------------------------------------------------------------------
 * SPI helpers
 * ---------------------------------------------------------------------
 */

/*
 * SPI leaves CurrentMemoryContext in its procedure context, which lives as
 * long as the transaction: every SPI call here goes back to the caller's
 * context, or a million-row transaction would keep every row's values.
 */
static void
run_write(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	MemoryContextSwitchTo(cxt);
	if (ret < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
}

static Datum
text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* ---------------------------------------------------------------------
 * Targets
 * ---------------------------------------------------------------------
 */

static void
load_targets(void)
{
	HASHCTL		ctl;
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(Session->source_id);
	int			ret;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN * 2;
	ctl.entrysize = sizeof(ApplyTarget);
	ctl.hcxt = TargetsContext;
	Targets = hash_create("pg_chameleon targets", 64, &ctl,
						  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT mysql_table, pg_schema, pg_table, state,"
								" snapshot_file, snapshot_position"
								" FROM sch_chameleon.t_replica_tables"
								" WHERE source_id = $1",
								/* not read-only: see the DDL of this transaction */
								1, &type, &value, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read sch_chameleon.t_replica_tables: %s",
			 SPI_result_code_string(ret));

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *name = SPI_getvalue(tup, desc, 1);
		ApplyTarget *t;
		bool		found;
		char	   *pos;
		MemoryContext old;

		if (name == NULL || strlen(name) >= NAMEDATALEN * 2)
			continue;
		t = hash_search(Targets, name, HASH_ENTER, &found);
		old = MemoryContextSwitchTo(TargetsContext);
		t->pg_schema = pstrdup(SPI_getvalue(tup, desc, 2));
		t->pg_table = pstrdup(SPI_getvalue(tup, desc, 3));
		t->state = pstrdup(SPI_getvalue(tup, desc, 4));
		t->snapshot_file = SPI_getvalue(tup, desc, 5);
		if (t->snapshot_file)
			t->snapshot_file = pstrdup(t->snapshot_file);
		pos = SPI_getvalue(tup, desc, 6);
		t->snapshot_pos = pos ? strtoull(pos, NULL, 10) : 0;
		MemoryContextSwitchTo(old);
		t->in_error = strcmp(t->state, "copied") != 0 &&
			strcmp(t->state, "streaming") != 0;
		t->careful = chameleon_apply_is_careful(name);
		t->batch_rows = 0;
	}
	SPI_finish();
}

/* Is (file, pos) before the target's copy snapshot? */
static bool
before_snapshot(const ApplyTarget *t, const char *file, uint64 pos)
{
	if (t->snapshot_file == NULL || file == NULL)
		return false;
	return chameleon_binlog_position_cmp(file, pos, t->snapshot_file, t->snapshot_pos) < 0;
}

/*
 * May a DDL statement on a source table at (file, pos) be applied?  Not
 * while the table is syncing, removed or in error (its rows are skipped
 * too), nor before its copy's snapshot: the copy already has the change
 * (sync_tables rewinds the stream and replays what the others hold).  A
 * table the replica does not know yet (CREATE TABLE) may.  *why says why not.
 */
bool
chameleon_apply_table_takes_ddl(const char *mysql_table, const char *file, uint64 pos,
								const char **why)
{
	ApplyTarget *t;

	if (Targets == NULL || strlen(mysql_table) >= NAMEDATALEN * 2)
		return true;
	t = hash_search(Targets, mysql_table, HASH_FIND, NULL);
	if (t == NULL)
		return true;
	if (t->in_error)
	{
		*why = psprintf("table %s is in state %s: its changes are skipped", mysql_table, t->state);
		return false;
	}
	if (before_snapshot(t, file, pos))
	{
		*why = psprintf("table %s was copied at %s:" UINT64_FORMAT ", after this statement",
						mysql_table, t->snapshot_file, t->snapshot_pos);
		return false;
	}
	return true;
}

/*
 * Is the MySQL table one of the replica's tables (a row of t_replica_tables
 * that is not 'removed')?  Unknown names (temporary tables, tables left out
 * by tables_limit or never added) are not.
 */
bool
chameleon_apply_table_is_replicated(const char *mysql_table)
{
	ApplyTarget *t;

	if (Targets == NULL || strlen(mysql_table) >= NAMEDATALEN * 2)
		return false;
	t = hash_search(Targets, mysql_table, HASH_FIND, NULL);
	return t != NULL && strcmp(t->state, "removed") != 0;
}

/* ---------------------------------------------------------------------
 * Session and transactions
 * ---------------------------------------------------------------------
 */

static void
free_plans(void)
{
	HASH_SEQ_STATUS seq;
	ChameleonApplyTable *t;

	if (Tables == NULL)
		return;
	hash_seq_init(&seq, Tables);
	while ((t = hash_seq_search(&seq)) != NULL)
	{
		ListCell   *lc;

		foreach(lc, t->plans)
			SPI_freeplan(((ApplyPlan *) lfirst(lc))->plan);
	}
}

/* The targets from the catalog, and no table version yet (in VersionsContext). */
static void
load_targets_and_versions(void)
{
	HASHCTL		ctl;

	load_targets();
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(ChameleonApplyTable);
	ctl.hcxt = VersionsContext;
	Tables = hash_create("pg_chameleon table versions", 64, &ctl,
						 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

void
chameleon_apply_session_start(ChameleonApplySession *session)
{
	chameleon_apply_session_end();
	Session = session;
	if (ApplySessionContext == NULL)
	{
		ApplySessionContext = AllocSetContextCreate(Session->session_context,
													"pg_chameleon apply session",
													ALLOCSET_DEFAULT_SIZES);
		InsertContext = AllocSetContextCreate(Session->session_context,
											  "pg_chameleon insert batch",
											  ALLOCSET_DEFAULT_SIZES);
	}
	/* emptied again after DDL (chameleon_apply_schema_changed) */
	TargetsContext = AllocSetContextCreate(ApplySessionContext, "pg_chameleon apply targets",
										   ALLOCSET_DEFAULT_SIZES);
	VersionsContext = AllocSetContextCreate(ApplySessionContext,
											"pg_chameleon apply table versions",
											ALLOCSET_DEFAULT_SIZES);
	load_targets_and_versions();
}

void
chameleon_apply_session_end(void)
{
	free_plans();
	Tables = NULL;
	Targets = NULL;
	memset(&Pending, 0, sizeof(Pending));
	CurrentTarget = NULL;
	SideConn = NULL;			/* closed with the session context */
	if (ApplySessionContext)
	{
		MemoryContextReset(ApplySessionContext);
		MemoryContextReset(InsertContext);
	}
	TargetsContext = NULL;		/* children of the session context */
	VersionsContext = NULL;
}

void
chameleon_apply_xact_begin(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	SpiConnected = true;
}

/* Per-table applied row counters, in the apply transaction. */
static void
write_counters(void)
{
	HASH_SEQ_STATUS seq;
	ApplyTarget *t;

	hash_seq_init(&seq, Targets);
	while ((t = hash_seq_search(&seq)) != NULL)
	{
		Oid			types[3] = {INT4OID, TEXTOID, INT8OID};
		Datum		values[3];

		if (t->batch_rows == 0)
			continue;
		values[0] = Int32GetDatum(Session->source_id);
		values[1] = CStringGetTextDatum(t->mysql_table);
		values[2] = Int64GetDatum(t->batch_rows);
		run_write("UPDATE sch_chameleon.t_replica_tables"
				  " SET applied_rows = applied_rows + $3,"
				  " state = CASE WHEN state = 'copied' THEN 'streaming' ELSE state END"
				  " WHERE source_id = $1 AND mysql_table = $2",
				  3, types, values, NULL);
		t->batch_rows = 0;
	}
}

void
chameleon_apply_xact_end(void)
{
	flush_insert();
	write_counters();
	if (SpiConnected)
		SPI_finish();
	SpiConnected = false;
}

void
chameleon_apply_flush(void)
{
	flush_insert();
}

void
chameleon_apply_schema_changed(void)
{
	flush_insert();
	write_counters();
	free_plans();
	Tables = NULL;
	Targets = NULL;
	MemoryContextReset(TargetsContext);
	MemoryContextReset(VersionsContext);
	load_targets_and_versions();
}

void
chameleon_apply_xact_abort(void)
{
	HASH_SEQ_STATUS seq;
	ApplyTarget *t;

	/* AbortTransaction cleaned SPI up */
	SpiConnected = false;
	memset(&Pending, 0, sizeof(Pending));
	if (InsertContext)
		MemoryContextReset(InsertContext);
	CurrentTarget = NULL;
	if (Targets == NULL)
		return;
	hash_seq_init(&seq, Targets);
	while ((t = hash_seq_search(&seq)) != NULL)
		t->batch_rows = 0;
}

/* ---------------------------------------------------------------------
 * Table versions
 * ---------------------------------------------------------------------
 */

/* The source's definition of a table whose map lacks column metadata. */
static ChameleonTableDef *
source_definition(const ChameleonTableMap *map)
{
	ChameleonTableDef *def;
	MemoryContext old;

	if (map->has_names && map->has_signedness && map->has_charsets)
		return NULL;
	/* the shape the binlog has at this point, kept from the DDL stream */
	def = chameleon_ddl_apply_table_def(map->schema, map->table);
	if (def != NULL)
	{
		if (def->ncols != map->ncols)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("table %s.%s has %d columns in the binlog but %d in its recorded MySQL shape",
							map->schema, map->table, map->ncols, def->ncols),
					 errdetail("The recorded shape is in sch_chameleon.t_table_columns; a DDL statement was not followed (see sch_chameleon.t_ddl)."),
					 errhint("Copy the table again with chameleon.sync_tables().")));
		return def;
	}
	old = MemoryContextSwitchTo(ApplySessionContext);
	if (SideConn == NULL)
		SideConn = chameleon_mysql_connect(Session->config);
	MemoryContextSwitchTo(old);
	def = chameleon_tabledef_from_source(SideConn, Session->config, map->schema, map->table);
	if (def != NULL && def->ncols != map->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("table %s.%s has %d columns in the binlog but %d on the source now",
						map->schema, map->table, map->ncols, def->ncols),
				 errhint("Without binlog_row_metadata=FULL the table definition is read from the source; set binlog_row_metadata=FULL and copy the table again.")));
	return def;
}

/* Resolve the columns of a map against the PostgreSQL table. */
static void
resolve_columns(ChameleonApplyTable *t, const ChameleonTableMap *map, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	ChameleonTableDef *src = source_definition(map);
	ChameleonTableDef def;
	int		   *att;
	Bitmapset  *pk = NULL;
	Oid			pkoid = RelationGetPrimaryKeyIndex(rel);

	t->ncols = map->ncols;
	t->colname = palloc0(sizeof(char *) * t->ncols);
	t->coltype = palloc0(sizeof(char *) * t->ncols);
	t->is_key = palloc0(sizeof(bool) * t->ncols);
	att = palloc(sizeof(int) * t->ncols);

	def.ncols = map->ncols;
	def.cols = palloc0(sizeof(ChameleonColumnDef) * map->ncols);
	for (int i = 0; i < map->ncols; i++)
	{
		const char *name = map->cols[i].name ? map->cols[i].name :
			(src ? src->cols[i].name : NULL);

		att[i] = chameleon_tabledef_attribute(desc, name, i);
		if (src)
			def.cols[i] = src->cols[i];
		else
		{
			def.cols[i].kind = -1;
			def.cols[i].is_unsigned = -1;
		}
		if (att[i] >= 0)
		{
			Form_pg_attribute a = TupleDescAttr(desc, att[i]);
			int			kind = chameleon_tabledef_kind_for_type(a->atttypid, &map->cols[i]);

			if (kind >= 0)
				def.cols[i].kind = kind;
			t->colname[i] = pstrdup(quote_identifier(NameStr(a->attname)));
			/*
			 * The type without its modifier: the column applies it on
			 * assignment (an explicit cast would truncate char/varchar/bit
			 * silently; "character" alone would mean char(1)).
			 */
			t->coltype[i] = format_type_extended(a->atttypid, -1,
												 FORMAT_TYPE_TYPEMOD_GIVEN |
												 FORMAT_TYPE_FORCE_QUALIFY);
		}
	}
	t->decode = chameleon_decode_prepare(map, &def, &(ChameleonDecodeOptions)
										 {.zero_dates_to_null = Session->config->zero_dates_to_null});

	/* row identity: the primary key if every column of it is replicated */
	if (OidIsValid(pkoid))
	{
		Relation	idx = index_open(pkoid, AccessShareLock);

		for (int k = 0; k < idx->rd_index->indnkeyatts; k++)
			pk = bms_add_member(pk, idx->rd_index->indkey.values[k]);
		index_close(idx, AccessShareLock);
	}
	t->has_pk = (pk != NULL);
	for (int i = 0; i < t->ncols; i++)
	{
		if (att[i] >= 0 && bms_is_member(TupleDescAttr(desc, att[i])->attnum, pk))
		{
			t->is_key[i] = true;
			pk = bms_del_member(pk, TupleDescAttr(desc, att[i])->attnum);
		}
	}
	if (!bms_is_empty(pk))
		t->has_pk = false;		/* a key column has no MySQL column */
	if (!t->has_pk)
		for (int i = 0; i < t->ncols; i++)
			t->is_key[i] = (t->colname[i] != NULL);
}

/* Does a table map describe the same columns as the version's copy? */
static bool
same_map(const ChameleonTableMap *a, const ChameleonTableMap *b)
{
	if (a->ncols != b->ncols || strcmp(a->table, b->table) != 0 ||
		strcmp(a->schema, b->schema) != 0)
		return false;
	for (int i = 0; i < a->ncols; i++)
		if (a->cols[i].type != b->cols[i].type || a->cols[i].meta != b->cols[i].meta)
			return false;
	return true;
}

/* Resolve a table version against its PostgreSQL table. */
static void
resolve_table(ChameleonApplyTable *t, const ChameleonTableMap *map)
{
	ApplyTarget *target = t->target;
	MemoryContext old;
	Oid			relid;
	Relation	rel;

	CurrentTarget = target;
	old = MemoryContextSwitchTo(VersionsContext);
	t->name = psprintf("%s.%s", map->schema, map->table);
	t->qualified = psprintf("%s.%s", quote_identifier(target->pg_schema),
							quote_identifier(target->pg_table));
	relid = RangeVarGetRelid(makeRangeVar(target->pg_schema, target->pg_table, -1),
							 AccessShareLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("replicated table %s does not exist", t->qualified),
				 errhint("Copy the table again with chameleon.sync_tables().")));
	rel = table_open(relid, NoLock);
	/* a table version keeps its own copy: the reader's maps are short-lived */
	resolve_columns(t, chameleon_table_map_copy(map), rel);
	table_close(rel, NoLock);
	MemoryContextSwitchTo(old);
	CurrentTarget = NULL;
}

static bool careful_resolve(ChameleonApplyTable *t, const ChameleonTableMap *map);

ChameleonApplyTable *
chameleon_apply_table(const ChameleonTableMap *map, const char *file, uint64 pos)
{
	ChameleonApplyTable *t;
	ApplyTarget *target = NULL;
	bool		found;

	t = hash_search(Tables, &map->table_id, HASH_ENTER, &found);
	if (!found)
	{
		/* not resolved yet; a failure below leaves the entry unresolved */
		t->target = NULL;
		t->decode = NULL;
		t->name = NULL;
		t->plans = NIL;
		if (strcmp(map->schema, Session->source->name) != 0 ||
			strlen(map->table) >= NAMEDATALEN * 2 ||
			(target = hash_search(Targets, map->table, HASH_FIND, NULL)) == NULL)
		{
			t->name = "";		/* resolved: not replicated */
			return NULL;
		}
		t->target = target;
	}
	target = t->target;
	if (target == NULL || target->in_error || before_snapshot(target, file, pos))
		return NULL;
	if (t->decode != NULL)
	{
		ListCell   *lc;

		if (same_map(t->decode->map, map))
			return t;
		/* a table id reused for another shape: resolve again */
		foreach(lc, t->plans)
			SPI_freeplan(((ApplyPlan *) lfirst(lc))->plan);
		t->decode = NULL;
		t->plans = NIL;
	}

	/* first use of this table version: resolve it */
	if (target->careful)
	{
		if (!careful_resolve(t, map))
			return NULL;
	}
	else
		resolve_table(t, map);
	return t;
}

/* ---------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------
 */

/* Which columns an image carries, as a string ("1101"); "" for none. */
static void
append_present(StringInfo s, const ChameleonApplyTable *t, const ChameleonRowImage *img)
{
	for (int i = 0; i < t->ncols; i++)
		appendStringInfoChar(s, (img->present[i] && t->colname[i]) ? '1' : '0');
}

static char *
statement_shape(ApplyOp op, const ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "%d|", (int) op);
	if (op != OP_INSERT)
	{
		append_present(&s, t, &c->before);
		/* a NULL key value cannot use "=": it changes the statement */
		for (int i = 0; i < t->ncols; i++)
			if (t->is_key[i] && c->before.present[i])
				appendStringInfoChar(&s, c->before.isnull[i] ? 'n' : 'v');
	}
	appendStringInfoChar(&s, '|');
	if (op != OP_DELETE)
		append_present(&s, t, &c->after);
	return s.data;
}

static void
add_param(ApplyPlan *p, int col, bool before)
{
	p->param_col[p->nparams] = col;
	p->param_before[p->nparams] = before;
	p->nparams++;
}

/* WHERE clause identifying the row by its before image. */
static void
append_where(StringInfo sql, ApplyPlan *p, const ChameleonApplyTable *t,
			 const ChameleonRowChange *c)
{
	bool		first = true;

	for (int i = 0; i < t->ncols; i++)
	{
		if (!t->is_key[i] || !c->before.present[i])
			continue;
		appendStringInfoString(sql, first ? " WHERE " : " AND ");
		first = false;
		if (t->has_pk && c->before.isnull[i])
			appendStringInfo(sql, "%s IS NULL", t->colname[i]);
		else
		{
			add_param(p, i, true);
			appendStringInfo(sql, t->has_pk ? "%s = $%d::%s" : "%s IS NOT DISTINCT FROM $%d::%s",
							 t->colname[i], p->nparams, t->coltype[i]);
		}
	}
	if (first)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the binlog row image of table %s does not identify the row", t->name),
				 errhint("Use binlog_row_image=FULL on the source, or give the table a primary key.")));
}

static char *
build_sql(ApplyPlan *p, const ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	StringInfoData sql;
	bool		first = true;

	initStringInfo(&sql);
	switch (p->op)
	{
		case OP_INSERT:
			{
				StringInfoData sel;
				StringInfoData from;

				initStringInfo(&sel);
				initStringInfo(&from);
				appendStringInfo(&sql, "INSERT INTO %s (", t->qualified);
				for (int i = 0; i < t->ncols; i++)
				{
					if (!c->after.present[i] || t->colname[i] == NULL)
						continue;
					add_param(p, i, false);
					appendStringInfo(&sql, "%s%s", first ? "" : ", ", t->colname[i]);
					appendStringInfo(&sel, "%su.c%d::%s", first ? "" : ", ",
									 p->nparams, t->coltype[i]);
					appendStringInfo(&from, "%spg_catalog.unnest($%d::pg_catalog.text[])",
									 first ? "" : ", ", p->nparams);
					first = false;
				}
				if (first)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("a row inserted into table %s has no replicated column", t->name)));
				appendStringInfo(&sql, ") SELECT %s FROM ROWS FROM (%s) AS u(",
								 sel.data, from.data);
				for (int k = 1; k <= p->nparams; k++)
					appendStringInfo(&sql, "%sc%d", k > 1 ? ", " : "", k);
				appendStringInfoChar(&sql, ')');
				p->nvalues = p->nparams;
				break;
			}
		case OP_UPDATE:
			appendStringInfo(&sql, "UPDATE %s SET ", t->qualified);
			for (int i = 0; i < t->ncols; i++)
			{
				if (!c->after.present[i] || t->colname[i] == NULL)
					continue;
				add_param(p, i, false);
				appendStringInfo(&sql, "%s%s = $%d::%s", first ? "" : ", ",
								 t->colname[i], p->nparams, t->coltype[i]);
				first = false;
			}
			if (first)
				return NULL;	/* nothing replicated changed */
			if (t->has_pk)
				append_where(&sql, p, t, c);
			else
			{
				appendStringInfo(&sql, " WHERE ctid = (SELECT ctid FROM %s", t->qualified);
				append_where(&sql, p, t, c);
				appendStringInfoString(&sql, " LIMIT 1)");
			}
			break;
		case OP_DELETE:
			appendStringInfo(&sql, "DELETE FROM %s", t->qualified);
			if (t->has_pk)
				append_where(&sql, p, t, c);
			else
			{
				appendStringInfo(&sql, " WHERE ctid = (SELECT ctid FROM %s", t->qualified);
				append_where(&sql, p, t, c);
				appendStringInfoString(&sql, " LIMIT 1)");
			}
			break;
	}
	return sql.data;
}

/* The kept plan for this statement shape; NULL if there is nothing to do. */
static ApplyPlan *
get_plan(ChameleonApplyTable *t, ApplyOp op, const ChameleonRowChange *c)
{
	char	   *shape = statement_shape(op, t, c);
	ApplyPlan  *p;
	ListCell   *lc;
	MemoryContext old;
	char	   *sql;
	Oid		   *types;

	foreach(lc, t->plans)
	{
		p = (ApplyPlan *) lfirst(lc);
		if (p->op == op && strcmp(p->shape, shape) == 0)
			return p->plan ? p : NULL;
	}

	old = MemoryContextSwitchTo(VersionsContext);
	p = palloc0(sizeof(ApplyPlan));
	p->op = op;
	p->shape = pstrdup(shape);
	p->param_col = palloc(sizeof(int) * t->ncols * 2);
	p->param_before = palloc(sizeof(bool) * t->ncols * 2);
	sql = build_sql(p, t, c);
	t->plans = lappend(t->plans, p);
	MemoryContextSwitchTo(old);
	if (sql == NULL)
		return NULL;

	types = palloc(sizeof(Oid) * Max(p->nparams, 1));
	for (int k = 0; k < p->nparams; k++)
		types[k] = (op == OP_INSERT) ? TEXTARRAYOID : TEXTOID;
	old = CurrentMemoryContext;
	p->plan = SPI_prepare(sql, p->nparams, types);
	MemoryContextSwitchTo(old);
	if (p->plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(p->plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return p;
}

static void
check_one_row(const ChameleonApplyTable *t, ApplyOp op)
{
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("row to %s not found in table %s", op_names[op], t->qualified),
				 errdetail("The replica no longer matches the source for this row."),
				 errhint("Copy the table again with chameleon.sync_tables().")));
}

static void
execute_row(ChameleonApplyTable *t, ApplyPlan *p, const ChameleonRowChange *c)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum	   *values = palloc(sizeof(Datum) * Max(p->nparams, 1));
	char	   *nulls = palloc(Max(p->nparams, 1));
	int			ret;

	for (int k = 0; k < p->nparams; k++)
	{
		const ChameleonRowImage *img = p->param_before[k] ? &c->before : &c->after;
		int			col = p->param_col[k];

		values[k] = text_or_null(img->isnull[col] ? NULL : img->values[col], &nulls[k]);
	}
	ret = SPI_execute_plan(p->plan, values, nulls, false, 0);
	MemoryContextSwitchTo(cxt);
	if (ret < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	check_one_row(t, p->op);
}

/* ---------------------------------------------------------------------
 * INSERT batching
 * ---------------------------------------------------------------------
 */

static void
flush_insert(void)
{
	InsertBuffer *b = &Pending;
	Datum	   *params;
	int			ret;
	MemoryContext old;

	if (b->table == NULL || b->nrows == 0)
	{
		memset(b, 0, sizeof(*b));
		return;
	}
	CurrentTarget = b->table->target;
	old = MemoryContextSwitchTo(InsertContext);
	params = palloc(sizeof(Datum) * b->plan->nparams);
	for (int k = 0; k < b->plan->nparams; k++)
	{
		int			dims[1] = {b->nrows};
		int			lbs[1] = {1};

		params[k] = PointerGetDatum(construct_md_array(b->values[k], b->nulls[k], 1,
													   dims, lbs, TEXTOID, -1,
													   false, TYPALIGN_INT));
	}
	ret = SPI_execute_plan(b->plan->plan, params, NULL, false, 0);
	MemoryContextSwitchTo(old);
	if (ret < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	if (SPI_processed != (uint64) b->nrows)
		elog(ERROR, "inserted " UINT64_FORMAT " rows instead of %d", SPI_processed, b->nrows);

	memset(b, 0, sizeof(*b));
	MemoryContextReset(InsertContext);
	CurrentTarget = NULL;
}

/* Add an inserted row to the pending INSERT (flushing it when full). */
static void
buffer_insert(ChameleonApplyTable *t, ApplyPlan *p, const ChameleonRowChange *c)
{
	InsertBuffer *b = &Pending;
	MemoryContext old;

	if (b->table != t || b->plan != p)
		flush_insert();
	old = MemoryContextSwitchTo(InsertContext);
	if (b->table == NULL)
	{
		b->table = t;
		b->plan = p;
		b->values = palloc(sizeof(Datum *) * p->nparams);
		b->nulls = palloc(sizeof(bool *) * p->nparams);
		for (int k = 0; k < p->nparams; k++)
		{
			b->values[k] = palloc(sizeof(Datum) * INSERT_BATCH_ROWS);
			b->nulls[k] = palloc(sizeof(bool) * INSERT_BATCH_ROWS);
		}
	}
	for (int k = 0; k < p->nparams; k++)
	{
		int			col = p->param_col[k];
		bool		isnull = c->after.isnull[col];

		b->nulls[k][b->nrows] = isnull;
		b->values[k][b->nrows] = isnull ? (Datum) 0 :
			CStringGetTextDatum(c->after.values[col]);
		if (!isnull)
			b->bytes += strlen(c->after.values[col]);
	}
	b->nrows++;
	MemoryContextSwitchTo(old);
	if (b->nrows >= INSERT_BATCH_ROWS || b->bytes >= INSERT_BATCH_BYTES)
		flush_insert();
}

/* ---------------------------------------------------------------------
 * Rows events
 * ---------------------------------------------------------------------
 */

static ApplyOp
op_of(ChameleonRowsKind kind)
{
	return kind == CHAMELEON_ROWS_WRITE ? OP_INSERT :
		kind == CHAMELEON_ROWS_UPDATE ? OP_UPDATE : OP_DELETE;
}

/* Apply one change on the fast path (inserts are batched). */
static void
apply_change(ChameleonApplyTable *t, const ChameleonRowChange *c, bool batch)
{
	ApplyOp		op = op_of(c->kind);
	ApplyPlan  *p = get_plan(t, op, c);

	if (p == NULL)
		return;
	if (op == OP_INSERT && batch)
	{
		buffer_insert(t, p, c);
		return;
	}
	flush_insert();
	CurrentTarget = t->target;
	if (op == OP_INSERT)
	{
		buffer_insert(t, p, c);
		flush_insert();
	}
	else
		execute_row(t, p, c);
	CurrentTarget = NULL;
}

/* A row image as a JSON object {"column": "text value" | null, ...}. */
static void
append_image_json(StringInfo s, const ChameleonApplyTable *t, const ChameleonRowImage *img)
{
	bool		first = true;

	appendStringInfoChar(s, '{');
	for (int i = 0; i < t->ncols; i++)
	{
		if (!img->present[i])
			continue;
		if (!first)
			appendStringInfoString(s, ", ");
		first = false;
		escape_json(s, t->decode->cols[i].name);
		appendStringInfoString(s, ": ");
		if (img->isnull[i])
			appendStringInfoString(s, "null");
		else
			escape_json(s, img->values[i]);
	}
	appendStringInfoChar(s, '}');
}

static char *
change_json(const ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	StringInfoData s;

	if (c == NULL)
		return NULL;
	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	if (c->kind != CHAMELEON_ROWS_WRITE)
	{
		appendStringInfoString(&s, "\"before\": ");
		append_image_json(&s, t, &c->before);
	}
	if (c->kind != CHAMELEON_ROWS_DELETE)
	{
		if (c->kind != CHAMELEON_ROWS_WRITE)
			appendStringInfoString(&s, ", ");
		appendStringInfoString(&s, "\"after\": ");
		append_image_json(&s, t, &c->after);
	}
	appendStringInfoChar(&s, '}');
	return s.data;
}

/* Store a rejected row and mark its table error (in this transaction). */
static void
record_table_error(ApplyTarget *target, const char *operation, const char *row_json,
				   const ErrorData *edata)
{
	Datum		values[9];
	char		nulls[9];

	values[0] = Int32GetDatum(Session->source_id);
	nulls[0] = ' ';
	values[1] = text_or_null(Session->where.file, &nulls[1]);
	values[2] = Int64GetDatum((int64) Session->where.pos);
	nulls[2] = ' ';
	values[3] = text_or_null(Session->where.gtid, &nulls[3]);
	values[4] = text_or_null(target->mysql_table, &nulls[4]);
	values[5] = text_or_null(operation, &nulls[5]);
	values[6] = text_or_null(row_json, &nulls[6]);
	values[7] = text_or_null(edata->message, &nulls[7]);
	values[8] = text_or_null(unpack_sql_state(edata->sqlerrcode), &nulls[8]);
	run_write("INSERT INTO sch_chameleon.t_errors (source_id, binlog_file, binlog_position,"
			  " gtid, mysql_table, operation, row_data, error_message, error_sqlstate)"
			  " VALUES ($1, $2, $3, $4, $5, $6, $7::pg_catalog.jsonb, $8, $9)",
			  9, error_types, values, nulls);
	run_write("UPDATE sch_chameleon.t_replica_tables SET state = 'error', last_error = $3"
			  " WHERE source_id = $1 AND mysql_table = $2",
			  3, update_types, (Datum[]) {values[0], values[4], values[7]}, NULL);
	target->in_error = true;
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("pg_chameleon: table %s is left out of the replica after an error",
					target->mysql_table),
			 errdetail("%s", edata->message),
			 errhint("The rejected row is in chameleon.errors; copy the table again with chameleon.sync_tables().")));
}

/*
 * Keep what on_error: stop must record, in the worker context, for the
 * transaction that records the stop (chameleon_apply_write_stop_error).
 * The rejected row, or for DDL and statements {"statement": ...}.
 */
void
chameleon_apply_stash_stop_error(const char *mysql_table, const char *operation,
								 const char *row_json, const char *message, int sqlerrcode)
{
	MemoryContext old = MemoryContextSwitchTo(Session->session_context);
	StopError  *e = &PendingStopError;

	e->valid = true;
	e->file = Session->where.file ? pstrdup(Session->where.file) : NULL;
	e->pos = Session->where.pos;
	e->gtid = Session->where.gtid ? pstrdup(Session->where.gtid) : NULL;
	e->mysql_table = mysql_table ? pstrdup(mysql_table) : NULL;
	e->operation = pstrdup(operation);
	e->row_json = row_json ? pstrdup(row_json) : NULL;
	e->message = pstrdup(message);
	e->sqlstate = pstrdup(unpack_sql_state(sqlerrcode));
	MemoryContextSwitchTo(old);
}

void
chameleon_apply_write_stop_error(void)
{
	StopError  *e = &PendingStopError;
	Datum		values[9];
	char		nulls[9];

	if (!e->valid)
		return;
	values[0] = Int32GetDatum(Session->source_id);
	nulls[0] = ' ';
	values[1] = text_or_null(e->file, &nulls[1]);
	values[2] = Int64GetDatum((int64) e->pos);
	nulls[2] = ' ';
	values[3] = text_or_null(e->gtid, &nulls[3]);
	values[4] = text_or_null(e->mysql_table, &nulls[4]);
	values[5] = text_or_null(e->operation, &nulls[5]);
	values[6] = text_or_null(e->row_json, &nulls[6]);
	values[7] = text_or_null(e->message, &nulls[7]);
	values[8] = text_or_null(e->sqlstate, &nulls[8]);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_write("INSERT INTO sch_chameleon.t_errors (source_id, binlog_file, binlog_position,"
			  " gtid, mysql_table, operation, row_data, error_message, error_sqlstate)"
			  " VALUES ($1, $2, $3, $4, $5, $6, $7::pg_catalog.jsonb, $8, $9)",
			  9, error_types, values, nulls);
	run_write("UPDATE sch_chameleon.t_replica_tables SET last_error = $3"
			  " WHERE source_id = $1 AND mysql_table = $2",
			  3, update_types, (Datum[]) {values[0], values[4], values[7]}, NULL);
	SPI_finish();
	e->valid = false;
}

/*
 * Careful path: a step (decoding a rows event, or applying one change) in a
 * subtransaction.  A rejected step is rolled back and recorded (or, with
 * on_error: stop, kept and raised as the replica's stop); returns false then.
 */
typedef struct CarefulStep
{
	ChameleonApplyTable *table;
	const ChameleonTableMap *map;	/* resolving the table version */
	const ChameleonRowsEvent *ev;
	const ChameleonRowChange *change;	/* NULL: decode ev into rows */
	List	   *rows;			/* decoded ChameleonRowChange * */
} CarefulStep;

static void
careful_step(CarefulStep *step)
{
	if (step->map)
	{
		resolve_table(step->table, step->map);
		return;
	}
	if (step->change)
	{
		apply_change(step->table, step->change, false);
		return;
	}
	{
		ChameleonRowIterator it;
		ChameleonRowChange *c = palloc(sizeof(ChameleonRowChange));

		CurrentTarget = step->table->target;
		chameleon_rows_begin(&it, step->table->decode, step->ev);
		while (chameleon_rows_next(&it, c))
		{
			step->rows = lappend(step->rows, c);
			c = palloc(sizeof(ChameleonRowChange));
		}
		CurrentTarget = NULL;
	}
}

static void
careful_failed(CarefulStep *step, ErrorData *edata)
{
	ApplyTarget *target = step->table->target;
	const char *op = step->ev ? op_names[op_of(step->ev->kind)] : "table map";
	char	   *row = change_json(step->table, step->change);

	if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_CONNECTION_EXCEPTION ||
		edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
		ReThrowError(edata);
	if (Session->config->on_error == CHAMELEON_ON_ERROR_STOP)
	{
		chameleon_apply_stash_stop_error(target->mysql_table, op, row, edata->message,
										 edata->sqlerrcode);
		Session->stop_on_error = true;
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("pg_chameleon replica stops: a change to table %s was rejected",
						target->mysql_table),
				 errdetail("%s", edata->message),
				 errhint("The rejected row is in chameleon.errors (on_error is stop).")));
	}
	record_table_error(target, op, row, edata);
}

static void
careful_step_cb(void *step)
{
	careful_step((CarefulStep *) step);
}

static bool
careful(CarefulStep *step)
{
	ErrorData  *edata = chameleon_run_in_subxact(careful_step_cb, step);

	if (edata == NULL)
		return true;
	CurrentTarget = NULL;
	memset(&Pending, 0, sizeof(Pending));
	MemoryContextReset(InsertContext);
	careful_failed(step, edata);
	return false;
}

/*
 * Careful path for a whole rows event: decode it (a rows event is small,
 * bounded by the source's binlog_row_event_max_size), then apply row by row.
 */
static uint64
apply_rows_careful(ChameleonApplyTable *t, const ChameleonRowsEvent *ev)
{
	CarefulStep step = {t, NULL, ev, NULL, NIL};
	uint64		n = 0;
	ListCell   *lc;

	flush_insert();
	if (!careful(&step))
		return 0;
	foreach(lc, step.rows)
	{
		step.change = (ChameleonRowChange *) lfirst(lc);
		if (!careful(&step))
			break;
		n++;
	}
	t->target->batch_rows += n;
	return n;
}

static bool
careful_resolve(ChameleonApplyTable *t, const ChameleonTableMap *map)
{
	CarefulStep step = {t, map, NULL, NULL, NIL};

	flush_insert();
	if (careful(&step))
		return true;
	t->decode = NULL;
	return false;
}

uint64
chameleon_apply_rows(ChameleonApplyTable *t, const ChameleonRowsEvent *ev)
{
	ChameleonRowIterator it;
	ChameleonRowChange change;
	uint64		n = 0;

	Session->where.table = t->name;
	if (t->target->careful)
	{
		n = apply_rows_careful(t, ev);
		Session->where.table = NULL;
		return n;
	}

	CurrentTarget = t->target;
	chameleon_rows_begin(&it, t->decode, ev);
	while (chameleon_rows_next(&it, &change))
	{
		/* decoding errors are this table's too */
		CurrentTarget = t->target;
		apply_change(t, &change, true);
		n++;
	}
	CurrentTarget = NULL;
	t->target->batch_rows += n;
	Session->where.table = NULL;
	return n;
}

/* ---------------------------------------------------------------------
 * Error attribution and careful tables
 * ---------------------------------------------------------------------
 */

const char *
chameleon_apply_failed_table(void)
{
	return CurrentTarget ? CurrentTarget->mysql_table : NULL;
}

void
chameleon_apply_set_careful(const char *mysql_table)
{
	MemoryContext old;

	if (chameleon_apply_is_careful(mysql_table))
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	CarefulTables = lappend(CarefulTables, pstrdup(mysql_table));
	MemoryContextSwitchTo(old);
}

bool
chameleon_apply_is_careful(const char *mysql_table)
{
	ListCell   *lc;

	foreach(lc, CarefulTables)
		if (strcmp((char *) lfirst(lc), mysql_table) == 0)
			return true;
	return false;
}

void
chameleon_apply_clear_careful(void)
{
	HASH_SEQ_STATUS seq;
	ApplyTarget *t;

	list_free_deep(CarefulTables);
	CarefulTables = NIL;
	if (Targets == NULL)
		return;
	hash_seq_init(&seq, Targets);
	while ((t = hash_seq_search(&seq)) != NULL)
		t->careful = false;
}
