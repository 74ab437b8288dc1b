/*
 * http.c - bounded HTTP/1.1 message-head parser (see net/http.h).
 *
 * IMPLEMENTATION NOTES
 * - Two passes. First the end of the head ("\r\n\r\n") is searched for in
 *   at most ILPD_HTTP_MAX_HEAD bytes; until it is there the answer is
 *   NEED_MORE (or INVALID once the limit is reached), so a partial head is
 *   never half-parsed. Then the head, whose length is now known, is parsed
 *   line by line with a cursor that never passes `end`: every http_str
 *   points inside [p, p + head length).
 * - Strict grammar (RFC 9112): CRLF line ends only, one SP between the
 *   parts of the start line, "HTTP/1.<digit>", header names are tchar
 *   tokens followed directly by ':' (no blank before it), values hold
 *   SP, HTAB, VCHAR and obs-text (>= 0x80) only; obs-fold (a line starting
 *   with a blank) is refused. Nothing is ever copied or NUL-terminated.
 * - Trust model: every input byte is untrusted; the output views are
 *   bounded by the input and the header count by ILPD_HTTP_MAX_HEADERS.
 */
#include "net/http.h"

#include <string.h>

#define CR 0x0d
#define LF 0x0a

/* RFC 9110 tchar: "!#$%&'*+-.^_`|~", digits and letters. */
static bool http_is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return true;
	default:
		return false;
	}
}

