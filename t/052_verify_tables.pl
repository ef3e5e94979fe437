# 052_verify_tables.pl -- chameleon.verify_tables() (issue 14): counts and
# checksums of both sides, each chunk compared at one binlog position, while
# the replica streams under a write load: no false difference, on every
# type of the type table, with NULLs, zero dates, json and floats; both ways
# of reading MySQL (an InnoDB consistent snapshot, a read lock for MyISAM
# and for copy_snapshot: watermark); a table of several chunks, a composite
# key, no key.  Then differences planted in PostgreSQL (a changed row, a
# deleted one, an extra one, a duplicate in a table without a key) are
# found and named by their key while the writes go on; a stopped replica is
# compared only when the source has not moved on.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

use ChameleonMariaDB;
use ChameleonReplica;

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;

my $rows = 50000;
$my->sql(<<"EOF");
SET GLOBAL sql_mode = '';
CREATE DATABASE vt;
USE vt;
SET SESSION max_recursive_iterations = 10000000;
CREATE TABLE big (id int NOT NULL PRIMARY KEY, n int NOT NULL, note varchar(40)) ENGINE=InnoDB;
INSERT INTO big SELECT seq, seq % 97, CONCAT('n', seq) FROM seq_1_to_$rows;
CREATE TABLE wide (
  id bigint unsigned NOT NULL PRIMARY KEY,
  ti tinyint, si smallint unsigned, mi mediumint, bi bigint, flag tinyint(1),
  dec1 decimal(12,3), f float, d double, b bit(5), y year,
  dt date, dtm datetime(6), ts timestamp(3) NULL DEFAULT NULL, tm time(2),
  c char(10), vc varchar(50) CHARACTER SET utf8mb4, tx text, bl blob, vb varbinary(20),
  e enum('a','b','c'), s set('x','y','z'), j json, u uuid, ip inet6,
  bn binary(4), ip4 inet4, ui int unsigned, mt mediumtext, lt longtext
) ENGINE=InnoDB;
INSERT INTO wide VALUES
  (1, -128, 65535, -8388608, -9223372036854775808, 1, -123456789.125, 1.17549e-38, 2.2250738585072014e-308,
   b'10101', 1901, '1000-01-01', '2024-02-29 23:59:59.999999', '2038-01-19 03:14:07.999', '-838:59:59.99',
   'abc', 'héllo wörld ☃', 'line1\nline2\ttab', x'00ff10', x'deadbeef', 'b', 'x,z',
   '{"b": [1, 2.5, "x"], "a": null}', '123e4567-e89b-12d3-a456-426614174000', '::ffff:10.0.0.1',
   'ab', '10.0.0.1', 4294967295, 'medium ☃', REPEAT('long ', 1000)),
  (2, 127, 0, 8388607, 9223372036854775807, 0, 999999999.999, 3.40282e38, 1.7976931348623157e308,
   b'0', 2155, '0000-00-00', '0000-00-00 00:00:00', NULL, '838:59:59', '', '', '', '', '', 'a', '',
   '[]', NULL, '2001:db8::1', '', '0.0.0.0', 0, '', ''),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (18446744073709551615, 0, 1, 0, 0, 1, 0.001, 0.1, 0.1, b'11111', 2000, '2000-01-01',
   '1970-01-01 00:00:01', '1970-01-01 00:00:01.001', '00:00:00.01', 'z', 'x', 'y', x'00', x'00', 'c',
   'x,y,z', '{"k": "\\\\u00e9"}', '00000000-0000-0000-0000-000000000000', '::',
   x'00000000', '255.255.255.255', 1, 'm', 'l');
