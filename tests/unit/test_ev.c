/*
 * test_ev.c - the event loop over the real POSIX HAL: timer order and
 * timing, I/O dispatch through loopback TCP pairs, deletion and slot reuse
 * from inside callbacks (generations), stale ids, full tables, and the
 * poll-set fast path. Every wait is bounded.
 */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "hal/hal_net.h"
#include "hal/hal_time.h"
#include "net/ev.h"
#include "th.h"

#define WAIT_MS 3000 /* bound on any wait (qemu-user is slow) */
#define LATE_MS 250  /* how late a timer may fire under a loaded CI/qemu */

static struct ev_loop loop;

/* --- a loopback TCP pair (client c, accepted s) --- */

static unsigned wait_ready(hal_fd fd, unsigned want)
{
	struct hal_pollfd p = { fd, (uint16_t)want, 0 };
	int64_t end = hal_mono_ms() + WAIT_MS;

	while (hal_mono_ms() < end) {
		if (hal_poll(&p, 1, 100) > 0)
			return p.revents;
	}
	return 0;
}

static int make_pair(hal_fd *c, hal_fd *s)
{
	hal_fd l;
	uint16_t port = 0;

	*c = *s = HAL_FD_NONE;
	if (hal_tcp_listen("127.0.0.1", 0, 8, &l) != HAL_NET_OK)
		return -1;
	if (hal_tcp_local_port(l, &port) == HAL_NET_OK &&
	    hal_tcp_connect("127.0.0.1", port, c) == HAL_NET_OK &&
	    (wait_ready(l, HAL_POLL_IN) & HAL_POLL_IN) &&
	    hal_tcp_accept(l, s, NULL) == HAL_NET_OK &&
	    (wait_ready(*c, HAL_POLL_OUT) & HAL_POLL_OUT) &&
	    hal_tcp_connect_result(*c) == HAL_NET_OK) {
		hal_close(l);
		return 0;
	}
	hal_close(l);
	hal_close(*c);
	hal_close(*s);
	return -1;
}

/* --- timers --- */

static int fired[16];
static int64_t fired_at[16];
static int nfired;

static void on_timer(struct ev_loop *l, int id, void *arg)
{
	(void)id;
	if (nfired < 16) {
		fired[nfired] = (int)(long)arg;
		fired_at[nfired] = ev_now(l);
	}
	nfired++;
}

/* Runs the loop until `cond` holds or WAIT_MS passes. */
#define RUN_UNTIL(cond)                                                      \
	do {                                                                 \
		int64_t end_ = hal_mono_ms() + WAIT_MS;                      \
		while (!(cond) && hal_mono_ms() < end_)                      \
			(void)ev_run_once(&loop, 50);                        \
	} while (0)

static void test_timer_order(void)
{
	int64_t t0, due[3];
	int i, victim;

	ev_init(&loop);
	nfired = 0;
	t0 = hal_mono_ms();
	due[0] = t0 + 60;
	due[1] = t0 + 20;
	due[2] = t0 + 40;
	for (i = 0; i < 3; i++)
		CHECK(ev_timer_add(&loop, due[i], on_timer, (void *)(long)i) >= 0);
	victim = ev_timer_add(&loop, t0 + 30, on_timer, (void *)99L);
	CHECK(victim >= 0);
	ev_timer_del(&loop, victim);

	RUN_UNTIL(nfired >= 3);
	CHECK_EQ(nfired, 3);
	CHECK_EQ(fired[0], 1);
	CHECK_EQ(fired[1], 2);
	CHECK_EQ(fired[2], 0);
	for (i = 0; i < 3 && i < nfired; i++) {
		int64_t d = due[fired[i]];

		CHECK(fired_at[i] >= d);
		CHECK(fired_at[i] < d + LATE_MS);
	}
	CHECK_EQ(loop.next_due, INT64_MAX);
}

static void test_timer_same_iteration(void)
{
	int64_t now;

	ev_init(&loop);
	nfired = 0;
	now = hal_mono_ms();
	/* Already due, armed in reverse order: one iteration runs all three,
	 * earliest first. */
	CHECK(ev_timer_add(&loop, now - 1, on_timer, (void *)3L) >= 0);
	CHECK(ev_timer_add(&loop, now - 2, on_timer, (void *)2L) >= 0);
	CHECK(ev_timer_add(&loop, now - 3, on_timer, (void *)1L) >= 0);
	CHECK_EQ(ev_run_once(&loop, 1000), 3);
	CHECK_EQ(nfired, 3);
	CHECK_EQ(fired[0], 1);
	CHECK_EQ(fired[1], 2);
	CHECK_EQ(fired[2], 3);
}

