# SPDX-License-Identifier: GPL-2.0
# Shared settings for the Pagewise workbench scripts.  Sourced, not run.

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
WORKDIR=${WORKDIR:-$HOME/.cache/pagewise}
KDIR=$WORKDIR/linux
BUILDDIR=$WORKDIR/build
BRANCH=series
AUTHOR_ID='Pagewise <pagewise@example.org>'

die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

info() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

kgit() {
	git -C "$KDIR" "$@"
}

# Refuse to start when the work dir's filesystem is (nearly) full.
# $1: megabytes needed.
need_space() {
	mkdir -p "$WORKDIR" 2>/dev/null || die "cannot create work dir $WORKDIR"
	avail=$(df -Pm "$WORKDIR" | awk 'NR == 2 { print $4 }')
	[ "${avail:-0}" -ge "$1" ] ||
		die "only ${avail:-0} MiB free in $WORKDIR, need $1 MiB"
}

need_tree() {
	kgit rev-parse -q --verify refs/tags/base >/dev/null 2>&1 ||
		die "no base tree in $KDIR (run 'make base')"
}

# Patch files named in the series file, in order; comments and blank lines skipped.
series_patches() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$TOP/series"
}
