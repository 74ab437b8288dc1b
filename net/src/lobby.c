/*
 * lobby.c - new connections wait here until their first byte (lobby.h).
 *
 * IMPLEMENTATION NOTES
 * - Entries are an unordered array; every decision (oldest entry, next
 *   deadline) is a linear scan. The lobby is small (at most a few hundred
 *   entries) and scans happen per accepted connection or per timer firing,
 *   never per packet.
 * - One timer does everything time-based: it fires at the earliest of the
 *   oldest entry's idle deadline and, while paused, the moment the oldest
 *   entry comes of age (grace_ms). Each firing closes idle entries,
 *   resumes the listener if there is room (or an entry old enough to
 *   evict), accepts, and re-arms.
 * - An entry closed during the loop's dispatch (evicted by an accept in
 *   the same iteration) is not called back: ev_io_del guarantees it.
 */
#include "net/lobby.h"

#include <string.h>

#define LOBBY_EMFILE_PAUSE_MS 100

static void lb_arm(struct lobby *lb, int64_t extra_due);
static void lb_accept_all(struct lobby *lb);

static void lb_drop(struct lobby *lb, struct lobby_entry *e, bool close_fd)
{
	ev_io_del(lb->loop, e->io);
	if (close_fd)
		hal_close(e->fd);
	e->fd = HAL_FD_NONE;
	e->io = -1;
	lb->n--;
}

/* First byte or hang-up: the owner takes the descriptor. */
static void lb_entry_io(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	struct lobby_entry *e = arg;
	struct lobby *lb = e->lb;
	hal_fd fd = e->fd;
	int64_t since = e->since;

	(void)loop;
	(void)id;
	(void)revents;
	if (fd == HAL_FD_NONE)
		return;
	lb_drop(lb, e, false);
	lb->st.ready++;
	lb->ready(lb, fd, since, false, lb->arg);
	/* A slot freed: a paused listener may go on. */
	if (lb->paused && lb->listen_io >= 0) {
		lb->paused = false;
		ev_io_want(lb->loop, lb->listen_io, HAL_POLL_IN);
	}
}

static struct lobby_entry *lb_oldest(struct lobby *lb)
{
	struct lobby_entry *o = NULL;
	uint16_t i;

	for (i = 0; i < lb->cap; i++) {
		struct lobby_entry *e = &lb->e[i];

		if (e->fd != HAL_FD_NONE && (o == NULL || e->since < o->since))
			o = e;
	}
	return o;
}

static struct lobby_entry *lb_free_slot(struct lobby *lb)
{
	uint16_t i;

	for (i = 0; i < lb->cap; i++)
		if (lb->e[i].fd == HAL_FD_NONE)
			return &lb->e[i];
	return NULL;
}

static void lb_report_full(struct lobby *lb)
{
	int64_t now = ev_now(lb->loop);

	if (lb->full != NULL && (lb->full_logged == 0 || now - lb->full_logged >= LOBBY_FULL_REPORT_MS)) {
		lb->full_logged = now;
		lb->full(lb, lb->arg);
	}
}

/* Evictions are at least grace_ms / cap apart (lobby.h). */
static int64_t lb_spacing(const struct lobby *lb)
{
	int64_t sp = lb->grace_ms / (lb->cap > 0 ? lb->cap : 1);

	return sp > 0 ? sp : 1;
}

/* When the lobby may next evict: the oldest entry has had its grace
 * period and the last eviction is one spacing ago. INT64_MAX: empty. */
static int64_t lb_evict_due(struct lobby *lb)
{
	struct lobby_entry *o = lb_oldest(lb);
	int64_t due, next;

	if (o == NULL)
		return INT64_MAX;
	due = o->since + lb->grace_ms;
	/* Only a pausing lobby spaces its evictions: one that admits ready
	 * newcomers keeps draining the accept queue anyway, and spacing would
	 * only turn more of them away (admin /health under a flood). */
	next = lb->last_evict + lb_spacing(lb);
	if (lb->policy == LOBBY_PAUSE && lb->evicted_once && next > due)
		due = next;
	return due;
}

/* Whether a newcomer could be placed: a free slot, or an entry that may
 * be evicted now. Evicts nothing. */
static bool lb_has_room(struct lobby *lb)
{
	if (lb->n < lb->cap)
		return true;
	return ev_now(lb->loop) >= lb_evict_due(lb);
}

/* A slot for the newcomer in hand (lb_has_room() said there is one): a
 * free one, else the oldest entry's, which is closed (evicted) - unless
 * its first bytes came in this very iteration: that is progress, not
 * idleness, so it is handed over instead. */
static struct lobby_entry *lb_make_room(struct lobby *lb)
{
	struct lobby_entry *e = lb_free_slot(lb);

	if (e != NULL)
		return e;
	e = lb_oldest(lb);
	if (e == NULL)
		return NULL;
	if (ev_io_ready(lb->loop, e->io)) {
		hal_fd fd = e->fd;
		int64_t since = e->since;

		lb_drop(lb, e, false);
		lb->st.ready++;
		lb->ready(lb, fd, since, false, lb->arg);
		return lb_free_slot(lb);
	}
	lb_drop(lb, e, true);
	lb->st.evicted++;
	lb->last_evict = ev_now(lb->loop);
	lb->evicted_once = true;
	lb_report_full(lb);
	return e;
}

static void lb_pause(struct lobby *lb, int64_t resume_at)
{
	if (!lb->paused) {
		lb->paused = true;
		lb->st.paused++;
		ev_io_want(lb->loop, lb->listen_io, 0);
	}
	lb_arm(lb, resume_at);
}

