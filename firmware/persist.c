/*
 * persist.c - the durable ledger (see persist.h): recovers the state area
 * at start-up, applies it to the switch's ledger by peer name, and writes
 * journal records and snapshots as the ledger changes.
 *
 * Layout (ilp/journal.h): snapshot slot A at 0, slot B at
 * JOURNAL_SNAP_BYTES, the ring of JOURNAL_RING_RECORDS records at
 * JOURNAL_RING_OFFSET; JOURNAL_AREA_SIZE bytes in all.
 *
 * Rules kept here:
 *   - A snapshot goes to the older slot (1 - active) and is synced before
 *     `active` flips; the journal continues at the same ring position and
 *     sequence number, its records carrying the new generation, so no
 *     record written before the snapshot can be replayed after it.
 *   - Records only ever name slots the current snapshot knows: when the
 *     ledger's set of used slots differs from the last snapshot's (a peer
 *     added or freed), the next commit is a snapshot.
 *   - A commit's records are one write (two when the ring wraps) and one
 *     sync. The sync may run while the loop goes on (commit_start ..
 *     commit_finish): p->last[] takes the group when it is written (so
 *     dirty means "not yet written"), p->pos, durable_seq and the stats
 *     move when its sync succeeded. Nothing is written while it runs (a
 *     snapshot waits for it first). A failed write or sync makes the next
 *     commit a snapshot (new generation): records of the failed attempt
 *     that did reach the disk can then never be mixed with those of a
 *     later attempt written over them.
 *   - Records since the last snapshot never exceed the ring: the first
 *     commit after half a ring (or one that would not fit) first writes a
 *     snapshot of p->last[] (released: see persist.h), then its group.
 *   - Release markers (sync mode, boot id known): after every snapshot and
 *     at ilpd_persist_released(); one write, no sync (the next group's sync
 *     covers it); never while a sync runs, never twice in a row.
 *   - Recovery reads the ring in chunks of p->buf (never the whole area).
 *
 * Memory: struct ilpd_persist (persist.h; its size per board is in the
 * memory map), no heap, no other static data but the bucket bounds.
 */
#include "persist.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hal/hal_log.h"
#include "hal/hal_time.h"
#include "ilp/ledger.h"

const uint32_t ilpd_persist_bucket_us[ILPD_PERSIST_BUCKETS - 1] = {
	100, 500, 1000, 5000, 20000, 100000, 1000000
};

/* Ring records read per chunk at recovery: all of p->buf. */
#define PERSIST_CHUNK_RECORDS (JOURNAL_SNAP_BYTES / JOURNAL_RECORD_SIZE)

_Static_assert(JOURNAL_SNAP_BYTES >= ILPD_MAX_PEERS * JOURNAL_RECORD_SIZE,
	       "p->buf holds one record per peer slot (a commit's group)");
_Static_assert(JOURNAL_RING_RECORDS >= 2u * ILPD_MAX_PEERS,
	       "half a ring holds at least one full group");

__attribute__((format(printf, 3, 4)))
static int persist_refuse(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && why_len > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *persist_name(const struct ilpd_persist *p)
{
	return p->name[0] != '\0' ? p->name : "the state area";
}

static uint32_t persist_slot_off(unsigned slot)
{
	return slot == 0 ? 0u : JOURNAL_SNAP_BYTES;
}

static void persist_sync_stats(struct ilpd_persist *p, int64_t us, int64_t now_ms)
{
	uint64_t u = us < 0 ? 0u : (uint64_t)us;
	unsigned k;

	p->stats.syncs++;
	p->stats.sync_us_sum += u;
	for (k = 0; k < ILPD_PERSIST_BUCKETS; k++) {
		if (k == ILPD_PERSIST_BUCKETS - 1 || u <= ilpd_persist_bucket_us[k])
			p->stats.sync_us_bucket[k]++;
	}
	p->stats.last_sync_ms = now_ms;
	p->stats.failed = false;
}

static void persist_failed(struct ilpd_persist *p)
{
	p->stats.failed = true;
	p->stats.sync_failures++;
	p->need_snapshot = true;
}

static bool persist_slot_used(const struct ilp_switch *sw, size_t i)
{
	return sw->peers[i].used && (sw->ledger.slot[i].flags & LEDGER_SLOT_USED) != 0;
}

struct settle_state ilpd_settle_state;

/* The credit key at table index k as the journal stores it. */
static void persist_key(size_t k, struct journal_key *out)
{
	const struct settle_key_entry *e = &ilpd_settle_state.key[k];

	memset(out, 0, sizeof(*out));
	if (!e->used)
		return;
	out->used = true;
	out->scale = e->scale;
	out->slot = e->slot;
	memcpy(out->digest, e->digest, SETTLE_DIGEST);
	out->engine_amount = e->engine_amount;
}

static bool persist_key_changed(const struct ilpd_persist *p, size_t k)
{
	struct journal_key now;

	persist_key(k, &now);
	return memcmp(&now, &p->last_key[k], sizeof(now)) != 0;
}

static void persist_remember(struct ilpd_persist *p, const struct ilp_switch *sw)
{
	size_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ledger_slot *ls = &sw->ledger.slot[i];

		p->last[i].used = persist_slot_used(sw, i);
		p->last[i].balance = p->last[i].used ? ls->balance : 0;
		p->last[i].fulfilled = p->last[i].used ? ls->fulfilled_count : 0;
		p->last[i].flags = p->last[i].used ? ls->flags : 0;
		p->last[i].settling = p->last[i].used ? ilpd_settle_state.peer[i].settling : 0;
		p->last[i].settle_key = p->last[i].used ? ilpd_settle_state.peer[i].key : 0;
	}
	for (i = 0; i < SETTLE_KEYS; i++)
		persist_key(i, &p->last_key[i]);
}

