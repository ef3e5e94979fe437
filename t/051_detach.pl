# 051_detach.pl -- chameleon.detach_replica(): the cut-over.
#
# A MariaDB schema with foreign keys (simple, composite, self-referencing,
# cross-table chains) and AUTO_INCREMENT columns is copied and streamed;
# after writes and catch-up, a row with a dangling reference is added on the
# PostgreSQL side, then detach_replica: the worker is gone, every foreign key
# exists and is validated except the one the bad row breaks (reported, with a
# WARNING, and left NOT VALID), identities and sequences continue after the
# current maximum, the replication origin is gone, and DROP EXTENSION leaves
# the tables and their data.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $pass = 'detach-pw-' . int(rand(1_000_000_000));
my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE shop;
CREATE TABLE shop.customer (
    id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name varchar(40) NOT NULL,
    referrer int NULL,
    CONSTRAINT customer_referrer_fk FOREIGN KEY (referrer) REFERENCES shop.customer (id)
        ON DELETE SET NULL) ENGINE=InnoDB;
CREATE TABLE shop.product (
    id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sku varchar(20) NOT NULL UNIQUE) ENGINE=InnoDB;
CREATE TABLE shop.orders (
    id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id int NOT NULL,
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES shop.customer (id)
        ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE shop.order_line (
    order_id bigint NOT NULL,
    line_no int NOT NULL,
    product_id int NOT NULL,
    qty int NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT line_order_fk FOREIGN KEY (order_id) REFERENCES shop.orders (id) ON DELETE CASCADE,
    CONSTRAINT line_product_fk FOREIGN KEY (product_id) REFERENCES shop.product (id)) ENGINE=InnoDB;
CREATE TABLE shop.shipment (
    id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id bigint NOT NULL,
    line_no int NOT NULL,
    CONSTRAINT shipment_line_fk FOREIGN KEY (order_id, line_no)
        REFERENCES shop.order_line (order_id, line_no)) ENGINE=InnoDB;
CREATE TABLE shop.review (
    id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id int NOT NULL,
    stars tinyint NOT NULL,
    CONSTRAINT review_product_fk FOREIGN KEY (product_id) REFERENCES shop.product (id)) ENGINE=InnoDB;
INSERT INTO shop.customer (name, referrer) VALUES ('ann', NULL), ('bob', 1), ('cid', 2);
INSERT INTO shop.product (sku) VALUES ('p1'), ('p2'), ('p3');
INSERT INTO shop.orders (customer_id) VALUES (1), (2), (2);
INSERT INTO shop.order_line VALUES (1, 1, 1, 2), (1, 2, 2, 1), (2, 1, 3, 5), (3, 1, 1, 1);
INSERT INTO shop.shipment (order_id, line_no) VALUES (1, 1), (2, 1);
INSERT INTO shop.review (product_id, stars) VALUES (1, 5), (2, 3);
SQL
$my->create_user('chameleon', $pass,
	'SELECT, RELOAD, BINLOG MONITOR, REPLICATION SLAVE, REPLICATION CLIENT ON *.*');
my $conf = $my->write_config(user => 'chameleon', passwd => $pass, my_database => 'shop');
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg');
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
is($node->safe_psql('postgres', 'SELECT count(*) FROM sch_chameleon.t_foreign_keys'), '6',
	'init_replica recorded the 6 foreign keys');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shop'::regnamespace"),
	'0', 'no foreign key while replicating');

$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'streaming');

