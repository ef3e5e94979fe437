# 021_binlog_mysql_vectors.pl -- MySQL-only binlog formats, from byte vectors.
#
# No MySQL server can be installed here, so this test writes binlog files by
# hand, following MySQL's documented formats, and decodes them with
# chameleon.binlog_file_events/binlog_file_rows: a MySQL 8 FORMAT_DESCRIPTION
# with CRC32, PREVIOUS_GTIDS, GTID, ROWS_QUERY, v2 rows events, optional
# metadata (signedness, charsets, names, ENUM/SET labels, primary key), the
# binary JSON format (objects, arrays, every scalar, opaque DECIMAL and
# DATETIME), a CHAR longer than 255 bytes, negative TIME2, DATETIME2(3),
# DECIMAL, BIT, the handling of ignorable and unknown events, and a GTID set
# encoded for COM_BINLOG_DUMP_GTID read back as a PREVIOUS_GTIDS event.

use strict;
use warnings;

use Compress::Zlib ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('pg');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_chameleon');
my $dir = PostgreSQL::Test::Utils::tempdir();

# ---------------------------------------------------------------------------
# Writing events

my $CRC = 1;

sub packed_int
{
	my ($n) = @_;
	return chr($n) if $n < 251;
	return "\xfc" . pack('v', $n) if $n < 65536;
	return "\xfd" . substr(pack('V', $n), 0, 3) if $n < 16777216;
	return "\xfe" . pack('Q<', $n);
}

sub packed_str { return packed_int(length $_[0]) . $_[0] }

