/*
 * test_switch.c - every forwarding rule of the packet switch, with a fake
 * clock, and the switch's consistency check (ledger invariants, holds vs
 * pending packets, heap, free list) after every step.
 */
#include <stdint.h>
#include <string.h>

#include "hal/hal_crypto.h"
#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"
#include "th.h"

#define T0 1700000000000LL   /* fake "now": 2023-11-14T22:13:20Z */
#define ADDR "test.conn"

enum { ALICE = 0, BOB = 1, UP = 2, CAROL = 3, BIG = 4 };

static struct ilp_switch sw;
static uint8_t rbuf[ILP_SWITCH_REPLY_MAX];
static struct ilp_sw_action act;

#define CHECK_SW()                                                           \
	do {                                                                 \
		const char *why_ = NULL;                                     \
		if (ilp_switch_check(&sw, &why_) != ILP_OK)                  \
			th_fail(__FILE__, __LINE__, "switch check: %s", why_); \
	} while (0)

static struct ilp_peer_cfg peer_cfg(const char *name, uint8_t rel, uint8_t scale,
				    const char *code, uint64_t max_packet, int64_t min_bal,
				    int64_t max_bal)
{
	struct ilp_peer_cfg c;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	strcpy(c.asset_code, code);
	c.relation = rel;
	c.rate.num = 1;
	c.rate.den = 1;
	c.rate.scale = scale;
	c.max_packet_amount = max_packet;
	c.min_balance = min_bal;
	c.max_balance = max_bal;
	c.settle_threshold = INT64_MAX;
	return c;
}

static void add_peer(uint16_t i, const char *name, uint8_t rel, uint8_t scale,
		     const char *code, uint64_t max_packet, int64_t min_bal,
		     int64_t max_bal)
{
	struct ilp_peer_cfg c = peer_cfg(name, rel, scale, code, max_packet, min_bal, max_bal);

	CHECK_EQ(ilp_switch_add_peer(&sw, i, &c), ILP_OK);
	ilp_switch_set_peer_up(&sw, i, true);
}

/* alice: child, scale 9, max packet 1e6, may owe us 1e9
 * bob:   peer, scale 9, route test.bob, we may owe him 1e6
 * up:    parent, scale 9, default route
 * carol: child, scale 6 (USD)
 * big:   peer, scale 18, route test.big */
static void setup(bool with_default)
{
	struct ilp_switch_cfg cfg = {
		(const uint8_t *)ADDR, strlen(ADDR), 1000, 30000, hal_sha256
	};

	CHECK_EQ(ilp_switch_init(&sw, &cfg), ILP_OK);
	add_peer(ALICE, "alice", ILP_REL_CHILD, 9, "XRP", 1000000, INT64_MIN, 1000000000);
	add_peer(BOB, "bob", ILP_REL_PEER, 9, "XRP", UINT64_MAX, -1000000, INT64_MAX);
	add_peer(UP, "up", ILP_REL_PARENT, 9, "XRP", UINT64_MAX, INT64_MIN, INT64_MAX);
	add_peer(CAROL, "carol", ILP_REL_CHILD, 6, "USD", UINT64_MAX, INT64_MIN, INT64_MAX);
	add_peer(BIG, "big", ILP_REL_PEER, 18, "XRP", UINT64_MAX, INT64_MIN, INT64_MAX);
	CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test.bob", 8, BOB), ILP_OK);
	CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test.big", 8, BIG), ILP_OK);
	if (with_default)
		CHECK_EQ(ilp_switch_set_default_route(&sw, UP), ILP_OK);
	CHECK_SW();
}

static void fulfillment_for(uint32_t n, uint8_t f[32])
{
	memset(f, 0, 32);
	f[0] = (uint8_t)(n >> 24);
	f[1] = (uint8_t)(n >> 16);
	f[2] = (uint8_t)(n >> 8);
	f[3] = (uint8_t)n;
	f[31] = 0xA5;
}

/* Encodes a Prepare whose condition is SHA-256 of fulfillment_for(n). */
static size_t prepare(uint8_t *buf, size_t cap, uint64_t amount, int64_t expires,
		      const char *dest, uint32_t n)
{
	uint8_t f[32], cond[32];
	struct ilp_prepare p;
	size_t len = 0;

	fulfillment_for(n, f);
	hal_sha256(f, 32, cond);
	memset(&p, 0, sizeof(p));
	p.amount = amount;
	p.expires_at = expires;
	p.condition = cond;
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	p.data = (const uint8_t *)"hello";
	p.data_len = 5;
	CHECK_EQ(ilp_prepare_encode(&p, buf, cap, &len), ILP_OK);
	return len;
}

static size_t fulfill(uint8_t *buf, size_t cap, uint32_t n)
{
	uint8_t f[32];
	struct ilp_fulfill ff = { f, (const uint8_t *)"ok", 2 };
	size_t len = 0;

	fulfillment_for(n, f);
	CHECK_EQ(ilp_fulfill_encode(&ff, buf, cap, &len), ILP_OK);
	return len;
}

static size_t reject(uint8_t *buf, size_t cap, const char *code)
{
	struct ilp_reject rj = { (const uint8_t *)code, (const uint8_t *)"test.bob", 8,
				 (const uint8_t *)"nope", 4, (const uint8_t *)"\x01\x02", 2 };
	size_t len = 0;

	CHECK_EQ(ilp_reject_encode(&rj, buf, cap, &len), ILP_OK);
	return len;
}

/* Sends a Prepare from `from`; returns the action kind. */
static enum ilp_sw_kind send_prepare(uint16_t from, uint32_t tag, uint8_t *pkt,
				     size_t len, int64_t now)
{
	CHECK_EQ(ilp_switch_prepare(&sw, now, from, tag, pkt, len, rbuf, sizeof(rbuf), &act),
		 ILP_OK);
	CHECK_SW();
	return act.kind;
}

/* Checks that the last action is a Reject of ours with `code` to `peer`. */
static void expect_reject(uint16_t peer, uint32_t tag, const char *code)
{
	struct ilp_reject rj;

	CHECK_EQ(act.kind, ILP_SW_REPLY);
	CHECK_EQ(act.peer, peer);
	CHECK_EQ(act.tag, tag);
	CHECK(strcmp(act.code, code) == 0);
	if (act.kind != ILP_SW_REPLY || act.pkt == NULL)
		return;
	CHECK_EQ(ilp_reject_decode(act.pkt, act.len, &rj, NULL), ILP_OK);
	CHECK_MEM(rj.code, code, 3);
	CHECK_EQ(rj.triggered_by_len, strlen(ADDR));
	CHECK_MEM(rj.triggered_by, ADDR, strlen(ADDR));
}

static void test_forward_and_fulfill(void)
{
	uint8_t pkt[512], resp[128];
	size_t len, rlen;
	struct ilp_prepare out;
	uint32_t handle;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 100, T0 + 10000, "test.bob.x", 1);
	CHECK_EQ(send_prepare(ALICE, 77, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, BOB);
	CHECK(act.pkt == pkt);
	CHECK_EQ(ilp_prepare_decode(act.pkt, act.len, &out, NULL), ILP_OK);
	CHECK_EQ_U64(out.amount, 100);
	CHECK_EQ(out.expires_at, T0 + 9000);   /* source expiry - min message window */
	CHECK_EQ(out.destination_len, 10);
	CHECK_EQ(out.data_len, 5);
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 100);
	CHECK_EQ(sw.ledger.slot[BOB].pending_out, 100);
	CHECK_EQ(ilp_switch_next_expiry(&sw), T0 + 9000);
	handle = act.tag;
	CHECK_EQ(ilp_switch_handle_peer(&sw, handle), BOB);
	CHECK_EQ(ilp_switch_handle_peer(&sw, handle ^ 0x10000u), ILP_ROUTE_NONE);

	rlen = fulfill(resp, sizeof(resp), 1);
	CHECK_EQ(ilp_switch_response(&sw, T0 + 5, handle, resp, rlen, rbuf, sizeof(rbuf), &act),
		 ILP_OK);
	CHECK_SW();
	CHECK_EQ(act.kind, ILP_SW_REPLY);
	CHECK_EQ(act.peer, ALICE);
	CHECK_EQ(act.tag, 77);
	CHECK(act.pkt == resp && act.len == rlen);   /* relayed unchanged */
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 100);
	CHECK_EQ(sw.ledger.slot[BOB].balance, -100);
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 0);
	CHECK_EQ(sw.ledger.slot[BOB].pending_out, 0);
	CHECK_EQ(sw.stats.fulfilled, 1);
	CHECK_EQ(ilp_switch_next_expiry(&sw), INT64_MAX);

	CHECK_EQ(ilp_switch_handle_peer(&sw, handle), ILP_ROUTE_NONE);
	/* The same handle again is late: no effect. */
	CHECK_EQ(ilp_switch_response(&sw, T0 + 6, handle, resp, rlen, rbuf, sizeof(rbuf), &act),
		 ILP_ERR_NOT_FOUND);
	CHECK_EQ(act.kind, ILP_SW_NONE);
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 100);
	CHECK_SW();
}

