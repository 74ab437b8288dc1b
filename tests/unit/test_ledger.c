/*
 * test_ledger.c - every ledger operation at its exact limits, int64
 * extremes, misuse clamping, settlement, ledger_check() after every step,
 * and the snapshot image: known bytes, round trip, and each corruption
 * refused with the target left untouched.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ilp/ledger.h"
#include "th.h"

static struct ledger L, L2;
static uint8_t snap[LEDGER_SNAPSHOT_SIZE], snap2[LEDGER_SNAPSHOT_SIZE];

#define LAST (ILPD_MAX_PEERS - 1)
#define I64MAX_U ((uint64_t)INT64_MAX)

/* ledger_check() must pass after every step. */
#define OK_STATE(l)                                                          \
	do {                                                                 \
		size_t bad_ = 9999;                                          \
		CHECK_EQ(ledger_check((l), &bad_), ILP_OK);                  \
		CHECK_EQ(bad_, 9999);                                        \
	} while (0)

/* ledger_check() must fail on slot `i`. */
#define BAD_STATE(l, i)                                                      \
	do {                                                                 \
		size_t bad_ = 9999;                                          \
		CHECK_EQ(ledger_check((l), &bad_), ILP_ERR_INVALID);         \
		CHECK_EQ(bad_, (i));                                         \
	} while (0)

static void test_init_and_unused(void)
{
	ledger_init(&L);
	OK_STATE(&L);
	CHECK_EQ(ledger_reserve_in(&L, 0, 1), ILP_ERR_ARG);
	CHECK_EQ(ledger_reserve_out(&L, 0, 1), ILP_ERR_ARG);
	CHECK_EQ(ledger_settle(&L, 0, 1), ILP_ERR_ARG);
	CHECK_EQ(ledger_set_limits(&L, 0, 0, 0, 0), ILP_ERR_ARG);
	CHECK(!ledger_settle_due(&L, 0));
	/* Misuse on an unused slot changes nothing. */
	ledger_commit_in(&L, 0, 5);
	ledger_commit_out(&L, 0, 5);
	ledger_release_in(&L, 0, 5);
	ledger_release_out(&L, 0, 5);
	ledger_commit_in(&L, ILPD_MAX_PEERS, 5);
	OK_STATE(&L);
	CHECK_EQ(ledger_reserve_in(&L, ILPD_MAX_PEERS, 1), ILP_ERR_ARG);
	CHECK_EQ(ledger_open(&L, ILPD_MAX_PEERS, 0, 0, 0), ILP_ERR_ARG);
	CHECK(!ledger_settle_due(&L, ILPD_MAX_PEERS));
}

static void test_open_args(void)
{
	ledger_init(&L);
	CHECK_EQ(ledger_open(&L, 0, 1, 10, 0), ILP_ERR_ARG);   /* min > 0 */
	CHECK_EQ(ledger_open(&L, 0, -1, -1, 0), ILP_ERR_ARG);  /* max < 0 */
	OK_STATE(&L);
	CHECK_EQ(ledger_open(&L, 0, 0, 0, 0), ILP_OK);
	CHECK_EQ(ledger_open(&L, LAST, INT64_MIN, INT64_MAX, INT64_MAX),
		 ILP_OK);
	OK_STATE(&L);
	/* Zero limits: only zero amounts fit. */
	CHECK_EQ(ledger_reserve_in(&L, 0, 0), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 0, 1), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_out(&L, 0, 0), ILP_OK);
	CHECK_EQ(ledger_reserve_out(&L, 0, 1), ILP_ERR_RANGE);
	OK_STATE(&L);
	/* Re-opening resets the slot. */
	CHECK_EQ(ledger_open(&L, 0, -5, 5, 5), ILP_OK);
	CHECK_EQ(L.slot[0].balance, 0);
	CHECK_EQ_U64(L.slot[0].fulfilled_count, 0);
	OK_STATE(&L);
}

