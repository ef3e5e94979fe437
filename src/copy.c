/*
 * copy.c -- reading MySQL tables into PostgreSQL, and their positions.
 *
 * Owns:
 *   - one slice (chameleon_copy_slice): up to copy_max_size rows in
 *     primary-key order after the last copied key (keyset reads; a table
 *     without a primary key in one pass), read in a MySQL transaction of its
 *     own -- START TRANSACTION WITH CONSISTENT SNAPSHOT and its exact
 *     binlog_snapshot position on MariaDB; SHOW MASTER STATUS before the
 *     snapshot and after the read on MySQL (watermarks); LOCK TABLES t READ
 *     for a table that is not InnoDB -- and never a global lock;
 *   - streaming its rows: mysql_use_result, values converted by
 *     copy_values.c into COPY text format and handed to PostgreSQL's COPY
 *     FROM through a data callback (BeginCopyFrom, as core's logical
 *     replication tablesync.c does).  With copy_mode: file the rows go to a
 *     CSV file in out_dir first, then COPY reads that file.  Memory stays
 *     flat: one buffer of about 64 kB (1 MB for the file);
 *   - init_replica's plan (tables, catalog rows, key ranges) and finish (the
 *     stream's start position, from the tables' positions); the slices in
 *     between are the copy workers' (copy_worker.c);
 *   - sync_tables / add_tables (chameleon_copy_tables): the tables recreated
 *     in place and read slice by slice the same way, in the sync worker's
 *     transaction; each table records the window of its slices.
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "storage/fd.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/lsyscache.h"
#include "utils/portal.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "config.h"
#include "binlog_stream.h"
#include "copy.h"
#include "guard.h"
#include "source_position.h"
#include "ddl_apply.h"
#include "copy_values.h"
#include "list_util.h"
#include "mysql_client.h"
#include "position.h"
#include "progress.h"
#include "schema.h"
#include "spi_util.h"
#include "subxact.h"

/* Bytes written to a CSV file per write() in copy_mode: file. */
#define FILE_CHUNK_BYTES	(1024 * 1024)
/* Rows between two progress updates. */
#define PROGRESS_EVERY_ROWS 1024
/* Lock tag field 4 of our advisory lock (user advisory locks use 1 and 2). */
#define INIT_LOCK_TAG		0x4348

/* How a slicing key column's last value is read back and written into the next WHERE. */
typedef enum SliceLiteral
{
	SLICE_NUMBER,				/* as MySQL prints it, unquoted */
	SLICE_STRING,				/* quoted string (text, dates, times) */
	SLICE_HEX,					/* HEX(col) read, X'..' written (binary strings) */
	SLICE_ORDINAL				/* col+0 read and written (enum, set, bit) */
} SliceLiteral;

/* One table being streamed out of MySQL. */
typedef struct CopyStream
{
	MYSQL	   *conn;
	MYSQL_RES  *res;			/* mysql_use_result; NULL before and after */
	const ChameleonSchemaOptions *opts;
	const ChameleonTable *table;
	ChameleonValueConv *convs;
	int		   *key_columns;	/* positions of the primary key columns */
	int			nkey;
	/*
	 * Slices: the rows are read in key order, slice_size at a time
	 * (copy_max_size), each slice a keyset query that starts after the last
	 * key of the one before.  nslice 0: one pass (no usable key).
	 */
	int			nslice;			/* key columns */
	int		   *slice_col;		/* their table column positions */
	SliceLiteral *slice_lit;
	StringInfoData *slice_last; /* the last row's key, as read (extra columns) */
	bool		slice_started;	/* a row was read: slice_last holds its key */
	int			slice_size;
	int64		slice_rows;		/* rows of the current slice so far */
	int64		slices;			/* slices started */
	bool		one_slice;		/* stop at the end of the first slice */
	const char *lower;			/* range of the one key column: > lower, */
	const char *upper;			/* <= upper (NULL: unbounded) */
	bool		csv;
	StringInfoData buf;			/* converted rows not yet handed out */
	int			bufpos;
	StringInfoData scratch;
	bool		eof;
	int64		rows;
} CopyStream;

/* The stream the COPY data callback reads (the callback has no argument). */
static CopyStream *active_stream = NULL;

/*
 * The MySQL row of the last value that could not be copied, as a JSON
 * object of display values (in TopMemoryContext, so that it outlives the
 * rolled-back (sub)transaction of the table), for chameleon.errors.
 */
static char *BadRowJson = NULL;

static void
forget_bad_row(void)
{
	if (BadRowJson != NULL)
		pfree(BadRowJson);
	BadRowJson = NULL;
}

/* ---------------------------------------------------------------------
 * Streaming rows
 * ---------------------------------------------------------------------
 */

static char *
mysql_ident(const char *name)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '`');
	for (const char *p = name; *p; p++)
	{
		if (*p == '`')
			appendStringInfoChar(&buf, '`');
		appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '`');
	return buf.data;
}

/* How a key column of this type is carried from one slice to the next; false: it cannot be. */
static bool
slice_literal(const ChameleonMySQLType *mt, SliceLiteral *lit)
{
	static const char *const numbers[] = {"tinyint", "smallint", "mediumint", "int", "bigint",
	"decimal", "year", "float", "double"};
	static const char *const strings[] = {"char", "varchar", "tinytext", "text", "mediumtext",
	"longtext", "date", "time", "datetime", "timestamp"};
	static const char *const binaries[] = {"binary", "varbinary", "tinyblob", "blob",
	"mediumblob", "longblob"};
	static const char *const ordinals[] = {"enum", "set", "bit"};

	for (int i = 0; i < (int) lengthof(numbers); i++)
		if (strcmp(mt->base, numbers[i]) == 0)
			return (*lit = SLICE_NUMBER, true);
	for (int i = 0; i < (int) lengthof(strings); i++)
		if (strcmp(mt->base, strings[i]) == 0)
			return (*lit = (mt->charset && strcmp(mt->charset, "binary") == 0) ?
					SLICE_HEX : SLICE_STRING, true);
	for (int i = 0; i < (int) lengthof(binaries); i++)
		if (strcmp(mt->base, binaries[i]) == 0)
			return (*lit = SLICE_HEX, true);
	for (int i = 0; i < (int) lengthof(ordinals); i++)
		if (strcmp(mt->base, ordinals[i]) == 0)
			return (*lit = SLICE_ORDINAL, true);
	return false;
}

/*
 * Can a slice start after a value of this index?  A key on whole NOT NULL
 * columns, none generated, of types a slice can start after.
 */
static bool
index_can_slice(const ChameleonTable *t, const ChameleonIndex *idx)
{
	bool		usable = (idx->primary || idx->is_unique) &&
		chameleon_schema_index_on_not_null_columns(t, idx);
	ListCell   *lk;

	foreach(lk, idx->columns)
	{
		SliceLiteral lit;

		for (int i = 0; i < t->ncolumns; i++)
			if (strcmp(t->columns[i].name, lfirst(lk)) == 0)
				usable &= !t->columns[i].generated && slice_literal(t->columns[i].mytype, &lit);
	}
	return usable;
}

/*
 * The key the slices follow: the primary key, else the first unique index
 * of NOT NULL columns (which then identifies the rows in the apply as a
 * primary key would, apply_relation.c); whole columns of types a slice can
 * start after.  NULL: the table is read in one pass.
 */
static const ChameleonIndex *
slicing_key(const ChameleonTable *t)
{
	ListCell   *lc;

	foreach(lc, t->indexes)
	{
		const ChameleonIndex *idx = lfirst(lc);

		if (idx->primary)
			return index_can_slice(t, idx) ? idx : NULL;
	}
	foreach(lc, t->indexes)
	{
		const ChameleonIndex *idx = lfirst(lc);

		if (index_can_slice(t, idx))
			return idx;
	}
	return NULL;
}

