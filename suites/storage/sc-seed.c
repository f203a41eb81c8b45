// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hot-attach and hot-detach cases of the vhost test plan, step by
 * step as the plan words them (a check's name starts with the plan's step
 * number). Each case first makes the state its predecessors leave:
 * hot-attach uses disks d00-d03 on ctrl1-ctrl4 (m0: ctrl1, ctrl2; m1:
 * ctrl3, ctrl4); hot-detach starts with d08-d15, two on each of ctrl5-ctrl8
 * (m0: ctrl5, ctrl6; m1: ctrl7, ctrl8), and attaches d04 where a case says
 * "attach NVMe to Ctrlr 5".
 */
#include <stdio.h>
#include <string.h>

#include "storage.h"

static struct st_disk *D(struct st *s, int i)
{
	return st_disk(s, i);
}

/* fio's limit for a round: its runtime and the slack. */
static int fio_limit(const struct st *s, int runtime_s)
{
	return runtime_s * 1000 + s->fio_slack_ms;
}

/* fio on every attached disk, checked clean. */
static void fio_all(struct st *s, const char *label)
{
	struct st_disk *v[ST_DISKS];
	size_t n = st_attached(s, v, NULL);

	st_fio_start(s, v, n, ST_EXPECT_CLEAN, s->fio_runtime_s, label);
	st_fio_wait(s, label, fio_limit(s, s->fio_runtime_s));
}

/* What the hot-attach cases before case n leave: d00, d01 on ctrl1, d02 on ctrl2. */
static void attach_prereq(struct st *s, int n)
{
	static const struct {
		int disk, ctrl;
	} made[] = { { 0, 1 }, { 1, 1 }, { 2, 2 } };

	for (int i = 0; i < n && i < (int)HVT_ARRAY_SIZE(made); i++)
		st_attach(s, D(s, made[i].disk), made[i].ctrl, "setup");
}

/* fio on every attached disk; during it, attach d to ctrl; fio checked clean. */
static void attach_during_fio(struct st *s, const char *fio_label, const char *attach_label,
			      struct st_disk *d, int ctrl)
{
	struct st_disk *v[ST_DISKS];
	size_t n = st_attached(s, v, NULL);

	st_fio_start(s, v, n, ST_EXPECT_CLEAN, s->fio_runtime_s, fio_label);
	st_pause(s, s->op_delay_ms);
	st_attach(s, d, ctrl, attach_label);
	st_fio_wait(s, fio_label, fio_limit(s, s->fio_runtime_s));
}

/* 1. Attach NVMe to Ctrlr 1. 2. Run fio integrity on attached device. */
void sc_attach_tc1(struct st *s)
{
	st_attach(s, D(s, 0), 1, "step 1");
	fio_all(s, "step 2");
}

/*
 * 1. Run fio integrity on attached device from test case 1. 2. During
 * fio attach another NVMe to Ctrlr 1. 3. Run fio integrity on both devices.
 */
void sc_attach_tc2(struct st *s)
{
	attach_prereq(s, 1);
	attach_during_fio(s, "step 1", "step 2", D(s, 1), 1);
	fio_all(s, "step 3");
}

/*
 * 1. Run fio integrity on attached devices from previous test cases.
 * 2. During fio attach NVMe to Ctrl2. 3. Run fio integrity on all devices.
 */
void sc_attach_tc3(struct st *s)
{
	attach_prereq(s, 2);
	attach_during_fio(s, "step 1", "step 2", D(s, 2), 2);
	fio_all(s, "step 3");
}

/*
 * 2. Run fio integrity on attached device from previous test cases.
 * 3. During fio attach NVMe to Ctrl3/VM2. 4. Run fio integrity on all
 * devices. 5. Reboot VMs. 6. Run fio integrity again on all devices.
 * (The plan numbers this case's steps from 2.)
 */
void sc_attach_tc4(struct st *s)
{
	attach_prereq(s, 3);
	attach_during_fio(s, "step 2", "step 3", D(s, 3), 3);
	fio_all(s, "step 4");
	st_reboot(s, "step 5");
	st_check_disks(s, "step 5", NULL, 0);
	fio_all(s, "step 6");
}

void st_detach_prereq(struct st *s)
{
	for (int i = 0; i < 8; i++)
		st_attach(s, D(s, 8 + i), 5 + i / 2, "setup");
}

