// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Balloon scenarios around hot-plug and hot-unplug of the device.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balloon.h"

void sc_unplug(struct bt *b)
{
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		bt_unplug(b, "unplug");
}

void sc_plug(struct bt *b)
{
	bt_check_no_balloon(b, "before plug");
	if (bt_plug(b, "plug"))
		bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b));
}

void sc_unplug_reboot(struct bt *b)
{
	if (bt_unplug(b, "unplug") && bt_reboot(b, "reboot", false)) {
		bt_check_after_reboot(b, "reboot", b->mem);
		bt_check_no_balloon(b, "after reboot");
	}
}

void sc_unplug_shutdown(struct bt *b)
{
	if (bt_unplug(b, "unplug"))
		bt_shutdown(b, "shutdown");
}

void sc_plug_reboot(struct bt *b)
{
	if (bt_plug(b, "plug") && bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)) &&
	    bt_reboot(b, "reboot", false))
		bt_check_after_reboot(b, "reboot", b->target);
}

void sc_plug_shutdown(struct bt *b)
{
	if (bt_plug(b, "plug") && bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		bt_shutdown(b, "shutdown");
}

void sc_plug_unplug_loop(struct bt *b)
{
	for (long long i = 0; i < b->hp_loops; i++) {
		char l[64];

		snprintf(l, sizeof(l), "loop %lld unplug", i + 1);
		if (!bt_unplug(b, l))
			break;
		snprintf(l, sizeof(l), "loop %lld plug", i + 1);
		if (!bt_plug(b, l))
			break;
		snprintf(l, sizeof(l), "loop %lld evict", i + 1);
		bt_balloon_set(b, l, bt_evict_target(b), bt_evict_target(b));
	}
}

void sc_unplug_polling(struct bt *b)
{
	struct json_object *st = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	int rc = bt_set_polling(b, b->poll_interval > 0 ? b->poll_interval : 1, &err);

	if (!rc)
		rc = bt_wait_stats_update(b, (long long)hvt_wall_now() - 1, b->bal_ms, &st, &err);
	json_object_put(st);
	if (bt_check_rc(b, "stats polling active", rc, &err, "last-update advancing"))
		bt_unplug(b, "unplug");
}
