/*
 * persist.h - the durable ledger: the glue between the switch's ledger
 * (ilp/ledger.h), the on-storage format (ilp/journal.h) and a state area
 * (hal/hal_store.h). docs/ilpd.8 "Durable ledger" states the rules.
 *
 * What is persisted per peer, by name: balance, fulfilled count, ledger
 * flags. Never the holds of packets in flight: after a restart nothing is
 * held (their sources get their answer from their own expiry, or T01 when
 * the link drops), and a Fulfill that arrives later for a packet ilpd no
 * longer knows is dropped and counted (late_responses).
 *
 * Commit: ilpd_persist_commit() compares every used ledger slot with what
 * was last written (balance, fulfilled count, flags) and writes one journal
 * record per changed slot, the last with the group-end flag, then syncs
 * (sync and interval modes). When half the ring has been written since the
 * last snapshot, a snapshot goes to the older slot (write, sync) and the
 * journal continues after it. The daemon decides when to commit:
 *   ILPD_DUR_SYNC      before any byte of this loop iteration leaves ilpd
 *                      (every Fulfill relayed upstream is durable first;
 *                      group commit: one sync per iteration, or per
 *                      commit_interval_ms when that is > 0);
 *   ILPD_DUR_INTERVAL  at most every interval_ms, Fulfills relayed at once
 *                      (a crash loses at most interval_ms of Fulfills);
 *   ILPD_DUR_OFF       never: no state area at all (balances in RAM only).
 *
 * Start-up (ilpd_persist_load): a new (zero) area is initialised with a
 * snapshot of the configured peers at balance 0. An existing one is
 * recovered (journal.h) and applied to the switch's ledger by peer name.
 * Refused, with a "state: ..." message: both snapshot slots invalid, damage
 * inside the durable journal, a newer format, another geometry (board),
 * another node address, or a peer with a non-zero balance that is not in
 * the configuration. A configured peer the state does not know starts at
 * 0 (logged). With reset, the state is replaced by zero balances (logged
 * loudly by the caller). After a successful load a fresh snapshot (gen+1)
 * is written, so records of an older generation can never be replayed.
 *
 * Reload: ilpd_persist_peers_changed() after the switch's peer set changed
 * (added, removed, renamed slots): commits and writes a snapshot, so every
 * journal record refers to the slot->name map of the snapshot it follows.
 * A removed peer's balance is dropped with it (by name); a re-added name
 * starts at 0.
 *
 * Pipelined group commit (sync mode): ilpd_persist_commit_start() writes
 * the group and starts its sync (hal_store_sync_start) without waiting;
 * the ledger may change meanwhile (the next group). From the write on, the
 * group counts as written (dirty() is about later changes only);
 * ilpd_persist_commit_finish() takes the sync's result: on success the
 * group is durable (durable_seq, stats; the half-ring snapshot is the
 * next commit_start's); nothing is written while a sync runs (a snapshot, reload or
 * close first waits for it). ilpd_persist_commit() is start + finish with
 * wait. The order of writes and syncs on the store is the same as a
 * synchronous commit's: group N's sync completes before group N+1 is
 * written.
 *
 * Release markers (sync mode, a board with a boot id): the daemon calls
 * ilpd_persist_released() at every group's completion before the held
 * output goes, and every snapshot is followed by one. Snapshot rule: a
 * snapshot holds only released state, or is released right after it
 * (its marker, then the output): the half-ring snapshot is taken by
 * commit_start, of p->last[] (what the last completed group wrote, whose
 * output went at its completion), and the new changes follow it as a
 * group; a snapshot of the ledger as it is (start-up, after a failure, a
 * changed peer set, reload, close) is followed at once by the release of
 * everything queued (durable.c), so only a kill -9 during that snapshot's
 * own sync may count changes whose output had not left yet. Recovery: when
 * the live journal's last marker was written in this boot, the groups
 * after it (written, never released: the process died, the page cache
 * did not) are dropped - rp.dropped_groups / dropped_records; otherwise
 * (another boot, or no marker) every complete group is kept.
 *
 * A failed write or sync (commit returns -1, stats.failed) makes the next
 * commit a snapshot with a new generation (holding the whole ledger):
 * records of the failed attempt that may have reached the disk can never
 * mix with those written after it.
 *
 * Memory (sizeof, measured by tests/unit/test_persist.c and the memory
 * map): struct ilpd_persist = last[] (48 bytes per peer slot) + last_key[]
 * (32 bytes per SETTLE_KEYS) + p->buf
 * (JOURNAL_SNAP_BYTES) + journal_image + journal_replay + 16 bytes for
 * the pipeline (sync_pending, pend_n, pend_t0) + 18 bytes for the release
 * markers (boot id): host (64 peers) 18,704
 * bytes (measured), rpi (32) ~9,680 (~9,672 on armhf), router (8) ~5,856
 * (5,792 on armhf); one static instance in the daemon (struct ilpd_durable). No
 * heap. Disk: JOURNAL_AREA_SIZE = 2 snapshot slots + 4,096 records x 64
 * bytes: host 278,528 bytes (2 x 8 KiB + 256 KiB), rpi and router 270,336
 * (2 x 4 KiB + 256 KiB). Start-up reads it in chunks of p->buf.
 */
