/*
 * listener.c - who gets a connection slot: the BTP listener, its lobby
 * (net/lobby.h) and the admission of inbound connections by the progress
 * they made (daemon.h, "Floods"; ilpd(8), CONNECTION FLOODS).
 *
 * IMPLEMENTATION NOTES
 * - A connection reaches this file's code only with its first bytes (the
 *   lobby holds it until then); it then needs a slot of the connection
 *   pool. Unauthenticated connections may hold every slot that no
 *   configured peer needs; beyond that a newcomer takes the slot of the
 *   one that made the least progress, or is refused.
 * - Once in a slot the connection is daemon.c's: its callbacks
 *   (ilpd_conn_cbs) and its auth deadline (ilpd_conn_auth_deadline).
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "daemon_int.h"
#include "hal/hal_log.h"

#define DM_SPARE_CONNS (ILPD_MAX_CONNS - ILPD_MAX_PEERS)

_Static_assert(ILPD_MAX_CONNS > ILPD_MAX_PEERS, "need spare connections for inbound auth");

/* How far an unauthenticated inbound connection got: 0 closing (replaced
 * or refused, draining), 1 handshaking (it sent bytes), 2 TLS done,
 * 3 WebSocket open (waiting for its auth frame). */
static int ls_progress(const struct ilpd_conn *c)
{
	const struct wsconn *w = &c->ws;

	if (w->state == WSC_CLOSING || w->state == WSC_CLOSED || w->state == WSC_IDLE)
		return 0;
	if (w->state == WSC_OPEN)
		return 3;
	return w->tls != NULL && w->tls_up ? 2 : 1;
}

/* Slots that connections without a peer may hold: every slot no
 * configured peer needs, and never fewer than the spare ones. */
static int ls_preauth_cap(const struct ilpd_daemon *d)
{
	int i, peers = 0;

	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (d->link[i].conf != NULL)
			peers++;
	return ILPD_MAX_CONNS - peers > DM_SPARE_CONNS ? ILPD_MAX_CONNS - peers : DM_SPARE_CONNS;
}

/* The unauthenticated inbound connection a newcomer may push out: the one
 * with the least progress, oldest first, if that is a closing one or one
 * still handshaking after half of auth_timeout_ms; else -1. *n counts
 * them all. */
static int ls_evict_candidate(const struct ilpd_daemon *d, int *n)
{
	int64_t now = ev_now(&d->loop), grace = d->conf->auth_timeout_ms / 2;
	int i, best = -1, best_p = 0;

	*n = 0;
	for (i = 0; i < ILPD_MAX_CONNS; i++) {
		const struct ilpd_conn *c = &d->conn[i];
		int p;

		if (!c->used || !c->inbound || c->link >= 0)
			continue;
		(*n)++;
		p = ls_progress(c);
		if (p > 1 || (p == 1 && now - c->since < grace))
			continue;
		if (best < 0 || p < best_p || (p == best_p && c->since < d->conn[best].since)) {
			best = i;
			best_p = p;
		}
	}
	return best;
}

/* A connection slot for an inbound connection that sent its first byte,
 * or -1 (refused: see daemon.h, "Floods"). */
static int ls_inbound_slot(struct ilpd_daemon *d)
{
	int n, victim = ls_evict_candidate(d, &n);

	if (n >= ls_preauth_cap(d)) {
		if (victim < 0)
			return -1;
		d->ctr.evicted++;
		hal_log(HAL_LOG_DEBUG, "conn.evicted", "conn=%d reason=\"too many unauthenticated\"",
			victim);
		wsconn_abort(&d->conn[victim].ws, "evicted");
	}
	return ilpd_conn_alloc(d);
}

/* [btp] tls = on: puts a server engine under slot ci. 0 or -1. */
static int ls_accept_tls(struct ilpd_daemon *d, int ci)
{
#if ILPD_HAVE_TLS
	if (d->tls_server_ready &&
	    tls_conn_start(&d->tls[ci], &d->tls_server_cfg, TLS_SERVER, NULL, NULL) == 0 &&
	    wsconn_use_tls(&d->conn[ci].ws, &d->tls[ci]) == 0)
		return 0;
	tls_conn_release(&d->tls[ci]);
#else
	(void)ci;
#endif
	d->ctr.tls_failed++;
	hal_log(HAL_LOG_WARN, "conn.tls_failed", "conn=%d reason=\"cannot start TLS\"", ci);
	return -1;
}

