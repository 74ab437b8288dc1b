/*
 * ws.c - RFC 6455 WebSocket engine: opening handshake (both roles), frame
 * reader and writer. Pure: no sockets, no clock, no logging (see net/ws.h).
 *
 * IMPLEMENTATION NOTES
 * - ws_read() works on one frame at a time and is idempotent until the
 *   frame is complete: the header is decoded with direct byte reads, every
 *   rule that the header alone can break (RSV bits, mask bit for the role,
 *   opcode, control frame size, fragment sequence, length encoding, length
 *   against max_message / frag_cap) is checked as soon as the header is in,
 *   so an oversized or hostile frame is refused without waiting for its
 *   payload; nothing is written to the input (no unmasking) before the whole
 *   frame is there, so NEED_MORE leaves the bytes untouched.
 * - Payloads are unmasked in place, 8 bytes at a time through a uint64_t
 *   (memcpy, no pointer casts: alignment and byte order do not matter, since
 *   the key is loaded the same way as the data). An unfragmented message is
 *   returned pointing into the caller's input; only fragments are copied,
 *   into frag_buf.
 * - A protocol violation consumes the whole input (the connection is over),
 *   sets the state to WS_CLOSED and reports WS_EV_ERROR with the close code
 *   to send. In WS_CLOSED further input is discarded.
 * - Extended lengths must use the minimal form (RFC 6455 5.2 "the minimal
 *   number of bytes MUST be used"): 126 followed by a value < 126, or 127
 *   followed by a value < 65536, is refused with 1002, like the 64-bit form
 *   with its top bit set. ilpd's OER decoders are canonical the same way.
 * - Received close codes are checked as the `ws` npm package does: 1000-1014
 *   except 1004, 1005 and 1006, and 3000-4999; anything else is 1002.
 * - Writing: header, then the payload copied (server) or copied while
 *   masking with a fresh key from ws->random (client).
 */
#include "net/ws.h"

#include <string.h>

#include "hal/hal_crypto.h"
#include "net/http.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_GUID_LEN 36
#define WS_ACCEPT_LEN 28

void ws_init(struct ws_conn *ws, enum ws_role role, size_t max_message,
	     uint8_t *frag_buf, size_t frag_cap, ws_random_fn random)
{
	memset(ws, 0, sizeof(*ws));
	ws->role = (uint8_t)role;
	ws->state = WS_EXPECT_HANDSHAKE;
	ws->max_message = max_message;
	ws->frag_buf = frag_cap > 0 ? frag_buf : NULL;
	ws->frag_cap = frag_buf != NULL ? frag_cap : 0;
	ws->random = random;
}

/* ---- byte helpers -------------------------------------------------------- */

/* dst[i] = src[i] ^ key[i % 4] for i < n; dst may equal src. */
static void ws_mask(uint8_t *dst, const uint8_t *src, size_t n,
		    const uint8_t key[4])
{
	uint8_t k8[8];
	uint64_t k, v;
	size_t i = 0;

	memcpy(k8, key, 4);
	memcpy(k8 + 4, key, 4);
	memcpy(&k, k8, 8);
	for (; i + 8 <= n; i += 8) {
		memcpy(&v, src + i, 8);
		v ^= k;
		memcpy(dst + i, &v, 8);
	}
	for (; i < n; i++)
		dst[i] = (uint8_t)(src[i] ^ key[i & 3]);
}

/* True if [p, p+n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). ASCII runs are checked 8 bytes at a time. */
static bool ws_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i], lo = 0x80, hi = 0xbf;
		size_t more, k;

		if (c < 0x80) {
			uint64_t v;

			while (i + 8 <= n) {
				memcpy(&v, p + i, 8);
				if ((v & UINT64_C(0x8080808080808080)) != 0)
					break;
				i += 8;
			}
			if (i < n && p[i] < 0x80)
				i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else {
			return false;
		}
		if (n - i <= more)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (k = 2; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		}
		i += more + 1;
	}
	return true;
}

