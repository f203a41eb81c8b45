#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The libvirt migration matrix's wall time with -j1 and -j2 (one after the
# other, in the same invocation), and from the stored results the outcome
# counts, the median and spread of the case times and of the migrations.
# Usage: bench/bench-libvirt.sh [BUILDDIR] [JOBS] [FILTER...]
#   e.g. bench/bench-libvirt.sh build "1 2" 'only matrix'     (the 96 cases)
set -eu
build=${1:-build}
jobs=${2:-"1 2"}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 'only matrix'
hvtest="$build/src/cli/hvtest"
plan=suites/libvirt/libvirt.cfg
command -v sqlite3 >/dev/null || { echo "bench-libvirt: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
dir=$(mktemp -d /tmp/hvt-bench-libvirt-XXXXXX)
trap 'rm -rf "$dir"' EXIT

"$hvtest" guest build >/dev/null
echo "libvirt: $("$hvtest" plan list "$plan" "$@" | wc -l) cases, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for j in $jobs; do
	start=$(date +%s.%N)
	"$hvtest" run -j "$j" --results "$dir/r$j" "$plan" "$@" >"$dir/r$j.log" 2>&1 || true
	end=$(date +%s.%N)
	db="$dir/r$j/results.db"
	counts=$(sqlite3 "$db" "SELECT pass || ' pass, ' || fail || ' fail, ' || error || ' error, ' ||
		skip || ' skip, ' || timeout || ' timeout' FROM run_counts")
	echo "$start $end $j" | awk '{ printf "  -j%d: %.1f s wall, ", $3, $2 - $1 }'
	echo "$counts"
	# median (lower middle), min and max of the case times and of the migrations
	sqlite3 -separator ' ' "$db" "
		WITH d AS (SELECT duration AS v FROM final_cases WHERE outcome = 'pass')
		SELECT '    case time: median of', (SELECT COUNT(*) FROM d),
		       printf('%.1f s, range %.1f-%.1f s',
			      (SELECT v FROM d ORDER BY v LIMIT 1 OFFSET ((SELECT COUNT(*) FROM d) - 1) / 2),
			      (SELECT MIN(v) FROM d), (SELECT MAX(v) FROM d));
		WITH m AS (SELECT value / 1000 AS v FROM metrics WHERE name = 'migration_time')
		SELECT '    migration: median of', (SELECT COUNT(*) FROM m),
		       printf('%.2f s, range %.2f-%.2f s',
			      (SELECT v FROM m ORDER BY v LIMIT 1 OFFSET ((SELECT COUNT(*) FROM m) - 1) / 2),
			      (SELECT MIN(v) FROM m), (SELECT MAX(v) FROM m));"
done
