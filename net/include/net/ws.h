/*
 * ws.h - RFC 6455 WebSocket as a pure byte engine, client and server side.
 * It never touches a socket: the caller feeds received bytes to ws_read()
 * (or the handshake functions) and sends what ws_write() puts into its own
 * buffer. SHA-1 and base64 for Sec-WebSocket-Accept come from mbedTLS
 * through hal_crypto.h; masking keys from the caller's random source.
 *
 * Memory: struct ws_conn is about 80 bytes plus the caller's fragment
 * buffer (frag_cap bytes, for messages split over several frames; a message
 * in one frame is returned in place, with no copy). No heap.
 *
 * Rules enforced (a violation ends the connection with the close code in
 * the event): client frames must be masked and server frames must not
 * (1002); no RSV bits (no extensions are negotiated: permessage-deflate is
 * declined); control frames <= 125 bytes and not fragmented (1002); a
 * message larger than max_message (1009); text must be valid UTF-8 only
 * when complete (1007); unknown opcodes (1002); 64-bit lengths with the top
 * bit set (1002); extended lengths not in the minimal form (126 + a value
 * < 126, 127 + a value < 65536: RFC 6455 5.2 says MUST be minimal; 1002);
 * a continuation with no message started, or a new message inside a
 * fragmented one (1002); close frames with a 1-byte payload or a code
 * outside 1000-1014 (minus 1004-1006) and 3000-4999 (1002), or a reason
 * that is not UTF-8 (1007). Rules the header alone can break are reported
 * as soon as the header is in, without waiting for the payload. Ping is
 * answered by the caller with a pong carrying the same payload
 * (WS_EV_PING); a close is answered with a close.
 *
 * States: a close we write moves WS_OPEN to WS_CLOSE_SENT; a close read
 * (WS_EV_CLOSE) or a violation (WS_EV_ERROR) moves to WS_CLOSED, where
 * ws_write_close still works (to answer) but other frames are refused and
 * ws_read discards its input.
 */
#ifndef NET_WS_H
#define NET_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA
};

enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005,
	WS_CLOSE_BAD_DATA = 1007,
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL = 1011
};

enum ws_role { WS_CLIENT = 0, WS_SERVER = 1 };

enum ws_state {
	WS_EXPECT_HANDSHAKE = 0,  /* server: request; client: 101 response */
	WS_OPEN = 1,
	WS_CLOSE_SENT = 2,        /* we sent close, waiting for the peer's */
	WS_CLOSED = 3
};

/* Largest frame header: 2 + 8 (length) + 4 (mask). */
#define WS_MAX_HEADER 14
/* Sec-WebSocket-Key / -Accept are 24 base64 characters. */
#define WS_KEY_LEN 24

typedef int (*ws_random_fn)(void *buf, size_t n);

struct ws_conn {
	uint8_t role;             /* enum ws_role */
	uint8_t state;            /* enum ws_state */
	uint8_t frag_opcode;      /* opcode of the message being reassembled */
	bool in_fragment;
	size_t max_message;
	uint8_t *frag_buf;        /* caller-owned, frag_cap bytes */
	size_t frag_cap;
	size_t frag_len;
	ws_random_fn random;      /* masking keys (client) and the client key */
	char key[WS_KEY_LEN + 1]; /* client: the Sec-WebSocket-Key sent */
};

enum ws_event_type {
	WS_EV_NONE = 0,     /* bytes consumed, nothing to report (e.g. a fragment) */
	WS_EV_MESSAGE,      /* data/len: a whole text or binary message */
	WS_EV_PING,         /* data/len: answer with a pong of this payload */
	WS_EV_PONG,
	WS_EV_CLOSE,        /* the peer closed with close_code; answer and close */
	WS_EV_ERROR         /* protocol violation: send close close_code, close */
};

struct ws_event {
	enum ws_event_type type;
	uint8_t opcode;           /* WS_EV_MESSAGE: WS_OP_TEXT or WS_OP_BINARY */
	uint16_t close_code;
	uint8_t *data;            /* points into the caller's input or frag_buf */
	size_t len;
};

/* Prepares a connection. frag_buf may be NULL (then fragmented messages are
 * refused with 1009). A message in one frame may be up to max_message bytes
 * (it stays in the caller's input); a fragmented one is also limited to
 * frag_cap. random must not be NULL for a client: it is called with n = 16
 * for the handshake key and n = 4 (the masking key) for every frame the
 * client writes, so on the forwarding path it should hand out bytes from a
 * buffer refilled in bulk rather than make a system call each time. It
 * returns 0 on success. */
