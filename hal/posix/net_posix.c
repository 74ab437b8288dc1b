/*
 * net_posix.c - hal_net over BSD sockets and poll(2) (Linux).
 *
 * IMPLEMENTATION NOTES
 * - Every socket is created with SOCK_NONBLOCK | SOCK_CLOEXEC (accept4 for
 *   accepted ones) and gets TCP_NODELAY: ilpd writes whole frames and wants
 *   them on the wire at once.
 * - SIGPIPE: every send uses MSG_NOSIGNAL, so writing to a socket the peer
 *   has closed yields EPIPE (HAL_NET_ERROR) instead of killing the process.
 *   ilpd never write(2)s to a socket.
 * - EINTR is retried for send/recv/accept; an interrupted connect(2) keeps
 *   connecting in the background, so it is reported like EINPROGRESS; an
 *   interrupted poll(2) returns 0 (the loop comes round again).
 * - Addresses are numeric IPv4 or IPv6 ("[::1]" brackets allowed), parsed
 *   with inet_pton. Only hal_resolve() ever looks a name up.
 * - Unix sockets (hal_unix_connect): AF_UNIX SOCK_STREAM, with the same
 *   flags but no TCP_NODELAY. A non-blocking connect to a unix socket never
 *   says EINPROGRESS: it is done at once, or fails at once (ENOENT,
 *   ECONNREFUSED: nothing listens; EAGAIN: the listener's backlog is full,
 *   reported as HAL_NET_ERROR). hal_tcp_connect_result works on it
 *   unchanged (SO_ERROR, then getpeername).
 * - hal_poll copies the caller's entries into a struct pollfd array on the
 *   stack (HAL_POLL_MAX entries, 4 KiB), because the HAL bit values are not
 *   poll(2)'s and casting between the two structs would break aliasing
 *   rules. The copy is a few hundred nanoseconds per call, far below the
 *   cost of the system call.
 * - No heap, except inside libc's getaddrinfo (see hal_resolve).
 */
#include "hal/hal_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Numeric address plus port as a sockaddr; returns HAL_NET_OK or
 * HAL_NET_ADDR. Accepts "1.2.3.4", "::1" and "[::1]". */
static int net_parse_addr(const char *ip, uint16_t port,
			  struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[HAL_IP_STR_MAX];
	size_t n;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;

	if (ip == NULL)
		return HAL_NET_ADDR;
	n = strlen(ip);
	if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']') {
		ip++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return HAL_NET_ADDR;
	memcpy(buf, ip, n);
	buf[n] = '\0';

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = (socklen_t)sizeof(*sin);
		return HAL_NET_OK;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = (socklen_t)sizeof(*sin6);
		return HAL_NET_OK;
	}
	return HAL_NET_ADDR;
}

/* Text form of a socket address without port (IPv4-mapped IPv6 shown as
 * IPv4); "?" if it cannot be shown. out has HAL_IP_STR_MAX bytes. */
static void net_addr_str(const struct sockaddr_storage *ss, char *out)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ss;
	const struct sockaddr_in6 *sin6 =
		(const struct sockaddr_in6 *)(const void *)ss;
	const char *r = NULL;

	if (ss->ss_family == AF_INET) {
		r = inet_ntop(AF_INET, &sin->sin_addr, out, HAL_IP_STR_MAX);
	} else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			r = inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], out,
				      HAL_IP_STR_MAX);
		else
			r = inet_ntop(AF_INET6, &sin6->sin6_addr, out,
				      HAL_IP_STR_MAX);
	}
	if (r == NULL) {
		out[0] = '?';
		out[1] = '\0';
	}
}

int hal_tcp_peer_ip(hal_fd fd, char *peer_ip)
{
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return HAL_NET_ERROR;
	net_addr_str(&ss, peer_ip);
	return peer_ip[0] == '?' ? HAL_NET_ERROR : HAL_NET_OK;
}