static void
slice_init(CopyStream *st, int slice_size)
{
	const ChameleonTable *t = st->table;
	const ChameleonIndex *key = slice_size > 0 ? slicing_key(t) : NULL;
	ListCell   *lc;

	if (key == NULL)
		return;
	st->slice_size = slice_size;
	st->nslice = list_length(key->columns);
	st->slice_col = palloc(sizeof(int) * st->nslice);
	st->slice_lit = palloc(sizeof(SliceLiteral) * st->nslice);
	/* in the stream's context: the rows are read in COPY's short-lived ones */
	st->slice_last = palloc(sizeof(StringInfoData) * st->nslice);
	foreach(lc, key->columns)
	{
		int			k = foreach_current_index(lc);

		for (int i = 0; i < t->ncolumns; i++)
			if (strcmp(t->columns[i].name, lfirst(lc)) == 0)
				st->slice_col[k] = i;
		slice_literal(t->columns[st->slice_col[k]].mytype, &st->slice_lit[k]);
		initStringInfo(&st->slice_last[k]);
	}
}

static void
stream_init(CopyStream *st, MYSQL *conn, const ChameleonSchemaOptions *opts,
			const ChameleonTable *t, bool csv, int slice_size)
{
	const ChameleonIndex *pk = NULL;

	memset(st, 0, sizeof(*st));
	st->conn = conn;
	st->opts = opts;
	st->table = t;
	st->csv = csv;
	st->convs = palloc0(sizeof(ChameleonValueConv) * t->ncolumns);
	for (int i = 0; i < t->ncolumns; i++)
		chameleon_value_conv_init(&st->convs[i], t->columns[i].mytype,
								  t->columns[i].pgtype, opts->zero_dates_to_null);
	if (t->indexes != NIL && ((ChameleonIndex *) linitial(t->indexes))->primary)
		pk = linitial(t->indexes);
	if (pk != NULL)
	{
		ListCell   *lc;

		st->key_columns = palloc0(sizeof(int) * list_length(pk->columns));
		foreach(lc, pk->columns)
		{
			for (int i = 0; i < t->ncolumns; i++)
			{
				if (strcmp(t->columns[i].name, lfirst(lc)) == 0)
					st->key_columns[st->nkey++] = i;
			}
		}
	}
	initStringInfo(&st->buf);
	initStringInfo(&st->scratch);
	slice_init(st, slice_size);
}

/* A key value of the last row, as the next slice's WHERE writes it. */
static char *
slice_value(const CopyStream *st, int k)
{
	const char *v = st->slice_last[k].data;

	switch (st->slice_lit[k])
	{
		case SLICE_STRING:
			return chameleon_mysql_quote_literal(st->conn, v);
		case SLICE_HEX:
			return psprintf("X'%s'", v);
		case SLICE_ORDINAL:
		case SLICE_NUMBER:
			break;
	}
	return pstrdup(v);
}

/*
 * WHERE (after the previous slice's last key) ORDER BY key LIMIT n, the
 * row comparison written out, (a > x) OR (a = x AND b > y) ..., which the
 * range optimizer of every version serves from the key.
 */
static void
append_slice_clauses(const CopyStream *st, StringInfo sql)
{
	const ChameleonTable *t = st->table;
	const char *where = " WHERE ";
	char	   *first = mysql_ident(t->columns[st->slice_col[0]].name);

	if (st->slice_started)
	{
		appendStringInfoString(sql, " WHERE (");
		for (int k = 0; k < st->nslice; k++)
		{
			appendStringInfoString(sql, k ? " OR (" : "(");
			for (int j = 0; j <= k; j++)
			{
				char	   *col = mysql_ident(t->columns[st->slice_col[j]].name);

				if (st->slice_lit[j] == SLICE_ORDINAL)
					col = psprintf("%s+0", col);
				appendStringInfo(sql, "%s%s %s %s", j ? " AND " : "", col,
								 j == k ? ">" : "=", slice_value(st, j));
			}
			appendStringInfoChar(sql, ')');
		}
		appendStringInfoChar(sql, ')');
		where = " AND ";
	}
	else if (st->lower)
	{
		appendStringInfo(sql, " WHERE %s > %s", first, st->lower);
		where = " AND ";
	}
	if (st->upper)
		appendStringInfo(sql, "%s%s <= %s", where, first, st->upper);
	appendStringInfoString(sql, " ORDER BY ");
	for (int k = 0; k < st->nslice; k++)
		appendStringInfo(sql, "%s%s", k ? ", " : "", mysql_ident(t->columns[st->slice_col[k]].name));
	appendStringInfo(sql, " LIMIT %d", st->slice_size);
}

static char *
build_select(const CopyStream *st)
{
	const ChameleonTable *t = st->table;
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int i = 0; i < t->ncolumns; i++)
	{
		if (i > 0)
			appendStringInfoString(&sql, ", ");
		appendStringInfoString(&sql, chameleon_select_expr(&st->convs[i],
														   t->columns[i].mytype,
														   mysql_ident(t->columns[i].name)));
	}
	/* the slicing key again, as the next slice's WHERE needs it */
	for (int k = 0; k < st->nslice; k++)
	{
		char	   *col = mysql_ident(t->columns[st->slice_col[k]].name);

		appendStringInfo(&sql, ", %s", st->slice_lit[k] == SLICE_HEX ? psprintf("HEX(%s)", col) :
						 st->slice_lit[k] == SLICE_ORDINAL ? psprintf("%s+0", col) :
						 strcmp(t->columns[st->slice_col[k]].mytype->base, "float") == 0 ?
						 psprintf("CAST(%s AS DOUBLE)", col) : col);
	}
	appendStringInfo(&sql, " FROM %s.%s", mysql_ident(t->database),
					 mysql_ident(t->name));
	if (st->nslice > 0)
		append_slice_clauses(st, &sql);
	return sql.data;
}

static void
stream_start(CopyStream *st)
{
	char	   *sql = build_select(st);
	char	   *what = psprintf("could not read MySQL table \"%s\"", st->table->name);

	if (mysql_real_query(st->conn, sql, strlen(sql)) != 0)
		chameleon_mysql_report(st->conn, ERROR, what);
	st->res = mysql_use_result(st->conn);
	if (st->res == NULL)
		chameleon_mysql_report(st->conn, ERROR, what);
	if (mysql_num_fields(st->res) != (unsigned int) (st->table->ncolumns + st->nslice))
		elog(ERROR, "MySQL returned %u columns for table \"%s\", expected %d",
			 mysql_num_fields(st->res), st->table->name, st->table->ncolumns + st->nslice);
	st->slices++;
	st->slice_rows = 0;
	chameleon_progress_slice();
}

/* Keep the key of the row just read: the next slice starts after it. */
static void
slice_remember(CopyStream *st, MYSQL_ROW row, unsigned long *lengths)
{
	for (int k = 0; k < st->nslice; k++)
	{
		const char *v = row[st->table->ncolumns + k];

		if (v == NULL)
			elog(ERROR, "the slicing key of MySQL table \"%s\" has a NULL", st->table->name);
		resetStringInfo(&st->slice_last[k]);
		appendBinaryStringInfo(&st->slice_last[k], v, lengths[st->table->ncolumns + k]);
	}
	st->slice_started = true;
	st->slice_rows++;
}

/*
 * Give up an unfinished result.  drain: read the rest of it
 * (mysql_free_result does), so that the connection and its snapshot go on
 * serving the next table; else detach it from the connection first, which
 * is then unusable and must be closed.
 */
static void
stream_abandon(CopyStream *st, bool drain)
{
	if (st->res == NULL)
		return;
	if (!drain)
		st->res->handle = NULL;
	mysql_free_result(st->res);
	st->res = NULL;
}

