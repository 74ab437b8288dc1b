/*
 * test_ccp.c - CCP codec (vectors from shared/reference/ilp-wire-format.md
 * sections 6 and 7.1, and the update ilp-connector 23.0.2 was observed
 * sending), truncation, and the engine with a fake clock: two and three
 * engines exchanging routes, relation rules, epochs and the log (full table
 * when a peer is older than the log), withdrawal, hold-down expiry, link
 * loss, and the learned table overflowing.
 */
#include <stdio.h>
#include <string.h>

#include "hal/hal_crypto.h"
#include "ilp/ccp.h"
#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"
#include "th.h"

static uint8_t buf[8192];
static uint8_t out[8192];

static size_t unhex(const char *hex, uint8_t *dst, size_t cap)
{
	long n = th_unhex(hex, dst, cap);

	if (n < 0) {
		th_fail(__FILE__, __LINE__, "bad hex in test: %.20s", hex);
		return 0;
	}
	return (size_t)n;
}

#define CTL_IDLE "003b069822a7544e448a600f9f7084144d00000034010203666f6f03626172"
#define UPD_VEC                                                              \
	"bffbf6ad0ddc4d3ba1e5b4f0537365bd0000000a000000080000000a0000753009672e73" \
	"7065616b6572010105672e6e6577010109672e737065616b6572cccccccccccccccccccc" \
	"cccccccccccccccccccccccccccccccccccccccccccc0101d00007026869010205672e6f" \
	"6c6407672e6f6c646572"
#define HEARTBEAT                                                            \
	"21e55f8eabcd4e979ab9bf0e1ff0bd1d000000340000003400000034" \
	"0000afc80b746573742e706172656e7401000100"
#define OBSERVED                                                             \
	"59b75ff1e20341d3abd289f9f747655900000001000000000000000100" \
	"00afc80c746573742e75702e636f6e6e01010c746573742e75702e636f6e6e01010c74" \
	"6573742e75702e636f6e6e9bb8a91994b0ace36d0f2ac52c2f54573165fd844c72b6ea" \
	"17768e7573f24651010001" "00"
#define WITHDRAW_TAIL "0c746573742e75702e636f6e6e010001010a746573742e7065657278"

static void test_control_codec(void)
{
	struct ccp_control c;
	size_t n = unhex(CTL_IDLE, buf, sizeof(buf)), len, i;
	static const uint8_t id[16] = { 0x3b, 0x06, 0x98, 0x22, 0xa7, 0x54, 0x4e, 0x44,
					0x8a, 0x60, 0x0f, 0x9f, 0x70, 0x84, 0x14, 0x4d };

	CHECK_EQ(ccp_control_decode(buf, n, &c), ILP_OK);
	CHECK_EQ(c.mode, CCP_MODE_IDLE);
	CHECK_MEM(c.table_id, id, 16);
	CHECK_EQ(c.epoch, 52u);
	CHECK_EQ_U64(c.features, 2);
	for (i = 0; i < n; i++)
		CHECK_EQ(ccp_control_decode(buf, i, &c), ILP_ERR_INVALID);
	/* SYNC, nil id, epoch 0: what ilp-connector sends on connect. */
	memset(&c, 0, sizeof(c));
	c.mode = CCP_MODE_SYNC;
	CHECK_EQ(ccp_control_encode(&c, out, sizeof(out), &len), ILP_OK);
	n = unhex("01" "00000000000000000000000000000000" "00000000" "0100", buf, sizeof(buf));
	CHECK_EQ(len, n);
	CHECK_MEM(out, buf, n);
	CHECK_EQ(ccp_control_encode(&c, out, n - 1, &len), ILP_ERR_OVERFLOW);
	/* mode 7 and a feature count with leading zeros decode (as the reference). */
	n = unhex("07" "00000000000000000000000000000000" "00000000" "020000", buf, sizeof(buf));
	CHECK_EQ(ccp_control_decode(buf, n, &c), ILP_OK);
	/* a count larger than the bytes left */
	n = unhex("01" "00000000000000000000000000000000" "00000000" "01ff", buf, sizeof(buf));
	CHECK_EQ(ccp_control_decode(buf, n, &c), ILP_ERR_INVALID);
}

