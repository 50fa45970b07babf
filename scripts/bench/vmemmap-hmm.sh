#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Part 4 userspace check (issue 17 item 6): the stock hmm selftests
# (tools/testing/selftests/mm/hmm-tests, driven through lib/test_hmm) in
# QEMU on the patched x86_64 kernel, once per memmap mode of test_hmm's
# device private memory:
#
#   eager  test_hmm as in mainline: a full memmap for every chunk
#   od     test_hmm.vmemmap_ondemand=1: PGMAP_VMEMMAP_ON_DEMAND, no limit
#   od0    the same with limit_pages 0: every chunk nobody pins is
#          reclaimed as soon as another one is materialised
#
# and a comparison: every hmm-tests case must give the same result in each
# mode (same pass, same skip), no mode may fail a case, and no boot may
# log a kernel report.  Not a gate; 'make vmemmap-hmm' runs it, and
# docs/part4-vmemmap.md has a run.
#
# The kernel is the KUnit x86_64 kernel ('make kunit ARCH=x86_64' builds
# it: configs/debug*.config with KASAN, PROVE_LOCKING, DEBUG_VM,
# DEBUG_ATOMIC_SLEEP, and kunit/vmemmap.kunitconfig's ZONE_DEVICE,
# DEVICE_PRIVATE, PGMAP_VMEMMAP_ONDEMAND and TEST_HMM=y), copied with its
# .config to $WORKDIR/vmemmap-hmm/ first, since 'make mutate' rebuilds that
# build dir in place.  Booted with kunit.enable=0, no KUnit suite runs.
# The boots, the selftests' build and the verdict of each boot are
# scripts/bench/mm-selftests.sh's (SPF_SYSCTL=none: the part 3 sysctl is
# left alone).
#
# VMH_MODES="eager od od0"  the modes, in this order
# VMH_KERNEL=<bzImage>      another kernel (its .config next to it)
# VMH_TIMEOUT=<s>           the hmm-tests time limit (default 3600)
# VMH_ARGS="<args>"         hmm-tests' arguments (kselftest harness
#                          options; default "-T benchmark_thp_migration":
#                          the benchmark migrates up to 256 MiB ten times
#                          within 120 s and measures only time, which TCG
#                          with KASAN cannot do)
# VMH_SMP=<n>               guest vCPUs (default 2)
# Results: $WORKDIR/results/vmemmap-hmm.txt (the comparison) and
# mm-selftests-hmm-<mode>-spfnone.{log,txt} (each boot).

set -eu
# shellcheck source=scripts/lib/common.sh disable=SC1091
. "$(dirname "$0")/../lib/common.sh"

modes=${VMH_MODES:-eager od od0}
timeout=${VMH_TIMEOUT:-3600}
smp=${VMH_SMP:-2}
args=${VMH_ARGS--T benchmark_thp_migration}
case $timeout in '' | *[!0-9]* | 0) die "VMH_TIMEOUT=$timeout: need a positive number of seconds" ;; esac
case $smp in '' | *[!0-9]* | 0) die "VMH_SMP=$smp: need a positive number of vCPUs" ;; esac
[ -n "$modes" ] || die "VMH_MODES is empty"
for m in $modes; do
	case $m in eager | od | od0) ;; *) die "VMH_MODES: unknown mode $m (eager, od, od0)" ;; esac
done

dir=$WORKDIR/vmemmap-hmm
mkdir -p "$dir"
if [ -n "${VMH_KERNEL:-}" ]; then
	kernel=$VMH_KERNEL
	kconfig=$(dirname "$kernel")/.config
else
	kb=$BUILDDIR/kunit-x86_64
	[ -f "$kb/arch/x86/boot/bzImage" ] ||
		die "no $kb/arch/x86/boot/bzImage: run 'make kunit ARCH=x86_64' first, or set VMH_KERNEL"
	cp "$kb/arch/x86/boot/bzImage" "$kb/.config" "$dir/"
	kernel=$dir/bzImage
	kconfig=$dir/.config
fi
[ -f "$kernel" ] || die "no kernel $kernel"
[ -f "$kconfig" ] || die "no .config next to $kernel"
for o in TEST_HMM DEVICE_PRIVATE PGMAP_VMEMMAP_ONDEMAND DEBUG_FS; do
	grep -q "^CONFIG_$o=y" "$kconfig" ||
		die "$kconfig lacks CONFIG_$o=y (test_hmm must be built in: its mode is a kernel parameter)"
done

