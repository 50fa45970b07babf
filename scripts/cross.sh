#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Compile, with clang 16, the objects the series touches on architectures
# this machine cannot run: each arch gets its defconfig plus
# configs/cross-<arch>.config in $BUILDDIR/cross-<arch>, then only the
# listed objects are built (a full cross kernel would take too long).
# A listed object that the config does not build is an error, so the
# list cannot silently go stale.  ARCHES= narrows the set.

set -eu
. "$(dirname "$0")/common.sh"

# arch: objects (grouped by what they check)
objs_arm64='arch/arm64/mm/pageattr.o mm/kasan/hw_tags.o kernel/dma/remap.o
	kernel/dma/debug.o drivers/iommu/dma-iommu.o kernel/fork.o
	mm/vmalloc.o mm/scamem.o'
objs_riscv='arch/riscv/mm/pageattr.o kernel/dma/remap.o mm/vmalloc.o
	mm/scamem.o'
objs_s390='arch/s390/mm/pageattr.o mm/vmalloc.o mm/scamem.o'

need_tree
# Debian's versioned LLVM 16 (LLVM=-16 makes kbuild use clang-16,
# ld.lld-16, llvm-ar-16...); s390 needs clang 15 or later.
command -v clang-16 >/dev/null && command -v ld.lld-16 >/dev/null &&
	command -v s390x-linux-gnu-ld >/dev/null ||
	die "clang-16, ld.lld-16 and s390x binutils are needed (make deps)"
use_ccache
cc="${ccache}clang-16"
mkdir -p "$WORKDIR/results"

rc=0
for a in ${ARCHES:-arm64 riscv s390}; do
	eval "objs=\$objs_$a"
	bdir=$BUILDDIR/cross-$a
	log=$WORKDIR/results/cross-$a.log
	frag=$TOP/configs/cross-$a.config
	t0=$(date +%s)
	mkdir -p "$bdir"
	for o in $objs; do rm -f "$bdir/$o"; done
	# ld.lld cannot link s390 (its vDSO is linked even for single
	# objects): there clang compiles and GNU binutils link.
	if [ "$a" = s390 ]; then
		k() { make -C "$KDIR" O="$bdir" ARCH="$a" CC="$cc" \
			CROSS_COMPILE=s390x-linux-gnu- "$@"; }
	else
		k() { make -C "$KDIR" O="$bdir" ARCH="$a" LLVM=-16 CC="$cc" "$@"; }
	fi
	if ! {
		k defconfig &&
		"$KDIR/scripts/kconfig/merge_config.sh" -m -O "$bdir" \
			"$bdir/.config" "$frag" &&
		k olddefconfig &&
		k -j"$(nproc)" $objs
	} >"$log" 2>&1; then
		echo "cross $a: FAILED (log: $log)"
		grep -E 'error|Error' "$log" | head -15
		rc=1
		continue
	fi
	# Options the fragment asks for must have survived olddefconfig.
	missing=$(grep '^CONFIG_' "$frag" | while read -r opt; do
		grep -qx "$opt" "$bdir/.config" || echo "$opt"; done)
	if [ -n "$missing" ]; then
		echo "cross $a: config lost:" $missing
		rc=1
	fi
	for o in $objs; do
		[ -f "$bdir/$o" ] || {
			echo "cross $a: $o was not built by this config"
			rc=1
		}
	done
	echo "cross $a: $(echo $objs | wc -w) objects ok ($(($(date +%s) - t0))s)"
done
exit $rc
