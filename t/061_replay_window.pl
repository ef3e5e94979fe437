# 061_replay_window.pl -- the idempotent replay window of a table copied in
# slices (t_replica_tables.replay_file/replay_position).  The copy is made
# by hand: init_replica copies three tables at position S (the stream's start
# and every table's snapshot), then MariaDB runs a workload in three phases
# -- inserts, updates, deletes, primary-key changes (within a key range and
# across ranges), unique values moved from one row to another, a unique
# value taken by a new row while the row that holds it in the copy releases
# it only later, keys deleted and inserted again -- and after phase k the
# rows of key range k of every table are copied again into PostgreSQL (as
# superuser: delete the range, insert MariaDB's rows), so each table holds
# range 0 as of S and range k as of the end of phase k, like a copy read in
# slices.  Replica "window" has replay_* at the end of the last phase: once
# streamed (and after a fourth phase past the window, applied the ordinary
# way) every table equals MariaDB value by value.  Replica "plain" has the
# same contents without a window: the ordinary apply meets rows the copy
# already has (a duplicate key) and puts the table in error.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE win;
USE win;
CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL, code char(2), num int, note varchar(20),
  UNIQUE KEY code_num (code, num));
CREATE TABLE pairs (code varchar(8) NOT NULL, seq char(4) NOT NULL, amount decimal(8,2),
  PRIMARY KEY (code, seq));
CREATE TABLE users (id int PRIMARY KEY, email varchar(40) UNIQUE, name varchar(20));
CREATE TABLE nokey (k int, what varchar(10));
INSERT INTO nokey VALUES (1, 'one'), (2, 'two'), (2, 'two');
INSERT INTO items SELECT seq, seq, IF(seq % 2, 'B', 'A'), seq, NULL FROM seq_1_to_5;
INSERT INTO items SELECT seq, seq, IF(seq % 2, 'B', 'A'), seq, NULL FROM seq_101_to_105;
INSERT INTO items SELECT seq, seq, IF(seq % 2, 'B', 'A'), seq, NULL FROM seq_201_to_205;
INSERT INTO items SELECT seq, seq, IF(seq % 2, 'B', 'A'), seq, NULL FROM seq_301_to_305;
UPDATE items SET num = NULL WHERE id IN (3, 5, 103);
INSERT INTO pairs SELECT CONCAT(l, n), LPAD(s, 4, '0'), n * 10 + s + 0.5
  FROM (SELECT 'a' l UNION SELECT 'b' UNION SELECT 'c' UNION SELECT 'd') ls,
       (SELECT 1 n UNION SELECT 2) ns, (SELECT 1 s UNION SELECT 2) ss;
INSERT INTO users SELECT seq, CONCAT('u', seq, '@x'), CONCAT('n', seq) FROM seq_1_to_4;
INSERT INTO users SELECT seq, CONCAT('u', seq, '@x'), CONCAT('n', seq) FROM seq_11_to_14;
INSERT INTO users SELECT seq, CONCAT('u', seq, '@x'), CONCAT('n', seq) FROM seq_21_to_24;
INSERT INTO users SELECT seq, CONCAT('u', seq, '@x'), CONCAT('n', seq) FROM seq_31_to_34;
SQL

# Columns, and the key ranges the "slices" are made of (range 0 stays as of S).
my %cols = (
	items => [qw(id v code num note)],
	pairs => [qw(code seq amount)],
	users => [qw(id email name)],);
my %order = (items => 'id', pairs => 'code, seq', users => 'id');
my %ranges = (
	items => [ 'id < 100', 'id >= 100 AND id < 200', 'id >= 200 AND id < 300', 'id >= 300' ],
	pairs => [ "code < 'b'", "code >= 'b' AND code < 'c'", "code >= 'c' AND code < 'd'", "code >= 'd'" ],
	users => [ 'id < 10', 'id >= 10 AND id < 20', 'id >= 20 AND id < 30', 'id >= 30' ],);

my %node;
for my $name (qw(window plain))
{
	my $conf = $my->write_config(
		my_database  => 'win',
		my_server_id => $my->server_id + ($name eq 'window' ? 1000 : 2000));
	$node{$name} = ChameleonReplica::new_node($name, conf => "timezone = 'UTC'\n");
	$node{$name}->{chameleon_conf} = ChameleonReplica::pg_literal($conf);
	$node{$name}->safe_psql('postgres', "SELECT chameleon.init_replica($node{$name}->{chameleon_conf})");
}

# S: the stream starts there and every table's copy was taken there.
my ($s_file, $s_pos) = $my->binlog_position;
for my $name (sort keys %node)
{
	is( $node{$name}->safe_psql(
			'postgres', 'SELECT binlog_file || \':\' || binlog_position FROM sch_chameleon.t_replica_batch'),
		"$s_file:$s_pos",
		"$name: the replica starts at S");
	is( $node{$name}->safe_psql(
			'postgres',
			'SELECT string_agg(DISTINCT snapshot_file || \':\' || snapshot_position, \',\')'
			  . ' FROM sch_chameleon.t_replica_tables'),
		"$s_file:$s_pos",
		"$name: every table's snapshot is S");
}

