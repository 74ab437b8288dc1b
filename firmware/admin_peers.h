/*
 * admin_peers.h - the admin API's peers and static routes (admin_peers.c;
 * the route functions are declared in httpd.h, where admin.c's dispatcher
 * finds them):
 *
 *   GET    /admin/peers            {"peers": [PEER...]}
 *   GET    /admin/peers/NAME       PEER (404 if none)
 *   POST   /admin/peers            {"name": NAME, KEY: VALUE...} with the keys
 *                                  of a configuration file's [peer NAME]:
 *                                  adds the peer (201) or changes the keys
 *                                  given of an existing one (200); answers
 *                                  PEER
 *   DELETE /admin/peers/NAME       removes it (404 if none, 409 while a
 *                                  static route or the default route names it)
 *   GET    /admin/routes           {"routes": [{prefix, peer, source}...],
 *                                   "default": {peer, source} | null}
 *   POST   /admin/routes           {"prefix": PREFIX or "default", "peer": NAME,
 *                                   "replace": true|false [false]}: 201, or
 *                                  409 if the prefix has a route and
 *                                  replace is not true
 *   DELETE /admin/routes/PREFIX    (or /admin/routes/default): 404 if none
 *
 * PEER is {"name", "source": "config"|"admin.ini", "state": "up"|"down",
 * "balance": "<decimal>", then every peer key with its value as the
 * configuration file would read it, or null at its default; "token" is
 * never shown: "tokenSet": true}. VALUEs may be JSON strings, numbers or
 * booleans. A key is checked by the configuration loader's own function,
 * so an error says what the same line in a configuration file would get:
 * 400 {"error": "<loader's message>", "key": KEY}. Every change is checked
 * as a whole (required keys, unique inbound tokens, routes to known peers),
 * written to admin.ini (admin_ini.h) and applied like a SIGHUP reload
 * (reload.c): unchanged peers keep their connections and packets.
 *
 * Memory: struct ilpd_admin_peers_mem, one static object (the memory map
 * lists it as admin_peers): the request copy (ILPD_ADMIN_PEERS_BODY_MAX
 * bytes) and the JSON node table; the answer goes into the server's
 * buffer. No heap.
 */
#ifndef ILPD_ADMIN_PEERS_H
#define ILPD_ADMIN_PEERS_H

#include <stdint.h>

#include "httpd.h"
#include "net/json.h"

/* Largest request body the two endpoints read (more: 413). */
#define ILPD_ADMIN_PEERS_BODY_MAX 16384
/* JSON nodes of one request: every [peer] key and a few more. */
#define ILPD_ADMIN_PEERS_NODES 64

struct ilpd_admin_peers_mem {
	uint8_t body[ILPD_ADMIN_PEERS_BODY_MAX + 1];
	struct jnode nodes[ILPD_ADMIN_PEERS_NODES];
};

#endif /* ILPD_ADMIN_PEERS_H */
