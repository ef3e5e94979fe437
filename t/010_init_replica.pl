# 010_init_replica.pl -- chameleon.init_replica against a throwaway MariaDB.
#
# A schema covering every MySQL type with edge values is copied, then every
# row is compared with MySQL value by value (both sides print the canonical
# text of each value), and with the same rows decoded from the binlog by
# chameleon.binlog_rows (the streaming path must agree with the copy).
# Then: the translated schema (order, NOT NULL, defaults, keys, indexes,
# identities, comments, stored foreign keys), re-runs (refused, force),
# copy_mode file, errors that leave nothing behind, MyISAM tables read under
# a lock of their own (never FLUSH TABLES WITH READ LOCK), and a copy while a
# writer keeps changing MySQL: each table's stored binlog position must be
# exactly its snapshot's.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use Encode qw(decode);
use IPC::Run ();
use JSON::PP ();
use Time::HiRes ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonMariaDB;

my $my = ChameleonMariaDB->new(name => 'source', extra => ['--binlog-row-metadata=FULL']);
$my->start;

my $node = PostgreSQL::Test::Cluster->new('pg');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_chameleon'\ntimezone = 'UTC'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_chameleon');

my $pass = 'copy-pw-' . int(rand(1_000_000_000));
$my->sql('CREATE DATABASE src CHARACTER SET utf8mb4');
# no RELOAD: on MariaDB the copy never takes the global read lock
$my->create_user('chameleon', $pass,
	'SELECT, LOCK TABLES, BINLOG MONITOR, REPLICATION SLAVE ON *.*');

# ---------------------------------------------------------------------------
# Tables with every type.  Each column: [name, MySQL type, comparison class,
# bit width].  The class says how both sides print the canonical value.

my %tables = (
	t_num => [
		[ id => 'int NOT NULL PRIMARY KEY', 'plain' ],
		[ ti => 'tinyint', 'plain' ], [ tiu => 'tinyint unsigned', 'plain' ],
		[ si => 'smallint', 'plain' ], [ siu => 'smallint unsigned', 'plain' ],
		[ mi => 'mediumint', 'plain' ], [ miu => 'mediumint unsigned', 'plain' ],
		[ i => 'int', 'plain' ], [ iu => 'int unsigned', 'plain' ],
		[ bi => 'bigint', 'plain' ], [ biu => 'bigint unsigned', 'plain' ],
		[ zf => 'int(8) unsigned zerofill', 'zerofill' ],
		[ b1 => 'tinyint(1)', 'plain' ],
		[ d1 => 'decimal(10,2)', 'plain' ], [ d2 => 'decimal(65,30)', 'plain' ],
		[ d3 => 'decimal(5,0) unsigned', 'plain' ],
		[ f => 'float', 'float' ], [ f2 => 'float(7,3)', 'float' ],
		[ db => 'double', 'double' ],
		[ bt1 => 'bit(1)', 'bit', 1 ], [ bt10 => 'bit(10)', 'bit', 10 ],
		[ bt64 => 'bit(64)', 'bit', 64 ],
		[ y => 'year', 'year' ],
	],
	t_time => [
		[ id => 'int NOT NULL PRIMARY KEY', 'plain' ],
		[ d => 'date', 'date' ],
		[ t0 => 'time', 'time' ], [ t3 => 'time(3)', 'time' ], [ t6 => 'time(6)', 'time' ],
		[ dt0 => 'datetime', 'date' ], [ dt3 => 'datetime(3)', 'date' ],
		[ dt6 => 'datetime(6)', 'date' ],
		[ ts0 => 'timestamp NULL', 'timestamp' ], [ ts6 => 'timestamp(6) NULL', 'timestamp' ],
		[ dnn => "date NOT NULL DEFAULT '0000-00-00'", 'date' ],
	],
	t_text => [
		[ id => 'int NOT NULL PRIMARY KEY', 'plain' ],
		[ c10 => 'char(10)', 'plain' ], [ vc => 'varchar(255)', 'plain' ],
		[ vcl => 'varchar(20) CHARACTER SET latin1', 'plain' ],
		[ tt => 'tinytext', 'plain' ], [ tx => 'text', 'plain' ],
		[ mt => 'mediumtext', 'plain' ], [ lt => 'longtext', 'plain' ],
		[ e => q{enum('a','b c','it''s','')}, 'plain' ],
		[ s => q{set('x','y z','"q"','back\\\\slash','NULL')}, 'set' ],
		[ j => 'json', 'json' ],
	],
	t_bin => [
		[ id => 'int NOT NULL PRIMARY KEY', 'plain' ],
		[ b4 => 'binary(4)', 'bytes' ], [ vb => 'varbinary(10)', 'bytes' ],
		[ tb => 'tinyblob', 'bytes' ], [ bl => 'blob', 'bytes' ],
		[ lb => 'longblob', 'bytes' ],
		[ g => 'geometry', 'ewkb' ], [ pt => 'point', 'ewkb' ],
		[ u => 'uuid', 'plain' ], [ i6 => 'inet6', 'inet' ], [ i4 => 'inet4', 'inet' ],
	],
	t_nopk => [ [ a => 'int', 'plain' ], [ b => 'varchar(10)', 'plain' ] ],
	'Mixed Case' => [
		[ 'Id' => 'int NOT NULL PRIMARY KEY', 'plain' ],
		[ 'select' => 'varchar(10)', 'plain' ],
		[ 'two words' => 'int', 'plain' ],
	],
);

