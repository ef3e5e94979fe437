# ChameleonReplica -- helpers for TAP tests of the streaming replica: a
# PostgreSQL node with pg_chameleon preloaded, a replica "initialised" at the
# current binlog position, and comparisons of MySQL and PostgreSQL tables.
#
#   my $node = ChameleonReplica::new_node('pg');
#   ChameleonReplica::init_by_hand($node, $my, $conf, 'sakila',
#       { t1 => 'id integer PRIMARY KEY, v text', ... });
#   ChameleonReplica::wait_caught_up($node, $my);
#   ChameleonReplica::tables_equal($node, $my, 'sakila', 't1', 'id', [cols]);
#
# init_by_hand stands in for chameleon.init_replica() where a test needs a
# replica of empty tables of its own making: it creates the PostgreSQL
# tables and attaches them (chameleon.attach_replica) at SHOW MASTER STATUS.

package ChameleonReplica;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

sub pg_literal
{
	my ($s) = @_;
	return 'NULL' unless defined $s;
	$s =~ s/'/''/g;
	return "'$s'";
}

# A node with pg_chameleon preloaded, started, extension created.
sub new_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', <<'CONF');
shared_preload_libraries = 'pg_chameleon'
restart_after_crash = on
CONF
	$node->append_conf('postgresql.conf', $opts{conf}) if $opts{conf};
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION pg_chameleon');
	return $node;
}

# Tables: hash name => PostgreSQL column list; created in schema $db.
sub init_by_hand
{
	my ($node, $my, $conf, $db, $tables) = @_;
	my ($file, $pos) = $my->binlog_position;
	my $sql = "CREATE SCHEMA " . $db . ";\n";
	$sql .= "CREATE TABLE $db.$_ ($tables->{$_});\n" for sort keys %$tables;
	# the tables are made by hand, their types need not be the type map's
	$sql .= "SELECT chameleon.attach_replica('$file', $pos, " . pg_literal($conf)
	  . ", check_columns => false);\n";
	$node->safe_psql('postgres', $sql);
	return ($file, $pos);
}

# Wait until the replica applied everything MySQL has written so far.
sub wait_caught_up
{
	my ($node, $my, $what) = @_;
	my ($file, $pos) = $my->binlog_position;
	return $node->poll_query_until('postgres',
		"SELECT applied_file = '$file' AND applied_position >= $pos FROM chameleon.status")
	  || diag("not caught up with $file:$pos: "
		  . $node->safe_psql('postgres', 'SELECT * FROM chameleon.status'));
}

# Compare a table row by row: $cols is a list of [mysql_expr, pg_expr] that
# both produce the same text for the same value.
sub table_rows
{
	my ($node, $my, $db, $table, $order, $cols) = @_;
	my $my_sql = "SET time_zone = '+00:00'; SELECT CONCAT_WS('|', "
	  . join(', ', map { "IFNULL($_->[0], '<null>')" } @$cols)
	  . ") FROM $db.$table ORDER BY $order";
	my $pg_sql = "SET TimeZone = 'UTC'; SET extra_float_digits = 0; SELECT concat_ws('|', "
	  . join(', ', map { "coalesce(($_->[1])::text, '<null>')" } @$cols)
	  . ") FROM $db.$table ORDER BY $order";
	my $mine = $my->sql($my_sql, raw => 1);
	my $theirs = $node->safe_psql('postgres', $pg_sql);
	return ($mine, $theirs);
}

sub tables_equal
{
	my ($node, $my, $db, $table, $order, $cols, $name) = @_;
	my ($mine, $theirs) = table_rows(@_);
	is($theirs, $mine, $name // "$table: PostgreSQL equals MySQL");
	return $mine eq $theirs;
}

1;
