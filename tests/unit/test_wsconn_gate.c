/*
 * test_wsconn_gate.c - wsconn's rx_gate (flow control across connections,
 * used by the daemon to hold a source while its next hop drains, issue
 * 16): a gate that says no stops parsing before the next frame, the frame
 * stays (nothing is lost or parsed twice), the connection is not read,
 * wsconn_resume() asks the gate again and parses on when it says yes.
 *
 * The connection is a wsconn over one end of an AF_UNIX socketpair; the
 * other end plays the client and writes masked frames by hand. No network,
 * every wait bounded.
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/ev.h"
#include "net/wsconn.h"
#include "th.h"

static struct ev_loop loop;
static struct wsconn ut;
static int peer;
static int opened, closed, got;
static uint8_t last[8];
static bool gate_open = true;
static int asked;

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
	(void)user;
	got++;
	memcpy(last, data, len < sizeof(last) ? len : sizeof(last));
	/* The gate closes after each message: the next one must wait. */
	gate_open = false;
}

static void on_close(struct wsconn *c, const char *reason, void *user)
{
	(void)c;
	(void)reason;
	(void)user;
	closed++;
}

static bool gate(struct wsconn *c, void *user)
{
	(void)c;
	(void)user;
	asked++;
	return gate_open;
}

static const struct wsconn_cbs cbs = { on_open, on_message, on_close };

static const char upgrade[] =
	"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

static void run(int rounds)
{
	int i;

	for (i = 0; i < rounds; i++) {
		(void)ev_run_once(&loop, 5);
		wsconn_flush_all();
	}
}

/* One masked binary frame of 4 bytes "m<c>xx" from the client side. */
static void client_frame(char c)
{
	static const uint8_t mask[4] = { 0x11, 0x22, 0x33, 0x44 };
	uint8_t f[10];
	const uint8_t pl[4] = { 'm', (uint8_t)c, 'x', 'x' };
	int i;

	f[0] = 0x82;
	f[1] = 0x80 | 4;
	memcpy(f + 2, mask, 4);
	for (i = 0; i < 4; i++)
		f[6 + i] = pl[i] ^ mask[i];
	CHECK(send(peer, f, sizeof(f), 0) == (ssize_t)sizeof(f));
}

static void test_gate(void)
{
	int sv[2], i;
	uint8_t drain[512];

	ev_init(&loop);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	(void)fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	(void)fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
	peer = sv[1];
	ut.rx_gate = gate;
	CHECK(wsconn_accept(&ut, &loop, sv[0], &cbs, NULL) == 0);
	CHECK(ut.rx_gate == gate);   /* the slot keeps its gate */
	CHECK(send(peer, upgrade, sizeof(upgrade) - 1, 0) == (ssize_t)sizeof(upgrade) - 1);
	for (i = 0; i < 100 && opened == 0; i++)
		run(1);
	CHECK_EQ_U64(opened, 1);
	(void)recv(peer, drain, sizeof(drain), 0);

	/* Three frames at once: the first passes, then the gate holds. */
	client_frame('1');
	client_frame('2');
	client_frame('3');
	run(5);
	CHECK_EQ_U64(got, 1);
	CHECK(last[1] == '1');
	CHECK(ut.rx_held);
	CHECK(ut.rx_paused);

	/* Still closed: resume asks again and holds again. */
	asked = 0;
	wsconn_resume(&ut);
	CHECK(asked == 1);
	CHECK_EQ_U64(got, 1);
	CHECK(ut.rx_held);
	run(5);
	CHECK_EQ_U64(got, 1);   /* not parsed (nor read) while held */

	/* Open: the held frame comes, intact, then the gate closes again. */
	gate_open = true;
	wsconn_resume(&ut);
	CHECK_EQ_U64(got, 2);
	CHECK(last[1] == '2');
	CHECK(ut.rx_held);
	gate_open = true;
	wsconn_resume(&ut);
	CHECK_EQ_U64(got, 3);
	CHECK(last[1] == '3');

	/* A resume without a hold is a no-op. */
	gate_open = true;
	wsconn_resume(&ut);
	wsconn_resume(&ut);
	CHECK_EQ_U64(got, 3);
	client_frame('4');
	run(5);
	CHECK_EQ_U64(got, 4);
	CHECK(last[1] == '4');
	CHECK_EQ_U64(closed, 0);

	wsconn_abort(&ut, "test over");
	close(peer);
	wsconn_flush_all();
}

int main(void)
{
	TH_RUN(test_gate);
	return th_finish();
}
