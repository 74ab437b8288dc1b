/*
 * config_settle.c - settlement configuration (config.h; model in
 * docs/settlement.md): the per-peer keys of [peer NAME]
 *   settlement_engine    http://HOST:PORT[/PATH] of the peer's RFC 38
 *                        engine (its account there is the peer's name), or
 *                        unix:/ABSOLUTE/PATH of the unix socket it listens
 *                        on (POSIX builds; at most HAL_UNIX_PATH_MAX
 *                        bytes; RFC 38 paths go to it as they are, with
 *                        Host: localhost); none: no settlement (the
 *                        default)
 *   settle_threshold     (config_peer.c) ilpd settles when the balance falls
 *                        below it; none [default]
 *   settle_to            integer [0]; the balance a settlement restores
 *                        (must be greater than settle_threshold)
 *   settlement_scale     0..255 [the peer's asset_scale]: the engine's scale,
 *                        at most 19 from asset_scale (10^20 passes 2^64-1)
 *   allow_remote_engine  bool [false]: settlement_engine may be a host
 *                        other than loopback (a unix socket is local: it
 *                        needs no allow_remote_engine)
 * and the [settlement] section:
 *   listen               HOST:PORT of the engine->ilpd API (off by default);
 *                        HOST an IP address or localhost
 *   allow_remote         bool [false]: listen may be a non-loopback address
 *
 * Rules: the keys are checked at their line; the cross-key rules (scale
 * default, settle_to > settle_threshold, loopback, HOST an IP address or
 * localhost) at the end of the file, reported at the key's line. An engine
 * named by a host name would be looked up (blocking DNS) at each request,
 * an onion name even by the local DNS: both are refused. A unix socket is
 * held in struct ilpd_url as host = the path, port 0, path ""
 * (ilpd_url_is_unix): no field of its own. Memory: none of its own (the
 * fields live in struct ilpd_peer_conf and struct ilpd_conf). No heap.
 */
#include <stdio.h>
#include <string.h>

#include "config_int.h"
#include "hal/hal_net.h"
#include "ilp/settle.h"

enum { K_SL_LISTEN, K_SL_ALLOW_REMOTE };

/* "unix:/ABSOLUTE/PATH" into *u (host = the path, port 0, path ""); NULL
 * or a static reason. */
static const char *conf_engine_unix(const char *p, struct ilpd_url *u)
{
	size_t i, n = strlen(p);

	if (!hal_net_has_unix())
		return "unix sockets are not available in this build (lwIP); use "
		       "http://IP:PORT";
	if (n == 0)
		return "missing path (unix:/ABSOLUTE/PATH)";
	if (p[0] != '/')
		return "the unix socket path must be absolute (unix:/ABSOLUTE/PATH)";
	if (p[1] == '/')
		return "write unix:/ABSOLUTE/PATH (one '/', not unix://)";
	if (n > HAL_UNIX_PATH_MAX)
		return "the unix socket path is longer than the 107 bytes a socket "
		       "address holds";
	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return "control character in the unix socket path";
	}
	memcpy(u->host, p, n + 1);   /* fits: 107 < sizeof(u->host) */
	return NULL;
}

_Static_assert(HAL_UNIX_PATH_MAX == 107, "the message above says 107 bytes");
_Static_assert(HAL_UNIX_PATH_MAX < ILPD_CONF_HOST_MAX, "a unix path fits in url.host");

/* "http://HOST[:PORT][/PATH]" (port 80 if absent) or "unix:/PATH" into
 * *u; NULL or a static reason. The path is kept (RFC 38 paths are
 * appended to it). */
static const char *conf_engine_url(const char *v, struct ilpd_url *u)
{
	const char *hp, *slash, *why;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (strncmp(v, "unix:", 5) == 0)
		return conf_engine_unix(v + 5, u);
	if (strncmp(v, "http://", 7) != 0)
		return "must be http://HOST:PORT or unix:/PATH (https and other "
		       "schemes are not spoken to engines; keep the engine on "
		       "loopback)";
	hp = v + 7;
	slash = strchr(hp, '/');
	n = slash != NULL ? (size_t)(slash - hp) : strlen(hp);
	if (n == 0)
		return "missing host";
	if (memchr(hp, '@', n) != NULL)
		return "credentials in the URL are not accepted";
	why = conf_hostport(hp, n, u->host, &u->port, 80);
	if (why != NULL)
		return why;
	if (slash == NULL || strcmp(slash, "/") == 0) {
		strcpy(u->path, "");
	} else {
		if (strlen(slash) >= sizeof(u->path) || strpbrk(slash, " ?#%") != NULL)
			return "bad path (at most 255 bytes, no blanks, '?', '#', '%')";
		strcpy(u->path, slash);
		n = strlen(u->path);
		if (u->path[n - 1] == '/')
			u->path[n - 1] = '\0';
	}
	return NULL;
}
/* The onion refusal of conf_host_literal for this key. */
static const char settle_onion_why[] =
	"has an onion URL: engines are not reached through the proxy "
	"(ilpd never looks onion names up itself); give its IP address "
	"or localhost";

