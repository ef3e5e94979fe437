/*
 * ddl_apply.c -- the apply worker's DDL: a QUERY event that is not
 * BEGIN/COMMIT, translated and applied in the apply transaction (see
 * ddl_apply.h).
 *
 * What is recorded in t_ddl (through catalog_log.c):
 *   applied  a statement on tables of the replicated database, applied;
 *   failed   a statement PostgreSQL rejected (or the translator could not
 *            read): its tables are marked error, t_errors has a 'ddl' row;
 *   skipped  a statement run with the replicated database as the default
 *            database that changes nothing replicated (views, users,
 *            routines, another database's table ...); error_message says why.
 *            DML in a QUERY event (statement-based logging) on replicated
 *            tables is recorded 'failed' too: the replica cannot run it, so
 *            its tables are marked error (see statement_dml()).
 * Statements run in another default database that touch no replicated table,
 * and transaction control in QUERY events are not recorded.
 *
 * Each statement runs in a subtransaction (as a PL/pgSQL exception block
 * does), so a rejected one is rolled back alone and the apply transaction
 * -- rows around it and the binlog position -- goes on and commits.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "apply.h"
#include "catalog.h"
#include "ddl_apply.h"
#include "guard.h"
#include "ddl_int.h"
#include "list_util.h"
#include "spi_util.h"
#include "subxact.h"
#include "sync.h"
#include "worker_log.h"
#include "apply_session.h"
#include "transaction.h"

/* sql_mode bits (MySQL and MariaDB) that change how a statement is lexed */
#define SQL_MODE_ANSI_QUOTES			(INT64CONST(1) << 2)
#define SQL_MODE_NO_BACKSLASH_ESCAPES	(INT64CONST(1) << 20)

/* Past this size the catalog is emptied; it reloads from the shape tables. */
#define CATALOG_RESET_BYTES		(8 * 1024 * 1024)

static MemoryContext DdlCatalogContext = NULL;
/* the statement being applied: its binlog position, and why a table of it is skipped */
static const char *DdlFile = NULL;
static uint64 DdlPos = 0;
static const char *DdlSkipWhy = NULL;
/* The statement is DROP TABLE: it drops tables in error too. */
static bool DdlIsDropTable = false;
/* A table entered the replica: copy it once the transaction is committed. */
static bool SyncWanted = false;

static void stop_replica_if_asked(const ChameleonQueryEvent *q, const char *table,
								  const char *operation, const char *message, int sqlerrcode);
/* The session being applied (source, config, where, stop flag). */
static ChameleonApplySession *Session = NULL;
static ChameleonDdlContext DdlCtx;
static bool DdlCtxReady = false;

/* ---------------------------------------------------------------------
 * The catalog: callbacks of the translator
 * ---------------------------------------------------------------------
 */

/* Is db a replicated database (schema_mappings: one of them)? */
static bool
is_source_db(const char *db)
{
	return db != NULL && chameleon_config_schema_of(Session->config, db) != NULL;
}

/* The replica's name of db.table (table_keys.c); NULL: not a replicated database. */
static char *
key_of(const char *db, const char *table)
{
	return chameleon_table_key(Session->config, db, table);
}

static char *
map_schema_cb(void *arg, const char *db)
{
	const char *schema = chameleon_config_schema_of(Session->config, db);

	return pstrdup(schema ? schema : db);
}

static bool
is_replicated_cb(void *arg, const char *db, const char *table)
{
	char	   *key = key_of(db, table);

	if (key == NULL)
		return false;
	if (DdlFile != NULL &&
		!(DdlIsDropTable ? chameleon_apply_table_takes_drop(key, DdlFile, DdlPos, &DdlSkipWhy) :
		  chameleon_apply_table_takes_ddl(key, DdlFile, DdlPos, &DdlSkipWhy)))
		return false;
	return chameleon_config_replicates_table(Session->config, key);
}

static char *
table_key_cb(void *arg, const char *db, const char *table)
{
	return key_of(db, table);
}

static ChameleonDdlTable *
load_table_cb(void *arg, const char *db, const char *table)
{
	char	   *key = key_of(db, table);

	if (key == NULL)
		return NULL;
	return chameleon_shape_load(Session->source_id, key, db, table);
}