# Copy range $k of every table again into both replicas, as MariaDB has it now.
sub capture
{
	my ($k) = @_;
	# written as a copy worker writes: the guard of replicated tables does not fire
	my $sql = "BEGIN;\nSET LOCAL session_replication_role = replica;\n";
	for my $table (sort keys %cols)
	{
		my $where = $ranges{$table}[$k];
		my @rows = $my->sql_rows(
			"SELECT CONCAT_WS(', ', " . join(', ', map { "QUOTE($_)" } @{ $cols{$table} })
			  . ") FROM win.$table WHERE $where");
		$sql .= "DELETE FROM win.$table WHERE $where;\n";
		$sql .= "INSERT INTO win.$table (" . join(', ', @{ $cols{$table} }) . ') VALUES '
		  . join(', ', map { "($_->[0])" } @rows) . ";\n"
		  if @rows;
	}
	$sql .= "COMMIT;\n";
	$node{$_}->safe_psql('postgres', $sql) for sort keys %node;
	return;
}

# Phase 1, then range 1 is copied.
$my->sql(<<'SQL');
USE win;
INSERT INTO nokey VALUES (3, 'three');
DELETE FROM nokey WHERE k = 2 LIMIT 1;
INSERT INTO items VALUES (6, 6, 'A', 6, 'new'), (106, 106, 'A', 106, 'new');
UPDATE items SET v = v + 10 WHERE id IN (1, 101, 201, 301);
DELETE FROM items WHERE id IN (2, 202);
-- primary-key changes: range 1 to 3, range 3 to 0
UPDATE items SET id = 306 WHERE id = 103;
UPDATE items SET id = 7 WHERE id = 303;
-- a unique value moves from a row of range 1 to one of range 2
UPDATE items SET num = NULL WHERE id = 104;
UPDATE items SET num = 104 WHERE id = 204;
-- a new row takes a unique value, gives it up; a row of range 3 takes it
INSERT INTO items VALUES (8, 8, 'B', 777, 'b');
UPDATE items SET num = 8 WHERE id = 8;
UPDATE items SET code = 'B', num = 777 WHERE id = 305;
INSERT INTO pairs VALUES ('a3', '0001', 1.25), ('b3', '0001', 2.25);
UPDATE pairs SET amount = amount + 100 WHERE code = 'c1';
DELETE FROM pairs WHERE code = 'd2' AND seq = '0001';
UPDATE pairs SET code = 'd9' WHERE code = 'a1' AND seq = '0002';
UPDATE pairs SET seq = '0009' WHERE code = 'b1' AND seq = '0001';
INSERT INTO users VALUES (5, 'shared@x', 'b');
UPDATE users SET email = 'b5@x' WHERE id = 5;
UPDATE users SET email = 'shared@x' WHERE id = 31;
UPDATE users SET name = 'renamed' WHERE id = 11;
DELETE FROM users WHERE id = 32;
SQL
capture(1);

# Phase 2 (one transaction over the three tables), then range 2 is copied.
# (Rows and unique values move only towards ranges copied earlier: the other
# way round, the copy itself would hold a value twice.)
$my->sql(<<'SQL');
USE win;
BEGIN;
INSERT INTO items VALUES (2, 2, 'A', 2, 'again'), (202, 202, 'A', 202, 'again');
DELETE FROM items WHERE id = 306;
UPDATE items SET id = 150 WHERE id = 205;
UPDATE items SET v = v * 2 WHERE id BETWEEN 100 AND 300;
DELETE FROM pairs WHERE code = 'b2';
INSERT INTO pairs VALUES ('b2', '0001', 9.99);
UPDATE pairs SET code = 'c9' WHERE code = 'd1' AND seq = '0001';
UPDATE users SET email = NULL WHERE id IN (22, 23);
UPDATE users SET email = 'u22@x' WHERE id = 12;
UPDATE users SET id = 15 WHERE id = 33;
INSERT INTO users VALUES (32, 'u32b@x', 'again');
COMMIT;
SQL
capture(2);

# Phase 3, then range 3 is copied: the end of the replay window.
$my->sql(<<'SQL');
USE win;
UPDATE items SET note = 'p3' WHERE id % 2 = 0;
DELETE FROM items WHERE id = 201;
INSERT INTO items VALUES (399, 399, NULL, NULL, 'nulls'), (398, 398, 'A', NULL, 'nulls');
UPDATE pairs SET amount = NULL WHERE code = 'c2';
DELETE FROM users WHERE id = 24;
INSERT INTO users VALUES (24, 'u24b@x', 'again');
UPDATE users SET email = 'u21b@x' WHERE id = 21;
UPDATE users SET email = 'u21@x' WHERE id = 1;
SQL
capture(3);
my ($r_file, $r_pos) = $my->binlog_position;

# The copy really is mixed: range 3 has a row that range 0 gets only by replay.
is($node{window}->safe_psql('postgres', "SELECT count(*) FROM win.users WHERE email = 'shared\@x'"),
	'1', 'the copy has shared@x at id 31 while id 5 does not exist yet');

