#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What matching costs a picture in two builds (e.g. the sanitized test
# build and a release build), on the pictures of a real walk: 60 frames
# spread over a case's video-frames/, searched for the tags the live
# install watches while Calamares installs. The two builds run in turns,
# ROUNDS times each; then the medians of their per-picture times and the
# ratio of those medians.
#   sh bench/bench-install-match.sh BUILD_A BUILD_B FRAMES_DIR [ROUNDS] [TAGS]
set -eu
[ $# -ge 3 ] || { echo "usage: $0 BUILD_A BUILD_B FRAMES_DIR [ROUNDS] [TAGS]" >&2; exit 2; }
a=$1 b=$2 frames=$3 rounds=${4:-5} tags=${5:-live-finished,live-install-failed}
needles=$(dirname "$0")/../suites/install/needles
n=$(ls "$frames"/*.png | wc -l)
[ "$n" -gt 0 ] || { echo "$0: no PNG in $frames" >&2; exit 1; }
step=$(( (n + 59) / 60 ))
set -- $(ls "$frames"/*.png | awk -v s="$step" 'NR % s == 0')
out=$(mktemp)
trap 'rm -f "$out"' EXIT
i=0
while [ $i -lt "$rounds" ]; do
	for build in "$a" "$b"; do
		printf '%s ' "$build" >>"$out"
		"$build/bench/bench-match-frames" -n 3 "$needles" "$tags" "$@" >>"$out"
	done
	i=$((i + 1))
done
cat "$out"
# median of each build's per-picture medians, then their ratio
awk -v a="$a" -v b="$b" '
	{ for (i = 1; i <= NF; i++) if ($i == "median") v[$1, ++c[$1]] = $(i + 1) }
	function median(k,   n, i, j, t, s) {
		n = c[k]; for (i = 1; i <= n; i++) s[i] = v[k, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
		return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
	}
	END { ma = median(a); mb = median(b)
	      printf "%s: %.2f ms a picture, %s: %.2f ms a picture, %s/%s = %.3f\n", a, ma, b, mb, b, a, mb / ma }' "$out"
