#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run every gate of the series and end with "N passed, N failed".
# 'quick' runs only the gates that need no kernel build.

set -u
. "$(dirname "$0")/common.sh"

S=$TOP/scripts
passed=0 failed=0 failed_names=
mkdir -p "$WORKDIR/results"

gate() {
	name=$1
	shift
	t0=$(date +%s)
	printf '== gate %s\n' "$name"
	if "$@"; then
		passed=$((passed + 1))
		printf '== gate %s: ok (%ss)\n\n' "$name" $(($(date +%s) - t0))
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		printf '== gate %s: FAILED (%ss)\n\n' "$name" $(($(date +%s) - t0))
	fi
}

start=$(date +%s)
gate consistency "$S/series.sh" check
gate format "$S/patchcheck.sh" format
gate checkpatch "$S/patchcheck.sh" checkpatch
if [ "${1:-}" != quick ]; then
	gate applies "$S/series.sh" sync-verify
	gate exported "$S/series.sh" status
	gate workbench "$S/selftest.sh"
	gate kunit "$S/kunit.sh"
	gate sparse-w1 "$S/static.sh" sparse
	gate kernel-doc "$S/static.sh" kerneldoc
	gate htmldocs "$S/docs.sh"
	gate build-each "$S/build-each.sh"
	gate cross "$S/cross.sh"
	gate b4 "$S/b4-dry-run.sh"
fi
[ -z "$failed_names" ] || echo "failed gates:$failed_names"
echo "total time: $(($(date +%s) - start))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