void
chameleon_ddl_apply_session_start(ChameleonApplySession *session)
{
	Session = session;
	if (DdlCatalogContext == NULL)
		DdlCatalogContext = AllocSetContextCreate(Session->session_context,
												  "pg_chameleon DDL catalog",
												  ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(DdlCatalogContext);
	memset(&DdlCtx, 0, sizeof(DdlCtx));
	DdlCtx.map_schema = map_schema_cb;
	DdlCtx.is_replicated = is_replicated_cb;
	DdlCtx.load_table = load_table_cb;
	DdlCtx.table_key = table_key_cb;
	DdlCtx.catalog_cxt = DdlCatalogContext;
	DdlCtx.type_options.tinyint1_as_boolean = Session->config->tinyint1_as_boolean;
	DdlCtx.type_options.hexify = Session->config->hexify;
	DdlCtx.type_options.overrides = Session->config->type_override;
	{
		/* for the session, not this transaction */
		char	   *postgis = chameleon_postgis_schema();

		DdlCtx.type_options.postgis_schema = postgis ?
			MemoryContextStrdup(DdlCatalogContext, postgis) : NULL;
		DdlCtx.type_options.postgis = postgis != NULL;
	}
	DdlCtx.zero_dates_to_null = Session->config->zero_dates_to_null;
	DdlCtxReady = true;
}

ChameleonTableDef *
chameleon_ddl_apply_table_def(const char *db, const char *table)
{
	ChameleonDdlTable *t;
	ChameleonTypeOptions opts;

	if (!DdlCtxReady || !is_source_db(db))
		return NULL;
	t = chameleon_ddl_catalog_find(&DdlCtx, db, table, true);
	if (t == NULL)
		return NULL;
	/* the table's own type_override entries decide its value kinds */
	opts = DdlCtx.type_options;
	opts.table = key_of(db, table);
	return chameleon_shape_table_def(t, &opts);
}

/* ---------------------------------------------------------------------
 * SPI
 * ---------------------------------------------------------------------
 */

/* A JSON object {"key": [strings]} or {"key": "string"} as text. */
static char *
json_object_text(const char *key, List *strings, const char *string)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	escape_json(&buf, key);
	appendStringInfoString(&buf, ": ");
	if (string != NULL)
		escape_json(&buf, string);
	else
	{
		appendStringInfoChar(&buf, '[');
		foreach(lc, strings)
		{
			if (foreach_current_index(lc) > 0)
				appendStringInfoString(&buf, ", ");
			escape_json(&buf, lfirst(lc));
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Where the statement is, for t_ddl and t_errors. */
static ChameleonLogWhere
log_where(void)
{
	ChameleonLogWhere w = {Session->where.file, Session->where.pos, Session->where.gtid};

	return w;
}

/* Run fn(arg) in a subtransaction; NULL if it worked, else its error (rolled back). */
static ErrorData *
run_guarded(void (*fn) (void *), void *arg)
{
	ErrorData  *edata = chameleon_run_in_subxact(fn, arg);

	/* stopping is not the statement's failure */
	if (edata != NULL && (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
						  edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN))
		ReThrowError(edata);
	return edata;
}

/* ---------------------------------------------------------------------
 * Records: t_ddl, t_replica_tables, t_errors
 * ---------------------------------------------------------------------
 */

static void
record_ddl(const ChameleonQueryEvent *q, const char *source, List *statements,
		   bool translated, const char *status, const char *message)
{
	ChameleonLogWhere where = log_where();

	chameleon_catalog_add_ddl(Session->source_id, &where, q->db[0] ? q->db : NULL, source,
							  statements, translated, status, message);
}

/*
 * A table created in the replicated database: replicated from now on.  A
 * row already there is kept (CREATE TABLE IF NOT EXISTS of a known table)
 * unless the statement replaced the table or the row is a 'removed' one.
 */
static void
table_created(const char *db, const char *name, bool replaced, const char *state,
			  const char *error)
{
	const char *schema = chameleon_config_schema_of(Session->config, db);

	chameleon_catalog_table_created(Session->source_id, key_of(db, name), schema, name,
									replaced || strcmp(state, "error") == 0, state, error);
	if (Session->config->protect_tables && strcmp(state, "error") != 0)
		chameleon_guard_table(schema, name, Session->source->name);
}

/* Did a CREATE TABLE replace a table (CREATE OR REPLACE)? */
static bool
replaces_table(const ChameleonDdlResult *res)
{
	return res->statements != NIL &&
		strncmp((char *) linitial(res->statements), "DROP TABLE", 10) == 0;
}

/* A replicated table renamed within the replicated databases (maybe from one to another). */
static void
table_renamed(const ChameleonDdlTableChange *ch, bool pg_renamed, const char *error)
{
	chameleon_catalog_table_renamed(Session->source_id, key_of(ch->old_db, ch->old_name),
									key_of(ch->new_db, ch->new_name),
									chameleon_config_schema_of(Session->config, ch->new_db),
									ch->new_name, pg_renamed, error);
}

/*
 * A table renamed into the replica (from a database or a name it does not
 * replicate): the replica has no rows of it.  It is recorded syncing --
 * its changes are skipped -- and once this transaction is committed a sync
 * worker copies it (chameleon_ddl_apply_committed), as sync_tables() does.
 */
static void
table_entered(const ChameleonDdlTableChange *ch)
{
	char	   *key = key_of(ch->new_db, ch->new_name);

	if (!chameleon_config_replicates_table(Session->config, key))
		return;
	table_created(ch->new_db, ch->new_name, true, "syncing", NULL);
	SyncWanted = true;
	ereport(chameleon_state_log_level,
			(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
			 errmsg("pg_chameleon: table %s entered replica \"%s\" by RENAME TABLE (from %s.%s): copying it",
					key, Session->source->name, ch->old_db, ch->old_name)));
}

void
chameleon_ddl_apply_committed(void)
{
	if (!SyncWanted)
		return;
	SyncWanted = false;
	if (!chameleon_sync_resume_start(MyDatabaseId, Session->source_id, Session->source->name))
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("pg_chameleon: could not start the copy of the tables that entered replica \"%s\": no background worker slot",
						Session->source->name),
				 errdetail("They stay in state syncing, their changes skipped, until they are copied."),
				 errhint("Raise max_worker_processes, or run chameleon.sync_tables() on the tables in state syncing.")));
}

/* Is the change a rename (of name or database) between replicated tables? */
static bool
is_rename(const ChameleonDdlTableChange *ch)
{
	return strcmp(ch->old_name, ch->new_name) != 0 || strcmp(ch->old_db, ch->new_db) != 0;
}

static void
table_set_state(const char *name, const char *state, const char *error)
{
	chameleon_catalog_table_set_state(Session->source_id, name, state, error);
}

/* t_replica_tables after a statement that worked (in its subtransaction). */
static void
bookkeeping_applied(const ChameleonDdlResult *res)
{
	ListCell   *lc;

	foreach(lc, res->tables)
	{
		ChameleonDdlTableChange *ch = lfirst(lc);
		bool		from = ch->old_name != NULL && is_source_db(ch->old_db);
		bool		to = ch->new_name != NULL && is_source_db(ch->new_db);

		if (ch->old_name == NULL && to)
			table_created(ch->new_db, ch->new_name, replaces_table(res), "streaming", NULL);
		else if (ch->new_name == NULL && from)
			chameleon_catalog_table_delete(Session->source_id, key_of(ch->old_db, ch->old_name));
		else if (from && to && is_rename(ch))
			table_renamed(ch, true, NULL);
		else if (from && !to)
			table_set_state(key_of(ch->old_db, ch->old_name), "removed",
							psprintf("renamed to %s.%s: no longer replicated",
									 ch->new_db, ch->new_name));
		else if (!from && to)
			table_entered(ch);
	}
}

/* t_replica_tables and t_errors after a statement PostgreSQL rejected. */
static void
bookkeeping_failed(const ChameleonDdlResult *res, const ErrorData *edata)
{
	char	   *message = psprintf("DDL failed: %s", edata->message);
	ChameleonLogWhere where = log_where();
	ListCell   *lc;

	foreach(lc, res->tables)
	{
		ChameleonDdlTableChange *ch = lfirst(lc);
		bool		from = ch->old_name != NULL && is_source_db(ch->old_db);
		bool		to = ch->new_name != NULL && is_source_db(ch->new_db);
		const char *name = to ? key_of(ch->new_db, ch->new_name) : key_of(ch->old_db, ch->old_name);

		if (!from && !to)
			continue;
		if (ch->old_name == NULL)
			table_created(ch->new_db, ch->new_name, true, "error", message);
		else if (from && to && is_rename(ch))
			table_renamed(ch, false, message);
		else
			table_set_state(name, "error", message);

		chameleon_catalog_add_error(Session->source_id, &where, name, "ddl",
									json_object_text("translation", res->statements, NULL),
									edata->message, unpack_sql_state(edata->sqlerrcode));
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pg_chameleon: table %s is left out of the replica after a DDL statement failed",
						name),
				 errdetail("%s", edata->message),
				 errhint("The statement is in sch_chameleon.t_ddl; copy the table again with chameleon.sync_tables().")));
	}
}

