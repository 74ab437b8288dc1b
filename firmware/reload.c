/*
 * reload.c - applies a new configuration to the running daemon (SIGHUP)
 * without disturbing the peers it does not change (see daemon.h,
 * ilpd_daemon_reload()).
 *
 * IMPLEMENTATION NOTES
 * - Two phases. rl_plan() only reads: it checks the settings that need a
 *   restart, matches peers by name and classifies each one, gives every new
 *   peer a slot, and builds the complete new route table in a scratch
 *   table. Everything that can be refused is refused there, so rl_commit()
 *   never stops half way and a refused reload changes nothing.
 * - Classes of a matched peer: KEEP (every field equal; the line number is
 *   not a setting), UPDATE (only economics: asset, rate, max packet amount,
 *   balance limits, settle threshold, max_in_flight - applied with
 *   ilp_switch_update_peer,
 *   the connection stays), RECONNECT (relation, url, token or username:
 *   the settings are replaced and the connection dropped).
 * - Slots: switch peer index == link index. A new peer needs a slot whose
 *   link is unused and whose switch peer is free. A peer removed by this
 *   reload frees its slot at once when nothing it sent is in flight
 *   (packets sent to it are rejected T01 as it goes); otherwise the switch
 *   peer is retired and ilpd_reload_progress() frees it later, once its
 *   last packet is answered or expires.
 * - Routes: all of them (child routes, static routes, default) are rebuilt
 *   from the new file into rl_routes and swapped in by
 *   ilp_switch_set_routes() after the peers changed; in between the switch
 *   table is cleared so that ilp_switch_add_peer() cannot overflow it. No
 *   packet is processed between the two: the reload runs from the main
 *   loop, never inside a callback.
 * - No heap; the scratch route table and the plan are static (one reload at
 *   a time).
 */
#include "daemon.h"
#include "deliver.h"

#include <string.h>

#include "hal/hal_log.h"
#include "ilp/routing.h"
#include "settle_glue.h"

enum rl_class {
	RL_KEEP = 0,
	RL_UPDATE,
	RL_RECONNECT,
	RL_ADD
};

struct rl_plan {
	uint16_t slot[ILPD_MAX_PEERS];     /* per peer of the new file: link index */
	uint8_t cls[ILPD_MAX_PEERS];       /* per peer of the new file: enum rl_class */
	bool kept[ILPD_MAX_PEERS];         /* per link: the new file still has it */
	bool taken[ILPD_MAX_PEERS];        /* per link: given to a new peer */
	unsigned added, removed, changed, reconnected;
};

static struct rl_plan rl_plan_now;
static struct ilp_routes rl_routes;

/* ---- comparing configurations ------------------------------------------- */

static bool rl_endpoint_eq(const struct ilpd_endpoint *a, const struct ilpd_endpoint *b)
{
	if (a->enabled != b->enabled)
		return false;
	return !a->enabled || (a->port == b->port && strcmp(a->host, b->host) == 0);
}

/* NULL if `n` can be applied to a daemon running `o`, else the reason. */
static const char *rl_restart_needed(const struct ilpd_conf *o, const struct ilpd_conf *n)
{
	if (strcmp(o->address, n->address) != 0)
		return "[node] address changed: needs a restart";
	if (strcmp(o->asset_code, n->asset_code) != 0 || o->asset_scale != n->asset_scale)
		return "[node] asset changed: needs a restart";
	if (!rl_endpoint_eq(&o->btp_listen, &n->btp_listen))
		return "[btp] listen changed: needs a restart";
	if (!rl_endpoint_eq(&o->admin_listen, &n->admin_listen))
		return "[admin] listen changed: needs a restart";
	if (!rl_endpoint_eq(&o->settlement_listen, &n->settlement_listen))
		return "[settlement] listen changed: needs a restart";
	if (!ilpd_conf_tls_same(o, n))
		return "[tls] or [btp] tls changed: needs a restart";
	if (!ilpd_conf_transport_same(o, n))
		return "[transport] or [netif] changed: needs a restart";
	return ilpd_conf_ledger_restart(o, n);
}

