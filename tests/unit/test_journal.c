/*
 * test_journal.c - the durable ledger's on-storage format (ilp/journal.h)
 * on an in-memory state area: CRC-32C, encode/decode round trips and every
 * refusal, and recovery after torn writes at every byte of a record group
 * and of a snapshot, lost unsynced suffixes, a bit flip at every bit of the
 * durable range, a crash at every step of a snapshot rotation, ring
 * wrap-around and old-generation records; plus a golden fixture that pins
 * the bytes across architectures (tests/unit/fixtures/journal-v1.bin).
 *
 * The writer below (tw_*) does what firmware/persist.c does: one record per
 * changed slot, the last with group-end, durable_seq = the last synced
 * record; snapshots to the older slot, synced before the journal continues.
 * "Synced" states are the writer's image after each sync; recovery must
 * yield exactly one of them, or refuse.
 *
 * Usage: test_journal                      run the tests
 *        test_journal --write-fixture PATH write the golden fixture
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ilp/journal.h"
#include "ilp/ledger.h"
#include "th.h"

#ifndef JOURNAL_FIXTURE
#error "JOURNAL_FIXTURE (path of tests/unit/fixtures/journal-v1.bin) must be defined"
#endif

static uint8_t area[JOURNAL_AREA_SIZE];
static uint8_t sbuf[JOURNAL_SNAP_BYTES], sbuf2[JOURNAL_SNAP_BYTES];
static struct journal_image rimg, simg[2];
static struct journal_replay rp;
static const uint8_t zero_rec[JOURNAL_RECORD_SIZE];
/* Ring records written since tw_start (the others are all zero). */
static bool touched[JOURNAL_RING_RECORDS];

#define SLOT_OFF(s) ((size_t)(s) * JOURNAL_SNAP_BYTES)

/* ---- image helpers -------------------------------------------------------- */

static void img_peer(struct journal_image *img, unsigned slot, const char *name,
		     int64_t bal, uint64_t ful, uint32_t flags)
{
	struct journal_peer *p = &img->peer[slot];

	p->used = true;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->balance = bal;
	p->fulfilled = ful;
	p->flags = flags;
}

static void img_base(struct journal_image *img)
{
	memset(img, 0, sizeof(*img));
	img->address_len = 13;
	memcpy(img->address, "test.hjournal", 13);
	img_peer(img, 0, "alice", 0, 0, LEDGER_SLOT_USED);
	img_peer(img, 2, "bob", 100, 3, LEDGER_SLOT_USED);
	img_peer(img, 5, "carol_~-9", -7, 1, LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT);
	img_peer(img, ILPD_MAX_PEERS - 1, "last", INT64_MIN, UINT64_MAX, LEDGER_SLOT_USED);
}

static bool img_eq(const struct journal_image *a, const struct journal_image *b)
{
	size_t i;

	if (a->address_len != b->address_len ||
	    memcmp(a->address, b->address, a->address_len) != 0)
		return false;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct journal_peer *p = &a->peer[i], *q = &b->peer[i];

		if (p->used != q->used)
			return false;
		if (p->used && (strcmp(p->name, q->name) != 0 || p->balance != q->balance ||
				p->fulfilled != q->fulfilled || p->flags != q->flags ||
				p->settling != q->settling ||
				(p->settling != 0 && p->settle_key != q->settle_key)))
			return false;
	}
	for (i = 0; i < SETTLE_KEYS; i++) {
		const struct journal_key *k = &a->key[i], *l = &b->key[i];

		if (k->used != l->used)
			return false;
		if (k->used && (k->slot != l->slot || k->scale != l->scale ||
				k->engine_amount != l->engine_amount ||
				memcmp(k->digest, l->digest, SETTLE_DIGEST) != 0))
			return false;
	}
	return true;
}

/* ---- the writer ----------------------------------------------------------- */

struct tw {
	struct journal_pos pos;     /* next record */
	uint32_t durable_seq;       /* last synced record */
	int active;                 /* slot of the newest snapshot */
	uint32_t since_snap;        /* records since the last snapshot */
	struct journal_image img;   /* state after everything written */
};

static struct tw W;

struct chg {
	unsigned slot;
	int64_t bal;
	uint64_t ful;
	uint32_t flags;
};

static void tw_start(const struct journal_image *img, uint64_t gen, uint32_t seq, uint32_t ring_pos)
{
	memset(area, 0, sizeof(area));
	memset(touched, 0, sizeof(touched));
	memset(&W, 0, sizeof(W));
	W.img = *img;
	W.pos.gen = gen;
	W.pos.seq = seq;
	W.pos.ring_pos = ring_pos;
	W.pos.ring_records = JOURNAL_RING_RECORDS;
	W.durable_seq = seq - 1u;
	journal_snapshot_encode(area + SLOT_OFF(0), &W.img, &W.pos);
}

/* The snapshot a rotation writes now, into buf; returns its slot. */
static int tw_snapshot_bytes(uint8_t *buf)
{
	struct journal_pos p = W.pos;

	p.gen++;
	journal_snapshot_encode(buf, &W.img, &p);
	return 1 - W.active;
}

/* Rotation: write the snapshot to the older slot, "sync". */
static void tw_snapshot(void)
{
	int s = tw_snapshot_bytes(sbuf);

	memcpy(area + SLOT_OFF(s), sbuf, JOURNAL_SNAP_BYTES);
	W.active = s;
	W.pos.gen++;
	W.durable_seq = W.pos.seq - 1u;
	W.since_snap = 0;
}

/* Writes one group; with sync its records become durable. Returns the ring
 * index of its first record. */
static uint32_t tw_group(const struct chg *c, size_t n, bool sync)
{
	uint32_t first = W.pos.ring_pos;
	size_t i;

	for (i = 0; i < n; i++) {
		struct journal_record r;

		memset(&r, 0, sizeof(r));
		r.seq = W.pos.seq++;
		r.gen = (uint32_t)W.pos.gen;
		r.durable_seq = W.durable_seq;
		r.slot = (uint16_t)c[i].slot;
		r.group_end = i + 1 == n;
		r.balance = c[i].bal;
		r.fulfilled = c[i].ful;
		r.flags = c[i].flags;
		journal_record_encode(area + journal_ring_offset(W.pos.ring_pos), &r);
		touched[W.pos.ring_pos] = true;
		W.pos.ring_pos = (W.pos.ring_pos + 1u) % JOURNAL_RING_RECORDS;
		W.img.peer[c[i].slot].balance = c[i].bal;
		W.img.peer[c[i].slot].fulfilled = c[i].ful;
		W.img.peer[c[i].slot].flags = c[i].flags;
	}
	W.since_snap += (uint32_t)n;
	if (sync)
		W.durable_seq = W.pos.seq - 1u;
	return first;
}

/* ---- recovery (what persist.c does at start-up) ---------------------------- */

/* The newest valid snapshot, then the ring from its position. With fast,
 * a run of never-written (all-zero) records is fed as one (equivalent:
 * after the live part ended, EMPTY records change nothing; the first one
 * ends it) - it keeps the ~20,000 recoveries fast under qemu. Returns
 * JOURNAL_OK with rimg and *next, or the refusal. */
static int recover_mode(struct journal_pos *next, uint32_t *bad, bool fast)
{
	struct journal_pos sp[2];
	int r[2], s, k;
	uint32_t i;
	bool prev_zero = false;

	for (k = 0; k < 2; k++)
		r[k] = journal_snapshot_decode(area + SLOT_OFF(k), JOURNAL_SNAP_BYTES, &simg[k], &sp[k]);
	if (r[0] == JOURNAL_OK && r[1] == JOURNAL_OK)
		s = sp[1].gen > sp[0].gen ? 1 : 0;
	else if (r[0] == JOURNAL_OK)
		s = 0;
	else if (r[1] == JOURNAL_OK)
		s = 1;
	else if (r[0] == JOURNAL_NEWER || r[1] == JOURNAL_NEWER)
		return JOURNAL_NEWER;
	else if (r[0] == JOURNAL_GEOMETRY || r[1] == JOURNAL_GEOMETRY)
		return JOURNAL_GEOMETRY;
	else
		return r[0] == JOURNAL_EMPTY && r[1] == JOURNAL_EMPTY ? JOURNAL_EMPTY : JOURNAL_BAD;
	if (sp[s].ring_records != JOURNAL_RING_RECORDS)
		return JOURNAL_GEOMETRY;
	rimg = simg[s];
	journal_replay_begin(&rp, &rimg, &sp[s]);
	for (i = 0; i < JOURNAL_RING_RECORDS; i++) {
		uint32_t idx = (sp[s].ring_pos + i) % JOURNAL_RING_RECORDS;
		const uint8_t *rec = area + journal_ring_offset(idx);
		bool z = fast && !touched[idx];

		if (!(z && prev_zero))
			journal_replay_feed(&rp, rec);
		prev_zero = z;
	}
	return journal_replay_end(&rp, next, bad);
}

