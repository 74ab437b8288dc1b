/*
 * memmap.c - prints the static RAM the daemon needs on one board: every pool
 * in pools.def with count, bytes each and bytes total, the tables inside each
 * pool, and the total. Built once per board (memmap_host, memmap_rpi,
 * memmap_router) for the target architecture, so the sizes are those of the
 * target's ABI; cross builds run it under qemu-user. Memory: stack only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ilp/ilp_opts.h"
#include "pools.h"

#if defined(ILPD_NET_LWIP)
/* lwIP's pools (ILPD_NET=lwip): the types memp_std.h names, as memp.c
 * includes them, with this board's lwipopts.h. */
#include "lwip/opt.h"
#include "lwip/etharp.h"
#include "lwip/ip4_frag.h"
#include "lwip/ip6_frag.h"
#include "lwip/mem.h"
#include "lwip/memp.h"
#include "lwip/mld6.h"
#include "lwip/pbuf.h"
#include "lwip/priv/nd6_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ppp/ppp_opts.h"
#include "net/net_opts.h"

/* lwIP's pools are sized by the board's lwipopts.h, which cannot see
 * net/ (the hal never includes it): the counts must match. */
_Static_assert(ILPD_LWIP_TCP_CONNS == ILPD_MAX_CONNS + ILPD_MAX_ADMIN_CONNS +
	       ILPD_HTTPC_SLOTS,
	       "boards/<board>/lwipopts.h: ILPD_LWIP_TCP_CONNS must be "
	       "ILPD_MAX_CONNS + ILPD_MAX_ADMIN_CONNS + ILPD_HTTPC_SLOTS");
_Static_assert(ILPD_LWIP_LOBBY_PCBS == ILPD_LOBBY_BTP + ILPD_LOBBY_ADMIN,
	       "boards/<board>/lwipopts.h: ILPD_LWIP_LOBBY_PCBS must be "
	       "ILPD_LOBBY_BTP + ILPD_LOBBY_ADMIN");
#endif

/* One typedef per pool, so POOL_PART can name the pool's members. */
#define POOL(name, count, type) typedef type memmap_##name##_t;
#include "pools.def"

/* Running state of the table: the pool whose parts are being listed. */
struct memmap {
	const char *pool;
	size_t pool_bytes;
	size_t parts_bytes;
	size_t total;
	int bad;           /* parts larger than their pool: pools.def is wrong */
};

static const char *memmap_arch(void)
{
#if defined(__x86_64__)
	return "x86_64";
#elif defined(__aarch64__)
	return "aarch64";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
	return "armhf";
#elif defined(__arm__)
	return "arm";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__i386__)
	return "i386";
#elif defined(__mips__)
	return "mips";
#elif defined(__riscv)
	return "riscv";
#else
	return "unknown";
#endif
}

/* Measured on the running target, so a qemu run reports the real order. */
static const char *memmap_byte_order(void)
{
	const uint16_t one = 1;
	uint8_t first;

	memcpy(&first, &one, 1);
	return first == 1 ? "little-endian" : "big-endian";
}

static void memmap_row(const char *name, const char *type, size_t count,
		       size_t each, size_t total)
{
	printf("%-22s %-22s %8zu %10zu %10zu\n", name, type, count, each, total);
}

/* Closes the parts of the current pool with the bytes no part accounts for
 * (configuration, counters, alignment padding). */
static void memmap_end_pool(struct memmap *m)
{
	if (m->pool_bytes < m->parts_bytes) {
		printf("error: the parts of %s add up to more than the pool\n",
		       m->pool != NULL ? m->pool : "(no pool)");
		m->bad = 1;
	} else if (m->parts_bytes > 0) {
		memmap_row("  (rest)", "cfg, stats, padding", 1,
			   m->pool_bytes - m->parts_bytes,
			   m->pool_bytes - m->parts_bytes);
	}
	m->pool = NULL;
	m->pool_bytes = 0;
	m->parts_bytes = 0;
}

static void memmap_pool(struct memmap *m, const char *name, const char *type,
			size_t count, size_t each)
{
	memmap_end_pool(m);
	memmap_row(name, type, count, each, count * each);
	m->pool = name;
	m->pool_bytes = count * each;
	m->total += count * each;
}

/* A table inside the current pool; `bytes` is the member's size, which may
 * exceed count * each by a small header (the routing table's count). */
static void memmap_part(struct memmap *m, const char *member, const char *type,
			size_t count, size_t each, size_t bytes)
{
	char label[64];

	snprintf(label, sizeof label, "  .%s", member);
	memmap_row(label, type, count, each, bytes);
	m->parts_bytes += bytes;
}

