/*
 * typemap.h -- MySQL/MariaDB column types and their PostgreSQL counterparts.
 *
 * typemap.c owns the one mapping table of the project: a MySQL COLUMN_TYPE
 * string (as information_schema.COLUMNS.COLUMN_TYPE prints it, or as DDL
 * writes it) is parsed into a ChameleonMySQLType and mapped to a PostgreSQL
 * type name plus the "value kind" that tells the copy path (copy.c) and the
 * binlog decoder (decode.c) how to write its values.
 *
 * Both paths must produce the SAME PostgreSQL input text for the same MySQL
 * value, so that a copied row and a streamed row are identical.  The
 * canonical text forms are (kind: PostgreSQL type -> text written):
 *   INT      smallint/integer/bigint      decimal digits, '-' sign
 *   UINT     integer/bigint/numeric(20)   decimal digits
 *   BOOL     boolean (tinyint(1) by option) 't' / 'f' (0 -> f, anything else -> t)
 *   DECIMAL  numeric(p,s)                 MySQL's exact digits, scale s, e.g. -12.50
 *   FLOAT    real                         shortest text that round-trips the float
 *   DOUBLE   double precision             shortest text that round-trips the double
 *   BIT      bit varying(n)               exactly n '0'/'1' characters, MSB first
 *   YEAR     smallint                     1901..2155, 0 for year 0000
 *   DATE     date                         YYYY-MM-DD; zero date / zero month or day -> NULL
 *                                          (zero_dates_to_null; otherwise an error)
 *   TIME     interval                     [-]HH:MM:SS[.ffffff] (hours may exceed 24)
 *   DATETIME timestamp(fsp)               YYYY-MM-DD HH:MM:SS[.ffffff]; zero -> NULL
 *   TIMESTAMP timestamptz(fsp)            YYYY-MM-DD HH:MM:SS[.ffffff]+00 (UTC); zero -> NULL
 *   TEXT     char(n)/varchar(n)/text      the string converted to UTF-8
 *   BINARY   bytea                        \x + lower-case hex (BINARY(n) padded with 0x00 to n)
 *   ENUM     text + CHECK (label list)    the label; index 0 (invalid '') -> ''
 *   SET      text[]                       {a,b} array literal, members in definition order
 *   JSON     jsonb                        JSON text
 *   GEOMETRY bytea                        \x hex of MySQL's internal value (4-byte SRID + WKB)
 *   UUID     uuid                         8-4-4-4-12 lower-case hex
 *   INET     inet                         address text
 * Fractional seconds: exactly fsp digits are kept (none when fsp = 0).
 */
#ifndef CHAMELEON_TYPEMAP_H
#define CHAMELEON_TYPEMAP_H

#include "nodes/pg_list.h"

typedef enum ChameleonValueKind
{
	CHAMELEON_KIND_INT,
	CHAMELEON_KIND_UINT,
	CHAMELEON_KIND_BOOL,
	CHAMELEON_KIND_DECIMAL,
	CHAMELEON_KIND_FLOAT,
	CHAMELEON_KIND_DOUBLE,
	CHAMELEON_KIND_BIT,
	CHAMELEON_KIND_YEAR,
	CHAMELEON_KIND_DATE,
	CHAMELEON_KIND_TIME,
	CHAMELEON_KIND_DATETIME,
	CHAMELEON_KIND_TIMESTAMP,
	CHAMELEON_KIND_TEXT,
	CHAMELEON_KIND_BINARY,
	CHAMELEON_KIND_ENUM,
	CHAMELEON_KIND_SET,
	CHAMELEON_KIND_JSON,
	CHAMELEON_KIND_GEOMETRY,
	CHAMELEON_KIND_UUID,
	CHAMELEON_KIND_INET,
	CHAMELEON_KIND_POSTGIS		/* a spatial value into a PostGIS geometry
								 * column (GEOMETRY: into bytea, as EWKB) */
} ChameleonValueKind;

/* A parsed MySQL column type, e.g. "int(10) unsigned zerofill". */
typedef struct ChameleonMySQLType
{
	char	   *base;			/* lower-case base type: "int", "varchar", "enum", ... */
	bool		is_unsigned;
	bool		zerofill;
	int			length;			/* (n) of char/varchar/binary/varbinary/bit/int display; -1 if none */
	int			precision;		/* decimal/float (p[,s]); -1 if none */
	int			scale;			/* decimal scale; -1 if none */
	int			fsp;			/* time/datetime/timestamp fractional digits, 0..6 */
	List	   *labels;			/* enum/set labels (char *), in definition order */
	char	   *charset;		/* "binary" for binary strings; NULL if unknown */
	/* added by typemap.c: */
	char	   *collation;		/* from a COLLATE clause (DDL); NULL if none */
	int			srid;			/* spatial: the column's SRID (SRID n,
								 * REF_SYSTEM_ID=n, information_schema); -1 none */
	bool		is_serial;		/* SERIAL: also NOT NULL AUTO_INCREMENT UNIQUE */
} ChameleonMySQLType;