static void lb_accept_all(struct lobby *lb)
{
	for (;;) {
		bool room = lb_has_room(lb);
		struct lobby_entry *e;
		hal_fd fd;
		int r;

		if (!room && lb->policy == LOBBY_PAUSE) {
			int64_t due = lb_evict_due(lb);

			lb_report_full(lb);
			lb_pause(lb, due != INT64_MAX ? due : ev_now(lb->loop) + 1);
			return;
		}
		r = hal_tcp_accept(lb->listener, &fd, NULL);
		if (r == HAL_NET_AGAIN)
			break;
		if (r != HAL_NET_OK) {
			/* Out of descriptors: let some close before trying again. */
			lb_pause(lb, ev_now(lb->loop) + LOBBY_EMFILE_PAUSE_MS);
			return;
		}
		lb->st.accepted++;
		if (!room) {
			/* LOBBY_ADMIT_READY: the owner keeps it only if it sent. */
			lb->st.no_room++;
			lb_report_full(lb);
			lb->ready(lb, fd, ev_now(lb->loop), true, lb->arg);
			continue;
		}
		e = lb_make_room(lb);
		if (e == NULL) {   /* cannot happen: lb_has_room() said yes */
			hal_close(fd);
			continue;
		}
		e->io = ev_io_add(lb->loop, fd, HAL_POLL_IN, lb_entry_io, e);
		if (e->io < 0) {
			hal_close(fd);
			lb_pause(lb, ev_now(lb->loop) + LOBBY_EMFILE_PAUSE_MS);
			return;
		}
		e->fd = fd;
		e->since = ev_now(lb->loop);
		lb->n++;
		if (lb->n > lb->st.hwm)
			lb->st.hwm = lb->n;
	}
	lb_arm(lb, INT64_MAX);
}

static void lb_listen_io(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	(void)loop;
	(void)id;
	(void)revents;
	lb_accept_all(arg);
}

/* Closes idle entries, resumes the listener when it may accept again. */
static void lb_timer(struct ev_loop *loop, int id, void *arg)
{
	struct lobby *lb = arg;
	int64_t now = ev_now(loop);
	uint16_t i;

	(void)id;
	lb->timer = -1;
	for (i = 0; i < lb->cap; i++) {
		struct lobby_entry *e = &lb->e[i];

		if (e->fd != HAL_FD_NONE && now - e->since >= lb->idle_ms) {
			lb_drop(lb, e, true);
			lb->st.idle_closed++;
		}
	}
	if (lb->paused && lb->listen_io >= 0) {
		lb->paused = false;
		ev_io_want(loop, lb->listen_io, HAL_POLL_IN);
		lb_accept_all(lb);
		return;
	}
	lb_arm(lb, INT64_MAX);
}

/* Arms the timer for the earliest idle deadline or extra_due. */
static void lb_arm(struct lobby *lb, int64_t extra_due)
{
	struct lobby_entry *o = lb_oldest(lb);
	int64_t due = extra_due;

	if (o != NULL && o->since + lb->idle_ms < due)
		due = o->since + lb->idle_ms;
	if (lb->timer >= 0) {
		ev_timer_del(lb->loop, lb->timer);
		lb->timer = -1;
	}
	if (due != INT64_MAX)
		lb->timer = ev_timer_add(lb->loop, due, lb_timer, lb);
}

int lobby_open(struct lobby *lb, struct ev_loop *loop, hal_fd listener,
	       struct lobby_entry *slots, uint16_t cap, int64_t grace_ms,
	       int64_t idle_ms, enum lobby_policy policy, lobby_ready_cb ready,
	       lobby_full_cb full, void *arg)
{
	uint16_t i;

	memset(lb, 0, sizeof(*lb));
	lb->loop = loop;
	lb->e = slots;
	lb->cap = cap;
	lb->listener = listener;
	lb->timer = -1;
	lb->policy = (uint8_t)policy;
	lb->ready = ready;
	lb->full = full;
	lb->arg = arg;
	lobby_set_timeouts(lb, grace_ms, idle_ms);
	for (i = 0; i < cap; i++) {
		slots[i].lb = lb;
		slots[i].fd = HAL_FD_NONE;
		slots[i].io = -1;
	}
	lb->listen_io = ev_io_add(loop, listener, HAL_POLL_IN, lb_listen_io, lb);
	return lb->listen_io >= 0 && cap > 0 ? 0 : -1;
}

void lobby_set_timeouts(struct lobby *lb, int64_t grace_ms, int64_t idle_ms)
{
	lb->grace_ms = grace_ms > 0 ? grace_ms : 1;
	lb->idle_ms = idle_ms >= lb->grace_ms ? idle_ms : lb->grace_ms;
	if (lb->loop != NULL && lb->listen_io >= 0)
		lb_arm(lb, INT64_MAX);
}

void lobby_close(struct lobby *lb)
{
	uint16_t i;

	if (lb->loop == NULL)
		return;
	if (lb->listen_io >= 0)
		ev_io_del(lb->loop, lb->listen_io);
	lb->listen_io = -1;
	if (lb->timer >= 0)
		ev_timer_del(lb->loop, lb->timer);
	lb->timer = -1;
	for (i = 0; i < lb->cap; i++)
		if (lb->e[i].fd != HAL_FD_NONE)
			lb_drop(lb, &lb->e[i], true);
	lb->loop = NULL;
}
