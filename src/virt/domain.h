/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt domains of the default guest: their XML, the guest agent
 * reached through libvirt, and migration between two private daemons by
 * each control method (client-driven, peer to peer, tunnelled).
 */
#ifndef HVT_DOMAIN_H
#define HVT_DOMAIN_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "json.h"
#include "libvirtd.h"
#include "util.h"

/* A domain booting a kernel and an initrd, with the agent's channel. */
struct hvt_domain_spec {
	const char *name;
	const char *uuid;	/* NULL: libvirt makes one up */
	const char *type;	/* "qemu" (TCG) or "kvm" */
	const char *machine;	/* NULL: "pc" */
	int mem_mib;		/* 0: 256 */
	const char *kernel, *initrd, *cmdline;
	const char *disk;	/* a raw image as virtio disk vda (cache none), or NULL */
	const char *console;	/* a file the serial console is appended to, or NULL */
};

/*
 * The domain XML of spec (caller frees). NULL with err set when a field
 * is missing or holds a character XML would need escaped (<>&'").
 */
char *hvt_domain_xml(const struct hvt_domain_spec *spec, struct hvt_err *err);

/* virDomainGetState() as a word: "running", "paused", "shut off"...; "unknown" on error. */
const char *hvt_domain_state_name(int state);
/* The domain's state (VIR_DOMAIN_*), or -EIO with libvirt's error. */
int hvt_domain_state(virDomainPtr dom, struct hvt_err *err);

/*
 * An agent command through libvirt (virDomainQemuAgentCommand): cmd is
 * the JSON request; on {"return": R} 0 and *ret (may be NULL) a new
 * reference to R. -EREMOTEIO with the agent's error, -EIO with libvirt's.
 */
int hvt_domain_agent(virDomainPtr dom, struct json_object *cmd, struct json_object **ret,
		     int timeout_ms, struct hvt_err *err);
/*
 * Wait until the agent answers guest-ping: tries now, then again after
 * each domain event of d (the agent's channel opening, a state change)
 * until timeout_ms passes. -ESRCH when the domain stops running.
 */
int hvt_domain_wait_agent(struct hvt_libvirtd *d, virDomainPtr dom, int timeout_ms,
			  struct hvt_err *err);
/*
 * Run a shell command in the guest (guest-exec of /bin/sh -c) and wait
 * for it within timeout_ms; *out (may be NULL) gets its stdout (caller
 * frees). A non-zero exit is -EIO with its stderr.
 */
int hvt_domain_sh(virDomainPtr dom, const char *cmd, int timeout_ms, char **out,
		  struct hvt_err *err);

enum hvt_domain_control {
	HVT_CONTROL_NORMAL,	/* the client drives both daemons (virDomainMigrate3) */
	HVT_CONTROL_P2P,	/* the source daemon drives (virDomainMigrateToURI3) */
	HVT_CONTROL_TUNNELLED,	/* peer to peer, data through the daemons' connection */
};
/* "normal", "peer2peer", "tunnelled"; parse: -EINVAL naming the value. */
const char *hvt_domain_control_name(enum hvt_domain_control c);
int hvt_domain_control_parse(const char *s, enum hvt_domain_control *out, struct hvt_err *err);
/*
 * Migration flags from "UNDEFINE_SOURCE|PERSIST" (names of
 * VIR_MIGRATE_*, without the prefix; PERSIST is PERSIST_DEST; "" or
 * "none": 0). -EINVAL naming an unknown one.
 */
int hvt_domain_flags_parse(const char *s, unsigned int *out, struct hvt_err *err);

struct hvt_domain_migrate_opts {
	enum hvt_domain_control control;
	unsigned int flags;	/* VIR_MIGRATE_*; the control method's are added */
	unsigned long bandwidth_mib; /* MiB/s; 0: unlimited */
	const char *dxml;	/* the destination's domain XML, or NULL */
};

/*
 * Migrate dom to the daemon dst by o's control method. Returns the
 * domain on dst (caller frees with virDomainFree), or NULL with err set
 * (libvirt's error of the failed call).
 */
virDomainPtr hvt_domain_migrate(virDomainPtr dom, struct hvt_libvirtd *dst,
				const struct hvt_domain_migrate_opts *o, struct hvt_err *err);

#endif
