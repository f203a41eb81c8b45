// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tiny x86 BIOS images assembled by hand: the CPU starts in real mode at
 * physical 0xFFFFFFF0, which is offset 0xFFF0 of a 64 KiB image.
 */
#include <stdlib.h>
#include <string.h>

#include "firmware.h"

#define RESET_VECTOR 0xFFF0

static int write_image(const char *path, const uint8_t *code, size_t len,
		       struct hvt_err *err)
{
	uint8_t *img;
	int ret;

	if (len > HVT_FW_SIZE - RESET_VECTOR)
		HVT_BUG("firmware code of %zu bytes does not fit the reset vector", len);
	img = hvt_zalloc(HVT_FW_SIZE);
	/* hlt everywhere else: a stray jump stops the CPU rather than running zeros. */
	memset(img, 0xF4, HVT_FW_SIZE);
	memcpy(img + RESET_VECTOR, code, len);
	ret = hvt_file_write(path, img, HVT_FW_SIZE, err);
	free(img);
	return ret;
}

int hvt_fw_write_halt(const char *path, struct hvt_err *err)
{
	static const uint8_t code[] = {
		0xFA,		/* cli */
		0xF4,		/* hlt */
		0xEB, 0xFD,	/* jmp back to hlt (an NMI wakes hlt) */
	};

	return write_image(path, code, sizeof(code), err);
}

int hvt_fw_write_exit(const char *path, uint16_t port, uint8_t code,
		      struct hvt_err *err)
{
	const uint8_t prog[] = {
		0xB0, code,				/* mov al, code */
		0xBA, port & 0xFF, port >> 8,		/* mov dx, port */
		0xEE,					/* out dx, al */
		0xFA,					/* cli */
		0xF4,					/* hlt */
		0xEB, 0xFD,				/* jmp back to hlt */
	};

	return write_image(path, prog, sizeof(prog), err);
}
