/*
 * stream.c -- one streaming session of the apply worker with its source.
 *
 * Owns the loop: connect, dump the binlog from the committed position
 * (binlog_stream.c), read events, find source transaction boundaries
 * (GTID / BEGIN ... XID / COMMIT, standalone statements), hand rows events
 * to apply.c, and commit the PostgreSQL transaction with the position after
 * its last source transaction (the worker's commit_position, apply_session.h) every replica_batch_size source
 * transactions, or as soon as no more events are immediately available.  A
 * source transaction is never split across two PostgreSQL transactions.
 *
 * Waiting: the loop never blocks outside the latch while idle.  When
 * nothing is buffered (libmariadb's read-ahead cache is empty and the
 * socket is not readable) it waits on the latch and the socket together,
 * so stop_replica, SIGTERM and SIGHUP are seen at once; the source's
 * heartbeat (heartbeat_period) keeps the socket alive, and no data for
 * mysql_conn.read_timeout seconds is a lost connection.  On a TLS
 * connection decrypted bytes may wait inside the TLS library where the
 * socket does not show them, so there the loop reads directly (a read ends
 * by the next heartbeat at the latest).
 *
 * DDL: a QUERY event that is not BEGIN/COMMIT goes to ddl_apply.c, which
 * translates and applies it inside the open batch (its own subtransaction),
 * so the statement, the rows around it and the position commit together.
 *
 * Errors: an error attributable to one table makes the loop abort, mark the
 * table careful and return RECONNECT: the session restarts from the
 * committed position and apply.c isolates the table's rejected row (see
 * apply.h).  Other errors propagate to worker.c.
 */
#include "postgres.h"

#include <poll.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "apply.h"
#include "binlog.h"
#include "binlog_stream.h"
#include "ddl_apply.h"
#include "mysql_client.h"
#include "apply_session.h"
#include "transaction.h"

#include <ma_pvio.h>

/* What is known about pending source data. */
typedef enum SourceData
{
	SRC_DATA,					/* an event can be read now */
	SRC_NO_DATA,				/* nothing buffered, socket idle */
	SRC_UNKNOWN					/* TLS: cannot tell */
} SourceData;

/* The open batch: a PostgreSQL transaction holding source transactions. */
typedef struct Batch
{
	bool		xact_open;		/* PostgreSQL transaction open */
	bool		in_source_xact; /* inside a source transaction */
	bool		standalone;		/* the next statement ends the group */
	bool		implicit;		/* rows without BEGIN: ends with its statement */
	uint64		xacts;			/* complete source transactions */
	uint64		rows;
	bool		have_end;		/* end is set */
	ChameleonPosition end;		/* after the last complete source transaction */
	char	   *gtid;			/* GTID of the current source transaction */
} Batch;

/* The worker's session: source, config, positions, contexts, its ops. */
static ChameleonApplySession *Session = NULL;
static MemoryContext SessionContext = NULL; /* connection, reader, table maps */
static MemoryContext EventContext = NULL;	/* reset every turn of the loop */
static ChameleonBinlogReader *Reader = NULL;
static MYSQL *Conn = NULL;
static Batch B;
static TimestampTz LastData = 0;
static bool SessionStreams = false;	/* an event arrived in this session */

/* Careful replay lasts until the batch that passes this position commits. */
static char *CarefulUntilFile = NULL;
static uint64 CarefulUntilPos = 0;

/* The GTID position: the last GTID of each domain (MariaDB) / server. */
static List *GtidDomains = NIL; /* char *, in the session's context */

/* ---------------------------------------------------------------------
 * GTID position
 * ---------------------------------------------------------------------
 */

/* The domain of a GTID: "0" of MariaDB 0-1-42, the uuid of MySQL uuid:42. */
static size_t
gtid_domain_len(const char *gtid)
{
	const char *sep = strchr(gtid, ':');

	if (sep == NULL)
		sep = strchr(gtid, '-');
	return sep ? (size_t) (sep - gtid) : strlen(gtid);
}

static void
gtid_set(const char *gtid)
{
	size_t		dlen = gtid_domain_len(gtid);
	ListCell   *lc;
	MemoryContext old = MemoryContextSwitchTo(Session->session_context);

	foreach(lc, GtidDomains)
	{
		char	   *g = (char *) lfirst(lc);

		if (gtid_domain_len(g) == dlen && strncmp(g, gtid, dlen) == 0)
		{
			pfree(g);
			lfirst(lc) = pstrdup(gtid);
			MemoryContextSwitchTo(old);
			return;
		}
	}
	GtidDomains = lappend(GtidDomains, pstrdup(gtid));
	MemoryContextSwitchTo(old);
}

