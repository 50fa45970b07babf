#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise one kunit.py run: a per-suite table, and a verdict.

The run fails on a failed or crashed case, a suite that was expected but
produced no results, a non-zero kunit.py exit, or any kernel report
(KASAN, lockdep, WARN, BUG, ...) anywhere in the kernel log, even when
every case passed.  A case named with --must-pass (suite.case) fails the
run unless it passed: for cases that skip when their setting is missing
(e.g. a kernel argument), where a skip would hide a lost test.
"""

import argparse
import json
import re
import sys

# Kernel reports that fail a run wherever they appear in the log.
REPORTS = re.compile(
    r'(BUG: |WARNING: |KASAN: |UBSAN: |KFENCE: |Oops|Kernel panic'
    r'|general protection fault|Call Trace:|kernel BUG at'
    r'|possible circular locking dependency|possible recursive locking'
    r'|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON'
    r'|INFO: task .* blocked|INFO: rcu_.* stall|unreferenced object'
    r'|------------\[ cut here \]------------)')


def leaf_cases(group):
    """Yield (name, status) per case; a parameterised case counts once."""
    for case in group.get('test_cases', []):
        yield case['name'], case['status']
    for sub in group.get('sub_groups', []):
        states = [s for _, s in leaf_cases(sub)]
        if any(s in ('FAIL', 'ERROR') for s in states) or not states:
            yield sub['name'], 'FAIL'
        elif all(s == 'SKIP' for s in states):
            yield sub['name'], 'SKIP'
        else:
            yield sub['name'], 'PASS'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch', required=True)
    ap.add_argument('--json', required=True)
    ap.add_argument('--log', required=True)
    ap.add_argument('--kunit-rc', type=int, default=0)
    ap.add_argument('--must-pass', action='append', default=[],
                    metavar='SUITE.CASE')
    ap.add_argument('expected', nargs='*')
    args = ap.parse_args()

    problems = []
    suites = {}
    try:
        with open(args.json) as f:
            top = json.load(f)
        for suite in top.get('sub_groups', []):
            suites[suite['name']] = list(leaf_cases(suite))
    except (OSError, ValueError) as e:
        problems.append(f'no parsable results ({e})')

    for name in sorted(set(args.expected) | set(suites)):
        cases = suites.get(name)
        if cases is None:
            print(f'{args.arch:8} {name:28} {"-":>6} {"-":>6} {"-":>7}  NO RESULTS')
            problems.append(f'suite {name} produced no results')
            continue
        n = {s: 0 for s in ('PASS', 'FAIL', 'SKIP', 'ERROR')}
        for case, st in cases:
            n[st] = n.get(st, 0) + 1
            if st in ('FAIL', 'ERROR'):
                problems.append(f'{name}.{case}: {st}')
        bad = n['FAIL'] + n['ERROR']
        verdict = 'ok' if not bad and n['PASS'] else 'FAILED'
        if not bad and not n['PASS']:
            problems.append(f'suite {name}: no case passed')
        print(f'{args.arch:8} {name:28} {n["PASS"]:6} {bad:6} {n["SKIP"]:7}  {verdict}')

    for full in args.must_pass:
        name, _, case = full.partition('.')
        if not case:
            problems.append(f'--must-pass {full}: not suite.case')
            continue
        if name not in args.expected or name not in suites:
            continue    # not run here, or already reported above
        states = [st for c, st in suites[name] if c == case]
        if not states:
            problems.append(f'{full}: no result (must pass on {args.arch})')
        elif states[0] != 'PASS':
            problems.append(f'{full}: {states[0]} (must pass on {args.arch})')

    reports = []
    with open(args.log, errors='replace') as f:
        for lineno, line in enumerate(f, 1):
            if REPORTS.search(line):
                reports.append(f'{args.log}:{lineno}: {line.rstrip()}')
    if reports:
        problems.append(f'{len(reports)} kernel report line(s) in the log')
        for r in reports[:20]:
            print('  ' + r)
    if args.kunit_rc:
        problems.append(f'kunit.py exited with {args.kunit_rc} (crash or timeout?)')

    for p in problems:
        print(f'{args.arch}: FAIL: {p}', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
