# 054_geometry.pl -- spatial columns (issue 14): with PostGIS in the target
# database they become geometry with the MySQL column's type and SRID
# (MariaDB's REF_SYSTEM_ID), without it bytea holding EWKB that PostGIS reads
# as it is (col::geometry).  Every spatial type, NULLs, the copy, the stream
# (insert, update, delete), a streamed CREATE TABLE and ALTER TABLE ADD
# COLUMN, and binlog_rows: ST_AsBinary and ST_SRID of every value equal on
# both sides.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;
use ChameleonReplica;

plan skip_all => 'PostGIS is not installed (.ci/install-packages installs postgresql-15-postgis-3)'
  unless -e '/usr/share/postgresql/15/extension/postgis.control';

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;
$my->sql(<<'SQL');
CREATE DATABASE geo;
CREATE TABLE geo.shapes (
  id int PRIMARY KEY,
  g geometry NULL,
  p point REF_SYSTEM_ID=4326 NULL,
  ls linestring NULL,
  poly polygon NULL,
  mp multipoint NULL,
  mls multilinestring NULL,
  mpoly multipolygon REF_SYSTEM_ID=3857 NULL,
  gc geometrycollection NULL) ENGINE=InnoDB;
INSERT INTO geo.shapes VALUES
  (1, ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(-71.06 42.36)', 4326),
      ST_GeomFromText('LINESTRING(0 0,1 1,2 1)'),
      ST_GeomFromText('POLYGON((0 0,4 0,4 4,0 4,0 0),(1 1,2 1,2 2,1 1))'),
      ST_GeomFromText('MULTIPOINT(1 1,2 2)'),
      ST_GeomFromText('MULTILINESTRING((0 0,1 1),(2 2,3 3))'),
      ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))', 3857),
      ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))')),
  (2, ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326), NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, NULL, ST_GeomFromText('POINT(2.3522 48.8566)', 4326), NULL, NULL, NULL, NULL, NULL,
      ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'));
SQL

my $node = ChameleonReplica::new_node('pg', conf => "timezone = 'UTC'\n");
sub pg_one { my ($db, $sql) = @_; return $node->safe_psql($db, $sql) }
my %conf;
my $id = 7200;
for my $db ('gis', 'nogis')
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION postgis') if $db eq 'gis';
	$node->safe_psql($db, 'CREATE EXTENSION pg_chameleon');
	$conf{$db} = $my->write_config(my_database => 'geo', my_server_id => $id++);
	$node->safe_psql($db, "SELECT chameleon.init_replica('$conf{$db}')");
	$node->safe_psql($db, "SELECT chameleon.start_replica('$conf{$db}')");
}

