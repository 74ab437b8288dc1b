/*
 * net_lwip.c - hal_net over lwIP's raw TCP API (NO_SYS=1), for boards that
 * carry their own TCP/IP stack. The netif is a TAP device (tapif.c) on the
 * Linux test host; a board port swaps in its MAC driver.
 *
 * IMPLEMENTATION NOTES
 * - Why the raw API and NO_SYS=1: ilpd already has a single-threaded event
 *   loop, so lwIP can run inside it. lwIP's sockets and netconn layers
 *   need the tcpip thread, and every call then crosses threads through
 *   sys_arch mailboxes and semaphores (the unix port mallocs those per
 *   netconn) - a second thread, locks and heap traffic to emulate the
 *   poll(2) model that the raw callbacks give us directly. Here lwIP runs
 *   only inside hal_poll() and the hal_tcp_* calls: no locks, no threads.
 * - Sockets. A hal_fd is an index into lw_sock[], one slot per lwIP pcb
 *   (MEMP_NUM_TCP_PCB + MEMP_NUM_TCP_PCB_LISTEN, so the pcb pool, not
 *   this table, is the limit). The pcb's callback arg is the slot. A slot
 *   is LISTEN, PENDING (accepted by lwIP, waiting in its listener's backlog
 *   for hal_tcp_accept), CONNECTING or OPEN. When lwIP frees a pcb on an
 *   error (RST, retransmission timeout, abort) the err callback clears
 *   s->pcb and sets s->failed; the slot stays until hal_close.
 * - Receive. The recv callback queues the pbuf chain in a small ring
 *   (LW_RXQ chains; a full ring appends to the last chain while its u16
 *   tot_len allows, else returns ERR_MEM and lwIP keeps the data as
 *   "refused" and offers it again). hal_tcp_recv copies out and calls
 *   tcp_recved() for what it consumed, so the advertised window is the
 *   application's backpressure: at most TCP_WND bytes wait per socket.
 *   A NULL pbuf is the peer's FIN: recv then returns 0 once the ring is
 *   empty.
 * - Send. hal_tcp_send = tcp_write(COPY) of min(n, tcp_sndbuf) bytes, then
 *   tcp_output: the bytes leave at once (Nagle is off on every pcb, as
 *   with TCP_NODELAY in the POSIX backend). No room: HAL_NET_AGAIN.
 *   Writable (HAL_POLL_OUT) means at least TCP_SNDLOWAT bytes of send
 *   buffer and a queue below TCP_SNDQUEUELOWAT, like lwIP's own sockets,
 *   so a writer is woken for a useful amount, not for every ACK. If
 *   tcp_write fails for want of memory with room in the buffer, the socket
 *   is not writable again until some pcb's data is acknowledged
 *   (lw.sent_epoch moves), which is when memory comes back.
 * - Accept. The accept callback takes a free slot for the new pcb at once
 *   (so data that arrives before hal_tcp_accept has somewhere to go) and
 *   queues it in the listener's backlog (at most LW_BACKLOG). No slot or
 *   a full backlog: the connection is aborted (RST); it never waits
 *   half-open holding a pcb.
 * - hal_poll. Each call first drains up to HAL_LWIP_RX_BURST frames from
 *   the device without waiting and runs lwIP's due timers, then computes
 *   readiness from the table. If nothing is ready it poll(2)s the device
 *   for min(time left, next lwIP timer), feeds what arrived and looks
 *   again. Draining first keeps ACKs and window updates flowing while the
 *   application is busy with sockets that are always ready. EINTR returns
 *   0 so that signals still stop ilpd.
 * - Close. Callbacks are detached (arg NULL) before tcp_close, so lwIP
 *   never calls back into a slot after hal_close. Unread data makes
 *   tcp_close send a RST, as Linux does; a failed tcp_close (no memory
 *   for the FIN) falls back to tcp_abort.
 * - Names: no DNS in this build. hal_resolve copies numeric addresses and
 *   refuses names with a log line (the name itself only at DEBUG: it may
 *   be an onion address).
 * - Memory: the static `lw` (the netif and lw_sock[LW_NSOCK], about 190
 *   bytes a slot on 64-bit): measured 15.6 KiB for board host, 9.3 KiB for
 *   rpi on aarch64, 5.8 KiB on armhf; plus lwIP's own static pools
 *   (boards/<board>/lwipopts.h, in the memory map). No heap.
 */
