/*
 * ddl_parse.c -- a recursive-descent parser for MySQL/MariaDB DDL.
 *
 * This file owns the grammar of the statements that change tables, as the
 * MySQL 8 and MariaDB manuals write them:
 *   CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] t
 *       (column definitions, keys, foreign keys, checks) [table options]
 *       [partitioning] | LIKE other | (LIKE other)
 *   ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] t clause [, clause ...]
 *   DROP [TEMPORARY] TABLE[S] [IF EXISTS] t [, t ...]
 *   RENAME TABLE[S] a TO b [, c TO d ...]
 *   TRUNCATE [TABLE] t
 *   CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX i ON t (...), DROP INDEX i ON t
 *   USE db
 * into the tree of ddl_int.h; the parts of the statements (columns, keys,
 * values, options) are in ddl_parse_defs.c.  Any other
 * statement (GRANT, views, routines, DML in QUERY events, SET, BEGIN, ...)
 * becomes ST_SKIPPED with a reason; a statement on a table that does not
 * follow the grammar is an ERROR with ERRCODE_SYNTAX_ERROR naming the token
 * and its position.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/elog.h"

#include "ddl_parse_int.h"

#define MAX_SHOWN_BYTES 40
#define MAX_NOTE_EXPR_BYTES 60

static void
parse_create_table(DdlParser *p, DdlStatement *st)
{
	st->kind = ST_CREATE_TABLE;
	st->if_not_exists = chameleon_ddl_accept_if_not_exists(p);
	st->table = chameleon_ddl_parse_table_name(p);

	if (accept_word(p, "like"))
	{
		st->kind = ST_CREATE_TABLE_LIKE;
		st->like = chameleon_ddl_parse_table_name(p);
		return;
	}
	if (is_punct(p, '(') && token_is_word(p, peek(p, 1), "like"))
	{
		p->pos += 2;
		st->kind = ST_CREATE_TABLE_LIKE;
		st->like = chameleon_ddl_parse_table_name(p);
		chameleon_ddl_expect_punct(p, ')');
		return;
	}
	if (is_punct(p, '(') && !token_is_word(p, peek(p, 1), "select"))
		chameleon_ddl_parse_table_elements(p, st);

	for (;;)
	{
		if (chameleon_ddl_parse_table_option(p, &st->table_comment))
		{
			(void) accept_punct(p, ',');
			continue;
		}
		break;
	}
	(void) chameleon_ddl_parse_partitioning(p);
	if (!accept_word(p, "ignore"))
		(void) accept_word(p, "replace");
	(void) accept_word(p, "as");
	if (is_word(p, "select") || is_punct(p, '(') || is_word(p, "with") ||
		is_word(p, "values") || is_word(p, "table"))
	{
		if (st->columns == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("CREATE TABLE ... SELECT without column definitions cannot be translated"),
					 errdetail("The column types of the new table come from the SELECT, which is not known here."),
					 errhint("With binlog_format=ROW the source logs the full table definition.")));
		chameleon_ddl_skip_statement_rest(p);
		chameleon_ddl_parser_note(p, "the SELECT part is ignored: its rows come as row events");
	}
	/* MySQL 8 logs an atomic CREATE TABLE ... SELECT with START TRANSACTION */
	if (accept_word(p, "start"))
		chameleon_ddl_expect_word(p, "transaction");
}

/* ---------- ALTER TABLE clauses ---------- */

static DdlAlterCmd *
new_cmd(DdlStatement *st, DdlAlterKind kind)
{
	DdlAlterCmd *cmd = palloc0(sizeof(DdlAlterCmd));

	cmd->kind = kind;
	st->commands = lappend(st->commands, cmd);
	return cmd;
}

static void
add_note_cmd(DdlStatement *st, char *text)
{
	DdlAlterCmd *cmd = new_cmd(st, AT_NOTE);

	cmd->note = text;
}