static int recover(struct journal_pos *next, uint32_t *bad)
{
	return recover_mode(next, bad, false);
}

/* Recovery must give exactly the image want and continue at the writer's
 * position for it (want_pos). */
#define RECOVERS(want, want_pos, fast)                                       \
	do {                                                                 \
		struct journal_pos n_;                                       \
		uint32_t b_ = 0;                                             \
		int rr_ = recover_mode(&n_, &b_, (fast));                    \
		CHECK_EQ(rr_, JOURNAL_OK);                                   \
		if (rr_ == JOURNAL_OK) {                                     \
			CHECK(img_eq(&rimg, (want)));                        \
			CHECK_EQ_U64(n_.gen, (want_pos)->gen);               \
			CHECK_EQ_U64(n_.seq, (want_pos)->seq);               \
			CHECK_EQ_U64(n_.ring_pos, (want_pos)->ring_pos);     \
		}                                                            \
	} while (0)

/* ---- CRC and round trips -------------------------------------------------- */

static void test_crc32c(void)
{
	static const uint8_t z32[32];
	uint8_t ff[32];

	memset(ff, 0xFF, sizeof(ff));
	CHECK_EQ_U64(journal_crc32c(0, "123456789", 9), 0xE3069283u);
	/* RFC 3720 B.4 vectors. */
	CHECK_EQ_U64(journal_crc32c(0, z32, 32), 0x8A9136AAu);
	CHECK_EQ_U64(journal_crc32c(0, ff, 32), 0x62A8AB43u);
	CHECK_EQ_U64(journal_crc32c(0, "", 0), 0);
	/* Incremental. */
	CHECK_EQ_U64(journal_crc32c(journal_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

static void test_snapshot_roundtrip(void)
{
	struct journal_image img, out;
	struct journal_pos pos = { 0x0102030405060708ull, 0xFFFFFFFEu, JOURNAL_RING_RECORDS - 1,
				   JOURNAL_RING_RECORDS }, p2;
	size_t i;

	img_base(&img);
	memset(sbuf, 0xAA, sizeof(sbuf));
	CHECK_EQ(journal_snapshot_encode(sbuf, &img, &pos), JOURNAL_SNAP_BYTES);
	CHECK_MEM(sbuf, "ILPDLDGR", 8);
	/* used = 64 + 13 + 4 * 64 + 4; the tail is zeroed */
	CHECK_EQ((sbuf[12] << 24 | sbuf[13] << 16 | sbuf[14] << 8 | sbuf[15]), 337);
	for (i = 337; i < JOURNAL_SNAP_BYTES; i++)
		if (sbuf[i] != 0)
			break;
	CHECK_EQ(i, JOURNAL_SNAP_BYTES);
	memset(&out, 0x55, sizeof(out));
	CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &out, &p2), JOURNAL_OK);
	CHECK(img_eq(&out, &img));
	CHECK_EQ_U64(p2.gen, pos.gen);
	CHECK_EQ_U64(p2.seq, pos.seq);
	CHECK_EQ_U64(p2.ring_pos, pos.ring_pos);
	CHECK_EQ_U64(p2.ring_records, pos.ring_records);
	CHECK(!out.peer[1].used && !out.peer[3].used);
	/* Exactly the used length is enough; one byte less is not. */
	CHECK_EQ(journal_snapshot_decode(sbuf, 337, &out, &p2), JOURNAL_OK);
	CHECK_EQ(journal_snapshot_decode(sbuf, 336, &out, &p2), JOURNAL_BAD);
	/* No peers, empty address. */
	memset(&img, 0, sizeof(img));
	pos.gen = 1;
	journal_snapshot_encode(sbuf, &img, &pos);
	CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &out, &p2), JOURNAL_OK);
	CHECK(img_eq(&out, &img));
	/* Every slot used, longest names and address. */
	memset(&img, 0, sizeof(img));
	img.address_len = ILPD_ADDRESS_MAX;
	memset(img.address, 'a', ILPD_ADDRESS_MAX);
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		char nm[ILPD_PEER_NAME_MAX + 1];

		memset(nm, 'a' + (int)(i % 26), ILPD_PEER_NAME_MAX);
		nm[ILPD_PEER_NAME_MAX] = '\0';
		nm[0] = (char)('0' + (int)(i / 26));
		img_peer(&img, (unsigned)i, nm, (int64_t)i - 5, i, LEDGER_SLOT_USED);
	}
	journal_snapshot_encode(sbuf, &img, &pos);
	CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &out, &p2), JOURNAL_OK);
	CHECK(img_eq(&out, &img));
}

static void test_record_roundtrip(void)
{
	struct journal_record r, o;
	uint8_t b[JOURNAL_RECORD_SIZE];

	memset(&r, 0, sizeof(r));
	r.seq = 0xFFFFFFFFu;
	r.gen = 0x89ABCDEFu;
	r.durable_seq = 0x12345678u;
	r.slot = ILPD_MAX_PEERS - 1;
	r.group_end = true;
	r.balance = INT64_MIN;
	r.fulfilled = UINT64_MAX;
	r.flags = LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT;
	journal_record_encode(b, &r);
	CHECK_EQ(journal_record_decode(b, &o), JOURNAL_OK);
	CHECK_EQ_U64(o.seq, r.seq);
	CHECK_EQ_U64(o.gen, r.gen);
	CHECK_EQ_U64(o.durable_seq, r.durable_seq);
	CHECK_EQ(o.slot, r.slot);
	CHECK(o.group_end);
	CHECK(o.balance == INT64_MIN);
	CHECK_EQ_U64(o.fulfilled, UINT64_MAX);
	CHECK_EQ(o.flags, r.flags);
	r.group_end = false;
	r.balance = INT64_MAX;
	journal_record_encode(b, &r);
	CHECK_EQ(journal_record_decode(b, &o), JOURNAL_OK);
	CHECK(!o.group_end && o.balance == INT64_MAX);
	r.balance = -1;
	journal_record_encode(b, &r);
	CHECK_EQ(journal_record_decode(b, &o), JOURNAL_OK);
	CHECK(o.balance == -1);
}

/* ---- refusals ------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wbe32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Recomputes a snapshot's CRC after an edit (used length from the header). */
static void snap_refix(uint8_t *b)
{
	uint32_t used = be32(b + 12);

	wbe32(b + used - 4, journal_crc32c(0, b, used - 4));
}

static void rec_refix(uint8_t *b)
{
	wbe32(b, journal_crc32c(0, b + 4, JOURNAL_RECORD_SIZE - 4));
}

/* Encodes the base image into sbuf, applies an edit at off, refixes the
 * CRC when asked, and returns decode's answer. */
static int snap_edit(size_t off, uint8_t val, bool refix)
{
	struct journal_image img;
	struct journal_pos pos = { 7, 100, 3, JOURNAL_RING_RECORDS }, p2;

	img_base(&img);
	journal_snapshot_encode(sbuf, &img, &pos);
	sbuf[off] = val;
	if (refix)
		snap_refix(sbuf);
	return journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2);
}

#define PEER0 (64u + 13u)          /* first peer entry (slot 0, "alice") */
#define PEER1 (PEER0 + 64u)        /* slot 2, "bob" */

