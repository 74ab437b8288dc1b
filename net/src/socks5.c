/*
 * socks5.c - SOCKS5 CONNECT client engine (see socks5.h).
 *
 * IMPLEMENTATION NOTES
 * - socks5_start() builds all three client messages at once into out[]:
 *   [0, auth_at) greeting, [auth_at, req_at) RFC 1929 request (empty
 *   without credentials), [req_at, out_end) CONNECT request. Sending is a
 *   cursor (out_pos) that may run up to out_lim; each accepted proxy reply
 *   moves out_lim to the end of the next message, so nothing is sent before
 *   the proxy asked for it (RFC 1928 has no pipelining) and nothing has to
 *   be built later from strings the caller may no longer hold.
 * - Input is parsed one byte at a time by a small state machine (WANT_METHOD,
 *   WANT_AUTH, WANT_REPLY), so a reply split at any byte boundary needs no
 *   reassembly buffer. `pos` counts bytes of the current reply's fixed part;
 *   `skip` counts the BND.ADDR + BND.PORT bytes still to pass over. The
 *   longest reply (a 255-byte domain) is 262 bytes; none is stored.
 * - A non-zero REP ends the exchange as soon as that byte is read: the rest
 *   of a failure reply carries nothing we use, and some proxies close
 *   without sending it.
 * - Credentials are wiped (volatile stores) once the proxy answers them;
 *   the whole buffer, which also holds the destination, once the exchange
 *   ends either way.
 * - Numeric literals are recognised by our own strict parsers (no libc
 *   resolver or inet_pton: this file links nothing that could send a DNS
 *   query; tests/unit/check-socks5-symbols.sh proves it). Anything that is
 *   not a literal is a name and goes to the proxy unchanged.
 */
#include "net/socks5.h"
#include "ilp/hexdigit.h"

#include <string.h>

enum s5_state {
	S5_IDLE = 0,
	S5_WANT_METHOD,
	S5_WANT_AUTH,
	S5_WANT_REPLY,
	S5_DONE,
	S5_FAILED
};

#define S5_VER 0x05
#define S5_AUTH_VER 0x01
#define S5_METHOD_NONE 0x00
#define S5_METHOD_USERPASS 0x02
#define S5_METHOD_REJECT 0xFF
#define S5_CMD_CONNECT 0x01
#define S5_ATYP_IPV4 0x01
#define S5_ATYP_DOMAIN 0x03
#define S5_ATYP_IPV6 0x04

_Static_assert(SOCKS5_OUT_MAX < 65536, "offsets are uint16_t");
_Static_assert(sizeof(struct socks5) == 796, "update the size in socks5.h");

/* Length of s, or SIZE_MAX if longer than SOCKS5_NAME_MAX (bounded scan). */
static size_t s5_len(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0') {
		if (n == SOCKS5_NAME_MAX)
			return SIZE_MAX;
		n++;
	}
	return n;
}

/* Dotted-quad IPv4, four decimal parts 0..255 without leading zeros. */
static bool s5_ipv4(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t d = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9' && d < 4) {
			v = v * 10u + (unsigned)(s[i] - '0');
			i++;
			d++;
		}
		if (d == 0 || d > 3 || v > 255 || (d > 1 && s[i - d] == '0'))
			return false;
		out[part] = (uint8_t)v;
	}
	return i == n;
}


/* Expands the groups w[0..nb) with a "::" at byte gap (or none, gap < 0). */
static bool s5_ipv6_fill(const uint8_t *w, size_t nb, long gap, uint8_t out[16])
{
	size_t g;

	if (gap < 0) {
		if (nb != 16)
			return false;
		memcpy(out, w, 16);
		return true;
	}
	if (nb > 14)
		return false;   /* "::" stands for at least one group */
	g = (size_t)gap;
	memset(out, 0, 16);
	memcpy(out, w, g);
	memcpy(out + 16 - (nb - g), w + g, nb - g);
	return true;
}

/* RFC 4291 text form: hex groups, one "::", an optional dotted IPv4 tail. */
static bool s5_ipv6(const char *s, size_t n, uint8_t out[16])
{
	uint8_t w[16];
	size_t nb = 0, i = 0;
	long gap = -1;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	}
	while (i < n) {
		size_t j = i, d = 0;
		unsigned v = 0;

		while (j < n && ilp_hex_digit(s[j]) >= 0 && d < 5) {
			v = v * 16u + (unsigned)ilp_hex_digit(s[j]);
			j++;
			d++;
		}
		if (j < n && s[j] == '.') {   /* IPv4 tail: the last 32 bits */
			if (nb > 12 || !s5_ipv4(s + i, n - i, w + nb))
				return false;
			nb += 4;
			break;
		}
		if (d == 0 || d > 4 || nb > 14)
			return false;
		w[nb++] = (uint8_t)(v >> 8);
		w[nb++] = (uint8_t)v;
		i = j;
		if (i == n)
			break;
		if (s[i] != ':' || ++i == n)
			return false;
		if (s[i] == ':') {
			if (gap >= 0)
				return false;
			gap = (long)nb;
			i++;
		}
	}
	return s5_ipv6_fill(w, nb, gap, out);
}

