/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files: whole-file reads and writes, tails, mkdir -p, rm -rf, $PATH.
 */
#ifndef HVT_FILE_H
#define HVT_FILE_H

#include <stdbool.h>
#include <stddef.h>

struct hvt_err;

/* Read a whole file (NUL-terminated). Returns 0 or -errno. */
int hvt_file_read(const char *path, char **out, size_t *len, struct hvt_err *err);
int hvt_file_write(const char *path, const void *data, size_t len, struct hvt_err *err);
/* The last nlines lines of a file, or NULL if it cannot be read. */
char *hvt_file_tail(const char *path, int nlines);
/* mkdir -p */
int hvt_mkdir_p(const char *path, int mode, struct hvt_err *err);
/* rm -rf (no symlink following). */
int hvt_rm_rf(const char *path);
bool hvt_path_exists(const char *path);
/* Find an executable in $PATH (or take path as is if it has a '/'). */
char *hvt_which(const char *name);

/* Write all / retrying on EINTR; -errno on failure. */
int hvt_write_all(int fd, const void *buf, size_t len);

#endif
