/*
 * journal.h - the on-storage format of the durable ledger: two snapshot
 * slots (A/B) and a ring of fixed-size journal records. Pure: it encodes
 * and decodes bytes and replays records into an image; it never touches a
 * device (firmware/persist.c does, through hal/hal_store.h).
 *
 * Layout of the state area (JOURNAL_AREA_SIZE bytes, all integers
 * big-endian, so a file written on one architecture is read on any other):
 *   [0, JOURNAL_SNAP_BYTES)                    snapshot slot A
 *   [JOURNAL_SNAP_BYTES, 2*JOURNAL_SNAP_BYTES)  snapshot slot B
 *   [2*JOURNAL_SNAP_BYTES, +JOURNAL_RING_RECORDS*JOURNAL_RECORD_SIZE)  ring
 * A snapshot (journal_snapshot_encode) holds the node address, and for
 * every used peer slot (and only those: slot number, name, balance,
 * fulfilled count, ledger flags), its generation `gen`, the ring size it
 * was written with, and where the journal continues after it (ring
 * position and record sequence number), all under one CRC-32C. Its bytes
 * depend only on the image, never on the board's limits, so a snapshot
 * written by one board or architecture decodes on any other whose limits
 * hold it (the caller then checks the ring size: JOURNAL_GEOMETRY).
 *
 * A journal record (JOURNAL_RECORD_SIZE = 64 bytes) holds the new state of
 * one peer slot (absolute balance, fulfilled count, flags: replaying it
 * twice changes nothing), its sequence number (consecutive, mod 2^32), the
 * low 32 bits of the generation of the snapshot it follows, the sequence
 * number of the last record known durable when it was written, a
 * group-end flag, and a CRC-32C. The records written for one commit (one
 * per changed peer) form a group; a group is applied whole or not at all.
 *
 * A release marker (kind 2, JOURNAL_KIND_RELEASED) is a group of its own
 * (group end set, slot 0): "every group before my seq has had its held
 * output released". It carries the boot id (16 bytes, all zero when the
 * board has none) of the boot that wrote it. The writer puts it in the
 * ring (no sync of its own: the next group's sync covers it) when a
 * group's sync completes, just before the output waiting for that group
 * goes, and right after every snapshot in sync mode. Replay reports the
 * last marker of the live part (marker, marker_seq, marker_boot); a second
 * replay with limit set applies only the groups with seq <= limit_seq and
 * counts the others (dropped_groups, dropped_records) - persist.c does
 * that when the last marker was written in the current boot: the process
 * died but the page cache did not, so every group after the marker was
 * written but its output never left.
 *
 * Recovery: the valid snapshot with the highest gen, then the records from
 * its ring position while each is valid (CRC), has the expected sequence
 * number and the snapshot's gen; complete groups are applied. The first
 * record that is not is the end of the journal - unless a later valid
 * record of the same gen claims (durable_seq) that the record at the end
 * was already durable: then the journal is damaged (JOURNAL_CORRUPT), not
 * merely torn by a crash. Records are 8 to a sector and never straddle
 * one; a snapshot slot is rewritten only when it is the older one.
 *
 * Writer rules (firmware/persist.c) that the checks above rely on:
 *  - durable_seq is INCLUSIVE: the seq of the last record already on
 *    stable storage (synced) when this record is written, or snap.seq - 1
 *    when none of this generation is synced yet. It is always before the
 *    record's own seq (else JOURNAL_INVALID). The rule is: a valid record
 *    of the same gen after the end with (int32_t)(durable_seq - end_seq)
 *    >= 0 -> JOURNAL_CORRUPT.
 *  - a snapshot is written AND synced before any record of its gen; so a
 *    valid record with gen32 == (uint32_t)(snap.gen + 1) after the end of
 *    the live part means the newer snapshot was durable but is unreadable:
 *    also JOURNAL_CORRUPT.
 *  - every new snapshot (rotation, start-up) has a gen greater than any
 *    gen in the area: the recovered gen + 1. A reset cannot know the gen
 *    of a damaged slot, whose records may still be in the ring (and a
 *    record of the new gen, or of new gen + 1, would be read as live or
 *    as CORRUPT): it must zero the whole ring before it writes its first
 *    snapshot (or use a gen above every gen32 of a CRC-valid ring record
 *    and every readable slot's gen, plus 2).
 * Limit: damage to the LAST synced group that no later record vouches for
 * (no later group written yet) is indistinguishable from a torn tail: that
 * group is dropped and the state before it - an earlier synced state - is
 * recovered. Likewise damage to the newest snapshot before any record of
 * its gen was written recovers the older slot plus its journal, which is
 * the same state. Any other single bit flip in the durable range is
 * either harmless (the older snapshot slot, records behind the newest
 * snapshot: the same final state) or refused as JOURNAL_CORRUPT (the
 * newest snapshot once its gen has records, any synced group that a later
 * group vouches for); tests/unit/test_journal.c flips every bit.
 *
 * Versioning: JOURNAL_VERSION in every snapshot; a newer version is
 * refused (JOURNAL_NEWER), never guessed at. Version 2 (settlement, issue
 * 15) adds per peer the open settlement (settling amount and its
 * Idempotency-Key, ilp/settle.h) and the table of recent incoming credit
 * keys: in snapshots (after the peer entries: settle entries of 24 bytes
 * and key entries of 32, counted in the header), in peer records (bytes
 * 44..59) and in credit-key records (kind 3, JOURNAL_KIND_CREDIT). A
 * snapshot without any of it is written as version 1, byte for byte as
 * before; version 1 is read as "no settlement state". An older ilpd reads
 * a version 2 snapshot as NEWER and a record with settlement state as
 * damaged: it refuses the file rather than drop the state.
 *
 * Memory: struct journal_image ~ ILPD_MAX_PEERS * 64 + ILPD_ADDRESS_MAX
 * bytes; struct journal_replay ~ ILPD_MAX_PEERS * 66 + ~112 bytes (host
 * board: 4,360 and ~4,336; rpi: 2,312 and ~2,224; router: 648 and ~640).
 * No heap.
 */
