/*
 * config_transport.c - the [transport] and [netif] sections (config.h).
 *
 * IMPLEMENTATION NOTES
 * The proxy is given as a URL so that its scheme says who resolves names:
 * only socks5h:// (the proxy resolves) is accepted. socks5:// and every
 * other scheme are refused with the reason, quoting the value with any
 * user:password replaced by "***". Credentials in the URL are refused too:
 * ilpd sends its own per-peer RFC 1929 credentials so that tor's
 * IsolateSOCKSAuth gives each peer its own circuit. The proxy's host must be
 * numeric (or "localhost", taken as 127.0.0.1): resolving the proxy's own
 * name would already be a local DNS query.
 *
 * Cross-key rules (conf_finish_transport) run after the peers are read, so
 * that an onion peer in a direct configuration is refused at the peer's line
 * instead of being dialled with a local lookup.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "config_int.h"

enum {
	K_TR_TYPE, K_TR_PROXY, K_TR_SCOPE, K_TR_LOOPBACK, K_TR_SUFFIXES,
	K_TR_CONNECT_TO, K_TR_ONION_TO, K_TR_PROBE, K_TR_ONION, K_TR_STATE_DIR,
	K_TR_TOR_PATH, K_TR_TORRC_APPEND, K_TR_SOCKS_PORT, K_TR_CONTROL_PORT,
	K_TR_CONTROL, K_TR_CONTROL_AUTH, K_TR_CONTROL_PASSWORD, K_TR_COOKIE_FILE,
	K_TR_HS_DIR, K_TR_ONION_PORT, K_TR_BOOTSTRAP_TO, K_TR_STOP_TO,
	K_TR_EXTERNAL_URL
};
const char *const conf_transport_keys[] = {
	"type", "proxy", "proxy_scope", "allow_direct_loopback", "onion_suffixes",
	"connect_timeout_ms", "onion_connect_timeout_ms", "probe_interval_ms",
	"onion_service", "state_dir", "tor_path", "torrc_append", "socks_port",
	"control_port", "control", "control_auth", "control_password",
	"control_cookie_file", "hs_dir", "onion_port", "bootstrap_timeout_ms",
	"stop_timeout_ms", "external_url", NULL
};

enum { K_NI_DRIVER, K_NI_NAME, K_NI_ADDRESS, K_NI_GATEWAY, K_NI_ADDRESS6, K_NI_MTU };
const char *const conf_netif_keys[] = {
	"driver", "name", "address", "gateway", "address6", "mtu", NULL
};

void conf_transport_defaults(struct ilpd_conf *c)
{
	struct ilpd_transport_conf *t = &c->transport;
	static const char *const suffixes[] = { ".onion", ".anyone", ".anon" };
	size_t i;

	t->type = ILPD_TRANSPORT_DIRECT;
	t->scope = ILPD_PROXY_ALL;
	t->onion_mode = ILPD_ONION_OFF;
	t->control_auth = ILPD_CONTROL_AUTH_COOKIE;
	for (i = 0; i < 3; i++)
		strcpy(t->suffix[i], suffixes[i]);
	t->nsuffix = 3;
	t->connect_timeout_ms = 30000;
	t->onion_connect_timeout_ms = 120000;
	t->probe_interval_ms = 30000;
	strcpy(t->state_dir, "/var/lib/ilpd");
	strcpy(t->tor_path, "/usr/bin/tor");
	t->socks_port = 9150;
	t->control_port = 9151;
	strcpy(t->control_host, "127.0.0.1");
	t->bootstrap_timeout_ms = 300000;
	t->stop_timeout_ms = 10000;
	strcpy(c->netif.driver, "tap");
	strcpy(c->netif.ifname, "tap0");
	c->netif.mtu = 1500;
}

/* ---- helpers --------------------------------------------------------------- */

