// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvirt domains (domain.h): XML, state, the agent through libvirt,
 * migration by control method.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "base64.h"
#include "domain.h"
#include "json.h"

/* The agent's answer to one ping, while waiting for it. */
#define PING_MS 5000
/* The longest wait for an event before the agent is asked again. */
#define EVENT_WAIT_MS 2000

/* ---- XML ---- */

static bool xml_safe(const char *s)
{
	return !strpbrk(s, "<>&'\"");
}

char *hvt_domain_xml(const struct hvt_domain_spec *s, struct hvt_err *err)
{
	const char *fields[] = { s->name, s->type, s->kernel, s->initrd };
	const char *opt[] = { s->machine, s->cmdline, s->disk, s->console, s->uuid };
	struct hvt_buf b = HVT_BUF_INIT;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(fields); i++)
		if (!fields[i] || !*fields[i]) {
			hvt_err_set(err, -EINVAL, "domain XML: name, type, kernel and initrd "
				    "are required");
			return NULL;
		}
	for (size_t i = 0; i < HVT_ARRAY_SIZE(fields) + HVT_ARRAY_SIZE(opt); i++) {
		const char *v = i < HVT_ARRAY_SIZE(fields) ? fields[i] :
			opt[i - HVT_ARRAY_SIZE(fields)];

		if (v && !xml_safe(v)) {
			hvt_err_set(err, -EINVAL, "domain XML: '%s' holds one of <>&'\"", v);
			return NULL;
		}
	}
	hvt_buf_addf(&b, "<domain type='%s'>\n  <name>%s</name>\n", s->type, s->name);
	if (s->uuid)
		hvt_buf_addf(&b, "  <uuid>%s</uuid>\n", s->uuid);
	hvt_buf_addf(&b, "  <memory unit='MiB'>%d</memory>\n  <vcpu>1</vcpu>\n"
		     "  <os>\n    <type arch='x86_64' machine='%s'>hvm</type>\n"
		     "    <kernel>%s</kernel>\n    <initrd>%s</initrd>\n",
		     s->mem_mib ? s->mem_mib : 256, s->machine ? s->machine : "pc", s->kernel,
		     s->initrd);
	if (s->cmdline)
		hvt_buf_addf(&b, "    <cmdline>%s</cmdline>\n", s->cmdline);
	/* Without ACPI the guest kernel finds no RSDP and stalls. */
	hvt_buf_addf(&b, "  </os>\n  <features><acpi/><apic/></features>\n"
		     "  <cpu mode='%s' check='none'/>\n"
		     "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
		     "  <on_crash>destroy</on_crash>\n  <devices>\n",
		     strcmp(s->type, "kvm") ? "maximum" : "host-passthrough");
	if (s->disk)
		hvt_buf_addf(&b, "    <disk type='file' device='disk'>\n"
			     "      <driver name='qemu' type='raw' cache='none'/>\n"
			     "      <source file='%s'/>\n"
			     "      <target dev='vda' bus='virtio'/>\n    </disk>\n", s->disk);
	if (s->console)
		hvt_buf_addf(&b, "    <serial type='file'>\n      <source path='%s' append='on'/>\n"
			     "      <target port='0'/>\n    </serial>\n", s->console);
	hvt_buf_addf(&b, "    <channel type='unix'>\n"
		     "      <target type='virtio' name='org.qemu.guest_agent.0'/>\n"
		     "    </channel>\n    <memballoon model='none'/>\n"
		     "  </devices>\n</domain>\n");
	return b.p;
}

/* ---- state ---- */

const char *hvt_domain_state_name(int state)
{
	static const char *const names[] = {
		[VIR_DOMAIN_NOSTATE] = "no state", [VIR_DOMAIN_RUNNING] = "running",
		[VIR_DOMAIN_BLOCKED] = "blocked", [VIR_DOMAIN_PAUSED] = "paused",
		[VIR_DOMAIN_SHUTDOWN] = "shutting down", [VIR_DOMAIN_SHUTOFF] = "shut off",
		[VIR_DOMAIN_CRASHED] = "crashed", [VIR_DOMAIN_PMSUSPENDED] = "suspended",
	};

	if (state < 0 || state >= (int)HVT_ARRAY_SIZE(names) || !names[state])
		return "unknown";
	return names[state];
}

int hvt_domain_state(virDomainPtr dom, struct hvt_err *err)
{
	int state, reason;

	if (virDomainGetState(dom, &state, &reason, 0) < 0)
		return hvt_virt_err(err, -EIO, "virDomainGetState");
	return state;
}

/* ---- the agent ---- */

