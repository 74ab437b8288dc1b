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
 */
#ifndef ILP_ROUTING_H
#define ILP_ROUTING_H

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

struct ilp_routes {
	struct ilp_route r[ILPD_MAX_ROUTES];
	uint16_t count;
	uint16_t default_peer;  /* ILP_ROUTE_NONE if no default route */
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

#endif /* ILP_ROUTING_H */
