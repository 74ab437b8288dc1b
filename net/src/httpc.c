/*
 * httpc.c - the HTTP/1.1 client engine (see net/httpc.h): request builder
 * and incremental response parser.
 *
 * IMPLEMENTATION NOTES
 * - The head is copied byte by byte into head_buf while a 4-state matcher
 *   looks for CRLFCRLF, so a head fed one byte at a time costs O(n), not
 *   O(n^2); only then is it parsed (once) by http_parse_response. Views in
 *   r->head point into head_buf.
 * - The body is decoded straight into the caller's buffer; every copy is
 *   bounded by body_cap - body_len, every counter by a limit checked
 *   before it is incremented. The chunked decoder is a byte-level state
 *   machine: nothing is re-scanned, nothing is buffered but the body.
 * - Memory: struct httpc_resp only (see httpc.h); stack use is small.
 * - Trust model: every response byte is untrusted; the request builder's
 *   arguments come from ilpd's own code and configuration, but are still
 *   checked for CR/LF so a bad value cannot inject headers.
 */
#include "net/httpc.h"

#include <stdio.h>
#include <string.h>

#define CR 0x0d
#define LF 0x0a

enum httpc_state {
	ST_HEAD = 0,       /* collecting a head */
	ST_BODY_LEN,       /* Content-Length bytes */
	ST_BODY_CLOSE,     /* until EOF */
	ST_CHUNK_SIZE,     /* hex digits */
	ST_CHUNK_EXT,      /* after the digits, up to CR */
	ST_CHUNK_SIZE_LF,  /* CR seen after the size line */
	ST_CHUNK_DATA,
	ST_CHUNK_DATA_CR,  /* CRLF after chunk data */
	ST_CHUNK_DATA_LF,
	ST_TRAILER,        /* start of a trailer line (or the final CRLF) */
	ST_TRAILER_NAME,   /* a trailer's field name, up to ':' */
	ST_TRAILER_LINE,   /* a trailer's value */
	ST_TRAILER_LF,     /* CR seen ending a trailer line */
	ST_FINAL_LF,       /* CR seen on the empty line ending the trailers */
	ST_DONE
};

/* ---- request --------------------------------------------------------- */

struct obuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool over;
};

static void ob_put(struct obuf *o, const void *s, size_t n)
{
	if (o->over || o->cap - o->len < n) {
		o->over = true;
		return;
	}
	if (n > 0)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void ob_str(struct obuf *o, const char *s)
{
	ob_put(o, s, strlen(s));
}

static bool httpc_tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Visible ASCII only (request target, host). */
static bool httpc_visible(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((uint8_t)*s <= 0x20 || (uint8_t)*s >= 0x7f)
			return false;
	}
	return true;
}

/* Whole "Name: value\r\n" lines; values without control bytes but HTAB. */
static bool httpc_headers_ok(const char *h)
{
	while (*h != '\0') {
		size_t i = 0;

		while (httpc_tchar((uint8_t)h[i]))
			i++;
		if (i == 0 || h[i] != ':')
			return false;
		for (i++; h[i] != CR; i++) {
			uint8_t c = (uint8_t)h[i];

			if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f)
				return false;
		}
		if (h[i + 1] != LF)
			return false;
		h += i + 2;
	}
	return true;
}

static bool httpc_method_has_body(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
	       strcmp(m, "PATCH") == 0;
}

/* True if the caller's header block (checked by httpc_headers_ok) has a
 * Content-Type line (name compared case-insensitively). */
static bool httpc_has_content_type(const char *h)
{
	static const char name[] = "content-type:";
	size_t i;

	while (h != NULL && *h != '\0') {
		for (i = 0; name[i] != '\0'; i++) {
			char c = h[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != name[i])
				break;
		}
		if (name[i] == '\0')
			return true;
		h = strstr(h, "\r\n");
		if (h != NULL)
			h += 2;
	}
	return false;
}

