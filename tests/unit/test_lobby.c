/*
 * test_lobby.c - the lobby (net/lobby.h) over the real POSIX HAL and
 * loopback TCP: a first byte hands the connection over, silence closes it
 * after idle_ms, a full lobby of young entries pauses the listener instead
 * of pushing anyone out (the flood rule), an old entry is evicted for a
 * newcomer, an entry whose bytes arrived in the same iteration is handed
 * over rather than evicted, and LOBBY_ADMIT_READY passes newcomers on with
 * no_room. Every wait is bounded.
 */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "hal/hal_net.h"
#include "hal/hal_time.h"
#include "net/ev.h"
#include "net/lobby.h"
#include "th.h"

#define CAP 4
#define MAXC 16

static struct ev_loop loop;
static struct lobby lb;
static struct lobby_entry slots[CAP];
static hal_fd listener = HAL_FD_NONE;
static uint16_t port;
static hal_fd client[MAXC];
static int nclient;
static hal_fd got[MAXC];
static bool got_no_room[MAXC];
static int ngot;
static int nfull;

static void on_ready(struct lobby *l, hal_fd fd, int64_t since, bool no_room, void *arg)
{
	(void)l;
	(void)since;
	(void)arg;
	if (ngot < MAXC) {
		got_no_room[ngot] = no_room;
		got[ngot++] = fd;
	} else {
		hal_close(fd);
	}
}

static void on_full(struct lobby *l, void *arg)
{
	(void)l;
	(void)arg;
	nfull++;
}

static void setup(int64_t grace, int64_t idle, enum lobby_policy pol)
{
	int i;

	ev_init(&loop);
	ngot = nclient = nfull = 0;
	for (i = 0; i < MAXC; i++)
		client[i] = got[i] = HAL_FD_NONE;
	CHECK_EQ(hal_tcp_listen("127.0.0.1", 0, 64, &listener), HAL_NET_OK);
	CHECK_EQ(hal_tcp_local_port(listener, &port), HAL_NET_OK);
	CHECK_EQ(lobby_open(&lb, &loop, listener, slots, CAP, grace, idle, pol, on_ready, on_full,
			    NULL), 0);
}

static void teardown(void)
{
	int i;

	lobby_close(&lb);
	for (i = 0; i < MAXC; i++) {
		if (client[i] != HAL_FD_NONE)
			hal_close(client[i]);
		if (got[i] != HAL_FD_NONE)
			hal_close(got[i]);
	}
	hal_close(listener);
}

static int dial(void)
{
	hal_fd c;

	if (nclient >= MAXC || hal_tcp_connect("127.0.0.1", port, &c) != HAL_NET_OK)
		return -1;
	client[nclient] = c;
	return nclient++;
}

/* Runs the loop for ms milliseconds (or until cond() is true). */
static void run_for(int64_t ms, bool (*cond)(void))
{
	int64_t end = hal_mono_ms() + ms;

	while (hal_mono_ms() < end && (cond == NULL || !cond()))
		(void)ev_run_once(&loop, 10);
}

static int want_got;
static bool have_got(void)
{
	return ngot >= want_got;
}

/* 1 if the server side closed client i (EOF or reset), 0 if it is open. */
static int closed_by_server(int i)
{
	struct hal_pollfd p = { client[i], HAL_POLL_IN, 0 };
	uint8_t b;

	if (hal_poll(&p, 1, 200) <= 0)
		return 0;
	return hal_tcp_recv(client[i], &b, 1) <= 0;
}

static void test_first_byte_hands_over(void)
{
	int c;
	uint8_t buf[8];
	long n = 0;
	int64_t end;

	setup(1000, 5000, LOBBY_PAUSE);
	c = dial();
	CHECK(c >= 0);
	run_for(200, NULL);
	CHECK_EQ(lb.n, 1);
	CHECK_EQ(ngot, 0);
	CHECK_EQ(hal_tcp_send(client[c], "hi", 2), 2);
	want_got = 1;
	run_for(2000, have_got);
	CHECK_EQ(ngot, 1);
	CHECK_EQ(lb.n, 0);
	CHECK(!got_no_room[0]);
	/* The bytes are still there for the owner. */
	end = hal_mono_ms() + 2000;
	while (ngot == 1 && hal_mono_ms() < end && (n = hal_tcp_recv(got[0], buf, sizeof(buf))) == HAL_NET_AGAIN)
		;
	CHECK_EQ(n, 2);
	CHECK(memcmp(buf, "hi", 2) == 0);
	CHECK_EQ(lb.st.ready, 1);
	teardown();
}

static void test_idle_closed(void)
{
	int c;

	setup(100, 300, LOBBY_PAUSE);
	c = dial();
	run_for(150, NULL);
	CHECK_EQ(lb.n, 1);
	run_for(600, NULL);
	CHECK_EQ(lb.n, 0);
	CHECK_EQ(lb.st.idle_closed, 1);
	CHECK_EQ(closed_by_server(c), 1);
	CHECK_EQ(ngot, 0);
	teardown();
}

