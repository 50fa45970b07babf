#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark vmalloc with lib/test_vmalloc.c, base against the series.
#
# Two x86_64 kernels are built alike from x86_64_defconfig plus
# configs/bench.config, one at 'base' and one at the series ref, each in
# its own detached worktree of $KDIR ($WORKDIR/bench-src-{base,series}:
# the kernel tree's own checkout is never touched) and build dir
# ($BUILDDIR/bench-{base,series}).  Each gets an initramfs holding its
# test_vmalloc.ko, the parameter sets below and a static init
# (scripts/bench-vmalloc-init.c) that loads the module once per set and
# powers off.  The kernels are booted in QEMU (TCG, -smp 2, 2G) in turn,
# base and series alternating (ABBA), BOOTS times each.  The script then
# prints a markdown table of the per-test "avg" (usec per test_loop_count
# loops) with the median of the boots for each kernel, the ratio
# series/base and the min-max spread, and the slab/vmalloc counters of
# the last boot.  Raw logs: $WORKDIR/results/bench-vmalloc/<date>/.
#
# TCG times are only comparable as ratios within one run.
#
# Counts (issue 20; docs/tcg-counts.md, docs/part2-scamem.md): after the
# timed boots each kernel is booted -c times more under the pwcount TCG
# plugin with scripts/bench/bench-vmalloc-count.c, a module built out of
# tree against each kernel, in place of test_vmalloc: for each size of
# COUNT_SIZES (pages, default "1 8 32 256 511 512 513") one region of
# vmalloc() calls and one of as many vfree() calls, COUNT_ROUNDS (8)
# rounds each of up to 256 calls (as many as stay under the lazy purge
# threshold: 256 of 1 page, 15 of 513), one operation per call, on one
# vCPU, the lazy vmap areas purged before each round.  The plugin counts
# the kernel's instructions (count=kernel), memory accesses and
# cross-vCPU line transfers per call, and an instruction profile from
# which the summary takes the allocator calls per call.  These boots run
# with -icount shift=0,sleep=off (single-threaded TCG; the guest clock
# advances 1 ns per instruction), so that how many timer ticks land in a
# region depends on the instructions executed, not on the host's speed
# or load.  The summary gives the figures per size, base against series
# (mean, and min-max over the counted boots), and keeps the reports as
# $out/pwcount-<kernel>-<boot>.txt and profile-<kernel>-<boot>.txt.
# Each report must be complete and hold every region, or the boot counts
# as failed.
#
#   -r REF    series ref to measure (default: $BENCH_REF, else 'series')
#   -b REF    base ref (default: base)
#   -n N      timed boots per kernel (default: $BOOTS, else 3; 0: counts only)
#   -c N      counted boots per kernel (default: $PWCOUNT_BOOTS, else 2;
#             0: no counts)
#   -s SETS   parameter sets to run, letters out of abcd (default: abcd)
#   -t SEC    timeout of one boot (default: 900)
#   -B        build the kernels and initramfs images only, boot nothing
#   -S DIR    summarise the boot logs of an earlier run in DIR again
#             (e.g. $WORKDIR/results/bench-vmalloc/latest), build and
#             boot nothing

set -eu
. "$(dirname "$0")/../lib/common.sh"

usage() {
	die "usage: ${0##*/} [-r series-ref] [-b base-ref] [-n boots] [-c counted-boots] [-s abcd] [-t seconds] [-B | -S dir]"
}

series_ref=${BENCH_REF:-$BRANCH}
base_ref=base
boots=${BOOTS:-3}
cboots=${PWCOUNT_BOOTS:-2}
count_sizes=${COUNT_SIZES:-1 8 32 256 511 512 513}
count_rounds=${COUNT_ROUNDS:-8}
sets=abcd
boot_timeout=900
build_only= resummarise=
while getopts r:b:n:c:s:t:BS: opt; do
	case $opt in
	r) series_ref=$OPTARG ;;
	b) base_ref=$OPTARG ;;
	n) boots=$OPTARG ;;
	c) cboots=$OPTARG ;;
	s) sets=$OPTARG ;;
	t) boot_timeout=$OPTARG ;;
	B) build_only=1 ;;
	S) resummarise=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 0 ] || usage
