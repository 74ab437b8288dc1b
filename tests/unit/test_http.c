/*
 * test_http.c - the HTTP/1.1 head parser: requests, responses, header
 * limits, case-insensitive look-ups, tokens, partial and over-long heads.
 */
#include <string.h>

#include "net/http.h"
#include "th.h"

static uint8_t buf[3 * ILPD_HTTP_MAX_HEAD];

static const uint8_t *U(const char *s)
{
	return (const uint8_t *)s;
}

static int req(const char *s, struct http_head *h, size_t *consumed)
{
	return http_parse_request(U(s), strlen(s), h, consumed);
}

static int resp(const char *s, struct http_head *h, size_t *consumed)
{
	return http_parse_response(U(s), strlen(s), h, consumed);
}

static void check_str(const struct http_str *s, const char *want, int line)
{
	if (s == NULL || !http_str_eq(s, want))
		th_fail(__FILE__, line, "got \"%.*s\", want \"%s\"",
			s ? (int)s->n : 6, s ? (const char *)s->p : "(null)",
			want);
}
#define CHECK_STR(s, want) check_str((s), (want), __LINE__)

#define WS_REQ                                                              \
	"GET /some/path?x=1 HTTP/1.1\r\n"                                    \
	"Sec-WebSocket-Version: 13\r\n"                                      \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                    \
	"Connection: Upgrade\r\n"                                            \
	"Upgrade: websocket\r\n"                                             \
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" \
	"Host: 127.0.0.1:7768\r\n"                                           \
	"\r\n"

static void test_request(void)
{
	struct http_head h;
	size_t c = 99;
	char in[512];

	CHECK_EQ(req(WS_REQ, &h, &c), ILP_OK);
	CHECK_EQ(c, strlen(WS_REQ));
	CHECK_STR(&h.method, "GET");
	CHECK_STR(&h.target, "/some/path?x=1");
	CHECK_EQ(h.minor_version, 1);
	CHECK_EQ(h.status, 0);
	CHECK_EQ(h.nh, 6);
	CHECK_STR(&h.h[0].name, "Sec-WebSocket-Version");
	CHECK_STR(&h.h[0].value, "13");
	CHECK_STR(http_find(&h, "sec-websocket-extensions"),
		  "permessage-deflate; client_max_window_bits");
	CHECK_STR(http_find(&h, "HOST"), "127.0.0.1:7768");
	CHECK(http_find(&h, "Origin") == NULL);
	CHECK(http_find(&h, "Hos") == NULL);
	CHECK(http_find(&h, "Hostx") == NULL);

	/* Bytes after the head (frames, a body) are not consumed. */
	strcpy(in, WS_REQ);
	strcat(in, "\x81\x85garbage");
	CHECK_EQ(req(in, &h, &c), ILP_OK);
	CHECK_EQ(c, strlen(WS_REQ));

	/* Blanks around values are trimmed; empty values are fine. */
	CHECK_EQ(req("GET / HTTP/1.0\r\nA: \t x y \t\r\nB:\r\nC:   \r\n\r\n",
		     &h, &c), ILP_OK);
	CHECK_EQ(h.minor_version, 0);
	CHECK_STR(&h.target, "/");
	CHECK_STR(http_find(&h, "a"), "x y");
	CHECK_STR(http_find(&h, "b"), "");
	CHECK_STR(http_find(&h, "c"), "");
	/* The first of two equal names wins; obs-text is allowed in values. */
	CHECK_EQ(req("GET * HTTP/1.1\r\nX: 1\r\nx: 2\r\nY: caf\xc3\xa9\r\n\r\n",
		     &h, &c), ILP_OK);
	CHECK_STR(http_find(&h, "X"), "1");
	CHECK_STR(http_find(&h, "y"), "caf\xc3\xa9");
	CHECK_STR(&h.target, "*");
	/* No headers at all. */
	CHECK_EQ(req("OPTIONS /x HTTP/1.1\r\n\r\n", &h, &c), ILP_OK);
	CHECK_EQ(h.nh, 0);
	CHECK_STR(&h.method, "OPTIONS");
}

