#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Part 3 userspace check (issue 22 item 7): the stock mm selftests of the
# series tree (tools/testing/selftests/mm), built static, run in QEMU on
# a patched x86_64 kernel with vm.speculative_page_fault on and off.  Not
# a gate: it reports (docs/part3-selftests.md has a run).
#
# The selftests come from a detached worktree of the series branch
# ($WORKDIR/selftest-tree; the kernel tree's checkout is not touched),
# with 'make headers' and the selftests built under
# $WORKDIR/selftest-build (LDFLAGS=-static).  They are built when the
# branch has moved since the last build (selftest-build/build.stamp), or
# with SPF_REBUILD=1.  Tests
# whose libraries are not installed (numa.h: migration, ksm_tests, rmap;
# sys/capability.h: memfd_secret, mlock-random-test) do not build; a
# listed test that did not build is reported and left out.
#
# scripts/bench/mm-selftests-init.c, built static, is the /init of the
# initramfs (made with make_initramfs; the test programs are a second
# cpio archive appended to it, under /mm).  It sets the sysctl from
# "spfst.spf=", runs each test with a time limit and prints one
# "spfst: result name=... sysctl=... rc=... ok= fail= skip= secs=
# spf_attempt= ..." line per test, and the spf_* lines of /proc/vmstat
# at the end.  One boot per sysctl value: QEMU TCG, -smp 2, -m 2048,
# numa=fake=2 (as the usertest gate), kunit.enable=0.
#
# Verdict per boot: every test's rc (0, or 4 = KSFT_SKIP) and TAP counts
# (no "not ok"), the guest reached "spfst: done", and no kernel report in
# the console log (the patterns of scripts/lib/kunit-report.py plus
# "lockdep is turned off"); a report is attributed to the test that was
# running.  Exit status 1 if any boot failed.
#
# SPF_KERNEL=<bzImage>     kernel (default $WORKDIR/spf-selftest/bzImage;
#                          its .config next to it is checked when there)
# SPF_SYSCTL="1 0"         sysctl values, one boot each, in this order
# SPF_TESTS="name prog args; ..."  the tests (default below)
# SPF_TEST_TIMEOUT=<s>     per-test limit in the guest (default 300)
# SPF_BOOT_TIMEOUT=<s>     QEMU limit (default: tests x (limit + 30) + 300)
# SPF_REBUILD=1            rebuild the selftests (do not start two runs
#                          at once when a rebuild is due: both would
#                          check out the worktree)
# SPF_TAG=<word>           name of the run in its log files (default none)
# Logs and summaries: $WORKDIR/results/mm-selftests[-<tag>]-spf<N>.{log,txt}.

set -eu
# shellcheck source=scripts/lib/common.sh disable=SC1091
. "$(dirname "$0")/../lib/common.sh"

kernel=${SPF_KERNEL:-$WORKDIR/spf-selftest/bzImage}
sysctls=${SPF_SYSCTL:-1 0}
test_timeout=${SPF_TEST_TIMEOUT:-300}
tag=${SPF_TAG:+-$SPF_TAG}
case ${SPF_TAG:-} in *[!A-Za-z0-9_-]*) die "SPF_TAG=$SPF_TAG: letters, digits, - and _ only" ;; esac
stree=$WORKDIR/selftest-tree
sbuild=$WORKDIR/selftest-build
bindir=$sbuild/mm

# The issue's list first (cow, userfaultfd, mremap, khugepaged, ksm),
# then cheap ones; arguments as run_vmtests.sh gives them.
default_tests='cow cow;
uffd-unit-tests uffd-unit-tests;
uffd-stress-anon uffd-stress anon 20 16;
uffd-stress-shmem uffd-stress shmem 20 16;
mremap_test mremap_test;
khugepaged khugepaged;
ksm_functional_tests ksm_functional_tests;
migration migration;
ksm_tests-M ksm_tests -M -p 10;
mremap_dontunmap mremap_dontunmap;
uffd-wp-mremap uffd-wp-mremap;
madv_populate madv_populate;
mkdirty mkdirty;
guard-regions guard-regions;
merge merge;
droppable droppable;
map_fixed_noreplace map_fixed_noreplace;
soft-dirty soft-dirty;
process_madv process_madv;
mlock2-tests mlock2-tests;
mdwe_test mdwe_test;
pagemap_ioctl pagemap_ioctl'
tests=${SPF_TESTS:-$default_tests}

