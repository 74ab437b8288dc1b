/*
 * settle_glue.h - the daemon's side of settlement (RFC 38 engines; model
 * in ilp/settle.h and docs/settlement.md): ilpd -> engine calls over the
 * HTTP client pool (firmware/httpc_glue.h), the peer.settle messages
 * between the two peers' engines over the BTP links, incoming credits
 * (called by the settlement listener, settle_api.c), and the /health and
 * /metrics figures.
 *
 * Rules:
 * - Account id at the engine = the peer's name. POST /accounts {"id"} for
 *   every peer with settlement_engine (at start, after a reload, retried
 *   with backoff until it answers 2xx); DELETE /accounts/:id when such a
 *   peer is removed by a reload (no answer or 5xx: again with the same
 *   backoff, at most SG_DELETE_TRIES times, while the peer stays removed;
 *   re-adding it drops the delete; the slot takes a new peer once done).
 * - A settlement is due when the balance falls below settle_threshold
 *   (checked every SG_TICK_MS). The amount is moved out of the balance
 *   (ledger_settle) and held as an outgoing reservation while the request
 *   is open, so the peer's min_balance still bounds what ilpd owes in all
 *   (traffic goes on up to the limit, then T04, while the engine is down).
 *   POST /accounts/:id/settlements {amount, scale} with Idempotency-Key:
 *   2xx -> accepted (the quantity it names, at most the request; the rest
 *   goes back); 4xx -> refused, all back, and no new settlement for that
 *   peer before the backoff; no answer or 5xx -> sent again with the same
 *   key after a backoff (500 ms doubling to 30 s, forever: the engine
 *   settles a key once).
 * - peer.settle: our engine's message goes to the peer as an ILP Prepare
 *   (amount 0, peer condition, 10 s expiry) on BTP request id
 *   (seq << 16) | ILPD_SETTLE_ID; the Fulfill's data is the reply. A
 *   peer.settle Prepare from a peer goes to our engine's
 *   /accounts/:id/messages; its 2xx body is fulfilled back (zero
 *   fulfillment), anything else is a T00 Reject.
 *
 * Memory: struct settle_state (ilp/settle.h) + ILPD_MAX_PEERS * 600 bytes
 * (struct sg_peer on LP64: the engine's URL, with host and path, is most of
 * it; host 38,400 B) + SG_MSG_MAX * 2 message slots (40 bytes each) + a
 * 4.25 KiB frame buffer; static in settle_glue.c, outside the memory map's
 * pools (docs/memory.md lists it). No heap.
 * Logs: settlement.* events (docs/ilpd.8).
 */
#ifndef ILPD_SETTLE_GLUE_H
#define ILPD_SETTLE_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/settle.h"

struct ilpd_daemon;
struct btp_frame;

/* Our peer.settle messages' BTP request ids: (seq << 16) | this. */
#define ILPD_SETTLE_ID 0xFFFCu
/* peer.settle messages in flight each way. */
#define SG_MSG_MAX 8
/* Largest message carried (engine messages are small JSON). */
#define SG_MSG_DATA_MAX 4096

static inline bool ilpd_settle_id(uint32_t id)
{
	return (id & 0xFFFFu) == ILPD_SETTLE_ID;
}

extern struct settle_state ilpd_settle_state;

/* After the switch is built: the peer.settle hook, the accounts, the timer. */
void ilpd_settle_start(struct ilpd_daemon *d);
/* A reload changed the peer set or settings (new accounts, removed ones). */
void ilpd_settle_reload(struct ilpd_daemon *d);
/* Daemon stop: cancels every request (open settlements stay open). */
void ilpd_settle_stop(struct ilpd_daemon *d);

/* A BTP Response or Error from `peer`: true if it answered one of our
 * peer.settle messages (it is then consumed). */
bool ilpd_settle_answer(struct ilpd_daemon *d, uint16_t peer, const struct btp_frame *f);

/* The switch slot of the peer named name[0..n) with a settlement engine,
 * or -1. */
int ilpd_settle_peer(const struct ilpd_daemon *d, const char *name, size_t n);

/* An incoming settlement for peer `slot` (our engine received it): digest
 * = the first 16 bytes of SHA-256(Idempotency-Key). Credits the ledger
 * (balance -= credited) once per digest. 0 with the credited quantity in
 * *out_amount / *out_scale (the same answer again for a known key), or -1
 * when nothing can be credited now (ledger bound). */
int ilpd_settle_credit(struct ilpd_daemon *d, uint16_t slot, const uint8_t digest[SETTLE_DIGEST],
		       uint64_t amount, uint8_t scale, uint64_t *out_amount, uint8_t *out_scale,
		       uint32_t *key_idx);

/* Sends our engine's message to peer `slot` (peer.settle). done(ctx,
 * status, reply, n) exactly once: 200 with the peer's reply, 502 when it
 * rejected, 504 on timeout, 503 when the link is down (then also 503 from
 * this call's return and no callback). 0 or an HTTP status. */
typedef void (*ilpd_settle_msg_done)(void *ctx, int status, const uint8_t *reply, size_t n);
int ilpd_settle_send_message(struct ilpd_daemon *d, uint16_t slot, const uint8_t *data,
			     size_t n, ilpd_settle_msg_done done, void *ctx);
/* Durability wait (settlement requests and credit answers wait for it, so
 * a kill -9 never loses a settlement the engine saw): `written` says the
 * state is as last written (ilpd_persist_settle_written); the first such
 * call marks the journal position, and the answer is true once every
 * record before the mark is synced (or durability is off). *armed = false
 * starts a new wait. Other ledger traffic never delays it past one sync. */
bool ilpd_settle_durable(struct ilpd_daemon *d, bool written, uint32_t *mark, bool *armed);

/* No callback for ctx after this (its HTTP connection closed). */
void ilpd_settle_cancel_message(void *ctx);

/* /health: ,"settlement":{...} for peer slot i (nothing when it has no
 * engine). Returns the length written, 0 if none or it does not fit. */
size_t ilpd_settle_health_json(const struct ilpd_daemon *d, uint16_t i, char *out, size_t cap);
/* Peer slot i's settlement state for the per-peer /metrics (admin.c), or
 * NULL when it has no engine. */
const struct settle_peer *ilpd_settle_peer_state(const struct ilpd_daemon *d, uint16_t i);
/* /metrics lines. Returns the length, 0 if it does not fit. */
size_t ilpd_settle_metrics_text(const struct ilpd_daemon *d, char *out, size_t cap);

#endif /* ILPD_SETTLE_GLUE_H */
