/* Board options for an appliance-style home router (MIPS or ARM, 64-128 MiB
 * RAM, shared with the router's own work). Small tables. See
 * ilp/include/ilp/ilp_opts.h. */
#ifndef ILPD_CONFIG_H
#define ILPD_CONFIG_H
#define ILPD_BOARD_NAME "router"
#define ILPD_MAX_PEERS 8
#define ILPD_MAX_ROUTES 16
#define ILPD_ROUTE_PREFIX_MAX 64
#define ILPD_MAX_LEARNED_ROUTES 32
#define ILPD_CCP_LOG_MAX 32
#define ILPD_MAX_PENDING 128
#define ILPD_ADDRESS_MAX 127
/* Per-connection send buffer: 32 KiB holds a few hundred packets in
 * flight per peer; the default (128 KiB) is sized for benchmarks. */
#define ILPD_CONN_TXBUF 32768
/* Connections waiting for their first byte (net/lobby.h, net_opts.h). */
#define ILPD_LOBBY_BTP 32
#define ILPD_LOBBY_ADMIN 16
/* Admin request bodies (firmware/httpd.h): 16 KiB per admin connection. */
#define ILPD_HTTPD_BODY_MAX 16384
/* HTTP client connections (local delivery, settlement engines; net_opts.h):
 * 4 x 8 KiB buffers. Kept small on purpose: a router's local server must
 * keep requests and replies under 8 KiB (local-delivery data up to ~5.5 KB
 * each way); larger ones fail (T00). */
#define ILPD_HTTPC_SLOTS 4
#define ILPD_HTTPC_BUF 8192
/* Fulfills of local sends held until durable (firmware/local.h
 * "Durability"): room for the largest one (32 KiB); more forces a sync. */
#define ILPD_LOCAL_HOLD_BYTES 32820
#endif
