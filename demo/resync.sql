-- demo/resync.sql -- the calls of doc/resync.md ("Resync, add and remove tables"), run
-- by demo/run while the replica streams.
SELECT chameleon.sync_tables(ARRAY['orders']);
SELECT chameleon.remove_tables(ARRAY['order_lines']);
SELECT chameleon.add_tables(ARRAY['order_lines'], 'shop');
SELECT mysql_table, state, copied_rows FROM chameleon.tables ORDER BY mysql_table;
