/* Board options for a development host (x86_64 Linux). Generous pools so that
 * benchmarks are never limited by the tables. See ilp/include/ilp/ilp_opts.h. */
#ifndef ILPD_CONFIG_H
#define ILPD_CONFIG_H
#define ILPD_BOARD_NAME "host"
#define ILPD_MAX_PEERS 64
#define ILPD_MAX_ROUTES 128
#define ILPD_ROUTE_PREFIX_MAX 128
#define ILPD_MAX_LEARNED_ROUTES 512
#define ILPD_CCP_LOG_MAX 256
#define ILPD_MAX_PENDING 4096
#define ILPD_ADDRESS_MAX 255
/* Connections waiting for their first byte (net/lobby.h, net_opts.h). */
#define ILPD_LOBBY_BTP 256
#define ILPD_LOBBY_ADMIN 128
/* HTTP client connections (local delivery, settlement engines; net_opts.h):
 * 16 x 48 KiB buffers. */
#define ILPD_HTTPC_SLOTS 16
#define ILPD_HTTPC_BUF 49152
#endif
