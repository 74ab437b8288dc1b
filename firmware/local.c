/*
 * local.c - ilpd's own account (local.h): a switch peer slot named
 * "local" with no BTP link. A FORWARD to it goes to the installed handler
 * instead of a connection, the handler's answer goes back through
 * ilp_switch_response() like a next hop's, and a REPLY to it (the answer to
 * a Prepare it sent) calls the sender's callback.
 *
 * Rules:
 * - Routing is the switch's (ilp_switch_set_local): the [local] prefix,
 *   default the node's address (following IL-DCP), and a destination equal
 *   to the node's address; children and routes with longer prefixes win.
 *   It is set only while a handler is installed: without one those
 *   Prepares get F02, as before the local account existed.
 * - Before the handler is called the condition must be
 *   SHA-256(SHA-256(data)) (the fulfillment the accept helper will use is
 *   SHA-256(data)): else F05 Wrong Condition and no call. A full delivery
 *   table gives T03. Expiry is the switch's: R00 to the source at the
 *   outgoing expiry, after which an answer is late (ignored, counted).
 * - The switch peer has relation "peer" (not child): its address space is
 *   the [local] prefix, so it must not get the <address>.local child route.
 *   Its ledger slot persists under the name "local" like any peer's; it has
 *   no lower balance limit (what it receives) and [local] max_balance as
 *   its upper one (what it sends beyond what it received; default none).
 * - ids: delivery id and send tag = generation << 16 | slot index; a stale
 *   id never matches a reused slot. Delivery slots whose packet is no
 *   longer pending to the local account (expired, aborted) are reclaimed
 *   when a slot is needed.
 * - Sync mode (local.h "Durability"): a send's Fulfill is appended to the
 *   ring and its callback runs only when durable.c releases it
 *   (lc_hold_run, oldest first); a Reject calls back at once. The send
 *   slot stays taken while its Fulfill is held (cancel_ctx still works on
 *   it). An entry is dropped from the ring only after its callback
 *   returned (the bytes are the callback's); what callbacks append goes at
 *   the tail. A release asked for while callbacks run (a callback caused
 *   it) only raises the bound of the run in progress. No wrap-around: the
 *   ring restarts at 0 when it empties, and a Fulfill that does not fit
 *   its free end forces a sync (ilpd_durable_sync_now), after which it is
 *   durable and is called back at once.
 *
 * Memory: struct ilpd_local inside struct ilpd_daemon (local.h gives the
 * figure: tables, two ILP packet buffers and the ring of held Fulfills).
 * No heap, no timers.
 * Logs: local.enabled, local.unavailable (INFO/WARN), local.wrong_condition,
 * local.late (DEBUG).
 */
#include "local.h"

#include <string.h>

#include "daemon.h"
#include "daemon_int.h"

#include "hal/hal_log.h"
#include "hal/hal_time.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"

#define LC_IDX(id) ((id) & 0xFFFFu)
#define LC_GEN(id) ((uint16_t)((id) >> 16))

static uint32_t lc_id(uint16_t gen, size_t idx)
{
	return (uint32_t)gen << 16 | (uint32_t)idx;
}

/* The generation for a slot's next use (never 0, so id 0 is never valid). */
static uint16_t lc_next_gen(uint16_t g)
{
	return (uint16_t)(g == 0xFFFFu ? 1u : g + 1u);
}

/* ---- the account -------------------------------------------------------- */

bool ilpd_local_is(const struct ilpd_daemon *d, uint16_t peer)
{
	return d->local.on && d->local.peer == peer;
}

int ilpd_local_peer(const struct ilpd_daemon *d)
{
	return d->local.on ? (int)d->local.peer : -1;
}

