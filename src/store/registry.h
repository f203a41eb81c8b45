/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry of a results server: published runs (user, machine, git
 * id, name) over the results store's own tables, the files uploaded with
 * them (content-addressed blobs), and the users' publish tokens (hashed).
 */
#ifndef HVT_REGISTRY_H
#define HVT_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* Where a published run lives: /USER/MACHINE/GIT/NAME. */
struct hvt_pub_key {
	const char *user, *machine, *git, *name;
};

/* What a publisher says beside the run's record. Strings may be NULL. */
struct hvt_pub_meta {
	struct hvt_pub_key key;
	const char *plan_name;	/* the plan's name, for the summary's rows */
	const char *cpu;	/* CPU model */
	const char *libvirt;	/* libvirt version */
	int64_t bytes;		/* size of the upload */
};

/* A file of a published run: an artifact of a case, or the run's own (case -1). */
struct hvt_pub_file {
	long case_index;	/* -1: a file of the run (plan, cpuinfo, dmesg) */
	char *name;		/* a relative path of safe components */
	char sha256[65];	/* hex; the blob's name */
	int64_t size;
};

/* A published run as read back: owns its strings (hvt_pub_release()). */
struct hvt_pub {
	char *user, *machine, *git, *name, *plan_name, *cpu, *libvirt;
	double published;
	int64_t bytes;
	struct hvt_run_info run;	/* run.id is the run in the store */
};

/* Create the registry's tables in the store if absent. */
int hvt_registry_init(struct hvt_store *s, struct hvt_err *err);

/*
 * Record a whole published run in one transaction: the run (started,
 * finished and exit status as given), its host, its cases, its
 * publication and its files. Nothing of it is visible before it returns
 * 0. -EEXIST when the key is taken. *run_id gets the store's run id.
 */
int hvt_registry_publish(struct hvt_store *s, const struct hvt_pub_meta *m,
			 const struct hvt_run_info *run, struct hvt_case *const *cases,
			 size_t ncases, const struct hvt_pub_file *files, size_t nfiles,
			 int64_t *run_id, struct hvt_err *err);

/* One published run by key; -ENOENT when there is none. */
int hvt_registry_find(struct hvt_store *s, const struct hvt_pub_key *k, struct hvt_pub *p,
		      struct hvt_err *err);
/*
 * Published runs, newest first; user and machine (may be NULL) restrict
 * the list. Free with hvt_pubs_free().
 */
int hvt_registry_list(struct hvt_store *s, const char *user, const char *machine,
		      struct hvt_pub **v, size_t *n, struct hvt_err *err);
void hvt_pub_release(struct hvt_pub *p);
void hvt_pubs_free(struct hvt_pub *v, size_t n);

/* The files of a run, run files first then by case and name. */
int hvt_registry_files(struct hvt_store *s, int64_t run_id, struct hvt_pub_file **v,
		       size_t *n, struct hvt_err *err);
void hvt_pub_files_free(struct hvt_pub_file *v, size_t n);
/* One file of a run; -ENOENT when absent. f->name is owned by the caller then. */
int hvt_registry_file(struct hvt_store *s, int64_t run_id, long case_index, const char *name,
		      struct hvt_pub_file *f, struct hvt_err *err);
/* Whether any run refers to the blob. */
int hvt_registry_blob_used(struct hvt_store *s, const char *sha256, bool *used,
			   struct hvt_err *err);

/*
 * Tokens: only their hash is kept. token_add records a hash for user;
 * token_revoke revokes every token of user (*n: how many, 0 is not an
 * error); token_user finds the user of a live token's hash (-ENOENT).
 */
int hvt_registry_token_add(struct hvt_store *s, const char *user, const char *hash,
			   struct hvt_err *err);
int hvt_registry_token_revoke(struct hvt_store *s, const char *user, int *n,
			      struct hvt_err *err);
int hvt_registry_token_user(struct hvt_store *s, const char *hash, char **user,
			    struct hvt_err *err);
/* Users with live tokens and how many each has ("USER N" lines, caller frees). */
int hvt_registry_token_list(struct hvt_store *s, char **text, struct hvt_err *err);

#endif
