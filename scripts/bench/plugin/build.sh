#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the pwcount TCG plugin (scripts/bench/plugin/pwcount.c) for the
# installed qemu-system-x86_64 into $WORKDIR/plugin/libpwcount.so.
#
# The plugin API header, qemu-plugin.h, comes from Debian's source package
# of the installed qemu (the source version of package qemu-system-x86):
# the first run fetches it with a private apt configuration (deb-src of
# bookworm and bookworm-security; the system's apt sources are not
# touched), unpacks it in $WORKDIR/qemu-src and keeps the header in
# $WORKDIR/plugin/include with the version it came from.  Refused, with a
# one-line error:
#   - a header from another qemu source version than the installed one
#     (after a qemu upgrade: remove $WORKDIR/plugin/include);
#   - a qemu-system-x86_64 whose own version is not the header's;
#   - a plugin API version the installed qemu does not load (checked by
#     loading the plugin into 'qemu-system-x86_64 -M none').
#
# Prints the path of the plugin on stdout.

set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../../.." && pwd)}
. "$TOP/scripts/lib/common.sh"

PLUGDIR=$WORKDIR/plugin
INC=$PLUGDIR/include
SRCDIR=$WORKDIR/qemu-src
APTDIR=$SRCDIR/apt
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}

for t in gcc qemu-system-x86_64 dpkg-query; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done

pkgver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "package qemu-system-x86 is not installed"
[ -n "$pkgver" ] || die "package qemu-system-x86 is not installed"
# "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"
binver=$(qemu-system-x86_64 --version |
	sed -n 's/^QEMU emulator version \([^ ]*\).*/\1/p')

# A private apt: its own sources, lists and cache (scripts/tree/deps.sh
# does the same for the base).
papt() {
	"$@" -o Dir::Etc="$APTDIR/etc" \
		-o Dir::Etc::SourceList="$APTDIR/etc/sources.list" \
		-o Dir::Etc::SourceParts="$APTDIR/etc/sources.list.d" \
		-o Dir::Etc::Preferences="$APTDIR/etc/preferences" \
		-o Dir::Etc::PreferencesParts="$APTDIR/etc/preferences.d" \
		-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" \
		-o Dir::State::status=/var/lib/dpkg/status -o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root
}

fetch_header() {
	for t in apt-get dpkg-source; do
		command -v "$t" >/dev/null 2>&1 || die "$t not found"
	done
	need_space 500
	mkdir -p "$APTDIR/etc/sources.list.d" "$APTDIR/etc/preferences.d" \
		"$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	cat >"$APTDIR/etc/sources.list" <<-SRC
	deb-src [signed-by=$key] $DEBIAN_MIRROR bookworm main
	deb-src [signed-by=$key] $DEBIAN_MIRROR bookworm-updates main
	deb-src [signed-by=$key] $SECURITY_MIRROR bookworm-security main
	SRC
	info "fetching qemu $pkgver source (private apt in $APTDIR)"
	papt apt-get -q update >"$APTDIR/update.log" 2>&1 ||
		die "apt-get update failed (log: $APTDIR/update.log)"
	dl=$SRCDIR/dl
	rm -rf "$dl" && mkdir -p "$dl"
	(cd "$dl" && papt apt-get -q source --download-only "qemu=$pkgver") \
		>"$SRCDIR/source.log" 2>&1 ||
		die "apt-get source qemu=$pkgver failed: not in bookworm's suites? (log: $SRCDIR/source.log)"
	rm -rf "$SRCDIR/src"
	dpkg-source -x "$dl"/qemu_*.dsc "$SRCDIR/src" >>"$SRCDIR/source.log" 2>&1 ||
		die "cannot unpack qemu $pkgver (log: $SRCDIR/source.log)"
	h=$SRCDIR/src/include/qemu/qemu-plugin.h
	[ -f "$h" ] || die "qemu $pkgver has no include/qemu/qemu-plugin.h"
	srcver=$(sed -n 's/^qemu (\([^)]*\)).*/\1/p;q' "$SRCDIR/src/debian/changelog")
	[ "$srcver" = "$pkgver" ] ||
		die "fetched qemu source $srcver, wanted $pkgver"
	mkdir -p "$INC"
	cp "$h" "$INC/qemu-plugin.h"
	printf '%s %s\n' "$pkgver" "$(cat "$SRCDIR/src/VERSION")" \
		>"$INC/qemu-plugin.version"
	# dpkg-source -x leaves a copy of the upstream tarball next to the tree.
	rm -rf "$dl" "$SRCDIR"/qemu_*.orig.tar.*
}

if [ ! -f "$INC/qemu-plugin.h" ] || [ ! -s "$INC/qemu-plugin.version" ]; then
	fetch_header
fi

read -r hdrpkg hdrup <"$INC/qemu-plugin.version"
[ "$hdrpkg" = "$pkgver" ] ||
	die "qemu-plugin.h is from qemu $hdrpkg but qemu $pkgver is installed: rm -r $INC and rerun"
[ "$hdrup" = "$binver" ] ||
	die "qemu-system-x86_64 $(command -v qemu-system-x86_64) is qemu $binver, not the $hdrup of package qemu-system-x86 $pkgver"
api=$(sed -n 's/^#define QEMU_PLUGIN_VERSION \([0-9]*\)$/\1/p' "$INC/qemu-plugin.h")
[ -n "$api" ] || die "no QEMU_PLUGIN_VERSION in $INC/qemu-plugin.h"

so=$PLUGDIR/libpwcount.so
tmpso=$so.tmp.$$
trap 'rm -f "$tmpso"' EXIT INT TERM
nice -n 19 gcc -O2 -g -fPIC -shared -pthread -Wall -Wextra \
	-Wno-unused-parameter -Werror -I"$INC" -o "$tmpso" \
	"$TOP/scripts/bench/plugin/pwcount.c" ||
	die "cannot compile scripts/bench/plugin/pwcount.c"

# Does this qemu load it?  It refuses another API version at load time.
err=$(echo quit | nice -n 19 qemu-system-x86_64 -M none -display none \
	-nodefaults -monitor stdio -plugin "$tmpso" 2>&1 >/dev/null) ||
	die "qemu-system-x86_64 $binver refuses the plugin (API version $api): $(printf '%s' "$err" | tail -n 1)"
mv "$tmpso" "$so"
info "built $so (qemu $pkgver, plugin API $api)"
echo "$so"
