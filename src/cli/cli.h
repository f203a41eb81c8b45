/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the subcommands share: the dispatch signature, error reporting
 * (the only place hvtest exits on error) and the machine options.
 */
#ifndef HVT_CLI_H
#define HVT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hvtest.h"

/* Exit statuses: 0 success, 1 failure, 2 bad usage. */
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

int cmd_guest(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_qmp(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_smoke(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_results(int argc, char **argv);
int cmd_qtest(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_screen(int argc, char **argv);
int cmd_needle(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_publish(int argc, char **argv);

/* The publish token's file, under $HOME (hvtest publish, hvtest run --publish). */
#define CLI_TOKEN_FILE ".config/hvtest/publish-token"
#define CLI_TOKEN_FILE_HELP "~/" CLI_TOKEN_FILE
struct hvt_publish_opts;
/*
 * Publish as o says with the token read from token_file (NULL: the
 * default); prints the run's URL on out, the warnings on stderr. Returns an
 * exit status.
 */
int cli_publish(const struct hvt_publish_opts *o, const char *token_file, FILE *out);

/* "hvtest: <msg>" on stderr. */
void cli_error(const char *fmt, ...) HVT_PRINTF(1, 2);
/* "hvtest: <what>: <err->msg>" on stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const struct hvt_err *err, const char *what);
/* Usage error: message, hint to --help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) HVT_PRINTF(2, 3);
/* True when stdout is a terminal and NO_COLOR is unset. */
bool cli_color(void);

/*
 * Machine options shared by "vm run" and "smoke": parsed from long options
 * into an hvt_vm_config. The strings point into argv or owned vectors.
 */
struct cli_vm_opts {
	struct hvt_vm_config cfg;
	struct hvt_strv devices, drives, extra;
	double boot_timeout;	/* seconds to wait for the agent */
};

/* getopt_long option table entries for the machine options (NULL-ended). */
extern const struct option cli_vm_longopts[];
#define CLI_VM_OPTS_HELP                                                              \
	"Machine options:\n"                                                          \
	"  --qemu BIN          QEMU binary (default: $HVT_QEMU or qemu-system-x86_64)\n" \
	"  --accel kvm|tcg     accelerator (default: probed; $HVT_ACCEL)\n"           \
	"  --machine TYPE      machine type (default: pc)\n"                          \
	"  -m, --memory MIB    guest memory in MiB (default: 512)\n"                  \
	"  --maxmem MIB        maximum memory for hot-plug (default: none)\n"         \
	"  --smp N             virtual CPUs (default: 1)\n"                           \
	"  --kernel FILE       boot this kernel instead of the default guest\n"       \
	"  --initrd FILE       initramfs for --kernel\n"                              \
	"  --append ARGS       kernel command line for --kernel\n"                    \
	"  --disk IMAGE        boot a disk image with qemu-guest-agent installed\n"   \
	"  --device SPEC       add a -device (repeatable)\n"                          \
	"  --drive SPEC        add a -drive (repeatable)\n"                           \
	"  --qemu-arg ARG      add a raw QEMU argument (repeatable)\n"                \
	"  --vnc DISPLAY       enable a VNC display (e.g. unix:/tmp/vnc.sock)\n"      \
	"  --display std|virtio  a VGA or virtio-vga card, VNC on vnc.sock in the work dir\n" \
	"  --tablet            a USB tablet (absolute pointer) besides the PS/2 mouse\n" \
	"  --workdir DIR       machine work directory (kept afterwards)\n"            \
	"  --keep              keep the generated work directory\n"                   \
	"  --boot-timeout S    seconds to wait for the guest agent (default: 120)\n"

/*
 * Fill out (room for cap entries) with the n entries of own followed by
 * the machine options and the terminating zero entry.
 */
void cli_vm_longopts_merge(struct option *out, size_t cap, const struct option *own, size_t n);

void cli_vm_opts_init(struct cli_vm_opts *o);
void cli_vm_opts_release(struct cli_vm_opts *o);
/*
 * Handle one getopt_long result belonging to the machine options.
 * Returns 1 if handled, 0 if not a machine option, -1 on a bad value
 * (message printed).
 */
int cli_vm_opts_parse(struct cli_vm_opts *o, int opt, const char *arg);

/* Parse a positive number with an optional unit-less suffix check. */
int cli_parse_u64(const char *what, const char *s, uint64_t *out);
int cli_parse_seconds(const char *what, const char *s, double *out);

#endif
