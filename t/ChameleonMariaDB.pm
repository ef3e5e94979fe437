# ChameleonMariaDB -- a throwaway MariaDB server for pg_chameleon's TAP tests.
#
# Owns: creating a private datadir (mariadb-install-db), starting and stopping
# mariadbd on a free TCP port and a private unix socket with the binlog on,
# running SQL through the mariadb client, creating users, and writing
# pg_chameleon YAML config files that point at the server.
#
# Use it next to PostgreSQL::Test::Cluster:
#
#   use FindBin;
#   use lib $FindBin::RealBin;
#   use ChameleonMariaDB;
#
#   my $my = ChameleonMariaDB->new(name => 'source',
#       extra => ['--binlog-row-metadata=FULL']);
#   $my->start;
#   $my->sql('CREATE DATABASE sakila');
#   $my->create_user('chameleon', $pass,
#       'REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.*', 'SELECT ON sakila.*');
#   my $conf = $my->write_config(user => 'chameleon', passwd => $pass,
#       my_database => 'sakila');
#
# Every server still running when the test script ends is shut down (END
# block and DESTROY), so a failing test never leaves a mariadbd behind.
# Its error log lives in tmp_check/log/ next to the PostgreSQL node logs.

package ChameleonMariaDB;

use strict;
use warnings;

use Carp;
use File::Basename qw(basename);
use File::Path qw(make_path);
use IPC::Run ();
use POSIX qw(WNOHANG);
use Scalar::Util qw(weaken);
use Time::HiRes ();

use PostgreSQL::Test::Cluster ();
use PostgreSQL::Test::Utils ();
use Test::More ();

our @EXPORT_OK = qw(sql_quote);

# Every instance created by this process, weakly held, for the END block.
my @all_instances;
my $instance_count = 0;
my $config_count   = 0;

my $test_name = basename($0);
$test_name =~ s/\.[^.]+$//;

# A test killed by SIGINT/SIGTERM should still run END blocks (and so stop
# its servers); leave handlers a test installed itself alone.
for my $sig (qw(INT TERM))
{
	next if defined $SIG{$sig} && $SIG{$sig} ne '' && $SIG{$sig} ne 'DEFAULT';
	$SIG{$sig} = sub { die "test killed by SIG$sig\n" };
}

=pod

=head1 NAME

ChameleonMariaDB - throwaway MariaDB for pg_chameleon TAP tests

=head1 METHODS

=over

=item ChameleonMariaDB->new(%opts)

Creates the datadir with mariadb-install-db. Options:
name (log and dir name, default mariadb1, mariadb2, ...),
server_id (default 100 + instance number),
extra (array ref of additional mariadbd options, e.g. '--binlog-format=STATEMENT';
a leading '--' is added when missing),
port (default: a free port reserved through PostgreSQL::Test::Cluster so the
PostgreSQL nodes of the test never get it),
timeout (seconds, default $PostgreSQL::Test::Utils::timeout_default).

=cut

