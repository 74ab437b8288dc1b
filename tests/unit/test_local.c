/*
 * test_local.c - ilpd's own account (firmware/local.h) and the switch's
 * local delivery (ilp_switch_set_local).
 *
 * Switch level (no daemon): a destination equal to the node's address is
 * F02 without a local peer and delivered with one; the default prefix (the
 * node's address) follows ilp_switch_set_address; children and longer
 * routes still win; an explicit prefix; removing the peer turns it off.
 *
 * Daemon level: a running daemon (address test.d, children alice and bob
 * as BTP clients on the daemon's own loop over 127.0.0.1): a Prepare to
 * test.d reaches the handler and its accept becomes alice's Fulfill
 * (fulfillment SHA-256(data), reply data) with alice's and the local
 * account's balances moved; a wrong condition is F05 without a handler
 * call; a reject helper's code/message/triggeredBy; expiry before the
 * answer gives R00 and the late answer is ignored and counted; a send from
 * the local account to bob gets bob's Fulfill / Reject through the callback
 * exactly once, F02 for no route; a child under the prefix still wins;
 * without a handler test.d is F02 again; the local balance persists.
 * Sync mode (test_send_durable, a store whose sync ends when the test says
 * so): a send's Fulfill callback runs only after the sync of its group,
 * once; Rejects at once; a full ring forces a sync; a stop runs a held
 * callback.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "durable.h"
#include "local.h"
#include "hal/hal_crypto.h"
#include "hal/hal_net.h"
#include "hal/hal_time.h"
#include "ilp/btp.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"
#include "th.h"

#define T0 1700000000000LL

/* ---- switch level --------------------------------------------------------- */

static struct ilp_switch sw;
static uint8_t rbuf[ILP_SWITCH_REPLY_MAX];

#define CHECK_SW()                                                           \
	do {                                                                 \
		const char *why_ = NULL;                                     \
		if (ilp_switch_check(&sw, &why_) != ILP_OK)                  \
			th_fail(__FILE__, __LINE__, "switch check: %s", why_); \
	} while (0)

enum { S_ALICE = 0, S_UP = 1, S_LOCAL = 2, S_SHOP = 3 };

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

/* A Prepare for dest (amount 10, expiry T0 + 10 s, data "hi"); the
 * condition does not matter to the switch. */
static size_t sw_prepare(uint8_t *buf, size_t cap, const char *dest)
{
	uint8_t cond[32];
	struct ilp_prepare p;
	size_t len = 0;

	memset(cond, 7, sizeof(cond));
	memset(&p, 0, sizeof(p));
	p.amount = 10;
	p.expires_at = T0 + 10000;
	p.condition = cond;
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	p.data = (const uint8_t *)"hi";
	p.data_len = 2;
	CHECK_EQ(ilp_prepare_encode(&p, buf, cap, &len), ILP_OK);
	return len;
}

/* Where a Prepare from alice for dest goes: the next hop, or the reject
 * code in *code. */
static int sw_where(const char *dest, char code[4])
{
	uint8_t pkt[512];
	struct ilp_sw_action act;
	size_t len = sw_prepare(pkt, sizeof(pkt), dest);
	int r;

	code[0] = '\0';
	CHECK_EQ(ilp_switch_prepare(&sw, T0, S_UP, 1, pkt, len, rbuf, sizeof(rbuf), &act), ILP_OK);
	if (act.kind == ILP_SW_REPLY) {
		memcpy(code, act.code, 4);
		return -1;
	}
	r = act.peer;
	CHECK_EQ(ilp_switch_abort(&sw, act.tag, "T01", "test.", rbuf, sizeof(rbuf), &act), ILP_OK);
	CHECK_SW();
	return r;
}

