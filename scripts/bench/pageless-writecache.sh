#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Part 1's real user, end to end: dm-writecache in pmem mode, its cache on
# the raw namespace of the pmem that the kernel's memmap=<size>G!<start>G
# parameter carves out of RAM, its origin QEMU's emulated NVMe disk, in
# QEMU (TCG).  See docs/part1-writecache.md.
#
# One x86_64 kernel, x86_64_defconfig + configs/debug.config +
# configs/debug-x86_64.config + configs/pageless-writecache.config
# (everything built in), is built from a detached worktree of $KDIR
# ($WORKDIR/<name>-src; the kernel tree's own checkout is never touched)
# into $BUILDDIR/<name>.  The initramfs holds a static /init
# (scripts/bench/pageless-writecache-init.c) and Debian's dmsetup and fio
# with the libraries ldd lists for them.  /init records the memmap of the
# namespace (unbind/bind), loads "writecache p /dev/nvme0n1 /dev/pmem0",
# writes and checks data with fio through it, forces writeback with the
# flush message, reloads the table with other watermarks, removes it and
# checks with fio that every block reached the NVMe disk.
#
# Without part 1 the raw namespace has struct pages (ZONE_DEVICE: an eager
# MEMORY_DEVICE_FS_DAX memmap): that is the "memmap" column.  The page-less
# run (part 1, CONFIG_BLK_PAGELESS=y, added when the ref has it) sets the
# namespace's force_raw: PWC_APPEND="pwc.force_raw=1 pwc.memmap=none"
# PWC_TAG=pageless.
#
# PWC_REF=<ref>         the kernel to build (default: series)
# PWC_NAME=<name>       worktree $WORKDIR/<name>-src, build dir
#                       $BUILDDIR/<name> (default: pwc)
# PWC_TAG=<tag>         names the results (default: memmap)
# PWC_MACHINE=pc|q35    QEMU machine (default pc; q35 for -device
#                       intel-iommu in PWC_QEMU)
# PWC_QEMU="<args>"     more QEMU arguments
# PWC_MEM=<GiB>         guest RAM (default 4; QEMU's pc machine puts what
#                       is above 3 GiB at 4 GiB, q35 what is above 2 GiB)
# PWC_START=<GiB>       pmem start, physical (default 4)
# PWC_SIZE=<GiB>        pmem size, the cache (default 1); the range must
#                       lie in RAM above 4 GiB: PWC_START >= 4 and
#                       PWC_START + PWC_SIZE <= PWC_MEM + 1 (pc) or
#                       PWC_MEM + 2 (q35)
# PWC_ORIGIN=<GiB>      size of the origin (default 2), a new sparse
#                       all-zero image each boot
# PWC_ORIGIN_DEV=nvme|brd  the origin: QEMU's NVMe disk (nvme-pci, DMA)
#                       or a brd RAM disk (/dev/ram0, CPU copies; then
#                       PWC_ORIGIN defaults to 1)
# PWC_REFUSE=1          the origin cannot take page-less bios (nvme with
#                       swiotlb=force in PWC_APPEND): "dmsetup create"
#                       must fail, and nothing else runs
# PWC_FIO_A=<pct>       fio-a writes this share of the cache (default 10)
# PWC_FIO_B=<pct>       fio-b, after the reload (default 10)
# PWC_WM="<high> <low>" the watermarks of the reload (default "45 40");
#                       "10 5" makes writeback run while fio-b writes,
#                       which a DMA_API_DEBUG kernel with struct pages
#                       cannot do (docs/part1-writecache.md)
# PWC_TEARDOWN=1        unbind the namespace under a loaded writecache
#                       at the end and record what happens
# PWC_SMP=<n>           guest vCPUs (default 2)
# PWC_TIMEOUT=<s>       time limit of the boot (default 3600)
# PWC_APPEND="<args>"   more kernel parameters (pwc.memmap=none|any:
#                       what /init expects of the namespace's memmap)
# PWC_BUILD_ONLY=1      build the kernel, the init and the initramfs only
# PWC_LOG=<boot.log>    check and summarise the log of an earlier boot
#                       again; build and boot nothing
# Results: $WORKDIR/results/pageless-writecache-<tag>.txt (summary) and
# $WORKDIR/results/pageless-writecache-<tag>/{build,boot}.log.

set -eu
# shellcheck source=scripts/lib/common.sh disable=SC1091
. "$(dirname "$0")/../lib/common.sh"