is(pg_one('gis', "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
                   FROM pg_attribute WHERE attrelid = 'geo.shapes'::regclass AND attnum > 1"),
	'g geometry, p geometry(Point,4326), ls geometry(LineString), poly geometry(Polygon), '
	  . 'mp geometry(MultiPoint), mls geometry(MultiLineString), mpoly geometry(MultiPolygon,3857), '
	  . 'gc geometry(GeometryCollection)',
	'with PostGIS: geometry with the type and SRID of each MySQL column');
is(pg_one('nogis', "SELECT string_agg(DISTINCT format_type(atttypid, atttypmod), ',')
                     FROM pg_attribute WHERE attrelid = 'geo.shapes'::regclass AND attnum > 1"),
	'bytea', 'without PostGIS: bytea');

# the stream: inserts, updates, deletes, a new table and a new column
$my->sql(<<'SQL');
INSERT INTO geo.shapes (id, g, p, poly) VALUES
  (10, ST_GeomFromText('LINESTRING(10 10,20 20)'), ST_GeomFromText('POINT(139.69 35.68)', 4326),
   ST_GeomFromText('POLYGON((0 0,2 0,2 2,0 0))'));
UPDATE geo.shapes SET p = ST_GeomFromText('POINT(-0.1278 51.5074)', 4326), gc = NULL WHERE id = 1;
UPDATE geo.shapes SET g = ST_GeomFromText('MULTIPOINT(7 7,8 8)', 4326) WHERE id = 2;
DELETE FROM geo.shapes WHERE id = 3;
CREATE TABLE geo.later (id int PRIMARY KEY, pt point REF_SYSTEM_ID=4326 NOT NULL, shape geometry) ENGINE=InnoDB;
INSERT INTO geo.later VALUES (1, ST_GeomFromText('POINT(12.49 41.89)', 4326), ST_GeomFromText('POINT(0 0)')),
                             (2, ST_GeomFromText('POINT(-122.42 37.77)', 4326), NULL);
ALTER TABLE geo.shapes ADD COLUMN extra point NULL;
UPDATE geo.shapes SET extra = ST_GeomFromText('POINT(5 6)') WHERE id = 10;
SQL
my ($file, $pos) = $my->binlog_position;
for my $db ('gis', 'nogis')
{
	ok($node->poll_query_until($db,
			"SELECT applied_file = '$file' AND applied_position >= $pos FROM chameleon.status"),
		"$db: caught up");
}
is(pg_one('gis', "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                  WHERE attrelid = 'geo.later'::regclass AND attname = 'pt'"),
	'geometry(Point,4326)', 'a streamed CREATE TABLE: geometry(Point,4326)');
is(pg_one('gis', "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                  WHERE attrelid = 'geo.shapes'::regclass AND attname = 'extra'"),
	'geometry(Point)', 'a streamed ADD COLUMN: geometry(Point)');

# PostGIS reads the bytea of the database without it as it is
$node->safe_psql('nogis', 'CREATE EXTENSION postgis');

my %cols = (shapes => [qw(g p ls poly mp mls mpoly gc extra)], later => [qw(pt shape)]);
for my $t (sort keys %cols)
{
	for my $c (@{ $cols{$t} })
	{
		my $mine = $my->sql("SELECT GROUP_CONCAT(CONCAT(id, ':', IFNULL(CONCAT(HEX(ST_AsBinary($c)), '/', ST_SRID($c)), 'NULL'))
		                                          ORDER BY id SEPARATOR ' ') FROM geo.$t");
		is(pg_one('gis', "SELECT string_agg(id || ':' || coalesce(upper(encode(ST_AsBinary($c), 'hex')) || '/' || ST_SRID($c), 'NULL'),
		                                    ' ' ORDER BY id) FROM geo.$t"),
			$mine, "with PostGIS, $t.$c: ST_AsBinary and ST_SRID equal MariaDB's");
		is(pg_one('nogis', "SELECT string_agg(id || ':' || coalesce(upper(encode(ST_AsBinary(${c}::geometry), 'hex'))
		                                       || '/' || ST_SRID(${c}::geometry), 'NULL'), ' ' ORDER BY id) FROM geo.$t"),
			$mine, "bytea (EWKB), $t.$c: ST_AsBinary(col::geometry) and ST_SRID equal MariaDB's");
	}
}
is(pg_one('gis', 'SELECT count(*) FROM chameleon.errors'), '0', 'with PostGIS: no rejected row');
is(pg_one('nogis', 'SELECT count(*) FROM chameleon.errors'), '0', 'bytea: no rejected row');

# binlog_rows shows the values the stream applies
like(pg_one('gis', "SET pg_chameleon.config = '$conf{gis}'; SELECT string_agg(after::text, ' ')
                    FROM chameleon.binlog_rows('$file', 4, 100000) WHERE table_name = 'geo.later'"),
	qr/0101000020E6100000/i, 'binlog_rows shows the EWKB (with its SRID) of a spatial value');

# verify_tables compares spatial columns too
is(pg_one('gis', "SELECT string_agg(mysql_table || ':' || status, ',' ORDER BY mysql_table) FROM chameleon.verify_tables()"),
	'later:equal,shapes:equal', 'verify_tables: equal, with PostGIS');

done_testing();
