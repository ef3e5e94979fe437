/*
 * mysql_client.c -- libmariadb connections owned by memory contexts.
 *
 * Owns every MYSQL handle and stored MYSQL_RES of the extension: opening a
 * connection with the configured options (protocol, TLS mode, timeouts,
 * charset), closing handles when the memory context that owns them is reset
 * or deleted (so an ERROR or an aborted transaction never leaks one), and
 * turning client and server errors into ereport() with the MySQL error
 * number, SQLSTATE and text, read before anything can close the handle.
 *
 * The password of the configuration is handed to mysql_real_connect() and
 * nowhere else: it is never formatted into a message.
 *
 * PostgreSQL installs its signal handlers with SA_RESTART, so a signal does
 * not interrupt a blocking libmariadb call: connect_timeout bounds the
 * connection attempt and read_timeout bounds every read and write.
 */
#include "postgres.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include "lib/ilist.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"

#include "mysql_client.h"

/*
 * One memory context that owns handles: a single reset callback per context
 * closes every handle still registered in it.
 */
typedef struct HandleOwner
{
	MemoryContextCallback callback;
	MemoryContext context;
	dlist_head	handles;		/* OwnedHandle, newest first */
	dlist_node	owners_node;	/* in all_owners */
} HandleOwner;

typedef enum OwnedKind
{
	OWNED_CONNECTION,
	OWNED_RESULT
} OwnedKind;

typedef struct OwnedHandle
{
	dlist_node	node;			/* in HandleOwner.handles */
	OwnedKind	kind;
	void	   *handle;			/* MYSQL * or MYSQL_RES * */
} OwnedHandle;

/* Every context that currently owns handles. */
static dlist_head all_owners = DLIST_STATIC_INIT(all_owners);

/* The facts of a MySQL error, copied out of the handle. */
typedef struct MysqlError
{
	unsigned int number;
	char		sqlstate[6];
	char	   *message;
} MysqlError;

static void
release_handle(OwnedHandle *owned)
{
	if (owned->kind == OWNED_CONNECTION)
		mysql_close((MYSQL *) owned->handle);
	else
		mysql_free_result((MYSQL_RES *) owned->handle);
	owned->handle = NULL;
}

/*
 * Reset callback: close whatever the context still owns, newest first, so
 * results go before the connection they came from.
 */
static void
release_owner_handles(void *arg)
{
	HandleOwner *owner = (HandleOwner *) arg;
	dlist_mutable_iter iter;

	dlist_delete(&owner->owners_node);
	dlist_foreach_modify(iter, &owner->handles)
	{
		OwnedHandle *owned = dlist_container(OwnedHandle, node, iter.cur);

		dlist_delete(&owned->node);
		release_handle(owned);
	}
}

/* The owner record of CurrentMemoryContext, created on first use. */
static HandleOwner *
current_owner(void)
{
	dlist_iter	iter;
	HandleOwner *owner;

	dlist_foreach(iter, &all_owners)
	{
		owner = dlist_container(HandleOwner, owners_node, iter.cur);
		if (owner->context == CurrentMemoryContext)
			return owner;
	}

	owner = palloc0(sizeof(HandleOwner));
	owner->context = CurrentMemoryContext;
	dlist_init(&owner->handles);
	owner->callback.func = release_owner_handles;
	owner->callback.arg = owner;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &owner->callback);
	dlist_push_head(&all_owners, &owner->owners_node);
	return owner;
}

/*
 * Prepare ownership of a handle that is about to be created.  Everything
 * that can fail (palloc) happens here, before the handle exists; adopt()
 * then cannot fail.
 */
static OwnedHandle *
prepare_owned(OwnedKind kind)
{
	OwnedHandle *owned;

	(void) current_owner();
	owned = palloc0(sizeof(OwnedHandle));
	owned->kind = kind;
	return owned;
}

static void
adopt(OwnedHandle *owned, void *handle)
{
	HandleOwner *owner = current_owner();	/* exists: no allocation */

	owned->handle = handle;
	dlist_push_head(&owner->handles, &owned->node);
}