/* A lobby connection sent its first byte: give it a slot. */
static void ls_lobby_ready(struct lobby *lb, hal_fd fd, int64_t since, bool no_room,
			   void *arg)
{
	struct ilpd_daemon *d = arg;
	struct ev_loop *loop = &d->loop;
	int64_t now = ev_now(loop), due;
	int ci = ls_inbound_slot(d);
	struct ilpd_conn *c;

	(void)lb;
	(void)no_room; /* LOBBY_PAUSE: never set */
	if (ci < 0) {
		hal_close(fd);
		d->ctr.conns_refused++;
		if (d->refused_logged == 0 || now - d->refused_logged >= LOBBY_FULL_REPORT_MS) {
			d->refused_logged = now;
			hal_log(HAL_LOG_WARN, "conn.refused",
				"reason=\"every slot holds a connection that got further\" refused_total=%llu",
				(unsigned long long)d->ctr.conns_refused);
		}
		return;
	}
	c = &d->conn[ci];
	c->inbound = true;
	c->since = now;
	if (d->conf->tls.listen_tls && ls_accept_tls(d, ci) != 0) {
		hal_close(fd);
		c->used = false;
		return;
	}
	if (wsconn_accept(&c->ws, loop, fd, &ilpd_conn_cbs, c) != 0) {
		c->used = false;
		return;
	}
	/* The auth deadline counts from the accept: time in the lobby counts. */
	due = since + d->conf->auth_timeout_ms;
	c->auth_timer = ev_timer_add(loop, due > now ? due : now, ilpd_conn_auth_deadline, c);
	d->ctr.conns_accepted++;
	hal_log(HAL_LOG_DEBUG, "conn.accepted", "conn=%d", ci);
}

/* The lobby is full (a flood, or many slow peers at once): at most one
 * line per LOBBY_FULL_REPORT_MS. */
void ilpd_log_lobby_full(const struct lobby *lb, const char *listener)
{
	hal_log(HAL_LOG_WARN, "conn.flood",
		"listener=%s waiting=%u accepted_total=%llu evicted_total=%llu idle_closed_total=%llu",
		listener, (unsigned)lb->n, (unsigned long long)lb->st.accepted,
		(unsigned long long)lb->st.evicted, (unsigned long long)lb->st.idle_closed);
}

static void ls_lobby_full(struct lobby *lb, void *arg)
{
	(void)arg;
	ilpd_log_lobby_full(lb, "btp");
}

/* The lobby's timeouts follow [btp] auth_timeout_ms (start and reload). */
void ilpd_daemon_timeouts_changed(struct ilpd_daemon *d)
{
	if (d->btp_lobby.loop != NULL)
		lobby_set_timeouts(&d->btp_lobby, d->conf->auth_timeout_ms / 2,
				   d->conf->auth_timeout_ms);
}

int ilpd_listen(struct ilpd_daemon *d)
{
	const struct ilpd_endpoint *e = &d->conf->btp_listen;
	char ip[HAL_IP_STR_MAX];

	if (!e->enabled)
		return 0;
	if (hal_resolve(e->host, ip) != HAL_NET_OK ||
	    hal_tcp_listen(ip, e->port, 128, &d->btp_fd) != HAL_NET_OK) {
		hal_log(HAL_LOG_ERROR, "btp.listen_failed", "host=%s port=%u", e->host,
			(unsigned)e->port);
		return -1;
	}
	if (lobby_open(&d->btp_lobby, &d->loop, d->btp_fd, d->btp_lobby_slot, ILPD_LOBBY_BTP,
		       d->conf->auth_timeout_ms / 2, d->conf->auth_timeout_ms, LOBBY_PAUSE,
		       ls_lobby_ready, ls_lobby_full, d) != 0)
		return -1;
	hal_log(HAL_LOG_INFO, "btp.listening", "host=%s port=%u", e->host, (unsigned)e->port);
	return 0;
}

