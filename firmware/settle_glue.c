/*
 * settle_glue.c - settlement through RFC 38 engines: the daemon's side
 * (rules in settle_glue.h, the model in ilp/settle.h). A 100 ms tick
 * drives every peer's engine calls; peer.settle messages go both ways over
 * the BTP links; credits come from settle_api.c.
 *
 * Memory: see settle_glue.h (host: ~12 KiB static). No heap.
 */
#include "settle_glue.h"

#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "hal/hal_log.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"
#include "httpc_glue.h"
#include "ilp/btp.h"
#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "ilp/ledger.h"
#include "net/settle_req.h"
#include "net/wsconn.h"
#include "persist.h"
#include "settle_api.h"

#define SG_TICK_MS 100
#define SG_BACKOFF_MS 500
#define SG_BACKOFF_MAX_MS 30000
#define SG_HTTP_MS 10000          /* deadline of one engine call */
#define SG_MSG_EXPIRY_MS 10000    /* peer.settle Prepare expiry */
#define SG_PATH_MAX (ILPD_CONF_PATH_MAX + 64)
#define SG_DELETE_TRIES 20        /* DELETE /accounts/:id attempts (~8 min) */

enum { SG_IDLE = 0, SG_ACCOUNT, SG_SETTLE, SG_DELETE };

struct sg_peer {
	bool on;                    /* has an engine (from the link's settings) */
	bool account_ok;            /* POST /accounts answered 2xx */
	uint8_t busy;               /* SG_* request in flight */
	uint32_t acct_failures;     /* POST /accounts, or DELETE while deleting */
	bool deleting;              /* removed: DELETE /accounts/:id pending */
	uint32_t refusals;          /* settlements refused in a row (4xx) */
	uint32_t cuts;              /* settlements in a row cut by the scale range */
	int64_t next_start;         /* monotonic ms: no new settlement before */
	bool darmed;                /* durability wait of the open settlement */
	uint32_t dmark;
	int64_t next_try;           /* monotonic ms */
	struct ilpd_url url;        /* the engine */
	char name[ILPD_PEER_NAME_MAX + 1];
};

/* A message in flight: out = ours to a peer (reply to `done`); in = a
 * peer's, at our engine (reply on the link with BTP id `tag`). */
struct sg_msg {
	bool used;
	bool out;
	uint16_t peer;
	uint16_t seq;
	uint32_t tag;
	int64_t deadline;           /* monotonic ms */
	ilpd_settle_msg_done done;
	void *ctx;
};

static struct sg_peer sg_peer[ILPD_MAX_PEERS];
static struct sg_msg sg_msg[2 * SG_MSG_MAX];
static uint16_t sg_seq;
static struct ilpd_daemon *ilpd_settle_daemon;   /* for the HTTP callbacks */
static int sg_timer = -1;
static uint8_t sg_pkt[SG_MSG_DATA_MAX + 256];
static struct {
	uint64_t requested, accepted, refused, failed, credited, duplicate_credits;
	uint64_t messages_out, messages_in, message_failures;
} sg_ctr;

static const char *sg_name(const struct ilpd_daemon *d, uint16_t i)
{
	return d->sw.peers[i].cfg.name;
}

static int64_t sg_now(const struct ilpd_daemon *d)
{
	return ev_now(&d->loop);
}

static void sg_cfg(const struct ilpd_daemon *d, uint16_t i, struct settle_cfg *c)
{
	const struct ilpd_peer_conf *p = &d->link[i].peer;

	c->enabled = sg_peer[i].on;
	c->threshold = p->settle_threshold;
	c->settle_to = p->settle_to;
	c->ledger_scale = p->rate.scale;
	c->engine_scale = p->settle_scale;
}

static void sg_path(char *out, size_t cap, const struct sg_peer *sp, const char *tail)
{
	(void)snprintf(out, cap, "%s/accounts/%s%s", sp->url.path, sp->name, tail);
}

/* ---- ilpd -> engine ---------------------------------------------------- */

static void sg_sync(struct ilpd_daemon *d);

/* The answer to DELETE /accounts/:id of a removed peer: done on 2xx or 4xx
 * (404: already gone); no answer or 5xx: again after the backoff, at most
 * SG_DELETE_TRIES times. A finished slot may be taken by a new peer. */
