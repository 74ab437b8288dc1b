/*
 * httpc_glue.c - the daemon's HTTP/1.1 client pool (see httpc_glue.h):
 * net/httpc.h's engine over HAL sockets, driven by the daemon's event
 * loop. Memory: struct ilpd_httpc inside struct ilpd_daemon (the memory
 * map's daemon.httpc.slot line); nothing else, no heap.
 *
 * Slot life: FREE -> (connect) CONNECTING -> SENDING -> RECEIVING ->
 * CALLBACK -> IDLE (kept alive) or FREE; IDLE -> SENDING for the next
 * request to the same ip:port (or unix socket path). Every busy slot has
 * exactly one timer (its deadline, or a due-now timer carrying an error
 * found while the request was being accepted, so the callback never runs
 * inside ilpd_httpc_request); an idle slot has its idle timer. A slot's watcher
 * is registered while it has a descriptor.
 *
 * Rules: a callback is called once per accepted request and only after
 * its slot has left the busy states (fail) or entered CALLBACK (done), so
 * whatever the callback does (new requests, cancel, even close) finds a
 * consistent pool; a CALLBACK slot is neither reused nor cancelled.
 *
 * Unix sockets: a slot with unix_sock keeps its path in the last
 * HC_UNIX_TAIL bytes of buf from the request until the slot is given to
 * another connection. The request is built, and the response body read,
 * only into the bytes before them (hc_cap), so the path is there for the
 * retry (hc_connect) and for matching an idle connection (hc_pick)
 * without a field of its own.
 */
#include "httpc_glue.h"

#include <string.h>

#include "config_int.h"
#include "daemon.h"
#include "hal/hal_net.h"

static struct ilpd_httpc *hc_of(struct ilpd_daemon *d)
{
	return &d->httpc;
}

/* The unix socket path's place at the end of a slot's buffer. */
#define HC_UNIX_TAIL (HAL_UNIX_PATH_MAX + 1)
_Static_assert(ILPD_HTTPC_BUF > 4 * HC_UNIX_TAIL, "room for a unix path in the buffer");

static char *hc_unix_path(struct ilpd_httpc_slot *s)
{
	return (char *)s->buf + sizeof(s->buf) - HC_UNIX_TAIL;
}

/* The buffer's bytes for the request and the response body of a TCP or
 * a unix socket connection. */
static size_t hc_cap(bool unix_sock)
{
	return unix_sock ? ILPD_HTTPC_BUF - HC_UNIX_TAIL : ILPD_HTTPC_BUF;
}

static bool hc_busy(const struct ilpd_httpc_slot *s)
{
	return s->state == HTTPC_SLOT_CONNECTING ||
	       s->state == HTTPC_SLOT_SENDING ||
	       s->state == HTTPC_SLOT_RECEIVING;
}

static void hc_timer_off(struct ilpd_httpc_slot *s)
{
	if (s->timer >= 0)
		ev_timer_del(&s->d->loop, s->timer);
	s->timer = -1;
}

/* Closes the slot's connection and timer; the slot becomes FREE. */
static void hc_close(struct ilpd_httpc_slot *s)
{
	hc_timer_off(s);
	if (s->io >= 0)
		ev_io_del(&s->d->loop, s->io);
	s->io = -1;
	if (s->fd != HAL_FD_NONE)
		hal_close(s->fd);
	s->fd = HAL_FD_NONE;
	s->state = HTTPC_SLOT_FREE;
}

/* A busy slot stops being busy: counters. */
static void hc_unbusy(struct ilpd_httpc_slot *s)
{
	struct ilpd_httpc_stats *st = &hc_of(s->d)->st;

	if (st->busy > 0)
		st->busy--;
}

/* Fails the slot's request: closes the connection, then the callback. */
static void hc_fail(struct ilpd_httpc_slot *s, int err)
{
	struct ilpd_httpc_stats *st = &hc_of(s->d)->st;
	ilpd_httpc_done cb = s->cb;
	void *ctx = s->ctx;

	hc_close(s);
	hc_unbusy(s);
	s->cb = NULL;
	s->ctx = NULL;
	st->failures++;
	if (err == ILPD_HTTPC_ERR_TIMEOUT)
		st->timeouts++;
	else if (err == ILPD_HTTPC_ERR_CONNECT)
		st->connect_failures++;
	if (cb != NULL)
		cb(ctx, err, 0, NULL, 0);
}

