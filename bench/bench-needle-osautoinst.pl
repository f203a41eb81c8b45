#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
# The same needle searches as bench-needle, through os-autoinst's matcher
# (tinycv, Debian package os-autoinst), on the files bench-needle wrote:
#   perl bench/bench-needle-osautoinst.pl [-n REPS] DIR
# Each repetition searches fresh copies of the screen and the needle image,
# so that both are prepared (grey, blur) again, as for a new frame.
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time);
use lib '/usr/lib/os-autoinst';
# tinycv.pm loads os-autoinst's run-time (bmwqemu) only for its warning
# helper; Debian's package misses some of that run-time's Perl modules, and
# the matcher needs none of it.
BEGIN {
    package bmwqemu;
    $INC{'bmwqemu.pm'} = __FILE__;
    sub fctwarn { warn @_ }
    sub import { no strict 'refs'; *{caller() . '::fctwarn'} = \&fctwarn; }
}
use tinycv;

my $reps = 15;
if (@ARGV && $ARGV[0] eq '-n') { shift; $reps = shift; }
my $dir = shift or die "usage: $0 [-n REPS] DIR\n";

sub median_q {
    my @s = sort { $a <=> $b } @_;
    my $q = sub { my $f = shift; my $i = $f * $#s; my $lo = int($i);
        my $hi = $lo < $#s ? $lo + 1 : $lo; $s[$lo] + ($s[$hi] - $s[$lo]) * ($i - $lo) };
    return ($q->(0.5), $q->(0.25), $q->(0.75), $s[0], $s[-1]);
}

printf "%-16s %-7s %-9s %-10s %-12s %s\n", 'case', 'verdict', 'score', 'at', 'median ms',
    'q1-q3 (min-max) ms';
for my $case (qw(margin50-moved margin50-wrong whole-moved whole-wrong)) {
    open(my $fh, '<', "$dir/$case-needle.json") or die "$dir/$case-needle.json: $!\n";
    my $needle = decode_json(do { local $/; <$fh> });
    close $fh;
    my $area = $needle->{area}[0];
    my $screen = tinycv::read("$dir/$case-screen.png") or die "$case-screen.png\n";
    my $nimg = tinycv::read("$dir/$case-needle.png") or die "$case-needle.png\n";
    my $margin = defined $area->{margin} ? $area->{margin} : 50;
    my ($sim, $x, $y, @t);
    # one search before the timed ones, as bench-needle does
    for my $rep (0 .. $reps) {
        my ($s, $n) = ($screen->copy, $nimg->copy);
        my $t0 = time;
        ($sim, $x, $y) = $s->search_needle($n, $area->{xpos}, $area->{ypos}, $area->{width},
            $area->{height}, $margin);
        push @t, (time - $t0) * 1000 if $rep;
    }
    my $level = ($area->{match} || 96) / 100;
    my ($med, $q1, $q3, $min, $max) = median_q(@t);
    printf "%-16s %-7s %-9.4f %4d,%-5d %-12.2f %.2f-%.2f (%.2f-%.2f)\n", $case,
        $sim >= $level ? 'match' : 'miss', $sim, $x, $y, $med, $q1, $q3, $min, $max;
}
