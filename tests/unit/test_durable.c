/*
 * test_durable.c - the daemon's side of the durable ledger (durable.c) on a
 * running daemon with no traffic: packets are made directly on the
 * daemon's switch (as in test_reload.c), the loop runs ilpd_daemon_step(),
 * and the state file lives in a temp directory.
 *
 * Covered: sync mode commits in the iteration of the change; a failing
 * write marks the node unhealthy (/health, /metrics, T00 flag), is retried
 * only after DUR_RETRY_MS, and clears on the first good commit; interval
 * mode waits for sync_interval_ms and bounds the loop's wait by it; a
 * Prepare over BTP (a client on the daemon's loop) gets T00 while commits
 * fail; sync
 * with commit_interval_ms waits for the window; a clean stop leaves what
 * --dump-state reads; a second daemon on the same file is refused with the
 * exit code's flag set. The pipelined group commit: with a store whose
 * sync completes only when the test says so (test_sync_in_flight), the
 * loop keeps reading and answering while the group's sync is in flight,
 * but no answer leaves until the sync is done; then it does, and the
 * next group starts.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "durable.h"
#include "hal/hal_crypto.h"
#include "hal/hal_net.h"
#include "hal/hal_time.h"
#include "ilp/btp.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"
#include "th.h"

static struct ilpd_daemon dmn, other;
static struct ilpd_conf conf, conf2;
static struct ilpd_conf_err err;
static char text[4096], dir[64], out[65536];
static uint8_t rbuf[ILP_SWITCH_REPLY_MAX];
static uint16_t port;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A free port on 127.0.0.1 for the BTP listener (nobody connects). */
static uint16_t free_port(void)
{
	hal_fd fd;
	uint16_t p;

	for (p = 21000 + (uint16_t)(getpid() % 4000); p < 32000; p += 7) {
		if (hal_tcp_listen("127.0.0.1", p, 1, &fd) == HAL_NET_OK) {
			hal_close(fd);
			return p;
		}
	}
	return 0;
}

static int start(struct ilpd_daemon *d, struct ilpd_conf *c, const char *ledger)
{
	snprintf(text, sizeof(text),
		 "[node]\naddress = test.d\n[btp]\nlisten = 127.0.0.1:%u\n[admin]\nlisten = off\n"
		 "[log]\nlevel = error\n[ledger]\nstate_file = %s/ledger.state\n%s"
		 "[peer alice]\nrelation = child\ntoken = alice-token-0001\n"
		 "[peer bob]\nrelation = child\ntoken = bob-token-00002\n",
		 (unsigned)port, dir, ledger);
	if (ilpd_conf_load_string(c, "t.ini", text, &err) != 0) {
		th_fail(__FILE__, __LINE__, "config: %s", err.msg);
		return -1;
	}
	return ilpd_daemon_start(d, c);
}

static void stop(struct ilpd_daemon *d)
{
	int i;

	ilpd_daemon_stop(d, 0);
	for (i = 0; i < 100 && !ilpd_daemon_done(d); i++)
		ilpd_daemon_step(d, 10);
	CHECK(ilpd_daemon_done(d));
	ilpd_durable_stop(d);
}

/* Steps the loop until no group's sync is in flight (sync mode). */
static void settle(struct ilpd_daemon *d)
{
	int i;

	for (i = 0; i < 200 && ilpd_persist_sync_pending(&d->dur.p); i++)
		ilpd_daemon_step(d, 10);
	CHECK(!ilpd_persist_sync_pending(&d->dur.p));
}

