#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Block trace replay rates (qtest-block-trace) beside the device's plain
# one-sector read loop (qtest-virtio-blk), all from the 'bench' variants of
# suites/qtest/blktrace.cfg, run REPS times with -j1 (one QEMU at a time):
# per case the median, minimum and maximum of requests/s, MiB/s and the
# median request latency over the repetitions, and each replay's rate over
# the plain loop's in the same repetition.
# Usage: bench/bench-blktrace.sh [BUILDDIR] [REPS]   (from the source tree)
set -eu
build=${1:-build}
reps=${2:-5}
hvtest="$build/src/cli/hvtest"
plan=suites/qtest/blktrace.cfg
command -v sqlite3 >/dev/null || { echo "bench-blktrace: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
dir=$(mktemp -d /tmp/hvt-bench-blktrace-XXXXXX)
trap 'rm -rf "$dir"' EXIT

echo "blktrace bench: $("$hvtest" plan list "$plan" 'only bench' | wc -l) cases x $reps, load average $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ "$i" -lt "$reps" ]; do
	i=$((i + 1))
	"$hvtest" run -j 1 --results "$dir/r" "$plan" 'only bench' >"$dir/run$i.log" 2>&1 ||
		{ cat "$dir/run$i.log" >&2; echo "bench-blktrace: repetition $i failed" >&2; exit 1; }
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# one line per case and repetition: case requests/s MiB/s p50-ms; the plain
# loop's rate is its read_requests_per_s
sqlite3 -separator ' ' "$dir/r/results.db" "
	SELECT c.run_id, replace(replace(c.name, 'bench.', ''), '.bench', ''),
	       MAX(CASE WHEN m.name IN ('requests_per_s', 'read_requests_per_s') THEN m.value END),
	       COALESCE(MAX(CASE WHEN m.name = 'MiB_per_s' THEN m.value END), 0),
	       COALESCE(MAX(CASE WHEN m.name = 'latency_p50_ms' THEN m.value END), 0)
	FROM final_cases c JOIN metrics m ON m.case_id = c.id
	WHERE c.outcome = 'pass' GROUP BY c.id ORDER BY c.run_id, c.idx;" >"$dir/values"
awk '
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	run = $1; name = $2
	if (!(name in seen)) { seen[name] = 1; order[++ncases] = name }
	k = ++n[name]
	rate[name, k] = $3; mib[name, k] = $4; lat[name, k] = $5
	if (name ~ /plain/) plain[run] = $3
	runof[name, k] = run
}
END {
	printf "%-16s %5s %22s %10s %9s %18s\n", "case", "runs", "requests/s med (min-max)",
	       "MiB/s med", "p50 ms", "x plain med (min-max)"
	for (c = 1; c <= ncases; c++) {
		name = order[c]
		delete r; delete m; delete l; delete x; nx = 0
		lo = hi = rate[name, 1]
		for (k = 1; k <= n[name]; k++) {
			r[k] = rate[name, k]; m[k] = mib[name, k]; l[k] = lat[name, k]
			if (r[k] < lo) lo = r[k]
			if (r[k] > hi) hi = r[k]
			if (runof[name, k] in plain && plain[runof[name, k]] > 0)
				x[++nx] = r[k] / plain[runof[name, k]]
		}
		xlo = xhi = x[1]
		for (k = 1; k <= nx; k++) { if (x[k] < xlo) xlo = x[k]; if (x[k] > xhi) xhi = x[k] }
		printf "%-16s %5d %8.0f (%5.0f-%5.0f) %10.2f %9.3f", name, n[name], median(r, n[name]),
		       lo, hi, median(m, n[name]), median(l, n[name])
		if (nx) printf " %6.2f (%4.2f-%4.2f)", median(x, nx), xlo, xhi
		printf "\n"
	}
}' "$dir/values"
