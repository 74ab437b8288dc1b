/*
 * routing.c - fixed-capacity routing table (see routing.h).
 *
 * IMPLEMENTATION NOTES
 * r[0 .. count) are the routes, unordered; prefixes are unique, so on a
 * lookup no two matching entries have the same length and the longest one
 * is the only answer. Removal moves the last entry into the hole.
 * A prefix is either a valid ILP address ("g.acme", "test.alice.bob") or a
 * bare scheme ("g", "test", "private": a route for a whole network). The
 * empty prefix is refused: the catch-all is the default route. Peer indexes
 * are < ILPD_MAX_PEERS, which config_check.c keeps below ILP_ROUTE_NONE.
 */
#include "ilp/routing.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ilp/ilp_packet.h"

/* Longest scheme in RFC 15 ("private", "example"). */
#define ROUTES_SCHEME_MAX 7u

/* True if p[0..n) is a bare scheme: it contains no '.', and appending one
 * segment makes a valid address. The scheme list stays in ilp_packet.c. */
static bool routes_is_scheme(const uint8_t *p, size_t n)
{
	uint8_t buf[ROUTES_SCHEME_MAX + 2];

	if (n == 0 || n > ROUTES_SCHEME_MAX || memchr(p, '.', n) != NULL)
		return false;
	memcpy(buf, p, n);
	buf[n] = '.';
	buf[n + 1] = 'a';
	return ilp_address_valid(buf, n + 2);
}

static bool routes_prefix_valid(const uint8_t *p, size_t n)
{
	return ilp_address_valid(p, n) || routes_is_scheme(p, n);
}

/* Index of the route with exactly this prefix, or -1. */
static long routes_find(const struct ilp_routes *t, const uint8_t *prefix,
			size_t len)
{
	uint16_t i;

	for (i = 0; i < t->count; i++) {
		const struct ilp_route *e = &t->r[i];

		if (e->prefix_len == len && memcmp(e->prefix, prefix, len) == 0)
			return (long)i;
	}
	return -1;
}

static void routes_delete(struct ilp_routes *t, uint16_t i)
{
	t->count--;
	if (i != t->count)
		t->r[i] = t->r[t->count];
	memset(&t->r[t->count], 0, sizeof(t->r[t->count]));
}

void ilp_routes_init(struct ilp_routes *t)
{
	memset(t, 0, sizeof(*t));
	t->default_peer = ILP_ROUTE_NONE;
}

int ilp_routes_add(struct ilp_routes *t, const uint8_t *prefix, size_t len,
		   uint16_t peer)
{
	struct ilp_route *e;
	long at;

	if (t == NULL || (prefix == NULL && len != 0) || peer >= ILPD_MAX_PEERS)
		return ILP_ERR_ARG;
	if (len > ILPD_ROUTE_PREFIX_MAX)
		return ILP_ERR_RANGE;
	if (!routes_prefix_valid(prefix, len))
		return ILP_ERR_INVALID;
	at = routes_find(t, prefix, len);
	if (at >= 0) {
		t->r[at].peer = peer;
		return ILP_OK;
	}
	if (t->count >= ILPD_MAX_ROUTES)
		return ILP_ERR_FULL;
	e = &t->r[t->count];
	memcpy(e->prefix, prefix, len);
	e->prefix_len = (uint16_t)len;
	e->peer = peer;
	t->count++;
	return ILP_OK;
}

int ilp_routes_remove(struct ilp_routes *t, const uint8_t *prefix, size_t len)
{
	long at;

	if (t == NULL || (prefix == NULL && len != 0))
		return ILP_ERR_ARG;
	if (len == 0 || len > ILPD_ROUTE_PREFIX_MAX)
		return ILP_ERR_NOT_FOUND;
	at = routes_find(t, prefix, len);
	if (at < 0)
		return ILP_ERR_NOT_FOUND;
	routes_delete(t, (uint16_t)at);
	return ILP_OK;
}

void ilp_routes_remove_peer(struct ilp_routes *t, uint16_t peer)
{
	uint16_t i = 0;

	while (i < t->count) {
		if (t->r[i].peer == peer)
			routes_delete(t, i);  /* re-examine slot i */
		else
			i++;
	}
	if (t->default_peer == peer)
		t->default_peer = ILP_ROUTE_NONE;
}

/* A peer index out of range (ILP_ROUTE_NONE included) clears the default. */
void ilp_routes_set_default(struct ilp_routes *t, uint16_t peer)
{
	t->default_peer = peer < ILPD_MAX_PEERS ? peer : ILP_ROUTE_NONE;
}

uint16_t ilp_routes_lookup(const struct ilp_routes *t, const uint8_t *addr,
			   size_t len)
{
	size_t matched;

	return ilp_routes_match(t, addr, len, &matched);
}

