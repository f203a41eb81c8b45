#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The cost of one `hvtest screen` call, what a walk written as a script
# pays per action: a new process that reads the needle directory,
# connects to the display and acts. On a machine started here with a
# display (the default guest): `grab` (no needles) and `check TAG` against
# suites/install/needles (56 needles, two with the tag). With a second
# build directory, its binary runs the same calls, interleaved, and the
# medians' ratio is printed.
#   sh bench/bench-screen-cli.sh [BUILD_DIR] [REPS] [BASELINE_BUILD_DIR]
set -eu
build=${1:-build}
reps=${2:-15}
base=${3:-}
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
vm_pid=
cleanup() {
	[ -n "$vm_pid" ] && kill "$vm_pid" 2> /dev/null && wait "$vm_pid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
"$build/src/cli/hvtest" vm run --display std --workdir "$dir/vm" --stay > "$dir/vm.log" 2>&1 &
vm_pid=$!
i=0
until [ -S "$dir/vm/vnc.sock" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "no display after 60 s: $(cat "$dir/vm.log")" >&2; exit 1; }
	sleep 0.1
done
# call BUILD ACTION...: one timed call, prints its seconds
call() {
	b=$1
	shift
	t0=$(date +%s.%N)
	"$b/src/cli/hvtest" screen --workdir "$dir/vm" --needles "$src/suites/install/needles" \
		"$@" > /dev/null 2>&1 || true
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}
# the first calls warm the page cache
for b in "$build" $base; do
	call "$b" grab "$dir/g.png" > /dev/null
	call "$b" check live-next > /dev/null
done
n=0
while [ $n -lt "$reps" ]; do
	for b in "$build" $base; do
		tag=$([ "$b" = "$build" ] && echo new || echo base)
		echo "$tag grab $(call "$b" grab "$dir/g.png")" >> "$dir/t"
		echo "$tag check $(call "$b" check live-next)" >> "$dir/t"
	done
	n=$((n + 1))
done
# median and quartiles per build and action
for tag in new base; do
	for a in grab check; do
		awk -v t="$tag" -v a="$a" '$1 == t && $2 == a { print $3 }' "$dir/t" | sort -n > "$dir/s"
		k=$(wc -l < "$dir/s")
		[ "$k" -gt 0 ] || continue
		awk -v k="$k" -v t="$tag" -v a="$a" '{ v[NR] = $1 }
			END { printf "%-4s %-5s median %.3f s (q1 %.3f, q3 %.3f), %d calls\n", t, a,
			      v[int((k + 1) / 2)], v[int((k + 3) / 4)], v[int((3 * k + 3) / 4)], k }' "$dir/s"
		awk -v k="$k" '{ v[NR] = $1 } END { print v[int((k + 1) / 2)] }' "$dir/s" > "$dir/m.$tag.$a"
	done
done
if [ -n "$base" ]; then
	for a in grab check; do
		awk -v a="$a" -v n="$(cat "$dir/m.new.$a")" -v b="$(cat "$dir/m.base.$a")" \
			'BEGIN { printf "%s: %.3f / %.3f = %.2f\n", a, n, b, n / b }'
	done
fi
