# bench/stream.pl -- streaming benchmark of the apply worker (see bench/stream).
#
# Per run: a throwaway MariaDB (binlog_row_metadata=FULL) with sysbench
# tables, a PostgreSQL node with the same tables copied by hand and the
# replica started at the binlog position after the copy; then
#   1. sysbench oltp_insert and oltp_write_only (threads, seconds) while the
#      replica streams: MySQL's write rate, the apply rate, lag p50/p99/max
#      sampled from chameleon.status every second, the worker's peak RSS;
#   2. catch-up: stop the replica, write 1,000,000 row changes (one
#      INSERT ... SELECT transaction), start it, time until caught up.
# Prints one line of key=value per measurement; bench/stream runs it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/../t";

use IPC::Run ();
use List::Util qw(max sum);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use ChameleonMariaDB;
use ChameleonReplica;

my $threads  = $ENV{BENCH_THREADS}  // 4;
my $seconds  = $ENV{BENCH_SECONDS}  // 60;
my $tables   = $ENV{BENCH_TABLES}   // 4;
my $size     = $ENV{BENCH_SIZE}     // 100000;
my $catchup  = $ENV{BENCH_CATCHUP}  // 1000000;
my $workloads = $ENV{BENCH_WORKLOADS} // 'oltp_insert oltp_write_only';

my $my = ChameleonMariaDB->new(
	name  => 'bench',
	extra => [
		'--binlog-row-metadata=FULL', '--innodb-buffer-pool-size=512M',
		'--max-binlog-size=1G', '--sync-binlog=0'
	]);
$my->start;
$my->sql('CREATE DATABASE sbtest');

my @sb = (
	'--db-driver=mysql', '--mysql-socket=' . $my->socket, '--mysql-user=root',
	'--mysql-db=sbtest', "--tables=$tables", "--table-size=$size");
run_log([ 'sysbench', 'oltp_insert', @sb, 'prepare' ]) or die 'sysbench prepare failed';
$my->sql('CREATE TABLE sbtest.big (id int NOT NULL PRIMARY KEY, k int NOT NULL, c varchar(120), pad varchar(60)) ENGINE=InnoDB');

my $conf = $my->write_config(my_database => 'sbtest', replica_batch_size => 1000);
my $node = ChameleonReplica::new_node('pg', conf => <<'CONF');
shared_buffers = 512MB
max_wal_size = 4GB
synchronous_commit = off
CONF
my %defs = map {
	("sbtest$_" => 'id integer PRIMARY KEY, k integer NOT NULL DEFAULT 0,'
		  . " c character(120) NOT NULL DEFAULT '', pad character(60) NOT NULL DEFAULT ''")
} 1 .. $tables;
$defs{big} = 'id integer PRIMARY KEY, k integer NOT NULL, c varchar(120), pad varchar(60)';

# copy by hand, then the state rows at the position after the copy
$node->safe_psql('postgres', 'CREATE SCHEMA sbtest_copy');
for my $t (1 .. $tables)
{
	my $dump = $my->sql("SELECT id, k, c, pad FROM sbtest.sbtest$t");
	my $file = PostgreSQL::Test::Utils::tempdir() . "/sbtest$t.tsv";
	PostgreSQL::Test::Utils::append_to_file($file, "$dump\n");
	$node->{copy_files}{$t} = $file;
}
my ($file0, $pos0) = ChameleonReplica::init_by_hand($node, $my, $conf, 'sbtest', \%defs);
for my $t (1 .. $tables)
{
	$node->safe_psql('postgres',
		"COPY sbtest.sbtest$t FROM '$node->{copy_files}{$t}'");
}
$node->safe_psql('postgres', 'VACUUM ANALYZE');

my $conf_lit = ChameleonReplica::pg_literal($conf);
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
$node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status")
  or die 'replica did not start';

sub status
{
	my ($cols) = @_;
	return split /\|/, $node->safe_psql('postgres', "SELECT $cols FROM chameleon.status");
}

# The worker's private resident memory (RssAnon, kB): what it allocated
# itself.  VmHWM would count the shared_buffers pages it touched.
my $peak_anon = 0;