static void test_switch_local(void)
{
	struct ilp_switch_cfg cfg = { (const uint8_t *)"test.me", 7, 1000, 30000, hal_sha256 };
	char code[4];

	CHECK_EQ(ilp_switch_init(&sw, &cfg), ILP_OK);
	sw_peer(S_ALICE, "alice", ILP_REL_CHILD);
	sw_peer(S_UP, "up", ILP_REL_PARENT);
	sw_peer(S_LOCAL, "local", ILP_REL_PEER);
	sw_peer(S_SHOP, "shop", ILP_REL_PEER);
	CHECK_EQ(ilp_switch_set_default_route(&sw, S_UP), ILP_OK);
	CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test.me.shop.x", 14, S_SHOP), ILP_OK);
	CHECK_SW();

	/* no local peer: the old rules */
	CHECK_EQ(sw_where("test.me", code), -1);
	CHECK(strcmp(code, "F02") == 0);
	CHECK_EQ(sw_where("test.me.zzz", code), -1);
	CHECK(strcmp(code, "F02") == 0);
	CHECK_EQ(sw_where("test.me.alice", code), S_ALICE);

	/* local peer, default prefix: the node's address and what is under it */
	CHECK_EQ(ilp_switch_set_local(&sw, 40, NULL, 0), ILP_ERR_ARG);     /* unused */
	CHECK_EQ(ilp_switch_set_local(&sw, S_LOCAL, (const uint8_t *)"bad..x", 6), ILP_ERR_ARG);
	CHECK_EQ(sw.local_peer, ILP_ROUTE_NONE);
	CHECK_EQ(ilp_switch_set_local(&sw, S_LOCAL, NULL, 0), ILP_OK);
	CHECK_SW();
	CHECK_EQ(sw_where("test.me", code), S_LOCAL);
	CHECK_EQ(sw_where("test.me.zzz", code), S_LOCAL);
	CHECK_EQ(sw_where("test.me.zzz.y", code), S_LOCAL);
	CHECK_EQ(sw_where("test.me.alice", code), S_ALICE);        /* a child wins */
	CHECK_EQ(sw_where("test.me.alice.sub", code), S_ALICE);
	CHECK_EQ(sw_where("test.me.shop.x.1", code), S_SHOP);      /* a longer route wins */
	CHECK_EQ(sw_where("test.me.shop", code), S_LOCAL);
	CHECK_EQ(sw_where("test.mex", code), S_UP);                /* not a segment match */
	CHECK_EQ(sw_where("test.other", code), S_UP);
	/* survives a route table swap */
	ilp_switch_clear_routes(&sw);
	CHECK_EQ(sw_where("test.me.zzz", code), S_LOCAL);
	CHECK_EQ(ilp_switch_set_default_route(&sw, S_UP), ILP_OK);

	/* the default prefix follows the address (IL-DCP) */
	CHECK_EQ(ilp_switch_set_address(&sw, (const uint8_t *)"test.new", 8), ILP_OK);
	CHECK_EQ(sw_where("test.new", code), S_LOCAL);
	CHECK_EQ(sw_where("test.new.q", code), S_LOCAL);
	CHECK_EQ(sw_where("test.new.alice", code), S_ALICE);
	CHECK_EQ(sw_where("test.me", code), S_UP);
	CHECK_EQ(sw_where("test.me.zzz", code), S_UP);

	/* an explicit prefix: it and the node's address itself */
	CHECK_EQ(ilp_switch_set_local(&sw, S_LOCAL, (const uint8_t *)"test.new.pay", 12), ILP_OK);
	CHECK_EQ(sw_where("test.new", code), S_LOCAL);
	CHECK_EQ(sw_where("test.new.pay", code), S_LOCAL);
	CHECK_EQ(sw_where("test.new.pay.7", code), S_LOCAL);
	CHECK_EQ(sw_where("test.new.q", code), -1);
	CHECK(strcmp(code, "F02") == 0);
	CHECK_EQ(ilp_switch_set_local(&sw, S_LOCAL, (const uint8_t *)"g.elsewhere", 11), ILP_OK);
	CHECK_EQ(sw_where("g.elsewhere.x", code), S_LOCAL);

	/* off again, and a removed peer turns it off */
	CHECK_EQ(ilp_switch_set_local(&sw, ILP_ROUTE_NONE, NULL, 0), ILP_OK);
	CHECK_EQ(sw_where("test.new", code), -1);
	CHECK(strcmp(code, "F02") == 0);
	CHECK_EQ(ilp_switch_set_local(&sw, S_LOCAL, NULL, 0), ILP_OK);
	CHECK_EQ(ilp_switch_retire_peer(&sw, S_LOCAL), ILP_OK);
	CHECK_EQ(sw_where("test.new", code), -1);
	CHECK(strcmp(code, "F02") == 0);
	CHECK_EQ(ilp_switch_remove_peer(&sw, S_LOCAL), 1);
	CHECK_EQ(sw.local_peer, ILP_ROUTE_NONE);
	CHECK_SW();
}

/* ---- daemon level ----------------------------------------------------------- */

static struct ilpd_daemon dmn;
static struct ilpd_conf conf;
static struct ilpd_conf_err err;
static char text[4096], dir[64];
static uint16_t port;

static uint16_t free_port(void)
{
	hal_fd fd;
	uint16_t p;

	for (p = 23000 + (uint16_t)(getpid() % 4000); p < 32000; p += 11) {
		if (hal_tcp_listen("127.0.0.1", p, 1, &fd) == HAL_NET_OK) {
			hal_close(fd);
			return p;
		}
	}
	return 0;
}

static int start(const char *ledger)
{
	snprintf(text, sizeof(text),
		 "[node]\naddress = test.d\n[btp]\nlisten = 127.0.0.1:%u\n[admin]\nlisten = off\n"
		 "[log]\nlevel = error\n[limits]\nmin_message_window_ms = 100\n%s"
		 "[peer alice]\nrelation = child\ntoken = alice-token-0001\n"
		 "[peer bob]\nrelation = child\ntoken = bob-token-00002\n", (unsigned)port, ledger);
	if (ilpd_conf_load_string(&conf, "t.ini", text, &err) != 0) {
		th_fail(__FILE__, __LINE__, "config: %s", err.msg);
		return -1;
	}
	return ilpd_daemon_start(&dmn, &conf);
}

static void stop(void)
{
	int i;

	ilpd_daemon_stop(&dmn, 0);
	for (i = 0; i < 100 && !ilpd_daemon_done(&dmn); i++)
		ilpd_daemon_step(&dmn, 10);
	CHECK(ilpd_daemon_done(&dmn));
	ilpd_durable_stop(&dmn);
}

/* A BTP client (alice or bob) on the daemon's loop. */
struct cli {
	struct wsconn ws;
	const char *name, *token;
	bool authed;
	int answers;                 /* answers to our Prepares */
	uint8_t type;                /* of the last answer: ILP_TYPE_* */
	char code[4];
	uint8_t fulfillment[32];
	uint8_t data[64];
	size_t data_len;
	char triggered_by[32];
	int prepares;                /* Prepares received (bob) */
	uint32_t prep_id;
	uint64_t prep_amount;
};

static struct cli alice = { .name = "alice", .token = "alice-token-0001" };
static struct cli bob = { .name = "bob", .token = "bob-token-00002" };

static void cli_open(struct wsconn *w, void *user)
{
	struct cli *c = user;
	uint8_t buf[256];
	size_t len = 0;

	CHECK_EQ(btp_auth_encode(1, (const uint8_t *)c->name, strlen(c->name),
				 (const uint8_t *)c->token, strlen(c->token), buf, sizeof(buf),
				 &len), ILP_OK);
	CHECK_EQ(wsconn_send(w, WS_OP_BINARY, buf, len), 0);
}

