#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Needle search, hvtest's matcher against os-autoinst's on the same files,
# in one run: bench-needle writes the screens and needles and times its
# own searches, bench-needle-osautoinst.pl times tinycv's on them. Both
# must give the same verdicts and places; then the ratio of the medians.
#   sh bench/bench-needle.sh [BUILD_DIR] [REPS]
set -eu
build=${1:-build}
reps=${2:-15}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$build/bench/bench-needle" -n "$reps" "$dir" >"$dir/hvtest.txt"
perl "$(dirname "$0")/bench-needle-osautoinst.pl" -n "$reps" "$dir" >"$dir/oa.txt"
echo "hvtest:"; cat "$dir/hvtest.txt"
echo "os-autoinst:"; cat "$dir/oa.txt"
# case, verdict, score and place must agree; then the medians' ratio
awk 'NR == FNR { if (FNR > 1) { v[$1] = $2 " " $3 " " $4; t[$1] = $5 } next }
     FNR > 1 { same = (v[$1] == $2 " " $3 " " $4) ? "same verdict and place" : "DIFFERENT: " v[$1] " vs " $2 " " $3 " " $4;
               printf "%-16s hvtest/os-autoinst = %.2f  (%s)\n", $1, t[$1] / $5, same
               if (v[$1] != $2 " " $3 " " $4) bad = 1 }
     END { exit bad }' "$dir/hvtest.txt" "$dir/oa.txt"
