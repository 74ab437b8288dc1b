/*
 * httpd.c - the admin listener's HTTP/1.1 server (httpd.h): accepting
 * through the admin lobby, request framing (head + Content-Length body,
 * bounded in size and time), the allowed_ips and bearer-token checks,
 * dispatching to admin.c's router, synchronous and asynchronous answers.
 *
 * Framing (net/http_req.h, pure): a head that does not parse is 400; a
 * head longer than ILPD_HTTP_MAX_HEAD is 431; Transfer-Encoding chunked is
 * 411 (Length Required; any other coding 400); a Content-Length that is
 * not plain digits, or two that differ, is 400; one over
 * ILPD_HTTPD_BODY_MAX is 413 (answered at once, the body is not read).
 * "Expect: 100-continue" gets its interim answer once the head passed.
 * The whole request must arrive within ILPD_HTTPD_READ_MS of the
 * connection's first byte, else the connection is closed (slow clients).
 *
 * Slots: a connection takes one of ILPD_MAX_ADMIN_CONNS slots when its
 * first byte arrives (idle ones wait in the lobby). With every slot busy
 * the oldest connection that is not waiting for an asynchronous answer is
 * dropped; if all wait for one, the oldest of them (so /health is always
 * reachable).
 *
 * Memory: the slots inside struct ilpd_daemon (httpd.h); the response body
 * is built in d->admin_body. No heap. Log events: admin.unauthorized,
 * admin.forbidden (at most one line per second each, with a count of
 * those not logged).
 */
#include "httpd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "hal/hal_log.h"
#include "net/http_req.h"

/* ---- responses ------------------------------------------------------------ */

static const char *httpd_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default:  return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
	}
}

int ilpd_http_error(struct ilpd_http_resp *rs, int status, const char *error,
		    const char *key)
{
	const char *s[2] = { error, key };
	size_t o = 0;
	int k;

	rs->status = status;
	rs->content_type = "application/json";
	rs->len = 0;
	for (k = 0; k < 2; k++) {
		const char *pre = k == 0 ? "{\"error\":" : ",\"key\":";
		const char *c;
		size_t pl = strlen(pre);

		if (o + pl + 8 >= rs->cap)
			return ILPD_HTTP_DONE;
		memcpy(rs->body + o, pre, pl);
		o += pl;
		if (s[k] == NULL) {
			memcpy(rs->body + o, "null", 4);
			o += 4;
			continue;
		}
		rs->body[o++] = '"';
		for (c = s[k]; *c != '\0' && o + 12 < rs->cap; c++) {
			unsigned char ch = (unsigned char)*c;

			if (ch == '"' || ch == '\\') {
				rs->body[o++] = '\\';
				rs->body[o++] = (char)ch;
			} else if (ch < 0x20 || ch == 0x7f) {
				o += (size_t)snprintf(rs->body + o, rs->cap - o, "\\u%04x", ch);
			} else {
				rs->body[o++] = (char)ch;
			}
		}
		rs->body[o++] = '"';
	}
	if (o + 3 > rs->cap)
		return ILPD_HTTP_DONE;
	rs->body[o++] = '}';
	rs->body[o++] = '\n';
	rs->len = o;
	return ILPD_HTTP_DONE;
}

static void httpd_io(struct ev_loop *loop, int id, unsigned revents, void *arg);

static void httpd_finish(struct ilpd_daemon *d, struct ilpd_http_conn *a)
{
	if (a->timer >= 0)
		ev_timer_del(&d->loop, a->timer);
	a->timer = -1;
	ev_io_del(&d->loop, a->io);
	hal_close(a->fd);
	a->used = false;
	a->async = false;
	a->gen = (a->gen + 1) & 0xffffffu;
}

static void httpd_deadline(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_http_conn *a = arg;

	(void)loop;
	(void)id;
	a->timer = -1;
	if (a->used)
		httpd_finish(a->d, a);
}

