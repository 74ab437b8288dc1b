/*
 * test_ws.c - the RFC 6455 engine: handshake vectors (RFC 6455 1.3 / 4.2.2
 * key and accept), a client and a server talking through buffers, every
 * close-code path of ws.h, fragmentation, length forms, partial input at
 * every byte boundary, the max_message boundary, UTF-8 and masking rules.
 */
#include <string.h>

#include "net/ws.h"
#include "th.h"

#define MAXMSG 70000

static uint8_t in[MAXMSG + 64];
static uint8_t out[MAXMSG + 64];
static uint8_t payload[MAXMSG];
static uint8_t frag_c[MAXMSG];
static uint8_t frag_s[MAXMSG];

/* ---- helpers ------------------------------------------------------------- */

/* Deterministic "random" source: the first 16 bytes asked for are the RFC
 * 6455 sample nonce, then a counter. fail_rng makes it fail. */
static uint8_t rng_ctr;
static bool fail_rng;
static bool nonce_done;

static int test_rng(void *buf, size_t n)
{
	static const char nonce[] = "the sample nonce";
	uint8_t *b = buf;
	size_t i;

	if (fail_rng)
		return -1;
	if (!nonce_done && n == 16) {
		memcpy(b, nonce, 16);
		nonce_done = true;
		return 0;
	}
	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(0x5a + 37 * rng_ctr++);
	return 0;
}

static const uint8_t *U(const char *s)
{
	return (const uint8_t *)s;
}

static void open_pair(struct ws_conn *c, struct ws_conn *s, size_t max)
{
	ws_init(c, WS_CLIENT, max, frag_c, sizeof(frag_c), test_rng);
	ws_init(s, WS_SERVER, max, frag_s, sizeof(frag_s), NULL);
	c->state = WS_OPEN;
	s->state = WS_OPEN;
}

/* Writes a raw frame: b0 (FIN/RSV/opcode), mask bit and key when masked,
 * the length in `form` (0 = minimal, else 7, 16 or 64). Returns its size. */
static size_t raw(uint8_t *dst, uint8_t b0, bool masked, const uint8_t *pl,
		  size_t len, int form)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = 2, i;

	if (form == 0)
		form = len < 126 ? 7 : len < 65536 ? 16 : 64;
	dst[0] = b0;
	if (form == 7) {
		dst[1] = (uint8_t)len;
	} else if (form == 16) {
		dst[1] = 126;
		dst[2] = (uint8_t)(len >> 8);
		dst[3] = (uint8_t)len;
		h = 4;
	} else {
		dst[1] = 127;
		for (i = 0; i < 8; i++)
			dst[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	if (masked) {
		dst[1] |= 0x80;
		memcpy(dst + h, key, 4);
		h += 4;
	}
	for (i = 0; i < len; i++)
		dst[h + i] = (uint8_t)(pl[i] ^ (masked ? key[i & 3] : 0));
	return h + len;
}

/* Reads one frame from [p, p+n) expecting ILP_OK; returns the event. */
static struct ws_event rd(struct ws_conn *ws, uint8_t *p, size_t n,
			  size_t *consumed, int line)
{
	struct ws_event ev;
	int r = ws_read(ws, p, n, consumed, &ev);

	if (r != ILP_OK)
		th_fail(__FILE__, line, "ws_read -> %d", r);
	if (*consumed == 0 || *consumed > n)
		th_fail(__FILE__, line, "consumed %zu of %zu", *consumed, n);
	return ev;
}
#define RD(ws, p, n, c) rd((ws), (p), (n), (c), __LINE__)

/* Feeds one raw frame to a fresh connection of `role` and checks it fails
 * with close code `code`. */
static void expect_error(enum ws_role role, const uint8_t *frame, size_t n,
			 uint16_t code, int line)
{
	struct ws_conn ws;
	struct ws_event ev;
	size_t c;

	ws_init(&ws, role, 1000, frag_s, 2000, test_rng);
	ws.state = WS_OPEN;
	memcpy(in, frame, n);
	ev = rd(&ws, in, n, &c, line);
	if (ev.type != WS_EV_ERROR || ev.close_code != code)
		th_fail(__FILE__, line, "event %d code %u, want error %u",
			(int)ev.type, ev.close_code, code);
	if (c != n || ws.state != WS_CLOSED)
		th_fail(__FILE__, line, "error did not close: c=%zu state=%u",
			c, ws.state);
}
#define EXPECT_ERROR(role, f, n, code) expect_error((role), (f), (n), (code), __LINE__)

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed + (i >> 8));
}

/* ---- handshake ----------------------------------------------------------- */

#define RFC_REQ                                                             \
	"GET /chat HTTP/1.1\r\n"                                             \
	"Host: server.example.com\r\n"                                       \
	"Upgrade: websocket\r\n"                                             \
	"Connection: Upgrade\r\n"                                            \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                    \
	"Origin: http://example.com\r\n"                                     \
	"Sec-WebSocket-Version: 13\r\n\r\n"
#define RFC_101                                                             \
	"HTTP/1.1 101 Switching Protocols\r\n"                               \
	"Upgrade: websocket\r\n"                                             \
	"Connection: Upgrade\r\n"                                            \
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
/* What the `ws` npm client (6.x/7.x/8.x) sends. */
#define NODE_WS_REQ                                                         \
	"GET /btp HTTP/1.1\r\n"                                              \
	"Sec-WebSocket-Version: 13\r\n"                                      \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                    \
	"Connection: Upgrade\r\n"                                            \
	"Upgrade: websocket\r\n"                                             \
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" \
	"Host: 127.0.0.1:7768\r\n\r\n"

static int server_hs(struct ws_conn *s, const char *req, char *path,
		     size_t pcap, size_t *olen, const char **why)
{
	size_t c;
	int r;

	ws_init(s, WS_SERVER, 1000, NULL, 0, NULL);
	r = ws_server_handshake(s, U(req), strlen(req), &c, path, pcap, out,
				sizeof(out), olen, why);
	if (r == ILP_OK && c != strlen(req))
		th_fail(__FILE__, __LINE__, "consumed %zu of %zu", c, strlen(req));
	return r;
}

