/*
 * verify.c -- chameleon.verify_tables(): compare each replicated table with
 * its MySQL table, while the replica streams.
 *
 * One canonical row form on both sides.  A MySQL value goes the way the copy
 * takes it (the SELECT expression and conversion of copy_values.c), then
 * through the input and output functions of the PostgreSQL column's type; a
 * PostgreSQL value through the same output function.  Equal data thus gives
 * equal text whatever the type (floats print exactly, jsonb normalises,
 * timestamps print in this session's time zone on both sides).  A row is the
 * 64-bit hash of its columns' texts (NULL distinct from every text); a
 * table's checksum is the sum of its rows' hashes, so it depends on no order.
 *
 * One position for both sides.  The table is read in chunks of
 * CHAMELEON_VERIFY_CHUNK_ROWS rows (key ranges of an integer first key
 * column; a table with another key, or none, is one chunk).  For each chunk:
 *   1. the apply worker is held at its next transaction boundary (slots.c);
 *   2. MySQL opens the chunk's read: on MariaDB with InnoDB a consistent
 *      snapshot and its exact binlog position P; otherwise LOCK TABLES t
 *      READ and the server's position P (the table cannot change after P
 *      while the lock is held);
 *   3. the worker is let go up to P and held there, committed: exactly P
 *      for a snapshot, the first boundary at or after P under the lock;
 *   4. a PostgreSQL snapshot is taken -- it sees the table as of P -- and
 *      the worker goes on at once;
 *   5. both sides are read: MySQL in its snapshot (or under its lock, released
 *      after the read), PostgreSQL in the snapshot of step 4.
 * A replica whose worker does not run is compared only when the source is
 * at the replica's committed position (nothing to apply).  The worker is
 * held for a few milliseconds per chunk, MySQL holds a snapshot (or, for
 * non-InnoDB tables and MySQL, a read lock) for one chunk's read.
 *
 * The rows of a chunk are matched by key -- the primary key, else a unique
 * index of NOT NULL columns (MySQL's side in a hash table): a row missing on
 * one side, and one whose values differ, are counted and the first is named
 * by its key.  A table without such a key is compared as a multiset of rows.
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "binlog.h"
#include "config.h"
#include "copy.h"
#include "copy_values.h"
#include "mysql_client.h"
#include "position.h"
#include "schema.h"
#include "source_position.h"
#include "subxact.h"
#include "verify.h"
#include "worker.h"

/* How long a chunk waits for the apply worker to reach its position. */
#define VERIFY_HOLD_WAIT_MS		20000
/* Attempts at one position per chunk before the table is skipped. */
#define VERIFY_POSITION_TRIES	5
/* PostgreSQL rows fetched at a time. */
#define VERIFY_FETCH_ROWS		1000

/* One compared column. */
typedef struct VerifyColumn
{
	const ChameleonColumn *my;	/* MySQL definition */
	ChameleonValueConv conv;
	bool		direct;			/* the canonical text is already the output's */
	AttrNumber attnum;			/* in the PostgreSQL table */
	Oid			typid;
	int32		typmod;
	Oid			typioparam;
	FmgrInfo	in;
	FmgrInfo	out;
} VerifyColumn;

/* One table being compared. */
typedef struct VerifyTable
{
	ChameleonTable *t;
	char	   *qualified;		/* the PostgreSQL table, quoted */
	int			ncols;
	VerifyColumn *cols;
	int			nkey;
	int		   *key;			/* indexes in cols of the primary key */
	bool		ranged;			/* chunks by ranges of the integer first key column */
	bool		exact;			/* a consistent snapshot with its exact position */
	char	   *mysql_from;		/* FROM db.t */
	char	   *mysql_select;	/* SELECT exprs... FROM db.t */
} VerifyTable;

/* A row of MySQL's side of a chunk, by key hash (by row hash without a key). */
typedef struct VerifyEntry
{
	uint64		key;			/* hash key: must be first */
	uint64		row;
	int			count;			/* rows with this key (duplicates: no key) */
	int			key_text;		/* offset in the chunk's key texts; -1: none */
} VerifyEntry;