static void httpd_set_deadline(struct ilpd_daemon *d, struct ilpd_http_conn *a, int64_t due)
{
	if (a->timer >= 0)
		ev_timer_del(&d->loop, a->timer);
	a->timer = ev_timer_add(&d->loop, due, httpd_deadline, a);
}

/* Puts the whole answer into a->out and starts writing it. */
static int httpd_answer(struct ilpd_daemon *d, struct ilpd_http_conn *a, int status,
			const char *type, const char *extra, const char *body, size_t n)
{
	int hl = snprintf(a->out, sizeof(a->out), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			  "Content-Length: %zu\r\nCache-Control: no-store\r\n%sConnection: close\r\n\r\n",
			  status, httpd_reason(status), type != NULL ? type : "application/json",
			  n, extra != NULL ? extra : "");

	if (hl < 0 || (size_t)hl + n > sizeof(a->out)) {
		httpd_finish(d, a);
		return -1;
	}
	memcpy(a->out + hl, body, n);
	a->out_len = (size_t)hl + n;
	a->out_off = 0;
	a->async = false;
	httpd_set_deadline(d, a, ev_now(&d->loop) + ILPD_HTTPD_READ_MS);
	ev_io_want(&d->loop, a->io, HAL_POLL_OUT);
	return 0;
}

static void httpd_fail(struct ilpd_daemon *d, struct ilpd_http_conn *a, int status,
		       const char *error, const char *extra)
{
	struct ilpd_http_resp rs = { 0 };

	rs.body = d->admin_body;
	rs.cap = 512;
	(void)ilpd_http_error(&rs, status, error, NULL);
	(void)httpd_answer(d, a, status, "application/json", extra, rs.body, rs.len);
}

int ilpd_http_respond(struct ilpd_daemon *d, uint32_t conn_token, int status,
		      const char *content_type, const char *body, size_t len)
{
	uint32_t i = conn_token & 0xffu;
	struct ilpd_http_conn *a;

	if (i >= ILPD_MAX_ADMIN_CONNS)
		return -1;
	a = &d->admin[i];
	if (!a->used || !a->async || a->gen != conn_token >> 8)
		return -1;
	return httpd_answer(d, a, status, content_type, NULL, body, len);
}

/* ---- auth -------------------------------------------------------------------- */

/* Constant-time comparison of the bearer token with the configured one:
 * the time depends only on the lengths' maximum, never on where they
 * differ. */
static bool httpd_token_ok(const char *want, const struct http_str *got)
{
	size_t wl = strlen(want), n = got->n > wl ? got->n : wl, i;
	unsigned diff = (unsigned)(got->n ^ wl);

	for (i = 0; i < n; i++) {
		uint8_t a = i < wl ? (uint8_t)want[i] : 0;
		uint8_t b = i < got->n ? got->p[i] : 0;

		diff |= (unsigned)(a ^ b);
	}
	return diff == 0;
}

static bool httpd_authed(const struct ilpd_daemon *d, const struct http_head *h)
{
	const char *tok = d->conf->admin_auth.token;
	const struct http_str *v;
	struct http_str cred;
	size_t i;

	if (tok[0] == '\0')
		return true;
	v = http_find(h, "authorization");
	if (v == NULL || v->n < 7)
		return false;
	cred.p = v->p;
	cred.n = 6;
	if (!http_str_ieq(&cred, "bearer") || v->p[6] != ' ')
		return false;
	for (i = 7; i < v->n && v->p[i] == ' '; i++)
		;
	cred.p = v->p + i;
	cred.n = v->n - i;
	return httpd_token_ok(tok, &cred);
}

/* A rate-limited warning: at most one line per second per event. */
struct httpd_logrl {
	int64_t last;
	uint64_t quiet;
};
static struct httpd_logrl httpd_rl_unauth, httpd_rl_forbid;

