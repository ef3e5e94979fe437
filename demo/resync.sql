-- demo/resync.sql -- the README's "Resync, add and remove tables" calls, run
-- by demo/run while the replica streams.
SELECT chameleon.sync_tables(ARRAY['orders']);
SELECT chameleon.remove_tables(ARRAY['order_lines']);
SELECT chameleon.add_tables(ARRAY['order_lines'], 'shop');
SELECT mysql_table, state, copied_rows FROM chameleon.tables ORDER BY mysql_table;
