/*
 * config_admin.c - [admin] auth keys: token (the bearer token every
 * /admin/ request needs when set), token_file (the token from the first
 * line of a file, so the secret can stay out of the INI file) and
 * allowed_ips (addresses or CIDR blocks the admin listener answers;
 * default loopback only: 127.0.0.0/8 and ::1). Also the numeric IP parser
 * and the allowed_ips check the HTTP server (httpd.c) uses.
 *
 * Memory: struct ilpd_admin_auth in struct ilpd_conf (token 256 bytes +
 * ILPD_ADMIN_ALLOW_MAX * 18 bytes); parsing uses the stack only. Tokens
 * are never echoed in messages.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"

enum { KA_TOKEN, KA_TOKEN_FILE, KA_ALLOWED_IPS };

static const struct ilpd_cidr conf_loopback[2] = {
	{ { 127 }, 8, false },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128, true },
};

void conf_admin_defaults(struct ilpd_conf *c)
{
	struct ilpd_admin_auth *a = &c->admin_auth;

	a->token[0] = '\0';
	memcpy(a->allow, conf_loopback, sizeof(conf_loopback));
	a->nallow = 2;
}

/* ---- numeric addresses ------------------------------------------------- */

static int ip4_parse(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (digits > 0 && v == 0)
				return -1;          /* no leading zeros */
			v = v * 10 + (unsigned)(s[i] - '0');
			if (v > 255)
				return -1;
			digits++;
			i++;
		}
		if (digits == 0)
			return -1;
		out[part] = (uint8_t)v;
	}
	return i == n ? 0 : -1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* RFC 4291 text: 8 groups, one "::" for a run of zero groups, an IPv4
 * dotted quad as the last 32 bits. */
static int ip6_parse(const char *s, size_t n, uint8_t out[16])
{
	uint8_t g[16];
	size_t i = 0, ng = 0;
	int gap = -1;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (n >= 1 && s[0] == ':') {
		return -1;
	}
	while (i < n) {
		size_t st = i, k;
		unsigned v = 0;

		/* a dotted quad ends the address */
		for (k = i; k < n && s[k] != ':'; k++)
			;
		if (k == n && memchr(s + i, '.', n - i) != NULL) {
			if (ng > 12 || ip4_parse(s + i, n - i, g + ng) != 0)
				return -1;
			ng += 4;
			i = n;
			break;
		}
		while (i < n && i - st < 4 && hexval(s[i]) >= 0)
			v = v << 4 | (unsigned)hexval(s[i++]);
		if (i == st || ng > 14)
			return -1;
		g[ng++] = (uint8_t)(v >> 8);
		g[ng++] = (uint8_t)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return -1;
		i++;
		if (i < n && s[i] == ':') {
			if (gap >= 0)
				return -1;
			gap = (int)ng;
			i++;
		} else if (i == n) {
			return -1;                  /* a trailing single ':' */
		}
	}
	if (gap < 0) {
		if (ng != 16)
			return -1;
		memcpy(out, g, 16);
		return 0;
	}
	if (ng > 14)
		return -1;
	memset(out, 0, 16);
	memcpy(out, g, (size_t)gap);
	memcpy(out + 16 - (ng - (size_t)gap), g + gap, ng - (size_t)gap);
	return 0;
}

int ilpd_ip_parse(const char *s, size_t n, uint8_t addr[16], bool *v6)
{
	memset(addr, 0, 16);
	*v6 = memchr(s, ':', n) != NULL;
	return *v6 ? ip6_parse(s, n, addr) : ip4_parse(s, n, addr);
}

