/*
 * preflight.c -- chameleon.check_source(): is this MySQL ready to replicate?
 *
 * Owns the source checks: server version and flavour, binary log settings,
 * server_id, the privileges of the configured account (from SHOW GRANTS),
 * the database and its tables, and the current binlog and GTID position.
 * Each check yields one PreflightCheck with what was found and, when
 * something is wrong, the exact fix (a GRANT statement or a my.cnf line).
 *
 * Only the connection is an ERROR: a failing query becomes an error row, so
 * the user always sees every check.  Values depend only on the server's
 * state: lists are sorted by name; row and byte counts are the estimates of
 * information_schema.TABLES (InnoDB's row estimate can change after a restart
 * or ANALYZE), and binlog and GTID positions move with every write.
 */
#include "postgres.h"

#include <ctype.h>

#include <mysqld_error.h>

#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "replication/slot.h"
#include "utils/builtins.h"

#include "binlog_stream.h"
#include "catalog.h"
#include "list_util.h"
#include "mysql_client.h"
#include "position.h"
#include "preflight.h"
#include "spi_util.h"

/* Oldest servers whose binlog pg_chameleon reads (major * 10000 + minor * 100). */
#define MIN_MYSQL_VERSION	50700
#define MIN_MARIADB_VERSION	100300

/* At most this many table names in a value or hint. */
#define MAX_LISTED_TABLES	10

typedef enum SourceFlavour
{
	FLAVOUR_MYSQL,
	FLAVOUR_MARIADB,
	FLAVOUR_UNKNOWN
} SourceFlavour;

/* One parsed "GRANT privileges ON db.table TO ..." line. */
typedef struct GrantEntry
{
	List	   *privileges;		/* upper-case names, e.g. "REPLICATION SLAVE" */
	List	   *column_privileges;	/* names granted on some columns only */
	char	   *db;				/* pattern as granted; NULL for * */
	char	   *table;			/* NULL for * */
} GrantEntry;

/* One base table of the replica's databases (after tables_limit). */
typedef struct SourceTable
{
	char	   *name;			/* the replica's name (table_keys.c) */
	char	   *db;				/* MySQL database and table */
	char	   *table;
	char	   *engine;			/* NULL if unknown */
	uint64		rows;			/* estimate */
	uint64		bytes;			/* data + index */
	bool		has_primary_key;	/* or a unique index of NOT NULL columns */
} SourceTable;

typedef struct Source
{
	const ChameleonConfig *cfg;
	MYSQL	   *conn;
	SourceFlavour flavour;
	int			version_num;	/* major * 10000 + minor * 100 */
	char	   *account;		/* 'user'@'host' for GRANT hints */
	bool		grants_loaded;
	List	   *grants;			/* GrantEntry * */
	char	   *grants_error;	/* why SHOW GRANTS failed, or NULL */
	int			db_state;		/* -1 unknown, 0 missing, 1 exists */
	char	   *missing_db;		/* the database found missing */
	bool		tables_loaded;
	List	   *tables;			/* SourceTable * */
	char	   *tables_error;	/* why the table query failed, or NULL */
} Source;

/* ---------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------
 */

static PreflightCheck *
make_check(const char *name, PreflightStatus status, const char *value,
		   const char *hint)
{
	PreflightCheck *c = palloc0(sizeof(PreflightCheck));

	c->check = pstrdup(name);
	c->status = status;
	c->value = value ? pstrdup(value) : NULL;
	c->hint = hint ? pstrdup(hint) : NULL;
	return c;
}

static char *
literal(Source *src, const char *str)
{
	return chameleon_mysql_quote_literal(src->conn, str);
}

static char *
ident(const char *name)
{
	return chameleon_mysql_quote_identifier(name);
}

/*
 * Run a query and copy its first row (ncols columns) into values; a missing
 * row or SQL NULL gives NULL.  On failure returns false and sets *error.
 */
static bool
query_row(Source *src, const char *sql, int ncols, char **values,
		  char **error)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;

	for (int i = 0; i < ncols; i++)
		values[i] = NULL;
	if (!chameleon_mysql_try_query(src->conn, sql, &res))
	{
		*error = chameleon_mysql_error_text(src->conn);
		return false;
	}
	if (res == NULL)
		return true;
	if ((int) mysql_num_fields(res) < ncols)
		elog(ERROR, "MySQL query returned %u columns, expected %d: %s",
			 mysql_num_fields(res), ncols, sql);
	row = mysql_fetch_row(res);
	if (row != NULL)
	{
		unsigned long *lengths = mysql_fetch_lengths(res);

		for (int i = 0; i < ncols; i++)
			values[i] = row[i] ? pnstrdup(row[i], lengths[i]) : NULL;
	}
	chameleon_mysql_free_result(res);
	return true;
}

/*
 * A global system variable.  Returns false if the query failed (*error set);
 * *value is NULL when the server has no such variable.
 */
static bool
global_variable(Source *src, const char *name, char **value, char **error)
{
	char	   *sql = psprintf("SHOW GLOBAL VARIABLES WHERE Variable_name = %s",
							   literal(src, name));
	char	   *row[2];

	if (!query_row(src, sql, 2, row, error))
		return false;
	*value = row[1];
	return true;
}

static PreflightCheck *
query_failed(const char *name, const char *error)
{
	return make_check(name, PREFLIGHT_ERROR,
					  psprintf("query failed: %s", error), NULL);
}

/* "SET GLOBAL x = 'V'; and in my.cnf [mysqld]: x = V" */
static char *
set_global_hint(const char *variable, const char *value)
{
	return psprintf("SET GLOBAL %s = '%s'; and in my.cnf [mysqld]: %s = %s",
					variable, value, variable, value);
}

/* "GRANT priv ON target TO 'user'@'host';" */
static char *
grant_hint(Source *src, const char *privilege, const char *target)
{
	return psprintf("GRANT %s ON %s TO %s;", privilege, target, src->account);
}

