// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The server's registry in the results store: a published run lands whole
 * or not at all, a key is published once, lists filter by user and
 * machine, files and blobs are found, tokens are looked up by hash and
 * revoked; and the server's rules for names and for paths in uploads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "serve.h"
#include "store.h"

static char dir[] = "/tmp/hvt-registry-XXXXXX";

static int setup(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s;

	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
	if (!mkdtemp(dir))
		return -1;
	s = hvt_store_open(dir, &err);
	if (!s || hvt_registry_init(s, &err))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	hvt_store_close(*state);
	hvt_rm_rf(dir);
	return 0;
}

static struct hvt_case *mkcase(long idx, const char *name, bool pass)
{
	struct hvt_case *c = hvt_case_new(name, name, "fx-pass");

	c->index = idx;
	c->attempt = 1;
	hvt_case_check(c, "k", pass, "%s", pass ? "" : "wrong");
	hvt_case_artifact(c, "log", "out.log");
	return c;
}

static int publish(struct hvt_store *s, const char *user, const char *machine,
		   const char *name, struct hvt_case **cases, size_t n, int64_t *id)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_pub_meta m = { .key = { user, machine, "g1", name }, .plan_name = "p",
				  .cpu = "cpu", .bytes = 10 };
	struct hvt_run_info ri = { .started = 1764000000, .finished = 1764000010,
				   .plan = "p.cfg", .total = (long)n, .exit_status = 1,
				   .host = { .hostname = machine } };
	struct hvt_pub_file f[] = { { 0, (char *)"out.log", "aa11", 3 },
				    { -1, (char *)"cpuinfo", "bb22", 5 } };

	return hvt_registry_publish(s, &m, &ri, cases, n, f, 2, id, &err);
}

