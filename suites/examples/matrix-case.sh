#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A stand-in case for suites/examples/matrix.cfg: it installs and boots
# nothing. It writes a console.log into its case directory and reports the
# outcome its plan asks for (matrix_outcome: pass, fail, skip or error) as TAP.
dir=${HVT_CASE_DIR:-.}
what="${HVT_PARAM_MATRIX_PHASE:-?} of ${HVT_PARAM_MATRIX_GUEST:-?} on ${HVT_PARAM_MATRIX_CONFIG:-?}"
reason=${HVT_PARAM_MATRIX_REASON:-asked for by matrix_outcome}
printf 'stand-in %s: %s\n' "$what" "${HVT_PARAM_MATRIX_OUTCOME:-pass}" >"$dir/console.log"
case ${HVT_PARAM_MATRIX_OUTCOME:-pass} in
pass)	echo "1..1"; echo "ok 1 - $what (stand-in)" ;;
fail)	echo "1..1"; echo "not ok 1 - $what (stand-in): $reason" ;;
skip)	echo "1..0 # SKIP $reason" ;;
error)	echo "stand-in error: $reason" >&2; exit 3 ;;
*)	echo "Bail out! matrix_outcome '${HVT_PARAM_MATRIX_OUTCOME}' is not pass, fail, skip or error"
	exit 1 ;;
esac