/* Partition maintenance: notes, or unsupported when it removes or moves rows. */
static bool
parse_partition_clause(DdlParser *p, DdlStatement *st)
{
	static const char *const row_changing[] = {"drop", "truncate", "exchange", "discard", "import"};
	static const char *const harmless[] = {
		"add", "coalesce", "reorganize", "analyze", "check", "optimize", "rebuild",
		"repair", "remove", "upgrade"
	};
	int			from = p->pos;

	if (!(token_is_word(p, peek(p, 1), "partition") || token_is_word(p, peek(p, 1), "partitioning")))
		return false;
	for (int i = 0; i < (int) lengthof(row_changing); i++)
	{
		if (is_word(p, row_changing[i]))
		{
			DdlAlterCmd *cmd;

			chameleon_ddl_skip_statement_rest(p);
			cmd = new_cmd(st, AT_UNSUPPORTED);
			cmd->note = chameleon_ddl_text_since(p, from);
			return true;
		}
	}
	for (int i = 0; i < (int) lengthof(harmless); i++)
	{
		if (is_word(p, harmless[i]))
		{
			chameleon_ddl_skip_statement_rest(p);
			add_note_cmd(st, psprintf("%s is ignored: partitioning is not replicated",
									  chameleon_ddl_text_since(p, from)));
			return true;
		}
	}
	return false;
}

/* One element of ADD: an index or constraint, or a column. */
static void
parse_add_element(DdlParser *p, DdlStatement *st, bool if_not_exists, bool in_list)
{
	DdlAlterCmd *cmd;

	if (chameleon_ddl_is_key_word(p))
	{
		KeyElement	ke = chameleon_ddl_parse_key_element(p);

		if (ke.kind == KE_INDEX)
		{
			cmd = new_cmd(st, AT_ADD_INDEX);
			cmd->index = ke.index;
		}
		else if (ke.kind == KE_FOREIGN)
		{
			cmd = new_cmd(st, AT_ADD_FOREIGN_KEY);
			cmd->fk = ke.fk;
		}
		else
			add_note_cmd(st, psprintf("CHECK constraint %s(%s) is not created",
									  ke.name ? psprintf("\"%s\" ", ke.name) : "", ke.text));
		return;
	}
	cmd = new_cmd(st, AT_ADD_COLUMN);
	cmd->if_exists = if_not_exists || chameleon_ddl_accept_if_not_exists(p);
	cmd->column = chameleon_ddl_parse_column_def(p, NULL);
	if (!in_list)
		chameleon_ddl_parse_column_position(p, cmd->column);
}

/*
 * ADD [COLUMN] [IF NOT EXISTS] col ... [FIRST | AFTER c]
 * ADD [COLUMN] [IF NOT EXISTS] (element, ...): columns, indexes and
 *   constraints mixed (MariaDB: ADD (PRIMARY KEY (id), k int))
 * ADD index or constraint; ADD PERIOD FOR; ADD SYSTEM VERSIONING
 */
static void
parse_alter_add(DdlParser *p, DdlStatement *st)
{
	bool		if_not_exists;

	if (chameleon_ddl_parse_period(p))
	{
		add_note_cmd(st, "ADD PERIOD FOR is ignored");
		return;
	}
	if (is_word(p, "system") && token_is_word(p, peek(p, 1), "versioning"))
	{
		p->pos += 2;
		add_note_cmd(st, "ADD SYSTEM VERSIONING is ignored: history rows are not replicated");
		return;
	}
	if (chameleon_ddl_is_key_word(p))
	{
		parse_add_element(p, st, false, false);
		return;
	}
	(void) accept_word(p, "column");
	if_not_exists = chameleon_ddl_accept_if_not_exists(p);
	if (accept_punct(p, '('))
	{
		do
			parse_add_element(p, st, if_not_exists, true);
		while (accept_punct(p, ','));
		chameleon_ddl_expect_punct(p, ')');
		return;
	}
	parse_add_element(p, st, if_not_exists, false);
}