/* Find the ownership record of handle; elog(ERROR) if it has none. */
static OwnedHandle *
find_owned(void *handle)
{
	dlist_iter	owner_iter;

	dlist_foreach(owner_iter, &all_owners)
	{
		HandleOwner *owner = dlist_container(HandleOwner, owners_node,
											 owner_iter.cur);
		dlist_iter	iter;

		dlist_foreach(iter, &owner->handles)
		{
			OwnedHandle *owned = dlist_container(OwnedHandle, node, iter.cur);

			if (owned->handle == handle)
				return owned;
		}
	}
	elog(ERROR, "MySQL handle %p is not owned by pg_chameleon", handle);
	return NULL;				/* keep compiler quiet */
}

/* Release handle now and forget it. */
static void
release_now(void *handle)
{
	OwnedHandle *owned;

	if (handle == NULL)
		return;
	owned = find_owned(handle);
	dlist_delete(&owned->node);
	release_handle(owned);
	pfree(owned);
}

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

static MysqlError
read_error(MYSQL *conn)
{
	MysqlError err;
	const char *state = mysql_sqlstate(conn);

	err.number = mysql_errno(conn);
	strlcpy(err.sqlstate, state ? state : "HY000", sizeof(err.sqlstate));
	err.message = pstrdup(mysql_error(conn));
	return err;
}

static bool
is_connection_lost(unsigned int number)
{
	switch (number)
	{
		case CR_SERVER_GONE_ERROR:
		case CR_SERVER_LOST:
		case CR_SERVER_LOST_EXTENDED:
		case CR_ERR_NET_READ:
		case CR_ERR_NET_WRITE:
		case ER_SERVER_SHUTDOWN:
		case ER_CONNECTION_KILLED:
			return true;
		default:
			return false;
	}
}

static bool
is_unable_to_connect(unsigned int number)
{
	switch (number)
	{
		case CR_SOCKET_CREATE_ERROR:
		case CR_CONNECTION_ERROR:
		case CR_CONN_HOST_ERROR:
		case CR_IPSOCK_ERROR:
		case CR_UNKNOWN_HOST:
		case CR_VERSION_ERROR:
		case CR_SERVER_HANDSHAKE_ERR:
		case CR_SSL_CONNECTION_ERROR:
		case CR_CONN_UNKNOWN_PROTOCOL:
		case CR_AUTH_PLUGIN_CANNOT_LOAD:
		case CR_AUTH_PLUGIN_ERR:
		case ER_HOST_IS_BLOCKED:
			return true;
		default:
			return false;
	}
}

/*
 * The PostgreSQL errcode for a MySQL client or server error number; while
 * connecting, a lost connection means the connection was never made.
 */
static int
mysql_errcode(unsigned int number, bool connecting)
{
	if (is_unable_to_connect(number) ||
		(connecting && is_connection_lost(number)))
		return ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION;
	if (is_connection_lost(number))
		return ERRCODE_CONNECTION_FAILURE;

	switch (number)
	{
		case ER_ACCESS_DENIED_ERROR:
		case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
		case ER_HOST_NOT_PRIVILEGED:
		case ER_NOT_SUPPORTED_AUTH_MODE:
			return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
		case ER_DBACCESS_DENIED_ERROR:
		case ER_TABLEACCESS_DENIED_ERROR:
		case ER_COLUMNACCESS_DENIED_ERROR:
		case ER_SPECIFIC_ACCESS_DENIED_ERROR:
		case ER_PROCACCESS_DENIED_ERROR:
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		case ER_BAD_DB_ERROR:
			return ERRCODE_INVALID_CATALOG_NAME;
		case ER_NO_SUCH_TABLE:
			return ERRCODE_UNDEFINED_TABLE;
		case ER_BAD_FIELD_ERROR:
			return ERRCODE_UNDEFINED_COLUMN;
		case ER_CON_COUNT_ERROR:
		case ER_TOO_MANY_USER_CONNECTIONS:
		case ER_USER_LIMIT_REACHED:
			return ERRCODE_TOO_MANY_CONNECTIONS;
		case ER_LOCK_WAIT_TIMEOUT:
			return ERRCODE_LOCK_NOT_AVAILABLE;
		case ER_LOCK_DEADLOCK:
			return ERRCODE_T_R_DEADLOCK_DETECTED;
		case ER_QUERY_INTERRUPTED:
		case ER_STATEMENT_TIMEOUT:	/* MariaDB max_statement_time */
		case 3024:				/* MySQL max_execution_time */
			return ERRCODE_QUERY_CANCELED;
		case CR_OUT_OF_MEMORY:
			return ERRCODE_OUT_OF_MEMORY;
		case CR_CANT_READ_CHARSET:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		default:
			return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
	}
}

