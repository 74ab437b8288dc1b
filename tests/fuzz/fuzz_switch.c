/*
 * fuzz_switch.c - libFuzzer target for the packet switch
 * (ilp/include/ilp/ilp_switch.h), driven as a state machine.
 *
 * Configuration: connector test.conn with three peers, 0 "up" (parent, the
 * default route), 1 "pe" (peer, route test.pe, another asset and tight
 * balance limits) and 2 "kid" (child, route test.conn.kid, small maximum
 * packet amount). The input is a script of operations (see enum op): build
 * a Prepare from a few fuzz-chosen fields, send raw Prepare bytes, answer a
 * pending packet (right or wrong fulfillment, reject, raw bytes), abort,
 * abort a peer, expire, move the clock, take a link up or down.
 *
 * A model kept here shadows every forwarded packet (handle, source, next
 * hop, condition, amounts, outgoing expiry) and the balances. Checked after
 * every step (a violation traps): ilp_switch_check; pending count and next
 * expiry equal the model's; balances equal the model's; every action is the
 * one the header promises (REPLY to the right tag with a well-formed
 * Fulfill or a Reject whose triggeredBy is the connector; FORWARD with the
 * converted amount, the shortened expiry and the other fields unchanged;
 * answers relayed byte for byte; F05 for a wrong fulfillment; R00 at
 * expiry; T01 for an aborted peer).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "hal/hal_crypto.h"
#include "ilp/amount.h"
#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"
#include "ilp/oer.h"

#define NPEERS 3
#define MAX_STEPS 96
#define MODEL_MAX (MAX_STEPS + 1)
#define NPREIMAGES 5   /* 0..3: 32 x (k+1); 4: 32 x 0, the peer fulfillment */
#define START_MS 1704067200000LL   /* 2024-01-01T00:00:00Z */
#define WINDOW_MS ILP_SWITCH_DEFAULT_MIN_MESSAGE_WINDOW_MS
#define HOLD_MS ILP_SWITCH_DEFAULT_MAX_HOLD_TIME_MS

enum op {
	OP_PREPARE, OP_PREPARE_RAW, OP_RESPOND, OP_ABORT, OP_ABORT_PEER,
	OP_EXPIRE, OP_ADVANCE, OP_LINK, OP_COUNT
};

struct model_entry {
	uint32_t handle;
	uint32_t in_tag;
	uint16_t in_peer;
	uint16_t out_peer;
	uint8_t condition[ILP_CONDITION_LEN];
	int64_t expires_at;
	uint64_t amount_in;
	uint64_t amount_out;
};

struct fuzz_state {
	struct ilp_switch sw;
	struct model_entry m[MODEL_MAX];
	size_t count;
	int64_t balance[NPEERS];
	int64_t now;
	uint32_t next_tag;
	const uint8_t *p;
	const uint8_t *end;
	uint8_t pkt[4096];
	uint8_t rsp[4096];
	uint8_t rbuf[ILP_SWITCH_REPLY_MAX];
};

static struct fuzz_state st;

static const char own_address[] = "test.conn";

static const char *const destinations[] = {
	"test.conn.kid", "test.conn.kid.x.y", "test.pe", "test.pe.bob",
	"test.conn", "test.other.a", "peer.config", "peer.route.control",
	"peer.route.update", "peer.foo", "g.abc", "test.conn.kidx",
};
#define NDEST (sizeof(destinations) / sizeof(destinations[0]))

static const char *const reject_codes[] = { "F02", "T04", "R00", "F99", "T01", "ZZZ" };

static void preimage(unsigned k, uint8_t out[ILP_FULFILLMENT_LEN])
{
	memset(out, k >= 4 ? 0 : (int)(k + 1), ILP_FULFILLMENT_LEN);
}

static uint64_t take(size_t n)
{
	return fuzz_take(&st.p, st.end, n);
}

static void add_peer(uint16_t i, const char *name, uint8_t rel,
		     struct ilp_rate rate, uint64_t max_pkt, int64_t lim)
{
	struct ilp_peer_cfg c;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	strcpy(c.asset_code, i == 1 ? "EUR" : "USD");
	c.relation = rel;
	c.rate = rate;
	c.max_packet_amount = max_pkt;
	c.min_balance = -lim;
	c.max_balance = lim;
	c.settle_threshold = INT64_MAX;
	FUZZ_CHECK(ilp_switch_add_peer(&st.sw, i, &c) == ILP_OK);
	ilp_switch_set_peer_up(&st.sw, i, true);
}

