/*
 * torctl.c - tor control protocol engine: reply reader, command builders,
 * reply and event parsers. Pure: no sockets, no files, no clock, no
 * logging (see net/torctl.h).
 *
 * IMPLEMENTATION NOTES
 * - The reader copies one line at a time into r->line (TORCTL_LINE_MAX
 *   plus room for the CR and a NUL) and hands out a pointer to it, so the
 *   caller sees a NUL-terminated string whatever the split of the input.
 *   It returns after each complete line: one call never yields two lines,
 *   and a line never needs more buffering than one line. A line ends at LF;
 *   a CR right before it is dropped (tor always sends CRLF; a bare LF is
 *   accepted as control-spec 2.2 asks of robust readers).
 * - '+' lines start a data block that runs to a line holding only "."; data
 *   lines are dot-unstuffed (a leading "." is removed) and reported as
 *   TORCTL_DATA, the "." as TORCTL_DATA_END. The block's total size is
 *   bounded by TORCTL_DATA_MAX.
 * - Arguments of reply lines are scanned by kv_next(): words separated by
 *   spaces, each "NAME", "NAME=VALUE" or "NAME=\"quoted\"". Quoted values
 *   are skipped as a whole, so a "KEY=" inside a quoted string never
 *   matches.
 * - SAFECOOKIE: torctl_safecookie() only computes; comparing SERVERHASH
 *   (in constant time) and deciding to send AUTHENTICATE is the caller's.
 * - Builders write through struct tc_out, whose first error sticks (like
 *   the OER writer), so a sequence of puts needs one check at the end.
 */
#include "net/torctl.h"
#include "hal/hal_crypto.h"
#include "ilp/hexdigit.h"

#include <string.h>

/* ---- reader --------------------------------------------------------------- */

void torctl_reader_init(struct torctl_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->state = TORCTL_RD_LINE;
}

static int rd_fail(struct torctl_reader *r)
{
	r->state = TORCTL_RD_FAILED;
	r->len = 0;
	return ILP_ERR_INVALID;
}

/* "DDD<sep>text": fills *out or fails. */
static int rd_reply_line(struct torctl_reader *r, struct torctl_line *out)
{
	const char *l = r->line;
	char sep;

	if (r->len < 4 || l[0] < '2' || l[0] > '6' || l[1] < '0' || l[1] > '9' ||
	    l[2] < '0' || l[2] > '9')
		return rd_fail(r);
	sep = l[3];
	if (sep != ' ' && sep != '-' && sep != '+')
		return rd_fail(r);
	out->kind = TORCTL_REPLY;
	out->sep = sep;
	out->status = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	out->async = out->status >= 600;
	out->last = sep == ' ';
	out->text = l + 4;
	out->len = r->len - 4;
	if (sep == '+') {
		r->state = TORCTL_RD_DATA;
		r->data_status = out->status;
		r->data_bytes = 0;
	}
	return ILP_OK;
}

/* One line of a data block, or its end. */
static int rd_data_line(struct torctl_reader *r, struct torctl_line *out)
{
	out->sep = '+';
	out->status = r->data_status;
	out->async = out->status >= 600;
	out->last = false;
	if (r->len == 1 && r->line[0] == '.') {
		r->state = TORCTL_RD_LINE;
		out->kind = TORCTL_DATA_END;
		out->text = r->line + 1;
		out->len = 0;
		return ILP_OK;
	}
	r->data_bytes += r->len + 1;
	if (r->data_bytes > TORCTL_DATA_MAX)
		return rd_fail(r);
	out->kind = TORCTL_DATA;
	out->text = r->line;
	out->len = r->len;
	if (r->len > 0 && r->line[0] == '.') {
		out->text++;
		out->len--;
	}
	return ILP_OK;
}

static int rd_finish(struct torctl_reader *r, struct torctl_line *out)
{
	if (r->len > 0 && r->line[r->len - 1] == '\r')
		r->len--;
	if (r->len > TORCTL_LINE_MAX)
		return rd_fail(r);
	r->line[r->len] = '\0';
	if (r->state == TORCTL_RD_DATA)
		return rd_data_line(r, out);
	return rd_reply_line(r, out);
}