#ifndef ILPD_PERSIST_H
#define ILPD_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_store.h"
#include "ilp/ilp_switch.h"
#include "ilp/journal.h"
#include "ilp/settle.h"

/* The settlement state (ilp/settle.h) the durable ledger keeps with the
 * balances (issue 15): per peer the open settlement (settling, key), which
 * rides in the peer's journal records and snapshot entries, and the recent
 * incoming credit keys (records of their own, in the same group as the
 * credit's balance change). settle_glue.c runs it; ilpd_persist_load()
 * fills it from the state file (by peer name). Zero: no settlement. */
extern struct settle_state ilpd_settle_state;

enum ilpd_durability {
	ILPD_DUR_SYNC = 0,
	ILPD_DUR_INTERVAL = 1,
	ILPD_DUR_OFF = 2
};

/* Sync latency histogram bucket upper bounds, microseconds (+Inf last). */
#define ILPD_PERSIST_BUCKETS 8
extern const uint32_t ilpd_persist_bucket_us[ILPD_PERSIST_BUCKETS - 1];

struct ilpd_persist_stats {
	uint64_t syncs;             /* successful syncs */
	uint64_t sync_failures;     /* write or sync errors */
	uint64_t bytes_written;     /* bytes handed to the store (records + snapshots) */
	uint64_t records;           /* journal records written */
	uint64_t snapshots;         /* snapshots written (start-up, half ring, reload, shutdown) */
	uint64_t sync_us_sum;
	uint64_t sync_us_bucket[ILPD_PERSIST_BUCKETS];  /* cumulative counts, last +Inf */
	int64_t last_sync_ms;       /* ev/hal_mono time of the last successful sync, or 0 */
	uint32_t journal_fill;      /* records written since the last snapshot */
	bool recovered;             /* the ledger came from an existing state area */
	bool failed;                /* the last write or sync failed */
};

struct ilpd_persist {
	struct hal_store *st;           /* NULL: ILPD_DUR_OFF */
	uint8_t mode;                   /* enum ilpd_durability */
	int64_t interval_ms;            /* SYNC: group window (0 = per iteration); INTERVAL: period */
	struct journal_pos pos;         /* where the next record goes */
	uint32_t durable_seq;           /* last record on stable storage */
	uint8_t active;                 /* slot (0 = A, 1 = B) of the newest snapshot */
	bool need_snapshot;             /* a write or sync failed: the next commit is a snapshot */
	bool refused;                   /* open refused the area: load() only with reset */
	bool sync_pending;              /* a group's sync runs (commit_start .. finish) */
	bool marker_last;               /* the last record written is a release marker */
	bool boot_known;                /* boot_id is the board's (not "unknown") */
	uint8_t boot_id[JOURNAL_BOOT_ID];  /* hal_boot_id() at open */
	uint32_t pend_n;                /* its records */
	int64_t pend_t0;                /* its start, hal_mono_us */
	char name[64];                  /* the area's name in messages (open_named) */
	struct { int64_t balance; uint64_t fulfilled; uint32_t flags; bool used;
		 uint64_t settling, settle_key; } last[ILPD_MAX_PEERS];
	struct journal_key last_key[SETTLE_KEYS];   /* credit keys as last written */
	struct journal_image img;       /* recovered image (ilpd_persist_open) */
	struct journal_replay rp;
	uint8_t buf[JOURNAL_SNAP_BYTES];  /* snapshot / record-group encoding */
	struct ilpd_persist_stats stats;
};

