/* lwIP options for an appliance-style home router (ILPD_NET=lwip). A
 * 4-segment (5,840-byte) receive window and send buffer per connection
 * (lwIP's sanity checks need at least 2): a router's peers are few and
 * its RAM is shared. Everything else: hal/lwip/include/lwipopts_common.h
 * and docs/lwip.md. */
#ifndef ILPD_LWIPOPTS_H
#define ILPD_LWIPOPTS_H
#define ILPD_LWIP_WND_MSS 4
#define ILPD_LWIP_SNDBUF_MSS 4
/* Fewer spare receive buffers than the bigger boards. */
#define ILPD_LWIP_RX_SPARE 8
/* Connections and lobby pcbs, as this board's ilpd_config.h and
 * net/net_opts.h make them (ILPD_MAX_CONNS + ILPD_MAX_ADMIN_CONNS
 * + ILPD_HTTPC_SLOTS,
 * ILPD_LOBBY_BTP + ILPD_LOBBY_ADMIN); firmware/memmap.c checks both. */
#define ILPD_LWIP_TCP_CONNS (12 + 4 + 4)
#define ILPD_LWIP_LOBBY_PCBS (32 + 16)
#include "lwipopts_common.h"
#endif
