/*
 * test_wsconn_socks.c - wsconn over SOCKS5 (wsconn_use_socks) on loopback,
 * against a tiny scripted SOCKS5 proxy in this process, driven by the same
 * event loop. The proxy checks the greeting, the RFC 1929 request and the
 * CONNECT request byte for byte, answers as the case says, and on success
 * hands its socket to a server-side wsconn (plain or TLS) that echoes, so
 * one message round-trips through the whole stack TCP -> SOCKS5 -> (TLS)
 * -> WS. Also: REP 05 and F0 end the connection with the engine's reason,
 * a silent proxy hits the deadline, a proxy that closes mid-reply, a
 * refused proxy port, and stream bytes in the same read as the reply
 * reaching the WebSocket parser. Every wait is bounded; only 127.0.0.1.
 *
 * Usage: test_wsconn_socks [PKI_DIR] (tests/tls/make-certs.sh output; the
 * wss:// case needs it whenever a TLS backend is built).
 */
#include <stdio.h>
#include <string.h>

#include "hal/hal_net.h"
#include "hal/hal_time.h"
#include "net/ev.h"
#include "net/socks5.h"
#include "net/tls.h"
#include "net/wsconn.h"
#include "th.h"

#define WAIT_MS 8000       /* bound on any wait (qemu-user is slow) */
#define DEADLINE_MS 4000   /* SOCKS deadline of the cases that should not hit it */

static struct ev_loop loop;
static struct wsconn cli, srv;
static struct socks5 engine;

enum pmode { P_OK, P_REFUSE, P_ONION, P_SILENT, P_CLOSE_MID, P_TRAILING };

static struct proxy {
	enum pmode mode;
	const char *user, *pass;    /* expected credentials, or NULL */
	bool tls;                   /* hand over to a TLS server */
	hal_fd lfd, fd;
	int lio, io;
	uint16_t port;
	int phase;                  /* 0 greeting, 1 auth, 2 request, 3 answered */
	uint8_t buf[1024];
	size_t len;
	bool mismatch;              /* a client message was not as expected */
	int accepted;
} px;

static struct {
	bool opened, closed, srv_closed;
	char reason[128];
	uint8_t socks_err;
	char echo[64];
	int64_t closed_at;
} cs;

#if defined(ILPD_TLS_BEARSSL) || defined(ILPD_TLS_MBEDTLS)
#define HAVE_TLS 1
static struct tls_config ccfg, scfg;
static struct tls_conn ctls, stls;
#else
#define HAVE_TLS 0
#endif
static const char *pki;

#define MSG "hello through the proxy"
#define DEST "peerxyz.onion"

/* ---- the client and the echo server ------------------------------------- */

static void cli_open(struct wsconn *c, void *user)
{
	(void)user;
	cs.opened = true;
	CHECK(c->socks == NULL && c->socks_timer < 0);
	CHECK_EQ(wsconn_send(c, WS_OP_BINARY, (const uint8_t *)MSG, strlen(MSG)), 0);
}

static void cli_message(struct wsconn *c, uint8_t op, uint8_t *data, size_t len, void *user)
{
	(void)op;
	(void)user;
	if (len < sizeof(cs.echo)) {
		memcpy(cs.echo, data, len);
		cs.echo[len] = '\0';
	}
	wsconn_close(c, WS_CLOSE_NORMAL, "done");
}

static void cli_close(struct wsconn *c, const char *reason, void *user)
{
	(void)user;
	cs.closed = true;
	cs.closed_at = hal_mono_ms();
	cs.socks_err = c->socks_err;
	snprintf(cs.reason, sizeof(cs.reason), "%s", reason);
	CHECK(c->socks == NULL);
}

static const struct wsconn_cbs cli_cbs = { cli_open, cli_message, cli_close };

static void srv_message(struct wsconn *c, uint8_t op, uint8_t *data, size_t len, void *user)
{
	(void)user;
	CHECK_EQ(wsconn_send(c, op, data, len), 0);
}

static void srv_close(struct wsconn *c, const char *reason, void *user)
{
	(void)c;
	(void)reason;
	(void)user;
	cs.srv_closed = true;
}

static const struct wsconn_cbs srv_cbs = { NULL, srv_message, srv_close };

static void run_until(bool *flag)
{
	int64_t end = hal_mono_ms() + WAIT_MS;

	while (!*flag && hal_mono_ms() < end) {
		(void)ev_run_once(&loop, 50);
		wsconn_flush_all();
	}
}