static bool ws_close_code_valid(unsigned code)
{
	return (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 &&
		code != 1006) || (code >= 3000 && code <= 4999);
}

/* ---- frame reader -------------------------------------------------------- */

struct ws_frame {
	uint64_t len;       /* payload length */
	size_t hlen;        /* header length incl. masking key */
	uint8_t op;
	bool fin;
	bool masked;
	uint8_t key[4];
	uint16_t err;       /* close code when the header breaks a rule */
};

static int ws_bad(struct ws_frame *f, uint16_t code)
{
	f->err = code;
	return ILP_ERR_INVALID;
}

/* Rules on the first two bytes, independent of the length form. */
static int ws_check_op(const struct ws_conn *ws, struct ws_frame *f,
		       unsigned len7)
{
	if (f->op >= 0x8) {
		if (f->op > WS_OP_PONG || !f->fin || len7 > 125)
			return ws_bad(f, WS_CLOSE_PROTOCOL);
		return ILP_OK;
	}
	if (f->op > WS_OP_BINARY)
		return ws_bad(f, WS_CLOSE_PROTOCOL);
	if ((f->op == WS_OP_CONT) != ws->in_fragment)
		return ws_bad(f, WS_CLOSE_PROTOCOL);
	if (!f->fin && ws->frag_buf == NULL)
		return ws_bad(f, WS_CLOSE_TOO_BIG);
	return ILP_OK;
}

/* Size rules for data frames, once the length is known. */
static int ws_check_size(const struct ws_conn *ws, struct ws_frame *f)
{
	uint64_t base = f->op == WS_OP_CONT ? ws->frag_len : 0;

	if (f->op >= 0x8)
		return ILP_OK;
	if (f->len > (uint64_t)ws->max_message - base)
		return ws_bad(f, WS_CLOSE_TOO_BIG);
	if ((!f->fin || f->op == WS_OP_CONT) &&
	    f->len > (uint64_t)ws->frag_cap - base)
		return ws_bad(f, WS_CLOSE_TOO_BIG);
	return ILP_OK;
}

/* Decodes and checks the header at p. ILP_OK, ILP_ERR_NEED_MORE, or
 * ILP_ERR_INVALID with f->err set. */
static int ws_header(const struct ws_conn *ws, const uint8_t *p, size_t n,
		     struct ws_frame *f)
{
	unsigned len7;
	size_t h = 2;
	int r;

	if (n < 2)
		return ILP_ERR_NEED_MORE;
	f->fin = (p[0] & 0x80) != 0;
	f->op = p[0] & 0x0f;
	f->masked = (p[1] & 0x80) != 0;
	len7 = p[1] & 0x7fu;
	if ((p[0] & 0x70) != 0 || f->masked != (ws->role == WS_SERVER))
		return ws_bad(f, WS_CLOSE_PROTOCOL);
	r = ws_check_op(ws, f, len7);
	if (r != ILP_OK)
		return r;
	if (len7 == 126) {
		if (n < 4)
			return ILP_ERR_NEED_MORE;
		f->len = (uint64_t)p[2] << 8 | p[3];
		if (f->len < 126)
			return ws_bad(f, WS_CLOSE_PROTOCOL);
		h = 4;
	} else if (len7 == 127) {
		unsigned i;

		if (n < 10)
			return ILP_ERR_NEED_MORE;
		f->len = 0;
		for (i = 2; i < 10; i++)
			f->len = f->len << 8 | p[i];
		if ((f->len >> 63) != 0 || f->len < 65536)
			return ws_bad(f, WS_CLOSE_PROTOCOL);
		h = 10;
	} else {
		f->len = len7;
	}
	r = ws_check_size(ws, f);
	if (r != ILP_OK)
		return r;
	if (f->masked) {
		if (n < h + 4)
			return ILP_ERR_NEED_MORE;
		memcpy(f->key, p + h, 4);
		h += 4;
	}
	f->hlen = h;
	return ILP_OK;
}

