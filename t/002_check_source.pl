# 002_check_source.pl -- chameleon.check_source() against a real MariaDB:
# a ready source passes, and each missing setting or privilege is named with
# its fix; the MySQL password never reaches a server log.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;

# The contract: every check, in this order.
my @check_names = qw(
  server_version log_bin binlog_format binlog_row_image binlog_row_metadata
  binlog_row_value_options binlog_checksum server_id privilege_replication_slave
  privilege_replication_client privilege_reload privilege_lock_tables privilege_select
  database_exists tables non_innodb_tables tables_without_primary_key
  binlog_position gtid_position server_id_free resume_position replication_origin_slots);

# Checks that report a fact rather than a requirement: never an error on a
# healthy source, but a warning is allowed.
my %informational = map { $_ => 1 } qw(server_version binlog_position gtid_position);

# Passwords are random so a hit in a log can only come from a leak.
my $pass       = 'src-pw-' . int(rand(1_000_000_000)) . '-chk';
my $wrong_pass = 'wrong-pw-' . int(rand(1_000_000_000)) . '-chk';

# --- servers -----------------------------------------------------------------
my $my = ChameleonMariaDB->new(
	name  => 'source',
	extra => ['--binlog-row-metadata=FULL']);
$my->start;

$my->sql(<<'SQL');
CREATE DATABASE sakila;
CREATE TABLE sakila.actor (
    actor_id   int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    first_name varchar(45) NOT NULL,
    last_name  varchar(45) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE sakila.film (
    film_id int NOT NULL PRIMARY KEY,
    title   varchar(128) NOT NULL
) ENGINE=InnoDB;
INSERT INTO sakila.actor (first_name, last_name) VALUES ('PENELOPE', 'GUINESS'), ('NICK', 'WAHLBERG');
INSERT INTO sakila.film VALUES (1, 'ACADEMY DINOSAUR');
SQL

$my->create_user('chameleon', $pass,
	'REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.*',
	'SELECT, LOCK TABLES ON sakila.*');
$my->create_user('noreload', $pass,
	'REPLICATION SLAVE, REPLICATION CLIENT ON *.*',
	'SELECT ON sakila.*');

my $node = PostgreSQL::Test::Cluster->new('pg');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_chameleon'");
# log as much as possible, so a leaked password would be caught below
$node->append_conf('postgresql.conf', "log_min_messages = debug1\nlog_error_verbosity = verbose");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_chameleon');

# --- helpers -----------------------------------------------------------------
sub pg_literal
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

# Rows of check_source(path) as a list of hashes, in the order returned.
sub check_source
{
	my ($path) = @_;
	my $json = $node->safe_psql('postgres',
		    'SELECT coalesce(json_agg(c ORDER BY ord), \'[]\') FROM '
		  . 'chameleon.check_source(' . pg_literal($path) . ') WITH ORDINALITY AS c(check_name, status, value, hint, ord)');
	return @{ decode_json($json) };
}

sub by_name
{
	return map { $_->{check_name} => $_ } @_;
}

sub show_rows
{
	return join('', map {
		sprintf("  %-30s %-8s %s%s\n", $_->{check_name}, $_->{status},
			$_->{value} // '', defined $_->{hint} ? "  hint: $_->{hint}" : '')
	} @_);
}

# --- a ready source ------------------------------------------------------------
my $conf_ok = $my->write_config(
	user        => 'chameleon',
	passwd      => $pass,
	my_database => 'sakila');

my @rows = check_source($conf_ok);
note "check_source on a ready source:\n" . show_rows(@rows);
is_deeply([ map { $_->{check_name} } @rows ], \@check_names,
	'check_source returns every check, in order');
for my $r (@rows)
{
	if ($informational{ $r->{check_name} })
	{
		like($r->{status}, qr/^(ok|warning)$/, "$r->{check_name} is not an error");
	}
	else
	{
		is($r->{status}, 'ok', "$r->{check_name} is ok")
		  or diag("value: " . ($r->{value} // 'NULL') . " hint: " . ($r->{hint} // 'NULL'));
	}
	like($r->{status}, qr/^(ok|warning|error)$/, "$r->{check_name} has a known status");
}
my %ok = by_name(@rows);
like($ok{server_version}{value} // '', qr/MariaDB/i, 'server_version shows the MariaDB version');
like($ok{binlog_row_value_options}{value} // '', qr/not available/,
	'binlog_row_value_options: MariaDB has no partial JSON updates');
like($ok{binlog_position}{value} // '', qr/mariadb-bin\.\d+/, 'binlog_position shows the binlog file');

# --- no RELOAD privilege -------------------------------------------------------
my $conf_noreload = $my->write_config(
	user        => 'noreload',
	passwd      => $pass,
	my_database => 'sakila');
my %noreload = by_name(check_source($conf_noreload));
# MariaDB: the copy never takes the global read lock, so RELOAD is not
# needed; LOCK TABLES is, on the database, once a non-InnoDB table exists
# (read under a lock of its own), and a warning before that.
is($noreload{privilege_reload}{status}, 'ok', 'RELOAD is not needed');
like($noreload{privilege_reload}{value} // '', qr/not needed \(the copy takes no global read lock\)/,
	'and says so');
is($noreload{privilege_lock_tables}{status}, 'warning',
	'missing LOCK TABLES is a warning while every table is InnoDB');
like($noreload{privilege_lock_tables}{hint} // '', qr/GRANT LOCK TABLES ON `sakila`\.\* TO/,
	'and the hint is the GRANT to run');
is($noreload{privilege_replication_slave}{status}, 'ok', 'the other privileges are still ok');
$my->sql('CREATE TABLE sakila.t_myisam (id int PRIMARY KEY) ENGINE = MyISAM');
%noreload = by_name(check_source($conf_noreload));
is($noreload{privilege_lock_tables}{status}, 'error',
	'missing LOCK TABLES is an error once a MyISAM table needs a table lock');
like($noreload{privilege_lock_tables}{hint} // '', qr/GRANT LOCK TABLES ON `sakila`\.\* TO 'noreload'@/,
	'and the hint is the exact GRANT to run');
is($noreload{non_innodb_tables}{status}, 'warning', 'the MyISAM table is reported');
$my->sql("GRANT LOCK TABLES ON sakila.* TO 'noreload'\@'%'");
%noreload = by_name(check_source($conf_noreload));
is($noreload{privilege_lock_tables}{status}, 'ok', 'LOCK TABLES on the database is enough');
$my->sql('DROP TABLE sakila.t_myisam');

# --- binlog_format = STATEMENT -------------------------------------------------
# SET GLOBAL affects new sessions only; check_source opens a new one.
$my->sql('SET GLOBAL binlog_format = STATEMENT');
my %stmt = by_name(check_source($conf_ok));
is($stmt{binlog_format}{status}, 'error', 'binlog_format STATEMENT is an error');
like($stmt{binlog_format}{value} // '', qr/STATEMENT/, 'and shows the value found');
like($stmt{binlog_format}{hint} // '', qr/binlog_format\s*=\s*'?ROW/i,
	'and the hint says binlog_format = ROW');
$my->sql('SET GLOBAL binlog_format = ROW');
my %row_again = by_name(check_source($conf_ok));
is($row_again{binlog_format}{status}, 'ok', 'binlog_format ROW again is ok');

# --- my_server_id equal to the source's server_id ------------------------------
my $conf_sameid = $my->write_config(
	user         => 'chameleon',
	passwd       => $pass,
	my_database  => 'sakila',
	my_server_id => $my->server_id);
my %sameid = by_name(check_source($conf_sameid));
is($sameid{server_id}{status}, 'error', 'my_server_id equal to the source server_id is an error');

# --- wrong password -------------------------------------------------------------
my $conf_wrong = $my->write_config(
	user        => 'chameleon',
	passwd      => $wrong_pass,
	my_database => 'sakila');
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	'SELECT * FROM chameleon.check_source(' . pg_literal($conf_wrong) . ')');
isnt($ret, 0, 'check_source with a wrong password fails');
like($stderr, qr/ERROR:/, 'with an ERROR');
like($stderr, qr/access denied|authenticat|password/i, 'that says the login was refused');
unlike($stderr, qr/\Q$wrong_pass\E/, 'the error does not show the password');

# --- no password in any log ----------------------------------------------------
$my->stop;
$node->stop;
my $pg_log = slurp_file($node->logfile);
my $my_log = slurp_file($my->logfile);
for my $pw ($pass, $wrong_pass)
{
	unlike($pg_log, qr/\Q$pw\E/, 'a MySQL password is not in the PostgreSQL log');
	unlike($my_log, qr/\Q$pw\E/, 'a MySQL password is not in the MariaDB log');
}
ok(!$my->is_running, 'MariaDB stopped');

done_testing();
