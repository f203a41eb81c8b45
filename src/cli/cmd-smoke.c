// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest smoke: boot a guest and walk it through the QMP and agent
 * operations every later suite relies on, timing each step.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char smoke_usage[] =
	"usage: hvtest smoke [OPTIONS]\n\n"
	"Boot the default guest (or the one the machine options name) and run a\n"
	"short tour: agent exec and file I/O, QMP status, stop/cont with events,\n"
	"a balloon change, PCI hot-plug and hot-unplug, a fio verify job, ACPI\n"
	"power-down. Prints each step with its time and a summary; on failure\n"
	"keeps the work directory (console log, QMP transcript, QEMU stderr).\n\n"
	"  -h, --help   this text\n\n" CLI_VM_OPTS_HELP;

struct smoke {
	struct hvt_vm *vm;
	struct cli_vm_opts *o;
	uint64_t mem_mib;
	double boot_s;
	bool have_tools;
};

typedef int (*smoke_fn)(struct smoke *s, char *detail, size_t len, struct hvt_err *err);

static int guest_sh(struct smoke *s, const char *cmd, char *out, size_t len,
		    struct hvt_err *err)
{
	struct hvt_qga_exec_result res = { 0 };
	int rc = hvt_vm_sh(s->vm, cmd, 120000, &res, err);

	if (rc)
		return rc;
	if (res.exit_code || res.signal) {
		rc = hvt_err_set(err, -EIO, "'%s' failed (exit %d, signal %d): %s%s", cmd,
				 res.exit_code, res.signal, res.err, res.out);
	} else if (out) {
		size_t n = strcspn(res.out, "\n");

		snprintf(out, len, "%.*s", (int)n, res.out);
	}
	hvt_qga_exec_result_release(&res);
	return rc;
}

static int step_boot(struct smoke *s, char *detail, size_t len, struct hvt_err *err)
{
	int64_t t0 = hvt_now_ms();
	int rc;

	rc = hvt_vm_start(s->vm, err);
	if (!rc)
		rc = hvt_vm_wait_agent(s->vm, (int)(s->o->boot_timeout * 1000), err);
	s->boot_s = (double)(hvt_now_ms() - t0) / 1000;
	if (!rc)
		snprintf(detail, len, "agent answered %.2f s after QEMU started", s->boot_s);
	return rc;
}

static int step_uname(struct smoke *s, char *detail, size_t len, struct hvt_err *err)
{
	char out[256];
	int rc = guest_sh(s, "uname -r", out, sizeof(out), err);

	if (!rc)
		snprintf(detail, len, "guest kernel %s", out);
	return rc;
}

static int step_files(struct smoke *s, char *detail, size_t len, struct hvt_err *err)
{
	static const char text[] = "hvtest was here\n";
	char *back = NULL;
	size_t n;
	int rc;

	rc = hvt_qga_file_write(hvt_vm_qga(s->vm), "/tmp/hvtest-smoke", text, strlen(text),
				30000, err);
	if (!rc)
		rc = hvt_qga_file_read(hvt_vm_qga(s->vm), "/tmp/hvtest-smoke", &back, &n, 30000,
				       err);
	if (!rc && (n != strlen(text) || memcmp(back, text, n)))
		rc = hvt_err_set(err, -EIO, "read back %zu bytes that differ from the %zu written",
				 n, strlen(text));
	if (!rc)
		snprintf(detail, len, "wrote and read back /tmp/hvtest-smoke (%zu bytes)", n);
	free(back);
	return rc;
}

static int step_status(struct smoke *s, char *detail, size_t len, struct hvt_err *err)
{
	struct json_object *ret = NULL;
	const char *status;
	int rc = hvt_vm_qmp(s->vm, &ret, err, "query-status", NULL);

	if (rc)
		return rc;
	status = hvt_json_get_str(ret, "status");
	if (!status || strcmp(status, "running"))
		rc = hvt_err_set(err, -EIO, "status is %s, not running", status ? status : "?");
	else
		snprintf(detail, len, "status running");
	json_object_put(ret);
	return rc;
}

static int step_stopcont(struct smoke *s, char *detail, size_t len, struct hvt_err *err)
{
	int rc = hvt_vm_pause(s->vm, err);

	if (!rc)
		rc = hvt_vm_cont(s->vm, err);
	if (!rc)
		rc = hvt_qga_ping(hvt_vm_qga(s->vm), 30000, err);
	if (!rc)
		snprintf(detail, len, "STOP and RESUME events seen; agent answers after cont");
	return rc;
}

