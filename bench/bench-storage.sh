#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Disk hot-plug: for each controller shape, attach and detach latency
# (median, p95, min-max) over ROUNDS attach/detach rounds of one disk
# while fio runs on eight others (the storage plan's fault.loop), and the
# wall time of the test plan's eight cases at -j2, all from one
# invocation. Every number comes from cases that passed: a failed case
# stops the benchmark.
# Usage: bench/bench-storage.sh [BUILDDIR] [ROUNDS] [CONTROLLER...]
#   e.g. bench/bench-storage.sh build-bench 20 virtio_scsi vhost_user_blk
set -eu
build=${1:-build}
rounds=${2:-20}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
shapes=${*:-virtio_scsi vhost_user_blk}
hvtest="$build/src/cli/hvtest"
src=$(cd "$(dirname "$0")/.." && pwd -P)
plan="$src/suites/storage/storage.cfg"
command -v sqlite3 >/dev/null || { echo "bench-storage: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
dir=$(mktemp -d /tmp/hvt-bench-storage-XXXXXX)
trap 'rm -rf "$dir"' EXIT

# the loop with ROUNDS rounds: the suite's plan with two keys changed (a round takes
# 5-35 s on a busy 2-core TCG host: 30 s of case time per round, and the set-up)
printf 'include %s\nloop_rounds = %s\ntimeout = %s\n' "$plan" "$rounds" \
	$((600 + 30 * rounds)) > "$dir/loop.cfg"

# NAME: its values (one per line, any order) -> "median p95 min max" (nearest rank)
stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		r = int(0.95 * NR); if (r < 0.95 * NR) r++
		printf "%.0f %.0f %.0f %.0f\n", m, v[r], v[1], v[NR] }'
}

# DB CASE-PATTERN METRIC OFFSET: a metric's values in pass cases, skipping the first OFFSET
values() {
	sqlite3 "$1" "SELECT m.value FROM final_cases c JOIN metrics m ON m.case_id = c.id
		WHERE c.name LIKE '$2' AND m.name = '$3' AND c.outcome = 'pass'
		ORDER BY m.pos LIMIT -1 OFFSET $4"
}

# DB: stop unless every case of the run passed
all_passed() {
	bad=$(sqlite3 "$1" "SELECT COUNT(*) FROM final_cases WHERE outcome <> 'pass'")
	if [ "$bad" != 0 ]; then
		echo "bench-storage: $bad case(s) did not pass; see $2" >&2
		sqlite3 "$1" "SELECT name, outcome, reason FROM final_cases WHERE outcome <> 'pass'" >&2
		trap - EXIT
		exit 1
	fi
}

"$hvtest" guest build >/dev/null
echo "disk hot-plug, $(qemu-storage-daemon --version | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in $shapes; do
	cfg="qsd.$shape.raw.writeback.iothread_off"
	db="$dir/$shape-loop/results.db"
	"$hvtest" run --results "$dir/$shape-loop" "$dir/loop.cfg" "only $cfg.fault.loop" \
		>"$dir/$shape-loop.log" 2>&1 || true
	all_passed "$db" "$dir/$shape-loop.log"
	# the loop's case first attaches the eight disks fio runs on: not under I/O, skipped
	set -- $(values "$db" "%fault.loop" attach_latency 8 | stats)
	echo "$shape: $rounds attaches under I/O, device_add -> visible in the guest: median $1 ms, p95 $2 ms, min-max $3-$4 ms"
	set -- $(values "$db" "%fault.loop" detach_event_latency 0 | stats)
	echo "$shape: $rounds detaches under I/O, device_del -> DEVICE_DELETED: median $1 ms, p95 $2 ms, min-max $3-$4 ms"
	set -- $(values "$db" "%fault.loop" detach_latency 0 | stats)
	echo "$shape: $rounds detaches under I/O, device_del -> gone from the guest: median $1 ms, p95 $2 ms, min-max $3-$4 ms"
	set -- $(values "$db" "%fault.loop" guest_poll 0 | stats)
	echo "$shape: one poll of the guest's disks (the resolution of the two above): median $1 ms, p95 $2 ms"

	start=$(date +%s.%N)
	"$hvtest" run -j 2 --results "$dir/$shape-seed" "$plan" "only $cfg" "only hotattach, hotdetach" \
		>"$dir/$shape-seed.log" 2>&1 || true
	end=$(date +%s.%N)
	all_passed "$dir/$shape-seed/results.db" "$dir/$shape-seed.log"
	echo "$start $end" | awk -v s="$shape" '{ printf "%s: the 8 cases of the test plan at -j2: %.1f s wall\n", s, $2 - $1 }'
	sqlite3 -separator ' ' "$dir/$shape-seed/results.db" "
		SELECT '   ', shortname, printf('%.1f s', duration) FROM final_cases ORDER BY idx"
done