/* alice pays bob `amount` through the switch (Prepare + Fulfill). */
static void pay(uint64_t amount, uint8_t n)
{
	uint8_t f[32], cond[32], pkt[256];
	struct ilp_prepare p;
	struct ilp_fulfill ff = { f, NULL, 0 };
	struct ilp_sw_action act;
	size_t len = 0;

	ilp_switch_set_peer_up(&dmn.sw, 0, true);
	ilp_switch_set_peer_up(&dmn.sw, 1, true);
	memset(f, n, sizeof(f));
	hal_sha256(f, 32, cond);
	memset(&p, 0, sizeof(p));
	p.amount = amount;
	p.expires_at = hal_wall_ms() + 20000;
	p.condition = cond;
	p.destination = (const uint8_t *)"test.d.bob";
	p.destination_len = strlen("test.d.bob");
	CHECK_EQ(ilp_prepare_encode(&p, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(ilp_switch_prepare(&dmn.sw, hal_wall_ms(), 0, 1, pkt, len, rbuf, sizeof(rbuf),
				    &act), ILP_OK);
	CHECK_EQ(act.kind, ILP_SW_FORWARD);
	CHECK_EQ(ilp_fulfill_encode(&ff, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(ilp_switch_response(&dmn.sw, hal_wall_ms(), act.tag, pkt, len, rbuf,
				     sizeof(rbuf), &act), ILP_OK);
}

static int fail_write(struct hal_store *s, uint32_t off, const void *buf, uint32_t len)
{
	(void)off;
	(void)buf;
	(void)len;
	snprintf(s->why, sizeof(s->why), "test: injected write failure");
	return HAL_STORE_ERROR;
}

static void test_sync_and_failure(void)
{
	static struct hal_store_ops bad;
	const struct hal_store_ops *good;
	uint64_t syncs;

	CHECK_EQ(start(&dmn, &conf, ""), 0);
	CHECK(dmn.dur.store_open);
	CHECK_EQ(dmn.dur.mode, ILPD_DUR_SYNC);
	CHECK(!dmn.dur.p.stats.recovered);
	syncs = dmn.dur.p.stats.syncs;
	pay(100, 1);
	CHECK(ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));
	CHECK_EQ(ilpd_durable_wait(&dmn, 1000), 0);   /* a commit is due at once */
	ilpd_daemon_step(&dmn, 0);
	CHECK(!ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));   /* written; its sync runs */
	settle(&dmn);
	CHECK_EQ_U64(dmn.dur.p.stats.syncs, syncs + 1);

	/* A failing write: unhealthy, refusing, retried only after a delay. */
	good = dmn.dur.store.ops;
	bad = *good;
	bad.write = fail_write;
	dmn.dur.store.ops = &bad;
	pay(50, 2);
	ilpd_daemon_step(&dmn, 0);
	CHECK(ilpd_durable_refusing(&dmn.dur));
	CHECK_EQ_U64(dmn.dur.p.stats.sync_failures, 1);
	CHECK(ilpd_health_json(&dmn, out, sizeof(out)) > 0);
	CHECK(strstr(out, "\"status\":\"unhealthy\"") != NULL);
	CHECK(strstr(out, "\"healthy\":false}") != NULL);
	CHECK(ilpd_metrics_text(&dmn, out, sizeof(out)) > 0);
	CHECK(strstr(out, "ilpd_persist_sync_failures_total 1\n") != NULL);
	CHECK(strstr(out, "ilpd_persist_healthy 0\n") != NULL);
	ilpd_daemon_step(&dmn, 0);   /* within the retry delay: no new attempt */
	CHECK_EQ_U64(dmn.dur.p.stats.sync_failures, 1);
	CHECK(ilpd_durable_wait(&dmn, 1000) <= 100);
	dmn.dur.store.ops = good;
	sleep_ms(110);
	ilpd_daemon_step(&dmn, 0);
	settle(&dmn);
	CHECK(!ilpd_durable_refusing(&dmn.dur));
	CHECK(!ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));
	CHECK(ilpd_health_json(&dmn, out, sizeof(out)) > 0);
	CHECK(strstr(out, "\"persistence\":{\"mode\":\"sync\",\"lastSyncAgeMs\":") != NULL);
	CHECK(strstr(out, "\"unhealthy\"") == NULL);

	/* A second daemon on the same file is refused (exit status 4). */
	CHECK_EQ(start(&other, &conf2, ""), -1);
	CHECK(other.dur.state_error);
	CHECK(strstr(other.dur.why, "is in use by another ilpd") != NULL);

	stop(&dmn);
	CHECK(ilpd_durable_dump(&dmn.dur, &conf, out, sizeof(out)) > 0);
	CHECK(strstr(out, "\"alice\":{\"balance\":\"150\",\"fulfilled\":2}") != NULL);
	CHECK(strstr(out, "\"bob\":{\"balance\":\"-150\",\"fulfilled\":2}") != NULL);
}

/* ---- a BTP client on the daemon's own loop (the T00 case) ----------------- */

static struct wsconn cli;
static struct {
	bool open, authed;
	int answers;
	char code[4];
} cs;

static void cli_open(struct wsconn *c, void *user)
{
	uint8_t buf[256];
	size_t len = 0;

	(void)user;
	cs.open = true;
	CHECK_EQ(btp_auth_encode(1, (const uint8_t *)"alice", 5, (const uint8_t *)"alice-token-0001",
				 16, buf, sizeof(buf), &len), ILP_OK);
	CHECK_EQ(wsconn_send(c, WS_OP_BINARY, buf, len), 0);
}

static void cli_message(struct wsconn *c, uint8_t op, uint8_t *data, size_t len, void *user)
{
	struct btp_frame f;
	struct ilp_reject rj;
	const uint8_t *ilp;
	const char *why = "";
	size_t n;

	(void)c;
	(void)op;
	(void)user;
	if (btp_frame_decode(data, len, &f, &why) != ILP_OK)
		return;
	if (f.request_id == 1) {
		cs.authed = f.type == BTP_RESPONSE;
		return;
	}
	cs.answers++;
	if (btp_ilp_find(&f, &ilp, &n) && ilp_reject_decode(ilp, n, &rj, &why) == ILP_OK)
		memcpy(cs.code, rj.code, 3);
}

static void cli_close(struct wsconn *c, const char *reason, void *user)
{
	(void)c;
	(void)reason;
	(void)user;
	cs.open = false;
}

static const struct wsconn_cbs cli_cbs = { cli_open, cli_message, cli_close };

/* While commits fail, a Prepare that arrives over BTP is rejected T00 by
 * ilpd itself; once a commit succeeds, Prepares are forwarded again. */
static void test_t00_over_btp(void)
{
	static struct hal_store_ops bad;
	const struct hal_store_ops *good;
	uint8_t f[32], cond[32], pkt[256], frame[512];
	struct ilp_prepare p;
	size_t len = 0, flen = 0;
	int i;

	CHECK_EQ(start(&dmn, &conf, ""), 0);
	memset(&cs, 0, sizeof(cs));
	CHECK_EQ(wsconn_connect(&cli, &dmn.loop, "127.0.0.1", port, "127.0.0.1", "/", &cli_cbs,
				NULL), 0);
	for (i = 0; i < 200 && !cs.authed; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK(cs.authed);
	good = dmn.dur.store.ops;
	bad = *good;
	bad.write = fail_write;
	dmn.dur.store.ops = &bad;
	pay(1, 5);                    /* a change the store cannot take */
	ilpd_daemon_step(&dmn, 0);
	CHECK(ilpd_durable_refusing(&dmn.dur));
	memset(f, 9, sizeof(f));
	hal_sha256(f, 32, cond);
	memset(&p, 0, sizeof(p));
	p.amount = 10;
	p.expires_at = hal_wall_ms() + 20000;
	p.condition = cond;
	p.destination = (const uint8_t *)"test.d.bob";
	p.destination_len = strlen("test.d.bob");
	CHECK_EQ(ilp_prepare_encode(&p, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(btp_ilp_encode(BTP_MESSAGE, 2, pkt, len, frame, sizeof(frame), &flen), ILP_OK);
	CHECK_EQ(wsconn_send(&cli, WS_OP_BINARY, frame, flen), 0);
	for (i = 0; i < 200 && cs.answers == 0; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ(cs.answers, 1);
	CHECK(memcmp(cs.code, "T00", 3) == 0);
	dmn.dur.store.ops = good;
	sleep_ms(110);
	ilpd_daemon_step(&dmn, 0);
	settle(&dmn);
	CHECK(!ilpd_durable_refusing(&dmn.dur));
	wsconn_abort(&cli, "test over");
	stop(&dmn);
}

/* A store whose asynchronous sync completes when fake_done is set (the
 * real one does the work then, synchronously). */
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

/* A Prepare (to bob, who has no connection: rejected by ilpd) sent by the
 * BTP client with request id `id`. */
static void cli_prepare(uint32_t id, uint8_t n)
{
	uint8_t f[32], cond[32], pkt[256], frame[512];
	struct ilp_prepare p;
	size_t len = 0, flen = 0;

	memset(f, n, sizeof(f));
	hal_sha256(f, 32, cond);
	memset(&p, 0, sizeof(p));
	p.amount = 10;
	p.expires_at = hal_wall_ms() + 20000;
	p.condition = cond;
	p.destination = (const uint8_t *)"test.d.bob";
	p.destination_len = strlen("test.d.bob");
	CHECK_EQ(ilp_prepare_encode(&p, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(btp_ilp_encode(BTP_MESSAGE, id, pkt, len, frame, sizeof(frame), &flen), ILP_OK);
	CHECK_EQ(wsconn_send(&cli, WS_OP_BINARY, frame, flen), 0);
}

/* Pipelined group commit: while a group's sync is in flight the loop goes
 * on (reads, handles, queues answers) but nothing it queued leaves; the
 * completion releases it; changes made meanwhile form the next group. */
static void test_sync_in_flight(void)
{
	static struct hal_store_ops fake;
	uint64_t syncs, handled;
	int i;

	CHECK_EQ(start(&dmn, &conf, ""), 0);
	memset(&cs, 0, sizeof(cs));
	CHECK_EQ(wsconn_connect(&cli, &dmn.loop, "127.0.0.1", port, "127.0.0.1", "/", &cli_cbs,
				NULL), 0);
	for (i = 0; i < 200 && !cs.authed; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK(cs.authed);
	settle(&dmn);
	fake_good = dmn.dur.store.ops;
	fake = *fake_good;
	fake.sync_start = fake_sync_start;
	fake.sync_finish = fake_sync_finish;
	dmn.dur.store.ops = &fake;
	fake_done = false;
	fake_starts = 0;
	syncs = dmn.dur.p.stats.syncs;

	/* The client's Prepare leaves (nothing to make durable yet). */
	cli_prepare(2, 11);
	ilpd_daemon_step(&dmn, 0);
	/* A balance change: its group is written and its sync started. (The
	 * Prepare may be read in this step or a later one.) */
	handled = dmn.sw.stats.prepares + 1;   /* pay()'s */
	pay(2, 12);
	ilpd_daemon_step(&dmn, 0);
	CHECK_EQ(fake_starts, 1);
	CHECK(ilpd_persist_sync_pending(&dmn.dur.p));
	CHECK(!ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));
	/* The loop goes on: ilpd reads and answers the Prepare, a second
	 * change is made; the answer stays inside while the sync runs. */
	for (i = 0; i < 40 && dmn.sw.stats.prepares == handled; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ_U64(dmn.sw.stats.prepares, handled + 1);
	pay(3, 13);
	for (i = 0; i < 10; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ(cs.answers, 0);
	CHECK_EQ(fake_starts, 1);               /* no second group while one runs */
	CHECK(ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));
	CHECK(ilpd_persist_sync_pending(&dmn.dur.p));
	CHECK_EQ_U64(dmn.dur.p.stats.syncs, syncs);
	/* A sync that runs for over ILPD_DUR_STALL_MS (a stalling disk) makes
	 * /health unhealthy, with how long it has run (review: a hung
	 * fdatasync showed as healthy while all output waited). */
	{
		char h[8192];

		CHECK(ilpd_health_json(&dmn, h, sizeof(h)) > 0);
		CHECK(strstr(h, "\"status\":\"unhealthy\"") == NULL);
		CHECK(strstr(h, "\"syncRunningMs\":") != NULL);
		dmn.dur.p.pend_t0 -= (int64_t)(ILPD_DUR_STALL_MS + 500) * 1000;
		CHECK(ilpd_durable_stalled(&dmn.dur));
		CHECK(ilpd_health_json(&dmn, h, sizeof(h)) > 0);
		CHECK(strstr(h, "\"status\":\"unhealthy\"") != NULL);
		CHECK(strstr(h, "\"healthy\":false}") != NULL);
	}
	/* The sync completes: the answer goes, the second group starts. */
	fake_done = true;
	for (i = 0; i < 200 && cs.answers == 0; i++)
		ilpd_daemon_step(&dmn, 5);
	CHECK_EQ(cs.answers, 1);
	settle(&dmn);
	CHECK_EQ(fake_starts, 2);
	CHECK_EQ_U64(dmn.dur.p.stats.syncs, syncs + 2);
	CHECK(!ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));
	dmn.dur.store.ops = fake_good;
	wsconn_abort(&cli, "test over");
	stop(&dmn);
	CHECK(ilpd_durable_dump(&dmn.dur, &conf, out, sizeof(out)) > 0);
	CHECK(strstr(out, "\"alice\":{\"balance\":\"156\"") != NULL);
}

static void test_recovered_interval(void)
{
	int64_t t0;
	int w;

	CHECK_EQ(start(&dmn, &conf, "durability = interval\nsync_interval_ms = 200\n"), 0);
	CHECK(dmn.dur.p.stats.recovered);
	/* + test_t00_over_btp's 1, test_sync_in_flight's 2 + 3 */
	CHECK_EQ(dmn.sw.ledger.slot[0].balance, 156);
	CHECK_EQ(dmn.sw.ledger.slot[1].balance, -156);
	t0 = hal_mono_ms();
	pay(7, 3);
	ilpd_daemon_step(&dmn, 0);
	if (hal_mono_ms() - t0 < 150)   /* the start-up snapshot synced just now */
		CHECK(ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));
	w = ilpd_durable_wait(&dmn, 5000);
	CHECK(w >= 0 && w <= 200);
	sleep_ms(w + 5);
	ilpd_daemon_step(&dmn, 0);
	CHECK(!ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));
	stop(&dmn);
	CHECK(ilpd_durable_dump(&dmn.dur, &conf, out, sizeof(out)) > 0);
	CHECK(strstr(out, "\"alice\":{\"balance\":\"163\"") != NULL);
}

static void test_commit_window(void)
{
	int w;

	CHECK_EQ(start(&dmn, &conf, "commit_interval_ms = 80\n"), 0);
	pay(3, 4);
	ilpd_daemon_step(&dmn, 0);
	CHECK(ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));   /* the window is open */
	w = ilpd_durable_wait(&dmn, 5000);
	CHECK(w >= 0 && w <= 80);
	sleep_ms(w + 5);
	ilpd_daemon_step(&dmn, 0);
	CHECK(!ilpd_persist_dirty(&dmn.dur.p, &dmn.sw));
	stop(&dmn);
}

int main(void)
{
	char tmpl[] = "/tmp/ilpd-durable.XXXXXX";
	int r;

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", tmpl);
	port = free_port();
	TH_RUN(test_sync_and_failure);
	TH_RUN(test_t00_over_btp);
	TH_RUN(test_sync_in_flight);
	TH_RUN(test_recovered_interval);
	TH_RUN(test_commit_window);
	r = th_finish();
	snprintf(text, sizeof(text), "%s/ledger.state", dir);
	(void)unlink(text);
	(void)rmdir(dir);
	return r;
}