/* A value for an error message: as text when printable, else as hex. */
static char *
display_value(const char *v, unsigned long len)
{
	StringInfoData buf;
	bool		printable = pg_verify_mbstr(PG_UTF8, v, (int) len, true);

	for (unsigned long i = 0; printable && i < len; i++)
		printable = ((unsigned char) v[i] >= 0x20);
	initStringInfo(&buf);
	if (printable)
	{
		int			keep = pg_mbcliplen(v, (int) len, 100);

		appendBinaryStringInfo(&buf, v, keep);
		if ((unsigned long) keep < len)
			appendStringInfoString(&buf, "...");
		return buf.data;
	}
	appendStringInfoString(&buf, "0x");
	for (unsigned long i = 0; i < len && i < 64; i++)
		appendStringInfo(&buf, "%02x", (unsigned char) v[i]);
	if (len > 64)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/* "with primary key (a, b)=(1, x)", or the row number when there is no key. */
static char *
describe_row(const CopyStream *st, MYSQL_ROW row, unsigned long *lengths)
{
	StringInfoData names;
	StringInfoData values;

	if (st->nkey == 0)
		return psprintf("number " INT64_FORMAT " (the table has no primary key)",
						st->rows + 1);
	initStringInfo(&names);
	initStringInfo(&values);
	for (int k = 0; k < st->nkey; k++)
	{
		int			i = st->key_columns[k];

		appendStringInfo(&names, "%s%s", k > 0 ? ", " : "", st->table->columns[i].name);
		appendStringInfo(&values, "%s%s", k > 0 ? ", " : "",
						 row[i] ? display_value(row[i], lengths[i]) : "NULL");
	}
	return psprintf("with primary key (%s)=(%s)", names.data, values.data);
}

/* The row as a JSON object {"column": "display value" | null, ...}. */
static char *
row_json(const CopyStream *st, MYSQL_ROW row, unsigned long *lengths)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < st->table->ncolumns; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, st->table->columns[i].name);
		appendStringInfoString(&buf, ": ");
		if (row[i] == NULL)
			appendStringInfoString(&buf, "null");
		else
			escape_json(&buf, display_value(row[i], lengths[i]));
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

static void
report_bad_value(const CopyStream *st, int col, ChameleonConvStatus status,
				 MYSQL_ROW row, unsigned long *lengths)
{
	const char *hint = NULL;
	int			code = ERRCODE_INVALID_TEXT_REPRESENTATION;

	if (status == CHAMELEON_CONV_BAD_TEXT)
	{
		code = ERRCODE_CHARACTER_NOT_IN_REPERTOIRE;
		hint = "Fix the value in MySQL, or check the character set of the column.";
	}
	else if (status == CHAMELEON_CONV_ZERO_DATE)
	{
		code = ERRCODE_INVALID_DATETIME_FORMAT;
		hint = "Set zero_dates_to_null: true to copy zero dates as NULL.";
	}
	forget_bad_row();
	BadRowJson = MemoryContextStrdup(TopMemoryContext, row_json(st, row, lengths));
	ereport(ERROR,
			(errcode(code),
			 errmsg("could not copy column \"%s\" of MySQL table \"%s\".\"%s\"",
					st->table->columns[col].name, st->table->database, st->table->name),
			 errdetail("In the row %s: %s; the value is %s.",
					   describe_row(st, row, lengths),
					   chameleon_conv_status_message(status),
					   display_value(row[col], lengths[col])),
			 hint ? errhint("%s", hint) : 0));
}

static void
append_row(CopyStream *st, MYSQL_ROW row, unsigned long *lengths)
{
	StringInfo	buf = &st->buf;

	for (int i = 0; i < st->table->ncolumns; i++)
	{
		const char *out;
		size_t		outlen;
		ChameleonConvStatus status = CHAMELEON_CONV_NULL;

		if (i > 0)
			appendStringInfoChar(buf, st->csv ? ',' : '\t');
		if (row[i] != NULL)
			status = chameleon_convert_value(&st->convs[i], row[i], lengths[i],
											 &st->scratch, &out, &outlen);
		if (status == CHAMELEON_CONV_NULL)
		{
			if (!st->csv)
				appendBinaryStringInfo(buf, "\\N", 2);
			continue;
		}
		if (status != CHAMELEON_CONV_OK)
			report_bad_value(st, i, status, row, lengths);
		if (st->csv)
			chameleon_copy_escape_csv(buf, out, outlen);
		else
			chameleon_copy_escape_text(buf, out, outlen);
	}
	appendStringInfoChar(buf, '\n');
}

/* Convert rows into st->buf until it holds at least want bytes or the table ends. */
static void
stream_fill(CopyStream *st, int want)
{
	while (!st->eof && st->buf.len < want)
	{
		MYSQL_ROW	row = mysql_fetch_row(st->res);

		if (row == NULL)
		{
			if (mysql_errno(st->conn) != 0)
				chameleon_mysql_report(st->conn, ERROR,
									   psprintf("could not read MySQL table \"%s\"",
												st->table->name));
			mysql_free_result(st->res);
			st->res = NULL;
			/* a full slice: the next one starts after its last key */
			if (st->nslice > 0 && st->slice_rows == st->slice_size && !st->one_slice)
			{
				stream_start(st);
				continue;
			}
			st->eof = true;
			break;
		}
		if (st->nslice > 0)
			slice_remember(st, row, mysql_fetch_lengths(st->res));
		append_row(st, row, mysql_fetch_lengths(st->res));
		st->rows++;
		if (st->rows % PROGRESS_EVERY_ROWS == 0)
			chameleon_progress_table_rows(st->rows);
	}
	chameleon_progress_table_rows(st->rows);
}

/* COPY's data source: hand out converted rows, 0 at the end of the table. */
static int
copy_read_data(void *outbuf, int minread, int maxread)
{
	CopyStream *st = active_stream;
	int			n;

	CHECK_FOR_INTERRUPTS();
	if (st->bufpos >= st->buf.len)
	{
		resetStringInfo(&st->buf);
		st->bufpos = 0;
		stream_fill(st, maxread);
	}
	n = Min(st->buf.len - st->bufpos, maxread);
	memcpy(outbuf, st->buf.data + st->bufpos, n);
	st->bufpos += n;
	return n;
}

/* ---------------------------------------------------------------------
 * COPY FROM
 * ---------------------------------------------------------------------
 */

/*
 * COPY FREEZE is allowed (and saves rewriting every page later) when the
 * table was created or truncated in this subtransaction and nothing else
 * holds a snapshot: the same test CopyFrom makes, done here to avoid its
 * error.
 */
static bool
can_freeze(Relation rel)
{
	if (rel->rd_createSubid != GetCurrentSubTransactionId() &&
		rel->rd_newRelfilenodeSubid != GetCurrentSubTransactionId())
		return false;
	/* as CopyFrom does: the catalog snapshot's registration does not count */
	InvalidateCatalogSnapshot();
	return ThereAreNoPriorRegisteredSnapshots() && ThereAreNoReadyPortals();
}

static List *
copy_options(Relation rel, bool csv)
{
	List	   *options = list_make1(makeDefElem("encoding", (Node *) makeString("UTF8"), -1));

	if (csv)
		options = lappend(options, makeDefElem("format", (Node *) makeString("csv"), -1));
	if (can_freeze(rel))
		options = lappend(options, makeDefElem("freeze", (Node *) makeBoolean(true), -1));
	return options;
}

/* COPY into rel from filename, or from the active stream when filename is NULL. */
static uint64
run_copy_from(Relation rel, const char *filename, bool csv)
{
	ParseState *pstate = make_parsestate(NULL);
	CopyFromState cstate;
	uint64		processed;

	(void) addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, NULL, false, false);
	cstate = BeginCopyFrom(pstate, rel, NULL, filename, false,
						   filename ? NULL : copy_read_data, NIL, copy_options(rel, csv));
	processed = CopyFrom(cstate);
	EndCopyFrom(cstate);
	free_parsestate(pstate);
	return processed;
}

static void
write_all(int fd, const char *path, const char *data, int len)
{
	while (len > 0)
	{
		ssize_t		n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			if (n == 0)
				errno = ENOSPC;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write file \"%s\": %m", path)));
		}
		data += n;
		len -= n;
	}
}

