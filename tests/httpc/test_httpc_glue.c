/*
 * test_httpc_glue.c - the daemon's HTTP client pool (firmware/httpc_glue.h)
 * against a real HTTP server on 127.0.0.1 (tests/httpc/server.py, started
 * by tests/httpc/run.sh, which passes its port): the daemon's event loop
 * drives the requests. Keep-alive reuse, chunked, 1xx, HTTP/1.0
 * close-delimited, Connection: close, a server closing mid-body, garbage,
 * an oversized body, 4xx/5xx statuses, deadline timeouts, a refused port,
 * the retry after a kept connection was dropped, cancel, more concurrent
 * requests than slots (ILP_ERR_FULL), 50 sequential and 50 chained
 * requests, every callback exactly once, and the stop. The same server
 * on a unix socket (a settlement_engine = unix:/PATH): round trip, Host:
 * localhost, keep-alive reuse that never mixes unix and TCP connections,
 * the retry, the body limit that keeps the path, a missing socket file.
 *
 * Usage: test_httpc_glue PORT UNIXPATH (run.sh). Fails loudly: no skips.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "httpc_glue.h"
#include "hal/hal_net.h"
#include "hal/hal_time.h"
#include "th.h"

static struct ilpd_daemon D;
static struct ilpd_url URL;
static struct ilpd_url UNIX_URL;   /* the server's unix socket */
static int ncalls;
static uint16_t server_port;

struct call {
	int n;
	int err;
	int status;
	size_t len;
	uint8_t body[ILPD_HTTPC_BUF];
};

static void done(void *ctx, int err, int status, const uint8_t *b, size_t n)
{
	struct call *c = ctx;

	c->n++;
	c->err = err;
	c->status = status;
	c->len = n;
	if (err == 0 && n > 0)
		memcpy(c->body, b, n);
	if (err != 0 && (status != 0 || b != NULL || n != 0))
		th_fail(__FILE__, __LINE__, "error callback with status/body");
	ncalls++;
}

static int64_t now(void)
{
	return ev_now(&D.loop);
}

/* Runs the loop until ncalls reaches `want` or max_ms pass. */
static void run_until(int want, int64_t max_ms)
{
	int64_t end = hal_mono_ms() + max_ms;

	while (ncalls < want && hal_mono_ms() < end)
		(void)ev_run_once(&D.loop, 20);
}

/* Runs the loop for ms. */
static void run_for(int64_t ms)
{
	int64_t end = hal_mono_ms() + ms;

	while (hal_mono_ms() < end)
		(void)ev_run_once(&D.loop, 10);
}

static int req(const char *method, const char *path, const char *body,
	       int64_t timeout_ms, struct call *c)
{
	memset(c, 0, offsetof(struct call, body));
	return ilpd_httpc_request(&D, &URL, method, path, NULL,
				  (const uint8_t *)body, body ? strlen(body) : 0,
				  now() + timeout_ms, done, c);
}

/* One request, waited for. */
static void one(const char *method, const char *path, const char *body,
		int64_t timeout_ms, struct call *c)
{
	int want = ncalls + 1;

	CHECK_EQ(req(method, path, body, timeout_ms, c), 0);
	CHECK_EQ(c->n, 0);   /* never called from inside the request */
	run_until(want, timeout_ms + 2000);
	CHECK_EQ(c->n, 1);
}

static bool body_is(const struct call *c, const char *s)
{
	return c->len == strlen(s) && memcmp(c->body, s, c->len) == 0;
}

static struct call c1, c2;

