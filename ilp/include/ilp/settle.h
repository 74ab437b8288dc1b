/*
 * settle.h - settlement through RFC 38 settlement engines: the pure part.
 * Per peer it keeps the settlement state (the "settling" column, the
 * outgoing request's idempotency key, totals, failures, engine
 * reachability), decides when a settlement is due and for how much,
 * converts amounts between the ledger's asset scale and the engine's
 * exactly, and remembers the Idempotency-Keys of recent incoming credits.
 * Bytes and integers in and out: no clock (times are passed in), no I/O,
 * no heap. firmware/settle_glue.c and settle_api.c drive it.
 *
 * Who settles whom (docs/settlement.md). The ledger's sign (ledger.h, the
 * same as ilp-connector's): balance = what the peer owes us. The side that
 * owes pays its creditor, so ilpd asks ITS engine to pay when IT owes the
 * peer - when the balance falls below settle_threshold (ilp-connector's
 * settleThreshold: "numerically below which the connector initiates a
 * settlement"; usually a negative number). It then settles
 *     amount = settle_to - balance       (> 0; settle_to > settle_threshold)
 * so that the balance comes back up to settle_to. The amount is moved out of
 * the balance into the settling column before the request goes (balance +=
 * amount, settling += amount: a debt is never asked for twice); a refused
 * request moves it back; an accepted one clears it. A peer that owes us
 * settles through its own engine, which tells ours, which credits us through
 * the settlement listener: balance -= credited.
 * settle_threshold = INT64_MAX ("none") never settles.
 *
 * Scale conversion never rounds in ilpd's favour silently:
 *  - outgoing (ledger scale L -> engine scale E): when E < L, only whole
 *    engine units are asked for; the sub-unit remainder is not moved out of
 *    the balance (it stays owed and is settled with a later amount). When
 *    E > L, an amount whose conversion would pass 2^64-1 is cut to what
 *    fits (settle_engine_max), the rest stays in the balance; the glue
 *    logs that once and waits the backoff before the next part. Scales
 *    more than SETTLE_SCALE_DIFF_MAX apart are refused by the config.
 *  - incoming (engine scale E -> L): only whole ledger units are credited;
 *    the credited quantity is answered in the engine's scale, so the engine
 *    keeps the fraction it could not deliver and sends it again later
 *    (RFC 38's leftover rule). An amount past int64 is credited up to what
 *    fits, and the rest is likewise left with the engine.
 *  - the engine's 201 answer to a settlement request may name less than was
 *    asked: the difference (converted, rounded so that ilpd never keeps
 *    more than the engine took) goes back to the balance.
 *
 * Incoming idempotency: a fixed table of SETTLE_KEYS recent credits (the
 * 16-byte digest of the Idempotency-Key, the peer slot, the credited
 * engine quantity), oldest overwritten first; a key seen again answers the
 * same quantity and credits nothing. The caller persists each entry with
 * the credit in one journal group.
 *
 * Memory: struct settle_state = ILPD_MAX_PEERS * 80 + SETTLE_KEYS * 32 +
 * 8 bytes (SETTLE_KEYS: half the peer slots, at least 8; host: 64 peers,
 * 32 keys: ~6.7 KiB; rpi 32/16: ~3.3 KiB; router 8/8: ~1 KiB). The keys
 * are persisted in the durable ledger's snapshots (journal.h), whose slot
 * size bounds them.
 */
#ifndef ILP_SETTLE_H
#define ILP_SETTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"
#include "ilp/ilp_opts.h"

/* Recent incoming Idempotency-Keys remembered (board option). */
#ifndef ILPD_SETTLE_KEYS
#if ILPD_MAX_PEERS >= 16
#define ILPD_SETTLE_KEYS (ILPD_MAX_PEERS / 2u)
#else
#define ILPD_SETTLE_KEYS 8u
#endif
#endif
#define SETTLE_KEYS ((uint32_t)ILPD_SETTLE_KEYS)
#define SETTLE_DIGEST 16u
/* Largest |engine scale - ledger scale| with which any amount converts:
 * 10^19 < 2^64-1 < 10^20 (the configuration refuses more). */
