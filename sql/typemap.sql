-- MySQL/MariaDB -> PostgreSQL type mapping: chameleon.map_type() and
-- chameleon.map_type_details().  Runs after install (the extension exists).
\pset null '(null)'

-- Every valid input seen, for the round-trip check at the end.
CREATE TEMP TABLE seen (mysql_column_type text);

-- A mapping row for each input, in the order given.
CREATE FUNCTION pg_temp.mapped(VARIADIC types text[])
RETURNS TABLE (mysql_column_type text, pg_type text, value_kind text,
               check_expr text, mysql_type text)
LANGUAGE sql AS $$
    INSERT INTO seen SELECT unnest(types);
    SELECT u.t, d.pg_type, d.value_kind, d.check_expr, d.mysql_type
    FROM unnest(types) WITH ORDINALITY AS u(t, n),
         LATERAL chameleon.map_type_details(u.t) AS d
    ORDER BY u.n
$$;

-- The error each input raises: SQLSTATE, message, detail, hint.
CREATE FUNCTION pg_temp.map_error(t text)
RETURNS TABLE (code text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chameleon.map_type(t);
    code := 'no error';
    RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN NEXT;
END
$$;

CREATE FUNCTION pg_temp.map_errors(VARIADIC types text[])
RETURNS TABLE (input text, code text, message text, detail text, hint text)
LANGUAGE sql AS $$
    SELECT u.t, e.* FROM unnest(types) WITH ORDINALITY AS u(t, n),
                    LATERAL pg_temp.map_error(u.t) AS e
    ORDER BY u.n
$$;

-- map_type itself
SELECT chameleon.map_type('int(11)'), chameleon.map_type('bigint(20) unsigned'),
       chameleon.map_type('enum(''a'',''b'')'), chameleon.map_type(NULL) IS NULL AS null_in_null_out;

-- Integers: signed, unsigned (widened), zerofill (implies unsigned), display widths,
-- aliases, spacing and case.
SELECT * FROM pg_temp.mapped(
    'tinyint', 'tinyint(4)', 'tinyint(3) unsigned', 'tinyint unsigned zerofill',
    'tinyint(1)', 'TINYINT(1)', 'tinyint(1) unsigned', 'bool', 'BOOLEAN',
    'smallint', 'smallint(6)', 'smallint unsigned', 'smallint(5) unsigned zerofill',
    'mediumint', 'mediumint(9)', 'mediumint(8) unsigned',
    'int', 'int(11)', 'int(10) unsigned', 'int(10) unsigned zerofill', 'int zerofill',
    'int zerofill unsigned', 'integer', 'INTEGER SIGNED', 'int(0)', 'int(255)',
    'bigint', 'bigint(20)', 'bigint(20) unsigned', 'bigint unsigned zerofill', 'serial',
    'int1', 'int2', 'int3', 'middleint', 'int4', 'int8',
    '  INT ( 11 )   UNSIGNED  ', 'int(5)unsigned', E'int\t(11)\nunsigned');

-- Fixed point: numeric(p,s), default (10,0); unsigned changes nothing.
SELECT * FROM pg_temp.mapped(
    'decimal', 'decimal(10,0)', 'decimal(5)', 'decimal(0)', 'decimal(5,2)',
    'decimal(65,30) unsigned', 'decimal(65,38)', 'decimal(10,2) unsigned zerofill',
    'DECIMAL( 12 , 4 )', 'numeric', 'numeric(5,2)', 'dec(4)', 'fixed(7,3)', 'fixed');

-- Floating point: float -> real, float(p > 24) and double/real -> double precision.
SELECT * FROM pg_temp.mapped(
    'float', 'float(0)', 'float(10)', 'float(24)', 'float(25)', 'float(53)',
    'float(7,3)', 'float(255,30)', 'float unsigned', 'float unsigned zerofill', 'float4',
    'double', 'double precision', 'DOUBLE   PRECISION', 'double(10,2) unsigned',
    'double precision(5,1)', 'real', 'real(5,2)', 'float8');

-- Bits, years, dates and times (fsp kept exactly; MySQL TIME -> interval).
SELECT * FROM pg_temp.mapped(
    'bit', 'bit(0)', 'bit(1)', 'bit(8)', 'bit(64)',
    'year', 'year(4)', 'year(2)', 'date',
    'time', 'time(0)', 'time(1)', 'time(3)', 'time(6)',
    'datetime', 'datetime(0)', 'datetime(3)', 'datetime(6)',
    'timestamp', 'timestamp(0)', 'timestamp(1)', 'timestamp(6)',
    'datetime /* mariadb-5.3 */', 'time(6) /* mariadb-5.3 */');

-- Character strings, with the character set and collation clauses of DDL.
SELECT * FROM pg_temp.mapped(
    'char', 'char(1)', 'char(10)', 'char(255)', 'char(0)', 'character(5)',
    'varchar(255)', 'varchar(1)', 'varchar(0)', 'varchar(65535)', 'VARCHAR(16383)',
    'character varying(20)', 'char varying(5)',
    'nchar(5)', 'national char(5)', 'national character(2)', 'national character varying(5)',
    'national char varying(6)', 'national varchar(3)', 'nvarchar(4)', 'nchar varchar(4)',
    'nchar varying(7)',
    'char(10) character set latin1', 'char(10) CHARSET utf8mb4 COLLATE utf8mb4_bin',
    'varchar(10) char set latin1 collate latin1_general_ci', 'varchar(10) binary',
    'varchar(10) ascii binary', 'char(5) unicode', 'varchar(10) charset ''utf8mb4''',
    'tinytext', 'text', 'text(100)', 'text(4294967295)', 'mediumtext', 'longtext',
    'long', 'long varchar', 'long char varying', 'long character set latin1',
    'tinytext charset latin1 collate latin1_bin', 'longtext collate utf8mb4_bin');

-- Binary strings: binary types, blobs, and text types with character set binary.
SELECT * FROM pg_temp.mapped(
    'binary', 'binary(16)', 'binary(0)', 'varbinary(200)', 'varbinary(65535)',
    'char(16) character set binary', 'varchar(10) charset binary', 'char byte',
    'varchar(3) byte', 'text character set binary', 'tinytext byte',
    'mediumtext charset binary', 'longtext charset binary', 'long varchar charset binary',
    'tinyblob', 'blob', 'blob(100)', 'mediumblob', 'longblob', 'long varbinary');

-- Enum -> text + CHECK (the '' is MySQL's value for invalid input);
-- set -> text[] + CHECK.  Labels in MySQL quoting: '' and backslash escapes,
-- double quotes, commas and parentheses, trailing spaces (removed, as MySQL does).
SELECT * FROM pg_temp.mapped(
    'enum(''a'',''b'')', 'ENUM(''Small'', ''Medium'' , ''Large'')',
    'enum(''a'',''b,c'',''d''''e'',''f\\g'',''(x)'',''É'')',
    'enum('''')', 'enum(''x  '', ''y'', '''')', 'enum("dq",''it''''s "ok"'')',
    'enum(''it\''s'', "say ""hi""", ''x\"y'')',
    'enum(''100%'', ''50%s'', ''\%'', ''a\_b'')',
    'enum(''a'') character set binary', 'enum(''a'',''B'') collate utf8mb4_bin',
    'enum(''O''''Brien'', ''x), y'', ''))(('')',
    'set(''x'',''y'')', 'SET ( ''read'' , ''write'' )', 'set(''a''''b'',''c\''d'',''"q"'')',
    'set('''')', 'set(''50%'', ''x y'')');

-- Control characters in labels (shown as JSON strings).
SELECT to_json(check_expr) AS check_expr, to_json(mysql_type) AS mysql_type
FROM pg_temp.mapped(
    E'enum(''tab\\tx'', ''new\\nline'', ''cr\\r'', ''ctrl\\Z'', ''bs\\b'', ''lit\tTAB'', ''q\\"'')');

-- JSON, spatial, MariaDB uuid/inet.
SELECT * FROM pg_temp.mapped(
    'json', 'JSON', 'geometry', 'point', 'linestring', 'polygon', 'multipoint',
    'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection',
    'uuid', 'inet4', 'inet6', 'INET6');

-- Options: tinyint(1) as boolean.
SELECT t, d.pg_type, d.value_kind
FROM unnest(ARRAY['tinyint(1)', 'tinyint(1) unsigned', 'bool', 'boolean', 'tinyint',
                  'tinyint(2)', 'tinyint(4)', 'smallint(1)', 'bit(1)']) WITH ORDINALITY AS u(t, n),
     LATERAL chameleon.map_type_details(t, tinyint1_as_boolean => true) d
ORDER BY n;

-- Options: hexify (base type names, aliases and case allowed) -> bytea.
SELECT t, h AS hexify, d.pg_type, d.value_kind
FROM (VALUES (1, 'blob', '{blob}'::text[]), (2, 'tinyblob', '{blob}'), (3, 'geometry', '{geometry}'),
             (4, 'point', '{geometry}'), (5, 'point', '{POINT}'), (6, 'int(11)', '{integer}'),
             (7, 'integer unsigned', '{INT}'), (8, 'char(16) character set binary', '{binary}'),
             (9, 'varchar(10) byte', '{varchar}'), (10, 'decimal(5,2)', '{numeric}'),
             (11, 'enum(''a'')', '{enum}'), (12, 'json', '{json,blob}'),
             (13, 'geomcollection', '{geometrycollection}'), (14, 'float(30)', '{double}'),
             (15, 'text', '{}')) AS v(n, t, h),
     LATERAL chameleon.map_type_details(t, hexify => h) d
ORDER BY n;
-- hexify beats tinyint1_as_boolean
SELECT * FROM chameleon.map_type_details('tinyint(1)', true, '{tinyint}');

-- Options: PostGIS present -> geometry.
SELECT t, d.pg_type, d.value_kind
FROM unnest(ARRAY['geometry', 'point', 'multipolygon', 'geomcollection', 'blob']) WITH ORDINALITY AS u(t, n),
     LATERAL chameleon.map_type_details(t, postgis => true) d
ORDER BY n;

-- Bad hexify lists.
SELECT * FROM chameleon.map_type_details('blob', hexify => '{blub}');
SELECT * FROM chameleon.map_type_details('blob', hexify => '{blob,NULL}');

-- Every mapped type is a valid PostgreSQL type: create a column of each.
DO $$
DECLARE
    r record;
BEGIN
    CREATE TEMP TABLE all_types ();
    FOR r IN
        SELECT DISTINCT d.pg_type
        FROM unnest(ARRAY['tinyint', 'smallint unsigned', 'int unsigned', 'bigint unsigned',
                          'bigint', 'decimal(65,38)', 'float', 'double', 'bit(64)', 'year',
                          'date', 'time(0)', 'time(6)', 'datetime', 'datetime(6)',
                          'timestamp', 'timestamp(3)', 'char(0)', 'char(255)', 'varchar(0)',
                          'varchar(65535)', 'text', 'blob', 'enum(''a'')', 'set(''a'')',
                          'json', 'point', 'uuid', 'inet6']) AS t,
             LATERAL chameleon.map_type_details(t) d
        ORDER BY 1
    LOOP
        EXECUTE format('ALTER TABLE all_types ADD COLUMN %I %s', r.pg_type, r.pg_type);
    END LOOP;
END
$$;
SELECT attname AS pg_type, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'all_types'::regclass AND attnum > 0
ORDER BY attnum;

-- The CHECK expressions work: valid labels and '' pass, others fail.
DO $$
DECLARE
    e text;
    s text;
BEGIN
    SELECT check_expr INTO e
    FROM chameleon.map_type_details('enum(''a'',''b,c'',''d''''e'',''f\\g'',''(x)'',''100%'')');
    SELECT check_expr INTO s FROM chameleon.map_type_details('set(''r'',''w'',''50%'')');
    EXECUTE format('CREATE TEMP TABLE labels (e text CHECK (%s), s text[] CHECK (%s))',
                   format(e, quote_ident('e')), format(s, quote_ident('s')));
END
$$;
INSERT INTO labels VALUES ('a', '{}'), ('b,c', '{r}'), ('d''e', '{r,w}'), (E'f\\g', '{50%}'),
                          ('(x)', NULL), ('100%', NULL), ('', NULL), (NULL, NULL);
SELECT * FROM labels;
INSERT INTO labels VALUES ('A', NULL);
INSERT INTO labels VALUES ('f\\g', NULL);
INSERT INTO labels VALUES (NULL, '{r,x}');

-- Bad input: each a clear error.
\set VERBOSITY default
SELECT chameleon.map_type('int(');
SELECT chameleon.map_type('varchar(abc)');
SELECT chameleon.map_type('decimal(5,6)');
SELECT chameleon.map_type('frobnicate(3)');
SELECT chameleon.map_type('varchar(10) unsigned');
SELECT * FROM pg_temp.map_errors(
    '', '   ', 'int(', 'int)', 'int(11', 'int(abc)', 'int(-1)', 'int(256)', 'int(11,2)',
    'int unsigned foo', 'int not null', 'int signed unsigned', 'int(11) zerofill signed',
    'bool unsigned', 'serial unsigned', 'bool(1)', 'int character set latin1',
    'int collate utf8mb4_bin', 'int binary',
    'varchar', 'varchar()', 'varchar(abc)', 'varchar(65536)', 'varbinary', 'char(256)',
    'binary(256)', 'char(10) character set', 'char(10) collate', 'varchar(5) unsigned',
    'blob character set latin1', 'text(4294967296)', 'tinytext(10)', 'longblob(5)',
    'decimal(70,2)', 'decimal(66)', 'decimal(65,39)', 'decimal(5,6)', 'decimal(10,2,3)',
    'decimal(-1)', 'decimal(5,)', 'float(54)', 'float(10,31)', 'float(3,5)', 'float(256,2)',
    'double(5)', 'real(5)', 'double precision precision', 'double(5,2,1)',
    'bit(65)', 'bit(n)', 'year(256)', 'datetime(7)', 'time(10)', 'timestamp(-1)',
    'timestamp(3', 'date(1)', 'json(5)', 'uuid(1)', 'inet6()', 'point(1,2)',
    'enum', 'enum()', 'enum(  )', 'enum(''a'',)', 'enum(''a''', 'enum(''a', 'enum(a,b)',
    'enum(''a'' ''b'')', 'enum(''a'',''a'')', 'enum(''a '', ''a'')', 'enum(''a\0b'')',
    'enum(''a'') unsigned', 'set(''a,b'')', 'set(''x'',''x'')',
    'frobnicate', 'frobnicate(3)', 'national int', 'long blob', 'int4 /* unterminated',
    'datetime /*!50000 x */', '(int)', '5', 'int;', 'character set latin1',
    'varchar(10);drop table x');
-- at most 64 set members
SELECT code, message, detail FROM pg_temp.map_error(
    'set(' || (SELECT string_agg(quote_literal('m' || i), ',') FROM generate_series(1, 65) i) || ')');
-- but 64 set members are fine, as are 100 enum labels
SELECT pg_type, value_kind, length(check_expr) FROM chameleon.map_type_details(
    'set(' || (SELECT string_agg(quote_literal('m' || i), ',') FROM generate_series(1, 64) i) || ')');
SELECT pg_type, value_kind, length(check_expr) FROM chameleon.map_type_details(
    'enum(' || (SELECT string_agg(quote_literal('m' || i), ',') FROM generate_series(1, 100) i) || ')');

-- Round trip: the canonical MySQL text of every valid input above parses to
-- the same type (no rows expected).
SELECT s.mysql_column_type, d1.mysql_type, d2.mysql_type AS reparsed
FROM seen s,
     LATERAL chameleon.map_type_details(s.mysql_column_type) d1,
     LATERAL chameleon.map_type_details(d1.mysql_type) d2
WHERE (d1.pg_type, d1.value_kind, d1.check_expr, d1.mysql_type)
      IS DISTINCT FROM (d2.pg_type, d2.value_kind, d2.check_expr, d2.mysql_type);
SELECT count(*) AS inputs_checked FROM seen;

-- Spatial types: PostGIS geometry with the column's type and SRID, else bytea (EWKB).
SELECT t, (chameleon.map_type_details(t, postgis => true)).pg_type AS with_postgis,
       (chameleon.map_type_details(t)).pg_type AS without
FROM unnest(ARRAY['point', 'point srid 4326', 'geometry', 'geometry srid 3857',
                  'linestring', 'polygon ref_system_id=4326', 'multipoint', 'multilinestring',
                  'multipolygon srid 4326', 'geometrycollection', 'geomcollection srid 4326']) AS t;

-- MySQL's internal spatial format (SRID, little-endian, then WKB) to EWKB: byte vectors.
-- POINT(1 2), SRID 0: plain WKB
SELECT chameleon.mysql_geometry_to_ewkb('\x00000000010100000000000000000000F03F0000000000000040'::bytea);
-- Boston in EPSG 4326, written lat-long as MySQL 8 reads WKT for that SRS:
-- ST_GeomFromText('POINT(42.36 -71.06)', 4326). MySQL 8 stores it longitude first
-- (https://dev.mysql.com/worklog/task/?id=9436), x = -71.06, y = 42.36, as PostGIS
-- keeps it: no swap, the SRID flag and the SRID
SELECT chameleon.mysql_geometry_to_ewkb('\xE6100000010100000085EB51B81ECA51C0AE47E17A142E4540'::bytea);
-- the same point as big-endian WKB: type and SRID in big-endian
SELECT chameleon.mysql_geometry_to_ewkb('\xE61000000000000001C051CA1EB851EB85402E147AE147AE'::bytea);
-- POLYGON((0 0,1 0,1 1,0 0)) SRID 3857: only the outer type gets the SRID
SELECT chameleon.mysql_geometry_to_ewkb('\x110F000001030000000100000004000000000000000000000000000000000000000000000000000000F03F0000000000000000000000000000F03F000000000000F03F00000000000000000000000000000000'::bytea);
-- GEOMETRYCOLLECTION(POINT(1 2)) SRID 4326: the inner point stays plain WKB
SELECT chameleon.mysql_geometry_to_ewkb('\xE6100000010700000001000000010100000000000000000000F03F0000000000000040'::bytea);
-- not spatial values
SELECT chameleon.mysql_geometry_to_ewkb('\x0000000001'::bytea);
SELECT chameleon.mysql_geometry_to_ewkb('\x00000000050100000000000000000000F03F0000000000000040'::bytea);

DROP EXTENSION pg_chameleon;

