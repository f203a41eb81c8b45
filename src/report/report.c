// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Report writers: format dispatch, the run's record, stored runs written
 * whole, and the XML escaping the JUnit and HTML writers need.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report-int.h"

static const char *const format_names[] = {
	[HVT_REPORT_TAP] = "tap",
	[HVT_REPORT_JUNIT] = "junit",
	[HVT_REPORT_JSON] = "json",
	[HVT_REPORT_HTML] = "html",
};

int hvt_report_format_parse(const char *name, enum hvt_report_format *out)
{
	for (size_t i = 0; i < HVT_ARRAY_SIZE(format_names); i++) {
		if (!strcmp(name, format_names[i])) {
			*out = (enum hvt_report_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

int hvt_report_tap_version_parse(const char *s, int *version)
{
	if (!strcmp(s, "13"))
		*version = 13;
	else if (!strcmp(s, "14"))
		*version = 14;
	else
		return -EINVAL;
	return 0;
}

struct hvt_report *hvt_report_new(enum hvt_report_format fmt, FILE *out,
				  const struct hvt_report_opts *o)
{
	struct hvt_report *r = hvt_zalloc(sizeof(*r));

	switch (fmt) {
	case HVT_REPORT_TAP:
		r->ops = &report_tap_ops;
		break;
	case HVT_REPORT_JUNIT:
		r->ops = &report_junit_ops;
		break;
	case HVT_REPORT_JSON:
		r->ops = &report_json_ops;
		break;
	case HVT_REPORT_HTML:
		r->ops = &report_html_ops;
		break;
	default:
		HVT_BUG("report format %d", (int)fmt);
	}
	if (o)
		r->opts = *o;
	if (!r->opts.tap_version)
		r->opts.tap_version = HVT_TAP_VERSION_DEFAULT;
	r->out = out;
	r->ncases = -1;
	return r;
}

static const char *dup_or_null(const char *s)
{
	return s ? hvt_strdup(s) : NULL;
}

int hvt_report_begin(struct hvt_report *r, const struct hvt_run_info *run, long ncases,
		     struct hvt_err *err)
{
	if (r->begun)
		return hvt_err_set(err, -EINVAL, "report already begun");
	if (r->opts.tap_version != 13 && r->opts.tap_version != 14)
		return hvt_err_set(err, -EINVAL, "TAP version %d: hvtest writes 13 or 14",
				   r->opts.tap_version);
	r->begun = true;
	r->ncases = ncases;
	if (run) {
		r->run = *run;
		r->run.plan = dup_or_null(run->plan);
		r->run.filters = dup_or_null(run->filters);
		r->run.argv = dup_or_null(run->argv);
		r->run.host.hostname = dup_or_null(run->host.hostname);
		r->run.host.kernel = dup_or_null(run->host.kernel);
		r->run.host.qemu = dup_or_null(run->host.qemu);
		r->run.host.qemu_version = dup_or_null(run->host.qemu_version);
		r->run.host.accel = dup_or_null(run->host.accel);
		r->run.host.accel_reason = dup_or_null(run->host.accel_reason);
		r->run.host.hvtest_version = dup_or_null(run->host.hvtest_version);
	} else {
		r->run.exit_status = -1;
		r->run.total = -1;
	}
	r->ops->begin(r);
	return 0;
}

int hvt_report_case(struct hvt_report *r, const struct hvt_case *c, struct hvt_err *err)
{
	if (!r->begun || r->ended)
		return hvt_err_set(err, -EINVAL, "report not begun or already ended");
	r->n++;
	r->counts[hvt_case_outcome(c)]++;
	if (isfinite(c->duration) && c->duration > 0)
		r->time += c->duration;
	r->ops->add(r, c);
	return 0;
}

int hvt_report_end(struct hvt_report *r, struct hvt_err *err)
{
	if (!r->begun || r->ended)
		return hvt_err_set(err, -EINVAL, "report not begun or already ended");
	r->ended = true;
	r->ops->end(r);
	if (fflush(r->out) || ferror(r->out))
		return hvt_err_set(err, -EIO, "writing the report failed");
	return 0;
}

void hvt_report_free(struct hvt_report *r)
{
	if (!r)
		return;
	hvt_run_info_release(&r->run);
	hvt_buf_release(&r->buf);
	hvt_buf_release(&r->aux);
	hvt_strv_release(&r->cells);
	hvt_matrix_free(r->guests);
	free(r);
}

int hvt_report_write(enum hvt_report_format fmt, const struct hvt_report_opts *o, FILE *out,
		     const struct hvt_run_info *run, struct hvt_case *const *cases, size_t n,
		     struct hvt_err *err)
{
	struct hvt_report *r = hvt_report_new(fmt, out, o);
	int ret = hvt_report_begin(r, run, (long)n, err);

	for (size_t i = 0; !ret && i < n; i++)
		ret = hvt_report_case(r, cases[i], err);
	if (!ret)
		ret = hvt_report_end(r, err);
	hvt_report_free(r);
	return ret;
}

int report_load_run(struct hvt_store *s, int64_t run_id, struct hvt_run_info *ri,
		    struct hvt_case ***cases, size_t *n, struct hvt_err *err)
{
	int ret;

	*cases = NULL;
	*n = 0;
	ret = hvt_store_run_get(s, run_id, ri, err);
	if (ret)
		return ret;
	ret = hvt_store_run_cases(s, run_id, false, cases, n, err);
	if (ret)
		hvt_run_info_release(ri);
	return ret;
}

int hvt_report_run(struct hvt_store *s, int64_t run_id, enum hvt_report_format fmt,
		   const struct hvt_report_opts *o, FILE *out, struct hvt_err *err)
{
	struct hvt_run_info ri;
	struct hvt_case **cases;
	size_t n;
	int ret;

	ret = report_load_run(s, run_id, &ri, &cases, &n, err);
	if (ret)
		return ret;
	ret = hvt_report_write(fmt, o, out, &ri, cases, n, err);
	hvt_store_cases_free(cases, n);
	hvt_run_info_release(&ri);
	return ret;
}

int hvt_report_run_file(struct hvt_store *s, int64_t run_id, enum hvt_report_format fmt,
			const struct hvt_report_opts *o, const char *path, struct hvt_err *err)
{
	struct stat st;
	char *tmp = NULL;
	FILE *f = NULL;
	int fd, ret;

	/* a device or a pipe (/dev/stdout) is written in place, never replaced */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fd = open(path, O_WRONLY | O_CLOEXEC);
	} else {
		tmp = hvt_asprintf("%s.%d.tmp", path, (int)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	}
	if (fd < 0) {
		ret = hvt_err_set(err, -errno, "cannot write %s: %s", path, strerror(errno));
		free(tmp);
		return ret;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = hvt_err_set(err, -errno, "%s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	ret = hvt_report_run(s, run_id, fmt, o, f, err);
	if (fclose(f) && !ret)
		ret = hvt_err_set(err, -errno, "writing %s: %s", path, strerror(errno));
	if (!ret && tmp && rename(tmp, path))
		ret = hvt_err_set(err, -errno, "renaming %s to %s: %s", tmp, path,
				  strerror(errno));
out:
	if (ret && tmp)
		unlink(tmp);
	free(tmp);
	return ret;
}

size_t report_strv_index(struct hvt_strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n && strcmp(sv->v[i], s); i++)
		;
	if (i == sv->n)
		hvt_strv_push(sv, s);
	return i;
}

static bool has_suffix(const char *s, const char *const *suffixes)
{
	size_t n = strlen(s);

	for (; *suffixes; suffixes++) {
		size_t k = strlen(*suffixes);

		if (n >= k && !strcasecmp(s + n - k, *suffixes))
			return true;
	}
	return false;
}

bool report_is_image(const char *path)
{
	static const char *const images[] = { ".png", ".jpg", ".jpeg", ".gif", ".webp", NULL };

	return has_suffix(path, images);
}

bool report_is_video(const char *path)
{
	static const char *const videos[] = { ".webm", ".mp4", ".ogv", NULL };

	return has_suffix(path, videos);
}

void report_iso_time(char *buf, size_t len, double t)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (!(t > 0) || !gmtime_r(&secs, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		hvt_snprintf(buf, len, "1970-01-01T00:00:00Z");
}

size_t report_utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong or beyond Unicode */
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0; /* surrogates and non-characters XML excludes */
	return n;
}

void hvt_report_xml_escape(struct hvt_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		size_t n;

		switch (*p) {
		case '&':
			hvt_buf_addf(b, "&amp;");
			break;
		case '<':
			hvt_buf_addf(b, "&lt;");
			break;
		case '>':
			hvt_buf_addf(b, "&gt;");
			break;
		case '"':
			hvt_buf_addf(b, "&quot;");
			break;
		case '\'':
			hvt_buf_addf(b, "&apos;");
			break;
		case '\t':
		case '\n':
		case '\r':
			hvt_buf_addf(b, "&#%d;", *p);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				hvt_buf_addf(b, "\xef\xbf\xbd"); /* U+FFFD */
				break;
			}
			n = report_utf8_len(p);
			if (!n) {
				hvt_buf_addf(b, "\xef\xbf\xbd");
				break;
			}
			hvt_buf_add(b, p, n);
			p += n;
			continue;
		}
		p++;
	}
}

void hvt_report_url_path(struct hvt_buf *b, const char *path)
{
	for (const char *p = path; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~/", ch))
			hvt_buf_add(b, p, 1);
		else
			hvt_buf_addf(b, "%%%02X", ch);
	}
}
