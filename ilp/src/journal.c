/*
 * journal.c - the on-storage format of the durable ledger (see journal.h):
 * CRC-32C, snapshot and record encoding, and journal replay.
 *
 * Pure: no I/O, no clock, no heap; only string.h from libc. Memory: the
 * 1 KiB CRC table (const), and what the caller passes in.
 *
 * IMPLEMENTATION NOTES
 * Every integer is big-endian; signed ones are two's complement, converted
 * without implementation-defined casts (as in ledger.c).
 *
 * Snapshot slot (bytes [0, used) meaningful, the rest zero when encoded):
 *   off  len  field
 *     0    8  magic "ILPDLDGR"
 *     8    2  version (JOURNAL_VERSION); greater -> JOURNAL_NEWER
 *    10    2  reserved, zero
 *    12    4  used: total length incl. the CRC = 64 + address_len +
 *             64 * peer_count + 4
 *    16    8  gen (>= 1)
 *    24    4  seq: sequence number of the next journal record
 *    28    4  ring_pos: ring index of the next record (< ring_records)
 *    32    4  ring_records: ring size it was written with (>= 1)
 *    36    2  peer_count (used slots only)
 *    38    2  address_len
 *    40    2  version 2: settle entry count m (else zero)
 *    42    2  version 2: key entry count k (else zero)
 *    44   20  reserved, zero
 *    64    A  address bytes (A = address_len, no padding)
 *  64+A  64n  peer entries, strictly ascending slot numbers
 *   ...  24m  version 2: settle entries, strictly ascending slots, each
 *             a used peer's: slot (2), zero (6), settling (8, non-zero),
 *             Idempotency-Key (8)
 *   ...  32k  version 2: key entries, strictly ascending index: digest
 *             (16), engine amount (8), peer slot (2, a used peer), scale
 *             (1), index (1, < SETTLE_KEYS), zero (4)
 *  used-4  4  CRC-32C of bytes [0, used-4)
 * used = 64 + A + 64n + 24m + 32k + 4. Version 1 is written when m = k = 0.
 * Peer entry (64 bytes):
 *     0    2  slot (< ILPD_MAX_PEERS, else JOURNAL_GEOMETRY)
 *     2    1  name_len (1..ILPD_PEER_NAME_MAX; up to 32 fits the field,
 *             more than this board's maximum -> JOURNAL_GEOMETRY)
 *     3    1  reserved, zero
 *     4   32  name, an address segment [A-Za-z0-9_~-], zero padded
 *    36    8  balance (int64)
 *    44    8  fulfilled count
 *    52    4  ledger flags (LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT only)
 *    56    8  reserved, zero
 * Decode order: all-zero slot -> EMPTY; magic -> BAD; version -> NEWER (a
 * newer version may move everything after it, so it is judged before the
 * CRC); header consistency (used matches the counts, reserved zero) ->
 * BAD; a snapshot longer than the buffer -> GEOMETRY when its counts
 * exceed this board's limits, else BAD; CRC -> BAD; then counts and slot
 * numbers beyond this board -> GEOMETRY, any other bad field -> BAD. So
 * a GEOMETRY answer comes from a CRC-checked snapshot whenever the
 * snapshot fits in the buffer. The ring size is the caller's check.
 *
 * Journal record (64 bytes):
 *     0    4  CRC-32C of bytes [4, 64)
 *     4    1  kind (1 = peer state)
 *     5    1  record flags: bit 0 group end; other bits zero
 *     6    2  slot
 *     8    4  seq
 *    12    4  gen32: low 32 bits of the snapshot generation
 *    16    4  durable_seq (see below)
 *    20    4  reserved, zero
 *    24    8  balance (int64)
 *    32    8  fulfilled count
 *    40    4  ledger flags (LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT only)
 *    44    8  open settlement amount (version 2; 0: none)
 *    52    8  its Idempotency-Key (0 when none)
 *    60    4  reserved, zero
 * Credit-key record (kind 3, version 2): flags as a peer record's (part of
 * a group), slot = the key's table index (< SETTLE_KEYS), bytes 24..40
 * digest, 40..48 engine amount, 48..50 peer slot (used in the image), 50
 * scale, the rest zero. A group holds each index at most once.
 * Release marker (kind 2): flags = group end (required), slot 0, seq, gen32,
 * durable_seq as above, bytes 24..40 the boot id, every other byte zero.
 * An all-zero record is EMPTY (a never-written ring entry); its CRC field
 * could never match, since the CRC-32C of 60 zero bytes is not zero.
 *
 * durable_seq is INCLUSIVE: the sequence number of the last record that
 * was on stable storage when this record was written - the writer's last
 * synced record - or snap.seq - 1 when none of this generation is synced
 * yet. It must precede the record's own seq ((int32_t)(seq - durable_seq)
 * > 0), else the record is JOURNAL_INVALID.
 *
 * Replay (journal_replay_*): the live part is the run of records from the
 * snapshot's ring position that decode OK, carry the expected seq
 * (snap.seq, snap.seq+1, ...) and gen32 == (uint32_t)snap.gen. Records of
 * a group are collected and applied to the image at the group-end record;
 * a group is JOURNAL_INVALID when a record names a slot that is not used
 * in the image (or >= ILPD_MAX_PEERS), or the same slot twice (so a group
 * never has more than ILPD_MAX_PEERS records). The first record that is
 * not live ends the live part at end_seq = the seq it should have had; a
 * trailing incomplete group is dropped. Every record from there on (that
 * one included) that decodes OK with the same gen32 and
 * (int32_t)(durable_seq - end_seq) >= 0 says that record end_seq was
 * durable: the journal is damaged -> JOURNAL_CORRUPT, bad_seq = end_seq.
 * The writer's records of an unsynced group carry the previous synced seq,
 * which is < end_seq whenever end_seq lies in an unsynced group, so a
 * crash (torn or lost unsynced writes) never reads as CORRUPT.
 * A release marker (kind 2) in the live part is a group of one record that
 * changes no peer (applied_records counts it: it holds a ring position);
 * one inside an open group, or with durable_seq not before its seq, is
 * JOURNAL_INVALID. The last one's seq and boot id are reported. With a
 * limit (journal_replay_limit), a complete group whose last seq is past
 * limit_seq is checked like any other but not applied (dropped_groups,
 * dropped_records), so *next follows the last group up to the limit.
 * Likewise a valid record of the NEXT generation (gen32 == snap gen + 1)
 * anywhere after the end: the writer syncs a snapshot before it writes any
 * record of its generation, so that newer snapshot was durable and is now
 * unreadable: JOURNAL_CORRUPT, bad_seq = end_seq (instead of silently
 * recovering the older snapshot without the newer records).
 * Limit: damage to the last synced group that no later record vouches for
 * looks exactly like a torn tail: that group is dropped (the state before
 * it, an earlier synced state, is recovered). See journal.h.
 */
