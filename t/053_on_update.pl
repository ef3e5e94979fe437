# 053_on_update.pl -- MySQL's ON UPDATE CURRENT_TIMESTAMP after the cut-over
# (issue 14): detach_replica gives every such column a trigger that does what
# MySQL does, for columns copied by init_replica, added or changed by
# streamed DDL (CREATE TABLE, ALTER TABLE ADD/MODIFY), and forgets it for a
# column a MODIFY redefined without it.  The trigger function belongs to the
# schema, not to the extension: DROP EXTENSION leaves it working.

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
CREATE TABLE app.post (id int PRIMARY KEY, title varchar(40),
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP) ENGINE=InnoDB;
CREATE TABLE app.event (id int PRIMARY KEY, v int,
  changed datetime(3) NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP(3),
  seen datetime(3) NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP(3)) ENGINE=InnoDB;
CREATE TABLE app.later (id int PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE app.dropped (id int PRIMARY KEY, v int,
  touched timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP) ENGINE=InnoDB;
CREATE TABLE app.plain (id int PRIMARY KEY, v int, at timestamp NULL DEFAULT NULL) ENGINE=InnoDB;
INSERT INTO app.post (id, title) VALUES (1, 'a'), (2, 'b');
INSERT INTO app.event (id, v) VALUES (1, 1);
INSERT INTO app.later VALUES (1, 1);
INSERT INTO app.dropped (id, v) VALUES (1, 1);
INSERT INTO app.plain (id, v) VALUES (1, 1);
SQL
my $conf = $my->write_config(my_database => 'app');
my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
sub pg_one { return $node->safe_psql('postgres', $_[0]) }

$node->safe_psql('postgres', "SELECT chameleon.init_replica('$conf')");
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");
$my->sql(<<'SQL');
ALTER TABLE app.later ADD COLUMN stamp timestamp(6) NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP(6);
ALTER TABLE app.dropped MODIFY touched timestamp NULL DEFAULT NULL;
ALTER TABLE app.plain CHANGE at touched_at timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP;
CREATE TABLE app.made (id int PRIMARY KEY, v int,
  mtime datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP) ENGINE=InnoDB;
INSERT INTO app.made (id, v) VALUES (1, 1);
UPDATE app.post SET title = 'a2' WHERE id = 1;
SQL
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the DDL');
is(pg_one("SELECT string_agg(mysql_table || '.' || column_name, ',' ORDER BY mysql_table, ordinal)
             FROM sch_chameleon.t_table_columns WHERE on_update_now"),
	'event.changed,event.seen,later.stamp,made.mtime,plain.touched_at,post.updated_at',
	'the shapes record every ON UPDATE CURRENT_TIMESTAMP column, from the copy and from DDL');

my $detach = pg_one("SELECT string_agg(object || ':' || result, ',' ORDER BY object)
                       FROM chameleon.detach_replica() WHERE step = 'on_update_trigger'");
is($detach, 'app.event(changed, seen):created,app.later(stamp):created,app.made(mtime):created,'
	  . 'app.plain(touched_at):created,app.post(updated_at):created',
	'detach_replica reports a trigger per table with such columns');
is(pg_one("SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND c.relnamespace = 'app'::regnamespace"),
	'event,later,made,plain,post', 'a table without such a column (dropped) gets no trigger');

# MySQL's behaviour: a changed row gets the statement's time (RETURNING sees
# the same statement_timestamp()); a column set explicitly keeps its value; an
# UPDATE that changes nothing keeps the old value
is(pg_one(q{UPDATE app.post SET title = 'a3' WHERE id = 1
	RETURNING updated_at = statement_timestamp()::timestamptz(0)}), 't',
	'post: a changed row gets the statement time (timestamp(0): rounded)');
is(pg_one(q{UPDATE app.post SET updated_at = '2000-01-01 00:00:00+00', title = 'b2' WHERE id = 2
	RETURNING updated_at = '2000-01-01 00:00:00+00'}), 't', 'post: a column set explicitly keeps its value');
my $before = pg_one("SELECT updated_at FROM app.post WHERE id = 1");
$node->safe_psql('postgres', "UPDATE app.post SET title = title WHERE id = 1");
is(pg_one("SELECT updated_at FROM app.post WHERE id = 1"), $before, 'post: an UPDATE that changes nothing keeps it');
is(pg_one(q{UPDATE app.event SET v = 2 WHERE id = 1
	RETURNING changed = statement_timestamp()::timestamp(3) AND seen = changed}),
	't', 'event: both datetime(3) columns get the time at their precision (the session in UTC)');
is(pg_one(q{UPDATE app.later SET v = 2 WHERE id = 1
	RETURNING stamp = statement_timestamp()}), 't', 'later: the column added by streamed ALTER TABLE');
is(pg_one(q{UPDATE app.made SET v = 2 WHERE id = 1
	RETURNING mtime = statement_timestamp()::timestamp(0)}), 't', 'made: the table of a streamed CREATE TABLE');
is(pg_one(q{UPDATE app.plain SET v = 2 WHERE id = 1
	RETURNING touched_at = statement_timestamp()::timestamptz(0)}), 't',
	'plain: the column a streamed CHANGE renamed and gave ON UPDATE');
$node->safe_psql('postgres', "UPDATE app.dropped SET v = 2 WHERE id = 1");
is(pg_one("SELECT touched IS NULL FROM app.dropped"), 't', 'dropped: the MODIFY without ON UPDATE is honoured');

# the function is the schema's: DROP EXTENSION keeps it and the triggers
$node->safe_psql('postgres', "DROP EXTENSION pg_chameleon");
is(pg_one(q{UPDATE app.post SET title = 'a4' WHERE id = 1
	RETURNING updated_at = statement_timestamp()::timestamptz(0)}), 't', 'after DROP EXTENSION the trigger still works');

done_testing();