#include "hal/hal_net.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/hal_log.h"
#include "hal/hal_time.h"
#include "hal_lwip.h"
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define LW_NSOCK (MEMP_NUM_TCP_PCB + MEMP_NUM_TCP_PCB_LISTEN)
#define LW_RXQ 16          /* pbuf chains queued per socket */
#define LW_BACKLOG 16      /* accepted connections waiting per listener */

_Static_assert(LW_NSOCK <= INT_MAX && LW_NSOCK <= 0xFFFF,
	       "a hal_fd (and a backlog entry) holds a slot index");

enum lw_state {
	LW_FREE = 0,
	LW_LISTEN,
	LW_PENDING,        /* accepted by lwIP, not yet by hal_tcp_accept */
	LW_CONNECTING,
	LW_OPEN
};

struct lw_sock {
	uint8_t state;                 /* enum lw_state */
	bool failed;                   /* lwIP freed the pcb on an error */
	bool eof;                      /* peer's FIN received */
	bool wblocked;                 /* tcp_write ran out of memory */
	int8_t err;                    /* lwIP's err_t when failed */
	struct tcp_pcb *pcb;
	uint32_t wblock_epoch;         /* lw.sent_epoch at that failure */
	/* receive ring: chains rxq[rxh .. rxh+rxn), rxoff bytes of the
	 * first already read */
	struct pbuf *rxq[LW_RXQ];
	uint16_t rxoff;
	uint8_t rxh, rxn;
	/* listener: slots of accepted connections, bl[blh .. blh+bln) */
	uint16_t bl[LW_BACKLOG];
	uint8_t blh, bln, blmax;
};

static struct {
	bool up;
	uint32_t sent_epoch;
	struct netif nif;
	struct lw_sock sock[LW_NSOCK];
} lw;

/* ---- slots --------------------------------------------------------- */

static struct lw_sock *lw_get(hal_fd fd)
{
	if (fd < 0 || fd >= LW_NSOCK || lw.sock[fd].state == LW_FREE)
		return NULL;
	return &lw.sock[fd];
}

static struct lw_sock *lw_alloc(hal_fd *fd)
{
	int i;

	for (i = 0; i < LW_NSOCK; i++) {
		if (lw.sock[i].state == LW_FREE) {
			memset(&lw.sock[i], 0, sizeof(lw.sock[i]));
			*fd = i;
			return &lw.sock[i];
		}
	}
	return NULL;
}

static void lw_rx_drop(struct lw_sock *s)
{
	while (s->rxn > 0) {
		pbuf_free(s->rxq[s->rxh]);
		s->rxh = (uint8_t)((s->rxh + 1) % LW_RXQ);
		s->rxn--;
	}
	s->rxoff = 0;
}

/* Detaches s from its pcb (no more callbacks) and frees the slot; the
 * caller has closed or aborted the pcb, or lwIP has freed it. */
static void lw_release(struct lw_sock *s)
{
	lw_rx_drop(s);
	memset(s, 0, sizeof(*s));
}

static void lw_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	if (pcb->state == LISTEN) {
		tcp_accept(pcb, NULL);
		return;
	}
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

static void lw_abort(struct lw_sock *s)
{
	if (s->pcb != NULL) {
		lw_detach(s->pcb);
		tcp_abort(s->pcb);
		s->pcb = NULL;
	}
	lw_release(s);
}

/* ---- lwIP callbacks -------------------------------------------------- */