/* The number of the last MySQL error reported (0: none since the last reset). */
static unsigned int LastReportedNumber = 0;

/*
 * "Access denied for user 'u'@'h' (using password: YES|NO)": what is
 * likely, from the host the server saw and whether a password was sent.
 */
static const char *
access_denied_hint(const char *message)
{
	const char *at = message ? strstr(message, "'@'") : NULL;
	bool		no_password = message && strstr(message, "using password: NO") != NULL;
	bool		local = at && (strncmp(at + 3, "localhost'", 10) == 0 ||
							   strncmp(at + 3, "127.0.0.1'", 10) == 0 ||
							   strncmp(at + 3, "::1'", 4) == 0);

	if (no_password)
		return "No password was sent: set mysql_conn.passwd in the configuration file (an empty value sends none), or give the account an empty password if that is meant.";
	if (local)
		return "The connection comes from the MySQL server's own host: if mysql_conn.user and mysql_conn.passwd are right, MariaDB's anonymous account ''@'localhost' is likely matched before 'user'@'%' (drop it: DROP USER ''@'localhost'; SELECT user, host FROM mysql.user lists the accounts). Otherwise check the user and password.";
	return "Check mysql_conn.user and mysql_conn.passwd in the configuration file; if they are right, the account likely exists only for another host than the one the server names in the message (SELECT user, host FROM mysql.user; create it for this host or '%').";
}

/* Advice for the errors a user can fix, or NULL; message: the server's text. */
static const char *
mysql_error_hint(unsigned int number, const char *message, bool connecting)
{
	if (connecting && is_connection_lost(number))
		return "The server closed the connection or did not answer within mysql_conn.connect_timeout: check that mysql_conn.host and mysql_conn.port point to a MySQL server.";
	if (is_connection_lost(number))
		return "The MySQL server closed the connection or did not answer within mysql_conn.read_timeout.";

	switch (number)
	{
		case ER_ACCESS_DENIED_ERROR:
		case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
			return access_denied_hint(message);
		case ER_SPECIFIC_ACCESS_DENIED_ERROR:
			return "The MySQL account lacks a privilege the replica needs: GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the user (MariaDB 10.5+ also has BINLOG MONITOR and REPLICATION SLAVE ADMIN), and SELECT on the database; chameleon.check_source() lists them.";
		case ER_MASTER_FATAL_ERROR_READING_BINLOG:
			if (message && (strstr(message, "same server_uuid") || strstr(message, "same server_id") ||
							strstr(message, "server_id")))
				return "Another replica of this MySQL server uses the same my_server_id: give every replica (pg_chameleon or MySQL) its own my_server_id.";
			if (message && (strstr(message, "first log file") || strstr(message, "purged") ||
							strstr(message, "Could not find")))
				return "The binlog the replica must resume from is gone (purged, or expired by binlog_expire_logs_seconds / expire_logs_days): copy the tables again with chameleon.init_replica(force => true), and keep binlogs longer than a replica may stay stopped.";
			return "The MySQL server cannot send the binlog from the replica's position: see the message; chameleon.check_source() checks the position.";
		case ER_HOST_NOT_PRIVILEGED:
			return "The MySQL account does not accept connections from this host: create the user for this host or use a host wildcard.";
		case ER_HOST_IS_BLOCKED:
			return "Run FLUSH HOSTS on the MySQL server, or raise max_connect_errors.";
		case CR_CONNECTION_ERROR:
		case CR_CONN_HOST_ERROR:
		case CR_IPSOCK_ERROR:
		case CR_SOCKET_CREATE_ERROR:
			return "Check that the MySQL server is running and that mysql_conn.host, mysql_conn.port and mysql_conn.socket are right.";
		case CR_UNKNOWN_HOST:
			return "Check mysql_conn.host.";
		case CR_SERVER_HANDSHAKE_ERR:
		case CR_VERSION_ERROR:
			return "Check that mysql_conn.host and mysql_conn.port point to a MySQL or MariaDB server.";
		case CR_SSL_CONNECTION_ERROR:
			return "Check mysql_conn.ssl_mode and the files named by ssl_ca, ssl_cert and ssl_key.";
		case CR_CANT_READ_CHARSET:
			return "Check mysql_conn.charset: it must be a character set the MySQL client library knows, such as utf8mb4.";
		default:
			return NULL;
	}
}

