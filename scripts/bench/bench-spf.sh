#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Part 3 measurements: userspace page-fault benchmarks (the performance
# plan of the part 3 design, section 5; scripts/bench/bench-spf.c) on
# three kernels:
#
#   A  'base' (Linux 7.3)
#   B  the series at $SPF_REF with vm.speculative_page_fault=0
#   C  the same bzImage as B with vm.speculative_page_fault=1
#
# Two x86_64 kernels are built alike from tinyconfig (or
# x86_64_defconfig, see SPF_KCONFIG) plus configs/bench.config,
# CONFIG_PER_VMA_LOCK_STATS=y and THP (the series one also with
# CONFIG_SPECULATIVE_PAGE_FAULT=y and its counters,
# CONFIG_SPECULATIVE_PAGE_FAULT_STATS=y), each in a detached worktree of $KDIR
# ($WORKDIR/bench-spf-src-{base,series}: the kernel tree's own checkout
# is never touched) and build dir ($BUILDDIR/bench-spf-{base,series}-
# $SPF_KCONFIG).  Every requested option must survive olddefconfig.
# scripts/bench-spf.c, built static, is the /init of one initramfs for
# all three; it reads "spfbench=0|1" from the kernel command line and
# sets the sysctl (which A does not have), runs the benchmarks, prints
# one "spf: result" line and the /proc/vmstat deltas (pgfault, spf_*,
# vma_lock_*, nr_page_table_pages) per benchmark, and powers off.
#
# Counts (PWCOUNT=1, the default): every boot runs under the pwcount TCG
# plugin (scripts/bench/plugin/, docs/tcg-counts.md), built first with
# scripts/bench/plugin/build.sh.  bench-spf.c marks each measured fault
# loop as a region, one op per fault, its threads pinned one per vCPU;
# the report of each boot ($out/pwcount-<kernel>-<boot>.txt, kernel
# symbols from the kernel's System.map, booted with nokaslr) must be
# complete and hold every region the guest announced ("spf: region <id>
# <name>"), or the boot counts as failed.  The summary gives per fault
# and kernel: instructions, write and read cache-line transfers between
# the vCPUs (min-max over the boots), and the lines that transferred
# most in the first boot of each kernel.  The timings are then those of
# an instrumented guest (3-8x slower): do not quote them.
#
# The kernels are booted RUNS times (default 3) in QEMU TCG (-smp 2,
# or SPF_SMP; MTTCG, 2 GiB, transparent_hugepage=never unless SPF_THP),
# interleaved A B C A B C...
# Every log is kept in $WORKDIR/results/bench-spf/ (bench-spf-smp<n>/
# with SPF_SMP=<n> other than 2); a kernel report in
# any of them (BUG:, WARNING:, KASAN, Oops, Call Trace, Kernel panic)
# fails the run.  The table of medians over boots with the ratios B/A,
# C/A, C/B, and the spf counters of C (success and abort rates) are
# printed and written to $WORKDIR/results/bench-spf.txt (bench-spf-
# smp<n>.txt).  Every
# benchmark of every C boot must have spf_attempt == spf_success +
# spf_abort + spf_upgrade, and every B boot spf_attempt == 0.
# The "signals" step's bad accesses must get the same signal, si_code
# and si_addr on every boot of A, B and C.
#
# Timing under TCG is only meaningful as a ratio within one run, and
# two vCPUs on a shared 2-core host show no scaling: see the design.
#
#   SPF_REF=<ref>     series ref (default refs/heads/series)
#   RUNS=<n>          boots per kernel (default 3)
#   BUILD_ONLY=1      build the kernels and the initramfs, boot nothing
#   SUMMARY_ONLY=1    build and boot nothing, summarise the logs again
#   SPF_SCALE=<n>     work per benchmark in percent of the sizes in
#                     bench-spf.c (default 50 with PWCOUNT=1, 200
#                     without)
#   PWCOUNT=0         boot without the plugin (timings only)
#   SPF_ONLY=<list>   only the benchmarks whose names start with one of
#                     these comma-separated prefixes
#   SPF_KERNELS=<list>  boot only these of A, B, C (default "A B C";
#                     commas or spaces), build only the kernels they
#                     need; the logs of the others are kept and
#                     summarised with the new ones (the summary names
#                     each kernel's build), e.g. SPF_KERNELS=B after an
#                     A,C run
#   SPF_SMP=2|4|8     vCPUs (default 2; the kernels have NR_CPUS=8).
#                     With 4 or 8 the guest also runs pft_shared_t<n>,
#                     one thread per vCPU (the other benchmarks stay at
#                     1 or 2 threads); e.g. SPF_ONLY=pft_shared.  A
#                     vCPU's own counts and whether a line is shared
#                     at all do not depend on the host's cores; how
#                     often a contended line moves does, and so does
#                     the boot time (docs/tcg-counts.md, Limits)
#   BOOT_TIMEOUT=<s>  timeout of one boot (default 900)
#   SPF_REBUILD=1     configure and make the kernels even if the stamp
#                     of their last build records the same commit and
#                     configuration
#   SPF_KCONFIG=tiny  (the default) start from tinyconfig plus what the
#                     benchmark needs (serial console, ACPI power off,
#                     futex, madvise, memcg, shmem, THP...): about a
#                     third of the objects, for a loaded 2-core host; the
#                     mm code measured is the same
#   SPF_KCONFIG=defconfig  start from x86_64_defconfig instead
#   SPF_PROFILE=1     also have the plugin write an instruction profile
#                     per boot (its profile=: instructions per kernel
#                     symbol and per block, per region), in a directory
#                     of its own, $WORKDIR/results/bench-spf[-smp<n>]-
#                     profile/profile-<kernel>-<boot>.txt (the ordinary
#                     results stay), and add the per-symbol comparison of
#                     A, B and C per benchmark
#                     (scripts/bench/plugin/profile-diff.sh) to the
#                     summary; needs PWCOUNT=1
#   SPF_THP=never|always|mthp  THP for the benchmarks' anonymous vmas
#                     (unset: never, as before).  never: booted with
#                     transparent_hugepage=never, every vma
#                     MADV_NOHUGEPAGE.  always: transparent_hugepage=
#                     always (PMD-size THP), no MADV_NOHUGEPAGE.  mthp:
#                     transparent_hugepage=never (the PMD size inherits
#                     it), the guest writes "always" to hugepages-16kB
#                     and hugepages-64kB/enabled, no MADV_NOHUGEPAGE.
#                     The guest prints per benchmark the deltas of
#                     thp_fault_alloc/fallback, thp_collapse_alloc,
#                     thp_split_pmd and of the per-size
#                     anon_fault_alloc/fallback of the sizes enabled
#                     ("spf: thp" lines, with THP in any mode), and the
#                     summary tabulates them.  With SPF_THP set, even to
#                     never, the logs and table go to bench-spf[-smp<n>]
#                     -thp-<mode>/ and .txt: the default run's stay