static void test_snapshot_refusals(void)
{
	struct journal_image img;
	struct journal_pos pos = { 7, 100, 3, JOURNAL_RING_RECORDS }, p2;
	uint8_t one[1] = { 0 };
	size_t big;

	memset(sbuf, 0, sizeof(sbuf));
	CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2), JOURNAL_EMPTY);
	CHECK_EQ(journal_snapshot_decode(one, 1, &simg[0], &p2), JOURNAL_EMPTY);
	sbuf[JOURNAL_SNAP_BYTES - 1] = 1;
	CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2), JOURNAL_BAD);
	CHECK_EQ(snap_edit(0, 'I', false), JOURNAL_OK);         /* the edit helper */
	CHECK_EQ(snap_edit(0, 'X', true), JOURNAL_BAD);          /* magic */
	CHECK_EQ(snap_edit(9, 3, false), JOURNAL_NEWER);         /* version 3 */
	CHECK_EQ(snap_edit(8, 1, false), JOURNAL_NEWER);         /* version 257 */
	CHECK_EQ(snap_edit(9, 0, true), JOURNAL_BAD);            /* version 0 */
	CHECK_EQ(snap_edit(11, 1, true), JOURNAL_BAD);           /* reserved */
	CHECK_EQ(snap_edit(63, 1, true), JOURNAL_BAD);           /* reserved */
	CHECK_EQ(snap_edit(15, 0, false), JOURNAL_BAD);          /* used length */
	CHECK_EQ(snap_edit(100, 0x5A, false), JOURNAL_BAD);      /* CRC */
	CHECK_EQ(snap_edit(336, (uint8_t)~sbuf[336], false), JOURNAL_BAD);  /* the CRC */
	CHECK_EQ(snap_edit(23, 0, true), JOURNAL_BAD);           /* gen 0 (7 -> 0) */
	img_base(&img);
	journal_snapshot_encode(sbuf, &img, &pos);
	wbe32(sbuf + 32, 0);                                     /* ring_records 0 */
	snap_refix(sbuf);
	CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2), JOURNAL_BAD);
	CHECK_EQ(snap_edit(31, 0xFF, true), JOURNAL_OK);         /* ring_pos 0xFF */
	{
		/* ring_pos == ring_records */
		img_base(&img);
		pos.ring_pos = 9;
		pos.ring_records = 9;
		journal_snapshot_encode(sbuf, &img, &pos);
		CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2), JOURNAL_BAD);
		pos.ring_pos = 8;
		journal_snapshot_encode(sbuf, &img, &pos);
		CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2), JOURNAL_OK);
		CHECK_EQ(p2.ring_records, 9);   /* the caller's GEOMETRY check */
		pos.ring_pos = 3;
		pos.ring_records = JOURNAL_RING_RECORDS;
	}
	/* Peer entries. */
	CHECK_EQ(snap_edit(PEER0 + 3, 1, true), JOURNAL_BAD);    /* reserved */
	CHECK_EQ(snap_edit(PEER0 + 63, 1, true), JOURNAL_BAD);   /* reserved */
	CHECK_EQ(snap_edit(PEER0 + 2, 0, true), JOURNAL_BAD);    /* empty name */
	CHECK_EQ(snap_edit(PEER0 + 2, 6, true), JOURNAL_BAD);    /* NUL in name */
	CHECK_EQ(snap_edit(PEER0 + 2, 33, true), JOURNAL_BAD);   /* longer than the field */
	CHECK_EQ(snap_edit(PEER0 + 4, '.', true), JOURNAL_BAD);  /* not a segment */
	CHECK_EQ(snap_edit(PEER0 + 4, 0xC3, true), JOURNAL_BAD);
	CHECK_EQ(snap_edit(PEER0 + 4 + 31, 'x', true), JOURNAL_BAD);  /* padding */
	CHECK_EQ(snap_edit(PEER0 + 55, 4, true), JOURNAL_BAD);   /* unknown ledger flag */
	CHECK_EQ(snap_edit(PEER0 + 52, 0x80, true), JOURNAL_BAD);
	CHECK_EQ(snap_edit(PEER1 + 1, 0, true), JOURNAL_BAD);    /* slot 0 twice */
	CHECK_EQ(snap_edit(PEER0 + 1, 3, true), JOURNAL_BAD);    /* 3 then 2: order */
	/* "bob" -> "ali": different slots, same name? use the same length */
	{
		img_base(&img);
		img_peer(&img, 2, "alice", 1, 1, LEDGER_SLOT_USED);
		journal_snapshot_encode(sbuf, &img, &pos);
		CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2), JOURNAL_BAD);
	}
	/* Geometry: a slot number beyond this board (CRC-valid). */
	CHECK_EQ(snap_edit(PEER0 + 0, 0xFF, true), JOURNAL_GEOMETRY);  /* slot 0xFF00 */
	{
		size_t last = 64u + 13u + 3u * 64u;   /* the entry of slot MAX-1 */

		sbuf[last + 0] = (uint8_t)(ILPD_MAX_PEERS >> 8);
		sbuf[last + 1] = (uint8_t)ILPD_MAX_PEERS;
		snap_refix(sbuf);
		CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2),
			 JOURNAL_GEOMETRY);
	}
	/* Geometry: a name of 32 bytes where this board allows fewer. */
	if (ILPD_PEER_NAME_MAX < 32) {
		img_base(&img);
		journal_snapshot_encode(sbuf, &img, &pos);
		sbuf[PEER0 + 2] = 32;
		memset(sbuf + PEER0 + 4, 'n', 32);
		snap_refix(sbuf);
		CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2),
			 JOURNAL_GEOMETRY);
	}
	/* Geometry: an address longer than this board's, fitting the buffer,
	 * CRC-valid: built by hand (encode clamps). */
	big = ILPD_ADDRESS_MAX + 1u;
	if (64u + big + 4u <= JOURNAL_SNAP_BYTES) {
		memset(sbuf, 0, sizeof(sbuf));
		memcpy(sbuf, "ILPDLDGR", 8);
		sbuf[9] = 1;
		wbe32(sbuf + 12, (uint32_t)(64u + big + 4u));
		sbuf[23] = 1;
		wbe32(sbuf + 32, JOURNAL_RING_RECORDS);
		sbuf[38] = (uint8_t)(big >> 8);
		sbuf[39] = (uint8_t)big;
		memset(sbuf + 64, 'a', big);
		snap_refix(sbuf);
		CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2),
			 JOURNAL_GEOMETRY);
		/* With a wrong CRC it is BAD, not GEOMETRY. */
		sbuf[70] ^= 1;
		CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2), JOURNAL_BAD);
	}
	/* Geometry: more peers than this board has, longer than the buffer. */
	memset(sbuf, 0, sizeof(sbuf));
	memcpy(sbuf, "ILPDLDGR", 8);
	sbuf[9] = 1;
	sbuf[23] = 1;
	wbe32(sbuf + 32, JOURNAL_RING_RECORDS);
	sbuf[36] = 0xFF;
	sbuf[37] = 0xFF;
	wbe32(sbuf + 12, 64u + 0xFFFFu * 64u + 4u);
	CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2), JOURNAL_GEOMETRY);
	/* ... and the same length claim with counts that fit: BAD. */
	sbuf[36] = 0;
	sbuf[37] = 1;
	wbe32(sbuf + 12, 64u + 64u + 4u + (uint32_t)JOURNAL_SNAP_BYTES);
	CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &simg[0], &p2), JOURNAL_BAD);
}

static void test_record_refusals(void)
{
	struct journal_record r, o;
	uint8_t b[JOURNAL_RECORD_SIZE], c[JOURNAL_RECORD_SIZE];
	size_t i;

	memset(b, 0, sizeof(b));
	CHECK_EQ(journal_record_decode(b, &o), JOURNAL_EMPTY);
	memset(&r, 0, sizeof(r));
	r.seq = 5;
	r.gen = 1;
	r.slot = 2;
	journal_record_encode(b, &r);
	CHECK_EQ(journal_record_decode(b, &o), JOURNAL_OK);
	/* Every single-bit flip is refused by the CRC. */
	for (i = 0; i < JOURNAL_RECORD_SIZE * 8; i++) {
		memcpy(c, b, sizeof(c));
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		CHECK_EQ(journal_record_decode(c, &o), JOURNAL_BAD);
	}
	/* Field checks, with the CRC refixed. */
	memcpy(c, b, sizeof(c)); c[4] = 2; rec_refix(c);
	CHECK_EQ(journal_record_decode(c, &o), JOURNAL_BAD);     /* kind */
	memcpy(c, b, sizeof(c)); c[4] = 0; rec_refix(c);
	CHECK_EQ(journal_record_decode(c, &o), JOURNAL_BAD);
	memcpy(c, b, sizeof(c)); c[5] = 2; rec_refix(c);
	CHECK_EQ(journal_record_decode(c, &o), JOURNAL_BAD);     /* record flags */
	memcpy(c, b, sizeof(c)); c[5] = 1; rec_refix(c);
	CHECK_EQ(journal_record_decode(c, &o), JOURNAL_OK);
	CHECK(o.group_end);
	memcpy(c, b, sizeof(c)); c[43] = 4; rec_refix(c);
	CHECK_EQ(journal_record_decode(c, &o), JOURNAL_BAD);     /* ledger flags */
	for (i = 20; i < 24; i++) {
		memcpy(c, b, sizeof(c)); c[i] = 1; rec_refix(c);
		CHECK_EQ(journal_record_decode(c, &o), JOURNAL_BAD);
	}
	for (i = 44; i < 52; i++) {   /* version 2: an open settlement */
		memcpy(c, b, sizeof(c)); c[i] = 1; rec_refix(c);
		CHECK_EQ(journal_record_decode(c, &o), JOURNAL_OK);
		CHECK(o.settling != 0);
	}
	for (i = 52; i < 64; i++) {   /* a key without a settlement, reserved */
		memcpy(c, b, sizeof(c)); c[i] = 1; rec_refix(c);
		CHECK_EQ(journal_record_decode(c, &o), JOURNAL_BAD);
	}
}

