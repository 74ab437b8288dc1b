/*
 * lwipopts_common.h - lwIP options shared by every board (ILPD_NET=lwip).
 * boards/<board>/lwipopts.h sets the board's few knobs (ILPD_LWIP_*) and
 * then includes this file; lwIP's opt.h fills in everything not named here.
 * docs/lwip.md explains each choice and shows the RAM per board.
 *
 * The shape of the stack (decided for ilpd, see hal/lwip/net_lwip.c):
 * NO_SYS=1 and the raw TCP API, driven by ilpd's single-threaded event loop
 * (hal_poll waits on the TAP fd and runs sys_check_timeouts). No tcpip
 * thread, no sys_arch semaphores or mailboxes, no netconn or socket layer.
 * IPv4 and IPv6, TCP, ICMP/ICMPv6, ND6/MLD6, Ethernet/ARP on one TAP netif.
 *
 * Memory: every lwIP object comes from a static memp pool or from lwIP's
 * own static heap array (ram_heap[MEM_SIZE], for PBUF_RAM pbufs: the data
 * tcp_write copies and outgoing control packets). Nothing calls libc's
 * allocator (MEM_LIBC_MALLOC 0, MEMP_MEM_MALLOC 0; the build's no-heap
 * check covers libilpd_lwip.a). The sizes follow the board's connection
 * count: every TCP connection ilpd can hold may at once
 *   - have a full send buffer (TCP_SND_BUF) queued in the heap, and
 *   - hold a full receive window (TCP_WND) of full-size segments in
 *     PBUF_POOL buffers (the backend keeps received pbufs until ilpd reads
 *     them, and wsconn stops reading a peer under backpressure).
 * So an overloaded peer slows down only itself. firmware/memmap.c prints
 * every pool and the heap for each board.
 *
 * TCP_MSS, PBUF_POOL_BUFSIZE, MEM_ALIGNMENT and the other values that size
 * or shape lwIP's structures must be the same in every translation unit:
 * toolchain/check-lwip-opts.cmake checks that at build time (glibc's
 * <netinet/tcp.h> defines TCP_MSS 512 and silently wins if included after
 * lwIP's headers).
 */
#ifndef ILPD_LWIPOPTS_COMMON_H
#define ILPD_LWIPOPTS_COMMON_H

/* The hal never includes net/: the connection counts lwIP's pools follow
 * are the board's (boards/<board>/lwipopts.h), and firmware/memmap.c checks
 * them against net/net_opts.h at build time. */
#include "ilpd_config.h"

/* ---- Board knobs (set in boards/<board>/lwipopts.h before this file) -- */

/* Receive window and send buffer per connection, in full segments. */
#ifndef ILPD_LWIP_WND_MSS
#define ILPD_LWIP_WND_MSS 8
#endif
#ifndef ILPD_LWIP_SNDBUF_MSS
#define ILPD_LWIP_SNDBUF_MSS ILPD_LWIP_WND_MSS
#endif

/* TCP connections ilpd holds at once: peers (ILPD_MAX_CONNS, inbound ones
 * still authenticating included) and admin HTTP connections
 * (ILPD_MAX_ADMIN_CONNS); and the lobbies' connections (ILPD_LOBBY_BTP +
 * ILPD_LOBBY_ADMIN, net/lobby.h). Set by the board. */
#if !defined(ILPD_LWIP_TCP_CONNS) || !defined(ILPD_LWIP_LOBBY_PCBS)
#error "boards/<board>/lwipopts.h must set ILPD_LWIP_TCP_CONNS and ILPD_LWIP_LOBBY_PCBS"
#endif

/* PBUF_POOL buffers beyond the receive windows: frames read from the TAP
 * device before TCP has taken them, ARP/ND/ICMP input, out-of-order
 * segments. */
#ifndef ILPD_LWIP_RX_SPARE
#define ILPD_LWIP_RX_SPARE 16
#endif

/* Heap bytes beyond the send buffers: ACKs, RSTs, SYN-ACKs, ICMP echo
 * replies, ARP and ND6 packets, queued while waiting for address
 * resolution. */
#ifndef ILPD_LWIP_MEM_CONTROL
#define ILPD_LWIP_MEM_CONTROL 16384
#endif