/* copy_mode: file -- stream the table into a new CSV file; sets *path once created. */
static void
write_csv_file(CopyStream *st, const char *out_dir, Oid relid, char **path)
{
	char	   *name = psprintf("%s/pg_chameleon_%d_%u.csv", out_dir, MyProcPid, relid);
	int			fd;

	fd = OpenTransientFilePerm(name, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY,
							   S_IRUSR | S_IWUSR);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", name),
				 errhint("Check out_dir in the configuration: the PostgreSQL server writes the copy files there.")));
	*path = name;
	while (!st->eof)
	{
		CHECK_FOR_INTERRUPTS();
		resetStringInfo(&st->buf);
		stream_fill(st, FILE_CHUNK_BYTES);
		write_all(fd, name, st->buf.data, st->buf.len);
	}
	if (CloseTransientFile(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", name)));
}

static void
copy_error_context(void *arg)
{
	CopyStream *st = (CopyStream *) arg;

	errcontext("initial copy of MySQL table \"%s\".\"%s\" into \"%s\".\"%s\"",
			   st->table->database, st->table->name, st->table->pg_schema,
			   st->table->name);
}

/*
 * Copy the rows of one table; returns the number of rows.  keep_connection:
 * after an error the connection (and its snapshot) still serves the next
 * table.
 */
static int64
copy_stream_rows(CopyStream *st, const ChameleonConfig *cfg, bool keep_connection)
{
	bool		file_mode = (cfg->copy_mode == CHAMELEON_COPY_FILE);
	const ChameleonTable *t = st->table;
	Relation	rel;
	volatile uint64 processed = 0;
	char	   *volatile path = NULL;
	ErrorContextCallback errcb;

	rel = table_open(t->relid, RowExclusiveLock);
	errcb.callback = copy_error_context;
	errcb.arg = st;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	PG_TRY();
	{
		stream_start(st);
		if (file_mode)
		{
			write_csv_file(st, cfg->out_dir ? cfg->out_dir : "/tmp", t->relid, (char **) &path);
			processed = run_copy_from(rel, path, true);
		}
		else
		{
			active_stream = st;
			processed = run_copy_from(rel, NULL, false);
		}
	}
	PG_FINALLY();
	{
		active_stream = NULL;
		stream_abandon(st, keep_connection);
		if (path != NULL && unlink(path) != 0 && errno != ENOENT)
			elog(WARNING, "could not remove file \"%s\": %m", path);
	}
	PG_END_TRY();
	error_context_stack = errcb.previous;
	table_close(rel, NoLock);

	if ((int64) processed != st->rows)
		elog(ERROR, "COPY stored " UINT64_FORMAT " rows of table \"%s\", MySQL sent " INT64_FORMAT,
			 processed, t->name, st->rows);
	return st->rows;
}


/* ---------------------------------------------------------------------
 * Snapshot
 * ---------------------------------------------------------------------
 */

static bool
server_is_mariadb(MYSQL *conn)
{
	const char *version = mysql_get_server_info(conn);

	return version != NULL && strstr(version, "MariaDB") != NULL;
}

static void
setup_session(MYSQL *conn, bool is_mariadb)
{
	if (mysql_set_character_set(conn, "utf8mb4") != 0)
		chameleon_mysql_report(conn, ERROR, "could not set the MySQL connection to utf8mb4");
	chameleon_mysql_exec(conn, "SET SESSION time_zone = '+00:00'");
	chameleon_mysql_exec(conn, "SET SESSION sql_mode = ''");
	/* the server must wait for us while PostgreSQL writes a batch */
	chameleon_mysql_exec(conn, "SET SESSION net_write_timeout = 3600");
	chameleon_mysql_exec(conn, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
	chameleon_mysql_exec(conn, is_mariadb ? "SET SESSION max_statement_time = 0"
						 : "SET SESSION max_execution_time = 0");
}

static bool
is_transactional(const ChameleonTable *t)
{
	return t->engine != NULL && pg_strcasecmp(t->engine, "InnoDB") == 0;
}

/* The engine of a MySQL table now (NULL if it is gone). */
static char *
table_engine_now(MYSQL *conn, const ChameleonTable *t)
{
	return chameleon_mysql_query_value(conn, psprintf(
			"SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
			chameleon_mysql_quote_literal(conn, t->database),
			chameleon_mysql_quote_literal(conn, t->name)));
}





/* ---------------------------------------------------------------------
 * init_replica
 * ---------------------------------------------------------------------
 */

bool
chameleon_copy_lock(const char *source_name, bool wait)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId,
						 hash_bytes((const unsigned char *) source_name, strlen(source_name)),
						 0, INIT_LOCK_TAG);
	return LockAcquire(&tag, ExclusiveLock, true, !wait) != LOCKACQUIRE_NOT_AVAIL;
}

void
chameleon_copy_unlock(const char *source_name)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId,
						 hash_bytes((const unsigned char *) source_name, strlen(source_name)),
						 0, INIT_LOCK_TAG);
	LockRelease(&tag, ExclusiveLock, true);
}

static void
check_target_schema_name(const char *pg_schema)
{
	/* the extension is not relocatable: its API schema is always chameleon */
	if (strncmp(pg_schema, "pg_", 3) == 0 || strcmp(pg_schema, "information_schema") == 0 ||
		strcmp(pg_schema, "sch_chameleon") == 0 || strcmp(pg_schema, "chameleon") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("schema \"%s\" cannot be the target of a replica", pg_schema),
				 errhint("Set pg_schema in the configuration to another name.")));
}

static void
drop_schema(const char *pg_schema)
{
	if (!OidIsValid(get_namespace_oid(pg_schema, true)))
		return;
	ereport(NOTICE, (errmsg("dropping schema \"%s\" and everything in it", pg_schema)));
	chameleon_run_sql(psprintf("DROP SCHEMA %s CASCADE", quote_identifier(pg_schema)));
}

/* The schemas of an existing replica: its own and those of its tables. */
static List *
replica_schemas(const ChameleonSource *src)
{
	List	   *schemas = list_make1(src->pg_schema);
	ListCell   *lc;

	foreach(lc, chameleon_catalog_table_rows(src->source_id))
	{
		ChameleonTableRow *r = lfirst(lc);

		if (!chameleon_name_in_list(schemas, r->pg_schema))
			schemas = lappend(schemas, r->pg_schema);
	}
	return schemas;
}

/* Refuse to overwrite an existing replica or schema, unless force. */
static void
prepare_target(const ChameleonConfig *cfg, bool force)
{
	ChameleonSource *src = chameleon_source_by_name(cfg->source_name);
	ListCell   *lc;

	foreach(lc, cfg->databases)
	{
		const char *schema = ((ChameleonDatabaseMap *) lfirst(lc))->schema;

		check_target_schema_name(schema);
		if (!force && src == NULL && OidIsValid(get_namespace_oid(schema, true)))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_SCHEMA),
					 errmsg("schema \"%s\" already exists", schema),
					 errhint("Drop it, map the database to another schema in the configuration, or use force => true to replace it.")));
	}
	if (!force && src != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("MySQL database \"%s\" is already replicated into schema \"%s\"",
						src->name, src->pg_schema),
				 errdetail("The replica is in state \"%s\".", src->state),
				 errhint("Use chameleon.init_replica(force => true) to drop schema \"%s\" and copy again.",
						 src->pg_schema)));
	if (src != NULL)
	{
		List	   *old = replica_schemas(src);

		foreach(lc, old)
			check_target_schema_name(lfirst(lc));
		/* first: fails while the replica's worker still runs */
		chameleon_origin_drop_released(MyDatabaseId, src->source_id, src->name);
		foreach(lc, old)
			drop_schema(lfirst(lc));
		chameleon_source_delete(src->source_id);
	}
	foreach(lc, cfg->databases)
		drop_schema(((ChameleonDatabaseMap *) lfirst(lc))->schema);
}




/* Keep in (*file, *pos) the earlier (later: the later) of it and (f, p); true if changed. */
static bool
keep_position(char **file, int64 *pos, const char *f, int64 p, bool later)
{
	int			cmp;

	if (f == NULL)
		return false;
	if (*file != NULL)
	{
		cmp = chameleon_binlog_position_cmp(f, (uint64) p, *file, (uint64) *pos);
		if (later ? cmp <= 0 : cmp >= 0)
			return false;
	}
	*file = pstrdup(f);
	*pos = p;
	return true;
}


static bool
window_is_open(const ChameleonCopyWindow *w)
{
	return w->low_file != NULL && w->high_file != NULL &&
		(strcmp(w->low_file, w->high_file) != 0 || w->low_position != w->high_position);
}