#include "ilp/journal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ilp/ledger.h"

#define SNAP_MAGIC "ILPDLDGR"
#define SNAP_NAME_FIELD 32u
#define REC_KIND_PEER JOURNAL_KIND_PEER
#define REC_KIND_RELEASED JOURNAL_KIND_RELEASED
#define REC_GROUP_END 0x01u
#define LEDGER_FLAGS_KNOWN (LEDGER_SLOT_USED | LEDGER_SLOT_EXEMPT)

_Static_assert(ILPD_PEER_NAME_MAX <= SNAP_NAME_FIELD,
	       "a peer name must fit the snapshot's 32-byte name field");
_Static_assert(ILPD_MAX_PEERS <= 0xFFFF && ILPD_ADDRESS_MAX <= 0xFFFF,
	       "the snapshot stores slot numbers and lengths in 16 bits");
_Static_assert(JOURNAL_SNAP_HEADER + ILPD_ADDRESS_MAX + ILPD_MAX_PEERS * JOURNAL_SNAP_PEER + 4u
	       <= JOURNAL_SNAP_BYTES, "the largest snapshot fits its slot");
_Static_assert(JOURNAL_RING_RECORDS >= 2, "the ring holds at least two records");
_Static_assert(JOURNAL_SNAP_USED_V2 <= JOURNAL_SNAP_BYTES,
	       "version 2's settlement entries fit the snapshot slot as sized by version 1");