static err_t lw_on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct lw_sock *s = arg;

	(void)pcb;
	if (s == NULL) {            /* not ours any more: lwIP's default */
		if (p != NULL) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (p == NULL) {
		s->eof = true;
		return ERR_OK;
	}
	(void)err;                  /* always ERR_OK in lwIP 2.1 */
	if (s->rxn == LW_RXQ) {
		struct pbuf *tail = s->rxq[(s->rxh + s->rxn - 1) % LW_RXQ];

		if ((uint32_t)tail->tot_len + p->tot_len > 0xFFFFu)
			return ERR_MEM;     /* lwIP keeps p and offers it again */
		pbuf_cat(tail, p);
		return ERR_OK;
	}
	s->rxq[(s->rxh + s->rxn) % LW_RXQ] = p;
	s->rxn++;
	return ERR_OK;
}

static err_t lw_on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)arg;
	(void)pcb;
	(void)len;
	lw.sent_epoch++;
	return ERR_OK;
}

static void lw_on_err(void *arg, err_t err)
{
	struct lw_sock *s = arg;

	if (s == NULL)
		return;
	s->pcb = NULL;              /* lwIP has freed it */
	s->failed = true;
	s->err = (int8_t)err;
}

static err_t lw_on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct lw_sock *s = arg;

	(void)pcb;
	(void)err;                  /* always ERR_OK in lwIP 2.1 */
	if (s != NULL && s->state == LW_CONNECTING)
		s->state = LW_OPEN;
	return ERR_OK;
}

static void lw_attach(struct lw_sock *s, struct tcp_pcb *pcb)
{
	s->pcb = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, lw_on_recv);
	tcp_sent(pcb, lw_on_sent);
	tcp_err(pcb, lw_on_err);
	tcp_nagle_disable(pcb);
}

static err_t lw_on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct lw_sock *l = arg, *s;
	hal_fd fd;

	if (newpcb == NULL || err != ERR_OK)
		return ERR_VAL;
	tcp_arg(newpcb, NULL);
	tcp_err(newpcb, NULL);
	if (l == NULL || l->state != LW_LISTEN || l->bln >= l->blmax ||
	    (s = lw_alloc(&fd)) == NULL) {
		hal_log(HAL_LOG_DEBUG, "net.accept_refused", "reason=%s",
			l != NULL && l->bln >= l->blmax ? "backlog_full" : "no_slot");
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	s->state = LW_PENDING;
	lw_attach(s, newpcb);
	l->bl[(l->blh + l->bln) % LW_BACKLOG] = (uint16_t)fd;
	l->bln++;
	return ERR_OK;
}

/* ---- driving lwIP ---------------------------------------------------- */

/* Feeds what the device has (without waiting) and runs due timers. */
static void lw_pump(void)
{
	if (!lw.up)
		return;
	(void)hal_lwip_tap_input(&lw.nif, HAL_LWIP_RX_BURST);
	sys_check_timeouts();
}

/* Milliseconds to wait: the nearer of left (-1: no limit) and lwIP's
 * next timer. */
static int lw_wait_ms(int64_t left)
{
	int64_t w = left;

	if (lw.up) {
		u32_t t = sys_timeouts_sleeptime();

		if (t != SYS_TIMEOUTS_SLEEPTIME_INFINITE && (w < 0 || (int64_t)t < w))
			w = (int64_t)t;
	}
	if (w > INT_MAX)
		w = INT_MAX;
	return (int)w;
}

/* Waits up to ms for the device (or just sleeps before hal_net_init).
 * Returns poll(2)'s result. A device in error (deleted, hung up) would
 * make poll return at once forever: that is logged once and the wait
 * becomes a plain sleep, so the loop keeps its timers without spinning. */
static int lw_wait(int ms)
{
	static bool dev_failed;
	struct pollfd p;
	int fd = hal_lwip_tap_fd(), r;

	if (!lw.up || fd < 0 || dev_failed)
		return poll(NULL, 0, ms);
	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	r = poll(&p, 1, ms);
	if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
		dev_failed = true;
		hal_log(HAL_LOG_ERROR, "net.device_failed",
			"driver=tap revents=0x%x", (unsigned)p.revents);
	}
	return r;
}

static bool lw_writable(const struct lw_sock *s)
{
	if (s->pcb == NULL || s->state != LW_OPEN)
		return false;
	if (s->wblocked && s->wblock_epoch == lw.sent_epoch)
		return false;
	return tcp_sndbuf(s->pcb) >= TCP_SNDLOWAT &&
	       tcp_sndqueuelen(s->pcb) < TCP_SNDQUEUELOWAT;
}

