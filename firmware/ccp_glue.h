/*
 * ccp_glue.h - the daemon's side of CCP route broadcasting (ilp/ccp.h):
 * one engine, its timer, the route controls and updates it sends on the
 * peer links, the answers to them, and the routing table as JSON for the
 * admin listener's GET /routes.
 *
 * Rules: the switch hands peer.route.* Prepares to the engine (hook set at
 * start); a link coming up sends a route control SYNC to a peer or parent
 * with receive_routes, and its routes are dropped when the link goes down;
 * updates go out on changes (150 ms apart while a peer catches up) and as
 * heartbeats every route_broadcast_interval_ms; routes expire after the
 * speaker's holdDownTime without an update. Peer flags and relations are
 * re-read from the links every tick (100 ms), so a reload needs no call.
 * Our own CCP messages use BTP request ids (seq << 16) | 0xFFFD (route
 * control) and | 0xFFFE (route update): a switch pending handle's low half
 * is an index below ILPD_MAX_PENDING, and IL-DCP uses 0xFFFF.
 *
 * Memory: struct ccp (ilp/ccp.h; pools.def lists it: host ~178 KB) plus
 * two message buffers of ILPD_CCP_MSG_MAX (+ the Prepare header) bytes.
 * Logs: ccp.* events (docs/ilpd.8).
 */
#ifndef ILPD_CCP_GLUE_H
#define ILPD_CCP_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ccp.h"

struct ilpd_daemon;

/* Largest route update payload ilpd sends; a bigger full table goes in
 * chunks (ccp.h). */
#define ILPD_CCP_MSG_MAX 8192

/* The engine (defined in ccp_glue.c; the memory map counts it). */
extern struct ccp ilpd_ccp_state;

/* After the switch is built: the engine, the switch hook, the timer. */
void ilpd_ccp_start(struct ilpd_daemon *d);
/* A peer link came up / went down. */
void ilpd_ccp_link(struct ilpd_daemon *d, uint16_t peer, bool up);
struct btp_frame;

/* Our CCP messages' BTP request ids: (seq << 16) | these. */
#define ILPD_CCP_ID_CONTROL 0xFFFDu
#define ILPD_CCP_ID_UPDATE 0xFFFEu

/* True if request id `id` may be one of our CCP messages: the cheap test
 * the daemon makes on every answer before ilpd_ccp_answer(). */
static inline bool ilpd_ccp_id(uint32_t id)
{
	uint32_t low = id & 0xFFFFu;

	return low == ILPD_CCP_ID_CONTROL || low == ILPD_CCP_ID_UPDATE;
}

/* A BTP Response or Error from `peer`: true if it answered one of our CCP
 * messages (it is then consumed). */
bool ilpd_ccp_answer(struct ilpd_daemon *d, uint16_t peer, const struct btp_frame *f);
/* The CCP lines of GET /metrics (learned routes, capacity, drops, updates
 * in and out, refusals, expiries). Returns the length, 0 if it does not
 * fit in cap. */
size_t ilpd_ccp_metrics_text(char *out, size_t cap);

/* GET /routes: {"routes":[{prefix, next_hop, source, age_s, ...}], ...}.
 * Returns the length, or 0 if it does not fit in cap. */
size_t ilpd_routes_json(const struct ilpd_daemon *d, char *out, size_t cap);

#endif /* ILPD_CCP_GLUE_H */
