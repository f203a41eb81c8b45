// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the qtest client: the line parser, the command checker,
 * and whole exchanges with a scripted peer on a socketpair (IRQ lines
 * between a command and its reply, replies cut in pieces, FAIL/ERR, a
 * peer that goes away), work directories of a QEMU that fails to start.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "qtest.h"

static void test_parse(void **state)
{
	struct hvt_qtest_line l;

	assert_int_equal(hvt_qtest_parse_line("OK", 2, &l), HVT_QTEST_LINE_OK);
	assert_int_equal(l.rest_len, 0);
	assert_int_equal(hvt_qtest_parse_line("OK 0x0003", 9, &l), HVT_QTEST_LINE_OK);
	assert_int_equal(l.rest_len, 6);
	assert_memory_equal(l.rest, "0x0003", 6);
	assert_int_equal(hvt_qtest_parse_line("OK little\r", 10, &l), HVT_QTEST_LINE_OK);
	assert_int_equal(l.rest_len, 6);
	assert_int_equal(hvt_qtest_parse_line("FAIL Unknown device", 19, &l),
			 HVT_QTEST_LINE_FAIL);
	assert_memory_equal(l.rest, "Unknown device", 14);
	assert_int_equal(hvt_qtest_parse_line("ERR x", 5, &l), HVT_QTEST_LINE_ERR);
	assert_int_equal(hvt_qtest_parse_line("IRQ raise 8", 11, &l), HVT_QTEST_LINE_IRQ);
	assert_true(l.raise);
	assert_int_equal(l.irq, 8);
	assert_int_equal(hvt_qtest_parse_line("IRQ lower 23", 12, &l), HVT_QTEST_LINE_IRQ);
	assert_false(l.raise);
	assert_int_equal(l.irq, 23);
	assert_int_equal(hvt_qtest_parse_line("IRQ raise", 9, &l), HVT_QTEST_LINE_BAD);
	assert_int_equal(hvt_qtest_parse_line("IRQ up 1", 8, &l), HVT_QTEST_LINE_BAD);
	assert_int_equal(hvt_qtest_parse_line("IRQ raise 1x", 12, &l), HVT_QTEST_LINE_BAD);
	assert_int_equal(hvt_qtest_parse_line("IRQ raise 99999999999", 21, &l),
			 HVT_QTEST_LINE_BAD);
	assert_int_equal(hvt_qtest_parse_line("OKAY", 4, &l), HVT_QTEST_LINE_BAD);
	assert_int_equal(hvt_qtest_parse_line("", 0, &l), HVT_QTEST_LINE_BAD);
}

/*
 * The peer: for each entry of script, read one command line (checked
 * against the expected prefix before '='), then write the text after '='
 * with '|' marking a pause (the client sees a partial line).
 */
static pid_t peer(int fd, int client_fd, const char *const *script)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	/* Without the client's end, a client that dies ends the peer too. */
	close(client_fd);
	for (size_t i = 0; script[i]; i++) {
		const char *eq = strchr(script[i], '=');
		char line[4096];
		size_t n = 0;

		while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
			n++;
		line[n] = '\0';
		if (strncmp(line, script[i], (size_t)(eq - script[i])))
			_exit(3);
		for (const char *p = eq + 1; *p; p++) {
			if (*p == '|') {
				usleep(20000);
				continue;
			}
			if (write(fd, p, 1) != 1)
				_exit(4);
		}
	}
	_exit(0);
}

static struct hvt_qtest *pair(const char *const *script, pid_t *pid)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest *q;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	*pid = peer(sv[1], sv[0], script);
	close(sv[1]);
	q = hvt_qtest_open_fd(sv[0], 2000, &err);
	assert_non_null(q);
	return q;
}

static void reap(pid_t pid, int want)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), want);
}

