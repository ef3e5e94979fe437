# 001_harness.pl -- the test harness itself: a throwaway MariaDB with the
# binlog on, a PostgreSQL node preloading pg_chameleon, CREATE EXTENSION.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;

# --- MariaDB ---------------------------------------------------------------
my $my = ChameleonMariaDB->new(name => 'source');
$my->start;
ok($my->is_running, 'mariadbd is running');
ok(-S $my->socket, 'unix socket exists');

is($my->variable('log_bin'),       '1',   'binary log is on');
is($my->variable('binlog_format'), 'ROW', 'binlog_format is ROW');
is($my->variable('server_id'), $my->server_id, 'server_id is the one given');
is($my->variable('port'),      $my->port,      'listens on the port chosen');
my ($file, $pos) = $my->binlog_position;
like($file, qr/^mariadb-bin\.\d+$/, 'binlog file name');
cmp_ok($pos, '>', 0, 'binlog position');

# a user over TCP, with a password that must never show up in a log
my $pass = 'harness-pw-' . int(rand(1_000_000_000));
$my->sql("CREATE DATABASE sakila");
$my->sql("CREATE TABLE t (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB",
	database => 'sakila');
$my->create_user('chameleon', $pass, 'SELECT ON sakila.*');
is( $my->sql('SELECT current_user()', user => 'chameleon', password => $pass),
	'chameleon@%',
	'the new user connects over TCP');
my ($ok, $out, $err) =
  $my->try_sql('SELECT 1', user => 'chameleon', password => 'not-' . $pass);
ok(!$ok, 'a wrong password is refused');
like($err, qr/Access denied/, 'with an access-denied error');
($ok, $out, $err) = $my->try_sql('SELEKT 1');
ok(!$ok && $err =~ /syntax/, 'try_sql reports SQL errors');
eval { $my->sql('SELEKT 1') };
like($@, qr/query failed/, 'sql dies on SQL errors');

$my->sql("INSERT INTO t VALUES (1, 'a\tb'), (2, NULL)", database => 'sakila');
is_deeply(
	[ $my->sql_rows('SELECT id, v FROM sakila.t ORDER BY id') ],
	[ [ 1, 'a\\tb' ], [ 2, 'NULL' ] ],
	'sql_rows splits rows and columns');

# config file
my $conf = $my->write_config(
	user         => 'chameleon',
	passwd       => $pass,
	my_database  => 'sakila',
	tables_limit => [],
	mysql_conn   => { connect_timeout => 5 });
ok(-f $conf, 'config file written');
is((stat $conf)[2] & 07777, 0600, 'config file mode is 0600');
is((stat $conf)[4], $>, 'config file owned by the test user');
my $yaml = slurp_file($conf);
like($yaml, qr/^  port: ${\ $my->port}$/m, 'config has the port');
like($yaml, qr/^  host: '127\.0\.0\.1'$/m, 'config has the host');
like($yaml, qr/^  connect_timeout: 5$/m, 'config has the extra connection key');
like($yaml, qr/^my_database: 'sakila'$/m, 'config has my_database');
like($yaml, qr/^my_server_id: \d+$/m, 'config has my_server_id');
like($yaml, qr/^tables_limit: \[\]$/m, 'config has tables_limit');

# restart with other options, then back
$my->restart(extra => ['binlog_format=STATEMENT']);
is($my->variable('binlog_format'), 'STATEMENT', 'restart applies new options');
$my->restart(extra => []);
is($my->variable('binlog_format'), 'ROW', 'and can drop them again');
is($my->sql('SELECT count(*) FROM sakila.t'), '2', 'data survives a restart');

# --- PostgreSQL --------------------------------------------------------------
my $node = PostgreSQL::Test::Cluster->new('pg');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_chameleon'");
$node->start;
isnt($node->port, $my->port, 'PostgreSQL and MariaDB use different ports');

$node->safe_psql('postgres', 'CREATE EXTENSION pg_chameleon');
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'pg_chameleon'"),
	'1.0', 'CREATE EXTENSION pg_chameleon');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace "
		  . "WHERE nspname IN ('chameleon', 'sch_chameleon')"),
	'chameleon,sch_chameleon',
	'both schemas exist');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM pg_proc WHERE proname = 'check_source' "
		  . "AND pronamespace = 'chameleon'::regnamespace"),
	'1',
	'chameleon.check_source exists');

# --- stop --------------------------------------------------------------------
my $pid = $my->pid;
$my->stop;
ok(!$my->is_running, 'mariadbd stopped');
ok(!kill(0, $pid), 'the mariadbd process is gone');
like(slurp_file($my->logfile), qr/Shutdown complete/, 'clean shutdown in the log');
unlike(slurp_file($my->logfile), qr/\Q$pass\E/, 'the password is not in the MariaDB log');

$node->stop;
unlike(slurp_file($node->logfile), qr/\Q$pass\E/, 'the password is not in the PostgreSQL log');

done_testing();
