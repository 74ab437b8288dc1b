/*
 * local.h - ilpd's own account: a virtual peer slot named "local" in the
 * switch (relation child, no BTP link, up while enabled). Local delivery
 * (the [local] handler_url, helper deliver.c), /admin/ilp/send and the
 * embedded C API all sit on this one interface.
 *
 * Delivery. A Prepare routed to the local account (the [local] prefix,
 * default ilpd's own address, and a destination equal to the own address;
 * a child with a longer prefix still wins) is checked first: its
 * condition must be SHA-256(SHA-256(data)), else the source gets F05
 * (Wrong Condition) and the handler is not called. Then the handler gets
 * the raw Prepare (as forwarded: amount and expiry are the outgoing ones)
 * and an id, and answers later, exactly once, with ilpd_local_answer() (or
 * the ilpd_local_accept()/ilpd_local_reject() helpers). If the packet's
 * expiry passes first, the switch answers R00 itself and a late answer is
 * ignored (counted in ilpd_local_stats.late). Without a handler the local
 * account is not routed to: such a Prepare gets F02 as before.
 *
 * Sending. ilpd_local_send() originates a Prepare from the local account;
 * the callback runs exactly once with the Fulfill or Reject (also a Reject
 * the switch made, e.g. F02 no route or R00 at the expiry). It MAY run
 * before ilpd_local_send() returns (a Reject the switch makes at once).
 *
 * Durability ([ledger] durability = sync, durable.h). A Fulfill moves
 * money: its callback is held exactly as BTP output is held, so an
 * application is never told "paid" before the ledger change that goes with
 * it is on stable storage. The Fulfill is copied into a ring of held
 * replies; the durable loop marks the held replies where it marks the
 * wsconn output (ilpd_local_mark) and runs their callbacks, oldest first,
 * where it releases it (ilpd_local_release_marked: the group's sync is
 * done, also after a failed one, as for the output) or flushes all
 * (ilpd_local_flush_all: nothing left to make durable, and at a clean
 * stop, so every callback still runs exactly once). A Reject moves no
 * persisted balance (the packet's reservation is dropped): it is given
 * at once. Answers to deliveries (ilpd_local_answer) go to the source
 * over BTP and are held with the rest of the output already. Room
 * rule: when a Fulfill does not fit the ring's free end, ilpd makes the
 * ledger durable there and then (ilpd_durable_sync_now: the group in
 * flight and a new one, the loop waiting for the disk; counted in
 * sync_forced) and calls back at once; nothing is refused and nothing is
 * reserved. The ring starts again at its beginning whenever it empties.
 * With durability interval or off nothing is held and callbacks run as
 * the reply arrives.
 *
 * Money: the local account is a ledger slot like a peer's (its balance
 * persists under the name "local"): its balance falls by what it receives
 * (not limited: min_balance unlimited) and rises by what it sends, up to
 * [local] max_balance (default unlimited: the operator's own account; 0
 * lets it send only what it has received).
 *
 * Threading: single event loop; none of these may be called from a
 * handler of another thread. The prepare/reply bytes given to callbacks
 * are valid only during the call.
 */
#ifndef ILPD_LOCAL_H
#define ILPD_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_packet.h"
#include "net/net_opts.h"

struct ilpd_daemon;
struct ilp_sw_action;

/* The peer name of the local account (switch, ledger, persisted state). */
#define ILPD_LOCAL_NAME "local"

/* Largest data a local Fulfill/Reject carries (the 32 KB). */
#define ILPD_LOCAL_REPLY_DATA_MAX 32767

/* A Prepare to deliver locally (the raw ILP packet, valid during the call).
 * Answer later, exactly once, with ilpd_local_answer(d, id, ...). */
typedef void (*ilpd_local_handler)(void *ctx, struct ilpd_daemon *d, uint32_t id,
				   const uint8_t *prepare, size_t n);

/* Installs the handler (NULL: none; local delivery then answers F02).
 * Installing one enables the local account (ilpd_local_enable). */
void ilpd_local_set_handler(struct ilpd_daemon *d, ilpd_local_handler h, void *ctx);

/* Answers delivery `id` with an ILP Fulfill or Reject packet. A Fulfill
 * whose fulfillment does not match is turned into F05 by the switch. An
 * unknown, answered or expired id is ignored and counted (late). */
void ilpd_local_answer(struct ilpd_daemon *d, uint32_t id, const uint8_t *pkt, size_t n);

