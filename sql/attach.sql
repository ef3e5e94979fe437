--
-- attach: chameleon.attach_replica() -- a replica of tables already loaded
-- into the target schema, from a binlog position: the checks made before
-- MySQL is read.
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

-- what follows reads MySQL (the columns, checked against the type map):
-- t/058_attach.pl attaches tables, checks their columns and streams into them
DROP SCHEMA sakila CASCADE;
