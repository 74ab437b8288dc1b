/*
 * httpc_glue.h - the daemon's HTTP/1.1 client: a fixed pool of
 * ILPD_HTTPC_SLOTS client connections (board option, net/net_opts.h) over
 * the HAL sockets and the daemon's event loop, running the pure engine
 * net/httpc.h. Used by local delivery (issue 14: POST /handle-packet) and
 * the settlement engines (issue 15: RFC 38 calls).
 *
 * Memory: struct ilpd_httpc (a member of struct ilpd_daemon, listed in the
 * memory map as "httpc") is ILPD_HTTPC_SLOTS slots of ILPD_HTTPC_BUF
 * (the request, then the response body: one buffer, since the body is
 * read only once the request is sent) + a struct httpc_resp (~5.2 KiB) +
 * ~80 bytes each, plus ILPD_HTTPC_RX (a receive scratch buffer shared by
 * all slots) and the counters. Boards: host 16 x 48 KiB, rpi 8 x 48 KiB,
 * router 4 x 8 KiB (a router's local server must keep its requests and
 * replies under 8 KiB: local-delivery data up to ~5.5 KB). No heap.
 *
 * Rules:
 * - URLs are http:// only (no TLS), to an IPv4/IPv6 literal or
 *   "localhost" (taken as 127.0.0.1). Nothing is ever looked up: a
 *   lookup would block the event loop, and an onion name would go to the
 *   local DNS. A request to any other host fails with
 *   ILPD_HTTPC_ERR_CONNECT; the configuration refuses such URLs
 *   (handler_url, settlement_engine).
 * - Unix sockets: a URL with ilpd_url_is_unix() (settlement_engine =
 *   unix:/PATH) connects to that path (hal_unix_connect; where the HAL has
 *   none, the request fails with ILPD_HTTPC_ERR_CONNECT) and sends
 *   "Host: localhost". Its slot keeps the path in the last
 *   HAL_UNIX_PATH_MAX + 1 bytes of its buffer (for the retry and the
 *   keep-alive match), so such a request and its response get
 *   ILPD_HTTPC_BUF - 108 bytes; nothing grows.
 * - One request per connection at a time (no pipelining). A finished
 *   connection whose response allows keep-alive stays open, idle, for at
 *   most ILPD_HTTPC_IDLE_MS and is reused by the next request to the same
 *   host:port, or the same unix socket path (a unix connection and a TCP
 *   one are never taken for each other). An idle connection that
 *   delivers a byte or closes is closed. When every slot is busy or idle
 *   for other hosts, an idle one is closed to make room; when every slot
 *   is busy, ilpd_httpc_request returns ILP_ERR_FULL.
 * - A request sent on a reused connection that fails before one byte of the
 *   response came back (the server closed the idle connection as we wrote)
 *   is sent again once on a new connection: the server never saw it.
 * - The callback runs exactly once per accepted request, from the event
 *   loop, never from inside ilpd_httpc_request. err == 0: a complete
 *   response (any status, also 4xx/5xx); body/n is its body (decoded when
 *   chunked), valid only during the call. err != 0: status 0, body NULL.
 *   The callback may start new requests and cancel others.
 * - ilpd_httpc_cancel_ctx: no callback for ctx after it returns; its
 *   requests' connections are closed (a half-done exchange cannot be
 *   reused).
 * - Stop: ilpd_httpc_close() (the daemon's stop, once the packets in
 *   flight are settled or the grace period is over) fails every request
 *   in flight with ILPD_HTTPC_ERR_STOPPED and closes every connection;
 *   later requests get ILP_ERR_FULL.
 */
#ifndef ILPD_HTTPC_GLUE_H
#define ILPD_HTTPC_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hal/hal_net.h"
#include "net/httpc.h"
#include "net/net_opts.h"

struct ilpd_daemon;

/* Errors given to the callback besides ILP_ERR_INVALID (malformed
 * response) and ILP_ERR_OVERFLOW (response larger than ILPD_HTTPC_BUF or
 * its head than ILPD_HTTP_MAX_HEAD). All negative, distinct from ILP_ERR_*. */
enum {
	ILPD_HTTPC_ERR_CONNECT = -101,   /* refused, unreachable, bad address */
	ILPD_HTTPC_ERR_TIMEOUT = -102,   /* the deadline passed */
	ILPD_HTTPC_ERR_IO = -103,        /* reset or closed before the end */
	ILPD_HTTPC_ERR_STOPPED = -104    /* the daemon stopped */
};

/* err != 0: status is 0 and body NULL. err == 0: a complete response;
 * body (n bytes) valid only during this call. */
typedef void (*ilpd_httpc_done)(void *ctx, int err, int status,
				const uint8_t *body, size_t n);