/* A complete response: the callback with the body in s->buf, then the
 * connection is kept (reusable) or closed. */
static void hc_done(struct ilpd_httpc_slot *s, bool reusable)
{
	struct ilpd_httpc *hc = hc_of(s->d);
	ilpd_httpc_done cb = s->cb;
	void *ctx = s->ctx;

	hc_timer_off(s);
	hc_unbusy(s);
	s->cb = NULL;
	s->ctx = NULL;
	s->state = HTTPC_SLOT_CALLBACK;
	hc->st.responses++;
	if (cb != NULL)
		cb(ctx, 0, s->resp.status, s->buf, s->resp.body_len);
	if (s->state != HTTPC_SLOT_CALLBACK)   /* closed meanwhile (stop) */
		return;
	if (!reusable || !hc->open) {
		hc_close(s);
		return;
	}
	s->state = HTTPC_SLOT_IDLE;
	ev_io_want(&s->d->loop, s->io, HAL_POLL_IN);
}

static void hc_on_timer(struct ev_loop *loop, int id, void *arg);
static void hc_on_io(struct ev_loop *loop, int id, unsigned revents, void *arg);

/* After the callback of a kept connection: the idle timer. Called from
 * the loop (hc_on_io), not from hc_done, so that a request the callback
 * made on this very slot keeps its own timer. */
static void hc_idle_timer(struct ilpd_httpc_slot *s)
{
	if (s->state != HTTPC_SLOT_IDLE || s->timer >= 0)
		return;
	s->timer = ev_timer_add(&s->d->loop, ev_now(&s->d->loop) + ILPD_HTTPC_IDLE_MS,
				hc_on_timer, s);
	if (s->timer < 0)
		hc_close(s);
}

/* Starts a new connection for the slot's request. 0, or an error code. */
static int hc_connect(struct ilpd_httpc_slot *s)
{
	hal_fd fd;
	int r;

	if (s->unix_sock)
		r = hal_unix_connect(hc_unix_path(s), &fd);
	else
		r = hal_tcp_connect(s->ip, s->port, &fd);
	if (r != HAL_NET_OK)
		return ILPD_HTTPC_ERR_CONNECT;
	s->fd = fd;
	s->io = ev_io_add(&s->d->loop, fd, HAL_POLL_OUT, hc_on_io, s);
	if (s->io < 0) {
		hal_close(fd);
		s->fd = HAL_FD_NONE;
		return ILPD_HTTPC_ERR_CONNECT;
	}
	s->state = HTTPC_SLOT_CONNECTING;
	hc_of(s->d)->st.connects++;
	return 0;
}

/* A reused connection failed before one byte of the answer: the server
 * closed it as we wrote. Send once more on a new connection. true if the
 * retry is under way. */
static bool hc_retry(struct ilpd_httpc_slot *s)
{
	if (!s->reused || s->retried || httpc_resp_received(&s->resp) != 0)
		return false;
	if (s->io >= 0)
		ev_io_del(&s->d->loop, s->io);
	s->io = -1;
	if (s->fd != HAL_FD_NONE)
		hal_close(s->fd);
	s->fd = HAL_FD_NONE;
	s->reused = false;
	s->retried = true;
	s->out_off = 0;
	hc_of(s->d)->st.retried++;
	if (hc_connect(s) != 0)
		return false;
	return true;
}

/* The connection broke (reset, closed early): retry or fail. */
static void hc_broken(struct ilpd_httpc_slot *s)
{
	if (!hc_retry(s))
		hc_fail(s, ILPD_HTTPC_ERR_IO);
}

