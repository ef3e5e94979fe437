# 044_modify_types.pl -- MODIFY between MySQL types while streaming (issue
# 12): every pair of types MySQL converts between gets a USING expression
# that yields MySQL's value, checked against MariaDB's own conversion of the
# same rows.  Each column is MODIFYed once; rows are written before and
# after, and both sides are compared value by value.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

# name => [MySQL type before, values, MySQL type after, MySQL text, PostgreSQL text]
my @pairs = (
	[ 'bit_int',   'bit(8)', "b'00000101', b'11111111', b'0'", 'tinyint unsigned' ],
	[ 'int_bit',   'int', '5, 255, 0', 'bit(8)', 'CAST(%s AS UNSIGNED)',
	  q{lpad(%s::text, 64, '0')::bit(64)::bigint} ],
	[ 'bit_vc',    'bit(4)', "b'0101', b'1111', b'0'", 'bit(12)', 'CAST(%s AS UNSIGNED)',
	  q{lpad(%s::text, 64, '0')::bit(64)::bigint} ],
	[ 'int_vc',    'int', '12, -7, 0', 'varchar(20)' ],
	[ 'vc_int',    'varchar(20)', "'42', '-3', '0'", 'int' ],
	[ 'vc_date',   'varchar(20)', "'2024-01-31', '1999-12-31', '2000-02-29'", 'date' ],
	[ 'date_vc',   'date', "'2024-01-31', '1999-12-31', '2000-02-29'", 'varchar(20)' ],
	[ 'dt_vc',     'datetime', "'2024-01-31 10:20:30', '1999-12-31 23:59:59', '2000-02-29 00:00:00'", 'varchar(30)' ],
	[ 'dt_date',   'datetime', "'2024-01-31 10:20:30', '1999-12-31 23:59:59', '2000-02-29 00:00:00'", 'date' ],
	[ 'date_dt',   'date', "'2024-01-31', '1999-12-31', '2000-02-29'", 'datetime' ],
	[ 'enum_vc',   "enum('a','b','c')", "'a', 'b', 'c'", 'varchar(10)' ],
	[ 'vc_enum',   'varchar(10)', "'a', 'c', 'b'", "enum('a','b','c')" ],
	[ 'set_vc',    "set('x','y','z')", "'x,z', '', 'y'", 'varchar(20)', '%s',
	  q{%s} ],
	[ 'vc_set',    'varchar(20)', "'x,z', '', 'y'", "set('x','y','z')", '%s',
	  q{array_to_string(%s, ',')} ],
	[ 'dec_int',   'decimal(10,2)', '2.50, -2.50, 3.49', 'int' ],
	[ 'int_dec',   'int', '2, -3, 0', 'decimal(10,2)' ],
	[ 'dbl_int',   'double', '2.5, -2.5, 3.5', 'int' ],
	[ 'dec_dbl',   'decimal(10,3)', '2.125, -1.5, 0', 'double' ],
	[ 'txt_blob',  'text', "'h\\xc3\\xa9llo', 'abc', ''", 'blob', 'HEX(%s)',
	  q{upper(encode(%s, 'hex'))} ],
	[ 'blob_txt',  'blob', "'abc', 'x', ''", 'text' ],
	[ 'vc_char',   'varchar(10)', "'ab', 'abcd', ''", 'char(4)' ],
	[ 'int_year',  'int', '2024, 5, 75', 'year' ],
	[ 'year_int',  'year', '2024, 1999, 2000', 'int' ],
	[ 'tiny_big',  'tinyint', '-128, 127, 0', 'bigint' ],
	[ 'uint_int',  'int unsigned', '4000000000, 1, 0', 'bigint' ],
	[ 'vc_dec',    'varchar(20)', "'2.5', '-1.25', '0'", 'decimal(8,2)' ],
	[ 'time_vc',   'time', "'10:20:30', '838:59:59', '-01:00:00'", 'varchar(20)' ],
	[ 'vc_time',   'varchar(20)', "'10:20:30', '838:59:59', '-01:00:00'", 'time' ],
	[ 'enum_int',  "enum('a','b','c')", "'a', 'c', 'b'", 'int' ],
	[ 'int_enum',  'int', '1, 3, 2', "enum('a','b','c')" ],
	[ 'set_int',   "set('x','y','z')", "'x,z', '', 'y'", 'int' ],
	[ 'json_txt',  'json', q{'{"a": "x", "b": [1, 2]}', '[]', 'null'}, 'text' ],
	[ 'txt_json',  'text', q{'{"a": 1}', '[1, 2]', '"s"'}, 'json', '%s', '%s' ],
	[ 'ts_vc',     'timestamp NULL', "'2024-01-31 10:20:30', '1999-12-31 23:59:59', NULL", 'varchar(30)' ],
	[ 'vc_ts',     'varchar(30)', "'2024-01-31 10:20:30', '1999-12-31 23:59:59', NULL", 'timestamp NULL',
	  q{DATE_FORMAT(%s, '%%Y-%%m-%%d %%H:%%i:%%s')}, q{to_char(%s, 'YYYY-MM-DD HH24:MI:SS')} ],
	[ 'time_int',  'time', "'10:20:30', '00:00:05', '-01:00:00'", 'int' ],
	[ 'int_time',  'int', '102030, 5, -10000', 'time' ],
	[ 'date_int',  'date', "'2024-01-31', '1999-12-31', '2000-02-29'", 'int' ],
	[ 'int_date',  'int', '20240131, 19991231, 20000229', 'date' ],
	[ 'dt_int',    'datetime', "'2024-01-31 10:20:30', '1999-12-31 23:59:59', '2000-02-29 00:00:00'", 'bigint' ],
	[ 'dec_vc',    'decimal(10,2)', '2.50, -2.50, 0', 'varchar(20)' ],
	[ 'dbl_vc',    'double', '2.5, -0.125, 0', 'varchar(20)' ],
	[ 'char_int',  'char(5)', "'42', '-3', '0'", 'int' ],
	[ 'int_char',  'int', '42, -3, 0', 'char(5)' ],
	[ 'year_vc',   'year', '2024, 1999, 2000', 'varchar(10)' ],
	[ 'vc_year',   'varchar(10)', "'2024', '1999', '2000'", 'year' ],
	[ 'flt_dec',   'float', '2.5, -1.25, 0', 'decimal(6,2)' ],
	[ 'int_dbl',   'int', '3, -7, 0', 'double' ],
	[ 'int_bool',  'int', '1, 0, 5', 'tinyint(1)' ],
);

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
my $create = "CREATE DATABASE conv; CREATE TABLE conv.t (id int PRIMARY KEY, "
  . join(', ', map { "$_->[0] $_->[1]" } @pairs) . ") ENGINE=InnoDB;\n";
