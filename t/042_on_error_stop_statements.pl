# 042_on_error_stop_statements.pl -- on_error: stop also holds for DDL that
# PostgreSQL rejects and for statement-based DML: the replica stops right
# before the statement (state error, the statement in chameleon.errors,
# nothing after it applied) instead of leaving the table out and going on.
# Once the cause is fixed (the view that blocked the ALTER dropped; the
# table copied again with sync_tables), start_replica goes on from there
# and PostgreSQL equals MySQL value by value.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

my $pass = 'stop-pw-' . int(rand(1_000_000_000));
my $my = ChameleonMariaDB->new(name => 'source');
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE shop;
CREATE TABLE shop.t1 (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE shop.t2 (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO shop.t1 VALUES (1, 1), (2, 2);
INSERT INTO shop.t2 VALUES (1, 1);
SQL
$my->create_user('chameleon', $pass,
	'SELECT, RELOAD, BINLOG MONITOR, REPLICATION SLAVE, REPLICATION CLIENT ON *.*');
my $conf = $my->write_config(
	user        => 'chameleon',
	passwd      => $pass,
	my_database => 'shop',
	on_error    => 'stop');
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg');
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'replica streaming');

sub stopped_with_error
{
	my ($what) = @_;
	ok($node->poll_query_until('postgres',
			"SELECT state = 'error' AND pid IS NULL FROM chameleon.status"),
		"$what: the replica stops with state error")
	  or diag($node->safe_psql('postgres', 'SELECT * FROM chameleon.status'));
}

# --- a DDL statement PostgreSQL rejects: a view blocks the type change --------------
$node->safe_psql('postgres', 'CREATE VIEW public.t1_v AS SELECT v FROM shop.t1');
$my->sql(<<'SQL');
INSERT INTO shop.t2 VALUES (2, 2);
ALTER TABLE shop.t1 MODIFY v varchar(10);
INSERT INTO shop.t1 VALUES (3, 'three');
INSERT INTO shop.t2 VALUES (3, 3);
SQL
stopped_with_error('DDL');
like($node->safe_psql('postgres', 'SELECT last_error FROM chameleon.status'),
	qr/cannot alter type of a column used by a view/, 'the status shows the error');
is($node->safe_psql('postgres',
		"SELECT operation || ' ' || mysql_table || ' ' || (row_data->>'statement') FROM chameleon.errors"),
	'ddl t1 ALTER TABLE shop.t1 MODIFY v varchar(10)', 'the statement is in chameleon.errors');
is($node->safe_psql('postgres', 'SELECT count(*) FROM shop.t2'), '2',
	'what came before the statement was applied');
is($node->safe_psql('postgres', "SELECT state FROM chameleon.tables WHERE mysql_table = 't1'"),
	'copied', 't1 is not left out of the replica (not in error): the replica stopped instead');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM sch_chameleon.t_ddl WHERE source_sql LIKE 'ALTER TABLE shop.t1%'"),
	'0', 'the statement is not recorded as applied or failed: it is still to come');

# fixed on the PostgreSQL side: start again, the statement and what follows apply
$node->safe_psql('postgres', 'DROP VIEW public.t1_v');
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the fix');
is($node->safe_psql('postgres',
		"SELECT data_type FROM information_schema.columns WHERE table_schema = 'shop'"
		  . " AND table_name = 't1' AND column_name = 'v'"),
	'character varying', 'the ALTER applied on the second try');
is($node->safe_psql('postgres',
		"SELECT status FROM sch_chameleon.t_ddl WHERE source_sql LIKE 'ALTER TABLE shop.t1%'"),
	'applied', 't_ddl: applied once');

# --- statement-based DML: stop; sync_tables of the stopped replica; go on ----------
$my->sql(<<'SQL');
SET SESSION binlog_format = 'STATEMENT';
INSERT INTO shop.t1 VALUES (4, 'four');
SET SESSION binlog_format = 'ROW';
INSERT INTO shop.t2 VALUES (4, 4);
SQL
stopped_with_error('statement DML');
like($node->safe_psql('postgres', 'SELECT last_error FROM chameleon.status'),
	qr/statement-based change cannot be applied/, 'the status says why');
is($node->safe_psql('postgres', 'SELECT count(*) FROM shop.t2'), '3',
	'nothing after the statement was applied');
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables('{t1}')");
is($ret, 0, 'sync_tables of t1 while the replica is stopped') or diag($err);
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after sync_tables');
$my->sql("INSERT INTO shop.t1 VALUES (5, 'five')");
ok(ChameleonReplica::wait_caught_up($node, $my), 'streaming again');

ChameleonReplica::tables_equal($node, $my, 'shop', 't1', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ]);
ChameleonReplica::tables_equal($node, $my, 'shop', 't2', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ]);
is($node->safe_psql('postgres', 'SELECT string_agg(state, \',\' ORDER BY mysql_table) FROM chameleon.tables'),
	'streaming,streaming', 'every table streams');

$node->stop;
$my->stop;
done_testing();