int torctl_read(struct torctl_reader *r, const uint8_t *p, size_t n,
		size_t *consumed, struct torctl_line *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->text = "";
	*consumed = n;
	if (r->state == TORCTL_RD_FAILED)
		return ILP_ERR_INVALID;
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '\n') {
			int rc;

			*consumed = i + 1;
			rc = rd_finish(r, out);
			if (rc != ILP_OK) {
				*consumed = n;
				return rc;
			}
			/* the next call starts a new line; out->text stays
			 * valid because len is only reset here, before any
			 * new byte is stored */
			r->len = 0;
			return ILP_OK;
		}
		if (c == '\0')
			return rd_fail(r);
		/* room for TORCTL_LINE_MAX characters plus the CR */
		if (r->len >= TORCTL_LINE_MAX + 1)
			return rd_fail(r);
		r->line[r->len++] = (char)c;
	}
	return ILP_ERR_NEED_MORE;
}

/* ---- command builders ----------------------------------------------------- */

struct tc_out {
	char *p;
	size_t cap;
	size_t len;
	int err;
};

static void out_init(struct tc_out *o, char *p, size_t cap)
{
	o->p = p;
	o->cap = cap;
	o->len = 0;
	o->err = ILP_OK;
}

static void out_mem(struct tc_out *o, const void *s, size_t n)
{
	if (o->err != ILP_OK)
		return;
	if (n > o->cap || o->len > o->cap - n) {
		o->err = ILP_ERR_OVERFLOW;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void out_str(struct tc_out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_ch(struct tc_out *o, char c)
{
	out_mem(o, &c, 1);
}

static void out_u16(struct tc_out *o, uint16_t v)
{
	char d[5];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v = (uint16_t)(v / 10);
	} while (v != 0);
	out_mem(o, d + i, sizeof(d) - i);
}

/* Ends the command with CRLF and reports. The buffer also gets a NUL when
 * there is room (not counted), so it can be looked at as a string. */
static int out_end(struct tc_out *o, size_t *len)
{
	out_mem(o, "\r\n", 2);
	*len = 0;
	if (o->err != ILP_OK)
		return o->err;
	if (o->len < o->cap)
		o->p[o->len] = '\0';
	*len = o->len;
	return ILP_OK;
}

/* A token safe on a command line: 1+ printable bytes, spaces only if
 * allowed (never leading or trailing). */
static bool tok_ok(const char *s, bool spaces)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' && spaces && i > 0 && i + 1 < n && s[i - 1] != ' ')
			continue;
		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

int torctl_cmd_protocolinfo(char *out, size_t cap, size_t *len)
{
	struct tc_out o;

	out_init(&o, out, cap);
	out_str(&o, "PROTOCOLINFO 1");
	return out_end(&o, len);
}

int torctl_cmd_auth_cookie(char *out, size_t cap, const uint8_t *cookie,
			   size_t n, size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	struct tc_out o;
	size_t i;

	*len = 0;
	if (cookie == NULL || n == 0 || n > 64)
		return ILP_ERR_ARG;
	out_init(&o, out, cap);
	out_str(&o, "AUTHENTICATE ");
	for (i = 0; i < n; i++) {
		out_ch(&o, hex[cookie[i] >> 4]);
		out_ch(&o, hex[cookie[i] & 0xf]);
	}
	return out_end(&o, len);
}

int torctl_cmd_auth_password(char *out, size_t cap, const char *password,
			     size_t *len)
{
	struct tc_out o;
	size_t i, n;

	*len = 0;
	if (password == NULL || (n = strlen(password)) > TORCTL_PASSWORD_MAX)
		return ILP_ERR_ARG;
	out_init(&o, out, cap);
	out_str(&o, "AUTHENTICATE \"");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)password[i];

		if (c == '"' || c == '\\') {
			out_ch(&o, '\\');
			out_ch(&o, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			out_ch(&o, '\\');
			out_ch(&o, (char)('0' + (c >> 6)));
			out_ch(&o, (char)('0' + ((c >> 3) & 7)));
			out_ch(&o, (char)('0' + (c & 7)));
		} else {
			out_ch(&o, (char)c);
		}
	}
	out_ch(&o, '"');
	return out_end(&o, len);
}

/* "<verb> <arg>" with arg a token (spaces inside if allowed). */
static int cmd_verb_arg(char *out, size_t cap, const char *verb,
			const char *arg, bool spaces, size_t *len)
{
	struct tc_out o;

	*len = 0;
	if (!tok_ok(arg, spaces))
		return ILP_ERR_ARG;
	out_init(&o, out, cap);
	out_str(&o, verb);
	out_ch(&o, ' ');
	out_str(&o, arg);
	return out_end(&o, len);
}

int torctl_cmd_getinfo(char *out, size_t cap, const char *key, size_t *len)
{
	return cmd_verb_arg(out, cap, "GETINFO", key, false, len);
}

int torctl_cmd_setevents(char *out, size_t cap, const char *events, size_t *len)
{
	return cmd_verb_arg(out, cap, "SETEVENTS", events, true, len);
}

int torctl_cmd_del_onion(char *out, size_t cap, const char *id, size_t *len)
{
	*len = 0;
	if (id == NULL || !torctl_id_valid(id, strlen(id)))
		return ILP_ERR_ARG;
	return cmd_verb_arg(out, cap, "DEL_ONION", id, false, len);
}

int torctl_cmd_signal(char *out, size_t cap, const char *name, size_t *len)
{
	return cmd_verb_arg(out, cap, "SIGNAL", name, false, len);
}

int torctl_cmd_takeownership(char *out, size_t cap, size_t *len)
{
	struct tc_out o;

	out_init(&o, out, cap);
	out_str(&o, "TAKEOWNERSHIP");
	return out_end(&o, len);
}

int torctl_cmd_add_onion(char *out, size_t cap, const char *key,
			 uint16_t vport, const char *ip, uint16_t port,
			 size_t *len)
{
	struct tc_out o;
	bool v6;

	*len = 0;
	if (key != NULL && key[0] != '\0' && !torctl_key_valid(key, strlen(key)))
		return ILP_ERR_ARG;
	if (!tok_ok(ip, false) || strchr(ip, ',') != NULL || vport == 0 || port == 0)
		return ILP_ERR_ARG;
	v6 = strchr(ip, ':') != NULL && ip[0] != '[';
	out_init(&o, out, cap);
	out_str(&o, "ADD_ONION ");
	out_str(&o, key != NULL && key[0] != '\0' ? key : "NEW:ED25519-V3");
	out_str(&o, " Port=");
	out_u16(&o, vport);
	out_ch(&o, ',');
	if (v6)
		out_ch(&o, '[');
	out_str(&o, ip);
	if (v6)
		out_ch(&o, ']');
	out_ch(&o, ':');
	out_u16(&o, port);
	return out_end(&o, len);
}

/* ---- quoted strings and arguments ------------------------------------- */

static int oct(char c)
{
	return c >= '0' && c <= '7' ? c - '0' : -1;
}


/* Decodes the escape at s[*i] (just after the backslash) into *c. */
static int unescape(const char *s, size_t n, size_t *i, unsigned *c)
{
	char e = s[*i];
	int d, k;

	(*i)++;
	switch (e) {
	case 'n': *c = '\n'; return ILP_OK;
	case 'r': *c = '\r'; return ILP_OK;
	case 't': *c = '\t'; return ILP_OK;
	case '\\': case '"': case '\'': *c = (unsigned char)e; return ILP_OK;
	case 'x':
		if (*i + 2 > n || ilp_hex_digit(s[*i]) < 0 || ilp_hex_digit(s[*i + 1]) < 0)
			return ILP_ERR_INVALID;
		*c = (unsigned)(ilp_hex_digit(s[*i]) * 16 + ilp_hex_digit(s[*i + 1]));
		*i += 2;
		return ILP_OK;
	default:
		break;
	}
	if ((d = oct(e)) < 0)
		return ILP_ERR_INVALID;
	*c = (unsigned)d;
	for (k = 0; k < 2 && *i < n && oct(s[*i]) >= 0; k++)
		*c = *c * 8 + (unsigned)oct(s[(*i)++]);
	return *c <= 0xff ? ILP_OK : ILP_ERR_INVALID;
}

int torctl_unquote(const char *s, size_t n, char *out, size_t cap,
		   size_t *used)
{
	size_t i = 1, o = 0;
	bool over = false;

	*used = 0;
	if (cap > 0)
		out[0] = '\0';
	if (n == 0 || s[0] != '"' || cap == 0)
		return ILP_ERR_INVALID;
	while (i < n) {
		unsigned c = (unsigned char)s[i];

		if (c == '"') {
			*used = i + 1;
			out[o] = '\0';
			return over ? ILP_ERR_OVERFLOW : ILP_OK;
		}
		i++;
		if (c == '\\') {
			if (i >= n || unescape(s, n, &i, &c) != ILP_OK)
				return ILP_ERR_INVALID;
		}
		if (c == 0)
			return ILP_ERR_INVALID;
		if (o + 1 < cap)
			out[o++] = (char)c;
		else
			over = true;
	}
	out[o] = '\0';
	return ILP_ERR_INVALID;
}

/* One argument word of a reply line. */
struct kv {
	const char *name;
	size_t nlen;
	const char *val;      /* NULL: a bare word */
	size_t vlen;          /* raw length (quotes included if quoted) */
	bool quoted;
};

/* Scans the word at s[*pos]; ILP_ERR_NOT_FOUND at the end of the line. */
static int kv_next(const char *s, size_t n, size_t *pos, struct kv *kv)
{
	size_t i = *pos, j;

	while (i < n && s[i] == ' ')
		i++;
	if (i >= n)
		return ILP_ERR_NOT_FOUND;
	memset(kv, 0, sizeof(*kv));
	kv->name = s + i;
	for (j = i; j < n && s[j] != ' ' && s[j] != '='; j++)
		;
	kv->nlen = j - i;
	if (j < n && s[j] == '=') {
		j++;
		kv->val = s + j;
		if (j < n && s[j] == '"') {
			char skip[2];
			size_t used;
			int r = torctl_unquote(s + j, n - j, skip, sizeof(skip), &used);

			if (r != ILP_OK && r != ILP_ERR_OVERFLOW)
				return ILP_ERR_INVALID;
			kv->quoted = true;
			kv->vlen = used;
			j += used;
			if (j < n && s[j] != ' ')
				return ILP_ERR_INVALID;
		} else {
			while (j < n && s[j] != ' ')
				j++;
			kv->vlen = (size_t)(s + j - kv->val);
		}
	}
	*pos = j;
	return ILP_OK;
}

static bool kv_is(const struct kv *kv, const char *name)
{
	size_t n = strlen(name);

	return kv->nlen == n && memcmp(kv->name, name, n) == 0;
}

/* The value of kv into out (cap with NUL), unquoted; cut when too long if
 * cut, else OVERFLOW. */
static int kv_value(const struct kv *kv, char *out, size_t cap, bool cut)
{
	size_t used;
	int r;

	if (kv->val == NULL)
		return ILP_ERR_INVALID;
	if (kv->quoted) {
		r = torctl_unquote(kv->val, kv->vlen, out, cap, &used);
		return r == ILP_ERR_OVERFLOW && cut ? ILP_OK : r;
	}
	if (kv->vlen >= cap && !cut)
		return ILP_ERR_OVERFLOW;
	used = kv->vlen < cap ? kv->vlen : cap - 1;
	memcpy(out, kv->val, used);
	out[used] = '\0';
	return ILP_OK;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

/* ---- PROTOCOLINFO --------------------------------------------------------- */

void torctl_protocolinfo_init(struct torctl_protocolinfo *pi)
{
	memset(pi, 0, sizeof(*pi));
}

static unsigned auth_method(const char *s, size_t n)
{
	static const struct { const char *name; unsigned bit; } m[] = {
		{ "NULL", TORCTL_AUTH_NULL },
		{ "HASHEDPASSWORD", TORCTL_AUTH_HASHEDPASSWORD },
		{ "COOKIE", TORCTL_AUTH_COOKIE },
		{ "SAFECOOKIE", TORCTL_AUTH_SAFECOOKIE },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (strlen(m[i].name) == n && memcmp(m[i].name, s, n) == 0)
			return m[i].bit;
	}
	return 0;
}

static int pi_methods(struct torctl_protocolinfo *pi, const struct kv *kv)
{
	size_t i = 0, j;

	if (kv->val == NULL || kv->quoted)
		return ILP_ERR_INVALID;
	while (i < kv->vlen) {
		for (j = i; j < kv->vlen && kv->val[j] != ','; j++)
			;
		pi->methods |= auth_method(kv->val + i, j - i);
		i = j + 1;
	}
	return ILP_OK;
}

int torctl_parse_protocolinfo(struct torctl_protocolinfo *pi,
			      const char *text, size_t n)
{
	struct kv kv;
	size_t pos = 5;
	int r;

	if (!starts(text, n, "AUTH "))
		return ILP_OK;
	pi->have_auth = true;
	while ((r = kv_next(text, n, &pos, &kv)) == ILP_OK) {
		if (kv_is(&kv, "METHODS"))
			r = pi_methods(pi, &kv);
		else if (kv_is(&kv, "COOKIEFILE"))
			r = kv.quoted ? kv_value(&kv, pi->cookie_file,
						 sizeof(pi->cookie_file), false)
				      : ILP_ERR_INVALID;
		if (r != ILP_OK)
			return ILP_ERR_INVALID;
	}
	return r == ILP_ERR_NOT_FOUND ? ILP_OK : ILP_ERR_INVALID;
}

/* ---- bootstrap ------------------------------------------------------------ */

static int parse_progress(const struct kv *kv, int *out)
{
	size_t i;
	int v = 0;

	if (kv->val == NULL || kv->quoted || kv->vlen == 0 || kv->vlen > 3)
		return ILP_ERR_INVALID;
	for (i = 0; i < kv->vlen; i++) {
		if (kv->val[i] < '0' || kv->val[i] > '9')
			return ILP_ERR_INVALID;
		v = v * 10 + (kv->val[i] - '0');
	}
	if (v > 100)
		return ILP_ERR_INVALID;
	*out = v;
	return ILP_OK;
}

int torctl_parse_bootstrap(const char *text, size_t n, struct torctl_bootstrap *b)
{
	struct kv kv;
	size_t pos = 0;
	bool seen = false, have = false;
	int r;

	memset(b, 0, sizeof(*b));
	while ((r = kv_next(text, n, &pos, &kv)) == ILP_OK) {
		if (!seen) {
			seen = kv.val == NULL && kv_is(&kv, "BOOTSTRAP");
			continue;
		}
		if (kv_is(&kv, "PROGRESS")) {
			r = parse_progress(&kv, &b->progress);
			have = r == ILP_OK;
		} else if (kv_is(&kv, "TAG")) {
			r = kv_value(&kv, b->tag, sizeof(b->tag), true);
		} else if (kv_is(&kv, "SUMMARY")) {
			r = kv_value(&kv, b->summary, sizeof(b->summary), true);
		}
		if (r != ILP_OK)
			return ILP_ERR_INVALID;
	}
	if (r != ILP_ERR_NOT_FOUND || !have)
		return ILP_ERR_INVALID;
	return ILP_OK;
}

/* ---- ADD_ONION and HS_DESC ------------------------------------------------ */

bool torctl_id_valid(const char *s, size_t n)
{
	size_t i;

	if (n < 16 || n > TORCTL_ID_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7')))
			return false;
	}
	return true;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

bool torctl_key_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > TORCTL_KEY_MAX)
		return false;
	while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
			 s[i] == '-'))
		i++;
	if (i == 0 || i >= n || s[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++) {
		if (!b64_char(s[i]))
			return false;
	}
	return true;
}

