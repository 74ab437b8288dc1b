/*
 * fuzz_ws.c - libFuzzer target for the WebSocket engine (net/ws.h).
 *
 * Input: byte 0 picks the role (bit 0), max_message (bits 1-3), the
 * fragment buffer size (bits 4-5) and the mode (bits 6-7); byte 1 is the
 * chunk size for the incremental pass; the rest is the peer's bytes.
 *
 * Properties (a violation traps):
 * - ws_read never consumes more than it is given, consumes something on
 *   ILP_OK, nothing on NEED_MORE, and leaves the input unchanged then;
 * - no WS_EV_MESSAGE is longer than max_message, and its data lies inside
 *   the input or inside frag_buf (fragments: within frag_cap);
 * - feeding the same bytes in small chunks (as a socket would) gives the
 *   same events as feeding them at once;
 * - mode 3: the server handshake never reads or writes out of bounds and
 *   answers 101 only with the state WS_OPEN;
 * - ws_write -> ws_read gives the payload back, for both roles.
 */
#include <string.h>

#include "fuzz_util.h"
#include "net/ws.h"

#define BUF 8192
#define MAX_EVENTS 256

static uint8_t data1[BUF], data2[BUF], before[BUF];
static uint8_t frag[4096];
static uint8_t wbuf[BUF + WS_MAX_HEADER];
static uint8_t rng_state;

static int fuzz_rng(void *buf, size_t n)
{
	uint8_t *b = buf;

	while (n-- > 0)
		*b++ = (uint8_t)(rng_state++ * 167 + 13);
	return 0;
}

struct ev_rec {
	uint8_t type, opcode;
	uint16_t code;
	size_t len;
	uint32_t hash;
};

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static const size_t max_messages[8] = { 0, 1, 125, 126, 1000, 4096, 65535, 65536 };
static const size_t frag_caps[4] = { 0, 10, 1000, 4096 };

static void conn(struct ws_conn *ws, uint8_t cfg)
{
	size_t fc = frag_caps[(cfg >> 4) & 3];

	ws_init(ws, (cfg & 1) ? WS_SERVER : WS_CLIENT, max_messages[(cfg >> 1) & 7],
		fc ? frag : NULL, fc, fuzz_rng);
	ws->state = WS_OPEN;
}

/* Checks one ws_read result against the properties; returns false when
 * reading should stop (NEED_MORE or the connection ended). */
static bool check_read(const struct ws_conn *ws, int r, const uint8_t *p,
		       size_t n, size_t c, const struct ws_event *ev)
{
	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_NEED_MORE);
	if (r == ILP_ERR_NEED_MORE) {
		FUZZ_CHECK(c == 0 && ev->type == WS_EV_NONE);
		FUZZ_CHECK(memcmp(p, before, n) == 0);
		return false;
	}
	FUZZ_CHECK(c > 0 && c <= n);
	if (ev->type == WS_EV_MESSAGE) {
		FUZZ_CHECK(ev->len <= ws->max_message);
		FUZZ_CHECK(ev->opcode == WS_OP_TEXT || ev->opcode == WS_OP_BINARY);
		if (ev->len > 0 && ev->data == ws->frag_buf) {
			FUZZ_CHECK(ev->len <= ws->frag_cap);
		} else if (ev->len > 0) {
			FUZZ_CHECK(ev->data >= p && ev->data + ev->len <= p + c);
		}
	} else if (ev->type == WS_EV_PING || ev->type == WS_EV_PONG ||
		   ev->type == WS_EV_CLOSE) {
		FUZZ_CHECK(ev->len <= 125);
		FUZZ_CHECK(ev->len == 0 ||
			   (ev->data >= p && ev->data + ev->len <= p + c));
	} else if (ev->type == WS_EV_ERROR) {
		FUZZ_CHECK(c == n && ws->state == WS_CLOSED);
		FUZZ_CHECK(ev->close_code == WS_CLOSE_PROTOCOL ||
			   ev->close_code == WS_CLOSE_BAD_DATA ||
			   ev->close_code == WS_CLOSE_TOO_BIG);
	}
	return ws->state != WS_CLOSED;
}

static void record(struct ev_rec *rec, const struct ws_event *ev)
{
	rec->type = (uint8_t)ev->type;
	rec->opcode = ev->opcode;
	rec->code = ev->close_code;
	rec->len = ev->len;
	rec->hash = ev->len > 0 ? fnv(ev->data, ev->len) : 0;
}

static bool same_event(const struct ev_rec *a, const struct ev_rec *b)
{
	return a->type == b->type && a->opcode == b->opcode &&
	       a->code == b->code && a->len == b->len && a->hash == b->hash;
}

/* Pass 1: everything at once. Returns the number of events recorded. */
static size_t pass_whole(uint8_t cfg, size_t n, struct ev_rec *rec)
{
	struct ws_conn ws;
	struct ws_event ev;
	size_t at = 0, ne = 0, c;
	int r;

	conn(&ws, cfg);
	for (;;) {
		memcpy(before, data1 + at, n - at);
		r = ws_read(&ws, data1 + at, n - at, &c, &ev);
		if (!check_read(&ws, r, data1 + at, n - at, c, &ev)) {
			if (r == ILP_OK && ne < MAX_EVENTS)
				record(&rec[ne++], &ev);
			break;
		}
		if (ev.type != WS_EV_NONE && ne < MAX_EVENTS)
			record(&rec[ne++], &ev);
		at += c;
	}
	return ne;
}