void ws_init(struct ws_conn *ws, enum ws_role role, size_t max_message,
	     uint8_t *frag_buf, size_t frag_cap, ws_random_fn random);

/* Client: writes the upgrade request for ws://host[:port]/path. `host` is
 * the Host header value ("example.com:8080"); path NULL or "" means "/".
 * Makes a fresh key. ILP_ERR_ARG if host or path hold anything but visible
 * ASCII (no header injection) or path does not start with '/';
 * ILP_ERR_OVERFLOW if cap is too small; ILP_ERR_INVALID if random fails. */
int ws_client_request(struct ws_conn *ws, const char *host, const char *path,
		      uint8_t *out, size_t cap, size_t *len) ILP_CHECK_RESULT;

/* Client: reads the server's response head from [p, p+n). ILP_OK (state
 * becomes WS_OPEN, *consumed = head length; frame bytes may follow),
 * ILP_ERR_NEED_MORE, or ILP_ERR_INVALID (not 101, wrong accept, an
 * extension or subprotocol we did not ask for); *why says which. */
int ws_client_response(struct ws_conn *ws, const uint8_t *p, size_t n,
		       size_t *consumed, const char **why) ILP_CHECK_RESULT;

/* Server: reads the upgrade request from [p, p+n). On ILP_OK the 101
 * response is in out and the state is WS_OPEN; path (if not NULL, pcap
 * bytes) receives the request target, NUL-terminated. Requires GET,
 * HTTP/1.1, Host, Upgrade: websocket, Connection: upgrade (token lists and
 * names case-insensitive), Sec-WebSocket-Version: 13 and a 24-character
 * key; an offered extension or subprotocol is declined by not answering
 * it. On ILP_ERR_INVALID out holds a response to send before closing:
 * 426 (with Sec-WebSocket-Version: 13) for a missing or other version,
 * 400 for anything else, including a target that does not fit in path
 * (*out_len is 0 if even that does not fit in cap). ILP_ERR_NEED_MORE:
 * wait (nothing consumed or written). ILP_ERR_OVERFLOW: cap is too small
 * for the 101 (about 130 bytes). */
int ws_server_handshake(struct ws_conn *ws, const uint8_t *p, size_t n,
			size_t *consumed, char *path, size_t pcap,
			uint8_t *out, size_t cap, size_t *out_len,
			const char **why) ILP_CHECK_RESULT;

/* Reads at most one frame from [p, p+n) (mutable: payloads are unmasked in
 * place). ILP_OK with *consumed > 0 and *ev; ILP_ERR_NEED_MORE with nothing
 * consumed (and the input untouched) when the frame is incomplete. Protocol
 * errors are ILP_OK with ev->type == WS_EV_ERROR, all n bytes consumed and
 * the state WS_CLOSED. Message data stays valid until the caller discards
 * the consumed input (or the next fragmented message starts).
 * ILP_ERR_ARG before the handshake is done. */
int ws_read(struct ws_conn *ws, uint8_t *p, size_t n, size_t *consumed,
	    struct ws_event *ev) ILP_CHECK_RESULT;

/* Writes one frame (FIN set) with opcode (TEXT, BINARY, PING, PONG or
 * CLOSE) and payload into out. Client frames are masked with a fresh key.
 * A close frame's payload is the 2-byte code and a reason: use
 * ws_write_close, which also sends no code for 1005/1006/1015/0. payload
 * may overlap out only if it already sits where the frame puts it
 * (out + ws_frame_size(ws, len) - len). ILP_ERR_OVERFLOW if cap is too
 * small; ILP_ERR_ARG for another opcode, a control payload over 125
 * bytes, or a non-close frame when the state is not WS_OPEN;
 * ILP_ERR_INVALID if random fails. Nothing is written on error. */
int ws_write(struct ws_conn *ws, uint8_t opcode, const uint8_t *payload,
	     size_t len, uint8_t *out, size_t cap, size_t *out_len) ILP_CHECK_RESULT;
int ws_write_close(struct ws_conn *ws, uint16_t code, uint8_t *out, size_t cap,
		   size_t *out_len) ILP_CHECK_RESULT;

/* Bytes a frame with a payload of len takes on the wire for this role
 * (SIZE_MAX if that does not fit in a size_t). */
size_t ws_frame_size(const struct ws_conn *ws, size_t len);

#endif /* NET_WS_H */
