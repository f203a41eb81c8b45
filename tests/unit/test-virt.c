// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libvirt layer without a daemon: domain XML, control methods and
 * migration flags from plan text, host UUIDs, the daemons' root
 * directories (a SIGKILLed holder's is removed by the next one).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "domain.h"
#include "libvirtd.h"

static void test_xml(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_domain_spec s = {
		.name = "g", .uuid = "0b6a4d1e-6a3c-4c1e-9a57-1c2d3e4f5a6b", .type = "qemu",
		.kernel = "/k", .initrd = "/i", .cmdline = "console=ttyS0", .disk = "/d.raw",
		.console = "/c.log",
	};
	char *x = hvt_domain_xml(&s, &err);

	(void)state;
	assert_non_null(x);
	assert_non_null(strstr(x, "<domain type='qemu'>\n  <name>g</name>\n  <uuid>0b6a4d1e-"));
	assert_non_null(strstr(x, "<memory unit='MiB'>256</memory>"));
	assert_non_null(strstr(x, "<type arch='x86_64' machine='pc'>hvm</type>"));
	assert_non_null(strstr(x, "<kernel>/k</kernel>"));
	assert_non_null(strstr(x, "<cmdline>console=ttyS0</cmdline>"));
	assert_non_null(strstr(x, "<features><acpi/><apic/></features>"));
	assert_non_null(strstr(x, "<cpu mode='maximum' check='none'/>"));
	assert_non_null(strstr(x, "<driver name='qemu' type='raw' cache='none'/>\n"
				  "      <source file='/d.raw'/>"));
	assert_non_null(strstr(x, "<source path='/c.log' append='on'/>"));
	assert_non_null(strstr(x, "name='org.qemu.guest_agent.0'"));
	free(x);
	s.type = "kvm";
	s.disk = s.console = s.uuid = NULL;
	x = hvt_domain_xml(&s, &err);
	assert_non_null(strstr(x, "<cpu mode='host-passthrough'"));
	assert_null(strstr(x, "<disk"));
	assert_null(strstr(x, "<uuid>"));
	free(x);
	/* what XML would need escaped, and what is missing, is refused by name */
	s.disk = "/a&b.raw";
	assert_null(hvt_domain_xml(&s, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "'/a&b.raw'"));
	s.disk = NULL;
	s.kernel = NULL;
	assert_null(hvt_domain_xml(&s, &err));
	assert_non_null(strstr(err.msg, "required"));
}

static void test_parse(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	enum hvt_domain_control c;
	unsigned int f = 123;

	(void)state;
	assert_int_equal(hvt_domain_control_parse("tunnelled", &c, &err), 0);
	assert_int_equal(c, HVT_CONTROL_TUNNELLED);
	assert_string_equal(hvt_domain_control_name(c), "tunnelled");
	assert_int_equal(hvt_domain_control_parse("peer2peer", &c, &err), 0);
	assert_int_equal(c, HVT_CONTROL_P2P);
	assert_int_equal(hvt_domain_control_parse("client", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'client'"));
	assert_int_equal(hvt_domain_flags_parse("", &f, &err), 0);
	assert_int_equal(f, 0);
	assert_int_equal(hvt_domain_flags_parse("none", &f, &err), 0);
	assert_int_equal(f, 0);
	assert_int_equal(hvt_domain_flags_parse(" UNDEFINE_SOURCE|PERSIST ", &f, &err), 0);
	assert_int_equal(f, VIR_MIGRATE_UNDEFINE_SOURCE | VIR_MIGRATE_PERSIST_DEST);
	assert_int_equal(hvt_domain_flags_parse("PAUSED|persist", &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'persist'"));
	assert_string_equal(hvt_domain_state_name(VIR_DOMAIN_PAUSED), "paused");
	assert_string_equal(hvt_domain_state_name(99), "unknown");
}

static void test_uuid(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char a[37], b[37];

	(void)state;
	assert_int_equal(hvt_virt_uuid(a, &err), 0);
	assert_int_equal(hvt_virt_uuid(b, &err), 0);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_true(strchr("89ab", a[19]) != NULL);
	assert_string_not_equal(a, b);
}

/* A child process holding a root under parent: its pid, the root's path into path. */
static pid_t holder(const char *parent, char path[4096])
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct hvt_libvirtd_root *r = hvt_libvirtd_root_new(parent, NULL);
		const char *p = r ? hvt_libvirtd_root_path(r) : "";

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fds[0]);
		if (write(fds[1], p, strlen(p) + 1) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	n = read(fds[0], path, 4096);
	close(fds[0]);
	assert_true(n > 1);
	return pid;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void test_root(void **state)
{
	char parent[] = "/tmp/hvt-unit-virt-XXXXXX", killed[4096], alive[4096];
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_libvirtd_root *r;
	struct timespec old[2] = { { .tv_sec = 1 }, { .tv_sec = 1 } };
	char *young, *stale, *other;
	struct stat st;
	pid_t a, b;

	(void)state;
	assert_non_null(mkdtemp(parent));
	young = hvt_asprintf("%s/hvt-lv-young", parent);
	stale = hvt_asprintf("%s/hvt-lv-stale", parent);
	other = hvt_asprintf("%s/other", parent);
	/* an unmarked root: being made (young), or its maker died before the lock (stale) */
	a = holder(parent, killed);
	b = holder(parent, alive);
	assert_int_equal(mkdir(young, 0700), 0);
	assert_int_equal(mkdir(stale, 0700), 0);
	assert_int_equal(utimensat(AT_FDCWD, stale, old, 0), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_string_not_equal(killed, alive);
	/* held: a sweep leaves both */
	assert_int_equal(hvt_libvirtd_root_sweep(parent), 1);
	assert_true(exists(killed) && exists(alive));
	assert_false(exists(stale));
	/* SIGKILLed: the next root takes its holder's away, and only that */
	assert_int_equal(kill(a, SIGKILL), 0);
	assert_int_equal(waitpid(a, NULL, 0), a);
	r = hvt_libvirtd_root_new(parent, &err);
	assert_non_null(r);
	assert_false(exists(killed));
	assert_true(exists(alive) && exists(young) && exists(other));
	assert_int_equal(stat(hvt_libvirtd_root_path(r), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_int_equal(strncmp(hvt_libvirtd_root_path(r), parent, strlen(parent)), 0);
	assert_int_equal(kill(b, SIGKILL), 0);
	assert_int_equal(waitpid(b, NULL, 0), b);
	assert_int_equal(hvt_libvirtd_root_sweep(parent), 1);
	assert_false(exists(alive));
	assert_true(exists(hvt_libvirtd_root_path(r)));
	hvt_libvirtd_root_free(r);
	/* a parent that is not there: a clear error */
	assert_null(hvt_libvirtd_root_new("/nonexistent/dir", &err));
	assert_non_null(strstr(err.msg, "/nonexistent/dir/hvt-lv-"));
	hvt_rm_rf(parent);
	free(young);
	free(stale);
	free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_root),
	};

	return cmocka_run_group_tests_name("virt", tests, NULL, NULL);
}