_Static_assert(SETTLE_KEYS <= 256, "a key entry stores its index in one byte");

/* ---- CRC-32C (reflected polynomial 0x82F63B78) ---------------------------- */

static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4,
	0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb,
	0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24,
	0x105ec76f, 0xe235446c, 0xf165b798, 0x030e349b,
	0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54,
	0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b,
	0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35,
	0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5,
	0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45,
	0xf779deae, 0x05125dad, 0x1642ae59, 0xe4292d5a,
	0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595,
	0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48,
	0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687,
	0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198,
	0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38,
	0xdbfc821c, 0x2997011f, 0x3ac7f2eb, 0xc8ac71e8,
	0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096,
	0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789,
	0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46,
	0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9,
	0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36,
	0x3cdb9bdd, 0xceb018de, 0xdde0eb2a, 0x2f8b6829,
	0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93,
	0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043,
	0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3,
	0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc,
	0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033,
	0xa24bb5a6, 0x502036a5, 0x4370c551, 0xb11b4652,
	0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d,
	0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982,
	0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622,
	0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2,
	0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530,
	0x0417b1db, 0xf67c32d8, 0xe52cc12c, 0x1747422f,
	0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0,
	0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f,
	0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90,
	0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f,
	0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1,
	0x69e9f0d5, 0x9b8273d6, 0x88d28022, 0x7ab90321,
	0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81,
	0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e,
	0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

uint32_t journal_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len-- > 0)
		crc = crc32c_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
	return ~crc;
}

/* ---- big-endian fields ---------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static uint64_t from_i64(int64_t v)
{
	return v < 0 ? ~(uint64_t)(-(v + 1)) : (uint64_t)v;
}

static int64_t to_i64(uint64_t u)
{
	return u > INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return false;
	return true;
}

/* An address segment: [A-Za-z0-9_~-]+ (ilp_packet.h's rule, kept here so
 * the format has no dependency on the packet module). */
static bool name_valid(const uint8_t *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '~' || c == '-'))
			return false;
	}
	return true;
}

/* ---- snapshot ------------------------------------------------------------- */

#define SH_MAGIC 0u
#define SH_VERSION 8u
#define SH_RES1 10u
#define SH_USED 12u
#define SH_GEN 16u
#define SH_SEQ 24u
#define SH_RING_POS 28u
#define SH_RING_RECORDS 32u
#define SH_COUNT 36u
#define SH_ADDR_LEN 38u
#define SH_SETTLE_COUNT 40u
#define SH_KEY_COUNT 42u
#define SH_RES2 44u

#define SP_SLOT 0u
#define SP_NAME_LEN 2u
#define SP_RES1 3u
#define SP_NAME 4u
#define SP_BALANCE 36u
#define SP_FULFILLED 44u
#define SP_FLAGS 52u
#define SP_RES2 56u

static size_t snap_used(size_t addr_len, size_t count, size_t m, size_t k)
{
	return JOURNAL_SNAP_HEADER + addr_len + count * JOURNAL_SNAP_PEER +
	       m * JOURNAL_SNAP_SETTLE + k * JOURNAL_SNAP_KEY + 4u;
}