static void test_update_decode(void)
{
	struct ccp_update u;
	struct ccp_route r;
	const uint8_t *pos, *e;
	size_t n = unhex(UPD_VEC, buf, sizeof(buf)), el, i;
	int k;

	CHECK_EQ(ccp_update_decode(buf, n, &u), ILP_OK);
	CHECK_EQ(u.current_epoch, 10u);
	CHECK_EQ(u.from_epoch, 8u);
	CHECK_EQ(u.to_epoch, 10u);
	CHECK_EQ(u.hold_down_ms, 30000u);
	CHECK_EQ(u.speaker_len, 9u);
	CHECK_MEM(u.speaker, "g.speaker", 9);
	CHECK_EQ_U64(u.n_routes, 1);
	pos = u.routes;
	CHECK_EQ(ccp_next_route(&u, &pos, &r), 1);
	CHECK_EQ(r.prefix_len, 5u);
	CHECK_MEM(r.prefix, "g.new", 5);
	CHECK_EQ_U64(r.n_path, 1);
	CHECK_EQ_U64(r.n_props, 1);
	CHECK_EQ(r.auth[0], 0xcc);
	{
		const uint8_t *pp = r.path;

		CHECK_EQ(ccp_next_path(&r, &pp, &e, &el), 1);
		CHECK_EQ(el, 9u);
		CHECK_MEM(e, "g.speaker", 9);
		CHECK_EQ(ccp_next_path(&r, &pp, &e, &el), 0);
	}
	CHECK_EQ(ccp_next_route(&u, &pos, &r), 0);
	CHECK_EQ_U64(u.n_withdrawn, 2);
	pos = u.withdrawn;
	CHECK_EQ(ccp_next_withdrawn(&u, &pos, &e, &el), 1);
	CHECK_MEM(e, "g.old", 5);
	CHECK_EQ(ccp_next_withdrawn(&u, &pos, &e, &el), 1);
	CHECK_MEM(e, "g.older", 7);
	CHECK_EQ(ccp_next_withdrawn(&u, &pos, &e, &el), 0);
	/* every truncation is refused, never read past */
	for (i = 0; i < n; i++) {
		memcpy(out, buf, i);
		k = ccp_update_decode(out, i, &u);
		CHECK_EQ(k, ILP_ERR_INVALID);
	}
}

static void test_update_encode(void)
{
	static const uint8_t id1[16] = { 0x21, 0xe5, 0x5f, 0x8e, 0xab, 0xcd, 0x4e, 0x97,
					 0x9a, 0xb9, 0xbf, 0x0e, 0x1f, 0xf0, 0xbd, 0x1d };
	uint8_t id2[16], auth[32];
	struct ccp_writer w;
	struct ccp_update u;
	size_t n, len;

	/* heartbeat */
	CHECK_EQ(ccp_update_begin(&w, out, sizeof(out), id1, 52, 52, 52, 45000,
				  (const uint8_t *)"test.parent", 11), ILP_OK);
	CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
	n = unhex(HEARTBEAT, buf, sizeof(buf));
	CHECK_EQ(len, n);
	CHECK_MEM(out, buf, n);
	/* the update ilp-connector sent: one route, its own address */
	n = unhex(OBSERVED, buf, sizeof(buf));
	memcpy(id2, buf, 16);
	memcpy(auth, buf + n - 4 - 32, 32);
	CHECK_EQ(ccp_update_begin(&w, out, sizeof(out), id2, 1, 0, 1, 45000,
				  (const uint8_t *)"test.up.conn", 12), ILP_OK);
	CHECK_EQ(ccp_update_route(&w, (const uint8_t *)"test.up.conn", 12,
				  (const uint8_t *)"test.up.conn", 12, 0, NULL, 0, auth), ILP_OK);
	CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
	CHECK_EQ(len, n);
	CHECK_MEM(out, buf, n);
	CHECK_EQ(ccp_update_decode(out, len, &u), ILP_OK);
	/* a withdrawal only */
	CHECK_EQ(ccp_update_begin(&w, out, sizeof(out), id2, 2, 1, 2, 45000,
				  (const uint8_t *)"test.up.conn", 12), ILP_OK);
	CHECK_EQ(ccp_update_withdraw(&w, (const uint8_t *)"test.peerx", 10), ILP_OK);
	CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
	n = unhex(WITHDRAW_TAIL, buf, sizeof(buf));
	CHECK_EQ(len, 16 + 16 + n);
	CHECK_MEM(out + 32, buf, n);
	/* 300 withdrawals: a two-byte count */
	{
		int k;

		CHECK_EQ(ccp_update_begin(&w, out, sizeof(out), id2, 2, 1, 2, 45000,
					  (const uint8_t *)"g.a", 3), ILP_OK);
		for (k = 0; k < 300; k++)
			CHECK_EQ(ccp_update_withdraw(&w, (const uint8_t *)"g.b", 3), ILP_OK);
		CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
		CHECK_EQ(ccp_update_decode(out, len, &u), ILP_OK);
		CHECK_EQ_U64(u.n_withdrawn, 300);
		CHECK_EQ_U64(u.n_routes, 0);
	}
	/* a writer that runs out of room refuses the entry and stays valid */
	CHECK_EQ(ccp_update_begin(&w, out, 48, id2, 2, 1, 2, 45000,
				  (const uint8_t *)"g.a", 3), ILP_OK);
	CHECK_EQ(ccp_update_route(&w, (const uint8_t *)"g.a.b", 5, (const uint8_t *)"g.a", 3,
				  0, NULL, 0, NULL), ILP_ERR_OVERFLOW);
	CHECK_EQ(ccp_update_withdraw(&w, (const uint8_t *)"g.b", 3), ILP_OK);
	CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
	CHECK_EQ(ccp_update_decode(out, len, &u), ILP_OK);
	CHECK_EQ_U64(u.n_withdrawn, 1);
	/* the Prepare around it */
	CHECK_EQ(ccp_prepare_encode(false, 4070908800000LL, buf, 10, out, sizeof(out), &len), ILP_OK);
	{
		struct ilp_prepare p;
		const char *why;

		CHECK_EQ(ilp_prepare_decode(out, len, &p, &why), ILP_OK);
		CHECK_EQ(p.destination_len, 18u);
		CHECK_MEM(p.destination, "peer.route.control", 18);
		CHECK_MEM(p.condition, ilp_peer_condition, 32);
	}
}