/* The MySQL shapes after the statement (applied or not: they follow MySQL). */
static void
save_shapes(const ChameleonDdlResult *res)
{
	ListCell   *lc;

	foreach(lc, res->tables)
	{
		ChameleonDdlTableChange *ch = lfirst(lc);
		bool		from = ch->old_name != NULL && is_source_db(ch->old_db);
		bool		to = ch->new_name != NULL && is_source_db(ch->new_db);

		if (from && (!to || is_rename(ch)))
			chameleon_shape_save(Session->source_id, key_of(ch->old_db, ch->old_name), NULL);
		if (to)
			chameleon_shape_save(Session->source_id, key_of(ch->new_db, ch->new_name),
								 chameleon_ddl_catalog_find(&DdlCtx, ch->new_db,
															ch->new_name, false));
	}
}

/*
 * t_foreign_keys after the statement (applied or not: the keys follow
 * MySQL).  Keys of a created table start anew; then keys dropped, columns
 * renamed, keys added, and last tables dropped or renamed, so the parts of
 * one ALTER TABLE land in the order MySQL gives them effect.
 */
static void
save_foreign_keys(const ChameleonDdlResult *res)
{
	int32		id = Session->source_id;
	ListCell   *lc;

	foreach(lc, res->tables)
	{
		ChameleonDdlTableChange *ch = lfirst(lc);

		if (ch->old_name == NULL && is_source_db(ch->new_db))
			chameleon_catalog_delete_foreign_keys(id, key_of(ch->new_db, ch->new_name));
	}
	foreach(lc, res->dropped_foreign_keys)
	{
		ChameleonDdlForeignKey *fk = lfirst(lc);

		if (is_source_db(fk->db))
			chameleon_catalog_drop_foreign_key(id, key_of(fk->db, fk->table), fk->name);
	}
	foreach(lc, res->renamed_columns)
	{
		ChameleonDdlColumnRename *r = lfirst(lc);

		if (is_source_db(r->db))
			chameleon_catalog_foreign_keys_column_renamed(id, key_of(r->db, r->table),
														  r->db, r->table,
														  r->old_name, r->new_name);
	}
	foreach(lc, res->foreign_keys)
	{
		ChameleonDdlForeignKey *fk = lfirst(lc);
		ChameleonStoredForeignKey stored = {
			.mysql_table = is_source_db(fk->db) ? key_of(fk->db, fk->table) : NULL,
			.table_name = fk->table,
			.constraint_name = fk->name,
			.columns = fk->columns,
			.referenced_schema = fk->ref_db,
			.referenced_table = fk->ref_table,
			.referenced_columns = fk->ref_columns,
			.on_update = fk->on_update,
			.on_delete = fk->on_delete,
		};

		if (is_source_db(fk->db))
			chameleon_catalog_add_foreign_key(id, &stored);
	}
	foreach(lc, res->tables)
	{
		ChameleonDdlTableChange *ch = lfirst(lc);
		bool		from = ch->old_name != NULL && is_source_db(ch->old_db);
		bool		to = ch->new_name != NULL && is_source_db(ch->new_db);

		if (from && to && is_rename(ch))
			chameleon_catalog_foreign_keys_table_renamed(id, key_of(ch->old_db, ch->old_name),
														 key_of(ch->new_db, ch->new_name),
														 ch->old_db, ch->old_name,
														 ch->new_db, ch->new_name);
		else if (from && !to)
			chameleon_catalog_delete_foreign_keys(id, key_of(ch->old_db, ch->old_name));
	}
}

