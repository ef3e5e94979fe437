# 056_table_rules.pl -- the per-table rules of the 2.x configuration
# (issue 16): skip_tables leaves tables out of the copy, the stream, DDL and
# add_tables; skip_events leaves out the row events of one kind for listed
# tables (or, with the database's name, every table): deletes of an audit
# log kept in PostgreSQL while MySQL purges it, inserts of one table,
# updates of another.  verify_tables reports those tables as skipped, not
# differing; the others are equal value by value.  log_level decides what
# the workers write to the server log.

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
$my->sql(<<'SQL');
CREATE DATABASE app;
CREATE TABLE app.keep (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB;
CREATE TABLE app.secret (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB;
CREATE TABLE app.audit_log (id int PRIMARY KEY, msg varchar(40)) ENGINE=InnoDB;
CREATE TABLE app.noins (id int PRIMARY KEY, v int) ENGINE=InnoDB;
CREATE TABLE app.noupd (id int PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO app.keep VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO app.secret VALUES (1, 'hidden');
INSERT INTO app.audit_log VALUES (1, 'old 1'), (2, 'old 2'), (3, 'old 3');
INSERT INTO app.noins VALUES (1, 1), (2, 2);
INSERT INTO app.noupd VALUES (1, 1), (2, 2);
SQL
my $conf = $my->write_config(my_database => 'app',
	skip_tables => [ 'app.secret', 'later_secret' ],
	skip_events => { delete => ['app.audit_log'], insert => ['noins'], update => ['noupd'] },
	log_level => 'debug');
my $node = ChameleonReplica::new_node('pg');
sub pg_one { return $node->safe_psql('postgres', $_[0]) }

like(pg_one("SELECT chameleon.init_replica('$conf')"), qr/^copied 4 tables/,
	'init_replica copies the tables but those of skip_tables');
is(pg_one("SELECT string_agg(mysql_table, ',' ORDER BY mysql_table) FROM chameleon.tables"),
	'audit_log,keep,noins,noupd', 'the skipped table is not replicated');
is(pg_one("SELECT to_regclass('app.secret') IS NULL"), 't', 'and not created in PostgreSQL');
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$conf')");

$my->sql(<<'SQL');
INSERT INTO app.keep VALUES (4, 'd');
UPDATE app.keep SET v = 'b2' WHERE id = 2;
DELETE FROM app.keep WHERE id = 1;
INSERT INTO app.secret VALUES (2, 'hidden too');
UPDATE app.secret SET v = 'x';
ALTER TABLE app.secret ADD COLUMN extra int;
CREATE TABLE app.later_secret (id int PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO app.later_secret VALUES (1);
CREATE TABLE app.later_kept (id int PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO app.later_kept VALUES (1);
-- MySQL purges its audit log: PostgreSQL keeps the history
DELETE FROM app.audit_log WHERE id <= 2;
INSERT INTO app.audit_log VALUES (4, 'new 4');
UPDATE app.audit_log SET msg = 'old 3 seen' WHERE id = 3;
INSERT INTO app.noins VALUES (3, 3);
UPDATE app.noins SET v = 10 WHERE id = 1;
DELETE FROM app.noins WHERE id = 2;
INSERT INTO app.noupd VALUES (3, 3);
UPDATE app.noupd SET v = 10 WHERE id = 1;
DELETE FROM app.noupd WHERE id = 2;
SQL
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');

ChameleonReplica::tables_equal($node, $my, 'app', 'keep', 'id', [ [ 'id', 'id' ], [ 'v', 'v' ] ],
	'a table without rules equals MariaDB');
ChameleonReplica::tables_equal($node, $my, 'app', 'later_kept', 'id', [ [ 'id', 'id' ] ],
	'a table created while streaming is replicated');
is(pg_one("SELECT to_regclass('app.secret') IS NULL AND to_regclass('app.later_secret') IS NULL"), 't',
	'tables of skip_tables stay out, DDL included (a CREATE TABLE of a skipped name too)');
is(pg_one("SELECT string_agg(id || ':' || msg, ',' ORDER BY id) FROM app.audit_log"),
	'1:old 1,2:old 2,3:old 3 seen,4:new 4',
	'skip_events delete: the purged rows stay in PostgreSQL, inserts and updates arrive');
is(pg_one("SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM app.noins"), '1:10',
	'skip_events insert: the insert is left out, the update and the delete arrive');
is(pg_one("SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM app.noupd"), '1:1,3:3',
	'skip_events update: the update is left out, the insert and the delete arrive');
is(pg_one("SELECT count(*) FROM chameleon.errors"), '0', 'no error');

is(pg_one("SELECT string_agg(mysql_table || ':' || status || coalesce(':' || nullif(detail, '1 chunk'), ''),
                             E'\\n' ORDER BY mysql_table) FROM chameleon.verify_tables()"),
	join("\n",
		'audit_log:skipped:skip_events leaves out its delete events: a deliberate divergence',
		'keep:equal',
		'later_kept:equal',
		'noins:skipped:skip_events leaves out its insert events: a deliberate divergence',
		'noupd:skipped:skip_events leaves out its update events: a deliberate divergence'),
	'verify_tables: tables with skip_events are skipped, with why; the others equal');

my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.add_tables(ARRAY['secret'])");
like($err, qr/table "secret" is in skip_tables of replica "app"/, 'add_tables refuses a table of skip_tables');

# log_level back to info by a reload: the batches are no longer logged
$my->write_config(path => $conf, my_database => 'app',
	skip_tables => [ 'app.secret', 'later_secret' ],
	skip_events => { delete => ['app.audit_log'], insert => ['noins'], update => ['noupd'] },
	log_level => 'info');
my $offset = -s $node->logfile;
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
ok($node->wait_for_log(qr/reloaded the configuration of source "app"/, $offset),
	'the worker reloads the configuration');
$offset = -s $node->logfile;
$my->sql("INSERT INTO app.keep VALUES (5, 'e');");
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up after the reload');
unlike(substr(slurp_file($node->logfile), $offset), qr/applied a batch of/,
	'log_level info after debug: the batches are no longer logged');

# the whole database: skip_events with the database's name
$node->safe_psql('postgres', "SELECT chameleon.stop_replica()");
$node->safe_psql('postgres', "SELECT chameleon.drop_replica('app')");
$my->sql('CREATE DATABASE hist; CREATE TABLE hist.a (id int PRIMARY KEY); CREATE TABLE hist.b (id int PRIMARY KEY);'
	  . ' INSERT INTO hist.a VALUES (1), (2); INSERT INTO hist.b VALUES (1), (2);');
# (written in the 2.x form: schema_mappings with one database)
my $hist = $my->write_config(schema_mappings => { hist => 'hist_pg' }, my_server_id => 7301,
	skip_events => { delete => ['hist'] }, log_level => 'warning');
$node->safe_psql('postgres', "SELECT chameleon.init_replica('$hist')");
$node->safe_psql('postgres', "SELECT chameleon.start_replica('$hist')");
$my->sql('DELETE FROM hist.a; DELETE FROM hist.b WHERE id = 1; INSERT INTO hist.b VALUES (3);');
ok(ChameleonReplica::wait_caught_up($node, $my), 'hist: caught up');
is(pg_one("SELECT (SELECT string_agg(id::text, ',' ORDER BY id) FROM hist_pg.a) || ' / '
               || (SELECT string_agg(id::text, ',' ORDER BY id) FROM hist_pg.b)"),
	'1,2 / 1,2,3', 'skip_events delete: [hist] keeps every deleted row of the database');

# log_level: debug writes each batch, warning leaves out the state changes
my $log = slurp_file($node->logfile);
like($log, qr/apply worker for source "app" starting at/, 'log_level debug: the state changes are logged');
like($log, qr/applied a batch of \d+ transactions, \d+ rows, up to \S+:\d+/,
	'log_level debug: each applied batch is logged');
unlike($log, qr/apply worker for source "hist" starting/, 'log_level warning: no state change in the log');

done_testing();
