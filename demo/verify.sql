-- demo/verify.sql -- the demo's comparison of MySQL and PostgreSQL (demo/run):
-- every replicated table, each chunk at one binlog position on both sides.
SELECT mysql_table, status, mysql_rows, pg_rows, mysql_checksum, pg_checksum
  FROM chameleon.verify_tables() ORDER BY mysql_table;