/* DROP ... */
static void
parse_alter_drop(DdlParser *p, DdlStatement *st)
{
	DdlAlterCmd *cmd;

	if (accept_word(p, "primary"))
	{
		chameleon_ddl_expect_word(p, "key");
		(void) new_cmd(st, AT_DROP_PRIMARY);
		return;
	}
	if (accept_word(p, "index") || accept_word(p, "key"))
	{
		cmd = new_cmd(st, AT_DROP_INDEX);
		cmd->if_exists = chameleon_ddl_accept_if_exists(p);
		cmd->name = chameleon_ddl_parse_ident(p, "an index name");
		return;
	}
	if (accept_word(p, "foreign"))
	{
		chameleon_ddl_expect_word(p, "key");
		cmd = new_cmd(st, AT_DROP_FOREIGN_KEY);
		cmd->if_exists = chameleon_ddl_accept_if_exists(p);
		cmd->name = chameleon_ddl_parse_ident(p, "a foreign key name");
		/* MariaDB takes db.fk; the database part names the table's */
		if (accept_punct(p, '.'))
			cmd->name = chameleon_ddl_parse_ident(p, "a foreign key name");
		return;
	}
	if (accept_word(p, "constraint"))
	{
		cmd = new_cmd(st, AT_DROP_CONSTRAINT);
		cmd->if_exists = chameleon_ddl_accept_if_exists(p);
		cmd->name = chameleon_ddl_parse_ident(p, "a constraint name");
		return;
	}
	if (accept_word(p, "check"))
	{
		char	   *name = chameleon_ddl_parse_ident(p, "a constraint name");

		add_note_cmd(st, psprintf("DROP CHECK \"%s\" is ignored: CHECK constraints are not created", name));
		return;
	}
	if (is_word(p, "system") && token_is_word(p, peek(p, 1), "versioning"))
	{
		p->pos += 2;
		add_note_cmd(st, "DROP SYSTEM VERSIONING is ignored");
		return;
	}
	if (is_word(p, "period") && token_is_word(p, peek(p, 1), "for"))
	{
		p->pos += 2;
		(void) chameleon_ddl_parse_ident(p, "a period name");
		add_note_cmd(st, "DROP PERIOD FOR is ignored");
		return;
	}
	(void) accept_word(p, "column");
	cmd = new_cmd(st, AT_DROP_COLUMN);
	cmd->if_exists = chameleon_ddl_accept_if_exists(p);
	cmd->name = chameleon_ddl_parse_ident(p, "a column name");
	if (!accept_word(p, "restrict"))
		(void) accept_word(p, "cascade");
}

/* ALTER [COLUMN] c SET DEFAULT v | DROP DEFAULT | SET [IN]VISIBLE; ALTER INDEX/CHECK/CONSTRAINT */
static void
parse_alter_alter(DdlParser *p, DdlStatement *st)
{
	DdlAlterCmd *cmd;
	char	   *name;

	if (accept_word(p, "index") || accept_word(p, "key"))
	{
		(void) chameleon_ddl_accept_if_exists(p);
		name = chameleon_ddl_parse_ident(p, "an index name");
		if (is_word(p, "not"))
			advance(p);
		if (!accept_word(p, "visible") && !accept_word(p, "invisible") &&
			!accept_word(p, "ignored"))
			chameleon_ddl_syntax_error(p, "VISIBLE, INVISIBLE or IGNORED");
		add_note_cmd(st, psprintf("the visibility of index \"%s\" is ignored", name));
		return;
	}
	if ((is_word(p, "check") || is_word(p, "constraint")) && chameleon_ddl_is_ident_token(peek(p, 1)) &&
		(token_is_word(p, peek(p, 2), "enforced") || token_is_word(p, peek(p, 2), "not")))
	{
		p->pos += 2;
		(void) accept_word(p, "not");
		chameleon_ddl_expect_word(p, "enforced");
		add_note_cmd(st, "ALTER CHECK ... ENFORCED is ignored: CHECK constraints are not created");
		return;
	}
	(void) accept_word(p, "column");
	name = chameleon_ddl_parse_ident(p, "a column name");
	if (accept_word(p, "set"))
	{
		if (accept_word(p, "default"))
		{
			cmd = new_cmd(st, AT_SET_DEFAULT);
			cmd->name = name;
			cmd->value = chameleon_ddl_parse_default_value(p);
		}
		else if (accept_word(p, "visible") || accept_word(p, "invisible"))
			add_note_cmd(st, psprintf("the visibility of column \"%s\" is ignored", name));
		else
			chameleon_ddl_syntax_error(p, "DEFAULT, VISIBLE or INVISIBLE");
	}
	else if (accept_word(p, "drop"))
	{
		chameleon_ddl_expect_word(p, "default");
		cmd = new_cmd(st, AT_DROP_DEFAULT);
		cmd->name = name;
	}
	else
		chameleon_ddl_syntax_error(p, "SET DEFAULT or DROP DEFAULT");
}