#ifndef ILP_JOURNAL_H
#define ILP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_opts.h"

#include "ilp/settle.h"

#define JOURNAL_VERSION 2u
#define JOURNAL_RECORD_SIZE 64u

/* Records in the ring (board option; a power of two is not required). A
 * snapshot is taken when half of them have been written since the last. */
#ifndef ILPD_JOURNAL_RECORDS
#define ILPD_JOURNAL_RECORDS 4096u
#endif
#define JOURNAL_RING_RECORDS ((uint32_t)ILPD_JOURNAL_RECORDS)

/* Snapshot: 64-byte header, the address (at most ILPD_ADDRESS_MAX bytes),
 * 64 bytes per used peer slot, 4-byte CRC; the slot's space is rounded up
 * to 4 KiB (a flash page). */
#define JOURNAL_SNAP_HEADER 64u
#define JOURNAL_SNAP_PEER 64u
#define JOURNAL_SNAP_USED (JOURNAL_SNAP_HEADER + ILPD_ADDRESS_MAX + \
			   ILPD_MAX_PEERS * JOURNAL_SNAP_PEER + 4u)
#define JOURNAL_SNAP_BYTES (((JOURNAL_SNAP_USED) + 4095u) / 4096u * 4096u)
/* Version 2's settle (open settlement) and credit-key entries; they must
 * fit the slot as sized above (the area's geometry does not change). */
#define JOURNAL_SNAP_SETTLE 24u
#define JOURNAL_SNAP_KEY 32u
#define JOURNAL_SNAP_USED_V2 (JOURNAL_SNAP_USED + ILPD_MAX_PEERS * JOURNAL_SNAP_SETTLE + \
			      SETTLE_KEYS * JOURNAL_SNAP_KEY)
#define JOURNAL_RING_OFFSET (2u * JOURNAL_SNAP_BYTES)
#define JOURNAL_AREA_SIZE (JOURNAL_RING_OFFSET + JOURNAL_RING_RECORDS * JOURNAL_RECORD_SIZE)

enum journal_result {
	JOURNAL_OK = 0,
	JOURNAL_EMPTY = 1,      /* a snapshot slot never written (all zero) */
	JOURNAL_BAD = -1,       /* bad magic, CRC or field: torn or damaged */
	JOURNAL_NEWER = -2,     /* written by a newer format version */
	JOURNAL_GEOMETRY = -3,  /* other peer-slot count, address size or ring size */
	JOURNAL_CORRUPT = -4,   /* damage inside the durable part of the journal */
	JOURNAL_INVALID = -5    /* a valid record with impossible content */
};

/* CRC-32C (Castagnoli, reflected, init and final xor 0xFFFFFFFF):
 * journal_crc32c("123456789", 9) == 0xE3069283. */
uint32_t journal_crc32c(uint32_t crc, const void *data, size_t len);

struct journal_peer {
	bool used;
	char name[ILPD_PEER_NAME_MAX + 1];  /* NUL-terminated */
	int64_t balance;
	uint64_t fulfilled;                 /* ledger_slot.fulfilled_count */
	uint32_t flags;                     /* ledger_slot.flags (LEDGER_SLOT_*) */
	uint64_t settling;                  /* open settlement (settle.h), 0: none */
	uint64_t settle_key;                /* its Idempotency-Key */
};

/* A remembered incoming credit (settle.h's struct settle_key_entry). */
struct journal_key {
	bool used;
	uint8_t scale;
	uint16_t slot;                      /* peer slot (image numbering) */
	uint8_t digest[SETTLE_DIGEST];
	uint64_t engine_amount;
};

/* What a snapshot holds, and what recovery rebuilds. Indexed by the
 * ledger's slot number. */
struct journal_image {
	uint16_t address_len;
	uint8_t address[ILPD_ADDRESS_MAX];
	struct journal_peer peer[ILPD_MAX_PEERS];
	struct journal_key key[SETTLE_KEYS];  /* by table index */
};