/* Re-arms itself for "now": must run once per iteration, not loop. */
static int rearm_count;

static void on_rearm(struct ev_loop *l, int id, void *arg)
{
	(void)id;
	rearm_count++;
	if (rearm_count < 3)
		CHECK(ev_timer_add(l, ev_now(l), on_rearm, arg) >= 0);
}

static void test_timer_rearm(void)
{
	ev_init(&loop);
	rearm_count = 0;
	CHECK(ev_timer_add(&loop, hal_mono_ms(), on_rearm, NULL) >= 0);
	CHECK_EQ(ev_run_once(&loop, 1000), 1);
	CHECK_EQ(rearm_count, 1);
	CHECK_EQ(ev_run_once(&loop, 1000), 1);
	CHECK_EQ(rearm_count, 2);
	CHECK_EQ(ev_run_once(&loop, 1000), 1);
	CHECK_EQ(rearm_count, 3);
	CHECK_EQ(ev_run_once(&loop, 0), 0);
}

static int timer_cb_id;

static void on_timer_id(struct ev_loop *l, int id, void *arg)
{
	(void)l;
	(void)arg;
	timer_cb_id = id;
}

static void test_timer_stale_id(void)
{
	int a, b;

	ev_init(&loop);
	nfired = 0;
	a = ev_timer_add(&loop, hal_mono_ms(), on_timer_id, NULL);
	CHECK(a >= 0);
	CHECK_EQ(ev_run_once(&loop, 1000), 1);
	CHECK_EQ(timer_cb_id, a);
	/* The slot is reused; the old id must not delete the new timer. */
	b = ev_timer_add(&loop, hal_mono_ms() + 10, on_timer, (void *)7L);
	CHECK(b >= 0);
	CHECK(b != a);
	CHECK_EQ(b & 0xFFFF, a & 0xFFFF);
	ev_timer_del(&loop, a);
	ev_timer_del(&loop, -1);
	ev_timer_del(&loop, 0x7FFFFFFF);
	RUN_UNTIL(nfired >= 1);
	CHECK_EQ(nfired, 1);
	CHECK_EQ(fired[0], 7);
	/* A deleted id is stale, too. */
	b = ev_timer_add(&loop, hal_mono_ms(), on_timer, (void *)8L);
	ev_timer_del(&loop, b);
	ev_timer_del(&loop, b);
	CHECK_EQ(ev_run_once(&loop, 20), 0);
	CHECK_EQ(nfired, 1);
}

static void test_wait_bounds(void)
{
	int64_t t0, dt;

	ev_init(&loop);
	/* Nothing to do: max_wait bounds the wait. */
	t0 = hal_mono_ms();
	CHECK_EQ(ev_run_once(&loop, 40), 0);
	dt = hal_mono_ms() - t0;
	CHECK(dt >= 39 && dt < LATE_MS + 40);
	CHECK(ev_now(&loop) >= t0 + 39);
	/* A timer nearer than max_wait bounds it instead. */
	nfired = 0;
	t0 = hal_mono_ms();
	CHECK(ev_timer_add(&loop, t0 + 30, on_timer, (void *)1L) >= 0);
	CHECK_EQ(ev_run_once(&loop, -1), 1);
	dt = hal_mono_ms() - t0;
	CHECK(dt >= 29 && dt < LATE_MS + 30);
	/* A far timer: max_wait still bounds the wait. */
	t0 = hal_mono_ms();
	CHECK(ev_timer_add(&loop, t0 + 60000, on_timer, (void *)2L) >= 0);
	CHECK_EQ(ev_run_once(&loop, 30), 0);
	dt = hal_mono_ms() - t0;
	CHECK(dt >= 29 && dt < LATE_MS + 30);
	CHECK_EQ(nfired, 1);
}

static void on_io_never(struct ev_loop *l, int id, unsigned revents, void *arg)
{
	(void)l;
	(void)id;
	(void)revents;
	(void)arg;
	th_fail(__FILE__, __LINE__, "watcher with want 0 called");
}