/* RENAME COLUMN a TO b | RENAME INDEX/KEY a TO b | RENAME [TO|AS] t */
static void
parse_alter_rename(DdlParser *p, DdlStatement *st)
{
	DdlAlterCmd *cmd;

	if (accept_word(p, "column"))
	{
		cmd = new_cmd(st, AT_RENAME_COLUMN);
		cmd->if_exists = chameleon_ddl_accept_if_exists(p);
		cmd->name = chameleon_ddl_parse_ident(p, "a column name");
		chameleon_ddl_expect_word(p, "to");
		cmd->new_name = chameleon_ddl_parse_ident(p, "the new column name");
		return;
	}
	if (accept_word(p, "index") || accept_word(p, "key"))
	{
		cmd = new_cmd(st, AT_RENAME_INDEX);
		cmd->name = chameleon_ddl_parse_ident(p, "an index name");
		chameleon_ddl_expect_word(p, "to");
		cmd->new_name = chameleon_ddl_parse_ident(p, "the new index name");
		return;
	}
	if (!accept_word(p, "to"))
		(void) accept_word(p, "as");
	cmd = new_cmd(st, AT_RENAME_TABLE);
	cmd->new_table = chameleon_ddl_parse_table_name(p);
}

/* CONVERT TO CHARACTER SET x [COLLATE y] */
static void
parse_alter_convert(DdlParser *p, DdlStatement *st)
{
	int			from = p->pos - 1;

	chameleon_ddl_expect_word(p, "to");
	if ((is_word(p, "character") || is_word(p, "char")) && token_is_word(p, peek(p, 1), "set"))
		p->pos += 2;
	else
		chameleon_ddl_expect_word(p, "charset");
	chameleon_ddl_skip_option_value(p);
	if (accept_word(p, "collate"))
		chameleon_ddl_skip_option_value(p);
	add_note_cmd(st, psprintf("%s changes nothing in PostgreSQL (text is in the database encoding)",
							  chameleon_ddl_text_since(p, from)));
}

/* Clauses with nothing to do in PostgreSQL; true if one was read. */
static bool
parse_ignored_clause(DdlParser *p, DdlStatement *st)
{
	int			from = p->pos;

	if (accept_word(p, "algorithm") || accept_word(p, "lock"))
	{
		chameleon_ddl_accept_equals(p);
		chameleon_ddl_skip_option_value(p);
	}
	else if (accept_word(p, "force"))
		 /* nothing */ ;
	else if ((is_word(p, "enable") || is_word(p, "disable")) && token_is_word(p, peek(p, 1), "keys"))
		p->pos += 2;
	else if ((is_word(p, "with") || is_word(p, "without")) &&
			 token_is_word(p, peek(p, 1), "validation"))
		p->pos += 2;
	else if ((is_word(p, "discard") || is_word(p, "import")) &&
			 token_is_word(p, peek(p, 1), "tablespace"))
	{
		bool		import = is_word(p, "import");

		p->pos += 2;
		if (import)
			add_note_cmd(st, "IMPORT TABLESPACE brings rows that are not in the binlog: re-copy the table");
	}
	else if (is_word(p, "order") && token_is_word(p, peek(p, 1), "by"))
	{
		p->pos += 2;
		do
		{
			(void) chameleon_ddl_parse_ident(p, "a column name");
			(void) chameleon_ddl_parse_direction(p);
		} while (accept_punct(p, ','));
		add_note_cmd(st, psprintf("%s is ignored", chameleon_ddl_text_since(p, from)));
	}
	else
		return false;
	return true;
}