/* ---- engines ------------------------------------------------------------ */

#define NODES 4
static struct ccp node[NODES];
/* link[a][b]: peer index of b in a's table, -1 if not connected */
static int link_idx[NODES][NODES];
static int64_t now;

static void mk(int a, const char *own)
{
	uint8_t id[16];
	int b;

	memset(id, 0x10 + a, sizeof(id));
	ccp_init(&node[a], id, 1000, 3000);
	ccp_set_own(&node[a], (const uint8_t *)own, strlen(own));
	for (b = 0; b < NODES; b++)
		link_idx[a][b] = -1;
}

/* a sees b as `rank` at index i (b sees a as `back` at index j). */
static void connect(int a, int i, uint8_t rank, int b, int j, uint8_t back)
{
	link_idx[a][b] = i;
	link_idx[b][a] = j;
	ccp_peer_set(&node[a], (uint16_t)i, rank, rank != ILP_LEARNED_RANK_CHILD,
		     rank != ILP_LEARNED_RANK_CHILD);
	ccp_peer_set(&node[b], (uint16_t)j, back, back != ILP_LEARNED_RANK_CHILD,
		     back != ILP_LEARNED_RANK_CHILD);
	ccp_link_up(&node[a], (uint16_t)i, now);
	ccp_link_up(&node[b], (uint16_t)j, now);
}

static void cut(int a, int b)
{
	ccp_link_down(&node[a], (uint16_t)link_idx[a][b], now);
	ccp_link_down(&node[b], (uint16_t)link_idx[b][a], now);
}

/* Delivers every due message once; returns how many. */
static int pump_once(void)
{
	int a, b, n = 0;

	for (a = 0; a < NODES; a++)
		for (b = 0; b < NODES; b++) {
			size_t len;
			bool upd;
			uint16_t seq;
			const char *msg = NULL;
			int r;

			if (link_idx[a][b] < 0 || !node[a].peer[link_idx[a][b]].up)
				continue;
			while (ccp_poll(&node[a], now, (uint16_t)link_idx[a][b], buf, sizeof(buf),
					&len, &upd, &seq) == 1) {
				r = ccp_handle(&node[b], now, (uint16_t)link_idx[b][a], upd, buf, len, &msg);
				ccp_result(&node[a], now, (uint16_t)link_idx[a][b], seq, upd, r == 0);
				n++;
			}
		}
	return n;
}

/* Runs the clock in 50 ms steps for ms. */
static void run(int64_t ms)
{
	int64_t end = now + ms;

	while (now < end) {
		int k;

		for (k = 0; k < NODES; k++)
			(void)ccp_expire(&node[k], now);
		(void)pump_once();
		now += 50;
	}
}

static long has(int a, const char *prefix)
{
	return ilp_learned_best(&node[a].learned, (const uint8_t *)prefix, strlen(prefix));
}

static uint16_t look(int a, const char *addr)
{
	static struct ilp_routes t;
	size_t m;

	ilp_routes_init(&t);
	t.learned = &node[a].learned;
	return ilp_routes_match(&t, (const uint8_t *)addr, strlen(addr), &m);
}

static void test_two_hops(void)
{
	now = 1000000;
	mk(0, "test.a");
	mk(1, "test.b");
	mk(2, "test.c");
	/* a - b - c, all peers */
	connect(0, 0, ILP_LEARNED_RANK_PEER, 1, 0, ILP_LEARNED_RANK_PEER);
	connect(1, 1, ILP_LEARNED_RANK_PEER, 2, 0, ILP_LEARNED_RANK_PEER);
	run(1000);
	CHECK(has(0, "test.b") >= 0);
	CHECK(has(0, "test.c") >= 0);
	CHECK(has(2, "test.a") >= 0);
	CHECK_EQ(look(0, "test.c.x.y"), 0);
	CHECK_EQ(look(2, "test.a.alice"), 0);
	CHECK_EQ(node[0].learned.r[has(0, "test.c")].hops, 2);
	/* nobody learns itself back (path filter) or its own space */
	CHECK(has(1, "test.b") < 0);
	CHECK_EQ(node[1].learned.count, 2);
	/* heartbeats keep routes past the hold-down (3 s) */
	run(10000);
	CHECK(has(0, "test.c") >= 0);
	/* link b-c drops: b forgets c, a is told within a broadcast */
	cut(1, 2);
	CHECK(has(1, "test.c") < 0);
	run(500);
	CHECK(has(0, "test.c") < 0);
	CHECK_EQ(look(0, "test.c.x"), ILP_ROUTE_NONE);
	/* back up: learned again */
	ccp_link_up(&node[1], 1, now);
	ccp_link_up(&node[2], 0, now);
	run(1000);
	CHECK(has(0, "test.c") >= 0);
}