#define SETTLE_SCALE_DIFF_MAX 19u
/* Longest decimal amount accepted: 2^64-1 has 20 digits. */
#define SETTLE_AMOUNT_DIGITS 20u
/* An outgoing key as text: "ilpd-" and 16 lowercase hex digits. */
#define SETTLE_KEY_TEXT 21u

/* Configuration of one peer (from [peer] settlement_* keys). */
struct settle_cfg {
	bool enabled;            /* settlement_engine set */
	int64_t threshold;       /* settle when balance < threshold; INT64_MAX: never */
	int64_t settle_to;       /* > threshold */
	uint8_t ledger_scale;    /* the peer's asset_scale */
	uint8_t engine_scale;    /* settlement_scale */
};

/* engine_up: no call yet; the engine answered; it did not (no connection,
 * timeout); it answered with an error (5xx, or a 2xx naming no quantity). */
enum { SETTLE_ENGINE_UNKNOWN = 0, SETTLE_ENGINE_REACHABLE = 1, SETTLE_ENGINE_UNREACHABLE = 2,
       SETTLE_ENGINE_ERROR = 3 };

/* State of one peer. Persisted: settling, key, engine_amount (journal). */
struct settle_peer {
	uint64_t settling;       /* ledger units out of the balance, request open */
	uint64_t key;            /* its Idempotency-Key (non-zero while settling) */
	uint64_t engine_amount;  /* the request's amount in the engine's scale */
	uint64_t settled_total;  /* ledger units the engine accepted (this run) */
	uint64_t credited_total; /* ledger units credited by our engine (this run) */
	int64_t last_ms;         /* when the last settlement was accepted; 0 none */
	uint64_t last_amount;    /* its amount (ledger units) */
	uint32_t failures;       /* consecutive failed attempts of the open request */
	uint32_t failures_total; /* failed attempts (no answer, 5xx) and refusals (4xx) */
	uint32_t requests;       /* settlement requests started or resumed (this run) */
	uint32_t credits;        /* credits applied (duplicates not counted) */
	uint8_t engine_up;       /* SETTLE_ENGINE_*: how the last call went */
	uint8_t pad[7];
};

struct settle_key_entry {
	uint8_t digest[SETTLE_DIGEST];
	uint64_t engine_amount;  /* credited, in `scale` */
	uint16_t slot;
	uint8_t scale;
	uint8_t used;
	uint8_t pad[4];
};

struct settle_state {
	struct settle_peer peer[ILPD_MAX_PEERS];
	struct settle_key_entry key[SETTLE_KEYS];
	uint32_t key_next;       /* the entry the next new key overwrites */
	uint32_t key_adds;       /* keys added (wraps): the journal writer follows it */
};

void settle_init(struct settle_state *s);

/* Forgets peer i's state (peer removed); its keys stay until overwritten. */
void settle_clear_peer(struct settle_state *s, size_t i);

/* a * 10^e into *out; ILP_ERR_RANGE when it passes 2^64-1 (a = 0 never does). */
int settle_pow10_mul(uint64_t a, unsigned e, uint64_t *out) ILP_CHECK_RESULT;

/* Ledger units -> engine units for a settlement: *engine is the amount to
 * ask for and *used the ledger units it stands for exactly (*used <= amount;
 * amount - *used stays in the balance). Both 0 when nothing whole fits. */
void settle_to_engine(uint64_t amount, uint8_t ledger_scale, uint8_t engine_scale,
		      uint64_t *engine, uint64_t *used);

/* The largest ledger amount whose conversion to the engine's scale fits in
 * 64 bits: UINT64_MAX when engine_scale <= ledger_scale, 0 when no amount
 * converts (scales more than 19 apart). A settlement for more is cut to it
 * (settle_to_engine). */
uint64_t settle_engine_max(uint8_t ledger_scale, uint8_t engine_scale);

/* Engine units -> ledger units for a credit, at most `room` ledger units:
 * *ledger the whole ledger units credited and *engine_used the engine units
 * they stand for exactly (what the connector answers; the engine keeps the
 * rest). */
void settle_from_engine(uint64_t engine, uint8_t engine_scale, uint8_t ledger_scale,
			uint64_t room, uint64_t *ledger, uint64_t *engine_used);