static void test_keep_alive(void)
{
	const struct ilpd_httpc_stats *st = ilpd_httpc_stats(&D);
	uint64_t conn0 = st->connects;

	one("GET", "/conn", NULL, 2000, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK_EQ(c1.status, 200);
	CHECK(c1.len > 5 && memcmp(c1.body, "conn=", 5) == 0);
	one("GET", "/conn", NULL, 2000, &c2);
	CHECK_EQ(c2.err, 0);
	CHECK(c1.len == c2.len && memcmp(c1.body, c2.body, c1.len) == 0);
	CHECK_EQ_U64(st->connects, conn0 + 1);
	CHECK(st->reused >= 1);
	/* A POST with a JSON body and an extra header, echoed. */
	{
		int want = ncalls + 1;

		memset(&c1, 0, offsetof(struct call, body));
		CHECK_EQ(ilpd_httpc_request(&D, &URL, "POST", "/echo",
					    "Idempotency-Key: abc\r\n",
					    (const uint8_t *)"{\"a\":1}", 7,
					    now() + 2000, done, &c1), 0);
		run_until(want, 3000);
		CHECK_EQ(c1.n, 1);
		CHECK_EQ(c1.err, 0);
		CHECK(body_is(&c1, "{\"a\":1}"));
	}
	CHECK_EQ_U64(st->connects, conn0 + 1);
}

static void test_framings(void)
{
	const struct ilpd_httpc_stats *st = ilpd_httpc_stats(&D);
	uint64_t conn0;

	one("GET", "/chunked", NULL, 2000, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, "hello world"));
	one("GET", "/interim", NULL, 2000, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, "final"));
	one("GET", "/status?c=503", NULL, 2000, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK_EQ(c1.status, 503);
	CHECK_EQ(c1.len, 0);
	one("GET", "/nothing-here", NULL, 2000, &c1);
	CHECK_EQ(c1.status, 404);
	/* Close-delimited and Connection: close: the next request dials. */
	conn0 = st->connects;
	one("GET", "/http10", NULL, 2000, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, "until close"));
	one("GET", "/close", NULL, 2000, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, "bye"));
	one("GET", "/conn", NULL, 2000, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK_EQ_U64(st->connects, conn0 + 2);   /* /http10 went on the kept one */
	/* A big body (40,000 bytes, or what the board's buffer takes less
	 * 1 KiB on a small board) fits; one past the buffer does not. */
	{
		char p[64];
		const int big = ILPD_HTTPC_BUF > 41000 ? 40000 : ILPD_HTTPC_BUF - 1024;

		snprintf(p, sizeof(p), "/len?n=%d", big);
		one("GET", p, NULL, 3000, &c1);
		CHECK_EQ(c1.err, 0);
		CHECK_EQ(c1.len, (size_t)big);
		CHECK(c1.len == (size_t)big && c1.body[0] == 'x' && c1.body[big - 1] == 'x');
		snprintf(p, sizeof(p), "/len?n=%d", ILPD_HTTPC_BUF + 1);
		one("GET", p, NULL, 3000, &c1);
		CHECK_EQ(c1.err, ILP_ERR_OVERFLOW);
	}
}

static void test_failures(void)
{
	const struct ilpd_httpc_stats *st = ilpd_httpc_stats(&D);
	struct ilpd_url bad = URL;
	uint64_t t0 = st->timeouts, f0 = st->failures;
	int64_t start;
	hal_fd lfd;
	uint16_t port;

	one("GET", "/close-mid", NULL, 2000, &c1);
	CHECK_EQ(c1.err, ILPD_HTTPC_ERR_IO);
	one("GET", "/garbage", NULL, 2000, &c1);
	CHECK_EQ(c1.err, ILP_ERR_INVALID);
	/* Deadline: a server answering after 5 s, a 300 ms deadline (the
	 * upper bound leaves room for a loaded or emulated machine). */
	start = hal_mono_ms();
	one("GET", "/slow?ms=5000", NULL, 300, &c1);
	CHECK_EQ(c1.err, ILPD_HTTPC_ERR_TIMEOUT);
	CHECK(hal_mono_ms() - start >= 250 && hal_mono_ms() - start < 3000);
	CHECK_EQ_U64(st->timeouts, t0 + 1);
	/* A deadline already past: the callback still comes from the loop. */
	memset(&c1, 0, offsetof(struct call, body));
	CHECK_EQ(ilpd_httpc_request(&D, &URL, "GET", "/conn", NULL, NULL, 0,
				    now() - 10, done, &c1), 0);
	CHECK_EQ(c1.n, 0);
	run_until(ncalls + 1, 2000);
	CHECK_EQ(c1.n, 1);
	CHECK_EQ(c1.err, ILPD_HTTPC_ERR_TIMEOUT);
	/* A refused port: a listener opened (below 32768) and closed again. */
	for (port = (uint16_t)(server_port + 1); port < server_port + 50; port++) {
		if (hal_tcp_listen("127.0.0.1", port, 1, &lfd) == HAL_NET_OK)
			break;
	}
	CHECK(port < server_port + 50);
	hal_close(lfd);
	bad.port = port;
	memset(&c1, 0, offsetof(struct call, body));
	CHECK_EQ(ilpd_httpc_request(&D, &bad, "GET", "/", NULL, NULL, 0,
				    now() + 2000, done, &c1), 0);
	CHECK_EQ(c1.n, 0);
	run_until(ncalls + 1, 3000);
	CHECK_EQ(c1.n, 1);
	CHECK_EQ(c1.err, ILPD_HTTPC_ERR_CONNECT);
	CHECK_EQ_U64(st->failures, f0 + 5);
	/* Misuse: refused at once, no callback. */
	bad = URL;
	bad.tls = true;
	CHECK_EQ(ilpd_httpc_request(&D, &bad, "GET", "/", NULL, NULL, 0,
				    now() + 100, done, &c1), ILP_ERR_ARG);
	CHECK_EQ(ilpd_httpc_request(&D, &URL, "GET", "no-slash", NULL, NULL, 0,
				    now() + 100, done, &c1), ILP_ERR_ARG);
	{
		static uint8_t big[ILPD_HTTPC_BUF];

		memset(big, 'b', sizeof(big));
		CHECK_EQ(ilpd_httpc_request(&D, &URL, "POST", "/echo", NULL, big,
					    sizeof(big), now() + 100, done, &c1),
			 ILP_ERR_ARG);
	}
	run_for(50);
	CHECK_EQ(c1.n, 1);
}