/* "GRANT p ON db.* TO a;" for each database of the replica. */
static char *
database_grant_hint(Source *src, const char *privilege)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, src->cfg->databases)
		appendStringInfo(&buf, "%s%s", buf.len ? " " : "",
						 grant_hint(src, privilege,
									psprintf("%s.*", ident(((ChameleonDatabaseMap *) lfirst(lc))->database))));
	return buf.data;
}

/* Append "a, b, c" (at most MAX_LISTED_TABLES, then "and N more"). */
static void
append_name_list(StringInfo buf, List *names)
{
	int			n = 0;
	ListCell   *lc;

	foreach(lc, names)
	{
		if (n == MAX_LISTED_TABLES)
		{
			appendStringInfo(buf, ", and %d more", list_length(names) - n);
			break;
		}
		appendStringInfo(buf, "%s%s", n > 0 ? ", " : "", (char *) lfirst(lc));
		n++;
	}
}

/* ---------------------------------------------------------------------
 * 1. server_version
 * ---------------------------------------------------------------------
 */

/*
 * MariaDB says so in its version.  Every other server that speaks the
 * protocol is taken for MySQL (Percona, distribution and cloud builds have
 * all kinds of version_comment), except the look-alikes known not to be one.
 */
static SourceFlavour
detect_flavour(const char *version, const char *comment)
{
	static const char *const lookalikes[] = {"TiDB", "Vitess", NULL};

	if (strstr(version, "MariaDB"))
		return FLAVOUR_MARIADB;
	if (!isdigit((unsigned char) version[0]))
		return FLAVOUR_UNKNOWN;
	for (const char *const *l = lookalikes; *l; l++)
	{
		if (strstr(version, *l) || (comment && strstr(comment, *l)))
			return FLAVOUR_UNKNOWN;
	}
	return FLAVOUR_MYSQL;
}

static const char *
flavour_name(SourceFlavour flavour)
{
	switch (flavour)
	{
		case FLAVOUR_MARIADB:
			return "MariaDB";
		case FLAVOUR_MYSQL:
			return "MySQL";
		default:
			return "unknown flavour";
	}
}

static PreflightCheck *
check_server_version(Source *src)
{
	char	   *row[2];
	char	   *error;
	char	   *value;
	int			major = 0,
				minor = 0;
	int			minimum;

	if (!query_row(src, "SELECT VERSION(), @@version_comment", 2, row, &error))
		return query_failed("server_version", error);
	if (row[0] == NULL)
		return make_check("server_version", PREFLIGHT_ERROR, "unknown", NULL);

	src->flavour = detect_flavour(row[0], row[1]);
	value = psprintf("%s (%s)", row[0], flavour_name(src->flavour));
	(void) sscanf(row[0], "%d.%d", &major, &minor);
	src->version_num = major * 10000 + minor * 100;
	minimum = src->flavour == FLAVOUR_MARIADB ? MIN_MARIADB_VERSION : MIN_MYSQL_VERSION;

	if (src->version_num < minimum)
		return make_check("server_version", PREFLIGHT_ERROR, value,
						  src->flavour == FLAVOUR_MARIADB ?
						  "upgrade the server to MariaDB 10.3 or later" :
						  "upgrade the server to MySQL 5.7 or later");
	if (src->flavour == FLAVOUR_UNKNOWN)
		return make_check("server_version", PREFLIGHT_WARNING, value,
						  psprintf("this server (version_comment: %s) is neither MySQL nor MariaDB; pg_chameleon treats it as MySQL, which may not work",
								   row[1] ? row[1] : "none"));
	return make_check("server_version", PREFLIGHT_OK, value, NULL);
}

/* ---------------------------------------------------------------------
 * 2-7. binary log settings and server_id
 * ---------------------------------------------------------------------
 */

static PreflightCheck *
check_log_bin(Source *src)
{
	char	   *value;
	char	   *error;

	if (!global_variable(src, "log_bin", &value, &error))
		return query_failed("log_bin", error);
	if (value && pg_strcasecmp(value, "ON") == 0)
		return make_check("log_bin", PREFLIGHT_OK, "ON", NULL);
	return make_check("log_bin", PREFLIGHT_ERROR, value ? value : "not available",
					  "my.cnf [mysqld]: log_bin = mysql-bin (then restart the server)");
}

/*
 * A variable that must have one value; otherwise bad_status with the
 * SET GLOBAL hint.  A server without the variable gives missing_status.
 */
static PreflightCheck *
check_variable_is(Source *src, const char *variable, const char *wanted,
				  PreflightStatus bad_status, PreflightStatus missing_status,
				  const char *missing_value)
{
	char	   *value;
	char	   *error;

	if (!global_variable(src, variable, &value, &error))
		return query_failed(variable, error);
	if (value == NULL)
		return make_check(variable, missing_status, missing_value, NULL);
	if (pg_strcasecmp(value, wanted) == 0)
		return make_check(variable, PREFLIGHT_OK, value, NULL);
	return make_check(variable, bad_status, value,
					  set_global_hint(variable, wanted));
}

static PreflightCheck *
check_binlog_format(Source *src)
{
	return check_variable_is(src, "binlog_format", "ROW",
							 PREFLIGHT_ERROR, PREFLIGHT_ERROR, "not available");
}

/* Tables without a primary key need the full before image of every row. */
static PreflightCheck *
check_binlog_row_image(Source *src)
{
	return check_variable_is(src, "binlog_row_image", "FULL",
							 PREFLIGHT_ERROR, PREFLIGHT_WARNING,
							 "not available on this server (it logs full rows)");
}

static PreflightCheck *
check_binlog_row_metadata(Source *src)
{
	return check_variable_is(src, "binlog_row_metadata", "FULL",
							 PREFLIGHT_WARNING, PREFLIGHT_WARNING,
							 "not available on this server (MariaDB 10.5+ and MySQL 8.0.1+ have it)");
}

/*
 * MySQL 8's binlog_row_value_options=PARTIAL_JSON logs JSON updates as
 * PARTIAL_UPDATE_ROWS events, which the decoder cannot apply: the option
 * must be empty.  MariaDB has no such variable.
 */
