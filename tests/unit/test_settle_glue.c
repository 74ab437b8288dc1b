/*
 * test_settle_glue.c - the daemon's settlement (firmware/settle_glue.c and
 * settle_api.c) in one process: a daemon whose peer "bob" has a settlement
 * engine, with the test as the engine on both sides - an HTTP server on
 * loopback that answers ilpd's calls (accounts, settlements) from the
 * same event loop, and a client of the [settlement] listener. Checks:
 * the account is created, a balance below settle_threshold is moved to
 * "settling" and asked for with an Idempotency-Key, a 5xx is retried with
 * the same key, a 201 closes it; an engine refusal (4xx) gives the amount
 * back; credits (exact scale conversion, the leftover answered), a
 * duplicate key credited once, 404/400/405/411 with reasons, a message
 * to a peer whose link is down (503); /health's settlement object; a
 * reload that removes bob deletes its account at the engine. Durability
 * is off here (test_persist covers the journal).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "hal/hal_net.h"
#include "hal/hal_time.h"
#include "persist.h"
#include "settle_glue.h"
#include "th.h"

static struct ilpd_daemon D;
static struct ilpd_conf conf, conf2;
static struct ilpd_conf_err err;
static char text[2048];
static uint16_t api_port, eng_port;

/* ---- the fake engine: one connection at a time, Connection: close ------- */

static hal_fd eng_fd = HAL_FD_NONE;
static int eng_io = -1;
static int eng_status = 201;          /* answer to /settlements */
static const char *eng_body;          /* its 2xx body; NULL: echo the request's */
static char eng_seen[8][512];         /* request heads+bodies seen (ring) */
#define ENG_LAST eng_seen[(eng_n - 1) % 8]
static int eng_n;
static int eng_del_status = 200;      /* answer to DELETE */
static int eng_del_bob;               /* DELETE /eng/accounts/bob seen */

/* One engine-side connection, read from the event loop (the daemon writes
 * its request from the same loop). */
static struct {
	hal_fd fd;
	int io;
	size_t n;
	char buf[4096];
} ec[4];

static void eng_answer(int k)
{
	char out[512];
	const char *body = strstr(ec[k].buf, "\r\n\r\n");
	size_t m = ec[k].n < sizeof(eng_seen[0]) - 1 ? ec[k].n : sizeof(eng_seen[0]) - 1;
	int status = 201, len;

	memcpy(eng_seen[eng_n % 8], ec[k].buf, m);
	eng_seen[eng_n++ % 8][m] = '\0';
	body = body != NULL ? body + 4 : "";
	if (strncmp(ec[k].buf, "DELETE ", 7) == 0) {
		status = eng_del_status;
		if (strncmp(ec[k].buf, "DELETE /eng/accounts/bob ", 25) == 0)
			eng_del_bob++;
	}
	if (strstr(ec[k].buf, "/settlements") != NULL) {
		status = eng_status;
		if (eng_body != NULL)
			body = eng_body;
	}
	len = snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
		       "Connection: close\r\n\r\n%s", status,
		       status / 100 == 2 ? strlen(body) : 0, status / 100 == 2 ? body : "");
	(void)hal_tcp_send(ec[k].fd, out, (size_t)len);
}

static void eng_read(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	int k = (int)(intptr_t)arg;
	const char *body, *cl;
	long r;

	(void)id;
	(void)revents;
	r = hal_tcp_recv(ec[k].fd, ec[k].buf + ec[k].n, sizeof(ec[k].buf) - 1 - ec[k].n);
	if (r == HAL_NET_AGAIN)
		return;
	if (r > 0) {
		ec[k].n += (size_t)r;
		ec[k].buf[ec[k].n] = '\0';
		body = strstr(ec[k].buf, "\r\n\r\n");
		if (body == NULL)
			return;
		cl = strstr(ec[k].buf, "Content-Length: ");
		if (ec[k].n < (size_t)(body + 4 - ec[k].buf) +
			      (cl != NULL ? (size_t)atoi(cl + 16) : 0))
			return;
		eng_answer(k);
	}
	ev_io_del(loop, ec[k].io);
	hal_close(ec[k].fd);
	ec[k].fd = HAL_FD_NONE;
}

