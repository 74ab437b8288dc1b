/*
 * deliver.c - local delivery to an HTTP business-logic server (see
 * deliver.h for the rules, docs/applications.md for the contract).
 *
 * IMPLEMENTATION NOTES
 * - The local account (local.h) calls dl_handler with the raw Prepare and
 *   an id; the answer goes back with ilpd_local_accept/_reject, once. Its
 *   bytes are valid only during the call: a request is built from them at
 *   once (the HTTP client copies the request into its slot), a queued
 *   Prepare is copied into the ring.
 * - The ring holds queued Prepares in arrival order (the queue is FIFO, so
 *   space is freed in the order it was taken): live bytes are
 *   [ring_start, ring_end) or, once an entry had to start again at 0
 *   (ring_wrapped), [ring_start, end of the last upper entry) plus
 *   [0, ring_end).
 * - One scratch buffer serves both directions: the request body is built
 *   in it just before ilpd_httpc_request copies it, and a reply is copied
 *   into it for the in-place JSON parse (the HTTP client's body is const
 *   and lives only during the callback). Callbacks never run inside
 *   ilpd_httpc_request, so the two uses never overlap.
 * - The HTTP client pool is shared (settlement engines use it too): a
 *   delivery that finds it full waits in the queue and a 20 ms timer
 *   retries.
 * - Transit notifications never take the slots deliveries need: one
 *   starts only while nothing is queued, at least one of max_requests
 *   stays free after it, and fewer than max(1, max_requests / 4) are in
 *   flight; each is abandoned after DL_TRANSIT_MAX_MS (1 s).
 * Memory: ilpd_deliver_state (deliver.h); stack only otherwise. No heap.
 */
#include "deliver.h"

#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "httpc_glue.h"
#include "hal/hal_log.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"
#include "ilp/ilp_packet.h"

struct ilpd_deliver ilpd_deliver_state;

#define DL_RETRY_MS 20
/* An isTransit notification's request is abandoned after this long: a
 * server that does not answer them holds a slot no longer than this. */
#define DL_TRANSIT_MAX_MS 1000
/* Event kinds (rate-limited separately). */
enum { DL_LOG_BAD = 0, DL_LOG_DOWN = 1 };
#define DL_LOG_EVERY_MS 1000

static void dl_pump(struct ilpd_deliver *s);

static const struct ilpd_local_conf *dl_conf(const struct ilpd_deliver *s)
{
	return &s->d->conf->local;
}

static uint32_t dl_busy(const struct ilpd_deliver *s)
{
	uint32_t i, n = 0;

	for (i = 0; i < ILPD_HTTPC_SLOTS; i++)
		n += s->req[i].used;
	return n;
}

static uint32_t dl_transit_busy(const struct ilpd_deliver *s)
{
	uint32_t i, n = 0;

	for (i = 0; i < ILPD_HTTPC_SLOTS; i++)
		n += s->req[i].used && s->req[i].transit;
	return n;
}

/* A transit notification may start now: nothing is queued, it leaves at
 * least one of max_requests free for deliveries, and fewer than
 * max(1, max_requests / 4) notifications are in flight (so with
 * max_requests = 1 none is ever sent). */
static bool dl_transit_ok(const struct ilpd_deliver *s)
{
	uint32_t cap = s->max_requests / 4 > 0 ? s->max_requests / 4 : 1;

	return s->q_len == 0 && dl_busy(s) + 1 < s->max_requests &&
	       dl_transit_busy(s) < cap;
}

/* Rate-limited event: one line a second per kind, the rest counted. */
static bool dl_log_ok(struct ilpd_deliver *s, int kind, uint32_t *suppressed)
{
	int64_t now = hal_mono_ms();

	if (s->log_at[kind] != 0 && now - s->log_at[kind] < DL_LOG_EVERY_MS) {
		s->log_suppressed[kind]++;
		return false;
	}
	s->log_at[kind] = now;
	*suppressed = s->log_suppressed[kind];
	s->log_suppressed[kind] = 0;
	return true;
}

