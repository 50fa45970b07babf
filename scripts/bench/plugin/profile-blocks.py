#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""profile-blocks.py: the executed instructions behind a pwcount profile.

    profile-blocks.py <vmlinux> <profile> <region> <symbol>...
    profile-blocks.py --mix <vmlinux> <profile> <region> [<symbol>...]

<profile> is a report of the plugin's profile= (docs/tcg-counts.md), of a
boot of the kernel whose <vmlinux> is given (nokaslr).  The first form
lists each block of the symbols (a run of instructions of one symbol,
keyed by its first address) with its executions and instructions per op,
and its instructions as objdump disassembles them from <vmlinux>.  --mix
counts the executed instructions per op by kind (call, ret, push, pop,
jmp, conditional jump, rep string, other) over the named symbols, or over
every symbol of the region in .text if none is named.

Limits: the disassembly is of the image on disk, not of the code the
kernel patched at boot (alternatives, static calls): a block whose
instruction count does not match the listing is marked.  A rep-prefixed
string instruction runs as one block per iteration under TCG, so it shows
once with its iterations as executions (docs/tcg-counts.md).
"""
import collections
import subprocess
import sys


def disassemble(vmlinux):
    """Address -> instruction text, and the addresses in order (.text)."""
    out = subprocess.run(['objdump', '-d', '--no-show-raw-insn', '-j', '.text',
                          vmlinux], capture_output=True, text=True,
                         check=True).stdout
    text, order = {}, []
    for line in out.splitlines():
        if not line.startswith('ffffffff') or ':\t' not in line:
            continue
        addr, insn = line.split(':\t', 1)
        addr = int(addr, 16)
        text[addr] = insn.strip()
        order.append(addr)
    return text, order


def read_profile(path, region):
    """The region's op count and its blocks (pc, execs, insns, symbol+off)."""
    ops, blocks = None, []
    with open(path) as f:
        if f.readline().strip() != 'pwcount profile: complete':
            sys.exit(f'{path}: not a complete pwcount profile')
        for line in f:
            w = line.split()
            if w[0] == 'N' and w[1] == region:
                ops = int(w[2])
            elif w[0] == 'B' and w[1] == region:
                blocks.append((int(w[2], 16), int(w[3]), int(w[4]), w[6]))
    if not ops:
        sys.exit(f'{path}: no region {region} with ops')
    return ops, sorted(blocks)


def kind(insn):
    words = insn.split()
    m = words[0]
    if m in ('lock', 'gs', 'ds', 'cs', 'ss', 'es', 'fs') and len(words) > 1:
        m = words[1]
    if m.startswith('rep'):
        return 'rep string'
    for k in ('call', 'ret', 'push', 'pop'):
        if m.startswith(k):
            return k
    if m == 'jmp':
        return 'jmp'
    if m.startswith('j'):
        return 'conditional jump'
    return 'other'


def main(argv):
    mix = argv[:1] == ['--mix']
    if mix:
        argv = argv[1:]
    if len(argv) < 3 + (not mix):
        sys.exit(__doc__)
    vmlinux, profile, region, syms = argv[0], argv[1], argv[2], set(argv[3:])
    text, order = disassemble(vmlinux)
    index = {a: i for i, a in enumerate(order)}
    ops, blocks = read_profile(profile, region)
    counts = collections.Counter()
    total = 0
    for pc, execs, insns, where in blocks:
        sym = where.rsplit('+', 1)[0]
        if syms and sym not in syms:
            continue
        n = insns // execs
        if pc not in index:
            if not mix:
                print(f'-- {where}: {execs / ops:.2f} execs/op x {n}: '
                      'not in .text of this vmlinux')
            continue
        listing = [text[order[i]] for i in
                   range(index[pc], min(index[pc] + n, len(order)))]
        total += insns
        if mix:
            for insn in listing:
                counts[kind(insn)] += execs
            continue
        patched = '' if n * execs == insns else ' (count not a multiple)'
        print(f'-- {where}: {execs / ops:.2f} execs/op x {n} insns = '
              f'{insns / ops:.2f} insns/op{patched}')
        for insn in listing:
            print(f'       {insn}')
    if mix:
        print(f'region {region}, {", ".join(sorted(syms)) or "all of .text"}:'
              ' executed instructions per op by kind')
        for k, v in counts.most_common():
            print(f'  {k:18s} {v / ops:9.2f}')
    print(f'  total {total / ops:.2f} insns/op')


if __name__ == '__main__':
    main(sys.argv[1:])
