# 058_attach.pl -- attach_replica (issue 16): tables loaded into PostgreSQL
# by another tool -- here our own dump, read in one consistent snapshot
# while MySQL is written, its binlog position recorded -- are attached at
# that position, checked against what the type map would create (an error
# names the table and the column), their MySQL shapes and foreign keys
# recorded; the replica then streams like any other and ends equal, the
# foreign-key actions InnoDB runs without a binlog row included.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $my = ChameleonMariaDB->new(name => 'source');
$my->start;
$my->sql('CREATE DATABASE att');
$my->sql(<<'SQL', database => 'att');
CREATE TABLE att.items (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(30),
  price decimal(8,2), created datetime, flag tinyint(1)) ENGINE=InnoDB;
CREATE TABLE att.child (id int NOT NULL PRIMARY KEY, item_id int,
  FOREIGN KEY (item_id) REFERENCES att.items (id) ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE att.ctl (stop int NOT NULL) ENGINE=InnoDB;
INSERT INTO att.ctl VALUES (0);
SET SESSION max_recursive_iterations = 1000000;
INSERT INTO att.items (name, price, created, flag)
  SELECT CONCAT('n', seq), seq / 100, '2020-01-01' + INTERVAL seq MINUTE, seq % 2 FROM seq_1_to_3000;
INSERT INTO att.child SELECT seq, 1 + seq % 3000 FROM seq_1_to_2000;
DELIMITER //
CREATE PROCEDURE att.writer()
BEGIN
  DECLARE i int DEFAULT 0;
  WHILE (SELECT stop FROM att.ctl) = 0 DO
    START TRANSACTION;
    INSERT INTO att.items (name, price, created, flag) VALUES (CONCAT('w', i), i % 1000, NOW(), i % 2);
    UPDATE att.items SET price = price + 1, name = CONCAT('u', i) WHERE id = 1 + (i * 7) % 3000;
    INSERT INTO att.child SELECT 100000 + i, MAX(id) FROM att.items;
    DELETE FROM att.items WHERE id = 1 + (i * 13) % 3000;
    COMMIT;
    SET i = i + 1;
  END WHILE;
END //
DELIMITER ;
SQL
my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
sub pg_one { return $node->safe_psql('postgres', $_[0]) }
my $conf = $my->write_config(my_database => 'att');

my ($wout, $werr) = ('', '');
my $writer = IPC::Run::start([ $my->_client_command(database => 'att'), '-e', 'CALL writer()' ],
	'<', \undef, '>', \$wout, '2>', \$werr);
ok($my->poll_query_until("SELECT count(*) > 50 FROM att.items WHERE name LIKE 'w%'"), 'the writer runs');

# our dump: one consistent snapshot, its exact binlog position, INSERTs
my $dump = $my->sql(<<'SQL', raw => 1);
SET time_zone = '+00:00';
START TRANSACTION WITH CONSISTENT SNAPSHOT;
SELECT CONCAT('-- position ', VARIABLE_VALUE) FROM information_schema.SESSION_STATUS
 WHERE VARIABLE_NAME = 'BINLOG_SNAPSHOT_FILE';
SELECT CONCAT('-- offset ', VARIABLE_VALUE) FROM information_schema.SESSION_STATUS
 WHERE VARIABLE_NAME = 'BINLOG_SNAPSHOT_POSITION';
SELECT CONCAT('-- gtid ', BINLOG_GTID_POS(
  (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'BINLOG_SNAPSHOT_FILE'),
  (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'BINLOG_SNAPSHOT_POSITION')));
SELECT CONCAT('INSERT INTO att.items VALUES (', id, ', ', QUOTE(name), ', ', QUOTE(price), ', ',
              QUOTE(created), ', ', QUOTE(flag), ');') FROM att.items;
SELECT CONCAT('INSERT INTO att.child VALUES (', id, ', ', QUOTE(item_id), ');') FROM att.child;
SELECT CONCAT('INSERT INTO att.ctl VALUES (', stop, ');') FROM att.ctl;
COMMIT;
SQL
my ($file) = $dump =~ /^-- position (\S+)$/m;
my ($pos) = $dump =~ /^-- offset (\d+)$/m;
my ($gtid) = $dump =~ /^-- gtid (\S+)$/m;
ok(defined $file && defined $pos, "the dump records its binlog position ($file:$pos)");
cmp_ok(scalar(() = $dump =~ /^INSERT/mg), '>', 4000, 'the dump holds the rows');

my $tables_sql = q{
CREATE SCHEMA att;
CREATE TABLE att.items (id integer NOT NULL PRIMARY KEY, name varchar(30), price numeric(8,2),
  created timestamp(0) without time zone, flag smallint);
CREATE TABLE att.child (id integer NOT NULL PRIMARY KEY, item_id integer);
CREATE TABLE att.ctl (stop integer NOT NULL);
};

# tables whose columns differ from the type map's are refused, naming them
$node->safe_psql('postgres', q{
CREATE SCHEMA att;
CREATE TABLE att.items (id integer NOT NULL PRIMARY KEY, name text, price numeric(8,2),
  created timestamp(0) without time zone, flag smallint);
CREATE TABLE att.child (id integer NOT NULL PRIMARY KEY, item_id integer);
CREATE TABLE att.ctl (stop integer NOT NULL);
});
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.attach_replica('$file', $pos, '$conf')");
like($err, qr/column "name" of table "att"."items" is text, the copy would make it character varying\(30\)/,
	'a column of another type: an error naming the table and column');
$node->safe_psql('postgres', 'ALTER TABLE att.items ALTER COLUMN name TYPE varchar(30), ADD COLUMN extra int');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.attach_replica('$file', $pos, '$conf')");
like($err, qr/column "extra" of table "att"."items" is not a column of MySQL table "items"/,
	'a column MySQL does not have: an error');
$node->safe_psql('postgres', 'ALTER TABLE att.items DROP COLUMN extra, DROP COLUMN flag');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.attach_replica('$file', $pos, '$conf')");
like($err, qr/table "att"."items" has no column "flag", which MySQL table "items" has/,
	'a missing column: an error');
$node->safe_psql('postgres', 'CREATE TABLE att.stray (id int)');
$node->safe_psql('postgres', 'ALTER TABLE att.items ADD COLUMN flag smallint');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.attach_replica('$file', $pos, '$conf')");
like($err, qr/table "att"."stray" is not a base table of MySQL database "att"/, 'a table MySQL does not have: an error');
$node->safe_psql('postgres', 'DROP TABLE att.stray');
is(pg_one('SELECT count(*) FROM sch_chameleon.t_sources'), '0', 'the refused attaches recorded nothing');

# load the dump, attach at its position, stream
$dump =~ s/^--.*$//mg;
$node->safe_psql('postgres', "SET session_replication_role = replica;\n$dump");
like(pg_one("SELECT chameleon.attach_replica('$file', $pos, '$conf')"),
	qr/^attached 3 tables of schema "att" to MySQL database "att" at binlog position \Q$file:$pos\E$/,
	'attach_replica at the dump position');
is(pg_one("SELECT string_agg(DISTINCT mysql_table, ',' ORDER BY mysql_table) FROM sch_chameleon.t_table_columns"),
	'child,ctl,items', 'the MySQL shapes are recorded');
is(pg_one("SELECT count(*) FROM sch_chameleon.t_foreign_keys WHERE mysql_table = 'child'"), '1',
	'the foreign keys are recorded');
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");

$my->sql('UPDATE att.ctl SET stop = 1');
ok($writer->finish, 'the writer ends cleanly') or diag($werr);
# a cascade InnoDB runs without a binlog row
$my->sql('DELETE FROM att.items WHERE id IN (SELECT item_id FROM att.child WHERE id <= 10)');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');
ChameleonReplica::tables_equal($node, $my, 'att', 'items', 'id',
	[ [ 'id', 'id' ], [ 'name', 'name' ], [ 'price', 'price' ], [ 'created', 'created' ], [ 'flag', 'flag' ] ],
	'items equals MariaDB value by value');
ChameleonReplica::tables_equal($node, $my, 'att', 'child', 'id', [ [ 'id', 'id' ], [ 'item_id', 'item_id' ] ],
	'child equals MariaDB (the cascaded deletes included)');
is(pg_one("SELECT string_agg(mysql_table || ':' || status || CASE WHEN status = 'equal' THEN '' ELSE ':' || detail END,
                             ',' ORDER BY mysql_table) FROM chameleon.verify_tables()"),
	'child:equal,ctl:equal,items:equal', 'verify_tables: equal');

# the same dump attached by its GTID (the last transaction it holds)
$node->safe_psql('postgres', "SELECT chameleon.stop_replica()");
$node->safe_psql('postgres', "SELECT chameleon.drop_replica('att')");
$node->safe_psql('postgres', 'DROP SCHEMA att CASCADE');
$node->safe_psql('postgres', $tables_sql . "SET session_replication_role = replica;\n$dump");
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.attach_replica_at_gtid('0-1', '$conf')");
like($err, qr/"0-1" is not a MariaDB GTID/, 'attach_replica_at_gtid: not a GTID');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.attach_replica_at_gtid('0-101-999999999', '$conf')");
like($err, qr/GTID 0-101-999999999 is not in the binary logs of the source/, 'a GTID the binlog does not hold');
like(pg_one("SELECT chameleon.attach_replica_at_gtid('$gtid', '$conf')"),
	qr/^attached 3 tables .* at binlog position \Q$file:$pos\E, after GTID \Q$gtid\E$/,
	"attach_replica_at_gtid($gtid) finds the dump's own position");
is(pg_one("SELECT applied_file || ':' || applied_position FROM chameleon.status WHERE source = 'att'"),
	"$file:$pos", 'the replica starts there');
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up from the GTID');
is(pg_one("SELECT string_agg(mysql_table || ':' || status, ',' ORDER BY mysql_table) FROM chameleon.verify_tables()"),
	'child:equal,ctl:equal,items:equal', 'attached by GTID: equal');
# the dropped replica's registration (same my_server_id) lingers on MariaDB
# until its dump thread notices: it is this server's own, not another replica
unlike(slurp_file($node->logfile), qr/my_server_id \d+ is used by another replica/,
	'the registration of the dropped replica does not hold the new one back');

done_testing();
