# SPDX-License-Identifier: GPL-2.0-or-later
"""What the installer walks written in Python share: hvtest's screen
command line, one call per action, and TAP on stdout.

A walk runs under the exec type on a machine its test type started; the
parameters arrive as HVT_PARAM_<KEY> (VM_DIR, NEEDLES, HVTEST,
SCREEN_TIMEOUT, BOOT_TIMEOUT and the walk's own). Each asserted screen is
one TAP test; a failed step is "not ok" with the tag it expected and
hvtest's message naming the closest needle, and the walk stops there.
The walk's split (waiting for the guest, matching, input) is printed as
"# metric:" lines, which the exec type records.
"""

import os
import re
import subprocess
import sys
import time

MATCHING = re.compile(r"\(matching ([0-9.]+) s, ([0-9]+) pictures\)")


class ScreenWalk:
    def __init__(self, env, runner):
        self.env = env
        self.runner = runner
        self.vm_dir = self.need("VM_DIR")
        self.needles = self.need("NEEDLES")
        self.hvtest = env.get("HVT_PARAM_HVTEST", "hvtest")
        self.timeout = float(env.get("HVT_PARAM_SCREEN_TIMEOUT", "300"))
        self.boot_timeout = float(env.get("HVT_PARAM_BOOT_TIMEOUT", "900"))
        self.shots = os.path.join(env.get("HVT_CASE_DIR", "."), "screens")
        self.tests = 0
        self.t0 = time.monotonic()
        self.match_s = 0.0
        self.pictures = 0
        self.input_s = 0.0

    def need(self, key):
        value = self.env.get("HVT_PARAM_" + key)
        if not value:
            print("Bail out! HVT_PARAM_%s is not set: run by the %s type" % (key, self.runner))
            sys.exit(2)
        return value

    def screen(self, *args, timeout=None, shots=True):
        """One `hvtest screen` call; the matching it reports is counted."""
        cmd = [self.hvtest, "screen", "--workdir", self.vm_dir, "--needles", self.needles,
               "--timeout", str(timeout if timeout is not None else self.timeout)]
        if shots:
            cmd += ["--shots", self.shots]
        r = subprocess.run(cmd + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        m = MATCHING.search(r.stdout)
        if m:
            self.match_s += float(m.group(1))
            self.pictures += int(m.group(2))
        return r

    def result(self, ok, name, diag=""):
        self.tests += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.tests, name))
        for line in diag.strip().splitlines():
            print("# " + line)
        sys.stdout.flush()
        if not ok:
            self.finish()
            sys.exit(1)

    def expect(self, tag, timeout=None):
        """Assert the screen with tag: a TAP test."""
        t0 = time.monotonic()
        r = self.screen("assert", tag, timeout=timeout)
        dt = time.monotonic() - t0
        if r.returncode == 0:
            self.result(True, "screen %s" % tag, "%s (%.1f s)" % (r.stdout.strip(), dt))
        else:
            self.result(False, "screen %s" % tag,
                        "expected screen %s\n%s" % (tag, r.stderr or r.stdout))

    def act(self, what, *args, timeout=None):
        """An input call (keys, pointer); its time counts as input."""
        t0 = time.monotonic()
        r = self.screen(*args, timeout=timeout, shots=False)
        self.input_s += time.monotonic() - t0
        if r.returncode:
            self.result(False, what, r.stderr or r.stdout)
        return r.stdout

    def key(self, *combos):
        self.act("key %s" % " ".join(combos), "key", *combos)

    def type(self, text, interval_ms):
        self.act("type %r" % text, "--interval", str(interval_ms), "type", text)

    def metric(self, name, value, unit=""):
        print("# metric: %s = %.3f %s" % (name, value, unit))

    def finish(self):
        total = time.monotonic() - self.t0
        self.metric("walk", total, "s")
        self.metric("walk: matching", self.match_s, "s")
        self.metric("walk: input", self.input_s, "s")
        self.metric("walk: waiting for the guest", total - self.match_s - self.input_s, "s")
        self.metric("pictures matched", self.pictures)
        print("1..%d" % self.tests)
