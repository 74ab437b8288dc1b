/*
 * daemon.c - peer links, BTP sessions and the packet path (see daemon.h).
 * Dialling an outbound link (direct, SOCKS5h, TLS) is in dial.c, the BTP
 * listener in listener.c; what they share is in daemon_int.h.
 *
 * IMPLEMENTATION NOTES
 * - Packet path: a BTP Message from peer P arrives in P's receive buffer;
 *   its `ilp` entry is handed to the switch in place (it is rewritten there
 *   if forwarded), the switch's action is encoded as one BTP frame into
 *   d->frame and queued on the target connection. Nothing is written to a
 *   socket until wsconn_flush_all() at the end of the loop iteration; with
 *   the durable ledger in sync mode (durable.h) the iteration's balance
 *   changes are committed first and no other path writes a queued byte
 *   before that (wsconn_hold_output).
 * - The only tables are the links, the connection pool and the switch's
 *   pending table; there are no per-packet lookups besides the switch's own
 *   (route scan, pending slot). A link is in use when l->conf != NULL; a
 *   link slot can be unused while its switch peer is still retired (a
 *   reload removed it with packets in flight), so names for replies come
 *   from the switch peer, not the link.
 * - Every connection callback re-checks state: a callback can close a
 *   connection (e.g. an auth failure) and the pool slot is only reused by a
 *   later accept or dial, never inside a callback of the same slot.
 * - Logging: peer names and addresses from our own configuration only;
 *   tokens never.
 * - TLS: connection slot i uses engine d->tls[i] (started here, handed to
 *   the wsconn with wsconn_use_tls, released by the wsconn when the
 *   connection ends), so engines need no allocator of their own. A TLS
 *   failure reaches dm_on_close with w->tls_err set; a handshake that
 *   finished shows up as an on_open on a connection with w->tls set.
 */
#include "daemon.h"
#include "daemon_int.h"

#include <stdio.h>
#include <string.h>

#include "ccp_glue.h"
#include "deliver.h"
#include "settle_api.h"
#include "settle_glue.h"
#include "transport.h"

#include "hal/hal_crypto.h"
#include "hal/hal_log.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"
#include "ilp/btp.h"
#include "ilp/ilp_packet.h"

#define DM_CLOSE_GRACE_MS 2000

static void dm_on_open(struct wsconn *w, void *user);
static void dm_on_message(struct wsconn *w, uint8_t opcode, uint8_t *data,
			  size_t len, void *user);
static void dm_on_close(struct wsconn *w, const char *reason, void *user);

const struct wsconn_cbs ilpd_conn_cbs = { dm_on_open, dm_on_message, dm_on_close };

static const char *const dm_relation_name[] = { "parent", "peer", "child" };

/* ---- helpers ------------------------------------------------------------ */