sub new
{
	my ($class, %opts) = @_;

	$instance_count++;
	my $name = $opts{name} // "mariadb$instance_count";
	croak "name '$name' must be a plain word" unless $name =~ /^[A-Za-z0-9_-]+$/;

	my $basedir = PostgreSQL::Test::Utils::tempdir("mariadb_$name");
	my $sockdir = PostgreSQL::Test::Utils::tempdir_short();

	my $self = bless {
		name      => $name,
		basedir   => $basedir,
		datadir   => "$basedir/data",
		tmpdir    => "$basedir/tmp",
		socket    => "$sockdir/mysqld.sock",
		pidfile   => "$basedir/mariadbd.pid",
		logfile   => "$PostgreSQL::Test::Utils::log_path/${test_name}_${name}.mariadb.log",
		port      => $opts{port} // PostgreSQL::Test::Cluster::get_free_port(),
		server_id => $opts{server_id} // (100 + $instance_count),
		extra     => _normalize_options($opts{extra} // []),
		timeout   => $opts{timeout} // $PostgreSQL::Test::Utils::timeout_default,
		pid       => undef,
		owner_pid => $$,
	}, $class;

	push @all_instances, $self;
	weaken($all_instances[-1]);

	make_path($self->{tmpdir});
	$self->_install_db;
	return $self;
}

=pod

=item accessors: name, port, socket, host, datadir, basedir, logfile, server_id, pid, binlog_basename

host is always 127.0.0.1 (the server binds only there).

=cut

sub name            { return $_[0]->{name} }
sub port            { return $_[0]->{port} }
sub socket          { return $_[0]->{socket} }
sub host            { return '127.0.0.1' }
sub datadir         { return $_[0]->{datadir} }
sub basedir         { return $_[0]->{basedir} }
sub logfile         { return $_[0]->{logfile} }
sub server_id       { return $_[0]->{server_id} }
sub pid             { return $_[0]->{pid} }
sub binlog_basename { return "$_[0]->{datadir}/mariadb-bin" }

=pod

=item $my->is_running

True while the mariadbd started by start() is alive.

=cut

sub is_running
{
	my ($self) = @_;

	return 0 unless defined $self->{pid};
	my $r = waitpid($self->{pid}, WNOHANG);
	if ($r == $self->{pid} || ($r == -1 && !kill(0, $self->{pid})))
	{
		$self->{pid} = undef;
		return 0;
	}
	return 1;
}

sub _running_as_root { return $> == 0 }

sub _normalize_options
{
	my ($opts) = @_;

	croak "extra must be an array reference" unless ref $opts eq 'ARRAY';
	return [ map { /^--/ ? $_ : "--$_" } @$opts ];
}

# Last $n lines of a file, for failure messages.
sub _tail
{
	my ($file, $n) = @_;

	open(my $fh, '<', $file) or return "(no log file $file)\n";
	my @lines = <$fh>;
	close $fh;
	splice(@lines, 0, @lines - $n) if @lines > $n;
	return join('', @lines);
}

sub _die_with_log
{
	my ($self, $msg) = @_;

	my $tail = _tail($self->{logfile}, 40);
	Test::More::diag("MariaDB $self->{name} log ($self->{logfile}), last lines:\n$tail");
	croak "MariaDB $self->{name}: $msg";
}

sub _install_db
{
	my ($self) = @_;

	my @cmd = (
		'mariadb-install-db', '--no-defaults',
		"--datadir=$self->{datadir}",
		'--auth-root-authentication-method=normal',
		'--skip-test-db', '--skip-name-resolve');
	push @cmd, '--user=root' if _running_as_root();

	print "# MariaDB $self->{name}: initialising $self->{datadir}\n";
	my $log = "$self->{basedir}/install-db.log";
	my $ok = IPC::Run::run(\@cmd, '<', \undef, '>', $log, '2>&1',
		IPC::Run::timeout($self->{timeout}));
	return if $ok;
	Test::More::diag("mariadb-install-db output ($log), last lines:\n" . _tail($log, 40));
	croak "MariaDB $self->{name}: mariadb-install-db failed";
}

sub _server_command
{
	my ($self) = @_;

	my @cmd = (
		'mariadbd', '--no-defaults',
		"--datadir=$self->{datadir}",
		"--tmpdir=$self->{tmpdir}",
		"--port=$self->{port}",
		'--bind-address=127.0.0.1',
		"--socket=$self->{socket}",
		"--pid-file=$self->{pidfile}",
		"--log-error=$self->{logfile}",
		'--skip-name-resolve',
		"--log-bin=" . $self->binlog_basename,
		'--binlog-format=ROW',
		"--server-id=$self->{server_id}",
		'--character-set-server=utf8mb4',
		'--collation-server=utf8mb4_general_ci',
		'--innodb-buffer-pool-size=64M',
		'--innodb-flush-log-at-trx-commit=2',
		# io_uring/libaio may be refused in containers (seccomp)
		'--innodb-use-native-aio=0',
		'--max-connections=100');
	push @cmd, '--user=root' if _running_as_root();
	push @cmd, @{ $self->{extra} };
	return @cmd;
}

=pod

=item $my->start

Starts mariadbd and waits (polling mariadb-admin ping) until it accepts
connections. Dies, with the tail of the server log, if it exits or does not
become ready within the timeout.

=cut

sub start
{
	my ($self) = @_;

	croak "MariaDB $self->{name} is already running" if $self->is_running;

	my @cmd = $self->_server_command;
	print "# MariaDB $self->{name}: starting on port $self->{port}, socket $self->{socket}\n";
	print "# " . join(' ', @cmd) . "\n";

	my $pid = fork();
	croak "fork failed: $!" unless defined $pid;
	if ($pid == 0)
	{
		# child: never return into the test script
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $self->{logfile});
		open(STDERR, '>&', \*STDOUT);
		{
			no warnings 'exec';
			exec { $cmd[0] } @cmd;
		}
		print STDERR "exec $cmd[0] failed: $!\n";
		POSIX::_exit(127);
	}
	$self->{pid} = $pid;
	$self->_wait_ready;
	print "# MariaDB $self->{name}: ready (pid $pid)\n";
	return;
}