static void test_tables_full(void)
{
	int i, id = 0;

	ev_init(&loop);
	for (i = 0; i < ILPD_EV_MAX_TIMERS; i++)
		CHECK(ev_timer_add(&loop, INT64_MAX - 1, on_timer, NULL) >= 0);
	CHECK_EQ(ev_timer_add(&loop, 0, on_timer, NULL), -1);
	for (i = 0; i < ILPD_EV_MAX_IO; i++) {
		/* want 0: never polled, so a fake descriptor number is fine */
		id = ev_io_add(&loop, 1000 + i, 0, on_io_never, NULL);
		CHECK(id >= 0);
	}
	CHECK_EQ(ev_io_add(&loop, 5, 0, on_io_never, NULL), -1);
	/* Freeing one makes room again. */
	ev_io_del(&loop, id);
	CHECK(ev_io_add(&loop, 5, 0, on_io_never, NULL) >= 0);
	/* Bad arguments. */
	ev_init(&loop);
	CHECK_EQ(ev_io_add(&loop, -1, HAL_POLL_IN, on_io_never, NULL), -1);
	CHECK_EQ(ev_io_add(&loop, 3, HAL_POLL_IN, NULL, NULL), -1);
	CHECK_EQ(ev_timer_add(&loop, 0, NULL, NULL), -1);
}

/* --- I/O --- */

struct rec {
	int calls;
	unsigned revents;
	int id;
	hal_fd fd;
	long got;
	uint8_t buf[64];
	/* actions */
	int del_id;          /* watcher to delete in the callback, or -1 */
	hal_fd add_fd;       /* fd to watch in the freed slot, or NONE */
	struct rec *add_rec;
	int added_id;
};

static void rec_init(struct rec *r, hal_fd fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->del_id = -1;
	r->add_fd = HAL_FD_NONE;
	r->added_id = -1;
}

static void on_io(struct ev_loop *l, int id, unsigned revents, void *arg)
{
	struct rec *r = arg;

	r->calls++;
	r->revents = revents;
	r->id = id;
	if (revents & HAL_POLL_IN)
		r->got = hal_tcp_recv(r->fd, r->buf, sizeof(r->buf));
	if (r->del_id >= 0) {
		ev_io_del(l, r->del_id);
		r->del_id = -1;
		if (r->add_fd != HAL_FD_NONE)
			r->added_id = ev_io_add(l, r->add_fd, HAL_POLL_IN, on_io,
						r->add_rec);
	}
}

static void test_io_dispatch(void)
{
	hal_fd c, s;
	struct rec rs, rc;
	int ids, idc, n;

	if (make_pair(&c, &s) != 0) {
		th_fail(__FILE__, __LINE__, "loopback pair");
		return;
	}
	ev_init(&loop);
	rec_init(&rs, s);
	rec_init(&rc, c);
	ids = ev_io_add(&loop, s, HAL_POLL_IN, on_io, &rs);
	idc = ev_io_add(&loop, c, 0, on_io, &rc);
	CHECK(ids >= 0 && idc >= 0 && ids != idc);

	/* Nothing readable: the wait times out. */
	CHECK_EQ(ev_run_once(&loop, 20), 0);
	CHECK_EQ(rs.calls, 0);

	CHECK_EQ(hal_tcp_send(c, "ping", 4), 4);
	RUN_UNTIL(rs.calls > 0);
	CHECK_EQ(rs.calls, 1);
	CHECK_EQ(rs.revents, HAL_POLL_IN);
	CHECK_EQ(rs.id, ids);
	CHECK_EQ(rs.got, 4);
	CHECK_MEM(rs.buf, "ping", 4);
	CHECK_EQ(rc.calls, 0);

	/* want OUT on the client: writable at once (patched in place, no
	 * rebuild), then back to nothing (rebuild drops it). */
	CHECK(!loop.dirty);
	ev_io_want(&loop, idc, HAL_POLL_OUT);
	CHECK_EQ(loop.npfd, 1); /* client was not in the set: rebuild */
	CHECK(loop.dirty);
	n = ev_run_once(&loop, 1000);
	CHECK_EQ(n, 1);
	CHECK_EQ(rc.calls, 1);
	CHECK_EQ(rc.revents, HAL_POLL_OUT);
	CHECK_EQ(loop.npfd, 2);
	ev_io_want(&loop, idc, HAL_POLL_IN | HAL_POLL_OUT);
	CHECK(!loop.dirty); /* in place */
	CHECK_EQ(ev_run_once(&loop, 1000), 1);
	CHECK_EQ(rc.calls, 2);
	ev_io_want(&loop, idc, 0);
	CHECK(loop.dirty);
	CHECK_EQ(ev_run_once(&loop, 20), 0);
	CHECK_EQ(loop.npfd, 1);
	CHECK_EQ(rc.calls, 2);

	/* The peer closes: IN (end of stream) is dispatched. */
	hal_close(c);
	rs.calls = 0;
	RUN_UNTIL(rs.calls > 0);
	CHECK(rs.calls >= 1);
	CHECK(rs.revents & HAL_POLL_IN);
	CHECK_EQ(rs.got, 0);

	/* A stale watcher id is ignored by want and del. */
	ev_io_del(&loop, idc);
	ev_io_want(&loop, idc, HAL_POLL_IN);
	ev_io_del(&loop, idc);
	ev_io_del(&loop, ids);
	CHECK_EQ(ev_run_once(&loop, 0), 0);
	CHECK_EQ(loop.npfd, 0);
	hal_close(s);
}

