/*
 * mysql_client.h -- libmariadb connections owned by a memory context.
 *
 * mysql_client.c owns every MYSQL handle: opening it with the configured
 * options (TLS, timeouts, charset), turning client errors into ereport with
 * the MySQL error number and SQLSTATE (never the password), and closing it
 * when the owning memory context goes away, so an ERROR cannot leak it.
 */
#ifndef CHAMELEON_MYSQL_CLIENT_H
#define CHAMELEON_MYSQL_CLIENT_H

/*
 * libmariadb's ma_list.h declares list_length, list_delete and list_free,
 * which clash with PostgreSQL's pg_list.h: rename them while mysql.h is read.
 */
#define list_length mysql_list_length
#define list_delete mysql_list_delete
#define list_free mysql_list_free
#include <mysql.h>
#undef list_length
#undef list_delete
#undef list_free

#include "config.h"

/*
 * Connect to the configured source.  The handle is closed automatically when
 * CurrentMemoryContext is reset or deleted (including on transaction abort);
 * chameleon_mysql_close() closes it earlier.  Failure is an ERROR.
 */
extern MYSQL *chameleon_mysql_connect(const ChameleonConfig *cfg);
extern void chameleon_mysql_close(MYSQL *conn);

/* Run a statement that returns no rows; ERROR on failure. */
extern void chameleon_mysql_exec(MYSQL *conn, const char *sql);

/*
 * Run a query and return its stored result (mysql_store_result), or NULL if
 * the statement returns no result set.  The result is freed with its owning
 * memory context, or earlier with chameleon_mysql_free_result().
 */
extern MYSQL_RES *chameleon_mysql_query(MYSQL *conn, const char *sql);
extern void chameleon_mysql_free_result(MYSQL_RES *res);

/*
 * Like chameleon_mysql_query(), but a failed statement returns false instead
 * of raising an ERROR; the error stays on conn (mysql_errno(),
 * chameleon_mysql_error_text()).  *result is NULL for no result set.
 */
extern bool chameleon_mysql_try_query(MYSQL *conn, const char *sql,
									  MYSQL_RES **result);

/*
 * Run a query expected to return at most one row with one column; returns a
 * palloc'd copy of that value, or NULL for no row / SQL NULL.
 */
extern char *chameleon_mysql_query_value(MYSQL *conn, const char *sql);

/* Quote a string as a MySQL literal ('...'), palloc'd. */
extern char *chameleon_mysql_quote_literal(MYSQL *conn, const char *str);

/* Quote a name as a MySQL identifier (`...`, backticks doubled), palloc'd. */
extern char *chameleon_mysql_quote_identifier(const char *ident);

/*
 * ereport(elevel) for the last error on conn, with "what" saying what we
 * were doing.  Reads the error text before anything can close the handle.
 */
extern void chameleon_mysql_report(MYSQL *conn, int elevel, const char *what);

/* The same for a replication command (register, dump): access errors mean a missing grant. */
extern void chameleon_mysql_report_replication(MYSQL *conn, int elevel, const char *what);

/*
 * The number of the last MySQL error this process reported as an ereport
 * (0: none); reset: forget it.
 */
extern unsigned int chameleon_mysql_last_reported(bool reset);

/* "MySQL error N (SQLSTATE): text" for the last error on conn, palloc'd. */
extern char *chameleon_mysql_error_text(MYSQL *conn);

#endif							/* CHAMELEON_MYSQL_CLIENT_H */
