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
#   -r REF    series ref to measure (default: $BENCH_REF, else 'series')
#   -b REF    base ref (default: base)
#   -n N      boots per kernel (default: $BOOTS, else 3)
#   -s SETS   parameter sets to run, letters out of abcd (default: abcd)
#   -t SEC    timeout of one boot (default: 900)
#   -B        build the kernels and initramfs images only, boot nothing
#   -S DIR    summarise the boot logs of an earlier run in DIR again
#             (e.g. $WORKDIR/results/bench-vmalloc/latest), build and
#             boot nothing

set -eu
. "$(dirname "$0")/../lib/common.sh"

usage() {
	die "usage: ${0##*/} [-r series-ref] [-b base-ref] [-n boots] [-s abcd] [-t seconds] [-B | -S dir]"
}

series_ref=${BENCH_REF:-$BRANCH}
base_ref=base
boots=${BOOTS:-3}
sets=abcd
boot_timeout=900
build_only= resummarise=
while getopts r:b:n:s:t:BS: opt; do
	case $opt in
	r) series_ref=$OPTARG ;;
	b) base_ref=$OPTARG ;;
	n) boots=$OPTARG ;;
	s) sets=$OPTARG ;;
	t) boot_timeout=$OPTARG ;;
	B) build_only=1 ;;
	S) resummarise=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 0 ] || usage
case $boots in '' | *[!0-9]* | 0) die "-n $boots: need a positive number of boots" ;; esac
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
		for f in arch/x86/boot/bzImage lib/test_vmalloc.ko; do
			[ -f "$bdir/$f" ] || die "$1: $bdir/$f was not built"
		done
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
	for kind in base series; do
		root=$initdir/root-$kind
		rm -rf "$root"
		mkdir -p "$root/dev" "$root/proc"
		cp "$initdir/init" "$out/bench.conf" "$root/"
		cp "$BUILDDIR/bench-$kind/lib/test_vmalloc.ko" "$root/"
		(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
			>"$BUILDDIR/bench-$kind/bench-initramfs.cpio"
	done
	if [ -n "$build_only" ]; then
		info "built in $(($(date +%s) - start))s; -B: not booting"
		exit 0
	fi
	info "built in $(($(date +%s) - start))s; booting $boots times each, base $base_ref, series $series_ref"

	# One boot of kernel $1; $2: boot number.  The log is kept whatever happens.
	boot() {
		log=$out/boot-$1-$2.log
		t0=$(date +%s)
		rc=0
		timeout -k 10 "$boot_timeout" qemu-system-x86_64 \
			-accel tcg,thread=multi -smp 2 -m 2G \
			-nographic -no-reboot \
			-kernel "$BUILDDIR/bench-$1/arch/x86/boot/bzImage" \
			-initrd "$BUILDDIR/bench-$1/bench-initramfs.cpio" \
			-append "console=ttyS0 nokaslr quiet panic=-1" \
			</dev/null >"$log" 2>&1 || rc=$?
		tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
		secs=$(($(date +%s) - t0))
		if [ $rc = 124 ] || [ $rc = 137 ]; then
			info "$1 boot $2: timed out after ${secs}s (log: $log)"
			failed=$((failed + 1))
		elif ! grep -q '^bench: done' "$log" || grep -q '^bench: error' "$log"; then
			info "$1 boot $2: incomplete or failed (qemu rc $rc, ${secs}s, log: $log)"
			grep -E '^bench: error|Kernel panic|BUG:|Oops' "$log" | head -5 >&2
			failed=$((failed + 1))
		else
			info "$1 boot $2: ${secs}s"
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
fi

# Summary lines of every complete boot: "kind set test boot avg failed".
for f in "$out"/boot-*.log; do
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
[ -s "$out/samples.txt" ] || die "no complete boot, nothing to report (logs: $out)"

{
	echo "test_vmalloc, x86_64 QEMU TCG -smp 2 -m 2G, $boots boots per kernel"
	echo "base:   $base_ref $(kgit log -1 --format='%h %s' "$base_commit")"
	echo "series: $series_ref $(kgit log -1 --format='%h %s' "$series_commit")"
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
[ "$failed" = 0 ] || die "$failed of $((2 * boots)) boots failed"
