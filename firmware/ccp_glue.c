/*
 * ccp_glue.c - CCP route broadcasting in the daemon (see ccp_glue.h).
 *
 * IMPLEMENTATION NOTES
 * - The engine runs on the wall clock (hal_wall_ms), as the switch does:
 *   the hook gets the switch's `now`, and the tick passes the same clock.
 * - One 100 ms timer (ev loop) re-reads peer flags and the timings (a
 *   reload needs no call), expires routes and sends what is due; it stops
 *   re-arming once the daemon is stopping.
 * - A message that cannot be queued (link gone, send buffer full) counts
 *   as not Fulfilled: the engine reverts and tries again later.
 * - Every change of the learned table is logged at INFO as ccp.routes with
 *   the count (never per route above DEBUG).
 */
#include "ccp_glue.h"

#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "hal/hal_log.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"
#include "ilp/btp.h"
#include "ilp/ilp_packet.h"

#if ILPD_MAX_PENDING >= 0xFFFD
#error "CCP request ids need pending indexes below 0xFFFD"
#endif

#define CG_ID_CONTROL ILPD_CCP_ID_CONTROL
#define CG_ID_UPDATE ILPD_CCP_ID_UPDATE
#define CG_TICK_MS 100
/* Expiry of our CCP Prepares (the reference library's: now + 60 s). */
#define CG_EXPIRY_MS 60000

struct ccp ilpd_ccp_state;

static uint8_t cg_payload[ILPD_CCP_MSG_MAX];
static uint8_t cg_pkt[ILPD_CCP_MSG_MAX + 256];
static int cg_timer = -1;
static uint16_t cg_count_logged;
static uint64_t cg_dropped_logged;

static uint8_t cg_rank(uint8_t relation)
{
	switch (relation) {
	case ILP_REL_CHILD:
		return ILP_LEARNED_RANK_CHILD;
	case ILP_REL_PEER:
		return ILP_LEARNED_RANK_PEER;
	default:
		return ILP_LEARNED_RANK_PARENT;
	}
}

/* A send_routes / receive_routes flag: -1 is the reference's default,
 * on for parents and peers, off for children. */
static bool cg_flag(int8_t v, uint8_t relation)
{
	return v < 0 ? relation != ILP_REL_CHILD : v != 0;
}

/* Brings the engine's peers in line with the switch and the links. */
static void cg_sync(struct ilpd_daemon *d)
{
	struct ccp *c = &ilpd_ccp_state;
	int64_t now = hal_wall_ms();
	uint16_t i;

	ccp_set_own(c, d->sw.address, d->sw.cfg.address_len);
	/* a reload may change the timings: they apply from the next message */
	c->interval_ms = (uint32_t)d->conf->route_broadcast_interval_ms;
	c->expiry_ms = (uint32_t)d->conf->route_expiry_ms;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ilp_peer *sp = &d->sw.peers[i];
		const struct ilpd_peer_conf *pc = d->link[i].conf;

		if (sp->used && !sp->retired && pc != NULL) {
			bool was_up = c->peer[i].used && c->peer[i].up;

			ccp_peer_set(c, i, cg_rank(sp->cfg.relation),
				     cg_flag(pc->send_routes, sp->cfg.relation),
				     cg_flag(pc->receive_routes, sp->cfg.relation));
			if (sp->up && !c->peer[i].up)
				ccp_link_up(c, i, now);
			else if (!sp->up && was_up)
				ccp_link_down(c, i, now);
		} else if (c->peer[i].used) {
			ccp_peer_clear(c, i, now);
		}
	}
}

static void cg_log_changes(struct ilpd_daemon *d)
{
	const struct ccp *c = &ilpd_ccp_state;

	(void)d;
	if (c->learned.count != cg_count_logged) {
		hal_log(HAL_LOG_INFO, "ccp.routes", "learned=%u epoch=%u",
			(unsigned)c->learned.count, (unsigned)c->epoch);
		cg_count_logged = c->learned.count;
	}
	if (c->learned.dropped != cg_dropped_logged) {
		hal_log(HAL_LOG_WARN, "ccp.table_full", "dropped=%llu capacity=%u",
			(unsigned long long)c->learned.dropped, (unsigned)ILPD_MAX_LEARNED_ROUTES);
		cg_dropped_logged = c->learned.dropped;
	}
}

