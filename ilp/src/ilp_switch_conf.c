/*
 * ilp_switch_conf.c - configuring the packet switch (ilp/ilp_switch.h):
 * init, peers (add, update in place, retire, remove), the connector's
 * address and its children's routes, static and default routes, the CCP
 * hook and the time windows. Pure like the rest of the switch; the packet
 * path is in ilp_switch.c, what both use in switch_int.h.
 */
#include "ilp/ilp_switch.h"

#include <string.h>

#include "switch_int.h"

/* ---- configuration ------------------------------------------------------ */

int ilp_switch_init(struct ilp_switch *sw, const struct ilp_switch_cfg *cfg)
{
	uint16_t i;

	if (cfg->address_len > ILPD_ADDRESS_MAX ||
	    (cfg->address_len != 0 && !ilp_address_valid(cfg->address, cfg->address_len)) ||
	    cfg->min_message_window_ms <= 0 ||
	    cfg->max_hold_time_ms < cfg->min_message_window_ms ||
	    cfg->sha256 == NULL)
		return ILP_ERR_ARG;
	memset(sw, 0, sizeof(*sw));
	memcpy(sw->address, cfg->address, cfg->address_len);
	sw->cfg = *cfg;
	sw->cfg.address = sw->address;
	ilp_routes_init(&sw->routes);
	ledger_init(&sw->ledger);
	sw->local_peer = ILP_ROUTE_NONE;
	for (i = 0; i < ILPD_MAX_PENDING; i++)
		sw->pending[i].next_free = (uint16_t)(i + 1u < ILPD_MAX_PENDING ? i + 1u : SW_NIL);
	sw->free_head = 0;
	return ILP_OK;
}

/* Writes <own address>.<name> into buf (cap bytes); returns its length or 0
 * (also while the connector has no address yet). */
size_t sw_child_address(const struct ilp_switch *sw,
			       const struct ilp_peer *p, uint8_t *buf, size_t cap)
{
	size_t n = sw->cfg.address_len + 1u + p->name_len;

	if (sw->cfg.address_len == 0 || n > cap || n > ILP_ADDRESS_MAX_LEN)
		return 0;
	memcpy(buf, sw->address, sw->cfg.address_len);
	buf[sw->cfg.address_len] = '.';
	memcpy(buf + sw->cfg.address_len + 1, p->cfg.name, p->name_len);
	return n;
}

/* (Re)fills the peer's buckets from p->cfg: all of them when old is NULL,
 * else only those whose limit changed from old's (a reload keeps the rest). */
static void sw_limits_init(struct ilp_peer *p, const struct ilp_peer_cfg *old)
{
	const struct ilp_peer_cfg *c = &p->cfg;

	if (old == NULL || old->rate_limit != c->rate_limit || old->rate_burst != c->rate_burst)
		ilp_bucket_init(&p->rate_bucket, c->rate_limit, c->rate_burst);
	if (old == NULL || old->throughput_in != c->throughput_in)
		ilp_bucket_init(&p->in_bucket, c->throughput_in, 0);
	if (old == NULL || old->throughput_out != c->throughput_out)
		ilp_bucket_init(&p->out_bucket, c->throughput_out, 0);
}

/* The length of cfg's name if cfg is acceptable for a peer, else 0. */
static size_t sw_peer_cfg_ok(const struct ilp_peer_cfg *cfg)
{
	size_t name_len = sw_strnlen(cfg->name, sizeof(cfg->name));

	if (name_len == 0 || name_len > ILPD_PEER_NAME_MAX ||
	    !ilp_address_segment_valid((const uint8_t *)cfg->name, name_len) ||
	    cfg->relation > ILP_REL_CHILD || cfg->rate.num == 0 ||
	    cfg->rate.den == 0 ||
	    sw_strnlen(cfg->asset_code, sizeof(cfg->asset_code)) > ILPD_ASSET_CODE_MAX)
		return 0;
	return name_len;
}

int ilp_switch_add_peer(struct ilp_switch *sw, uint16_t index,
			const struct ilp_peer_cfg *cfg)
{
	struct ilp_peer *p;
	size_t name_len = sw_peer_cfg_ok(cfg);
	uint8_t addr[ILPD_ADDRESS_MAX + 1 + ILPD_PEER_NAME_MAX];
	size_t alen;
	int r;

	if (index >= ILPD_MAX_PEERS || sw->peers[index].used || name_len == 0)
		return ILP_ERR_ARG;
	r = ledger_open(&sw->ledger, index, cfg->min_balance, cfg->max_balance,
			cfg->settle_threshold);
	if (r != ILP_OK)
		return r;
	p = &sw->peers[index];
	p->cfg = *cfg;
	p->name_len = (uint16_t)name_len;
	p->up = false;
	p->retired = false;
	p->pending = 0;
	p->pending_from = 0;
	p->refused_in_flight = 0;
	p->refused_rate = 0;
	p->refused_throughput = 0;
	sw_limits_init(p, NULL);
	if (cfg->relation == ILP_REL_CHILD && sw->cfg.address_len != 0) {
		alen = sw_child_address(sw, p, addr, sizeof(addr));
		r = alen == 0 ? ILP_ERR_RANGE : ilp_routes_add(&sw->routes, addr, alen, index);
		if (r != ILP_OK) {
			memset(p, 0, sizeof(*p));
			return r;
		}
	}
	p->used = true;
	return ILP_OK;
}

