/*
 * store_mem.c - the memory backend of hal_store.h (see hal_store_mem.h):
 * an area in a caller buffer, an optional log of writes and syncs, and
 * injected faults. Memory: none of its own; no heap.
 */
#include "hal/hal_store_mem.h"

#include <stdio.h>
#include <string.h>

static struct hal_store_mem *mem_of(struct hal_store *s)
{
	return s->ctx;
}

static bool mem_in_range(const struct hal_store *s, uint32_t off, uint32_t len)
{
	return (uint64_t)off + len <= s->size;
}

static void mem_log(struct hal_store_mem *m, uint8_t kind, uint32_t off, const void *buf,
		    uint32_t len)
{
	struct hal_store_mem_op *op;

	if (m->ops == NULL || m->overflow)
		return;
	if (m->n_ops >= m->ops_cap || (uint64_t)m->data_len + len > m->data_cap) {
		m->overflow = true;
		return;
	}
	op = &m->ops[m->n_ops++];
	op->kind = kind;
	op->off = off;
	op->len = len;
	op->data_off = m->data_len;
	if (len > 0) {
		memcpy(m->data + m->data_len, buf, len);
		m->data_len += len;
	}
}

static int mem_read(struct hal_store *s, uint32_t off, void *buf, uint32_t len)
{
	struct hal_store_mem *m = mem_of(s);

	if (!mem_in_range(s, off, len))
		return HAL_STORE_RANGE;
	if (++m->reads == m->fail_read) {
		snprintf(s->why, sizeof(s->why), "memory store: read %u: injected fault",
			 (unsigned)m->reads);
		return HAL_STORE_ERROR;
	}
	memcpy(buf, m->area + off, len);
	return HAL_STORE_OK;
}

static int mem_write(struct hal_store *s, uint32_t off, const void *buf, uint32_t len)
{
	struct hal_store_mem *m = mem_of(s);

	if (!mem_in_range(s, off, len))
		return HAL_STORE_RANGE;
	++m->writes;
	if (m->writes == m->fail_write) {
		snprintf(s->why, sizeof(s->why), "memory store: write %u: injected fault",
			 (unsigned)m->writes);
		return HAL_STORE_ERROR;
	}
	if (m->writes == m->tear_write) {
		uint32_t k = m->tear_bytes < len ? m->tear_bytes : len;

		memcpy(m->area + off, buf, k);
		mem_log(m, HAL_STORE_MEM_WRITE, off, buf, k);
		snprintf(s->why, sizeof(s->why), "memory store: write %u: torn after %u bytes",
			 (unsigned)m->writes, (unsigned)k);
		return HAL_STORE_ERROR;
	}
	memcpy(m->area + off, buf, len);
	mem_log(m, HAL_STORE_MEM_WRITE, off, buf, len);
	return HAL_STORE_OK;
}

static int mem_sync(struct hal_store *s)
{
	struct hal_store_mem *m = mem_of(s);

	if (++m->syncs == m->fail_sync) {
		snprintf(s->why, sizeof(s->why), "memory store: sync %u: injected fault",
			 (unsigned)m->syncs);
		return HAL_STORE_ERROR;
	}
	mem_log(m, HAL_STORE_MEM_SYNC, 0, NULL, 0);
	return HAL_STORE_OK;
}

static void mem_close(struct hal_store *s)
{
	s->ctx = NULL;
}

static const struct hal_store_ops mem_ops = {
	mem_read, mem_write, mem_sync, mem_close, NULL, NULL
};

int hal_store_open_mem(struct hal_store *s, struct hal_store_mem *m, uint8_t *area,
		       uint32_t size)
{
	uint32_t i;

	memset(s, 0, sizeof(*s));
	memset(m, 0, sizeof(*m));
	m->area = area;
	m->size = size;
	s->ops = &mem_ops;
	s->size = size;
	s->fd = -1;
	s->sync_fd = -1;
	s->ctx = m;
	s->created = true;
	for (i = 0; i < size; i++) {
		if (area[i] != 0) {
			s->created = false;
			break;
		}
	}
	return HAL_STORE_OK;
}

void hal_store_mem_record(struct hal_store_mem *m, struct hal_store_mem_op *ops,
			  uint32_t ops_cap, uint8_t *data, uint32_t data_cap)
{
	m->ops = ops;
	m->ops_cap = ops == NULL ? 0 : ops_cap;
	m->n_ops = 0;
	m->data = data;
	m->data_cap = ops == NULL ? 0 : data_cap;
	m->data_len = 0;
	m->overflow = false;
}