/* v with "user:pass@" replaced by "***@" (for messages), into out[cap]. */
static const char *tr_redact(const char *v, char *out, size_t cap)
{
	const char *scheme_end = strstr(v, "://");
	const char *auth = scheme_end != NULL ? scheme_end + 3 : v;
	const char *at = strchr(auth, '@');
	char show[128];

	conf_show(v, strlen(v), show, sizeof(show));
	if (at == NULL || (size_t)(at - v) >= sizeof(show)) {
		(void)snprintf(out, cap, "%s", at == NULL ? show : "(redacted)");
		return out;
	}
	(void)snprintf(out, cap, "%.*s***%s", (int)(auth - v), show, show + (at - v));
	return out;
}

/* A numeric IPv4 (four dotted decimal parts) or IPv6 literal (hex digits,
 * ':' and '.', at least two colons). Shape only: the backends parse it. */
static bool tr_is_numeric_ip(const char *h)
{
	size_t i, dots = 0, colons = 0;
	bool v6 = strchr(h, ':') != NULL;

	if (*h == '\0')
		return false;
	for (i = 0; h[i] != '\0'; i++) {
		char ch = h[i];

		if (ch == '.')
			dots++;
		else if (ch == ':')
			colons++;
		else if (!((ch >= '0' && ch <= '9') ||
			   (v6 && ((ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))))
			return false;
	}
	return v6 ? colons >= 2 : dots == 3;
}

static int tr_proxy(struct conf_parse *st, const char *v)
{
	struct ilpd_transport_conf *t = &st->c->transport;
	static const char want[] = "socks5h://";
	char shown[200];
	const char *why;

	tr_redact(v, shown, sizeof(shown));
	if (strncmp(v, "socks5://", 9) == 0 || strncmp(v, "socks://", 8) == 0 ||
	    strncmp(v, "socks4", 6) == 0) {
		conf_fail(st, st->line, "'proxy' must be socks5h://HOST:PORT, not %s: that "
			  "scheme has the client resolve host names itself, and local DNS "
			  "would leak every peer's destination", shown);
		return -1;
	}
	if (strncmp(v, want, sizeof(want) - 1) != 0) {
		conf_fail(st, st->line, "'proxy' must be socks5h://HOST:PORT (got %s): "
			  "only socks5h keeps name resolution in the proxy", shown);
		return -1;
	}
	v += sizeof(want) - 1;
	if (strchr(v, '@') != NULL) {
		conf_fail(st, st->line, "'proxy' must not carry credentials (%s): ilpd sends "
			  "its own per-peer SOCKS credentials so that each peer gets its own "
			  "circuit", shown);
		return -1;
	}
	if (v[0] != '\0' && v[strlen(v) - 1] == '/')
		why = "remove the trailing '/'";
	else
		why = conf_hostport(v, strlen(v), t->proxy_host, &t->proxy_port, 0);
	if (why == NULL && strcmp(t->proxy_host, "localhost") == 0)
		strcpy(t->proxy_host, "127.0.0.1");
	else if (why == NULL && !tr_is_numeric_ip(t->proxy_host))
		why = "the proxy's host must be a numeric address (looking its name up "
		      "would be a local DNS query)";
	if (why != NULL) {
		conf_fail(st, st->line, "'proxy' (%s): %s", shown, why);
		return -1;
	}
	return 0;
}

/* One of `names` (lower case) -> its index in *out. */
static int tr_enum(struct conf_parse *st, const char *key, const char *v,
		   const char *const *names, size_t n, const char *expect, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (conf_ieq(v, names[i])) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	conf_fail(st, st->line, "'%s' must be %s", key, expect);
	return -1;
}

static bool tr_suffix_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
}

