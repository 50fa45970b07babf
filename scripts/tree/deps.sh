#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install what the workbench needs, when it is missing:
#  - bookworm packages with apt-get (as root; otherwise print the command);
#  - Debian's linux-source-7.3 (trixie-backports) and sparse (sid's source
#    package, built here), fetched with a private apt configuration under
#    $WORKDIR/apt.  The system's own apt sources and preferences are never
#    touched, so nothing the machine installs by default changes.

set -eu
. "$(dirname "$0")/../lib/common.sh"

# clang-19/lld-19: cross-compile checks (7.3 needs LLVM 17 or later; s390
# links with GNU binutils).  python3-sphinx: the htmldocs gate.  sparse is
# built from source below: bookworm's 0.6.4 cannot parse 7.3's headers.
# fio, dmsetup: the guest of scripts/bench/pageless-writecache.sh.
PKGS="build-essential bc bison flex libelf-dev libssl-dev python3
      qemu-system-x86 git b4 coccinelle ccache dwarves clang lld llvm
      clang-19 lld-19 llvm-19 binutils-s390x-linux-gnu python3-sphinx
      cpio kmod rsync xz-utils fio dmsetup"

missing=
for p in $PKGS; do
	s=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) || s=
	[ "$s" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	cmd="apt-get install -y$missing"
	[ "$(id -u)" = 0 ] ||
		die "missing packages:$missing; run as root: apt-get update && $cmd"
	info "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || die "apt-get update failed"
	# shellcheck disable=SC2086
	$cmd >"${TMPDIR:-/tmp}/pagewise-apt.log" 2>&1 ||
		die "apt-get install failed; see ${TMPDIR:-/tmp}/pagewise-apt.log"
fi

# A private apt: its own sources, lists and cache, the system's dpkg
# status (read only).  Nothing is installed through it.
APTDIR=$WORKDIR/apt
papt() {
	"$@" -o Dir::Etc="$APTDIR/etc" -o Dir::Etc::SourceList="$APTDIR/etc/sources.list" \
		-o Dir::Etc::SourceParts="$APTDIR/etc/sources.list.d" \
		-o Dir::Etc::Preferences="$APTDIR/etc/preferences" \
		-o Dir::Etc::PreferencesParts="$APTDIR/etc/preferences.d" \
		-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" \
		-o Dir::State::status=/var/lib/dpkg/status -o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root
}

have_src=false have_sparse=false
# KERNEL_SRC= brings its own tree: no package needed.
[ -n "${KERNEL_SRC:-}" ] ||
	{ [ -r "$BASE_TARBALL" ] && [ -s "$BASE_DEBVER" ]; } && have_src=true
[ -x "$TOOLS/bin/sparse" ] && have_sparse=true
$have_src && $have_sparse && exit 0

need_space 2000
mkdir -p "$APTDIR/etc/sources.list.d" "$APTDIR/etc/preferences.d" \
	"$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
key=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$APTDIR/etc/sources.list" <<SRC
deb [signed-by=$key] $DEBIAN_MIRROR $BASE_SUITE main
deb-src [signed-by=$key] $DEBIAN_MIRROR sid main
SRC
info "fetching package lists for $BASE_SUITE (private apt in $APTDIR)"
papt apt-get -q update >"$APTDIR/update.log" 2>&1 ||
	die "apt-get update of $BASE_SUITE failed; $BASE_DEBPKG needs Debian's $BASE_SUITE suite at $DEBIAN_MIRROR (log: $APTDIR/update.log)"

if ! $have_src; then
	debs=$WORKDIR/debs
	rm -rf "$debs" && mkdir -p "$debs"
	papt apt-cache show "$BASE_DEBPKG" >/dev/null 2>&1 ||
		die "$BASE_DEBPKG not found; it is in Debian's $BASE_SUITE suite ($DEBIAN_MIRROR)"
	info "downloading $BASE_DEBPKG from $BASE_SUITE"
	(cd "$debs" && papt apt-get -q download "$BASE_DEBPKG") \
		>"$debs/download.log" 2>&1 ||
		die "download of $BASE_DEBPKG from $BASE_SUITE failed (log: $debs/download.log)"
	deb=$(ls "$debs"/"$BASE_DEBPKG"_*.deb)
	dpkg-deb -x "$deb" "$debs/root" || die "cannot unpack $deb"
	[ -r "$BASE_TARBALL" ] || die "$deb holds no ${BASE_TARBALL##*/}"
	dpkg-deb -f "$deb" Version >"$BASE_DEBVER"
	rm -f "$deb"
	info "$BASE_DEBPKG $(cat "$BASE_DEBVER")"
fi

if ! $have_sparse; then
	src=$TOOLS/src
	rm -rf "$src" && mkdir -p "$src" "$TOOLS/bin"
	info "building sparse from Debian sid's source package"
	(cd "$src" && papt apt-get -q source --download-only sparse) \
		>"$TOOLS/sparse.log" 2>&1 ||
		die "apt-get source sparse (sid) failed (log: $TOOLS/sparse.log)"
	tar -xzf "$src"/sparse_*.orig.tar.gz -C "$src" || die "cannot unpack sparse"
	make -C "$src"/sparse-*/ -j"$(nproc)" sparse >>"$TOOLS/sparse.log" 2>&1 ||
		die "sparse build failed (log: $TOOLS/sparse.log)"
	cp "$src"/sparse-*/sparse "$TOOLS/bin/sparse"
	ls "$src"/sparse_*.dsc | sed 's/.*sparse_\(.*\)\.dsc/\1/' >"$TOOLS/sparse.version"
	rm -rf "$src"
	info "sparse $(cat "$TOOLS/sparse.version") in $TOOLS/bin"
fi
