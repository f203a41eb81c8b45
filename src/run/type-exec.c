// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Built-in test types: "exec" runs any executable with the case's
 * parameters in its environment and reads its checks from TAP; "noop"
 * records one passing check (the runner's own overhead).
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proc.h"
#include "runner.h"
#include "testtype.h"

/* "ok 3 - name # SKIP why" -> fields; returns false if not a test line. */
static bool parse_test_line(const char *line, bool *ok, long *num, char *desc, size_t dlen,
			    char *dir, size_t dirlen, char *why, size_t wlen)
{
	const char *p = line, *hash;
	size_t n;

	if (!strncmp(p, "ok", 2) && (p[2] == ' ' || !p[2])) {
		*ok = true;
		p += 2;
	} else if (!strncmp(p, "not ok", 6) && (p[6] == ' ' || !p[6])) {
		*ok = false;
		p += 6;
	} else {
		return false;
	}
	while (*p == ' ')
		p++;
	*num = isdigit((unsigned char)*p) ? strtol(p, (char **)&p, 10) : 0;
	while (*p == ' ')
		p++;
	if (*p == '-' && (p[1] == ' ' || !p[1]))
		p += p[1] ? 2 : 1;
	/* a directive starts at an unescaped '#' */
	hash = p;
	while ((hash = strchr(hash, '#')) && hash > p && hash[-1] == '\\')
		hash++;
	n = hash ? (size_t)(hash - p) : strlen(p);
	while (n && p[n - 1] == ' ')
		n--;
	snprintf(desc, dlen, "%.*s", (int)n, p);
	dir[0] = why[0] = '\0';
	if (hash) {
		const char *d = hash + 1;

		while (*d == ' ')
			d++;
		if (!strncasecmp(d, "skip", 4))
			snprintf(dir, dirlen, "SKIP");
		else if (!strncasecmp(d, "todo", 4))
			snprintf(dir, dirlen, "TODO");
		if (dir[0]) {
			d += 4;
			while (*d && *d != ' ')
				d++;
			while (*d == ' ')
				d++;
			snprintf(why, wlen, "%s", d);
		}
	}
	return true;
}

/*
 * "# metric: NAME = VALUE [UNIT]" -> a metric of the case (NAME may hold
 * blanks, colons and '='; the last " = " splits it from the value).
 * Returns 0 for a line that is no metric line, 1 for a metric, -1 for a
 * metric line that does not parse, which is a failed check naming it.
 */
static int apply_metric(struct hvt_case *c, const char *line)
{
	const char *p = line + 1, *eq = NULL, *q;
	char name[256], *end;
	double value;

	while (*p == ' ')
		p++;
	if (strncmp(p, "metric:", 7))
		return 0;
	p += 7;
	while (*p == ' ')
		p++;
	for (q = strstr(p, " = "); q; q = strstr(q + 1, " = "))
		eq = q;
	if (eq && eq > p && (size_t)(eq - p) < sizeof(name)) {
		snprintf(name, sizeof(name), "%.*s", (int)(eq - p), p);
		value = strtod(eq + 3, &end);
		if (end != eq + 3 && (*end == ' ' || !*end)) {
			while (*end == ' ')
				end++;
			hvt_case_metric(c, name, value, end);
			return 1;
		}
	}
	hvt_case_check(c, "metric line", false, "'%s': expected '# metric: NAME = NUMBER [UNIT]'",
		       line);
	return -1;
}

void hvt_runner_apply_tap(struct hvt_case *c, const char *tap, int exit_code)
{
	char *text = hvt_strdup(tap), *save = NULL, desc[512], dir[8], why[512], name[600];
	long planned = -1, seen = 0, failed = 0;
	bool ok;
	long num;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (line[0] == '#') {
			failed += apply_metric(c, line) < 0;
			continue;
		}
		/* subtests are indented: the parent's summary line counts */
		if (line[0] == ' ' || line[0] == '\t')
			continue;
		if (!strncmp(line, "Bail out!", 9)) {
			hvt_case_error(c, "bailed out:%s", line + 9);
			break;
		}
		if (!strncmp(line, "1..", 3)) {
			char *end;

			planned = strtol(line + 3, &end, 10);
			if (planned == 0 && strcasestr(end, "skip")) {
				const char *w = strcasestr(end, "skip") + 4;

				while (*w == ' ')
					w++;
				hvt_case_skip(c, "%s", *w ? w : "skipped by the test");
			}
			continue;
		}
		if (!parse_test_line(line, &ok, &num, desc, sizeof(desc), dir, sizeof(dir), why,
				     sizeof(why)))
			continue;
		seen++;
		snprintf(name, sizeof(name), "%s", desc[0] ? desc : "");
		if (!name[0])
			snprintf(name, sizeof(name), "test %ld", num ? num : seen);
		if (!strcmp(dir, "SKIP")) {
			hvt_case_check_skip(c, name, "%s", why);
		} else if (!strcmp(dir, "TODO")) {
			/* a TODO test's result does not count */
			hvt_case_check_skip(c, name, "TODO%s%s (%s)", why[0] ? ": " : "", why,
					    ok ? "passed" : "failed");
		} else {
			hvt_case_check(c, name, ok, "%s", ok ? "" : "not ok");
			failed += !ok;
		}
	}
	if (planned >= 0 && planned != seen && !c->errored)
		hvt_case_error(c, "planned %ld tests but ran %ld", planned, seen);
	if (exit_code && !failed && !c->errored)
		hvt_case_error(c, "exited with code %d without a failed test", exit_code);
	if (!seen && planned < 0 && !c->errored && !c->skipped)
		hvt_case_error(c, "printed no TAP (exit code %d)", exit_code);
	free(text);
}

