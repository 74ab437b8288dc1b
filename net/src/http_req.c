/*
 * http_req.c - request framing for a small HTTP/1.1 server (net/http_req.h).
 * Pure; stack only.
 */
#include "net/http_req.h"

/* Content-Length: every such header plain digits (1..12), all equal; none
 * is 0. 0 or -1. */
static int hr_content_length(const struct http_head *h, size_t *len)
{
	size_t i, j;
	bool seen = false;
	uint64_t v = 0;

	for (i = 0; i < h->nh; i++) {
		const struct http_str *val = &h->h[i].value;
		uint64_t x = 0;

		if (!http_str_ieq(&h->h[i].name, "content-length"))
			continue;
		if (val->n == 0 || val->n > 12)
			return -1;
		for (j = 0; j < val->n; j++) {
			if (val->p[j] < '0' || val->p[j] > '9')
				return -1;
			x = x * 10 + (uint64_t)(val->p[j] - '0');
		}
		if (seen && x != v)
			return -1;
		seen = true;
		v = x;
	}
	/* More than a 32-bit size_t holds is simply too large (413), as
	 * on 64-bit boards, not malformed. */
	*len = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
	return 0;
}

/* "\r\n\r\n" within p[0..n). */
static bool hr_has_end(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
			return true;
	return false;
}

void http_req_frame(const uint8_t *p, size_t n, size_t body_max, struct http_head *h,
		    struct http_req_frame *r)
{
	const struct http_str *te, *ex;
	int pr = http_parse_request(p, n, h, &r->head_len);

	r->body_len = 0;
	r->expect_continue = false;
	if (pr == ILP_ERR_NEED_MORE) {
		r->status = -1;
		r->head_len = 0;
		return;
	}
	if (pr != ILP_OK) {
		/* no end within the limit: too long (431); else malformed */
		r->status = !hr_has_end(p, n < ILPD_HTTP_MAX_HEAD ? n : ILPD_HTTP_MAX_HEAD) ?
			    431 : 400;
		r->head_len = 0;
		return;
	}
	te = http_find(h, "transfer-encoding");
	if (te != NULL) {
		r->status = http_has_token(te, "chunked") ? 411 : 400;
		return;
	}
	if (hr_content_length(h, &r->body_len) != 0) {
		r->body_len = 0;
		r->status = 400;
		return;
	}
	if (r->body_len > body_max) {
		r->status = 413;
		return;
	}
	ex = http_find(h, "expect");
	if (ex != NULL) {
		if (!http_str_ieq(ex, "100-continue")) {
			r->status = 417;
			return;
		}
		r->expect_continue = true;
	}
	r->status = n - r->head_len >= r->body_len ? 0 : -1;
}

static int hr_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_req_path(const struct http_str *t, char *path, size_t cap, size_t *query_off)
{
	size_t i, o = 0;

	if (cap == 0 || t->n == 0 || t->p[0] != '/')
		return -1;
	for (i = 0; i < t->n && t->p[i] != '?' && t->p[i] != '#'; i++) {
		uint8_t c = t->p[i];

		if (c == '%') {
			int a, b;

			if (t->n - i < 3 || (a = hr_hex(t->p[i + 1])) < 0 ||
			    (b = hr_hex(t->p[i + 2])) < 0)
				return -1;
			c = (uint8_t)(a << 4 | b);
			if (c == 0)
				return -1;
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		path[o++] = (char)c;
	}
	path[o] = '\0';
	*query_off = i;
	return 0;
}