/* The source cannot be given the answer: a valid Fulfill before the expiry
 * still commits both sides (the next hop was paid, the source is charged);
 * anything else releases both. */
static void test_undeliverable_answer(void)
{
	uint8_t pkt[512], resp[128];
	size_t len, rlen;
	uint32_t h;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 100, T0 + 10000, "test.bob", 50);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	h = act.tag;
	CHECK_EQ(ilp_switch_handle_source(&sw, h), ALICE);
	rlen = fulfill(resp, sizeof(resp), 50);
	CHECK_EQ(ilp_switch_response_undeliverable(&sw, T0 + 1, h, resp, rlen), ILP_OK);
	CHECK_SW();
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 100);   /* charged: she owes us */
	CHECK_EQ(sw.ledger.slot[BOB].balance, -100);    /* paid: we owe him */
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 0);
	CHECK_EQ(sw.stats.undelivered, 1);
	CHECK_EQ(sw.stats.charged_undelivered, 1);
	CHECK_EQ(sw.stats.fulfilled, 0);                /* not relayed */
	CHECK_EQ(ilp_switch_handle_source(&sw, h), ILP_ROUTE_NONE);
	CHECK_EQ(ilp_switch_response_undeliverable(&sw, T0 + 1, h, resp, rlen), ILP_ERR_NOT_FOUND);

	len = prepare(pkt, sizeof(pkt), 100, T0 + 10000, "test.bob", 51);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_FORWARD);
	rlen = fulfill(resp, sizeof(resp), 52);   /* wrong preimage */
	CHECK_EQ(ilp_switch_response_undeliverable(&sw, T0 + 1, act.tag, resp, rlen), ILP_OK);
	CHECK_SW();
	CHECK_EQ(sw.ledger.slot[BOB].balance, -100);
	CHECK_EQ(sw.ledger.slot[BOB].pending_out, 0);
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 100);
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 0);
	CHECK_EQ(sw.stats.undelivered, 2);
	CHECK_EQ(sw.stats.charged_undelivered, 1);

	/* A valid Fulfill at or after the expiry proves nothing in time:
	 * both holds are released. */
	len = prepare(pkt, sizeof(pkt), 100, T0 + 10000, "test.bob", 53);
	CHECK_EQ(send_prepare(ALICE, 3, pkt, len, T0), ILP_SW_FORWARD);
	rlen = fulfill(resp, sizeof(resp), 53);
	CHECK_EQ(ilp_switch_response_undeliverable(&sw, T0 + 9000, act.tag, resp, rlen), ILP_OK);
	CHECK_SW();
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 100);
	CHECK_EQ(sw.ledger.slot[BOB].balance, -100);
	CHECK_EQ(sw.stats.charged_undelivered, 1);
}

/* Issue 10 point 3: alice (max_balance 1000) and bob collude; alice never
 * takes her answers, bob fulfills. The connector must not pay bob without
 * charging alice: her credit limit binds after the first round, and every
 * balance change has its counterpart (alice + bob == 0). */
static void test_colluding_drain_bound(void)
{
	uint8_t pkt[512], resp[128];
	size_t len, rlen;
	uint32_t round;
	struct ilp_peer_cfg c = peer_cfg("alice", ILP_REL_CHILD, 9, "XRP", UINT64_MAX,
					 INT64_MIN, 1000);

	setup(true);
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_OK);
	for (round = 0; round < 3; round++) {
		len = prepare(pkt, sizeof(pkt), 1000, T0 + 10000, "test.bob", 60 + round);
		if (send_prepare(ALICE, round, pkt, len, T0) != ILP_SW_FORWARD) {
			expect_reject(ALICE, round, "T04");
			continue;
		}
		rlen = fulfill(resp, sizeof(resp), 60 + round);
		CHECK_EQ(ilp_switch_response_undeliverable(&sw, T0 + 1, act.tag, resp, rlen),
			 ILP_OK);
		CHECK_SW();
	}
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 1000);
	CHECK_EQ(sw.ledger.slot[BOB].balance, -1000);
	CHECK_EQ(sw.ledger.slot[ALICE].balance + sw.ledger.slot[BOB].balance, 0);
	CHECK_EQ(sw.stats.charged_undelivered, 1);
	CHECK_EQ(sw.stats.local_by_code[ilp_switch_code_index("T04")], 2);
}

static void test_reject_relayed_unchanged(void)
{
	uint8_t pkt[512], resp[128];
	size_t len, rlen;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 500, T0 + 10000, "test.bob", 2);
	CHECK_EQ(send_prepare(ALICE, 5, pkt, len, T0), ILP_SW_FORWARD);
	rlen = reject(resp, sizeof(resp), "F99");
	CHECK_EQ(ilp_switch_response(&sw, T0 + 1, act.tag, resp, rlen, rbuf, sizeof(rbuf), &act),
		 ILP_OK);
	CHECK_SW();
	CHECK_EQ(act.kind, ILP_SW_REPLY);
	CHECK_EQ(act.peer, ALICE);
	CHECK(act.pkt == resp && act.len == rlen);
	CHECK(strcmp(act.code, "F99") == 0);
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 0);
	CHECK_EQ(sw.ledger.slot[BOB].balance, 0);
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 0);
	CHECK_EQ(sw.stats.rejected_relay, 1);
}

static void test_wrong_fulfillment_f05(void)
{
	uint8_t pkt[512], resp[128];
	size_t len, rlen;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 500, T0 + 10000, "test.bob", 3);
	CHECK_EQ(send_prepare(ALICE, 9, pkt, len, T0), ILP_SW_FORWARD);
	rlen = fulfill(resp, sizeof(resp), 4);   /* preimage of another packet */
	CHECK_EQ(ilp_switch_response(&sw, T0 + 1, act.tag, resp, rlen, rbuf, sizeof(rbuf), &act),
		 ILP_OK);
	CHECK_SW();
	expect_reject(ALICE, 9, "F05");
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 0);
	CHECK_EQ(sw.ledger.slot[BOB].balance, 0);
	CHECK_EQ(sw.stats.bad_fulfill, 1);
}

static void test_malformed_answer_t00(void)
{
	uint8_t pkt[512], junk[4] = { 0x0d, 0x02, 0x00, 0x00 };
	size_t len;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob", 5);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(ilp_switch_response(&sw, T0 + 1, act.tag, junk, sizeof(junk), rbuf,
				     sizeof(rbuf), &act), ILP_OK);
	CHECK_SW();
	expect_reject(ALICE, 1, "T00");
}

