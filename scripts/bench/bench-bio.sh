#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Part 1 micro-benchmarks: the slow cases of KUnit suite bio_bench
# (block/bio_bench_kunit.c in the series) on two x86_64 kernels built
# alike without debug options:
#
#   A  tag 'base' with block/bio_bench_kunit.c copied from the series
#      (its page cases use only 6.12 interfaces; its Kconfig entry and
#      Makefile line are added the same way)
#   C  branch 'series' with CONFIG_BLK_PAGELESS=y
#
# RUNS boots per kernel (default 5), interleaved A C A C ..., QEMU TCG
# -smp 2.  Each boot prints min and median ns per operation over 21
# rounds; the table gives, per operation, the median over boots of the
# per-boot medians, and the ratios C/A (page path with the series) and,
# within C, page-less/page.  BUILD_ONLY=1 only builds.  Timing under TCG
# is only meaningful as a ratio within one run of this script.

set -eu
. "$(dirname "$0")/../lib/common.sh"
tcg_only

need_tree
runs=${RUNS:-5}
out=$WORKDIR/results/bench-bio
mkdir -p "$out"
rm -f "$out"/run-*.log

use_ccache
cc="${ccache}gcc"

src=$KDIR/block/bio_bench_kunit.c
[ -f "$src" ] || die "no block/bio_bench_kunit.c on the series branch"

# A: the base tree plus the benchmark file, committed nowhere.
basewt=$WORKDIR/bench-bio-base
detached_worktree "$basewt" base
git -C "$basewt" checkout -q -- block/Kconfig block/Makefile
cp "$src" "$basewt/block/"
cat >>"$basewt/block/Kconfig" <<'EOF'

config BLK_BIO_BENCH_KUNIT_TEST
	tristate "Micro-benchmarks of bio construction and mapping"
	depends on BLOCK && KUNIT
EOF
echo 'obj-$(CONFIG_BLK_BIO_BENCH_KUNIT_TEST) += bio_bench_kunit.o' \
	>>"$basewt/block/Makefile"

kcfg=$out/bench-bio.kunitconfig
cat >"$kcfg" <<'EOF'
CONFIG_KUNIT=y
CONFIG_BLOCK=y
CONFIG_SMP=y
CONFIG_BLK_BIO_BENCH_KUNIT_TEST=y
EOF

# kunit.py $2 for kernel $1 (A or C).
kunit() {
	k=$1 cmd=$2
	shift 2
	case $k in
	A) tree=$basewt ;;
	C) tree=$KDIR; set -- "$@" --kconfig_add=CONFIG_BLK_PAGELESS=y ;;
	esac
	(cd "$tree" && ./tools/testing/kunit/kunit.py "$cmd" --arch=x86_64 \
		--build_dir="$BUILDDIR/bench-bio-$k" --jobs="$(nproc)" \
		--make_options="CC=$cc" --make_options="HOSTCC=$cc" \
		--kunitconfig="$kcfg" "$@")
}

for k in A C; do
	kunit $k build >"$out/build-$k.log" 2>&1 ||
		die "build $k failed (log: $out/build-$k.log)"
done
grep -q '^CONFIG_BLK_PAGELESS=y' "$BUILDDIR/bench-bio-C/.config" ||
	die "kernel C lacks CONFIG_BLK_PAGELESS=y"
[ "${BUILD_ONLY:-}" != 1 ] || exit 0

i=1
while [ $i -le "$runs" ]; do
	for k in A C; do
		log=$out/run-$i-$k.log
		kunit $k run --qemu_args="-smp 2 -m 1024" --filter='speed=slow' \
			--raw_output=all 'bio_bench' >"$log" 2>&1 ||
			die "run $i $k failed (log: $log)"
		grep -q 'bio_bench: .*median' "$log" ||
			die "run $i $k printed no timings (log: $log)"
	done
	i=$((i + 1))
done

for f in "$out"/run-*.log; do
	k=${f##*-}
	k=${k%.log}
	sed -n "s/.*bio_bench: \(.*\): min \([0-9]*\) ns, median \([0-9]*\) ns.*/$k|\1|\2|\3/p" "$f"
done | python3 -c '
import sys, statistics as st
rows = {}
for line in sys.stdin:
    k, name, mn, med = line.rstrip("\n").split("|")
    rows.setdefault(name, {}).setdefault(k, []).append((int(mn), int(med)))
def m(name, k):
    r = rows.get(name, {}).get(k)
    return (st.median(x[1] for x in r), min(x[0] for x in r), len(r)) if r else None
print("| operation | A median (ns) | C median (ns) | C/A | A min | C min | boots |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name in rows:
    a, c = m(name, "A"), m(name, "C")
    fa = lambda v, i: f"{v[i]:.0f}" if v else "-"
    ratio = f"{c[0] / a[0]:.2f}" if a and c else "-"
    n = (c or a)[2]
    print(f"| {name} | {fa(a, 0)} | {fa(c, 0)} | {ratio} | {fa(a, 1)} | {fa(c, 1)} | {n} |")
print()
for page, pl in (("build+walk 256 pages", "build+walk 256 pfns"),
                 ("kmap+copy 4k page", "kmap+copy 4k page-less")):
    a, b = m(page, "C"), m(pl, "C")
    if a and b:
        print(f"C: {pl} / {page}: {b[0] / a[0]:.2f}")
'