size_t journal_snapshot_encode(uint8_t *buf, const struct journal_image *img,
			       const struct journal_pos *pos)
{
	size_t i, count = 0, used, alen = img->address_len, off, m = 0, k = 0;

	if (alen > ILPD_ADDRESS_MAX)
		alen = ILPD_ADDRESS_MAX;   /* our bug: never write past the slot */
	memset(buf, 0, JOURNAL_SNAP_BYTES);
	memcpy(buf + SH_MAGIC, SNAP_MAGIC, 8);
	put16(buf + SH_VERSION, JOURNAL_VERSION);
	put64(buf + SH_GEN, pos->gen);
	put32(buf + SH_SEQ, pos->seq);
	put32(buf + SH_RING_POS, pos->ring_pos);
	put32(buf + SH_RING_RECORDS, pos->ring_records);
	put16(buf + SH_ADDR_LEN, (uint16_t)alen);
	memcpy(buf + JOURNAL_SNAP_HEADER, img->address, alen);
	off = JOURNAL_SNAP_HEADER + alen;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct journal_peer *pe = &img->peer[i];
		uint8_t *e = buf + off;
		size_t nlen;

		if (!pe->used)
			continue;
		for (nlen = 0; nlen < ILPD_PEER_NAME_MAX && pe->name[nlen] != '\0'; nlen++)
			;
		put16(e + SP_SLOT, (uint16_t)i);
		e[SP_NAME_LEN] = (uint8_t)nlen;
		memcpy(e + SP_NAME, pe->name, nlen);
		put64(e + SP_BALANCE, from_i64(pe->balance));
		put64(e + SP_FULFILLED, pe->fulfilled);
		put32(e + SP_FLAGS, pe->flags);
		off += JOURNAL_SNAP_PEER;
		count++;
	}
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct journal_peer *pe = &img->peer[i];

		if (!pe->used || pe->settling == 0)
			continue;
		put16(buf + off, (uint16_t)i);
		put64(buf + off + 8, pe->settling);
		put64(buf + off + 16, pe->settle_key);
		off += JOURNAL_SNAP_SETTLE;
		m++;
	}
	for (i = 0; i < SETTLE_KEYS; i++) {
		const struct journal_key *ke = &img->key[i];

		if (!ke->used || ke->slot >= ILPD_MAX_PEERS || !img->peer[ke->slot].used)
			continue;
		memcpy(buf + off, ke->digest, SETTLE_DIGEST);
		put64(buf + off + 16, ke->engine_amount);
		put16(buf + off + 24, ke->slot);
		buf[off + 26] = ke->scale;
		buf[off + 27] = (uint8_t)i;
		off += JOURNAL_SNAP_KEY;
		k++;
	}
	if (m != 0 || k != 0) {
		put16(buf + SH_VERSION, 2u);
		put16(buf + SH_SETTLE_COUNT, (uint16_t)m);
		put16(buf + SH_KEY_COUNT, (uint16_t)k);
	} else {
		put16(buf + SH_VERSION, 1u);
	}
	used = snap_used(alen, count, m, k);
	put16(buf + SH_COUNT, (uint16_t)count);
	put32(buf + SH_USED, (uint32_t)used);
	put32(buf + used - 4u, journal_crc32c(0, buf, used - 4u));
	return JOURNAL_SNAP_BYTES;
}

/* One peer entry; *slot set. JOURNAL_OK, BAD or GEOMETRY. */
static int snap_peer_decode(const uint8_t *e, struct journal_image *img, uint16_t *slot)
{
	struct journal_peer *pe;
	uint8_t nlen = e[SP_NAME_LEN];
	uint32_t flags = get32(e + SP_FLAGS);

	*slot = get16(e + SP_SLOT);
	if (e[SP_RES1] != 0 || !all_zero(e + SP_RES2, JOURNAL_SNAP_PEER - SP_RES2) ||
	    nlen > SNAP_NAME_FIELD || !name_valid(e + SP_NAME, nlen) ||
	    !all_zero(e + SP_NAME + nlen, SNAP_NAME_FIELD - nlen) ||
	    (flags & ~(uint32_t)LEDGER_FLAGS_KNOWN) != 0)
		return JOURNAL_BAD;
	if (*slot >= ILPD_MAX_PEERS || nlen > ILPD_PEER_NAME_MAX)
		return JOURNAL_GEOMETRY;
	pe = &img->peer[*slot];
	pe->used = true;
	memcpy(pe->name, e + SP_NAME, nlen);
	pe->name[nlen] = '\0';
	pe->balance = to_i64(get64(e + SP_BALANCE));
	pe->fulfilled = get64(e + SP_FULFILLED);
	pe->flags = flags;
	return JOURNAL_OK;
}

int journal_snapshot_decode(const uint8_t *buf, size_t len, struct journal_image *img,
			    struct journal_pos *pos)
{
	size_t used, alen, count, i, j, off, m = 0, k = 0;
	uint16_t version, slot;
	int r, prev = -1;

