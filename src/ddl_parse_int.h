/*
 * ddl_parse_int.h -- what the two halves of the DDL parser share:
 * ddl_parse_defs.c (names, values, keys, column definitions, table options)
 * and ddl_parse.c (the statements).  Not for other modules.
 */
#ifndef CHAMELEON_DDL_PARSE_INT_H
#define CHAMELEON_DDL_PARSE_INT_H

#include "ddl_int.h"

/* ---------- token access ---------- */

static inline DdlToken *
cur(DdlParser *p)
{
	return &p->lx.toks[p->pos];
}

static inline DdlToken *
peek(DdlParser *p, int ahead)
{
	int			i = p->pos + ahead;

	if (i >= p->lx.ntoks)
		i = p->lx.ntoks - 1;
	return &p->lx.toks[i];
}

static inline void
advance(DdlParser *p)
{
	if (cur(p)->kind != TK_END)
		p->pos++;
}

static inline bool
token_is_word(DdlParser *p, const DdlToken *t, const char *kw)
{
	int			len = t->end - t->start;

	return t->kind == TK_WORD && (int) strlen(kw) == len &&
		pg_strncasecmp(p->lx.src + t->start, kw, len) == 0;
}

static inline bool
is_word(DdlParser *p, const char *kw)
{
	return token_is_word(p, cur(p), kw);
}

static inline bool
accept_word(DdlParser *p, const char *kw)
{
	if (!is_word(p, kw))
		return false;
	advance(p);
	return true;
}

static inline bool
token_is_punct(const DdlToken *t, char c, const DdlLexer *lx)
{
	return t->kind == TK_PUNCT && lx->src[t->start] == c;
}

static inline bool
is_punct(DdlParser *p, char c)
{
	return token_is_punct(cur(p), c, &p->lx);
}

static inline bool
accept_punct(DdlParser *p, char c)
{
	if (!is_punct(p, c))
		return false;
	advance(p);
	return true;
}

/* The end of a statement: ';' or the end of the input. */
static inline bool
at_end(DdlParser *p)
{
	return cur(p)->kind == TK_END || is_punct(p, ';');
}

/* ---------- definitions (ddl_parse_defs.c) ---------- */

/* A key, foreign key or check: a table element or the object of ALTER ... ADD. */
typedef enum KeyElementKind
{
	KE_INDEX,
	KE_FOREIGN,
	KE_CHECK,
	KE_PERIOD
} KeyElementKind;

typedef struct KeyElement
{
	KeyElementKind kind;
	DdlIndexDef *index;
	DdlForeignKeyDef *fk;
	char	   *text;			/* KE_CHECK: the expression */
	char	   *name;			/* KE_CHECK: the constraint name */
} KeyElement;

/*
 * Each reads its construct at the current token and leaves the parser after
 * it, or raises a syntax error (chameleon_ddl_syntax_error) naming the token.
 */
extern void chameleon_ddl_accept_equals(DdlParser *p);
extern bool chameleon_ddl_accept_if_exists(DdlParser *p);
extern bool chameleon_ddl_accept_if_not_exists(DdlParser *p);
extern void chameleon_ddl_expect_punct(DdlParser *p, char c);
extern void chameleon_ddl_expect_word(DdlParser *p, const char *kw);
extern bool chameleon_ddl_is_ident_token(const DdlToken *t);
extern bool chameleon_ddl_is_key_word(DdlParser *p);
extern void chameleon_ddl_parser_note(DdlParser *p, const char *fmt,...) pg_attribute_printf(2, 3);
extern DdlColumnDef *chameleon_ddl_parse_column_def(DdlParser *p, char *name);
extern void chameleon_ddl_parse_column_position(DdlParser *p, DdlColumnDef *col);
extern DdlValue *chameleon_ddl_parse_default_value(DdlParser *p);
extern bool chameleon_ddl_parse_direction(DdlParser *p);
extern char *chameleon_ddl_parse_ident(DdlParser *p, const char *what);
extern void chameleon_ddl_parse_index_options(DdlParser *p, DdlIndexDef *idx);
extern bool chameleon_ddl_parse_index_type(DdlParser *p);
extern KeyElement chameleon_ddl_parse_key_element(DdlParser *p);
extern List *chameleon_ddl_parse_key_parts(DdlParser *p);
extern bool chameleon_ddl_parse_partitioning(DdlParser *p);
extern bool chameleon_ddl_parse_period(DdlParser *p);
extern void chameleon_ddl_parse_table_elements(DdlParser *p, DdlStatement *st);
extern DdlName chameleon_ddl_parse_table_name(DdlParser *p);
extern bool chameleon_ddl_parse_table_option(DdlParser *p, char **comment);
extern void chameleon_ddl_skip_option_value(DdlParser *p);
extern void chameleon_ddl_skip_statement_rest(DdlParser *p);
extern void chameleon_ddl_syntax_error(DdlParser *p, const char *expected) pg_attribute_noreturn();
extern char *chameleon_ddl_text_since(DdlParser *p, int from_token);

#endif							/* CHAMELEON_DDL_PARSE_INT_H */
