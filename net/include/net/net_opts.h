/*
 * net_opts.h - sizes of the network layer's fixed tables and buffers.
 * A board overrides any knob in boards/<board>/ilpd_config.h.
 */
#ifndef NET_OPTS_H
#define NET_OPTS_H

#include "ilpd_config.h"
#include "ilp/ilp_opts.h"

/* Largest WebSocket message (one BTP frame) accepted, after reassembly of
 * fragments. A BTP Message carrying the largest ILP Reject (41,997 bytes)
 * needs about 42,040; smaller boards may refuse such packets (WS close
 * 1009) to save RAM. */
#ifndef ILPD_WS_MAX_MESSAGE
#define ILPD_WS_MAX_MESSAGE 49152
#endif

/* Per-connection receive buffer: one whole message plus its frame header
 * and room for the next frame's start. */
#ifndef ILPD_CONN_RXBUF
#define ILPD_CONN_RXBUF (ILPD_WS_MAX_MESSAGE + 4096)
#endif

/* Per-connection send buffer: frames waiting for the socket. When it is
 * full a Prepare for that peer is refused with T02 Peer Busy. */
#ifndef ILPD_CONN_TXBUF
#define ILPD_CONN_TXBUF 131072
#endif

/* Flow control before refusal (firmware/daemon.c): a source link is not
 * read while the next hop of its last Prepare has less than
 * ILPD_FWD_HOLD_FREE bytes free in its send buffer, for at most
 * ILPD_FWD_HOLD_MS at a time; only then does a Prepare that does not fit
 * get T02 Peer Busy. ILPD_FWD_HOLD_FREE must leave room for the largest
 * Prepare the board forwards without T02 (docs/memory.md). */
#ifndef ILPD_FWD_HOLD_FREE
#define ILPD_FWD_HOLD_FREE (ILPD_CONN_TXBUF / 2)
#endif
#ifndef ILPD_FWD_HOLD_MS
#define ILPD_FWD_HOLD_MS 2000
#endif

/* Backpressure threshold: a connection with more queued output than this
 * stops reading its peer until the backlog halves (see wsconn.h). Must
 * leave room for one more answer of the largest size. */
#ifndef ILPD_WSCONN_TX_HIGH
#define ILPD_WSCONN_TX_HIGH (ILPD_CONN_TXBUF / 2)
#endif

/* How long a connection may stay in CLOSING (our close frame sent, the
 * peer not draining) before it is cut. */
#ifndef ILPD_WSCONN_CLOSE_TIMEOUT_MS
#define ILPD_WSCONN_CLOSE_TIMEOUT_MS 2000
#endif

/* Connections: one per peer, plus inbound ones still authenticating. */
#ifndef ILPD_MAX_CONNS
#define ILPD_MAX_CONNS (ILPD_MAX_PEERS + 4)
#endif

/* Lobbies (net/lobby.h): new connections that have not sent a byte yet,
 * 24 bytes (64-bit) and one descriptor each, so that a flood of idle connections
 * cannot push out a slow peer that is still handshaking. Under a flood a
 * listener admits about LOBBY / grace connections per second (grace: half
 * of [btp] auth_timeout_ms for BTP, ILPD_ADMIN_GRACE_MS for the admin
 * listener); the rest wait in the kernel's accept queue. */
#ifndef ILPD_LOBBY_BTP
#define ILPD_LOBBY_BTP 64
#endif
#ifndef ILPD_LOBBY_ADMIN
#define ILPD_LOBBY_ADMIN 16
#endif
#ifndef ILPD_ADMIN_GRACE_MS
#define ILPD_ADMIN_GRACE_MS 2
#endif

/* Host header and request path kept per WebSocket connection. */
#ifndef ILPD_WSCONN_HOST_MAX
#define ILPD_WSCONN_HOST_MAX 263
#endif
#ifndef ILPD_WSCONN_PATH_MAX
#define ILPD_WSCONN_PATH_MAX 255
#endif

/* Admin (health/metrics) HTTP connections served at once. */
#ifndef ILPD_MAX_ADMIN_CONNS
#define ILPD_MAX_ADMIN_CONNS 4
#endif

/* Largest admin HTTP response, sized for /metrics: at their widest
 * values (tests/unit/test_admin_worst.c builds that case) its node-wide
 * lines take ~16.7 KB and each peer slot ~900 bytes of link metrics and
 * ~500 more with a settlement engine (1,402 with a 31-byte name); the
 * admin server keeps 1 KiB of the buffer for the HTTP head (httpd.c).
 * 20 KiB leaves ~2.7 KB for new node-wide lines. /health fits with half
 * of it to spare. GET /admin/peers prints every key of every peer: with
 * ordinary values ~0.7 KB a peer, but with every peer's url, tls_server_name
 * and settlement_engine at their 255-byte limits ~2 KB, and a full host
 * board of such peers is answered 500 "response too large" (the other
 * pages are not affected). */
#ifndef ILPD_ADMIN_OUT_MAX
#define ILPD_ADMIN_OUT_MAX (20480 + ILPD_MAX_PEERS * 1408)
#endif

/* HTTP client (firmware/httpc_glue.h): connections to the local
 * business-logic server and the settlement engines, each with one buffer
 * for its request and then its response body. Local-delivery replies carry
 * up to 32 KB of data as base64 (~43.7 KB), hence 48 KiB; a board that
 * sets less refuses larger requests (ILP_ERR_ARG) and replies
 * (ILP_ERR_OVERFLOW). ILPD_HTTPC_RX: one receive scratch buffer shared by
 * all slots. ILPD_HTTPC_IDLE_MS: a kept-alive connection is closed after
 * this long unused (below node's 5 s keepAliveTimeout, so ilpd closes
 * first). */
