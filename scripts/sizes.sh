#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# struct vm_struct (and struct scamem) as pahole sees them, at base and at
# the tip of the series, on x86_64 (gcc, defconfig: HAVE_ARCH_HUGE_VMALLOC)
# and arm64 (clang-16, defconfig).  Only mm/vmalloc.o is built, with -g,
# in $BUILDDIR/sizes-<tree>-<arch>; the base tree is a detached worktree
# in $WORKDIR/sizes-base.  Prints one line per struct, tree and arch.

set -eu
. "$(dirname "$0")/common.sh"

need_tree
command -v pahole >/dev/null || die "pahole is needed (make deps: dwarves)"
if command -v ccache >/dev/null 2>&1; then
	export CCACHE_DIR="$WORKDIR/ccache" CCACHE_BASEDIR="$WORKDIR"
	ccache=ccache
else
	ccache=
fi

base_src=$WORKDIR/sizes-base
[ -d "$base_src" ] || kgit worktree add -q --detach "$base_src" base
git -C "$base_src" checkout -q --detach base

for tree in base series; do
	src=$KDIR
	[ $tree = series ] || src=$base_src
	for a in x86_64 arm64; do
		bdir=$BUILDDIR/sizes-$tree-$a
		log=$WORKDIR/results/sizes-$tree-$a.log
		if [ $a = x86_64 ]; then
			set -- ARCH=x86_64 CC="$ccache gcc"
		else
			set -- ARCH=arm64 LLVM=-16 CC="$ccache clang-16"
		fi
		mkdir -p "$bdir"
		{
			make -C "$src" O="$bdir" "$@" defconfig &&
			make -C "$src" O="$bdir" "$@" KCFLAGS=-g \
				-j"$(nproc)" mm/vmalloc.o
		} >"$log" 2>&1 || die "$tree $a: build failed (log: $log)"
		for s in vm_struct scamem; do
			line=$(pahole -C $s "$bdir/mm/vmalloc.o" 2>/dev/null |
				sed -n 's#.*/\* size: \([0-9]*\), cachelines.*#\1#p')
			printf '%-7s %-7s %-10s %s\n' "$tree" "$a" "$s" \
				"${line:+$line bytes}${line:-absent}"
		done
	done
done
