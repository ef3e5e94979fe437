-- demo/quickstart.sql -- the README quickstart's SQL (step 6), run by demo/run with
-- psql -v config=<path of the YAML config> -d shop.
CREATE EXTENSION IF NOT EXISTS pg_chameleon;
SELECT * FROM chameleon.check_source(:'config');
SELECT chameleon.init_replica(:'config');
SELECT chameleon.start_replica(:'config');
SELECT source, state, lag_seconds, applied_file, applied_position, last_error FROM chameleon.status;
