/*
 * admin_peers.c - the admin API's peers and static routes: GET, POST and
 * DELETE on /admin/peers and /admin/routes (the contract is admin_peers.h).
 *
 * IMPLEMENTATION NOTES
 * - A change is built in the spare configuration (boot.h): a copy of the
 *   one in use (with what it holds from admin.ini) plus the change, made
 *   by admin_ini.c through the configuration loader's own functions, then
 *   checked as a whole. Then admin.ini is written (atomically) and the
 *   spare applied like a SIGHUP reload (ilpd_boot_reload: reload.c keeps
 *   unchanged peers and their links). If the daemon refuses it (a restart
 *   setting cannot change here, but a slot may be missing), admin.ini is
 *   written back from the configuration in use and the answer is a 409.
 * - The request body is copied into a static buffer (the JSON reader
 *   decodes strings in place); each value is then NUL-terminated in place
 *   (after the parse, the byte after a value belongs to that value's own
 *   text or is a delimiter nobody reads again).
 * - Tokens are write-only: GET shows "tokenSet": true, never the value;
 *   nothing here logs a value.
 * Memory: see admin_peers.h. Event-loop thread only.
 */
#include "admin_peers.h"

#include <stdio.h>
#include <string.h>

#include "admin_ini.h"
#include "boot.h"
#include "daemon.h"
#include "hal/hal_log.h"
#include "net/json.h"
#include "net/json_out.h"

#define AP_KEYS 48

static struct ilpd_admin_peers_mem ap_mem;

/* ---- answers ------------------------------------------------------------------ */

static int ap_method(struct ilpd_http_resp *rs, const char *allow)
{
	static char hdr[64];

	(void)snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
	rs->extra_headers = hdr;
	return ilpd_http_error(rs, 405, "method not allowed", NULL);
}

static int ap_fail(struct ilpd_http_resp *rs, const struct ilpd_admin_err *e)
{
	return ilpd_http_error(rs, e->status, e->msg, e->key[0] != '\0' ? e->key : NULL);
}

static int ap_done(struct ilpd_http_resp *rs, struct jout *w, int status)
{
	if (w->overflow)
		return ilpd_http_error(rs, 500, "response too large", NULL);
	rs->status = status;
	rs->content_type = "application/json";
	rs->len = w->len;
	return ILPD_HTTP_DONE;
}

static void ap_str(struct jout *w, const char *key, const char *v)
{
	jout_key(w, key);
	jout_utf8(w, (const uint8_t *)v, strlen(v));
}

/* The link of peer `name`, or -1. */
static int ap_link(const struct ilpd_daemon *d, const char *name)
{
	int i;

	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (d->link[i].conf != NULL && strcmp(d->link[i].conf->name, name) == 0)
			return i;
	return -1;
}

static void ap_peer_json(const struct ilpd_daemon *d, const struct ilpd_peer_conf *p,
			 struct jout *w)
{
	char v[1100];
	const char *key;
	bool secret;
	int k, l = ap_link(d, p->name);

	jout_begin_object(w);
	ap_str(w, "name", p->name);
	ap_str(w, "source", ilpd_admin_ini_has_peer(d->conf, p->name) ? "admin.ini" : "config");
	ap_str(w, "state", l >= 0 && d->link[l].state == LINK_UP ? "up" : "down");
	jout_key(w, "balance");
	if (l >= 0) {
		(void)snprintf(v, sizeof(v), "%lld", (long long)d->sw.ledger.slot[l].balance);
		jout_utf8(w, (const uint8_t *)v, strlen(v));
	} else {
		jout_null(w);
	}
	for (k = 0; (key = ilpd_admin_ini_peer_key(k, &secret)) != NULL; k++) {
		if (secret) {
			jout_key(w, "tokenSet");
			jout_raw(w, p->token[0] != '\0' ? "true" : "false",
				 p->token[0] != '\0' ? 4 : 5);
			continue;
		}
		jout_key(w, key);
		if (ilpd_admin_ini_peer_value(d->conf, p, k, v, sizeof(v)))
			jout_utf8(w, (const uint8_t *)v, strlen(v));
		else
			jout_null(w);
	}
	jout_end_object(w);
}

/* ---- requests -------------------------------------------------------------- */

