--
-- install: CREATE EXTENSION and the objects it owns.
--
CREATE EXTENSION pg_chameleon;

SELECT extname, extversion, extnamespace::regnamespace AS schema, extrelocatable
FROM pg_extension WHERE extname = 'pg_chameleon';

-- Every member object of the extension.
SELECT pg_describe_object(classid, objid, objsubid) AS object
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_chameleon')
  AND deptype = 'e'
ORDER BY 1;

-- The state tables, and that pg_dump keeps their rows.
SELECT c.relname, c.relkind
FROM pg_class c
WHERE c.relnamespace = 'sch_chameleon'::regnamespace AND c.relkind = 'r'
ORDER BY 1;

SELECT unnest(extconfig)::regclass AS dumped_table
FROM pg_extension WHERE extname = 'pg_chameleon'
ORDER BY 1;

-- Only superusers may call the functions (they read a file holding a password).
SELECT p.oid::regprocedure AS function,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
FROM pg_proc p
WHERE p.pronamespace = 'chameleon'::regnamespace
ORDER BY 1;

-- DROP EXTENSION leaves nothing behind: both schemas belong to the extension.
DROP EXTENSION pg_chameleon;
SELECT nspname FROM pg_namespace WHERE nspname IN ('chameleon', 'sch_chameleon');
CREATE EXTENSION pg_chameleon;

-- Roles and security: who may call what, which functions run as the owner.
SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = 'chameleon_admin';
SELECT p.oid::regprocedure AS function,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public,
       has_function_privilege('chameleon_admin', p.oid, 'EXECUTE') AS admin,
       has_function_privilege('pg_monitor', p.oid, 'EXECUTE') AS monitor,
       p.prosecdef AS security_definer, p.proconfig
FROM pg_proc p
WHERE p.pronamespace = 'chameleon'::regnamespace
ORDER BY p.oid::regprocedure::text;
SELECT c.relname AS view,
       has_table_privilege('public', c.oid, 'SELECT') AS public,
       has_table_privilege('chameleon_admin', c.oid, 'SELECT') AS admin,
       has_table_privilege('pg_monitor', c.oid, 'SELECT') AS monitor
FROM pg_class c
WHERE c.relnamespace = 'chameleon'::regnamespace AND c.relkind = 'v'
ORDER BY 1;