static void test_expiry(void)
{
	now = 5000000;
	mk(0, "test.a");
	mk(1, "test.b");
	connect(0, 0, ILP_LEARNED_RANK_PEER, 1, 0, ILP_LEARNED_RANK_PEER);
	run(500);
	CHECK(has(0, "test.b") >= 0);
	/* b goes silent (its sender stops): a drops b's routes after the
	 * hold-down, 3 s, and asks again */
	node[1].peer[0].tx_mode = CCP_MODE_IDLE;
	CHECK(node[0].peer[0].rx_expires > now);
	now = node[0].peer[0].rx_expires - 1;
	CHECK_EQ(ccp_expire(&node[0], now), 0u);
	CHECK(has(0, "test.b") >= 0);
	now += 1;
	CHECK_EQ(ccp_expire(&node[0], now), 1u);
	CHECK(has(0, "test.b") < 0);
	CHECK_EQ_U64(node[0].st.expired, 1);
	run(500);   /* the new SYNC restarts b's sender */
	CHECK(has(0, "test.b") >= 0);
}

static void test_relations(void)
{
	now = 7000000;
	mk(0, "test.p");    /* parent of 1 */
	mk(1, "test.m");    /* middle */
	mk(2, "test.k");    /* a child of 1 that speaks CCP (send/receive on) */
	mk(3, "test.q");    /* peer of 1 */
	connect(1, 0, ILP_LEARNED_RANK_PARENT, 0, 0, ILP_LEARNED_RANK_CHILD);
	/* children do not exchange routes by default: turn it on for k */
	connect(1, 1, ILP_LEARNED_RANK_CHILD, 2, 0, ILP_LEARNED_RANK_PARENT);
	ccp_peer_set(&node[1], 1, ILP_LEARNED_RANK_CHILD, true, true);
	ccp_peer_set(&node[0], 0, ILP_LEARNED_RANK_CHILD, true, true);
	ccp_link_up(&node[1], 1, now);
	ccp_link_up(&node[0], 0, now);
	connect(1, 2, ILP_LEARNED_RANK_PEER, 3, 0, ILP_LEARNED_RANK_PEER);
	run(1500);
	/* the parent hears m's own address and the child's route, not the peer's */
	CHECK(has(0, "test.m") >= 0);
	CHECK(has(0, "test.k") >= 0);
	CHECK(has(0, "test.q") < 0);
	/* the peer hears everything m has */
	CHECK(has(3, "test.p") >= 0);
	CHECK(has(3, "test.k") >= 0);
	/* with default flags a child is refused */
	{
		const char *msg = NULL;
		uint8_t d[32];
		size_t n;
		struct ccp_control c;

		memset(&c, 0, sizeof(c));
		c.mode = CCP_MODE_SYNC;
		CHECK_EQ(ccp_control_encode(&c, d, sizeof(d), &n), ILP_OK);
		ccp_peer_set(&node[1], 1, ILP_LEARNED_RANK_CHILD, false, false);
		CHECK_EQ(ccp_handle(&node[1], now, 1, false, d, n, &msg), -1);
		CHECK(msg != NULL);
		CHECK_EQ(ccp_handle(&node[1], now, 1, true, d, n, &msg), -1);
		/* turning receive off dropped its routes */
		CHECK(has(1, "test.k") < 0);
		/* and turning it on again while up asks for them (reload) */
		ccp_peer_set(&node[1], 1, ILP_LEARNED_RANK_CHILD, true, true);
		run(500);
		CHECK(has(1, "test.k") >= 0);
	}
}