static void dl_bad_reply(struct ilpd_deliver *s, const char *reason, int status)
{
	char q[160];
	uint32_t sup;

	s->st.bad_reply++;
	if (!dl_log_ok(s, DL_LOG_BAD, &sup))
		return;
	hal_log(HAL_LOG_WARN, "local.bad_reply", "reason=%s status=%d suppressed=%u",
		hal_log_quote(reason, strlen(reason), q, sizeof(q)), status, (unsigned)sup);
}

/* Answers delivery `id` with a Reject of our own. */
static void dl_reject(struct ilpd_deliver *s, uint32_t id, const char *code, const char *msg)
{
	if (ilpd_local_reject(s->d, id, code, msg, NULL, 0) != 0)
		s->st.late++;
}

/* ---- the queue ring ------------------------------------------------------ */

static bool dl_ring_alloc(struct ilpd_deliver *s, uint32_t len, uint32_t *off)
{
	if (s->q_len == 0) {
		s->ring_start = s->ring_end = 0;
		s->ring_wrapped = false;
	}
	if (!s->ring_wrapped) {
		if (ILPD_DELIVER_QUEUE_BYTES - s->ring_end >= len) {
			*off = s->ring_end;
			s->ring_end += len;
			return true;
		}
		if (s->ring_start >= len) {
			*off = 0;
			s->ring_end = len;
			s->ring_wrapped = true;
			return true;
		}
		return false;
	}
	if (s->ring_start - s->ring_end >= len) {
		*off = s->ring_end;
		s->ring_end += len;
		return true;
	}
	return false;
}

static void dl_pop(struct ilpd_deliver *s)
{
	const struct ilpd_deliver_q *e = &s->q[s->q_head];
	uint32_t off = e->off;

	s->q_head = (s->q_head + 1) % ILPD_LOCAL_SLOTS;
	s->q_len--;
	s->st.queue_now = s->q_len;
	if (s->q_len == 0) {
		s->ring_start = s->ring_end = 0;
		s->ring_wrapped = false;
		return;
	}
	s->ring_start = s->q[s->q_head].off;
	if (s->ring_wrapped && s->ring_start < off)
		s->ring_wrapped = false;   /* the next entry is the one at 0 */
}

static bool dl_push(struct ilpd_deliver *s, uint32_t id, const uint8_t *pkt, size_t n)
{
	struct ilpd_deliver_q *e;
	uint32_t off;

	if (s->q_len >= s->queue_max || n > ILPD_DELIVER_QUEUE_BYTES ||
	    !dl_ring_alloc(s, (uint32_t)n, &off))
		return false;
	memcpy(s->ring + off, pkt, n);
	e = &s->q[(s->q_head + s->q_len) % ILPD_LOCAL_SLOTS];
	e->id = id;
	e->off = off;
	e->len = (uint32_t)n;
	s->q_len++;
	s->st.queue_now = s->q_len;
	s->st.queued++;
	return true;
}

static void dl_timer(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_deliver *s = arg;

	(void)loop;
	(void)id;
	s->timer = -1;
	dl_pump(s);
}

static void dl_arm(struct ilpd_deliver *s)
{
	if (s->timer < 0)
		s->timer = ev_timer_add(&s->d->loop, ev_now(&s->d->loop) + DL_RETRY_MS,
					dl_timer, s);
}

/* ---- requests -------------------------------------------------------------- */

static void dl_done(void *ctx, int err, int status, const uint8_t *body, size_t n);

/* Time left before the request deadline (expiry - margin), in ms. */
static int64_t dl_left(const struct ilpd_deliver *s, int64_t expires_at)
{
	return expires_at - dl_conf(s)->timeout_margin_ms - hal_wall_ms();
}

enum { DL_SENT = 0, DL_ANSWERED = 1 };