static void
parse_alter_clause(DdlParser *p, DdlStatement *st)
{
	DdlAlterCmd *cmd;
	char	   *comment = NULL;

	if (parse_partition_clause(p, st) || parse_ignored_clause(p, st))
		return;
	if (accept_word(p, "add"))
		parse_alter_add(p, st);
	else if (accept_word(p, "drop"))
		parse_alter_drop(p, st);
	else if (accept_word(p, "modify"))
	{
		(void) accept_word(p, "column");
		cmd = new_cmd(st, AT_MODIFY_COLUMN);
		cmd->if_exists = chameleon_ddl_accept_if_exists(p);
		cmd->column = chameleon_ddl_parse_column_def(p, NULL);
		chameleon_ddl_parse_column_position(p, cmd->column);
	}
	else if (accept_word(p, "change"))
	{
		(void) accept_word(p, "column");
		cmd = new_cmd(st, AT_CHANGE_COLUMN);
		cmd->if_exists = chameleon_ddl_accept_if_exists(p);
		cmd->name = chameleon_ddl_parse_ident(p, "a column name");
		cmd->column = chameleon_ddl_parse_column_def(p, NULL);
		chameleon_ddl_parse_column_position(p, cmd->column);
	}
	else if (accept_word(p, "alter"))
		parse_alter_alter(p, st);
	else if (accept_word(p, "rename"))
		parse_alter_rename(p, st);
	else if (accept_word(p, "convert"))
		parse_alter_convert(p, st);
	else if (chameleon_ddl_parse_table_option(p, &comment))
	{
		if (comment != NULL)
		{
			cmd = new_cmd(st, AT_TABLE_COMMENT);
			cmd->comment = comment;
		}
	}
	else
		chameleon_ddl_syntax_error(p, "an ALTER TABLE clause");
}

/* MariaDB: WAIT n | NOWAIT after a table name */
static void
parse_wait(DdlParser *p)
{
	if (accept_word(p, "nowait"))
		return;
	if (accept_word(p, "wait"))
	{
		if (cur(p)->kind != TK_NUMBER)
			chameleon_ddl_syntax_error(p, "a number of seconds");
		advance(p);
	}
}

static void
parse_alter_table(DdlParser *p, DdlStatement *st)
{
	st->kind = ST_ALTER_TABLE;
	st->if_exists = chameleon_ddl_accept_if_exists(p);
	st->table = chameleon_ddl_parse_table_name(p);
	parse_wait(p);
	while (!at_end(p))
	{
		if (is_word(p, "partition") && token_is_word(p, peek(p, 1), "by"))
		{
			(void) chameleon_ddl_parse_partitioning(p);
			break;
		}
		parse_alter_clause(p, st);
		if (!accept_punct(p, ','))
		{
			/* table options and partitioning may follow without a comma */
			if (!at_end(p) && cur(p)->kind != TK_WORD)
				chameleon_ddl_syntax_error(p, "\",\" or the end of the statement");
		}
	}
}

/* ---------- other statements ---------- */

static void
parse_drop_table(DdlParser *p, DdlStatement *st)
{
	st->kind = ST_DROP_TABLE;
	st->if_exists = chameleon_ddl_accept_if_exists(p);
	do
	{
		DdlName    *n = palloc(sizeof(DdlName));

		*n = chameleon_ddl_parse_table_name(p);
		st->tables = lappend(st->tables, n);
	} while (accept_punct(p, ','));
	parse_wait(p);
	if (!accept_word(p, "restrict"))
		(void) accept_word(p, "cascade");
}

static void
parse_rename_table(DdlParser *p, DdlStatement *st)
{
	st->kind = ST_RENAME_TABLE;
	st->if_exists = chameleon_ddl_accept_if_exists(p);
	do
	{
		DdlRenamePair *pair = palloc(sizeof(DdlRenamePair));

		pair->from = chameleon_ddl_parse_table_name(p);
		parse_wait(p);
		chameleon_ddl_expect_word(p, "to");
		pair->to = chameleon_ddl_parse_table_name(p);
		st->renames = lappend(st->renames, pair);
	} while (accept_punct(p, ','));
}

static void
parse_truncate(DdlParser *p, DdlStatement *st)
{
	st->kind = ST_TRUNCATE;
	(void) accept_word(p, "table");
	st->table = chameleon_ddl_parse_table_name(p);
	parse_wait(p);
}