/* More changes than the log holds: a peer that was away gets a full table. */
static void test_log_overflow(void)
{
	char p[32];
	int k, nroutes, r0_there;

	now = 9000000;
	mk(0, "test.a");
	mk(1, "test.b");
	mk(2, "test.c");
	connect(0, 0, ILP_LEARNED_RANK_PEER, 1, 0, ILP_LEARNED_RANK_PEER);
	run(500);
	/* c feeds b many routes while a's link to b is down */
	cut(0, 1);
	connect(1, 1, ILP_LEARNED_RANK_PEER, 2, 0, ILP_LEARNED_RANK_PEER);
	run(300);
	/* LOG_MAX + 5 changes: distinct routes while the learned tables have
	 * room for them (small boards: the router's table is 32), then r0
	 * withdrawn and announced again in turn - each one a change too. */
	nroutes = ILPD_CCP_LOG_MAX + 5;
	if (nroutes > ILPD_MAX_LEARNED_ROUTES - 8)
		nroutes = ILPD_MAX_LEARNED_ROUTES - 8;
	for (k = 0; k < ILPD_CCP_LOG_MAX + 5; k++) {
		struct ccp_writer w;
		size_t len;
		const char *msg;

		snprintf(p, sizeof(p), "test.c.r%d", k < nroutes ? k : 0);
		CHECK_EQ(ccp_update_begin(&w, buf, sizeof(buf), node[2].table_id, node[2].epoch,
					  node[1].peer[1].rx_epoch, node[1].peer[1].rx_epoch + 1,
					  3000, (const uint8_t *)"test.c", 6), ILP_OK);
		if (k >= nroutes && (k - nroutes) % 2 == 0)
			CHECK_EQ(ccp_update_withdraw(&w, (const uint8_t *)p, strlen(p)), ILP_OK);
		else
			CHECK_EQ(ccp_update_route(&w, (const uint8_t *)p, strlen(p),
						  (const uint8_t *)"test.c", 6, 0, NULL, 0, NULL),
				 ILP_OK);
		CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
		CHECK_EQ(ccp_handle(&node[1], now, 1, true, buf, len, &msg), 0);
	}
	r0_there = (ILPD_CCP_LOG_MAX + 5 - nroutes) % 2 == 0;
	CHECK(node[1].epoch - node[1].log_base == ILPD_CCP_LOG_MAX);
	ccp_link_up(&node[0], 0, now);
	ccp_link_up(&node[1], 0, now);
	/* a asks with b's table id and an old epoch: b's log no longer has it */
	node[0].peer[0].ctl_due = false;
	{
		struct ccp_control c;
		size_t n;
		const char *msg;

		c.mode = CCP_MODE_SYNC;
		memcpy(c.table_id, node[1].table_id, 16);
		c.epoch = 1;
		c.features = 0;
		CHECK_EQ(ccp_control_encode(&c, out, sizeof(out), &n), ILP_OK);
		CHECK_EQ(ccp_handle(&node[1], now, 0, false, out, n, &msg), 0);
	}
	run(1000);
	CHECK(node[1].st.full_tables >= 1);
	CHECK_EQ(has(0, "test.c.r0") >= 0, r0_there);
	CHECK(has(0, "test.c.r1") >= 0);
	CHECK_EQ(node[0].learned.count, node[1].learned.count);   /* b's own for a's */
	CHECK_EQ_U64(node[1].st.truncated, 0);
	snprintf(p, sizeof(p), "test.c.r%d", nroutes - 1);
	CHECK(has(0, p) >= 0);
}

/* The learned table overflows: the least-preferred peer's most specific
 * prefixes go first, a worse route is refused, and it is counted. */
static void test_table_full(void)
{
	static struct ilp_learned l;
	struct ilp_learned_route ev;
	char p[64];
	bool did;
	int k;

	ilp_learned_init(&l);
	for (k = 0; k < ILPD_MAX_LEARNED_ROUTES; k++) {
		snprintf(p, sizeof(p), "g.x.%s%d", k % 2 ? "long.er." : "", k);
		CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)p, strlen(p), (uint16_t)(k % 3),
					 k % 3 == 2 ? ILP_LEARNED_RANK_PARENT : ILP_LEARNED_RANK_PEER,
					 NULL, 0, 1, 0, &ev, &did), ILP_OK);
		CHECK(!did);
	}
	CHECK_EQ(l.count, ILPD_MAX_LEARNED_ROUTES);
	/* a peer route pushes out the parent's (peer 2) longest prefix */
	CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)"g.new", 5, 0, ILP_LEARNED_RANK_PEER,
				 NULL, 0, 1, 0, &ev, &did), ILP_OK);
	CHECK(did);
	CHECK_EQ(ev.peer, 2);
	CHECK(ev.prefix_len > 10);   /* a "g.x.long.er.N" one */
	CHECK_EQ_U64(l.dropped, 1);
	/* another parent (worse: higher index 5) with a long prefix is refused */
	CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)"g.zz.very.long.prefix", 21, 5,
				 ILP_LEARNED_RANK_PARENT, NULL, 0, 1, 0, &ev, &did), ILP_ERR_FULL);
	CHECK(!did);
	CHECK_EQ_U64(l.dropped, 2);
	CHECK(ilp_learned_best(&l, (const uint8_t *)"g.zz.very.long.prefix", 21) < 0);
	/* bad input is a return code */
	CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)"not an address", 14, 0, 1, NULL, 0, 1, 0,
				 NULL, NULL), ILP_ERR_INVALID);
	CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)"g.a", 3, ILPD_MAX_PEERS, 1, NULL, 0, 1, 0,
				 NULL, NULL), ILP_ERR_ARG);
}

/* Static routes win over learned ones with the same prefix; a longer
 * learned prefix still wins; learned beats the default route. */
