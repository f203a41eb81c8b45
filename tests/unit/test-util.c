// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for util.c: errors, string vectors, buffers, clocks, files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define T(path, fn) { path, fn, NULL, NULL, NULL }

static void test_err(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char big[3000];

	assert_int_equal(hvt_err_set(&err, -ENOENT, "no %s here", "file"), -ENOENT);
	assert_int_equal(err.code, -ENOENT);
	assert_string_equal(err.msg, "no file here");
	snprintf(err.cls, sizeof(err.cls), "GenericError");
	/* Setting again clears the class. */
	hvt_err_set(&err, -EIO, "io");
	assert_string_equal(err.cls, "");

	assert_int_equal(hvt_err_prefix(&err, "reading %s", "disk.img"), -EIO);
	assert_string_equal(err.msg, "reading disk.img: io");
	hvt_err_append(&err, " (%d tries)", 3);
	assert_string_equal(err.msg, "reading disk.img: io (3 tries)");
	assert_int_equal(err.code, -EIO);

	hvt_err_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(err.cls, "");

	/* NULL err: nothing is written, the code still comes back. */
	assert_int_equal(hvt_err_set(NULL, -EPERM, "x"), -EPERM);
	assert_int_equal(hvt_err_prefix(NULL, "x"), 0);
	hvt_err_append(NULL, "x");
	hvt_err_clear(NULL);

	/* Long messages are cut, never overflow. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	hvt_err_set(&err, -E2BIG, "%s", big);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	hvt_err_prefix(&err, "prefix");
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_memory_equal(err.msg, "prefix: aaa", 11);
	hvt_err_append(&err, "more");
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	hvt_err_set(&err, -E2BIG, "%.*s", (int)sizeof(err.msg) - 3, big);
	hvt_err_append(&err, "xyz");
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_string_equal(err.msg + sizeof(err.msg) - 4, "axy");
}

static void test_alloc(void **state)
{
	char *s = hvt_strndup("abcdef", 3), *p;

	assert_string_equal(s, "abc");
	free(s);
	s = hvt_asprintf("%d-%s", 42, "x");
	assert_string_equal(s, "42-x");
	free(s);
	p = hvt_zalloc(64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(p[i], 0);
	p = hvt_realloc(p, 4096);
	free(p);
	free(hvt_malloc(0));
}

static void test_snprintf(void **state)
{
	char buf[8];

	assert_int_equal(hvt_snprintf(buf, sizeof(buf), "%s", "1234567"), 7);
	assert_string_equal(buf, "1234567");
	assert_int_equal(hvt_snprintf(buf, sizeof(buf), "%s", "12345678"), -ENAMETOOLONG);
	assert_int_equal(hvt_snprintf(buf, sizeof(buf), "%d/%d", 10, 200), 6);
	assert_string_equal(buf, "10/200");
}

static void test_strv(void **state)
{
	static const char *const more[] = { "it's", "", "a\"b", NULL };
	struct hvt_strv sv = HVT_STRV_INIT;
	char *joined;

	joined = hvt_strv_join_quoted(&sv);
	assert_string_equal(joined, "");
	free(joined);

	hvt_strv_push(&sv, "qemu-system-x86_64");
	hvt_strv_pushf(&sv, "-m %dM", 512);
	hvt_strv_push(&sv, "path=/a/b,x=1:2@3+4%");
	hvt_strv_pushv(&sv, more);
	hvt_strv_pushv(&sv, NULL);
	assert_int_equal(sv.n, 6);
	assert_null(sv.v[sv.n]);
	assert_string_equal(sv.v[1], "-m 512M");

	joined = hvt_strv_join_quoted(&sv);
	assert_string_equal(joined, "qemu-system-x86_64 '-m 512M' path=/a/b,x=1:2@3+4% "
				    "'it'\\''s' '' 'a\"b'");
	free(joined);

	/* Growing past the first allocation keeps the NULL terminator. */
	for (int i = 0; i < 100; i++)
		hvt_strv_pushf(&sv, "%d", i);
	assert_int_equal(sv.n, 106);
	assert_string_equal(sv.v[105], "99");
	assert_null(sv.v[106]);
	hvt_strv_release(&sv);
	assert_null(sv.v);
	assert_int_equal(sv.n, 0);
}

static void test_buf(void **state)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_add(&b, "", 0);
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	hvt_buf_add(&b, "hello", 5);
	hvt_buf_addf(&b, " %s %d", "world", 7);
	assert_int_equal(b.len, 13);
	assert_string_equal(b.p, "hello world 7");
	hvt_buf_consume(&b, 6);
	assert_string_equal(b.p, "world 7");
	assert_int_equal(b.len, 7);
	hvt_buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	/* Binary data, and growth well past the first allocation. */
	for (int i = 0; i < 10000; i++)
		hvt_buf_add(&b, "\0x", 2);
	assert_int_equal(b.len, 20000);
	assert_int_equal(b.p[19998], '\0');
	assert_int_equal(b.p[19999], 'x');
	assert_int_equal(b.p[20000], '\0');
	hvt_buf_release(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	hvt_buf_consume(&b, 1);
}

static void test_clocks(void **state)
{
	char wall[40];
	int64_t t0 = hvt_now_ms();
	double d0 = hvt_now();

	usleep(20000);
	assert_true(hvt_now_ms() - t0 >= 20);
	assert_true(hvt_now() - d0 >= 0.02);
	assert_int_equal(hvt_ms_left(t0 - 5), 0);
	assert_true(hvt_ms_left(hvt_now_ms() + 1000) > 900);
	assert_int_equal(hvt_ms_left(INT64_MAX / 2), 0x7fffffff);

	hvt_wallclock(wall, sizeof(wall));
	assert_int_equal(strlen(wall), 27);
	assert_int_equal(wall[4], '-');
	assert_int_equal(wall[10], 'T');
	assert_int_equal(wall[19], '.');
	assert_int_equal(wall[26], 'Z');
	assert_true(!strncmp(wall, "20", 2));
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/hvt-test-util-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return hvt_strdup(tmpl);
}

