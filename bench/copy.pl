# copy.pl -- the body of bench/copy (see there).  Prints one line per run and
# the medians; ratios are taken within each run, so machine noise that hits
# one run hits every loader alike.  The loaders: init_replica; plain COPY
# of CSV files in one session; the same files COPYed by two concurrent
# sessions (each half of the tables, or half of the rows when there is one
# table), indexes after -- the hand-made limit of a two-core copy; pgloader.
use strict;
use warnings;

use IPC::Run ();
use List::Util qw(sum);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use BenchSource;

my ($tables, $rows, $runs) = @ENV{qw(TABLES ROWS RUNS)};
my $total = $tables * $rows;

sub say_now { diag(@_); }

my ($my, $pass) = BenchSource::start();

say_now("sysbench prepare: $tables tables x $rows rows");
my $t0 = time;
system(BenchSource::sysbench($my, $pass, 'oltp_read_write', $tables, $rows), 'prepare') == 0
  or die "sysbench prepare failed\n";
say_now(sprintf("prepared in %.0f s", time - $t0));

my $node = PostgreSQL::Test::Cluster->new('bench');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_chameleon'
shared_buffers = 1GB
max_wal_size = 8GB
checkpoint_timeout = 30min
wal_level = minimal
max_wal_senders = 0
synchronous_commit = off
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_chameleon');
my $conf = $my->write_config(user => 'bench', passwd => $pass, my_database => 'sbtest',
	($ENV{COPY_MAX_SIZE} ? (copy_max_size => $ENV{COPY_MAX_SIZE}) : ()),
	($ENV{COPY_WORKERS} ? (copy_workers => $ENV{COPY_WORKERS}) : ()));

# CSV files for plain COPY, written once by the MariaDB client.
my $csvdir = "$ENV{TESTDIR}/csv";
mkdir $csvdir;
for my $i (1 .. $tables)
{
	my $out = $my->sql("SELECT id, k, c, pad FROM sbtest$i", database => 'sbtest');
	open(my $fh, '>', "$csvdir/sbtest$i.tsv") or die $!;
	print $fh $out, "\n";
	close $fh;
}

# The two sessions' shares: [table, file] parts, every other one each.  One
# table: its file in two halves of rows.
my @parts = map { [ $_, "$csvdir/sbtest$_.tsv" ] } 1 .. $tables;
if ($tables == 1)
{
	open(my $in, '<', "$csvdir/sbtest1.tsv") or die $!;
	my @lines = grep { /\S/ } <$in>;
	close $in;
	my $half = int(@lines / 2);
	for my $h ([ 'a', 0, $half - 1 ], [ 'b', $half, $#lines ])
	{
		open(my $out, '>', "$csvdir/sbtest1$h->[0].tsv") or die $!;
		print $out @lines[ $h->[1] .. $h->[2] ];
		close $out;
	}
	@parts = ([ 1, "$csvdir/sbtest1a.tsv" ], [ 1, "$csvdir/sbtest1b.tsv" ]);
}
my @share = ('', '');
$share[ $_ % 2 ] .= "COPY plain.sbtest$parts[$_][0] FROM '$parts[$_][1]';" for 0 .. $#parts;

sub timed { my $t = time; $_[0]->(); return time - $t; }

my $ddl = join('', map { qq{
	CREATE TABLE plain.sbtest$_ (id integer NOT NULL, k integer NOT NULL DEFAULT 0,
		c character(120) NOT NULL DEFAULT '', pad character(60) NOT NULL DEFAULT '');} } 1 .. $tables);
my $idx = join('', map { qq{
	ALTER TABLE plain.sbtest$_ ADD PRIMARY KEY (id);
	CREATE INDEX ON plain.sbtest$_ (k);} } 1 .. $tables);

my (@cham, @copy, @copy2, @pgl);
for my $run (1 .. $runs)
{
	my $tc = timed(sub {
		$node->safe_psql('postgres',
			"SELECT chameleon.init_replica('$conf', force => true)");
	});
	my $tp = timed(sub {
		$node->safe_psql('postgres', "DROP SCHEMA IF EXISTS plain CASCADE; CREATE SCHEMA plain; $ddl "
			  . join('', map { "COPY plain.sbtest$_ FROM '$csvdir/sbtest$_.tsv';" } 1 .. $tables)
			  . $idx);
	});
	$node->safe_psql('postgres', "DROP SCHEMA IF EXISTS plain CASCADE; CREATE SCHEMA plain; $ddl");
	my $t2 = timed(sub {
		my @sessions = map {
			IPC::Run::start([ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'),
					'-c', $share[$_] ], '>', \my $o, '2>', \my $e)
		} 0 .. 1;
		$_->finish or die "a COPY session failed\n" for @sessions;
		$node->safe_psql('postgres', $idx);
	});
	$node->safe_psql('postgres', 'DROP DATABASE IF EXISTS pgl');
	$node->safe_psql('postgres', 'CREATE DATABASE pgl');
	my $tl = timed(sub {
		my $url_my = sprintf('mysql://bench:%s@127.0.0.1:%d/sbtest', $pass, $my->port);
		my $url_pg = sprintf('postgresql://%s@unix:%s:%d/pgl',
			scalar getpwuid($<), $node->host, $node->port);
		system("pgloader --quiet --with 'prefetch rows = 10000' '$url_my' '$url_pg' > $ENV{TESTDIR}/pgloader.log 2>&1") == 0
		  or die "pgloader failed, see $ENV{TESTDIR}/pgloader.log\n";
	});
	push @cham, $total / $tc; push @copy, $total / $tp; push @copy2, $total / $t2;
	push @pgl, $total / $tl;
	say_now(sprintf("run %d: init_replica %.0f rows/s, plain COPY %.0f rows/s, two COPY sessions %.0f rows/s,"
		  . " pgloader %.0f rows/s; init_replica/COPY %.2f, init_replica/two sessions %.2f, init_replica/pgloader %.2f",
		$run, $cham[-1], $copy[-1], $copy2[-1], $pgl[-1], $cham[-1] / $copy[-1],
		$cham[-1] / $copy2[-1], $cham[-1] / $pgl[-1]));
}

# Same contents, checked once: counts and a checksum per table.
for my $i (1 .. $tables)
{
	my $q = "SELECT count(*), sum(k), md5(string_agg(c || pad, '' ORDER BY id))";
	is($node->safe_psql('postgres', "$q FROM sbtest.sbtest$i"),
		$node->safe_psql('postgres', "$q FROM plain.sbtest$i"),
		"sbtest$i: init_replica and plain COPY hold the same rows");
}

sub median { my @s = sort { $a <=> $b } @_; return $s[$#s / 2]; }
my @r1 = map { $cham[$_] / $copy[$_] } 0 .. $#cham;
my @r2 = map { $cham[$_] / $pgl[$_] } 0 .. $#cham;
my @r3 = map { $cham[$_] / $copy2[$_] } 0 .. $#cham;
say_now(sprintf("median of %d runs (%d rows): init_replica %.0f rows/s, plain COPY %.0f rows/s,"
	  . " two COPY sessions %.0f rows/s, pgloader %.0f rows/s; ratio init_replica/COPY %.2f,"
	  . " init_replica/two sessions %.2f (goal >= 1.0), init_replica/pgloader %.2f (goal >= 3)",
	$runs, $total, median(@cham), median(@copy), median(@copy2), median(@pgl), median(@r1),
	median(@r3), median(@r2)));
done_testing();
