/*
 * ildcp_client.c - the IL-DCP client: ilpd asks its parent for its address
 * (see ildcp_client.h for the modes, the refusal rule and the timing).
 *
 * Memory: the state lives in struct ilpd_daemon (struct ildcp_sm); the
 * request is built in a 64-byte stack buffer and framed in d->frame. No heap.
 * Rules: the state machine (ildcp_sm_*) never reads a clock or logs; the glue
 * (ilpd_ildcp_*) does both, and changes the switch's address only through
 * ilp_switch_set_address().
 */
#include <string.h>

#include "daemon.h"
#include "hal/hal_log.h"
#include "hal/hal_time.h"
#include "ilp/btp.h"
#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "ildcp_client.h"

/* ---- the state machine (pure) ------------------------------------------- */

void ildcp_sm_init(struct ildcp_sm *s, enum ildcp_mode mode, uint16_t parent,
		   const char *addr)
{
	size_t n = addr != NULL ? strlen(addr) : 0;

	memset(s, 0, sizeof(*s));
	s->mode = (uint8_t)mode;
	s->parent = parent;
	s->state = ILDCP_ST_IDLE;
	s->backoff_ms = ILDCP_BACKOFF_MIN_MS;
	if (mode == ILDCP_MODE_CHECK && n > 0 && n <= ILPD_ADDRESS_MAX) {
		memcpy(s->address, addr, n);
		s->address_len = (uint16_t)n;
		s->have = true;
	}
}

void ildcp_sm_link(struct ildcp_sm *s, int64_t now, bool up)
{
	if (s->mode == ILDCP_MODE_OFF)
		return;
	s->state = up ? ILDCP_ST_DUE : ILDCP_ST_IDLE;
	s->due = now;
	s->attempts = 0;
	s->backoff_ms = ILDCP_BACKOFF_MIN_MS;
}

int64_t ildcp_sm_next(const struct ildcp_sm *s)
{
	return s->state == ILDCP_ST_DUE || s->state == ILDCP_ST_SENT ? s->due : INT64_MAX;
}

static enum ildcp_result sm_fail(struct ildcp_sm *s, int64_t now, const char *why)
{
	s->why = why;
	s->failures++;
	if (++s->attempts >= ILDCP_MAX_ATTEMPTS) {
		s->state = ILDCP_ST_GAVE_UP;
		return ILDCP_R_GAVE_UP;
	}
	s->state = ILDCP_ST_DUE;
	s->due = now + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > ILDCP_BACKOFF_MAX_MS ? ILDCP_BACKOFF_MAX_MS
								   : s->backoff_ms * 2;
	return ILDCP_R_FAILED;
}

int ildcp_sm_poll(struct ildcp_sm *s, int64_t now, uint8_t *buf, size_t cap,
		  size_t *len, uint32_t *id, enum ildcp_result *res)
{
	*res = ILDCP_R_NONE;
	if (s->state == ILDCP_ST_SENT && now >= s->due) {
		*res = sm_fail(s, now, "timeout");
		return 0;
	}
	if (s->state != ILDCP_ST_DUE || now < s->due)
		return 0;
	if (ildcp_request_encode(now + ILDCP_TIMEOUT_MS, buf, cap, len) != ILP_OK) {
		*res = sm_fail(s, now, "request does not fit");
		return 0;
	}
	s->seq++;
	s->req_id = (uint32_t)s->seq << 16 | 0xFFFFu;
	*id = s->req_id;
	s->state = ILDCP_ST_SENT;
	s->due = now + ILDCP_TIMEOUT_MS;
	return 1;
}

enum ildcp_result ildcp_sm_send_failed(struct ildcp_sm *s, int64_t now)
{
	if (s->state != ILDCP_ST_SENT)
		return ILDCP_R_NONE;
	return sm_fail(s, now, "send failed");
}

bool ildcp_sm_owns(const struct ildcp_sm *s, uint16_t peer, uint32_t id)
{
	return s->state == ILDCP_ST_SENT && peer == s->parent && id == s->req_id;
}

