# 050_roles.pl -- roles and security.
#
# Every function of schema chameleon that PUBLIC may not execute (found in
# pg_proc, so functions added later are covered) refuses a plain login user
# with SQLSTATE 42501, and refuses a pg_monitor member unless it is one of the
# view functions; pg_monitor reads the views.  A non-superuser member of
# chameleon_admin runs check_config, check_source, init_replica,
# start_replica, stop_replica and detach_replica against a throwaway MariaDB
# and reads the views, but names only configuration files a superuser
# registered and cannot read sch_chameleon.  The MySQL password appears in
# no view, no function output, no error and not in the server log.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $pass = 'roles-pw-' . int(rand(1_000_000_000));
my $bad_pass = 'roles-wrong-pw-' . int(rand(1_000_000_000));

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE shop;
CREATE TABLE shop.customer (id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name varchar(40) NOT NULL) ENGINE=InnoDB;
INSERT INTO shop.customer (name) VALUES ('ann'), ('bob');
SQL
$my->create_user('chameleon', $pass,
	'SELECT, RELOAD, BINLOG MONITOR, REPLICATION SLAVE, REPLICATION CLIENT ON *.*');
my $conf = $my->write_config(user => 'chameleon', passwd => $pass, my_database => 'shop');
my $other_conf = $my->write_config(user => 'chameleon', passwd => $pass, my_database => 'shop');
my $bad_conf = $my->write_config(user => 'chameleon', passwd => $bad_pass, my_database => 'shop');
my $conf_lit = ChameleonReplica::pg_literal($conf);
my $other_lit = ChameleonReplica::pg_literal($other_conf);

# debug1: more log lines that must not carry the password
my $node = ChameleonReplica::new_node('pg',
	conf => "log_min_messages = debug1\nlog_statement = 'all'\n");
$node->safe_psql('postgres', <<SQL);
CREATE ROLE plain LOGIN;
CREATE ROLE admin LOGIN IN ROLE chameleon_admin;
ALTER ROLE admin SET pg_chameleon.config = $conf_lit;
CREATE ROLE admin2 LOGIN IN ROLE chameleon_admin;
CREATE ROLE mon LOGIN IN ROLE pg_monitor;
SQL

# Everything a role saw: checked for the password at the end.
my $seen = '';

# Run SQL as a role; returns (exit code, stdout, stderr with the SQLSTATE).
sub as_role
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql",
		extra_params => [ '-U', $role ]);
	$seen .= "$out\n$err\n";
	return ($ret, $out, $err);
}

sub denied_ok
{
	my ($role, $sql, $what, $pattern) = @_;
	my ($ret, $out, $err) = as_role($role, $sql);
	$pattern //= qr/permission denied/;
	ok($ret != 0 && $err =~ /ERROR:\s+42501: / && $err =~ $pattern, "$role: $what refused (42501)")
	  or diag("ret $ret, stdout: $out, stderr: $err");
}

sub allowed_ok
{
	my ($role, $sql, $what) = @_;
	my ($ret, $out, $err) = as_role($role, $sql);
	is($ret, 0, "$role: $what") or diag($err);
	return $out;
}

# --- the functions that act on a replica, from the catalog ---------------------------
my @restricted = split /\n/, $node->safe_psql('postgres', <<'SQL');
SELECT format('%s|%I.%I(%s)', p.proname, n.nspname, p.proname,
              (SELECT string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY o)
               FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, o)))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'chameleon' AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
ORDER BY 1
SQL
my %calls = map { split /\|/, $_, 2 } @restricted;
ok(scalar(keys %calls) >= 10, 'pg_proc lists the restricted functions: ' . join(', ', sort keys %calls));
for my $f (qw(init_replica start_replica stop_replica detach_replica check_config check_source
	binlog_events binlog_rows binlog_file_events binlog_file_rows))
{
	ok(exists $calls{$f}, "$f is not executable by PUBLIC");
}