/* ALGORITHM [=] x / LOCK [=] x after CREATE/DROP INDEX */
static void
parse_index_algorithm(DdlParser *p)
{
	while (accept_word(p, "algorithm") || accept_word(p, "lock"))
	{
		chameleon_ddl_accept_equals(p);
		chameleon_ddl_skip_option_value(p);
	}
}

/* CREATE ... INDEX [IF NOT EXISTS] name [USING t] ON table (parts) [options] */
static void
parse_create_index(DdlParser *p, DdlStatement *st, DdlIndexKind kind)
{
	DdlIndexDef *idx = palloc0(sizeof(DdlIndexDef));

	st->kind = ST_CREATE_INDEX;
	idx->kind = kind;
	idx->if_not_exists = chameleon_ddl_accept_if_not_exists(p);
	idx->name = chameleon_ddl_parse_ident(p, "an index name");
	(void) chameleon_ddl_parse_index_type(p);
	chameleon_ddl_expect_word(p, "on");
	st->table = chameleon_ddl_parse_table_name(p);
	parse_wait(p);
	idx->parts = chameleon_ddl_parse_key_parts(p);
	parse_wait(p);				/* MariaDB: after the key parts too */
	chameleon_ddl_parse_index_options(p, idx);
	parse_index_algorithm(p);
	st->index = idx;
}

static void
parse_drop_index(DdlParser *p, DdlStatement *st)
{
	st->kind = ST_DROP_INDEX;
	st->if_exists = chameleon_ddl_accept_if_exists(p);
	st->index_name = chameleon_ddl_parse_ident(p, "an index name");
	chameleon_ddl_expect_word(p, "on");
	st->table = chameleon_ddl_parse_table_name(p);
	parse_wait(p);
	parse_index_algorithm(p);
}

/* ---------- skipped statements ---------- */

/* Statements whose body may hold ';': the rest of the input is theirs. */
static bool
is_compound_object(const char *object)
{
	static const char *const words[] = {
		"PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "PACKAGE", "AGGREGATE"
	};

	for (int i = 0; i < (int) lengthof(words); i++)
	{
		if (strcmp(object, words[i]) == 0)
			return true;
	}
	return false;
}

static char *
upper_word(DdlParser *p, const DdlToken *t)
{
	char	   *w = chameleon_ddl_token_text(&p->lx, t);

	for (char *c = w; *c; c++)
		*c = pg_ascii_toupper((unsigned char) *c);
	return w;
}

/*
 * The object word of CREATE/ALTER/DROP <object>: the first of the object
 * keywords in the statement (after DEFINER=..., ALGORITHM=..., OR REPLACE).
 */
static char *
object_word(DdlParser *p)
{
	static const char *const objects[] = {
		"database", "schema", "view", "procedure", "function", "trigger", "event", "user",
		"role", "server", "tablespace", "logfile", "sequence", "package", "aggregate",
		"resource", "spatial", "instance", "undo", "synonym"
	};

	for (int i = p->pos; i < p->lx.ntoks && i < p->pos + 40; i++)
	{
		const DdlToken *t = &p->lx.toks[i];

		if (token_is_punct(t, ';', &p->lx))
			break;
		for (int k = 0; k < (int) lengthof(objects); k++)
		{
			if (token_is_word(p, t, objects[k]))
				return upper_word(p, t);
		}
	}
	return NULL;
}

/*
 * Does the statement (from the current token to the next ';') mention a
 * password: IDENTIFIED, PASSWORD, MASTER_PASSWORD, ...?  Its strings are
 * then hidden in the statement text kept with the result.
 */
static bool
mentions_password(DdlParser *p)
{
	for (int i = p->pos; i < p->lx.ntoks; i++)
	{
		const DdlToken *t = &p->lx.toks[i];
		char	   *w;

		if (t->kind == TK_END || token_is_punct(t, ';', &p->lx))
			break;
		if (t->kind != TK_WORD)
			continue;
		w = chameleon_ddl_token_text(&p->lx, t);
		for (char *c = w; *c; c++)
			*c = pg_ascii_tolower((unsigned char) *c);
		if (strcmp(w, "identified") == 0 || strstr(w, "password") != NULL)
			return true;
	}
	return false;
}

