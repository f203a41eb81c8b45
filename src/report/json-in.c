// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON reader: a document of the JSON writer back into a run's record and
 * its cases (what a results server receives from a publisher).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

static const char *opt_str(struct json_object *o, const char *key)
{
	const char *v = hvt_json_get_str(o, key);

	return v ? hvt_strdup(v) : NULL;
}

static double opt_num(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)))
		return 0;
	return json_object_get_double(v);
}

static int read_run(struct json_object *o, struct hvt_run_info *ri, struct hvt_err *err)
{
	struct json_object *h = hvt_json_get(o, "host");

	memset(ri, 0, sizeof(*ri));
	if (!json_object_is_type(o, json_type_object) ||
	    (h && !json_object_is_type(h, json_type_object)))
		return hvt_err_set(err, -EBADMSG, "'run' is not a run record");
	ri->started = opt_num(o, "started");
	ri->finished = opt_num(o, "finished");
	if (!isfinite(ri->started) || !isfinite(ri->finished))
		return hvt_err_set(err, -EBADMSG, "'run': times are not numbers");
	ri->plan = opt_str(o, "plan");
	ri->filters = opt_str(o, "filters");
	ri->argv = opt_str(o, "argv");
	ri->total = (long)hvt_json_get_int(o, "total", -1);
	ri->exit_status = (int)hvt_json_get_int(o, "exit_status", -1);
	if (h) {
		ri->host.hostname = opt_str(h, "hostname");
		ri->host.kernel = opt_str(h, "kernel");
		ri->host.qemu = opt_str(h, "qemu");
		ri->host.qemu_version = opt_str(h, "qemu_version");
		ri->host.accel = opt_str(h, "accel");
		ri->host.accel_reason = opt_str(h, "accel_reason");
		ri->host.hvtest_version = opt_str(h, "hvtest_version");
	}
	return 0;
}

int hvt_report_json_read(struct json_object *doc, struct hvt_run_info *run,
			 struct hvt_case ***cases, size_t *n, struct hvt_err *err)
{
	struct json_object *arr = hvt_json_get(doc, "cases");
	const char *format = hvt_json_get_str(doc, "format");
	int ret;

	*cases = NULL;
	*n = 0;
	memset(run, 0, sizeof(*run));
	if (!format || strcmp(format, "hvtest-run"))
		return hvt_err_set(err, -EBADMSG, "not an hvtest-run JSON document");
	if (hvt_json_get_int(doc, "version", 0) != HVT_REPORT_JSON_VERSION)
		return hvt_err_set(err, -EBADMSG, "hvtest-run version %lld: this hvtest reads %d",
				   (long long)hvt_json_get_int(doc, "version", 0),
				   HVT_REPORT_JSON_VERSION);
	if (!arr || !json_object_is_type(arr, json_type_array))
		return hvt_err_set(err, -EBADMSG, "'cases' is missing or not an array");
	ret = read_run(hvt_json_get(doc, "run"), run, err);
	if (ret)
		goto err;
	*cases = hvt_zalloc((json_object_array_length(arr) + 1) * sizeof(**cases));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct hvt_case *c = hvt_case_from_json(json_object_array_get_idx(arr, i), err);

		if (!c) {
			ret = hvt_err_prefix(err, "case %zu", i);
			goto err;
		}
		(*cases)[(*n)++] = c;
	}
	return 0;
err:
	hvt_run_info_release(run);
	hvt_store_cases_free(*cases, *n);
	*cases = NULL;
	*n = 0;
	return ret ? ret : -EBADMSG;
}