static void
gtid_reset(const char *position)
{
	char	   *copy;
	char	   *tok;
	char	   *save;

	list_free_deep(GtidDomains);
	GtidDomains = NIL;
	if (position == NULL)
		return;
	copy = pstrdup(position);
	for (tok = strtok_r(copy, ", \n", &save); tok; tok = strtok_r(NULL, ", \n", &save))
		gtid_set(tok);
	pfree(copy);
}

static char *
gtid_text(void)
{
	StringInfoData s;
	ListCell   *lc;

	if (GtidDomains == NIL)
		return NULL;
	initStringInfo(&s);
	foreach(lc, GtidDomains)
		appendStringInfo(&s, "%s%s", foreach_current_index(lc) ? "," : "",
						 (char *) lfirst(lc));
	return s.data;
}

/* ---------------------------------------------------------------------
 * The source connection
 * ---------------------------------------------------------------------
 */

static SourceData
source_data(void)
{
	MARIADB_PVIO *pvio = Conn->net.pvio;
	struct pollfd pfd;

	if (pvio == NULL)
		return SRC_DATA;		/* let the read report it */
	if (pvio->cache && pvio->cache + pvio->cache_size > pvio->cache_pos)
		return SRC_DATA;
	pfd.fd = mysql_get_socket(Conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) != 0)
		return SRC_DATA;		/* readable, closed, or an error to read */
	return pvio->ctls ? SRC_UNKNOWN : SRC_NO_DATA;
}