$node{window}->safe_psql('postgres',
	"UPDATE sch_chameleon.t_replica_tables SET replay_file = '$r_file', replay_position = $r_pos");

# The copy leaves a windowed table's unique indexes to the stream: users'
# index on email is dropped here and deferred, and items gets a deferred
# index that cannot be built (every row has the same key).
my ($email_index, $email_def) = split /\|/, $node{window}->safe_psql('postgres',
	"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'win' AND tablename = 'users'
	    AND indexdef LIKE 'CREATE UNIQUE INDEX % (email)'");
$node{window}->safe_psql('postgres', qq{
	DROP INDEX win."$email_index";
	UPDATE sch_chameleon.t_replica_tables SET deferred_indexes = ARRAY['$email_def']
	 WHERE mysql_table = 'users';
	UPDATE sch_chameleon.t_replica_tables
	   SET deferred_indexes = ARRAY['CREATE UNIQUE INDEX items_one ON win.items ((1))']
	 WHERE mysql_table = 'items';});
$node{$_}->safe_psql('postgres', "SELECT chameleon.start_replica($node{$_}->{chameleon_conf})")
  for sort keys %node;

sub all_equal
{
	my ($when) = @_;
	my $n = $node{window};
	ok(ChameleonReplica::wait_caught_up($n, $my), "window: caught up $when");
	for my $table (sort keys %cols)
	{
		ChameleonReplica::tables_equal($n, $my, 'win', $table, $order{$table},
			[ map { [ $_, $_ ] } @{ $cols{$table} } ], "window: $table equals MariaDB $when");
	}
	# a table without a primary key is not copied in slices: should it have
	# a window all the same, its changes are applied the ordinary way
	ChameleonReplica::tables_equal($n, $my, 'win', 'nokey', 'k, what',
		[ [ 'k', 'k' ], [ 'what', 'what' ] ], "window: nokey equals MariaDB $when");
	is($n->safe_psql('postgres', "SELECT string_agg(mysql_table || ' ' || state, ',' ORDER BY mysql_table)"
			  . " FROM chameleon.tables"),
		'items streaming,nokey streaming,pairs streaming,users streaming',
		"window: every table streams $when");
	is($n->safe_psql('postgres', "SELECT count(*) FROM chameleon.errors WHERE operation <> 'create index'"),
		'0', "window: no error $when");
}
all_equal('after the replay window');
is($node{window}->safe_psql('postgres', "SELECT indexdef FROM pg_indexes WHERE schemaname = 'win'
                                          AND indexname = '$email_index'"),
	$email_def, 'window: the deferred unique index is built once the window is passed');
is($node{window}->safe_psql('postgres', "SELECT count(*) FROM sch_chameleon.t_replica_tables
                                          WHERE deferred_indexes IS NOT NULL OR replay_file IS NOT NULL"),
	'0', 'window: no deferred index and no window are left');
is($node{window}->safe_psql('postgres', "SELECT mysql_table || ' ' || (error_message LIKE '%items_one%')
                                           FROM chameleon.errors WHERE operation = 'create index'"),
	'items true', 'window: an index that cannot be built is in chameleon.errors');
like(slurp_file($node{window}->logfile), qr/a unique index of table items could not be built after its copy/,
	'window: and a WARNING says so');

# Phase 4, past the window: the ordinary apply (exactly one row per change).
$my->sql(<<'SQL');
USE win;
UPDATE nokey SET what = 'p4' WHERE k = 3;
INSERT INTO items VALUES (9, 9, 'A', 9, 'p4'), (10, 10, 'A', 10, 'p4');
UPDATE items SET v = v + 1000;
UPDATE items SET id = 110 WHERE id = 8;
DELETE FROM items WHERE id = 7;
UPDATE pairs SET amount = 0 WHERE code = 'd9';
UPDATE users SET email = 'u22b@x' WHERE id = 31;
UPDATE users SET email = 'shared@x' WHERE id = 5;
DELETE FROM users WHERE id = 15;
SQL
all_equal('after a phase past the window');

# Without the window the same copy cannot be streamed: rows it already has.
ok(ChameleonReplica::wait_caught_up($node{plain}, $my), 'plain: caught up');
is($node{plain}->safe_psql('postgres',
		"SELECT string_agg(mysql_table || ' ' || state, ',' ORDER BY mysql_table) FROM chameleon.tables"),
	'items error,nokey streaming,pairs error,users error',
	'plain: every table with a key goes to error without the window');
like($node{plain}->safe_psql('postgres',
		"SELECT error_message FROM chameleon.errors WHERE mysql_table = 'items' ORDER BY error_id LIMIT 1"),
	qr/duplicate key/, 'plain: the insert of a row the copy has is rejected');
my $diverged = 0;
for my $table (sort keys %cols)
{
	my ($mine, $theirs) = ChameleonReplica::table_rows($node{plain}, $my, 'win', $table, $order{$table},
		[ map { [ $_, $_ ] } @{ $cols{$table} } ]);
	$diverged++ if $mine ne $theirs;
}
is($diverged, 3, 'plain: no table equals MariaDB without the window');

done_testing();