/*
 * One entry of the configuration's type_override (the 2.x form
 * "tinyint(1)": {override_to: boolean, override_tables: ["*"]}): columns of
 * that MySQL type, in the listed tables, get the PostgreSQL type instead.
 * A type written without a length or precision matches any; unsigned must
 * match.
 */
typedef struct ChameleonTypeOverride
{
	char	   *mysql_type;		/* as written, e.g. "tinyint(1)" */
	ChameleonMySQLType *parsed;
	char	   *pg_type;		/* override_to */
	List	   *tables;			/* char *: plain table names; "*": every table */
} ChameleonTypeOverride;

/* Options that change the mapping (from the config). */
typedef struct ChameleonTypeOptions
{
	List	   *overrides;		/* ChameleonTypeOverride *, first match wins */
	const char *table;			/* the table being mapped (NULL: only "*" overrides) */
	bool		tinyint1_as_boolean;
	bool		postgis;		/* PostGIS installed: spatial -> geometry */
	const char *postgis_schema; /* its schema (NULL: geometry unqualified) */
	List	   *hexify;			/* lower-case base types copied as bytea */
} ChameleonTypeOptions;

/* The mapping result. */
typedef struct ChameleonPgType
{
	char	   *pg_type;		/* e.g. "numeric(20)", "timestamp(3) without time zone" */
	ChameleonValueKind kind;
	/*
	 * For enum and set: a CHECK expression as a printf/format() string with
	 * one %s for the quoted column, every other '%' doubled, e.g.
	 * "%s IN ('a', 'b', '')" or "%s <@ ARRAY['a', 'b']::text[]".  Use
	 * chameleon_type_check_sql() to fill it in.  NULL for other types.
	 */
	char	   *check_expr;
	const ChameleonTypeOverride *override;	/* the type_override applied, or NULL */
} ChameleonPgType;

/* Parse a COLUMN_TYPE string; ERROR with a clear message if it is not a MySQL type. */
extern ChameleonMySQLType *chameleon_parse_mysql_type(const char *column_type);

/* Map a parsed type; opts may be NULL (defaults). */
extern ChameleonPgType *chameleon_map_mysql_type(const ChameleonMySQLType *mt,
												 const ChameleonTypeOptions *opts);

extern const char *chameleon_value_kind_name(ChameleonValueKind kind);

/*
 * Parse a type at the start of a DDL column definition ("int(11) NOT NULL
 * DEFAULT 0"): stops before the first word that is not part of the type and
 * sets *consumed to the number of bytes used.
 */
extern ChameleonMySQLType *chameleon_parse_mysql_type_prefix(const char *text, int *consumed);

/* Does the override apply to this type in opts->table? */
extern bool chameleon_type_override_matches(const ChameleonTypeOverride *o,
											const ChameleonMySQLType *mt, const char *table);

/* The check_expr of pt for the given quoted column name; NULL if none. */
extern char *chameleon_type_check_sql(const ChameleonPgType *pt, const char *quoted_column);

/* A parsed type as MySQL prints COLUMN_TYPE, e.g. "int(10) unsigned zerofill". */
extern char *chameleon_format_mysql_type(const ChameleonMySQLType *mt);

/*
 * The canonical base of a one-word MySQL type name ("integer" -> "int",
 * "numeric" -> "decimal", "geomcollection" -> "geometrycollection"), or NULL
 * if it is not a MySQL type.  Case-insensitive; for validating hexify.
 */
extern const char *chameleon_mysql_base_type(const char *name);

/* What MySQL's string escape \e stands for; -1 for \% and \_ (kept with the backslash). */
extern int	chameleon_mysql_unescape(char e);

/*
 * Can a column of this type receive MySQL's zero dates ('0000-00-00',
 * '2015-00-21', ...)?  With zero_dates_to_null they arrive as NULL, so the
 * PostgreSQL column is never NOT NULL: one rule for the copy (schema.c) and
 * every DDL path (ddl_translate.c).
 */
extern bool chameleon_type_takes_zero_dates(const ChameleonPgType *pt);

/*
 * The schema of the PostGIS extension of the current database, or NULL when
 * it has none (spatial columns are then bytea).  In a transaction.
 */
extern char *chameleon_postgis_schema(void);

#endif							/* CHAMELEON_TYPEMAP_H */
