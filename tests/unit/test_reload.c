/*
 * test_reload.c - configuration reload on a running daemon (reload.c),
 * with no traffic: every peer is inbound and nobody connects to the BTP
 * listener (127.0.0.1, ephemeral port); packets in flight are made directly
 * on the daemon's switch. After every reload the switch check runs.
 *
 * Covered: a change that needs a restart is refused and changes nothing;
 * unchanged / economics / identity changes; removal and addition (slot
 * reuse); routes rebuilt; a removed peer with a packet in flight stays
 * retired until the packet is answered; no free slot refuses the reload.
 * Sizes follow the board options, so the test runs on every board.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "hal/hal_crypto.h"
#include "hal/hal_log.h"
#include "hal/hal_net.h"
#include "hal/hal_time.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"
#include "th.h"

/* Static: the daemon and configurations are large on the host board. */
static struct ilpd_daemon dmn;
static struct ilpd_conf conf[2];
static int cur;   /* conf[cur] is the one the daemon runs */
static struct ilpd_conf_err err;
static char text[ILPD_MAX_PEERS * 96 + 4096];
static uint8_t rbuf[ILP_SWITCH_REPLY_MAX];

/* "@P" in a configuration text stands for the listener's port: a free
 * ephemeral port found at start (nobody connects to it). */
/* durability = off: these reloads are about peers and routes (the ledger's
 * own reload rules: test_persist, and the refusal below). */
#define HEAD "[node]\naddress = test.r\n[btp]\nlisten = 127.0.0.1:@P\n[admin]\nlisten = off\n" \
	     "[log]\nlevel = error\n[ledger]\ndurability = off\n"
static uint16_t port;
static char expanded[sizeof(text)];

/* t with "@P" replaced by the port, in `expanded`. */
static const char *expand(const char *t)
{
	size_t n = 0;

	while (*t != '\0' && n + 6 < sizeof(expanded)) {
		if (t[0] == '@' && t[1] == 'P') {
			n += (size_t)snprintf(expanded + n, sizeof(expanded) - n, "%u", (unsigned)port);
			t += 2;
		} else {
			expanded[n++] = *t++;
		}
	}
	expanded[n] = '\0';
	return expanded;
}

#define CHECK_SW()                                                           \
	do {                                                                 \
		const char *why_ = NULL;                                     \
		if (ilp_switch_check(&dmn.sw, &why_) != ILP_OK)              \
			th_fail(__FILE__, __LINE__, "switch check: %s", why_); \
	} while (0)

/* Loads `t` into the spare configuration and reloads; 0 or -1 (*why). */
static int reload(const char *t, const char **why)
{
	int spare = 1 - cur, r;

	*why = "";
	if (ilpd_conf_load_string(&conf[spare], "t.ini", expand(t), &err) != 0) {
		th_fail(__FILE__, __LINE__, "config: %s", err.msg);
		return -2;
	}
	r = ilpd_daemon_reload(&dmn, &conf[spare], why);
	if (r == 0)
		cur = spare;
	CHECK_SW();
	return r;
}

static int slot_of(const char *name)
{
	int i;

	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (dmn.link[i].conf != NULL && strcmp(dmn.link[i].conf->name, name) == 0)
			return i;
	return -1;
}

static uint16_t route(const char *addr)
{
	return ilp_routes_lookup(&dmn.sw.routes, (const uint8_t *)addr, strlen(addr));
}

/* Forwards a Prepare from peer `from` to `dest` on the daemon's switch;
 * returns the pending handle (the fulfillment is 32 bytes of `n`). */
