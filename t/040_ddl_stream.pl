# 040_ddl_stream.pl -- DDL in the binlog follows into PostgreSQL while the
# replica streams: a script of DDL interleaved with DML (add a column and
# write it, drop a column, reorder with AFTER and FIRST, rename a table and
# write to it, create and fill a new table, truncate, create/drop an index),
# a statement for another database (skipped), a statement PostgreSQL rejects
# (t_ddl failed, the table in error, the rest goes on), and a worker restart
# after DDL.  Row metadata is not in the binlog (binlog_row_metadata
# default), so rows decode by the MySQL shape the worker keeps from the DDL
# stream: it must never ask MySQL, which is ahead.  At the end PostgreSQL
# equals MySQL table by table, value by value.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

# One scenario per row metadata setting: without names in the binlog the
# worker's recorded MySQL shape decodes the rows; with FULL, the table map's.
sub scenario
{
	my ($tag, @extra) = @_;
	note("scenario: $tag");

	my $pass = 'ddl-pw-' . int(rand(1_000_000_000));
	my $my = ChameleonMariaDB->new(name => "source_$tag", extra => [@extra]);
	$my->start;
	$my->sql(<<~'SQL');
	CREATE DATABASE shop;
	CREATE TABLE shop.items (id int NOT NULL PRIMARY KEY, name varchar(20), qty int) ENGINE=InnoDB;
	CREATE TABLE shop.notes (id int NOT NULL PRIMARY KEY, body text, extra int) ENGINE=InnoDB;
	CREATE TABLE shop.movers (id int NOT NULL PRIMARY KEY, a int, b varchar(10), c int unsigned)
	  ENGINE=InnoDB;
	CREATE TABLE shop.oldname (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
	CREATE TABLE shop.trunc (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
	CREATE TABLE shop.fails (id int NOT NULL PRIMARY KEY, v varchar(20)) ENGINE=InnoDB;
	CREATE TABLE shop.dropme (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB;
	CREATE TABLE shop.parts (id int NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB;
	INSERT INTO shop.parts VALUES (1, 1), (2, 2);
	INSERT INTO shop.items VALUES (1, 'one', 1), (2, 'two', 2);
	INSERT INTO shop.notes VALUES (1, 'first', 10), (2, 'second', 20);
	INSERT INTO shop.movers VALUES (1, 1, 'x', 4000000000), (2, 2, 'y', 5);
	INSERT INTO shop.oldname VALUES (1, 10), (2, 20);
	INSERT INTO shop.trunc VALUES (1, 1), (2, 2), (3, 3);
	INSERT INTO shop.fails VALUES (1, '1'), (2, '2');
	INSERT INTO shop.dropme VALUES (1);
	CREATE DATABASE other;
	CREATE TABLE other.t (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB;
	SQL
	$my->create_user('chameleon', $pass,
		'SELECT, RELOAD, BINLOG MONITOR, REPLICATION SLAVE, REPLICATION CLIENT ON *.*');
	my $conf = $my->write_config(user => 'chameleon', passwd => $pass, my_database => 'shop');
	my $conf_lit = ChameleonReplica::pg_literal($conf);

	my $node = ChameleonReplica::new_node("pg_$tag", conf => "timezone = 'UTC'\n");
	$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
	is( $node->safe_psql('postgres',
			"SELECT string_agg(column_name, ',' ORDER BY ordinal) FROM sch_chameleon.t_table_columns"
			  . " WHERE mysql_table = 'movers'"),
		'id,a,b,c',
		'init_replica records the MySQL column order');

	# a view on fails.v makes PostgreSQL refuse the type change below
	$node->safe_psql('postgres', 'CREATE VIEW public.fails_v AS SELECT v FROM shop.fails');

	$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
	ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
		'replica streaming');

	# --- DDL interleaved with DML -----------------------------------------------------
	$my->sql(<<~'SQL');
	ALTER TABLE shop.items ADD COLUMN price decimal(8,2) NOT NULL DEFAULT 0;
	INSERT INTO shop.items VALUES (10, 'ten', 1, 9.99);
	UPDATE shop.items SET price = 1.50 WHERE id = 1;
	ALTER TABLE shop.notes DROP COLUMN extra;
	INSERT INTO shop.notes VALUES (5, 'after the drop');
	UPDATE shop.notes SET body = 'first, changed' WHERE id = 1;
	ALTER TABLE shop.notes CHANGE body text_body varchar(100), ADD COLUMN kind enum('small','big') FIRST;
	INSERT INTO shop.notes (id, text_body, kind) VALUES (6, 'six', 'big');
	UPDATE shop.notes SET kind = 'small' WHERE id = 1;
	ALTER TABLE shop.movers MODIFY c int unsigned AFTER id;
	INSERT INTO shop.movers (id, a, b, c) VALUES (3, 3, 'z', 4294967295);
	ALTER TABLE shop.movers ADD COLUMN f varchar(5) FIRST;
	INSERT INTO shop.movers VALUES ('ff', 4, 7, 4, 'w');
	UPDATE shop.movers SET b = 'moved', f = 'f1', c = 11 WHERE id = 1;
	ALTER TABLE shop.movers ADD COLUMN m int AFTER a, MODIFY b varchar(10) FIRST;
	INSERT INTO shop.movers (id, a, b, c, f, m) VALUES (5, 5, 'five', 55, 'f5', 500);
	DELETE FROM shop.movers WHERE id = 2;
	RENAME TABLE shop.oldname TO shop.newname;
	INSERT INTO shop.newname VALUES (3, 30);
	UPDATE shop.newname SET v = v + 1 WHERE id = 1;
	ALTER TABLE shop.newname RENAME TO shop.newname2;
	INSERT INTO shop.newname2 VALUES (4, 40);
	CREATE TABLE shop.fresh (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, label varchar(10),
	  n int unsigned, KEY fresh_label (label)) ENGINE=InnoDB;
	INSERT INTO shop.fresh (label, n) VALUES ('a', 1), ('b', 4294967295), (NULL, NULL);
	ALTER TABLE shop.fresh ADD COLUMN flag tinyint FIRST;
	INSERT INTO shop.fresh (flag, label, n) VALUES (1, 'c', 3);
	UPDATE shop.fresh SET flag = 0 WHERE label = 'a';
	TRUNCATE TABLE shop.trunc;
	INSERT INTO shop.trunc VALUES (100, 1);
	CREATE INDEX items_qty ON shop.items (qty);
	ALTER TABLE shop.items ADD UNIQUE KEY uq_name (name);
	DROP INDEX items_qty ON shop.items;
	USE shop;
	CREATE TABLE other.t2 (id int) ENGINE=InnoDB;
	CREATE VIEW shop.v_items AS SELECT id FROM shop.items;
	DROP TABLE shop.dropme;
	ALTER TABLE shop.fails MODIFY v int;
	INSERT INTO shop.fails VALUES (3, 3);
	INSERT INTO shop.items VALUES (11, 'eleven', 11, 11.11);
	ALTER TABLE shop.parts PARTITION BY HASH (id) PARTITIONS 2;
	ALTER TABLE shop.parts TRUNCATE PARTITION p0;
	INSERT INTO shop.parts VALUES (3, 3);
	SQL
	$my->sql('CREATE TABLE other.t3 (id int) ENGINE=InnoDB');
	ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the DDL script');

	my @items = ([ 'id', 'id' ], [ 'name', 'name' ], [ 'qty', 'qty' ], [ 'price', 'price' ]);
	my @notes = ([ 'id', 'id' ], [ 'text_body', 'text_body' ], [ 'kind', 'kind' ]);
	my @movers = ([ 'id', 'id' ], [ 'a', 'a' ], [ 'b', 'b' ], [ 'c', 'c' ], [ 'f', 'f' ],
		[ 'm', 'm' ]);
	my @kv = ([ 'id', 'id' ], [ 'v', 'v' ]);
	my @fresh = ([ 'id', 'id' ], [ 'label', 'label' ], [ 'n', 'n' ], [ 'flag', 'flag' ]);

	my $compare_all = sub
	{
		my ($when) = @_;
		ChameleonReplica::tables_equal($node, $my, 'shop', 'items', 'id', \@items,
			"items (added column) $when");
		ChameleonReplica::tables_equal($node, $my, 'shop', 'notes', 'id', \@notes,
			"notes (dropped, renamed, enum column first) $when");
		ChameleonReplica::tables_equal($node, $my, 'shop', 'movers', 'id', \@movers,
			"movers (AFTER / FIRST) $when");
		ChameleonReplica::tables_equal($node, $my, 'shop', 'newname2', 'id', \@kv,
			"newname2 (renamed twice) $when");
		ChameleonReplica::tables_equal($node, $my, 'shop', 'fresh', 'id', \@fresh,
			"fresh (created while streaming) $when");
		ChameleonReplica::tables_equal($node, $my, 'shop', 'trunc', 'id', \@kv,
			"trunc (truncated) $when");
	};
	$compare_all->('after the DDL script');

	is( $node->safe_psql('postgres',
			"SELECT string_agg(column_name, ',' ORDER BY ordinal) FROM sch_chameleon.t_table_columns"
			  . " WHERE mysql_table = 'movers'"),
		join(',', map { $_->[0] } $my->sql_rows(
			"SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop'"
			  . " AND TABLE_NAME = 'movers' ORDER BY ORDINAL_POSITION")),
		'the recorded MySQL column order follows FIRST/AFTER');

	# --- bookkeeping --------------------------------------------------------------
	is( $node->safe_psql('postgres',
			"SELECT string_agg(mysql_table || ':' || state, ',' ORDER BY mysql_table)"
			  . " FROM sch_chameleon.t_replica_tables"),
		'fails:error,fresh:streaming,items:streaming,movers:streaming,newname2:streaming,'
		  . 'notes:streaming,parts:error,trunc:streaming',
		'tables: created, renamed, dropped, and the failed one in error');
	is($node->safe_psql('postgres',
			"SELECT count(*) FROM pg_class WHERE relname = 'dropme' AND relnamespace = 'shop'::regnamespace"),
		'0', 'dropped table is gone');
	is($node->safe_psql('postgres',
			"SELECT count(*) FROM pg_indexes WHERE schemaname = 'shop' AND indexname LIKE 'items%'"),
		'2', 'items has its primary key and the unique key, not the dropped index');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM shop.fails'),
		'2', 'rows after the failed DDL are not applied to the table in error');
	like($node->safe_psql('postgres',
			"SELECT operation || ': ' || error_message FROM chameleon.errors WHERE mysql_table = 'fails'"),
		qr/^ddl: .*view/, 'the failed DDL is in chameleon.errors');

	# --- t_ddl --------------------------------------------------------------------
	my $ddl = $node->safe_psql('postgres',
		"SELECT status || ' ' || regexp_replace(source_sql, '\\s+', ' ', 'g')"
		  . " FROM sch_chameleon.t_ddl ORDER BY ddl_id");
	note($ddl);
	like($ddl, qr/^applied ALTER TABLE shop\.items ADD COLUMN price/m, 't_ddl: add column applied');
	like($ddl, qr/^applied RENAME TABLE shop\.oldname TO shop\.newname$/m, 't_ddl: rename applied');
	like($ddl, qr/^applied TRUNCATE TABLE shop\.trunc$/m, 't_ddl: truncate applied');
	like($ddl, qr/^applied DROP INDEX items_qty ON shop\.items$/m, 't_ddl: drop index applied');
	like($ddl, qr/^skipped CREATE TABLE other\.t2/m, 't_ddl: another database, skipped');
	like($ddl, qr/^skipped CREATE .*VIEW/m, 't_ddl: a view, skipped');
	unlike($ddl, qr/other\.t3/, 't_ddl: a statement run in another database is not recorded');
	like($ddl, qr/^failed ALTER TABLE shop\.fails MODIFY v int$/m, 't_ddl: the rejected one failed');
	unlike($ddl, qr/^(applied|skipped|failed) (INSERT|UPDATE|BEGIN|COMMIT)/m, 't_ddl: no DML');
	is( $node->safe_psql('postgres',
			"SELECT translation IS NOT NULL AND error_message LIKE '%view%'"
			  . " FROM sch_chameleon.t_ddl WHERE status = 'failed' AND source_sql LIKE '%fails%'"),
		't', 't_ddl: the failed statement has its translation and the error');
	is( $node->safe_psql('postgres',
			"SELECT count(*) FROM sch_chameleon.t_ddl WHERE binlog_file IS NULL OR binlog_position IS NULL"),
		'0', 't_ddl: every statement has its binlog position');

	# --- restart: the MySQL shape survives ---------------------------------------------
	$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
	$my->sql(<<~'SQL');
	INSERT INTO shop.movers (id, a, b, c, f, m) VALUES (6, 6, 'six', 66, 'f6', 600);
	ALTER TABLE shop.movers DROP COLUMN a, ADD COLUMN a2 int FIRST;
	INSERT INTO shop.movers (id, a2, b, c, f, m) VALUES (7, 77, 'seven', 7, 'f7', 700);
	UPDATE shop.movers SET a2 = 1, b = 'again' WHERE id = 1;
	INSERT INTO shop.items VALUES (12, 'twelve', 12, 12.12);
	SQL
	$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
	ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the restart');
	@movers = ([ 'id', 'id' ], [ 'a2', 'a2' ], [ 'b', 'b' ], [ 'c', 'c' ], [ 'f', 'f' ],
		[ 'm', 'm' ]);
	$compare_all->('after a restart');

	# and a restart with nothing in between: DDL done, rows after it
	$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
	$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
	$my->sql(<<~'SQL');
	INSERT INTO shop.movers (id, a2, b, c, f, m) VALUES (8, 8, 'eight', 8, 'f8', 800);
	INSERT INTO shop.fresh (flag, label, n) VALUES (0, 'd', 4);
	SQL
	ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the second restart');
	$compare_all->('after a second restart');
	is($node->safe_psql('postgres', "SELECT state FROM chameleon.status"), 'streaming',
		'still streaming');

	$node->safe_psql('postgres', 'SELECT chameleon.stop_replica()');
	$node->stop;
	$my->stop;
}

scenario('nometa');
scenario('fullmeta', '--binlog-row-metadata=FULL');

done_testing();