case $boots in '' | *[!0-9]*) die "-n $boots: need a number of boots" ;; esac
case $cboots in '' | *[!0-9]*) die "-c $cboots: need a number of counted boots" ;; esac
[ "$boots" -gt 0 ] || [ "$cboots" -gt 0 ] || die "-n 0 -c 0: nothing to boot"
# The module takes 1-16 sizes of 1-8191 pages (one call of 8191 pages
# and its guard page stays under its 8192 pages per round) and 1-64
# rounds.
nsizes=0 regions=
for sz in $count_sizes; do
	case $sz in *[!0-9]* | 0) die "COUNT_SIZES: '$sz' is not a positive number of pages" ;; esac
	[ "$sz" -le 8191 ] || die "COUNT_SIZES: $sz pages: at most 8191"
	nsizes=$((nsizes + 1))
	regions="$regions${regions:+:}$((2 * nsizes - 1)):$((2 * nsizes))"
done
[ "$nsizes" -ge 1 ] && [ "$nsizes" -le 16 ] || die "COUNT_SIZES: need 1-16 sizes"
case $count_rounds in '' | *[!0-9]* | 0) die "COUNT_ROUNDS=$count_rounds: need 1-64" ;; esac
[ "$count_rounds" -le 64 ] || die "COUNT_ROUNDS=$count_rounds: need 1-64"
case $boot_timeout in '' | *[!0-9]* | 0) die "-t $boot_timeout: need a positive number of seconds" ;; esac
case $sets in '' | *[!abcd]*) die "-s $sets: only the letters a, b, c and d" ;; esac

# Parameter sets: "<label> <module parameters>", one module load each.
# test_vmalloc's default test_loop_count is 1000000, which takes minutes
# per test on real hardware and is 5-10 times slower again under TCG, so
# the loop counts are scaled down to keep a boot (all sets) at about a
# minute; the factor is given per set.  "avg" is the time of all the
# loops of one repeat, so values of different sets do not compare.
#
# (a) the six allocation tests (mask 63) in order on one CPU, as
#     test_vmalloc.sh's "performance" mode (3 repeats), 20000 loops (1/50);
# (b) fix_size_alloc_test for nr_pages across the kmalloc buckets of
#     the page array (the series puts an 8-byte header in front of it:
#     511 pages still fit a 4k kmalloc, 512 go to vmalloc, 513 do in
#     both); 1 repeat, loops from 1/4 (1 page) down to 1/160 (511-513
#     pages) of the default, so that each size takes 1-2 s;
# (c) the same with vmalloc_huge() for 512 pages (one PMD), 2000 loops;
# (d) test_vmalloc.sh's "stress" mode (nr_threads=CPUs, 20 repeats)
#     with 2 threads, cut to the six allocation tests in order, 5
#     repeats of 5000 loops (1/200).  Both workers print a Summary line
#     per test: a boot's value is their mean.
set_list() {
	case $sets in *a*)
		echo "a run_test_mask=63 sequential_test_order=1 test_repeat_count=3 test_loop_count=20000" ;;
	esac
	case $sets in *b*)
		for np_loops in 1:250000 4:200000 8:200000 64:50000 256:10000 \
				511:6000 512:6000 513:6000; do
			echo "b/${np_loops%:*} run_test_mask=1 nr_pages=${np_loops%:*} test_loop_count=${np_loops#*:}"
		done ;;
	esac
	case $sets in *c*)
		echo "c run_test_mask=1 use_huge=1 nr_pages=512 test_loop_count=2000" ;;
	esac
	case $sets in *d*)
		echo "d nr_threads=2 run_test_mask=63 sequential_test_order=1 test_repeat_count=5 test_loop_count=5000" ;;
	esac
}

