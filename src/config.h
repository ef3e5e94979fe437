/*
 * config.h -- the parsed pg_chameleon YAML configuration.
 *
 * config.c owns loading and validating the file; everything else only reads
 * a ChameleonConfig.  Strings are palloc'd in the memory context that was
 * current when chameleon_config_load() was called.
 */
#ifndef CHAMELEON_CONFIG_H
#define CHAMELEON_CONFIG_H

#include "nodes/pg_list.h"

#include "typemap.h"

typedef enum ChameleonCopyMode
{
	CHAMELEON_COPY_DIRECT,
	CHAMELEON_COPY_FILE
} ChameleonCopyMode;

typedef enum ChameleonOnError
{
	CHAMELEON_ON_ERROR_SKIP_TABLE,	/* mark the table 'error', go on */
	CHAMELEON_ON_ERROR_STOP			/* stop the replica */
} ChameleonOnError;

/* How each slice of the copy gets its binlog position. */
typedef enum ChameleonCopySnapshot
{
	CHAMELEON_COPY_SNAPSHOT_AUTO,	/* MariaDB: the snapshot's exact position; MySQL: watermarks */
	CHAMELEON_COPY_SNAPSHOT_WATERMARK	/* positions before and after each read (MySQL's way) */
} ChameleonCopySnapshot;

/* The most copy workers one source may ask for. */
#define CHAMELEON_MAX_COPY_WORKERS 32

/* The kinds of row events skip_events names. */
typedef enum ChameleonEventKind
{
	CHAMELEON_EVENT_INSERT,
	CHAMELEON_EVENT_UPDATE,
	CHAMELEON_EVENT_DELETE
} ChameleonEventKind;

/* One MySQL database of a replica and the PostgreSQL schema it goes to. */
typedef struct ChameleonDatabaseMap
{
	char	   *database;
	char	   *schema;
} ChameleonDatabaseMap;

typedef struct ChameleonConfig
{
	char	   *path;			/* absolute path of the file read */

	/* mysql_conn */
	char	   *host;			/* default "localhost" */
	int			port;			/* default 3306 */
	char	   *socket;			/* unix socket path, or NULL */
	char	   *user;			/* required */
	char	   *passwd;			/* default "" ; never log it */
	int			connect_timeout;	/* seconds, default 10 */
	int			read_timeout;	/* seconds, default 60 */
	char	   *charset;		/* connection charset, default "utf8mb4" */
	char	   *ssl_mode;		/* disabled|preferred|required|verify_ca|
								 * verify_identity, default "preferred" */
	char	   *ssl_ca;
	char	   *ssl_cert;
	char	   *ssl_key;

	/* replica */
	char	   *my_database;	/* required, non-empty; NULL when
								 * schema_mappings maps several databases */
	char	   *pg_schema;		/* default: my_database (NULL as above) */
	List	   *schema_mappings;	/* 2.x form of the two above: (database,
									 * schema) pairs */
	List	   *databases;		/* ChameleonDatabaseMap *: every database
								 * replicated (one from my_database) */
	bool		qualified_names;	/* several databases: the replica names
									 * its tables "db.table" (table_keys.c) */
	char	   *source_name;	/* the replica's name (t_sources.source_name):
								 * source_name, else my_database, else the
								 * mapped databases joined by "," */
	uint32		my_server_id;	/* required, 1 .. 2^32-1 */
	int			replica_batch_size; /* default 1000 */
	int			copy_max_size;	/* default 100000 rows per slice */
	ChameleonCopyMode copy_mode;	/* default direct */
	int			copy_workers;	/* parallel copy workers, default 2 */
	ChameleonCopySnapshot copy_snapshot;	/* default auto */
	char	   *out_dir;		/* temp dir for copy_mode file, default /tmp */
	List	   *hexify;			/* list of char*, lower case MySQL types;
								 * default NIL */
	char	   *my_charset;		/* default "utf8mb4" */
	char	   *pg_charset;		/* default "utf8" */
	List	   *tables_limit;	/* list of char*, plain table names (a "db."
								 * prefix equal to my_database is removed);
								 * NIL = every table */
	List	   *skip_tables;	/* char *: plain table names not replicated */
	/*
	 * skip_events: per operation (ChameleonEventKind), the plain table names
	 * whose events of that kind are not applied; "*": every table.
	 */
	List	   *skip_events[3];
	ChameleonOnError on_error;	/* default skip_table */
	bool		zero_dates_to_null; /* default true */
	bool		protect_tables;	/* replicated tables reject local writes (default true) */
	bool		tinyint1_as_boolean;	/* default false */
	List	   *type_override;	/* ChameleonTypeOverride * (typemap.h) */
	int			heartbeat_period;	/* seconds, default 1 */

	/* logging (the server log is the destination inside PostgreSQL) */
	char	   *log_level;		/* debug|info|warning|error, default info */
	char	   *log_dir;		/* accepted for compatibility */
	char	   *log_dest;		/* accepted for compatibility */

	/* target */
	char	   *pg_database;	/* default: the current database (NULL when
								 * loaded outside a transaction) */
	bool		pg_conn_given;	/* pg_conn present: accepted and ignored */

	/* one entry per known key, for chameleon.check_config() */
	List	   *settings;		/* list of ChameleonSetting * */
} ChameleonConfig;

