/*
 * ilp_opts.h - compile-time sizes of ilpd's fixed tables.
 *
 * Every pool and buffer in ilpd is sized here. A board overrides any knob in
 * boards/<board>/ilpd_config.h, which this header includes first; every knob
 * then falls back to the default below. Consistency checks live in
 * ilp/src/config_check.c. Memory: this header defines no objects.
 */
#ifndef ILP_OPTS_H
#define ILP_OPTS_H

#include "ilpd_config.h"

/* Peers (BTP links) the connector can hold, including children. Each costs
 * one struct ilp_peer in the switch and one ledger slot (64 bytes). */
#ifndef ILPD_MAX_PEERS
#define ILPD_MAX_PEERS 16
#endif

/* Static routes in the routing table. Lookup is a linear scan:
 * O(ILPD_MAX_ROUTES * ILPD_ROUTE_PREFIX_MAX) byte compares worst case. */
#ifndef ILPD_MAX_ROUTES
#define ILPD_MAX_ROUTES 32
#endif

/* Longest route prefix stored, in bytes. Prefixes are stored inline so the
 * table is one flat array; a longer prefix is refused at configuration. */
#ifndef ILPD_ROUTE_PREFIX_MAX
#define ILPD_ROUTE_PREFIX_MAX 96
#endif

/* Prepares forwarded and not yet answered, across all peers. When full, new
 * prepares get T03 Connector Busy. Each costs one struct ilp_pending. */
#ifndef ILPD_MAX_PENDING
#define ILPD_MAX_PENDING 256
#endif

/* Longest peer name (also the child's address segment), in bytes. */
#ifndef ILPD_PEER_NAME_MAX
#define ILPD_PEER_NAME_MAX 31
#endif

/* Longest asset code (UTF-8 bytes), e.g. "USD", "XRP". */
#ifndef ILPD_ASSET_CODE_MAX
#define ILPD_ASSET_CODE_MAX 15
#endif

/* Longest ILP address the connector itself may have (1..1023). Child
 * addresses are <own address>.<peer name> and must also fit in 1023. */
#ifndef ILPD_ADDRESS_MAX
#define ILPD_ADDRESS_MAX 255
#endif

/* Routes learned by CCP (ccp.h) from peers and parents, one entry per
 * (prefix, peer). When full, the most specific prefix of the least-preferred
 * peer is dropped (routing.h). Each costs one struct ilp_learned_route:
 * ILPD_ROUTE_PREFIX_MAX + ILPD_LEARNED_PATH_MAX + 16 bytes. */
#ifndef ILPD_MAX_LEARNED_ROUTES
#define ILPD_MAX_LEARNED_ROUTES 64
#endif

/* Bytes of a learned route's CCP path kept (its OER entries, as received);
 * a route whose path is longer is refused and counted. */
#ifndef ILPD_LEARNED_PATH_MAX
#define ILPD_LEARNED_PATH_MAX 128
#endif

/* Changes of our own routing table remembered for epoch-based CCP updates
 * (one prefix each). A peer that asks from an older epoch gets the full
 * table. Each costs ILPD_ROUTE_PREFIX_MAX + 2 bytes. */
#ifndef ILPD_CCP_LOG_MAX
#define ILPD_CCP_LOG_MAX 64
#endif

#endif /* ILP_OPTS_H */
