# 060_sync_tables.pl -- changing the replicated tables of a running replica
# while a writer keeps changing MySQL: chameleon.sync_tables() copies tables
# again and brings them back into the stream both when the apply worker is
# past the copy's binlog position (the stream goes back to it) and when it
# is behind it (replica stopped); a table put in error by a row PostgreSQL
# rejects is repaired by sync_tables; chameleon.add_tables() adds a table
# left out by tables_limit; chameleon.remove_tables() stops applying a
# table's changes and keeps its PostgreSQL table.  Once the writer is done
# every replicated table equals MySQL row by row: no change lost, none
# applied twice.  A foreign-key action (ON DELETE CASCADE from owner to big)
# caused while big is copied again reaches big after the rewind, although
# owner itself skips the event.  Also the errors of a wrong request.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $pass = 'sync-pw-' . int(rand(1_000_000_000));
my $my = ChameleonMariaDB->new(
	name  => 'source',
	extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE shop;
CREATE TABLE shop.owner (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE shop.big (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, v int NOT NULL,
    pad varchar(100) NOT NULL, owner_id int NULL,
    CONSTRAINT big_owner FOREIGN KEY (owner_id) REFERENCES shop.owner (id) ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE shop.a (id int NOT NULL PRIMARY KEY, v int NOT NULL) ENGINE=InnoDB;
CREATE TABLE shop.nolog (k int, what varchar(20)) ENGINE=InnoDB;
CREATE TABLE shop.b (id int NOT NULL PRIMARY KEY, v int NOT NULL) ENGINE=InnoDB;
CREATE TABLE shop.extra (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, v int,
    note varchar(20), e enum('x','y') NOT NULL DEFAULT 'x') ENGINE=InnoDB;
CREATE TABLE shop.ticks (id int NOT NULL AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO shop.owner SELECT seq FROM shop.seq_1_to_100;
INSERT INTO shop.big (v, pad, owner_id) SELECT seq, REPEAT(CHAR(65 + seq % 26), 40), seq % 100 + 1
  FROM shop.seq_1_to_600000;
INSERT INTO shop.a SELECT seq, seq FROM shop.seq_1_to_1000;
INSERT INTO shop.nolog SELECT seq % 50, 'seed' FROM shop.seq_1_to_500;
INSERT INTO shop.b SELECT seq, seq FROM shop.seq_1_to_100;
INSERT INTO shop.extra (v, note, e) SELECT seq, CONCAT('n', seq), IF(seq % 2, 'x', 'y')
  FROM shop.seq_1_to_1000;
SQL
$my->create_user('chameleon', $pass,
	'SELECT, RELOAD, BINLOG MONITOR, REPLICATION SLAVE, REPLICATION CLIENT ON *.*');
my $conf = $my->write_config(
	user         => 'chameleon',
	passwd       => $pass,
	my_database  => 'shop',
	tables_limit => [ 'big', 'a', 'nolog', 'b', 'owner' ]);
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'replica streaming');
is($node->safe_psql('postgres', 'SELECT string_agg(mysql_table, \',\' ORDER BY mysql_table) FROM chameleon.tables'),
	'a,b,big,nolog,owner', 'tables_limit left extra out');

# --- a writer that runs until told to stop ----------------------------------------
my $batch = '';
for my $i (1 .. 40)
{
	$batch .= "BEGIN;\n";
	$batch .= "INSERT INTO shop.big (v, pad) VALUES ($i, 'new');\n";
	$batch .= "SET \@r = FLOOR(1 + RAND() * 600000);\n";
	$batch .= "UPDATE shop.big SET v = v + 1, pad = CONCAT('u', v) WHERE id = \@r;\n";
	$batch .= "SET \@r = FLOOR(1 + RAND() * 1000);\n";
	$batch .= "UPDATE shop.a SET v = v + 1 WHERE id = \@r;\n";
	$batch .= "INSERT INTO shop.nolog VALUES ($i % 50, 'w');\n";
	$batch .= "COMMIT;\n";
	$batch .= "SET \@r = FLOOR(1 + RAND() * 600000);\n";
	$batch .= "DELETE FROM shop.big WHERE id = \@r;\n";
	$batch .= "DELETE FROM shop.nolog WHERE k = " . ($i % 50) . " LIMIT 1;\n" if $i % 3 == 0;
	$batch .= "SET \@r = FLOOR(1 + RAND() * 100);\n";
	$batch .= "UPDATE shop.b SET v = v + 1 WHERE id = \@r;\n";
	$batch .= "INSERT INTO shop.extra (v, note, e) VALUES ($i, 'w', 'y');\n";
	$batch .= "SET \@r = FLOOR(1 + RAND() * 1000);\n";
	$batch .= "UPDATE shop.extra SET v = v + 1, note = 'upd' WHERE id = \@r;\n";
	$batch .= "DELETE FROM shop.extra WHERE id = \@r + 1;\n" if $i % 4 == 0;
}
$batch .= "INSERT INTO shop.ticks VALUES ();\nDO SLEEP(0.02);\n";
my $dir        = PostgreSQL::Test::Utils::tempdir();
my $batch_file = "$dir/batch.sql";
my $stop_file  = "$dir/stop";
PostgreSQL::Test::Utils::append_to_file($batch_file, $batch);
my $client = join(' ', 'mariadb', '--no-defaults', '--batch', '--protocol=SOCKET',
	'--socket=' . $my->socket, '--user=root');
my $writer_log = "$PostgreSQL::Test::Utils::log_path/060_writer.log";
my $writer = IPC::Run::start(
	[ 'bash', '-c',
		"n=0; while [ ! -e '$stop_file' ]; do $client < '$batch_file' || exit 1; n=\$((n+1)); done; echo \"\$n batches\"" ],
	'>', $writer_log, '2>&1');
ok($my->poll_query_until('SELECT COUNT(*) > 1100 FROM shop.extra'), 'the writer is running');

# Wait until the writer has committed a few more batches (ticks is not replicated).
sub writer_progress
{
	my ($what) = @_;
	my $n = $my->sql('SELECT COUNT(*) FROM shop.ticks') + 3;
	ok($my->poll_query_until("SELECT COUNT(*) >= $n FROM shop.ticks"), "the writer goes on: $what");
}

# --- sync_tables while streaming: the worker is past the copy's position ----------
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables('{big,nolog}')");
is($ret, 0, 'sync_tables of big and nolog under the writer') or diag($err);
like($out, qr/^copied again 2 tables .* the stream went back from \S+ to it$/,
	'the stream went back to the copy position (W > P)');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM chameleon.tables"
		  . " WHERE mysql_table IN ('big', 'nolog') AND state IN ('copied', 'streaming')"),
	'2', 'big and nolog copied') or diag($out);
ok($writer->pumpable, 'the writer was running all along');
writer_progress('after syncing big and nolog');

# --- DDL on another table during a sync: the rewind must not replay it -----------
# While big is copied, MySQL alters table a (after the copy's snapshot P) and
# the worker applies that.  The rewind to P replays the stream from P; table a
# skips what it already has, the ALTER included (t_ddl says so), so it neither
# fails ("column already exists") nor puts a in error.
{
	my ($sync_out, $sync_err) = ('', '');
	my $sync = IPC::Run::start(
		[ 'psql', '-X', '-At', '-d', $node->connstr('postgres'), '-c',
			"SELECT chameleon.sync_tables('{big}')" ],
		'>', \$sync_out, '2>', \$sync_err);
	ok($node->poll_query_until('postgres',
			"SELECT count(*) > 0 FROM chameleon.copy_progress WHERE table_name = 'big' AND rows_copied > 0"),
		'the copy of big is under way');
	$my->sql('ALTER TABLE shop.a ADD COLUMN w int NOT NULL DEFAULT 7 AFTER id');
	$my->sql('UPDATE shop.a SET w = 8 WHERE id <= 10');
	# InnoDB deletes owner 7's rows of big, and logs only the owner row
	$my->sql('DELETE FROM shop.owner WHERE id = 7');
	my (undef, $owner_delete_end) = $my->binlog_position;
	ok($node->poll_query_until('postgres',
			"SELECT count(*) = 10 FROM shop.a WHERE w = 8"),
		'the worker applied the ALTER of a while big was copied');
	ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM shop.owner WHERE id = 7"),
		'the worker applied the delete of owner 7 while big was copied');
	$sync->finish;
	like($sync_out, qr/the stream went back from \S+ to it$/, 'the stream went back past the ALTER')
	  or diag($sync_err);
	cmp_ok($node->safe_psql('postgres', "SELECT count(*) FROM sch_chameleon.t_copy_slices WHERE mysql_table = 'big'"),
		'>', 1, 'big was copied in slices, each committed on its own');
	my ($copy_pos) = $sync_out =~ /at binlog position \S+:(\d+);/;
	cmp_ok($copy_pos, '<', $owner_delete_end, 'owner 7 was deleted after the copy\'s snapshot');
	ok($node->poll_query_until('postgres',
			"SELECT count(*) > 0 FROM sch_chameleon.t_ddl WHERE status = 'skipped'"
			  . " AND source_sql LIKE 'ALTER TABLE shop.a ADD COLUMN w%' AND error_message LIKE '%was copied at%'"),
		'the replayed ALTER of a is skipped: a already has it');
	is($node->safe_psql('postgres',
			"SELECT count(*) FROM sch_chameleon.t_ddl WHERE source_sql LIKE 'ALTER TABLE shop.a ADD COLUMN w%' AND status = 'applied'"),
		'1', 'the ALTER of a was applied exactly once');
	is($node->safe_psql('postgres', "SELECT state FROM chameleon.tables WHERE mysql_table = 'a'"),
		'streaming', 'a is still streaming');
	ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the sync');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM shop.big WHERE owner_id = 7'), '0',
		'the ON DELETE CASCADE of owner 7, replayed after the rewind, reached the copy of big');
}