static void test_lookup_order(void)
{
	static struct ilp_learned l;
	static struct ilp_routes t;
	size_t m;

	ilp_learned_init(&l);
	ilp_routes_init(&t);
	t.learned = &l;
	CHECK_EQ(ilp_routes_add(&t, (const uint8_t *)"g.a", 3, 1), ILP_OK);
	ilp_routes_set_default(&t, 7);
	CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)"g.a", 3, 2, 2, NULL, 0, 1, 0, NULL, NULL), ILP_OK);
	CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)"g.a.b", 5, 3, 0, NULL, 0, 3, 0, NULL, NULL), ILP_OK);
	CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)"g.a.b", 5, 4, 1, NULL, 0, 1, 0, NULL, NULL), ILP_OK);
	CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)"g.c", 3, 5, 1, NULL, 0, 2, 0, NULL, NULL), ILP_OK);
	CHECK_EQ(ilp_learned_put(&l, (const uint8_t *)"g.c", 3, 6, 1, NULL, 0, 1, 0, NULL, NULL), ILP_OK);
	CHECK_EQ(ilp_routes_match(&t, (const uint8_t *)"g.a.x", 5, &m), 1);
	CHECK_EQ(m, 3u);
	CHECK_EQ(ilp_routes_match(&t, (const uint8_t *)"g.a.b.x", 7, &m), 4);   /* peer beats parent */
	CHECK_EQ(m, 5u);
	CHECK_EQ(ilp_routes_match(&t, (const uint8_t *)"g.c.x", 5, &m), 6);     /* shorter path */
	CHECK_EQ(ilp_routes_match(&t, (const uint8_t *)"g.d", 3, &m), 7);       /* default */
	CHECK_EQ(m, 0u);
	CHECK_EQ(ilp_learned_remove(&l, (const uint8_t *)"g.c", 3, 6), 1);
	CHECK_EQ(ilp_learned_remove(&l, (const uint8_t *)"g.c", 3, 6), 0);
	CHECK_EQ(ilp_routes_match(&t, (const uint8_t *)"g.c.x", 5, &m), 5);
}

/* Import filter: foreign global prefix, our own space, loops. */
static void test_import_filter(void)
{
	struct ccp_writer w;
	size_t len;
	const char *msg;
	uint8_t path[64];
	size_t pl;

	now = 11000000;
	mk(0, "test.a");
	ccp_peer_set(&node[0], 0, ILP_LEARNED_RANK_PEER, true, true);
	ccp_link_up(&node[0], 0, now);
	CHECK_EQ(ccp_update_begin(&w, buf, sizeof(buf), (const uint8_t *)"0123456789abcdef", 1, 0, 1,
				  3000, (const uint8_t *)"test.z", 6), ILP_OK);
	CHECK_EQ(ccp_update_route(&w, (const uint8_t *)"g.foreign", 9, (const uint8_t *)"test.z", 6,
				  0, NULL, 0, NULL), ILP_OK);
	CHECK_EQ(ccp_update_route(&w, (const uint8_t *)"test", 4, (const uint8_t *)"test.z", 6,
				  0, NULL, 0, NULL), ILP_OK);
	CHECK_EQ(ccp_update_route(&w, (const uint8_t *)"test.a.x", 8, (const uint8_t *)"test.z", 6,
				  0, NULL, 0, NULL), ILP_OK);
	pl = 0;
	path[pl++] = 6;
	memcpy(path + pl, "test.a", 6);
	pl += 6;
	CHECK_EQ(ccp_update_route(&w, (const uint8_t *)"test.loop", 9, (const uint8_t *)"test.z", 6,
				  1, path, pl, NULL), ILP_OK);
	CHECK_EQ(ccp_update_route(&w, (const uint8_t *)"test.z", 6, (const uint8_t *)"test.z", 6,
				  0, NULL, 0, NULL), ILP_OK);
	CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
	CHECK_EQ(ccp_handle(&node[0], now, 0, true, buf, len, &msg), 0);
	CHECK_EQ(node[0].learned.count, 1);
	CHECK(has(0, "test.z") >= 0);
	CHECK_EQ_U64(node[0].st.routes_filtered, 4);
	/* a gap is ignored (still accepted) */
	CHECK_EQ(ccp_update_begin(&w, buf, sizeof(buf), (const uint8_t *)"0123456789abcdef", 9, 5, 9,
				  3000, (const uint8_t *)"test.z", 6), ILP_OK);
	CHECK_EQ(ccp_update_withdraw(&w, (const uint8_t *)"test.z", 6), ILP_OK);
	CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
	CHECK_EQ(ccp_handle(&node[0], now, 0, true, buf, len, &msg), 0);
	CHECK(has(0, "test.z") >= 0);
	CHECK_EQ_U64(node[0].st.updates_ignored, 1);
	/* from 1: applied, withdrawn */
	CHECK_EQ(ccp_update_begin(&w, buf, sizeof(buf), (const uint8_t *)"0123456789abcdef", 2, 1, 2,
				  3000, (const uint8_t *)"test.z", 6), ILP_OK);
	CHECK_EQ(ccp_update_withdraw(&w, (const uint8_t *)"test.z", 6), ILP_OK);
	CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
	CHECK_EQ(ccp_handle(&node[0], now, 0, true, buf, len, &msg), 0);
	CHECK(has(0, "test.z") < 0);
	/* garbage is refused, not a crash */
	CHECK_EQ(ccp_handle(&node[0], now, 0, true, buf, 20, &msg), -1);
}

