# 045_drop_table_in_error.pl -- DROP TABLE of a table in error drops it
# (issue 12): its PostgreSQL table and its state row go, as for any other
# table, instead of staying behind after MySQL dropped it.

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
CREATE TABLE app.cache (id int PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE app.keep (id int PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO app.cache VALUES (1, 1);
INSERT INTO app.keep VALUES (1, 1);
SQL
my $conf = $my->write_config(my_database => 'app');
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg');
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
# a row PostgreSQL rejects puts the table in error
$node->safe_psql('postgres', 'ALTER TABLE app.cache ADD CONSTRAINT small CHECK (v < 100)');
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
$my->sql('INSERT INTO app.cache VALUES (2, 500); INSERT INTO app.keep VALUES (2, 2);');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');
is($node->safe_psql('postgres', "SELECT state FROM chameleon.tables WHERE mysql_table = 'cache'"),
	'error', 'the rejected row put cache in error');

$my->sql('DROP TABLE app.cache; INSERT INTO app.keep VALUES (3, 3);');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the DROP');
is($node->safe_psql('postgres', "SELECT to_regclass('app.cache') IS NULL"), 't',
	'the PostgreSQL table of the dropped table is gone');
is($node->safe_psql('postgres', "SELECT string_agg(mysql_table || ' ' || state, ', ') FROM chameleon.tables"),
	'keep streaming', 'its state row is gone; the other table streams');
is($node->safe_psql('postgres',
	"SELECT status FROM sch_chameleon.t_ddl WHERE source_sql LIKE 'DROP TABLE%'"),
	'applied', 'the DROP is recorded as applied');
ChameleonReplica::tables_equal($node, $my, 'app', 'keep', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ]);

# a table created again under the same name is replicated anew
$my->sql('CREATE TABLE app.cache (id int PRIMARY KEY, w text) ENGINE=InnoDB; INSERT INTO app.cache VALUES (7, \'x\');');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the CREATE');
ChameleonReplica::tables_equal($node, $my, 'app', 'cache', 'id', [ [ 'id', 'id' ], [ 'w', 'w' ] ]);

done_testing();
