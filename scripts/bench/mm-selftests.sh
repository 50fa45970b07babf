#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Part 3 userspace check (issue 22 item 7): the stock mm selftests
# (tools/testing/selftests/mm), built static, run in QEMU on the patched
# x86_64 kernel with vm.speculative_page_fault on and off, and on the base
# kernel built with the same configuration.  Not a gate: it reports
# (docs/part3-selftests.md has a run).
#
# Kernels: configs/mm-selftests.config on top of the KUnit x86_64 debug
# configuration (KASAN, PROVE_LOCKING, DEBUG_VM, DEBUG_ATOMIC_SLEEP), one
# built from the series (detached worktree $WORKDIR/selftest-tree at
# branch series) and one from the base ($WORKDIR/base-tree, tag base), in
# $WORKDIR/build/selftest-{series,base} with 'nice make -j2', copied to
# $WORKDIR/spf-selftest-{series,base}/{bzImage,.config}.  SPF_BUILD=1
# builds them first (a kernel whose build dir is up to date is only
# relinked); the two .configs must differ only in the
# SPECULATIVE_PAGE_FAULT options, which the base does not have.
#
# The selftests come from the series worktree (its selftests are the
# base's: the series does not touch tools/testing/selftests), with 'make
# headers' and the selftests built under $WORKDIR/selftest-build
# (LDFLAGS=-static; libnuma-dev, libcap-dev and liburing-dev give
# migration, ksm_tests, rmap, mlock-random-test and cow's io_uring cases).
# They are built when the branch has moved since the last build
# (selftest-build/build.stamp), or with SPF_REBUILD=1.  A listed test
# that did not build is reported and left out.  The build also makes
# uffd-unit-tests-evt, a variant of uffd-unit-tests for the "events on
# anon" loop (SPF_UFFD_LOOP): generated from the stock source with only
# the anon memory type, "events-wp" renamed "evt-wp" (-f matches
# substrings), and a "# spfst-uffd: UFFDIO_COPY -ENOENT|-EEXIST" line for
# each UFFDIO_COPY that returns either (the stock test tolerates both
# silently since 7.3; v1's aborted on -ENOENT).
#
# scripts/bench/mm-selftests-init.c, built static, is the /init of the
# initramfs (made with make_initramfs; the test programs are a second
# cpio archive appended to it, under /mm).  It sets the sysctl from
# "spfst.spf=", makes a zram swap device, runs each test with a time limit
# and prints one "spfst: result name=... sysctl=... rc=... ok= fail= skip=
# secs= spf_attempt= ..." line per test, and the spf_* lines of
# /proc/vmstat at the end.  One boot per sysctl value: QEMU TCG,
# -smp $SPF_SMP (2), -m $SPF_MEM, numa=fake=2 (as the usertest gate),
# kunit.enable=0.
#
# Verdict per boot: every test's rc (0, or 4 = KSFT_SKIP) and TAP counts
# (no "not ok"), the guest reached "spfst: done", and no kernel report in
# the console log (the patterns of scripts/lib/kunit-report.py plus
# "lockdep is turned off"); a report is attributed to the test that was
# running.  Exit status 1 if any boot failed.
#
# SPF_SYSCTL="base 1 0"    boots, in this order: "base" boots the base
#                          kernel, 1 and 0 the series kernel with the
#                          sysctl on or off; "none" boots the series
#                          kernel, leaves the sysctl alone and needs no
#                          part 3 options (a run for another part)
# SPF_KERNEL=<bzImage>     series kernel (default
#                          $WORKDIR/spf-selftest-series/bzImage; its
#                          .config next to it is checked when there)
# SPF_BASE_KERNEL=<bzImage>  base kernel (default
#                          $WORKDIR/spf-selftest-base/bzImage)
# SPF_BUILD=1              build the two kernels first (above)
# SPF_START_CONFIG=<.config>  SPF_BUILD's start configuration (default
#                          $WORKDIR/build/kunit-x86_64/.config)
# SPF_TESTS="name prog args; ..."  the tests (default below); "name@<s>"
#                          gives one test its own time limit, "&name"
#                          runs the program as background load, restarted
#                          whenever it exits, until the list ends
# SPF_UFFD_LOOP=<n>        instead: the "events on anon" loop, n runs of
#                          uffd-unit-tests-evt -f events with uffd-stress
#                          anon as background load (tag uffdloop)
# SPF_UFFD_LOOP_MB=32|1    the loop's area size: 32 MiB (stock) or 1 MiB
#                          (uffd-unit-tests-evt1m: 32 times fewer faults
#                          per run, the same fork/mremap/MADV_DONTNEED
#                          events)
# SPF_BUDGET=<s>           skip the tests left after that many seconds
# SPF_TEST_TIMEOUT=<s>     per-test limit in the guest (default 300)
# SPF_BOOT_TIMEOUT=<s>     QEMU limit (default: tests x (limit + 30) + 300,
#                          or the budget + 900)
# SPF_MEM=<MiB>            guest memory (default 4096: mremap_test maps
#                          2 GiB)
# SPF_ZRAM=<MiB>           zram swap in the guest (default 256, 0: none)
# SPF_REBUILD=1            rebuild the selftests (do not start two runs
#                          at once when a rebuild is due: both would
#                          check out the worktree); 0: never rebuild, run
#                          the ones in $WORKDIR/selftest-build as they are
#                          (when the branch has moved but the tests not)
# SPF_SMP=<n>              guest vCPUs (default 2; migration needs 3)
# SPF_TAG=<word>           name of the run in its log files (default none)
# SPF_APPEND="<args>"      more kernel command line arguments, such as a
#                          module parameter of a built-in driver or the
#                          guest /init's spfst.write=, spfst.show= and
#                          spfst.vmstat= (mm-selftests-init.c); part 4's
#                          scripts/bench/vmemmap-hmm.sh uses them
# Logs and summaries: $WORKDIR/results/mm-selftests[-<tag>]-spf<N>.{log,txt}.

