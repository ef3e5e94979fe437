# 041_statement_dml.pl -- DML the source logged as SQL text is never lost in
# silence.  The server's binlog_format is ROW, but one session switches to
# STATEMENT: its INSERT/UPDATE/DELETE/REPLACE reach the binlog as QUERY
# events the replica cannot apply.  Each replicated table such a statement
# writes is put in state error (t_errors has an 'operation' = 'statement'
# row, t_ddl has the statement as failed, the log a WARNING); statements on
# tables the replica does not have (another database, a table tables_limit
# leaves out, a temporary table) stay ignored; every other table keeps
# streaming; chameleon.sync_tables() repairs the tables in error, and at the
# end PostgreSQL equals MySQL value by value.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $pass = 'stmt-pw-' . int(rand(1_000_000_000));
my $my = ChameleonMariaDB->new(name => 'source');
$my->start;
is($my->variable('binlog_format'), 'ROW', 'the server default is ROW');
$my->sql(<<'SQL');
CREATE DATABASE shop;
CREATE TABLE shop.t1 (id int NOT NULL PRIMARY KEY, v int, note varchar(20)) ENGINE=InnoDB;
CREATE TABLE shop.t2 (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE shop.t3 (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE shop.t4 (id int NOT NULL PRIMARY KEY, w int) ENGINE=InnoDB;
CREATE TABLE shop.t5 (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE shop.t6 (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE shop.t7 (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE shop.left_out (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO shop.t1 VALUES (1, 1, 'one'), (2, 2, 'two'), (3, 3, 'three');
INSERT INTO shop.t2 VALUES (1, 1), (2, 2);
INSERT INTO shop.t3 VALUES (1, 1), (2, 2);
INSERT INTO shop.t4 VALUES (1, 10), (2, 20);
INSERT INTO shop.t5 VALUES (1, 1), (2, 2);
INSERT INTO shop.t6 VALUES (1, 1), (2, 2);
INSERT INTO shop.t7 VALUES (1, 1);
INSERT INTO shop.left_out VALUES (1, 1);
CREATE DATABASE other;
CREATE TABLE other.t1 (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
SQL
$my->create_user('chameleon', $pass,
	'SELECT, RELOAD, BINLOG MONITOR, REPLICATION SLAVE, REPLICATION CLIENT ON *.*');
my $conf = $my->write_config(
	user         => 'chameleon',
	passwd       => $pass,
	my_database  => 'shop',
	tables_limit => [qw(t1 t2 t3 t4 t5 t6 t7)]);
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg');
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'replica streaming');

# --- one session writes with binlog_format = STATEMENT ----------------------------
# (LOAD DATA comes as BEGIN_LOAD_QUERY + EXECUTE_LOAD_QUERY events then)
my $load_file = $my->basedir . '/t7.tsv';
open(my $fh, '>', $load_file) or die "could not write $load_file: $!";
print $fh "7\t70\n8\t80\n";
close($fh);
chmod(0644, $load_file);
$my->sql(<<"SQL");
SET SESSION binlog_format = 'STATEMENT';
INSERT INTO shop.t1 VALUES (10, 10, 'ten');
UPDATE shop.t1 SET v = v + 100 WHERE id = 1;
INSERT INTO other.t1 VALUES (1, 1);
UPDATE shop.left_out SET v = 2;
USE shop;
UPDATE t3 JOIN t4 ON t3.id = t4.id SET t3.v = t4.w + 1;
CREATE TEMPORARY TABLE scratch (id int, v int);
INSERT INTO scratch VALUES (1, 1);
DELETE FROM scratch;
DROP TEMPORARY TABLE scratch;
REPLACE INTO `t5` (id, v) VALUES (2, 22);
DELETE /* a comment */ LOW_PRIORITY FROM shop.t6 WHERE id = 1;
LOAD DATA INFILE '$load_file' INTO TABLE shop.t7;
SQL
# the rest in ROW format: t2 streams, the tables in error skip their rows
$my->sql(<<'SQL');
INSERT INTO shop.t2 VALUES (3, 3);
UPDATE shop.t2 SET v = 20 WHERE id = 2;
INSERT INTO shop.t1 VALUES (11, 11, 'eleven');
UPDATE shop.t1 SET note = 'two, row' WHERE id = 2;
SQL
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the statement-based session');

is($node->safe_psql('postgres',
		"SELECT string_agg(mysql_table || '=' || state, ',' ORDER BY mysql_table) FROM chameleon.tables"),
	't1=error,t2=streaming,t3=error,t4=error,t5=error,t6=error,t7=error',
	'the tables written by statements are in error, t2 streams');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM chameleon.tables WHERE state = 'error'"
		  . " AND last_error LIKE 'statement-based change cannot be applied: %'"),
	'6', 'last_error says why');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM sch_chameleon.t_ddl WHERE status = 'failed'"
		  . " AND error_message LIKE 'statement-based change cannot be applied: %'"
		  . " AND source_sql = 'INSERT INTO shop.t1 VALUES (10, 10, ''ten'')'"),
	'1', 'the INSERT is in t_ddl as failed, with its text');
is($node->safe_psql('postgres',
		"SELECT string_agg(e.mysql_table, ',' ORDER BY e.mysql_table) FROM sch_chameleon.t_errors e"
		  . " WHERE e.operation = 'statement' AND e.row_data ? 'statement'"),
	't1,t3,t4,t5,t6,t7',
	't_errors has one statement row per table (the second statement on t1 finds it in error)');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM sch_chameleon.t_ddl WHERE source_sql LIKE '%other.t1%'"
		  . " OR source_sql LIKE '%left_out%' OR (source_sql LIKE '%scratch%' AND status = 'failed')"),
	'0', 'statements on other databases, left-out and temporary tables are ignored');