static void test_reserve_in_boundary(void)
{
	ledger_init(&L);
	CHECK_EQ(ledger_open(&L, 1, -100, 1000, 1000), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 1, 1000), ILP_OK);
	OK_STATE(&L);
	CHECK_EQ(ledger_reserve_in(&L, 1, 1), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_in(&L, 1, 0), ILP_OK);
	CHECK_EQ_U64(L.slot[1].pending_in, 1000);
	ledger_release_in(&L, 1, 400);
	OK_STATE(&L);
	CHECK_EQ_U64(L.slot[1].pending_in, 600);
	ledger_commit_in(&L, 1, 600);
	OK_STATE(&L);
	CHECK_EQ(L.slot[1].balance, 600);
	CHECK_EQ_U64(L.slot[1].pending_in, 0);
	CHECK_EQ(ledger_reserve_in(&L, 1, 401), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_in(&L, 1, 400), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 1, 1), ILP_ERR_RANGE);
	CHECK_EQ_U64(L.slot[1].pending_in, 400);
	OK_STATE(&L);
	/* Outgoing reservations are independent of incoming ones. */
	CHECK_EQ(ledger_reserve_out(&L, 1, 700), ILP_OK);
	CHECK_EQ(ledger_reserve_out(&L, 1, 1), ILP_ERR_RANGE);
	OK_STATE(&L);
	CHECK(ledger_settle_due(&L, 1) == false);
	ledger_commit_in(&L, 1, 400);
	CHECK(ledger_settle_due(&L, 1));
	OK_STATE(&L);
}

static void test_reserve_out_boundary(void)
{
	ledger_init(&L);
	CHECK_EQ(ledger_open(&L, 2, -100, 50, 10), ILP_OK);
	CHECK_EQ(ledger_reserve_out(&L, 2, 101), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_out(&L, 2, 100), ILP_OK);
	CHECK_EQ(ledger_reserve_out(&L, 2, 1), ILP_ERR_RANGE);
	OK_STATE(&L);
	ledger_commit_out(&L, 2, 60);
	OK_STATE(&L);
	CHECK_EQ(L.slot[2].balance, -60);
	CHECK_EQ_U64(L.slot[2].pending_out, 40);
	ledger_commit_out(&L, 2, 40);
	CHECK_EQ(L.slot[2].balance, -100);
	CHECK_EQ(ledger_reserve_out(&L, 2, 1), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_out(&L, 2, 0), ILP_OK);
	/* Incoming now has max - balance = 150 of room. */
	CHECK_EQ(ledger_reserve_in(&L, 2, 151), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_in(&L, 2, 150), ILP_OK);
	OK_STATE(&L);
	CHECK_EQ_U64(L.slot[2].fulfilled_count, 2);
}

static void test_amount_above_int64(void)
{
	ledger_init(&L);
	CHECK_EQ(ledger_open(&L, 0, INT64_MIN, INT64_MAX, INT64_MAX), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 0, I64MAX_U + 1), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_in(&L, 0, UINT64_MAX), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_out(&L, 0, I64MAX_U + 1), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_out(&L, 0, UINT64_MAX), ILP_ERR_RANGE);
	CHECK_EQ_U64(L.slot[0].pending_in, 0);
	CHECK_EQ_U64(L.slot[0].pending_out, 0);
	OK_STATE(&L);
}

