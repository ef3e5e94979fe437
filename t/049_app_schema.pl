# 049_app_schema.pl -- the schema and upgrade DDL of real applications
# while the replica streams (issue 12): t/sql/app_upgrade.sql, several hundred
# lines of CREATE TABLE and the ALTERs that WordPress, WooCommerce and
# MediaWiki updaters issue, interleaved with DML, run live on MariaDB.
# Every table must end equal to MariaDB, column by column, with none in
# error and no DDL statement failed.

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
CREATE DATABASE app;
CREATE TABLE app.wp_termmeta (meta_id bigint(20) unsigned NOT NULL auto_increment,
  term_id bigint(20) unsigned NOT NULL default '0', meta_key varchar(255) default NULL,
  meta_value longtext, PRIMARY KEY (meta_id), KEY term_id (term_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO app.wp_termmeta (term_id, meta_key, meta_value) VALUES (1, 'order', '0');
SQL
my $conf = $my->write_config(my_database => 'app');
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg');
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");

my $script = slurp_file("$FindBin::RealBin/sql/app_upgrade.sql");
my $lines = () = $script =~ /\n/g;
cmp_ok($lines, '>=', 300, "the application script has $lines lines");
$my->sql("USE app;\n$script");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the application script');

# every MySQL table, compared column by column
my @tables = split /\n/, $my->sql(
	"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'app' "
	  . "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", raw => 1);
cmp_ok(scalar(@tables), '>=', 20, scalar(@tables) . ' tables in MariaDB');
is( $node->safe_psql('postgres',
		"SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class "
		  . "WHERE relnamespace = 'app'::regnamespace AND relkind IN ('r', 'p')"),
	join(',', sort @tables),
	'PostgreSQL has the same tables');

sub compare_table
{
	my ($table) = @_;
	my @mycols = map { [ split /\t/ ] } split /\n/, $my->sql(
		"SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
		  . "WHERE TABLE_SCHEMA = 'app' AND TABLE_NAME = '$table' ORDER BY ORDINAL_POSITION", raw => 1);
	my %pgcols = map { my ($n, $t) = split /\|/; (lc($n) => [ $n, $t ]) } split /\n/,
	  $node->safe_psql('postgres',
		"SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
		  . "WHERE attrelid = 'app.$table'::regclass AND attnum > 0 AND NOT attisdropped");
	my @key = split /\n/, $my->sql(
		"SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'app' "
		  . "AND TABLE_NAME = '$table' AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX", raw => 1);
	my (@my, @pg);
	for my $c (@mycols)
	{
		my ($name, $mytype) = @$c;
		my $pgc = $pgcols{ lc $name };
		if (!$pgc)
		{
			fail("$table.$name is in PostgreSQL");
			next;
		}
		my ($pgname, $pgtype) = @$pgc;
		my $m = "`$name`";
		my $p = qq{"$pgname"};
		if ($pgtype eq 'bytea')
		{
			push @my, "LOWER(HEX($m))";
			push @pg, "encode($p, 'hex')";
		}
		elsif ($pgtype eq 'boolean')
		{
			push @my, "IF($m <> 0, 't', 'f')";
			push @pg, "CASE WHEN $p THEN 't' ELSE 'f' END";
		}
		elsif ($pgtype =~ /^timestamp/)
		{
			push @my, "IF(CAST($m AS CHAR) LIKE '0000-00-00%', NULL, DATE_FORMAT($m, '%Y-%m-%d %H:%i:%s'))";
			push @pg, "to_char($p, 'YYYY-MM-DD HH24:MI:SS')";
		}
		elsif ($pgtype eq 'date')
		{
			push @my, "IF(CAST($m AS CHAR) LIKE '0000-00-00%', NULL, DATE_FORMAT($m, '%Y-%m-%d'))";
			push @pg, "to_char($p, 'YYYY-MM-DD')";
		}
		else
		{
			push @my, "CAST($m AS CHAR)";
			push @pg, "$p\:\:text";
		}
	}
	my $myorder = join(', ', map { "`$_`" } @key) || '1';
	my $pgorder = join(', ', map { qq{"$pgcols{lc $_}[0]"} } @key) || '1';
	my $mine = $my->sql("SET time_zone = '+00:00'; SELECT CONCAT_WS('|', "
		  . join(', ', map { "IFNULL($_, '<null>')" } @my)
		  . ") FROM app.`$table` ORDER BY $myorder", raw => 1);
	my $theirs = $node->safe_psql('postgres',
		"SET TimeZone = 'UTC'; SET extra_float_digits = 0; SELECT concat_ws('|', "
		  . join(', ', map { "coalesce($_, '<null>')" } @pg)
		  . ") FROM app.\"$table\" ORDER BY $pgorder");
	is($theirs, $mine, "$table equals MariaDB");
}

compare_table($_) for @tables;

is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.tables WHERE state NOT IN ('copied', 'streaming')"),
	'0', 'no table is in error');
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.errors'), '0', 'nothing in chameleon.errors');
is( $node->safe_psql('postgres',
		"SELECT coalesce(string_agg(left(source_sql, 60) || ': ' || error_message, E'\\n'), '') "
		  . "FROM sch_chameleon.t_ddl WHERE status = 'failed'"),
	'', 'no DDL statement failed');
is($node->safe_psql('postgres', 'SELECT state FROM chameleon.status'), 'streaming', 'the replica streams');

done_testing();
