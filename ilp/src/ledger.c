/*
 * ledger.c - fixed-slot per-peer balance ledger (see ledger.h).
 *
 * IMPLEMENTATION NOTES
 * Every sum is checked with __builtin_add_overflow/__builtin_sub_overflow.
 * Invariants of a used slot (ledger_slot_check):
 *   I1 flags hold only known bits, reserved == 0;
 *   I2 min_balance <= 0 <= max_balance;
 *   I3 pending_in, pending_out <= INT64_MAX;
 *   I4 balance + pending_in and balance - pending_out fit in int64, so any
 *      commit is representable;
 *   I5 balance + pending_in <= max_balance and balance - pending_out >=
 *      min_balance, unless LEDGER_SLOT_EXEMPT is set.
 * An unused slot is all zero. Reservations keep I3..I5 by refusing; commits
 * and releases keep them because they only move reserved amounts (a commit
 * leaves one of the two sums in I4/I5 unchanged and moves the other toward
 * balance). ledger_set_limits() may lower a limit past the current state
 * (ledger.h allows it) and ledger_settle() records money that really moved,
 * so both set LEDGER_SLOT_EXEMPT when they leave I5 false; any operation
 * that finds I5 true again clears it. Reservations are refused by the
 * numbers, never by the flag.
 *
 * Commit or release of more than is reserved is a bug in the caller (the
 * switch). There is no assert facility yet (ILPD_ASSERT/hal_panic), so the
 * amount is clamped to what is reserved: the ledger stays consistent and
 * ledger_check() still passes; the switch's own check (sum of pending
 * entries == pending_in/out) is what detects the mismatch.
 * TODO: ILPD_ASSERT here once it exists.
 */
#include "ilp/ledger.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(sizeof(struct ledger_slot) == LEDGER_SLOT_SIZE,
	       "ledger_slot must be exactly 64 bytes with no padding");
_Static_assert(ILPD_MAX_PEERS <= 0xFFFF,
	       "the snapshot header stores the slot count in 16 bits");

/* Slot is outside a limit that configuration or a settlement moved; only
 * new reservations are refused (see IMPLEMENTATION NOTES). Persisted. */
#define LEDGER_SLOT_KNOWN (LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT)

static const uint8_t ledger_magic[4] = { 'I', 'L', 'D', 'G' };

static struct ledger_slot *ledger_used(struct ledger *l, size_t i)
{
	if (l == NULL || i >= ILPD_MAX_PEERS ||
	    (l->slot[i].flags & LEDGER_SLOT_USED) == 0)
		return NULL;
	return &l->slot[i];
}

static bool ledger_limits_ok(int64_t min_balance, int64_t max_balance)
{
	return min_balance <= 0 && max_balance >= 0;
}

/* I5 for a slot that satisfies I3 and I4. */
static bool ledger_within_limits(const struct ledger_slot *s)
{
	return s->balance + (int64_t)s->pending_in <= s->max_balance &&
	       s->balance - (int64_t)s->pending_out >= s->min_balance;
}

/* Sets or clears LEDGER_SLOT_EXEMPT after set_limits or settle. */
static void ledger_mark(struct ledger_slot *s)
{
	if (ledger_within_limits(s))
		s->flags &= ~LEDGER_SLOT_EXEMPT;
	else
		s->flags |= LEDGER_SLOT_EXEMPT;
}

/* Clears LEDGER_SLOT_EXEMPT once I5 holds again; never sets it. */
static void ledger_unmark(struct ledger_slot *s)
{
	if (ledger_within_limits(s))
		s->flags &= ~LEDGER_SLOT_EXEMPT;
}

/* I1..I5 for one slot. */
static bool ledger_slot_check(const struct ledger_slot *s)
{
	static const struct ledger_slot zero;
	int64_t t;

	if ((s->flags & ~LEDGER_SLOT_KNOWN) != 0 || s->reserved != 0)
		return false;
	if ((s->flags & LEDGER_SLOT_USED) == 0)
		return memcmp(s, &zero, sizeof(*s)) == 0;
	if (!ledger_limits_ok(s->min_balance, s->max_balance))
		return false;
	if (s->pending_in > INT64_MAX || s->pending_out > INT64_MAX)
		return false;
	if (__builtin_add_overflow(s->balance, (int64_t)s->pending_in, &t) ||
	    __builtin_sub_overflow(s->balance, (int64_t)s->pending_out, &t))
		return false;
	return (s->flags & LEDGER_SLOT_EXEMPT) != 0 || ledger_within_limits(s);
}

void ledger_init(struct ledger *l)
{
	memset(l, 0, sizeof(*l));
}