/* Who the peer is and how it connects: a change drops the connection. */
static bool rl_identity_eq(const struct ilpd_peer_conf *a, const struct ilpd_peer_conf *b)
{
	if (a->relation != b->relation || a->outbound != b->outbound ||
	    strcmp(a->token, b->token) != 0 || strcmp(a->username, b->username) != 0 ||
	    !ilpd_peer_tls_same(a, b))
		return false;
	return !a->outbound ||
	       (a->url.port == b->url.port && strcmp(a->url.host, b->url.host) == 0 &&
		strcmp(a->url.path, b->url.path) == 0);
}

/* The settlement keys (config_settle.c): applied in place, like the limits
 * (settle_glue.c picks them up; a new engine URL re-creates the account). */
static bool rl_settle_eq(const struct ilpd_peer_conf *a, const struct ilpd_peer_conf *b)
{
	return a->settle_engine == b->settle_engine && a->settle_to == b->settle_to &&
	       a->settle_scale == b->settle_scale &&
	       a->allow_remote_engine == b->allow_remote_engine &&
	       (!a->settle_engine || memcmp(&a->settle_url, &b->settle_url,
					    sizeof(a->settle_url)) == 0);
}

static bool rl_economics_eq(const struct ilpd_peer_conf *a, const struct ilpd_peer_conf *b)
{
	return strcmp(a->asset_code, b->asset_code) == 0 && a->rate.num == b->rate.num &&
	       a->rate.den == b->rate.den && a->rate.scale == b->rate.scale &&
	       a->max_packet_amount == b->max_packet_amount &&
	       a->min_balance == b->min_balance && a->max_balance == b->max_balance &&
	       a->settle_threshold == b->settle_threshold &&
	       a->max_in_flight == b->max_in_flight &&
	       a->rate_limit == b->rate_limit && a->rate_limit_burst == b->rate_limit_burst &&
	       a->throughput_in == b->throughput_in && a->throughput_out == b->throughput_out &&
	       rl_settle_eq(a, b);
}

/* The link in use whose peer is called `name`, or -1. */
static int rl_find_link(const struct ilpd_daemon *d, const char *name)
{
	int i;

	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (d->link[i].conf != NULL && strcmp(d->link[i].conf->name, name) == 0)
			return i;
	return -1;
}

/* ---- planning: reads only ------------------------------------------------ */

/* True if slot i can take a new peer in this reload. */
static bool rl_slot_free(const struct ilpd_daemon *d, const struct rl_plan *pl, int i)
{
	const struct ilp_peer *sp = &d->sw.peers[i];

	if (pl->taken[i])
		return false;
	if (d->link[i].conf == NULL)
		return !sp->used;
	/* Removed now: free at once if nothing it sent is still in flight. */
	return !pl->kept[i] && sp->pending_from == 0;
}

static int rl_plan_slots(const struct ilpd_daemon *d, const struct ilpd_conf *n,
			 struct rl_plan *pl, const char **why)
{
	int next = 0;
	size_t j;

	for (j = 0; j < n->npeers; j++) {
		if (pl->cls[j] != RL_ADD)
			continue;
		while (next < ILPD_MAX_PEERS && !rl_slot_free(d, pl, next))
			next++;
		if (next == ILPD_MAX_PEERS) {
			*why = "no free peer slot (removed peers still have packets in flight)";
			return -1;
		}
		pl->slot[j] = (uint16_t)next;
		pl->taken[next] = true;
		pl->added++;
	}
	return 0;
}

/* Child routes, static routes and the default route of the new file, with
 * the planned slots, into rl_routes. */