/* Wait on the latch and the socket; a silent source is a lost connection. */
static void
wait_for_source(void)
{
	long		timeout_ms = (long) Session->config->read_timeout * 1000L -
		TimestampDifferenceMilliseconds(LastData, GetCurrentTimestamp());
	int			rc;

	if (timeout_ms <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("no data from the source of replica \"%s\" for %d seconds",
						Session->source->name, Session->config->read_timeout),
				 errhint("The source sends a heartbeat every heartbeat_period seconds; check the network and mysql_conn.read_timeout.")));

	pgstat_report_activity(STATE_IDLE, NULL);
	rc = WaitLatchOrSocket(MyLatch,
						   WL_LATCH_SET | WL_SOCKET_READABLE | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						   mysql_get_socket(Conn), timeout_ms, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

static void
session_open(void)
{
	ChameleonStreamOptions opts;
	MemoryContext old;

	if (SessionContext == NULL)
		SessionContext = AllocSetContextCreate(Session->session_context,
											   "pg_chameleon stream session",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(SessionContext);
	EventContext = AllocSetContextCreate(SessionContext, "pg_chameleon event",
										 ALLOCSET_DEFAULT_SIZES);
	memset(&B, 0, sizeof(B));
	gtid_reset(Session->position.gtid);

	pgstat_report_activity(STATE_RUNNING, "pg_chameleon: connecting to the source");
	old = MemoryContextSwitchTo(SessionContext);
	Conn = chameleon_mysql_connect(Session->config);
	memset(&opts, 0, sizeof(opts));
	opts.file = Session->position.file;
	opts.position = Session->position.pos;
	opts.server_id = Session->config->my_server_id;
	opts.register_replica = true;	/* shows in the source's SHOW SLAVE HOSTS */
	opts.report_host = chameleon_replica_identity(MyDatabaseId, Session->source_id);
	opts.non_blocking = false;
	opts.heartbeat_ms = Session->config->heartbeat_period * 1000;
	Reader = chameleon_binlog_open_stream(Conn, &opts);
	MemoryContextSwitchTo(old);
	LastData = GetCurrentTimestamp();

	chameleon_xact_begin();
	chameleon_apply_session_start(Session);
	chameleon_ddl_apply_session_start(Session);
	chameleon_session_commit(Session);
}

/* Close the connection and forget the session (also after an error). */
void
chameleon_stream_cleanup(ChameleonApplySession *session)
{
	Session = session;
	/* never stay in a context that is about to go */
	MemoryContextSwitchTo(Session->session_context);
	chameleon_apply_session_end();
	Reader = NULL;
	Conn = NULL;
	memset(&B, 0, sizeof(B));
	Session->where.table = NULL;
	Session->where.gtid = NULL;
	Session->where.file = NULL;
	if (SessionContext)
		MemoryContextReset(SessionContext);
	EventContext = NULL;
}

/* ---------------------------------------------------------------------
 * Batches
 * ---------------------------------------------------------------------
 */

static void
ensure_xact(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (B.xact_open)
		return;
	chameleon_xact_begin();
	chameleon_apply_xact_begin();
	/* keep allocating where we were (the event context), not in SPI's */
	MemoryContextSwitchTo(cxt);
	B.xact_open = true;
	pgstat_report_activity(STATE_RUNNING, "pg_chameleon: applying");
}

static void
commit_batch(bool caught_up)
{
	bool		passed = false;

	/* what the commit allocates goes with the batch */
	MemoryContextSwitchTo(Session->batch_context);
	chameleon_apply_xact_end();
	if (B.have_end)
	{
		chameleon_apply_window_end(Session->source_id, B.end.file, B.end.pos);
		passed = CarefulUntilFile != NULL &&
			chameleon_binlog_position_cmp(B.end.file, B.end.pos, CarefulUntilFile, CarefulUntilPos) > 0;
		Session->ops->commit_position(Session, &B.end, B.xacts, B.rows, caught_up);
		elog(DEBUG1, "pg_chameleon: applied a batch of " UINT64_FORMAT " transactions, "
			 UINT64_FORMAT " rows, up to %s:" UINT64_FORMAT,
			 (uint64) B.xacts, (uint64) B.rows, B.end.file, (uint64) B.end.pos);
	}
	else
		chameleon_session_commit(Session);
	chameleon_ddl_apply_committed();
	B.xact_open = false;
	B.have_end = false;
	memset(&B.end, 0, sizeof(B.end));	/* it lived in the batch context */
	B.xacts = 0;
	B.rows = 0;
	if (passed)
	{
		chameleon_apply_clear_careful();
		pfree(CarefulUntilFile);
		CarefulUntilFile = NULL;
	}
}

static void
begin_source_xact(const char *gtid, bool standalone)
{
	ensure_xact();
	B.in_source_xact = true;
	B.standalone = standalone;
	B.gtid = (gtid && *gtid) ? MemoryContextStrdup(Session->batch_context, gtid) : NULL;
	Session->where.gtid = B.gtid;
}

/* The position after a complete source transaction (or a rotation). */
static void
set_end(const char *file, uint64 pos, uint32 timestamp)
{
	if (B.end.file == NULL || strcmp(B.end.file, file) != 0)
		B.end.file = MemoryContextStrdup(Session->batch_context, file);
	B.end.pos = pos;
	if (timestamp != 0)
		B.end.event_time = time_t_to_timestamptz((pg_time_t) timestamp);
	B.end.gtid = gtid_text();
	if (B.end.gtid)
		B.end.gtid = MemoryContextStrdup(Session->batch_context, B.end.gtid);
	B.have_end = true;
}

static void
end_source_xact(const ChameleonBinlogEvent *ev)
{
	if (B.gtid)
		gtid_set(B.gtid);
	set_end(Reader->file, ev->end_position, ev->timestamp);
	B.in_source_xact = false;
	B.standalone = false;
	B.implicit = false;
	B.gtid = NULL;
	B.xacts++;
	Session->where.gtid = NULL;
	/* every transaction sends its table maps again: keep memory flat */
	chameleon_binlog_state_reset_maps(&Reader->state);
}

/* ---------------------------------------------------------------------
 * Events
 * ---------------------------------------------------------------------
 */

static bool
query_is(const char *query, const char *word)
{
	size_t		n = strlen(word);

	while (*query == ' ' || *query == '\t' || *query == '\n')
		query++;
	return pg_strncasecmp(query, word, n) == 0 &&
		(query[n] == '\0' || query[n] == ' ' || query[n] == ';' || query[n] == '\n');
}

/* A statement: DDL, or statement-based DML (see ddl_apply.h). */
static void
handle_statement(const ChameleonBinlogEvent *ev)
{
	if (!B.in_source_xact)
		begin_source_xact(NULL, true);
	chameleon_ddl_apply_query(&ev->query, Reader->file, ev->position);
	if (B.standalone)
		end_source_xact(ev);
}

static void
handle_query(const ChameleonBinlogEvent *ev)
{
	const char *q = ev->query.query;

	if (query_is(q, "BEGIN"))
	{
		if (!B.in_source_xact)
			begin_source_xact(NULL, false);
		B.standalone = false;
		return;
	}
	if (query_is(q, "COMMIT") || query_is(q, "ROLLBACK") || query_is(q, "XA COMMIT"))
	{
		if (B.in_source_xact)
			end_source_xact(ev);
		return;
	}
	handle_statement(ev);
}

static void
handle_rows(const ChameleonBinlogEvent *ev)
{
	ChameleonTableMap *map = chameleon_binlog_lookup_map(&Reader->state, ev->rows.table_id, false);
	ChameleonApplyTable *t;

	ensure_xact();
	if (!B.in_source_xact)
	{
		begin_source_xact(NULL, false);	/* rows outside BEGIN: one statement */
		B.implicit = true;
	}
	t = chameleon_apply_table(map, Reader->file, ev->position);
	if (t != NULL)
		B.rows += chameleon_apply_rows(t, &ev->rows, &Reader->state.fmt);
	else
		chameleon_apply_skipped_rows(map, &ev->rows, &Reader->state.fmt);
	if (ev->rows.flags & BL_ROWS_STMT_END_F)
		chameleon_apply_statement_end();
	if (B.implicit && (ev->rows.flags & BL_ROWS_STMT_END_F))
		end_source_xact(ev);
}

static void
handle_rotate(const ChameleonBinlogEvent *ev)
{
	/* idle rotation (FLUSH BINARY LOGS): resume in the new file */
	if (B.in_source_xact || ev->rotate.file == NULL)
		return;
	if (strcmp(ev->rotate.file, Session->position.file) == 0 && !B.have_end)
		return;				/* the session's first, artificial ROTATE */
	if (B.have_end && strcmp(ev->rotate.file, B.end.file) == 0)
		return;
	ensure_xact();
	set_end(ev->rotate.file, ev->rotate.position, 0);
}

/*
 * Outside a source transaction every real event ends at a valid resume
 * point: an idle source's position follows FORMAT_DESCRIPTION, GTID_LIST,
 * BINLOG_CHECKPOINT and the like, so chameleon.status shows it caught up.
 */
static void
advance_idle_position(const ChameleonBinlogEvent *ev)
{
	const char *file = B.have_end ? B.end.file : Session->position.file;
	uint64		pos = B.have_end ? B.end.pos : Session->position.pos;

	if (B.in_source_xact || ev->log_pos == 0 || (ev->flags & BL_FLAG_ARTIFICIAL) ||
		chameleon_binlog_position_cmp(Reader->file, ev->end_position, file, pos) <= 0)
		return;
	ensure_xact();
	set_end(Reader->file, ev->end_position, 0);
}

static void
handle_event(const ChameleonBinlogEvent *ev)
{
	switch (ev->type)
	{
		case BL_HEARTBEAT_EVENT:
		case BL_HEARTBEAT_V2_EVENT:
			Session->ops->report_heartbeat(Session, !B.in_source_xact && !B.xact_open);
			break;
		case BL_MARIA_GTID_EVENT:
			begin_source_xact(ev->gtid,
							  (ev->gtid_flags & BL_MARIA_GTID_STANDALONE) != 0);
			break;
		case BL_GTID_EVENT:
		case BL_ANONYMOUS_GTID_EVENT:
		case BL_GTID_TAGGED_EVENT:
			/* MySQL: BEGIN follows for a transaction, else one statement */
			begin_source_xact(ev->gtid, true);
			break;
		case BL_QUERY_EVENT:
			handle_query(ev);
			break;
		case BL_EXECUTE_LOAD_QUERY_EVENT:
			/* LOAD DATA logged as a statement: never a transaction keyword */
			handle_statement(ev);
			break;
		case BL_XID_EVENT:
			if (B.in_source_xact)
				end_source_xact(ev);
			break;
		case BL_WRITE_ROWS_EVENT_V1:
		case BL_UPDATE_ROWS_EVENT_V1:
		case BL_DELETE_ROWS_EVENT_V1:
		case BL_WRITE_ROWS_EVENT_V2:
		case BL_UPDATE_ROWS_EVENT_V2:
		case BL_DELETE_ROWS_EVENT_V2:
			handle_rows(ev);
			break;
		case BL_PARTIAL_UPDATE_ROWS_EVENT:
			chameleon_binlog_require_decodable_rows(ev);
			break;
		case BL_ROTATE_EVENT:
			handle_rotate(ev);
			break;
		case BL_FORMAT_DESCRIPTION_EVENT:
		case BL_MARIA_GTID_LIST_EVENT:
		case BL_MARIA_BINLOG_CHECKPOINT_EVENT:
		case BL_PREVIOUS_GTIDS_EVENT:
			advance_idle_position(ev);
			break;
		case BL_INCIDENT_EVENT:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the source's binlog has an incident event: %s",
							ev->text ? ev->text : "?"),
					 errhint("The source lost changes it cannot replicate; copy the replica again.")));
			break;
		default:
			break;
	}
}