uint32_t ilpd_random_u32(void)
{
	uint8_t b[4] = { 0, 0, 0, 0 };

	(void)hal_random(b, sizeof(b));
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static struct ilpd_conn *dm_link_conn(struct ilpd_daemon *d, uint16_t peer)
{
	const struct ilpd_link *l = &d->link[peer];

	if (l->state != LINK_UP || l->conn < 0 || d->conn[l->conn].ws.state != WSC_OPEN)
		return NULL;
	return &d->conn[l->conn];
}

/* BTP framing around an ILP packet in a Response: type, id, lengths, the
 * "ilp" entry header (generous). */
#define DM_BTP_OVERHEAD 64

/* True if an answer of ilp_len bytes can be queued for `peer` now. */
static bool dm_can_deliver(struct ilpd_daemon *d, uint16_t peer, size_t ilp_len)
{
	struct ilpd_conn *c = dm_link_conn(d, peer);

	if (ilpd_local_is(d, peer))   /* ilpd's own account: no link */
		return true;
	return c != NULL && wsconn_tx_free(&c->ws) >= wsconn_tx_need(&c->ws, ilp_len + DM_BTP_OVERHEAD);
}

#define DM_HOLD_TICK_MS 10

/* ---- flow control before refusal ----------------------------------------
 * A Prepare whose next hop's send buffer is full is refused with T02. To
 * keep that for real overload, a source is held before a frame is parsed
 * (wsconn's rx_gate) while the next hop of its last forwarded Prepare has
 * less than ILPD_FWD_HOLD_FREE bytes free: its frames stay in its receive
 * buffer and socket, so TCP's window pushes back on the sender. It is
 * resumed (ilpd_daemon_step) as soon as that hop has room again, or after
 * ILPD_FWD_HOLD_MS; past that bound frames are parsed again and a Prepare
 * that still does not fit gets T02, until the hop drains and a new hold may
 * start. Only the last next hop is known before parsing: a Prepare for
 * another, full, hop still gets T02 at once. */

/* True while l must wait for its next hop (starts the hold if needed). */
static bool dm_hop_congested(struct ilpd_daemon *d, struct ilpd_link *l)
{
	struct ilpd_conn *n;
	int64_t now;

	if (l->hop < 0 || l->state != LINK_UP || d->stopping)
		return false;
	n = dm_link_conn(d, (uint16_t)l->hop);
	if (n == NULL || wsconn_tx_free(&n->ws) >= ILPD_FWD_HOLD_FREE) {
		l->hold_since = -1;
		return false;
	}
	now = ev_now(&d->loop);
	if (l->hold_since < 0) {
		l->hold_since = now;
		d->ctr.fwd_holds++;
		return true;
	}
	return now - l->hold_since < ILPD_FWD_HOLD_MS;
}

static bool dm_rx_gate(struct wsconn *w, void *user)
{
	struct ilpd_conn *c = user;
	struct ilpd_daemon *d = c->d;

	(void)w;
	if (c->link < 0 || !dm_hop_congested(d, &d->link[c->link]))
		return true;
	d->holding = true;
	return false;
}

/* After each loop iteration: resume the held sources whose hop drained or
 * whose bound passed. */
static void dm_resume_held(struct ilpd_daemon *d)
{
	size_t i;

	if (!d->holding)
		return;
	d->holding = false;
	for (i = 0; i < ILPD_MAX_CONNS; i++) {
		struct ilpd_conn *c = &d->conn[i];

		if (!c->used || !c->ws.rx_held)
			continue;
		if (c->link >= 0 && dm_hop_congested(d, &d->link[c->link]))
			d->holding = true;
		else
			wsconn_resume(&c->ws);   /* may hold again: sets holding */
	}
}

/* Queues one BTP frame already encoded in d->frame. */
static int dm_send_frame(struct ilpd_daemon *d, struct ilpd_conn *c, size_t len)
{
	if (wsconn_send(&c->ws, WS_OP_BINARY, d->frame, len) != 0) {
		d->ctr.tx_full++;
		return -1;
	}
	return 0;
}

void ilpd_send_btp_error(struct ilpd_daemon *d, struct ilpd_conn *c,
			      uint32_t id, const char *code, const char *name,
			      const char *msg)
{
	size_t len;

	if (btp_error_encode(id, code, name, hal_wall_ms(), (const uint8_t *)msg,
			     strlen(msg), d->frame, sizeof(d->frame), &len) == ILP_OK)
		(void)dm_send_frame(d, c, len);
}

void ilpd_send_btp_response(struct ilpd_daemon *d, struct ilpd_conn *c, uint32_t id)
{
	struct btp_frame_out f;
	size_t len;

	memset(&f, 0, sizeof(f));
	f.type = BTP_RESPONSE;
	f.request_id = id;
	if (btp_frame_encode(&f, d->frame, sizeof(d->frame), &len) == ILP_OK)
		(void)dm_send_frame(d, c, len);
}

/* ---- switch actions ----------------------------------------------------- */

static void dm_dispatch(struct ilpd_daemon *d, const struct ilp_sw_action *act);

/* Forwards act->pkt to the next hop as a BTP Message; if it cannot be
 * queued, the packet is rejected upstream with T02 at once. */
static void dm_forward(struct ilpd_daemon *d, const struct ilp_sw_action *act)
{
	struct ilpd_conn *c = dm_link_conn(d, act->peer);
	struct ilp_sw_action back;
	size_t len;

	if (ilpd_local_is(d, act->peer)) {   /* to ilpd's own account (local.c) */
		ilpd_local_forward(d, act);
		return;
	}
	if (c != NULL &&
	    btp_ilp_encode(BTP_MESSAGE, act->tag, act->pkt, act->len, d->frame,
			   sizeof(d->frame), &len) == ILP_OK &&
	    dm_send_frame(d, c, len) == 0) {
		if (ilpd_deliver_transit_on())   /* [local] notify_transit (deliver.h) */
			ilpd_deliver_transit(d, act->pkt, act->len);
		return;
	}
	/* The link closed since the switch chose it (T01), or its send buffer
	 * is full (T02). */
	if (ilp_switch_abort(&d->sw, act->tag, c == NULL ? "T01" : "T02",
			     c == NULL ? "peer unreachable." : "peer busy.", d->reply,
			     sizeof(d->reply), &back) == ILP_OK)
		dm_dispatch(d, &back);
}

static void dm_reply(struct ilpd_daemon *d, const struct ilp_sw_action *act)
{
	struct ilpd_conn *c = dm_link_conn(d, act->peer);
	size_t len;

	if (ilpd_local_is(d, act->peer)) {   /* a send of ilpd's own account */
		ilpd_local_reply(d, act);
		return;
	}
	if (c == NULL) {
		hal_log(HAL_LOG_DEBUG, "packet.reply_dropped", "peer=%s reason=link_down",
			d->sw.peers[act->peer].cfg.name);
		return;
	}
	if (act->code[0] != '\0' && hal_log_enabled(HAL_LOG_DEBUG))
		hal_log(HAL_LOG_DEBUG, "packet.rejected", "peer=%s code=%s",
			d->sw.peers[act->peer].cfg.name, act->code);
	if (btp_ilp_encode(BTP_RESPONSE, act->tag, act->pkt, act->len, d->frame,
			   sizeof(d->frame), &len) != ILP_OK ||
	    dm_send_frame(d, c, len) != 0)
		hal_log(HAL_LOG_WARN, "packet.reply_dropped", "peer=%s reason=send_buffer_full",
			d->sw.peers[act->peer].cfg.name);
}

static void dm_dispatch(struct ilpd_daemon *d, const struct ilp_sw_action *act)
{
	switch (act->kind) {
	case ILP_SW_FORWARD:
		dm_forward(d, act);
		break;
	case ILP_SW_REPLY:
		dm_reply(d, act);
		break;
	case ILP_SW_NONE:
		break;
	}
}

void ilpd_sw_dispatch(struct ilpd_daemon *d, const struct ilp_sw_action *act)
{
	dm_dispatch(d, act);
}

/* ---- BTP requests and answers on an authenticated link ------------------ */

/* A Reject of our own (the switch is not consulted): T03 while shutting
 * down, T00 while the ledger cannot be written (durable.h). */
static void dm_refuse(struct ilpd_daemon *d, uint16_t peer, uint32_t id, const char *code,
		      const char *msg)
{
	struct ilp_reject rj;
	struct ilp_sw_action act;
	size_t len;

	memset(&rj, 0, sizeof(rj));
	rj.code = (const uint8_t *)code;
	rj.triggered_by = d->sw.address;
	rj.triggered_by_len = d->sw.cfg.address_len;
	rj.message = (const uint8_t *)msg;
	rj.message_len = strlen(msg);
	if (ilp_reject_encode(&rj, d->reply, sizeof(d->reply), &len) != ILP_OK)
		return;
	memset(&act, 0, sizeof(act));
	act.kind = ILP_SW_REPLY;
	act.peer = peer;
	act.tag = id;
	act.pkt = d->reply;
	act.len = len;
	memcpy(act.code, code, 4);
	dm_reply(d, &act);
}

static void dm_request(struct ilpd_daemon *d, struct ilpd_link *l,
		       struct ilpd_conn *c, uint8_t *msg, const struct btp_frame *f)
{
	const uint8_t *ilp;
	size_t ilp_len;
	struct ilp_sw_action act;

	if (f->type == BTP_TRANSFER) {
		ilpd_send_btp_error(d, c, f->request_id, "F00", "NotAcceptedError",
				  "transfers are not supported");
		return;
	}
	if (!btp_ilp_find(f, &ilp, &ilp_len)) {
		ilpd_send_btp_response(d, c, f->request_id);
		return;
	}
	if (d->stopping) {
		dm_refuse(d, l->index, f->request_id, "T03", "connector is shutting down.");
		return;
	}
	if (ilpd_durable_refusing(&d->dur)) {
		dm_refuse(d, l->index, f->request_id, "T00", "ledger cannot be written.");
		return;
	}
	if (ilpd_ildcp_refusing(d, l->index)) {
		dm_refuse(d, l->index, f->request_id, "T01",
			  "parent assigned another address or asset; link not used.");
		return;
	}
	/* The entry lies inside msg, which we own: take a writable pointer. */
	if (ilp_switch_prepare(&d->sw, hal_wall_ms(), l->index, f->request_id,
			       msg + (ilp - msg), ilp_len, d->reply, sizeof(d->reply),
			       &act) == ILP_OK) {
		if (act.kind == ILP_SW_FORWARD)
			l->hop = act.peer;
		dm_dispatch(d, &act);
	}
}

/* The next hop answered, but the source cannot be given the answer: its
 * link is gone, or it does not read its answers (its send buffer is full).
 * A valid Fulfill still commits both sides: the next hop was paid, so the
 * source is charged (the money rule in ilp_switch.h), and a source that
 * stopped reading is cut off: its session cannot be trusted with answers
 * any more. */
static void dm_undeliverable(struct ilpd_daemon *d, uint16_t src, uint32_t handle,
			     const uint8_t *ilp, size_t ilp_len)
{
	struct ilpd_link *sl = &d->link[src];
	uint64_t charged = d->sw.stats.charged_undelivered;

	if (ilp_switch_response_undeliverable(&d->sw, hal_wall_ms(), handle, ilp, ilp_len) != ILP_OK)
		return;
	d->ctr.undeliverable++;
	hal_log(HAL_LOG_WARN, "packet.undeliverable", "peer=%s charged=%s reason=%s",
		d->sw.peers[src].cfg.name,
		d->sw.stats.charged_undelivered != charged ? "yes" : "no",
		sl->state == LINK_UP && sl->conn >= 0 ? "send_buffer_full" : "link_down");
	/* Close, not abort: answers already queued still drain until the
	 * close deadline; nothing new is queued once it is closing. */
	if (sl->state == LINK_UP && sl->conn >= 0)
		wsconn_close(&d->conn[sl->conn].ws, WS_CLOSE_POLICY, "peer does not read its answers");
}

static void dm_answer(struct ilpd_daemon *d, struct ilpd_link *l,
		      const struct btp_frame *f)
{
	const uint8_t *ilp = NULL;
	size_t ilp_len = 0;
	struct ilp_sw_action act;
	int r;

	if (f->type == BTP_ERROR || f->type == BTP_RESPONSE) {
		(void)btp_ilp_find(f, &ilp, &ilp_len);
		if (ilpd_ildcp_answer(d, l->index, f->request_id, ilp, ilp_len,
				      f->type == BTP_ERROR))
			return;
	}
	if (ilpd_ccp_id(f->request_id) && ilpd_ccp_answer(d, l->index, f))
		return;
	if (ilpd_settle_id(f->request_id) && ilpd_settle_answer(d, l->index, f))
		return;
	if (ilp_switch_handle_peer(&d->sw, f->request_id) != l->index) {
		d->sw.stats.late_responses++;
		return;
	}
	if (f->type == BTP_ERROR) {
		d->ctr.btp_errors_in++;
		r = ilp_switch_abort(&d->sw, f->request_id, "F02",
				     "next hop answered with a BTP error.", d->reply,
				     sizeof(d->reply), &act);
	} else {
		(void)btp_ilp_find(f, &ilp, &ilp_len);
		ilpd_sw_answer(d, f->request_id, ilp, ilp_len);
		return;
	}
	if (r == ILP_OK)
		dm_dispatch(d, &act);
}

void ilpd_sw_answer(struct ilpd_daemon *d, uint32_t handle, const uint8_t *ilp, size_t ilp_len)
{
	uint16_t src = ilp_switch_handle_source(&d->sw, handle);
	struct ilp_sw_action act;

	if (!dm_can_deliver(d, src, ilp_len)) {
		dm_undeliverable(d, src, handle, ilp, ilp_len);
		return;
	}
	if (ilp_switch_response(&d->sw, hal_wall_ms(), handle, ilp, ilp_len, d->reply,
				sizeof(d->reply), &act) == ILP_OK)
		dm_dispatch(d, &act);
}

/* ---- link state --------------------------------------------------------- */


void ilpd_link_arm(struct ilpd_daemon *d, struct ilpd_link *l, int64_t delay)
{
	if (l->timer >= 0)
		ev_timer_del(&d->loop, l->timer);
	l->timer = ev_timer_add(&d->loop, ev_now(&d->loop) + delay, ilpd_link_timer, l);
}

void ilpd_link_up(struct ilpd_daemon *d, struct ilpd_link *l)
{
	l->state = LINK_UP;
	l->hop = -1;
	l->hold_since = -1;
	l->up_since = ev_now(&d->loop);
	l->connects++;
	l->backoff_ms = d->conf->reconnect_min_ms;
	l->last_socks_err = SOCKS5_OK;
	l->proxy_timeouts = 0;
	l->last_error = NULL;
	l->idle_mark = UINT64_MAX;
	l->idle_ticks = 0;
	ilp_switch_set_peer_up(&d->sw, l->index, true);
	ilpd_link_arm(d, l, d->conf->ping_interval_ms);
	ilpd_ccp_link(d, l->index, true);
	hal_log(HAL_LOG_INFO, "peer.up", "peer=%s relation=%s direction=%s",
		l->conf->name, dm_relation_name[l->conf->relation],
		l->conf->outbound ? "outbound" : "inbound");
	ilpd_ildcp_link(d, l->index, true);
}

/* Schedules the next dial with jittered exponential backoff. */
void ilpd_schedule_dial(struct ilpd_daemon *d, struct ilpd_link *l)
{
	int64_t base = l->backoff_ms, delay;

	delay = base / 2 + (int64_t)(ilpd_random_u32() % (uint32_t)(base / 2 + 1));
	l->backoff_ms = base * 2 > d->conf->reconnect_max_ms ? d->conf->reconnect_max_ms
							      : base * 2;
	ilpd_link_arm(d, l, delay);
}

void ilpd_link_down(struct ilpd_daemon *d, struct ilpd_link *l, const char *reason)
{
	struct ilp_sw_action act;
	bool was_up = l->state == LINK_UP;

	l->state = LINK_DOWN;
	l->conn = -1;
	ilp_switch_set_peer_up(&d->sw, l->index, false);
	ilpd_ccp_link(d, l->index, false);
	ilpd_ildcp_link(d, l->index, false);
	while (ilp_switch_abort_peer(&d->sw, l->index, d->reply, sizeof(d->reply), &act) == 1)
		dm_dispatch(d, &act);
	if (was_up)
		hal_log(HAL_LOG_INFO, "peer.down", "peer=%s reason=\"%s\"", l->conf->name, reason);
	else
		hal_log(HAL_LOG_DEBUG, "peer.connect_failed", "peer=%s reason=\"%s\"",
			l->conf->name, reason);
	if (l->timer >= 0) {
		ev_timer_del(&d->loop, l->timer);
		l->timer = -1;
	}
	if (l->conf->outbound && !d->stopping)
		ilpd_schedule_dial(d, l);
}

int ilpd_conn_alloc(struct ilpd_daemon *d)
{
	int i, used = 0, found = -1;

	for (i = 0; i < ILPD_MAX_CONNS; i++) {
		if (d->conn[i].used)
			used++;
		else if (found < 0)
			found = i;
	}
	if (found >= 0) {
		d->conn[found].used = true;
		d->conn[found].link = -1;
		d->conn[found].auth_timer = -1;
		if ((uint32_t)used + 1 > d->ctr.conns_hwm)
			d->ctr.conns_hwm = (uint32_t)used + 1;
	}
	return found;
}

/* ---- connection callbacks ----------------------------------------------- */

static void dm_on_open(struct wsconn *w, void *user)
{
	struct ilpd_conn *c = user;
	struct ilpd_daemon *d = c->d;
	struct ilpd_link *l;
	const char *user_name;
	size_t len;

	if (w->tls != NULL)
		d->ctr.tls_ok++;
	if (c->inbound || c->link < 0)
		return;
	l = &d->link[c->link];
	l->auth_id = ilpd_random_u32();
	user_name = l->conf->username[0] != '\0' ? l->conf->username : "";
	if (btp_auth_encode(l->auth_id, (const uint8_t *)user_name, strlen(user_name),
			    (const uint8_t *)l->conf->token, strlen(l->conf->token),
			    d->frame, sizeof(d->frame), &len) != ILP_OK ||
	    dm_send_frame(d, c, len) != 0) {
		wsconn_abort(&c->ws, "cannot send auth");
		return;
	}
	l->state = LINK_AUTH;
}

static void dm_on_message(struct wsconn *w, uint8_t opcode, uint8_t *data,
			  size_t len, void *user)
{
	struct ilpd_conn *c = user;
	struct ilpd_daemon *d = c->d;
	struct ilpd_link *l;
	struct btp_frame f;
	const char *why = "";
	int r;

	if (opcode != WS_OP_BINARY) {
		wsconn_close(w, WS_CLOSE_UNSUPPORTED, "text frame");
		return;
	}
	r = btp_frame_decode(data, len, &f, &why);
	if (r != ILP_OK) {
		d->ctr.btp_bad_frames++;
		hal_log(HAL_LOG_DEBUG, "btp.bad_frame", "conn=%u reason=\"%s\"",
			(unsigned)c->index, why);
		if (c->link < 0)
			wsconn_close(w, WS_CLOSE_POLICY, "bad first frame");
		return;
	}
	d->ctr.btp_frames_in++;
	if (c->link < 0) {
		ilpd_auth_inbound(d, c, &f);
		return;
	}
	l = &d->link[c->link];
	if (l->state == LINK_AUTH) {
		ilpd_auth_answer(d, l, c, &f);
		return;
	}
	if (l->state != LINK_UP)
		return;
	if (f.type == BTP_MESSAGE || f.type == BTP_TRANSFER)
		dm_request(d, l, c, data, &f);
	else
		dm_answer(d, l, &f);
}

/* A TLS failure: peer.tls_failed for an outbound link, conn.tls_failed
 * for an inbound connection. */
static void dm_tls_failed(struct ilpd_daemon *d, const struct ilpd_conn *c,
			  const struct wsconn *w, const char *reason)
{
	if (!w->tls_up)
		d->ctr.tls_failed++;
	if (!c->inbound && c->link >= 0)
		hal_log(HAL_LOG_WARN, "peer.tls_failed", "peer=%s reason=\"%s\"",
			d->link[c->link].conf->name, reason);
	else
		hal_log(HAL_LOG_INFO, "conn.tls_failed", "conn=%u reason=\"%s\"",
			(unsigned)c->index, reason);
}

/* A dial through the SOCKS5 proxy failed (socks5.h says how): warn when
 * the reason changes, else debug. The reason names no host. */
static void dm_proxy_failed(struct ilpd_daemon *d, const struct ilpd_conn *c,
			    const struct wsconn *w, const char *reason)
{
	struct ilpd_link *l;

	d->ctr.proxy_failed++;
	if (c->inbound || c->link < 0)
		return;
	l = &d->link[c->link];
	l->proxy_failures++;
	if (w->socks_err == SOCKS5_ERR_PROXY_TIMEOUT && l->proxy_timeouts < UINT8_MAX)
		l->proxy_timeouts++;
	/* a redial to an onion that worked before got no answer: have tor drop
	 * its stale state for onion services before the next one (transport.h) */
	if (w->socks_err == SOCKS5_ERR_PROXY_TIMEOUT && l->connects > 0 && d->tp != NULL &&
	    ilpd_host_is_onion(&d->conf->transport, l->conf->url.host))
		ilpd_transport_newnym(d->tp);
	/* socks_reply only when the proxy sent one: 0x00 is "succeeded". */
	if (socks5_reply_received(&l->socks))
		hal_log(l->last_socks_err != w->socks_err ? HAL_LOG_WARN : HAL_LOG_DEBUG,
			"peer.proxy_failed", "peer=%s socks_reply=0x%02x reason=\"%s\"",
			l->conf->name, (unsigned)socks5_reply_code(&l->socks), reason);
	else
		hal_log(l->last_socks_err != w->socks_err ? HAL_LOG_WARN : HAL_LOG_DEBUG,
			"peer.proxy_failed", "peer=%s reason=\"%s\"", l->conf->name, reason);
	l->last_socks_err = w->socks_err;
}

static void dm_on_close(struct wsconn *w, const char *reason, void *user)
{
	struct ilpd_conn *c = user;
	struct ilpd_daemon *d = c->d;

	if (w->tls_err != TLS_OK)
		dm_tls_failed(d, c, w, reason);
	if (w->socks_err != SOCKS5_OK)
		dm_proxy_failed(d, c, w, reason);
	if (c->link >= 0 && !c->inbound)
		d->link[c->link].last_error = reason;
	if (c->auth_timer >= 0) {
		ev_timer_del(&d->loop, c->auth_timer);
		c->auth_timer = -1;
	}
	c->used = false;
	if (c->link >= 0 && d->link[c->link].conn == (int)c->index)
		ilpd_link_down(d, &d->link[c->link], reason);
	else
		hal_log(HAL_LOG_DEBUG, "conn.closed", "conn=%u reason=\"%s\"",
			(unsigned)c->index, reason);
	c->link = -1;
}

/* ---- start, step, stop -------------------------------------------------- */

void ilpd_peer_switch_cfg(const struct ilpd_peer_conf *p, struct ilp_peer_cfg *pc)
{
	memset(pc, 0, sizeof(*pc));
	memcpy(pc->name, p->name, sizeof(pc->name));
	memcpy(pc->asset_code, p->asset_code, sizeof(pc->asset_code));
	pc->relation = p->relation;
	pc->rate = p->rate;
	pc->max_packet_amount = p->max_packet_amount;
	pc->max_in_flight = p->max_in_flight;
	pc->rate_limit = p->rate_limit;
	pc->rate_burst = p->rate_limit_burst;
	pc->throughput_in = p->throughput_in;
	pc->throughput_out = p->throughput_out;
	pc->min_balance = p->min_balance;
	pc->max_balance = p->max_balance;
	pc->settle_threshold = p->settle_threshold;
}

void ilpd_link_open(struct ilpd_daemon *d, uint16_t i, const struct ilpd_peer_conf *p)
{
	struct ilpd_link *l = &d->link[i];

	memset(l, 0, sizeof(*l));
	l->d = d;
	l->index = i;
	l->conn = -1;
	l->timer = -1;
	l->peer = *p;
	l->conf = &l->peer;
	l->backoff_ms = d->conf->reconnect_min_ms;
	if (p->outbound && !d->stopping)
		ilpd_dial(d, l);
}

void ilpd_link_drop(struct ilpd_daemon *d, struct ilpd_link *l, const char *reason,
		    bool keep)
{
	struct ilpd_conn *c = l->conn >= 0 ? &d->conn[l->conn] : NULL;
	struct ilp_sw_action act;

	if (c != NULL) {
		/* Detach first: the close callback must not touch this link. */
		c->link = -1;
		ilpd_link_down(d, l, reason);
		wsconn_close(&c->ws, WS_CLOSE_NORMAL, reason);
	}
	ilp_switch_set_peer_up(&d->sw, l->index, false);
	while (ilp_switch_abort_peer(&d->sw, l->index, d->reply, sizeof(d->reply), &act) == 1)
		dm_dispatch(d, &act);
	if (l->timer >= 0) {
		ev_timer_del(&d->loop, l->timer);
		l->timer = -1;
	}
	l->state = LINK_DOWN;
	l->conn = -1;
	l->backoff_ms = d->conf->reconnect_min_ms;
	if (!keep)
		l->conf = NULL;
	else if (l->conf->outbound && !d->stopping)
		ilpd_schedule_dial(d, l);
}

static int dm_build_switch(struct ilpd_daemon *d)
{
	const struct ilpd_conf *cf = d->conf;
	struct ilp_switch_cfg scfg;
	size_t i;

	memset(&scfg, 0, sizeof(scfg));
	scfg.address = (const uint8_t *)cf->address;
	scfg.address_len = strlen(cf->address);   /* 0: address = auto (IL-DCP) */
	scfg.min_message_window_ms = cf->min_message_window_ms;
	scfg.max_hold_time_ms = cf->max_hold_time_ms;
	scfg.sha256 = hal_sha256;
	if (ilp_switch_init(&d->sw, &scfg) != ILP_OK)
		return -1;
	for (i = 0; i < cf->npeers; i++) {
		struct ilp_peer_cfg pc;

		ilpd_peer_switch_cfg(&cf->peer[i], &pc);
		if (ilp_switch_add_peer(&d->sw, (uint16_t)i, &pc) != ILP_OK)
			return -1;
	}
	for (i = 0; i < cf->nroutes; i++) {
		int p = ilpd_conf_peer_index(cf, cf->route[i].peer);

		if (p < 0 || ilp_switch_add_route(&d->sw, (const uint8_t *)cf->route[i].prefix,
						  strlen(cf->route[i].prefix),
						  (uint16_t)p) != ILP_OK)
			return -1;
	}
	if (cf->default_route[0] != '\0') {
		int p = ilpd_conf_peer_index(cf, cf->default_route);

		if (p < 0 || ilp_switch_set_default_route(&d->sw, (uint16_t)p) != ILP_OK)
			return -1;
	}
	return 0;
}

int ilpd_daemon_start(struct ilpd_daemon *d, const struct ilpd_conf *conf)
{
	size_t i;

	memset(&d->ctr, 0, sizeof(d->ctr));
	d->conf = conf;
	d->btp_fd = HAL_FD_NONE;
	d->admin_fd = HAL_FD_NONE;
	d->btp_lobby.loop = NULL;
	d->admin_lobby.loop = NULL;
	d->refused_logged = 0;
	d->stopping = false;
	d->closing = false;
	ev_init(&d->loop);
	d->started_mono = ev_now(&d->loop);
	ilpd_httpc_init(d);
	if (dm_build_switch(d) != 0) {
		hal_log(HAL_LOG_ERROR, "switch.config_failed", "source=%s", conf->source);
		return -1;
	}
	/* Before the ledger is loaded: its balance persists like a peer's. */
	if (ilpd_local_start(d) != 0)
		return -1;
	if (ilpd_deliver_start(d) != 0)   /* [local] handler_url (deliver.h) */
		return -1;
	ilpd_ildcp_start(d);
	if (ilpd_durable_start(d) != 0)
		return -1;
	for (i = 0; i < ILPD_MAX_CONNS; i++) {
		d->conn[i].d = d;
		d->conn[i].index = (uint16_t)i;
		d->conn[i].used = false;
		d->conn[i].link = -1;
		d->conn[i].auth_timer = -1;
		d->conn[i].ws.state = WSC_IDLE;
		d->conn[i].ws.rx_gate = dm_rx_gate;
	}
	d->retired = 0;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		struct ilpd_link *l = &d->link[i];

		memset(l, 0, sizeof(*l));
		l->d = d;
		l->index = (uint16_t)i;
		l->conn = -1;
		l->timer = -1;
	}
#if ILPD_HAVE_TLS
	d->tls_client_ready = false;
	d->tls_server_ready = false;
	if (ilpd_tls_server_cfg(d) != 0 ||
	    (ilpd_conf_needs_tls_client(conf) && ilpd_tls_client_cfg(d) != 0))
		return -1;
	if (conf->tls.listen_tls || ilpd_conf_needs_tls_client(conf))
		hal_log(HAL_LOG_INFO, "tls.ready", "backend=%s listener=%s conn_bytes=%zu",
			tls_backend(), conf->tls.listen_tls ? "on" : "off",
			sizeof(struct tls_conn));
#endif
	if (ilpd_listen(d) != 0 || ilpd_admin_open(d) != 0)
		return -1;
	for (i = 0; i < conf->npeers; i++)
		ilpd_link_open(d, (uint16_t)i, &conf->peer[i]);
	ilpd_ccp_start(d);
	ilpd_settle_start(d);   /* settle_glue.h: engines, peer.settle */
	if (ilpd_settle_api_open(d) != 0)
		return -1;
	hal_log(HAL_LOG_INFO, "ilpd.started", "address=%s peers=%u",
		conf->address[0] != '\0' ? conf->address : "auto",
		(unsigned)conf->npeers);
	return 0;
}

