/*
 * hal_store_mem.h - the memory backend of hal_store.h, for tests and
 * fuzzers: the state area is a caller buffer.
 *
 * Recording: with hal_store_mem_record(), every write that reaches the area
 * (offset, length, and its bytes) and every successful sync is appended to
 * caller-supplied arrays, so a crash-state explorer can rebuild any disk
 * state POSIX allows (any subset of the writes since the last sync, each
 * torn at HAL_STORE_SECTOR) by replaying the log onto a copy of the area as
 * it was when recording began. When an array is full, `overflow` is set and
 * later operations are not recorded (the area still changes).
 *
 * Faults: the fields fail_write, fail_sync and tear_write name the Nth call
 * (counted from 1 since open in `writes` / `syncs`; 0 = never) that fails:
 *   fail_write   the write changes nothing and returns HAL_STORE_ERROR;
 *   fail_sync    the sync returns HAL_STORE_ERROR (the writes stay in the
 *                area: a failed sync promises nothing either way);
 *   tear_write   only the first tear_bytes bytes reach the area (and the
 *                log), then HAL_STORE_ERROR.
 * Each fires once (the counters move past it). Set them as
 * `m.fail_write = m.writes + 1` for "the next write".
 *
 * Memory: struct hal_store_mem is ~80 bytes; the area and the log are the
 * caller's. No heap.
 */
#ifndef HAL_STORE_MEM_H
#define HAL_STORE_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/hal_store.h"

enum hal_store_mem_kind {
	HAL_STORE_MEM_WRITE = 1,
	HAL_STORE_MEM_SYNC = 2
};

/* One recorded operation. A write's bytes are data[data_off, +len) of the
 * log's data buffer; a sync has len 0. */
struct hal_store_mem_op {
	uint8_t kind;              /* enum hal_store_mem_kind */
	uint32_t off;
	uint32_t len;
	uint32_t data_off;
};

struct hal_store_mem {
	uint8_t *area;
	uint32_t size;
	/* Counters (calls since open, failed ones included). */
	uint32_t writes;
	uint32_t syncs;
	uint32_t reads;
	/* Faults (see above); 0 = off. */
	uint32_t fail_write;
	uint32_t fail_sync;
	uint32_t fail_read;
	uint32_t tear_write;
	uint32_t tear_bytes;
	/* The log (hal_store_mem_record); ops == NULL: not recording. */
	struct hal_store_mem_op *ops;
	uint32_t ops_cap;
	uint32_t n_ops;
	uint8_t *data;
	uint32_t data_cap;
	uint32_t data_len;
	bool overflow;
};

/* Opens a store over area[0, size) (the caller zeroes it for a new area;
 * created is set when every byte is zero). m must outlive the store.
 * Always HAL_STORE_OK. */
int hal_store_open_mem(struct hal_store *s, struct hal_store_mem *m, uint8_t *area,
		       uint32_t size);

/* Starts (or restarts, emptying) the log: up to ops_cap operations and
 * data_cap bytes of written data. ops == NULL stops recording. */
void hal_store_mem_record(struct hal_store_mem *m, struct hal_store_mem_op *ops,
			  uint32_t ops_cap, uint8_t *data, uint32_t data_cap);

#endif /* HAL_STORE_MEM_H */
