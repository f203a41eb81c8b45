/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tiny x86 firmware images written by hvtest itself (no download): one
 * that halts the CPU for device-level tests, one that reports progress
 * through an I/O port for the accelerator probe.
 */
#ifndef HVT_FIRMWARE_H
#define HVT_FIRMWARE_H

#include <stdint.h>

#include "util.h"

#define HVT_FW_SIZE 65536

/* A 64 KiB BIOS image whose reset vector disables interrupts and halts. */
int hvt_fw_write_halt(const char *path, struct hvt_err *err);
/*
 * A 64 KiB BIOS image that writes code to I/O port port and halts: with
 * -device isa-debug-exit,iobase=port,iosize=1 QEMU exits with
 * (code << 1) | 1, proof that the vCPU ran.
 */
int hvt_fw_write_exit(const char *path, uint16_t port, uint8_t code, struct hvt_err *err);

#endif