/* ---------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------
 */

typedef struct TranslateStep
{
	const char *sql;
	List	   *results;
} TranslateStep;

static void
translate_step(void *arg)
{
	TranslateStep *step = arg;

	step->results = chameleon_ddl_translate(&DdlCtx, step->sql);
}

static void
apply_step(void *arg)
{
	const ChameleonDdlResult *res = arg;
	ListCell   *lc;

	foreach(lc, res->statements)
		chameleon_spi_run_once(lfirst(lc), 0, NULL, NULL, NULL, 0,
							   "run a translated DDL statement");
	bookkeeping_applied(res);
}

/* DML and transaction control in a QUERY event are not DDL: not recorded. */
static bool
is_ddl_text(const char *sql)
{
	static const char *const not_ddl[] = {
		"insert", "update", "delete", "replace", "load", "call", "do", "select", "with",
		"values", "table", "handler", "begin", "commit", "rollback", "xa", "savepoint",
		"release", "start", "set", "flush", "use"
	};
	const char *p = sql;
	int			n = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '(')
		p++;
	while (isalpha((unsigned char) p[n]))
		n++;
	for (int i = 0; i < (int) lengthof(not_ddl); i++)
		if ((int) strlen(not_ddl[i]) == n && pg_strncasecmp(p, not_ddl[i], n) == 0)
			return false;
	return n > 0;
}

/* The replica's name of a changed table (its new one), else its MySQL name. */
static const char *
changed_table_name(const ChameleonDdlTableChange *ch)
{
	const char *db = ch->new_name ? ch->new_db : ch->old_db;
	const char *name = ch->new_name ? ch->new_name : ch->old_name;
	char	   *key = key_of(db, name);

	return key ? key : name;
}

static void
apply_result(const ChameleonQueryEvent *q, const ChameleonDdlResult *res)
{
	ErrorData  *edata;

	if (res->kind == CHAMELEON_DDL_SKIPPED)
	{
		/* recorded when about the replicated database or one of its tables */
		if ((is_source_db(q->db) || DdlSkipWhy != NULL) && is_ddl_text(res->source))
			record_ddl(q, res->source, NIL, false, "skipped",
					   DdlSkipWhy ? DdlSkipWhy : res->skip_reason);
		return;
	}
	edata = run_guarded(apply_step, (void *) res);
	if (edata == NULL)
		record_ddl(q, res->source, res->statements, true, "applied", NULL);
	else
	{
		ChameleonDdlTableChange *first = res->tables ? linitial(res->tables) : NULL;

		stop_replica_if_asked(q, first == NULL ? NULL : changed_table_name(first),
							  "ddl", edata->message, edata->sqlerrcode);
		record_ddl(q, res->source, res->statements, true, "failed", edata->message);
		bookkeeping_failed(res, edata);
		FreeErrorData(edata);
	}
	save_shapes(res);
	save_foreign_keys(res);
	/* the tables' versions, plans and states are stale now */
	chameleon_apply_schema_changed();
}

/* Might a statement the translator could not read hold a password? */
static const char *
shown_source(const char *sql)
{
	char	   *lower = asc_tolower(sql, strlen(sql));

	if (strstr(lower, "password") != NULL || strstr(lower, "identified") != NULL)
		return "(statement not shown: it may hold a password)";
	return sql;
}

/*
 * on_error: stop -- a statement PostgreSQL rejected, or one the replica
 * cannot apply, stops the replica right before it instead of leaving its
 * table out: the error goes to chameleon.errors (operation ddl/statement,
 * {"statement": ...}) and the applied position stays before the statement,
 * so start_replica tries it again once the cause is fixed (for statement
 * DML: once sync_tables has copied the table past it).  Returns only when
 * on_error is skip_table.
 */