/* HVT_PARAM_<KEY>: upper case, anything but [A-Z0-9] becomes '_' */
static char *param_env(const char *key, const char *value)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_addf(&b, "HVT_PARAM_");
	for (const char *k = key; *k; k++) {
		char ch = isalnum((unsigned char)*k) ? (char)toupper((unsigned char)*k) : '_';

		hvt_buf_add(&b, &ch, 1);
	}
	hvt_buf_addf(&b, "=%s", value);
	return b.p;
}

/*
 * The files the program left in the case's directory that the plan key
 * exec_artifacts names (glob patterns relative to that directory, blank
 * separated, as in docs/RUNNER.md) become the case's artifacts.
 */
static void exec_artifacts(struct hvt_case *c)
{
	const char *pats = hvt_case_param(c, "exec_artifacts", "");
	char *copy = hvt_strdup(pats), *save = NULL;
	size_t skip = c->workdir ? strlen(c->workdir) + 1 : 0;

	for (char *pat = strtok_r(copy, " \t", &save); pat && c->workdir;
	     pat = strtok_r(NULL, " \t", &save)) {
		char *full;
		glob_t g;

		if (*pat == '/' || strstr(pat, "..")) {
			hvt_case_check(c, "exec_artifacts", false, "'%s' is not a path inside "
				       "the case's directory", pat);
			continue;
		}
		full = hvt_asprintf("%s/%s", c->workdir, pat);
		if (glob(full, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				const char *rel = g.gl_pathv[i] + skip;
				bool known = false;
				struct stat st;

				if (stat(g.gl_pathv[i], &st) || !S_ISREG(st.st_mode))
					continue;
				for (size_t k = 0; k < c->nartifacts && !known; k++)
					known = !strcmp(c->artifacts[k].path, rel);
				if (!known)
					hvt_case_artifact(c, rel, rel);
			}
			globfree(&g);
		}
		free(full);
	}
	free(copy);
}

/*
 * The dependencies, as HVT_DEP_COUNT=N and, for each i < N in plan
 * order, HVT_DEP_NAME_<i> (its full name) and HVT_DEP_DIR_<i> (its case
 * directory).
 */
