/*
 * ddl_int.h -- what the DDL lexer, parser and translator share: tokens and
 * the statement tree.  Not for other modules (they use ddl.h).
 */
#ifndef CHAMELEON_DDL_INT_H
#define CHAMELEON_DDL_INT_H

#include "ddl.h"

/* ---------- tokens (ddl_lex.c) ---------- */

typedef enum DdlTokKind
{
	TK_END,						/* end of input */
	TK_WORD,					/* unquoted identifier or keyword */
	TK_QIDENT,					/* `quoted` identifier ("..." with ANSI_QUOTES) */
	TK_STRING,					/* '...' or "..." (N'...' too) */
	TK_NUMBER,					/* 12, 1.5, .5, 1e-3 */
	TK_HEX,						/* X'0A' or 0x0A */
	TK_BIT,						/* B'101' or 0b101 */
	TK_PUNCT					/* any other single character */
} DdlTokKind;

typedef struct DdlToken
{
	DdlTokKind	kind;
	int			start;			/* byte offsets into the source: [start, end) */
	int			end;
	char		quote;			/* TK_QIDENT/TK_STRING: the quote character */
	bool		national;		/* N'...' */
} DdlToken;

typedef struct DdlLexer
{
	const char *src;			/* the statement text, as given */
	char	   *clean;			/* src with comments blanked (same length) */
	int			len;
	bool		ansi_quotes;
	bool		no_backslash_escapes;
	DdlToken   *toks;			/* every token; the last one is TK_END */
	int			ntoks;
} DdlLexer;

/* A decoded string value (may contain NUL bytes, from \0 or hex). */
typedef struct DdlBytes
{
	char	   *data;			/* NUL-terminated for convenience */
	int			len;
} DdlBytes;

extern void chameleon_ddl_lex(DdlLexer *lx, const char *sql,
							  bool ansi_quotes, bool no_backslash_escapes);
extern char *chameleon_ddl_token_text(const DdlLexer *lx, const DdlToken *t);
extern char *chameleon_ddl_ident_value(const DdlLexer *lx, const DdlToken *t);
extern DdlBytes chameleon_ddl_string_value(const DdlLexer *lx, const DdlToken *t);
extern DdlBytes chameleon_ddl_hex_value(const DdlLexer *lx, const DdlToken *t);
extern char *chameleon_ddl_bit_digits(const DdlLexer *lx, const DdlToken *t);
extern int	chameleon_ddl_char_position(const DdlLexer *lx, int offset);
extern char *chameleon_ddl_shorten(const char *text, int max_bytes);
extern char *chameleon_ddl_vformat(const char *fmt, va_list args) pg_attribute_printf(1, 0);

/* ---------- the statement tree (ddl_parse.c) ---------- */

typedef struct DdlName
{
	char	   *db;				/* NULL: the default database */
	char	   *name;
} DdlName;

/* A DEFAULT (or ON UPDATE) value, before translation. */
typedef enum DdlValueKind
{
	DV_NULL,
	DV_NUMBER,					/* text: [-]digits[.digits][e[+-]digits] */
	DV_STRING,					/* bytes */
	DV_HEX,						/* bytes */
	DV_BIT,						/* text: 0/1 digits */
	DV_BOOL,					/* number: 1 or 0 */
	DV_NOW,						/* CURRENT_TIMESTAMP, NOW(), LOCALTIMESTAMP...; fsp */
	DV_CURDATE,					/* CURRENT_DATE, CURDATE() */
	DV_CURTIME,					/* CURRENT_TIME, CURTIME() */
	DV_UUID,					/* UUID() */
	DV_RANDOM,					/* RAND() */
	DV_EXPR						/* anything else: text is the MySQL expression */
} DdlValueKind;

typedef struct DdlValue
{
	DdlValueKind kind;
	char	   *text;			/* DV_NUMBER, DV_BIT, DV_EXPR */
	DdlBytes	bytes;			/* DV_STRING, DV_HEX */
	bool		binary;			/* _binary introducer or hex literal */
	int			fsp;			/* DV_NOW: fractional digits, -1 if not given */
	bool		boolean;		/* DV_BOOL */
} DdlValue;

typedef enum DdlPosition
{
	POS_NONE,
	POS_FIRST,
	POS_AFTER
} DdlPosition;