set -eu
# shellcheck source=scripts/common.sh disable=SC1091
. "$(dirname "$0")/../lib/common.sh"

spf_ref=${SPF_REF:-refs/heads/$BRANCH}
runs=${RUNS:-3}
pwcount=${PWCOUNT:-1}
case $pwcount in
0) scale=${SPF_SCALE:-200} ;;
1) scale=${SPF_SCALE:-50} ;;
*) die "PWCOUNT=$pwcount: 0 or 1" ;;
esac
boot_timeout=${BOOT_TIMEOUT:-900}
build_only=${BUILD_ONLY:-}
summary_only=${SUMMARY_ONLY:-}
only=${SPF_ONLY:-}
kconf=${SPF_KCONFIG:-tiny}
kernels=$(printf '%s\n' "${SPF_KERNELS:-A B C}" | tr ',' ' ')
nkernels=0
for k in $kernels; do
	case $k in
	A | B | C) nkernels=$((nkernels + 1)) ;;
	*) die "SPF_KERNELS=${SPF_KERNELS:-}: A, B and/or C" ;;
	esac
done
[ "$nkernels" -gt 0 ] || die "SPF_KERNELS is empty: A, B and/or C"
smp=${SPF_SMP:-2}
case $smp in
2 | 4 | 8) ;;
*) die "SPF_SMP=$smp: 2, 4 or 8 vCPUs" ;;
esac
profile=${SPF_PROFILE:-0}
thp=${SPF_THP:-never}
case $thp in
never) thp_boot=never thp_desc="transparent_hugepage=never, MADV_NOHUGEPAGE" ;;
always) thp_boot=always thp_desc="transparent_hugepage=always, no MADV_NOHUGEPAGE" ;;
mthp) thp_boot=never thp_desc="transparent_hugepage=never + mTHP 16kB, 64kB always, no MADV_NOHUGEPAGE" ;;
*) die "SPF_THP=$thp: never, always or mthp" ;;
esac
case $profile in
0 | 1) ;;
*) die "SPF_PROFILE=$profile: 0 or 1" ;;
esac
[ "$profile" = 0 ] || [ "$pwcount" = 1 ] || die "SPF_PROFILE=1 needs PWCOUNT=1"
case $kconf in
defconfig) kconf_target=x86_64_defconfig ;;
tiny) kconf_target=tinyconfig ;;
*) die "SPF_KCONFIG=$kconf: defconfig or tiny" ;;
esac
case $runs in '' | *[!0-9]* | 0) die "RUNS=$runs: need a positive number of boots" ;; esac
case $scale in '' | *[!0-9]* | 0) die "SPF_SCALE=$scale: need a positive percentage" ;; esac
case $boot_timeout in '' | *[!0-9]* | 0) die "BOOT_TIMEOUT=$boot_timeout: need a positive number of seconds" ;; esac