need_tree
for t in qemu-system-x86_64 cpio gcc timeout; do
	command -v $t >/dev/null 2>&1 || die "$t is needed (make deps)"
done
base_commit=$(kgit rev-parse -q --verify "$base_ref^{commit}") ||
	die "base ref '$base_ref' is not a commit in $KDIR"
series_commit=$(kgit rev-parse -q --verify "$series_ref^{commit}") ||
	die "series ref '$series_ref' is not a commit in $KDIR"
[ "$base_commit" != "$series_commit" ] ||
	info "warning: base and series are the same commit ($base_ref, $series_ref)"

use_ccache
cc="${ccache}gcc"

failed=0
if [ -n "$resummarise" ]; then
	out=$resummarise
	[ -f "$out/bench.conf" ] || die "$out: no bench.conf, not a run of this script"
	boots=$(ls "$out"/boot-base-*.log 2>/dev/null | wc -l)
	cboots=$(ls "$out"/pwcount-base-*.txt 2>/dev/null | wc -l)
	start=$(date +%s)
else
	frag=$TOP/configs/bench.config
	stamp=$(date +%Y%m%d-%H%M%S)
	out=$WORKDIR/results/bench-vmalloc/$stamp
	mkdir -p "$out"
	ln -sfn "$stamp" "$WORKDIR/results/bench-vmalloc/latest"
	start=$(date +%s)

	# Configure and build kernel $1 (base|series) from its worktree.
	build() {
		wt=$WORKDIR/bench-src-$1
		bdir=$BUILDDIR/bench-$1
		log=$out/build-$1.log
		t0=$(date +%s)
		mkdir -p "$bdir"
		k() { make -C "$wt" O="$bdir" ARCH=x86_64 CC="$cc" HOSTCC="$cc" "$@"; }
		if ! {
			k x86_64_defconfig &&
			"$wt/scripts/kconfig/merge_config.sh" -m -O "$bdir" \
				"$bdir/.config" "$frag" &&
			k olddefconfig &&
			k -j2 bzImage modules
		} >"$log" 2>&1; then
			grep -E 'error|Error' "$log" | head -15 >&2
			die "$1 kernel build failed (log: $log)"
		fi
		# The fragment's options must have survived olddefconfig.
		missing=$(sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1/p' "$frag" |
			while read -r opt; do
				! grep -q "^$opt=" "$bdir/.config" || echo "$opt=(set)"
			done
			grep '^CONFIG_' "$frag" | while read -r opt; do
				grep -qx "$opt" "$bdir/.config" || echo "$opt"
			done)
		[ -z "$missing" ] || die "$1: config lost:" $missing
		for f in arch/x86/boot/bzImage lib/test_vmalloc.ko System.map; do
			[ -f "$bdir/$f" ] || die "$1: $bdir/$f was not built"
		done
		# The counting module, out of tree against this kernel.
		mdir=$bdir/bench-vmalloc-count
		rm -rf "$mdir"
		mkdir -p "$mdir"
		cp "$TOP/scripts/bench/bench-vmalloc-count.c" \
			"$TOP/scripts/bench/plugin/pwcount.h" "$mdir/"
		echo 'obj-m := bench-vmalloc-count.o' >"$mdir/Kbuild"
		k M="$mdir" modules >>"$log" 2>&1 && [ -f "$mdir/bench-vmalloc-count.ko" ] || {
			grep -E 'error|warning' "$log" | tail -15 >&2
			die "$1: scripts/bench/bench-vmalloc-count.c does not build (log: $log)"
		}
		info "$1: $(git -C "$wt" log -1 --format='%h %s') built ($(($(date +%s) - t0))s)"
	}

	detached_worktree "$WORKDIR/bench-src-base" "$base_commit"
	detached_worktree "$WORKDIR/bench-src-series" "$series_commit"
	need_space 6000
	build base
	build series

	# The init and the two initramfs images.
	initdir=$BUILDDIR/bench-init
	mkdir -p "$initdir"
	gcc -static -O2 -Wall -o "$initdir/init" \
		"$TOP/scripts/bench/bench-vmalloc-init.c" ||
		die "cannot build scripts/bench/bench-vmalloc-init.c (needs libc6-dev)"
	set_list >"$out/bench.conf"
	echo "count sizes=$(echo $count_sizes | tr ' ' ,) rounds=$count_rounds" >"$out/count.conf"
	for kind in base series; do
		root=$initdir/root-$kind
		rm -rf "$root"
		mkdir -p "$root/dev" "$root/proc"
		cp "$initdir/init" "$out/bench.conf" "$out/count.conf" "$root/"
		cp "$BUILDDIR/bench-$kind/lib/test_vmalloc.ko" "$root/"
		cp "$BUILDDIR/bench-$kind/bench-vmalloc-count/bench-vmalloc-count.ko" \
			"$root/count.ko"
		(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
			>"$BUILDDIR/bench-$kind/bench-initramfs.cpio"
	done
	plugin=
	if [ "$cboots" -gt 0 ]; then
		plugin=$("$TOP/scripts/bench/plugin/build.sh" | tail -n 1) ||
			die "cannot build the pwcount plugin (-c 0 boots without it)"
	fi
	if [ -n "$build_only" ]; then
		info "built in $(($(date +%s) - start))s; -B: not booting"
		exit 0
	fi
	info "built in $(($(date +%s) - start))s; booting $boots times each (counted: $cboots), base $base_ref, series $series_ref"
	echo "$regions" >"$out/count.regions"

	# One boot of kernel $1; $2: boot number; $3: "count" for a counted
	# boot, under the plugin with the counting module (the plugin splits
	# its arguments at commas: no path may hold one).  The log is kept
	# whatever happens.
	boot() {
		bdir=$BUILDDIR/bench-$1
		if [ "${3:-}" = count ]; then
			what="$1 counted boot $2"
			log=$out/count-$1-$2.log
			pwout=$out/pwcount-$1-$2.txt
			set -- -accel tcg,thread=single -icount shift=0,sleep=off \
				-plugin "$plugin,outfile=$pwout,regions=$regions,count=kernel,top=5,map=$bdir/System.map,profile=$out/profile-$1-$2.txt" \
				-append "console=ttyS0 nokaslr quiet panic=-1 benchmod=/count.ko benchconf=/count.conf"
		else
			what="$1 boot $2"
			log=$out/boot-$1-$2.log
			pwout=
			set -- -accel tcg,thread=multi \
				-append "console=ttyS0 nokaslr quiet panic=-1"
		fi
		t0=$(date +%s)
		rc=0
		timeout -k 10 "$boot_timeout" qemu-system-x86_64 "$@" \
			-smp 2 -m 2G -nographic -no-reboot \
			-kernel "$bdir/arch/x86/boot/bzImage" \
			-initrd "$bdir/bench-initramfs.cpio" \
			</dev/null >"$log" 2>&1 || rc=$?
		tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
		secs=$(($(date +%s) - t0))
		if [ $rc = 124 ] || [ $rc = 137 ]; then
			info "$what: timed out after ${secs}s (log: $log)"
			failed=$((failed + 1))
		elif ! grep -q '^bench: done' "$log" || grep -q '^bench: error' "$log"; then
			info "$what: incomplete or failed (qemu rc $rc, ${secs}s, log: $log)"
			grep -E '^bench: error|Kernel panic|BUG:|Oops' "$log" | head -5 >&2
			failed=$((failed + 1))
		elif [ -n "$pwout" ] &&
		     ! "$TOP/scripts/bench/plugin/report.sh" "$pwout" >/dev/null; then
			info "$what: no complete count (${secs}s, report: $pwout)"
			failed=$((failed + 1))
		else
			info "$what: ${secs}s"
		fi
	}

	# Other work on the host slows the vCPU threads unevenly.
	load=$(cut -d' ' -f1 /proc/loadavg)
	[ "${load%%.*}" -lt 1 ] ||
		info "warning: host load is $load before the boots; timings will be noisier"
	failed=0
	i=1
	while [ $i -le "$boots" ]; do
		if [ $((i % 2)) = 1 ]; then
			boot base $i
			boot series $i
		else
			boot series $i
			boot base $i
		fi
		i=$((i + 1))
	done

	i=1
	while [ $i -le "$cboots" ]; do
		boot base $i count
		boot series $i count
		i=$((i + 1))
	done
fi

# Summary lines of every complete boot: "kind set test boot avg failed".
for f in "$out"/boot-*.log; do
	[ -f "$f" ] || continue
	grep -q '^bench: done' "$f" || continue
	b=${f##*/boot-}
	b=${b%.log}
	awk -v kind="${b%-*}" -v boot="${b##*-}" '
		$1 == "bench:" && $3 == "kmsg:" && $4 == "Summary:" {
			key = $2 " " $5
			if (!(key in sum))
				order[++n] = key
			sum[key] += $(NF - 1)
			cnt[key]++
			fails[key] += $9
		}
		END {
			for (i = 1; i <= n; i++)
				print kind, order[i], boot,
					sum[order[i]] / cnt[order[i]], fails[order[i]]
		}' "$f"
done >"$out/samples.txt"

# print_counts: the counts table, per size and call, base against series:
# the mean over the counted boots, and the min-max where they differ.
print_counts() {
	echo
	echo "## Counts per call (pwcount plugin, count=kernel, -icount shift=0; $(sed 's/^count //' "$out/count.conf"))"
	echo
	awk -v conf="$(sed 's/^count //' "$out/count.conf")" '
		function fmt(k, r, f, d,    m) {
			if (!n[k, r])
				return "-"
			m = sprintf(d, sum[k, r, f] / n[k, r])
			if (sprintf(d, lo[k, r, f]) != sprintf(d, hi[k, r, f]))
				m = m " (" sprintf(d, lo[k, r, f]) "-" sprintf(d, hi[k, r, f]) ")"
			return m
		}
		function add(k, r, f, v) {
			sum[k, r, f] += v
			if (!((k, r, f) in lo) || v < lo[k, r, f])
				lo[k, r, f] = v
			if (!((k, r, f) in hi) || v > hi[k, r, f])
				hi[k, r, f] = v
		}
		BEGIN {
			match(conf, /sizes=[0-9,]+/)
			nsz = split(substr(conf, RSTART + 6, RLENGTH - 6), size, ",")
		}
		{
			n[$1, $3]++
			add($1, $3, "i", $4); add($1, $3, "a", $5)
			add($1, $3, "x", $6 + $7); add($1, $3, "w", $7)
			nb[$1]++
		}
		END {
			print "| pages | call | base insns | series insns | series - base | base accesses | series accesses | base xfers | series xfers |"
			print "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
			for (r = 1; r <= 2 * nsz; r++) {
				d = "-"
				if (n["base", r] && n["series", r])
					d = sprintf("%+.1f", sum["series", r, "i"] / n["series", r] - sum["base", r, "i"] / n["base", r])
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
					size[int((r + 1) / 2)], r % 2 ? "vmalloc" : "vfree",
					fmt("base", r, "i", "%.1f"), fmt("series", r, "i", "%.1f"), d,
					fmt("base", r, "a", "%.1f"), fmt("series", r, "a", "%.1f"),
					fmt("base", r, "x", "%.3f"), fmt("series", r, "x", "%.3f")
			}
		}' "$out/counts.txt"
	echo
	echo "Per vmalloc()/vfree() call on one vCPU: guest kernel instructions,"
	echo "memory accesses, cross-vCPU line transfers (read + write); the mean"
	echo "over the counted boots, (min-max) where they differ.  Reports:"
	echo "$out/pwcount-<kernel>-<boot>.txt (top lines, per-vCPU rows)."
	[ -s "$out/calls.txt" ] || return 0
	echo
	echo "## Allocator calls per call (from the instruction profiles)"
	echo
	awk -v conf="$(sed 's/^count //' "$out/count.conf")" '
		BEGIN {
			match(conf, /sizes=[0-9,]+/)
			nsz = split(substr(conf, RSTART + 6, RLENGTH - 6), size, ",")
		}
		{
			k = $1; r = $3; f = $4
			if (!((k, r, f) in lo) || $5 < lo[k, r, f])
				lo[k, r, f] = $5
			if (!((k, r, f) in hi) || $5 > hi[k, r, f])
				hi[k, r, f] = $5
			if (!((r, f) in seen)) {
				seen[r, f] = 1
				fn[r] = fn[r] " " f
			}
		}
		function cell(k, r,    i, n, a, out) {
			out = ""
			n = split(fn[r], a, " ")
			for (i = 1; i <= n; i++) {
				if (!((k, r, a[i]) in lo))
					continue
				out = out (out == "" ? "" : ", ") a[i] " " lo[k, r, a[i]]
				if (hi[k, r, a[i]] != lo[k, r, a[i]])
					out = out "-" hi[k, r, a[i]]
			}
			return out == "" ? "-" : out
		}
		END {
			print "| pages | call | base | series |"
			print "|---:|---|---|---|"
			for (r = 1; r <= 2 * nsz; r++)
				printf "| %s | %s | %s | %s |\n", size[int((r + 1) / 2)],
					r % 2 ? "vmalloc" : "vfree", cell("base", r), cell("series", r)
		}' "$out/calls.txt"
	echo
	echo "Calls per vmalloc()/vfree() of the slab, vmalloc and page allocator"
	echo "entry points: executions of each function's first block in the region,"
	echo "divided by the calls counted (min-max over the boots where they differ)."
}

# The allocator calls: "kind boot region function calls/op" from the
# complete profiles: executions of the function's entry block.
for f in "$out"/profile-*.txt; do
	[ -f "$f" ] || continue
	[ "$(sed -n 1p "$f")" = "pwcount profile: complete" ] || continue
	b=${f##*/profile-}
	b=${b%.txt}
	awk -v kind="${b%-*}" -v boot="${b##*-}" '
		$1 == "N" { ops[$2] = $3 }
		$1 == "B" && $7 ~ /^(__kmalloc|kmalloc|kmem_cache_alloc|kmem_cache_free|kfree|kvfree|__vmalloc_node|vfree|alloc_pages_bulk|__alloc_pages|__alloc_frozen_pages|free_pages_bulk|__free_pages|free_unref_folios|release_pages)[a-z_]*\+0x0$/ && ops[$2] > 0 {
			f = $7
			sub(/\+0x0$/, "", f)
			printf "%s %s %s %s %.2f\n", kind, boot, $2, f, $4 / ops[$2]
		}' "$f"
done >"$out/calls.txt"

# The counts: "kind boot region insns/op accesses/op rd_xfers/op
# wr_xfers/op" of every complete report.
for f in "$out"/pwcount-*.txt; do
	[ -f "$f" ] || continue
	"$TOP/scripts/bench/plugin/report.sh" "$f" >/dev/null 2>&1 || continue
	b=${f##*/pwcount-}
	b=${b%.txt}
	awk -v kind="${b%-*}" -v boot="${b##*-}" '
		$1 == "P" { print kind, boot, $2, $6, $8, $12, $14 }' "$f"
done >"$out/counts.txt"
[ -s "$out/samples.txt" ] || [ -s "$out/counts.txt" ] ||
	die "no complete boot, nothing to report (logs: $out)"

{
	echo "test_vmalloc, x86_64 QEMU TCG -smp 2 -m 2G, $boots timed and $cboots counted boots per kernel"
	echo "base:   $base_ref $(kgit log -1 --format='%h %s' "$base_commit")"
	echo "series: $series_ref $(kgit log -1 --format='%h %s' "$series_commit")"
	if [ -s "$out/samples.txt" ]; then
	for kind in base series; do
		f=$out/boot-$kind-1.log
		[ -f "$f" ] || continue
		echo "$kind kernel: $(sed -n 's/^.*bench: kernel //p' "$f" | head -1)," \
			"clocksource $(sed -n 's/^bench: current_clocksource //p' "$f" | head -1)"
	done
	echo
	# Sets in bench.conf order, tests in the order they were printed.
	awk -f "$TOP/scripts/bench/median.awk" -f - "$out/bench.conf" \
		"$out/samples.txt" <<'EOF'
		# median() of median.awk, rounded, as are lo and hi
		function rmedian(s,    m) {
			m = median(s)
			lo = sprintf("%.0f", lo); hi = sprintf("%.0f", hi)
			return sprintf("%.0f", m)
		}
		# min-max of the last median() and its half-width in % of m
		function spread(m) {
			return sprintf("%s-%s (±%.1f%%)", lo, hi,
				m > 0 ? (hi - lo) * 50 / m : 0)
		}
		NR == FNR { if ($1 !~ /^#/) rank[$1] = NR; next }
		{
			key = $2 " " $3
			if (!(key in seen)) {
				seen[key] = 1
				keys[++n] = key
			}
			v[$1, key] = v[$1, key] " " $5
			f[key] += $6
			# base against base: odd boots vs even boots
			if ($1 == "base" && $4 % 2)
				bo[key] = bo[key] " " $5
			else if ($1 == "base")
				be[key] = be[key] " " $5
		}
		END {
			# sort keys by set rank, stable
			for (i = 2; i <= n; i++)
				for (j = i; j > 1; j--) {
					split(keys[j - 1], p, " "); split(keys[j], q, " ")
					if (rank[p[1]] <= rank[q[1]])
						break
					t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t
				}
			print "| set | test | base median | base min-max | series median | series min-max | series/base | base A/A |"
			print "|---|---|---:|---:|---:|---:|---:|---:|"
			for (i = 1; i <= n; i++) {
				split(keys[i], p, " ")
				test = p[2]
				sub(/_alloc_test$/, "", test)
				if (f[keys[i]])
					test = test " (" f[keys[i]] " FAILED)"
				mb = rmedian(v["base", keys[i]]); rb = spread(mb)
				ms = rmedian(v["series", keys[i]]); rs = spread(ms)
				if (v["base", keys[i]] == "") { mb = rb = "-" }
				if (v["series", keys[i]] == "") { ms = rs = "-" }
				ratio = (mb + 0 > 0 && ms != "-") ? sprintf("%.3f", ms / mb) : "-"
				aa = "-"
				if (bo[keys[i]] != "" && be[keys[i]] != "") {
					mo = rmedian(bo[keys[i]]); me = rmedian(be[keys[i]])
					if (me + 0 > 0)
						aa = sprintf("%.3f", mo / me)
				}
				printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
					p[1], test, mb, rb, ms, rs, ratio, aa
			}
		}
EOF
	echo
	echo 'avg: usec per repeat (all test_loop_count loops), median over boots;'
	echo 'set d: mean of the two workers per boot.  Parameters: bench.conf.'
	echo 'base A/A: median of the odd base boots over that of the even ones,'
	echo 'the same kernel against itself: the noise floor of series/base.'
	fi
	[ ! -s "$out/counts.txt" ] || print_counts
	for kind in base series; do
		f=$out/boot-$kind-$boots.log
		[ -f "$f" ] || continue
		echo
		echo "$kind, after all sets (${f##*/}):"
		sed -n 's/^bench: \(slabinfo\|meminfo\|vmallocinfo\) /    \1 /p' "$f"
	done
} | tee "$out/summary.md"

end=$(($(date +%s) - start))
echo
echo "total time: $((end / 60)) min $((end % 60)) s; logs: $out"
[ "$failed" = 0 ] || die "$failed of $((2 * (boots + cboots))) boots failed (logs: $out)"