static void test_response(void)
{
	struct http_head h;
	size_t c;
	const char *r101 = "HTTP/1.1 101 Switching Protocols\r\n"
			   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

	CHECK_EQ(resp(r101, &h, &c), ILP_OK);
	CHECK_EQ(c, strlen(r101));
	CHECK_EQ(h.status, 101);
	CHECK_EQ(h.minor_version, 1);
	CHECK_EQ(h.method.n, 0);
	CHECK_EQ(h.nh, 3);
	CHECK_STR(http_find(&h, "sec-websocket-accept"),
		  "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	CHECK_EQ(resp("HTTP/1.0 200\r\n\r\n", &h, &c), ILP_OK);
	CHECK_EQ(h.status, 200);
	CHECK_EQ(h.minor_version, 0);
	CHECK_EQ(resp("HTTP/1.1 404 \r\n\r\n", &h, &c), ILP_OK);
	CHECK_EQ(h.status, 404);
	CHECK_EQ(resp("HTTP/1.1 500 Bad \t stuff \xff\r\nA: b\r\n\r\n", &h, &c),
		 ILP_OK);
	CHECK_EQ(h.status, 500);

	CHECK_EQ(resp("HTTP/1.1 99 x\r\n\r\n", &h, &c), ILP_ERR_INVALID);
	CHECK_EQ(resp("HTTP/1.1 099 x\r\n\r\n", &h, &c), ILP_ERR_INVALID);
	CHECK_EQ(resp("HTTP/1.1 1x1 x\r\n\r\n", &h, &c), ILP_ERR_INVALID);
	CHECK_EQ(resp("HTTP/1.1 1011 x\r\n\r\n", &h, &c), ILP_ERR_INVALID);
	CHECK_EQ(resp("HTTP/2.0 200 OK\r\n\r\n", &h, &c), ILP_ERR_INVALID);
	CHECK_EQ(resp("http/1.1 200 OK\r\n\r\n", &h, &c), ILP_ERR_INVALID);
	CHECK_EQ(resp("HTTP/1.1  200 OK\r\n\r\n", &h, &c), ILP_ERR_INVALID);
	CHECK_EQ(resp("HTTP/1.1 200 O\x01K\r\n\r\n", &h, &c), ILP_ERR_INVALID);
	CHECK_EQ(resp("GET / HTTP/1.1\r\n\r\n", &h, &c), ILP_ERR_INVALID);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		"GET /  HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : x\r\n\r\n",     /* blank before ':' */
		"GET / HTTP/1.1\r\n: x\r\n\r\n",          /* empty name */
		"GET / HTTP/1.1\r\nHost x\r\n\r\n",       /* no colon */
		"GET / HTTP/1.1\r\nHo(st: x\r\n\r\n",     /* not a token */
		"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",   /* obs-fold */
		"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",     /* CTL in value */
		"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\nB: c\r\n\r\n",   /* bare LF */
		"GET / HTTP/1.1\r\nA: b\rB: c\r\n\r\n",   /* bare CR */
		"GET / HTTP/1.1\nHost: x\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.x\r\n\r\n",
		"GET / HTTP/1.10\r\n\r\n",
		"GET / HTTP/1\r\n\r\n",
		"GET /\r\n\r\n",
		"GET\r\n\r\n",
		"G\xc3\x89T / HTTP/1.1\r\n\r\n",
		"GET /\xc3\xa9 HTTP/1.1\r\n\r\n",         /* raw non-ASCII target */
		" GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\r\n\r\n",
	};
	struct http_head h;
	size_t i, c;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = 77;
		if (req(bad[i], &h, &c) != ILP_ERR_INVALID || c != 0)
			th_fail(__FILE__, __LINE__, "accepted bad head %zu", i);
	}
}

/* Every proper prefix of a head is NEED_MORE, and consumes nothing. */
static void test_partial(void)
{
	struct http_head h;
	size_t n, c, len = strlen(WS_REQ);

	for (n = 0; n < len; n++) {
		c = 5;
		if (http_parse_request(U(WS_REQ), n, &h, &c) !=
		    ILP_ERR_NEED_MORE || c != 0)
			th_fail(__FILE__, __LINE__, "prefix %zu not NEED_MORE", n);
	}
	CHECK_EQ(http_parse_request(U(WS_REQ), len, &h, &c), ILP_OK);
	CHECK_EQ(c, len);
	/* A head that ends in "\n\r\n" or "\r\n\n" is not finished. */
	CHECK_EQ(req("GET / HTTP/1.1\r\nA: b\n\r\n", &h, &c), ILP_ERR_NEED_MORE);
	CHECK_EQ(req("GET / HTTP/1.1\r\nA: b\r\n\n", &h, &c), ILP_ERR_NEED_MORE);
	CHECK_EQ(req("GET / HTTP/1.1\r\nA:\rx\r\n", &h, &c), ILP_ERR_NEED_MORE);
	CHECK_EQ(req("GET / HTTP/1.1\r\nA:\nx\r\n", &h, &c), ILP_ERR_NEED_MORE);
}

/* Builds "GET / HTTP/1.1\r\n" + filler header + "\r\n" of exactly total
 * bytes (total >= 40). */