my %rows = (
	t_num => [
		q{(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
		   -9223372036854775808, 18446744073709551615, 42, 1,
		   -12345678.90, 12345678901234567890123456789012345.123456789012345678901234567890,
		   99999, 0.1, -9999.999, 0.1, 1, 1023, 18446744073709551615, 2155)},
		q{(2, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0,
		   9223372036854775807, 0, 0, 0,
		   0.00, -0.000000000000000000000000000001, 0,
		   3.40282e38, 1.5, 1.7976931348623157e308, 0, 0, 0, 1901)},
		q{(3, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 99999999, -5,
		   99999999.99, 0, 1, 1.17549435e-38, 0, 4.9e-324, 0, 512, 9223372036854775808, 0)},
		q{(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)},
		q{(5, -1, 254, -1, 65534, -1, 16777214, -1, 4294967294, -1, 18446744073709551614,
		   7, 2, -0.01, 1e-30, 12345, 16777217, 123.456, 0.30000000000000004,
		   1, 341, 1, 2000)},
	],
	t_time => [
		q{(1, '2024-02-29', '12:34:56', '-838:59:59.000', '838:59:59.000000',
		   '2024-02-29 23:59:59', '1000-01-01 00:00:00.001', '9999-12-31 23:59:59.999999',
		   '1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', '2024-01-01')},
		q{(2, '0000-00-00', '00:00:00', '-00:00:00.500', '-00:00:01.000001',
		   '0000-00-00 00:00:00', '2020-00-15 10:00:00.000', '2020-05-00 00:00:00.000000',
		   '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', '0000-00-00')},
		q{(3, '1000-01-01', '-00:00:01', '01:02:03.450', '100:00:00.123456',
		   '2000-01-01 00:00:00', '2000-01-01 00:00:00.100', '2000-01-01 00:00:00.000010',
		   '2000-06-15 12:00:00', '2000-06-15 12:00:00.500000', '2020-00-00')},
		q{(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9999-12-31')},
	],
	t_text => [
		q{(1, 'abc', 'emoji 😀 and 漢字', 'café', 'tab	here', 'new
line', 'back\\\\slash and \\\\N', 'cr\rend', 'a', 'x,y z', '{"k": "é😀", "n": 1.5, "a": [1, null, true]}')},
		q{(2, '', '', '', '', '', '', '', '', '', '[]')},
		q{(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)},
		q{(4, 'NULL', '\\\\N', 'ÿ', ' lead', 'trail ', '"quoted"', '{braces}', 'b c',
		   '"q",back\\\\slash,NULL', '"a string"')},
		q{(5, 'trailsp  ', 'x', 'y', 'z', repeat('long ', 10000), repeat('é', 100000), '', 'it''s',
		   'x,y z,"q",back\\\\slash,NULL', 'null')},
	],
	t_bin => [
		q{(1, x'00000000', x'', x'00', x'00ff10', repeat(x'00ff', 50000),
		   ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(3.5 -4.25)', 4326),
		   '123e4567-e89b-12d3-a456-426614174000', '2001:db8::1', '192.0.2.1')},
		q{(2, 'ab', 'abc', '', '', '', ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)'), NULL,
		   '00000000-0000-0000-0000-000000000000', '::ffff:192.0.2.1', '0.0.0.0')},
		q{(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)},
	],
	t_nopk => [ q{(1, 'x')}, q{(1, 'x')}, q{(NULL, NULL)}, q{(2, '')} ],
	'Mixed Case' => [ q{(1, 'from', 3)}, q{(2, NULL, NULL)} ],
);

sub myq { my $n = shift; $n =~ s/`/``/g; return "`$n`" }
sub pgq { my $n = shift; $n =~ s/"/""/g; return "\"$n\"" }

for my $t (sort keys %tables)
{
	$my->sql(
		'CREATE TABLE ' . myq($t) . ' ('
		  . join(', ', map { myq($_->[0]) . " $_->[1]" } @{ $tables{$t} })
		  . ') ENGINE=InnoDB',
		database => 'src');
	$my->sql("SET NAMES utf8mb4; SET time_zone = '+00:00';\n" . 'INSERT INTO ' . myq($t) . ' VALUES ' . join(', ', @{ $rows{$t} }),
		database => 'src');
}

# schema features: defaults, auto_increment, indexes, comments, foreign keys
$my->sql(<<'EOF', database => 'src');
CREATE TABLE t_auto (
  id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  v varchar(30) NOT NULL DEFAULT 'd''x' COMMENT 'the value',
  n int NOT NULL DEFAULT 7,
  ts timestamp(3) NULL DEFAULT CURRENT_TIMESTAMP(3),
  dz datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  bt bit(4) DEFAULT b'0101',
  st set('a','b') DEFAULT 'a,b',
  ex int DEFAULT (1 + 1),
  KEY v_prefix (v(5)),
  UNIQUE KEY n_v (n, v),
  KEY n_desc (n DESC),
  FULLTEXT KEY ft (v)
) ENGINE=InnoDB AUTO_INCREMENT=50 COMMENT='auto table';
INSERT INTO t_auto (id, v) VALUES (1, 'one'), (10, 'ten');
CREATE TABLE t_ident (id smallint NOT NULL AUTO_INCREMENT PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO t_ident (v) VALUES (1), (2), (3);
CREATE TABLE t_child (
  id int NOT NULL PRIMARY KEY,
  auto_id bigint unsigned,
  n int, v varchar(30),
  CONSTRAINT fk_auto FOREIGN KEY (auto_id) REFERENCES t_auto (id) ON DELETE CASCADE,
  CONSTRAINT fk_nv FOREIGN KEY (n, v) REFERENCES t_auto (n, v) ON UPDATE SET NULL
) ENGINE=InnoDB;
INSERT INTO t_child VALUES (1, 1, 7, 'one');
CREATE VIEW v_auto AS SELECT id FROM t_auto;
EOF
push @{ $tables{t_auto} }, [ id => '', 'plain' ], [ v => '', 'plain' ], [ n => '', 'plain' ];
push @{ $tables{t_ident} }, [ id => '', 'plain' ], [ v => '', 'plain' ];
push @{ $tables{t_child} }, [ id => '', 'plain' ], [ auto_id => '', 'plain' ];

my $conf = $my->write_config(
	user => 'chameleon', passwd => $pass, my_database => 'src',
	path => $node->basedir . '/src.yaml');

# ---------------------------------------------------------------------------
# Comparison: both sides print each value's canonical text, hex-encoded.

sub my_expr
{
	my ($col) = @_;
	my ($name, undef, $class, $bits) = @$col;
	my $q = myq($name);

	return "$q+0" if $class eq 'zerofill' || $class eq 'year';
	return "CAST($q AS DOUBLE)" if $class eq 'float';
	return "LPAD(BIN($q), $bits, '0')" if $class eq 'bit';
	return "CONCAT('\\\\x', LOWER(HEX($q)))" if $class eq 'bytes';
	# MySQL's SRID + little-endian WKB as EWKB: the SRID flag in the type's high byte, then the SRID
	return "CONCAT('\\\\x', LOWER(IF(ST_SRID($q) = 0, HEX(SUBSTRING($q, 5)),"
	  . " CONCAT(HEX(SUBSTRING($q, 5, 4)), LPAD(HEX(ORD(SUBSTRING($q, 9, 1)) | 0x20), 2, '0'),"
	  . " HEX(SUBSTRING($q, 1, 4)), HEX(SUBSTRING($q, 10))))))" if $class eq 'ewkb';
	return "IF(MONTH($q) = 0 OR DAYOFMONTH($q) = 0, NULL, $q)" if $class eq 'date';
	return "IF(MONTH($q) = 0 OR DAYOFMONTH($q) = 0, NULL, CONCAT($q, '+00'))"
	  if $class eq 'timestamp';
	return $q;
}

sub pg_expr
{
	my ($col) = @_;
	my $q = pgq($col->[0]);

	return "${q}::float8" if $col->[2] eq 'float';
	return "host($q)" if $col->[2] eq 'inet';
	return $q;
}

sub pg_array_text
{
	my @out;
	for my $e (@_)
	{
		if ($e eq '' || $e =~ /["\\{},\s]/ || lc($e) eq 'null')
		{
			(my $x = $e) =~ s/(["\\])/\\$1/g;
			$e = "\"$x\"";
		}
		push @out, $e;
	}
	return '{' . join(',', @out) . '}';
}

my $json = JSON::PP->new->canonical->allow_nonref;

# The comparable form of one value (undef for NULL) of a class.
sub normalize
{
	my ($class, $v, $side) = @_;

	return undef unless defined $v;
	if ($class eq 'float' || $class eq 'double')
	{
		return sprintf('%.17g', $v);
	}
	if ($class eq 'date' || $class eq 'time' || $class eq 'timestamp')
	{
		$v =~ s/\.(\d*?)0+(?=$|\+)/.$1/;
		$v =~ s/\.(?=$|\+)//;
		return $v;
	}
	if ($class eq 'set' && $side eq 'mysql')
	{
		return pg_array_text($v eq '' ? () : split(/,/, $v, -1));
	}
	if ($class eq 'json')
	{
		return $json->encode($json->decode($v));
	}
	return $v;
}

sub decode_cell
{
	my ($cell) = @_;

	return undef if $cell eq 'N';
	die "bad cell $cell" unless $cell =~ /^v([0-9A-Fa-f]*)$/;
	return decode('UTF-8', pack('H*', $1));
}

sub rows_as_text
{
	my ($cols, $side, @raw) = @_;
	my @rows;

	for my $r (@raw)
	{
		my @vals;
		for my $i (0 .. $#$cols)
		{
			my $v = normalize($cols->[$i][2], decode_cell($r->[$i]), $side);
			push @vals, defined $v ? "'$v'" : 'NULL';
		}
		push @rows, join(' | ', @vals);
	}
	return [ sort @rows ];
}

sub mysql_rows
{
	my ($db, $table, $cols) = @_;
	my $sql = 'SELECT '
	  . join(', ',
		map { "IFNULL(CONCAT('v', HEX(CONVERT(" . my_expr($_) . " USING utf8mb4))), 'N')" }
		  @$cols)
	  . ' FROM ' . myq($table);
	return rows_as_text($cols, 'mysql',
		$my->sql_rows("SET NAMES utf8mb4; SET time_zone = '+00:00';\n$sql", database => $db));
}

sub pg_rows
{
	my ($schema, $table, $cols) = @_;
	my $sql = 'SELECT '
	  . join(', ',
		map { "coalesce('v' || upper(encode(convert_to((" . pg_expr($_) . ")::text, 'UTF8'), 'hex')), 'N')" }
		  @$cols)
	  . ' FROM ' . pgq($schema) . '.' . pgq($table);
	my $out = $node->safe_psql('postgres', $sql);
	my @raw = map { [ split /\|/, $_, -1 ] } grep { $_ ne '' } split /\n/, $out;
	return rows_as_text($cols, 'pg', @raw);
}

sub compare_all
{
	my ($schema, $label) = @_;

	for my $t (sort keys %tables)
	{
		my $cols = $tables{$t};
		my $mine = mysql_rows('src', $t, $cols);
		my $pg = pg_rows($schema, $t, $cols);
		is(scalar(@$pg), scalar(@$mine), "$label: $t has MySQL's row count");
		is_deeply($pg, $mine, "$label: every value of $t equals MySQL's");
	}
}

# ---------------------------------------------------------------------------
# init_replica

is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.copy_progress'),
	'0', 'copy_progress is empty before a copy');

my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$conf')");
is($ret, 0, 'init_replica succeeds') or diag($stderr);
like($stdout, qr/^copied 9 tables \(\d+ rows\) of MySQL database "src" into schema "src" at binlog position mariadb-bin\.\d+:\d+, gtid \d+-\d+-\d+$/,
	'init_replica returns a summary');
like($stderr, qr/copied table "t_num": 5 rows/, 'a NOTICE per finished table');
like($stderr, qr/prefix index "v_prefix" of table "t_auto" becomes an index on the whole columns/,
	'NOTICE for a prefix index');
like($stderr, qr/index "ft" of table "t_auto" is not copied/, 'NOTICE for a FULLTEXT index');
like($stderr, qr/default of column "ex" of table "t_auto" is not copied/,
	'NOTICE for an expression default');
like($stderr, qr/view "v_auto" is not copied/, 'NOTICE for a view');

compare_all('src', 'direct copy');

# The same rows, decoded from the binlog by the streaming path's decoder.
# MariaDB's uuid/inet6/inet4 are left out: a table map describes them as
# BINARY(n) only, and binlog_rows shows them as bytea hex (doc/binlog.md).
for my $t (sort grep { !/^t_(auto|ident|child)$/ } keys %tables)
{
	my $cols = [ grep { $_->[1] !~ /^(uuid|inet6|inet4)$/ } @{ $tables{$t} } ];
	my @types = map {
		$node->safe_psql('postgres',
			"SELECT format_type(atttypid, atttypmod) FROM pg_attribute
			  WHERE attrelid = '" . pgq('src') . '.' . pgq($t) . "'::regclass
			    AND attname = '$_->[0]'")
	} @$cols;
	my $pg = $node->safe_psql('postgres',
		'SELECT ' . join(', ', map { pgq($_->[0]) . '::text' } @$cols)
		  . ' FROM ' . pgq('src') . '.' . pgq($t) . ' ORDER BY 1, 2');
	my $sql = "SET pg_chameleon.config = '$conf';\n"
	  . 'SELECT '
	  . join(', ', map { "(after->>'$cols->[$_][0]')::$types[$_]::text" } 0 .. $#$cols)
	  . " FROM chameleon.binlog_rows(NULL, NULL, 100000)"
	  . " WHERE table_name = 'src.$t' AND operation = 'insert' ORDER BY 1, 2";
	is($node->safe_psql('postgres', $sql), $pg,
		"$t: the binlog decoder gives the copied values");
}

# ---------------------------------------------------------------------------
# The translated schema

sub pg_one { return $node->safe_psql('postgres', shift) }

is( pg_one(
		"SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod)
		        || CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum)
		   FROM pg_attribute WHERE attrelid = 'src.t_num'::regclass AND attnum > 0"),
	'id integer not null, ti smallint, tiu smallint, si smallint, siu integer, mi integer, '
	  . 'miu integer, i integer, iu bigint, bi bigint, biu numeric(20,0), zf bigint, b1 smallint, '
	  . 'd1 numeric(10,2), d2 numeric(65,30), d3 numeric(5,0), f real, f2 real, '
	  . 'db double precision, bt1 bit varying(1), bt10 bit varying(10), bt64 bit varying(64), '
	  . 'y smallint',
	'columns in MySQL order with mapped types and NOT NULL');
is( pg_one(
		"SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
		   FROM pg_attribute WHERE attrelid = 'src.\"Mixed Case\"'::regclass AND attnum > 0"),
	'Id integer, select character varying(10), two words integer',
	'MySQL names are kept, case and all');
is(pg_one("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'src.t_time'::regclass AND attname = 'dnn'"),
	'f', 'a NOT NULL date column accepts the NULL of zero dates');
is( pg_one(
		"SELECT string_agg(attname || '=' || pg_get_expr(adbin, adrelid), ', ' ORDER BY attnum)
		   FROM pg_attrdef JOIN pg_attribute ON attrelid = adrelid AND attnum = adnum
		  WHERE adrelid = 'src.t_auto'::regclass"),
	q{id=nextval('src.t_auto_id_seq'::regclass), v='d''x'::character varying, n=7, }
	  . q{ts=CURRENT_TIMESTAMP, bt='0101'::bit varying, st='{a,b}'::text[]},
	'defaults translated (zero date and expression defaults dropped)');
is( pg_one(
		"SELECT string_agg(indexrelid::regclass::text || ' ' || pg_get_indexdef(indexrelid), '; '
		        ORDER BY indexrelid::regclass::text)
		   FROM pg_index WHERE indrelid = 'src.t_auto'::regclass"),
	'src.t_auto_n_desc CREATE INDEX t_auto_n_desc ON src.t_auto USING btree (n DESC); '
	  . 'src.t_auto_n_v CREATE UNIQUE INDEX t_auto_n_v ON src.t_auto USING btree (n, v); '
	  . 'src.t_auto_pkey CREATE UNIQUE INDEX t_auto_pkey ON src.t_auto USING btree (id); '
	  . 'src.t_auto_v_prefix CREATE INDEX t_auto_v_prefix ON src.t_auto USING btree (v)',
	'primary key, unique, descending and prefix indexes');
is(pg_one("SELECT contype FROM pg_constraint WHERE conname = 't_auto_pkey'"), 'p',
	'the primary key is a constraint');
is(pg_one("SELECT count(*) FROM pg_index WHERE indrelid = 'src.t_nopk'::regclass"), '0',
	'a table without primary key has no index');
is(pg_one("SELECT nextval('src.t_auto_id_seq')"), '50',
	'the sequence of a bigint unsigned AUTO_INCREMENT starts at MySQL\'s counter');
# (the tables are guarded against local writes: bypassed on purpose)
is(pg_one("SET session_replication_role = replica; INSERT INTO src.t_ident (v) VALUES (4) RETURNING id"), '4',
	'an identity column continues past the copied maximum');
is(pg_one("SELECT obj_description('src.t_auto'::regclass, 'pg_class') || ' / ' || col_description('src.t_auto'::regclass, 2)"),
	'auto table / the value', 'table and column comments');
is(pg_one("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'src'::regnamespace"),
	'0', 'foreign keys are not created');
is( pg_one(
		"SELECT string_agg(constraint_name || ': ' || mysql_table || ' (' || array_to_string(columns, ', ') || ') -> '
		        || referenced_schema || '.' || referenced_table || ' (' || array_to_string(referenced_columns, ', ')
		        || ') ON UPDATE ' || on_update || ' ON DELETE ' || on_delete, E'\\n' ORDER BY constraint_name)
		   FROM sch_chameleon.t_foreign_keys"),
	"fk_auto: t_child (auto_id) -> src.t_auto (id) ON UPDATE RESTRICT ON DELETE CASCADE\n"
	  . "fk_nv: t_child (n, v) -> src.t_auto (n, v) ON UPDATE SET NULL ON DELETE RESTRICT",
	'foreign keys are stored for detach');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET session_replication_role = replica; INSERT INTO src.t_text (id, e) VALUES (99, 'nope')");
like($stderr, qr/violates check constraint "t_text_e_check"/, 'enum values are checked');

# state
my ($file, $pos) = $my->binlog_position;
is( pg_one(
		"SELECT s.state || ' ' || s.pg_schema || ' ' || b.binlog_file || ' ' || (b.gtid IS NOT NULL)
		   FROM sch_chameleon.t_sources s JOIN sch_chameleon.t_replica_batch b USING (source_id)
		  WHERE s.source_name = 'src'"),
	"stopped src $file true", 'source and snapshot coordinates are stored');
is( pg_one(
		"SELECT string_agg(mysql_table || ':' || state || ':' || copied_rows, ' ' ORDER BY mysql_table)
		   FROM sch_chameleon.t_replica_tables"),
	'Mixed Case:copied:2 t_auto:copied:2 t_bin:copied:3 t_child:copied:1 t_ident:copied:3 '
	  . 't_nopk:copied:4 t_num:copied:5 t_text:copied:5 t_time:copied:4',
	'every table is marked copied with its row count');
is( pg_one(
		"SELECT count(DISTINCT (t.snapshot_file, t.snapshot_position)) || ' '
		        || bool_and(t.snapshot_file = b.binlog_file AND t.snapshot_position = b.binlog_position)
		   FROM sch_chameleon.t_replica_tables t JOIN sch_chameleon.t_replica_batch b USING (source_id)"),
	'1 true', 'each table records the snapshot position');

# ---------------------------------------------------------------------------
# Re-runs

($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT chameleon.init_replica('$conf')");
like($stderr, qr/MySQL database "src" is already replicated into schema "src"/,
	'a second init_replica is refused');
like($stderr, qr/force => true/, 'with a hint about force');

my $file_dir = PostgreSQL::Test::Utils::tempdir('copy_files');
chmod 0777, $file_dir;
my $conf_file = $my->write_config(
	user => 'chameleon', passwd => $pass, my_database => 'src',
	copy_mode => 'file', out_dir => $file_dir,
	path => $node->basedir . '/src_file.yaml');
$node->safe_psql('postgres', 'CREATE TABLE src.extra_user_table (x int)');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$conf_file', force => true)");
is($ret, 0, 'init_replica with force and copy_mode file succeeds') or diag($stderr);
like($stderr, qr/dropping schema "src"/, 'force drops the old schema');
is(pg_one("SELECT to_regclass('src.extra_user_table') IS NULL"), 't',
	'the old schema is gone');
compare_all('src', 'copy_mode file');
is(join(',', glob("$file_dir/*")), '', 'no copy file is left in out_dir');
is(pg_one("SELECT count(*) FROM sch_chameleon.t_sources"), '1', 'still one source');

# ---------------------------------------------------------------------------
# Errors: the plan leaves nothing behind; a copy resumes

$my->sql('CREATE DATABASE bad');
$my->sql(<<'EOF', database => 'bad');
SET NAMES utf8mb4;
CREATE TABLE good (id int PRIMARY KEY, g int AS (id * 2) VIRTUAL, h varchar(10) DEFAULT 'hé');
INSERT INTO good (id) VALUES (1);
CREATE TABLE nul (id int, k varchar(5), v varchar(10), PRIMARY KEY (id, k));
INSERT INTO nul VALUES (1, 'a', 'fine'), (7, 'b', CONCAT('x', CHAR(0), 'y'));
EOF
my $long = 'long_' . ("\xc3\xa9" x 30);    # 65 bytes (UTF-8), 35 characters
$my->sql("CREATE TABLE `$long` (id int)", database => 'bad');
my %bad_conf;
my $nconf = 0;
for my $limit ('good,nul', $long, 'good,missing')
{
	$nconf++;
	# on_error: stop keeps init_replica all-or-nothing (with the default
	# skip_table a bad value leaves only its table in error: t/047)
	$bad_conf{$limit} = $my->write_config(
		user => 'chameleon', passwd => $pass, my_database => 'bad',
		tables_limit => [ split /,/, $limit ], on_error => 'stop',
		path => $node->basedir . "/bad_$nconf.yaml");
}

# Errors of the plan (before any row is copied) leave nothing behind.
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$bad_conf{$long}')");
like($stderr, qr/MySQL table name "\Q$long\E" is too long for PostgreSQL/,
	'a name longer than 63 bytes is an error naming the table');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$bad_conf{'good,missing'}')");
like($stderr, qr/table "missing" of tables_limit does not exist in MySQL database "bad"/,
	'a table of tables_limit that does not exist is an error');
is(pg_one("SELECT to_regnamespace('bad') IS NULL"), 't', 'no schema is left after a failed plan');
is(pg_one("SELECT count(*) FROM sch_chameleon.t_sources WHERE source_name = 'bad'"), '0',
	'no source is left after a failed plan');

# A bad value with on_error: stop stops the copy; what was committed stays,
# and init_replica() resumes the copy once the row is fixed.
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$bad_conf{'good,nul'}')");
like($stderr, qr/could not copy column "v" of MySQL table "bad"."nul"/,
	'a NUL byte in a text column is an error naming the column');
like($stderr, qr/primary key \(id, k\)=\(7, b\)/, 'and the primary key of the row');
like($stderr, qr/init_replica\(\) again: it resumes the copy/, 'the hint says init_replica resumes');
is(pg_one("SELECT state || ' ' || (last_error LIKE '%could not copy column%') FROM sch_chameleon.t_sources WHERE source_name = 'bad'"),
	'initialising true', 'the unfinished copy is kept, with its error');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.start_replica('$bad_conf{'good,nul'}')");
like($stderr, qr/still being initialised/, 'an unfinished copy cannot be started');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$bad_conf{$long}')");
like($stderr, qr/the copy of MySQL database "bad" is not finished.*init_replica\('\Q$bad_conf{'good,nul'}\E'\)/s,
	'another configuration of the source is refused while its copy is unfinished');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$bad_conf{$long}', force => true)");
like($stderr, qr/is too long for PostgreSQL/, 'force with a failing plan fails ...');
is(pg_one("SELECT state FROM sch_chameleon.t_sources WHERE source_name = 'bad'"),
	'initialising', '... and leaves the unfinished copy as it was');

$my->sql('DELETE FROM nul WHERE id = 7', database => 'bad');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$bad_conf{'good,nul'}')");
is($ret, 0, 'init_replica resumes the copy once the row is fixed') or diag($stderr);
like($stderr, qr/resuming the copy of MySQL database "bad"/, 'it says it resumes');
like($stdout, qr/^copied 2 tables \(2 rows\)/, 'and copies the rest');
is(pg_one('SELECT string_agg(id || k || v, \',\') FROM bad.nul'), '1afine', 'the fixed table is copied');

my $conf_hexify = $my->write_config(
	user => 'chameleon', passwd => $pass, my_database => 'bad',
	tables_limit => [ 'good', 'nul' ], hexify => ['varchar'],
	path => $node->basedir . '/bad_hexify.yaml');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT chameleon.init_replica('$conf_hexify', force => true)");
is($ret, 0, 'tables_limit copies the listed tables') or diag($stderr);
is(pg_one("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'bad'::regnamespace AND relkind = 'r'"),
	'good,nul', 'only the listed tables');
like($stderr, qr/generated column "g" of table "good" is copied as a plain column/,
	'NOTICE for a generated column');
is(pg_one("SELECT id || ' ' || g || ' ' || h || ' ' || pg_typeof(h) || ' ' || pg_get_expr(adbin, adrelid)
             FROM bad.good, pg_attrdef WHERE adrelid = 'bad.good'::regclass"),
	"1 2 \\x68c3a9 bytea '\\x68c3a9'::bytea",
	'generated values copied; hexify makes varchar bytea, its default too');

# ---------------------------------------------------------------------------
# MyISAM: read under LOCK TABLES m READ, no global read lock

$my->sql('CREATE DATABASE myi');
$my->sql(<<'EOF', database => 'myi');
CREATE TABLE m (id int PRIMARY KEY, v varchar(10)) ENGINE=MyISAM;
INSERT INTO m VALUES (1, 'a'), (2, 'b');
CREATE TABLE inn (id int PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO inn VALUES (1);
EOF
my $conf_myi = $my->write_config(user => 'chameleon', passwd => $pass,
	my_database => 'myi', path => $node->basedir . '/myi.yaml');
($file, $pos) = $my->binlog_position;
my $flushes = $my->sql("SHOW GLOBAL STATUS LIKE 'Com_flush'", raw => 1);
($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT chameleon.init_replica('$conf_myi')");
is($ret, 0, 'init_replica with a MyISAM table') or diag($stderr);
like($stderr, qr/copied table "m"/, 'the MyISAM table is copied');
is(pg_one("SELECT binlog_file || ':' || binlog_position FROM sch_chameleon.t_replica_batch JOIN sch_chameleon.t_sources USING (source_id) WHERE source_name = 'myi'"),
	"$file:$pos", 'the position read under the table lock is stored');
is($my->sql("SHOW GLOBAL STATUS LIKE 'Com_flush'", raw => 1), $flushes,
	'no FLUSH TABLES WITH READ LOCK');
is(pg_one('SELECT string_agg(id || v, \',\' ORDER BY id) FROM myi.m'), '1a,2b', 'MyISAM rows copied');
$my->sql("INSERT INTO m VALUES (3, 'c')", database => 'myi');
pass('MySQL is writable after the copy (the global lock is released)');

# ---------------------------------------------------------------------------
# A writer changes MySQL during the copy; copy_progress shows the copy.

$my->sql('CREATE DATABASE live');
$my->sql(<<'EOF', database => 'live');
SET SESSION max_recursive_iterations = 1000000;
CREATE TABLE big (id int NOT NULL PRIMARY KEY, payload varchar(200)) ENGINE=InnoDB;
INSERT INTO big WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 800000)
  SELECT n, REPEAT(MD5(n), 3) FROM s;
CREATE TABLE w (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, note varchar(30)) ENGINE=InnoDB;
CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL) ENGINE=InnoDB;
INSERT INTO counter VALUES (1, 0);
CREATE TABLE ctl (stop int NOT NULL) ENGINE=InnoDB;
INSERT INTO ctl VALUES (0);
DELIMITER //
CREATE PROCEDURE writer()
BEGIN
  DECLARE i int DEFAULT 0;
  WHILE (SELECT stop FROM ctl) = 0 DO
    START TRANSACTION;
    INSERT INTO w (note) VALUES (CONCAT('row ', i));
    UPDATE counter SET n = n + 1 WHERE id = 1;
    COMMIT;
    SET i = i + 1;
    DO SLEEP(0.002);
  END WHILE;
END //
DELIMITER ;
EOF
my $conf_live = $my->write_config(user => 'chameleon', passwd => $pass,
	my_database => 'live', path => $node->basedir . '/live.yaml');

my ($w_out, $w_err) = ('', '');
my $writer = IPC::Run::start(
	[ $my->_client_command(database => 'live'), '-e', 'CALL writer()' ],
	'<', \undef, '>', \$w_out, '2>', \$w_err);
ok($my->poll_query_until('SELECT n > 20 FROM live.counter'), 'the writer is running');

my ($i_out, $i_err) = ('', '');
my $init = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
		"SET pg_chameleon.copy_progress_interval = '100ms'", '-c',
		"SELECT chameleon.init_replica('$conf_live')" ],
	'<', \undef, '>', \$i_out, '2>', \$i_err);

my $seen = '';
my $deadline = Time::HiRes::time() + $PostgreSQL::Test::Utils::timeout_default;
while (Time::HiRes::time() < $deadline && $init->pumpable)
{
	my $r = $node->safe_psql('postgres',
		"SELECT DISTINCT source || '/' || table_name || '/' || phase FROM chameleon.copy_progress
		  WHERE table_name = 'big' AND rows_copied > 0 AND rows_estimated IS NOT NULL
		    AND total_rows_copied >= rows_copied AND rows_per_second >= 0
		    AND slices_read >= 1 AND time_left IS NOT NULL");
	if ($r ne '') { $seen = $r; last }
	$init->pump_nb;
	Time::HiRes::sleep(0.01);
}
is($seen, 'live/big/copying', 'copy_progress shows the running copy from another session')
  or diag($node->safe_psql('postgres', 'SELECT * FROM chameleon.copy_progress'));
ok($init->finish, 'init_replica under concurrent writes succeeds') or diag($i_err);
like($i_err, qr/NOTICE:  copy of "live": \d+ of about \d+ rows \(\d+%\), \d of 4 tables, \d copy workers, \d+ rows\/s, about \d+ s left/,
	'init_replica reports its progress every pg_chameleon.copy_progress_interval');

$my->sql('UPDATE ctl SET stop = 1', database => 'live');
ok($writer->finish, 'the writer ends cleanly') or diag($w_err);

my ($pg_n, $pg_count, $pg_max) = split /\|/, pg_one(
	'SELECT (SELECT n FROM live.counter), count(*), coalesce(max(id), 0) FROM live.w');
is(pg_one('SELECT count(*) FROM live.big'), '800000', 'the big table is complete');
my $my_count = $my->sql('SELECT count(*) FROM live.w');
my $my_n = $my->sql('SELECT n FROM live.counter');
cmp_ok($my_count, '>', $pg_count, 'MySQL kept being written after the snapshot');

# Each table is MySQL's state at exactly its own snapshot position: every
# write after it is absent from the copy, every write before it is present.
# The stream starts at the earliest of them.
sub table_position
{
	my ($table) = @_;
	return split /\|/, pg_one(
		"SELECT snapshot_file, snapshot_position FROM sch_chameleon.t_replica_tables
		   JOIN sch_chameleon.t_sources USING (source_id)
		  WHERE source_name = 'live' AND mysql_table = '$table'");
}
sub rows_after
{
	my ($file, $pos, $table, $op) = @_;
	return $node->safe_psql('postgres',
		"SET pg_chameleon.config = '$conf_live';
		 SELECT count(*) || ' ' || coalesce(min((after->>'id')::int), 0)
		   FROM chameleon.binlog_rows('$file', $pos, 1000000)
		  WHERE table_name = 'live.$table' AND operation = '$op'");
}
my ($wfile, $wpos) = table_position('w');
my ($n_after, $first_after) = split / /, rows_after($wfile, $wpos, 'w', 'insert');
is($n_after + $pg_count, $my_count,
	'w: the rows inserted after its position are exactly the ones missing');
is($first_after, $pg_max + 1, 'w: the first insert after its position follows the last copied row');
my ($cfile, $cpos) = table_position('counter');
my ($updates_after) = split / /, rows_after($cfile, $cpos, 'counter', 'update');
is($updates_after + $pg_n, $my_n, 'counter: its copy misses exactly the updates after its position');
isnt("$cfile:$cpos", "$wfile:$wpos", 'the tables have snapshots of their own');
is( pg_one(
		"SELECT b.binlog_file || ':' || b.binlog_position = (SELECT t.snapshot_file || ':' || t.snapshot_position
		   FROM sch_chameleon.t_replica_tables t WHERE t.source_id = b.source_id
		  ORDER BY length(t.snapshot_file), t.snapshot_file, t.snapshot_position LIMIT 1)
		   FROM sch_chameleon.t_replica_batch b JOIN sch_chameleon.t_sources USING (source_id)
		  WHERE source_name = 'live'"),
	't', 'the stream starts at the earliest table position');
is(pg_one('SELECT count(*) FROM chameleon.copy_progress'), '0',
	'copy_progress is empty once the copy is done');

$node->stop;
unlike(slurp_file($node->logfile), qr/\Q$pass\E/, 'the password is not in the PostgreSQL log');

done_testing();