const char *const conf_settlement_keys[] = { "listen", "allow_remote", NULL };

int conf_set_peer_settle(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_peer_conf *p = &st->c->peer[st->peer];
	const char *why;
	int64_t x;

	switch (k) {
	case K_PEER_SETTLE_ENGINE:
		p->settle_line = st->line;
		if (strcmp(v, "none") == 0) {
			p->settle_engine = false;
			return 0;
		}
		why = conf_engine_url(v, &p->settle_url);
		if (why != NULL) {
			conf_fail(st, st->line, "bad 'settlement_engine': %s", why);
			return -1;
		}
		p->settle_engine = true;
		return 0;
	case K_PEER_SETTLE_TO:
		p->settle_to_line = st->line;
		return conf_int(st, "settle_to", v, INT64_MIN, INT64_MAX, &p->settle_to);
	case K_PEER_SETTLE_SCALE:
		if (conf_int(st, "settlement_scale", v, 0, 255, &x) != 0)
			return -1;
		p->settle_scale = (uint8_t)x;
		p->settle_scale_set = true;
		p->settle_scale_line = st->line;
		return 0;
	case K_PEER_SETTLE_REMOTE:
		return conf_bool(st, "allow_remote_engine", v, &p->allow_remote_engine);
	default:
		return -1;
	}
}

void conf_finish_peer_settle(struct conf_parse *st, size_t i)
{
	struct ilpd_peer_conf *p = &st->c->peer[i];
	const char *why;
	bool local;

	if (!p->settle_scale_set)
		p->settle_scale = p->rate.scale;
	/* 10^20 passes 2^64-1: with scales further apart no amount converts */
	else if (p->settle_scale > p->rate.scale + SETTLE_SCALE_DIFF_MAX ||
		 p->rate.scale > p->settle_scale + SETTLE_SCALE_DIFF_MAX)
		conf_fail(st, p->settle_scale_line, "'settlement_scale' (%u) of peer '%s' is "
			  "more than %u from its asset_scale (%u): amounts between the two "
			  "scales do not fit in 64 bits", (unsigned)p->settle_scale, p->name,
			  (unsigned)SETTLE_SCALE_DIFF_MAX, (unsigned)p->rate.scale);
	if (!p->settle_engine)
		return;
	/* a unix socket is local by definition: no host rules */
	local = ilpd_url_is_unix(&p->settle_url);
	why = local ? NULL : conf_host_literal(st->c, p->settle_url.host, settle_onion_why);
	if (why != NULL)
		conf_fail(st, p->settle_line, "'settlement_engine' of peer '%s' %s",
			  p->name, why);
	else if (!local && !p->allow_remote_engine &&
		 !ilpd_host_is_loopback(p->settle_url.host))
		conf_fail(st, p->settle_line, "'settlement_engine' of peer '%s' is not "
			  "loopback (127.0.0.0/8, ::1, localhost); set allow_remote_engine "
			  "= true to use it", p->name);
	if (p->settle_threshold != INT64_MAX && p->settle_to <= p->settle_threshold)
		conf_fail(st, p->settle_to_line ? p->settle_to_line : p->settle_line,
			  "'settle_to' (%lld) of peer '%s' must be greater than "
			  "'settle_threshold' (%lld)", (long long)p->settle_to, p->name,
			  (long long)p->settle_threshold);
	if (strchr(p->name, ':') != NULL)   /* never: names are address segments */
		conf_fail(st, p->settle_line, "peer name '%s' cannot be an engine "
			  "account id", p->name);
}

int conf_set_settlement(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_conf *c = st->c;

	c->settlement_line = st->sec_line[SEC_SETTLEMENT];
	switch (k) {
	case K_SL_LISTEN:
		c->settlement_listen_line = st->line;
		return conf_listen(st, v, &c->settlement_listen);
	case K_SL_ALLOW_REMOTE:
		return conf_bool(st, "allow_remote", v, &c->settlement_allow_remote);
	default:
		return -1;
	}
}

void conf_finish_settlement(struct conf_parse *st)
{
	const struct ilpd_conf *c = st->c;
	const char *h = c->settlement_listen.host;
	uint8_t a[16];
	bool v6;

	/* an IP address or localhost, as for the engines: a name such as
	 * 127.evil.example would be looked up (and is not loopback) */
	if (c->settlement_listen.enabled && !conf_ieq(h, "localhost") &&
	    ilpd_ip_parse(h, strlen(h), a, &v6) != 0)
		conf_fail(st, c->settlement_listen_line, "[settlement] listen must have an "
			  "IP address or localhost as HOST, not the name '%s' (a name "
			  "would be looked up, a blocking DNS query)", h);
	else if (c->settlement_listen.enabled && !c->settlement_allow_remote &&
	    !ilpd_host_is_loopback(c->settlement_listen.host))
		conf_fail(st, c->settlement_listen_line, "[settlement] listen must be a "
			  "loopback address (engines credit balances through it); set "
			  "allow_remote = true to listen on '%s'", c->settlement_listen.host);
}