/* Readiness of one socket, as HAL_POLL_* bits (not yet masked). */
static unsigned lw_ready(const struct lw_sock *s)
{
	unsigned r = 0;

	switch ((enum lw_state)s->state) {
	case LW_LISTEN:
		return s->bln > 0 ? HAL_POLL_IN : 0;
	case LW_CONNECTING:
		return s->failed ? HAL_POLL_OUT | HAL_POLL_ERR : 0;
	case LW_OPEN:
		if (s->rxn > 0 || s->eof || s->failed)
			r |= HAL_POLL_IN;
		if (lw_writable(s))
			r |= HAL_POLL_OUT;
		if (s->failed)
			r |= HAL_POLL_ERR;
		return r;
	case LW_FREE:
	case LW_PENDING:
		break;
	}
	return HAL_POLL_ERR;        /* not a socket the caller owns */
}

static int lw_scan(struct hal_pollfd *fds, size_t n)
{
	size_t i;
	int ready = 0;

	for (i = 0; i < n; i++) {
		const struct lw_sock *s = lw_get(fds[i].fd);
		unsigned re = s != NULL ? lw_ready(s) : HAL_POLL_ERR;

		re &= (unsigned)fds[i].events | HAL_POLL_ERR;
		fds[i].revents = (uint16_t)re;
		if (re != 0)
			ready++;
	}
	return ready;
}

int hal_poll(struct hal_pollfd *fds, size_t n, int timeout_ms)
{
	int64_t start = hal_mono_ms();
	int r;

	if (n > HAL_POLL_MAX || (n > 0 && fds == NULL))
		return HAL_NET_ERROR;
	lw_pump();
	for (;;) {
		int64_t left = -1;

		r = lw_scan(fds, n);
		if (r > 0 || timeout_ms == 0)
			return r;
		if (timeout_ms > 0) {
			left = timeout_ms - (hal_mono_ms() - start);
			if (left <= 0)
				return 0;
		}
		if (lw_wait(lw_wait_ms(left)) < 0)
			return errno == EINTR ? 0 : HAL_NET_ERROR;
		lw_pump();
	}
}

/* ---- addresses ------------------------------------------------------- */

/* Numeric IPv4 or IPv6, "[v6]" allowed; 0 or -1. */
static int lw_parse_ip(const char *ip, ip_addr_t *a)
{
	char buf[HAL_IP_STR_MAX];
	size_t n;

	if (ip == NULL)
		return -1;
	n = strlen(ip);
	if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']') {
		ip++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, ip, n);
	buf[n] = '\0';
	return ipaddr_aton(buf, a) ? 0 : -1;
}

int hal_resolve(const char *host, char ip[HAL_IP_STR_MAX])
{
	ip_addr_t a;

	if (host != NULL && lw_parse_ip(host, &a) == 0) {
		memcpy(ip, host, strlen(host) + 1);  /* fits: parse checked */
		return HAL_NET_OK;
	}
	hal_log(HAL_LOG_WARN, "net.resolve_failed",
		"reason=\"no DNS in the lwIP build: use a numeric address\"");
	if (host != NULL && hal_log_enabled(HAL_LOG_DEBUG)) {
		char q[300];

		hal_log(HAL_LOG_DEBUG, "net.resolve_failed", "host=%s",
			hal_log_quote(host, strlen(host), q, sizeof(q)));
	}
	return HAL_NET_ADDR;
}

/* ---- TCP calls ------------------------------------------------------- */