/* Shutdown progress: reject what is left at the deadline, then close. */
static void dm_stop_progress(struct ilpd_daemon *d)
{
	int64_t now = ev_now(&d->loop);
	struct ilp_sw_action act;
	size_t i;

	if (!d->closing && (d->sw.stats.pending_now == 0 || now >= d->stop_deadline)) {
		for (i = 0; i < ILPD_MAX_PEERS; i++)
			while (ilp_switch_abort_peer(&d->sw, (uint16_t)i, d->reply,
						     sizeof(d->reply), &act) == 1)
				dm_dispatch(d, &act);
		for (i = 0; i < ILPD_MAX_CONNS; i++)
			if (d->conn[i].used)
				wsconn_close(&d->conn[i].ws, WS_CLOSE_GOING_AWAY, "shutdown");
		ilpd_httpc_close(d);   /* requests still out fail: STOPPED */
		d->closing = true;
		d->close_deadline = now + DM_CLOSE_GRACE_MS;
	} else if (d->closing && now >= d->close_deadline) {
		for (i = 0; i < ILPD_MAX_CONNS; i++)
			if (d->conn[i].used)
				wsconn_abort(&d->conn[i].ws, "shutdown");
	}
}

void ilpd_daemon_step(struct ilpd_daemon *d, int max_wait_ms)
{
	int64_t wall = hal_wall_ms(), next = ilp_switch_next_expiry(&d->sw);
	struct ilp_sw_action act;
	int wait = max_wait_ms;

	if (next != INT64_MAX) {
		int64_t due = next > wall ? next - wall : 0;

		if (wait < 0 || due < wait)
			wait = (int)due;
	}
	/* A held source's bound is checked at least every DM_HOLD_TICK_MS (its
	 * hop draining wakes the loop anyway). */
	if (d->holding && (wait < 0 || wait > DM_HOLD_TICK_MS))
		wait = DM_HOLD_TICK_MS;
	wait = ilpd_durable_wait(d, wait);
	(void)ev_run_once(&d->loop, wait);
	dm_resume_held(d);
	wall = hal_wall_ms();
	while (ilp_switch_expire(&d->sw, wall, d->reply, sizeof(d->reply), &act) == 1)
		dm_dispatch(d, &act);
	if (d->retired != 0)
		ilpd_reload_progress(d);
	if (d->stopping)
		dm_stop_progress(d);
	/* Commit the iteration's ledger changes, then let its output go. */
	ilpd_durable_flush(d);
}

void ilpd_daemon_stop(struct ilpd_daemon *d, int64_t grace_ms)
{
	size_t i;

	if (d->stopping)
		return;
	d->stopping = true;
	d->stop_deadline = ev_now(&d->loop) + grace_ms;
	lobby_close(&d->btp_lobby);
	if (d->btp_fd != HAL_FD_NONE)
		hal_close(d->btp_fd);
	d->btp_fd = HAL_FD_NONE;
	ilpd_admin_close(d);
	ilpd_settle_api_close(d);
	ilpd_settle_stop(d);
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if (d->link[i].timer >= 0 && d->link[i].state == LINK_DOWN) {
			ev_timer_del(&d->loop, d->link[i].timer);
			d->link[i].timer = -1;
		}
	}
	hal_log(HAL_LOG_INFO, "shutdown.begin", "in_flight=%u grace_ms=%lld",
		(unsigned)d->sw.stats.pending_now, (long long)grace_ms);
}

bool ilpd_daemon_done(struct ilpd_daemon *d)
{
	size_t i;

	if (!d->closing)
		return false;
	for (i = 0; i < ILPD_MAX_CONNS; i++)
		if (d->conn[i].used)
			return false;
	return true;
}