static PreflightCheck *
check_binlog_row_value_options(Source *src)
{
	char	   *value;
	char	   *error;

	if (!global_variable(src, "binlog_row_value_options", &value, &error))
		return query_failed("binlog_row_value_options", error);
	if (value == NULL)
		return make_check("binlog_row_value_options", PREFLIGHT_OK,
						  "not available on this server (no partial JSON updates)", NULL);
	if (value[0] == '\0')
		return make_check("binlog_row_value_options", PREFLIGHT_OK, "''", NULL);
	return make_check("binlog_row_value_options", PREFLIGHT_ERROR, value,
					  "SET GLOBAL binlog_row_value_options = ''; and in my.cnf [mysqld]: binlog_row_value_options = \"\" (partial JSON updates cannot be replicated)");
}

static PreflightCheck *
check_binlog_checksum(Source *src)
{
	char	   *value;
	char	   *error;

	if (!global_variable(src, "binlog_checksum", &value, &error))
		return query_failed("binlog_checksum", error);
	return make_check("binlog_checksum", PREFLIGHT_OK,
					  value ? value : "NONE (variable not available)", NULL);
}

static PreflightCheck *
check_server_id(Source *src)
{
	uint64		configured = (uint32) src->cfg->my_server_id;
	uint64		server_id;
	char	   *value;
	char	   *error;

	if (!global_variable(src, "server_id", &value, &error))
		return query_failed("server_id", error);
	if (value == NULL)
		return make_check("server_id", PREFLIGHT_ERROR, "not available", NULL);

	server_id = strtoull(value, NULL, 10);
	if (server_id == 0)
	{
		const char *id = configured == 1 ? "2" : "1";

		return make_check("server_id", PREFLIGHT_ERROR, value,
						  psprintf("SET GLOBAL server_id = %s; and in my.cnf [mysqld]: server_id = %s",
								   id, id));
	}
	if (server_id == configured)
		return make_check("server_id", PREFLIGHT_ERROR, value,
						  psprintf("set my_server_id in \"%s\" to a number other than %s, unused by any other replica of this server",
								   src->cfg->path ? src->cfg->path : "the configuration file",
								   value));
	return make_check("server_id", PREFLIGHT_OK, value, NULL);
}

/* ---------------------------------------------------------------------
 * 8-11. privileges, from SHOW GRANTS
 * ---------------------------------------------------------------------
 */

/* "user@host" from CURRENT_USER() as 'user'@'host'. */
static void
load_account(Source *src)
{
	char	   *current;
	char	   *error;
	char	   *at;

	if (!query_row(src, "SELECT CURRENT_USER()", 1, &current, &error) ||
		current == NULL)
	{
		src->account = literal(src, src->cfg->user ? src->cfg->user : "");
		return;
	}
	at = strrchr(current, '@');
	if (at == NULL)
	{
		src->account = literal(src, current);
		return;
	}
	*at = '\0';
	src->account = psprintf("%s@%s", literal(src, current), literal(src, at + 1));
}

/*
 * Find the first occurrence of word (" ON ", " TO ") outside quotes and
 * parentheses, or NULL.
 */
static const char *
find_top_level(const char *s, const char *word)
{
	size_t		len = strlen(word);
	int			depth = 0;
	char		quote = '\0';

	for (const char *p = s; *p; p++)
	{
		if (quote)
		{
			if (*p == quote)
				quote = '\0';
			continue;
		}
		if (*p == '`' || *p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (depth == 0 && pg_strncasecmp(p, word, len) == 0)
			return p;
	}
	return NULL;
}

/*
 * Split "SELECT, REPLICATION SLAVE, INSERT (`a`, `b`)" into upper-case
 * names; names with a column list go to *column_privileges.
 */
static void
parse_privileges(const char *s, const char *end, GrantEntry *entry)
{
	while (s < end)
	{
		const char *comma = s;
		int			depth = 0;
		char	   *name;
		char	   *paren;

		while (comma < end && (depth > 0 || *comma != ','))
		{
			if (*comma == '(')
				depth++;
			else if (*comma == ')')
				depth--;
			comma++;
		}
		name = pnstrdup(s, comma - s);
		paren = strchr(name, '(');
		if (paren)
			*paren = '\0';
		for (char *c = name; *c; c++)
			*c = pg_ascii_toupper((unsigned char) *c);
		/* trim */
		while (*name == ' ')
			name++;
		for (char *e = name + strlen(name); e > name && e[-1] == ' '; e--)
			e[-1] = '\0';
		if (paren)
			entry->column_privileges = lappend(entry->column_privileges, name);
		else
			entry->privileges = lappend(entry->privileges, name);
		s = comma + 1;
	}
}

/* Parse `name` (backticks doubled) or * at *p; NULL for *, advances *p. */
static bool
parse_name(const char **p, char **name)
{
	const char *s = *p;
	StringInfoData buf;

	if (*s == '*')
	{
		*name = NULL;
		*p = s + 1;
		return true;
	}
	if (*s != '`')
		return false;
	initStringInfo(&buf);
	for (s++; *s; s++)
	{
		if (*s == '`')
		{
			if (s[1] != '`')
				break;
			s++;
		}
		appendStringInfoChar(&buf, *s);
	}
	if (*s != '`')
		return false;
	*name = buf.data;
	*p = s + 1;
	return true;
}

/* Parse one SHOW GRANTS line; NULL for lines that grant nothing on tables. */
static GrantEntry *
parse_grant(const char *line)
{
	const char *on;
	const char *target;
	GrantEntry *entry;

	if (pg_strncasecmp(line, "GRANT ", 6) != 0)
		return NULL;
	on = find_top_level(line + 6, " ON ");
	if (on == NULL)
		return NULL;			/* GRANT role TO user */
	target = on + 4;
	if (pg_strncasecmp(target, "TABLE ", 6) == 0)
		target += 6;

	entry = palloc0(sizeof(GrantEntry));
	if (!parse_name(&target, &entry->db))
		return NULL;			/* PROCEDURE, FUNCTION, PACKAGE, PROXY */
	if (*target != '.')
		return NULL;
	target++;
	if (!parse_name(&target, &entry->table))
		return NULL;
	parse_privileges(line + 6, on, entry);
	return entry;
}

/* Does a database pattern from a grant (% and _ wildcards, \ escapes) match? */
static bool
db_pattern_matches(const char *pattern, const char *name)
{
	for (; *pattern; pattern++, name++)
	{
		if (*pattern == '%')
		{
			for (const char *n = name;; n++)
			{
				if (db_pattern_matches(pattern + 1, n))
					return true;
				if (*n == '\0')
					return false;
			}
		}
		if (*name == '\0')
			return false;
		if (*pattern == '\\' && pattern[1] != '\0')
			pattern++;
		else if (*pattern == '_')
			continue;
		if (*pattern != *name)
			return false;
	}
	return *name == '\0';
}

/* The query that lists the grants of the session, with active roles. */
static char *
grants_query(Source *src)
{
	char	   *roles;
	char	   *error;

	/* MySQL 8 lists role privileges only with USING; MariaDB adds its current role */
	if (src->flavour != FLAVOUR_MARIADB &&
		query_row(src, "SELECT CURRENT_ROLE()", 1, &roles, &error) &&
		roles != NULL && roles[0] != '\0' && strcmp(roles, "NONE") != 0)
		return psprintf("SHOW GRANTS FOR CURRENT_USER() USING %s", roles);
	return "SHOW GRANTS";
}

static void
load_grants(Source *src)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;

	if (src->grants_loaded)
		return;
	src->grants_loaded = true;
	if (!chameleon_mysql_try_query(src->conn, grants_query(src), &res))
	{
		src->grants_error = chameleon_mysql_error_text(src->conn);
		return;
	}
	if (res == NULL)
		return;
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		GrantEntry *entry = row[0] ? parse_grant(row[0]) : NULL;

		if (entry)
			src->grants = lappend(src->grants, entry);
	}
	chameleon_mysql_free_result(res);
}

