// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the qtest command checker: the input is a line a
 * person typed into "hvtest qtest shell". Whatever it holds, the checker
 * answers without crashing, and a line it accepts is one line of
 * printable text (what the shell then sends to QEMU).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qtest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *line = malloc(size + 1);

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (hvt_qtest_check_command(NULL, line, &err) == 0) {
		for (const char *p = line; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
				abort();
	}
	free(line);
	return 0;
}