#if defined(ILPD_NET_LWIP)
/* Mirror of the block header lwIP's mem.c puts in front of every heap block
 * and twice around the heap (struct mem, MEM_OVERFLOW_CHECK 0). */
struct memmap_lwip_mem {
	mem_size_t next;
	mem_size_t prev;
	u8_t used;
};

/* lwIP's static memory: every memp pool memp_std.h enables with this
 * board's options (count x element size, as memp.c declares them), then
 * the heap array mem.c declares (ram_heap: MEM_SIZE plus two block
 * headers). */
static void memmap_lwip(struct memmap *m)
{
	size_t heap = LWIP_MEM_ALIGN_SIZE((size_t)MEM_SIZE) +
		      2 * LWIP_MEM_ALIGN_SIZE(sizeof(struct memmap_lwip_mem));

#define LWIP_MEMPOOL(name, num, size, desc) \
	memmap_pool(m, "lwip." #name, "lwIP memp " desc, (size_t)(num), \
		    (size_t)(MEMP_SIZE + MEMP_ALIGN_SIZE(size)));
#include "lwip/priv/memp_std.h"
	memmap_pool(m, "lwip.ram_heap", "lwIP MEM_SIZE heap", 1, heap);
}
#endif

static void memmap_header(void)
{
	printf("ilpd memory map: board %s, target %s (%zu-bit pointers, %s)\n",
	       ILPD_BOARD_NAME, memmap_arch(), sizeof(void *) * 8,
	       memmap_byte_order());
	printf("options: ILPD_MAX_PEERS %d, ILPD_MAX_ROUTES %d, "
	       "ILPD_ROUTE_PREFIX_MAX %d, ILPD_MAX_PENDING %d, "
	       "ILPD_ADDRESS_MAX %d\n\n",
	       ILPD_MAX_PEERS, ILPD_MAX_ROUTES, ILPD_ROUTE_PREFIX_MAX,
	       ILPD_MAX_PENDING, ILPD_ADDRESS_MAX);
	printf("%-22s %-22s %8s %10s %10s\n", "pool / object", "type", "count",
	       "bytes each", "bytes total");
}

static void memmap_footer(const struct memmap *m)
{
	size_t tenths = (m->total * 10 + 512) / 1024;

	printf("%-22s %-22s %8s %10s %10zu\n", "TOTAL static RAM", "", "", "",
	       m->total);
	printf("\n= %zu.%zu KiB on board %s (%s). Lines starting with '.' are "
	       "inside the pool above them.\n",
	       tenths / 10, tenths % 10, ILPD_BOARD_NAME, memmap_arch());
	printf("Each connection holds a receive buffer (ILPD_CONN_RXBUF = %zu), a send "
	       "buffer (ILPD_CONN_TXBUF = %zu) and a fragment buffer "
	       "(ILPD_WS_MAX_MESSAGE = %zu).\n",
	       (size_t)ILPD_CONN_RXBUF, (size_t)ILPD_CONN_TXBUF, (size_t)ILPD_WS_MAX_MESSAGE);
#if defined(ILPD_NET_LWIP)
	printf("lwIP (ILPD_NET=lwip): TCP_MSS %d, TCP_WND %d, TCP_SND_BUF %d, "
	       "PBUF_POOL_BUFSIZE %d, PBUF_POOL_SIZE %d, MEM_SIZE %zu, "
	       "MEMP_NUM_TCP_PCB %d (boards/%s/lwipopts.h).\n",
	       (int)TCP_MSS, (int)TCP_WND, (int)TCP_SND_BUF, (int)PBUF_POOL_BUFSIZE,
	       (int)PBUF_POOL_SIZE, (size_t)MEM_SIZE, (int)MEMP_NUM_TCP_PCB,
	       ILPD_BOARD_NAME);
#endif
}

int main(void)
{
	struct memmap m = { NULL, 0, 0, 0, 0 };

	memmap_header();
#define POOL(name, count, type) \
	memmap_pool(&m, #name, #type, (size_t)(count), sizeof(type));
#define POOL_EXTERN(name, count, type) POOL(name, count, type)
#define POOL_PART(pool, member, count, type)                              \
	memmap_part(&m, #member, #type, (size_t)(count), sizeof(type),    \
		    sizeof(((memmap_##pool##_t *)0)->member));
#define POOL_LWIP() memmap_lwip(&m);
#include "pools.def"
	memmap_end_pool(&m);
	memmap_footer(&m);
	return m.bad ? 1 : 0;
}