static void test_sync(void **state)
{
	static const char *const script[] = {
		"outb 0x70 0xa=OK\n",
		"inb 0x71=IRQ raise 8\nOK 0x|00|26\n",
		"readl 0x1000=OK 0x00000000deadbeef\nIRQ lower 8\n",
		"writeq 0x2000 0x1122334455667788=O|K\n",
		"readq 0x2000=OK 0x1122334455667788\n",
		"b64read 0x0 0x4=OK AAECAw==\n",
		"read 0x0 0x3=OK 0xa0b0c0\n",
		"write 0x10 0x2 0xbeef=OK\n",
		"endianness=OK little\n",
		"irq_intercept_in ioapic=IRQ raise 3\nIRQ lower 3\nIRQ raise 3\nOK\n",
		"inw 0x1=FAIL Unknown command 'inw'\n",
		"inl 0x2=ERR broken\n",
		"inb 0x3=OK 0x1ff\n",
		"clock_step=OK 9223372036854775807\n",
		"clock_step 5=OK 9999999999999999999\n",
		"raw thing=FAIL whatever\n",
		NULL,
	};
	struct hvt_err err = HVT_ERR_INIT;
	uint8_t b, buf[4], hex[3], w[2] = { 0xbe, 0xef };
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	int64_t now = 0;
	bool big = true;
	char *reply;
	pid_t pid;
	struct hvt_qtest *q = pair(script, &pid);

	assert_int_equal(hvt_qtest_outb(q, 0x70, 0xa, &err), 0);
	assert_int_equal(hvt_qtest_inb(q, 0x71, &b, &err), 0);
	assert_int_equal(b, 0x26);
	assert_true(hvt_qtest_irq_level(q, 8));
	assert_int_equal(hvt_qtest_readl(q, 0x1000, &v32, &err), 0);
	assert_int_equal(v32, 0xdeadbeef);
	assert_int_equal(hvt_qtest_writeq(q, 0x2000, 0x1122334455667788ULL, &err), 0);
	assert_int_equal(hvt_qtest_readq(q, 0x2000, &v64, &err), 0);
	assert_true(v64 == 0x1122334455667788ULL);
	assert_int_equal(hvt_qtest_memread(q, 0, buf, 4, &err), 0);
	assert_int_equal(buf[3], 3);
	assert_int_equal(hvt_qtest_memread_hex(q, 0, hex, 3, &err), 0);
	assert_int_equal(hex[2], 0xc0);
	assert_int_equal(hvt_qtest_memwrite_hex(q, 0x10, w, 2, &err), 0);
	assert_int_equal(hvt_qtest_endianness(q, &big, &err), 0);
	assert_false(big);
	/* The IRQ line went down, the lower was read with readl's reply. */
	assert_false(hvt_qtest_irq_level(q, 8));
	assert_int_equal(hvt_qtest_irq_raised(q, 8), 1);
	assert_int_equal(hvt_qtest_irq_intercept_in(q, "ioapic", &err), 0);
	assert_int_equal(hvt_qtest_irq_raised(q, 3), 2);
	assert_int_equal(hvt_qtest_inw(q, 1, &v16, &err), -EREMOTEIO);
	assert_non_null(strstr(err.msg, "Unknown command"));
	assert_int_equal(hvt_qtest_inl(q, 2, &v32, &err), -EREMOTEIO);
	assert_non_null(strstr(err.msg, "ERR broken"));
	/* 0x1ff does not fit a byte. */
	assert_int_equal(hvt_qtest_inb(q, 3, &b, &err), -EPROTO);
	/* The largest clock there is; one past it is not a clock (no overflow). */
	assert_int_equal(hvt_qtest_clock_step(q, -1, &now, &err), 0);
	assert_true(now == INT64_MAX);
	assert_int_equal(hvt_qtest_clock_step(q, 5, &now, &err), -EPROTO);
	assert_int_equal(hvt_qtest_command(q, "raw thing", &reply, &err), 0);
	assert_string_equal(reply, "FAIL whatever");
	free(reply);
	/* Bad arguments are refused before anything is sent. */
	assert_int_equal(hvt_qtest_irq_intercept_in(q, "two words", &err), -EINVAL);
	assert_int_equal(hvt_qtest_memset(q, 0, 0, 0, &err), -EINVAL);
	assert_int_equal(hvt_qtest_set_irq_in(q, "x", NULL, -1, 1, &err), -EINVAL);
	assert_int_equal(hvt_qtest_command(q, "a\nb", &reply, &err), -EINVAL);
	/* The peer has ended: the next command finds the connection closed. */
	assert_int_equal(hvt_qtest_outb(q, 1, 1, &err), -ECONNRESET);
	assert_non_null(strstr(err.msg, "closed"));
	assert_int_equal(hvt_qtest_outb(q, 1, 1, &err), -ECONNRESET);
	hvt_qtest_free(q);
	reap(pid, 0);
}