void ilp_switch_set_peer_up(struct ilp_switch *sw, uint16_t peer, bool up)
{
	if (peer < ILPD_MAX_PEERS && sw->peers[peer].used)
		sw->peers[peer].up = up && !sw->peers[peer].retired;
}

/* True if `peer` may be routed to: used and not retired. */
bool sw_routable(const struct ilp_switch *sw, uint16_t peer)
{
	return peer < ILPD_MAX_PEERS && sw->peers[peer].used && !sw->peers[peer].retired;
}

int ilp_switch_add_route(struct ilp_switch *sw, const uint8_t *prefix,
			 size_t len, uint16_t peer)
{
	if (!sw_routable(sw, peer))
		return ILP_ERR_ARG;
	return ilp_routes_add(&sw->routes, prefix, len, peer);
}

int ilp_switch_set_default_route(struct ilp_switch *sw, uint16_t peer)
{
	if (!sw_routable(sw, peer))
		return ILP_ERR_ARG;
	ilp_routes_set_default(&sw->routes, peer);
	return ILP_OK;
}

/* ---- reconfiguration ---------------------------------------------------- */

/* Removes the route for exactly `prefix` if it leads to `peer` (a static
 * route to another peer may have replaced a child route). */
static void sw_remove_route_to(struct ilp_switch *sw, const uint8_t *prefix,
			       size_t len, uint16_t peer)
{
	uint16_t i;
	int r;

	for (i = 0; i < sw->routes.count; i++) {
		const struct ilp_route *e = &sw->routes.r[i];

		if (e->peer == peer && e->prefix_len == len && memcmp(e->prefix, prefix, len) == 0) {
			r = ilp_routes_remove(&sw->routes, prefix, len);
			(void)r;   /* ILP_OK: the entry exists */
			return;
		}
	}
}

int ilp_switch_update_peer(struct ilp_switch *sw, uint16_t index,
			   const struct ilp_peer_cfg *cfg)
{
	struct ilp_peer *p;
	uint8_t addr[ILPD_ADDRESS_MAX + 1 + ILPD_PEER_NAME_MAX];
	size_t alen, name_len = sw_peer_cfg_ok(cfg);
	bool was_child, is_child;

	if (!sw_routable(sw, index) || name_len == 0)
		return ILP_ERR_ARG;
	p = &sw->peers[index];
	if (name_len != p->name_len || memcmp(cfg->name, p->cfg.name, name_len) != 0)
		return ILP_ERR_ARG;
	was_child = p->cfg.relation == ILP_REL_CHILD;
	is_child = cfg->relation == ILP_REL_CHILD;
	alen = sw_child_address(sw, p, addr, sizeof(addr));
	if ((alen == 0 && was_child != is_child && sw->cfg.address_len != 0) ||
	    cfg->min_balance > 0 || cfg->max_balance < 0)
		return ILP_ERR_ARG;
	if (alen == 0)
		was_child = is_child;   /* no address yet: no child routes to change */
	if (is_child && !was_child) {
		int r = ilp_routes_add(&sw->routes, addr, alen, index);

		if (r != ILP_OK)
			return r == ILP_ERR_FULL ? ILP_ERR_FULL : ILP_ERR_ARG;
	}
	if (was_child && !is_child)
		sw_remove_route_to(sw, addr, alen, index);
	/* Cannot fail: the slot is open and the limits were checked above. */
	if (ledger_set_limits(&sw->ledger, index, cfg->min_balance, cfg->max_balance,
			      cfg->settle_threshold) != ILP_OK)
		return ILP_ERR_ARG;
	{
		struct ilp_peer_cfg old = p->cfg;

		p->cfg = *cfg;
		sw_limits_init(p, &old);
	}
	return ILP_OK;
}

