/*
 * test_wsconn_tls.c - the end of a WebSocket stream in wsconn (issue 10):
 * a peer writes several messages and closes TCP right after them, so the
 * data and the FIN are read together. Every message must reach
 * on_message, in order, before on_close: over wss:// without close_notify
 * (the reason then says "truncated") and with it, with the wsconn as the
 * TLS server (an inbound peer writes) and as the TLS client (the next hop
 * writes, after its 101 in the same burst), and over plain ws://. A last
 * case fills the reader's send backlog so that it stops reading (rx
 * paused), then the peer sends the rest and its FIN: nothing is lost
 * either once the backlog drains. And a peer whose close() is a RST (it
 * left bytes unread): its messages still come first, then "receive
 * failed".
 *
 * The peer is driven by hand in this process: its own tls_conn and ws_conn
 * engines over a non-blocking loopback socket. It writes everything and
 * closes before the wsconn under test runs again, so all the bytes and the
 * FIN wait in the kernel when the wsconn reads. Every wait is bounded;
 * only 127.0.0.1.
 *
 * Usage: test_wsconn_tls [PKI_DIR] (tests/tls/make-certs.sh output; the
 * wss:// cases need it whenever a TLS backend is built).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "hal/hal_net.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"
#include "net/ev.h"
#include "net/tls.h"
#include "net/wsconn.h"
#include "th.h"

#define WAIT_MS 8000           /* bound on any wait */
#define MAX_MSGS 64

#if defined(ILPD_TLS_BEARSSL) || defined(ILPD_TLS_MBEDTLS)
#define HAVE_TLS 1
static struct tls_config ccfg, scfg;
static struct tls_conn utls, ptls;   /* under test, peer */
#else
#define HAVE_TLS 0
#endif
static const char *pki;
static struct ev_loop loop;
static struct wsconn ut;             /* the wsconn under test */

/* ---- what the wsconn under test sees ------------------------------------- */

static struct {
	bool opened, closed, late;       /* late: a message after on_close */
	int msgs;
	bool bad;                        /* a message differed from the one sent */
	size_t sizes[MAX_MSGS];
	char reason[128];
	uint8_t tls_err;
	size_t reply;                    /* bytes to answer each message with */
	bool paused_seen;
	int send_failed;
} us;

static uint8_t fill(int msg, size_t i)
{
	return (uint8_t)((size_t)msg * 7u + i * 13u + (i >> 7));
}

static void ut_open(struct wsconn *c, void *user)
{
	(void)c;
	(void)user;
	us.opened = true;
}

static void ut_message(struct wsconn *c, uint8_t op, uint8_t *data, size_t len, void *user)
{
	static uint8_t reply[16384];

	(void)op;
	(void)user;
	if (us.closed)
		us.late = true;
	if (us.msgs >= MAX_MSGS || len != us.sizes[us.msgs]) {
		us.bad = true;
	} else {
		for (size_t i = 0; i < len; i++)
			if (data[i] != fill(us.msgs, i))
				us.bad = true;
	}
	us.msgs++;
	if (us.reply > 0) {
		memset(reply, 0x5a, us.reply);
		if (wsconn_send(c, WS_OP_BINARY, reply, us.reply) != 0)
			us.send_failed++;
		if (c->rx_paused)
			us.paused_seen = true;
	}
}

static void ut_close(struct wsconn *c, const char *reason, void *user)
{
	(void)user;
	us.closed = true;
	us.tls_err = c->tls_err;
	snprintf(us.reason, sizeof(us.reason), "%s", reason);
}

static const struct wsconn_cbs ut_cbs = { ut_open, ut_message, ut_close };

/* ---- the peer ------------------------------------------------------------ */

static struct {
	hal_fd fd;
	bool tls;
	struct ws_conn ws;
	uint8_t in[65536];               /* plaintext received */
	size_t in_len;
	bool eof;
} pr;

static int peer_random(void *buf, size_t n)
{
	return hal_random(buf, n);
}

/* Sends all of [p, p+n) on the socket (bounded wait, without running the
 * loop: the wsconn under test must not read meanwhile). */
static bool sock_send_all(const uint8_t *p, size_t n)
{
	int64_t end = hal_mono_ms() + WAIT_MS;

	while (n > 0 && hal_mono_ms() < end) {
		long k = hal_tcp_send(pr.fd, p, n);
		struct hal_pollfd pf = { pr.fd, HAL_POLL_OUT, 0 };

		if (k > 0) {
			p += k;
			n -= (size_t)k;
		} else if (k == HAL_NET_AGAIN) {
			(void)hal_poll(&pf, 1, 20);
		} else {
			return false;
		}
	}
	return n == 0;
}