/* "localhost" reaches the server without a lookup; [::1] (the server
 * listens on IPv4 only) is refused. */
static void test_hosts(void)
{
	struct ilpd_url u = URL;
	int want;

	strcpy(u.host, "localhost");
	memset(&c1, 0, offsetof(struct call, body));
	want = ncalls + 1;
	CHECK_EQ(ilpd_httpc_request(&D, &u, "GET", "/conn", NULL, NULL, 0,
				    now() + 2000, done, &c1), 0);
	run_until(want, 3000);
	CHECK_EQ(c1.n, 1);
	CHECK_EQ(c1.err, 0);
	CHECK_EQ(c1.status, 200);
	strcpy(u.host, "::1");
	memset(&c1, 0, offsetof(struct call, body));
	want = ncalls + 1;
	CHECK_EQ(ilpd_httpc_request(&D, &u, "GET", "/conn", NULL, NULL, 0,
				    now() + 2000, done, &c1), 0);
	run_until(want, 3000);
	CHECK_EQ(c1.n, 1);
	CHECK_EQ(c1.err, ILPD_HTTPC_ERR_CONNECT);
}

/* One request to url, waited for. */
static void one_to(const struct ilpd_url *url, const char *method, const char *path,
		   const char *body, struct call *c)
{
	int want = ncalls + 1;

	memset(c, 0, offsetof(struct call, body));
	CHECK_EQ(ilpd_httpc_request(&D, url, method, path, NULL, (const uint8_t *)body,
				    body ? strlen(body) : 0, now() + 2000, done, c), 0);
	CHECK_EQ(c->n, 0);
	run_until(want, 4000);
	CHECK_EQ(c->n, 1);
}

/* The server's number for the connection a GET /conn to url went over,
 * into out[32]. */
static void conn_of(const struct ilpd_url *url, char out[32])
{
	size_t n;

	one_to(url, "GET", "/conn", NULL, &c1);
	CHECK(c1.err == 0 && c1.len < 32);
	n = c1.len < 32 ? c1.len : 0;
	memcpy(out, c1.body, n);
	out[n] = '\0';
}