/*
 * ereport an error already copied out of the handle.  errmsg is "what";
 * errcontext shows the statement when there is one.
 */
static void
report_error_hinted(const MysqlError *err, int elevel, const char *what,
					const char *sql, bool connecting, const char *hint)
{
	if (hint == NULL)
		hint = mysql_error_hint(err->number, err->message, connecting);

	LastReportedNumber = err->number;
	ereport(elevel,
			(errcode(mysql_errcode(err->number, connecting)),
			 errmsg("%s", what),
			 errdetail("MySQL error %u (%s): %s",
					   err->number, err->sqlstate, err->message),
			 hint ? errhint("%s", hint) : 0,
			 sql ? errcontext("MySQL statement: %s", sql) : 0));
}

static void
report_error(const MysqlError *err, int elevel, const char *what,
			 const char *sql, bool connecting)
{
	report_error_hinted(err, elevel, what, sql, connecting, NULL);
}

void
chameleon_mysql_report(MYSQL *conn, int elevel, const char *what)
{
	MysqlError	err = read_error(conn);

	report_error(&err, elevel, what, NULL, false);
}

void
chameleon_mysql_report_replication(MYSQL *conn, int elevel, const char *what)
{
	MysqlError	err = read_error(conn);
	const char *hint = NULL;

	/* connected already: an access error here is a missing privilege */
	if (err.number == ER_ACCESS_DENIED_ERROR || err.number == ER_SPECIFIC_ACCESS_DENIED_ERROR ||
		err.number == ER_DBACCESS_DENIED_ERROR)
		hint = "The MySQL account lacks REPLICATION SLAVE: GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the user (MariaDB 10.5+: also BINLOG MONITOR); chameleon.check_source() lists what is missing.";
	report_error_hinted(&err, elevel, what, NULL, false, hint);
}

unsigned int
chameleon_mysql_last_reported(bool reset)
{
	unsigned int number = LastReportedNumber;

	if (reset)
		LastReportedNumber = 0;
	return number;
}

char *
chameleon_mysql_error_text(MYSQL *conn)
{
	MysqlError	err = read_error(conn);

	return psprintf("MySQL error %u (%s): %s",
					err.number, err.sqlstate, err.message);
}

/* ---------------------------------------------------------------------
 * Connecting
 * ---------------------------------------------------------------------
 */

/* "host:port" or the socket path, for messages. */
static char *
server_address(const ChameleonConfig *cfg)
{
	if (cfg->socket && cfg->socket[0])
		return pstrdup(cfg->socket);
	return psprintf("%s:%d", cfg->host ? cfg->host : "localhost", cfg->port);
}

static void
set_option(MYSQL *conn, enum mysql_option option, const void *arg,
		   const char *name)
{
	if (mysql_options(conn, option, arg) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not set MySQL client option %s", name),
				 errdetail("%s", mysql_error(conn))));
}

static void
set_timeout(MYSQL *conn, enum mysql_option option, int seconds,
			const char *name)
{
	unsigned int value;

	if (seconds <= 0)
		return;
	value = (unsigned int) seconds;
	set_option(conn, option, &value, name);
}

typedef enum SslMode
{
	SSL_MODE_DISABLED,
	SSL_MODE_PREFERRED,
	SSL_MODE_REQUIRED,
	SSL_MODE_VERIFY_CA,
	SSL_MODE_VERIFY_IDENTITY
} SslMode;

static SslMode
parse_ssl_mode(const ChameleonConfig *cfg)
{
	const char *mode = cfg->ssl_mode;

	if (mode == NULL || mode[0] == '\0' || pg_strcasecmp(mode, "preferred") == 0)
		return SSL_MODE_PREFERRED;
	if (pg_strcasecmp(mode, "disabled") == 0)
		return SSL_MODE_DISABLED;
	if (pg_strcasecmp(mode, "required") == 0)
		return SSL_MODE_REQUIRED;
	if (pg_strcasecmp(mode, "verify_ca") == 0)
		return SSL_MODE_VERIFY_CA;
	if (pg_strcasecmp(mode, "verify_identity") == 0)
		return SSL_MODE_VERIFY_IDENTITY;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid mysql_conn.ssl_mode \"%s\"", mode),
			 errhint("Use one of disabled, preferred, required, verify_ca, verify_identity.")));
	return SSL_MODE_DISABLED;	/* keep compiler quiet */
}