need_tree
for t in qemu-system-x86_64 gcc timeout; do
	command -v $t >/dev/null 2>&1 || die "$t is needed (make deps)"
done
base_commit=$(kgit rev-parse -q --verify "base^{commit}") ||
	die "no tag base in $KDIR"
series_commit=$(kgit rev-parse -q --verify "$spf_ref^{commit}") ||
	die "SPF_REF '$spf_ref' is not a commit in $KDIR"
[ "$base_commit" != "$series_commit" ] ||
	die "base and SPF_REF ($spf_ref) are the same commit"

use_ccache
# shellcheck disable=SC2154 # $ccache: set by use_ccache
cc="${ccache}gcc"

# One results dir and table per vCPU count: runs at 2, 4 and 8 coexist.
sfx=
[ "$smp" = 2 ] || sfx=-smp$smp
# Profiled boots (SPF_PROFILE=1) apart: the ordinary results stay.
[ "$profile" = 0 ] || sfx=$sfx-profile
# So are those of an explicit SPF_THP.
[ -z "${SPF_THP:-}" ] || sfx=$sfx-thp-$thp
out=$WORKDIR/results/bench-spf$sfx
table=$WORKDIR/results/bench-spf$sfx.txt
mkdir -p "$out"
start=$(date +%s)

# The config fragment of kernel $1 (base|series), written to stdout:
# configs/bench.config without its test_vmalloc module (no modules are
# built here), the per-VMA lock counters, THP (off at boot) and the
# paravirt options of the design (idle under TCG); for SPF_KCONFIG=tiny
# also what tinyconfig lacks for this benchmark.
fragment() {
	grep -v -e TEST_VMALLOC -e '^CONFIG_MODULES=' "$TOP/configs/bench.config"
	cat <<'EOF'
# bench-spf.sh
CONFIG_PER_VMA_LOCK_STATS=y
CONFIG_TRANSPARENT_HUGEPAGE=y
CONFIG_PARAVIRT=y
CONFIG_KVM_GUEST=y
EOF
	[ "$kconf" = defconfig ] || cat <<'EOF'
# SPF_KCONFIG=tiny: tinyconfig plus
CONFIG_64BIT=y
CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE=y
CONFIG_KERNEL_GZIP=y
# CONFIG_SLUB_TINY is not set
CONFIG_UNWINDER_ORC=y
CONFIG_PRINTK=y
CONFIG_BUG=y
CONFIG_KALLSYMS=y
CONFIG_TTY=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_BINFMT_ELF=y
CONFIG_PROC_FS=y
CONFIG_SYSCTL=y
CONFIG_SYSFS=y
CONFIG_FUTEX=y
CONFIG_POSIX_TIMERS=y
CONFIG_ADVISE_SYSCALLS=y
CONFIG_VM_EVENT_COUNTERS=y
CONFIG_MULTIUSER=y
CONFIG_PCI=y
CONFIG_ACPI=y
CONFIG_CGROUPS=y
CONFIG_MEMCG=y
CONFIG_HYPERVISOR_GUEST=y
CONFIG_HIGH_RES_TIMERS=y
CONFIG_NO_HZ_IDLE=y
CONFIG_SHMEM=y
EOF
	# Room for SPF_SMP=8 in the same kernels (tinyconfig's SMP stops at
	# 2 CPUs).
	echo 'CONFIG_NR_CPUS=8'
	[ "$1" = base ] || printf '%s\n' 'CONFIG_SPECULATIVE_PAGE_FAULT=y' \
		'CONFIG_SPECULATIVE_PAGE_FAULT_STATS=y'
}

