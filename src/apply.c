/*
 * apply.c -- row changes into the replica's tables (see apply.h).
 *
 * Owns the dispatch of a rows event (decode, then insert/update/delete
 * through the statement backend, apply_int.h), INSERT batching (which rows
 * go together and when a batch is sent), the idempotent replay of the
 * rows events in a table's replay window (a copy read in slices), per-table
 * counters, error attribution and the careful replay of a table whose
 * statement failed.
 * The replicated tables and table versions are apply_relation.c's; the
 * statements are the backend's (apply_spi.c).
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "apply_int.h"
#include "catalog.h"
#include "subxact.h"

/* The statement backend. */
static const ChameleonApplyBackend *Backend = &chameleon_apply_spi_backend;

/* Session state */
static MemoryContext ApplySessionContext = NULL;	/* the session */
/* The session being applied (source, config, where, contexts, stop flag). */
static ChameleonApplySession *Session = NULL;
static List *CarefulTables = NIL;	/* char *, in TopMemoryContext */

/* The statement being executed, for error attribution. */
static ChameleonApplyTarget *CurrentTarget = NULL;

/* The pending INSERT batch: consecutive inserted rows of one table. */
typedef struct InsertBatch
{
	ChameleonApplyTable *table;
	int			nrows;
	Size		bytes;
} InsertBatch;

static InsertBatch Pending;

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

/* ---------------------------------------------------------------------
 * Session and transactions
 * ---------------------------------------------------------------------
 */

void
chameleon_apply_session_start(ChameleonApplySession *session)
{
	chameleon_apply_session_end();
	Session = session;
	if (ApplySessionContext == NULL)
		ApplySessionContext = AllocSetContextCreate(Session->session_context,
													"pg_chameleon apply session",
													ALLOCSET_DEFAULT_SIZES);
	Backend->session_start(Session->session_context);
	chameleon_relmap_open(Session, ApplySessionContext);
	chameleon_fkeys_open(Session, ApplySessionContext);
}

static void
forget_version(ChameleonApplyTable *t)
{
	Backend->forget_table(t);
}

void
chameleon_apply_session_end(void)
{
	chameleon_relmap_foreach_version(forget_version);
	chameleon_relmap_close();
	chameleon_fkeys_close();
	memset(&Pending, 0, sizeof(Pending));
	CurrentTarget = NULL;
	if (ApplySessionContext)
	{
		Backend->session_end();
		MemoryContextReset(ApplySessionContext);
	}
}

void
chameleon_apply_xact_begin(void)
{
	Backend->xact_begin();
}

/* Per-table applied row counters, in the apply transaction. */
static void
write_counter(ChameleonApplyTarget *t)
{
	if (t->batch_rows == 0)
		return;
	chameleon_catalog_table_applied(Session->source_id, t->mysql_table, t->batch_rows);
	t->batch_rows = 0;
}

/* Send the pending INSERT batch; its errors are its table's. */
static void
flush_inserts(void)
{
	if (Pending.table == NULL)
		return;
	CurrentTarget = Pending.table->target;
	Backend->flush();
	memset(&Pending, 0, sizeof(Pending));
	CurrentTarget = NULL;
}

void
chameleon_apply_xact_end(void)
{
	flush_inserts();
	chameleon_relmap_foreach_target(write_counter);
	Backend->xact_end();
}

void
chameleon_apply_flush(void)
{
	flush_inserts();
}

void
chameleon_apply_schema_changed(void)
{
	flush_inserts();
	chameleon_relmap_foreach_target(write_counter);
	chameleon_relmap_foreach_version(forget_version);
	chameleon_relmap_reload();
	chameleon_fkeys_reload();
}

static void
reset_counter(ChameleonApplyTarget *t)
{
	t->batch_rows = 0;
}

void
chameleon_apply_xact_abort(void)
{
	Backend->xact_abort();
	memset(&Pending, 0, sizeof(Pending));
	CurrentTarget = NULL;
	chameleon_relmap_foreach_target(reset_counter);
	chameleon_fkeys_statement_end();
}

