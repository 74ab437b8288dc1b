/*
 * hal_net.h - non-blocking TCP sockets and readiness polling.
 *
 * The POSIX backend (hal/posix/net_posix.c) maps these onto BSD sockets and
 * poll(2); the lwIP backend maps them onto lwip_socket/lwip_poll. A hal_fd
 * is that backend's socket number and is only ever passed back to hal_*
 * functions (lwIP numbers overlap OS descriptors). Every socket returned is
 * non-blocking; TCP ones have TCP_NODELAY set. The POSIX backend also
 * connects to unix (AF_UNIX) stream sockets (hal_unix_connect): after the
 * connect they are used with the same hal_tcp_* calls. Memory: no objects;
 * no heap.
 * Thread/ISR: call from the event loop's thread only. With the lwIP
 * backend (hal/lwip/, NO_SYS=1 raw API) hal_poll also runs the stack: it
 * waits on the TAP device and lwIP's timers, feeds frames in, and reports
 * readiness from the backend's socket table.
 */
#ifndef HAL_NET_H
#define HAL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int hal_fd;
#define HAL_FD_NONE (-1)

/* Results (negative) of the calls below; >= 0 is success or a byte count. */
enum hal_net_result {
	HAL_NET_OK = 0,
	HAL_NET_AGAIN = -1,     /* would block: wait for readiness */
	HAL_NET_ERROR = -2,     /* connection failed or broke; close it */
	HAL_NET_ADDR = -3,      /* address not usable (parse, resolve, bind) */
	HAL_NET_REFUSED = -4,   /* connection refused */
	HAL_NET_TIMEOUT = -5
};

/* Longest textual IP address (IPv6 with brackets) plus NUL. */
#define HAL_IP_STR_MAX 48

/* The network interface a backend with its own TCP/IP stack (lwIP) brings
 * up: config section [netif]. The POSIX backend uses the kernel's stack and
 * ignores it (the config loader refuses [netif] in such a build). */
#define HAL_NETIF_NAME_MAX 15
struct hal_netif_conf {
	bool present;                        /* [netif] was given */
	char driver[8];                      /* "tap" (the only driver so far) */
	char ifname[HAL_NETIF_NAME_MAX + 1]; /* [tap0] existing TAP device */
	char ip4[HAL_IP_STR_MAX];            /* address = A.B.C.D/LEN */
	uint8_t prefix4;
	char gw4[HAL_IP_STR_MAX];            /* gateway [none: ""] */
	char ip6[HAL_IP_STR_MAX];            /* address6 = X::Y/LEN ["": link-local
					      * only] */
	uint8_t prefix6;
	uint16_t mtu;                        /* [1500] */
};

/* True if this build carries its own TCP/IP stack and needs [netif]. */
bool hal_net_has_own_stack(void);

/* Brings the network up before any other call: the lwIP backend
 * initialises its stack and netif from *c; the POSIX backend returns
 * HAL_NET_OK at once. HAL_NET_ADDR with a message in why[0..why_len)
 * if c is unusable (e.g. the TAP device cannot be opened). */
int hal_net_init(const struct hal_netif_conf *c, char *why, size_t why_len);

/* Opens a listening socket on a numeric IPv4/IPv6 address ("127.0.0.1",
 * "::1", "0.0.0.0"). */
int hal_tcp_listen(const char *ip, uint16_t port, int backlog, hal_fd *out);

/* Accepts one pending connection: HAL_NET_OK and *out, or HAL_NET_AGAIN.
 * peer_ip (HAL_IP_STR_MAX bytes, may be NULL) receives the peer's address
 * (IPv6 without brackets; IPv4-mapped IPv6 as dotted IPv4).
 * HAL_NET_ERROR when the process or system is out of descriptors: the
 * pending connection stays queued, so the caller should stop watching the
 * listener for a while instead of polling it again at once. */
int hal_tcp_accept(hal_fd listener, hal_fd *out, char *peer_ip);

/* The local port a socket is bound to (a listener opened on port 0). */
int hal_tcp_local_port(hal_fd fd, uint16_t *port);

/* The address of a connected socket's peer into peer_ip (HAL_IP_STR_MAX
 * bytes; the same text hal_tcp_accept gives). HAL_NET_OK or HAL_NET_ERROR. */
int hal_tcp_peer_ip(hal_fd fd, char *peer_ip);

/* Starts connecting to a numeric address. HAL_NET_OK with *out means the
 * connect is under way (or done): wait for HAL_POLL_OUT, then call
 * hal_tcp_connect_result(). */
int hal_tcp_connect(const char *ip, uint16_t port, hal_fd *out);

/* After HAL_POLL_OUT on a connecting socket (TCP or unix): HAL_NET_OK
 * when connected, HAL_NET_REFUSED / HAL_NET_ERROR / HAL_NET_TIMEOUT
 * otherwise. */
int hal_tcp_connect_result(hal_fd fd);

/* Longest unix socket path hal_unix_connect takes, in bytes without the
 * NUL: Linux's sizeof(sockaddr_un.sun_path) - 1. */
#define HAL_UNIX_PATH_MAX 107

/* True if this backend connects to unix sockets (POSIX); false where it
 * has none (lwIP). */
bool hal_net_has_unix(void);

/* Starts connecting to the unix stream socket at path (absolute, at most
 * HAL_UNIX_PATH_MAX bytes), with hal_tcp_connect's contract: HAL_NET_OK
 * with *out means the connect is under way (or done): wait for
 * HAL_POLL_OUT, then call hal_tcp_connect_result(). HAL_NET_REFUSED when
 * nothing listens there (no such file, or nobody accepts on it);
 * HAL_NET_ADDR for a path that is empty, relative or too long, and always
 * where hal_net_has_unix() is false; HAL_NET_ERROR otherwise (e.g. no
 * permission to connect). No TCP_NODELAY (not TCP). */
int hal_unix_connect(const char *path, hal_fd *out);

/* Sends up to n bytes: the count sent (> 0), HAL_NET_AGAIN or HAL_NET_ERROR. */
long hal_tcp_send(hal_fd fd, const void *buf, size_t n);

/* Receives up to n bytes: the count (> 0), 0 at end of stream,
 * HAL_NET_AGAIN or HAL_NET_ERROR. */
long hal_tcp_recv(hal_fd fd, void *buf, size_t n);

void hal_close(hal_fd fd);

/* Resolves a host name to a numeric address for a direct connection
 * (blocking: the POSIX backend calls getaddrinfo). Numeric input is copied
 * through without any lookup. Never called when a proxy is configured. */
int hal_resolve(const char *host, char ip[HAL_IP_STR_MAX]);

/* Readiness polling over hal_fds, with poll(2)'s shape. */
#define HAL_POLL_IN 0x1u
#define HAL_POLL_OUT 0x2u
#define HAL_POLL_ERR 0x4u   /* error or hang-up: read to learn which */

struct hal_pollfd {
	hal_fd fd;
	uint16_t events;    /* HAL_POLL_IN | HAL_POLL_OUT */
	uint16_t revents;   /* set by hal_poll */
};

/* Most entries one hal_poll() call accepts (more: HAL_NET_ERROR). */
#define HAL_POLL_MAX 512

/* Waits up to timeout_ms (-1: forever, 0: no wait). Returns the number of
 * entries with revents != 0, 0 on timeout, HAL_NET_ERROR on failure;
 * an interrupted wait (signal) returns 0. revents may hold HAL_POLL_ERR
 * even where events did not ask for it. */
int hal_poll(struct hal_pollfd *fds, size_t n, int timeout_ms);

#endif /* HAL_NET_H */