/* A route control or update that is not Fulfilled is sent again after
 * 1 s, then 2 s, ... at most the broadcast interval (1 s here: 1000). */
static void test_retry(void)
{
	size_t len;
	bool upd;
	uint16_t seq;

	now = 13000000;
	mk(0, "test.a");
	ccp_init(&node[0], node[0].table_id, 8000, 3000);
	ccp_set_own(&node[0], (const uint8_t *)"test.a", 6);
	ccp_peer_set(&node[0], 0, ILP_LEARNED_RANK_PEER, true, true);
	ccp_link_up(&node[0], 0, now);
	CHECK_EQ(ccp_poll(&node[0], now, 0, buf, sizeof(buf), &len, &upd, &seq), 1);
	CHECK(!upd);
	ccp_result(&node[0], now, 0, seq, false, false);
	CHECK_EQ(ccp_poll(&node[0], now + 999, 0, buf, sizeof(buf), &len, &upd, &seq), 0);
	CHECK_EQ(ccp_poll(&node[0], now + 1000, 0, buf, sizeof(buf), &len, &upd, &seq), 1);
	ccp_result(&node[0], now + 1000, 0, seq, false, false);
	CHECK_EQ(ccp_poll(&node[0], now + 2999, 0, buf, sizeof(buf), &len, &upd, &seq), 0);
	CHECK_EQ(ccp_poll(&node[0], now + 3000, 0, buf, sizeof(buf), &len, &upd, &seq), 1);
	ccp_result(&node[0], now + 3000, 0, seq, false, true);
	CHECK(!node[0].peer[0].ctl_due);
	/* an update that fails: sent again after 1 s, not at the heartbeat */
	{
		struct ccp_control c;
		const char *msg;
		size_t n;

		memset(&c, 0, sizeof(c));
		c.mode = CCP_MODE_SYNC;
		CHECK_EQ(ccp_control_encode(&c, out, sizeof(out), &n), ILP_OK);
		CHECK_EQ(ccp_handle(&node[0], now + 3000, 0, false, out, n, &msg), 0);
	}
	CHECK_EQ(ccp_poll(&node[0], now + 3000, 0, buf, sizeof(buf), &len, &upd, &seq), 1);
	CHECK(upd);
	ccp_result(&node[0], now + 3000, 0, seq, true, false);
	CHECK_EQ(node[0].peer[0].tx_epoch, 0u);
	CHECK_EQ(ccp_poll(&node[0], now + 3999, 0, buf, sizeof(buf), &len, &upd, &seq), 0);
	CHECK_EQ(ccp_poll(&node[0], now + 4000, 0, buf, sizeof(buf), &len, &upd, &seq), 1);
	ccp_result(&node[0], now + 4000, 0, seq, true, true);
	CHECK_EQ(node[0].peer[0].tx_epoch, node[0].epoch);
	/* then only heartbeats, every 8 s */
	CHECK_EQ(ccp_poll(&node[0], now + 11999, 0, buf, sizeof(buf), &len, &upd, &seq), 0);
	CHECK_EQ(ccp_poll(&node[0], now + 12000, 0, buf, sizeof(buf), &len, &upd, &seq), 1);
}

/* ---- the switch with the hook ------------------------------------------- */

static struct ilp_switch sw;
static uint8_t rbuf[ILP_SWITCH_REPLY_MAX];

static int hook(void *ctx, int64_t t, uint16_t from, bool update, const uint8_t *d, size_t n,
		const char **msg)
{
	return ccp_handle(ctx, t, from, update, d, n, msg);
}

static void sw_peer(uint16_t i, const char *name, uint8_t rel)
{
	struct ilp_peer_cfg c;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	strcpy(c.asset_code, "XRP");
	c.relation = rel;
	c.rate.num = 1;
	c.rate.den = 1;
	c.rate.scale = 9;
	c.max_packet_amount = UINT64_MAX;
	c.min_balance = INT64_MIN;
	c.max_balance = INT64_MAX;
	c.settle_threshold = INT64_MAX;
	CHECK_EQ(ilp_switch_add_peer(&sw, i, &c), ILP_OK);
	ilp_switch_set_peer_up(&sw, i, true);
}

static int sw_send(uint16_t from, const char *dest, const uint8_t *cond, const uint8_t *data,
		   size_t dlen, struct ilp_sw_action *act)
{
	struct ilp_prepare p;
	size_t len;

	memset(&p, 0, sizeof(p));
	p.amount = 0;
	p.expires_at = now + 20000;
	p.condition = cond;
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	p.data = data;
	p.data_len = dlen;
	CHECK_EQ(ilp_prepare_encode(&p, out, sizeof(out), &len), ILP_OK);
	return ilp_switch_prepare(&sw, now, from, 7, out, len, rbuf, sizeof(rbuf), act);
}

