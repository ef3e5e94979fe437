# 031_stream.pl -- the apply worker streams MySQL changes into PostgreSQL:
# insert/update/delete of many types compared value by value, mixed
# multi-table transactions, rolled-back transactions, a primary key update,
# a table without a primary key (duplicates), batches, a row PostgreSQL
# rejects (chameleon.errors, table in error, others go on), FLUSH BINARY LOGS
# and a MariaDB restart mid-stream, and the status views.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $pass = 'stream-pw-' . int(rand(1_000_000_000));

my $my = ChameleonMariaDB->new(
	name  => 'source',
	extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE sakila;
CREATE TABLE sakila.types (
    id     int NOT NULL PRIMARY KEY,
    i      int, iu int unsigned, bu bigint unsigned, ti tinyint, tu tinyint unsigned,
    si     smallint, mu mediumint unsigned, b1 tinyint(1),
    de     decimal(10,2), fl float, du double,
    vc     varchar(20), tx text, ch char(5), bi binary(4), vb varbinary(10), bl blob,
    d      date, dt datetime(3), ts timestamp(6) NULL DEFAULT NULL, tm time, y year,
    en     enum('small','medium','large'), st set('a','b','c'), js json, bt bit(5)
) ENGINE=InnoDB;
CREATE TABLE sakila.types2 (
    id int NOT NULL PRIMARY KEY, dec65 decimal(65,30), bsi bigint, dt6 datetime(6),
    tm3 time(3), g point, u uuid, i6 inet6, i4 inet4, bt64 bit(64), mt mediumtext, lb longblob
) ENGINE=InnoDB;
CREATE TABLE sakila.actor (
    actor_id int NOT NULL PRIMARY KEY, name varchar(45) NOT NULL) ENGINE=InnoDB;
CREATE TABLE sakila.film (
    film_id int NOT NULL PRIMARY KEY, title varchar(100) NOT NULL, len int) ENGINE=InnoDB;
CREATE TABLE sakila.nopk (a int, b varchar(10)) ENGINE=InnoDB;
CREATE TABLE sakila.checked (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE sakila.ignored (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB;
CREATE DATABASE other;
CREATE TABLE other.actor (actor_id int NOT NULL PRIMARY KEY) ENGINE=InnoDB;
SQL
$my->create_user('chameleon', $pass,
	'REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.*',
	'SELECT ON sakila.*');
my $conf = $my->write_config(
	user               => 'chameleon',
	passwd             => $pass,
	my_database        => 'sakila',
	replica_batch_size => 5);

my $node = ChameleonReplica::new_node('pg');
ChameleonReplica::init_by_hand($node, $my, $conf, 'sakila', {
	types => 'id integer PRIMARY KEY, i integer, iu bigint, bu numeric(20), ti smallint,'
	  . ' tu smallint, si smallint, mu integer, b1 smallint, de numeric(10,2), fl real,'
	  . ' du double precision, vc varchar(20), tx text, ch char(5), bi bytea, vb bytea,'
	  . ' bl bytea, d date, dt timestamp(3), ts timestamptz(6), tm interval, y smallint,'
	  . " en text CHECK (en IN ('small','medium','large','')), st text[], js jsonb,"
	  . ' bt bit varying(5)',
	types2  => 'id integer PRIMARY KEY, dec65 numeric(65,30), bsi bigint, dt6 timestamp(6),'
	  . ' tm3 interval(3), g bytea, u uuid, i6 inet, i4 inet, bt64 bit varying(64), mt text,'
	  . ' lb bytea',
	actor   => 'actor_id integer PRIMARY KEY, name varchar(45) NOT NULL',
	film    => 'film_id integer PRIMARY KEY, title varchar(100) NOT NULL, len integer',
	nopk    => 'a integer, b varchar(10)',
	checked => 'id integer PRIMARY KEY, v integer CHECK (v < 100)',
});
my $conf_lit = ChameleonReplica::pg_literal($conf);
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'replica streaming');

# --- every type: insert, update, delete ------------------------------------------
my @type_cols = (
	['id', 'id'], ['i', 'i'], ['iu', 'iu'], ['bu', 'bu'], ['ti', 'ti'], ['tu', 'tu'],
	['si', 'si'], ['mu', 'mu'], ['b1', 'b1'], ['de', 'de'], ['fl', 'fl'], ['du', 'du'],
	['vc', 'vc'], ['tx', 'tx'], ['ch', 'rtrim(ch)'],
	['LOWER(HEX(bi))', "encode(bi, 'hex')"], ['LOWER(HEX(vb))', "encode(vb, 'hex')"],
	['LOWER(HEX(bl))', "encode(bl, 'hex')"],
	['d', 'd'], ["DATE_FORMAT(dt, '%Y-%m-%d %H:%i:%s.%f')",
		"to_char(dt, 'YYYY-MM-DD HH24:MI:SS.US')"],
	["DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f')", "to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US')"],
	['tm', 'tm'], ['y', 'y'], ['en', 'en'], ["CONCAT('{', st, '}')", 'st'],
	['js', 'js'], ["LPAD(BIN(bt), 5, '0')", 'bt']);

$my->sql(<<'SQL');
INSERT INTO sakila.types VALUES
 (1, -2147483648, 4294967295, 18446744073709551615, -128, 255, -32768, 16777215, 1,
  -12345678.90, 1.5, -2.25, 'héllo wörld', 'a long text ☃', 'ab', 'ab', 0x00ff10, 0xdeadbeef,
  '2024-02-29', '2024-01-02 03:04:05.123', '2024-06-30 23:59:59.123456', '-838:59:59', 2155,
  'medium', 'a,c', '{"a": 1, "b": [true, null]}', b'10101'),
 (2, 2147483647, 0, 0, 127, 0, 32767, 0, 0,
  0.01, -0.5, 12500000000, '', '', '', 0x00, '', '',
  '1000-01-01', '9999-12-31 23:59:59.999', '1970-01-01 00:00:01', '838:59:59', 1901,
  'small', '', '[]', b'00000'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SQL
ChameleonReplica::wait_caught_up($node, $my);
ChameleonReplica::tables_equal($node, $my, 'sakila', 'types', 'id', \@type_cols,
	'every type: inserted rows equal');

$my->sql(<<'SQL');
UPDATE sakila.types SET i = i - 1, vc = 'changed', js = '{"x": "y"}', st = 'b', bt = b'11111',
  tm = '12:34:56.000000', d = '2000-01-01' WHERE id = 2;
UPDATE sakila.types SET i = 7, en = 'large', bl = 0x01 WHERE id = 3;
UPDATE sakila.types SET iu = NULL, tx = NULL WHERE id = 1;
SQL
ChameleonReplica::wait_caught_up($node, $my);
ChameleonReplica::tables_equal($node, $my, 'sakila', 'types', 'id', \@type_cols,
	'every type: updated rows equal');

$my->sql('DELETE FROM sakila.types WHERE id = 2');
ChameleonReplica::wait_caught_up($node, $my);
ChameleonReplica::tables_equal($node, $my, 'sakila', 'types', 'id', \@type_cols,
	'every type: after a delete');

my @types2_cols = (
	['id', 'id'], ['dec65', 'dec65'], ['bsi', 'bsi'],
	["DATE_FORMAT(dt6, '%Y-%m-%d %H:%i:%s.%f')", "to_char(dt6, 'YYYY-MM-DD HH24:MI:SS.US')"],
	# the point (SRID 0) as EWKB: plain WKB, without MySQL's SRID prefix
	['tm3', 'tm3'], ['LOWER(HEX(SUBSTRING(g, 5)))', "encode(g, 'hex')"], ['u', 'u'], ['i6', 'host(i6)'],
	['i4', 'host(i4)'], ["LPAD(BIN(bt64), 64, '0')", 'bt64'], ['mt', 'mt'],
	['LOWER(HEX(lb))', "encode(lb, 'hex')"]);
$my->sql(<<'SQL');
INSERT INTO sakila.types2 VALUES
 (1, -12345678901234567890123456789012345.123456789012345678901234567891,
  -9223372036854775808, '2024-05-06 07:08:09.123456', '-12:34:56.789', POINT(1.5, -2.25),
  '123e4567-e89b-12d3-a456-426614174000', '2001:db8::1', '192.168.1.1',
  b'1000000000000000000000000000000000000000000000000000000000000001',
  REPEAT('żółw ', 2000), REPEAT(0x00ff, 40000)),
 (2, 0.000000000000000000000000000001, 9223372036854775807, '1970-01-01 00:00:00.000001',
  '838:59:58.999', POINT(0, 0), '00000000-0000-0000-0000-000000000000', '::', '0.0.0.0',
  b'0', '', '');
UPDATE sakila.types2 SET mt = CONCAT(mt, '!'), lb = 0x01, u = UUID() WHERE id = 1;
SQL
ChameleonReplica::wait_caught_up($node, $my);
ChameleonReplica::tables_equal($node, $my, 'sakila', 'types2', 'id', \@types2_cols,
	'decimal(65,30), bigint limits, datetime(6), time(3), point, uuid, inet6/inet4, bit(64),'
	  . ' long text and blob');

# --- transactions ----------------------------------------------------------------
my @actor_cols = (['actor_id', 'actor_id'], ['name', 'name']);
my @film_cols = (['film_id', 'film_id'], ['title', 'title'], ['len', 'len']);

$my->sql(<<'SQL');
INSERT INTO sakila.actor VALUES (1, 'PENELOPE'), (2, 'NICK'), (3, 'ED');
INSERT INTO sakila.film VALUES (1, 'ACADEMY DINOSAUR', 86), (2, 'ACE GOLDFINGER', 48);
BEGIN;
INSERT INTO sakila.actor VALUES (4, 'JENNIFER');
UPDATE sakila.film SET len = len + 1;
DELETE FROM sakila.actor WHERE actor_id = 2;
INSERT INTO other.actor VALUES (99);
COMMIT;
BEGIN;
INSERT INTO sakila.actor VALUES (5, 'ROLLED BACK');
UPDATE sakila.film SET title = 'NEVER';
ROLLBACK;
UPDATE sakila.actor SET actor_id = actor_id + 100 WHERE actor_id IN (1, 3);
INSERT INTO sakila.ignored VALUES (1);
SQL
ChameleonReplica::wait_caught_up($node, $my);
ChameleonReplica::tables_equal($node, $my, 'sakila', 'actor', 'actor_id', \@actor_cols,
	'mixed transaction, rollback and primary key update: actor');
ChameleonReplica::tables_equal($node, $my, 'sakila', 'film', 'film_id', \@film_cols,
	'mixed transaction and rollback: film');
is($node->safe_psql('postgres', "SELECT count(*) FROM sakila.actor WHERE name = 'ROLLED BACK'"),
	'0', 'a rolled-back transaction never appears');

# --- no primary key: duplicates, one row changes per row event ------------------------
my @nopk_cols = (['a', 'a'], ['b', 'b']);
$my->sql(<<'SQL');
INSERT INTO sakila.nopk VALUES (1, 'x'), (1, 'x'), (1, 'x'), (2, NULL), (2, NULL);
DELETE FROM sakila.nopk WHERE a = 1 LIMIT 1;
UPDATE sakila.nopk SET b = 'y' WHERE a = 1 LIMIT 1;
UPDATE sakila.nopk SET b = 'z' WHERE a = 2 LIMIT 1;
DELETE FROM sakila.nopk WHERE a = 2 AND b IS NULL;
SQL
ChameleonReplica::wait_caught_up($node, $my);
ChameleonReplica::tables_equal($node, $my, 'sakila', 'nopk', 'a, b', \@nopk_cols,
	'table without primary key: duplicates handled one row at a time');

# --- batches: many transactions, replica_batch_size = 5 ------------------------------
my $batches_before = $node->safe_psql('postgres', 'SELECT batch_id FROM sch_chameleon.t_replica_batch');
$my->sql(join('', map { "INSERT INTO sakila.film VALUES ($_, 'FILM $_', $_);\n" } 10 .. 209));
ChameleonReplica::wait_caught_up($node, $my);
ChameleonReplica::tables_equal($node, $my, 'sakila', 'film', 'film_id', \@film_cols,
	'200 transactions streamed');
my $batches = $node->safe_psql('postgres', 'SELECT batch_id FROM sch_chameleon.t_replica_batch')
  - $batches_before;
cmp_ok($batches, '>=', 40, "200 transactions took at least 40 batches of 5 ($batches)");

# one big transaction is never split
$my->sql("BEGIN;\n" . join('', map { "INSERT INTO sakila.film VALUES ($_, 'BIG $_', NULL);\n" } 1000 .. 3999) . "COMMIT;\n");
ChameleonReplica::wait_caught_up($node, $my);
is($node->safe_psql('postgres', "SELECT count(*) FROM sakila.film WHERE title LIKE 'BIG %'"),
	'3000', 'a 3000-row transaction arrived whole');

# --- status views ---------------------------------------------------------------------
my ($file, $pos) = $my->binlog_position;
is($node->safe_psql('postgres',
		"SELECT state, applied_file, applied_position, read_file, read_position >= applied_position"
		  . " FROM chameleon.status"),
	"streaming|$file|$pos|$file|t", 'status: applied and read positions');
is($node->safe_psql('postgres',
		'SELECT transactions_applied > 200, rows_applied > 3200, last_source_commit IS NOT NULL,'
		  . ' lag_seconds < 5 FROM chameleon.status'),
	't|t|t|t', 'status: counters, source commit time, lag');
is($node->safe_psql('postgres',
		"SELECT applied_rows FROM chameleon.tables WHERE mysql_table = 'film'"),
	$node->safe_psql('postgres', 'SELECT count(*) FROM sakila.film') + 2,
	'chameleon.tables counts the rows applied to film');
ok($node->poll_query_until('postgres',
		'SELECT lag_seconds < 3 FROM chameleon.status'), 'idle: heartbeats keep the lag small');

# --- a row PostgreSQL rejects --------------------------------------------------------------
$my->sql(<<'SQL');
INSERT INTO sakila.checked VALUES (1, 10);
BEGIN;
INSERT INTO sakila.actor VALUES (10, 'BEFORE');
INSERT INTO sakila.checked VALUES (2, 20), (3, 500), (4, 30);
INSERT INTO sakila.actor VALUES (11, 'AFTER');
COMMIT;
INSERT INTO sakila.checked VALUES (5, 40);
INSERT INTO sakila.actor VALUES (12, 'LATER');
SQL
ChameleonReplica::wait_caught_up($node, $my);
is($node->safe_psql('postgres', "SELECT state FROM chameleon.tables WHERE mysql_table = 'checked'"),
	'error', 'the table with the rejected row is marked error');
is($node->safe_psql('postgres',
		"SELECT mysql_table, operation, row_data->'after'->>'id', row_data->'after'->>'v',"
		  . " error_sqlstate FROM chameleon.errors"),
	'checked|insert|3|500|23514', 'the rejected row is stored whole in chameleon.errors');
ChameleonReplica::tables_equal($node, $my, 'sakila', 'actor', 'actor_id', \@actor_cols,
	'the other tables of the transaction and later ones go on');
is($node->safe_psql('postgres', 'SELECT count(*) FROM sakila.checked WHERE id = 5'),
	'0', 'later changes to the table in error are left out');
is($node->safe_psql('postgres', 'SELECT state FROM chameleon.status'), 'streaming',
	'the replica keeps streaming');

# --- a replicated table missing on the PostgreSQL side: that table only -----------------
# out of the binlog: the worker would create it (DDL replication)
$my->sql('SET sql_log_bin = 0; CREATE TABLE sakila.ghost (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB');
$node->safe_psql('postgres',
	"INSERT INTO sch_chameleon.t_replica_tables (source_id, mysql_table, pg_schema, pg_table, state)"
	  . " SELECT source_id, 'ghost', 'sakila', 'ghost', 'copied' FROM sch_chameleon.t_sources;"
	  . " SELECT chameleon.stop_replica();"
	  . " SELECT chameleon.start_replica($conf_lit);");
$my->sql("BEGIN; INSERT INTO sakila.ghost VALUES (1); INSERT INTO sakila.actor VALUES (13, 'GHOSTLY'); COMMIT;");
ChameleonReplica::wait_caught_up($node, $my);
is($node->safe_psql('postgres',
		"SELECT t.state, e.operation, e.error_sqlstate FROM chameleon.tables t"
		  . " JOIN chameleon.errors e USING (mysql_table) WHERE mysql_table = 'ghost'"),
	'error|table map|42P01', 'a missing PostgreSQL table puts only that table in error');
is($node->safe_psql('postgres', 'SELECT name FROM sakila.actor WHERE actor_id = 13'),
	'GHOSTLY', '... and the rest of its transaction is applied');

# --- FLUSH BINARY LOGS mid-stream --------------------------------------------------------
my ($old_file) = $my->binlog_position;
$my->sql("INSERT INTO sakila.actor VALUES (20, 'A'); FLUSH BINARY LOGS;"
	  . " INSERT INTO sakila.actor VALUES (21, 'B');");
ChameleonReplica::wait_caught_up($node, $my);
($file) = $my->binlog_position;
isnt($file, $old_file, 'the source switched binlog files');
ChameleonReplica::tables_equal($node, $my, 'sakila', 'actor', 'actor_id', \@actor_cols,
	'rows before and after FLUSH BINARY LOGS arrive');
$my->sql('FLUSH BINARY LOGS');
ok(ChameleonReplica::wait_caught_up($node, $my),
	'an idle rotation moves the applied position to the new file');

# --- MariaDB restarted mid-stream ------------------------------------------------------------
$my->stop;
ok($node->poll_query_until('postgres',
		"SELECT state = 'reconnecting' AND last_error IS NOT NULL FROM chameleon.status"),
	'source down: state reconnecting with the last error');
$my->start;
$my->sql("INSERT INTO sakila.actor VALUES (30, 'AFTER RESTART')");
ChameleonReplica::wait_caught_up($node, $my);
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'source back: streaming again');
ChameleonReplica::tables_equal($node, $my, 'sakila', 'actor', 'actor_id', \@actor_cols,
	'changes after the source restart arrive');

# --- stop, write, start: catches up ----------------------------------------------------------
$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
$my->sql(join('', map { "INSERT INTO sakila.film VALUES ($_, 'OFFLINE $_', 1);\n" } 5000 .. 5099));
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ChameleonReplica::wait_caught_up($node, $my);
ChameleonReplica::tables_equal($node, $my, 'sakila', 'film', 'film_id', \@film_cols,
	'stopped, then caught up');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_replication_origin_status s JOIN pg_replication_origin o"
		  . " ON o.roident = s.local_id WHERE o.roname LIKE 'pg_chameleon_%' AND s.remote_lsn <> '0/0'"),
	'1', 'the replication origin advanced with the position');