/* Writes the CONNECT request for host (hn bytes) at o; returns its length. */
static size_t s5_put_request(uint8_t *o, const char *host, size_t hn, uint16_t port)
{
	size_t at = 4;

	o[0] = S5_VER;
	o[1] = S5_CMD_CONNECT;
	o[2] = 0x00;
	if (s5_ipv4(host, hn, o + 4)) {
		o[3] = S5_ATYP_IPV4;
		at += 4;
	} else if (memchr(host, ':', hn) != NULL &&
		   (s5_ipv6(host, hn, o + 4) ||
		    (hn > 2 && host[0] == '[' && host[hn - 1] == ']' &&
		     s5_ipv6(host + 1, hn - 2, o + 4)))) {
		o[3] = S5_ATYP_IPV6;
		at += 16;
	} else {
		o[3] = S5_ATYP_DOMAIN;
		o[4] = (uint8_t)hn;
		memcpy(o + 5, host, hn);
		at += 1 + hn;
	}
	o[at++] = (uint8_t)(port >> 8);
	o[at++] = (uint8_t)port;
	return at;
}

/* Zeroes out[from, to) with stores the compiler may not drop. */
static void s5_wipe(struct socks5 *s, size_t from, size_t to)
{
	volatile uint8_t *p = s->out;

	while (from < to)
		p[from++] = 0;
}

int socks5_start(struct socks5 *s, const char *host, uint16_t port,
		 const char *user, const char *pass)
{
	size_t hn, un = 0, pn = 0, at = 3;
	uint8_t *o = s->out;

	s5_wipe(s, 0, sizeof(s->out));
	memset(s, 0, offsetof(struct socks5, out));
	if (host == NULL || port == 0 || (user == NULL) != (pass == NULL))
		return -1;
	hn = s5_len(host);
	if (user != NULL) {
		un = s5_len(user);
		pn = s5_len(pass);
	}
	if (hn == 0 || hn == SIZE_MAX || un == SIZE_MAX || pn == SIZE_MAX ||
	    (user != NULL && (un == 0 || pn == 0)))
		return -1;
	s->method = user != NULL ? S5_METHOD_USERPASS : S5_METHOD_NONE;
	o[0] = S5_VER;
	o[1] = 1;   /* one method offered: never a fallback to no-auth */
	o[2] = s->method;
	s->auth_at = (uint16_t)at;
	if (user != NULL) {
		o[at++] = S5_AUTH_VER;
		o[at++] = (uint8_t)un;
		memcpy(o + at, user, un);
		at += un;
		o[at++] = (uint8_t)pn;
		memcpy(o + at, pass, pn);
		at += pn;
	}
	s->req_at = (uint16_t)at;
	at += s5_put_request(o + at, host, hn, port);
	s->out_end = (uint16_t)at;
	s->out_lim = s->auth_at;
	s->state = S5_WANT_METHOD;
	return 0;
}

static bool s5_active(const struct socks5 *s)
{
	return s->state == S5_WANT_METHOD || s->state == S5_WANT_AUTH ||
	       s->state == S5_WANT_REPLY;
}

size_t socks5_output(const struct socks5 *s, const uint8_t **p)
{
	*p = s->out + s->out_pos;
	if (!s5_active(s) || s->out_pos >= s->out_lim)
		return 0;
	return (size_t)(s->out_lim - s->out_pos);
}

void socks5_output_done(struct socks5 *s, size_t n)
{
	const uint8_t *p;
	size_t have = socks5_output(s, &p);

	if (n > have)
		n = have;   /* misuse: never run past what may be sent */
	s->out_pos = (uint16_t)(s->out_pos + n);
}

/* Ends the exchange; the buffer (credentials, destination) is wiped. */
static void s5_end(struct socks5 *s, enum s5_state st, enum socks5_error e)
{
	s->state = (uint8_t)st;
	s->err = (uint8_t)e;
	s5_wipe(s, 0, sizeof(s->out));
	s->out_pos = 0;
	s->out_lim = 0;
	s->out_end = 0;
}

static enum socks5_error s5_rep_error(uint8_t rep)
{
	static const uint8_t basic[] = {
		0, SOCKS5_ERR_GENERAL, SOCKS5_ERR_NOT_ALLOWED, SOCKS5_ERR_NET_UNREACHABLE,
		SOCKS5_ERR_HOST_UNREACHABLE, SOCKS5_ERR_REFUSED, SOCKS5_ERR_TTL_EXPIRED,
		SOCKS5_ERR_CMD_UNSUPPORTED, SOCKS5_ERR_ATYP_UNSUPPORTED
	};