set -eu
# shellcheck source=scripts/lib/common.sh disable=SC1091
. "$(dirname "$0")/../lib/common.sh"

kernel=${SPF_KERNEL:-$WORKDIR/spf-selftest-series/bzImage}
base_kernel=${SPF_BASE_KERNEL:-$WORKDIR/spf-selftest-base/bzImage}
sysctls=${SPF_SYSCTL:-base 1 0}
test_timeout=${SPF_TEST_TIMEOUT:-300}
mem=${SPF_MEM:-4096}
zram=${SPF_ZRAM:-256}
budget=${SPF_BUDGET:-0}
smp=${SPF_SMP:-2}
loop=${SPF_UFFD_LOOP:-}
[ -z "$loop" ] || [ -n "${SPF_TAG:-}" ] || SPF_TAG=uffdloop
tag=${SPF_TAG:+-$SPF_TAG}
case ${SPF_TAG:-} in *[!A-Za-z0-9_-]*) die "SPF_TAG=$SPF_TAG: letters, digits, - and _ only" ;; esac
append=${SPF_APPEND:-}
case $append in *[\"\'\\]* | *"
"*) die "SPF_APPEND: no quotes, backslashes or newlines" ;; esac
stree=$WORKDIR/selftest-tree
sbuild=$WORKDIR/selftest-build
bindir=$sbuild/mm

# The issue's list first (cow, userfaultfd, mremap, khugepaged, migration,
# ksm; the full uffd-unit-tests, anon, shmem and shmem-private, last of
# them: it is the longest), then cheap ones; arguments as run_vmtests.sh
# gives them.
default_tests='cow@900 cow;
uffd-stress-anon uffd-stress anon 20 16;
uffd-stress-shmem uffd-stress shmem 20 16;
mremap_test mremap_test;
khugepaged@600 khugepaged;
migration migration;
ksm_tests-M ksm_tests -M -p 10;
ksm_functional_tests ksm_functional_tests;
uffd-unit-tests@2400 uffd-unit-tests;
rmap rmap;
gup_test-u gup_test -u;
gup_test-a gup_test -a;
gup_test-ct gup_test -ct -F 0x1 0 19 0x1000;
gup_longterm gup_longterm;
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
mlock-random-test mlock-random-test;
mdwe_test mdwe_test;
pagemap_ioctl pagemap_ioctl'
if [ -n "$loop" ]; then
	case $loop in *[!0-9]* | 0) die "SPF_UFFD_LOOP=$loop: need a positive count" ;; esac
	case ${SPF_UFFD_LOOP_MB:-32} in
	32) lprog=uffd-unit-tests-evt ;;
	1) lprog=uffd-unit-tests-evt1m ;;
	*) die "SPF_UFFD_LOOP_MB: 32 (stock) or 1" ;;
	esac
	tests=$(awk -v n="$loop" -v prog="$lprog" 'BEGIN {
		print "&uffd-stress-bg uffd-stress anon 20 16;"
		for (i = 1; i <= n; i++)
			printf "events-%03d %s -f events;\n", i, prog
	}')