void
chameleon_apply_statement_end(void)
{
	chameleon_fkeys_statement_end();
}

/* ---------------------------------------------------------------------
 * Table versions
 * ---------------------------------------------------------------------
 */

static bool careful_resolve(ChameleonApplyTable *t, const ChameleonTableMap *map);

/*
 * The table version of a table map (created on first sight); NULL when the
 * table's changes are not replicated (other database, not in
 * t_replica_tables, in error).  Not resolved yet, maybe.
 */
static ChameleonApplyTable *
known_version(const ChameleonTableMap *map)
{
	ChameleonApplyTable *t;
	ChameleonApplyTarget *target = NULL;
	bool		found;

	t = chameleon_relmap_version(map, &found);
	if (!found)
	{
		char	   *key = chameleon_table_key(Session->config, map->schema, map->table);

		/* not resolved yet; a failure below leaves the entry unresolved */
		t->target = NULL;
		t->decode = NULL;
		t->name = NULL;
		t->statements = NULL;
		if (key == NULL || (target = chameleon_relmap_target(key)) == NULL)
		{
			t->name = "";		/* resolved: not replicated */
			return NULL;
		}
		t->target = target;
	}
	if (t->target == NULL || t->target->in_error)
		return NULL;
	return t;
}

/* Forget t's resolution if map describes another shape (a reused table id). */
static void
forget_other_shape(ChameleonApplyTable *t, const ChameleonTableMap *map)
{
	if (t->decode == NULL || chameleon_relmap_same_map(t->decode->map, map))
		return;
	if (Pending.table == t)
		flush_inserts();
	Backend->forget_table(t);
	t->decode = NULL;
}

ChameleonApplyTable *
chameleon_apply_table(const ChameleonTableMap *map, const char *file, uint64 pos)
{
	ChameleonApplyTable *t = known_version(map);
	ChameleonApplyTarget *target;

	if (t == NULL)
		return NULL;
	target = t->target;
	if (chameleon_relmap_before_snapshot(target, file, pos))
		return NULL;
	forget_other_shape(t, map);
	if (t->decode != NULL)
		return t;

	/* first use of this table version: resolve it */
	if (target->careful)
	{
		if (!careful_resolve(t, map))
			return NULL;
	}
	else
	{
		CurrentTarget = target;
		chameleon_relmap_resolve(t, map);
		CurrentTarget = NULL;
	}
	return t;
}

/* ---------------------------------------------------------------------
 * INSERT batching
 * ---------------------------------------------------------------------
 */

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

/*
 * Add an inserted row to the pending batch.  A batch holds rows of one
 * table (and, the backend decides, one statement shape) and is sent at
 * CHAMELEON_INSERT_BATCH_ROWS rows or CHAMELEON_INSERT_BATCH_BYTES bytes.
 */
static void
batch_insert(ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	Size		bytes = 0;

	if (Pending.table != t)
	{
		flush_inserts();
		CurrentTarget = t->target;
	}
	if (!Backend->insert(t, c, &bytes))
	{
		flush_inserts();
		CurrentTarget = t->target;
		if (!Backend->insert(t, c, &bytes))
			elog(ERROR, "the statement backend refused a row for an empty batch");
	}
	Pending.table = t;
	Pending.nrows++;
	Pending.bytes += bytes;
	if (Pending.nrows >= CHAMELEON_INSERT_BATCH_ROWS ||
		Pending.bytes >= CHAMELEON_INSERT_BATCH_BYTES)
		flush_inserts();
}