/* ---- the scripted proxy -------------------------------------------------- */

static void px_send_hex(const char *hex)
{
	uint8_t b[256];
	long n = th_unhex(hex, b, sizeof(b));

	CHECK(n > 0 && hal_tcp_send(px.fd, b, (size_t)n) == n);
}

static void px_drop(void)
{
	if (px.io >= 0)
		ev_io_del(&loop, px.io);
	if (px.fd != HAL_FD_NONE)
		hal_close(px.fd);
	px.io = -1;
	px.fd = HAL_FD_NONE;
}

/* Success: the socket becomes the echo server's (plain or TLS). */
static void px_hand_over(void)
{
	hal_fd fd = px.fd;

	ev_io_del(&loop, px.io);
	px.io = -1;
	px.fd = HAL_FD_NONE;
#if HAVE_TLS
	if (px.tls) {
		CHECK_EQ(tls_conn_start(&stls, &scfg, TLS_SERVER, NULL, NULL), 0);
		CHECK_EQ(wsconn_use_tls(&srv, &stls), 0);
	}
#endif
	CHECK_EQ(wsconn_accept(&srv, &loop, fd, &srv_cbs, NULL), 0);
}

static void px_answer(void)
{
	switch (px.mode) {
	case P_OK:
		px_send_hex("05000001" "7f000001" "1f90");
		px_hand_over();
		break;
	case P_REFUSE:
		px_send_hex("05050001" "00000000" "0000");
		break;
	case P_ONION:
		px_send_hex("05f00001" "00000000" "0000");
		break;
	case P_CLOSE_MID:
		px_send_hex("0500");
		px_drop();
		break;
	case P_TRAILING:
		/* reply and the start of a (refused) HTTP answer in one write */
		px_send_hex("05000001" "00000000" "0000"
			    "485454502f312e3120343030204261642052657175657374" "0d0a0d0a");
		break;
	case P_SILENT:
		break;
	}
}

/* The message the client must send in this phase (binary, *n bytes). */
static const uint8_t *px_expect(size_t *n)
{
	static uint8_t m[600];
	size_t k = 0, l;

	switch (px.phase) {
	case 0:
		m[k++] = 5;
		m[k++] = 1;
		m[k++] = px.user != NULL ? 2 : 0;
		break;
	case 1:
		m[k++] = 1;
		l = strlen(px.user);
		m[k++] = (uint8_t)l;
		memcpy(m + k, px.user, l);
		k += l;
		l = strlen(px.pass);
		m[k++] = (uint8_t)l;
		memcpy(m + k, px.pass, l);
		k += l;
		break;
	default:
		memcpy(m, "\x05\x01\x00\x03", 4);
		k = 4;
		m[k++] = (uint8_t)strlen(DEST);
		memcpy(m + k, DEST, strlen(DEST));
		k += strlen(DEST);
		m[k++] = 0x01;   /* port 443 */
		m[k++] = 0xbb;
		break;
	}
	*n = k;
	return m;
}

/* Checks and answers every complete client message in buf. */
static void px_step(void)
{
	while (px.fd != HAL_FD_NONE && px.phase < 3) {
		size_t n;
		const uint8_t *want = px_expect(&n);

		if (px.len < n)
			return;
		if (memcmp(px.buf, want, n) != 0)
			px.mismatch = true;
		memmove(px.buf, px.buf + n, px.len - n);
		px.len -= n;
		if (px.phase == 0 && px.mode == P_SILENT)
			return;
		if (px.phase == 0) {
			px_send_hex(px.user != NULL ? "0502" : "0500");
			px.phase = px.user != NULL ? 1 : 2;
		} else if (px.phase == 1) {
			px_send_hex("0100");
			px.phase = 2;
		} else {
			px.phase = 3;
			px_answer();
		}
	}
}

static void px_io(struct ev_loop *l, int id, unsigned revents, void *arg)
{
	long n;

	(void)l;
	(void)id;
	(void)revents;
	(void)arg;
	n = hal_tcp_recv(px.fd, px.buf + px.len, sizeof(px.buf) - px.len);
	if (n == HAL_NET_AGAIN)
		return;
	if (n <= 0) {
		px_drop();
		return;
	}
	px.len += (size_t)n;
	px_step();
}

