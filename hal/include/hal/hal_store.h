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
 *     synced, and its directory fsync'd.
 *   - memory (hal/mem/store_mem.c, for tests and fuzzers): the area lives in
 *     a caller buffer; every write and sync can be recorded in a log, and
 *     faults injected (fail the Nth write or sync, tear a write).
 *
 * Memory: struct hal_store is ~32 bytes, no heap. Thread/ISR: event-loop
 * thread only. Every call blocks until the device answers (a sync on an
 * SD card takes milliseconds): call sync once per group of changes.
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
	HAL_STORE_RANGE = -5       /* offset + len past the end (our bug) */
};

struct hal_store;

struct hal_store_ops {
	int (*read)(struct hal_store *s, uint32_t off, void *buf, uint32_t len);
	int (*write)(struct hal_store *s, uint32_t off, const void *buf, uint32_t len);
	int (*sync)(struct hal_store *s);
	void (*close)(struct hal_store *s);
};

struct hal_store {
	const struct hal_store_ops *ops;
	uint32_t size;             /* bytes in the area */
	int fd;                    /* POSIX backend; -1 otherwise */
	bool created;              /* open made a new, zero-filled area */
	void *ctx;                 /* backend state (memory backend) */
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