/* A violation: the rest of the input is dropped and the connection ends. */
static int ws_fail(struct ws_conn *ws, uint16_t code, size_t n,
		   size_t *consumed, struct ws_event *ev)
{
	ws->state = WS_CLOSED;
	ws->in_fragment = false;
	ev->type = WS_EV_ERROR;
	ev->close_code = code;
	*consumed = n;
	return ILP_OK;
}

static int ws_on_data(struct ws_conn *ws, const struct ws_frame *f,
		      uint8_t *pl, size_t len, size_t n, size_t *consumed,
		      struct ws_event *ev)
{
	uint8_t op = f->op;

	if (op != WS_OP_CONT && f->fin) {
		if (op == WS_OP_TEXT && !ws_utf8_valid(pl, len))
			return ws_fail(ws, WS_CLOSE_BAD_DATA, n, consumed, ev);
		ev->type = WS_EV_MESSAGE;
		ev->opcode = op;
		ev->data = pl;
		ev->len = len;
		return ILP_OK;
	}
	if (op != WS_OP_CONT) {
		ws->in_fragment = true;
		ws->frag_opcode = op;
		ws->frag_len = 0;
	}
	if (len > 0)
		memcpy(ws->frag_buf + ws->frag_len, pl, len);
	ws->frag_len += len;
	if (!f->fin)
		return ILP_OK;   /* WS_EV_NONE */
	ws->in_fragment = false;
	if (ws->frag_opcode == WS_OP_TEXT &&
	    !ws_utf8_valid(ws->frag_buf, ws->frag_len))
		return ws_fail(ws, WS_CLOSE_BAD_DATA, n, consumed, ev);
	ev->type = WS_EV_MESSAGE;
	ev->opcode = ws->frag_opcode;
	ev->data = ws->frag_buf;
	ev->len = ws->frag_len;
	return ILP_OK;
}

static int ws_on_control(struct ws_conn *ws, const struct ws_frame *f,
			 uint8_t *pl, size_t len, size_t n, size_t *consumed,
			 struct ws_event *ev)
{
	unsigned code;

	ev->data = pl;
	ev->len = len;
	if (f->op == WS_OP_PING) {
		ev->type = WS_EV_PING;
		return ILP_OK;
	}
	if (f->op == WS_OP_PONG) {
		ev->type = WS_EV_PONG;
		return ILP_OK;
	}
	/* WS_OP_CLOSE: [code(2) [reason]] */
	if (len == 1)
		return ws_fail(ws, WS_CLOSE_PROTOCOL, n, consumed, ev);
	code = WS_CLOSE_NO_STATUS;
	if (len >= 2) {
		code = (unsigned)pl[0] << 8 | pl[1];
		if (!ws_close_code_valid(code))
			return ws_fail(ws, WS_CLOSE_PROTOCOL, n, consumed, ev);
		if (!ws_utf8_valid(pl + 2, len - 2))
			return ws_fail(ws, WS_CLOSE_BAD_DATA, n, consumed, ev);
		ev->data = pl + 2;
		ev->len = len - 2;
	}
	ws->state = WS_CLOSED;
	ev->type = WS_EV_CLOSE;
	ev->close_code = (uint16_t)code;
	return ILP_OK;
}

int ws_read(struct ws_conn *ws, uint8_t *p, size_t n, size_t *consumed,
	    struct ws_event *ev)
{
	struct ws_frame f;
	uint8_t *pl;
	size_t len;
	int r;