/* Pass 2: the same bytes arriving `chunk` at a time into a receive buffer
 * that keeps unconsumed bytes at its front, as the connection layer does. */
static void pass_chunked(uint8_t cfg, const uint8_t *src, size_t n,
			 size_t chunk, const struct ev_rec *rec, size_t ne)
{
	struct ws_conn ws;
	struct ws_event ev;
	struct ev_rec got;
	size_t fed = 0, have = 0, k = 0, c;
	int r;

	conn(&ws, cfg);
	while (fed < n) {
		size_t add = n - fed < chunk ? n - fed : chunk;

		memcpy(data2 + have, src + fed, add);
		have += add;
		fed += add;
		for (;;) {
			memcpy(before, data2, have);
			r = ws_read(&ws, data2, have, &c, &ev);
			if (r == ILP_ERR_NEED_MORE) {
				(void)check_read(&ws, r, data2, have, c, &ev);
				break;
			}
			(void)check_read(&ws, r, data2, have, c, &ev);
			if (ev.type != WS_EV_NONE && k < ne) {
				record(&got, &ev);
				FUZZ_CHECK(same_event(&got, &rec[k]));
				k++;
			} else if (ev.type != WS_EV_NONE) {
				k++;
			}
			memmove(data2, data2 + c, have - c);
			have -= c;
			if (ws.state == WS_CLOSED)
				return;   /* pass 1 stopped here too */
		}
	}
	FUZZ_CHECK(k == ne || ne == MAX_EVENTS);
}

/* ws_write -> ws_read for one role pair and opcode. */
static void round_trip(enum ws_role wrole, uint8_t op, const uint8_t *pl,
		       size_t len)
{
	struct ws_conn w, r;
	struct ws_event ev;
	size_t olen, c;
	int rc;

	ws_init(&w, wrole, BUF, NULL, 0, fuzz_rng);
	ws_init(&r, wrole == WS_CLIENT ? WS_SERVER : WS_CLIENT, BUF, NULL, 0,
		fuzz_rng);
	w.state = WS_OPEN;
	r.state = WS_OPEN;
	rc = ws_write(&w, op, pl, len, wbuf, sizeof(wbuf), &olen);
	if (op >= WS_OP_CLOSE && len > 125) {
		FUZZ_CHECK(rc == ILP_ERR_ARG);
		return;
	}
	FUZZ_CHECK(rc == ILP_OK && olen == ws_frame_size(&w, len));
	FUZZ_CHECK(ws_read(&r, wbuf, olen - 1, &c, &ev) == ILP_ERR_NEED_MORE);
	FUZZ_CHECK(ws_read(&r, wbuf, olen, &c, &ev) == ILP_OK && c == olen);
	if (op == WS_OP_TEXT && ev.type == WS_EV_ERROR) {
		FUZZ_CHECK(ev.close_code == WS_CLOSE_BAD_DATA);
		return;
	}
	FUZZ_CHECK(ev.len == len && (len == 0 || memcmp(ev.data, pl, len) == 0));
	if (op == WS_OP_PING)
		FUZZ_CHECK(ev.type == WS_EV_PING);
	else
		FUZZ_CHECK(ev.type == WS_EV_MESSAGE && ev.opcode == op);
}

static void handshake(const uint8_t *p, size_t n)
{
	struct ws_conn ws;
	size_t c, olen;
	const char *why;
	char path[64];
	int r;

	ws_init(&ws, WS_SERVER, 1000, NULL, 0, NULL);
	r = ws_server_handshake(&ws, p, n, &c, path, sizeof(path), wbuf, 512,
				&olen, &why);
	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_NEED_MORE || r == ILP_ERR_INVALID);
	FUZZ_CHECK(olen <= 512 && c <= n);
	if (r == ILP_OK) {
		FUZZ_CHECK(ws.state == WS_OPEN && why == NULL && c > 0);
		FUZZ_CHECK(olen > 12 && memcmp(wbuf, "HTTP/1.1 101 ", 13) == 0);
		FUZZ_CHECK(strlen(path) < sizeof(path) && path[0] == '/');
	} else {
		FUZZ_CHECK(ws.state == WS_EXPECT_HANDSHAKE && c == 0);
		FUZZ_CHECK((r == ILP_ERR_INVALID) == (why != NULL));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_rec rec[MAX_EVENTS];
	uint8_t cfg, chunk;
	size_t n, ne;

	if (size < 2 || size - 2 > BUF)
		return 0;
	cfg = data[0];
	chunk = data[1];
	n = size - 2;
	rng_state = chunk;
	if ((cfg >> 6) == 3) {
		handshake(data + 2, n);
		return 0;
	}
	if ((cfg >> 6) == 2) {
		round_trip(WS_CLIENT, WS_OP_BINARY, data + 2, n);
		round_trip(WS_SERVER, WS_OP_BINARY, data + 2, n);
		round_trip(WS_CLIENT, WS_OP_TEXT, data + 2, n);
		round_trip(WS_SERVER, WS_OP_PING, data + 2, n);
		round_trip(WS_CLIENT, WS_OP_PING, data + 2, n);
		return 0;
	}
	memcpy(data1, data + 2, n);
	ne = pass_whole(cfg, n, rec);
	pass_chunked(cfg, data + 2, n, (size_t)(chunk % 23) + 1, rec, ne);
	return 0;
}