static void test_int64_extremes_in(void)
{
	ledger_init(&L);
	CHECK_EQ(ledger_open(&L, 0, INT64_MIN, INT64_MAX, INT64_MAX), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 0, I64MAX_U), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 0, 1), ILP_ERR_RANGE);
	OK_STATE(&L);
	ledger_commit_in(&L, 0, I64MAX_U);
	CHECK_EQ(L.slot[0].balance, INT64_MAX);
	CHECK(ledger_settle_due(&L, 0));
	OK_STATE(&L);
	CHECK_EQ(ledger_reserve_in(&L, 0, 0), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 0, 1), ILP_ERR_RANGE);
	/* Outgoing from INT64_MAX all the way down. */
	CHECK_EQ(ledger_reserve_out(&L, 0, I64MAX_U), ILP_OK);
	CHECK_EQ(ledger_reserve_out(&L, 0, 1), ILP_ERR_RANGE); /* pending */
	ledger_commit_out(&L, 0, I64MAX_U);
	CHECK_EQ(L.slot[0].balance, 0);
	OK_STATE(&L);
	CHECK_EQ(ledger_reserve_out(&L, 0, I64MAX_U), ILP_OK);
	ledger_commit_out(&L, 0, I64MAX_U);
	CHECK_EQ(L.slot[0].balance, -INT64_MAX);
	CHECK_EQ(ledger_reserve_out(&L, 0, 2), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_out(&L, 0, 1), ILP_OK);
	ledger_commit_out(&L, 0, 1);
	CHECK_EQ(L.slot[0].balance, INT64_MIN);
	CHECK_EQ(ledger_reserve_out(&L, 0, 1), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_out(&L, 0, 0), ILP_OK);
	OK_STATE(&L);
	/* From INT64_MIN, incoming room is the whole positive range. */
	CHECK_EQ(ledger_reserve_in(&L, 0, I64MAX_U), ILP_OK);
	ledger_commit_in(&L, 0, I64MAX_U);
	CHECK_EQ(L.slot[0].balance, -1);
	CHECK_EQ_U64(L.slot[0].fulfilled_count, 5);
	OK_STATE(&L);
}

static void test_misuse_clamped(void)
{
	ledger_init(&L);
	CHECK_EQ(ledger_open(&L, 3, -1000, 1000, 1000), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 3, 100), ILP_OK);
	ledger_commit_in(&L, 3, 150);   /* more than reserved: our bug */
	CHECK_EQ(L.slot[3].balance, 100);
	CHECK_EQ_U64(L.slot[3].pending_in, 0);
	OK_STATE(&L);
	ledger_commit_in(&L, 3, 5);     /* nothing reserved */
	CHECK_EQ(L.slot[3].balance, 100);
	OK_STATE(&L);
	CHECK_EQ(ledger_reserve_out(&L, 3, 30), ILP_OK);
	ledger_release_out(&L, 3, 31);
	CHECK_EQ_U64(L.slot[3].pending_out, 0);
	CHECK_EQ(ledger_reserve_out(&L, 3, 30), ILP_OK);
	ledger_commit_out(&L, 3, UINT64_MAX);
	CHECK_EQ(L.slot[3].balance, 70);
	CHECK_EQ_U64(L.slot[3].pending_out, 0);
	ledger_release_in(&L, 3, UINT64_MAX);
	CHECK_EQ_U64(L.slot[3].pending_in, 0);
	OK_STATE(&L);
	/* Commits count (even clamped ones), releases do not. */
	CHECK_EQ_U64(L.slot[3].fulfilled_count, 3);
}

