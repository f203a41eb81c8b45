/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types: C modules with init, run and cleanup, registered by name.
 * A plan variant's "type" key picks one; the variant's keys are the
 * case's parameters. Users build their own against libhvtest and load
 * them as shared objects.
 */
#ifndef HVT_TESTTYPE_H
#define HVT_TESTTYPE_H

#include "case.h"
#include "util.h"

struct hvt_test_type {
	const char *name;
	const char *summary;
	/*
	 * Set up what run needs (machines, files) and store it in *state.
	 * A negative return makes the case an error (with c->reason, or err).
	 * Ending the case here (hvt_case_skip() + hvt_case_end(), a failed
	 * hvt_case_require(), hvt_case_fatal()) also counts as a failed init.
	 * Optional.
	 */
	int (*init)(struct hvt_case *c, void **state, struct hvt_err *err);
	/*
	 * Exercise the system and record checks, metrics and artifacts. It
	 * returns, or ends the case (hvt_case_require(), hvt_case_fatal(),
	 * hvt_case_end()): either way cleanup follows.
	 */
	void (*run)(struct hvt_case *c, void *state);
	/*
	 * Release what init set up; called once whenever init succeeded,
	 * also when run ended the case. Optional.
	 */
	void (*cleanup)(struct hvt_case *c, void *state);
};

/* Register a type; -EEXIST if the name is taken. The struct must outlive hvtest. */
int hvt_test_type_register(const struct hvt_test_type *t, struct hvt_err *err);
const struct hvt_test_type *hvt_test_type_find(const char *name);
/* The n-th registered type (for listing), or NULL past the end. */
const struct hvt_test_type *hvt_test_type_at(size_t n);
/* dlopen a module; its HVT_TEST_TYPE()s register as it loads. */
int hvt_test_type_load(const char *path, struct hvt_err *err);

/*
 * Run one case of type t to completion in this process: init, run,
 * cleanup, recording a missing type or a failed init as an error. Each
 * step may end the case early (hvt_case_end() in case.h says what is
 * and is not released then); this returns in any case.
 */
void hvt_test_type_run_case(const struct hvt_test_type *t, struct hvt_case *c);

/* Register a test type when its object (built in or a loaded module) loads. */
#define HVT_TEST_TYPE(var)                                                           \
	static void __attribute__((constructor)) hvt_register_##var(void)           \
	{                                                                            \
		struct hvt_err err_ = HVT_ERR_INIT;                                  \
		if (hvt_test_type_register(&(var), &err_))                           \
			hvt_test_type_register_failed(&(var), &err_);                \
	}

/* Remembered and reported by the runner: registration cannot print. */
void hvt_test_type_register_failed(const struct hvt_test_type *t, const struct hvt_err *err);
/* The first registration failure, or NULL. */
const char *hvt_test_type_registry_error(void);

#endif