/* ---- System: no OS services ------------------------------------------- */
#define NO_SYS 1                 /* raw API on ilpd's own loop, no threads */
#define SYS_LIGHTWEIGHT_PROT 0   /* one thread, no interrupts: no locking */
#define LWIP_TIMERS 1            /* sys_check_timeouts() from hal_poll */
#define LWIP_NETCONN 0           /* no sequential API ... */
#define LWIP_SOCKET 0            /* ... and no sockets (they need threads) */
#define LWIP_NETIF_API 0
#define LWIP_ALTCP 0             /* TLS is ilpd's (net/tls.h), above TCP */
#define LWIP_STATS 0             /* ilpd counts what it reports itself */

/* ---- Memory: static pools and a static heap, never libc's heap -------- */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_USE_POOLS 0
/* Natural alignment of the target: 8 on 64-bit, 4 on 32-bit ABIs. */
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 8
#define MEM_ALIGNMENT 8
#else
#define MEM_ALIGNMENT 4
#endif

/* ---- Protocols -------------------------------------------------------- */
#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1              /* answers ping (IPv4) */
#define LWIP_ICMP6 1             /* required by IPv6 (ND6, ping6) */
#define LWIP_TCP 1
#define LWIP_UDP 0               /* no DHCP, DNS or other UDP user */
#define LWIP_RAW 0
#define LWIP_DHCP 0              /* addresses come from [netif] */
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0               /* hal_resolve takes numeric addresses only */
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_AUTOCONFIG 0   /* static address6 from [netif] + link-local */
#define LWIP_IPV6_MLD 1          /* joins the solicited-node groups ND6 uses */
#define LWIP_IPV6_NUM_ADDRESSES 3 /* link-local, address6, one spare */
#define LWIP_HAVE_LOOPIF 0
#define LWIP_NETIF_LOOPBACK 0
#define IP_FORWARD 0             /* an endpoint, not a router */
#define LWIP_IPV6_FORWARD 0
/* TCP never sends a datagram larger than the MTU, so no fragmentation; a
 * fragmented datagram in (a ping larger than the MTU) is dropped. That saves
 * the reassembly buffers, which a remote party could otherwise fill. */
#define IP_REASSEMBLY 0
#define IP_FRAG 0
#define LWIP_IPV6_REASS 0
#define LWIP_IPV6_FRAG 0

/* Address resolution caches: the netif talks to its gateway and a few
 * hosts on the link. Packets wait for resolution in small queues. */
#define ARP_TABLE_SIZE 8
#define ARP_QUEUEING 1
#define MEMP_NUM_ARP_QUEUE 8
#define LWIP_ND6_NUM_NEIGHBORS 8
#define LWIP_ND6_NUM_DESTINATIONS 8
#define LWIP_ND6_QUEUEING 1
#define MEMP_NUM_ND6_QUEUE 8

/* ---- TCP -------------------------------------------------------------- */
/* Ethernet MTU 1500 - 20 (IPv4) - 20 (TCP). IPv6 connections advertise 20
 * bytes less (lwIP subtracts the larger header). */
#define TCP_MSS 1460
#define TCP_WND (ILPD_LWIP_WND_MSS * TCP_MSS)
#define TCP_SND_BUF (ILPD_LWIP_SNDBUF_MSS * TCP_MSS)
/* pbufs queued per connection: lwIP's minimum (2 per full segment) plus 2;
 * ilpd's sockets are TCP_NODELAY, so small writes each take one. When the
 * queue or TCP_SND_BUF is full, tcp_write fails and the backend reports
 * HAL_NET_AGAIN: ilpd keeps the rest in its own send buffer. */
