--
-- worker: the SQL surface of the replica lifecycle that needs no MySQL
-- (the lifecycle itself is tested in t/030_worker.pl).
--
\getenv abs_builddir PG_ABS_BUILDDIR
\set conf :abs_builddir '/tmp_regress_configs/good_minimal.yaml'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_chameleon;
RESET client_min_messages;

-- nothing replicates yet
SELECT * FROM chameleon.status;
SELECT count(*) FROM chameleon.worker_status();

-- start before init_replica: refused, with the fix in the hint
\set VERBOSITY default
SELECT chameleon.start_replica(:'conf');

-- a source row without a start position is not initialised either
INSERT INTO sch_chameleon.t_sources (source_name, pg_schema, config_path, server_id)
VALUES ('sakila', 'sakila', :'conf', 100);
SELECT chameleon.start_replica(:'conf');
UPDATE sch_chameleon.t_sources SET state = 'initialising';
SELECT chameleon.start_replica(:'conf');
UPDATE sch_chameleon.t_sources SET state = 'stopped';

-- stop: by name or the only source; unknown names are errors
SELECT chameleon.stop_replica();
SELECT chameleon.stop_replica('sakila');
SELECT chameleon.stop_replica('nosuch');
SELECT source, state, pid, lag_seconds FROM chameleon.status;

-- two sources: stop_replica() must be told which
INSERT INTO sch_chameleon.t_sources (source_name, pg_schema, config_path, server_id)
VALUES ('world', 'world', :'conf', 101);
SELECT chameleon.stop_replica();
DELETE FROM sch_chameleon.t_sources;

-- monitoring is for pg_monitor
SELECT c.relname,
       has_table_privilege('pg_monitor', c.oid, 'SELECT') AS pg_monitor_can_read,
       has_table_privilege('public', c.oid, 'SELECT') AS public_can_read
FROM pg_class c
WHERE c.relnamespace = 'chameleon'::regnamespace AND c.relname IN ('errors', 'status', 'tables')
ORDER BY 1;
SELECT has_function_privilege('pg_monitor', 'chameleon.worker_status()', 'EXECUTE');