void torctl_onion_init(struct torctl_onion *o)
{
	memset(o, 0, sizeof(*o));
}

int torctl_parse_add_onion(struct torctl_onion *o, const char *text, size_t n)
{
	if (starts(text, n, "ServiceID=")) {
		text += 10;
		n -= 10;
		if (!torctl_id_valid(text, n))
			return ILP_ERR_INVALID;
		memcpy(o->id, text, n);
		o->id[n] = '\0';
	} else if (starts(text, n, "PrivateKey=")) {
		text += 11;
		n -= 11;
		if (!torctl_key_valid(text, n))
			return ILP_ERR_INVALID;
		memcpy(o->key, text, n);
		o->key[n] = '\0';
	}
	return ILP_OK;
}

int torctl_parse_hs_desc(const char *text, size_t n, struct torctl_hs_desc *ev)
{
	struct kv verb, act, addr;
	size_t pos = 0;

	memset(ev, 0, sizeof(*ev));
	if (kv_next(text, n, &pos, &verb) != ILP_OK || verb.val != NULL ||
	    !kv_is(&verb, "HS_DESC"))
		return ILP_ERR_NOT_FOUND;
	if (kv_next(text, n, &pos, &act) != ILP_OK || act.val != NULL ||
	    kv_next(text, n, &pos, &addr) != ILP_OK || addr.val != NULL)
		return ILP_ERR_INVALID;
	if (kv_is(&act, "UPLOAD"))
		ev->action = TORCTL_HS_UPLOAD;
	else if (kv_is(&act, "UPLOADED"))
		ev->action = TORCTL_HS_UPLOADED;
	else if (kv_is(&act, "FAILED"))
		ev->action = TORCTL_HS_FAILED;
	else
		ev->action = TORCTL_HS_OTHER;
	if (torctl_id_valid(addr.name, addr.nlen)) {
		memcpy(ev->address, addr.name, addr.nlen);
		ev->address[addr.nlen] = '\0';
	} else if (ev->action != TORCTL_HS_OTHER) {
		return ILP_ERR_INVALID;
	}
	return ILP_OK;
}