# --- on_error: stop ------------------------------------------------------------------------
$node->safe_psql('postgres', <<'SQL');
CREATE TABLE sakila.strict (id integer PRIMARY KEY, v integer CHECK (v < 100));
INSERT INTO sch_chameleon.t_replica_tables (source_id, mysql_table, pg_schema, pg_table, state)
SELECT source_id, 'strict', 'sakila', 'strict', 'copied' FROM sch_chameleon.t_sources;
SELECT chameleon.stop_replica();
SQL
$my->sql('SET sql_log_bin = 0;'
	  . ' CREATE TABLE sakila.strict (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB');
my $conf_stop = $my->write_config(
	user        => 'chameleon',
	passwd      => $pass,
	my_database => 'sakila',
	on_error    => 'stop');
$node->safe_psql('postgres',
	'SELECT chameleon.start_replica(' . ChameleonReplica::pg_literal($conf_stop) . ')');
$my->sql(<<'SQL');
INSERT INTO sakila.strict VALUES (1, 1);
BEGIN;
INSERT INTO sakila.actor VALUES (40, 'WITH THE BAD ROW');
INSERT INTO sakila.strict VALUES (2, 200);
COMMIT;
SQL
ok($node->poll_query_until('postgres',
		"SELECT state = 'error' AND pid IS NULL FROM chameleon.status"),
	'on_error stop: the replica stops with state error');