static void hc_send(struct ilpd_httpc_slot *s)
{
	while (s->out_off < s->out_len) {
		long w = hal_tcp_send(s->fd, s->buf + s->out_off, s->out_len - s->out_off);

		if (w == HAL_NET_AGAIN) {
			ev_io_want(&s->d->loop, s->io, HAL_POLL_OUT);
			return;
		}
		if (w <= 0) {
			hc_broken(s);
			return;
		}
		s->out_off += (size_t)w;
	}
	/* Sent: the buffer now takes the response's body. */
	httpc_resp_init(&s->resp, s->buf, hc_cap(s->unix_sock), s->head_req);
	s->state = HTTPC_SLOT_RECEIVING;
	ev_io_want(&s->d->loop, s->io, HAL_POLL_IN);
}

static void hc_recv(struct ilpd_httpc_slot *s)
{
	struct ilpd_httpc *hc = hc_of(s->d);
	int i;

	/* Bounded: at most 64 reads per wake-up (256 KiB with 4 KiB reads),
	 * then the loop serves others; level-triggered poll calls us again. */
	for (i = 0; i < 64; i++) {
		long r = hal_tcp_recv(s->fd, hc->rx, sizeof(hc->rx));
		size_t used;
		int e;

		if (r == HAL_NET_AGAIN)
			return;
		if (r < 0) {
			hc_broken(s);
			return;
		}
		if (r == 0) {
			e = httpc_resp_eof(&s->resp);
			if (e == ILP_OK)
				hc_done(s, false);
			else if (e == ILP_ERR_NEED_MORE)
				hc_broken(s);   /* closed before one byte */
			else
				hc_fail(s, ILPD_HTTPC_ERR_IO);
			return;
		}
		e = httpc_resp_feed(&s->resp, hc->rx, (size_t)r, &used);
		if (e == ILP_OK) {
			/* Bytes after the response were never asked for. */
			hc_done(s, httpc_resp_reusable(&s->resp) && used == (size_t)r);
			return;
		}
		if (e != ILP_ERR_NEED_MORE) {
			hc_fail(s, e);
			return;
		}
	}
}

static void hc_on_io(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	struct ilpd_httpc_slot *s = arg;

	(void)loop;
	(void)id;
	(void)revents;
	switch (s->state) {
	case HTTPC_SLOT_CONNECTING:
		if (hal_tcp_connect_result(s->fd) != HAL_NET_OK) {
			hc_fail(s, ILPD_HTTPC_ERR_CONNECT);
			return;
		}
		s->state = HTTPC_SLOT_SENDING;
		hc_send(s);
		break;
	case HTTPC_SLOT_SENDING:
		hc_send(s);
		break;
	case HTTPC_SLOT_RECEIVING:
		hc_recv(s);
		break;
	case HTTPC_SLOT_IDLE:
		/* An idle connection that speaks or closes is done with. */
		hc_close(s);
		return;
	case HTTPC_SLOT_FREE:
	case HTTPC_SLOT_CALLBACK:
	default:
		return;
	}
	hc_idle_timer(s);
}

static void hc_on_timer(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_httpc_slot *s = arg;

	(void)loop;
	(void)id;
	s->timer = -1;   /* fired: the id is stale */
	if (hc_busy(s))
		hc_fail(s, s->pending_err != 0 ? s->pending_err : ILPD_HTTPC_ERR_TIMEOUT);
	else if (s->state == HTTPC_SLOT_IDLE)
		hc_close(s);
}

/* True if idle slot s is a connection to ip:port (upath NULL) or to the
 * unix socket upath: a TCP and a unix connection never match. */
static bool hc_same(struct ilpd_httpc_slot *s, const char *ip, uint16_t port,
		    const char *upath)
{
	if (s->state != HTTPC_SLOT_IDLE || s->unix_sock != (upath != NULL))
		return false;
	if (upath != NULL)
		return strcmp(hc_unix_path(s), upath) == 0;
	return s->port == port && strcmp(s->ip, ip) == 0;
}

/* Chooses a slot: an idle connection to ip:port (or the unix socket
 * upath), else a free slot, else an idle connection to another host
 * (closed then). NULL: all busy. */