static void cli_message(struct wsconn *w, uint8_t op, uint8_t *data, size_t len, void *user)
{
	struct cli *c = user;
	struct btp_frame f;
	const uint8_t *ilp;
	const char *why = "";
	size_t n;

	(void)w;
	(void)op;
	if (btp_frame_decode(data, len, &f, &why) != ILP_OK)
		return;
	if (f.request_id == 1 && !c->authed) {
		c->authed = f.type == BTP_RESPONSE;
		return;
	}
	if (!btp_ilp_find(&f, &ilp, &n))
		return;
	if (f.type == BTP_MESSAGE) {
		struct ilp_prepare p;

		if (ilp_prepare_decode(ilp, n, &p, &why) == ILP_OK) {
			c->prepares++;
			c->prep_id = f.request_id;
			c->prep_amount = p.amount;
		}
		return;
	}
	c->answers++;
	c->type = (uint8_t)ilp_packet_type(ilp, n);
	if (c->type == ILP_TYPE_FULFILL) {
		struct ilp_fulfill ff;

		CHECK_EQ(ilp_fulfill_decode(ilp, n, &ff, &why), ILP_OK);
		memcpy(c->fulfillment, ff.fulfillment, 32);
		c->data_len = ff.data_len < sizeof(c->data) ? ff.data_len : sizeof(c->data);
		memcpy(c->data, ff.data, c->data_len);
	} else if (c->type == ILP_TYPE_REJECT) {
		struct ilp_reject rj;

		CHECK_EQ(ilp_reject_decode(ilp, n, &rj, &why), ILP_OK);
		memcpy(c->code, rj.code, 3);
		c->code[3] = '\0';
		n = rj.triggered_by_len < sizeof(c->triggered_by) - 1 ? rj.triggered_by_len
								       : sizeof(c->triggered_by) - 1;
		memcpy(c->triggered_by, rj.triggered_by, n);
		c->triggered_by[n] = '\0';
	}
}

static void cli_close(struct wsconn *w, const char *reason, void *user)
{
	(void)w;
	(void)reason;
	(void)user;
}

static const struct wsconn_cbs cli_cbs = { cli_open, cli_message, cli_close };

