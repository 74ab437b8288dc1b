/*
 * tapif.c - lwIP netif driver for a Linux TAP device (the test host's
 * stand-in for a board's Ethernet MAC).
 *
 * IMPLEMENTATION NOTES
 * - Why not lwIP's own contrib tapif: it runs a receive thread, creates
 *   and configures the device with system("ifconfig ...") and hard-codes
 *   the MAC; Debian's build of it also overflows PBUF_POOL buffers (the
 *   TCP_MSS clash, shared/reference/cross-and-qemu.md 3.4). This driver
 *   is single-threaded, attaches only to a device the operator (or the
 *   test) has already made, and takes every pbuf from lwIP's static pool.
 * - Attach: open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), then
 *   TUNSETIFF with IFF_TAP | IFF_NO_PI (raw Ethernet frames, no 4-byte
 *   packet-info header). TUNSETIFF would create a missing device when the
 *   process has CAP_NET_ADMIN, so the name is checked with
 *   if_nametoindex() first: a typo in [netif] name is an error, not a new
 *   interface nobody configured.
 * - Receive: read(2) one frame into a static buffer, then pbuf_alloc
 *   (PBUF_RAW, len, PBUF_POOL) + pbuf_take. A frame longer than the buffer
 *   is truncated by the kernel and dropped here. A full pool drops the
 *   frame (counted), exactly like a NIC with no free descriptors.
 * - Transmit (linkoutput): a single pbuf is written straight from its
 *   payload; a chain is gathered into a static buffer first. A full device
 *   queue (EAGAIN) returns ERR_IF: TCP keeps the segment and sends it again.
 * - MAC: 02:xx:xx:xx:xx:xx with the x from a 32-bit FNV-1a hash of the
 *   interface name plus its length, so it is stable across restarts
 *   (neighbours' ARP/ND caches stay valid) and differs between devices.
 * - Memory: one static struct tap_dev in .bss (two frame buffers, 3 KiB).
 */
#include "hal_lwip.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

struct tap_dev {
	uint16_t mtu;
	uint8_t mac[6];
	struct hal_lwip_tap_stats st;
	uint8_t rx[HAL_LWIP_FRAME_MAX + 1];   /* +1: detects truncation */
	uint8_t tx[HAL_LWIP_FRAME_MAX];
};

/* In .bss (the frame buffers cost no image space); the descriptor apart
 * because it starts at -1. */
static struct tap_dev tap_dev;
static int tap_fd = -1;

static void tap_why(char *why, size_t why_len, const char *what,
		    const char *ifname, int e)
{
	if (why != NULL && why_len > 0)
		(void)snprintf(why, why_len, "%s %s: %s", what, ifname, strerror(e));
}

static void tap_make_mac(const char *ifname, uint8_t mac[6])
{
	uint32_t h = 2166136261u;
	size_t i, n = strlen(ifname);

	for (i = 0; i < n; i++) {
		h ^= (uint8_t)ifname[i];
		h *= 16777619u;
	}
	mac[0] = 0x02;              /* locally administered, unicast */
	mac[1] = (uint8_t)n;
	mac[2] = (uint8_t)(h >> 24);
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

int hal_lwip_tap_open(const char *ifname, uint16_t mtu, char *why, size_t why_len)
{
	struct ifreq ifr;
	size_t n = ifname != NULL ? strlen(ifname) : 0;
	int fd, e;

	if (n == 0 || n >= sizeof(ifr.ifr_name)) {
		if (why != NULL && why_len > 0)
			(void)snprintf(why, why_len, "bad TAP device name");
		return -1;
	}
	if (if_nametoindex(ifname) == 0) {
		tap_why(why, why_len, "no such TAP device", ifname, errno);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		tap_why(why, why_len, "cannot open /dev/net/tun for", ifname, errno);
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifname, n);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		e = errno;
		(void)close(fd);
		tap_why(why, why_len, "cannot attach to TAP device", ifname, e);
		return -1;
	}
	if (tap_fd >= 0)
		(void)close(tap_fd);
	tap_fd = fd;
	tap_dev.mtu = mtu;
	tap_make_mac(ifname, tap_dev.mac);
	memset(&tap_dev.st, 0, sizeof(tap_dev.st));
	return 0;
}

int hal_lwip_tap_fd(void)
{
	return tap_fd;
}

void hal_lwip_tap_stats(struct hal_lwip_tap_stats *out)
{
	*out = tap_dev.st;
}

static err_t tap_linkoutput(struct netif *nif, struct pbuf *p)
{
	const void *frame = p->payload;
	ssize_t w;

	(void)nif;
	if (p->tot_len > sizeof(tap_dev.tx)) {
		tap_dev.st.tx_dropped++;
		return ERR_IF;
	}
	if (p->next != NULL) {
		if (pbuf_copy_partial(p, tap_dev.tx, p->tot_len, 0) != p->tot_len) {
			tap_dev.st.tx_dropped++;
			return ERR_IF;
		}
		frame = tap_dev.tx;
	}
	do {
		w = write(tap_fd, frame, p->tot_len);
	} while (w < 0 && errno == EINTR);
	if (w != (ssize_t)p->tot_len) {
		tap_dev.st.tx_dropped++;
		return ERR_IF;
	}
	tap_dev.st.tx_frames++;
	return ERR_OK;
}

err_t hal_lwip_tap_netif_init(struct netif *nif)
{
	nif->name[0] = 't';
	nif->name[1] = 'p';
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, tap_dev.mac, ETH_HWADDR_LEN);
	nif->mtu = tap_dev.mtu;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		     NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6;
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = tap_linkoutput;
	return ERR_OK;
}

static bool tap_would_block(int e)
{
#if EWOULDBLOCK != EAGAIN
	if (e == EWOULDBLOCK)
		return true;
#endif
	return e == EAGAIN;
}

/* One frame from the device into lwIP: 1 if a frame was read (delivered
 * or dropped), 0 if none is waiting, -1 on a read error. */
static int tap_input_one(struct netif *nif)
{
	struct pbuf *p;
	ssize_t r;

	do {
		r = read(tap_fd, tap_dev.rx, sizeof(tap_dev.rx));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return tap_would_block(errno) ? 0 : -1;
	if (r < 14 || (size_t)r >= sizeof(tap_dev.rx)) {
		tap_dev.st.rx_dropped++;     /* runt, or truncated: too long */
		return 1;
	}
	p = pbuf_alloc(PBUF_RAW, (u16_t)r, PBUF_POOL);
	if (p == NULL) {
		tap_dev.st.rx_dropped++;
		return 1;
	}
	if (pbuf_take(p, tap_dev.rx, (u16_t)r) != ERR_OK ||
	    nif->input(p, nif) != ERR_OK) {
		pbuf_free(p);
		tap_dev.st.rx_dropped++;
		return 1;
	}
	tap_dev.st.rx_frames++;
	return 1;
}

int hal_lwip_tap_input(struct netif *nif, int max)
{
	int n = 0;

	if (tap_fd < 0)
		return 0;
	while (n < max) {
		int r = tap_input_one(nif);

		if (r <= 0)
			break;
		n++;
	}
	return n;
}