enum ildcp_result ildcp_sm_answer(struct ildcp_sm *s, int64_t now, const uint8_t *pkt,
				  size_t len)
{
	struct ildcp_response r;
	const char *why = NULL;

	if (s->state != ILDCP_ST_SENT)
		return ILDCP_R_NONE;
	s->answers++;
	if (pkt == NULL || len == 0)
		return sm_fail(s, now, "BTP error");
	if (pkt[0] == ILP_TYPE_REJECT)
		return sm_fail(s, now, "rejected");
	if (ildcp_response_decode(pkt, len, &r, &why) != ILP_OK)
		return sm_fail(s, now, "malformed answer");
	if (r.client_address_len > ILPD_ADDRESS_MAX)
		return sm_fail(s, now, "address longer than this board allows");
	if (ilp_address_link_local(r.client_address, r.client_address_len))
		return sm_fail(s, now, "address in the peer. or self. scheme");
	if (r.asset_code_len > ILPD_ASSET_CODE_MAX || r.asset_code_len == 0)
		return sm_fail(s, now, "asset code empty or too long");
	s->state = ILDCP_ST_DONE;
	memcpy(s->got, r.client_address, r.client_address_len);
	s->got[r.client_address_len] = '\0';
	s->got_len = (uint16_t)r.client_address_len;
	memcpy(s->got_code, r.asset_code, r.asset_code_len);
	s->got_code[r.asset_code_len] = '\0';
	s->got_scale = r.asset_scale;
	if (!s->have) {
		memcpy(s->address, s->got, s->got_len + 1u);
		s->address_len = s->got_len;
		memcpy(s->asset_code, r.asset_code, r.asset_code_len);
		s->asset_code[r.asset_code_len] = '\0';
		s->asset_scale = r.asset_scale;
		s->have = true;
		return ILDCP_R_ADOPT;
	}
	if (s->got_len == s->address_len && memcmp(s->got, s->address, s->got_len) == 0 &&
	    (s->mode == ILDCP_MODE_CHECK ||
	     (r.asset_scale == s->asset_scale && r.asset_code_len == strlen(s->asset_code) &&
	      memcmp(r.asset_code, s->asset_code, r.asset_code_len) == 0)))
		return ILDCP_R_SAME;
	return s->mode == ILDCP_MODE_CHECK ? ILDCP_R_MISMATCH : ILDCP_R_REFUSED;
}

/* ---- glue --------------------------------------------------------------- */

static void ic_timer(struct ev_loop *loop, int id, void *arg);

static void ic_arm(struct ilpd_daemon *d)
{
	struct ildcp_sm *s = &d->ildcp;
	int64_t due = ildcp_sm_next(s), delay;

	if (d->ildcp_timer >= 0)
		ev_timer_del(&d->loop, d->ildcp_timer);
	d->ildcp_timer = -1;
	if (due == INT64_MAX)
		return;
	delay = due - hal_wall_ms();
	if (delay < 0)
		delay = 0;
	d->ildcp_timer = ev_timer_add(&d->loop, ev_now(&d->loop) + delay, ic_timer, d);
}

/* Peers that follow the node's asset (their asset equals the [node] one,
 * set or default) take the parent's. */
static void ic_adopt_asset(struct ilpd_daemon *d)
{
	const struct ilpd_conf *cf = d->conf;
	const struct ildcp_sm *s = &d->ildcp;
	size_t i;

	for (i = 0; i < cf->npeers && i < ILPD_MAX_PEERS; i++) {
		struct ilp_peer_cfg pc;

		if (d->link[i].conf == NULL || !d->sw.peers[i].used ||
		    strcmp(d->link[i].conf->asset_code, cf->asset_code) != 0 ||
		    d->link[i].conf->rate.scale != cf->asset_scale)
			continue;
		pc = d->sw.peers[i].cfg;
		memcpy(pc.asset_code, s->asset_code, sizeof(pc.asset_code));
		pc.rate.scale = s->asset_scale;
		if (ilp_switch_update_peer(&d->sw, (uint16_t)i, &pc) != ILP_OK)
			hal_log(HAL_LOG_WARN, "ildcp.asset_failed", "peer=%s",
				d->sw.peers[i].cfg.name);
	}
}

