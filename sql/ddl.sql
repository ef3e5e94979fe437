-- MySQL/MariaDB DDL -> PostgreSQL: chameleon.translate_ddl() and
-- chameleon.translate_ddl_details().  Statements are written from the syntax
-- forms of the MySQL 8 and MariaDB manuals.  Runs after install.
\pset null '(null)'
-- typemap.sql drops the extension at its end: have it here whichever way.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_chameleon;
RESET client_min_messages;

-- The translation of a text, one line per item: the MySQL statement with its
-- kind, then "=>" PostgreSQL statements and "--" notes.
CREATE FUNCTION pg_temp.lines(sql text, db text)
RETURNS TABLE (line text)
LANGUAGE sql AS $$
    SELECT u.l
    FROM chameleon.translate_ddl_details(sql, db) AS d,
         unnest(ARRAY[format('%s: %s', d.kind, d.source)] ||
                ARRAY(SELECT '    => ' || s FROM unnest(d.translation) AS s) ||
                ARRAY(SELECT '    -- ' || n FROM unnest(d.notes) AS n))
             WITH ORDINALITY AS u(l, i)
    ORDER BY d.stmt, u.i
$$;

-- Each text translated on its own (no table known), default database shop.
CREATE FUNCTION pg_temp.each(VARIADIC sqls text[])
RETURNS TABLE (translation text)
LANGUAGE sql AS $$
    SELECT l.line
    FROM unnest(sqls) WITH ORDINALITY AS s(sql, n),
         LATERAL pg_temp.lines(s.sql, 'shop') WITH ORDINALITY AS l(line, i)
    ORDER BY s.n, l.i
$$;

-- The error of each text: SQLSTATE, message, detail.
CREATE FUNCTION pg_temp.err(sql text, db text)
RETURNS TABLE (code text, message text, detail text)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chameleon.translate_ddl_details(sql, db);
    code := 'no error';
    RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL;
    RETURN NEXT;
END
$$;

CREATE FUNCTION pg_temp.errors(VARIADIC sqls text[])
RETURNS TABLE (mysql text, code text, message text, detail text)
LANGUAGE sql AS $$
    SELECT s.sql, e.* FROM unnest(sqls) WITH ORDINALITY AS s(sql, n),
                      LATERAL pg_temp.err(s.sql, 'shop') AS e
    ORDER BY s.n
$$;

-- Run the translation in this database; returns what was run.
CREATE FUNCTION pg_temp.apply(sql text, db text DEFAULT 'shop')
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    s text;
BEGIN
    FOR s IN SELECT * FROM chameleon.translate_ddl(sql, db) LOOP
        EXECUTE s;
        RETURN NEXT s;
    END LOOP;
END
$$;

-- ========== the functions themselves ==========

SELECT * FROM chameleon.translate_ddl('CREATE TABLE t (id int PRIMARY KEY)', 'shop');
SELECT count(*) AS null_sql_rows FROM chameleon.translate_ddl(NULL, 'shop');
SELECT count(*) AS null_sql_rows FROM chameleon.translate_ddl_details(NULL);
SELECT stmt, kind, source, translation, tables, foreign_keys, notes
FROM chameleon.translate_ddl_details('CREATE TABLE shop.t (a int) COMMENT ''x''');

-- ========== lexical rules ==========

SELECT * FROM pg_temp.each(
    -- keywords in any case; names keep their case
    $$create TABLE Mixed_Case (Id INT, nAmE VarChar(10))$$,
    -- backticks, a doubled backtick inside, reserved words as names
    $$CREATE TABLE `we``ird` (`col``1` int, `select` int, `order` int)$$,
    -- spaces and symbols in quoted names
    $$CREATE TABLE `my table` (`a b` int, `x-y` int, `$dollar` int)$$,
    -- names that start with a digit, non-ASCII names
    $$CREATE TABLE 1t (2col int, café int, `日本` int)$$,
    -- all comment styles; "--" needs a space after it
    $$CREATE /* block */ TABLE c1 -- line comment
      (a int, # hash comment
       b int /* inline */ NOT NULL)$$,
    -- version comments are SQL
    $$CREATE TABLE v1 (a int) /*!50100 ENGINE=InnoDB */ /*!80016 DEFAULT ENCRYPTION='N' */$$,
    $$CREATE TABLE v2 (a int /*!50606 COMMENT 'from a version comment' */, b int /*M!100301 INVISIBLE */)$$,
    $$/*!40101 CREATE TABLE v3 (a int unsigned) */$$,
    $$CREATE TABLE v4 (a int /*! unsigned */ NOT NULL)$$,
    -- strings: doubled quotes, backslash escapes, double quotes, concatenation
    $$CREATE TABLE s1 (a varchar(20) DEFAULT 'it''s' COMMENT "say \"hi\"")$$,
    $$CREATE TABLE s2 (a varchar(20) DEFAULT 'tab\there\\n' COMMENT 'a' ' b' " c")$$,
    $$CREATE TABLE s3 (a varchar(20) DEFAULT _utf8mb4'intro', b varchar(5) DEFAULT N'nat', c text COMMENT 'x#y--z/*w*/')$$,
    $$CREATE TABLE s4 (a varchar(10) DEFAULT '%\_\%', b varchar(10) DEFAULT 'a\'b')$$,
    -- schema-qualified names, spaces around the dot
    $$CREATE TABLE other.q1 (a int)$$,
    $$CREATE TABLE `other`.`q2` (a int)$$,
    $$CREATE TABLE other . q3 (a int)$$,
    -- several statements in one text; semicolons in strings and comments
    $$CREATE TABLE m1 (a varchar(5) DEFAULT ';'); /* ; */ DROP TABLE m1;$$
);