	memset(ev, 0, sizeof(*ev));
	*consumed = 0;
	if (ws->state == WS_EXPECT_HANDSHAKE)
		return ILP_ERR_ARG;
	if (n == 0)
		return ILP_ERR_NEED_MORE;
	if (ws->state == WS_CLOSED) {
		*consumed = n;   /* after the close: discarded */
		return ILP_OK;
	}
	r = ws_header(ws, p, n, &f);
	if (r == ILP_ERR_NEED_MORE)
		return r;
	if (r != ILP_OK)
		return ws_fail(ws, f.err, n, consumed, ev);
	if ((uint64_t)(n - f.hlen) < f.len)
		return ILP_ERR_NEED_MORE;
	len = (size_t)f.len;
	pl = p + f.hlen;
	if (f.masked)
		ws_mask(pl, pl, len, f.key);
	*consumed = f.hlen + len;
	if (f.op >= 0x8)
		return ws_on_control(ws, &f, pl, len, n, consumed, ev);
	return ws_on_data(ws, &f, pl, len, n, consumed, ev);
}

/* ---- frame writer -------------------------------------------------------- */

size_t ws_frame_size(const struct ws_conn *ws, size_t len)
{
	size_t h = 2;

	if (len > SIZE_MAX - WS_MAX_HEADER)
		return SIZE_MAX;
	if (len >= 65536)
		h += 8;
	else if (len >= 126)
		h += 2;
	if (ws->role == WS_CLIENT)
		h += 4;
	return h + len;
}

int ws_write(struct ws_conn *ws, uint8_t opcode, const uint8_t *payload,
	     size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t size, h = 2;
	uint64_t l64 = len;
	uint8_t key[4];
	unsigned i;

	*out_len = 0;
	if (ws->state == WS_EXPECT_HANDSHAKE || (len > 0 && payload == NULL))
		return ILP_ERR_ARG;
	if (opcode == WS_OP_CLOSE || opcode == WS_OP_PING ||
	    opcode == WS_OP_PONG) {
		if (len > 125)
			return ILP_ERR_ARG;
	} else if (opcode != WS_OP_TEXT && opcode != WS_OP_BINARY) {
		return ILP_ERR_ARG;
	}
	if (opcode != WS_OP_CLOSE && ws->state != WS_OPEN)
		return ILP_ERR_ARG;
	size = ws_frame_size(ws, len);
	if (size == SIZE_MAX || size > cap)
		return ILP_ERR_OVERFLOW;
	out[0] = (uint8_t)(0x80 | opcode);
	if (len < 126) {
		out[1] = (uint8_t)len;
	} else if (len < 65536) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	} else {
		out[1] = 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(l64 >> (56 - 8 * i));
		h = 10;
	}
	if (ws->role == WS_CLIENT) {
		if (ws->random == NULL || ws->random(key, sizeof(key)) != 0)
			return ILP_ERR_INVALID;
		out[1] |= 0x80;
		memcpy(out + h, key, 4);
		h += 4;
		if (len > 0)
			ws_mask(out + h, payload, len, key);
	} else if (len > 0) {
		memmove(out + h, payload, len);
	}
	if (opcode == WS_OP_CLOSE && ws->state == WS_OPEN)
		ws->state = WS_CLOSE_SENT;
	*out_len = size;
	return ILP_OK;
}

int ws_write_close(struct ws_conn *ws, uint16_t code, uint8_t *out, size_t cap,
		   size_t *out_len)
{
	uint8_t b[2];

	b[0] = (uint8_t)(code >> 8);
	b[1] = (uint8_t)code;
	/* 1005 (and 0) mean "no status": an empty close frame. 1006 and 1015
	 * must never be sent; they become 1005 too. */
	if (code == 0 || code == WS_CLOSE_NO_STATUS || code == 1006 ||
	    code == 1015)
		return ws_write(ws, WS_OP_CLOSE, NULL, 0, out, cap, out_len);
	return ws_write(ws, WS_OP_CLOSE, b, 2, out, cap, out_len);
}

/* ---- opening handshake --------------------------------------------------- */

/* Appends to a caller buffer; a write past cap sets `over` and stops. */
struct ws_out {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool over;
};

