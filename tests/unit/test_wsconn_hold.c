/*
 * test_wsconn_hold.c - wsconn_hold_output() (the durable ledger's sync
 * mode): while output is held, no byte queued since the last
 * wsconn_flush_all() reaches a socket, whatever path would write it, and
 * wsconn_flush_all() then writes it.
 *
 * Cases:
 *  - a full flush list: more connections marked in one iteration than the
 *    list holds (without the hold, the overflowing ones are written at
 *    once);
 *  - the writable callback: a connection whose released bytes did not all
 *    fit the socket is watched for output; when the peer reads, the
 *    callback writes the released bytes only, not a frame queued after
 *    the release;
 *  - the client's HTTP upgrade (written by the connect callback) and a
 *    close frame wait for the release too;
 *  - the two-stage release (pipelined group commit): wsconn_release_marked()
 *    writes exactly what was queued before wsconn_mark_output(), on every
 *    connection, and nothing queued after it (also when the send buffer is
 *    compacted between the mark and the release: the mark moves with the
 *    bytes); a later mark or wsconn_flush_all() lets the rest go.
 *
 * Every connection is a wsconn over one end of an AF_UNIX socketpair; the
 * other end (the "peer") is read and written by hand, non-blocking. No
 * network, every wait bounded.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/ev.h"
#include "net/wsconn.h"
#include "th.h"

/* One more than the flush list holds (wsconn.c: ILPD_MAX_CONNS + 8). */
#define NCONN (ILPD_MAX_CONNS + 9)

static struct ev_loop loop;
static struct wsconn ut[NCONN];
static int peer[NCONN];
static int opened, closed;

static void on_open(struct wsconn *c, void *user)
{
	(void)c;
	(void)user;
	opened++;
}

static void on_message(struct wsconn *c, uint8_t op, uint8_t *data, size_t len, void *user)
{
	(void)c;
	(void)op;
	(void)data;
	(void)len;
	(void)user;
}

static void on_close(struct wsconn *c, const char *reason, void *user)
{
	(void)c;
	(void)reason;
	(void)user;
	closed++;
}

static const struct wsconn_cbs cbs = { on_open, on_message, on_close };

static const char upgrade[] =
	"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

static void nonblock(int fd)
{
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Bytes the peer end can read now (all of them, discarded; a copy of the
 * last up to cap bytes in out when out != NULL). */
static size_t peer_read(int fd, uint8_t *out, size_t cap)
{
	static uint8_t buf[65536];
	size_t total = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		if (out != NULL) {
			size_t k = (size_t)n < cap ? (size_t)n : cap;

			memcpy(out, buf + (size_t)n - k, k);
		}
		total += (size_t)n;
	}
	return total;
}

static void run(int rounds)
{
	int i;

	for (i = 0; i < rounds; i++) {
		(void)ev_run_once(&loop, 5);
		wsconn_flush_all();
	}
}

/* n server-side connections, open, their 101 read by the peers. */
static int setup(int n)
{
	int i, sv[2];

	ev_init(&loop);
	opened = closed = 0;
	wsconn_hold_output(false);
	for (i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			return -1;
		nonblock(sv[0]);
		nonblock(sv[1]);
		peer[i] = sv[1];
		if (wsconn_accept(&ut[i], &loop, sv[0], &cbs, NULL) != 0)
			return -1;
		if (send(peer[i], upgrade, sizeof(upgrade) - 1, 0) != (ssize_t)sizeof(upgrade) - 1)
			return -1;
	}
	for (i = 0; i < 200 && opened < n; i++)
		run(1);
	run(2);
	for (i = 0; i < n; i++)
		(void)peer_read(peer[i], NULL, 0);
	return opened == n ? 0 : -1;
}

static void teardown(int n)
{
	int i;

	wsconn_hold_output(false);
	for (i = 0; i < n; i++) {
		wsconn_abort(&ut[i], "test over");
		close(peer[i]);
	}
	wsconn_flush_all();
}

/* More connections marked than the flush list holds: none is written
 * before wsconn_flush_all(). */
static void test_full_list(void)
{
	static const uint8_t msg[] = "held";
	int i, early = 0, late = 0;

	CHECK_EQ(setup(NCONN), 0);
	wsconn_hold_output(true);
	for (i = 0; i < NCONN; i++)
		CHECK_EQ(wsconn_send(&ut[i], WS_OP_BINARY, msg, sizeof(msg)), 0);
	CHECK(wsconn_output_waiting());
	for (i = 0; i < NCONN; i++)
		if (peer_read(peer[i], NULL, 0) > 0)
			early++;
	CHECK_EQ(early, 0);
	wsconn_flush_all();
	for (i = 0; i < NCONN; i++)
		if (peer_read(peer[i], NULL, 0) == 2 + sizeof(msg))
			late++;
	CHECK_EQ(late, NCONN);
	CHECK(!wsconn_output_waiting());
	teardown(NCONN);
}