else
	tests=${SPF_TESTS:-$default_tests}
fi

for v in "$test_timeout" ${SPF_BOOT_TIMEOUT:+"$SPF_BOOT_TIMEOUT"}; do
	case $v in '' | *[!0-9]* | 0) die "timeout $v: need a positive number of seconds" ;; esac
done
for v in "$mem" "$zram" "$budget"; do
	case $v in '' | *[!0-9]*) die "SPF_MEM, SPF_ZRAM, SPF_BUDGET: $v is not a number" ;; esac
done
case $smp in '' | *[!0-9]* | 0) die "SPF_SMP=$smp: need a positive number of vCPUs" ;; esac
for v in $sysctls; do
	case $v in 0 | 1 | base | none) ;; *) die "SPF_SYSCTL: $v is not 0, 1, base or none" ;; esac
done
for t in gcc qemu-system-x86_64 timeout python3 cpio make; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done

# build_kernel <series|base>: configs/mm-selftests.config on top of the
# KUnit x86_64 debug config, built in $WORKDIR/build/selftest-<which>.
build_kernel() {
	case $1 in
	series) ksrc=$stree ;;
	base) ksrc=$BASEWT ;;
	esac
	kb=$WORKDIR/build/selftest-$1
	start_config=${SPF_START_CONFIG:-$WORKDIR/build/kunit-x86_64/.config}
	[ -f "$start_config" ] ||
		die "no $start_config: run 'make kunit ARCH=x86_64' first, or set SPF_START_CONFIG"
	[ -d "$ksrc" ] || die "no kernel tree $ksrc"
	need_space 8000
	mkdir -p "$kb"
	# Only a new start config or fragment changes .config: an unchanged
	# one keeps make from rebuilding everything.
	cp "$start_config" "$kb/.config.start"
	(cd "$ksrc" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m -O "$kb" \
		"$kb/.config.start" "$TOP/configs/mm-selftests.config") \
		>"$kb/merge.log" 2>&1 || die "merge_config.sh failed: $kb/merge.log"
	info "building the $1 kernel in $kb (log: $kb/build.log)"
	CCACHE_DIR=${CCACHE_DIR:-$WORKDIR/ccache} nice -n 10 make -C "$ksrc" \
		O="$kb" ARCH=x86_64 CC="ccache gcc" -j2 olddefconfig bzImage \
		>"$kb/build.log" 2>&1 || die "the $1 kernel did not build: $kb/build.log"
	grep -v '^#' "$TOP/configs/mm-selftests.config" | grep . |
		while read -r o; do
			grep -qx "$o" "$kb/.config" ||
				info "note: the $1 .config lacks $o"
		done
	mkdir -p "$WORKDIR/spf-selftest-$1"
	cp "$kb/arch/x86/boot/bzImage" "$kb/.config" "$kb/System.map" \
		"$WORKDIR/spf-selftest-$1/"
}
if [ -n "${SPF_BUILD:-}" ]; then
	need_tree
	detached_worktree "$stree" "refs/heads/$BRANCH"
	build_kernel series
	build_kernel base
	kernel=$WORKDIR/spf-selftest-series/bzImage
	base_kernel=$WORKDIR/spf-selftest-base/bzImage
	# The same configuration but for the series' own options.
	d=$(diff "$WORKDIR/spf-selftest-series/.config" \
		"$WORKDIR/spf-selftest-base/.config" | grep '^[<>]' |
		grep -v 'SPECULATIVE_PAGE_FAULT' || true)
	[ -z "$d" ] || die "series and base .config differ beyond SPECULATIVE_PAGE_FAULT: $d"
fi

