#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Bisectability: build the UML and x86_64 KUnit configs at base and after
# every patch, incrementally, in the KUnit build dirs (so the walk ends
# where 'make kunit' left off and ccache absorbs repeats).  Prints one line
# per patch with the time it took; fails on the first patch that breaks
# the build of either arch.  ARCH=um|x86_64 narrows to one arch.

set -eu
. "$(dirname "$0")/common.sh"

need_tree
arches=${ARCH:-um x86_64}
for a in $arches; do
	case $a in um|x86_64) ;; *) die "unknown ARCH=$a (known: um x86_64)" ;; esac
	[ -f "$BUILDDIR/kunit-$a/.config" ] ||
		die "no $a KUnit build yet (run 'make kunit ARCH=$a' first)"
done
[ -z "$(kgit status --porcelain --untracked-files=no)" ] ||
	die "$KDIR has uncommitted changes; commit or stash them"

use_ccache
cc="${ccache}gcc"

for a in $arches; do
	cp "$BUILDDIR/kunit-$a/.config" "$BUILDDIR/kunit-$a/.config.tip"
done
trap 'kgit checkout -q -f "$BRANCH"; for a in $arches; do
	cp "$BUILDDIR/kunit-$a/.config.tip" "$BUILDDIR/kunit-$a/.config"; done' EXIT

# Build the current checkout for every arch; $1 labels the report line.
build_here() {
	line=$(printf '%-62s' "$1")
	for a in $arches; do
		bdir=$BUILDDIR/kunit-$a
		log=$WORKDIR/results/build-each-$a.log
		t0=$(date +%s)
		cp "$bdir/.config.tip" "$bdir/.config"
		if ! { make -C "$KDIR" O="$bdir" ARCH="$a" CC="$cc" HOSTCC="$cc" \
			olddefconfig && make -C "$KDIR" O="$bdir" ARCH="$a" \
			CC="$cc" HOSTCC="$cc" -j"$(nproc)"; } >"$log" 2>&1; then
			echo "$line $a FAILED"
			grep -E 'error|Error' "$log" | head -15
			die "$1 does not build for $a (log: $log)"
		fi
		line="$line $a $(($(date +%s) - t0))s"
	done
	echo "$line"
}

mkdir -p "$WORKDIR/results"
start=$(date +%s)
kgit checkout -q --detach base
build_here "base"
for c in $(kgit rev-list --reverse "base..refs/heads/$BRANCH"); do
	kgit checkout -q --detach "$c"
	build_here "$(kgit log -1 --format=%s "$c" | cut -c1-60)"
done
echo "every patch builds for: $arches ($(($(date +%s) - start))s)"