/* Parses the body as a JSON object into d; 0 or an error answer. */
static int ap_parse(const struct ilpd_http_req *rq, struct ilpd_http_resp *rs, struct jdoc *jd)
{
	char msg[128];

	if (rq->body_len > ILPD_ADMIN_PEERS_BODY_MAX)
		return ilpd_http_error(rs, 413, "request body too large", NULL) - 1;
	memcpy(ap_mem.body, rq->body, rq->body_len);
	ap_mem.body[rq->body_len] = '\0';
	json_init(jd, ap_mem.nodes, ILPD_ADMIN_PEERS_NODES, 2);
	if (json_parse(jd, ap_mem.body, rq->body_len) != 0) {
		(void)snprintf(msg, sizeof(msg), "malformed JSON: %s at byte %zu",
			       jd->err != NULL ? jd->err : "error", jd->err_off);
		return ilpd_http_error(rs, 400, msg, NULL) - 1;
	}
	return 0;
}

/* Member n's value as a NUL-terminated string (strings, numbers and
 * booleans as written); NULL for other types. */
static const char *ap_value(const struct jnode *n)
{
	if (n->type != JSON_STRING && n->type != JSON_NUMBER && n->type != JSON_BOOL)
		return NULL;
	if (memchr(n->str, '\0', n->len) != NULL)
		return NULL;
	n->str[n->len] = '\0';
	return (const char *)n->str;
}

static const char *ap_key(const struct jnode *n)
{
	n->key[n->key_len] = '\0';
	return (const char *)n->key;
}

/* A string member `key` of the top-level object, or NULL (then *bad says
 * whether it was there but of another type). */
static const char *ap_member_str(const struct jdoc *jd, const char *key, bool *bad)
{
	uint32_t i = json_member(jd, 0, key);
	const struct jnode *n = json_node(jd, i);

	*bad = false;
	if (n == NULL)
		return NULL;
	if (n->type != JSON_STRING || memchr(n->str, '\0', n->len) != NULL) {
		*bad = true;
		return NULL;
	}
	n->str[n->len] = '\0';
	return (const char *)n->str;
}

/* Writes admin.ini for next and applies it; 0 or -1 with e. */
static int ap_apply(struct ilpd_daemon *d, struct ilpd_conf *next, struct ilpd_admin_err *e)
{
	struct ilpd_admin_err e2;

	if (ilpd_admin_ini_check(next, e) != 0) {
		if (strstr(e->msg, "same token") != NULL) {
			e->status = 409;
			(void)snprintf(e->key, sizeof(e->key), "token");
		}
		return -1;
	}
	if (ilpd_admin_ini_save(next, e) != 0)
		return -1;
	if (ilpd_boot_reload() != 0) {
		(void)ilpd_admin_ini_save(d->conf, &e2);
		e->status = 409;
		e->key[0] = '\0';
		(void)snprintf(e->msg, sizeof(e->msg), "the running daemon refused the change: %s",
			       ilpd_boot_reload_why());
		return -1;
	}
	return 0;
}

/* The spare configuration as a copy of the one in use, or NULL. */
static struct ilpd_conf *ap_begin(struct ilpd_daemon *d)
{
	struct ilpd_conf *next = ilpd_boot_spare_conf();

	if (d->stopping || next == d->conf)
		return NULL;
	ilpd_admin_ini_begin(next, d->conf);
	return next;
}

static int ap_peer_post(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			struct ilpd_http_resp *rs)
{
	const char *keys[AP_KEYS], *vals[AP_KEYS], *name;
	struct ilpd_admin_err e;
	struct ilpd_conf *next;
	struct jdoc jd;
	struct jout w;
	const struct jnode *top, *n;
	size_t nk = 0;
	uint32_t i;
	bool bad, added;
	char msg[160];
	int p;

	if (ap_parse(rq, rs, &jd) != 0)
		return ILPD_HTTP_DONE;
	name = ap_member_str(&jd, "name", &bad);
	if (name == NULL)
		return ilpd_http_error(rs, 400, bad ? "'name' must be a string" :
				       "missing 'name' (the peer's name)", "name");
	top = json_node(&jd, 0);
	for (i = top->child; i != JSON_NONE; i = n->next) {
		const char *k;

		n = json_node(&jd, i);
		k = ap_key(n);
		if (strcmp(k, "name") == 0)
			continue;
		if (nk == AP_KEYS)
			return ilpd_http_error(rs, 400, "too many keys", NULL);
		keys[nk] = k;
		vals[nk] = ap_value(n);
		if (vals[nk] == NULL) {
			(void)snprintf(msg, sizeof(msg), "'%.48s' must be a string, a number or "
				       "a boolean", k);
			return ilpd_http_error(rs, 400, msg, k);
		}
		nk++;
	}
	next = ap_begin(d);
	if (next == NULL)
		return ilpd_http_error(rs, 503, "shutting down", NULL);
	added = ilpd_conf_peer_index(next, name) < 0;
	if (ilpd_admin_ini_set_peer(next, name, keys, vals, nk, &e) != 0 ||
	    ap_apply(d, next, &e) != 0)
		return ap_fail(rs, &e);
	hal_log(HAL_LOG_INFO, "admin.peer_set", "peer=%s added=%s keys=%u", name,
		added ? "yes" : "no", (unsigned)nk);
	p = ilpd_conf_peer_index(d->conf, name);
	jout_init(&w, rs->body, rs->cap);
	if (p >= 0)
		ap_peer_json(d, &d->conf->peer[p], &w);
	return ap_done(rs, &w, added ? 201 : 200);
}