/* The first of names (NULL-terminated) that entry grants, or NULL. */
static const char *
entry_grants(GrantEntry *entry, const char *const *names)
{
	for (const char *const *n = names; *n; n++)
	{
		if (chameleon_name_in_list(entry->privileges, *n))
			return *n;
	}
	if (chameleon_name_in_list(entry->privileges, "ALL PRIVILEGES") ||
		chameleon_name_in_list(entry->privileges, "ALL"))
		return "ALL PRIVILEGES";
	return NULL;
}

/* The name under which a global privilege is granted, or NULL. */
static const char *
global_grant(Source *src, const char *const *names)
{
	ListCell   *lc;

	foreach(lc, src->grants)
	{
		GrantEntry *entry = (GrantEntry *) lfirst(lc);
		const char *found;

		if (entry->db == NULL && entry->table == NULL &&
			(found = entry_grants(entry, names)) != NULL)
			return found;
	}
	return NULL;
}

/*
 * A global privilege check.  names lists the privilege and its synonyms;
 * missing_status is the status when none is granted.
 */
static PreflightCheck *
check_global_privilege(Source *src, const char *check, const char *privilege,
					   const char *const *names, PreflightStatus missing_status,
					   const char *missing_value)
{
	const char *found;

	load_grants(src);
	if (src->grants_error)
		return query_failed(check, src->grants_error);

	found = global_grant(src, names);
	if (found == NULL)
		return make_check(check, missing_status, missing_value,
						  grant_hint(src, privilege, "*.*"));
	if (strcmp(found, privilege) == 0)
		return make_check(check, PREFLIGHT_OK, "granted on *.*", NULL);
	return make_check(check, PREFLIGHT_OK,
					  psprintf("granted on *.* (as %s)", found), NULL);
}

static PreflightCheck *
check_replication_slave(Source *src)
{
	static const char *const names[] =
	{"REPLICATION SLAVE", "REPLICATION REPLICA", NULL};

	return check_global_privilege(src, "privilege_replication_slave",
								  "REPLICATION SLAVE", names,
								  PREFLIGHT_ERROR, "missing");
}

static PreflightCheck *
check_replication_client(Source *src)
{
	/*
	 * MariaDB 10.5+ shows REPLICATION CLIENT as BINLOG MONITOR.  SUPER also
	 * reads the binlog position, except on MariaDB 11.0+ where it no longer
	 * covers the privileges split out of it.
	 */
	static const char *const with_super[] =
	{"REPLICATION CLIENT", "BINLOG MONITOR", "SUPER", NULL};
	static const char *const without_super[] =
	{"REPLICATION CLIENT", "BINLOG MONITOR", NULL};
	bool		super_counts = src->flavour != FLAVOUR_MARIADB ||
		src->version_num < 110000;

	return check_global_privilege(src, "privilege_replication_client",
								  "REPLICATION CLIENT",
								  super_counts ? with_super : without_super,
								  PREFLIGHT_ERROR, "missing");
}

static void load_tables(Source *src);

/* Number of tables (after tables_limit) whose engine is not InnoDB. */
static int
count_non_innodb(Source *src)
{
	int			n = 0;
	ListCell   *lc;

	load_tables(src);
	foreach(lc, src->tables)
	{
		SourceTable *t = (SourceTable *) lfirst(lc);

		if (t->engine == NULL || pg_strcasecmp(t->engine, "InnoDB") != 0)
			n++;
	}
	return n;
}

/* The database pattern granting one of names on db (*found: which); NULL: none. */
static const char *
granted_on(Source *src, const char *db, const char *const *names, const char **found)
{
	ListCell   *lc;

	foreach(lc, src->grants)
	{
		GrantEntry *entry = (GrantEntry *) lfirst(lc);

		if (entry->db != NULL && entry->table == NULL &&
			db_pattern_matches(entry->db, db) &&
			(*found = entry_grants(entry, names)) != NULL)
			return entry->db;
	}
	return NULL;
}

/*
 * The OK check of a privilege (one of names) granted on *.* or on each
 * database of the replica (a pattern matching it), saying where; NULL when
 * it is granted on neither.
 */
