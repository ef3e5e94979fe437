# 071_prometheus.pl -- metrics for Prometheus (issue 15): Debian's
# prometheus-postgres-exporter runs with contrib/prometheus/queries.yaml
# against the test cluster, as a pg_monitor role; /metrics, scraped with
# curl, has the pg_chameleon series with the right values while the replica
# streams and after it is stopped.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

use ChameleonMariaDB;
use ChameleonReplica;

my $exporter = '/usr/bin/prometheus-postgres-exporter';
plan skip_all => "$exporter is not installed (.ci/install-packages installs it)" unless -x $exporter;

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'EOF');
CREATE DATABASE shop;
CREATE TABLE shop.a (id int PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE shop.b (id int PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO shop.a VALUES (1, 1), (2, 2);
EOF
my $conf = $my->write_config(my_database => 'shop');
my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
$node->safe_psql('postgres', "SELECT chameleon.init_replica('$conf')");
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
$my->sql('INSERT INTO shop.a VALUES (3, 3), (4, 4); UPDATE shop.a SET v = 10 WHERE id = 1');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');

$node->safe_psql('postgres', 'CREATE ROLE prometheus LOGIN IN ROLE pg_monitor');
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $queries = "$FindBin::RealBin/../contrib/prometheus/queries.yaml";
my ($eout, $eerr) = ('', '');
my $exp = IPC::Run::start(
	[ $exporter, "--extend.query-path=$queries", "--web.listen-address=127.0.0.1:$port",
	  '--disable-default-metrics', '--disable-settings-metrics' ],
	'<', \undef, '>', \$eout, '2>', \$eerr,
	init => sub {
		$ENV{DATA_SOURCE_NAME} = sprintf('host=%s port=%d dbname=postgres user=prometheus sslmode=disable',
			$node->host, $node->port);
	});

sub scrape
{
	for (1 .. 100)
	{
		my ($out, $err) = ('', '');
		IPC::Run::run([ 'curl', '-s', "http://127.0.0.1:$port/metrics" ], '>', \$out, '2>', \$err);
		return $out if $out =~ /pg_chameleon_replica_streaming/;
		$exp->pump_nb;
		select(undef, undef, undef, 0.2);
	}
	diag("exporter output: $eout $eerr");
	return '';
}

# the value of a series whose labels include %labels
sub value
{
	my ($text, $name, %labels) = @_;
	for my $line (split /\n/, $text)
	{
		next unless $line =~ /^\Q$name\E\{([^}]*)\}\s+(\S+)$/;
		my ($lab, $v) = ($1, $2);
		next if grep { $lab !~ /\b\Q$_\E="\Q$labels{$_}\E"/ } keys %labels;
		return $v + 0;
	}
	return undef;
}

my $m = scrape();
ok($m ne '', 'the exporter serves /metrics with the pg_chameleon series');
is(value($m, 'pg_chameleon_replica_streaming', source => 'shop'), 1, 'streaming = 1');
is(value($m, 'pg_chameleon_replica_health_code', source => 'shop'), 0, 'health_code = 0 (ok)');
is(value($m, 'pg_chameleon_replica_state_info', source => 'shop', state => 'streaming', health => 'ok'), 1,
	'state and health as labels');
cmp_ok(value($m, 'pg_chameleon_replica_lag_seconds', source => 'shop'), '<', 30, 'lag_seconds is small');
is(value($m, 'pg_chameleon_replica_rows_applied', source => 'shop'), 3, 'rows_applied counts the 3 row changes');
cmp_ok(value($m, 'pg_chameleon_replica_transactions_applied', source => 'shop'), '>=', 2, 'transactions_applied');
my ($file, $pos) = split /\|/, $node->safe_psql('postgres',
	"SELECT applied_file, applied_position FROM chameleon.status");
(my $num = $file) =~ s/^.*[^0-9]//;
is(value($m, 'pg_chameleon_replica_applied_file_number', source => 'shop'), $num + 0, 'applied_file_number');
is(value($m, 'pg_chameleon_replica_applied_position', source => 'shop'), $pos, 'applied_position');
is(value($m, 'pg_chameleon_replica_tables', source => 'shop'), 2, 'two tables');
is(value($m, 'pg_chameleon_replica_tables_in_error', source => 'shop'), 0, 'none in error');
is(value($m, 'pg_chameleon_tables_count', source => 'shop', state => 'streaming'), 1, 'tables per state: streaming');
is(value($m, 'pg_chameleon_tables_count', source => 'shop', state => 'copied'), 1, 'tables per state: copied');
is(value($m, 'pg_chameleon_errors_rejected_changes', source => 'shop'), 0, 'no rejected change');
is(value($m, 'pg_chameleon_copy_rows_copied', source => 'shop'), 2, 'the copy committed 2 rows');
is(value($m, 'pg_chameleon_copy_tables_left', source => 'shop'), 0, 'no table left to copy');

# stopped: the series say so, and the lag grows
$node->safe_psql('postgres', "SELECT chameleon.stop_replica()");
sleep 2;
$m = scrape();
is(value($m, 'pg_chameleon_replica_streaming', source => 'shop'), 0, 'stopped: streaming = 0');
is(value($m, 'pg_chameleon_replica_health_code', source => 'shop'), 2, 'stopped: health_code = 2 (degraded)');
is(value($m, 'pg_chameleon_replica_state_info', source => 'shop', state => 'stopped', health => 'degraded'), 1,
	'stopped: the state label');
cmp_ok(value($m, 'pg_chameleon_replica_lag_seconds', source => 'shop'), '>=', 1, 'stopped: the lag grows');

$exp->kill_kill;
done_testing();
