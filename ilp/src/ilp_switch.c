/*
 * ilp_switch.c - the packet switch (see ilp_switch.h for the rules): the
 * pending table, Prepares, answers and expiry. Peers, routes, the address
 * and the windows are configured in ilp_switch_conf.c.
 *
 * IMPLEMENTATION NOTES
 * - Pending table: ILPD_MAX_PENDING fixed slots. Free slots form a singly
 *   linked list through next_free (SW_NIL ends it). A handle given to the
 *   transport is (gen << 16) | index; gen is bumped whenever a slot is
 *   freed, so an answer for a reused slot is recognised as late.
 * - Expiry: a binary min-heap of slot indexes ordered by the outgoing
 *   expiry; each slot knows its heap position, so removal on an answer is
 *   O(log n) and the next expiry is heap[0].
 * - Ledger: a forwarded Prepare holds amount_in on the source peer's slot and
 *   amount_out on the next hop's slot. Exactly one of commit (valid Fulfill)
 *   or release (anything else) runs when the slot is freed; sw_finish() is
 *   the only place that frees a slot, so holds cannot leak. A valid Fulfill
 *   before the expiry commits both holds whether or not the source can be
 *   given it (the money rule in ilp_switch.h).
 * - Per-peer share: peers[i].pending_from counts the source's packets in
 *   flight; sw_forward refuses (T05) at the peer's max_in_flight before a
 *   slot is taken, so a flooding peer cannot empty the free list.
 * - Replies the switch writes go into the caller's rbuf; relayed Fulfills
 *   and Rejects point at the caller's input bytes (zero copy).
 */
#include "ilp/ilp_switch.h"

#include <string.h>

#include "ilp/ildcp.h"

#include "switch_int.h"

#define SW_PEER_PREFIX "peer."
#define SW_ROUTE_PREFIX "peer.route"

_Static_assert(ILPD_MAX_PENDING <= 0xFFFF, "pending indexes are 16-bit with 0xFFFF as nil");
_Static_assert(sizeof(struct ilp_pending) == 72, "struct ilp_pending layout changed");

/* ---- small helpers ------------------------------------------------------ */


static bool sw_bytes_eq(const uint8_t *a, size_t alen, const char *s)
{
	size_t n = strlen(s);

	return alen == n && memcmp(a, s, n) == 0;
}

static bool sw_bytes_prefix(const uint8_t *a, size_t alen, const char *s)
{
	size_t n = strlen(s);

	return alen >= n && memcmp(a, s, n) == 0;
}

/* Appends the decimal form of v to buf at *pos (bounded by cap). */
static void sw_put_u64(char *buf, size_t cap, size_t *pos, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + (v % 10u));
		v /= 10u;
	} while (v != 0);
	while (n > 0 && *pos + 1 < cap)
		buf[(*pos)++] = tmp[--n];
	buf[*pos] = '\0';
}

static void sw_put_str(char *buf, size_t cap, size_t *pos, const char *s)
{
	while (*s != '\0' && *pos + 1 < cap)
		buf[(*pos)++] = *s++;
	buf[*pos] = '\0';
}

