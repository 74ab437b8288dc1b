/*
 * deliver.h - local delivery to an HTTP business-logic server (TOON's
 * standalone mode): with [local] handler_url set, every Prepare the local
 * account receives (local.h) is sent as `POST /handle-packet` (the JSON
 * contract of net/handle_packet.h) over the daemon's HTTP client pool
 * (httpc_glue.h), and the server's reply becomes the Fulfill or Reject.
 * With notify_transit = true, forwarded Prepares are also POSTed, with
 * isTransit true, fire-and-forget.
 *
 * Rules (docs/applications.md, "HTTP business-logic server"):
 * - At most [local] max_requests deliveries are in flight at once; more
 *   wait, in arrival order, in a queue of [local] queue entries (the
 *   Prepare's bytes are kept in a ring of ILPD_DELIVER_QUEUE_BYTES); a
 *   Prepare that finds the queue full (or the ring without room for it)
 *   is rejected T03 at once. A queued Prepare whose expiry passes is
 *   answered R00 by the switch and dropped from the queue.
 * - Each request's deadline is the packet's expiry minus [local]
 *   timeout_margin_ms (time spent queued counts). No complete answer by
 *   then: R00 (the packet's own expiry is what runs out; the margin leaves
 *   time to pass the Reject upstream). Already past on arrival: R00
 *   without a request.
 * - The server down (connection refused, unreachable): T01. A response
 *   that is not 2xx, not HTTP, larger than the client buffer
 *   (ILPD_HTTPC_BUF), cut off, or whose JSON breaks the contract: T00 and
 *   the event local.bad_reply (reason, HTTP status; never the body).
 *   A Prepare whose request does not fit the client buffer (a router's
 *   8 KiB): T00 without a request (local.bad_reply reason=request_too_large).
 * - notify_transit: after a Prepare is forwarded to a peer, a POST with
 *   isTransit true is started only if nothing is queued, at least one of
 *   max_requests stays free for deliveries after it, and fewer than
 *   max(1, max_requests / 4) notifications are in flight (max_requests 1:
 *   never); otherwise it is dropped and counted. Its answer is ignored
 *   and it is abandoned after 1 s (DL_TRANSIT_MAX_MS). Forwarding never
 *   waits for it.
 * - Events are rate-limited to one a second per kind (later ones counted
 *   in suppressed=).
 *
 * Memory: struct ilpd_deliver (ilpd_deliver_state; pools.def lists it):
 * one scratch buffer of ILPD_HTTPC_BUF (the request body being built, then
 * a reply being parsed in place), the queue ring ILPD_DELIVER_QUEUE_BYTES,
 * the JSON node table (net/handle_packet.h, 512 values: 24 KiB on
 * 64-bit), ILPD_LOCAL_SLOTS queue entries and ILPD_HTTPC_SLOTS request
 * records. Host ~170 KiB.
 * No heap.
 */
#ifndef ILPD_DELIVER_H
#define ILPD_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "local.h"
#include "net/handle_packet.h"
#include "net/net_opts.h"

struct ilpd_daemon;

/* Bytes of queued Prepares (a ring); board-overridable. */
#ifndef ILPD_DELIVER_QUEUE_BYTES
#define ILPD_DELIVER_QUEUE_BYTES (2 * ILPD_HTTPC_BUF)
#endif

/* Counters for /metrics (monotonic except the *_now gauges). */
struct ilpd_deliver_stats {
	uint64_t requests;        /* /handle-packet deliveries sent */
	uint64_t accepted;        /* answered with a Fulfill */
	uint64_t rejected;        /* the server rejected (any code) */
	uint64_t bad_reply;       /* T00: 5xx/4xx, malformed, wrong types, too big */
	uint64_t timeouts;        /* R00: no answer before expiry - margin */
	uint64_t unreachable;     /* T01: connection refused / unreachable */
	uint64_t queued;          /* deliveries that waited in the queue */
	uint64_t queue_full;      /* T03: queue (or its ring) full */
	uint64_t expired_queued;  /* dropped from the queue: expired meanwhile */
	uint64_t late;            /* answers the local account no longer took */
	uint64_t transit_sent;    /* isTransit notifications started */
	uint64_t transit_dropped; /* not sent: no free slot */
	uint64_t transit_failed;  /* sent, but no 2xx came back */
	uint32_t in_flight_now;   /* deliveries with a request in flight */
	uint32_t queue_now;
};

/* A request in flight (its address is the HTTP client's ctx). */
struct ilpd_deliver_req {
	struct ilpd_daemon *d;
	uint32_t id;              /* local delivery id */
	int64_t expires_at;       /* wall ms */
	bool used;
	bool transit;
};

/* A queued Prepare: its bytes at ring[off..off+len). */
struct ilpd_deliver_q {
	uint32_t id;
	uint32_t off;
	uint32_t len;
};

struct ilpd_deliver {
	struct ilpd_daemon *d;
	bool on;                  /* the handler is installed */
	bool transit;             /* notify_transit */
	uint32_t max_requests;
	uint32_t queue_max;
	int timer;                /* retry timer (pool full), or -1 */
	int64_t log_at[3];        /* rate limit per event kind */
	uint32_t log_suppressed[3];
	struct ilpd_deliver_stats st;
	struct ilpd_deliver_req req[ILPD_HTTPC_SLOTS];
	struct ilpd_deliver_q q[ILPD_LOCAL_SLOTS];
	uint32_t q_head, q_len;
	uint32_t ring_start, ring_end;  /* live bytes (see deliver.c) */
	bool ring_wrapped;
	struct hp_work work;
	char path[ILPD_CONF_PATH_MAX + 16];  /* "<url path>/handle-packet" */
	char msg[256];            /* a Reject's message, NUL-terminated */
	/* What the last local.handler line said (with the host): a reload
	 * logs it again when it changes; "" while off. */
	char shown[ILPD_CONF_HOST_MAX + ILPD_CONF_PATH_MAX + 192];
	uint8_t scratch[ILPD_HTTPC_BUF];
	uint8_t ring[ILPD_DELIVER_QUEUE_BYTES];
};

/* The state (defined in deliver.c; the memory map counts it). */
extern struct ilpd_deliver ilpd_deliver_state;

/* At start, after ilpd_local_start(): installs the handler when [local]
 * handler_url is set. 0, or -1 (logged). */
int ilpd_deliver_start(struct ilpd_daemon *d);
/* Reload: picks up max_requests, queue, timeout_margin_ms, notify_transit
 * and handler_url (removed: requests cancelled, waiting deliveries T01). */
void ilpd_deliver_reconfigure(struct ilpd_daemon *d);
/* Daemon stop: cancels requests (their deliveries end with the switch). */
void ilpd_deliver_stop(struct ilpd_daemon *d);
/* daemon.c, after a Prepare (pkt, n: as sent) was forwarded to a peer that
 * is not the local account: the isTransit notification, if enabled. */
void ilpd_deliver_transit(struct ilpd_daemon *d, const uint8_t *pkt, size_t n);

static inline bool ilpd_deliver_transit_on(void)
{
	return ilpd_deliver_state.transit;
}

/* Prometheus lines for /metrics; 0 if cap is too small. */
size_t ilpd_deliver_metrics_text(char *out, size_t cap);
const struct ilpd_deliver_stats *ilpd_deliver_stats(void);

#endif /* ILPD_DELIVER_H */
