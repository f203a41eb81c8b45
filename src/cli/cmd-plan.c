// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest plan: list, show and lint test plans written in avocado-vt's
 * Cartesian config format.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "plan.h"

static const char plan_usage[] =
	"usage: hvtest plan list [--short] [OPTIONS] FILE [FILTER...]\n"
	"       hvtest plan show [--json] [OPTIONS] FILE [FILTER...]\n"
	"       hvtest plan lint [OPTIONS] FILE...\n\n"
	"Expand a test plan (avocado-vt's Cartesian config format) into its variants.\n"
	"Each FILTER is applied as avocado-vt applies its command-line filters: 'only\n"
	"EXPR', 'no EXPR', 'KEY = VALUE' or any plan statement; a bare EXPR means\n"
	"'only EXPR' (e.g. 'qcow2..boot', 'no smp2').\n\n"
	"  list            print one variant per line, its full name\n"
	"  show            print every variant with its parameters, keys sorted\n"
	"  lint            parse and expand each FILE; print each error as\n"
	"                  FILE:LINE:COLUMN: MESSAGE; exit status 1 on errors\n\n"
	"Options:\n"
	"  --short         list: print short names (default variants left out)\n"
	"  --json          show: a JSON array of objects, parameters in plan order\n"
	"  --defaults      expand only the default variant of blocks that have one\n"
	"  --expand NAMES  with --defaults: expand these named blocks fully (a,b)\n"
	"  --max-variants N  fail when the plan has more than N variants\n"
	"                  (default: 10000000; 1000000 for lint; 0: no limit)\n";

enum { OPT_SHORT = 256, OPT_JSON, OPT_DEFAULTS, OPT_EXPAND, OPT_MAX };

struct plan_opts {
	bool shortnames, json, defaults;
	const char *expand;
	uint64_t max;
	bool max_set;
};

static void print_pystr_list(FILE *f, const struct hvt_variant *v)
{
	fputc('[', f);
	for (size_t i = 0; i < hvt_variant_ndeps(v); i++)
		fprintf(f, "%s'%s'", i ? ", " : "", hvt_variant_dep(v, i));
	fputc(']', f);
}

struct kv {
	const char *k, *v;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

static void show_text(const struct hvt_variant *v, size_t n, bool shortnames)
{
	size_t nk = hvt_variant_nkeys(v);
	struct kv *kv = hvt_malloc((nk + 3) * sizeof(*kv));
	size_t m = 0;

	printf("dict %4zu:  %s\n", n, shortnames ? hvt_variant_shortname(v) : hvt_variant_name(v));
	kv[m].k = "name", kv[m++].v = hvt_variant_name(v);
	kv[m].k = "shortname", kv[m++].v = hvt_variant_shortname(v);
	kv[m].k = "dep", kv[m++].v = NULL;
	for (size_t i = 0; i < nk; i++)
		kv[m].k = hvt_variant_key(v, i), kv[m++].v = hvt_variant_value(v, i);
	qsort(kv, m, sizeof(*kv), cmp_kv);
	for (size_t i = 0; i < m; i++) {
		printf("    %s = ", kv[i].k);
		if (kv[i].v)
			fputs(kv[i].v, stdout);
		else
			print_pystr_list(stdout, v);
		putchar('\n');
	}
	free(kv);
}

static void show_json(const struct hvt_variant *v, bool first)
{
	struct json_object *o = json_object_new_object(), *dep = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(hvt_variant_name(v)));
	json_object_object_add(o, "shortname", json_object_new_string(hvt_variant_shortname(v)));
	for (size_t i = 0; i < hvt_variant_ndeps(v); i++)
		json_object_array_add(dep, json_object_new_string(hvt_variant_dep(v, i)));
	json_object_object_add(o, "dep", dep);
	for (size_t i = 0; i < hvt_variant_nkeys(v); i++)
		json_object_object_add(o, hvt_variant_key(v, i),
				       json_object_new_string(hvt_variant_value(v, i)));
	printf("%s%s", first ? "[\n" : ",\n", hvt_json_str(o));
	json_object_put(o);
}

