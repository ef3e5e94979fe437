# 055_guard.pl -- replicated tables reject local writes (issue 15): a local
# INSERT, UPDATE, DELETE or TRUNCATE on a replicated table is refused with a
# clear error while the stream applies MySQL's changes; tables made by
# streamed CREATE TABLE and by add_tables are guarded too; protect_tables:
# false leaves them writable; remove_tables and detach_replica take the
# guard away; a superuser can bypass it on purpose.  A replicated table
# dropped by hand goes to state error, and the replica streams the others.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE g1;
CREATE TABLE g1.a (id int PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE g1.b (id int PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE g1.c (id int PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO g1.a VALUES (1, 1), (2, 2);
INSERT INTO g1.b VALUES (1, 1);
INSERT INTO g1.c VALUES (1, 1);
CREATE DATABASE g2;
CREATE TABLE g2.a (id int PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO g2.a VALUES (1, 1);
SQL
my $conf = $my->write_config(my_database => 'g1');
my $conf2 = $my->write_config(my_database => 'g2', protect_tables => \'false', my_server_id => 7302);
my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
sub pg_one { return $node->safe_psql('postgres', $_[0]) }
sub pg_err { my ($ret, $out, $err) = $node->psql('postgres', $_[0]); return $err; }

$node->safe_psql('postgres', "SELECT chameleon.init_replica('$conf')");
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");

for my $w ([ insert => 'INSERT INTO g1.a VALUES (9, 9)' ], [ update => 'UPDATE g1.a SET v = 0' ],
	[ delete => 'DELETE FROM g1.a WHERE id = 1' ], [ truncate => 'TRUNCATE g1.a' ])
{
	like(pg_err($w->[1]),
		qr/ERROR:  cannot $w->[0] table g1\.a: it is replicated from MySQL by replica "g1".*HINT:  Change the row in MySQL/s,
		"a local $w->[0] is refused");
}
$my->sql("INSERT INTO g1.a VALUES (3, 3); UPDATE g1.a SET v = 20 WHERE id = 2; DELETE FROM g1.a WHERE id = 1");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');
ChameleonReplica::tables_equal($node, $my, 'g1', 'a', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ],
	'the stream applies MySQL changes to the guarded table');

# a superuser can write on purpose
is(pg_one("SET session_replication_role = replica; UPDATE g1.b SET v = 5 WHERE id = 1; SELECT v FROM g1.b"),
	'5', 'session_replication_role = replica bypasses the guard');

# tables made later are guarded too
$my->sql('CREATE TABLE g1.d (id int PRIMARY KEY) ENGINE=InnoDB; INSERT INTO g1.d VALUES (1)');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after CREATE TABLE');
like(pg_err('INSERT INTO g1.d VALUES (2)'), qr/cannot insert table g1\.d/, 'a table of a streamed CREATE TABLE is guarded');
$node->safe_psql('postgres', "SELECT chameleon.sync_tables('{a}')");
like(pg_err('DELETE FROM g1.a'), qr/cannot delete table g1\.a/, 'a table copied again by sync_tables is guarded');

# remove_tables: no longer replicated, writable; add_tables: guarded again
$node->safe_psql('postgres', "SELECT chameleon.remove_tables('{c}')");
is(pg_one('INSERT INTO g1.c VALUES (7, 7); SELECT count(*) FROM g1.c'), '2', 'a removed table is writable');
$node->safe_psql('postgres', "SELECT chameleon.add_tables('{c}')");
like(pg_err('DELETE FROM g1.c'), qr/cannot delete table g1\.c/, 'a table of add_tables is guarded');

# a replicated table dropped by hand: state error, the others stream on
$node->safe_psql('postgres', 'DROP TABLE g1.b');
is(pg_one("SELECT state || ': ' || last_error FROM chameleon.tables WHERE mysql_table = 'b'"),
	'error: the PostgreSQL table was dropped by hand: copy it again with chameleon.sync_tables()',
	'a table dropped by hand goes to state error, with why');
$my->sql('INSERT INTO g1.b VALUES (2, 2); INSERT INTO g1.a VALUES (4, 4)');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the drop');
is(pg_one("SELECT state FROM chameleon.status"), 'streaming', 'the replica streams on');
is(pg_one("SELECT health || ' | ' || reason || ' | ' || tables_in_error || ' ' || tables_syncing || ' ' || tables
             FROM chameleon.health WHERE source = 'g1'"),
	'degraded | 1 table(s) in error (chameleon.tables) | 1 0 4',
	'health: degraded, one table in error, counted');
ChameleonReplica::tables_equal($node, $my, 'g1', 'a', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ],
	'and applies the other tables');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/, 'no crash');
$node->safe_psql('postgres', "SELECT chameleon.sync_tables('{b}')");
ChameleonReplica::tables_equal($node, $my, 'g1', 'b', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ],
	'sync_tables copies it back');

# protect_tables: false
$node->safe_psql('postgres', "SELECT chameleon.init_replica('$conf2')");
is(pg_one('INSERT INTO g2.a VALUES (5, 5); SELECT count(*) FROM g2.a'), '2',
	'protect_tables: false leaves the tables writable');

# the replicated schema dropped by hand: every table in error, the worker does not crash
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf2')");
$node->safe_psql('postgres', 'DROP SCHEMA g2 CASCADE');
is(pg_one("SELECT string_agg(mysql_table || ': ' || state, ',') FROM chameleon.tables WHERE source = 'g2'"),
	'a: error', 'DROP SCHEMA by hand: its tables go to state error');
$my->sql('INSERT INTO g2.a VALUES (6, 6); INSERT INTO g1.a VALUES (5, 5)');
my ($file, $pos) = $my->binlog_position;
ok($node->poll_query_until('postgres',
		"SELECT bool_and(applied_file = '$file' AND applied_position >= $pos) FROM chameleon.status"),
	'both caught up after DROP SCHEMA');
is(pg_one("SELECT string_agg(source || '=' || state, ',' ORDER BY source) FROM chameleon.status"),
	'g1=streaming,g2=streaming', 'both replicas stream on');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/, 'no crash');
$node->safe_psql('postgres', "SELECT chameleon.stop_replica('g2')");

# detach: the tables take local writes
$node->safe_psql('postgres', "SELECT * FROM chameleon.detach_replica('g1')");
is(pg_one('INSERT INTO g1.a VALUES (100, 100); SELECT count(*) FROM g1.a WHERE id = 100'), '1',
	'after detach_replica the tables are writable');
is(pg_one("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'chameleon_guard%'"), '0', 'no guard trigger left');

done_testing();