static void httpd_log_client(struct ilpd_daemon *d, struct httpd_logrl *rl, bool forbidden,
			     const char *ip, const char *path)
{
	int64_t now = ev_now(&d->loop);
	size_t n = 0;
	char q[96];

	if (rl->last != 0 && now - rl->last < 1000) {
		rl->quiet++;
		return;
	}
	while (n < 64 && path[n] != '\0')
		n++;
	(void)hal_log_quote(path, n, q, sizeof(q));
	if (forbidden)
		hal_log(HAL_LOG_WARN, "admin.forbidden", "ip=%s path=%s not_logged=%llu", ip, q,
			(unsigned long long)rl->quiet);
	else
		hal_log(HAL_LOG_WARN, "admin.unauthorized", "ip=%s path=%s not_logged=%llu", ip,
			q, (unsigned long long)rl->quiet);
	rl->last = now;
	rl->quiet = 0;
}

int ilpd_http_unauthorized(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			   struct ilpd_http_resp *rs)
{
	httpd_log_client(d, &httpd_rl_unauth, false, rq->peer_ip, rq->path);
	rs->extra_headers = "WWW-Authenticate: Bearer realm=\"ilpd\"\r\n";
	return ilpd_http_error(rs, 401, "missing or wrong bearer token", NULL);
}

/* ---- requests ------------------------------------------------------------------ */

/* True if a request target is under /admin (the API the default
 * allowed_ips keeps to loopback): "/admin", "/admin/...", "/admin?...". */
static bool httpd_admin_target(const struct http_str *t)
{
	static const char pre[] = "/admin";
	const size_t n = sizeof(pre) - 1;

	return t->n >= n && memcmp(t->p, pre, n) == 0 &&
	       (t->n == n || t->p[n] == '/' || t->p[n] == '?');
}

static void httpd_request(struct ilpd_daemon *d, struct ilpd_http_conn *a)
{
	struct http_head h;
	struct http_req_frame fr;
	struct ilpd_http_req rq;
	struct ilpd_http_resp rs;
	char method[16];
	size_t q;
	int r;

	http_req_frame(a->in, a->in_len, ILPD_HTTPD_BODY_MAX, &h, &fr);
	if (fr.status == -1) {
		if (fr.expect_continue && !a->continued && a->in_len == fr.head_len) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			a->continued = true;
			(void)hal_tcp_send(a->fd, cont, sizeof(cont) - 1);
		}
		return;
	}
	/* allowed_ips as given gates every path; the default (loopback) only
	 * /admin/, so /health, /metrics, /routes and the read-only page stay
	 * where [admin] listen puts them, as before allowed_ips existed. */
	if (!a->allowed && (d->conf->admin_auth.allow_line != 0 || fr.status != 0 ||
			    httpd_admin_target(&h.target))) {
		char t[65];
		size_t tn = fr.status == 0 ? (h.target.n < 64 ? h.target.n : 64) : 0;

		memcpy(t, fr.status == 0 ? (const char *)h.target.p : "", tn);
		t[tn] = '\0';
		httpd_log_client(d, &httpd_rl_forbid, true, a->peer_ip, t);
		httpd_fail(d, a, 403, "client address not in [admin] allowed_ips", NULL);
		return;
	}
	if (fr.status != 0) {
		httpd_fail(d, a, fr.status, fr.status == 411 ? "chunked bodies are not accepted; "
			   "send Content-Length" : fr.status == 413 ? "body too large" :
			   fr.status == 431 ? "request head too large" : "malformed request", NULL);
		return;
	}
	memset(&rq, 0, sizeof(rq));
	if (h.method.n >= sizeof(method) ||
	    http_req_path(&h.target, rq.path, sizeof(rq.path), &q) != 0) {
		httpd_fail(d, a, 400, "bad request target", NULL);
		return;
	}
	memcpy(method, h.method.p, h.method.n);
	method[h.method.n] = '\0';
	/* The query (not decoded) is NUL-terminated in place: it ends before
	 * the head's CRLF, which nothing reads any more. */
	if (q < h.target.n && h.target.p[q] == '?') {
		uint8_t *t = a->in + (size_t)(h.target.p - a->in);

		t[h.target.n] = '\0';
		rq.query = (const char *)t + q + 1;
	} else {
		rq.query = "";
	}
	rq.head = &h;
	rq.method = method;
	rq.body = a->in + fr.head_len;
	rq.body_len = fr.body_len;
	rq.authed = httpd_authed(d, &h);
	rq.peer_ip = a->peer_ip;
	memset(&rs, 0, sizeof(rs));
	rs.status = 200;
	rs.body = d->admin_body;
	rs.cap = sizeof(d->admin_body) - 1024;
	r = ilpd_admin_dispatch(d, &rq, &rs, (uint32_t)a->gen << 8 | a->index);
	if (r == ILPD_HTTP_ASYNC) {
		a->async = true;
		httpd_set_deadline(d, a, rs.async_deadline_ms != 0 ? rs.async_deadline_ms :
				   ev_now(&d->loop) + ILPD_HTTPD_ASYNC_MS);
		return;
	}
	if (rs.len > rs.cap) {
		httpd_fail(d, a, 500, "response too large", NULL);
		return;
	}
	(void)httpd_answer(d, a, rs.status, rs.content_type, rs.extra_headers, rs.body, rs.len);
}

