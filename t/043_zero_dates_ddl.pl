# 043_zero_dates_ddl.pl -- one zero-date rule on every path (issue 12): with
# zero_dates_to_null (the default) a date/datetime/timestamp column is never
# NOT NULL in PostgreSQL, whether init_replica copied it or a streamed CREATE
# TABLE, ADD, CHANGE or MODIFY made it.  WordPress's wp_posts keeps
# post_date_gmt NOT NULL DEFAULT '0000-00-00 00:00:00' and its schema
# updater re-issues such MODIFYs on every upgrade: a draft post must not put
# the table in error.

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
SET GLOBAL sql_mode = '';
CREATE DATABASE wp;
CREATE TABLE wp.wp_links (link_id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    link_updated datetime NOT NULL DEFAULT '0000-00-00 00:00:00') ENGINE=InnoDB;
INSERT INTO wp.wp_links (link_updated) VALUES ('0000-00-00 00:00:00'), ('2024-05-01 10:00:00');
SQL
my $conf = $my->write_config(my_database => 'wp');
my $conf_lit = ChameleonReplica::pg_literal($conf);

my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
$node->safe_psql('postgres', "SELECT chameleon.init_replica($conf_lit)");
$node->safe_psql('postgres', "SELECT chameleon.start_replica($conf_lit)");
ok($node->poll_query_until('postgres', "SELECT state = 'streaming' FROM chameleon.status"),
	'streaming');

# the application's DDL and rows while the replica streams (sql_mode '' as
# WordPress sets it, so MariaDB takes zero dates)
$my->sql(<<'SQL');
SET SESSION sql_mode = '';
CREATE TABLE wp.wp_posts (id bigint unsigned NOT NULL AUTO_INCREMENT,
    post_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
    post_date_gmt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
    post_status varchar(20) NOT NULL DEFAULT 'publish',
    PRIMARY KEY (id)) ENGINE=InnoDB;
INSERT INTO wp.wp_posts (post_date, post_status) VALUES ('2024-05-01 10:00:00', 'draft');
INSERT INTO wp.wp_posts (post_date, post_date_gmt) VALUES ('2024-05-02 10:00:00', '2024-05-02 08:00:00');
ALTER TABLE wp.wp_posts MODIFY post_date_gmt datetime NOT NULL DEFAULT '0000-00-00 00:00:00';
INSERT INTO wp.wp_posts (post_date, post_status) VALUES ('2024-05-03 10:00:00', 'draft');
ALTER TABLE wp.wp_posts CHANGE post_date post_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00';
INSERT INTO wp.wp_posts (post_status) VALUES ('auto-draft');
ALTER TABLE wp.wp_posts ADD COLUMN post_modified datetime NOT NULL,
    ADD COLUMN post_day date NOT NULL DEFAULT '0000-00-00', ADD COLUMN post_ts timestamp NOT NULL;
INSERT INTO wp.wp_posts (post_status) VALUES ('inherit');
ALTER TABLE wp.wp_links MODIFY link_updated datetime NOT NULL DEFAULT '0000-00-00 00:00:00';
INSERT INTO wp.wp_links (link_updated) VALUES ('0000-00-00 00:00:00');
UPDATE wp.wp_links SET link_updated = '0000-00-00 00:00:00' WHERE link_id = 2;
SQL
ok(ChameleonReplica::wait_caught_up($node, $my), 'caught up');

is($node->safe_psql('postgres',
	"SELECT string_agg(mysql_table || ' ' || state, ', ' ORDER BY mysql_table) FROM chameleon.tables"),
	'wp_links streaming, wp_posts streaming', 'no table in error');
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.errors'), '0', 'no rejected row');
is($node->safe_psql('postgres', <<'SQL'),
SELECT string_agg(table_name || '.' || column_name || ' ' || is_nullable, ', '
                  ORDER BY table_name, ordinal_position)
FROM information_schema.columns
WHERE table_schema = 'wp' AND data_type IN ('date', 'timestamp without time zone',
                                            'timestamp with time zone')
SQL
	'wp_links.link_updated YES, wp_posts.post_date YES, wp_posts.post_date_gmt YES, '
	  . 'wp_posts.post_modified YES, wp_posts.post_day YES, wp_posts.post_ts YES',
	'every date column is nullable, copied or made by streamed DDL');

# zero dates are NULL on both sides of the comparison
ChameleonReplica::tables_equal($node, $my, 'wp', 'wp_posts', 'id',
	[ [ 'id', 'id' ], [ "NULLIF(post_date, '0000-00-00 00:00:00')", 'post_date' ],
	  [ "NULLIF(post_date_gmt, '0000-00-00 00:00:00')", 'post_date_gmt' ],
	  [ 'post_status', 'post_status' ],
	  [ "NULLIF(post_day, '0000-00-00')", 'post_day' ] ]);
ChameleonReplica::tables_equal($node, $my, 'wp', 'wp_links', 'link_id',
	[ [ 'link_id', 'link_id' ],
	  [ "NULLIF(link_updated, '0000-00-00 00:00:00')", 'link_updated' ] ]);

done_testing();