static void cli_connect(struct cli *c)
{
	int i;

	c->authed = false;
	c->answers = 0;
	c->prepares = 0;
	CHECK_EQ(wsconn_connect(&c->ws, &dmn.loop, "127.0.0.1", port, "127.0.0.1", "/", &cli_cbs,
				c), 0);
	for (i = 0; i < 400 && !c->authed; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK(c->authed);
}

/* c sends a Prepare (amount, expires in `ms`, data) for dest; the
 * condition is SHA-256(SHA-256(data)), or wrong when `bad`. */
static void cli_prepare(struct cli *c, uint32_t id, const char *dest, uint64_t amount,
			int64_t ms, const char *data, bool bad)
{
	uint8_t f[32], cond[32], pkt[512], frame[1024];
	struct ilp_prepare p;
	size_t len = 0, flen = 0;

	hal_sha256((const uint8_t *)data, strlen(data), f);
	hal_sha256(f, 32, cond);
	if (bad)
		cond[0] ^= 1;
	memset(&p, 0, sizeof(p));
	p.amount = amount;
	p.expires_at = hal_wall_ms() + ms;
	p.condition = cond;
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	p.data = (const uint8_t *)data;
	p.data_len = strlen(data);
	CHECK_EQ(ilp_prepare_encode(&p, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(btp_ilp_encode(BTP_MESSAGE, id, pkt, len, frame, sizeof(frame), &flen), ILP_OK);
	CHECK_EQ(wsconn_send(&c->ws, WS_OP_BINARY, frame, flen), 0);
}

/* bob answers its last Prepare with a BTP Response carrying pkt. */
static void cli_answer(struct cli *c, const uint8_t *pkt, size_t len)
{
	uint8_t frame[1024];
	size_t flen = 0;

	CHECK_EQ(btp_ilp_encode(BTP_RESPONSE, c->prep_id, pkt, len, frame, sizeof(frame), &flen),
		 ILP_OK);
	CHECK_EQ(wsconn_send(&c->ws, WS_OP_BINARY, frame, flen), 0);
}

static void run_until(const int *counter, int want)
{
	int i;

	for (i = 0; i < 400 && *counter < want; i++)
		ilpd_daemon_step(&dmn, 5);
}

/* The handler: records what it got; answers later (from the test). */
static struct {
	int calls;
	uint32_t id;
	uint64_t amount;
	char dest[64];
} hs;

static void handler(void *ctx, struct ilpd_daemon *d, uint32_t id, const uint8_t *prepare, size_t n)
{
	struct ilp_prepare p;
	const char *why = "";

	CHECK(ctx == &hs);
	CHECK(d == &dmn);
	hs.calls++;
	hs.id = id;
	CHECK_EQ(ilp_prepare_decode(prepare, n, &p, &why), ILP_OK);
	hs.amount = p.amount;
	memcpy(hs.dest, p.destination, p.destination_len < 63 ? p.destination_len : 63);
	hs.dest[p.destination_len < 63 ? p.destination_len : 63] = '\0';
}

static int64_t bal(int peer)
{
	return dmn.sw.ledger.slot[peer].balance;
}

static void test_delivery(void)
{
	const struct ilpd_local_stats *st;
	uint8_t f[32];
	int lp;

	memset(&hs, 0, sizeof(hs));
	ilpd_local_set_handler(&dmn, handler, &hs);     /* before the start */
	CHECK_EQ(start("[ledger]\ndurability = off\n"), 0);
	lp = ilpd_local_peer(&dmn);
	CHECK(lp >= 2);
	CHECK(strcmp(dmn.sw.peers[lp].cfg.name, "local") == 0);
	st = ilpd_local_get_stats(&dmn);
	cli_connect(&alice);

	/* the node's own address, accepted with data */
	cli_prepare(&alice, 10, "test.d", 500, 5000, "order-1", false);
	run_until(&hs.calls, 1);
	CHECK_EQ(hs.calls, 1);
	CHECK(strcmp(hs.dest, "test.d") == 0);
	CHECK_EQ_U64(hs.amount, 500);
	CHECK(ilpd_local_pending(&dmn, hs.id));
	CHECK_EQ(alice.answers, 0);
	CHECK_EQ(ilpd_local_accept(&dmn, hs.id, (const uint8_t *)"thanks", 6), ILP_OK);
	CHECK(!ilpd_local_pending(&dmn, hs.id));
	run_until(&alice.answers, 1);
	CHECK_EQ(alice.answers, 1);
	CHECK_EQ(alice.type, ILP_TYPE_FULFILL);
	hal_sha256((const uint8_t *)"order-1", 7, f);
	CHECK_MEM(alice.fulfillment, f, 32);
	CHECK_EQ(alice.data_len, 6);
	CHECK_MEM(alice.data, "thanks", 6);
	CHECK_EQ(bal(0), 500);                  /* alice owes 500 more */
	CHECK_EQ(bal(lp), -500);                /* the local account received 500 */
	CHECK_EQ_U64(st->delivered, 1);
	CHECK_EQ_U64(st->answered, 1);
	/* answering twice: ignored, counted */
	CHECK_EQ(ilpd_local_accept(&dmn, hs.id, NULL, 0), ILP_ERR_NOT_FOUND);
	CHECK_EQ_U64(st->late, 1);

	/* under the prefix (the node's address), rejected with the helper */
	cli_prepare(&alice, 11, "test.d.shop.item", 7, 5000, "order-2", false);
	run_until(&hs.calls, 2);
	CHECK_EQ(hs.calls, 2);
	CHECK_EQ(ilpd_local_reject(&dmn, hs.id, "F9", "x", NULL, 0), ILP_ERR_ARG);
	CHECK_EQ(ilpd_local_reject(&dmn, hs.id, "F99", "sold out", NULL, 0), ILP_OK);
	run_until(&alice.answers, 2);
	CHECK_EQ(alice.type, ILP_TYPE_REJECT);
	CHECK(strcmp(alice.code, "F99") == 0);
	CHECK(strcmp(alice.triggered_by, "test.d") == 0);
	CHECK_EQ(bal(0), 500);
	CHECK_EQ(bal(lp), -500);

	/* a wrong condition: F05, the handler is not called */
	cli_prepare(&alice, 12, "test.d", 9, 5000, "order-3", true);
	run_until(&alice.answers, 3);
	CHECK_EQ(alice.answers, 3);
	CHECK(strcmp(alice.code, "F05") == 0);
	CHECK_EQ(hs.calls, 2);
	CHECK_EQ_U64(st->wrong_condition, 1);

	/* a child under the prefix still wins: alice -> bob is bob's */
	cli_connect(&bob);
	cli_prepare(&alice, 13, "test.d.bob", 3, 5000, "to-bob", false);
	run_until(&bob.prepares, 1);
	CHECK_EQ(bob.prepares, 1);
	CHECK_EQ(hs.calls, 2);

	/* expiry before the answer: R00 from the switch; the late answer is
	 * ignored and counted, nothing moves */
	cli_prepare(&alice, 14, "test.d", 40, 400, "slow", false);
	run_until(&hs.calls, 3);
	CHECK_EQ(hs.calls, 3);
	run_until(&alice.answers, 4);
	CHECK_EQ(alice.answers, 4);
	CHECK(strcmp(alice.code, "R00") == 0);
	CHECK(!ilpd_local_pending(&dmn, hs.id));
	CHECK_EQ(ilpd_local_accept(&dmn, hs.id, (const uint8_t *)"late", 4), ILP_ERR_NOT_FOUND);
	CHECK_EQ_U64(st->late, 2);
	ilpd_local_answer(&dmn, hs.id, (const uint8_t *)"junk", 4);
	CHECK_EQ_U64(st->late, 3);
	ilpd_daemon_step(&dmn, 20);
	CHECK_EQ(alice.answers, 4);
	CHECK_EQ(bal(0), 500);
	CHECK_EQ(bal(lp), -500);

	/* no handler: the node's address is F02 again, as before [local] */
	ilpd_local_set_handler(&dmn, NULL, NULL);
	cli_prepare(&alice, 15, "test.d", 1, 5000, "nobody", false);
	run_until(&alice.answers, 5);
	CHECK(strcmp(alice.code, "F02") == 0);
	CHECK_EQ(hs.calls, 3);
	{
		const char *why = NULL;

		CHECK_EQ(ilp_switch_check(&dmn.sw, &why), ILP_OK);
	}
	wsconn_abort(&alice.ws, "test over");
	wsconn_abort(&bob.ws, "test over");
	stop();
}

/* ---- sends from the local account ---------------------------------------- */

static struct {
	int calls;
	uint8_t type;
	char code[4];
	void *ctx;
	uint64_t syncs;              /* the ledger's completed syncs at the call */
	bool sync_pending;           /* a group's sync was in flight at the call */
} ds;

static void done(void *ctx, const uint8_t *reply, size_t n)
{
	ds.calls++;
	ds.ctx = ctx;
	ds.syncs = dmn.dur.p.stats.syncs;
	ds.sync_pending = ilpd_persist_sync_pending(&dmn.dur.p);
	ds.type = (uint8_t)ilp_packet_type(reply, n);
	ds.code[0] = '\0';
	if (ds.type == ILP_TYPE_REJECT) {
		struct ilp_reject rj;
		const char *why = "";

		CHECK_EQ(ilp_reject_decode(reply, n, &rj, &why), ILP_OK);
		memcpy(ds.code, rj.code, 3);
		ds.code[3] = '\0';
	}
}

static size_t make_prepare(uint8_t *buf, size_t cap, const char *dest, uint64_t amount,
			   const uint8_t f[32])
{
	uint8_t cond[32];
	struct ilp_prepare p;
	size_t len = 0;

	hal_sha256(f, 32, cond);
	memset(&p, 0, sizeof(p));
	p.amount = amount;
	p.expires_at = hal_wall_ms() + 5000;
	p.condition = cond;
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	CHECK_EQ(ilp_prepare_encode(&p, buf, cap, &len), ILP_OK);
	return len;
}

static void test_send(void)
{
	uint8_t pkt[512], f[32];
	struct ilp_fulfill ff = { f, NULL, 0 };
	struct ilp_reject rj;
	size_t len, flen = 0;
	int lp, ctx1, ctx2, ctx3;

	memset(&ds, 0, sizeof(ds));
	ilpd_local_set_handler(&dmn, NULL, NULL);
	dmn.conf = NULL;                 /* "not started": enable() waits for the start */
	CHECK_EQ(ilpd_local_enable(&dmn), 0);
	CHECK_EQ(start("[ledger]\ndurability = off\n"), 0);
	lp = ilpd_local_peer(&dmn);
	CHECK(lp >= 0);
	cli_connect(&bob);

	/* bad arguments: no callback */
	memset(f, 3, sizeof(f));
	len = make_prepare(pkt, sizeof(pkt), "test.d.bob", 70, f);
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, NULL, NULL), ILP_ERR_ARG);
	CHECK_EQ(ilpd_local_send(&dmn, pkt, 3, done, NULL), ILP_ERR_ARG);

	/* to bob, fulfilled */
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctx1), ILP_OK);
	run_until(&bob.prepares, 1);
	CHECK_EQ(bob.prepares, 1);
	CHECK_EQ_U64(bob.prep_amount, 70);
	CHECK_EQ(ds.calls, 0);
	CHECK_EQ(ilp_fulfill_encode(&ff, pkt, sizeof(pkt), &flen), ILP_OK);
	cli_answer(&bob, pkt, flen);
	run_until(&ds.calls, 1);
	CHECK_EQ(ds.calls, 1);
	CHECK(ds.ctx == &ctx1);
	CHECK_EQ(ds.type, ILP_TYPE_FULFILL);
	CHECK_EQ(bal(lp), 70);                  /* the local account paid 70 */
	CHECK_EQ(bal(1), -70);                  /* bob was paid 70 */

	/* to bob, rejected */
	memset(f, 4, sizeof(f));
	len = make_prepare(pkt, sizeof(pkt), "test.d.bob.x", 5, f);
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctx2), ILP_OK);
	run_until(&bob.prepares, 2);
	CHECK_EQ(bob.prepares, 2);
	memset(&rj, 0, sizeof(rj));
	rj.code = (const uint8_t *)"F99";
	rj.triggered_by = (const uint8_t *)"test.d.bob";
	rj.triggered_by_len = 10;
	CHECK_EQ(ilp_reject_encode(&rj, pkt, sizeof(pkt), &flen), ILP_OK);
	cli_answer(&bob, pkt, flen);
	run_until(&ds.calls, 2);
	CHECK_EQ(ds.calls, 2);
	CHECK(ds.ctx == &ctx2);
	CHECK(strcmp(ds.code, "F99") == 0);
	CHECK_EQ(bal(lp), 70);
	CHECK_EQ(bal(1), -70);

	/* no route: the switch's own F02, at once */
	len = make_prepare(pkt, sizeof(pkt), "g.nowhere", 5, f);
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctx3), ILP_OK);
	CHECK_EQ(ds.calls, 3);
	CHECK(ds.ctx == &ctx3);
	CHECK(strcmp(ds.code, "F02") == 0);

	/* bob never answers: R00 from the switch at the expiry, once; a
	 * cancelled context gets nothing */
	len = make_prepare(pkt, sizeof(pkt), "test.d.bob", 1, f);
	{
		struct ilp_prepare p;
		const char *why = "";

		CHECK_EQ(ilp_prepare_decode(pkt, len, &p, &why), ILP_OK);
		CHECK_EQ(ilp_prepare_patch(pkt, &p, 1, hal_wall_ms() + 300), ILP_OK);
	}
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctx1), ILP_OK);
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctx2), ILP_OK);
	ilpd_local_cancel_ctx(&dmn, &ctx2);
	run_until(&ds.calls, 4);
	CHECK_EQ(ds.calls, 4);
	CHECK(ds.ctx == &ctx1);
	CHECK(strcmp(ds.code, "R00") == 0);
	ilpd_daemon_step(&dmn, 50);
	CHECK_EQ(ds.calls, 4);
	CHECK_EQ(ilpd_local_get_stats(&dmn)->sends_now, 0);
	CHECK_EQ(bal(lp), 70);

	/* a full send table: ILP_ERR_FULL, no callback */
	{
		int i, r = ILP_OK;

		for (i = 0; i <= ILPD_LOCAL_SENDS && r == ILP_OK; i++) {
			len = make_prepare(pkt, sizeof(pkt), "test.d.bob", 1, f);
			r = ilpd_local_send(&dmn, pkt, len, done, NULL);
		}
		CHECK_EQ(r, ILP_ERR_FULL);
		CHECK_EQ(i, ILPD_LOCAL_SENDS + 1);
	}
	wsconn_abort(&bob.ws, "test over");
	stop();
	CHECK_EQ(ilpd_local_get_stats(&dmn)->sends_now, 0);   /* all answered T01/T03 */
}