static void sg_delete_done(struct sg_peer *sp, int err, int status)
{
	sp->busy = SG_IDLE;
	if (err == 0 && status / 100 != 5) {
		hal_log(status / 100 == 2 ? HAL_LOG_INFO : HAL_LOG_WARN, "settlement.account",
			"peer=%s action=delete status=%d attempts=%u", sp->name, status,
			(unsigned)sp->acct_failures + 1u);
	} else if (++sp->acct_failures < SG_DELETE_TRIES) {
		sp->next_try = hal_mono_ms() + settle_backoff_ms(sp->acct_failures, SG_BACKOFF_MS,
								SG_BACKOFF_MAX_MS);
		if (sp->acct_failures == 1 || sp->acct_failures % 10 == 0)
			hal_log(HAL_LOG_WARN, "settlement.failed", "peer=%s action=delete_account "
				"status=%d error=%s attempts=%u", sp->name, status,
				err != 0 ? ilpd_httpc_strerror(err) : "status",
				(unsigned)sp->acct_failures);
		return;
	} else {
		hal_log(HAL_LOG_WARN, "settlement.failed", "peer=%s action=delete_account "
			"status=%d error=%s attempts=%u final=yes note=\"the account stays at "
			"the engine\"", sp->name, status,
			err != 0 ? ilpd_httpc_strerror(err) : "status", (unsigned)sp->acct_failures);
	}
	memset(sp, 0, sizeof(*sp));
	sg_sync(ilpd_settle_daemon);   /* a new peer waiting for the slot */
}

static void sg_account_done(void *ctx, int err, int status, const uint8_t *body, size_t n)
{
	struct sg_peer *sp = ctx;
	uint16_t i = (uint16_t)(sp - sg_peer);
	struct settle_peer *st = &ilpd_settle_state.peer[i];

	(void)body;
	(void)n;
	if (sp->busy == SG_DELETE) {
		sg_delete_done(sp, err, status);
		return;
	}
	sp->busy = SG_IDLE;
	if (err == 0 && status / 100 == 2) {
		sp->account_ok = true;
		sp->acct_failures = 0;
		st->engine_up = SETTLE_ENGINE_REACHABLE;
		hal_log(HAL_LOG_INFO, "settlement.account", "peer=%s action=create status=%d",
			sp->name, status);
		return;
	}
	sp->acct_failures++;
	st->engine_up = err != 0 ? SETTLE_ENGINE_UNREACHABLE :
			status >= 500 ? SETTLE_ENGINE_ERROR : SETTLE_ENGINE_REACHABLE;
	st->failures_total++;
	sp->next_try = hal_mono_ms() + settle_backoff_ms(sp->acct_failures, SG_BACKOFF_MS,
							SG_BACKOFF_MAX_MS);
	if (sp->acct_failures == 1 || sp->acct_failures % 10 == 0)
		hal_log(HAL_LOG_WARN, "settlement.failed", "peer=%s action=create_account "
			"status=%d error=%s attempts=%u", sp->name, status,
			err != 0 ? ilpd_httpc_strerror(err) : "status", (unsigned)sp->acct_failures);
}

static void sg_account(struct ilpd_daemon *d, uint16_t i)
{
	struct sg_peer *sp = &sg_peer[i];
	char path[SG_PATH_MAX], body[ILPD_PEER_NAME_MAX + 16];
	int n;

	(void)snprintf(path, sizeof(path), "%s/accounts", sp->url.path);
	n = snprintf(body, sizeof(body), "{\"id\":\"%s\"}", sp->name);
	if (ilpd_httpc_request(d, &sp->url, "POST", path, NULL, (const uint8_t *)body,
			       (size_t)n, hal_mono_ms() + SG_HTTP_MS, sg_account_done, sp) == 0)
		sp->busy = SG_ACCOUNT;
	else
		sp->next_try = hal_mono_ms() + SG_BACKOFF_MS;
}

static void sg_delete(struct ilpd_daemon *d, uint16_t i)
{
	struct sg_peer *sp = &sg_peer[i];
	char path[SG_PATH_MAX];

	sg_path(path, sizeof(path), sp, "");
	if (ilpd_httpc_request(d, &sp->url, "DELETE", path, NULL, NULL, 0,
			       hal_mono_ms() + SG_HTTP_MS, sg_account_done, sp) == 0)
		sp->busy = SG_DELETE;
	else
		sp->next_try = hal_mono_ms() + SG_BACKOFF_MS;
}

/* Reads {"amount": "digits", "scale": n} from an engine's body (the
 * listener's parser, net/settle_req.h); false if it is not one. */
static bool sg_quantity(const uint8_t *body, size_t n, uint64_t *amount, uint8_t *scale)
{
	static uint8_t buf[512];
	const char *why;

	if (body == NULL || n == 0 || n > sizeof(buf))
		return false;
	memcpy(buf, body, n);
	return settle_req_quantity(buf, n, amount, scale, &why) == 0;
}

/* The amount held for an open settlement goes back to the balance. */
static void sg_give_back(struct ilpd_daemon *d, uint16_t i, uint64_t back)
{
	if (back == 0)
		return;
	if (ledger_settle(&d->sw.ledger, i, (int64_t)back) != ILP_OK)
		hal_log(HAL_LOG_ERROR, "settlement.failed", "peer=%s action=give_back "
			"amount=%llu reason=ledger_range", sg_name(d, i), (unsigned long long)back);
}

