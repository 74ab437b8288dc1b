/*
 * fuzz_http.c - libFuzzer target for the HTTP head parser (net/http.h).
 * The input is parsed as a request and as a response.
 *
 * Properties (a violation traps; reads outside the input are ASan's):
 * - ILP_OK: 0 < consumed <= min(size, ILPD_HTTP_MAX_HEAD), the head ends
 *   with its first "\r\n\r\n", and every view (method, target, names,
 *   values) lies inside [data, data + consumed) and holds no CR or LF;
 *   names are non-empty and values have no blank at either end; every
 *   proper prefix of the head is NEED_MORE.
 * - NEED_MORE: no "\r\n\r\n" in the input and size < ILPD_HTTP_MAX_HEAD.
 * - http_find returns the first header of a name, case-insensitively.
 */
#include <string.h>

#include "fuzz_util.h"
#include "net/http.h"

static const uint8_t *end_of_head(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++) {
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			return p + i + 4;
	}
	return NULL;
}

static void check_view(const struct http_str *s, const uint8_t *lo,
		       const uint8_t *hi)
{
	FUZZ_CHECK(s->p != NULL);
	FUZZ_CHECK(s->p >= lo && s->p <= hi && s->n <= (size_t)(hi - s->p));
	FUZZ_CHECK(s->n == 0 || memchr(s->p, '\r', s->n) == NULL);
	FUZZ_CHECK(s->n == 0 || memchr(s->p, '\n', s->n) == NULL);
}

static void check_head(const uint8_t *data, size_t size,
		       const struct http_head *h, size_t c, bool request)
{
	const uint8_t *hi = data + c;
	char name[ILPD_HTTP_MAX_HEAD + 1];
	size_t i, j;

	FUZZ_CHECK(c > 0 && c <= size && c <= ILPD_HTTP_MAX_HEAD);
	FUZZ_CHECK(end_of_head(data, size) == hi);
	FUZZ_CHECK(h->nh <= ILPD_HTTP_MAX_HEADERS);
	FUZZ_CHECK(h->minor_version >= 0 && h->minor_version <= 9);
	check_view(&h->method, data, hi);
	check_view(&h->target, data, hi);
	if (request)
		FUZZ_CHECK(h->method.n > 0 && h->target.n > 0 && h->status == 0);
	else
		FUZZ_CHECK(h->method.n == 0 && h->status >= 100 && h->status <= 999);
	for (i = 0; i < h->nh; i++) {
		const struct http_str *v = &h->h[i].value;

		check_view(&h->h[i].name, data, hi);
		check_view(v, data, hi);
		FUZZ_CHECK(h->h[i].name.n > 0);
		FUZZ_CHECK(v->n == 0 || (v->p[0] != ' ' && v->p[0] != '\t' &&
					 v->p[v->n - 1] != ' ' &&
					 v->p[v->n - 1] != '\t'));
		memcpy(name, h->h[i].name.p, h->h[i].name.n);
		name[h->h[i].name.n] = '\0';
		FUZZ_CHECK(memchr(name, '\0', h->h[i].name.n) == NULL);
		for (j = 0; j < i && !http_str_ieq(&h->h[j].name, name); j++)
			;
		FUZZ_CHECK(http_find(h, name) == &h->h[j].value);
		(void)http_has_token(v, "upgrade");
	}
}

static void run(const uint8_t *data, size_t size, bool request)
{
	struct http_head h;
	size_t c = 1, c2;
	int r;

	r = request ? http_parse_request(data, size, &h, &c)
		    : http_parse_response(data, size, &h, &c);
	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_NEED_MORE || r == ILP_ERR_INVALID);
	if (r != ILP_OK) {
		FUZZ_CHECK(c == 0);
		if (r == ILP_ERR_NEED_MORE)
			FUZZ_CHECK(size < ILPD_HTTP_MAX_HEAD &&
				   end_of_head(data, size) == NULL);
		return;
	}
	check_head(data, size, &h, c, request);
	r = request ? http_parse_request(data, c - 1, &h, &c2)
		    : http_parse_response(data, c - 1, &h, &c2);
	FUZZ_CHECK(r == ILP_ERR_NEED_MORE && c2 == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, true);
	run(data, size, false);
	return 0;
}
