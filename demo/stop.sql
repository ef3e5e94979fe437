-- demo/stop.sql -- the README quickstart's last step, run by demo/run stop.
SELECT chameleon.stop_replica();
