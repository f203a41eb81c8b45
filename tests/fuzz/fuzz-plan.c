// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the plan parser and expander: the input is a plan
 * (any bytes: NUL, text that is not UTF-8); a first line "#!F" also runs
 * it through hvt_plan_filter().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvt_err err = HVT_ERR_INIT;
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;
	struct hvt_plan *p;
	char *text;
	int rc;

	if (size > 16384)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	/* includes would read the fuzzer's file system */
	if (memmem(text, size, "include", 7)) {
		free(text);
		return 0;
	}
	p = hvt_plan_load_mem(text, size, "fuzz.cfg", &err);
	if (p && !strncmp(text, "#!F", 3)) {
		char *nl = strchr(text, '\n');

		if (nl)
			*nl = '\0';
		hvt_plan_filter(p, text + 3, &err);
	}
	if (p) {
		hvt_plan_set_limit(p, 200);
		hvt_plan_set_defaults(p, size % 2, NULL);
		it = hvt_plan_iter_new(p);
		while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1) {
			struct hvt_variant *keep;

			(void)hvt_variant_get(v, "type");
			for (size_t i = 0; i < hvt_variant_nkeys(v); i++)
				(void)strlen(hvt_variant_value(v, i));
			keep = hvt_variant_dup(v);
			if (hvt_variant_nkeys(keep) != hvt_variant_nkeys(v))
				abort();
			hvt_variant_free(keep);
		}
		hvt_plan_iter_free(it);
		hvt_plan_free(p);
	} else if (!strchr(err.msg, ':')) {
		abort();	/* every error has a location */
	}
	/* messages show no control characters */
	for (const char *c = err.msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();
	free(text);
	return 0;
}