CREATE TABLE comp (a varchar(10) NOT NULL, b int NOT NULL, v int, PRIMARY KEY (a, b)) ENGINE=InnoDB;
INSERT INTO comp SELECT CONCAT('K', seq % 7), seq, seq FROM seq_1_to_3000;
CREATE TABLE nokey (x int, y varchar(20)) ENGINE=InnoDB;
INSERT INTO nokey SELECT seq % 50, CONCAT('y', seq % 3) FROM seq_1_to_500;
CREATE TABLE ukey (code varchar(10) NOT NULL, part int NOT NULL, v int, UNIQUE KEY (code, part)) ENGINE=InnoDB;
INSERT INTO ukey SELECT CONCAT('c', seq % 5), seq, seq FROM seq_1_to_1000;
CREATE TABLE mi (id int NOT NULL PRIMARY KEY, v varchar(20)) ENGINE=MyISAM;
INSERT INTO mi SELECT seq, CONCAT('m', seq) FROM seq_1_to_2000;
CREATE TABLE ctl (stop int NOT NULL) ENGINE=InnoDB;
INSERT INTO ctl VALUES (0);
DELIMITER //
CREATE PROCEDURE writer()
BEGIN
  DECLARE i int DEFAULT 0;
  WHILE (SELECT stop FROM ctl) = 0 DO
    START TRANSACTION;
    INSERT INTO big VALUES ($rows + 1000 + i, i % 97, 'new');
    UPDATE big SET n = n + 1, note = CONCAT('u', i) WHERE id = 1 + (i * 7919) % 30000;
    DELETE FROM big WHERE id = 1 + (i * 104729) % 3000;
    UPDATE wide SET f = -f, d = d + 0.1, j = JSON_SET(j, '\$.i', i), dtm = NOW(6) WHERE id = 4;
    UPDATE comp SET v = v + 1 WHERE a = CONCAT('K', i % 7) AND b = 1 + (i * 13) % 1000;
    INSERT INTO nokey VALUES (i % 50, 'w');
    UPDATE ukey SET v = v + 1 WHERE code = CONCAT('c', (1 + (i * 7) % 500) % 5) AND part = 1 + (i * 7) % 500;
    COMMIT;
    UPDATE mi SET v = CONCAT('w', i) WHERE id = 1 + i % 1000;
    SET i = i + 1;
  END WHILE;
END //
DELIMITER ;
EOF

my $conf = $my->write_config(my_database => 'vt');
my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
sub pg_one { return $node->safe_psql('postgres', $_[0]) }

$node->safe_psql('postgres', "SELECT chameleon.init_replica('$conf')");
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the copy');

my $report = "SELECT string_agg(concat_ws(':', mysql_table, status, mysql_rows, pg_rows,
                                          mysql_checksum = pg_checksum, differing_rows,
                                          first_difference, detail), E'\\n' ORDER BY mysql_table)
                FROM chameleon.verify_tables()";
is(pg_one($report), join("\n",
		"big:equal:$rows:$rows:t:0:3 chunks",
		'comp:equal:3000:3000:t:0:1 chunk',
		'ctl:equal:1:1:t:0:1 chunk',
		'mi:equal:2000:2000:t:0:1 chunk',
		'nokey:equal:500:500:t:0:1 chunk',
		'ukey:equal:1000:1000:t:0:1 chunk',
		'wide:equal:4:4:t:0:1 chunk'),
	'a quiet replica: every table equal, with its row counts');

# under a write load
my ($wout, $werr) = ('', '');
my $writer = IPC::Run::start([ $my->_client_command(database => 'vt'), '-e', 'CALL writer()' ],
	'<', \undef, '>', \$wout, '2>', \$werr);
ok($my->poll_query_until("SELECT count(*) > 200 FROM vt.big WHERE note = 'new'"), 'the writer runs');
for my $round (1 .. 3)
{
	my $r = pg_one("SELECT string_agg(mysql_table || ':' || status
	                                  || coalesce(':' || nullif(detail, '1 chunk'), ''), ','
	                                  ORDER BY mysql_table)
	                  FROM chameleon.verify_tables()");
	like($r, qr/^big:equal:\d+ chunks,comp:equal,ctl:equal,mi:equal,nokey:equal,ukey:equal,wide:equal$/,
		"under a write load, round $round: no false difference");
}
cmp_ok(pg_one("SELECT count(*) FROM chameleon.verify_tables(ARRAY['big'])
                WHERE mysql_rows > $rows AND mysql_checksum = pg_checksum"), '==', 1,
	'big grows under the writes and still compares equal');

# differences planted in PostgreSQL while the writes go on (keys the writer
# does not touch)
# (the tables are guarded: a superuser bypasses it on purpose)
$node->safe_psql('postgres', q{
	SET session_replication_role = replica;
	UPDATE vt.big SET note = 'changed' WHERE id = 40001;
	DELETE FROM vt.big WHERE id = 45000;
	INSERT INTO vt.big VALUES (-5, 0, 'extra');
	UPDATE vt.wide SET vc = 'héllo' WHERE id = 1;
	UPDATE vt.comp SET v = -1 WHERE a = 'K1' AND b = 2003;
	INSERT INTO vt.nokey VALUES (1, 'y1');
	UPDATE vt.ukey SET v = -1 WHERE code = 'c2' AND part = 777;
	UPDATE vt.mi SET v = 'local' WHERE id = 1500;
});
is(pg_one("SELECT string_agg(mysql_table || ':' || status || ':' || differing_rows || ':'
                             || (mysql_checksum <> pg_checksum), ',' ORDER BY mysql_table)
             FROM chameleon.verify_tables() WHERE status <> 'equal'"),
	'big:differs:3:true,comp:differs:1:true,mi:differs:1:true,nokey:differs:1:true,ukey:differs:1:true,wide:differs:1:true',
	'every planted difference is found, under the writes');
# the query of doc/verify.md
is(pg_one(q{SELECT mysql_table, status, first_difference FROM chameleon.verify_tables() WHERE status <> 'equal';}
	  . " -- (one line per table)") =~ tr/\n//, 5, 'the query of doc/verify.md lists the six differing tables');
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['big'])"),
	'id=-5: only in PostgreSQL', 'big: the first difference is named by its key (the first chunk)');