void
chameleon_copy_store_foreign_keys(int source_id, List *tables)
{
	ListCell   *lc;

	foreach(lc, tables)
	{
		ChameleonTable *t = lfirst(lc);
		ListCell   *lf;

		foreach(lf, t->foreign_keys)
		{
			ChameleonForeignKey *fk = lfirst(lf);
			ChameleonStoredForeignKey stored = {
				.mysql_table = t->key,
				.constraint_name = fk->name,
				.columns = fk->columns,
				.referenced_schema = fk->ref_schema,
				.referenced_table = fk->ref_table,
				.referenced_columns = fk->ref_columns,
				.on_update = fk->on_update,
				.on_delete = fk->on_delete,
			};

			chameleon_catalog_add_foreign_key(source_id, &stored);
		}
	}
}




/*
 * A table that could not be copied (a value PostgreSQL cannot hold, one it
 * rejects): its rows are rolled back, it goes to state error with the row in
 * t_errors, and the copy goes on with the other tables.
 */
static void
record_copy_failure(int source_id, const char *name, const char *file, int64 position,
					ErrorData *edata, bool has_row, const char *pg_schema)
{
	char	   *message = edata->detail ? psprintf("%s: %s", edata->message, edata->detail)
		: edata->message;
	ChameleonLogWhere where = {file, (uint64) (file ? position : 0), NULL};

	if (!has_row)
		chameleon_catalog_add_table(source_id, name, pg_schema, name, "error", 0,
									file, position);
	chameleon_catalog_table_set_state(source_id, name, "error", message);
	chameleon_catalog_add_error(source_id, &where, name, "copy", BadRowJson, message,
								unpack_sql_state(edata->sqlerrcode));
	forget_bad_row();
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("table \"%s\" was not copied: %s", name, edata->message),
			 edata->detail ? errdetail("%s", edata->detail) : 0,
			 errhint("The row is in chameleon.errors; fix it in MySQL, then copy the table with chameleon.sync_tables().")));
}



/* The summary's note of tables left in error, or "". */
static char *
in_error_note(int failed)
{
	if (failed == 0)
		return "";
	return psprintf("; %d table%s in error (see chameleon.errors)", failed,
					failed == 1 ? "" : "s");
}

static void
fill_schema_options(ChameleonSchemaOptions *opts, const ChameleonConfig *cfg)
{
	memset(opts, 0, sizeof(*opts));
	if (cfg->qualified_names)
	{
		opts->databases = cfg->databases;
		opts->qualify = true;
	}
	else
	{
		opts->my_database = cfg->my_database;
		opts->pg_schema = cfg->pg_schema ? cfg->pg_schema : cfg->my_database;
	}
	opts->tables_limit = cfg->tables_limit;
	opts->skip_tables = cfg->skip_tables;
	opts->source_name = cfg->source_name;
	opts->zero_dates_to_null = cfg->zero_dates_to_null;
	opts->protect_tables = cfg->protect_tables;
	opts->type_options.tinyint1_as_boolean = cfg->tinyint1_as_boolean;
	opts->type_options.hexify = cfg->hexify;
	opts->type_options.overrides = cfg->type_override;
	/* spatial columns: PostGIS geometry when the database has it, else bytea (EWKB) */
	opts->type_options.postgis_schema = chameleon_postgis_schema();
	opts->type_options.postgis = opts->type_options.postgis_schema != NULL;
}

/* ---------------------------------------------------------------------
 * init_replica in steps: the plan, the slices, the finish
 * ---------------------------------------------------------------------
 */

void
chameleon_copy_schema_options(ChameleonSchemaOptions *opts, const ChameleonConfig *cfg,
							  MYSQL *conn)
{
	fill_schema_options(opts, cfg);
	if (conn != NULL)
	{
		opts->is_mariadb = server_is_mariadb(conn);
		setup_session(conn, opts->is_mariadb);
	}
}

static bool
scan_int64(const char *s, int64 *v)
{
	char	   *end;

	errno = 0;
	*v = strtoi64(s, &end, 10);
	return errno == 0 && end != s && *end == '\0';
}

/*
 * The ranges of a table: one, or -- an integer slicing key of one column,
 * more rows than two slices and more than one copy worker -- up to four per
 * worker, evenly between MIN and MAX of the key, so that workers share it.
 */
static void
plan_ranges(MYSQL *conn, const ChameleonConfig *cfg, const ChameleonSchemaOptions *opts,
			int32 source_id, const ChameleonTable *t)
{
	const ChameleonIndex *key = slicing_key(t);
	int64		want = 1;
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	int64		lo,
				hi;
	char	   *col;

	if (key != NULL && list_length(key->columns) == 1 && cfg->copy_workers > 1)
		want = Min((int64) cfg->copy_workers * 4,
				   (t->rows_estimate + cfg->copy_max_size - 1) / cfg->copy_max_size);
	if (want > 1)
	{
		const ChameleonColumn *c = NULL;

		for (int i = 0; i < t->ncolumns; i++)
			if (strcmp(t->columns[i].name, linitial(key->columns)) == 0)
				c = &t->columns[i];
		if (c == NULL || strstr("tinyint smallint mediumint int bigint", c->mytype->base) == NULL)
			want = 1;
	}
	if (want <= 1)
	{
		chameleon_copy_range_add(source_id, t->key, 1, NULL, NULL, t->rows_estimate);
		return;
	}
	col = mysql_ident(linitial(key->columns));
	res = chameleon_mysql_query(conn, psprintf("SELECT MIN(%s), MAX(%s) FROM %s.%s", col, col,
											   mysql_ident(t->database),
											   mysql_ident(t->name)));
	row = mysql_fetch_row(res);
	if (row == NULL || row[0] == NULL || row[1] == NULL ||
		!scan_int64(row[0], &lo) || !scan_int64(row[1], &hi) || hi - lo < want)
		want = 1;
	chameleon_mysql_free_result(res);
	if (want <= 1)
	{
		chameleon_copy_range_add(source_id, t->key, 1, NULL, NULL, t->rows_estimate);
		return;
	}
	for (int64 i = 0; i < want; i++)
	{
		/* lo + (hi - lo) * i / want without overflow */
		char	   *lower = i == 0 ? NULL :
			psprintf(INT64_FORMAT, lo + (int64) ((long double) (hi - lo) * i / want));
		char	   *upper = i == want - 1 ? NULL :
			psprintf(INT64_FORMAT, lo + (int64) ((long double) (hi - lo) * (i + 1) / want));

		chameleon_copy_range_add(source_id, t->key, (int) i + 1, lower, upper,
								 t->rows_estimate / want);
	}
}

/*
 * Before anything is made: the MySQL databases exist, and no other replica
 * of the source uses my_server_id.
 */
static void
check_source_ready(MYSQL *conn, const ChameleonConfig *cfg)
{
	char	   *other;
	ChameleonSource *existing;
	ListCell   *lc;

	foreach(lc, cfg->databases)
	{
		const char *db = ((ChameleonDatabaseMap *) lfirst(lc))->database;

		if (chameleon_mysql_query_value(conn, psprintf(
				"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
				chameleon_mysql_quote_literal(conn, db))) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_CATALOG_NAME),
					 errmsg("MySQL database \"%s\" does not exist", db),
					 errdetail("information_schema.SCHEMATA has no such database visible to the account of \"%s\".",
							   cfg->path),
					 cfg->qualified_names ?
					 errhint("Map only existing databases in schema_mappings (SHOW DATABASES lists them), or grant the account SELECT on it; chameleon.check_source() checks both.") :
					 errhint("Set my_database to an existing database (SHOW DATABASES lists them), or grant the account SELECT on it; chameleon.check_source() checks both.")));
	}
	/* the replica being copied again may still show, about to go */
	existing = chameleon_source_by_name(cfg->source_name);
	other = chameleon_server_id_user(conn, (uint32) cfg->my_server_id,
									 existing ? chameleon_replica_identity(MyDatabaseId,
																		   existing->source_id) : NULL);
	if (other != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("my_server_id %d is used by another replica of the source", cfg->my_server_id),
				 errdetail("SHOW SLAVE HOSTS lists server id %d for host \"%s\".",
						   cfg->my_server_id, other),
				 errhint("Set my_server_id in \"%s\" to a number no other replica of this server uses.",
						 cfg->path)));
}