static void sg_settle_done(void *ctx, int err, int status, const uint8_t *body, size_t n)
{
	struct sg_peer *sp = ctx;
	uint16_t i = (uint16_t)(sp - sg_peer);
	struct settle_peer *st = &ilpd_settle_state.peer[i];
	struct ilpd_daemon *d = ilpd_settle_daemon;
	struct settle_cfg c;
	uint64_t amount, back, held = st->settling;
	uint8_t scale;
	uint32_t f;

	bool noq = false;

	sp->busy = SG_IDLE;
	sg_cfg(d, i, &c);
	/* A 2xx must say how much the engine took (RFC 38: a quantity). One
	 * that does not may not have queued anything: the request stays open
	 * and goes again with the same key (an engine answers a repeated key
	 * with its first answer), never counted as paid on a guess. */
	if (err == 0 && status / 100 == 2 && !sg_quantity(body, n, &amount, &scale))
		noq = true;
	if (err == 0 && status / 100 == 2 && !noq) {
		back = settle_accepted(st, &c, amount, scale, hal_wall_ms());
		ledger_release_out(&d->sw.ledger, i, held);
		sg_give_back(d, i, back);
		sp->refusals = 0;
		sg_ctr.accepted++;
		hal_log(HAL_LOG_INFO, "settlement.accepted", "peer=%s amount=%llu returned=%llu "
			"status=%d", sp->name, (unsigned long long)st->last_amount,
			(unsigned long long)back, status);
		return;
	}
	if (err == 0 && status / 100 == 4) {
		back = settle_refused(st);
		ledger_release_out(&d->sw.ledger, i, held);
		sg_give_back(d, i, back);
		sg_ctr.refused++;
		/* not asked again at once: the same backoff as failures */
		sp->refusals++;
		sp->next_try = hal_mono_ms() + settle_backoff_ms(sp->refusals, SG_BACKOFF_MS,
								SG_BACKOFF_MAX_MS);
		hal_log(HAL_LOG_WARN, "settlement.failed", "peer=%s action=settle status=%d "
			"final=yes returned=%llu", sp->name, status, (unsigned long long)back);
		return;
	}
	f = settle_failed(st);
	/* it answered (5xx, or 2xx without a quantity): an error, not gone */
	st->engine_up = err != 0 ? SETTLE_ENGINE_UNREACHABLE : SETTLE_ENGINE_ERROR;
	sg_ctr.failed++;
	sp->next_try = hal_mono_ms() + settle_backoff_ms(f, SG_BACKOFF_MS, SG_BACKOFF_MAX_MS);
	hal_log(f == 1 || f % 10 == 0 ? HAL_LOG_WARN : HAL_LOG_DEBUG, "settlement.failed",
		"peer=%s action=settle status=%d error=%s attempts=%u retry_ms=%lld", sp->name,
		status, err != 0 ? ilpd_httpc_strerror(err) : noq ? "no_quantity" : "status",
		(unsigned)f,
		(long long)(sp->next_try - hal_mono_ms()));
}

static void sg_settle_send(struct ilpd_daemon *d, uint16_t i)
{
	struct sg_peer *sp = &sg_peer[i];
	const struct settle_peer *st = &ilpd_settle_state.peer[i];
	char path[SG_PATH_MAX], body[96], amt[SETTLE_AMOUNT_DIGITS + 1];
	char hdr[48 + SETTLE_KEY_TEXT], key[SETTLE_KEY_TEXT + 1];
	int n;

	sg_path(path, sizeof(path), sp, "/settlements");
	(void)settle_format_amount(st->engine_amount, amt);
	n = snprintf(body, sizeof(body), "{\"amount\":\"%s\",\"scale\":%u}", amt,
		     (unsigned)d->link[i].peer.settle_scale);
	settle_key_text(st->key, key);
	(void)snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s\r\n", key);
	if (ilpd_httpc_request(d, &sp->url, "POST", path, hdr, (const uint8_t *)body,
			       (size_t)n, hal_mono_ms() + SG_HTTP_MS, sg_settle_done, sp) == 0)
		sp->busy = SG_SETTLE;
	else
		sp->next_try = hal_mono_ms() + SG_BACKOFF_MS;
}

/* A settlement due for more than the engine's scale can express (scales
 * far apart: at 19 one ledger unit is 10^19 engine units, the most one
 * request can name): settlement.failed once, with the reason, and the next
 * one waits the backoff, so a cut settlement is not asked for again and
 * again at the tick's pace. True when nothing can be asked for at all. */