static struct ilpd_httpc_slot *hc_pick(struct ilpd_httpc *hc, const char *ip,
				       uint16_t port, const char *upath)
{
	struct ilpd_httpc_slot *free_s = NULL, *idle_other = NULL;
	size_t i;

	for (i = 0; i < ILPD_HTTPC_SLOTS; i++) {
		struct ilpd_httpc_slot *s = &hc->slot[i];

		if (hc_same(s, ip, port, upath))
			return s;
		if (s->state == HTTPC_SLOT_FREE && free_s == NULL)
			free_s = s;
		if (s->state == HTTPC_SLOT_IDLE && idle_other == NULL)
			idle_other = s;
	}
	return free_s != NULL ? free_s : idle_other;
}

/* "localhost" -> "127.0.0.1", an IP literal -> itself: true; any other
 * host (never looked up): false, ip "". */
static bool hc_literal(const char *host, char ip[HAL_IP_STR_MAX])
{
	size_t n = strlen(host);
	uint8_t a[16];
	bool v6;

	ip[0] = '\0';
	if (conf_ieq(host, "localhost")) {
		strcpy(ip, "127.0.0.1");
		return true;
	}
	if (n >= HAL_IP_STR_MAX || ilpd_ip_parse(host, n, a, &v6) != 0)
		return false;
	memcpy(ip, host, n + 1);
	return true;
}

int ilpd_httpc_request(struct ilpd_daemon *d, const struct ilpd_url *url,
		       const char *method, const char *path,
		       const char *extra_headers, const uint8_t *body, size_t n,
		       int64_t deadline_ms, ilpd_httpc_done cb, void *ctx)
{
	struct ilpd_httpc *hc = hc_of(d);
	struct ilpd_httpc_slot *s;
	char ip[HAL_IP_STR_MAX];
	const char *upath = NULL;   /* the unix socket's path, or NULL */
	const char *hdr_host = url->host;   /* the Host header's */
	uint16_t hdr_port = url->port;
	bool resolved, same;
	size_t len;
	int err = 0;

	if (url == NULL || url->tls || method == NULL || path == NULL || cb == NULL)
		return ILP_ERR_ARG;
	if (!hc->open) {
		hc->st.full++;
		return ILP_ERR_FULL;
	}
	/* Numeric hosts are copied through and "localhost" is 127.0.0.1;
	 * nothing is ever looked up (a name would block the loop, an onion
	 * name would leak to the local DNS): any other host fails to connect.
	 * The configuration refuses such URLs (config_local.c,
	 * config_settle.c). A unix socket is its path (at most
	 * HAL_UNIX_PATH_MAX bytes: a longer one fails to connect). */
	if (ilpd_url_is_unix(url)) {
		upath = url->host;
		hdr_host = "localhost";
		hdr_port = 80;
		ip[0] = '\0';
		resolved = strlen(upath) <= HAL_UNIX_PATH_MAX;
	} else {
		resolved = hc_literal(url->host, ip);
	}
	s = hc_pick(hc, ip, url->port, upath);
	if (s == NULL) {
		hc->st.full++;
		return ILP_ERR_FULL;
	}
	same = resolved && hc_same(s, ip, url->port, upath);
	/* The slot's buffer is free (FREE or IDLE): build the request there,
	 * before the place of a unix socket's path. */
	if (httpc_build_request(s->buf, hc_cap(upath != NULL), &len, method, hdr_host, hdr_port,
				path, extra_headers, body, n) != ILP_OK)
		return ILP_ERR_ARG;
	if (s->state == HTTPC_SLOT_IDLE && !same)
		hc_close(s);   /* evict another host's idle connection */
	hc_timer_off(s);   /* an idle slot's idle timer */
	s->timer = ev_timer_add(&d->loop, deadline_ms, hc_on_timer, s);
	if (s->timer < 0) {
		hc_close(s);
		hc->st.full++;
		return ILP_ERR_FULL;
	}
	s->cb = cb;
	s->ctx = ctx;
	s->pending_err = 0;
	s->head_req = strcmp(method, "HEAD") == 0;
	s->reused = same;
	s->retried = false;
	s->out_len = len;
	s->out_off = 0;
	httpc_resp_init(&s->resp, NULL, 0, s->head_req);   /* received = 0 */
	hc->st.requests++;
	if (++hc->st.busy > hc->st.busy_hwm)
		hc->st.busy_hwm = hc->st.busy;
	if (same) {
		hc->st.reused++;
		s->state = HTTPC_SLOT_SENDING;
		ev_io_want(&d->loop, s->io, HAL_POLL_OUT);
		return 0;
	}
	s->unix_sock = upath != NULL;
	if (!resolved) {
		err = ILPD_HTTPC_ERR_CONNECT;
	} else if (upath != NULL) {
		memcpy(hc_unix_path(s), upath, strlen(upath) + 1);   /* fits: resolved */
		s->ip[0] = '\0';
		s->port = 0;
		err = hc_connect(s);
	} else {
		memcpy(s->ip, ip, sizeof(s->ip));
		s->port = url->port;
		err = hc_connect(s);
	}
	if (err != 0) {
		/* Fails from the loop, at once: a due-now timer. */
		s->state = HTTPC_SLOT_CONNECTING;
		s->pending_err = err;
		ev_timer_del(&d->loop, s->timer);
		s->timer = ev_timer_add(&d->loop, ev_now(&d->loop), hc_on_timer, s);
		if (s->timer < 0) {   /* cannot happen: one was just freed */
			hc_close(s);
			hc_unbusy(s);
			hc->st.requests--;
			return ILP_ERR_FULL;
		}
	}
	return 0;
}