static PreflightCheck *
granted_on_database(Source *src, const char *check, const char *privilege,
					const char *const *names)
{
	const char *found;
	ListCell   *lc;

	if ((found = global_grant(src, names)) != NULL)
		return make_check(check, PREFLIGHT_OK,
						  strcmp(found, privilege) == 0 ? "granted on *.*" :
						  psprintf("granted on *.* (as %s)", found), NULL);
	{
		StringInfoData where;

		initStringInfo(&where);
		foreach(lc, src->cfg->databases)
		{
			const char *db = ((ChameleonDatabaseMap *) lfirst(lc))->database;
			const char *on = granted_on(src, db, names, &found);

			if (on == NULL)
				return NULL;
			appendStringInfo(&where, "%s%s.*%s", where.len ? ", " : "", ident(on),
							 strcmp(found, privilege) == 0 ? "" : psprintf(" (as %s)", found));
		}
		return make_check(check, PREFLIGHT_OK, psprintf("granted on %s", where.data), NULL);
	}
}

/*
 * RELOAD allows FLUSH TABLES WITH READ LOCK, which no copy takes any more
 * (each slice has a snapshot or a table lock of its own): reported, never
 * needed.
 */
static PreflightCheck *
check_reload(Source *src)
{
	static const char *const names[] = {"RELOAD", NULL};
	PreflightCheck *c = check_global_privilege(src, "privilege_reload", "RELOAD", names,
											   PREFLIGHT_OK,
											   "not needed (the copy takes no global read lock)");

	c->hint = NULL;
	return c;
}

/*
 * LOCK TABLES: the copy reads a slice of a non-InnoDB table (no MVCC
 * snapshot) -- and on MySQL one of an InnoDB table without a key (primary,
 * or unique of NOT NULL columns: no watermark replay without one) -- under LOCK TABLES t READ, which
 * keeps writes to that table only waiting.  Needed on the database when
 * such a table exists.
 */
static PreflightCheck *
check_lock_tables(Source *src)
{
	static const char *const names[] = {"LOCK TABLES", NULL};
	PreflightCheck *granted;
	bool		needed;

	load_grants(src);
	if (src->grants_error)
		return query_failed("privilege_lock_tables", src->grants_error);
	if ((granted = granted_on_database(src, "privilege_lock_tables", "LOCK TABLES", names)) != NULL)
		return granted;
	needed = count_non_innodb(src) > 0 || src->tables_error != NULL || src->tables == NIL;
	return make_check("privilege_lock_tables", needed ? PREFLIGHT_ERROR : PREFLIGHT_WARNING,
					  needed ? "missing" : src->flavour == FLAVOUR_MARIADB ?
					  "missing (needed only to copy non-InnoDB tables)" :
					  "missing (needed only to copy non-InnoDB tables and tables without a key)",
					  database_grant_hint(src, "LOCK TABLES"));
}

/* SELECT granted on some tables (or columns) of the databases only. */
static List *
partial_select_tables(Source *src)
{
	List	   *tables = NIL;
	ListCell   *lc;

	foreach(lc, src->grants)
	{
		GrantEntry *entry = (GrantEntry *) lfirst(lc);

		if (entry->db == NULL || entry->table == NULL ||
			chameleon_config_schema_of(src->cfg, entry->db) == NULL)
			continue;
		if (chameleon_name_in_list(entry->privileges, "SELECT") ||
			chameleon_name_in_list(entry->privileges, "ALL PRIVILEGES") ||
			chameleon_name_in_list(entry->column_privileges, "SELECT"))
			tables = lappend(tables, entry->table);
	}
	return tables;
}

static PreflightCheck *
check_select(Source *src)
{
	static const char *const names[] = {"SELECT", NULL};
	PreflightCheck *granted;
	List	   *partial;
	StringInfoData value;

	load_grants(src);
	if (src->grants_error)
		return query_failed("privilege_select", src->grants_error);

	if ((granted = granted_on_database(src, "privilege_select", "SELECT", names)) != NULL)
		return granted;

	partial = partial_select_tables(src);
	if (partial == NIL)
		return make_check("privilege_select", PREFLIGHT_ERROR, "missing",
						  database_grant_hint(src, "SELECT"));

	initStringInfo(&value);
	appendStringInfoString(&value, "granted only on some tables or columns: ");
	append_name_list(&value, partial);
	return make_check("privilege_select", PREFLIGHT_WARNING, value.data,
					  database_grant_hint(src, "SELECT"));
}

/* ---------------------------------------------------------------------
 * 12-15. the database and its tables
 * ---------------------------------------------------------------------
 */

static PreflightCheck *check_one_database(Source *src, const char *db);

static PreflightCheck *
check_database(Source *src)
{
	StringInfoData all;
	ListCell   *lc;

	initStringInfo(&all);
	foreach(lc, src->cfg->databases)
	{
		const char *db = ((ChameleonDatabaseMap *) lfirst(lc))->database;
		PreflightCheck *c = check_one_database(src, db);

		if (c != NULL)
			return c;
		appendStringInfo(&all, "%s%s", all.len ? ", " : "", db);
	}
	src->db_state = 1;
	return make_check("database_exists", PREFLIGHT_OK, all.data, NULL);
}

/* NULL when database db exists, else the check to report. */
static PreflightCheck *
check_one_database(Source *src, const char *db)
{
	char	   *sql;
	char	   *found;
	char	   *error;

	sql = psprintf("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
				   literal(src, db));
	if (!query_row(src, sql, 1, &found, &error))
		return query_failed("database_exists", error);

	src->db_state = found ? 1 : 0;
	src->missing_db = found ? NULL : pstrdup(db);
	if (found)
		return NULL;

	/* SCHEMATA only shows databases the account has some privilege on */
	load_grants(src);
	if (src->grants_error == NULL && check_select(src)->status == PREFLIGHT_ERROR)
		return make_check("database_exists", PREFLIGHT_ERROR,
						  psprintf("%s not found or not visible to %s", db, src->account),
						  database_grant_hint(src, "SELECT"));
	return make_check("database_exists", PREFLIGHT_ERROR,
					  psprintf("%s not found", db),
					  psprintf("%s in \"%s\" to an existing database, or CREATE DATABASE %s;",
							   src->cfg->qualified_names ? "map only databases that exist in schema_mappings" :
							   "set my_database",
							   src->cfg->path ? src->cfg->path : "the configuration file",
							   ident(db)));
}

