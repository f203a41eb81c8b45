// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Installer walks written as programs: the exec type runs them on the
 * machine the case started; see walk.h.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "hvt-config.h"
#include "hvtest.h"
#include "testtype.h"
#include "walk.h"

void walk_on_file(void *ctx, const char *name, const char *path)
{
	struct hvt_case *c = ctx;
	char *rel = hvt_asprintf("screens/%s", name);

	(void)path;
	hvt_case_artifact(c, rel, rel);
	free(rel);
}

/* Record the screenshots the script's `hvtest screen --shots` left. */
static void walk_script_artifacts(struct hvt_case *c)
{
	char *dir = hvt_asprintf("%s/screens", c->workdir);
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			walk_on_file(c, names[i]->d_name, NULL);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	free(dir);
}

void walk_script_run(struct hvt_case *c, struct hvt_vm *vm, const char *script)
{
	const struct hvt_test_type *exec = hvt_test_type_find("exec");
	char self[PATH_MAX], *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (!exec) {
		hvt_case_error(c, "script = %s: the exec type is not registered", script);
		return;
	}
	self[n > 0 ? n : 0] = '\0';
	path = script[0] == '/' ? hvt_strdup(script) :
		hvt_asprintf("%s/suites/install/%s", HVT_SRCDIR, script);
	hvt_case_set_param(c, "exec", path);
	hvt_case_set_param(c, "vm_dir", hvt_vm_workdir(vm));
	hvt_case_set_param(c, "hvtest", n > 0 ? self : "hvtest");
	hvt_case_set_param(c, "needles",
			   hvt_case_param(c, "needles", HVT_SRCDIR "/suites/install/needles"));
	/* the script's own connection sees the screen; the case's stays idle */
	exec->run(c, NULL);
	walk_script_artifacts(c);
	free(path);
}
