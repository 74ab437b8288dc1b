/*
 * hal_lwip.h - internal interface between the files of the lwIP backend
 * (hal/lwip/net_lwip.c, tapif.c, sys_lwip.c). Nothing outside hal/lwip/
 * includes it: the rest of ilpd sees only hal/hal_net.h.
 *
 * Memory: the TAP driver's state (one static struct in .bss, 3 KiB with
 * its two frame buffers) lives in tapif.c; no heap anywhere.
 * Thread/ISR: event loop thread only (lwIP runs with NO_SYS=1, driven from
 * hal_poll).
 */
#ifndef HAL_LWIP_H
#define HAL_LWIP_H

#include <stddef.h>
#include <stdint.h>

#include "lwip/err.h"
#include "lwip/netif.h"

/* Largest Ethernet frame the driver reads or writes: a 1500-byte MTU plus
 * the 14-byte header and a VLAN tag. hal_net_init refuses larger MTUs. */
#define HAL_LWIP_MTU_MAX 1500
#define HAL_LWIP_MTU_MIN 1280             /* IPv6's minimum link MTU */
#define HAL_LWIP_FRAME_MAX (HAL_LWIP_MTU_MAX + 18)

/* Frames hal_lwip_tap_input() reads per call at most, so one busy link
 * cannot hold the event loop (the rest wait for the next hal_poll). */
#define HAL_LWIP_RX_BURST 64

/* Attaches to the EXISTING TAP device ifname (TUNSETIFF IFF_TAP |
 * IFF_NO_PI on /dev/net/tun; the device is never created here), opens it
 * non-blocking and derives the MAC address from the name: locally
 * administered unicast 02:xx:xx:xx:xx:xx, the same for the same name.
 * mtu is the netif's MTU. Returns 0, or -1 with a message in why. */
int hal_lwip_tap_open(const char *ifname, uint16_t mtu, char *why, size_t why_len);

/* netif_add() init function for the opened TAP device: sets the MAC, the
 * MTU, the flags and the output functions. */
err_t hal_lwip_tap_netif_init(struct netif *nif);

/* The device's file descriptor (for poll(2)), -1 before a successful open. */
int hal_lwip_tap_fd(void);

/* Reads up to max frames (non-blocking) into PBUF_POOL pbufs and hands
 * each to nif->input. Returns the number of frames read; a frame that
 * finds the pool empty is dropped (TCP retransmits it). */
int hal_lwip_tap_input(struct netif *nif, int max);

/* Counters since the open, for the log and the tests. */
struct hal_lwip_tap_stats {
	uint64_t rx_frames, tx_frames;
	uint64_t rx_dropped;                 /* pool empty or input refused */
	uint64_t tx_dropped;                 /* device queue full or write error */
};
void hal_lwip_tap_stats(struct hal_lwip_tap_stats *out);

/* LWIP_RAND() for lwIP (initial sequence numbers, ports, ND6): 32 bits
 * from hal_random(). */
uint32_t hal_lwip_rand(void);

#endif /* HAL_LWIP_H */
