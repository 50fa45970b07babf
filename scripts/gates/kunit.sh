#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build and run the series' KUnit suites on UML and on x86_64 (QEMU TCG,
# -smp 2) with the debug fragment, print a per-suite table and fail on any
# failed case, crash, timeout, missing suite, or kernel report in the log.
#
# ARCH=um|x86_64|x86_64-mm narrows to one kernel, SUITE=<glob> to matching
# suites.  x86_64-mm is a second x86_64 kernel for the mm parts: it has
# ZONE_DEVICE, which the block suites' kernel must not have (pmem would
# map the memmap= reservation with struct pages).
# Cases marked slow (micro-benchmarks that print timings and assert
# nothing) are left out unless SLOW=1.
# Each kunitconfig in kunit/ says which suites it enables ('# suites:')
# and on which arches they run ('# arch:'); '# config-<arch>:' lines add
# options for one arch only (as --kconfig_add), '# kernel_args-<arch>:'
# lines kernel command line arguments and '# qemu_args-<arch>:' lines QEMU
# arguments; '# must-pass-<arch>:' lists suite.case names that fail the
# run unless they pass (cases that skip when such a setting is missing).
# KCSAN=1 builds the x86_64 kernel with KCSAN instead of KASAN (the data
# race detector; the two exclude each other), in its own build dir
# (kunit-x86_64-kcsan): configs/debug*.config without their KASAN lines,
# plus configs/kcsan.config.  UML has no KCSAN.  Any KCSAN report fails
# the run like any other report.
# KUNIT_TIMEOUT=<seconds> limits the test run of each kernel (default
# 1200; the build is not counted).  make mutate sets 300: a mutant that
# oopses with a lock held hangs the rest of its run until the limit.

set -eu
. "$(dirname "$0")/../lib/common.sh"

ARCHES="um x86_64 x86_64-mm"
kcsan=${KCSAN:-0}
timeout=${KUNIT_TIMEOUT:-1200}
case $timeout in
'' | *[!0-9]* | 0) die "KUNIT_TIMEOUT=$timeout: not a number of seconds" ;;
esac
case $kcsan in
0) arches=${ARCH:-$ARCHES} ;;
1)
	arches=${ARCH:-x86_64 x86_64-mm}
	case " $arches " in
	*" um "*) die "KCSAN=1: UML has no KCSAN (ARCH=x86_64 or x86_64-mm)" ;;
	esac
	;;
*) die "KCSAN=$kcsan: 1 or nothing" ;;
esac
for a in $arches; do
	case " $ARCHES " in
	*" $a "*) ;;
	*) die "unknown ARCH=$a (known: $ARCHES)" ;;
	esac
done
suite_glob=${SUITE:-*}
case $suite_glob in
*[!A-Za-z0-9_*?.-]*) die "SUITE=$suite_glob: only a glob over suite names is accepted" ;;
esac

need_tree
[ -z "$(kgit status --porcelain --untracked-files=no)" ] ||
	die "$KDIR has uncommitted changes; commit or stash them"

# kunitconfigs and suites for one arch: "file suite..." lines.
configs_for() {
	for f in "$TOP"/kunit/*.kunitconfig; do
		[ -f "$f" ] || continue
		a=$(sed -n 's/^# arch:[[:space:]]*//p' "$f")
		s=$(sed -n 's/^# suites:[[:space:]]*//p' "$f")
		[ -n "$a" ] && [ -n "$s" ] || die "$f lacks '# arch:' or '# suites:'"
		case " $a " in *" $1 "*) echo "$f $s" ;; esac
	done
}

expected_for() {
	configs_for "$1" | cut -d' ' -f2- | tr ' ' '\n' | while read -r s; do
		# shellcheck disable=SC2254
		case $s in $suite_glob) echo "$s" ;; esac
	done | sort -u
}

# Validate the whole request before building anything.
any=
for a in $arches; do
	[ -z "$(expected_for "$a")" ] || any=1
done
[ -n "$any" ] || die "SUITE=$suite_glob matches no suite of the series on: $arches"

use_ccache
cc="${ccache}gcc"
tcg_only

results=$WORKDIR/results
mkdir -p "$results"
status=0
for a in $arches; do
	expected=$(expected_for "$a")
	[ -n "$expected" ] || continue
	need_space 8000
	sfx=
	[ "$kcsan" = 0 ] || sfx=-kcsan
	bdir=$BUILDDIR/kunit-$a$sfx
	mkdir -p "$bdir"
	set -- --build_dir="$bdir" --jobs="$(nproc)" --timeout="$timeout" \
		--make_options="CC=$cc" --make_options="HOSTCC=$cc" \
		--json="$results/kunit-$a$sfx.json"
	qemu_extra='' must=''
	for f in $(configs_for "$a" | cut -d' ' -f1); do
		for o in $(sed -n "s/^# must-pass-$a:[[:space:]]*//p" "$f"); do
			must="$must --must-pass=$o"
		done
		set -- "$@" --kunitconfig="$f"
		for o in $(sed -n "s/^# config-$a:[[:space:]]*//p" "$f"); do
			set -- "$@" --kconfig_add="$o"
		done
		for o in $(sed -n "s/^# kernel_args-$a:[[:space:]]*//p" "$f"); do
			set -- "$@" --kernel_args="$o"
		done
		for o in $(sed -n "s/^# qemu_args-$a:[[:space:]]*//p" "$f"); do
			qemu_extra="$qemu_extra $o"
		done
	done
	dbg="$TOP/configs/debug.config"
	[ ! -f "$TOP/configs/debug-${a%%-*}.config" ] ||
		dbg="$dbg $TOP/configs/debug-${a%%-*}.config"
	if [ "$kcsan" = 1 ]; then
		# The debug fragments without KASAN, then KCSAN.
		i=0
		for f in $dbg; do
			i=$((i + 1))
			grep -v '^CONFIG_KASAN' "$f" >"$bdir/debug-nokasan-$i.config"
			set -- "$@" --kunitconfig="$bdir/debug-nokasan-$i.config"
		done
		set -- "$@" --kunitconfig="$TOP/configs/kcsan.config"
	else
		for f in $dbg; do
			set -- "$@" --kunitconfig="$f"
		done
	fi
	[ "$a" = um ] ||
		set -- "$@" --arch="${a%%-*}" --qemu_args="-smp 2 -m 2048$qemu_extra"
	[ "${SLOW:-0}" = 1 ] || set -- "$@" --filter='speed>slow'
	[ "$suite_glob" = '*' ] || set -- "$@" "$suite_glob"

	info "$a: building and running ($(echo $expected | tr '\n' ' '))"
	rm -f "$results/kunit-$a$sfx.json" "$bdir/test.log"
	log=$results/kunit-$a$sfx.out
	rc=0
	(cd "$KDIR" && ./tools/testing/kunit/kunit.py run "$@") >"$log" 2>&1 || rc=$?
	if [ ! -f "$bdir/test.log" ]; then
		tail -30 "$log" >&2
		info "$a: kunit.py failed before the kernel ran (rc=$rc); log: $log"
		status=1
		continue
	fi
	cp "$bdir/test.log" "$results/kernel-$a$sfx.log"
	python3 "$TOP/scripts/lib/kunit-report.py" --arch "$a" \
		--json "$results/kunit-$a$sfx.json" --log "$results/kernel-$a$sfx.log" \
		--kunit-rc "$rc" $must $expected || status=1
done
exit $status
