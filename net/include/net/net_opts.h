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

/* Connections: one per peer, plus inbound ones still authenticating. */
#ifndef ILPD_MAX_CONNS
#define ILPD_MAX_CONNS (ILPD_MAX_PEERS + 4)
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

/* Largest admin HTTP response (/metrics grows with the number of peers). */
#ifndef ILPD_ADMIN_OUT_MAX
#define ILPD_ADMIN_OUT_MAX (8192 + ILPD_MAX_PEERS * 768)
#endif

/* Event loop tables. */
#ifndef ILPD_EV_MAX_IO
#define ILPD_EV_MAX_IO (ILPD_MAX_CONNS + ILPD_MAX_ADMIN_CONNS + 4)
#endif
#ifndef ILPD_EV_MAX_TIMERS
#define ILPD_EV_MAX_TIMERS (2 * ILPD_MAX_CONNS + 8)
#endif

/* Largest HTTP request head (request line + headers) accepted. */
#ifndef ILPD_HTTP_MAX_HEAD
#define ILPD_HTTP_MAX_HEAD 4096
#endif
#ifndef ILPD_HTTP_MAX_HEADERS
#define ILPD_HTTP_MAX_HEADERS 32
#endif

#endif /* NET_OPTS_H */