static void px_accept(struct ev_loop *l, int id, unsigned revents, void *arg)
{
	hal_fd fd;

	(void)id;
	(void)revents;
	(void)arg;
	if (hal_tcp_accept(px.lfd, &fd, NULL) != HAL_NET_OK)
		return;
	px.accepted++;
	if (px.fd != HAL_FD_NONE) {
		hal_close(fd);
		return;
	}
	px.fd = fd;
	px.io = ev_io_add(l, fd, HAL_POLL_IN, px_io, NULL);
}

static int px_start(enum pmode mode, const char *user, const char *pass, bool tls)
{
	memset(&px, 0, sizeof(px));
	memset(&cs, 0, sizeof(cs));
	px.mode = mode;
	px.user = user;
	px.pass = pass;
	px.tls = tls;
	px.fd = HAL_FD_NONE;
	px.io = -1;
	if (hal_tcp_listen("127.0.0.1", 0, 4, &px.lfd) != HAL_NET_OK ||
	    hal_tcp_local_port(px.lfd, &px.port) != HAL_NET_OK)
		return -1;
	px.lio = ev_io_add(&loop, px.lfd, HAL_POLL_IN, px_accept, NULL);
	return px.lio >= 0 ? 0 : -1;
}

static void px_stop(void)
{
	px_drop();
	ev_io_del(&loop, px.lio);
	hal_close(px.lfd);
	if (srv.state != WSC_IDLE && srv.state != WSC_CLOSED)
		wsconn_abort(&srv, "test over");
	srv.state = WSC_IDLE;
	if (cli.state != WSC_IDLE && cli.state != WSC_CLOSED)
		wsconn_abort(&cli, "test over");
	cli.state = WSC_IDLE;
}

/* Starts the client through the proxy: 0 or -1. */
static int connect_via(uint16_t port, const char *user, const char *pass,
		       int64_t deadline, bool tls)
{
	if (socks5_start(&engine, DEST, 443, user, pass) != 0)
		return -1;
#if HAVE_TLS
	if (tls && (tls_conn_start(&ctls, &ccfg, TLS_CLIENT, "localhost", NULL) != 0 ||
		    wsconn_use_tls(&cli, &ctls) != 0))
		return -1;
#else
	(void)tls;
#endif
	if (wsconn_use_socks(&cli, &engine, deadline) != 0)
		return -1;
	return wsconn_connect(&cli, &loop, "127.0.0.1", port, DEST ":443", "/btp",
			      &cli_cbs, NULL);
}

/* ---- cases --------------------------------------------------------------- */

static void round_trip(const char *user, const char *pass, bool tls)
{
	if (px_start(P_OK, user, pass, tls) != 0 ||
	    connect_via(px.port, user, pass, DEADLINE_MS, tls) != 0) {
		th_fail(__FILE__, __LINE__, "setup failed");
		px_stop();
		return;
	}
	CHECK_EQ(cli.state, WSC_CONNECTING);
	run_until(&cs.closed);
	CHECK(cs.opened);
	CHECK(!px.mismatch);
	CHECK_EQ(px.phase, 3);
	CHECK(strcmp(cs.echo, MSG) == 0);
	CHECK(strcmp(cs.reason, "closed") == 0);
	CHECK_EQ(cs.socks_err, SOCKS5_OK);
	CHECK_EQ(px.accepted, 1);
	run_until(&cs.srv_closed);
	CHECK(cs.srv_closed);
	px_stop();
}

static void test_plain_noauth(void)
{
	round_trip(NULL, NULL, false);
}

static void test_plain_auth(void)
{
	round_trip("link-7", "0123456789abcdef", false);
}

static void test_tls_over_socks(void)
{
#if HAVE_TLS
	char err[256], ca[512], chain[512], key[512];

	if (pki == NULL) {
		th_fail(__FILE__, __LINE__, "wss:// case needs PKI_DIR (tests/tls/make-certs.sh)");
		return;
	}
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(chain, sizeof(chain), "%s/chain.pem", pki);
	snprintf(key, sizeof(key), "%s/server.key", pki);
	if (tls_config_client(&ccfg, ca, err, sizeof(err)) != 0 ||
	    tls_config_server(&scfg, chain, key, err, sizeof(err)) != 0) {
		th_fail(__FILE__, __LINE__, "TLS config: %s", err);
		return;
	}
	round_trip("link-tls", "pw", true);
#else
	printf("test_tls_over_socks: this build has no TLS backend (ILPD_TLS=none)\n");
#endif
}

