/*
 * settle_api.h - the settlement listener ([settlement] listen): RFC 38's
 * engine -> connector API (settle_api.c says what it serves and how it
 * fails). Memory: SA_CONNS connections (4; 2 on boards with fewer than 16
 * peer slots) of ~12.6 KiB each (the request up to ILPD_HTTP_MAX_HEAD +
 * SG_MSG_DATA_MAX, the answer), static, in the memory map. No heap.
 */
#ifndef ILPD_SETTLE_API_H
#define ILPD_SETTLE_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_net.h"
#include "net/net_opts.h"
#include "settle_glue.h"

struct ilpd_daemon;

/* Connections served at once (the engine makes one or two at a time). */
#if ILPD_MAX_PEERS >= 16
#define SA_CONNS 4
#else
#define SA_CONNS 2
#endif
#define SA_IN (ILPD_HTTP_MAX_HEAD + SG_MSG_DATA_MAX + 1)   /* +1: a full one is not "too large" */
#define SA_OUT (SG_MSG_DATA_MAX + 512)

/* One connection (settle_api.c; here for the memory map, pools.def). */
struct ilpd_settle_api_conn {
	bool used;
	bool waiting;               /* a message is out to the peer */
	bool responded;
	bool await_durable;         /* a credit's answer waits for the journal */
	bool darmed;
	uint32_t dmark;
	uint32_t key_idx;           /* the credit's key entry */
	hal_fd fd;
	int io;
	int timer;
	size_t in_len, out_len, out_off;
	uint8_t in[SA_IN];
	char out[SA_OUT];
};

extern struct ilpd_settle_api_conn ilpd_settle_api_mem[SA_CONNS];

/* Opens the listener when [settlement] listen is set: 0, or -1 (logged). */
int ilpd_settle_api_open(struct ilpd_daemon *d);
void ilpd_settle_api_close(struct ilpd_daemon *d);
/* Called every settlement tick: answers the credits waiting for the
 * ledger to be durable when `durable`. */
void ilpd_settle_api_poll(struct ilpd_daemon *d);
/* /metrics lines; the length, 0 if it does not fit. */
size_t ilpd_settle_api_metrics_text(char *out, size_t cap);

#endif /* ILPD_SETTLE_API_H */