int hal_tcp_listen(const char *ip, uint16_t port, int backlog, hal_fd *out)
{
	struct tcp_pcb *pcb, *lpcb;
	struct lw_sock *s;
	ip_addr_t a;
	err_t e = ERR_OK;
	u8_t type;

	*out = HAL_FD_NONE;
	if (!lw.up)
		return HAL_NET_ERROR;
	if (lw_parse_ip(ip, &a) != 0)
		return HAL_NET_ADDR;
	/* "::" listens on IPv4 and IPv6, as Linux does by default. */
	type = IP_IS_V6(&a) && ip_addr_isany(&a) ? IPADDR_TYPE_ANY
						: (u8_t)IP_GET_TYPE(&a);
	if (type == IPADDR_TYPE_ANY)
		a = *IP_ANY_TYPE;
	s = lw_alloc(out);
	if (s == NULL)
		return HAL_NET_ERROR;
	pcb = tcp_new_ip_type(type);
	if (pcb == NULL) {
		*out = HAL_FD_NONE;
		return HAL_NET_ERROR;
	}
	if (tcp_bind(pcb, &a, port) != ERR_OK) {
		tcp_abort(pcb);
		*out = HAL_FD_NONE;
		return HAL_NET_ADDR;
	}
	if (backlog <= 0 || backlog > LW_BACKLOG)
		backlog = LW_BACKLOG;
	/* lwIP's backlog (TCP_LISTEN_BACKLOG) bounds the half-open
	 * connections; lw_on_accept bounds the accepted ones not yet taken. */
	lpcb = tcp_listen_with_backlog_and_err(pcb, (u8_t)backlog, &e);
	if (lpcb == NULL) {
		tcp_abort(pcb);
		*out = HAL_FD_NONE;
		return HAL_NET_ERROR;
	}
	s->state = LW_LISTEN;
	s->pcb = lpcb;
	s->blmax = (uint8_t)backlog;
	tcp_arg(lpcb, s);
	tcp_accept(lpcb, lw_on_accept);
	return HAL_NET_OK;
}

int hal_tcp_accept(hal_fd listener, hal_fd *out, char *peer_ip)
{
	struct lw_sock *l = lw_get(listener);

	*out = HAL_FD_NONE;
	if (l == NULL || l->state != LW_LISTEN)
		return HAL_NET_ERROR;
	while (l->bln > 0) {
		hal_fd fd = l->bl[l->blh];
		struct lw_sock *s = &lw.sock[fd];

		l->blh = (uint8_t)((l->blh + 1) % LW_BACKLOG);
		l->bln--;
		if (s->failed && s->rxn == 0) {
			lw_release(s);      /* reset before it was accepted */
			continue;
		}
		s->state = LW_OPEN;
		if (peer_ip != NULL) {
			if (s->pcb == NULL ||
			    ipaddr_ntoa_r(&s->pcb->remote_ip, peer_ip, HAL_IP_STR_MAX) == NULL)
				memcpy(peer_ip, "?", 2);
		}
		*out = fd;
		return HAL_NET_OK;
	}
	return HAL_NET_AGAIN;
}

int hal_tcp_local_port(hal_fd fd, uint16_t *port)
{
	struct lw_sock *s = lw_get(fd);

	if (s == NULL || s->pcb == NULL)
		return HAL_NET_ERROR;
	*port = s->pcb->local_port;
	return HAL_NET_OK;
}

int hal_tcp_peer_ip(hal_fd fd, char *peer_ip)
{
	struct lw_sock *s = lw_get(fd);

	if (s == NULL || s->pcb == NULL ||
	    ipaddr_ntoa_r(&s->pcb->remote_ip, peer_ip, HAL_IP_STR_MAX) == NULL)
		return HAL_NET_ERROR;
	return HAL_NET_OK;
}

int hal_tcp_connect(const char *ip, uint16_t port, hal_fd *out)
{
	struct tcp_pcb *pcb;
	struct lw_sock *s;
	ip_addr_t a;
	err_t e;

	*out = HAL_FD_NONE;
	if (!lw.up)
		return HAL_NET_ERROR;
	if (lw_parse_ip(ip, &a) != 0)
		return HAL_NET_ADDR;
	s = lw_alloc(out);
	if (s == NULL)
		return HAL_NET_ERROR;
	pcb = tcp_new_ip_type((u8_t)IP_GET_TYPE(&a));
	if (pcb == NULL) {
		*out = HAL_FD_NONE;
		return HAL_NET_ERROR;
	}
	s->state = LW_CONNECTING;
	lw_attach(s, pcb);
	e = tcp_connect(pcb, &a, port, lw_on_connected);
	if (e != ERR_OK) {
		lw_abort(s);
		*out = HAL_FD_NONE;
		return e == ERR_RTE ? HAL_NET_ADDR : HAL_NET_ERROR;
	}
	return HAL_NET_OK;
}