/* Engine units the engine accepted -> ledger units, rounded UP (the part
 * ilpd gives back to the balance, amount - this, is rounded down: ilpd
 * never keeps more than the engine took), at most `cap`. */
uint64_t settle_accepted_ledger(uint64_t engine, uint8_t engine_scale,
				uint8_t ledger_scale, uint64_t cap);

/* Decision: is a settlement due for a peer with this config, state and
 * balance? 1 with *ledger_amount (to move out of the balance) and
 * *engine_amount (to ask for), 0 if not (disabled, one already open, not
 * below the threshold, or nothing whole to ask for). */
int settle_due(const struct settle_cfg *c, const struct settle_peer *p, int64_t balance,
	       uint64_t *ledger_amount, uint64_t *engine_amount);

/* Records the start of a settlement (after the ledger moved the amount):
 * key must be non-zero. */
void settle_begin(struct settle_peer *p, uint64_t ledger_amount, uint64_t engine_amount,
		  uint64_t key);

/* A settlement open when ilpd stopped is held again at start (the state
 * file kept it): it counts as a request of this run. */
void settle_resume(struct settle_peer *p);

/* The engine accepted `accepted_engine` (in its scale) of the open request
 * at time now_ms: returns the ledger units to give back to the balance
 * (settling - what was accepted) and closes the request. */
uint64_t settle_accepted(struct settle_peer *p, const struct settle_cfg *c,
			 uint64_t accepted_engine, uint8_t accepted_scale, int64_t now_ms);

/* The engine refused the open request for good (4xx): returns the ledger
 * units to give back (all of settling) and closes the request. */
uint64_t settle_refused(struct settle_peer *p);

/* A transient failure (no answer, 5xx): the request stays open and is
 * sent again with the same key. Returns the consecutive failure count. */
uint32_t settle_failed(struct settle_peer *p);

/* Retry delay after n consecutive failures: min(base * 2^(n-1), max). */
int64_t settle_backoff_ms(uint32_t n, int64_t base_ms, int64_t max_ms);

/* peer.settle messages. The peer's ilpd gives its engine until the
 * Prepare's expiry less SETTLE_MSG_MARGIN_MS (at most max_ms, at least 1):
 * its reject then reaches the sender before the sender's own expiry. An
 * engine that did not answer in that time is rejected with R00 (timed
 * out), any other failure with T00. */
#define SETTLE_MSG_MARGIN_MS 1000
int64_t settle_msg_wait_ms(int64_t expires_at, int64_t now, int64_t max_ms);
/* The HTTP status the sending ilpd answers its engine for a peer's reject
 * code (3 bytes): 504 for a timeout (R00), 502 otherwise. */
int settle_msg_reject_status(const uint8_t *code);

/* Incoming credit keys. Looks up digest: the entry or NULL. */
const struct settle_key_entry *settle_key_find(const struct settle_state *s,
					       const uint8_t digest[SETTLE_DIGEST]);
/* Remembers a credit (overwrites the oldest entry); returns its index. */
uint32_t settle_key_add(struct settle_state *s, const uint8_t digest[SETTLE_DIGEST],
			uint16_t slot, uint64_t engine_amount, uint8_t scale);
/* Puts an entry back at index idx (journal replay). */
void settle_key_put(struct settle_state *s, uint32_t idx, const struct settle_key_entry *e);

/* Parses an RFC 38 amount: 1..20 ASCII digits (leading zeros allowed),
 * value <= 2^64-1. ILP_OK or ILP_ERR_INVALID (empty, sign, other byte,
 * too long) or ILP_ERR_RANGE (too big). */
int settle_parse_amount(const uint8_t *s, size_t n, uint64_t *out) ILP_CHECK_RESULT;

/* Writes v in decimal into out (>= 21 bytes), NUL-terminated; returns the
 * length. */
size_t settle_format_amount(uint64_t v, char *out);

/* The outgoing Idempotency-Key text of key: "ilpd-" and 16 hex digits. */
void settle_key_text(uint64_t key, char out[SETTLE_KEY_TEXT + 1]);

#endif /* ILP_SETTLE_H */
