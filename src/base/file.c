// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Files (file.h).
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