static void
stop_replica_if_asked(const ChameleonQueryEvent *q, const char *table, const char *operation,
					  const char *message, int sqlerrcode)
{
	StringInfoData json;
	bool		ddl = strcmp(operation, "ddl") == 0;

	if (Session->config->on_error != CHAMELEON_ON_ERROR_STOP)
		return;
	initStringInfo(&json);
	appendStringInfoString(&json, "{\"statement\": ");
	escape_json(&json, shown_source(q->query));
	appendStringInfoChar(&json, '}');
	chameleon_apply_stash_stop_error(table, operation, json.data, message, sqlerrcode);
	Session->stop_on_error = true;
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg("pg_chameleon replica stops: a %s statement of the source cannot be applied%s%s",
					ddl ? "DDL" : "DML", table ? " to table " : "", table ? table : ""),
			 errdetail("%s", message),
			 errhint("The statement is in chameleon.errors (on_error is stop); fix the cause, then chameleon.start_replica() applies it again%s.",
					 ddl ? "" : " (for a statement-based change: copy the table with chameleon.sync_tables() first)")));
}


/* ---------------------------------------------------------------------
 * A statement the translator could not read
 * ---------------------------------------------------------------------
 */

typedef struct FindTableStep
{
	const ChameleonQueryEvent *q;
	char	   *db;				/* out: NULL if not found */
	char	   *table;
} FindTableStep;

static bool
token_word_is(const DdlLexer *lx, const DdlToken *t, const char *word)
{
	return t->kind == TK_WORD && t->end - t->start == (int) strlen(word) &&
		pg_strncasecmp(lx->src + t->start, word, t->end - t->start) == 0;
}

static bool
token_is_name(const DdlToken *t)
{
	return t->kind == TK_WORD || t->kind == TK_QIDENT;
}

/*
 * The table a table statement names (the lexer only): the name after TABLE
 * (ALTER/CREATE/DROP/RENAME/TRUNCATE TABLE x) or after ON (CREATE/DROP
 * INDEX i ON x), or the word after TRUNCATE.
 */
static void
find_table_step(void *arg)
{
	FindTableStep *step = arg;
	DdlLexer	lx;
	int			i;
	static const char *const verbs[] = {"alter", "create", "drop", "rename", "truncate"};
	bool		verb = false;

	chameleon_ddl_lex(&lx, step->q->query, DdlCtx.ansi_quotes, DdlCtx.no_backslash_escapes);
	if (lx.ntoks < 2)
		return;
	for (int v = 0; v < (int) lengthof(verbs); v++)
		verb |= token_word_is(&lx, &lx.toks[0], verbs[v]);
	if (!verb)
		return;
	for (i = 1; i < lx.ntoks - 1; i++)
		if (token_word_is(&lx, &lx.toks[i], "table") || token_word_is(&lx, &lx.toks[i], "on"))
			break;
	if (i >= lx.ntoks - 1)
	{
		if (!token_word_is(&lx, &lx.toks[0], "truncate"))
			return;
		i = 0;
	}
	if (!token_is_name(&lx.toks[i + 1]))
		return;
	step->table = chameleon_ddl_ident_value(&lx, &lx.toks[i + 1]);
	step->db = step->q->db[0] ? pstrdup(step->q->db) : NULL;
	if (i + 3 < lx.ntoks && lx.toks[i + 2].kind == TK_PUNCT &&
		lx.src[lx.toks[i + 2].start] == '.' && token_is_name(&lx.toks[i + 3]))
	{
		step->db = step->table;
		step->table = chameleon_ddl_ident_value(&lx, &lx.toks[i + 3]);
	}
	if (step->db == NULL)
		step->table = NULL;
}

/*
 * Not understood: recorded when it is about the replicated database; a
 * replicated table it names is marked error and its shape is forgotten (the
 * statement may have changed it in a way the decoder cannot know).
 */
static void
translation_failed(const ChameleonQueryEvent *q, ErrorData *edata)
{
	FindTableStep find = {q, NULL, NULL};
	ErrorData  *lex_error = run_guarded(find_table_step, &find);
	bool		ours = find.table != NULL && is_source_db(find.db);

	if (lex_error != NULL)
		FreeErrorData(lex_error);
	if (!ours && !(find.table == NULL && is_source_db(q->db)))
		return;
	if (ours && is_replicated_cb(NULL, find.db, find.table))
		stop_replica_if_asked(q, key_of(find.db, find.table), "ddl", edata->message,
							  edata->sqlerrcode);
	record_ddl(q, shown_source(q->query), NIL, false, "failed", edata->message);
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("pg_chameleon: a DDL statement of the source could not be translated"),
			 errdetail("%s", edata->message),
			 errhint("The statement is in sch_chameleon.t_ddl; the tables it changed may need chameleon.sync_tables().")));
	if (ours && is_replicated_cb(NULL, find.db, find.table))
	{
		ChameleonDdlResult res = {0};
		ChameleonDdlTableChange ch = {find.db, find.table, find.db, find.table, false, NIL};

		res.kind = CHAMELEON_DDL_ALTER;
		res.tables = list_make1(&ch);
		bookkeeping_failed(&res, edata);
		chameleon_ddl_catalog_remove(&DdlCtx, chameleon_ddl_catalog_find(&DdlCtx, find.db,
																		 find.table, false));
		save_shapes(&res);
		chameleon_apply_schema_changed();
	}
}