static void
skip_statement(DdlParser *p, DdlStatement *st, char *reason, bool to_end_of_input)
{
	st->kind = ST_SKIPPED;
	st->skip_reason = reason;
	if (to_end_of_input)
		p->pos = p->lx.ntoks - 1;
	else
		chameleon_ddl_skip_statement_rest(p);
}

/* CREATE/ALTER/DROP of something that is not a table or an index. */
static void
skip_object_statement(DdlParser *p, DdlStatement *st, const char *verb)
{
	char	   *object = object_word(p);

	st->redact = mentions_password(p) ||
		(object != NULL && (strcmp(object, "USER") == 0 || strcmp(object, "ROLE") == 0 ||
							strcmp(object, "SERVER") == 0));
	if (object == NULL)
		skip_statement(p, st, psprintf("%s statements other than on tables are not replicated", verb),
					   false);
	else
		skip_statement(p, st, psprintf("%s %s is not replicated", verb, object),
					   strcmp(verb, "DROP") != 0 && is_compound_object(object));
}

static void
skip_other_statement(DdlParser *p, DdlStatement *st)
{
	static const char *const dml[] = {
		"insert", "update", "delete", "replace", "load", "call", "do", "select", "with",
		"values", "table", "handler"
	};
	static const char *const transaction[] = {
		"begin", "commit", "rollback", "xa", "savepoint", "release"
	};
	DdlToken   *t = cur(p);

	if (t->kind != TK_WORD)
	{
		skip_statement(p, st, "not a DDL statement", false);
		return;
	}
	for (int i = 0; i < (int) lengthof(dml); i++)
	{
		if (is_word(p, dml[i]))
		{
			skip_statement(p, st,
						   psprintf("%s in a QUERY event is not replicated: rows come from row events (binlog_format=ROW)",
									upper_word(p, t)),
						   false);
			return;
		}
	}
	for (int i = 0; i < (int) lengthof(transaction); i++)
	{
		if (is_word(p, transaction[i]) ||
			(is_word(p, "start") && token_is_word(p, peek(p, 1), "transaction")))
		{
			skip_statement(p, st, "transaction control is handled by the binlog reader",
						   is_word(p, "begin") && !token_is_punct(peek(p, 1), ';', &p->lx) &&
						   peek(p, 1)->kind != TK_END && !token_is_word(p, peek(p, 1), "work"));
			return;
		}
	}
	st->redact = mentions_password(p);
	if (is_word(p, "set"))
		skip_statement(p, st, "SET statements are not replicated", false);
	else if (is_word(p, "grant") || is_word(p, "revoke"))
		skip_statement(p, st, "privileges are not replicated", false);
	else
		skip_statement(p, st, psprintf("%s statements are not replicated", upper_word(p, t)), false);
}

/* ---------- statements ---------- */

static void
parse_create(DdlParser *p, DdlStatement *st)
{
	if (is_word(p, "or") && token_is_word(p, peek(p, 1), "replace"))
	{
		p->pos += 2;
		st->or_replace = true;
	}
	if (accept_word(p, "temporary"))
	{
		if (!is_word(p, "table"))
			chameleon_ddl_syntax_error(p, "TABLE");
		skip_statement(p, st, "temporary tables are not replicated", false);
		return;
	}
	if (accept_word(p, "table"))
	{
		parse_create_table(p, st);
		return;
	}
	if (!accept_word(p, "online"))
		(void) accept_word(p, "offline");
	if (accept_word(p, "unique"))
	{
		chameleon_ddl_expect_word(p, "index");
		parse_create_index(p, st, IDX_UNIQUE);
	}
	else if ((is_word(p, "fulltext") || is_word(p, "spatial") || is_word(p, "vector")) &&
			 token_is_word(p, peek(p, 1), "index"))
	{
		DdlIndexKind kind = is_word(p, "fulltext") ? IDX_FULLTEXT :
			is_word(p, "spatial") ? IDX_SPATIAL : IDX_VECTOR;

		p->pos += 2;
		parse_create_index(p, st, kind);
	}
	else if (accept_word(p, "index"))
		parse_create_index(p, st, IDX_PLAIN);
	else
		skip_object_statement(p, st, "CREATE");
}

