# 020_binlog_decode.pl -- the binlog parser and row decoder against an oracle.
#
# A throwaway MariaDB writes binlogs in several variants (CRC32 and NONE
# checksums, log_bin_compress, binlog_row_image=MINIMAL, row metadata FULL and
# NO_LOG); chameleon.binlog_file_rows() decodes each file and every value is
# compared with what `mariadb-binlog -vv --base64-output=decode-rows` prints
# for it (a decoder no one here wrote), and the inserted rows with SELECT.
# Damaged files must give errors, never a crash.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use Encode qw(encode decode);
use File::Copy qw(copy);
use Time::HiRes ();
use Time::Local qw(timegm);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;

my $my = ChameleonMariaDB->new(name => 'source',
	extra => [ '--binlog-row-metadata=FULL', '--binlog-checksum=CRC32' ]);
$my->start;

my $node = PostgreSQL::Test::Cluster->new('pg');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_chameleon');

# ---------------------------------------------------------------------------
# The table with every type, and the data written in each binlog variant.

my @columns = (
	[ id => 'int NOT NULL PRIMARY KEY' ],
	[ ti => 'tinyint' ], [ tiu => 'tinyint unsigned' ],
	[ si => 'smallint' ], [ siu => 'smallint unsigned' ],
	[ mi => 'mediumint' ], [ miu => 'mediumint unsigned' ],
	[ i => 'int' ], [ iu => 'int unsigned' ],
	[ bi => 'bigint' ], [ biu => 'bigint unsigned' ],
	[ d1 => 'decimal(10,2)' ], [ d2 => 'decimal(30,10) unsigned' ],
	[ d3 => 'decimal(5,0)' ], [ d4 => 'decimal(65,30)' ],
	[ f => 'float' ], [ db => 'double' ],
	[ b1 => 'bit(1)' ], [ b13 => 'bit(13)' ], [ b64 => 'bit(64)' ],
	[ y => 'year' ], [ dt => 'date' ],
	[ t0 => 'time' ], [ t6 => 'time(6)' ], [ t3 => 'time(3)' ], [ t1 => 'time(1)' ],
	[ dt0 => 'datetime' ], [ dt6 => 'datetime(6)' ], [ dt2 => 'datetime(2)' ],
	[ ts0 => 'timestamp NULL' ], [ ts6 => 'timestamp(6) NULL' ], [ ts4 => 'timestamp(4) NULL' ],
	[ c10 => 'char(10)' ], [ cl => 'char(5) CHARACTER SET latin1' ],
	[ c300 => 'char(255)' ],
	[ vc => 'varchar(300)' ], [ vcs => 'varchar(10)' ],
	[ vcl => 'varchar(20) CHARACTER SET latin1' ],
	[ bin4 => 'binary(4)' ], [ vbin => 'varbinary(10)' ],
	[ tt => 'tinytext' ], [ tx => 'text' ], [ mt => 'mediumtext' ], [ lt => 'longtext' ],
	[ tb => 'tinyblob' ], [ bl => 'blob' ], [ mb => 'mediumblob' ], [ lb => 'longblob' ],
	[ e => "enum('a','bb','ccc')" ], [ s => "set('x','y','z','with space')" ],
	[ j => 'json' ], [ g => 'geometry' ],
	[ u => 'uuid' ], [ i6 => 'inet6' ], [ i4 => 'inet4' ]);
my @names = map { $_->[0] } @columns;
my %ordinal = map { $names[$_] => $_ + 1 } 0 .. $#names;
my %latin1 = map { $_ => 1 } qw(cl vcl);
my %labels = (e => [ 'a', 'bb', 'ccc' ], s => [ 'x', 'y', 'z', 'with space' ]);
my %table_cols;    # table => its column names, filled below

$my->sql('CREATE DATABASE t1 CHARACTER SET utf8mb4');
$my->sql(
	'CREATE TABLE alltypes ('
	  . join(', ', map { "$_->[0] $_->[1]" } @columns)
	  . ') ENGINE=InnoDB',
	database => 't1');
$my->sql('CREATE TABLE small (a int unsigned, b varchar(100), c text) ENGINE=InnoDB',
	database => 't1');

my $row1 = q{(1,
 -128,255,-32768,65535,-8388608,16777215,-2147483648,4294967295,-9223372036854775808,18446744073709551615,
 -12345678.90, 12345678901234567890.0123456789, -99999,
 -12345678901234567890123456789012345.123456789012345678901234567890,
 1.5, -2.2250738585072014e-308, b'1', b'1010101010101', 0xffffffffffffffff,
 1901, '2024-02-29', '-838:59:59', '-12:34:56.000001', '-00:00:00.500', '-01:00:00.9',
 '9999-12-31 23:59:59', '2024-01-02 03:04:05.678901', '2024-01-02 03:04:05.67',
 '2038-01-19 03:14:07', '1970-01-01 00:00:01.000001', '2001-02-03 04:05:06.7891',
 'héllo', 'çé', REPEAT('ü', 255), REPEAT('x',300), '😀emoji', 'latïn',
 0x00010000, 0x0000,
 'tiny', 'text ☃ with ''quote'' and \\\\ backslash', 'medium', 'long',
 0x00ff, 0xdeadbeef, '', 0x00,
 'ccc', 'x,z,with space', '{"a": [1, 2.5, "s", null, true], "b": {"c": "ü"}}',
 ST_GeomFromText('POINT(1 2)'), '123e4567-e89b-12d3-a456-426614174000', '2001:db8::1', '192.168.0.1')};