/* Starts the request for Prepare pr (id: its delivery; transit: a
 * notification). DL_SENT, DL_ANSWERED (a delivery answered at once), or
 * ILP_ERR_FULL (no slot in the HTTP client pool: try again later). */
static int dl_send(struct ilpd_deliver *s, uint32_t id, const struct ilp_prepare *pr,
		   bool transit)
{
	struct ilpd_deliver_req *rq = NULL;
	uint8_t pid[HP_PAYMENT_ID_LEN];
	int64_t left = dl_left(s, pr->expires_at);
	size_t len = 0, i;
	int rc;

	for (i = 0; i < ILPD_HTTPC_SLOTS && rq == NULL; i++)
		if (!s->req[i].used)
			rq = &s->req[i];
	if (rq == NULL)
		return ILP_ERR_FULL;
	if (left <= 0) {
		if (!transit) {
			s->st.timeouts++;
			dl_reject(s, id, "R00", "expires before the local server could answer.");
		}
		return DL_ANSWERED;
	}
	if (transit && left > DL_TRANSIT_MAX_MS)
		left = DL_TRANSIT_MAX_MS;
	if (hal_random(pid, sizeof(pid)) != 0)
		memset(pid, 0, sizeof(pid));
	rc = hp_build_body(pr, pid, transit, (char *)s->scratch, sizeof(s->scratch), &len);
	if (rc == ILP_OK)
		rc = ilpd_httpc_request(s->d, &dl_conf(s)->handler_url, "POST", s->path, NULL,
					s->scratch, len, ev_now(&s->d->loop) + left, dl_done, rq);
	if (rc == ILP_ERR_FULL)
		return ILP_ERR_FULL;
	if (rc != ILP_OK) {
		/* Too large for the client's buffer (or an expiry out of range). */
		if (!transit) {
			dl_bad_reply(s, "request_too_large", 0);
			dl_reject(s, id, "T00", "packet too large for the local server's request buffer.");
		}
		return DL_ANSWERED;
	}
	rq->d = s->d;
	rq->id = id;
	rq->expires_at = pr->expires_at;
	rq->transit = transit;
	rq->used = true;
	if (transit) {
		s->st.transit_sent++;
	} else {
		s->st.requests++;
		s->st.in_flight_now++;
	}
	return DL_SENT;
}

/* Copies a server's message (decoded JSON, maybe with NULs) for a Reject. */
static const char *dl_message(struct ilpd_deliver *s, const uint8_t *m, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < sizeof(s->msg) && m[i] != '\0'; i++)
		s->msg[i] = (char)m[i];
	s->msg[i] = '\0';
	return s->msg;
}

static void dl_answer(struct ilpd_deliver *s, uint32_t id, const uint8_t *body, size_t n)
{
	struct hp_reply r;

	if (n > sizeof(s->scratch)) {
		dl_bad_reply(s, "reply_too_large", 200);
		dl_reject(s, id, "T00", "local server sent a bad reply.");
		return;
	}
	memcpy(s->scratch, body, n);
	hp_parse_reply(&s->work, s->scratch, n, &r);
	switch (r.kind) {
	case HP_ACCEPT:
		switch (ilpd_local_accept(s->d, id, r.data, r.data_len)) {
		case 0:
			s->st.accepted++;
			break;
		case ILP_ERR_NOT_FOUND:
			s->st.late++;
			break;
		default:   /* a Fulfill the account cannot send (too large) */
			dl_bad_reply(s, "reply data too large for a Fulfill", 200);
			dl_reject(s, id, "T00", "local server sent a bad reply.");
			break;
		}
		break;
	case HP_REJECT:
		s->st.rejected++;
		dl_reject(s, id, r.code, dl_message(s, r.message, r.message_len));
		break;
	case HP_ERROR:
	default:
		dl_bad_reply(s, r.why != NULL ? r.why : "bad reply", 200);
		dl_reject(s, id, "T00", "local server sent a bad reply.");
		break;
	}
}

