/*
 * schema.h -- MySQL table definitions read from information_schema, and the
 * PostgreSQL tables, keys, indexes and sequences made from them.
 *
 * schema.c owns reading the metadata of the source database and writing the
 * PostgreSQL DDL (through SPI).  copy.c fills the tables in between
 * chameleon_schema_create_tables() and chameleon_schema_finish_table(), so
 * that indexes are built after the data is in.
 */
#ifndef CHAMELEON_SCHEMA_H
#define CHAMELEON_SCHEMA_H

#include "config.h"
#include "mysql_client.h"
#include "typemap.h"

/* One column of a MySQL table, with its PostgreSQL counterpart. */
typedef struct ChameleonColumn
{
	char	   *name;
	char	   *column_type;	/* information_schema COLUMN_TYPE (or "json") */
	ChameleonMySQLType *mytype;
	ChameleonPgType *pgtype;
	bool		not_null;
	bool		auto_increment;
	bool		on_update_now;	/* EXTRA has ON UPDATE CURRENT_TIMESTAMP */
	bool		generated;		/* VIRTUAL or STORED generated: copied plain */
	char	   *default_sql;	/* PostgreSQL DEFAULT expression, or NULL */
	char	   *comment;		/* NULL when empty */
} ChameleonColumn;

/* One index (or the primary key) of a MySQL table. */
typedef struct ChameleonIndex
{
	char	   *name;			/* MySQL name ("PRIMARY" for the key) */
	bool		primary;
	bool		is_unique;
	char	   *index_type;		/* BTREE, HASH, FULLTEXT, SPATIAL, ... */
	List	   *columns;		/* char *: column names in key order */
	List	   *descending;		/* int: 1 for DESC parts */
	bool		has_prefix;		/* some part was a prefix (col(n)) */
	bool		has_expression; /* MySQL 8 functional part: not translatable */
	bool		identity;		/* the key a table without a primary key is
								 * sliced by and its rows identified by (a
								 * unique index of NOT NULL columns; copy.c):
								 * built with the data, never deferred */
} ChameleonIndex;

/* One foreign key, stored in sch_chameleon.t_foreign_keys, never created here. */
typedef struct ChameleonForeignKey
{
	char	   *name;
	List	   *columns;		/* char * */
	char	   *ref_schema;		/* MySQL database of the referenced table */
	char	   *ref_table;
	List	   *ref_columns;	/* char * */
	char	   *on_update;		/* CASCADE, RESTRICT, ... */
	char	   *on_delete;
} ChameleonForeignKey;

/* One MySQL base table and what it becomes. */
typedef struct ChameleonTable
{
	char	   *name;			/* MySQL (and PostgreSQL) table name */
	char	   *database;		/* its MySQL database */
	char	   *pg_schema;		/* the PostgreSQL schema it goes to */
	char	   *key;			/* the replica's name for it (table_keys.c):
								 * name, or "database.name" */
	char	   *engine;			/* InnoDB, MyISAM, Aria, ... (NULL if unknown) */
	int64		rows_estimate;	/* information_schema TABLES.TABLE_ROWS */
	int64		auto_increment; /* TABLES.AUTO_INCREMENT, 0 if none */
	char	   *comment;		/* NULL when empty */
	int			ncolumns;
	ChameleonColumn *columns;
	List	   *indexes;		/* ChameleonIndex *, primary key first */
	List	   *foreign_keys;	/* ChameleonForeignKey * */
	Oid			relid;			/* set by chameleon_schema_create_tables() */
} ChameleonTable;

/* What the metadata reader needs to know. */
typedef struct ChameleonSchemaOptions
{
	const char *my_database;	/* the database read (databases NIL) */
	const char *pg_schema;		/* and its schema */
	List	   *databases;		/* ChameleonDatabaseMap *: several databases
								 * read, in place of the two above */
	bool		qualify;		/* table keys are "database.table" */
	const char *source_name;	/* the replica's name (the guard's argument) */
	List	   *tables_limit;	/* table keys (or "*", "db.*"), NIL = every table */
	List	   *skip_tables;	/* table keys left out (config's skip_tables) */
	bool		is_mariadb;
	bool		zero_dates_to_null;
	bool		quiet_indexes;	/* the NOTICEs of untranslated indexes were given */
	bool		protect_tables; /* new tables get the guard (guard.c) */
	ChameleonTypeOptions type_options;
} ChameleonSchemaOptions;

/*
 * Read every base table of opts->my_database, or of each of opts->databases
 * (or those of tables_limit: a listed table that does not exist is an
 * ERROR), sorted by key, with columns, indexes and foreign keys.  A name that does not fit in a
 * PostgreSQL identifier is an ERROR naming the table.
 */
extern List *chameleon_schema_read(MYSQL *conn, const ChameleonSchemaOptions *opts);

/*
 * The MySQL database, PostgreSQL schema and table name of a table key
 * (table_keys.c has the same for a configuration); false: the key names no
 * database of opts.
 */
extern bool chameleon_schema_key_split(const ChameleonSchemaOptions *opts, const char *key,
									   char **db, char **pg_schema, char **table);

/* CREATE SCHEMA (each schema of the databases) and every table (columns, defaults, NOT NULL, CHECK, comments), no index. */
extern void chameleon_schema_create_tables(const ChameleonSchemaOptions *opts, List *tables);

/* CREATE TABLE of one table in its existing schema t->pg_schema (sync_tables, add_tables). */
extern void chameleon_schema_create_table(const ChameleonSchemaOptions *opts,
										  ChameleonTable *t);

/* The NOTICEs of the indexes of t that are not carried over as they are. */
extern void chameleon_schema_index_notices(const ChameleonTable *t);

/*
 * The key that identifies a table's rows: its primary key, else the first
 * unique index of whole NOT NULL columns; NULL: none.
 */
extern const ChameleonIndex *chameleon_schema_row_key(const ChameleonTable *t);

/* Is the index on whole NOT NULL columns only (no prefix, no expression)? */
extern bool chameleon_schema_index_on_not_null_columns(const ChameleonTable *t,
													   const ChameleonIndex *ix);

/*
 * After a table's data is in: primary key, unique and secondary indexes,
 * identity/sequence restarted past the copied maximum.  deferred not NULL:
 * the unique indexes other than the primary key are not built but their
 * statements appended to *deferred (slices read at different positions may
 * hold a unique value twice until the stream has replayed their window).
 */
extern void chameleon_schema_finish_table(const ChameleonSchemaOptions *opts,
										  ChameleonTable *t, List **deferred);

/*
 * The PostgreSQL name of a MySQL index of a table ("<table>_<index>",
 * "<table>_pkey"), shortened with a hash suffix to fit in 63 bytes.
 */
extern char *chameleon_pg_index_name(const char *table, const char *index);

/* Run one SQL statement through SPI (DDL of schema.c and copy.c); ERROR on failure. */
extern void chameleon_run_sql(const char *sql);
extern void chameleon_run_sql_cb(void *sql);

#endif							/* CHAMELEON_SCHEMA_H */