static bool cidr_match(const struct ilpd_cidr *c, const uint8_t a[16], bool v6)
{
	unsigned full = c->bits / 8u, rest = c->bits % 8u;

	if (c->v6 != v6 || memcmp(c->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool ilpd_admin_ip_allowed(const struct ilpd_admin_auth *a, const char *ip)
{
	uint8_t addr[16];
	bool v6;
	size_t i;

	if (ilpd_ip_parse(ip, strlen(ip), addr, &v6) != 0)
		return false;
	for (i = 0; i < a->nallow; i++)
		if (cidr_match(&a->allow[i], addr, v6))
			return true;
	return false;
}

/* ---- keys ---------------------------------------------------------------- */

/* "ADDR" or "ADDR/BITS" in s[0..n); host bits must be zero. */
static const char *conf_cidr(const char *s, size_t n, struct ilpd_cidr *c)
{
	const char *slash = memchr(s, '/', n);
	size_t an = slash != NULL ? (size_t)(slash - s) : n;
	unsigned bits, max, b;

	if (ilpd_ip_parse(s, an, c->addr, &c->v6) != 0)
		return "is not a numeric IPv4/IPv6 address or CIDR block";
	max = c->v6 ? 128 : 32;
	bits = max;
	if (slash != NULL) {
		size_t i;

		if (an + 1 == n || n - an - 1 > 3)
			return "has a bad prefix length";
		bits = 0;
		for (i = an + 1; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return "has a bad prefix length";
			bits = bits * 10 + (unsigned)(s[i] - '0');
		}
		if (bits > max)
			return "has a prefix length beyond the address";
	}
	for (b = bits; b < max; b++)
		if (c->addr[b / 8] & (0x80 >> (b % 8)))
			return "has bits set after its prefix length";
	c->bits = (uint8_t)bits;
	return NULL;
}

static int conf_allowed_ips(struct conf_parse *st, const char *v)
{
	struct ilpd_admin_auth *a = &st->c->admin_auth;
	const char *p = v;

	a->nallow = 0;
	a->allow_line = st->line;
	for (;;) {
		const char *e = strchr(p, ','), *why;
		size_t n;
		char show[64];

		if (e == NULL)
			e = p + strlen(p);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0) {
			conf_fail(st, st->line, "'allowed_ips' has an empty entry");
			return -1;
		}
		if (a->nallow == ILPD_ADMIN_ALLOW_MAX) {
			conf_fail(st, st->line, "'allowed_ips' has more than %d entries",
				  ILPD_ADMIN_ALLOW_MAX);
			return -1;
		}
		why = conf_cidr(p, n, &a->allow[a->nallow]);
		if (why != NULL) {
			conf_fail(st, st->line, "'allowed_ips': '%s' %s",
				  conf_show(p, n, show, sizeof(show)), why);
			return -1;
		}
		a->nallow++;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

/* A token: printable ASCII without blanks (it travels in a header). */
static int conf_token_ok(struct conf_parse *st, const char *key, const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > ILPD_CONF_TOKEN_MAX) {
		conf_fail(st, st->line, "'%s' must be 1..%d bytes", key, ILPD_CONF_TOKEN_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)t[i];

		if (ch <= 0x20 || ch >= 0x7f) {
			conf_fail(st, st->line, "'%s' must be printable ASCII without blanks",
				  key);
			return -1;
		}
	}
	return 0;
}

/* The first line of a regular file (its line ending dropped). */
static int conf_token_file(struct conf_parse *st, const char *path)
{
	struct ilpd_admin_auth *a = &st->c->admin_auth;
	char buf[ILPD_CONF_TOKEN_MAX + 3];
	struct stat sb;
	ssize_t got;
	size_t n = 0;
	int fd;

	if (path[0] != '/') {
		conf_fail(st, st->line, "'token_file' must be an absolute path");
		return -1;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		conf_fail(st, st->line, "'token_file': %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		(void)close(fd);
		conf_fail(st, st->line, "'token_file' is not a regular file");
		return -1;
	}
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			(void)close(fd);
			conf_fail(st, st->line, "'token_file': %s", strerror(errno));
			return -1;
		}
		n += (size_t)got;
	}
	(void)close(fd);
	{
		const char *nl = memchr(buf, '\n', n);

		if (nl != NULL)
			n = (size_t)(nl - buf);
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	if (conf_token_ok(st, "token_file", buf, n) != 0)
		return -1;
	memcpy(a->token, buf, n);
	a->token[n] = '\0';
	return 0;
}

int conf_set_admin(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_admin_auth *a = &st->c->admin_auth;

	switch (k) {
	case KA_TOKEN:
	case KA_TOKEN_FILE:
		if ((k == KA_TOKEN ? a->token_file_line : a->token_line) != 0) {
			conf_fail(st, st->line, "give 'token' or 'token_file', not both");
			return -1;
		}
		if (k == KA_TOKEN_FILE) {
			a->token_file_line = st->line;
			return conf_token_file(st, v);
		}
		a->token_line = st->line;
		if (conf_token_ok(st, "token", v, strlen(v)) != 0)
			return -1;
		memcpy(a->token, v, strlen(v) + 1);
		return 0;
	case KA_ALLOWED_IPS:
		return conf_allowed_ips(st, v);
	default:
		return -1;
	}
}
