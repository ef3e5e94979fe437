-- demo/roles.sql -- doc/security.md's "Roles and security" setup, run by demo/run
-- as the superuser with psql -v config=<path of the YAML config> -d shop.
-- an operator who runs the replica without being a superuser
CREATE ROLE alice LOGIN IN ROLE chameleon_admin;
ALTER ROLE alice SET pg_chameleon.config = :'config';
-- a monitoring account
CREATE ROLE grafana LOGIN IN ROLE pg_monitor;
-- an application that reads the replicated tables
CREATE ROLE app LOGIN;
GRANT USAGE ON SCHEMA shop TO app;
GRANT SELECT ON ALL TABLES IN SCHEMA shop TO app;