	if (len < JOURNAL_SNAP_HEADER)
		return all_zero(buf, len) ? JOURNAL_EMPTY : JOURNAL_BAD;
	if (memcmp(buf + SH_MAGIC, SNAP_MAGIC, 8) != 0)
		return all_zero(buf, len) ? JOURNAL_EMPTY : JOURNAL_BAD;
	version = get16(buf + SH_VERSION);
	if (version > JOURNAL_VERSION)
		return JOURNAL_NEWER;
	if (version != 1u && version != 2u)
		return JOURNAL_BAD;
	used = get32(buf + SH_USED);
	alen = get16(buf + SH_ADDR_LEN);
	count = get16(buf + SH_COUNT);
	if (version == 2u) {
		m = get16(buf + SH_SETTLE_COUNT);
		k = get16(buf + SH_KEY_COUNT);
	}
	if (get16(buf + SH_RES1) != 0 || !all_zero(buf + SH_RES2, JOURNAL_SNAP_HEADER - SH_RES2) ||
	    (version == 1u && !all_zero(buf + SH_SETTLE_COUNT, 4)) ||
	    used != snap_used(alen, count, m, k))
		return JOURNAL_BAD;
	if (used > len)
		return count > ILPD_MAX_PEERS || alen > ILPD_ADDRESS_MAX || m > ILPD_MAX_PEERS ||
		       k > SETTLE_KEYS ? JOURNAL_GEOMETRY : JOURNAL_BAD;
	if (get32(buf + used - 4u) != journal_crc32c(0, buf, used - 4u))
		return JOURNAL_BAD;
	if (count > ILPD_MAX_PEERS || alen > ILPD_ADDRESS_MAX || m > ILPD_MAX_PEERS ||
	    k > SETTLE_KEYS)
		return JOURNAL_GEOMETRY;
	memset(pos, 0, sizeof(*pos));
	pos->gen = get64(buf + SH_GEN);
	pos->seq = get32(buf + SH_SEQ);
	pos->ring_pos = get32(buf + SH_RING_POS);
	pos->ring_records = get32(buf + SH_RING_RECORDS);
	if (pos->gen == 0 || pos->ring_records == 0 || pos->ring_pos >= pos->ring_records)
		return JOURNAL_BAD;
	memset(img, 0, sizeof(*img));
	img->address_len = (uint16_t)alen;
	memcpy(img->address, buf + JOURNAL_SNAP_HEADER, alen);
	off = JOURNAL_SNAP_HEADER + alen;
	for (i = 0; i < count; i++, off += JOURNAL_SNAP_PEER) {
		r = snap_peer_decode(buf + off, img, &slot);
		if (r != JOURNAL_OK)
			return r;
		if ((int)slot <= prev)
			return JOURNAL_BAD;   /* not ascending: duplicate or disorder */
		for (j = 0; j < (size_t)slot; j++)
			if (img->peer[j].used && strcmp(img->peer[j].name, img->peer[slot].name) == 0)
				return JOURNAL_BAD;
		prev = slot;
	}
	prev = -1;
	for (i = 0; i < m; i++, off += JOURNAL_SNAP_SETTLE) {
		const uint8_t *e = buf + off;

		slot = get16(e);
		if (!all_zero(e + 2, 6) || (int)slot <= prev || slot >= ILPD_MAX_PEERS ||
		    !img->peer[slot].used || get64(e + 8) == 0)
			return JOURNAL_BAD;
		img->peer[slot].settling = get64(e + 8);
		img->peer[slot].settle_key = get64(e + 16);
		prev = slot;
	}
	prev = -1;
	for (i = 0; i < k; i++, off += JOURNAL_SNAP_KEY) {
		const uint8_t *e = buf + off;
		struct journal_key *ke;
		uint8_t idx = e[27];

		slot = get16(e + 24);
		if (!all_zero(e + 28, 4) || (int)idx <= prev || idx >= SETTLE_KEYS ||
		    slot >= ILPD_MAX_PEERS || !img->peer[slot].used)
			return JOURNAL_BAD;
		ke = &img->key[idx];
		ke->used = true;
		memcpy(ke->digest, e, SETTLE_DIGEST);
		ke->engine_amount = get64(e + 16);
		ke->slot = slot;
		ke->scale = e[26];
		prev = idx;
	}
	return JOURNAL_OK;
}