for my $row (0 .. 2)
{
	my @vals = map { (split /,\s*(?=(?:[^']*'[^']*')*[^']*$)/, $_->[2])[$row] } @pairs;
	$create .= "INSERT INTO conv.t VALUES ($row, " . join(', ', @vals) . ");\n";
}
$my->sql($create);
my $conf = $my->write_config(my_database => 'conv');
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'streaming');

# one MODIFY per column while streaming, rows updated and inserted after it
my $alter = '';
$alter .= "ALTER TABLE conv.t MODIFY $_->[0] $_->[3];\n" for @pairs;
$alter .= "INSERT INTO conv.t (id) VALUES (10);\n";
$alter .= "UPDATE conv.t SET id = id + 100 WHERE id = 1;\n";
$my->sql($alter);
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');

is($node->safe_psql('postgres', "SELECT state FROM chameleon.tables WHERE mysql_table = 't'"),
	'streaming', 'the table takes every MODIFY');
is($node->safe_psql('postgres',
	"SELECT string_agg(error_message, E'\\n') FROM chameleon.errors"), '', 'no error');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.errors"), '0', 'no rejected row');

for my $p (@pairs)
{
	my ($name, $mexpr, $pexpr) = ($p->[0], $p->[4] // '%s', $p->[5] // '%s');
	ChameleonReplica::tables_equal($node, $my, 'conv', 't', 'id',
		[ [ 'id', 'id' ], [ sprintf($mexpr, $name), sprintf($pexpr, $name) ] ],
		"$p->[1] -> $p->[3] ($name): PostgreSQL has MySQL's values");
}

done_testing();
