/*
 * config_local.c - the [local] section (config.h): ilpd's own account
 * (local.h) and the business-logic server it delivers to.
 *
 *   handler_url        http://HOST[:PORT][/PATH] [none]: local delivery by
 *                      POST to it (deliver.c); HOST must be a loopback
 *                      address (127.0.0.0/8, ::1, localhost) unless
 *                      allow_remote = true
 *   prefix             an ILP address [the node's address]: Prepares under
 *                      it are delivered locally unless a child or route has
 *                      a longer prefix
 *   notify_transit     bool [false]: tell the handler about forwarded packets
 *   timeout_margin_ms  0..60000 [500]: the handler must answer this long
 *                      before the packet expires
 *   max_requests       1..ILPD_HTTPC_SLOTS [ILPD_HTTPC_SLOTS / 2, at least 1]
 *   queue              0..ILPD_LOCAL_SLOTS [ILPD_LOCAL_SLOTS / 2]
 *   allow_remote       bool [false]
 *   max_balance        >= 0 or unlimited [unlimited]: caps the local
 *                      account's balance, which rises by what it sends and
 *                      falls by what it receives (0: it can only send what
 *                      it has received)
 *
 * Rules: handler_url's HOST must be an IP address or localhost: a name
 * would need a blocking DNS lookup at each request (the event loop would
 * wait), and an onion name would even go to the local DNS (ilpd never
 * looks onion names up itself). This and the loopback rule are checked
 * once the whole file is read (allow_remote may come after handler_url,
 * onion_suffixes after [local]), at handler_url's line; a
 * [peer] named "local" is refused by conf_begin_peer (config_peer.c: the
 * name of ilpd's own account in the switch and the ledger). Nothing is resolved or connected here. Memory:
 * struct ilpd_local_conf (~4.6 KB with the URL's path) inside struct
 * ilpd_conf. No heap.
 */
#include <string.h>

#include "config_int.h"
#include "local.h"

#include "ilp/ilp_packet.h"
#include "net/net_opts.h"

enum { K_LC_HANDLER_URL, K_LC_PREFIX, K_LC_NOTIFY, K_LC_MARGIN, K_LC_MAX_REQ,
       K_LC_QUEUE, K_LC_ALLOW_REMOTE, K_LC_MAX_BALANCE };
const char *const conf_local_keys[] = {
	"handler_url", "prefix", "notify_transit", "timeout_margin_ms", "max_requests",
	"queue", "allow_remote", "max_balance", NULL
};

#define LC_MAX_REQ_DEFAULT (ILPD_HTTPC_SLOTS / 2 > 0 ? ILPD_HTTPC_SLOTS / 2 : 1)

void conf_local_defaults(struct ilpd_conf *c)
{
	struct ilpd_local_conf *l = &c->local;

	memset(l, 0, sizeof(*l));
	l->timeout_margin_ms = 500;
	l->max_requests = LC_MAX_REQ_DEFAULT;
	l->queue = ILPD_LOCAL_SLOTS / 2;
	l->max_balance = INT64_MAX;
}

/* 127.0.0.0/8 written as four decimal numbers, ::1 (any spelling of zero
 * groups is not accepted: "::1" and "0:0:0:0:0:0:0:1"), or localhost. */
static bool lc_loopback(const char *h)
{
	unsigned parts = 0, val = 0, digits = 0;
	const char *p;

	if (strcmp(h, "localhost") == 0 || strcmp(h, "::1") == 0 ||
	    strcmp(h, "0:0:0:0:0:0:0:1") == 0)
		return true;
	if (strncmp(h, "127.", 4) != 0)
		return false;
	for (p = h; ; p++) {
		if (*p >= '0' && *p <= '9') {
			val = val * 10u + (unsigned)(*p - '0');
			if (++digits > 3 || val > 255)
				return false;
			continue;
		}
		if ((*p != '.' && *p != '\0') || digits == 0)
			return false;
		parts++;
		val = 0;
		digits = 0;
		if (*p == '\0')
			break;
	}
	return parts == 4;
}

/* The onion refusal of conf_host_literal for this key. */
static const char lc_onion_why[] =
	"has an onion URL: the handler is not reached through the proxy "
	"(ilpd never looks onion names up itself); give its IP address "
	"or localhost";

int conf_set_local(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_local_conf *l = &st->c->local;
	const char *why;
	size_t n;
	int64_t x;

	l->line = st->sec_line[SEC_LOCAL];
	switch (k) {
	case K_LC_HANDLER_URL:
		if (ilpd_http_url_parse(v, &l->handler_url, &why) != 0) {
			conf_fail(st, st->line, "'handler_url': %s", why);
			return -1;
		}
		l->handler = true;
		return 0;
	case K_LC_PREFIX:
		n = strlen(v);
		if (n == 0 || n > ILPD_ADDRESS_MAX ||
		    !ilp_address_valid((const uint8_t *)v, n)) {
			conf_fail(st, st->line, "'prefix' must be an ILP address of at most %d "
				  "bytes (segments of letters, digits, '_', '~', '-')",
				  ILPD_ADDRESS_MAX);
			return -1;
		}
		memcpy(l->prefix, v, n + 1);
		return 0;
	case K_LC_NOTIFY:
		return conf_bool(st, "notify_transit", v, &l->notify_transit);
	case K_LC_MARGIN:
		return conf_int(st, "timeout_margin_ms", v, 0, 60000, &l->timeout_margin_ms);
	case K_LC_MAX_REQ:
		return conf_int(st, "max_requests", v, 1, ILPD_HTTPC_SLOTS, &l->max_requests);
	case K_LC_QUEUE:
		return conf_int(st, "queue", v, 0, ILPD_LOCAL_SLOTS, &l->queue);
	case K_LC_ALLOW_REMOTE:
		return conf_bool(st, "allow_remote", v, &l->allow_remote);
	case K_LC_MAX_BALANCE:
		if (strcmp(v, "unlimited") == 0) {
			l->max_balance = INT64_MAX;
			return 0;
		}
		if (conf_int(st, "max_balance", v, INT64_MIN, INT64_MAX, &x) != 0)
			return -1;
		if (x < 0) {
			conf_fail(st, st->line, "'max_balance' must be >= 0");
			return -1;
		}
		l->max_balance = x;
		return 0;
	default:
		return -1;
	}
}

void conf_finish_local(struct conf_parse *st)
{
	const struct ilpd_conf *c = st->c;
	const struct ilpd_local_conf *l = &c->local;
	const int *kl = st->key_line[SEC_LOCAL];
	const char *why;

	/* A [peer] named "local" is refused where it starts (conf_begin_peer,
	 * which admin.ini's peers go through too). */
	if (!l->handler)
		return;
	why = conf_host_literal(c, l->handler_url.host, lc_onion_why);
	if (why != NULL)
		conf_fail(st, kl[K_LC_HANDLER_URL], "'handler_url' %s", why);
	else if (!l->allow_remote && !lc_loopback(l->handler_url.host))
		conf_fail(st, kl[K_LC_HANDLER_URL], "'handler_url' must be a loopback "
			  "address (127.0.0.1, ::1, localhost) unless allow_remote = true");
}