uint16_t ilp_routes_match(const struct ilp_routes *t, const uint8_t *addr, size_t len,
			  size_t *matched_len)
{
	uint16_t i, best = t->default_peer;
	size_t best_len = 0;

	*matched_len = 0;
	if (addr == NULL && len != 0)
		return best;
	for (i = 0; i < t->count; i++) {
		const struct ilp_route *e = &t->r[i];

		if (e->prefix_len > best_len &&
		    ilp_address_has_prefix(addr, len, e->prefix, e->prefix_len)) {
			best = e->peer;
			best_len = e->prefix_len;
		}
	}
	/* Learned routes: only a strictly longer prefix beats a static one. */
	if (t->learned != NULL && t->learned->count != 0) {
		const struct ilp_learned *l = t->learned;
		const struct ilp_learned_route *win = NULL;

		for (i = 0; i < l->count; i++) {
			const struct ilp_learned_route *e = &l->r[i];

			if (e->prefix_len < best_len || (e->prefix_len == best_len && win == NULL) ||
			    !ilp_address_has_prefix(addr, len, e->prefix, e->prefix_len))
				continue;
			if (win == NULL || e->prefix_len > win->prefix_len ||
			    ilp_learned_better(e, win)) {
				win = e;
				best_len = e->prefix_len;
			}
		}
		if (win != NULL)
			best = win->peer;
	}
	*matched_len = best_len;
	return best;
}

/* ---- learned routes ----------------------------------------------------- */

void ilp_learned_init(struct ilp_learned *l)
{
	memset(l, 0, sizeof(*l));
}

bool ilp_learned_better(const struct ilp_learned_route *a, const struct ilp_learned_route *b)
{
	if (a->rank != b->rank)
		return a->rank > b->rank;
	if (a->hops != b->hops)
		return a->hops < b->hops;
	return a->peer < b->peer;
}

static long learned_find(const struct ilp_learned *l, const uint8_t *prefix, size_t len,
			 uint16_t peer)
{
	uint16_t i;

	for (i = 0; i < l->count; i++) {
		const struct ilp_learned_route *e = &l->r[i];

		if (e->peer == peer && e->prefix_len == len && memcmp(e->prefix, prefix, len) == 0)
			return (long)i;
	}
	return -1;
}

long ilp_learned_best(const struct ilp_learned *l, const uint8_t *prefix, size_t len)
{
	long best = -1;
	uint16_t i;

	for (i = 0; i < l->count; i++) {
		const struct ilp_learned_route *e = &l->r[i];

		if (e->prefix_len == len && memcmp(e->prefix, prefix, len) == 0 &&
		    (best < 0 || ilp_learned_better(e, &l->r[best])))
			best = (long)i;
	}
	return best;
}

/* True if route a is a worse victim choice than b, i.e. b goes first:
 * the least-preferred peer (lowest rank, then higher index), then the
 * longest prefix. */
static bool learned_victim_before(uint8_t rank_a, uint16_t peer_a, size_t len_a,
				  uint8_t rank_b, uint16_t peer_b, size_t len_b)
{
	if (rank_a != rank_b)
		return rank_a < rank_b;
	if (peer_a != peer_b)
		return peer_a > peer_b;
	return len_a > len_b;
}

int ilp_learned_put(struct ilp_learned *l, const uint8_t *prefix, size_t len,
		    uint16_t peer, uint8_t rank, const uint8_t *path, size_t path_len,
		    uint8_t hops, int64_t now, struct ilp_learned_route *evicted,
		    bool *did_evict)
{
	struct ilp_learned_route *e;
	long at;
	uint16_t i, victim;

	if (did_evict != NULL)
		*did_evict = false;
	if (l == NULL || prefix == NULL || (path == NULL && path_len != 0) || peer >= ILPD_MAX_PEERS)
		return ILP_ERR_ARG;
	if (len > ILPD_ROUTE_PREFIX_MAX || path_len > ILPD_LEARNED_PATH_MAX)
		return ILP_ERR_RANGE;
	if (!routes_prefix_valid(prefix, len))
		return ILP_ERR_INVALID;
	at = learned_find(l, prefix, len, peer);
	if (at < 0 && l->count < ILPD_MAX_LEARNED_ROUTES)
		at = l->count++;
	if (at < 0) {
		/* Full: the new route is the first candidate victim. */
		victim = ILPD_MAX_LEARNED_ROUTES;
		for (i = 0; i < l->count; i++) {
			const struct ilp_learned_route *v = &l->r[i];
			uint8_t rb = victim == ILPD_MAX_LEARNED_ROUTES ? rank : l->r[victim].rank;
			uint16_t pb = victim == ILPD_MAX_LEARNED_ROUTES ? peer : l->r[victim].peer;
			size_t lb = victim == ILPD_MAX_LEARNED_ROUTES ? len : l->r[victim].prefix_len;

			if (learned_victim_before(v->rank, v->peer, v->prefix_len, rb, pb, lb))
				victim = i;
		}
		l->dropped++;
		if (victim == ILPD_MAX_LEARNED_ROUTES)
			return ILP_ERR_FULL;
		if (evicted != NULL)
			*evicted = l->r[victim];
		if (did_evict != NULL)
			*did_evict = true;
		at = victim;
	}
	e = &l->r[at];
	memset(e, 0, sizeof(*e));
	memcpy(e->prefix, prefix, len);
	e->prefix_len = (uint16_t)len;
	if (path_len != 0)
		memcpy(e->path, path, path_len);
	e->path_len = (uint16_t)path_len;
	e->peer = peer;
	e->rank = rank;
	e->hops = hops;
	e->since = now;
	return ILP_OK;
}

int ilp_learned_remove(struct ilp_learned *l, const uint8_t *prefix, size_t len, uint16_t peer)
{
	long at = learned_find(l, prefix, len, peer);

	if (at < 0)
		return 0;
	l->count--;
	if ((uint16_t)at != l->count)
		l->r[at] = l->r[l->count];
	memset(&l->r[l->count], 0, sizeof(l->r[l->count]));
	return 1;
}
