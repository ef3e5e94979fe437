#!/usr/bin/perl
# seeds.pl SQLFILE DIR -- the fuzz seed corpus: every dollar-quoted MySQL text
# ($$...$$ or $m$...$m$) of a regress input, one file each, plus each of its
# ';'-separated statements.
use strict;
use warnings;

my ($file, $dir) = @ARGV;
die "usage: $0 sqlfile dir\n" unless defined $dir;
open(my $in, '<', $file) or die "$file: $!\n";
my $text = do { local $/; <$in> };
close($in);

my $n = 0;
sub seed
{
	my ($s) = @_;
	return if $s !~ /\S/;
	my $path = sprintf("%s/seed-%04d", $dir, ++$n);
	open(my $out, '>', $path) or die "$path: $!\n";
	print $out $s;
	close($out);
}

while ($text =~ /\$(m?)\$(.*?)\$\1\$/sg)
{
	my $sql = $2;
	seed($sql);
	my @parts = split(/;/, $sql);
	if (@parts > 1) { seed($_) for @parts; }
}
print "fuzz seeds: $n files from $file\n";