int32
chameleon_copy_plan(const ChameleonConfig *cfg, bool force)
{
	ChameleonSchemaOptions opts;
	MYSQL	   *volatile conn = NULL;
	volatile int32 source_id = 0;

	fill_schema_options(&opts, cfg);
	/* (config.c has checked the length of each schema name) */
	prepare_target(cfg, force);
	/* the copy ends by setting the new replica's origin: a slot must be free */
	chameleon_origin_require_slot(MyDatabaseId, 0, "copy a new replica");

	PG_TRY();
	{
		List	   *tables;
		ListCell   *lc;

		conn = chameleon_mysql_connect(cfg);
		chameleon_copy_schema_options(&opts, cfg, conn);
		check_source_ready(conn, cfg);
		tables = chameleon_schema_read(conn, &opts);
		chameleon_schema_create_tables(&opts, tables);
		source_id = chameleon_source_add(cfg->source_name, chameleon_config_database_names(cfg),
										 chameleon_config_first_schema(cfg),
										 cfg->path, cfg->my_server_id, "initialising");
		foreach(lc, tables)
		{
			ChameleonTable *t = lfirst(lc);

			chameleon_catalog_add_table(source_id, t->key, t->pg_schema, t->name, "pending",
										0, NULL, 0);
			if (opts.protect_tables)
				chameleon_guard_table(t->pg_schema, t->name, cfg->source_name);
			chameleon_schema_index_notices(t);
			/* the MySQL shape the stream starts from (ddl_apply.h) */
			chameleon_shape_save(source_id, t->key,
								 chameleon_shape_from_schema(t->database, t));
			plan_ranges(conn, cfg, &opts, source_id, t);
		}
		chameleon_copy_store_foreign_keys(source_id, tables);
	}
	PG_FINALLY();
	{
		if (conn != NULL)
			chameleon_mysql_close(conn);
	}
	PG_END_TRY();
	return source_id;
}

/* Has the PostgreSQL table of t the columns of t, in order? */
static bool
same_columns(const ChameleonTable *t)
{
	Relation	rel = table_open(t->relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	int			k = 0;
	bool		same = true;

	for (int i = 0; i < desc->natts && same; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		same = k < t->ncolumns && strcmp(NameStr(att->attname), t->columns[k].name) == 0;
		k++;
	}
	table_close(rel, AccessShareLock);
	return same && k == t->ncolumns;
}

ChameleonTable *
chameleon_copy_read_table(MYSQL *conn, const ChameleonSchemaOptions *opts, const char *name)
{
	ChameleonSchemaOptions one = *opts;
	List	   *tables;
	ChameleonTable *t;

	one.tables_limit = list_make1((char *) name);
	tables = chameleon_schema_read(conn, &one);
	t = linitial(tables);
	t->relid = get_relname_relid(t->name, get_namespace_oid(t->pg_schema, false));
	if (!OidIsValid(t->relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s\".\"%s\" of the copy does not exist", t->pg_schema, t->name),
				 errhint("Run chameleon.init_replica(force => true) to copy again.")));
	if (!same_columns(t))
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("MySQL table \"%s\" changed its columns during the copy", name),
				 errhint("Copy it again with chameleon.sync_tables() once the replica streams.")));
	return t;
}

/* How a slice gets its binlog position. */
typedef enum SliceSnapshot
{
	SLICE_SNAPSHOT_EXACT,		/* MariaDB: the consistent snapshot's own position */
	SLICE_SNAPSHOT_LOCK,		/* LOCK TABLES t READ: the position while writes wait */
	SLICE_SNAPSHOT_WATERMARK	/* positions before and after the read */
} SliceSnapshot;

static SliceSnapshot
slice_snapshot(const ChameleonConfig *cfg, const ChameleonSchemaOptions *opts,
			   const ChameleonTable *t, bool keyed)
{
	if (!is_transactional(t))
		return SLICE_SNAPSHOT_LOCK;
	if (opts->is_mariadb && cfg->copy_snapshot == CHAMELEON_COPY_SNAPSHOT_AUTO)
		return SLICE_SNAPSHOT_EXACT;
	/* a window's changes are replayed by the primary key: without one, lock */
	return keyed ? SLICE_SNAPSHOT_WATERMARK : SLICE_SNAPSHOT_LOCK;
}

static void
check_still_innodb(MYSQL *conn, const ChameleonSchemaOptions *opts, const ChameleonTable *t)
{
	char	   *engine = table_engine_now(conn, t);

	if (engine == NULL || pg_strcasecmp(engine, "InnoDB") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("MySQL table \"%s\" changed storage engine during the copy", t->name),
				 errhint("Copy it again with chameleon.sync_tables() once the replica streams.")));
}

static void
slice_open(MYSQL *conn, const ChameleonSchemaOptions *opts, const ChameleonTable *t,
		   SliceSnapshot how, ChameleonCopySlice *out)
{
	ChameleonSnapshot snap;

	memset(&snap, 0, sizeof(snap));
	switch (how)
	{
		case SLICE_SNAPSHOT_EXACT:
			chameleon_mysql_exec(conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT");
			chameleon_source_snapshot_position(conn, &snap);
			check_still_innodb(conn, opts, t);
			break;
		case SLICE_SNAPSHOT_LOCK:
			chameleon_mysql_exec(conn, psprintf("LOCK TABLES %s.%s READ",
												mysql_ident(t->database),
												mysql_ident(t->name)));
			chameleon_source_binlog_status(conn, opts->is_mariadb, &snap);
			break;
		case SLICE_SNAPSHOT_WATERMARK:
			chameleon_source_binlog_status(conn, opts->is_mariadb, &snap);
			chameleon_mysql_exec(conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT");
			check_still_innodb(conn, opts, t);
			break;
	}
	out->low_file = out->high_file = snap.binlog_file;
	out->low_position = out->high_position = snap.binlog_position;
	out->low_gtid = opts->is_mariadb ? NULL : snap.gtid;
}

static void
slice_close(MYSQL *conn, const ChameleonSchemaOptions *opts, SliceSnapshot how,
			ChameleonCopySlice *out)
{
	chameleon_mysql_exec(conn, how == SLICE_SNAPSHOT_LOCK ? "UNLOCK TABLES" : "COMMIT");
	if (how == SLICE_SNAPSHOT_WATERMARK)
	{
		ChameleonSnapshot snap;

		memset(&snap, 0, sizeof(snap));
		chameleon_source_binlog_status(conn, opts->is_mariadb, &snap);
		out->high_file = snap.binlog_file;
		out->high_position = snap.binlog_position;
	}
}

void
chameleon_copy_slice_abandon(MYSQL *conn)
{
	chameleon_mysql_exec(conn, "UNLOCK TABLES");
	chameleon_mysql_exec(conn, "ROLLBACK");
}

/* Start after the recorded last key of the range. */
static void
slice_resume(CopyStream *st, List *last_key)
{
	ListCell   *lc;

	if (st->nslice == 0 || last_key == NIL)
		return;
	if (list_length(last_key) != st->nslice)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the last copied key of table \"%s\" has %d columns, its key %d",
						st->table->name, list_length(last_key), st->nslice),
				 errhint("Run chameleon.init_replica(force => true) to copy again.")));
	foreach(lc, last_key)
	{
		StringInfo	k = &st->slice_last[foreach_current_index(lc)];

		resetStringInfo(k);
		appendStringInfoString(k, (char *) lfirst(lc));
	}
	st->slice_started = true;
}