static void test_batch(void **state)
{
	enum { N = 3000 };
	static const char *script[2 * N + 2];
	struct hvt_err err = HVT_ERR_INIT;
	static uint32_t vals[N];
	static char replies[N][64];
	uint8_t b = 0;
	pid_t pid;
	struct hvt_qtest *q;

	for (int i = 0; i < N; i++) {
		script[2 * i] = "writel =OK\n";
		snprintf(replies[i], sizeof(replies[i]), "readl =%sOK 0x%016x\n",
			 i % 7 ? "" : "IRQ raise 5\nIRQ lower 5\n", i);
		script[2 * i + 1] = replies[i];
	}
	script[2 * N] = "inb 0x1=FAIL no|pe\n";
	script[2 * N + 1] = NULL;
	q = pair(script, &pid);
	hvt_qtest_batch_begin(q);
	for (int i = 0; i < N; i++) {
		assert_int_equal(hvt_qtest_writel(q, 0x1000 + 4 * (uint64_t)i, (uint32_t)i, &err), 0);
		assert_int_equal(hvt_qtest_readl(q, 0x1000 + 4 * (uint64_t)i, &vals[i], &err), 0);
	}
	assert_int_equal(hvt_qtest_inb(q, 1, &b, &err), 0);
	assert_int_equal(hvt_qtest_batch_end(q, &err), -EREMOTEIO);
	assert_non_null(strstr(err.msg, "FAIL nope"));
	assert_non_null(strstr(err.msg, "6001"));
	for (int i = 0; i < N; i++)
		assert_int_equal(vals[i], i);
	assert_int_equal(hvt_qtest_irq_raised(q, 5), (N + 6) / 7);
	assert_int_equal(hvt_qtest_ncommands(q), 2 * N + 1);
	hvt_qtest_free(q);
	reap(pid, 0);
}

static void test_feed(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest *q;
	uint32_t v = 0;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	q = hvt_qtest_open_fd(sv[0], 1000, &err);
	hvt_qtest_batch_begin(q);
	assert_int_equal(hvt_qtest_readl(q, 0, &v, &err), 0);
	assert_int_equal(hvt_qtest_feed(q, "IRQ ra", 6, &err), 0);
	assert_int_equal(hvt_qtest_feed(q, "ise 2\nOK 0x0000000", 18, &err), 0);
	assert_true(hvt_qtest_irq_level(q, 2));
	assert_int_equal(hvt_qtest_feed(q, "0000000f\n", 9, &err), 0);
	assert_int_equal(v, 15);
	/* A reply nobody waits for breaks the connection for good. */
	assert_int_equal(hvt_qtest_feed(q, "OK\n", 3, &err), -EPROTO);
	assert_int_equal(hvt_qtest_feed(q, "IRQ raise 1\n", 12, &err), -EPROTO);
	hvt_qtest_batch_end(q, &err);
	hvt_qtest_free(q);
	close(sv[1]);
}

