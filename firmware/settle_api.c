/*
 * settle_api.c - the settlement listener ([settlement] listen): the RFC 38
 * engine -> connector API, separate from the admin listener.
 *   POST /accounts/:id/settlements  {amount, scale} + Idempotency-Key: an
 *       incoming settlement; credited once per key (settle_glue.c); 201
 *       {"amount": credited, "scale": s} (what could not be credited stays
 *       with the engine, which sends it again: RFC 38's leftover rule).
 *   POST /accounts/:id/messages     raw bytes: sent to the peer as a
 *       peer.settle Prepare; 200 with the peer's reply as the body.
 * Errors: 400 (bad JSON, amount, scale, missing key), 404 (unknown path or
 * account: nothing credited), 405, 411/413 (no or too large
 * Content-Length), 503 (link down), 504 (peer silent), each with a JSON
 * {"error": reason}. One request per connection (Connection: close); a
 * request must arrive within SA_READ_MS.
 *
 * Memory: SA_CONNS connections of ~12.6 KiB (request and response buffers,
 * settle_api.h) static here; no heap. Logs: settlement.* events (docs/ilpd.8).
 */
#include "settle_api.h"

#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "hal/hal_crypto.h"
#include "hal/hal_log.h"
#include "hal/hal_net.h"
#include "hal/hal_time.h"
#include "net/ev.h"
#include "net/http.h"
#include "net/settle_req.h"
#include "persist.h"
#include "settle_glue.h"

#define SA_READ_MS 5000
#define sa_conn ilpd_settle_api_mem
#define SA_BODY_MAX SG_MSG_DATA_MAX

struct ilpd_settle_api_conn ilpd_settle_api_mem[SA_CONNS];
static hal_fd sa_fd = HAL_FD_NONE;
static int sa_io = -1;
static struct ilpd_daemon *sa_d;
static uint64_t sa_requests, sa_errors;

static void sa_close(struct ilpd_settle_api_conn *c)
{
	if (!c->used)
		return;
	if (c->waiting)
		ilpd_settle_cancel_message(c);
	if (c->io >= 0)
		ev_io_del(&sa_d->loop, c->io);
	if (c->timer >= 0)
		ev_timer_del(&sa_d->loop, c->timer);
	hal_close(c->fd);
	memset(c, 0, sizeof(*c));
	c->io = -1;
	c->timer = -1;
	c->fd = HAL_FD_NONE;
}

static const char *sa_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Error";
	}
}

