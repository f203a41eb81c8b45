/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stand-ins for QEMU: shell scripts that behave as a QEMU does on a host
 * of some kind (KVM aborting, hanging, working), wrapping the real binary.
 * Shared by the unit and integration tests and the benchmarks.
 */
#ifndef HVT_FAKEQEMU_H
#define HVT_FAKEQEMU_H

#include "util.h"

/*
 * Write an executable shell script at dir/name: "#!/bin/sh", then body.
 * Returns its path (caller frees), or NULL with err set.
 */
char *fakeqemu_script(const char *dir, const char *name, const char *body,
		      struct hvt_err *err);

/*
 * A QEMU that fails under KVM as a nested AMD EPYC host does: with -cpu
 * host it prints "failed to set MSR 0x10a to 0x69" and aborts; with any
 * other model it runs the shell command other ("exec sleep 600": the guest
 * hangs; "exit 0": the guest resets at once under -no-reboot). Without
 * KVM it is the real QEMU.
 */
char *fakeqemu_kvm_aborts(const char *dir, const char *real, const char *other,
			  struct hvt_err *err);

/* A QEMU on which KVM works: TCG underneath, -cpu host taken as max. */
char *fakeqemu_kvm_works(const char *dir, const char *real, struct hvt_err *err);

#endif