static void setup(const uint8_t *data, size_t size)
{
	struct ilp_switch_cfg cfg;
	struct ilp_rate r9 = { 1, 1, 9 }, r6 = { 2, 1, 6 };

	memset(&st.m, 0, sizeof(st.m));
	memset(st.balance, 0, sizeof(st.balance));
	st.count = 0;
	st.now = START_MS;
	st.next_tag = 1;
	st.p = data;
	st.end = data + size;
	cfg.address = (const uint8_t *)own_address;
	cfg.address_len = strlen(own_address);
	cfg.min_message_window_ms = WINDOW_MS;
	cfg.max_hold_time_ms = HOLD_MS;
	cfg.sha256 = hal_sha256;
	FUZZ_CHECK(ilp_switch_init(&st.sw, &cfg) == ILP_OK);
	add_peer(0, "up", ILP_REL_PARENT, r9, UINT64_MAX, 1000000000000LL);
	add_peer(1, "pe", ILP_REL_PEER, r6, 1000000000ULL, 1000000LL);
	add_peer(2, "kid", ILP_REL_CHILD, r9, 1000000ULL, 5000000LL);
	FUZZ_CHECK(ilp_switch_add_route(&st.sw, (const uint8_t *)"test.pe", 7, 1) == ILP_OK);
	FUZZ_CHECK(ilp_switch_set_default_route(&st.sw, 0) == ILP_OK);
}

static struct model_entry *model_find(uint32_t handle)
{
	size_t i;

	for (i = 0; i < st.count; i++) {
		if (st.m[i].handle == handle)
			return &st.m[i];
	}
	return NULL;
}

static void model_remove(struct model_entry *e, bool fulfilled)
{
	if (fulfilled) {
		st.balance[e->in_peer] += (int64_t)e->amount_in;
		st.balance[e->out_peer] -= (int64_t)e->amount_out;
	}
	*e = st.m[--st.count];
}

/* The invariants that hold between any two operations. */
static void check_state(void)
{
	const char *why = NULL;
	int64_t next = INT64_MAX;
	size_t i;

	FUZZ_CHECK(ilp_switch_check(&st.sw, &why) == ILP_OK && why == NULL);
	FUZZ_CHECK(st.sw.stats.pending_now == st.count);
	for (i = 0; i < st.count; i++) {
		if (st.m[i].expires_at < next)
			next = st.m[i].expires_at;
	}
	FUZZ_CHECK(ilp_switch_next_expiry(&st.sw) == next);
	for (i = 0; i < NPEERS; i++)
		FUZZ_CHECK(st.sw.ledger.slot[i].balance == st.balance[i]);
}

/* A Reject the switch made itself: well-formed, our code, our address. */
static void check_own_reject(const struct ilp_sw_action *a, const char *code)
{
	struct ilp_reject rj;

	FUZZ_CHECK(a->kind == ILP_SW_REPLY && a->pkt == st.rbuf);
	FUZZ_CHECK(ilp_reject_decode(a->pkt, a->len, &rj, NULL) == ILP_OK);
	FUZZ_CHECK(memcmp(rj.code, a->code, 3) == 0 && a->code[3] == '\0');
	FUZZ_CHECK(code == NULL || memcmp(a->code, code, 4) == 0);
	FUZZ_CHECK(fuzz_same(rj.triggered_by, rj.triggered_by_len,
			     (const uint8_t *)own_address, strlen(own_address)));
}

static void check_forward(const struct ilp_sw_action *a, uint16_t from,
			  uint32_t tag, const struct ilp_prepare *in)
{
	struct ilp_prepare out;
	struct model_entry *e;
	uint64_t want = 0;
	int64_t exp = in->expires_at - WINDOW_MS;

	if (exp > st.now + HOLD_MS)
		exp = st.now + HOLD_MS;
	FUZZ_CHECK(a->pkt == st.pkt && a->peer < NPEERS);
	FUZZ_CHECK(st.sw.peers[a->peer].up);
	FUZZ_CHECK(model_find(a->tag) == NULL && st.count < MODEL_MAX);
	FUZZ_CHECK(st.count < ILPD_MAX_PENDING);
	FUZZ_CHECK(st.sw.peers[from].pending_from <= ilp_switch_peer_max_in_flight(&st.sw, from));
	FUZZ_CHECK(ilp_prepare_decode(a->pkt, a->len, &out, NULL) == ILP_OK);
	FUZZ_CHECK(ilp_amount_convert(in->amount, &st.sw.peers[from].cfg.rate,
				      &st.sw.peers[a->peer].cfg.rate, &want) == ILP_OK);
	FUZZ_CHECK(out.amount == want && out.expires_at == exp);
	FUZZ_CHECK(exp - st.now >= WINDOW_MS && in->amount <= st.sw.peers[from].cfg.max_packet_amount);
	FUZZ_CHECK(!(in->destination_len >= 5 && memcmp(in->destination, "peer.", 5) == 0));
	e = &st.m[st.count++];
	e->handle = a->tag;
	e->in_tag = tag;
	e->in_peer = from;
	e->out_peer = a->peer;
	memcpy(e->condition, in->condition, ILP_CONDITION_LEN);
	e->expires_at = exp;
	e->amount_in = in->amount;
	e->amount_out = want;
}