my $row3 = q{(3,
 127,0,32767,0,8388607,0,2147483647,0,9223372036854775807,0,
 0.00, 0, 0, 0.000000000000000000000000000001,
 -3.4e38, 1.7976931348623157e308, b'0', b'0', b'0',
 2155, '1000-01-01', '838:59:59', '00:00:00', '00:00:00.001', '00:00:00.1',
 '1000-01-01 00:00:00', '1000-01-01 00:00:00.000000', '1000-01-01 00:00:00.01',
 '1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', '1999-12-31 23:59:59.9999',
 '', '', '', '', '', '',
 0x61, 0x00,
 '', '', '', '',
 '', '', '', '',
 'a', '', 'null', NULL, '00000000-0000-0000-0000-000000000000', '::', '0.0.0.0')};

# Writes one batch of changes; returns nothing.
sub write_changes
{
	my ($session) = @_;
	$session //= '';
	$my->sql("SET time_zone = '+00:00'; $session; SET sql_mode = '';
		INSERT INTO alltypes VALUES $row1;
		INSERT INTO alltypes (id) VALUES (2);
		INSERT INTO alltypes VALUES $row3;
		UPDATE alltypes SET ti = ti - 1, vc = 'upd', e = 'bb', s = 'y', j = '[1]' WHERE id = 3;
		INSERT INTO alltypes (id, d1, t6, dt, dt6, e) VALUES (4, 0.5, '-00:00:01.000000', '0000-00-00', '0000-00-00 00:00:00', 0);
		DELETE FROM alltypes WHERE id = 2;
		INSERT INTO small VALUES (4, 'a row', REPEAT('z', 200)), (5, REPEAT('x', 40), NULL);
		UPDATE small SET b = 'yy' WHERE a = 4;
		DELETE FROM small WHERE a = 5;",
		database => 't1');
	return;
}

sub reset_tables
{
	$my->sql('DELETE FROM alltypes; DELETE FROM small', database => 't1');
	return;
}

# Each variant: settings, then the file holding its changes after a flush.
my @variants = (
	[ 'crc32-full',  '', '' ],
	[ 'checksum-none', 'SET GLOBAL binlog_checksum = NONE', '' ],
	[ 'compressed', 'SET GLOBAL binlog_checksum = CRC32; SET GLOBAL log_bin_compress = ON; SET GLOBAL log_bin_compress_min_len = 10', '' ],
	[ 'minimal-image', 'SET GLOBAL log_bin_compress = OFF', 'SET SESSION binlog_row_image = MINIMAL' ],
	[ 'noblob-image', '', 'SET SESSION binlog_row_image = NOBLOB' ],
	[ 'metadata-minimal', 'SET GLOBAL binlog_row_metadata = MINIMAL', '' ],
	[ 'metadata-nolog', 'SET GLOBAL binlog_row_metadata = NO_LOG', '' ],
);

my %files;
$my->sql('FLUSH BINARY LOGS');
for my $v (@variants)
{
	my ($name, $global, $session) = @$v;
	$my->sql($global) if $global;
	$my->sql('FLUSH BINARY LOGS');
	my ($file) = $my->binlog_position;
	reset_tables() unless $name eq 'crc32-full';
	write_changes($session);
	$my->sql('FLUSH BINARY LOGS');
	$files{$name} = $my->datadir . "/$file";
}
$my->sql('SET GLOBAL binlog_row_metadata = FULL');

# ---------------------------------------------------------------------------
# The oracle: mariadb-binlog -vv --base64-output=decode-rows

