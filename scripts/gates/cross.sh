#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Compile the objects the series touches that the KUnit configs do not
# build: on architectures this machine cannot run (arm64, riscv, s390, with
# clang 19), 32-bit x86 (highmem code), and x86_64 drivers and file systems
# (gcc, no sanitizers).  Each arch gets its defconfig plus
# configs/cross-<arch>.config in $BUILDDIR/cross-<arch>, then only the
# listed objects are built (full kernels would take too long).
# A listed object that the config does not build is an error, so the
# list cannot silently go stale.  ARCHES= narrows the set.

set -eu
. "$(dirname "$0")/../lib/common.sh"

# Objects per part and arch: objs_<arch>_part<N>.  Only the parts in the
# series file are built.
# Part 1: the files the bvec_page() conversion and the page-less patches
# touch, with CONFIG_BLK_PAGELESS: every x86 one (the KUnit kernels build
# the block core only), the s390 block drivers, and the block core and
# bvec users on arm64 and riscv.
objs_x86_64_part1='block/bio-integrity.o block/bio.o block/blk-core.o
	block/blk-crypto-fallback.o block/blk-crypto.o block/blk-integrity.o
	block/blk-map.o block/blk-merge.o
	drivers/accel/habanalabs/common/hldio.o drivers/block/aoe/aoecmd.o
	drivers/block/brd.o drivers/block/drbd/drbd_bitmap.o
	drivers/block/drbd/drbd_main.o drivers/block/null_blk/main.o
	drivers/block/rbd.o drivers/block/ublk_drv.o drivers/block/zloop.o
	drivers/block/zram/zram_drv.o drivers/infiniband/core/rw.o
	drivers/md/bcache/btree.o drivers/md/bcache/util.o drivers/md/dm-crypt.o
	drivers/md/dm-ebs-target.o drivers/md/dm-integrity.o
	drivers/md/dm-log-writes.o drivers/md/dm-writecache.o drivers/md/raid5.o
	drivers/mtd/mtd_blkdevs.o drivers/mtd/ubi/block.o drivers/nvdimm/btt.o
	drivers/nvdimm/pmem.o drivers/nvme/host/core.o drivers/nvme/host/pci.o
	drivers/nvme/host/tcp.o drivers/scsi/sd.o drivers/xen/biomerge.o
	fs/btrfs/compression.o fs/ceph/file.o fs/erofs/zdata.o
	fs/fuse/dev_uring.o fs/gfs2/lops.o fs/netfs/iterator.o
	fs/netfs/objects.o fs/netfs/read_collect.o
	fs/smb/smbdirect/connection.o fs/splice.o io_uring/net.o io_uring/rsrc.o
	lib/iov_iter.o lib/scatterlist.o mm/page_io.o mm/pageless.o
	net/ceph/messenger.o net/ceph/messenger_v2.o net/core/skbuff.o
	net/sunrpc/svcsock.o net/sunrpc/xprtsock.o'
objs_s390_part1='drivers/s390/block/dasd_eckd.o drivers/s390/block/dasd_fba.o
	drivers/s390/block/scm_blk.o block/bio.o
	block/blk-merge.o lib/iov_iter.o mm/pageless.o'
objs_arm64_part1='block/bio.o block/blk-merge.o block/blk-core.o
	lib/iov_iter.o mm/pageless.o net/core/skbuff.o'
objs_riscv_part1='block/bio.o block/blk-merge.o lib/iov_iter.o
	mm/pageless.o'
# Part 2: the users of vm_struct's pages on other arches (pageattr with
# rodata_full, hardware tag-based KASAN, DMA remap, dma-iommu,
# dma-debug, fork's vmapped stacks) and scamem itself.
objs_arm64_part2='arch/arm64/mm/pageattr.o mm/kasan/hw_tags.o kernel/dma/remap.o
	kernel/dma/debug.o drivers/iommu/dma-iommu.o kernel/fork.o
	mm/vmalloc.o mm/scamem.o'
objs_riscv_part2='arch/riscv/mm/pageattr.o kernel/dma/remap.o mm/vmalloc.o
	mm/scamem.o'
objs_s390_part2='arch/s390/mm/pageattr.o mm/vmalloc.o mm/scamem.o'
# x86_64 defconfig: kexec handover's vmalloc preservation, which the KUnit
# kernels do not build.
objs_x86_64_part2='kernel/liveupdate/kexec_handover.o mm/execmem.o'

need_tree
# Debian's versioned LLVM 19 (LLVM=-19 makes kbuild use clang-19,
# ld.lld-19, llvm-ar-19...); Linux 7.3 needs LLVM 17 or later.
command -v clang-19 >/dev/null && command -v ld.lld-19 >/dev/null &&
	command -v s390x-linux-gnu-ld >/dev/null ||
	die "clang-19, ld.lld-19 and s390x binutils are needed (make deps)"
use_ccache
cc="${ccache}clang-19"
mkdir -p "$WORKDIR/results"

rc=0
parts=$(series_parts)
ran=0
for a in ${ARCHES:-x86_64 i386 arm64 riscv s390}; do
	objs=
	for n in $parts; do
		eval "objs=\"\$objs \${objs_${a}_part$n:-}\""
	done
	[ -n "$(echo $objs)" ] || continue
	ran=$((ran + 1))
	bdir=$BUILDDIR/cross-$a
	log=$WORKDIR/results/cross-$a.log
	frag=$TOP/configs/cross-$a.config
	t0=$(date +%s)
	mkdir -p "$bdir"
	for o in $objs; do rm -f "$bdir/$o"; done
	# ld.lld cannot link s390 (its vDSO is linked even for single
	# objects): there clang compiles and GNU binutils link.  x86 is
	# native: gcc.
	if [ "$a" = x86_64 ] || [ "$a" = i386 ]; then
		k() { make -C "$KDIR" O="$bdir" ARCH="$a" CC="${ccache}gcc" \
			HOSTCC="${ccache}gcc" "$@"; }
	elif [ "$a" = s390 ]; then
		k() { make -C "$KDIR" O="$bdir" ARCH="$a" CC="$cc" \
			CROSS_COMPILE=s390x-linux-gnu- "$@"; }
	else
		k() { make -C "$KDIR" O="$bdir" ARCH="$a" LLVM=-19 CC="$cc" "$@"; }
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
[ $ran -gt 0 ] || die "no object to cross-compile for parts: $(echo $parts)"
exit $rc