/* ---------------------------------------------------------------------
 * Statement-based DML: a change the replica cannot apply
 *
 * A session with binlog_format = STATEMENT (or MIXED, for statements MySQL
 * deems safe) logs its writes as SQL text in QUERY events, not as rows.
 * The replica cannot run MySQL's SQL, so such a statement is never skipped
 * in silence: the tables it writes are found with the lexer, each replicated
 * one is marked error (t_errors has an 'operation' = 'statement' row) and
 * the statement goes into t_ddl as failed.  Where the written tables cannot
 * be told apart (multi-table UPDATE/DELETE, SELECT/DO calling a function,
 * WITH ...), every replicated table the statement names is marked.
 * Statements on tables the replica does not have (another database,
 * tables_limit, temporary tables) stay ignored.
 * ---------------------------------------------------------------------
 */

typedef enum DmlVerb
{
	DML_NONE,
	DML_INSERT,					/* INSERT, REPLACE: one table after INTO */
	DML_UPDATE,					/* table references up to SET */
	DML_DELETE,					/* table references up to WHERE */
	DML_LOAD,					/* LOAD DATA/XML ... INTO TABLE t */
	DML_ANY						/* SELECT/DO/CALL/WITH: every table named */
} DmlVerb;

typedef struct DmlTablesStep
{
	const ChameleonQueryEvent *q;
	List	   *tables;			/* out: DdlName * the statement writes (or names) */
} DmlTablesStep;

/* Does sql start with DROP TABLE (not DROP TEMPORARY TABLE)? */
static bool
is_drop_table(const char *sql)
{
	const char *p = sql;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (pg_strncasecmp(p, "drop", 4) != 0 || !isspace((unsigned char) p[4]))
		return false;
	p += 4;
	while (isspace((unsigned char) *p))
		p++;
	return pg_strncasecmp(p, "table", 5) == 0 &&
		(p[5] == '\0' || isspace((unsigned char) p[5]) || p[5] == '`');
}

/* DROP DATABASE | SCHEMA [IF EXISTS] db (the lexer only): db, or NULL. */
typedef struct DropDatabaseStep
{
	const char *sql;
	const ChameleonQueryEvent *q;
	char	   *db;				/* out */
} DropDatabaseStep;

static void
drop_database_step(void *arg)
{
	DropDatabaseStep *step = arg;
	DdlLexer	lx;
	int			i = 2;

	chameleon_ddl_lex(&lx, step->sql, DdlCtx.ansi_quotes, DdlCtx.no_backslash_escapes);
	if (lx.ntoks < 3 || !token_word_is(&lx, &lx.toks[0], "drop") ||
		!(token_word_is(&lx, &lx.toks[1], "database") || token_word_is(&lx, &lx.toks[1], "schema")))
		return;
	if (i + 2 < lx.ntoks && token_word_is(&lx, &lx.toks[i], "if") &&
		token_word_is(&lx, &lx.toks[i + 1], "exists"))
		i += 2;
	if (token_is_name(&lx.toks[i]))
		step->db = chameleon_ddl_ident_value(&lx, &lx.toks[i]);
}

/* A MySQL identifier in backquotes. */
static void
append_backquoted(StringInfo buf, const char *name)
{
	appendStringInfoChar(buf, '`');
	for (const char *c = name; *c; c++)
	{
		if (*c == '`')
			appendStringInfoChar(buf, '`');
		appendStringInfoChar(buf, *c);
	}
	appendStringInfoChar(buf, '`');
}

/*
 * DROP DATABASE of a replicated database drops its tables in MySQL, with no
 * row event: the replica drops its tables of that database the same way,
 * as the statement "DROP TABLE IF EXISTS db.t1, db.t2, ..." (recorded so in
 * t_ddl).  false: not such a statement.
 */
static bool
drop_database(const ChameleonQueryEvent *q)
{
	DropDatabaseStep step = {q->query, q, NULL};
	ErrorData  *edata;
	StringInfoData sql;
	ListCell   *lc;
	TranslateStep tstep;

	edata = run_guarded(drop_database_step, &step);
	if (edata != NULL)
	{
		FreeErrorData(edata);
		return false;
	}
	if (step.db == NULL || !is_source_db(step.db))
		return false;
	initStringInfo(&sql);
	foreach(lc, chameleon_catalog_table_rows(Session->source_id))
	{
		ChameleonTableRow *row = lfirst(lc);
		char	   *db,
				   *table;

		if (strcmp(row->state, "removed") == 0 ||
			!chameleon_table_key_split(Session->config, row->mysql_table, &db, &table) ||
			strcmp(db, step.db) != 0)
			continue;
		appendStringInfoString(&sql, sql.len ? ", " : "DROP TABLE IF EXISTS ");
		append_backquoted(&sql, db);
		appendStringInfoChar(&sql, '.');
		append_backquoted(&sql, table);
	}
	if (sql.len == 0)
	{
		record_ddl(q, q->query, NIL, false, "skipped",
				   psprintf("database %s has no replicated table", step.db));
		return true;
	}
	DdlIsDropTable = true;
	tstep.sql = sql.data;
	tstep.results = NIL;
	edata = run_guarded(translate_step, &tstep);
	if (edata != NULL)
	{
		translation_failed(q, edata);
		FreeErrorData(edata);
		return true;
	}
	foreach(lc, tstep.results)
		apply_result(q, lfirst(lc));
	return true;
}

