# 030_worker.pl -- the apply worker's lifecycle: start_replica refused before
# init, start/stop, chameleon.status, SIGTERM honoured within a second,
# restart of a dead worker by the launcher, auto-resume after a server
# restart, replication origin, monitoring views readable by pg_monitor.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use ChameleonMariaDB;

my $pass = 'worker-pw-' . int(rand(1_000_000_000));

# --- servers -----------------------------------------------------------------
my $my = ChameleonMariaDB->new(
	name  => 'source',
	extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE sakila;
CREATE TABLE sakila.actor (
    actor_id   int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    first_name varchar(45) NOT NULL
) ENGINE=InnoDB;
INSERT INTO sakila.actor (first_name) VALUES ('PENELOPE'), ('NICK');
SQL
$my->create_user('chameleon', $pass,
	'REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.*',
	'SELECT ON sakila.*');
my $conf = $my->write_config(
	user        => 'chameleon',
	passwd      => $pass,
	my_database => 'sakila');

my $node = PostgreSQL::Test::Cluster->new('pg');
$node->init;
$node->append_conf('postgresql.conf', <<'CONF');
shared_preload_libraries = 'pg_chameleon'
log_min_messages = debug1
restart_after_crash = on
CONF
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_chameleon');

sub pg_literal
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}
my $conf_lit = pg_literal($conf);

# psql that must fail; returns its stderr
sub psql_error
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql);
	isnt($ret, 0, "fails: $sql");
	return $err;
}

sub worker_pid
{
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_chameleon apply'");
}

sub status
{
	my ($cols) = @_;
	return $node->safe_psql('postgres', "SELECT $cols FROM chameleon.status");
}

# --- start refused before init -------------------------------------------------
my $err = psql_error("SELECT chameleon.start_replica($conf_lit)");
like($err, qr/replica "sakila" is not initialised/, 'start before init: clear error');
like($err, qr/HINT:.*init_replica/, 'start before init: hint names init_replica');

# a source row without a start position is not initialised either
my ($file, $pos);
$node->safe_psql('postgres', <<"SQL");
INSERT INTO sch_chameleon.t_sources (source_name, pg_schema, config_path, server_id)
VALUES ('sakila', 'sakila', $conf_lit, 1101);
SQL
$err = psql_error("SELECT chameleon.start_replica($conf_lit)");
like($err, qr/no start position/, 'start without a position: refused');
$node->safe_psql('postgres', 'DELETE FROM sch_chameleon.t_sources');

# the real thing: copy the tables and record the snapshot's binlog position
my ($ret, $out, $stderr) = $node->psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
is($ret, 0, 'init_replica') or diag($stderr);
($file, $pos) = split /\|/, $node->safe_psql('postgres',
	'SELECT binlog_file, binlog_position FROM sch_chameleon.t_replica_batch');

is(status('state'), 'stopped', 'status: stopped before start');
($ret, $out, $stderr) = $node->psql('postgres', 'SELECT chameleon.stop_replica()');
is($ret, 0, 'stop_replica on a stopped replica succeeds');
like($stderr, qr/was not running/, '... with a notice');

# --- start / status / stop -----------------------------------------------------
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres',
		"SELECT state = 'streaming' AND pid IS NOT NULL FROM chameleon.status"),
	'status: streaming with a worker pid');
my $pid = worker_pid();
like($pid, qr/^\d+$/, 'the worker is in pg_stat_activity as pg_chameleon apply');
is(status('pid'), $pid, 'status shows the worker pid');
# The worker registers with my_server_id (COM_REGISTER_SLAVE, whose OK reply
# must be read before the dump starts): the source lists it as a replica.
my $replica_id = $my->server_id + 1000;
ok($my->poll_query_until(
		"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'", '1'),
	'the source shows one binlog dump thread');
like($my->sql('SHOW SLAVE HOSTS'), qr/^$replica_id\t/m,
	'the source lists the worker under my_server_id in SHOW SLAVE HOSTS');
is(status('applied_file || \':\' || applied_position'), "$file:$pos",
	'status: applied position is the init position');