# check_kernel <bzImage> <base|series>: the options the run needs.
check_kernel() {
	[ -f "$1" ] || die "no kernel $1 (set SPF_KERNEL/SPF_BASE_KERNEL, or SPF_BUILD=1)"
	kconfig=$(dirname "$1")/.config
	[ -f "$kconfig" ] || kconfig=$(dirname "$1")/config
	if [ ! -f "$kconfig" ]; then
		info "no .config next to $1: options not checked"
		return 0
	fi
	need="BLK_DEV_INITRD DEVTMPFS USERFAULTFD TRANSPARENT_HUGEPAGE"
	[ "$2" != series ] ||
		need="$need SPECULATIVE_PAGE_FAULT SPECULATIVE_PAGE_FAULT_STATS"
	missing=
	for o in $need; do
		grep -q "^CONFIG_$o=y" "$kconfig" || missing="$missing CONFIG_$o"
	done
	[ -z "$missing" ] || die "$kconfig lacks:$missing"
	if [ "$2" = base ] && grep -q '^CONFIG_SPECULATIVE_PAGE_FAULT=y' "$kconfig"; then
		die "$1 is meant to be the base, but has CONFIG_SPECULATIVE_PAGE_FAULT"
	fi
	for o in TMPFS KSM NUMA MIGRATION MEM_SOFT_DIRTY GUP_TEST ZRAM SWAP; do
		grep -q "^CONFIG_$o=y" "$kconfig" ||
			info "note: $kconfig has no CONFIG_$o (its tests will skip)"
	done
}
for v in $sysctls; do
	case $v in
	base) check_kernel "$base_kernel" base ;;
	none) check_kernel "$kernel" other ;;
	*) check_kernel "$kernel" series ;;
	esac
done

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
case $need_build in
0)
	[ -x "$bindir/uffd-unit-tests-evt1m" ] ||
		die "SPF_REBUILD=0 but no selftests built in $bindir"
	built=$(cat "$sbuild/build.stamp" 2>/dev/null || echo unknown)
	[ "$built" = "$series_commit" ] ||
		info "SPF_REBUILD=0: running the selftests built at $built, not $BRANCH ($series_commit)"
	need_build=
	;;
*)
	[ "$(cat "$sbuild/build.stamp" 2>/dev/null)" = "$series_commit" ] || need_build=1
	[ -x "$bindir/uffd-unit-tests-evt1m" ] || need_build=1
	;;
esac
if [ -n "$need_build" ]; then
	need_space 3000
	detached_worktree "$stree" "refs/heads/$BRANCH"
	# The selftests' make writes into OUTPUT but does not create it.
	mkdir -p "$sbuild" "$bindir"
	info "make headers in $sbuild/obj"
	nice -n 10 make -s -C "$stree" O="$sbuild/obj" headers >"$sbuild/headers.log" 2>&1 ||
		die "make headers failed: $sbuild/headers.log"
	info "building tools/testing/selftests/mm (static) into $bindir"
	mmsrc=$stree/tools/testing/selftests/mm
	# check_config.sh's results (liburing) are kept in the source dir and
	# not redone when a library is installed later.
	rm -f "$mmsrc/local_config.h_gen" "$mmsrc/local_config.mk"
	# -k: a test whose library is missing fails alone.
	nice -n 10 make -k -j2 -C "$mmsrc" \
		OUTPUT="$bindir" KHDR_INCLUDES="-isystem $sbuild/obj/usr/include" \
		LDFLAGS=-static CAN_BUILD_I386=0 all >"$sbuild/build.log" 2>&1 ||
		info "some selftests did not build (see $sbuild/build.log)"
	grep -q 'HAVE_LIBURING 1' "$mmsrc/local_config.h_gen" 2>/dev/null ||
		info "no liburing: cow and gup_longterm run without io_uring"
	# The "events on anon" variant (see the top of this file).
	vdir=$sbuild/variant
	mkdir -p "$vdir"
	python3 - "$mmsrc" "$vdir" <<'EOF' || die "cannot make the uffd-unit-tests-evt source"
import re
import sys

src, out = sys.argv[1:3]
t = open(f'{src}/uffd-unit-tests.c').read()
# Only the anon memory type: drop the shmem and shmem-private entries.
t, n = re.subn(r'\t\{\n\t\t\.name = "shmem(-private)?",.*?\n\t\},\n', '', t,
               flags=re.S)
assert n == 2, 'shmem mem_types not found'
t, n = re.subn(r'\.name = "events-wp"', '.name = "evt-wp"', t)
assert n == 1, 'events-wp not found'
# The area size from the command line (-DUFFD_EVT_MB=), 32 MiB as stock.
t, n = re.subn(r'#define\s+UFFD_TEST_MEM_SIZE\s+\(32UL << 20\)',
               '#ifndef UFFD_EVT_MB\n#define UFFD_EVT_MB 32UL\n#endif\n'
               '#define UFFD_TEST_MEM_SIZE (UFFD_EVT_MB << 20)', t)