static void test_settle(void)
{
	ledger_init(&L);
	CHECK_EQ(ledger_open(&L, 4, -1000, 1000, 500), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 4, 500), ILP_OK);
	ledger_commit_in(&L, 4, 500);
	CHECK(ledger_settle_due(&L, 4));
	CHECK_EQ(ledger_settle(&L, 4, 1), ILP_OK);      /* peer paid us */
	CHECK_EQ(L.slot[4].balance, 499);
	CHECK(!ledger_settle_due(&L, 4));
	CHECK_EQ(ledger_settle(&L, 4, -1), ILP_OK);     /* we paid peer */
	CHECK_EQ(L.slot[4].balance, 500);
	CHECK_EQ(ledger_settle(&L, 4, 0), ILP_OK);
	CHECK_EQ(L.slot[4].balance, 500);
	OK_STATE(&L);
	/* Overflow refused, nothing changed. */
	CHECK_EQ(ledger_settle(&L, 4, INT64_MIN), ILP_ERR_RANGE);
	CHECK_EQ(ledger_settle(&L, 4, -INT64_MAX), ILP_ERR_RANGE);
	CHECK_EQ(L.slot[4].balance, 500);
	CHECK_EQ(ledger_settle(&L, 4, 500), ILP_OK);
	CHECK_EQ(ledger_settle(&L, 4, INT64_MIN), ILP_ERR_RANGE);
	CHECK_EQ(ledger_settle(&L, 4, -INT64_MAX), ILP_OK);
	CHECK_EQ(L.slot[4].balance, INT64_MAX);
	CHECK_EQ(ledger_settle(&L, 4, -1), ILP_ERR_RANGE);
	OK_STATE(&L);
	CHECK_EQ(ledger_settle(&L, 4, INT64_MAX), ILP_OK);
	CHECK_EQ(L.slot[4].balance, 0);
	/* A settlement that would make balance +- reservations leave int64 is
	 * refused (I4). */
	CHECK_EQ(ledger_reserve_in(&L, 4, 10), ILP_OK);
	CHECK_EQ(ledger_settle(&L, 4, -INT64_MAX), ILP_ERR_RANGE);
	CHECK_EQ(ledger_settle(&L, 4, -(INT64_MAX - 10)), ILP_OK);
	OK_STATE(&L);
	CHECK_EQ(ledger_reserve_in(&L, 4, 0), ILP_ERR_RANGE); /* over max */
	ledger_commit_in(&L, 4, 10);
	CHECK_EQ(L.slot[4].balance, INT64_MAX);
	OK_STATE(&L);
	/* The same on the outgoing side: balance - pending_out must fit. */
	CHECK_EQ(ledger_open(&L, 4, INT64_MIN, 0, 0), ILP_OK);
	CHECK_EQ(ledger_reserve_out(&L, 4, I64MAX_U), ILP_OK);
	CHECK_EQ(ledger_settle(&L, 4, 2), ILP_ERR_RANGE);
	CHECK_EQ(L.slot[4].balance, 0);
	CHECK_EQ(ledger_settle(&L, 4, 1), ILP_OK);
	CHECK_EQ(L.slot[4].balance, -1);
	OK_STATE(&L);
}

/* Flags word of slot i in a fresh snapshot. */
static uint32_t snap_flags(const struct ledger *l, size_t i)
{
	const uint8_t *p;

	ledger_snapshot(l, snap2);
	p = snap2 + 8 + i * LEDGER_SLOT_SIZE + 56;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void test_limits_lowered(void)
{
	ledger_init(&L);
	CHECK_EQ(ledger_open(&L, 5, -1000, 1000, 1000), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L, 5, 800), ILP_OK);
	ledger_commit_in(&L, 5, 800);
	CHECK_EQ(ledger_reserve_in(&L, 5, 100), ILP_OK);
	CHECK_EQ(ledger_reserve_out(&L, 5, 100), ILP_OK);
	CHECK_EQ(snap_flags(&L, 5), LEDGER_SLOT_USED);
	CHECK_EQ(ledger_set_limits(&L, 5, -10, 500, 400), ILP_OK);
	CHECK(snap_flags(&L, 5) != LEDGER_SLOT_USED);  /* exempt marked */
	OK_STATE(&L);
	CHECK_EQ(L.slot[5].balance, 800);
	CHECK_EQ(L.slot[5].max_balance, 500);
	CHECK_EQ(ledger_reserve_in(&L, 5, 0), ILP_ERR_RANGE);
	/* Outgoing still fits down to the new min: 800 - (100 + 710) = -10. */
	CHECK_EQ(ledger_reserve_out(&L, 5, 711), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_out(&L, 5, 710), ILP_OK);
	ledger_commit_in(&L, 5, 100);   /* reservations made earlier resolve */
	OK_STATE(&L);
	CHECK_EQ(L.slot[5].balance, 900);
	ledger_commit_out(&L, 5, 810);
	CHECK_EQ(L.slot[5].balance, 90);
	/* Back inside the limits: the mark is gone and checks are strict. */
	CHECK_EQ(snap_flags(&L, 5), LEDGER_SLOT_USED);
	OK_STATE(&L);
	L.slot[5].balance = 501;
	BAD_STATE(&L, 5);
	L.slot[5].balance = 90;
	CHECK_EQ(ledger_set_limits(&L, 5, 1, 500, 0), ILP_ERR_ARG);
	CHECK_EQ(ledger_set_limits(&L, 5, 0, -1, 0), ILP_ERR_ARG);
	CHECK_EQ(ledger_set_limits(&L, 6, 0, 0, 0), ILP_ERR_ARG); /* unused */
	CHECK_EQ(ledger_set_limits(&L, ILPD_MAX_PEERS, 0, 0, 0), ILP_ERR_ARG);
	/* A settlement past a limit is recorded and marked. */
	CHECK_EQ(ledger_settle(&L, 5, -1000), ILP_OK);
	CHECK_EQ(L.slot[5].balance, 1090);
	CHECK(snap_flags(&L, 5) != LEDGER_SLOT_USED);
	OK_STATE(&L);
	CHECK_EQ(ledger_settle(&L, 5, 1000), ILP_OK);
	CHECK_EQ(snap_flags(&L, 5), LEDGER_SLOT_USED);
	OK_STATE(&L);
}

