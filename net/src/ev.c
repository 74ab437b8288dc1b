/*
 * ev.c - the event loop (see ev.h): fixed watcher and timer tables over
 * hal_poll().
 *
 * IMPLEMENTATION NOTES
 * - Ids. A watcher or timer id is (generation << 16) | slot. A slot's
 *   generation is bumped (15 bits, wrapping) each time it is freed, so an
 *   id kept after ev_io_del, ev_timer_del or a timer's firing no longer
 *   matches and is ignored. Only 32768 reuses of one slot could make a
 *   stale id match again.
 * - Poll set. loop->pfd[0..npfd) holds the used watchers with want != 0;
 *   pfd_io[k] names the slot and pfd_gen[k] the generation it had at the
 *   build; io[slot].pfd_pos points back. Adding a watcher, deleting one or
 *   setting want to 0 sets `dirty`, and the set is rebuilt at the start of
 *   the next ev_run_once(); any other want change patches pfd[pos].events
 *   in place. Under load the set is therefore rebuilt only when
 *   connections come and go, not once per batch of packets.
 * - Dispatch. Entry k is called back only if its slot is still used with
 *   the generation it was polled with (so a watcher deleted, or deleted and
 *   re-added in the same slot, by an earlier callback of this iteration is
 *   skipped), and only with the bits it still wants (plus HAL_POLL_ERR).
 * - Timers. A linear scan (the table is small, 2 per connection). next_due
 *   is a lower bound on the earliest timer: ev_timer_add lowers it, a
 *   deletion leaves it (waking early once is harmless), and the timer pass
 *   recomputes it exactly. While now < next_due no timer is looked at, so
 *   an iteration with no due timer costs O(1) for timers. Due timers run
 *   before I/O dispatch, earliest first; timers armed during the pass are
 *   marked `fresh` and wait for the next iteration, so a callback that
 *   re-arms itself for "now" cannot keep the loop in the timer pass.
 */
#include "net/ev.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hal/hal_time.h"

_Static_assert(ILPD_EV_MAX_IO <= HAL_POLL_MAX,
	       "hal_poll() takes at most HAL_POLL_MAX entries");
_Static_assert(ILPD_EV_MAX_IO <= 0xFFFF && ILPD_EV_MAX_TIMERS <= 0xFFFF,
	       "ids keep the slot in 16 bits");

#define EV_GEN_MASK 0x7FFFu
#define EV_IO_EVENTS (HAL_POLL_IN | HAL_POLL_OUT)

static int ev_make_id(int slot, uint16_t gen)
{
	return (int)(((unsigned)gen & EV_GEN_MASK) << 16) | slot;
}

static uint16_t ev_next_gen(uint16_t gen)
{
	return (uint16_t)((gen + 1u) & EV_GEN_MASK);
}

/* The used watcher that id names, or NULL for a stale or invalid id. */
static struct ev_io *ev_io_get(struct ev_loop *loop, int id)
{
	int slot = id & 0xFFFF;
	struct ev_io *w;

	if (loop == NULL || id < 0 || slot >= ILPD_EV_MAX_IO)
		return NULL;
	w = &loop->io[slot];
	if (!w->used || w->gen != (uint16_t)((unsigned)id >> 16))
		return NULL;
	return w;
}

static struct ev_timer *ev_timer_get(struct ev_loop *loop, int id)
{
	int slot = id & 0xFFFF;
	struct ev_timer *t;

	if (loop == NULL || id < 0 || slot >= ILPD_EV_MAX_TIMERS)
		return NULL;
	t = &loop->timer[slot];
	if (!t->used || t->gen != (uint16_t)((unsigned)id >> 16))
		return NULL;
	return t;
}

void ev_init(struct ev_loop *loop)
{
	int i;

	memset(loop, 0, sizeof(*loop));
	for (i = 0; i < ILPD_EV_MAX_IO; i++) {
		loop->io[i].fd = HAL_FD_NONE;
		loop->io[i].pfd_pos = -1;
	}
	loop->next_due = INT64_MAX;
	loop->now = hal_mono_ms();
}

int ev_io_add(struct ev_loop *loop, hal_fd fd, unsigned want, ev_io_cb cb, void *arg)
{
	int i;

	if (loop == NULL || fd < 0 || cb == NULL)
		return -1;
	for (i = 0; i < ILPD_EV_MAX_IO; i++) {
		struct ev_io *w = &loop->io[i];

		if (w->used)
			continue;
		w->fd = fd;
		w->want = (uint16_t)(want & EV_IO_EVENTS);
		w->used = true;
		w->pfd_pos = -1;
		w->cb = cb;
		w->arg = arg;
		if (w->want != 0)
			loop->dirty = true;
		return ev_make_id(i, w->gen);
	}
	return -1;
}

void ev_io_want(struct ev_loop *loop, int id, unsigned want)
{
	struct ev_io *w = ev_io_get(loop, id);
	uint16_t nw = (uint16_t)(want & EV_IO_EVENTS);

	if (w == NULL || w->want == nw)
		return;
	w->want = nw;
	if (nw != 0 && w->pfd_pos >= 0)
		loop->pfd[w->pfd_pos].events = nw;
	else
		loop->dirty = true;
}

void ev_io_del(struct ev_loop *loop, int id)
{
	struct ev_io *w = ev_io_get(loop, id);

	if (w == NULL)
		return;
	if (w->pfd_pos >= 0 || w->want != 0)
		loop->dirty = true;
	w->used = false;
	w->gen = ev_next_gen(w->gen);
	w->fd = HAL_FD_NONE;
	w->want = 0;
	w->pfd_pos = -1;
	w->cb = NULL;
	w->arg = NULL;
}