#ifndef ILPD_HTTPC_SLOTS
#define ILPD_HTTPC_SLOTS 8
#endif
#ifndef ILPD_HTTPC_BUF
#define ILPD_HTTPC_BUF 49152
#endif
#ifndef ILPD_HTTPC_RX
#define ILPD_HTTPC_RX 4096
#endif
#ifndef ILPD_HTTPC_IDLE_MS
#define ILPD_HTTPC_IDLE_MS 4000
#endif

/* Event loop tables. */
#ifndef ILPD_EV_MAX_IO
#define ILPD_EV_MAX_IO (ILPD_MAX_CONNS + ILPD_MAX_ADMIN_CONNS + ILPD_LOBBY_BTP + ILPD_LOBBY_ADMIN + ILPD_HTTPC_SLOTS + 4 + 5)
#endif
#ifndef ILPD_EV_MAX_TIMERS
#define ILPD_EV_MAX_TIMERS (2 * ILPD_MAX_CONNS + ILPD_HTTPC_SLOTS + 10 + 5)
#endif

/* Largest HTTP request head (request line + headers) accepted. */
#ifndef ILPD_HTTP_MAX_HEAD
#define ILPD_HTTP_MAX_HEAD 4096
#endif
#ifndef ILPD_HTTP_MAX_HEADERS
#define ILPD_HTTP_MAX_HEADERS 32
#endif

/* ---- TLS (net/tls.h) ------------------------------------------------------
 * RAM per TLS connection and per loaded TLS configuration. The memory map
 * prints sizeof(struct tls_conn) and sizeof(struct tls_config) for the
 * backend compiled in (ILPD_TLS=bearssl|mbedtls). */

/* Record I/O buffer per TLS connection, both directions together. 33178 is
 * BearSSL's BR_SSL_BUFSIZE_BIDI: one whole 16 KiB record in (plus 325 bytes
 * of header, MAC and padding) and one out (plus 85). A TLS 1.2 peer may send
 * full-size records unless max_fragment_length was negotiated, and neither
 * node nor most servers negotiate it, so the BearSSL backend refuses
 * (at compile time) anything smaller. */
#ifndef ILPD_TLS_BUFSIZE
#define ILPD_TLS_BUFSIZE 33178
#endif

/* Trust anchors kept by a client configuration (one per CA certificate of
 * the CA file). Debian's /etc/ssl/certs/ca-certificates.crt holds 150. */
#ifndef ILPD_TLS_MAX_ANCHORS
#define ILPD_TLS_MAX_ANCHORS 192
#endif

/* Byte pool for the anchors' subject DNs and public keys (RSA modulus and
 * exponent, or EC point), copied from the CA file at load time: a 4096-bit
 * RSA root takes up to ~690 bytes, a P-256 one ~150. Debian bookworm's
 * bundle (150 CAs) takes 63,287 bytes with BearSSL; the default leaves 29%
 * for its growth. Loading fails cleanly ("trust anchor pool full") when a
 * file does not fit. A router that trusts only a private CA (or uses pins)
 * can set ILPD_TLS_MAX_ANCHORS 8 and ILPD_TLS_ANCHOR_BYTES 4096. */
#ifndef ILPD_TLS_ANCHOR_BYTES
#define ILPD_TLS_ANCHOR_BYTES 81920
#endif

/* Byte pool for a server configuration: the DER certificate chain (leaf
 * first) sent in the handshake. 8 KiB holds a leaf and two intermediates. */
#ifndef ILPD_TLS_CHAIN_BYTES
#define ILPD_TLS_CHAIN_BYTES 8192
#endif

/* mbedTLS backend only (ILPD_TLS=mbedtls): the static arena that replaces
 * libc's heap for mbedTLS (net/tls_arena.h), in .bss. It holds, for good,
 * what the loaded configurations keep (the CA certificates parsed whole:
 * Debian's bundle takes 427 KiB on 64-bit, 321 KiB on armhf) and, per TLS
 * connection, mbedTLS's two 16.7 KiB record buffers, the session with the
 * peer's certificate chain and, during the handshake, its state: measured
 * peak 42.2 KiB for a client (40.1 on armhf), 37.4 for a server
 * (test_tls_arena). Sized for every connection being TLS. When the arena
 * is full a new connection fails cleanly (TLS_ERR_INTERNAL) and the
 * reconnect logic retries it. Boards: host 3.7 MiB, rpi 2.2 MiB, router
 * 1.1 MiB (a router that trusts only a private CA or pins may set
 * ILPD_TLS_ARENA_CONFIG to 16384). */
#ifndef ILPD_TLS_ARENA_PER_CONN
#define ILPD_TLS_ARENA_PER_CONN 49152
#endif
#ifndef ILPD_TLS_ARENA_CONFIG
#define ILPD_TLS_ARENA_CONFIG 524288
#endif
#ifndef ILPD_TLS_ARENA_BYTES
#define ILPD_TLS_ARENA_BYTES (ILPD_TLS_ARENA_CONFIG + ILPD_MAX_CONNS * ILPD_TLS_ARENA_PER_CONN)
#endif

#endif /* NET_OPTS_H */
