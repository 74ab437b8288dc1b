/*
 * ilp_config.h - the compiled-in options (ilp_opts.h and the board's
 * ilpd_config.h), readable at run time, e.g. for a status page or a log line
 * at start-up. The values are checked for consistency at compile time in
 * ilp/src/config_check.c. Memory: struct ilp_build_config is a pointer and
 * eight 32-bit integers; no heap; reentrant.
 */
#ifndef ILP_CONFIG_H
#define ILP_CONFIG_H

#include <stdint.h>

struct ilp_build_config {
	const char *board;          /* ILPD_BOARD_NAME, static string */
	uint32_t max_peers;         /* ILPD_MAX_PEERS */
	uint32_t max_routes;        /* ILPD_MAX_ROUTES */
	uint32_t route_prefix_max;  /* ILPD_ROUTE_PREFIX_MAX */
	uint32_t max_pending;       /* ILPD_MAX_PENDING */
	uint32_t peer_name_max;     /* ILPD_PEER_NAME_MAX */
	uint32_t asset_code_max;    /* ILPD_ASSET_CODE_MAX */
	uint32_t address_max;       /* ILPD_ADDRESS_MAX */
	uint32_t ledger_slot_size;  /* bytes per ledger slot (64) */
};

/* Name of the board options the library was built with ("host", "rpi",
 * ...), or "unnamed" if the board file does not define ILPD_BOARD_NAME.
 * Static string. */
const char *ilp_board_name(void);

/* Fills *c with the compiled options. */
void ilp_get_build_config(struct ilp_build_config *c);

#endif /* ILP_CONFIG_H */