/* Read and handle one event (in the turn's context, see stream_loop). */
static void
read_event(void)
{
	ChameleonBinlogEvent ev;

	memset(&ev, 0, sizeof(ev));
	if (!chameleon_binlog_read(Reader, &ev))
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("the source of replica \"%s\" ended the binlog stream",
						Session->source->name)));
	LastData = GetCurrentTimestamp();
	if (!SessionStreams)
	{
		/* the source sends the binlog: the replica streams (errors cleared) */
		SessionStreams = true;
		Session->ops->streaming(Session);
	}
	Session->where.file = Reader->file;
	Session->where.pos = ev.position;
	Session->ops->report_read(Session, Reader->file, Reader->position);
	handle_event(&ev);
}

/* ---------------------------------------------------------------------
 * The session
 * ---------------------------------------------------------------------
 */

/*
 * Between source transactions: a hold asked here (verify_tables compares
 * the tables at a source position) commits the batch, so the position and
 * the rows before it are what others see, and waits until released.
 */
static void
hold_if_asked(void)
{
	const char *file = B.have_end ? B.end.file : Session->position.file;
	uint64		pos = B.have_end ? B.end.pos : Session->position.pos;

	if (!Session->ops->hold_wanted(Session, file, pos))
		return;
	if (B.xact_open)
		commit_batch(false);
	Session->ops->hold(Session);
}