typedef struct VerifyRun
{
	const ChameleonSource *src;
	ChameleonConfig *cfg;
	MYSQL	   *conn;
	ChameleonSchemaOptions opts;
	MemoryContext result_cxt;	/* the results (outlive the chunks) */
	MemoryContext chunk_cxt;
	MemoryContext row_cxt;		/* one row's texts, reset after each row */
	StringInfoData keys;		/* MySQL's key texts of the chunk, NUL-separated */
	StringInfoData buf;			/* one row's serialisation */
	StringInfoData scratch;		/* conversions */
	ChameleonVerifyResult *res; /* of the table being compared */
	const char *name;			/* its MySQL name */
} VerifyRun;

/* ---------------------------------------------------------------------
 * Rows in canonical form
 * ---------------------------------------------------------------------
 */

static void
row_begin(VerifyRun *run)
{
	resetStringInfo(&run->buf);
}

static void
row_add(VerifyRun *run, const char *text)
{
	if (text == NULL)
		appendStringInfoChar(&run->buf, '\0');
	else
	{
		uint32		len = (uint32) strlen(text);

		appendStringInfoChar(&run->buf, '\1');
		appendBinaryStringInfo(&run->buf, (const char *) &len, sizeof(len));
		appendBinaryStringInfo(&run->buf, text, len);
	}
}

static uint64
row_hash(VerifyRun *run)
{
	return hash_bytes_extended((const unsigned char *) run->buf.data, run->buf.len, 0);
}

/* "col=value, col2=value" of the key columns' canonical texts. */
static char *
key_text(const VerifyTable *vt, char **texts)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int k = 0; k < vt->nkey; k++)
		appendStringInfo(&s, "%s%s=%s", k ? ", " : "", vt->cols[vt->key[k]].my->name,
						 texts[vt->key[k]] ? texts[vt->key[k]] : "NULL");
	return s.data;
}

/*
 * A MySQL value (len bytes, NULL: SQL NULL) in canonical form: converted as
 * the copy converts it, then through the PostgreSQL type.
 */
static char *
mysql_canonical(VerifyRun *run, const VerifyColumn *c, const char *in, unsigned long len)
{
	const char *text;
	size_t		textlen;
	ChameleonConvStatus status;
	Datum		d;

	if (in == NULL)
		return NULL;
	status = chameleon_convert_value(&c->conv, in, len, &run->scratch, &text, &textlen);
	if (status == CHAMELEON_CONV_NULL)
		return NULL;
	if (status != CHAMELEON_CONV_OK)
		return psprintf("<%s>", chameleon_conv_status_message(status));
	if (c->direct)
		return pnstrdup(text, textlen);
	d = InputFunctionCall((FmgrInfo *) &c->in, pnstrdup(text, textlen), c->typioparam, c->typmod);
	return OutputFunctionCall((FmgrInfo *) &c->out, d);
}

/* ---------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------
 */

static bool
is_integer_type(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID || typid == NUMERICOID;
}