static void check_reply_to_prepare(const struct ilp_sw_action *a,
				   const struct ilp_prepare *in, bool decoded)
{
	struct ilp_fulfill f;
	uint64_t rcv = 0, max = 0;
	struct ilp_reject rj;

	if (a->code[0] == '\0') {
		/* Only peer protocol requests are answered with a Fulfill here. */
		FUZZ_CHECK(decoded && in->destination_len >= 5 &&
			   memcmp(in->destination, "peer.", 5) == 0);
		FUZZ_CHECK(ilp_fulfill_decode(a->pkt, a->len, &f, NULL) == ILP_OK);
		FUZZ_CHECK(memcmp(f.fulfillment, ilp_peer_fulfillment, ILP_FULFILLMENT_LEN) == 0);
		if (ildcp_is_request(in)) {
			struct ildcp_response res;

			FUZZ_CHECK(ildcp_response_decode(a->pkt, a->len, &res, NULL) == ILP_OK);
			FUZZ_CHECK(st.sw.peers[a->peer].cfg.relation == ILP_REL_CHILD);
			FUZZ_CHECK(fuzz_same(res.client_address, res.client_address_len,
					     (const uint8_t *)"test.conn.kid", 13));
		}
		return;
	}
	check_own_reject(a, NULL);
	if (!decoded) {
		FUZZ_CHECK(memcmp(a->code, "F01", 4) == 0);
		return;
	}
	if (in->expires_at <= st.now)
		FUZZ_CHECK(memcmp(a->code, "R00", 4) == 0);
	if (memcmp(a->code, "T03", 4) == 0)
		FUZZ_CHECK(st.count == ILPD_MAX_PENDING);
	if (memcmp(a->code, "T05", 4) == 0)   /* only over the source's share */
		FUZZ_CHECK(st.sw.peers[a->peer].pending_from >=
			   ilp_switch_peer_max_in_flight(&st.sw, a->peer));
	if (memcmp(a->code, "F08", 4) == 0) {
		FUZZ_CHECK(ilp_reject_decode(a->pkt, a->len, &rj, NULL) == ILP_OK);
		FUZZ_CHECK(ilp_f08_data_decode(rj.data, rj.data_len, &rcv, &max) == ILP_OK);
		FUZZ_CHECK(rcv == in->amount && rcv > max);
	}
}

/* Feeds st.pkt[0..len) to the switch from peer `from` and checks the action. */
static void run_prepare(uint16_t from, size_t len)
{
	struct ilp_prepare in;
	struct ilp_sw_action a;
	uint8_t orig[sizeof(st.pkt)];
	uint32_t tag = st.next_tag++;
	bool decoded = ilp_prepare_decode(st.pkt, len, &in, NULL) == ILP_OK;
	int r;

	memset(&in, 0, sizeof(in));
	memcpy(orig, st.pkt, len);
	if (decoded)   /* keep the view on a copy: the switch patches st.pkt */
		FUZZ_CHECK(ilp_prepare_decode(orig, len, &in, NULL) == ILP_OK);
	r = ilp_switch_prepare(&st.sw, st.now, from, tag, st.pkt, len, st.rbuf,
			       sizeof(st.rbuf), &a);
	FUZZ_CHECK(r == ILP_OK);
	if (a.kind == ILP_SW_FORWARD) {
		FUZZ_CHECK(decoded);
		check_forward(&a, from, tag, &in);
		return;
	}
	FUZZ_CHECK(a.kind == ILP_SW_REPLY && a.peer == from && a.tag == tag);
	check_reply_to_prepare(&a, &in, decoded);
}

