#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Validation of the pwcount TCG plugin (docs/tcg-counts.md): build it
# (build.sh), build scripts/bench/plugin/validate.c as the static /init of
# an initramfs (make_initramfs of scripts/lib/common.sh), boot it on an
# x86_64 kernel in QEMU TCG (-smp 2, MTTCG) RUNS times with the plugin and
# once without it (the overhead), and check the counts per operation:
#
#   region 1  racing atomic increments of one shared counter, with private
#             work between them: printed, not checked (at most 1 per
#             increment; how often the vCPUs alternate follows the host's
#             scheduling of the two vCPU threads)
#   region 2  private counters on separate lines: transfers/op below 0.02
#   region 3  strictly alternating atomic increments of one shared
#             counter: write transfers/op 0.95-1.05, read transfers/op
#             0.5-1.05 (a read racing with the write it observes can be
#             modelled before it: docs/tcg-counts.md)
#   region 4  back-to-back racing increments: printed, not checked
#
# It prints, per region and figure, the minimum, median and maximum over
# the runs and the spread (max - min), and the guest's ns/op with and
# without the plugin.  Logs and reports: $WORKDIR/results/pwcount-validate/.
# Fails on an incomplete report (report.sh), a guest that did not finish,
# a kernel report (BUG:, Oops...), or a figure out of its range.
#
# PWCOUNT_KERNEL=<bzImage>  kernel (default: the workbench's x86_64 KUnit
#                           kernel, $BUILDDIR/kunit-x86_64/arch/x86/boot/
#                           bzImage); needs SMP and BLK_DEV_INITRD.  Its
#                           System.map, if next to it in its build dir,
#                           names the lines the plugin lists.
# PWCOUNT_SRC=<dir>         kernel source for usr/gen_init_cpio.c (default:
#                           $KDIR, or the build dir's 'source' link)
# RUNS=<n>                  boots with the plugin (default 3)
# PWCOUNT_COUNT=user|all    the plugin's count= (default user: the test
#                           program's own instructions and accesses; all
#                           adds what the kernel runs on its vCPUs, timer
#                           interrupts and so on, while a region is open)
# PWCOUNT_TIMEOUT=<seconds> per boot (default 600)

set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../../.." && pwd)}
. "$TOP/scripts/lib/common.sh"

PDIR=$TOP/scripts/bench/plugin
kernel=${PWCOUNT_KERNEL:-$BUILDDIR/kunit-x86_64/arch/x86/boot/bzImage}
runs=${RUNS:-3}
timeout=${PWCOUNT_TIMEOUT:-600}
count=${PWCOUNT_COUNT:-user}
case $count in
user | all) ;;
*) die "PWCOUNT_COUNT=$count: user or all" ;;
esac
[ -f "$kernel" ] ||
	die "no kernel $kernel: build it ('make kunit ARCH=x86_64') or set PWCOUNT_KERNEL"
for v in "$runs" "$timeout"; do
	case $v in
	'' | 0 | *[!0-9]*) die "RUNS=$runs, PWCOUNT_TIMEOUT=$timeout: positive numbers wanted" ;;
	esac
done
for t in gcc qemu-system-x86_64 timeout python3; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done

so=$("$PDIR/build.sh")

kbuild=$(cd "$(dirname "$kernel")/../../.." && pwd)
src=${PWCOUNT_SRC:-}
if [ -z "$src" ]; then
	if [ -f "$KDIR/usr/gen_init_cpio.c" ]; then
		src=$KDIR
	elif [ -f "$kbuild/source/usr/gen_init_cpio.c" ]; then
		src=$kbuild/source
	fi
fi
if [ -z "$src" ] || [ ! -f "$src/usr/gen_init_cpio.c" ]; then
	die "no usr/gen_init_cpio.c: set PWCOUNT_SRC to a kernel source tree"
fi

results=$WORKDIR/results/pwcount-validate
rm -rf "$results"
mkdir -p "$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# A copy of the kernel (and its System.map): a rebuild meanwhile does not
# change what is booted.
cp "$kernel" "$tmp/bzImage"
map=
if [ -f "$kbuild/System.map" ]; then
	cp "$kbuild/System.map" "$tmp/System.map"
	map=,map=$tmp/System.map
fi

info "building the guest program and the initramfs"
nice -n 19 gcc -static -O2 -pthread -Wall -Wextra -Werror -I"$PDIR" \
	-o "$tmp/init" "$PDIR/validate.c" ||
	die "cannot build scripts/bench/plugin/validate.c (static libc needed)"
make_initramfs "$src" "$tmp/init" "$tmp/initramfs.cpio"
bios=
[ ! -f /usr/share/qemu/qboot.rom ] || bios="-bios qboot.rom"