void
chameleon_copy_slice(MYSQL *conn, const ChameleonConfig *cfg, const ChameleonSchemaOptions *opts,
					 const ChameleonTable *t, const ChameleonCopyRange *r,
					 ChameleonCopySlice *out)
{
	CopyStream	st;
	SliceSnapshot how;

	memset(out, 0, sizeof(*out));
	stream_init(&st, conn, opts, t, cfg->copy_mode == CHAMELEON_COPY_FILE,
				slicing_key(t) ? cfg->copy_max_size : 0);
	st.one_slice = true;
	if (st.nslice == 1 && st.slice_lit[0] == SLICE_NUMBER)
	{
		st.lower = r->lower_key;
		st.upper = r->upper_key;
	}
	slice_resume(&st, r->last_key);
	how = slice_snapshot(cfg, opts, t, st.nslice > 0);
	slice_open(conn, opts, t, how, out);
	out->rows = copy_stream_rows(&st, cfg, true);
	slice_close(conn, opts, how, out);
	out->range_done = st.nslice == 0 || st.slice_rows < st.slice_size;
	if (st.nslice > 0 && st.slice_rows > 0)
	{
		for (int k = 0; k < st.nslice; k++)
			out->last_key = lappend(out->last_key, pstrdup(st.slice_last[k].data));
	}
}

void
chameleon_copy_finish_table(const ChameleonSchemaOptions *opts, ChameleonTable *t,
							List **deferred)
{
	ChameleonSchemaOptions quiet = *opts;
	ChameleonIndex *key = (ChameleonIndex *) slicing_key(t);

	/* the plan gave the NOTICEs of the indexes */
	quiet.quiet_indexes = true;
	/* the slices read each value of a unique slicing key once: no deferral */
	if (key != NULL && !key->primary)
		key->identity = true;
	chameleon_progress_phase(CHAMELEON_PHASE_INDEXES);
	chameleon_schema_finish_table(&quiet, t, deferred);
}

void
chameleon_copy_table_error(int32 source_id, const ChameleonSchemaOptions *opts,
						   const char *name, ErrorData *edata)
{
	char	   *db,
			   *schema,
			   *table;

	if (!chameleon_schema_key_split(opts, name, &db, &schema, &table))
		elog(ERROR, "table key \"%s\" names no database of the replica", name);
	chameleon_run_sql(psprintf("TRUNCATE %s.%s", quote_identifier(schema),
							   quote_identifier(table)));
	chameleon_copy_table_failed(source_id, name);
	record_copy_failure(source_id, name, NULL, 0, edata, true, schema);
}

/* The GTID position of the stream's start (file, position), or NULL. */
static char *
start_gtid(MYSQL *conn, int32 source_id, const char *file, int64 position, bool is_mariadb)
{
	ChameleonSnapshot snap;

	if (!is_mariadb)
		return chameleon_copy_min_low_gtid(source_id, file, position);
	memset(&snap, 0, sizeof(snap));
	snap.binlog_file = (char *) file;
	snap.binlog_position = position;
	chameleon_source_snapshot_gtid(conn, &snap);
	return snap.gtid;
}

/* Where the stream starts: the earliest table snapshot, else now. */
/*
 * The stream starts at the earliest slice's position: a long copy may have
 * outlived that binlog file (purged, or expired).  Then no stream can follow
 * the copy: say so now rather than at start_replica.
 */
static void
require_binlog_file(MYSQL *conn, const char *file, int64 pos)
{
	MYSQL_RES  *res = NULL;
	MYSQL_ROW	row;
	bool		found = false;

	if (!chameleon_mysql_try_query(conn, "SHOW BINARY LOGS", &res) || res == NULL)
		return;					/* not allowed: start_replica will tell */
	while ((row = mysql_fetch_row(res)) != NULL)
		found |= row[0] != NULL && strcmp(row[0], file) == 0;
	chameleon_mysql_free_result(res);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the binlog the stream must start from, %s:" INT64_FORMAT ", is purged from the source",
						file, pos),
				 errdetail("The copy's earliest slice was read at that position; the source no longer has the file."),
				 errhint("Keep binlogs longer than a copy takes (binlog_expire_logs_seconds, expire_logs_days), then copy again with chameleon.init_replica(force => true).")));
}

static void
stream_start_position(const ChameleonConfig *cfg, int32 source_id,
					  ChameleonSchemaOptions *opts, ChameleonSnapshot *start)
{
	MYSQL	   *volatile conn = NULL;

	memset(start, 0, sizeof(*start));
	PG_TRY();
	{
		char	   *f;
		int64		p;

		conn = chameleon_mysql_connect(cfg);
		chameleon_copy_schema_options(opts, cfg, conn);
		if (chameleon_catalog_tables_earliest_snapshot(source_id, &f, &p))
		{
			start->binlog_file = f;
			start->binlog_position = p;
			require_binlog_file(conn, f, p);
			start->gtid = start_gtid(conn, source_id, f, p, opts->is_mariadb);
		}
		else
		{
			/* no table copied: the stream starts now */
			chameleon_source_binlog_status(conn, opts->is_mariadb, start);
			if (opts->is_mariadb)
				chameleon_source_snapshot_gtid(conn, start);
		}
	}
	PG_CATCH();
	{
		if (conn != NULL)
			chameleon_mysql_close(conn);
		PG_RE_THROW();
	}
	PG_END_TRY();
	chameleon_mysql_close(conn);
}

char *
chameleon_copy_finish(const ChameleonConfig *cfg, int32 source_id)
{
	ChameleonSchemaOptions opts;
	ChameleonSnapshot start;
	char	   *file;
	int64		position;
	char	   *gtid;
	int			copied = 0;
	int			failed = 0;
	int64		rows = 0;
	ListCell   *lc;

	stream_start_position(cfg, source_id, &opts, &start);
	file = start.binlog_file;
	position = start.binlog_position;
	gtid = start.gtid;
	foreach(lc, chameleon_catalog_table_reports(source_id))
	{
		ChameleonTableReport *r = lfirst(lc);

		if (strcmp(r->state, "error") == 0)
			failed++;
		else
			copied++;
		rows += r->copied_rows;
	}
	if (file != NULL)
		chameleon_position_set(source_id, file, position, gtid);
	else
		ereport(WARNING,
				(errmsg("the MySQL binary log is off: the copy cannot be followed by a replica"),
				 errhint("Enable log_bin (with binlog_format=ROW) on the MySQL server and run init_replica again to replicate.")));
	chameleon_source_set_state(source_id, "stopped", NULL, true);

	if (file != NULL)
		return psprintf("copied %d tables (" INT64_FORMAT " rows) of %s at binlog position %s:" INT64_FORMAT "%s%s%s",
						copied, rows, chameleon_config_describe_databases(cfg), file, position,
						gtid ? ", gtid " : "", gtid ? gtid : "", in_error_note(failed));
	return psprintf("copied %d tables (" INT64_FORMAT " rows) of %s%s",
					copied, rows, chameleon_config_describe_databases(cfg), in_error_note(failed));
}

/* ---------------------------------------------------------------------
 * sync_tables / add_tables: some tables, one snapshot
 * ---------------------------------------------------------------------
 */

/* Every name must be a base table of a MySQL database of the replica. */
static void
check_source_tables(MYSQL *conn, const ChameleonSchemaOptions *opts)
{
	ListCell   *lc;

	foreach(lc, opts->tables_limit)
	{
		const char *name = lfirst(lc);
		char	   *db,
				   *schema,
				   *table;

		if (!chameleon_schema_key_split(opts, name, &db, &schema, &table))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table \"%s\" is not in a database of the replica", name),
					 errhint("This replica maps several databases: name tables as \"database.table\".")));
		if (chameleon_mysql_query_value(conn, psprintf(
				"SELECT TABLE_NAME FROM information_schema.TABLES "
				"WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND TABLE_TYPE = 'BASE TABLE'",
				chameleon_mysql_quote_literal(conn, db),
				chameleon_mysql_quote_literal(conn, table))) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table \"%s\" does not exist in MySQL database \"%s\"",
							table, db),
					 errhint("Only base tables can be replicated; names are case sensitive.")));
	}
}

/*
 * The owner a (re)created table gets, as a quoted role name: the owner of
 * the table it replaces, else the owner of the schema.
 */