typedef struct DdlColumnDef
{
	char	   *name;
	ChameleonMySQLType *type;
	char	   *type_text;		/* the type as written, for notes */
	bool		not_null;
	DdlValue   *default_value;	/* NULL if no DEFAULT clause */
	bool		auto_increment;
	bool		primary_key;	/* [PRIMARY] KEY in the column definition */
	bool		unique_key;		/* UNIQUE [KEY] in the column definition */
	char	   *comment;		/* NULL if none */
	bool		generated;		/* [GENERATED ALWAYS] AS (expr) */
	char	   *generated_expr;
	bool		on_update;		/* ON UPDATE CURRENT_TIMESTAMP */
	bool		has_check;		/* a CHECK in the column definition */
	bool		has_references; /* REFERENCES in the column definition */
	DdlPosition position;		/* ALTER ... FIRST / AFTER */
	char	   *after;			/* POS_AFTER: the column it follows */
} DdlColumnDef;

typedef enum DdlIndexKind
{
	IDX_PRIMARY,
	IDX_UNIQUE,
	IDX_PLAIN,
	IDX_FULLTEXT,
	IDX_SPATIAL,
	IDX_VECTOR					/* MariaDB 11.7 VECTOR INDEX */
} DdlIndexKind;

typedef struct DdlIndexPart
{
	char	   *column;			/* NULL for an expression part */
	int			prefix;			/* col(n): n; 0 if none */
	bool		descending;
	char	   *expression;		/* MySQL 8 functional key part: the text */
} DdlIndexPart;

typedef struct DdlIndexDef
{
	DdlIndexKind kind;
	char	   *name;			/* NULL if not named */
	char	   *constraint_name;	/* CONSTRAINT symbol, NULL if none */
	List	   *parts;			/* DdlIndexPart * */
	char	   *comment;
	bool		if_not_exists;
} DdlIndexDef;

typedef struct DdlForeignKeyDef
{
	char	   *name;			/* CONSTRAINT symbol, NULL if none */
	List	   *columns;		/* char * */
	DdlName		ref;
	List	   *ref_columns;	/* char * */
	char	   *on_delete;
	char	   *on_update;
} DdlForeignKeyDef;

typedef enum DdlAlterKind
{
	AT_ADD_COLUMN,				/* column */
	AT_DROP_COLUMN,				/* name */
	AT_MODIFY_COLUMN,			/* column */
	AT_CHANGE_COLUMN,			/* name -> column */
	AT_RENAME_COLUMN,			/* name -> new_name */
	AT_SET_DEFAULT,				/* name, value */
	AT_DROP_DEFAULT,			/* name */
	AT_ADD_INDEX,				/* index (also PRIMARY KEY, UNIQUE) */
	AT_DROP_INDEX,				/* name */
	AT_DROP_PRIMARY,
	AT_RENAME_INDEX,			/* name -> new_name */
	AT_ADD_FOREIGN_KEY,			/* fk */
	AT_DROP_FOREIGN_KEY,		/* name */
	AT_DROP_CONSTRAINT,			/* name: a unique key, foreign key or check */
	AT_RENAME_TABLE,			/* new_table */
	AT_TABLE_COMMENT,			/* comment */
	AT_NOTE,					/* nothing to do in PostgreSQL: note */
	AT_UNSUPPORTED				/* cannot be replicated: note is the clause */
} DdlAlterKind;

typedef struct DdlAlterCmd
{
	DdlAlterKind kind;
	char	   *name;
	char	   *new_name;
	bool		if_exists;		/* MariaDB IF [NOT] EXISTS */
	DdlColumnDef *column;
	DdlValue   *value;
	DdlIndexDef *index;
	DdlForeignKeyDef *fk;
	DdlName		new_table;
	char	   *comment;
	char	   *note;
} DdlAlterCmd;

typedef enum DdlStmtKind
{
	ST_CREATE_TABLE,
	ST_CREATE_TABLE_LIKE,
	ST_ALTER_TABLE,
	ST_DROP_TABLE,
	ST_RENAME_TABLE,
	ST_TRUNCATE,
	ST_CREATE_INDEX,
	ST_DROP_INDEX,
	ST_USE,
	ST_SKIPPED
} DdlStmtKind;

typedef struct DdlRenamePair
{
	DdlName		from;
	DdlName		to;
} DdlRenamePair;