sub _ping
{
	my ($self) = @_;

	my ($out, $err);
	local $ENV{MYSQL_PWD};
	delete $ENV{MYSQL_PWD};
	return IPC::Run::run(
		[
			'mariadb-admin', '--no-defaults', "--socket=$self->{socket}",
			'--user=root', '--connect-timeout=2', 'ping'
		],
		'<', \undef, '>', \$out, '2>', \$err,
		IPC::Run::timeout(10));
}

sub _wait_ready
{
	my ($self) = @_;

	my $deadline = Time::HiRes::time() + $self->{timeout};
	while (Time::HiRes::time() < $deadline)
	{
		$self->_die_with_log("mariadbd exited during startup")
		  unless $self->is_running;
		return if -S $self->{socket} && $self->_ping;
		Time::HiRes::sleep(0.1);
	}
	$self->_die_with_log("mariadbd not ready after $self->{timeout}s");
	return;
}

=pod

=item $my->stop([$mode])

mode 'fast' (default): SIGTERM, a clean shutdown, waited for.
mode 'immediate': SIGKILL, a crash.

=cut

sub stop
{
	my ($self, $mode) = @_;

	$mode //= 'fast';
	croak "unknown stop mode '$mode'" unless $mode =~ /^(fast|immediate)$/;
	return unless $self->is_running;

	my $pid = $self->{pid};
	print "# MariaDB $self->{name}: stopping (mode $mode, pid $pid)\n";
	kill($mode eq 'fast' ? 'TERM' : 'KILL', $pid);
	return if $self->_wait_exit($pid, $self->{timeout});

	Test::More::diag("MariaDB $self->{name} did not shut down in $self->{timeout}s; killing it");
	kill('KILL', $pid);
	$self->_wait_exit($pid, 30);
	return;
}

sub _wait_exit
{
	my ($self, $pid, $timeout) = @_;

	my $deadline = Time::HiRes::time() + $timeout;
	while (Time::HiRes::time() < $deadline)
	{
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid || ($r == -1 && !kill(0, $pid)))
		{
			$self->{pid} = undef;
			return 1;
		}
		Time::HiRes::sleep(0.05);
	}
	return 0;
}

=pod

=item $my->restart(%opts)

stop (mode => 'fast' by default) and start again. extra => [...] replaces the
extra server options for this and later starts.

=cut

sub restart
{
	my ($self, %opts) = @_;

	$self->stop($opts{mode});
	$self->{extra} = _normalize_options($opts{extra}) if exists $opts{extra};
	$self->start;
	return;
}

=pod

=item sql_quote($string)

A MariaDB string literal for $string (function, exportable; also a method).

=cut

sub sql_quote
{
	my $s = pop;

	$s =~ s/\\/\\\\/g;
	$s =~ s/'/\\'/g;
	$s =~ s/\0/\\0/g;
	return "'$s'";
}