	if (rep >= 1 && rep <= 8)
		return (enum socks5_error)basic[rep];
	if (rep >= 0xF0 && rep <= 0xF7)
		return (enum socks5_error)(SOCKS5_ERR_ONION_NOT_FOUND + (rep - 0xF0));
	return SOCKS5_ERR_UNKNOWN_REPLY;
}

/* Method selection: VER METHOD. */
static void s5_method_byte(struct socks5 *s, uint8_t b)
{
	if (s->pos == 0) {
		if (b != S5_VER)
			s5_end(s, S5_FAILED, SOCKS5_ERR_BAD_VERSION);
		else
			s->pos = 1;
		return;
	}
	s->pos = 0;
	if (b == S5_METHOD_REJECT) {
		s5_end(s, S5_FAILED, SOCKS5_ERR_NO_METHOD);
	} else if (b != s->method) {
		s5_end(s, S5_FAILED, SOCKS5_ERR_BAD_METHOD);
	} else if (b == S5_METHOD_USERPASS) {
		s->state = S5_WANT_AUTH;
		s->out_lim = s->req_at;
	} else {
		s->state = S5_WANT_REPLY;
		s->out_lim = s->out_end;
	}
}

/* RFC 1929 reply: VER(1) STATUS. */
static void s5_auth_byte(struct socks5 *s, uint8_t b)
{
	if (s->pos == 0) {
		if (b != S5_AUTH_VER)
			s5_end(s, S5_FAILED, SOCKS5_ERR_BAD_AUTH_VERSION);
		else
			s->pos = 1;
		return;
	}
	s->pos = 0;
	if (b != 0x00) {
		s5_end(s, S5_FAILED, SOCKS5_ERR_AUTH_FAILED);
		return;
	}
	s5_wipe(s, s->auth_at, s->req_at);
	if (s->out_pos < s->req_at)
		s->out_pos = s->req_at;
	s->state = S5_WANT_REPLY;
	s->out_lim = s->out_end;
}

/* CONNECT reply: VER REP RSV ATYP, then BND.ADDR and BND.PORT (skipped). */
static void s5_reply_byte(struct socks5 *s, uint8_t b)
{
	if (s->skip > 0) {
		if (--s->skip == 0)
			s5_end(s, S5_DONE, SOCKS5_OK);
		return;
	}
	switch (s->pos++) {
	case 0:
		if (b != S5_VER)
			s5_end(s, S5_FAILED, SOCKS5_ERR_BAD_VERSION);
		break;
	case 1:
		s->rep = b;
		if (b != 0x00)
			s5_end(s, S5_FAILED, s5_rep_error(b));
		break;
	case 2:
		if (b != 0x00)
			s5_end(s, S5_FAILED, SOCKS5_ERR_BAD_REPLY);
		break;
	case 3:
		s->atyp = b;
		if (b == S5_ATYP_IPV4)
			s->skip = 4 + 2;
		else if (b == S5_ATYP_IPV6)
			s->skip = 16 + 2;
		else if (b != S5_ATYP_DOMAIN)
			s5_end(s, S5_FAILED, SOCKS5_ERR_BAD_REPLY);
		break;
	default:   /* domain length (only ATYP 3 gets here) */
		if (b == 0)
			s5_end(s, S5_FAILED, SOCKS5_ERR_BAD_REPLY);
		else
			s->skip = (uint16_t)(b + 2u);
		break;
	}
}

enum socks5_status socks5_input(struct socks5 *s, const uint8_t *p, size_t n,
				size_t *used)
{
	size_t i = 0;

	if (s->state == S5_IDLE)
		s5_end(s, S5_FAILED, SOCKS5_ERR_NOT_STARTED);
	while (i < n && s5_active(s)) {
		uint8_t b = p[i++];

		switch ((enum s5_state)s->state) {
		case S5_WANT_METHOD:
			s5_method_byte(s, b);
			break;
		case S5_WANT_AUTH:
			s5_auth_byte(s, b);
			break;
		case S5_WANT_REPLY:
			s5_reply_byte(s, b);
			break;
		case S5_IDLE:
		case S5_DONE:
		case S5_FAILED:
			break;
		}
	}
	*used = i;
	return socks5_status(s);
}

enum socks5_status socks5_status(const struct socks5 *s)
{
	if (s->state == S5_DONE)
		return SOCKS5_DONE;
	if (s->state == S5_FAILED)
		return SOCKS5_FAILED;
	return SOCKS5_NEED_MORE;
}

enum socks5_error socks5_error(const struct socks5 *s)
{
	return (enum socks5_error)s->err;
}