int hvt_domain_agent(virDomainPtr dom, struct json_object *cmd, struct json_object **ret,
		     int timeout_ms, struct hvt_err *err)
{
	const char *name = hvt_json_get_str(cmd, "execute");
	int secs = timeout_ms <= 0 ? 1 : (timeout_ms + 999) / 1000;
	char *reply = virDomainQemuAgentCommand(dom, hvt_json_str(cmd), secs, 0);
	struct json_object *obj;

	if (!reply)
		return hvt_virt_err(err, -EIO, name ? name : "agent command");
	obj = hvt_json_parse(reply, err);
	free(reply);
	if (!obj)
		return -EPROTO;
	return hvt_json_reply(obj, name ? name : "agent command", ret, err);
}

int hvt_domain_wait_agent(struct hvt_libvirtd *d, virDomainPtr dom, int timeout_ms,
			  struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	struct json_object *ping = json_object_new_object();
	int ret;

	json_object_object_add(ping, "execute", json_object_new_string("guest-ping"));
	for (;;) {
		unsigned long seen = hvt_libvirtd_events(d);
		int left = hvt_ms_left(deadline), st, code;

		ret = hvt_domain_agent(dom, ping, NULL, left < PING_MS ? left : PING_MS, err);
		/* before any other call resets it */
		code = hvt_virt_last_code();
		if (!ret)
			break;
		st = hvt_domain_state(dom, NULL);
		if (st != VIR_DOMAIN_RUNNING) {
			ret = hvt_err_set(err, -ESRCH, "waiting for the agent: the domain is %s",
					  hvt_domain_state_name(st));
			break;
		}
		left = hvt_ms_left(deadline);
		if (!left) {
			hvt_err_prefix(err, "the agent did not answer within %d ms", timeout_ms);
			ret = -ETIMEDOUT;
			break;
		}
		/*
		 * Not connected yet: the channel opening is a domain event (a
		 * bounded wait all the same, should one be missed). A ping
		 * that timed out is tried again at once.
		 */
		if (code == VIR_ERR_AGENT_UNRESPONSIVE && ret == -EIO)
			hvt_libvirtd_wait_events(d, seen, left < EVENT_WAIT_MS ? left : EVENT_WAIT_MS);
	}
	json_object_put(ping);
	return ret;
}

static char *decode(struct json_object *st, const char *key, size_t *len)
{
	const char *b64 = hvt_json_get_str(st, key);
	char *out = NULL;

	*len = 0;
	if (!b64 || hvt_base64_decode(b64, strlen(b64), &out, len))
		return hvt_strdup("");
	return out;
}

int hvt_domain_sh(virDomainPtr dom, const char *cmd, int timeout_ms, char **out,
		  struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	struct json_object *req, *ret = NULL, *st = NULL;
	int64_t pid;
	int rc, wait_us = 5000;

	req = hvt_json_build(err, "{'execute': 'guest-exec', 'arguments': {'path': '/bin/sh', "
			     "'arg': ['-c', %s], 'capture-output': true}}", cmd);
	if (!req)
		return -EINVAL;
	rc = hvt_domain_agent(dom, req, &ret, hvt_ms_left(deadline), err);
	json_object_put(req);
	if (rc)
		return rc;
	pid = hvt_json_get_int(ret, "pid", -1);
	json_object_put(ret);
	if (pid < 0)
		return hvt_err_set(err, -EPROTO, "guest-exec: no pid in the reply");
	req = hvt_json_build(err, "{'execute': 'guest-exec-status', 'arguments': {'pid': %lld}}",
			     (long long)pid);
	for (;;) {
		rc = hvt_domain_agent(dom, req, &st, hvt_ms_left(deadline), err);
		if (rc || hvt_json_get_bool(st, "exited", false))
			break;
		json_object_put(st);
		st = NULL;
		if (!hvt_ms_left(deadline)) {
			rc = hvt_err_set(err, -ETIMEDOUT, "guest command '%s' did not end within "
					 "%d ms", cmd, timeout_ms);
			break;
		}
		/* guest-exec-status only answers when asked: back off to 100 ms */
		usleep(wait_us);
		if (wait_us < 100000)
			wait_us *= 2;
	}
	json_object_put(req);
	if (!rc) {
		size_t olen, elen;
		char *o = decode(st, "out-data", &olen), *e = decode(st, "err-data", &elen);
		int64_t code = hvt_json_get_int(st, "exitcode", -1);

		if (code != 0)
			rc = hvt_err_set(err, -EIO, "guest command '%s' exited with %lld%s%s", cmd,
					 (long long)code, *e ? ": " : "", e);
		if (out && !rc)
			*out = o;
		else
			free(o);
		free(e);
	}
	json_object_put(st);
	return rc;
}

/* ---- migration ---- */