static uint64
parse_uint64(const char *s)
{
	return s ? strtoull(s, NULL, 10) : 0;
}

/* The databases of the replica as a list of SQL literals. */
static char *
database_literals(Source *src)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, src->cfg->databases)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
						 literal(src, ((ChameleonDatabaseMap *) lfirst(lc))->database));
	return buf.data;
}

/*
 * Read the base tables of the databases, keeping those it replicates.  The
 * key -- the primary key, or a unique index of whole NOT NULL columns, which
 * serves as one (copy.c, apply_relation.c) -- comes from STATISTICS: MariaDB
 * hides TABLE_CONSTRAINTS from an account that has only SELECT on the
 * tables.
 */
static void
load_tables(Source *src)
{
	char	   *sql;
	MYSQL_RES  *res;
	MYSQL_ROW	row;

	if (src->tables_loaded)
		return;
	src->tables_loaded = true;
	sql = psprintf("SELECT t.TABLE_NAME, t.ENGINE, t.TABLE_ROWS, "
				   "t.DATA_LENGTH + t.INDEX_LENGTH, "
				   "EXISTS (SELECT 1 FROM information_schema.STATISTICS s "
				   "WHERE s.TABLE_SCHEMA = t.TABLE_SCHEMA AND s.TABLE_NAME = t.TABLE_NAME "
				   "AND s.NON_UNIQUE = 0 GROUP BY s.INDEX_NAME "
				   "HAVING SUM(s.NULLABLE = 'YES' OR s.SUB_PART IS NOT NULL "
				   "OR s.COLUMN_NAME IS NULL) = 0) "
				   ", t.TABLE_SCHEMA "
				   "FROM information_schema.TABLES t "
				   "WHERE t.TABLE_SCHEMA IN (%s) AND t.TABLE_TYPE = 'BASE TABLE' "
				   "ORDER BY BINARY t.TABLE_SCHEMA, BINARY t.TABLE_NAME",
				   database_literals(src));
	if (!chameleon_mysql_try_query(src->conn, sql, &res))
	{
		src->tables_error = chameleon_mysql_error_text(src->conn);
		return;
	}
	if (res == NULL)
		return;
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		SourceTable *t;
		char	   *key = row[0] && row[5] ? chameleon_table_key(src->cfg, row[5], row[0]) : NULL;

		if (key == NULL || !chameleon_config_replicates_table(src->cfg, key))
			continue;
		t = palloc0(sizeof(SourceTable));
		t->name = key;
		t->db = pstrdup(row[5]);
		t->table = pstrdup(row[0]);
		t->engine = row[1] ? pstrdup(row[1]) : NULL;
		t->rows = parse_uint64(row[2]);
		t->bytes = parse_uint64(row[3]);
		t->has_primary_key = row[4] && strcmp(row[4], "1") == 0;
		src->tables = lappend(src->tables, t);
	}
	chameleon_mysql_free_result(res);
}

/*
 * Common start of the table checks: NULL when the tables can be checked,
 * else the row to report.
 */
static PreflightCheck *
tables_unavailable(Source *src, const char *check)
{
	if (src->db_state == 0)
		return make_check(check, PREFLIGHT_ERROR,
						  psprintf("skipped: database %s not found", src->missing_db),
						  NULL);
	load_tables(src);
	if (src->tables_error)
		return query_failed(check, src->tables_error);
	return NULL;
}

/* tables_limit entries that are not base tables of my_database. */
static List *
missing_limited_tables(Source *src)
{
	List	   *missing = NIL;
	ListCell   *lc;

	foreach(lc, src->cfg->tables_limit)
	{
		char	   *name = (char *) lfirst(lc);
		ListCell   *lt;
		bool		found = strcmp(name, "*") == 0 ||
			(strlen(name) > 2 && strcmp(name + strlen(name) - 2, ".*") == 0);

		foreach(lt, src->tables)
		{
			if (strcmp(((SourceTable *) lfirst(lt))->name, name) == 0)
				found = true;
		}
		if (!found)
			missing = lappend(missing, name);
	}
	return missing;
}

static PreflightCheck *
check_tables(Source *src)
{
	PreflightCheck *skip = tables_unavailable(src, "tables");
	uint64		rows = 0,
				bytes = 0;
	ListCell   *lc;
	List	   *missing;
	char	   *value;
	StringInfoData hint;

	if (skip)
		return skip;
	foreach(lc, src->tables)
	{
		SourceTable *t = (SourceTable *) lfirst(lc);

		rows += t->rows;
		bytes += t->bytes;
	}
	value = psprintf("%d %s, about " UINT64_FORMAT " rows, about " UINT64_FORMAT " bytes",
					 list_length(src->tables),
					 list_length(src->tables) == 1 ? "table" : "tables",
					 rows, bytes);

	missing = missing_limited_tables(src);
	if (missing != NIL)
	{
		StringInfoData full;

		initStringInfo(&full);
		appendStringInfo(&full, "%s; tables_limit names tables that are not base tables of %s: ",
						 value, src->cfg->source_name);
		append_name_list(&full, missing);
		initStringInfo(&hint);
		appendStringInfoString(&hint, "remove ");
		append_name_list(&hint, missing);
		appendStringInfo(&hint, " from tables_limit in \"%s\"",
						 src->cfg->path ? src->cfg->path : "the configuration file");
		return make_check("tables", PREFLIGHT_ERROR, full.data, hint.data);
	}
	if (src->tables == NIL)
		return make_check("tables", PREFLIGHT_WARNING, value,
						  psprintf("%s has no tables visible to %s: nothing to replicate",
								   src->cfg->source_name, src->account));
	return make_check("tables", PREFLIGHT_OK, value, NULL);
}