/* The server on a unix socket (settlement_engine = unix:/PATH). */
static void test_unix(void)
{
	const struct ilpd_httpc_stats *st = ilpd_httpc_stats(&D);
	struct ilpd_url u;
	uint64_t conn0 = st->connects, reused0 = st->reused, r0;
	char conn_unix[32], p[64];
	const size_t cap = ILPD_HTTPC_BUF - (HAL_UNIX_PATH_MAX + 1);

	CHECK(ilpd_url_is_unix(&UNIX_URL));
	CHECK(!ilpd_url_is_unix(&URL));
	one_to(&UNIX_URL, "GET", "/via", NULL, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK_EQ(c1.status, 200);
	CHECK(body_is(&c1, "unix"));
	CHECK_EQ_U64(st->connects, conn0 + 1);
	one_to(&UNIX_URL, "GET", "/host", NULL, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, "localhost"));
	one_to(&UNIX_URL, "POST", "/echo", "{\"unix\":true}", &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, "{\"unix\":true}"));
	conn_of(&UNIX_URL, conn_unix);
	/* all four on one kept connection */
	CHECK_EQ_U64(st->connects, conn0 + 1);
	CHECK_EQ_U64(st->reused, reused0 + 3);
	/* TCP beside it: its own connection, and the unix one is kept */
	one_to(&URL, "GET", "/via", NULL, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, "tcp"));
	one_to(&UNIX_URL, "GET", "/conn", NULL, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, conn_unix));
	one_to(&URL, "GET", "/via", NULL, &c1);
	CHECK(body_is(&c1, "tcp"));
	one_to(&UNIX_URL, "GET", "/via", NULL, &c1);
	CHECK(body_is(&c1, "unix"));
	/* a body up to the buffer less the path's place; one byte more does
	 * not fit, and the path is intact for the next request on the kept
	 * connection */
	snprintf(p, sizeof(p), "/len?n=%zu", cap);
	one_to(&UNIX_URL, "GET", p, NULL, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK_EQ(c1.len, cap);
	r0 = st->reused;
	one_to(&UNIX_URL, "GET", "/conn", NULL, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, conn_unix));
	CHECK_EQ_U64(st->reused, r0 + 1);
	snprintf(p, sizeof(p), "/len?n=%zu", cap + 1);
	one_to(&UNIX_URL, "GET", p, NULL, &c1);
	CHECK_EQ(c1.err, ILP_ERR_OVERFLOW);
	/* the request side: a body that fits the buffer over TCP (a head of
	 * ~130 bytes) but not beside the path's place over unix (a head of
	 * ~119 bytes + 108) is refused at the call, and the kept unix
	 * connection and its path are untouched */
	{
		static char big[ILPD_HTTPC_BUF];
		const size_t L = ILPD_HTTPC_BUF - 160;

		/* the overflow above closed the unix connection: a new one */
		conn_of(&UNIX_URL, conn_unix);
		memset(big, 'a', L);
		big[L] = '\0';
		memset(&c1, 0, offsetof(struct call, body));
		CHECK_EQ(ilpd_httpc_request(&D, &UNIX_URL, "POST", "/echo", NULL,
					    (const uint8_t *)big, L, now() + 2000, done, &c1),
			 ILP_ERR_ARG);
		CHECK_EQ(c1.n, 0);
		one_to(&URL, "POST", "/echo", big, &c1);
		CHECK_EQ(c1.err, 0);
		CHECK_EQ(c1.len, L);
		r0 = st->reused;
		one_to(&UNIX_URL, "GET", "/conn", NULL, &c1);
		CHECK_EQ(c1.err, 0);
		CHECK(body_is(&c1, conn_unix));
		CHECK_EQ_U64(st->reused, r0 + 1);
	}
	/* the kept connection dropped: sent again on a new one (the path
	 * comes from the slot's buffer) */
	one_to(&UNIX_URL, "GET", "/drop-next", NULL, &c1);
	CHECK(body_is(&c1, "armed"));
	r0 = st->retried;
	one_to(&UNIX_URL, "GET", "/via", NULL, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, "unix"));
	CHECK_EQ_U64(st->retried, r0 + 1);
	/* no socket file there: a connect failure, from the loop */
	u = UNIX_URL;
	strcpy(u.host, "/nonexistent/ilpd-httpc-test.sock");
	one_to(&u, "GET", "/via", NULL, &c1);
	CHECK_EQ(c1.err, ILPD_HTTPC_ERR_CONNECT);
	/* a path longer than a socket address holds */
	memset(u.host, 'x', HAL_UNIX_PATH_MAX + 1);
	u.host[0] = '/';
	u.host[HAL_UNIX_PATH_MAX + 1] = '\0';
	one_to(&u, "GET", "/via", NULL, &c1);
	CHECK_EQ(c1.err, ILPD_HTTPC_ERR_CONNECT);
	CHECK_EQ(st->busy, 0);
}

static void test_retry_after_drop(void)
{
	const struct ilpd_httpc_stats *st = ilpd_httpc_stats(&D);
	uint64_t r0 = st->retried;

	one("GET", "/drop-next", NULL, 2000, &c1);
	CHECK_EQ(c1.err, 0);
	CHECK(body_is(&c1, "armed"));
	/* The kept connection is closed unanswered: sent again, once. */
	one("GET", "/conn", NULL, 2000, &c2);
	CHECK_EQ(c2.err, 0);
	CHECK_EQ(c2.status, 200);
	CHECK_EQ_U64(st->retried, r0 + 1);
}