/* Counters (monotonic) for /metrics and /health; others print them. */
struct ilpd_httpc_stats {
	uint64_t requests;     /* accepted by ilpd_httpc_request */
	uint64_t responses;    /* complete responses (err == 0), any status */
	uint64_t failures;     /* callbacks with err != 0 (incl. timeouts) */
	uint64_t timeouts;     /* of which ILPD_HTTPC_ERR_TIMEOUT */
	uint64_t connect_failures; /* of which ILPD_HTTPC_ERR_CONNECT */
	uint64_t full;         /* ILP_ERR_FULL returned: no free slot */
	uint64_t connects;     /* connections opened */
	uint64_t reused;       /* requests sent on a kept-alive connection */
	uint64_t retried;      /* sent again after a reused connection failed */
	uint64_t cancelled;    /* requests dropped by ilpd_httpc_cancel_ctx */
	uint32_t busy;         /* slots with a request now */
	uint32_t busy_hwm;     /* most busy slots at once */
};

/* ---- the pool (private to httpc_glue.c; here for struct ilpd_daemon) --- */

enum ilpd_httpc_slot_state {
	HTTPC_SLOT_FREE = 0,   /* no connection */
	HTTPC_SLOT_CONNECTING, /* request waiting for the TCP connect */
	HTTPC_SLOT_SENDING,    /* writing the request */
	HTTPC_SLOT_RECEIVING,  /* reading the response */
	HTTPC_SLOT_IDLE,       /* kept-alive connection, no request */
	HTTPC_SLOT_CALLBACK    /* its callback is running (buf holds the body) */
};

struct ilpd_httpc_slot {
	struct ilpd_daemon *d;
	uint16_t index;
	uint8_t state;                /* enum ilpd_httpc_slot_state */
	bool reused;                  /* this request went on a kept connection */
	bool retried;                 /* already sent again once */
	bool head_req;                /* method HEAD */
	bool unix_sock;               /* to a unix socket: the path is in
				       * buf's last HAL_UNIX_PATH_MAX + 1
				       * bytes (httpc_glue.c); ip "", port 0 */
	hal_fd fd;
	int io;                       /* ev watcher, or -1 */
	int timer;                    /* deadline or idle timer, or -1 */
	uint16_t port;
	char ip[HAL_IP_STR_MAX];      /* the connection's numeric peer (TCP) */
	ilpd_httpc_done cb;
	void *ctx;
	int64_t deadline;             /* monotonic ms */
	int pending_err;              /* fail with this at the timer, or 0 */
	size_t out_len;               /* request bytes in buf */
	size_t out_off;               /* of which sent */
	struct httpc_resp resp;
	uint8_t buf[ILPD_HTTPC_BUF];  /* the request, then the response body */
};

struct ilpd_httpc {
	struct ilpd_httpc_slot slot[ILPD_HTTPC_SLOTS];
	struct ilpd_httpc_stats st;
	bool open;                    /* between ilpd_httpc_init and _close */
	uint8_t rx[ILPD_HTTPC_RX];    /* receive scratch, shared */
};

/* ---- API ---------------------------------------------------------------- */

/* Sends `method path` to url's host:port, or to its unix socket when
 * ilpd_url_is_unix(url) (url->path is not used: the path argument is the
 * request target, e.g. "/handle-packet"). extra_headers:
 * NULL or "Name: value\r\n" lines (e.g. "Idempotency-Key: x\r\n"). body:
 * NULL (none) or n bytes sent as Content-Type: application/json.
 * deadline_ms: ABSOLUTE monotonic time (the clock of hal_mono_ms() and
 * ev_now(&d->loop)) by which the whole exchange must be done; e.g.
 * ev_now(&d->loop) + 5000. Returns 0 (cb will be called exactly once,
 * later), ILP_ERR_FULL (every slot busy; cb never called), ILP_ERR_ARG (a
 * TLS url, a request that does not fit ILPD_HTTPC_BUF, bad characters; cb
 * never called). A deadline already past fails later with
 * ILPD_HTTPC_ERR_TIMEOUT. */
int ilpd_httpc_request(struct ilpd_daemon *d, const struct ilpd_url *url,
		       const char *method, const char *path,
		       const char *extra_headers, const uint8_t *body, size_t n,
		       int64_t deadline_ms, ilpd_httpc_done cb, void *ctx);

/* Drops every request made with ctx: no callback for them after this. */
void ilpd_httpc_cancel_ctx(struct ilpd_daemon *d, void *ctx);

/* URLs: ilpd_http_url_parse (config.h). */

/* Requests that can be accepted now (slots without a request). */
unsigned ilpd_httpc_free_slots(const struct ilpd_daemon *d);

/* The counters. */
const struct ilpd_httpc_stats *ilpd_httpc_stats(const struct ilpd_daemon *d);

/* Static name of an err value given to a callback ("timeout", ...). */
const char *ilpd_httpc_strerror(int err);

/* Daemon start / stop (daemon.c). */
void ilpd_httpc_init(struct ilpd_daemon *d);
void ilpd_httpc_close(struct ilpd_daemon *d);

#endif /* ILPD_HTTPC_GLUE_H */
