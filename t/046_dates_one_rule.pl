# 046_dates_one_rule.pl -- one rule for MySQL dates PostgreSQL cannot hold
# as written (issue 12), the same in the copy, the stream, DDL defaults and
# binlog_rows: a zero date ('0000-00-00') and a partial zero date (month or
# day 0) become NULL (zero_dates_to_null); year 0 with a month and a day is
# kept as the same day, which PostgreSQL writes 1 BC (MySQL and PostgreSQL
# both use the proleptic Gregorian calendar).  Before, a year-0 date made
# the whole init_replica fail while the stream wrote NULL for it.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my @values = (
	[ 1, "'0000-01-21'", "'0000-06-15 10:00:00.250'" ],
	[ 2, "'2015-05-00'", "'2015-05-00 10:00:00'" ],
	[ 3, "'2015-00-21'", "'2015-00-21 00:00:00'" ],
	[ 4, "'0000-00-00'", "'0000-00-00 00:00:00'" ],
	[ 5, "'2024-02-29'", "'2024-02-29 23:59:59.999'" ],
	[ 6, "'0000-12-31'", "'0000-12-31 23:59:59'" ],
	[ 7, "'0001-01-01'", "'0001-01-01 00:00:00'" ],
);
my $expected = join("\n",
	'1|0001-01-21 BC|0001-06-15 10:00:00.25 BC',
	'2|<null>|<null>',
	'3|<null>|<null>',
	'4|<null>|<null>',
	'5|2024-02-29|2024-02-29 23:59:59.999',
	'6|0001-12-31 BC|0001-12-31 23:59:59 BC',
	'7|0001-01-01|0001-01-01 00:00:00');

sub inserts
{
	my ($table, $offset) = @_;
	return join('', map { "INSERT INTO app.$table VALUES (" . ($_->[0] + $offset)
		  . ", $_->[1], $_->[2]);\n" } @values);
}

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql("SET GLOBAL sql_mode = ''; CREATE DATABASE app;"
	  . " CREATE TABLE app.copied (id int PRIMARY KEY, d date, dt datetime(3)) ENGINE=InnoDB;"
	  . inserts('copied', 0));
my $conf = $my->write_config(my_database => 'app');
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg',
	conf => "timezone = 'UTC'\npg_chameleon.config = '$conf'\n");
my ($first_file) = $my->binlog_position;
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
is($ret, 0, 'init_replica copies year-0, zero and partial zero dates') or diag($err);
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");

# the stream: the same values into a copied table and into one made by DDL,
# whose defaults follow the same rule
$my->sql("SET SESSION sql_mode = '';"
	  . inserts('copied', 100)
	  . " CREATE TABLE app.streamed (id int PRIMARY KEY, d date DEFAULT '0000-03-01',"
	  . " dt datetime(3) DEFAULT '0000-00-00 00:00:00') ENGINE=InnoDB;"
	  . inserts('streamed', 0)
	  . " INSERT INTO app.streamed (id) VALUES (50);");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.errors'), '0', 'no rejected row');

my $pg = "SELECT concat_ws('|', id, coalesce(d::text, '<null>'), coalesce(dt::text, '<null>'))"
  . " FROM app.%s WHERE id %s ORDER BY id";
is($node->safe_psql('postgres', sprintf($pg, 'copied', '< 100')), $expected, 'the copy keeps the rule');
(my $streamed = $expected) =~ s/^(\d)\|/10$1|/mg;
is($node->safe_psql('postgres', sprintf($pg, 'copied', '> 100')), $streamed,
	'the stream keeps the same rule');
is($node->safe_psql('postgres', sprintf($pg, 'streamed', '< 50')), $expected,
	'a table made by streamed DDL too');
is($node->safe_psql('postgres', sprintf($pg, 'streamed', '= 50')), '50|0001-03-01 BC|<null>',
	'DDL defaults: year 0 is 1 BC, a zero date is no default');

# binlog_rows decodes the same way
is($node->safe_psql('postgres',
	"SELECT string_agg(coalesce(after->>'d', '<null>'), ',' ORDER BY (after->>'id')::int)"
	  . " FROM chameleon.binlog_rows('$first_file', 4, 100000)"
	  . " WHERE table_name LIKE '%streamed' AND operation = 'insert' AND (after->>'id')::int < 50"),
	'0001-01-21 BC,<null>,<null>,<null>,2024-02-29,0001-12-31 BC,0001-01-01', 'binlog_rows too');

done_testing();