static int rl_plan_routes(const struct ilpd_daemon *d, const struct ilpd_conf *n,
			  const struct rl_plan *pl, const char **why)
{
	uint8_t addr[ILPD_ADDRESS_MAX + 1 + ILPD_PEER_NAME_MAX];
	size_t j, alen = d->sw.cfg.address_len;   /* address = auto: IL-DCP's, or none yet */
	int p;

	ilp_routes_init(&rl_routes);
	memcpy(addr, d->sw.address, alen);
	addr[alen] = '.';
	for (j = 0; j < n->npeers; j++) {
		size_t nl = strlen(n->peer[j].name);

		if (n->peer[j].relation != ILP_REL_CHILD || alen == 0)
			continue;
		memcpy(addr + alen + 1, n->peer[j].name, nl);
		if (ilp_routes_add(&rl_routes, addr, alen + 1 + nl, pl->slot[j]) != ILP_OK) {
			*why = "the child routes do not fit the route table";
			return -1;
		}
	}
	for (j = 0; j < n->nroutes; j++) {
		p = ilpd_conf_peer_index(n, n->route[j].peer);
		if (p < 0 || ilp_routes_add(&rl_routes, (const uint8_t *)n->route[j].prefix,
					    strlen(n->route[j].prefix), pl->slot[p]) != ILP_OK) {
			*why = "the routes do not fit the route table";
			return -1;
		}
	}
	if (n->default_route[0] != '\0') {
		p = ilpd_conf_peer_index(n, n->default_route);
		if (p < 0) {
			*why = "the default route names no peer";
			return -1;
		}
		ilp_routes_set_default(&rl_routes, pl->slot[p]);
	}
	return 0;
}

static int rl_plan(const struct ilpd_daemon *d, const struct ilpd_conf *n,
		   struct rl_plan *pl, const char **why)
{
	size_t j;
	int i;

	memset(pl, 0, sizeof(*pl));
	*why = rl_restart_needed(d->conf, n);
	if (*why != NULL)
		return -1;
	for (j = 0; j < n->npeers; j++) {
		const struct ilpd_peer_conf *p = &n->peer[j];

		i = rl_find_link(d, p->name);
		if (i < 0) {
			pl->cls[j] = RL_ADD;
			continue;
		}
		pl->kept[i] = true;
		pl->slot[j] = (uint16_t)i;
		if (!rl_identity_eq(d->link[i].conf, p)) {
			pl->cls[j] = RL_RECONNECT;
			pl->reconnected++;
		} else if (!rl_economics_eq(d->link[i].conf, p)) {
			pl->cls[j] = RL_UPDATE;
			pl->changed++;
		} else {
			pl->cls[j] = RL_KEEP;
		}
	}
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (d->link[i].conf != NULL && !pl->kept[i])
			pl->removed++;
	if (rl_plan_slots(d, n, pl, why) != 0)
		return -1;
	return rl_plan_routes(d, n, pl, why);
}

/* ---- committing: cannot be refused any more ----------------------------- */

/* For calls the plan and the loader made sure cannot fail. */
static void rl_bug(const char *what, const char *peer)
{
	hal_log(HAL_LOG_ERROR, "config.reload_bug", "step=%s peer=%s", what, peer);
}

static void rl_remove(struct ilpd_daemon *d, struct ilpd_link *l)
{
	const struct ilp_peer *sp = &d->sw.peers[l->index];
	int r;

	if (ilp_switch_retire_peer(&d->sw, l->index) != ILP_OK)
		rl_bug("retire", l->conf->name);
	ilpd_link_drop(d, l, "peer removed by a reload", false);
	/* A non-zero balance goes with the peer (by name, docs/ilpd.8 DURABLE
	 * LEDGER): said at warning, so the operator sees what was dropped. */
	hal_log(d->sw.ledger.slot[l->index].balance != 0 ? HAL_LOG_WARN : HAL_LOG_INFO,
		"peer.removed", "peer=%s balance=%lld in_flight=%u%s",
		sp->cfg.name, (long long)d->sw.ledger.slot[l->index].balance,
		(unsigned)sp->pending_from,
		d->sw.ledger.slot[l->index].balance != 0 ?
		" note=\"its balance is dropped; re-adding the name starts at 0\"" : "");
	r = ilp_switch_remove_peer(&d->sw, l->index);
	if (r == 0)
		d->retired++;
	else if (r != 1)
		rl_bug("remove", sp->cfg.name);
}