/* Opens persistence over an open store (NULL with ILPD_DUR_OFF) and
 * recovers its content into p->img. 0, or -1 with "state: ..." in why. */
int ilpd_persist_open(struct ilpd_persist *p, struct hal_store *st, enum ilpd_durability mode,
		      int64_t interval_ms, char *why, size_t why_len);

/* The same, naming the area in messages (e.g. the state file's path; copied,
 * cut at 63 bytes). ilpd_persist_open() calls it with "the state area".
 * When it refuses the area (-1), p stays usable for ilpd_persist_load()
 * with reset (--reset-ledger), which then rewrites the whole area; a load
 * without reset refuses again. */
int ilpd_persist_open_named(struct ilpd_persist *p, struct hal_store *st, const char *name,
			    enum ilpd_durability mode, int64_t interval_ms, char *why,
			    size_t why_len);

/* Applies the recovered image to sw's ledger by peer name (see above),
 * or with reset starts every configured peer at 0; then writes a fresh
 * snapshot. 0, or -1 with "state: ..." in why. Call after the switch's
 * peers are configured and before any packet. */
int ilpd_persist_load(struct ilpd_persist *p, struct ilp_switch *sw, bool reset, int64_t now_ms,
		      char *why, size_t why_len);

/* True when the ledger differs from what was last written. */
/* Settlement (settle_glue.c): true if peer slot `slot`'s open settlement
 * (slot >= 0) and credit key `key` (key >= 0) are as last written (so in
 * a group at or before p->pos.seq - 1), or durability is off. */
bool ilpd_persist_settle_written(const struct ilpd_persist *p, int slot, int key);

bool ilpd_persist_dirty(const struct ilpd_persist *p, const struct ilp_switch *sw);

/* Writes the changed slots as one group and syncs; takes a snapshot when
 * the ring is half full. 0, or -1 (stats.failed set, why in st->why). */
int ilpd_persist_commit(struct ilpd_persist *p, const struct ilp_switch *sw, int64_t now_ms);

/* The two halves of a commit (see above). start: 1 when the group is
 * written and its sync runs (finish takes it), 0 when nothing was left to
 * do or a snapshot (synchronous) made everything durable, -1 on failure.
 * finish: 0 (the group is durable, or none ran), 1 while the sync runs
 * (only without wait), -1 when it failed. */
int ilpd_persist_commit_start(struct ilpd_persist *p, const struct ilp_switch *sw,
			      int64_t now_ms);
int ilpd_persist_commit_finish(struct ilpd_persist *p, const struct ilp_switch *sw,
			       int64_t now_ms, bool wait);

/* Sync mode, right before the output held for the groups written so far
 * is released: writes a release marker (ilp/journal.h; not synced, the
 * next group's sync covers it). Nothing when the boot id is unknown, in
 * another mode, after a failure, or when the last record already is one.
 * 0, or -1 when the write failed (then the next commit is a snapshot). */
int ilpd_persist_released(struct ilpd_persist *p);

static inline bool ilpd_persist_sync_pending(const struct ilpd_persist *p)
{
	return p->sync_pending;
}

/* Commit, then a snapshot now (reload, clean shutdown). */
int ilpd_persist_snapshot(struct ilpd_persist *p, const struct ilp_switch *sw, int64_t now_ms);
int ilpd_persist_peers_changed(struct ilpd_persist *p, const struct ilp_switch *sw, int64_t now_ms);

/* The recovered balances as JSON ({"address":..., "generation":...,
 * "peers":{"name":{"balance":"N","fulfilled":N}, ...}}), for --dump-state.
 * Bytes written (NUL-terminated), or 0 if out is too small. */
size_t ilpd_persist_dump_json(const struct ilpd_persist *p, char *out, size_t cap);

/* Final commit and snapshot (clean shutdown); closes nothing. */
int ilpd_persist_close(struct ilpd_persist *p, const struct ilp_switch *sw, int64_t now_ms);

#endif /* ILPD_PERSIST_H */