/* ---- replay rules ------------------------------------------------------- */

static void put_rec(uint32_t idx, uint32_t seq, uint32_t gen, uint32_t dur, unsigned slot,
		    bool end, int64_t bal)
{
	struct journal_record r;

	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.gen = gen;
	r.durable_seq = dur;
	r.slot = (uint16_t)slot;
	r.group_end = end;
	r.balance = bal;
	r.flags = LEDGER_SLOT_USED;
	journal_record_encode(area + journal_ring_offset(idx), &r);
	touched[idx % JOURNAL_RING_RECORDS] = true;
}

static void test_replay_rules(void)
{
	static struct journal_image base, want;
	struct journal_pos n, p0;
	uint32_t bad = 0;

	img_base(&base);
	/* Fresh snapshot, nothing after it. */
	tw_start(&base, 3, 10, 20);
	p0 = W.pos;
	RECOVERS(&base, &p0, false);
	/* First record with the wrong seq / gen: nothing applied, no error. */
	put_rec(20, 11, 3, 9, 0, true, 5);
	RECOVERS(&base, &p0, false);
	put_rec(20, 10, 2, 9, 0, true, 5);
	RECOVERS(&base, &p0, false);
	/* Old gen (2) with a durable_seq far ahead: still not corrupt. */
	put_rec(20, 10, 2, 50, 0, true, 5);
	RECOVERS(&base, &p0, false);
	/* A slot that is not used, a slot beyond the table, a slot twice,
	 * durable_seq not before seq: INVALID with the record's seq. */
	put_rec(20, 10, 3, 9, 1, true, 5);
	CHECK_EQ(recover(&n, &bad), JOURNAL_INVALID);
	CHECK_EQ(bad, 10);
	put_rec(20, 10, 3, 9, ILPD_MAX_PEERS, true, 5);
	CHECK_EQ(recover(&n, &bad), JOURNAL_INVALID);
	put_rec(20, 10, 3, 9, 0xFFFF, true, 5);
	CHECK_EQ(recover(&n, &bad), JOURNAL_INVALID);
	put_rec(20, 10, 3, 9, 0, false, 5);
	put_rec(21, 11, 3, 9, 0, true, 6);
	bad = 0;
	CHECK_EQ(recover(&n, &bad), JOURNAL_INVALID);
	CHECK_EQ(bad, 11);
	put_rec(20, 10, 3, 10, 0, true, 5);
	memset(area + journal_ring_offset(21), 0, JOURNAL_RECORD_SIZE);
	CHECK_EQ(recover(&n, &bad), JOURNAL_INVALID);
	put_rec(20, 10, 3, 11, 0, true, 5);
	CHECK_EQ(recover(&n, &bad), JOURNAL_INVALID);
	/* A valid group: applied. */
	put_rec(20, 10, 3, 9, 0, false, 5);
	put_rec(21, 11, 3, 9, 2, true, 6);
	{
		struct journal_pos wp = p0;

		want = base;
		want.peer[0].balance = 5;
		want.peer[2].balance = 6;
		want.peer[0].fulfilled = want.peer[2].fulfilled = 0;
		want.peer[0].flags = want.peer[2].flags = LEDGER_SLOT_USED;
		wp.seq = 12;
		wp.ring_pos = 22;
		RECOVERS(&want, &wp, false);
		/* Same-gen record later with durable_seq < end (12): fine;
		 * == end or after: CORRUPT at 12. Serial arithmetic. */
		put_rec(40, 30, 3, 11, 0, true, 9);
		RECOVERS(&want, &wp, false);
		put_rec(40, 30, 3, 12, 0, true, 9);
		CHECK_EQ(recover(&n, &bad), JOURNAL_CORRUPT);
		CHECK_EQ(bad, 12);
		put_rec(40, 30, 3, 0x80000000u + 12u, 0, true, 9);  /* before 12 mod 2^32 */
		RECOVERS(&want, &wp, false);
		put_rec(40, 30, 3, 0x80000000u + 11u, 0, true, 9);  /* 2^31 - 1 after 12 */
		CHECK_EQ(recover(&n, &bad), JOURNAL_CORRUPT);
		put_rec(40, 30, 3, 11, 0, true, 9);
		RECOVERS(&want, &wp, false);
		/* The next gen anywhere after the end: CORRUPT. */
		put_rec(40, 30, 4, 0, 0, true, 9);
		CHECK_EQ(recover(&n, &bad), JOURNAL_CORRUPT);
		CHECK_EQ(bad, 12);
		/* ... also wrapped around, before the snapshot's position. */
		memset(area + journal_ring_offset(40), 0, JOURNAL_RECORD_SIZE);
		put_rec(3, 30, 4, 0, 0, true, 9);
		CHECK_EQ(recover(&n, &bad), JOURNAL_CORRUPT);
		put_rec(3, 30, 5, 0, 0, true, 9);        /* gen + 2: old lap noise */
		RECOVERS(&want, &wp, false);
		/* An incomplete trailing group: dropped; next = after the last
		 * complete group. */
		put_rec(22, 12, 3, 11, 5, false, 77);
		RECOVERS(&want, &wp, false);
		/* The live part at the very end of the feed (no record after). */
	}
	/* More than JOURNAL_RING_RECORDS feeds: ignored. */
	journal_replay_begin(&rp, &rimg, &p0);
	rimg = base;
	{
		uint32_t i;

		for (i = 0; i < JOURNAL_RING_RECORDS + 5; i++)
			journal_replay_feed(&rp, zero_rec);
		CHECK_EQ_U64(rp.fed, JOURNAL_RING_RECORDS);
		CHECK_EQ(journal_replay_end(&rp, &n, &bad), JOURNAL_OK);
	}
}

/* ---- crash states ------------------------------------------------------- */

/* A base state with history: snapshot gen 5 in slot 0, a rotation to slot
 * 1 (gen 6), groups of 1..3 records, all synced. */
static const struct chg G1[] = { { 0, 10, 1, LEDGER_SLOT_USED }, { 2, 90, 4, LEDGER_SLOT_USED } };
static const struct chg G2[] = { { 5, -8, 2, LEDGER_SLOT_USED } };
static const struct chg G3[] = { { 0, 20, 2, LEDGER_SLOT_USED },
				 { 5, 3, 3, LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT },
				 { ILPD_MAX_PEERS - 1, INT64_MIN + 1, 0, LEDGER_SLOT_USED } };
static const struct chg G4[] = { { 2, 91, 5, LEDGER_SLOT_USED } };
static const struct chg G5[] = { { 2, 0, 6, LEDGER_SLOT_USED }, { 0, 0, 3, LEDGER_SLOT_USED },
				 { 5, 1, 4, LEDGER_SLOT_USED } };

#define NG(a) (sizeof(a) / sizeof((a)[0]))

static void build_history(void)
{
	static struct journal_image base;

	img_base(&base);
	tw_start(&base, 5, 0xFFFFFFF0u, JOURNAL_RING_RECORDS - 4);
	tw_group(G1, NG(G1), true);
	tw_group(G2, NG(G2), true);
	tw_snapshot();
	tw_group(G3, NG(G3), true);   /* wraps around the ring end */
	tw_group(G4, NG(G4), true);
}

/* Tears a write of nb new bytes at off: every step-th prefix length L
 * (new bytes [0, L), old bytes after; always L == nb too), checking
 * recovery against want_old, or want_new once the first complete_at bytes
 * are all new. */