static DmlVerb
dml_verb(const char *sql)
{
	static const struct
	{
		const char *word;
		DmlVerb		verb;
	}			verbs[] = {
		{"insert", DML_INSERT}, {"replace", DML_INSERT}, {"update", DML_UPDATE},
		{"delete", DML_DELETE}, {"load", DML_LOAD}, {"select", DML_ANY},
		{"do", DML_ANY}, {"call", DML_ANY}, {"with", DML_ANY}
	};
	const char *p = sql;
	int			n = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '(')
		p++;
	while (isalpha((unsigned char) p[n]))
		n++;
	for (int i = 0; i < (int) lengthof(verbs); i++)
		if ((int) strlen(verbs[i].word) == n && pg_strncasecmp(p, verbs[i].word, n) == 0)
			return verbs[i].verb;
	return DML_NONE;
}

static bool
token_punct_is(const DdlLexer *lx, int i, char c)
{
	return i < lx->ntoks && lx->toks[i].kind == TK_PUNCT && lx->src[lx->toks[i].start] == c;
}

/*
 * A table name at token i ([db.]name, also name.* of a multi-table DELETE):
 * added to step->tables.  Returns the index after it (i if there is none).
 */
static int
dml_read_name(DmlTablesStep *step, const DdlLexer *lx, int i)
{
	DdlName    *n;

	if (i >= lx->ntoks || !token_is_name(&lx->toks[i]))
		return i;
	n = palloc0(sizeof(DdlName));
	n->name = chameleon_ddl_ident_value(lx, &lx->toks[i]);
	if (token_punct_is(lx, i + 1, '.') && i + 2 < lx->ntoks && token_is_name(&lx->toks[i + 2]))
	{
		n->db = n->name;
		n->name = chameleon_ddl_ident_value(lx, &lx->toks[i + 2]);
		i += 2;
	}
	else if (token_punct_is(lx, i + 1, '.') && token_punct_is(lx, i + 2, '*'))
		i += 2;
	step->tables = lappend(step->tables, n);
	return i + 1;
}

/* Skip the option words after a verb (LOW_PRIORITY, IGNORE, INTO ...). */
static int
dml_skip_options(const DdlLexer *lx, int i)
{
	static const char *const options[] = {
		"low_priority", "delayed", "high_priority", "ignore", "quick", "into"
	};
	bool		more = true;

	while (more && i < lx->ntoks)
	{
		more = false;
		for (int o = 0; o < (int) lengthof(options); o++)
			if (token_word_is(lx, &lx->toks[i], options[o]))
			{
				i++;
				more = true;
				break;
			}
	}
	return i;
}

/*
 * UPDATE/DELETE: the table references before SET (UPDATE) or WHERE: the
 * first name, and each name after a comma, FROM, USING or JOIN at the top
 * level.  A multi-table statement so gives every table it joins.
 */
static void
dml_table_references(DmlTablesStep *step, const DdlLexer *lx, int i, bool update)
{
	static const char *const stops[] = {"where", "order", "limit", "returning"};
	static const char *const before_name[] = {"from", "using", "join", "straight_join"};
	int			depth = 0;

	if (i < lx->ntoks && !token_word_is(lx, &lx->toks[i], "from"))
		(void) dml_read_name(step, lx, i);
	for (; i < lx->ntoks; i++)
	{
		if (token_punct_is(lx, i, '('))
			depth++;
		else if (token_punct_is(lx, i, ')'))
			depth--;
		if (depth != 0)
			continue;
		if (update && token_word_is(lx, &lx->toks[i], "set"))
			return;
		for (int s = 0; s < (int) lengthof(stops); s++)
			if (token_word_is(lx, &lx->toks[i], stops[s]))
				return;
		if (token_punct_is(lx, i, ','))
			(void) dml_read_name(step, lx, i + 1);
		for (int b = 0; b < (int) lengthof(before_name); b++)
			if (token_word_is(lx, &lx->toks[i], before_name[b]))
				(void) dml_read_name(step, lx, i + 1);
	}
}

static void
dml_tables_step(void *arg)
{
	DmlTablesStep *step = arg;
	DdlLexer	lx;
	int			i;

	chameleon_ddl_lex(&lx, step->q->query, DdlCtx.ansi_quotes, DdlCtx.no_backslash_escapes);
	for (i = 0; i < lx.ntoks && token_punct_is(&lx, i, '('); i++)
		;
	switch (dml_verb(step->q->query))
	{
		case DML_INSERT:
			(void) dml_read_name(step, &lx, dml_skip_options(&lx, i + 1));
			break;
		case DML_UPDATE:
			dml_table_references(step, &lx, dml_skip_options(&lx, i + 1), true);
			break;
		case DML_DELETE:
			dml_table_references(step, &lx, dml_skip_options(&lx, i + 1), false);
			break;
		case DML_LOAD:
			for (; i + 2 < lx.ntoks; i++)
				if (token_word_is(&lx, &lx.toks[i], "into") &&
					token_word_is(&lx, &lx.toks[i + 1], "table"))
				{
					(void) dml_read_name(step, &lx, i + 2);
					break;
				}
			break;
		case DML_ANY:
		case DML_NONE:
			for (; i < lx.ntoks; i = Max(i + 1, dml_read_name(step, &lx, i)))
				;
			break;
	}
}

/* Is db.table (db NULL: the event's default database) a replicated table? */
static bool
dml_table_replicated(const ChameleonQueryEvent *q, const DdlName *n)
{
	const char *db = n->db ? n->db : (q->db[0] ? q->db : NULL);

	return is_source_db(db) && is_replicated_cb(NULL, db, n->name) &&
		chameleon_apply_table_is_replicated(key_of(db, n->name));
}

