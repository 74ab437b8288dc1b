/*
 * hal_store.h - a fixed-size state area on stable storage: where the
 * durable ledger (firmware/persist.c, ilp/journal.h) keeps its snapshots
 * and journal.
 *
 * A store is a byte array of `size` bytes: read, write at an offset, and
 * sync (every write before the sync is on stable storage when it returns
 * HAL_STORE_OK). Nothing is promised about writes that were not synced: at
 * a crash any subset of them may be on disk, each torn at sector size
 * (HAL_STORE_SECTOR); the journal format is built for exactly that.
 *
 * Backends (each is a struct hal_store_ops):
 *   - POSIX (hal/posix/store_posix.c): one preallocated file, opened
 *     O_RDWR|O_CLOEXEC, locked with flock(LOCK_EX|LOCK_NB) so a second ilpd
 *     on the same file is refused; sync is fdatasync(2). A new file is
 *     created 0600, preallocated with zeros (posix_fallocate, or writes),
 *     synced, and its directory fsync'd. An asynchronous sync runs
 *     fdatasync on a worker thread (one per open store, started at open).
 *   - memory (hal/mem/store_mem.c, for tests and fuzzers): the area lives in
 *     a caller buffer; every write and sync can be recorded in a log, and
 *     faults injected (fail the Nth write or sync, tear a write).
 *
 * Asynchronous sync (the sync mode's pipelined group commit, persist.h):
 * hal_store_sync_start() starts a sync of every write made so far and
 * returns at once; s->sync_fd (or -1) becomes readable when it is done;
 * hal_store_sync_finish(s, false) answers HAL_STORE_BUSY while it runs,
 * else its result (with wait, it blocks until then). A backend without
 * sync_start (the memory one, any without threads) syncs inside
 * hal_store_sync_start and its finish answers at once, so the order of
 * writes and syncs a test records is the same either way. Rule: between
 * sync_start and the finish that returns its result, the caller neither
 * writes, syncs, reads nor closes the store (the worker may be using the
 * descriptor); a second sync_start is our bug.
 *
 * Memory: struct hal_store is ~150 bytes (why[] is 96), no heap; the
 * POSIX backend's worker slots are static (store_posix.c). Thread/ISR: the
 * caller's event-loop thread only (the worker is the backend's own). Every
 * call but the asynchronous pair blocks until the device answers (a sync
 * on an SD card takes milliseconds): call sync once per group of changes.
 */
#ifndef HAL_STORE_H
#define HAL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The unit a crash may tear a write into: each sector of a write is either
 * all old or all new on the device afterwards. */
#define HAL_STORE_SECTOR 512u

enum hal_store_result {
	HAL_STORE_OK = 0,
	HAL_STORE_ERROR = -1,      /* I/O error (errno text via hal_store_why) */
	HAL_STORE_NOENT = -2,      /* open without create: no such file */
	HAL_STORE_SIZE = -3,       /* the existing area has another size */
	HAL_STORE_LOCKED = -4,     /* another process holds the area */
	HAL_STORE_RANGE = -5,      /* offset + len past the end (our bug) */
	HAL_STORE_BUSY = -6        /* sync_finish without wait: still running */
};

struct hal_store;

struct hal_store_ops {
	int (*read)(struct hal_store *s, uint32_t off, void *buf, uint32_t len);
	int (*write)(struct hal_store *s, uint32_t off, const void *buf, uint32_t len);
	int (*sync)(struct hal_store *s);
	void (*close)(struct hal_store *s);
	/* Optional (NULL: hal_store_sync_start syncs at once). sync_start:
	 * HAL_STORE_OK when the sync runs; sync_finish: its result, or
	 * HAL_STORE_BUSY (only without wait). */
	int (*sync_start)(struct hal_store *s);
	int (*sync_finish)(struct hal_store *s, bool wait);
};

struct hal_store {
	const struct hal_store_ops *ops;
	uint32_t size;             /* bytes in the area */
	int fd;                    /* POSIX backend; -1 otherwise */
	bool created;              /* open made a new, zero-filled area */
	bool sync_busy;            /* a sync_start awaits its finish */
	int sync_rc;               /* result of a sync done by sync_start (no async) */
	int sync_fd;               /* readable when an async sync is done; -1: none */
	void *ctx;                 /* backend state (memory backend, POSIX worker) */
	char why[96];              /* the last error, for logs and messages */
};

static inline int hal_store_read(struct hal_store *s, uint32_t off, void *buf, uint32_t len)
{
	return s->ops->read(s, off, buf, len);
}

static inline int hal_store_write(struct hal_store *s, uint32_t off, const void *buf,
				  uint32_t len)
{
	return s->ops->write(s, off, buf, len);
}

static inline int hal_store_sync(struct hal_store *s)
{
	return s->ops->sync(s);
}

/* Starts a sync of every write so far (see above). HAL_STORE_OK: the
 * result comes from hal_store_sync_finish; else nothing is running. */
static inline int hal_store_sync_start(struct hal_store *s)
{
	int r;

	if (s->ops->sync_start == NULL) {
		s->sync_rc = s->ops->sync(s);
		s->sync_busy = true;
		return HAL_STORE_OK;
	}
	r = s->ops->sync_start(s);
	s->sync_busy = r == HAL_STORE_OK;
	return r;
}

/* The started sync's result (HAL_STORE_OK: durable), or HAL_STORE_BUSY
 * while it runs and !wait. HAL_STORE_OK when none was started. */
static inline int hal_store_sync_finish(struct hal_store *s, bool wait)
{
	int r;

	if (!s->sync_busy)
		return HAL_STORE_OK;
	if (s->ops->sync_start == NULL) {
		s->sync_busy = false;
		return s->sync_rc;
	}
	r = s->ops->sync_finish(s, wait);
	if (r != HAL_STORE_BUSY)
		s->sync_busy = false;
	return r;
}

/* The boot id: 16 bytes that differ on every boot of the machine (POSIX:
 * /proc/sys/kernel/random/boot_id). A process killed by a signal leaves
 * its written, unsynced data in the page cache, which outlives it but not
 * the boot; the durable ledger's release markers (ilp/journal.h) are
 * trusted only within the boot that wrote them. false with all zero when
 * the board has none ("unknown": markers are then never written).
 * hal_boot_id_set(): tests replace it (NULL: the system's again). */
bool hal_boot_id(uint8_t id[16]);
void hal_boot_id_set(const uint8_t id[16]);

static inline void hal_store_close(struct hal_store *s)
{
	if (s->ops != NULL)
		s->ops->close(s);
	s->ops = NULL;
}

/* POSIX backend. Opens (create: creates if absent) the file at path, of
 * exactly size bytes. HAL_STORE_OK, or a hal_store_result with s->why set
 * ("path: reason"). An existing file of another size is HAL_STORE_SIZE. */
int hal_store_open_posix(struct hal_store *s, const char *path, uint32_t size, bool create);

#endif /* HAL_STORE_H */
