/*
 * ccp.c - CCP codec and route-broadcasting engine (see ccp.h).
 *
 * IMPLEMENTATION NOTES
 * - Decoders walk the whole payload once with `end` fixed to the input, so
 *   every later iteration (ccp_next_*) runs over bytes already checked and
 *   cannot fail. Counts are VarUInts (leading zeros accepted as the
 *   reference does); a count larger than the bytes left is refused before
 *   any loop (each item takes at least one byte).
 * - The log is a ring: the change that moved the epoch from e to e + 1 is
 *   log[e % ILPD_CCP_LOG_MAX]; epochs [log_base, epoch) are held.
 * - The writer writes counts as 3 bytes (02 hi lo), which the reference
 *   decoder accepts (leading zero bytes), then ccp_update_end() shrinks each
 *   to the shortest form with one memmove, so the output is canonical.
 */
#include "ilp/ccp.h"

#include <string.h>

#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "ilp/oer.h"

#define CCP_MAX_COUNT 0xFFFFu

/* ---- codec -------------------------------------------------------------- */

static int ccp_count(const uint8_t **p, const uint8_t *end, uint64_t *n)
{
	if (oer_read_varuint(p, end, n) != ILP_OK || *n > (uint64_t)(end - *p))
		return ILP_ERR_INVALID;
	return ILP_OK;
}

static int ccp_octets(const uint8_t **p, const uint8_t *end, const uint8_t **d, size_t *n)
{
	return oer_read_var_octets(p, end, d, n) == ILP_OK ? ILP_OK : ILP_ERR_INVALID;
}

int ccp_control_decode(const uint8_t *b, size_t n, struct ccp_control *c)
{
	const uint8_t *p = b, *end = b + n, *id, *d;
	uint64_t i;
	size_t l;

	if (b == NULL || c == NULL)
		return ILP_ERR_INVALID;
	if (oer_read_u8(&p, end, &c->mode) != ILP_OK ||
	    oer_read_fixed(&p, end, CCP_TABLE_ID_LEN, &id) != ILP_OK ||
	    oer_read_u32(&p, end, &c->epoch) != ILP_OK ||
	    ccp_count(&p, end, &c->features) != ILP_OK)
		return ILP_ERR_INVALID;
	memcpy(c->table_id, id, CCP_TABLE_ID_LEN);
	for (i = 0; i < c->features; i++)
		if (ccp_octets(&p, end, &d, &l) != ILP_OK)
			return ILP_ERR_INVALID;
	return ILP_OK;
}

/* Reads one route at *p (checked). */
static int ccp_read_route(const uint8_t **p, const uint8_t *end, struct ccp_route *r)
{
	const uint8_t *d;
	uint64_t i;
	size_t l;
	uint8_t meta;
	uint16_t id;

	if (ccp_octets(p, end, &r->prefix, &r->prefix_len) != ILP_OK ||
	    ccp_count(p, end, &r->n_path) != ILP_OK)
		return ILP_ERR_INVALID;
	r->path = *p;
	for (i = 0; i < r->n_path; i++)
		if (ccp_octets(p, end, &d, &l) != ILP_OK)
			return ILP_ERR_INVALID;
	r->path_len = (size_t)(*p - r->path);
	if (oer_read_fixed(p, end, CCP_AUTH_LEN, &r->auth) != ILP_OK ||
	    ccp_count(p, end, &r->n_props) != ILP_OK)
		return ILP_ERR_INVALID;
	for (i = 0; i < r->n_props; i++)
		if (oer_read_u8(p, end, &meta) != ILP_OK || oer_read_u16(p, end, &id) != ILP_OK ||
		    ccp_octets(p, end, &d, &l) != ILP_OK)
			return ILP_ERR_INVALID;
	return ILP_OK;
}