# writes after the copy: ids past the identities init_replica set
$my->sql(<<'SQL');
INSERT INTO shop.customer (name, referrer) VALUES ('dan', 3), ('eve', 4);
INSERT INTO shop.customer (id, name) VALUES (500, 'zed');
INSERT INTO shop.product (sku) VALUES ('p4');
INSERT INTO shop.orders (customer_id) VALUES (500), (4);
INSERT INTO shop.orders (id, customer_id) VALUES (9000000000, 5);
INSERT INTO shop.order_line VALUES (4, 1, 4, 1), (9000000000, 1, 2, 3);
INSERT INTO shop.shipment (order_id, line_no) VALUES (9000000000, 1);
INSERT INTO shop.review (product_id, stars) VALUES (4, 4);
UPDATE shop.customer SET referrer = 500 WHERE id = 1;
DELETE FROM shop.review WHERE id = 2;
SQL
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');
# README's cut-over check (quickstart step 8, doc/cutover.md), literally
like($node->safe_psql('postgres',
		'SELECT source, state, applied_file, applied_position, lag_seconds FROM chameleon.status;'),
	qr/^shop\|streaming\|/, 'status before the cut-over');
my $worker_pid = $node->safe_psql('postgres', 'SELECT pid FROM chameleon.status');
ok($worker_pid =~ /^\d+$/, "worker running (pid $worker_pid)");

# a row PostgreSQL-side that breaks one key
$node->safe_psql('postgres',
	'SET session_replication_role = replica; INSERT INTO shop.review (id, product_id, stars) VALUES (1000, 99, 1)');

# a unique index a sliced copy left to the stream, which has not built it
# yet (its window not passed): detach builds it, before the foreign keys
my ($sku_index, $sku_def) = split /\|/, $node->safe_psql('postgres',
	"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'shop' AND tablename = 'product'
	    AND indexdef LIKE 'CREATE UNIQUE INDEX % (sku)'");
$node->safe_psql('postgres', qq{DROP INDEX shop."$sku_index";
	UPDATE sch_chameleon.t_replica_tables SET deferred_indexes = ARRAY['$sku_def']
	 WHERE mysql_table = 'product'});

my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT step || ' ' || coalesce(object, '-') || ' ' || result FROM chameleon.detach_replica()");
is($ret, 0, 'detach_replica ran') or diag($err);
note($out);
like($out, qr/^stop_worker shop stopped$/m, 'reports the worker stopped');
like($out, qr/^unique_index \Q$sku_def\E created$/m, 'the deferred unique index is built');
is($node->safe_psql('postgres', "SELECT indexdef FROM pg_indexes WHERE schemaname = 'shop'
                                   AND indexname = '$sku_index'"),
	$sku_def, 'and exists');
like($err, qr/WARNING:  foreign key "review_product_fk" of table shop\.review is NOT VALID/,
	'a WARNING for the key that does not validate');
like($out, qr/^foreign_key shop\.review\.review_product_fk not valid: .*violates foreign key constraint/m,
	'the failing key is reported');
for my $fk (qw(customer.customer_referrer_fk orders.orders_customer_fk
	order_line.line_order_fk order_line.line_product_fk shipment.shipment_line_fk))
{
	like($out, qr/^foreign_key shop\.\Q$fk\E created and validated$/m, "$fk created and validated");
}
like($out, qr/^sequence shop\.customer_id_seq set to 500 /m, 'customer identity reported');
like($out, qr/^replication_origin pg_chameleon_\d+_\d+ dropped$/m, 'origin dropped');
like($out, qr/^state shop detached$/m, 'state detached');
like($out, qr/^extension_dependency shop none$/m, 'nothing depends on the extension');

# the worker is gone
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_chameleon apply'"),
	'0', 'no apply worker');
is($node->safe_psql('postgres', 'SELECT state, pid IS NULL FROM chameleon.status'),
	'detached|t', 'status: detached, no pid');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_replication_origin WHERE roname LIKE 'pg_chameleon%'"),
	'0', 'no replication origin');

# the keys
is($node->safe_psql('postgres', <<'SQL'),
SELECT string_agg(conname || ':' || convalidated, ',' ORDER BY conname)
FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shop'::regnamespace
SQL
	'customer_referrer_fk:true,line_order_fk:true,line_product_fk:true,'
	  . 'orders_customer_fk:true,review_product_fk:false,shipment_line_fk:true',
	'every key exists; all but the broken one are valid');