static void test_server_handshake_rfc(void)
{
	struct ws_conn s;
	char path[64];
	size_t olen, c, n;
	const char *why = "x";

	CHECK_EQ(server_hs(&s, RFC_REQ, path, sizeof(path), &olen, &why), ILP_OK);
	CHECK(why == NULL);
	CHECK_EQ(olen, strlen(RFC_101));
	CHECK_MEM(out, RFC_101, strlen(RFC_101));
	CHECK(strcmp(path, "/chat") == 0);
	CHECK_EQ(s.state, WS_OPEN);
	/* The ws npm request: the extension is declined by not answering. */
	CHECK_EQ(server_hs(&s, NODE_WS_REQ, NULL, 0, &olen, &why), ILP_OK);
	CHECK_EQ(olen, strlen(RFC_101));
	CHECK_MEM(out, RFC_101, strlen(RFC_101));
	/* Frame bytes right after the head stay for ws_read. */
	ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
	n = strlen(RFC_REQ);
	memcpy(in, RFC_REQ, n);
	in[n] = 0x82;
	CHECK_EQ(ws_server_handshake(&s, in, n + 1, &c, NULL, 0, out,
				     sizeof(out), &olen, &why), ILP_OK);
	CHECK_EQ(c, n);
	/* A second handshake on an open connection is API misuse. */
	CHECK_EQ(ws_server_handshake(&s, in, n, &c, NULL, 0, out, sizeof(out),
				     &olen, &why), ILP_ERR_ARG);
	/* Every prefix: NEED_MORE, nothing consumed, nothing written. */
	for (c = 0; c < n; c++) {
		size_t cc = 9;

		olen = 9;
		ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
		if (ws_server_handshake(&s, in, c, &cc, NULL, 0, out,
					sizeof(out), &olen, &why) !=
		    ILP_ERR_NEED_MORE || cc != 0 || olen != 0 ||
		    s.state != WS_EXPECT_HANDSHAKE)
			th_fail(__FILE__, __LINE__, "prefix %zu", c);
	}
	/* Output too small for the 101: overflow, still not open. */
	ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
	CHECK_EQ(ws_server_handshake(&s, in, n, &c, NULL, 0, out, 50, &olen,
				     &why), ILP_ERR_OVERFLOW);
	CHECK_EQ(s.state, WS_EXPECT_HANDSHAKE);
}

/* Replaces the first occurrence of `from` in RFC_REQ by `to`. */
static const char *req_with(const char *from, const char *to)
{
	static char b[1024];
	const char *at = strstr(RFC_REQ, from);
	size_t pre;

	if (at == NULL) {
		th_fail(__FILE__, __LINE__, "no \"%s\" in request", from);
		return RFC_REQ;
	}
	pre = (size_t)(at - RFC_REQ);
	memcpy(b, RFC_REQ, pre);
	strcpy(b + pre, to);
	strcat(b, at + strlen(from));
	return b;
}

static void refused(const char *req, int status, const char *want_why,
		    int line)
{
	struct ws_conn s;
	size_t olen;
	const char *why = NULL;
	char first[32];
	int r = server_hs(&s, req, NULL, 0, &olen, &why);

	snprintf(first, sizeof(first), "HTTP/1.1 %d ", status);
	if (r != ILP_ERR_INVALID || why == NULL || strcmp(why, want_why) != 0)
		th_fail(__FILE__, line, "r=%d why=%s, want %s", r,
			why ? why : "(null)", want_why);
	if (olen < strlen(first) || memcmp(out, first, strlen(first)) != 0)
		th_fail(__FILE__, line, "response is not %d", status);
	if (s.state != WS_EXPECT_HANDSHAKE)
		th_fail(__FILE__, line, "state changed");
}
#define REFUSED(req, status, why) refused((req), (status), (why), __LINE__)

