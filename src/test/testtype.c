// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The registry of test types and the init/run/cleanup sequence of a case,
 * with the jump back that lets a step end its case (hvt_case_end()).
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "testtype.h"

#define MAX_TYPES 256

static const struct hvt_test_type *types[MAX_TYPES];
static size_t ntypes;
static char registry_error[sizeof(((struct hvt_err *)0)->msg)];

int hvt_test_type_register(const struct hvt_test_type *t, struct hvt_err *err)
{
	if (!t->name || !*t->name || !t->run)
		return hvt_err_set(err, -EINVAL, "a test type needs a name and a run function");
	if (hvt_test_type_find(t->name))
		return hvt_err_set(err, -EEXIST, "test type '%s' is registered twice", t->name);
	if (ntypes == MAX_TYPES)
		return hvt_err_set(err, -ENOSPC, "more than %d test types", MAX_TYPES);
	types[ntypes++] = t;
	return 0;
}

void hvt_test_type_register_failed(const struct hvt_test_type *t, const struct hvt_err *err)
{
	if (!registry_error[0])
		snprintf(registry_error, sizeof(registry_error), "%s", err->msg);
}

const char *hvt_test_type_registry_error(void)
{
	return registry_error[0] ? registry_error : NULL;
}

const struct hvt_test_type *hvt_test_type_find(const char *name)
{
	for (size_t i = 0; i < ntypes; i++)
		if (!strcmp(types[i]->name, name))
			return types[i];
	return NULL;
}

const struct hvt_test_type *hvt_test_type_at(size_t n)
{
	return n < ntypes ? types[n] : NULL;
}

int hvt_test_type_load(const char *path, struct hvt_err *err)
{
	size_t before = ntypes;
	void *h;

	registry_error[0] = '\0';
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return hvt_err_set(err, -ENOENT, "cannot load test module %s: %s", path,
				   dlerror());
	if (registry_error[0])
		return hvt_err_set(err, -EINVAL, "test module %s: %s", path, registry_error);
	if (ntypes == before)
		return hvt_err_set(err, -EINVAL,
				   "test module %s registers no test type (HVT_TEST_TYPE)", path);
	/* the handle stays open: the registered structs live in the module */
	return 0;
}

struct hvt_case_frame {
	jmp_buf env;
};

void hvt_case_end(struct hvt_case *c)
{
	if (!c->frame)
		HVT_BUG("case %s ended outside a step run by hvt_test_type_run_case()", c->name);
	longjmp(c->frame->env, 1);
}

enum step { STEP_INIT, STEP_RUN, STEP_CLEANUP };

/*
 * One step of a case, with a frame hvt_case_end() can jump back to.
 * Returns false when the step ended the case. Nothing this function
 * changes after setjmp() is read after the jump: the results go through
 * the caller's state and init_ret.
 */
static bool step(const struct hvt_test_type *t, struct hvt_case *c, enum step which,
		 void **state, int *init_ret, struct hvt_err *err)
{
	struct hvt_case_frame frame, *outer = c->frame;

	c->frame = &frame;
	if (setjmp(frame.env)) {
		c->frame = outer;
		return false;
	}
	switch (which) {
	case STEP_INIT:
		*init_ret = t->init(c, state, err);
		break;
	case STEP_RUN:
		t->run(c, *state);
		break;
	case STEP_CLEANUP:
		t->cleanup(c, *state);
		break;
	}
	c->frame = outer;
	return true;
}

void hvt_test_type_run_case(const struct hvt_test_type *t, struct hvt_case *c)
{
	struct hvt_err err = HVT_ERR_INIT;
	void *state = NULL;
	double t0 = hvt_now();
	int ret = 0;

	if (!t && !c->type[0]) {
		hvt_case_error(c, "no 'type' key names the test type of this variant");
		return;
	}
	if (!t) {
		hvt_case_error(c, "unknown test type '%s' ('hvtest run --types' lists them)",
			       c->type);
		return;
	}
	if (t->init) {
		/* a case init ended has its verdict; init failed: no cleanup */
		bool went_on = step(t, c, STEP_INIT, &state, &ret, &err);

		if (went_on && ret < 0)
			hvt_case_error(c, "init: %s", err.msg[0] ? err.msg : "failed");
		if (!went_on || ret < 0) {
			c->duration = hvt_now() - t0;
			return;
		}
	}
	step(t, c, STEP_RUN, &state, NULL, NULL);
	if (t->cleanup)
		step(t, c, STEP_CLEANUP, &state, NULL, NULL);
	c->duration = hvt_now() - t0;
}