/* The MySQL definition of the table, matched to its PostgreSQL columns. */
static VerifyTable *
open_table(VerifyRun *run, const ChameleonTableRow *row)
{
	VerifyTable *vt = palloc0(sizeof(VerifyTable));
	ChameleonSchemaOptions one = run->opts;
	List	   *tables;
	Oid			relid;
	Relation	rel;
	TupleDesc	desc;
	const ChameleonIndex *pk = NULL;
	StringInfoData sel;

	one.tables_limit = list_make1(row->mysql_table);
	tables = chameleon_schema_read(run->conn, &one);
	if (tables == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("MySQL has no table \"%s\"", row->mysql_table)));
	vt->t = linitial(tables);
	relid = get_relname_relid(row->pg_table, get_namespace_oid(row->pg_schema, false));
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s.%s does not exist", row->pg_schema, row->pg_table)));
	vt->qualified = quote_qualified_identifier(row->pg_schema, row->pg_table);

	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	vt->ncols = vt->t->ncolumns;
	vt->cols = palloc0(sizeof(VerifyColumn) * vt->ncols);
	for (int i = 0; i < vt->ncols; i++)
	{
		VerifyColumn *c = &vt->cols[i];
		Oid			func;
		bool		varlena;

		c->my = &vt->t->columns[i];
		chameleon_value_conv_init(&c->conv, c->my->mytype, c->my->pgtype,
								  run->opts.zero_dates_to_null);
		c->attnum = InvalidAttrNumber;
		for (int a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), c->my->name) == 0)
			{
				c->attnum = att->attnum;
				c->typid = att->atttypid;
				c->typmod = att->atttypmod;
			}
		}
		if (c->attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of MySQL table \"%s\" is not in %s",
							c->my->name, row->mysql_table, vt->qualified)));
		/* integers print alike; text and varchar give their input back */
		c->direct = ((c->conv.kind == CHAMELEON_KIND_INT || c->conv.kind == CHAMELEON_KIND_UINT) &&
					 is_integer_type(c->typid)) ||
			(c->conv.kind == CHAMELEON_KIND_TEXT && (c->typid == TEXTOID || c->typid == VARCHAROID));
		getTypeInputInfo(c->typid, &func, &c->typioparam);
		fmgr_info(func, &c->in);
		getTypeOutputInfo(c->typid, &func, &varlena);
		fmgr_info(func, &c->out);
	}
	{
		int			live = 0;

		for (int a = 0; a < desc->natts; a++)
			live += !TupleDescAttr(desc, a)->attisdropped;
		if (live != vt->ncols)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s has %d columns, MySQL table \"%s\" %d", vt->qualified, live,
							row->mysql_table, vt->ncols)));
	}
	table_close(rel, AccessShareLock);

	pk = chameleon_schema_row_key(vt->t);
	if (pk != NULL)
	{
		ListCell   *lc;

		vt->key = palloc(sizeof(int) * list_length(pk->columns));
		foreach(lc, pk->columns)
			for (int i = 0; i < vt->ncols; i++)
				if (strcmp(vt->cols[i].my->name, (char *) lfirst(lc)) == 0)
					vt->key[vt->nkey++] = i;
		vt->ranged = vt->nkey > 0 && is_integer_type(vt->cols[vt->key[0]].typid) &&
			(vt->cols[vt->key[0]].conv.kind == CHAMELEON_KIND_INT ||
			 vt->cols[vt->key[0]].conv.kind == CHAMELEON_KIND_UINT);
	}
	vt->exact = run->opts.is_mariadb && run->cfg->copy_snapshot == CHAMELEON_COPY_SNAPSHOT_AUTO &&
		vt->t->engine != NULL && pg_strcasecmp(vt->t->engine, "InnoDB") == 0;

	vt->mysql_from = psprintf(" FROM %s.%s",
							  chameleon_mysql_quote_identifier(vt->t->database),
							  chameleon_mysql_quote_identifier(vt->t->name));
	initStringInfo(&sel);
	appendStringInfoString(&sel, "SELECT ");
	for (int i = 0; i < vt->ncols; i++)
		appendStringInfo(&sel, "%s%s", i ? ", " : "",
						 chameleon_select_expr(&vt->cols[i].conv, vt->cols[i].my->mytype,
											   chameleon_mysql_quote_identifier(vt->cols[i].my->name)));
	appendStringInfoString(&sel, vt->mysql_from);
	vt->mysql_select = sel.data;
	return vt;
}

/* ---------------------------------------------------------------------
 * One position for both sides
 * ---------------------------------------------------------------------
 */

/* MySQL's read of a chunk: a snapshot or a read lock, and its position. */
static void
source_open(VerifyRun *run, const VerifyTable *vt, ChameleonSnapshot *p)
{
	memset(p, 0, sizeof(*p));
	if (vt->exact)
	{
		chameleon_mysql_exec(run->conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT");
		chameleon_source_snapshot_position(run->conn, p);
	}
	else
	{
		chameleon_mysql_exec(run->conn, psprintf("LOCK TABLES %s.%s READ",
												 chameleon_mysql_quote_identifier(vt->t->database),
												 chameleon_mysql_quote_identifier(vt->t->name)));
		chameleon_source_binlog_status(run->conn, run->opts.is_mariadb, p);
	}
	if (p->binlog_file == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the source has no binary log position"),
				 errhint("verify_tables needs the binary log on (log_bin).")));
}

static void
source_close(VerifyRun *run, const VerifyTable *vt)
{
	chameleon_mysql_exec(run->conn, vt->exact ? "COMMIT" : "UNLOCK TABLES");
}

static bool
worker_runs(const VerifyRun *run)
{
	pid_t		pid = 0;

	return chameleon_worker_is_running(MyDatabaseId, run->src->source_id, &pid) && pid != 0;
}

/*
 * Steps 1-4: MySQL's read is open at a position and the returned snapshot
 * sees PostgreSQL at it; NULL when that cannot be had (*why says why).
 */