static void test_server_handshake_refusals(void)
{
	struct ws_conn s;
	size_t olen;
	const char *why;
	char path[6];

	REFUSED("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400, "malformed request head");
	REFUSED(req_with("GET", "POST"), 400, "method is not GET");
	REFUSED(req_with("GET", "get"), 400, "method is not GET");
	REFUSED(req_with("HTTP/1.1", "HTTP/1.0"), 400, "not HTTP/1.1");
	REFUSED(req_with("Host: server.example.com\r\n", ""), 400, "no Host");
	REFUSED(req_with("Upgrade: websocket\r\n", ""), 400,
		"no Upgrade: websocket");
	REFUSED(req_with("Upgrade: websocket", "Upgrade: h2c"), 400,
		"no Upgrade: websocket");
	REFUSED(req_with("Connection: Upgrade", "Connection: keep-alive"), 400,
		"no Connection: Upgrade");
	REFUSED(req_with("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"),
		426, "Sec-WebSocket-Version is not 13");
	REFUSED(req_with("Sec-WebSocket-Version: 13\r\n", ""), 426,
		"Sec-WebSocket-Version is not 13");
	REFUSED(req_with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
		400, "bad Sec-WebSocket-Key");
	REFUSED(req_with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ="),
		400, "bad Sec-WebSocket-Key");
	REFUSED(req_with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZ!=="),
		400, "bad Sec-WebSocket-Key");
	REFUSED(req_with("/chat", "http://x/chat"), 400,
		"request target is not a path");
	/* The 426 names the version we speak. */
	CHECK(server_hs(&s, req_with("Version: 13", "Version: 14"), NULL, 0,
			&olen, &why) == ILP_ERR_INVALID);
	out[olen] = 0;
	CHECK(strstr((const char *)out, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
	/* Names and tokens are case-insensitive; Connection may be a list. */
	CHECK_EQ(server_hs(&s, req_with("Upgrade: websocket", "uPGRADE: WebSocket"),
			   NULL, 0, &olen, &why), ILP_OK);
	CHECK_EQ(server_hs(&s, req_with("Connection: Upgrade",
					"connection: keep-alive,  upgrade"),
			   NULL, 0, &olen, &why), ILP_OK);
	CHECK_EQ(server_hs(&s, req_with("Sec-WebSocket-Key", "SEC-WEBSOCKET-KEY"),
			   NULL, 0, &olen, &why), ILP_OK);
	CHECK_MEM(out, RFC_101, strlen(RFC_101));
	/* The path must fit with its NUL: "/chat" needs 6. */
	CHECK_EQ(server_hs(&s, RFC_REQ, path, 6, &olen, &why), ILP_OK);
	CHECK(strcmp(path, "/chat") == 0);
	CHECK_EQ(server_hs(&s, RFC_REQ, path, 5, &olen, &why), ILP_ERR_INVALID);
	CHECK(strcmp(why, "request target too long") == 0);
	/* Refusal does not fit: nothing to send, still INVALID. */
	ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
	CHECK_EQ(ws_server_handshake(&s, U("POST / HTTP/1.1\r\n\r\n"), 19, &olen,
				     NULL, 0, out, 10, &olen, &why),
		 ILP_ERR_INVALID);
	CHECK_EQ(olen, 0);
	/* A client context cannot serve. */
	ws_init(&s, WS_CLIENT, 1000, NULL, 0, test_rng);
	CHECK_EQ(ws_server_handshake(&s, U(RFC_REQ), strlen(RFC_REQ), &olen,
				     NULL, 0, out, sizeof(out), &olen, &why),
		 ILP_ERR_ARG);
}

static void test_client_handshake(void)
{
	static const char want[] =
		"GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n\r\n";
	struct ws_conn c;
	size_t len, n, k;
	const char *why = "x";

	nonce_done = false;
	ws_init(&c, WS_CLIENT, 1000, NULL, 0, test_rng);
	CHECK_EQ(ws_client_request(&c, "server.example.com", "/chat", out,
				   sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, strlen(want));
	CHECK_MEM(out, want, strlen(want));
	CHECK(strcmp(c.key, "dGhlIHNhbXBsZSBub25jZQ==") == 0);
	/* The RFC's answer, in pieces: NEED_MORE until the head is whole. */
	n = strlen(RFC_101);
	memcpy(in, RFC_101, n);
	memcpy(in + n, "\x82\x00", 2);
	for (k = 0; k < n; k++) {
		size_t cc = 7;

		if (ws_client_response(&c, in, k, &cc, &why) != ILP_ERR_NEED_MORE ||
		    cc != 0 || c.state != WS_EXPECT_HANDSHAKE)
			th_fail(__FILE__, __LINE__, "prefix %zu", k);
	}
	CHECK_EQ(ws_client_response(&c, in, n + 2, &k, &why), ILP_OK);
	CHECK(why == NULL);
	CHECK_EQ(k, n);
	CHECK_EQ(c.state, WS_OPEN);

	/* Default path, bad arguments, small buffer, failing RNG. */
	ws_init(&c, WS_CLIENT, 1000, NULL, 0, test_rng);
	CHECK_EQ(ws_client_request(&c, "h:1", NULL, out, sizeof(out), &len), ILP_OK);
	CHECK_MEM(out, "GET / HTTP/1.1\r\nHost: h:1\r\n", 27);
	CHECK(strcmp(c.key, "dGhlIHNhbXBsZSBub25jZQ==") != 0);
	CHECK_EQ(strlen(c.key), WS_KEY_LEN);
	CHECK_EQ(ws_client_request(&c, "h", "/x y", out, sizeof(out), &len),
		 ILP_ERR_ARG);
	CHECK_EQ(ws_client_request(&c, "h\r\nX: 1", "/", out, sizeof(out), &len),
		 ILP_ERR_ARG);
	CHECK_EQ(ws_client_request(&c, "", "/", out, sizeof(out), &len),
		 ILP_ERR_ARG);
	CHECK_EQ(ws_client_request(&c, "h", "x", out, sizeof(out), &len),
		 ILP_ERR_ARG);
	CHECK_EQ(ws_client_request(&c, "h", "/", out, 60, &len), ILP_ERR_OVERFLOW);
	fail_rng = true;
	CHECK_EQ(ws_client_request(&c, "h", "/", out, sizeof(out), &len),
		 ILP_ERR_INVALID);
	fail_rng = false;
	CHECK_EQ(ws_client_response(&c, U(RFC_101), n, &k, &why), ILP_ERR_ARG);
	ws_init(&c, WS_SERVER, 1000, NULL, 0, NULL);
	CHECK_EQ(ws_client_request(&c, "h", "/", out, sizeof(out), &len),
		 ILP_ERR_ARG);
}

static void client_refuses(const char *resp, const char *want_why, int line)
{
	struct ws_conn c;
	size_t len, k;
	const char *why = NULL;
	int r;

	nonce_done = false;
	ws_init(&c, WS_CLIENT, 1000, NULL, 0, test_rng);
	if (ws_client_request(&c, "h", "/", out, sizeof(out), &len) != ILP_OK)
		th_fail(__FILE__, line, "request failed");
	r = ws_client_response(&c, U(resp), strlen(resp), &k, &why);
	if (r != ILP_ERR_INVALID || why == NULL || strcmp(why, want_why) != 0 ||
	    c.state != WS_EXPECT_HANDSHAKE)
		th_fail(__FILE__, line, "r=%d why=%s, want %s", r,
			why ? why : "(null)", want_why);
}
#define CLIENT_REFUSES(r, w) client_refuses((r), (w), __LINE__)

static void test_client_response_refusals(void)
{
	CLIENT_REFUSES("HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n\r\n",
		       "malformed response head");
	CLIENT_REFUSES("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		       "status is not 101");
	CLIENT_REFUSES("HTTP/1.1 101 Switching Protocols\r\n"
		       "Connection: Upgrade\r\n"
		       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
		       "no Upgrade: websocket");
	CLIENT_REFUSES("HTTP/1.1 101 Switching Protocols\r\n"
		       "Upgrade: websocket\r\n"
		       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
		       "no Connection: Upgrade");
	CLIENT_REFUSES("HTTP/1.1 101 Switching Protocols\r\n"
		       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n\r\n",
		       "wrong Sec-WebSocket-Accept");
	CLIENT_REFUSES("HTTP/1.1 101 Switching Protocols\r\n"
		       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		       "Sec-WebSocket-Accept: S3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
		       "wrong Sec-WebSocket-Accept");
	CLIENT_REFUSES("HTTP/1.1 101 Switching Protocols\r\n"
		       "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
		       "wrong Sec-WebSocket-Accept");
}

/* Extension and subprotocol answers are refused (we asked for none). */
static void test_client_response_unrequested(void)
{
	struct ws_conn c;
	size_t len, k, n = strlen(RFC_101) - 2;
	const char *why;
	char r[512];

	memcpy(r, RFC_101, n);
	strcpy(r + n, "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
	nonce_done = false;
	ws_init(&c, WS_CLIENT, 1000, NULL, 0, test_rng);
	CHECK_EQ(ws_client_request(&c, "h", "/", out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(ws_client_response(&c, U(r), strlen(r), &k, &why), ILP_ERR_INVALID);
	CHECK(strcmp(why, "extension not requested") == 0);
	strcpy(r + n, "Sec-WebSocket-Protocol: chat\r\n\r\n");
	CHECK_EQ(ws_client_response(&c, U(r), strlen(r), &k, &why), ILP_ERR_INVALID);
	CHECK(strcmp(why, "subprotocol not requested") == 0);
	/* Case-insensitive names, token lists. */
	strcpy(r, "HTTP/1.1 101 OK\r\nUPGRADE: WebSocket\r\n"
		  "connection: keep-alive, UPGRADE\r\n"
		  "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	CHECK_EQ(ws_client_response(&c, U(r), strlen(r), &k, &why), ILP_OK);
	CHECK_EQ(k, strlen(r));
}

/* ---- a client and a server through buffers ------------------------------- */

/* Handshakes a real pair: request -> server -> 101 -> client. */
static void handshake_pair(struct ws_conn *c, struct ws_conn *s, size_t max)
{
	size_t len, k, olen;
	const char *why;

	ws_init(c, WS_CLIENT, max, frag_c, sizeof(frag_c), test_rng);
	ws_init(s, WS_SERVER, max, frag_s, sizeof(frag_s), NULL);
	CHECK_EQ(ws_client_request(c, "127.0.0.1:7768", "/btp", in,
				   sizeof(in), &len), ILP_OK);
	CHECK_EQ(ws_server_handshake(s, in, len, &k, NULL, 0, out, sizeof(out),
				     &olen, &why), ILP_OK);
	CHECK_EQ(k, len);
	CHECK_EQ(ws_client_response(c, out, olen, &k, &why), ILP_OK);
	CHECK_EQ(k, olen);
	CHECK_EQ(c->state, WS_OPEN);
	CHECK_EQ(s->state, WS_OPEN);
}

static void test_pair(void)
{
	struct ws_conn c, s;
	struct ws_event ev;
	size_t len, k, at;
	int i;

	handshake_pair(&c, &s, MAXMSG);
	/* client -> server, binary */
	fill(payload, 1000, 1);
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, payload, 1000, in, sizeof(in), &len),
		 ILP_OK);
	CHECK_EQ(len, 1000 + 8);
	ev = RD(&s, in, len, &k);
	CHECK_EQ(ev.type, WS_EV_MESSAGE);
	CHECK_EQ(ev.opcode, WS_OP_BINARY);
	CHECK_EQ(ev.len, 1000);
	CHECK_MEM(ev.data, payload, 1000);
	CHECK(ev.data == in + 8);   /* in place, no copy */
	CHECK_EQ(k, len);
	/* server -> client, text */
	CHECK_EQ(ws_write(&s, WS_OP_TEXT, U("h\xc3\xa9llo"), 6, out, sizeof(out),
			  &len), ILP_OK);
	CHECK_EQ(len, 8);
	ev = RD(&c, out, len, &k);
	CHECK_EQ(ev.type, WS_EV_MESSAGE);
	CHECK_EQ(ev.opcode, WS_OP_TEXT);
	CHECK_EQ(ev.len, 6);
	CHECK_MEM(ev.data, "h\xc3\xa9llo", 6);
	/* ping from the client, answered by the server with the payload */
	CHECK_EQ(ws_write(&c, WS_OP_PING, U("abc"), 3, in, sizeof(in), &len),
		 ILP_OK);
	ev = RD(&s, in, len, &k);
	CHECK_EQ(ev.type, WS_EV_PING);
	CHECK_EQ(ev.len, 3);
	CHECK_EQ(ws_write(&s, WS_OP_PONG, ev.data, ev.len, out, sizeof(out), &len),
		 ILP_OK);
	ev = RD(&c, out, len, &k);
	CHECK_EQ(ev.type, WS_EV_PONG);
	CHECK_EQ(ev.len, 3);
	CHECK_MEM(ev.data, "abc", 3);
	/* several frames in one buffer, read one by one */
	at = 0;
	for (i = 0; i < 5; i++) {
		fill(payload, (size_t)i * 100, (unsigned)i);
		CHECK_EQ(ws_write(&c, WS_OP_BINARY, payload, (size_t)i * 100,
				  in + at, sizeof(in) - at, &len), ILP_OK);
		at += len;
	}
	for (i = 0, k = 0; i < 5; i++) {
		size_t done = 0;

		fill(payload, (size_t)i * 100, (unsigned)i);
		ev = RD(&s, in + k, at - k, &done);
		CHECK_EQ(ev.type, WS_EV_MESSAGE);
		CHECK_EQ(ev.len, (size_t)i * 100);
		if (i > 0)
			CHECK_MEM(ev.data, payload, (size_t)i * 100);
		k += done;
	}
	CHECK_EQ(k, at);
	/* closing handshake, started by the client */
	CHECK_EQ(ws_write_close(&c, WS_CLOSE_NORMAL, in, sizeof(in), &len), ILP_OK);
	CHECK_EQ(c.state, WS_CLOSE_SENT);
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, payload, 1, out, sizeof(out), &k),
		 ILP_ERR_ARG);
	ev = RD(&s, in, len, &k);
	CHECK_EQ(ev.type, WS_EV_CLOSE);
	CHECK_EQ(ev.close_code, 1000);
	CHECK_EQ(ev.len, 0);
	CHECK_EQ(s.state, WS_CLOSED);
	CHECK_EQ(ws_write_close(&s, ev.close_code, out, sizeof(out), &len), ILP_OK);
	CHECK_MEM(out, "\x88\x02\x03\xe8", 4);
	ev = RD(&c, out, len, &k);
	CHECK_EQ(ev.type, WS_EV_CLOSE);
	CHECK_EQ(ev.close_code, 1000);
	CHECK_EQ(c.state, WS_CLOSED);
	CHECK_EQ(ws_write(&s, WS_OP_PING, NULL, 0, out, sizeof(out), &k),
		 ILP_ERR_ARG);
	/* after the close, input is discarded */
	ev = RD(&c, out, 3, &k);
	CHECK_EQ(ev.type, WS_EV_NONE);
	CHECK_EQ(k, 3);
}

/* A server close with a reason, read by the client; frames after our own
 * close are still delivered until the peer's close arrives. */
static void test_close_sent_then_data(void)
{
	struct ws_conn c, s;
	struct ws_event ev;
	size_t len, k;
	uint8_t cl[8] = { 0x0f, 0xa0, 'b', 'y', 'e' };   /* 4000 "bye" */

	handshake_pair(&c, &s, MAXMSG);
	CHECK_EQ(ws_write_close(&s, WS_CLOSE_GOING_AWAY, out, sizeof(out), &len),
		 ILP_OK);
	CHECK_EQ(s.state, WS_CLOSE_SENT);
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, U("late"), 4, in, sizeof(in), &len),
		 ILP_OK);
	ev = RD(&s, in, len, &k);
	CHECK_EQ(ev.type, WS_EV_MESSAGE);
	CHECK_EQ(ws_write(&c, WS_OP_CLOSE, cl, 5, in, sizeof(in), &len), ILP_OK);
	CHECK_EQ(c.state, WS_CLOSE_SENT);
	ev = RD(&s, in, len, &k);
	CHECK_EQ(ev.type, WS_EV_CLOSE);
	CHECK_EQ(ev.close_code, 4000);
	CHECK_EQ(ev.len, 3);
	CHECK_MEM(ev.data, "bye", 3);
	CHECK_EQ(s.state, WS_CLOSED);
	/* empty close: 1005 "no status"; echoing it sends an empty close */
	handshake_pair(&c, &s, MAXMSG);
	CHECK_EQ(ws_write_close(&c, WS_CLOSE_NO_STATUS, in, sizeof(in), &len),
		 ILP_OK);
	CHECK_EQ(len, 6);
	CHECK_EQ(in[1], 0x80);
	ev = RD(&s, in, len, &k);
	CHECK_EQ(ev.type, WS_EV_CLOSE);
	CHECK_EQ(ev.close_code, WS_CLOSE_NO_STATUS);
	CHECK_EQ(ws_write_close(&s, ev.close_code, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, 2);
	CHECK_MEM(out, "\x88\x00", 2);
}

/* ---- close-code paths ---------------------------------------------------- */

static void test_close_codes(void)
{
	static const uint8_t ascii[4] = { 'a', 'b', 'c', 'd' };
	uint8_t f[64], big[130];
	struct ws_conn s;
	struct ws_event ev;
	size_t n, k;
	unsigned op, code, i;

	memset(big, 'x', sizeof(big));
	/* masking by role (1002) */
	n = raw(f, 0x82, false, ascii, 4, 0);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	n = raw(f, 0x82, true, ascii, 4, 0);
	EXPECT_ERROR(WS_CLIENT, f, n, WS_CLOSE_PROTOCOL);
	/* RSV bits (1002): no extension was negotiated */
	for (i = 0x10; i <= 0x40; i <<= 1) {
		n = raw(f, (uint8_t)(0x82 | i), true, ascii, 4, 0);
		EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	}
	/* unknown opcodes (1002) */
	for (op = 0; op < 16; op++) {
		if (op <= 2 || (op >= 8 && op <= 10))
			continue;
		n = raw(f, (uint8_t)(0x80 | op), true, ascii, 4, 0);
		EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	}
	/* control frames: > 125 bytes or fragmented (1002) */
	n = raw(in + 200, 0x89, true, big, 126, 0);
	EXPECT_ERROR(WS_SERVER, in + 200, n, WS_CLOSE_PROTOCOL);
	n = raw(f, 0x09, true, ascii, 4, 0);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	n = raw(f, 0x08, true, NULL, 0, 0);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	/* a continuation with nothing to continue (1002) */
	n = raw(f, 0x80, true, ascii, 4, 0);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	n = raw(f, 0x00, true, ascii, 4, 0);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	/* 64-bit length with the top bit set (1002), seen from the header */
	memcpy(f, "\x82\xff\x80\x00\x00\x00\x00\x01\x00\x00", 10);
	EXPECT_ERROR(WS_SERVER, f, 10, WS_CLOSE_PROTOCOL);
	/* non-minimal lengths (1002) */
	n = raw(f, 0x82, true, ascii, 4, 16);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	n = raw(f, 0x82, true, ascii, 4, 64);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	memcpy(f, "\x82\x7f\x00\x00\x00\x00\x00\x00\xff\xff", 10);
	EXPECT_ERROR(WS_CLIENT, f, 10, WS_CLOSE_PROTOCOL);
	memcpy(f, "\x82\x7e\x00\x7d", 4);
	EXPECT_ERROR(WS_CLIENT, f, 4, WS_CLOSE_PROTOCOL);
	/* too big (1009), seen from the header alone: 2^40 bytes announced */
	memcpy(f, "\x82\xff\x00\x00\x01\x00\x00\x00\x00\x00", 10);
	EXPECT_ERROR(WS_SERVER, f, 10, WS_CLOSE_TOO_BIG);
	memcpy(f, "\x82\x7e\x03\xe9", 4);   /* 1001 > max 1000 */
	EXPECT_ERROR(WS_CLIENT, f, 4, WS_CLOSE_TOO_BIG);
	/* invalid UTF-8 in a text message (1007) */
	n = raw(f, 0x81, true, U("a\xff"), 2, 0);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_BAD_DATA);
	/* close frames: 1 byte (1002), bad codes (1002), bad reason (1007) */
	n = raw(f, 0x88, true, U("\x03"), 1, 0);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
	n = raw(f, 0x88, true, U("\x03\xe8\xc3"), 3, 0);
	EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_BAD_DATA);
	{
		static const unsigned bad[] = { 0, 999, 1004, 1005, 1006, 1015,
						1016, 1100, 2000, 2999, 5000,
						65535 };
		static const unsigned good[] = { 1000, 1001, 1002, 1003, 1007,
						 1008, 1009, 1010, 1011, 1012,
						 1014, 3000, 3999, 4000, 4999 };
		uint8_t cp[2];

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			cp[0] = (uint8_t)(bad[i] >> 8);
			cp[1] = (uint8_t)bad[i];
			n = raw(f, 0x88, true, cp, 2, 0);
			EXPECT_ERROR(WS_SERVER, f, n, WS_CLOSE_PROTOCOL);
		}
		for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			code = good[i];
			cp[0] = (uint8_t)(code >> 8);
			cp[1] = (uint8_t)code;
			ws_init(&s, WS_CLIENT, 100, NULL, 0, test_rng);
			s.state = WS_OPEN;
			n = raw(f, 0x88, false, cp, 2, 0);
			ev = RD(&s, f, n, &k);
			if (ev.type != WS_EV_CLOSE || ev.close_code != code)
				th_fail(__FILE__, __LINE__, "code %u refused", code);
		}
	}
	/* fragmented message without a fragment buffer (1009) */
	ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
	s.state = WS_OPEN;
	n = raw(f, 0x02, true, ascii, 4, 0);
	ev = RD(&s, f, n, &k);
	CHECK_EQ(ev.type, WS_EV_ERROR);
	CHECK_EQ(ev.close_code, WS_CLOSE_TOO_BIG);
	/* ... but whole messages are fine */
	ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
	s.state = WS_OPEN;
	n = raw(f, 0x82, true, ascii, 4, 0);
	ev = RD(&s, f, n, &k);
	CHECK_EQ(ev.type, WS_EV_MESSAGE);
	/* a new message inside a fragmented one (1002) */
	ws_init(&s, WS_SERVER, 1000, frag_s, 1000, NULL);
	s.state = WS_OPEN;
	n = raw(f, 0x01, true, ascii, 4, 0);
	ev = RD(&s, f, n, &k);
	CHECK_EQ(ev.type, WS_EV_NONE);
	n = raw(f, 0x82, true, ascii, 4, 0);
	ev = RD(&s, f, n, &k);
	CHECK_EQ(ev.type, WS_EV_ERROR);
	CHECK_EQ(ev.close_code, WS_CLOSE_PROTOCOL);
	/* after an error everything is discarded */
	ev = RD(&s, f, n, &k);
	CHECK_EQ(ev.type, WS_EV_NONE);
	CHECK_EQ(k, n);
}