like($node->safe_psql('postgres', <<'SQL'),
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'shipment_line_fk'
SQL
	qr/^FOREIGN KEY \(order_id, line_no\) REFERENCES shop\.order_line\(order_id, line_no\)/,
	'composite key');
# doc/cutover.md: fix the rows, then validate the key that stayed NOT VALID
$node->safe_psql('postgres', 'DELETE FROM shop.review WHERE id = 1000');
$node->safe_psql('postgres', 'ALTER TABLE shop.review VALIDATE CONSTRAINT review_product_fk;');
is($node->safe_psql('postgres',
		"SELECT convalidated FROM pg_constraint WHERE conname = 'review_product_fk'"),
	't', 'the repaired key validates');
like($node->safe_psql('postgres',
		"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'orders_customer_fk'"),
	qr/ON UPDATE CASCADE ON DELETE CASCADE/, 'referential actions kept');
# identities continue after the maximum
is($node->safe_psql('postgres', "INSERT INTO shop.customer (name) VALUES ('new') RETURNING id"),
	'501', 'customer: max + 1');
is($node->safe_psql('postgres', 'INSERT INTO shop.orders (customer_id) VALUES (1) RETURNING id'),
	'9000000001', 'orders (bigint): max + 1');
is($node->safe_psql('postgres', "INSERT INTO shop.product (sku) VALUES ('p5') RETURNING id"),
	'5', 'product: max + 1');
is($node->safe_psql('postgres', 'INSERT INTO shop.review (product_id, stars) VALUES (1, 2) RETURNING id'),
	'1001', 'review: past the row added in PostgreSQL');

($ret, $out, $err) = $node->psql('postgres', 'INSERT INTO shop.orders (customer_id) VALUES (12345)');
like($err, qr/violates foreign key constraint "orders_customer_fk"/, 'keys are enforced now');
($ret, $out, $err) = $node->psql('postgres', 'UPDATE shop.customer SET referrer = 777 WHERE id = 2');
like($err, qr/violates foreign key constraint "customer_referrer_fk"/, 'self-reference enforced');

# no second detach, no restart
($ret, $out, $err) = $node->psql('postgres', "SELECT * FROM chameleon.detach_replica('shop')");
like($err, qr/replica "shop" is already detached/, 'a second detach is refused');
($ret, $out, $err) = $node->psql('postgres', 'SELECT * FROM chameleon.detach_replica();');
like($err, qr/there is no replica to detach/, 'no replica left to detach');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
like($err, qr/replica "shop" is detached/, 'start_replica refuses a detached replica');

# MySQL goes on: nothing arrives any more
$my->sql("INSERT INTO shop.product (sku) VALUES ('late')");
is($node->safe_psql('postgres', "SELECT count(*) FROM shop.product WHERE sku = 'late'"), '0',
	'no change arrives after the detach');

# plain tables: DROP EXTENSION (no CASCADE) keeps them
my $before = $node->safe_psql('postgres',
	'SELECT (SELECT count(*) FROM shop.customer)::text || \'/\' || (SELECT count(*) FROM shop.order_line)');
($ret, $out, $err) = $node->psql('postgres', 'DROP EXTENSION pg_chameleon;');
is($ret, 0, 'DROP EXTENSION without CASCADE') or diag($err);
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_namespace WHERE nspname IN ('chameleon', 'sch_chameleon')"),
	'0', 'the extension schemas are gone');
is($node->safe_psql('postgres',
		'SELECT (SELECT count(*) FROM shop.customer)::text || \'/\' || (SELECT count(*) FROM shop.order_line)'),
	$before, 'the tables and their rows remain');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shop'::regnamespace"),
	'6', 'the foreign keys remain');
is($node->safe_psql('postgres', "INSERT INTO shop.customer (name) VALUES ('after') RETURNING id"),
	'502', 'identities work without the extension');

$node->stop;
$my->stop;
done_testing();