static void
parse_alter(DdlParser *p, DdlStatement *st)
{
	int			save = p->pos;

	(void) accept_word(p, "online");
	(void) accept_word(p, "ignore");
	if (accept_word(p, "table"))
		parse_alter_table(p, st);
	else
	{
		p->pos = save;
		skip_object_statement(p, st, "ALTER");
	}
}

static void
parse_drop(DdlParser *p, DdlStatement *st)
{
	if (accept_word(p, "temporary"))
	{
		if (!accept_word(p, "table"))
			chameleon_ddl_expect_word(p, "tables");
		skip_statement(p, st, "temporary tables are not replicated", false);
		return;
	}
	if (accept_word(p, "table") || accept_word(p, "tables"))
	{
		parse_drop_table(p, st);
		return;
	}
	if (!accept_word(p, "online"))
		(void) accept_word(p, "offline");
	if (accept_word(p, "index"))
		parse_drop_index(p, st);
	else
		skip_object_statement(p, st, "DROP");
}

static void
parse_statement(DdlParser *p, DdlStatement *st)
{
	if (accept_word(p, "create"))
		parse_create(p, st);
	else if (accept_word(p, "alter"))
		parse_alter(p, st);
	else if (accept_word(p, "drop"))
		parse_drop(p, st);
	else if (is_word(p, "rename") &&
			 (token_is_word(p, peek(p, 1), "table") || token_is_word(p, peek(p, 1), "tables")))
	{
		p->pos += 2;
		parse_rename_table(p, st);
	}
	else if (accept_word(p, "truncate"))
		parse_truncate(p, st);
	else if (accept_word(p, "use"))
	{
		st->kind = ST_USE;
		st->db = chameleon_ddl_parse_ident(p, "a database name");
	}
	else
		skip_other_statement(p, st);
}

void
chameleon_ddl_parser_init(DdlParser *p, const char *sql, bool ansi_quotes,
						  bool no_backslash_escapes)
{
	memset(p, 0, sizeof(*p));
	chameleon_ddl_lex(&p->lx, sql, ansi_quotes, no_backslash_escapes);
}

/* The text of [from, to), trimmed; string literals hidden if redact. */
static char *
statement_source(DdlParser *p, int from, int to, bool redact)
{
	StringInfoData buf;
	int			at = from;

	while (from < to && (p->lx.src[from] == ' ' || p->lx.src[from] == '\n' ||
						 p->lx.src[from] == '\t' || p->lx.src[from] == '\r'))
		from++;
	while (to > from && (p->lx.src[to - 1] == ' ' || p->lx.src[to - 1] == '\n' ||
						 p->lx.src[to - 1] == '\t' || p->lx.src[to - 1] == '\r'))
		to--;
	if (!redact)
		return pnstrdup(p->lx.src + from, to - from);
	initStringInfo(&buf);
	at = from;
	for (int i = 0; i < p->lx.ntoks; i++)
	{
		const DdlToken *t = &p->lx.toks[i];

		if (t->kind != TK_STRING || t->start < from || t->end > to)
			continue;
		appendBinaryStringInfo(&buf, p->lx.src + at, t->start - at);
		appendStringInfoString(&buf, "'********'");
		at = t->end;
	}
	appendBinaryStringInfo(&buf, p->lx.src + at, to - at);
	return buf.data;
}

DdlStatement *
chameleon_ddl_parse_next(DdlParser *p)
{
	DdlStatement *st;
	int			end;

	while (is_punct(p, ';'))
	{
		p->source_start = cur(p)->end;
		advance(p);
	}
	if (cur(p)->kind == TK_END)
		return NULL;
	st = palloc0(sizeof(DdlStatement));
	st->start = cur(p)->start;
	p->stmt = st;
	parse_statement(p, st);
	if (!at_end(p))
		chameleon_ddl_syntax_error(p, "the end of the statement");
	end = cur(p)->start;		/* the ';' or the end of the text */
	st->source = statement_source(p, p->source_start, end, st->redact);
	if (is_punct(p, ';'))
	{
		p->source_start = cur(p)->end;
		advance(p);
	}
	else
		p->source_start = end;
	return st;
}
