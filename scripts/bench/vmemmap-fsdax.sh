#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Part 4 FS_DAX harness (issue 17 item 4): ext4 -o dax on pmem emulated by
# the kernel's memmap=<size>!<start> parameter, in QEMU (TCG), with the
# memmap cost of the pmem namespace as the guest sees it.
#
# One x86_64 kernel, x86_64_defconfig + configs/debug.config +
# configs/debug-x86_64.config + configs/fsdax.config (everything built
# in), is built from a detached worktree of $KDIR ($WORKDIR/fsdax-src, the
# kernel tree's own checkout is never touched) into $BUILDDIR/fsdax.  The
# guest's initramfs holds a static /init (scripts/bench/vmemmap-fsdax-init.c)
# and Debian's mke2fs with the shared libraries ldd lists for it.  /init
# makes ext4 on /dev/pmem0, mounts it with -o dax and checks data through
# read()/write() and mmap, touches 0-100% of one large file through fresh
# mappings, unbinds and rebinds the namespace, and records /proc/meminfo
# and /proc/vmstat (nr_memmap*, vmemmap_od_*) at each step.  See
# docs/part4-fsdax.md.
#
# The same kernel (PGMAP_VMEMMAP_ONDEMAND=y) runs with the pmem driver's
# eager memmap, or with FSDAX_ONDEMAND=1 with nd_pmem.vmemmap_ondemand=1,
# where /init also checks reclaim against the file's DAX entries.
#
# FSDAX_REF=<ref>       the kernel to build (default: series)
# FSDAX_MEM=<GiB>       guest RAM (default 6; QEMU's pc machine puts what
#                       is above 3 GiB at 4 GiB)
# FSDAX_START=<GiB>     pmem start, physical (default 4)
# FSDAX_SIZE=<GiB>      pmem size (default 2); the range must lie in RAM
#                       above 4 GiB: FSDAX_START >= 4 and
#                       FSDAX_START + FSDAX_SIZE <= FSDAX_MEM + 1
# FSDAX_SMP=<n>         guest vCPUs (default 2)
# FSDAX_TIMEOUT=<s>     time limit of the boot (default 3600)
# FSDAX_ONDEMAND=1      boot with nd_pmem.vmemmap_ondemand=1 (default 0)
# FSDAX_APPEND="<args>" more kernel parameters
# FSDAX_BUILD_ONLY=1    build the kernel, the init and the initramfs only
# FSDAX_LOG=<boot.log>  check and summarise the log of an earlier boot
#                       again; build and boot nothing
# Results: $WORKDIR/results/vmemmap-fsdax.txt, or vmemmap-fsdax-ondemand.txt
# (summary), and $WORKDIR/results/vmemmap-fsdax/{build,boot}.log.

set -eu
# shellcheck source=scripts/lib/common.sh disable=SC1091
. "$(dirname "$0")/../lib/common.sh"

ref=${FSDAX_REF:-$BRANCH}
mem=${FSDAX_MEM:-6}
pstart=${FSDAX_START:-4}
psize=${FSDAX_SIZE:-2}
smp=${FSDAX_SMP:-2}
timeout=${FSDAX_TIMEOUT:-3600}
append=${FSDAX_APPEND:-}
ondemand=${FSDAX_ONDEMAND:-0}
case $ondemand in
0) mode= ;;
1) mode=-ondemand append="nd_pmem.vmemmap_ondemand=1${append:+ $append}" ;;
*) die "FSDAX_ONDEMAND=$ondemand: 0 or 1" ;;
esac
build_only=${FSDAX_BUILD_ONLY:-0}
for v in "FSDAX_MEM=$mem" "FSDAX_START=$pstart" "FSDAX_SIZE=$psize" \
		"FSDAX_SMP=$smp" "FSDAX_TIMEOUT=$timeout"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0*) die "$v: need a positive whole number" ;;
	esac