/* The flood rule: CAP young idle entries, then more connections. Nobody
 * already waiting is pushed out before grace_ms; the listener pauses. */
static void test_full_pauses_then_evicts_oldest(void)
{
	int i, late;

	setup(600, 10000, LOBBY_PAUSE);
	for (i = 0; i < CAP; i++) {
		CHECK(dial() >= 0);
		run_for(30, NULL);
	}
	run_for(50, NULL);
	CHECK_EQ(lb.n, CAP);
	late = dial();   /* one more: must wait in the kernel's queue */
	run_for(200, NULL);
	CHECK(lb.paused);
	CHECK(lb.st.paused >= 1);
	CHECK_EQ(lb.st.evicted, 0);
	CHECK_EQ(lb.st.accepted, CAP);
	for (i = 0; i < CAP; i++)
		CHECK_EQ(closed_by_server(i), 0);
	/* Its first byte is sent while it waits in the kernel's queue. */
	CHECK_EQ(hal_tcp_send(client[late], "x", 1), 1);
	/* After grace_ms the oldest idle one goes, and the waiting one comes
	 * in with its byte already there: handed over at once. */
	want_got = 1;
	run_for(2000, have_got);
	CHECK_EQ(ngot, 1);
	CHECK_EQ(lb.st.evicted, 1);
	CHECK_EQ(closed_by_server(0), 1);
	CHECK(nfull >= 1);
	teardown();
}

/* A burst that filled the lobby at once is evicted one at a time, at
 * least grace_ms / cap apart, not again in one burst a grace period later
 * (where a legitimate peer's SYN retries would have to hit that window).
 * Before the spacing rule, all CAP were evicted within one iteration. */
static bool evicted_one(void)
{
	return lb.st.evicted >= 1;
}

static bool evicted_all(void)
{
	return lb.st.evicted >= CAP;
}

static void test_burst_evicted_evenly(void)
{
	int i;
	int64_t t1, t4;

	setup(800, 20000, LOBBY_PAUSE);   /* spacing 800 / 4 = 200 ms */
	for (i = 0; i < CAP; i++)
		CHECK(dial() >= 0);
	run_for(100, NULL);
	CHECK_EQ(lb.n, CAP);
	for (i = 0; i < CAP; i++)   /* CAP more wait in the kernel's queue */
		CHECK(dial() >= 0);
	run_for(3000, evicted_one);
	t1 = hal_mono_ms();
	CHECK_EQ(lb.st.evicted, 1);
	run_for(100, NULL);
	CHECK_EQ(lb.st.evicted, 1);   /* the next is due 200 ms after the first */
	run_for(3000, evicted_all);
	t4 = hal_mono_ms();
	CHECK_EQ(lb.st.evicted, CAP);
	CHECK(t4 - t1 >= 3 * 200 - 20);
	CHECK_EQ(lb.n, CAP);
	teardown();
}

/* An entry old enough to be evicted, whose first byte arrived in the same
 * iteration as the newcomer that would evict it: handed over, not closed. */
static void test_ready_entry_not_evicted(void)
{
	int i;

	setup(50, 10000, LOBBY_PAUSE);
	for (i = 0; i < CAP; i++)
		CHECK(dial() >= 0);
	run_for(100, NULL);
	CHECK_EQ(lb.n, CAP);
	run_for(100, NULL);   /* all older than grace now */
	/* The oldest sends, and a newcomer arrives, before the loop runs. */
	for (i = 0; i < CAP; i++)
		CHECK_EQ(hal_tcp_send(client[i], "y", 1), 1);
	CHECK(dial() >= 0);
	(void)hal_poll(NULL, 0, 50);
	want_got = CAP;
	run_for(2000, have_got);
	CHECK_EQ(ngot, CAP);
	CHECK_EQ(lb.st.evicted, 0);
	teardown();
}

static void test_admit_ready(void)
{
	int i;

	setup(5000, 10000, LOBBY_ADMIT_READY);
	for (i = 0; i < CAP; i++)
		CHECK(dial() >= 0);
	run_for(100, NULL);
	CHECK_EQ(lb.n, CAP);
	CHECK(dial() >= 0);
	want_got = 1;
	run_for(1000, have_got);
	CHECK_EQ(ngot, 1);
	CHECK(got_no_room[0]);
	CHECK_EQ(lb.st.no_room, 1);
	CHECK(!lb.paused);
	teardown();
}

int main(void)
{
	TH_RUN(test_first_byte_hands_over);
	TH_RUN(test_idle_closed);
	TH_RUN(test_full_pauses_then_evicts_oldest);
	TH_RUN(test_burst_evicted_evenly);
	TH_RUN(test_ready_entry_not_evicted);
	TH_RUN(test_admit_ready);
	return th_finish();
}
