# 070_health.pl -- health you can alert on (issue 15): chameleon.health's
# one word and its reason, status showing the current condition (the error
# history in chameleon.error_log), lag_seconds a number that grows while
# nothing is applied, the state "error" for what cannot heal by itself (a
# purged binlog, an account without REPLICATION SLAVE, a my_server_id taken
# by another replica) with slow retries, check_source and init_replica
# catching those up front, init_replica refusing a MySQL database that does
# not exist or a configuration for another PostgreSQL database, the
# "Access denied" hint, and a sync_tables interrupted by an immediate stop
# resuming by itself.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes;
use IPC::Run;

use ChameleonMariaDB;
use ChameleonReplica;

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'EOF');
CREATE DATABASE h1;
CREATE TABLE h1.t (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB;
INSERT INTO h1.t VALUES (1, 'a'), (2, 'b');
SET SESSION max_recursive_iterations = 10000000;
CREATE TABLE h1.big (id int PRIMARY KEY, v varchar(40)) ENGINE=InnoDB;
INSERT INTO h1.big SELECT seq, CONCAT('v', seq) FROM h1.seq_1_to_200000;
CREATE DATABASE h2;
CREATE TABLE h2.t (id int PRIMARY KEY) ENGINE=InnoDB;
EOF

my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
sub pg_one { return $node->safe_psql('postgres', $_[0]) }
sub pg_err { my ($ret, $out, $err) = $node->psql('postgres', $_[0]); return $err; }

# 5. bad input is an error before anything is made
my $nope = $my->write_config(my_database => 'nope');
like(pg_err("SELECT chameleon.init_replica('$nope')"),
	qr/MySQL database "nope" does not exist.*HINT:  Set my_database/s,
	'init_replica of a MySQL database that does not exist is an error');
my $other_db = $my->write_config(my_database => 'h1', pg_database => 'elsewhere');
like(pg_err("SELECT chameleon.init_replica('$other_db')"),
	qr/configuration ".*" is for database "elsewhere".*This is database "postgres"/s,
	'init_replica with pg_database naming another database is an error');
is(pg_one("SELECT count(*) FROM sch_chameleon.t_sources"), '0', 'nothing was made');
is(pg_one("SELECT count(*) FROM pg_namespace WHERE nspname IN ('nope', 'h1')"), '0', 'no schema either');

# 6. "Access denied" says what is likely
my $badpw = $my->write_config(my_database => 'h1', user => 'root', passwd => 'wrong');
like(pg_err("SELECT chameleon.init_replica('$badpw')"),
	qr/Access denied.*HINT:  The connection comes from the MySQL server's own host: .*anonymous account ''\@'localhost' is likely matched/s,
	'the Access denied hint from the server\'s host names the anonymous account as likely');
my $nopw = $my->write_config(my_database => 'h1', user => 'nopw_user', passwd => '');
$my->sql("CREATE USER nopw_user\@'%' IDENTIFIED BY 'secret'");
like(pg_err("SELECT chameleon.init_replica('$nopw')"),
	qr/Access denied.*using password: NO.*HINT:  No password was sent: set mysql_conn.passwd/s,
	'without a password the hint says so');

# a healthy replica
my $conf = $my->write_config(my_database => 'h1', copy_max_size => 1000, my_server_id => 7001);
$node->safe_psql('postgres', "SELECT chameleon.init_replica('$conf')");
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');
is(pg_one("SELECT health || ':' || coalesce(reason, '') || ':' || tables_in_error || ':' || tables_syncing
             FROM chameleon.health"), 'ok::0:0', 'health: ok');
like(pg_one("SELECT lag_seconds FROM chameleon.status"), qr/^[0-9.e-]+$/, 'lag_seconds is a number');

# 3. lag grows while nothing is applied (a stopped replica)
$node->safe_psql('postgres', "SELECT chameleon.stop_replica()");
my $lag1 = pg_one("SELECT lag_seconds FROM chameleon.status");
Time::HiRes::sleep(1.5);
my $lag2 = pg_one("SELECT lag_seconds FROM chameleon.status");
cmp_ok($lag2, '>', $lag1 + 1, 'a stopped replica: lag_seconds is a number that grows');
is(pg_one("SELECT health || ': ' || reason FROM chameleon.health"), 'degraded: the replica is stopped',
	'health: degraded, stopped');
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up again');

# 2. MariaDB down: reconnecting, error shown, lag grows; back: the error is gone from status, kept in error_log
$my->stop;
ok($node->poll_query_until('postgres', "SELECT state = 'reconnecting' AND last_error IS NOT NULL FROM chameleon.status"),
	'MariaDB down: reconnecting, with the error');
is(pg_one("SELECT health FROM chameleon.health"), 'degraded', 'health: degraded while reconnecting');
$lag1 = pg_one("SELECT lag_seconds FROM chameleon.status");
Time::HiRes::sleep(1.5);
cmp_ok(pg_one("SELECT lag_seconds FROM chameleon.status"), '>', $lag1 + 1, 'lag_seconds grows while reconnecting');
$my->start;
$my->sql("INSERT INTO h1.t VALUES (3, 'c')");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after MariaDB is back');
is(pg_one("SELECT state || ':' || coalesce(last_error, '<none>') FROM chameleon.status"), 'streaming:<none>',
	'status shows the current condition: streaming, no error');
is(pg_one("SELECT health FROM chameleon.health"), 'ok', 'health: ok again');
cmp_ok(pg_one("SELECT count(*) FROM chameleon.error_log WHERE source = 'h1' AND state = 'reconnecting'
                AND occurred_at > now() - interval '1 minute'"), '>=', 1,
	'the error is kept in chameleon.error_log with its time');

# 8. lagging
is(pg_one("SET pg_chameleon.lag_alert_seconds = 0; SELECT 1; SELECT health FROM chameleon.health"), "1\nlagging",
	'health: lagging above pg_chameleon.lag_alert_seconds');

# read-your-writes: wait until the replica has applied a position or a GTID
$my->sql("INSERT INTO h1.t VALUES (6, 'f')");
my ($wf, $wp) = $my->binlog_position;
is(pg_one("SELECT chameleon.wait_for_source_position('$wf', $wp, 30)"), 't',
	'wait_for_source_position: true once the write is applied');
is(pg_one("SELECT v FROM h1.t WHERE id = 6"), 'f', 'the write is there right after');
my $gtid = $my->sql('SELECT @@gtid_binlog_pos');
is(pg_one("SELECT chameleon.wait_for_source_gtid('$gtid', 30)"), 't', 'wait_for_source_gtid: true');
my $t0 = Time::HiRes::time();
is(pg_one("SELECT chameleon.wait_for_source_position('$wf', $wp + 1000000, 0.5)"), 'f',
	'a position not reached: false after the timeout');
cmp_ok(Time::HiRes::time() - $t0, '>=', 0.5, 'it waited the timeout');
my ($gd, $gs, $gn) = split /-/, (split /,/, $gtid)[0];
is(pg_one("SELECT chameleon.wait_for_source_gtid('$gd-$gs-" . ($gn + 1000000) . "', 0.5)"), 'f',
	'a GTID not reached: false after the timeout');
like(pg_err("SELECT chameleon.wait_for_source_gtid('junk', 1)"), qr/invalid MariaDB GTID "junk"/,
	'a malformed GTID is an error');
like(pg_err("SELECT chameleon.wait_for_source_position('$wf', 4, -1)"), qr/timeout must be zero or more/,
	'a negative timeout is an error');
$node->safe_psql('postgres', 'CREATE ROLE app LOGIN');
is($node->safe_psql('postgres', "SELECT chameleon.wait_for_source_position('$wf', $wp, 1)",
		extra_params => [ '-U', 'app' ]), 't', 'an application role without privileges may wait');

# 1. sync_tables interrupted by an immediate stop resumes by itself
my ($sout, $serr) = ('', '');
my $sync = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'),
		'-c', "SELECT chameleon.sync_tables('{big}')" ], '<', \undef, '>', \$sout, '2>', \$serr);
ok($node->poll_query_until('postgres',
		"SELECT coalesce(sum(rows_copied), 0) > 0 FROM sch_chameleon.t_copy_ranges
		  WHERE mysql_table = 'big' AND finished_at IS NULL", 't'),
	'sync_tables copies big');
# changes of big while its sync is copied, interrupted and resumed: none may be skipped
$my->sql("UPDATE h1.big SET v = 'during' WHERE id % 1000 = 1; DELETE FROM h1.big WHERE id % 1000 = 2;"
	  . " INSERT INTO h1.big VALUES (300001, 'during')");
$node->stop('immediate');
$sync->finish;
$my->sql("UPDATE h1.big SET v = 'down' WHERE id % 1000 = 3; DELETE FROM h1.big WHERE id % 1000 = 4;"
	  . " INSERT INTO h1.big VALUES (300002, 'down')");
$node->start;
$my->sql("UPDATE h1.big SET v = 'after' WHERE id % 1000 = 5; INSERT INTO h1.big VALUES (300003, 'after')");
ok($node->poll_query_until('postgres', "SELECT state IN ('copied', 'streaming') FROM chameleon.tables
                                         WHERE mysql_table = 'big'"),
	'the interrupted sync resumes by itself and ends');
like(slurp_file($node->logfile), qr/resuming the interrupted sync of replica "h1"/,
	'the launcher resumed it');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the resumed sync');
ChameleonReplica::tables_equal($node, $my, 'h1', 'big', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ]);

# 4a. a second replica with the same my_server_id: state error, no flapping
my $dup = $my->write_config(my_database => 'h2', my_server_id => 7001);
like(pg_one("SELECT status || ': ' || value FROM chameleon.check_source('$dup') WHERE check_name = 'server_id_free'"),
	qr/^error: my_server_id 7001 is used by the replica at host "pg_chameleon-/,
	'check_source sees my_server_id in use');
like(pg_err("SELECT chameleon.init_replica('$dup')"), qr/my_server_id 7001 is used by another replica of the source/,
	'init_replica refuses it too');
my $dup_ok = $my->write_config(my_database => 'h2', my_server_id => 7002);
$node->safe_psql('postgres', "SELECT chameleon.init_replica('$dup_ok')");
like(pg_one("SELECT lag_seconds FROM chameleon.status WHERE source = 'h2'"), qr/^[0-9.e+-]+$/,
	'lag_seconds is a number for a replica never started');
# the same server id, given to the existing h2 replica's configuration afterwards
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$dup')");
ok($node->poll_query_until('postgres',
		"SELECT state = 'error' AND last_error LIKE '%my_server_id 7001 is used by another replica%own my_server_id%'
		   FROM chameleon.status WHERE source = 'h2'"),
	'the duplicate goes to state error, with what to do');
is(pg_one("SELECT health FROM chameleon.health WHERE source = 'h2'"), 'error', 'health: error');
like(pg_one("SELECT lag_seconds FROM chameleon.status WHERE source = 'h2'"), qr/^[0-9.e+-]+$/,
	'lag_seconds is a number in state error');
my $h1_errors = pg_one("SELECT count(*) FROM chameleon.error_log WHERE source = 'h1'");
sleep 4;
is(pg_one("SELECT state FROM chameleon.status WHERE source = 'h1'"), 'streaming', 'the first replica streams on');
is(pg_one("SELECT count(*) FROM chameleon.error_log WHERE source = 'h1'"), $h1_errors,
	'the first replica is not disturbed (no flapping)');
cmp_ok(pg_one("SELECT count(*) FROM chameleon.error_log WHERE source = 'h2'"), '<=', 1,
	'the duplicate retries slowly');
$node->safe_psql('postgres', "SELECT chameleon.stop_replica('h2')");

# 4b. an account without REPLICATION SLAVE
$my->create_user('noslave', 'pw', 'SELECT ON h1.*', 'REPLICATION CLIENT ON *.*');
my $noslave = $my->write_config(my_database => 'h1', user => 'noslave', passwd => 'pw', my_server_id => 7001);
$node->safe_psql('postgres', "SELECT chameleon.stop_replica('h1')");
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$noslave')");
ok($node->poll_query_until('postgres',
		"SELECT state = 'error' AND last_error LIKE '%Access denied%GRANT REPLICATION SLAVE%'
		   FROM chameleon.status WHERE source = 'h1'"),
	'an account without REPLICATION SLAVE: state error, with the GRANT to run');
$node->safe_psql('postgres', "SELECT chameleon.stop_replica('h1')");

# 4c. a purged binlog
$my->sql("INSERT INTO h1.t VALUES (4, 'd'); FLUSH BINARY LOGS; INSERT INTO h1.t VALUES (5, 'e'); FLUSH BINARY LOGS");
my ($last) = $my->binlog_position;
my $h1_file = pg_one("SELECT applied_file FROM chameleon.status WHERE source = 'h1'");
# a dump thread that has not noticed its replica left keeps its file: try again
for (1 .. 50)
{
	$my->sql("PURGE BINARY LOGS TO '$last'");
	last unless $my->sql("SHOW BINARY LOGS", raw => 1) =~ /\Q$h1_file\E/;
	Time::HiRes::sleep(0.2);
}
unlike($my->sql("SHOW BINARY LOGS", raw => 1), qr/\Q$h1_file\E/, "h1's binlog $h1_file is purged");
like(pg_one("SELECT status || ': ' || value FROM chameleon.check_source('$conf') WHERE check_name = 'resume_position'"),
	qr/^error: .* is purged from the source$/, 'check_source sees the purged resume position');
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
ok($node->poll_query_until('postgres',
		"SELECT state = 'error' AND last_error LIKE '%init_replica(force => true)%'
		   FROM chameleon.status WHERE source = 'h1'"),
	'a purged binlog: state error, with what to do');
like(pg_one("SELECT reason FROM chameleon.health WHERE source = 'h1'"), qr/binlog|purged|Could not find/i,
	'health says why');

# drop_replica: forget a replica (its state and origin; the tables stay)
like(pg_err("SELECT chameleon.drop_replica('h1')"), qr/replica "h1" is running.*stop_replica/s,
	'drop_replica refuses a running replica');
is(pg_one("SELECT count(*) FROM pg_replication_origin WHERE roname LIKE 'pg_chameleon_%'"), '2',
	'two replicas, two origins');
like(pg_one("SELECT chameleon.drop_replica('h2')"),
	qr/^dropped replica "h2": .* the tables of schema "h2" are kept$/, 'drop_replica of a stopped replica');
is(pg_one("SELECT count(*) FROM sch_chameleon.t_sources WHERE source_name = 'h2'"), '0', 'its state is gone');
is(pg_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'h2'"), '1', 'its tables stay');
is(pg_one("SELECT count(*) FROM pg_replication_origin WHERE roname LIKE 'pg_chameleon_%'"), '1',
	'its replication origin is gone');
$node->safe_psql('postgres', "SELECT chameleon.stop_replica()");
is(pg_one("SELECT state FROM chameleon.status"), 'stopped',
	'the one replica left needs no name (stop_replica())');

# 7. DROP DATABASE leaves the replica's origin: the launcher drops it
$node->safe_psql('postgres', 'CREATE DATABASE gone');
$node->safe_psql('gone', 'CREATE EXTENSION pg_chameleon');
my $gone = $my->write_config(my_database => 'h2', my_server_id => 7009);
$node->safe_psql('gone', "SELECT chameleon.init_replica('$gone')");
$node->safe_psql('gone', "SELECT chameleon.start_replica('$gone')");
my $gone_oid = pg_one("SELECT oid FROM pg_database WHERE datname = 'gone'");
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_replication_origin WHERE roname LIKE 'pg_chameleon\\_${gone_oid}\\_%'"),
	'the replica in database gone has its origin');
$node->safe_psql('gone', "SELECT chameleon.stop_replica()");
$node->safe_psql('postgres', 'DROP DATABASE gone');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_replication_origin WHERE roname LIKE 'pg_chameleon\\_${gone_oid}\\_%'"),
	'after DROP DATABASE the launcher drops the orphan origin');
like(slurp_file($node->logfile), qr/dropped replication origin "pg_chameleon_${gone_oid}_\d+": its database no longer exists/,
	'and says so in the log');
like(pg_one("SELECT status || ': ' || value FROM chameleon.check_source('$conf') WHERE check_name = 'replication_origin_slots'"),
	qr/^ok: 1 of max_replication_slots \d+ in use$/, 'check_source counts the origin state slots in use');

# 7b. every origin slot taken: check_source and init_replica say what to raise, before any copy
$my->sql('CREATE DATABASE h5; CREATE TABLE h5.a (id int PRIMARY KEY) ENGINE=InnoDB; INSERT INTO h5.a VALUES (1)');
my $h5 = $my->write_config(my_database => 'h5', my_server_id => 7011);
my $free = pg_one("SELECT current_setting('max_replication_slots')::int - count(*) FROM pg_replication_origin_status");
$node->safe_psql('postgres', join('', map {
	"SELECT pg_replication_origin_create('filler_$_'); SELECT pg_replication_origin_advance('filler_$_', '0/1');"
} 1 .. $free));
like(pg_one("SELECT status || ': ' || value || ' / ' || hint FROM chameleon.check_source('$h5')
             WHERE check_name = 'replication_origin_slots'"),
	qr/^error: (\d+) of max_replication_slots \1 in use \/ raise max_replication_slots above \1/,
	'check_source: every origin slot in use, and what to raise');
like(pg_err("SELECT chameleon.init_replica('$h5')"),
	qr/cannot copy a new replica: every replication origin slot is in use.*HINT:  Raise max_replication_slots above \d+/s,
	'init_replica refuses before copying, saying what to raise');
is(pg_one("SELECT count(*) FROM sch_chameleon.t_sources WHERE source_name = 'h5'")
	  . pg_one("SELECT count(*) FROM pg_namespace WHERE nspname = 'h5'"), '00', 'and makes nothing');
$node->safe_psql('postgres', join('', map { "SELECT pg_replication_origin_drop('filler_$_');" } 1 .. $free));

# 4d. init_replica: a copy that outlived the binlog file of its first slice
$my->sql('CREATE DATABASE h4; CREATE TABLE h4.a (id int PRIMARY KEY) ENGINE=InnoDB;'
	  . ' INSERT INTO h4.a VALUES (1); CREATE TABLE h4.z (id int PRIMARY KEY) ENGINE=InnoDB;'
	  . ' INSERT INTO h4.z VALUES (1)');
my ($po, $pe) = ('', '');
my $pause = IPC::Run::start([ $my->_client_command(database => 'h4'), '-e', 'LOCK TABLES z WRITE; DO SLEEP(600)' ],
	'<', \undef, '>', \$po, '2>', \$pe);
ok($my->poll_query_until("SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(600)%'"),
	'h4.z is locked');
my $h4 = $my->write_config(my_database => 'h4', my_server_id => 7010, copy_workers => 1);
my ($io, $ie) = ('', '');
my $init = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
		"SELECT chameleon.init_replica('$h4')" ], '<', \undef, '>', \$io, '2>', \$ie);
ok($node->poll_query_until('postgres',
		"SELECT state = 'copied' FROM chameleon.tables WHERE source = 'h4' AND mysql_table = 'a'"),
	'h4.a is copied while h4.z waits');
$my->sql('FLUSH BINARY LOGS');
my ($cur) = $my->binlog_position;
for (1 .. 50)
{
	$my->sql("PURGE BINARY LOGS TO '$cur'");
	last if $my->sql('SHOW BINARY LOGS', raw => 1) !~ /mariadb-bin\.\d+\s/
	  || scalar(() = $my->sql('SHOW BINARY LOGS', raw => 1) =~ /mariadb-bin/g) == 1;
	Time::HiRes::sleep(0.2);
}
is(scalar(() = $my->sql('SHOW BINARY LOGS', raw => 1) =~ /mariadb-bin/g), 1, 'the older binlogs are purged');
my $sleeper = $my->sql("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(600)%'");
$my->sql("KILL CONNECTION $sleeper");
$pause->kill_kill;
$init->finish;
like($ie, qr/the binlog the stream must start from, .* is purged from the source.*HINT:  Keep binlogs longer/s,
	'init_replica says the binlog of its first slice is purged, before any stream tries');

done_testing();