static void ws_put_n(struct ws_out *o, const void *s, size_t n)
{
	if (o->over || n > o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void ws_put(struct ws_out *o, const char *s)
{
	ws_put_n(o, s, strlen(s));
}

/* accept = base64(SHA-1(key || GUID)), WS_ACCEPT_LEN characters + NUL. */
static void ws_accept(const uint8_t *key, size_t n,
		      char out[WS_ACCEPT_LEN + 1])
{
	uint8_t d[HAL_SHA1_LEN];

	hal_sha1_2(key, n, (const uint8_t *)WS_GUID, WS_GUID_LEN, d);
	if (hal_base64_encode(d, sizeof(d), out, WS_ACCEPT_LEN + 1) !=
	    WS_ACCEPT_LEN)
		out[0] = '\0';
}

/* Host and path go on the request line verbatim: visible ASCII only, so a
 * caller's string can never inject a header. */
static bool ws_visible(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

int ws_client_request(struct ws_conn *ws, const char *host, const char *path,
		      uint8_t *out, size_t cap, size_t *len)
{
	struct ws_out o = { out, cap, 0, false };
	uint8_t nonce[16];

	*len = 0;
	if (path == NULL || path[0] == '\0')
		path = "/";
	if (ws->role != WS_CLIENT || ws->state != WS_EXPECT_HANDSHAKE ||
	    ws->random == NULL || host == NULL || host[0] == '\0' ||
	    !ws_visible(host) || path[0] != '/' || !ws_visible(path))
		return ILP_ERR_ARG;
	if (ws->random(nonce, sizeof(nonce)) != 0 ||
	    hal_base64_encode(nonce, sizeof(nonce), ws->key, sizeof(ws->key)) !=
	    WS_KEY_LEN) {
		ws->key[0] = '\0';
		return ILP_ERR_INVALID;
	}
	ws_put(&o, "GET ");
	ws_put(&o, path);
	ws_put(&o, " HTTP/1.1\r\nHost: ");
	ws_put(&o, host);
	ws_put(&o, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		   "Sec-WebSocket-Key: ");
	ws_put(&o, ws->key);
	ws_put(&o, "\r\nSec-WebSocket-Version: 13\r\n\r\n");
	if (o.over)
		return ILP_ERR_OVERFLOW;
	*len = o.len;
	return ILP_OK;
}

/* Checks the 101 response head; NULL if it is acceptable, else why not. */
static const char *ws_check_response(const struct ws_conn *ws,
				     const struct http_head *h)
{
	char want[WS_ACCEPT_LEN + 1];

	if (h->status != 101)
		return "status is not 101";
	if (!http_has_token(http_find(h, "Upgrade"), "websocket"))
		return "no Upgrade: websocket";
	if (!http_has_token(http_find(h, "Connection"), "upgrade"))
		return "no Connection: Upgrade";
	ws_accept((const uint8_t *)ws->key, WS_KEY_LEN, want);
	if (want[0] == '\0' ||
	    !http_str_eq(http_find(h, "Sec-WebSocket-Accept"), want))
		return "wrong Sec-WebSocket-Accept";
	if (http_find(h, "Sec-WebSocket-Extensions") != NULL)
		return "extension not requested";
	if (http_find(h, "Sec-WebSocket-Protocol") != NULL)
		return "subprotocol not requested";
	return NULL;
}

int ws_client_response(struct ws_conn *ws, const uint8_t *p, size_t n,
		       size_t *consumed, const char **why)
{
	struct http_head h;
	size_t hl;
	int r;

	*consumed = 0;
	*why = NULL;
	if (ws->role != WS_CLIENT || ws->state != WS_EXPECT_HANDSHAKE ||
	    strlen(ws->key) != WS_KEY_LEN)
		return ILP_ERR_ARG;
	r = http_parse_response(p, n, &h, &hl);
	if (r == ILP_ERR_NEED_MORE)
		return r;
	if (r != ILP_OK) {
		*why = "malformed response head";
		return ILP_ERR_INVALID;
	}
	*why = ws_check_response(ws, &h);
	if (*why != NULL)
		return ILP_ERR_INVALID;
	ws->state = WS_OPEN;
	*consumed = hl;
	return ILP_OK;
}

/* A Sec-WebSocket-Key is base64 of 16 bytes: 22 characters and "==". */
static bool ws_key_ok(const struct http_str *k)
{
	size_t i;

	if (k == NULL || k->n != WS_KEY_LEN || k->p[22] != '=' ||
	    k->p[23] != '=')
		return false;
	for (i = 0; i < 22; i++) {
		uint8_t c = k->p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
	}
	return true;
}

/* Checks an upgrade request; NULL if acceptable, else why not, with the
 * HTTP status to answer in *status. */
static const char *ws_check_request(const struct http_head *h, int *status)
{
	*status = 400;
	if (!http_str_eq(&h->method, "GET"))
		return "method is not GET";
	if (h->minor_version < 1)
		return "not HTTP/1.1";
	if (http_find(h, "Host") == NULL)
		return "no Host";
	if (!http_has_token(http_find(h, "Upgrade"), "websocket"))
		return "no Upgrade: websocket";
	if (!http_has_token(http_find(h, "Connection"), "upgrade"))
		return "no Connection: Upgrade";
	if (!http_str_eq(http_find(h, "Sec-WebSocket-Version"), "13")) {
		*status = 426;
		return "Sec-WebSocket-Version is not 13";
	}
	if (!ws_key_ok(http_find(h, "Sec-WebSocket-Key")))
		return "bad Sec-WebSocket-Key";
	if (h->target.n == 0 || h->target.p[0] != '/')
		return "request target is not a path";
	return NULL;
}

/* The answer to a refused upgrade; the caller sends it, then closes. */
static void ws_refusal(int status, uint8_t *out, size_t cap, size_t *out_len)
{
	struct ws_out o = { out, cap, 0, false };

	if (status == 426)
		ws_put(&o, "HTTP/1.1 426 Upgrade Required\r\n"
			   "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n");
	else
		ws_put(&o, "HTTP/1.1 400 Bad Request\r\n");
	ws_put(&o, "Connection: close\r\nContent-Length: 0\r\n\r\n");
	*out_len = o.over ? 0 : o.len;
}

int ws_server_handshake(struct ws_conn *ws, const uint8_t *p, size_t n,
			size_t *consumed, char *path, size_t pcap,
			uint8_t *out, size_t cap, size_t *out_len,
			const char **why)
{
	struct ws_out o = { out, cap, 0, false };
	char acc[WS_ACCEPT_LEN + 1];
	const struct http_str *key;
	struct http_head h;
	size_t hl;
	int r, status = 400;

	*consumed = 0;
	*out_len = 0;
	*why = NULL;
	if (ws->role != WS_SERVER || ws->state != WS_EXPECT_HANDSHAKE ||
	    (path != NULL && pcap == 0))
		return ILP_ERR_ARG;
	r = http_parse_request(p, n, &h, &hl);
	if (r == ILP_ERR_NEED_MORE)
		return r;
	if (r != ILP_OK)
		*why = "malformed request head";
	else
		*why = ws_check_request(&h, &status);
	if (*why == NULL && path != NULL && h.target.n >= pcap)
		*why = "request target too long";
	if (*why != NULL) {
		ws_refusal(status, out, cap, out_len);
		return ILP_ERR_INVALID;
	}
	key = http_find(&h, "Sec-WebSocket-Key");
	ws_accept(key->p, key->n, acc);
	ws_put(&o, "HTTP/1.1 101 Switching Protocols\r\n"
		   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		   "Sec-WebSocket-Accept: ");
	ws_put(&o, acc);
	ws_put(&o, "\r\n\r\n");
	if (o.over || acc[0] == '\0')
		return ILP_ERR_OVERFLOW;
	if (path != NULL) {
		memcpy(path, h.target.p, h.target.n);
		path[h.target.n] = '\0';
	}
	ws->state = WS_OPEN;
	*consumed = hl;
	*out_len = o.len;
	return ILP_OK;
}
