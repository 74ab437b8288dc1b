/*
 * config_peer.c - the [peer NAME] and [routes] sections of the
 * configuration (config.h): the peer keys, their value rules, and the
 * whole-file rules about peers (required keys, unique inbound tokens,
 * child address length) and routes (known peers, the board's route
 * table). The reader and the common value parsers are in config.c.
 * Memory: none of its own; it writes into the caller's struct ilpd_conf.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"

#include "config_int.h"

const char *const conf_peer_keys[] = {
	"relation", "url", "token", "username", "asset_code", "asset_scale",
	"rate", "max_packet_amount", "min_balance", "max_balance",
	"settle_threshold", "tls_pin", "tls_server_name", "max_in_flight",
	"send_routes", "receive_routes",
	"rate_limit", "rate_limit_burst", "throughput_in", "throughput_out",
	"settlement_engine", "settle_to", "settlement_scale", "allow_remote_engine", NULL
};

static void conf_peer_defaults(struct ilpd_peer_conf *p, const char *name,
			       size_t n, int line)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->name, name, n);
	p->name[n] = '\0';
	p->relation = ILP_REL_CHILD;
	p->rate.num = 1;
	p->rate.den = 1;
	p->max_packet_amount = UINT64_MAX;
	p->min_balance = INT64_MIN;
	p->max_balance = INT64_MAX;
	p->settle_threshold = INT64_MAX;
	p->max_in_flight = ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT;
	p->send_routes = -1;
	p->receive_routes = -1;
	p->line = line;
}

/* Starts [peer NAME]: name checks, duplicates, board limit. */
int conf_begin_peer(struct conf_parse *st, const char *name, size_t n)
{
	struct ilpd_conf *c = st->c;
	char show[CONF_NAME_SHOW + 1];
	size_t i;

	if (n == 0) {
		conf_fail(st, st->line, "missing peer name: use [peer NAME]");
		return -1;
	}
	conf_show(name, n, show, sizeof(show));
	if (n > ILPD_PEER_NAME_MAX) {
		conf_fail(st, st->line, "peer name '%s' is longer than %d bytes",
			  show, ILPD_PEER_NAME_MAX);
		return -1;
	}
	if (!ilp_address_segment_valid((const uint8_t *)name, n)) {
		conf_fail(st, st->line, "peer name '%s' is not a valid address "
			  "segment (letters, digits, '_', '~', '-')", show);
		return -1;
	}
	/* ilpd's own account (local.h, ILPD_LOCAL_NAME): the switch and the
	 * ledger know it by this name. Here, so admin.ini is refused too. */
	if (n == 5 && memcmp(name, "local", 5) == 0) {
		conf_fail(st, st->line, "peer name 'local' is reserved for ilpd's own "
			  "account ([local])");
		return -1;
	}
	for (i = 0; i < c->npeers; i++) {
		if (strlen(c->peer[i].name) == n &&
		    memcmp(c->peer[i].name, name, n) == 0) {
			conf_fail(st, st->line, "duplicate peer '%s' (first at line %d)",
				  show, c->peer[i].line);
			return -1;
		}
	}
	if (c->npeers >= ILPD_MAX_PEERS) {
		conf_fail(st, st->line, "too many peers (board limit %d)",
			  ILPD_MAX_PEERS);
		return -1;
	}
	st->peer = c->npeers++;
	conf_peer_defaults(&c->peer[st->peer], name, n, st->line);
	st->peer_keys[st->peer] = 0;
	memset(st->key_line[SEC_PEER], 0, sizeof(st->key_line[SEC_PEER]));
	return 0;
}

static int conf_peer_url(struct conf_parse *st, struct ilpd_peer_conf *p,
			 const char *v)
{
	const char *why;

	if (strcmp(v, "none") == 0) {
		p->outbound = false;
		return 0;
	}
	if (ilpd_url_parse(v, &p->url, &why) != 0) {
		conf_fail(st, st->line, "bad 'url': %s", why);
		return -1;
	}
	p->outbound = true;
	return 0;
}

static int conf_peer_rate(struct conf_parse *st, struct ilpd_peer_conf *p,
			  const char *v)
{
	uint32_t num, den;

	if (ilp_rate_parse(v, &num, &den) != ILP_OK) {
		conf_fail(st, st->line, "'rate' must be a positive decimal "
			  "(e.g. 1 or 0.998) with at most 9 digits after the point and "
			  "its digits without the point at most 4294967295");
		return -1;
	}
	p->rate.num = num;
	p->rate.den = den;
	return 0;
}

