/*
 * dial.c - the daemon's outbound side: dialling a peer's link (direct,
 * through the SOCKS5h proxy to an onion or a clearnet host, with or
 * without TLS), the TLS client and server configurations, the link timer
 * that redials with backoff, and what a transport change does to links.
 * Split out of daemon.c along the seam "how a link gets a connection";
 * what the two share is in daemon_int.h. Memory: none of its own.
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "daemon_int.h"
#include "transport.h"
#include "hal/hal_log.h"
#include "hal/hal_net.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"

#define DM_CONNECT_TIMEOUT_MS 10000

/* Resolves the link's host once and keeps the address: a blocking lookup
 * (hal_resolve) must not stall the loop on every redial. A reload that
 * changes the URL changes the host, which resolves again. */
static int dm_link_ip(struct ilpd_link *l)
{
	const char *host = l->conf->url.host;

	if (l->ip[0] != '\0' && strcmp(l->ip_host, host) == 0)
		return 0;
	if (hal_resolve(host, l->ip) != HAL_NET_OK) {
		l->ip[0] = '\0';
		return -1;
	}
	snprintf(l->ip_host, sizeof(l->ip_host), "%s", host);
	return 0;
}

#if ILPD_HAVE_TLS
/* Loads the trust anchors once; logs "FILE:LINE: [tls] ca_file: ..." on
 * failure. 0 or -1. */
int ilpd_tls_client_cfg(struct ilpd_daemon *d)
{
	const struct ilpd_conf *cf = d->conf;
	char err[400], msg[700], q[760];

	if (d->tls_client_ready)
		return 0;
	if (tls_config_client(&d->tls_client_cfg, cf->tls.ca_file, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "%s:%d: [tls] ca_file: %s", cf->source,
			 cf->tls.ca_line, err);
		hal_log(HAL_LOG_ERROR, "tls.config_failed", "reason=%s",
			hal_log_quote(msg, strlen(msg), q, sizeof(q)));
		return -1;
	}
	d->tls_client_ready = true;
	return 0;
}

int ilpd_tls_server_cfg(struct ilpd_daemon *d)
{
	const struct ilpd_conf *cf = d->conf;
	char err[400], msg[700], q[760];

	if (d->tls_server_ready || !cf->tls.listen_tls)
		return 0;
	if (tls_config_server(&d->tls_server_cfg, cf->tls.cert_file, cf->tls.key_file, err,
			      sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "%s:%d: [tls] cert_file: %s", cf->source,
			 cf->tls.cert_line, err);
		hal_log(HAL_LOG_ERROR, "tls.config_failed", "reason=%s",
			hal_log_quote(msg, strlen(msg), q, sizeof(q)));
		return -1;
	}
	d->tls_server_ready = true;
	return 0;
}

/* Starts slot ci's engine as a client for link l and hands it to the
 * connection. NULL, or the reason it failed. */
static const char *dm_tls_dial(struct ilpd_daemon *d, struct ilpd_link *l, int ci)
{
	const struct ilpd_peer_conf *p = l->conf;
	const char *name = p->tls_server_name[0] != '\0' ? p->tls_server_name : p->url.host;

	if (ilpd_tls_client_cfg(d) != 0)
		return "cannot load [tls] ca_file";
	if (tls_conn_start(&d->tls[ci], &d->tls_client_cfg, TLS_CLIENT, name,
			   p->has_pin ? p->tls_pin : NULL) != 0) {
		tls_conn_release(&d->tls[ci]);
		return "cannot start TLS";
	}
	(void)wsconn_use_tls(&d->conn[ci].ws, &d->tls[ci]);
	return NULL;
}
#endif

/* wss:// link: puts TLS under slot ci. 0, or -1 after logging. */
static int dm_dial_tls(struct ilpd_daemon *d, struct ilpd_link *l, int ci)
{
	const char *why = "this ilpd was built without TLS";

#if ILPD_HAVE_TLS
	why = dm_tls_dial(d, l, ci);
	if (why == NULL)
		return 0;
#else
	(void)ci;
#endif
	d->ctr.tls_failed++;
	hal_log(HAL_LOG_WARN, "peer.tls_failed", "peer=%s reason=\"%s\"", l->conf->name, why);
	return -1;
}

/* Where a dial connects: the peer itself (resolved once, dm_link_ip), or
 * the SOCKS5 proxy with the peer's host and port in l->socks, never
 * resolved here ([transport], ilpd_peer_via_proxy). A proxy dial that fails
 * is never retried directly. 0, or -1 with *why. */
