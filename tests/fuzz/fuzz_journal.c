/*
 * fuzz_journal.c - libFuzzer target for the durable ledger's on-storage
 * format (ilp/include/ilp/journal.h).
 *
 * Byte 0 selects the mode (low two bits); the rest is the input:
 *   0  a snapshot slot: journal_snapshot_decode over exactly those bytes;
 *   1  raw journal records (64-byte chunks): journal_record_decode of each,
 *      and a replay of them, in order, after a fixed snapshot;
 *   2  structured records: each 24-byte chunk is a record's fields (seq,
 *      gen and durable_seq as deltas from the expected ones, slot, group
 *      end, balance, flags), encoded with a valid CRC, then replayed after
 *      the fixed snapshot - so the fuzzer reaches the replay rules without
 *      having to forge CRCs.
 * The fixed snapshot is tests/unit/fixtures/journal-v1.bin's (slots 0, 3,
 * 7; gen 0x0102030405060708; seq 0xFFFFFFFE; ring position 4090), so the
 * fixture's records are seeds for mode 1.
 *
 * Properties checked (a violation traps):
 *  - every answer is one of the documented codes;
 *  - a decoded snapshot re-encodes to exactly the input's used bytes (the
 *    encoding is canonical: every field is checked), and EMPTY means all
 *    zero; a decoded record re-encodes to exactly its 64 input bytes;
 *  - replay: OK leaves the slot set and names of the snapshot unchanged,
 *    and the next position is consistent (seq and ring position advanced
 *    by the same count, gen kept); CORRUPT and INVALID name a seq.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "ilp/journal.h"
#include "ilp/ledger.h"

#define FUZZ_JOURNAL_MAX_RECORDS 256

static uint8_t snap[JOURNAL_SNAP_BYTES], snap2[JOURNAL_SNAP_BYTES];
static struct journal_image img, img2, base;
static struct journal_replay rp;
static uint8_t rec[JOURNAL_RECORD_SIZE], rec2[JOURNAL_RECORD_SIZE];

static const struct journal_pos base_pos = { 0x0102030405060708ull, 0xFFFFFFFEu, 4090 % JOURNAL_RING_RECORDS,
					     JOURNAL_RING_RECORDS };

static void base_peer(unsigned slot, const char *name, int64_t bal, uint64_t ful)
{
	base.peer[slot].used = true;
	memcpy(base.peer[slot].name, name, strlen(name) + 1);
	base.peer[slot].balance = bal;
	base.peer[slot].fulfilled = ful;
	base.peer[slot].flags = LEDGER_SLOT_USED;
}

static void base_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	memset(&base, 0, sizeof(base));
	base.address_len = 16;
	memcpy(base.address, "g.hjournal.node1", 16);
	base_peer(0, "alice", 1000, 1);
	base_peer(3, "bob_~-", -5, 2);
	base_peer(7, "Carol9", 0, 0);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return false;
	return true;
}

static void fuzz_snapshot(const uint8_t *d, size_t n)
{
	struct journal_pos pos, pos2;
	size_t used;
	int r = journal_snapshot_decode(d, n, &img, &pos);

	FUZZ_CHECK(r == JOURNAL_OK || r == JOURNAL_EMPTY || r == JOURNAL_BAD ||
		   r == JOURNAL_NEWER || r == JOURNAL_GEOMETRY);
	if (r == JOURNAL_EMPTY)
		FUZZ_CHECK(all_zero(d, n));
	if (r != JOURNAL_OK)
		return;
	FUZZ_CHECK(pos.gen >= 1 && pos.ring_pos < pos.ring_records);
	FUZZ_CHECK(img.address_len <= ILPD_ADDRESS_MAX);
	FUZZ_CHECK(journal_snapshot_encode(snap, &img, &pos) == JOURNAL_SNAP_BYTES);
	used = (size_t)snap[12] << 24 | (size_t)snap[13] << 16 | (size_t)snap[14] << 8 | snap[15];
	FUZZ_CHECK(used <= n && used <= JOURNAL_SNAP_BYTES);
	FUZZ_CHECK(memcmp(snap, d, used) == 0);
	FUZZ_CHECK(journal_snapshot_decode(snap, JOURNAL_SNAP_BYTES, &img2, &pos2) == JOURNAL_OK);
	FUZZ_CHECK(pos2.gen == pos.gen && pos2.seq == pos.seq && pos2.ring_pos == pos.ring_pos &&
		   pos2.ring_records == pos.ring_records);
	FUZZ_CHECK(journal_snapshot_encode(snap2, &img2, &pos2) == JOURNAL_SNAP_BYTES);
	FUZZ_CHECK(memcmp(snap, snap2, JOURNAL_SNAP_BYTES) == 0);
}

static void replay_start(void)
{
	img = base;
	journal_replay_begin(&rp, &img, &base_pos);
}

static void replay_finish(void)
{
	struct journal_pos next;
	uint32_t bad = 0, adv;
	size_t i;
	int r = journal_replay_end(&rp, &next, &bad);

	FUZZ_CHECK(r == JOURNAL_OK || r == JOURNAL_CORRUPT || r == JOURNAL_INVALID);
	if (r != JOURNAL_OK)
		return;
	FUZZ_CHECK(next.gen == base_pos.gen);
	adv = next.seq - base_pos.seq;
	FUZZ_CHECK(adv <= rp.fed);
	FUZZ_CHECK(next.ring_pos == (base_pos.ring_pos + adv) % JOURNAL_RING_RECORDS);
	FUZZ_CHECK(img.address_len == base.address_len);
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		FUZZ_CHECK(img.peer[i].used == base.peer[i].used);
		if (base.peer[i].used)
			FUZZ_CHECK(strcmp(img.peer[i].name, base.peer[i].name) == 0);
	}
	if (adv == 0)
		for (i = 0; i < ILPD_MAX_PEERS; i++)
			FUZZ_CHECK(img.peer[i].balance == base.peer[i].balance);
}

static void check_record(const uint8_t *in)
{
	struct journal_record r;
	int d = journal_record_decode(in, &r);

	FUZZ_CHECK(d == JOURNAL_OK || d == JOURNAL_EMPTY || d == JOURNAL_BAD);
	if (d == JOURNAL_EMPTY)
		FUZZ_CHECK(all_zero(in, JOURNAL_RECORD_SIZE));
	if (d != JOURNAL_OK)
		return;
	journal_record_encode(rec2, &r);
	FUZZ_CHECK(memcmp(rec2, in, JOURNAL_RECORD_SIZE) == 0);
}

static void fuzz_raw_records(const uint8_t *d, size_t n)
{
	size_t k;

	replay_start();
	for (k = 0; k + JOURNAL_RECORD_SIZE <= n && k / JOURNAL_RECORD_SIZE < FUZZ_JOURNAL_MAX_RECORDS;
	     k += JOURNAL_RECORD_SIZE) {
		check_record(d + k);
		journal_replay_feed(&rp, d + k);
	}
	replay_finish();
}

/* 24 bytes per record: seq delta (1, signed around the expected seq), gen
 * delta (1), durable delta (2, signed), slot (1), group end (1), flags
 * (1), fulfilled (1), balance (8), 8 bytes ignored. */