/* Writes a release marker at p->pos (see ilpd_persist_released). */
static int persist_write_marker(struct ilpd_persist *p)
{
	struct journal_record r;
	uint8_t rec[JOURNAL_RECORD_SIZE];

	if (p->st == NULL || p->mode != ILPD_DUR_SYNC || !p->boot_known || p->sync_pending ||
	    p->need_snapshot || p->marker_last ||
	    p->stats.journal_fill + 1u > JOURNAL_RING_RECORDS)
		return 0;
	memset(&r, 0, sizeof(r));
	r.kind = JOURNAL_KIND_RELEASED;
	r.seq = p->pos.seq;
	r.gen = (uint32_t)p->pos.gen;
	r.durable_seq = p->durable_seq;
	r.group_end = true;
	memcpy(r.boot_id, p->boot_id, JOURNAL_BOOT_ID);
	journal_record_encode(rec, &r);
	if (hal_store_write(p->st, journal_ring_offset(p->pos.ring_pos), rec, sizeof(rec)) !=
	    HAL_STORE_OK) {
		persist_failed(p);
		return -1;
	}
	p->stats.bytes_written += sizeof(rec);
	p->stats.records++;
	p->stats.journal_fill++;
	p->pos.seq++;
	p->pos.ring_pos = (p->pos.ring_pos + 1u) % JOURNAL_RING_RECORDS;
	p->marker_last = true;
	return 0;
}

int ilpd_persist_released(struct ilpd_persist *p)
{
	return persist_write_marker(p);
}

/* Writes a snapshot of sw's ledger to the older slot with generation
 * gen + 1 at the current journal position, and syncs. With `written`, of
 * what was last written (p->last[]: the released state when no sync runs,
 * the slot set unchanged) instead of the ledger as it is now; last[] then
 * stays, and the changes since are the next group. */
static int persist_write_snapshot(struct ilpd_persist *p, const struct ilp_switch *sw,
				  int64_t now_ms, bool written)
{
	struct journal_image *img = &p->img;
	struct journal_pos np = p->pos;
	unsigned target = 1u - p->active;
	int64_t t0;
	size_t i, n;

	/* Never a write while a group's sync runs: wait for it (its result
	 * does not matter, the snapshot holds everything). */
	if (p->sync_pending)
		(void)ilpd_persist_commit_finish(p, sw, now_ms, true);
	target = 1u - p->active;
	np = p->pos;
	memset(img, 0, sizeof(*img));
	img->address_len = (uint16_t)sw->cfg.address_len;
	memcpy(img->address, sw->address, sw->cfg.address_len);
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ledger_slot *ls = &sw->ledger.slot[i];
		struct journal_peer *pe = &img->peer[i];

		if (!persist_slot_used(sw, i))
			continue;
		pe->used = true;
		memcpy(pe->name, sw->peers[i].cfg.name, sizeof(pe->name));
		pe->name[sizeof(pe->name) - 1] = '\0';
		pe->balance = written ? p->last[i].balance : ls->balance;
		pe->fulfilled = written ? p->last[i].fulfilled : ls->fulfilled_count;
		pe->flags = written ? p->last[i].flags : ls->flags;
		pe->settling = written ? p->last[i].settling : ilpd_settle_state.peer[i].settling;
		pe->settle_key = written ? p->last[i].settle_key : ilpd_settle_state.peer[i].key;
		if (pe->settling == 0)
			pe->settle_key = 0;
	}
	for (i = 0; i < SETTLE_KEYS; i++) {
		if (written)
			img->key[i] = p->last_key[i];
		else
			persist_key(i, &img->key[i]);
	}
	np.gen = p->pos.gen + 1u;
	np.ring_records = JOURNAL_RING_RECORDS;
	n = journal_snapshot_encode(p->buf, img, &np);
	if (hal_store_write(p->st, persist_slot_off(target), p->buf, (uint32_t)n) != HAL_STORE_OK) {
		persist_failed(p);
		return -1;
	}
	p->stats.bytes_written += n;
	t0 = hal_mono_us();
	if (hal_store_sync(p->st) != HAL_STORE_OK) {
		persist_failed(p);
		return -1;
	}
	persist_sync_stats(p, hal_mono_us() - t0, now_ms);
	p->active = (uint8_t)target;
	p->pos = np;
	p->durable_seq = np.seq - 1u;
	p->stats.journal_fill = 0;
	p->stats.snapshots++;
	p->need_snapshot = false;
	p->marker_last = false;
	if (!written)
		persist_remember(p, sw);
	/* Everything in it is released right after (see persist.h). */
	(void)persist_write_marker(p);
	return 0;
}