/* The switch settings of the local account. */
static void lc_peer_cfg(const struct ilpd_daemon *d, struct ilp_peer_cfg *pc)
{
	const struct ilpd_conf *cf = d->conf;
	bool parent = d->ildcp.have && d->ildcp.mode == ILDCP_MODE_AUTO;

	memset(pc, 0, sizeof(*pc));
	memcpy(pc->name, ILPD_LOCAL_NAME, sizeof(ILPD_LOCAL_NAME));
	pc->relation = ILP_REL_PEER;
	memcpy(pc->asset_code, parent ? d->ildcp.asset_code : cf->asset_code,
	       sizeof(pc->asset_code));
	pc->asset_code[sizeof(pc->asset_code) - 1] = '\0';
	pc->rate.num = 1;
	pc->rate.den = 1;
	pc->rate.scale = parent ? d->ildcp.asset_scale : cf->asset_scale;
	pc->max_packet_amount = UINT64_MAX;
	pc->min_balance = INT64_MIN;
	pc->max_balance = cf->local.max_balance;
	pc->settle_threshold = INT64_MAX;
}

/* Local delivery on (a handler) or off, with the configured prefix. */
static void lc_routing(struct ilpd_daemon *d)
{
	struct ilpd_local *L = &d->local;
	const char *pre = d->conf->local.prefix;

	if (!L->on)
		return;
	if (L->handler != NULL &&
	    ilp_switch_set_local(&d->sw, L->peer, (const uint8_t *)pre, strlen(pre)) == ILP_OK)
		return;
	/* No handler (or a prefix the loader let through but the switch
	 * refuses): no local delivery; F02 as without the account. Cannot fail. */
	if (ilp_switch_set_local(&d->sw, ILP_ROUTE_NONE, NULL, 0) != ILP_OK)
		hal_log(HAL_LOG_ERROR, "local.unavailable", "reason=\"switch refused\"");
}

/* Takes the highest free switch slot (configured peers fill them from 0). */
static int lc_create(struct ilpd_daemon *d, bool required)
{
	struct ilpd_local *L = &d->local;
	struct ilp_peer_cfg pc;
	int i;

	if (L->on)
		return 0;
	for (i = ILPD_MAX_PEERS - 1; i >= 0; i--)
		if (!d->sw.peers[i].used && d->link[i].conf == NULL)
			break;
	lc_peer_cfg(d, &pc);
	if (i < 0 || ilp_switch_add_peer(&d->sw, (uint16_t)i, &pc) != ILP_OK) {
		hal_log(required ? HAL_LOG_ERROR : HAL_LOG_WARN, "local.unavailable",
			"reason=\"no free peer slot (board limit %d)\"", ILPD_MAX_PEERS);
		return -1;
	}
	L->peer = (uint16_t)i;
	L->on = true;
	ilp_switch_set_peer_up(&d->sw, L->peer, true);
	lc_routing(d);
	hal_log(HAL_LOG_INFO, "local.enabled", "peer=" ILPD_LOCAL_NAME " slot=%d handler=%s",
		i, L->handler != NULL ? "yes" : "no");
	return 0;
}

int ilpd_local_start(struct ilpd_daemon *d)
{
	struct ilpd_local *L = &d->local;
	bool required = d->conf->local.handler || L->want || L->handler != NULL;

	L->on = false;
	memset(&L->st, 0, sizeof(L->st));
	memset(L->dlv, 0, sizeof(L->dlv));
	memset(L->snd, 0, sizeof(L->snd));
	L->hold = false;
	L->running = false;
	L->seq = 0;
	L->mark = 0;
	L->upto = 0;
	L->head = 0;
	L->tail = 0;
	if (!required && !d->conf->admin_listen.enabled)
		return 0;
	/* Only a configured or requested account is worth refusing the start;
	 * the admin listener's alone just goes without /admin/ilp/send. */
	return lc_create(d, required) != 0 && required ? -1 : 0;
}

int ilpd_local_enable(struct ilpd_daemon *d)
{
	d->local.want = true;
	if (d->conf == NULL)   /* not started: ilpd_local_start creates it */
		return 0;
	return lc_create(d, true);
}