/* The proxy answers the CONNECT with a failure code. */
static void failure_case(enum pmode mode, const char *want_reason, enum socks5_error want)
{
	if (px_start(mode, NULL, NULL, false) != 0 ||
	    connect_via(px.port, NULL, NULL, DEADLINE_MS, false) != 0) {
		th_fail(__FILE__, __LINE__, "setup failed");
		px_stop();
		return;
	}
	run_until(&cs.closed);
	CHECK(cs.closed && !cs.opened);
	if (strcmp(cs.reason, want_reason) != 0)
		th_fail(__FILE__, __LINE__, "reason '%s', want '%s'", cs.reason, want_reason);
	CHECK_EQ(cs.socks_err, want);
	CHECK(!px.mismatch);
	px_stop();
}

static void test_refused_05(void)
{
	failure_case(P_REFUSE, "proxy: connection refused by the destination", SOCKS5_ERR_REFUSED);
}

static void test_onion_not_found(void)
{
	failure_case(P_ONION, "onion service not found (not published or offline)",
		     SOCKS5_ERR_ONION_NOT_FOUND);
}

static void test_close_mid_reply(void)
{
	failure_case(P_CLOSE_MID, "proxy closed the connection", SOCKS5_ERR_PROXY_CLOSED);
}

/* Bytes after the reply in the same read reach the WebSocket parser. */
static void test_trailing_bytes(void)
{
	failure_case(P_TRAILING, "status is not 101", SOCKS5_OK);
}

/* The proxy accepts and reads but never answers: the deadline ends it. */
static void test_deadline(void)
{
	int64_t t0;

	if (px_start(P_SILENT, NULL, NULL, false) != 0 ||
	    connect_via(px.port, NULL, NULL, 300, false) != 0) {
		th_fail(__FILE__, __LINE__, "setup failed");
		px_stop();
		return;
	}
	t0 = hal_mono_ms();
	run_until(&cs.closed);
	CHECK(cs.closed && !cs.opened);
	CHECK(strcmp(cs.reason, "proxy connect timed out") == 0);
	CHECK_EQ(cs.socks_err, SOCKS5_ERR_PROXY_TIMEOUT);
	CHECK(cs.closed_at - t0 >= 250 && cs.closed_at - t0 < 3000);
	CHECK_EQ(px.accepted, 1);
	px_stop();
}

/* Nothing listens on the proxy port. */
static void test_proxy_refused(void)
{
	hal_fd l;
	uint16_t port = 0;

	memset(&cs, 0, sizeof(cs));
	if (hal_tcp_listen("127.0.0.1", 0, 1, &l) != HAL_NET_OK ||
	    hal_tcp_local_port(l, &port) != HAL_NET_OK) {
		th_fail(__FILE__, __LINE__, "no port");
		return;
	}
	hal_close(l);
	if (connect_via(port, NULL, NULL, DEADLINE_MS, false) != 0) {
		/* a connect refused at once is reported without on_close */
		CHECK(cli.socks == NULL);
		return;
	}
	run_until(&cs.closed);
	CHECK(strcmp(cs.reason, "proxy refused the connection") == 0);
	CHECK_EQ(cs.socks_err, SOCKS5_ERR_PROXY_REFUSED);
	cli.state = WSC_IDLE;
}

static void test_use_socks_args(void)
{
	static struct socks5 unstarted;

	CHECK_EQ(wsconn_use_socks(&cli, NULL, 100), -1);
	CHECK_EQ(wsconn_use_socks(&cli, &unstarted, 100), -1);
	CHECK_EQ(socks5_start(&engine, DEST, 443, NULL, NULL), 0);
	CHECK_EQ(wsconn_use_socks(&cli, &engine, 0), -1);
	CHECK(cli.socks == NULL);
	/* a connect that cannot start forgets the engine */
	CHECK_EQ(wsconn_use_socks(&cli, &engine, 100), 0);
	CHECK_EQ(wsconn_connect(&cli, &loop, "not-an-ip", 1, "h", "/", &cli_cbs, NULL), -1);
	CHECK(cli.socks == NULL && cli.socks_timer < 0);
}

int main(int argc, char **argv)
{
	pki = argc > 1 ? argv[1] : NULL;
	ev_init(&loop);
	TH_RUN(test_use_socks_args);
	TH_RUN(test_plain_noauth);
	TH_RUN(test_plain_auth);
	TH_RUN(test_tls_over_socks);
	TH_RUN(test_refused_05);
	TH_RUN(test_onion_not_found);
	TH_RUN(test_close_mid_reply);
	TH_RUN(test_trailing_bytes);
	TH_RUN(test_deadline);
	TH_RUN(test_proxy_refused);
	return th_finish();
}
