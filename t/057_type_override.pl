# 057_type_override.pl -- type_override (issue 16, the 2.x form
# "tinyint(1)": {override_to: boolean, override_tables: [...]}): the copy,
# the stream and DDL translation give a MySQL column type the PostgreSQL
# type asked for, in the listed tables or all of them, and the values arrive
# equal; a target type the values cannot convert to, or no type at all, is
# an error of init_replica naming the table and column, before any table is
# made.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $my = ChameleonMariaDB->new(name => 'source');
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE ov;
CREATE TABLE ov.flags (id int NOT NULL PRIMARY KEY, active tinyint(1), n int,
  note varchar(20), price decimal(10,2)) ENGINE=InnoDB;
CREATE TABLE ov.other (id int NOT NULL PRIMARY KEY, active tinyint(1)) ENGINE=InnoDB;
INSERT INTO ov.flags VALUES (1, 1, 10, 'a', 1.25), (2, 0, -3, 'b', 99999999.99), (3, NULL, NULL, NULL, NULL),
  (4, 7, 2147483647, 'c', -0.01);
INSERT INTO ov.other VALUES (1, 1), (2, 5);
SQL
my $conf = $my->write_config(my_database => 'ov',
	type_override => {
		'"tinyint(1)"' => { override_to => 'boolean', override_tables => ['flags', 'ov.later'] },
		'int'          => { override_to => 'bigint' },
		'"decimal(10,2)"' => { override_to => 'numeric(14,4)' } });
my $node = ChameleonReplica::new_node('pg');
sub pg_one { return $node->safe_psql('postgres', $_[0]) }

is(pg_one("SELECT string_agg(key || '=' || value, ' ') FROM chameleon.check_config('$conf')
            WHERE key = 'type_override'"),
	'type_override={"decimal(10,2)": numeric(14,4) [*], "tinyint(1)": boolean [flags, later], "int": bigint [*]}',
	'check_config shows the overrides');
$node->safe_psql('postgres', "SELECT chameleon.init_replica('$conf')");

sub column_types
{
	my ($table) = @_;
	return pg_one("SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
	                 FROM pg_attribute WHERE attrelid = 'ov.$table'::regclass AND attnum > 0 AND NOT attisdropped");
}
is(column_types('flags'), 'id bigint, active boolean, n bigint, note character varying(20), price numeric(14,4)',
	'the copy: overridden types, tinyint(1) only in the listed table');
is(column_types('other'), 'id bigint, active smallint', 'another table keeps tinyint(1) as smallint');

$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
$my->sql(<<'SQL');
INSERT INTO ov.flags VALUES (5, 3, -2147483648, 'd', 0.5);
UPDATE ov.flags SET active = 0, price = price + 1 WHERE id = 1;
ALTER TABLE ov.flags ADD COLUMN more tinyint(1) DEFAULT 1, ADD COLUMN m int;
INSERT INTO ov.flags VALUES (6, 1, 6, 'e', 6.5, 0, 66);
CREATE TABLE ov.later (id int PRIMARY KEY, active tinyint(1), d decimal(10,2)) ENGINE=InnoDB;
INSERT INTO ov.later VALUES (1, 9, 1.5), (2, 0, NULL);
CREATE TABLE ov.unlisted (id int PRIMARY KEY, active tinyint(1)) ENGINE=InnoDB;
INSERT INTO ov.unlisted VALUES (1, 4);
SQL
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');
is(column_types('flags'),
	'id bigint, active boolean, n bigint, note character varying(20), price numeric(14,4), more boolean, m bigint',
	'DDL: added columns get the overridden types');
is(column_types('later'), 'id bigint, active boolean, d numeric(14,4)', 'DDL: a created table listed in override_tables');
is(column_types('unlisted'), 'id bigint, active smallint', 'DDL: a created table not listed keeps smallint');

my @flags = ([ 'id', 'id' ], [ 'IF(active IS NULL, NULL, active <> 0)', 'active::int' ], [ 'n', 'n' ],
	[ 'note', 'note' ], [ 'price', 'price::numeric(10,2)' ], [ 'IF(more IS NULL, NULL, more <> 0)', 'more::int' ],
	[ 'm', 'm' ]);
ChameleonReplica::tables_equal($node, $my, 'ov', 'flags', 'id', \@flags,
	'flags: copied and streamed values equal MariaDB (tinyint(1) as boolean: non-zero is true)');
ChameleonReplica::tables_equal($node, $my, 'ov', 'later', 'id',
	[ [ 'id', 'id' ], [ 'active <> 0', 'active::int' ], [ 'd', 'd::numeric(10,2)' ] ], 'later: equal');
ChameleonReplica::tables_equal($node, $my, 'ov', 'other', 'id', [ [ 'id', 'id' ], [ 'active', 'active' ] ],
	'other: equal');
is(pg_one("SELECT count(*) FROM chameleon.errors"), '0', 'no error');
is(pg_one("SELECT string_agg(mysql_table || ':' || status || coalesce(':' || nullif(detail, '1 chunk'), ''), ','
                             ORDER BY mysql_table) FROM chameleon.verify_tables()"),
	'flags:equal,later:equal,other:equal,unlisted:equal', 'verify_tables: overridden columns compare equal');

# a target the values cannot convert to, a type that does not exist: errors
# of init_replica, before anything is made
$node->safe_psql('postgres', "SELECT chameleon.stop_replica()");
$node->safe_psql('postgres', "SELECT chameleon.drop_replica('ov')");
$node->safe_psql('postgres', "DROP SCHEMA ov CASCADE");
my $bad = $my->write_config(my_database => 'ov', my_server_id => 7401,
	type_override => { '"varchar(20)"' => { override_to => 'integer' } });
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica('$bad')");
like($err, qr/type_override cannot give column "note" of table "flags" type "integer"/,
	'a target the values cannot convert to: an error naming the table and column');
like($err, qr/such as 'text', do not convert to integer/, 'with why');
is(pg_one("SELECT to_regnamespace('ov') IS NULL AND NOT EXISTS (SELECT FROM chameleon.tables)"), 't',
	'nothing is made');
my $nosuch = $my->write_config(my_database => 'ov', my_server_id => 7402,
	type_override => { 'int' => { override_to => 'no_such_type' } });
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica('$nosuch')");
like($err, qr/type_override maps "int" to "no_such_type", which is not a PostgreSQL type/,
	'an unknown PostgreSQL type is an error');

done_testing();