ref=${PWC_REF:-$BRANCH}
name=${PWC_NAME:-pwc}
tag=${PWC_TAG:-memmap}
mem=${PWC_MEM:-4}
pstart=${PWC_START:-4}
psize=${PWC_SIZE:-1}
origin_dev=${PWC_ORIGIN_DEV:-nvme}
case $origin_dev in
nvme) origin=${PWC_ORIGIN:-2} ;;
brd) origin=${PWC_ORIGIN:-1} ;;
*) die "PWC_ORIGIN_DEV=$origin_dev: nvme or brd" ;;
esac
refuse=${PWC_REFUSE:-0}
case $refuse in 0 | 1) ;; *) die "PWC_REFUSE=$refuse: 0 or 1" ;; esac
fio_a=${PWC_FIO_A:-10}
fio_b=${PWC_FIO_B:-10}
wm=${PWC_WM:-45 40}
wm_high=${wm% *}
wm_low=${wm#* }
teardown=${PWC_TEARDOWN:-0}
smp=${PWC_SMP:-2}
timeout=${PWC_TIMEOUT:-3600}
append=${PWC_APPEND:-}
build_only=${PWC_BUILD_ONLY:-0}
machine=${PWC_MACHINE:-pc}
qemu_extra=${PWC_QEMU:-}
for v in "PWC_MEM=$mem" "PWC_START=$pstart" "PWC_SIZE=$psize" \
		"PWC_ORIGIN=$origin" "PWC_FIO_A=$fio_a" "PWC_FIO_B=$fio_b" \
		"PWC_SMP=$smp" "PWC_TIMEOUT=$timeout" "PWC_WM=$wm_high" \
		"PWC_WM=$wm_low"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0*) die "$v: need a positive whole number" ;;
	esac
done
for v in "PWC_NAME=$name" "PWC_TAG=$tag"; do
	case ${v#*=} in
	'' | *[!A-Za-z0-9_.-]*) die "$v: letters, digits, '.', '_' and '-' only" ;;
	esac
done
case $machine in
pc) lowmem=3 ;;
q35) lowmem=2 ;;
*) die "PWC_MACHINE=$machine: pc or q35" ;;
esac
case $build_only in 0 | 1) ;; *) die "PWC_BUILD_ONLY=$build_only: 0 or 1" ;; esac
case $teardown in 0 | 1) ;; *) die "PWC_TEARDOWN=$teardown: 0 or 1" ;; esac
if [ "$wm_low" -gt "$wm_high" ] || [ "$wm_high" -gt 100 ]; then
	die "PWC_WM=\"$wm\": \"<high> <low>\", low <= high <= 100"
fi
if [ "$fio_a" -gt 45 ] || [ "$fio_b" -gt 45 ]; then
	die "PWC_FIO_A=$fio_a, PWC_FIO_B=$fio_b: at most 45 (percent of the cache)"
fi
relog=${PWC_LOG:-}
[ -z "$relog" ] || [ -f "$relog" ] || die "PWC_LOG=$relog: no such file"
[ "$pstart" -ge 4 ] ||
	die "PWC_START=$pstart: the pmem range must start at 4 GiB or above (RAM above 3 GiB is at 4 GiB)"
[ $((pstart + psize)) -le $((4 + mem - lowmem)) ] ||
	die "PWC_START=$pstart + PWC_SIZE=$psize GiB ends above the RAM QEMU's $machine maps for PWC_MEM=$mem (4 GiB + $((mem - lowmem)) GiB)"
[ $((mem - psize)) -ge 2 ] ||
	die "PWC_MEM=$mem, PWC_SIZE=$psize: leave the guest at least 2 GiB of RAM"
[ $((psize * (fio_a + fio_b))) -le $((origin * 100)) ] ||
	die "PWC_ORIGIN=$origin GiB is smaller than what fio writes"

need_tree
for t in qemu-system-x86_64 gcc timeout ldd truncate; do
	command -v $t >/dev/null 2>&1 || die "$t is needed (make deps)"
done
dmsetup=$(command -v dmsetup || echo /sbin/dmsetup)
[ -x "$dmsetup" ] || die "dmsetup is needed (Debian dmsetup; make deps)"
fio=$(command -v fio || echo /usr/bin/fio)
[ -x "$fio" ] || die "fio is needed (Debian fio; make deps)"
commit=$(kgit rev-parse -q --verify "$ref^{commit}") ||
	die "PWC_REF=$ref is not a commit in $KDIR"

src=$WORKDIR/$name-src
bdir=$BUILDDIR/$name
out=$WORKDIR/results/pageless-writecache-$tag
sum=$WORKDIR/results/pageless-writecache-$tag.txt
mkdir -p "$out" "$bdir"