int ccp_update_decode(const uint8_t *b, size_t n, struct ccp_update *u)
{
	const uint8_t *p = b, *end = b + n, *d;
	struct ccp_route r;
	uint64_t i;
	size_t l;

	if (b == NULL || u == NULL)
		return ILP_ERR_INVALID;
	memset(u, 0, sizeof(*u));
	if (oer_read_fixed(&p, end, CCP_TABLE_ID_LEN, &u->table_id) != ILP_OK ||
	    oer_read_u32(&p, end, &u->current_epoch) != ILP_OK ||
	    oer_read_u32(&p, end, &u->from_epoch) != ILP_OK ||
	    oer_read_u32(&p, end, &u->to_epoch) != ILP_OK ||
	    oer_read_u32(&p, end, &u->hold_down_ms) != ILP_OK ||
	    ccp_octets(&p, end, &u->speaker, &u->speaker_len) != ILP_OK ||
	    ccp_count(&p, end, &u->n_routes) != ILP_OK)
		return ILP_ERR_INVALID;
	u->routes = p;
	for (i = 0; i < u->n_routes; i++)
		if (ccp_read_route(&p, end, &r) != ILP_OK)
			return ILP_ERR_INVALID;
	u->routes_end = p;
	if (ccp_count(&p, end, &u->n_withdrawn) != ILP_OK)
		return ILP_ERR_INVALID;
	u->withdrawn = p;
	for (i = 0; i < u->n_withdrawn; i++)
		if (ccp_octets(&p, end, &d, &l) != ILP_OK)
			return ILP_ERR_INVALID;
	u->withdrawn_end = p;
	return ILP_OK;
}

int ccp_next_route(const struct ccp_update *u, const uint8_t **pos, struct ccp_route *r)
{
	if (*pos >= u->routes_end)
		return 0;
	return ccp_read_route(pos, u->routes_end, r) == ILP_OK ? 1 : 0;
}

int ccp_next_withdrawn(const struct ccp_update *u, const uint8_t **pos,
		       const uint8_t **prefix, size_t *len)
{
	if (*pos >= u->withdrawn_end)
		return 0;
	return ccp_octets(pos, u->withdrawn_end, prefix, len) == ILP_OK ? 1 : 0;
}

int ccp_next_path(const struct ccp_route *r, const uint8_t **pos,
		  const uint8_t **entry, size_t *len)
{
	const uint8_t *end = r->path + r->path_len;

	if (*pos >= end)
		return 0;
	return ccp_octets(pos, end, entry, len) == ILP_OK ? 1 : 0;
}

int ccp_control_encode(const struct ccp_control *c, uint8_t *buf, size_t cap, size_t *len)
{
	struct oer_writer w;

	oer_writer_init(&w, buf, cap);
	oer_write_u8(&w, c->mode);
	oer_write_bytes(&w, c->table_id, CCP_TABLE_ID_LEN);
	oer_write_u32(&w, c->epoch);
	oer_write_varuint(&w, 0);
	if (w.err != ILP_OK)
		return ILP_ERR_OVERFLOW;
	*len = w.len;
	return ILP_OK;
}

/* Room for a 3-byte count after the item being added. */
#define CCP_COUNT_ROOM 3u

static void ccp_put_count3(uint8_t *at, uint32_t n)
{
	at[0] = 2;
	at[1] = (uint8_t)(n >> 8);
	at[2] = (uint8_t)n;
}

int ccp_update_begin(struct ccp_writer *w, uint8_t *buf, size_t cap,
		     const uint8_t table_id[CCP_TABLE_ID_LEN], uint32_t current,
		     uint32_t from, uint32_t to, uint32_t hold_down_ms,
		     const uint8_t *speaker, size_t speaker_len)
{
	struct oer_writer o;

	memset(w, 0, sizeof(*w));
	oer_writer_init(&o, buf, cap);
	oer_write_bytes(&o, table_id, CCP_TABLE_ID_LEN);
	oer_write_u32(&o, current);
	oer_write_u32(&o, from);
	oer_write_u32(&o, to);
	oer_write_u32(&o, hold_down_ms);
	oer_write_var_octets(&o, speaker, speaker_len);
	if (o.err != ILP_OK || o.len + 2 * CCP_COUNT_ROOM > cap)
		return ILP_ERR_OVERFLOW;
	w->buf = buf;
	w->cap = cap;
	w->count_at = o.len;
	w->routes_at = o.len;
	w->len = o.len + CCP_COUNT_ROOM;
	return ILP_OK;
}

/* Bytes still free, keeping room for the withdrawals' count. */
static size_t ccp_room(const struct ccp_writer *w)
{
	size_t keep = w->phase == 0 ? CCP_COUNT_ROOM : 0;

	return w->cap - w->len >= keep ? w->cap - w->len - keep : 0;
}

