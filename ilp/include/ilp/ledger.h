/*
 * ledger.h - fixed-slot, per-peer balance ledger.
 *
 * Memory: struct ledger_slot is exactly 64 bytes (static-asserted) of
 * fixed-width integers with no pointers and no padding, so a ledger can be
 * written to flash as bytes and read back on any board of the same byte
 * order (ledger_snapshot() writes a byte-order-independent image).
 * struct ledger = ILPD_MAX_PEERS * 64 bytes. No heap.
 *
 * Sign convention (the same as ilp-connector's balance middleware): balance
 * is what the peer owes us. A Prepare the peer sends us raises it when
 * fulfilled; a Prepare we send the peer lowers it when fulfilled.
 *   max_balance  the credit we extend to the peer: balance never rises above.
 *   min_balance  (<= 0) how much we are willing to owe the peer.
 * In-flight amounts are held, not applied: an incoming Prepare reserves
 * pending_in and must fit (balance + pending_in <= max_balance); an outgoing
 * Prepare reserves pending_out and must fit (balance - pending_out >=
 * min_balance). Fulfill commits the reservation, Reject or expiry releases
 * it. Because reservations are checked, a commit can never pass a limit
 * and can never overflow. Amounts above INT64_MAX are refused (ILP_ERR_RANGE).
 *
 * Invariants (ledger_check): pending_in, pending_out <= INT64_MAX;
 * balance + pending_in <= max_balance and balance - pending_out >=
 * min_balance unless a limit was lowered below the current balance by
 * configuration (then only new reservations are refused).
 */
#ifndef ILP_LEDGER_H
#define ILP_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"
#include "ilp/ilp_opts.h"

#define LEDGER_SLOT_SIZE 64
#define LEDGER_SNAPSHOT_VERSION 1
/* Bytes ledger_snapshot() writes: 8-byte header + 64 per slot. */
#define LEDGER_SNAPSHOT_SIZE (8 + ILPD_MAX_PEERS * LEDGER_SLOT_SIZE)

/* Flags in ledger_slot.flags. */
#define LEDGER_SLOT_USED 0x1u
/* Set while the balance lies outside a limit because the limit was lowered
 * or a settlement moved it (not because of a hold): ledger_check then
 * accepts the slot, and new reservations are still refused by the numbers.
 * Cleared as soon as the balance is back inside. Stored in snapshots. */
#define LEDGER_SLOT_EXEMPT 0x2u

struct ledger_slot {
	int64_t balance;
	uint64_t pending_in;
	uint64_t pending_out;
	int64_t min_balance;
	int64_t max_balance;
	int64_t settle_threshold;   /* as configured (see ledger_settle_due) */
	uint64_t fulfilled_count;   /* packets committed, both directions */
	uint32_t flags;
	uint32_t reserved;          /* zero */
};

struct ledger {
	struct ledger_slot slot[ILPD_MAX_PEERS];
};

void ledger_init(struct ledger *l);

/* Configures slot i with limits; balance and pending amounts become zero.
 * ILP_ERR_ARG if i is out of range or min_balance > 0 or max_balance < 0. */
int ledger_open(struct ledger *l, size_t i, int64_t min_balance,
		int64_t max_balance, int64_t settle_threshold) ILP_CHECK_RESULT;

/* Changes the limits of an open slot; balance and reservations stay. */
int ledger_set_limits(struct ledger *l, size_t i, int64_t min_balance,
		      int64_t max_balance, int64_t settle_threshold) ILP_CHECK_RESULT;

/* Reserve an incoming (from peer i) or outgoing (to peer i) amount.
 * ILP_ERR_RANGE when the limit would be passed (the connector answers T04). */
int ledger_reserve_in(struct ledger *l, size_t i, uint64_t amount) ILP_CHECK_RESULT;
int ledger_reserve_out(struct ledger *l, size_t i, uint64_t amount) ILP_CHECK_RESULT;

/* Commit (Fulfill) or release (Reject, expiry) an earlier reservation of
 * exactly this amount. Passing an amount that was not reserved is our bug. */
void ledger_commit_in(struct ledger *l, size_t i, uint64_t amount);
void ledger_commit_out(struct ledger *l, size_t i, uint64_t amount);
void ledger_release_in(struct ledger *l, size_t i, uint64_t amount);
void ledger_release_out(struct ledger *l, size_t i, uint64_t amount);

/* Records a settlement: the peer paid us `amount` outside ILP (positive), or
 * we paid the peer (negative). ILP_ERR_RANGE on overflow. */
int ledger_settle(struct ledger *l, size_t i, int64_t amount) ILP_CHECK_RESULT;

/* True if slot i's balance has reached its settle threshold from below
 * (the peer owes us at least that). Not the settlement rule: ilpd settles
 * when IT owes, i.e. when the balance falls below settle_threshold
 * (ilp/settle.h, settle_due). Kept for the ledger's own tests. */
bool ledger_settle_due(const struct ledger *l, size_t i);

/* Checks the invariants above for every used slot; returns ILP_OK or
 * ILP_ERR_INVALID and the first failing slot in *bad_slot (may be NULL). */
int ledger_check(const struct ledger *l, size_t *bad_slot) ILP_CHECK_RESULT;

/* Writes a byte-order-independent image (big-endian fields, version header)
 * of the whole ledger into buf (LEDGER_SNAPSHOT_SIZE bytes), and reads one
 * back. Restore refuses a wrong version, size or reserved bits. */
void ledger_snapshot(const struct ledger *l, uint8_t buf[LEDGER_SNAPSHOT_SIZE]);
int ledger_restore(struct ledger *l, const uint8_t *buf, size_t len) ILP_CHECK_RESULT;

#endif /* ILP_LEDGER_H */