if [ -n "$relog" ]; then
	log=$out/boot-again.log
	tr -d '\r' <"$relog" >"$log.tmp" && mv "$log.tmp" "$log"
	build_secs=- boot_secs=- rc=0 load=-
	cmdline=$(sed -n 's/^pwc: kmsg<[0-9]>: Command line: //p' "$log" | head -1)
else
# The kernel (build_guest_kernel: every line of the fragments must
# survive olddefconfig).
frags="$TOP/configs/debug.config $TOP/configs/debug-x86_64.config $TOP/configs/pageless-writecache.config"
detached_worktree "$src" "$commit"
# A kernel with part 1 builds the page-less path (nd_pmem registers raw
# namespaces, dm-writecache writes back with bio_add_pfn()); the memmap
# baseline, a ref without part 1, has no such option.
if grep -q '^config BLK_PAGELESS$' "$src/block/Kconfig"; then
	echo CONFIG_BLK_PAGELESS=y >"$bdir/pageless.config"
	frags="$frags $bdir/pageless.config"
fi
need_space 8000
t0=$(date +%s)
info "building $(git -C "$src" log -1 --format='%h %s') in $bdir (log: $out/build.log)"
# shellcheck disable=SC2086
build_guest_kernel "$src" "$bdir" "$out/build.log" $frags
build_secs=$(($(date +%s) - t0))
info "kernel built in ${build_secs}s"

# The guest: a static /init, dmsetup and fio with their libraries.
initdir=$bdir/pwc-init
mkdir -p "$initdir"
gcc -static -O2 -Wall -I "$TOP/scripts/gates/guest" -o "$initdir/init" \
	"$TOP/scripts/bench/pageless-writecache-init.c" ||
	die "cannot build scripts/bench/pageless-writecache-init.c (needs libc6-dev)"
gcc -O2 -o "$initdir/gen_init_cpio" "$src/usr/gen_init_cpio.c" ||
	die "cannot build $src/usr/gen_init_cpio.c"
list=$initdir/list
{
	printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
		'dir /proc 0755 0 0' 'dir /sys 0755 0 0' 'dir /tmp 01777 0 0' \
		'dir /run 0755 0 0' 'dir /etc 0755 0 0' \
		'slink /etc/mtab /proc/self/mounts 0777 0 0' \
		"file /init $initdir/init 0755 0 0"
	cpio_binaries /sbin/dmsetup "$dmsetup" /bin/fio "$fio"
} >"$list"
initramfs=$bdir/pwc-initramfs.cpio
"$initdir/gen_init_cpio" "$list" >"$initramfs" || die "cannot make $initramfs"
if [ "$build_only" = 1 ]; then
	info "PWC_BUILD_ONLY=1: $kernel and $initramfs built, not booting"
	exit 0
fi

# The origin: a new sparse image, all zeroes, so that nothing fio checks
# on it can have been there before the run.
img=$out/origin.img
rm -f "$img"
if [ "$origin_dev" = nvme ]; then
	truncate -s "${origin}G" "$img" || die "cannot make $img"
	disk_args="-drive file=$img,if=none,id=nv,format=raw,cache=unsafe -device nvme,serial=pagewise,drive=nv"
else
	# brd.rd_size is in KiB; its pages are allocated as fio writes.
	append="brd.rd_nr=1 brd.rd_size=$((origin << 20)) pwc.origin=ram0${append:+ $append}"
	disk_args=
fi
[ "$refuse" = 0 ] || append="pwc.refuse=1${append:+ $append}"

# The boot.  memmap=<size>G!<start>G turns that RAM into an e820 type 12
# (persistent) range.  "quiet": /init copies the kernel log from
# /dev/kmsg into the console output itself, one line at a time.
log=$out/boot.log
cmdline="console=ttyS0 nokaslr quiet panic=-1 memmap=${psize}G!${pstart}G pwc.a=$fio_a pwc.b=$fio_b pwc.high=$wm_high pwc.low=$wm_low pwc.teardown=$teardown${append:+ $append}"
info "booting: -machine $machine -m ${mem}G -smp $smp${qemu_extra:+ $qemu_extra}, '$cmdline', time limit ${timeout}s (log: $log)"
load=$(cut -d' ' -f1 /proc/loadavg)
t0=$(date +%s)
rc=0
# shellcheck disable=SC2086 # $disk_args, $qemu_extra: several arguments
timeout -k 10 "$timeout" qemu-system-x86_64 \
	-machine "$machine" -accel tcg,thread=multi -smp "$smp" -m "${mem}G" \
	-nographic -no-reboot \
	$disk_args \
	-kernel "$kernel" -initrd "$initramfs" -append "$cmdline" \
	$qemu_extra </dev/null >"$log" 2>&1 || rc=$?
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
boot_secs=$(($(date +%s) - t0))
rm -f "$img"
fi

