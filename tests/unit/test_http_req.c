/*
 * test_http_req.c - request framing for the admin listener (net/http_req.h)
 * and the base64 codec (net/base64.h): complete and partial requests,
 * Content-Length rules, chunked and other codings, size limits, Expect,
 * every prefix of a request incomplete, path decoding; base64 vectors
 * (RFC 4648), both alphabets, padding rules, refusals, round trips.
 */
#include <string.h>

#include "net/base64.h"
#include "net/http_req.h"
#include "th.h"

static uint8_t big[ILPD_HTTP_MAX_HEAD + 256];

static struct http_req_frame fr(const char *s, size_t max)
{
	struct http_head h;
	struct http_req_frame r;

	http_req_frame((const uint8_t *)s, strlen(s), max, &h, &r);
	return r;
}

static void test_complete(void)
{
	const char *s = "POST /admin/ilp/send HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
	struct http_req_frame r = fr(s, 100);
	size_t k;

	CHECK_EQ(r.status, 0);
	CHECK_EQ(r.head_len, strlen(s) - 5);
	CHECK_EQ(r.body_len, 5);
	CHECK(!r.expect_continue);
	/* every proper prefix is incomplete */
	for (k = 0; k < strlen(s); k++) {
		struct http_head h;
		struct http_req_frame p;

		http_req_frame((const uint8_t *)s, k, 100, &h, &p);
		if (p.status != -1)
			th_fail(__FILE__, __LINE__, "prefix %zu: status %d", k, p.status);
	}
	/* bytes after the body are not looked at */
	r = fr("GET /health HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n", 100);
	CHECK_EQ(r.status, 0);
	CHECK_EQ(r.body_len, 0);
	CHECK_EQ(r.head_len, 24);
	/* no Content-Length: no body */
	r = fr("POST /a HTTP/1.1\r\n\r\n", 100);
	CHECK_EQ(r.status, 0);
	CHECK_EQ(r.body_len, 0);
	/* the same length twice is fine */
	r = fr("POST /a HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nab", 100);
	CHECK_EQ(r.status, 0);
	CHECK_EQ(r.body_len, 2);
	/* exactly at the limit */
	r = fr("POST /a HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd", 4);
	CHECK_EQ(r.status, 0);
}

