/*
 * fuzz_ddl.c -- libFuzzer harness for the MySQL DDL tokenizer, parser and
 * translator (src/ddl_*.c with typemap.c), linked with pg_stub.c instead
 * of the server.
 *
 * Each input is translated twice: with the default lexer settings, a
 * catalog that knows every table (so the column-order, index and rename
 * paths run) and a replica filter and schema mapping; then with
 * ANSI_QUOTES and NO_BACKSLASH_ESCAPES and no catalog.  An ERROR (a syntax
 * error, an unsupported clause) is a normal outcome; a crash, a sanitizer
 * report or a timeout is a bug.  Every output string is read through, so
 * an unterminated or freed string shows up under AddressSanitizer.
 *
 * Run with: make fuzz-ddl FUZZ_SECONDS=60
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

#include "ddl.h"

extern sigjmp_buf *stub_error_jmp;
extern void stub_arena_reset(void);

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A column of the catalog table. */
static ChameleonDdlColumn *
column(const char *name, const char *type, bool auto_increment)
{
	ChameleonDdlColumn *c = palloc0(sizeof(ChameleonDdlColumn));

	c->name = pstrdup(name);
	c->type = chameleon_parse_mysql_type(type);
	c->auto_increment = auto_increment;
	return c;
}

static ChameleonDdlIndex *
index_of(const char *mysql_name, const char *table, bool primary, bool unique,
		 const char *col1, const char *col2)
{
	ChameleonDdlIndex *idx = palloc0(sizeof(ChameleonDdlIndex));

	idx->mysql_name = pstrdup(mysql_name);
	idx->pg_name = chameleon_ddl_object_name(table, primary ? "pkey" : mysql_name);
	idx->primary = primary;
	idx->unique = unique;
	idx->columns = lappend(NIL, pstrdup(col1));
	idx->prefix_lengths = lappend_int(NIL, 0);
	idx->descending = lappend_int(NIL, 0);
	if (col2 != NULL)
	{
		idx->columns = lappend(idx->columns, pstrdup(col2));
		idx->prefix_lengths = lappend_int(idx->prefix_lengths, 10);
		idx->descending = lappend_int(idx->descending, 1);
	}
	return idx;
}

/* Every table is known, with the same shape. */
static ChameleonDdlTable *
load_table(void *arg, const char *db, const char *table)
{
	ChameleonDdlTable *t = palloc0(sizeof(ChameleonDdlTable));

	t->db = pstrdup(db);
	t->name = pstrdup(table);
	t->columns = lappend(t->columns, column("id", "int unsigned", true));
	t->columns = lappend(t->columns, column("a", "varchar(10)", false));
	t->columns = lappend(t->columns, column("b", "enum('x','y')", false));
	t->columns = lappend(t->columns, column("c", "text", false));
	t->columns = lappend(t->columns, column("s", "set('p','q')", false));
	t->indexes = lappend(t->indexes, index_of("PRIMARY", table, true, true, "id", NULL));
	t->indexes = lappend(t->indexes, index_of("idx_a", table, false, false, "a", NULL));
	t->indexes = lappend(t->indexes, index_of("uk_bc", table, false, true, "b", "c"));
	return t;
}

/* Tables whose name starts with "skip" are outside the replica. */
static bool
is_replicated(void *arg, const char *db, const char *table)
{
	return strncmp(table, "skip", 4) != 0;
}

static char *
map_schema(void *arg, const char *db)
{
	return psprintf("pg_%s", db);
}

/* Read every string of the results (ASan checks them). */
static size_t
touch_results(List *results)
{
	size_t		total = 0;
	ListCell   *lc;

	foreach(lc, results)
	{
		ChameleonDdlResult *res = lfirst(lc);
		ListCell   *sc;

		total += strlen(chameleon_ddl_kind_name(res->kind)) + strlen(res->source);
		foreach(sc, res->statements)
			total += strlen(lfirst(sc));
		foreach(sc, res->notes)
			total += strlen(lfirst(sc));
		foreach(sc, res->tables)
		{
			ChameleonDdlTableChange *ch = lfirst(sc);
			ListCell   *cc;

			total += ch->new_name ? strlen(ch->new_name) : 0;
			total += ch->old_name ? strlen(ch->old_name) : 0;
			foreach(cc, ch->columns)
				total += strlen(lfirst(cc));
		}
		if (res->skip_reason)
			total += strlen(res->skip_reason);
	}
	return total;
}

static void
run(const char *sql, bool with_catalog)
{
	sigjmp_buf	jmp;
	ChameleonDdlContext ctx = {0};

	ctx.default_db = "shop";
	if (with_catalog)
	{
		ctx.load_table = load_table;
		ctx.is_replicated = is_replicated;
		ctx.map_schema = map_schema;
	}
	else
	{
		ctx.ansi_quotes = true;
		ctx.no_backslash_escapes = true;
	}
	stub_error_jmp = &jmp;
	if (sigsetjmp(jmp, 0) == 0)
		(void) touch_results(chameleon_ddl_translate(&ctx, sql));
	stub_error_jmp = NULL;
	stub_arena_reset();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *sql = malloc(size + 1);

	if (sql == NULL)
		return 0;
	memcpy(sql, data, size);
	sql[size] = '\0';
	run(sql, true);
	run(sql, false);
	free(sql);
	return 0;
}