/* Sends everything due to peer i. */
static void cg_send(struct ilpd_daemon *d, uint16_t i)
{
	struct ccp *c = &ilpd_ccp_state;
	const struct ilpd_link *l = &d->link[i];
	size_t len, plen, flen;
	bool upd;
	uint16_t seq;
	int guard = 4;

	while (guard-- > 0 &&
	       ccp_poll(c, hal_wall_ms(), i, cg_payload, sizeof(cg_payload), &len, &upd, &seq) == 1) {
		struct ilpd_conn *cn = l->state == LINK_UP && l->conn >= 0 ? &d->conn[l->conn] : NULL;
		uint32_t id = (uint32_t)seq << 16 | (upd ? CG_ID_UPDATE : CG_ID_CONTROL);

		if (cn != NULL && cn->ws.state == WSC_OPEN &&
		    ccp_prepare_encode(upd, hal_wall_ms() + CG_EXPIRY_MS, cg_payload, len, cg_pkt,
				       sizeof(cg_pkt), &plen) == ILP_OK &&
		    btp_ilp_encode(BTP_MESSAGE, id, cg_pkt, plen, d->frame, sizeof(d->frame),
				   &flen) == ILP_OK &&
		    wsconn_send(&cn->ws, WS_OP_BINARY, d->frame, flen) == 0) {
			if (hal_log_enabled(HAL_LOG_DEBUG))
				hal_log(HAL_LOG_DEBUG, "ccp.sent", "peer=%s kind=%s bytes=%zu epoch=%u",
					d->sw.peers[i].cfg.name, upd ? "update" : "control", len,
					(unsigned)c->epoch);
			continue;
		}
		ccp_result(c, hal_wall_ms(), i, seq, upd, false);
		break;
	}
}

static void cg_run(struct ilpd_daemon *d)
{
	struct ccp *c = &ilpd_ccp_state;
	uint16_t i;
	unsigned n;

	cg_sync(d);
	n = ccp_expire(c, hal_wall_ms());
	if (n != 0)
		hal_log(HAL_LOG_INFO, "ccp.expired", "peers=%u", n);
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (c->peer[i].used && c->peer[i].up)
			cg_send(d, i);
	cg_log_changes(d);
}

static void cg_tick(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_daemon *d = arg;

	if (id == cg_timer)
		cg_timer = -1;
	cg_run(d);
	if (!d->stopping)
		cg_timer = ev_timer_add(loop, ev_now(loop) + CG_TICK_MS, cg_tick, d);
}

static int cg_hook(void *ctx, int64_t now, uint16_t from, bool update, const uint8_t *data,
		   size_t len, const char **msg)
{
	struct ilpd_daemon *d = ctx;
	int r = ccp_handle(&ilpd_ccp_state, now, from, update, data, len, msg);

	if (r != 0)
		hal_log(HAL_LOG_INFO, "ccp.refused", "peer=%s kind=%s reason=\"%s\"",
			d->sw.peers[from].cfg.name, update ? "update" : "control", *msg);
	else if (hal_log_enabled(HAL_LOG_DEBUG))
		hal_log(HAL_LOG_DEBUG, "ccp.received", "peer=%s kind=%s bytes=%zu",
			d->sw.peers[from].cfg.name, update ? "update" : "control", len);
	if (r == 0 && !update)
		cg_send(d, from);   /* a SYNC: the first update at once */
	return r;
}