static int tr_suffixes(struct conf_parse *st, const char *v)
{
	struct ilpd_transport_conf *t = &st->c->transport;
	const char *p = v;

	t->nsuffix = 0;
	for (;;) {
		size_t n, i;

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t,");
		if (t->nsuffix == ILPD_ONION_SUFFIX_MAX || n < 2 || n > ILPD_ONION_SUFFIX_LEN ||
		    p[0] != '.') {
			conf_fail(st, st->line, "'onion_suffixes' takes up to %d names like "
				  ".onion (each starts with '.', at most %d characters)",
				  ILPD_ONION_SUFFIX_MAX, ILPD_ONION_SUFFIX_LEN);
			return -1;
		}
		for (i = 0; i < n; i++) {
			char ch = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] + 32) : p[i];

			if (!tr_suffix_char(ch)) {
				conf_fail(st, st->line, "'onion_suffixes': bad character in a suffix");
				return -1;
			}
			t->suffix[t->nsuffix][i] = ch;
		}
		t->suffix[t->nsuffix][n] = '\0';
		t->nsuffix++;
		p += n;
	}
	if (t->nsuffix == 0) {
		conf_fail(st, st->line, "'onion_suffixes' must list at least one suffix");
		return -1;
	}
	return 0;
}

static int tr_port(struct conf_parse *st, const char *key, const char *v, uint16_t *out)
{
	int64_t x;

	if (conf_int(st, key, v, 1, 65535, &x) != 0)
		return -1;
	*out = (uint16_t)x;
	return 0;
}

static int tr_path(struct conf_parse *st, const char *key, const char *v, char *out,
		   size_t cap)
{
	if (conf_text(st, key, v, out, cap, false) != 0)
		return -1;
	if (out[0] != '/') {
		conf_fail(st, st->line, "'%s' must be an absolute path", key);
		return -1;
	}
	return 0;
}

static int tr_control(struct conf_parse *st, const char *v)
{
	struct ilpd_transport_conf *t = &st->c->transport;
	const char *why = conf_hostport(v, strlen(v), t->control_host, &t->control_port, 0);

	if (why == NULL && strcmp(t->control_host, "localhost") == 0)
		strcpy(t->control_host, "127.0.0.1");
	else if (why == NULL && !tr_is_numeric_ip(t->control_host))
		why = "the host must be a numeric address";
	if (why != NULL) {
		conf_fail(st, st->line, "'control' must be HOST:PORT: %s", why);
		return -1;
	}
	return 0;
}

static int tr_external_url(struct conf_parse *st, const char *v)
{
	struct ilpd_transport_conf *t = &st->c->transport;
	struct ilpd_url u;
	const char *why;

	if (conf_ieq(v, "auto")) {
		t->external_url_auto = true;
		return 0;
	}
	if (ilpd_url_parse(v, &u, &why) != 0) {
		conf_fail(st, st->line, "'external_url' must be auto or a ws[s]:// URL: %s", why);
		return -1;
	}
	return conf_text(st, "external_url", v, t->external_url, sizeof(t->external_url),
			 false);
}

/* ---- [transport] ----------------------------------------------------------- */

static int tr_set_mode(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_transport_conf *t = &st->c->transport;
	static const char *const types[] = { "direct", "socks5" };
	static const char *const scopes[] = { "all", "onion" };
	static const char *const modes[] = { "off", "managed", "external", "dir" };
	static const char *const auths[] = { "cookie", "password" };

	switch (k) {
	case K_TR_TYPE:
		return tr_enum(st, "type", v, types, 2, "direct or socks5", &t->type);
	case K_TR_SCOPE:
		return tr_enum(st, "proxy_scope", v, scopes, 2, "all or onion", &t->scope);
	case K_TR_ONION:
		return tr_enum(st, "onion_service", v, modes, 4,
			       "off, managed, external or dir", &t->onion_mode);
	case K_TR_CONTROL_AUTH:
		return tr_enum(st, "control_auth", v, auths, 2, "cookie or password",
			       &t->control_auth);
	default:
		return -1;
	}
}

