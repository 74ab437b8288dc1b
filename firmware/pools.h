/*
 * pools.h - the daemon's static objects, declared once in pools.def and used
 * by the memory map (memmap.c) and the daemon (main.c), so the printed map
 * and what the daemon instantiates cannot drift apart.
 *
 * Usage:
 *   #define POOL(name, count, type) static type pool_##name[count];
 *   #include "pools.def"
 * defines one array per pool (pool_ilp_switch, pool_packet_buf, ...). POOL_PART(pool, member, count, type), if
 * defined, lists the tables inside a pool object (count elements of type in
 * member `member` of the pool's type); pools.def leaves it empty otherwise.
 * Memory: this header defines no objects.
 */
#ifndef ILPD_POOLS_H
#define ILPD_POOLS_H

#include <stdint.h>

#include "admin_ini.h"
#include "admin_peers.h"
#include "admin_send.h"
#include "config.h"
#include "daemon.h"
#include "deliver.h"
#include "settle_api.h"
#include "transport.h"
#include "ilp/ccp.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"

#if defined(ILPD_TLS_MBEDTLS)
/* The mbedTLS arena (net/src/tls_arena.c), for the memory map. */
typedef uint8_t ilpd_tls_arena_buf[ILPD_TLS_ARENA_BYTES];
#endif

/* The BTP frame being written (one WebSocket message). */
typedef uint8_t ilpd_frame_buf[ILPD_WS_MAX_MESSAGE];

/* One ILP packet of the largest kind (a Reject with every field at its RFC
 * limit): the daemon's receive buffer, rewritten in place when forwarded. */
typedef uint8_t ilpd_packet_buf[ILP_PACKET_MAX_SIZE];

/* The buffer ilp_switch_prepare() and friends write their replies into. */
typedef uint8_t ilpd_reply_buf[ILP_SWITCH_REPLY_MAX];

#endif /* ILPD_POOLS_H */
