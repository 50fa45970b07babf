#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Userspace tests on the x86_64 KUnit kernel (QEMU TCG, -smp 2): each
# guest program scripts/gates/guest/<name>-user.c is built as a static
# /init, booted in its own initramfs, and fails the gate unless every test
# printed "ok N", the guest finished, and the kernel log has no report
# (the patterns of scripts/lib/kunit-report.py).  The guests:
#   scamem  part 2: the lifecycle of a user mapping of vmalloc memory
#           (vmalloc_mmap(), driven through kcov's mmap), fault injection;
#   spf     part 3: the sysctl's bad input, and the charge-failure exit
#           of speculative faults with a memory cgroup at its limit (it
#           skips what needs the sysctl on a kernel without part 3).
#
# The kernel needs, on top of the KUnit x86_64 config (kunit/*.kunitconfig,
# configs/debug.config, configs/debug-x86_64.config):
#   CONFIG_KCOV=y CONFIG_KCOV_INSTRUMENT_ALL=n   (kcov's mmap is the user;
#                                   coverage itself is not needed)
#   CONFIG_DEBUG_FS=y               (/sys/kernel/debug/kcov, fault attrs)
#   CONFIG_BLK_DEV_INITRD=y         (the initramfs)
#   CONFIG_DEVTMPFS=y               (/dev/kmsg, /dev/console)
#   CONFIG_FAULT_INJECTION=y CONFIG_FAIL_PAGE_ALLOC=y CONFIG_FAILSLAB=y
#   CONFIG_FAULT_INJECTION_DEBUG_FS=y   (scamem test 7)
#   CONFIG_PROC_FS=y CONFIG_PROC_PAGE_MONITOR=y CONFIG_SYSFS=y
#   CONFIG_CROSS_MEMORY_ATTACH=y    (process_vm_readv(), scamem test 6)
#   CONFIG_MEMCG=y                  (the spf guest's cgroup)
#   CONFIG_IO_URING=y               (scamem tests 9-11)
# (PROC_FS, PROC_PAGE_MONITOR, SYSFS, CROSS_MEMORY_ATTACH, IO_URING are on by
# default.)  They are checked in the kernel's .config when it is found
# next to the bzImage (in its build dir).
#
# USERTEST_KERNEL=<bzImage>  kernel to boot (default: the workbench's
#                            $BUILDDIR/kunit-x86_64/arch/x86/boot/bzImage)
# USERTEST_GUEST=<names>     guests to boot (default: scamem spf); logs in
#                            $WORKDIR/results/usertest-<name>.log
# USERTEST_TIMEOUT=<seconds> QEMU time limit per guest (default 900)
# USERTEST_APPEND=<args>     extra kernel command line arguments
# USERTEST_SRC=<dir>         kernel source for usr/gen_init_cpio.c
#                            (default: the work dir's tree, or the
#                            kernel's build dir 'source' link)

set -eu
. "$(dirname "$0")/../lib/common.sh"

guests=${USERTEST_GUEST:-scamem spf}
for g in $guests; do
	[ -f "$TOP/scripts/gates/guest/$g-user.c" ] ||
		die "USERTEST_GUEST: no guest $g (scripts/gates/guest/$g-user.c)"
done
kernel=${USERTEST_KERNEL:-$BUILDDIR/kunit-x86_64/arch/x86/boot/bzImage}
timeout=${USERTEST_TIMEOUT:-900}
[ -f "$kernel" ] ||
	die "no kernel $kernel: build it ('make kunit ARCH=x86_64' with the options above) or set USERTEST_KERNEL"
case $timeout in
'' | *[!0-9]*) die "USERTEST_TIMEOUT=$timeout: not a number of seconds" ;;
esac
for t in gcc qemu-system-x86_64 timeout python3; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done

kbuild=$(cd "$(dirname "$kernel")/../../.." && pwd)
if [ -f "$kbuild/.config" ]; then
	missing=
	for o in KCOV DEBUG_FS BLK_DEV_INITRD DEVTMPFS FAULT_INJECTION \
		FAIL_PAGE_ALLOC FAILSLAB FAULT_INJECTION_DEBUG_FS PROC_FS \
		PROC_PAGE_MONITOR SYSFS CROSS_MEMORY_ATTACH MEMCG IO_URING; do
		grep -q "^CONFIG_$o=y" "$kbuild/.config" || missing="$missing CONFIG_$o"
	done
	[ -z "$missing" ] || die "$kbuild/.config lacks:$missing"
fi