int httpc_build_request(uint8_t *out, size_t cap, size_t *len,
			const char *method, const char *host, uint16_t port,
			const char *path, const char *extra_headers,
			const uint8_t *body, size_t n)
{
	struct obuf o = { out, cap, 0, false };
	char num[32];
	size_t i;

	*len = 0;
	if (method == NULL || host == NULL || path == NULL || method[0] == '\0' ||
	    host[0] == '\0' || path[0] != '/' || (body == NULL && n != 0))
		return ILP_ERR_ARG;
	for (i = 0; method[i] != '\0'; i++) {
		if (!httpc_tchar((uint8_t)method[i]))
			return ILP_ERR_ARG;
	}
	if (!httpc_visible(host) || strchr(host, '[') != NULL ||
	    strchr(host, '/') != NULL || !httpc_visible(path) ||
	    (extra_headers != NULL && !httpc_headers_ok(extra_headers)))
		return ILP_ERR_ARG;
	ob_str(&o, method);
	ob_str(&o, " ");
	ob_str(&o, path);
	ob_str(&o, " HTTP/1.1\r\nHost: ");
	if (strchr(host, ':') != NULL) {   /* IPv6 literal */
		ob_str(&o, "[");
		ob_str(&o, host);
		ob_str(&o, "]");
	} else {
		ob_str(&o, host);
	}
	if (port != 80) {
		snprintf(num, sizeof(num), ":%u", (unsigned)port);
		ob_str(&o, num);
	}
	ob_str(&o, "\r\n");
	if (extra_headers != NULL)
		ob_str(&o, extra_headers);
	/* JSON is the default; a Content-Type among the caller's headers wins
	 * (one header only: servers disagree on which of two they take). */
	if (body != NULL && !httpc_has_content_type(extra_headers))
		ob_str(&o, "Content-Type: application/json\r\n");
	if (body != NULL || httpc_method_has_body(method)) {
		snprintf(num, sizeof(num), "Content-Length: %zu\r\n", n);
		ob_str(&o, num);
	}
	ob_str(&o, "Connection: keep-alive\r\n\r\n");
	if (body != NULL)
		ob_put(&o, body, n);
	if (o.over)
		return ILP_ERR_OVERFLOW;
	*len = o.len;
	return ILP_OK;
}

/* ---- response -------------------------------------------------------- */

void httpc_resp_init(struct httpc_resp *r, uint8_t *body, size_t cap,
		     bool head_req)
{
	memset(r, 0, offsetof(struct httpc_resp, head));
	r->head.nh = 0;
	r->body = body;
	r->body_cap = body != NULL ? cap : 0;
	r->head_req = head_req;
	r->state = ST_HEAD;
	r->err = ILP_OK;
}

static int httpc_fail(struct httpc_resp *r, int err)
{
	r->err = err;
	r->keep_alive = false;
	return err;
}

/* Content-Length: 1*DIGIT, at most 19 digits (no overflow). Every
 * Content-Length header must carry the same value. */
static int httpc_content_length(const struct http_head *h, bool *has,
				uint64_t *len)
{
	size_t i, j;

	*has = false;
	*len = 0;
	for (i = 0; i < h->nh; i++) {
		const struct http_str *v = &h->h[i].value;
		uint64_t x = 0;

		if (!http_str_ieq(&h->h[i].name, "content-length"))
			continue;
		if (v->n == 0 || v->n > 19)
			return ILP_ERR_INVALID;
		for (j = 0; j < v->n; j++) {
			if (v->p[j] < '0' || v->p[j] > '9')
				return ILP_ERR_INVALID;
			x = x * 10 + (uint64_t)(v->p[j] - '0');
		}
		if (*has && x != *len)
			return ILP_ERR_INVALID;
		*has = true;
		*len = x;
	}
	return ILP_OK;
}

/* Transfer-Encoding: only exactly "chunked" (one header) is accepted. */
static int httpc_transfer_encoding(const struct http_head *h, bool *chunked)
{
	size_t i;
	int seen = 0;

	*chunked = false;
	for (i = 0; i < h->nh; i++) {
		if (!http_str_ieq(&h->h[i].name, "transfer-encoding"))
			continue;
		if (++seen > 1 || !http_str_ieq(&h->h[i].value, "chunked"))
			return ILP_ERR_INVALID;
		*chunked = true;
	}
	return ILP_OK;
}

/* A whole head is in head_buf[0..head_len): parse it and choose how the
 * body is framed. ILP_OK (final head), ILP_ERR_NEED_MORE (a 1xx was
 * skipped: collect the next head), or an error. */