void ilpd_httpc_cancel_ctx(struct ilpd_daemon *d, void *ctx)
{
	struct ilpd_httpc *hc = hc_of(d);
	size_t i;

	for (i = 0; i < ILPD_HTTPC_SLOTS; i++) {
		struct ilpd_httpc_slot *s = &hc->slot[i];

		if (!hc_busy(s) || s->ctx != ctx)
			continue;
		hc_close(s);
		hc_unbusy(s);
		s->cb = NULL;
		s->ctx = NULL;
		hc->st.cancelled++;
	}
}

unsigned ilpd_httpc_free_slots(const struct ilpd_daemon *d)
{
	unsigned n = 0;
	size_t i;

	if (!d->httpc.open)
		return 0;
	for (i = 0; i < ILPD_HTTPC_SLOTS; i++) {
		uint8_t st = d->httpc.slot[i].state;

		if (st == HTTPC_SLOT_FREE || st == HTTPC_SLOT_IDLE)
			n++;
	}
	return n;
}

const struct ilpd_httpc_stats *ilpd_httpc_stats(const struct ilpd_daemon *d)
{
	return &d->httpc.st;
}

const char *ilpd_httpc_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case ILPD_HTTPC_ERR_CONNECT:
		return "connect failed";
	case ILPD_HTTPC_ERR_TIMEOUT:
		return "timeout";
	case ILPD_HTTPC_ERR_IO:
		return "connection broken";
	case ILPD_HTTPC_ERR_STOPPED:
		return "stopped";
	case ILP_ERR_INVALID:
		return "malformed response";
	case ILP_ERR_OVERFLOW:
		return "response too large";
	default:
		return ilp_result_str(err);
	}
}

void ilpd_httpc_init(struct ilpd_daemon *d)
{
	struct ilpd_httpc *hc = hc_of(d);
	size_t i;

	memset(&hc->st, 0, sizeof(hc->st));
	for (i = 0; i < ILPD_HTTPC_SLOTS; i++) {
		struct ilpd_httpc_slot *s = &hc->slot[i];

		s->d = d;
		s->index = (uint16_t)i;
		s->state = HTTPC_SLOT_FREE;
		s->fd = HAL_FD_NONE;
		s->io = -1;
		s->timer = -1;
		s->cb = NULL;
		s->ctx = NULL;
		s->ip[0] = '\0';
		s->port = 0;
		s->unix_sock = false;
	}
	hc->open = true;
}

void ilpd_httpc_close(struct ilpd_daemon *d)
{
	struct ilpd_httpc *hc = hc_of(d);
	size_t i;

	if (!hc->open)
		return;
	hc->open = false;
	for (i = 0; i < ILPD_HTTPC_SLOTS; i++) {
		struct ilpd_httpc_slot *s = &hc->slot[i];

		if (hc_busy(s))
			hc_fail(s, ILPD_HTTPC_ERR_STOPPED);
		else if (s->state == HTTPC_SLOT_IDLE)
			hc_close(s);
	}
}