/* ---- open: recovery ---------------------------------------------------- */

/* persist_read_slot: the store could not be read (why is set). */
#define PERSIST_READ_FAILED (-100)

/* Reads snapshot slot `slot` into p->buf and decodes it into p->img: a
 * journal_result, or PERSIST_READ_FAILED. */
static int persist_read_slot(struct ilpd_persist *p, unsigned slot, struct journal_pos *pos,
			     char *why, size_t why_len)
{
	if (hal_store_read(p->st, persist_slot_off(slot), p->buf, JOURNAL_SNAP_BYTES) !=
	    HAL_STORE_OK) {
		(void)persist_refuse(why, why_len, "state: cannot read %s: %s", persist_name(p),
				     p->st->why);
		return PERSIST_READ_FAILED;
	}
	return journal_snapshot_decode(p->buf, JOURNAL_SNAP_BYTES, &p->img, pos);
}

/* Reads ring records [first, first + n) (no wrap) into p->buf. */
static int persist_read_ring(struct ilpd_persist *p, uint32_t first, uint32_t n)
{
	return hal_store_read(p->st, journal_ring_offset(first), p->buf, n * JOURNAL_RECORD_SIZE);
}

static bool persist_all_zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* 1 if every ring byte is zero, 0 if not, -1 on a read error. */
static int persist_ring_zero(struct ilpd_persist *p)
{
	uint32_t i, n;

	for (i = 0; i < JOURNAL_RING_RECORDS; i += n) {
		n = JOURNAL_RING_RECORDS - i;
		if (n > PERSIST_CHUNK_RECORDS)
			n = PERSIST_CHUNK_RECORDS;
		if (persist_read_ring(p, i, n) != HAL_STORE_OK)
			return -1;
		if (!persist_all_zero(p->buf, (size_t)n * JOURNAL_RECORD_SIZE))
			return 0;
	}
	return 1;
}

static unsigned persist_version(const uint8_t *buf)
{
	/* journal.c: the version is the big-endian 16 bits at offset 8. */
	return (unsigned)buf[8] << 8 | buf[9];
}

/* Replays the whole ring from pos->ring_pos into p->img; *next on success. */
static int persist_replay(struct ilpd_persist *p, const struct journal_pos *pos,
			  bool limited, uint32_t limit, struct journal_pos *next, char *why,
			  size_t why_len)
{
	uint32_t done, n, k, idx, bad_seq = 0;
	int r;

	journal_replay_begin(&p->rp, &p->img, pos);
	if (limited)
		journal_replay_limit(&p->rp, limit);
	for (done = 0; done < JOURNAL_RING_RECORDS; done += n) {
		idx = (pos->ring_pos + done) % JOURNAL_RING_RECORDS;
		n = JOURNAL_RING_RECORDS - done;
		if (n > PERSIST_CHUNK_RECORDS)
			n = PERSIST_CHUNK_RECORDS;
		if (n > JOURNAL_RING_RECORDS - idx)
			n = JOURNAL_RING_RECORDS - idx;
		if (persist_read_ring(p, idx, n) != HAL_STORE_OK)
			return persist_refuse(why, why_len, "state: cannot read %s: %s",
					      persist_name(p), p->st->why);
		for (k = 0; k < n; k++)
			journal_replay_feed(&p->rp, p->buf + (size_t)k * JOURNAL_RECORD_SIZE);
	}
	r = journal_replay_end(&p->rp, next, &bad_seq);
	if (r == JOURNAL_CORRUPT)
		return persist_refuse(why, why_len,
				      "state: journal damaged at record %" PRIu32 " inside its "
				      "durable part (%s); restore it from a backup, or use "
				      "--reset-ledger to start over", bad_seq, persist_name(p));
	if (r != JOURNAL_OK)
		return persist_refuse(why, why_len,
				      "state: journal record %" PRIu32 " in %s is invalid; restore "
				      "it from a backup, or use --reset-ledger to start over",
				      bad_seq, persist_name(p));
	return 0;
}