static void tear(size_t off, const uint8_t *nw, const uint8_t *old, size_t nb, size_t step,
		 size_t complete_at, const struct journal_image *want_old, const struct journal_pos *pos_old,
		 const struct journal_image *want_new, const struct journal_pos *pos_new,
		 unsigned *states)
{
	size_t L;

	for (L = 0; L <= nb; L += (L + step > nb && L < nb) ? nb - L : step) {
		memcpy(area + off, nw, L);
		memcpy(area + off + L, old + L, nb - L);
		/* A prefix may already hold every byte that differs (records
		 * end in zero reserved bytes): then the write is complete. */
		if (L < complete_at && memcmp(area + off, nw, complete_at) != 0)
			RECOVERS(want_old, pos_old, true);
		else
			RECOVERS(want_new, pos_new, true);
		(*states)++;
	}
	memcpy(area + off, old, nb);
}

static uint8_t grp_new[4 * JOURNAL_RECORD_SIZE], grp_old[4 * JOURNAL_RECORD_SIZE];

/* Torn group writes at every byte, every subset of its records (lost or
 * reordered unsynced writes), over zeros and over an old lap's records. */
static unsigned torn_group(const struct chg *g, size_t n, bool old_lap)
{
	static struct journal_image s0, s1, s2;
	static struct tw w0;
	struct journal_pos p0, p1;
	uint32_t first;
	size_t off, nb = n * JOURNAL_RECORD_SIZE, i;
	unsigned states = 0, mask;

	build_history();
	if (old_lap) {
		/* An older lap of the ring ahead of the writer, gen 4 (the
		 * snapshot before slot 0's): records with the seqs the new
		 * group will have, and high durable_seqs. */
		for (i = 0; i < 8; i++)
			put_rec(W.pos.ring_pos + (uint32_t)i, W.pos.seq + (uint32_t)i, 4,
				W.pos.seq + 100u, 0, true, 999);
	}
	s0 = W.img;
	p0 = W.pos;
	RECOVERS(&s0, &p0, false);
	w0 = W;
	off = journal_ring_offset(W.pos.ring_pos);
	CHECK(off + nb <= JOURNAL_AREA_SIZE);
	memcpy(grp_old, area + off, nb);
	first = tw_group(g, n, false);
	CHECK_EQ_U64(journal_ring_offset(first), off);
	memcpy(grp_new, area + off, nb);
	s1 = W.img;
	p1 = W.pos;
	memcpy(area + off, grp_old, nb);
	tear(off, grp_new, grp_old, nb, 1, nb, &s0, &p0, &s1, &p1, &states);
	/* Every subset of whole records written, the rest old. */
	for (mask = 0; mask < (1u << n); mask++) {
		for (i = 0; i < n; i++) {
			const uint8_t *src = (mask >> i & 1u) ? grp_new : grp_old;

			memcpy(area + off + i * JOURNAL_RECORD_SIZE, src + i * JOURNAL_RECORD_SIZE,
			       JOURNAL_RECORD_SIZE);
		}
		if (mask == (1u << n) - 1u)
			RECOVERS(&s1, &p1, true);
		else
			RECOVERS(&s0, &p0, true);
		states++;
	}
	/* Synced, then the next group lost at any suffix: s1. */
	W.durable_seq = W.pos.seq - 1u;
	off = journal_ring_offset(W.pos.ring_pos);
	memcpy(grp_old, area + off, 3 * JOURNAL_RECORD_SIZE);
	{
		struct journal_pos p2;

		tw_group(G5, NG(G5), false);
		s2 = W.img;
		p2 = W.pos;
		memcpy(grp_new, area + off, 3 * JOURNAL_RECORD_SIZE);
		for (i = 0; i <= 3; i++) {   /* i records kept, the rest lost */
			memcpy(area + off, grp_new, i * JOURNAL_RECORD_SIZE);
			memcpy(area + off + i * JOURNAL_RECORD_SIZE, grp_old + i * JOURNAL_RECORD_SIZE,
			       (3 - i) * JOURNAL_RECORD_SIZE);
			if (i == 3)
				RECOVERS(&s2, &p2, true);
			else
				RECOVERS(&s1, &p1, true);
			states++;
		}
	}
	W = w0;
	CHECK(states > nb);
	return states;
}

static void test_torn_records(void)
{
	unsigned states = 0;

	states += torn_group(G2, NG(G2), false);
	states += torn_group(G3, NG(G3), false);
	states += torn_group(G1, NG(G1), true);
	states += torn_group(G3, NG(G3), true);
	printf("  torn/lost record states checked: %u\n", states);
}

/* A crash at every step of a snapshot rotation: the new snapshot torn at
 * every byte of its used length and at every 512-byte sector of the slot,
 * the old slot intact; then the journal continuing in the new gen, and the
 * next rotation torn while the new gen has records. */
static void test_rotation_crash(void)
{
	static struct journal_image s, s2;
	static struct tw w0;
	struct journal_pos p, pn;
	unsigned states = 0;
	int slot;
	size_t used;

	build_history();
	s = W.img;
	p = W.pos;
	slot = tw_snapshot_bytes(sbuf);
	CHECK_EQ(slot, 0);
	memcpy(sbuf2, area + SLOT_OFF(slot), JOURNAL_SNAP_BYTES);
	used = be32(sbuf + 12);
	pn = p;
	pn.gen++;
	/* every byte of the used part, then every sector */
	tear(SLOT_OFF(slot), sbuf, sbuf2, used, 1, used, &s, &p, &s, &pn, &states);
	tear(SLOT_OFF(slot), sbuf, sbuf2, JOURNAL_SNAP_BYTES, 512, used, &s, &p, &s, &pn, &states);
	/* Complete: recovery from the new slot with nothing after it. */
	tw_snapshot();
	RECOVERS(&s, &pn, false);
	/* The journal continues in the new gen: torn, lost, synced. */
	w0 = W;
	{
		size_t off = journal_ring_offset(W.pos.ring_pos), nb = 3 * JOURNAL_RECORD_SIZE;
		struct journal_pos p2;

		memcpy(grp_old, area + off, nb);
		tw_group(G5, NG(G5), true);
		s2 = W.img;
		p2 = W.pos;
		memcpy(grp_new, area + off, nb);
		tear(off, grp_new, grp_old, nb, 1, nb, &s, &pn, &s2, &p2, &states);
		memcpy(area + off, grp_new, nb);
		RECOVERS(&s2, &p2, false);
		/* The next rotation (to slot 1) torn at every byte while
		 * slot 0's gen has records: recovery = s2. */
		s = W.img;
		p = W.pos;
		slot = tw_snapshot_bytes(sbuf);
		CHECK_EQ(slot, 1);
		memcpy(sbuf2, area + SLOT_OFF(slot), JOURNAL_SNAP_BYTES);
		used = be32(sbuf + 12);
		pn = p;
		pn.gen++;
		tear(SLOT_OFF(slot), sbuf, sbuf2, used, 1, used, &s, &p, &s, &pn, &states);
		tear(SLOT_OFF(slot), sbuf, sbuf2, JOURNAL_SNAP_BYTES, 512, used, &s, &p, &s, &pn, &states);
	}
	(void)w0;
	CHECK(states > 2 * used);
	printf("  rotation crash states checked: %u\n", states);
}

/* A bit flip at every bit of the durable range (both snapshots' used
 * bytes, every record written): recovery refuses (CORRUPT; both snapshots
 * unreadable is impossible with one flip) or yields exactly the last
 * synced state, or - a flip in the last group, which nothing vouches for -
 * exactly the synced state before it. Never another balance. */
