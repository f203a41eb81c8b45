#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Downtime and total time of a migration per capability, for an idle guest
# and a busy one (the memory writer), measured side by side in one run:
# the matrix cases unix/running/pc of each capability and both loads, one
# at a time (-j1; per capability idle then busy, each REPEAT times); then the
# median and range of QEMU's total-time and downtime, and the median
# transferred MiB and dirty-bitmap syncs, from the stored metrics.
# Usage: bench/bench-migration.sh [BUILDDIR] [REPEAT] [CAPABILITIES]
# CAPABILITIES: the matrix's capability variants to measure, separated by
# blanks (default: all nine).
set -eu
build=${1:-build}
repeat=${2:-3}
caps=${3:-none events xbzrle auto_converge multifd multifd_zlib multifd_zstd postcopy bandwidth}
hvtest="$build/src/cli/hvtest"
plan=bench/bench-migration.cfg
filter='only matrix.unix.running..pc'
capfilter="only $(echo $caps | sed 's/ /, /g')"
command -v sqlite3 >/dev/null || { echo "bench-migration: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
dir=$(mktemp -d /tmp/hvt-bench-migration-XXXXXX)
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

"$hvtest" guest build >/dev/null
n=$("$hvtest" plan list "$plan" "$filter" "$capfilter" 'no disk' | wc -l)
echo "migration benchmark: $n cases x $repeat, -j1, QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
"$hvtest" run -j 1 --repeat "$repeat" --results "$dir/r" "$plan" "$filter" "$capfilter" 'no disk' >"$dir/run.log" 2>&1 || true
echo "wall $(( $(date +%s) - start )) s, load average after $(cut -d' ' -f1-3 /proc/loadavg)"
# one line per attempt and metric: caps load metric value
sqlite3 -separator ' ' "$dir/r/results.db" "
	SELECT pc.value, pl.value, m.name, m.value
	FROM cases c
	JOIN params pc ON pc.case_id = c.id AND pc.key = 'caps'
	JOIN params pl ON pl.case_id = c.id AND pl.key = 'load'
	JOIN metrics m ON m.case_id = c.id
	WHERE m.name IN ('total_time', 'downtime', 'transferred', 'dirty_sync_count')
	  AND EXISTS (SELECT 1 FROM checks k WHERE k.case_id = c.id
		      AND k.name LIKE 'migrate%: completed' AND k.status = 'pass')" |
awk -v order="$caps" '
	{ k = $1 " " $2 " " $3; v[k, ++n[k]] = $4 }
	function sorted(k,    i, j, t) {
		for (i = 1; i <= n[k]; i++) s[i] = v[k, i]
		for (i = 2; i <= n[k]; i++)
			for (j = i; j > 1 && s[j - 1] > s[j]; j--) { t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
	}
	function med(k) { if (!n[k]) return "-"; sorted(k); return n[k] % 2 ? s[(n[k] + 1) / 2] : (s[n[k] / 2] + s[n[k] / 2 + 1]) / 2 }
	function rng(k) { if (!n[k]) return ""; sorted(k); return sprintf("(%g-%g)", s[1], s[n[k]]) }
	function cell(c, l, m, fmt) { k = c " " l " " m; return n[k] ? sprintf(fmt, med(k)) " " rng(k) : "-" }
	END {
		printf "| capability | idle: total ms | idle: downtime ms | idle: MiB, syncs | busy: total ms | busy: downtime ms | busy: MiB, syncs |\n"
		printf "|---|---|---|---|---|---|---|\n"
		split(order, caps, " ")
		for (i = 1; i in caps; i++) {
			c = caps[i]; line = "| " c
			split("idle memory", loads, " ")
			for (j = 1; j <= 2; j++) {
				l = loads[j]
				line = line " | " cell(c, l, "total_time", "%.0f") " | " cell(c, l, "downtime", "%.0f")
				line = line " | " sprintf("%.0f, %.0f", med(c " " l " transferred"), med(c " " l " dirty_sync_count")) " (n=" n[c " " l " total_time"] ")"
			}
			print line " |"
		}
	}'
sqlite3 -separator ' ' "$dir/r/results.db" "SELECT 'outcomes:', group_concat(o, ', ') FROM
	(SELECT outcome || ' ' || COUNT(*) AS o FROM cases GROUP BY outcome)"