static int step_balloon(struct smoke *s, char *detail, size_t len, struct hvt_err *err)
{
	uint64_t target = s->mem_mib * 3 / 4;
	struct json_object *ret = NULL;
	int64_t actual = 0, deadline;
	int rc;

	rc = hvt_vm_qmp(s->vm, NULL, err, "balloon", "{'value': %llu}",
			(unsigned long long)(target << 20));
	deadline = hvt_now_ms() + 60000;
	while (!rc && actual != (int64_t)(target << 20)) {
		struct hvt_qmp_event *ev = NULL;

		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(s->vm), "BALLOON_CHANGE", NULL, NULL,
					hvt_ms_left(deadline), &ev, err);
		if (rc)
			break;
		actual = hvt_json_get_int(ev->data, "actual", 0);
		hvt_qmp_event_free(ev);
	}
	if (!rc)
		rc = hvt_vm_qmp(s->vm, &ret, err, "query-balloon", NULL);
	if (!rc && hvt_json_get_int(ret, "actual", -1) != (int64_t)(target << 20))
		rc = hvt_err_set(err, -EIO, "query-balloon says %lld bytes, target %llu",
				 (long long)hvt_json_get_int(ret, "actual", -1),
				 (unsigned long long)(target << 20));
	json_object_put(ret);
	if (!rc)
		rc = hvt_vm_qmp(s->vm, NULL, err, "balloon", "{'value': %llu}",
				(unsigned long long)(s->mem_mib << 20));
	if (!rc)
		snprintf(detail, len, "%llu MiB -> %llu MiB (BALLOON_CHANGE), then back",
			 (unsigned long long)s->mem_mib, (unsigned long long)target);
	return rc;
}

static bool is_hp0(const struct hvt_qmp_event *ev, void *opaque)
{
	const char *dev = hvt_json_get_str(ev->data, "device");

	return dev && !strcmp(dev, "hvt-hp0");
}

static int step_hotplug(struct smoke *s, char *detail, size_t len, struct hvt_err *err)
{
	/* virtio-rng: ID 1af4:1005 (transitional) */
	static const char seen[] =
		"grep -l 0x1005 /sys/bus/pci/devices/*/device | wc -l";
	char before[32], during[32];
	struct hvt_qmp_event *ev = NULL;
	int rc;

	rc = guest_sh(s, seen, before, sizeof(before), err);
	if (!rc)
		rc = hvt_vm_qmp(s->vm, NULL, err, "device_add",
				"{'driver': 'virtio-rng-pci', 'id': 'hvt-hp0'}");
	/* The guest's ACPI hot-plug handler scans the slot shortly after. */
	for (int64_t deadline = hvt_now_ms() + 30000; !rc;) {
		rc = guest_sh(s, seen, during, sizeof(during), err);
		if (rc || atoi(during) > atoi(before))
			break;
		if (!hvt_ms_left(deadline)) {
			rc = hvt_err_set(err, -ETIMEDOUT, "the guest did not see the new device");
			break;
		}
	}
	if (!rc)
		rc = hvt_vm_qmp(s->vm, NULL, err, "device_del", "{'id': 'hvt-hp0'}");
	if (!rc)
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(s->vm), "DEVICE_DELETED", is_hp0, NULL, 30000,
					&ev, err);
	hvt_qmp_event_free(ev);
	if (!rc)
		snprintf(detail, len, "virtio-rng-pci plugged, seen by the guest, unplugged "
				      "(DEVICE_DELETED)");
	return rc;
}

static int step_fio(struct smoke *s, char *detail, size_t len, struct hvt_err *err)
{
	char out[256];
	int rc;

	if (!s->have_tools) {
		snprintf(detail, len, "skipped: no tools disk (user guest)");
		return 1;
	}
	rc = guest_sh(s, "fio --name=smoke --filename=/tmp/fio.dat --size=4M --bs=4k "
			 "--rw=randwrite --verify=crc32c --do_verify=1 --output-format=terse "
			 "--minimal | cut -d';' -f3,6", out, sizeof(out), err);
	if (!rc)
		snprintf(detail, len, "randwrite+verify of 4 MiB passed (job;write KiB: %s)", out);
	return rc;
}

