#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Rewrite the series file for a new patch order, keeping its comments.

The preamble (comments before the first part header) and the part headers
('# Part N: ...') are kept.  A patch stays under the header it was listed
under; a new patch goes under the header of the patch before it in the
branch (or after it, when it is first; or the last header in the file,
when no neighbour has one).  Move a header line by hand to
regroup; 'make export' keeps what you set.
"""

import sys

HEADER = '# Part '


def main(series_path, order_path):
    with open(order_path) as f:
        order = [l.strip() for l in f if l.strip()]
    try:
        with open(series_path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []

    preamble, headers, part_of = [], [], {}
    cur = None
    for line in lines:
        s = line.strip()
        if s.startswith(HEADER):
            cur = s
            headers.append(s)
        elif s.startswith('#') or not s:
            if cur is None:
                preamble.append(line)
        else:
            part_of[s.split('#')[0].strip()] = cur

    parts = [part_of.get(p) for p in order]
    for i in range(len(parts)):
        if parts[i] is None and i > 0:
            parts[i] = parts[i - 1]
    for i in reversed(range(len(parts))):
        if parts[i] is None and i + 1 < len(parts):
            parts[i] = parts[i + 1]
    # No neighbour has a part yet: the newest header in the file.
    parts = [p if p is not None else (headers[-1] if headers else None)
             for p in parts]

    while preamble and not preamble[-1].strip():
        preamble.pop()
    out = preamble[:]
    last = object()
    for p, h in zip(order, parts):
        if h != last:
            if h is not None:
                out += ['', h]
            last = h
        out.append(p)
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