/* Field-value and reason-phrase bytes: HTAB, SP, VCHAR, obs-text. */
static bool http_is_text(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static uint8_t http_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Length of the head including its final CRLFCRLF, or 0 if the end is not
 * within the first `lim` bytes of [p, p+n). */
static size_t http_head_len(const uint8_t *p, size_t n, size_t lim)
{
	size_t i = 0, m = n < lim ? n : lim;

	while (i + 1 < m) {
		const uint8_t *lf = memchr(p + i + 1, LF, m - i - 1);
		size_t j;

		if (lf == NULL)
			return 0;
		j = (size_t)(lf - p);   /* p[j] == LF, j >= 1 */
		if (j >= 3 && p[j - 1] == CR && p[j - 2] == LF && p[j - 3] == CR)
			return j + 1;
		i = j;
	}
	return 0;
}

/* Cursor over the head: [*c, end) with end just past the final CRLFCRLF. */
struct http_cur {
	const uint8_t *c;
	const uint8_t *end;
};

/* Takes bytes up to (not including) the next CRLF as one line; the cursor
 * moves past the CRLF. A bare CR or LF inside the line is refused. */
static int http_line(struct http_cur *cur, struct http_str *line)
{
	const uint8_t *s = cur->c;

	while (cur->c < cur->end && *cur->c != CR && *cur->c != LF)
		cur->c++;
	if (cur->end - cur->c < 2 || cur->c[0] != CR || cur->c[1] != LF)
		return ILP_ERR_INVALID;
	line->p = s;
	line->n = (size_t)(cur->c - s);
	cur->c += 2;
	return ILP_OK;
}

/* "HTTP/1.x" at s (8 bytes available); stores x. */
static int http_version(const uint8_t *s, int *minor)
{
	if (memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9')
		return ILP_ERR_INVALID;
	*minor = s[7] - '0';
	return ILP_OK;
}

/* request-line = method SP request-target SP HTTP-version */
static int http_request_line(const struct http_str *l, struct http_head *h)
{
	size_t i = 0, t;

	while (i < l->n && http_is_tchar(l->p[i]))
		i++;
	if (i == 0 || i >= l->n || l->p[i] != ' ')
		return ILP_ERR_INVALID;
	h->method.p = l->p;
	h->method.n = i;
	t = ++i;
	while (i < l->n && l->p[i] > 0x20 && l->p[i] < 0x7f)
		i++;
	if (i == t || l->n - i != 9 || l->p[i] != ' ')
		return ILP_ERR_INVALID;
	h->target.p = l->p + t;
	h->target.n = i - t;
	return http_version(l->p + i + 1, &h->minor_version);
}

/* status-line = HTTP-version SP 3DIGIT [SP reason-phrase] (the SP and
 * reason may be missing: some servers send "HTTP/1.1 200"). */
static int http_status_line(const struct http_str *l, struct http_head *h)
{
	size_t i;

	if (l->n < 12 || http_version(l->p, &h->minor_version) != ILP_OK ||
	    l->p[8] != ' ')
		return ILP_ERR_INVALID;
	h->status = 0;
	for (i = 9; i < 12; i++) {
		if (l->p[i] < '0' || l->p[i] > '9')
			return ILP_ERR_INVALID;
		h->status = h->status * 10 + (l->p[i] - '0');
	}
	if (h->status < 100)
		return ILP_ERR_INVALID;
	if (l->n == 12)
		return ILP_OK;
	if (l->p[12] != ' ')
		return ILP_ERR_INVALID;
	for (i = 13; i < l->n; i++) {
		if (!http_is_text(l->p[i]))
			return ILP_ERR_INVALID;
	}
	return ILP_OK;
}

/* header-field = field-name ":" OWS field-value OWS */
static int http_header_line(const struct http_str *l, struct http_header *f)
{
	size_t i = 0, a, b;

	while (i < l->n && http_is_tchar(l->p[i]))
		i++;
	if (i == 0 || i >= l->n || l->p[i] != ':')
		return ILP_ERR_INVALID;
	f->name.p = l->p;
	f->name.n = i;
	for (a = i + 1; a < l->n; a++) {
		if (!http_is_text(l->p[a]))
			return ILP_ERR_INVALID;
	}
	a = i + 1;
	b = l->n;
	while (a < b && (l->p[a] == ' ' || l->p[a] == '\t'))
		a++;
	while (b > a && (l->p[b - 1] == ' ' || l->p[b - 1] == '\t'))
		b--;
	f->value.p = l->p + a;
	f->value.n = b - a;
	return ILP_OK;
}

static int http_parse(const uint8_t *p, size_t n, struct http_head *out,
		      size_t *consumed, bool request)
{
	struct http_cur cur;
	struct http_str line;
	size_t len;
	int r;

	*consumed = 0;
	len = http_head_len(p, n, ILPD_HTTP_MAX_HEAD);
	if (len == 0)
		return n >= ILPD_HTTP_MAX_HEAD ? ILP_ERR_INVALID : ILP_ERR_NEED_MORE;
	memset(out, 0, sizeof(*out));
	out->method.p = p;
	out->target.p = p;
	cur.c = p;
	cur.end = p + len;
	if (http_line(&cur, &line) != ILP_OK)
		return ILP_ERR_INVALID;
	r = request ? http_request_line(&line, out) : http_status_line(&line, out);
	if (r != ILP_OK)
		return r;
	for (;;) {
		if (http_line(&cur, &line) != ILP_OK)
			return ILP_ERR_INVALID;
		if (line.n == 0)
			break;
		if (out->nh == ILPD_HTTP_MAX_HEADERS ||
		    http_header_line(&line, &out->h[out->nh]) != ILP_OK)
			return ILP_ERR_INVALID;
		out->nh++;
	}
	if (cur.c != cur.end)   /* cannot happen: the empty line ends the head */
		return ILP_ERR_INVALID;
	*consumed = len;
	return ILP_OK;
}

int http_parse_request(const uint8_t *p, size_t n, struct http_head *out,
		       size_t *consumed)
{
	return http_parse(p, n, out, consumed, true);
}

int http_parse_response(const uint8_t *p, size_t n, struct http_head *out,
			size_t *consumed)
{
	return http_parse(p, n, out, consumed, false);
}

const struct http_str *http_find(const struct http_head *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nh; i++) {
		if (http_str_ieq(&h->h[i].name, name))
			return &h->h[i].value;
	}
	return NULL;
}

/* Case-insensitive comparison of s[0..n) with the NUL-terminated c. */
static bool http_ieq(const uint8_t *s, size_t n, const char *c)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i] == '\0' || http_lower(s[i]) != http_lower((uint8_t)c[i]))
			return false;
	}
	return c[n] == '\0';
}

bool http_has_token(const struct http_str *v, const char *token)
{
	size_t i = 0;

	if (v == NULL)
		return false;
	while (i <= v->n) {
		size_t a = i, b;

		while (i < v->n && v->p[i] != ',')
			i++;
		b = i;
		while (a < b && (v->p[a] == ' ' || v->p[a] == '\t'))
			a++;
		while (b > a && (v->p[b - 1] == ' ' || v->p[b - 1] == '\t'))
			b--;
		if (b > a && http_ieq(v->p + a, b - a, token))
			return true;
		i++;   /* past the comma (or past the end: the loop stops) */
	}
	return false;
}

bool http_str_eq(const struct http_str *s, const char *c)
{
	size_t n = strlen(c);

	return s != NULL && s->n == n && (n == 0 || memcmp(s->p, c, n) == 0);
}

bool http_str_ieq(const struct http_str *s, const char *c)
{
	return s != NULL && http_ieq(s->p, s->n, c);
}
