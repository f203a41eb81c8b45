// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The migration suite: a guest moved between two QEMU processes across
 * transports, guest states, capabilities, workloads and machine types;
 * migrations that fail on purpose and what must survive them; bad input;
 * the page-loss reproducer. This file is the test type: plan keys, the
 * scenario table, the checks every case ends with.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migration.h"
#include "scenario.h"

struct scenario {
	const char *name;
	void (*fn)(struct mt *t);
};

static const struct scenario scenarios[] = {
	{ "migrate", mt_sc_migrate },
	{ "cancel", mt_sc_cancel },
	{ "kill_dst", mt_sc_kill_dst },
	{ "kill_src", mt_sc_kill_src },
	{ "cut", mt_sc_cut },
	{ "incompatible", mt_sc_incompatible },
	{ "no_converge", mt_sc_no_converge },
	{ "postcopy_recover", mt_sc_postcopy_recover },
	{ "bad_input", mt_sc_bad_input },
	{ "page_loss", mt_sc_page_loss },
};

static const char *const load_keys[] = {
	[MT_IDLE] = "idle", [MT_MEMORY] = "memory", [MT_DISK] = "disk", [MT_SPIN] = "spin",
};

static int param_ms(struct hvt_case *c, const char *key, double dflt_s, int *out,
		    struct hvt_err *err)
{
	double s;
	int rc = hvt_case_param_double(c, key, dflt_s, &s, err);

	if (!rc && (s <= 0 || s > 86400))
		rc = hvt_err_set(err, -EINVAL, "%s = %g: seconds, more than 0", key, s);
	*out = (int)(s * 1000);
	return rc;
}

/*
 * migrate_param_NAME = VALUE keys become migrate-set-parameters
 * arguments: NAME with '-' for '_'; yes/no a boolean, a number (with K, M
 * or G: bytes) an integer, anything else a string.
 */
static struct json_object *param_value(const char *v)
{
	char *end;
	long long n;

	if (!strcmp(v, "yes") || !strcmp(v, "no"))
		return json_object_new_boolean(!strcmp(v, "yes"));
	n = strtoll(v, &end, 10);
	if (end != v && isdigit((unsigned char)*v)) {
		if (*end == 'K' && !end[1])
			return json_object_new_int64(n << 10);
		if (*end == 'M' && !end[1])
			return json_object_new_int64(n << 20);
		if (*end == 'G' && !end[1])
			return json_object_new_int64(n << 30);
		if (!*end)
			return json_object_new_int64(n);
	}
	return json_object_new_string(v);
}

static void read_mig_params(struct mt *t)
{
	static const char prefix[] = "migrate_param_";

	for (size_t i = 0; i < t->c->nparams; i++) {
		const struct hvt_param *p = &t->c->params[i];
		char *name;

		if (strncmp(p->key, prefix, sizeof(prefix) - 1) || !*p->value)
			continue;
		name = hvt_strdup(p->key + sizeof(prefix) - 1);
		for (char *q = name; *q; q++)
			if (*q == '_')
				*q = '-';
		if (!t->params)
			t->params = json_object_new_object();
		json_object_object_add(t->params, name, param_value(p->value));
		free(name);
	}
}

static int read_params(struct mt *t, struct hvt_err *err)
{
	struct hvt_case *c = t->c;
	const char *caps = hvt_case_param(c, "capabilities", "");
	const char *load = hvt_case_param(c, "load", "idle");
	const char *inc = hvt_case_param(c, "incoming", "defer");
	const char *state = hvt_case_param(c, "source_state", "running");
	bool found = false;
	int rc;

	t->scenario = hvt_case_param(c, "scenario", "migrate");
	t->machine = hvt_case_param(c, "machine_type", "pc");
	t->cpu = hvt_case_param(c, "cpu", NULL);
	t->accel = hvt_case_param(c, "accel", NULL);
	t->mem_opt = hvt_case_param(c, "mem_size", NULL);
	t->src_dev = hvt_case_param(c, "source_device", NULL);
	t->expect_error = hvt_case_param(c, "expect_error", NULL);
	rc = hvt_migrate_transport_parse(hvt_case_param(c, "transport", "unix"), &t->transport, err);
	if (rc)
		return rc;
	if (hvt_case_param_int(c, "mem", 512, &t->mem, err) ||
	    hvt_case_param_int(c, "smp", 1, &t->cpus, err) ||
	    hvt_case_param_int(c, "load_mib", 32, &t->load_mib, err) ||
	    hvt_case_param_int(c, "disk_mib", 64, &t->disk_mib, err) ||
	    hvt_case_param_int(c, "converge_window", 20, &t->converge_s, err) ||
	    hvt_case_param_int(c, "rounds", 1, &t->rounds, err) ||
	    hvt_case_param_bool(c, "postcopy", false, &t->postcopy, err) ||
	    hvt_case_param_bool(c, "compare_ram", true, &t->compare_ram, err) ||
	    hvt_case_param_bool(c, "page_loss_verdict", true, &t->verdict, err) ||
	    param_ms(c, "boot_timeout", 120, &t->boot_ms, err) ||
	    param_ms(c, "guest_cmd_timeout", 60, &t->cmd_ms, err) ||
	    param_ms(c, "migration_timeout", 240, &t->mig_ms, err))
		return err->code;
	if (strcmp(inc, "defer") && strcmp(inc, "cmdline"))
		return hvt_err_set(err, -EINVAL, "incoming = %s: defer or cmdline", inc);
	t->cmdline = !strcmp(inc, "cmdline");
	if (strcmp(state, "running") && strcmp(state, "paused"))
		return hvt_err_set(err, -EINVAL, "source_state = %s: running or paused", state);
	t->src_paused = !strcmp(state, "paused");
	for (size_t i = 0; i < HVT_ARRAY_SIZE(load_keys); i++) {
		if (!strcmp(load, load_keys[i])) {
			t->load = (enum mt_load)i;
			found = true;
		}
	}
	if (!found)
		return hvt_err_set(err, -EINVAL, "load = %s: idle, memory, disk or spin", load);
	/* capabilities: words separated by blanks or commas */
	for (const char *p = caps; *p;) {
		size_t n = strcspn(p, " ,\t");

		if (n) {
			char *w = hvt_strndup(p, n);

			hvt_strv_push(&t->caps, w);
			free(w);
		}
		p += n;
		p += strspn(p, " ,\t");
	}
	read_mig_params(t);
	return 0;
}