/* ---- fragmentation ------------------------------------------------------- */

static void test_fragmentation(void)
{
	struct ws_conn s;
	struct ws_event ev;
	size_t n = 0, k, at = 0;

	/* "Hello, world \xe2\x82\xac" in 3 frames, the euro sign split */
	ws_init(&s, WS_SERVER, 1000, frag_s, 1000, NULL);
	s.state = WS_OPEN;
	n += raw(in + n, 0x01, true, U("Hel"), 3, 0);
	n += raw(in + n, 0x00, true, U("lo, world \xe2"), 11, 0);
	n += raw(in + n, 0x80, true, U("\x82\xac"), 2, 0);
	ev = RD(&s, in + at, n - at, &k);
	CHECK_EQ(ev.type, WS_EV_NONE);
	CHECK(s.in_fragment);
	at += k;
	ev = RD(&s, in + at, n - at, &k);
	CHECK_EQ(ev.type, WS_EV_NONE);
	at += k;
	ev = RD(&s, in + at, n - at, &k);
	at += k;
	CHECK_EQ(at, n);
	CHECK_EQ(ev.type, WS_EV_MESSAGE);
	CHECK_EQ(ev.opcode, WS_OP_TEXT);
	CHECK_EQ(ev.len, 16);
	CHECK_MEM(ev.data, "Hello, world \xe2\x82\xac", 16);
	CHECK(ev.data == frag_s);
	CHECK(!s.in_fragment);

	/* binary in 3 fragments with a ping and a pong between them */
	n = at = 0;
	n += raw(in + n, 0x02, true, U("ab"), 2, 0);
	n += raw(in + n, 0x89, true, U("p"), 1, 0);
	n += raw(in + n, 0x00, true, U("cd"), 2, 0);
	n += raw(in + n, 0x8a, true, NULL, 0, 0);
	n += raw(in + n, 0x80, true, U("ef"), 2, 0);
	n += raw(in + n, 0x82, true, U("next"), 4, 0);
	{
		static const enum ws_event_type want[] = {
			WS_EV_NONE, WS_EV_PING, WS_EV_NONE, WS_EV_PONG,
			WS_EV_MESSAGE, WS_EV_MESSAGE
		};
		unsigned i;

		for (i = 0; i < 6; i++) {
			ev = RD(&s, in + at, n - at, &k);
			at += k;
			if (ev.type != want[i])
				th_fail(__FILE__, __LINE__, "frame %u: event %d",
					i, (int)ev.type);
			if (i == 1)
				CHECK(ev.len == 1 && ev.data[0] == 'p');
			if (i == 4) {
				CHECK_EQ(ev.opcode, WS_OP_BINARY);
				CHECK_EQ(ev.len, 6);
				CHECK_MEM(ev.data, "abcdef", 6);
			}
			if (i == 5)
				CHECK(ev.len == 4 && ev.data != frag_s);
		}
		CHECK_EQ(at, n);
	}
	/* empty fragments make an empty message */
	n = at = 0;
	n += raw(in + n, 0x01, true, NULL, 0, 0);
	n += raw(in + n, 0x00, true, NULL, 0, 0);
	n += raw(in + n, 0x80, true, NULL, 0, 0);
	ev = RD(&s, in, n, &k);
	at += k;
	ev = RD(&s, in + at, n - at, &k);
	at += k;
	ev = RD(&s, in + at, n - at, &k);
	CHECK_EQ(ev.type, WS_EV_MESSAGE);
	CHECK_EQ(ev.opcode, WS_OP_TEXT);
	CHECK_EQ(ev.len, 0);
	/* text valid in pieces is checked only once complete: a code point
	 * cut at the end of the message is 1007 */
	n = at = 0;
	n += raw(in + n, 0x01, true, U("ok\xe2\x82"), 4, 0);
	n += raw(in + n, 0x80, true, U("x"), 1, 0);
	ev = RD(&s, in, n, &k);
	CHECK_EQ(ev.type, WS_EV_NONE);
	ev = RD(&s, in + k, n - k, &k);
	CHECK_EQ(ev.type, WS_EV_ERROR);
	CHECK_EQ(ev.close_code, WS_CLOSE_BAD_DATA);
}