int conf_set_transport(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_transport_conf *t = &st->c->transport;
	const char *key = conf_transport_keys[k];

	if (t->line == 0)
		t->line = st->sec_line[SEC_TRANSPORT];
	switch (k) {
	case K_TR_TYPE:
	case K_TR_SCOPE:
	case K_TR_ONION:
	case K_TR_CONTROL_AUTH:
		return tr_set_mode(st, k, v);
	case K_TR_PROXY:
		return tr_proxy(st, v);
	case K_TR_LOOPBACK:
		return conf_bool(st, key, v, &t->allow_direct_loopback);
	case K_TR_SUFFIXES:
		return tr_suffixes(st, v);
	case K_TR_CONNECT_TO:
		return conf_ms(st, key, v, &t->connect_timeout_ms);
	case K_TR_ONION_TO:
		return conf_ms(st, key, v, &t->onion_connect_timeout_ms);
	case K_TR_PROBE:
		return conf_ms(st, key, v, &t->probe_interval_ms);
	case K_TR_BOOTSTRAP_TO:
		return conf_ms(st, key, v, &t->bootstrap_timeout_ms);
	case K_TR_STOP_TO:
		return conf_ms(st, key, v, &t->stop_timeout_ms);
	case K_TR_STATE_DIR:
		return tr_path(st, key, v, t->state_dir, sizeof(t->state_dir));
	case K_TR_TOR_PATH:
		return tr_path(st, key, v, t->tor_path, sizeof(t->tor_path));
	case K_TR_TORRC_APPEND:
		return tr_path(st, key, v, t->torrc_append, sizeof(t->torrc_append));
	case K_TR_COOKIE_FILE:
		return tr_path(st, key, v, t->control_cookie_file, sizeof(t->control_cookie_file));
	case K_TR_HS_DIR:
		return tr_path(st, key, v, t->hs_dir, sizeof(t->hs_dir));
	case K_TR_SOCKS_PORT:
		return tr_port(st, key, v, &t->socks_port);
	case K_TR_CONTROL_PORT:
		return tr_port(st, key, v, &t->control_port);
	case K_TR_ONION_PORT:
		return tr_port(st, key, v, &t->onion_port);
	case K_TR_CONTROL:
		return tr_control(st, v);
	case K_TR_CONTROL_PASSWORD:
		return conf_text(st, key, v, t->control_password, sizeof(t->control_password),
				 true);
	case K_TR_EXTERNAL_URL:
		return tr_external_url(st, v);
	default:
		return -1;
	}
}

/* ---- [netif] --------------------------------------------------------------- */

/* "ADDR/LEN" into ip[HAL_IP_STR_MAX] and *prefix (max: 32 or 128). */
static int ni_cidr(struct conf_parse *st, const char *key, const char *v, bool v6,
		   char *ip, uint8_t *prefix)
{
	const char *slash = strchr(v, '/');
	size_t n = slash != NULL ? (size_t)(slash - v) : 0;
	uint64_t len;

	if (slash == NULL || n == 0 || n >= HAL_IP_STR_MAX ||
	    conf_parse_u64(slash + 1, &len) != NUM_OK || len == 0 || len > (v6 ? 128u : 32u)) {
		conf_fail(st, st->line, "'%s' must be %s", key,
			  v6 ? "an IPv6 address with a prefix length, like fd00::2/64" :
			       "an IPv4 address with a prefix length, like 10.0.0.2/24");
		return -1;
	}
	memcpy(ip, v, n);
	ip[n] = '\0';
	if (!tr_is_numeric_ip(ip) || (strchr(ip, ':') != NULL) != v6) {
		conf_fail(st, st->line, "'%s': not a numeric IPv%c address", key, v6 ? '6' : '4');
		return -1;
	}
	if (v6 && len != 64) {
		conf_fail(st, st->line, "'%s': lwIP takes static IPv6 addresses as /64 only", key);
		return -1;
	}
	*prefix = (uint8_t)len;
	return 0;
}