/* A balance limit: a signed integer or "unlimited"; sign rule by key. */
static int conf_peer_balance(struct conf_parse *st, int k, const char *v,
			     int64_t *out)
{
	const char *key = conf_peer_keys[k];

	if (strcmp(v, "unlimited") == 0 ||
	    (k == K_PEER_SETTLE && strcmp(v, "none") == 0)) {
		*out = k == K_PEER_MIN_BALANCE ? INT64_MIN : INT64_MAX;
		return 0;
	}
	if (conf_int(st, key, v, INT64_MIN, INT64_MAX, out) != 0)
		return -1;
	if (k == K_PEER_MIN_BALANCE && *out > 0) {
		conf_fail(st, st->line, "'min_balance' must be <= 0");
		return -1;
	}
	if (k == K_PEER_MAX_BALANCE && *out < 0) {
		conf_fail(st, st->line, "'max_balance' must be >= 0");
		return -1;
	}
	return 0;
}

/* tls_pin: exactly 64 hex digits (either case), the SPKI's SHA-256. */
static int conf_peer_pin(struct conf_parse *st, struct ilpd_peer_conf *p,
			 const char *v)
{
	size_t i;

	if (strlen(v) != 2 * sizeof(p->tls_pin)) {
		conf_fail(st, st->line, "'tls_pin' must be 64 hex digits (SHA-256 of "
			  "the server's SubjectPublicKeyInfo)");
		return -1;
	}
	for (i = 0; i < 2 * sizeof(p->tls_pin); i++) {
		char ch = v[i];
		int d = ch >= '0' && ch <= '9' ? ch - '0' :
			ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

		if (d < 0) {
			conf_fail(st, st->line, "'tls_pin' must be 64 hex digits "
				  "(bad character at position %zu)", i + 1);
			return -1;
		}
		if (i % 2 == 0)
			p->tls_pin[i / 2] = (uint8_t)(d << 4);
		else
			p->tls_pin[i / 2] = (uint8_t)(p->tls_pin[i / 2] | d);
	}
	p->has_pin = true;
	return 0;
}

/* tls_server_name: a DNS name (letters, digits, '-', '.', '_'). */
static int conf_peer_server_name(struct conf_parse *st, struct ilpd_peer_conf *p,
				 const char *v)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > ILPD_CONF_HOST_MAX) {
		conf_fail(st, st->line, "'tls_server_name' must be 1..%d bytes",
			  ILPD_CONF_HOST_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!conf_host_char(v[i])) {
			conf_fail(st, st->line, "'tls_server_name' must be a host name "
				  "(letters, digits, '-', '.', '_')");
			return -1;
		}
	}
	memcpy(p->tls_server_name, v, n + 1);
	return 0;
}

