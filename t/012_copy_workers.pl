# 012_copy_workers.pl -- init_replica's copy by background copy workers
# (issue 13): slices of copy_max_size rows, each read in its own short MySQL
# transaction and committed on its own, two workers sharing tables and the
# key ranges of one big table, under a concurrent write load (inserts,
# updates, deletes, primary-key changes that move a unique value from an
# early slice to a late one), with both snapshot methods (MariaDB's exact
# snapshot position, and the watermarks MySQL needs, forced by
# copy_snapshot: watermark).  Then the stream: every table equals MariaDB
# value by value.  No MySQL transaction stays open much longer than a slice,
# and no FLUSH TABLES WITH READ LOCK is run.
#
# Then interruptions: the caller cancelled, a copy worker killed -9 (the
# server restarts, the launcher resumes the copy), MariaDB restarted (the
# leader starts new workers), PostgreSQL stopped with -m immediate (resumed
# at start): the copy ends complete and equal, and the
# rows inserted after the last interruption are at most what was left plus
# one slice per worker.

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

my $my = ChameleonMariaDB->new(name => 'source');
$my->start;

my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\nmax_worker_processes = 16\n");

sub pg_one { return $node->safe_psql('postgres', $_[0]) }

# A database under a write load.
sub make_database
{
	my ($db, $rows) = @_;
	$my->sql("CREATE DATABASE $db");
	$my->sql(<<"EOF", database => $db);
SET SESSION max_recursive_iterations = 10000000;
CREATE TABLE big (id int NOT NULL PRIMARY KEY, n int NOT NULL, email varchar(40) NOT NULL,
  note varchar(60), UNIQUE KEY (email)) ENGINE=InnoDB;
INSERT INTO big SELECT seq, seq % 97, CONCAT('e', seq, '\@x'), REPEAT('n', seq % 50)
  FROM seq_1_to_$rows;
CREATE TABLE comp (a varchar(10) NOT NULL, b int NOT NULL, v int, PRIMARY KEY (a, b)) ENGINE=InnoDB;
INSERT INTO comp SELECT CONCAT('k', seq % 7), seq, seq FROM seq_1_to_3000;
CREATE TABLE nokey (x int, y varchar(20)) ENGINE=InnoDB;
INSERT INTO nokey SELECT seq, CONCAT('y', seq) FROM seq_1_to_500;
-- no primary key: a unique index of NOT NULL columns (a composite, non-integer
-- one) serves for the slices and the row identity; a nullable unique besides
CREATE TABLE ukey (code varchar(12) NOT NULL, part int NOT NULL, v int, alt int,
  UNIQUE KEY uk_alt (alt), UNIQUE KEY uk_code (code, part)) ENGINE=InnoDB;
INSERT INTO ukey SELECT CONCAT('c', seq % 11), seq, seq, IF(seq % 3 = 0, NULL, seq) FROM seq_1_to_4000;
CREATE TABLE empty (id int PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE later (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE ctl (stop int NOT NULL) ENGINE=InnoDB;
INSERT INTO ctl VALUES (0);
DELIMITER //
CREATE PROCEDURE writer()
BEGIN
  DECLARE i int DEFAULT 0;
  -- a writer started again goes on with new keys
  SET i = (SELECT COALESCE(MAX(id), 0) FROM later);
  WHILE (SELECT stop FROM ctl) = 0 DO
    START TRANSACTION;
    INSERT INTO big VALUES ($rows + 1000 + i, i % 97, CONCAT('new', i, '\@x'), 'new');
    UPDATE big SET n = n + 1, note = CONCAT('u', i) WHERE id = 1 + (i * 7919) % $rows;
    DELETE FROM big WHERE id = 1 + (i * 104729) % $rows;
    -- a low key moves to the top: its unique email goes from an early slice to a late one
    UPDATE big SET id = 2 * $rows + 1000 + i WHERE id = 1 + (i * 31) % $rows;
    INSERT INTO later (v) VALUES (i);
    UPDATE comp SET v = v + 1 WHERE a = CONCAT('k', i % 7) AND b = 1 + (i * 13) % 3000;
    DELETE FROM comp WHERE a = CONCAT('k', i % 7) AND b = 1 + (i * 17) % 3000;
    INSERT INTO nokey VALUES (i, 'w');
    INSERT INTO ukey VALUES (CONCAT('n', i % 5), i, i, NULL);
    UPDATE ukey SET v = v + 1, alt = IF(alt IS NULL, NULL, alt + 100000)
      WHERE code = CONCAT('c', (i * 7) % 11) AND part = 1 + (i * 7) % 4000;
    DELETE FROM ukey WHERE code = CONCAT('c', (i * 13) % 11) AND part = 1 + (i * 13) % 4000;
    -- an early key moves to the end of the key order
    UPDATE ukey SET code = CONCAT('z', i) WHERE code = CONCAT('c', (i * 29) % 11) AND part = 1 + (i * 29) % 4000;
    COMMIT;
    SET i = i + 1;
  END WHILE;
END //
DELIMITER ;
EOF
}

sub start_writer
{
	my ($db) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ $my->_client_command(database => $db), '-e', 'CALL writer()' ],
		'<', \undef, '>', \$out, '2>', \$err);
	ok($my->poll_query_until("SELECT count(*) > 20 FROM $db.later"), "$db: the writer runs");
	return $h;
}