static void test_files(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *dir = tmpdir(), *path, *data, *tail;
	size_t len;

	path = hvt_asprintf("%s/f", dir);
	assert_int_equal(hvt_file_write(path, "a\0b", 3, &err), 0);
	assert_int_equal(hvt_file_read(path, &data, &len, &err), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "a\0b", 4);
	free(data);

	assert_int_equal(hvt_file_read("/nonexistent/x", &data, &len, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/x"));
	assert_int_equal(hvt_file_write("/nonexistent/x", "", 0, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/x"));

	assert_int_equal(hvt_file_write(path, "1\n2\n3\n4\n", 8, &err), 0);
	tail = hvt_file_tail(path, 2);
	assert_string_equal(tail, "3\n4\n");
	free(tail);
	tail = hvt_file_tail(path, 10);
	assert_string_equal(tail, "1\n2\n3\n4\n");
	free(tail);
	tail = hvt_file_tail(path, 1);
	assert_string_equal(tail, "4\n");
	free(tail);
	/* No newline at the end. */
	assert_int_equal(hvt_file_write(path, "1\n2\n3", 5, &err), 0);
	tail = hvt_file_tail(path, 2);
	assert_string_equal(tail, "2\n3");
	free(tail);
	assert_int_equal(hvt_file_write(path, "", 0, &err), 0);
	tail = hvt_file_tail(path, 3);
	assert_string_equal(tail, "");
	free(tail);
	assert_null(hvt_file_tail("/nonexistent/x", 3));

	assert_true(hvt_path_exists(path));
	assert_false(hvt_path_exists("/nonexistent/x"));
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
	free(dir);
}

static void test_mkdir_rm(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *dir = tmpdir(), *deep, *file, *outside, *keep, *link;
	struct stat st;

	deep = hvt_asprintf("%s/a/b/c/d", dir);
	assert_int_equal(hvt_mkdir_p(deep, 0755, &err), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Again: existing directories are fine, and so is a trailing slash. */
	assert_int_equal(hvt_mkdir_p(deep, 0755, &err), 0);
	free(deep);
	deep = hvt_asprintf("%s/a/b/c/d/", dir);
	assert_int_equal(hvt_mkdir_p(deep, 0755, &err), 0);

	file = hvt_asprintf("%s/a/b/file", dir);
	assert_int_equal(hvt_file_write(file, "x", 1, &err), 0);
	free(deep);
	deep = hvt_asprintf("%s/a/b/file/sub", dir);
	assert_int_equal(hvt_mkdir_p(deep, 0755, &err), -ENOTDIR);
	assert_non_null(strstr(err.msg, "file"));

	/* A symlink to a directory elsewhere: removed, not followed. */
	outside = tmpdir();
	keep = hvt_asprintf("%s/keep", outside);
	assert_int_equal(hvt_file_write(keep, "k", 1, &err), 0);
	link = hvt_asprintf("%s/a/link", dir);
	assert_int_equal(symlink(outside, link), 0);

	assert_int_equal(hvt_rm_rf(dir), 0);
	assert_false(hvt_path_exists(dir));
	assert_true(hvt_path_exists(keep));
	/* Removing what is not there is not an error. */
	assert_int_equal(hvt_rm_rf(dir), 0);
	assert_int_equal(hvt_rm_rf(outside), 0);
	assert_false(hvt_path_exists(outside));

	free(link);
	free(keep);
	free(outside);
	free(deep);
	free(file);
	free(dir);
}

static void test_which(void **state)
{
	char *sh = hvt_which("sh");

	assert_non_null(sh);
	assert_true(sh[0] == '/');
	assert_int_equal(access(sh, X_OK), 0);
	free(sh);
	sh = hvt_which("/bin/sh");
	assert_string_equal(sh, "/bin/sh");
	free(sh);
	assert_null(hvt_which("hvt-no-such-program-anywhere"));
	assert_null(hvt_which("/nonexistent/prog"));
}

static void test_write_all(void **state)
{
	char *big = hvt_malloc(1 << 20), *back = hvt_malloc(1 << 20);
	int p[2];
	size_t got = 0;
	int status;
	pid_t pid;

	for (size_t i = 0; i < (1 << 20); i++)
		big[i] = (char)(i * 13);
	assert_int_equal(pipe(p), 0);
	/* More than a pipe holds: the reader must run while writing. */
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(p[0]);
		_exit(hvt_write_all(p[1], big, 1 << 20) ? 1 : 0);
	}
	close(p[1]);
	while (got < (1 << 20)) {
		ssize_t n = read(p[0], back + got, (1 << 20) - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_memory_equal(big, back, 1 << 20);
	assert_int_equal(hvt_write_all(-1, "x", 1), -EBADF);
	free(big);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T("/util/err", test_err),
		T("/util/alloc", test_alloc),
		T("/util/snprintf", test_snprintf),
		T("/util/strv", test_strv),
		T("/util/buf", test_buf),
		T("/util/clocks", test_clocks),
		T("/util/files", test_files),
		T("/util/mkdir-rm", test_mkdir_rm),
		T("/util/which", test_which),
		T("/util/write-all", test_write_all),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