# The mariadb client command line for %opts (see try_sql).
sub _client_command
{
	my ($self, %opts) = @_;

	my @cmd = ('mariadb', '--no-defaults', '--batch', '--skip-column-names',
		'--connect-timeout=10');
	my $tcp = ($opts{protocol} // (defined $opts{user} ? 'tcp' : 'socket')) eq 'tcp';
	if ($tcp)
	{
		push @cmd, '--protocol=TCP', '--host=' . $self->host, "--port=$self->{port}";
	}
	else
	{
		push @cmd, '--protocol=SOCKET', "--socket=$self->{socket}";
	}
	push @cmd, '--user=' . ($opts{user} // 'root');
	push @cmd, '--raw' if $opts{raw};
	push @cmd, "--database=$opts{database}" if defined $opts{database};
	return @cmd;
}

=pod

=item $my->try_sql($sql, %opts)

Runs $sql (one or more statements) through the mariadb client in batch mode
(tab-separated rows, no column names, NULL printed as NULL) and returns
($ok, $stdout, $stderr), trailing newlines removed. Options:
user (default root), password (passed through MYSQL_PWD, never on the
command line), database, protocol ('socket' for root by default, 'tcp' when
user is given), raw (no escaping of special characters).

=cut

sub try_sql
{
	my ($self, $sql, %opts) = @_;

	croak "MariaDB $self->{name} is not running" unless $self->is_running;
	my @cmd = $self->_client_command(%opts);
	my ($out, $err) = ('', '');

	local $ENV{MYSQL_PWD};
	if (defined $opts{password}) { $ENV{MYSQL_PWD} = $opts{password} }
	else { delete $ENV{MYSQL_PWD} }

	my $ok = eval {
		IPC::Run::run(\@cmd, '<', \$sql, '>', \$out, '2>', \$err,
			IPC::Run::timeout($self->{timeout}));
	};
	if (!defined $ok)
	{
		$err .= $@;
		$ok = 0;
	}
	chomp $out;
	chomp $err;
	return ($ok ? 1 : 0, $out, $err);
}

=pod

=item $my->sql($sql, %opts) / $my->safe_sql($sql, %opts)

As try_sql, but returns stdout and dies with stderr when the client fails.

=cut

sub sql
{
	my ($self, $sql, %opts) = @_;

	my ($ok, $out, $err) = $self->try_sql($sql, %opts);
	croak "MariaDB $self->{name}: query failed: $err\nquery was: $sql" unless $ok;
	return $out;
}

sub safe_sql { my $self = shift; return $self->sql(@_) }

=pod

=item $my->sql_rows($sql, %opts)

Runs a query and returns its rows as a list of array references of column
values (batch-mode escaping kept; NULL as the string NULL).

=cut

sub sql_rows
{
	my ($self, $sql, %opts) = @_;

	my $out = $self->sql($sql, %opts);
	return () if $out eq '';
	return map { [ split /\t/, $_, -1 ] } split /\n/, $out;
}

=pod

=item $my->variable($name)

The global value of a server variable, e.g. variable('binlog_format').

=cut

sub variable
{
	my ($self, $name) = @_;

	croak "bad variable name '$name'" unless $name =~ /^\w+$/;
	return $self->sql("SELECT \@\@GLOBAL.$name");
}

=pod

=item $my->binlog_position

(file, position) from SHOW MASTER STATUS.

=cut

sub binlog_position
{
	my ($self) = @_;

	my ($row) = $self->sql_rows('SHOW MASTER STATUS');
	croak "MariaDB $self->{name}: binary log is off" unless $row;
	return ($row->[0], $row->[1]);
}

=pod

=item $my->poll_query_until($sql, $expected, %opts)

Runs $sql every 100 ms until its output equals $expected (default '1').
Returns 1, or 0 after the timeout.

=cut

sub poll_query_until
{
	my ($self, $sql, $expected, %opts) = @_;

	$expected //= '1';
	my $deadline = Time::HiRes::time() + $self->{timeout};
	my $last = '';
	while (Time::HiRes::time() < $deadline)
	{
		my ($ok, $out, $err) = $self->try_sql($sql, %opts);
		return 1 if $ok && $out eq $expected;
		$last = $ok ? $out : $err;
		Time::HiRes::sleep(0.1);
	}
	Test::More::diag("poll_query_until timed out on MariaDB $self->{name}: $sql\n"
		  . "expected: $expected\nlast: $last");
	return 0;
}

=pod

=item $my->create_user($user, $password, @grants)

Creates (or replaces) '$user'@'%' with $password and runs GRANT <g> TO it for
every grant, e.g. 'REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.*' or
'SELECT ON sakila.*'. The statements are kept out of the binlog
(sql_log_bin = 0): a replica never sees them, and the password never reaches
the binlog.

=cut

sub create_user
{
	my ($self, $user, $password, @grants) = @_;

	my $account = sql_quote($user) . '@' . sql_quote('%');
	my $sql = "SET SESSION sql_log_bin = 0;\n"
	  . "CREATE OR REPLACE USER $account IDENTIFIED BY " . sql_quote($password) . ";\n";
	$sql .= "GRANT $_ TO $account;\n" for @grants;
	my ($ok, $out, $err) = $self->try_sql($sql);
	# the client echoes a failing statement: keep the password out of the log
	$err =~ s/\Q$password\E/********/g if $password ne '';
	croak "MariaDB $self->{name}: creating user $user failed: $err" unless $ok;
	return;
}

=pod

=item $my->write_config(%keys)

Writes a pg_chameleon YAML config file (mode 0600) and returns its path.
mysql_conn gets host 127.0.0.1, this server's port, user and passwd (from the
keys user and passwd; default root with an empty password);
mysql_conn => {...} adds or overrides connection keys (undef removes one).
my_database defaults to 'sakila', my_server_id to server_id + 1000.
path => '...' chooses the file (default a new file in the server's basedir).
Every other key is written at the top level: integers plain, strings
single-quoted, array refs as lists, hash refs as maps, scalar refs verbatim
(\'true').

=cut

sub write_config
{
	my ($self, %keys) = @_;

	my %conn = (
		host   => $self->host,
		port   => $self->{port},
		user   => delete $keys{user} // 'root',
		passwd => delete $keys{passwd} // '');
	my $over = delete $keys{mysql_conn} // {};
	croak "mysql_conn must be a hash reference" unless ref $over eq 'HASH';
	for my $k (keys %$over)
	{
		if (defined $over->{$k}) { $conn{$k} = $over->{$k} }
		else { delete $conn{$k} }
	}

	my $path = delete $keys{path};
	if (!defined $path)
	{
		$config_count++;
		$path = "$self->{basedir}/chameleon_$config_count.yaml";
	}
	$keys{my_database}  //= 'sakila' unless exists $keys{schema_mappings};
	$keys{my_server_id} //= $self->{server_id} + 1000;

	my @order = (qw(host port socket user passwd));
	my %rank = map { $order[$_] => $_ } 0 .. $#order;
	my @conn_keys = sort { ($rank{$a} // 99) <=> ($rank{$b} // 99) or $a cmp $b } keys %conn;

	my $yaml = "# pg_chameleon config written by ChameleonMariaDB for $test_name\n";
	$yaml .= "mysql_conn:\n";
	$yaml .= "  $_: " . _yaml_scalar($conn{$_}) . "\n" for @conn_keys;
	for my $k ((grep { exists $keys{$_} } 'my_database', 'my_server_id'),
		sort grep { !/^my_(database|server_id)$/ } keys %keys)
	{
		$yaml .= _yaml_entry($k, $keys{$k}, '');
	}

	# create it 0600 from the start: it holds a password
	my $old_umask = umask(077);
	unlink $path;
	my $ok = open(my $fh, '>', $path);
	umask($old_umask);
	croak "could not write $path: $!" unless $ok;
	print $fh $yaml;
	close($fh) or croak "could not write $path: $!";
	chmod(0600, $path) or croak "could not chmod $path: $!";
	return $path;
}

sub _yaml_scalar
{
	my ($v) = @_;

	return '~' unless defined $v;
	return $$v if ref $v eq 'SCALAR';
	croak "unsupported YAML value $v" if ref $v;
	return $v if $v =~ /^-?[0-9]+$/;
	$v =~ s/'/''/g;
	return "'$v'";
}

sub _yaml_entry
{
	my ($key, $v, $indent) = @_;

	if (ref $v eq 'ARRAY')
	{
		return "$indent$key: []\n" unless @$v;
		return "$indent$key:\n" . join('', map { "$indent  - " . _yaml_scalar($_) . "\n" } @$v);
	}
	if (ref $v eq 'HASH')
	{
		return "$indent$key: {}\n" unless %$v;
		return "$indent$key:\n"
		  . join('', map { _yaml_entry($_, $v->{$_}, "$indent  ") } sort keys %$v);
	}
	return "$indent$key: " . _yaml_scalar($v) . "\n";
}

sub DESTROY
{
	my ($self) = @_;

	local ($?, $!, $@);
	return unless $self->{owner_pid} == $$;
	eval { $self->stop('fast') };
	return;
}

END
{
	my $exit_code = $?;

	for my $self (grep { defined } @all_instances)
	{
		next unless $self->{owner_pid} == $$;
		eval { $self->stop('fast') };
	}
	$? = $exit_code;
}

=pod

=back

=cut

1;