static void test_io_delete_in_callback(void)
{
	hal_fd c1, s1, c2, s2;
	struct rec r1, r2;
	int id1, id2, n;

	if (make_pair(&c1, &s1) != 0 || make_pair(&c2, &s2) != 0) {
		th_fail(__FILE__, __LINE__, "loopback pairs");
		return;
	}
	ev_init(&loop);
	rec_init(&r1, s1);
	rec_init(&r2, s2);
	id1 = ev_io_add(&loop, s1, HAL_POLL_IN, on_io, &r1);
	id2 = ev_io_add(&loop, s2, HAL_POLL_IN, on_io, &r2);
	/* Whichever runs first deletes the other. */
	r1.del_id = id2;
	r2.del_id = id1;
	CHECK_EQ(hal_tcp_send(c1, "a", 1), 1);
	CHECK_EQ(hal_tcp_send(c2, "b", 1), 1);
	/* Both readable before the iteration, so one poll sees both. */
	CHECK(wait_ready(s1, HAL_POLL_IN) & HAL_POLL_IN);
	CHECK(wait_ready(s2, HAL_POLL_IN) & HAL_POLL_IN);
	n = ev_run_once(&loop, 1000);
	CHECK_EQ(n, 1);
	CHECK_EQ(r1.calls + r2.calls, 1);
	hal_close(c1);
	hal_close(s1);
	hal_close(c2);
	hal_close(s2);
}

static void test_io_generation(void)
{
	hal_fd c1, s1, c2, s2, c3, s3;
	struct rec r1, r2, r3;
	int id1, id2, n;

	if (make_pair(&c1, &s1) != 0 || make_pair(&c2, &s2) != 0 ||
	    make_pair(&c3, &s3) != 0) {
		th_fail(__FILE__, __LINE__, "loopback pairs");
		return;
	}
	ev_init(&loop);
	rec_init(&r1, s1);
	rec_init(&r2, s2);
	rec_init(&r3, s3);
	id1 = ev_io_add(&loop, s1, HAL_POLL_IN, on_io, &r1);
	id2 = ev_io_add(&loop, s2, HAL_POLL_IN, on_io, &r2);
	CHECK((id1 & 0xFFFF) < (id2 & 0xFFFF)); /* dispatched in slot order */
	/* r1's callback deletes watcher 2 and at once watches s3 in the same
	 * slot. s2 and s3 are both readable: the new watcher must not be
	 * called for s2's readiness in this iteration. */
	r1.del_id = id2;
	r1.add_fd = s3;
	r1.add_rec = &r3;
	CHECK_EQ(hal_tcp_send(c1, "1", 1), 1);
	CHECK_EQ(hal_tcp_send(c2, "2", 1), 1);
	CHECK_EQ(hal_tcp_send(c3, "3", 1), 1);
	CHECK(wait_ready(s1, HAL_POLL_IN) & HAL_POLL_IN);
	CHECK(wait_ready(s2, HAL_POLL_IN) & HAL_POLL_IN);
	CHECK(wait_ready(s3, HAL_POLL_IN) & HAL_POLL_IN);
	n = ev_run_once(&loop, 1000);
	CHECK_EQ(n, 1);
	CHECK_EQ(r1.calls, 1);
	CHECK_EQ(r2.calls, 0);
	CHECK_EQ(r3.calls, 0);
	CHECK(r1.added_id >= 0);
	CHECK_EQ(r1.added_id & 0xFFFF, id2 & 0xFFFF); /* same slot */
	CHECK(r1.added_id != id2);                     /* new generation */
	/* The stale id of watcher 2 cannot touch watcher 3. */
	ev_io_del(&loop, id2);
	ev_io_want(&loop, id2, 0);
	/* Next iteration: s3's own readiness reaches r3. */
	RUN_UNTIL(r3.calls > 0);
	CHECK_EQ(r3.calls, 1);
	CHECK_EQ(r3.got, 1);
	CHECK_EQ(r3.buf[0], '3');
	CHECK_EQ(r3.id, r1.added_id);
	CHECK_EQ(r2.calls, 0);
	hal_close(c1);
	hal_close(s1);
	hal_close(c2);
	hal_close(s2);
	hal_close(c3);
	hal_close(s3);
}