src=${USERTEST_SRC:-}
if [ -z "$src" ]; then
	if [ -f "$KDIR/usr/gen_init_cpio.c" ]; then
		src=$KDIR
	elif [ -f "$kbuild/source/usr/gen_init_cpio.c" ]; then
		src=$kbuild/source
	fi
fi
if [ -z "$src" ] || [ ! -f "$src/usr/gen_init_cpio.c" ]; then
	die "no usr/gen_init_cpio.c: set USERTEST_SRC to a kernel source tree"
fi

results=$WORKDIR/results
mkdir -p "$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The kernel arguments the kunitconfigs ask for on x86_64 (numa=fake=2).
kargs=
for f in "$TOP"/kunit/*.kunitconfig; do
	[ -f "$f" ] || continue
	for o in $(sed -n 's/^# kernel_args-x86_64:[[:space:]]*//p' "$f"); do
		kargs="$kargs $o"
	done
done
bios=
[ ! -f /usr/share/qemu/qboot.rom ] || bios="-bios qboot.rom"

# run_guest <name>: build, boot and judge one guest; 0 if it passed.
run_guest() {
g=$1
log=$results/usertest-$g.log
info "$g: building scripts/gates/guest/$g-user.c and the initramfs"
gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/$g-init" \
	"$TOP/scripts/gates/guest/$g-user.c" -lpthread ||
	die "cannot build scripts/gates/guest/$g-user.c (static libc needed)"
make_initramfs "$src" "$tmp/$g-init" "$tmp/$g.cpio"
info "$g: booting $kernel (timeout ${timeout}s); log: $log"
rc=0
# shellcheck disable=SC2086
timeout "$timeout" qemu-system-x86_64 -accel tcg -smp 2 -m 2048 \
	-nographic -no-reboot $bios \
	-kernel "$kernel" -initrd "$tmp/$g.cpio" \
	-append "console=ttyS0 kunit.enable=0 panic=-1$kargs ${USERTEST_APPEND:-}" \
	</dev/null >"$log" 2>&1 || rc=$?
[ "$rc" = 0 ] || info "qemu exited with $rc (124: timed out)"

# Verdict.  The guest's TAP lines and the kernel's messages share the
# console.  Within the fault injection window the guest marks in the
# kernel log, "Call Trace:" is expected (warn_alloc() of the injected
# page allocation and vmalloc failures dumps the stack); every other
# report still counts there.
python3 - "$log" "$TOP/scripts/lib/kunit-report.py" "$rc" "$g" <<'EOF'
import importlib.util
import re
import sys

log, report_py, rc, guest = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
spec = importlib.util.spec_from_file_location('kunit_report', report_py)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)

problems = []
plan = None
oks, bad = set(), []
in_fi = False
done = False
with open(log, errors='replace') as f:
    for lineno, line in enumerate(f, 1):
        line = line.rstrip('\r\n')
        if 'pagewise-usertest: fault injection begin' in line:
            in_fi = True
        elif 'pagewise-usertest: fault injection end' in line:
            in_fi = False
        m = mod.REPORTS.search(line)
        if m and not (in_fi and m.group(0) == 'Call Trace:'):
            problems.append(f'{log}:{lineno}: kernel report: {line}')
        m = re.search(r'(?:^|\s)1\.\.(\d+)$', line)
        if m and plan is None:
            plan = int(m.group(1))
        if 'usertest done:' in line:
            done = True
        for m in re.finditer(r'(not )?ok (\d+) (\S.*)', line):
            if m.group(1):
                bad.append(int(m.group(2)))
                print(f'FAILED: test {m.group(2)} {m.group(3)}')
            else:
                oks.add(int(m.group(2)))
                print(f'ok:     test {m.group(2)} {m.group(3)}')
            break
        if line.startswith('# '):
            print(line)

if plan is None:
    problems.append('the guest printed no test plan (did /init run?)')
else:
    for n in range(1, plan + 1):
        if n not in oks and n not in bad:
            problems.append(f'test {n} printed no result')
for n in bad:
    problems.append(f'test {n} failed')
if not done:
    problems.append('the guest did not finish (timeout or crash)')
if rc not in (0,):
    problems.append(f'qemu exit status {rc}')
for p in problems[:40]:
    print(p)
if len(problems) > 40:
    print(f'... and {len(problems) - 40} more')
print(f'usertest {guest}:', 'FAILED' if problems else 'passed')
sys.exit(1 if problems else 0)
EOF
}

fail=
for g in $guests; do
	run_guest "$g" || fail="$fail $g"
done
[ -z "$fail" ] || die "usertest failed:$fail"