/* A store whose asynchronous sync completes only when fake_done is set
 * (the real one does the work then), as in test_durable.c. */
static const struct hal_store_ops *fake_good;
static bool fake_done;
static int fake_starts;

static int fake_sync_start(struct hal_store *s)
{
	(void)s;
	fake_starts++;
	return HAL_STORE_OK;
}

static int fake_sync_finish(struct hal_store *s, bool wait)
{
	if (!fake_done && !wait)
		return HAL_STORE_BUSY;
	return fake_good->sync(s);
}

/* c answers its Prepare `id` with a Fulfill (fulfillment f) carrying
 * BIG_FULFILL - 39 bytes of data: a BIG_FULFILL-byte packet. */
#define BIG_FULFILL 32040
static void big_fulfill(struct cli *c, uint32_t id, const uint8_t f[32])
{
	static uint8_t data[BIG_FULFILL - 39], pkt[BIG_FULFILL + 64], frame[BIG_FULFILL + 128];
	struct ilp_fulfill ff = { f, data, sizeof(data) };
	size_t len = 0, flen = 0;

	memset(data, 'x', sizeof(data));
	CHECK_EQ(ilp_fulfill_encode(&ff, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(len, BIG_FULFILL);
	CHECK_EQ(btp_ilp_encode(BTP_RESPONSE, id, pkt, len, frame, sizeof(frame), &flen), ILP_OK);
	CHECK_EQ(wsconn_send(&c->ws, WS_OP_BINARY, frame, flen), 0);
}

/* Sync mode: a send's Fulfill reaches the callback only after the sync of
 * the group holding its balance change is done, exactly once; a Reject
 * goes at once; a Fulfill that finds the ring full is synced there and
 * then; a clean stop runs a held callback once. Local delivery's answer goes
 * over BTP and is held like any output. */
static void test_send_durable(void)
{
	static struct hal_store_ops fake;
	char ledger[256];
	uint8_t pkt[512], f[32];
	struct ilp_fulfill ff = { f, NULL, 0 };
	const struct ilpd_local_stats *st;
	uint64_t syncs;
	size_t len, flen = 0;
	static int ctxk[8];
	uint32_t ida, idk[8];
	int lp, i, j, k, n0, ctx1, ctx2;

	memset(&ds, 0, sizeof(ds));
	memset(&hs, 0, sizeof(hs));
	ilpd_local_set_handler(&dmn, handler, &hs);
	snprintf(ledger, sizeof(ledger), "[ledger]\nstate_file = %s/send.state\n", dir);
	CHECK_EQ(start(ledger), 0);
	CHECK_EQ(dmn.dur.mode, ILPD_DUR_SYNC);
	lp = ilpd_local_peer(&dmn);
	CHECK(lp >= 0);
	st = ilpd_local_get_stats(&dmn);
	cli_connect(&bob);
	cli_connect(&alice);
	for (i = 0; i < 200 && ilpd_persist_sync_pending(&dmn.dur.p); i++)
		ilpd_daemon_step(&dmn, 5);
	fake_good = dmn.dur.store.ops;
	fake = *fake_good;
	fake.sync_start = fake_sync_start;
	fake.sync_finish = fake_sync_finish;
	dmn.dur.store.ops = &fake;
	fake_done = false;
	fake_starts = 0;
	syncs = dmn.dur.p.stats.syncs;

	/* alice's Prepare to the local account, answered below (the test's
	 * clients are wsconns too: their output is held as ilpd's is) */
	alice.type = 0;
	cli_prepare(&alice, 20, "test.d", 9, 5000, "hello", false);
	run_until(&hs.calls, 1);
	CHECK_EQ(hs.calls, 1);

	/* to bob, fulfilled: the Fulfill's balance change is written and its
	 * sync started; the callback waits for the sync */
	memset(f, 7, sizeof(f));
	len = make_prepare(pkt, sizeof(pkt), "test.d.bob", 40, f);
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctx1), ILP_OK);
	run_until(&bob.prepares, 1);
	CHECK_EQ(bob.prepares, 1);
	CHECK_EQ(ilp_fulfill_encode(&ff, pkt, sizeof(pkt), &flen), ILP_OK);
	cli_answer(&bob, pkt, flen);
	for (i = 0; i < 200 && fake_starts == 0; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ(fake_starts, 1);
	CHECK_EQ(bal(lp), 40);                  /* the switch has it... */
	for (i = 0; i < 20; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ(ds.calls, 0);                  /* ...the application not yet */
	CHECK(ilpd_persist_sync_pending(&dmn.dur.p));
	CHECK(ilpd_local_waiting(&dmn));
	CHECK_EQ_U64(st->held, 1);
	CHECK_EQ(st->sends_now, 1);

	/* meanwhile: a Reject moves no balance and goes at once (F02) */
	len = make_prepare(pkt, sizeof(pkt), "g.nowhere", 5, f);
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctx2), ILP_OK);
	CHECK_EQ(ds.calls, 1);
	CHECK(ds.ctx == &ctx2);
	CHECK(strcmp(ds.code, "F02") == 0);

	/* and local delivery: alice's Fulfill from the handler is BTP output,
	 * held with the rest while a sync runs */
	CHECK_EQ(ilpd_local_accept(&dmn, hs.id, NULL, 0), ILP_OK);
	for (i = 0; i < 20; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ(alice.answers, 0);

	/* the sync completes: the callback runs, once, after it */
	fake_done = true;
	run_until(&ds.calls, 2);
	CHECK_EQ(ds.calls, 2);
	CHECK(ds.ctx == &ctx1);
	CHECK_EQ(ds.type, ILP_TYPE_FULFILL);
	CHECK(ds.syncs > syncs);
	CHECK(!ds.sync_pending);
	run_until(&alice.answers, 1);
	CHECK_EQ(alice.answers, 1);
	CHECK_EQ(alice.type, ILP_TYPE_FULFILL);
	for (i = 0; i < 200 && ilpd_persist_sync_pending(&dmn.dur.p); i++)
		ilpd_daemon_step(&dmn, 5);
	for (i = 0; i < 20; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ(ds.calls, 2);
	CHECK(!ilpd_local_waiting(&dmn));
	CHECK_EQ(st->sends_now, 0);

	/* a full ring: bob fulfills k sends together, each with 32,000 bytes
	 * of data; the ring holds k - 1 of them, the last does not fit: ilpd
	 * syncs there and then and calls back all k, each once, after the
	 * sync, the last one last. (bob's answers go together: the test's
	 * clients are held too while a sync runs.) */
	fake_done = false;
	fake_starts = 0;
	k = (int)(sizeof(dmn.local.ring) / ILPD_LOCAL_HOLD_ENTRY(BIG_FULFILL)) + 1;
	CHECK(k <= (int)(sizeof(ctxk) / sizeof(ctxk[0])));
	/* bob's k answers wait in his own send buffer while the sync runs: on
	 * a board whose ring is larger than one connection's send buffer (the
	 * router: a 32,820-byte ring, 32 KiB buffers) they cannot, so this
	 * case runs on the host and rpi boards (ctest of those presets) and
	 * says so here. */
	if ((size_t)k * (BIG_FULFILL + 128) > ILPD_CONN_TXBUF) {
		printf("test_send_durable: full-ring case not run on this board: %d "
		       "answers of %d bytes exceed one connection's send buffer (%d)\n",
		       k, BIG_FULFILL, (int)ILPD_CONN_TXBUF);
		k = 0;
	}
	for (j = 0; j < k; j++) {
		memset(f, 30 + j, sizeof(f));
		len = make_prepare(pkt, sizeof(pkt), "test.d.bob", 1, f);
		CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctxk[j]), ILP_OK);
		run_until(&bob.prepares, 2 + j);
		CHECK_EQ(bob.prepares, 2 + j);
		idk[j] = bob.prep_id;
	}
	syncs = dmn.dur.p.stats.syncs;
	for (j = 0; j < k; j++) {
		memset(f, 30 + j, sizeof(f));
		big_fulfill(&bob, idk[j], f);
	}
	if (k > 0) {
		run_until(&ds.calls, 2 + k);
		CHECK_EQ(ds.calls, 2 + k);
		CHECK(st->sync_forced >= 1);
		CHECK(fake_starts >= 1);
		CHECK(ds.ctx == &ctxk[k - 1]);
		CHECK_EQ(ds.type, ILP_TYPE_FULFILL);
		CHECK(ds.syncs > syncs);
		CHECK(!ds.sync_pending);
		CHECK(!ilpd_local_waiting(&dmn));
		CHECK_EQ(dmn.local.tail, 0);    /* emptied: starts again at 0 */
		CHECK_EQ(st->sends_now, 0);
	}
	for (i = 0; i < 20; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ(ds.calls, 2 + k);
	n0 = 1 + k;

	/* bob fulfills C while the sync never ends; the stop runs the held
	 * callback once, D (unanswered) gets its Reject once */
	fake_starts = 0;
	memset(f, 23, sizeof(f));
	len = make_prepare(pkt, sizeof(pkt), "test.d.bob", 1, f);
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctx1), ILP_OK);
	run_until(&bob.prepares, n0 + 1);
	ida = bob.prep_id;
	len = make_prepare(pkt, sizeof(pkt), "test.d.bob", 1, f);
	CHECK_EQ(ilpd_local_send(&dmn, pkt, len, done, &ctx2), ILP_OK);
	run_until(&bob.prepares, n0 + 2);
	CHECK_EQ(bob.prepares, n0 + 2);
	CHECK_EQ(ilp_fulfill_encode(&ff, pkt, sizeof(pkt), &flen), ILP_OK);
	bob.prep_id = ida;
	cli_answer(&bob, pkt, flen);
	for (i = 0; i < 200 && fake_starts == 0; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ(fake_starts, 1);
	CHECK_EQ(ds.calls, 2 + k);
	wsconn_abort(&bob.ws, "test over");
	wsconn_abort(&alice.ws, "test over");
	ilpd_daemon_stop(&dmn, 0);
	for (i = 0; i < 100 && !ilpd_daemon_done(&dmn); i++)
		ilpd_daemon_step(&dmn, 10);
	CHECK(ilpd_daemon_done(&dmn));
	CHECK_EQ(ds.calls, 3 + k);              /* D's Reject */
	CHECK(ds.ctx == &ctx2);
	CHECK(ilpd_local_waiting(&dmn));
	ilpd_durable_stop(&dmn);
	CHECK_EQ(ds.calls, 4 + k);
	CHECK(ds.ctx == &ctx1);
	CHECK_EQ(ds.type, ILP_TYPE_FULFILL);
	CHECK_EQ(st->sends_now, 0);
	CHECK(!ilpd_local_waiting(&dmn));
	dmn.dur.store.ops = fake_good;
	ilpd_local_set_handler(&dmn, NULL, NULL);
}