static void dl_done(void *ctx, int err, int status, const uint8_t *body, size_t n)
{
	struct ilpd_deliver_req *rq = ctx;
	struct ilpd_deliver *s = &ilpd_deliver_state;
	uint32_t id = rq->id, sup;
	bool transit = rq->transit;

	rq->used = false;
	if (transit) {
		if (err != 0 || status < 200 || status > 299)
			s->st.transit_failed++;
		dl_pump(s);
		return;
	}
	s->st.in_flight_now--;
	if (err == ILPD_HTTPC_ERR_TIMEOUT) {
		s->st.timeouts++;
		dl_reject(s, id, "R00", "local server did not answer in time.");
	} else if (err == ILPD_HTTPC_ERR_CONNECT) {
		s->st.unreachable++;
		if (dl_log_ok(s, DL_LOG_DOWN, &sup))
			hal_log(HAL_LOG_WARN, "local.unreachable", "port=%u suppressed=%u",
				(unsigned)dl_conf(s)->handler_url.port, (unsigned)sup);
		dl_reject(s, id, "T01", "local server unreachable.");
	} else if (err == ILPD_HTTPC_ERR_STOPPED) {
		dl_reject(s, id, "T03", "connector is shutting down.");
	} else if (err != 0) {
		dl_bad_reply(s, ilpd_httpc_strerror(err), 0);
		dl_reject(s, id, "T00", "local server sent a bad reply.");
	} else if (status < 200 || status > 299) {
		dl_bad_reply(s, "http_status", status);
		dl_reject(s, id, "T00", "local server sent a bad reply.");
	} else {
		dl_answer(s, id, body, n);
	}
	dl_pump(s);
}

/* Starts queued deliveries while slots are free. */
static void dl_pump(struct ilpd_deliver *s)
{
	struct ilp_prepare pr;
	const struct ilpd_deliver_q *e;
	int rc;

	while (s->on && s->q_len > 0 && dl_busy(s) < s->max_requests) {
		e = &s->q[s->q_head];
		if (!ilpd_local_pending(s->d, e->id)) {
			s->st.expired_queued++;
			dl_pop(s);
			continue;
		}
		if (ilp_prepare_decode(s->ring + e->off, e->len, &pr, NULL) != ILP_OK) {
			dl_reject(s, e->id, "F00", "bad packet.");
			dl_pop(s);
			continue;
		}
		rc = dl_send(s, e->id, &pr, false);
		if (rc == ILP_ERR_FULL) {
			dl_arm(s);
			return;
		}
		dl_pop(s);
	}
}

/* ---- the handler and the daemon's hooks ------------------------------------ */

static void dl_handler(void *ctx, struct ilpd_daemon *d, uint32_t id,
		       const uint8_t *prepare, size_t n)
{
	struct ilpd_deliver *s = ctx;
	struct ilp_prepare pr;
	int rc;

	(void)d;
	if (ilp_prepare_decode(prepare, n, &pr, NULL) != ILP_OK) {
		dl_reject(s, id, "F00", "bad packet.");
		return;
	}
	if (s->q_len == 0 && dl_busy(s) < s->max_requests) {
		rc = dl_send(s, id, &pr, false);
		if (rc != ILP_ERR_FULL)
			return;
	}
	if (dl_left(s, pr.expires_at) <= 0) {
		s->st.timeouts++;
		dl_reject(s, id, "R00", "expires before the local server could answer.");
		return;
	}
	if (!dl_push(s, id, prepare, n)) {
		s->st.queue_full++;
		dl_reject(s, id, "T03", "local server busy.");
		return;
	}
	if (dl_busy(s) < s->max_requests)
		dl_arm(s);   /* the pool itself was full */
}

