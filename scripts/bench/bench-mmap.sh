#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Time mmap() + munmap() of 1, 16, 256 and 1024 pages of vmalloc memory:
# remap_vmalloc_range() through the page-table walk (an area without a
# scamem, which is what every area took before the series),
# remap_vmalloc_range() indexed from the scamem, and vmalloc_mmap().  The
# numbers come from the slow mmap_bench case of the scamem_mmap suite,
# run on x86_64 (QEMU TCG, -smp 2) from a kernel built without the debug
# options (its own build dir), RUNS boots (default 5; BUILD_ONLY=1 only
# builds).  Prints the median ns per mmap+munmap of each method and the
# ratios to the walk.
# Timing under TCG is only meaningful as a ratio within one run.

set -eu
. "$(dirname "$0")/../lib/common.sh"
tcg_only

need_tree
runs=${RUNS:-5}
bdir=$BUILDDIR/bench-mmap
out=$WORKDIR/results/bench-mmap
mkdir -p "$bdir" "$out"
rm -f "$out"/run-*.log

use_ccache
cc="${ccache}gcc"

# kunit.py $1 with the benchmark's kernel configuration.
kunit() {
	cmd=$1
	shift
	(cd "$KDIR" && ./tools/testing/kunit/kunit.py "$cmd" --arch=x86_64 \
		--build_dir="$bdir" --jobs="$(nproc)" \
		--make_options="CC=$cc" --make_options="HOSTCC=$cc" \
		--kunitconfig="$TOP/kunit/scamem.kunitconfig" \
		--kconfig_add=CONFIG_SMP=y --kconfig_add=CONFIG_NUMA=y \
		--kconfig_add=CONFIG_NUMA_EMU=y "$@")
}

# Build once, untimed; the runs then only boot.
kunit build >"$out/build.log" 2>&1 || die "build failed (log: $out/build.log)"
[ "${BUILD_ONLY:-}" != 1 ] || exit 0
i=1
while [ $i -le "$runs" ]; do
	kunit run --kernel_args=numa=fake=2 --qemu_args="-smp 2 -m 2048" \
		--filter='speed=slow' --raw_output=all 'scamem_mmap' \
		>"$out/run-$i.log" 2>&1 ||
		die "run $i failed (log: $out/run-$i.log)"
	grep -q 'mmap+munmap' "$out/run-$i.log" ||
		die "run $i printed no timings (log: $out/run-$i.log)"
	i=$((i + 1))
done

# "mmap+munmap   16 pages: remap-walk N ns, remap-scamem N ns, vmalloc_mmap N ns"
cat "$out"/run-*.log | sed -n 's/.*mmap+munmap *\([0-9]*\) pages: remap-walk \([0-9]*\) ns, remap-scamem \([0-9]*\) ns, vmalloc_mmap \([0-9]*\) ns.*/\1 \2 \3 \4/p' |
python3 -c '
import sys, statistics as st
rows = {}
for line in sys.stdin:
    n, w, s, m = map(int, line.split())
    rows.setdefault(n, []).append((w, s, m))
print("| pages | remap walk (ns) | remap scamem (ns) | vmalloc_mmap (ns) | scamem/walk | vmalloc_mmap/walk | runs |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for n in sorted(rows):
    r = rows[n]
    w, s, m = (st.median(x[i] for x in r) for i in range(3))
    print(f"| {n} | {w:.0f} | {s:.0f} | {m:.0f} | {s / w:.2f} | {m / w:.2f} | {len(r)} |")
'