static void test_check_detects(void)
{
	ledger_init(&L);
	CHECK_EQ(ledger_open(&L, 1, -100, 100, 100), ILP_OK);
	OK_STATE(&L);
	L.slot[1].pending_in = I64MAX_U + 1;
	BAD_STATE(&L, 1);
	L.slot[1].pending_in = 0;
	L.slot[1].pending_out = UINT64_MAX;
	BAD_STATE(&L, 1);
	L.slot[1].pending_out = 0;
	L.slot[1].min_balance = 1;
	BAD_STATE(&L, 1);
	L.slot[1].min_balance = -100;
	L.slot[1].max_balance = -1;
	BAD_STATE(&L, 1);
	L.slot[1].max_balance = 100;
	L.slot[1].flags |= 0x80000000u;
	BAD_STATE(&L, 1);
	L.slot[1].flags = LEDGER_SLOT_USED;
	L.slot[1].reserved = 1;
	BAD_STATE(&L, 1);
	L.slot[1].reserved = 0;
	L.slot[1].balance = 90;
	L.slot[1].pending_in = 11;
	BAD_STATE(&L, 1);
	L.slot[1].pending_in = 10;
	OK_STATE(&L);
	L.slot[1].balance = -90;
	L.slot[1].pending_in = 0;
	L.slot[1].pending_out = 11;
	BAD_STATE(&L, 1);
	L.slot[1].pending_out = 10;
	OK_STATE(&L);
	/* An unused slot must be all zero. */
	L.slot[LAST].balance = 1;
	BAD_STATE(&L, LAST);
	L.slot[LAST].balance = 0;
	L.slot[LAST].fulfilled_count = 1;
	BAD_STATE(&L, LAST);
	L.slot[LAST].fulfilled_count = 0;
	OK_STATE(&L);
	/* The first bad slot is reported. */
	L.slot[0].reserved = 1;
	L.slot[1].reserved = 1;
	BAD_STATE(&L, 0);
	CHECK_EQ(ledger_check(&L, NULL), ILP_ERR_INVALID);
}

/* A small known state (slot 0), plus extremes in the last slot. */
static void build_state(struct ledger *l)
{
	int k;

	ledger_init(l);
	CHECK_EQ(ledger_open(l, 0, -3, 4, 5), ILP_OK);
	CHECK_EQ(ledger_reserve_out(l, 0, 2), ILP_OK);
	ledger_commit_out(l, 0, 2);
	for (k = 0; k < 2; k++) {
		CHECK_EQ(ledger_reserve_in(l, 0, 1), ILP_OK);
		ledger_commit_in(l, 0, 1);
		CHECK_EQ(ledger_reserve_out(l, 0, 1), ILP_OK);
		ledger_commit_out(l, 0, 1);
	}
	CHECK_EQ(ledger_reserve_in(l, 0, 1), ILP_OK);
	CHECK_EQ(ledger_reserve_out(l, 0, 1), ILP_OK);
	CHECK_EQ(ledger_open(l, LAST, INT64_MIN, INT64_MAX, INT64_MIN),
		 ILP_OK);
	CHECK_EQ(ledger_reserve_out(l, LAST, I64MAX_U), ILP_OK);
	ledger_commit_out(l, LAST, I64MAX_U);
	CHECK_EQ(ledger_reserve_out(l, LAST, 1), ILP_OK);
	OK_STATE(l);
}

