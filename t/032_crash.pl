# 032_crash.pl -- exactly once across crashes: while MySQL takes a continuous
# write load, the apply worker is killed with SIGKILL five times and the
# whole PostgreSQL server is stopped in immediate mode five times, at random
# moments; after each the replica resumes by itself, and at the end every
# table, including one without a primary key (where a change applied twice
# would show as a duplicate), equals MySQL exactly.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();

use ChameleonMariaDB;
use ChameleonReplica;

my $my = ChameleonMariaDB->new(
	name  => 'source',
	extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE sakila;
CREATE TABLE sakila.pk (id int NOT NULL PRIMARY KEY, v int NOT NULL, s varchar(40)) ENGINE=InnoDB;
CREATE TABLE sakila.nopk (a int, b varchar(200)) ENGINE=InnoDB;
SQL
my $conf = $my->write_config(my_database => 'sakila', replica_batch_size => 20);

my $node = ChameleonReplica::new_node('pg');
ChameleonReplica::init_by_hand($node, $my, $conf, 'sakila', {
	pk   => 'id integer PRIMARY KEY, v integer NOT NULL, s varchar(40)',
	nopk => 'a integer, b varchar(200)',
});
$node->safe_psql('postgres',
	'SELECT chameleon.start_replica(' . ChameleonReplica::pg_literal($conf) . ')');
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'replica streaming');

# --- the write load: single statements and multi-statement transactions ---------
my $n = $ENV{CHAMELEON_CRASH_ROWS} // 40000;
my $load = '';
for my $i (1 .. $n)
{
	my $k = $i % 10;
	$load .= "BEGIN;\n" if $i % 3 == 0;
	$load .= "INSERT INTO sakila.pk VALUES ($i, $i, 'row $i');\n";
	$load .= "INSERT INTO sakila.nopk VALUES ($k, 'x');\n";
	$load .= "UPDATE sakila.pk SET v = v + 1, s = CONCAT(s, '+') WHERE id = " . ($i - 1) . ";\n"
	  if $i % 2 == 0;
	$load .= "DELETE FROM sakila.pk WHERE id = " . ($i - 3) . ";\n" if $i % 5 == 0;
	$load .= "UPDATE sakila.nopk SET b = 'u$i' WHERE a = " . ($i % 7) . " LIMIT 1;\n"
	  if $i % 4 == 0;
	$load .= "DELETE FROM sakila.nopk WHERE a = $k LIMIT 1;\n" if $i % 6 == 0;
	$load .= "COMMIT;\n" if $i % 3 == 0;
}
my $load_file = PostgreSQL::Test::Utils::tempdir() . '/load.sql';
PostgreSQL::Test::Utils::append_to_file($load_file, $load);
my $load_log = "$PostgreSQL::Test::Utils::log_path/032_crash_load.log";
# the client reads its file itself: nothing to pump while the test kills
my $writer = IPC::Run::start(
	[ 'mariadb', '--no-defaults', '--batch', '--protocol=SOCKET',
		'--socket=' . $my->socket, '--user=root' ],
	'<', $load_file, '>', $load_log, '2>&1');

sub worker_pid
{
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_chameleon apply'");
}

sub wait_streaming
{
	my ($what) = @_;
	ok($node->poll_query_until('postgres',
			"SELECT state = 'streaming' AND pid IS NOT NULL FROM chameleon.status"),
		$what);
}

sub applied
{
	return $node->safe_psql('postgres', 'SELECT count(*) FROM sakila.pk');
}

# a random moment: somewhere in the next 0.2 .. 1.2 s of streaming
sub random_moment
{
	Time::HiRes::sleep(0.2 + rand(1.0));
}

for my $round (1 .. 5)
{
	random_moment();
	my $pid = worker_pid();
	my $before = applied();
	kill 'KILL', $pid if $pid =~ /^\d+$/;
	note("round $round: killed worker $pid with $before rows applied");
	wait_streaming("round $round: after kill -9 of the worker the replica resumes");
}

for my $round (1 .. 5)
{
	random_moment();
	my $before = applied();
	$node->stop('immediate');
	note("round $round: immediate stop with $before rows applied");
	$node->start;
	wait_streaming("round $round: after an immediate stop the replica resumes");
}

my $writer_still_running = $writer->pumpable;
$writer->finish;
is($?, 0, 'the write load ran to the end') or diag(slurp_file($load_log));
ok($writer_still_running, 'the crashes happened while the load was running')
  or diag('the load finished before the last crash; raise CHAMELEON_CRASH_ROWS');

ok(ChameleonReplica::wait_caught_up($node, $my), 'the replica caught up');
ChameleonReplica::tables_equal($node, $my, 'sakila', 'pk', 'id',
	[ [ 'id', 'id' ], [ 'v', 'v' ], [ 's', 's' ] ],
	'table with a primary key equals MySQL');
ChameleonReplica::tables_equal($node, $my, 'sakila', 'nopk', 'a, b',
	[ [ 'a', 'a' ], [ 'b', 'b' ] ],
	'table without a primary key equals MySQL: no change applied twice or lost');
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.errors'), '0',
	'no rejected rows');

$node->stop;
$my->stop;
done_testing();