int conf_set_peer(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_peer_conf *p = &st->c->peer[st->peer];
	int64_t x;
	int r;

	switch (k) {
	case K_PEER_RELATION:
		if (strcmp(v, "parent") == 0)
			p->relation = ILP_REL_PARENT;
		else if (strcmp(v, "peer") == 0)
			p->relation = ILP_REL_PEER;
		else if (strcmp(v, "child") == 0)
			p->relation = ILP_REL_CHILD;
		else {
			conf_fail(st, st->line,
				  "'relation' must be parent, peer or child");
			return -1;
		}
		return 0;
	case K_PEER_URL:
		return conf_peer_url(st, p, v);
	case K_PEER_TOKEN:
		return conf_text(st, "token", v, p->token, sizeof(p->token), true);
	case K_PEER_USERNAME:
		return conf_text(st, "username", v, p->username,
				 sizeof(p->username), false);
	case K_PEER_ASSET_CODE:
		return conf_text(st, "asset_code", v, p->asset_code,
				 sizeof(p->asset_code), false);
	case K_PEER_ASSET_SCALE:
		if (conf_int(st, "asset_scale", v, 0, 255, &x) != 0)
			return -1;
		p->rate.scale = (uint8_t)x;
		return 0;
	case K_PEER_RATE:
		return conf_peer_rate(st, p, v);
	case K_PEER_MAX_PACKET:
		if (strcmp(v, "unlimited") == 0) {
			p->max_packet_amount = UINT64_MAX;
			return 0;
		}
		r = conf_parse_u64(v, &p->max_packet_amount);
		if (r != NUM_OK)
			conf_num_fail(st, "max_packet_amount", r,
				      "0..18446744073709551615 or unlimited");
		return r == NUM_OK ? 0 : -1;
	case K_PEER_MIN_BALANCE:
		return conf_peer_balance(st, k, v, &p->min_balance);
	case K_PEER_MAX_BALANCE:
		return conf_peer_balance(st, k, v, &p->max_balance);
	case K_PEER_SETTLE:
		return conf_peer_balance(st, k, v, &p->settle_threshold);
	case K_PEER_TLS_PIN:
		return conf_peer_pin(st, p, v);
	case K_PEER_TLS_NAME:
		return conf_peer_server_name(st, p, v);
	case K_PEER_MAX_IN_FLIGHT:
		/* The peer's share of the pending table (ilp_switch.h). */
		if (conf_int(st, "max_in_flight", v, 1, ILPD_MAX_PENDING, &x) != 0)
			return -1;
		p->max_in_flight = (uint32_t)x;
		return 0;
	case K_PEER_RATE_LIMIT:      /* limit.h token buckets; "off" = 0 */
	case K_PEER_RATE_BURST:
	case K_PEER_THROUGHPUT_IN:
	case K_PEER_THROUGHPUT_OUT: {
		uint64_t *dst = k == K_PEER_RATE_LIMIT ? &p->rate_limit :
				k == K_PEER_RATE_BURST ? &p->rate_limit_burst :
				k == K_PEER_THROUGHPUT_IN ? &p->throughput_in : &p->throughput_out;

		if (strcmp(v, "off") == 0) {
			*dst = 0;
			return 0;
		}
		r = conf_parse_u64(v, dst);
		if (r != NUM_OK)
			conf_num_fail(st, conf_peer_keys[k], r, "0..18446744073709551615 or off");
		return r == NUM_OK ? 0 : -1;
	}
	case K_PEER_SEND_ROUTES:
	case K_PEER_RECEIVE_ROUTES: {
		bool on;

		if (conf_bool(st, k == K_PEER_SEND_ROUTES ? "send_routes" : "receive_routes",
			      v, &on) != 0)
			return -1;
		if (k == K_PEER_SEND_ROUTES)
			p->send_routes = on ? 1 : 0;
		else
			p->receive_routes = on ? 1 : 0;
		return 0;
	}
	default:
		return conf_set_peer_settle(st, k, v);   /* config_settle.c */
	}
}

/* A route prefix: an ILP address, or a bare scheme ("g", "test"). */
static bool conf_prefix_valid(const char *p, size_t n)
{
	char buf[16];

	if (ilp_address_valid((const uint8_t *)p, n))
		return true;
	if (n == 0 || n + 2 > sizeof(buf) || memchr(p, '.', n) != NULL)
		return false;
	memcpy(buf, p, n);
	buf[n] = '.';
	buf[n + 1] = 'a';
	return ilp_address_valid((const uint8_t *)buf, n + 2);
}

/* [routes]: PREFIX = PEER, default = PEER. Peers are resolved at the end. */
int conf_route(struct conf_parse *st, const char *key, const char *v)
{
	struct ilpd_conf *c = st->c;
	struct ilpd_route_conf *r;
	char show[CONF_NAME_SHOW + 1];
	size_t n = strlen(key), vn = strlen(v), i;

	if (vn == 0 || vn > ILPD_PEER_NAME_MAX) {
		conf_fail(st, st->line, "a route needs a peer name (1..%d bytes)",
			  ILPD_PEER_NAME_MAX);
		return -1;
	}
	if (strcmp(key, "default") == 0) {
		if (st->default_route_line != 0) {
			conf_fail(st, st->line, "duplicate key 'default' in [routes] "
				  "(first at line %d)", st->default_route_line);
			return -1;
		}
		st->default_route_line = st->line;
		memcpy(c->default_route, v, vn + 1);
		return 0;
	}
	conf_show(key, n, show, sizeof(show));
	if (n > ILPD_ROUTE_PREFIX_MAX) {
		conf_fail(st, st->line, "route prefix is longer than %d bytes "
			  "(board limit)", ILPD_ROUTE_PREFIX_MAX);
		return -1;
	}
	if (!conf_prefix_valid(key, n)) {
		conf_fail(st, st->line, "route prefix '%s' is not a valid ILP "
			  "address or scheme", show);
		return -1;
	}
	for (i = 0; i < c->nroutes; i++) {
		if (strcmp(c->route[i].prefix, key) == 0) {
			conf_fail(st, st->line, "duplicate route '%s' (first at line %d)",
				  show, c->route[i].line);
			return -1;
		}
	}
	if (c->nroutes >= ILPD_MAX_ROUTES) {
		conf_fail(st, st->line, "too many routes (board limit %d)",
			  ILPD_MAX_ROUTES);
		return -1;
	}
	r = &c->route[c->nroutes++];
	memcpy(r->prefix, key, n + 1);
	memcpy(r->peer, v, vn + 1);
	r->line = st->line;
	return 0;
}