static Snapshot
meet_at_one_position(VerifyRun *run, const VerifyTable *vt, char **why)
{
	int32		id = run->src->source_id;

	for (int attempt = 0; attempt < VERIFY_POSITION_TRIES; attempt++)
	{
		char		held_file[CHAMELEON_FILE_LEN];
		uint64		held_pos = 0;
		ChameleonSnapshot p;
		ChameleonPosition w;
		Snapshot	snap;

		if (worker_runs(run))
		{
			if (!chameleon_worker_hold(MyDatabaseId, id, NULL, 0, VERIFY_HOLD_WAIT_MS,
									   held_file, &held_pos))
				continue;		/* stopped or restarting: look again */
			source_open(run, vt, &p);
			if (!chameleon_worker_hold(MyDatabaseId, id, p.binlog_file, (uint64) p.binlog_position,
									   VERIFY_HOLD_WAIT_MS, held_file, &held_pos) ||
				(vt->exact && chameleon_binlog_position_cmp(held_file, held_pos, p.binlog_file,
															(uint64) p.binlog_position) != 0))
			{
				chameleon_worker_release(MyDatabaseId, id);
				source_close(run, vt);
				*why = psprintf("the apply worker did not stop at %s:" INT64_FORMAT,
								p.binlog_file, p.binlog_position);
				continue;
			}
		}
		else
		{
			source_open(run, vt, &p);
			memset(&w, 0, sizeof(w));
			if (!chameleon_position_load(id, &w) ||
				chameleon_binlog_position_cmp(w.file, w.pos, p.binlog_file,
											  (uint64) p.binlog_position) != 0)
			{
				source_close(run, vt);
				*why = psprintf("the replica is not streaming and is at %s:" UINT64_FORMAT ", the source at %s:" INT64_FORMAT "; start it (chameleon.start_replica) to compare",
								w.file ? w.file : "?", w.pos, p.binlog_file, p.binlog_position);
				return NULL;
			}
		}
		snap = RegisterSnapshot(GetLatestSnapshot());
		chameleon_worker_release(MyDatabaseId, id);
		return snap;
	}
	if (*why == NULL)
		*why = "the apply worker could not be held";
	return NULL;
}

/* ---------------------------------------------------------------------
 * Reading a chunk
 * ---------------------------------------------------------------------
 */

/* The integer key upper bound of the chunk after lower (NULL: to the end). */
static char *
chunk_upper(VerifyRun *run, const VerifyTable *vt, const char *lower)
{
	const char *k = chameleon_mysql_quote_identifier(vt->cols[vt->key[0]].my->name);

	return chameleon_mysql_query_value(run->conn, psprintf(
			"SELECT %s%s%s%s%s ORDER BY %s LIMIT 1 OFFSET %d", k, vt->mysql_from,
			lower ? " WHERE " : "", lower ? k : "", lower ? psprintf(" > %s", lower) : "",
			k, CHAMELEON_VERIFY_CHUNK_ROWS - 1));
}

/* An integer key value as MySQL printed it, safe in SQL text. */
static const char *
checked_integer(const char *v)
{
	const char *p = v;

	if (*p == '-')
		p++;
	if (*p == '\0')
		elog(ERROR, "empty integer key value");
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			elog(ERROR, "integer key value \"%s\" is not an integer", v);
	return v;
}