int conf_set_netif(struct conf_parse *st, int k, const char *v)
{
	struct hal_netif_conf *ni = &st->c->netif;
	int64_t mtu;

	ni->present = true;
	switch (k) {
	case K_NI_DRIVER:
		if (strcmp(v, "tap") != 0) {
			conf_fail(st, st->line, "'driver' must be tap (the only netif driver "
				  "this build has)");
			return -1;
		}
		return 0;
	case K_NI_NAME:
		return conf_text(st, "name", v, ni->ifname, sizeof(ni->ifname), false);
	case K_NI_ADDRESS:
		return ni_cidr(st, "address", v, false, ni->ip4, &ni->prefix4);
	case K_NI_ADDRESS6:
		return ni_cidr(st, "address6", v, true, ni->ip6, &ni->prefix6);
	case K_NI_GATEWAY:
		if (conf_text(st, "gateway", v, ni->gw4, sizeof(ni->gw4), false) != 0)
			return -1;
		if (!tr_is_numeric_ip(ni->gw4) || strchr(ni->gw4, ':') != NULL) {
			conf_fail(st, st->line, "'gateway' must be a numeric IPv4 address");
			return -1;
		}
		return 0;
	case K_NI_MTU:
		if (conf_int(st, "mtu", v, 1280, 1500, &mtu) != 0)
			return -1;
		ni->mtu = (uint16_t)mtu;
		return 0;
	default:
		return -1;
	}
}

/* ---- cross-key rules ------------------------------------------------------- */

static int tr_line(const struct conf_parse *st, int k)
{
	int l = st->key_line[SEC_TRANSPORT][k];

	return l != 0 ? l : st->sec_line[SEC_TRANSPORT];
}

static void tr_finish_proxy(struct conf_parse *st)
{
	struct ilpd_transport_conf *t = &st->c->transport;
	bool has_proxy = st->key_line[SEC_TRANSPORT][K_TR_PROXY] != 0;

	if (t->type == ILPD_TRANSPORT_DIRECT) {
		static const int socks_only[] = { K_TR_PROXY, K_TR_SCOPE, K_TR_LOOPBACK };
		size_t i;

		for (i = 0; i < 3; i++)
			if (st->key_line[SEC_TRANSPORT][socks_only[i]] != 0)
				conf_fail(st, tr_line(st, socks_only[i]), "'%s' needs type = "
					  "socks5 (type is direct)",
					  conf_transport_keys[socks_only[i]]);
		return;
	}
	if (!has_proxy && t->onion_mode != ILPD_ONION_MANAGED) {
		conf_fail(st, tr_line(st, K_TR_TYPE), "type = socks5 needs 'proxy = "
			  "socks5h://HOST:PORT' (or onion_service = managed, whose "
			  "SocksPort is then used)");
		return;
	}
	if (!has_proxy) {
		strcpy(t->proxy_host, "127.0.0.1");
		t->proxy_port = t->socks_port;
		t->proxy_managed = true;
	}
}