static size_t make_head(size_t total, bool end)
{
	const char *start = "GET / HTTP/1.1\r\nX: ";
	size_t s = strlen(start), i;

	memcpy(buf, start, s);
	for (i = s; i < total - 4; i++)
		buf[i] = 'a';
	memcpy(buf + total - 4, end ? "\r\n\r\n" : "aaaa", 4);
	return total;
}

static void test_head_limit(void)
{
	struct http_head h;
	size_t n, c;

	n = make_head(ILPD_HTTP_MAX_HEAD, true);
	CHECK_EQ(http_parse_request(buf, n, &h, &c), ILP_OK);
	CHECK_EQ(c, ILPD_HTTP_MAX_HEAD);
	CHECK_EQ(http_find(&h, "x")->n, ILPD_HTTP_MAX_HEAD - 23);
	/* One byte more: refused, even though the end is there. */
	n = make_head(ILPD_HTTP_MAX_HEAD + 1, true);
	CHECK_EQ(http_parse_request(buf, n, &h, &c), ILP_ERR_INVALID);
	/* No end yet: waiting below the limit, refused at it. */
	n = make_head(ILPD_HTTP_MAX_HEAD, false);
	CHECK_EQ(http_parse_request(buf, n - 1, &h, &c), ILP_ERR_NEED_MORE);
	CHECK_EQ(http_parse_request(buf, n, &h, &c), ILP_ERR_INVALID);
	n = make_head(sizeof(buf), false);
	CHECK_EQ(http_parse_request(buf, n, &h, &c), ILP_ERR_INVALID);
	CHECK_EQ(http_parse_response(buf, n, &h, &c), ILP_ERR_INVALID);
}

static void test_header_count(void)
{
	struct http_head h;
	size_t i, c, len;
	char *s = (char *)buf;

	strcpy(s, "GET / HTTP/1.1\r\n");
	for (i = 0; i < ILPD_HTTP_MAX_HEADERS; i++) {
		len = strlen(s);
		s[len++] = 'H';
		s[len++] = (char)('A' + i % 26);
		s[len++] = (char)('a' + i / 26);
		strcpy(s + len, ": v\r\n");
	}
	len = strlen(s);
	strcpy(s + len, "\r\n");
	CHECK_EQ(req(s, &h, &c), ILP_OK);
	CHECK_EQ(h.nh, ILPD_HTTP_MAX_HEADERS);
	CHECK_STR(http_find(&h, "hba"), "v");
	strcpy(s + len, "One: more\r\n\r\n");
	CHECK_EQ(req(s, &h, &c), ILP_ERR_INVALID);
}

static void test_tokens(void)
{
	struct http_str v;
	const char *s;

#define SET(x) (s = (x), v.p = U(s), v.n = strlen(s))
	SET("keep-alive, Upgrade");
	CHECK(http_has_token(&v, "upgrade"));
	CHECK(http_has_token(&v, "KEEP-ALIVE"));
	CHECK(!http_has_token(&v, "upgrad"));
	CHECK(!http_has_token(&v, "alive"));
	CHECK(!http_has_token(&v, ""));
	SET("Upgrade");
	CHECK(http_has_token(&v, "upgrade"));
	SET("  ,\t,upgrade\t , ");
	CHECK(http_has_token(&v, "Upgrade"));
	SET("upgrade2");
	CHECK(!http_has_token(&v, "upgrade"));
	SET("up grade");
	CHECK(!http_has_token(&v, "upgrade"));
	SET("");
	CHECK(!http_has_token(&v, "upgrade"));
	CHECK(!http_has_token(NULL, "upgrade"));
	/* Only the first n bytes count: the view is not NUL-terminated. */
	SET("websocketX");
	v.n = 9;
	CHECK(http_has_token(&v, "WebSocket"));
	CHECK(http_str_ieq(&v, "WEBSOCKET"));
	CHECK(!http_str_eq(&v, "WEBSOCKET"));
	CHECK(http_str_eq(&v, "websocket"));
	CHECK(!http_str_eq(&v, "websocketX"));
	CHECK(!http_str_ieq(&v, "websocke"));
	CHECK(!http_str_eq(NULL, "x"));
	CHECK(!http_str_ieq(NULL, "x"));
	v.n = 0;
	CHECK(http_str_eq(&v, ""));
	CHECK(http_str_ieq(&v, ""));
	/* Case folding is ASCII only. */
	SET("\xc3\xa9");
	CHECK(!http_str_ieq(&v, "\xc3\x89"));
#undef SET
}

int main(void)
{
	TH_RUN(test_request);
	TH_RUN(test_response);
	TH_RUN(test_malformed);
	TH_RUN(test_partial);
	TH_RUN(test_head_limit);
	TH_RUN(test_header_count);
	TH_RUN(test_tokens);
	return th_finish();
}
