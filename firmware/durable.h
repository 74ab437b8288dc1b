/*
 * durable.h - the daemon's side of the durable ledger: opens the state
 * file at start-up and recovers it into the switch (firmware/persist.h
 * does the format work), decides in every loop iteration when to commit
 * and when the held output may go, refuses new Prepares while the ledger
 * cannot be written, and closes it on a clean stop. docs/ilpd.8 "DURABLE
 * LEDGER" states the rules for operators.
 *
 * The loop (ilpd_daemon_step):
 *   sync      output is held (wsconn_hold_output) from start to exit, and
 *             group commit is pipelined: the loop keeps working while a
 *             group's sync runs. At the end of an iteration with no sync
 *             in flight: if the ledger changed, the output queued so far
 *             is marked (wsconn_mark_output), the changes are written and
 *             their sync started (ilpd_persist_commit_start); the store's
 *             completion descriptor wakes the loop, and when the sync is
 *             done the marked output goes (wsconn_release_marked). An
 *             iteration that ends while the sync runs moves the mark over
 *             its output if it made no ledger change (that output needs
 *             only the group in flight); from the first change on, output
 *             and changes wait for the next group, started at the end of
 *             the iteration that saw the completion. With nothing to
 *             write, the waiting output goes at once (wsconn_flush_all) -
 *             never while a sync runs. So no byte leaves before every
 *             ledger change made before it was queued (at iteration
 *             granularity) is durable. The local account's send
 *             callbacks for Fulfills are held and released the same way
 *             (local.h "Durability"). With commit_interval_ms > 0 the output of
 *             every iteration in the window waits until the window closes
 *             and shares one group: all output (not only Fulfills) is
 *             delayed by up to the window plus the sync.
 *   interval  no hold: commit when the ledger changed and sync_interval_ms
 *             has passed since the last sync; output goes at once.
 *   off       nothing is written; output goes at once.
 * A failed commit (persist.failed, rate-limited) marks the node unhealthy
 * and new Prepares are rejected T00 until a commit succeeds (retried every
 * DUR_RETRY_MS); held output is released all the same (a Fulfill relayed
 * upstream answers a packet whose next hop was already paid). A reload
 * (peers_changed) and a clean stop first wait for a sync in flight (as a
 * synchronous sync blocked before), then write their snapshot.
 *
 * Memory: struct ilpd_durable = struct ilpd_persist + struct hal_store +
 * ~300 bytes, one inside struct ilpd_daemon (the memory map counts it).
 * No heap.
 */
#ifndef ILPD_DURABLE_H
#define ILPD_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_store.h"
#include "persist.h"

struct ilpd_daemon;
struct ilpd_conf;

/* Exit status when the state file refuses start-up (main.c, docs). */
#define ILPD_EXIT_STATE 4

struct ilpd_durable {
	struct hal_store store;
	struct ilpd_persist p;
	uint8_t mode;                 /* enum ilpd_durability */
	bool store_open;
	bool reset;                   /* --reset-ledger (main sets it before start) */
	bool state_error;             /* start-up refused: exit ILPD_EXIT_STATE */
	bool failed;                  /* the last commit failed: T00 for new Prepares */
	int64_t window_end;           /* sync window: when held output goes (mono ms), or 0 */
	int64_t retry_at;             /* failed: next commit attempt (mono ms) */
	int64_t fail_logged;          /* last persist.failed line (mono ms), or 0 */
	int sync_io;                  /* sync mode: ev watcher on store.sync_fd, or -1 */
	uint64_t fail_quiet;          /* failures not logged since */
	char why[320];                /* the last "state: ..." message */
};

/* Start-up, after the switch's peers are configured and before any
 * listener: with durability != off, creates the state file's directory
 * (0700) if missing, opens (or creates) the file, recovers it and applies
 * it to the switch (or, with d->dur.reset, starts from zero, logging what
 * it discards). 0, or -1 with the "state: ..." message on stderr and
 * d->dur.state_error set. */
int ilpd_durable_start(struct ilpd_daemon *d);

/* Bounds the loop's wait (ms, -1 = none) by the next commit or release. */
int ilpd_durable_wait(struct ilpd_daemon *d, int wait);

/* End of an iteration: commit as the mode says, then release the output
 * (instead of a bare wsconn_flush_all()); in sync mode, see "The loop". */
void ilpd_durable_flush(struct ilpd_daemon *d);

/* Sync mode, mid-iteration: makes every ledger change so far durable now
 * (waits for the group in flight, then writes and syncs one more, the loop
 * blocked meanwhile) and releases all held output and local callbacks, as
 * the end of an iteration with nothing left to write would. For the local
 * account when its ring of held Fulfills is full (local.h). A failed
 * commit releases all the same (see above). Nothing in other modes. */
void ilpd_durable_sync_now(struct ilpd_daemon *d);

/* A reload succeeded: the peer set may have changed (persist.h). */
void ilpd_durable_peers_changed(struct ilpd_daemon *d);

/* Clean stop: final commit and snapshot, then the file is closed. */
void ilpd_durable_stop(struct ilpd_daemon *d);

/* True while new Prepares must be refused (the ledger cannot be written). */
static inline bool ilpd_durable_refusing(const struct ilpd_durable *du)
{
	return du->failed;
}

/* A group's sync has been running for more than ILPD_DUR_STALL_MS: the
 * disk is stalling (a dying SD card looks like this), and in sync mode all
 * output waits for it. /health then says unhealthy (nothing is refused: the
 * sync may still complete). */
#define ILPD_DUR_STALL_MS 1000
bool ilpd_durable_stalled(const struct ilpd_durable *du);

/* --dump-state: opens the configured state file (never creating it),
 * recovers it and writes the JSON (persist.h) with a newline into out.
 * Bytes written, or 0 with "state: ..." in du->why. */
size_t ilpd_durable_dump(struct ilpd_durable *du, const struct ilpd_conf *c, char *out,
			 size_t cap);

#endif /* ILPD_DURABLE_H */