assert n == 1, 'UFFD_TEST_MEM_SIZE not found'
open(f'{out}/uffd-unit-tests-evt.c', 'w').write(t)
c = open(f'{src}/uffd-common.c').read()
old = '\t\tif (uffdio_copy.copy != -EEXIST && uffdio_copy.copy != -ENOENT)\n'
assert c.count(old) == 1, 'the UFFDIO_COPY error check of __copy_page not found'
c = c.replace(old, '\t\tif (uffdio_copy.copy == -ENOENT || uffdio_copy.copy == -EEXIST)\n'
              '\t\t\tfprintf(stderr, "# spfst-uffd: UFFDIO_COPY %s dst=0x%llx area_dst=%p uffd=%d\\n",\n'
              '\t\t\t\tuffdio_copy.copy == -ENOENT ? "-ENOENT" : "-EEXIST",\n'
              '\t\t\t\t(unsigned long long)uffdio_copy.dst, gopts->area_dst,\n'
              '\t\t\t\tgopts->uffd);\n' + old)
# The order of the non-cooperative events the poll thread reads.
for ev, fmt, args in (
        ('FORK', 'event FORK ufd=%u', 'msg.arg.fork.ufd'),
        ('REMOVE', 'event REMOVE 0x%llx-0x%llx',
         '(unsigned long long)msg.arg.remove.start,'
         ' (unsigned long long)msg.arg.remove.end'),
        ('REMAP', 'event REMAP 0x%llx->0x%llx',
         '(unsigned long long)msg.arg.remap.from,'
         ' (unsigned long long)msg.arg.remap.to')):
    case = f'\t\tcase UFFD_EVENT_{ev}:\n'
    assert c.count(case) == 1, f'UFFD_EVENT_{ev} not found'
    c = c.replace(case, case + f'\t\t\tfprintf(stderr, "# spfst-uffd: {fmt}\\n", {args});\n')