static PreflightCheck *
check_non_innodb(Source *src)
{
	PreflightCheck *skip = tables_unavailable(src, "non_innodb_tables");
	StringInfoData value;
	StringInfoData hint;
	ListCell   *lc;
	int			n = 0;

	if (skip)
		return skip;
	initStringInfo(&value);
	initStringInfo(&hint);
	foreach(lc, src->tables)
	{
		SourceTable *t = (SourceTable *) lfirst(lc);

		if (t->engine != NULL && pg_strcasecmp(t->engine, "InnoDB") == 0)
			continue;
		if (n < MAX_LISTED_TABLES)
		{
			appendStringInfo(&value, "%s%s (%s)", n > 0 ? ", " : "", t->name,
							 t->engine ? t->engine : "unknown engine");
			appendStringInfo(&hint, "ALTER TABLE %s.%s ENGINE = InnoDB; ",
							 ident(t->db), ident(t->table));
		}
		n++;
	}
	if (n == 0)
		return make_check("non_innodb_tables", PREFLIGHT_OK, "none", NULL);
	if (n > MAX_LISTED_TABLES)
		appendStringInfo(&value, ", and %d more", n - MAX_LISTED_TABLES);
	appendStringInfoString(&hint, "(otherwise the copy reads each of their slices under LOCK TABLES t READ: writes to that table wait meanwhile)");
	return make_check("non_innodb_tables", PREFLIGHT_WARNING, value.data, hint.data);
}

static PreflightCheck *
check_primary_keys(Source *src)
{
	PreflightCheck *skip = tables_unavailable(src, "tables_without_primary_key");
	List	   *names = NIL;
	SourceTable *first = NULL;
	ListCell   *lc;
	StringInfoData value;
	StringInfoData hint;

	if (skip)
		return skip;
	foreach(lc, src->tables)
	{
		SourceTable *t = (SourceTable *) lfirst(lc);

		if (t->has_primary_key)
			continue;
		names = lappend(names, t->name);
		if (first == NULL)
			first = t;
	}
	if (names == NIL)
		return make_check("tables_without_primary_key", PREFLIGHT_OK, "none", NULL);

	initStringInfo(&hint);
	appendStringInfo(&hint, "ALTER TABLE %s.%s ADD PRIMARY KEY (...); ",
					 ident(first->db), ident(first->table));
	appendStringInfoString(&hint, "without a primary key or a unique index of NOT NULL columns, "
						   "updates and deletes match rows on all columns and the copy reads the table in one pass");
	initStringInfo(&value);
	append_name_list(&value, names);
	return make_check("tables_without_primary_key", PREFLIGHT_WARNING,
					  value.data, hint.data);
}

/* ---------------------------------------------------------------------
 * 16-17. current binlog and GTID position
 * ---------------------------------------------------------------------
 */

static PreflightCheck *
check_binlog_position(Source *src)
{
	char	   *row[2];
	char	   *error;
	bool		ok;

	ok = query_row(src, "SHOW MASTER STATUS", 2, row, &error);
	/* MySQL 8.4 removed SHOW MASTER STATUS */
	if (!ok && mysql_errno(src->conn) == ER_PARSE_ERROR)
		ok = query_row(src, "SHOW BINARY LOG STATUS", 2, row, &error);

	if (!ok)
	{
		unsigned int number = mysql_errno(src->conn);

		if (number == ER_SPECIFIC_ACCESS_DENIED_ERROR ||
			number == ER_DBACCESS_DENIED_ERROR)
			return make_check("binlog_position", PREFLIGHT_ERROR,
							  psprintf("not readable: %s", error),
							  grant_hint(src, "REPLICATION CLIENT", "*.*"));
		return query_failed("binlog_position", error);
	}
	if (row[0] == NULL || row[1] == NULL)
		return make_check("binlog_position", PREFLIGHT_ERROR,
						  "none (the binary log is off)",
						  "my.cnf [mysqld]: log_bin = mysql-bin (then restart the server)");
	return make_check("binlog_position", PREFLIGHT_OK,
					  psprintf("%s:%s", row[0], row[1]), NULL);
}

static PreflightCheck *
check_mariadb_gtid(Source *src)
{
	char	   *row[2];
	char	   *error;

	if (!query_row(src, "SELECT @@GLOBAL.gtid_binlog_pos, @@GLOBAL.gtid_domain_id",
				   2, row, &error))
		return make_check("gtid_position", PREFLIGHT_WARNING,
						  psprintf("not readable: %s", error), NULL);
	if (row[0] == NULL || row[0][0] == '\0')
		return make_check("gtid_position", PREFLIGHT_OK,
						  psprintf("none logged yet (gtid_domain_id %s)",
								   row[1] ? row[1] : "0"), NULL);
	return make_check("gtid_position", PREFLIGHT_OK,
					  psprintf("%s (gtid_domain_id %s)", row[0], row[1] ? row[1] : "0"),
					  NULL);
}

/* gtid_executed spans lines when it has several server UUIDs. */
static char *
remove_newlines(char *s)
{
	char	   *out = s;

	for (char *p = s; *p; p++)
	{
		if (*p != '\n' && *p != '\r')
			*out++ = *p;
	}
	*out = '\0';
	return s;
}

static PreflightCheck *
check_mysql_gtid(Source *src)
{
	char	   *row[2];
	char	   *error;

	if (!query_row(src, "SELECT @@GLOBAL.gtid_mode, @@GLOBAL.gtid_executed",
				   2, row, &error))
	{
		if (mysql_errno(src->conn) == ER_UNKNOWN_SYSTEM_VARIABLE)
			return make_check("gtid_position", PREFLIGHT_OK,
							  "not in use (the server has no GTIDs)", NULL);
		return make_check("gtid_position", PREFLIGHT_WARNING,
						  psprintf("not readable: %s", error), NULL);
	}
	if (row[0] == NULL || pg_strcasecmp(row[0], "ON") != 0)
		return make_check("gtid_position", PREFLIGHT_OK,
						  psprintf("not in use (gtid_mode %s)", row[0] ? row[0] : "OFF"),
						  NULL);
	return make_check("gtid_position", PREFLIGHT_OK,
					  psprintf("%s (gtid_mode ON)",
							   row[1] && row[1][0] ? remove_newlines(row[1]) : "none executed yet"),
					  NULL);
}

