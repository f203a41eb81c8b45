#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Every #include "x.h" in src/ and suites/ must name a header of the same
# layer or of one below it (docs/ARCHITECTURE.md). The build refuses most
# such includes already (each layer sees only the include directories
# below it); this check also holds when a meson.build is changed.
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(__file__))
# layer -> the layers it may include (itself included)
ALLOWED = {
    'src/base': ['src/base'],
    'src/machine': ['src/machine', 'src/base'],
    'src/device': ['src/device', 'src/machine', 'src/base'],
    'src/test': ['src/test', 'src/base'],
    'src/plan': ['src/plan', 'src/base'],
    'src/store': ['src/store', 'src/test', 'src/base'],
    # screens: VNC, needles, matching, input, video on a machine's display
    'src/screen': ['src/screen', 'src/machine', 'src/base'],
    'src/report': ['src/report', 'src/store', 'src/test', 'src/base'],
    # the runner and the session (a whole run: plan, store, reports)
    'src/run': ['src/run', 'src/plan', 'src/store', 'src/report', 'src/test', 'src/base'],
    # libvirt daemons and domains (the only libvirt user)
    'src/virt': ['src/virt', 'src/machine', 'src/base'],
    # the results server and its client (publish)
    'src/serve': ['src/serve', 'src/report', 'src/store', 'src/test', 'src/base'],
    'suites': ['suites', 'src', 'src/screen', 'src/test', 'src/virt', 'src/device', 'src/machine',
               'src/base'],
    'src/cli': None,  # the top: everything
}
GENERATED = {'hvt-config.h'}

headers = {}
for d in ALLOWED:
    for dirpath, _, files in os.walk(os.path.join(ROOT, d)):
        for f in files:
            if f.endswith('.h'):
                headers.setdefault(f, []).append(os.path.relpath(dirpath, ROOT))
headers.setdefault('hvtest.h', []).append('src')


def layer_of(rel):
    best = None
    for d in ALLOWED:
        if rel == d or rel.startswith(d + '/'):
            if best is None or len(d) > len(best):
                best = d
    return best


bad = 0
checked = 0
for d in ALLOWED:
    for dirpath, _, files in os.walk(os.path.join(ROOT, d)):
        rel_dir = os.path.relpath(dirpath, ROOT)
        layer = layer_of(rel_dir)
        for f in sorted(files):
            if not f.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, f)
            with open(path, encoding='utf-8') as fh:
                for n, line in enumerate(fh, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    checked += 1
                    name = os.path.basename(m.group(1))
                    if name in GENERATED or ALLOWED[layer] is None:
                        continue
                    homes = headers.get(name, [])
                    # a header next to the file (a module's own, or a suite's)
                    if rel_dir in homes:
                        continue
                    ok = any((layer_of(h) or h) in ALLOWED[layer] for h in homes)
                    if not ok:
                        where = ', '.join(homes) if homes else 'nowhere in the layers'
                        print(f'{os.path.relpath(path, ROOT)}:{n}: {layer} includes '
                              f'"{m.group(1)}" from {where}: a layer may include only '
                              f'{", ".join(ALLOWED[layer])}')
                        bad += 1
print(f'check-layers: {checked} includes, {bad} going up a layer')
sys.exit(1 if bad else 0)