static void test_bit_flips(void)
{
	static struct journal_image sfinal, sprev;
	struct journal_pos pfinal, pprev;
	uint32_t first_idx, last_idx, nrec, k;
	size_t used[2], b, byte;
	unsigned flips = 0, corrupt = 0, exact = 0, prev = 0;
	int s;

	/* History: slot 0 gen 5 + G1 G2; slot 1 gen 6 + G3 G4 (the last
	 * group); sprev is the synced state before G4. */
	{
		static struct journal_image base;

		img_base(&base);
		tw_start(&base, 5, 0xFFFFFFF0u, JOURNAL_RING_RECORDS - 4);
		tw_group(G1, NG(G1), true);
		tw_group(G2, NG(G2), true);
		tw_snapshot();
		tw_group(G3, NG(G3), true);
		sprev = W.img;
		pprev = W.pos;
		tw_group(G4, NG(G4), true);
	}
	sfinal = W.img;
	pfinal = W.pos;
	RECOVERS(&sfinal, &pfinal, false);
	for (s = 0; s < 2; s++)
		used[s] = be32(area + SLOT_OFF(s) + 12);
	/* Snapshots. Slot 1 (gen 6) is the newest: a flip makes recovery
	 * fall back to slot 0 (gen 5), whose journal end is followed by
	 * gen 6 records: CORRUPT. A flip in slot 0: the final state. */
	for (s = 0; s < 2; s++) {
		for (b = 0; b < used[s] * 8; b++) {
			struct journal_pos n;
			uint32_t bad;
			int r;

			byte = SLOT_OFF(s) + b / 8;
			area[byte] ^= (uint8_t)(1u << (b % 8));
			r = recover_mode(&n, &bad, true);
			if (s == 1) {
				CHECK_EQ(r, JOURNAL_CORRUPT);
				corrupt += r == JOURNAL_CORRUPT;
			} else {
				CHECK_EQ(r, JOURNAL_OK);
				if (r == JOURNAL_OK && img_eq(&rimg, &sfinal) && n.seq == pfinal.seq)
					exact++;
			}
			area[byte] ^= (uint8_t)(1u << (b % 8));
			flips++;
		}
	}
	/* Records: gen 5's G1 G2 (behind slot 1's position: never read as
	 * live) -> final state; G3 -> CORRUPT (G4 vouches for it); G4 (the
	 * last group) -> exactly the state before it. */
	first_idx = JOURNAL_RING_RECORDS - 4;
	nrec = (uint32_t)(NG(G1) + NG(G2) + NG(G3) + NG(G4));
	last_idx = nrec - 1;
	for (k = 0; k <= last_idx; k++) {
		uint32_t idx = (first_idx + k) % JOURNAL_RING_RECORDS;
		size_t off = journal_ring_offset(idx);

		for (b = 0; b < JOURNAL_RECORD_SIZE * 8; b++) {
			struct journal_pos n;
			uint32_t bad = 0;
			int r;

			area[off + b / 8] ^= (uint8_t)(1u << (b % 8));
			r = recover_mode(&n, &bad, true);
			if (k < NG(G1) + NG(G2)) {
				CHECK_EQ(r, JOURNAL_OK);
				if (r == JOURNAL_OK && img_eq(&rimg, &sfinal) && n.seq == pfinal.seq)
					exact++;
			} else if (k < NG(G1) + NG(G2) + NG(G3)) {
				CHECK_EQ(r, JOURNAL_CORRUPT);
				CHECK_EQ_U64(bad, 0xFFFFFFF0u + k);
				corrupt += r == JOURNAL_CORRUPT;
			} else {
				CHECK_EQ(r, JOURNAL_OK);
				if (r == JOURNAL_OK && img_eq(&rimg, &sprev) && n.seq == pprev.seq &&
				    n.ring_pos == pprev.ring_pos)
					prev++;
			}
			area[off + b / 8] ^= (uint8_t)(1u << (b % 8));
			flips++;
		}
	}
	CHECK_EQ(exact, used[0] * 8 + (NG(G1) + NG(G2)) * JOURNAL_RECORD_SIZE * 8);
	CHECK_EQ(prev, NG(G4) * JOURNAL_RECORD_SIZE * 8);
	CHECK_EQ(corrupt, used[1] * 8 + NG(G3) * JOURNAL_RECORD_SIZE * 8);
	printf("  bit flips: %u (every bit), %u refused CORRUPT, %u final state, "
	       "%u state before the last group\n", flips, corrupt, exact, prev);
}

/* More than the ring's records over several snapshots (half-full rule),
 * seq wrapping through 2^32; recovery checked at many points with the full
 * ring fed. Old-generation records beyond the live part are never read. */
static void test_ring_wrap(void)
{
	static struct journal_image base;
	struct chg c[3];
	uint32_t total = 0, snaps = 0, checks = 0, i = 0;

	img_base(&base);
	tw_start(&base, 1, 0xFFFFF000u, 0);
	while (total < 3u * JOURNAL_RING_RECORDS) {
		size_t n = 1 + i % 3, j;

		for (j = 0; j < n; j++) {
			static const unsigned slots[3] = { 0, 2, 5 };

			c[j].slot = slots[(i + j) % 3];
			c[j].bal = (int64_t)(i * 7 + j) - 1000;
			c[j].ful = i;
			c[j].flags = LEDGER_SLOT_USED;
		}
		tw_group(c, n, true);
		total += (uint32_t)n;
		if (W.since_snap >= JOURNAL_RING_RECORDS / 2) {
			tw_snapshot();
			snaps++;
		}
		if (i % 509 == 0 || W.since_snap == 0) {
			RECOVERS(&W.img, &W.pos, false);
			checks++;
		}
		i++;
	}
	RECOVERS(&W.img, &W.pos, false);
	CHECK(snaps >= 5);
	printf("  ring wrap: %u records, %u snapshots, %u recoveries\n", total, snaps, checks + 1);
	/* Records of the previous gen right after the live end, with the seq
	 * the next record will have: never replayed, never corrupt. */
	{
		static struct journal_image s;
		struct journal_pos p = W.pos;

		s = W.img;
		put_rec(W.pos.ring_pos, W.pos.seq, (uint32_t)W.pos.gen - 1u, W.pos.seq + 5u, 0, true, 123);
		RECOVERS(&s, &p, false);
	}
}

/* ---- golden fixture -------------------------------------------------------- */

static uint8_t fix_buf[1024];

/* The fixture: a snapshot of a fixed image (slots < 8, address < 100
 * bytes, ring size 4096 whatever the board), its used bytes only, then 3
 * records of its gen (two groups, seq wrapping through 2^32). */
static size_t fixture_build(uint8_t *out)
{
	static const struct chg g1[] = { { 0, -123456789012345ll, 42, LEDGER_SLOT_USED },
					 { 3, INT64_MAX, 7, LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT } };
	static const struct chg g2[] = { { 7, INT64_MIN, UINT64_MAX, LEDGER_SLOT_USED } };
	struct journal_image img;
	struct journal_pos pos = { 0x0102030405060708ull, 0xFFFFFFFEu, 4090, 4096 };
	struct journal_record r;
	size_t used, n = 0, i;
	uint32_t seq = pos.seq;

	memset(&img, 0, sizeof(img));
	img.address_len = 16;
	memcpy(img.address, "g.hjournal.node1", 16);
	img_peer(&img, 0, "alice", 1000, 1, LEDGER_SLOT_USED);
	img_peer(&img, 3, "bob_~-", -5, 2, LEDGER_SLOT_USED);
	img_peer(&img, 7, "Carol9", 0, 0, LEDGER_SLOT_USED);
	journal_snapshot_encode(sbuf, &img, &pos);
	used = be32(sbuf + 12);
	memcpy(out, sbuf, used);
	n = used;
	for (i = 0; i < 3; i++) {
		const struct chg *c = i < 2 ? &g1[i] : &g2[0];

		memset(&r, 0, sizeof(r));
		r.seq = seq++;
		r.gen = (uint32_t)pos.gen;
		r.durable_seq = i < 2 ? pos.seq - 1u : pos.seq + 1u;
		r.slot = (uint16_t)c->slot;
		r.group_end = i >= 1;
		r.balance = c->bal;
		r.fulfilled = c->ful;
		r.flags = c->flags;
		journal_record_encode(out + n, &r);
		n += JOURNAL_RECORD_SIZE;
	}
	return n;
}

static int write_fixture(const char *path)
{
	size_t n = fixture_build(fix_buf);
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(fix_buf, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "test_journal: cannot write %s\n", path);
		return 1;
	}
	printf("wrote %zu bytes to %s\n", n, path);
	return 0;
}

