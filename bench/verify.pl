# verify.pl -- the body of bench/verify (see there).  One line per run and
# the medians: verify_tables() over sysbench tables, idle and while sysbench
# oltp_write_only writes to the source, rows compared per second on each side
# (both sides read every row), the source's CPU seconds and its longest
# transaction meanwhile.
use strict;
use warnings;

use IPC::Run ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use BenchSource;
use ChameleonReplica;

my ($tables, $rows, $runs) = @ENV{qw(TABLES ROWS RUNS)};
sub say_now { diag(@_); }

my ($my, $pass) = BenchSource::start();
my @sysbench = BenchSource::sysbench($my, $pass, 'oltp_write_only', $tables, $rows);
system(@sysbench, 'prepare') == 0 or die "sysbench prepare failed\n";

my $node = PostgreSQL::Test::Cluster->new('bench');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_chameleon'
shared_buffers = 1GB
max_wal_size = 8GB
synchronous_commit = off
timezone = 'UTC'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_chameleon');
my $conf = $my->write_config(user => 'bench', passwd => $pass, my_database => 'sbtest');
$node->safe_psql('postgres', "SELECT chameleon.init_replica('$conf')");
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
ChameleonReplica::wait_caught_up($node, $my) or die "not caught up\n";

# mariadbd's CPU seconds (utime + stime)
sub source_cpu
{
	open(my $f, '<', "/proc/" . $my->pid . "/stat") or return 0;
	my @f = split ' ', (split /\) /, scalar <$f>)[1];
	return ($f[11] + $f[12]) / 100;
}

sub verify_once
{
	my ($label) = @_;
	my $cpu0 = source_cpu();
	my ($longest, $t0) = (0, time);
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
			"SELECT string_agg(status || ':' || mysql_rows, ',') FROM chameleon.verify_tables()" ],
		'<', \undef, '>', \$out, '2>', \$err);
	while ($h->pumpable)
	{
		my $age = $my->sql("SELECT coalesce(max(TIMESTAMPDIFF(MICROSECOND, trx_started, NOW())), 0)
		                      FROM information_schema.innodb_trx");
		$longest = $age if $age > $longest;
		$h->pump_nb;
		Time::HiRes::sleep(0.05);
	}
	$h->finish or die "verify_tables failed: $err\n";
	my $secs = time - $t0;
	my $n = 0;
	for (split /,/, $out) { my ($st, $r) = split /:/; die "$label: $st\n" unless $st eq 'equal'; $n += $r; }
	return ($n / $secs, source_cpu() - $cpu0, $longest / 1e6, $secs);
}

sub median { my @s = sort { $a <=> $b } @_; return $s[$#s / 2]; }
my (@idle, @load, @cpu, @trx);
for my $run (1 .. $runs)
{
	my ($rate, $cpu, $trx, $secs) = verify_once('idle');
	push @idle, $rate;
	my $load = IPC::Run::start([ @sysbench, '--threads=2', '--time=600', '--rate=500', 'run' ],
		'>', \my $o, '2>', \my $e);
	sleep 2;
	my ($lrate, $lcpu, $ltrx) = verify_once('under load');
	$load->kill_kill;
	push @load, $lrate; push @cpu, $cpu; push @trx, $ltrx;
	say_now(sprintf("run %d: idle %.0f rows/s per side (%.1f s, source %.1f CPU s), under oltp_write_only"
		  . " at 500 tps %.0f rows/s per side (source %.1f CPU s, longest transaction %.2f s)",
		$run, $rate, $secs, $cpu, $lrate, $lcpu, $ltrx));
	ChameleonReplica::wait_caught_up($node, $my);
}
say_now(sprintf("median of %d runs (%d rows): verify_tables idle %.0f rows/s per side, under load %.0f"
	  . " rows/s per side (goal >= 200000); source CPU %.1f s per idle pass; longest transaction under load %.2f s",
	$runs, $tables * $rows, median(@idle), median(@load), median(@cpu), median(@trx)));
ok(1, 'bench ran');
done_testing();