like(pg_one("SELECT detail FROM chameleon.verify_tables(ARRAY['big'])"), qr/^3 rows differ \(\d+ chunks\)$/,
	'big: three rows differ');
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['wide'])"),
	'id=1: values differ', 'wide: the changed row by its key');
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['comp'])"),
	'a=K1, b=2003: values differ', 'comp: a composite key');
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['ukey'])"),
	'code=c2, part=777: values differ', 'ukey: no primary key, the row named by its unique NOT NULL key');
like(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['nokey'])"),
	qr/only in PostgreSQL \(the table has no primary key\)/, 'nokey: a row more in PostgreSQL');
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['mi'])"),
	'id=1500: values differ', 'mi (MyISAM, read under a lock): the changed row');
# the deleted and the changed rows of big, in the chunks after the first
$node->safe_psql('postgres', q{SET session_replication_role = replica; DELETE FROM vt.big WHERE id = -5});
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['big'])"),
	'id=40001: values differ', 'big: a changed row in a later chunk');
$node->safe_psql('postgres', q{SET session_replication_role = replica; UPDATE vt.big SET note = 'n40001' WHERE id = 40001});
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['big'])"),
	'id=45000: missing in PostgreSQL', 'big: a row missing in PostgreSQL');

$my->sql('UPDATE ctl SET stop = 1', database => 'vt');
$writer->finish;

# a stopped replica: compared when the source has not moved on, else skipped
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the writes');
$node->safe_psql('postgres', "SELECT chameleon.stop_replica()");
is(pg_one("SELECT status FROM chameleon.verify_tables(ARRAY['comp'])"), 'differs',
	'a stopped replica at the source position is compared');
$my->sql('INSERT INTO vt.comp VALUES (\'Z\', 1, 1)');
like(pg_one("SELECT status || ': ' || detail FROM chameleon.verify_tables(ARRAY['comp'])"),
	qr/^skipped: the replica is not streaming/, 'a stopped replica behind the source is skipped, with why');
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");

my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.verify_tables(ARRAY['nope'])");
like($err, qr/table "nope" is not replicated by replica "vt"/, 'an unknown table is an error');

# one canonical form: a float one ulp off and a JSON value changed are differences; the
# replica named by the source argument
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up again');
$node->safe_psql('postgres', q{SET session_replication_role = replica;
	UPDATE vt.wide SET vc = 'héllo wörld ☃' WHERE id = 1});
is(pg_one("SELECT status FROM chameleon.verify_tables(ARRAY['wide'], 'vt')"), 'equal',
	'wide equal again (verify_tables with the source named)');
$node->safe_psql('postgres', q{SET session_replication_role = replica;
	UPDATE vt.wide SET d = 1.7976931348623155e308 WHERE id = 2});
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['wide'], 'vt')"),
	'id=2: values differ', 'a double one ulp off is a difference (bit-exact floats)');
$node->safe_psql('postgres', q{SET session_replication_role = replica;
	UPDATE vt.wide SET d = 1.7976931348623157e308 WHERE id = 2;
	UPDATE vt.wide SET j = '{"b": [1, 2.5, "x"], "a": 0}' WHERE id = 1});
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['wide'], 'vt')"),
	'id=1: values differ', 'a JSON value changed is a difference');
$node->safe_psql('postgres', q{SET session_replication_role = replica;
	UPDATE vt.wide SET j = '{"b": [1, 2.5, "x"], "a": null}' WHERE id = 1;
	UPDATE vt.wide SET bn = '\\x00000001' WHERE id = 18446744073709551615});
is(pg_one("SELECT first_difference FROM chameleon.verify_tables(ARRAY['wide'], 'vt')"),
	'id=18446744073709551615: values differ', 'a binary(4) byte changed is a difference (padding kept)');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.verify_tables(NULL, 'nosuch')");
like($err, qr/replica "nosuch" does not exist/, 'an unknown source is an error');

done_testing();