int ledger_open(struct ledger *l, size_t i, int64_t min_balance,
		int64_t max_balance, int64_t settle_threshold)
{
	struct ledger_slot *s;

	if (l == NULL || i >= ILPD_MAX_PEERS ||
	    !ledger_limits_ok(min_balance, max_balance))
		return ILP_ERR_ARG;
	s = &l->slot[i];
	memset(s, 0, sizeof(*s));
	s->min_balance = min_balance;
	s->max_balance = max_balance;
	s->settle_threshold = settle_threshold;
	s->flags = LEDGER_SLOT_USED;
	return ILP_OK;
}

int ledger_set_limits(struct ledger *l, size_t i, int64_t min_balance,
		      int64_t max_balance, int64_t settle_threshold)
{
	struct ledger_slot *s = ledger_used(l, i);

	if (s == NULL || !ledger_limits_ok(min_balance, max_balance))
		return ILP_ERR_ARG;
	s->min_balance = min_balance;
	s->max_balance = max_balance;
	s->settle_threshold = settle_threshold;
	ledger_mark(s);
	return ILP_OK;
}

/* *pending + amount as a new reservation total, or false past INT64_MAX. */
static bool ledger_grow(uint64_t pending, uint64_t amount, int64_t *total)
{
	if (amount > INT64_MAX || pending > INT64_MAX ||
	    amount > INT64_MAX - pending)
		return false;
	*total = (int64_t)(pending + amount);
	return true;
}

int ledger_reserve_in(struct ledger *l, size_t i, uint64_t amount)
{
	struct ledger_slot *s = ledger_used(l, i);
	int64_t total, top;

	if (s == NULL)
		return ILP_ERR_ARG;
	if (!ledger_grow(s->pending_in, amount, &total) ||
	    __builtin_add_overflow(s->balance, total, &top) ||
	    top > s->max_balance)
		return ILP_ERR_RANGE;
	s->pending_in = (uint64_t)total;
	ledger_unmark(s);
	return ILP_OK;
}

int ledger_reserve_out(struct ledger *l, size_t i, uint64_t amount)
{
	struct ledger_slot *s = ledger_used(l, i);
	int64_t total, bottom;

	if (s == NULL)
		return ILP_ERR_ARG;
	if (!ledger_grow(s->pending_out, amount, &total) ||
	    __builtin_sub_overflow(s->balance, total, &bottom) ||
	    bottom < s->min_balance)
		return ILP_ERR_RANGE;
	s->pending_out = (uint64_t)total;
	ledger_unmark(s);
	return ILP_OK;
}

/* Clamps a commit/release amount to what is reserved (our bug otherwise;
 * see IMPLEMENTATION NOTES). */
static uint64_t ledger_clamp(uint64_t amount, uint64_t reserved)
{
	return amount > reserved ? reserved : amount;
}

static void ledger_count(struct ledger_slot *s)
{
	if (s->fulfilled_count != UINT64_MAX)
		s->fulfilled_count++;
}

void ledger_commit_in(struct ledger *l, size_t i, uint64_t amount)
{
	struct ledger_slot *s = ledger_used(l, i);

	if (s == NULL)
		return;
	amount = ledger_clamp(amount, s->pending_in);
	/* I4: balance + pending_in fits, and amount <= pending_in. */
	s->pending_in -= amount;
	s->balance += (int64_t)amount;
	ledger_count(s);
	ledger_unmark(s);
}

void ledger_commit_out(struct ledger *l, size_t i, uint64_t amount)
{
	struct ledger_slot *s = ledger_used(l, i);

	if (s == NULL)
		return;
	amount = ledger_clamp(amount, s->pending_out);
	/* I4: balance - pending_out fits, and amount <= pending_out. */
	s->pending_out -= amount;
	s->balance -= (int64_t)amount;
	ledger_count(s);
	ledger_unmark(s);
}

void ledger_release_in(struct ledger *l, size_t i, uint64_t amount)
{
	struct ledger_slot *s = ledger_used(l, i);

	if (s == NULL)
		return;
	s->pending_in -= ledger_clamp(amount, s->pending_in);
	ledger_unmark(s);
}

void ledger_release_out(struct ledger *l, size_t i, uint64_t amount)
{
	struct ledger_slot *s = ledger_used(l, i);

	if (s == NULL)
		return;
	s->pending_out -= ledger_clamp(amount, s->pending_out);
	ledger_unmark(s);
}

/* balance -= amount, refused (ILP_ERR_RANGE, nothing changed) if the new
 * balance or its sums with the reservations (I4) leave int64. */