static void test_cancel(void)
{
	static struct call a, b;

	CHECK_EQ(req("GET", "/slow?ms=300", NULL, 2000, &a), 0);
	CHECK_EQ(req("GET", "/slow?ms=100", NULL, 2000, &b), 0);
	run_for(30);
	ilpd_httpc_cancel_ctx(&D, &a);
	ilpd_httpc_cancel_ctx(&D, &a);   /* twice: harmless */
	run_until(ncalls + 1, 2000);
	run_for(500);
	CHECK_EQ(a.n, 0);
	CHECK_EQ(b.n, 1);
	CHECK_EQ(b.err, 0);
	CHECK_EQ(ilpd_httpc_free_slots(&D), ILPD_HTTPC_SLOTS);
}

#define NCONC (ILPD_HTTPC_SLOTS + 4)
static struct call conc[NCONC];

static void test_over_slots(void)
{
	const struct ilpd_httpc_stats *st = ilpd_httpc_stats(&D);
	int i, ok = 0, full = 0, want;
	uint64_t full0 = st->full;

	for (i = 0; i < NCONC; i++) {
		int r = req("GET", "/slow?ms=300", NULL, 5000, &conc[i]);

		if (r == 0)
			ok++;
		else if (r == ILP_ERR_FULL)
			full++;
		else
			th_fail(__FILE__, __LINE__, "request %d: %d", i, r);
	}
	CHECK_EQ(ok, ILPD_HTTPC_SLOTS);
	CHECK_EQ(full, NCONC - ILPD_HTTPC_SLOTS);
	CHECK_EQ_U64(st->full, full0 + (uint64_t)full);
	CHECK_EQ(ilpd_httpc_free_slots(&D), 0);
	CHECK_EQ(st->busy, ILPD_HTTPC_SLOTS);
	CHECK_EQ(st->busy_hwm, ILPD_HTTPC_SLOTS);
	want = ncalls + ok;
	run_until(want, 6000);
	for (i = 0; i < NCONC; i++) {
		if (i < ILPD_HTTPC_SLOTS) {
			CHECK_EQ(conc[i].n, 1);
			CHECK_EQ(conc[i].err, 0);
			CHECK(body_is(&conc[i], "slow"));
		} else {
			CHECK_EQ(conc[i].n, 0);
		}
	}
	CHECK_EQ(st->busy, 0);
	CHECK_EQ(ilpd_httpc_free_slots(&D), ILPD_HTTPC_SLOTS);
}

/* Chained requests: each callback starts the next (the callback may use
 * the pool: another slot, since its own still holds the body it reads),
 * several chains at once (5, or one less than the board's slots). */
#define CHAINS (ILPD_HTTPC_SLOTS - 1 < 5 ? ILPD_HTTPC_SLOTS - 1 : 5)
#define PER_CHAIN 10
static struct call chain_call[CHAINS];
static int chain_left[CHAINS];
static int chain_done_ok;

static void chain_done(void *ctx, int err, int status, const uint8_t *b, size_t n)
{
	struct call *c = ctx;
	int k = (int)(c - chain_call);

	(void)b;
	(void)n;
	ncalls++;
	if (err == 0 && status == 200)
		chain_done_ok++;
	else
		th_fail(__FILE__, __LINE__, "chain %d: err %d status %d", k, err, status);
	if (--chain_left[k] > 0 &&
	    ilpd_httpc_request(&D, &URL, "POST", "/echo", NULL,
			       (const uint8_t *)"{}", 2, now() + 3000,
			       chain_done, c) != 0)
		th_fail(__FILE__, __LINE__, "chain %d: request refused", k);
}

static void test_many(void)
{
	const struct ilpd_httpc_stats *st = ilpd_httpc_stats(&D);
	uint64_t conn0 = st->connects, req0 = st->requests;
	int i, want;

	/* 50 sequential on one kept connection. */
	for (i = 0; i < 50; i++) {
		one("GET", "/conn", NULL, 2000, &c1);
		if (c1.err != 0 || c1.status != 200) {
			th_fail(__FILE__, __LINE__, "sequential %d: %d", i, c1.err);
			break;
		}
	}
	CHECK(st->connects <= conn0 + 1);
	/* CHAINS * PER_CHAIN chained, CHAINS at a time. */
	want = ncalls + CHAINS * PER_CHAIN;
	for (i = 0; i < CHAINS; i++) {
		chain_left[i] = PER_CHAIN;
		CHECK_EQ(ilpd_httpc_request(&D, &URL, "POST", "/echo", NULL,
					    (const uint8_t *)"{}", 2, now() + 3000,
					    chain_done, &chain_call[i]), 0);
	}
	run_until(want, 10000);
	CHECK_EQ(chain_done_ok, CHAINS * PER_CHAIN);
	CHECK_EQ_U64(st->requests, req0 + 50 + CHAINS * PER_CHAIN);
	CHECK(st->connects <= conn0 + 1 + CHAINS);
	CHECK_EQ(st->busy, 0);
}