# Configure and build kernel $1 (base|series) from its worktree, unless
# the stamp of the last complete build there records the same commit,
# fragment and .config (SPF_REBUILD=1 builds anyway): on a loaded host
# even a no-op make takes minutes.
build() {
	wt=$WORKDIR/bench-spf-src-$1
	bdir=$BUILDDIR/bench-spf-$1-$kconf
	log=$out/build-$1.log
	frag=$out/bench-spf-$1.config
	stamp=$bdir/.bench-spf-stamp
	fragment "$1" >"$frag"
	built="$(git -C "$wt" rev-parse HEAD) $(cksum <"$frag")"
	if [ -z "${SPF_REBUILD:-}" ] && [ -f "$stamp" ] &&
		[ -f "$bdir/arch/x86/boot/bzImage" ] &&
		[ "$(cat "$stamp")" = "$built $(cksum <"$bdir/.config")" ]; then
		info "$1: $(git -C "$wt" log -1 --format=%h) already built in $bdir"
		return 0
	fi
	rm -f "$stamp"
	t0=$(date +%s)
	mkdir -p "$bdir"
	info "$1: building $(git -C "$wt" log -1 --format='%h %s') in $bdir"
	k() { make -C "$wt" O="$bdir" ARCH=x86_64 CC="$cc" HOSTCC="$cc" "$@"; }
	if ! {
		k "$kconf_target" &&
		"$wt/scripts/kconfig/merge_config.sh" -m -O "$bdir" \
			"$bdir/.config" "$frag" &&
		k olddefconfig
	} >"$log" 2>&1; then
		tail -15 "$log" >&2
		die "$1: configuration failed (log: $log)"
	fi
	# Every option of the fragment must have survived olddefconfig.
	missing=$(sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1/p' "$frag" |
		while read -r opt; do
			! grep -q "^$opt=" "$bdir/.config" || echo "$opt=(set)"
		done
		grep '^CONFIG_' "$frag" | while read -r opt; do
			grep -qx "$opt" "$bdir/.config" || echo "$opt"
		done | tr '\n' ' ')
	[ -z "$missing" ] || die "$1 ($(git -C "$wt" log -1 --format=%h)): config lost: $missing"
	if ! k -j2 bzImage >>"$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -15 >&2
		die "$1 kernel build failed (log: $log)"
	fi
	[ -f "$bdir/arch/x86/boot/bzImage" ] || die "$1: no bzImage in $bdir"
	echo "$built $(cksum <"$bdir/.config")" >"$stamp"
	info "$1: built ($(($(date +%s) - t0))s)"
}

load=$(cut -d' ' -f1 /proc/loadavg)
failed=0
# Build and boot, unless SUMMARY_ONLY (up to the matching fi below).
if [ -z "$summary_only" ]; then
# The base worktree also gives make_initramfs its gen_init_cpio.c.
detached_worktree "$WORKDIR/bench-spf-src-base" "$base_commit"
need_space 4000
case " $kernels " in *" A "*) build base ;; esac
case " $kernels " in
*" B "* | *" C "*)
	detached_worktree "$WORKDIR/bench-spf-src-series" "$series_commit"
	build series
	;;
esac

# The init and the initramfs, one for all three kernels.
initdir=$BUILDDIR/bench-spf-init
mkdir -p "$initdir"
gcc -static -O2 -pthread -Wall -o "$initdir/init" "$TOP/scripts/bench/bench-spf.c" ||
	die "cannot build scripts/bench/bench-spf.c (needs libc6-dev)"
cpio_img=$initdir/bench-spf.cpio
make_initramfs "$WORKDIR/bench-spf-src-base" "$initdir/init" "$cpio_img"
plugin=
if [ "$pwcount" = 1 ]; then
	plugin=$("$TOP/scripts/bench/plugin/build.sh" | tail -n 1) ||
		die "cannot build the pwcount plugin (PWCOUNT=0 boots without it)"
fi

if [ -n "$build_only" ]; then
	info "built in $(($(date +%s) - start))s; BUILD_ONLY: not booting"
	exit 0
fi

for k in $kernels; do
	rm -f "$out/boot-$k-"*.log "$out/pwcount-$k-"*.txt "$out/profile-$k-"*.txt
done
{
	echo "base:   $(kgit log -1 --format='%h %s' "$base_commit")"
	echo "series: $spf_ref $(kgit log -1 --format='%h %s' "$series_commit")"
	echo "runs:   $runs, scale $scale%, -smp $smp, kernel config $kconf_target + $out/bench-spf-{base,series}.config"
	[ -z "${SPF_THP:-}" ] || echo "thp:    SPF_THP=$thp: $thp_desc"
	echo "counts: $([ "$pwcount" = 1 ] && echo "pwcount plugin, count=all" || echo "none (PWCOUNT=0)")$([ "$profile" = 0 ] || echo ", with profile= (SPF_PROFILE=1)")"
} >"$out/bench.info"
info "booting $kernels $runs times, -smp $smp (series: $spf_ref)"

load=$(cut -d' ' -f1 /proc/loadavg)
[ "${load%%.*}" -lt 1 ] ||
	info "warning: host load is $load before the boots; timings will be noisier"

