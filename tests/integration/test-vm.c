// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One default guest, many operations: agent exec and files, QMP errors,
 * balloon, stop/cont, hot-plug, reset and agent-driven reboot.
 */
#include <stdlib.h>
#include <string.h>

#include "itest.h"

static struct hvt_vm *vm;

static const char *const devices[] = { "virtio-balloon-pci,id=balloon0", NULL };

static int group_setup(void **state)
{
	struct hvt_vm_config cfg;

	if (itest_require_guest())
		return itest_missing_is_failure();
	itest_config(&cfg, "itest-vm", devices);
	vm = itest_boot(&cfg);
	return 0;
}

static int group_teardown(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;

	if (vm && hvt_vm_quit(vm, 10000, &err))
		fprintf(stderr, "quit: %s\n", err.msg);
	hvt_vm_free(vm);
	return 0;
}

/* The kernel's random boot id: a new one on every boot. */
static char *guest_boot_id(void)
{
	return itest_sh(vm, "cat /proc/sys/kernel/random/boot_id");
}

static int64_t guest_memtotal_kib(void)
{
	char *out = itest_sh(vm, "awk '/^MemTotal:/ {print $2}' /proc/meminfo");
	int64_t v = atoll(out);

	free(out);
	return v;
}

static void test_exec_uname(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_guest g;
	char *out;

	ITEST_NEED(vm);

	itest_ok(hvt_guest_locate(&g, &err), &err);
	out = itest_sh(vm, "uname -r");
	out[strcspn(out, "\n")] = '\0';
	assert_string_equal(out, g.kver);
	free(out);
}

static void test_exec_status_and_streams(void **state)
{
	static const char *const argv[] = { "/bin/sh", "-c",
					     "echo to-out; echo to-err >&2; exit 3", NULL };
	struct hvt_qga_exec_result res = { 0 };
	struct hvt_err err = HVT_ERR_INIT;

	ITEST_NEED(vm);

	itest_ok(hvt_vm_exec(vm, argv, 60000, &res, &err), &err);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(res.signal, 0);
	assert_string_equal(res.out, "to-out\n");
	assert_string_equal(res.err, "to-err\n");
	hvt_qga_exec_result_release(&res);
}

static void test_agent_files(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	size_t len = 150 * 1024, got_len = 0;
	char *data = malloc(len), *got = NULL, *sum;

	ITEST_NEED(vm);

	/* binary content across several agent read chunks */
	for (size_t i = 0; i < len; i++)
		data[i] = (char)(i * 131 + (i >> 9));
	itest_ok(hvt_qga_file_write(hvt_vm_qga(vm), "/tmp/itest.bin", data, len, 60000, &err),
		 &err);
	sum = itest_sh(vm, "wc -c < /tmp/itest.bin");
	assert_int_equal(atol(sum), (long)len);
	free(sum);
	itest_ok(hvt_qga_file_read(hvt_vm_qga(vm), "/tmp/itest.bin", &got, &got_len, 60000, &err),
		 &err);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, data, len);
	free(got);
	free(data);
}

static void test_qmp_errors(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;

	ITEST_NEED(vm);

	assert_int_equal(hvt_vm_qmp(vm, NULL, &err, "no-such-command", NULL), -EREMOTEIO);
	assert_string_equal(err.cls, "CommandNotFound");
	assert_int_equal(hvt_vm_qmp(vm, NULL, &err, "device_del", "{'id': 'nope'}"), -EREMOTEIO);
	assert_string_equal(err.cls, "DeviceNotFound");
	assert_non_null(strstr(err.msg, "nope"));
	/* the connection is still good after errors */
	itest_ok(hvt_vm_qmp(vm, NULL, &err, "query-status", NULL), &err);
}

struct balloon_want {
	int64_t actual;
};

static bool balloon_reached(const struct hvt_qmp_event *ev, void *opaque)
{
	const struct balloon_want *w = opaque;

	return hvt_json_get_int(ev->data, "actual", -1) == w->actual;
}

static void balloon_to(int64_t mib)
{
	struct balloon_want want = { mib << 20 };
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret = NULL;
	struct hvt_qmp_event *ev = NULL;

	itest_ok(hvt_vm_qmp(vm, NULL, &err, "balloon", "{'value': %lld}", (long long)want.actual),
		 &err);
	itest_ok(hvt_qmp_event_wait(hvt_vm_qmp_client(vm), "BALLOON_CHANGE", balloon_reached, &want,
				    120000, &ev, &err),
		 &err);
	hvt_qmp_event_free(ev);
	itest_ok(hvt_vm_qmp(vm, &ret, &err, "query-balloon", NULL), &err);
	assert_int_equal(hvt_json_get_int(ret, "actual", -1), want.actual);
	json_object_put(ret);
}

static void test_balloon_roundtrip(void **state)
{
	int64_t before, after, back;

	ITEST_NEED(vm);

	before = guest_memtotal_kib();
	balloon_to(384);
	after = guest_memtotal_kib();
	/* 128 MiB taken: MemTotal drops by that much, give or take 4 MiB */
	assert_in_range(before - after, 124 * 1024, 132 * 1024);
	balloon_to(512);
	back = guest_memtotal_kib();
	assert_in_range(back - after, 124 * 1024, 132 * 1024);
}