void ilpd_deliver_transit(struct ilpd_daemon *d, const uint8_t *pkt, size_t n)
{
	struct ilpd_deliver *s = &ilpd_deliver_state;
	struct ilp_prepare pr;

	(void)d;
	if (!s->on || !s->transit)
		return;
	if (!dl_transit_ok(s) ||
	    ilp_prepare_decode(pkt, n, &pr, NULL) != ILP_OK ||
	    dl_send(s, 0, &pr, true) != DL_SENT)
		s->st.transit_dropped++;
}

/* Reads the limits from the configuration in force. */
static void dl_limits(struct ilpd_deliver *s)
{
	const struct ilpd_local_conf *c = dl_conf(s);
	const char *p = c->handler_url.path;
	size_t pl = strlen(p);

	s->max_requests = c->max_requests < 1 ? 1 :
			  c->max_requests > ILPD_HTTPC_SLOTS ? ILPD_HTTPC_SLOTS :
			  (uint32_t)c->max_requests;
	s->queue_max = c->queue < 0 ? 0 :
		       c->queue > ILPD_LOCAL_SLOTS ? ILPD_LOCAL_SLOTS : (uint32_t)c->queue;
	s->transit = c->notify_transit;
	while (pl > 0 && p[pl - 1] == '/')
		pl--;
	snprintf(s->path, sizeof(s->path), "%.*s/handle-packet", (int)pl, p);
}

/* local.handler with the settings in force: always (start), or only when
 * they differ from what it said last (a reload). */
static void dl_log_on(struct ilpd_deliver *s, bool always)
{
	const struct ilpd_local_conf *c = dl_conf(s);
	char line[sizeof(s->shown)];
	int n, k;

	k = snprintf(line, sizeof(line), "%s ", c->handler_url.host);
	if (k < 0 || (size_t)k >= sizeof(line))
		k = 0;
	n = snprintf(line + k, sizeof(line) - (size_t)k, "port=%u path=%s max_requests=%u "
		     "queue=%u timeout_margin_ms=%lld notify_transit=%s",
		     (unsigned)c->handler_url.port, s->path, (unsigned)s->max_requests,
		     (unsigned)s->queue_max, (long long)c->timeout_margin_ms,
		     s->transit ? "true" : "false");
	if (n < 0)
		return;
	if (!always && strcmp(line, s->shown) == 0)
		return;
	memcpy(s->shown, line, strlen(line) + 1);
	hal_log(HAL_LOG_INFO, "local.handler", "%s", line + k);
}

int ilpd_deliver_start(struct ilpd_daemon *d)
{
	struct ilpd_deliver *s = &ilpd_deliver_state;

	if (s->d != d) {   /* first start (a re-enable by reload keeps the counters) */
		memset(s, 0, offsetof(struct ilpd_deliver, scratch));
		s->d = d;
	}
	s->timer = -1;
	s->q_head = s->q_len = 0;
	if (!d->conf->local.handler)
		return 0;
	dl_limits(s);
	ilpd_local_set_handler(d, dl_handler, s);
	if (ilpd_local_peer(d) < 0) {
		hal_log(HAL_LOG_ERROR, "local.handler_failed", "reason=%s",
			"no local account (no free peer slot)");
		ilpd_local_set_handler(d, NULL, NULL);
		return -1;
	}
	s->on = true;
	dl_log_on(s, true);
	return 0;
}

/* Ends every request and waiting delivery (code: the answer given). */
static void dl_flush(struct ilpd_deliver *s, const char *code, const char *msg)
{
	size_t i;

	for (i = 0; i < ILPD_HTTPC_SLOTS; i++) {
		struct ilpd_deliver_req *rq = &s->req[i];

		if (!rq->used)
			continue;
		ilpd_httpc_cancel_ctx(s->d, rq);
		rq->used = false;
		if (!rq->transit && code != NULL)
			dl_reject(s, rq->id, code, msg);
	}
	s->st.in_flight_now = 0;
	while (s->q_len > 0) {
		if (code != NULL)
			dl_reject(s, s->q[s->q_head].id, code, msg);
		dl_pop(s);
	}
	if (s->timer >= 0)
		ev_timer_del(&s->d->loop, s->timer);
	s->timer = -1;
}