# One boot of kernel $1 (A|B|C); $2: boot number.  The log is kept.
boot() {
	case $1 in
	A) kind=base arg= ;;
	B) kind=series arg=spfbench=0 ;;
	C) kind=series arg=spfbench=1 ;;
	esac
	log=$out/boot-$1-$2.log
	pwout=$out/pwcount-$1-$2.txt
	bdir=$BUILDDIR/bench-spf-$kind-$kconf
	# Kernel symbols for the report; the plugin splits its arguments at
	# commas, so neither path may hold one.
	plugin_arg=
	[ -z "$plugin" ] ||
		plugin_arg="$plugin,outfile=$pwout,top=8,map=$bdir/System.map"
	[ -z "$plugin" ] || [ "$profile" = 0 ] ||
		plugin_arg="$plugin_arg,profile=$out/profile-$1-$2.txt"
	t0=$(date +%s)
	rc=0
	# loglevel=5: warnings and worse reach the console and the log.
	timeout -k 10 "$boot_timeout" qemu-system-x86_64 \
		-accel tcg,thread=multi -smp "$smp" -m 2048 \
		-nographic -no-reboot \
		-kernel "$bdir/arch/x86/boot/bzImage" \
		${plugin_arg:+-plugin "$plugin_arg"} \
		-initrd "$cpio_img" \
		-append "console=ttyS0 nokaslr no_timer_check loglevel=5 panic=-1 transparent_hugepage=$thp_boot spfscale=$scale${only:+ spfonly=$only}${SPF_THP:+ spfthp=$thp} $arg" \
		</dev/null >"$log" 2>&1 || rc=$?
	tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
	secs=$(($(date +%s) - t0))
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		info "$1 boot $2: timed out after ${secs}s (log: $log)"
		failed=$((failed + 1))
	elif ! grep -q '^spf: done' "$log" || grep -q '^spf: error' "$log"; then
		info "$1 boot $2: incomplete or failed (qemu rc $rc, ${secs}s, log: $log)"
		grep -E '^spf: error|Kernel panic' "$log" | head -5 >&2
		failed=$((failed + 1))
	elif [ -n "$plugin" ] && ! pwcount_ok "$log" "$pwout"; then
		info "$1 boot $2: no complete count (${secs}s, report: $pwout)"
		failed=$((failed + 1))
	else
		info "$1 boot $2: ${secs}s"
	fi
}

# pwcount_ok <boot log> <report>: the report is complete and has the
# per-op figures of every region the guest announced, each announced in
# a whole line (kernel console output can land inside a line).
pwcount_ok() {
	"$TOP/scripts/bench/plugin/report.sh" "$2" >/dev/null || return 1
	if grep '^spf: region' "$1" | grep -qvE '^spf: region [0-9]+ [a-z0-9_]+$'; then
		info "a garbled 'spf: region' line in $1"
		return 1
	fi
	sed -n 's/^spf: region \([0-9]*\) .*/\1/p' "$1" | while read -r id; do
		grep -q "^P $id " "$2" || {
			info "region $id: no figures in $2"
			return 1
		}
	done
}

r=1
while [ $r -le "$runs" ]; do
	for k in $kernels; do
		boot "$k" "$r"
	done
	r=$((r + 1))
done
fi # SUMMARY_ONLY

# Kernel reports in any log fail the run (after the summary).
reports=$(grep -HnE 'BUG:|WARNING:|KASAN|Oops|Call Trace|Kernel panic' "$out"/boot-*.log || true)