done
case $build_only in 0 | 1) ;; *) die "FSDAX_BUILD_ONLY=$build_only: 0 or 1" ;; esac
relog=${FSDAX_LOG:-}
[ -z "$relog" ] || [ -f "$relog" ] || die "FSDAX_LOG=$relog: no such file"
[ "$pstart" -ge 4 ] ||
	die "FSDAX_START=$pstart: the pmem range must start at 4 GiB or above (RAM above 3 GiB is at 4 GiB)"
[ $((pstart + psize)) -le $((mem + 1)) ] ||
	die "FSDAX_START=$pstart + FSDAX_SIZE=$psize GiB ends above the RAM QEMU maps for FSDAX_MEM=$mem (4 GiB + $((mem - 3)) GiB)"
[ $((mem - psize)) -ge 2 ] ||
	die "FSDAX_MEM=$mem, FSDAX_SIZE=$psize: leave the guest at least 2 GiB of RAM"

need_tree
for t in qemu-system-x86_64 gcc timeout ldd; do
	command -v $t >/dev/null 2>&1 || die "$t is needed (make deps)"
done
mke2fs=$(command -v mke2fs || echo /sbin/mke2fs)
[ -x "$mke2fs" ] || die "mke2fs is needed (Debian e2fsprogs)"
commit=$(kgit rev-parse -q --verify "$ref^{commit}") ||
	die "FSDAX_REF=$ref is not a commit in $KDIR"

src=$WORKDIR/fsdax-src
bdir=$BUILDDIR/fsdax
out=$WORKDIR/results/vmemmap-fsdax
sum=$WORKDIR/results/vmemmap-fsdax$mode.txt
mkdir -p "$out" "$bdir"

if [ -n "$relog" ]; then
	log=$out/boot-again.log
	cp "$relog" "$log.tmp" && mv "$log.tmp" "$log"
	build_secs=- boot_secs=- rc=0 load=-
	cmdline=$(sed -n 's/^fsdax: kmsg<[0-9]>: Command line: //p' "$log" | head -1)
else
# The kernel (build_guest_kernel: every line of the fragments must
# survive olddefconfig).
frags="$TOP/configs/debug.config $TOP/configs/debug-x86_64.config $TOP/configs/fsdax.config"
detached_worktree "$src" "$commit"
need_space 8000
t0=$(date +%s)
info "building $(git -C "$src" log -1 --format='%h %s') in $bdir (log: $out/build.log)"
# shellcheck disable=SC2086
build_guest_kernel "$src" "$bdir" "$out/build.log" $frags
build_secs=$(($(date +%s) - t0))
info "kernel built in ${build_secs}s"

# The guest: a static /init and mke2fs with its libraries, in an
# initramfs made from a gen_init_cpio list (make_initramfs in common.sh
# takes /init alone).
initdir=$bdir/fsdax-init
mkdir -p "$initdir"
gcc -static -O2 -Wall -I "$TOP/scripts/gates/guest" -o "$initdir/init" "$TOP/scripts/bench/vmemmap-fsdax-init.c" ||
	die "cannot build scripts/bench/vmemmap-fsdax-init.c (needs libc6-dev)"
gcc -O2 -o "$initdir/gen_init_cpio" "$src/usr/gen_init_cpio.c" ||
	die "cannot build $src/usr/gen_init_cpio.c"
list=$initdir/list
{
	printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
		'dir /proc 0755 0 0' 'dir /sys 0755 0 0' 'dir /mnt 0755 0 0' \
		'dir /etc 0755 0 0' 'slink /etc/mtab /proc/self/mounts 0777 0 0' \
		"file /init $initdir/init 0755 0 0"
	[ ! -f /etc/mke2fs.conf ] ||
		echo 'file /etc/mke2fs.conf /etc/mke2fs.conf 0644 0 0'
	cpio_binaries /sbin/mke2fs "$mke2fs"
} >"$list"
initramfs=$bdir/fsdax-initramfs.cpio
"$initdir/gen_init_cpio" "$list" >"$initramfs" || die "cannot make $initramfs"
if [ "$build_only" = 1 ]; then
	info "FSDAX_BUILD_ONLY=1: $kernel and $initramfs built, not booting"
	exit 0