static int step_powerdown(struct smoke *s, char *detail, size_t len, struct hvt_err *err)
{
	int rc = hvt_vm_powerdown(s->vm, 60000, err);

	if (!rc)
		snprintf(detail, len, "SHUTDOWN event, QEMU exited");
	return rc;
}

static const struct {
	const char *name;
	smoke_fn fn;
} steps[] = {
	{ "boot", step_boot },
	{ "agent exec", step_uname },
	{ "agent files", step_files },
	{ "qmp status", step_status },
	{ "stop/cont", step_stopcont },
	{ "balloon", step_balloon },
	{ "hot-plug", step_hotplug },
	{ "fio verify", step_fio },
	{ "power-down", step_powerdown },
};

int cmd_smoke(int argc, char **argv)
{
	static const struct option own[] = { { "help", no_argument, NULL, 'h' } };
	struct hvt_err err = HVT_ERR_INIT;
	struct smoke s = { 0 };
	struct option longopts[64];
	struct cli_vm_opts o;
	size_t passed = 0, skipped = 0, notrun = 0, nsteps = HVT_ARRAY_SIZE(steps);
	bool color = cli_color(), failed = false;
	int64_t t0 = hvt_now_ms();
	int opt, rc = CLI_EXIT_FAIL;

	cli_vm_longopts_merge(longopts, HVT_ARRAY_SIZE(longopts), own, HVT_ARRAY_SIZE(own));
	cli_vm_opts_init(&o);
	while ((opt = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
		int h = cli_vm_opts_parse(&o, opt, optarg);

		if (h < 0) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (h)
			continue;
		if (opt == 'h') {
			fputs(smoke_usage, stdout);
			rc = 0;
			goto out;
		}
		rc = cli_usage_error("smoke", "bad option");
		goto out;
	}
	if (optind != argc) {
		rc = cli_usage_error("smoke", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	s.o = &o;
	s.mem_mib = o.cfg.mem_mib ? o.cfg.mem_mib : 512;
	s.have_tools = !o.cfg.kernel && !o.cfg.disk;
	if (!o.cfg.devices) {
		/* The balloon step needs one; a user's --device list decides itself. */
		hvt_strv_push(&o.devices, "virtio-balloon-pci,id=balloon0");
		o.cfg.devices = (const char *const *)o.devices.v;
	}
	o.cfg.name = "smoke";
	s.vm = hvt_vm_new(&o.cfg, &err);
	if (!s.vm) {
		rc = cli_fail(&err, "smoke");
		goto out;
	}
	printf("accelerator: %s (%s)\n", hvt_vm_accel(s.vm),
	       o.cfg.accel ? "chosen with --accel" : hvt_vm_accel_info(s.vm)->reason);
	printf("work directory: %s\n\n", hvt_vm_workdir(s.vm));
	for (size_t i = 0; i < nsteps; i++) {
		char detail[512] = "";
		int64_t ts = hvt_now_ms();
		int r;

		hvt_err_clear(&err);
		r = failed ? 1 : steps[i].fn(&s, detail, sizeof(detail), &err);
		if (failed)
			snprintf(detail, sizeof(detail), "not run: an earlier step failed");
		printf("[%zu/%zu] %-12s %s%-4s%s %6.2f s  %s\n", i + 1, nsteps, steps[i].name,
		       color ? (r < 0 ? "\033[31m" : r ? "\033[33m" : "\033[32m") : "",
		       r < 0 ? "FAIL" : r ? "SKIP" : "ok", color ? "\033[0m" : "",
		       (double)(hvt_now_ms() - ts) / 1000, r < 0 ? err.msg : detail);
		fflush(stdout);
		if (r < 0) {
			failed = true;
		} else if (failed) {
			notrun++;
		} else if (r) {
			skipped++;
		} else {
			passed++;
		}
	}
	printf("\n%zu passed, %zu failed, %zu skipped, %zu not run in %.1f s "
	       "(boot to agent %.2f s)\n",
	       passed, nsteps - passed - skipped - notrun, skipped, notrun,
	       (double)(hvt_now_ms() - t0) / 1000, s.boot_s);
	if (failed) {
		printf("forensics kept in %s: console.log, qmp.log, qemu.stderr\n",
		       hvt_vm_workdir(s.vm));
		setenv("HVT_KEEP", "1", 1);
	}
	rc = failed ? CLI_EXIT_FAIL : 0;
out:
	hvt_vm_free(s.vm);
	cli_vm_opts_release(&o);
	return rc;
}