/* ---- records -------------------------------------------------------------- */

#define RC_CRC 0u
#define RC_KIND 4u
#define RC_RFLAGS 5u
#define RC_SLOT 6u
#define RC_SEQ 8u
#define RC_GEN 12u
#define RC_DURABLE 16u
#define RC_RES1 20u
#define RC_BALANCE 24u
#define RC_FULFILLED 32u
#define RC_FLAGS 40u
#define RC_SETTLING 44u
#define RC_SETTLE_KEY 52u
#define RC_RES2 60u
#define RC_K_DIGEST 24u
#define RC_K_AMOUNT 40u
#define RC_K_SLOT 48u
#define RC_K_SCALE 50u
#define RC_K_RES 51u
#define REC_KIND_CREDIT JOURNAL_KIND_CREDIT

void journal_record_encode(uint8_t out[JOURNAL_RECORD_SIZE], const struct journal_record *r)
{
	memset(out, 0, JOURNAL_RECORD_SIZE);
	put32(out + RC_SEQ, r->seq);
	put32(out + RC_GEN, r->gen);
	put32(out + RC_DURABLE, r->durable_seq);
	if (r->kind == REC_KIND_RELEASED) {
		out[RC_KIND] = REC_KIND_RELEASED;
		out[RC_RFLAGS] = REC_GROUP_END;
		memcpy(out + RC_BALANCE, r->boot_id, JOURNAL_BOOT_ID);
	} else if (r->kind == REC_KIND_CREDIT) {
		out[RC_KIND] = REC_KIND_CREDIT;
		out[RC_RFLAGS] = r->group_end ? REC_GROUP_END : 0;
		put16(out + RC_SLOT, r->slot);
		memcpy(out + RC_K_DIGEST, r->key.digest, SETTLE_DIGEST);
		put64(out + RC_K_AMOUNT, r->key.engine_amount);
		put16(out + RC_K_SLOT, r->key.slot);
		out[RC_K_SCALE] = r->key.scale;
	} else {
		out[RC_KIND] = REC_KIND_PEER;
		out[RC_RFLAGS] = r->group_end ? REC_GROUP_END : 0;
		put16(out + RC_SLOT, r->slot);
		put64(out + RC_BALANCE, from_i64(r->balance));
		put64(out + RC_FULFILLED, r->fulfilled);
		put32(out + RC_FLAGS, r->flags);
		put64(out + RC_SETTLING, r->settling);
		put64(out + RC_SETTLE_KEY, r->settle_key);
	}
	put32(out + RC_CRC, journal_crc32c(0, out + 4, JOURNAL_RECORD_SIZE - 4u));
}

