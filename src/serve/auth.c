// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Publish tokens and rate limits. A token is "USER:" and 256 random bits
 * (GnuTLS's key-grade generator); the store keeps only its SHA-256, which
 * is enough for a secret of that much entropy (no password stretching is
 * needed: guessing a hash's preimage is guessing the token).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "serve-int.h"

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void auth_token_hash(const char *token, char hash[65])
{
	unsigned char d[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), d))
		HVT_BUG("SHA-256 not available");
	hex(d, sizeof(d), hash);
}

int auth_token_new(const char *user, char **token, struct hvt_err *err)
{
	unsigned char r[32];
	char h[65];

	if (gnutls_rnd(GNUTLS_RND_KEY, r, sizeof(r)))
		return hvt_err_set(err, -EIO, "no random numbers for a token");
	hex(r, sizeof(r), h);
	*token = hvt_asprintf("%s:%s", user, h);
	return 0;
}

/* A token bucket per user: o.rate publishes a minute, bursts up to o.rate. */
bool auth_rate_take(struct hvt_serve *s, const char *user)
{
	double now = hvt_now(), cap = s->o.rate;
	struct rate_entry *e = NULL;
	bool ok;

	pthread_mutex_lock(&s->ratelock);
	for (size_t i = 0; i < s->nrates && !e; i++)
		if (!strcmp(s->rates[i].user, user))
			e = &s->rates[i];
	if (!e) {
		s->rates = hvt_realloc(s->rates, (s->nrates + 1) * sizeof(*s->rates));
		e = &s->rates[s->nrates++];
		e->user = hvt_strdup(user);
		e->tokens = cap;
		e->last = now;
	}
	e->tokens += (now - e->last) * cap / 60.0;
	if (e->tokens > cap)
		e->tokens = cap;
	e->last = now;
	ok = e->tokens >= 1.0;
	if (ok)
		e->tokens -= 1.0;
	pthread_mutex_unlock(&s->ratelock);
	return ok;
}