# The verdict: a complete run, no failed check, no kernel report, and
# the pmem range where it was asked for, in RAM in QEMU's own map.
problems=
problem() {
	problems="$problems$*
"
}
if [ $rc = 124 ] || [ $rc = 137 ]; then
	problem "timed out after ${boot_secs}s"
elif [ $rc != 0 ]; then
	problem "qemu exited with $rc"
fi
grep -q '^pwc: done' "$log" || problem "no 'pwc: done' line: the run did not complete"
grep -q '^pwc: passed' "$log" || problem "no 'pwc: passed' line"
fails=$(grep -c '^pwc: FAIL' "$log" || true)
[ "$fails" = 0 ] || problem "$fails failed checks ('pwc: FAIL' lines)"
reports=$KERNEL_REPORTS
nrep=$(grep -cE "$reports" "$log" || true)
[ "$nrep" = 0 ] || problem "$nrep lines with a kernel report ($reports)"
dmarep='DMA-API:'
ndma=$(grep 'DMA-API:' "$log" |
	grep -cvE 'preallocated [0-9]+ debug entries|debugging enabled by kernel config' || true)
[ "$ndma" = 0 ] || problem "$ndma DMA-API lines besides the two at boot"
e820=$(pmem_e820_problem "$log" "$pstart" "$psize")
[ -z "$e820" ] || problem "$e820"

{
	echo "pageless-writecache ($tag): dm-writecache p on memmap=${psize}G!${pstart}G pmem, origin ${origin} GiB $origin_dev, QEMU TCG -machine $machine -smp $smp -m ${mem}G${qemu_extra:+ $qemu_extra}"
	if [ -n "$relog" ]; then
		echo "kernel: (log of an earlier boot: $relog)"
	else
		echo "kernel: $(git -C "$src" log -1 --format='%h %s') ($ref)"
	fi
	echo "guest: $(sed -n 's/^pwc: kmsg<[0-9]>: \(Linux version [^ ]* \).*/\1/p' "$log" | head -1)"
	echo "command line: $cmdline"
	echo "build ${build_secs}s (incremental if 0-60s), boot ${boot_secs}s, host load $load at start"
	echo
	sed -n 's/^pwc: \(options: .*\)/\1/p; s/^pwc: \(pmem0: .*\)/\1/p;
		s/^pwc: \(origin: .*\)/\1/p; s/^pwc: \(create: .*\)/\1/p; s/^pwc: \(table: .*\)/\1/p;
		s/^pwc: \(table after reload: .*\)/\1/p;
		s/^pwc: \(fio-[ab]: .*\)/\1/p; s/^pwc: \(fio [ab] [a-z]*: .*\)/\1/p;
		s/^pwc: \(flush .*\)/\1/p; s/^pwc: \(status .*\)/\1/p;
		s/^pwc: \(raw-probe: .*\)/\1/p; s/^pwc: \(teardown: .*\)/\1/p;
		s/^pwc: \(dma-api: .*\)/\1/p; s/^pwc: \(note: .*\)/\1/p;
		s/^pwc: kmsg<[0-9]>: \(.*\(device-mapper\|writecache\|nd_pmem\|pmem0\).*\)/kernel: \1/p' "$log"
	echo
	echo 'Steps:'
	sed -n 's/^pwc: step \([^ ]*\) \(ok\|failed\) \(.*\)/  \1 \2 \3/p' "$log"
	echo
	sed -n 's/^pwc: result memmap /memmap: /p' "$log"
	echo
	echo 'At each point (kB from /proc/meminfo, pages from /proc/vmstat):'
	sed -n 's/^pwc: result //p' "$log" | grep -v '^memmap ' |
		awk '{
			row = sprintf("%-20s", $1)
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				if (NR == 1)
					hdr = hdr sprintf(" %s", kv[1])
				row = row sprintf(" %s", kv[2])
			}
			if (NR == 1)
				printf "%-20s%s\n", "point", hdr
			print row
		}'
	echo
	if [ -n "$problems" ]; then
		printf 'PROBLEM: %s' "$problems" | sed '/^PROBLEM: $/d'
		grep -E "$reports|$dmarep|^pwc: FAIL" "$log" |
			grep -vE 'preallocated [0-9]+ debug entries|debugging enabled by kernel config' |
			head -20
		echo "pageless-writecache ($tag): FAILED (log: $log)"
	else
		echo "pageless-writecache ($tag): passed (log: $log)"
	fi
} >"$sum"
cat "$sum"
[ -z "$problems" ] || exit 1
