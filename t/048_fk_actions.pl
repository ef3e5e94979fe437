# 048_fk_actions.pl -- the foreign-key actions InnoDB runs without writing
# row events (issue 12): ON DELETE CASCADE / SET NULL and ON UPDATE CASCADE /
# SET NULL, a three-level chain, composite keys, self-references, several
# rows in one statement, foreign_key_checks=0 (no action), keys added,
# dropped and renamed by streamed DDL, and a child table whose action
# PostgreSQL rejects (that table alone goes to error; with on_error: stop
# the replica stops before that transaction).  Every table is
# compared with MariaDB value by value.

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
CREATE DATABASE shop;
USE shop;
CREATE TABLE country (id int PRIMARY KEY, code char(2) NOT NULL UNIQUE, name varchar(40));
CREATE TABLE city (id int PRIMARY KEY, country_code char(2), name varchar(40),
  CONSTRAINT fk_city_country FOREIGN KEY (country_code) REFERENCES country (code)
    ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE address (id int PRIMARY KEY, city_id int, line varchar(40),
  CONSTRAINT fk_address_city FOREIGN KEY (city_id) REFERENCES city (id)
    ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE delivery (id int PRIMARY KEY, address_id int, note varchar(20),
  FOREIGN KEY (address_id) REFERENCES address (id) ON DELETE SET NULL ON UPDATE CASCADE);
CREATE TABLE customer (id int PRIMARY KEY, region char(2), num int, UNIQUE KEY (region, num));
CREATE TABLE orders (id int PRIMARY KEY, cust_region char(2), cust_num int, total decimal(8,2),
  CONSTRAINT fk_orders_customer FOREIGN KEY (cust_region, cust_num) REFERENCES customer (region, num)
    ON DELETE SET NULL ON UPDATE SET NULL);
CREATE TABLE invoice (id int PRIMARY KEY, order_id int,
  CONSTRAINT fk_invoice_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE);
CREATE TABLE memo (id int PRIMARY KEY, customer_id int,
  CONSTRAINT fk_memo_customer FOREIGN KEY (customer_id) REFERENCES customer (id) ON DELETE SET NULL);
CREATE TABLE kept (id int PRIMARY KEY, customer_id int,
  CONSTRAINT fk_kept_customer FOREIGN KEY (customer_id) REFERENCES customer (id) ON DELETE RESTRICT);
CREATE TABLE category (id int PRIMARY KEY, parent_id int, name varchar(20),
  CONSTRAINT fk_category_parent FOREIGN KEY (parent_id) REFERENCES category (id) ON DELETE CASCADE);
CREATE TABLE employee (id int PRIMARY KEY, manager_id int,
  CONSTRAINT fk_employee_manager FOREIGN KEY (manager_id) REFERENCES employee (id) ON DELETE SET NULL);

INSERT INTO country VALUES (1, 'FR', 'France'), (2, 'UK', 'United Kingdom'), (3, 'IT', 'Italy'),
  (4, 'ES', 'Spain'), (5, 'PT', 'Portugal');
INSERT INTO city VALUES (1, 'FR', 'Paris'), (2, 'FR', 'Lyon'), (3, 'UK', 'London'), (4, 'IT', 'Rome'),
  (5, 'ES', 'Madrid'), (6, 'ES', 'Sevilla'), (7, 'ES', 'Bilbao'), (8, 'PT', 'Porto'), (9, 'PT', 'Lisboa');
INSERT INTO address VALUES (1, 1, 'rue A'), (2, 1, 'rue B'), (3, 2, 'rue C'), (4, 3, 'Baker St'),
  (5, 4, 'via D'), (6, 5, 'calle E'), (7, 6, 'calle F'), (8, 8, 'rua G'), (9, 9, 'rua H');
INSERT INTO delivery VALUES (1, 1, 'd1'), (2, 3, 'd2'), (3, 4, 'd3'), (4, 6, 'd4'), (5, NULL, 'd5'),
  (6, 8, 'd6'), (7, 9, 'd7');
INSERT INTO customer VALUES (1, 'EU', 10), (2, 'EU', 20), (3, 'US', 10), (4, 'US', NULL);
INSERT INTO orders VALUES (1, 'EU', 10, 1.50), (2, 'EU', 10, 2.50), (3, 'EU', 20, 3.50),
  (4, 'US', 10, 4.50), (5, 'US', NULL, 5.50);
INSERT INTO invoice VALUES (1, 1), (2, 2), (3, 4), (4, NULL);
INSERT INTO memo VALUES (1, 1), (2, 2), (3, 3);
INSERT INTO kept VALUES (1, 3);
INSERT INTO category VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 2, 'a.a'), (4, 3, 'a.a.a'),
  (5, 1, 'b'), (6, NULL, 'other'), (7, 6, 'c');
INSERT INTO employee VALUES (1, NULL), (2, 1), (3, 1), (4, 2), (5, 4);
SQL
my $conf = $my->write_config(my_database => 'shop');
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg');
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
# the SET NULL on memo is rejected by PostgreSQL: memo alone goes to error
$node->safe_psql('postgres', 'ALTER TABLE shop.memo ALTER COLUMN customer_id SET NOT NULL');
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");

my %cols = (
	country  => [qw(id code name)],
	city     => [qw(id country_code name)],
	address  => [qw(id city_id line)],
	delivery => [qw(id address_id note)],
	customer => [qw(id region num)],
	orders   => [qw(id cust_region cust_num total)],
	invoice  => [qw(id order_id)],
	kept     => [qw(id customer_id)],
	category => [qw(id parent_id name)],
	employee => [qw(id manager_id)],);

sub all_equal
{
	my ($when) = @_;
	ok(ChameleonReplica::wait_caught_up($node, $my), "caught up $when");
	for my $table (sort keys %cols)
	{
		ChameleonReplica::tables_equal($node, $my, 'shop', $table, 'id',
			[ map { [ $_, $_ ] } @{ $cols{$table} } ], "$table equals MariaDB $when");
	}
}

# ON DELETE CASCADE through three levels, ending in ON DELETE SET NULL
$my->sql("DELETE FROM shop.country WHERE code = 'FR'");
# ON UPDATE CASCADE of a unique (non-primary) key, and of primary keys
$my->sql("UPDATE shop.country SET code = 'GB' WHERE code = 'UK'");
$my->sql('UPDATE shop.city SET id = 103 WHERE id = 3');
$my->sql('UPDATE shop.address SET id = 104 WHERE id = 4');
# an UPDATE that leaves the referenced column alone cascades nothing
$my->sql("UPDATE shop.country SET name = 'Espana' WHERE code = 'ES'");
# ON UPDATE / ON DELETE SET NULL of a composite key; a NULL key part references nothing
$my->sql('UPDATE shop.customer SET num = 11 WHERE id = 1');
$my->sql('DELETE FROM shop.customer WHERE id = 4');
# ON DELETE CASCADE from a row the previous SET NULL did not touch
$my->sql('DELETE FROM shop.orders WHERE id = 4');
# self-references: a three-level subtree, and SET NULL of direct reports
$my->sql('DELETE FROM shop.category WHERE id = 1');
$my->sql('DELETE FROM shop.employee WHERE id = 1');
# several parent rows in one statement, in one transaction with other changes
$my->sql("BEGIN; INSERT INTO shop.city VALUES (10, 'ES', 'Toledo'); "
	  . "INSERT INTO shop.address VALUES (10, 10, 'calle T'); "
	  . "DELETE FROM shop.city WHERE country_code = 'ES'; COMMIT");
# the child rows deleted by the application first, then the parent
$my->sql("BEGIN; DELETE FROM shop.address WHERE city_id = 8; DELETE FROM shop.city WHERE id = 8; COMMIT");
all_equal('after cascading deletes and updates');

# foreign_key_checks=0: MySQL runs no action, neither does the replica
$my->sql("SET foreign_key_checks = 0; DELETE FROM shop.country WHERE code = 'IT'");
all_equal('after a delete with foreign_key_checks=0');
is($node->safe_psql('postgres', "SELECT count(*) FROM shop.city WHERE country_code = 'IT'"),
	'1', 'the orphan city is kept, as in MariaDB');

# the child table whose SET NULL PostgreSQL rejects goes to error alone
$my->sql('DELETE FROM shop.customer WHERE id = 2');
all_equal('after an action rejected on one child');
is($node->safe_psql('postgres', "SELECT state FROM chameleon.tables WHERE mysql_table = 'memo'"),
	'error', 'memo is in error');
is( $node->safe_psql(
		'postgres',
		"SELECT operation || ' ' || (row_data->>'foreign_key') || ' ' || (row_data->'key'->>'customer_id') "
		  . "FROM chameleon.errors WHERE mysql_table = 'memo'"),
	'set null fk_memo_customer 2',
	'the rejected action is in chameleon.errors with its key');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(mysql_table, ',' ORDER BY mysql_table) FROM chameleon.tables WHERE state = 'error'"),
	'memo', 'no other table is in error');

