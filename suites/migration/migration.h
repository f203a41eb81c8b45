/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the migration suite's files share: a case's state (plan keys, the
 * machines, the workload), its steps and its scenarios.
 */
#ifndef HVT_SUITE_MIGRATION_H
#define HVT_SUITE_MIGRATION_H

#include <stdbool.h>

#include "hvtest.h"
#include "steps.h"

#define MIB (1024LL * 1024LL)

/* What the guest does while it is migrated. */
enum mt_load {
	MT_IDLE,
	MT_MEMORY, /* rewrites a tmpfs file with random data, in a loop */
	MT_DISK,   /* fio write + verify on a scratch disk, in a loop */
	MT_SPIN,   /* a busybox shell loop that only runs (its stack, the kernel's) */
};

struct mt {
	struct hvt_case *c;
	struct hvt_strv consoles; /* console logs of every machine started */
	int nvm;

	/* plan keys */
	const char *scenario, *machine, *cpu, *accel, *mem_opt, *expect_error;
	const char *src_dev; /* a -device the machines have (the destination may lack it) */
	enum hvt_migrate_transport transport;
	enum mt_load load;
	bool cmdline, src_paused, postcopy, compare_ram, verdict;
	long long mem, cpus, load_mib, disk_mib, converge_s, rounds;
	int boot_ms, cmd_ms, mig_ms;
	struct hvt_strv caps;
	struct json_object *params; /* migrate-set-parameters, from migrate_param_* keys */

	/* machines: src the one under test, dst the migration's destination */
	struct hvt_vm *src, *dst;
	struct hvt_migration *mig;
	char *disk;		/* the scratch disk both machines share (MT_DISK) */
	struct json_object *devices; /* the source's devices before the migration */
	bool load_running;	/* the workload runs on src */
	bool ran;		/* the scenario started: final checks are due */
	bool hurt;		/* the scenario kills or cuts on purpose: consoles only informative */
	int nmig;		/* migrations so far (labels, dst names) */
};

/* steps.c */
/* A check that fails with err's message when rc is not 0; true when it passed. */
bool mt_check_rc(struct mt *t, const char *name, int rc, const struct hvt_err *err,
                 const char *okmsg);
/* The same as a requirement: the case ends there when rc is not 0. */
void mt_require_rc(struct mt *t, const char *name, int rc, const struct hvt_err *err,
                   const char *okmsg);
/*
 * A machine as the plan describes it, not started, named mN in the case's
 * directory. incoming: its -incoming option (NULL: none); paused: -S.
 * dev: a -device to add (NULL: none), mem_opt: an -m to use instead of
 * the plan's (NULL: the plan's).
 */
struct hvt_vm *mt_new_vm(struct mt *t, const char *incoming, bool paused, const char *dev,
                         const char *mem_opt, struct hvt_err *err);
/* Boot the source and wait for its agent; the workload starts, and the guest is paused if asked. */
void mt_boot_source(struct mt *t);
/* Start / stop the plan's workload on vm. Stopping checks what it reports (fio verify). */
void mt_load_start(struct mt *t, struct hvt_vm *vm);
void mt_load_stop(struct mt *t, struct hvt_vm *vm, const char *label);
/* The migration options of the plan; caps and params borrowed from t. */
void mt_opts(struct mt *t, struct hvt_migrate_opts *o);
/*
 * A new migration of t->src and its destination t->dst, started with the
 * plan's options (o: others, or NULL). dst_paused: -S on the destination;
 * dst_dev, dst_mem: the destination's -device instead of the source's
 * ("": none) and its -m (NULL: as the source). With the plan's postcopy, it switches to
 * postcopy once active. The case ends when a step fails.
 */
void mt_migrate_begin(struct mt *t, const char *label, const struct hvt_migrate_opts *o,
                      bool dst_paused, const char *dst_dev, const char *dst_mem);
/*
 * A migration expected to fail: t->mig with options o, a destination
 * t->dst started with its -incoming (and told to listen only when
 * listens), the migration started and waited for. Returns the first
 * error (0 if it completed after all); no check recorded.
 */
int mt_try_migrate(struct mt *t, const struct hvt_migrate_opts *o, bool listens,
		   struct hvt_err *err);
/* QEMU's statistics of t->mig as metrics, and the status sequence check. */
void mt_record_stats(struct mt *t, const char *label);
/*
 * After a completed migration: source postmigrate, destination state,
 * RAM, devices; then the destination runs and becomes t->src, the old
 * source quits. dst_paused: started with -S. Returns the number of guest
 * RAM pages that differed (-1: not compared).
 */
long mt_check_migrated(struct mt *t, const char *label, bool dst_paused);
/*
 * Compare the guest RAM of t->src and t->dst (both stopped): the check
 * "LABEL: guest RAM identical", metric ram_pages_differing, and
 * ram-diff-N.txt with the differing pages. Returns the number of differing
 * pages; their addresses in *pages (caller frees) when pages is not NULL.
 */
long mt_compare_ram(struct mt *t, const char *label, uint64_t **pages);
/* The guest's clock advances and the agent answers: the guest runs. */
void mt_check_alive(struct mt *t, struct hvt_vm *vm, const char *label);
/*
 * After a failed migration, the source must go on: running (it resumes
 * if it stopped), the agent answers, the guest's clock advances.
 */
void mt_check_source_survived(struct mt *t, const char *label);
/*
 * A destination whose migration failed must end cleanly: QEMU exits by
 * itself within timeout_ms with a non-zero exit code (not a signal, no
 * core), saying why on stderr.
 */
void mt_check_dst_failed(struct mt *t, const char *label, int timeout_ms);
/* Wait until the source has sent at least bytes (the migration is mid-transfer). */
void mt_wait_transferred(struct mt *t, const char *label, long long bytes);
/* Quit a machine and check that its QEMU ended cleanly (exit 0). */
void mt_quit(struct mt *t, struct hvt_vm *vm, const char *label);
/* Free t->mig and t->dst (a destination that did not take over). */
void mt_drop_dst(struct mt *t);

/* sc-matrix.c */
void mt_sc_migrate(struct mt *t);

/* sc-failure.c */
void mt_sc_cancel(struct mt *t);
void mt_sc_kill_dst(struct mt *t);
void mt_sc_kill_src(struct mt *t);
void mt_sc_cut(struct mt *t);
void mt_sc_incompatible(struct mt *t);
void mt_sc_no_converge(struct mt *t);
void mt_sc_postcopy_recover(struct mt *t);

/* sc-bad.c */
void mt_sc_bad_input(struct mt *t);

/* sc-pageloss.c */
void mt_sc_page_loss(struct mt *t);

#endif