static const char slot0_hex[] =
	"fffffffffffffffe" "0000000000000001" "0000000000000001"
	"fffffffffffffffd" "0000000000000004" "0000000000000005"
	"0000000000000005" "00000001" "00000000";

static void test_snapshot_bytes(void)
{
	uint8_t want[LEDGER_SLOT_SIZE];
	const uint8_t *last;
	size_t i;

	build_state(&L);
	memset(snap, 0xEE, sizeof(snap));
	ledger_snapshot(&L, snap);
	CHECK_MEM(snap, "ILDG", 4);
	CHECK_EQ(snap[4], LEDGER_SNAPSHOT_VERSION);
	CHECK_EQ(snap[5], 0);
	CHECK_EQ(snap[6], ILPD_MAX_PEERS >> 8);
	CHECK_EQ(snap[7], ILPD_MAX_PEERS & 0xFF);
	CHECK_EQ(th_unhex(slot0_hex, want, sizeof(want)), LEDGER_SLOT_SIZE);
	CHECK_MEM(snap + 8, want, LEDGER_SLOT_SIZE);
	for (i = 8 + LEDGER_SLOT_SIZE; i < 8 + LAST * LEDGER_SLOT_SIZE; i++)
		CHECK(snap[i] == 0);
	last = snap + 8 + LAST * LEDGER_SLOT_SIZE;
	CHECK_MEM(last, "\x80\0\0\0\0\0\0\x01", 8);        /* -INT64_MAX */
	CHECK_MEM(last + 16, "\0\0\0\0\0\0\0\x01", 8);     /* pending_out */
	CHECK_MEM(last + 24, "\x80\0\0\0\0\0\0\0", 8);     /* min */
	CHECK_MEM(last + 32, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8);
}

static void test_snapshot_round_trip(void)
{
	build_state(&L);
	ledger_snapshot(&L, snap);
	memset(&L2, 0x5A, sizeof(L2));
	CHECK_EQ(ledger_restore(&L2, snap, sizeof(snap)), ILP_OK);
	CHECK_MEM(&L2, &L, sizeof(L));
	OK_STATE(&L2);
	/* The restored ledger behaves like the original. */
	CHECK_EQ(ledger_reserve_out(&L2, 0, 1), ILP_ERR_RANGE);
	CHECK_EQ(ledger_reserve_in(&L2, 0, 5), ILP_OK);
	CHECK_EQ(ledger_reserve_in(&L2, 0, 1), ILP_ERR_RANGE);
	ledger_commit_out(&L2, LAST, 1);
	CHECK_EQ(L2.slot[LAST].balance, INT64_MIN);
	/* An image of an empty ledger restores to an empty ledger. */
	ledger_init(&L);
	ledger_snapshot(&L, snap);
	CHECK_EQ(ledger_restore(&L2, snap, sizeof(snap)), ILP_OK);
	CHECK_MEM(&L2, &L, sizeof(L));
}

/* Corrupts one byte of a good image at `off` with `v` and expects refusal
 * with the target unchanged. */
static void expect_refused(size_t off, uint8_t v, int line)
{
	static struct ledger before;
	uint8_t old = snap[off];

	snap[off] = v;
	build_state(&L2);
	before = L2;
	if (ledger_restore(&L2, snap, sizeof(snap)) != ILP_ERR_INVALID)
		th_fail(__FILE__, line, "corruption at %zu accepted", off);
	if (memcmp(&L2, &before, sizeof(before)) != 0)
		th_fail(__FILE__, line, "target changed (offset %zu)", off);
	snap[off] = old;
}

#define SLOT0(field_off) (8 + (field_off))
#define SLOTL(field_off) (8 + LAST * LEDGER_SLOT_SIZE + (field_off))
#define SLOT1(field_off) (8 + LEDGER_SLOT_SIZE + (field_off))