int ilpd_persist_open_named(struct ilpd_persist *p, struct hal_store *st, const char *name,
			    enum ilpd_durability mode, int64_t interval_ms, char *why,
			    size_t why_len)
{
	struct journal_pos pa, pb, pos, next;
	int ra, rb, z;
	unsigned best;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->mode = (uint8_t)mode;
	p->interval_ms = interval_ms;
	for (i = 0; name != NULL && name[i] != '\0' && i + 1 < sizeof(p->name); i++)
		p->name[i] = name[i];
	if (mode == ILPD_DUR_OFF)
		return 0;
	if (st == NULL)
		return persist_refuse(why, why_len, "state: no state area to open");
	p->st = st;
	p->boot_known = hal_boot_id(p->boot_id);
	/* Until recovery succeeds, load() accepts only a reset. */
	p->refused = true;
	p->pos.seq = 1;
	p->pos.ring_records = JOURNAL_RING_RECORDS;
	p->active = 1;   /* the first snapshot goes to slot A */
	if (st->size != JOURNAL_AREA_SIZE)
		return persist_refuse(why, why_len,
				      "state: %s is %" PRIu32 " bytes, this ilpd's state area is %u "
				      "(another board?)", persist_name(p), st->size,
				      (unsigned)JOURNAL_AREA_SIZE);

	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	ra = persist_read_slot(p, 0, &pa, why, why_len);
	if (ra == JOURNAL_NEWER)
		return persist_refuse(why, why_len,
				      "state: %s was written by a newer ilpd (format version %u, "
				      "this one reads %u); run that version",
				      persist_name(p), persist_version(p->buf), JOURNAL_VERSION);
	if (ra == PERSIST_READ_FAILED)
		return -1;
	rb = persist_read_slot(p, 1, &pb, why, why_len);
	if (rb == JOURNAL_NEWER)
		return persist_refuse(why, why_len,
				      "state: %s was written by a newer ilpd (format version %u, "
				      "this one reads %u); run that version",
				      persist_name(p), persist_version(p->buf), JOURNAL_VERSION);
	if (rb == PERSIST_READ_FAILED)
		return -1;
	/* Keep the highest generation seen (even of a slot we cannot use) so a
	 * reset still moves past every record of it. */
	if (ra == JOURNAL_OK && pa.gen > p->pos.gen)
		p->pos.gen = pa.gen;
	if (rb == JOURNAL_OK && pb.gen > p->pos.gen)
		p->pos.gen = pb.gen;
	if (ra == JOURNAL_GEOMETRY || rb == JOURNAL_GEOMETRY)
		return persist_refuse(why, why_len,
				      "state: %s was written by an ilpd built for another board "
				      "(more peer slots or a longer address); run that build, or "
				      "use --reset-ledger to start over", persist_name(p));
	if (ra != JOURNAL_OK && rb != JOURNAL_OK) {
		if (ra == JOURNAL_EMPTY && rb == JOURNAL_EMPTY) {
			z = persist_ring_zero(p);
			if (z < 0)
				return persist_refuse(why, why_len, "state: cannot read %s: %s",
						      persist_name(p), p->st->why);
			if (z == 1) {
				/* A new area: load() writes the first snapshot. */
				p->refused = false;
				return 0;
			}
		}
		return persist_refuse(why, why_len,
				      "state: no valid snapshot in %s (both slots damaged); "
				      "refusing to start from zero - use --reset-ledger to start "
				      "over", persist_name(p));
	}
	best = (ra == JOURNAL_OK && (rb != JOURNAL_OK || pa.gen >= pb.gen)) ? 0u : 1u;
	pos = best == 0 ? pa : pb;
	if (pos.ring_records != JOURNAL_RING_RECORDS)
		return persist_refuse(why, why_len,
				      "state: %s has a journal of %" PRIu32 " records, this ilpd's "
				      "has %u (another board or build); run that build, or use "
				      "--reset-ledger to start over", persist_name(p),
				      pos.ring_records, (unsigned)JOURNAL_RING_RECORDS);
	/* Decode the chosen slot again into p->img (the other may be there). */
	if (persist_read_slot(p, best, &pos, why, why_len) != JOURNAL_OK)
		return persist_refuse(why, why_len, "state: %s changed while being read",
				      persist_name(p));
	if (persist_replay(p, &pos, false, 0, &next, why, why_len) != 0)
		return -1;
	/* The last release marker is of this boot: the process died, the page
	 * cache did not, so every group after it was written but its output
	 * never left. Apply only up to the marker. */
	if (p->rp.marker && p->boot_known &&
	    memcmp(p->rp.marker_boot, p->boot_id, JOURNAL_BOOT_ID) == 0 &&
	    (int32_t)(next.seq - 1u - p->rp.marker_seq) > 0) {
		uint32_t limit = p->rp.marker_seq;
		struct journal_pos again;

		if (persist_read_slot(p, best, &again, why, why_len) != JOURNAL_OK)
			return persist_refuse(why, why_len, "state: %s changed while being read",
					      persist_name(p));
		if (persist_replay(p, &again, true, limit, &next, why, why_len) != 0)
			return -1;
	}
	p->pos = next;
	p->durable_seq = next.seq - 1u;
	p->active = (uint8_t)best;
	p->refused = false;
	p->stats.recovered = true;
	return 0;
}