# keys added, dropped and renamed by streamed DDL
$my->sql(<<'SQL');
USE shop;
CREATE TABLE review (id int PRIMARY KEY, city_id int, stars int,
  FOREIGN KEY (city_id) REFERENCES city (id) ON DELETE CASCADE);
INSERT INTO review VALUES (1, 9, 5), (2, 9, 4), (3, 103, 3), (4, 4, 2);
DELETE FROM city WHERE id = 9;
ALTER TABLE review DROP FOREIGN KEY review_ibfk_1;
DELETE FROM city WHERE id = 4;
SQL
$cols{review} = [qw(id city_id stars)];
all_equal('after a key was dropped');
is($node->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM shop.review'),
	'3,4', 'a dropped key runs no action');
is($my->sql("SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'shop' "
		  . "AND TABLE_NAME = 'review' AND INDEX_NAME <> 'PRIMARY'", raw => 1) . ' '
	  . $node->safe_psql('postgres', "SELECT string_agg(indexname, ',') FROM pg_indexes "
		  . "WHERE schemaname = 'shop' AND tablename = 'review' AND indexname <> 'review_pkey'"),
	"city_id review_city_id", 'the index InnoDB made for the key is made in PostgreSQL too');
$my->sql(<<'SQL');
USE shop;
DELETE FROM review WHERE id = 4;
ALTER TABLE review ADD CONSTRAINT fk_review_city FOREIGN KEY (city_id) REFERENCES city (id)
  ON DELETE CASCADE ON UPDATE CASCADE;