void conf_finish_peer(struct conf_parse *st, size_t i)
{
	struct ilpd_conf *c = st->c;
	struct ilpd_peer_conf *p = &c->peer[i];
	uint32_t keys = st->peer_keys[i];
	size_t j, alen = strlen(c->address) + 1 + strlen(p->name);
	size_t amax = ILPD_ROUTE_PREFIX_MAX < CONF_ILP_ADDRESS_MAX ?
		      ILPD_ROUTE_PREFIX_MAX : CONF_ILP_ADDRESS_MAX;

	if ((keys & (1u << K_PEER_RELATION)) == 0)
		conf_fail(st, p->line, "missing 'relation' in [peer %s]", p->name);
	if ((keys & (1u << K_PEER_TOKEN)) == 0)
		conf_fail(st, p->line, "missing 'token' in [peer %s]", p->name);
	if ((keys & (1u << K_PEER_ASSET_CODE)) == 0)
		memcpy(p->asset_code, c->asset_code, sizeof(p->asset_code));
	if ((keys & (1u << K_PEER_ASSET_SCALE)) == 0)
		p->rate.scale = c->asset_scale;
	if ((keys & (1u << K_PEER_USERNAME)) == 0)
		memcpy(p->username, p->name, sizeof(p->username));
	if (p->relation == ILP_REL_CHILD && alen > amax)
		conf_fail(st, p->line, "child address of peer '%s' (%zu bytes) is "
			  "longer than %zu bytes (board limit)", p->name, alen, amax);
	if ((p->has_pin || p->tls_server_name[0] != '\0') && !(p->outbound && p->url.tls))
		conf_fail(st, p->line, "'%s' in [peer %s] needs a wss:// url",
			  p->has_pin ? "tls_pin" : "tls_server_name", p->name);
	conf_finish_peer_settle(st, i);
	if (p->outbound)
		return;
	if (!c->btp_listen.enabled)
		conf_fail(st, p->line, "inbound peer '%s' (no url) needs [btp] "
			  "listen, which is off", p->name);
	for (j = 0; j < i; j++) {
		if (!c->peer[j].outbound && strcmp(c->peer[j].token, p->token) == 0)
			conf_fail(st, p->line, "peer '%s' has the same token as peer "
				  "'%s' (inbound tokens must be unique)", p->name,
				  c->peer[j].name);
	}
}

void conf_finish_routes(struct conf_parse *st)
{
	const struct ilpd_conf *c = st->c;
	size_t i, nchild = 0;

	for (i = 0; i < c->nroutes; i++) {
		if (ilpd_conf_peer_index(c, c->route[i].peer) < 0)
			conf_fail(st, c->route[i].line, "route to unknown peer '%s'",
				  c->route[i].peer);
	}
	if (c->default_route[0] != '\0' &&
	    ilpd_conf_peer_index(c, c->default_route) < 0)
		conf_fail(st, st->default_route_line,
			  "default route to unknown peer '%s'", c->default_route);
	for (i = 0; i < c->npeers; i++)
		if (c->peer[i].relation == ILP_REL_CHILD)
			nchild++;
	if (c->nroutes + nchild > ILPD_MAX_ROUTES) {
		int line = nchild < ILPD_MAX_ROUTES ?
			   c->route[ILPD_MAX_ROUTES - nchild].line : 0;

		conf_fail(st, line, "too many routes: %zu static routes and %zu "
			  "child peers exceed the board limit of %d", c->nroutes,
			  nchild, ILPD_MAX_ROUTES);
	}
}
