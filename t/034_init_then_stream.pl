# 034_init_then_stream.pl -- the user's path end to end: while a writer keeps
# changing MySQL, chameleon.init_replica() copies the tables from a
# consistent snapshot, chameleon.start_replica() streams from the snapshot's
# binlog position, and once the writer is done every table (one without a
# primary key included) equals MySQL: the copy and the stream join without a
# gap or a change applied twice.

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

my $pass = 'e2e-pw-' . int(rand(1_000_000_000));
my $my = ChameleonMariaDB->new(
	name  => 'source',
	extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE shop;
CREATE TABLE shop.customer (id int NOT NULL PRIMARY KEY, name varchar(40) NOT NULL,
    balance decimal(12,2) NOT NULL DEFAULT 0) ENGINE=InnoDB;
CREATE TABLE shop.orders (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, customer int NOT NULL,
    amount decimal(12,2) NOT NULL, placed datetime NOT NULL) ENGINE=InnoDB;
CREATE TABLE shop.audit (customer int, what varchar(20)) ENGINE=InnoDB;
INSERT INTO shop.customer SELECT seq, CONCAT('customer ', seq), seq FROM shop.seq_1_to_2000;
INSERT INTO shop.orders (customer, amount, placed)
  SELECT seq % 2000 + 1, seq / 10, '2024-01-01 00:00:00' + INTERVAL seq MINUTE FROM shop.seq_1_to_20000;
INSERT INTO shop.audit SELECT seq % 50, 'seed' FROM shop.seq_1_to_500;
SQL
$my->create_user('chameleon', $pass,
	'SELECT, RELOAD, BINLOG MONITOR, REPLICATION SLAVE, REPLICATION CLIENT ON *.*');
my $conf = $my->write_config(user => 'chameleon', passwd => $pass, my_database => 'shop');
my $conf_lit = ChameleonReplica::pg_literal($conf);

# a writer that runs before, during and after the copy: a procedure that goes
# on until told to stop (its control table is in a database not replicated),
# every other iteration one transaction of several statements
$my->sql(<<'SQL');
CREATE DATABASE loadctl;
CREATE TABLE loadctl.ctl (stop int NOT NULL) ENGINE=InnoDB;
INSERT INTO loadctl.ctl VALUES (0);
DELIMITER //
CREATE PROCEDURE loadctl.writer()
BEGIN
  DECLARE i int DEFAULT 1;
  DECLARE c int;
  WHILE (SELECT stop FROM loadctl.ctl) = 0 DO
    SET c = i % 2000 + 1;
    IF i % 2 = 0 THEN START TRANSACTION; END IF;
    INSERT INTO shop.orders (customer, amount, placed) VALUES (c, i / 100, NOW());
    UPDATE shop.customer SET balance = balance + 1 WHERE id = c;
    INSERT INTO shop.audit VALUES (c % 50, 'order');
    IF i % 3 = 0 THEN DELETE FROM shop.audit WHERE customer = i % 50 LIMIT 1; END IF;
    IF i % 5 = 0 THEN DELETE FROM shop.orders WHERE id = i * 7 % 20000 + 1; END IF;
    IF i % 2 = 0 THEN COMMIT; END IF;
    SET i = i + 1;
  END WHILE;
END //
DELIMITER ;
SQL
my $load_log = "$PostgreSQL::Test::Utils::log_path/034_writer.log";
my $writer = IPC::Run::start(
	[ 'mariadb', '--no-defaults', '--batch', '--protocol=SOCKET',
		'--socket=' . $my->socket, '--user=root', '-e', 'CALL loadctl.writer()' ],
	'<', \undef, '>', $load_log, '2>&1');
ok($my->poll_query_until('SELECT COUNT(*) > 20000 FROM shop.orders'), 'the writer is running');

my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
is($ret, 0, 'init_replica under a writer') or diag($err);
ok($writer->pumpable, 'the writer was still running when the copy ended');

$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'streaming from the copy snapshot');

# some more changes on top of the copy, then the writer stops
my $orders = $my->sql('SELECT MAX(id) FROM shop.orders');
ok($my->poll_query_until("SELECT MAX(id) > $orders + 200 FROM shop.orders"), 'the writer goes on after the copy');
$my->sql('UPDATE loadctl.ctl SET stop = 1');
$writer->finish;
is($?, 0, 'the writer ran to the end') or diag(slurp_file($load_log));
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');

ChameleonReplica::tables_equal($node, $my, 'shop', 'customer', 'id',
	[ [ 'id', 'id' ], [ 'name', 'name' ], [ 'balance', 'balance' ] ]);
ChameleonReplica::tables_equal($node, $my, 'shop', 'orders', 'id',
	[ [ 'id', 'id' ], [ 'customer', 'customer' ], [ 'amount', 'amount' ],
	  [ "DATE_FORMAT(placed, '%Y-%m-%d %H:%i:%s')", "to_char(placed, 'YYYY-MM-DD HH24:MI:SS')" ] ]);
ChameleonReplica::tables_equal($node, $my, 'shop', 'audit', 'customer, what',
	[ [ 'customer', 'customer' ], [ 'what', 'what' ] ],
	'audit (no primary key) equals MySQL');
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.errors'), '0', 'no rejected rows');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM chameleon.tables WHERE state = 'streaming' AND applied_rows > 0"),
	'3', 'every table streamed changes on top of its copy');

# --- init_replica(force) replaces the replica and its replication origin ----------
my $origins = sub {
	return $node->safe_psql('postgres',
		"SELECT coalesce(string_agg(roname, ',' ORDER BY roname), '') FROM pg_replication_origin"
		  . " WHERE roname LIKE 'pg\\_chameleon\\_%'");
};
my $origin_of_source = sub {
	return $node->safe_psql('postgres',
		"SELECT 'pg_chameleon_' || d.oid || '_' || s.source_id FROM sch_chameleon.t_sources s,"
		  . " pg_database d WHERE d.datname = current_database()");
};
my $old_origin = $origin_of_source->();
is($origins->(), $old_origin, 'the streaming replica has its replication origin');
($ret, $out, $err) = $node->psql('postgres',
	"SELECT chameleon.init_replica($conf_lit, force => true)");
isnt($ret, 0, 'init_replica(force) is refused while the worker runs');
like($err, qr/replication origin of replica "shop" is in use/, 'because the worker holds the origin');
is($node->safe_psql('postgres', 'SELECT state FROM chameleon.status'), 'streaming',
	'the replica goes on');
$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
($ret, $out, $err) = $node->psql('postgres',
	"SELECT chameleon.init_replica($conf_lit, force => true)");
is($ret, 0, 'init_replica(force) right after stop_replica') or diag($err);
is($origins->(), '', 'the old replication origin is dropped with the old replica');
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'the new replica streams');
isnt($origin_of_source->(), $old_origin, 'the new replica is a new source');
is($origins->(), $origin_of_source->(), 'one replication origin: the new replica\'s');
$my->sql("INSERT INTO shop.audit (customer, what) VALUES (1, 'after the re-init')");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the re-init');
ChameleonReplica::tables_equal($node, $my, 'shop', 'audit', 'customer, what',
	[ [ 'customer', 'customer' ], [ 'what', 'what' ] ], 'audit equals MySQL after the re-init');
$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');

$node->stop;
$my->stop;
done_testing();