#define FUZZ_STRUCT_REC 24

static void fuzz_struct_records(const uint8_t *d, size_t n)
{
	struct journal_record r;
	uint32_t expect = base_pos.seq;
	size_t k;

	replay_start();
	for (k = 0; k + FUZZ_STRUCT_REC <= n && k / FUZZ_STRUCT_REC < FUZZ_JOURNAL_MAX_RECORDS;
	     k += FUZZ_STRUCT_REC) {
		const uint8_t *p = d + k;
		const uint8_t *q = p + 8, *end = p + 16;

		memset(&r, 0, sizeof(r));
		r.seq = expect + (uint32_t)(int32_t)(int8_t)p[0];
		r.gen = (uint32_t)base_pos.gen + (uint32_t)(int32_t)(int8_t)p[1];
		r.durable_seq = expect - 1u + (uint32_t)(int32_t)(int16_t)((uint16_t)p[2] << 8 | p[3]);
		r.slot = p[4];
		r.group_end = (p[5] & 1u) != 0;
		r.flags = p[6] & (LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT);
		r.fulfilled = p[7];
		r.balance = (int64_t)fuzz_take(&q, end, 8);
		journal_record_encode(rec, &r);
		check_record(rec);
		journal_replay_feed(&rp, rec);
		if (p[0] == 0)
			expect++;
	}
	replay_finish();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	base_init();
	if (size < 1)
		return 0;
	switch (data[0] & 3u) {
	case 0:
		fuzz_snapshot(data + 1, size - 1);
		break;
	case 1:
		fuzz_raw_records(data + 1, size - 1);
		break;
	default:
		fuzz_struct_records(data + 1, size - 1);
		break;
	}
	return 0;
}
