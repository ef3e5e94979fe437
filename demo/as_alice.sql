-- demo/as_alice.sql -- doc/security.md's "as alice" calls, run by demo/run as role
-- alice (a member of chameleon_admin, not a superuser).  stop_replica and
-- start_replica leave the replica streaming, as the demo wants it.
SELECT * FROM chameleon.check_config();
SELECT * FROM chameleon.check_source();
SELECT * FROM chameleon.status;
SELECT chameleon.stop_replica();
SELECT chameleon.start_replica();