like(slurp_file($node->logfile),
	qr/WARNING: .*table t1 is left out of the replica after a statement-based change.*\n(?:.*\n)*?.*HINT: .*binlog_format = ROW/,
	'a WARNING with a hint in the log');
is($node->safe_psql('postgres', 'SELECT v FROM shop.t2 WHERE id = 2') . ','
	  . $node->safe_psql('postgres', 'SELECT count(*) FROM shop.t2'),
	'20,3', 't2 has the rows written after the statements');
is($node->safe_psql('postgres', 'SELECT count(*) FROM shop.t1 WHERE id = 11'),
	'0', 'rows of t1 after the statement are skipped (t1 is in error)');

# --- sync_tables repairs them -------------------------------------------------------
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables('{t1,t3,t4,t5,t6,t7}')");
is($ret, 0, 'sync_tables of the tables in error') or diag($err);
$my->sql(<<'SQL');
INSERT INTO shop.t1 VALUES (12, 12, 'twelve');
UPDATE shop.t3 SET v = v * 2;
DELETE FROM shop.t5 WHERE id = 1;
INSERT INTO shop.t2 VALUES (4, 4);
SQL
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after sync_tables');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM chameleon.tables WHERE state IN ('copied', 'streaming')"),
	'7', 'every table is back');
my @kv = ([ 'id', 'id' ], [ 'v', 'v' ]);
ChameleonReplica::tables_equal($node, $my, 'shop', 't1', 'id',
	[ [ 'id', 'id' ], [ 'v', 'v' ], [ 'note', 'note' ] ], 't1: PostgreSQL equals MySQL');
ChameleonReplica::tables_equal($node, $my, 'shop', $_, 'id', \@kv, "$_: PostgreSQL equals MySQL")
  for qw(t2 t3 t5 t6 t7);
ChameleonReplica::tables_equal($node, $my, 'shop', 't4', 'id', [ [ 'id', 'id' ], [ 'w', 'w' ] ],
	't4: PostgreSQL equals MySQL');

$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
$node->stop;
$my->stop;
done_testing();