static void test_fixture(void)
{
	static uint8_t file[2048];
	struct journal_pos pos, next;
	uint32_t bad = 0, i;
	size_t n = fixture_build(fix_buf), got, used;
	FILE *f = fopen(JOURNAL_FIXTURE, "rb");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	got = fread(file, 1, sizeof(file), f);
	fclose(f);
	CHECK_EQ(got, n);
	CHECK_MEM(file, fix_buf, n < got ? n : got);
	if (got != n)
		return;
	/* Decode the file's bytes (not ours) and replay its records. */
	used = be32(file + 12);
	CHECK_EQ(used, 64 + 16 + 3 * 64 + 4);
	memset(sbuf, 0, sizeof(sbuf));
	memcpy(sbuf, file, used);
	CHECK_EQ(journal_snapshot_decode(sbuf, JOURNAL_SNAP_BYTES, &rimg, &pos), JOURNAL_OK);
	CHECK_EQ_U64(pos.gen, 0x0102030405060708ull);
	CHECK_EQ_U64(pos.seq, 0xFFFFFFFEu);
	CHECK_EQ(pos.ring_pos, 4090);
	CHECK_EQ(pos.ring_records, 4096);
	CHECK_EQ(rimg.address_len, 16);
	CHECK_MEM(rimg.address, "g.hjournal.node1", 16);
	CHECK(rimg.peer[0].used && rimg.peer[3].used && rimg.peer[7].used);
	CHECK(!rimg.peer[1].used && !rimg.peer[2].used && !rimg.peer[6].used);
	CHECK(strcmp(rimg.peer[3].name, "bob_~-") == 0);
	CHECK(rimg.peer[3].balance == -5);
	journal_replay_begin(&rp, &rimg, &pos);
	for (i = 0; i < 3; i++)
		journal_replay_feed(&rp, file + used + i * JOURNAL_RECORD_SIZE);
	journal_replay_feed(&rp, zero_rec);
	CHECK_EQ(journal_replay_end(&rp, &next, &bad), JOURNAL_OK);
	CHECK_EQ_U64(next.seq, 1);
	CHECK_EQ_U64(next.ring_pos, (4090u + 3u) % JOURNAL_RING_RECORDS);
	CHECK(strcmp(rimg.peer[0].name, "alice") == 0);
	CHECK(rimg.peer[0].balance == -123456789012345ll);
	CHECK_EQ_U64(rimg.peer[0].fulfilled, 42);
	CHECK(rimg.peer[3].balance == INT64_MAX);
	CHECK_EQ(rimg.peer[3].flags, LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT);
	CHECK(strcmp(rimg.peer[7].name, "Carol9") == 0);
	CHECK(rimg.peer[7].balance == INT64_MIN);
	CHECK_EQ_U64(rimg.peer[7].fulfilled, UINT64_MAX);
	/* Big-endian on disk, whatever the host: seq 0xFFFFFFFE at 24. */
	CHECK_EQ(file[24], 0xFF);
	CHECK_EQ(file[27], 0xFE);
}

/* ---- release markers ------------------------------------------------------- */

static void tw_marker(const uint8_t boot[JOURNAL_BOOT_ID])
{
	struct journal_record r;

	memset(&r, 0, sizeof(r));
	r.kind = JOURNAL_KIND_RELEASED;
	r.seq = W.pos.seq++;
	r.gen = (uint32_t)W.pos.gen;
	r.durable_seq = W.durable_seq;
	r.group_end = true;
	memcpy(r.boot_id, boot, JOURNAL_BOOT_ID);
	journal_record_encode(area + journal_ring_offset(W.pos.ring_pos), &r);
	touched[W.pos.ring_pos] = true;
	W.pos.ring_pos = (W.pos.ring_pos + 1u) % JOURNAL_RING_RECORDS;
	W.since_snap++;
}

static void test_release_markers(void)
{
	static const uint8_t boot1[JOURNAL_BOOT_ID] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
						       13, 14, 15, 16 };
	static const uint8_t boot2[JOURNAL_BOOT_ID] = { 0xff, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
						       12, 13, 14, 15, 16 };
	uint8_t b[JOURNAL_RECORD_SIZE], c[JOURNAL_RECORD_SIZE];
	struct journal_record r, d;
	struct journal_image base, after1;
	struct journal_pos next, pos1;
	uint32_t bad = 0;
	size_t i;

	/* Round trip and layout: kind 2, group end, boot id at 24..40. */
	memset(&r, 0, sizeof(r));
	r.kind = JOURNAL_KIND_RELEASED;
	r.seq = 77;
	r.gen = 5;
	r.durable_seq = 70;
	r.slot = 9;            /* ignored: a marker has no slot */
	r.balance = 12345;     /* ignored */
	memcpy(r.boot_id, boot1, sizeof(boot1));
	journal_record_encode(b, &r);
	CHECK_EQ(b[4], 2);
	CHECK_EQ(b[5], 1);
	CHECK_EQ(b[6] | b[7], 0);
	CHECK(memcmp(b + 24, boot1, 16) == 0);
	for (i = 40; i < JOURNAL_RECORD_SIZE; i++)
		CHECK_EQ(b[i], 0);
	CHECK_EQ(journal_record_decode(b, &d), JOURNAL_OK);
	CHECK_EQ(d.kind, JOURNAL_KIND_RELEASED);
	CHECK(d.group_end);
	CHECK_EQ(d.seq, 77);
	CHECK_EQ(d.gen, 5);
	CHECK_EQ(d.durable_seq, 70);
	CHECK_EQ(d.slot, 0);
	CHECK(memcmp(d.boot_id, boot1, 16) == 0);
	/* A peer record decodes as kind 1 with no boot id. */
	memset(&r, 0, sizeof(r));
	r.seq = 3;
	r.slot = 2;
	r.group_end = true;
	r.flags = LEDGER_SLOT_USED;
	journal_record_encode(c, &r);
	CHECK_EQ(journal_record_decode(c, &d), JOURNAL_OK);
	CHECK_EQ(d.kind, JOURNAL_KIND_PEER);
	/* A marker without group end, with a slot, or with bytes past the
	 * boot id is BAD; so is an unknown kind. */
	memcpy(c, b, sizeof(b));
	c[5] = 0;
	rec_refix(c);
	CHECK_EQ(journal_record_decode(c, &d), JOURNAL_BAD);
	memcpy(c, b, sizeof(b));
	c[7] = 1;
	rec_refix(c);
	CHECK_EQ(journal_record_decode(c, &d), JOURNAL_BAD);
	memcpy(c, b, sizeof(b));
	c[40] = 1;
	rec_refix(c);
	CHECK_EQ(journal_record_decode(c, &d), JOURNAL_BAD);
	memcpy(c, b, sizeof(b));
	c[4] = 4;
	rec_refix(c);
	CHECK_EQ(journal_record_decode(c, &d), JOURNAL_BAD);

	/* Replay: snapshot, marker, G1, marker, G2, G3 (no marker after). */
	img_base(&base);
	tw_start(&base, 4, 100, JOURNAL_RING_RECORDS - 3);   /* wraps */
	tw_marker(boot1);
	tw_group(G1, 2, true);
	tw_marker(boot1);
	after1 = W.img;
	pos1 = W.pos;
	tw_group(G2, 1, true);
	tw_group(G3, sizeof(G3) / sizeof(G3[0]), false);
	/* Unlimited: every complete group, the last marker reported. */
	RECOVERS(&W.img, &W.pos, false);
	CHECK(rp.marker);
	CHECK_EQ(rp.marker_seq, pos1.seq - 1u);
	CHECK(memcmp(rp.marker_boot, boot1, 16) == 0);
	CHECK_EQ(rp.dropped_groups, 0);
	CHECK_EQ(rp.applied_records, 2 + 2 + 1 + (uint32_t)(sizeof(G3) / sizeof(G3[0])));
	/* Limited to the last marker: up to it, the rest counted. */
	{
		struct journal_pos sp;

		CHECK_EQ(journal_snapshot_decode(area, JOURNAL_SNAP_BYTES, &rimg, &sp), JOURNAL_OK);
		journal_replay_begin(&rp, &rimg, &sp);
		journal_replay_limit(&rp, pos1.seq - 1u);
		for (i = 0; i < JOURNAL_RING_RECORDS; i++)
			journal_replay_feed(&rp, area + journal_ring_offset(sp.ring_pos + (uint32_t)i));
		CHECK_EQ(journal_replay_end(&rp, &next, &bad), JOURNAL_OK);
		CHECK(img_eq(&rimg, &after1));
		CHECK_EQ(next.seq, pos1.seq);
		CHECK_EQ(next.ring_pos, pos1.ring_pos);
		CHECK_EQ(rp.dropped_groups, 2);
		CHECK_EQ(rp.dropped_records, 1 + (uint32_t)(sizeof(G3) / sizeof(G3[0])));
		CHECK(rp.marker);
	}
	/* A marker of another boot is reported as such (persist.c ignores it). */
	tw_marker(boot2);
	RECOVERS(&W.img, &W.pos, false);
	CHECK(memcmp(rp.marker_boot, boot2, 16) == 0);
	CHECK_EQ(rp.marker_seq, W.pos.seq - 1u);
	/* A marker inside a group is INVALID; one torn off the end ends the
	 * live part like any record. */
	tw_start(&base, 4, 100, 0);
	put_rec(0, 100, 4, 99, 0, false, 1);
	memset(&r, 0, sizeof(r));
	r.kind = JOURNAL_KIND_RELEASED;
	r.seq = 101;
	r.gen = 4;
	r.durable_seq = 99;
	r.group_end = true;
	journal_record_encode(area + journal_ring_offset(1), &r);
	touched[1] = true;
	CHECK_EQ(recover(&next, &bad), JOURNAL_INVALID);
	CHECK_EQ(bad, 101);
	/* durable_seq not before its seq: INVALID too. */
	tw_start(&base, 4, 100, 0);
	r.seq = 100;
	r.durable_seq = 100;
	journal_record_encode(area + journal_ring_offset(0), &r);
	touched[0] = true;
	CHECK_EQ(recover(&next, &bad), JOURNAL_INVALID);
	/* A later record that says the marker was durable makes a damaged
	 * marker CORRUPT, as for any record. */
	tw_start(&base, 4, 100, 0);
	tw_marker(boot1);
	tw_group(G1, 2, true);
	W.durable_seq = W.pos.seq - 1u;
	tw_group(G2, 1, true);
	area[journal_ring_offset(0) + 30] ^= 1;
	CHECK_EQ(recover(&next, &bad), JOURNAL_CORRUPT);
	CHECK_EQ(bad, 100);
}