fi

# The boot.  memmap=<size>G!<start>G turns that RAM into an e820 type 12
# (persistent) range.  "quiet": /init copies the kernel log from
# /dev/kmsg into the console output itself, one line at a time.
log=$out/boot$mode.log
cmdline="console=ttyS0 nokaslr quiet panic=-1 memmap=${psize}G!${pstart}G${append:+ $append}"
info "booting: -m ${mem}G -smp $smp, '$cmdline', time limit ${timeout}s (log: $log)"
load=$(cut -d' ' -f1 /proc/loadavg)
t0=$(date +%s)
rc=0
timeout -k 10 "$timeout" qemu-system-x86_64 \
	-machine pc -accel tcg,thread=multi -smp "$smp" -m "${mem}G" \
	-nographic -no-reboot \
	-kernel "$kernel" -initrd "$initramfs" -append "$cmdline" \
	</dev/null >"$log" 2>&1 || rc=$?
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
boot_secs=$(($(date +%s) - t0))
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
grep -q '^fsdax: done' "$log" || problem "no 'fsdax: done' line: the run did not complete"
fails=$(grep -c '^fsdax: FAIL' "$log" || true)
[ "$fails" = 0 ] || problem "$fails failed checks ('fsdax: FAIL' lines)"
reports=$KERNEL_REPORTS
nrep=$(grep -cE "$reports" "$log" || true)
[ "$nrep" = 0 ] || problem "$nrep lines with a kernel report ($reports)"
e820=$(pmem_e820_problem "$log" "$pstart" "$psize")
[ -z "$e820" ] || problem "$e820"

{
	echo "vmemmap-fsdax: ext4 -o dax on memmap=${psize}G!${pstart}G pmem, QEMU TCG -smp $smp -m ${mem}G"
	echo "kernel: $(git -C "$src" log -1 --format='%h %s') ($ref)"
	echo "guest: $(sed -n 's/^fsdax: kmsg<[0-9]>: \(Linux version [^ ]* \).*/\1/p' "$log" | head -1)"
	echo "command line: $cmdline"
	echo "build ${build_secs}s (incremental if 0-60s), boot ${boot_secs}s, host load $load at start"
	echo
	sed -n 's/^fsdax: \(pmem0: .*\)/\1/p; s/^fsdax: \(mke2fs .*\)/\1/p;
		s/^fsdax: \(big file .*\)/\1/p; s/^fsdax: \(touch .*\)/\1/p;
		s/^fsdax: \(file-io .*\)/\1/p; s/^fsdax: \(mmap .*\)/\1/p;
		s/^fsdax: \(after .*\)/\1/p; s/^fsdax: \(note: .*\)/\1/p' "$log"
	echo
	sed -n 's/^fsdax: result \([a-z]*-delta\|memmap\) /\1: /p' "$log"
	echo
	echo 'At each point (kB from /proc/meminfo, pages from /proc/vmstat):'
	sed -n 's/^fsdax: result //p' "$log" | grep -v -e '-delta ' -e '^memmap ' |
		awk '{
			row = sprintf("%-24s", $1)
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				if (NR == 1)
					hdr = hdr sprintf(" %s", kv[1])
				row = row sprintf(" %s", kv[2])
			}
			if (NR == 1)
				printf "%-24s%s\n", "point", hdr
			print row
		}'
	echo
	if [ -n "$problems" ]; then
		printf 'PROBLEM: %s' "$problems" | sed '/^PROBLEM: $/d'
		grep -E "$reports|^fsdax: FAIL" "$log" | head -20
		echo "vmemmap-fsdax: FAILED (log: $log)"
	else
		echo "vmemmap-fsdax: passed (log: $log)"
	fi
} >"$sum"
cat "$sum"
[ -z "$problems" ] || exit 1