static void test_stop_cont(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret = NULL;

	ITEST_NEED(vm);

	itest_ok(hvt_vm_pause(vm, &err), &err);
	itest_ok(hvt_vm_qmp(vm, &ret, &err, "query-status", NULL), &err);
	assert_string_equal(hvt_json_get_str(ret, "status"), "paused");
	json_object_put(ret);
	/* a paused guest's agent cannot answer */
	assert_int_equal(hvt_qga_ping(hvt_vm_qga(vm), 1000, &err), -ETIMEDOUT);
	itest_ok(hvt_vm_cont(vm, &err), &err);
	itest_ok(hvt_vm_qmp(vm, &ret, &err, "query-status", NULL), &err);
	assert_string_equal(hvt_json_get_str(ret, "status"), "running");
	json_object_put(ret);
	itest_ok(hvt_vm_wait_agent(vm, 60000, &err), &err);
	itest_ok(hvt_qga_ping(hvt_vm_qga(vm), 30000, &err), &err);
}

static bool is_rng1(const struct hvt_qmp_event *ev, void *opaque)
{
	const char *dev = hvt_json_get_str(ev->data, "device");

	return dev && !strcmp(dev, "rng1");
}

static int guest_rng_devices(void)
{
	/* virtio-rng transitional device ID 0x1005 */
	char *out = itest_sh(vm, "grep -l 0x1005 /sys/bus/pci/devices/*/device | wc -l");
	int n = atoi(out);

	free(out);
	return n;
}

static void test_hotplug_unplug(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qmp_event *ev = NULL;
	int64_t deadline;

	ITEST_NEED(vm);

	assert_int_equal(guest_rng_devices(), 0);
	itest_ok(hvt_vm_qmp(vm, NULL, &err, "device_add",
			    "{'driver': 'virtio-rng-pci', 'id': 'rng1'}"),
		 &err);
	deadline = hvt_now_ms() + 30000;
	while (guest_rng_devices() != 1 && hvt_ms_left(deadline))
		;
	assert_int_equal(guest_rng_devices(), 1);
	itest_ok(hvt_vm_qmp(vm, NULL, &err, "device_del", "{'id': 'rng1'}"), &err);
	itest_ok(hvt_qmp_event_wait(hvt_vm_qmp_client(vm), "DEVICE_DELETED", is_rng1, NULL, 60000, &ev,
				    &err),
		 &err);
	hvt_qmp_event_free(ev);
	assert_int_equal(guest_rng_devices(), 0);
	/* and QEMU agrees it is gone */
	assert_int_equal(hvt_vm_qmp(vm, NULL, &err, "device_del", "{'id': 'rng1'}"), -EREMOTEIO);
}

static void test_system_reset(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *before, *after;

	ITEST_NEED(vm);

	before = guest_boot_id();
	itest_ok(hvt_vm_reset(vm, &err), &err);
	itest_ok(hvt_vm_wait_agent(vm, ITEST_BOOT_MS, &err), &err);
	after = guest_boot_id();
	assert_string_not_equal(before, after);
	free(before);
	free(after);
}

static bool is_guest_reset(const struct hvt_qmp_event *ev, void *opaque)
{
	return hvt_json_get_bool(ev->data, "guest", false);
}

static void test_agent_reboot(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qmp_event *ev = NULL;
	char *before, *after;

	ITEST_NEED(vm);

	before = guest_boot_id();
	/* drop every event so far, also those still unread on the socket */
	itest_ok(hvt_qmp_poll(hvt_vm_qmp_client(vm), 0, &err), &err);
	hvt_qmp_event_clear(hvt_vm_qmp_client(vm));
	itest_ok(hvt_qga_shutdown(hvt_vm_qga(vm), "reboot", &err), &err);
	/* the guest's own reset, not one the host asked for */
	itest_ok(hvt_qmp_event_wait(hvt_vm_qmp_client(vm), "RESET", is_guest_reset, NULL, 60000,
				    &ev, &err),
		 &err);
	hvt_qmp_event_free(ev);
	/* the agent restarts: the client must resynchronise */
	itest_ok(hvt_vm_wait_agent(vm, ITEST_BOOT_MS, &err), &err);
	after = guest_boot_id();
	assert_string_not_equal(before, after);
	free(before);
	free(after);
	itest_ok(hvt_vm_check_alive(vm, &err), &err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_uname),
		cmocka_unit_test(test_exec_status_and_streams),
		cmocka_unit_test(test_agent_files),
		cmocka_unit_test(test_qmp_errors),
		cmocka_unit_test(test_balloon_roundtrip),
		cmocka_unit_test(test_stop_cont),
		cmocka_unit_test(test_hotplug_unplug),
		cmocka_unit_test(test_system_reset),
		cmocka_unit_test(test_agent_reboot),
	};

	return cmocka_run_group_tests_name("vm", tests, group_setup, group_teardown);
}