is($node->safe_psql('postgres', "SELECT state FROM sch_chameleon.t_sources"),
	'streaming', 't_sources.state is streaming');

$err = psql_error("SELECT chameleon.start_replica($conf_lit)");
like($err, qr/replica "sakila" is already running/, 'second start refused');

my $origin = $node->safe_psql('postgres',
	"SELECT count(*) FROM pg_replication_origin WHERE roname = 'pg_chameleon_' ||"
	  . " (SELECT oid FROM pg_database WHERE datname = 'postgres') || '_' ||"
	  . " (SELECT source_id FROM sch_chameleon.t_sources)");
is($origin, '1', 'the source has a replication origin');

# monitoring views are readable by pg_monitor members
$node->safe_psql('postgres', 'CREATE ROLE watcher LOGIN IN ROLE pg_monitor');
is($node->safe_psql('postgres', 'SELECT source, state FROM chameleon.status',
		extra_params => ['-U', 'watcher']),
	'sakila|streaming', 'pg_monitor member reads chameleon.status');
is($node->safe_psql('postgres',
		'SELECT count(*) FROM chameleon.tables, chameleon.errors',
		extra_params => ['-U', 'watcher']),
	'0', 'pg_monitor member reads chameleon.tables and chameleon.errors');

my $t0 = time();
$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
my $stop_s = time() - $t0;
is(worker_pid(), '', 'stop_replica returns after the worker exited');
cmp_ok($stop_s, '<', 5, "stop_replica is quick on an idle source (${stop_s}s)");
is(status("state || '/' || coalesce(pid::text, 'none')"), 'stopped/none',
	'status: stopped, no pid');
is($node->safe_psql('postgres', "SELECT state FROM sch_chameleon.t_sources"),
	'stopped', 't_sources.state is stopped');

# --- SIGTERM: honoured within a second; the launcher restarts the worker --------
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres',
		"SELECT state = 'streaming' FROM chameleon.status"), 'started again');
$pid = worker_pid();
$t0 = time();
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
my $gone;
while (time() - $t0 < 10)
{
	$gone = $node->safe_psql('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid") eq 't';
	last if $gone;
	Time::HiRes::sleep(0.02);
}
my $term_s = time() - $t0;
ok($gone, 'pg_terminate_backend ended the worker');
cmp_ok($term_s, '<', 1.0, sprintf('... within a second (%.2fs)', $term_s));

ok($node->poll_query_until('postgres',
		"SELECT pid IS NOT NULL AND pid <> $pid AND state = 'streaming'"
		  . " AND restarts = 1 FROM chameleon.status"),
	'the launcher restarted the terminated worker');

# --- server restart: the streaming replica comes back ---------------------------
$pid = worker_pid();
$node->restart;
ok($node->poll_query_until('postgres',
		"SELECT pid IS NOT NULL AND state = 'streaming' FROM chameleon.status"),
	'after a restart the replica streams again');
isnt(worker_pid(), $pid, '... in a new worker');
ok($node->log_contains('resuming replica "sakila" in database "postgres"'),
	'the log says the replica was resumed');

# crash restart (immediate stop) resumes too
$node->stop('immediate');
$node->start;
ok($node->poll_query_until('postgres',
		"SELECT pid IS NOT NULL AND state = 'streaming' FROM chameleon.status"),
	'after an immediate stop the replica streams again');

# kill -9 of the worker: the postmaster reinitialises, the launcher resumes
$pid = worker_pid();
kill 'KILL', $pid;
ok($node->poll_query_until('postgres',
		"SELECT pid IS NOT NULL AND pid <> $pid AND state = 'streaming' FROM chameleon.status"),
	'after kill -9 of the worker (crash restart) the replica streams again');

# a stopped replica stays stopped across a restart
$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
my $log_offset = -s $node->logfile;
$node->restart;
$node->wait_for_log(qr/pg_chameleon launcher: every database scanned/, $log_offset);
pass('launcher up, every database scanned');
is(status("state || '/' || coalesce(pid::text, 'none')"), 'stopped/none',
	'a stopped replica is not resumed');

$node->stop;
$my->stop;
done_testing();
