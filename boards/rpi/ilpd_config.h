/* Board options for Raspberry Pi 2/3/4/5 and Zero 2 W (512 MiB .. 8 GiB RAM,
 * Linux). Sized for a home connector with a few dozen peers and a few thousand
 * packets in flight. See ilp/include/ilp/ilp_opts.h. */
#ifndef ILPD_CONFIG_H
#define ILPD_CONFIG_H
#define ILPD_BOARD_NAME "rpi"
#define ILPD_MAX_PEERS 32
#define ILPD_MAX_ROUTES 64
#define ILPD_ROUTE_PREFIX_MAX 96
#define ILPD_MAX_LEARNED_ROUTES 256
#define ILPD_CCP_LOG_MAX 128
#define ILPD_MAX_PENDING 2048
#define ILPD_ADDRESS_MAX 255
/* Connections waiting for their first byte (net/lobby.h, net_opts.h). */
#define ILPD_LOBBY_BTP 128
#define ILPD_LOBBY_ADMIN 64
/* HTTP client connections (local delivery, settlement engines; net_opts.h):
 * 8 x 48 KiB buffers (a local-delivery reply carries up to 32 KB of data). */
#define ILPD_HTTPC_SLOTS 8
#define ILPD_HTTPC_BUF 49152
#endif
