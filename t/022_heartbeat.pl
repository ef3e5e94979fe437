# 022_heartbeat.pl -- an idle source still shows that it is alive.
#
# The apply worker asks the source for a heartbeat every heartbeat_period
# seconds (SET @master_heartbeat_period before the dump).  With nothing
# written on the source, chameleon.status.last_heartbeat must keep advancing,
# paced by that period, while the binlog and the read position stay where
# they are: the advances come from heartbeats, not from events.  The
# look-through function binlog_events, which never blocks, returns at once
# at the end of an idle binlog.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();

use ChameleonMariaDB;
use ChameleonReplica;

my $pass = 'heartbeat-pw-' . int(rand(1_000_000_000));

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE sakila;
CREATE TABLE sakila.actor (actor_id int NOT NULL PRIMARY KEY, name varchar(45)) ENGINE=InnoDB;
SQL
$my->create_user('chameleon', $pass,
	'REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.*', 'SELECT ON sakila.*');
my $conf = $my->write_config(
	user             => 'chameleon',
	passwd           => $pass,
	my_database      => 'sakila',
	heartbeat_period => 1);

my $node = ChameleonReplica::new_node('pg',
	conf => "pg_chameleon.config = '$conf'\n");
ChameleonReplica::init_by_hand($node, $my, $conf, 'sakila',
	{ actor => 'actor_id integer PRIMARY KEY, name varchar(45)' });
my $conf_lit = ChameleonReplica::pg_literal($conf);

is($node->safe_psql('postgres',
		"SELECT value FROM chameleon.check_config($conf_lit) WHERE key = 'heartbeat_period'"),
	'1', 'the config sets heartbeat_period to 1 second');

$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'replica streaming');
$my->sql("INSERT INTO sakila.actor VALUES (1, 'ONE')");
ChameleonReplica::wait_caught_up($node, $my);

# --- the source is idle from here on ---------------------------------------
my ($file, $pos) = $my->binlog_position;
ok($node->poll_query_until('postgres',
		'SELECT last_heartbeat IS NOT NULL FROM chameleon.status'),
	'an idle source sends heartbeats');

# wait for three successive advances of last_heartbeat
my $read_before = $node->safe_psql('postgres',
	"SELECT read_file || ':' || read_position FROM chameleon.status");
my @beats = ($node->safe_psql('postgres',
		'SELECT extract(epoch FROM last_heartbeat) FROM chameleon.status'));
for my $n (1 .. 3)
{
	ok($node->poll_query_until('postgres',
			"SELECT extract(epoch FROM last_heartbeat) > $beats[-1] FROM chameleon.status"),
		"last_heartbeat advances on the idle source ($n)");
	push @beats, $node->safe_psql('postgres',
		'SELECT extract(epoch FROM last_heartbeat) FROM chameleon.status');
}
is(join(':', $my->binlog_position), "$file:$pos",
	'the source binlog did not move: the advances are heartbeats');
is($node->safe_psql('postgres',
		"SELECT read_file || ':' || read_position FROM chameleon.status"),
	$read_before, 'the read position did not move either');

# Paced by heartbeat_period (1 s): not a busy loop, not a slower clock.  The
# bounds are loose for slow machines; three beats 1 s apart take about 2 s.
my $span = $beats[-1] - $beats[1];
ok($span >= 1.0 && $span <= 8.0,
	sprintf('two heartbeat intervals took %.2f s (period 1 s)', $span))
  or diag('heartbeats at: ' . join(', ', @beats));

is($node->safe_psql('postgres',
		"SELECT state, last_error IS NULL, lag_seconds < 5 FROM chameleon.status"),
	'streaming|t|t', 'an idle replica stays streaming, without error, its lag small');

# a new row still arrives after the idle time
$my->sql("INSERT INTO sakila.actor VALUES (2, 'TWO')");
ChameleonReplica::wait_caught_up($node, $my);
is($node->safe_psql('postgres', 'SELECT count(*) FROM sakila.actor'), '2',
	'a row written after the idle time is applied');

# --- binlog_events at the end of an idle binlog returns at once -------------
($file, $pos) = $my->binlog_position;
my $t0 = [Time::HiRes::gettimeofday];
my $n = $node->safe_psql('postgres', "SELECT count(*) FROM chameleon.binlog_events('$file', $pos)");
my $took = Time::HiRes::tv_interval($t0);
ok($n <= 1, "binlog_events at the end of the binlog returns no event ($n)");
ok($took < 5, sprintf('... and returns at once (%.2f s), not after a heartbeat or timeout', $took));

$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
$node->stop;
$my->stop;
done_testing();
