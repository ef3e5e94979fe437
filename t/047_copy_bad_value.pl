# 047_copy_bad_value.pl -- one bad value never aborts a whole copy (issue
# 12): init_replica copies the other tables, the table holding the value
# goes to state error with the row and its primary key in chameleon.errors,
# and sync_tables copies it once the row is fixed (a sync_tables of it and
# another table before that copies the other one).  With on_error: stop the
# copy fails as a whole, as before.

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
SET SESSION sql_mode = '';
CREATE DATABASE app;
CREATE TABLE app.a_before (id int PRIMARY KEY, v varchar(10)) ENGINE=InnoDB;
CREATE TABLE app.bad (id int PRIMARY KEY, due date, note varchar(20)) ENGINE=InnoDB;
CREATE TABLE app.z_after (id int PRIMARY KEY, v varchar(10)) ENGINE=InnoDB;
INSERT INTO app.a_before VALUES (1, 'a'), (2, 'b');
INSERT INTO app.bad VALUES (1, '2024-01-01', 'fine'), (2, '0000-00-00', 'zero'), (3, '2024-03-01', 'fine');
INSERT INTO app.z_after VALUES (1, 'z');
SQL
my $conf = $my->write_config(my_database => 'app', zero_dates_to_null => \'false');
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg');
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
is($ret, 0, 'init_replica goes on past the bad value') or diag($err);
like($out, qr/copied 2 tables .*; 1 table in error/, 'the summary counts the table in error');
like($err, qr/WARNING:  table "bad" was not copied/, 'a WARNING names the table');
is($node->safe_psql('postgres',
	"SELECT string_agg(mysql_table || ' ' || state, ', ' ORDER BY mysql_table) FROM chameleon.tables"),
	'a_before copied, bad error, z_after copied', 'the other tables are copied');
is($node->safe_psql('postgres', 'SELECT count(*) FROM app.bad'), '0', 'none of its rows is kept');
is($node->safe_psql('postgres',
	"SELECT operation || '|' || (row_data->>'id') || '|' || (row_data->>'due') || '|'"
	  . " || (error_message LIKE '%primary key (id)=(2)%') FROM chameleon.errors"),
	'copy|2|0000-00-00|true', 'chameleon.errors has the row and its primary key');
ChameleonReplica::tables_equal($node, $my, 'app', 'a_before', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ]);
ChameleonReplica::tables_equal($node, $my, 'app', 'z_after', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ]);

# the replica streams; once the row is fixed, sync_tables brings the table back
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");

# sync_tables too: the bad value keeps its table in error, the others are copied
$my->sql("INSERT INTO app.z_after VALUES (3, 'x');");
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables('{bad,z_after}')");
is($ret, 0, 'sync_tables goes on past the bad value') or diag($err);
like($out, qr/^copied again 1 table .*; 1 table in error \(see chameleon.errors\)$/,
	'its summary counts the table in error');
is($node->safe_psql('postgres',
	"SELECT string_agg(mysql_table || ' ' || (state IN ('copied', 'streaming')), ', ' ORDER BY mysql_table)"
	  . " FROM chameleon.tables WHERE mysql_table IN ('bad', 'z_after')"),
	'bad false, z_after true', 'the other table is copied, the bad one stays out');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.errors WHERE operation = 'copy' AND mysql_table = 'bad'"),
	'2', 'the row is in chameleon.errors again');
$my->sql("UPDATE app.bad SET due = '2024-02-01' WHERE id = 2; INSERT INTO app.z_after VALUES (2, 'y');");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables('{bad}')");
is($ret, 0, 'sync_tables copies the fixed table') or diag($err);
ok($node->poll_query_until('postgres',
	"SELECT state IN ('copied', 'streaming') FROM chameleon.tables WHERE mysql_table = 'bad'"),
	'the table is replicated again');
$my->sql("INSERT INTO app.bad VALUES (4, '2024-04-01', 'new');");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the sync');
ChameleonReplica::tables_equal($node, $my, 'app', 'bad', 'id',
	[ [ 'id', 'id' ], [ 'due', 'due' ], [ 'note', 'note' ] ]);
ChameleonReplica::tables_equal($node, $my, 'app', 'z_after', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ]);

# on_error: stop stops the copy at the bad value; the copy stays unfinished
# (resumable once the row is fixed), and cannot be started
my $my2 = ChameleonMariaDB->new(name => 'strict', extra => ['--binlog-row-metadata=FULL']);
$my2->start;
$my2->sql("SET SESSION sql_mode = ''; CREATE DATABASE app2;"
	  . " CREATE TABLE app2.bad (id int PRIMARY KEY, due date) ENGINE=InnoDB;"
	  . " INSERT INTO app2.bad VALUES (1, '0000-00-00');");
my $conf2 = $my2->write_config(my_database => 'app2', zero_dates_to_null => \'false',
	on_error => 'stop');
($ret, $out, $err) = $node->psql('postgres',
	"SELECT chameleon.init_replica(" . ChameleonReplica::pg_literal($conf2) . ")");
isnt($ret, 0, 'with on_error: stop the copy fails');
like($err, qr/could not copy column "due"/, 'naming the value');
is($node->safe_psql('postgres', "SELECT state FROM chameleon.tables WHERE source = 'app2'"),
	'pending', 'and leaves the table uncopied');
is($node->safe_psql('postgres', "SELECT state FROM sch_chameleon.t_sources WHERE source_name = 'app2'"),
	'initialising', 'in an unfinished copy');

done_testing();