static void ic_result(struct ilpd_daemon *d, enum ildcp_result r)
{
	struct ildcp_sm *s = &d->ildcp;
	const char *parent = d->sw.peers[s->parent].cfg.name;
	int e;

	switch (r) {
	case ILDCP_R_NONE:
		break;
	case ILDCP_R_ADOPT:
		e = ilp_switch_set_address(&d->sw, (const uint8_t *)s->address, s->address_len);
		if (e != ILP_OK && e != ILP_ERR_FULL) {
			hal_log(HAL_LOG_ERROR, "ildcp.address_unusable", "peer=%s address=%s",
				parent, s->address);
			s->have = false;
			break;
		}
		ic_adopt_asset(d);
		ilpd_local_reconfigure(d);   /* the local account's asset follows */
		hal_log(HAL_LOG_INFO, "ildcp.address", "peer=%s address=%s asset_code=%s "
			"asset_scale=%u", parent, s->address, s->asset_code,
			(unsigned)s->asset_scale);
		if (e == ILP_ERR_FULL)
			hal_log(HAL_LOG_ERROR, "ildcp.child_routes_full", "address=%s", s->address);
		break;
	case ILDCP_R_SAME:
		hal_log(HAL_LOG_DEBUG, "ildcp.confirmed", "peer=%s address=%s", parent, s->got);
		if (s->conflict) {
			/* The parent answers as before again: its link is used again. */
			s->conflict = false;
			if (d->link[s->parent].state == LINK_UP)
				ilp_switch_set_peer_up(&d->sw, s->parent, true);
			hal_log(HAL_LOG_INFO, "ildcp.conflict_cleared", "peer=%s address=%s",
				parent, s->address);
		}
		break;
	case ILDCP_R_MISMATCH:
		hal_log(HAL_LOG_WARN, "ildcp.address_mismatch", "peer=%s configured=%s assigned=%s",
			parent, s->address, s->got);
		break;
	case ILDCP_R_REFUSED:
		/* Keep the address and asset in use, and do not use the parent's
		 * link while it disagrees: its packets would be at another scale
		 * or for another address space (a loop through the default
		 * route). Packets to it get T01 (not routable), packets from it
		 * T01 (ilpd_ildcp_refusing); asked again at the next link-up. */
		s->conflict = true;
		ilp_switch_set_peer_up(&d->sw, s->parent, false);
		hal_log(HAL_LOG_ERROR, "ildcp.address_refused", "peer=%s in_use=%s assigned=%s "
			"asset_in_use=%s/%u asset_assigned=%s/%u note=\"the parent's link is not "
			"used until it answers as before (or ilpd restarts)\"",
			parent, s->address, s->got, s->asset_code, (unsigned)s->asset_scale,
			s->got_code, (unsigned)s->got_scale);
		break;
	case ILDCP_R_FAILED:
		/* With a configured address the answer is only a cross-check. */
		hal_log(s->mode == ILDCP_MODE_AUTO ? HAL_LOG_WARN : HAL_LOG_DEBUG, "ildcp.failed", "peer=%s reason=\"%s\" attempt=%u retry_ms=%lld",
			parent, s->why, (unsigned)s->attempts,
			(long long)(s->due - hal_wall_ms()));
		break;
	case ILDCP_R_GAVE_UP:
		hal_log(s->mode == ILDCP_MODE_AUTO ? HAL_LOG_ERROR : HAL_LOG_INFO, "ildcp.gave_up", "peer=%s reason=\"%s\" attempts=%u",
			parent, s->why, (unsigned)s->attempts);
		break;
	}
}