static int httpc_head_done(struct httpc_resp *r)
{
	size_t used;
	bool has_len, chunked;
	uint64_t len;
	const struct http_str *conn;
	int e;

	e = http_parse_response(r->head_buf, r->head_len, &r->head, &used);
	if (e != ILP_OK || used != r->head_len)
		return ILP_ERR_INVALID;
	if (r->head.status >= 100 && r->head.status < 200) {
		if (r->head.status == 101 || ++r->interim > HTTPC_MAX_INTERIM)
			return ILP_ERR_INVALID;
		r->head_len = 0;
		r->crlf = 0;
		r->head.nh = 0;
		return ILP_ERR_NEED_MORE;
	}
	if (r->head.status > 999)
		return ILP_ERR_INVALID;
	r->status = r->head.status;
	r->minor_version = r->head.minor_version;
	conn = http_find(&r->head, "connection");
	if (r->minor_version >= 1)
		r->keep_alive = !http_has_token(conn, "close");
	else
		r->keep_alive = http_has_token(conn, "keep-alive");
	if (httpc_content_length(&r->head, &has_len, &len) != ILP_OK ||
	    httpc_transfer_encoding(&r->head, &chunked) != ILP_OK ||
	    (chunked && has_len))
		return ILP_ERR_INVALID;
	if (r->head_req || r->status == 204 || r->status == 304) {
		r->mode = HTTPC_BODY_NONE;
		r->state = ST_DONE;
	} else if (chunked) {
		r->mode = HTTPC_BODY_CHUNKED;
		r->state = ST_CHUNK_SIZE;
		r->digits = 0;
		r->line_len = 0;
		r->remaining = 0;
	} else if (has_len) {
		if (len > r->body_cap)
			return ILP_ERR_OVERFLOW;
		r->mode = HTTPC_BODY_LENGTH;
		r->remaining = len;
		r->state = len == 0 ? ST_DONE : ST_BODY_LEN;
	} else {
		r->mode = HTTPC_BODY_CLOSE;
		r->keep_alive = false;
		r->state = ST_BODY_CLOSE;
	}
	return ILP_OK;
}

/* Copies up to `want` bytes of p into the body. */
static int httpc_body(struct httpc_resp *r, const uint8_t *p, size_t want)
{
	if (want > r->body_cap - r->body_len)
		return ILP_ERR_OVERFLOW;
	memcpy(r->body + r->body_len, p, want);
	r->body_len += want;
	return ILP_OK;
}

static int httpc_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One step of the parser over p[0..n) (n > 0): the bytes used, or a
 * negative error. Uses 0 bytes only when it changes r->state (the same
 * byte is then read in the new state) or in ST_DONE. */