static PreflightCheck *
check_gtid_position(Source *src)
{
	if (src->flavour == FLAVOUR_MARIADB)
		return check_mariadb_gtid(src);
	return check_mysql_gtid(src);
}

/* ---------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------
 */

typedef PreflightCheck *(*CheckFunction) (Source *src);

/* Every check, in the order of the result (the names are an interface). */
/* ---------------------------------------------------------------------
 * 18-19. the replica's identity and resume position at the source
 * ---------------------------------------------------------------------
 */

/*
 * The replica of the configuration's database in this database (NULL: none)
 * and, when pos is given, its resume position.  Read as the bootstrap
 * superuser: check_source runs as its caller, who may not read sch_chameleon.
 */
static ChameleonSource *
replica_of_config(Source *src, ChameleonPosition *pos, bool *has_pos)
{
	Oid			save_userid;
	int			save_sec;
	ChameleonSource *volatile replica = NULL;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		replica = chameleon_source_by_name(src->cfg->source_name);
		if (replica != NULL && pos != NULL)
			*has_pos = chameleon_position_load(replica->source_id, pos);
	}
	PG_CATCH();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
		PG_RE_THROW();
	}
	PG_END_TRY();
	SetUserIdAndSecContext(save_userid, save_sec);
	return replica;
}

/* No other replica of the source registered with my_server_id (SHOW SLAVE HOSTS). */
static PreflightCheck *
check_server_id_free(Source *src)
{
	uint32		id = (uint32) src->cfg->my_server_id;
	ChameleonSource *replica = replica_of_config(src, NULL, NULL);
	char	   *other = chameleon_server_id_user(src->conn, id,
												 replica ? chameleon_replica_identity(MyDatabaseId,
																					  replica->source_id) : NULL);

	if (other != NULL)
		return make_check("server_id_free", PREFLIGHT_ERROR,
						  psprintf("my_server_id %u is used by the replica at host \"%s\" (SHOW SLAVE HOSTS)",
								   id, other),
						  psprintf("set my_server_id in \"%s\" to a number no other replica of this server uses",
								   src->cfg->path ? src->cfg->path : "the configuration file"));
	return make_check("server_id_free", PREFLIGHT_OK, psprintf("%u", id), NULL);
}

/* The binlog file a replica of this database resumes from still exists. */
static PreflightCheck *
check_resume_position(Source *src)
{
	ChameleonPosition pos;
	bool		has_pos = false;
	ChameleonSource *replica;
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	bool		found = false;

	memset(&pos, 0, sizeof(pos));
	replica = replica_of_config(src, &pos, &has_pos);
	if (replica == NULL || strcmp(replica->state, "detached") == 0 ||
		strcmp(replica->state, "initialising") == 0 || !has_pos)
		return make_check("resume_position", PREFLIGHT_OK, "no replica to resume yet", NULL);
	if (!chameleon_mysql_try_query(src->conn, "SHOW BINARY LOGS", &res) || res == NULL)
		return query_failed("resume_position", chameleon_mysql_error_text(src->conn));
	while ((row = mysql_fetch_row(res)) != NULL)
		found |= row[0] != NULL && strcmp(row[0], pos.file) == 0;
	chameleon_mysql_free_result(res);
	if (!found)
		return make_check("resume_position", PREFLIGHT_ERROR,
						  psprintf("%s:" UINT64_FORMAT " is purged from the source", pos.file, pos.pos),
						  "copy the tables again with chameleon.init_replica(force => true), and keep binlogs longer (binlog_expire_logs_seconds, expire_logs_days) than a replica may stay stopped");
	return make_check("resume_position", PREFLIGHT_OK,
					  psprintf("%s:" UINT64_FORMAT, pos.file, pos.pos), NULL);
}

/*
 * A replication origin state slot (max_replication_slots) free for the
 * replica's origin, unless it has one already.  Read as the bootstrap
 * superuser: pg_replication_origin_status is for superusers.
 */
static PreflightCheck *
check_origin_slots(Source *src)
{
	ChameleonSource *replica = replica_of_config(src, NULL, NULL);
	bool		have_own = false;
	int			used = chameleon_origin_slots_used(MyDatabaseId, replica ? replica->source_id : 0,
												   &have_own);
	int			max = max_replication_slots;

	if (!have_own && used >= max)
		return make_check("replication_origin_slots", PREFLIGHT_ERROR,
						  psprintf("%d of max_replication_slots %d in use", used, max),
						  psprintf("raise max_replication_slots above %d in postgresql.conf (a server restart is needed), or drop unused origins (pg_replication_origin_drop, chameleon.drop_replica)", used));
	return make_check("replication_origin_slots", PREFLIGHT_OK,
					  psprintf("%d of max_replication_slots %d in use", used, max), NULL);
}

static const CheckFunction all_checks[] = {
	check_server_version,
	check_log_bin,
	check_binlog_format,
	check_binlog_row_image,
	check_binlog_row_metadata,
	check_binlog_row_value_options,
	check_binlog_checksum,
	check_server_id,
	check_replication_slave,
	check_replication_client,
	check_reload,
	check_lock_tables,
	check_select,
	check_database,
	check_tables,
	check_non_innodb,
	check_primary_keys,
	check_binlog_position,
	check_gtid_position,
	check_server_id_free,
	check_resume_position,
	check_origin_slots,
};

List *
chameleon_preflight_run(const ChameleonConfig *cfg)
{
	Source		src = {0};
	List	   *result = NIL;

	src.cfg = cfg;
	src.flavour = FLAVOUR_UNKNOWN;
	src.db_state = -1;
	src.conn = chameleon_mysql_connect(cfg);
	load_account(&src);

	for (int i = 0; i < (int) lengthof(all_checks); i++)
	{
		CHECK_FOR_INTERRUPTS();
		result = lappend(result, all_checks[i] (&src));
	}

	chameleon_mysql_close(src.conn);
	return result;
}

const char *
chameleon_preflight_status_name(PreflightStatus status)
{
	return status == PREFLIGHT_OK ? "ok" : status == PREFLIGHT_WARNING ? "warning" : "error";
}
