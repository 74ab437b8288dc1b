/*
 * auth.c - BTP authentication of peer links (moved out of daemon.c along
 * this seam): an inbound connection's first frame must be a BTP auth
 * Message whose auth_token matches an inbound peer (constant-time, against
 * every peer); an outbound link waits for the answer to its own auth
 * Message; an inbound connection that does not authenticate in time is
 * closed. No state of its own (the links and connections are the
 * daemon's); no heap.
 */
#include "daemon.h"
#include "daemon_int.h"

#include <string.h>

#include "hal/hal_crypto.h"
#include "hal/hal_log.h"
#include "ilp/btp.h"

/* Constant-time token match against every inbound link; -1 if none. */
static int au_find_token(const struct ilpd_daemon *d, const uint8_t *tok, size_t len)
{
	uint8_t given[ILPD_CONF_TOKEN_MAX + 1];
	int found = -1;
	size_t i;

	memset(given, 0, sizeof(given));
	if (len > ILPD_CONF_TOKEN_MAX)
		return -1;
	memcpy(given, tok, len);
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ilpd_peer_conf *p = d->link[i].conf;
		uint8_t want[ILPD_CONF_TOKEN_MAX + 1];
		size_t wl;
		int same;

		if (p == NULL)
			continue;
		wl = strlen(p->token);
		memset(want, 0, sizeof(want));
		memcpy(want, p->token, wl);
		same = hal_memeq_ct(given, want, sizeof(want)) == 0 && wl == len;
		if (same && !p->outbound && found < 0)
			found = (int)i;
	}
	return found;
}

void ilpd_auth_inbound(struct ilpd_daemon *d, struct ilpd_conn *c,
			    const struct btp_frame *f)
{
	struct btp_auth a;
	const char *why = "";
	struct ilpd_link *l;
	int peer;

	if (btp_auth_parse(f, &a, &why) != ILP_OK) {
		ilpd_send_btp_error(d, c, f->request_id, "F00", "NotAcceptedError",
				  "Auth packet must have auth and auth_token subprotocols");
		wsconn_close(&c->ws, WS_CLOSE_POLICY, "not an auth frame");
		d->ctr.auth_failures++;
		hal_log(HAL_LOG_WARN, "peer.auth_failed", "reason=\"first frame is not auth\"");
		return;
	}
	peer = au_find_token(d, a.token, a.token_len);
	if (peer < 0) {
		ilpd_send_btp_error(d, c, f->request_id, "F00", "NotAcceptedError",
				  "invalid auth_token");
		wsconn_close(&c->ws, WS_CLOSE_POLICY, "invalid token");
		d->ctr.auth_failures++;
		hal_log(HAL_LOG_WARN, "peer.auth_failed", "reason=\"unknown token\"");
		return;
	}
	l = &d->link[peer];
	if (l->conn >= 0) {
		/* A new session replaces the old one (as ilp-plugin-btp does). */
		struct ilpd_conn *old = &d->conn[l->conn];

		old->link = -1;
		ilpd_link_down(d, l, "replaced by a new connection");
		wsconn_close(&old->ws, WS_CLOSE_NORMAL, "replaced");
	}
	if (c->auth_timer >= 0) {
		ev_timer_del(&d->loop, c->auth_timer);
		c->auth_timer = -1;
	}
	c->link = peer;
	l->conn = (int)c->index;
	ilpd_send_btp_response(d, c, f->request_id);
	ilpd_link_up(d, l);
}

/* Outbound link in LINK_AUTH: the answer to our auth Message. */
void ilpd_auth_answer(struct ilpd_daemon *d, struct ilpd_link *l,
			   struct ilpd_conn *c, const struct btp_frame *f)
{
	if (f->request_id != l->auth_id)
		return;
	if (f->type == BTP_RESPONSE) {
		ilpd_link_up(d, l);
		return;
	}
	l->auth_failures++;
	d->ctr.auth_failures++;
	hal_log(HAL_LOG_WARN, "peer.auth_failed", "peer=%s reason=\"refused by the peer\"",
		l->conf->name);
	wsconn_close(&c->ws, WS_CLOSE_POLICY, "auth refused");
}

/* Timer: an inbound connection that has not authenticated in time. */
void ilpd_conn_auth_deadline(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_conn *c = arg;

	(void)loop;
	(void)id;
	c->auth_timer = -1;
	if (c->used && c->link < 0) {
		hal_log(HAL_LOG_INFO, "conn.auth_timeout", "conn=%u", (unsigned)c->index);
		wsconn_abort(&c->ws, "no auth in time");
	}
}
