/*
 * torrc.c - what ilpd tells and asks the managed tor in text: the torrc it
 * writes at every start, the check of paths that go into it, and the
 * version line of `tor --version` (which decides whether the onion
 * service's proof-of-work defence can be switched on). Pure text in and
 * out: transport.c runs the daemon.
 */
#include "transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hal/hal_proc.h"

/* Paths go into the torrc unquoted: refuse what tor would split or
 * misread there (blanks, quotes, backslashes, '#', control bytes). */
bool ilpd_torrc_path_ok(const char *p)
{
	for (; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '#')
			return false;
	}
	return true;
}

struct tbuf {
	char *p;
	size_t cap;
	size_t len;
	bool over;
};

static void tput(struct tbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tput(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->over = true;
	else
		b->len += (size_t)n;
}

int ilpd_torrc_build(const struct ilpd_transport *t, char *out, size_t cap, size_t *len)
{
	const struct ilpd_transport_conf *c = &t->conf;
	bool v6 = strchr(t->btp_ip, ':') != NULL;
	struct tbuf b = { out, cap, 0, false };

	tput(&b, "# Written by ilpd at every start: edits here are lost.\n"
	     "# Add options in a file named by [transport] torrc_append.\n");
	if (c->socks_port != 0)
		tput(&b, "SocksPort 127.0.0.1:%u ExtendedErrors\n", (unsigned)c->socks_port);
	else
		tput(&b, "SocksPort 0\n");
	tput(&b, "ControlPort 127.0.0.1:%u\nCookieAuthentication 1\n",
	     (unsigned)c->control_port);
	tput(&b, "DataDirectory %s/tor\n", c->state_dir);
	tput(&b, "HiddenServiceDir %s/onion_service\n", c->state_dir);
	tput(&b, "HiddenServicePort %u %s%s%s:%u\n", (unsigned)t->onion_port,
	     v6 ? "[" : "", t->btp_ip, v6 ? "]" : "", (unsigned)t->btp_port);
	if (t->pow)
		tput(&b, "HiddenServicePoWDefensesEnabled 1\n");
	tput(&b, "__OwningControllerProcess %ld\n", (long)hal_proc_self());
	tput(&b, "Log notice file %s/tor/notice.log\nRunAsDaemon 0\n", c->state_dir);
	if (c->torrc_append[0] != '\0')
		tput(&b, "%%include %s\n", c->torrc_append);
	*len = b.len;
	return b.over ? -1 : 0;
}

/* Up to 6 decimal digits at text[*i] into *out; -1 if none, or more. */
static int read_num(const char *text, size_t n, size_t *i, unsigned *out)
{
	unsigned x = 0;
	size_t d = 0;

	for (; *i < n && text[*i] >= '0' && text[*i] <= '9'; (*i)++, d++) {
		if (d == 6)
			return -1;
		x = x * 10 + (unsigned)(text[*i] - '0');
	}
	*out = x;
	return d > 0 ? 0 : -1;
}

int ilpd_transport_tor_version(const char *text, size_t n, unsigned v[4])
{
	static const char key[] = "Tor version ";
	size_t k = sizeof(key) - 1, i, j;

	for (i = 0; i + k <= n; i++) {
		if ((i > 0 && text[i - 1] != '\n') || memcmp(text + i, key, k) != 0)
			continue;
		i += k;
		for (j = 0; j < 4; j++) {
			if (j > 0) {      /* ".N" follows, else the version ends */
				if (i + 1 >= n || text[i] != '.' ||
				    text[i + 1] < '0' || text[i + 1] > '9')
					break;
				i++;
			}
			if (read_num(text, n, &i, &v[j]) != 0)
				return -1;
		}
		if (j < 3)
			return -1;    /* fewer than 3 numbers */
		if (j == 3)
			v[3] = 0;
		return 0;
	}
	return -1;
}

bool ilpd_transport_tor_has_pow(const unsigned v[4])
{
	/* HiddenServicePoWDefensesEnabled: tor 0.4.8.1-alpha and later */
	if (v[0] != 0)
		return v[0] > 0;
	if (v[1] != 4)
		return v[1] > 4;
	return v[2] >= 8;
}