unsigned ilp_switch_code_index(const char code[3])
{
	unsigned base, n;

	switch (code[0]) {
	case 'F': base = 0; break;
	case 'T': base = 10; break;
	case 'R': base = 20; break;
	default: return 31;
	}
	if (code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9')
		return 31;
	n = (unsigned)(code[1] - '0') * 10u + (unsigned)(code[2] - '0');
	if (n <= 8)
		return base + n;
	if (n == 99)
		return base + 9;
	return 31;
}

/* ---- expiry heap -------------------------------------------------------- */

static bool sw_heap_less(const struct ilp_switch *sw, uint16_t a, uint16_t b)
{
	return sw->pending[sw->heap[a]].expires_at < sw->pending[sw->heap[b]].expires_at;
}

static void sw_heap_swap(struct ilp_switch *sw, uint16_t a, uint16_t b)
{
	uint16_t t = sw->heap[a];

	sw->heap[a] = sw->heap[b];
	sw->heap[b] = t;
	sw->pending[sw->heap[a]].heap_pos = a;
	sw->pending[sw->heap[b]].heap_pos = b;
}

static void sw_heap_up(struct ilp_switch *sw, uint16_t i)
{
	while (i > 0) {
		uint16_t parent = (uint16_t)((i - 1u) / 2u);

		if (!sw_heap_less(sw, i, parent))
			break;
		sw_heap_swap(sw, i, parent);
		i = parent;
	}
}

static void sw_heap_down(struct ilp_switch *sw, uint16_t i)
{
	for (;;) {
		uint32_t l = 2u * i + 1u, r = l + 1u;
		uint16_t m = i;

		if (l < sw->heap_len && sw_heap_less(sw, (uint16_t)l, m))
			m = (uint16_t)l;
		if (r < sw->heap_len && sw_heap_less(sw, (uint16_t)r, m))
			m = (uint16_t)r;
		if (m == i)
			return;
		sw_heap_swap(sw, i, m);
		i = m;
	}
}

static void sw_heap_push(struct ilp_switch *sw, uint16_t idx)
{
	uint16_t pos = sw->heap_len++;

	sw->heap[pos] = idx;
	sw->pending[idx].heap_pos = pos;
	sw_heap_up(sw, pos);
}

static void sw_heap_remove(struct ilp_switch *sw, uint16_t pos)
{
	uint16_t last = (uint16_t)(sw->heap_len - 1u);

	if (pos != last) {
		sw_heap_swap(sw, pos, last);
		sw->heap_len--;
		sw_heap_up(sw, pos);
		sw_heap_down(sw, pos);
	} else {
		sw->heap_len--;
	}
}

/* ---- pending slots ------------------------------------------------------ */

static uint16_t sw_slot_alloc(struct ilp_switch *sw)
{
	uint16_t idx = sw->free_head;

	if (idx == SW_NIL)
		return SW_NIL;
	sw->free_head = sw->pending[idx].next_free;
	sw->pending[idx].next_free = SW_NIL;
	return idx;
}

/* Returns a slot that was allocated but never filled. */
static void sw_slot_unalloc(struct ilp_switch *sw, uint16_t idx)
{
	sw->pending[idx].next_free = sw->free_head;
	sw->free_head = idx;
}

static uint32_t sw_handle(const struct ilp_switch *sw, uint16_t idx)
{
	return (uint32_t)sw->pending[idx].gen << 16 | idx;
}

/* Returns the slot for a live handle, or SW_NIL. */
static uint16_t sw_slot_of(const struct ilp_switch *sw, uint32_t handle)
{
	uint32_t idx = handle & 0xFFFFu;

	if (idx >= ILPD_MAX_PENDING || !sw->pending[idx].used ||
	    sw->pending[idx].gen != (uint16_t)(handle >> 16))
		return SW_NIL;
	return (uint16_t)idx;
}

/* Frees a live slot: commits both ledger holds (a valid Fulfill, delivered
 * or not) or releases both (anything else), removes it from the heap and
 * returns it to the free list. Both sides always move together, so every
 * balance change has a counterpart on the other side of the connector. */
static void sw_finish(struct ilp_switch *sw, uint16_t idx, bool fulfilled)
{
	struct ilp_pending *pe = &sw->pending[idx];

	if (fulfilled) {
		ledger_commit_in(&sw->ledger, pe->in_peer, pe->amount_in);
		ledger_commit_out(&sw->ledger, pe->out_peer, pe->amount_out);
	} else {
		ledger_release_in(&sw->ledger, pe->in_peer, pe->amount_in);
		ledger_release_out(&sw->ledger, pe->out_peer, pe->amount_out);
	}
	sw->peers[pe->out_peer].pending--;
	sw->peers[pe->in_peer].pending_from--;
	sw_heap_remove(sw, pe->heap_pos);
	pe->used = 0;
	pe->gen++;
	pe->next_free = sw->free_head;
	sw->free_head = idx;
	sw->stats.pending_now--;
}

/* ---- replies ------------------------------------------------------------ */

static void sw_action(struct ilp_sw_action *act, enum ilp_sw_kind kind,
		      uint16_t peer, uint32_t tag, const uint8_t *pkt, size_t len)
{
	act->kind = kind;
	act->peer = peer;
	act->tag = tag;
	act->pkt = pkt;
	act->len = len;
	act->code[0] = '\0';
}

/* Writes a Reject created by this connector into rbuf and makes it the
 * reply to (peer, tag). */
static int sw_reject(struct ilp_switch *sw, uint16_t peer, uint32_t tag,
		     const char code[3], const char *message,
		     const uint8_t *data, size_t data_len, uint8_t *rbuf,
		     size_t rcap, struct ilp_sw_action *act)
{
	struct ilp_reject rj;
	size_t len;
	int r;

	rj.code = (const uint8_t *)code;
	rj.triggered_by = sw->address;
	rj.triggered_by_len = sw->cfg.address_len;
	rj.message = (const uint8_t *)message;
	rj.message_len = strlen(message);
	rj.data = data;
	rj.data_len = data_len;
	r = ilp_reject_encode(&rj, rbuf, rcap, &len);
	if (r != ILP_OK)
		return ILP_ERR_ARG;
	sw_action(act, ILP_SW_REPLY, peer, tag, rbuf, len);
	memcpy(act->code, code, 3);
	act->code[3] = '\0';
	sw->stats.rejected_local++;
	sw->stats.local_by_code[ilp_switch_code_index(code)]++;
	return ILP_OK;
}

static int sw_reply_fulfill(uint16_t peer, uint32_t tag, const uint8_t *data,
			    size_t data_len, uint8_t *rbuf, size_t rcap,
			    struct ilp_sw_action *act)
{
	struct ilp_fulfill f;
	size_t len;

	f.fulfillment = ilp_peer_fulfillment;
	f.data = data;
	f.data_len = data_len;
	if (ilp_fulfill_encode(&f, rbuf, rcap, &len) != ILP_OK)
		return ILP_ERR_ARG;
	sw_action(act, ILP_SW_REPLY, peer, tag, rbuf, len);
	return ILP_OK;
}

/* ---- Prepare ------------------------------------------------------------ */

/* peer.* destinations: IL-DCP for children, CCP accepted from peers and
 * parents, everything else refused. Never forwarded. */
static int sw_peer_protocol(struct ilp_switch *sw, int64_t now, uint16_t from, uint32_t tag,
			    const struct ilp_prepare *p, uint8_t *rbuf,
			    size_t rcap, struct ilp_sw_action *act)
{
	const struct ilp_peer *peer = &sw->peers[from];
	uint8_t addr[ILPD_ADDRESS_MAX + 1 + ILPD_PEER_NAME_MAX];
	struct ildcp_response res;
	size_t len;

	if (memcmp(p->condition, ilp_peer_condition, ILP_CONDITION_LEN) != 0)
		return sw_reject(sw, from, tag, "F01", "condition must be peer protocol condition.",
				 NULL, 0, rbuf, rcap, act);
	if (sw_bytes_eq(p->destination, p->destination_len, ILDCP_DESTINATION)) {
		if (peer->cfg.relation != ILP_REL_CHILD)
			return sw_reject(sw, from, tag, "F00", "IL-DCP is served to child peers only.",
					 NULL, 0, rbuf, rcap, act);
		res.client_address = addr;
		res.client_address_len = sw_child_address(sw, peer, addr, sizeof(addr));
		res.asset_scale = peer->cfg.rate.scale;
		res.asset_code = (const uint8_t *)peer->cfg.asset_code;
		res.asset_code_len = strlen(peer->cfg.asset_code);
		if (ildcp_response_encode(&res, rbuf, rcap, &len) != ILP_OK)
			return ILP_ERR_ARG;
		sw_action(act, ILP_SW_REPLY, from, tag, rbuf, len);
		return ILP_OK;
	}
	if (sw_bytes_prefix(p->destination, p->destination_len, SW_ROUTE_PREFIX)) {
		if (sw->ccp_hook != NULL) {
			bool upd = sw_bytes_eq(p->destination, p->destination_len, "peer.route.update");
			const char *msg = "unknown route protocol message.";

			if (!upd && !sw_bytes_eq(p->destination, p->destination_len, "peer.route.control"))
				return sw_reject(sw, from, tag, "F01", "unknown peer protocol.", NULL, 0,
						 rbuf, rcap, act);
			if (sw->ccp_hook(sw->ccp_ctx, now, from, upd, p->data, p->data_len, &msg) != 0)
				return sw_reject(sw, from, tag, "F00", msg, NULL, 0, rbuf, rcap, act);
			return sw_reply_fulfill(from, tag, NULL, 0, rbuf, rcap, act);
		}
		if (peer->cfg.relation == ILP_REL_CHILD)
			return sw_reject(sw, from, tag, "F00", "cannot process route control messages from children.",
					 NULL, 0, rbuf, rcap, act);
		return sw_reply_fulfill(from, tag, NULL, 0, rbuf, rcap, act);
	}
	if (sw->settle_hook != NULL &&
	    sw_bytes_eq(p->destination, p->destination_len, "peer.settle")) {
		const char *msg = "settlement message refused.";

		if (sw->settle_hook(sw->settle_ctx, from, tag, p->expires_at, p->data,
				    p->data_len, &msg) != 0)
			return sw_reject(sw, from, tag, "F00", msg, NULL, 0, rbuf, rcap, act);
		sw_action(act, ILP_SW_NONE, from, tag, NULL, 0);
		return ILP_OK;
	}
	return sw_reject(sw, from, tag, "F01", "unknown peer protocol.", NULL, 0,
			 rbuf, rcap, act);
}

static int sw_too_large(struct ilp_switch *sw, uint16_t from, uint32_t tag,
			uint64_t amount, uint64_t max, uint8_t *rbuf,
			size_t rcap, struct ilp_sw_action *act)
{
	uint8_t data[ILP_F08_DATA_LEN];
	char msg[96];
	size_t pos = 0;

	msg[0] = '\0';
	sw_put_str(msg, sizeof(msg), &pos, "packet size too large. maxAmount=");
	sw_put_u64(msg, sizeof(msg), &pos, max);
	sw_put_str(msg, sizeof(msg), &pos, " actualAmount=");
	sw_put_u64(msg, sizeof(msg), &pos, amount);
	ilp_f08_data_encode(amount, max, data);
	return sw_reject(sw, from, tag, "F08", msg, data, sizeof(data), rbuf, rcap, act);
}

/* True if addr is under the connector's own address (own.x...). */
static bool sw_under_own(const struct ilp_switch *sw, const uint8_t *addr, size_t len)
{
	size_t own = sw->cfg.address_len;

	return len > own && own > 0 && memcmp(addr, sw->address, own) == 0 && addr[own] == '.';
}

/* True while a local peer is set and may be routed to. */
static bool sw_local_on(const struct ilp_switch *sw)
{
	return sw->local_peer != ILP_ROUTE_NONE && sw_routable(sw, sw->local_peer);
}

/* True if addr is exactly the connector's own address. */
static bool sw_is_own(const struct ilp_switch *sw, const uint8_t *addr, size_t len)
{
	return sw->cfg.address_len != 0 && len == sw->cfg.address_len &&
	       memcmp(addr, sw->address, len) == 0;
}

/* Length of the local prefix that addr matches (the own address itself
 * always does), 0 for none. */
static size_t sw_local_match(const struct ilp_switch *sw, const uint8_t *addr, size_t len)
{
	const uint8_t *pre = sw->local_prefix_len != 0 ? sw->local_prefix : sw->address;
	size_t plen = sw->local_prefix_len != 0 ? sw->local_prefix_len : sw->cfg.address_len;

	if (sw_is_own(sw, addr, len))
		return len;
	if (plen == 0 || !ilp_address_has_prefix(addr, len, pre, plen))
		return 0;
	return plen;
}

/* The forwarding decision for a well-formed, unexpired Prepare that is not
 * a peer protocol request: next hop, amount, expiry, holds. */
static int sw_forward(struct ilp_switch *sw, int64_t now, uint16_t from,
		      uint32_t tag, uint8_t *pkt, size_t len,
		      const struct ilp_prepare *p, uint8_t *rbuf, size_t rcap,
		      struct ilp_sw_action *act)
{
	const struct ilp_peer *src = &sw->peers[from];
	size_t matched;
	uint16_t next = ilp_routes_match(&sw->routes, p->destination, p->destination_len, &matched);
	uint64_t out_amount;
	int64_t out_expiry, cap_expiry;
	uint16_t idx;
	struct ilp_pending *pe;

	/* Local delivery: the local prefix beats a route unless the route is
	 * strictly more specific (a child under it). */
	if (sw_local_on(sw)) {
		size_t lm = sw_local_match(sw, p->destination, p->destination_len);

		if (lm != 0 && lm >= matched) {
			next = sw->local_peer;
			matched = lm;
		}
	}
	/* Our own address space is ours: a destination under our address goes
	 * to a child or a route at least as specific as our address, never up
	 * to a parent or the default route (it would come straight back). */
	if (sw_under_own(sw, p->destination, p->destination_len) && matched < sw->cfg.address_len)
		return sw_reject(sw, from, tag, "F02", "no such account under this connector.",
				 NULL, 0, rbuf, rcap, act);
	if (next >= ILPD_MAX_PEERS || !sw->peers[next].used)
		return sw_reject(sw, from, tag, "F02", "no route found.", NULL, 0, rbuf, rcap, act);
	if (!sw->peers[next].up)
		return sw_reject(sw, from, tag, "T01", "peer unreachable.", NULL, 0, rbuf, rcap, act);
	if (ilp_amount_convert(p->amount, &src->cfg.rate, &sw->peers[next].cfg.rate,
			       &out_amount) != ILP_OK)
		return sw_reject(sw, from, tag, "F03", "amount too large to convert.",
				 NULL, 0, rbuf, rcap, act);
	out_expiry = p->expires_at - sw->cfg.min_message_window_ms;
	cap_expiry = now + sw->cfg.max_hold_time_ms;
	if (cap_expiry < out_expiry)
		out_expiry = cap_expiry;
	if (out_expiry - now < sw->cfg.min_message_window_ms)
		return sw_reject(sw, from, tag, "R02",
				 "source transfer expires too soon to complete payment.",
				 NULL, 0, rbuf, rcap, act);
	if (src->pending_from >= ilp_switch_peer_max_in_flight(sw, from)) {
		sw->peers[from].refused_in_flight++;
		sw->stats.in_flight_refused++;
		return sw_reject(sw, from, tag, "T05", "too many packets in flight from this peer.",
				 NULL, 0, rbuf, rcap, act);
	}
	idx = sw_slot_alloc(sw);
	if (idx == SW_NIL) {
		sw->stats.pending_full++;
		return sw_reject(sw, from, tag, "T03", "pending packet table full.",
				 NULL, 0, rbuf, rcap, act);
	}
	if (ledger_reserve_in(&sw->ledger, from, p->amount) != ILP_OK) {
		sw_slot_unalloc(sw, idx);
		return sw_reject(sw, from, tag, "T04", "exceeded maximum balance.",
				 NULL, 0, rbuf, rcap, act);
	}
	if (ledger_reserve_out(&sw->ledger, next, out_amount) != ILP_OK) {
		ledger_release_in(&sw->ledger, from, p->amount);
		sw_slot_unalloc(sw, idx);
		return sw_reject(sw, from, tag, "T04", "insufficient liquidity with next hop.",
				 NULL, 0, rbuf, rcap, act);
	}
	/* Last, so that tokens are only taken for a packet that goes out. */
	if (sw->peers[next].cfg.throughput_out != 0 &&
	    !ilp_bucket_take(&sw->peers[next].out_bucket, now, out_amount)) {
		ledger_release_in(&sw->ledger, from, p->amount);
		ledger_release_out(&sw->ledger, next, out_amount);
		sw_slot_unalloc(sw, idx);
		sw->peers[next].refused_throughput++;
		return sw_reject(sw, from, tag, "T04", "exceeded money bandwidth, throttling.",
				 NULL, 0, rbuf, rcap, act);
	}
	/* Cannot fail: out_expiry lies between now and the decoded expiry. */
	if (ilp_prepare_patch(pkt, p, out_amount, out_expiry) != ILP_OK) {
		ledger_release_in(&sw->ledger, from, p->amount);
		ledger_release_out(&sw->ledger, next, out_amount);
		sw_slot_unalloc(sw, idx);
		return sw_reject(sw, from, tag, "T00", "internal error.", NULL, 0, rbuf, rcap, act);
	}
	pe = &sw->pending[idx];
	memcpy(pe->condition, p->condition, ILP_CONDITION_LEN);
	pe->expires_at = out_expiry;
	pe->amount_in = p->amount;
	pe->amount_out = out_amount;
	pe->in_tag = tag;
	pe->in_peer = from;
	pe->out_peer = next;
	pe->used = 1;
	sw_heap_push(sw, idx);
	sw->peers[next].pending++;
	sw->peers[from].pending_from++;
	sw->stats.forwarded++;
	if (++sw->stats.pending_now > sw->stats.pending_hwm)
		sw->stats.pending_hwm = sw->stats.pending_now;
	sw_action(act, ILP_SW_FORWARD, next, sw_handle(sw, idx), pkt, len);
	return ILP_OK;
}

int ilp_switch_prepare(struct ilp_switch *sw, int64_t now, uint16_t from,
		       uint32_t tag, uint8_t *pkt, size_t len, uint8_t *rbuf,
		       size_t rcap, struct ilp_sw_action *act)
{
	struct ilp_prepare p;
	const char *why = "malformed packet";
	const struct ilp_peer *src;

	sw_action(act, ILP_SW_NONE, 0, 0, NULL, 0);
	if (from >= ILPD_MAX_PEERS || !sw->peers[from].used || sw->peers[from].retired ||
	    rcap < ILP_SWITCH_REPLY_MAX)
		return ILP_ERR_ARG;
	src = &sw->peers[from];
	sw->stats.prepares++;
	/* Limits (off: one test each on the forwarding path). */
	if (src->cfg.rate_limit != 0 && !ilp_bucket_take(&sw->peers[from].rate_bucket, now, 1)) {
		sw->peers[from].refused_rate++;
		return sw_reject(sw, from, tag, "T05", "too many requests, throttling.",
				 NULL, 0, rbuf, rcap, act);
	}
	if (ilp_prepare_decode(pkt, len, &p, &why) != ILP_OK)
		return sw_reject(sw, from, tag, "F01", why, NULL, 0, rbuf, rcap, act);
	if (p.expires_at <= now)
		return sw_reject(sw, from, tag, "R00", "source transfer has already expired.",
				 NULL, 0, rbuf, rcap, act);
	/* No address yet (IL-DCP pending): a child has no address space to
	 * send from or be paid in; T01, temporary, as for an unreachable
	 * next hop. Parents and peers are still served. */
	if (sw->cfg.address_len == 0 && src->cfg.relation == ILP_REL_CHILD)
		return sw_reject(sw, from, tag, "T01", "connector has no address yet.",
				 NULL, 0, rbuf, rcap, act);
	if (sw_bytes_prefix(p.destination, p.destination_len, SW_PEER_PREFIX))
		return sw_peer_protocol(sw, now, from, tag, &p, rbuf, rcap, act);
	if (p.destination_len == sw->cfg.address_len && !sw_local_on(sw) &&
	    memcmp(p.destination, sw->address, p.destination_len) == 0)
		return sw_reject(sw, from, tag, "F02", "packet addressed to the connector itself.",
				 NULL, 0, rbuf, rcap, act);
	if (p.amount > src->cfg.max_packet_amount)
		return sw_too_large(sw, from, tag, p.amount, src->cfg.max_packet_amount,
				    rbuf, rcap, act);
	if (src->cfg.throughput_in != 0 &&
	    !ilp_bucket_take(&sw->peers[from].in_bucket, now, p.amount)) {
		sw->peers[from].refused_throughput++;
		return sw_reject(sw, from, tag, "T04", "exceeded money bandwidth, throttling.",
				 NULL, 0, rbuf, rcap, act);
	}
	return sw_forward(sw, now, from, tag, pkt, len, &p, rbuf, rcap, act);
}

/* ---- answers, aborts, expiry ------------------------------------------- */

static bool sw_fulfillment_ok(const struct ilp_switch *sw,
			      const struct ilp_pending *pe, const uint8_t *f)
{
	uint8_t digest[32];

	sw->cfg.sha256(f, ILP_FULFILLMENT_LEN, digest);
	return memcmp(digest, pe->condition, ILP_CONDITION_LEN) == 0;
}

/* Rejects slot idx upstream with a reject of our own and frees it. */
static int sw_fail_slot(struct ilp_switch *sw, uint16_t idx, const char code[3],
			const char *message, uint8_t *rbuf, size_t rcap,
			struct ilp_sw_action *act)
{
	uint16_t in_peer = sw->pending[idx].in_peer;
	uint32_t in_tag = sw->pending[idx].in_tag;

	sw_finish(sw, idx, false);
	return sw_reject(sw, in_peer, in_tag, code, message, NULL, 0, rbuf, rcap, act);
}

int ilp_switch_response(struct ilp_switch *sw, int64_t now, uint32_t handle,
			const uint8_t *pkt, size_t len, uint8_t *rbuf,
			size_t rcap, struct ilp_sw_action *act)
{
	uint16_t idx = sw_slot_of(sw, handle);
	struct ilp_pending *pe;
	struct ilp_fulfill f;
	struct ilp_reject rj;
	int type;

	sw_action(act, ILP_SW_NONE, 0, 0, NULL, 0);
	if (rcap < ILP_SWITCH_REPLY_MAX)
		return ILP_ERR_ARG;
	if (idx == SW_NIL) {
		sw->stats.late_responses++;
		return ILP_ERR_NOT_FOUND;
	}
	pe = &sw->pending[idx];
	if (pe->expires_at <= now) {
		sw->stats.expired++;
		return sw_fail_slot(sw, idx, "R00", "packet expired.", rbuf, rcap, act);
	}
	type = ilp_packet_type(pkt, len);
	if (type == ILP_TYPE_FULFILL && ilp_fulfill_decode(pkt, len, &f, NULL) == ILP_OK) {
		if (!sw_fulfillment_ok(sw, pe, f.fulfillment)) {
			sw->stats.bad_fulfill++;
			return sw_fail_slot(sw, idx, "F05", "fulfillment did not match expected value.",
					    rbuf, rcap, act);
		}
		sw_action(act, ILP_SW_REPLY, pe->in_peer, pe->in_tag, pkt, len);
		sw_finish(sw, idx, true);
		sw->stats.fulfilled++;
		return ILP_OK;
	}
	if (type == ILP_TYPE_REJECT && ilp_reject_decode(pkt, len, &rj, NULL) == ILP_OK) {
		sw_action(act, ILP_SW_REPLY, pe->in_peer, pe->in_tag, pkt, len);
		memcpy(act->code, rj.code, 3);
		act->code[3] = '\0';
		sw_finish(sw, idx, false);
		sw->stats.rejected_relay++;
		return ILP_OK;
	}
	return sw_fail_slot(sw, idx, "T00", "invalid response from next hop.", rbuf, rcap, act);
}

int ilp_switch_response_undeliverable(struct ilp_switch *sw, int64_t now,
				      uint32_t handle, const uint8_t *pkt, size_t len)
{
	uint16_t idx = sw_slot_of(sw, handle);
	struct ilp_fulfill f;

	if (idx == SW_NIL) {
		sw->stats.late_responses++;
		return ILP_ERR_NOT_FOUND;
	}
	sw->stats.undelivered++;
	if (sw->pending[idx].expires_at > now && ilp_packet_type(pkt, len) == ILP_TYPE_FULFILL &&
	    ilp_fulfill_decode(pkt, len, &f, NULL) == ILP_OK &&
	    sw_fulfillment_ok(sw, &sw->pending[idx], f.fulfillment)) {
		/* The money rule: the next hop was paid, so the source is charged. */
		sw_finish(sw, idx, true);
		sw->stats.charged_undelivered++;
		return ILP_OK;
	}
	sw_finish(sw, idx, false);
	return ILP_OK;
}

uint32_t ilp_switch_peer_max_in_flight(const struct ilp_switch *sw, uint16_t peer)
{
	if (peer >= ILPD_MAX_PEERS || !sw->peers[peer].used)
		return 0;
	return sw->peers[peer].cfg.max_in_flight != 0 ? sw->peers[peer].cfg.max_in_flight
						       : ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT;
}

uint16_t ilp_switch_handle_peer(const struct ilp_switch *sw, uint32_t handle)
{
	uint16_t idx = sw_slot_of(sw, handle);

	return idx == SW_NIL ? ILP_ROUTE_NONE : sw->pending[idx].out_peer;
}

uint16_t ilp_switch_handle_source(const struct ilp_switch *sw, uint32_t handle)
{
	uint16_t idx = sw_slot_of(sw, handle);

	return idx == SW_NIL ? ILP_ROUTE_NONE : sw->pending[idx].in_peer;
}

int ilp_switch_abort(struct ilp_switch *sw, uint32_t handle, const char code[3],
		     const char *message, uint8_t *rbuf, size_t rcap,
		     struct ilp_sw_action *act)
{
	uint16_t idx = sw_slot_of(sw, handle);

	sw_action(act, ILP_SW_NONE, 0, 0, NULL, 0);
	if (rcap < ILP_SWITCH_REPLY_MAX)
		return ILP_ERR_ARG;
	if (idx == SW_NIL)
		return ILP_ERR_NOT_FOUND;
	return sw_fail_slot(sw, idx, code, message, rbuf, rcap, act);
}

int ilp_switch_abort_peer(struct ilp_switch *sw, uint16_t peer, uint8_t *rbuf,
			  size_t rcap, struct ilp_sw_action *act)
{
	uint16_t i;

	sw_action(act, ILP_SW_NONE, 0, 0, NULL, 0);
	if (peer >= ILPD_MAX_PEERS || sw->peers[peer].pending == 0 ||
	    rcap < ILP_SWITCH_REPLY_MAX)
		return 0;
	for (i = 0; i < ILPD_MAX_PENDING; i++) {
		if (sw->pending[i].used && sw->pending[i].out_peer == peer)
			return sw_fail_slot(sw, i, "T01", "peer unreachable.", rbuf, rcap,
					    act) == ILP_OK;
	}
	return 0;
}

int ilp_switch_expire(struct ilp_switch *sw, int64_t now, uint8_t *rbuf,
		      size_t rcap, struct ilp_sw_action *act)
{
	sw_action(act, ILP_SW_NONE, 0, 0, NULL, 0);
	if (sw->heap_len == 0 || sw->pending[sw->heap[0]].expires_at > now ||
	    rcap < ILP_SWITCH_REPLY_MAX)
		return 0;
	sw->stats.expired++;
	return sw_fail_slot(sw, sw->heap[0], "R00", "packet expired.", rbuf, rcap, act) == ILP_OK;
}

int64_t ilp_switch_next_expiry(const struct ilp_switch *sw)
{
	if (sw->heap_len == 0)
		return INT64_MAX;
	return sw->pending[sw->heap[0]].expires_at;
}

/* ---- consistency check -------------------------------------------------- */

static const char *sw_check_pending(const struct ilp_switch *sw)
{
	uint64_t in[ILPD_MAX_PEERS] = {0}, out[ILPD_MAX_PEERS] = {0};
	uint32_t cnt[ILPD_MAX_PEERS] = {0}, cnt_from[ILPD_MAX_PEERS] = {0};
	uint32_t used = 0;
	uint16_t i;

	for (i = 0; i < ILPD_MAX_PENDING; i++) {
		const struct ilp_pending *pe = &sw->pending[i];

		if (!pe->used)
			continue;
		used++;
		if (pe->in_peer >= ILPD_MAX_PEERS || pe->out_peer >= ILPD_MAX_PEERS)
			return "pending entry names an unknown peer";
		in[pe->in_peer] += pe->amount_in;
		out[pe->out_peer] += pe->amount_out;
		cnt[pe->out_peer]++;
		cnt_from[pe->in_peer]++;
		if (pe->heap_pos >= sw->heap_len || sw->heap[pe->heap_pos] != i)
			return "pending entry not at its heap position";
	}
	if (used != sw->heap_len || used != sw->stats.pending_now)
		return "pending count differs from heap length";
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if (in[i] != sw->ledger.slot[i].pending_in ||
		    out[i] != sw->ledger.slot[i].pending_out)
			return "ledger holds differ from pending packets";
		if (cnt[i] != sw->peers[i].pending || cnt_from[i] != sw->peers[i].pending_from)
			return "per-peer pending count wrong";
	}
	return NULL;
}