# "kernel boot bench value unit" and "kernel boot bench key=value..."
# lines of the complete boots.
for f in "$out"/boot-*.log; do
	grep -q '^spf: done' "$f" || continue
	b=${f##*/boot-}
	b=${b%.log}
	awk -v k="${b%-*}" -v r="${b#*-}" '
		$1 == "spf:" && $2 == "result" { print "R", k, r, $3, $4, $5 }
		$1 == "spf:" && $2 == "signal" { print "G", k, r, $3, $4, $5, $6 }
		$1 == "spf:" && ($2 == "vmstat" || $2 == "thp") && $4 ~ /=/ {
			s = ($2 == "thp" ? "T " : "V ") k " " r " " $3
			for (i = 4; i <= NF; i++)
				s = s " " $i
			print s
		}' "$f"
	# The counts: "C kernel boot bench ops insns/op accesses/op
	# rd_xfers/op wr_xfers/op" and the top lines "L kernel boot bench
	# rank paddr rd wr vaddr-symbol pc-symbol", for a complete report.
	p=$out/pwcount-$b.txt
	if [ ! -f "$p" ] || [ "$(sed -n 1p "$p")" != "pwcount: complete" ]; then
		continue
	fi
	awk -v k="${b%-*}" -v r="${b#*-}" '
		FNR == NR && $1 == "spf:" && $2 == "region" {
			if (NF == 4 && $4 ~ /^[a-z0-9_]+$/)
				name[$3] = $4
			next
		}
		FNR == NR { next }
		$1 == "P" && ($2 in name) {
			print "C", k, r, name[$2], $4, $6, $8, $12, $14
		}
		$1 == "L" && ($2 in name) {
			print "L", k, r, name[$2], $3, $4, $6, $7, $9, $10
		}' "$f" "$p"
done >"$out/samples.txt"
[ -s "$out/samples.txt" ] || die "no complete boot, nothing to report (logs: $out)"

{
	if [ -z "${SPF_THP:-}" ]; then
		echo "bench-spf: x86_64 QEMU TCG (MTTCG), -smp $smp -m 2048, transparent_hugepage=never,"
	else
		echo "bench-spf: x86_64 QEMU TCG (MTTCG), -smp $smp -m 2048, $thp_desc,"
	fi
	[ "$pwcount" = 0 ] || echo "under the pwcount plugin: the timings below are of an instrumented guest, do not quote them;"
	echo "no KVM; host: $(nproc) cores shared with other jobs (load $load at the start)."
	cat "$out/bench.info" || true
	for k in A B C; do
		f=$out/boot-$k-1.log
		[ -f "$f" ] || continue
		echo "$k: $(sed -n 's/^spf: kernel //p' "$f" | head -1)," \
			"$(sed -n 's/^spf: sysctl //p' "$f" | head -1)"
	done
	echo
	awk -f "$TOP/scripts/bench/median.awk" -f - "$out/samples.txt" <<'EOF' || counters_bad=1
# "" (printed "-") when no boot of that kernel gave the figure
function ratio(x, y) {
	return (x != "" && y != "" && y + 0 > 0) ? sprintf("%.3f", x / y) : "-"
}
function fmt(x) {
	return x == "" ? "-" : sprintf("%.0f", x)
}
# spread of the last median(): half of max-min in % of m
function spread(m) {
	return m > 0 ? sprintf("%.1f", (hi - lo) * 50 / m) : "-"
}
$1 == "R" {
	if (!($4 in unit)) {
		order[++n] = $4
		unit[$4] = $6
	}
	v[$2, $4] = v[$2, $4] " " $5
	nb[$2, $4]++
}
# The signal of a bad access: the same on every boot of every kernel.
$1 == "G" {
	if (!($4 in gseen)) {
		gseen[$4] = 1
		gorder[++gn] = $4
	}
	val = $5 " " $6 " " $7
	if (g[$2, $4] == "")
		g[$2, $4] = val
	else if (g[$2, $4] != val)
		g[$2, $4] = "differs between boots"
	next
}
$1 == "V" {
	if (!($4 in vseen)) {
		vseen[$4] = 1
		vorder[++vn] = $4
	}
	for (i = 5; i <= NF; i++) {
		split($i, kv, "=")
		c[$2, $4, kv[1]] = c[$2, $4, kv[1]] " " kv[2]
		if (!(kv[1] in cseen)) {
			cseen[kv[1]] = 1
			corder[++cn] = kv[1]
		}
		one[kv[1]] = kv[2]
	}
	if ($2 == "C" && one["spf_attempt"] != one["spf_success"] + one["spf_abort"] + one["spf_upgrade"]) {
		bad++
		badmsg = badmsg sprintf("  C boot %s %s: spf_attempt %d != success %d + abort %d + upgrade %d\n",
			$3, $4, one["spf_attempt"], one["spf_success"], one["spf_abort"], one["spf_upgrade"])
	}
	if ($2 == "B" && one["spf_attempt"] + 0 != 0) {
		bad++
		badmsg = badmsg sprintf("  B boot %s %s: spf_attempt %d with the sysctl off\n",
			$3, $4, one["spf_attempt"])
	}
	delete one
}
END {
	print "## Results: median over boots (higher is better), spread = (max-min)/2 in %\n"
	print "| benchmark | unit | A base | ±% | B spf=0 | ±% | C spf=1 | ±% | B/A | C/A | C/B |"
	print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		b = order[i]
		a = median(v["A", b]); sa = spread(a)
		x = median(v["B", b]); sb = spread(x)
		y = median(v["C", b]); sc = spread(y)
		if (v["A", b] == "") { a = ""; sa = "-" }
		if (v["B", b] == "") { x = ""; sb = "-" }
		if (v["C", b] == "") { y = ""; sc = "-" }
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			b, unit[b], fmt(a), sa, fmt(x), sb, fmt(y), sc,
			ratio(x, a), ratio(y, a), ratio(y, x)
	}
	printf "\nboots per kernel: A %d, B %d, C %d\n", nb["A", order[1]], nb["B", order[1]], nb["C", order[1]]

	if (gn) {
		print "\n## Signals of bad accesses (the same on every boot of a kernel, or 'differs')\n"
		print "| access | A base | B spf=0 | C spf=1 |"
		print "|---|---|---|---|"
		for (i = 1; i <= gn; i++) {
			b = gorder[i]
			printf "| %s | %s | %s | %s |\n", b, g["A", b], g["B", b], g["C", b]
			if (g["A", b] == "" || g["A", b] ~ /differs|addr=wrong|none/ ||
			    g["B", b] != g["A", b] || g["C", b] != g["A", b]) {
				bad++
				badmsg = badmsg sprintf("  signal of %s: A '%s', B '%s', C '%s'\n",
					b, g["A", b], g["B", b], g["C", b])
			}
		}
	}

	print "\n## SPF counters on C (median over boots of the per-benchmark /proc/vmstat deltas)\n"
	print "| benchmark | pgfault | spf_attempt | spf_success | spf_abort | spf_upgrade | upgrade_fail | success % | abort % | upgrade % | abort reasons (nonzero) |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	for (i = 1; i <= vn; i++) {
		b = vorder[i]
		pf = median(c["C", b, "pgfault"])
		at = median(c["C", b, "spf_attempt"])
		su = median(c["C", b, "spf_success"])
		ab = median(c["C", b, "spf_abort"])
		up = median(c["C", b, "spf_upgrade"])
		uf = median(c["C", b, "spf_upgrade_fail"])
		why = ""
		for (j = 1; j <= cn; j++) {
			key = corder[j]
			if (key !~ /^spf_abort_/)
				continue
			m = median(c["C", b, key])
			if (m > 0)
				why = why sprintf("%s%s %.0f", why == "" ? "" : ", ", substr(key, 11), m)
		}
		psu = pab = pup = "-"
		if (at > 0) {
			psu = sprintf("%.2f", su * 100 / at)
			pab = sprintf("%.3f", ab * 100 / at)
			pup = sprintf("%.3f", up * 100 / at)
		}
		if (why == "")
			why = "-"
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			b, fmt(pf), fmt(at), fmt(su), fmt(ab), fmt(up), fmt(uf),
			psu, pab, pup, why
	}
	if (bad)
		printf "\nCOUNTER OR SIGNAL CHECK FAILED (%d):\n%s", bad, badmsg
	else
		print "\ncounter check: spf_attempt == spf_success + spf_abort + spf_upgrade on every benchmark of every C boot; spf_attempt == 0 on every B boot"
	if (gn && !bad)
		print "signal check: every bad access got the same signal, si_code and si_addr on A, B and C"

	print "\n## Per-VMA lock counters (median over boots): vma_lock_success / abort / retry / miss\n"
	print "| benchmark | A | B | C |"
	print "|---|---|---|---|"
	for (i = 1; i <= vn; i++) {
		b = vorder[i]
		line = "| " b
		for (k = 1; k <= 3; k++) {
			kk = substr("ABC", k, 1)
			line = line sprintf(" | %s / %s / %s / %s",
				fmt(median(c[kk, b, "vma_lock_success"])),
				fmt(median(c[kk, b, "vma_lock_abort"])),
				fmt(median(c[kk, b, "vma_lock_retry"])),
				fmt(median(c[kk, b, "vma_lock_miss"])))
		}
		print line " |"
	}
	if (bad)
		exit 1
}
EOF
	# THP counters ("spf: thp" lines), if the kernels have THP.
	! grep -q '^T ' "$out/samples.txt" ||
		awk -f "$TOP/scripts/bench/median.awk" -f - "$out/samples.txt" <<'EOF'