is($node->safe_psql('postgres',
		"SELECT row_data->'after'->>'v' FROM chameleon.errors WHERE mysql_table = 'strict'"),
	'200', 'on_error stop: the rejected row is in chameleon.errors');
is($node->safe_psql('postgres', 'SELECT count(*) FROM sakila.actor WHERE actor_id = 40'),
	'0', 'on_error stop: nothing of the failing transaction was applied');
like($node->safe_psql('postgres', 'SELECT last_error FROM chameleon.status'),
	qr/violates check constraint/, 'on_error stop: the status shows the error');
is($node->safe_psql('postgres', 'SELECT count(*) FROM sakila.strict'), '1',
	'on_error stop: the transactions before it were applied');
# fixed on the PostgreSQL side: start again, the transaction applies
$node->safe_psql('postgres', 'ALTER TABLE sakila.strict DROP CONSTRAINT strict_v_check');
$node->safe_psql('postgres',
	'SELECT chameleon.start_replica(' . ChameleonReplica::pg_literal($conf_stop) . ')');
ChameleonReplica::wait_caught_up($node, $my);
is($node->safe_psql('postgres',
		'SELECT (SELECT count(*) FROM sakila.strict)::text || (SELECT count(*) FROM sakila.actor WHERE actor_id = 40)'),
	'21', 'after the fix the stopped transaction is applied');

ok(!$node->log_contains('TRAP:|server process .* was terminated'), 'no crash in the server log');

$node->stop;
$my->stop;
done_testing();
