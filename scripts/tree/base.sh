#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Create the base kernel tree in $WORKDIR/linux and tag it 'base'.
#
# Default: unpack Debian's linux-source-7.3 tarball (fetched by deps.sh) and
# commit it with a fixed identity, and the date of the package's Debian
# changelog entry, so one package always yields one commit id.
# KERNEL_SRC=<git tree>: share the objects of the user's tree (git clone
# --shared) and start from BASE_REF there; their checkout is never touched.
# Either way the tree must be Linux $SERIES_VERSION[.y].

set -eu
. "$(dirname "$0")/../lib/common.sh"

TARBALL=${TARBALL:-$BASE_TARBALL}
DEBPKG=$BASE_DEBPKG

# "VERSION.PATCHLEVEL" of the top-level Makefile on stdin.
mk_version() {
	awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		END { print v "." p }'
}

if [ -n "${KERNEL_SRC:-}" ]; then
	[ -d "$KERNEL_SRC" ] || die "KERNEL_SRC=$KERNEL_SRC: no such directory"
	git -C "$KERNEL_SRC" rev-parse --git-dir >/dev/null 2>&1 ||
		die "KERNEL_SRC=$KERNEL_SRC is not a git tree"
	[ -z "$(git -C "$KERNEL_SRC" status --porcelain --untracked-files=no)" ] ||
		die "KERNEL_SRC=$KERNEL_SRC has uncommitted changes; commit or stash them first"
	ref=${BASE_REF:-HEAD}
	sha=$(git -C "$KERNEL_SRC" rev-parse -q --verify "$ref^{commit}") ||
		die "BASE_REF=$ref is not a commit in $KERNEL_SRC"
	v=$(git -C "$KERNEL_SRC" show "$sha:Makefile" 2>/dev/null | mk_version)
	[ "$v" = "$SERIES_VERSION" ] ||
		die "KERNEL_SRC=$KERNEL_SRC at $ref is Linux ${v:-?}; the series applies to Linux $SERIES_VERSION (BASE_REF=v$SERIES_VERSION)"
	ident="git $(cd "$KERNEL_SRC" && pwd) $sha"
else
	[ -r "$TARBALL" ] && [ -s "$BASE_DEBVER" ] ||
		die "$DEBPKG missing from $WORKDIR/debs (run 'make deps')"
	debver=$(cat "$BASE_DEBVER")
	ident="deb $DEBPKG $debver"
fi

if [ -f "$WORKDIR/base-info" ]; then
	old=$(sed -n 's/^source: //p' "$WORKDIR/base-info")
	if [ "$old" = "$ident" ] && kgit rev-parse -q --verify refs/tags/base >/dev/null; then
		[ "${1:-}" = --quiet ] || cat "$WORKDIR/base-info"
		exit 0
	fi
	die "$KDIR holds another base ($old); remove $WORKDIR or set WORKDIR="
fi
[ ! -e "$KDIR" ] || die "$KDIR exists but is not a finished base tree; remove it"

need_space 6000
tmp=$KDIR.tmp
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT

if [ -n "${KERNEL_SRC:-}" ]; then
	info "sharing objects of $KERNEL_SRC at $sha"
	git clone -q --shared --no-checkout "$KERNEL_SRC" "$tmp"
	git -C "$tmp" checkout -q --detach "$sha"
	git -C "$tmp" tag -f base "$sha" >/dev/null
	debver=none
else
	info "unpacking $TARBALL"
	mkdir -p "$tmp"
	tar -xJf "$TARBALL" -C "$tmp" --strip-components=1
	# The date of the package's newest Debian changelog entry: fixed
	# for a given package, so the base commit id is too.
	chl=$WORKDIR/debs/root/usr/share/doc/$DEBPKG/changelog.Debian.gz
	BASE_DATE=$(zcat "$chl" 2>/dev/null | sed -n 's/^ -- .*>  //p' | head -1)
	[ -n "$BASE_DATE" ] || die "no date in $chl"
	BASE_DATE=$(date -u -d "$BASE_DATE" '+%Y-%m-%dT%H:%M:%S+0000')
	v=$(mk_version <"$tmp/Makefile")
	[ "$v" = "$SERIES_VERSION" ] ||
		die "$TARBALL is Linux $v; the series applies to Linux $SERIES_VERSION"
	# Debian's .gitignore ends with a stanza that ignores every top-level
	# path (it is meant for the packaging repository).  Drop it, or new
	# files added by the series would be silently ignored by 'git add'.
	sed -i '/^# Debian packaging:/,$d' "$tmp/.gitignore"
	sed -i '${/^#$/d}' "$tmp/.gitignore"
	git -C "$tmp" init -q -b base-import
	git -C "$tmp" config gc.auto 0
	info "committing the base tree (takes a minute or two)"
	git -C "$tmp" add -A -f .
	GIT_AUTHOR_NAME='Pagewise base' GIT_AUTHOR_EMAIL=pagewise@example.org \
	GIT_COMMITTER_NAME='Pagewise base' GIT_COMMITTER_EMAIL=pagewise@example.org \
	GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
		git -C "$tmp" commit -q --no-verify -F - <<MSG
Linux $(make -s -C "$tmp" kernelversion) from Debian $DEBPKG $debver

Unpacked from $(basename "$TARBALL") as shipped by the Debian package
$DEBPKG $debver.  The last stanza of the top-level .gitignore
("Debian packaging") is dropped: it ignores every top-level path, so
files added by the series would be ignored by 'git add'.
MSG
	git -C "$tmp" tag base
fi

git -C "$tmp" config user.name Pagewise
git -C "$tmp" config user.email pagewise@example.org
kver=$(make -s -C "$tmp" kernelversion)
mv "$tmp" "$KDIR"
trap - EXIT
cat >"$WORKDIR/base-info" <<INFO
source: $ident
kernel: $kver
debian: $debver
commit: $(kgit rev-parse base)
INFO
cat "$WORKDIR/base-info"
