#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Debian installer (netboot) walked through its screens by a program.

The same walk as the install type's C code (install.c), written against
hvtest's screen command line: each step asserts a screen by its needle tag
(`hvtest screen assert TAG`) and answers it with keys. The install type
boots the machine and runs this script through the exec type; the
parameters arrive as HVT_PARAM_<KEY>:

  HVT_PARAM_VM_DIR   the running machine's work directory (vnc.sock)
  HVT_PARAM_NEEDLES  the needle directory
  HVT_PARAM_HVTEST   the hvtest binary
  HVT_PARAM_BOOT     kernel or pxe; HVT_PARAM_NETWORK dhcp or manual
  HVT_PARAM_UNTIL    mirror, archive or components; HVT_PARAM_SCREEN_TIMEOUT seconds per
                     screen, HVT_PARAM_BOOT_TIMEOUT for the first one

It prints TAP: one test per screen and per input. A missed screen is
"not ok" with the tag it expected and the closest needle (from hvtest's
own message) as diagnostics, and the walk stops there.
"""

import os
import subprocess
import sys
import time

GUEST_IP = "10.0.2.15"
GATEWAY = "10.0.2.2"
NAMESERVER = "10.0.2.3"
# the proxy the install type forwards to the archive (install.c, PROXY_ADDR)
PROXY = "http://10.0.2.100:3128/"


class Walk:
    def __init__(self, env):
        def need(key):
            value = env.get("HVT_PARAM_" + key)
            if not value:
                print("Bail out! HVT_PARAM_%s is not set: run by the install type" % key)
                sys.exit(2)
            return value

        self.vm_dir = need("VM_DIR")
        self.needles = need("NEEDLES")
        self.hvtest = env.get("HVT_PARAM_HVTEST", "hvtest")
        self.timeout = env.get("HVT_PARAM_SCREEN_TIMEOUT", "300")
        self.boot_timeout = env.get("HVT_PARAM_BOOT_TIMEOUT", "900")
        self.boot = env.get("HVT_PARAM_BOOT", "kernel")
        self.network = env.get("HVT_PARAM_NETWORK", "dhcp")
        self.until = env.get("HVT_PARAM_UNTIL", "archive")
        case_dir = env.get("HVT_CASE_DIR", ".")
        self.shots = os.path.join(case_dir, "screens")
        self.tests = 0
        self.assert_s = 0.0
        self.input_s = 0.0

    def screen(self, *args, timeout=None):
        cmd = [self.hvtest, "screen", "--workdir", self.vm_dir, "--needles",
               self.needles, "--shots", self.shots, "--timeout", timeout or self.timeout]
        return subprocess.run(cmd + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)

    def result(self, ok, name, diag=""):
        self.tests += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.tests, name))
        for line in diag.strip().splitlines():
            print("# " + line)
        sys.stdout.flush()
        if not ok:
            self.finish()
            sys.exit(1)

    def expect(self, tag):
        t0 = time.monotonic()
        # the first screen waits for the boot
        r = self.screen("assert", tag, timeout=None if self.tests else self.boot_timeout)
        dt = time.monotonic() - t0
        self.assert_s += dt
        if r.returncode == 0:
            self.result(True, "screen %s" % tag, "%s (%.1f s)" % (r.stdout.strip(), dt))
        else:
            self.result(False, "screen %s" % tag,
                        "expected screen %s\n%s" % (tag, r.stderr or r.stdout))

    def key(self, *combos):
        t0 = time.monotonic()
        r = self.screen("key", *combos)
        self.input_s += time.monotonic() - t0
        if r.returncode:
            self.result(False, "key %s" % " ".join(combos), r.stderr)

    def type(self, text):
        t0 = time.monotonic()
        r = self.screen("--interval", "80", "type", text)
        self.input_s += time.monotonic() - t0
        if r.returncode:
            self.result(False, "type %r" % text, r.stderr)

    def retype(self, text):
        """Replace a prefilled entry field's text and confirm it."""
        self.key(*["backspace"] * 20)
        self.type(text)
        self.key("ret")

    def finish(self):
        print("# asserts (waiting + matching) %.1f s, input %.1f s"
              % (self.assert_s, self.input_s))
        print("1..%d" % self.tests)

    def run(self):
        manual = self.network == "manual"
        if self.boot == "pxe":
            self.expect("di-boot-menu")
            args = ""
            if manual:
                args += " netcfg/disable_autoconfig=true"
            if self.until == "components":
                # the archive's "stable" is no longer this installer's release
                args += " suite=bookworm"
            if args:
                # the entry's command line, edited at the menu's prompt
                self.key("tab")
                self.type(args)
            self.key("ret")
        for tag in ("di-language", "di-location", "di-keymap"):
            self.expect(tag)
            self.key("ret")
        if manual:
            self.expect("di-net-ip")
            self.type(GUEST_IP + "\n")
            self.expect("di-net-mask")
            self.key("ret")
            self.expect("di-net-gateway")
            self.retype(GATEWAY)
            self.expect("di-net-dns")
            self.retype(NAMESERVER)
        for tag in ("di-hostname", "di-domain"):
            self.expect(tag)
            self.key("ret")
        self.expect("di-mirror-country")
        if self.until != "mirror":
            self.key("ret")
            self.expect("di-mirror")
            self.key("ret")
            self.expect("di-proxy")
            if self.until == "archive":
                # the guest cannot resolve the archive's name
                self.key("ret")
                self.expect("di-mirror-failed")
            else:
                # through the proxy the mirror passes its check; the archive
                # lacks the installer components' .udeb files
                self.type(PROXY + "\n")
                self.expect("di-components-failed")
        self.finish()


if __name__ == "__main__":
    Walk(os.environ).run()
