// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capturing a guest workload's block requests with the guest kernel's blk
 * tracer (CONFIG_BLK_DEV_IO_TRACE, through tracefs), from outside: the
 * guest agent runs the shell that switches it on, the workload and the
 * shell that reads it back.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blkcapture.h"
#include "env.h"
#include "vm.h"

#define SERIAL "hvt-capture"
#define TRACE_FILE "/tmp/hvt-blk.trace"
#define LOG_FILE "/tmp/hvt-workload.log"

const char *const hvt_blkcapture_workloads[] = { "mkfs-copy", "fio-mixed", NULL };

/* busybox only: the guest has no filesystem module but squashfs to mount */
static const char mkfs_copy[] =
	"mke2fs -q -b 1024 -i 4096 \"$DEV\" 32768 && "
	"dd if=/opt/tools/lib/libcrypto.so.3 of=\"$DEV\" bs=64k seek=640 conv=fsync "
	"status=none && "
	"blkdiscard -o 62914560 -l 2097152 \"$DEV\" && "
	"dd if=\"$DEV\" of=/dev/null bs=64k count=64 iflag=direct status=none";

/* one fio run, three jobs one after the other (stonewall), fixed seeds */
static const char fio_mixed[] =
	"fio --output=/tmp/fio.out --randseed=20261201 "
	"--filename=\"$DEV\" --direct=1 --ioengine=libaio --size=48M "
	"--name=write --rw=randwrite --bsrange=4k-64k --iodepth=4 --fsync=8 --number_ios=240 "
	"--name=trim --stonewall --rw=randtrim --bs=128k --number_ios=16 "
	"--name=read --stonewall --rw=randread --bsrange=4k-32k --iodepth=2 --number_ios=120 "
	"|| { cat /tmp/fio.out; exit 1; }";

const char *hvt_blkcapture_workload(const char *name)
{
	if (!strcmp(name, "mkfs-copy"))
		return mkfs_copy;
	if (!strcmp(name, "fio-mixed"))
		return fio_mixed;
	return NULL;
}

/*
 * Run as: sh -c SCRIPT sh WORKLOAD BUFFER_KB. Finds the scratch disk by
 * its serial (read before the tracer is on: reading it is a request), runs
 * the workload and a sync with the tracer on, keeps the trace in
 * TRACE_FILE and says "dev NAME MAJ:MIN", "status N" and "lost N".
 */
static const char script[] =
	"dev=; for d in /sys/block/vd*; do "
	"[ \"$(cat $d/serial 2>/dev/null)\" = " SERIAL " ] && dev=${d##*/}; done; "
	"[ -n \"$dev\" ] || { echo 'no disk with serial " SERIAL "' >&2; exit 90; }; "
	"T=/sys/kernel/tracing; "
	"[ -e $T/current_tracer ] || mount -t tracefs nodev $T || exit 91; "
	"echo 0 > $T/tracing_on && echo nop > $T/current_tracer && "
	"echo \"$2\" > $T/buffer_size_kb && echo blk > $T/current_tracer && "
	"echo 1 > $T/options/blk_classic && "
	"echo issue,complete > /sys/block/$dev/trace/act_mask && "
	"echo 1 > /sys/block/$dev/trace/enable && echo > $T/trace || exit 92; "
	"DEV=/dev/$dev; export DEV; "
	"echo 1 > $T/tracing_on; "
	"sh -c \"$1\" > " LOG_FILE " 2>&1; st=$?; sync; "
	"echo 0 > $T/tracing_on; echo 0 > /sys/block/$dev/trace/enable; "
	"cat $T/trace > " TRACE_FILE "; "
	"lost=0; for f in $T/per_cpu/cpu*/stats; do "
	"for n in $(sed -n 's/^overrun: //p; s/^dropped events: //p' $f); do "
	"lost=$((lost + n)); done; done; "
	"echo nop > $T/current_tracer; "
	"echo \"dev $dev $(cat /sys/block/$dev/dev)\"; echo \"status $st\"; echo \"lost $lost\"";

static int make_disk(const char *path, uint64_t size, struct hvt_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return hvt_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (ftruncate(fd, (off_t)size)) {
		int e = errno;

		close(fd);
		return hvt_err_set(err, -e, "%s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

/* The value after "key " on a line of out, or NULL. */
static const char *field(const char *out, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key);

	for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, k) && p[k] == ' ') {
			size_t n = strcspn(p + k + 1, "\n");

			if (n >= len)
				n = len - 1;
			memcpy(buf, p + k + 1, n);
			buf[n] = '\0';
			return buf;
		}
	}
	return NULL;
}

/* The workload's end and what the tracer kept, from the script's output. */
static int read_trace(struct hvt_vm *vm, const char *out, struct hvt_blktrace *t,
		      struct hvt_err *err)
{
	struct hvt_blktrace_opts po = { HVT_BLKTRACE_BLKPARSE, NULL, "D" };
	char dev[64], st[32], lost[32], name[32], majmin[32], *text = NULL;
	size_t len = 0;
	int rc;