/* The local account's balance persists under its name. */
static void test_persisted(void)
{
	char ledger[256];
	int lp;

	memset(&hs, 0, sizeof(hs));
	snprintf(ledger, sizeof(ledger), "[ledger]\nstate_file = %s/ledger.state\n", dir);
	ilpd_local_set_handler(&dmn, handler, &hs);
	CHECK_EQ(start(ledger), 0);
	cli_connect(&alice);
	cli_prepare(&alice, 20, "test.d", 33, 5000, "keep", false);
	run_until(&hs.calls, 1);
	CHECK_EQ(ilpd_local_accept(&dmn, hs.id, NULL, 0), ILP_OK);
	run_until(&alice.answers, 1);
	lp = ilpd_local_peer(&dmn);
	CHECK_EQ(bal(lp), -33);
	wsconn_abort(&alice.ws, "test over");
	stop();
	CHECK_EQ(start(ledger), 0);
	lp = ilpd_local_peer(&dmn);
	CHECK(lp >= 0);
	CHECK_EQ(bal(lp), -33);
	CHECK_EQ(bal(0), 33);
	stop();
}

/* ---- [local] in the configuration ----------------------------------------- */

/* Loads "[node]...\n" + body; returns 0 or -1 with the message in err. */
static int load_local(const char *body)
{
	snprintf(text, sizeof(text), "[node]\naddress = test.d\n%s", body);
	return ilpd_conf_load_string(&conf, "c.ini", text, &err);
}

