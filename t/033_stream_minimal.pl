# 033_stream_minimal.pl -- streaming from a source with MariaDB's defaults
# for row metadata (binlog_row_metadata=NO_LOG: the table map has no column
# names, signedness or ENUM/SET labels; the worker reads the definition from
# the source's information_schema) and binlog_row_image=MINIMAL (updates
# carry only the key and the changed columns).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $my = ChameleonMariaDB->new(
	name  => 'source',
	extra => [ '--binlog-row-metadata=NO_LOG', '--binlog-row-image=MINIMAL' ]);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE sakila;
CREATE TABLE sakila.t (
    id  int unsigned NOT NULL PRIMARY KEY,
    tu  tinyint unsigned, mu mediumint unsigned, iu int unsigned,
    en  enum('small','medium','large'), st set('a','b','c'),
    txt varchar(30) CHARACTER SET latin1, b1 tinyint(1)
) ENGINE=InnoDB;
SQL
my $conf = $my->write_config(my_database => 'sakila', tinyint1_as_boolean => \'true');

my $node = ChameleonReplica::new_node('pg');
ChameleonReplica::init_by_hand($node, $my, $conf, 'sakila', {
	t => 'id bigint PRIMARY KEY, tu smallint, mu integer, iu bigint, en text,'
	  . ' st text[], txt varchar(30), b1 boolean',
});
$node->safe_psql('postgres',
	'SELECT chameleon.start_replica(' . ChameleonReplica::pg_literal($conf) . ')');
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'replica streaming');

my @cols = (
	[ 'id', 'id' ], [ 'tu', 'tu' ], [ 'mu', 'mu' ], [ 'iu', 'iu' ], [ 'en', 'en' ],
	[ "CONCAT('{', st, '}')", 'st' ], [ 'txt', 'txt' ],
	[ "IF(b1 IS NULL, NULL, IF(b1, 't', 'f'))", "CASE WHEN b1 THEN 't' WHEN NOT b1 THEN 'f' END" ]);

$my->sql(<<'SQL');
INSERT INTO sakila.t VALUES
 (4294967295, 255, 16777215, 4294967295, 'large', 'a,b,c', 'café', 1),
 (1, 128, 8388608, 2147483648, 'small', '', 'plain', 0),
 (2, 0, 0, 0, NULL, 'b', NULL, NULL);
UPDATE sakila.t SET tu = 200 WHERE id = 1;
UPDATE sakila.t SET en = 'medium', st = 'c' WHERE id = 2;
UPDATE sakila.t SET id = 3 WHERE id = 2;
DELETE FROM sakila.t WHERE id = 4294967295;
SQL
ChameleonReplica::wait_caught_up($node, $my);
ChameleonReplica::tables_equal($node, $my, 'sakila', 't', 'id', \@cols,
	'unsigned values above the signed range, ENUM/SET labels, latin1 text and'
	  . ' tinyint(1) as boolean decode without column metadata; MINIMAL images apply');
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.errors'), '0',
	'no rejected rows');

$node->stop;
$my->stop;
done_testing();