static ChameleonBoundary
stream_loop(void)
{
	for (;;)
	{
		SourceData avail;

		/* everything one turn allocates, an event included, is freed here */
		MemoryContextSwitchTo(EventContext);
		MemoryContextReset(EventContext);

		if (!B.in_source_xact)
		{
			hold_if_asked();
			/* replaying carefully: one source transaction per commit */
			if (B.xact_open && (B.xacts >= (uint64) Session->config->replica_batch_size ||
								(CarefulUntilFile != NULL && B.xacts > 0)))
				commit_batch(false);
			if (!B.xact_open)
			{
				ChameleonBoundary next = Session->ops->boundary(Session);

				if (next != CHAMELEON_BOUNDARY_CONTINUE)
					return next;
			}
		}
		avail = source_data();
		if (avail != SRC_DATA && !B.in_source_xact && B.xact_open)
			commit_batch(true);
		if (avail == SRC_NO_DATA)
		{
			wait_for_source();
			continue;
		}
		read_event();
	}
}

/*
 * An error while applying to one table: abort, replay from the committed
 * position with the table careful.  false when the error is not one.
 */
static bool
replay_carefully(void)
{
	ErrorData  *edata;
	const char *table = chameleon_apply_failed_table();
	bool		connection;
	MemoryContext old = MemoryContextSwitchTo(Session->session_context);

	edata = CopyErrorData();
	MemoryContextSwitchTo(old);
	connection = ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_CONNECTION_EXCEPTION;
	if (table == NULL || connection || edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN || chameleon_apply_is_careful(table))
	{
		FreeErrorData(edata);
		return false;
	}

	HOLD_INTERRUPTS();
	AbortOutOfAnyTransaction();
	FlushErrorState();
	RESUME_INTERRUPTS();
	chameleon_apply_xact_abort();

	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("pg_chameleon: applying a change to table %s failed at %s:" UINT64_FORMAT "; replaying it row by row",
					table, Session->where.file ? Session->where.file : "?", Session->where.pos),
			 errdetail("%s", edata->message)));
	chameleon_apply_set_careful(table);
	if (CarefulUntilFile == NULL && Session->where.file != NULL)
	{
		CarefulUntilFile = MemoryContextStrdup(Session->session_context, Session->where.file);
		CarefulUntilPos = Session->where.pos;
	}
	FreeErrorData(edata);
	chameleon_stream_cleanup(Session);
	MemoryContextSwitchTo(Session->session_context);
	MemoryContextReset(Session->batch_context);
	return true;
}

ChameleonBoundary
chameleon_stream_session(ChameleonApplySession *session)
{
	volatile ChameleonBoundary result = CHAMELEON_BOUNDARY_RECONNECT;

	Session = session;
	SessionStreams = false;
	session_open();
	PG_TRY();
	{
		result = stream_loop();
	}
	PG_CATCH();
	{
		if (!replay_carefully())
			PG_RE_THROW();
		result = CHAMELEON_BOUNDARY_RECONNECT;
	}
	PG_END_TRY();

	if (B.xact_open)
		commit_batch(false);	/* never mid-transaction: a boundary */
	chameleon_stream_cleanup(Session);
	return result;
}