static bool sg_range(struct ilpd_daemon *d, uint16_t i, const struct settle_cfg *c)
{
	struct sg_peer *sp = &sg_peer[i];
	const struct settle_peer *st = &ilpd_settle_state.peer[i];
	int64_t bal = d->sw.ledger.slot[i].balance;
	uint64_t want, max;

	if (!c->enabled || c->threshold == INT64_MAX || st->settling != 0 ||
	    bal >= c->threshold || c->settle_to <= bal) {
		sp->cuts = 0;
		return false;
	}
	want = (uint64_t)c->settle_to - (uint64_t)bal;
	max = settle_engine_max(c->ledger_scale, c->engine_scale);
	if (want <= max) {
		sp->cuts = 0;
		return false;
	}
	if (sp->cuts < UINT32_MAX)
		sp->cuts++;
	if (sp->cuts == 1)
		hal_log(HAL_LOG_WARN, "settlement.failed", "peer=%s action=settle "
			"reason=scale_range amount=%llu max=%llu ledger_scale=%u scale=%u "
			"note=\"%s\"", sp->name, (unsigned long long)want,
			(unsigned long long)max, (unsigned)c->ledger_scale,
			(unsigned)c->engine_scale, max == 0 ?
			"no amount converts to the engine's scale; nothing is asked for" :
			"only part converts to the engine's scale; settled in parts, each after "
			"the backoff");
	sp->next_start = hal_mono_ms() + settle_backoff_ms(sp->cuts, SG_BACKOFF_MS,
							   SG_BACKOFF_MAX_MS);
	return max == 0;
}

/* A settlement is due: move it out of the balance, hold it, ask. */
static void sg_settle_start(struct ilpd_daemon *d, uint16_t i)
{
	struct settle_peer *st = &ilpd_settle_state.peer[i];
	struct settle_cfg c;
	uint64_t amount, eng, key = 0;

	sg_cfg(d, i, &c);
	if (hal_mono_ms() < sg_peer[i].next_start)
		return;
	if (sg_range(d, i, &c))
		return;
	if (settle_due(&c, st, d->sw.ledger.slot[i].balance, &amount, &eng) != 1)
		return;
	while (key == 0)
		if (hal_random(&key, sizeof(key)) != 0)
			return;
	if (ledger_settle(&d->sw.ledger, i, -(int64_t)amount) != ILP_OK)
		return;
	if (ledger_reserve_out(&d->sw.ledger, i, amount) != ILP_OK) {
		sg_give_back(d, i, amount);
		return;
	}
	settle_begin(st, amount, eng, key);
	sg_ctr.requested++;
	hal_log(HAL_LOG_INFO, "settlement.requested", "peer=%s amount=%llu engine_amount=%llu "
		"scale=%u balance=%lld", sg_name(d, i), (unsigned long long)amount,
		(unsigned long long)eng, (unsigned)c.engine_scale,
		(long long)d->sw.ledger.slot[i].balance);
	/* Sent by a later tick, once the move and the key are durable. */
	sg_peer[i].darmed = false;
}

bool ilpd_settle_durable(struct ilpd_daemon *d, bool written, uint32_t *mark, bool *armed)
{
	const struct ilpd_persist *p = &d->dur.p;

	if (p->st == NULL)
		return true;
	if (!written) {
		*armed = false;
		return false;
	}
	if (!*armed) {
		/* after everything written so far; a release marker (the last
		 * record, unsynced by design) does not count */
		*mark = p->pos.seq - (p->marker_last ? 1u : 0u);
		*armed = true;
	}
	return (int32_t)(p->durable_seq - (*mark - 1u)) >= 0;
}

/* ---- peer.settle ------------------------------------------------------- */

static struct sg_msg *sg_msg_new(void)
{
	size_t k;

	for (k = 0; k < 2 * SG_MSG_MAX; k++)
		if (!sg_msg[k].used) {
			memset(&sg_msg[k], 0, sizeof(sg_msg[k]));
			sg_msg[k].used = true;
			return &sg_msg[k];
		}
	return NULL;
}

static struct ilpd_conn *sg_conn(struct ilpd_daemon *d, uint16_t i)
{
	struct ilpd_link *l = &d->link[i];
	struct ilpd_conn *c;

	if (l->state != LINK_UP || l->conn < 0)
		return NULL;
	c = &d->conn[l->conn];
	return c->ws.state == WSC_OPEN ? c : NULL;
}

/* Answers a peer's peer.settle Prepare on its link (BTP Response). */
static void sg_answer_peer(struct ilpd_daemon *d, const struct sg_msg *m, bool ok,
			   const uint8_t *data, size_t n, const char *code, const char *why)
{
	static const uint8_t zero[ILP_FULFILLMENT_LEN];
	struct ilpd_conn *c = sg_conn(d, m->peer);
	size_t len, flen;
	int r;

	if (c == NULL)
		return;
	if (ok) {
		struct ilp_fulfill f = { zero, data, n };

		r = ilp_fulfill_encode(&f, sg_pkt, sizeof(sg_pkt), &len);
	} else {
		struct ilp_reject rj;

		memset(&rj, 0, sizeof(rj));
		rj.code = (const uint8_t *)code;
		rj.triggered_by = d->sw.address;
		rj.triggered_by_len = d->sw.cfg.address_len;
		rj.message = (const uint8_t *)why;
		rj.message_len = strlen(why);
		r = ilp_reject_encode(&rj, sg_pkt, sizeof(sg_pkt), &len);
	}
	if (r != ILP_OK ||
	    btp_ilp_encode(BTP_RESPONSE, m->tag, sg_pkt, len, d->frame, sizeof(d->frame),
			   &flen) != ILP_OK ||
	    wsconn_send(&c->ws, WS_OP_BINARY, d->frame, flen) != 0)
		hal_log(HAL_LOG_DEBUG, "settlement.message_dropped", "peer=%s", sg_name(d, m->peer));
}