-- ========== CREATE TABLE: column types ==========

SELECT * FROM pg_temp.each(
    $$CREATE TABLE ty1 (a tinyint, b tinyint(1), c smallint(6) unsigned, d mediumint,
        e int(11) unsigned zerofill, f bigint(20) unsigned, g integer, h bool)$$,
    $$CREATE TABLE ty2 (a decimal(10,2), b numeric, c float, d float(30), e double precision,
        f real, g bit(1), h bit(64), i year(4))$$,
    $$CREATE TABLE ty3 (a date, b datetime, c datetime(6), d timestamp(3), e time(2))$$,
    $$CREATE TABLE ty4 (a char(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci,
        b varchar(255) CHARSET utf8mb4 COLLATE utf8mb4_bin, c tinytext, d mediumtext,
        e longtext, f national char varying(5), g varchar(10) BINARY)$$,
    $$CREATE TABLE ty5 (a binary(16), b varbinary(200), c tinyblob, d blob, e longblob,
        f char(4) CHARACTER SET binary)$$,
    $$CREATE TABLE ty6 (a enum('x','y','it''s') NOT NULL, b set('r','w','x') DEFAULT 'w,r',
        c json, d geometry, e point NOT NULL SRID 4326)$$,
    $$CREATE TABLE ty7 (id serial, u uuid DEFAULT uuid(), i4 inet4, i6 inet6)$$
);

-- ========== CREATE TABLE: column attributes and defaults ==========

SELECT * FROM pg_temp.each(
    $$CREATE TABLE d1 (a int NULL DEFAULT NULL, b int NOT NULL DEFAULT '42', c int DEFAULT -1,
        d decimal(6,2) DEFAULT +1.5e2, e double DEFAULT .5, f int DEFAULT TRUE)$$,
    $$CREATE TABLE d2 (a timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        b datetime(6) DEFAULT CURRENT_TIMESTAMP(6), c datetime DEFAULT NOW(),
        d timestamp(3) DEFAULT LOCALTIMESTAMP(3), e date DEFAULT (CURRENT_DATE),
        f datetime DEFAULT current_timestamp() ON UPDATE current_timestamp())$$,
    $$CREATE TABLE d3 (a date DEFAULT '0000-00-00', b datetime DEFAULT '0000-00-00 00:00:00',
        c date DEFAULT '2024-02-29', d datetime DEFAULT '2024-01-00 10:00:00', e time DEFAULT 120000)$$,
    $$CREATE TABLE d4 (a bit(8) DEFAULT b'101', b bit(4) DEFAULT 5, c binary(4) DEFAULT 'ab',
        d varbinary(8) DEFAULT x'00ff', e varchar(4) DEFAULT 0x41, f blob DEFAULT ('z'))$$,
    $$CREATE TABLE d5 (a set('a','b','c') DEFAULT 'C,a', b set('a','b') DEFAULT '',
        c enum('lo','hi') DEFAULT 'HI', d char(36) DEFAULT (uuid()), e double DEFAULT (rand()),
        f int DEFAULT (1 + 2), g varchar(10) DEFAULT (concat('a', 'b')))$$,
    $$CREATE TABLE d6 (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
        code varchar(20) NOT NULL UNIQUE KEY COMMENT 'the code',
        ean bigint UNIQUE, score float AUTO_INCREMENT UNIQUE KEY)$$,
    $$CREATE TABLE d7 (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL NOT NULL,
        c int AS (a + 1) STORED, d varchar(10) AS (concat(a, 'x')) PERSISTENT)$$,
    $$CREATE TABLE d8 (a int INVISIBLE COLUMN_FORMAT FIXED STORAGE DISK,
        b int CHECK (b > 0), c int CONSTRAINT c_pos CHECK (c > 0) NOT ENFORCED,
        d int REFERENCES other_table (id) ON DELETE CASCADE,
        e bigint SERIAL DEFAULT VALUE, f int COMMENT 'x' VISIBLE)$$
);

-- ========== CREATE TABLE: keys, foreign keys, checks ==========

SELECT * FROM pg_temp.each(
    $$CREATE TABLE k1 (a int, b int, c varchar(100), d text,
        PRIMARY KEY (a, b), UNIQUE KEY uk_c (c), KEY idx_b USING BTREE (b),
        INDEX idx_cd (c(10), d(255) DESC) USING HASH COMMENT 'prefixes',
        UNIQUE (b), UNIQUE INDEX (b, c), KEY (c))$$,
    $$CREATE TABLE k2 (a int NOT NULL, doc text, g geometry NOT NULL,
        CONSTRAINT pk PRIMARY KEY (a), FULLTEXT KEY ft_doc (doc), SPATIAL INDEX sp_g (g),
        KEY fn_idx ((lower(doc))), CONSTRAINT uk_a UNIQUE (a) KEY_BLOCK_SIZE=8 INVISIBLE)$$,
    $$CREATE TABLE k3 (id int PRIMARY KEY, parent int, owner int,
        CONSTRAINT fk_parent FOREIGN KEY (parent) REFERENCES k3 (id) ON DELETE SET NULL ON UPDATE CASCADE,
        FOREIGN KEY (owner) REFERENCES other.users (id) MATCH FULL ON DELETE NO ACTION,
        CONSTRAINT chk_ids CHECK (id <> parent), CHECK (owner > 0))$$
);

-- InnoDB makes an index for a foreign key that no index starts with, named
-- after the constraint, else after the first column (pid_2 if pid is taken)
SELECT * FROM pg_temp.each(
    $$CREATE TABLE k4 (id int PRIMARY KEY, pid int, qid int, KEY pid (qid), KEY pq (pid, qid),
        FOREIGN KEY (pid) REFERENCES k3 (id), FOREIGN KEY fk_named (qid) REFERENCES k3 (id))$$,
    $$CREATE TABLE k6 (id int PRIMARY KEY, pid int, qid int, KEY pid (qid), FOREIGN KEY (pid) REFERENCES k3 (id))$$,
    $$CREATE TABLE k5 (id int PRIMARY KEY, pid int, FOREIGN KEY (pid) REFERENCES k3 (id));
      ALTER TABLE k5 ADD COLUMN rid int, ADD CONSTRAINT fk_r FOREIGN KEY (rid) REFERENCES k3 (id);
      ALTER TABLE k5 ADD COLUMN sid int, ADD FOREIGN KEY (sid) REFERENCES k3 (id), ADD INDEX s_first (sid);
      ALTER TABLE k5 ADD COLUMN tid int, ADD FOREIGN KEY (tid) REFERENCES k3 (id);
      ALTER TABLE k5 ADD FOREIGN KEY (id) REFERENCES k3 (id)$$
);

-- ========== CREATE TABLE: options and variants ==========

SELECT * FROM pg_temp.each(
    $$CREATE TABLE o1 (a int) ENGINE=InnoDB AUTO_INCREMENT=17 DEFAULT CHARSET=utf8mb4
        COLLATE=utf8mb4_0900_ai_ci ROW_FORMAT=DYNAMIC COMMENT='orders, "quoted"' STATS_PERSISTENT=0$$,
    $$CREATE TABLE o2 (a int) ENGINE InnoDB, CHARACTER SET latin1, KEY_BLOCK_SIZE 8, TABLESPACE innodb_system$$,
    $$CREATE TABLE o3 (a int) ENGINE=Aria PAGE_CHECKSUM=1 TRANSACTIONAL=1 my_attribute='engine defined'$$,
    $$CREATE TABLE o4 (a int, b date) PARTITION BY RANGE (year(b)) (PARTITION p0 VALUES LESS THAN (2000),
        PARTITION p1 VALUES LESS THAN MAXVALUE)$$,
    $$CREATE TABLE o5 (a int) ENGINE=MRG_MyISAM UNION=(o1, o2) INSERT_METHOD=LAST$$,
    $$CREATE TABLE o6 (a int) WITH SYSTEM VERSIONING$$,
    $$CREATE TABLE IF NOT EXISTS o7 (a int PRIMARY KEY, b int UNIQUE)$$,
    $$CREATE TABLE o8 LIKE o1$$,
    $$CREATE TABLE IF NOT EXISTS o9 (LIKE other.o1)$$,
    $$CREATE TEMPORARY TABLE tmp1 (a int)$$,
    $$CREATE OR REPLACE TABLE o10 (a int)$$,
    $$CREATE TABLE o11 (a int, b varchar(10)) SELECT 1 AS a, 'x' AS b$$,
    $$CREATE TABLE o12 (a int) START TRANSACTION$$
);

-- ========== DROP TABLE, TRUNCATE ==========

SELECT * FROM pg_temp.each(
    $$DROP TABLE t1$$,
    $$DROP TABLE IF EXISTS t1, `t2`, other.t3 RESTRICT$$,
    $$DROP TABLES t4 CASCADE$$,
    $$DROP TABLE `t1` /* generated by server */$$,
    $$DROP TEMPORARY TABLE IF EXISTS tmp1$$,
    $$DROP TABLE t5 WAIT 10$$,
    $$TRUNCATE t1$$,
    $$TRUNCATE TABLE other.`t 2`$$
);

-- ========== ALTER TABLE on a table not known here ==========

SELECT * FROM pg_temp.each(
    $$ALTER TABLE a1 ADD COLUMN c int$$,
    $$ALTER TABLE a1 ADD c2 varchar(20) NOT NULL FIRST$$,
    $$ALTER TABLE a1 ADD COLUMN c3 enum('a','b') NOT NULL AFTER c$$,
    $$ALTER TABLE a1 ADD (x int NOT NULL DEFAULT 7, y set('p','q') NOT NULL, z bit(3) NOT NULL)$$,
    $$ALTER TABLE a1 ADD COLUMN IF NOT EXISTS w binary(2) NOT NULL, ADD v json NOT NULL, ADD u time NOT NULL$$,
    $$ALTER TABLE a1 ADD COLUMN dt datetime NOT NULL, ADD ts timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP$$,
    $$ALTER TABLE a1 ADD COLUMN id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST$$,
    $$ALTER TABLE a1 ADD COLUMN code char(3) PRIMARY KEY$$,
    $$ALTER TABLE a1 DROP COLUMN c, DROP c2, DROP COLUMN IF EXISTS c3$$,
    $$ALTER TABLE a1 MODIFY COLUMN c bigint NOT NULL DEFAULT 0$$,
    $$ALTER TABLE a1 MODIFY c varchar(20) AFTER x$$,
    $$ALTER TABLE a1 MODIFY c enum('new','old') NOT NULL DEFAULT 'new' FIRST$$,
    $$ALTER TABLE a1 MODIFY id int unsigned NOT NULL AUTO_INCREMENT$$,
    $$ALTER TABLE a1 CHANGE c d int(11) DEFAULT NULL COMMENT 'renamed'$$,
    $$ALTER TABLE a1 CHANGE COLUMN d d bigint$$,
    $$ALTER TABLE a1 RENAME COLUMN d TO e$$,
    $$ALTER TABLE a1 ALTER COLUMN e SET DEFAULT 5, ALTER e DROP DEFAULT, ALTER COLUMN f SET DEFAULT 'x'$$,
    $$ALTER TABLE a1 ALTER COLUMN e SET DEFAULT (e + 1), ALTER COLUMN e SET INVISIBLE$$,
    $$ALTER TABLE a1 ADD PRIMARY KEY (id), DROP PRIMARY KEY$$,
    $$ALTER TABLE a1 ADD UNIQUE (e), ADD UNIQUE KEY uk_f (f), ADD CONSTRAINT uk_g UNIQUE (g)$$,
    $$ALTER TABLE a1 ADD INDEX idx_e (e), ADD KEY (f, g DESC), ADD INDEX USING BTREE (h(12))$$,
    $$ALTER TABLE a1 ADD FULLTEXT INDEX ft (body), ADD SPATIAL KEY sp (geo)$$,
    $$ALTER TABLE a1 DROP INDEX idx_e, DROP KEY f, DROP INDEX `PRIMARY`$$,
    $$ALTER TABLE a1 RENAME INDEX idx_e TO idx_e2, RENAME KEY f TO f2$$,
    $$ALTER TABLE a1 ADD CONSTRAINT fk_e FOREIGN KEY (e) REFERENCES a2 (id) ON DELETE CASCADE$$,
    $$ALTER TABLE a1 DROP FOREIGN KEY fk_e, DROP CONSTRAINT c_old, DROP CHECK chk$$,
    $$ALTER TABLE a1 ADD CONSTRAINT chk CHECK (e > 0), ADD CHECK (f <> '')$$,
    $$ALTER TABLE a1 RENAME TO a2$$,
    $$ALTER TABLE a1 RENAME AS other.a3$$,
    $$ALTER TABLE a1 RENAME a4, ADD COLUMN k int$$,
    $$ALTER TABLE a1 CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci$$,
    $$ALTER TABLE a1 ENGINE=InnoDB, AUTO_INCREMENT=100 DEFAULT CHARSET=utf8mb4, COMMENT='new comment'$$,
    $$ALTER TABLE a1 ADD COLUMN n int, ALGORITHM=INPLACE, LOCK=NONE$$,
    $$ALTER TABLE a1 FORCE, DISABLE KEYS, ORDER BY e DESC, f$$,
    $$ALTER TABLE a1 ALTER INDEX idx_e INVISIBLE$$,
    $$ALTER TABLE a1 DISCARD TABLESPACE$$,
    $$ALTER TABLE a1 ADD PARTITION (PARTITION p3 VALUES LESS THAN (2030))$$,
    $$ALTER TABLE a1 REMOVE PARTITIONING$$,
    $$ALTER TABLE a1 PARTITION BY HASH (id) PARTITIONS 4$$,
    $$ALTER ONLINE IGNORE TABLE a1 ADD COLUMN o int$$,
    $$ALTER TABLE IF EXISTS a1 NOWAIT ADD COLUMN IF NOT EXISTS p int, DROP COLUMN IF EXISTS q$$,
    $$ALTER TABLE a1 MODIFY COLUMN IF EXISTS r int, CHANGE COLUMN IF EXISTS s s2 int$$,
    $$ALTER TABLE a1 ADD SYSTEM VERSIONING$$,
    $$ALTER TABLE `other`.`a1` ADD COLUMN `x y` int, ADD INDEX `idx x` (`x y`)$$
);

-- ========== RENAME TABLE, CREATE INDEX, DROP INDEX ==========

SELECT * FROM pg_temp.each(
    $$RENAME TABLE r1 TO r2$$,
    $$RENAME TABLE r1 TO r2, r3 TO r4$$,
    $$RENAME TABLE r1 TO tmp, r2 TO r1, tmp TO r2$$,
    $$RENAME TABLE shop.r1 TO archive.r1$$,
    $$RENAME TABLES IF EXISTS r1 WAIT 5 TO r5$$,
    $$CREATE INDEX i1 ON t1 (a)$$,
    $$CREATE UNIQUE INDEX i2 USING BTREE ON t1 (a, b DESC) ALGORITHM=INPLACE LOCK=NONE$$,
    $$CREATE INDEX i3 ON t1 (name(10)) COMMENT 'prefix'$$,
    $$CREATE FULLTEXT INDEX i4 ON t1 (doc)$$,
    $$CREATE SPATIAL INDEX i5 ON t1 (geo)$$,
    $$CREATE INDEX i6 ON t1 ((a + b))$$,
    $$CREATE INDEX IF NOT EXISTS i7 ON other.t1 (a)$$,
    $$CREATE OR REPLACE INDEX i8 ON t1 (a)$$,
    $$CREATE ONLINE INDEX i9 ON t1 (a)$$,
    $$DROP INDEX i1 ON t1$$,
    $$DROP INDEX `PRIMARY` ON t1$$,
    $$DROP INDEX IF EXISTS i2 ON other.t1 ALGORITHM=INPLACE LOCK=DEFAULT$$
);

-- ========== skipped statements ==========

SELECT * FROM pg_temp.each(
    $$GRANT SELECT ON shop.* TO 'app'@'%'$$,
    $$REVOKE ALL ON *.* FROM 'app'@'%'$$,
    $$CREATE USER 'app'@'%' IDENTIFIED BY 'secret'$$,
    $$DROP USER 'app'@'%'$$,
    $$ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '*0123456789ABCDEF'$$,
    $$SET PASSWORD FOR 'app'@'%' = 'secret'$$,
    $$CHANGE MASTER TO MASTER_HOST='db1', MASTER_PASSWORD='secret'$$,
    $$CREATE DATABASE shop2 CHARACTER SET utf8mb4$$,
    $$DROP DATABASE IF EXISTS shop2$$,
    $$ALTER DATABASE shop CHARACTER SET utf8mb4$$,
    $$CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW v AS SELECT 1$$,
    $$CREATE OR REPLACE VIEW v AS SELECT a FROM t1; DROP VIEW IF EXISTS v$$,
    $$CREATE DEFINER=`root`@`%` PROCEDURE p() BEGIN INSERT INTO t1 VALUES (1); DROP TABLE t1; END$$,
    $$CREATE FUNCTION f(x int) RETURNS int DETERMINISTIC RETURN x + 1$$,
    $$CREATE TRIGGER trg BEFORE INSERT ON t1 FOR EACH ROW SET NEW.a = 1$$,
    $$CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t1$$,
    $$CREATE SEQUENCE s1 START WITH 10$$,
    $$INSERT INTO t1 VALUES (1); UPDATE t1 SET a = 2; DELETE FROM t1; REPLACE INTO t1 VALUES (3)$$,
    $$SET NAMES utf8mb4; SET @@session.sql_mode = 'ANSI_QUOTES'; /*!40101 SET character_set_client = utf8 */$$,
    $$BEGIN; COMMIT; ROLLBACK; XA START 'x'; SAVEPOINT s$$,
    $$FLUSH TABLES; ANALYZE TABLE t1; OPTIMIZE TABLE t1$$,
    $$USE other; CREATE TABLE u1 (a int)$$,
    $$  /* only a comment */ -- and another$$,
    $$$$
);

-- ========== errors ==========

SELECT * FROM pg_temp.errors(
    $$CREATE TABLE e1 (a int$$,
    $$CREATE TABLE e1 (a frobnicate)$$,
    $$CREATE TABLE e1 (a int,)$$,
    $$CREATE TABLE e1 (a int DEFAULT 1--1)$$,
    $$CREATE TABLE e1 (a varchar(10) NOT)$$,
    $$CREATE TABLE e1 (a enum('x','x'))$$,
    $$CREATE TABLE e1 (a int(999))$$,
    $$CREATE TABLE e1 (a int, A int)$$,
    $$CREATE TABLE e1 (a int PRIMARY KEY, PRIMARY KEY (a))$$,
    $$CREATE TABLE e1 (`` int)$$,
    $$CREATE TABLE e1 (a datetime(7))$$,
    $$CREATE TABLE e1 AS SELECT 1 AS a$$,
    $$CREATE TABLE e1 (a int) garbage$$,
    $$CREATE TABLE e1 (a int DEFAULT CURRENT_TIMESTAMP(9))$$,
    $$ALTER TABLE e1 FROBNICATE x$$,
    $$ALTER TABLE e1 ADD COLUMN$$,
    $$ALTER TABLE e1 ADD COLUMN a int b int$$,
    $$ALTER TABLE e1 ADD INDEX (a(0))$$,
    $$ALTER TABLE e1 DROP PARTITION p0, p1$$,
    $$ALTER TABLE e1 TRUNCATE PARTITION ALL$$,
    $$ALTER TABLE e1 EXCHANGE PARTITION p0 WITH TABLE e2$$,
    $$ALTER TABLE e1 ALTER COLUMN a SET NULL$$,
    $$DROP TABLE$$,
    $$RENAME TABLE a b$$,
    $$TRUNCATE$$,
    $$CREATE INDEX ON t1 (a)$$,
    $$DROP INDEX i1$$,
    $$CREATE TABLE e1 (a varchar(10) DEFAULT 'unterminated)$$,
    $$CREATE TABLE `e1 (a int)$$,
    $$CREATE TABLE e1 (a int) /* unterminated$$,
    $$CREATE TABLE e1 (a int) /*!50100 ENGINE=InnoDB$$,
    $$CREATE TABLE e1 (a varbinary(4) DEFAULT X'ABC')$$,
    $$CREATE TABLE e1 (a bit(4) DEFAULT B'102')$$,
    $$CREATE TABLE a_table_name_that_is_much_too_long_for_postgresql_identifiers_xyz (a int)$$
);
-- an unqualified name needs the default database
SELECT * FROM pg_temp.err('CREATE TABLE e1 (a int)', NULL);
SELECT * FROM pg_temp.err('CREATE TABLE other.e1 (a int)', NULL);
-- sql_mode is not known to translate_ddl: "x" is read as a name where one is expected
SELECT * FROM pg_temp.each($$CREATE TABLE "ansi" ("col" int DEFAULT "str")$$);

-- ========== the MySQL column order after each statement ==========

SELECT stmt, kind, tables
FROM chameleon.translate_ddl_details($$
    CREATE TABLE co (a int, b int, c int);
    ALTER TABLE co ADD d int FIRST, ADD e int AFTER a;
    ALTER TABLE co MODIFY c int FIRST, DROP b;
    ALTER TABLE co CHANGE a a2 bigint AFTER e, ADD f int;
    ALTER TABLE co RENAME COLUMN a2 TO a3, RENAME TO co2;
    RENAME TABLE co2 TO co3, other_table TO other_table2;
    CREATE TABLE co4 LIKE co3;
    ALTER TABLE unknown_table ADD x int AFTER y;
    ALTER TABLE co4 ADD z int AFTER no_such_column;
    TRUNCATE co3;
    DROP TABLE co3, co4
$$, 'shop');

-- ========== known tables: keys follow renames, drops and redefinitions ==========
-- Column names ignore case (MODIFY keeps the spelling), table names do not
-- (cs is not Cs); a primary key column stays NOT NULL.

SELECT * FROM pg_temp.lines($$
    CREATE TABLE kn (id int NOT NULL AUTO_INCREMENT, a varchar(10), b enum('x','y') NOT NULL,
                     c text, PRIMARY KEY (id), UNIQUE KEY uk_ab (a, b), KEY idx_c (c(20)));
    ALTER TABLE kn MODIFY b enum('x','y','z') NOT NULL DEFAULT 'z', MODIFY id bigint NOT NULL;
    ALTER TABLE kn DROP COLUMN a;
    ALTER TABLE kn RENAME COLUMN b TO b2, RENAME INDEX uk_ab TO uk_b;
    ALTER TABLE kn ADD UNIQUE (c(10)), ADD INDEX (c(5));
    RENAME TABLE kn TO kn2;
    DROP INDEX c ON kn2;
    ALTER TABLE kn2 DROP INDEX idx_c, DROP INDEX no_such_index, DROP PRIMARY KEY;
    CREATE TABLE kn3 LIKE kn2;
    CREATE TABLE Cs (Id int PRIMARY KEY, v int);
    ALTER TABLE Cs MODIFY id bigint, MODIFY V bigint NOT NULL, CHANGE v V2 int;
    ALTER TABLE cs ADD w int
$$, 'shop');

-- ========== the translations run in PostgreSQL ==========

CREATE SCHEMA shop;
CREATE SCHEMA archive;

SELECT * FROM pg_temp.apply($$
CREATE TABLE `orders` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` int(11) NOT NULL DEFAULT '0' COMMENT 'who ordered',
  `status` enum('new','paid','shipped') NOT NULL DEFAULT 'new',
  `tags` set('gift','rush','fragile') DEFAULT 'rush,gift',
  `flags` bit(8) NOT NULL DEFAULT b'101',
  `code` binary(4) DEFAULT 'ab',
  `amount` decimal(12,2) unsigned NOT NULL DEFAULT '0.00',
  `ratio` double DEFAULT NULL,
  `note` text,
  `doc` json DEFAULT NULL,
  `created` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `updated` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `shipped_on` date DEFAULT '0000-00-00',
  `window` time DEFAULT '08:30:00',
  `year` year(4) DEFAULT NULL,
  `uuid` char(36) DEFAULT (uuid()),
  PRIMARY KEY (`id`),
  UNIQUE KEY `uk_customer_created` (`customer_id`,`created`),
  KEY `idx_status` (`status`) USING BTREE,
  KEY `idx_note` (`note`(100)),
  FULLTEXT KEY `ft_note` (`note`),
  CONSTRAINT `fk_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=1001 DEFAULT CHARSET=utf8mb4 COMMENT='all orders';
INSERT INTO orders (customer_id) VALUES (1)
$$);
INSERT INTO shop.orders (customer_id, created, updated, doc)
VALUES (7, '2024-01-02 03:04:05.678', '2024-01-02 03:04:05+00', '{"k": 1}');
SELECT id, customer_id, status, tags, flags, code, amount, note, created, shipped_on, "window"
FROM shop.orders;

-- a known table: one call, so the later statements see the earlier ones
SELECT * FROM pg_temp.apply($$
CREATE TABLE items (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, sku varchar(20) NOT NULL,
                    qty int NOT NULL DEFAULT 1, kind enum('a','b') NOT NULL, UNIQUE KEY uk_sku (sku, kind));
ALTER TABLE items ADD COLUMN price decimal(8,2) NOT NULL AFTER sku, ADD weight float NOT NULL FIRST,
    ADD label varchar(10) NOT NULL DEFAULT 'x', MODIFY qty bigint NOT NULL, MODIFY kind enum('a','b','c') NOT NULL;
ALTER TABLE items CHANGE sku item_sku varchar(40) NOT NULL, ADD INDEX idx_price (price DESC);
ALTER TABLE items DROP COLUMN kind;
ALTER TABLE items MODIFY id bigint AUTO_INCREMENT;
ALTER TABLE items RENAME TO archive.items_old
$$);
\d archive.items_old

-- not known: each statement on its own, written defensively
SELECT * FROM pg_temp.apply($$ALTER TABLE orders ADD COLUMN priority tinyint NOT NULL DEFAULT 3 AFTER status$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE orders MODIFY status enum('new','paid','shipped','lost') NOT NULL DEFAULT 'new'$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE orders CHANGE `ratio` `rate` decimal(6,3) NULL$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE orders MODIFY id bigint unsigned NOT NULL$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE orders MODIFY tags varchar(100)$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE orders ALTER COLUMN note SET DEFAULT 'none', ADD INDEX idx_rate (rate)$$);
SELECT * FROM pg_temp.apply($$CREATE UNIQUE INDEX uk_uuid ON orders (uuid)$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE orders DROP INDEX idx_status, DROP INDEX ft_note, RENAME INDEX idx_rate TO idx_rate2$$);
SELECT * FROM pg_temp.apply($$RENAME TABLE orders TO orders_2024$$);
SELECT * FROM pg_temp.apply($$TRUNCATE TABLE orders_2024$$);
\d shop.orders_2024
SELECT * FROM pg_temp.apply($$DROP TABLE IF EXISTS orders_2024, no_such_table$$);

-- MariaDB syntax of real applications' DDL (issue 12)
SELECT * FROM pg_temp.apply($$CREATE TABLE mdb (id int, a int) ENGINE=InnoDB `PAGE_COMPRESSED`='ON' `PAGE_COMPRESSION_LEVEL`=9$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE mdb ADD COLUMN IF NOT EXISTS (b int, c varchar(255))$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE mdb ADD COLUMN IF NOT EXISTS (b int)$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE mdb ADD (d int, INDEX i (d))$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE mdb ADD (PRIMARY KEY (id), k int)$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE mdb ALTER INDEX IF EXISTS i IGNORED$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE mdb ALTER INDEX i NOT IGNORED$$);
SELECT * FROM pg_temp.apply($$CREATE INDEX j ON mdb (a) WAIT 5$$);
SELECT * FROM pg_temp.apply($$CREATE INDEX j2 ON mdb (a) NOWAIT$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE mdb DROP FOREIGN KEY shop.fk_x$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE mdb ADD CONSTRAINT IF NOT EXISTS u UNIQUE (a), ADD CONSTRAINT IF NOT EXISTS u UNIQUE (a)$$);
\d shop.mdb
-- MariaDB 11.7 vectors: bytea, the VECTOR index is not created (a column may be named vector)
SELECT * FROM pg_temp.apply($$CREATE TABLE emb (id int PRIMARY KEY, vector int, v VECTOR(3) NOT NULL,
    VECTOR INDEX (v) M=8 DISTANCE=cosine)$$);
SELECT * FROM pg_temp.apply($$CREATE VECTOR INDEX vi ON emb (v)$$);
SELECT * FROM pg_temp.apply($$ALTER TABLE emb ADD COLUMN w VECTOR(2), ADD VECTOR KEY vw (w)$$);

-- TIME defaults as MySQL reads them (issue 12): every default MariaDB takes
-- becomes one PostgreSQL takes, with MySQL's value
SELECT * FROM pg_temp.apply($$CREATE TABLE times (id int PRIMARY KEY,
    a time DEFAULT '0000-00-00 01:00:00.000', b time(3) DEFAULT '12:34:56.789',
    c time DEFAULT '-838:59:59', d time DEFAULT '2 10:00:00', e time DEFAULT '10:30',
    f time DEFAULT '103000', g time DEFAULT 3000, h time DEFAULT '45', i time DEFAULT '3 4',
    j time(2) DEFAULT 10000.5, k time DEFAULT '2020-01-02 23:59:59', l time DEFAULT 'noon')$$);
INSERT INTO shop.times (id) VALUES (1);
SELECT a, b, c, d, e, f, g, h, i, j, k, l FROM shop.times;

DROP SCHEMA shop CASCADE;
DROP SCHEMA archive CASCADE;