int journal_record_decode(const uint8_t in[JOURNAL_RECORD_SIZE], struct journal_record *r)
{
	if (all_zero(in, JOURNAL_RECORD_SIZE))
		return JOURNAL_EMPTY;
	if (get32(in + RC_CRC) != journal_crc32c(0, in + 4, JOURNAL_RECORD_SIZE - 4u) ||
	    (in[RC_KIND] != REC_KIND_PEER && in[RC_KIND] != REC_KIND_RELEASED &&
	     in[RC_KIND] != REC_KIND_CREDIT) ||
	    (in[RC_RFLAGS] & ~REC_GROUP_END) != 0 ||
	    !all_zero(in + RC_RES1, 4))
		return JOURNAL_BAD;
	if (in[RC_KIND] == REC_KIND_CREDIT) {
		if (get16(in + RC_SLOT) >= SETTLE_KEYS ||
		    !all_zero(in + RC_K_RES, JOURNAL_RECORD_SIZE - RC_K_RES))
			return JOURNAL_BAD;
		memset(r, 0, sizeof(*r));
		r->kind = REC_KIND_CREDIT;
		r->group_end = (in[RC_RFLAGS] & REC_GROUP_END) != 0;
		r->seq = get32(in + RC_SEQ);
		r->gen = get32(in + RC_GEN);
		r->durable_seq = get32(in + RC_DURABLE);
		r->slot = get16(in + RC_SLOT);
		r->key.used = true;
		memcpy(r->key.digest, in + RC_K_DIGEST, SETTLE_DIGEST);
		r->key.engine_amount = get64(in + RC_K_AMOUNT);
		r->key.slot = get16(in + RC_K_SLOT);
		r->key.scale = in[RC_K_SCALE];
		return JOURNAL_OK;
	}
	if (!all_zero(in + RC_RES2, JOURNAL_RECORD_SIZE - RC_RES2) ||
	    (get32(in + RC_FLAGS) & ~(uint32_t)LEDGER_FLAGS_KNOWN) != 0)
		return JOURNAL_BAD;
	if (in[RC_KIND] == REC_KIND_RELEASED &&
	    (in[RC_RFLAGS] != REC_GROUP_END || get16(in + RC_SLOT) != 0 ||
	     !all_zero(in + RC_BALANCE + JOURNAL_BOOT_ID, RC_RES2 - RC_BALANCE - JOURNAL_BOOT_ID)))
		return JOURNAL_BAD;
	if (in[RC_KIND] == REC_KIND_PEER && get64(in + RC_SETTLING) == 0 &&
	    get64(in + RC_SETTLE_KEY) != 0)
		return JOURNAL_BAD;   /* a key without a settlement */
	memset(r, 0, sizeof(*r));
	r->kind = in[RC_KIND];
	r->group_end = (in[RC_RFLAGS] & REC_GROUP_END) != 0;
	r->seq = get32(in + RC_SEQ);
	r->gen = get32(in + RC_GEN);
	r->durable_seq = get32(in + RC_DURABLE);
	if (r->kind == REC_KIND_RELEASED) {
		memcpy(r->boot_id, in + RC_BALANCE, JOURNAL_BOOT_ID);
		return JOURNAL_OK;
	}
	r->slot = get16(in + RC_SLOT);
	r->balance = to_i64(get64(in + RC_BALANCE));
	r->fulfilled = get64(in + RC_FULFILLED);
	r->flags = get32(in + RC_FLAGS);
	r->settling = get64(in + RC_SETTLING);
	r->settle_key = get64(in + RC_SETTLE_KEY);
	return JOURNAL_OK;
}

/* ---- replay --------------------------------------------------------------- */

void journal_replay_begin(struct journal_replay *rp, struct journal_image *img,
			  const struct journal_pos *snap)
{
	memset(rp, 0, sizeof(*rp));
	rp->img = img;
	rp->start = *snap;
	rp->expect_seq = snap->seq;
	rp->applied_seq_next = snap->seq;
	rp->result = JOURNAL_OK;
}

static void replay_fail(struct journal_replay *rp, int result, uint32_t seq)
{
	rp->result = result;
	rp->bad_seq = seq;
}

/* Applies the collected group (rp->expect_seq is the seq after it), or
 * with a limit that it passes, counts it as dropped. n: its records. */
static void replay_apply_group(struct journal_replay *rp, uint32_t n)
{
	uint16_t k;

	if (rp->limited && (int32_t)(rp->expect_seq - 1u - rp->limit_seq) > 0) {
		rp->dropped_groups++;
		rp->dropped_records += n;
		rp->group_n = 0;
		rp->group_kn = 0;
		return;
	}
	for (k = 0; k < rp->group_n; k++) {
		struct journal_peer *pe = &rp->img->peer[rp->group_slot[k]];

		pe->balance = rp->group_val[k].balance;
		pe->fulfilled = rp->group_val[k].fulfilled;
		pe->flags = rp->group_val[k].flags;
		pe->settling = rp->group_val[k].settling;
		pe->settle_key = rp->group_val[k].settle_key;
	}
	for (k = 0; k < rp->group_kn; k++)
		rp->img->key[rp->group_kidx[k]] = rp->group_key[k];
	rp->group_kn = 0;
	rp->applied_records += n;
	rp->applied_seq_next = rp->expect_seq;
	rp->group_n = 0;
}