static void sg_in_done(void *ctx, int err, int status, const uint8_t *body, size_t n)
{
	struct sg_msg *m = ctx;
	struct ilpd_daemon *d = ilpd_settle_daemon;

	if (err == 0 && status / 100 == 2 && n <= SG_MSG_DATA_MAX) {
		sg_answer_peer(d, m, true, body, n, NULL, NULL);
	} else {
		sg_ctr.message_failures++;
		hal_log(HAL_LOG_WARN, "settlement.failed", "peer=%s action=message status=%d "
			"error=%s", sg_name(d, m->peer), status,
			err != 0 ? ilpd_httpc_strerror(err) : "status");
		/* R00: the sender answers its engine 504, as for a silent peer */
		if (err == ILPD_HTTPC_ERR_TIMEOUT)
			sg_answer_peer(d, m, false, NULL, 0, "R00",
				       "settlement engine did not answer in time.");
		else
			sg_answer_peer(d, m, false, NULL, 0, "T00",
				       "settlement engine did not answer.");
	}
	m->used = false;
}

/* The switch's peer.settle hook. */
static int sg_hook(void *ctx, uint16_t from, uint32_t tag, int64_t expires_at,
		   const uint8_t *data, size_t len, const char **msg)
{
	struct ilpd_daemon *d = ctx;
	struct sg_peer *sp;
	struct sg_msg *m;
	char path[SG_PATH_MAX];
	int64_t left = settle_msg_wait_ms(expires_at, hal_wall_ms(), SG_HTTP_MS);

	if (from >= ILPD_MAX_PEERS || !sg_peer[from].on) {
		*msg = "no settlement engine for this account.";
		return -1;
	}
	if (len > SG_MSG_DATA_MAX) {
		*msg = "settlement message too large.";
		return -1;
	}
	m = sg_msg_new();
	if (m == NULL) {
		*msg = "too many settlement messages in flight.";
		return -1;
	}
	sp = &sg_peer[from];
	m->out = false;
	m->peer = from;
	m->tag = tag;
	m->deadline = hal_mono_ms() + left;
	sg_path(path, sizeof(path), sp, "/messages");
	if (ilpd_httpc_request(d, &sp->url, "POST", path,
			       "Content-Type: application/octet-stream\r\n", data, len,
			       m->deadline, sg_in_done, m) != 0) {
		m->used = false;
		*msg = "settlement engine busy.";
		return -1;
	}
	sg_ctr.messages_in++;
	return 0;
}

int ilpd_settle_send_message(struct ilpd_daemon *d, uint16_t slot, const uint8_t *data,
			     size_t n, ilpd_settle_msg_done done, void *ctx)
{
	struct ilp_prepare p;
	struct ilpd_conn *c;
	struct sg_msg *m;
	size_t len, flen;
	uint32_t id;

	if (slot >= ILPD_MAX_PEERS || n > SG_MSG_DATA_MAX)
		return 413;
	c = sg_conn(d, slot);
	if (c == NULL)
		return 503;
	m = sg_msg_new();
	if (m == NULL)
		return 503;
	memset(&p, 0, sizeof(p));
	p.amount = 0;
	p.expires_at = hal_wall_ms() + SG_MSG_EXPIRY_MS;
	p.condition = ilp_peer_condition;
	p.destination = (const uint8_t *)"peer.settle";
	p.destination_len = 11;
	p.data = data;
	p.data_len = n;
	sg_seq++;
	id = (uint32_t)sg_seq << 16 | ILPD_SETTLE_ID;
	if (ilp_prepare_encode(&p, sg_pkt, sizeof(sg_pkt), &len) != ILP_OK ||
	    btp_ilp_encode(BTP_MESSAGE, id, sg_pkt, len, d->frame, sizeof(d->frame),
			   &flen) != ILP_OK ||
	    wsconn_send(&c->ws, WS_OP_BINARY, d->frame, flen) != 0) {
		m->used = false;
		return 503;
	}
	m->out = true;
	m->peer = slot;
	m->seq = sg_seq;
	m->deadline = hal_mono_ms() + SG_MSG_EXPIRY_MS;
	m->done = done;
	m->ctx = ctx;
	sg_ctr.messages_out++;
	return 0;
}

void ilpd_settle_cancel_message(void *ctx)
{
	size_t k;

	for (k = 0; k < 2 * SG_MSG_MAX; k++)
		if (sg_msg[k].used && sg_msg[k].out && sg_msg[k].ctx == ctx)
			sg_msg[k].used = false;
}