static struct hvt_plan *open_plan(const char *file, char **filters, int nfilters,
				  const struct plan_opts *o, struct hvt_err *err)
{
	struct hvt_plan *plan = hvt_plan_load(file, err);

	if (!plan)
		return NULL;
	for (int i = 0; i < nfilters; i++) {
		if (hvt_plan_filter(plan, filters[i], err)) {
			hvt_plan_free(plan);
			return NULL;
		}
	}
	hvt_plan_set_defaults(plan, o->defaults, o->expand);
	if (o->max_set)
		hvt_plan_set_limit(plan, (size_t)o->max);
	return plan;
}

static int plan_expand(const char *verb, const char *file, char **filters, int nfilters,
		       const struct plan_opts *o)
{
	struct hvt_err err = HVT_ERR_INIT;
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;
	struct hvt_plan *plan;
	int rc;

	plan = open_plan(file, filters, nfilters, o, &err);
	if (!plan) {
		fprintf(stderr, "%s\n", err.msg);
		return CLI_EXIT_FAIL;
	}
	it = hvt_plan_iter_new(plan);
	while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1) {
		size_t n = hvt_plan_iter_count(it);

		if (!strcmp(verb, "list"))
			puts(o->shortnames ? hvt_variant_shortname(v) : hvt_variant_name(v));
		else if (o->json)
			show_json(v, n == 1);
		else
			show_text(v, n, o->shortnames);
	}
	if (!strcmp(verb, "show") && o->json)
		puts(hvt_plan_iter_count(it) ? "\n]" : "[]");
	hvt_plan_iter_free(it);
	hvt_plan_free(plan);
	if (rc < 0) {
		fflush(stdout);
		fprintf(stderr, "%s%s\n", err.msg,
			rc == -E2BIG ? "; --max-variants N changes it, 0 removes it" : "");
		return CLI_EXIT_FAIL;
	}
	return 0;
}

static int plan_lint(char **files, int nfiles, const struct plan_opts *o)
{
	int status = 0;

	for (int i = 0; i < nfiles; i++) {
		struct hvt_err err = HVT_ERR_INIT;
		const struct hvt_variant *v;
		struct hvt_plan_iter *it;
		struct hvt_plan *plan;
		int rc;

		plan = open_plan(files[i], NULL, 0, o, &err);
		if (!plan) {
			fprintf(stderr, "%s\n", err.msg);
			status = CLI_EXIT_FAIL;
			continue;
		}
		if (!o->max_set)
			hvt_plan_set_limit(plan, 1000000);
		it = hvt_plan_iter_new(plan);
		while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1)
			;
		if (rc < 0) {
			fprintf(stderr, "%s%s\n", err.msg,
				rc == -E2BIG ? "; --max-variants N changes it, 0 removes it" : "");
			status = CLI_EXIT_FAIL;
		} else if (!hvt_plan_iter_count(it)) {
			fprintf(stderr, "%s: warning: the plan has no variants\n", files[i]);
		}
		hvt_plan_iter_free(it);
		hvt_plan_free(plan);
	}
	return status;
}

int cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "short", no_argument, NULL, OPT_SHORT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "defaults", no_argument, NULL, OPT_DEFAULTS },
		{ "expand", required_argument, NULL, OPT_EXPAND },
		{ "max-variants", required_argument, NULL, OPT_MAX },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct plan_opts o = { false, false, false, NULL, 0, false };
	const char *verb;
	int opt;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(plan_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	verb = argv[1];
	if (strcmp(verb, "list") && strcmp(verb, "show") && strcmp(verb, "lint"))
		return cli_usage_error("plan", "unknown subcommand '%s'", verb);
	argc--;
	argv++;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SHORT:
			o.shortnames = true;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_DEFAULTS:
			o.defaults = true;
			break;
		case OPT_EXPAND:
			o.expand = optarg;
			break;
		case OPT_MAX:
			if (!strcmp(optarg, "0"))
				o.max = 0;
			else if (cli_parse_u64("--max-variants", optarg, &o.max))
				return CLI_EXIT_USAGE;
			o.max_set = true;
			break;
		case 'h':
			fputs(plan_usage, stdout);
			return 0;
		default:
			return cli_usage_error("plan", "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("plan", "%s needs a plan file", verb);
	if (!strcmp(verb, "lint"))
		return plan_lint(argv + optind, argc - optind, &o);
	return plan_expand(verb, argv[optind], argv + optind + 1, argc - optind - 1, &o);
}
