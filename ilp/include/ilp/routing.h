/*
 * routing.h - fixed-capacity routing table: static routes with longest-prefix
 * match on ILP address segment boundaries, plus a default route.
 *
 * Memory: struct ilp_routes = ILPD_MAX_ROUTES * (ILPD_ROUTE_PREFIX_MAX + 4)
 * + 4 bytes (host board: 128 * 132 + 4 = 16900). No heap.
 * Lookup cost: one pass over the table, comparing at most the prefix length
 * of each entry: O(ILPD_MAX_ROUTES * ILPD_ROUTE_PREFIX_MAX) byte compares.
 * A prefix matches when the address equals it or continues with '.', so
 * "g.a" matches "g.a.b" but not "g.ab" (as ilp-connector's prefix map does).
 *
 * Learned routes (CCP, ccp.h) live in a second fixed table, struct
 * ilp_learned: ILPD_MAX_LEARNED_ROUTES * (ILPD_ROUTE_PREFIX_MAX +
 * ILPD_LEARNED_PATH_MAX + 16) bytes (host: 512 * 272 = 139,264). A static
 * table points at it (ilp_routes.learned, may be NULL); a lookup consults
 * it after the static routes: the longest matching prefix wins, a static
 * route wins over a learned one with the same prefix, and the default route
 * is used only when nothing matches. Among learned routes with the same
 * prefix the best is: relation child > peer > parent, then the shorter
 * path, then the lower peer index (as ilp-connector ranks them).
 * Full table: the most specific (longest) prefix of the least-preferred
 * peer (relation parent < peer < child, then the higher index) is dropped,
 * the new route included, and counted in ilp_learned.dropped.
 */
#ifndef ILP_ROUTING_H
#define ILP_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"
#include "ilp/ilp_opts.h"

#define ILP_ROUTE_NONE 0xFFFFu

struct ilp_route {
	uint8_t prefix[ILPD_ROUTE_PREFIX_MAX];
	uint16_t prefix_len;
	uint16_t peer;          /* peer index, < ILPD_MAX_PEERS */
};

/* Relation ranks of learned routes: the higher is preferred. */
#define ILP_LEARNED_RANK_PARENT 0
#define ILP_LEARNED_RANK_PEER 1
#define ILP_LEARNED_RANK_CHILD 2

struct ilp_learned_route {
	uint8_t prefix[ILPD_ROUTE_PREFIX_MAX];
	uint8_t path[ILPD_LEARNED_PATH_MAX];   /* CCP path entries, OER as received */
	int64_t since;          /* when learned or last changed (ms) */
	uint16_t prefix_len;
	uint16_t path_len;      /* bytes in path */
	uint16_t peer;          /* next hop, < ILPD_MAX_PEERS */
	uint8_t hops;           /* path entries (255: more) */
	uint8_t rank;           /* ILP_LEARNED_RANK_* of the peer */
};

struct ilp_learned {
	struct ilp_learned_route r[ILPD_MAX_LEARNED_ROUTES];
	uint16_t count;
	uint64_t dropped;       /* routes evicted or refused because the table was full */
};

struct ilp_routes {
	struct ilp_route r[ILPD_MAX_ROUTES];
	uint16_t count;
	uint16_t default_peer;  /* ILP_ROUTE_NONE if no default route */
	const struct ilp_learned *learned;  /* consulted after r[]; may be NULL */
};

void ilp_routes_init(struct ilp_routes *t);

/* Adds or replaces the route for `prefix` (an ILP address or address prefix
 * of valid segments). ILP_ERR_FULL when the table is full, ILP_ERR_RANGE if
 * the prefix is longer than ILPD_ROUTE_PREFIX_MAX, ILP_ERR_INVALID if it is
 * not a valid address prefix. */
int ilp_routes_add(struct ilp_routes *t, const uint8_t *prefix, size_t len,
		   uint16_t peer) ILP_CHECK_RESULT;
int ilp_routes_remove(struct ilp_routes *t, const uint8_t *prefix,
		      size_t len) ILP_CHECK_RESULT;
/* Removes every route to `peer` (and the default route if it is `peer`). */
void ilp_routes_remove_peer(struct ilp_routes *t, uint16_t peer);
void ilp_routes_set_default(struct ilp_routes *t, uint16_t peer);

/* Peer index for addr: the longest matching prefix, else the default route,
 * else ILP_ROUTE_NONE. ilp_routes_match also gives the length of the prefix
 * that matched (0 for the default route or none). */
uint16_t ilp_routes_match(const struct ilp_routes *t, const uint8_t *addr, size_t len,
			  size_t *matched_len);
uint16_t ilp_routes_lookup(const struct ilp_routes *t, const uint8_t *addr,
			   size_t len);

/* ---- learned routes ---------------------------------------------------- */

void ilp_learned_init(struct ilp_learned *l);

/* Adds or replaces the route for (prefix, peer). The prefix must be a valid
 * address or scheme of at most ILPD_ROUTE_PREFIX_MAX bytes and path_len at
 * most ILPD_LEARNED_PATH_MAX (else ILP_ERR_INVALID / ILP_ERR_RANGE). When the
 * table is full a victim is chosen (see above): if it is the new route,
 * ILP_ERR_FULL and nothing changes; else it is copied to *evicted (when not
 * NULL), *did_evict is set and the new route takes its place. Both count in
 * l->dropped. */
int ilp_learned_put(struct ilp_learned *l, const uint8_t *prefix, size_t len,
		    uint16_t peer, uint8_t rank, const uint8_t *path, size_t path_len,
		    uint8_t hops, int64_t now, struct ilp_learned_route *evicted,
		    bool *did_evict) ILP_CHECK_RESULT;
/* Removes the route for (prefix, peer): 1 if there was one, else 0. */
int ilp_learned_remove(struct ilp_learned *l, const uint8_t *prefix, size_t len,
		       uint16_t peer);
/* Index of the best route for exactly this prefix, or -1. */
long ilp_learned_best(const struct ilp_learned *l, const uint8_t *prefix, size_t len);
/* True if route a is preferred over route b (same prefix). */
bool ilp_learned_better(const struct ilp_learned_route *a, const struct ilp_learned_route *b);

#endif /* ILP_ROUTING_H */