/* t_errors row, error state and WARNING for one table a statement changed. */
static void
dml_table_failed(const ChameleonQueryEvent *q, const char *name, const char *message)
{
	ChameleonLogWhere where = log_where();

	table_set_state(name, "error", message);
	chameleon_catalog_add_error(Session->source_id, &where, name, "statement",
								json_object_text("statement", NIL, shown_source(q->query)),
								message, "0A000");
	ereport(WARNING,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("pg_chameleon: table %s is left out of the replica after a statement-based change",
					name),
			 errdetail("The source logged a change to the table as an SQL statement (binlog_format STATEMENT or MIXED in that session), not as rows."),
			 errhint("Set binlog_format = ROW for every session of the source, then copy the table again with chameleon.sync_tables().")));
}

/*
 * A DML statement in a QUERY event: its replicated tables go to error and
 * the statement into t_ddl; one on tables the replica does not have is
 * ignored.  When no table can be read from it but it ran in the replicated
 * database, it is recorded as failed with a WARNING.
 */
static void
statement_dml(const ChameleonQueryEvent *q)
{
	DmlTablesStep step = {q, NIL};
	ErrorData  *lex_error = run_guarded(dml_tables_step, &step);
	char	   *message = psprintf("statement-based change cannot be applied: %s",
								   "the source logged it as SQL text, not as rows (binlog_format is not ROW in that session)");
	List	   *marked = NIL;
	int			failed = 0;
	bool		about_source = is_source_db(q->db);
	ListCell   *lc;

	if (lex_error != NULL)
		FreeErrorData(lex_error);
	foreach(lc, step.tables)
	{
		DdlName    *n = lfirst(lc);
		const char *why = NULL;
		char	   *key;

		about_source |= n->db != NULL && is_source_db(n->db);
		if (!dml_table_replicated(q, n))
			continue;
		key = key_of(n->db ? n->db : q->db, n->name);
		if (list_member(marked, makeString(key)))
			continue;
		marked = lappend(marked, makeString(key));
		/* in error, syncing, or copied after the statement: nothing to lose */
		if (!chameleon_apply_table_takes_ddl(key, DdlFile, DdlPos, &why))
			continue;
		stop_replica_if_asked(q, key, "statement", message, ERRCODE_FEATURE_NOT_SUPPORTED);
		if (failed++ == 0)
			record_ddl(q, shown_source(q->query), NIL, false, "failed", message);
		dml_table_failed(q, key, message);
	}
	/* the tables' states are stale now: their rows are skipped from here on */
	if (failed > 0)
		chameleon_apply_schema_changed();
	if (marked != NIL)
		return;
	/* no replicated table named: ignored, unless nothing could be read */
	if (!about_source || (step.tables != NIL && dml_verb(q->query) != DML_ANY))
		return;
	record_ddl(q, shown_source(q->query), NIL, false, "failed",
			   psprintf("statement-based change cannot be applied: %s",
						"the tables it changes cannot be told from its text"));
	ereport(WARNING,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("pg_chameleon: a statement-based change of the source cannot be applied"),
			 errdetail("The source logged a statement as SQL text (binlog_format STATEMENT or MIXED in that session); the tables it changed are not known."),
			 errhint("Set binlog_format = ROW for every session of the source; the statement is in sch_chameleon.t_ddl: copy the tables it changed again with chameleon.sync_tables().")));
}

void
chameleon_ddl_apply_query(const ChameleonQueryEvent *q, const char *file, uint64 pos)
{
	TranslateStep step = {q->query, NIL};
	ErrorData  *edata;
	ListCell   *lc;
	MemoryContext old;

	if (!DdlCtxReady)
		chameleon_ddl_apply_session_start(Session);
	/* rows before the statement go first */
	chameleon_apply_flush();
	DdlFile = file;
	DdlPos = pos;
	DdlSkipWhy = NULL;
	DdlIsDropTable = is_drop_table(q->query);

	old = MemoryContextSwitchTo(DdlCatalogContext);
	DdlCtx.default_db = q->db[0] ? pstrdup(q->db) : NULL;
	MemoryContextSwitchTo(old);
	DdlCtx.ansi_quotes = q->sql_mode >= 0 && (q->sql_mode & SQL_MODE_ANSI_QUOTES) != 0;
	DdlCtx.no_backslash_escapes = q->sql_mode >= 0 &&
		(q->sql_mode & SQL_MODE_NO_BACKSLASH_ESCAPES) != 0;

	if (dml_verb(q->query) != DML_NONE)
	{
		statement_dml(q);
		return;
	}
	if (drop_database(q))
		return;
	edata = run_guarded(translate_step, &step);
	if (edata != NULL)
	{
		translation_failed(q, edata);
		FreeErrorData(edata);
		return;
	}
	foreach(lc, step.results)
		apply_result(q, lfirst(lc));

	/* replaced entries are not freed: start again now and then */
	if (MemoryContextMemAllocated(DdlCatalogContext, true) > CATALOG_RESET_BYTES)
	{
		MemoryContextReset(DdlCatalogContext);
		DdlCtx.tables = NIL;
		DdlCtx.default_db = NULL;
	}
}