/* Sends what is due and handles a timeout; rearms the timer. */
static void ic_run(struct ilpd_daemon *d)
{
	struct ildcp_sm *s = &d->ildcp;
	const struct ilpd_link *l = &d->link[s->parent];
	enum ildcp_result r;
	uint8_t req[128];
	size_t len = 0, flen;
	uint32_t id = 0;

	if (ildcp_sm_poll(s, hal_wall_ms(), req, sizeof(req), &len, &id, &r) == 1) {
		struct ilpd_conn *c = l->state == LINK_UP && l->conn >= 0 ? &d->conn[l->conn] : NULL;

		if (c != NULL && c->ws.state == WSC_OPEN &&
		    btp_ilp_encode(BTP_MESSAGE, id, req, len, d->frame, sizeof(d->frame),
				   &flen) == ILP_OK &&
		    wsconn_send(&c->ws, WS_OP_BINARY, d->frame, flen) == 0)
			hal_log(HAL_LOG_DEBUG, "ildcp.request", "peer=%s attempt=%u",
				d->sw.peers[s->parent].cfg.name, (unsigned)s->attempts + 1u);
		else
			r = ildcp_sm_send_failed(s, hal_wall_ms());
	}
	ic_result(d, r);
	ic_arm(d);
}

static void ic_timer(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_daemon *d = arg;

	(void)loop;
	if (id == d->ildcp_timer)
		d->ildcp_timer = -1;
	ic_run(d);
}

void ilpd_ildcp_start(struct ilpd_daemon *d)
{
	const struct ilpd_conf *cf = d->conf;
	int parent = -1;
	size_t i;

	d->ildcp_timer = -1;
	for (i = 0; i < cf->npeers; i++) {
		if (cf->peer[i].relation == ILP_REL_PARENT) {
			parent = (int)i;
			break;
		}
	}
	if (parent < 0) {
		ildcp_sm_init(&d->ildcp, ILDCP_MODE_OFF, 0, NULL);
		return;
	}
	if (cf->address[0] == '\0') {
		ildcp_sm_init(&d->ildcp, ILDCP_MODE_AUTO, (uint16_t)parent, NULL);
		hal_log(HAL_LOG_INFO, "ildcp.waiting", "peer=%s", cf->peer[parent].name);
	} else {
		ildcp_sm_init(&d->ildcp, ILDCP_MODE_CHECK, (uint16_t)parent, cf->address);
	}
}

void ilpd_ildcp_link(struct ilpd_daemon *d, uint16_t peer, bool up)
{
	struct ildcp_sm *s = &d->ildcp;

	if (s->mode == ILDCP_MODE_OFF || peer != s->parent)
		return;
	/* A reload may have made the slot another peer's, or not a parent. */
	if (up && d->sw.peers[peer].cfg.relation != ILP_REL_PARENT)
		return;
	ildcp_sm_link(s, hal_wall_ms(), up);
	/* After a refused answer the link stays unused until the parent
	 * answers as before (ILDCP_R_SAME). */
	if (up && s->conflict)
		ilp_switch_set_peer_up(&d->sw, peer, false);
	if (up)
		ic_run(d);
	else
		ic_arm(d);
}

bool ilpd_ildcp_refusing(const struct ilpd_daemon *d, uint16_t peer)
{
	return d->ildcp.conflict && peer == d->ildcp.parent;
}

bool ilpd_ildcp_answer(struct ilpd_daemon *d, uint16_t peer, uint32_t id,
		       const uint8_t *ilp, size_t ilp_len, bool btp_error)
{
	struct ildcp_sm *s = &d->ildcp;

	if (!ildcp_sm_owns(s, peer, id))
		return false;
	ic_result(d, ildcp_sm_answer(s, hal_wall_ms(), btp_error ? NULL : ilp,
				     btp_error ? 0 : ilp_len));
	ic_arm(d);
	return true;
}

void ilpd_ildcp_reloaded(struct ilpd_daemon *d)
{
	if (d->ildcp.mode == ILDCP_MODE_AUTO && d->sw.cfg.address_len != 0)
		ic_adopt_asset(d);
}

const char *ilpd_ildcp_address_source(const struct ilpd_daemon *d)
{
	if (d->ildcp.mode != ILDCP_MODE_AUTO)
		return "config";
	if (d->ildcp.conflict)
		return "ildcp; the parent now assigns another address or asset (refused): "
		       "its link is not used";
	if (d->sw.cfg.address_len != 0)
		return "ildcp";
	return d->ildcp.state == ILDCP_ST_GAVE_UP ? "parent did not answer (IL-DCP)"
						  : "waiting for parent";
}