int hal_tcp_connect_result(hal_fd fd)
{
	struct lw_sock *s = lw_get(fd);

	if (s == NULL)
		return HAL_NET_ERROR;
	if (s->state == LW_OPEN && !s->failed)
		return HAL_NET_OK;
	if (!s->failed)
		return s->state == LW_CONNECTING ? HAL_NET_AGAIN : HAL_NET_ERROR;
	switch (s->err) {
	case ERR_RST:
		return HAL_NET_REFUSED;
	case ERR_ABRT:              /* SYN retransmissions ran out */
	case ERR_TIMEOUT:
		return HAL_NET_TIMEOUT;
	default:
		return HAL_NET_ERROR;
	}
}

long hal_tcp_send(hal_fd fd, const void *buf, size_t n)
{
	struct lw_sock *s = lw_get(fd);
	size_t room;
	err_t e;

	if (s == NULL || s->failed || s->state == LW_LISTEN)
		return HAL_NET_ERROR;
	if (n == 0)
		return 0;
	if (s->state != LW_OPEN || s->pcb == NULL)
		return HAL_NET_AGAIN;
	room = tcp_sndbuf(s->pcb);
	if (room > 0xFFFF)
		room = 0xFFFF;              /* tcp_write takes a u16_t */
	if (n > room)
		n = room;
	if (n == 0 || tcp_sndqueuelen(s->pcb) >= TCP_SND_QUEUELEN)
		return HAL_NET_AGAIN;
	e = tcp_write(s->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY);
	if (e == ERR_MEM) {
		s->wblocked = true;
		s->wblock_epoch = lw.sent_epoch;
		return HAL_NET_AGAIN;
	}
	if (e != ERR_OK)
		return HAL_NET_ERROR;
	s->wblocked = false;
	/* An output failure (no memory, device queue full) leaves the data
	 * queued; lwIP's timers send it. */
	(void)tcp_output(s->pcb);
	return (long)n;
}

/* Copies up to n queued bytes to buf; returns the count. */
static size_t lw_rx_copy(struct lw_sock *s, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n && s->rxn > 0) {
		struct pbuf *p = s->rxq[s->rxh];
		size_t take = (size_t)(p->tot_len - s->rxoff);

		if (take > n - got)
			take = n - got;
		(void)pbuf_copy_partial(p, buf + got, (u16_t)take, s->rxoff);
		got += take;
		s->rxoff = (uint16_t)(s->rxoff + take);
		if (s->rxoff == p->tot_len) {
			pbuf_free(p);
			s->rxh = (uint8_t)((s->rxh + 1) % LW_RXQ);
			s->rxn--;
			s->rxoff = 0;
		}
	}
	return got;
}

long hal_tcp_recv(hal_fd fd, void *buf, size_t n)
{
	struct lw_sock *s = lw_get(fd);
	size_t got, left;

	if (s == NULL || s->state == LW_LISTEN)
		return HAL_NET_ERROR;
	if (n == 0)
		return HAL_NET_AGAIN;
	got = lw_rx_copy(s, buf, n);
	if (got > 0) {
		/* Open the window by what the application took. */
		for (left = got; s->pcb != NULL && left > 0;) {
			u16_t k = (u16_t)(left > 0xFFFF ? 0xFFFF : left);

			tcp_recved(s->pcb, k);
			left -= k;
		}
		return (long)got;
	}
	if (s->failed)
		return HAL_NET_ERROR;
	if (s->eof)
		return 0;
	return HAL_NET_AGAIN;
}

static void lw_close_listener(struct lw_sock *l)
{
	while (l->bln > 0) {
		lw_abort(&lw.sock[l->bl[l->blh]]);
		l->blh = (uint8_t)((l->blh + 1) % LW_BACKLOG);
		l->bln--;
	}
	if (l->pcb != NULL) {
		lw_detach(l->pcb);
		(void)tcp_close(l->pcb);    /* cannot fail for a listener */
	}
	lw_release(l);
}