# Memory allocation profiling off (sysctl.vm.mem_profiling=never): the
# stock lib/test_hmm, unchanged by the series there, splits a device THP's
# backing folio by hand (dmirror_devmem_folio_split() resets its order and
# sets the counts) and then frees the pieces one by one; the allocation
# tag is on the head page only, so MEM_ALLOC_PROFILING_DEBUG warns "alloc_tag
# was not set" in ___free_pages() during migrate_partial_unmap_fault, in
# every mode (docs/part4-vmemmap.md).  Every other report still fails a boot.
dbg=/sys/kernel/debug/vmemmap_ondemand
show="sysctl.vm.mem_profiling=never spfst.show=$dbg/limit_pages,$dbg/live_chunks,$dbg/pgtable_pages spfst.vmstat=vmemmap_od_,nr_memmap"
status=0
for m in $modes; do
	case $m in
	eager) append= ;;
	od) append=test_hmm.vmemmap_ondemand=1 ;;
	od0) append="test_hmm.vmemmap_ondemand=1 spfst.write=$dbg/limit_pages:0" ;;
	esac
	info "mode $m: hmm-tests"
	SPF_KERNEL=$kernel SPF_SYSCTL=none SPF_TAG=hmm-$m SPF_ZRAM=0 \
		SPF_SMP=$smp SPF_TESTS="hmm-tests@$timeout hmm-tests $args" \
		SPF_APPEND="${append:+$append }$show" \
		"$(dirname "$0")/mm-selftests.sh" || status=1
done

# The comparison: one row per hmm-tests case, a column per mode.
out=$WORKDIR/results/vmemmap-hmm.txt
python3 - "$WORKDIR/results" "$modes" >"$out" <<'EOF' || status=1
import re
import sys

results, modes = sys.argv[1], sys.argv[2].split()
cases, order, extra, problems = {}, [], {}, []
tap = re.compile(r'spfst\[hmm-tests\]: (not ok|ok) \d+ (\S+)(.*)')
for m in modes:
    log = f'{results}/mm-selftests-hmm-{m}-spfnone.log'
    try:
        f = open(log, errors='replace')
    except OSError:
        problems.append(f'{m}: no log {log}')
        continue
    extra[m] = []
    with f:
        for line in f:
            t = tap.search(line)
            if t:
                res = 'skip' if '# SKIP' in t.group(3) else (
                    'pass' if t.group(1) == 'ok' else 'FAIL')
                if t.group(2) not in cases:
                    cases[t.group(2)] = {}
                    order.append(t.group(2))
                cases[t.group(2)][m] = res
                continue
            v = re.search(r'spfst: (vmstat|show) (\S+) (\S+)', line)
            if v and (v.group(1) == 'show' or not v.group(2).startswith('spf_')):
                extra[m].append((v.group(2).rsplit('/', 1)[-1], v.group(3)))
    with open(f'{results}/mm-selftests-hmm-{m}-spfnone.txt', errors='replace') as s:
        if 'passed' not in s.read().splitlines()[-1]:
            problems.append(f'{m}: the boot failed (mm-selftests-hmm-{m}-spfnone.txt)')

w = max([len(c) for c in order] + [4])
print(f'{"case":{w}} ' + ' '.join(f'{m:>6}' for m in modes))
same = 0
for c in order:
    row = [cases[c].get(m, '-') for m in modes]
    mark = ''
    if len(set(row)) > 1:
        mark = '  <- differs'
        problems.append(f'{c}: ' + ', '.join(f'{m} {r}' for m, r in zip(modes, row)))
    elif 'FAIL' in row:
        problems.append(f'{c}: fails in every mode')
    else:
        same += 1
    print(f'{c:{w}} ' + ' '.join(f'{r:>6}' for r in row) + mark)
for m in modes:
    n = {k: sum(1 for c in order if cases[c].get(m) == k) for k in ('pass', 'skip', 'FAIL')}
    print(f'total {m}: {n["pass"]} passed, {n["skip"]} skipped, {n["FAIL"]} failed, '
          f'{sum(1 for c in order if m not in cases[c])} missing')
print()
print('at the end of each boot (debugfs vmemmap_ondemand/, /proc/vmstat):')
names = []
for m in modes:
    for k, _ in extra.get(m, []):
        if k not in names:
            names.append(k)
wn = max([len(k) for k in names] + [4])
print(f'{"":{wn}} ' + ' '.join(f'{m:>10}' for m in modes))
for k in names:
    vals = [dict(extra.get(m, [])).get(k, '-') for m in modes]
    print(f'{k:{wn}} ' + ' '.join(f'{v:>10}' for v in vals))
if not order:
    problems.append('no hmm-tests case ran')
for p in problems:
    print('PROBLEM:', p)
print(f'vmemmap-hmm: {len(order)} cases, {same} alike in {len(modes)} modes:',
      'FAILED' if problems else 'passed')
sys.exit(1 if problems else 0)
EOF
cat "$out"
exit "$status"
