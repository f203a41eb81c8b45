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

It prints TAP, one test per screen, and the walk's split as metrics
(screenwalk.py).
"""

import os

from screenwalk import ScreenWalk

GUEST_IP = "10.0.2.15"
GATEWAY = "10.0.2.2"
NAMESERVER = "10.0.2.3"
# the proxy the install type forwards to the archive (install.c, PROXY_ADDR)
PROXY = "http://10.0.2.100:3128/"
TYPE_INTERVAL_MS = 80


class Walk(ScreenWalk):
    def __init__(self, env):
        super().__init__(env, "install")
        self.boot = env.get("HVT_PARAM_BOOT", "kernel")
        self.network = env.get("HVT_PARAM_NETWORK", "dhcp")
        self.until = env.get("HVT_PARAM_UNTIL", "archive")

    def expect(self, tag, timeout=None):
        # the first screen waits for the boot
        super().expect(tag, timeout if self.tests else self.boot_timeout)

    def type(self, text):
        super().type(text, TYPE_INTERVAL_MS)

    def retype(self, text):
        """Replace a prefilled entry field's text and confirm it."""
        self.key(*["backspace"] * 20)
        self.type(text)
        self.key("ret")

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