static void rl_apply_peer(struct ilpd_daemon *d, const struct ilpd_peer_conf *p,
			  uint16_t slot, enum rl_class cls)
{
	struct ilpd_link *l = &d->link[slot];
	struct ilp_peer_cfg pc;

	ilpd_peer_switch_cfg(p, &pc);
	switch (cls) {
	case RL_KEEP:
		l->peer = *p;   /* equal but for the line number */
		break;
	case RL_UPDATE:
	case RL_RECONNECT:
		if (ilp_switch_update_peer(&d->sw, slot, &pc) != ILP_OK)
			rl_bug("update", p->name);
		l->peer = *p;
		hal_log(HAL_LOG_INFO, "peer.changed", "peer=%s reconnect=%s", p->name,
			cls == RL_RECONNECT ? "yes" : "no");
		if (cls == RL_RECONNECT)
			ilpd_link_drop(d, l, "settings changed by a reload", true);
		break;
	case RL_ADD:
		if (ilp_switch_add_peer(&d->sw, slot, &pc) != ILP_OK) {
			rl_bug("add", p->name);
			return;
		}
		hal_log(HAL_LOG_INFO, "peer.added", "peer=%s slot=%u", p->name, (unsigned)slot);
		ilpd_link_open(d, slot, p);
		break;
	}
}

static void rl_commit(struct ilpd_daemon *d, const struct ilpd_conf *n,
		      const struct rl_plan *pl)
{
	struct hal_log_cfg lc = { n->log_level, n->log_stderr, n->log_syslog };
	size_t j;
	int i;

	d->conf = n;
	ilpd_daemon_timeouts_changed(d);
	hal_log_setup(&lc);
	if (ilp_switch_set_windows(&d->sw, n->min_message_window_ms, n->max_hold_time_ms) != ILP_OK)
		rl_bug("limits", "-");
	ilp_switch_clear_routes(&d->sw);
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (d->link[i].conf != NULL && !pl->kept[i])
			rl_remove(d, &d->link[i]);
	for (j = 0; j < n->npeers; j++)
		rl_apply_peer(d, &n->peer[j], pl->slot[j], (enum rl_class)pl->cls[j]);
	if (ilp_switch_set_routes(&d->sw, &rl_routes) != ILP_OK)
		rl_bug("routes", "-");
	ilpd_local_reconfigure(d);   /* [local] prefix and max_balance (local.h) */
	ilpd_deliver_reconfigure(d);   /* [local] handler_url and limits (deliver.h) */
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		struct ilpd_link *l = &d->link[i];

		if (l->backoff_ms < n->reconnect_min_ms)
			l->backoff_ms = n->reconnect_min_ms;
		if (l->backoff_ms > n->reconnect_max_ms)
			l->backoff_ms = n->reconnect_max_ms;
	}
}

int ilpd_daemon_reload(struct ilpd_daemon *d, const struct ilpd_conf *next,
		       const char **why)
{
	struct rl_plan *pl = &rl_plan_now;

	if (d->stopping) {
		*why = "shutting down";
		return -1;
	}
	if (rl_plan(d, next, pl, why) != 0)
		return -1;
	rl_commit(d, next, pl);
	ilpd_ildcp_reloaded(d);
	ilpd_settle_reload(d);   /* engine accounts of added/removed peers */
	hal_log(HAL_LOG_INFO, "config.reloaded",
		"source=%s peers_added=%u peers_removed=%u peers_changed=%u "
		"peers_reconnected=%u peers_retiring=%u", next->source, pl->added, pl->removed,
		pl->changed, pl->reconnected, (unsigned)d->retired);
	return 0;
}

void ilpd_reload_progress(struct ilpd_daemon *d)
{
	uint16_t i;

	for (i = 0; i < ILPD_MAX_PEERS && d->retired != 0; i++) {
		const struct ilp_peer *sp = &d->sw.peers[i];

		if (!sp->used || !sp->retired || sp->pending != 0 || sp->pending_from != 0)
			continue;
		hal_log(HAL_LOG_INFO, "peer.freed", "peer=%s slot=%u balance=%lld", sp->cfg.name,
			(unsigned)i, (long long)d->sw.ledger.slot[i].balance);
		if (ilp_switch_remove_peer(&d->sw, i) == 1)
			d->retired--;
	}
}
