// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON writer: one document, {"run": {...}, "cases": [case records]},
 * streamed one case record (hvt_case_to_json()) per line.
 */
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

static void json_begin(struct hvt_report *r)
{
	struct json_object *o = run_json(&r->run);

	fprintf(r->out, "{\"run\": %s,\n\"cases\": [", hvt_json_str(o));
	json_object_put(o);
}

static void json_add(struct hvt_report *r, const struct hvt_case *c)
{
	struct json_object *o = hvt_case_to_json(c);

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