static void
set_string_option(MYSQL *conn, enum mysql_option option, const char *value,
				  const char *name)
{
	if (value && value[0])
		set_option(conn, option, value, name);
}

/*
 * TLS options.  libmariadb 3.x uses TLS when the server offers it as soon as
 * it is asked to (SSL_ENFORCE or any certificate option), verifies the chain
 * whenever a CA is given, and checks the host name only with
 * VERIFY_SERVER_CERT.  "required" is enforced after connecting (see
 * check_tls_in_use), since the library falls back to plain text silently.
 */
static void
set_tls_options(MYSQL *conn, const ChameleonConfig *cfg, SslMode mode)
{
	my_bool		enforce = (mode != SSL_MODE_DISABLED);
	my_bool		verify_identity = (mode == SSL_MODE_VERIFY_IDENTITY);

	if (mode == SSL_MODE_VERIFY_CA && !(cfg->ssl_ca && cfg->ssl_ca[0]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mysql_conn.ssl_mode verify_ca needs mysql_conn.ssl_ca"),
				 errhint("Set ssl_ca to the file of the certificate authority that signed the MySQL server's certificate.")));

	set_option(conn, MYSQL_OPT_SSL_ENFORCE, &enforce, "MYSQL_OPT_SSL_ENFORCE");
	set_option(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify_identity,
			   "MYSQL_OPT_SSL_VERIFY_SERVER_CERT");
	if (mode == SSL_MODE_DISABLED)
		return;
	set_string_option(conn, MYSQL_OPT_SSL_CA, cfg->ssl_ca, "MYSQL_OPT_SSL_CA");
	set_string_option(conn, MYSQL_OPT_SSL_CERT, cfg->ssl_cert, "MYSQL_OPT_SSL_CERT");
	set_string_option(conn, MYSQL_OPT_SSL_KEY, cfg->ssl_key, "MYSQL_OPT_SSL_KEY");
}

static void
set_connect_options(MYSQL *conn, const ChameleonConfig *cfg)
{
	unsigned int protocol;
	unsigned int local_infile = 0;
	my_bool		reconnect = 0;

	protocol = (cfg->socket && cfg->socket[0]) ?
		MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	set_option(conn, MYSQL_OPT_PROTOCOL, &protocol, "MYSQL_OPT_PROTOCOL");
	set_timeout(conn, MYSQL_OPT_CONNECT_TIMEOUT, cfg->connect_timeout,
				"MYSQL_OPT_CONNECT_TIMEOUT");
	set_timeout(conn, MYSQL_OPT_READ_TIMEOUT, cfg->read_timeout,
				"MYSQL_OPT_READ_TIMEOUT");
	set_timeout(conn, MYSQL_OPT_WRITE_TIMEOUT, cfg->read_timeout,
				"MYSQL_OPT_WRITE_TIMEOUT");
	set_string_option(conn, MYSQL_SET_CHARSET_NAME,
					  cfg->charset ? cfg->charset : "utf8mb4",
					  "MYSQL_SET_CHARSET_NAME");
	/* a hostile server must not be able to read files of this host */
	set_option(conn, MYSQL_OPT_LOCAL_INFILE, &local_infile,
			   "MYSQL_OPT_LOCAL_INFILE");
	set_option(conn, MYSQL_OPT_RECONNECT, &reconnect, "MYSQL_OPT_RECONNECT");
	if (mysql_options4(conn, MYSQL_OPT_CONNECT_ATTR_ADD,
					   "program_name", "pg_chameleon") != 0)
		elog(DEBUG1, "could not set MySQL connection attribute program_name");
	set_tls_options(conn, cfg, parse_ssl_mode(cfg));
}

static void
check_tls_in_use(MYSQL *conn, const ChameleonConfig *cfg)
{
	if (parse_ssl_mode(cfg) < SSL_MODE_REQUIRED || mysql_get_ssl_cipher(conn))
		return;
	release_now(conn);
	ereport(ERROR,
			(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
			 errmsg("could not connect to MySQL server at \"%s\"",
					server_address(cfg)),
			 errdetail("mysql_conn.ssl_mode is %s, but the server does not offer TLS.",
					   cfg->ssl_mode),
			 errhint("Enable TLS on the MySQL server (ssl_cert and ssl_key in its my.cnf) or lower mysql_conn.ssl_mode.")));
}