/* ---- version 2: settlement state (issue 15) ------------------------------ */

static void put_raw(uint32_t idx, const struct journal_record *r)
{
	journal_record_encode(area + journal_ring_offset(idx), r);
	touched[idx % JOURNAL_RING_RECORDS] = true;
}

static void test_settlement_v2(void)
{
	static struct journal_image base, want, got;
	static uint8_t sb[JOURNAL_SNAP_BYTES];
	struct journal_pos pos = { 5, 10, 20, JOURNAL_RING_RECORDS }, p2, exp;
	struct journal_record r, o;
	uint8_t rec[JOURNAL_RECORD_SIZE];
	uint32_t bad = 0;
	struct journal_pos n;

	/* Snapshots: none of it -> version 1 (as before); with it -> 2. */
	img_base(&base);
	(void)journal_snapshot_encode(sb, &base, &pos);
	CHECK_EQ(sb[9], 1);
	want = base;
	want.peer[2].settling = 12345;
	want.peer[2].settle_key = 0xABCDEFull;
	want.key[3].used = true;
	want.key[3].slot = 5;
	want.key[3].scale = 9;
	want.key[3].engine_amount = 777;
	memset(want.key[3].digest, 0x42, SETTLE_DIGEST);
	want.key[SETTLE_KEYS - 1] = want.key[3];
	want.key[SETTLE_KEYS - 1].slot = 0;
	(void)journal_snapshot_encode(sb, &want, &pos);
	CHECK_EQ(sb[9], 2);
	CHECK_EQ(journal_snapshot_decode(sb, sizeof(sb), &got, &p2), JOURNAL_OK);
	CHECK(img_eq(&got, &want));
	CHECK(!img_eq(&got, &base));
	/* a key of a peer that is not in the image is not written */
	want.key[4] = want.key[3];
	want.key[4].slot = 1;
	(void)journal_snapshot_encode(sb, &want, &pos);
	CHECK_EQ(journal_snapshot_decode(sb, sizeof(sb), &got, &p2), JOURNAL_OK);
	CHECK(!got.key[4].used);
	want.key[4].used = false;
	CHECK(img_eq(&got, &want));
	/* the largest one fits the slot (static assert), and a damaged count
	 * is refused */
	sb[41] = 7;
	CHECK(journal_snapshot_decode(sb, sizeof(sb), &got, &p2) != JOURNAL_OK);

	/* Records. */
	memset(&r, 0, sizeof(r));
	r.seq = 1;
	r.gen = 2;
	r.slot = 2;
	r.balance = -5;
	r.flags = LEDGER_SLOT_USED;
	r.settling = 99;
	r.settle_key = 7;
	journal_record_encode(rec, &r);
	CHECK_EQ(journal_record_decode(rec, &o), JOURNAL_OK);
	CHECK_EQ_U64(o.settling, 99);
	CHECK_EQ_U64(o.settle_key, 7);
	r.settling = 0;
	journal_record_encode(rec, &r);
	CHECK_EQ(journal_record_decode(rec, &o), JOURNAL_BAD);   /* key, no settlement */
	memset(&r, 0, sizeof(r));
	r.kind = JOURNAL_KIND_CREDIT;
	r.seq = 1;
	r.gen = 2;
	r.slot = (uint16_t)(SETTLE_KEYS - 1);
	r.group_end = true;
	r.key = want.key[3];
	journal_record_encode(rec, &r);
	CHECK_EQ(journal_record_decode(rec, &o), JOURNAL_OK);
	CHECK_EQ(o.kind, JOURNAL_KIND_CREDIT);
	CHECK_EQ(o.slot, SETTLE_KEYS - 1);
	CHECK(o.key.used && o.key.slot == 5 && o.key.scale == 9 && o.key.engine_amount == 777);
	CHECK_MEM(o.key.digest, want.key[3].digest, SETTLE_DIGEST);
	r.slot = (uint16_t)SETTLE_KEYS;
	journal_record_encode(rec, &r);
	CHECK_EQ(journal_record_decode(rec, &o), JOURNAL_BAD);   /* index */
	r.slot = 0;
	journal_record_encode(rec, &r);
	rec[60] = 1;
	rec_refix(rec);
	CHECK_EQ(journal_record_decode(rec, &o), JOURNAL_BAD);   /* reserved */

	/* Replay: one group [peer 2 with its settlement, credit key 3]. */
	tw_start(&base, 3, 10, 20);
	memset(&r, 0, sizeof(r));
	r.gen = 3;
	r.durable_seq = 9;
	r.seq = 10;
	r.slot = 2;
	r.balance = 150;
	r.fulfilled = 3;
	r.flags = LEDGER_SLOT_USED;
	r.settling = 50;
	r.settle_key = 0x1234;
	put_raw(20, &r);
	memset(&r, 0, sizeof(r));
	r.kind = JOURNAL_KIND_CREDIT;
	r.gen = 3;
	r.durable_seq = 9;
	r.seq = 11;
	r.slot = 3;
	r.group_end = true;
	r.key = want.key[3];
	put_raw(21, &r);
	want = base;
	want.peer[2].balance = 150;
	want.peer[2].settling = 50;
	want.peer[2].settle_key = 0x1234;
	want.key[3] = r.key;
	exp = W.pos;
	exp.seq = 12;
	exp.ring_pos = 22;
	RECOVERS(&want, &exp, false);
	/* without its group end, the group is dropped */
	r.group_end = false;
	put_raw(21, &r);
	exp.seq = 10;
	exp.ring_pos = 20;
	RECOVERS(&base, &exp, false);
	/* a credit for a peer not in the image, a key index twice: INVALID */
	r.group_end = true;
	r.key.slot = 1;
	put_raw(21, &r);
	CHECK_EQ(recover(&n, &bad), JOURNAL_INVALID);
	CHECK_EQ(bad, 11);
	r.key.slot = 5;
	r.group_end = false;
	put_raw(21, &r);
	r.seq = 12;
	r.group_end = true;
	put_raw(22, &r);
	CHECK_EQ(recover(&n, &bad), JOURNAL_INVALID);
	CHECK_EQ(bad, 12);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-fixture") == 0)
		return write_fixture(argv[2]);
	TH_RUN(test_crc32c);
	TH_RUN(test_snapshot_roundtrip);
	TH_RUN(test_record_roundtrip);
	TH_RUN(test_snapshot_refusals);
	TH_RUN(test_record_refusals);
	TH_RUN(test_replay_rules);
	TH_RUN(test_torn_records);
	TH_RUN(test_rotation_crash);
	TH_RUN(test_bit_flips);
	TH_RUN(test_ring_wrap);
	TH_RUN(test_fixture);
	TH_RUN(test_release_markers);
	TH_RUN(test_settlement_v2);
	return th_finish();
}
