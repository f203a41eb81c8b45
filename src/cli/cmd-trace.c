// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest trace: block traces. capture records a workload of the default
 * guest; convert turns fio iologs and blkparse text into hvtest's form;
 * show summarises a trace.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char trace_usage[] =
	"usage: hvtest trace capture (--workload NAME | --sh COMMAND) -o FILE [OPTIONS]\n"
	"       hvtest trace convert [READ-OPTIONS] TRACE -o FILE\n"
	"       hvtest trace show [READ-OPTIONS] TRACE\n\n"
	"Block traces: the requests a workload made of a disk, replayed at device level\n"
	"by the test type qtest-block-trace (docs/BLKTRACE.md).\n\n"
	"capture boots the default guest with a scratch virtio disk, runs a workload in\n"
	"it with the guest kernel's block tracer on for that disk, and writes the\n"
	"requests issued to the disk in hvtest's form. The guest is not changed: the\n"
	"tracer is switched on through tracefs.\n"
	"  --workload NAME   a workload hvtest knows: mkfs-copy, fio-mixed\n"
	"  --sh COMMAND      a shell command line run in the guest; $DEV is the disk\n"
	"  --size SIZE       the scratch disk (default: 64M; K, M, G suffixes)\n"
	"  --qemu BIN        QEMU binary (default: $HVT_QEMU or qemu-system-x86_64)\n"
	"  --timeout S       seconds the workload may take (default: 600)\n"
	"  --buffer-kb N     the guest tracer's buffer per CPU (default: 65536)\n"
	"  --workdir DIR     keep the machine's files and the disk there\n\n"
	"convert reads TRACE (fio iolog v2/v3, blkparse text, or hvtest's form) and\n"
	"writes it in hvtest's form ('-o -': standard output). show prints what a trace\n"
	"holds: requests and bytes per operation, the highest offset, its timing.\n"
	"Read options:\n"
	"  --format F        auto (default), hvtest, fio, blkparse\n"
	"  --select NAME     fio: the file; blkparse: the device (MAJOR,MINOR), when\n"
	"                    the trace holds several\n"
	"  --action A        blkparse: the action whose lines are requests (default D)\n"
	"  --size SIZE       convert: the disk's size to record in the trace\n";

enum { OPT_WORKLOAD = 0x200, OPT_SH, OPT_SIZE, OPT_QEMU, OPT_TIMEOUT, OPT_BUFFER, OPT_WORKDIR,
       OPT_FORMAT, OPT_SELECT, OPT_ACTION };

struct trace_opts {
	const char *workload, *sh, *qemu, *workdir, *out;
	uint64_t size;
	double timeout;
	uint64_t buffer_kb;
	struct hvt_blktrace_opts read;
};

static int parse_opts(int argc, char **argv, struct trace_opts *o)
{
	static const struct option longopts[] = {
		{ "workload", required_argument, NULL, OPT_WORKLOAD },
		{ "sh", required_argument, NULL, OPT_SH },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "qemu", required_argument, NULL, OPT_QEMU },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "buffer-kb", required_argument, NULL, OPT_BUFFER },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "select", required_argument, NULL, OPT_SELECT },
		{ "action", required_argument, NULL, OPT_ACTION },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_WORKLOAD:
			o->workload = optarg;
			break;
		case OPT_SH:
			o->sh = optarg;
			break;
		case OPT_SIZE:
			if (hvt_blktrace_size_parse(optarg, &o->size))
				return cli_usage_error("trace", "--size: '%s' is not a size in "
						       "whole 512-byte sectors (e.g. 64M)", optarg);
			break;
		case OPT_QEMU:
			o->qemu = optarg;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds("--timeout", optarg, &o->timeout))
				return CLI_EXIT_USAGE;
			break;
		case OPT_BUFFER:
			if (cli_parse_u64("--buffer-kb", optarg, &o->buffer_kb))
				return CLI_EXIT_USAGE;
			if (o->buffer_kb > (1u << 22))
				return cli_usage_error("trace", "--buffer-kb: at most 4194304");
			break;
		case OPT_WORKDIR:
			o->workdir = optarg;
			break;
		case OPT_FORMAT:
			if (hvt_blktrace_format_parse(optarg, &o->read.format))
				return cli_usage_error("trace", "--format: '%s' is none of auto, "
						       "hvtest, fio, blkparse", optarg);
			break;
		case OPT_SELECT:
			o->read.select = optarg;
			break;
		case OPT_ACTION:
			o->read.action = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'h':
			fputs(trace_usage, stdout);
			return -1;
		default:
			return cli_usage_error("trace", "bad option");
		}
	}
	return 0;
}

