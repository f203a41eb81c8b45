// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON writer: one document, {"format": "hvtest-run", "version": 1,
 * "run": {...}, "cases": [case records], "counts": {...}} (its layout is
 * described in docs/RESULTS.md), streamed one case record per line.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

static void add_str(struct json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static struct json_object *run_json(const struct hvt_run_info *ri)
{
	struct json_object *o = json_object_new_object();
	struct json_object *h = json_object_new_object();

	if (ri->id)
		json_object_object_add(o, "id", json_object_new_int64(ri->id));
	if (ri->started > 0)
		json_object_object_add(o, "started", json_object_new_double(ri->started));
	if (ri->finished > 0)
		json_object_object_add(o, "finished", json_object_new_double(ri->finished));
	add_str(o, "plan", ri->plan);
	add_str(o, "filters", ri->filters);
	add_str(o, "argv", ri->argv);
	if (ri->total >= 0)
		json_object_object_add(o, "total", json_object_new_int64(ri->total));
	if (ri->exit_status >= 0)
		json_object_object_add(o, "exit_status", json_object_new_int(ri->exit_status));
	add_str(h, "hostname", ri->host.hostname);
	add_str(h, "kernel", ri->host.kernel);
	add_str(h, "qemu", ri->host.qemu);
	add_str(h, "qemu_version", ri->host.qemu_version);
	add_str(h, "accel", ri->host.accel);
	add_str(h, "accel_reason", ri->host.accel_reason);
	add_str(h, "hvtest_version", ri->host.hvtest_version);
	json_object_object_add(o, "host", h);
	return o;
}

/*
 * JSON has no NaN or infinity (json-c would write NaN, which strict
 * parsers refuse): such a number becomes null, in place, at any depth.
 */
static void finite_or_null(struct json_object *o)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			struct json_object *v = json_object_array_get_idx(o, i);

			if (json_object_is_type(v, json_type_double) &&
			    !isfinite(json_object_get_double(v)))
				json_object_array_put_idx(o, i, NULL);
			else
				finite_or_null(v);
		}
	} else if (json_object_is_type(o, json_type_object)) {
		struct json_object_iterator it = json_object_iter_begin(o);
		struct json_object_iterator end = json_object_iter_end(o);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			struct json_object *v = json_object_iter_peek_value(&it);

			/* replacing the value of a key keeps the iterator valid */
			if (json_object_is_type(v, json_type_double) &&
			    !isfinite(json_object_get_double(v)))
				json_object_object_add(o, json_object_iter_peek_name(&it), NULL);
			else
				finite_or_null(v);
		}
	}
}

static void json_begin(struct hvt_report *r)
{
	struct json_object *o = run_json(&r->run);

	finite_or_null(o);
	fprintf(r->out, "{\"format\": \"hvtest-run\", \"version\": %d,\n\"run\": %s,\n"
			"\"cases\": [",
		HVT_REPORT_JSON_VERSION, hvt_json_str(o));
	json_object_put(o);
}

static void json_add(struct hvt_report *r, const struct hvt_case *c)
{
	struct json_object *o = hvt_case_to_json(c);

	finite_or_null(o);

	fprintf(r->out, "%s\n%s", r->n > 1 ? "," : "", hvt_json_str(o));
	json_object_put(o);
}

static void json_end(struct hvt_report *r)
{
	fprintf(r->out, "\n],\n\"counts\": {\"cases\": %ld", r->n);
	for (int o = 0; o < HVT_OUTCOME_COUNT; o++)
		fprintf(r->out, ", \"%s\": %ld", hvt_outcome_name((enum hvt_outcome)o),
			r->counts[o]);
	fputs("}}\n", r->out);
}

const struct report_ops report_json_ops = {
	.begin = json_begin,
	.add = json_add,
	.end = json_end,
};
