-- install: the extension installs into its schemas and uninstalls cleanly.
CREATE EXTENSION pg_chameleon;

SELECT extname, extversion, extnamespace::regnamespace AS schema
FROM pg_extension WHERE extname = 'pg_chameleon';

SELECT c.relname
FROM pg_class c
WHERE c.relnamespace = 'sch_chameleon'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname;

-- the state tables are dumped with the data (pg_extension_config_dump)
SELECT count(*) AS dumped_tables
FROM pg_extension, unnest(extconfig) AS t(oid)
WHERE extname = 'pg_chameleon';

-- the API is not callable by PUBLIC
SELECT has_function_privilege('public', 'chameleon.check_source(text)', 'EXECUTE') AS public_can_check_source;

-- DROP EXTENSION removes the state schema; the API schema "chameleon" is
-- created by CREATE EXTENSION from the control file and is not a member.
DROP EXTENSION pg_chameleon;
SELECT nspname AS remaining_schema
FROM pg_namespace WHERE nspname IN ('chameleon', 'sch_chameleon')
ORDER BY nspname;
DROP SCHEMA chameleon;