int ledger_settle(struct ledger *l, size_t i, int64_t amount)
{
	struct ledger_slot *s = ledger_used(l, i);
	int64_t b, t;

	if (s == NULL)
		return ILP_ERR_ARG;
	if (__builtin_sub_overflow(s->balance, amount, &b) ||
	    __builtin_add_overflow(b, (int64_t)s->pending_in, &t) ||
	    __builtin_sub_overflow(b, (int64_t)s->pending_out, &t))
		return ILP_ERR_RANGE;
	s->balance = b;
	ledger_mark(s);
	return ILP_OK;
}

bool ledger_settle_due(const struct ledger *l, size_t i)
{
	const struct ledger_slot *s;

	if (l == NULL || i >= ILPD_MAX_PEERS)
		return false;
	s = &l->slot[i];
	return (s->flags & LEDGER_SLOT_USED) != 0 &&
	       s->balance >= s->settle_threshold;
}

int ledger_check(const struct ledger *l, size_t *bad_slot)
{
	size_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if (!ledger_slot_check(&l->slot[i])) {
			if (bad_slot != NULL)
				*bad_slot = i;
			return ILP_ERR_INVALID;
		}
	}
	return ILP_OK;
}

/* ---- snapshot ----------------------------------------------------------- */

static void ledger_put64(uint8_t *p, uint64_t v)
{
	int k;

	for (k = 7; k >= 0; k--) {
		p[k] = (uint8_t)v;
		v >>= 8;
	}
}

static void ledger_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint64_t ledger_get64(const uint8_t *p)
{
	uint64_t v = 0;
	int k;

	for (k = 0; k < 8; k++)
		v = (v << 8) | p[k];
	return v;
}

static uint32_t ledger_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Two's complement, without implementation-defined conversions. */
static uint64_t ledger_from_i64(int64_t v)
{
	return v < 0 ? ~(uint64_t)(-(v + 1)) : (uint64_t)v;
}

static int64_t ledger_to_i64(uint64_t u)
{
	return u > INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
}

static void ledger_put_slot(uint8_t *p, const struct ledger_slot *s)
{
	ledger_put64(p + 0, ledger_from_i64(s->balance));
	ledger_put64(p + 8, s->pending_in);
	ledger_put64(p + 16, s->pending_out);
	ledger_put64(p + 24, ledger_from_i64(s->min_balance));
	ledger_put64(p + 32, ledger_from_i64(s->max_balance));
	ledger_put64(p + 40, ledger_from_i64(s->settle_threshold));
	ledger_put64(p + 48, s->fulfilled_count);
	ledger_put32(p + 56, s->flags);
	ledger_put32(p + 60, s->reserved);
}

static void ledger_get_slot(const uint8_t *p, struct ledger_slot *s)
{
	s->balance = ledger_to_i64(ledger_get64(p + 0));
	s->pending_in = ledger_get64(p + 8);
	s->pending_out = ledger_get64(p + 16);
	s->min_balance = ledger_to_i64(ledger_get64(p + 24));
	s->max_balance = ledger_to_i64(ledger_get64(p + 32));
	s->settle_threshold = ledger_to_i64(ledger_get64(p + 40));
	s->fulfilled_count = ledger_get64(p + 48);
	s->flags = ledger_get32(p + 56);
	s->reserved = ledger_get32(p + 60);
}

void ledger_snapshot(const struct ledger *l, uint8_t buf[LEDGER_SNAPSHOT_SIZE])
{
	size_t i;

	memcpy(buf, ledger_magic, sizeof(ledger_magic));
	buf[4] = LEDGER_SNAPSHOT_VERSION;
	buf[5] = 0;
	buf[6] = (uint8_t)((unsigned)ILPD_MAX_PEERS >> 8);
	buf[7] = (uint8_t)ILPD_MAX_PEERS;
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		ledger_put_slot(buf + 8 + i * LEDGER_SLOT_SIZE, &l->slot[i]);
}

/* Validates the whole image first, one slot at a time on the stack, and
 * writes the target only when every slot passed: a refused image leaves the
 * ledger untouched. */
int ledger_restore(struct ledger *l, const uint8_t *buf, size_t len)
{
	struct ledger_slot s;
	size_t i;

	if (l == NULL || buf == NULL || len != LEDGER_SNAPSHOT_SIZE)
		return ILP_ERR_INVALID;
	if (memcmp(buf, ledger_magic, sizeof(ledger_magic)) != 0 ||
	    buf[4] != LEDGER_SNAPSHOT_VERSION || buf[5] != 0 ||
	    ((unsigned)buf[6] << 8 | buf[7]) != ILPD_MAX_PEERS)
		return ILP_ERR_INVALID;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		ledger_get_slot(buf + 8 + i * LEDGER_SLOT_SIZE, &s);
		if (!ledger_slot_check(&s))
			return ILP_ERR_INVALID;
	}
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		ledger_get_slot(buf + 8 + i * LEDGER_SLOT_SIZE, &l->slot[i]);
	return ILP_OK;
}