#define TCP_SND_QUEUELEN (2 * ILPD_LWIP_SNDBUF_MSS + 2)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_PBUFS ILPD_LWIP_WND_MSS /* per connection */
#define TCP_OOSEQ_MAX_BYTES TCP_WND
#define TCP_LISTEN_BACKLOG 1     /* hal_tcp_listen's backlog is enforced */
#define LWIP_TCP_KEEPALIVE 1     /* the backend may set keep_idle/intvl/cnt */
#define LWIP_WND_SCALE 0         /* every board's window fits in 16 bits */
#define LWIP_TCP_TIMESTAMPS 0
/* Recovery from lost segments (issue 16). lwIP's retransmission timer
 * counts in TCP_SLOW_INTERVAL = 2 * TCP_TMR_INTERVAL ticks and its RTT
 * variance never falls below 3 ticks, so the smallest RTO is 6 *
 * TCP_TMR_INTERVAL: 1.5 s with lwIP's 250 ms, 150 ms with 25 ms (Linux's
 * floor is 200 ms). The fast timer (delayed ACKs, refused data) runs every
 * 25 ms too. hal_poll runs the timers when due (sys_timeouts_sleeptime), so
 * the cost is one timer pass per 25 ms. Fast retransmit on three duplicate
 * ACKs is always on in lwIP; out-of-order segments are queued
 * (TCP_QUEUE_OOSEQ, above); SACK blocks in our ACKs let the peer's kernel
 * resend every hole of a window at once (lwIP does not read SACK). */
#define TCP_TMR_INTERVAL 5
#define LWIP_TCP_SACK_OUT 1
#define LWIP_TCP_MAX_SACK_NUM 4
#define SO_REUSE 1               /* re-listen on a port with TIME_WAIT pcbs */
#define LWIP_CALLBACK_API 1
#define LWIP_EVENT_API 0
/* Random initial sequence numbers (lwIP's default is a counter). */
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) LWIP_RAND()

/* PCBs: every connection, plus spares for pcbs in TIME_WAIT or closing
 * (lwIP reclaims those first when the pool is empty). Listeners: BTP and
 * admin, plus room for a reload that opens the new ones first. */
/* ... plus the lobbies' connections (net/lobby.h): they hold a PCB but are
 * handed to a connection slot at their first segment, so the pbuf pool and
 * the heap below are sized for the slots only. */
#define MEMP_NUM_TCP_PCB (ILPD_LWIP_TCP_CONNS + ILPD_LWIP_LOBBY_PCBS + 4)
#define MEMP_NUM_TCP_PCB_LISTEN 4
/* Segments: a full send queue and out-of-order queue for every
 * connection. */
#define MEMP_NUM_TCP_SEG \
	(ILPD_LWIP_TCP_CONNS * (TCP_SND_QUEUELEN + ILPD_LWIP_WND_MSS))
/* PBUF_REF/ROM pbufs: tcp_write copies (no ROM/REF data), so few. */
#define MEMP_NUM_PBUF 16
/* lwIP's own timers (TCP, ARP, ND6, MLD6) plus 4 for the backend. */
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)

/* ---- pbufs and the heap ----------------------------------------------- */
/* One pool buffer holds a whole frame: a full TCP segment with the larger
 * (IPv6) header and the Ethernet header: 1460 + 40 + 20 + 14 = 1534,
 * rounded up to MEM_ALIGNMENT. The TAP driver allocates received frames
 * from this pool; pbuf.c and memp.c must agree on it (the TCP_MSS check). */
#define PBUF_LINK_HLEN 14
#define ETH_PAD_SIZE 0
#define PBUF_POOL_BUFSIZE \
	(((TCP_MSS + 40 + 20 + 14) + MEM_ALIGNMENT - 1) & ~(MEM_ALIGNMENT - 1))
/* A full receive window for every connection, plus spares. */
#define PBUF_POOL_SIZE \
	(ILPD_LWIP_TCP_CONNS * ILPD_LWIP_WND_MSS + ILPD_LWIP_RX_SPARE)
/* A full send buffer for every connection, with each queued pbuf's
 * headers (pbuf struct, heap header, Ethernet + IP + TCP headers: at most
 * 128 bytes), plus the control traffic. */
#define MEM_SIZE \
	(ILPD_LWIP_TCP_CONNS * (TCP_SND_BUF + TCP_SND_QUEUELEN * 128) + \
	 ILPD_LWIP_MEM_CONTROL)

/* ---- Checksums: computed and checked in software (TAP has no offload) -- */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_GEN_ICMP6 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
#define CHECKSUM_CHECK_ICMP6 1
#define LWIP_CHECKSUM_ON_COPY 0

/* ---- netif ------------------------------------------------------------ */
#define LWIP_NETIF_STATUS_CALLBACK 1 /* the backend logs address changes */
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 0
#define LWIP_SINGLE_NETIF 0

#endif /* ILPD_LWIPOPTS_COMMON_H */