# median() of median.awk, "-" when no boot gave the figure
function med(s) {
	s = median(s)
	return s == "" ? "-" : s
}
$1 == "V" || $1 == "T" {
	for (i = 5; i <= NF; i++) {
		split($i, kv, "=")
		if ($1 == "V" && kv[1] != "pgfault")
			continue
		c[$2, $4, kv[1]] = c[$2, $4, kv[1]] " " kv[2]
		if ($1 == "T" && !(kv[1] in kseen)) {
			kseen[kv[1]] = 1
			korder[++kn] = kv[1]
		}
	}
}
$1 == "T" {
	if (!($4 in seen)) {
		seen[$4] = 1
		order[++n] = $4
	}
	ks[$2] = 1
}
END {
	print "\n## THP counters (median over boots of the per-benchmark /proc/vmstat and mTHP stats deltas)\n"
	line = "| benchmark | kernel | pgfault"
	sep = "|---|---|---:"
	for (j = 1; j <= kn; j++) {
		line = line " | " korder[j]
		sep = sep "|---:"
	}
	print line " |"
	print sep "|"
	for (i = 1; i <= n; i++)
		for (k = 1; k <= 3; k++) {
			kk = substr("ABC", k, 1)
			if (!(kk in ks))
				continue
			line = "| " order[i] " | " kk " | " med(c[kk, order[i], "pgfault"])
			for (j = 1; j <= kn; j++)
				line = line " | " med(c[kk, order[i], korder[j]])
			print line " |"
		}
}
EOF
	[ "$pwcount" = 0 ] || awk -f - "$out/samples.txt" <<'EOF' || counters_bad=1