/* ---- lengths and length forms -------------------------------------------- */

static void test_lengths(void)
{
	static const size_t lens[] = { 0, 1, 125, 126, 127, 65535, 65536, 69000 };
	struct ws_conn c, s;
	struct ws_event ev;
	size_t i, len, k, want_h;
	int dir;

	open_pair(&c, &s, MAXMSG);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (dir = 0; dir < 2; dir++) {
			struct ws_conn *w = dir ? &s : &c, *r = dir ? &c : &s;

			fill(payload, lens[i], (unsigned)i);
			CHECK_EQ(ws_write(w, WS_OP_BINARY, payload, lens[i], out,
					  sizeof(out), &len), ILP_OK);
			want_h = lens[i] < 126 ? 2 : lens[i] < 65536 ? 4 : 10;
			want_h += dir ? 0 : 4;
			CHECK_EQ(len, want_h + lens[i]);
			CHECK_EQ(ws_frame_size(w, lens[i]), len);
			CHECK_EQ(out[1] & 0x7f, lens[i] < 126 ? lens[i] :
				 lens[i] < 65536 ? 126 : 127);
			ev = RD(r, out, len, &k);
			CHECK_EQ(k, len);
			CHECK_EQ(ev.type, WS_EV_MESSAGE);
			CHECK_EQ(ev.len, lens[i]);
			if (lens[i] > 0)
				CHECK_MEM(ev.data, payload, lens[i]);
		}
	}
	/* the minimal forms written by hand are accepted */
	fill(payload, 65536, 9);
	len = raw(in, 0x82, true, payload, 126, 16);
	ev = RD(&s, in, len, &k);
	CHECK(ev.type == WS_EV_MESSAGE && ev.len == 126);
	len = raw(in, 0x82, true, payload, 65536, 64);
	ev = RD(&s, in, len, &k);
	CHECK(ev.type == WS_EV_MESSAGE && ev.len == 65536);
	CHECK_MEM(ev.data, payload, 65536);
	/* non-minimal forms of 0, 125 and 65535 are refused */
	{
		static const struct { size_t len; int form; } nm[] = {
			{ 0, 16 }, { 125, 16 }, { 0, 64 }, { 126, 64 },
			{ 65535, 64 }
		};
		for (i = 0; i < sizeof(nm) / sizeof(nm[0]); i++) {
			open_pair(&c, &s, MAXMSG);
			len = raw(in, 0x82, true, payload, nm[i].len, nm[i].form);
			ev = RD(&s, in, len, &k);
			if (ev.type != WS_EV_ERROR ||
			    ev.close_code != WS_CLOSE_PROTOCOL)
				th_fail(__FILE__, __LINE__, "non-minimal %zu/%d ok",
					nm[i].len, nm[i].form);
		}
	}
	CHECK_EQ(ws_frame_size(&s, 0), 2);
	CHECK_EQ(ws_frame_size(&c, 0), 6);
	CHECK_EQ(ws_frame_size(&s, 125), 127);
	CHECK_EQ(ws_frame_size(&s, 126), 130);
	CHECK_EQ(ws_frame_size(&c, 65536), 65536 + 14);
	CHECK_EQ_U64(ws_frame_size(&c, SIZE_MAX - 3), SIZE_MAX);
}