void ilpd_local_set_handler(struct ilpd_daemon *d, ilpd_local_handler h, void *ctx)
{
	d->local.handler = h;
	d->local.hctx = ctx;
	if (h != NULL)
		(void)ilpd_local_enable(d);
	if (d->conf != NULL)
		lc_routing(d);
}

void ilpd_local_reconfigure(struct ilpd_daemon *d)
{
	struct ilpd_local *L = &d->local;
	struct ilp_peer_cfg pc;

	if (!L->on) {
		if (d->conf->local.handler)
			(void)lc_create(d, true);
		return;
	}
	lc_peer_cfg(d, &pc);
	if (ilp_switch_update_peer(&d->sw, L->peer, &pc) != ILP_OK)
		hal_log(HAL_LOG_WARN, "local.unavailable", "reason=\"settings refused by the switch\"");
	lc_routing(d);
}

const struct ilpd_local_stats *ilpd_local_get_stats(const struct ilpd_daemon *d)
{
	return &d->local.st;
}

/* ---- delivery ----------------------------------------------------------- */

/* Rejects pending `handle` (to the local account) upstream. */
static void lc_abort(struct ilpd_daemon *d, uint32_t handle, const char *code, const char *msg)
{
	struct ilp_sw_action back;

	if (ilp_switch_abort(&d->sw, handle, code, msg, d->reply, sizeof(d->reply),
			     &back) == ILP_OK)
		ilpd_sw_dispatch(d, &back);
}

/* A free delivery slot (reclaiming those whose packet is gone), or -1. */
static int lc_dlv_alloc(struct ilpd_daemon *d)
{
	struct ilpd_local *L = &d->local;
	int i, found = -1;

	for (i = 0; i < ILPD_LOCAL_SLOTS; i++) {
		struct ilpd_local_dlv *s = &L->dlv[i];

		if (s->used && ilp_switch_handle_peer(&d->sw, s->handle) != L->peer) {
			s->used = false;   /* expired or aborted, never answered */
			L->st.deliveries_now--;
		}
		if (!s->used && found < 0)
			found = i;
	}
	return found;
}

void ilpd_local_forward(struct ilpd_daemon *d, const struct ilp_sw_action *act)
{
	struct ilpd_local *L = &d->local;
	struct ilpd_local_dlv *s;
	struct ilp_prepare p;
	const char *why = "";
	uint8_t f[32], c[32];
	int i;

	if (L->handler == NULL) {   /* removed since the switch routed it */
		lc_abort(d, act->tag, "F02", "no local handler.");
		return;
	}
	if (ilp_prepare_decode(act->pkt, act->len, &p, &why) != ILP_OK) {
		lc_abort(d, act->tag, "F01", why);
		return;
	}
	d->sw.cfg.sha256(p.data, p.data_len, f);
	d->sw.cfg.sha256(f, sizeof(f), c);
	if (memcmp(c, p.condition, sizeof(c)) != 0) {
		L->st.wrong_condition++;
		hal_log(HAL_LOG_DEBUG, "local.wrong_condition", "amount=%llu",
			(unsigned long long)p.amount);
		lc_abort(d, act->tag, "F05", "condition is not SHA-256(SHA-256(data)).");
		return;
	}
	i = lc_dlv_alloc(d);
	if (i < 0) {
		L->st.no_slot++;
		lc_abort(d, act->tag, "T03", "local delivery busy.");
		return;
	}
	s = &L->dlv[i];
	s->used = true;
	s->gen = lc_next_gen(s->gen);
	s->handle = act->tag;
	memcpy(s->fulfillment, f, sizeof(f));
	L->st.deliveries_now++;
	L->st.delivered++;
	L->handler(L->hctx, d, lc_id(s->gen, (size_t)i), act->pkt, act->len);
}

/* The live slot of delivery `id`, or NULL. */
static struct ilpd_local_dlv *lc_dlv(struct ilpd_local *L, uint32_t id)
{
	uint32_t i = LC_IDX(id);