static void test_publish_whole_or_nothing(void **state)
{
	struct hvt_store *s = *state;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_case *c[2] = { mkcase(0, "a", true), mkcase(1, "b", false) };
	struct hvt_case *dup[2] = { mkcase(0, "a", true), mkcase(0, "a2", true) };
	struct hvt_pub_key k = { "alice", "m1", "g1", "r1" };
	struct hvt_pub p, *v;
	struct hvt_pub_file *files, f;
	struct hvt_run_info *runs;
	size_t n;
	int64_t id = 0;
	bool used;

	assert_int_equal(publish(s, "alice", "m1", "r1", c, 2, &id), 0);
	assert_true(id > 0);
	assert_int_equal(hvt_registry_find(s, &k, &p, &err), 0);
	assert_int_equal(p.run.id, id);
	assert_int_equal(p.run.ncases, 2);
	assert_int_equal(p.run.counts[HVT_FAIL], 1);
	assert_int_equal(p.run.exit_status, 1);
	assert_true(p.run.finished == 1764000010);
	assert_string_equal(p.cpu, "cpu");
	hvt_pub_release(&p);
	/* the same key again: refused, nothing added */
	assert_int_equal(publish(s, "alice", "m1", "r1", c, 2, &id), -EEXIST);
	/* a run whose second case collides fails whole: no run row stays */
	assert_int_equal(publish(s, "alice", "m1", "r2", dup, 2, &id), -EEXIST);
	k.name = "r2";
	assert_int_equal(hvt_registry_find(s, &k, &p, &err), -ENOENT);
	assert_int_equal(hvt_store_runs_list(s, &runs, &n, &err), 0);
	assert_int_equal(n, 1);
	hvt_store_runs_free(runs, n);

	assert_int_equal(publish(s, "bob", "m2", "r1", c, 1, &id), 0);
	assert_int_equal(hvt_registry_list(s, NULL, NULL, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	hvt_pubs_free(v, n);
	assert_int_equal(hvt_registry_list(s, "bob", NULL, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].machine, "m2");
	hvt_pubs_free(v, n);
	assert_int_equal(hvt_registry_list(s, "alice", "m2", &v, &n, &err), 0);
	assert_int_equal(n, 0);
	hvt_pubs_free(v, n);

	assert_int_equal(hvt_registry_files(s, id, &files, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(files[0].case_index, -1); /* run files first */
	assert_string_equal(files[1].sha256, "aa11");
	hvt_pub_files_free(files, n);
	assert_int_equal(hvt_registry_file(s, id, 0, "out.log", &f, &err), 0);
	assert_int_equal(f.size, 3);
	free(f.name);
	assert_int_equal(hvt_registry_file(s, id, 1, "out.log", &f, &err), -ENOENT);
	assert_int_equal(hvt_registry_blob_used(s, "bb22", &used, &err), 0);
	assert_true(used);
	assert_int_equal(hvt_registry_blob_used(s, "cc33", &used, &err), 0);
	assert_false(used);
	/* deleting a run takes its publication and files with it */
	assert_int_equal(hvt_store_run_delete(s, id, &err), 0);
	assert_int_equal(hvt_registry_list(s, "bob", NULL, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	hvt_pubs_free(v, n);
	for (int i = 0; i < 2; i++) {
		hvt_case_free(c[i]);
		hvt_case_free(dup[i]);
	}
}

static void test_tokens(void **state)
{
	struct hvt_store *s = *state;
	struct hvt_err err = HVT_ERR_INIT;
	char *user = NULL, *text = NULL;
	int n;

	assert_int_equal(hvt_registry_token_add(s, "alice", "h1", &err), 0);
	assert_int_equal(hvt_registry_token_add(s, "alice", "h2", &err), 0);
	assert_int_equal(hvt_registry_token_add(s, "bob", "h3", &err), 0);
	assert_int_equal(hvt_registry_token_add(s, "bob", "h3", &err), -EEXIST);
	assert_int_equal(hvt_registry_token_user(s, "h2", &user, &err), 0);
	assert_string_equal(user, "alice");
	free(user);
	assert_int_equal(hvt_registry_token_user(s, "nope", &user, &err), -ENOENT);
	assert_null(user);
	assert_int_equal(hvt_registry_token_list(s, &text, &err), 0);
	assert_string_equal(text, "alice 2\nbob 1\n");
	free(text);
	assert_int_equal(hvt_registry_token_revoke(s, "alice", &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(hvt_registry_token_user(s, "h1", &user, &err), -ENOENT);
	assert_int_equal(hvt_registry_token_revoke(s, "alice", &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(hvt_registry_token_user(s, "h3", &user, &err), 0);
	free(user);
}

static void test_names(void **state)
{
	static const char *const good[] = { "alice", "m-1", "0123abcd", "r.1_x", "A" };
	static const char *const bad[] = { "", ".", "..", ".hidden", "-x", "a/b", "a b",
					   "a%2f", "\xc3\xa9",
					   "12345678901234567890123456789012345678901234567890"
					   "123456789012345" };

	for (size_t i = 0; i < HVT_ARRAY_SIZE(good); i++)
		assert_true(hvt_serve_name_ok(good[i]));
	for (size_t i = 0; i < HVT_ARRAY_SIZE(bad); i++)
		if (hvt_serve_name_ok(bad[i]))
			fail_msg("'%s' taken as a name", bad[i]);
}

static void test_paths(void **state)
{
	static const char *const good[] = { "out.log", "a/b/console.log", "..x/y..", ".hidden",
					    "d\xc3\xa9j\xc3\xa0 vu.txt" };
	static const char *const bad[] = { "", "/etc/passwd", "a/../b", "../x", "a/./b", "a//b",
					   "a/", ".", "..", "a\\b", "a\nb", "x\x7f",
					   "1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17" };

	for (size_t i = 0; i < HVT_ARRAY_SIZE(good); i++)
		if (!hvt_serve_path_ok(good[i]))
			fail_msg("'%s' refused as a path", good[i]);
	for (size_t i = 0; i < HVT_ARRAY_SIZE(bad); i++)
		if (hvt_serve_path_ok(bad[i]))
			fail_msg("'%s' taken as a path", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_publish_whole_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