static void test_restore_refuses(void)
{
	build_state(&L);
	ledger_snapshot(&L, snap);
	/* Length. */
	build_state(&L2);
	CHECK_EQ(ledger_restore(&L2, snap, sizeof(snap) - 1), ILP_ERR_INVALID);
	CHECK_EQ(ledger_restore(&L2, snap, sizeof(snap) - LEDGER_SLOT_SIZE), ILP_ERR_INVALID);
	CHECK_EQ(ledger_restore(&L2, snap, 0), ILP_ERR_INVALID);
	CHECK_EQ(ledger_restore(&L2, NULL, sizeof(snap)), ILP_ERR_INVALID);
	CHECK_EQ(ledger_restore(&L2, snap, sizeof(snap)), ILP_OK);
	/* Header. */
	expect_refused(0, 'i', __LINE__);
	expect_refused(3, 'g', __LINE__);
	expect_refused(4, LEDGER_SNAPSHOT_VERSION + 1, __LINE__);
	expect_refused(4, 0, __LINE__);
	expect_refused(5, 1, __LINE__);
	expect_refused(6, (uint8_t)(snap[6] ^ 1), __LINE__);
	expect_refused(7, (uint8_t)(snap[7] + 1), __LINE__);
	expect_refused(7, (uint8_t)(snap[7] - 1), __LINE__);
	/* Slot fields. */
	expect_refused(SLOT0(59), 0x05, __LINE__);    /* unknown flag bit */
	expect_refused(SLOT0(56), 0x80, __LINE__);    /* unknown flag bit */
	expect_refused(SLOT0(63), 0x01, __LINE__);    /* reserved */
	expect_refused(SLOT0(60), 0x80, __LINE__);    /* reserved */
	expect_refused(SLOT0(8), 0x80, __LINE__);     /* pending_in > INT64 */
	expect_refused(SLOT0(16), 0xFF, __LINE__);    /* pending_out > INT64 */
	expect_refused(SLOT0(24), 0x00, __LINE__);    /* min_balance > 0 */
	expect_refused(SLOT0(32), 0xFF, __LINE__);    /* max_balance < 0 */
	expect_refused(SLOT0(15), 0x07, __LINE__);    /* bal + pend_in > max */
	expect_refused(SLOT0(7), 0xFD, __LINE__);     /* bal - pend_out < min */
	expect_refused(SLOT0(59), 0x00, __LINE__);    /* unused, not zero */
	expect_refused(SLOT1(0), 0x01, __LINE__);     /* unused, not zero */
	expect_refused(SLOT1(55), 0x01, __LINE__);    /* unused, not zero */
	/* Last slot: balance - pending_out leaves int64 (I4). */
	expect_refused(SLOTL(23), 0x02, __LINE__);
	/* A marked slot may be outside its limits (still a valid image). */
	snap[SLOT0(15)] = 0x07;
	snap[SLOT0(59)] = 0x03;
	build_state(&L2);
	CHECK_EQ(ledger_restore(&L2, snap, sizeof(snap)), ILP_OK);
	OK_STATE(&L2);
	CHECK_EQ_U64(L2.slot[0].pending_in, 7);
	CHECK_EQ(ledger_reserve_in(&L2, 0, 0), ILP_ERR_RANGE);
}

int main(void)
{
	TH_RUN(test_init_and_unused);
	TH_RUN(test_open_args);
	TH_RUN(test_reserve_in_boundary);
	TH_RUN(test_reserve_out_boundary);
	TH_RUN(test_amount_above_int64);
	TH_RUN(test_int64_extremes_in);
	TH_RUN(test_misuse_clamped);
	TH_RUN(test_settle);
	TH_RUN(test_limits_lowered);
	TH_RUN(test_check_detects);
	TH_RUN(test_snapshot_bytes);
	TH_RUN(test_snapshot_round_trip);
	TH_RUN(test_restore_refuses);
	return th_finish();
}