void ilpd_deliver_reconfigure(struct ilpd_daemon *d)
{
	struct ilpd_deliver *s = &ilpd_deliver_state;

	if (s->d == NULL)
		s->d = d;
	if (!d->conf->local.handler) {
		if (s->on) {
			s->on = false;
			s->transit = false;
			ilpd_local_set_handler(d, NULL, NULL);
			dl_flush(s, "T01", "local server removed.");
			s->shown[0] = '\0';
			hal_log(HAL_LOG_INFO, "local.handler", "port=none");
		}
		return;
	}
	if (!s->on) {
		(void)ilpd_deliver_start(d);
		return;
	}
	dl_limits(s);
	dl_log_on(s, false);   /* "at start or after a reload" (ilpd.8) */
	dl_pump(s);
}

void ilpd_deliver_stop(struct ilpd_daemon *d)
{
	struct ilpd_deliver *s = &ilpd_deliver_state;

	(void)d;
	if (s->d == NULL)
		return;
	dl_flush(s, NULL, NULL);
	s->on = false;
	s->transit = false;
}

const struct ilpd_deliver_stats *ilpd_deliver_stats(void)
{
	return &ilpd_deliver_state.st;
}

size_t ilpd_deliver_metrics_text(char *out, size_t cap)
{
	const struct ilpd_deliver_stats *st = &ilpd_deliver_state.st;
	const struct {
		const char *name, *type, *help;
		unsigned long long v;
	} m[] = {
		{ "ilpd_local_http_requests_total", "counter",
		  "Local deliveries POSTed to the [local] handler_url server.", st->requests },
		{ "ilpd_local_http_accepted_total", "counter",
		  "Local deliveries the server accepted (Fulfill).", st->accepted },
		{ "ilpd_local_http_rejected_total", "counter",
		  "Local deliveries the server rejected.", st->rejected },
		{ "ilpd_local_http_bad_replies_total", "counter",
		  "T00: non-2xx, malformed, wrong types or oversized (local.bad_reply).",
		  st->bad_reply },
		{ "ilpd_local_http_timeouts_total", "counter",
		  "R00: no answer before the expiry minus timeout_margin_ms.", st->timeouts },
		{ "ilpd_local_http_unreachable_total", "counter",
		  "T01: the local server refused the connection.", st->unreachable },
		{ "ilpd_local_http_queued_total", "counter",
		  "Local deliveries that waited for a free request slot.", st->queued },
		{ "ilpd_local_http_queue_full_total", "counter",
		  "T03: the delivery queue was full.", st->queue_full },
		{ "ilpd_local_http_queue_expired_total", "counter",
		  "Queued deliveries that expired (R00) before a slot was free.",
		  st->expired_queued },
		{ "ilpd_local_http_late_total", "counter",
		  "Server answers that came after the packet had been answered.", st->late },
		{ "ilpd_local_http_in_flight", "gauge",
		  "Local deliveries with a request in flight now.", st->in_flight_now },
		{ "ilpd_local_http_queue", "gauge", "Local deliveries waiting now.",
		  st->queue_now },
		{ "ilpd_local_transit_sent_total", "counter",
		  "isTransit notifications sent (notify_transit).", st->transit_sent },
		{ "ilpd_local_transit_dropped_total", "counter",
		  "isTransit notifications dropped: no request slot to spare (deliveries first).", st->transit_dropped },
		{ "ilpd_local_transit_failed_total", "counter",
		  "isTransit notifications without a 2xx answer.", st->transit_failed },
	};
	size_t len = 0, i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		int n = snprintf(out + len, cap - len, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
				 m[i].name, m[i].help, m[i].name, m[i].type, m[i].name, m[i].v);

		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
	}
	return len;
}
