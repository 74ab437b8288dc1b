/*
 * test_notify.c - hal_notify (hal/posix/notify_posix.c): the sd_notify
 * datagrams arrive byte for byte on a bound AF_UNIX datagram socket, for a
 * path and for an abstract "@name"; NOTIFY_SOCKET is removed from the
 * environment; no or an unusable NOTIFY_SOCKET makes every call a no-op.
 * Sockets: a temporary directory and an abstract name with the pid in it;
 * every receive is bounded (SO_RCVTIMEO).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "hal/hal_notify.h"
#include "th.h"

/* A datagram socket bound to name ("@x" abstract, else a path); -1 on error. */
static int bind_dgram(const char *name)
{
	struct sockaddr_un a;
	struct timeval tv = { 2, 0 };
	size_t n = strlen(name);
	socklen_t len;
	int fd;

	if (n + 1 > sizeof(a.sun_path))
		return -1;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, name, n);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	if (name[0] == '@') {
		a.sun_path[0] = '\0';
		len--;   /* abstract: no trailing NUL */
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, len) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Receives one datagram and checks it is exactly want. */
static void expect(int fd, const char *want)
{
	char buf[256];
	ssize_t r = recv(fd, buf, sizeof(buf) - 1, 0);

	CHECK(r >= 0);
	if (r < 0)
		return;
	buf[r] = '\0';
	if (strcmp(buf, want) != 0)
		th_fail(__FILE__, __LINE__, "got \"%s\", want \"%s\"", buf, want);
}

/* The messages ilpd sends, in its order, through the socket named name. */
static void roundtrip(const char *name)
{
	int fd = bind_dgram(name);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(setenv("NOTIFY_SOCKET", name, 1), 0);
	CHECK_EQ(hal_notify_init(), HAL_NOTIFY_SENT);
	CHECK(getenv("NOTIFY_SOCKET") == NULL);
	CHECK_EQ(hal_notify("READY=1\nSTATUS=listening"), HAL_NOTIFY_SENT);
	expect(fd, "READY=1\nSTATUS=listening");
	CHECK_EQ(hal_notify("RELOADING=1"), HAL_NOTIFY_SENT);
	expect(fd, "RELOADING=1");
	CHECK_EQ(hal_notify("READY=1"), HAL_NOTIFY_SENT);
	expect(fd, "READY=1");
	CHECK_EQ(hal_notify("STOPPING=1"), HAL_NOTIFY_SENT);
	expect(fd, "STOPPING=1");
	close(fd);
}

static void test_abstract(void)
{
	char name[64];

	snprintf(name, sizeof(name), "@ilpd-test-notify-%ld", (long)getpid());
	roundtrip(name);
}

static void test_path(void)
{
	char dir[] = "/tmp/ilpd-notify-XXXXXX";
	char path[96];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/notify", dir);
	roundtrip(path);
	unlink(path);
	rmdir(dir);
}

static void test_off(void)
{
	char long_name[200];

	CHECK_EQ(unsetenv("NOTIFY_SOCKET"), 0);
	CHECK_EQ(hal_notify_init(), HAL_NOTIFY_OFF);
	CHECK_EQ(hal_notify("READY=1"), HAL_NOTIFY_OFF);
	/* relative, empty, bare "@", too long: refused, and unset anyway */
	CHECK_EQ(setenv("NOTIFY_SOCKET", "relative/sock", 1), 0);
	CHECK_EQ(hal_notify_init(), HAL_NOTIFY_OFF);
	CHECK(getenv("NOTIFY_SOCKET") == NULL);
	CHECK_EQ(hal_notify("READY=1"), HAL_NOTIFY_OFF);
	CHECK_EQ(setenv("NOTIFY_SOCKET", "", 1), 0);
	CHECK_EQ(hal_notify_init(), HAL_NOTIFY_OFF);
	CHECK_EQ(setenv("NOTIFY_SOCKET", "@", 1), 0);
	CHECK_EQ(hal_notify_init(), HAL_NOTIFY_OFF);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[0] = '/';
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK_EQ(setenv("NOTIFY_SOCKET", long_name, 1), 0);
	CHECK_EQ(hal_notify_init(), HAL_NOTIFY_OFF);
	CHECK_EQ(hal_notify("READY=1"), HAL_NOTIFY_OFF);
}

/* A socket nobody listens on: an error, never a block or a signal. */
static void test_nobody(void)
{
	char name[64];

	snprintf(name, sizeof(name), "@ilpd-test-notify-none-%ld", (long)getpid());
	CHECK_EQ(setenv("NOTIFY_SOCKET", name, 1), 0);
	CHECK_EQ(hal_notify_init(), HAL_NOTIFY_SENT);
	CHECK_EQ(hal_notify("READY=1"), HAL_NOTIFY_ERROR);
	CHECK_EQ(hal_notify(NULL), HAL_NOTIFY_ERROR);
}

int main(void)
{
	TH_RUN(test_abstract);
	TH_RUN(test_path);
	TH_RUN(test_off);
	TH_RUN(test_nobody);
	return th_finish();
}
