#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# report.sh <pwcount outfile>: print the report of the pwcount plugin
# (scripts/bench/plugin/pwcount.c) if it is a result, else its reasons.
# Exit status: 0 complete, 1 incomplete (the guest missed a marker or never
# reached a stop marker, QEMU did not exit normally...), 2 no report.
# The benchmarks take their figures from a report only after this said 0.

set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../../.." && pwd)}
. "$TOP/scripts/lib/common.sh"

[ $# = 1 ] || { echo "usage: ${0##*/} <pwcount outfile>" >&2; exit 2; }
f=$1
if [ ! -s "$f" ]; then
	info "error: no pwcount report $f (did QEMU load the plugin?)"
	exit 2
fi
case $(sed -n 1p "$f") in
'pwcount: complete')
	cat "$f"
	;;
'pwcount: INCOMPLETE')
	grep '^incomplete: ' "$f" >&2 || true
	info "error: $f: incomplete run, no result"
	exit 1
	;;
*)
	info "error: $f is not a pwcount report"
	exit 2
	;;
esac