static void op_prepare(void)
{
	struct ilp_prepare v;
	uint8_t cond[ILP_CONDITION_LEN], pre[ILP_FULFILLMENT_LEN];
	uint16_t from = (uint16_t)(take(1) % NPEERS);
	const char *dest = destinations[take(1) % NDEST];
	uint64_t amount = take(3);
	unsigned shift = (unsigned)take(1);
	int64_t delta = (int16_t)(uint16_t)take(2);
	size_t len = 0;

	amount = (shift & 0x80) ? UINT64_MAX - amount : amount << (shift % 40);
	preimage((unsigned)(take(1) % NPREIMAGES), pre);
	hal_sha256(pre, sizeof(pre), cond);
	v.amount = amount;
	v.expires_at = st.now + delta * 10;
	v.condition = cond;
	v.destination = (const uint8_t *)dest;
	v.destination_len = strlen(dest);
	v.data_len = (size_t)(take(1) % 64);
	if (v.data_len > (size_t)(st.end - st.p))
		v.data_len = (size_t)(st.end - st.p);
	v.data = st.p;
	st.p += v.data_len;
	v.contents_off = 0;
	FUZZ_CHECK(ilp_prepare_encode(&v, st.pkt, sizeof(st.pkt), &len) == ILP_OK);
	run_prepare(from, len);
}

static void op_prepare_raw(void)
{
	uint16_t from = (uint16_t)(take(1) % NPEERS);
	size_t len = (size_t)take(2) % sizeof(st.pkt);

	if (len > (size_t)(st.end - st.p))
		len = (size_t)(st.end - st.p);
	memcpy(st.pkt, st.p, len);
	st.p += len;
	run_prepare(from, len);
}

/* Picks a handle: mostly a live one from the model, sometimes any value. */
static uint32_t pick_handle(void)
{
	unsigned sel = (unsigned)take(1);

	if (st.count > 0 && sel < 0xF0)
		return st.m[sel % st.count].handle;
	return (uint32_t)take(4);
}

/* Sets pre to the preimage of e's condition, if it is one of ours. */
static void right_preimage(const struct model_entry *e, uint8_t pre[ILP_FULFILLMENT_LEN])
{
	uint8_t c[ILP_CONDITION_LEN];
	unsigned k;

	for (k = 0; k < NPREIMAGES; k++) {
		preimage(k, pre);
		hal_sha256(pre, ILP_FULFILLMENT_LEN, c);
		if (memcmp(c, e->condition, ILP_CONDITION_LEN) == 0)
			return;
	}
}

/* Writes the answer a next hop gives into st.rsp: a Fulfill (kind 0: a
 * fuzz-chosen preimage, kind 1: the right one), a Reject (2) or raw bytes
 * (3). Returns its length. */
static size_t build_response(const struct model_entry *e)
{
	unsigned kind = (unsigned)take(1) % 4;
	uint8_t pre[ILP_FULFILLMENT_LEN];
	size_t len = 0;

	if (kind == 0 || kind == 1) {
		struct ilp_fulfill f;

		preimage((unsigned)(take(1) % NPREIMAGES), pre);
		if (kind == 1 && e != NULL)
			right_preimage(e, pre);
		f.fulfillment = pre;
		f.data = st.p;
		f.data_len = 0;
		FUZZ_CHECK(ilp_fulfill_encode(&f, st.rsp, sizeof(st.rsp), &len) == ILP_OK);
		return len;
	}
	if (kind == 2) {
		struct ilp_reject rj;
		const char *code = reject_codes[take(1) % 6];

		rj.code = (const uint8_t *)code;
		rj.triggered_by = (const uint8_t *)"test.pe.bob";
		rj.triggered_by_len = 11;
		rj.message = (const uint8_t *)"no";
		rj.message_len = 2;
		rj.data = NULL;
		rj.data_len = 0;
		FUZZ_CHECK(ilp_reject_encode(&rj, st.rsp, sizeof(st.rsp), &len) == ILP_OK);
		return len;
	}
	len = (size_t)take(1);
	if (len > (size_t)(st.end - st.p))
		len = (size_t)(st.end - st.p);
	memcpy(st.rsp, st.p, len);
	st.p += len;
	return len;
}

/* What the switch must answer for a live entry e given response rsp. */
static void check_answer(const struct model_entry *e, const struct ilp_sw_action *a,
			 size_t len)
{
	struct ilp_fulfill f;
	struct ilp_reject rj;
	uint8_t c[32];

	FUZZ_CHECK(a->kind == ILP_SW_REPLY && a->peer == e->in_peer && a->tag == e->in_tag);
	if (e->expires_at <= st.now) {
		check_own_reject(a, "R00");
		return;
	}
	if (len > 0 && st.rsp[0] == ILP_TYPE_FULFILL &&
	    ilp_fulfill_decode(st.rsp, len, &f, NULL) == ILP_OK) {
		hal_sha256(f.fulfillment, ILP_FULFILLMENT_LEN, c);
		if (memcmp(c, e->condition, 32) != 0) {
			check_own_reject(a, "F05");
			return;
		}
		FUZZ_CHECK(a->pkt == st.rsp && a->len == len && a->code[0] == '\0');
		return;
	}
	if (len > 0 && st.rsp[0] == ILP_TYPE_REJECT &&
	    ilp_reject_decode(st.rsp, len, &rj, NULL) == ILP_OK) {
		FUZZ_CHECK(a->pkt == st.rsp && a->len == len);
		FUZZ_CHECK(memcmp(a->code, rj.code, 3) == 0);
		return;
	}
	check_own_reject(a, "T00");
}

