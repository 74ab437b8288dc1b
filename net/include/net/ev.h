/*
 * ev.h - the event loop: fixed tables of I/O watchers and timers over
 * hal_poll(). One loop per process; callbacks run on its thread.
 *
 * Memory: struct ev_loop = ILPD_EV_MAX_IO * ~48 + ILPD_EV_MAX_TIMERS * 32
 * bytes on 64-bit (see the memory map). No heap.
 *
 * Each ev_run_once() rebuilds the poll set from the watchers (O(watchers))
 * only when a watcher was added, deleted or set to want nothing since the
 * last build (other want changes patch the set in place),
 * waits until the nearest timer or max_wait_ms, runs due timers, then calls
 * back each ready watcher. A callback may add or delete watchers and
 * timers, including its own; a watcher deleted during dispatch is not
 * called afterwards, and a slot reused during dispatch is not called for
 * the old descriptor's readiness (slots carry a generation).
 */
#ifndef NET_EV_H
#define NET_EV_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/hal_net.h"
#include "net/net_opts.h"

struct ev_loop;

typedef void (*ev_io_cb)(struct ev_loop *loop, int id, unsigned revents, void *arg);
typedef void (*ev_timer_cb)(struct ev_loop *loop, int id, void *arg);

struct ev_io {
	hal_fd fd;
	uint16_t want;      /* HAL_POLL_IN | HAL_POLL_OUT */
	uint16_t gen;
	bool used;
	int pfd_pos;        /* index in loop->pfd, -1 if not in the poll set */
	ev_io_cb cb;
	void *arg;
};

struct ev_timer {
	int64_t due;        /* hal_mono_ms() time */
	bool used;
	bool fresh;         /* armed since the timer pass began: not run yet */
	uint16_t gen;
	ev_timer_cb cb;
	void *arg;
};

struct ev_loop {
	struct ev_io io[ILPD_EV_MAX_IO];
	struct ev_timer timer[ILPD_EV_MAX_TIMERS];
	struct hal_pollfd pfd[ILPD_EV_MAX_IO];
	int pfd_io[ILPD_EV_MAX_IO];        /* poll slot -> watcher id */
	uint16_t pfd_gen[ILPD_EV_MAX_IO];  /* generation when polled */
	int npfd;                          /* entries of pfd in use */
	bool dirty;                        /* pfd must be rebuilt */
	int64_t next_due;                  /* <= earliest timer; INT64_MAX: none */
	int64_t now;                       /* hal_mono_ms() at the last wake-up */
	bool stop;
};

void ev_init(struct ev_loop *loop);

/* Ids are opaque handles (slot and generation). Once a watcher is deleted
 * or a timer has fired or been deleted, its id is stale: ev_io_want,
 * ev_io_del and ev_timer_del ignore stale and invalid ids, so an owner that
 * keeps an old id cannot touch whoever reuses the slot. */

/* Watches fd; returns the watcher id (>= 0) or -1 if the table is full. */
int ev_io_add(struct ev_loop *loop, hal_fd fd, unsigned want, ev_io_cb cb, void *arg);
void ev_io_want(struct ev_loop *loop, int id, unsigned want);
void ev_io_del(struct ev_loop *loop, int id);

/* True if the last poll found watcher `id` ready and its callback has not
 * run yet (a callback earlier in the same iteration may ask: e.g. before
 * closing a connection whose input is waiting to be read). */
bool ev_io_ready(const struct ev_loop *loop, int id);

/* Arms a one-shot timer at monotonic time `due`; returns its id or -1.
 * Due timers run in order of `due` (ties: unspecified); a timer armed
 * from a callback runs in a later iteration at the earliest. */
int ev_timer_add(struct ev_loop *loop, int64_t due, ev_timer_cb cb, void *arg);
void ev_timer_del(struct ev_loop *loop, int id);

/* One iteration; waits at most max_wait_ms (-1: until a timer or I/O).
 * Returns the number of callbacks run, or HAL_NET_ERROR if polling failed. */
int ev_run_once(struct ev_loop *loop, int max_wait_ms);

/* Monotonic time of the last wake-up (cheap; refreshed each iteration). */
int64_t ev_now(const struct ev_loop *loop);

#endif /* NET_EV_H */
