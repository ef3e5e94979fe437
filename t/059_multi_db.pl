# 059_multi_db.pl -- several MySQL databases in one replica (issue 16):
# schema_mappings maps three databases with tables of the same names to
# three schemas; one replica copies them, one apply worker streams them
# through one binlog connection (MariaDB's process list shows one Binlog
# Dump thread) while all three are written.  Tables are named "db.table"
# in the views, sync_tables, the rules (tables_limit, skip_tables,
# skip_events, type_override) and verify_tables; the foreign-key actions
# InnoDB runs are replayed per database; DDL follows per database, and
# RENAME TABLE moves a table between mapped databases (between schemas),
# out of them (the table leaves the replica) and into them (a sync worker
# copies it, and it streams).

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

my %schema = (shop => 'shop', crm => 'crm_pg', blog => 'blog_pg');
for my $db (sort keys %schema)
{
	$my->sql(<<"SQL");
CREATE DATABASE $db;
CREATE TABLE $db.items (id int PRIMARY KEY, name varchar(30), qty int, flag tinyint(1)) ENGINE=InnoDB;
CREATE TABLE $db.notes (id int PRIMARY KEY, item_id int, body text,
  FOREIGN KEY (item_id) REFERENCES $db.items (id) ON DELETE CASCADE) ENGINE=InnoDB;
INSERT INTO $db.items VALUES (1, '$db one', 1, 0), (2, '$db two', 2, 1), (3, '$db three', 3, 1);
INSERT INTO $db.notes VALUES (1, 1, 'note of one in $db'), (2, 2, 'note of two in $db');
SQL
}
$my->sql(<<'SQL');
CREATE TABLE blog.secret (id int PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE shop.crm_refs (id int PRIMARY KEY, crm_item int,
  FOREIGN KEY (crm_item) REFERENCES crm.items (id) ON DELETE CASCADE) ENGINE=InnoDB;
INSERT INTO shop.crm_refs VALUES (1, 1), (2, 2), (3, NULL);
CREATE TABLE shop.moving (id int PRIMARY KEY, v varchar(10)) ENGINE=InnoDB;
INSERT INTO shop.moving VALUES (1, 'm1'), (2, 'm2');
CREATE TABLE crm.leaving (id int PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO crm.leaving VALUES (1);
CREATE DATABASE other;
CREATE TABLE other.items (id int PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE other.incoming (id int PRIMARY KEY, v varchar(10)) ENGINE=InnoDB;
INSERT INTO other.incoming VALUES (1, 'i1'), (2, 'i2');
SQL

my $conf = $my->write_config(schema_mappings => \%schema, source_name => 'apps',
	skip_tables => ['blog.secret'],
	skip_events => { delete => ['blog.notes'] },
	type_override => { '"tinyint(1)"' => { override_to => 'boolean', override_tables => ['crm.items'] } });
my $node = ChameleonReplica::new_node('pg');
sub pg_one { return $node->safe_psql('postgres', $_[0]) }

# ---------------------------------------------------------------------
# check_source and the copy
# ---------------------------------------------------------------------
is(pg_one("SELECT value FROM chameleon.check_source('$conf') WHERE check_name = 'database_exists'"),
	'blog, crm, shop', 'check_source checks every mapped database');
like(pg_one("SELECT value FROM chameleon.check_source('$conf') WHERE check_name = 'tables'"),
	qr/^9 tables/, 'check_source counts the tables of all of them (skip_tables left out)');

like(pg_one("SELECT chameleon.init_replica('$conf')"),
	qr/^copied 9 tables \(\d+ rows\) of MySQL databases "blog", "crm", "shop" into schemas "blog_pg", "crm_pg", "shop"/,
	'init_replica copies the tables of the three databases');
is(pg_one("SELECT string_agg(mysql_table || '>' || pg_schema || '.' || pg_table, ',' ORDER BY mysql_table)
             FROM sch_chameleon.t_replica_tables"),
	'blog.items>blog_pg.items,blog.notes>blog_pg.notes,crm.items>crm_pg.items,crm.leaving>crm_pg.leaving,'
	  . 'crm.notes>crm_pg.notes,shop.crm_refs>shop.crm_refs,shop.items>shop.items,shop.moving>shop.moving,'
	  . 'shop.notes>shop.notes',
	'each table is named "db.table" and goes to its database\'s schema');
is(pg_one("SELECT source FROM chameleon.status"), 'apps', 'one replica, named by source_name');
is(pg_one("SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attrelid::regclass::text)
             FROM pg_attribute WHERE attname = 'flag' AND attrelid::regclass::text LIKE '%.items'"),
	'smallint,boolean,smallint', 'type_override names one database\'s table: only crm.items gets boolean');
is(pg_one("SELECT to_regclass('blog_pg.secret') IS NULL"), 't', 'skip_tables: blog.secret is not copied');

# a column is a name, or [MySQL expression, PostgreSQL expression]
sub same_table
{
	my ($db, $table, $cols, $name) = @_;
	my @my_cols = map { ref $_ ? $_->[0] : $_ } @$cols;
	my @pg_cols = map { ref $_ ? $_->[1] : $_ } @$cols;
	my $my_rows = $my->sql("SELECT CONCAT_WS('|', " . join(', ', map { "IFNULL($_, '<null>')" } @my_cols)
		  . ") FROM $db.$table ORDER BY id", raw => 1);
	my $pg_rows = pg_one("SELECT concat_ws('|', " . join(', ', map { "coalesce((${_})::text, '<null>')" } @pg_cols)
		  . ") FROM $schema{$db}.$table ORDER BY id");
	return is($pg_rows, $my_rows, $name);
}

# ---------------------------------------------------------------------
# streaming: one worker, one dump thread, writes to all three
# ---------------------------------------------------------------------
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
ok($my->poll_query_until(
		"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'", '1'),
	'MariaDB serves the replica one Binlog Dump thread');

for my $db (sort keys %schema)
{
	$my->sql(<<"SQL");
INSERT INTO $db.items VALUES (10, '$db ten', 10, 1), (11, '$db eleven', 11, 0);
UPDATE $db.items SET qty = qty * 100, name = CONCAT(name, ' (upd)') WHERE id = 2;
DELETE FROM $db.items WHERE id = 1;
INSERT INTO $db.notes VALUES (3, 10, 'note of ten in $db');
SQL
}
# one transaction across the databases
$my->sql(<<'SQL');
START TRANSACTION;
UPDATE shop.items SET qty = -1 WHERE id = 3;
UPDATE crm.items SET qty = -2 WHERE id = 3;
UPDATE blog.items SET qty = -3 WHERE id = 3;
UPDATE other.items SET id = id;
COMMIT;
SQL
# DDL per database, named with and without the database
$my->sql('ALTER TABLE crm.items ADD COLUMN phone varchar(20); UPDATE crm.items SET phone = CONCAT(\'+1-\', id);');
$my->sql('ALTER TABLE items ADD COLUMN tag varchar(10) DEFAULT \'t\'', database => 'blog');
$my->sql('CREATE TABLE shop.fresh (id int PRIMARY KEY, v int) ENGINE=InnoDB; INSERT INTO shop.fresh VALUES (1, 1), (2, 4);');
$my->sql('CREATE TABLE brand_new (id int PRIMARY KEY, w int) ENGINE=InnoDB; INSERT INTO brand_new VALUES (1, 1)', database => 'other');
# move, leave, enter
$my->sql("RENAME TABLE shop.moving TO crm.moved; INSERT INTO crm.moved VALUES (3, 'm3');");
$my->sql("RENAME TABLE crm.leaving TO other.left_behind; INSERT INTO other.left_behind VALUES (2);");
$my->sql("RENAME TABLE other.incoming TO blog.incoming; INSERT INTO blog.incoming VALUES (3, 'i3');");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');

for my $db (sort keys %schema)
{
	same_table($db, 'items',
		[ 'id', 'name', 'qty', $db eq 'crm' ? [ "IF(flag, 't', 'f')", "CASE WHEN flag THEN 't' ELSE 'f' END" ] : 'flag' ],
		"$db.items: PostgreSQL equals MariaDB");
}
same_table('shop', 'notes', [ 'id', 'item_id', 'body' ],
	'shop.notes: the cascaded delete of InnoDB is replayed in its schema');
same_table('crm', 'notes', [ 'id', 'item_id', 'body' ], 'crm.notes: the same in another schema');
same_table('shop', 'crm_refs', [ 'id', 'crm_item' ],
	'shop.crm_refs: the cascade of a key referencing another mapped database (crm.items)');
is(pg_one("SELECT string_agg(id::text, ',' ORDER BY id) FROM blog_pg.notes"), '1,2,3',
	'skip_events delete [blog.notes]: the cascade is not applied there either');
same_table('crm', 'items', [ 'id', 'phone' ], 'ALTER TABLE crm.items: the new column follows');
same_table('blog', 'items', [ 'id', 'tag' ], 'ALTER TABLE items in default database blog: in blog_pg');
same_table('shop', 'fresh', [ 'id', 'v' ], 'CREATE TABLE shop.fresh: created in schema shop, rows follow');
is(pg_one("SELECT to_regclass('other.items') IS NULL AND to_regclass('other.brand_new') IS NULL AND to_regclass('shop.brand_new') IS NULL"), 't', 'tables of an unmapped database are not replicated (nor created)');

is(pg_one("SELECT to_regclass('shop.moving') IS NULL AND to_regclass('crm_pg.moved') IS NOT NULL"), 't',
	'RENAME TABLE shop.moving TO crm.moved: moved to schema crm_pg');
same_table('crm', 'moved', [ 'id', 'v' ], 'the moved table goes on streaming');
is(pg_one("SELECT state FROM chameleon.tables WHERE mysql_table = 'crm.moved'"), 'streaming',
	'it is replicated as crm.moved');
is(pg_one("SELECT state || ': ' || last_error FROM sch_chameleon.t_replica_tables WHERE mysql_table = 'crm.leaving'"),
	'removed: renamed to other.left_behind: no longer replicated',
	'RENAME TABLE into an unmapped database: the table leaves the replica');
ok($node->poll_query_until('postgres',
		"SELECT state IN ('copied', 'streaming') FROM chameleon.tables WHERE mysql_table = 'blog.incoming'"),
	'RENAME TABLE from an unmapped database: the table enters the replica and is copied');
$my->sql("INSERT INTO blog.incoming VALUES (4, 'i4');");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the entered table was copied');
same_table('blog', 'incoming', [ 'id', 'v' ], 'the entered table holds its rows');
is(pg_one("SELECT state FROM chameleon.tables WHERE mysql_table = 'blog.incoming'"), 'streaming',
	'and streams');

# ---------------------------------------------------------------------
# qualified names in sync_tables, add_tables and verify_tables
# ---------------------------------------------------------------------
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.sync_tables(ARRAY['items'])");
like($err, qr/table "items" is not replicated by replica "apps"/, 'sync_tables wants "db.table"');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.add_tables(ARRAY['other.items'])");
like($err, qr/table "other.items" is not in a database of replica "apps"/,
	'add_tables refuses a table of an unmapped database');
like(pg_one("SELECT chameleon.sync_tables(ARRAY['shop.items'])"), qr/shop\.items|1 table/,
	'sync_tables copies a table named "db.table" again');
$my->sql("UPDATE shop.items SET qty = 7 WHERE id = 10;");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the sync');
same_table('shop', 'items', [ 'id', 'name', 'qty', 'flag' ], 'the synced table streams again');

is(pg_one("SELECT string_agg(mysql_table || ':' || status, ',' ORDER BY mysql_table) FROM chameleon.verify_tables()"),
	'blog.incoming:equal,blog.items:equal,blog.notes:skipped,crm.items:equal,crm.moved:equal,crm.notes:equal,'
	  . 'shop.crm_refs:equal,shop.fresh:equal,shop.items:equal,shop.notes:equal',
	'verify_tables: every table equal (blog.notes skipped: skip_events)');
is(pg_one("SELECT status FROM chameleon.verify_tables(ARRAY['crm.items'])"), 'equal',
	'verify_tables takes a qualified name');
is(pg_one("SELECT count(*) FROM chameleon.errors"), '0', 'no error');

# a configuration that maps other databases than the replica has is refused
$node->safe_psql('postgres', "SELECT chameleon.stop_replica('apps')");
my $changed = $my->write_config(schema_mappings => { shop => 'shop', crm => 'crm_pg' },
	source_name => 'apps');
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.start_replica('$changed')");
like($err, qr/names other MySQL databases than replica "apps" was made with/,
	'start_replica refuses a configuration mapping other databases');

# attach_replica: the tables of the three schemas, as they are now, at the source's position
$node->safe_psql('postgres', "SELECT chameleon.drop_replica('apps')");
($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.attach_replica('mariadb-bin.000001', 4, '$conf')");
like($err, qr/table "crm_pg"."leaving" is not a base table of MySQL database "crm"/,
	'attach_replica refuses a table of a mapped schema that its database does not have');
$node->safe_psql('postgres', 'DROP TABLE crm_pg.leaving');
my ($file, $pos) = $my->binlog_position;
like(pg_one("SELECT chameleon.attach_replica('$file', $pos, '$conf')"),
	qr/^attached 10 tables of MySQL databases "blog", "crm", "shop" into schemas "blog_pg", "crm_pg", "shop" at binlog position/,
	'attach_replica attaches the tables of every mapped database, their columns checked');
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
for my $db (sort keys %schema)
{
	$my->sql("INSERT INTO $db.items (id, name, qty, flag) VALUES (20, '$db twenty', 20, 1); DELETE FROM $db.items WHERE id = 10;");
}
ok(ChameleonReplica::wait_caught_up($node, $my), 'attached: caught up');
is(pg_one("SELECT string_agg(DISTINCT status, ',') FROM chameleon.verify_tables() WHERE mysql_table <> 'blog.notes'"),
	'equal', 'attached: every table equal after writes to the three databases');

# DROP DATABASE drops its tables in MySQL without row events: the replica drops them too
$my->sql('DROP DATABASE blog');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after DROP DATABASE blog');
is(pg_one("SELECT count(*) FROM chameleon.tables WHERE mysql_table LIKE 'blog.%'")
	  . pg_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'blog_pg'"), '00',
	'DROP DATABASE: the tables of that database leave the replica and PostgreSQL');
is(pg_one("SELECT count(*) FROM chameleon.tables WHERE mysql_table NOT LIKE 'blog.%'"), '7',
	'the other databases\' tables stay');
$my->sql('CREATE DATABASE blog; CREATE TABLE blog.items (id int PRIMARY KEY, v int) ENGINE=InnoDB;'
	  . ' INSERT INTO blog.items VALUES (1, 1), (2, 4);');
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the database was made again');
same_table('blog', 'items', [ 'id', 'v' ], 'a table of the database made again is replicated');
is(pg_one("SELECT count(*) FROM chameleon.errors"), '0', 'no error');

done_testing();