/*
 * 1. Run fio on all devices. 2. Detach NVMe from Ctrl5 during fio.
 * 3. Check vhost or VMs did not crash. 4. Check that detached device is
 * gone from VM. 5. Check that fio job run on detached device stopped and
 * failed.
 */
void sc_detach_tc1(struct st *s)
{
	struct st_disk *v[ST_DISKS], *gone = D(s, 8);
	size_t n;

	st_detach_prereq(s);
	n = st_attached(s, v, NULL);
	st_fio_start(s, v, n, ST_EXPECT_CLEAN, s->fio_runtime_s, "step 1");
	st_fio_job(s, gone)->expect = ST_EXPECT_FAIL;
	st_pause(s, s->op_delay_ms);
	st_detach(s, gone, true, "step 2");
	st_health(s, "step 3");
	st_check_disks(s, "step 4", &gone, 1);
	st_fio_wait(s, "step 5", fio_limit(s, s->fio_runtime_s));
}

/*
 * 1. Attach NVMe to Ctrlr 5. 2. Run fio on 1 device from Ctrl 5. 3. Detach
 * NVMe from Ctrl5 during fio traffic. 4. Check vhost or VMs did not
 * crash. 5. Check that fio job run on detached device stopped and failed.
 * 6. Check that detached device is gone from VM.
 */
void sc_detach_tc2(struct st *s)
{
	struct st_disk *d = D(s, 4);

	st_detach_prereq(s);
	st_attach(s, d, 5, "step 1");
	st_fio_start(s, &d, 1, ST_EXPECT_FAIL, s->fio_runtime_s, "step 2");
	st_pause(s, s->op_delay_ms);
	st_detach(s, d, true, "step 3");
	st_health(s, "step 4");
	st_fio_wait(s, "step 5", fio_limit(s, s->fio_runtime_s));
	st_check_disks(s, "step 6", &d, 1);
}

/*
 * 1. Attach NVMe to Ctrlr 5. 2. Run fio with integrity on all devices,
 * except one. 3. Detach NVMe without traffic during fio running on other
 * devices. 4. Check vhost or VMs did not crash. 5. Check that fio jobs did
 * not fail. 6. Check that detached device is gone from VM.
 */
void sc_detach_tc3(struct st *s)
{
	struct st_disk *v[ST_DISKS], *d = D(s, 4);
	size_t n;

	st_detach_prereq(s);
	st_attach(s, d, 5, "step 1");
	n = st_attached(s, v, d);
	st_fio_start(s, v, n, ST_EXPECT_CLEAN, s->fio_runtime_s, "step 2");
	st_pause(s, s->op_delay_ms);
	st_detach(s, d, false, "step 3");
	st_health(s, "step 4");
	st_fio_wait(s, "step 5", fio_limit(s, s->fio_runtime_s));
	st_check_disks(s, "step 6", &d, 1);
}

/*
 * 1. Attach NVMe to Ctrlr 5. 2. Run fio on 1 device from Ctrl 5. 3. Run
 * separate fio with integrity on all other devices (all VMs). 4. Detach
 * NVMe from Ctrl1 during fio traffic -- the device of step 2, on ctrl5:
 * there is no ctrl1 in the hot-detach machines, and step 6 checks the
 * job of "the detached device". 5. Check vhost or VMs did not crash.
 * 6. Check that fio job run on detached device stopped and failed.
 * 7. Check that other fio jobs did not fail. 8. Check that detached
 * device is gone from VM. 9. Reboot VMs. 10. Check that detached device
 * is gone from VM. 11. Check that all other devices are in place. 12. Run
 * fio integrity on all remaining devices.
 */
void sc_detach_tc4(struct st *s)
{
	struct st_disk *v[ST_DISKS], *d = D(s, 4);
	size_t n;

	st_detach_prereq(s);
	st_attach(s, d, 5, "step 1");
	/* every job is its own fio process: the one on d04 is separate from the rest */
	n = st_attached(s, v, NULL);
	st_fio_start(s, v, n, ST_EXPECT_CLEAN, s->fio_runtime_s, "steps 2-3");
	st_fio_job(s, d)->expect = ST_EXPECT_FAIL;
	st_pause(s, s->op_delay_ms);
	st_detach(s, d, true, "step 4");
	st_health(s, "step 5");
	st_fio_wait(s, "steps 6-7", fio_limit(s, s->fio_runtime_s));
	st_check_disks(s, "step 8", &d, 1);
	st_reboot(s, "step 9");
	st_check_disks(s, "steps 10-11", &d, 1);
	fio_all(s, "step 12");
}