# --- a table in error after a bad row, repaired by sync_tables --------------------
$node->safe_psql('postgres', 'CREATE ROLE app_owner; ALTER TABLE shop.a OWNER TO app_owner;'
	  . ' SET session_replication_role = replica; DELETE FROM shop.a WHERE id = 1');
$my->sql('UPDATE shop.a SET v = v + 1000 WHERE id = 1');
ok($node->poll_query_until('postgres', "SELECT state = 'error' FROM chameleon.tables WHERE mysql_table = 'a'"),
	'a row PostgreSQL cannot apply puts table a in error');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.errors WHERE mysql_table = 'a'"),
	'1', 'the rejected row is in chameleon.errors');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables(ARRAY['a'], 'shop')");
is($ret, 0, 'sync_tables repairs table a') or diag($err);
like($out, qr/^copied again 1 table \(\d+ rows\) of replica "shop"/, 'sync_tables summary');
is($node->safe_psql('postgres',
		"SELECT state IN ('copied', 'streaming'), last_error IS NULL FROM chameleon.tables WHERE mysql_table = 'a'"),
	't|t', 'table a is back');
is($node->safe_psql('postgres', "SELECT relowner::regrole FROM pg_class WHERE oid = 'shop.a'::regclass"),
	'app_owner', 'the table copied again keeps its owner');
