// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest operations of the balloon suite for Linux guests, done with shell
 * commands through the guest agent (busybox is enough).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestos.h"

/* The virtio device the balloon driver is bound to, as "virtioN", or nothing. */
#define BALLOON_DEV "$(basename $(ls -d /sys/bus/virtio/drivers/virtio_balloon/virtio* 2>/dev/null | head -n1) 2>/dev/null)"

/* Run cmd; a non-zero exit is an error quoting its stderr. *out gets stdout (caller frees). */
static int sh(struct hvt_vm *vm, int timeout_ms, const char *cmd, char **out,
	      struct hvt_err *err)
{
	struct hvt_qga_exec_result res = { 0 };
	int ret = hvt_vm_sh(vm, cmd, timeout_ms, &res, err);

	if (ret)
		goto out;
	if (res.exit_code != 0) {
		ret = hvt_err_set(err, -EIO, "guest command '%s' exited with %d: %s", cmd,
				  res.exit_code, res.err ? res.err : "");
		goto out;
	}
	if (out) {
		*out = res.out;
		res.out = NULL;
	}
out:
	hvt_qga_exec_result_release(&res);
	return ret;
}

static long long meminfo_field(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, n) && p[n] == ':')
			return strtoll(p + n + 1, NULL, 10);
	}
	return -1;
}

static int linux_meminfo(struct hvt_vm *vm, int timeout_ms, struct hvt_guestos_mem *m,
			 struct hvt_err *err)
{
	char *text = NULL;
	long long buffers, cached;
	int ret = sh(vm, timeout_ms, "cat /proc/meminfo", &text, err);

	if (ret)
		return ret;
	m->total = meminfo_field(text, "MemTotal");
	m->free = meminfo_field(text, "MemFree");
	m->avail = meminfo_field(text, "MemAvailable");
	buffers = meminfo_field(text, "Buffers");
	cached = meminfo_field(text, "Cached");
	m->caches = buffers >= 0 && cached >= 0 ? buffers + cached : -1;
	if (m->total < 0 || m->free < 0)
		ret = hvt_err_set(err, -EPROTO, "no MemTotal/MemFree in /proc/meminfo: %.200s",
				  text);
	free(text);
	return ret;
}

static int linux_balloon_irqs(struct hvt_vm *vm, int timeout_ms, unsigned long long *n,
			      struct hvt_err *err)
{
	/* Sum the per-CPU counts of the lines naming virtioN or virtioN-<queue>. */
	static const char cmd[] =
		"d=" BALLOON_DEV "; [ -n \"$d\" ] || { echo 'no balloon driver bound' >&2; exit 1; }; "
		"awk -v d=\"$d\" '$NF == d || index($NF, d \"-\") == 1 "
		"{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' "
		"/proc/interrupts";
	char *out = NULL;
	int ret = sh(vm, timeout_ms, cmd, &out, err);

	if (!ret)
		*n = strtoull(out, NULL, 10);
	free(out);
	return ret;
}

static int linux_balloon_state(struct hvt_vm *vm, int timeout_ms, bool *present, bool *bound,
			       struct hvt_err *err)
{
	/* virtio device id 5 is the balloon, whichever transport carries it */
	static const char cmd[] =
		"p=0; for f in /sys/bus/virtio/devices/*/device; do "
		"[ \"$(cat $f 2>/dev/null)\" = 0x0005 ] && p=1; done; "
		"for f in /sys/bus/pci/devices/*; do v=$(cat $f/vendor); d=$(cat $f/device); "
		"[ $v = 0x1af4 ] && { [ $d = 0x1002 ] || [ $d = 0x1045 ]; } && p=1; done; "
		"b=0; [ -n \"" BALLOON_DEV "\" ] && b=1; echo $p $b";
	char *out = NULL;
	int p = 0, b = 0, ret = sh(vm, timeout_ms, cmd, &out, err);

	if (!ret && sscanf(out, "%d %d", &p, &b) != 2)
		ret = hvt_err_set(err, -EPROTO, "unexpected balloon state '%s'", out);
	*present = p;
	*bound = b;
	free(out);
	return ret;
}

