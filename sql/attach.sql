--
-- attach: chameleon.attach_replica() -- a replica of tables already loaded
-- into the target schema, from a binlog position (streaming from it is
-- tested in the t/ tests that use ChameleonReplica::init_by_hand).
--
\getenv abs_builddir PG_ABS_BUILDDIR
\set conf :abs_builddir '/tmp_regress_configs/good_minimal.yaml'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_chameleon;
RESET client_min_messages;
\set VERBOSITY default

-- a position is required, and must be one
SELECT chameleon.attach_replica(NULL, 4, :'conf');
SELECT chameleon.attach_replica('mysql-bin.000001', 3, :'conf');
SELECT chameleon.attach_replica('', 4, :'conf');

-- the schema (pg_schema, default my_database) must exist and hold tables
SELECT chameleon.attach_replica('mysql-bin.000001', 4, :'conf');
CREATE SCHEMA sakila;
SELECT chameleon.attach_replica('mysql-bin.000001', 4, :'conf');

-- every ordinary or partitioned table of the schema is attached, nothing else
CREATE TABLE sakila.actor (actor_id integer PRIMARY KEY, name text);
CREATE TABLE sakila.film (film_id integer PRIMARY KEY, title text);
CREATE TABLE sakila.rental (id integer, at date) PARTITION BY RANGE (at);
CREATE TABLE sakila.rental_2005 PARTITION OF sakila.rental
    FOR VALUES FROM ('2005-01-01') TO ('2006-01-01');
CREATE VIEW sakila.actor_names AS SELECT name FROM sakila.actor;
CREATE SEQUENCE sakila.s;
SELECT chameleon.attach_replica('mysql-bin.000001', 4, :'conf');
SELECT source, state, applied_file, applied_position FROM chameleon.status;
SELECT source, mysql_table, pg_schema, pg_table, state FROM chameleon.tables ORDER BY 2;

-- a second attach of the same MySQL database is refused
SELECT chameleon.attach_replica('mysql-bin.000002', 4, :'conf');

DROP SCHEMA sakila CASCADE;
DELETE FROM sch_chameleon.t_sources;
