#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Debian's Calamares installer walked through every screen by a program.

The same walk as the live type's C code (live-install.c), written against
hvtest's screen command line: each step asserts a screen by its needle tag
(`hvtest screen assert TAG`), clicks buttons and fields where their needle
says (`locate`, then `click 1 X Y` on the USB tablet) and types. The live
type boots the live image, runs this script through the exec type, and
afterwards checks that Calamares exited and powers the machine off. The
parameters arrive as HVT_PARAM_<KEY>:

  HVT_PARAM_VM_DIR           the running machine's work directory (vnc.sock)
  HVT_PARAM_NEEDLES          the needle directory
  HVT_PARAM_HVTEST           the hvtest binary
  HVT_PARAM_LIVE_USER, HVT_PARAM_LIVE_PASSWORD, HVT_PARAM_LIVE_HOSTNAME
                             the account and host name to install
  HVT_PARAM_SCREEN_TIMEOUT   seconds per screen, HVT_PARAM_BOOT_TIMEOUT for
                             the first one, HVT_PARAM_INSTALL_TIMEOUT for
                             the install itself

It prints TAP, one test per screen, and the walk's split as metrics
(screenwalk.py).
"""

import os
import time

from screenwalk import ScreenWalk

# where the pointer waits between clicks: off every needle
PARK = ("1", "1")
TYPE_INTERVAL_MS = 60
# the install is watched in slices, looking for the failure dialog between
FINISHED_POLL_S = 10


class Walk(ScreenWalk):
    def __init__(self, env):
        super().__init__(env, "live")
        self.user = self.need("LIVE_USER")
        self.password = self.need("LIVE_PASSWORD")
        self.hostname = self.need("LIVE_HOSTNAME")
        self.timeout = float(env.get("HVT_PARAM_SCREEN_TIMEOUT", "600"))
        self.install_timeout = float(env.get("HVT_PARAM_INSTALL_TIMEOUT", "3600"))

    def settle(self, still_ms="1500", timeout=30):
        """Wait for the picture to stay still (waiting for the guest)."""
        self.screen("wait-still", still_ms, timeout=timeout, shots=False)

    def click(self, tag):
        # finding the button is matching, not input
        r = self.screen("locate", tag, shots=False)
        if r.returncode:
            self.result(False, "locate %s" % tag, r.stderr or r.stdout)
        x, y = r.stdout.split()
        self.act("click %s" % tag, "click", "1", x, y)
        # park once the guest took the click: a motion folded into an
        # unread release would move the release off the button
        self.settle("1000", 10)
        self.act("park the pointer", "mouse-set", *PARK)

    def fill(self, tag, text):
        self.click(tag)
        self.act("select %s" % tag, "key", "ctrl-a")
        self.type(text, TYPE_INTERVAL_MS)

    def next(self):
        self.click("live-next")
        self.settle()

    def expect_now(self, tag):
        """Assert the screen with tag on the picture there now: a TAP test."""
        r = self.screen("check", tag)
        if r.returncode == 0:
            self.result(True, "screen %s" % tag, r.stdout.strip())
        else:
            self.result(False, "screen %s" % tag,
                        "expected screen %s\n%s" % (tag, r.stderr or r.stdout))

    def wait_finished(self):
        """The install runs for many minutes: watch for its end or its failure."""
        deadline = time.monotonic() + self.install_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.expect_now("live-finished")
                return
            r = self.screen("assert", "live-finished", timeout=min(left, FINISHED_POLL_S),
                            shots=False)
            if r.returncode == 0:
                self.expect_now("live-finished")
                return
            if self.screen("check", "live-install-failed", shots=False).returncode == 0:
                self.screen("grab", os.path.join(self.shots, "install-failed.png"))
                self.result(False, "install",
                            'Calamares says "Installation Failed" '
                            "(screens/install-failed.png, the console has its log)")

    def run(self):
        t0 = time.monotonic()
        self.expect("live-welcome", timeout=self.boot_timeout)
        self.metric("boot to first screen", time.monotonic() - t0, "s")
        self.settle()
        # Calamares' own checks (disk, RAM, root) passed, or Next stays disabled
        r = self.screen("check", "live-welcome-unmet", shots=False)
        self.result(r.returncode == 1, "requirements met",
                    "the welcome page says the computer does not satisfy the minimum "
                    "requirements" if r.returncode == 0 else r.stderr)
        self.next()
        self.expect("live-location")
        self.next()
        self.expect("live-keyboard")
        self.next()
        self.expect("live-partition")
        self.click("live-partition-erase")
        self.settle()
        self.expect("live-partition-erase-chosen")
        self.next()
        self.expect("live-users")
        self.fill("live-users-name", "hvtest user")
        self.fill("live-users-login", self.user)
        self.fill("live-users-hostname", self.hostname)
        self.fill("live-users-password", self.password)
        self.fill("live-users-password2", self.password)
        self.settle()
        self.expect("live-users-filled")
        self.next()
        self.expect("live-summary")
        self.click("live-install")
        t_exec = time.monotonic()
        self.expect("live-installing")
        self.wait_finished()
        self.metric("install (summary to finished)", time.monotonic() - t_exec, "s")
        # do not restart into the live system: uncheck, then Done
        self.click("live-finished-restart")
        self.settle()
        self.expect("live-finished-norestart")
        self.click("live-done")
        self.finish()


if __name__ == "__main__":
    Walk(os.environ).run()
