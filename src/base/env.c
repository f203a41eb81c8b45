// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Environment variables, read in one place (see env.h for each one).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

/* getenv(), with an empty value counting as unset. */
static const char *var(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

const char *hvt_env_qemu(void)
{
	return var("HVT_QEMU");
}

const char *hvt_env_accel(void)
{
	return var("HVT_ACCEL");
}

const char *hvt_env_kvm_device(void)
{
	const char *v = var("HVT_KVM_DEVICE");

	return v ? v : "/dev/kvm";
}

const char *hvt_env_workdir(void)
{
	const char *v = var("HVT_WORKDIR");

	if (!v)
		v = var("TMPDIR");
	return v ? v : "/tmp";
}

bool hvt_env_keep(void)
{
	const char *v = var("HVT_KEEP");

	return v && strcmp(v, "0");
}

const char *hvt_env_home(void)
{
	return var("HOME");
}

const char *hvt_env_cache_dir(void)
{
	static __thread char buf[PATH_MAX];
	const char *xdg = var("XDG_CACHE_HOME");
	const char *home = var("HOME");

	if (xdg && *xdg == '/')
		snprintf(buf, sizeof(buf), "%s/hvtest", xdg);
	else if (home)
		snprintf(buf, sizeof(buf), "%s/.cache/hvtest", home);
	else
		snprintf(buf, sizeof(buf), "/tmp/hvtest-cache");
	return buf;
}

const char *hvt_env_guest_dir(void)
{
	static __thread char buf[PATH_MAX];
	const char *v = var("HVT_GUEST_DIR");

	if (v)
		snprintf(buf, sizeof(buf), "%s", v);
	else
		snprintf(buf, sizeof(buf), "%s/guest", hvt_env_cache_dir());
	return buf;
}

const char *hvt_env_live_dir(void)
{
	static __thread char buf[PATH_MAX];
	const char *v = var("HVT_LIVE_DIR");

	if (v)
		snprintf(buf, sizeof(buf), "%s", v);
	else
		snprintf(buf, sizeof(buf), "%s/live", hvt_env_cache_dir());
	return buf;
}

const char *hvt_env_guest_src(void)
{
	return var("HVT_GUEST_SRC");
}

bool hvt_env_no_color(void)
{
	return var("NO_COLOR") != NULL;
}