# min-max over the boots of a kernel: "min-max", or "v" if they agree
function range(s, d,    a, n, i, lo, hi, f) {
	n = split(s, a, " ")
	if (!n)
		return "-"
	lo = hi = a[1] + 0
	for (i = 2; i <= n; i++) {
		if (a[i] + 0 < lo) lo = a[i] + 0
		if (a[i] + 0 > hi) hi = a[i] + 0
	}
	f = "%." d "f"
	if (sprintf(f, lo) == sprintf(f, hi))
		return sprintf(f, lo)
	return sprintf(f "-" f, lo, hi)
}
$1 == "C" {
	if (!($4 in seen)) {
		seen[$4] = 1
		order[++n] = $4
	}
	nb[$2, $4]++
	nops[$2, $3, $4] = $5
	ops[$2, $4] = ops[$2, $4] " " $5
	ins[$2, $4] = ins[$2, $4] " " $6
	acc[$2, $4] = acc[$2, $4] " " $7
	rdx[$2, $4] = rdx[$2, $4] " " $8
	wrx[$2, $4] = wrx[$2, $4] " " $9
}
# the top lines of the first complete boot of each kernel
$1 == "L" {
	if (!(($2, $4) in lboot))
		lboot[$2, $4] = $3
	if ($3 != lboot[$2, $4])
		next
	o = nops[$2, $3, $4]
	top[$2, $4] = top[$2, $4] sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |\n",
		$4, $2, $5, $6, $8, o > 0 ? sprintf("%.4f", $8 / o) : "-", $7,
		$9 " / " $10)
}
END {
	print "\n## Counts per fault (pwcount plugin, count=all; min-max over the boots)\n"
	print "Per op = per fault: one op marker per page written in the measured loop."
	print "Transfers: 64-byte lines of guest RAM moving between the vCPUs"
	print "(docs/tcg-counts.md); write transfers are the reliable figure.\n"
	print "| benchmark | figure | A base | B spf=0 | C spf=1 |"
	print "|---|---|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		b = order[i]
		printf "| %s | faults/boot | %s | %s | %s |\n", b,
			range(ops["A", b], 0), range(ops["B", b], 0), range(ops["C", b], 0)
		printf "| %s | insns/fault | %s | %s | %s |\n", b,
			range(ins["A", b], 1), range(ins["B", b], 1), range(ins["C", b], 1)
		printf "| %s | accesses/fault | %s | %s | %s |\n", b,
			range(acc["A", b], 1), range(acc["B", b], 1), range(acc["C", b], 1)
		printf "| %s | wr_xfers/fault | %s | %s | %s |\n", b,
			range(wrx["A", b], 4), range(wrx["B", b], 4), range(wrx["C", b], 4)
		printf "| %s | rd_xfers/fault | %s | %s | %s |\n", b,
			range(rdx["A", b], 4), range(rdx["B", b], 4), range(rdx["C", b], 4)
	}
	printf "\nboots with counts: A %d, B %d, C %d\n", nb["A", order[1]],
		nb["B", order[1]], nb["C", order[1]]
	print "\n## Lines that transferred most (first boot of each kernel; '-': not in the kernel image, e.g. slab)\n"
	print "| benchmark | kernel | rank | paddr | wr | wr/fault | rd | vaddr symbol / pc of the last transfer |"
	print "|---|---|---:|---|---:|---:|---:|---|"
	for (i = 1; i <= n; i++)
		for (k = 1; k <= 3; k++)
			printf "%s", top[substr("ABC", k, 1), order[i]]
}
EOF
	if [ "$profile" = 1 ]; then
		echo
		echo "## Instructions per fault by kernel symbol (SPF_PROFILE=1: scripts/bench/plugin/profile-diff.sh $out)"
		"$TOP/scripts/bench/plugin/profile-diff.sh" "$out" ||
			echo "(profile-diff.sh failed)"
	fi
} >"$out/summary.txt"
cp "$out/summary.txt" "$table"
cat "$out/summary.txt"

end=$(($(date +%s) - start))
echo
echo "total time: $((end / 60)) min $((end % 60)) s; logs: $out; table: $table"
if [ -n "$reports" ]; then
	printf '%s\n' "$reports" | head -20 >&2
	die "kernel reports in the boot logs (above)"
fi
[ -z "${counters_bad:-}" ] || die "SPF counter or signal check failed (see the table)"
[ "$failed" = 0 ] || die "$failed of $((nkernels * runs)) boots failed"
