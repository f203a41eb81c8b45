/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest-level steps the suites share: machines kept in the case's own
 * directory, reboot, device removal, a bounded pause, and the console
 * check every guest-level case ends with.
 */
#ifndef HVT_SUITE_STEPS_H
#define HVT_SUITE_STEPS_H

#include <stdbool.h>

#include "hvtest.h"

/*
 * A new machine (not started) from cfg, named cfg->name, its work
 * directory c->workdir/NAME (cfg->workdir is set for the call). Its
 * console log is added to consoles (for step_check_consoles()) and, inside
 * a case directory, to the case's artifacts as NAME/console.log.
 */
struct hvt_vm *step_vm_new(struct hvt_case *c, struct hvt_vm_config *cfg, struct hvt_strv *consoles,
                           struct hvt_err *err);

/*
 * Reboot the guest, by the agent (guest-shutdown reboot) or hard
 * (system_reset), then wait for QEMU's RESET event and for the agent to
 * answer again, each within timeout_ms.
 */
int step_reboot(struct hvt_vm *vm, bool hard, int timeout_ms, struct hvt_err *err);

/* device_del id, then wait up to timeout_ms for its DEVICE_DELETED event. */
int step_device_del(struct hvt_vm *vm, const char *id, int timeout_ms, struct hvt_err *err);

/*
 * Wait up to ms for QMP events of vm (queued for later waits): a bounded
 * pause between two polls of the guest. Nothing when QEMU is gone.
 */
void step_pause(struct hvt_vm *vm, int ms);

/*
 * One check per console log, "console NAME clean" (NAME: the directory the
 * log is in, the machine's name): no "Call Trace", "BUG:"
 * or "Kernel panic" in it (the first hit is quoted). With skip_reason the
 * checks are skips with that reason (a scenario that means to hurt the
 * guest); a log that cannot be read is a skip too.
 */
void step_check_consoles(struct hvt_case *c, const struct hvt_strv *consoles,
                         const char *skip_reason);

#endif