MYSQL *
chameleon_mysql_connect(const ChameleonConfig *cfg)
{
	OwnedHandle *owned = prepare_owned(OWNED_CONNECTION);
	bool		use_socket = (cfg->socket && cfg->socket[0]);
	MYSQL	   *conn;

	conn = mysql_init(NULL);
	if (conn == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("mysql_init() failed.")));
	adopt(owned, conn);

	set_connect_options(conn, cfg);

	if (!mysql_real_connect(conn,
							use_socket ? "localhost" : (cfg->host ? cfg->host : "localhost"),
							cfg->user,
							cfg->passwd ? cfg->passwd : "",
							NULL,
							use_socket ? 0 : (unsigned int) cfg->port,
							use_socket ? cfg->socket : NULL,
							0))
	{
		MysqlError	err = read_error(conn);
		char	   *what = psprintf("could not connect to MySQL server at \"%s\"",
									server_address(cfg));

		release_now(conn);
		report_error(&err, ERROR, what, NULL, true);
	}

	check_tls_in_use(conn, cfg);
	return conn;
}

void
chameleon_mysql_close(MYSQL *conn)
{
	release_now(conn);
}

/* ---------------------------------------------------------------------
 * Queries
 * ---------------------------------------------------------------------
 */

static void
report_query_error(MYSQL *conn, const char *sql)
{
	MysqlError	err = read_error(conn);

	report_error(&err, ERROR, "MySQL query failed", sql, false);
}

bool
chameleon_mysql_try_query(MYSQL *conn, const char *sql, MYSQL_RES **result)
{
	OwnedHandle *owned = prepare_owned(OWNED_RESULT);
	MYSQL_RES  *res;

	*result = NULL;
	if (mysql_real_query(conn, sql, strlen(sql)) != 0)
	{
		pfree(owned);
		return false;
	}
	res = mysql_store_result(conn);
	if (res == NULL)
	{
		pfree(owned);
		/* no result set is fine for a statement that returns none */
		return mysql_field_count(conn) == 0;
	}
	adopt(owned, res);
	*result = res;
	return true;
}

MYSQL_RES *
chameleon_mysql_query(MYSQL *conn, const char *sql)
{
	MYSQL_RES  *res;

	if (!chameleon_mysql_try_query(conn, sql, &res))
		report_query_error(conn, sql);
	return res;
}

void
chameleon_mysql_free_result(MYSQL_RES *res)
{
	release_now(res);
}

void
chameleon_mysql_exec(MYSQL *conn, const char *sql)
{
	MYSQL_RES  *res = chameleon_mysql_query(conn, sql);

	if (res != NULL)
		chameleon_mysql_free_result(res);
}

char *
chameleon_mysql_query_value(MYSQL *conn, const char *sql)
{
	MYSQL_RES  *res = chameleon_mysql_query(conn, sql);
	MYSQL_ROW	row;
	unsigned long *lengths;
	char	   *value = NULL;

	if (res == NULL || mysql_num_fields(res) != 1 || mysql_num_rows(res) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("unexpected result from MySQL"),
				 errdetail("Expected at most one row with one column."),
				 errcontext("MySQL statement: %s", sql)));

	row = mysql_fetch_row(res);
	if (row != NULL && row[0] != NULL)
	{
		lengths = mysql_fetch_lengths(res);
		value = pnstrdup(row[0], lengths[0]);
	}
	chameleon_mysql_free_result(res);
	return value;
}

/* ---------------------------------------------------------------------
 * Quoting
 * ---------------------------------------------------------------------
 */

char *
chameleon_mysql_quote_literal(MYSQL *conn, const char *str)
{
	size_t		len = strlen(str);
	char	   *buf = palloc(len * 2 + 3);
	unsigned long n;

	buf[0] = '\'';
	n = mysql_real_escape_string(conn, buf + 1, str, len);
	if (n == (unsigned long) -1)
		elog(ERROR, "mysql_real_escape_string failed");
	buf[n + 1] = '\'';
	buf[n + 2] = '\0';
	return buf;
}

char *
chameleon_mysql_quote_identifier(const char *ident)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '`');
	for (const char *p = ident; *p; p++)
	{
		if (*p == '`')
			appendStringInfoChar(&buf, '`');
		appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '`');
	return buf.data;
}
