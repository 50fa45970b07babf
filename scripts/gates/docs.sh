#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the HTML documentation of every Documentation/ directory the
# series touches (make SPHINXDIRS=<dirs> htmldocs), at the tip of the
# series ($BUILDDIR/docs) and at base ($BUILDDIR/docs-base, from the
# base worktree the static gates use), and fail on any Sphinx or
# kernel-doc warning the series adds.  A directory built alone has
# warnings of its own (references to documents outside SPHINXDIRS, and
# the base has real ones); they are the same on both sides and only
# counted.  Warnings are compared with line numbers and tree paths
# stripped (source trees and build dirs: files Sphinx generates, such as
# the ABI pages, are reported in the build dir).

set -eu
. "$(dirname "$0")/../lib/common.sh"

need_tree
command -v /usr/bin/sphinx-build >/dev/null ||
	die "Debian's python3-sphinx is needed (make deps)"

changed=$(kgit diff --name-only "base..refs/heads/$BRANCH")
dirs=$(echo "$changed" | sed -n 's#^Documentation/\([^/]*\)/.*#\1#p' | sort -u)
if [ -z "$dirs" ]; then
	info "the series touches no Documentation/ directory"
	exit 0
fi

detached_worktree "$BASEWT" base

mkdir -p "$WORKDIR/results"
# $1 source tree, $2 build dir, $3 log.  Debian's Sphinx, not a Python
# that happens to come first in PATH.
htmldocs() {
	# Sphinx rebuilds incrementally and reports a warning only when it
	# rereads the file: start from scratch so both sides report all.
	rm -rf "$2"
	mkdir -p "$2"
	if ! PATH=/usr/bin:$PATH make -C "$1" O="$2" \
		SPHINXDIRS="$(echo $dirs)" PYTHON3=/usr/bin/python3 \
		SPHINXBUILD=/usr/bin/sphinx-build htmldocs >"$3" 2>&1; then
		tail -20 "$3"
		die "htmldocs failed in $1 (log: $3)"
	fi
}

normalise() {
	grep -iE 'warning|error' "$1" | sed -E \
		-e "s|$KDIR/||g" -e "s|$BASEWT/||g" \
		-e "s|$BUILDDIR/docs-base/||g" -e "s|$BUILDDIR/docs/||g" \
		-e 's|^(\.\./)+[^/]+/||' \
		-e 's/:[0-9]+(:[0-9]+)?:/:/' | sort -u
}

new=$WORKDIR/results/docs.log old=$WORKDIR/results/docs-base.log
kgit checkout -q "$BRANCH"
# Sphinx is mostly one process: build the two trees side by side, each
# in a subshell (htmldocs dies on failure), and wait for both.
htmldocs "$KDIR" "$BUILDDIR/docs" "$new" &
pid_new=$!
htmldocs "$BASEWT" "$BUILDDIR/docs-base" "$old" &
pid_old=$!
rc=0
wait $pid_new || rc=1
wait $pid_old || rc=1
[ $rc = 0 ] || exit 1
normalise "$new" >"$new.w"
normalise "$old" >"$old.w"
added=$(comm -13 "$old.w" "$new.w")
if [ -n "$added" ]; then
	printf '%s\n' "$added"
	die "htmldocs: warnings the series adds (above; log: $new)"
fi
echo "htmldocs for $(echo $dirs): no new warning" \
	"($(wc -l <"$new.w") warnings, each also in base)"