/* ---- partial input at every byte boundary -------------------------------- */

static void check_prefixes(enum ws_role role, const uint8_t *frame, size_t n,
			   int line)
{
	static uint8_t copy[MAXMSG + 64];
	struct ws_conn ws;
	struct ws_event ev;
	size_t k, c;
	int r;

	ws_init(&ws, role, MAXMSG, frag_s, sizeof(frag_s), test_rng);
	ws.state = WS_OPEN;
	memcpy(copy, frame, n);
	for (k = 0; k < n; k++) {
		c = 1234;
		r = ws_read(&ws, copy, k, &c, &ev);
		if (r != ILP_ERR_NEED_MORE || c != 0 || ev.type != WS_EV_NONE) {
			th_fail(__FILE__, line, "prefix %zu of %zu: r=%d c=%zu",
				k, n, r, c);
			return;
		}
	}
	if (memcmp(copy, frame, n) != 0)
		th_fail(__FILE__, line, "input changed by NEED_MORE");
	ev = rd(&ws, copy, n, &c, line);
	if (c != n || ev.type == WS_EV_ERROR)
		th_fail(__FILE__, line, "whole frame: c=%zu type=%d", c,
			(int)ev.type);
}
#define CHECK_PREFIXES(role, f, n) check_prefixes((role), (f), (n), __LINE__)