/* The scratch disk both machines share (load = disk). */
static int make_disk(struct mt *t, struct hvt_err *err)
{
	FILE *f;

	t->disk = hvt_asprintf("%s/scratch.img", t->c->workdir ? t->c->workdir : "/tmp");
	f = fopen(t->disk, "we");
	if (!f || ftruncate(fileno(f), t->disk_mib * MIB)) {
		int e = errno;

		if (f)
			fclose(f);
		return hvt_err_set(err, -e, "scratch disk %s: %s", t->disk, strerror(e));
	}
	fclose(f);
	return 0;
}

static void free_state(struct mt *t)
{
	hvt_migrate_free(t->mig);
	hvt_vm_free(t->dst);
	hvt_vm_free(t->src);
	if (t->disk)
		unlink(t->disk);
	free(t->disk);
	json_object_put(t->devices);
	json_object_put(t->params);
	hvt_strv_release(&t->caps);
	hvt_strv_release(&t->consoles);
	free(t);
}

static int migration_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	struct mt *t = hvt_zalloc(sizeof(*t));
	const char *skip = hvt_case_param(c, "skip_reason", NULL);
	int rc;

	t->c = c;
	*state = t;
	if (skip) {
		hvt_case_skip(c, "%s", skip);
		return 0;
	}
	rc = read_params(t, err);
	if (!rc && t->load == MT_DISK)
		rc = make_disk(t, err);
	if (rc) {
		/* cleanup is not called after a failed init */
		free_state(t);
		*state = NULL;
	}
	return rc;
}

static void migration_run(struct hvt_case *c, void *state)
{
	struct mt *t = state;
	const struct scenario *sc;

	if (c->skipped)
		return;
	sc = SCENARIO_CASE_FIND(c, scenarios, t->scenario);
	if (!sc)
		return;
	t->ran = true;
	sc->fn(t);
}

/*
 * The machine under test still runs, its guest answers and its workload
 * is fine; it quits cleanly; the consoles are clean. Checks only.
 */
static void final_checks(struct mt *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	int rc;

	if (t->src && hvt_vm_proc(t->src)) {
		rc = hvt_vm_check_alive(t->src, &err);
		mt_check_rc(t, "QEMU running", rc, &err, "QEMU still runs");
		if (!rc) {
			char state[32] = "";

			rc = hvt_migrate_runstate(t->src, state, sizeof(state), &err);
			if (!rc && strcmp(state, "running"))
				rc = hvt_vm_cont(t->src, &err);
			if (!rc)
				rc = hvt_qga_ping(hvt_vm_qga(t->src), t->cmd_ms, &err);
			mt_check_rc(t, "agent answers", rc, &err, "guest-ping answered");
		}
		if (!rc)
			mt_load_stop(t, t->src, "");
		if (!hvt_vm_check_alive(t->src, NULL))
			mt_quit(t, t->src, "QEMU");
	}
	step_check_consoles(t->c, &t->consoles, t->hurt ?
			    "the scenario may leave a corrupted guest on purpose" : NULL);
}

static void migration_cleanup(struct hvt_case *c, void *state)
{
	struct mt *t = state;

	if (t->ran && !c->skipped)
		final_checks(t);
	free_state(t);
}

static const struct hvt_test_type migration_type = {
	.name = "migration",
	.summary = "live migration: transports x states x capabilities x loads x machines, "
		   "failures, bad input, the TCG page-loss reproducer",
	.init = migration_init,
	.run = migration_run,
	.cleanup = migration_cleanup,
};
HVT_TEST_TYPE(migration_type)