static void dep_env(const struct hvt_case *c, struct hvt_strv *env)
{
	hvt_strv_pushf(env, "HVT_DEP_COUNT=%zu", c->ndeps);
	for (size_t i = 0; i < c->ndeps; i++) {
		hvt_strv_pushf(env, "HVT_DEP_NAME_%zu=%s", i, c->deps[i].name);
		hvt_strv_pushf(env, "HVT_DEP_DIR_%zu=%s", i,
			       c->deps[i].dir ? c->deps[i].dir : "");
	}
}

static void exec_run(struct hvt_case *c, void *state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_strv argv = HVT_STRV_INIT, env = HVT_STRV_INIT;
	const char *cmd = hvt_case_param(c, "exec", NULL);
	const char *args = hvt_case_param(c, "exec_args", "");
	char *out_path, *err_path, *args_copy, *save = NULL, *tap = NULL, how[128];
	struct hvt_proc_status st;
	struct hvt_proc *p;

	if (!cmd || !*cmd) {
		hvt_case_error(c, "type exec needs an 'exec' key naming the program to run");
		return;
	}
	hvt_strv_push(&argv, cmd);
	args_copy = hvt_strdup(args);
	for (char *a = strtok_r(args_copy, " \t", &save); a; a = strtok_r(NULL, " \t", &save))
		hvt_strv_push(&argv, a);
	free(args_copy);
	hvt_strv_pushf(&env, "HVT_CASE_NAME=%s", c->name);
	hvt_strv_pushf(&env, "HVT_CASE_SHORTNAME=%s", c->shortname);
	hvt_strv_pushf(&env, "HVT_CASE_DIR=%s", c->workdir ? c->workdir : ".");
	dep_env(c, &env);
	for (size_t i = 0; i < c->nparams; i++) {
		char *e = param_env(c->params[i].key, c->params[i].value);

		hvt_strv_push(&env, e);
		free(e);
	}
	out_path = hvt_asprintf("%s/exec.stdout", c->workdir ? c->workdir : ".");
	err_path = hvt_asprintf("%s/exec.stderr", c->workdir ? c->workdir : ".");
	{
		struct hvt_proc_opts o = { .argv = (const char *const *)argv.v,
					   .env = (const char *const *)env.v,
					   .stdout_path = out_path,
					   .stderr_path = err_path };

		p = hvt_proc_spawn(&o, &err);
	}
	if (!p) {
		hvt_case_error(c, "%s", err.msg);
		goto out;
	}
	/* the runner's timeout bounds this wait */
	hvt_proc_wait(p, -1, &st);
	hvt_proc_free(p);
	if (hvt_file_read(out_path, &tap, NULL, &err)) {
		hvt_case_error(c, "%s", err.msg);
		goto out;
	}
	if (!st.exited)
		hvt_case_error(c, "%s %s", cmd, hvt_proc_status_str(&st, how, sizeof(how)));
	hvt_runner_apply_tap(c, tap, st.exited ? st.code : 128 + st.sig);
	exec_artifacts(c);
out:
	free(tap);
	free(out_path);
	free(err_path);
	hvt_strv_release(&argv);
	hvt_strv_release(&env);
}

static const struct hvt_test_type exec_type = {
	.name = "exec",
	.summary = "run the program named by 'exec' (with 'exec_args'); its TAP output "
		   "gives the checks; parameters arrive as HVT_PARAM_<KEY>, dependencies' "
		   "directories as HVT_DEP_DIR_<i>; files matching 'exec_artifacts' are kept "
		   "as artifacts",
	.run = exec_run,
};

static void noop_run(struct hvt_case *c, void *state)
{
	hvt_case_check(c, "noop", true, "nothing to do");
}

static const struct hvt_test_type noop_type = {
	.name = "noop",
	.summary = "record one passing check and nothing else (runner overhead)",
	.run = noop_run,
};

void hvt_runner_register_builtin(void)
{
	if (!hvt_test_type_find("exec"))
		hvt_test_type_register(&exec_type, NULL);
	if (!hvt_test_type_find("noop"))
		hvt_test_type_register(&noop_type, NULL);
}
