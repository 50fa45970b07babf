#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# struct vm_struct (and struct scamem) as pahole sees them on x86_64 (gcc,
# defconfig) and arm64 (clang-19, defconfig), both HAVE_ARCH_HUGE_VMALLOC,
# and s390 (clang-19 with GNU binutils, defconfig), which has no huge
# vmalloc, at three points: base, 'pre-order' (the series up to, not including,
# the patch that folds the page order into vm_struct->flags) and the tip
# of the series.  Only mm/vmalloc.o is built, with -g, in
# $BUILDDIR/sizes-<point>-<arch>, from detached worktrees
# $WORKDIR/sizes-<point> (the kernel tree's checkout is not touched, so
# this can run beside build-each).  Prints one line per struct,
# point and arch.

set -eu
. "$(dirname "$0")/../lib/common.sh"

need_tree
command -v pahole >/dev/null || die "pahole is needed (make deps: dwarves)"
use_ccache

fold=$(kgit log --format=%H --grep='^mm/vmalloc: keep the huge page order' \
	"base..refs/heads/$BRANCH" | head -1)
[ -n "$fold" ] || die "no 'keep the huge page order' patch in the series"

detached_worktree "$WORKDIR/sizes-base" base
detached_worktree "$WORKDIR/sizes-pre-order" "$fold^"
detached_worktree "$WORKDIR/sizes-series" "refs/heads/$BRANCH"

for tree in base pre-order series; do
	src=$WORKDIR/sizes-$tree
	for a in x86_64 arm64 s390; do
		bdir=$BUILDDIR/sizes-$tree-$a
		log=$WORKDIR/results/sizes-$tree-$a.log
		case $a in
		x86_64)	set -- ARCH=x86_64 CC="${ccache}gcc" ;;
		arm64)	set -- ARCH=arm64 LLVM=-19 CC="${ccache}clang-19" ;;
		s390)	set -- ARCH=s390 CC="${ccache}clang-19" \
				CROSS_COMPILE=s390x-linux-gnu- ;;
		esac
		mkdir -p "$bdir"
		{
			make -C "$src" O="$bdir" "$@" defconfig &&
			make -C "$src" O="$bdir" "$@" KCFLAGS=-g \
				-j"$(nproc)" mm/vmalloc.o
		} >"$log" 2>&1 || die "$tree $a: build failed (log: $log)"
		for s in vm_struct scamem; do
			line=$(pahole -C $s "$bdir/mm/vmalloc.o" 2>/dev/null |
				sed -n 's#.*/\* size: \([0-9]*\), cachelines.*#\1#p')
			printf '%-9s %-7s %-10s %s\n' "$tree" "$a" "$s" \
				"$([ -n "$line" ] && echo "$line bytes" || echo absent)"
		done
	done
done