static void op_respond(void)
{
	uint32_t h = pick_handle();
	struct model_entry *e = model_find(h);
	struct ilp_sw_action a;
	size_t len = build_response(e);
	int r = ilp_switch_response(&st.sw, st.now, h, st.rsp, len, st.rbuf,
				    sizeof(st.rbuf), &a);

	if (e == NULL) {
		FUZZ_CHECK(r == ILP_ERR_NOT_FOUND && a.kind == ILP_SW_NONE);
		return;
	}
	FUZZ_CHECK(r == ILP_OK);
	check_answer(e, &a, len);
	model_remove(e, a.code[0] == '\0');
}

static void op_abort(void)
{
	uint32_t h = pick_handle();
	struct model_entry *e = model_find(h);
	const char *code = (take(1) & 1) ? "T01" : "F02";
	struct ilp_sw_action a;
	int r = ilp_switch_abort(&st.sw, h, code, "link failed.", st.rbuf,
				 sizeof(st.rbuf), &a);

	if (e == NULL) {
		FUZZ_CHECK(r == ILP_ERR_NOT_FOUND && a.kind == ILP_SW_NONE);
		return;
	}
	FUZZ_CHECK(r == ILP_OK && a.peer == e->in_peer && a.tag == e->in_tag);
	check_own_reject(&a, code);
	model_remove(e, false);
}

/* Finds the live entry an upstream reply (peer, tag) belongs to. */
static struct model_entry *model_by_tag(uint16_t peer, uint32_t tag)
{
	size_t i;

	for (i = 0; i < st.count; i++) {
		if (st.m[i].in_peer == peer && st.m[i].in_tag == tag)
			return &st.m[i];
	}
	return NULL;
}

static void op_abort_peer(void)
{
	uint16_t peer = (uint16_t)(take(1) % (NPEERS + 1));
	struct ilp_sw_action a;
	struct model_entry *e;
	size_t i, n = 0;

	while (ilp_switch_abort_peer(&st.sw, peer, st.rbuf, sizeof(st.rbuf), &a) == 1) {
		FUZZ_CHECK(++n <= MODEL_MAX);
		e = model_by_tag(a.peer, a.tag);
		FUZZ_CHECK(e != NULL && e->out_peer == peer);
		check_own_reject(&a, "T01");
		model_remove(e, false);
		check_state();
	}
	FUZZ_CHECK(a.kind == ILP_SW_NONE);
	for (i = 0; i < st.count; i++)
		FUZZ_CHECK(st.m[i].out_peer != peer);
}

static void op_expire(void)
{
	struct ilp_sw_action a;
	struct model_entry *e;
	size_t i, n = 0;

	while (ilp_switch_expire(&st.sw, st.now, st.rbuf, sizeof(st.rbuf), &a) == 1) {
		FUZZ_CHECK(++n <= MODEL_MAX);
		e = model_by_tag(a.peer, a.tag);
		FUZZ_CHECK(e != NULL && e->expires_at <= st.now);
		check_own_reject(&a, "R00");
		model_remove(e, false);
		check_state();
	}
	FUZZ_CHECK(a.kind == ILP_SW_NONE);
	for (i = 0; i < st.count; i++)
		FUZZ_CHECK(st.m[i].expires_at > st.now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned steps = 0;

	setup(data, size);
	check_state();
	while (st.p < st.end && steps++ < MAX_STEPS) {
		switch ((enum op)(take(1) % OP_COUNT)) {
		case OP_PREPARE: op_prepare(); break;
		case OP_PREPARE_RAW: op_prepare_raw(); break;
		case OP_RESPOND: op_respond(); break;
		case OP_ABORT: op_abort(); break;
		case OP_ABORT_PEER: op_abort_peer(); break;
		case OP_EXPIRE: op_expire(); break;
		case OP_ADVANCE: st.now += (int64_t)take(2) * 7; break;
		case OP_LINK: {
			unsigned b = (unsigned)take(1);

			ilp_switch_set_peer_up(&st.sw, (uint16_t)(b % NPEERS), (b & 0x80) != 0);
			break;
		}
		case OP_COUNT:
		default: break;
		}
		check_state();
	}
	return 0;
}