#if HAVE_TLS
/* Writes every record the peer's engine has. */
static bool peer_records_out(void)
{
	uint8_t *b;
	size_t len;

	while ((b = tls_sendrec_buf(&ptls, &len)) != NULL && len > 0) {
		if (!sock_send_all(b, len))
			return false;
		tls_sendrec_ack(&ptls, len);
	}
	return true;
}
#endif

/* Writes plaintext: through the engine (a record per call at least) or
 * straight to the socket. */
static bool peer_put(const uint8_t *p, size_t n)
{
#if HAVE_TLS
	if (pr.tls) {
		while (n > 0) {
			size_t len;
			uint8_t *b = tls_sendapp_buf(&ptls, &len);

			if (b == NULL || len == 0) {
				tls_flush(&ptls);
				if (!peer_records_out() || tls_sendapp_buf(&ptls, &len) == NULL)
					return false;
				continue;
			}
			if (len > n)
				len = n;
			memcpy(b, p, len);
			tls_sendapp_ack(&ptls, len);
			p += len;
			n -= len;
		}
		tls_flush(&ptls);
		return peer_records_out();
	}
#endif
	return sock_send_all(p, n);
}

/* Moves what the socket has into pr.in (through the engine with TLS) and
 * writes the engine's handshake records. Never blocks. */
static void peer_pump(void)
{
	for (int i = 0; i < 64 && !pr.eof; i++) {
		uint8_t *b = pr.in + pr.in_len;
		size_t len = sizeof(pr.in) - pr.in_len;
		long n;

#if HAVE_TLS
		if (pr.tls) {
			(void)peer_records_out();
			while ((b = tls_recvapp_buf(&ptls, &len)) != NULL && len > 0) {
				if (len > sizeof(pr.in) - pr.in_len)
					len = sizeof(pr.in) - pr.in_len;
				memcpy(pr.in + pr.in_len, b, len);
				pr.in_len += len;
				tls_recvapp_ack(&ptls, len);
				if (pr.in_len == sizeof(pr.in))
					pr.in_len = 0;   /* only the head matters; echoes are dropped */
			}
			b = tls_recvrec_buf(&ptls, &len);
			if (b == NULL || len == 0)
				return;
		}
#endif
		n = hal_tcp_recv(pr.fd, b, len);
		if (n == HAL_NET_AGAIN)
			return;
		if (n <= 0) {
			pr.eof = true;
			return;
		}
#if HAVE_TLS
		if (pr.tls) {
			tls_recvrec_ack(&ptls, (size_t)n);
			continue;
		}
#endif
		pr.in_len += (size_t)n;
		if (pr.in_len == sizeof(pr.in))
			pr.in_len = 0;
	}
}

static void step(void)
{
	(void)ev_run_once(&loop, 10);
	wsconn_flush_all();
	if (pr.fd != HAL_FD_NONE)
		peer_pump();
}

/* Writes message i (size n) as a WebSocket frame from the peer. */
static bool peer_message(int i, size_t n)
{
	static uint8_t payload[16384], frame[16384 + WS_MAX_HEADER];
	size_t len;

	for (size_t k = 0; k < n; k++)
		payload[k] = fill(i, k);
	us.sizes[i] = n;
	return ws_write(&pr.ws, WS_OP_BINARY, payload, n, frame, sizeof(frame), &len) == ILP_OK &&
	       peer_put(frame, len);
}

/* The peer's close: optional close_notify, then the socket (FIN). */
static void peer_close(bool notify, bool half)
{
#if HAVE_TLS
	if (pr.tls && notify) {
		tls_close(&ptls);
		CHECK(peer_records_out());
	}
#else
	(void)notify;
#endif
	if (half) {
		CHECK_EQ(shutdown(pr.fd, SHUT_WR), 0);
		return;
	}
	peer_pump();   /* nothing unread: close() sends a FIN, not a RST */
	hal_close(pr.fd);
	pr.fd = HAL_FD_NONE;
}

static void run_until_closed(void)
{
	int64_t end = hal_mono_ms() + WAIT_MS;

	while (!us.closed && hal_mono_ms() < end)
		step();
	CHECK(us.closed);
}

/* ---- setting up both ends ------------------------------------------------ */

static void reset(bool tls)
{
	memset(&us, 0, sizeof(us));
	pr.fd = HAL_FD_NONE;
	pr.tls = tls;
	pr.in_len = 0;
	pr.eof = false;
}

