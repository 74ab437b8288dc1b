/*
 * config_url.c - the configuration's addresses: peer URLs
 * (ilpd_url_parse, config.h), HOST:PORT values and listen addresses.
 * Pure string parsing: no lookups, no I/O (a host name is resolved, or
 * handed to the proxy, only when a link dials).
 */
#include "config.h"

#include <string.h>

#include "config_int.h"

bool conf_host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
}

static bool url_v6_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.';
}

/* Parses "HOST[:PORT]" or "[V6][:PORT]" in s[0..n) into host/port. A port
 * is required unless def_port != 0. NULL on success, else a reason. */
const char *conf_hostport(const char *s, size_t n, char *host,
				 uint16_t *port, uint16_t def_port)
{
	size_t hlen, i;
	const char *h = s, *rest;
	uint64_t p;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL)
			return "missing ']' after an IPv6 address";
		h = s + 1;
		hlen = (size_t)(close - h);
		rest = close + 1;
		for (i = 0; i < hlen; i++)
			if (!url_v6_char(h[i]))
				return "bad IPv6 address";
		if (hlen < 2 || memchr(h, ':', hlen) == NULL)
			return "bad IPv6 address";
	} else {
		const char *colon = memchr(s, ':', n);

		hlen = colon != NULL ? (size_t)(colon - s) : n;
		rest = s + hlen;
		for (i = 0; i < hlen; i++)
			if (!conf_host_char(h[i]))
				return "bad host name";
	}
	if (hlen == 0)
		return "missing host";
	if (hlen > ILPD_CONF_HOST_MAX)
		return "host name too long";
	if (rest == s + n) {
		if (def_port == 0)
			return "missing :PORT";
		p = def_port;
	} else {
		char digits[8];
		size_t dl = (size_t)(s + n - rest) - 1;

		if (*rest != ':' || dl == 0 || dl >= sizeof(digits))
			return "bad port (1..65535)";
		memcpy(digits, rest + 1, dl);
		digits[dl] = '\0';
		if (conf_parse_u64(digits, &p) != NUM_OK || p == 0 || p > 65535)
			return "bad port (1..65535)";
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)p;
	return NULL;
}

static size_t url_scheme(const char *s, bool *tls)
{
	static const char *const plain[] = { "ws://", "btp+ws://" };
	static const char *const secure[] = { "wss://", "btp+wss://" };
	size_t i;

	for (i = 0; i < 2; i++) {
		size_t a = strlen(plain[i]), b = strlen(secure[i]);

		if (strncmp(s, plain[i], a) == 0) {
			*tls = false;
			return a;
		}
		if (strncmp(s, secure[i], b) == 0) {
			*tls = true;
			return b;
		}
	}
	return 0;
}

/* NULL if the URL text has no blank, control byte, non-ASCII byte or '#'. */
static const char *url_chars(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '#')
			return "URL contains a blank, a control byte or '#'";
	}
	return NULL;
}

/* What follows "scheme://": HOST[:PORT] without credentials (cred_why
 * refuses them) and the path ("/" if absent) into u. NULL or why not. */
static const char *url_rest(const char *auth, struct ilpd_url *u, uint16_t dport,
			    const char *cred_why)
{
	size_t alen = strcspn(auth, "/?"), plen;
	const char *path, *why;

	if (memchr(auth, '@', alen) != NULL)
		return cred_why;
	why = conf_hostport(auth, alen, u->host, &u->port, dport);
	if (why != NULL)
		return why;
	path = auth + alen;
	plen = strlen(path);
	if (plen == 0) {
		strcpy(u->path, "/");
		return NULL;
	}
	if (path[0] != '/')
		return "the path must start with '/'";
	if (plen > ILPD_CONF_PATH_MAX)
		return "path too long";
	memcpy(u->path, path, plen + 1);
	return NULL;
}

int ilpd_http_url_parse(const char *s, struct ilpd_url *u, const char **why)
{
	static const char scheme[] = "http://";

	memset(u, 0, sizeof(*u));
	*why = url_chars(s);
	if (*why != NULL)
		return -1;
	if (strncmp(s, scheme, sizeof(scheme) - 1) != 0) {
		*why = "expected http://HOST[:PORT][/PATH] (https is not supported)";
		return -1;
	}
	*why = url_rest(s + sizeof(scheme) - 1, u, 80, "credentials in URLs are refused");
	return *why != NULL ? -1 : 0;
}

int ilpd_url_parse(const char *s, struct ilpd_url *u, const char **why)
{
	bool tls = false;
	size_t skip;

	*why = url_chars(s);
	if (*why != NULL)
		return -1;
	skip = url_scheme(s, &tls);
	if (skip == 0) {
		*why = "expected ws://HOST[:PORT][/PATH]";
		return -1;
	}
#if !defined(ILPD_TLS_BEARSSL) && !defined(ILPD_TLS_MBEDTLS)
	if (tls) {
		*why = "this ilpd was built without TLS (wss:// needs ILPD_TLS=bearssl or mbedtls)";
		return -1;
	}
#endif
	u->tls = tls;
	*why = url_rest(s + skip, u, tls ? 443 : 80,
			"credentials in URLs are refused (put the secret in 'token')");
	return *why != NULL ? -1 : 0;
}

/* "HOST:PORT", "[V6]:PORT", or "off"/"" (disabled). */
int conf_listen(struct conf_parse *st, const char *v,
		       struct ilpd_endpoint *e)
{
	const char *why;

	if (*v == '\0' || strcmp(v, "off") == 0) {
		e->enabled = false;
		e->host[0] = '\0';
		e->port = 0;
		return 0;
	}
	why = conf_hostport(v, strlen(v), e->host, &e->port, 0);
	if (why != NULL) {
		conf_fail(st, st->line,
			  "'listen' must be HOST:PORT, [IPv6]:PORT or off: %s", why);
		return -1;
	}
	e->enabled = true;
	return 0;
}

const char *conf_host_literal(const struct ilpd_conf *c, const char *h, const char *onion_why)
{
	uint8_t a[16];
	bool v6;

	if (ilpd_host_is_onion(&c->transport, h))
		return onion_why;
	if (conf_ieq(h, "localhost") || ilpd_ip_parse(h, strlen(h), a, &v6) == 0)
		return NULL;
	return "must have an IP address or localhost as HOST: a host name would be "
	       "looked up (a blocking DNS query) at each request";
}
