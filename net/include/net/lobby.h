/*
 * lobby.h - where a listener's new connections wait until they send their
 * first byte. A TCP connection that has sent nothing costs the lobby one
 * descriptor and 24 bytes (64-bit); it gets a real connection slot (buffers, TLS,
 * WebSocket) only once it shows progress, so a flood of idle connections
 * cannot push out a slow legitimate peer that is still handshaking.
 *
 * Rules (docs/ilpd.8, "Connection floods"):
 * - Every new connection is accepted into the lobby and watched for input.
 *   The first byte (or a hang-up) hands it to the owner's ready callback,
 *   which owns the descriptor from then on.
 * - An entry that sends nothing is closed after idle_ms.
 * - When the lobby is full, the oldest entry that has waited at least
 *   grace_ms is closed to make room (counted in `evicted`). If every entry
 *   is younger than grace_ms, a LOBBY_PAUSE lobby stops accepting
 *   (`paused`) until the oldest one comes of age: new connections then
 *   wait in the kernel's accept queue (where their first bytes collect)
 *   instead of pushing out those already here. So under any flood each
 *   accepted connection is guaranteed grace_ms to send its first byte, and
 *   the listener admits about cap / grace_ms idle connections per second.
 *   A LOBBY_PAUSE lobby spaces its evictions at least grace_ms / cap apart, so a flood that
 *   fills the lobby in one burst is let in one connection at a time, not
 *   again in one burst a grace period later: the accept queue then frees a
 *   place every few milliseconds and a legitimate peer's SYN, which the
 *   kernel retries only after 1, 3, 7 s, finds one, instead of having to
 *   hit a short window once per grace period.
 *   A LOBBY_ADMIT_READY lobby keeps draining the accept queue instead and
 *   lets the owner keep only newcomers whose request is already there.
 * - A full descriptor table (EMFILE) pauses the listener for 100 ms.
 *
 * Memory: struct lobby is ~96 bytes plus the caller's slot array (24 bytes
 * per entry on 64-bit); one event-loop watcher per entry and one timer.
 * The caller sizes the array (ILPD_LOBBY_BTP, ILPD_LOBBY_ADMIN in the
 * board's options) and the loop's tables (ILPD_EV_MAX_IO) to match.
 * No heap. Single-threaded: everything runs from the event loop.
 */
#ifndef NET_LOBBY_H
#define NET_LOBBY_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/hal_net.h"
#include "net/ev.h"

struct lobby;

/* A connection sent its first byte (or hung up): fd belongs to the callee
 * from now on. `since` is when it was accepted (ev_now time). `no_room`:
 * a LOBBY_ADMIT_READY lobby was full and fd was just accepted; the callee
 * keeps it only if its first bytes are already there, else closes it. */
typedef void (*lobby_ready_cb)(struct lobby *lb, hal_fd fd, int64_t since, bool no_room,
			       void *arg);

/* What a full lobby (every entry younger than grace_ms) does with more
 * connections. LOBBY_PAUSE: stop accepting until the oldest comes of age
 * (peers that need time before their first byte: BTP). LOBBY_ADMIT_READY:
 * keep accepting, and hand each newcomer straight to the owner, who keeps
 * it only if it already sent something (clients that send at once: HTTP). */
enum lobby_policy {
	LOBBY_PAUSE = 0,
	LOBBY_ADMIT_READY
};

/* The lobby is full and had to evict or pause: called at most once per
 * LOBBY_FULL_REPORT_MS, for the owner's log. May be NULL. */
typedef void (*lobby_full_cb)(struct lobby *lb, void *arg);
#define LOBBY_FULL_REPORT_MS 10000

struct lobby_entry {
	struct lobby *lb;
	hal_fd fd;              /* HAL_FD_NONE: free */
	int io;                 /* watcher id */
	int64_t since;          /* accepted at (ev_now) */
};

struct lobby_stats {
	uint64_t accepted;      /* connections taken from the listener */
	uint64_t ready;         /* handed to the owner (first byte or hang-up) */
	uint64_t evicted;       /* closed to make room (full lobby) */
	uint64_t idle_closed;   /* closed after idle_ms with nothing received */
	uint64_t paused;        /* times the listener was paused (full, or EMFILE) */
	uint64_t no_room;       /* LOBBY_ADMIT_READY: newcomers handed over while full */
	uint32_t hwm;           /* most entries at once */
};

struct lobby {
	struct ev_loop *loop;
	struct lobby_entry *e;
	uint16_t cap;
	uint16_t n;             /* entries in use */
	hal_fd listener;
	int listen_io;          /* watcher on the listener, or -1 */
	int timer;              /* sweep / resume timer, or -1 */
	bool paused;            /* not accepting (see above) */
	uint8_t policy;         /* enum lobby_policy */
	int64_t grace_ms;
	int64_t idle_ms;
	int64_t full_logged;    /* when lobby.full was last logged (ev_now) */
	int64_t last_evict;     /* when the last eviction was (ev_now) */
	bool evicted_once;      /* last_evict is set */
	lobby_ready_cb ready;
	lobby_full_cb full;     /* may be NULL */
	void *arg;
	struct lobby_stats st;
};

/* Starts accepting from `listener` (already listening, non-blocking) into
 * slots[0..cap). 0, or -1 if the loop has no room for the watcher. The
 * listener itself stays the caller's (lobby_close does not close it). */
int lobby_open(struct lobby *lb, struct ev_loop *loop, hal_fd listener,
	       struct lobby_entry *slots, uint16_t cap, int64_t grace_ms,
	       int64_t idle_ms, enum lobby_policy policy, lobby_ready_cb ready,
	       lobby_full_cb full, void *arg);

/* New timeouts (a configuration reload); entries already waiting keep
 * their accept time. idle_ms >= grace_ms > 0. */
void lobby_set_timeouts(struct lobby *lb, int64_t grace_ms, int64_t idle_ms);

/* Stops accepting and closes every waiting connection. */
void lobby_close(struct lobby *lb);

#endif /* NET_LOBBY_H */
