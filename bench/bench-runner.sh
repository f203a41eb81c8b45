#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runner overhead per case: N cases of the built-in "noop" type (default
# 1000), run with -j1 and -j2 in the same invocation of this script.
# Usage: bench/bench-runner.sh [BUILDDIR] [N]
set -eu
build=${1:-build}
n=${2:-1000}
hvtest="$build/src/cli/hvtest"
dir=$(mktemp -d /tmp/hvt-bench-runner-XXXXXX)
trap 'rm -rf "$dir"' EXIT

# 10 x 10 x (n/100) variants of one noop case
{
	echo "type = noop"
	for block in a b c; do
		echo "variants:"
		count=10
		[ "$block" = c ] && count=$((n / 100))
		i=0
		while [ "$i" -lt "$count" ]; do
			echo "    - $block$i:"
			i=$((i + 1))
		done
	done
} >"$dir/noop.cfg"

cases=$("$hvtest" plan list "$dir/noop.cfg" | wc -l)
echo "runner overhead: $cases noop cases"
for j in 1 2; do
	start=$(date +%s.%N)
	"$hvtest" run -j "$j" --results "$dir/r$j" "$dir/noop.cfg" >/dev/null
	end=$(date +%s.%N)
	echo "$start $end $cases $j" | awk '{ t = $2 - $1;
		printf "  -j%d: %.2f s, %.2f ms per case, %.0f cases/s\n", $4, t, t * 1000 / $3, $3 / t }'
done