# A whole binlog: magic, then events; each event gets its header, end
# position and (when $CRC) its checksum.
sub binlog
{
	my (@events) = @_;
	my $out = "\xfebin";
	for my $ev (@events)
	{
		my ($type, $body, $flags) = @$ev;
		my $size = 19 + length($body) + ($CRC || $type == 15 ? 4 : 0);
		my $end = length($out) + $size;
		my $e = pack('V C V V V v', 1700000000, $type, 1, $size, $end, $flags // 0) . $body;
		$e .= pack('V', $CRC ? Compress::Zlib::crc32($e) : 0) if $CRC || $type == 15;
		$out .= $e;
	}
	return $out;
}

sub write_file
{
	my ($name, $bytes) = @_;
	my $path = "$dir/$name";
	open(my $fh, '>:raw', $path) or die;
	print $fh $bytes;
	close $fh;
	chmod 0644, $path;
	return $path;
}

sub fde
{
	my @post = (0) x 41;
	$post[ 2 - 1 ] = 13;     # QUERY
	$post[ 4 - 1 ] = 8;      # ROTATE
	$post[ 19 - 1 ] = 8;     # TABLE_MAP
	$post[ $_ - 1 ] = 10 for 30, 31, 32;    # rows v2
	$post[ 33 - 1 ] = 42;    # GTID
	my $body = pack('v', 4) . pack('a50', '8.0.36') . pack('V', 1700000000) . chr(19)
	  . join('', map { chr } @post) . chr($CRC ? 1 : 0);
	return [ 15, $body ];
}

my $uuid = pack('H*', '3e11fa47711711e1a7e8000c29fd2d71');

sub previous_gtids
{
	return [ 35, pack('Q<', 1) . $uuid . pack('Q<', 1) . pack('Q<Q<', 1, 6) ];
}

sub gtid
{
	my ($gno) = @_;
	return [ 33, chr(1) . $uuid . pack('Q<', $gno) . chr(2) . pack('Q<Q<', 0, 1) ];
}

sub query
{
	my ($db, $sql) = @_;
	return [ 2, pack('V V C v v', 7, 0, length $db, 0, 0) . "$db\0" . $sql ];
}

sub xid { return [ 16, pack('Q<', $_[0]) ] }

# ---------------------------------------------------------------------------
# MySQL binary JSON, written from the format description (small containers).

sub json_enc
{
	my ($v) = @_;
	my $k = $v->[0];
	return (0x04, chr(0)) if $k eq 'null';
	return (0x04, chr(1)) if $k eq 'true';
	return (0x04, chr(2)) if $k eq 'false';
	return (0x05, pack('s<', $v->[1])) if $k eq 'i16';
	return (0x07, pack('l<', $v->[1])) if $k eq 'i32';
	return (0x09, pack('q<', $v->[1])) if $k eq 'i64';
	return (0x0a, pack('Q<', $v->[1])) if $k eq 'u64';
	return (0x0b, pack('d<', $v->[1])) if $k eq 'dbl';
	return (0x0c, varlen(length $v->[1]) . $v->[1]) if $k eq 'str';
	return (0x0f, chr($v->[1]) . varlen(length $v->[2]) . $v->[2]) if $k eq 'opaque';
	return (0x00, json_container(1, @{$v}[ 1 .. $#$v ])) if $k eq 'obj';
	return (0x02, json_container(0, @{$v}[ 1 .. $#$v ])) if $k eq 'arr';
	die "unknown json node $k";
}

sub varlen
{
	my ($n) = @_;
	my $s = '';
	do { my $b = $n & 0x7f; $n >>= 7; $s .= chr($b | ($n ? 0x80 : 0)) } while $n;
	return $s;
}

sub json_container
{
	my ($is_obj, @items) = @_;
	my $count = @items;
	my $head = 4 + $count * (($is_obj ? 4 : 0) + 3);
	my ($keys, $vals, $kent, $vent) = ('', '', '', '');
	my @keyoff;
	if ($is_obj)
	{
		my $off = $head;
		for my $it (@items) { push @keyoff, $off; $off += length $it->[0] }
		$keys = join('', map { $_->[0] } @items);
		for my $i (0 .. $#items)
		{
			$kent .= pack('v v', $keyoff[$i], length $items[$i][0]);
		}
	}
	my $voff = $head + length $keys;
	for my $it (@items)
	{
		my $node = $is_obj ? $it->[1] : $it;
		my ($t, $payload) = json_enc($node);
		if ($t == 0x04 || $t == 0x05 || $t == 0x06)
		{
			$vent .= chr($t) . substr($payload . "\0\0", 0, 2);
		}
		else
		{
			$vent .= chr($t) . pack('v', $voff + length $vals);
			$vals .= $payload;
		}
	}
	my $size = $head + length($keys) + length($vals);
	return pack('v v', $count, $size) . $kent . $vent . $keys . $vals;
}

sub json_value
{
	my ($t, $p) = json_enc($_[0]);
	return chr($t) . $p;
}

# DECIMAL binary: -1234.5678 as DECIMAL(10,4); 12.34 as DECIMAL(4,2)
my $dec_neg = pack('C*', map { $_ ^ 0xff } (0x80, 0x04, 0xd2, 0x16, 0x2e));
my $dec_json = chr(4) . chr(2) . pack('C*', 0x8c, 0x22);

# packed DATETIME for the JSON opaque value 2024-01-02 03:04:05.5
my $ymd = ((2024 * 13 + 1) << 5) | 2;
my $hms = (3 << 12) | (4 << 6) | 5;
my $dt_packed = pack('q<', ((($ymd << 17) | $hms) << 24) + 500000);

my $doc = [ 'obj',
	[ 'a', [ 'arr', ['i16', 1], ['i16', -2], ['dbl', 3.5], ['str', 's'], ['null'], ['true'], ['false'] ] ],
	[ 'b', [ 'obj', [ 'c', ['str', "\xc3\xbc"] ], [ 'big', ['i64', 4294967296] ],
			[ 'n', ['i32', -70000] ], [ 'u', ['u64', 18446744073709551615] ],
			[ 'q', ['str', "say \"hi\"\n"] ] ] ],
	[ 'd', [ 'opaque', 246, $dec_json ] ],
	[ 't', [ 'opaque', 12, $dt_packed ] ],
	[ 'f', ['dbl', 2.0] ] ];
my $json_bin = json_value($doc);
my $json_expected = '{"a": [1, -2, 3.5, "s", null, true, false], '
  . '"b": {"c": "ü", "big": 4294967296, "n": -70000, "u": 18446744073709551615, "q": "say \"hi\"\n"}, '
  . '"d": 12.34, "t": "2024-01-02 03:04:05.500000", "f": 2.0}';

# ---------------------------------------------------------------------------
# The table: id int, u bigint unsigned, j json, e enum, s set, t time,
# dt datetime(3), v varchar(300) utf8mb4, c char(255) utf8mb4, g geometry,
# d decimal(10,4), b bit(10)

my @types = (3, 8, 245, 254, 254, 19, 18, 15, 254, 255, 246, 16);
my $meta = join('',
	chr(4),                    # json: 4 length bytes
	"\xf7\x01",                # enum, 1 byte
	"\xf8\x01",                # set, 1 byte
	chr(0),                    # time(0)
	chr(3),                    # datetime(3)
	pack('v', 1200),           # varchar(300) utf8mb4
	"\xce\xfc",                # char(255) utf8mb4: 1020 bytes, high bits in byte 0
	chr(4),                    # geometry
	"\x0a\x04",                # decimal(10,4)
	"\x02\x01");               # bit(10): 2 bits + 1 byte
my @colnames = qw(id u j e s t dt v c g d b);

sub tlv { return chr($_[0]) . packed_str($_[1]) }

my $optional = join('',
	tlv(1, chr(0x40)),                                  # signed, unsigned, signed
	tlv(2, packed_int(255) . chr(2) . chr(63)),        # utf8mb4_0900_ai_ci; geometry binary
	tlv(4, join('', map { packed_str($_) } @colnames)),
	tlv(5, chr(3) . join('', map { packed_str($_) } qw(x y z))),
	tlv(6, chr(3) . join('', map { packed_str($_) } qw(a bb ccc))),
	tlv(8, chr(0)),
	tlv(99, 'a future field'));

sub table_map
{
	my $body = substr(pack('Q<', 77), 0, 6) . pack('v', 1)
	  . chr(2) . "db\0" . chr(3) . "tbl\0"
	  . packed_int(scalar @types) . join('', map { chr } @types)
	  . packed_str($meta)
	  . pack('v', 0xfffe)                               # all nullable but id
	  . $optional;
	return [ 19, $body ];
}

sub rows_v2
{
	my ($type, $bitmaps, $rows) = @_;
	return [ $type, substr(pack('Q<', 77), 0, 6) . pack('v', 1) . pack('v', 2)
		  . packed_int(scalar @types) . $bitmaps . $rows ];
}

# TIME2 -01:02:03, DATETIME2(3) 2024-02-29 13:14:15.123
my $time_neg = substr(pack('N', 0x800000 - ((1 << 12) | (2 << 6) | 3)), 1, 3);
my $dt_int = ((((2024 * 13 + 2) << 5) | 29) << 17) | ((13 << 12) | (14 << 6) | 15);
my $dt3 = substr(pack('Q>', $dt_int + (1 << 39)), 3, 5) . pack('n', 1230);
my $char_val = 'wide ' x 60;     # 300 bytes: needs the 2-byte length of a 1020-byte CHAR
my $geom = pack('V', 0) . pack('H*', '0101000000000000000000f03f0000000000000040');

my $row1 = "\x00\x00"                                  # no NULLs
  . pack('l<', -5)
  . pack('Q<', 18446744073709551615)
  . pack('V', length $json_bin) . $json_bin
  . chr(2)                                             # enum 'bb'
  . chr(0b101)                                         # set {x,z}
  . $time_neg
  . $dt3
  . pack('v', length "mysql \xe2\x9c\x93") . "mysql \xe2\x9c\x93"
  . pack('v', length $char_val) . $char_val
  . pack('V', length $geom) . $geom
  . $dec_neg
  . pack('n', 0b1000000001);

my $all = "\xff\x0f";
my $insert = rows_v2(30, $all, $row1);
# UPDATE: before image (id only), after image (id, u, j = NULL)
my $update = rows_v2(31, "\x01\x00" . "\x07\x00",
	"\x00" . pack('l<', -5) . "\x04" . pack('l<', -5) . pack('Q<', 1));
my $delete = rows_v2(32, "\x01\x00", "\x00" . pack('l<', -5));

my @events = (
	fde(), previous_gtids(), gtid(6), query('db', 'BEGIN'),
	[ 29, chr(21) . 'INSERT INTO tbl VALUES (...)' ],
	table_map(), $insert, xid(10),
	gtid(7), query('db', 'BEGIN'), table_map(), $update, table_map(), $delete, xid(11),
	[ 99, 'ignorable future event', 0x0080 ],
	[ 4, pack('Q<', 4) . 'binlog.000002' ]);

my $file = write_file('mysql8.bin', binlog(@events));

# ---------------------------------------------------------------------------
# Events

my $ev = $node->safe_psql('postgres',
	"SELECT event_type, coalesce(gtid, ''), coalesce(table_name, ''), coalesce(summary, '')
	   FROM chameleon.binlog_file_events('$file') ORDER BY position");
my @ev = map { [ split /\|/ ] } split /\n/, $ev;
is($ev[0][3], 'Server ver: 8.0.36, Binlog ver: 4, checksum: CRC32', 'MySQL 8 format description');
is($ev[1][3], '[3e11fa47-7117-11e1-a7e8-000c29fd2d71:1-5]', 'previous GTIDs as a GTID set');
is($ev[2][1], '3e11fa47-7117-11e1-a7e8-000c29fd2d71:6', 'MySQL GTID');
is($ev[4][0], 'Rows_query', 'rows query event');
is($ev[4][3], 'INSERT INTO tbl VALUES (...)', 'rows query text');
is($ev[5][2], 'db.tbl', 'table map names its table');
is($ev[6][0], 'Write_rows', 'v2 write rows');
is($ev[6][1], '3e11fa47-7117-11e1-a7e8-000c29fd2d71:6', 'row event inside its GTID');
is($ev[8][1], '3e11fa47-7117-11e1-a7e8-000c29fd2d71:7', 'next transaction, next GTID');
is($ev[15][0], 'Unknown', 'an ignorable unknown event is listed and skipped');
is($ev[16][3], 'binlog.000002:4', 'rotate');

# ---------------------------------------------------------------------------
# Rows

my $rows = $node->safe_psql('postgres',
	"SELECT operation, before, after FROM chameleon.binlog_file_rows('$file') ORDER BY position");
my @r = map { [ split /\|/, $_, 3 ] } split /\n/, $rows;
is(scalar @r, 3, 'three row changes');

my $check = $node->safe_psql('postgres', qq{
	WITH r AS (SELECT after FROM chameleon.binlog_file_rows('$file') WHERE operation = 'insert')
	SELECT (after->>'j')::jsonb = \$json\$$json_expected\$json\$::jsonb,
	       after->>'id', after->>'u', after->>'e', after->>'s', after->>'t', after->>'dt',
	       after->>'v', length(after->>'c'), after->>'g', after->>'d', after->>'b'
	  FROM r});
my @c = split /\|/, $check;
is($c[0], 't', 'binary JSON decodes to the same document');
is($c[1], '-5', 'signed int');
is($c[2], '18446744073709551615', 'bigint unsigned from the signedness metadata');
is($c[3], 'bb', 'enum label from the metadata');
is($c[4], '{x,z}', 'set labels from the metadata');
is($c[5], '-01:02:03', 'negative TIME2');
is($c[6], '2024-02-29 13:14:15.123', 'DATETIME2(3)');
is($c[7], 'mysql ✓', 'varchar with a 2-byte length, utf8mb4');
is($c[8], '300', 'CHAR(255) utf8mb4 (1020 bytes, 2-byte length)');
is($c[9], '\x0101000000000000000000f03f0000000000000040', 'geometry (SRID 0) as EWKB: plain WKB');
is($c[10], '-1234.5678', 'negative DECIMAL(10,4)');
is($c[11], '1000000001', 'BIT(10)');

my $json_text = $node->safe_psql('postgres',
	"SELECT after->>'j' FROM chameleon.binlog_file_rows('$file') WHERE operation = 'insert'");
like($json_text, qr/"f": 2\.0/, 'a JSON double keeps MySQL\'s 2.0 form');

is($r[1][0], 'update', 'update');
is($r[1][1], '{"id": "-5"}', 'update before image: the key only');
is($r[1][2], '{"j": null, "u": "1", "id": "-5"}', 'update after image: present columns, NULL');
is($r[2][0] . ' ' . $r[2][1], 'delete {"id": "-5"}', 'delete');

# ---------------------------------------------------------------------------
# MySQL 8.0.20+ binlog_transaction_compression: TRANSACTION_PAYLOAD events
# hold the transaction's events, zstd-compressed or plain, without checksums.

sub inner_events
{
	my $out = '';
	for my $ev (@_)
	{
		my ($type, $body) = @$ev;
		my $size = 19 + length $body;
		$out .= pack('V C V V V v', 1700000000, $type, 1, $size, 0, 0) . $body;
	}
	return $out;
}

sub payload_field { return packed_int($_[0]) . packed_str(packed_int($_[1])) }

my $inner = inner_events(query('db', 'BEGIN'), table_map(), $insert, xid(12));
my $inner_file = write_file('inner.raw', $inner);
system('zstd', '-q', '-f', '-o', "$inner_file.zst", $inner_file) == 0
  or die 'zstd failed';
open(my $zfh, '<:raw', "$inner_file.zst") or die;
my $zstd = do { local $/; <$zfh> };
close $zfh;

my $compressed_payload = [ 40,
	payload_field(2, 0) . payload_field(3, length $inner)
	  . payload_field(1, length $zstd) . chr(0) . $zstd ];
my $plain_payload = [ 40, payload_field(1, length $inner) . chr(0) . $inner ];

for my $case ([ 'zstd', $compressed_payload ], [ 'uncompressed', $plain_payload ])
{
	my ($name, $payload) = @$case;
	my $pf = write_file("payload-$name.bin",
		binlog(fde(), gtid(20), $payload, [ 4, pack('Q<', 4) . 'binlog.000003' ]));
	my $pev = $node->safe_psql('postgres',
		"SELECT string_agg(event_type || '#' || position, ' ' ORDER BY ordinality)
		   FROM chameleon.binlog_file_events('$pf') WITH ORDINALITY");
	like($pev, qr/^Format_desc#4 Gtid#\d+ Transaction_payload#(\d+) Query#\1 Table_map#\1 Write_rows#\1 Xid#\1 Rotate#\d+$/,
		"$name transaction payload: its events come out at its position");
	is($node->safe_psql('postgres',
		"SELECT operation || ' ' || (after->>'d') || ' ' || (after->>'e')
		   FROM chameleon.binlog_file_rows('$pf')"),
		'insert -1234.5678 bb', "$name transaction payload: rows decode");
}

# damaged payload: an inner event size that runs past the payload
(my $bad_inner = $inner) =~ s/^(.{9})..../$1 . pack('V', 100000)/se;
my $badpf = write_file('payload-bad.bin',
	binlog(fde(), [ 40, payload_field(1, length $bad_inner) . chr(0) . $bad_inner ]));
my ($pr, $po, $pe) = $node->psql('postgres',
	"SELECT * FROM chameleon.binlog_file_events('$badpf')");
like($pe, qr/invalid event size 100000 inside a transaction payload/, 'a damaged payload is an error');

# ---------------------------------------------------------------------------
# Damage

# an unknown event not flagged ignorable
my $bad = write_file('unknown.bin', binlog(fde(), [ 99, 'what is this' ]));
my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT * FROM chameleon.binlog_file_events('$bad')");
like($err, qr/unknown binlog event type 99/, 'an unknown event is an error');
like($err, qr/at binlog unknown\.bin:\d+/, 'naming its position');

# JSON whose value offset points outside the document
my $broken = $json_bin;
substr($broken, 1 + 4 + 5 * 4 + 1, 2) = pack('v', 60000);
(my $row_bad = $row1) =~ s/\Q$json_bin\E/$broken/;
my $badjson = write_file('badjson.bin',
	binlog(fde(), table_map(), rows_v2(30, $all, $row_bad)));
($ret, $out, $err) = $node->psql('postgres',
	"SELECT * FROM chameleon.binlog_file_rows('$badjson')");
like($err, qr/invalid binary JSON value/, 'damaged JSON is an error');
like($err, qr/decoding column j of table db\.tbl/, 'naming the column');

# a rows event whose row runs past the event
my $short = write_file('short.bin',
	binlog(fde(), table_map(), rows_v2(30, $all, substr($row1, 0, 40))));
($ret, $out, $err) = $node->psql('postgres',
	"SELECT * FROM chameleon.binlog_file_rows('$short')");
like($err, qr/binlog data is truncated/, 'a cut row is an error');

# A partial JSON update (binlog_row_value_options=PARTIAL_JSON, type 39)
# carries JSON diffs, not rows: reading rows from it is an error, never a
# silent skip (the worker calls the same check).
my $partial = write_file('partial.bin',
	binlog(fde(), table_map(), [ 39, substr(pack('Q<', 77), 0, 6) . pack('v', 1) . pack('v', 2)
		  . packed_int(scalar @types) . "\x01\x00" . "\x01\x00" . "\x00" . pack('l<', -5) ]));
($ret, $out, $err) = $node->psql('postgres',
	"SELECT * FROM chameleon.binlog_file_rows('$partial')");
isnt($ret, 0, 'a partial JSON update event is an error');
like($err, qr/Update_rows_partial at partial\.bin:\d+ cannot be decoded yet/, 'naming the event and its position');
like($err, qr/binlog_row_value_options/, 'with the setting to change');

# A GTID set as mysql_gtid_set_encode encodes it (the data that
# COM_BINLOG_DUMP_GTID sends to a MySQL source) is also the body of a
# PREVIOUS_GTIDS event: the event parser, written separately, reads the bytes
# back as the set in MySQL's normal form (uuids in byte order, intervals merged).
{
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(chameleon.mysql_gtid_set_encode(
		   '3e11fa47-7117-11e1-a7e8-000c29fd2d71:7:1-5:6,
		    00000000-0000-0000-0000-0000000000ff:2:10-12'), 'hex')");
	my $pg = write_file('gtidset.bin', binlog(fde(), [ 35, pack('H*', $hex) ]));
	is($node->safe_psql('postgres',
		"SELECT summary FROM chameleon.binlog_file_events('$pg') ORDER BY position OFFSET 1"),
		'[00000000-0000-0000-0000-0000000000ff:2:10-12,3e11fa47-7117-11e1-a7e8-000c29fd2d71:1-7]',
		'an encoded GTID set reads back as a PREVIOUS_GTIDS event');
}

# no checksum at all (binlog_checksum=NONE on MySQL)
$CRC = 0;
my $nocrc = write_file('nocrc.bin', binlog(fde(), table_map(), $insert));
is($node->safe_psql('postgres',
	"SELECT after->>'d' FROM chameleon.binlog_file_rows('$nocrc')"),
	'-1234.5678', 'events without checksums');

$node->stop;
done_testing();
