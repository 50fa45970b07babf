#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Part 4 measurements: the slow KUnit suite vmemmap_ondemand_bench
# (mm/vmemmap_ondemand_kunit.c in the series) on branch 'series' (in a
# detached worktree, so it can run beside make check), built
# without debug options, in QEMU TCG:
#
#   memory       nr_memmap_pages and PTE tables of on-demand ranges of
#                1, 16, 64 GiB and 1 TiB with 0, 1, 25 and 100% of their
#                pages pinned (clustered, and scattered at random), against
#                the eager memmap; exact counts, so one boot is enough
#   materialise  ns per chunk: untouched (no flush), stubbed (one flush
#                each), stubbed in batches of 64 (one flush per batch);
#                pin fast path; reclaim
#   memremap     memremap_pages()/memunmap_pages() of 1, 4, 16 GiB, eager
#                and on demand
#
# RUNS boots (default 3) with -smp 2 and RUNS with -smp 1 (no remote
# flush), interleaved; every line of every boot is kept in
# $WORKDIR/results/bench-vmemmap/, medians over boots are printed.
# Timing under TCG is only meaningful as a ratio within one run.

set -eu
. "$(dirname "$0")/../lib/common.sh"
tcg_only

need_tree
runs=${RUNS:-3}
out=$WORKDIR/results/bench-vmemmap
mkdir -p "$out"
rm -f "$out"/run-*.log

use_ccache
cc="${ccache}gcc"

kcfg=$out/bench-vmemmap.kunitconfig
{
	grep -v '^#' "$TOP/kunit/vmemmap-ondemand.kunitconfig"
	cat <<'EOF2'
CONFIG_SMP=y
EOF2
} >"$kcfg"

bdir=$BUILDDIR/bench-vmemmap
mkdir -p "$bdir"
# A detached worktree at the branch tip: the kernel tree's checkout is
# not touched, so this can run beside make check.
wt=$WORKDIR/bench-vmemmap-wt
detached_worktree "$wt" "refs/heads/$BRANCH"
kunit() {
	cmd=$1
	shift
	# --jobs is a build option only
	[ "$cmd" = build ] && set -- --jobs="$(nproc)" "$@"
	(cd "$wt" && ./tools/testing/kunit/kunit.py "$cmd" --arch=x86_64 \
		--build_dir="$bdir" --kunitconfig="$kcfg" \
		--make_options="CC=$cc" --make_options="HOSTCC=$cc" "$@")
}

info "building the benchmark kernel ($bdir) from $(git -C "$wt" log -1 --format='%h %s')"
kunit build >"$out/build.log" 2>&1 || {
	tail -20 "$out/build.log" >&2
	die "build failed (log: $out/build.log)"
}
# The kunitconfig names no debug option; make sure none came in.
for o in DEBUG_VM KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP; do
	! grep -q "^CONFIG_$o=y" "$bdir/.config" ||
		die "CONFIG_$o is set in $bdir/.config: not a benchmark kernel"
done

for r in $(seq 1 "$runs"); do
	for smp in 2 1; do
		log=$out/run-$r-smp$smp.log
		info "boot $r, -smp $smp"
		# raw output: the results are printk lines, and kernel
		# reports must be seen by the check below
		kunit exec --timeout=3000 --raw_output=all \
			--qemu_args="-smp $smp -m 4096 -cpu qemu64,phys-bits=46" \
			'vmemmap_ondemand_bench' >"$log" 2>&1 || {
			tail -20 "$log" >&2
			die "run failed (log: $log)"
		}
		grep -qE 'BUG: |WARNING: |KASAN: |Oops|Call Trace:' "$log" &&
			die "kernel report in $log"
		grep -q 'od_bench_memremap' "$log" ||
			die "no result in $log"
	done
done

python3 - "$out" "$runs" <<'EOF2' | tee "$WORKDIR/results/bench-vmemmap.txt"
import re, statistics, sys, glob
out, runs = sys.argv[1], int(sys.argv[2])
def med(v):
    return statistics.median(v)
mem = {}
mat = {1: [], 2: []}
remap = {}
for smp in (2, 1):
    for r in range(1, runs + 1):
        for line in open(f'{out}/run-{r}-smp{smp}.log', errors='replace'):
            m = re.search(r'mem: +(\d+) GiB +([\d.]+)% (\w+) +memmap +(-?\d+) pages .*pte tables +(\d+) .*eager +(\d+) pages', line)
            if m and smp == 2 and r == 1:
                mem[(int(m[1]), float(m[2]), m[3])] = (int(m[4]), int(m[5]), int(m[6]))
            m = re.search(r'ns per chunk: untouched (\d+), stubbed (\d+), stubbed batched by 64 (\d+); try_get\+put (\d+); reclaim (\d+)', line)
            if m:
                mat[smp].append([int(x) for x in m.groups()])
            m = re.search(r'memremap: +(\d+) GiB eager (\d+) us \(unmap (\d+) us\), on demand (\d+) us \(unmap (\d+) us\)', line)
            if m and smp == 2:
                remap.setdefault(int(m[1]), []).append([int(x) for x in m.groups()[1:]])
print('## memory (exact counts, one boot)\n')
print('| range | touched | pattern | memmap pages on demand | PTE tables | eager memmap pages | on demand / eager |')
print('|---|---|---|---|---|---|---|')
for (g, p, pat), (mm, pt, eg) in sorted(mem.items()):
    print(f'| {g} GiB | {p:g}% | {pat} | {mm} ({mm*4} KiB) | {pt} ({pt*4} KiB) | {eg} ({eg*4//1024} MiB) | {(mm+pt)/eg:.4f} |')
print(f'\n## materialisation, ns per chunk, median of {runs} boots\n')
print('| -smp | untouched (no flush) | stubbed (1 flush each) | stubbed, batches of 64 | try_get+put | reclaim | stubbed/untouched (median of per-boot ratios) | batched/untouched (same) |')
print('|---|---|---|---|---|---|---|---|')
for smp in (2, 1):
    if not mat[smp]:
        continue
    c = [med([x[i] for x in mat[smp]]) for i in range(5)]
    # ratios within each boot, then their median: boots differ more
    # from each other (host load) than the cases of one boot do
    r1 = med([x[1] / x[0] for x in mat[smp]])
    r2 = med([x[2] / x[0] for x in mat[smp]])
    print(f'| {smp} | {c[0]:.0f} | {c[1]:.0f} | {c[2]:.0f} | {c[3]:.0f} | {c[4]:.0f} | {r1:.2f} | {r2:.2f} |')
print(f'\n## memremap_pages() / memunmap_pages(), us, -smp 2, median of {runs} boots\n')
print('| range | eager map | on demand map | eager/on demand | eager unmap | on demand unmap |')
print('|---|---|---|---|---|---|')
for g in sorted(remap):
    c = [med([x[i] for x in remap[g]]) for i in range(4)]
    r = med([x[0] / max(x[2], 1) for x in remap[g]])
    print(f'| {g} GiB | {c[0]:.0f} | {c[2]:.0f} | {r:.1f} | {c[1]:.0f} | {c[3]:.0f} |')
EOF2
