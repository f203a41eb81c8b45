#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What a Slurm job array costs per task: a one-host cluster (the tests'
# tests/integration/slurm-cluster.sh, in a PID namespace that ends with
# this script) runs a plan of N noop cases as --shards N (one case per
# task) and, for comparison, 'hvtest run' runs one noop case locally.
# Repeated R times; prints median and range of each, and the overhead per
# task: array wall time x (tasks at once) / N - local time of one case
# (what a task costs a node beyond running its case with hvtest).
#
# usage: bench/bench-slurm.sh [BUILDDIR] [N] [R]   (root; default build 16 5)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
n=${2:-16}
reps=${3:-5}
hvtest=$(cd "$build" && pwd)/src/cli/hvtest
dir=$(mktemp -d /tmp/hvt-bench-slurm-XXXXXX)
chmod 0755 "$dir"
cluster_pid=
cleanup() {
	[ -n "$cluster_pid" ] && kill -KILL "$cluster_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
unshare --pid --fork --kill-child=SIGKILL --mount-proc -- tini -s -- \
	sh "$src/tests/integration/slurm-cluster.sh" "$dir/cluster" 27817 27818 \
	> "$dir/cluster.log" 2>&1 &
cluster_pid=$!
i=0
until [ -e "$dir/cluster/ready" ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && { echo "the cluster did not start:"; tail "$dir/cluster.log"; exit 1; }
	sleep 0.1
done
export SLURM_CONF="$dir/cluster/slurm.conf"
cpus=$(scontrol -o show node node1 | sed -n 's/.*CPUTot=\([0-9]*\).*/\1/p')

{
	echo "type = noop"
	echo "variants:"
	k=0
	while [ $k -lt "$n" ]; do echo "    - c$k:"; k=$((k + 1)); done
} > "$dir/plan.cfg"
printf 'type = noop\nvariants:\n    - c0:\n' > "$dir/one.cfg"

now() { date +%s.%N; }
stats() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
	printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'; }

: > "$dir/array.t"
: > "$dir/local.t"
r=0
while [ $r -lt "$reps" ]; do
	t0=$(now)
	"$hvtest" run --slurm --shards "$n" -j 1 --results "$dir/r$r" "$dir/plan.cfg" > "$dir/out" 2>&1 ||
		{ cat "$dir/out"; exit 1; }
	t1=$(now)
	grep -q "$n of $n cases stored" "$dir/out" || { cat "$dir/out"; exit 1; }
	awk "BEGIN { print $t1 - $t0 }" >> "$dir/array.t"
	t0=$(now)
	"$hvtest" run -j 1 --results "$dir/l$r" "$dir/one.cfg" > "$dir/out" 2>&1 ||
		{ cat "$dir/out"; exit 1; }
	t1=$(now)
	awk "BEGIN { print $t1 - $t0 }" >> "$dir/local.t"
	r=$((r + 1))
done
set -- $(stats < "$dir/array.t")
am=$1 alo=$2 ahi=$3
set -- $(stats < "$dir/local.t")
lm=$1 llo=$2 lhi=$3
echo "$n tasks of one noop case, $cpus CPUs (tasks at once), $reps reps:"
echo "  job array, submit to merged run: median $am s (range $alo-$ahi)"
echo "  one case run locally:             median $lm s (range $llo-$lhi)"
awk "BEGIN { printf \"  per task: %.2f s of a CPU slot, of which %.2f s is Slurm's and the merge's\\n\", \
	$am * $cpus / $n, $am * $cpus / $n - $lm }"