	if (!field(out, "dev", dev, sizeof(dev)) || !field(out, "status", st, sizeof(st)) ||
	    !field(out, "lost", lost, sizeof(lost)) ||
	    sscanf(dev, "%31s %31s", name, majmin) != 2)
		return hvt_err_set(err, -EPROTO, "the capture script said: %.300s", out);
	if (strcmp(st, "0")) {
		char *tail = NULL;

		hvt_qga_file_read(hvt_vm_qga(vm), LOG_FILE, &tail, NULL, 30000, NULL);
		rc = hvt_err_set(err, -ECHILD, "the workload exited with status %s: %.1200s", st,
				 tail ? tail : "(no output)");
		free(tail);
		return rc;
	}
	if (strcmp(lost, "0"))
		return hvt_err_set(err, -EOVERFLOW, "the guest's tracer lost %s events: its "
				   "buffer is too small for this workload", lost);
	for (char *c = majmin; *c; c++)
		if (*c == ':')
			*c = ',';
	po.select = majmin;
	if ((rc = hvt_qga_file_read(hvt_vm_qga(vm), TRACE_FILE, &text, &len, 120000, err)))
		return hvt_err_prefix(err, "reading the guest's trace");
	rc = hvt_blktrace_parse(t, "the guest's block tracer", text, len, &po, err);
	free(text);
	return rc;
}

static int capture(struct hvt_vm *vm, const struct hvt_blkcapture_opts *o, uint64_t size,
		   struct hvt_blktrace *t, struct hvt_err *err)
{
	struct hvt_qga_exec_result res = { 0 };
	char buf_kb[24], size_s[32];
	int rc;

	snprintf(buf_kb, sizeof(buf_kb), "%u", o->buffer_kb ? o->buffer_kb : 65536);
	if ((rc = hvt_vm_start(vm, err)) ||
	    (rc = hvt_vm_wait_agent(vm, o->boot_timeout_ms ? o->boot_timeout_ms : 180000, err)))
		return rc;
	{
		const char *argv[] = { "/bin/sh", "-c", script, "sh", o->workload, buf_kb, NULL };

		rc = hvt_vm_exec(vm, argv, o->timeout_ms ? o->timeout_ms : 600000, &res, err);
	}
	if (rc)
		return hvt_err_prefix(err, "running the workload");
	if (res.signal || res.exit_code)
		rc = hvt_err_set(err, -EPROTO, "the capture script ended with %s %d: %.*s",
				 res.signal ? "signal" : "status",
				 res.signal ? res.signal : res.exit_code, (int)res.err_len,
				 res.err ? res.err : "");
	else
		rc = read_trace(vm, res.out ? res.out : "", t, err);
	hvt_qga_exec_result_release(&res);
	if (rc)
		return rc;
	t->size = size;
	snprintf(size_s, sizeof(size_s), "%" PRIu64, size);
	free(t->source);
	t->source = hvt_asprintf("guest workload on a %s-byte virtio disk: %s", size_s,
				 o->workload);
	return 0;
}

int hvt_blkcapture_run(const struct hvt_blkcapture_opts *o, struct hvt_blktrace *t,
		       struct hvt_err *err)
{
	uint64_t size = o->size ? o->size : 64ull << 20;
	struct hvt_vm_config cfg;
	struct hvt_vm *vm = NULL;
	char *dir = NULL, *vmdir = NULL, *disk = NULL, *drive = NULL;
	struct hvt_err qerr = HVT_ERR_INIT;
	bool made = false;
	int rc;

	if (!o->workload || !*o->workload)
		return hvt_err_set(err, -EINVAL, "no workload to capture");
	if (size % 512)
		return hvt_err_set(err, -EINVAL, "a disk of %" PRIu64 " bytes: expected a "
				   "multiple of 512", size);
	if (o->workdir) {
		dir = hvt_strdup(o->workdir);
		if ((rc = hvt_mkdir_p(dir, 0755, err)))
			goto out;
	} else {
		dir = hvt_asprintf("%s/hvt-capture-XXXXXX", hvt_env_workdir());
		if (!mkdtemp(dir)) {
			rc = hvt_err_set(err, -errno, "%s: %s", dir, strerror(errno));
			goto out;
		}
		made = true;
	}
	disk = hvt_asprintf("%s/disk.raw", dir);
	vmdir = hvt_asprintf("%s/vm", dir);
	if ((rc = make_disk(disk, size, err)))
		goto out;
	drive = hvt_asprintf("file=%s,if=none,id=hvtcap,format=raw,discard=unmap", disk);
	{
		const char *drives[] = { drive, NULL };
		const char *devices[] = { "virtio-blk-pci,drive=hvtcap,serial=" SERIAL, NULL };

		hvt_vm_config_init(&cfg);
		cfg.name = "capture";
		cfg.qemu = o->qemu;
		cfg.drives = drives;
		cfg.devices = devices;
		cfg.workdir = vmdir;
		cfg.keep_workdir = true;
		vm = hvt_vm_new(&cfg, err);
	}
	if (!vm) {
		rc = err && err->code ? err->code : -EINVAL;
		goto out;
	}
	rc = capture(vm, o, size, t, err);
	/* the machine goes whatever happened; a QEMU that crashes on the way out is an error */
	if (hvt_vm_quit(vm, 30000, &qerr) && !rc)
		rc = hvt_err_set(err, qerr.code, "%s", qerr.msg);
	if (rc)
		hvt_blktrace_release(t);
out:
	hvt_vm_free(vm);
	if (made && !hvt_env_keep())
		hvt_rm_rf(dir);
	free(drive);
	free(disk);
	free(vmdir);
	free(dir);
	return rc;
}