static int ap_peer_delete(struct ilpd_daemon *d, const char *name, struct ilpd_http_resp *rs)
{
	struct ilpd_admin_err e;
	struct ilpd_conf *next;
	struct jout w;

	if (ilpd_conf_peer_index(d->conf, name) < 0) {
		char msg[96];

		(void)snprintf(msg, sizeof(msg), "no peer '%.40s'", name);
		return ilpd_http_error(rs, 404, msg, "name");
	}
	next = ap_begin(d);
	if (next == NULL)
		return ilpd_http_error(rs, 503, "shutting down", NULL);
	if (ilpd_admin_ini_del_peer(next, name, &e) != 0 || ap_apply(d, next, &e) != 0)
		return ap_fail(rs, &e);
	hal_log(HAL_LOG_INFO, "admin.peer_deleted", "peer=%s", name);
	jout_init(&w, rs->body, rs->cap);
	jout_begin_object(&w);
	ap_str(&w, "deleted", name);
	jout_end_object(&w);
	return ap_done(rs, &w, 200);
}

int ilpd_admin_peers_route(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			   struct ilpd_http_resp *rs, uint32_t conn_token)
{
	const char *name = rq->path + strlen("/admin/peers");
	bool get = strcmp(rq->method, "GET") == 0;
	struct jout w;
	size_t i;
	int p;

	(void)conn_token;
	if (!rq->authed)   /* admin.c's dispatcher answers these first */
		return ilpd_http_error(rs, 401, "missing or wrong bearer token", NULL);
	if (*name == '\0') {
		if (strcmp(rq->method, "POST") == 0)
			return ap_peer_post(d, rq, rs);
		if (!get)
			return ap_method(rs, "GET, POST");
		jout_init(&w, rs->body, rs->cap);
		jout_begin_object(&w);
		jout_key(&w, "peers");
		jout_begin_array(&w);
		for (i = 0; i < d->conf->npeers; i++)
			ap_peer_json(d, &d->conf->peer[i], &w);
		jout_end_array(&w);
		jout_end_object(&w);
		return ap_done(rs, &w, 200);
	}
	name++;   /* "/admin/peers/NAME" */
	if (strcmp(rq->method, "DELETE") == 0)
		return ap_peer_delete(d, name, rs);
	if (!get)
		return ap_method(rs, "GET, DELETE");
	p = ilpd_conf_peer_index(d->conf, name);
	if (p < 0) {
		char msg[96];

		(void)snprintf(msg, sizeof(msg), "no peer '%.40s'", name);
		return ilpd_http_error(rs, 404, msg, "name");
	}
	jout_init(&w, rs->body, rs->cap);
	ap_peer_json(d, &d->conf->peer[p], &w);
	return ap_done(rs, &w, 200);
}

/* ---- routes ----------------------------------------------------------------- */

static void ap_route_json(const struct ilpd_conf *c, const char *prefix, const char *peer,
			  struct jout *w)
{
	jout_begin_object(w);
	if (prefix != NULL)
		ap_str(w, "prefix", prefix);
	ap_str(w, "peer", peer);
	ap_str(w, "source", ilpd_admin_ini_has_route(c, prefix != NULL ? prefix : "default") ?
	       "admin.ini" : "config");
	jout_end_object(w);
}

static int ap_routes_get(const struct ilpd_daemon *d, struct ilpd_http_resp *rs)
{
	const struct ilpd_conf *c = d->conf;
	struct jout w;
	size_t i;

	jout_init(&w, rs->body, rs->cap);
	jout_begin_object(&w);
	jout_key(&w, "routes");
	jout_begin_array(&w);
	for (i = 0; i < c->nroutes; i++)
		ap_route_json(c, c->route[i].prefix, c->route[i].peer, &w);
	jout_end_array(&w);
	jout_key(&w, "default");
	if (c->default_route[0] != '\0')
		ap_route_json(c, NULL, c->default_route, &w);
	else
		jout_null(&w);
	jout_end_object(&w);
	return ap_done(rs, &w, 200);
}

