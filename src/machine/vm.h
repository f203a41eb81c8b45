/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Machines: a description turned into a QEMU command line inside a
 * per-machine work directory (sockets, console log, QMP transcript,
 * stderr), and the machine's life cycle; the process itself is the
 * launcher's (launch.h).
 */
#ifndef HVT_VM_H
#define HVT_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "accel.h"
#include "proc.h"
#include "qga.h"
#include "qmp.h"
#include "util.h"

/*
 * What to run. Strings are borrowed for the duration of hvt_vm_new().
 * Zero/NULL fields take the defaults noted. Without kernel or disk (and
 * without no_guest), the default guest (guest.h) is used.
 */
struct hvt_vm_config {
	const char *name;	/* for messages and the work dir; "vm" */
	const char *qemu;	/* binary; hvt_qemu_binary() */
	const char *accel;	/* "kvm", "tcg"; NULL: hvt_accel_probe() */
	const char *machine;	/* "pc" (ACPI PCI hot-plug on pci.0), "q35"... */
	const char *cpu;	/* -cpu; the probe's (hvt_accel_probe()): "max" under TCG */
	int cpus;		/* 1 */
	uint64_t mem_mib;	/* 512 */
	uint64_t maxmem_mib;	/* 0: no memory hot-plug slots */
	const char *kernel;	/* direct kernel boot */
	const char *initrd;
	const char *append;
	const char *disk;	/* a user's image (qcow2/raw) with the agent */
	const char *const *devices; /* NULL-terminated -device specs */
	const char *const *drives;  /* NULL-terminated -drive specs */
	const char *const *extra;   /* NULL-terminated extra argv items */
	const char *vnc;	/* -vnc argument, or NULL for no display */
	/*
	 * A display: "std" (the VGA the BIOS and Linux's VGA console use) or
	 * "virtio" (virtio-vga), with a VNC server on vnc.sock in the work
	 * dir unless vnc says otherwise. NULL: no graphics card at all.
	 */
	const char *vga;
	/* the display's preferred mode (its EDID), e.g. 1024 x 768; 0: QEMU's */
	int xres, yres;
	bool tablet;		/* a USB tablet (absolute pointer) besides the PS/2 mouse */
	bool no_agent;		/* no virtio-serial agent channel */
	bool no_tools;		/* do not attach the default tools disk */
	/*
	 * No default guest without kernel or disk: the firmware boots what the
	 * drives, devices or network give it (a CD, PXE with -boot n).
	 */
	bool no_guest;
	bool paused;		/* start with -S */
	const char *incoming;	/* -incoming URI (e.g. "defer", "unix:PATH") */
	const char *workdir;	/* NULL: a new dir under $HVT_WORKDIR or /tmp */
	bool keep_workdir;	/* do not remove a generated work dir on free */
};

/* Zero cfg and fill in the defaults: "vm", "pc", 1 CPU, 512 MiB. */
void hvt_vm_config_init(struct hvt_vm_config *cfg);

struct hvt_vm;

/*
 * Validate cfg, pick the accelerator, create the work directory and build
 * the command line. Socket paths longer than sun_path are an error here.
 */
struct hvt_vm *hvt_vm_new(const struct hvt_vm_config *cfg, struct hvt_err *err);
/* Kill QEMU if running, close clients, remove sockets (and a generated work dir). */
void hvt_vm_free(struct hvt_vm *vm);

/* The command line (owned by vm). */
const struct hvt_strv *hvt_vm_argv(const struct hvt_vm *vm);
const char *hvt_vm_workdir(const struct hvt_vm *vm);
const char *hvt_vm_name(const struct hvt_vm *vm);
const char *hvt_vm_accel(const struct hvt_vm *vm);
/* The accelerator, the -cpu model and why they were chosen. */
const struct hvt_accel *hvt_vm_accel_info(const struct hvt_vm *vm);
/* Path of a file in the work dir: "qmp.sock", "console.log", "qemu.stderr"... */
char *hvt_vm_path(const struct hvt_vm *vm, const char *file);

/*
 * Spawn QEMU and connect QMP (and the agent socket). If QEMU exits or
 * rejects the command line, err says how it died and quotes its stderr.
 */
int hvt_vm_start(struct hvt_vm *vm, struct hvt_err *err);
/* Wait until the guest agent answers (after boot or reboot). */
int hvt_vm_wait_agent(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err);

/*
 * The machine's QMP client (for events: hvt_qmp_event_wait()), agent
 * client and QEMU process, owned by vm. NULL before hvt_vm_start(); they
 * stay valid after QEMU ends, until the next hvt_vm_start() or
 * hvt_vm_free(). (The QMP accessor is not hvt_vm_qmp(): that name runs a
 * command, below.)
 */
struct hvt_qmp *hvt_vm_qmp_client(struct hvt_vm *vm);
struct hvt_qga *hvt_vm_qga(struct hvt_vm *vm);
struct hvt_proc *hvt_vm_proc(struct hvt_vm *vm);

/*
 * QMP / agent commands on this machine. When the connection fails because
 * QEMU died, err says how it died and shows the console's last lines.
 * hvt_vm_qmp()'s arguments are built by hvt_json_build() (json.h): %s is a
 * quoted JSON string, "{'id': %s}"; a format that does not build is
 * -EINVAL, with or without err.
 */
int hvt_vm_qmp(struct hvt_vm *vm, struct json_object **ret, struct hvt_err *err,
	       const char *cmd, const char *args_fmt, ...) HVT_PRINTF(5, 6);
int hvt_vm_exec(struct hvt_vm *vm, const char *const argv[], int timeout_ms,
		struct hvt_qga_exec_result *res, struct hvt_err *err);
/* Run a shell command line in the guest (/bin/sh -c), for scripts. */
int hvt_vm_sh(struct hvt_vm *vm, const char *cmdline, int timeout_ms,
	      struct hvt_qga_exec_result *res, struct hvt_err *err);

/* stop / cont, each waiting for its STOP / RESUME event. */
int hvt_vm_pause(struct hvt_vm *vm, struct hvt_err *err);
int hvt_vm_cont(struct hvt_vm *vm, struct hvt_err *err);
/* system_reset, waiting for the RESET event. */
int hvt_vm_reset(struct hvt_vm *vm, struct hvt_err *err);
/* system_powerdown (ACPI), wait for SHUTDOWN and for QEMU to exit. */
int hvt_vm_powerdown(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err);
/*
 * quit over QMP, wait for exit (SIGKILL after timeout_ms) and say how
 * QEMU ended: 0 when it exited with code 0, -ECHILD otherwise (it crashed
 * on the way out, or had to be killed) with err as hvt_vm_check_alive()
 * fills it. 0 when QEMU was not running at the call.
 */
int hvt_vm_quit(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err);
/* SIGKILL QEMU now. */
int hvt_vm_kill(struct hvt_vm *vm);

/*
 * If QEMU has ended, fill err with how (exit code / signal), its stderr
 * tail and the console's last lines, and return -ECHILD. 0 if it runs.
 */
int hvt_vm_check_alive(struct hvt_vm *vm, struct hvt_err *err);
/*
 * The console log's last n lines (caller frees), or NULL; control
 * characters (terminal escapes) become '?', carriage returns are dropped.
 */
char *hvt_vm_console_tail(struct hvt_vm *vm, int n);

#endif
