/*
 * ddl.h -- MySQL/MariaDB DDL from binlog QUERY events, translated to
 * PostgreSQL.
 *
 * The DDL code is split in three files:
 *   ddl_lex.c        MySQL's lexical rules: comments, version comments,
 *                    quoting, literals; tokens over a "clean" copy of the
 *                    text (comments blanked) that typemap.c can also read.
 *   ddl_parse.c      a recursive-descent parser for the statements that
 *                    change tables (CREATE/ALTER/DROP/RENAME/TRUNCATE
 *                    TABLE, CREATE/DROP INDEX) into the tree of ddl_int.h;
 *                    everything else is classified "skipped" with a reason.
 *   ddl_translate.c  the tree -> PostgreSQL statements and a structured
 *                    summary, keeping a catalog of the tables' MySQL shape.
 *
 * The caller owns a ChameleonDdlContext: the default database of the QUERY
 * event, the sql_mode bits that change lexing, the database -> schema
 * mapping, the replica filter and the catalog.  The catalog holds the MySQL
 * shape (column order, types, indexes) of the tables the translator knows;
 * translation updates it, so a stream of DDL keeps it current and
 * ChameleonDdlTableChange.columns always gives the column order that row
 * events use after the statement.  Tables not in the catalog are asked for
 * through load_table (NULL: unknown); for an unknown table the translation
 * is still complete, only written defensively (IF EXISTS forms) and without
 * the new column order.
 *
 * Names: a MySQL database `db` is the PostgreSQL schema map_schema(db) (the
 * same name by default); a table or column keeps its MySQL name; indexes
 * and constraints get the names of chameleon_ddl_object_name().
 */
#ifndef CHAMELEON_DDL_H
#define CHAMELEON_DDL_H

#include "nodes/pg_list.h"
#include "utils/palloc.h"

#include "typemap.h"

typedef enum ChameleonDdlKind
{
	CHAMELEON_DDL_CREATE,		/* CREATE TABLE (also ... LIKE) */
	CHAMELEON_DDL_ALTER,		/* ALTER TABLE */
	CHAMELEON_DDL_DROP,			/* DROP TABLE */
	CHAMELEON_DDL_RENAME,		/* RENAME TABLE */
	CHAMELEON_DDL_TRUNCATE,		/* TRUNCATE [TABLE] */
	CHAMELEON_DDL_CREATE_INDEX, /* CREATE INDEX */
	CHAMELEON_DDL_DROP_INDEX,	/* DROP INDEX ... ON */
	CHAMELEON_DDL_SKIPPED		/* anything else, or a table outside the replica */
} ChameleonDdlKind;

/* ---------- the catalog: MySQL shape of the known tables ---------- */

typedef struct ChameleonDdlColumn
{
	char	   *name;			/* MySQL column name, as defined */
	ChameleonMySQLType *type;	/* NULL if unknown */
	bool		auto_increment;
	bool		on_update_now;	/* ON UPDATE CURRENT_TIMESTAMP: a trigger at detach */
} ChameleonDdlColumn;

typedef struct ChameleonDdlIndex
{
	char	   *mysql_name;		/* "PRIMARY" for the primary key */
	char	   *pg_name;		/* PostgreSQL index name (NULL: none was made,
								 * e.g. FULLTEXT) */
	bool		primary;
	bool		unique;
	List	   *columns;		/* char *: MySQL column names, in key order */
	List	   *prefix_lengths; /* int per column: col(n) prefix, 0 if none */
	List	   *descending;		/* int per column: 1 for DESC */
} ChameleonDdlIndex;

typedef struct ChameleonDdlTable
{
	char	   *db;				/* MySQL database */
	char	   *name;			/* MySQL table name */
	List	   *columns;		/* ChameleonDdlColumn *, in MySQL order */
	List	   *indexes;		/* ChameleonDdlIndex * */
} ChameleonDdlTable;

