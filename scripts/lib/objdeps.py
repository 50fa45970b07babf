#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Objects of a kernel build that a set of touched source files can affect.

Reads the touched files (paths relative to the source tree, one per line)
on stdin and the .cmd files of the build dir, and writes to OUT.targets one
line per object to compile ("<object> <source>"), to OUT.deps every
file those objects depend on (sources and headers, one per line), and to
OUT.why one line "<object> <file>" per touched file whose change makes
the object worth compiling at a patch: for an object whose source is
touched, every touched file it depends on; for an includer of a narrow
header, its narrow touched headers only (a change to a wide header it
also includes is compiled at the tip, as for any other includer).

An object is a target when
  - its source file is touched, or
  - it #includes a touched .c file, or
  - it includes a touched header that at most LIMIT objects of this build
    include (a subsystem-private header such as mm/internal.h).
Headers with more includers (include/linux/mm.h, bvec.h...) do not pull
their includers in: those objects are compiled at the tip of the series
only, by the KUnit build.  Their names go to stderr with their counts.
"""

import os
import sys


def parse_cmd(path, srctree, bdir):
    """Return (object, source, deps) from one .cmd file, or None."""
    obj = src = None
    deps = []
    in_deps = False
    with open(path, errors='replace') as f:
        for line in f:
            if line.startswith('source_'):
                key, _, val = line.partition(' := ')
                obj = key[len('source_'):]
                src = val.strip()
                continue
            if line.startswith('deps_'):
                in_deps = True
                continue
            if in_deps:
                s = line.strip()
                if not s or s.endswith(':'):
                    in_deps = False
                    continue
                s = s.rstrip('\\').strip()
                if s and not s.startswith('$(wildcard'):
                    deps.append(s)
    if obj is None or src is None:
        return None
    return obj, rel(src, srctree, bdir), [rel(d, srctree, bdir) for d in deps]


def rel(p, srctree, bdir):
    """Path relative to the source tree, or None if it is not in it."""
    full = os.path.normpath(p if os.path.isabs(p) else os.path.join(bdir, p))
    if full.startswith(srctree + os.sep):
        return full[len(srctree) + 1:]
    return None


def main():
    if len(sys.argv) != 5:
        sys.exit('usage: objdeps.py BUILDDIR SRCTREE LIMIT OUT < touched')
    bdir = os.path.realpath(sys.argv[1])
    srctree = os.path.realpath(sys.argv[2])
    limit = int(sys.argv[3])
    out = sys.argv[4]
    touched = {l.strip() for l in sys.stdin if l.strip()}

    objs = []
    for root, _, files in os.walk(bdir):
        for name in files:
            if not (name.startswith('.') and name.endswith('.o.cmd')):
                continue
            r = parse_cmd(os.path.join(root, name), srctree, bdir)
            if r and r[1] and r[1].endswith(('.c', '.S')):
                objs.append(r)

    includers = {}
    for obj, src, deps in objs:
        for d in deps:
            if d in touched and d != src:
                includers.setdefault(d, []).append(obj)

    targets = {}
    why = {}
    for obj, src, deps in objs:
        if src in touched:
            targets[obj] = (src, deps)
            why[obj] = {src} | {d for d in deps if d in touched}
    for hdr, users in sorted(includers.items()):
        narrow = hdr.endswith('.c') or len(users) <= limit
        if not narrow:
            print(f'objdeps: {hdr}: {len(users)} includers, '
                  'compiled at the tip only', file=sys.stderr)
            continue
        users = set(users)
        for obj, src, deps in objs:
            if obj in users:
                targets[obj] = (src, deps)
                why.setdefault(obj, set()).add(hdr)

    alldeps = set()
    with open(out + '.targets', 'w') as f:
        for obj in sorted(targets):
            src, deps = targets[obj]
            f.write(f'{obj} {src}\n')
            alldeps.add(src)
            alldeps.update(d for d in deps if d)
    with open(out + '.deps', 'w') as f:
        for d in sorted(alldeps):
            f.write(d + '\n')
    with open(out + '.why', 'w') as f:
        for obj in sorted(why):
            for d in sorted(why[obj]):
                f.write(f'{obj} {d}\n')


if __name__ == '__main__':
    main()