static void test_partial(void)
{
	size_t n;

	fill(payload, 70000, 3);
	n = raw(out, 0x82, true, payload, 300, 0);
	CHECK_PREFIXES(WS_SERVER, out, n);
	n = raw(out, 0x81, true, U("h\xc3\xa9llo"), 6, 0);
	CHECK_PREFIXES(WS_SERVER, out, n);
	n = raw(out, 0x89, true, NULL, 0, 0);
	CHECK_PREFIXES(WS_SERVER, out, n);
	n = raw(out, 0x88, false, U("\x03\xe8ok"), 4, 0);
	CHECK_PREFIXES(WS_CLIENT, out, n);
	n = raw(out, 0x82, false, payload, 66000, 0);
	CHECK_PREFIXES(WS_CLIENT, out, n);
	n = raw(out, 0x82, true, payload, 66000, 0);
	CHECK_PREFIXES(WS_SERVER, out, n);
	n = raw(out, 0x02, true, payload, 200, 0);
	CHECK_PREFIXES(WS_SERVER, out, n);
}

/* ---- max_message boundary ------------------------------------------------ */

static struct ws_event one(struct ws_conn *s, uint8_t b0, size_t len)
{
	size_t n, k;

	n = raw(in, b0, true, payload, len, 0);
	return RD(s, in, n, &k);
}

static void test_max_message(void)
{
	struct ws_conn s;
	struct ws_event ev;

	fill(payload, 3000, 5);
	/* max 1000, fragments up to 2000 */
	ws_init(&s, WS_SERVER, 1000, frag_s, 2000, NULL);
	s.state = WS_OPEN;
	ev = one(&s, 0x82, 1000);
	CHECK(ev.type == WS_EV_MESSAGE && ev.len == 1000);
	ev = one(&s, 0x02, 600);
	CHECK_EQ(ev.type, WS_EV_NONE);
	ev = one(&s, 0x80, 400);
	CHECK(ev.type == WS_EV_MESSAGE && ev.len == 1000);
	ev = one(&s, 0x02, 600);
	ev = one(&s, 0x80, 401);
	CHECK(ev.type == WS_EV_ERROR && ev.close_code == WS_CLOSE_TOO_BIG);
	ws_init(&s, WS_SERVER, 1000, frag_s, 2000, NULL);
	s.state = WS_OPEN;
	ev = one(&s, 0x82, 1001);
	CHECK(ev.type == WS_EV_ERROR && ev.close_code == WS_CLOSE_TOO_BIG);
	/* the fragment buffer (500) is smaller than max_message (1000):
	 * whole messages may use max_message, fragmented ones frag_cap */
	ws_init(&s, WS_SERVER, 1000, frag_s, 500, NULL);
	s.state = WS_OPEN;
	ev = one(&s, 0x82, 1000);
	CHECK(ev.type == WS_EV_MESSAGE && ev.len == 1000);
	ev = one(&s, 0x02, 300);
	ev = one(&s, 0x80, 200);
	CHECK(ev.type == WS_EV_MESSAGE && ev.len == 500);
	ev = one(&s, 0x02, 300);
	ev = one(&s, 0x00, 201);
	CHECK(ev.type == WS_EV_ERROR && ev.close_code == WS_CLOSE_TOO_BIG);
	ws_init(&s, WS_SERVER, 1000, frag_s, 500, NULL);
	s.state = WS_OPEN;
	ev = one(&s, 0x02, 501);
	CHECK(ev.type == WS_EV_ERROR && ev.close_code == WS_CLOSE_TOO_BIG);
	/* control frames are not messages: a ping of 125 passes max 100 */
	ws_init(&s, WS_SERVER, 100, NULL, 0, NULL);
	s.state = WS_OPEN;
	ev = one(&s, 0x89, 125);
	CHECK(ev.type == WS_EV_PING && ev.len == 125);
	ev = one(&s, 0x82, 101);
	CHECK(ev.type == WS_EV_ERROR && ev.close_code == WS_CLOSE_TOO_BIG);
}

/* ---- UTF-8 --------------------------------------------------------------- */

static void test_utf8(void)
{
	static const char *const good[] = {
		"", "abc", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
		"\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf", "0123456789abcdef\xc3\xa9xyz0123456789",
		"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
	};
	static const char *const bad[] = {
		"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2\x41",
		"\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
		"\xe2\x82", "abcdefgh\xc3", "abcdefghijklmno\xe2\x28\xa1",
		"\xf0\x90\x80", "\xf0\x90\x80\x41",
	};
	struct ws_conn s;
	struct ws_event ev;
	size_t i, n;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
		s.state = WS_OPEN;
		n = strlen(good[i]);
		memcpy(payload, good[i], n);
		ev = one(&s, 0x81, n);
		if (ev.type != WS_EV_MESSAGE || ev.len != n)
			th_fail(__FILE__, __LINE__, "good utf-8 %zu refused", i);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
		s.state = WS_OPEN;
		n = strlen(bad[i]);
		memcpy(payload, bad[i], n);
		ev = one(&s, 0x81, n);
		if (ev.type != WS_EV_ERROR || ev.close_code != WS_CLOSE_BAD_DATA)
			th_fail(__FILE__, __LINE__, "bad utf-8 %zu accepted", i);
		/* binary messages are not checked */
		ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
		s.state = WS_OPEN;
		ev = one(&s, 0x82, n);
		CHECK_EQ(ev.type, WS_EV_MESSAGE);
	}
}