/* Helpers that build and send the answer for delivery `id`:
 * accept: a Fulfill with fulfillment = SHA-256(the Prepare's data) (kept
 * when it was delivered) and `data` (n <= ILPD_LOCAL_REPLY_DATA_MAX);
 * reject: a Reject with code ("F99", 3 characters), message and data,
 * triggeredBy = ilpd's own address. 0, or ILP_ERR_NOT_FOUND (id not
 * pending: late, counted), ILP_ERR_ARG (bad code, data too long). */
int ilpd_local_accept(struct ilpd_daemon *d, uint32_t id, const uint8_t *data, size_t n);
int ilpd_local_reject(struct ilpd_daemon *d, uint32_t id, const char *code,
		      const char *message, const uint8_t *data, size_t n);

/* True while delivery `id` waits for its answer (not answered, not expired). */
bool ilpd_local_pending(const struct ilpd_daemon *d, uint32_t id);

/* The Fulfill or Reject for a local send (valid during the call). */
typedef void (*ilpd_local_done)(void *ctx, const uint8_t *reply, size_t n);

/* Originates Prepare (prepare, n) from the local account. 0: cb runs
 * exactly once (maybe before this returns); ILP_ERR_FULL: no free send
 * slot (cb never called); ILP_ERR_ARG: not a Prepare, too long, or the
 * local account is not enabled (cb never called). */
int ilpd_local_send(struct ilpd_daemon *d, const uint8_t *prepare, size_t n,
		    ilpd_local_done cb, void *ctx);

/* Forgets every send whose ctx is `ctx`: its callback is not called (the
 * packet itself still completes in the switch; money moves as usual). */
void ilpd_local_cancel_ctx(struct ilpd_daemon *d, void *ctx);

/* Creates the local account (a switch peer slot named "local") if it does
 * not exist yet: [local] handler_url, the admin API and the embedded API
 * call it. 0, or -1 (no free peer slot, logged). */
int ilpd_local_enable(struct ilpd_daemon *d);

/* The local account's switch peer index, or -1 when not enabled. */
int ilpd_local_peer(const struct ilpd_daemon *d);

/* Counters (monotonic except in_flight). */
struct ilpd_local_stats {
	uint64_t delivered;       /* Prepares given to the handler */
	uint64_t answered;        /* answers taken */
	uint64_t late;            /* answers for ids no longer pending */
	uint64_t wrong_condition; /* F05 before the handler */
	uint64_t no_slot;         /* T03: every delivery slot busy */
	uint64_t sent;            /* ilpd_local_send accepted */
	uint64_t send_full;       /* ilpd_local_send refused: no slot */
	uint64_t held;            /* Fulfills held until durable (sync mode) */
	uint64_t sync_forced;     /* ... that found the ring full: synced at once */
	uint32_t deliveries_now;
	uint32_t sends_now;
};
const struct ilpd_local_stats *ilpd_local_get_stats(const struct ilpd_daemon *d);

/* ---- the state (inside struct ilpd_daemon) and the daemon's hooks ------- */

/* Deliveries waiting for the handler's answer (HTTP requests in flight and
 * queued included), and sends waiting for their answer. Board-overridable. */
#ifndef ILPD_LOCAL_SLOTS
#define ILPD_LOCAL_SLOTS (4 * ILPD_HTTPC_SLOTS)
#endif
#ifndef ILPD_LOCAL_SENDS
#define ILPD_LOCAL_SENDS (4 * ILPD_HTTPC_SLOTS)
#endif
/* Largest packet the local account sends or answers with: an ILP packet,
 * bounded by what a BTP frame carries. */
#define ILPD_LOCAL_PKT_MAX \
	(ILP_PACKET_MAX_SIZE < ILPD_WS_MAX_MESSAGE ? ILP_PACKET_MAX_SIZE : ILPD_WS_MAX_MESSAGE)

struct ilpd_local_dlv {              /* 40 bytes */
	uint8_t fulfillment[32];         /* SHA-256(the Prepare's data) */
	uint32_t handle;                 /* the switch's pending handle */
	uint16_t gen;                    /* id = gen << 16 | index */
	bool used;
};

struct ilpd_local_snd {              /* 24 bytes on LP64 */
	ilpd_local_done cb;
	void *ctx;
	uint16_t gen;                    /* tag = gen << 16 | index */
	bool used;
	bool held;                       /* its Fulfill waits in the ring */
};

/* The ring of held Fulfills (sync mode, see "Durability" above): entries
 * of 12 bytes (tag, seq, length) + the packet rounded up to 4 bytes.
 * Board-overridable; the default holds two of the largest Fulfills the
 * local account can get (or ~1,000 small ones) on host and rpi, the
 * router's one. */
