/*
 * config_check.c - compile-time consistency checks of the options in
 * ilp/include/ilp/ilp_opts.h (after the board's ilpd_config.h), and their
 * run-time report (ilp_config.h). A board file with an impossible value
 * fails the build here with a message naming the knob, instead of failing
 * at run time in the module that depends on it.
 */
#include "ilp/ilp_config.h"

#include <stdint.h>

#include "ilp/ledger.h"
#include "ilp/ilp_opts.h"
#include "ilp/routing.h"

#ifndef ILPD_BOARD_NAME
#define ILPD_BOARD_NAME "unnamed"
#endif

/* Peer indexes are uint16_t and ILP_ROUTE_NONE (0xFFFF) means "no peer";
 * the ledger snapshot stores the slot count in 16 bits. */
#if !(ILPD_MAX_PEERS >= 1 && ILPD_MAX_PEERS <= 65534)
#error "ILPD_MAX_PEERS must be 1..65534"
#endif

/* ilp_routes.count is a uint16_t. */
#if !(ILPD_MAX_ROUTES >= 1 && ILPD_MAX_ROUTES <= 65535)
#error "ILPD_MAX_ROUTES must be 1..65535"
#endif

/* Room for a bare scheme ("private") at least; an ILP address is at most
 * 1023 bytes, and ilp_route.prefix_len is a uint16_t. */
#if !(ILPD_ROUTE_PREFIX_MAX >= 8 && ILPD_ROUTE_PREFIX_MAX <= 1023)
#error "ILPD_ROUTE_PREFIX_MAX must be 8..1023"
#endif

/* Pending handles index the pending table with 16 bits. */
#if !(ILPD_MAX_PENDING >= 1 && ILPD_MAX_PENDING <= 65535)
#error "ILPD_MAX_PENDING must be 1..65535"
#endif

/* A peer name is one address segment, length-prefixed in one byte. */
#if !(ILPD_PEER_NAME_MAX >= 1 && ILPD_PEER_NAME_MAX < 256)
#error "ILPD_PEER_NAME_MAX must be 1..255"
#endif

#if !(ILPD_ASSET_CODE_MAX >= 1 && ILPD_ASSET_CODE_MAX < 256)
#error "ILPD_ASSET_CODE_MAX must be 1..255"
#endif

/* The shortest valid address is "g.a"; the longest is 1023 bytes (RFC 15). */
#if !(ILPD_ADDRESS_MAX >= 3 && ILPD_ADDRESS_MAX <= 1023)
#error "ILPD_ADDRESS_MAX must be 3..1023"
#endif

_Static_assert(ILP_ROUTE_NONE > ILPD_MAX_PEERS - 1,
	       "ILP_ROUTE_NONE must not be a valid peer index");
_Static_assert(sizeof(struct ledger_slot) == LEDGER_SLOT_SIZE,
	       "ledger_slot must be exactly LEDGER_SLOT_SIZE bytes");
_Static_assert(LEDGER_SNAPSHOT_SIZE == 8 + ILPD_MAX_PEERS * 64,
	       "ledger snapshot size formula");
_Static_assert(sizeof(((struct ilp_route *)0)->prefix) ==
		       ILPD_ROUTE_PREFIX_MAX,
	       "route prefixes are stored inline");

const char *ilp_board_name(void)
{
	return ILPD_BOARD_NAME;
}

void ilp_get_build_config(struct ilp_build_config *c)
{
	c->board = ILPD_BOARD_NAME;
	c->max_peers = ILPD_MAX_PEERS;
	c->max_routes = ILPD_MAX_ROUTES;
	c->route_prefix_max = ILPD_ROUTE_PREFIX_MAX;
	c->max_pending = ILPD_MAX_PENDING;
	c->peer_name_max = ILPD_PEER_NAME_MAX;
	c->asset_code_max = ILPD_ASSET_CODE_MAX;
	c->address_max = ILPD_ADDRESS_MAX;
	c->ledger_slot_size = LEDGER_SLOT_SIZE;
}