sub worker_anon_kb
{
	my ($pid) = status('pid');
	return 0 unless $pid;
	open(my $fh, '<', "/proc/$pid/status") or return 0;
	while (<$fh>)
	{
		if (/^RssAnon:\s+(\d+)/)
		{
			my $kb = $1;
			note("worker $pid RssAnon $kb kB") if $ENV{BENCH_DEBUG};
			$peak_anon = $kb if $kb > $peak_anon;
			return $kb;
		}
	}
	return 0;
}

sub percentile
{
	my ($p, @v) = @_;
	@v = sort { $a <=> $b } @v;
	return 0 unless @v;
	return $v[ int($p * $#v + 0.5) ];
}

sub wait_caught_up
{
	my ($file, $pos) = $my->binlog_position;
	my $t0 = time();
	$node->poll_query_until('postgres',
		"SELECT applied_file = '$file' AND applied_position >= $pos FROM chameleon.status")
	  or die "not caught up with $file:$pos";
	return time() - $t0;
}

for my $w (split ' ', $workloads)
{
	my ($rows0) = status('rows_applied');
	my $out = '';
	my $h = IPC::Run::start([ 'sysbench', $w, @sb, "--threads=$threads",
			"--time=$seconds", '--report-interval=0', 'run' ], '>', \$out, '2>&1');
	my $start = time();
	my @lag;
	while ($h->pumpable)
	{
		$h->pump_nb;
		my ($lag) = status('coalesce(lag_seconds, 0)');
		push @lag, $lag;
		worker_anon_kb();
		$node->safe_psql('postgres', 'SELECT pg_log_backend_memory_contexts(pid) FROM chameleon.status')
		  if $ENV{BENCH_LOG_MEMORY};
		Time::HiRes::sleep(1.0);
		last if time() - $start > $seconds + 30;
	}
	$h->finish;
	my $load_s = time() - $start;
	my $tail_s = wait_caught_up();
	my ($rows1) = status('rows_applied');
	my ($tps) = $out =~ /transactions:\s+\d+\s+\(([\d.]+) per sec/;
	my ($wqps) = $out =~ /write:\s+(\d+)/;
	my $rows = $rows1 - $rows0;
	printf "RESULT workload=%s mysql_tps=%.0f mysql_row_changes_per_s=%.0f apply_rows_per_s=%.0f"
	  . " lag_p50=%.2f lag_p99=%.2f lag_max=%.2f catchup_after_load_s=%.2f rows=%d worker_peak_anon_kb=%d\n",
	  $w, $tps // 0, ($wqps // 0) / $seconds, $rows / ($load_s + $tail_s),
	  percentile(0.5, @lag), percentile(0.99, @lag), max(@lag, 0), $tail_s, $rows,
	  $peak_anon;
}

# catch-up: one transaction of $catchup row changes while the replica is stopped
$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
$my->sql("INSERT INTO sbtest.big SELECT seq, seq % 1000, CONCAT('c', seq), 'pad' FROM sbtest.seq_1_to_$catchup");
my ($end_file, $end_pos) = $my->binlog_position;
my $t0 = time();
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
$peak_anon = 0;
my @anon;
# sample the worker's memory while it applies the big transaction
until ($node->safe_psql('postgres',
		"SELECT applied_file = '$end_file' AND applied_position >= $end_pos FROM chameleon.status") eq 't')
{
	push @anon, worker_anon_kb();
	$node->safe_psql('postgres', 'SELECT pg_log_backend_memory_contexts(pid) FROM chameleon.status')
	  if $ENV{BENCH_LOG_MEMORY};
	Time::HiRes::sleep(0.5);
	die 'catch-up takes too long' if time() - $t0 > 3600;
}
my $total = time() - $t0;
my $count = $node->safe_psql('postgres', 'SELECT count(*) FROM sbtest.big');
printf "RESULT workload=catchup_1_transaction rows=%d seconds=%.2f rows_per_s=%.0f"
  . " worker_anon_kb_first=%d worker_anon_kb_peak=%d\n",
  $count, $total, $count / $total, (grep { $_ } @anon)[0] // 0, $peak_anon;

$node->stop;
$my->stop;
ok(1);
done_testing();