bool ilpd_settle_answer(struct ilpd_daemon *d, uint16_t peer, const struct btp_frame *f)
{
	const uint8_t *ilp = NULL;
	size_t ilp_len = 0, k;
	struct ilp_fulfill fl;
	const char *why;
	struct sg_msg *m = NULL;
	struct ilp_reject rj;
	int status = 502;

	if ((f->type != BTP_RESPONSE && f->type != BTP_ERROR) || !ilpd_settle_id(f->request_id))
		return false;
	for (k = 0; k < 2 * SG_MSG_MAX; k++)
		if (sg_msg[k].used && sg_msg[k].out && sg_msg[k].peer == peer &&
		    sg_msg[k].seq == (uint16_t)(f->request_id >> 16))
			m = &sg_msg[k];
	if (m == NULL)
		return true;   /* late or cancelled: consumed */
	m->used = false;
	if (f->type == BTP_RESPONSE)
		(void)btp_ilp_find(f, &ilp, &ilp_len);
	if (ilp != NULL && ilp_len > 0 && ilp[0] == ILP_TYPE_FULFILL &&
	    ilp_fulfill_decode(ilp, ilp_len, &fl, &why) == ILP_OK) {
		m->done(m->ctx, 200, fl.data, fl.data_len);
		return true;
	}
	if (ilp != NULL && ilp_len > 0 && ilp[0] == ILP_TYPE_REJECT &&
	    ilp_reject_decode(ilp, ilp_len, &rj, &why) == ILP_OK)
		status = settle_msg_reject_status(rj.code);
	sg_ctr.message_failures++;
	hal_log(HAL_LOG_INFO, "settlement.failed", "peer=%s action=message reason=%s",
		sg_name(d, peer), status == 504 ? "timeout" : "rejected");
	m->done(m->ctx, status, NULL, 0);
	return true;
}

/* ---- engine -> ilpd: credits ------------------------------------------- */

int ilpd_settle_peer(const struct ilpd_daemon *d, const char *name, size_t n)
{
	uint16_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (sg_peer[i].on && d->sw.peers[i].used && !d->sw.peers[i].retired &&
		    strlen(sg_peer[i].name) == n && memcmp(sg_peer[i].name, name, n) == 0)
			return i;
	return -1;
}

int ilpd_settle_credit(struct ilpd_daemon *d, uint16_t slot, const uint8_t digest[SETTLE_DIGEST],
		       uint64_t amount, uint8_t scale, uint64_t *out_amount, uint8_t *out_scale,
		       uint32_t *key_idx)
{
	const struct settle_key_entry *e = settle_key_find(&ilpd_settle_state, digest);
	const struct ledger_slot *ls = &d->sw.ledger.slot[slot];
	struct settle_peer *st = &ilpd_settle_state.peer[slot];
	uint64_t room, credit, used;

	if (e != NULL && e->slot == slot) {
		*key_idx = (uint32_t)(e - ilpd_settle_state.key);
		*out_amount = e->engine_amount;
		*out_scale = e->scale;
		sg_ctr.duplicate_credits++;
		hal_log(HAL_LOG_INFO, "settlement.credited", "peer=%s amount=0 duplicate=yes",
			sg_name(d, slot));
		return 0;
	}
	/* balance - credit - pending_out must stay >= INT64_MIN. */
	room = (uint64_t)ls->balance - (uint64_t)INT64_MIN;
	room = room > ls->pending_out ? room - ls->pending_out : 0;
	if (room > (uint64_t)INT64_MAX)
		room = (uint64_t)INT64_MAX;
	settle_from_engine(amount, scale, d->link[slot].peer.rate.scale, room, &credit, &used);
	if (credit != 0 && ledger_settle(&d->sw.ledger, slot, (int64_t)credit) != ILP_OK)
		return -1;
	*key_idx = settle_key_add(&ilpd_settle_state, digest, slot, used, scale);
	st->credited_total += credit;
	st->credits++;
	st->engine_up = SETTLE_ENGINE_REACHABLE;
	sg_ctr.credited++;
	*out_amount = used;
	*out_scale = scale;
	hal_log(HAL_LOG_INFO, "settlement.credited", "peer=%s amount=%llu engine_amount=%llu "
		"scale=%u left_with_engine=%llu balance=%lld", sg_name(d, slot),
		(unsigned long long)credit, (unsigned long long)used, (unsigned)scale,
		(unsigned long long)(amount - used), (long long)ls->balance);
	return 0;
}

/* ---- the tick, start, reload ------------------------------------------- */

