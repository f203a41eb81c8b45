#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The balloon suite's wall time with -j1 and -j2 (one after the other, in
# the same invocation), and from the stored results the settle time of the
# 256 MiB evictions and enlargements and the median boot to agent.
# Usage: bench/bench-balloon.sh [BUILDDIR] [FILTER...]
#   e.g. bench/bench-balloon.sh build 'only polling_on'
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
hvtest="$build/src/cli/hvtest"
plan=suites/balloon/balloon.cfg
command -v sqlite3 >/dev/null || { echo "bench-balloon: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
dir=$(mktemp -d /tmp/hvt-bench-balloon-XXXXXX)
trap 'rm -rf "$dir"' EXIT

"$hvtest" guest build >/dev/null
echo "balloon suite: $("$hvtest" plan list "$plan" "$@" | wc -l) cases, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for j in 1 2; do
	start=$(date +%s.%N)
	"$hvtest" run -j "$j" --results "$dir/r$j" "$plan" "$@" >"$dir/r$j.log" 2>&1 || true
	end=$(date +%s.%N)
	db="$dir/r$j/results.db"
	counts=$(sqlite3 "$db" "SELECT pass || ' pass, ' || fail || ' fail, ' || error || ' error, ' ||
		skip || ' skip, ' || timeout || ' timeout' FROM run_counts")
	echo "$start $end $j" | awk '{ printf "  -j%d: %.1f s wall, ", $3, $2 - $1 }'
	echo "$counts"
	sqlite3 -separator ' ' "$db" "
		SELECT CASE WHEN c.name LIKE '%basic.evict' THEN '    evict 256 MiB settle:'
		       ELSE '    evict and enlarge 256 MiB settle:' END,
		       COUNT(*) || ' changes, mean', printf('%.2f s,', AVG(m.value) / 1000),
		       'range', printf('%.2f-%.2f s', MIN(m.value) / 1000, MAX(m.value) / 1000)
		FROM final_cases c JOIN metrics m ON m.case_id = c.id
		WHERE m.name = 'settle' AND (c.name LIKE '%basic.evict' OR c.name LIKE '%basic.enlarge')
		GROUP BY c.name LIKE '%basic.evict';
		SELECT '    boot to agent: median of ' || (SELECT COUNT(*) FROM metrics WHERE name = 'boot'),
		       printf('%.2f s', value / 1000)
		FROM metrics WHERE name = 'boot' ORDER BY value
		LIMIT 1 OFFSET (SELECT COUNT(*) FROM metrics WHERE name = 'boot') / 2;"
done