static int dm_dial_target(struct ilpd_daemon *d, struct ilpd_link *l, char ip[HAL_IP_STR_MAX],
			  uint16_t *port, const char **why)
{
	const struct ilpd_transport_conf *t = &d->conf->transport;
	const struct ilpd_url *u = &l->conf->url;
	char pass[32];

	l->via_proxy = ilpd_peer_via_proxy(t, u->host);
	if (!l->via_proxy) {
		*why = "cannot resolve host";
		if (dm_link_ip(l) != 0)
			return -1;
		memcpy(ip, l->ip, HAL_IP_STR_MAX);
		*port = u->port;
		return 0;
	}
	/* RFC 1929 credentials per peer: tor's IsolateSOCKSAuth then keeps
	 * every peer on circuits of its own. The password changes with every
	 * dial attempt, so no attempt waits behind an earlier one's stuck
	 * rendezvous for the same isolation key (after the far side's tor
	 * restarted, such a request may never be answered). */
	*why = "cannot start SOCKS5";
	l->proxy_dials++;
	snprintf(pass, sizeof(pass), "ilpd-%llu", (unsigned long long)l->proxy_dials);
	if (socks5_start(&l->socks, u->host, u->port, l->conf->name, pass) != 0)
		return -1;
	snprintf(ip, HAL_IP_STR_MAX, "%s", t->proxy_host);
	*port = t->proxy_port;
	return 0;
}

static int64_t dm_proxy_deadline(const struct ilpd_daemon *d, const struct ilpd_link *l)
{
	const struct ilpd_transport_conf *t = &d->conf->transport;

	if (!l->via_proxy)
		return 0;
	/* a redial to an onion after a drop: short first deadline (transport.h) */
	return ilpd_transport_dial_deadline_ms(t, ilpd_host_is_onion(t, l->conf->url.host),
					       l->connects > 0, l->proxy_timeouts);
}

static void dm_dial_failed(struct ilpd_daemon *d, struct ilpd_link *l, int ci, const char *why)
{
	if (ci >= 0)
		d->conn[ci].used = false;
	l->last_error = why;
	hal_log(HAL_LOG_WARN, "peer.connect_failed", "peer=%s reason=\"%s\"", l->conf->name, why);
	ilpd_schedule_dial(d, l);
}

void ilpd_dial(struct ilpd_daemon *d, struct ilpd_link *l)
{
	const struct ilpd_url *u = &l->conf->url;
	char host[ILPD_WSCONN_HOST_MAX + 1], ip[HAL_IP_STR_MAX];
	const char *why = "no free connection";
	int ci = ilpd_conn_alloc(d);
	int64_t proxy_ms;
	uint16_t port = 0;
	struct ilpd_conn *c;
	int hl = snprintf(host, sizeof(host), "%s:%u", u->host, (unsigned)u->port);

	if (ci < 0 || hl < 0 || (size_t)hl >= sizeof(host) ||
	    dm_dial_target(d, l, ip, &port, &why) != 0) {
		dm_dial_failed(d, l, ci, why);
		return;
	}
	c = &d->conn[ci];
	c->inbound = false;
	c->link = l->index;
	c->since = ev_now(&d->loop);
	if (u->tls && dm_dial_tls(d, l, ci) != 0) {
		c->used = false;
		ilpd_schedule_dial(d, l);
		return;
	}
	proxy_ms = dm_proxy_deadline(d, l);
	if (proxy_ms > 0)
		(void)wsconn_use_socks(&c->ws, &l->socks, proxy_ms);
	if (wsconn_connect(&c->ws, &d->loop, ip, port, host, u->path, &ilpd_conn_cbs, c) != 0) {
		dm_dial_failed(d, l, -1, l->via_proxy ? "cannot connect to the proxy" :
			       "connect failed");
		c->used = false;
		return;
	}
	l->conn = ci;
	l->state = LINK_CONNECTING;
	ilpd_link_arm(d, l, DM_CONNECT_TIMEOUT_MS + proxy_ms);
}

void ilpd_daemon_transport_changed(struct ilpd_daemon *d)
{
	size_t i;

	if (d->stopping)
		return;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		struct ilpd_link *l = &d->link[i];

		if (l->conf == NULL || !l->conf->outbound || l->state != LINK_DOWN)
			continue;
		l->backoff_ms = d->conf->reconnect_min_ms;
		ilpd_link_arm(d, l, (int64_t)(ilpd_random_u32() % 200u));
	}
}

/* Keepalive (up), connect/auth timeout (connecting), redial (down). */
void ilpd_link_timer(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_link *l = arg;
	struct ilpd_daemon *d = l->d;
	struct ilpd_conn *c = l->conn >= 0 ? &d->conn[l->conn] : NULL;

	(void)loop;
	(void)id;
	l->timer = -1;
	if (l->state == LINK_DOWN) {
		if (!d->stopping)
			ilpd_dial(d, l);
	} else if (l->state != LINK_UP) {
		if (c != NULL)
			wsconn_abort(&c->ws, "connect or auth timed out");
	} else if (c != NULL) {
		/* Two intervals in a row with nothing received (not even the pong
		 * to our last ping) mean the link is dead. */
		l->idle_ticks = c->ws.bytes_in == l->idle_mark ? (uint8_t)(l->idle_ticks + 1) : 0;
		if (l->idle_ticks >= 2) {
			wsconn_abort(&c->ws, "keepalive: nothing received");
			return;
		}
		l->idle_mark = c->ws.bytes_in;
		(void)wsconn_send(&c->ws, WS_OP_PING, NULL, 0);
		ilpd_link_arm(d, l, d->conf->ping_interval_ms);
	}
}