/* Peer slots against the ledger, and routes against the peers. */
static const char *sw_check_peers(const struct ilp_switch *sw)
{
	const struct ilp_routes *t = &sw->routes;
	uint16_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ilp_peer *p = &sw->peers[i];
		bool open = (sw->ledger.slot[i].flags & LEDGER_SLOT_USED) != 0;

		if (p->used != open)
			return "peer slot and ledger slot disagree";
		if (!p->used && (p->up || p->retired || p->pending != 0 || p->pending_from != 0))
			return "unused peer slot holds state";
		if (p->retired && p->up)
			return "retired peer is up";
	}
	if (t->count > ILPD_MAX_ROUTES)
		return "route count out of range";
	for (i = 0; i < t->count; i++)
		if (!sw_routable(sw, t->r[i].peer))
			return "route leads to an unused or retired peer";
	if (t->default_peer != ILP_ROUTE_NONE && !sw_routable(sw, t->default_peer))
		return "default route leads to an unused or retired peer";
	if (sw->local_peer != ILP_ROUTE_NONE &&
	    (sw->local_peer >= ILPD_MAX_PEERS || !sw->peers[sw->local_peer].used))
		return "local peer is unused";
	return NULL;
}

static const char *sw_check_heap_and_free(const struct ilp_switch *sw)
{
	uint32_t i, n = 0;
	uint16_t f;

	for (i = 1; i < sw->heap_len; i++) {
		if (sw->pending[sw->heap[i]].expires_at <
		    sw->pending[sw->heap[(i - 1u) / 2u]].expires_at)
			return "expiry heap out of order";
	}
	for (f = sw->free_head; f != SW_NIL; f = sw->pending[f].next_free) {
		if (f >= ILPD_MAX_PENDING || sw->pending[f].used || ++n > ILPD_MAX_PENDING)
			return "free list corrupt";
	}
	if (n + sw->heap_len != ILPD_MAX_PENDING)
		return "free list and heap do not cover the pending table";
	return NULL;
}

int ilp_switch_check(const struct ilp_switch *sw, const char **why)
{
	const char *w = NULL;

	if (ledger_check(&sw->ledger, NULL) != ILP_OK)
		w = "ledger invariant broken";
	if (w == NULL)
		w = sw_check_pending(sw);
	if (w == NULL)
		w = sw_check_peers(sw);
	if (w == NULL)
		w = sw_check_heap_and_free(sw);
	if (why != NULL)
		*why = w;
	return w == NULL ? ILP_OK : ILP_ERR_INVALID;
}
