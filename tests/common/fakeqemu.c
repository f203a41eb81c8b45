// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stand-ins for QEMU as shell scripts (see fakeqemu.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fakeqemu.h"

char *fakeqemu_script(const char *dir, const char *name, const char *body,
		      struct hvt_err *err)
{
	char *path = hvt_asprintf("%s/%s", dir, name);
	char *text = hvt_asprintf("#!/bin/sh\n%s\n", body);
	int ret = hvt_file_write(path, text, strlen(text), err);

	free(text);
	if (!ret && chmod(path, 0755) < 0)
		ret = hvt_err_set(err, -errno, "chmod %s: %s", path, strerror(errno));
	if (ret) {
		free(path);
		return NULL;
	}
	return path;
}

char *fakeqemu_kvm_aborts(const char *dir, const char *real, const char *other,
			  struct hvt_err *err)
{
	char *body = hvt_asprintf(
		"kvm=0; cpu=; prev=\n"
		"for a; do\n"
		"  [ \"$a\" = kvm ] && kvm=1\n"
		"  [ \"$prev\" = -cpu ] && cpu=$a\n"
		"  prev=$a\n"
		"done\n"
		"if [ $kvm = 1 ]; then\n"
		"  if [ \"$cpu\" = host ]; then\n"
		"    echo 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69' >&2\n"
		"    kill -ABRT $$\n"
		"  fi\n"
		"  %s\n"
		"fi\n"
		"exec %s \"$@\"", other, real);
	char *path = fakeqemu_script(dir, "qemu-kvm-aborts", body, err);

	free(body);
	return path;
}

char *fakeqemu_kvm_works(const char *dir, const char *real, struct hvt_err *err)
{
	char *body = hvt_asprintf(
		"n=$#; i=0\n"
		"while [ $i -lt $n ]; do\n"
		"  a=$1; shift; i=$((i + 1))\n"
		"  [ \"$a\" = kvm ] && a=tcg\n"
		"  [ \"$a\" = host ] && a=max\n"
		"  set -- \"$@\" \"$a\"\n"
		"done\n"
		"exec %s \"$@\"", real);
	char *path = fakeqemu_script(dir, "qemu-kvm-works", body, err);

	free(body);
	return path;
}