static uint32_t forward(uint16_t from, const char *dest, uint64_t amount, uint8_t n)
{
	uint8_t f[32], cond[32], pkt[256];
	struct ilp_prepare p;
	struct ilp_sw_action act;
	size_t len = 0;

	memset(f, n, sizeof(f));
	hal_sha256(f, 32, cond);
	memset(&p, 0, sizeof(p));
	p.amount = amount;
	p.expires_at = hal_wall_ms() + 20000;
	p.condition = cond;
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	CHECK_EQ(ilp_prepare_encode(&p, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(ilp_switch_prepare(&dmn.sw, hal_wall_ms(), from, 1, pkt, len, rbuf,
				    sizeof(rbuf), &act), ILP_OK);
	CHECK_EQ(act.kind, ILP_SW_FORWARD);
	CHECK_SW();
	return act.tag;
}

static void fulfill(uint32_t handle, uint8_t n)
{
	uint8_t f[32], pkt[128];
	struct ilp_fulfill ff = { f, NULL, 0 };
	struct ilp_sw_action act;
	size_t len = 0;

	memset(f, n, sizeof(f));
	CHECK_EQ(ilp_fulfill_encode(&ff, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(ilp_switch_response(&dmn.sw, hal_wall_ms(), handle, pkt, len, rbuf,
				     sizeof(rbuf), &act), ILP_OK);
	CHECK_SW();
}

/* Stops the daemon of the previous test (closes its listener). */
static void stop(void)
{
	int i;

	if (dmn.conf == NULL)
		return;
	ilpd_daemon_stop(&dmn, 0);
	for (i = 0; i < 100 && !ilpd_daemon_done(&dmn); i++)
		ilpd_daemon_step(&dmn, 10);
	CHECK(ilpd_daemon_done(&dmn));
}

static void start(void)
{
	static const char t0[] = HEAD
		"[peer alice]\nrelation = child\ntoken = alice-token-0001\nmax_packet_amount = 500\n"
		"[peer bob]\nrelation = child\ntoken = bob-token-00002\n"
		"[peer carol]\nrelation = peer\ntoken = carol-token-003\n"
		"[routes]\ntest.x = carol\ndefault = carol\n";

	stop();
	cur = 0;
	CHECK_EQ(ilpd_conf_load_string(&conf[0], "t.ini", expand(t0), &err), 0);
	CHECK_EQ(ilpd_daemon_start(&dmn, &conf[0]), 0);
	CHECK_SW();
	CHECK_EQ(slot_of("carol"), 2);
	CHECK_EQ(route("test.x.y"), 2);
}

static void test_restart_needed_refused(void)
{
	static const char t1[] = "[node]\naddress = test.other\n[btp]\nlisten = 127.0.0.1:@P\n"
		"[admin]\nlisten = off\n[peer zed]\nrelation = child\ntoken = zed-token-000001\n";
	static const char t2[] = "[node]\naddress = test.r\n[btp]\nlisten = 127.0.0.1:1\n"
		"[admin]\nlisten = off\n[peer zed]\nrelation = child\ntoken = zed-token-000001\n";
	static const char t3[] = "[node]\naddress = test.r\nasset_scale = 6\n[btp]\nlisten = 127.0.0.1:@P\n"
		"[admin]\nlisten = off\n";
	static const char t4[] = "[node]\naddress = test.r\n[btp]\nlisten = 127.0.0.1:@P\n[admin]\n"
		"listen = off\n[log]\nlevel = error\n";   /* no [ledger]: sync */
	static const char t5[] = "[node]\naddress = test.r\n[btp]\nlisten = 127.0.0.1:@P\n[admin]\n"
		"listen = off\n[log]\nlevel = error\n[ledger]\ndurability = off\n"
		"state_file = /elsewhere/ledger.state\n";
	static const char t6[] = "[node]\naddress = test.r\n[btp]\nlisten = 127.0.0.1:@P\n[admin]\n"
		"listen = off\n[settlement]\nlisten = 127.0.0.1:1\n";
	const char *why;

	start();
	CHECK_EQ(reload(t1, &why), -1);
	CHECK(strstr(why, "[node] address") != NULL && strstr(why, "needs a restart") != NULL);
	CHECK_EQ(reload(t2, &why), -1);
	CHECK(strstr(why, "[btp] listen") != NULL);
	CHECK_EQ(reload(t3, &why), -1);
	CHECK(strstr(why, "[node] asset") != NULL);
	CHECK_EQ(reload(t4, &why), -1);
	CHECK(strstr(why, "[ledger] durability changed: needs a restart") != NULL);
	CHECK_EQ(reload(t5, &why), -1);
	CHECK(strstr(why, "[ledger] state_file changed: needs a restart") != NULL);
	CHECK_EQ(reload(t6, &why), -1);
	CHECK(strstr(why, "[settlement] listen changed: needs a restart") != NULL);
	/* Nothing changed. */
	CHECK(dmn.conf == &conf[0]);
	CHECK_EQ(slot_of("alice"), 0);
	CHECK_EQ(slot_of("zed"), -1);
	CHECK_EQ(route("test.x.y"), 2);
	CHECK_EQ(dmn.retired, 0);
}

static void test_change_add_remove(void)
{
	/* alice: economics; bob: token (reconnect); carol removed; dave added. */
	static const char t1[] = HEAD
		"[limits]\nmin_message_window_ms = 500\nmax_hold_time_ms = 4000\n"
		"[peer alice]\nrelation = child\ntoken = alice-token-0001\nmax_packet_amount = 10\n"
		"max_balance = 5000\nmax_in_flight = 3\n"
		"[peer bob]\nrelation = child\ntoken = bob-token-changed\n"
		"[peer dave]\nrelation = child\ntoken = dave-token-0004\n"
		"[routes]\ntest.x = dave\ndefault = alice\n";
	const char *why;
	uint32_t h;

	start();
	/* A balance on alice that must survive the change of her limits. */
	ilp_switch_set_peer_up(&dmn.sw, 0, true);
	ilp_switch_set_peer_up(&dmn.sw, 1, true);
	h = forward(0, "test.r.bob", 300, 7);
	fulfill(h, 7);
	CHECK_EQ(dmn.sw.ledger.slot[0].balance, 300);

	CHECK_EQ(reload(t1, &why), 0);
	CHECK(dmn.conf == &conf[1]);
	CHECK_EQ(slot_of("alice"), 0);
	CHECK_EQ(slot_of("bob"), 1);
	CHECK_EQ(slot_of("carol"), -1);
	CHECK_EQ(slot_of("dave"), 2);   /* carol's slot, idle, reused at once */
	CHECK(strcmp(dmn.sw.peers[2].cfg.name, "dave") == 0);
	CHECK_EQ(dmn.sw.ledger.slot[2].balance, 0);
	CHECK_EQ(dmn.retired, 0);
	/* alice: new limits, same balance, link untouched (still up in the switch) */
	CHECK_EQ_U64(dmn.sw.peers[0].cfg.max_packet_amount, 10);
	CHECK_EQ(dmn.sw.ledger.slot[0].max_balance, 5000);
	CHECK_EQ(dmn.sw.peers[0].cfg.max_in_flight, 3);   /* economic: in place */
	CHECK_EQ(ilp_switch_peer_max_in_flight(&dmn.sw, 0), 3);
	CHECK_EQ(dmn.sw.peers[1].cfg.max_in_flight, ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT);
	CHECK_EQ(dmn.sw.ledger.slot[0].balance, 300);
	CHECK(dmn.sw.peers[0].up);
	/* bob: new token in the link's own copy; dropped (down in the switch) */
	CHECK(strcmp(dmn.link[1].conf->token, "bob-token-changed") == 0);
	CHECK(dmn.link[1].conf == &dmn.link[1].peer);
	CHECK(!dmn.sw.peers[1].up);
	CHECK_EQ(dmn.sw.ledger.slot[1].balance, -300);
	/* routes and windows */
	CHECK_EQ(route("test.x.y"), 2);
	CHECK_EQ(route("test.r.dave"), 2);
	CHECK_EQ(route("test.r.bob"), 1);
	CHECK_EQ(route("test.elsewhere"), 0);
	CHECK_EQ(dmn.sw.cfg.min_message_window_ms, 500);
	CHECK_EQ(dmn.sw.cfg.max_hold_time_ms, 4000);
	CHECK_EQ(dmn.conf->reconnect_min_ms, 100);
}

/* A removed peer with a packet of its own in flight keeps its switch slot
 * (retired) until the packet is answered; meanwhile the slot is not free. */
static void test_remove_with_packet_in_flight(void)
{
	static const char t1[] = HEAD
		"[peer alice]\nrelation = child\ntoken = alice-token-0001\n"
		"[peer carol]\nrelation = peer\ntoken = carol-token-003\n";
	static const char t2[] = HEAD
		"[peer alice]\nrelation = child\ntoken = alice-token-0001\n"
		"[peer carol]\nrelation = peer\ntoken = carol-token-003\n"
		"[peer erin]\nrelation = child\ntoken = erin-token-00005\n";
	const char *why;
	uint32_t from_bob, to_bob;
	size_t n;
	int i;

	start();
	ilp_switch_set_peer_up(&dmn.sw, 0, true);
	ilp_switch_set_peer_up(&dmn.sw, 1, true);
	from_bob = forward(1, "test.r.alice", 40, 1);   /* bob -> alice */
	to_bob = forward(0, "test.r.bob", 50, 2);       /* alice -> bob */
	CHECK_EQ(dmn.sw.peers[1].pending, 1);
	CHECK_EQ(dmn.sw.peers[1].pending_from, 1);

	CHECK_EQ(reload(t1, &why), 0);   /* bob removed */
	CHECK_EQ(slot_of("bob"), -1);
	CHECK(dmn.link[1].conf == NULL);
	CHECK(dmn.sw.peers[1].used && dmn.sw.peers[1].retired);
	CHECK_EQ(dmn.retired, 1);
	CHECK_EQ(route("test.r.bob"), ILP_ROUTE_NONE);   /* its child route is gone */
	/* the packet to bob was rejected (T01) at once, bob's own is pending */
	CHECK_EQ(ilp_switch_handle_peer(&dmn.sw, to_bob), ILP_ROUTE_NONE);
	CHECK_EQ(dmn.sw.peers[1].pending, 0);
	CHECK_EQ(dmn.sw.stats.pending_now, 1);
	ilpd_reload_progress(&dmn);
	CHECK_EQ(dmn.retired, 1);
	CHECK_SW();

	/* erin cannot have bob's slot yet. */
	CHECK_EQ(reload(t2, &why), 0);
	CHECK_EQ(slot_of("erin"), 3);
	CHECK(dmn.sw.peers[1].retired);

	/* Fill every other slot: the reload needs bob's, which is busy. */
	n = (size_t)snprintf(text, sizeof(text), "%s", HEAD);
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "[peer p%d]\nrelation = child\ntoken = peer-token-%05d\n", i, i);
	CHECK_EQ(reload(text, &why), -1);
	CHECK(strstr(why, "no free peer slot") != NULL);
	CHECK_EQ(slot_of("alice"), 0);

	fulfill(from_bob, 1);
	CHECK_EQ(dmn.sw.ledger.slot[0].balance, -40);
	ilpd_reload_progress(&dmn);
	CHECK_SW();
	CHECK_EQ(dmn.retired, 0);
	CHECK(!dmn.sw.peers[1].used);
	CHECK_EQ(reload(text, &why), 0);
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		CHECK(dmn.link[i].conf != NULL);
	CHECK_EQ(slot_of("alice"), -1);
}

/* A relation change (identity) moves the child route with the peer. */
static void test_relation_change(void)
{
	static const char t1[] = HEAD
		"[peer alice]\nrelation = peer\ntoken = alice-token-0001\nmax_packet_amount = 500\n"
		"[peer bob]\nrelation = child\ntoken = bob-token-00002\n"
		"[peer carol]\nrelation = child\ntoken = carol-token-003\n"
		"[routes]\ntest.x = carol\n";
	const char *why;

	start();
	CHECK_EQ(route("test.r.alice"), 0);
	CHECK_EQ(reload(t1, &why), 0);
	CHECK_EQ(dmn.sw.peers[0].cfg.relation, ILP_REL_PEER);
	CHECK_EQ(route("test.r.alice"), ILP_ROUTE_NONE);
	CHECK_EQ(route("test.r.carol"), 2);
	CHECK_EQ(route("test.x"), 2);
}

int main(void)
{
	struct hal_log_cfg lc = { HAL_LOG_ERROR, 1, 0 };
	hal_fd fd;

	hal_log_setup(&lc);
	if (hal_tcp_listen("127.0.0.1", 0, 1, &fd) != HAL_NET_OK ||
	    hal_tcp_local_port(fd, &port) != HAL_NET_OK) {
		th_fail(__FILE__, __LINE__, "no free port");
		return th_finish();
	}
	hal_close(fd);
	TH_RUN(test_restart_needed_refused);
	TH_RUN(test_change_add_remove);
	TH_RUN(test_remove_with_packet_in_flight);
	TH_RUN(test_relation_change);
	stop();
	return th_finish();
}
