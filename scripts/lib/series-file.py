#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Rewrite the series file for a new patch order, keeping its comments.

Usage: series-file.py SERIES ORDER; ORDER lists the branch's patch file
names (no folder), in branch order.  The new series goes to stdout.

The preamble (comments before the first part header) and the part headers
('# Part N: ...') are kept.  Every part has its own folder under patches/
(the folder of the part's entries; for a part with none yet, 'partN-'
and the first word of the header's title: '# Part 2: scamem, ...' gives
'part2-scamem').  A patch stays in the part it was listed under; a
new patch goes to the part of the patch before it in the branch (or after
it, when it is first; or the last part in the file, when no neighbour has
one).  Move a patch line under another header to regroup; 'make export'
keeps what you set and moves the file.
"""

import re
import sys

HEADER = re.compile(r'^# Part ([0-9]+):')


def main(series_path, order_path):
    with open(order_path) as f:
        order = [l.strip() for l in f if l.strip()]
    try:
        with open(series_path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []

    preamble, headers, part_of, folder, seen = [], [], {}, {}, set()
    cur = None
    for line in lines:
        s = line.strip()
        m = HEADER.match(s)
        if m:
            cur = s
            headers.append(s)
            word = re.sub(r'[^a-z0-9_]', '', s[m.end():].split()[0].lower()
                          if s[m.end():].split() else '').strip('_')
            folder.setdefault(s, 'part' + m.group(1) + ('-' + word if word else ''))
        elif s.startswith('#') or not s:
            if cur is None:
                preamble.append(line)
        else:
            path = s.split('#')[0].strip()
            name = path.rsplit('/', 1)[-1]
            part_of[name] = cur
            if cur is not None and '/' in path and cur not in seen:
                folder[cur] = path.rsplit('/', 1)[0]
                seen.add(cur)

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
    if None in parts:
        sys.exit('series-file.py: error: the series file has no "# Part N:" '
                 'header to put the patches under')

    while preamble and not preamble[-1].strip():
        preamble.pop()
    out = preamble[:]
    last = object()
    for p, h in zip(order, parts):
        if h != last:
            out += ['', h]
            last = h
        out.append(folder[h] + '/' + p)
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
