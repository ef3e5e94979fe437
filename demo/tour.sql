-- demo/tour.sql -- the other SQL examples of README.md and doc/*.md (monitoring,
-- binlog look-through, DDL), run by demo/run against the
-- running demo replica (psql -v config=<path> -d shop); output in tour.log.
\echo ==== configuration
SELECT * FROM chameleon.check_config(:'config');
\echo ==== monitoring
SELECT * FROM chameleon.status;
SELECT * FROM chameleon.tables;
SELECT * FROM chameleon.errors;
SELECT * FROM chameleon.copy_progress;
SELECT * FROM chameleon.copy_tables;
SELECT * FROM chameleon.health;
SELECT * FROM chameleon.error_log;
\echo ==== type mapping
SELECT chameleon.map_type('int(10) unsigned');
SELECT * FROM chameleon.map_type_details('tinyint(1)', tinyint1_as_boolean => true);
SELECT * FROM chameleon.map_type_details('enum(''new'',''paid'')');
\echo ==== binlog look-through
SET pg_chameleon.config = :'config';
SELECT * FROM chameleon.binlog_events('mariadb-bin.000001', 4, max_events => 20);
SELECT * FROM chameleon.binlog_rows('mariadb-bin.000001', 4, max_events => 20);
SELECT * FROM chameleon.binlog_rows(start_gtid => '0-1-20', max_events => 5);
\echo ==== DDL translation
SELECT * FROM chameleon.translate_ddl(
  'ALTER TABLE orders ADD COLUMN gift_note varchar(200) NOT NULL AFTER id, DROP INDEX ordered_at', 'shop');
SELECT * FROM chameleon.translate_ddl_details('CREATE TABLE coupons (code char(8) PRIMARY KEY, discount decimal(5,2))', 'shop');
-- DDL the worker saw in the binlog (the demo's load adds a column)
SELECT ddl_id, binlog_file, binlog_position, status, source_sql, translation, error_message
FROM sch_chameleon.t_ddl ORDER BY ddl_id;