static void sg_expire_msgs(struct ilpd_daemon *d)
{
	int64_t now = hal_mono_ms();
	size_t k;

	for (k = 0; k < 2 * SG_MSG_MAX; k++) {
		struct sg_msg *m = &sg_msg[k];

		if (!m->used || !m->out || now < m->deadline)
			continue;
		m->used = false;
		sg_ctr.message_failures++;
		hal_log(HAL_LOG_INFO, "settlement.failed", "peer=%s action=message reason=timeout",
			sg_name(d, m->peer));
		m->done(m->ctx, 504, NULL, 0);
	}
}

static void sg_nothing(struct ilpd_daemon *d, uint16_t i)
{
	(void)d;
	(void)i;
}

static void sg_run(struct ilpd_daemon *d)
{
	int64_t now = hal_mono_ms();
	uint16_t i;

	sg_expire_msgs(d);
	ilpd_settle_api_poll(d);
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		struct sg_peer *sp = &sg_peer[i];

		if (sp->busy != SG_IDLE || now < sp->next_try || d->stopping)
			continue;
		if (!sp->on) {
			if (sp->deleting)
				sg_delete(d, i);
		} else if (!sp->account_ok)
			sg_account(d, i);
		else if (ilpd_settle_state.peer[i].settling != 0)
			(ilpd_settle_durable(d, ilpd_persist_settle_written(&d->dur.p, i, -1),
					     &sp->dmark, &sp->darmed) ?
			 sg_settle_send : sg_nothing)(d, i);
		else
			sg_settle_start(d, i);
	}
}

static void sg_tick(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_daemon *d = arg;

	if (id == sg_timer)
		sg_timer = -1;
	sg_run(d);
	if (!d->stopping)
		sg_timer = ev_timer_add(loop, ev_now(loop) + SG_TICK_MS, sg_tick, d);
}

/* Brings sg_peer[] in line with the links' settings. */
static void sg_sync(struct ilpd_daemon *d)
{
	uint16_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		struct sg_peer *sp = &sg_peer[i];
		const struct ilpd_link *l = &d->link[i];
		bool want = d->sw.peers[i].used && !d->sw.peers[i].retired && l->conf != NULL &&
			    l->peer.settle_engine;

		if (want && sp->on && strcmp(sp->name, l->peer.name) == 0 &&
		    memcmp(&sp->url, &l->peer.settle_url, sizeof(sp->url)) == 0)
			continue;
		if (want && sp->deleting && strcmp(sp->name, l->peer.name) == 0) {
			/* re-added before its account was deleted: keep it */
			ilpd_httpc_cancel_ctx(d, sp);
			hal_log(HAL_LOG_INFO, "settlement.account", "peer=%s action=delete "
				"cancelled=yes note=\"the peer is back\"", sp->name);
			sp->deleting = false;
			sp->busy = SG_IDLE;
		}
		if (sp->on) {
			/* removed (or another engine / name): drop the old account */
			struct settle_peer *st = &ilpd_settle_state.peer[i];

			ilpd_httpc_cancel_ctx(d, sp);
			if (st->settling != 0)
				hal_log(HAL_LOG_WARN, "settlement.failed", "peer=%s action=remove "
					"settling=%llu note=\"open settlement abandoned with the peer\"",
					sp->name, (unsigned long long)st->settling);
			settle_clear_peer(&ilpd_settle_state, i);
			sp->on = false;
			sp->account_ok = false;
			sp->deleting = true;
			sp->acct_failures = 0;
			sp->busy = SG_IDLE;
			sg_delete(d, i);   /* retried by the tick (sg_run) */
		}
		if (!want || sp->busy != SG_IDLE || sp->deleting)
			continue;   /* a slot still deleting is set up when it is done */
		memset(sp, 0, sizeof(*sp));
		sp->on = true;
		sp->url = l->peer.settle_url;
		memcpy(sp->name, l->peer.name, sizeof(sp->name));
		/* Its settlement state stays: recovered from the state file at
		 * start (persist.c), cleared when a peer is removed (above). */
	}
}

void ilpd_settle_start(struct ilpd_daemon *d)
{
	uint16_t i;

	ilpd_settle_daemon = d;
	memset(sg_peer, 0, sizeof(sg_peer));
	memset(sg_msg, 0, sizeof(sg_msg));
	ilp_switch_set_settle(&d->sw, sg_hook, d);
	sg_sync(d);
	/* Settlements open when ilpd stopped (the state file kept them, with
	 * the move out of the balance): held again and sent with the same key. */
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		struct settle_peer *st = &ilpd_settle_state.peer[i];
		struct settle_cfg c;
		uint64_t used;

		if (st->settling == 0)
			continue;
		if (!sg_peer[i].on || ledger_reserve_out(&d->sw.ledger, i, st->settling) != ILP_OK) {
			hal_log(HAL_LOG_WARN, "settlement.failed", "peer=%s action=resume "
				"settling=%llu reason=%s", sg_name(d, i),
				(unsigned long long)st->settling,
				sg_peer[i].on ? "ledger_range" : "no_engine");
			sg_give_back(d, i, settle_refused(st));
			continue;
		}
		sg_cfg(d, i, &c);
		settle_to_engine(st->settling, c.ledger_scale, c.engine_scale, &st->engine_amount,
				 &used);
		/* a request of this run: requested counts it as accepted will */
		settle_resume(st);
		sg_ctr.requested++;
		hal_log(HAL_LOG_INFO, "settlement.requested", "peer=%s amount=%llu engine_amount=%llu "
			"scale=%u resumed=yes", sg_name(d, i), (unsigned long long)st->settling,
			(unsigned long long)st->engine_amount, (unsigned)c.engine_scale);
	}
	sg_timer = ev_timer_add(&d->loop, ev_now(&d->loop) + SG_TICK_MS, sg_tick, d);
}