/* peer.route.* reach the engine through the switch's hook; its answers
 * become the zero Fulfill or F00; learned routes are used for forwarding
 * after static ones, and never for our own address space. */
static void test_switch_hook(void)
{
	struct ilp_switch_cfg cfg = { (const uint8_t *)"test.a", 6, 1000, 30000, hal_sha256 };
	struct ilp_sw_action act;
	struct ccp_writer w;
	uint8_t cond[32];
	size_t len;

	now = 15000000;
	mk(0, "test.a");
	CHECK_EQ(ilp_switch_init(&sw, &cfg), ILP_OK);
	sw_peer(0, "b", ILP_REL_PEER);
	sw_peer(1, "kid", ILP_REL_CHILD);
	ccp_peer_set(&node[0], 0, ILP_LEARNED_RANK_PEER, true, true);
	ccp_peer_set(&node[0], 1, ILP_LEARNED_RANK_CHILD, false, false);
	ccp_link_up(&node[0], 0, now);
	ccp_link_up(&node[0], 1, now);
	ilp_switch_set_ccp(&sw, hook, &node[0], &node[0].learned);
	CHECK_EQ(ccp_update_begin(&w, buf, sizeof(buf), (const uint8_t *)"0123456789abcdef", 1, 0, 1,
				  45000, (const uint8_t *)"test.b", 6), ILP_OK);
	CHECK_EQ(ccp_update_route(&w, (const uint8_t *)"test.b", 6, (const uint8_t *)"test.b", 6,
				  0, NULL, 0, NULL), ILP_OK);
	CHECK_EQ(ccp_update_route(&w, (const uint8_t *)"test.a.kid2", 11, (const uint8_t *)"test.b", 6,
				  0, NULL, 0, NULL), ILP_OK);
	CHECK_EQ(ccp_update_end(&w, &len), ILP_OK);
	CHECK_EQ(sw_send(0, "peer.route.update", ilp_peer_condition, buf, len, &act), ILP_OK);
	CHECK_EQ(act.kind, ILP_SW_REPLY);
	CHECK_EQ(act.code[0], '\0');                /* the zero Fulfill */
	CHECK(has(0, "test.b") >= 0);
	CHECK(has(0, "test.a.kid2") < 0);           /* our own space: filtered */
	/* a child (send/receive off) gets F00 */
	CHECK_EQ(sw_send(1, "peer.route.control", ilp_peer_condition, buf, 10, &act), ILP_OK);
	CHECK_EQ(act.kind, ILP_SW_REPLY);
	CHECK(memcmp(act.code, "F00", 3) == 0);
	/* a malformed update from a peer: F00 */
	CHECK_EQ(sw_send(0, "peer.route.update", ilp_peer_condition, buf, 20, &act), ILP_OK);
	CHECK(memcmp(act.code, "F00", 3) == 0);
	/* other peer.route.* and a wrong condition: F01 */
	CHECK_EQ(sw_send(0, "peer.route.other", ilp_peer_condition, buf, len, &act), ILP_OK);
	CHECK(memcmp(act.code, "F01", 3) == 0);
	memset(cond, 0x11, sizeof(cond));
	CHECK_EQ(sw_send(0, "peer.route.update", cond, buf, len, &act), ILP_OK);
	CHECK(memcmp(act.code, "F01", 3) == 0);
	/* forwarding over the learned route */
	hal_sha256(out, 32, cond);
	CHECK_EQ(sw_send(1, "test.b.bob", cond, NULL, 0, &act), ILP_OK);
	CHECK_EQ(act.kind, ILP_SW_FORWARD);
	CHECK_EQ(act.peer, 0);
	/* under our own address, not a child: F02 (never up the learned route) */
	CHECK_EQ(sw_send(0, "test.a.kid2.x", cond, NULL, 0, &act), ILP_OK);
	CHECK(memcmp(act.code, "F02", 3) == 0);
	/* the learned table survives a routing table swap (reload) */
	{
		static struct ilp_routes t;

		ilp_routes_init(&t);
		CHECK_EQ(ilp_switch_set_routes(&sw, &t), ILP_OK);
		CHECK(sw.routes.learned == &node[0].learned);
		ilp_switch_clear_routes(&sw);
		CHECK(sw.routes.learned == &node[0].learned);
	}
	/* the link drops: the route goes, F02 */
	ccp_link_down(&node[0], 0, now);
	CHECK_EQ(sw_send(1, "test.b.bob", cond, NULL, 0, &act), ILP_OK);
	CHECK(memcmp(act.code, "F02", 3) == 0);
}

int main(void)
{
	TH_RUN(test_control_codec);
	TH_RUN(test_update_decode);
	TH_RUN(test_update_encode);
	TH_RUN(test_two_hops);
	TH_RUN(test_expiry);
	TH_RUN(test_relations);
	TH_RUN(test_log_overflow);
	TH_RUN(test_table_full);
	TH_RUN(test_lookup_order);
	TH_RUN(test_import_filter);
	TH_RUN(test_retry);
	TH_RUN(test_switch_hook);
	return th_finish();
}