void ilpd_ccp_start(struct ilpd_daemon *d)
{
	const struct ilpd_conf *cf = d->conf;
	uint8_t id[CCP_TABLE_ID_LEN];

	if (hal_random(id, sizeof(id)) != 0)
		memset(id, 0x5a, sizeof(id));
	id[6] = (uint8_t)((id[6] & 0x0Fu) | 0x40u);   /* a version 4 UUID */
	id[8] = (uint8_t)((id[8] & 0x3Fu) | 0x80u);
	ccp_init(&ilpd_ccp_state, id, (uint32_t)cf->route_broadcast_interval_ms,
		 (uint32_t)cf->route_expiry_ms);
	ilpd_ccp_state.statics = &d->sw.routes;
	ilp_switch_set_ccp(&d->sw, cg_hook, d, &ilpd_ccp_state.learned);
	cg_count_logged = 0;
	cg_dropped_logged = 0;
	cg_sync(d);
	cg_timer = ev_timer_add(&d->loop, ev_now(&d->loop) + CG_TICK_MS, cg_tick, d);
}

void ilpd_ccp_link(struct ilpd_daemon *d, uint16_t peer, bool up)
{
	cg_sync(d);   /* sees the switch's up flag: link up/down in the engine */
	if (up)
		cg_send(d, peer);
	cg_log_changes(d);
}

bool ilpd_ccp_answer(struct ilpd_daemon *d, uint16_t peer, const struct btp_frame *f)
{
	uint32_t id = f->request_id, low = id & 0xFFFFu;
	const uint8_t *ilp = NULL;
	size_t ilp_len = 0;
	bool ok, btp_error = f->type == BTP_ERROR;

	if ((f->type != BTP_RESPONSE && !btp_error) ||
	    (low != CG_ID_CONTROL && low != CG_ID_UPDATE) || peer >= ILPD_MAX_PEERS)
		return false;
	if (!btp_error)
		(void)btp_ilp_find(f, &ilp, &ilp_len);
	ok = !btp_error && ilp != NULL && ilp_len > 0 && ilp[0] == ILP_TYPE_FULFILL;
	if (!ok)
		hal_log(HAL_LOG_DEBUG, "ccp.rejected", "peer=%s kind=%s",
			d->sw.peers[peer].cfg.name, low == CG_ID_UPDATE ? "update" : "control");
	ccp_result(&ilpd_ccp_state, hal_wall_ms(), peer, (uint16_t)(id >> 16),
		   low == CG_ID_UPDATE, ok);
	return true;
}

/* ---- GET /metrics ------------------------------------------------------- */