/* ---- masking and the writer ---------------------------------------------- */

static void test_masking(void)
{
	struct ws_conn c, s;
	struct ws_event ev;
	size_t len, k, off, l, i;
	bool differs = false;

	open_pair(&c, &s, MAXMSG);
	fill(payload, 100, 7);
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, payload, 100, out, sizeof(out), &len),
		 ILP_OK);
	CHECK_EQ(out[0], 0x82);
	CHECK_EQ(out[1], 0x80 | 100);
	for (i = 0; i < 100; i++)
		differs |= out[6 + i] != payload[i];
	CHECK(differs);
	for (i = 0; i < 100; i++) {
		if ((out[6 + i] ^ out[2 + (i & 3)]) != payload[i])
			break;
	}
	CHECK_EQ(i, 100);
	/* two frames get different keys */
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, payload, 100, in, sizeof(in), &len),
		 ILP_OK);
	CHECK(memcmp(out + 2, in + 2, 4) != 0);
	/* server frames are never masked */
	CHECK_EQ(ws_write(&s, WS_OP_BINARY, payload, 100, out, sizeof(out), &len),
		 ILP_OK);
	CHECK_EQ(out[1], 100);
	CHECK_MEM(out + 2, payload, 100);
	/* unmasking at every alignment and length (8-byte path and tail) */
	for (off = 0; off < 8; off++) {
		for (l = 0; l < 40; l++) {
			fill(payload, l, (unsigned)(off + l));
			len = raw(in + off, 0x82, true, payload, l, 0);
			ev = RD(&s, in + off, len, &k);
			if (ev.len != l || (l > 0 && memcmp(ev.data, payload, l) != 0))
				th_fail(__FILE__, __LINE__, "unmask off %zu len %zu",
					off, l);
		}
	}
	/* in place: the payload already sits where the frame puts it */
	fill(payload, 300, 11);
	memcpy(out + 8, payload, 300);
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, out + 8, 300, out, sizeof(out), &len),
		 ILP_OK);
	CHECK_EQ(len, 308);
	ev = RD(&s, out, len, &k);
	CHECK(ev.len == 300 && memcmp(ev.data, payload, 300) == 0);
	memcpy(out + 4, payload, 300);
	CHECK_EQ(ws_write(&s, WS_OP_BINARY, out + 4, 300, out, sizeof(out), &len),
		 ILP_OK);
	ev = RD(&c, out, len, &k);
	CHECK(ev.len == 300 && memcmp(ev.data, payload, 300) == 0);
	/* a failing random source: nothing written */
	fail_rng = true;
	len = 5;
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, payload, 10, out, sizeof(out), &len),
		 ILP_ERR_INVALID);
	CHECK_EQ(len, 0);
	fail_rng = false;
}

static void test_write_errors(void)
{
	struct ws_conn c, s;
	struct ws_event ev;
	size_t len = 99, k;

	ws_init(&s, WS_SERVER, 1000, NULL, 0, NULL);
	CHECK_EQ(ws_write(&s, WS_OP_BINARY, payload, 1, out, sizeof(out), &len),
		 ILP_ERR_ARG);
	CHECK_EQ(len, 0);
	CHECK_EQ(ws_read(&s, in, 10, &k, &ev), ILP_ERR_ARG);
	open_pair(&c, &s, 1000);
	/* overflow: nothing written, not even the header */
	memset(out, 0xee, 200);
	CHECK_EQ(ws_write(&s, WS_OP_BINARY, payload, 126, out, 129, &len),
		 ILP_ERR_OVERFLOW);
	CHECK_EQ(len, 0);
	CHECK_EQ(out[0], 0xee);
	CHECK_EQ(ws_write(&s, WS_OP_BINARY, payload, 126, out, 130, &len), ILP_OK);
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, payload, 126, out, 133, &len),
		 ILP_ERR_OVERFLOW);
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, NULL, 0, out, 5, &len),
		 ILP_ERR_OVERFLOW);
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, NULL, 0, out, 6, &len), ILP_OK);
	CHECK_EQ(ws_write(&c, WS_OP_BINARY, NULL, 3, out, 60, &len), ILP_ERR_ARG);
	/* control frames > 125, fragments and unknown opcodes */
	CHECK_EQ(ws_write(&s, WS_OP_PING, payload, 126, out, sizeof(out), &len),
		 ILP_ERR_ARG);
	CHECK_EQ(ws_write(&s, WS_OP_PING, payload, 125, out, sizeof(out), &len),
		 ILP_OK);
	CHECK_EQ(ws_write(&s, WS_OP_CONT, payload, 1, out, sizeof(out), &len),
		 ILP_ERR_ARG);
	CHECK_EQ(ws_write(&s, 3, payload, 1, out, sizeof(out), &len), ILP_ERR_ARG);
	CHECK_EQ(ws_write(&s, 0x82, payload, 1, out, sizeof(out), &len),
		 ILP_ERR_ARG);
	/* close codes that are never sent become an empty close */
	CHECK_EQ(ws_write_close(&s, 1006, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, 2);
	CHECK_EQ(s.state, WS_CLOSE_SENT);
	CHECK_EQ(ws_write_close(&s, 1011, out, sizeof(out), &len), ILP_OK);
	CHECK_MEM(out, "\x88\x02\x03\xf3", 4);
	CHECK_EQ(ws_write(&s, WS_OP_PONG, NULL, 0, out, sizeof(out), &len),
		 ILP_ERR_ARG);
}

int main(void)
{
	TH_RUN(test_server_handshake_rfc);
	TH_RUN(test_server_handshake_refusals);
	TH_RUN(test_client_handshake);
	TH_RUN(test_client_response_refusals);
	TH_RUN(test_client_response_unrequested);
	TH_RUN(test_pair);
	TH_RUN(test_close_sent_then_data);
	TH_RUN(test_close_codes);
	TH_RUN(test_fragmentation);
	TH_RUN(test_lengths);
	TH_RUN(test_partial);
	TH_RUN(test_max_message);
	TH_RUN(test_utf8);
	TH_RUN(test_masking);
	TH_RUN(test_write_errors);
	return th_finish();
}