static bool start_engine(struct tls_conn *t, enum tls_role role)
{
#if HAVE_TLS
	return tls_conn_start(t, role == TLS_CLIENT ? &ccfg : &scfg, role,
			      role == TLS_CLIENT ? "localhost" : NULL, NULL) == 0;
#else
	(void)t;
	(void)role;
	return false;
#endif
}

/* The wsconn under test accepts; the peer is the client. On return the
 * WebSocket is open on both ends (true), the peer's socket buffers as
 * small as the kernel allows with `small`. */
static bool open_inbound(bool tls, bool small)
{
	hal_fd lfd = HAL_FD_NONE, fd = HAL_FD_NONE;
	uint16_t port = 0;
	uint8_t req[512];
	size_t n = 0, used = 0;
	const char *why = "";
	int64_t end;
	int r = ILP_ERR_NEED_MORE;

	reset(tls);
	if (hal_tcp_listen("127.0.0.1", 0, 4, &lfd) != HAL_NET_OK ||
	    hal_tcp_local_port(lfd, &port) != HAL_NET_OK ||
	    hal_tcp_connect("127.0.0.1", port, &pr.fd) != HAL_NET_OK)
		return false;
	end = hal_mono_ms() + WAIT_MS;
	while (hal_tcp_accept(lfd, &fd, NULL) != HAL_NET_OK && hal_mono_ms() < end) {
		struct hal_pollfd pf = { lfd, HAL_POLL_IN, 0 };
		(void)hal_poll(&pf, 1, 20);
	}
	hal_close(lfd);
	if (fd == HAL_FD_NONE)
		return false;
	if (small) {
		int sz = 4096;
		CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
		CHECK_EQ(setsockopt(pr.fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	}
	if (tls && (!start_engine(&utls, TLS_SERVER) || wsconn_use_tls(&ut, &utls) != 0 ||
		    !start_engine(&ptls, TLS_CLIENT)))
		return false;
	if (wsconn_accept(&ut, &loop, fd, &ut_cbs, NULL) != 0)
		return false;
	ws_init(&pr.ws, WS_CLIENT, 65536, NULL, 0, peer_random);
	if (ws_client_request(&pr.ws, "localhost", "/", req, sizeof(req), &n) != ILP_OK)
		return false;
#if HAVE_TLS
	/* The request goes once the handshake is done (nothing to send before). */
	for (end = hal_mono_ms() + WAIT_MS; tls && hal_mono_ms() < end &&
	     !(tls_state(&ptls) & TLS_ST_SENDAPP);)
		step();
#endif
	if (!peer_put(req, n))
		return false;
	for (end = hal_mono_ms() + WAIT_MS; hal_mono_ms() < end && r == ILP_ERR_NEED_MORE;) {
		step();
		r = ws_client_response(&pr.ws, pr.in, pr.in_len, &used, &why);
	}
	if (r != ILP_OK) {
		printf("  handshake: %s\n", why);
		return false;
	}
	pr.in_len = 0;
	return us.opened;
}

/* The wsconn under test connects; the peer is the server. On return the
 * peer has the upgrade request and its 101 is in resp (not yet sent). */
static bool open_outbound(bool tls, uint8_t *resp, size_t cap, size_t *resp_len)
{
	hal_fd lfd = HAL_FD_NONE;
	uint16_t port = 0;
	size_t used = 0;
	char path[64];
	const char *why = "";
	int64_t end;
	int r = ILP_ERR_NEED_MORE;

	reset(tls);
	if (hal_tcp_listen("127.0.0.1", 0, 4, &lfd) != HAL_NET_OK ||
	    hal_tcp_local_port(lfd, &port) != HAL_NET_OK)
		return false;
	if (tls && (!start_engine(&utls, TLS_CLIENT) || wsconn_use_tls(&ut, &utls) != 0 ||
		    !start_engine(&ptls, TLS_SERVER))) {
		hal_close(lfd);
		return false;
	}
	if (wsconn_connect(&ut, &loop, "127.0.0.1", port, "localhost", "/", &ut_cbs, NULL) != 0) {
		hal_close(lfd);
		return false;
	}
	end = hal_mono_ms() + WAIT_MS;
	while (hal_tcp_accept(lfd, &pr.fd, NULL) != HAL_NET_OK && hal_mono_ms() < end)
		step();
	hal_close(lfd);
	if (pr.fd == HAL_FD_NONE)
		return false;
	ws_init(&pr.ws, WS_SERVER, 65536, NULL, 0, peer_random);
	for (end = hal_mono_ms() + WAIT_MS; hal_mono_ms() < end && r == ILP_ERR_NEED_MORE;) {
		step();
		if (pr.in_len > 0)
			r = ws_server_handshake(&pr.ws, pr.in, pr.in_len, &used, path, sizeof(path),
						resp, cap, resp_len, &why);
	}
	if (r != ILP_OK)
		printf("  handshake: %s\n", why);
	pr.in_len = 0;
	return r == ILP_OK;
}

/* ---- the cases ----------------------------------------------------------- */

static const char *want_reason(bool tls, bool notify)
{
#if HAVE_TLS
	if (tls && !notify)
		return tls_error_str(TLS_ERR_TRUNCATED);
#else
	(void)tls;
	(void)notify;
#endif
	return "peer closed the connection";
}

static void check_end(const char *name, int n, bool tls, bool notify)
{
	if (us.msgs != n)
		printf("  %s: %d of %d messages before on_close (reason \"%s\")\n", name, us.msgs,
		       n, us.reason);
	CHECK_EQ(us.msgs, n);
	CHECK(!us.bad);
	CHECK(!us.late);
	CHECK(us.closed);
	if (strcmp(us.reason, want_reason(tls, notify)) != 0)
		th_fail(__FILE__, __LINE__, "%s: reason \"%s\", want \"%s\"", name, us.reason,
			want_reason(tls, notify));
	CHECK_EQ(us.tls_err, 0);
}

/* An inbound peer writes n messages of `size` bytes and closes. */
static void inbound_case(bool tls, bool notify, int n, size_t size)
{
	char name[64];

	snprintf(name, sizeof(name), "inbound %s%s %d x %zu", tls ? "wss" : "ws",
		 notify ? "+close_notify" : "", n, size);
	if (!open_inbound(tls, false)) {
		th_fail(__FILE__, __LINE__, "%s: setup failed", name);
		wsconn_abort(&ut, "setup");
		if (pr.fd != HAL_FD_NONE)
			hal_close(pr.fd);
		return;
	}
	for (int i = 0; i < n; i++)
		CHECK(peer_message(i, size + (size_t)i % 7));
	peer_close(notify, false);
	run_until_closed();
	check_end(name, n, tls, notify);
}

/* The next hop answers the upgrade and, in the same burst, writes n
 * messages and closes. */
static void outbound_case(bool tls, bool notify, int n, size_t size)
{
	uint8_t resp[512];
	size_t rn = 0;
	char name[64];

	snprintf(name, sizeof(name), "outbound %s%s %d x %zu", tls ? "wss" : "ws",
		 notify ? "+close_notify" : "", n, size);
	if (!open_outbound(tls, resp, sizeof(resp), &rn)) {
		th_fail(__FILE__, __LINE__, "%s: setup failed", name);
		wsconn_abort(&ut, "setup");
		if (pr.fd != HAL_FD_NONE)
			hal_close(pr.fd);
		return;
	}
	CHECK(peer_put(resp, rn));
	for (int i = 0; i < n; i++)
		CHECK(peer_message(i, size + (size_t)i % 7));
	peer_close(notify, false);
	run_until_closed();
	CHECK(us.opened);
	check_end(name, n, tls, notify);
}

static void test_plain(void)
{
	inbound_case(false, false, 50, 60);
	inbound_case(false, false, 20, 1500);
	outbound_case(false, false, 50, 60);
	outbound_case(false, false, 20, 1500);
}

static bool tls_ready(void)
{
#if HAVE_TLS
	char err[256], ca[512], chain[512], key[512];

	if (pki == NULL) {
		th_fail(__FILE__, __LINE__, "wss:// cases need PKI_DIR (tests/tls/make-certs.sh)");
		return false;
	}
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(chain, sizeof(chain), "%s/chain.pem", pki);
	snprintf(key, sizeof(key), "%s/server.key", pki);
	if (tls_config_client(&ccfg, ca, err, sizeof(err)) != 0 ||
	    tls_config_server(&scfg, chain, key, err, sizeof(err)) != 0) {
		th_fail(__FILE__, __LINE__, "TLS config: %s", err);
		return false;
	}
	return true;
#else
	printf("  this build has no TLS backend (ILPD_TLS=none): wss:// cases not built\n");
	return false;
#endif
}

/* 50 small messages (Fulfill-sized) and 20 of 1.5 KB (a record each, more
 * than one engine buffer), both ways, without and with close_notify. */
static void test_tls_fin(void)
{
	if (!tls_ready())
		return;
	for (int notify = 0; notify < 2; notify++) {
		inbound_case(true, notify, 50, 60);
		inbound_case(true, notify, 20, 1500);
		inbound_case(true, notify, 1, 10);
		outbound_case(true, notify, 50, 60);
		outbound_case(true, notify, 20, 1500);
		outbound_case(true, notify, 1, 10);
	}
}

/* The reader answers each message with 8 KB; the peer does not read, so
 * the backlog passes ILPD_WSCONN_TX_HIGH and the wsconn stops reading. The
 * peer then sends the rest, and its FIN (half close: it still reads),
 * while the wsconn is paused, and only then drains the answers. */
static void backlog_case(bool tls)
{
	int first = 30, total = 60;
	int64_t end;

	if (!open_inbound(tls, true)) {
		th_fail(__FILE__, __LINE__, "backlog %s: setup failed", tls ? "wss" : "ws");
		wsconn_abort(&ut, "setup");
		if (pr.fd != HAL_FD_NONE)
			hal_close(pr.fd);
		return;
	}
	us.reply = 8000;
	for (int i = 0; i < first; i++)
		CHECK(peer_message(i, 1000));
	/* Run the wsconn only (the peer reads nothing) until it pauses. */
	for (end = hal_mono_ms() + WAIT_MS; !ut.rx_paused && !us.closed && hal_mono_ms() < end;) {
		(void)ev_run_once(&loop, 10);
		wsconn_flush_all();
	}
	CHECK(ut.rx_paused);
	CHECK(us.msgs < first);
	for (int i = first; i < total; i++)
		CHECK(peer_message(i, 1000));
	peer_close(false, true);
	/* Full-size buffers again: the answers drain in a few rounds. */
	CHECK_EQ(setsockopt(ut.fd, SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int)), 0);
	CHECK_EQ(setsockopt(pr.fd, SOL_SOCKET, SO_RCVBUF, &(int){ 1 << 20 }, sizeof(int)), 0);
	run_until_closed();       /* the peer now reads the answers */
	check_end(tls ? "backlog wss" : "backlog ws", total, tls, false);
	if (pr.fd != HAL_FD_NONE)
		hal_close(pr.fd);
	pr.fd = HAL_FD_NONE;
}

static void test_backlog(void)
{
	backlog_case(false);
	if (tls_ready())
		backlog_case(true);
}

/* The peer leaves bytes unread, so its close() is a RST: the messages it
 * wrote before still come first, then "receive failed". */
static void reset_case(bool tls, int n)
{
	char name[64];
	int64_t end;

	snprintf(name, sizeof(name), "inbound %s + RST %d x 60", tls ? "wss" : "ws", n);
	if (!open_inbound(tls, false)) {
		th_fail(__FILE__, __LINE__, "%s: setup failed", name);
		wsconn_abort(&ut, "setup");
		if (pr.fd != HAL_FD_NONE)
			hal_close(pr.fd);
		return;
	}
	/* Every write leaves at once (no Nagle): a RST drops what is unsent. */
	CHECK_EQ(setsockopt(pr.fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)), 0);
	CHECK_EQ(wsconn_send(&ut, WS_OP_BINARY, (const uint8_t *)"unread", 6), 0);
	for (end = hal_mono_ms() + 200; hal_mono_ms() < end;) {   /* the peer does not read */
		(void)ev_run_once(&loop, 10);
		wsconn_flush_all();
	}
	for (int i = 0; i < n; i++)
		CHECK(peer_message(i, 60));
	/* Wait until the kernel has sent (and had acked) every byte: a RST
	 * discards the sender's unsent bytes, which is not the reader's loss. */
	for (end = hal_mono_ms() + WAIT_MS; hal_mono_ms() < end;) {
		int q = -1;

		if (ioctl(pr.fd, TIOCOUTQ, &q) != 0 || q == 0)
			break;
		struct hal_pollfd pf = { pr.fd, 0, 0 };
		(void)hal_poll(&pf, 1, 5);
	}
	hal_close(pr.fd);
	pr.fd = HAL_FD_NONE;
	run_until_closed();
	if (us.msgs != n)
		printf("  %s: %d of %d messages before on_close (reason \"%s\")\n", name, us.msgs,
		       n, us.reason);
	CHECK_EQ(us.msgs, n);
	CHECK(!us.bad);
	CHECK(!us.late);
	if (strcmp(us.reason, "receive failed") != 0)
		th_fail(__FILE__, __LINE__, "%s: reason \"%s\", want \"receive failed\"", name,
			us.reason);
}

static void test_reset(void)
{
	reset_case(false, 20);
	if (tls_ready())
		reset_case(true, 20);
}

int main(int argc, char **argv)
{
	pki = argc > 1 ? argv[1] : NULL;
	ev_init(&loop);
	TH_RUN(test_plain);
	TH_RUN(test_tls_fin);
	TH_RUN(test_backlog);
	TH_RUN(test_reset);
	return th_finish();
}
