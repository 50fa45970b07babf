#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Compile the objects the series touches that the KUnit configs do not
# build: on architectures this machine cannot run (arm64, riscv, s390, with
# clang 16), 32-bit x86 (highmem code), and x86_64 drivers and file systems
# (gcc, no sanitizers).  Each arch gets its defconfig plus
# configs/cross-<arch>.config in $BUILDDIR/cross-<arch>, then only the
# listed objects are built (full kernels would take too long).
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
objs_s390='arch/s390/mm/pageattr.o mm/vmalloc.o mm/scamem.o
	drivers/s390/block/dasd_eckd.o drivers/s390/block/dasd_fba.o
	drivers/s390/block/scm_blk.o block/bio.o lib/iov_iter.o'
objs_arm64="$objs_arm64 net/sunrpc/xprtsock.o"
objs_i386='block/bounce.o block/bio.o block/blk-merge.o block/blk-core.o
	fs/bcachefs/checksum.o net/core/skbuff.o lib/iov_iter.o mm/page_io.o'
# Part 1's bio_vec users outside the KUnit configs.
objs_x86_64='drivers/block/aoe/aoecmd.o drivers/block/brd.o
	drivers/block/drbd/drbd_bitmap.o drivers/block/drbd/drbd_main.o
	drivers/block/null_blk/main.o drivers/block/rbd.o
	drivers/block/zram/zram_drv.o drivers/md/bcache/btree.o
	drivers/md/bcache/util.o drivers/md/dm-crypt.o drivers/md/dm-ebs-target.o
	drivers/md/dm-integrity.o drivers/md/dm-io.o drivers/md/dm-log-writes.o
	drivers/md/raid5.o drivers/mtd/mtd_blkdevs.o drivers/mtd/ubi/block.o
	drivers/nvdimm/btt.o drivers/nvdimm/pmem.o drivers/nvme/host/core.o
	drivers/nvme/host/pci.o drivers/nvme/host/tcp.o drivers/scsi/sd.o
	drivers/vhost/vringh.o drivers/xen/biomerge.o fs/bcachefs/checksum.o
	fs/bcachefs/compress.o fs/bcachefs/io_write.o fs/bcachefs/util.o
	fs/btrfs/bio.o fs/btrfs/compression.o fs/btrfs/extent_io.o
	fs/btrfs/inode.o fs/btrfs/raid56.o fs/btrfs/scrub.o fs/ceph/file.o
	fs/erofs/zdata.o fs/f2fs/data.o fs/gfs2/lops.o fs/gfs2/meta_io.o
	fs/netfs/iterator.o fs/netfs/objects.o fs/netfs/read_collect.o
	fs/nfs/localio.o fs/smb/client/smbdirect.o fs/splice.o fs/squashfs/block.o
	io_uring/net.o io_uring/rsrc.o net/ceph/messenger.o
	net/ceph/messenger_v2.o net/sunrpc/svcsock.o net/sunrpc/xprtsock.o
	block/blk-crypto-fallback.o block/bio-integrity.o block/blk-integrity.o'
# Part 3 with PARAVIRT=y (the KUnit kernels have no hypervisor guest
# support): native_tlb_remove_table() and the KVM guest's table freeing
# with CONFIG_SPECULATIVE_PAGE_FAULT on.
objs_x86_64="$objs_x86_64 arch/x86/kernel/paravirt.o arch/x86/kernel/kvm.o
	arch/x86/mm/pgtable.o arch/x86/mm/fault.o mm/mmu_gather.o mm/memory.o"

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
for a in ${ARCHES:-x86_64 i386 arm64 riscv s390}; do
	eval "objs=\$objs_$a"
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