static void httpd_read(struct ilpd_daemon *d, struct ilpd_http_conn *a)
{
	uint8_t sink[512];
	long n;

	if (a->async) {
		/* Waiting for the answer: bytes after the request are dropped;
		 * a hang-up ends the connection (the token goes stale). */
		n = hal_tcp_recv(a->fd, sink, sizeof(sink));
		if (n != HAL_NET_AGAIN && n <= 0)
			httpd_finish(d, a);
		return;
	}
	n = hal_tcp_recv(a->fd, a->in + a->in_len, sizeof(a->in) - a->in_len);
	if (n == HAL_NET_AGAIN)
		return;
	if (n <= 0) {
		httpd_finish(d, a);
		return;
	}
	a->in_len += (size_t)n;
	httpd_request(d, a);
}

static void httpd_write(struct ilpd_daemon *d, struct ilpd_http_conn *a)
{
	while (a->out_off < a->out_len) {
		long n = hal_tcp_send(a->fd, a->out + a->out_off, a->out_len - a->out_off);

		if (n == HAL_NET_AGAIN)
			return;
		if (n < 0)
			break;
		a->out_off += (size_t)n;
	}
	httpd_finish(d, a);
}

static void httpd_io(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	struct ilpd_http_conn *a = arg;

	(void)loop;
	(void)id;
	(void)revents;
	if (a->out_len > 0)
		httpd_write(a->d, a);
	else
		httpd_read(a->d, a);
}

/* A free slot; when all are busy the oldest connection not waiting for an
 * asynchronous answer is dropped, so stuck clients cannot take the health
 * endpoint away; when every one waits for an answer, the oldest of those
 * (its packet completes anyway; the answer finds no connection). */
static struct ilpd_http_conn *httpd_slot(struct ilpd_daemon *d)
{
	struct ilpd_http_conn *oldest = NULL, *oldest_async = NULL;
	size_t i;

	for (i = 0; i < ILPD_MAX_ADMIN_CONNS; i++) {
		struct ilpd_http_conn *a = &d->admin[i];

		if (!a->used)
			return a;
		if (!a->async && (oldest == NULL || a->since < oldest->since))
			oldest = a;
		if (a->async && (oldest_async == NULL || a->since < oldest_async->since))
			oldest_async = a;
	}
	if (oldest == NULL)
		oldest = oldest_async;
	httpd_finish(d, oldest);
	return oldest;
}

/* A lobby connection sent its first bytes (or hung up); or, with the lobby
 * full (no_room), a new connection that is kept only if its request is
 * already there: read into the scratch first, before taking a slot. */