int ilp_switch_set_address(struct ilp_switch *sw, const uint8_t *addr, size_t len)
{
	uint8_t child[ILPD_ADDRESS_MAX + 1 + ILPD_PEER_NAME_MAX];
	size_t clen, amax = ILPD_ROUTE_PREFIX_MAX < ILP_ADDRESS_MAX_LEN ?
			    ILPD_ROUTE_PREFIX_MAX : ILP_ADDRESS_MAX_LEN;
	uint16_t i;
	int r;

	if (len == 0 || len > ILPD_ADDRESS_MAX || !ilp_address_valid(addr, len))
		return ILP_ERR_ARG;
	if (len == sw->cfg.address_len && memcmp(addr, sw->address, len) == 0)
		return ILP_OK;
	/* Every used child's new address must fit as a route first. */
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ilp_peer *p = &sw->peers[i];

		if (p->used && !p->retired && p->cfg.relation == ILP_REL_CHILD &&
		    len + 1u + p->name_len > amax)
			return ILP_ERR_RANGE;
	}
	/* Drop the old child routes (the table only shrinks here)... */
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ilp_peer *p = &sw->peers[i];

		if (!p->used || p->retired || p->cfg.relation != ILP_REL_CHILD)
			continue;
		clen = sw_child_address(sw, p, child, sizeof(child));
		if (clen != 0)
			sw_remove_route_to(sw, child, clen, i);
	}
	memcpy(sw->address, addr, len);
	sw->cfg.address_len = len;
	/* ...and add the new ones: as many as were removed, or fewer than the
	 * table held with no address, so the table has room unless static
	 * routes filled it meanwhile (then ILP_ERR_FULL; the address stays). */
	r = ILP_OK;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ilp_peer *p = &sw->peers[i];
		int e;

		if (!p->used || p->retired || p->cfg.relation != ILP_REL_CHILD)
			continue;
		clen = sw_child_address(sw, p, child, sizeof(child));
		e = clen == 0 ? ILP_ERR_RANGE : ilp_routes_add(&sw->routes, child, clen, i);
		if (e != ILP_OK)
			r = e;
	}
	return r;
}

int ilp_switch_retire_peer(struct ilp_switch *sw, uint16_t index)
{
	if (index >= ILPD_MAX_PEERS || !sw->peers[index].used)
		return ILP_ERR_ARG;
	sw->peers[index].retired = true;
	sw->peers[index].up = false;
	ilp_routes_remove_peer(&sw->routes, index);
	return ILP_OK;
}

int ilp_switch_remove_peer(struct ilp_switch *sw, uint16_t index)
{
	struct ilp_peer *p;

	if (index >= ILPD_MAX_PEERS || !sw->peers[index].used)
		return ILP_ERR_ARG;
	p = &sw->peers[index];
	if (p->pending != 0 || p->pending_from != 0)
		return 0;
	ilp_routes_remove_peer(&sw->routes, index);
	if (sw->local_peer == index)
		sw->local_peer = ILP_ROUTE_NONE;
	memset(p, 0, sizeof(*p));
	memset(&sw->ledger.slot[index], 0, sizeof(sw->ledger.slot[index]));
	return 1;
}

void ilp_switch_clear_routes(struct ilp_switch *sw)
{
	const struct ilp_learned *l = sw->routes.learned;

	ilp_routes_init(&sw->routes);
	sw->routes.learned = l;
}

void ilp_switch_set_ccp(struct ilp_switch *sw, ilp_ccp_hook hook, void *ctx,
			const struct ilp_learned *learned)
{
	sw->ccp_hook = hook;
	sw->ccp_ctx = ctx;
	sw->routes.learned = learned;
}

void ilp_switch_set_settle(struct ilp_switch *sw, ilp_settle_hook hook, void *ctx)
{
	sw->settle_hook = hook;
	sw->settle_ctx = ctx;
}

int ilp_switch_set_routes(struct ilp_switch *sw, const struct ilp_routes *t)
{
	uint16_t i;

	if (t->count > ILPD_MAX_ROUTES)
		return ILP_ERR_ARG;
	for (i = 0; i < t->count; i++)
		if (!sw_routable(sw, t->r[i].peer))
			return ILP_ERR_ARG;
	if (t->default_peer != ILP_ROUTE_NONE && !sw_routable(sw, t->default_peer))
		return ILP_ERR_ARG;
	{
		const struct ilp_learned *l = sw->routes.learned;

		sw->routes = *t;
		sw->routes.learned = l;
	}
	return ILP_OK;
}

int ilp_switch_set_local(struct ilp_switch *sw, uint16_t peer, const uint8_t *prefix,
			 size_t len)
{
	if (peer == ILP_ROUTE_NONE) {
		sw->local_peer = ILP_ROUTE_NONE;
		sw->local_prefix_len = 0;
		return ILP_OK;
	}
	if (!sw_routable(sw, peer) || len > ILPD_ADDRESS_MAX ||
	    (len != 0 && (prefix == NULL || !ilp_address_valid(prefix, len))))
		return ILP_ERR_ARG;
	if (len != 0)
		memcpy(sw->local_prefix, prefix, len);
	sw->local_prefix_len = (uint16_t)len;
	sw->local_peer = peer;
	return ILP_OK;
}

int ilp_switch_set_windows(struct ilp_switch *sw, int64_t min_message_window_ms,
			   int64_t max_hold_time_ms)
{
	if (min_message_window_ms <= 0 || max_hold_time_ms < min_message_window_ms)
		return ILP_ERR_ARG;
	sw->cfg.min_message_window_ms = min_message_window_ms;
	sw->cfg.max_hold_time_ms = max_hold_time_ms;
	return ILP_OK;
}
