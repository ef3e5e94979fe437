-- demo/stop.sql -- the README quickstart's step 7 (stop), run by demo/run stop.
SELECT chameleon.stop_replica();