/* A callback that stops another ready watcher wanting IN: that watcher
 * is not called with IN. */
static int want_target;

static void on_io_unwant(struct ev_loop *l, int id, unsigned revents, void *arg)
{
	struct rec *r = arg;

	(void)id;
	(void)revents;
	r->calls++;
	ev_io_want(l, want_target, HAL_POLL_OUT);
}

static void test_io_want_in_callback(void)
{
	hal_fd c1, s1, c2, s2;
	struct rec r1, r2;
	int n;

	if (make_pair(&c1, &s1) != 0 || make_pair(&c2, &s2) != 0) {
		th_fail(__FILE__, __LINE__, "loopback pairs");
		return;
	}
	ev_init(&loop);
	rec_init(&r1, s1);
	rec_init(&r2, s2);
	CHECK(ev_io_add(&loop, s1, HAL_POLL_IN, on_io_unwant, &r1) >= 0);
	want_target = ev_io_add(&loop, s2, HAL_POLL_IN, on_io, &r2);
	CHECK_EQ(hal_tcp_send(c1, "a", 1), 1);
	CHECK_EQ(hal_tcp_send(c2, "b", 1), 1);
	CHECK(wait_ready(s1, HAL_POLL_IN) & HAL_POLL_IN);
	CHECK(wait_ready(s2, HAL_POLL_IN) & HAL_POLL_IN);
	n = ev_run_once(&loop, 1000);
	CHECK_EQ(n, 1);
	CHECK_EQ(r1.calls, 1);
	CHECK_EQ(r2.calls, 0);
	/* Next iteration it is called for what it now wants. */
	n = ev_run_once(&loop, 1000);
	CHECK_EQ(r2.calls, 1);
	CHECK_EQ(r2.revents, HAL_POLL_OUT);
	hal_close(c1);
	hal_close(s1);
	hal_close(c2);
	hal_close(s2);
}

/* A timer that deletes a ready watcher runs first: no I/O callback. */
static int timer_del_target;

static void on_timer_del(struct ev_loop *l, int id, void *arg)
{
	(void)id;
	(void)arg;
	ev_io_del(l, timer_del_target);
}

static void test_timer_before_io(void)
{
	hal_fd c, s;
	struct rec r;
	int n;

	if (make_pair(&c, &s) != 0) {
		th_fail(__FILE__, __LINE__, "loopback pair");
		return;
	}
	ev_init(&loop);
	rec_init(&r, s);
	timer_del_target = ev_io_add(&loop, s, HAL_POLL_IN, on_io, &r);
	CHECK_EQ(hal_tcp_send(c, "x", 1), 1);
	CHECK(wait_ready(s, HAL_POLL_IN) & HAL_POLL_IN);
	CHECK(ev_timer_add(&loop, hal_mono_ms(), on_timer_del, NULL) >= 0);
	n = ev_run_once(&loop, 1000);
	CHECK_EQ(n, 1);
	CHECK_EQ(r.calls, 0);
	hal_close(c);
	hal_close(s);
}

int main(void)
{
	TH_RUN(test_timer_order);
	TH_RUN(test_timer_same_iteration);
	TH_RUN(test_timer_rearm);
	TH_RUN(test_timer_stale_id);
	TH_RUN(test_wait_bounds);
	TH_RUN(test_tables_full);
	TH_RUN(test_io_dispatch);
	TH_RUN(test_io_delete_in_callback);
	TH_RUN(test_io_generation);
	TH_RUN(test_io_want_in_callback);
	TH_RUN(test_timer_before_io);
	return th_finish();
}