/* ---------------------------------------------------------------------
 * The idempotent replay window
 *
 * A table copied in slices holds each key range as the source had it at
 * that slice's binlog position: its rows are at different positions
 * between the copy's snapshot (t_replica_tables.snapshot_*, the first
 * slice) and the end of its replay window (replay_*, after the last
 * slice).  A rows event of the table in that window is in some slices
 * and not in others, so it is applied idempotently, from the full row
 * images (binlog_row_image=FULL), by primary key:
 *   insert  delete the rows holding one of the new row's UNIQUE values
 *           (a unique key none of whose columns is NULL) under another
 *           primary key, then insert the row or replace the row of its
 *           primary key with it;
 *   update  if the primary key changed, delete the row of the before
 *           image's key if present; then the after image as an insert;
 *   delete  delete the row of the before image's key if present.
 * Why the table ends equal to the source: every event from the window's
 * start on is replayed, in the source's order.  Before each event at P,
 * every row of the table either is as the source had it at P, or it has
 * an event in [P, end of window) still to come: a row captured by a slice
 * at Q differs from the source at P only if it changed between P and Q
 * (or, for Q < P, an event in [Q, P) was replayed and set it to its image
 * at P).  Each idempotent step sets its row to its full after image (or
 * removes it), whatever the row was, so after it that row is as the source
 * had it.  A row deleted because it holds a unique value of the new row
 * cannot be as the source had it at P (the source checks unique keys row
 * by row, so after the event no other row holds that value): it has a
 * later event in the window, which gives it its state back.  At the end of
 * the window every row is therefore as the source had it there, rows no
 * event touched since the window's start included, and from there on the
 * ordinary apply (batched inserts, exactly one row per update and delete)
 * is exact.  A table without a key (neither a primary key nor a unique
 * index of NOT NULL columns) never gets a window (its copy is not sliced);
 * should it have one, its changes are applied normally.
 * ---------------------------------------------------------------------
 */

/* Is this rows event of t in its table's replay window? */
static bool
in_replay_window(const ChameleonApplyTable *t)
{
	return t->has_pk &&
		chameleon_relmap_in_window(t->target, Session->where.file, Session->where.pos);
}

/* An image carries every replicated column (binlog_row_image=FULL)? */
static void
require_full_image(const ChameleonApplyTable *t, const ChameleonRowImage *img)
{
	for (int i = 0; i < t->ncols; i++)
		if (t->colname[i] != NULL && !img->present[i])
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("a row of table %s in its replay window lacks column %s",
							t->name, t->colname[i]),
					 errdetail("Changes between the snapshots of a copy read in slices are replayed from full row images."),
					 errhint("Use binlog_row_image=FULL on the source, or copy the table again with chameleon.sync_tables().")));
}

/* Did an update change the primary key? */
static bool
key_changed(const ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	for (int i = 0; i < t->ncols; i++)
	{
		if (!t->is_key[i])
			continue;
		if (c->before.isnull[i] != c->after.isnull[i] ||
			(!c->before.isnull[i] && strcmp(c->before.values[i], c->after.values[i]) != 0))
			return true;
	}
	return false;
}

/* Apply one change of the replay window idempotently (see above). */
static void
apply_change_idempotent(ChameleonApplyTable *t, const ChameleonRowChange *c)
{
	flush_inserts();
	CurrentTarget = t->target;
	if (c->kind != CHAMELEON_ROWS_DELETE)
		require_full_image(t, &c->after);
	if (c->kind == CHAMELEON_ROWS_DELETE ||
		(c->kind == CHAMELEON_ROWS_UPDATE && key_changed(t, c)))
		Backend->delete_if_present(t, c);
	if (c->kind != CHAMELEON_ROWS_DELETE)
	{
		Backend->delete_unique_conflicts(t, c);
		Backend->upsert(t, c);
	}
	CurrentTarget = NULL;
}

/*
 * Apply one change; batch: inserts may wait in the pending batch;
 * idempotent: the change is in its table's replay window.
 */
