-- demo/grants.sql -- the MySQL user pg_chameleon connects as (README quickstart, step 3).
CREATE USER 'chameleon'@'%' IDENTIFIED BY 'change-me';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'chameleon'@'%';
GRANT SELECT, LOCK TABLES ON shop.* TO 'chameleon'@'%';