# boot <name> [plugin options]: one boot, log in $results/<name>.log, wall
# seconds in $results/<name>.time.
boot() {
	_log=$results/$1.log
	_t0=$(date +%s.%N)
	_rc=0
	# shellcheck disable=SC2086
	nice -n 19 timeout -k 10 "$timeout" qemu-system-x86_64 \
		-accel tcg,thread=multi -smp 2 -m 512 -nographic -no-reboot \
		$bios -kernel "$tmp/bzImage" -initrd "$tmp/initramfs.cpio" \
		-append "console=ttyS0 kunit.enable=0 panic=-1 nokaslr" \
		${2:+-plugin "$so,$2"} </dev/null >"$_log" 2>&1 || _rc=$?
	echo "$(date +%s.%N) $_t0" | awk '{ printf "%.1f\n", $1 - $2 }' \
		>"$results/$1.time"
	[ "$_rc" = 0 ] || info "$1: qemu exited with $_rc (124: timed out)"
	grep -q 'pwcount-validate: done' "$_log" ||
		die "$1: the guest did not finish (log: $_log)"
	! grep -E -m 3 'BUG:|Oops|Kernel panic|KCSAN:|KASAN:|WARNING:' "$_log" ||
		die "$1: kernel report in $_log"
}

i=1
while [ "$i" -le "$runs" ]; do
	info "run $i/$runs with the plugin"
	boot "run$i" "outfile=$results/run$i.txt,regions=1:2:3:4,count=$count$map"
	"$PDIR/report.sh" "$results/run$i.txt" >/dev/null ||
		die "run $i: no result (report: $results/run$i.txt)"
	i=$((i + 1))
done
info "one run without the plugin (overhead)"
boot noplugin ""

rc=0
python3 - "$results" "$runs" "$count" >"$results/summary.txt" <<'EOF' || rc=$?
import re
import statistics
import sys

res, runs, count = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fig = {}        # (region, name) -> [value per run]
nsop = {}       # (region, 'plugin'|'none') -> [ns/op, both threads]
for i in range(1, runs + 1):
    with open(f'{res}/run{i}.txt') as f:
        for line in f:
            w = line.split()
            if w[:1] != ['P']:
                continue
            r = int(w[1])
            for k in range(2, len(w) - 1, 2):
                fig.setdefault((r, w[k]), []).append(float(w[k + 1]))


def guest_ns(log, tag):
    with open(log, errors='replace') as f:
        for line in f:
            m = re.search(r'pwcount-validate: region (\d+) ns/op (\S+) (\S+)', line)
            if m:
                nsop.setdefault((int(m.group(1)), tag), []).extend(
                    [float(m.group(2)), float(m.group(3))])


for i in range(1, runs + 1):
    guest_ns(f'{res}/run{i}.log', 'plugin')
guest_ns(f'{res}/noplugin.log', 'none')

print(f'pwcount validation, {runs} runs (-smp 2, MTTCG, count={count}): '
      'min / median / max, spread = max - min')
names = ['insns/op', 'accesses/op', 'xfers/op', 'rd_xfers/op', 'wr_xfers/op']
print(f'{"region":6} {"figure":12} {"min":>10} {"median":>10} {"max":>10} {"spread":>9}')
for r in sorted({k[0] for k in fig}):
    for n in names:
        v = fig.get((r, n))
        if not v:
            continue
        print(f'{r:<6} {n:12} {min(v):10.4f} {statistics.median(v):10.4f} '
              f'{max(v):10.4f} {max(v) - min(v):9.4f}')
print('guest ns/op (median over threads and runs): region, with plugin, without, ratio')
for r in sorted({k[0] for k in nsop}):
    p, n = nsop.get((r, 'plugin')), nsop.get((r, 'none'))
    if p and n:
        mp, mn = statistics.median(p), statistics.median(n)
        print(f'  {r}: {mp:9.1f} {mn:9.1f} {mp / mn:6.2f}x')
times = []
for i in range(1, runs + 1):
    times.append(float(open(f'{res}/run{i}.time').read()))
t0 = float(open(f'{res}/noplugin.time').read())
print(f'boot-to-exit seconds: with plugin {" ".join(f"{t:.1f}" for t in times)}, '
      f'without {t0:.1f}')

checks = [
    (2, 'xfers/op', 0.0, 0.02, 'private counters'),
    (3, 'wr_xfers/op', 0.95, 1.05, 'alternating increments, writes'),
    (3, 'rd_xfers/op', 0.5, 1.05, 'alternating increments, reads'),
]
bad = 0
for r, n, lo, hi, what in checks:
    for i, v in enumerate(fig.get((r, n), []), 1):
        if not lo <= v <= hi:
            print(f'FAILED: run {i} region {r} ({what}): {n} {v} not in [{lo}, {hi}]')
            bad += 1
    if len(fig.get((r, n), [])) != runs:
        print(f'FAILED: region {r}: {n} missing from some run')
        bad += 1
print('pwcount validation:', 'FAILED' if bad else 'passed')
sys.exit(1 if bad else 0)
EOF
cat "$results/summary.txt"
exit "$rc"