static int write_out(const struct hvt_blktrace *t, const char *out)
{
	struct hvt_err err = HVT_ERR_INIT;

	if (!strcmp(out, "-")) {
		struct hvt_buf b = HVT_BUF_INIT;

		hvt_blktrace_format(t, &b);
		fwrite(b.p, 1, b.len, stdout);
		hvt_buf_release(&b);
		return fflush(stdout) ? CLI_EXIT_FAIL : 0;
	}
	if (hvt_blktrace_write(t, out, &err))
		return cli_fail(&err, "writing the trace");
	return 0;
}

static void print_summary(FILE *f, const struct hvt_blktrace *t)
{
	struct hvt_blktrace_stats s;

	hvt_blktrace_stats(t, &s);
	fprintf(f, "%zu requests, read as %s\n", t->n, hvt_blktrace_format_name(t->format));
	for (int op = HVT_BLKTRACE_READ; op <= HVT_BLKTRACE_WRITE_ZEROES; op++) {
		if (!s.count[op])
			continue;
		fprintf(f, "  %-13s %zu", hvt_blktrace_op_name(op), s.count[op]);
		if (op != HVT_BLKTRACE_FLUSH)
			fprintf(f, ", %" PRIu64 " bytes", s.bytes[op]);
		fprintf(f, "\n");
	}
	fprintf(f, "  highest byte  %" PRIu64 "%s\n", s.end,
		t->size && s.end > t->size ? " (past the recorded disk's end)" : "");
	if (t->size)
		fprintf(f, "  disk size     %" PRIu64 " bytes\n", t->size);
	if (t->timed)
		fprintf(f, "  timed         over %.6f s\n", (double)s.span_us / 1e6);
	else
		fprintf(f, "  timed         no\n");
	if (t->skipped)
		fprintf(f, "  other lines   %zu (other actions, devices or files)\n", t->skipped);
	if (t->source)
		fprintf(f, "  source        %s\n", t->source);
}

static int trace_capture(struct trace_opts *o)
{
	struct hvt_blkcapture_opts co = { 0 };
	struct hvt_blktrace t = HVT_BLKTRACE_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	int rc;

	if (!o->workload == !o->sh)
		return cli_usage_error("trace", "capture: give --workload NAME or --sh COMMAND");
	if (!o->out)
		return cli_usage_error("trace", "capture: -o FILE is missing");
	if (o->workload) {
		co.workload = hvt_blkcapture_workload(o->workload);
		if (!co.workload)
			return cli_usage_error("trace", "--workload: '%s' is none of mkfs-copy, "
					       "fio-mixed", o->workload);
	} else {
		co.workload = o->sh;
	}
	co.size = o->size;
	co.qemu = o->qemu;
	co.workdir = o->workdir;
	co.timeout_ms = (int)(o->timeout * 1000);
	co.buffer_kb = (unsigned int)o->buffer_kb;
	if (hvt_blkcapture_run(&co, &t, &err))
		return cli_fail(&err, "capture");
	if (o->workload) {
		/* the name says more than the command line */
		char *src = hvt_asprintf("guest workload %s on a %" PRIu64 "-byte virtio disk: %s",
					 o->workload, t.size, co.workload);

		free(t.source);
		t.source = src;
	}
	rc = write_out(&t, o->out);
	if (!rc && strcmp(o->out, "-"))
		print_summary(stderr, &t);
	hvt_blktrace_release(&t);
	return rc;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts o = { .timeout = 600 };
	struct hvt_blktrace t = HVT_BLKTRACE_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	const char *verb;
	int rc;

	if (argc < 2)
		return cli_usage_error("trace", "expected capture, convert or show");
	verb = argv[1];
	if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
		fputs(trace_usage, stdout);
		return 0;
	}
	if (strcmp(verb, "capture") && strcmp(verb, "convert") && strcmp(verb, "show"))
		return cli_usage_error("trace", "'%s': expected capture, convert or show", verb);
	optind = 1;
	if ((rc = parse_opts(argc - 1, argv + 1, &o)))
		return rc < 0 ? 0 : rc;
	if (!strcmp(verb, "capture")) {
		if (optind + 1 != argc)
			return cli_usage_error("trace", "capture takes no TRACE argument");
		return trace_capture(&o);
	}
	if (optind + 2 != argc)
		return cli_usage_error("trace", "%s: expected one TRACE file", verb);
	if (!strcmp(verb, "convert") && !o.out)
		return cli_usage_error("trace", "convert: -o FILE is missing");
	if (hvt_blktrace_load(&t, argv[optind + 1], &o.read, &err))
		return cli_fail(&err, "trace");
	if (o.size)
		t.size = o.size;
	if (!strcmp(verb, "convert"))
		rc = write_out(&t, o.out);
	else
		print_summary(stdout, &t);
	hvt_blktrace_release(&t);
	return rc;
}