int ilpd_persist_open(struct ilpd_persist *p, struct hal_store *st, enum ilpd_durability mode,
		      int64_t interval_ms, char *why, size_t why_len)
{
	return ilpd_persist_open_named(p, st, NULL, mode, interval_ms, why, why_len);
}

/* ---- load: apply to the switch ------------------------------------------ */

static int persist_find_peer(const struct ilp_switch *sw, const char *name)
{
	size_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (sw->peers[i].used && strcmp(sw->peers[i].cfg.name, name) == 0)
			return (int)i;
	return -1;
}

static int persist_find_image(const struct journal_image *img, const char *name)
{
	size_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (img->peer[i].used && strcmp(img->peer[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Writes the state area anew after a refused recovery (--reset-ledger):
 * zeroes the ring (its records may carry any generation) and writes the
 * snapshot to both slots. */
static int persist_reset_area(struct ilpd_persist *p, const struct ilp_switch *sw,
			      int64_t now_ms)
{
	uint32_t i, n;

	memset(p->buf, 0, sizeof(p->buf));
	for (i = 0; i < JOURNAL_RING_RECORDS; i += n) {
		n = JOURNAL_RING_RECORDS - i;
		if (n > PERSIST_CHUNK_RECORDS)
			n = PERSIST_CHUNK_RECORDS;
		if (hal_store_write(p->st, journal_ring_offset(i), p->buf,
				    n * JOURNAL_RECORD_SIZE) != HAL_STORE_OK) {
			persist_failed(p);
			return -1;
		}
		p->stats.bytes_written += (uint64_t)n * JOURNAL_RECORD_SIZE;
	}
	/* The zeros are durable before any snapshot can be. */
	if (hal_store_sync(p->st) != HAL_STORE_OK) {
		persist_failed(p);
		return -1;
	}
	p->pos.seq = 1;
	p->pos.ring_pos = 0;
	p->pos.ring_records = JOURNAL_RING_RECORDS;
	p->active = 0;
	if (persist_write_snapshot(p, sw, now_ms, false) != 0)
		return -1;
	/* The same snapshot in the other slot too: nothing older (or newer,
	 * unreadable) survives in either. */
	p->pos.gen--;
	return persist_write_snapshot(p, sw, now_ms, false);
}

int ilpd_persist_load(struct ilpd_persist *p, struct ilp_switch *sw, bool reset, int64_t now_ms,
		      char *why, size_t why_len)
{
	const struct journal_image *img = &p->img;
	char q[ILPD_ADDRESS_MAX * 4 + 3], q2[ILPD_ADDRESS_MAX * 4 + 3];
	bool fresh = p->pos.gen == 0 || p->refused;
	size_t bad = 0, i;
	int j;

	if (p->st == NULL)
		return 0;
	if (p->refused && !reset)
		return persist_refuse(why, why_len, "state: %s was not recovered",
				      persist_name(p));
	if (!fresh && !reset) {
		/* address = auto: not known before IL-DCP, so not checked */
		if (sw->cfg.address_len != 0 &&
		    (img->address_len != sw->cfg.address_len ||
		     memcmp(img->address, sw->address, sw->cfg.address_len) != 0)) {
			hal_log_quote((const char *)img->address, img->address_len, q, sizeof(q));
			hal_log_quote((const char *)sw->address, sw->cfg.address_len, q2,
				      sizeof(q2));
			return persist_refuse(why, why_len,
					      "state: %s belongs to node %s, this is %s; point "
					      "state_dir elsewhere, or use --reset-ledger to start "
					      "over", persist_name(p), q, q2);
		}
		for (i = 0; i < ILPD_MAX_PEERS; i++) {
			if (!img->peer[i].used || img->peer[i].balance == 0 ||
			    persist_find_peer(sw, img->peer[i].name) >= 0)
				continue;
			return persist_refuse(why, why_len,
					      "state: peer %s has balance %" PRId64 " in %s but is "
					      "not configured; add it back (and settle), or use "
					      "--reset-ledger to start over", img->peer[i].name,
					      img->peer[i].balance, persist_name(p));
		}
	}
	/* Every check passed: apply. */
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		struct ledger_slot *ls = &sw->ledger.slot[i];

		if (!persist_slot_used(sw, i))
			continue;
		ls->balance = 0;
		ls->fulfilled_count = 0;
		ls->flags = LEDGER_SLOT_USED;
		if (reset || fresh)
			continue;
		j = persist_find_image(img, sw->peers[i].cfg.name);
		if (j < 0) {
			hal_log(HAL_LOG_INFO, "state.peer_new", "peer=%s balance=0",
				sw->peers[i].cfg.name);
			continue;
		}
		ls->balance = img->peer[j].balance;
		ls->fulfilled_count = img->peer[j].fulfilled;
		ilpd_settle_state.peer[i].settling = img->peer[j].settling;
		ilpd_settle_state.peer[i].key = img->peer[j].settling != 0 ?
						img->peer[j].settle_key : 0;
		/* ledger.c's rule (pending is 0 here): exempt while outside a limit. */
		if (ls->balance > ls->max_balance || ls->balance < ls->min_balance)
			ls->flags |= LEDGER_SLOT_EXEMPT;
	}
	if (!reset && !fresh) {
		for (i = 0; i < ILPD_MAX_PEERS; i++)
			if (img->peer[i].used && persist_find_peer(sw, img->peer[i].name) < 0)
				hal_log(HAL_LOG_WARN, "state.peer_dropped", "peer=%s balance=0",
					img->peer[i].name);
		/* Credit keys follow their peer by name (image slot -> switch slot). */
		for (i = 0; i < SETTLE_KEYS; i++) {
			const struct journal_key *ke = &img->key[i];
			struct settle_key_entry e;

			if (!ke->used || ke->slot >= ILPD_MAX_PEERS || !img->peer[ke->slot].used)
				continue;
			j = persist_find_peer(sw, img->peer[ke->slot].name);
			if (j < 0)
				continue;
			memset(&e, 0, sizeof(e));
			memcpy(e.digest, ke->digest, SETTLE_DIGEST);
			e.engine_amount = ke->engine_amount;
			e.slot = (uint16_t)j;
			e.scale = ke->scale;
			settle_key_put(&ilpd_settle_state, (uint32_t)i, &e);
		}
	}
	if (ledger_check(&sw->ledger, &bad) != ILP_OK)
		return persist_refuse(why, why_len,
				      "state: the recovered ledger breaks its invariants at peer %s",
				      sw->peers[bad].cfg.name);
	if (p->refused) {
		if (persist_reset_area(p, sw, now_ms) != 0)
			return persist_refuse(why, why_len, "state: cannot write %s: %s",
					      persist_name(p), p->st->why);
		p->refused = false;
		return 0;
	}
	if (persist_write_snapshot(p, sw, now_ms, false) != 0)
		return persist_refuse(why, why_len, "state: cannot write %s: %s", persist_name(p),
				      p->st->why);
	return 0;
}

/* ---- commit ------------------------------------------------------------- */

/* True when the set of used slots differs from the last snapshot's. */
static bool persist_peers_differ(const struct ilpd_persist *p, const struct ilp_switch *sw)
{
	size_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (p->last[i].used != persist_slot_used(sw, i))
			return true;
	return false;
}

static bool persist_slot_changed(const struct ilpd_persist *p, const struct ilp_switch *sw,
				 size_t i)
{
	const struct ledger_slot *ls = &sw->ledger.slot[i];

	return p->last[i].balance != ls->balance || p->last[i].fulfilled != ls->fulfilled_count ||
	       p->last[i].flags != ls->flags ||
	       p->last[i].settling != ilpd_settle_state.peer[i].settling ||
	       (ilpd_settle_state.peer[i].settling != 0 &&
		p->last[i].settle_key != ilpd_settle_state.peer[i].key);
}

bool ilpd_persist_settle_written(const struct ilpd_persist *p, int slot, int key)
{
	const struct settle_peer *st;

	if (p->st == NULL)
		return true;
	if (slot >= 0 && slot < (int)ILPD_MAX_PEERS) {
		st = &ilpd_settle_state.peer[slot];
		if (p->last[slot].settling != st->settling ||
		    (st->settling != 0 && p->last[slot].settle_key != st->key))
			return false;
	}
	return key < 0 || key >= (int)SETTLE_KEYS || !persist_key_changed(p, (size_t)key);
}

bool ilpd_persist_dirty(const struct ilpd_persist *p, const struct ilp_switch *sw)
{
	size_t i;

	if (p->st == NULL)
		return false;
	if (p->need_snapshot || persist_peers_differ(p, sw))
		return true;
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (p->last[i].used && persist_slot_changed(p, sw, i))
			return true;
	for (i = 0; i < SETTLE_KEYS; i++)
		if (persist_key_changed(p, i))
			return true;
	return false;
}

int ilpd_persist_commit_start(struct ilpd_persist *p, const struct ilp_switch *sw,
			      int64_t now_ms)
{
	struct journal_record r;
	uint32_t n = 0, first, c1, nk = 0;
	size_t i, last = 0, klast = 0;

	if (p->st == NULL)
		return 0;
	if (p->sync_pending)   /* a failure sets need_snapshot: handled below */
		(void)ilpd_persist_commit_finish(p, sw, now_ms, true);
	if (p->need_snapshot || persist_peers_differ(p, sw))
		return persist_write_snapshot(p, sw, now_ms, false);
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if (p->last[i].used && persist_slot_changed(p, sw, i)) {
			n++;
			last = i;
		}
	}
	for (i = 0; i < SETTLE_KEYS; i++) {
		if (persist_key_changed(p, i)) {
			nk++;
			klast = i;
		}
	}
	n += nk;
	if (n == 0)
		return 0;
	/* Half a ring since the last snapshot: a snapshot of what was written
	 * (released: no sync runs), then the changes as a group after it. Never
	 * one of the ledger as it is now: a kill -9 during its sync would count
	 * changes whose output never left. */
	if ((p->stats.journal_fill >= JOURNAL_RING_RECORDS / 2 ||
	     p->stats.journal_fill + n > JOURNAL_RING_RECORDS) &&
	    persist_write_snapshot(p, sw, now_ms, true) != 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.gen = (uint32_t)p->pos.gen;
	r.durable_seq = p->durable_seq;
	n = 0;
	for (i = 0; i <= last; i++) {
		const struct ledger_slot *ls = &sw->ledger.slot[i];

		if (!p->last[i].used || !persist_slot_changed(p, sw, i))
			continue;
		r.seq = p->pos.seq + n;
		r.slot = (uint16_t)i;
		r.group_end = i == last && nk == 0;
		r.balance = ls->balance;
		r.fulfilled = ls->fulfilled_count;
		r.flags = ls->flags;
		r.settling = ilpd_settle_state.peer[i].settling;
		r.settle_key = r.settling != 0 ? ilpd_settle_state.peer[i].key : 0;
		journal_record_encode(p->buf + (size_t)n * JOURNAL_RECORD_SIZE, &r);
		n++;
	}
	/* Credit keys (a key entry only becomes unused when overwritten, and a
	 * credit that added one changed its peer's balance in this group). */
	for (i = 0; nk != 0 && i <= klast; i++) {
		if (!persist_key_changed(p, i))
			continue;
		memset(&r.key, 0, sizeof(r.key));
		persist_key(i, &r.key);
		r.kind = JOURNAL_KIND_CREDIT;
		r.seq = p->pos.seq + n;
		r.slot = (uint16_t)i;
		r.group_end = i == klast;
		journal_record_encode(p->buf + (size_t)n * JOURNAL_RECORD_SIZE, &r);
		n++;
	}
	first = p->pos.ring_pos;
	c1 = JOURNAL_RING_RECORDS - first;
	if (c1 > n)
		c1 = n;
	if (hal_store_write(p->st, journal_ring_offset(first), p->buf,
			    c1 * JOURNAL_RECORD_SIZE) != HAL_STORE_OK)
		goto fail;
	if (c1 < n && hal_store_write(p->st, journal_ring_offset(0),
				      p->buf + (size_t)c1 * JOURNAL_RECORD_SIZE,
				      (n - c1) * JOURNAL_RECORD_SIZE) != HAL_STORE_OK)
		goto fail;
	p->stats.bytes_written += (uint64_t)n * JOURNAL_RECORD_SIZE;
	p->pend_n = n;
	p->pend_t0 = hal_mono_us();
	if (hal_store_sync_start(p->st) != HAL_STORE_OK)
		goto fail;
	p->sync_pending = true;
	p->marker_last = false;
	/* What the group holds is written: later changes are the next group's. */
	persist_remember(p, sw);
	return 1;
fail:
	persist_failed(p);
	return -1;
}

int ilpd_persist_commit_finish(struct ilpd_persist *p, const struct ilp_switch *sw,
			       int64_t now_ms, bool wait)
{
	uint32_t n = p->pend_n;
	int r;

	if (p->st == NULL || !p->sync_pending)
		return 0;
	r = hal_store_sync_finish(p->st, wait);
	if (r == HAL_STORE_BUSY)
		return 1;
	p->sync_pending = false;
	p->pend_n = 0;
	if (r != HAL_STORE_OK) {
		/* last[] already holds the group: need_snapshot rewrites it all. */
		persist_failed(p);
		return -1;
	}
	persist_sync_stats(p, hal_mono_us() - p->pend_t0, now_ms);
	p->pos.seq += n;
	p->pos.ring_pos = (uint32_t)(((uint64_t)p->pos.ring_pos + n) % JOURNAL_RING_RECORDS);
	p->durable_seq = p->pos.seq - 1u;
	p->stats.records += n;
	p->stats.journal_fill += n;
	/* The half-ring snapshot is the next commit (commit_start): one taken
	 * here would hold changes made since the group, whose output waits for
	 * the next group - a kill right after it would count them. */
	(void)sw;
	return 0;
}

int ilpd_persist_commit(struct ilpd_persist *p, const struct ilp_switch *sw, int64_t now_ms)
{
	int r = ilpd_persist_commit_start(p, sw, now_ms);

	if (r == 1)
		r = ilpd_persist_commit_finish(p, sw, now_ms, true);
	return r;
}

int ilpd_persist_snapshot(struct ilpd_persist *p, const struct ilp_switch *sw, int64_t now_ms)
{
	/* A snapshot holds the whole ledger: it is the commit too. */
	if (p->st == NULL)
		return 0;
	return persist_write_snapshot(p, sw, now_ms, false);
}

int ilpd_persist_peers_changed(struct ilpd_persist *p, const struct ilp_switch *sw,
			       int64_t now_ms)
{
	return ilpd_persist_snapshot(p, sw, now_ms);
}

int ilpd_persist_close(struct ilpd_persist *p, const struct ilp_switch *sw, int64_t now_ms)
{
	return ilpd_persist_snapshot(p, sw, now_ms);
}

/* ---- --dump-state ---------------------------------------------------------- */

struct persist_out {
	char *out;
	size_t cap;
	size_t len;
	bool full;
};

__attribute__((format(printf, 2, 3)))
static void persist_put(struct persist_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->out + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

/* A JSON string of s[0, n): quotes, backslashes and control bytes escaped. */
static void persist_put_str(struct persist_out *o, const char *s, size_t n)
{
	size_t i;

	persist_put(o, "\"");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			persist_put(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			persist_put(o, "\\u%04x", c);
		else
			persist_put(o, "%c", c);
	}
	persist_put(o, "\"");
}

size_t ilpd_persist_dump_json(const struct ilpd_persist *p, char *out, size_t cap)
{
	struct persist_out o = { out, cap, 0, false };
	const struct journal_image *img = &p->img;
	bool first = true;
	size_t i;

	if (out == NULL || cap == 0)
		return 0;
	persist_put(&o, "{\"address\":");
	persist_put_str(&o, (const char *)img->address, img->address_len);
	persist_put(&o, ",\"generation\":%" PRIu64 ",\"peers\":{", p->pos.gen);
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if (!img->peer[i].used)
			continue;
		if (!first)
			persist_put(&o, ",");
		first = false;
		persist_put_str(&o, img->peer[i].name, strlen(img->peer[i].name));
		persist_put(&o, ":{\"balance\":\"%" PRId64 "\",\"fulfilled\":%" PRIu64,
			    img->peer[i].balance, img->peer[i].fulfilled);
		if (img->peer[i].settling != 0)   /* an open settlement (settle.h) */
			persist_put(&o, ",\"settling\":\"%" PRIu64 "\"", img->peer[i].settling);
		persist_put(&o, "}");
	}
	persist_put(&o, "}}\n");
	if (o.full) {
		out[0] = '\0';
		return 0;
	}
	return o.len;
}