static void test_config_local(void)
{
	const struct ilpd_local_conf *l = &conf.local;

	CHECK_EQ(load_local(""), 0);
	CHECK(!l->handler);
	CHECK_EQ(l->timeout_margin_ms, 500);
	CHECK_EQ(l->max_balance, INT64_MAX);
	CHECK(l->max_requests >= 1);
	CHECK_EQ(l->queue, ILPD_LOCAL_SLOTS / 2);
	CHECK_EQ(load_local("[local]\nhandler_url = http://127.0.0.1:3100\nprefix = test.d.shop\n"
			    "notify_transit = true\ntimeout_margin_ms = 250\nmax_requests = 1\n"
			    "queue = 0\nmax_balance = 0\n"), 0);
	CHECK(l->handler);
	CHECK(strcmp(l->handler_url.host, "127.0.0.1") == 0);
	CHECK_EQ(l->handler_url.port, 3100);
	CHECK(strcmp(l->handler_url.path, "/") == 0);
	CHECK(strcmp(l->prefix, "test.d.shop") == 0);
	CHECK(l->notify_transit);
	CHECK_EQ(l->timeout_margin_ms, 250);
	CHECK_EQ(l->max_requests, 1);
	CHECK_EQ(l->queue, 0);
	CHECK_EQ(l->max_balance, 0);
	CHECK_EQ(load_local("[local]\nhandler_url = http://localhost/app\n"), 0);
	CHECK_EQ(l->handler_url.port, 80);
	CHECK(strcmp(l->handler_url.path, "/app") == 0);
	CHECK_EQ(load_local("[local]\nhandler_url = http://[::1]:3100\n"), 0);
	CHECK_EQ(load_local("[local]\nhandler_url = http://127.1.2.3:3100\n"), 0);
	/* remote hosts: only with allow_remote (given before or after) */
	CHECK_EQ(load_local("[local]\nhandler_url = http://10.0.0.2:3100\n"), -1);
	CHECK(strstr(err.msg, "c.ini:4: 'handler_url' must be a loopback") != NULL);
	CHECK_EQ(load_local("[local]\nhandler_url = http://127.0.0.1.evil.com:3100\n"), -1);
	CHECK_EQ(load_local("[local]\nhandler_url = http://10.0.0.2:3100\nallow_remote = true\n"), 0);
	CHECK_EQ(load_local("[local]\nallow_remote = yes\nhandler_url = http://192.0.2.7\n"), 0);
	/* a host name is never looked up (test_config.c has the messages) */
	CHECK_EQ(load_local("[local]\nallow_remote = yes\nhandler_url = http://shop.lan\n"), -1);
	/* bad values, at their line */
	CHECK_EQ(load_local("[local]\nhandler_url = https://127.0.0.1:3100\n"), -1);
	CHECK(strstr(err.msg, "c.ini:4: 'handler_url': expected http://") != NULL);
	CHECK_EQ(load_local("[local]\nhandler_url = http://u:p@127.0.0.1:3100\n"), -1);
	CHECK_EQ(load_local("[local]\nhandler_url = http://127.0.0.1:0\n"), -1);
	CHECK_EQ(load_local("[local]\nprefix = bad..prefix\n"), -1);
	CHECK(strstr(err.msg, "c.ini:4: 'prefix'") != NULL);
	CHECK_EQ(load_local("[local]\ntimeout_margin_ms = 60001\n"), -1);
	CHECK_EQ(load_local("[local]\nmax_requests = 0\n"), -1);
	CHECK_EQ(load_local("[local]\nmax_balance = -1\n"), -1);
	CHECK_EQ(load_local("[local]\nhandler = x\n"), -1);
	CHECK(strstr(err.msg, "unknown key 'handler'") != NULL);
	/* the peer name of ilpd's own account */
	CHECK_EQ(load_local("[peer local]\nrelation = child\ntoken = t-local-000001\n"), -1);
	CHECK(strstr(err.msg, "c.ini:3: peer name 'local' is reserved") != NULL);
}

int main(void)
{
	char tmpl[] = "/tmp/ilpd-local-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	port = free_port();
	TH_RUN(test_switch_local);
	TH_RUN(test_config_local);
	TH_RUN(test_delivery);
	TH_RUN(test_send);
	TH_RUN(test_send_durable);
	TH_RUN(test_persisted);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return th_finish();
}