static void eng_accept(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	hal_fd fd;
	char ip[HAL_IP_STR_MAX];
	int k;

	(void)id;
	(void)revents;
	(void)arg;
	while (hal_tcp_accept(eng_fd, &fd, ip) == HAL_NET_OK) {
		for (k = 0; k < 4 && ec[k].fd != HAL_FD_NONE; k++)
			;
		if (k == 4) {
			hal_close(fd);
			continue;
		}
		ec[k].fd = fd;
		ec[k].n = 0;
		ec[k].io = ev_io_add(loop, fd, HAL_POLL_IN, eng_read, (void *)(intptr_t)k);
	}
}

/* ---- helpers -------------------------------------------------------------- */

static uint16_t free_port(uint16_t from)
{
	hal_fd fd;
	uint16_t p;

	for (p = from; p < 32000; p += 7) {
		if (hal_tcp_listen("127.0.0.1", p, 1, &fd) == HAL_NET_OK) {
			hal_close(fd);
			return p;
		}
	}
	return 0;
}

/* Runs the loop until cond holds or 5 s passed (the machine may be busy). */
#define WAIT_FOR(cond)                                                       \
	do {                                                                 \
		int64_t end_ = hal_mono_ms() + 5000;                         \
		while (!(cond) && hal_mono_ms() < end_)                      \
			ilpd_daemon_step(&D, 10);                            \
	} while (0)

static void run_for(int64_t ms)
{
	int64_t end = hal_mono_ms() + ms;

	while (hal_mono_ms() < end)
		ilpd_daemon_step(&D, 10);
}

/* Sends one request to the settlement listener, runs the loop until the
 * answer is complete (Connection: close), returns the status; the body in
 * out. */
static int api(const char *method, const char *path, const char *headers, const char *body,
	       char *out, size_t cap)
{
	static char req[12000], resp[8192];
	hal_fd fd;
	size_t n = 0, off = 0, rl;
	int64_t end = hal_mono_ms() + 5000;
	const char *b;
	long r;

	rl = (size_t)snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %zu"
			      "\r\n\r\n%s", method, path, headers, strlen(body), body);
	if (hal_tcp_connect("127.0.0.1", api_port, &fd) != HAL_NET_OK)
		return -1;
	while (hal_mono_ms() < end) {
		ilpd_daemon_step(&D, 5);
		if (off < rl) {
			r = hal_tcp_send(fd, req + off, rl - off);
			if (r > 0)
				off += (size_t)r;
			continue;
		}
		r = hal_tcp_recv(fd, resp + n, sizeof(resp) - 1 - n);
		if (r > 0)
			n += (size_t)r;
		else if (r == 0 || r != HAL_NET_AGAIN)
			break;
	}
	hal_close(fd);
	resp[n] = '\0';
	b = strstr(resp, "\r\n\r\n");
	b = b != NULL ? b + 4 : "";
	n = strlen(b) < cap - 1 ? strlen(b) : cap - 1;
	memcpy(out, b, n);
	out[n] = '\0';
	return n > 12 ? atoi(resp + 9) : -1;
}

