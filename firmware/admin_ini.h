/*
 * admin_ini.h - admin.ini: the peers and static routes made by the admin API
 * (POST/DELETE /admin/peers, /admin/routes; admin_peers.h), kept in
 * `<[admin] state_dir>/admin.ini` (state_dir defaults to the directory of
 * [ledger] state_file) and applied on top of the configuration file at
 * start-up, at every SIGHUP reload and by `ilpd --check-config`.
 *
 * The file is INI, written by ilpd (atomically: temp file, fsync, rename,
 * directory fsync; mode 0600, it holds peer tokens):
 *   [removed]       peer = NAME (a peer of the configuration file the API
 *                   deleted), route = PREFIX or route = default (likewise
 *                   a route); a name or prefix the file no longer has is
 *                   ignored, and dropped at the next write
 *   [peer NAME]     every key of a configuration file's [peer NAME] (the
 *                   same loader, config_peer.c); it replaces a peer of the
 *                   same name from the configuration file as a whole
 *   [routes]        PREFIX = PEER, default = PEER: they replace routes of
 *                   the same prefix
 * Lines: "[section]", "key = value" (blanks around key and value ignored),
 * blank lines and comments starting with ';' or '#' (only at the start of
 * a line: a value may hold ';'). Errors are "FILE:LINE: message" like the
 * configuration file's, with the loader's own messages.
 *
 * What each configuration holds from admin.ini is recorded next to it (one
 * record per struct ilpd_conf, found by address; at most two: the one in
 * use and the spare), so that a change by the API rewrites exactly the
 * peers and routes admin.ini had plus the change.
 *
 * Memory: struct ilpd_admin_ini_mem, one static object (the memory map
 * lists it as admin_ini): two records of 2 x ILPD_MAX_PEERS x
 * (ILPD_PEER_NAME_MAX + 1) + 2 x (ILPD_MAX_ROUTES + 1) x
 * (ILPD_ROUTE_PREFIX_MAX + 1) bytes and the text buffer of
 * ILPD_ADMIN_INI_MAX bytes (the file read or written); no heap. Event-loop
 * thread only.
 */
#ifndef ILPD_ADMIN_INI_H
#define ILPD_ADMIN_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The largest admin.ini read or written: a full [peer] section per peer
 * slot and every route twice ([routes] and [removed]). */
#define ILPD_ADMIN_INI_PEER_MAX 1792
#define ILPD_ADMIN_INI_MAX (1024 + ILPD_MAX_PEERS * (ILPD_ADMIN_INI_PEER_MAX + 48) + \
			    2 * (ILPD_MAX_ROUTES + 1) * (ILPD_ROUTE_PREFIX_MAX + \
							 ILPD_PEER_NAME_MAX + 16))

/* What a configuration holds from admin.ini (admin_ini.c's record). */
struct ilpd_admin_ini_rec {
	const struct ilpd_conf *owner;
	size_t npeer, nrm, nroute, nrmroute;
	char peer[ILPD_MAX_PEERS][ILPD_PEER_NAME_MAX + 1];   /* [peer NAME] sections */
	char rm[ILPD_MAX_PEERS][ILPD_PEER_NAME_MAX + 1];     /* [removed] peer = NAME */
	char route[ILPD_MAX_ROUTES + 1][ILPD_ROUTE_PREFIX_MAX + 1];   /* [routes] keys */
	char rmroute[ILPD_MAX_ROUTES + 1][ILPD_ROUTE_PREFIX_MAX + 1]; /* [removed] route = */
};

/* admin_ini.c's static memory (one object; the memory map lists it):
 * the records of the two configurations and the file's text. */
struct ilpd_admin_ini_mem {
	struct ilpd_admin_ini_rec rec[2];
	char text[ILPD_ADMIN_INI_MAX + 1];
};

/* An error for the admin API: HTTP status (400, 404, 409, 500), the key to
 * blame ("" : none) and the message (the loader's, without FILE:LINE). */