static int ap_routes_post(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			  struct ilpd_http_resp *rs)
{
	const char *prefix, *peer;
	const struct jnode *top, *n, *rep;
	struct ilpd_admin_err e;
	struct ilpd_conf *next;
	struct jout w;
	struct jdoc jd;
	bool bad, replace = false, existed;
	uint32_t i;
	char msg[128];

	if (ap_parse(rq, rs, &jd) != 0)
		return ILPD_HTTP_DONE;
	top = json_node(&jd, 0);
	for (i = top->child; i != JSON_NONE; i = n->next) {
		n = json_node(&jd, i);
		if (n->key != NULL) {
			const char *k = ap_key(n);

			if (strcmp(k, "prefix") != 0 && strcmp(k, "peer") != 0 &&
			    strcmp(k, "replace") != 0) {
				(void)snprintf(msg, sizeof(msg), "unknown key '%.48s' (prefix, "
					       "peer, replace)", k);
				return ilpd_http_error(rs, 400, msg, k);
			}
		}
	}
	prefix = ap_member_str(&jd, "prefix", &bad);
	if (prefix == NULL)
		return ilpd_http_error(rs, 400, bad ? "'prefix' must be a string" :
				       "missing 'prefix' (an ILP address prefix or \"default\")",
				       "prefix");
	peer = ap_member_str(&jd, "peer", &bad);
	if (peer == NULL)
		return ilpd_http_error(rs, 400, bad ? "'peer' must be a string" :
				       "missing 'peer' (a peer's name)", "peer");
	rep = json_node(&jd, json_member(&jd, 0, "replace"));
	if (rep != NULL) {
		if (rep->type != JSON_BOOL)
			return ilpd_http_error(rs, 400, "'replace' must be true or false", "replace");
		replace = rep->str[0] == 't';
	}
	next = ap_begin(d);
	if (next == NULL)
		return ilpd_http_error(rs, 503, "shutting down", NULL);
	existed = strcmp(prefix, "default") == 0 ? next->default_route[0] != '\0' :
		  false;
	for (i = 0; i < next->nroutes && !existed; i++)
		existed = strcmp(next->route[i].prefix, prefix) == 0;
	if (ilpd_admin_ini_set_route(next, prefix, peer, replace, &e) != 0 ||
	    ap_apply(d, next, &e) != 0)
		return ap_fail(rs, &e);
	hal_log(HAL_LOG_INFO, "admin.route_set", "prefix=%s peer=%s replaced=%s", prefix, peer,
		existed ? "yes" : "no");
	jout_init(&w, rs->body, rs->cap);
	ap_route_json(d->conf, strcmp(prefix, "default") == 0 ? NULL : prefix, peer, &w);
	return ap_done(rs, &w, existed ? 200 : 201);
}

int ilpd_admin_routes_route(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			    struct ilpd_http_resp *rs, uint32_t conn_token)
{
	const char *prefix = rq->path + strlen("/admin/routes");
	struct ilpd_admin_err e;
	struct ilpd_conf *next;
	struct jout w;

	(void)conn_token;
	if (!rq->authed)   /* admin.c's dispatcher answers these first */
		return ilpd_http_error(rs, 401, "missing or wrong bearer token", NULL);
	if (*prefix == '\0') {
		if (strcmp(rq->method, "POST") == 0)
			return ap_routes_post(d, rq, rs);
		if (strcmp(rq->method, "GET") != 0)
			return ap_method(rs, "GET, POST");
		return ap_routes_get(d, rs);
	}
	prefix++;
	if (strcmp(rq->method, "DELETE") != 0)
		return ap_method(rs, "DELETE");
	next = ap_begin(d);
	if (next == NULL)
		return ilpd_http_error(rs, 503, "shutting down", NULL);
	if (ilpd_admin_ini_del_route(next, prefix, &e) != 0 || ap_apply(d, next, &e) != 0)
		return ap_fail(rs, &e);
	hal_log(HAL_LOG_INFO, "admin.route_deleted", "prefix=%s", prefix);
	jout_init(&w, rs->body, rs->cap);
	jout_begin_object(&w);
	ap_str(&w, "deleted", prefix);
	jout_end_object(&w);
	return ap_done(rs, &w, 200);
}