writer_progress('after repairing a');

# --- sync_tables of a stopped replica: the stored position is before the copy's ---
$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
writer_progress('while the replica is stopped');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables('{big}')");
is($ret, 0, 'sync_tables while the replica is stopped') or diag($err);
like($out, qr/at binlog position (\S+):(\d+); the stream was at \1:(\d+)$/,
	'no going back when the stream is behind the copy (W < P)');
ok($out =~ /:(\d+); the stream was at \S+:(\d+)$/ && $2 < $1, 'the stream was before the copy')
  or diag($out);
is($node->safe_psql('postgres', 'SELECT state FROM chameleon.status'), 'stopped',
	'sync_tables does not start a stopped replica');
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'streaming again');
writer_progress('after restarting');

# --- add_tables: a table tables_limit left out ---------------------------------------
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.add_tables('{extra}')");
is($ret, 0, 'add_tables of extra under the writer') or diag($err);
like($out, qr/^added 1 table /, 'add_tables summary');
writer_progress('after adding extra');
is($node->safe_psql('postgres',
		"SELECT pg_catalog.format_type(atttypid, atttypmod) FROM pg_attribute"
		  . " WHERE attrelid = 'shop.extra'::regclass AND attname = 'note'"),
	'character varying(20)', 'extra created with the type map of init_replica');

# --- remove_tables: b is no longer applied, its PostgreSQL table stays ---------------
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.remove_tables('{b}')");
is($ret, 0, 'remove_tables of b') or diag($err);
like($out, qr/^removed 1 table from replica "shop"; its PostgreSQL table is kept$/,
	'remove_tables summary');