void hal_close(hal_fd fd)
{
	struct lw_sock *s = lw_get(fd);
	struct tcp_pcb *pcb;

	if (s == NULL)
		return;
	if (s->state == LW_LISTEN) {
		lw_close_listener(s);
		return;
	}
	pcb = s->pcb;
	lw_release(s);
	if (pcb == NULL)
		return;
	lw_detach(pcb);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

/* ---- bring-up -------------------------------------------------------- */

bool hal_net_has_own_stack(void)
{
	return true;
}

/* lwIP has no unix sockets: the configuration refuses unix: engines in an
 * lwIP build (hal_net_has_unix), so this is never reached from there. */
bool hal_net_has_unix(void)
{
	return false;
}

int hal_unix_connect(const char *path, hal_fd *out)
{
	(void)path;
	*out = HAL_FD_NONE;
	return HAL_NET_ADDR;
}

static int lw_fail(char *why, size_t why_len, const char *msg, const char *val)
{
	if (why != NULL && why_len > 0)
		(void)snprintf(why, why_len, "%s%s%s", msg, val[0] ? ": " : "", val);
	return HAL_NET_ADDR;
}

/* "A.B.C.D" or "A.B.C.D/LEN" into addr, and the prefix (default def). */
static int lw_parse_ip4(const char *s, uint8_t def, ip4_addr_t *addr, uint8_t *prefix)
{
	char buf[HAL_IP_STR_MAX];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long len = def;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (slash != NULL) {
		char *end;

		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno != 0 || end == slash + 1 || *end != '\0' || len > 32)
			return -1;
	}
	if (!ip4addr_aton(buf, addr))
		return -1;
	*prefix = (uint8_t)len;
	return 0;
}

/* IPv4 address, mask and gateway from c; 0 or -1 with why set. */
static int lw_conf_ip4(const struct hal_netif_conf *c, ip4_addr_t *ip,
		       ip4_addr_t *mask, ip4_addr_t *gw, char *why, size_t wl)
{
	uint8_t pfx = 0, unused;
	uint32_t m;

	ip4_addr_set_zero(ip);
	ip4_addr_set_zero(mask);
	ip4_addr_set_zero(gw);
	if (c->ip4[0] == '\0')
		return 0;
	if (lw_parse_ip4(c->ip4, c->prefix4, ip, &pfx) != 0 || pfx == 0) {
		lw_fail(why, wl, "[netif] address is not A.B.C.D/LEN", c->ip4);
		return -1;
	}
	m = pfx >= 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> pfx);
	ip4_addr_set_u32(mask, lwip_htonl(m));
	if (c->gw4[0] != '\0' && (lw_parse_ip4(c->gw4, 32, gw, &unused) != 0)) {
		lw_fail(why, wl, "[netif] gateway is not an IPv4 address", c->gw4);
		return -1;
	}
	return 0;
}

/* The static IPv6 address (if any) besides the link-local one. */
static int lw_conf_ip6(const struct hal_netif_conf *c, char *why, size_t wl)
{
	static const char bad[] = "[netif] address6 is not X::Y/64";
	char buf[HAL_IP_STR_MAX];
	const char *slash = strchr(c->ip6, '/');
	size_t n = slash != NULL ? (size_t)(slash - c->ip6) : strlen(c->ip6);
	ip6_addr_t a;
	s8_t idx;

	if (c->ip6[0] == '\0')
		return 0;
	if (n == 0 || n >= sizeof(buf)) {
		lw_fail(why, wl, bad, c->ip6);
		return -1;
	}
	memcpy(buf, c->ip6, n);
	buf[n] = '\0';
	if (!ip6addr_aton(buf, &a)) {
		lw_fail(why, wl, bad, c->ip6);
		return -1;
	}
	/* lwIP's on-link test for static IPv6 addresses is /64. */
	if ((slash != NULL && strcmp(slash, "/64") != 0) ||
	    (slash == NULL && c->prefix6 != 0 && c->prefix6 != 64)) {
		lw_fail(why, wl, "[netif] address6: lwIP supports /64 only", c->ip6);
		return -1;
	}
	if (netif_add_ip6_address(&lw.nif, &a, &idx) != ERR_OK) {
		lw_fail(why, wl, "[netif] address6 cannot be added", c->ip6);
		return -1;
	}
	return 0;
}

