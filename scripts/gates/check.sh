#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run every gate of the series and end with "N passed, N failed".
# 'quick' runs only the gates that need no kernel build.

set -u
. "$(dirname "$0")/../lib/common.sh"

G=$TOP/scripts/gates T=$TOP/scripts/tree
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
gate consistency "$T/series.sh" check
gate format "$G/patchcheck.sh" format
gate checkpatch "$G/patchcheck.sh" checkpatch
if [ "${1:-}" != quick ]; then
	gate applies "$T/series.sh" sync-verify
	gate parts-alone "$T/series.sh" alone
	gate exported "$T/series.sh" status
	gate workbench "$G/selftest.sh"
	gate kunit "$G/kunit.sh"
	gate usertest "$G/usertest.sh"
	gate sparse-w1 "$G/static.sh" sparse
	gate kernel-doc "$G/static.sh" kerneldoc
	gate htmldocs "$G/docs.sh"
	gate build-each "$G/build-each.sh"
	gate cross "$G/cross.sh"
	gate b4 "$G/b4-dry-run.sh"
	# Last: it leaves mutated objects in the KUnit build dirs (the next
	# make kunit recompiles them from ccache).  Four a day, in turn
	# (MUTATE_ROTATE=<k> overrides): all of them take over half an hour
	# since part 3 (docs/workbench.md); 'make mutate' runs every one.
	gate mutants env MUTATE_ROTATE="${MUTATE_ROTATE:-4}" "$G/mutate.sh"
fi
[ -z "$failed_names" ] || echo "failed gates:$failed_names"
echo "total time: $(($(date +%s) - start))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