static void tr_finish_onion(struct conf_parse *st)
{
	struct ilpd_conf *c = st->c;
	struct ilpd_transport_conf *t = &c->transport;
	int mline = tr_line(st, K_TR_ONION);

	if (t->onion_port == 0)
		t->onion_port = c->btp_listen.port != 0 ? c->btp_listen.port : 7768;
	if (t->onion_mode == ILPD_ONION_OFF) {
		if (t->external_url_auto)
			conf_fail(st, tr_line(st, K_TR_EXTERNAL_URL), "external_url = auto "
				  "needs an onion service (onion_service = managed, external "
				  "or dir)");
		return;
	}
	if (!c->btp_listen.enabled)
		conf_fail(st, mline, "an onion service needs [btp] listen, which is off");
	if (t->onion_mode == ILPD_ONION_DIR && t->hs_dir[0] == '\0')
		conf_fail(st, mline, "onion_service = dir needs 'hs_dir' (the "
			  "HiddenServiceDir that holds the hostname file)");
	if (t->onion_mode == ILPD_ONION_EXTERNAL && t->control_auth ==
	    ILPD_CONTROL_AUTH_PASSWORD && t->control_password[0] == '\0')
		conf_fail(st, tr_line(st, K_TR_CONTROL_AUTH), "control_auth = password "
			  "needs 'control_password'");
	if (t->onion_mode == ILPD_ONION_MANAGED && t->socks_port == t->control_port)
		conf_fail(st, tr_line(st, K_TR_CONTROL_PORT), "'socks_port' and "
			  "'control_port' must differ");
	if (hal_net_has_own_stack() && t->onion_mode == ILPD_ONION_MANAGED)
		conf_fail(st, mline, "onion_service = managed needs the kernel's network "
			  "stack (this is an lwIP build): run tor beside it and use "
			  "external mode");
}

static void tr_finish_peers(struct conf_parse *st)
{
	const struct ilpd_conf *c = st->c;
	size_t i;

	for (i = 0; i < c->npeers; i++) {
		const struct ilpd_peer_conf *p = &c->peer[i];

		if (!p->outbound || !ilpd_host_is_onion(&c->transport, p->url.host))
			continue;
		if (c->transport.type != ILPD_TRANSPORT_SOCKS5)
			conf_fail(st, p->line, "peer '%s' has an onion URL: it needs "
				  "[transport] type = socks5 (ilpd never looks onion names "
				  "up itself)", p->name);
	}
}

void conf_finish_transport(struct conf_parse *st)
{
	const struct hal_netif_conf *ni = &st->c->netif;

	tr_finish_proxy(st);
	tr_finish_onion(st);
	tr_finish_peers(st);
	if (ni->present && !hal_net_has_own_stack())
		conf_fail(st, st->sec_line[SEC_NETIF], "[netif] is for builds with their "
			  "own TCP/IP stack (lwIP); this ilpd uses the kernel's");
	else if (hal_net_has_own_stack() && (!ni->present || ni->ip4[0] == '\0'))
		conf_fail(st, ni->present ? st->sec_line[SEC_NETIF] : 0,
			  "this ilpd runs on lwIP: it needs [netif] address = A.B.C.D/LEN "
			  "(and name = the TAP device)");
}

/* ---- public ---------------------------------------------------------------- */

bool ilpd_host_is_onion(const struct ilpd_transport_conf *t, const char *host)
{
	size_t i, hn = strlen(host);

	while (hn > 0 && host[hn - 1] == '.')
		hn--;   /* a fully qualified "x.onion." */
	for (i = 0; i < t->nsuffix; i++) {
		size_t sn = strlen(t->suffix[i]), j;

		if (hn <= sn)
			continue;
		for (j = 0; j < sn; j++) {
			char ch = host[hn - sn + j];

			if ((ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch) != t->suffix[i][j])
				break;
		}
		if (j == sn)
			return true;
	}
	return false;
}

bool ilpd_host_is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	       conf_ieq(host, "localhost");
}

bool ilpd_peer_via_proxy(const struct ilpd_transport_conf *t, const char *host)
{
	if (t->type != ILPD_TRANSPORT_SOCKS5)
		return false;
	if (ilpd_host_is_onion(t, host))
		return true;
	if (t->allow_direct_loopback && ilpd_host_is_loopback(host))
		return false;
	return t->scope == ILPD_PROXY_ALL;
}

bool ilpd_conf_transport_same(const struct ilpd_conf *o, const struct ilpd_conf *n)
{
	struct ilpd_transport_conf a = o->transport, b = n->transport;

	a.line = b.line = 0;
	return memcmp(&a, &b, sizeof(a)) == 0 &&
	       memcmp(&o->netif, &n->netif, sizeof(o->netif)) == 0;
}