static void
apply_change(ChameleonApplyTable *t, const ChameleonRowChange *c, bool batch, bool idempotent)
{
	ApplyOp		op = op_of(c->kind);

	if (idempotent)
	{
		apply_change_idempotent(t, c);
		return;
	}
	if (op == OP_INSERT && batch)
	{
		batch_insert(t, c);
		return;
	}
	flush_inserts();
	CurrentTarget = t->target;
	if (op == OP_INSERT)
	{
		batch_insert(t, c);
		flush_inserts();
	}
	else if (op == OP_UPDATE)
		Backend->update(t, c);
	else
		Backend->delete(t, c);
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
record_table_error(ChameleonApplyTarget *target, const char *operation, const char *row_json,
				   const ErrorData *edata)
{
	ChameleonLogWhere where = {Session->where.file, Session->where.pos, Session->where.gtid};

	chameleon_catalog_add_error(Session->source_id, &where, target->mysql_table, operation,
								row_json, edata->message, unpack_sql_state(edata->sqlerrcode));
	chameleon_catalog_table_set_state(Session->source_id, target->mysql_table, "error",
									  edata->message);
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
	ChameleonLogWhere where;

	if (!e->valid)
		return;
	where.file = e->file;
	where.pos = e->pos;
	where.gtid = e->gtid;
	chameleon_catalog_add_error(Session->source_id, &where, e->mysql_table, e->operation,
								e->row_json, e->message, e->sqlstate);
	if (e->mysql_table != NULL)
		chameleon_catalog_table_set_last_error(Session->source_id, e->mysql_table, e->message);
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
	bool		idempotent;		/* ev is in the table's replay window */
	List	   *rows;			/* decoded ChameleonRowChange * */
} CarefulStep;

static void
careful_step(CarefulStep *step)
{
	if (step->map)
	{
		CurrentTarget = step->table->target;
		chameleon_relmap_resolve(step->table, step->map);
		CurrentTarget = NULL;
		return;
	}
	if (step->change)
	{
		apply_change(step->table, step->change, false, step->idempotent);
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

/* A change to target's table was rejected: record it, or stop (on_error). */
void
chameleon_apply_target_failed(ChameleonApplyTarget *target, const char *op, const char *row,
							  ErrorData *edata)
{
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
careful_failed(CarefulStep *step, ErrorData *edata)
{
	const char *op = step->ev ? apply_op_name(op_of(step->ev->kind)) : "table map";

	chameleon_apply_target_failed(step->table->target, op,
								  change_json(step->table, step->change), edata);
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
	Backend->discard();
	careful_failed(step, edata);
	return false;
}

bool
chameleon_apply_for_target(ChameleonApplyTarget *target, const char *operation,
						   const char *row_json, void (*fn) (void *), void *arg)
{
	ChameleonApplyTarget *saved = CurrentTarget;
	ChameleonApplyTarget *culprit;
	ErrorData  *edata;

	if (!target->careful)
	{
		CurrentTarget = target;
		fn(arg);
		CurrentTarget = saved;
		return true;
	}
	CurrentTarget = target;
	edata = chameleon_run_in_subxact(fn, arg);
	/* a nested step of another table may have failed (a chain of keys) */
	culprit = CurrentTarget ? CurrentTarget : target;
	CurrentTarget = saved;
	if (edata == NULL)
		return true;
	chameleon_apply_target_failed(culprit, operation, row_json, edata);
	return false;
}

/*
 * Careful path for a whole rows event: decode it (a rows event is small,
 * bounded by the source's binlog_row_event_max_size), then apply row by row.
 */
static uint64
apply_rows_careful(ChameleonApplyTable *t, const ChameleonRowsEvent *ev, bool actions)
{
	CarefulStep step = {t, NULL, ev, NULL, in_replay_window(t), NIL};
	uint64		n = 0;
	ListCell   *lc;

	flush_inserts();
	if (!careful(&step))
		return 0;
	foreach(lc, step.rows)
	{
		step.change = (ChameleonRowChange *) lfirst(lc);
		if (!careful(&step))
			break;
		if (actions)
			chameleon_fkeys_after_change(t, step.change);
		n++;
	}
	t->target->batch_rows += n;
	return n;
}

static bool
careful_resolve(ChameleonApplyTable *t, const ChameleonTableMap *map)
{
	CarefulStep step = {t, map, NULL, NULL, false, NIL};

	flush_inserts();
	if (careful(&step))
		return true;
	t->decode = NULL;
	return false;
}

uint64
chameleon_apply_rows(ChameleonApplyTable *t, const ChameleonRowsEvent *ev,
					 const ChameleonBinlogFormat *fmt)
{
	ChameleonRowIterator it;
	ChameleonRowChange change;
	uint64		n = 0;
	bool		actions;
	bool		idempotent;

	/* skip_events: a deliberate divergence, foreign-key actions included */
	if (t->target->skip_events[ev->kind == CHAMELEON_ROWS_WRITE ? CHAMELEON_EVENT_INSERT :
							   ev->kind == CHAMELEON_ROWS_UPDATE ? CHAMELEON_EVENT_UPDATE :
							   CHAMELEON_EVENT_DELETE])
		return 0;
	actions = chameleon_fkeys_wanted(t, ev, fmt);
	idempotent = in_replay_window(t);
	Session->where.table = t->name;
	if (t->target->careful)
	{
		n = apply_rows_careful(t, ev, actions);
		Session->where.table = NULL;
		return n;
	}

	CurrentTarget = t->target;
	chameleon_rows_begin(&it, t->decode, ev);
	while (chameleon_rows_next(&it, &change))
	{
		/* decoding errors are this table's too */
		CurrentTarget = t->target;
		apply_change(t, &change, true, idempotent);
		if (actions)
			chameleon_fkeys_after_change(t, &change);
		n++;
	}
	CurrentTarget = NULL;
	t->target->batch_rows += n;
	Session->where.table = NULL;
	return n;
}

/*
 * A rows event of a table that already has it (before the table's copy
 * snapshot) is not applied, but the foreign-key actions its rows caused
 * are, for the child tables that do not have them yet (e.g. a child copied
 * again by sync_tables, whose copy predates the event).
 */
typedef struct SkippedRows
{
	ChameleonApplyTable *table;
	const ChameleonTableMap *map;
	const ChameleonRowsEvent *ev;
	List	   *rows;			/* decoded ChameleonRowChange * */
} SkippedRows;

static void
decode_skipped(void *arg)
{
	SkippedRows *s = arg;
	ChameleonRowIterator it;
	ChameleonRowChange *c = palloc(sizeof(ChameleonRowChange));

	forget_other_shape(s->table, s->map);
	if (s->table->decode == NULL)
		chameleon_relmap_resolve(s->table, s->map);
	chameleon_rows_begin(&it, s->table->decode, s->ev);
	while (chameleon_rows_next(&it, c))
	{
		s->rows = lappend(s->rows, c);
		c = palloc(sizeof(ChameleonRowChange));
	}
}

void
chameleon_apply_skipped_rows(const ChameleonTableMap *map, const ChameleonRowsEvent *ev,
							 const ChameleonBinlogFormat *fmt)
{
	SkippedRows s = {known_version(map), map, ev, NIL};
	ErrorData  *edata;
	ListCell   *lc;

	if (s.table == NULL || !chameleon_fkeys_wanted(s.table, ev, fmt))
		return;
	flush_inserts();
	edata = chameleon_run_in_subxact(decode_skipped, &s);
	if (edata != NULL)
	{
		/* the children cannot get their actions: they are in error */
		chameleon_fkeys_rows_unknown(s.table, edata);
		return;
	}
	foreach(lc, s.rows)
		chameleon_fkeys_after_change(s.table, lfirst(lc));
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

static void
clear_careful(ChameleonApplyTarget *t)
{
	t->careful = false;
}

void
chameleon_apply_clear_careful(void)
{
	list_free_deep(CarefulTables);
	CarefulTables = NIL;
	chameleon_relmap_foreach_target(clear_careful);
}
