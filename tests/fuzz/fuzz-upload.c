// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the results server's upload: the input is a
 * request body (a tar stream, maybe gzip-compressed), received, read with
 * libarchive, checked against its hvtest-run.json and, when sound,
 * committed to a real store in a temporary directory (on /dev/shm when
 * there is one: commits fsync). Each input publishes under a new run
 * name, so sound ones reach the commit too. Whatever the input, the reply
 * is 201 or an error status with a message, and nothing stays staged.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hvt_serve srv;
static char root[64];

static void cleanup(void)
{
	if (srv.w)
		hvt_store_close(srv.w);
	if (root[0])
		hvt_rm_rf(root);
}

static void setup(void)
{
	struct hvt_err err = HVT_ERR_INIT;

	snprintf(root, sizeof(root), "%s/hvt-fuzz-upload-XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(root))
		HVT_BUG("mkdtemp %s", root);
	atexit(cleanup);
	srv.o.max_upload = 1u << 20;
	srv.dir = root;
	srv.blobs = hvt_asprintf("%s/blobs", root);
	srv.tmp = hvt_asprintf("%s/tmp", root);
	pthread_mutex_init(&srv.wlock, NULL);
	if (hvt_mkdir_p(srv.blobs, 0755, &err) || hvt_mkdir_p(srv.tmp, 0700, &err))
		HVT_BUG("%s", err.msg);
	srv.w = hvt_store_open(root, &err);
	if (!srv.w || hvt_registry_init(srv.w, &err))
		HVT_BUG("%s", err.msg);
}

/* Entries of srv.tmp: a finished upload leaves none. */
static int staged(void)
{
	DIR *d = opendir(srv.tmp);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long seq;
	struct hvt_err err = HVT_ERR_INIT;
	char name[32];
	struct hvt_pub_key key = { .user = "fuzz", .machine = "m", .git = "g", .name = name };
	struct reply rp = { .fd = -1 };
	struct upload u;

	if (!srv.w)
		setup();
	snprintf(name, sizeof(name), "r%lu", seq++);
	if (upload_begin(&srv, &u, &key, &err))
		HVT_BUG("%s", err.msg);
	upload_data(&srv, &u, (const char *)data, size);
	upload_finish(&srv, &u, &rp);
	upload_release(&u);
	if (rp.status != 201 && (rp.status < 400 || !rp.body.p || !strstr(rp.body.p, "error")))
		HVT_BUG("status %u without an error: %s", rp.status, rp.body.p ? rp.body.p : "");
	if (staged())
		HVT_BUG("status %u: the upload left files in %s", rp.status, srv.tmp);
	if (rp.fd >= 0)
		close(rp.fd);
	free(rp.location);
	hvt_buf_release(&rp.body);
	return 0;
}