static int linux_driver_unload(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err)
{
	return sh(vm, timeout_ms, "rmmod virtio_balloon", NULL, err);
}

static int linux_driver_load(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err)
{
	return sh(vm, timeout_ms, "modprobe virtio_balloon", NULL, err);
}

static int linux_driver_unbind(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err)
{
	static const char cmd[] =
		"d=" BALLOON_DEV "; [ -n \"$d\" ] || { echo 'no balloon driver bound' >&2; exit 1; }; "
		"echo $d > /run/hvt-balloon-dev && "
		"echo $d > /sys/bus/virtio/drivers/virtio_balloon/unbind";

	return sh(vm, timeout_ms, cmd, NULL, err);
}

static int linux_driver_bind(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err)
{
	static const char cmd[] =
		"cat /run/hvt-balloon-dev > /sys/bus/virtio/drivers/virtio_balloon/bind";

	return sh(vm, timeout_ms, cmd, NULL, err);
}

static int linux_driver_info(struct hvt_vm *vm, int timeout_ms, char **info,
			     struct hvt_err *err)
{
	/* busybox modinfo shows no signer: look for the appended signature's marker */
	static const char cmd[] =
		"f=$(modinfo -F filename virtio_balloon) || exit 1; "
		"echo \"file=$f\"; echo \"version=$(uname -r)\"; "
		"echo \"vermagic=$(modinfo -F vermagic virtio_balloon)\"; "
		"echo \"license=$(modinfo -F license virtio_balloon)\"; "
		"echo \"description=$(modinfo -F description virtio_balloon)\"; "
		"if [ \"$(tail -c 28 \"$f\")\" = '~Module signature appended~' ]; "
		"then echo signed=yes; else echo signed=no; fi";

	return sh(vm, timeout_ms, cmd, info, err);
}

static int linux_churn_start(struct hvt_vm *vm, int timeout_ms, long long mib,
			     struct hvt_err *err)
{
	char *cmd = hvt_asprintf(
		"(while :; do dd if=/dev/zero of=/dev/shm/hvt-churn bs=1M count=%lld; "
		"rm -f /dev/shm/hvt-churn; done) </dev/null >/dev/null 2>&1 & "
		"echo $! > /run/hvt-churn.pid", mib);
	int ret = sh(vm, timeout_ms, cmd, NULL, err);

	free(cmd);
	return ret;
}

static int linux_churn_stop(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err)
{
	static const char cmd[] =
		"kill $(cat /run/hvt-churn.pid) && killall dd 2>/dev/null; "
		"rm -f /dev/shm/hvt-churn /run/hvt-churn.pid";

	return sh(vm, timeout_ms, cmd, NULL, err);
}

static int linux_can_suspend(struct hvt_vm *vm, int timeout_ms, bool *can, const char **why,
			     struct hvt_err *err)
{
	char *out = NULL;
	int ret = sh(vm, timeout_ms, "cat /sys/power/state", &out, err);

	*can = false;
	*why = NULL;
	if (ret)
		return ret;
	*can = strstr(out, "mem") != NULL;
	if (!*can)
		*why = "the guest kernel offers no 'mem' in /sys/power/state";
	free(out);
	return 0;
}

static const struct hvt_guestos linux_os = {
	.name = "linux",
	.meminfo = linux_meminfo,
	.balloon_irqs = linux_balloon_irqs,
	.balloon_state = linux_balloon_state,
	.driver_unload = linux_driver_unload,
	.driver_load = linux_driver_load,
	.driver_unbind = linux_driver_unbind,
	.driver_bind = linux_driver_bind,
	.driver_info = linux_driver_info,
	.churn_start = linux_churn_start,
	.churn_stop = linux_churn_stop,
	.can_suspend = linux_can_suspend,
};

const struct hvt_guestos *hvt_guestos_find(const char *os)
{
	if (!os || !strcmp(os, "linux"))
		return &linux_os;
	return NULL;
}
