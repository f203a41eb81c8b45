// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Small things every module needs: errors, strings, clocks and files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int hvt_err_vset(struct hvt_err *err, int code, const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		err->cls[0] = '\0';
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return code;
}

int hvt_err_set(struct hvt_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hvt_err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int hvt_err_prefix(struct hvt_err *err, const char *fmt, ...)
{
	char *prefix, *joined;
	va_list ap;

	if (!err)
		return 0;
	va_start(ap, fmt);
	prefix = hvt_vasprintf(fmt, ap);
	va_end(ap);
	joined = hvt_asprintf("%s: %s", prefix, err->msg);
	memcpy(err->msg, joined, strnlen(joined, sizeof(err->msg) - 1));
	err->msg[strnlen(joined, sizeof(err->msg) - 1)] = '\0';
	free(joined);
	free(prefix);
	return err->code;
}

void hvt_err_append(struct hvt_err *err, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!err)
		return;
	len = strlen(err->msg);
	if (len + 1 >= sizeof(err->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg + len, sizeof(err->msg) - len, fmt, ap);
	va_end(ap);
}

void hvt_err_clear(struct hvt_err *err)
{
	if (err) {
		err->code = 0;
		err->cls[0] = '\0';
		err->msg[0] = '\0';
	}
}

void hvt_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hvtest: BUG at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void *oom(size_t n)
{
	fprintf(stderr, "hvtest: out of memory allocating %zu bytes\n", n);
	abort();
}

void *hvt_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	return p ? p : oom(n);
}

void *hvt_zalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	return p ? p : oom(n);
}

void *hvt_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	return q ? q : oom(n);
}

char *hvt_strdup(const char *s)
{
	return hvt_strndup(s, strlen(s));
}

char *hvt_strndup(const char *s, size_t n)
{
	char *p = hvt_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *hvt_vasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		return oom(0);
	return p;
}

char *hvt_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = hvt_vasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int hvt_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

void hvt_strv_push(struct hvt_strv *sv, const char *s)
{
	if (sv->n + 2 > sv->alloc) {
		sv->alloc = sv->alloc ? sv->alloc * 2 : 16;
		sv->v = hvt_realloc(sv->v, sv->alloc * sizeof(*sv->v));
	}
	sv->v[sv->n++] = hvt_strdup(s);
	sv->v[sv->n] = NULL;
}

void hvt_strv_pushf(struct hvt_strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = hvt_vasprintf(fmt, ap);
	va_end(ap);
	hvt_strv_push(sv, s);
	free(s);
}

void hvt_strv_pushv(struct hvt_strv *sv, const char *const *v)
{
	for (; v && *v; v++)
		hvt_strv_push(sv, *v);
}

void hvt_strv_release(struct hvt_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

static bool needs_quote(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_=/.,:@+%", *s))
			return true;
	return false;
}

char *hvt_strv_join_quoted(const struct hvt_strv *sv)
{
	struct hvt_buf b = HVT_BUF_INIT;

	for (size_t i = 0; i < sv->n; i++) {
		const char *s = sv->v[i];

		if (i)
			hvt_buf_add(&b, " ", 1);
		if (!needs_quote(s)) {
			hvt_buf_add(&b, s, strlen(s));
			continue;
		}
		hvt_buf_add(&b, "'", 1);
		for (; *s; s++) {
			if (*s == '\'')
				hvt_buf_add(&b, "'\\''", 4);
			else
				hvt_buf_add(&b, s, 1);
		}
		hvt_buf_add(&b, "'", 1);
	}
	if (!b.p)
		hvt_buf_add(&b, "", 0);
	return b.p;
}

void hvt_buf_add(struct hvt_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->alloc) {
		size_t want = b->alloc ? b->alloc : 256;

		while (want < b->len + len + 1)
			want *= 2;
		b->p = hvt_realloc(b->p, want);
		b->alloc = want;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void hvt_buf_addf(struct hvt_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = hvt_vasprintf(fmt, ap);
	va_end(ap);
	hvt_buf_add(b, s, strlen(s));
	free(s);
}

void hvt_buf_consume(struct hvt_buf *b, size_t len)
{
	if (len >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + len, b->len - len);
		b->len -= len;
	}
	if (b->p)
		b->p[b->len] = '\0';
}

void hvt_buf_release(struct hvt_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->alloc = 0;
}

int64_t hvt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double hvt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hvt_wallclock(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char tmp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", tmp, ts.tv_nsec / 1000);
}

int hvt_ms_left(int64_t deadline)
{
	int64_t left = deadline - hvt_now_ms();

	if (left < 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int hvt_file_read(const char *path, char **out, size_t *len, struct hvt_err *err)
{
	struct hvt_buf b = HVT_BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hvt_err_set(err, -errno, "cannot open %s: %s", path,
				   strerror(errno));
	hvt_buf_add(&b, "", 0);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			hvt_buf_release(&b);
			return hvt_err_set(err, -e, "cannot read %s: %s", path,
					   strerror(e));
		}
		hvt_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	*out = b.p;
	return 0;
}

int hvt_file_write(const char *path, const void *data, size_t len, struct hvt_err *err)
{
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return hvt_err_set(err, -errno, "cannot create %s: %s", path,
				   strerror(errno));
	ret = hvt_write_all(fd, data, len);
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret)
		return hvt_err_set(err, ret, "cannot write %s: %s", path,
				   strerror(-ret));
	return 0;
}

char *hvt_file_tail(const char *path, int nlines)
{
	char *data, *p;
	size_t len;
	int seen = 0;

	if (hvt_file_read(path, &data, &len, NULL))
		return NULL;
	p = data + len;
	if (p > data && p[-1] == '\n')
		p--;
	while (p > data) {
		if (p[-1] == '\n' && ++seen == nlines)
			break;
		p--;
	}
	memmove(data, p, strlen(p) + 1);
	return data;
}

int hvt_mkdir_p(const char *path, int mode, struct hvt_err *err)
{
	char *tmp = hvt_strdup(path);

	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST) {
				int e = errno;

				hvt_err_set(err, -e, "cannot create directory %s: %s",
					    tmp, strerror(e));
				free(tmp);
				return -e;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	free(tmp);
	return 0;
}

int hvt_rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = hvt_asprintf("%s/%s", path, de->d_name);
		if (hvt_rm_rf(sub) < 0)
			ret = -errno;
		free(sub);
	}
	closedir(d);
	if (rmdir(path) < 0)
		ret = -errno;
	return ret;
}

bool hvt_path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

char *hvt_which(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *save = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? hvt_strdup(name) : NULL;
	dirs = hvt_strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *full = hvt_asprintf("%s/%s", d, name);

		if (access(full, X_OK) == 0) {
			free(dirs);
			return full;
		}
		free(full);
	}
	free(dirs);
	return NULL;
}

int hvt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