for v in "$test_timeout" ${SPF_BOOT_TIMEOUT:+"$SPF_BOOT_TIMEOUT"}; do
	case $v in '' | *[!0-9]* | 0) die "timeout $v: need a positive number of seconds" ;; esac
done
for v in $sysctls; do
	case $v in 0 | 1) ;; *) die "SPF_SYSCTL: $v is not 0 or 1" ;; esac
done
for t in gcc qemu-system-x86_64 timeout python3 cpio make; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done
[ -f "$kernel" ] || die "no kernel $kernel (set SPF_KERNEL)"
kconfig=$(dirname "$kernel")/.config
[ -f "$kconfig" ] || kconfig=$(dirname "$kernel")/config
if [ -f "$kconfig" ]; then
	missing=
	for o in SPECULATIVE_PAGE_FAULT SPECULATIVE_PAGE_FAULT_STATS \
		BLK_DEV_INITRD DEVTMPFS USERFAULTFD TRANSPARENT_HUGEPAGE; do
		grep -q "^CONFIG_$o=y" "$kconfig" || missing="$missing CONFIG_$o"
	done
	[ -z "$missing" ] || die "$kconfig lacks:$missing"
	for o in KSM NUMA MIGRATION MEM_SOFT_DIRTY; do
		grep -q "^CONFIG_$o=y" "$kconfig" ||
			info "note: $kconfig has no CONFIG_$o (its tests will skip)"
	done
else
	info "no .config next to $kernel: options not checked"
fi

# The programs the list needs, one a line.
progs=$(printf '%s\n' "$tests" | tr ';' '\n' |
	awk 'NF >= 2 { print $2 }' | sort -u)
[ -n "$progs" ] || die "SPF_TESTS names no test"

# Build the selftests when they were not built at the series branch's
# commit (the stamp records it), or when asked to.
need_tree
series_commit=$(kgit rev-parse -q --verify "refs/heads/$BRANCH^{commit}") ||
	die "no branch $BRANCH in $KDIR (run 'make apply')"
need_build=${SPF_REBUILD:-}
[ "$(cat "$sbuild/build.stamp" 2>/dev/null)" = "$series_commit" ] || need_build=1
if [ -n "$need_build" ]; then
	need_space 3000
	detached_worktree "$stree" "refs/heads/$BRANCH"
	mkdir -p "$sbuild"
	info "make headers in $sbuild/obj"
	nice -n 10 make -s -C "$stree" O="$sbuild/obj" headers >"$sbuild/headers.log" 2>&1 ||
		die "make headers failed: $sbuild/headers.log"
	info "building tools/testing/selftests/mm (static) into $bindir"
	# -k: a test whose library is missing fails alone.
	nice -n 10 make -k -j2 -C "$stree/tools/testing/selftests/mm" \
		OUTPUT="$bindir" KHDR_INCLUDES="-isystem $sbuild/obj/usr/include" \
		LDFLAGS=-static CAN_BUILD_I386=0 all >"$sbuild/build.log" 2>&1 ||
		info "some selftests did not build (see $sbuild/build.log)"
	echo "$series_commit" >"$sbuild/build.stamp"
fi
src=$stree
[ -f "$src/usr/gen_init_cpio.c" ] || src=$KDIR

results=$WORKDIR/results
mkdir -p "$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The guest's list and program tree; tests that did not build are left out.
mkdir -p "$tmp/root/mm"
: >"$tmp/root/tests"
ntests=0
left_out=
printf '%s\n' "$tests" | tr ';' '\n' >"$tmp/list"
while read -r name prog args; do
	[ -n "${prog:-}" ] || continue
	if [ ! -x "$bindir/$prog" ]; then
		left_out="$left_out $name"
		continue
	fi
	cp "$bindir/$prog" "$tmp/root/mm/"
	printf '%s %s %s\n' "$name" "$prog" "${args:-}" >>"$tmp/root/tests"
	ntests=$((ntests + 1))
done <"$tmp/list"
[ -z "$left_out" ] || info "not built, left out:$left_out"
[ "$ntests" -gt 0 ] || die "no test to run"
boot_timeout=${SPF_BOOT_TIMEOUT:-$((ntests * (test_timeout + 30) + 300))}

info "building the guest /init and the initramfs"
nice -n 10 gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/init" \
	"$TOP/scripts/bench/mm-selftests-init.c" ||
	die "cannot build scripts/bench/mm-selftests-init.c (static libc needed)"