uint8_t socks5_reply_code(const struct socks5 *s)
{
	return s->rep;
}

/* Derived from the state, so the struct (and its pinned size) is unchanged:
 * the REP byte is the second byte of the CONNECT reply (pos counts the
 * reply's header from 0 in S5_WANT_REPLY), every failure set at or after
 * it is a REP code or BAD_REPLY (RSV, ATYP, empty domain), and S5_DONE
 * comes only after a whole reply. */
bool socks5_reply_received(const struct socks5 *s)
{
	enum socks5_error e = (enum socks5_error)s->err;

	switch ((enum s5_state)s->state) {
	case S5_DONE:
		return true;
	case S5_WANT_REPLY:
		return s->pos >= 2 || s->skip > 0;
	case S5_FAILED:
		return e == SOCKS5_ERR_BAD_REPLY ||
		       (e >= SOCKS5_ERR_GENERAL && e <= SOCKS5_ERR_UNKNOWN_REPLY);
	case S5_IDLE:
	case S5_WANT_METHOD:
	case S5_WANT_AUTH:
	default:
		return false;
	}
}

bool socks5_error_is_onion(enum socks5_error e)
{
	return e >= SOCKS5_ERR_ONION_NOT_FOUND && e <= SOCKS5_ERR_ONION_INTRO_TIMEOUT;
}

const char *socks5_state_name(const struct socks5 *s)
{
	switch ((enum s5_state)s->state) {
	case S5_IDLE: return "idle";
	case S5_WANT_METHOD: return "want_method";
	case S5_WANT_AUTH: return "want_auth";
	case S5_WANT_REPLY: return "want_reply";
	case S5_DONE: return "done";
	case S5_FAILED: return "failed";
	}
	return "invalid";
}

const char *socks5_error_str(enum socks5_error e)
{
	switch (e) {
	case SOCKS5_OK: return "ok";
	case SOCKS5_ERR_BAD_VERSION: return "proxy is not a SOCKS5 server (bad version)";
	case SOCKS5_ERR_BAD_METHOD: return "proxy chose an authentication method not offered";
	case SOCKS5_ERR_BAD_AUTH_VERSION: return "proxy sent a malformed authentication reply";
	case SOCKS5_ERR_BAD_REPLY: return "proxy sent a malformed reply";
	case SOCKS5_ERR_NO_METHOD: return "proxy accepts none of the offered authentication methods";
	case SOCKS5_ERR_AUTH_FAILED: return "proxy refused the username/password";
	case SOCKS5_ERR_GENERAL: return "proxy: general failure";
	case SOCKS5_ERR_NOT_ALLOWED: return "proxy: connection not allowed by ruleset";
	case SOCKS5_ERR_NET_UNREACHABLE: return "proxy: network unreachable";
	case SOCKS5_ERR_HOST_UNREACHABLE: return "proxy: host unreachable";
	case SOCKS5_ERR_REFUSED: return "proxy: connection refused by the destination";
	case SOCKS5_ERR_TTL_EXPIRED: return "proxy: TTL expired";
	case SOCKS5_ERR_CMD_UNSUPPORTED: return "proxy: command not supported";
	case SOCKS5_ERR_ATYP_UNSUPPORTED: return "proxy: address type not supported";
	case SOCKS5_ERR_ONION_NOT_FOUND: return "onion service not found (not published or offline)";
	case SOCKS5_ERR_ONION_DESC_INVALID: return "onion service descriptor is invalid";
	case SOCKS5_ERR_ONION_INTRO_FAILED: return "onion service introduction failed";
	case SOCKS5_ERR_ONION_REND_FAILED: return "onion service rendezvous failed";
	case SOCKS5_ERR_ONION_AUTH_MISSING: return "onion service requires client authorization";
	case SOCKS5_ERR_ONION_AUTH_WRONG: return "onion service rejected the client authorization";
	case SOCKS5_ERR_ONION_BAD_ADDRESS: return "invalid onion address";
	case SOCKS5_ERR_ONION_INTRO_TIMEOUT: return "onion service introduction timed out";
	case SOCKS5_ERR_UNKNOWN_REPLY: return "proxy: unknown reply code";
	case SOCKS5_ERR_NOT_STARTED: return "SOCKS5 exchange not started";
	case SOCKS5_ERR_PROXY_TIMEOUT: return "proxy connect timed out";
	case SOCKS5_ERR_PROXY_REFUSED: return "proxy refused the connection";
	case SOCKS5_ERR_PROXY_UNREACHABLE: return "proxy connect failed";
	case SOCKS5_ERR_PROXY_CLOSED: return "proxy closed the connection";
	case SOCKS5_ERR_PROXY_IO: return "proxy connection failed";
	}
	return "unknown SOCKS5 error";
}