/* ---- SAFECOOKIE ------------------------------------------------------------ */

int torctl_cmd_authchallenge(char *out, size_t cap,
			     const uint8_t nonce[TORCTL_NONCE_LEN], size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	struct tc_out o;
	size_t i;

	*len = 0;
	if (nonce == NULL)
		return ILP_ERR_ARG;
	out_init(&o, out, cap);
	out_str(&o, "AUTHCHALLENGE SAFECOOKIE ");
	for (i = 0; i < TORCTL_NONCE_LEN; i++) {
		out_ch(&o, hex[nonce[i] >> 4]);
		out_ch(&o, hex[nonce[i] & 0xf]);
	}
	return out_end(&o, len);
}

/* Exactly 2 * n hex digits of an unquoted value into out[0..n). */
static int kv_hex(const struct kv *kv, uint8_t *out, size_t n)
{
	size_t i;

	if (kv->val == NULL || kv->quoted || kv->vlen != 2 * n)
		return ILP_ERR_INVALID;
	for (i = 0; i < n; i++) {
		int hi = ilp_hex_digit(kv->val[2 * i]);
		int lo = ilp_hex_digit(kv->val[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return ILP_ERR_INVALID;
		out[i] = (uint8_t)(hi * 16 + lo);
	}
	return ILP_OK;
}

int torctl_parse_authchallenge(const char *text, size_t n,
			       struct torctl_challenge *c)
{
	struct kv kv;
	size_t pos = 0;
	bool hash = false, nonce = false;
	int r;

	memset(c, 0, sizeof(*c));
	if (kv_next(text, n, &pos, &kv) != ILP_OK || kv.val != NULL ||
	    !kv_is(&kv, "AUTHCHALLENGE"))
		return ILP_ERR_INVALID;
	while ((r = kv_next(text, n, &pos, &kv)) == ILP_OK) {
		if (kv_is(&kv, "SERVERHASH")) {
			r = hash ? ILP_ERR_INVALID
				 : kv_hex(&kv, c->server_hash, TORCTL_HASH_LEN);
			hash = true;
		} else if (kv_is(&kv, "SERVERNONCE")) {
			r = nonce ? ILP_ERR_INVALID
				  : kv_hex(&kv, c->server_nonce, TORCTL_NONCE_LEN);
			nonce = true;
		}
		if (r != ILP_OK)
			break;
	}
	if (r != ILP_ERR_NOT_FOUND || !hash || !nonce) {
		memset(c, 0, sizeof(*c));
		return ILP_ERR_INVALID;
	}
	return ILP_OK;
}

void torctl_safecookie(const uint8_t cookie[TORCTL_COOKIE_LEN],
		       const uint8_t client_nonce[TORCTL_NONCE_LEN],
		       const uint8_t server_nonce[TORCTL_NONCE_LEN],
		       uint8_t server_hash[TORCTL_HASH_LEN],
		       uint8_t client_hash[TORCTL_HASH_LEN])
{
	static const char skey[] =
		"Tor safe cookie authentication server-to-controller hash";
	static const char ckey[] =
		"Tor safe cookie authentication controller-to-server hash";
	uint8_t msg[TORCTL_COOKIE_LEN + 2 * TORCTL_NONCE_LEN];

	memcpy(msg, cookie, TORCTL_COOKIE_LEN);
	memcpy(msg + TORCTL_COOKIE_LEN, client_nonce, TORCTL_NONCE_LEN);
	memcpy(msg + TORCTL_COOKIE_LEN + TORCTL_NONCE_LEN, server_nonce,
	       TORCTL_NONCE_LEN);
	hal_hmac_sha256((const uint8_t *)skey, sizeof(skey) - 1, msg, sizeof(msg),
			server_hash);
	hal_hmac_sha256((const uint8_t *)ckey, sizeof(ckey) - 1, msg, sizeof(msg),
			client_hash);
	memset(msg, 0, sizeof(msg));
}
