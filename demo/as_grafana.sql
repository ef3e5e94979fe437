-- demo/as_grafana.sql -- run by demo/run as role grafana (pg_monitor only).
SELECT source, state, lag_seconds, last_heartbeat FROM chameleon.status;
SELECT * FROM chameleon.tables;