int ev_timer_add(struct ev_loop *loop, int64_t due, ev_timer_cb cb, void *arg)
{
	int i;

	if (loop == NULL || cb == NULL)
		return -1;
	for (i = 0; i < ILPD_EV_MAX_TIMERS; i++) {
		struct ev_timer *t = &loop->timer[i];

		if (t->used)
			continue;
		t->due = due;
		t->used = true;
		t->fresh = true;
		t->cb = cb;
		t->arg = arg;
		if (due < loop->next_due)
			loop->next_due = due;
		return ev_make_id(i, t->gen);
	}
	return -1;
}

static void ev_timer_free(struct ev_timer *t)
{
	t->used = false;
	t->fresh = false;
	t->gen = ev_next_gen(t->gen);
	t->cb = NULL;
	t->arg = NULL;
}

void ev_timer_del(struct ev_loop *loop, int id)
{
	struct ev_timer *t = ev_timer_get(loop, id);

	if (t != NULL)
		ev_timer_free(t);
}

int64_t ev_now(const struct ev_loop *loop)
{
	return loop->now;
}

static void ev_rebuild(struct ev_loop *loop)
{
	int i, n = 0;

	for (i = 0; i < ILPD_EV_MAX_IO; i++) {
		struct ev_io *w = &loop->io[i];

		w->pfd_pos = -1;
		if (!w->used || w->want == 0)
			continue;
		loop->pfd[n].fd = w->fd;
		loop->pfd[n].events = w->want;
		loop->pfd[n].revents = 0;
		loop->pfd_io[n] = i;
		loop->pfd_gen[n] = w->gen;
		w->pfd_pos = n;
		n++;
	}
	loop->npfd = n;
	loop->dirty = false;
}

/* Milliseconds hal_poll may wait: the nearer of max_wait_ms and the
 * earliest timer; -1 (forever) only when neither bounds it. */
static int ev_wait_ms(const struct ev_loop *loop, int max_wait_ms, int64_t now)
{
	int64_t d;

	if (loop->next_due == INT64_MAX)
		return max_wait_ms < 0 ? -1 : max_wait_ms;
	d = loop->next_due <= now ? 0 : loop->next_due - now;
	if (max_wait_ms >= 0 && d > max_wait_ms)
		d = max_wait_ms;
	return d > INT_MAX ? INT_MAX : (int)d;
}

/* Runs the due timers, earliest first; returns how many ran. */
static int ev_run_timers(struct ev_loop *loop)
{
	int i, best, ran = 0;
	int64_t next;

	if (loop->now < loop->next_due)
		return 0;
	for (i = 0; i < ILPD_EV_MAX_TIMERS; i++)
		loop->timer[i].fresh = false;
	for (;;) {
		struct ev_timer *t;
		ev_timer_cb cb;
		void *arg;
		int id;

		best = -1;
		for (i = 0; i < ILPD_EV_MAX_TIMERS; i++) {
			t = &loop->timer[i];
			if (t->used && !t->fresh && t->due <= loop->now &&
			    (best < 0 || t->due < loop->timer[best].due))
				best = i;
		}
		if (best < 0)
			break;
		t = &loop->timer[best];
		cb = t->cb;
		arg = t->arg;
		id = ev_make_id(best, t->gen);
		ev_timer_free(t);   /* one-shot: the callback may re-arm */
		cb(loop, id, arg);
		ran++;
	}
	next = INT64_MAX;
	for (i = 0; i < ILPD_EV_MAX_TIMERS; i++) {
		if (loop->timer[i].used && loop->timer[i].due < next)
			next = loop->timer[i].due;
	}
	loop->next_due = next;
	return ran;
}

bool ev_io_ready(const struct ev_loop *loop, int id)
{
	int slot = id & 0xFFFF, k;
	const struct ev_io *w;

	if (loop == NULL || id < 0 || slot >= ILPD_EV_MAX_IO)
		return false;
	w = &loop->io[slot];
	if (!w->used || w->gen != (uint16_t)((unsigned)id >> 16) || w->pfd_pos < 0 ||
	    w->pfd_pos >= loop->npfd)
		return false;
	k = w->pfd_pos;
	return loop->pfd_io[k] == slot && loop->pfd_gen[k] == w->gen &&
	       (loop->pfd[k].revents & ((unsigned)w->want | HAL_POLL_ERR)) != 0;
}

static int ev_dispatch(struct ev_loop *loop, int nready)
{
	int k, ran = 0, npfd = loop->npfd;

	for (k = 0; k < npfd && nready > 0; k++) {
		unsigned re = loop->pfd[k].revents;
		struct ev_io *w;
		int slot;

		if (re == 0)
			continue;
		loop->pfd[k].revents = 0;   /* dispatched: ev_io_ready() says no */
		nready--;
		slot = loop->pfd_io[k];
		w = &loop->io[slot];
		if (!w->used || w->gen != loop->pfd_gen[k])
			continue;   /* deleted (and maybe reused) meanwhile */
		re &= (unsigned)w->want | HAL_POLL_ERR;
		if (re == 0)
			continue;
		w->cb(loop, ev_make_id(slot, w->gen), re, w->arg);
		ran++;
	}
	return ran;
}

int ev_run_once(struct ev_loop *loop, int max_wait_ms)
{
	int nready, ran;

	if (loop->dirty)
		ev_rebuild(loop);
	nready = hal_poll(loop->pfd, (size_t)loop->npfd,
			  ev_wait_ms(loop, max_wait_ms, hal_mono_ms()));
	loop->now = hal_mono_ms();
	if (nready < 0)
		return HAL_NET_ERROR;
	ran = ev_run_timers(loop);
	if (nready > 0)
		ran += ev_dispatch(loop, nready);
	return ran;
}