void ilpd_settle_reload(struct ilpd_daemon *d)
{
	sg_sync(d);
}

void ilpd_settle_stop(struct ilpd_daemon *d)
{
	size_t k;

	for (k = 0; k < ILPD_MAX_PEERS; k++)
		ilpd_httpc_cancel_ctx(d, &sg_peer[k]);
	for (k = 0; k < 2 * SG_MSG_MAX; k++)
		if (sg_msg[k].used)
			ilpd_httpc_cancel_ctx(d, &sg_msg[k]);
	if (sg_timer >= 0)
		ev_timer_del(&d->loop, sg_timer);
	sg_timer = -1;
	(void)sg_now;
}

/* ---- /health and /metrics ---------------------------------------------- */

const struct settle_peer *ilpd_settle_peer_state(const struct ilpd_daemon *d, uint16_t i)
{
	(void)d;
	return i < ILPD_MAX_PEERS && sg_peer[i].on ? &ilpd_settle_state.peer[i] : NULL;
}

size_t ilpd_settle_health_json(const struct ilpd_daemon *d, uint16_t i, char *out, size_t cap)
{
	const struct settle_peer *st = &ilpd_settle_state.peer[i];
	static const char *const up[] = { "unknown", "reachable", "unreachable", "error" };
	int n;

	(void)d;
	if (i >= ILPD_MAX_PEERS || !sg_peer[i].on)
		return 0;
	n = snprintf(out, cap, ",\"settlement\":{\"engine\":\"%s\",\"account\":%s,"
		     "\"settling\":\"%llu\",\"settled\":\"%llu\",\"credited\":\"%llu\","
		     "\"lastSettlementMs\":%lld,\"lastSettlementAmount\":\"%llu\","
		     "\"failures\":%u,\"failuresTotal\":%u,\"requests\":%u,\"credits\":%u}",
		     up[st->engine_up <= SETTLE_ENGINE_ERROR ? st->engine_up : 0],
		     sg_peer[i].account_ok ? "true" : "false",
		     (unsigned long long)st->settling, (unsigned long long)st->settled_total,
		     (unsigned long long)st->credited_total, (long long)st->last_ms,
		     (unsigned long long)st->last_amount, (unsigned)st->failures,
		     (unsigned)st->failures_total, (unsigned)st->requests, (unsigned)st->credits);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t ilpd_settle_metrics_text(const struct ilpd_daemon *d, char *out, size_t cap)
{
	int n;

	(void)d;
	n = snprintf(out, cap,
		     "# HELP ilpd_settlements_total Settlement requests by outcome.\n"
		     "# TYPE ilpd_settlements_total counter\n"
		     "ilpd_settlements_total{outcome=\"requested\"} %llu\n"
		     "ilpd_settlements_total{outcome=\"accepted\"} %llu\n"
		     "ilpd_settlements_total{outcome=\"refused\"} %llu\n"
		     "ilpd_settlements_total{outcome=\"failed_attempt\"} %llu\n"
		     "# HELP ilpd_settlement_credits_total Incoming settlements credited "
		     "(duplicates by Idempotency-Key apart).\n"
		     "# TYPE ilpd_settlement_credits_total counter\n"
		     "ilpd_settlement_credits_total{kind=\"credited\"} %llu\n"
		     "ilpd_settlement_credits_total{kind=\"duplicate\"} %llu\n"
		     "# HELP ilpd_settlement_messages_total peer.settle messages.\n"
		     "# TYPE ilpd_settlement_messages_total counter\n"
		     "ilpd_settlement_messages_total{direction=\"out\"} %llu\n"
		     "ilpd_settlement_messages_total{direction=\"in\"} %llu\n"
		     "ilpd_settlement_messages_total{direction=\"failed\"} %llu\n",
		     (unsigned long long)sg_ctr.requested, (unsigned long long)sg_ctr.accepted,
		     (unsigned long long)sg_ctr.refused, (unsigned long long)sg_ctr.failed,
		     (unsigned long long)sg_ctr.credited,
		     (unsigned long long)sg_ctr.duplicate_credits,
		     (unsigned long long)sg_ctr.messages_out, (unsigned long long)sg_ctr.messages_in,
		     (unsigned long long)sg_ctr.message_failures);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