sub oracle_rows
{
	my ($path) = @_;
	my $out = `mariadb-binlog -vv --base64-output=decode-rows '$path' 2>&1`;
	die "mariadb-binlog failed: $out" if $?;
	my (@rows, $cur, $image);
	for my $line (split /\n/, $out)
	{
		if ($line =~ /^### (INSERT INTO|UPDATE|DELETE FROM) `([^`]+)`\.`([^`]+)`/)
		{
			$cur = {
				op => { 'INSERT INTO' => 'insert', UPDATE => 'update', 'DELETE FROM' => 'delete' }->{$1},
				table => "$2.$3", before => undef, after => undef };
			push @rows, $cur;
		}
		elsif ($line =~ /^### (SET|WHERE)$/)
		{
			$image = {};
			if ($1 eq 'SET') { $cur->{after} = $image }
			else { $cur->{before} = $image }
		}
		elsif ($line =~ m{^###   \@(\d+)=(.*?)\s*/\* (.*) meta=(\d+) nullable=\d is_null=(\d) \*/$})
		{
			$image->{$1} = { value => $2, type => $3, null => $5 };
		}
	}
	return \@rows;
}

# Ours: one row per change, images as JSON text.
sub our_rows
{
	my ($path) = @_;
	my $out = $node->safe_psql('postgres',
		"SELECT table_name, operation, coalesce(before::text, ''), coalesce(after::text, '')
		   FROM chameleon.binlog_file_rows('$path', 100000)");
	my @rows;
	for my $line (split /\n/, $out)
	{
		my ($table, $op, $before, $after) = split /\|/, $line, 4;
		push @rows, { table => $table, op => $op,
			before => $before eq '' ? undef : parse_json_object($before),
			after => $after eq '' ? undef : parse_json_object($after) };
	}
	return \@rows;
}

# Our images are flat objects of strings/nulls: a small parser suffices.
sub parse_json_object
{
	my ($text) = @_;
	my %h;
	my $str = qr/"((?:[^"\\]|\\.)*)"/;
	while ($text =~ /$str: (?:$str|(null))/g)
	{
		my ($k, $v, $null) = ($1, $2, $3);
		$h{ json_unescape($k) } = defined $null ? undef : json_unescape($v);
	}
	return \%h;
}

sub json_unescape
{
	my ($s) = @_;
	$s =~ s/\\u([0-9a-fA-F]{4})/chr(hex($1))/ge;
	$s =~ s/\\(["\\\/])/$1/g;
	$s =~ s/\\n/\n/g;
	$s =~ s/\\t/\t/g;
	return $s;
}

# Oracle string bytes: between the quotes, \xNN for control bytes.
sub oracle_bytes
{
	my ($v) = @_;
	$v =~ s/^'(.*)'$/$1/s or return undef;
	$v =~ s/\\x([0-9a-f]{2})/chr(hex($1))/ge;
	return $v;
}

# A MySQL spatial value (SRID, then WKB) as the EWKB the replica writes.
sub ewkb
{
	my ($b) = @_;
	return $b if length($b) < 9;
	my $srid = unpack('V', substr($b, 0, 4));
	my $wkb = substr($b, 4);
	return $wkb if $srid == 0;
	my $f = ord(substr($wkb, 0, 1)) == 1 ? 'V' : 'N';
	return substr($wkb, 0, 1) . pack($f, unpack($f, substr($wkb, 1, 4)) | 0x20000000)
	  . pack($f, $srid) . substr($wkb, 5);
}

sub our_bytes
{
	my ($name, $v, $charset) = @_;
	return pack('H*', $1) if $v =~ /^\\x([0-9a-f]*)$/;
	my $chars = decode('UTF-8', $v);
	return encode($charset // 'UTF-8', $chars);
}

sub epoch_of
{
	my ($ts) = @_;
	$ts =~ /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?\+00$/ or return "bad:$ts";
	my $e = timegm($6, $5, $4, $3, $2 - 1, $1);
	return defined $7 ? "$e$7" : "$e";
}

# Does our text match the oracle's value of a column?  Returns '' or why not.
sub value_mismatch
{
	my ($name, $o, $ours, $has_meta) = @_;
	my ($ov, $type) = ($o->{value}, $o->{type});

	if ($o->{null})
	{
		return defined $ours ? "oracle NULL, ours '$ours'" : '';
	}
	if (!defined $ours)
	{
		# zero dates become NULL
		return '' if $ov =~ /^'0000[-:]00[-:]00/ || ($type =~ /^TIMESTAMP/ && $ov eq '0');
		return "ours NULL, oracle $ov";
	}
	if ($type =~ /^(TINYINT|SHORTINT|MEDIUMINT|INT|LONGINT)$/)
	{
		my ($s, $u) = $ov =~ /^(-?\d+)(?: \((\d+)\))?$/;
		return '' if $ours eq $s || (defined $u && $ours eq $u);
	}
	elsif ($type =~ /^DECIMAL/) { return '' if $ours eq $ov }
	elsif ($type eq 'FLOAT')
	{
		return '' if abs($ours - $ov) <= 1e-5 * abs($ov);
	}
	elsif ($type eq 'DOUBLE') { return '' if $ours + 0 == $ov + 0 }
	elsif ($type =~ /^BIT/) { return '' if "b'$ours'" eq $ov }
	elsif ($type eq 'YEAR') { return '' if $ours eq $ov }
	elsif ($type eq 'DATE') { (my $d = $ov) =~ tr/:/-/; return '' if "'$ours'" eq $d }
	elsif ($type =~ /^(TIME|DATETIME)(\(|$)/) { return '' if "'$ours'" eq $ov }
	elsif ($type =~ /^TIMESTAMP/) { return '' if epoch_of($ours) eq $ov }
	elsif ($type =~ /^ENUM/)
	{
		my $idx = $ov;
		return '' if !$has_meta && $ours eq $idx;
		my @l = @{ $labels{$name} // [] };
		return '' if $idx == 0 ? $ours eq '' : ($l[ $idx - 1 ] // '') eq $ours;
	}
	elsif ($type =~ /^SET/)
	{
		my ($bits) = $ov =~ /^b'([01]+)'$/;
		my @set = grep { substr($bits, -1 - $_, 1) eq '1' } 0 .. length($bits) - 1;
		my $want = $has_meta
		  ? '{' . join(',', map { my $l = $labels{$name}[$_]; $l =~ / / ? "\"$l\"" : $l } @set) . '}'
		  : '{' . join(',', map { $_ + 1 } @set) . '}';
		return '' if $ours eq $want;
	}
	else
	{
		# STRING, VARSTRING, BLOB/TEXT, GEOMETRY: compare bytes
		my $ob = oracle_bytes($ov);
		$ob = ewkb($ob) if defined $ob && $type =~ /^GEOMETRY/;
		my $mine = our_bytes($name, $ours, $latin1{$name} ? 'cp1252' : undef);
		$mine =~ s/\0+$// if $type =~ /^STRING/ && $ours =~ /^\\x/;
		return '' if defined $ob && $ob eq $mine;
	}
	return "ours '$ours', oracle $ov ($type)";
}

sub compare_file
{
	my ($variant, $path) = @_;
	my $oracle = oracle_rows($path);
	my $ours = our_rows($path);
	my $has_meta = $variant ne 'metadata-nolog';
	my $has_names = $variant !~ /^metadata-(nolog|minimal)$/;
	my $has_labels = $has_names;

	cmp_ok(scalar @$oracle, '>=', 4, "$variant: the oracle shows the row changes");
	is(scalar @$ours, scalar @$oracle,
		"$variant: as many row changes as the oracle (" . scalar(@$oracle) . ')');
	my ($values, @problems) = (0);
	for my $n (0 .. $#$oracle)
	{
		my ($o, $m) = ($oracle->[$n], $ours->[$n]);
		last unless $m;
		push @problems, "change $n: $m->{op} $m->{table} vs $o->{op} $o->{table}"
		  if $m->{op} ne $o->{op} || $m->{table} ne $o->{table};
		for my $img (qw(before after))
		{
			next unless $o->{$img} || $m->{$img};
			if (!$o->{$img} || !$m->{$img})
			{
				push @problems, "change $n: $img image missing";
				next;
			}
			my %seen;
			for my $col (sort { $a <=> $b } keys %{ $o->{$img} })
			{
				my $name = $table_cols{ $o->{table} }[ $col - 1 ];
				my $key = $has_names ? $name : "col$col";
				$seen{$key} = 1;
				if (!exists $m->{$img}{$key})
				{
					push @problems, "change $n $img: column $key missing";
					next;
				}
				my $why = value_mismatch($name, $o->{$img}{$col}, $m->{$img}{$key},
					$has_labels);
				$values++;
				push @problems, "change $n $img column $key: $why" if $why;
			}
			for my $key (keys %{ $m->{$img} })
			{
				push @problems, "change $n $img: column $key not in the oracle's image"
				  unless $seen{$key};
			}
		}
	}
	is(join("\n", @problems), '', "$variant: every value matches the oracle ($values values)");
	return $ours;
}

# Old temporal formats (mysql56_temporal_format=OFF): TIME, DATETIME and
# TIMESTAMP type codes 11, 12 and 7.
$my->sql('SET GLOBAL mysql56_temporal_format = OFF');
$my->sql('CREATE TABLE oldtemporal (id int PRIMARY KEY, t time, dt datetime, ts timestamp NULL, d date)',
	database => 't1');
$my->sql('CREATE TABLE oldfrac (id int PRIMARY KEY, dt datetime(4), t time)', database => 't1');
$my->sql('SET GLOBAL mysql56_temporal_format = ON');
$my->sql('FLUSH BINARY LOGS');
{
	my ($file) = $my->binlog_position;
	$my->sql("SET time_zone = '+00:00'; SET sql_mode = '';
		INSERT INTO oldtemporal VALUES (1, '-838:59:59', '9999-12-31 23:59:59', '2038-01-19 03:14:07', '2024-02-29'),
			(2, '12:34:56', '0000-00-00 00:00:00', '1970-01-01 00:00:01', '0000-00-00'),
			(3, NULL, '1000-01-01 00:00:00', NULL, NULL);
		UPDATE oldtemporal SET t = '-00:00:01' WHERE id = 2;", database => 't1');
	$my->sql('FLUSH BINARY LOGS');
	$files{'old-temporal'} = $my->datadir . "/$file";
	push @variants, [ 'old-temporal', '', '' ];
}
%table_cols = ('t1.alltypes' => \@names, 't1.small' => [qw(a b c)],
	't1.oldtemporal' => [qw(id t dt ts d)]);

my %decoded;
for my $v (@variants)
{
	$decoded{ $v->[0] } = compare_file($v->[0], $files{ $v->[0] });
}

# MINIMAL image: the update and delete carry only the key in the before image.
my ($min_update) = grep { $_->{op} eq 'update' && $_->{table} eq 't1.alltypes' }
  @{ $decoded{'minimal-image'} };
is_deeply([ sort keys %{ $min_update->{before} } ], ['id'],
	'minimal image: before image holds only the primary key');
ok(keys %{ $min_update->{after} } < @names, 'minimal image: after image holds changed columns only');

# compressed events are there and were read
my $compressed_events = $node->safe_psql('postgres',
	"SELECT count(*) FROM chameleon.binlog_file_events('$files{compressed}', 100000)
	  WHERE event_type LIKE '%compressed%'");
cmp_ok($compressed_events, '>=', 5, 'compressed variant holds compressed events');

# ---------------------------------------------------------------------------
# Inserted values against SELECT on the source (the canonical text forms).

my @select_exprs = map {
	my $n = $_;
	$n =~ /^(ti|tiu|si|siu|mi|miu|i|iu|bi|biu|d1|d2|d3|d4|y|id)$/ ? "CAST($n AS CHAR)"
	  : $n =~ /^b(1|13|64)$/ ? "LPAD(BIN($n), $1, '0')"
	  : $n =~ /^(dt|t0|t6|t3|t1|dt0|dt6|dt2|c10|c300|vc|vcs|tt|tx|mt|lt|e|j)$/ ? "CAST($n AS CHAR)"
	  : $n =~ /^(cl|vcl)$/ ? "CONVERT($n USING utf8mb4)"
	  : $n =~ /^(ts0|ts6|ts4)$/ ? "CONCAT(CAST($n AS CHAR), '+00')"
	  : $n eq 's' ? "CONCAT('{', REPLACE($n, 'with space', '\"with space\"'), '}')"
	  : $n =~ /^(bin4|vbin|tb|bl|mb|lb)$/ ? "CONCAT('\\\\x', LOWER(HEX($n)))"
	  # the SRID 0 point as EWKB: plain WKB, without MySQL's SRID prefix
	  : $n eq 'g' ? "CONCAT('\\\\x', LOWER(HEX(SUBSTRING($n, 5))))"
	  : $n =~ /^(u|i6|i4)$/ ? "CONCAT('\\\\x', LOWER(HEX(CAST($n AS BINARY))))"
	  : undef
} grep { $_ !~ /^(f|db)$/ } @names;
my @select_names = grep { $_ !~ /^(f|db)$/ } @names;
my ($src_row) = $my->sql_rows("SET time_zone = '+00:00'; SELECT "
	  . join(', ', map { "COALESCE($_, 'NULL')" } @select_exprs)
	  . ' FROM alltypes WHERE id = 1', database => 't1');
my ($first_insert) = grep { $_->{op} eq 'insert' && $_->{table} eq 't1.alltypes' }
  @{ $decoded{'crc32-full'} };
my @diff;
for my $k (0 .. $#select_names)
{
	my $n = $select_names[$k];
	my $want = $src_row->[$k];
	my $got = $first_insert->{after}{$n} // 'NULL';
	$want =~ s/\\\\/\\/g;    # the client escapes backslashes in batch output
	push @diff, "$n: decoded '$got', SELECT '$want'" if $got ne $want;
}
is(join("\n", @diff), '', 'inserted row decodes to the canonical text of every column');

# ---------------------------------------------------------------------------
# Events listing: GTIDs, positions chain, rotate at the end.

my $events = $node->safe_psql('postgres',
	"SELECT count(*), bool_and(position < end_position),
	        count(*) FILTER (WHERE event_type = 'Gtid'),
	        (array_agg(event_type ORDER BY position DESC))[1],
	        count(*) FILTER (WHERE event_type = 'Write_rows_v1' AND gtid IS NULL)
	   FROM chameleon.binlog_file_events('$files{'crc32-full'}', 100000)");
my ($nev, $chain, $ngtid, $last, $nogtid) = split /\|/, $events;
cmp_ok($nev, '>', 20, 'events are listed');
is($chain, 't', 'every event ends after it starts');
cmp_ok($ngtid, '>=', 9, 'one GTID event per transaction');
is($last, 'Rotate', 'a flushed binlog ends with a rotate event');
is($nogtid, '0', 'row events carry the GTID of their transaction');

is($node->safe_psql('postgres',
	"SELECT count(*) FROM chameleon.binlog_file_events('$files{'crc32-full'}', 3)"),
	'3', 'max_events limits the events read');

# ---------------------------------------------------------------------------
# The same binlogs through the replication protocol (binlog_events/binlog_rows).

my $pass = 'rep-' . int(rand(1_000_000_000));
$my->create_user('reader', $pass,
	'REPLICATION SLAVE, REPLICATION CLIENT ON *.*', 'SELECT ON t1.*');
my $conf = $my->write_config(user => 'reader', passwd => $pass, my_database => 't1');
$node->append_conf('postgresql.conf', "pg_chameleon.config = '$conf'");
$node->reload;

sub file_name { my ($p) = @_; $p =~ s{.*/}{}; return $p }

my $net_rows = $node->safe_psql('postgres',
	"SELECT table_name, operation, coalesce(before::text, ''), coalesce(after::text, '')
	   FROM chameleon.binlog_rows('" . file_name($files{'crc32-full'}) . "', 4, 100000)
	  WHERE file = '" . file_name($files{'crc32-full'}) . "'");
my $file_rows = $node->safe_psql('postgres',
	"SELECT table_name, operation, coalesce(before::text, ''), coalesce(after::text, '')
	   FROM chameleon.binlog_file_rows('$files{'crc32-full'}', 100000)");
is($net_rows, $file_rows, 'the stream decodes a binlog exactly as its file');

# the stream and the file agree on every event position
my $net_ev = $node->safe_psql('postgres',
	"SELECT position, end_position, event_type FROM chameleon.binlog_events('"
	  . file_name($files{compressed}) . "', 4, 100000)
	  WHERE file = '" . file_name($files{compressed}) . "' AND event_type NOT IN ('Rotate', 'Annotate_rows')
	    AND end_position > position");
my $file_ev = $node->safe_psql('postgres',
	"SELECT position, end_position, event_type FROM chameleon.binlog_file_events('$files{compressed}', 100000)
	  WHERE event_type NOT IN ('Rotate', 'Annotate_rows')");
is($net_ev, $file_ev, 'stream and file give the same event positions');

# without FULL metadata the stream takes names, signedness, labels and the
# UUID/INET types from information_schema
my $nolog = $node->safe_psql('postgres',
	"SELECT after->>'biu', after->>'e', after->>'s', after->>'u', after->>'i6', after->>'i4', after->>'bin4'
	   FROM chameleon.binlog_rows('" . file_name($files{'metadata-nolog'}) . "', 4, 100000)
	  WHERE table_name = 't1.alltypes' AND operation = 'insert' AND after->>'id' = '1'");
is($nolog,
	'18446744073709551615|ccc|{x,z,"with space"}|123e4567-e89b-12d3-a456-426614174000|2001:db8::1|192.168.0.1|\x00010000',
	'information_schema supplies what NO_LOG metadata lacks');

# A binlog file has no source to ask, and even FULL metadata gives MariaDB's
# UUID/INET4/INET6 only as BINARY: without help they come out as bytea hex.
# binlog_file_rows(..., source => replica) takes the replica's PostgreSQL
# tables instead: their uuid/inet columns, and the column names (by position)
# where the table map has none.
{
	my $sel = "SELECT after->>'u', after->>'i6', after->>'i4', after->>'bin4'";
	my $where = "WHERE table_name = 't1.alltypes' AND operation = 'insert' AND after->>'id' = '1'";
	is($node->safe_psql('postgres',
		"$sel FROM chameleon.binlog_file_rows('$files{'crc32-full'}', 100000) $where"),
		'\x123e4567e89b12d3a456426614174000|\x20010db8000000000000000000000001|\xc0a80001|\x00010000',
		'a file alone shows UUID/INET as the bytes of their BINARY form');

	my $pgcols = join(', ', map {
		(my $t = $_->[1]) =~ s/\s+(NOT NULL|NULL|PRIMARY KEY)//g;
		$t =~ s/'/''/g;
		"$_->[0] " . $node->safe_psql('postgres', "SELECT chameleon.map_type('$t')")
	} @columns);
	$node->safe_psql('postgres', <<"SQL");
CREATE SCHEMA t1;
CREATE TABLE t1.alltypes ($pgcols);
INSERT INTO sch_chameleon.t_sources (source_name, pg_schema, config_path, server_id)
VALUES ('t1', 't1', '$conf', 4242);
INSERT INTO sch_chameleon.t_replica_tables (source_id, mysql_table, pg_schema, pg_table, state)
SELECT source_id, 'alltypes', 't1', 'alltypes', 'copied' FROM sch_chameleon.t_sources;
SQL
	is($node->safe_psql('postgres',
		"$sel FROM chameleon.binlog_file_rows('$files{'crc32-full'}', 100000, 't1') $where"),
		'123e4567-e89b-12d3-a456-426614174000|2001:db8::1|192.168.0.1|\x00010000',
		'with source => the replica, UUID/INET come out as uuid and inet');
	is($node->safe_psql('postgres',
		"$sel FROM chameleon.binlog_file_rows('$files{'metadata-nolog'}', 100000, 't1') $where"),
		'123e4567-e89b-12d3-a456-426614174000|2001:db8::1|192.168.0.1|\x00010000',
		'... also without FULL metadata: names by position from the replica table');
	is($node->safe_psql('postgres',
		"SELECT count(*) FROM chameleon.binlog_file_rows('$files{'crc32-full'}', 100000, 't1')
		  WHERE table_name = 't1.small'"),
		$node->safe_psql('postgres',
		"SELECT count(*) FROM chameleon.binlog_file_rows('$files{'crc32-full'}', 100000)
		  WHERE table_name = 't1.small'"),
		'a table the replica does not have decodes as before');
	my ($rs, $os, $es) = $node->psql('postgres',
		"SELECT * FROM chameleon.binlog_file_rows('$files{'crc32-full'}', 10, 'nosuch')");
	like($es, qr/replica "nosuch" does not exist/, 'an unknown replica is a clear error');
	$node->safe_psql('postgres', 'DELETE FROM sch_chameleon.t_sources; DROP SCHEMA t1 CASCADE');
}

# non-blocking: the call ends at the binlog end it found when it began
# (MariaDB may still add a Binlog_checkpoint after a flush: bound it)
my ($f1, $p1) = $my->binlog_position;
my $last_end = $node->safe_psql('postgres',
	"SELECT file, max(end_position) FROM chameleon.binlog_events(NULL, NULL, 1000000)
	  GROUP BY file ORDER BY file DESC LIMIT 1");
my ($f2, $p2) = $my->binlog_position;
my ($lf, $lp) = split /\|/, $last_end;
ok($lf eq $f2 && $lp >= ($f1 eq $f2 ? $p1 : 0) && $lp <= $p2,
	"binlog_events stops at the end of the binlog ($last_end, server $f1:$p1 .. $f2:$p2)");

# once the binlog is quiet, a read starting at its end returns nothing.
# "Quiet" means unchanged for a whole second: after a restart or a flush
# MariaDB may still append events (a Binlog_checkpoint) a little later.
my ($qf, $qp) = $my->binlog_position;
my $stable = 0;
for my $try (1 .. 100)
{
	Time::HiRes::usleep(100_000);
	my ($nf, $np) = $my->binlog_position;
	if ($nf eq $qf && $np == $qp) { last if ++$stable >= 10; }
	else { $stable = 0; ($qf, $qp) = ($nf, $np); }
}
is($node->safe_psql('postgres',
	"SELECT count(*) FROM chameleon.binlog_events('$qf', $qp)"),
	'0', 'starting at the end of the binlog returns at once, with no event')
  or diag($node->safe_psql('postgres',
	"SELECT file, position, event_type FROM chameleon.binlog_events('$qf', $qp)")
	  . "\nserver now at " . join(':', $my->binlog_position));

my ($r, $o, $e) = $node->psql('postgres',
	"SELECT * FROM chameleon.binlog_events('no-such-file.000001', 4)");
like($e, qr/1236|binary log/i, 'an unknown binlog file is the server\'s error');
unlike($e, qr/\Q$pass\E/, 'the error does not show the password');

# MariaDB GTID start: the dump begins after the given GTID position, so only
# the transaction written after it comes back.
{
	my $gtid = $my->sql('SELECT @@gtid_binlog_pos');
	$my->sql("INSERT INTO small VALUES (4242, 'after gtid $gtid', NULL)", database => 't1');
	is($node->safe_psql('postgres',
		"SELECT string_agg(operation || ':' || (after->>'a'), ',')
		   FROM chameleon.binlog_rows(start_gtid => '$gtid')"),
		'insert:4242', "binlog_rows(start_gtid => '$gtid') returns only the later row");
	like($node->safe_psql('postgres',
		"SELECT string_agg(DISTINCT event_type, ',' ORDER BY event_type)
		   FROM chameleon.binlog_events(start_gtid => '$gtid')"),
		qr/Gtid.*Write_rows/, 'binlog_events from a GTID shows that transaction');
	my ($r2, $o2, $e2) = $node->psql('postgres',
		"SELECT * FROM chameleon.binlog_events(start_gtid => 'not-a-gtid')");
	like($e2, qr/invalid MariaDB GTID position/, 'a malformed GTID position is a clear error');
	($r2, $o2, $e2) = $node->psql('postgres',
		"SELECT * FROM chameleon.binlog_events('x.000001', 4, start_gtid => '$gtid')");
	like($e2, qr/either start_file and start_pos or start_gtid/, 'file and GTID together are refused');

	# a MySQL GTID set: MariaDB has no COM_BINLOG_DUMP_GTID, so this is refused
	# before any dump starts (no hang), and a malformed set is named as such
	($r2, $o2, $e2) = $node->psql('postgres',
		"SELECT * FROM chameleon.binlog_events(start_gtid => '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5')");
	like($e2, qr/a MySQL GTID set cannot start a binlog dump from MariaDB/,
		'a MySQL GTID set against MariaDB is a clear error');
	like($e2, qr/HINT:.*gtid_binlog_pos/, 'the hint says what to give instead');
	($r2, $o2, $e2) = $node->psql('postgres',
		"SELECT * FROM chameleon.binlog_rows(start_gtid => '3e11fa47-71ca-11e1-9e33:1-5')");
	like($e2, qr/invalid MySQL GTID set/, 'a malformed MySQL GTID set is a clear error');
}

# Character sets: every column's text must equal CONVERT(col USING utf8mb4).
{
	my %cs = (
		u2 => 'ucs2', u16 => 'utf16', u16le => 'utf16le', u32 => 'utf32',
		mb3 => 'utf8mb3', l1 => 'latin1', l2 => 'latin2', c51 => 'cp1251', plain => 'ascii',
		gr => 'greek', he => 'hebrew', k8 => 'koi8r', sj => 'sjis', cp932 => 'cp932',
		uj => 'ujis', b5 => 'big5', gbk => 'gbk', kr => 'euckr', th => 'tis620');
	my %text = (
		u2 => 'ünïcödé ☃', u16 => 'astral 😀 ünï', u16le => 'le 😀 ü', u32 => 'wide 😀 ß',
		mb3 => 'три ☃', l1 => 'façade €', l2 => 'Łódź', c51 => 'Привет', gr => 'Ελλάδα',
		he => 'שלום', k8 => 'Привет', sj => 'カタカナ漢字', cp932 => '①カナ', uj => 'ひらがな',
		b5 => '中文', gbk => '中文汉字', kr => '한국어', th => 'ภาษาไทย', plain => 'plain ascii');
	my @cols = sort keys %cs;
	$my->sql('CREATE TABLE charsets (id int PRIMARY KEY, '
		  . join(', ', map { "$_ varchar(40) CHARACTER SET $cs{$_}" } @cols) . ')',
		database => 't1');
	$my->sql('FLUSH BINARY LOGS');
	my ($file) = $my->binlog_position;
	$my->sql("SET NAMES utf8mb4; INSERT INTO charsets VALUES (1, "
		  . join(', ', map { "'$text{$_}'" } @cols) . ')', database => 't1');
	$my->sql('FLUSH BINARY LOGS');
	my $ours = $node->safe_psql('postgres',
		"SELECT " . join(', ', map { "after->>'$_'" } @cols)
		  . " FROM chameleon.binlog_file_rows('" . $my->datadir . "/$file')");
	my ($src) = $my->sql_rows('SET NAMES utf8mb4; SELECT '
		  . join(', ', map { "CONVERT($_ USING utf8mb4)" } @cols)
		  . ' FROM charsets', database => 't1');
	my @got = split /\|/, $ours;
	my @diff;
	for my $i (0 .. $#cols)
	{
		push @diff, "$cols[$i] ($cs{$cols[$i]}): '$got[$i]' vs '$src->[$i]'"
		  if ($got[$i] // '') ne $src->[$i];
	}
	is(join("\n", @diff), '', 'text in ' . scalar(@cols) . ' character sets converts to UTF-8');
}

# MariaDB's old fractional formats carry no precision in the binlog: a clear error
{
	$my->sql('FLUSH BINARY LOGS');
	my ($file) = $my->binlog_position;
	$my->sql("INSERT INTO oldfrac VALUES (1, '2024-01-02 03:04:05.6789', '01:02:03')", database => 't1');
	$my->sql('FLUSH BINARY LOGS');
	my ($r, $o, $e) = $node->psql('postgres',
		"SELECT * FROM chameleon.binlog_file_rows('" . $my->datadir . "/$file')");
	like($e, qr/mysql56_temporal_format=OFF/, 'old fractional temporal columns: an error that says why');
}

# ---------------------------------------------------------------------------
# Damaged input: errors, never a crash.

my $tmp = PostgreSQL::Test::Utils::tempdir();
my $src = $files{'checksum-none'};
my $size = -s $src;
open(my $fh, '<:raw', $src) or die;
my $bytes = do { local $/; <$fh> };
close $fh;

my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT * FROM chameleon.binlog_file_events('/etc/hostname')");
like($stderr, qr/is not a binlog file/, 'a file that is not a binlog is refused');

# a flipped byte in a CRC32 file is a checksum error
my $crc_copy = "$tmp/crc.bin";
copy($files{'crc32-full'}, $crc_copy) or die;
open($fh, '+<:raw', $crc_copy) or die;
seek($fh, 600, 0);
print $fh "\xff";
close $fh;
chmod 0644, $crc_copy;
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT count(*) FROM chameleon.binlog_file_rows('$crc_copy', 100000)");
like($stderr, qr/checksum mismatch/, 'a damaged event fails its checksum');
like($stderr, qr/at binlog crc\.bin:\d+/, 'the error names file and position');

# a truncated file ends with a notice
my $cut = "$tmp/cut.bin";
open($fh, '>:raw', $cut) or die;
print $fh substr($bytes, 0, $size - 7);
close $fh;
chmod 0644, $cut;
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT count(*) FROM chameleon.binlog_file_events('$cut', 100000)");
is($ret, 0, 'a truncated file is read up to its last whole event');
like($stderr, qr/ends inside an event/, 'with a notice about the cut');

# random damage (no checksum to catch it): every outcome is rows or an ERROR
srand(20);
my ($errors, $ok) = (0, 0);
for my $n (1 .. 150)
{
	my $copy = $bytes;
	for (1 .. 1 + int(rand(4)))
	{
		my $at = 256 + int(rand($size - 256));
		substr($copy, $at, 1) = chr(int(rand(256)));
	}
	my $f = "$tmp/fuzz$n.bin";
	open($fh, '>:raw', $f) or die;
	print $fh $copy;
	close $fh;
	chmod 0644, $f;
	($ret, $stdout, $stderr) = $node->psql('postgres',
		"SELECT count(*) FROM chameleon.binlog_file_rows('$f', 100000)");
	if ($ret == 0) { $ok++ }
	elsif ($stderr =~ /ERROR:/) { $errors++ }
	else { diag("fuzz $n: $stderr"); last }
	unlink $f;
}
is($ok + $errors, 150, "damaged files give rows or errors ($ok read, $errors refused)");
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');

# superuser only
$node->safe_psql('postgres', 'CREATE ROLE nobody LOGIN');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET ROLE nobody; SELECT * FROM chameleon.binlog_file_events('$src')");
like($stderr, qr/permission denied/, 'ordinary roles cannot read binlog files');

$node->stop;
$my->stop;
done_testing();