static void test_stop(void)
{
	static struct call a;

	CHECK_EQ(req("GET", "/slow?ms=500", NULL, 2000, &a), 0);
	run_for(20);
	ilpd_httpc_close(&D);
	CHECK_EQ(a.n, 1);
	CHECK_EQ(a.err, ILPD_HTTPC_ERR_STOPPED);
	CHECK_EQ(req("GET", "/conn", NULL, 2000, &c1), ILP_ERR_FULL);
	CHECK_EQ(ilpd_httpc_free_slots(&D), 0);
	run_for(100);
	CHECK_EQ(a.n, 1);
	CHECK_EQ(c1.n, 0);
}

static void test_url(void)
{
	struct ilpd_url u;
	const char *why;

	CHECK_EQ(ilpd_http_url_parse("http://127.0.0.1:3100", &u, &why), 0);
	CHECK(strcmp(u.host, "127.0.0.1") == 0 && u.port == 3100 && !u.tls);
	CHECK(strcmp(u.path, "/") == 0);
	CHECK_EQ(ilpd_http_url_parse("http://[::1]/x/y", &u, &why), 0);
	CHECK(strcmp(u.host, "::1") == 0 && u.port == 80 && strcmp(u.path, "/x/y") == 0);
	CHECK_EQ(ilpd_http_url_parse("http://localhost:8080/", &u, &why), 0);
	CHECK_EQ(ilpd_http_url_parse("http://10.0.0.1:80", &u, &why), 0);
	CHECK_EQ(ilpd_http_url_parse("http://127.evil.com", &u, &why), 0);
	CHECK_EQ(ilpd_http_url_parse("https://127.0.0.1", &u, &why), -1);
	CHECK_EQ(ilpd_http_url_parse("ws://127.0.0.1", &u, &why), -1);
	CHECK_EQ(ilpd_http_url_parse("http://u:p@127.0.0.1", &u, &why), -1);
	CHECK_EQ(ilpd_http_url_parse("http://127.0.0.1:0", &u, &why), -1);
	CHECK_EQ(ilpd_http_url_parse("http://127.0.0.1:99999", &u, &why), -1);
	CHECK_EQ(ilpd_http_url_parse("http://a b", &u, &why), -1);
	CHECK_EQ(ilpd_http_url_parse("http://", &u, &why), -1);
	CHECK(why != NULL);
}

int main(int argc, char **argv)
{
	const char *why;
	char url[64];

	if (argc != 3) {
		fprintf(stderr, "usage: %s PORT UNIXPATH (run by tests/httpc/run.sh)\n",
			argv[0]);
		return 2;
	}
	if (argv[2][0] != '/' || strlen(argv[2]) > HAL_UNIX_PATH_MAX) {
		fprintf(stderr, "bad unix socket path %s (absolute, at most %d bytes)\n",
			argv[2], HAL_UNIX_PATH_MAX);
		return 2;
	}
	/* as config_settle.c holds settlement_engine = unix:PATH */
	strcpy(UNIX_URL.host, argv[2]);
	UNIX_URL.port = 0;
	UNIX_URL.path[0] = '\0';
	server_port = (uint16_t)atoi(argv[1]);
	if (server_port == 0 || server_port > 32000) {
		fprintf(stderr, "bad port %s (1..32000)\n", argv[1]);
		return 2;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/", argv[1]);
	if (ilpd_http_url_parse(url, &URL, &why) != 0) {
		fprintf(stderr, "bad port %s: %s\n", argv[1], why);
		return 2;
	}
	ev_init(&D.loop);
	ilpd_httpc_init(&D);
	TH_RUN(test_url);
	TH_RUN(test_keep_alive);
	TH_RUN(test_framings);
	TH_RUN(test_failures);
	TH_RUN(test_hosts);
	TH_RUN(test_unix);
	TH_RUN(test_retry_after_drop);
	TH_RUN(test_cancel);
	TH_RUN(test_over_slots);
	TH_RUN(test_many);
	TH_RUN(test_stop);
	return th_finish();
}