#define ILPD_LOCAL_HOLD_PKT \
	(ILP_FULFILL_MAX_SIZE < ILPD_LOCAL_PKT_MAX ? ILP_FULFILL_MAX_SIZE : ILPD_LOCAL_PKT_MAX)
#define ILPD_LOCAL_HOLD_ENTRY(n) (12u + (((uint32_t)(n) + 3u) & ~3u))
#ifndef ILPD_LOCAL_HOLD_BYTES
#define ILPD_LOCAL_HOLD_BYTES (2 * ILPD_LOCAL_HOLD_ENTRY(ILPD_LOCAL_HOLD_PKT))
#endif
_Static_assert(ILPD_LOCAL_HOLD_BYTES >= ILPD_LOCAL_HOLD_ENTRY(ILPD_LOCAL_HOLD_PKT),
	       "the hold ring takes at least the largest Fulfill");

/* Memory: ILPD_LOCAL_SLOTS * 40 + ILPD_LOCAL_SENDS * 24 + 2 *
 * ILPD_LOCAL_PKT_MAX (41,997: a send's Prepare, rewritten in place by the
 * switch; an answer built by accept/reject) + ILPD_LOCAL_HOLD_BYTES (held
 * Fulfills: 65,640 on host and rpi, 32,820 on the router) + ~140 bytes:
 * host (64 + 64 slots) 153,856 bytes, rpi (32 + 32) 151,808, router
 * (16 + 16) 117,968 (LP64). */
struct ilpd_local {
	bool on;                         /* the account exists (peer is valid) */
	bool want;                       /* ilpd_local_enable before the start */
	uint16_t peer;                   /* switch peer index */
	ilpd_local_handler handler;
	void *hctx;
	struct ilpd_local_stats st;
	struct ilpd_local_dlv dlv[ILPD_LOCAL_SLOTS];
	struct ilpd_local_snd snd[ILPD_LOCAL_SENDS];
	uint8_t out[ILPD_LOCAL_PKT_MAX];     /* a send's Prepare */
	uint8_t ans[ILPD_LOCAL_PKT_MAX];     /* an answer being built */
	bool hold;                       /* sync mode: Fulfills wait (durable.c) */
	bool running;                    /* lc_hold_run is calling back */
	uint32_t seq;                    /* the last held Fulfill's seq */
	uint32_t mark;                   /* seq covered by the group being synced */
	uint32_t upto;                   /* lc_hold_run: call back up to this seq */
	uint32_t head, tail;             /* ring: entries in [head, tail) */
	uint8_t ring[ILPD_LOCAL_HOLD_BYTES];   /* headers memcpy'd: no alignment */
};

/* daemon.c: after the switch is built, before the ledger is loaded:
 * creates the account if [local] handler_url is set, the admin listener is
 * on, or ilpd_local_enable() was called before. 0, or -1 (logged). */
int ilpd_local_start(struct ilpd_daemon *d);
/* daemon.c: true if switch peer `peer` is the local account. */
bool ilpd_local_is(const struct ilpd_daemon *d, uint16_t peer);
/* daemon.c: the switch forwarded a Prepare to the local account (act->tag
 * its handle): checked, then given to the handler; or rejected. */
void ilpd_local_forward(struct ilpd_daemon *d, const struct ilp_sw_action *act);
/* daemon.c: the switch answers a send of the local account (act->tag). */
void ilpd_local_reply(struct ilpd_daemon *d, const struct ilp_sw_action *act);
/* reload.c: [local] prefix and limits of the new configuration apply;
 * ildcp_client.c: the node's address or asset changed (IL-DCP). */
void ilpd_local_reconfigure(struct ilpd_daemon *d);

/* durable.c, next to the matching wsconn calls (see "Durability"):
 * hold: on at the start in sync mode; off (every held callback runs first)
 * at the start of the other modes and at the stop. mark: the Fulfills held
 * so far wait for the group being written. release_marked: the group is
 * synced (or failed): their callbacks run. flush_all: every held callback
 * runs (those a callback causes meanwhile wait). waiting: any held. */
void ilpd_local_hold(struct ilpd_daemon *d, bool on);
void ilpd_local_mark(struct ilpd_daemon *d);
void ilpd_local_release_marked(struct ilpd_daemon *d);
void ilpd_local_flush_all(struct ilpd_daemon *d);
bool ilpd_local_waiting(const struct ilpd_daemon *d);

#endif /* ILPD_LOCAL_H */