int ccp_update_route(struct ccp_writer *w, const uint8_t *prefix, size_t len,
		     const uint8_t *first, size_t first_len, uint32_t rest_n,
		     const uint8_t *rest, size_t rest_len, const uint8_t *auth)
{
	static const uint8_t zero[CCP_AUTH_LEN];
	struct oer_writer o;
	uint32_t np = rest_n + (first != NULL ? 1u : 0u);

	if (w->phase != 0 || w->n >= CCP_MAX_COUNT)
		return ILP_ERR_ARG;
	oer_writer_init(&o, w->buf + w->len, ccp_room(w));
	oer_write_var_octets(&o, prefix, len);
	oer_write_varuint(&o, np);
	if (first != NULL)
		oer_write_var_octets(&o, first, first_len);
	oer_write_bytes(&o, rest, rest_len);
	oer_write_bytes(&o, auth != NULL ? auth : zero, CCP_AUTH_LEN);
	oer_write_varuint(&o, 0);
	if (o.err != ILP_OK)
		return ILP_ERR_OVERFLOW;
	w->len += o.len;
	w->n++;
	return ILP_OK;
}

/* Closes the routes (their count goes in) and opens the withdrawals. */
static void ccp_to_withdrawals(struct ccp_writer *w)
{
	ccp_put_count3(w->buf + w->count_at, w->n);
	w->n_routes = w->n;
	w->n = 0;
	w->count_at = w->len;
	w->len += CCP_COUNT_ROOM;   /* kept free by ccp_room() */
	w->phase = 1;
}

int ccp_update_withdraw(struct ccp_writer *w, const uint8_t *prefix, size_t len)
{
	struct oer_writer o;

	if (w->phase == 0)
		ccp_to_withdrawals(w);
	if (w->phase != 1 || w->n >= CCP_MAX_COUNT)
		return ILP_ERR_ARG;
	oer_writer_init(&o, w->buf + w->len, ccp_room(w));
	oer_write_var_octets(&o, prefix, len);
	if (o.err != ILP_OK)
		return ILP_ERR_OVERFLOW;
	w->len += o.len;
	w->n++;
	return ILP_OK;
}

/* Shrinks the 3-byte count at `at` to the shortest VarUInt. */
static void ccp_shrink(struct ccp_writer *w, size_t at, uint32_t n)
{
	if (n > 0xFF) {
		ccp_put_count3(w->buf + at, n);
		return;
	}
	w->buf[at] = 1;
	w->buf[at + 1] = (uint8_t)n;
	memmove(w->buf + at + 2, w->buf + at + 3, w->len - at - 3);
	w->len--;
}

int ccp_update_end(struct ccp_writer *w, size_t *len)
{
	if (w->buf == NULL || w->phase == 2)
		return ILP_ERR_ARG;
	if (w->phase == 0)
		ccp_to_withdrawals(w);
	w->phase = 2;
	ccp_shrink(w, w->count_at, w->n);      /* the later one first */
	ccp_shrink(w, w->routes_at, w->n_routes);
	*len = w->len;
	return ILP_OK;
}

int ccp_prepare_encode(bool update, int64_t expires_at, const uint8_t *data,
		       size_t data_len, uint8_t *buf, size_t cap, size_t *len)
{
	struct ilp_prepare p;
	const char *dest = update ? CCP_UPDATE_DESTINATION : CCP_CONTROL_DESTINATION;

	memset(&p, 0, sizeof(p));
	p.amount = 0;
	p.expires_at = expires_at;
	p.condition = ilp_peer_condition;
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	p.data = data;
	p.data_len = data_len;
	return ilp_prepare_encode(&p, buf, cap, len);
}

/* ---- engine ------------------------------------------------------------- */

void ccp_init(struct ccp *c, const uint8_t table_id[CCP_TABLE_ID_LEN],
	      uint32_t interval_ms, uint32_t expiry_ms)
{
	memset(c, 0, sizeof(*c));
	ilp_learned_init(&c->learned);
	memcpy(c->table_id, table_id, CCP_TABLE_ID_LEN);
	c->interval_ms = interval_ms != 0 ? interval_ms : CCP_DEFAULT_INTERVAL_MS;
	c->expiry_ms = expiry_ms != 0 ? expiry_ms : CCP_DEFAULT_EXPIRY_MS;
}