my $b_after_remove = $node->safe_psql('postgres', 'SELECT string_agg(id || \':\' || v, \',\' ORDER BY id) FROM shop.b');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.remove_tables('{b}')");
like($err, qr/already removed/, 'removing it again is a notice');
writer_progress('after removing b');
is($node->safe_psql('postgres', 'SELECT string_agg(id || \':\' || v, \',\' ORDER BY id) FROM shop.b'),
	$b_after_remove, 'no change of b was applied after remove_tables');
isnt($my->sql("SELECT GROUP_CONCAT(CONCAT(id, ':', v) ORDER BY id) FROM shop.b"), $b_after_remove,
	'while MySQL changed b');
is($node->safe_psql('postgres', "SELECT state FROM chameleon.tables WHERE mysql_table = 'b'"),
	'removed', 'b is removed');

# --- wrong requests -------------------------------------------------------------------
my @bad = (
	[ "SELECT chameleon.sync_tables('{nosuch}')", qr/table "nosuch" is not replicated by replica "shop"/ ],
	[ "SELECT chameleon.sync_tables('{b}')", qr/table "b" was removed from replica "shop"/ ],
	[ "SELECT chameleon.sync_tables('{}')", qr/no table given/ ],
	[ "SELECT chameleon.sync_tables(NULL)", qr/must not be null/ ],
	[ "SELECT chameleon.sync_tables('{a}', 'nosuch')", qr/replica "nosuch" does not exist/ ],
	[ "BEGIN; SELECT chameleon.sync_tables('{a}'); COMMIT", qr/cannot run inside a transaction block/ ],
	[ "SELECT chameleon.add_tables('{a}')", qr/table "a" is already replicated by replica "shop"/ ],
	[ "SELECT chameleon.add_tables('{nosuch}')", qr/table "nosuch" does not exist in MySQL database "shop"/ ],
	[ "SELECT chameleon.remove_tables('{nosuch}')", qr/table "nosuch" is not replicated/ ]);
for my $case (@bad)
{
	($ret, $out, $err) = $node->psql('postgres', $case->[0]);
	isnt($ret, 0, "fails: $case->[0]");
	like($err, $case->[1], "error of: $case->[0]");
}
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.tables WHERE mysql_table = 'nosuch'"),
	'0', 'a failed add_tables leaves no table behind');

# --- a failed sync_tables leaves the table in error; the next one repairs it --------
$node->safe_psql('postgres', 'CREATE VIEW public.nolog_view AS SELECT * FROM shop.nolog');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables('{nolog}')");
isnt($ret, 0, 'sync_tables fails when a view depends on the table');
like($err, qr/table "shop"."nolog" cannot be replaced by a new copy: other objects depend on it/,
	'error names the dependent view problem');
like($node->safe_psql('postgres', "SELECT state || ': ' || last_error FROM chameleon.tables WHERE mysql_table = 'nolog'"),
	qr/^error: sync_tables failed: table "shop"."nolog" cannot be replaced/, 'nolog is in error');
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'the apply worker runs again after the failure');
writer_progress('while nolog is in error');
$node->safe_psql('postgres', 'DROP VIEW public.nolog_view');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables('{nolog}')");
is($ret, 0, 'sync_tables repairs nolog') or diag($err);

# --- an interrupted sync_tables: the table stays syncing, the stream goes on --------
# A session holding a lock on shop.big keeps the sync worker waiting in its
# copy, where it is terminated.
my ($lock_in, $lock_out) = ("BEGIN;\nLOCK TABLE shop.big IN ACCESS SHARE MODE;\nSELECT 'locked';\n", '');
my $locker = IPC::Run::start([ 'psql', '-X', '-At', '-d', $node->connstr('postgres') ],
	'<', \$lock_in, '>', \$lock_out, '2>&1');
$locker->pump until $lock_out =~ /locked/;
my ($sync_out, $sync_err) = ('', '');
my $sync = IPC::Run::start(
	[ 'psql', '-X', '-At', '-d', $node->connstr('postgres'), '-c',
		"SELECT chameleon.sync_tables('{big}')" ],
	'>', \$sync_out, '2>', \$sync_err);
ok($node->poll_query_until('postgres',
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		  . " WHERE backend_type = 'pg_chameleon sync' AND wait_event_type = 'Lock'"
		  . " AND wait_event = 'relation'"),
	'the sync worker waits for the lock; terminated');
$sync->finish;
like($sync_err, qr/the pg_chameleon sync worker exited without a result/,
	'sync_tables reports the interruption');