/* A live record: checked, collected, and its group applied at its end. */
static void replay_live(struct journal_replay *rp, const struct journal_record *r)
{
	uint16_t k;

	if (r->kind == REC_KIND_RELEASED) {
		/* A group of its own, never inside another. */
		if ((int32_t)(r->seq - r->durable_seq) <= 0 || rp->group_n != 0 ||
		    rp->group_kn != 0) {
			replay_fail(rp, JOURNAL_INVALID, r->seq);
			return;
		}
		rp->expect_seq++;
		replay_apply_group(rp, 1);
		rp->marker = true;
		rp->marker_seq = r->seq;
		memcpy(rp->marker_boot, r->boot_id, JOURNAL_BOOT_ID);
		return;
	}
	if (r->kind == REC_KIND_CREDIT) {
		if ((int32_t)(r->seq - r->durable_seq) <= 0 || r->key.slot >= ILPD_MAX_PEERS ||
		    !rp->img->peer[r->key.slot].used || rp->group_kn >= SETTLE_KEYS) {
			replay_fail(rp, JOURNAL_INVALID, r->seq);
			return;
		}
		for (k = 0; k < rp->group_kn; k++) {
			if (rp->group_kidx[k] == r->slot) {
				replay_fail(rp, JOURNAL_INVALID, r->seq);
				return;
			}
		}
		rp->group_kidx[rp->group_kn] = r->slot;
		rp->group_key[rp->group_kn] = r->key;
		rp->group_kn++;
		rp->expect_seq++;
		if (r->group_end)
			replay_apply_group(rp, (uint32_t)rp->group_n + rp->group_kn);
		return;
	}
	if ((int32_t)(r->seq - r->durable_seq) <= 0 || r->slot >= ILPD_MAX_PEERS ||
	    !rp->img->peer[r->slot].used) {
		replay_fail(rp, JOURNAL_INVALID, r->seq);
		return;
	}
	for (k = 0; k < rp->group_n; k++) {
		if (rp->group_slot[k] == r->slot) {
			replay_fail(rp, JOURNAL_INVALID, r->seq);
			return;
		}
	}
	rp->group_slot[rp->group_n] = r->slot;
	rp->group_val[rp->group_n].balance = r->balance;
	rp->group_val[rp->group_n].fulfilled = r->fulfilled;
	rp->group_val[rp->group_n].flags = r->flags;
	rp->group_val[rp->group_n].settling = r->settling;
	rp->group_val[rp->group_n].settle_key = r->settle_key;
	rp->group_n++;
	rp->expect_seq++;
	if (r->group_end)
		replay_apply_group(rp, (uint32_t)rp->group_n + rp->group_kn);
}

void journal_replay_feed(struct journal_replay *rp, const uint8_t rec[JOURNAL_RECORD_SIZE])
{
	struct journal_record r;
	uint32_t gen32 = (uint32_t)rp->start.gen;
	int d;

	if (rp->result != JOURNAL_OK || rp->fed >= JOURNAL_RING_RECORDS)
		return;
	rp->fed++;
	d = journal_record_decode(rec, &r);
	if (!rp->ended) {
		if (d == JOURNAL_OK && r.seq == rp->expect_seq && r.gen == gen32) {
			replay_live(rp, &r);
			return;
		}
		rp->ended = true;
		rp->end_seq = rp->expect_seq;
		rp->group_n = 0;   /* an incomplete trailing group is dropped */
		rp->group_kn = 0;
	}
	if (d != JOURNAL_OK)
		return;
	if ((r.gen == gen32 && (int32_t)(r.durable_seq - rp->end_seq) >= 0) ||
	    r.gen == gen32 + 1u)
		replay_fail(rp, JOURNAL_CORRUPT, rp->end_seq);
}

int journal_replay_end(struct journal_replay *rp, struct journal_pos *next, uint32_t *bad_seq)
{
	if (rp->result != JOURNAL_OK) {
		if (bad_seq != NULL)
			*bad_seq = rp->bad_seq;
		return rp->result;
	}
	rp->group_n = 0;
	rp->group_kn = 0;
	next->gen = rp->start.gen;
	next->seq = rp->applied_seq_next;
	next->ring_pos = (uint32_t)(((uint64_t)rp->start.ring_pos + rp->applied_records) %
				    JOURNAL_RING_RECORDS);
	next->ring_records = JOURNAL_RING_RECORDS;
	return JOURNAL_OK;
}
