# BenchSource.pm -- the MariaDB source of the benches: a throwaway server
# with a 2 GB buffer pool and full row metadata, database sbtest, a user for
# sysbench and pg_chameleon, and the sysbench command line for its tables.
package BenchSource;

use strict;
use warnings;

use ChameleonMariaDB;

# Start the source; returns (the server, the bench user's password).
sub start
{
	my $my = ChameleonMariaDB->new(name => 'bench',
		extra => ['--innodb-buffer-pool-size=2G', '--binlog-row-metadata=FULL']);
	$my->start;
	$my->sql('CREATE DATABASE sbtest');
	my $pass = 'bench-' . int(rand(1e9));
	$my->create_user('bench', $pass, 'ALL PRIVILEGES ON *.*');
	return ($my, $pass);
}

# The sysbench command (without its action) for a test over the tables.
sub sysbench
{
	my ($my, $pass, $test, $tables, $rows) = @_;
	return ('sysbench', $test, '--db-driver=mysql', '--mysql-host=127.0.0.1',
		'--mysql-port=' . $my->port, '--mysql-user=bench', "--mysql-password=$pass",
		'--mysql-db=sbtest', "--tables=$tables", "--table-size=$rows");
}

1;