$lock_in .= "COMMIT;\n";
$locker->finish;
is($node->safe_psql('postgres', "SELECT state FROM chameleon.tables WHERE mysql_table = 'big'"),
	'syncing', 'the interrupted table stays syncing');
is($node->safe_psql('postgres', 'SELECT state FROM chameleon.status'), 'streaming',
	'the stream goes on');
writer_progress('while big is left syncing');

# Interrupted after it stopped the apply worker (a session holding the
# t_sources row keeps it waiting there): the launcher restarts the worker.
# (A row lock wait, not the relation extension lock a slow COPY may wait on.)
my $pid_before = $node->safe_psql('postgres', 'SELECT pid FROM chameleon.status');
($lock_in, $lock_out) = ("BEGIN;\nSELECT 'locked' FROM sch_chameleon.t_sources FOR SHARE;\n", '');
$locker = IPC::Run::start([ 'psql', '-X', '-At', '-d', $node->connstr('postgres') ],
	'<', \$lock_in, '>', \$lock_out, '2>&1');
$locker->pump until $lock_out =~ /locked/;
($sync_out, $sync_err) = ('', '');
$sync = IPC::Run::start(
	[ 'psql', '-X', '-At', '-d', $node->connstr('postgres'), '-c',
		"SELECT chameleon.sync_tables('{big}')" ],
	'>', \$sync_out, '2>', \$sync_err);
ok($node->poll_query_until('postgres',
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		  . " WHERE backend_type = 'pg_chameleon sync' AND wait_event_type = 'Lock'"
		  . " AND wait_event IN ('transactionid', 'tuple')"),
	'the sync worker waits for the source row with the apply worker stopped; terminated');
$sync->finish;
like($sync_err, qr/exited without a result/, 'sync_tables reports the interruption');
ok($node->poll_query_until('postgres',
		"SELECT state = 'streaming' AND pid <> $pid_before FROM chameleon.status"),
	'the launcher started the apply worker again');
$lock_in .= "COMMIT;\n";
$locker->finish;
writer_progress('after the second interruption');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables('{big}')");
is($ret, 0, 'sync_tables again completes the interrupted one') or diag($err);

# --- a removed table can be added again: copied afresh ------------------------------
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.add_tables('{b}')");
is($ret, 0, 'add_tables of the removed table b') or diag($err);
writer_progress('after adding b again');

# --- the writer stops; every replicated table equals MySQL -------------------------
PostgreSQL::Test::Utils::append_to_file($stop_file, '');
$writer->finish;
is($?, 0, 'the writer ran to the end') or diag(slurp_file($writer_log));
note('writer: ' . slurp_file($writer_log));
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');

ChameleonReplica::tables_equal($node, $my, 'shop', 'big', 'id',
	[ [ 'id', 'id' ], [ 'v', 'v' ], [ 'pad', 'pad' ], [ 'owner_id', 'owner_id' ] ]);
ChameleonReplica::tables_equal($node, $my, 'shop', 'owner', 'id', [ [ 'id', 'id' ] ]);
ChameleonReplica::tables_equal($node, $my, 'shop', 'a', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ], [ 'w', 'w' ] ]);
ChameleonReplica::tables_equal($node, $my, 'shop', 'nolog', 'k, what',
	[ [ 'k', 'k' ], [ 'what', 'what' ] ], 'nolog (no primary key) equals MySQL');
ChameleonReplica::tables_equal($node, $my, 'shop', 'extra', 'id',
	[ [ 'id', 'id' ], [ 'v', 'v' ], [ 'note', 'note' ], [ 'e', 'e' ] ]);
ChameleonReplica::tables_equal($node, $my, 'shop', 'b', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ],
	'b, removed and added again, equals MySQL');
is($node->safe_psql('postgres',
		"SELECT string_agg(mysql_table || '=' || state, ',' ORDER BY mysql_table) FROM chameleon.tables"),
	'a=streaming,b=streaming,big=streaming,extra=streaming,nolog=streaming,owner=streaming',
	'table states');
is($node->safe_psql('postgres', 'SELECT applied_gtid FROM chameleon.status'),
	$my->sql('SELECT @@gtid_binlog_pos'), 'the applied GTID position is the source\'s');
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.errors'), '1',
	'no rejected row but the one made on purpose');

$node->stop;
$my->stop;
done_testing();
