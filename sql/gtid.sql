--
-- gtid: MySQL GTID sets as pg_chameleon sends them to a MySQL source.
--
-- No MySQL server runs here, so the bytes are checked against vectors written
-- by hand from MySQL's documentation: Gtid_set::encode (n_sids int8, then per
-- sid its 16-byte uuid, n_intervals int8 and each interval's start and
-- exclusive end as int8, all little-endian; sids in uuid byte order,
-- intervals sorted and merged) and COM_BINLOG_DUMP_GTID (0x1e, flags int2,
-- server-id int4, binlog-filename-len int4, binlog-filename, binlog-pos int8,
-- data-size int4, data; flags 0x01 BINLOG_DUMP_NON_BLOCK, 0x04
-- BINLOG_THROUGH_GTID).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_chameleon;
RESET client_min_messages;

\set u1 '3e11fa47-71ca-11e1-9e33-c80aa9429562'
\set u2 '00000000-0000-0000-0000-0000000000ff'

-- one uuid, one interval 1-5: the end is exclusive (6)
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':1-5') = decode(
       '0100000000000000'                   -- n_sids 1
    || '3e11fa4771ca11e19e33c80aa9429562'   -- sid
    || '0100000000000000'                   -- n_intervals 1
    || '0100000000000000' || '0600000000000000', 'hex') AS one_interval;

-- a single number n is the interval [n, n+1)
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':7') = decode(
       '0100000000000000' || '3e11fa4771ca11e19e33c80aa9429562'
    || '0100000000000000' || '0700000000000000' || '0800000000000000', 'hex') AS single_number;

-- several intervals, in order
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':1-5:7:9-300') = decode(
       '0100000000000000' || '3e11fa4771ca11e19e33c80aa9429562'
    || '0300000000000000'
    || '0100000000000000' || '0600000000000000'
    || '0700000000000000' || '0800000000000000'
    || '0900000000000000' || '2d01000000000000', 'hex') AS three_intervals;

-- the normal form: intervals sorted, overlapping and adjacent ones merged
-- (7, 1-5, 6, 3-4 is 1-7), so equal sets encode to equal bytes
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':7:1-5:6:3-4') = decode(
       '0100000000000000' || '3e11fa4771ca11e19e33c80aa9429562'
    || '0100000000000000' || '0100000000000000' || '0800000000000000', 'hex') AS merged;

-- several uuids: in uuid byte order, whatever the text's order; whitespace
-- and newlines after commas, as @@gtid_executed prints them
SELECT chameleon.mysql_gtid_set_encode(:'u1' || E':1-3,\n  ' || :'u2' || ':2') = decode(
       '0200000000000000'
    || '000000000000000000000000000000ff' || '0100000000000000'
    || '0200000000000000' || '0300000000000000'
    || '3e11fa4771ca11e19e33c80aa9429562' || '0100000000000000'
    || '0100000000000000' || '0400000000000000', 'hex') AS two_uuids_sorted;

-- the same uuid twice is one sid; upper case and the 32-digit form are the same uuid
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':1-3,3E11FA4771CA11E19E33C80AA9429562:4-5')
     = chameleon.mysql_gtid_set_encode(:'u1' || ':1-5') AS same_uuid_joined;

-- the largest transaction number MySQL allows (2^63 - 2): end 2^63 - 1
SELECT encode(chameleon.mysql_gtid_set_encode(:'u1' || ':9223372036854775806'), 'hex') AS largest;

-- COM_BINLOG_DUMP_GTID for 'u1:1-5', server id 42, non-blocking
SELECT chameleon.mysql_binlog_dump_gtid_command(:'u1' || ':1-5', 42, true) = decode(
       '1e'                                 -- COM_BINLOG_DUMP_GTID
    || '0500'                               -- flags: NON_BLOCK | THROUGH_GTID
    || '2a000000'                           -- server id 42
    || '00000000'                           -- binlog-filename-len 0 (no name)
    || '0400000000000000'                   -- binlog-pos 4
    || '30000000'                           -- data-size 48
    || '0100000000000000' || '3e11fa4771ca11e19e33c80aa9429562'
    || '0100000000000000' || '0100000000000000' || '0600000000000000', 'hex') AS dump_command;

-- blocking (a replica that waits for new events): flags THROUGH_GTID only
SELECT encode(substr(chameleon.mysql_binlog_dump_gtid_command(:'u1' || ':1-5', 4294967295, false), 1, 7), 'hex')
    AS blocking_header;

-- bad input: each is a clear error
SELECT chameleon.mysql_gtid_set_encode('');
SELECT chameleon.mysql_gtid_set_encode(E' \n ');
SELECT chameleon.mysql_gtid_set_encode('not-a-uuid:1-5');
SELECT chameleon.mysql_gtid_set_encode('3e11fa47-71ca-11e1-9e33-c80aa942956:1-5');
SELECT chameleon.mysql_gtid_set_encode('3e11fa47-71ca-11e1-9e33-c80aa942956g:1-5');
SELECT chameleon.mysql_gtid_set_encode('3e11fa4771ca-11e1-9e33-c80aa9429562a:1-5');
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':5-3');
SELECT chameleon.mysql_gtid_set_encode(:'u1');
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':');
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':1-');
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':0-3');
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':9223372036854775807');
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':1-5,');
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':1-5;7');
SELECT chameleon.mysql_gtid_set_encode(':1-5');
SELECT chameleon.mysql_gtid_set_encode(:'u1' || ':tag_1:1-5');
SELECT chameleon.mysql_binlog_dump_gtid_command(:'u1' || ':1-5', -1, true);
SELECT chameleon.mysql_binlog_dump_gtid_command(:'u1' || ':1-5', 4294967296, true);