struct ilpd_admin_err {
	int status;
	char key[48];
	char msg[ILPD_CONF_ERR_MAX];
};

/* <state_dir>/admin.ini for c into out: 0, or -1 if it does not fit. */
int ilpd_admin_ini_path(const struct ilpd_conf *c, char *out, size_t cap);

/* Applies admin.ini to c (just loaded from the configuration file) and
 * checks the whole result again (required keys, tokens, routes). 0 (also
 * when there is no admin.ini: *present false) or -1 with err ("PATH:LINE:
 * message"; err->line, err->text as config.h says). */
int ilpd_admin_ini_load(struct ilpd_conf *c, bool *present, struct ilpd_conf_err *err);

/* The same for admin.ini's text in memory (text[len] may be written; the
 * tests and the fuzzer use it); `name` is used in messages. */
int ilpd_admin_ini_load_text(struct ilpd_conf *c, const char *name, char *text, size_t len,
			     struct ilpd_conf_err *err);

/* c's admin.ini as ilpd_admin_ini_save() writes it, into buf; its length,
 * or 0 if it does not fit. */
size_t ilpd_admin_ini_render(const struct ilpd_conf *c, char *buf, size_t cap);

/* ---- changes by the admin API (admin_peers.c) --------------------------- */

/* next = cur, with cur's record. Then the calls below change next. */
void ilpd_admin_ini_begin(struct ilpd_conf *next, const struct ilpd_conf *cur);

/* Adds the peer `name` (keys[i] = vals[i], like the lines of a [peer NAME]
 * section) or, if next has it, changes the keys given (the others keep
 * their values). 0, or -1 with e (400 with the loader's message). */
int ilpd_admin_ini_set_peer(struct ilpd_conf *next, const char *name,
			    const char *const *keys, const char *const *vals, size_t n,
			    struct ilpd_admin_err *e);

/* Removes peer `name` (404 if next has none; 409 if a route names it). */
int ilpd_admin_ini_del_peer(struct ilpd_conf *next, const char *name,
			    struct ilpd_admin_err *e);

/* Sets the route PREFIX (or "default") to peer. replace: an existing
 * route of that prefix is replaced, else it is a 409. */
int ilpd_admin_ini_set_route(struct ilpd_conf *next, const char *prefix,
			     const char *peer, bool replace, struct ilpd_admin_err *e);

/* Removes the route PREFIX (or "default"): 404 if there is none. */
int ilpd_admin_ini_del_route(struct ilpd_conf *next, const char *prefix,
			     struct ilpd_admin_err *e);

/* The whole-configuration rules of the loader (required keys, unique
 * inbound tokens, child address lengths, routes to known peers, limits). */
int ilpd_admin_ini_check(struct ilpd_conf *next, struct ilpd_admin_err *e);

/* Writes c's admin.ini (atomically, 0600, its directory created 0700 if
 * missing). 0, or -1 with e (500). */
int ilpd_admin_ini_save(const struct ilpd_conf *c, struct ilpd_admin_err *e);

/* The value of peer key k (conf_peer_keys order, config_int.h) as the
 * loader reads it, into out; false if the key is at its default (not
 * written). Never call it for the token (admin_peers.c shows "set"). */
bool ilpd_admin_ini_peer_value(const struct ilpd_conf *c, const struct ilpd_peer_conf *p,
			       int k, char *out, size_t cap);

/* The name of peer key k (0, 1, ...; NULL past the last) and whether its
 * value is a secret (the token: never shown). */
const char *ilpd_admin_ini_peer_key(int k, bool *secret);

/* Where peer `name` and route `prefix` of c come from: true if admin.ini. */
bool ilpd_admin_ini_has_peer(const struct ilpd_conf *c, const char *name);
bool ilpd_admin_ini_has_route(const struct ilpd_conf *c, const char *prefix);

#endif /* ILPD_ADMIN_INI_H */
