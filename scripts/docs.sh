#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the HTML documentation of every Documentation/ directory the
# series touches (make SPHINXDIRS=<dir> htmldocs, in $BUILDDIR/docs) and
# fail on any Sphinx or kernel-doc warning that names a file the series
# adds or changes.  Warnings about untouched files (the base has some)
# are counted but do not fail.

set -eu
. "$(dirname "$0")/common.sh"

need_tree
command -v /usr/bin/sphinx-build >/dev/null ||
	die "Debian's python3-sphinx is needed (make deps)"

changed=$(kgit diff --name-only "base..refs/heads/$BRANCH")
dirs=$(echo "$changed" | sed -n 's#^Documentation/\([^/]*\)/.*#\1#p' | sort -u)
if [ -z "$dirs" ]; then
	info "the series touches no Documentation/ directory"
	exit 0
fi

bdir=$BUILDDIR/docs
log=$WORKDIR/results/docs.log
mkdir -p "$bdir" "$WORKDIR/results"
# Debian's Sphinx, not a Python that happens to come first in PATH.
if ! PATH=/usr/bin:$PATH make -C "$KDIR" O="$bdir" \
	SPHINXDIRS="$(echo $dirs)" PYTHON3=/usr/bin/python3 \
	SPHINXBUILD=/usr/bin/sphinx-build htmldocs >"$log" 2>&1; then
	tail -20 "$log"
	die "htmldocs failed (log: $log)"
fi

rc=0
for f in $changed; do
	if grep -F "$f" "$log" | grep -iE 'warning|error'; then
		rc=1
	fi
done
total=$(grep -ciE 'warning|error' "$log" || true)
if [ $rc = 0 ]; then
	echo "htmldocs for $(echo $dirs): no warning about the series' files ($total elsewhere)"
else
	echo "htmldocs: warnings about files of the series (log: $log)"
fi
exit $rc