/* One MySQL row of the chunk into rows (texts: room for ncols). */
static void
add_mysql_row(VerifyRun *run, const VerifyTable *vt, HTAB *rows, MYSQL_ROW r,
			  unsigned long *lens, char **texts)
{
	MemoryContext old = MemoryContextSwitchTo(run->row_cxt);
	uint64		rowhash;
	uint64		keyhash;
	VerifyEntry *e;
	bool		found;
	int			key_at = -1;

	row_begin(run);
	for (int i = 0; i < vt->ncols; i++)
	{
		texts[i] = mysql_canonical(run, &vt->cols[i], r[i], lens[i]);
		row_add(run, texts[i]);
	}
	rowhash = row_hash(run);
	keyhash = rowhash;
	if (vt->nkey > 0)
	{
		char	   *kt = key_text(vt, texts);

		keyhash = hash_bytes_extended((const unsigned char *) kt, strlen(kt), 1);
		key_at = run->keys.len;
		MemoryContextSwitchTo(run->chunk_cxt);
		appendBinaryStringInfo(&run->keys, kt, strlen(kt) + 1);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(run->row_cxt);
	run->res->mysql_rows++;
	run->res->mysql_checksum += rowhash;
	e = hash_search(rows, &keyhash, HASH_ENTER, &found);
	e->key_text = key_at;
	e->row = rowhash;
	e->count = found ? e->count + 1 : 1;
}

/* MySQL's rows of the chunk (streamed: mysql_use_result) into a hash table. */
static HTAB *
read_mysql_chunk(VerifyRun *run, const VerifyTable *vt, const char *lower, const char *upper)
{
	HASHCTL		ctl;
	HTAB	   *rows;
	StringInfoData sql;
	MYSQL_RES  *volatile res;
	char	  **texts = palloc(sizeof(char *) * vt->ncols);
	const char *k = vt->ranged ? chameleon_mysql_quote_identifier(vt->cols[vt->key[0]].my->name) : NULL;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(VerifyEntry);
	ctl.hcxt = CurrentMemoryContext;
	rows = hash_create("pg_chameleon verify chunk", CHAMELEON_VERIFY_CHUNK_ROWS, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	initStringInfo(&run->keys);

	initStringInfo(&sql);
	appendStringInfoString(&sql, vt->mysql_select);
	if (lower)
		appendStringInfo(&sql, " WHERE %s > %s", k, checked_integer(lower));
	if (upper)
		appendStringInfo(&sql, " %s %s <= %s", lower ? "AND" : "WHERE", k, checked_integer(upper));
	if (mysql_real_query(run->conn, sql.data, sql.len) != 0 ||
		(res = mysql_use_result(run->conn)) == NULL)
		chameleon_mysql_report(run->conn, ERROR,
							   psprintf("could not read MySQL table \"%s\"", vt->t->name));
	PG_TRY();
	{
		MYSQL_ROW	r;

		while ((r = mysql_fetch_row(res)) != NULL)
			add_mysql_row(run, vt, rows, r, mysql_fetch_lengths(res), texts);
		if (mysql_errno(run->conn) != 0)
			chameleon_mysql_report(run->conn, ERROR,
								   psprintf("could not read MySQL table \"%s\"", vt->t->name));
	}
	PG_CATCH();
	{
		mysql_free_result(res);
		PG_RE_THROW();
	}
	PG_END_TRY();
	mysql_free_result(res);
	return rows;
}

static void
note_difference(VerifyRun *run, const char *key, const char *what)
{
	run->res->differing_rows++;
	if (run->res->first_difference == NULL)
		run->res->first_difference = MemoryContextStrdup(run->result_cxt,
														 key ? psprintf("%s: %s", key, what) : what);
}

/* The PostgreSQL query of a chunk: $1 lower and $2 upper bounds, when given. */
static char *
pg_chunk_sql(const VerifyTable *vt, bool lower, bool upper)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "SELECT ");
	for (int i = 0; i < vt->ncols; i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", quote_identifier(vt->cols[i].my->name));
	appendStringInfo(&s, " FROM %s", vt->qualified);
	if (lower)
		appendStringInfo(&s, " WHERE %s > $1", quote_identifier(vt->cols[vt->key[0]].my->name));
	if (upper)
		appendStringInfo(&s, " %s %s <= $2", lower ? "AND" : "WHERE",
						 quote_identifier(vt->cols[vt->key[0]].my->name));
	return s.data;
}

/* One PostgreSQL row against MySQL's rows. */
static void
match_pg_row(VerifyRun *run, const VerifyTable *vt, HTAB *rows, HeapTuple tup, TupleDesc desc,
			 char **texts)
{
	uint64		rowhash;
	uint64		keyhash;
	VerifyEntry *e;
	char	   *kt = NULL;
	MemoryContext old = MemoryContextSwitchTo(run->row_cxt);

	row_begin(run);
	for (int i = 0; i < vt->ncols; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(tup, desc, i + 1, &isnull);

		texts[i] = isnull ? NULL : OutputFunctionCall(&vt->cols[i].out, d);
		row_add(run, texts[i]);
	}
	rowhash = row_hash(run);
	run->res->pg_rows++;
	run->res->pg_checksum += rowhash;
	if (vt->nkey > 0)
	{
		kt = key_text(vt, texts);
		keyhash = hash_bytes_extended((const unsigned char *) kt, strlen(kt), 1);
	}
	else
		keyhash = rowhash;
	e = hash_search(rows, &keyhash, HASH_FIND, NULL);
	if (e == NULL || e->count == 0)
		note_difference(run, kt, vt->nkey > 0 ? "only in PostgreSQL" :
						"a row only in PostgreSQL (the table has no primary key)");
	else
	{
		if (vt->nkey > 0 && e->row != rowhash)
			note_difference(run, kt, "values differ");
		e->count--;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(run->row_cxt);
}

/* PostgreSQL's rows of the chunk, in snapshot snap, against MySQL's. */
static void
compare_pg_chunk(VerifyRun *run, const VerifyTable *vt, HTAB *rows, Snapshot snap,
				 const char *lower, const char *upper)
{
	Oid			types[2];
	Datum		values[2];
	int			nargs = 0;
	SPIPlanPtr	plan;
	Portal		portal;
	char	  **texts = palloc(sizeof(char *) * vt->ncols);
	const VerifyColumn *k = vt->ranged ? &vt->cols[vt->key[0]] : NULL;

	if (lower)
	{
		types[0] = k->typid;
		values[0] = InputFunctionCall((FmgrInfo *) &k->in, (char *) lower, k->typioparam, -1);
	}
	if (upper)
	{
		types[1] = k->typid;
		values[1] = InputFunctionCall((FmgrInfo *) &k->in, (char *) upper, k->typioparam, -1);
		if (!lower)
		{
			/* $1 unused: give it a type all the same */
			types[0] = k->typid;
			values[0] = values[1];
		}
	}
	nargs = upper ? 2 : lower ? 1 : 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(pg_chunk_sql(vt, lower != NULL, upper != NULL), nargs, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	PushActiveSnapshot(snap);
	portal = SPI_cursor_open(NULL, plan, values, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, VERIFY_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
			match_pg_row(run, vt, rows, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, texts);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	PopActiveSnapshot();
	SPI_finish();
}

/* MySQL's rows no PostgreSQL row matched. */
static void
report_missing(VerifyRun *run, const VerifyTable *vt, HTAB *rows)
{
	HASH_SEQ_STATUS seq;
	VerifyEntry *e;

	hash_seq_init(&seq, rows);
	while ((e = hash_seq_search(&seq)) != NULL)
		for (; e->count > 0; e->count--)
			note_difference(run, e->key_text >= 0 ? run->keys.data + e->key_text : NULL,
							vt->nkey > 0 ? "missing in PostgreSQL" :
							"a row missing in PostgreSQL (the table has no primary key)");
}

/* One chunk after lower (NULL: the first); false when it was the last. */
static bool
verify_chunk(VerifyRun *run, const VerifyTable *vt, char **lower)
{
	char	   *why = NULL;
	Snapshot	snap = meet_at_one_position(run, vt, &why);
	char	   *upper = NULL;
	HTAB	   *rows;

	if (snap == NULL)
	{
		run->res->status = "skipped";
		run->res->detail = MemoryContextStrdup(run->result_cxt, why);
		return false;
	}
	run->res->chunks++;
	if (vt->ranged)
		upper = chunk_upper(run, vt, *lower);
	rows = read_mysql_chunk(run, vt, *lower, upper);
	source_close(run, vt);
	compare_pg_chunk(run, vt, rows, snap, *lower, upper);
	UnregisterSnapshot(snap);
	report_missing(run, vt, rows);
	hash_destroy(rows);
	if (upper == NULL)
		return false;
	*lower = upper;				/* in the chunk's memory: the caller copies it */
	return true;
}

/* ---------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------
 */

typedef struct VerifyOne
{
	VerifyRun  *run;
	const ChameleonTableRow *row;
} VerifyOne;

/* Compare one table (in a subtransaction: an error is the table's). */
static void
verify_one(void *arg)
{
	VerifyOne  *one = arg;
	VerifyRun  *run = one->run;
	VerifyTable *vt = open_table(run, one->row);
	char	   *lower = NULL;
	MemoryContext outer = CurrentMemoryContext;
	bool		more;

	run->res->counted = true;
	do
	{
		MemoryContextSwitchTo(run->chunk_cxt);
		more = verify_chunk(run, vt, &lower);
		MemoryContextSwitchTo(outer);
		if (lower != NULL)
			lower = pstrdup(lower);
		MemoryContextReset(run->chunk_cxt);
	} while (more);
	if (strcmp(run->res->status, "skipped") == 0)
		run->res->counted = false;
	else if (run->res->differing_rows > 0)
	{
		run->res->status = "differs";
		run->res->detail = psprintf(INT64_FORMAT " row%s differ%s (%d chunk%s)",
									run->res->differing_rows,
									run->res->differing_rows == 1 ? "" : "s",
									run->res->differing_rows == 1 ? "s" : "",
									run->res->chunks, run->res->chunks == 1 ? "" : "s");
	}
	else
	{
		run->res->status = "equal";
		run->res->detail = psprintf("%d chunk%s", run->res->chunks,
									run->res->chunks == 1 ? "" : "s");
	}
}

/* Why a table in this state is not compared, or NULL. */
static char *
not_comparable(const ChameleonTableRow *row)
{
	if (strcmp(row->state, "copied") != 0 && strcmp(row->state, "streaming") != 0)
		return psprintf("its state is %s", row->state);
	if (row->replay_file != NULL)
		return psprintf("the stream has not passed its copy window yet (up to %s:" INT64_FORMAT ")",
						row->replay_file, row->replay_position);
	return NULL;
}

static ChameleonVerifyResult *
verify_table(VerifyRun *run, const ChameleonTableRow *row)
{
	ChameleonVerifyResult *res = palloc0(sizeof(ChameleonVerifyResult));
	VerifyOne	one = {run, row};
	ErrorData  *edata;

	char	   *skipped_events = chameleon_config_skipped_events_text(run->cfg, row->mysql_table);

	res->mysql_table = pstrdup(row->mysql_table);
	res->status = "skipped";
	res->detail = not_comparable(row);
	if (res->detail != NULL)
		return res;
	if (skipped_events != NULL)
	{
		res->detail = psprintf("skip_events leaves out its %s events: a deliberate divergence",
							   skipped_events);
		return res;
	}
	res->status = "";
	run->res = res;
	edata = chameleon_run_in_subxact(verify_one, &one);
	run->res = NULL;
	if (edata == NULL)
		return res;
	/* nothing of the table's read may stay open */
	chameleon_worker_release(MyDatabaseId, run->src->source_id);
	if (run->conn != NULL)
	{
		(void) chameleon_mysql_try_query(run->conn, "ROLLBACK", NULL);
		(void) chameleon_mysql_try_query(run->conn, "UNLOCK TABLES", NULL);
	}
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
		ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_CONNECTION_EXCEPTION)
		ReThrowError(edata);
	res->status = "error";
	res->counted = false;
	res->detail = pstrdup(edata->message);
	return res;
}

static bool
wanted(List *tables, const char *name)
{
	ListCell   *lc;

	if (tables == NIL)
		return true;
	foreach(lc, tables)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

List *
chameleon_verify_run(const ChameleonSource *src, List *tables)
{
	VerifyRun	run;
	List	   *results = NIL;
	List	   *rows = chameleon_catalog_table_rows(src->source_id);
	ListCell   *lc;

	foreach(lc, tables)
	{
		ListCell   *rc;
		bool		found = false;

		foreach(rc, rows)
			found |= strcmp(((ChameleonTableRow *) lfirst(rc))->mysql_table, lfirst(lc)) == 0;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table \"%s\" is not replicated by replica \"%s\"",
							(char *) lfirst(lc), src->name)));
	}

	memset(&run, 0, sizeof(run));
	run.src = src;
	run.cfg = chameleon_config_load(src->config_path);
	run.conn = chameleon_mysql_connect(run.cfg);
	chameleon_copy_schema_options(&run.opts, run.cfg, run.conn);
	if (!run.opts.qualify)
		run.opts.pg_schema = src->pg_schema;
	run.result_cxt = CurrentMemoryContext;
	run.chunk_cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_chameleon verify chunk",
										  ALLOCSET_DEFAULT_SIZES);
	run.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_chameleon verify row",
										ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&run.buf);
	initStringInfo(&run.scratch);

	foreach(lc, rows)
	{
		ChameleonTableRow *row = lfirst(lc);

		if (strcmp(row->state, "removed") == 0 || !wanted(tables, row->mysql_table))
			continue;
		results = lappend(results, verify_table(&run, row));
		CHECK_FOR_INTERRUPTS();
	}
	chameleon_mysql_close(run.conn);
	return results;
}