typedef struct DdlStatement
{
	DdlStmtKind kind;
	int			start;			/* source range of the statement */
	int			end;
	DdlName		table;
	bool		if_exists;
	bool		if_not_exists;
	bool		or_replace;
	bool		temporary;
	/* CREATE TABLE */
	List	   *columns;		/* DdlColumnDef * */
	List	   *indexes;		/* DdlIndexDef * */
	List	   *foreign_keys;	/* DdlForeignKeyDef * */
	char	   *table_comment;
	DdlName		like;			/* CREATE TABLE ... LIKE */
	/* ALTER TABLE */
	List	   *commands;		/* DdlAlterCmd * */
	/* DROP TABLE: DdlName *; RENAME TABLE: DdlRenamePair * */
	List	   *tables;
	List	   *renames;
	/* CREATE INDEX / DROP INDEX */
	DdlIndexDef *index;
	char	   *index_name;
	/* USE */
	char	   *db;
	/* ST_SKIPPED */
	char	   *skip_reason;
	bool		redact;			/* may hold a password: strings are hidden in source */
	List	   *notes;			/* char *: from the parser */
	char	   *source;			/* the statement text (comments kept; ';' excluded) */
} DdlStatement;

typedef struct DdlParser
{
	DdlLexer	lx;
	int			pos;			/* index of the current token */
	int			source_start;	/* where the next statement's text begins */
	DdlStatement *stmt;			/* the statement being parsed (for notes) */
} DdlParser;

extern void chameleon_ddl_parser_init(DdlParser *p, const char *sql,
									  bool ansi_quotes, bool no_backslash_escapes);
/* The next statement, or NULL at the end of the input. */
extern DdlStatement *chameleon_ddl_parse_next(DdlParser *p);

extern void chameleon_ddl_note(List **notes, const char *fmt,...) pg_attribute_printf(2, 3);

/* ---------- values (ddl_value.c) ---------- */

/* DEFAULT v for a column of type mt/pt (both NULL if unknown); NULL: none (noted). */
extern char *chameleon_ddl_default_sql(const DdlValue *v, const ChameleonMySQLType *mt,
							 const ChameleonPgType *pt, const char *column, List **notes);
/* MySQL's implicit default of a NOT NULL column; NULL if PostgreSQL cannot hold it. */
extern char *chameleon_ddl_implicit_default_sql(const ChameleonMySQLType *mt, const ChameleonPgType *pt);
/* The USING expression of a type change of quoted column qcol (old_mt/old_pt NULL: unknown). */
extern char *chameleon_ddl_using_sql(const char *qcol,
									 const ChameleonMySQLType *old_mt, const ChameleonPgType *old_pt,
									 const ChameleonMySQLType *new_mt, const ChameleonPgType *new_pt);

/* ---------- the catalog (ddl_catalog.c) ---------- */

/*
 * Catalog entries are found by database and name, exactly (table names are
 * case-sensitive with lower_case_table_names=0, and already lower case
 * with 1), loaded through ctx->load_table on a miss when load is true, and
 * added/removed as copies made in chameleon_ddl_catalog_cxt(ctx).  Columns
 * and indexes are found by MySQL's case-insensitive rule.  A MySQL name
 * longer than a PostgreSQL identifier is an ERROR (check_name_length).
 */
extern void chameleon_ddl_check_name_length(const char *name, const char *what);
extern MemoryContext chameleon_ddl_catalog_cxt(ChameleonDdlContext *ctx);
extern ChameleonMySQLType *chameleon_ddl_copy_type(const ChameleonMySQLType *mt);
extern ChameleonDdlColumn *chameleon_ddl_new_column(const char *name, const ChameleonMySQLType *mt,
													bool auto_increment, bool on_update_now);
extern ChameleonDdlIndex *chameleon_ddl_copy_index(const ChameleonDdlIndex *idx);
extern ChameleonDdlTable *chameleon_ddl_copy_table(const ChameleonDdlTable *t, const char *db, const char *name);
extern ChameleonDdlTable *chameleon_ddl_catalog_find(ChameleonDdlContext *ctx, const char *db, const char *name, bool load);
extern void chameleon_ddl_catalog_add(ChameleonDdlContext *ctx, const ChameleonDdlTable *t);
extern void chameleon_ddl_catalog_remove(ChameleonDdlContext *ctx, ChameleonDdlTable *t);
extern ChameleonDdlColumn *chameleon_ddl_find_column(const ChameleonDdlTable *t, const char *name, int *position);
extern ChameleonDdlIndex *chameleon_ddl_find_index(const ChameleonDdlTable *t, const char *mysql_name);

#endif							/* CHAMELEON_DDL_INT_H */