static bool ccp_eq(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

/* Appends a change of `prefix` to the log: the epoch advances, an older
 * entry for the same prefix is nulled, the oldest falls off when full. */
static void ccp_log(struct ccp *c, const uint8_t *prefix, size_t len)
{
	struct ccp_log_entry *e;
	uint32_t i;

	if (len == 0 || len > ILPD_ROUTE_PREFIX_MAX)
		return;
	for (i = c->log_base; i != c->epoch; i++) {
		e = &c->log[i % ILPD_CCP_LOG_MAX];
		if (ccp_eq(e->prefix, e->len, prefix, len))
			e->len = 0;
	}
	if (c->epoch - c->log_base >= ILPD_CCP_LOG_MAX)
		c->log_base++;
	e = &c->log[c->epoch % ILPD_CCP_LOG_MAX];
	memcpy(e->prefix, prefix, len);
	e->len = (uint16_t)len;
	c->epoch++;
}

void ccp_set_own(struct ccp *c, const uint8_t *addr, size_t len)
{
	if (len > ILPD_ADDRESS_MAX || ccp_eq(c->own, c->own_len, addr, len))
		return;
	if (c->own_len != 0 && c->own_len <= ILPD_ROUTE_PREFIX_MAX)
		ccp_log(c, c->own, c->own_len);
	if (len != 0)
		memcpy(c->own, addr, len);
	c->own_len = len;
	if (len != 0)
		ccp_log(c, addr, len);
}

/* Drops every route learned from peer i, logging each prefix. */
static void ccp_drop_routes(struct ccp *c, uint16_t i)
{
	uint16_t k = 0;

	while (k < c->learned.count) {
		struct ilp_learned_route *e = &c->learned.r[k];

		if (e->peer == i) {
			uint8_t p[ILPD_ROUTE_PREFIX_MAX];
			size_t n = e->prefix_len;

			memcpy(p, e->prefix, n);
			(void)ilp_learned_remove(&c->learned, p, n, i);
			ccp_log(c, p, n);
		} else {
			k++;
		}
	}
}

/* Forgets what we know of peer i's table (it will be asked again). */
static void ccp_rx_reset(struct ccp *c, uint16_t i, int64_t now)
{
	struct ccp_peer *p = &c->peer[i];

	ccp_drop_routes(c, i);
	memset(p->rx_table, 0, sizeof(p->rx_table));
	p->rx_epoch = 0;
	p->rx_expires = 0;
	p->ctl_due = p->up && p->receive_routes;
	p->ctl_inflight = false;
	p->ctl_next = now;
	p->ctl_fails = 0;
	p->ctl_seq++;
}

void ccp_peer_set(struct ccp *c, uint16_t i, uint8_t rank, bool send_routes,
		  bool receive_routes)
{
	struct ccp_peer *p;

	if (i >= ILPD_MAX_PEERS)
		return;
	p = &c->peer[i];
	if (!p->used || p->rank != rank) {
		ccp_drop_routes(c, i);
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->rank = rank;
	}
	if (p->receive_routes && !receive_routes) {
		ccp_drop_routes(c, i);  /* and forget its table: ask from 0 later */
		memset(p->rx_table, 0, sizeof(p->rx_table));
		p->rx_epoch = 0;
	}
	if (!p->receive_routes && receive_routes && p->up) {
		p->ctl_due = true;      /* turned on while up (reload): ask now */
		p->ctl_next = 0;
		p->ctl_fails = 0;
	}
	if (!p->send_routes && send_routes)
		p->tx_mode = CCP_MODE_IDLE;
	p->send_routes = send_routes;
	p->receive_routes = receive_routes;
	if (!receive_routes) {
		p->ctl_due = false;
		p->rx_expires = 0;
	}
}

void ccp_peer_clear(struct ccp *c, uint16_t i, int64_t now)
{
	(void)now;
	if (i >= ILPD_MAX_PEERS)
		return;
	ccp_drop_routes(c, i);
	memset(&c->peer[i], 0, sizeof(c->peer[i]));
}

void ccp_link_up(struct ccp *c, uint16_t i, int64_t now)
{
	struct ccp_peer *p;

	if (i >= ILPD_MAX_PEERS || !c->peer[i].used)
		return;
	p = &c->peer[i];
	p->up = true;
	p->tx_mode = CCP_MODE_IDLE;
	p->tx_inflight = false;
	ccp_rx_reset(c, i, now);
}

void ccp_link_down(struct ccp *c, uint16_t i, int64_t now)
{
	struct ccp_peer *p;

	if (i >= ILPD_MAX_PEERS || !c->peer[i].used)
		return;
	p = &c->peer[i];
	p->up = false;
	p->tx_mode = CCP_MODE_IDLE;
	p->tx_inflight = false;
	ccp_rx_reset(c, i, now);
}

/* True if `prefix` lies strictly under `base` (base.x...). */
static bool ccp_under(const uint8_t *prefix, size_t len, const uint8_t *base, size_t blen)
{
	return blen != 0 && len > blen && memcmp(prefix, base, blen) == 0 && prefix[blen] == '.';
}

/* The import filter (ccp.h). */
static bool ccp_import_ok(const struct ccp *c, const struct ccp_route *r)
{
	const uint8_t *dot = c->own_len != 0 ? memchr(c->own, '.', c->own_len) : NULL;
	size_t glen = dot != NULL ? (size_t)(dot - c->own) : 0;
	const uint8_t *pos = r->path, *e;
	size_t el;

	if (glen == 0 || !ccp_under(r->prefix, r->prefix_len, c->own, glen))
		return false;
	if (ccp_eq(r->prefix, r->prefix_len, c->own, c->own_len) ||
	    ccp_under(r->prefix, r->prefix_len, c->own, c->own_len))
		return false;
	while (ccp_next_path(r, &pos, &e, &el) == 1)
		if (ccp_eq(e, el, c->own, c->own_len))
			return false;
	return r->path_len <= ILPD_LEARNED_PATH_MAX && r->prefix_len <= ILPD_ROUTE_PREFIX_MAX;
}

/* True if peer i's route for r's prefix is already exactly r. */
static bool ccp_same_route(const struct ccp *c, uint16_t i, const struct ccp_route *r)
{
	uint16_t k;

	for (k = 0; k < c->learned.count; k++) {
		const struct ilp_learned_route *e = &c->learned.r[k];

		if (e->peer == i && ccp_eq(e->prefix, e->prefix_len, r->prefix, r->prefix_len))
			return ccp_eq(e->path, e->path_len, r->path, r->path_len);
	}
	return false;
}

static int ccp_apply_update(struct ccp *c, int64_t now, uint16_t i, const struct ccp_update *u)
{
	struct ccp_peer *p = &c->peer[i];
	const uint8_t *pos, *wp;
	struct ccp_route r;
	size_t wl;

	if (memcmp(p->rx_table, u->table_id, CCP_TABLE_ID_LEN) != 0) {
		ccp_drop_routes(c, i);
		memcpy(p->rx_table, u->table_id, CCP_TABLE_ID_LEN);
		p->rx_epoch = 0;
	}
	p->rx_last = now;
	p->rx_expires = now + (int64_t)(u->hold_down_ms != 0 ? u->hold_down_ms : c->expiry_ms);
	if (u->from_epoch > p->rx_epoch || u->to_epoch < p->rx_epoch) {
		c->st.updates_ignored++;
		return 0;
	}
	pos = u->withdrawn;
	while (ccp_next_withdrawn(u, &pos, &wp, &wl) == 1)
		if (ilp_learned_remove(&c->learned, wp, wl, i) == 1)
			ccp_log(c, wp, wl);
	pos = u->routes;
	while (ccp_next_route(u, &pos, &r) == 1) {
		struct ilp_learned_route ev;
		bool evicted;

		if (!ccp_import_ok(c, &r)) {
			c->st.routes_filtered++;
			continue;
		}
		if (ccp_same_route(c, i, &r))
			continue;   /* unchanged */
		if (ilp_learned_put(&c->learned, r.prefix, r.prefix_len, i, p->rank, r.path,
				    r.path_len, r.n_path > 255 ? 255 : (uint8_t)r.n_path, now,
				    &ev, &evicted) != ILP_OK) {
			c->st.routes_filtered++;
			continue;
		}
		if (evicted)
			ccp_log(c, ev.prefix, ev.prefix_len);
		ccp_log(c, r.prefix, r.prefix_len);
	}
	p->rx_epoch = u->to_epoch;
	c->st.updates_in++;
	return 0;
}

int ccp_handle(struct ccp *c, int64_t now, uint16_t i, bool update,
	       const uint8_t *data, size_t len, const char **msg)
{
	struct ccp_peer *p;

	if (i >= ILPD_MAX_PEERS || !c->peer[i].used) {
		c->st.refused++;
		*msg = "cannot process route control messages from non-peers.";
		return -1;
	}
	p = &c->peer[i];
	if (update) {
		struct ccp_update u;

		if (!p->receive_routes) {
			c->st.refused++;
			*msg = "cannot process route update messages: receiving routes is disabled for this account.";
			return -1;
		}
		if (ccp_update_decode(data, len, &u) != ILP_OK) {
			c->st.refused++;
			*msg = "malformed route update.";
			return -1;
		}
		return ccp_apply_update(c, now, i, &u);
	} else {
		struct ccp_control ctl;

		if (!p->send_routes) {
			c->st.refused++;
			*msg = "cannot process route control messages: sending routes is disabled for this account.";
			return -1;
		}
		if (ccp_control_decode(data, len, &ctl) != ILP_OK) {
			c->st.refused++;
			*msg = "malformed route control.";
			return -1;
		}
		c->st.controls_in++;
		p->tx_mode = ctl.mode == CCP_MODE_SYNC ? CCP_MODE_SYNC : CCP_MODE_IDLE;
		if (memcmp(ctl.table_id, c->table_id, CCP_TABLE_ID_LEN) != 0 || ctl.epoch > c->epoch)
			p->tx_epoch = 0;
		else
			p->tx_epoch = ctl.epoch;
		p->tx_inflight = false;
		p->full_cursor = 0;
		p->full_epoch = 0;
		p->seq++;
		p->tx_next = now;
		p->tx_hold = now;
		p->tx_fails = 0;
		return 0;
	}
}

/* What we advertise for `prefix` to peer i: 1 with the learned route that
 * carries it (*via; NULL for our own address), 0 if it is withdrawn. */
static int ccp_advert(const struct ccp *c, uint16_t i, const uint8_t *prefix, size_t len,
		      const struct ilp_learned_route **via)
{
	const struct ccp_peer *p = &c->peer[i];
	long b;
	uint16_t k;

	*via = NULL;
	if (c->own_len != 0 && ccp_eq(prefix, len, c->own, c->own_len))
		return 1;
	if (c->statics != NULL)
		for (k = 0; k < c->statics->count; k++)
			if (ccp_eq(c->statics->r[k].prefix, c->statics->r[k].prefix_len, prefix, len))
				return 0;
	if (c->own_len == 0 || ccp_under(prefix, len, c->own, c->own_len))
		return 0;
	b = ilp_learned_best(&c->learned, prefix, len);
	if (b < 0)
		return 0;
	*via = &c->learned.r[b];
	if ((*via)->peer == i)
		return 0;
	if (p->rank == ILP_LEARNED_RANK_PARENT && (*via)->rank != ILP_LEARNED_RANK_CHILD)
		return 0;
	return 1;
}

/* Adds prefix to w as a route or a withdrawal for peer i. */
static int ccp_put_prefix(const struct ccp *c, uint16_t i, struct ccp_writer *w,
			  const uint8_t *prefix, size_t len, bool withdrawals)
{
	const struct ilp_learned_route *via;
	int adv = ccp_advert(c, i, prefix, len, &via);

	if (!withdrawals) {
		if (!adv)
			return ILP_OK;
		if (via == NULL)
			return ccp_update_route(w, prefix, len, c->own, c->own_len, 0, NULL, 0, NULL);
		return ccp_update_route(w, prefix, len, c->own, c->own_len, via->hops, via->path,
					via->path_len, NULL);
	}
	return adv ? ILP_OK : ccp_update_withdraw(w, prefix, len);
}

static uint32_t ccp_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Builds the update for peer i into buf. */
static int ccp_build_update(struct ccp *c, uint16_t i, uint8_t *buf, size_t cap, size_t *len,
			    uint32_t *to_out, bool *done)
{
	struct ccp_peer *p = &c->peer[i];
	struct ccp_writer w;
	uint32_t from = p->tx_epoch, to, e;
	bool full = from < c->log_base;
	int pass;

	*done = true;
	if (full)
		from = 0;
	/* The log entries [from, to) that fit; the routes first, then the
	 * withdrawals: both passes over the same range, so `to` is the end of
	 * the shorter of what fits in each. */
	to = c->epoch;
	for (pass = 0; pass < 2; pass++) {
		if (ccp_update_begin(&w, buf, cap, c->table_id, c->epoch, from, to, c->expiry_ms,
				     c->own, c->own_len) != ILP_OK)
			return ILP_ERR_OVERFLOW;
		if (full) {
			/* Items in a fixed order: our address, the best learned
			 * route of each prefix, the withdrawals in the log. A
			 * table larger than one message goes in chunks, each
			 * from 0 to the current epoch (the receiver applies every
			 * one: from 0 is never a gap, to = its epoch is not stale). */
			uint32_t item = 0, skip = p->full_epoch == c->epoch ? p->full_cursor : 0;
			bool room = true;
			uint16_t k;

			if (c->own_len != 0 && item++ >= skip)
				room = ccp_put_prefix(c, i, &w, c->own, c->own_len, false) == ILP_OK;
			for (k = 0; room && k < c->learned.count; k++) {
				const struct ilp_learned_route *r = &c->learned.r[k];

				if (ilp_learned_best(&c->learned, r->prefix, r->prefix_len) != (long)k)
					continue;
				if (item++ >= skip)
					room = ccp_put_prefix(c, i, &w, r->prefix, r->prefix_len,
							      false) == ILP_OK;
			}
			for (e = c->log_base; room && e != c->epoch; e++) {
				const struct ccp_log_entry *le = &c->log[e % ILPD_CCP_LOG_MAX];

				if (le->len != 0 && item++ >= skip)
					room = ccp_put_prefix(c, i, &w, le->prefix, le->len,
							      true) == ILP_OK;
			}
			p->full_prev = skip;
			if (!room) {
				if (item - 1 == skip) {
					c->st.truncated++;   /* one item larger than a message */
					item++;
				}
				p->full_cursor = item - 1;
				p->full_epoch = c->epoch;
				*done = false;
			} else {
				p->full_cursor = 0;
				p->full_epoch = 0;
			}
			break;
		}
		{
			uint32_t fit = to;

			for (e = from; e != to; e++) {
				const struct ccp_log_entry *le = &c->log[e % ILPD_CCP_LOG_MAX];

				if (le->len != 0 &&
				    ccp_put_prefix(c, i, &w, le->prefix, le->len, false) != ILP_OK) {
					fit = e;
					break;
				}
			}
			for (e = from; e != fit; e++) {
				const struct ccp_log_entry *le = &c->log[e % ILPD_CCP_LOG_MAX];

				if (le->len != 0 &&
				    ccp_put_prefix(c, i, &w, le->prefix, le->len, true) != ILP_OK) {
					fit = e;
					break;
				}
			}
			if (fit == to)
				break;
			to = fit;   /* again, with the shorter range in the header */
		}
	}
	if (ccp_update_end(&w, len) != ILP_OK)
		return ILP_ERR_OVERFLOW;
	if (full && *done)
		c->st.full_tables++;
	*to_out = ccp_min(to, c->epoch);
	return ILP_OK;
}

/* Delay before sending again after `fails` failures in a row: 1 s,
 * doubling, at most the broadcast interval. */
static int64_t ccp_retry_ms(const struct ccp *c, uint8_t fails)
{
	int64_t d = 1000;
	uint8_t k;

	for (k = 1; k < fails && d < (int64_t)c->interval_ms; k++)
		d *= 2;
	return d < (int64_t)c->interval_ms ? d : (int64_t)c->interval_ms;
}

/* The update in flight failed: the peer's epoch goes back, and the next
 * try waits the retry delay. */
static void ccp_tx_failed(const struct ccp *c, struct ccp_peer *p, int64_t now)
{
	p->tx_inflight = false;
	p->tx_epoch = p->tx_prev;
	p->full_cursor = p->full_prev;
	if (p->tx_fails < 255)
		p->tx_fails++;
	p->tx_hold = now + ccp_retry_ms(c, p->tx_fails);
	p->tx_next = p->tx_hold;
}

int ccp_poll(struct ccp *c, int64_t now, uint16_t i, uint8_t *buf, size_t cap,
	     size_t *len, bool *update, uint16_t *seq)
{
	struct ccp_peer *p;
	uint32_t to;
	bool done;

	if (i >= ILPD_MAX_PEERS || !c->peer[i].used || !c->peer[i].up)
		return 0;
	p = &c->peer[i];
	if (p->ctl_due && !p->ctl_inflight && now >= p->ctl_next && p->receive_routes) {
		struct ccp_control ctl;

		ctl.mode = CCP_MODE_SYNC;
		memcpy(ctl.table_id, p->rx_table, CCP_TABLE_ID_LEN);
		ctl.epoch = p->rx_epoch;
		ctl.features = 0;
		if (ccp_control_encode(&ctl, buf, cap, len) != ILP_OK)
			return 0;
		p->ctl_inflight = true;
		p->ctl_next = now + (int64_t)c->interval_ms;   /* answer deadline */
		*update = false;
		*seq = ++p->ctl_seq;
		c->st.controls_out++;
		return 1;
	}
	if (p->ctl_inflight && now >= p->ctl_next) {
		p->ctl_inflight = false;   /* no answer in time: send again */
		p->ctl_next = now;
	}
	if (!p->send_routes || p->tx_mode != CCP_MODE_SYNC)
		return 0;
	if (p->tx_inflight) {
		if (now < p->tx_deadline)
			return 0;
		ccp_tx_failed(c, p, now);  /* no answer in time */
	}
	if (p->tx_epoch > c->epoch)
		p->tx_epoch = 0;
	if (now < p->tx_hold)
		return 0;
	if (now < p->tx_next && p->tx_epoch == c->epoch && p->full_epoch == 0)
		return 0;
	if (ccp_build_update(c, i, buf, cap, len, &to, &done) != ILP_OK)
		return 0;
	p->tx_prev = p->tx_epoch;
	if (done)
		p->tx_epoch = to;
	p->tx_inflight = true;
	p->tx_deadline = now + (int64_t)c->interval_ms;
	*update = true;
	*seq = ++p->seq;
	c->st.updates_out++;
	return 1;
}

void ccp_result(struct ccp *c, int64_t now, uint16_t i, uint16_t seq, bool update, bool ok)
{
	struct ccp_peer *p;

	if (i >= ILPD_MAX_PEERS || !c->peer[i].used)
		return;
	p = &c->peer[i];
	if (!update) {
		if (!p->ctl_inflight || seq != p->ctl_seq)
			return;
		p->ctl_inflight = false;
		if (ok) {
			p->ctl_due = false;
			p->ctl_fails = 0;
		} else {
			p->ctl_next = now + ccp_retry_ms(c, ++p->ctl_fails);
		}
		return;
	}
	if (!p->tx_inflight || seq != p->seq)
		return;
	if (!ok) {
		ccp_tx_failed(c, p, now);
		return;
	}
	p->tx_inflight = false;
	p->tx_fails = 0;
	p->tx_next = now + (int64_t)c->interval_ms;
	p->tx_hold = now + CCP_CATCHUP_MS;
}

unsigned ccp_expire(struct ccp *c, int64_t now)
{
	unsigned n = 0;
	uint16_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		struct ccp_peer *p = &c->peer[i];

		if (p->used && p->rx_expires != 0 && now >= p->rx_expires) {
			ccp_rx_reset(c, i, now);
			c->st.expired++;
			n++;
		}
	}
	return n;
}

int64_t ccp_next_due(const struct ccp *c)
{
	int64_t t = INT64_MAX;
	uint16_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ccp_peer *p = &c->peer[i];

		if (!p->used)
			continue;
		if (p->rx_expires != 0 && p->rx_expires < t)
			t = p->rx_expires;
		if (!p->up)
			continue;
		if (p->ctl_due && p->ctl_next < t)
			t = p->ctl_next;
		if (p->send_routes && p->tx_mode == CCP_MODE_SYNC && p->tx_next < t)
			t = p->tx_next;
	}
	return t;
}
