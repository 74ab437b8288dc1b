/* lwIP options for Raspberry Pi class boards (ILPD_NET=lwip, presets
 * rpi-aarch64-lwip and rpi-armhf-lwip). An 8-segment (11,680-byte) receive
 * window and send buffer per connection: enough for a peer's packets on a
 * home LAN (about 1 MB/s at 10 ms round trip per connection), at about 1 MiB
 * of RAM for lwIP in all. Everything else: hal/lwip/include/lwipopts_common.h
 * and docs/lwip.md. */
#ifndef ILPD_LWIPOPTS_H
#define ILPD_LWIPOPTS_H
#define ILPD_LWIP_WND_MSS 8
#define ILPD_LWIP_SNDBUF_MSS 8
/* Connections and lobby pcbs, as this board's ilpd_config.h and
 * net/net_opts.h make them (ILPD_MAX_CONNS + ILPD_MAX_ADMIN_CONNS
 * + ILPD_HTTPC_SLOTS,
 * ILPD_LOBBY_BTP + ILPD_LOBBY_ADMIN); firmware/memmap.c checks both. */
#define ILPD_LWIP_TCP_CONNS (36 + 4 + 8)
#define ILPD_LWIP_LOBBY_PCBS (128 + 64)
#include "lwipopts_common.h"
#endif