static const char *const control_names[] = {
	[HVT_CONTROL_NORMAL] = "normal",
	[HVT_CONTROL_P2P] = "peer2peer",
	[HVT_CONTROL_TUNNELLED] = "tunnelled",
};

const char *hvt_domain_control_name(enum hvt_domain_control c)
{
	return (size_t)c < HVT_ARRAY_SIZE(control_names) ? control_names[c] : "?";
}

int hvt_domain_control_parse(const char *s, enum hvt_domain_control *out, struct hvt_err *err)
{
	for (size_t i = 0; i < HVT_ARRAY_SIZE(control_names); i++)
		if (s && !strcmp(s, control_names[i])) {
			*out = (enum hvt_domain_control)i;
			return 0;
		}
	return hvt_err_set(err, -EINVAL, "unknown migration control method '%s' (normal, "
			   "peer2peer, tunnelled)", s ? s : "");
}

int hvt_domain_flags_parse(const char *s, unsigned int *out, struct hvt_err *err)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} names[] = {
		{ "LIVE", VIR_MIGRATE_LIVE }, { "PERSIST", VIR_MIGRATE_PERSIST_DEST },
		{ "PERSIST_DEST", VIR_MIGRATE_PERSIST_DEST },
		{ "UNDEFINE_SOURCE", VIR_MIGRATE_UNDEFINE_SOURCE },
		{ "PAUSED", VIR_MIGRATE_PAUSED }, { "UNSAFE", VIR_MIGRATE_UNSAFE },
		{ "AUTO_CONVERGE", VIR_MIGRATE_AUTO_CONVERGE },
		{ "COMPRESSED", VIR_MIGRATE_COMPRESSED },
		{ "ABORT_ON_ERROR", VIR_MIGRATE_ABORT_ON_ERROR },
	};
	char *copy = hvt_strdup(s ? s : ""), *save = NULL;
	int ret = 0;

	*out = 0;
	for (char *t = strtok_r(copy, "| \t", &save); t; t = strtok_r(NULL, "| \t", &save)) {
		size_t i;

		if (!strcmp(t, "none"))
			continue;
		for (i = 0; i < HVT_ARRAY_SIZE(names) && strcmp(t, names[i].name); i++)
			;
		if (i == HVT_ARRAY_SIZE(names)) {
			ret = hvt_err_set(err, -EINVAL, "unknown migration flag '%s' in '%s' "
					  "(LIVE, PERSIST, UNDEFINE_SOURCE, PAUSED, UNSAFE, "
					  "AUTO_CONVERGE, COMPRESSED, ABORT_ON_ERROR)", t, s);
			break;
		}
		*out |= names[i].flag;
	}
	free(copy);
	return ret;
}

virDomainPtr hvt_domain_migrate(virDomainPtr dom, struct hvt_libvirtd *dst,
				const struct hvt_domain_migrate_opts *o, struct hvt_err *err)
{
	virConnectPtr dconn = hvt_libvirtd_conn(dst);
	virTypedParameterPtr params = NULL;
	unsigned int flags = o->flags;
	int nparams = 0, maxparams = 0;
	virDomainPtr ddom = NULL;
	const char *name = virDomainGetName(dom);

	if (!dconn) {
		hvt_err_set(err, -ENOTCONN, "the %s daemon is not connected",
			    hvt_libvirtd_name(dst));
		return NULL;
	}
	if (o->bandwidth_mib)
		virTypedParamsAddULLong(&params, &nparams, &maxparams,
					VIR_MIGRATE_PARAM_BANDWIDTH, o->bandwidth_mib);
	if (o->dxml)
		virTypedParamsAddString(&params, &nparams, &maxparams,
					VIR_MIGRATE_PARAM_DEST_XML, o->dxml);
	switch (o->control) {
	case HVT_CONTROL_NORMAL:
		ddom = virDomainMigrate3(dom, dconn, params, (unsigned int)nparams, flags);
		if (!ddom)
			hvt_virt_err(err, -EIO, "virDomainMigrate3");
		break;
	case HVT_CONTROL_TUNNELLED:
		flags |= VIR_MIGRATE_TUNNELLED;
		/* fall through */
	case HVT_CONTROL_P2P:
		flags |= VIR_MIGRATE_PEER2PEER;
		if (virDomainMigrateToURI3(dom, hvt_libvirtd_uri(dst), params,
					   (unsigned int)nparams, flags) < 0) {
			hvt_virt_err(err, -EIO, "virDomainMigrateToURI3");
			break;
		}
		ddom = virDomainLookupByName(dconn, name);
		if (!ddom)
			hvt_virt_err(err, -ENOENT, "the migrated domain on the destination");
		break;
	}
	virTypedParamsFree(params, nparams);
	return ddom;
}