	if (i >= ILPD_LOCAL_SLOTS || !L->dlv[i].used || L->dlv[i].gen != LC_GEN(id))
		return NULL;
	return &L->dlv[i];
}

static void lc_late(struct ilpd_local *L, uint32_t id)
{
	L->st.late++;
	hal_log(HAL_LOG_DEBUG, "local.late", "id=%lu", (unsigned long)id);
}

/* The slot of delivery `id` if its packet still waits for the answer; else
 * NULL, the slot freed and the answer counted late. */
static struct ilpd_local_dlv *lc_live(struct ilpd_daemon *d, uint32_t id)
{
	struct ilpd_local *L = &d->local;
	struct ilpd_local_dlv *s = lc_dlv(L, id);

	if (s != NULL && ilp_switch_handle_peer(&d->sw, s->handle) == L->peer)
		return s;
	if (s != NULL) {
		s->used = false;   /* the switch answered R00 (or T01) already */
		L->st.deliveries_now--;
	}
	lc_late(L, id);
	return NULL;
}

bool ilpd_local_pending(const struct ilpd_daemon *d, uint32_t id)
{
	uint32_t i = LC_IDX(id);
	const struct ilpd_local_dlv *s;

	if (i >= ILPD_LOCAL_SLOTS)
		return false;
	s = &d->local.dlv[i];
	return s->used && s->gen == LC_GEN(id) &&
	       ilp_switch_handle_peer(&d->sw, s->handle) == d->local.peer;
}

void ilpd_local_answer(struct ilpd_daemon *d, uint32_t id, const uint8_t *pkt, size_t n)
{
	struct ilpd_local *L = &d->local;
	struct ilpd_local_dlv *s = lc_live(d, id);
	uint32_t handle;

	if (s == NULL)
		return;
	handle = s->handle;
	s->used = false;
	L->st.deliveries_now--;
	L->st.answered++;
	ilpd_sw_answer(d, handle, pkt, n);
}

int ilpd_local_accept(struct ilpd_daemon *d, uint32_t id, const uint8_t *data, size_t n)
{
	struct ilpd_local *L = &d->local;
	struct ilpd_local_dlv *s = lc_live(d, id);
	struct ilp_fulfill f;
	size_t len;

	if (s == NULL)
		return ILP_ERR_NOT_FOUND;
	if (n > ILPD_LOCAL_REPLY_DATA_MAX || (n != 0 && data == NULL))
		return ILP_ERR_ARG;
	f.fulfillment = s->fulfillment;
	f.data = data;
	f.data_len = n;
	if (ilp_fulfill_encode(&f, L->ans, sizeof(L->ans), &len) != ILP_OK)
		return ILP_ERR_ARG;
	ilpd_local_answer(d, id, L->ans, len);
	return ILP_OK;
}

/* A Reject from this connector (triggeredBy its address) into buf. */
static int lc_reject_encode(const struct ilpd_daemon *d, const char *code, const char *msg,
			    const uint8_t *data, size_t n, uint8_t *buf, size_t cap, size_t *len)
{
	struct ilp_reject rj;
	size_t ml = msg != NULL ? strlen(msg) : 0;

	if (code == NULL || strlen(code) != ILP_CODE_LEN || ml > ILP_MESSAGE_MAX_LEN ||
	    n > ILPD_LOCAL_REPLY_DATA_MAX || (n != 0 && data == NULL))
		return ILP_ERR_ARG;
	memset(&rj, 0, sizeof(rj));
	rj.code = (const uint8_t *)code;
	rj.triggered_by = d->sw.address;
	rj.triggered_by_len = d->sw.cfg.address_len;
	rj.message = (const uint8_t *)msg;
	rj.message_len = ml;
	rj.data = data;
	rj.data_len = n;
	return ilp_reject_encode(&rj, buf, cap, len) == ILP_OK ? ILP_OK : ILP_ERR_ARG;
}

