/*
 * test_httpc.c - the HTTP/1.1 client engine (net/httpc.h): request
 * building (Host, Content-Length, injection refused, overflow), responses
 * by Content-Length, chunked and close-delimited bodies fed whole, split
 * at every byte and one byte at a time, 1xx skipped, bytes after the
 * response, size limits, malformed framing and keep-alive decisions.
 */
#include <stdio.h>
#include <string.h>

#include "net/httpc.h"
#include "th.h"

static struct httpc_resp R;
static uint8_t body[256];
static uint8_t out[1024];

static const uint8_t *U(const char *s)
{
	return (const uint8_t *)s;
}

/* ---- request ------------------------------------------------------- */

static int build(const char *method, const char *host, uint16_t port,
		 const char *path, const char *extra, const char *b, size_t *len)
{
	int r = httpc_build_request(out, sizeof(out) - 1, len, method, host, port,
				    path, extra, (const uint8_t *)b,
				    b != NULL ? strlen(b) : 0);

	out[r == ILP_OK ? *len : 0] = '\0';
	return r;
}

static void test_request(void)
{
	size_t len = 99;
	const char *want;

	CHECK_EQ(build("POST", "127.0.0.1", 3100, "/handle-packet",
		       "Idempotency-Key: k1\r\n", "{\"a\":1}", &len), ILP_OK);
	want = "POST /handle-packet HTTP/1.1\r\n"
	       "Host: 127.0.0.1:3100\r\n"
	       "Idempotency-Key: k1\r\n"
	       "Content-Type: application/json\r\n"
	       "Content-Length: 7\r\n"
	       "Connection: keep-alive\r\n\r\n"
	       "{\"a\":1}";
	CHECK_EQ(len, strlen(want));
	CHECK(strcmp((const char *)out, want) == 0);

	/* GET: no body headers; port 80 is not written; IPv6 in brackets. */
	CHECK_EQ(build("GET", "::1", 80, "/x?y=1", NULL, NULL, &len), ILP_OK);
	CHECK(strcmp((const char *)out, "GET /x?y=1 HTTP/1.1\r\nHost: [::1]\r\n"
		     "Connection: keep-alive\r\n\r\n") == 0);
	/* POST without a body says Content-Length: 0; DELETE says nothing. */
	CHECK_EQ(build("POST", "localhost", 8080, "/accounts", NULL, NULL, &len), ILP_OK);
	CHECK(strstr((const char *)out, "Content-Length: 0\r\n") != NULL);
	CHECK(strstr((const char *)out, "Content-Type") == NULL);
	CHECK_EQ(build("DELETE", "localhost", 8080, "/accounts/a", NULL, NULL, &len), ILP_OK);
	CHECK(strstr((const char *)out, "Content-Length") == NULL);
	/* An empty JSON body given is still a body. */
	CHECK_EQ(build("PUT", "h", 1, "/", NULL, "", &len), ILP_OK);
	CHECK(strstr((const char *)out, "Content-Length: 0\r\n") != NULL);
	CHECK(strstr((const char *)out, "Content-Type: application/json\r\n") != NULL);

	/* The caller's Content-Type replaces the JSON default (one header). */
	CHECK_EQ(build("POST", "h", 1, "/m", "content-TYPE: application/octet-stream\r\n",
		       "xy", &len), ILP_OK);
	CHECK(strstr((const char *)out, "application/json") == NULL);
	CHECK(strstr((const char *)out, "content-TYPE: application/octet-stream\r\n") != NULL);
	CHECK(strstr((const char *)out, "Content-Length: 2\r\n") != NULL);
	CHECK_EQ(build("POST", "h", 1, "/m", "X-Content-Type: a\r\n", "xy", &len), ILP_OK);
	CHECK(strstr((const char *)out, "Content-Type: application/json\r\n") != NULL);

	/* Injection and misuse. */
	CHECK_EQ(build("POST", "h", 1, "/a\r\nX: y", NULL, NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("POST", "h", 1, "/a b", NULL, NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("POST", "h", 1, "a", NULL, NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("PO ST", "h", 1, "/", NULL, NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("", "h", 1, "/", NULL, NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("GET", "h\r\nX: 1", 1, "/", NULL, NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("GET", "", 1, "/", NULL, NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("GET", "[::1]", 1, "/", NULL, NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("GET", "h", 1, "/", "X: 1", NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("GET", "h", 1, "/", "X: 1\n", NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("GET", "h", 1, "/", "X: 1\r\nY 2\r\n", NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("GET", "h", 1, "/", "X: 1\r\n\r\n", NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("GET", "h", 1, "/", "X: a\rb\r\n", NULL, &len), ILP_ERR_ARG);
	CHECK_EQ(build("GET", "h", 1, "/", "X: \t1\r\nY-Z:\r\n", NULL, &len), ILP_OK);
	CHECK_EQ(httpc_build_request(out, 10, &len, "GET", "h", 1, "/", NULL,
				     NULL, 0), ILP_ERR_OVERFLOW);
	CHECK_EQ(len, 0);
	CHECK_EQ(httpc_build_request(out, sizeof(out), &len, "GET", "h", 1, "/",
				     NULL, NULL, 3), ILP_ERR_ARG);
	/* Exactly fitting is fine, one byte less is not. */
	CHECK_EQ(build("POST", "h", 7, "/", NULL, "12345", &len), ILP_OK);
	{
		size_t exact = len, l2;

		CHECK_EQ(httpc_build_request(out, exact, &l2, "POST", "h", 7, "/",
					     NULL, U("12345"), 5), ILP_OK);
		CHECK_EQ(httpc_build_request(out, exact - 1, &l2, "POST", "h", 7,
					     "/", NULL, U("12345"), 5), ILP_ERR_OVERFLOW);
	}
}

/* ---- response ------------------------------------------------------ */

/* Feeds s in pieces of `step` bytes (0: whole). Returns the final result;
 * *used_total is the bytes used in all. */
static int feed_steps(const char *s, size_t n, size_t step, size_t *used_total,
		      bool head_req)
{
	size_t off = 0, used;
	int r = ILP_ERR_NEED_MORE;

	httpc_resp_init(&R, body, sizeof(body), head_req);
	*used_total = 0;
	if (step == 0)
		step = n;
	while (off < n) {
		size_t k = n - off < step ? n - off : step;

		r = httpc_resp_feed(&R, U(s) + off, k, &used);
		*used_total += used;
		if (r != ILP_ERR_NEED_MORE)
			return r;
		if (used != k)
			return -100;   /* NEED_MORE must use everything */
		off += k;
	}
	return r;
}

/* Feeds s split once at every position; each must give `want` with body
 * `wbody` and the response ending at `end` bytes. */
static void check_splits(const char *s, int want, const char *wbody,
			 size_t end, int line)
{
	size_t n = strlen(s), cut, used, u2;
	int r;

	for (cut = 0; cut <= n; cut++) {
		httpc_resp_init(&R, body, sizeof(body), false);
		r = httpc_resp_feed(&R, U(s), cut, &used);
		if (r == ILP_ERR_NEED_MORE && used == cut) {
			r = httpc_resp_feed(&R, U(s) + cut, n - cut, &u2);
			used += u2;
		}
		if (r != want || (want == ILP_OK &&
				  (used != end || R.body_len != strlen(wbody) ||
				   memcmp(body, wbody, R.body_len) != 0))) {
			th_fail(__FILE__, line, "split at %zu: r %d used %zu body %zu",
				cut, r, used, R.body_len);
			return;
		}
	}
	/* One byte at a time. */
	r = feed_steps(s, n, 1, &used, false);
	if (r != want || (want == ILP_OK && (used != end ||
					     R.body_len != strlen(wbody))))
		th_fail(__FILE__, line, "bytewise: r %d used %zu", r, used);
}
#define SPLITS(s, want, wbody, end) check_splits((s), (want), (wbody), (end), __LINE__)

static void test_content_length(void)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			"Content-Length: 11\r\n\r\n{\"accept\":1}";
	size_t used;

	/* 12 bytes of body given, 11 announced: the last is not used. */
	SPLITS(s, ILP_OK, "{\"accept\":1", strlen(s) - 1);
	CHECK_EQ(feed_steps(s, strlen(s), 0, &used, false), ILP_OK);
	CHECK_EQ(R.status, 200);
	CHECK_EQ(R.mode, HTTPC_BODY_LENGTH);
	CHECK(httpc_resp_done(&R));
	CHECK(httpc_resp_reusable(&R));
	CHECK(httpc_resp_has_head(&R));
	CHECK(http_str_eq(httpc_resp_header(&R, "content-type"), "application/json"));
	CHECK(httpc_resp_header(&R, "x-none") == NULL);
	/* Done: feeding more uses nothing. */
	CHECK_EQ(httpc_resp_feed(&R, U("x"), 1, &used), ILP_OK);
	CHECK_EQ(used, 0);

	/* Zero length; repeated equal Content-Length; status without reason. */
	SPLITS("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", ILP_OK, "",
	       strlen("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"));
	SPLITS("HTTP/1.1 500 X\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nab",
	       ILP_OK, "ab", 58);
	CHECK_EQ(R.status, 500);
	/* Different, signed, blank, hex, too long: refused. */
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"), 0, &used, false), ILP_ERR_INVALID);
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n"), 0, &used, false), ILP_ERR_INVALID);
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"), 0, &used, false), ILP_ERR_INVALID);
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nContent-Length: 0x1\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nContent-Length: 0x1\r\n\r\n"), 0, &used, false), ILP_ERR_INVALID);
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n"), 0, &used, false), ILP_ERR_INVALID);
	{
		const char *big = "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n";

		CHECK_EQ(feed_steps(big, strlen(big), 0, &used, false), ILP_ERR_INVALID);
	}
}

static void test_chunked(void)
{
	const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			"5\r\nhello\r\n"
			"1;name=\"v\"\r\n \r\n"
			"00B \t; a ; b\r\nworld-12345\r\n"
			"0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n";
	char tmp[512];
	size_t used;

	SPLITS(s, ILP_OK, "hello world-12345", strlen(s));
	CHECK_EQ(R.mode, HTTPC_BODY_CHUNKED);
	CHECK(httpc_resp_reusable(&R));
	/* Without trailers; then bytes after the end (pipelined garbage). */
	snprintf(tmp, sizeof(tmp), "HTTP/1.1 201 Created\r\ntransfer-encoding: Chunked\r\n\r\n"
		 "a\r\n0123456789\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
	SPLITS(tmp, ILP_OK, "0123456789", strlen(tmp) - 19);
	CHECK_EQ(R.status, 201);

	/* Malformed framing. */
#define BAD_CHUNK(tail, want)                                                 \
	do {                                                                 \
		snprintf(tmp, sizeof(tmp), "HTTP/1.1 200 OK\r\n"              \
			 "Transfer-Encoding: chunked\r\n\r\n%s", tail);       \
		CHECK_EQ(feed_steps(tmp, strlen(tmp), 1, &used, false), want); \
		CHECK_EQ(feed_steps(tmp, strlen(tmp), 0, &used, false), want); \
	} while (0)
	BAD_CHUNK("\r\n", ILP_ERR_INVALID);            /* no size */
	BAD_CHUNK("g\r\n", ILP_ERR_INVALID);
	BAD_CHUNK("-1\r\n", ILP_ERR_INVALID);
	BAD_CHUNK("1\nx\r\n", ILP_ERR_INVALID);        /* bare LF */
	BAD_CHUNK("1\rx", ILP_ERR_INVALID);            /* CR without LF */
	BAD_CHUNK("1 x\r\n", ILP_ERR_INVALID);         /* junk, no ';' */
	BAD_CHUNK("1;\x01\r\n", ILP_ERR_INVALID);      /* control byte in ext */
	BAD_CHUNK("1\r\nxy\r\n", ILP_ERR_INVALID);     /* data longer than size */
	BAD_CHUNK("1\r\nx\n", ILP_ERR_INVALID);
	BAD_CHUNK("0\r\nbad trailer\r\n\r\n", ILP_ERR_INVALID);
	BAD_CHUNK("0\r\n\n", ILP_ERR_INVALID);
	BAD_CHUNK("0\r\nX: 1\r\r\n", ILP_ERR_INVALID);
	BAD_CHUNK("00000000000000001\r\n", ILP_ERR_INVALID);  /* 17 digits */
	BAD_CHUNK("fffffffffffffffff\r\n", ILP_ERR_INVALID);
	BAD_CHUNK("ffffffffffffffff\r\n", ILP_ERR_OVERFLOW);   /* > body cap */
	BAD_CHUNK("101\r\n", ILP_ERR_OVERFLOW);                /* 257 > 256 */
	/* A long extension line and long trailers: bounded. */
	{
		char ext[300], tr[2048];

		memset(ext, 'e', sizeof(ext));
		memcpy(ext, "1;", 2);
		memcpy(ext + 200, "\r\n", 3);
		BAD_CHUNK(ext, ILP_ERR_INVALID);
		memcpy(ext + 120, "\r\nx\r\n0\r\n\r\n", 11);
		snprintf(tmp, sizeof(tmp), "HTTP/1.1 200 OK\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n%s", ext);
		CHECK_EQ(feed_steps(tmp, strlen(tmp), 1, &used, false), ILP_OK);
		memset(tr, 'a', sizeof(tr));
		memcpy(tr, "0\r\nX:", 5);
		memcpy(tr + 1500, "\r\n\r\n", 5);
		snprintf(tmp, sizeof(tmp), "HTTP/1.1 200 OK\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n");
		httpc_resp_init(&R, body, sizeof(body), false);
		CHECK_EQ(httpc_resp_feed(&R, U(tmp), strlen(tmp), &used), ILP_ERR_NEED_MORE);
		CHECK_EQ(httpc_resp_feed(&R, U(tr), strlen(tr), &used), ILP_ERR_INVALID);
	}
	/* Body exactly at the cap is fine. */
	{
		static char big[600];
		size_t n;

		n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n80\r\n");
		memset(big + n, 'x', 128);
		n += 128;
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n80\r\n");
		memset(big + n, 'y', 128);
		n += 128;
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n0\r\n\r\n");
		CHECK_EQ(feed_steps(big, n, 7, &used, false), ILP_OK);
		CHECK_EQ(R.body_len, 256);
		CHECK_EQ(used, n);
	}

	/* Other codings, or chunked with a length: refused. */
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 0, &used, false), ILP_ERR_INVALID);
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n"), 0, &used, false),
		 ILP_ERR_INVALID);
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			    "Content-Length: 5\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			    "Content-Length: 5\r\n\r\n"), 0, &used, false),
		 ILP_ERR_INVALID);
}

static void test_close_delimited(void)
{
	const char *s = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body";
	size_t used;

	CHECK_EQ(feed_steps(s, strlen(s), 3, &used, false), ILP_ERR_NEED_MORE);
	CHECK_EQ(used, strlen(s));
	CHECK_EQ(R.mode, HTTPC_BODY_CLOSE);
	CHECK(!httpc_resp_done(&R));
	CHECK_EQ(httpc_resp_eof(&R), ILP_OK);
	CHECK(httpc_resp_done(&R));
	CHECK(!httpc_resp_reusable(&R));
	CHECK_EQ(R.body_len, 9);
	CHECK(memcmp(body, "some body", 9) == 0);
	/* Even HTTP/1.1 keep-alive cannot reuse a close-delimited body. */
	s = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nx";
	CHECK_EQ(feed_steps(s, strlen(s), 0, &used, false), ILP_ERR_NEED_MORE);
	CHECK_EQ(httpc_resp_eof(&R), ILP_OK);
	CHECK(!httpc_resp_reusable(&R));
	/* Too much before the close. */
	{
		static char big[400];
		size_t n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n\r\n");

		memset(big + n, 'z', 257);
		CHECK_EQ(feed_steps(big, n + 257, 100, &used, false), ILP_ERR_OVERFLOW);
		CHECK_EQ(feed_steps(big, n + 256, 100, &used, false), ILP_ERR_NEED_MORE);
		CHECK_EQ(httpc_resp_eof(&R), ILP_OK);
	}
	/* EOF too early: truncated, or nothing at all. */
	s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc";
	CHECK_EQ(feed_steps(s, strlen(s), 0, &used, false), ILP_ERR_NEED_MORE);
	CHECK_EQ(httpc_resp_eof(&R), ILP_ERR_INVALID);
	CHECK(!httpc_resp_done(&R));
	CHECK_EQ(feed_steps("HTTP/1.1 2", strlen("HTTP/1.1 2"), 0, &used, false), ILP_ERR_NEED_MORE);
	CHECK_EQ(httpc_resp_eof(&R), ILP_ERR_INVALID);
	httpc_resp_init(&R, body, sizeof(body), false);
	CHECK_EQ(httpc_resp_received(&R), 0);
	CHECK_EQ(httpc_resp_eof(&R), ILP_ERR_NEED_MORE);
	/* Errors are sticky. */
	CHECK_EQ(httpc_resp_feed(&R, U("HTTP/1.1 200 OK\r\n\r\n"), 19, &used),
		 ILP_ERR_NEED_MORE);
	CHECK_EQ(httpc_resp_eof(&R), ILP_ERR_NEED_MORE);
	/* Chunked or CL truncated by EOF: */
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
	CHECK_EQ(feed_steps(s, strlen(s), 0, &used, false), ILP_ERR_NEED_MORE);
	CHECK_EQ(httpc_resp_eof(&R), ILP_ERR_INVALID);
}

static void test_no_body_and_interim(void)
{
	const char *s;
	size_t used;

	/* HEAD: Content-Length describes a body that is not sent. */
	s = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
	CHECK_EQ(feed_steps(s, strlen(s), 0, &used, true), ILP_OK);
	CHECK_EQ(R.mode, HTTPC_BODY_NONE);
	CHECK(httpc_resp_reusable(&R));
	s = "HTTP/1.1 204 No Content\r\n\r\nX";
	CHECK_EQ(feed_steps(s, strlen(s), 0, &used, false), ILP_OK);
	CHECK_EQ(used, strlen(s) - 1);
	s = "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n";
	CHECK_EQ(feed_steps(s, strlen(s), 0, &used, false), ILP_OK);
	CHECK_EQ(R.body_len, 0);

	/* 1xx skipped (several, split anywhere). */
	s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nZ: final\r\n\r\nok";
	SPLITS(s, ILP_OK, "ok", strlen(s));
	CHECK_EQ(R.status, 200);
	CHECK(httpc_resp_header(&R, "X") == NULL);
	CHECK(http_str_eq(httpc_resp_header(&R, "z"), "final"));
	/* 101 is refused; too many 1xx refused. */
	s = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
	CHECK_EQ(feed_steps(s, strlen(s), 0, &used, false), ILP_ERR_INVALID);
	{
		char many[512];
		size_t n = 0;
		int i;

		for (i = 0; i < HTTPC_MAX_INTERIM + 1; i++)
			n += (size_t)snprintf(many + n, sizeof(many) - n,
					      "HTTP/1.1 100 Continue\r\n\r\n");
		CHECK_EQ(feed_steps(many, n, 0, &used, false), ILP_ERR_INVALID);
		n -= 25;
		n += (size_t)snprintf(many + n, sizeof(many) - n,
				      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
		CHECK_EQ(feed_steps(many, n, 0, &used, false), ILP_OK);
	}
}

static void test_head_limits(void)
{
	static char big[2 * ILPD_HTTP_MAX_HEAD];
	size_t n, used;

	/* A head of exactly ILPD_HTTP_MAX_HEAD bytes is fine; one more is not. */
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX: ");
	memset(big + n, 'a', ILPD_HTTP_MAX_HEAD - n - 4);
	n = ILPD_HTTP_MAX_HEAD - 4;
	memcpy(big + n, "\r\n\r\n", 4);
	n += 4;
	CHECK_EQ(feed_steps(big, n, 0, &used, true), ILP_OK);
	memmove(big + 25, big + 24, n - 24);
	CHECK_EQ(feed_steps(big, n + 1, 0, &used, true), ILP_ERR_OVERFLOW);
	CHECK_EQ(feed_steps(big, n + 1, 1, &used, true), ILP_ERR_OVERFLOW);
	/* Garbage heads. */
	CHECK_EQ(feed_steps("HTTP/2 200\r\n\r\n", strlen("HTTP/2 200\r\n\r\n"), 1, &used, false), ILP_ERR_INVALID);
	CHECK_EQ(feed_steps("\r\n\r\n", strlen("\r\n\r\n"), 1, &used, false), ILP_ERR_INVALID);
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\n\n\r\n\r\n", strlen("HTTP/1.1 200 OK\n\n\r\n\r\n"), 0, &used, false),
		 ILP_ERR_INVALID);
	CHECK_EQ(feed_steps("HTTP/1.1 099 X\r\n\r\n", strlen("HTTP/1.1 099 X\r\n\r\n"), 0, &used, false), ILP_ERR_INVALID);
	/* Content-Length over the body buffer: refused at the head. */
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nContent-Length: 257\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nContent-Length: 257\r\n\r\n"), 0,
			    &used, false), ILP_ERR_OVERFLOW);
	CHECK_EQ(used, 0);
	/* No body buffer at all. */
	httpc_resp_init(&R, NULL, 100, false);
	CHECK_EQ(httpc_resp_feed(&R, U("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"),
				 38, &used), ILP_ERR_OVERFLOW);
	httpc_resp_init(&R, NULL, 0, false);
	CHECK_EQ(httpc_resp_feed(&R, U("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
				 38, &used), ILP_OK);
}

static void test_keep_alive(void)
{
	static const struct {
		const char *head;
		bool reuse;
	} t[] = {
		{ "HTTP/1.1 200 OK\r\n", true },
		{ "HTTP/1.1 200 OK\r\nConnection: close\r\n", false },
		{ "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\n", false },
		{ "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n", true },
		{ "HTTP/1.1 200 OK\r\nConnection: x-closed\r\n", true },
		{ "HTTP/1.0 200 OK\r\n", false },
		{ "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n", true },
		{ "HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\n", true },
		{ "HTTP/1.0 200 OK\r\nConnection: close\r\n", false },
		{ "HTTP/1.1 503 Busy\r\n", true },
	};
	char s[256];
	size_t i, used;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(s, sizeof(s), "%sContent-Length: 1\r\n\r\nx", t[i].head);
		CHECK_EQ(feed_steps(s, strlen(s), 0, &used, false), ILP_OK);
		if (httpc_resp_reusable(&R) != t[i].reuse)
			th_fail(__FILE__, __LINE__, "case %zu: reusable %d", i,
				(int)httpc_resp_reusable(&R));
	}
	/* Not complete: not reusable. */
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nx", strlen("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nx"), 0,
			    &used, false), ILP_ERR_NEED_MORE);
	CHECK(!httpc_resp_reusable(&R));
	/* After an error: not reusable. */
	CHECK_EQ(feed_steps("HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n", strlen("HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n"), 0,
			    &used, false), ILP_ERR_OVERFLOW);
	CHECK(!httpc_resp_reusable(&R));
}

int main(void)
{
	TH_RUN(test_request);
	TH_RUN(test_content_length);
	TH_RUN(test_chunked);
	TH_RUN(test_close_delimited);
	TH_RUN(test_no_body_and_interim);
	TH_RUN(test_head_limits);
	TH_RUN(test_keep_alive);
	return th_finish();
}