sub stop_writer
{
	my ($db, $h) = @_;
	$my->sql('UPDATE ctl SET stop = 1', database => $db);
	ok($h->finish, "$db: the writer ends cleanly");
}

my %cols = (
	big   => [qw(id n email note)],
	comp  => [qw(a b v)],
	empty => [qw(id)],
	later => [qw(id v)]);

# Wait until the replica of $db applied everything MySQL has written so far.
sub caught_up
{
	my ($db) = @_;
	my ($file, $pos) = $my->binlog_position;
	return $node->poll_query_until('postgres',
		"SELECT applied_file = '$file' AND applied_position >= $pos FROM chameleon.status
		  WHERE source = '$db'");
}

sub all_equal
{
	my ($db) = @_;
	for my $t (sort keys %cols)
	{
		ChameleonReplica::tables_equal($node, $my, $db, $t,
			$t eq 'comp' ? 'a, b' : 'id', [ map { [ $_, $_ ] } @{ $cols{$t} } ],
			"$db.$t equals MariaDB value by value");
	}
	ChameleonReplica::tables_equal($node, $my, $db, 'ukey', 'code, part',
		[ map { [ $_, $_ ] } qw(code part v alt) ],
		"$db.ukey (a unique NOT NULL key, no primary key) equals MariaDB value by value");
	ChameleonReplica::tables_equal($node, $my, $db, 'nokey', 'x, y',
		[ [ 'x', 'x' ], [ 'y', 'y' ] ], "$db.nokey (no key) equals MariaDB");
	is(pg_one("SELECT string_agg(mysql_table || ':' || replace(state, 'copied', 'streaming'), ','
	                              ORDER BY mysql_table)
	             FROM chameleon.tables WHERE source = '$db'"),
		'big:streaming,comp:streaming,ctl:streaming,empty:streaming,later:streaming,nokey:streaming,'
		. 'ukey:streaming',
		"$db: every table is replicated");
	is(pg_one("SELECT count(*) FROM chameleon.errors WHERE source = '$db'"), '0', "$db: no error");
}

# ---------------------------------------------------------------------------
# The copy under a write load, both snapshot methods

my %conf;
my $server_id = 5000;
for my $method ('auto', 'watermark')
{
	my $db = "cw_$method";
	make_database($db, 30000);
	$conf{$db} = $my->write_config(my_database => $db, copy_workers => 2,
		copy_max_size => 700, copy_snapshot => $method, my_server_id => $server_id++);
	is(pg_one("SELECT value FROM chameleon.check_source('$conf{$db}')
	            WHERE check_name = 'tables_without_primary_key'"), 'ctl, nokey',
		"$db: check_source: a unique key of NOT NULL columns serves as a key (ukey is not listed)");
	my $writer = start_writer($db);
	my $flushes = $my->sql("SHOW GLOBAL STATUS LIKE 'Com_flush'", raw => 1);

	my ($out, $err) = ('', '');
	my $init = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'),
			'-c', "SELECT chameleon.init_replica('$conf{$db}')" ],
		'<', \undef, '>', \$out, '2>', \$err);
	# the oldest MySQL transaction while the copy runs (the writer's are short)
	my $longest = 0;
	while ($init->pumpable)
	{
		my $age = $my->sql("SELECT coalesce(max(TIMESTAMPDIFF(MICROSECOND, trx_started, NOW())), 0)
		                      FROM information_schema.innodb_trx");
		$longest = $age if $age > $longest;
		$init->pump_nb;
		Time::HiRes::sleep(0.02);
	}
	ok($init->finish, "$db: init_replica under a write load succeeds") or diag($err);
	like($out, qr/^copied 7 tables/, "$db: the summary");
	is(pg_one("SELECT count(DISTINCT worker_pid) FROM sch_chameleon.t_copy_slices c
	            JOIN sch_chameleon.t_sources s USING (source_id) WHERE source_name = '$db'"),
		2, "$db: two copy workers shared the slices");
	cmp_ok($longest / 1e6, '<', 3, "$db: no MySQL transaction stays open much longer than a slice");
	is($my->sql("SHOW GLOBAL STATUS LIKE 'Com_flush'", raw => 1), $flushes,
		"$db: no FLUSH TABLES WITH READ LOCK");
	cmp_ok(pg_one("SELECT count(*) FROM sch_chameleon.t_copy_ranges r JOIN sch_chameleon.t_sources s
	                USING (source_id) WHERE source_name = '$db' AND mysql_table = 'big'"),
		'>', 1, "$db: the big table is split into key ranges");
	cmp_ok(pg_one("SELECT sum(slices) FROM sch_chameleon.t_copy_ranges r JOIN sch_chameleon.t_sources s
	                USING (source_id) WHERE source_name = '$db' AND mysql_table = 'big'"),
		'>=', 30000 / 700, "$db: read in slices of copy_max_size rows");
	is(pg_one("SELECT ranges > 1 AND ranges_done = ranges AND workers = 0 AND slices_done = slices_total
	                  AND rows_copied = (SELECT copied_rows FROM chameleon.tables
	                                      WHERE source = '$db' AND mysql_table = 'big')
	                  AND rows_per_second > 0 AND time_left IS NULL AND state = 'copied'
	             FROM chameleon.copy_tables WHERE source = '$db' AND mysql_table = 'big'"),
		't', "$db: copy_tables shows the big table's ranges, slices and rows");
	is(pg_one("SELECT count(*) FROM sch_chameleon.t_copy_slices c JOIN sch_chameleon.t_sources s
	            USING (source_id) WHERE source_name = '$db' AND c.rows_copied > 700
	            AND mysql_table <> 'nokey'"),
		'0', "$db: no slice holds more than copy_max_size rows");
	# (nokey, without a key, is read in one pass)
	cmp_ok(pg_one("SELECT count(*) FROM sch_chameleon.t_copy_slices c JOIN sch_chameleon.t_sources s
	                USING (source_id) WHERE source_name = '$db' AND mysql_table = 'ukey'"),
		'>=', 4000 / 700, "$db: a table with a unique NOT NULL key and no primary key is read in slices");
	is(pg_one("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes
	            WHERE schemaname = '$db' AND tablename = 'ukey'"),
		'ukey_uk_code', "$db: its key's index is built with the data, the other unique one waits for the window");
	if ($method eq 'watermark')
	{
		cmp_ok(pg_one("SELECT count(*) FROM sch_chameleon.t_copy_slices c JOIN sch_chameleon.t_sources s
		                USING (source_id) WHERE source_name = '$db' AND mysql_table = 'big'
		                AND (high_file, high_position) <> (low_file, low_position)"),
			'>', 0, "$db: watermark slices have a low and a high position");
	}
	else
	{
		is(pg_one("SELECT count(*) FROM sch_chameleon.t_copy_slices c JOIN sch_chameleon.t_sources s
		            USING (source_id) WHERE source_name = '$db'
		            AND (high_file, high_position) <> (low_file, low_position)"),
			'0', "$db: MariaDB slices have their snapshot's exact position");
	}
	$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf{$db}')");
	stop_writer($db, $writer);
}
for my $db (sort keys %conf)
{
	ok(caught_up($db), "$db: caught up");
	all_equal($db);
	is(pg_one("SELECT count(*) FROM pg_indexes WHERE schemaname = '$db' AND tablename = 'big'
	            AND indexdef LIKE 'CREATE UNIQUE INDEX % (email)'"), '1',
		"$db: the unique index on big.email exists once the stream passed the copy's window");
}

# ---------------------------------------------------------------------------
# Interruptions: cancel, kill -9 of a copy worker, pg_ctl stop -m immediate

my $db = 'cw_int';
my $rows = 800000;
my $slice = 1000;
make_database($db, $rows);
$conf{$db} = $my->write_config(my_database => $db, copy_workers => 2,
	copy_max_size => $slice, my_server_id => $server_id++);
my $writer = start_writer($db);

sub committed
{
	return pg_one("SELECT coalesce(sum(rows_copied), 0) FROM sch_chameleon.t_copy_ranges r
	                 JOIN sch_chameleon.t_sources s USING (source_id)
	                WHERE source_name = '$db' AND mysql_table = 'big'");
}

sub wait_committed
{
	my ($at_least) = @_;
	return $node->poll_query_until('postgres',
		"SELECT coalesce(sum(rows_copied), 0) >= $at_least FROM sch_chameleon.t_copy_ranges r
		   JOIN sch_chameleon.t_sources s USING (source_id) WHERE source_name = '$db'");
}

# The test pauses the copy when it wants by holding LOCK TABLES big WRITE in
# MariaDB: a slice of big waits for it (and so does the writer).
my $pause;
sub pause_copy
{
	my ($o, $e) = ('', '');
	$pause = IPC::Run::start([ $my->_client_command(database => $db), '-e',
			'LOCK TABLES big WRITE; DO SLEEP(600)' ], '<', \undef, '>', \$o, '2>', \$e);
	ok($my->poll_query_until("SELECT count(*) FROM information_schema.PROCESSLIST
	                           WHERE INFO LIKE 'DO SLEEP(600)%'"), 'the copy is paused');
}
sub resume_copy
{
	# the lock goes with the connection: end it now (a killed client is noticed late)
	my $id = $my->sql("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(600)%'");
	$my->sql("KILL CONNECTION $id") if $id;
	$pause->kill_kill;
	undef $pause;
}

# 1. the caller is cancelled: the copy stops, what is committed stays
my ($out, $err) = ('', '');
my $init = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'),
		'-c', "SELECT chameleon.init_replica('$conf{$db}')" ],
	'<', \undef, '>', \$out, '2>', \$err);
ok(wait_committed($rows * 0.05), 'the copy commits slices');
pause_copy();
my (undef, undef, $force_err) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$conf{$db}', force => true)");
like($force_err, qr/init_replica is already running for MySQL database "$db".*pg_terminate_backend/s,
	'force => true does not start a second copy while one runs, and says how to stop it');
$node->safe_psql('postgres', "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                               WHERE query LIKE 'SELECT chameleon.init_replica%' AND pid <> pg_backend_pid()");
$init->finish;
like($err, qr/canceling statement/, 'init_replica is cancelled');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type LIKE 'pg_chameleon copy%'"),
	'cancelling the caller stops the copy leader and its workers');
my $after_cancel = committed();
is(pg_one("SELECT state FROM sch_chameleon.t_sources WHERE source_name = '$db'"), 'initialising',
	'the copy is unfinished');
resume_copy();

# 2. resumed in the background; a copy worker killed -9
like(pg_one("SELECT chameleon.init_replica('$conf{$db}', wait => false)"),
	qr/runs in the background/, 'init_replica(wait => false) returns at once');
ok(wait_committed($after_cancel + $rows * 0.05), 'the resumed copy goes on');
pause_copy();
cmp_ok(committed(), '>=', $after_cancel, 'nothing committed before the cancel is lost');
is(pg_one("SELECT workers > 0 AND slices_done < slices_total AND rows_copied < rows_estimated
             AND time_left IS NOT NULL
           FROM chameleon.copy_tables WHERE source = '$db' AND mysql_table = 'big'"),
	't', 'copy_tables shows the running copy of the big table');
my $before_kill = pg_one("SELECT string_agg(pid::text, ',') FROM pg_stat_activity
                           WHERE backend_type LIKE 'pg_chameleon copy%'");
my ($victim) = split /,/, pg_one("SELECT pid FROM pg_stat_activity
                                  WHERE backend_type = 'pg_chameleon copy worker' LIMIT 1");
ok($victim, 'a copy worker runs');
kill 'KILL', $victim;
# new copy workers (the server restarted every process), whatever the psql errors meanwhile
ok($node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'pg_chameleon copy worker'
		    AND pid NOT IN ($before_kill)"),
	'after the crash restart the launcher resumes the copy');

# 3. MariaDB restarted under the copy: its workers lose MariaDB (they wait
# for the paused table), the leader starts new ones
$writer->kill_kill;
$my->restart;
resume_copy();
pause_copy();
my $deadline = Time::HiRes::time() + 60;
Time::HiRes::sleep(0.2)
  while Time::HiRes::time() < $deadline
  && slurp_file($node->logfile) !~ /a copy worker of "$db" stopped/;
like(slurp_file($node->logfile), qr/a copy worker of "$db" stopped/,
	'the leader starts new copy workers after losing MariaDB');
$my->sql('UPDATE ctl SET stop = 0', database => $db);
$writer = start_writer($db);

# 4. PostgreSQL stopped with -m immediate, started again
my $before_stop = committed();
is(pg_one("SELECT state FROM sch_chameleon.t_sources WHERE source_name = '$db'"), 'initialising',
	'the copy is still running at the immediate stop');
$node->stop('immediate');
$node->start;
cmp_ok(committed(), '>=', $before_stop, 'nothing committed before the stop is lost');
resume_copy();

# init_replica() waits for the resumed copy (or resumes it) and returns when it is complete
my ($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT chameleon.init_replica('$conf{$db}')");
is($ret, 0, 'init_replica waits for the resumed copy') or diag($stderr);
is(pg_one("SELECT state FROM sch_chameleon.t_sources WHERE source_name = '$db'"), 'stopped',
	'the copy is complete');
my ($total, $inserted) = split /\|/, pg_one(
	"SELECT (SELECT sum(rows_copied) FROM sch_chameleon.t_copy_ranges r JOIN sch_chameleon.t_sources s
	          USING (source_id) WHERE source_name = '$db' AND mysql_table = 'big'),
	        (SELECT n_tup_ins FROM pg_stat_user_tables WHERE schemaname = '$db' AND relname = 'big')");
cmp_ok($inserted, '<=', $total - $before_stop + 2 * $slice,
	'after the stop the copy inserted at most what was left plus a slice per worker');
is(pg_one("SELECT count(*) FROM $db.big"), $total, 'no row is doubled');
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf{$db}')");
stop_writer($db, $writer);
ok(caught_up($db), "$db: caught up");
all_equal($db);

# 5. sync_tables with copy_workers 2 (the sync worker and a copy worker),
# interrupted: its worker killed -9 while big is paused.  After the crash
# restart the launcher resumes the sync by itself from the committed slices.
my ($sync_out, $sync_err) = ('', '');
my $sync = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'),
		'-c', "SELECT chameleon.sync_tables('{big}', '$db')" ],
	'<', \undef, '>', \$sync_out, '2>', \$sync_err);
ok($node->poll_query_until('postgres',
		"SELECT coalesce(sum(rows_copied), 0) >= $rows * 0.05 FROM sch_chameleon.t_copy_ranges r
		   JOIN sch_chameleon.t_sources s USING (source_id)
		  WHERE source_name = '$db' AND mysql_table = 'big' AND r.started_at > now() - interval '1 min'
		    AND r.finished_at IS NULL"),
	'sync_tables commits slices of big');
is(pg_one("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_chameleon copy worker'"),
	1, 'a copy worker copies beside the sync worker');
pause_copy();
my $sync_pid = pg_one("SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_chameleon sync'");
ok($sync_pid, 'the sync worker runs');
kill 'KILL', $sync_pid;
$sync->finish;
ok($node->poll_query_until('postgres',
		"SELECT state = 'streaming' FROM chameleon.status WHERE source = '$db'"),
	'after the crash restart the replica streams again');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_chameleon sync'"),
	'the launcher resumes the interrupted sync');
is(pg_one("SELECT state FROM chameleon.tables WHERE source = '$db' AND mysql_table = 'big'"),
	'syncing', 'big is syncing while the resumed sync waits for the paused table');
($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT chameleon.sync_tables('{big}', '$db')");
like($stderr, qr/a sync_tables, add_tables or remove_tables is running/,
	'a second sync_tables meanwhile is refused');
my $before_sync = committed();
resume_copy();
ok($node->poll_query_until('postgres',
		"SELECT state IN ('copied', 'streaming') FROM chameleon.tables
		  WHERE source = '$db' AND mysql_table = 'big'"),
	'the resumed sync brings big back into the stream');
like(slurp_file($node->logfile), qr/resumed from the slices of an interrupted sync/,
	'it resumed from the committed slices');
($total, $inserted) = split /\|/, pg_one(
	"SELECT (SELECT sum(rows_copied) FROM sch_chameleon.t_copy_ranges r JOIN sch_chameleon.t_sources s
	          USING (source_id) WHERE source_name = '$db' AND mysql_table = 'big'),
	        (SELECT n_tup_ins FROM pg_stat_user_tables WHERE schemaname = '$db' AND relname = 'big')");
cmp_ok($inserted, '<=', $total - $before_sync + 2 * $slice,
	'the resumed sync inserted at most what was left plus a slice per process');
cmp_ok(pg_one("SELECT count(DISTINCT worker_pid) FROM sch_chameleon.t_copy_slices c
                 JOIN sch_chameleon.t_sources s USING (source_id)
                WHERE source_name = '$db' AND mysql_table = 'big'"), '>=', 2,
	'the slices of big were copied by more than one process');
ok(caught_up($db), "$db: caught up after the resumed sync");
all_equal($db);

done_testing();