static void sa_flush(struct ilpd_settle_api_conn *c)
{
	while (c->out_off < c->out_len) {
		long r = hal_tcp_send(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (r == HAL_NET_AGAIN) {
			ev_io_want(&sa_d->loop, c->io, HAL_POLL_OUT);
			return;
		}
		if (r <= 0) {
			sa_close(c);
			return;
		}
		c->out_off += (size_t)r;
	}
	sa_close(c);
}

static void sa_respond(struct ilpd_settle_api_conn *c, int status, const char *ctype, const void *body,
		       size_t n)
{
	int h;

	if (c->responded)
		return;
	c->responded = true;
	c->waiting = false;
	if (status >= 400)
		sa_errors++;
	h = snprintf(c->out, sizeof(c->out), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n", status,
		     sa_reason(status), ctype, n);
	if (h < 0 || (size_t)h + n > sizeof(c->out)) {
		sa_close(c);
		return;
	}
	memcpy(c->out + h, body, n);
	c->out_len = (size_t)h + n;
	c->out_off = 0;
	sa_flush(c);
}

static void sa_error(struct ilpd_settle_api_conn *c, int status, const char *why)
{
	char b[256];
	int n = snprintf(b, sizeof(b), "{\"error\":\"%s\"}", why);

	if (hal_log_enabled(HAL_LOG_DEBUG))
		hal_log(HAL_LOG_DEBUG, "settlement.api_refused", "status=%d reason=\"%s\"",
			status, why);
	sa_respond(c, status, "application/json", b, n > 0 ? (size_t)n : 0);
}

static void sa_msg_done(void *ctx, int status, const uint8_t *reply, size_t n)
{
	struct ilpd_settle_api_conn *c = ctx;

	c->waiting = false;
	if (status == 200)
		sa_respond(c, 200, "application/octet-stream", reply, n);
	else
		sa_error(c, status, status == 504 ? "peer did not answer" :
			 "peer rejected the message");
}

static void sa_settlement(struct ilpd_settle_api_conn *c, int slot, const struct http_head *h,
			  uint8_t *body, size_t n)
{
	const struct http_str *key = http_find(h, "Idempotency-Key");
	uint8_t dg[HAL_SHA256_LEN];
	uint64_t amount, out_amount;
	uint8_t scale, out_scale;
	uint32_t kidx = 0;
	const char *why;
	char b[96], amt[SETTLE_AMOUNT_DIGITS + 1];
	int len;

	if (key == NULL || key->n == 0 || key->n > 256) {
		sa_error(c, 400, "missing Idempotency-Key");
		return;
	}
	if (settle_req_quantity(body, n, &amount, &scale, &why) != 0) {
		sa_error(c, 400, why);
		return;
	}
	if (slot < 0) {
		sa_error(c, 404, "unknown account");
		return;
	}
	hal_sha256(key->p, key->n, dg);
	if (ilpd_settle_credit(sa_d, (uint16_t)slot, dg, amount, scale, &out_amount,
			       &out_scale, &kidx) != 0) {
		sa_error(c, 503, "cannot credit now");
		return;
	}
	(void)settle_format_amount(out_amount, amt);
	len = snprintf(b, sizeof(b), "{\"amount\":\"%s\",\"scale\":%u}", amt,
		       (unsigned)out_scale);
	/* Answered once the credit (and its key) is durable: ilpd_settle_api_poll. */
	memcpy(c->out, b, (size_t)len);
	c->out_len = (size_t)len;
	c->await_durable = true;   /* the read deadline still bounds the wait */
	c->darmed = false;
	c->key_idx = kidx;
	ilpd_settle_api_poll(sa_d);   /* durability off: at once */
}

void ilpd_settle_api_poll(struct ilpd_daemon *d)
{
	char b[96];
	size_t k, n;

	for (k = 0; k < SA_CONNS; k++) {
		struct ilpd_settle_api_conn *c = &sa_conn[k];

		if (!c->used || !c->await_durable ||
		    !ilpd_settle_durable(d, ilpd_persist_settle_written(&d->dur.p, -1,
									 (int)c->key_idx),
					 &c->dmark, &c->darmed))
			continue;
		n = c->out_len < sizeof(b) ? c->out_len : sizeof(b);
		memcpy(b, c->out, n);
		c->await_durable = false;
		sa_respond(c, 201, "application/json", b, n);
	}
}

/* A whole request is in c->in: route it. */
static void sa_dispatch(struct ilpd_settle_api_conn *c, const struct http_head *h, size_t head_len,
			size_t body_len)
{
	const uint8_t *id;
	size_t id_len;
	const char *why;
	int kind, slot, r;

	sa_requests++;
	if (!http_str_eq(&h->method, "POST")) {
		sa_error(c, 405, "only POST is served here");
		return;
	}
	if (settle_req_target(h->target.p, h->target.n, &kind, &id, &id_len, &why) != 0) {
		sa_error(c, 404, why);
		return;
	}
	slot = ilpd_settle_peer(sa_d, (const char *)id, id_len);
	if (kind == SETTLE_REQ_SETTLEMENT) {
		sa_settlement(c, slot, h, c->in + head_len, body_len);
		return;
	}
	if (slot < 0) {
		sa_error(c, 404, "unknown account");
		return;
	}
	c->waiting = true;
	r = ilpd_settle_send_message(sa_d, (uint16_t)slot, c->in + head_len, body_len,
				     sa_msg_done, c);
	if (r != 0) {
		c->waiting = false;
		sa_error(c, r, r == 413 ? "message too large" : "peer link is down");
		return;
	}
	if (c->timer >= 0)
		ev_timer_del(&sa_d->loop, c->timer);
	c->timer = -1;   /* settle_glue's own expiry answers 504 */
}

/* Reads; once head and body are complete, dispatches. */
static void sa_read(struct ilpd_settle_api_conn *c)
{
	struct http_head h;
	const struct http_str *cl, *te;
	size_t head_len = 0, i;
	uint64_t want = 0;
	long r;
	int pr;

	for (;;) {
		if (c->in_len == sizeof(c->in)) {
			sa_error(c, 413, "request too large");
			return;
		}
		r = hal_tcp_recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (r == HAL_NET_AGAIN)
			break;
		if (r <= 0) {
			sa_close(c);
			return;
		}
		c->in_len += (size_t)r;
	}
	pr = http_parse_request(c->in, c->in_len, &h, &head_len);
	if (pr == ILP_ERR_NEED_MORE)
		return;
	if (pr != ILP_OK) {
		sa_error(c, 400, "malformed request head");
		return;
	}
	te = http_find(&h, "Transfer-Encoding");
	if (te != NULL) {
		sa_error(c, 411, "Transfer-Encoding is not accepted; send Content-Length");
		return;
	}
	cl = http_find(&h, "Content-Length");
	if (cl == NULL) {
		want = 0;
	} else {
		if (cl->n == 0 || cl->n > 19) {
			sa_error(c, cl->n > 19 ? 413 : 400, "bad Content-Length");
			return;
		}
		for (i = 0; i < cl->n; i++) {
			if (cl->p[i] < '0' || cl->p[i] > '9') {
				sa_error(c, 400, "bad Content-Length");
				return;
			}
			want = want * 10 + (uint64_t)(cl->p[i] - '0');
		}
	}
	if (want > SA_BODY_MAX) {
		sa_error(c, 413, "body too large");
		return;
	}
	if (c->in_len < head_len + want)
		return;
	if (c->in_len > head_len + want) {
		sa_error(c, 400, "bytes after the body (one request per connection)");
		return;
	}
	ev_io_want(&sa_d->loop, c->io, 0);
	sa_dispatch(c, &h, head_len, (size_t)want);
}

static void sa_conn_io(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	struct ilpd_settle_api_conn *c = arg;

	(void)loop;
	(void)id;
	if (!c->used)
		return;
	if (c->responded) {
		sa_flush(c);
		return;
	}
	if (c->waiting || c->await_durable) {
		(void)revents;
		return;
	}
	sa_read(c);
}

static void sa_conn_timeout(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_settle_api_conn *c = arg;

	(void)loop;
	if (!c->used || c->timer != id)
		return;
	c->timer = -1;
	sa_close(c);
}

static void sa_accept(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	hal_fd fd;
	char ip[HAL_IP_STR_MAX];
	size_t k;

	(void)id;
	(void)revents;
	(void)arg;
	while (hal_tcp_accept(sa_fd, &fd, ip) == HAL_NET_OK) {
		struct ilpd_settle_api_conn *c = NULL;

		for (k = 0; k < SA_CONNS; k++)
			if (!sa_conn[k].used) {
				c = &sa_conn[k];
				break;
			}
		if (c == NULL) {
			hal_close(fd);
			hal_log(HAL_LOG_WARN, "settlement.api_refused", "reason=busy peer_ip=%s", ip);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->used = true;
		c->fd = fd;
		c->io = ev_io_add(loop, fd, HAL_POLL_IN, sa_conn_io, c);
		c->timer = ev_timer_add(loop, ev_now(loop) + SA_READ_MS, sa_conn_timeout, c);
		if (c->io < 0 || c->timer < 0)
			sa_close(c);
	}
}

int ilpd_settle_api_open(struct ilpd_daemon *d)
{
	const struct ilpd_endpoint *e = &d->conf->settlement_listen;
	size_t k;

	sa_d = d;
	for (k = 0; k < SA_CONNS; k++) {
		memset(&sa_conn[k], 0, sizeof(sa_conn[k]));
		sa_conn[k].io = -1;
		sa_conn[k].timer = -1;
		sa_conn[k].fd = HAL_FD_NONE;
	}
	if (!e->enabled)
		return 0;
	if (hal_tcp_listen(e->host, e->port, 16, &sa_fd) != HAL_NET_OK) {
		hal_log(HAL_LOG_ERROR, "settlement.listen_failed", "addr=%s port=%u", e->host,
			(unsigned)e->port);
		return -1;
	}
	sa_io = ev_io_add(&d->loop, sa_fd, HAL_POLL_IN, sa_accept, d);
	if (sa_io < 0) {
		hal_close(sa_fd);
		sa_fd = HAL_FD_NONE;
		return -1;
	}
	hal_log(HAL_LOG_INFO, "settlement.listening", "addr=%s port=%u", e->host,
		(unsigned)e->port);
	return 0;
}

void ilpd_settle_api_close(struct ilpd_daemon *d)
{
	size_t k;

	(void)d;
	for (k = 0; k < SA_CONNS; k++)
		sa_close(&sa_conn[k]);
	if (sa_io >= 0 && sa_d != NULL)
		ev_io_del(&sa_d->loop, sa_io);
	sa_io = -1;
	if (sa_fd != HAL_FD_NONE)
		hal_close(sa_fd);
	sa_fd = HAL_FD_NONE;
}

size_t ilpd_settle_api_metrics_text(char *out, size_t cap)
{
	int n = snprintf(out, cap,
			 "# HELP ilpd_settlement_api_requests_total Requests on the "
			 "settlement listener.\n"
			 "# TYPE ilpd_settlement_api_requests_total counter\n"
			 "ilpd_settlement_api_requests_total %llu\n"
			 "# HELP ilpd_settlement_api_errors_total Requests answered 4xx/5xx.\n"
			 "# TYPE ilpd_settlement_api_errors_total counter\n"
			 "ilpd_settlement_api_errors_total %llu\n",
			 (unsigned long long)sa_requests, (unsigned long long)sa_errors);

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