make_initramfs "$src" "$tmp/init" "$tmp/initramfs.cpio"
# A second archive, appended: the kernel unpacks both.
(cd "$tmp/root" && find tests mm | cpio -o -H newc -R 0:0 --quiet) \
	>>"$tmp/initramfs.cpio" || die "cannot append the tests to the initramfs"

bios=
[ ! -f /usr/share/qemu/qboot.rom ] || bios="-bios qboot.rom"
status=0
for v in $sysctls; do
	log=$results/mm-selftests$tag-spf$v.log
	sum=$results/mm-selftests$tag-spf$v.txt
	info "sysctl=$v: booting $kernel ($ntests tests, ${test_timeout}s each, boot limit ${boot_timeout}s); log: $log"
	rc=0
	start=$(date +%s)
	# shellcheck disable=SC2086
	nice -n 10 timeout "$boot_timeout" qemu-system-x86_64 -accel tcg \
		-smp 2 -m 2048 -nographic -no-reboot $bios \
		-kernel "$kernel" -initrd "$tmp/initramfs.cpio" \
		-append "console=ttyS0 kunit.enable=0 panic=-1 numa=fake=2 spfst.spf=$v spfst.timeout=$test_timeout" \
		</dev/null >"$log" 2>&1 || rc=$?
	[ "$rc" = 0 ] || info "qemu exited with $rc (124: timed out)"
	info "sysctl=$v: boot took $(($(date +%s) - start))s"
	python3 - "$log" "$TOP/scripts/lib/kunit-report.py" "$rc" "$v" \
		"$left_out" >"$sum" <<'EOF' || status=1
import importlib.util
import re
import sys

log, report_py, rc, sysctl, left_out = sys.argv[1:6]
spec = importlib.util.spec_from_file_location('kunit_report', report_py)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
extra = re.compile(r'lockdep is turned off')

results, reports, vmstat = [], [], []
current, done = None, False
started = []
with open(log, errors='replace') as f:
    for lineno, line in enumerate(f, 1):
        line = line.rstrip('\r\n')
        m = re.search(r'spfst: start name=(\S+)', line)
        if m:
            current = m.group(1)
            started.append(current)
        m = re.search(r'spfst: (result .*)', line)
        if m:
            results.append(dict(kv.split('=', 1) for kv in m.group(1).split()[1:]))
            current = None
        m = re.search(r'spfst: vmstat (spf_\S+ \d+)', line)
        if m:
            vmstat.append(m.group(1))
        if 'spfst: done' in line:
            done = True
        # The tests' own output is prefixed "spfst[name]: ": a test
        # printing "WARNING:" is not a kernel report.
        if re.match(r'spfst\[[^\]]*\]: ', line):
            continue
        if mod.REPORTS.search(line) or extra.search(line):
            reports.append((current or 'boot/between tests', lineno, line))

problems = []
print(f'sysctl={sysctl} qemu_rc={rc}')
print(f'{"test":24} {"rc":>9} {"ok":>4} {"fail":>4} {"skip":>4} {"secs":>5}'
      f' {"spf_att":>8} {"spf_succ":>8} {"spf_abrt":>8} {"spf_upg":>7}')
for r in results:
    print(f'{r["name"]:24} {r["rc"]:>9} {r["ok"]:>4} {r["fail"]:>4} {r["skip"]:>4}'
          f' {r["secs"]:>5} {r["spf_attempt"]:>8} {r["spf_success"]:>8}'
          f' {r["spf_abort"]:>8} {r["spf_upgrade"]:>7}')
    if r['rc'] not in ('0', '4') or r['fail'] != '0':
        problems.append(f'{r["name"]}: rc={r["rc"]} fail={r["fail"]}')
finished = {r['name'] for r in results}
for name in started:
    if name not in finished:
        problems.append(f'{name}: started, no result (crash or boot timeout)')
if left_out.split():
    print('not built, left out:', left_out.strip())
for v in vmstat:
    print('vmstat', v)
for test, lineno, line in reports[:40]:
    print(f'report during {test}: {log}:{lineno}: {line}')
if reports:
    problems.append(f'{len(reports)} kernel report line(s)')
if not done:
    problems.append('the guest did not finish (timeout or crash)')
if rc != '0':
    problems.append(f'qemu exit status {rc}')
for p in problems:
    print('PROBLEM:', p)
print(f'mm-selftests sysctl={sysctl}:', 'FAILED' if problems else 'passed')
sys.exit(1 if problems else 0)
EOF
	cat "$sum"
done
exit "$status"