static void httpd_ready(struct lobby *lb, hal_fd fd, int64_t since, bool no_room, void *arg)
{
	struct ilpd_daemon *d = arg;
	struct ev_loop *loop = &d->loop;
	struct ilpd_http_conn *a;
	int64_t now = ev_now(loop);
	long got = 0;

	(void)lb;
	(void)since;
	if (no_room) {
		got = hal_tcp_recv(fd, d->admin_body, sizeof(d->admin_body) < ILPD_HTTP_MAX_HEAD ?
				   sizeof(d->admin_body) : ILPD_HTTP_MAX_HEAD);
		if (got <= 0) {
			hal_close(fd);
			return;
		}
	}
	a = httpd_slot(d);
	if (a == NULL) {
		hal_close(fd);
		return;
	}
	a->d = d;
	a->fd = fd;
	a->in_len = (size_t)got;
	if (got > 0)
		memcpy(a->in, d->admin_body, (size_t)got);
	a->out_len = 0;
	a->out_off = 0;
	a->since = now;
	a->async = false;
	a->continued = false;
	if (hal_tcp_peer_ip(fd, a->peer_ip) != HAL_NET_OK)
		strcpy(a->peer_ip, "?");
	a->allowed = ilpd_admin_ip_allowed(&d->conf->admin_auth, a->peer_ip);
	a->io = ev_io_add(loop, fd, HAL_POLL_IN, httpd_io, a);
	if (a->io < 0) {
		hal_close(fd);
		return;
	}
	a->timer = ev_timer_add(loop, now + ILPD_HTTPD_READ_MS, httpd_deadline, a);
	a->used = true;
	/* The request is most likely there already: answer in this iteration. */
	if (got > 0)
		httpd_request(d, a);
	else
		httpd_read(d, a);
}

static void httpd_lobby_full(struct lobby *lb, void *arg)
{
	(void)arg;
	ilpd_log_lobby_full(lb, "admin");
}

int ilpd_httpd_open(struct ilpd_daemon *d)
{
	const struct ilpd_endpoint *e = &d->conf->admin_listen;
	char ip[HAL_IP_STR_MAX];
	size_t i;

	for (i = 0; i < ILPD_MAX_ADMIN_CONNS; i++) {
		d->admin[i].used = false;
		d->admin[i].async = false;
		d->admin[i].timer = -1;
		d->admin[i].index = (uint16_t)i;
	}
	if (!e->enabled)
		return 0;
	if (hal_resolve(e->host, ip) != HAL_NET_OK ||
	    hal_tcp_listen(ip, e->port, 1024, &d->admin_fd) != HAL_NET_OK) {
		hal_log(HAL_LOG_ERROR, "admin.listen_failed", "host=%s port=%u", e->host,
			(unsigned)e->port);
		return -1;
	}
	if (lobby_open(&d->admin_lobby, &d->loop, d->admin_fd, d->admin_lobby_slot,
		       ILPD_LOBBY_ADMIN, ILPD_ADMIN_GRACE_MS, ILPD_HTTPD_READ_MS, LOBBY_ADMIT_READY,
		       httpd_ready, httpd_lobby_full, d) != 0)
		return -1;
	hal_log(HAL_LOG_INFO, "admin.listening", "host=%s port=%u token=%s allowed_ips=%zu",
		e->host, (unsigned)e->port,
		d->conf->admin_auth.token[0] != '\0' ? "set" : "none",
		d->conf->admin_auth.nallow);
	return 0;
}

void ilpd_httpd_close(struct ilpd_daemon *d)
{
	size_t i;

	lobby_close(&d->admin_lobby);
	if (d->admin_fd != HAL_FD_NONE)
		hal_close(d->admin_fd);
	d->admin_fd = HAL_FD_NONE;
	for (i = 0; i < ILPD_MAX_ADMIN_CONNS; i++)
		if (d->admin[i].used)
			httpd_finish(d, &d->admin[i]);
}