int ilpd_local_reject(struct ilpd_daemon *d, uint32_t id, const char *code,
		      const char *message, const uint8_t *data, size_t n)
{
	struct ilpd_local *L = &d->local;
	size_t len;

	if (lc_live(d, id) == NULL)
		return ILP_ERR_NOT_FOUND;
	if (lc_reject_encode(d, code, message, data, n, L->ans, sizeof(L->ans), &len) != ILP_OK)
		return ILP_ERR_ARG;
	ilpd_local_answer(d, id, L->ans, len);
	return ILP_OK;
}

/* ---- sending ------------------------------------------------------------ */

/* Sync mode: appends send `tag`'s Fulfill to the ring; false if it does
 * not fit the free end. */
static bool lc_hold_put(struct ilpd_local *L, uint32_t tag, const uint8_t *pkt, size_t n)
{
	uint32_t h[3];

	if (n > ILPD_LOCAL_HOLD_PKT ||
	    ILPD_LOCAL_HOLD_ENTRY(n) > sizeof(L->ring) - L->tail)
		return false;
	h[0] = tag;
	h[1] = ++L->seq;
	h[2] = (uint32_t)n;
	memcpy(L->ring + L->tail, h, sizeof(h));
	memcpy(L->ring + L->tail + sizeof(h), pkt, n);
	L->tail += ILPD_LOCAL_HOLD_ENTRY(n);
	L->st.held++;
	return true;
}

/* Ends send `tag` with reply (pkt, n): the slot is freed first, so the
 * callback may send again. In sync mode a Fulfill is held instead (or,
 * with the ring full, made durable at once). */
static void lc_complete(struct ilpd_daemon *d, uint32_t tag, const uint8_t *pkt, size_t n)
{
	struct ilpd_local *L = &d->local;
	uint32_t i = LC_IDX(tag);
	struct ilpd_local_snd *s;
	ilpd_local_done cb;
	void *ctx;

	if (i >= ILPD_LOCAL_SENDS || !L->snd[i].used || L->snd[i].gen != LC_GEN(tag) ||
	    L->snd[i].held)
		return;
	s = &L->snd[i];
	if (L->hold && ilp_packet_type(pkt, n) == ILP_TYPE_FULFILL) {
		if (lc_hold_put(L, tag, pkt, n)) {
			s->held = true;
			return;   /* lc_hold_run calls back once it is durable */
		}
		/* No room: durable now (the loop waits for the disk). The
		 * slot is checked again: callbacks ran meanwhile. */
		L->st.sync_forced++;
		ilpd_durable_sync_now(d);
		if (!s->used || s->gen != LC_GEN(tag) || s->held)
			return;   /* cannot happen: only we end this send */
	}
	cb = s->cb;
	ctx = s->ctx;
	s->used = false;
	L->st.sends_now--;
	if (cb != NULL)
		cb(ctx, pkt, n);
}

void ilpd_local_reply(struct ilpd_daemon *d, const struct ilp_sw_action *act)
{
	lc_complete(d, act->tag, act->pkt, act->len);
}

/* Calls back the held Fulfills with seq <= upto, oldest first (the ring's
 * order). Those held by what the callbacks cause have later seqs and
 * wait; a nested call only raises the bound. */
static void lc_hold_run(struct ilpd_local *L, uint32_t upto)
{
	if (L->running) {
		if ((int32_t)(upto - L->upto) > 0)
			L->upto = upto;
		return;
	}
	L->running = true;
	L->upto = upto;
	while (L->head < L->tail) {
		struct ilpd_local_snd *s;
		uint32_t h[3];
		ilpd_local_done cb = NULL;
		void *ctx = NULL;

		memcpy(h, L->ring + L->head, sizeof(h));
		if ((int32_t)(h[1] - L->upto) > 0)
			break;
		s = &L->snd[LC_IDX(h[0])];
		if (LC_IDX(h[0]) < ILPD_LOCAL_SENDS && s->used && s->held &&
		    s->gen == LC_GEN(h[0])) {
			cb = s->cb;
			ctx = s->ctx;
			s->used = false;
			s->held = false;
			L->st.sends_now--;
		}
		if (cb != NULL)
			cb(ctx, L->ring + L->head + sizeof(h), h[2]);
		L->head += ILPD_LOCAL_HOLD_ENTRY(h[2]);
		if (L->head == L->tail)
			L->head = L->tail = 0;
	}
	L->running = false;
}

