/* lwIP options for the development host (ILPD_NET=lwip, preset host-lwip).
 * Generous like the rest of this board: a 16-segment (23,360-byte) receive
 * window and send buffer per connection keep a benchmark's traffic flowing
 * over a TAP device. Everything else: hal/lwip/include/lwipopts_common.h
 * and docs/lwip.md. */
#ifndef ILPD_LWIPOPTS_H
#define ILPD_LWIPOPTS_H
#define ILPD_LWIP_WND_MSS 16
#define ILPD_LWIP_SNDBUF_MSS 16
/* Connections and lobby pcbs, as this board's ilpd_config.h and
 * net/net_opts.h make them (ILPD_MAX_CONNS + ILPD_MAX_ADMIN_CONNS
 * + ILPD_HTTPC_SLOTS,
 * ILPD_LOBBY_BTP + ILPD_LOBBY_ADMIN); firmware/memmap.c checks both. */
#define ILPD_LWIP_TCP_CONNS (68 + 4 + 16)
#define ILPD_LWIP_LOBBY_PCBS (256 + 128)
#include "lwipopts_common.h"
#endif