static void net_set_nodelay(int fd)
{
	int one = 1;

	/* Failure only costs latency; the socket stays usable. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int hal_tcp_listen(const char *ip, uint16_t port, int backlog, hal_fd *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	*out = HAL_FD_NONE;
	if (net_parse_addr(ip, port, &ss, &len) != HAL_NET_OK)
		return HAL_NET_ADDR;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return HAL_NET_ERROR;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail;
	net_set_nodelay(fd); /* inherited by accepted sockets on Linux */
	if (bind(fd, (const struct sockaddr *)&ss, len) != 0) {
		close(fd);
		return HAL_NET_ADDR;
	}
	if (listen(fd, backlog > 0 ? backlog : 16) != 0)
		goto fail;
	*out = fd;
	return HAL_NET_OK;
fail:
	close(fd);
	return HAL_NET_ERROR;
}

int hal_tcp_accept(hal_fd listener, hal_fd *out, char *peer_ip)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	*out = HAL_FD_NONE;
	for (;;) {
		len = (socklen_t)sizeof(ss);
		fd = accept4(listener, (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		switch (errno) {
		case EINTR:
			continue;
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
		/* The connection died while queued: nothing to accept. */
		case ECONNABORTED:
		case EPROTO:
		case EPERM:
			return HAL_NET_AGAIN;
		default:
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM, EBADF... */
			return HAL_NET_ERROR;
		}
	}
	net_set_nodelay(fd);
	if (peer_ip != NULL)
		net_addr_str(&ss, peer_ip);
	*out = fd;
	return HAL_NET_OK;
}

int hal_tcp_local_port(hal_fd fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return HAL_NET_ERROR;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((const struct sockaddr_in *)(void *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		*port = ntohs(((const struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	else
		return HAL_NET_ERROR;
	return HAL_NET_OK;
}

static int net_connect_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return HAL_NET_REFUSED;
	case ETIMEDOUT:
		return HAL_NET_TIMEOUT;
	default:
		return HAL_NET_ERROR;
	}
}

int hal_tcp_connect(const char *ip, uint16_t port, hal_fd *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, r;

	*out = HAL_FD_NONE;
	if (net_parse_addr(ip, port, &ss, &len) != HAL_NET_OK)
		return HAL_NET_ADDR;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return HAL_NET_ERROR;
	net_set_nodelay(fd);
	/* A non-blocking connect is never restarted: after EINTR it goes on
	 * in the background exactly as after EINPROGRESS. */
	if (connect(fd, (const struct sockaddr *)&ss, len) != 0 &&
	    errno != EINPROGRESS && errno != EINTR) {
		r = net_connect_errno(errno);
		close(fd);
		return r;
	}
	*out = fd;
	return HAL_NET_OK;
}

int hal_tcp_connect_result(hal_fd fd)
{
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return HAL_NET_ERROR;
	if (err != 0)
		return net_connect_errno(err);
	/* No error yet: connected, or still connecting if asked too early. */
	len = (socklen_t)sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return errno == ENOTCONN ? HAL_NET_AGAIN : HAL_NET_ERROR;
	return HAL_NET_OK;
}

bool hal_net_has_unix(void)
{
	return true;
}

_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) > HAL_UNIX_PATH_MAX,
	       "HAL_UNIX_PATH_MAX must leave room for the NUL in sun_path");

int hal_unix_connect(const char *path, hal_fd *out)
{
	struct sockaddr_un sun;
	size_t n;
	int fd, r;

	*out = HAL_FD_NONE;
	if (path == NULL || path[0] != '/')
		return HAL_NET_ADDR;
	n = strlen(path);
	if (n > HAL_UNIX_PATH_MAX)
		return HAL_NET_ADDR;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return HAL_NET_ERROR;
	if (connect(fd, (const struct sockaddr *)&sun, (socklen_t)sizeof(sun)) != 0 &&
	    errno != EINPROGRESS && errno != EINTR) {
		r = errno == ENOENT || errno == ECONNREFUSED ? HAL_NET_REFUSED :
		    HAL_NET_ERROR;
		close(fd);
		return r;
	}
	*out = fd;
	return HAL_NET_OK;
}

static int net_would_block(int e)
{
#if EWOULDBLOCK != EAGAIN
	if (e == EWOULDBLOCK)
		return 1;
#endif
	return e == EAGAIN;
}

long hal_tcp_send(hal_fd fd, const void *buf, size_t n)
{
	ssize_t r;

	if (n == 0)
		return 0;
	do {
		r = send(fd, buf, n, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	if (r >= 0)
		return (long)r;
	if (net_would_block(errno) || errno == ENOBUFS)
		return HAL_NET_AGAIN;
	return HAL_NET_ERROR;
}

long hal_tcp_recv(hal_fd fd, void *buf, size_t n)
{
	ssize_t r;

	/* recv(2) of 0 bytes returns 0, which would read as end of stream. */
	if (n == 0)
		return HAL_NET_AGAIN;
	do {
		r = recv(fd, buf, n, 0);
	} while (r < 0 && errno == EINTR);
	if (r >= 0)
		return (long)r;
	if (net_would_block(errno))
		return HAL_NET_AGAIN;
	return HAL_NET_ERROR;
}

void hal_close(hal_fd fd)
{
	/* Linux releases the descriptor even when close(2) fails with EINTR,
	 * so it is never retried (a retry could close a reused number). */
	if (fd >= 0)
		(void)close(fd);
}

/*
 * getaddrinfo(3) blocks and allocates inside libc (it may also read
 * /etc/hosts, nsswitch modules and DNS). That is acceptable only because
 * hal_resolve runs when a direct-mode outbound peer (re)connects, which is
 * rare and outside the packet path; it is never called for numeric
 * addresses or when a proxy is configured. The "no heap after start-up"
 * test uses numeric peer addresses.
 */
int hal_resolve(const char *host, char ip[HAL_IP_STR_MAX])
{
	struct sockaddr_storage ss;
	struct addrinfo hints, *res = NULL;
	socklen_t len;
	size_t n;

	if (host == NULL || host[0] == '\0')
		return HAL_NET_ADDR;
	n = strlen(host);
	if (net_parse_addr(host, 0, &ss, &len) == HAL_NET_OK) {
		memcpy(ip, host, n + 1); /* fits: net_parse_addr checked */
		return HAL_NET_OK;
	}
	if (n > 253)
		return HAL_NET_ADDR;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
		return HAL_NET_ADDR;
	if (res->ai_addrlen > sizeof(ss)) {
		freeaddrinfo(res);
		return HAL_NET_ADDR;
	}
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	net_addr_str(&ss, ip);
	return ip[0] == '?' ? HAL_NET_ADDR : HAL_NET_OK;
}

int hal_poll(struct hal_pollfd *fds, size_t n, int timeout_ms)
{
	struct pollfd p[HAL_POLL_MAX];
	size_t i;
	int r;

	if (n > HAL_POLL_MAX || (n > 0 && fds == NULL))
		return HAL_NET_ERROR;
	for (i = 0; i < n; i++) {
		p[i].fd = fds[i].fd;
		p[i].events = (short)(((fds[i].events & HAL_POLL_IN) ? POLLIN : 0) |
				      ((fds[i].events & HAL_POLL_OUT) ? POLLOUT : 0));
		p[i].revents = 0;
	}
	r = poll(n > 0 ? p : NULL, (nfds_t)n, timeout_ms < 0 ? -1 : timeout_ms);
	if (r < 0) {
		for (i = 0; i < n; i++)
			fds[i].revents = 0;
		return errno == EINTR ? 0 : HAL_NET_ERROR;
	}
	for (i = 0; i < n; i++) {
		unsigned re = (unsigned)(unsigned short)p[i].revents, h = 0;

		if (re & (POLLIN | POLLPRI | POLLRDHUP))
			h |= HAL_POLL_IN;
		if (re & POLLOUT)
			h |= HAL_POLL_OUT;
		if (re & (POLLERR | POLLHUP | POLLNVAL))
			h |= HAL_POLL_ERR;
		fds[i].revents = (uint16_t)h;
	}
	return r;
}

bool hal_net_has_own_stack(void)
{
	return false;
}

int hal_net_init(const struct hal_netif_conf *c, char *why, size_t why_len)
{
	(void)c;
	(void)why;
	(void)why_len;
	return HAL_NET_OK;
}