static void test_malformed_prepare_f01(void)
{
	uint8_t pkt[512];
	size_t len;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob", 6);
	pkt[len - 8] = 0x80;   /* a destination byte >= 0x80 */
	CHECK_EQ(send_prepare(ALICE, 3, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 3, "F01");
	CHECK_EQ(send_prepare(ALICE, 4, pkt, 3, T0), ILP_SW_REPLY);   /* truncated */
	expect_reject(ALICE, 4, "F01");
	CHECK_EQ(sw.stats.local_by_code[ilp_switch_code_index("F01")], 2);
}

static void test_no_route_f02(void)
{
	uint8_t pkt[512];
	size_t len;

	setup(false);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.nobody", 7);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 1, "F02");
	/* segment boundary: test.bobby is not under test.bob */
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bobby", 7);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 2, "F02");
	/* with a default route it goes to the parent */
	CHECK_EQ(ilp_switch_set_default_route(&sw, UP), ILP_OK);
	CHECK_EQ(send_prepare(ALICE, 3, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, UP);
}

static void test_child_route_and_ildcp(void)
{
	uint8_t pkt[512];
	size_t len;
	struct ildcp_response res;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 5, T0 + 10000, "test.conn.carol.x", 8);
	CHECK_EQ(send_prepare(BOB, 1, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, CAROL);

	CHECK_EQ(ildcp_request_encode(T0 + 60000, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(send_prepare(ALICE, 11, pkt, len, T0), ILP_SW_REPLY);
	CHECK_EQ(act.tag, 11);
	CHECK_EQ(act.peer, ALICE);
	CHECK(act.code[0] == '\0');
	CHECK_EQ(ildcp_response_decode(act.pkt, act.len, &res, NULL), ILP_OK);
	CHECK_EQ(res.client_address_len, strlen("test.conn.alice"));
	CHECK_MEM(res.client_address, "test.conn.alice", res.client_address_len);
	CHECK_EQ(res.asset_scale, 9);
	CHECK_EQ(res.asset_code_len, 3);
	CHECK_MEM(res.asset_code, "XRP", 3);

	CHECK_EQ(send_prepare(CAROL, 12, pkt, len, T0), ILP_SW_REPLY);
	CHECK_EQ(ildcp_response_decode(act.pkt, act.len, &res, NULL), ILP_OK);
	CHECK_EQ(res.asset_scale, 6);
	CHECK_MEM(res.client_address, "test.conn.carol", res.client_address_len);

	CHECK_EQ(send_prepare(BOB, 13, pkt, len, T0), ILP_SW_REPLY);   /* not a child */
	expect_reject(BOB, 13, "F00");
}

/* IL-DCP client side: no address at init, then ilp_switch_set_address()
 * (and a change), with the fake clock. */
/* The last action is a Reject to `peer` with `code` (any triggeredBy). */
static void expect_code(uint16_t peer, uint32_t tag, const char *code)
{
	struct ilp_reject rj;

	CHECK_EQ(act.kind, ILP_SW_REPLY);
	CHECK_EQ(act.peer, peer);
	CHECK_EQ(act.tag, tag);
	CHECK_EQ(ilp_reject_decode(act.pkt, act.len, &rj, NULL), ILP_OK);
	CHECK_MEM(rj.code, code, 3);
}

static void test_set_address_at_runtime(void)
{
	struct ilp_switch_cfg cfg = { (const uint8_t *)"", 0, 1000, 30000, hal_sha256 };
	uint8_t pkt[512];
	size_t len;
	struct ildcp_response res;
	struct ilp_reject rj;
	uint32_t h;

	CHECK_EQ(ilp_switch_init(&sw, &cfg), ILP_OK);
	add_peer(ALICE, "alice", ILP_REL_CHILD, 9, "XRP", UINT64_MAX, INT64_MIN, INT64_MAX);
	add_peer(BOB, "bob", ILP_REL_PEER, 9, "XRP", UINT64_MAX, INT64_MIN, INT64_MAX);
	add_peer(UP, "up", ILP_REL_PARENT, 9, "XRP", UINT64_MAX, INT64_MIN, INT64_MAX);
	CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test.bob", 8, BOB), ILP_OK);
	CHECK_EQ(ilp_switch_set_default_route(&sw, UP), ILP_OK);
	CHECK_EQ(sw.routes.count, 1);   /* no child route without an address */
	CHECK_SW();

	/* no address: children get T01 (also for IL-DCP), others are served */
	len = prepare(pkt, sizeof(pkt), 5, T0 + 10000, "test.bob.x", 1);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_REPLY);
	expect_code(ALICE, 1, "T01");
	CHECK_EQ(ilp_reject_decode(act.pkt, act.len, &rj, NULL), ILP_OK);
	CHECK_EQ(rj.triggered_by_len, 0);
	CHECK_EQ(ildcp_request_encode(T0 + 60000, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_REPLY);
	expect_code(ALICE, 2, "T01");
	len = prepare(pkt, sizeof(pkt), 5, T0 + 10000, "test.bob.x", 2);
	CHECK_EQ(send_prepare(UP, 3, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, BOB);
	CHECK_SW();

	/* invalid addresses change nothing */
	CHECK_EQ(ilp_switch_set_address(&sw, (const uint8_t *)"", 0), ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_set_address(&sw, (const uint8_t *)"test..x", 7), ILP_ERR_ARG);
	CHECK_EQ(sw.cfg.address_len, 0);

	CHECK_EQ(ilp_switch_set_address(&sw, (const uint8_t *)"test.up.me", 10), ILP_OK);
	CHECK_EQ(sw.routes.count, 2);
	CHECK_SW();
	len = prepare(pkt, sizeof(pkt), 5, T0 + 10000, "test.up.me.alice.x", 3);
	CHECK_EQ(send_prepare(UP, 4, pkt, len, T0 + 10), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, ALICE);
	h = act.tag;
	len = prepare(pkt, sizeof(pkt), 5, T0 + 10000, "test.up.me.nobody", 4);
	CHECK_EQ(send_prepare(UP, 5, pkt, len, T0 + 10), ILP_SW_REPLY);
	expect_code(UP, 5, "F02");
	CHECK_EQ(ildcp_request_encode(T0 + 60000, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(send_prepare(ALICE, 6, pkt, len, T0 + 10), ILP_SW_REPLY);
	CHECK_EQ(ildcp_response_decode(act.pkt, act.len, &res, NULL), ILP_OK);
	CHECK_MEM(res.client_address, "test.up.me.alice", res.client_address_len);
	CHECK_EQ(res.client_address_len, 16);

	/* a second address (the daemon refuses this; the switch allows it):
	 * the child route moves, nothing else changes */
	CHECK_EQ(ilp_switch_set_address(&sw, (const uint8_t *)"test.other", 10), ILP_OK);
	CHECK_EQ(sw.routes.count, 2);
	CHECK_EQ(ilp_routes_lookup(&sw.routes, (const uint8_t *)"test.other.alice.x", 18), ALICE);
	CHECK_EQ(ilp_routes_lookup(&sw.routes, (const uint8_t *)"test.up.me.alice.x", 18), UP);
	CHECK_EQ(ilp_switch_set_address(&sw, (const uint8_t *)"test.other", 10), ILP_OK);
	CHECK_EQ(sw.routes.count, 2);
	CHECK_SW();
	/* the packet forwarded to alice before the change still completes */
	len = fulfill(pkt, sizeof(pkt), 3);
	CHECK_EQ(ilp_switch_response(&sw, T0 + 20, h, pkt, len, rbuf, sizeof(rbuf), &act), ILP_OK);
	CHECK_EQ(act.kind, ILP_SW_REPLY);
	CHECK_EQ(act.peer, UP);
	CHECK_EQ(act.tag, 4);
	CHECK(act.code[0] == '\0');
	CHECK_SW();
}

/* Per-peer rate (T05) and throughput (T04) limits with the fake clock, as
 * ilp-connector's rateLimit and throughput middlewares. */
static void test_rate_and_throughput_limits(void)
{
	struct ilp_peer_cfg c;
	uint8_t pkt[512];
	size_t len;
	int i;

	setup(true);
	/* alice: 2 Prepares per second, burst 3 */
	c = sw.peers[ALICE].cfg;
	c.rate_limit = 2;
	c.rate_burst = 3;
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_OK);
	for (i = 0; i < 3; i++) {
		len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob.x", 100 + (uint32_t)i);
		CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	}
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob.x", 103);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0 + 499), ILP_SW_REPLY);
	expect_reject(ALICE, 2, "T05");
	CHECK_EQ(sw.peers[ALICE].refused_rate, 1);
	/* malformed packets and peer.* count too (checked first) */
	CHECK_EQ(send_prepare(ALICE, 3, pkt, 3, T0 + 499), ILP_SW_REPLY);
	expect_reject(ALICE, 3, "T05");
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob.x", 104);
	CHECK_EQ(send_prepare(ALICE, 4, pkt, len, T0 + 500), ILP_SW_FORWARD);   /* refilled 1 */
	/* other peers are not limited */
	for (i = 0; i < 10; i++) {
		len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.conn.alice.x", 200 + (uint32_t)i);
		CHECK_EQ(send_prepare(BOB, 5, pkt, len, T0 + 500), ILP_SW_FORWARD);
	}
	/* a reload that leaves the limit alone keeps the bucket; off is off */
	c.max_packet_amount = 999999;
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_OK);
	CHECK_EQ(send_prepare(ALICE, 6, pkt, len, T0 + 500), ILP_SW_REPLY);
	expect_reject(ALICE, 6, "T05");
	c.rate_limit = 0;
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_OK);
	for (i = 0; i < 20; i++) {
		len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob.x", 300 + (uint32_t)i);
		CHECK_EQ(send_prepare(ALICE, 7, pkt, len, T0 + 500), ILP_SW_FORWARD);
	}

	/* throughput in: alice may send 1000 per second */
	setup(true);
	c = sw.peers[ALICE].cfg;
	c.throughput_in = 1000;
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_OK);
	len = prepare(pkt, sizeof(pkt), 600, T0 + 10000, "test.bob.x", 1);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	len = prepare(pkt, sizeof(pkt), 401, T0 + 10000, "test.bob.x", 2);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 2, "T04");
	CHECK_EQ(sw.peers[ALICE].refused_throughput, 1);
	len = prepare(pkt, sizeof(pkt), 400, T0 + 10000, "test.bob.x", 3);
	CHECK_EQ(send_prepare(ALICE, 3, pkt, len, T0), ILP_SW_FORWARD);
	len = prepare(pkt, sizeof(pkt), 0, T0 + 10000, "test.bob.x", 4);
	CHECK_EQ(send_prepare(ALICE, 4, pkt, len, T0), ILP_SW_FORWARD);   /* 0 always fits */
	len = prepare(pkt, sizeof(pkt), 100, T0 + 10000, "test.bob.x", 5);
	CHECK_EQ(send_prepare(ALICE, 5, pkt, len, T0 + 100), ILP_SW_FORWARD);   /* refilled */

	/* throughput out: we may send carol (scale 6) 5 units per second; from
	 * bob (scale 9) 5000 becomes 5 */
	setup(true);
	c = sw.peers[CAROL].cfg;
	c.throughput_out = 5;
	CHECK_EQ(ilp_switch_update_peer(&sw, CAROL, &c), ILP_OK);
	len = prepare(pkt, sizeof(pkt), 5000, T0 + 10000, "test.conn.carol.x", 1);
	CHECK_EQ(send_prepare(BOB, 1, pkt, len, T0), ILP_SW_FORWARD);
	len = prepare(pkt, sizeof(pkt), 1000, T0 + 10000, "test.conn.carol.x", 2);
	CHECK_EQ(send_prepare(BOB, 2, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(BOB, 2, "T04");
	CHECK_EQ(sw.peers[CAROL].refused_throughput, 1);
	CHECK_EQ(sw.ledger.slot[BOB].pending_in, 5000);   /* the refused one holds nothing */
	CHECK_EQ(sw.ledger.slot[CAROL].pending_out, 5);
	CHECK_EQ(sw.stats.pending_now, 1);
	CHECK_EQ(send_prepare(BOB, 3, pkt, len, T0 + 200), ILP_SW_FORWARD);   /* 1 refilled */
	CHECK_SW();
}

static void test_peer_protocols(void)
{
	uint8_t pkt[512];
	size_t len;
	struct ilp_prepare p;
	struct ilp_fulfill f;

	setup(true);
	CHECK_EQ(ildcp_request_encode(T0 + 60000, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(ilp_prepare_decode(pkt, len, &p, NULL), ILP_OK);
	p.destination = (const uint8_t *)"peer.route.control";
	p.destination_len = 18;
	CHECK_EQ(ilp_prepare_encode(&p, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(send_prepare(BOB, 1, pkt, len, T0), ILP_SW_REPLY);
	CHECK_EQ(ilp_fulfill_decode(act.pkt, act.len, &f, NULL), ILP_OK);
	CHECK_MEM(f.fulfillment, ilp_peer_fulfillment, 32);
	CHECK_EQ(f.data_len, 0);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_REPLY);   /* child */
	expect_reject(ALICE, 2, "F00");

	/* wrong condition on a peer.* destination, and an unknown protocol */
	len = prepare(pkt, sizeof(pkt), 0, T0 + 60000, "peer.config", 9);
	CHECK_EQ(send_prepare(ALICE, 3, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 3, "F01");
	CHECK_EQ(ildcp_request_encode(T0 + 60000, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(ilp_prepare_decode(pkt, len, &p, NULL), ILP_OK);
	p.destination = (const uint8_t *)"peer.echo";
	p.destination_len = 9;
	CHECK_EQ(ilp_prepare_encode(&p, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(send_prepare(UP, 4, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(UP, 4, "F01");

	/* addressed to the connector itself: nobody there (F02) */
	len = prepare(pkt, sizeof(pkt), 1, T0 + 60000, ADDR, 9);
	CHECK_EQ(send_prepare(ALICE, 5, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 5, "F02");
}

/* peer.settle (RFC 38 engine messages): without a hook F01 as any unknown
 * peer protocol; with one, the hook gets the data and tag and the switch
 * makes no action (the hook answers later), or F00 with its reason. */
static int settle_calls, settle_refuse;
static uint32_t settle_tag;
static size_t settle_len;

static int settle_hook(void *ctx, uint16_t from, uint32_t tag, int64_t expires_at,
		       const uint8_t *data, size_t len, const char **msg)
{
	(void)ctx;
	(void)expires_at;
	(void)data;
	(void)from;
	settle_calls++;
	settle_tag = tag;
	settle_len = len;
	if (settle_refuse) {
		*msg = "no engine.";
		return -1;
	}
	return 0;
}

static void test_peer_settle_hook(void)
{
	uint8_t pkt[512];
	size_t len;
	struct ilp_prepare p;

	setup(true);
	CHECK_EQ(ildcp_request_encode(T0 + 60000, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(ilp_prepare_decode(pkt, len, &p, NULL), ILP_OK);
	p.destination = (const uint8_t *)"peer.settle";
	p.destination_len = 11;
	p.data = (const uint8_t *)"{\"x\":1}";
	p.data_len = 7;
	CHECK_EQ(ilp_prepare_encode(&p, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(send_prepare(UP, 1, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(UP, 1, "F01");
	ilp_switch_set_settle(&sw, settle_hook, NULL);
	CHECK_EQ(send_prepare(UP, 2, pkt, len, T0), ILP_SW_NONE);
	CHECK_EQ(settle_calls, 1);
	CHECK_EQ(settle_tag, 2);
	CHECK_EQ(settle_len, 7);
	CHECK_EQ(sw.stats.pending_now, 0);
	settle_refuse = 1;
	CHECK_EQ(send_prepare(UP, 3, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(UP, 3, "F00");
	CHECK_EQ(settle_calls, 2);
	/* the peer condition is still required */
	len = prepare(pkt, sizeof(pkt), 0, T0 + 60000, "peer.settle", 11);
	CHECK_EQ(send_prepare(UP, 4, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(UP, 4, "F01");
	CHECK_EQ(settle_calls, 2);
	settle_refuse = 0;
	ilp_switch_set_settle(&sw, NULL, NULL);
	CHECK_SW();
}

/* The connector's own address space (issue 12): a destination under
 * test.conn goes to a child or a route at least that specific, else F02 at
 * once; never to the parent or the default route, where it would loop. */
static void test_own_address_space_f02(void)
{
	uint8_t pkt[512];
	size_t len;
	uint64_t fwd;

	setup(true);   /* default route: the parent `up` */
	fwd = sw.stats.forwarded;
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.conn.nobody", 1);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 1, "F02");
	CHECK_EQ(send_prepare(UP, 2, pkt, len, T0), ILP_SW_REPLY);   /* from the parent too */
	expect_reject(UP, 2, "F02");
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.conn.nobody.deeper", 3);
	CHECK_EQ(send_prepare(BOB, 3, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(BOB, 3, "F02");
	CHECK_EQ_U64(sw.stats.forwarded, fwd);   /* nothing left the connector */
	/* a child's space goes to the child, also below it */
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.conn.carol.x.y", 4);
	CHECK_EQ(send_prepare(UP, 4, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, CAROL);
	/* a segment boundary: test.connx is not ours, so the default route */
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.connx.y", 5);
	CHECK_EQ(send_prepare(ALICE, 5, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, UP);
	/* a configured route inside our space is honoured */
	CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test.conn.shop", 14, BOB), ILP_OK);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.conn.shop.item", 6);
	CHECK_EQ(send_prepare(ALICE, 6, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, BOB);
	/* a less specific route (test) does not take our space either */
	CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test", 4, BIG), ILP_OK);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.conn.other", 7);
	CHECK_EQ(send_prepare(ALICE, 7, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 7, "F02");
}

static void test_amount_too_large_f08(void)
{
	uint8_t pkt[512];
	size_t len;
	struct ilp_reject rj;
	uint64_t got = 0, max = 0;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 1000000, T0 + 10000, "test.bob", 10);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);   /* == max: ok */
	len = prepare(pkt, sizeof(pkt), 1000001, T0 + 10000, "test.bob", 10);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 2, "F08");
	CHECK_EQ(ilp_reject_decode(act.pkt, act.len, &rj, NULL), ILP_OK);
	CHECK_EQ(ilp_f08_data_decode(rj.data, rj.data_len, &got, &max), ILP_OK);
	CHECK_EQ_U64(got, 1000001);
	CHECK_EQ_U64(max, 1000000);
	CHECK(rj.message_len == strlen("packet size too large. maxAmount=1000000 actualAmount=1000001"));
	CHECK_MEM(rj.message, "packet size too large. maxAmount=1000000 actualAmount=1000001",
		  rj.message_len);
}

static void test_expiry_rules(void)
{
	uint8_t pkt[512];
	size_t len;
	struct ilp_prepare out;

	setup(true);
	/* already expired (expiresAt == now) */
	len = prepare(pkt, sizeof(pkt), 1, T0, "test.bob", 11);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 1, "R00");
	/* 1.5 s left: forwarding would leave 0.5 s < min message window */
	len = prepare(pkt, sizeof(pkt), 1, T0 + 1500, "test.bob", 11);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 2, "R02");
	/* exactly 2 s left: 1 s remains, allowed */
	len = prepare(pkt, sizeof(pkt), 1, T0 + 2000, "test.bob", 11);
	CHECK_EQ(send_prepare(ALICE, 3, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(ilp_prepare_decode(act.pkt, act.len, &out, NULL), ILP_OK);
	CHECK_EQ(out.expires_at, T0 + 1000);
	/* 60 s left: capped at now + max hold time */
	len = prepare(pkt, sizeof(pkt), 1, T0 + 60000, "test.bob", 11);
	CHECK_EQ(send_prepare(ALICE, 4, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(ilp_prepare_decode(act.pkt, act.len, &out, NULL), ILP_OK);
	CHECK_EQ(out.expires_at, T0 + 30000);
}

static void test_next_hop_down_t01_and_abort_peer(void)
{
	uint8_t pkt[512];
	size_t len;
	int i, n = 0;

	setup(true);
	for (i = 0; i < 3; i++) {
		len = prepare(pkt, sizeof(pkt), 10, T0 + 10000, "test.bob", 12);
		CHECK_EQ(send_prepare(ALICE, (uint32_t)(100 + i), pkt, len, T0), ILP_SW_FORWARD);
	}
	len = prepare(pkt, sizeof(pkt), 10, T0 + 10000, "test.conn.carol", 12);
	CHECK_EQ(send_prepare(ALICE, 200, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 40);

	ilp_switch_set_peer_up(&sw, BOB, false);
	len = prepare(pkt, sizeof(pkt), 10, T0 + 10000, "test.bob", 12);
	CHECK_EQ(send_prepare(ALICE, 300, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 300, "T01");

	while (ilp_switch_abort_peer(&sw, BOB, rbuf, sizeof(rbuf), &act) == 1) {
		CHECK_SW();
		CHECK_EQ(act.peer, ALICE);
		CHECK(act.tag >= 100 && act.tag < 103);
		CHECK(strcmp(act.code, "T01") == 0);
		n++;
	}
	CHECK_EQ(n, 3);
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 10);   /* carol's packet stays */
	CHECK_EQ(sw.ledger.slot[BOB].pending_out, 0);
	CHECK_EQ(sw.stats.pending_now, 1);
}

static void test_timeout_r00_and_late_fulfill(void)
{
	uint8_t pkt[512], resp[128];
	size_t len, rlen;
	uint32_t h;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 50, T0 + 3000, "test.bob", 13);
	CHECK_EQ(send_prepare(ALICE, 42, pkt, len, T0), ILP_SW_FORWARD);
	h = act.tag;
	CHECK_EQ(ilp_switch_next_expiry(&sw), T0 + 2000);
	CHECK_EQ(ilp_switch_expire(&sw, T0 + 1999, rbuf, sizeof(rbuf), &act), 0);
	CHECK_EQ(ilp_switch_expire(&sw, T0 + 2000, rbuf, sizeof(rbuf), &act), 1);
	CHECK_SW();
	expect_reject(ALICE, 42, "R00");
	CHECK_EQ(ilp_switch_expire(&sw, T0 + 2000, rbuf, sizeof(rbuf), &act), 0);
	rlen = fulfill(resp, sizeof(resp), 13);
	CHECK_EQ(ilp_switch_response(&sw, T0 + 2001, h, resp, rlen, rbuf, sizeof(rbuf), &act),
		 ILP_ERR_NOT_FOUND);
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 0);
	CHECK_EQ(sw.ledger.slot[BOB].balance, 0);
	CHECK_EQ(sw.stats.late_responses, 1);

	/* A Fulfill that arrives after the expiry but before expire() ran is
	 * not honoured either: R00, nothing committed. */
	len = prepare(pkt, sizeof(pkt), 50, T0 + 3000, "test.bob", 14);
	CHECK_EQ(send_prepare(ALICE, 43, pkt, len, T0), ILP_SW_FORWARD);
	rlen = fulfill(resp, sizeof(resp), 14);
	CHECK_EQ(ilp_switch_response(&sw, T0 + 2000, act.tag, resp, rlen, rbuf, sizeof(rbuf), &act),
		 ILP_OK);
	CHECK_SW();
	expect_reject(ALICE, 43, "R00");
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 0);
}

static void test_stale_handle_after_reuse(void)
{
	uint8_t pkt[512], resp[128];
	size_t len, rlen;
	uint32_t h1, h2;

	setup(true);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob", 15);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	h1 = act.tag;
	rlen = reject(resp, sizeof(resp), "T02");
	CHECK_EQ(ilp_switch_response(&sw, T0, h1, resp, rlen, rbuf, sizeof(rbuf), &act), ILP_OK);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob", 16);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_FORWARD);
	h2 = act.tag;
	CHECK_EQ(h1 & 0xFFFF, h2 & 0xFFFF);   /* same slot reused ... */
	CHECK(h1 != h2);                      /* ... under a new generation */
	rlen = fulfill(resp, sizeof(resp), 16);
	CHECK_EQ(ilp_switch_response(&sw, T0, h1, resp, rlen, rbuf, sizeof(rbuf), &act),
		 ILP_ERR_NOT_FOUND);
	CHECK_EQ(ilp_switch_response(&sw, T0, h2, resp, rlen, rbuf, sizeof(rbuf), &act), ILP_OK);
	CHECK_EQ(act.tag, 2);
	CHECK_SW();
}

static void test_pending_full_t03(void)
{
	static uint8_t pkt[512];
	size_t len;
	uint32_t i;

	struct ilp_peer_cfg c = peer_cfg("up", ILP_REL_PARENT, 9, "XRP", UINT64_MAX,
					 INT64_MIN, INT64_MAX);

	setup(true);
	c.max_in_flight = ILPD_MAX_PENDING;   /* the whole table: no share limit */
	CHECK_EQ(ilp_switch_update_peer(&sw, UP, &c), ILP_OK);
	CHECK_EQ(ilp_switch_peer_max_in_flight(&sw, UP), ILPD_MAX_PENDING);
	for (i = 0; i < ILPD_MAX_PENDING; i++) {
		len = prepare(pkt, sizeof(pkt), 1, T0 + 10000 + i, "test.bob", i);
		if (send_prepare(UP, i, pkt, len, T0) != ILP_SW_FORWARD)
			break;
	}
	CHECK_EQ(i, ILPD_MAX_PENDING);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob", 99999);
	CHECK_EQ(send_prepare(ALICE, 99999, pkt, len, T0), ILP_SW_REPLY);   /* under its share */
	expect_reject(ALICE, 99999, "T03");
	CHECK_EQ(sw.stats.pending_full, 1);
	CHECK_EQ(sw.stats.pending_hwm, ILPD_MAX_PENDING);
	/* Expiry drains them in expiry order. */
	for (i = 0; i < ILPD_MAX_PENDING; i++) {
		int64_t due = ilp_switch_next_expiry(&sw);

		CHECK_EQ(due, T0 + 9000 + (int64_t)i);
		CHECK_EQ(ilp_switch_expire(&sw, due, rbuf, sizeof(rbuf), &act), 1);
		CHECK_EQ(act.tag, i);
	}
	CHECK_SW();
	CHECK_EQ(sw.stats.pending_now, 0);
	CHECK_EQ(sw.ledger.slot[UP].pending_in, 0);
}

/* Issue 10 point 4: one peer flooding amount-0 Prepares that are never
 * answered gets T05 past its share; the others keep a working table. The
 * share comes back as its packets expire (fake clock), and a reload can
 * change it. */
static void test_peer_share_t05(void)
{
	static uint8_t pkt[512];
	size_t len;
	uint32_t i, share = ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT;
	struct ilp_peer_cfg c = peer_cfg("up", ILP_REL_PARENT, 9, "XRP", UINT64_MAX,
					 INT64_MIN, INT64_MAX);

	/* The default: a quarter of the table, at least the fair share and
	 * min(16, table), and never the whole table on a real board. */
	CHECK(share >= ILPD_MAX_PENDING / 4);
	CHECK(share >= ILPD_MAX_PENDING / ILPD_MAX_PEERS);
	CHECK(share >= (ILPD_MAX_PENDING < 16 ? ILPD_MAX_PENDING : 16));
	CHECK(share < ILPD_MAX_PENDING);
	setup(true);
	CHECK_EQ(ilp_switch_peer_max_in_flight(&sw, UP), share);
	CHECK_EQ(ilp_switch_peer_max_in_flight(&sw, ILPD_MAX_PEERS - 1), 0);
	/* UP floods amount-0 Prepares (they count like any other). */
	for (i = 0; i < ILPD_MAX_PENDING; i++) {
		len = prepare(pkt, sizeof(pkt), 0, T0 + 10000 + i, "test.bob", i);
		if (send_prepare(UP, i, pkt, len, T0) != ILP_SW_FORWARD)
			break;
	}
	CHECK_EQ(i, share);
	expect_reject(UP, share, "T05");
	CHECK_EQ(sw.peers[UP].pending_from, share);
	CHECK_EQ(sw.peers[UP].refused_in_flight, 1);
	CHECK_EQ(sw.stats.in_flight_refused, 1);
	CHECK_EQ(sw.stats.pending_full, 0);
	/* Another peer still gets through. */
	len = prepare(pkt, sizeof(pkt), 5, T0 + 10000, "test.bob", 777777);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(sw.peers[ALICE].pending_from, 1);
	/* One of UP's packets expires: one slot of its share comes back. */
	CHECK_EQ(ilp_switch_expire(&sw, T0 + 9000, rbuf, sizeof(rbuf), &act), 1);
	CHECK_EQ(act.peer, UP);
	CHECK_EQ(sw.peers[UP].pending_from, share - 1);
	len = prepare(pkt, sizeof(pkt), 0, T0 + 20000, "test.bob", 888888);
	CHECK_EQ(send_prepare(UP, 888888, pkt, len, T0 + 9000), ILP_SW_FORWARD);
	len = prepare(pkt, sizeof(pkt), 0, T0 + 20000, "test.bob", 888889);
	CHECK_EQ(send_prepare(UP, 888889, pkt, len, T0 + 9000), ILP_SW_REPLY);
	expect_reject(UP, 888889, "T05");
	/* Lowered in place (reload): the packets in flight stay, new ones are
	 * refused until UP is below the new share; raised: accepted again. */
	c.max_in_flight = 2;
	CHECK_EQ(ilp_switch_update_peer(&sw, UP, &c), ILP_OK);
	CHECK_EQ(sw.peers[UP].pending_from, share);
	len = prepare(pkt, sizeof(pkt), 0, T0 + 20000, "test.bob", 888890);
	CHECK_EQ(send_prepare(UP, 888890, pkt, len, T0 + 9000), ILP_SW_REPLY);
	expect_reject(UP, 888890, "T05");
	c.max_in_flight = share + 1;
	CHECK_EQ(ilp_switch_update_peer(&sw, UP, &c), ILP_OK);
	len = prepare(pkt, sizeof(pkt), 0, T0 + 20000, "test.bob", 888891);
	CHECK_EQ(send_prepare(UP, 888891, pkt, len, T0 + 9000), ILP_SW_FORWARD);
	CHECK_EQ(sw.peers[UP].refused_in_flight, 3);
	while (ilp_switch_expire(&sw, T0 + 60000, rbuf, sizeof(rbuf), &act) == 1)
		;
	CHECK_SW();
	CHECK_EQ(sw.peers[UP].pending_from, 0);
	CHECK_EQ(sw.stats.pending_now, 0);
}

static void test_ledger_limits_t04(void)
{
	uint8_t pkt[512], resp[128];
	size_t len, rlen;

	setup(true);
	/* Bob's credit: we may owe him at most 1e6. */
	len = prepare(pkt, sizeof(pkt), 600000, T0 + 10000, "test.bob", 20);
	CHECK_EQ(send_prepare(UP, 1, pkt, len, T0), ILP_SW_FORWARD);
	len = prepare(pkt, sizeof(pkt), 400001, T0 + 10000, "test.bob", 21);
	CHECK_EQ(send_prepare(UP, 2, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(UP, 2, "T04");
	CHECK_EQ(sw.ledger.slot[UP].pending_in, 600000);   /* refused hold released */
	len = prepare(pkt, sizeof(pkt), 400000, T0 + 10000, "test.bob", 22);
	CHECK_EQ(send_prepare(UP, 3, pkt, len, T0), ILP_SW_FORWARD);
	rlen = fulfill(resp, sizeof(resp), 22);
	CHECK_EQ(ilp_switch_response(&sw, T0, act.tag, resp, rlen, rbuf, sizeof(rbuf), &act), ILP_OK);
	CHECK_EQ(sw.ledger.slot[BOB].balance, -400000);
	CHECK_SW();

	/* Alice's credit with us: lowered to 2.5e6, so the third 1e6 packet
	 * in flight does not fit. */
	setup(true);
	CHECK_EQ(ledger_set_limits(&sw.ledger, ALICE, INT64_MIN, 2500000, INT64_MAX), ILP_OK);
	/* (a forwarded packet is rewritten in place: encode each one anew) */
	len = prepare(pkt, sizeof(pkt), 1000000, T0 + 10000, "test.conn.carol", 40);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	len = prepare(pkt, sizeof(pkt), 1000000, T0 + 10000, "test.conn.carol", 41);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_FORWARD);
	len = prepare(pkt, sizeof(pkt), 1000000, T0 + 10000, "test.conn.carol", 42);
	CHECK_EQ(send_prepare(ALICE, 3, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 3, "T04");
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 2000000);
	CHECK_EQ(sw.ledger.slot[CAROL].pending_out, 2000);
}

static void test_amount_conversion(void)
{
	uint8_t pkt[512];
	size_t len;
	struct ilp_prepare out;

	setup(true);
	/* scale 9 -> scale 6 rounds down */
	len = prepare(pkt, sizeof(pkt), 1999999, T0 + 10000, "test.conn.carol", 30);
	CHECK_EQ(send_prepare(UP, 1, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(ilp_prepare_decode(act.pkt, act.len, &out, NULL), ILP_OK);
	CHECK_EQ_U64(out.amount, 1999);
	CHECK_EQ_U64(sw.pending[act.tag & 0xFFFF].amount_in, 1999999);
	CHECK_EQ_U64(sw.ledger.slot[CAROL].pending_out, 1999);
	/* 999 units of scale 9 are 0 units of scale 6: forwarded as 0 */
	len = prepare(pkt, sizeof(pkt), 999, T0 + 10000, "test.conn.carol", 31);
	CHECK_EQ(send_prepare(UP, 2, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(ilp_prepare_decode(act.pkt, act.len, &out, NULL), ILP_OK);
	CHECK_EQ_U64(out.amount, 0);
	/* scale 6 -> scale 9 multiplies */
	len = prepare(pkt, sizeof(pkt), 500, T0 + 10000, "test.bob", 32);
	CHECK_EQ(send_prepare(CAROL, 3, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(ilp_prepare_decode(act.pkt, act.len, &out, NULL), ILP_OK);
	CHECK_EQ_U64(out.amount, 500000);
	/* scale 9 -> 18 overflows 64 bits: F03, never wrapped */
	len = prepare(pkt, sizeof(pkt), 100000000000ULL, T0 + 10000, "test.big", 33);
	CHECK_EQ(send_prepare(UP, 4, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(UP, 4, "F03");
	len = prepare(pkt, sizeof(pkt), 9223372036ULL, T0 + 10000, "test.big", 34);
	CHECK_EQ(send_prepare(UP, 5, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(ilp_prepare_decode(act.pkt, act.len, &out, NULL), ILP_OK);
	CHECK_EQ_U64(out.amount, 9223372036000000000ULL);
	/* fits 64 bits but not the ledger's signed holds: T04, not wrapped */
	len = prepare(pkt, sizeof(pkt), 18446744073ULL, T0 + 10000, "test.big", 35);
	CHECK_EQ(send_prepare(UP, 6, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(UP, 6, "T04");
}

static void test_config_refusals(void)
{
	struct ilp_switch_cfg bad = { (const uint8_t *)"nope", 4, 1000, 30000, hal_sha256 };
	struct ilp_peer_cfg c;

	CHECK_EQ(ilp_switch_init(&sw, &bad), ILP_ERR_ARG);
	bad.address = (const uint8_t *)ADDR;
	bad.address_len = strlen(ADDR);
	bad.sha256 = NULL;
	CHECK_EQ(ilp_switch_init(&sw, &bad), ILP_ERR_ARG);
	bad.sha256 = hal_sha256;
	bad.max_hold_time_ms = 999;
	CHECK_EQ(ilp_switch_init(&sw, &bad), ILP_ERR_ARG);

	setup(true);
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "bad name");
	c.rate.num = c.rate.den = 1;
	CHECK_EQ(ilp_switch_add_peer(&sw, 7 % ILPD_MAX_PEERS, &c), ILP_ERR_ARG);
	strcpy(c.name, "ok");
	CHECK_EQ(ilp_switch_add_peer(&sw, ALICE, &c), ILP_ERR_ARG);   /* in use */
	c.rate.den = 0;
	CHECK_EQ(ilp_switch_add_peer(&sw, 5, &c), ILP_ERR_ARG);
	c.rate.den = 1;
	c.min_balance = 1;   /* must be <= 0 */
	CHECK_EQ(ilp_switch_add_peer(&sw, 5, &c), ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_prepare(&sw, T0, 6, 0, rbuf, 1, rbuf, sizeof(rbuf), &act), ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_prepare(&sw, T0, ALICE, 0, rbuf, 1, rbuf, 10, &act), ILP_ERR_ARG);
	CHECK_SW();
}

/* ---- reconfiguration: retire, remove, update, routes, windows ---------- */

/* Answers pending `handle` with the fulfillment for n; the switch check
 * runs after it. */
static void answer_fulfill(uint32_t handle, uint32_t n)
{
	uint8_t resp[128];
	size_t rlen = fulfill(resp, sizeof(resp), n);

	CHECK_EQ(ilp_switch_response(&sw, T0 + 5, handle, resp, rlen, rbuf, sizeof(rbuf), &act),
		 ILP_OK);
	CHECK_SW();
}

static void test_retire_waits_for_pending(void)
{
	uint8_t pkt[512];
	size_t len;
	uint32_t to_bob, from_bob;
	struct ilp_peer_cfg dave = peer_cfg("dave", ILP_REL_PEER, 9, "XRP", UINT64_MAX,
					    INT64_MIN, INT64_MAX);

	setup(true);
	/* One packet to bob (alice -> bob), one from bob (bob -> carol). */
	len = prepare(pkt, sizeof(pkt), 100, T0 + 10000, "test.bob.x", 41);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	to_bob = act.tag;
	len = prepare(pkt, sizeof(pkt), 7000, T0 + 10000, "test.conn.carol", 42);
	CHECK_EQ(send_prepare(BOB, 2, pkt, len, T0), ILP_SW_FORWARD);
	from_bob = act.tag;
	CHECK_EQ(sw.peers[BOB].pending, 1);
	CHECK_EQ(sw.peers[BOB].pending_from, 1);

	CHECK_EQ(ilp_switch_retire_peer(&sw, BOB), ILP_OK);
	CHECK_SW();
	CHECK(sw.peers[BOB].retired && !sw.peers[BOB].up);
	ilp_switch_set_peer_up(&sw, BOB, true);
	CHECK(!sw.peers[BOB].up);
	CHECK_SW();
	/* Unroutable at once: test.bob now takes the default route (up). */
	len = prepare(pkt, sizeof(pkt), 5, T0 + 10000, "test.bob.y", 43);
	CHECK_EQ(send_prepare(ALICE, 3, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, UP);
	answer_fulfill(act.tag, 43);
	CHECK_EQ(ilp_switch_prepare(&sw, T0, BOB, 4, pkt, len, rbuf, sizeof(rbuf), &act),
		 ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test.z", 6, BOB), ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_set_default_route(&sw, BOB), ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_update_peer(&sw, BOB, &dave), ILP_ERR_ARG);

	/* Busy in both directions: not freed. */
	CHECK_EQ(ilp_switch_remove_peer(&sw, BOB), 0);
	CHECK_SW();
	CHECK(sw.peers[BOB].used);
	CHECK_EQ(ilp_switch_abort_peer(&sw, BOB, rbuf, sizeof(rbuf), &act), 1);
	expect_reject(ALICE, 1, "T01");
	CHECK_SW();
	CHECK_EQ(ilp_switch_abort_peer(&sw, BOB, rbuf, sizeof(rbuf), &act), 0);
	CHECK_EQ(ilp_switch_handle_peer(&sw, to_bob), ILP_ROUTE_NONE);
	CHECK_EQ(ilp_switch_remove_peer(&sw, BOB), 0);   /* bob's own packet is out */
	CHECK(sw.peers[BOB].used);
	CHECK_SW();

	/* The packet from bob resolves normally; its answer is addressed to bob. */
	answer_fulfill(from_bob, 42);
	CHECK_EQ(act.kind, ILP_SW_REPLY);
	CHECK_EQ(act.peer, BOB);
	CHECK_EQ(act.tag, 2);
	CHECK_EQ(sw.ledger.slot[BOB].balance, 7000);
	CHECK_EQ(sw.peers[BOB].pending_from, 0);
	CHECK_EQ(ilp_switch_remove_peer(&sw, BOB), 1);
	CHECK_SW();
	CHECK(!sw.peers[BOB].used && !sw.peers[BOB].retired);
	CHECK_EQ(sw.ledger.slot[BOB].balance, 0);
	CHECK_EQ(sw.ledger.slot[BOB].flags, 0);
	CHECK_EQ(ilp_switch_remove_peer(&sw, BOB), ILP_ERR_ARG);

	/* The slot is reused by a new peer with a fresh ledger. */
	CHECK_EQ(ilp_switch_add_peer(&sw, BOB, &dave), ILP_OK);
	ilp_switch_set_peer_up(&sw, BOB, true);
	CHECK(sw.peers[BOB].up);
	CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test.dave", 9, BOB), ILP_OK);
	CHECK_SW();
	len = prepare(pkt, sizeof(pkt), 9, T0 + 10000, "test.dave.q", 44);
	CHECK_EQ(send_prepare(ALICE, 5, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, BOB);
	answer_fulfill(act.tag, 44);
	CHECK_EQ(sw.ledger.slot[BOB].balance, -9);
}

static void test_retire_default_and_child_routes(void)
{
	uint8_t pkt[512];
	size_t len;

	setup(true);
	CHECK_EQ(ilp_switch_retire_peer(&sw, UP), ILP_OK);
	CHECK_EQ(ilp_switch_retire_peer(&sw, CAROL), ILP_OK);
	CHECK_SW();
	CHECK_EQ(sw.routes.default_peer, ILP_ROUTE_NONE);
	len = prepare(pkt, sizeof(pkt), 5, T0 + 10000, "test.elsewhere", 45);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 1, "F02");
	len = prepare(pkt, sizeof(pkt), 5, T0 + 10000, "test.conn.carol", 45);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 2, "F02");
	/* Idle: freed at once. */
	CHECK_EQ(ilp_switch_remove_peer(&sw, UP), 1);
	CHECK_EQ(ilp_switch_remove_peer(&sw, CAROL), 1);
	CHECK_SW();
	CHECK_EQ(ilp_switch_retire_peer(&sw, CAROL), ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_remove_peer(&sw, (uint16_t)ILPD_MAX_PEERS), ILP_ERR_ARG);
}

static void test_update_peer_keeps_balance(void)
{
	uint8_t pkt[512];
	size_t len;
	uint32_t held;
	struct ilp_peer_cfg c;

	setup(false);
	len = prepare(pkt, sizeof(pkt), 100, T0 + 10000, "test.bob", 51);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	answer_fulfill(act.tag, 51);
	len = prepare(pkt, sizeof(pkt), 50, T0 + 10000, "test.bob", 52);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_FORWARD);
	held = act.tag;
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 100);
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 50);

	/* Lower alice's max packet amount and credit; balance and hold stay. */
	c = peer_cfg("alice", ILP_REL_CHILD, 9, "XRP", 10, -5, 1000);
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_OK);
	CHECK_SW();
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 100);
	CHECK_EQ(sw.ledger.slot[ALICE].pending_in, 50);
	CHECK_EQ(sw.ledger.slot[ALICE].max_balance, 1000);
	CHECK_EQ(sw.ledger.slot[ALICE].min_balance, -5);
	len = prepare(pkt, sizeof(pkt), 11, T0 + 10000, "test.bob", 53);
	CHECK_EQ(send_prepare(ALICE, 3, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(ALICE, 3, "F08");
	len = prepare(pkt, sizeof(pkt), 10, T0 + 10000, "test.bob", 54);
	CHECK_EQ(send_prepare(ALICE, 4, pkt, len, T0), ILP_SW_FORWARD);
	answer_fulfill(act.tag, 54);
	answer_fulfill(held, 52);
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 160);
	CHECK_EQ(sw.ledger.slot[BOB].balance, -160);

	/* Refused updates change nothing. */
	c = peer_cfg("alicia", ILP_REL_CHILD, 9, "XRP", 99, -5, 1000);
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_ERR_ARG);
	c = peer_cfg("alice", ILP_REL_CHILD, 9, "XRP", 99, 1, 1000);
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_ERR_ARG);
	c = peer_cfg("alice", ILP_REL_CHILD, 9, "XRP", 99, -5, 1000);
	c.rate.den = 0;
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_update_peer(&sw, 6 % ILPD_MAX_PEERS, &c), ILP_ERR_ARG);
	CHECK_EQ_U64(sw.peers[ALICE].cfg.max_packet_amount, 10);
	CHECK_EQ(sw.ledger.slot[ALICE].min_balance, -5);
	CHECK_SW();

	/* A relation change moves the child route. */
	c = peer_cfg("alice", ILP_REL_PEER, 9, "XRP", 10, -5, 1000);
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_OK);
	CHECK_SW();
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.conn.alice", 55);
	CHECK_EQ(send_prepare(BOB, 5, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(BOB, 5, "F02");
	c.relation = ILP_REL_CHILD;
	CHECK_EQ(ilp_switch_update_peer(&sw, ALICE, &c), ILP_OK);
	CHECK_SW();
	CHECK_EQ(send_prepare(BOB, 6, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, ALICE);
	answer_fulfill(act.tag, 55);
	CHECK_EQ(sw.ledger.slot[ALICE].balance, 159);
}

/* Changing rates with a packet in flight: the hold stays exact. */
static void test_update_rate_in_flight(void)
{
	uint8_t pkt[512];
	size_t len;
	uint32_t held;
	struct ilp_peer_cfg c;

	setup(false);
	len = prepare(pkt, sizeof(pkt), 1000, T0 + 10000, "test.conn.carol", 61);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	held = act.tag;
	CHECK_EQ(sw.ledger.slot[CAROL].pending_out, 1);   /* scale 9 -> 6 */
	c = peer_cfg("carol", ILP_REL_CHILD, 3, "EUR", UINT64_MAX, INT64_MIN, INT64_MAX);
	CHECK_EQ(ilp_switch_update_peer(&sw, CAROL, &c), ILP_OK);
	CHECK_SW();
	answer_fulfill(held, 61);
	CHECK_EQ(sw.ledger.slot[CAROL].balance, -1);
	len = prepare(pkt, sizeof(pkt), 1000000, T0 + 10000, "test.conn.carol", 62);
	CHECK_EQ(send_prepare(ALICE, 2, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(sw.ledger.slot[CAROL].pending_out, 1);   /* scale 9 -> 3 now */
}

static void test_set_routes_and_windows(void)
{
	static struct ilp_routes t;
	uint8_t pkt[512];
	size_t len;
	struct ilp_prepare out;

	setup(true);
	ilp_routes_init(&t);
	CHECK_EQ(ilp_routes_add(&t, (const uint8_t *)"test.x", 6, CAROL), ILP_OK);
	ilp_routes_set_default(&t, BOB);
	CHECK_EQ(ilp_switch_set_routes(&sw, &t), ILP_OK);
	CHECK_SW();
	len = prepare(pkt, sizeof(pkt), 1000, T0 + 10000, "test.x.y", 71);
	CHECK_EQ(send_prepare(ALICE, 1, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(act.peer, CAROL);
	answer_fulfill(act.tag, 71);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.conn.alice", 72);
	/* the table had no child route, and our own space never goes to the
	 * default route */
	CHECK_EQ(send_prepare(UP, 2, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(UP, 2, "F02");

	/* A table naming a retired or unused peer is refused whole. */
	CHECK_EQ(ilp_switch_retire_peer(&sw, BIG), ILP_OK);
	CHECK_EQ(ilp_routes_add(&t, (const uint8_t *)"test.q", 6, BIG), ILP_OK);
	CHECK_EQ(ilp_switch_set_routes(&sw, &t), ILP_ERR_ARG);
	CHECK_EQ(ilp_routes_add(&t, (const uint8_t *)"test.q", 6, 7 % ILPD_MAX_PEERS), ILP_OK);
	CHECK_EQ(ilp_switch_set_routes(&sw, &t), ILP_ERR_ARG);
	CHECK_EQ(ilp_routes_remove(&t, (const uint8_t *)"test.q", 6), ILP_OK);
	ilp_routes_set_default(&t, BIG);
	CHECK_EQ(ilp_switch_set_routes(&sw, &t), ILP_ERR_ARG);
	CHECK_EQ(sw.routes.default_peer, BOB);
	CHECK_SW();

	ilp_switch_clear_routes(&sw);
	CHECK_SW();
	CHECK_EQ(send_prepare(UP, 3, pkt, len, T0), ILP_SW_REPLY);
	expect_reject(UP, 3, "F02");

	/* Windows. */
	CHECK_EQ(ilp_switch_set_windows(&sw, 0, 100), ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_set_windows(&sw, 500, 499), ILP_ERR_ARG);
	CHECK_EQ(ilp_switch_set_windows(&sw, 500, 2000), ILP_OK);
	CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test.bob", 8, BOB), ILP_OK);
	len = prepare(pkt, sizeof(pkt), 1, T0 + 10000, "test.bob", 73);
	CHECK_EQ(send_prepare(ALICE, 4, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(ilp_prepare_decode(act.pkt, act.len, &out, NULL), ILP_OK);
	CHECK_EQ(out.expires_at, T0 + 2000);   /* max hold */
	len = prepare(pkt, sizeof(pkt), 1, T0 + 1400, "test.bob", 74);
	CHECK_EQ(send_prepare(ALICE, 5, pkt, len, T0), ILP_SW_FORWARD);
	CHECK_EQ(ilp_prepare_decode(act.pkt, act.len, &out, NULL), ILP_OK);
	CHECK_EQ(out.expires_at, T0 + 900);   /* expiry - min window */
	CHECK_SW();
}

/* xorshift64*: deterministic pseudo-random steps. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* Random traffic: prepares to random destinations, random answers
 * (right/wrong fulfillments, rejects, junk), peers going down, the clock
 * moving; the consistency check after every step, and at the end the
 * ledger balances equal the sums of what was fulfilled. */
static void test_random_soak(void)
{
	static const char *dests[] = { "test.bob.a", "test.conn.alice.z", "test.conn.carol",
				       "test.other", "peer.config", "test.big.q", ADDR };
	static uint32_t handles[64];
	static uint32_t nums[64];
	static uint8_t pkt[512], resp[128];
	int64_t now = T0, expect_bal[5] = { 0 };
	uint32_t live = 0, step, n = 0;

	setup(true);
	for (step = 0; step < 20000; step++) {
		uint64_t r = rnd();
		size_t len;

		switch (r % 6) {
		case 0: case 1: case 2: {
			uint16_t from = (uint16_t)((r >> 8) % 5);
			const char *d = dests[(r >> 16) % 7];

			len = prepare(pkt, sizeof(pkt), (r >> 24) % 3000000,
				      now + 500 + (int64_t)((r >> 40) % 40000), d, ++n);
			if (send_prepare(from, n, pkt, len, now) == ILP_SW_FORWARD && live < 64) {
				handles[live] = act.tag;
				nums[live++] = n;
			}
			break;
		}
		case 3:
			if (live > 0) {
				uint32_t k = (uint32_t)((r >> 8) % live);
				unsigned how = (unsigned)((r >> 20) % 4);
				uint16_t idx = (uint16_t)(handles[k] & 0xFFFF);
				struct ilp_pending pe = sw.pending[idx];

				if (how == 0)
					len = fulfill(resp, sizeof(resp), nums[k]);
				else if (how == 1)
					len = fulfill(resp, sizeof(resp), nums[k] + 1);
				else if (how == 2)
					len = reject(resp, sizeof(resp), "F99");
				else
					len = 2, resp[0] = 0x0e, resp[1] = 0x7f;
				if (ilp_switch_response(&sw, now, handles[k], resp, len, rbuf,
							sizeof(rbuf), &act) == ILP_OK &&
				    act.kind == ILP_SW_REPLY && act.code[0] == '\0') {
					expect_bal[pe.in_peer] += (int64_t)pe.amount_in;
					expect_bal[pe.out_peer] -= (int64_t)pe.amount_out;
				}
				CHECK_SW();
				handles[k] = handles[--live];
				nums[k] = nums[live];
			}
			break;
		case 4:
			now += (int64_t)((r >> 8) % 3000);
			while (ilp_switch_expire(&sw, now, rbuf, sizeof(rbuf), &act) == 1)
				CHECK_SW();
			break;
		default: {
			uint16_t p = (uint16_t)((r >> 8) % 5);

			ilp_switch_set_peer_up(&sw, p, (r >> 16) % 4 != 0);
			if (!sw.peers[p].up)
				while (ilp_switch_abort_peer(&sw, p, rbuf, sizeof(rbuf), &act) == 1)
					CHECK_SW();
			break;
		}
		}
	}
	CHECK_SW();
	for (step = 0; step < 5; step++)
		CHECK_EQ(sw.ledger.slot[step].balance, expect_bal[step]);
	CHECK(sw.stats.fulfilled > 100);
	CHECK(sw.stats.forwarded > 1000);
}

int main(void)
{
	TH_RUN(test_forward_and_fulfill);
	TH_RUN(test_reject_relayed_unchanged);
	TH_RUN(test_undeliverable_answer);
	TH_RUN(test_colluding_drain_bound);
	TH_RUN(test_wrong_fulfillment_f05);
	TH_RUN(test_malformed_answer_t00);
	TH_RUN(test_malformed_prepare_f01);
	TH_RUN(test_no_route_f02);
	TH_RUN(test_own_address_space_f02);
	TH_RUN(test_child_route_and_ildcp);
	TH_RUN(test_set_address_at_runtime);
	TH_RUN(test_rate_and_throughput_limits);
	TH_RUN(test_peer_protocols);
	TH_RUN(test_peer_settle_hook);
	TH_RUN(test_amount_too_large_f08);
	TH_RUN(test_expiry_rules);
	TH_RUN(test_next_hop_down_t01_and_abort_peer);
	TH_RUN(test_timeout_r00_and_late_fulfill);
	TH_RUN(test_stale_handle_after_reuse);
	TH_RUN(test_pending_full_t03);
	TH_RUN(test_peer_share_t05);
	TH_RUN(test_ledger_limits_t04);
	TH_RUN(test_amount_conversion);
	TH_RUN(test_config_refusals);
	TH_RUN(test_random_soak);
	TH_RUN(test_retire_waits_for_pending);
	TH_RUN(test_retire_default_and_child_routes);
	TH_RUN(test_update_peer_keeps_balance);
	TH_RUN(test_update_rate_in_flight);
	TH_RUN(test_set_routes_and_windows);
	return th_finish();
}