/* The writable callback writes released bytes, not a frame queued after
 * the release. */
static void test_writable(void)
{
	static uint8_t big[8000];
	static const uint8_t mark[] = "MARK-after-release";
	uint8_t tail[sizeof(mark)];
	uint64_t released, base;
	int i, n = 0, idle = 0, sz = 4096;
	size_t got = 0;

	CHECK_EQ(setup(1), 0);
	(void)setsockopt(ut[0].fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(peer[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	memset(big, 'b', sizeof(big));
	base = ut[0].bytes_out;   /* the 101 answer */
	wsconn_hold_output(true);
	while (n < 12 && wsconn_send(&ut[0], WS_OP_BINARY, big, sizeof(big)) == 0)
		n++;
	CHECK(n >= 4);
	wsconn_flush_all();
	released = ut[0].bytes_out + (ut[0].tx_len - ut[0].tx_off);
	CHECK(ut[0].tx_off < ut[0].tx_len);   /* the socket did not take it all */
	CHECK_EQ(wsconn_send(&ut[0], WS_OP_BINARY, mark, sizeof(mark)), 0);
	/* The peer reads; every writable event may write what was released. */
	for (i = 0; i < 2000 && idle < 20; i++) {
		size_t k = peer_read(peer[0], tail, sizeof(tail));

		got += k;
		idle = k == 0 ? idle + 1 : 0;
		(void)ev_run_once(&loop, 2);
	}
	CHECK_EQ_U64(ut[0].bytes_out, released);
	CHECK_EQ_U64(got, released - base);
	CHECK(wsconn_output_waiting());
	wsconn_flush_all();
	for (i = 0, idle = 0; i < 200 && idle < 5; i++) {
		size_t k = peer_read(peer[0], tail, sizeof(tail));

		got += k;
		idle = k == 0 ? idle + 1 : 0;
		(void)ev_run_once(&loop, 2);
		wsconn_flush_all();
	}
	CHECK_EQ_U64(got, released - base + 2 + sizeof(mark));
	CHECK_MEM(tail, mark, sizeof(mark));
	teardown(1);
}

/* A close frame and a client's upgrade request wait for the release. */
static void test_close_and_upgrade(void)
{
	int i;
	uint8_t buf[512];

	CHECK_EQ(setup(1), 0);
	wsconn_hold_output(true);
	wsconn_close(&ut[0], WS_CLOSE_NORMAL, "bye");
	run(0);
	(void)ev_run_once(&loop, 5);
	CHECK_EQ((long long)peer_read(peer[0], NULL, 0), 0);
	wsconn_flush_all();
	CHECK_EQ((long long)peer_read(peer[0], NULL, 0), 4);   /* 0x88 0x02 + code */
	teardown(1);

	/* Client side: the connect completes in a callback, which writes the
	 * upgrade request at once without a hold. A socketpair is connected
	 * from the start; wsconn_connect needs TCP, so a listener on
	 * 127.0.0.1 stands in for the server. */
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		hal_fd lfd;
		uint16_t port = 0;
		int afd = -1;

		ev_init(&loop);
		wsconn_hold_output(true);
		CHECK_EQ(hal_tcp_listen("127.0.0.1", 0, 4, &lfd), HAL_NET_OK);
		CHECK_EQ(getsockname(lfd, (struct sockaddr *)&ss, &sl), 0);
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		CHECK_EQ(wsconn_connect(&ut[0], &loop, "127.0.0.1", port, "x", "/", &cbs, NULL), 0);
		for (i = 0; i < 100 && afd < 0; i++) {
			(void)ev_run_once(&loop, 5);
			afd = accept(lfd, NULL, NULL);
		}
		CHECK(afd >= 0);
		for (i = 0; i < 10; i++)
			(void)ev_run_once(&loop, 5);
		nonblock(afd);
		CHECK_EQ(recv(afd, buf, sizeof(buf), 0), -1);
		CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
		CHECK(wsconn_output_waiting());
		wsconn_flush_all();
		CHECK(recv(afd, buf, sizeof(buf), 0) > 0);
		wsconn_hold_output(false);
		wsconn_abort(&ut[0], "test over");
		wsconn_flush_all();
		if (afd >= 0)
			close(afd);
		hal_close(lfd);
	}
}

/* Bytes queued before the mark go at the release; those after wait. */
static void test_mark_release(void)
{
	static const uint8_t a1[] = "a1-before-mark", a2[] = "a2-after-mark",
			     a3[] = "a3-after-second-mark", b1[] = "b1-before";
	uint8_t tail[32];
	int i;

	CHECK_EQ(setup(2), 0);
	wsconn_hold_output(true);
	CHECK_EQ(wsconn_send(&ut[0], WS_OP_BINARY, a1, sizeof(a1)), 0);
	CHECK_EQ(wsconn_send(&ut[1], WS_OP_BINARY, b1, sizeof(b1)), 0);
	wsconn_mark_output();
	CHECK_EQ(wsconn_send(&ut[0], WS_OP_BINARY, a2, sizeof(a2)), 0);
	for (i = 0; i < 3; i++)
		(void)ev_run_once(&loop, 2);
	CHECK_EQ((long long)peer_read(peer[0], NULL, 0), 0);
	CHECK_EQ((long long)peer_read(peer[1], NULL, 0), 0);
	wsconn_release_marked();
	for (i = 0; i < 3; i++)
		(void)ev_run_once(&loop, 2);
	CHECK_EQ((long long)peer_read(peer[0], tail, sizeof(a1)), (long long)(2 + sizeof(a1)));
	CHECK_MEM(tail, a1, sizeof(a1));
	CHECK_EQ((long long)peer_read(peer[1], NULL, 0), (long long)(2 + sizeof(b1)));
	CHECK(wsconn_output_waiting());   /* a2 */
	/* A second group: a2 was queued before this mark, a3 after it. */
	wsconn_mark_output();
	CHECK_EQ(wsconn_send(&ut[0], WS_OP_BINARY, a3, sizeof(a3)), 0);
	wsconn_release_marked();
	CHECK_EQ((long long)peer_read(peer[0], tail, sizeof(a2)), (long long)(2 + sizeof(a2)));
	CHECK_MEM(tail, a2, sizeof(a2));
	CHECK(wsconn_output_waiting());   /* a3 */
	wsconn_flush_all();
	CHECK_EQ((long long)peer_read(peer[0], tail, sizeof(a3)), (long long)(2 + sizeof(a3)));
	CHECK_MEM(tail, a3, sizeof(a3));
	CHECK(!wsconn_output_waiting());
	/* A release with no mark since the last one writes nothing new. */
	CHECK_EQ(wsconn_send(&ut[1], WS_OP_BINARY, b1, sizeof(b1)), 0);
	wsconn_release_marked();
	CHECK_EQ((long long)peer_read(peer[1], NULL, 0), 0);
	wsconn_flush_all();
	CHECK_EQ((long long)peer_read(peer[1], NULL, 0), (long long)(2 + sizeof(b1)));
	teardown(2);
}

/* The mark survives the send buffer's compaction (wsc_room moves the
 * unsent bytes to the front): the release ends exactly at the marked
 * frame. */
static void test_mark_compaction(void)
{
	static uint8_t big[8000];
	static const uint8_t m1[] = "M1-the-marked-frame";
	uint8_t tail[sizeof(m1)];
	uint64_t before;
	int i, idle = 0, sz = 4096, compacted = 0;
	size_t got = 0, base, off_seen;

	CHECK_EQ(setup(1), 0);
	(void)setsockopt(ut[0].fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(peer[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	memset(big, 'b', sizeof(big));
	base = (size_t)ut[0].bytes_out;
	wsconn_hold_output(true);
	for (i = 0; i < 4; i++)
		CHECK_EQ(wsconn_send(&ut[0], WS_OP_BINARY, big, sizeof(big)), 0);
	wsconn_flush_all();
	CHECK(ut[0].tx_off > 0 && ut[0].tx_off < ut[0].tx_len);
	CHECK_EQ(wsconn_send(&ut[0], WS_OP_BINARY, m1, sizeof(m1)), 0);
	wsconn_mark_output();
	/* Released before the mark: the 4 big frames and m1. */
	before = ut[0].tx_len - ut[0].tx_off + ut[0].bytes_out - base;
	/* After the mark, until the buffer is compacted. */
	for (i = 0; i < 64 && !compacted; i++) {
		off_seen = ut[0].tx_off;
		if (wsconn_send(&ut[0], WS_OP_BINARY, big, sizeof(big)) != 0)
			break;
		compacted = off_seen > 0 && ut[0].tx_off == 0;
	}
	CHECK(compacted);
	/* The peer reads everything it can: only what the earlier release let
	 * go (the big frames, not m1). */
	for (i = 0; i < 2000 && idle < 20; i++) {
		size_t k = peer_read(peer[0], NULL, 0);

		got += k;
		idle = k == 0 ? idle + 1 : 0;
		(void)ev_run_once(&loop, 2);
	}
	CHECK_EQ_U64(got, before - (2 + sizeof(m1)));
	wsconn_release_marked();
	for (i = 0, idle = 0; i < 2000 && idle < 20; i++) {
		size_t k = peer_read(peer[0], tail, sizeof(tail));

		got += k;
		idle = k == 0 ? idle + 1 : 0;
		(void)ev_run_once(&loop, 2);
	}
	CHECK_EQ_U64(got, before);
	CHECK_MEM(tail, m1, sizeof(m1));
	CHECK(wsconn_output_waiting());
	teardown(1);
}

int main(void)
{
	TH_RUN(test_full_list);
	TH_RUN(test_writable);
	TH_RUN(test_close_and_upgrade);
	TH_RUN(test_mark_release);
	TH_RUN(test_mark_compaction);
	return th_finish();
}
