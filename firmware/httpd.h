/*
 * httpd.h - ilpd's small HTTP/1.1 server (httpd.c): the admin listener's
 * connection machinery, and the contract route functions are written
 * against (the admin API, the dashboard, /health and /metrics).
 *
 * A request is a head (net/http.h, at most ILPD_HTTP_MAX_HEAD bytes) and a
 * body framed by Content-Length only (at most ILPD_HTTPD_BODY_MAX bytes;
 * more: 413; Transfer-Encoding: chunked or any other coding: 411/400). It
 * must arrive within ILPD_HTTPD_READ_MS of the first byte (slow clients
 * are closed). One request per connection; every answer carries
 * "Connection: close".
 *
 * Routing (admin.c's dispatcher, firmware/admin.c): GET /health, /metrics,
 * /routes stay open without a token; /admin/peers* and /admin/routes* go to
 * ilpd_admin_peers_route / ilpd_admin_routes_route (admin_peers.c),
 * POST /admin/ilp/send to ilpd_admin_send_route (admin_send.c), GET / to
 * ilpd_dashboard_route (dashboard.c). Every /admin/ path needs
 * "Authorization: Bearer <token>" when [admin] token is set (401 with
 * WWW-Authenticate otherwise, logged as admin.unauthorized without the
 * token); a client outside [admin] allowed_ips gets 403 on every path.
 *
 * A route function fills *rs (status, content type, body written into
 * rs->body, at most rs->cap bytes, length in rs->len) and returns
 * ILPD_HTTP_DONE; or it keeps conn_token and returns ILPD_HTTP_ASYNC, then
 * answers later with ilpd_http_respond(). A token is invalid once its
 * connection closed (client gone, deadline, shutdown): ilpd_http_respond()
 * then returns -1 and sends nothing. Errors are JSON
 * {"error": "...", "key": "..."|null} with a 4xx status
 * (ilpd_http_error() writes one).
 *
 * Memory: ILPD_MAX_ADMIN_CONNS connections, each with its request buffer
 * (ILPD_HTTP_MAX_HEAD + ILPD_HTTPD_BODY_MAX) and response buffer
 * (ILPD_ADMIN_OUT_MAX), all inside struct ilpd_daemon; no heap.
 * Single-threaded: everything runs from the event loop.
 */
#ifndef ILPD_HTTPD_H
#define ILPD_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_net.h"
#include "net/http.h"
#include "net/net_opts.h"

struct ilpd_daemon;

/* Largest request body (Content-Length); boards may set it. */
#ifndef ILPD_HTTPD_BODY_MAX
#define ILPD_HTTPD_BODY_MAX 65536
#endif

/* A whole request (head and body) must arrive within this time. */
#ifndef ILPD_HTTPD_READ_MS
#define ILPD_HTTPD_READ_MS 5000
#endif

/* An ILPD_HTTP_ASYNC answer must come within this time (the route may ask
 * for a later deadline in rs->async_deadline_ms). */
#ifndef ILPD_HTTPD_ASYNC_MS
#define ILPD_HTTPD_ASYNC_MS 35000
#endif

#define ILPD_HTTPD_PATH_MAX 256

struct ilpd_http_req {
	const struct http_head *head;   /* the parsed head (views into the request) */
	const char *method;             /* "GET" ...: NUL-terminated copy */
	char path[ILPD_HTTPD_PATH_MAX]; /* percent-decoded path without the query */
	const char *query;              /* after '?' (not decoded), or "" */
	const uint8_t *body;            /* Content-Length bytes (not NUL-terminated) */
	size_t body_len;
	bool authed;                    /* no token set, or the right bearer token */
	const char *peer_ip;            /* the client's address (text) */
};

struct ilpd_http_resp {
	int status;                     /* 200 when the route leaves it */
	const char *content_type;       /* "application/json" when the route leaves it NULL */
	char *body;                     /* the server's buffer ... */
	size_t cap;                     /* ... of this many bytes */
	size_t len;                     /* bytes the route wrote */
	const char *extra_headers;      /* "K: v\r\n"... (static or route-owned), or NULL */
	int64_t async_deadline_ms;      /* ILPD_HTTP_ASYNC: monotonic ms, 0 = ILPD_HTTPD_ASYNC_MS */
};

enum { ILPD_HTTP_DONE = 0, ILPD_HTTP_ASYNC = 1 };

typedef int (*ilpd_http_route_fn)(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
				  struct ilpd_http_resp *rs, uint32_t conn_token);

/* For ILPD_HTTP_ASYNC: answers the request of conn_token (0), or nothing
 * when that connection closed or already answered (-1). */
int ilpd_http_respond(struct ilpd_daemon *d, uint32_t conn_token, int status,
		      const char *content_type, const char *body, size_t len);

/* Writes {"error": error, "key": key or null} (JSON-escaped) with `status`
 * into rs; returns ILPD_HTTP_DONE. */
int ilpd_http_error(struct ilpd_http_resp *rs, int status, const char *error,
		    const char *key);

/* The 401 answer for a request that is not rq->authed (with
 * WWW-Authenticate: Bearer; logs admin.unauthorized without the token). */
int ilpd_http_unauthorized(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			   struct ilpd_http_resp *rs);

/* Route functions (each in its own file). */
int ilpd_admin_peers_route(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			   struct ilpd_http_resp *rs, uint32_t conn_token);
int ilpd_admin_routes_route(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			    struct ilpd_http_resp *rs, uint32_t conn_token);
int ilpd_dashboard_route(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			 struct ilpd_http_resp *rs, uint32_t conn_token);
int ilpd_admin_send_route(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			  struct ilpd_http_resp *rs, uint32_t conn_token);

/* ---- the server (httpd.c; used by admin.c) ---------------------------- */

/* One connection. */
struct ilpd_http_conn {
	struct ilpd_daemon *d;
	bool used;
	bool async;                   /* waiting for ilpd_http_respond() */
	bool continued;               /* "100 Continue" sent */
	bool allowed;                 /* peer_ip is in [admin] allowed_ips */
	uint16_t index;
	uint32_t gen;                 /* bumped on every close: stale tokens fail */
	int timer;                    /* read deadline, then the async deadline */
	int64_t since;
	hal_fd fd;
	int io;
	size_t in_len;
	size_t out_off;
	size_t out_len;
	char peer_ip[HAL_IP_STR_MAX];
	uint8_t in[ILPD_HTTP_MAX_HEAD + ILPD_HTTPD_BODY_MAX];
	char out[ILPD_ADMIN_OUT_MAX];
};

/* The admin listener's dispatcher (admin.c): routes a request that passed
 * framing and the allowed_ips check. */
int ilpd_admin_dispatch(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			struct ilpd_http_resp *rs, uint32_t conn_token);

/* Opens / closes the admin listener ([admin] listen). */
int ilpd_httpd_open(struct ilpd_daemon *d);
void ilpd_httpd_close(struct ilpd_daemon *d);

#endif /* ILPD_HTTPD_H */