# each is granted to chameleon_admin; the SECURITY DEFINER ones fix search_path
is($node->safe_psql('postgres', <<'SQL'), '', 'chameleon_admin may execute every restricted function');
SELECT string_agg(p.oid::regprocedure::text, ', ')
FROM pg_proc p
WHERE p.pronamespace = 'chameleon'::regnamespace
  AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
  AND NOT has_function_privilege('chameleon_admin', p.oid, 'EXECUTE')
SQL
is($node->safe_psql('postgres', <<'SQL'), '', 'every SECURITY DEFINER function sets search_path');
SELECT string_agg(p.oid::regprocedure::text, ', ')
FROM pg_proc p
WHERE p.pronamespace = 'chameleon'::regnamespace AND p.prosecdef
  AND NOT coalesce(p.proconfig::text LIKE '%search_path=pg_catalog, pg_temp%', false)
SQL

# The restricted functions that run as the caller: they read a configuration
# file or a binlog, or shared memory, and touch no state table.  Every other
# one writes sch_chameleon or starts workers, so it must run as the extension
# owner for chameleon_admin members (a function added later lands here).
my %invoker = map { $_ => 1 } qw(check_config check_source binlog_events binlog_rows
  binlog_file_events binlog_file_rows worker_status copy_progress_rows);
my %secdef = map { split /\|/ } split /\n/, $node->safe_psql('postgres', <<'SQL');
SELECT p.proname || '|' || CASE WHEN p.prosecdef THEN 't' ELSE 'f' END FROM pg_proc p
WHERE p.pronamespace = 'chameleon'::regnamespace
  AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
SQL
for my $f (sort keys %secdef)
{
	is($secdef{$f}, $invoker{$f} ? 'f' : 't',
		"$f runs as " . ($invoker{$f} ? 'the caller' : 'the extension owner (SECURITY DEFINER)'));
}

# --- a plain user: every function and view refused ------------------------------------
for my $f (sort keys %calls)
{
	denied_ok('plain', "SELECT * FROM $calls{$f}", $f, qr/permission denied for function $f/);
}
for my $v (qw(status tables errors copy_progress))
{
	denied_ok('plain', "SELECT * FROM chameleon.$v", "view $v", qr/permission denied for view $v/);
}
denied_ok('plain', 'SELECT * FROM sch_chameleon.t_sources', 'sch_chameleon',
	qr/permission denied for schema sch_chameleon/);
allowed_ok('plain', "SELECT chameleon.map_type('int unsigned')", 'the type mapping helper is public');

# --- pg_monitor: the views, not the functions -----------------------------------------
for my $v (qw(status tables errors copy_progress))
{
	allowed_ok('mon', "SELECT * FROM chameleon.$v", "reads view $v");
}
my %monitor_may = map { $_ => 1 } split /\n/, $node->safe_psql('postgres', <<'SQL');
SELECT p.proname FROM pg_proc p
WHERE p.pronamespace = 'chameleon'::regnamespace
  AND has_function_privilege('pg_monitor', p.oid, 'EXECUTE')
  AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
SQL
is(join(',', sort keys %monitor_may), 'copy_progress_rows,worker_status',
	'pg_monitor executes only the functions under the views');
for my $f (sort grep { !$monitor_may{$_} } keys %calls)
{
	denied_ok('mon', "SELECT * FROM $calls{$f}", $f, qr/permission denied for function $f/);
}

# --- chameleon_admin: configuration files ---------------------------------------------
my $out = allowed_ok('admin', 'SELECT key, value FROM chameleon.check_config()',
	'check_config() reads pg_chameleon.config');
like($out, qr/mysql_conn\.passwd\|\*{8}/, 'check_config masks the password');
allowed_ok('admin', "SELECT count(*) FROM chameleon.check_config($conf_lit)",
	'check_config names the pg_chameleon.config file');
denied_ok('admin', "SELECT * FROM chameleon.check_config($other_lit)",
	'a configuration file nobody registered', qr/permission denied to read configuration file/);
denied_ok('admin', "SELECT * FROM chameleon.check_config('/nonexistent/x.yaml')",
	'a file that does not exist (no hint that it does not)',
	qr/permission denied to read configuration file/);
