#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
# What Test::Harness's TAP parser (the one prove uses) reads from a TAP
# file, as one JSON document on stdout: the version, the plan, the parse
# errors, and each test point with its directive and the YAML block that
# belongs to it. Descriptions are given with "\#" and "\\" unescaped, as TAP
# defines them. Usage: tap-read.pl FILE
use strict;
use warnings;
use JSON::PP;
use TAP::Parser;

open(my $fh, '<:raw', $ARGV[0]) or die "$ARGV[0]: $!\n";
my $tap = do { local $/; <$fh> };
close($fh);

my $parser = TAP::Parser->new({ tap => $tap });
my @tests;
my $last = '';
while (my $r = $parser->next) {
	if ($r->is_test) {
		my $desc = $r->description // '';
		$desc =~ s/^-\s//;
		$desc =~ s/\\([\\#])/$1/g;
		push @tests, {
			number => $r->number + 0,
			ok => $r->is_ok ? JSON::PP::true : JSON::PP::false,
			actual_ok => $r->is_actual_ok ? JSON::PP::true : JSON::PP::false,
			description => $desc,
			directive => $r->directive // '',
			explanation => $r->explanation // '',
		};
	} elsif ($r->is_yaml && $last eq 'test') {
		$tests[-1]{yaml} = $r->data;
	}
	$last = $r->type;
}
my @errors = $parser->parse_errors;
print JSON::PP->new->canonical->utf8(0)->encode({
	version => $parser->version + 0,
	tests_planned => ($parser->tests_planned // -1) + 0,
	tests_run => $parser->tests_run + 0,
	skip_all => $parser->skip_all ? JSON::PP::true : JSON::PP::false,
	passed => [ map { $_ + 0 } $parser->passed ],
	failed => [ map { $_ + 0 } $parser->failed ],
	todo => [ map { $_ + 0 } $parser->todo ],
	skipped => [ map { $_ + 0 } $parser->skipped ],
	parse_errors => \@errors,
	has_problems => $parser->has_problems ? JSON::PP::true : JSON::PP::false,
	tests => \@tests,
}), "\n";