typedef struct ChameleonDdlContext
{
	/* the default database of the QUERY event (USE changes it); may be NULL */
	char	   *default_db;
	/* sql_mode bits of the QUERY event that change the lexer */
	bool		ansi_quotes;	/* "x" is an identifier, not a string */
	bool		no_backslash_escapes;
	ChameleonTypeOptions type_options;
	/* zero_dates_to_null: date/datetime/timestamp columns are never NOT NULL */
	bool		zero_dates_to_null;

	/* MySQL database -> PostgreSQL schema; NULL: the same name */
	char	   *(*map_schema) (void *arg, const char *db);
	/* is db.table replicated?  NULL: every table */
	bool		(*is_replicated) (void *arg, const char *db, const char *table);
	/*
	 * The shape of a table not in the catalog yet; NULL or returning NULL:
	 * unknown.  Called with CurrentMemoryContext = the catalog context; the
	 * table returned becomes the catalog entry (the translator owns it).
	 */
	ChameleonDdlTable *(*load_table) (void *arg, const char *db, const char *table);
	/*
	 * The name type_override entries know db.table by (a replica of several
	 * databases: "db.table"); NULL or returning NULL: the table's name.
	 */
	char	   *(*table_key) (void *arg, const char *db, const char *table);
	void	   *callback_arg;

	/* the catalog (ChameleonDdlTable *), kept up to date by translation */
	List	   *tables;
	/*
	 * Where catalog entries are allocated; NULL: CurrentMemoryContext.  An
	 * entry replaced or removed is not freed: a long-lived caller resets
	 * this context (and tables) now and then and reloads.
	 */
	MemoryContext catalog_cxt;
} ChameleonDdlContext;

/* ---------- the result ---------- */

/* A table the statement changed. */
typedef struct ChameleonDdlTableChange
{
	char	   *old_db;			/* NULL for a created table */
	char	   *old_name;
	char	   *new_db;			/* NULL for a dropped table */
	char	   *new_name;
	bool		columns_known;
	List	   *columns;		/* char *: the MySQL column order after the statement */
} ChameleonDdlTableChange;

/* A foreign key seen in the DDL: recorded, not created (made at detach). */
typedef struct ChameleonDdlForeignKey
{
	char	   *db;				/* the table that has the key */
	char	   *table;
	char	   *name;			/* NULL if MySQL generates the name */
	List	   *columns;		/* char * */
	char	   *ref_db;
	char	   *ref_table;
	List	   *ref_columns;	/* char * */
	char	   *on_delete;		/* "CASCADE", "SET NULL", ...; NULL if not given */
	char	   *on_update;
} ChameleonDdlForeignKey;

/* A column renamed (CHANGE old new, RENAME COLUMN): foreign keys follow it. */
typedef struct ChameleonDdlColumnRename
{
	char	   *db;
	char	   *table;			/* the table's name before the statement */
	char	   *old_name;
	char	   *new_name;
} ChameleonDdlColumnRename;

typedef struct ChameleonDdlResult
{
	ChameleonDdlKind kind;
	char	   *source;			/* the MySQL statement, as written */
	List	   *statements;		/* char *: PostgreSQL statements, in order */
	List	   *tables;			/* ChameleonDdlTableChange * */
	List	   *notes;			/* char *: what was ignored, dropped or changed */
	List	   *foreign_keys;	/* ChameleonDdlForeignKey *: added keys */
	List	   *dropped_foreign_keys;	/* ChameleonDdlForeignKey *: name and table only */
	List	   *renamed_columns;	/* ChameleonDdlColumnRename * */
	char	   *skip_reason;	/* for CHAMELEON_DDL_SKIPPED */
} ChameleonDdlResult;

/*
 * Translate the MySQL statements in sql (one or more, separated by ';').
 * Returns one ChameleonDdlResult per statement (a text with no statement
 * gives one skipped result).  A statement on a table that cannot be parsed
 * is an ERROR (ERRCODE_SYNTAX_ERROR, naming the position and token); one
 * that is understood but cannot be replicated (e.g. DROP PARTITION) is an
 * ERROR with ERRCODE_FEATURE_NOT_SUPPORTED.  ctx->tables is updated
 * statement by statement, so a later statement sees the tables of an
 * earlier one; ctx->default_db follows USE statements.
 */
extern List *chameleon_ddl_translate(ChameleonDdlContext *ctx, const char *sql);

extern const char *chameleon_ddl_kind_name(ChameleonDdlKind kind);

/*
 * The PostgreSQL name of an object of a table: "<table>_<suffix>", e.g.
 * "orders_pkey", "orders_idx_customer", "orders_status_check".  MySQL index
 * names are per table, PostgreSQL's per schema, hence the table prefix.  A
 * name longer than 63 bytes keeps its first bytes (whole characters) and
 * ends in "_" and 8 hex digits of a hash of the full name, so it stays
 * unique and fits.
 */
extern char *chameleon_ddl_object_name(const char *table, const char *suffix);

#endif							/* CHAMELEON_DDL_H */