denied_ok('admin', 'SELECT * FROM chameleon.init_replica('
	  . ChameleonReplica::pg_literal($node->data_dir . '/postgresql.auto.conf') . ')',
	'init_replica of an unregistered file', qr/permission denied to read configuration file/);
denied_ok('admin', 'SELECT * FROM sch_chameleon.t_sources', 'sch_chameleon',
	qr/permission denied for schema sch_chameleon/);

$out = allowed_ok('admin', 'SELECT check_name, status FROM chameleon.check_source()',
	'check_source()');
unlike($out, qr/\|error/, 'check_source: nothing in error') or diag($out);

# a wrong password (superuser: any file): the error does not show it
my ($ret, $o, $err) = $node->psql('postgres',
	'SELECT * FROM chameleon.check_source(' . ChameleonReplica::pg_literal($bad_conf) . ')');
$seen .= "$o\n$err\n";
like($err, qr/Access denied/, 'a wrong MySQL password is reported');

# --- chameleon_admin: the replica's life --------------------------------------------
$out = allowed_ok('admin', 'SELECT chameleon.init_replica()', 'init_replica()');
like($out, qr/copied 1 tables/, 'init_replica copied the table');
allowed_ok('admin', 'SELECT chameleon.start_replica()', 'start_replica()');
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'streaming');
$my->sql("INSERT INTO shop.customer (name) VALUES ('cid')");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');
is($node->safe_psql('postgres', 'SELECT count(*) FROM shop.customer'), '3', 'row streamed');
for my $v (qw(status tables errors copy_progress))
{
	allowed_ok('admin', "SELECT * FROM chameleon.$v", "reads view $v");
	allowed_ok('mon', "SELECT * FROM chameleon.$v", "pg_monitor reads view $v with a replica");
}
$out = allowed_ok('admin', 'SELECT state, pid IS NOT NULL FROM chameleon.status', 'status');
is($out, 'streaming|t', 'admin sees the running worker');

# admin2 has no pg_chameleon.config: the file of the replica is registered
allowed_ok('admin2', "SELECT count(*) FROM chameleon.check_config($conf_lit)",
	'check_config names the file of an existing replica');
denied_ok('admin2', "SELECT * FROM chameleon.check_config($other_lit)",
	'a file of no replica', qr/permission denied to read configuration file/);

allowed_ok('admin', 'SELECT chameleon.stop_replica()', 'stop_replica()');
is($node->safe_psql('postgres', 'SELECT state, pid IS NULL FROM chameleon.status'),
	'stopped|t', 'stopped');
allowed_ok('admin', 'SELECT chameleon.start_replica()', 'start_replica() again');
$out = allowed_ok('admin', 'SELECT step, result FROM chameleon.detach_replica()',
	'detach_replica()');
like($out, qr/^state\|detached$/m, 'detached');
is($node->safe_psql('postgres', 'SELECT state, pid IS NULL FROM chameleon.status'),
	'detached|t', 'detached, no worker');

# --- the password ------------------------------------------------------------------
for my $v (qw(status tables errors copy_progress))
{
	$seen .= $node->safe_psql('postgres', "SELECT t::text FROM chameleon.$v t") . "\n";
}
$seen .= $node->safe_psql('postgres', 'SELECT t::text FROM sch_chameleon.t_sources t') . "\n";
$seen .= $node->safe_psql('postgres', "SELECT t::text FROM chameleon.check_config($conf_lit) t") . "\n";
$seen .= $node->safe_psql('postgres', "SELECT t::text FROM chameleon.check_source($conf_lit) t") . "\n";
like($seen, qr/shop/, 'the collected output is not empty');
unlike($seen, qr/\Q$pass\E/, 'the password is in no output, view or error');
unlike($seen, qr/\Q$bad_pass\E/, 'the wrong password is in no output or error');
$node->stop;
my $log = slurp_file($node->logfile);
like($log, qr/init_replica/, 'the server log has the statements');
unlike($log, qr/\Q$pass\E/, 'the password is not in the server log');
unlike($log, qr/\Q$bad_pass\E/, 'the wrong password is not in the server log');

$my->stop;
done_testing();
