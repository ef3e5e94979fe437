# 011_copy_slices.pl -- the copy reads each table in slices of
# copy_max_size rows in key order (issue 13): keyset reads after the last
# key of the previous slice, for every kind of key (integer, bigint unsigned
# at its top, decimal, composite, case-insensitive text, binary, datetime,
# enum, a unique NOT NULL index when there is no primary key), a table with
# no usable key read in one pass, an empty table, a table of exactly one
# slice.  Every table equals MariaDB row by row, and MariaDB ran one SELECT
# per slice.

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
CREATE DATABASE sl;
USE sl;
CREATE TABLE ints (id int PRIMARY KEY, v varchar(10)) ENGINE=InnoDB;
INSERT INTO ints SELECT seq, CONCAT('v', seq) FROM seq_1_to_2345;
CREATE TABLE ubig (id bigint unsigned PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO ubig SELECT 18446744073709551615 - seq, seq FROM seq_0_to_249;
INSERT INTO ubig SELECT seq, seq FROM seq_0_to_49;
CREATE TABLE decs (id decimal(12,3) PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO decs SELECT seq / 7, seq FROM seq_1_to_333;
CREATE TABLE comp (a int, b varchar(20), c int, PRIMARY KEY (a, b)) ENGINE=InnoDB;
INSERT INTO comp SELECT seq % 3, CONCAT('k', seq), seq FROM seq_1_to_420;
CREATE TABLE words (w varchar(40) PRIMARY KEY, n int) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT INTO words SELECT CONCAT(ELT(1 + seq % 6, 'a', 'B', 'c', 'É', 'z''', 'ß'), seq), seq FROM seq_1_to_512;
CREATE TABLE bins (id varbinary(16) PRIMARY KEY, n int) ENGINE=InnoDB;
INSERT INTO bins SELECT UNHEX(LPAD(HEX(seq * 7919), 8, '0')), seq FROM seq_1_to_300;
INSERT INTO bins VALUES (X'00', -1), (X'0000', -2), (X'FF', -3);
CREATE TABLE times (t datetime(3) PRIMARY KEY, n int) ENGINE=InnoDB;
INSERT INTO times SELECT TIMESTAMP'2024-01-01 00:00:00' + INTERVAL (seq * 1500000) MICROSECOND, seq FROM seq_1_to_250;
CREATE TABLE enums (e enum('zz','yy','xx') NOT NULL, i int, PRIMARY KEY (e, i)) ENGINE=InnoDB;
INSERT INTO enums SELECT ELT(1 + seq % 3, 'zz', 'yy', 'xx'), seq FROM seq_1_to_230;
CREATE TABLE uniq (id int NULL, code char(8) NOT NULL, v int, UNIQUE KEY (code)) ENGINE=InnoDB;
INSERT INTO uniq SELECT IF(seq % 5 = 0, NULL, seq), CONCAT('c', LPAD(seq, 6, '0')), seq FROM seq_1_to_260;
CREATE TABLE nokey (a int, b text) ENGINE=InnoDB;
INSERT INTO nokey SELECT seq % 10, REPEAT('x', seq % 5) FROM seq_1_to_275;
CREATE TABLE empty (id int PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE exact (id int PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO exact SELECT seq FROM seq_1_to_100;
SQL
my $conf = $my->write_config(my_database => 'sl', copy_max_size => 100);
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
my $selects = $my->sql("SHOW GLOBAL STATUS LIKE 'Com_select'", raw => 1);
$selects =~ s/^\S+\s+//;
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
my $after = $my->sql("SHOW GLOBAL STATUS LIKE 'Com_select'", raw => 1);
$after =~ s/^\S+\s+//;

# slices: 24 + 3 + 4 + 5 + 6 + 4 + 3 + 3 + 3 (+1 empty) for the keyed tables,
# 2 for exact (a full slice, then an empty one), 1 each for nokey and empty
cmp_ok($after - $selects, '>=', 24 + 3 + 4 + 5 + 6 + 4 + 3 + 3 + 3 + 2 + 1 + 1,
	'MariaDB ran one SELECT per slice');

my %tables = (
	ints  => [ 'id',   [qw(id v)] ],
	ubig  => [ 'id',   [qw(id v)] ],
	decs  => [ 'id',   [qw(id v)] ],
	comp  => [ 'a, b', [qw(a b c)] ],
	words => [ 'n',    [qw(w n)] ],
	enums => [ 'i',    [qw(e i)] ],
	uniq  => [ 'code', [qw(id code v)] ],
	nokey => [ 'a, b', [qw(a b)] ],
	empty => [ 'id',   [qw(id)] ],
	exact => [ 'id',   [qw(id)] ],);
for my $t (sort keys %tables)
{
	my ($order, $cols) = @{ $tables{$t} };
	ChameleonReplica::tables_equal($node, $my, 'sl', $t, $order, [ map { [ $_, $_ ] } @$cols ]);
}
ChameleonReplica::tables_equal($node, $my, 'sl', 'bins', 'n',
	[ [ 'LOWER(HEX(id))', "encode(id, 'hex')" ], [ 'n', 'n' ] ]);
ChameleonReplica::tables_equal($node, $my, 'sl', 'times', 'n',
	[ [ "DATE_FORMAT(t, '%Y-%m-%d %H:%i:%s.%f')", "to_char(t, 'YYYY-MM-DD HH24:MI:SS.US')" ], [ 'n', 'n' ] ]);
is($node->safe_psql('postgres',
		"SELECT string_agg(mysql_table || '=' || copied_rows, ',' ORDER BY mysql_table) FROM chameleon.tables"),
	'bins=303,comp=420,decs=333,empty=0,enums=230,exact=100,ints=2345,nokey=275,times=250,ubig=300,uniq=260,words=512',
	'the row counts');

done_testing();