static char *
new_table_owner(const char *pg_schema, const char *table)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {CStringGetTextDatum(pg_schema), CStringGetTextDatum(table)};
	char	   *owner = NULL;
	int			rc;

	chameleon_spi_connect();
	rc = SPI_execute_with_args("SELECT coalesce((SELECT c.relowner FROM pg_catalog.pg_class c"
							   " WHERE c.relnamespace = n.oid AND c.relname = $2"
							   " AND c.relkind IN ('r', 'p')), n.nspowner)"
							   "::pg_catalog.regrole::pg_catalog.text"
							   " FROM pg_catalog.pg_namespace n WHERE n.nspname = $1",
							   2, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed (%d) reading the owner of \"%s\"", rc, table);
	if (SPI_processed > 0)
		owner = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 1));
	SPI_finish();
	if (owner == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" of the replica does not exist", pg_schema),
				 errhint("Run chameleon.init_replica() again.")));
	return owner;
}

/* DROP TABLE, with our words when other objects depend on the table. */
static void
drop_old_table(const ChameleonSchemaOptions *opts, const ChameleonTable *t, const char *qname)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		chameleon_run_sql(psprintf("DROP TABLE IF EXISTS %s", qname));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("table \"%s\".\"%s\" cannot be replaced by a new copy: other objects depend on it",
						t->pg_schema, t->name),
				 edata->detail ? errdetail("%s", edata->detail) : 0,
				 errhint("Drop the dependent objects first (and create them again afterwards).")));
	}
	PG_END_TRY();
}

/* Drop the table's old incarnation and create it from the MySQL definition. */
static void
recreate_table(const ChameleonSchemaOptions *opts, ChameleonTable *t)
{
	char	   *owner = new_table_owner(t->pg_schema, t->name);
	char	   *qname = psprintf("%s.%s", quote_identifier(t->pg_schema),
								 quote_identifier(t->name));

	drop_old_table(opts, t, qname);
	chameleon_schema_create_table(opts, t);
	chameleon_run_sql(psprintf("ALTER TABLE %s OWNER TO %s", qname, owner));
	if (opts->protect_tables)
		chameleon_guard_table(t->pg_schema, t->name, opts->source_name);
}

/*
 * The stream's rejoin position P of the copied tables (the earliest slice
 * position), with its GTID position; the position read before the copy
 * when no table was copied.
 */
static void
rejoin_position(MYSQL *conn, const ChameleonSchemaOptions *opts, List *result,
				ChameleonSnapshot *snap)
{
	ListCell   *lc;
	char	   *file = NULL;
	int64		pos = 0;
	char	   *gtid = NULL;

	foreach(lc, result)
	{
		ChameleonCopiedTable *c = lfirst(lc);

		if (!c->failed && keep_position(&file, &pos, c->binlog_file, c->binlog_position, false))
			gtid = c->low_gtid;
	}
	if (file == NULL)
		return;
	snap->binlog_file = file;
	snap->binlog_position = pos;
	snap->gtid = gtid;
	if (opts->is_mariadb)
	{
		snap->gtid = NULL;
		chameleon_source_snapshot_gtid(conn, snap);
	}
}

/*
 * sync_tables' plan, in the caller's transaction: each table dropped and
 * created again, its ranges planned -- unless a sync of it was interrupted
 * with ranges left and none failed, then it resumes from its committed
 * slices (*resumed gets its name).  ERROR when the binary log is off.
 */
static void
run_sync_plan(MYSQL *conn, const ChameleonConfig *cfg, int source_id,
			  ChameleonSchemaOptions *opts, List **resumed)
{
	ChameleonSnapshot snap;
	List	   *tables;
	ListCell   *lc;

	opts->is_mariadb = server_is_mariadb(conn);
	setup_session(conn, opts->is_mariadb);
	check_source_tables(conn, opts);
	memset(&snap, 0, sizeof(snap));
	chameleon_source_binlog_status(conn, opts->is_mariadb, &snap);
	if (snap.binlog_file == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the MySQL binary log is off"),
				 errdetail("A copied table cannot join the stream without a binlog position."),
				 errhint("Enable log_bin (with binlog_format=ROW) on the MySQL server.")));
	tables = chameleon_schema_read(conn, opts);
	/* the ranges a dead sync worker was copying (one sync per source at a time) */
	chameleon_copy_ranges_release(source_id, 0);
	foreach(lc, tables)
	{
		ChameleonTable *t = lfirst(lc);

		if (chameleon_copy_table_resumable(source_id, t->key))
		{
			*resumed = lappend(*resumed, t->key);
			continue;
		}
		recreate_table(opts, t);
		chameleon_copy_ranges_forget(source_id, t->key);
		plan_ranges(conn, cfg, opts, source_id, t);
		chameleon_catalog_delete_foreign_keys(source_id, t->key);
		/* the MySQL shape the table rejoins the stream with (ddl_apply.h) */
		chameleon_shape_save(source_id, t->key,
							 chameleon_shape_from_schema(t->database, t));
		chameleon_copy_store_foreign_keys(source_id, list_make1(t));
	}
}

List *
chameleon_copy_sync_plan(const ChameleonConfig *cfg, int source_id, const char *pg_schema,
						 List *names)
{
	ChameleonSchemaOptions opts;
	MYSQL	   *volatile conn = NULL;
	List	   *volatile resumed = NIL;

	fill_schema_options(&opts, cfg);
	if (!opts.qualify)
		opts.pg_schema = pg_schema;
	opts.tables_limit = names;
	PG_TRY();
	{
		List	   *found = NIL;

		conn = chameleon_mysql_connect(cfg);
		run_sync_plan(conn, cfg, source_id, &opts, &found);
		resumed = found;
	}
	PG_CATCH();
	{
		if (conn != NULL)
			chameleon_mysql_close(conn);
		PG_RE_THROW();
	}
	PG_END_TRY();
	chameleon_mysql_close(conn);
	return resumed;
}

/* The rejoin position of the copied tables (rejoin_position), with a connection of its own. */
static void
rejoin(const ChameleonConfig *cfg, List *copied, ChameleonSnapshot *snap)
{
	ChameleonSchemaOptions opts;
	MYSQL	   *volatile conn = NULL;

	fill_schema_options(&opts, cfg);
	PG_TRY();
	{
		conn = chameleon_mysql_connect(cfg);
		opts.is_mariadb = server_is_mariadb(conn);
		chameleon_source_binlog_status(conn, opts.is_mariadb, snap);
		if (opts.is_mariadb)
			chameleon_source_snapshot_gtid(conn, snap);
		rejoin_position(conn, &opts, copied, snap);
	}
	PG_CATCH();
	{
		if (conn != NULL)
			chameleon_mysql_close(conn);
		PG_RE_THROW();
	}
	PG_END_TRY();
	chameleon_mysql_close(conn);
}

/*
 * The synced tables once their ranges are copied: rows, failed, window and
 * deferred indexes of each, and in *snap the rejoin position P (the
 * earliest slice position) with its GTID position.
 */
List *
chameleon_copy_sync_result(const ChameleonConfig *cfg, int source_id, List *names,
						   ChameleonSnapshot *snap)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, chameleon_catalog_table_rows(source_id))
	{
		ChameleonTableRow *row = lfirst(lc);
		ChameleonCopiedTable *c;
		ChameleonCopyWindow w;

		if (!chameleon_name_in_list(names, row->mysql_table))
			continue;
		c = palloc0(sizeof(ChameleonCopiedTable));
		c->name = row->mysql_table;
		c->failed = strcmp(row->state, "error") == 0;
		if (!c->failed && !chameleon_copy_table_window(source_id, row->mysql_table, &w))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("the copy of table \"%s\" did not finish", row->mysql_table),
					 errhint("Run chameleon.sync_tables() again: it resumes the copy.")));
		if (!c->failed)
		{
			c->rows = w.rows;
			c->binlog_file = w.low_file;
			c->binlog_position = w.low_position;
			if (window_is_open(&w))
			{
				c->replay_file = w.high_file;
				c->replay_position = w.high_position;
			}
			c->low_gtid = w.low_file ?
				chameleon_copy_min_low_gtid(source_id, w.low_file, w.low_position) : NULL;
			c->deferred_indexes = row->deferred_indexes;
		}
		result = lappend(result, c);
	}
	memset(snap, 0, sizeof(*snap));
	rejoin(cfg, result, snap);
	return result;
}