static long httpc_step(struct httpc_resp *r, const uint8_t *p, size_t n)
{
	size_t i, k;
	int e, h;
	uint8_t c;

	switch (r->state) {
	case ST_HEAD:
		for (i = 0; i < n; i++) {
			c = p[i];
			if (r->head_len == sizeof(r->head_buf))
				return ILP_ERR_OVERFLOW;
			r->head_buf[r->head_len++] = c;
			if (c == CR)
				r->crlf = r->crlf == 2 ? 3 : 1;
			else if (c == LF)
				r->crlf = r->crlf == 1 ? 2 : r->crlf == 3 ? 4 : 0;
			else
				r->crlf = 0;
			if (r->crlf == 4) {
				e = httpc_head_done(r);
				if (e != ILP_OK && e != ILP_ERR_NEED_MORE)
					return e;
				return (long)(i + 1);
			}
		}
		return (long)n;
	case ST_BODY_LEN:
		k = n < r->remaining ? n : (size_t)r->remaining;
		if ((e = httpc_body(r, p, k)) != ILP_OK)
			return e;
		r->remaining -= k;
		if (r->remaining == 0)
			r->state = ST_DONE;
		return (long)k;
	case ST_BODY_CLOSE:
		if ((e = httpc_body(r, p, n)) != ILP_OK)
			return e;
		return (long)n;
	case ST_CHUNK_SIZE:
		c = p[0];
		h = httpc_hex(c);
		if (h >= 0) {
			if (r->digits == 16 || (r->remaining >> 60) != 0)
				return ILP_ERR_INVALID;
			r->remaining = r->remaining * 16 + (uint64_t)h;
			r->digits++;
			r->line_len++;
			return 1;
		}
		if (r->digits == 0)
			return ILP_ERR_INVALID;
		if (r->remaining > r->body_cap - r->body_len)
			return ILP_ERR_OVERFLOW;
		if (c == CR) {
			r->state = ST_CHUNK_SIZE_LF;
			return 1;
		}
		if (c != ';' && c != ' ' && c != '\t')
			return ILP_ERR_INVALID;
		r->state = ST_CHUNK_EXT;
		r->digits = 0;   /* now: ';' seen */
		return 0;        /* the byte is read again as the extension's */
	case ST_CHUNK_EXT:
		/* BWS, then ";" and anything visible up to CR (ignored). */
		for (i = 0; i < n; i++) {
			c = p[i];
			if (c == CR) {
				r->state = ST_CHUNK_SIZE_LF;
				return (long)(i + 1);
			}
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return ILP_ERR_INVALID;
			if (r->digits == 0 && c == ';')
				r->digits = 1;
			else if (r->digits == 0 && c != ' ' && c != '\t')
				return ILP_ERR_INVALID;
			if (++r->line_len > HTTPC_CHUNK_LINE_MAX)
				return ILP_ERR_INVALID;
		}
		return (long)n;
	case ST_CHUNK_SIZE_LF:
		if (p[0] != LF)
			return ILP_ERR_INVALID;
		r->line_len = 0;
		r->digits = 0;
		if (r->remaining == 0) {
			r->state = ST_TRAILER;
		} else {
			r->state = ST_CHUNK_DATA;
		}
		return 1;
	case ST_CHUNK_DATA:
		k = n < r->remaining ? n : (size_t)r->remaining;
		if ((e = httpc_body(r, p, k)) != ILP_OK)
			return e;
		r->remaining -= k;
		if (r->remaining == 0)
			r->state = ST_CHUNK_DATA_CR;
		return (long)k;
	case ST_CHUNK_DATA_CR:
		if (p[0] != CR)
			return ILP_ERR_INVALID;
		r->state = ST_CHUNK_DATA_LF;
		return 1;
	case ST_CHUNK_DATA_LF:
		if (p[0] != LF)
			return ILP_ERR_INVALID;
		r->state = ST_CHUNK_SIZE;
		return 1;
	case ST_TRAILER:
		/* r->line_len counts all trailer bytes. */
		if (++r->line_len > HTTPC_TRAILER_MAX)
			return ILP_ERR_INVALID;
		if (p[0] == CR) {
			r->state = ST_FINAL_LF;
			return 1;
		}
		if (!httpc_tchar(p[0]))
			return ILP_ERR_INVALID;
		r->state = ST_TRAILER_NAME;
		return 1;
	case ST_TRAILER_NAME:
		if (++r->line_len > HTTPC_TRAILER_MAX)
			return ILP_ERR_INVALID;
		if (p[0] == ':')
			r->state = ST_TRAILER_LINE;
		else if (!httpc_tchar(p[0]))
			return ILP_ERR_INVALID;
		return 1;
	case ST_TRAILER_LINE:
		for (i = 0; i < n; i++) {
			c = p[i];
			if (++r->line_len > HTTPC_TRAILER_MAX)
				return ILP_ERR_INVALID;
			if (c == CR) {
				r->state = ST_TRAILER_LF;
				return (long)(i + 1);
			}
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return ILP_ERR_INVALID;
		}
		return (long)n;
	case ST_TRAILER_LF:
		if (p[0] != LF || ++r->line_len > HTTPC_TRAILER_MAX)
			return ILP_ERR_INVALID;
		r->state = ST_TRAILER;
		return 1;
	case ST_FINAL_LF:
		if (p[0] != LF)
			return ILP_ERR_INVALID;
		r->state = ST_DONE;
		return 1;
	default:
		return 0;
	}
}

int httpc_resp_feed(struct httpc_resp *r, const uint8_t *p, size_t n,
		    size_t *used)
{
	size_t off = 0;

	*used = 0;
	if (r->err != ILP_OK)
		return r->err;
	while (off < n && r->state != ST_DONE) {
		long k = httpc_step(r, p + off, n - off);

		if (k < 0)
			return httpc_fail(r, (int)k);
		off += (size_t)k;
		r->received += (uint64_t)k;
	}
	*used = off;
	return r->state == ST_DONE ? ILP_OK : ILP_ERR_NEED_MORE;
}

int httpc_resp_eof(struct httpc_resp *r)
{
	if (r->err != ILP_OK)
		return r->err;
	if (r->state == ST_BODY_CLOSE)
		r->state = ST_DONE;
	if (r->state == ST_DONE) {
		r->keep_alive = false;
		return ILP_OK;
	}
	return httpc_fail(r, r->received == 0 ? ILP_ERR_NEED_MORE : ILP_ERR_INVALID);
}

bool httpc_resp_has_head(const struct httpc_resp *r)
{
	return r->state != ST_HEAD;
}

bool httpc_resp_done(const struct httpc_resp *r)
{
	return r->err == ILP_OK && r->state == ST_DONE;
}

bool httpc_resp_reusable(const struct httpc_resp *r)
{
	return httpc_resp_done(r) && r->keep_alive &&
	       r->mode != HTTPC_BODY_CLOSE;
}

uint64_t httpc_resp_received(const struct httpc_resp *r)
{
	return r->received;
}

const struct http_str *httpc_resp_header(const struct httpc_resp *r,
					 const char *name)
{
	if (!httpc_resp_has_head(r))
		return NULL;
	return http_find(&r->head, name);
}