/* One row of chameleon.check_config(). */
typedef struct ChameleonSetting
{
	char	   *key;			/* e.g. "mysql_conn.host" */
	char	   *value;			/* text form, NULL when unset; the password
								 * is "********" when set, "" when empty */
	bool		from_file;		/* false: the default was used */
} ChameleonSetting;

/* GUC pg_chameleon.config */
extern char *chameleon_config_path;

/*
 * Load and validate a config file.  path NULL (or empty) means the file
 * named by pg_chameleon.config.  Any problem is an ERROR naming the file,
 * the key and, when known, the line.
 */
extern ChameleonConfig *chameleon_config_load(const char *path);

/*
 * config_access.c: ERROR unless the current role may make the server read
 * this (canonical, absolute) configuration file; from_guc: the path is the
 * value of pg_chameleon.config.
 */
extern void chameleon_config_check_access(const char *path, bool from_guc);

/*
 * ERROR unless cfg is for the current database (pg_database unset, or
 * naming it); action says what the caller was doing ("start this replica").
 */
extern void chameleon_config_require_this_database(const ChameleonConfig *cfg,
												   const char *action);

/*
 * table_keys.c: a replica's name for a table (its key: "table", or
 * "db.table" when it replicates several databases).  chameleon_table_key:
 * NULL when db is not replicated.  chameleon_table_key_split: false when
 * the key names no replicated database.  The schema functions: the
 * PostgreSQL schema of a replicated database (NULL: not one).
 */
extern char *chameleon_table_key(const ChameleonConfig *cfg, const char *db, const char *table);
extern bool chameleon_table_key_split(const ChameleonConfig *cfg, const char *key,
									  char **db, char **table);
extern const char *chameleon_config_schema_of(const ChameleonConfig *cfg, const char *db);
extern const char *chameleon_table_key_schema(const ChameleonConfig *cfg, const char *key);
/* 'MySQL database "a" into schema "b"' (or databases, schemas), for messages */
extern char *chameleon_config_describe_databases(const ChameleonConfig *cfg);
/* t_sources.mysql_databases: the names of cfg->databases */
extern List *chameleon_config_database_names(const ChameleonConfig *cfg);
/* ERROR unless cfg replicates the databases the source was made with */
struct ChameleonSource;
extern void chameleon_config_check_source(const ChameleonConfig *cfg,
										  const struct ChameleonSource *src);
/* 'MySQL databases "a", "b"' of a source */
extern char *chameleon_config_describe_source(const struct ChameleonSource *src);
/* The key of db.table in a source (as chameleon_table_key, from t_sources) */
extern char *chameleon_source_table_key(const struct ChameleonSource *src, const char *db,
										const char *table);
/* t_sources.pg_schema: the schema of the first database */
extern const char *chameleon_config_first_schema(const ChameleonConfig *cfg);
/* The map (of a ChameleonDatabaseMap list) of the database a "db.table" key names; NULL: none. */
extern const ChameleonDatabaseMap *chameleon_key_database(const List *databases, const char *key);

/* config_rules.c: which tables and events a configuration replicates */
extern bool chameleon_config_replicates_table(const ChameleonConfig *cfg, const char *table);
extern bool chameleon_config_skips_events(const ChameleonConfig *cfg, ChameleonEventKind kind,
										  const char *table);
extern char *chameleon_config_skipped_events_text(const ChameleonConfig *cfg, const char *table);

#endif							/* CHAMELEON_CONFIG_H */