static void test_errors(void)
{
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 4).status, 413);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", 65536).status, 413);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nContent-Length: 9999999999999\r\n\r\n", 65536).status, 400);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 100).status, 400);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 100).status, 400);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nContent-Length: \r\n\r\n", 100).status, 400);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nContent-Length: 1,1\r\n\r\n", 100).status, 400);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 100).status, 400);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 100).status, 411);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 100).status, 411);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 100).status, 400);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 100).status, 411);
	CHECK_EQ(fr("POST /a HTTP/1.1\r\nExpect: something\r\n\r\n", 100).status, 417);
	CHECK_EQ(fr("GARBAGE\r\n\r\n", 100).status, 400);
	CHECK_EQ(fr("GET / HTTP/1.1\nHost: x\n\n", 100).status, -1);   /* bare LF: no end yet */
	CHECK_EQ(fr("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 100).status, 400);
	/* a head without its end: incomplete below the limit, 431 at it */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	{
		struct http_head h;
		struct http_req_frame r;

		http_req_frame(big, ILPD_HTTP_MAX_HEAD - 1, 100, &h, &r);
		CHECK_EQ(r.status, -1);
		http_req_frame(big, ILPD_HTTP_MAX_HEAD, 100, &h, &r);
		CHECK_EQ(r.status, 431);
		http_req_frame(big, sizeof(big), 100, &h, &r);
		CHECK_EQ(r.status, 431);
		/* garbage with an end past the limit is still 431 */
		memcpy(big + ILPD_HTTP_MAX_HEAD + 10, "\r\n\r\n", 4);
		http_req_frame(big, sizeof(big), 100, &h, &r);
		CHECK_EQ(r.status, 431);
	}
}

static void test_expect(void)
{
	struct http_req_frame r;

	r = fr("POST /a HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n", 100);
	CHECK_EQ(r.status, -1);
	CHECK(r.expect_continue);
	r = fr("POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", 100);
	CHECK_EQ(r.status, 0);
	CHECK(r.expect_continue);
}

static int path(const char *t, char *out, size_t cap, size_t *q)
{
	struct http_str s = { (const uint8_t *)t, strlen(t) };

	return http_req_path(&s, out, cap, q);
}

static void test_path(void)
{
	char p[32], small[16];
	size_t q = 0;

	CHECK_EQ(path("/health", p, sizeof(p), &q), 0);
	CHECK(strcmp(p, "/health") == 0);
	CHECK_EQ(q, 7);
	CHECK_EQ(path("/admin/peers/a%20b?x=%41", p, sizeof(p), &q), 0);
	CHECK(strcmp(p, "/admin/peers/a b") == 0);
	CHECK_EQ(q, 18);
	CHECK_EQ(path("/%2f%2F#frag", p, sizeof(p), &q), 0);
	CHECK(strcmp(p, "///") == 0);
	CHECK_EQ(q, 7);
	CHECK_EQ(path("/%00", p, sizeof(p), &q), -1);
	CHECK_EQ(path("/%4", p, sizeof(p), &q), -1);
	CHECK_EQ(path("/%zz", p, sizeof(p), &q), -1);
	CHECK_EQ(path("http://x/", p, sizeof(p), &q), -1);
	CHECK_EQ(path("*", p, sizeof(p), &q), -1);
	CHECK_EQ(path("", p, sizeof(p), &q), -1);
	CHECK_EQ(path("/123456789012345", small, sizeof(small), &q), -1);   /* 16 + NUL */
	CHECK_EQ(path("/12345678901234", small, sizeof(small), &q), 0);     /* 15 + NUL */
	CHECK_EQ(path("/1234567890123%41", small, sizeof(small), &q), 0);   /* decoded fits */
}

static void test_base64(void)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *const bad[] = {
		"Z", "Zg=", "Zh==", "Zm9=", "Z===", "Zm9v=", "Zm 9", "Zm+_", "=", "Zg==Zg==",
		"Zm8==", "Zm9vY", "Zm9\n",
	};
	uint8_t b[64], x[64];
	char o[128];
	size_t i, l, k, n;
	uint32_t seed = 1;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_EQ(b64_encode((const uint8_t *)v[i][0], strlen(v[i][0]), o, sizeof(o), &l), ILP_OK);
		CHECK(strcmp(o, v[i][1]) == 0);
		CHECK_EQ(b64_decode(v[i][1], strlen(v[i][1]), b, sizeof(b), &l), ILP_OK);
		CHECK_EQ(l, strlen(v[i][0]));
		CHECK(memcmp(b, v[i][0], l) == 0);
		k = strlen(v[i][1]);
		while (k > 0 && v[i][1][k - 1] == '=')
			k--;
		CHECK_EQ(b64_decode(v[i][1], k, b, sizeof(b), &l), ILP_OK);   /* unpadded */
		CHECK_EQ(l, strlen(v[i][0]));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (b64_decode(bad[i], strlen(bad[i]), b, sizeof(b), &l) != ILP_ERR_INVALID)
			th_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
	CHECK_EQ(b64_decode("Zm9v", 4, b, 2, &l), ILP_ERR_OVERFLOW);
	CHECK_EQ(b64_encode((const uint8_t *)"foo", 3, o, 4, &l), ILP_ERR_OVERFLOW);
	CHECK_EQ(b64url_encode((const uint8_t *)"\xfb\xff", 2, o, sizeof(o), &l), ILP_OK);
	CHECK(strcmp(o, "-_8") == 0);
	CHECK_EQ(b64_decode("-_8", 3, b, sizeof(b), &l), ILP_OK);
	CHECK_EQ(l, 2);
	for (i = 0; i < 20000; i++) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 48;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			x[k] = (uint8_t)(seed >> 16);
		}
		if (b64url_encode(x, n, o, sizeof(o), &l) != ILP_OK ||
		    b64_decode(o, l, b, sizeof(b), &l) != ILP_OK || l != n || memcmp(x, b, n) != 0 ||
		    b64_encode(x, n, o, sizeof(o), &l) != ILP_OK || l != B64_ENCODED_LEN(n) ||
		    b64_decode(o, l, b, sizeof(b), &l) != ILP_OK || l != n || memcmp(x, b, n) != 0) {
			th_fail(__FILE__, __LINE__, "round trip of %zu bytes", n);
			break;
		}
	}
}

int main(void)
{
	TH_RUN(test_complete);
	TH_RUN(test_errors);
	TH_RUN(test_expect);
	TH_RUN(test_path);
	TH_RUN(test_base64);
	return th_finish();
}