size_t ilpd_ccp_metrics_text(char *out, size_t cap)
{
	const struct ccp *c = &ilpd_ccp_state;
	const struct {
		const char *name, *type, *help;
		unsigned long long v;
	} m[] = {
		{ "ilpd_routes_learned", "gauge", "Routes learned by CCP now held.",
		  c->learned.count },
		{ "ilpd_routes_learned_capacity", "gauge",
		  "Learned routes the board's table holds (ILPD_MAX_LEARNED_ROUTES).",
		  ILPD_MAX_LEARNED_ROUTES },
		{ "ilpd_routes_learned_dropped_total", "counter",
		  "Learned routes dropped or refused because the table was full.",
		  c->learned.dropped },
		{ "ilpd_ccp_updates_received_total", "counter",
		  "CCP route updates accepted from peers (gaps and stale ones included).",
		  c->st.updates_in + c->st.updates_ignored },
		{ "ilpd_ccp_updates_sent_total", "counter", "CCP route updates sent to peers.",
		  c->st.updates_out },
		{ "ilpd_ccp_refused_total", "counter",
		  "CCP route controls and updates rejected F00 (not allowed or malformed).",
		  c->st.refused },
		{ "ilpd_ccp_routes_filtered_total", "counter",
		  "Received routes dropped by the import filter or too long to keep.",
		  c->st.routes_filtered },
		{ "ilpd_ccp_expired_total", "counter",
		  "Times a peer's routes expired after its hold-down without an update.",
		  c->st.expired },
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

/* ---- GET /routes -------------------------------------------------------- */

/* Room kept for the closing summary. */
#define CG_TAIL 256

struct cg_out {
	char *p;
	size_t cap, len;
	bool full;
};

static void cg_put(struct cg_out *o, const char *s, size_t n)
{
	if (o->full || o->cap - o->len < n + 1) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* One route as JSON (prefixes and names are address characters: no
 * escaping needed). */
static void cg_route(struct cg_out *o, bool *first, const uint8_t *prefix, size_t plen,
		     const char *hop, const char *source, long long age_s, unsigned hops)
{
	char tail[160];
	size_t at = o->len;
	int n;

	if (o->full)
		return;
	cg_put(o, *first ? "{\"prefix\":\"" : ",{\"prefix\":\"", *first ? 11 : 12);
	cg_put(o, (const char *)prefix, plen);
	if (age_s >= 0)
		n = snprintf(tail, sizeof(tail), "\",\"next_hop\":\"%s\",\"source\":\"%s\","
			     "\"age_s\":%lld,\"path_length\":%u}", hop, source, age_s, hops);
	else
		n = snprintf(tail, sizeof(tail), "\",\"next_hop\":\"%s\",\"source\":\"%s\","
			     "\"age_s\":null}", hop, source);
	if (n < 0 || (size_t)n >= sizeof(tail))
		o->full = true;
	else
		cg_put(o, tail, (size_t)n);
	if (o->full) {
		o->len = at;   /* no half entry */
		o->p[at] = '\0';
		return;
	}
	*first = false;
}

size_t ilpd_routes_json(const struct ilpd_daemon *d, char *out, size_t cap)
{
	const struct ccp *c = &ilpd_ccp_state;
	const struct ilp_routes *t = &d->sw.routes;
	struct cg_out o = { out, cap > CG_TAIL ? cap - CG_TAIL : 0, 0, false };
	int64_t now = hal_wall_ms();
	long long up_s = (long long)((ev_now(&d->loop) - d->started_mono) / 1000);
	bool first = true;
	char tail[256];
	uint16_t i;
	int n;

	if (cap < 2 * CG_TAIL)
		return 0;
	out[0] = '\0';
	cg_put(&o, "{\"routes\":[", 11);
	if (d->sw.cfg.address_len != 0)
		cg_route(&o, &first, d->sw.address, d->sw.cfg.address_len, "(self)", "local", up_s, 0);
	for (i = 0; i < t->count; i++) {
		const struct ilp_route *r = &t->r[i];
		const struct ilp_peer *p = &d->sw.peers[r->peer];
		bool child = p->cfg.relation == ILP_REL_CHILD && d->sw.cfg.address_len != 0 &&
			     r->prefix_len == d->sw.cfg.address_len + 1 + p->name_len &&
			     memcmp(r->prefix, d->sw.address, d->sw.cfg.address_len) == 0 &&
			     memcmp(r->prefix + d->sw.cfg.address_len + 1, p->cfg.name,
				    p->name_len) == 0;

		cg_route(&o, &first, r->prefix, r->prefix_len, p->cfg.name,
			 child ? "local" : "static", child ? -1 : up_s, 0);
	}
	for (i = 0; i < c->learned.count; i++) {
		const struct ilp_learned_route *r = &c->learned.r[i];
		long best = ilp_learned_best(&c->learned, r->prefix, r->prefix_len);

		cg_route(&o, &first, r->prefix, r->prefix_len, d->sw.peers[r->peer].cfg.name,
			 best == (long)i ? "learned" : "learned-backup",
			 (long long)((now - r->since) / 1000), r->hops);
	}
	if (t->default_peer != ILP_ROUTE_NONE)
		cg_route(&o, &first, (const uint8_t *)"(default)", 9,
			 d->sw.peers[t->default_peer].cfg.name, "default", -1, 0);
	o.cap = cap;   /* the closing part fits in the CG_TAIL kept back */
	n = snprintf(tail, sizeof(tail), "],\"truncated\":%s,\"learned\":%u,\"learned_capacity\":%u,"
		     "\"learned_dropped\":%llu,\"epoch\":%u,\"updates_in\":%llu,\"updates_out\":%llu}\n",
		     o.full ? "true" : "false", (unsigned)c->learned.count,
		     (unsigned)ILPD_MAX_LEARNED_ROUTES, (unsigned long long)c->learned.dropped,
		     (unsigned)c->epoch, (unsigned long long)c->st.updates_in,
		     (unsigned long long)c->st.updates_out);
	o.full = false;
	if (n < 0)
		return 0;
	cg_put(&o, tail, (size_t)n);
	return o.full ? 0 : o.len;
}