/* netif status callback (up/down, address changes, IPv6 duplicate
 * address detection done): logs each IPv6 address whose state changed. */
static const char *lw_ip6_state_name(u8_t st)
{
	if (ip6_addr_ispreferred(st))
		return "preferred";
	if (ip6_addr_istentative(st))
		return "tentative";   /* duplicate address detection running */
	if (ip6_addr_isduplicated(st))
		return "duplicate";
	if (ip6_addr_isinvalid(st))
		return "none";
	return "other";
}

static void lw_on_status(struct netif *nif)
{
	static const char *was[LWIP_IPV6_NUM_ADDRESSES];
	char a[HAL_IP_STR_MAX];
	int i;

	for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		u8_t st = netif_ip6_addr_state(nif, i);
		const char *name = lw_ip6_state_name(st);

		if (name == was[i] || (was[i] == NULL && ip6_addr_isinvalid(st)))
			continue;
		was[i] = name;
		if (ip6addr_ntoa_r(netif_ip6_addr(nif, i), a, (int)sizeof(a)) == NULL)
			continue;
		hal_log(ip6_addr_isduplicated(st) ? HAL_LOG_ERROR : HAL_LOG_INFO,
			"net.address6", "address=%s state=%s", a, name);
	}
}

static void lw_log_up(const struct hal_netif_conf *c)
{
	const uint8_t *m = lw.nif.hwaddr;

	hal_log(HAL_LOG_INFO, "net.up",
		"stack=lwip driver=tap name=%s mac=%02x:%02x:%02x:%02x:%02x:%02x "
		"address=%s gateway=%s address6=%s mtu=%u",
		c->ifname, m[0], m[1], m[2], m[3], m[4], m[5],
		c->ip4[0] ? c->ip4 : "none", c->gw4[0] ? c->gw4 : "none",
		c->ip6[0] ? c->ip6 : "link-local", (unsigned)lw.nif.mtu);
}

int hal_net_init(const struct hal_netif_conf *c, char *why, size_t why_len)
{
	ip4_addr_t ip, mask, gw;
	uint16_t mtu;

	if (lw.up)
		return HAL_NET_OK;
	if (c == NULL || !c->present)
		return lw_fail(why, why_len,
			       "this ilpd runs its own TCP/IP stack (lwIP): it needs a [netif] section", "");
	if (strcmp(c->driver, "tap") != 0 && c->driver[0] != '\0')
		return lw_fail(why, why_len, "[netif] driver: only tap is supported", c->driver);
	mtu = c->mtu != 0 ? c->mtu : HAL_LWIP_MTU_MAX;
	if (mtu < HAL_LWIP_MTU_MIN || mtu > HAL_LWIP_MTU_MAX)
		return lw_fail(why, why_len, "[netif] mtu must be 1280..1500", "");
	if (lw_conf_ip4(c, &ip, &mask, &gw, why, why_len) != 0)
		return HAL_NET_ADDR;
	if (hal_lwip_tap_open(c->ifname[0] ? c->ifname : "tap0", mtu, why, why_len) != 0)
		return HAL_NET_ADDR;
	lwip_init();
	if (netif_add(&lw.nif, &ip, &mask, &gw, NULL, hal_lwip_tap_netif_init,
		      ethernet_input) == NULL)
		return lw_fail(why, why_len, "lwIP refused the netif", "");
	netif_create_ip6_linklocal_address(&lw.nif, 1);
	if (lw_conf_ip6(c, why, why_len) != 0)
		return HAL_NET_ADDR;
	netif_set_status_callback(&lw.nif, lw_on_status);
	netif_set_default(&lw.nif);
	netif_set_link_up(&lw.nif);
	netif_set_up(&lw.nif);
	lw.up = true;
	lw_log_up(c);
	return HAL_NET_OK;
}