void ilpd_local_hold(struct ilpd_daemon *d, bool on)
{
	if (!on)
		ilpd_local_flush_all(d);
	d->local.hold = on;
}

void ilpd_local_mark(struct ilpd_daemon *d)
{
	d->local.mark = d->local.seq;
}

void ilpd_local_release_marked(struct ilpd_daemon *d)
{
	lc_hold_run(&d->local, d->local.mark);
}

void ilpd_local_flush_all(struct ilpd_daemon *d)
{
	d->local.mark = d->local.seq;
	lc_hold_run(&d->local, d->local.seq);
}

bool ilpd_local_waiting(const struct ilpd_daemon *d)
{
	return d->local.head < d->local.tail;
}

/* A Reject of our own for send `tag`, before the switch saw it. */
static void lc_refuse(struct ilpd_daemon *d, uint32_t tag, const char *code, const char *msg)
{
	size_t len = 0;

	if (lc_reject_encode(d, code, msg, NULL, 0, d->reply, sizeof(d->reply), &len) != ILP_OK)
		len = 0;   /* cannot happen: fixed short texts */
	lc_complete(d, tag, d->reply, len);
}

int ilpd_local_send(struct ilpd_daemon *d, const uint8_t *prepare, size_t n,
		    ilpd_local_done cb, void *ctx)
{
	struct ilpd_local *L = &d->local;
	struct ilp_sw_action act;
	struct ilp_prepare p;
	const char *why = "";
	uint32_t tag;
	int i;

	if (!L->on || cb == NULL || prepare == NULL || n == 0 || n > sizeof(L->out) ||
	    ilp_prepare_decode(prepare, n, &p, &why) != ILP_OK)
		return ILP_ERR_ARG;
	for (i = 0; i < ILPD_LOCAL_SENDS && L->snd[i].used; i++)
		;
	if (i == ILPD_LOCAL_SENDS) {
		L->st.send_full++;
		return ILP_ERR_FULL;
	}
	L->snd[i].used = true;
	L->snd[i].gen = lc_next_gen(L->snd[i].gen);
	L->snd[i].cb = cb;
	L->snd[i].ctx = ctx;
	L->snd[i].held = false;
	L->st.sends_now++;
	L->st.sent++;
	tag = lc_id(L->snd[i].gen, (size_t)i);
	if (d->stopping) {
		lc_refuse(d, tag, "T03", "connector is shutting down.");
		return ILP_OK;
	}
	if (ilpd_durable_refusing(&d->dur)) {
		lc_refuse(d, tag, "T00", "ledger cannot be written.");
		return ILP_OK;
	}
	memcpy(L->out, prepare, n);
	if (ilp_switch_prepare(&d->sw, hal_wall_ms(), L->peer, tag, L->out, n, d->reply,
			       sizeof(d->reply), &act) != ILP_OK) {
		/* misuse only (the account is used and not retired) */
		L->snd[i].used = false;
		L->st.sends_now--;
		L->st.sent--;
		return ILP_ERR_ARG;
	}
	ilpd_sw_dispatch(d, &act);
	return ILP_OK;
}

void ilpd_local_cancel_ctx(struct ilpd_daemon *d, void *ctx)
{
	size_t i;

	for (i = 0; i < ILPD_LOCAL_SENDS; i++)
		if (d->local.snd[i].used && d->local.snd[i].ctx == ctx)
			d->local.snd[i].cb = NULL;
}