INSERT INTO city VALUES (11, 'PT', 'Braga'), (12, 'PT', 'Faro'), (13, 'PT', 'Evora');
INSERT INTO review VALUES (5, 11, 1), (6, 12, 2), (7, 13, 3);
RENAME TABLE city TO town;
DELETE FROM town WHERE id = 11;
ALTER TABLE review CHANGE city_id town_id int;
DELETE FROM town WHERE id = 12;
UPDATE town SET id = 130 WHERE id = 13;
SQL
$cols{town} = delete $cols{city};
$cols{review} = [qw(id town_id stars)];
all_equal('after foreign keys changed by DDL');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(mysql_table || '.' || constraint_name || '(' || array_to_string(columns, ',') || ')->' "
		  . "|| referenced_table || ' ' || on_delete, '; ' ORDER BY mysql_table, constraint_name) "
		  . "FROM sch_chameleon.t_foreign_keys WHERE mysql_table IN ('review', 'town', 'address')"),
	'address.fk_address_city(city_id)->town CASCADE; review.fk_review_city(town_id)->town CASCADE; '
	  . 'town.fk_city_country(country_code)->country CASCADE',
	't_foreign_keys follows the DDL');

# on_error: stop -- a rejected action stops the replica before its transaction
$my->sql(<<'SQL');
CREATE DATABASE strict;
CREATE TABLE strict.p (id int PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE strict.c (id int PRIMARY KEY, p_id int,
  CONSTRAINT fk_c_p FOREIGN KEY (p_id) REFERENCES strict.p (id) ON DELETE SET NULL) ENGINE=InnoDB;
INSERT INTO strict.p VALUES (1), (2);
INSERT INTO strict.c VALUES (10, 1), (20, 2);
SQL
my $conf2 = ChameleonReplica::pg_literal($my->write_config(my_database => 'strict', on_error => 'stop', my_server_id => 1102,
	path => $node->basedir . '/strict.yaml'));
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf2)");
$node->safe_psql('postgres', 'ALTER TABLE strict.c ALTER COLUMN p_id SET NOT NULL');
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf2)");
$my->sql('DELETE FROM strict.p WHERE id = 1');
ok($node->poll_query_until('postgres',
		"SELECT state = 'error' AND pid IS NULL FROM chameleon.status WHERE source = 'strict'"),
	'on_error: stop -- a rejected action stops the replica');
is( $node->safe_psql(
		'postgres',
		"SELECT operation || ' ' || mysql_table || ' ' || (row_data->'key'->>'p_id') "
		  . "FROM chameleon.errors WHERE source = 'strict'"),
	'set null c 1', 'the rejected action is in chameleon.errors');
is($node->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM strict.p'),
	'1,2', 'the parent delete of that transaction is not applied either');
is($node->safe_psql('postgres', "SELECT state FROM chameleon.status WHERE source = 'shop'"),
	'streaming', 'the other replica goes on');

done_testing();