static void test_timeout(void **state)
{
	static const char *const script[] = { "inb 0x1=OK 0x|", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest *q;
	uint8_t b;
	pid_t pid;
	int sv[2];

	(void)script;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	q = hvt_qtest_open_fd(sv[0], 200, &err);
	assert_int_equal(hvt_qtest_inb(q, 1, &b, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "inb 0x1"));
	hvt_qtest_free(q);
	close(sv[1]);
	q = hvt_qtest_open_fd(-1, 200, &err);
	assert_null(q);
	pid = 0;
	(void)pid;
}

/* Lines that would make QEMU abort are refused before anything is sent. */
static void test_check_command(void **state)
{
	static const char *const good[] = {
		"outb 0x80 0x1", "outw 65535 0", "outl 0xcf8 0x80000000", "inb 0x71", "inl 0xffff",
		"writeb 0x1000 255", "writeq 0x0 0xffffffffffffffff", "readq 0x10000", "readb 0777",
		"read 0x0 0x10", "b64read 0 4", "write 0x10 0x2 0xbeef", "write 0x10 0x4 0xbe",
		"b64write 0x0 4 AAECAw==", "memset 0x0 0 0xff", "memset 0x0 0x1000 7",
		"endianness", "irq_intercept_in ioapic", "irq_intercept_out /machine/unattached",
		"set_irq_in ioapic unnamed-gpio-in 5 1", "set_irq_in /m/x name -1 -2147483648",
		"clock_step", "clock_step 100", "clock_set 0x100", "clock_step -9223372036854775808",
		"module_load accel tcg-x", NULL,
	};
	static const struct { const char *line, *why; } bad[] = {
		{ "", "one line" },
		{ "outb 0x80", "usage: outb PORT VALUE" },		/* missing argument */
		{ "outb  0x80 0x1", "empty word" },			/* double space */
		{ "outb 0x80 0x1 ", "empty word" },
		{ " inb 0x80", "unknown command ''" },
		{ "inb 0x80 0x1", "usage: inb PORT" },
		{ "no_such_command 1", "unknown command 'no_such_command'" },
		{ "inbx 1", "unknown command" },
		{ "inb 0x10000", "not a port" },
		{ "inb -1", "not a port" },
		{ "readl 0x1g", "not an unsigned" },
		{ "readl 0x", "not an unsigned" },
		{ "readl 08", "not an unsigned" },
		{ "readl +1", "not an unsigned" },
		{ "writeq 0 0x10000000000000000", "not an unsigned" },
		{ "read 0x0 0", "not a length" },
		{ "read 0x0 0x10000001", "not a length" },
		{ "write 0x0 2 0xbeefaa", "3 bytes of data for a length of 2" },
		{ "write 0x0 2 beef", "not 0x" },
		{ "write 0x0 2 0xbee", "not 0x" },
		{ "write 0x0 2 0xbexf", "not 0x" },
		{ "b64write 0x0 5 AAECAw==", "4 bytes of data for a length of 5" },
		{ "b64write 0x0 4 A*EC", "not base64" },
		{ "set_irq_in ioapic unnamed-gpio-in 5", "usage: set_irq_in" },
		{ "set_irq_in ioapic unnamed-gpio-in 5 2147483648", "not an int" },
		{ "set_irq_in ioapic unnamed-gpio-in x 1", "argument 3" },
		{ "clock_set", "usage: clock_set NS" },
		{ "clock_step 9223372036854775808", "not a 64-bit" },
		{ "irq_intercept_in", "usage" },
		{ "inb\t0x80", "printable" },
		{ "endianness now", "usage: endianness" },
	};
	struct hvt_err err = HVT_ERR_INIT;

	for (size_t i = 0; good[i]; i++)
		if (hvt_qtest_check_command(NULL, good[i], &err))
			fail_msg("'%s' refused: %s", good[i], err.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hvt_err_clear(&err);
		if (hvt_qtest_check_command(NULL, bad[i].line, &err) != -EINVAL)
			fail_msg("'%s' taken", bad[i].line);
		if (!strstr(err.msg, bad[i].why))
			fail_msg("'%s': '%s' does not say '%s'", bad[i].line, err.msg, bad[i].why);
	}
}

static void record_irq(void *opaque, unsigned int n, bool raise)
{
	char *log = opaque;
	size_t len = strlen(log);

	snprintf(log + len, 256 - len, "%c%u ", raise ? '+' : '-', n);
}

static void count_quit(void *opaque, int rc, const struct hvt_err *err)
{
	(*(int *)opaque)++;
}

/* Every IRQ line reaches the hook in order, lowers included, wherever it came. */
static void test_irq_hook(void **state)
{
	static const char *const script[] = {
		"inb 0x1=IRQ raise 3\nIRQ lower 3\nOK 0x|00\nIRQ raise 300\n",
		"inb 0x2=IRQ raise 3\nOK 0x01\n",
		NULL,
	};
	struct hvt_err err = HVT_ERR_INIT;
	char log[256] = "";
	int quits = 0;
	uint8_t b;
	pid_t pid;
	struct hvt_qtest *q = pair(script, &pid);

	hvt_qtest_on_irq(q, record_irq, log);
	assert_int_equal(hvt_qtest_inb(q, 1, &b, &err), 0);
	assert_int_equal(hvt_qtest_inb(q, 2, &b, &err), 0);
	assert_string_equal(log, "+3 -3 +300 +3 ");
	assert_int_equal(hvt_qtest_irq_raised(q, 3), 2);
	/* A client with no QEMU of its own: quit just closes, and tells the hook once. */
	hvt_qtest_on_quit(q, count_quit, &quits);
	assert_int_equal(hvt_qtest_quit(q, 0, &err), 0);
	assert_int_equal(hvt_qtest_quit(q, 0, &err), 0);
	assert_int_equal(quits, 1);
	assert_int_equal(hvt_qtest_inb(q, 2, &b, &err), -ESHUTDOWN);
	assert_int_equal(hvt_qtest_pid(q), -1);
	assert_null(hvt_qtest_workdir(q));
	hvt_qtest_free(q);
	reap(pid, 0);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/*
 * A QEMU that ends before connecting: its files were all under
 * HVT_WORKDIR, and the directory made for them is gone afterwards (kept
 * with HVT_KEEP=1). Nothing lands in /tmp.
 */
static void test_workdir(void **state)
{
	char dir[] = "/tmp/hvt-unit-qtest-XXXXXX";
	const char *const args[] = { "-no-such-option", NULL };
	struct hvt_qtest_opts opts = { .qemu = "/bin/false", .args = args };
	struct hvt_err err = HVT_ERR_INIT;
	char *given;

	assert_non_null(mkdtemp(dir));
	setenv("HVT_WORKDIR", dir, 1);
	unsetenv("HVT_KEEP");
	assert_null(hvt_qtest_start(&opts, &err));
	assert_non_null(strstr(err.msg, "exited with code 1"));
	assert_int_equal(entries(dir), 0);
	setenv("HVT_KEEP", "1", 1);
	assert_null(hvt_qtest_start(&opts, &err));
	assert_int_equal(entries(dir), 1);
	unsetenv("HVT_KEEP");
	/* A directory given is used as it is, and made when missing. */
	given = hvt_asprintf("%s/given/deeper", dir);
	opts.workdir = given;
	assert_null(hvt_qtest_start(&opts, &err));
	assert_int_equal(access(given, F_OK), 0);
	free(given);
	given = hvt_asprintf("%s/given/deeper/qemu.stderr", dir);
	assert_int_equal(access(given, F_OK), 0);
	free(given);
	/* A socket path longer than sun_path is refused with a hint. */
	given = hvt_asprintf("%s/%0200d", dir, 0);
	opts.workdir = given;
	assert_null(hvt_qtest_start(&opts, &err));
	assert_int_equal(err.code, -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "HVT_WORKDIR"));
	free(given);
	unsetenv("HVT_WORKDIR");
	hvt_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_sync),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_feed),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_check_command),
		cmocka_unit_test(test_irq_hook),
		cmocka_unit_test(test_workdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