open(f'{out}/uffd-common-evt.c', 'w').write(c)
EOF
	# The stock flags of uffd-unit-tests (make -n), plus the source dir;
	# uffd-unit-tests-evt has the stock 32 MiB areas, -evt1m 1 MiB ones.
	for mb in 32 1; do
		out=$bindir/uffd-unit-tests-evt
		[ "$mb" = 32 ] || out=${out}${mb}m
		(cd "$mmsrc" && nice -n 10 gcc -Wall -O2 -I "$stree" \
			-isystem "$sbuild/obj/usr/include" \
			-isystem "$stree/tools/include/uapi" -Wunreachable-code \
			-U_FORTIFY_SOURCE -no-pie -D_GNU_SOURCE= \
			-I"$stree/tools/testing/selftests" -I"$mmsrc" -static \
			-DUFFD_EVT_MB="${mb}UL" \
			"$vdir/uffd-unit-tests-evt.c" vm_util.c hugepage_settings.c \
			"$vdir/uffd-common-evt.c" -lrt -lpthread -lm \
			-o "$out") >"$vdir/build.log" 2>&1 ||
			die "$out did not build: $vdir/build.log"
	done
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
limits=0
printf '%s\n' "$tests" | tr ';' '\n' >"$tmp/list"
while read -r name prog args; do
	[ -n "${prog:-}" ] || continue
	if [ ! -x "$bindir/$prog" ]; then
		left_out="$left_out ${name%@*}"
		continue
	fi
	cp "$bindir/$prog" "$tmp/root/mm/"
	printf '%s %s %s\n' "$name" "$prog" "${args:-}" >>"$tmp/root/tests"
	case $name in
	'&'*) continue ;;
	*@*) limits=$((limits + ${name##*@} + 30)) ;;
	*) limits=$((limits + test_timeout + 30)) ;;
	esac
	ntests=$((ntests + 1))
done <"$tmp/list"
[ -z "$left_out" ] || info "not built, left out:$left_out"
[ "$ntests" -gt 0 ] || die "no test to run"
boot_timeout=$((limits + 300))
[ "$budget" = 0 ] || [ "$boot_timeout" -lt $((budget + 900)) ] ||
	boot_timeout=$((budget + 900))
boot_timeout=${SPF_BOOT_TIMEOUT:-$boot_timeout}

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
	k=$kernel
	[ "$v" != base ] || k=$base_kernel
	info "sysctl=$v: booting $k ($ntests tests, ${test_timeout}s each, $smp vCPUs, boot limit ${boot_timeout}s); log: $log"
	rc=0
	start=$(date +%s)
	# shellcheck disable=SC2086
	nice -n 10 timeout "$boot_timeout" qemu-system-x86_64 -accel tcg \
		-smp "$smp" -m "$mem" -nographic -no-reboot $bios \
		-kernel "$k" -initrd "$tmp/initramfs.cpio" \
		-append "console=ttyS0 kunit.enable=0 panic=-1 numa=fake=2 spfst.spf=$v spfst.timeout=$test_timeout spfst.budget=$budget spfst.zram=$zram${append:+ $append}" \
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

results, reports, vmstat, background, notes = [], [], [], [], []
write_failed = []
current, done = None, False
started = []
uffd = {}       # test name -> {'-ENOENT': n, '-EEXIST': n}
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
        m = re.search(r'spfst: vmstat (\S+ \d+)', line)
        if m:
            vmstat.append(m.group(1))
        m = re.search(r'spfst: (background name=\S+ runs=.*)', line)
        if m:
            background.append(m.group(1))
        m = re.search(r'spfst: ((swap|no zram swap|no vm\.spec|budget|wrote |show ).*)', line)
        if m:
            notes.append(m.group(1))
        m = re.search(r'spfst: (write-failed .*)', line)
        if m:
            notes.append(m.group(1))
            write_failed.append(m.group(1))
        m = re.search(r'spfst\[([^\]]*)\]: # spfst-uffd: UFFDIO_COPY (-\w+)', line)
        if m:
            d = uffd.setdefault(m.group(1), {})
            d[m.group(2)] = d.get(m.group(2), 0) + 1
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
for n in notes:
    print(n)
print(f'{"test":24} {"rc":>9} {"ok":>4} {"fail":>4} {"skip":>4} {"secs":>5}'
      f' {"spf_att":>8} {"spf_succ":>8} {"spf_abrt":>8} {"spf_upg":>7}'
      f' {"ENOENT":>6} {"EEXIST":>6}')
groups = {}
for r in results:
    u = uffd.get(r['name'], {})
    print(f'{r["name"]:24} {r["rc"]:>9} {r["ok"]:>4} {r["fail"]:>4} {r["skip"]:>4}'
          f' {r["secs"]:>5} {r["spf_attempt"]:>8} {r["spf_success"]:>8}'
          f' {r["spf_abort"]:>8} {r["spf_upgrade"]:>7}'
          f' {u.get("-ENOENT", 0):>6} {u.get("-EEXIST", 0):>6}')
    if r['rc'] not in ('0', '4') or r['fail'] != '0':
        problems.append(f'{r["name"]}: rc={r["rc"]} fail={r["fail"]}')
    # Repeats of one test ("events-001", "events-002"...): totals below.
    g = re.sub(r'-\d+$', '', r['name'])
    t = groups.setdefault(g, {'runs': 0, 'passed': 0, 'failed': 0, 'secs': 0,
                              'ENOENT': 0, 'EEXIST': 0, 'spf': [0, 0, 0, 0]})
    t['runs'] += 1
    bad = r['rc'] not in ('0', '4') or r['fail'] != '0'
    t['failed' if bad else 'passed'] += 1
    t['secs'] += int(r['secs'])
    t['ENOENT'] += u.get('-ENOENT', 0)
    t['EEXIST'] += u.get('-EEXIST', 0)
    for i, k in enumerate(('spf_attempt', 'spf_success', 'spf_abort', 'spf_upgrade')):
        if r[k] != '-':
            t['spf'][i] += int(r[k])
for g, t in groups.items():
    if t['runs'] > 1:
        print(f'repeats {g}: runs={t["runs"]} passed={t["passed"]} failed={t["failed"]}'
              f' secs={t["secs"]} ENOENT={t["ENOENT"]} EEXIST={t["EEXIST"]}'
              f' spf={"/".join(str(x) for x in t["spf"])}')
for b in background:
    print(b)
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
for w in write_failed:
    problems.append(w)
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