/* Where the journal continues after a snapshot. */
struct journal_pos {
	uint64_t gen;           /* snapshot generation, >= 1 */
	uint32_t seq;           /* sequence number of the next record */
	uint32_t ring_pos;      /* ring index (record number) of the next record */
	uint32_t ring_records;  /* ring size written with (encode: JOURNAL_RING_RECORDS) */
};

/* Writes the snapshot of img at pos into buf (at least JOURNAL_SNAP_BYTES
 * bytes; the unused tail is zeroed). Returns JOURNAL_SNAP_BYTES. */
size_t journal_snapshot_encode(uint8_t *buf, const struct journal_image *img,
			       const struct journal_pos *pos);

/* Reads a snapshot slot (len >= JOURNAL_SNAP_BYTES). JOURNAL_OK with *img
 * and *pos; JOURNAL_EMPTY if every byte is zero; JOURNAL_BAD, NEWER or
 * GEOMETRY otherwise (then *img and *pos are unspecified). */
int journal_snapshot_decode(const uint8_t *buf, size_t len, struct journal_image *img,
			    struct journal_pos *pos);

#define JOURNAL_KIND_PEER 1u
#define JOURNAL_KIND_RELEASED 2u
#define JOURNAL_KIND_CREDIT 3u
#define JOURNAL_BOOT_ID 16u

struct journal_record {
	uint8_t kind;           /* JOURNAL_KIND_*; 0 encodes as PEER */
	uint32_t seq;
	uint32_t gen;           /* low 32 bits of the snapshot generation */
	uint32_t durable_seq;   /* last record known durable when written */
	uint16_t slot;
	bool group_end;
	int64_t balance;
	uint64_t fulfilled;
	uint32_t flags;
	uint8_t boot_id[JOURNAL_BOOT_ID];  /* RELEASED only */
	uint64_t settling;      /* PEER: open settlement (version 2) */
	uint64_t settle_key;
	struct journal_key key; /* CREDIT: the entry; slot above = its index */
};

/* Encodes / decodes one record. Decode: JOURNAL_OK, JOURNAL_EMPTY (all
 * zero) or JOURNAL_BAD (CRC, unknown kind, non-zero reserved bytes, a
 * marker without group end or with a slot). */
void journal_record_encode(uint8_t out[JOURNAL_RECORD_SIZE], const struct journal_record *r);
int journal_record_decode(const uint8_t in[JOURNAL_RECORD_SIZE], struct journal_record *r);

/* Replays the ring after a snapshot. Feed every ring record in ring order
 * starting at the snapshot's ring_pos (JOURNAL_RING_RECORDS of them, wrapping
 * around), then call journal_replay_end(). */
struct journal_replay {
	struct journal_image *img;
	struct journal_pos start;    /* the snapshot's position */
	uint32_t fed;                /* records fed so far */
	uint32_t expect_seq;         /* next sequence number in the live part */
	bool ended;                  /* the live part has ended */
	uint32_t end_seq;            /* sequence number where it ended */
	uint32_t applied_seq_next;   /* seq after the last applied group */
	uint32_t applied_records;    /* ring records of applied groups (markers too) */
	int result;                  /* JOURNAL_OK or the first error */
	uint32_t bad_seq;            /* for JOURNAL_CORRUPT / INVALID */
	bool limited;                /* set after begin: apply seq <= limit_seq only */
	uint32_t limit_seq;
	bool marker;                 /* the live part has a release marker: */
	uint32_t marker_seq;         /* the last one's seq */
	uint8_t marker_boot[JOURNAL_BOOT_ID];  /* and boot id */
	uint32_t dropped_groups;     /* complete groups past limit_seq (limited) */
	uint32_t dropped_records;
	/* The group being collected: new states per slot, applied at its end. */
	uint16_t group_n;
	uint16_t group_slot[ILPD_MAX_PEERS];
	struct journal_peer group_val[ILPD_MAX_PEERS];
	uint16_t group_kn;      /* credit-key records of the group */
	uint16_t group_kidx[SETTLE_KEYS];
	struct journal_key group_key[SETTLE_KEYS];
};

void journal_replay_begin(struct journal_replay *rp, struct journal_image *img,
			  const struct journal_pos *snap);
/* After begin: apply only the groups whose records have seq <= seq (the
 * live part is read and checked as without a limit; *next then follows
 * the last applied group). */
static inline void journal_replay_limit(struct journal_replay *rp, uint32_t seq)
{
	rp->limited = true;
	rp->limit_seq = seq;
}
void journal_replay_feed(struct journal_replay *rp, const uint8_t rec[JOURNAL_RECORD_SIZE]);
/* JOURNAL_OK with *next (where the next record goes: after the last
 * complete group; gen stays the snapshot's), or JOURNAL_CORRUPT /
 * JOURNAL_INVALID with the record's sequence number in *bad_seq. */
int journal_replay_end(struct journal_replay *rp, struct journal_pos *next, uint32_t *bad_seq);

/* Byte offset of ring record `index` in the area. */
static inline uint32_t journal_ring_offset(uint32_t index)
{
	return JOURNAL_RING_OFFSET + (index % JOURNAL_RING_RECORDS) * JOURNAL_RECORD_SIZE;
}

#endif /* ILP_JOURNAL_H */
