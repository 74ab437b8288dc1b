/*
 * notify_posix.c - hal_notify over an AF_UNIX datagram socket (the
 * sd_notify protocol; see hal_notify.h).
 *
 * IMPLEMENTATION NOTES
 * - NOTIFY_SOCKET is "/path" (a file-system socket) or "@name" (Linux
 *   abstract namespace: sun_path[0] = '\0', then the name; the address
 *   length counts exactly the bytes used, no trailing NUL).
 * - The address is kept in a static struct sockaddr_un after
 *   hal_notify_init(); the variable is unset so children cannot use it.
 * - Each hal_notify() opens a SOCK_DGRAM|SOCK_CLOEXEC socket, sends with
 *   MSG_NOSIGNAL|MSG_DONTWAIT and closes it: no descriptor is kept open
 *   across fork/exec and nothing can block the event loop.
 * - Memory: sizeof(struct sockaddr_un) + a socklen_t, static.
 */
#include "hal/hal_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un notify_addr;
static socklen_t notify_len;   /* 0: notification off */

int hal_notify_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	size_t n;

	notify_len = 0;
	if (s == NULL)
		return HAL_NOTIFY_OFF;
	n = strlen(s);
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	if (n >= 2 && n <= sizeof(notify_addr.sun_path) && s[0] == '@') {
		/* abstract: a leading NUL, then the name without '@' */
		memcpy(notify_addr.sun_path + 1, s + 1, n - 1);
		notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else if (n >= 2 && n < sizeof(notify_addr.sun_path) && s[0] == '/') {
		memcpy(notify_addr.sun_path, s, n);
		notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	(void)unsetenv("NOTIFY_SOCKET");
	return notify_len != 0 ? HAL_NOTIFY_SENT : HAL_NOTIFY_OFF;
}

int hal_notify(const char *state)
{
	ssize_t r;
	size_t n;
	int fd, saved;

	if (notify_len == 0)
		return HAL_NOTIFY_OFF;
	if (state == NULL)
		return HAL_NOTIFY_ERROR;
	n = strlen(state);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return HAL_NOTIFY_ERROR;
	do {
		r = sendto(fd, state, n, MSG_NOSIGNAL | MSG_DONTWAIT,
			   (const struct sockaddr *)&notify_addr, notify_len);
	} while (r < 0 && errno == EINTR);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return r == (ssize_t)n ? HAL_NOTIFY_SENT : HAL_NOTIFY_ERROR;
}