static int slot_bob(void)
{
	return ilpd_settle_peer(&D, "bob", 3);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_account_and_settlement(void)
{
	int b = slot_bob();
	struct settle_peer *st;
	char k1[64] = "", *p;
	int64_t t0;
	uint32_t f0;
	int n0;

	CHECK(b >= 0);
	if (b < 0)
		return;
	st = &ilpd_settle_state.peer[b];
	WAIT_FOR(eng_n >= 1 && D.sw.ledger.slot[b].flags != 0);
	run_for(150);
	CHECK(eng_n >= 1 && strstr(eng_seen[0], "POST /eng/accounts HTTP/1.1") != NULL);
	CHECK(strstr(eng_seen[0], "{\"id\":\"bob\"}") != NULL);
	/* ilpd owes bob 1500 (balance -1500 < threshold -1000): settle up to 0,
	 * 1500 at scale 2 = 150000 at the engine's scale 4; a 503 first */
	eng_status = 503;
	CHECK_EQ(ledger_settle(&D.sw.ledger, (size_t)b, 1500), ILP_OK);
	WAIT_FOR(st->failures >= 1);
	CHECK_EQ_U64(st->settling, 1500);
	CHECK_EQ(D.sw.ledger.slot[b].balance, 0);
	CHECK_EQ_U64(D.sw.ledger.slot[b].pending_out, 1500);   /* held against min_balance */
	CHECK(st->failures >= 1);
	{
		/* it answered: an error, not unreachable */
		char h[1024];

		(void)ilpd_settle_health_json(&D, (uint16_t)b, h, sizeof(h));
		if (strstr(h, "\"engine\":\"error\"") == NULL)
			th_fail(__FILE__, __LINE__, "after a 503: %s", h);
		CHECK_EQ(st->engine_up, SETTLE_ENGINE_ERROR);
	}
	CHECK(eng_n >= 2);
	p = strstr(eng_seen[1], "Idempotency-Key: ");
	CHECK(p != NULL && strstr(eng_seen[1], "POST /eng/accounts/bob/settlements") != NULL);
	CHECK(strstr(eng_seen[1], "{\"amount\":\"150000\",\"scale\":4}") != NULL);
	if (p != NULL)
		memcpy(k1, p, 38);
	/* a 2xx that names no quantity: not paid on a guess, asked again */
	f0 = st->failures;
	eng_status = 200;
	eng_body = "ok";
	WAIT_FOR(st->failures > f0);
	CHECK(st->failures > f0);
	CHECK_EQ_U64(st->settling, 1500);
	CHECK_EQ_U64(st->settled_total, 0);
	eng_body = NULL;
	/* then 201: the same key again, closed */
	eng_status = 201;
	WAIT_FOR(st->settling == 0);
	CHECK_EQ_U64(st->settling, 0);
	CHECK_EQ_U64(st->settled_total, 1500);
	CHECK_EQ_U64(D.sw.ledger.slot[b].pending_out, 0);
	CHECK_EQ(D.sw.ledger.slot[b].balance, 0);
	CHECK(eng_n >= 3 && strncmp(strstr(ENG_LAST, "Idempotency-Key: "), k1,
				    strlen(k1)) == 0);
	/* a refusal (4xx) gives it back */
	eng_status = 400;
	n0 = eng_n;
	CHECK_EQ(ledger_settle(&D.sw.ledger, (size_t)b, 1200), ILP_OK);
	WAIT_FOR(eng_n > n0 && st->settling == 0 && D.sw.ledger.slot[b].balance == -1200);
	t0 = hal_mono_ms();
	CHECK_EQ_U64(st->settling, 0);
	CHECK_EQ(D.sw.ledger.slot[b].balance, -1200);
	CHECK_EQ_U64(D.sw.ledger.slot[b].pending_out, 0);
	eng_status = 201;
	WAIT_FOR(st->requests >= 3);                   /* due again ... */
	CHECK(hal_mono_ms() - t0 >= 350);              /* ... after the backoff */
	WAIT_FOR(st->settling == 0);                   /* settled */
	CHECK_EQ(D.sw.ledger.slot[b].balance, 0);
	CHECK_EQ_U64(st->settled_total, 2700);
}

static void test_credits(void)
{
	char out[512];
	int b = slot_bob();
	int64_t bal;

	if (b < 0)
		return;
	/* bob owes ilpd 2000: its payment lowers that (and never below the
	 * threshold here, which would make ilpd pay it back) */
	CHECK_EQ(ledger_settle(&D.sw.ledger, (size_t)b, -2000), ILP_OK);
	bal = D.sw.ledger.slot[b].balance;
	/* 123456 at scale 4 = 1234.56 at scale 2: 1234 credited, 56 left */
	CHECK_EQ(api("POST", "/accounts/bob/settlements", "Idempotency-Key: c1\r\n",
		     "{\"amount\":\"123456\",\"scale\":4}", out, sizeof(out)), 201);
	CHECK(strcmp(out, "{\"amount\":\"123400\",\"scale\":4}") == 0);
	CHECK_EQ(D.sw.ledger.slot[b].balance, bal - 1234);
	CHECK_EQ(api("POST", "/accounts/bob/settlements", "Idempotency-Key: c1\r\n",
		     "{\"amount\":\"123456\",\"scale\":4}", out, sizeof(out)), 201);
	CHECK(strcmp(out, "{\"amount\":\"123400\",\"scale\":4}") == 0);
	CHECK_EQ(D.sw.ledger.slot[b].balance, bal - 1234);   /* once */
	CHECK_EQ(api("POST", "/accounts/carol/settlements", "Idempotency-Key: c2\r\n",
		     "{\"amount\":\"1\",\"scale\":2}", out, sizeof(out)), 404);
	CHECK(strstr(out, "unknown account") != NULL);
	CHECK_EQ(api("POST", "/accounts/bob/settlements", "", "{\"amount\":\"1\",\"scale\":2}",
		     out, sizeof(out)), 400);
	CHECK(strstr(out, "Idempotency-Key") != NULL);
	CHECK_EQ(api("POST", "/accounts/bob/settlements", "Idempotency-Key: c3\r\n",
		     "{\"amount\":-1,\"scale\":2}", out, sizeof(out)), 400);
	CHECK_EQ(api("POST", "/accounts/bob/settlements", "Idempotency-Key: c3\r\n",
		     "{\"amount\":1,\"scale\":2}", out, sizeof(out)), 400);
	CHECK(strstr(out, "amount must be a string of digits") != NULL);
	CHECK_EQ(api("POST", "/accounts/bob/settlements", "Idempotency-Key: c3\r\n",
		     "{\"amount\":\"1\",\"scale\":300}", out, sizeof(out)), 400);
	CHECK_EQ(api("POST", "/accounts/bob/settlements", "Idempotency-Key: c3\r\n", "{x",
		     out, sizeof(out)), 400);
	CHECK_EQ(api("GET", "/accounts/bob/settlements", "", "", out, sizeof(out)), 405);
	CHECK_EQ(api("POST", "/nope", "", "", out, sizeof(out)), 404);
	CHECK_EQ(api("POST", "/accounts/bob/settlements", "Transfer-Encoding: chunked\r\n", "",
		     out, sizeof(out)), 411);
	CHECK_EQ(D.sw.ledger.slot[b].balance, bal - 1234);   /* nothing else credited */
	/* a message while bob's link is down */
	CHECK_EQ(api("POST", "/accounts/bob/messages", "", "{\"m\":1}", out, sizeof(out)), 503);
}

static void test_health(void)
{
	char out[1024];
	int b = slot_bob();
	size_t n;

	if (b < 0)
		return;
	n = ilpd_settle_health_json(&D, (uint16_t)b, out, sizeof(out));
	CHECK(n > 0);
	if (strstr(out, "\"settling\":\"0\"") == NULL)
		th_fail(__FILE__, __LINE__, "health: %s", out);
	CHECK(strstr(out, ",\"settlement\":{\"engine\":\"reachable\",\"account\":true,"
			  "\"settling\":\"0\"") != NULL);
	CHECK(strstr(out, "\"credited\":\"1234\"") != NULL);
	n = ilpd_settle_metrics_text(&D, out, sizeof(out));
	CHECK(n > 0 && strstr(out, "ilpd_settlements_total{outcome=\"refused\"} 1") != NULL);
	/* per peer, on /metrics (admin.c) */
	{
		static char m[ILPD_ADMIN_OUT_MAX];
		static const char *const want[] = {
			"ilpd_peer_settling{peer=\"bob\"} 0\n",
			"ilpd_peer_settled_total{peer=\"bob\"} 2700\n",
			"ilpd_peer_credited_total{peer=\"bob\"} 1234\n",
			"ilpd_peer_engine_reachable{peer=\"bob\"} 1\n",
			"# TYPE ilpd_peer_settlement_failures_total counter\n",
			"ilpd_peer_last_settlement_ms{peer=\"bob\"} 1",
		};
		const char *f;
		size_t k;

		n = ilpd_metrics_text(&D, m, sizeof(m));
		CHECK(n > 0);
		for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			if (strstr(m, want[k]) == NULL)
				th_fail(__FILE__, __LINE__, "/metrics lacks %s", want[k]);
		/* 3 failed attempts (503, 2xx without a quantity) and a refusal */
		f = strstr(m, "ilpd_peer_settlement_failures_total{peer=\"bob\"} ");
		CHECK(f != NULL && atoi(strchr(f, ' ') + 1) >= 3);
	}
}

static bool eng_saw(const char *what)
{
	int k;

	for (k = 0; k < 8 && k < eng_n; k++)
		if (strstr(eng_seen[(eng_n - 1 - k) % 8], what) != NULL)
			return true;
	return false;
}

/* dave's engine has scale 28, its ledger 9: one request can name at most
 * one ledger unit (10^19 engine units). A settlement of 5 is asked for in
 * parts, each after the backoff, never at the tick's pace. */
static void test_scale_range(void)
{
	static struct ilpd_conf conf3;
	static char t3[sizeof(text) + 256];
	const char *why = NULL;
	struct settle_peer *st;
	int dv;

	snprintf(t3, sizeof(t3), "%s[peer dave]\nrelation = peer\nurl = ws://127.0.0.1:1/\n"
		 "token = t2\nasset_scale = 9\nsettlement_engine = http://127.0.0.1:%u/eng\n"
		 "settle_threshold = -1\nsettle_to = 0\nsettlement_scale = 28\n", text,
		 (unsigned)eng_port);
	if (ilpd_conf_load_string(&conf3, "t3.ini", t3, &err) != 0) {
		th_fail(__FILE__, __LINE__, "config: %s", err.msg);
		return;
	}
	CHECK_EQ(ilpd_daemon_reload(&D, &conf3, &why), 0);
	dv = ilpd_settle_peer(&D, "dave", 4);
	CHECK(dv >= 0);
	if (dv < 0)
		return;
	st = &ilpd_settle_state.peer[dv];
	WAIT_FOR(eng_saw("{\"id\":\"dave\"}"));
	run_for(150);
	eng_status = 201;
	CHECK_EQ(ledger_settle(&D.sw.ledger, (size_t)dv, 5), ILP_OK);
	WAIT_FOR(st->requests >= 1 && st->settling == 0);
	CHECK_EQ_U64(st->settled_total, 1);
	CHECK(eng_saw("{\"amount\":\"10000000000000000000\",\"scale\":28}"));
	run_for(300);
	CHECK_EQ(st->requests, 1);                    /* not again at once */
	WAIT_FOR(st->requests >= 2 && st->settling == 0);
	CHECK_EQ_U64(st->settled_total, 2);
	CHECK_EQ(D.sw.ledger.slot[dv].balance, -3);
}

/* bob removed by a reload: its account is deleted at the engine (a 5xx is
 * retried; bob re-added cancels it), and the
 * listener no longer knows it. */
static void test_remove(void)
{
	char out[256];
	const char *why = NULL;
	int n0;

	snprintf(text, sizeof(text),
		 "[node]\naddress = test.s\nasset_scale = 2\n[btp]\nlisten = off\n"
		 "[admin]\nlisten = off\n[log]\nlevel = error\n[ledger]\ndurability = off\n"
		 "[settlement]\nlisten = 127.0.0.1:%u\n"
		 "[peer carol]\nrelation = peer\nurl = ws://127.0.0.1:1/\ntoken = t\n",
		 (unsigned)api_port);
	if (ilpd_conf_load_string(&conf2, "t2.ini", text, &err) != 0) {
		th_fail(__FILE__, __LINE__, "config: %s", err.msg);
		return;
	}
	/* the engine answers the DELETE 503: tried again, with backoff */
	eng_del_status = 503;
	CHECK_EQ(ilpd_daemon_reload(&D, &conf2, &why), 0);
	WAIT_FOR(eng_del_bob >= 2);
	CHECK(eng_del_bob >= 2);
	CHECK(slot_bob() < 0);
	/* bob is back before it was deleted: the delete is dropped, its
	 * account set up again */
	n0 = eng_del_bob;
	CHECK_EQ(ilpd_daemon_reload(&D, &conf, &why), 0);
	CHECK(slot_bob() >= 0);
	run_for(1600);
	CHECK_EQ(eng_del_bob, n0);
	CHECK(eng_saw("POST /eng/accounts HTTP/1.1"));
	/* removed again, the engine answers: deleted once, not again */
	eng_del_status = 200;
	n0 = eng_del_bob;
	CHECK_EQ(ilpd_daemon_reload(&D, &conf2, &why), 0);
	WAIT_FOR(eng_del_bob > n0);
	run_for(1200);
	CHECK_EQ(eng_del_bob, n0 + 1);
	if (!eng_saw("DELETE /eng/accounts/bob HTTP/1.1"))
		th_fail(__FILE__, __LINE__, "engine saw %d requests, last: %.80s", eng_n,
			eng_n > 0 ? ENG_LAST : "");
	CHECK(slot_bob() < 0);
	CHECK_EQ(api("POST", "/accounts/bob/settlements", "Idempotency-Key: c9\r\n",
		     "{\"amount\":\"1\",\"scale\":2}", out, sizeof(out)), 404);
}

int main(void)
{
	int i;

	api_port = free_port((uint16_t)(21000 + getpid() % 4000));
	eng_port = free_port((uint16_t)(api_port + 1));
	if (api_port == 0 || eng_port == 0 || eng_port == api_port) {
		fprintf(stderr, "no free port\n");
		return 1;
	}
	snprintf(text, sizeof(text),
		 "[node]\naddress = test.s\nasset_scale = 2\n[btp]\nlisten = off\n"
		 "[admin]\nlisten = off\n[log]\nlevel = error\n[ledger]\ndurability = off\n"
		 "[settlement]\nlisten = 127.0.0.1:%u\n"
		 "[peer bob]\nrelation = peer\nurl = ws://127.0.0.1:1/\ntoken = t\n"
		 "settlement_engine = http://127.0.0.1:%u/eng\nsettle_threshold = -1000\n"
		 "settle_to = 0\nsettlement_scale = 4\n", (unsigned)api_port, (unsigned)eng_port);
	if (ilpd_conf_load_string(&conf, "t.ini", text, &err) != 0) {
		fprintf(stderr, "config: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < 4; i++)
		ec[i].fd = HAL_FD_NONE;
	if (hal_tcp_listen("127.0.0.1", eng_port, 8, &eng_fd) != HAL_NET_OK) {
		fprintf(stderr, "engine port\n");
		return 1;
	}
	if (ilpd_daemon_start(&D, &conf) != 0) {
		fprintf(stderr, "daemon start\n");
		return 1;
	}
	eng_io = ev_io_add(&D.loop, eng_fd, HAL_POLL_IN, eng_accept, NULL);
	TH_RUN(test_account_and_settlement);
	TH_RUN(test_credits);
	TH_RUN(test_health);
	TH_RUN(test_scale_range);
	TH_RUN(test_remove);
	ilpd_daemon_stop(&D, 0);
	for (i = 0; i < 200 && !ilpd_daemon_done(&D); i++)
		ilpd_daemon_step(&D, 10);
	if (eng_io >= 0)
		ev_io_del(&D.loop, eng_io);
	hal_close(eng_fd);
	return th_finish();
}
