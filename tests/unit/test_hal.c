/*
 * test_hal.c - the POSIX HAL backend: loopback TCP (IPv4 and IPv6), unix
 * stream sockets (hal_unix_connect), poll,
 * clocks, randomness, log line format, and the crypto adapters (SHA-1,
 * base64, constant-time compare) with known answers.
 * Network: 127.0.0.1 / ::1 only, ephemeral ports; every wait is bounded.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hal/hal_crypto.h"
#include "hal/hal_log.h"
#include "hal/hal_net.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"
#include "th.h"

#define WAIT_MS 3000 /* upper bound on any wait (qemu-user is slow) */

/* Polls one fd until `want` (or ERR) is reported; returns the revents. */
static unsigned wait_ready(hal_fd fd, unsigned want)
{
	struct hal_pollfd p = { fd, (uint16_t)want, 0 };
	int64_t end = hal_mono_ms() + WAIT_MS;

	while (hal_mono_ms() < end) {
		if (hal_poll(&p, 1, 100) > 0)
			return p.revents;
	}
	return 0;
}

/* A connected loopback pair: *c (client side) and *s (accepted side). */
static int make_pair(const char *ip, hal_fd *c, hal_fd *s, char *peer_ip)
{
	hal_fd l;
	uint16_t port = 0;
	int r;

	*c = *s = HAL_FD_NONE;
	if (hal_tcp_listen(ip, 0, 8, &l) != HAL_NET_OK)
		return -1;
	if (hal_tcp_local_port(l, &port) != HAL_NET_OK || port == 0)
		goto fail;
	if (hal_tcp_connect(ip, port, c) != HAL_NET_OK)
		goto fail;
	if ((wait_ready(l, HAL_POLL_IN) & HAL_POLL_IN) == 0)
		goto fail;
	if (hal_tcp_accept(l, s, peer_ip) != HAL_NET_OK)
		goto fail;
	if ((wait_ready(*c, HAL_POLL_OUT) & HAL_POLL_OUT) == 0)
		goto fail;
	r = hal_tcp_connect_result(*c);
	if (r != HAL_NET_OK)
		goto fail;
	hal_close(l);
	return 0;
fail:
	hal_close(l);
	hal_close(*c);
	hal_close(*s);
	*c = *s = HAL_FD_NONE;
	return -1;
}

/* Receives exactly n bytes (bounded); returns the count received. */
static size_t recv_n(hal_fd fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	int64_t end = hal_mono_ms() + WAIT_MS;

	while (got < n && hal_mono_ms() < end) {
		long r;

		wait_ready(fd, HAL_POLL_IN);
		r = hal_tcp_recv(fd, buf + got, n - got);
		if (r > 0)
			got += (size_t)r;
		else if (r != HAL_NET_AGAIN)
			break;
	}
	return got;
}

static void roundtrip(const char *ip, const char *want_peer)
{
	hal_fd c, s;
	char peer[HAL_IP_STR_MAX];
	uint8_t buf[64];
	long r;
	int64_t end;

	memset(peer, 0, sizeof(peer));
	if (make_pair(ip, &c, &s, peer) != 0) {
		th_fail(__FILE__, __LINE__, "loopback pair");
		return;
	}
	CHECK(strcmp(peer, want_peer) == 0);
	/* Nothing sent yet: would block. */
	CHECK_EQ(hal_tcp_recv(s, buf, sizeof(buf)), HAL_NET_AGAIN);
	CHECK_EQ(hal_tcp_recv(s, buf, 0), HAL_NET_AGAIN);
	CHECK_EQ(hal_tcp_send(c, "hello", 0), 0);

	CHECK_EQ(hal_tcp_send(c, "hello", 5), 5);
	CHECK_EQ(recv_n(s, buf, 5), 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK_EQ(hal_tcp_send(s, "world!", 6), 6);
	CHECK_EQ(recv_n(c, buf, 6), 6);
	CHECK_MEM(buf, "world!", 6);

	/* The client goes away: the server reads end of stream... */
	hal_close(c);
	CHECK(wait_ready(s, HAL_POLL_IN) != 0);
	CHECK_EQ(hal_tcp_recv(s, buf, sizeof(buf)), 0);
	/* ...and writing to it fails with an error, not SIGPIPE (which
	 * would kill this test). The first send may still succeed. */
	end = hal_mono_ms() + WAIT_MS;
	do {
		r = hal_tcp_send(s, buf, sizeof(buf));
		if (r != HAL_NET_ERROR)
			(void)wait_ready(s, HAL_POLL_OUT);
	} while (r != HAL_NET_ERROR && hal_mono_ms() < end);
	CHECK_EQ(r, HAL_NET_ERROR);
	/* The first error may be ECONNRESET; later sends get EPIPE, the one
	 * that raises SIGPIPE without MSG_NOSIGNAL. */
	CHECK_EQ(hal_tcp_send(s, buf, sizeof(buf)), HAL_NET_ERROR);
	CHECK_EQ(hal_tcp_send(s, buf, sizeof(buf)), HAL_NET_ERROR);
	hal_close(s);
}

static void test_tcp_v4(void)
{
	roundtrip("127.0.0.1", "127.0.0.1");
}

/* True if the kernel has IPv6 with ::1 on lo (Linux /proc/net/if_inet6). */
static int have_ipv6_loopback(void)
{
	FILE *f = fopen("/proc/net/if_inet6", "r");
	char line[256];
	int found = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "00000000000000000000000000000001", 32) == 0)
			found = 1;
	}
	fclose(f);
	return found;
}

/* First integer in a /proc file, or -1. */
static int read_sysctl(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void test_tcp_v6(void)
{
	hal_fd l;

	if (!have_ipv6_loopback()) {
		printf("note: no IPv6 loopback in this kernel; IPv6 test skipped\n");
		return;
	}
	roundtrip("::1", "::1");
	roundtrip("[::1]", "::1");
	/* A dual-stack listener on :: sees IPv4 peers as dotted IPv4. */
	if (hal_tcp_listen("::", 0, 4, &l) != HAL_NET_OK) {
		th_fail(__FILE__, __LINE__, "listen on ::");
		return;
	}
	if (read_sysctl("/proc/sys/net/ipv6/bindv6only") == 0) {
		uint16_t port = 0;
		hal_fd c = HAL_FD_NONE, s = HAL_FD_NONE;
		char peer[HAL_IP_STR_MAX] = "";

		CHECK_EQ(hal_tcp_local_port(l, &port), HAL_NET_OK);
		CHECK_EQ(hal_tcp_connect("127.0.0.1", port, &c), HAL_NET_OK);
		CHECK(wait_ready(l, HAL_POLL_IN) & HAL_POLL_IN);
		CHECK_EQ(hal_tcp_accept(l, &s, peer), HAL_NET_OK);
		CHECK(strcmp(peer, "127.0.0.1") == 0);
		CHECK_EQ(hal_tcp_accept(l, &s, peer), HAL_NET_AGAIN);
		hal_close(c);
	}
	hal_close(l);
}

static void test_refused(void)
{
	hal_fd l, c;
	uint16_t port = 0;
	int r;

	CHECK_EQ(hal_tcp_listen("127.0.0.1", 0, 1, &l), HAL_NET_OK);
	CHECK_EQ(hal_tcp_local_port(l, &port), HAL_NET_OK);
	CHECK(port != 0);
	hal_close(l); /* nothing listens on port now */
	r = hal_tcp_connect("127.0.0.1", port, &c);
	if (r == HAL_NET_OK) {
		CHECK(wait_ready(c, HAL_POLL_OUT) != 0);
		CHECK_EQ(hal_tcp_connect_result(c), HAL_NET_REFUSED);
		hal_close(c);
	} else {
		CHECK_EQ(r, HAL_NET_REFUSED);
		CHECK_EQ(c, HAL_FD_NONE);
	}
}

/* A unix stream listener at path made with plain POSIX calls; -1 if not. */
static int unix_listener(const char *path)
{
	struct sockaddr_un sun;
	size_t n = strlen(path);
	int fd;

	if (n >= sizeof(sun.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n + 1);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(fd, 4) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_unix(void)
{
	char dir[] = "/tmp/ilpd-test-hal.XXXXXX", path[256], lng[HAL_UNIX_PATH_MAX + 2];
	uint8_t buf[16];
	hal_fd c;
	int l, a, fl;
	size_t n;

	CHECK(hal_net_has_unix());
	if (mkdtemp(dir) == NULL) {
		th_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	/* no such file: refused at once, no descriptor */
	CHECK_EQ(hal_unix_connect(path, &c), HAL_NET_REFUSED);
	CHECK_EQ(c, HAL_FD_NONE);
	l = unix_listener(path);
	CHECK(l >= 0);
	CHECK_EQ(hal_unix_connect(path, &c), HAL_NET_OK);
	CHECK(c != HAL_FD_NONE);
	CHECK(wait_ready(c, HAL_POLL_OUT) & HAL_POLL_OUT);
	CHECK_EQ(hal_tcp_connect_result(c), HAL_NET_OK);
	fl = fcntl(c, F_GETFL);
	CHECK(fl >= 0 && (fl & O_NONBLOCK) != 0);
	fl = fcntl(c, F_GETFD);
	CHECK(fl >= 0 && (fl & FD_CLOEXEC) != 0);
	a = accept(l, NULL, NULL);
	CHECK(a >= 0);
	/* the hal_tcp_* calls carry the bytes both ways */
	CHECK_EQ(hal_tcp_send(c, "ping", 4), 4);
	CHECK_EQ(read(a, buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	CHECK_EQ(write(a, "pong", 4), 4);
	CHECK(wait_ready(c, HAL_POLL_IN) & HAL_POLL_IN);
	CHECK_EQ(hal_tcp_recv(c, buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "pong", 4) == 0);
	CHECK_EQ(hal_tcp_recv(c, buf, sizeof(buf)), HAL_NET_AGAIN);
	close(a);
	CHECK(wait_ready(c, HAL_POLL_IN) != 0);
	CHECK_EQ(hal_tcp_recv(c, buf, sizeof(buf)), 0);
	hal_close(c);
	/* the file stays, nobody listens: refused */
	close(l);
	CHECK_EQ(hal_unix_connect(path, &c), HAL_NET_REFUSED);
	CHECK_EQ(c, HAL_FD_NONE);
	(void)unlink(path);
	(void)rmdir(dir);
	/* not a usable path */
	CHECK_EQ(hal_unix_connect("", &c), HAL_NET_ADDR);
	CHECK_EQ(hal_unix_connect("s.sock", &c), HAL_NET_ADDR);
	CHECK_EQ(c, HAL_FD_NONE);
	lng[0] = '/';
	memset(lng + 1, 'x', sizeof(lng) - 2);
	lng[sizeof(lng) - 1] = '\0';   /* HAL_UNIX_PATH_MAX + 1 bytes */
	n = strlen(lng);
	CHECK_EQ(n, HAL_UNIX_PATH_MAX + 1);
	CHECK_EQ(hal_unix_connect(lng, &c), HAL_NET_ADDR);
	lng[n - 1] = '\0';   /* HAL_UNIX_PATH_MAX: fits, and is not there */
	CHECK_EQ(hal_unix_connect(lng, &c), HAL_NET_REFUSED);
}

static void test_bad_addresses(void)
{
	static const char *const bad[] = {
		"", "1.2.3", "256.1.1.1", "localhost", "[::1", "::1]", "[]",
		"1.2.3.4 ", "::g", "[[::1]]",
		"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001",
	};
	hal_fd fd;
	size_t i;
	char ip[HAL_IP_STR_MAX];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(hal_tcp_listen(bad[i], 0, 1, &fd), HAL_NET_ADDR);
		CHECK_EQ(fd, HAL_FD_NONE);
		CHECK_EQ(hal_tcp_connect(bad[i], 1, &fd), HAL_NET_ADDR);
		CHECK_EQ(fd, HAL_FD_NONE);
	}
	CHECK_EQ(hal_tcp_listen(NULL, 0, 1, &fd), HAL_NET_ADDR);
	/* Port in use: the second bind fails as an address problem. */
	{
		hal_fd l;
		uint16_t port = 0;

		CHECK_EQ(hal_tcp_listen("127.0.0.1", 0, 1, &l), HAL_NET_OK);
		CHECK_EQ(hal_tcp_local_port(l, &port), HAL_NET_OK);
		CHECK_EQ(hal_tcp_listen("127.0.0.1", port, 1, &fd), HAL_NET_ADDR);
		hal_close(l);
	}
	CHECK_EQ(hal_resolve("127.0.0.1", ip), HAL_NET_OK);
	CHECK(strcmp(ip, "127.0.0.1") == 0);
	CHECK_EQ(hal_resolve("[::1]", ip), HAL_NET_OK);
	CHECK(strcmp(ip, "[::1]") == 0);
	CHECK_EQ(hal_resolve("", ip), HAL_NET_ADDR);
	CHECK_EQ(hal_resolve("no-such-host.invalid", ip), HAL_NET_ADDR);
	/* localhost comes from /etc/hosts (no DNS); either family is fine. */
	if (hal_resolve("localhost", ip) == HAL_NET_OK)
		CHECK(strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0);
	else
		printf("note: localhost did not resolve here\n");
}

static void test_poll(void)
{
	hal_fd c, s;
	struct hal_pollfd p[2];
	int64_t t0, dt;

	if (make_pair("127.0.0.1", &c, &s, NULL) != 0) {
		th_fail(__FILE__, __LINE__, "loopback pair");
		return;
	}
	p[0] = (struct hal_pollfd){ s, HAL_POLL_IN, 0xffff };
	p[1] = (struct hal_pollfd){ c, HAL_POLL_IN, 0xffff };
	t0 = hal_mono_ms();
	CHECK_EQ(hal_poll(p, 2, 50), 0);
	dt = hal_mono_ms() - t0;
	CHECK(dt >= 45 && dt < WAIT_MS);
	CHECK_EQ(p[0].revents, 0);
	CHECK_EQ(p[1].revents, 0);

	CHECK_EQ(hal_tcp_send(c, "x", 1), 1);
	p[1].events = HAL_POLL_IN | HAL_POLL_OUT;
	CHECK(wait_ready(s, HAL_POLL_IN) == HAL_POLL_IN);
	CHECK_EQ(hal_poll(p, 2, 0), 2);
	CHECK_EQ(p[0].revents, HAL_POLL_IN);
	CHECK_EQ(p[1].revents, HAL_POLL_OUT);

	/* Data and end of stream are waiting, but IN is not asked for. */
	hal_close(c);
	CHECK(wait_ready(s, HAL_POLL_IN) & HAL_POLL_IN);
	p[0].events = 0;
	CHECK_EQ(hal_poll(p, 1, 0), 0);
	CHECK_EQ(hal_poll(NULL, 0, 0), 0);
	CHECK_EQ(hal_poll(p, HAL_POLL_MAX + 1, 0), HAL_NET_ERROR);
	hal_close(s);
}

static void test_clocks(void)
{
	int64_t a = hal_mono_ms(), b, w = hal_wall_ms();
	int64_t t = (int64_t)time(NULL) * 1000;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	CHECK(w >= t - 2000 && w <= t + 2000);
	CHECK(w > (int64_t)1700000000 * 1000); /* after 2023 */
	nanosleep(&ts, NULL);
	b = hal_mono_ms();
	CHECK(b - a >= 19 && b - a < WAIT_MS);
}

static void test_random(void)
{
	static uint8_t big[70000];
	uint8_t a[32], b[32], zero[32];
	size_t i, nz = 0;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	CHECK_EQ(hal_random(a, sizeof(a)), 0);
	CHECK_EQ(hal_random(b, sizeof(b)), 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(memcmp(a, zero, sizeof(a)) != 0);
	CHECK_EQ(hal_random(a, 0), 0);
	memset(big, 0, sizeof(big));
	CHECK_EQ(hal_random(big, sizeof(big)), 0);
	for (i = sizeof(big) - 4096; i < sizeof(big); i++)
		nz += big[i] != 0;
	CHECK(nz > 3900); /* the tail was filled, too */
}

/* --- logging: stderr goes into a pipe for the duration of a check --- */

static int log_pipe[2] = { -1, -1 };
static int saved_stderr = -1;

static void log_capture_begin(void)
{
	if (pipe(log_pipe) != 0) {
		th_fail(__FILE__, __LINE__, "pipe");
		return;
	}
	(void)fcntl(log_pipe[0], F_SETFL, O_NONBLOCK);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(log_pipe[1], STDERR_FILENO);
}

/* Restores stderr and returns what was logged (NUL-terminated). */
static size_t log_capture_end(char *out, size_t cap)
{
	ssize_t r;
	size_t n = 0;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(log_pipe[1]);
	while (n + 1 < cap && (r = read(log_pipe[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(log_pipe[0]);
	return n;
}

/* hal_log_redact on one string; the result in out. */
static const char *redact(const char *in, char *out, size_t cap)
{
	size_t n = hal_log_redact(in, strlen(in), out, cap - 1);

	out[n] = '\0';
	return out;
}

#define V3 "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd"

static void test_log_redact(void)
{
	struct hal_log_cfg cfg = { HAL_LOG_DEBUG, 1, 0 };
	static const char own[][16] = { ".onion", ".i2p" };
	char b[512], out[2048];

	CHECK(strcmp(redact("event=peer.up peer=a url=ws://" V3 ".onion:7768/x", b,
			    sizeof(b)), "event=peer.up peer=a url=ws://[onion]:7768/x") == 0);
	CHECK(strcmp(redact("host=ABC.Onion. x", b, sizeof(b)), "host=[onion] x") == 0);
	CHECK(strcmp(redact("h=x.anyone,y.anon", b, sizeof(b)), "h=[onion],[onion]") == 0);
	CHECK(strcmp(redact("id=" V3 " done", b, sizeof(b)), "id=[onion] done") == 0);
	/* Not onion: other names, a 55-char run, the bare suffix, upper-case ids. */
	CHECK(strcmp(redact("host=example.com onion=.onion peer.up", b, sizeof(b)),
		     "host=example.com onion=.onion peer.up") == 0);
	CHECK(strcmp(redact("x=" V3 "a", b, sizeof(b)), "x=" V3 "a") == 0);
	CHECK(strcmp(redact("x=onionx.com", b, sizeof(b)), "x=onionx.com") == 0);
	CHECK(strcmp(redact("a=b.onion", b, 6), "a=[on") == 0);   /* cut at cap */

	/* Through hal_log: redacted at info and above, as written at debug. */
	hal_log_setup(&cfg);
	log_capture_begin();
	hal_log(HAL_LOG_INFO, "t.info", "host=%s.onion", V3);
	hal_log(HAL_LOG_ERROR, "t.err", "reason=\"cannot reach %s.anyone:80\"", V3);
	hal_log(HAL_LOG_DEBUG, "t.debug", "host=%s.onion", V3);
	(void)log_capture_end(out, sizeof(out));
	CHECK(strstr(out, "event=t.info host=[onion]\n") != NULL);
	CHECK(strstr(out, "event=t.err reason=\"cannot reach [onion]:80\"\n") != NULL);
	CHECK(strstr(out, "event=t.debug host=" V3 ".onion\n") != NULL);

	/* Configured suffixes replace the defaults. */
	hal_log_set_onion_suffixes(own, 2);
	CHECK(strcmp(redact("a=x.i2p b=y.anon", b, sizeof(b)), "a=[onion] b=y.anon") == 0);
	hal_log_set_onion_suffixes(own, 0);
	CHECK(strcmp(redact("a=x.onion", b, sizeof(b)), "a=x.onion") == 0);
	{
		static const char def[][16] = { ".onion", ".anyone", ".anon" };

		hal_log_set_onion_suffixes(def, 3);
	}
	cfg.level = HAL_LOG_INFO;
	hal_log_setup(&cfg);
}

/* "ts=YYYY-MM-DDTHH:MM:SS.mmmZ " */
static int ts_ok(const char *s)
{
	static const char pat[] = "ts=dddd-dd-ddTdd:dd:dd.dddZ ";
	size_t i;

	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return 0;
	}
	return 1;
}

static void test_log_format(void)
{
	struct hal_log_cfg cfg = { HAL_LOG_INFO, 1, 0 };
	char out[4096], big[2000];
	size_t n;

	hal_log_setup(&cfg);
	CHECK(hal_log_enabled(HAL_LOG_INFO));
	CHECK(!hal_log_enabled(HAL_LOG_DEBUG));

	log_capture_begin();
	hal_log(HAL_LOG_INFO, "peer.up", "peer=%s relation=%s", "alice", "child");
	hal_log(HAL_LOG_DEBUG, "hidden", "x=1");
	hal_log(HAL_LOG_ERROR, "bare", "%s", "");
	hal_log(HAL_LOG_WARN, "nl", "v=%s", "a\nb\tc");
	hal_log(HAL_LOG_WARN, "bad\revent", "x=1");
	n = log_capture_end(out, sizeof(out));
	CHECK(ts_ok(out));
	CHECK(strncmp(out + 28, "level=info event=peer.up peer=alice relation=child\n",
		      51) == 0);
	CHECK(strstr(out, "hidden") == NULL);
	CHECK(strstr(out, " level=error event=bare \n") != NULL);
	CHECK(strstr(out, " level=warn event=nl v=a?b?c\n") != NULL);
	CHECK(strstr(out, " level=warn event=bad?event x=1\n") != NULL);
	CHECK(n > 0 && out[n - 1] == '\n');

	/* A long line is cut to 1 KiB and ends in "...". */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_capture_begin();
	hal_log(HAL_LOG_ERROR, "long", "v=%s", big);
	n = log_capture_end(out, sizeof(out));
	CHECK_EQ(n, 1024);
	CHECK(ts_ok(out));
	CHECK(memcmp(out + n - 5, "z...\n", 5) == 0);

	/* Level filter and stderr off. */
	cfg.level = HAL_LOG_ERROR;
	hal_log_setup(&cfg);
	log_capture_begin();
	hal_log(HAL_LOG_WARN, "w", "x=1");
	cfg.to_stderr = 0;
	hal_log_setup(&cfg);
	hal_log(HAL_LOG_ERROR, "e", "x=1");
	n = log_capture_end(out, sizeof(out));
	CHECK_EQ(n, 0);

	cfg.level = HAL_LOG_DEBUG;
	cfg.to_stderr = 1;
	hal_log_setup(&cfg);
	log_capture_begin();
	hal_log(HAL_LOG_DEBUG, "d", "x=%d", 42);
	n = log_capture_end(out, sizeof(out));
	CHECK(n > 28 && strcmp(out + 28, "level=debug event=d x=42\n") == 0);
}

static void test_log_syslog(void)
{
	/* No syslog daemon need be running: messages are then dropped. This
	 * checks that enabling and disabling it is safe and stderr goes on. */
	struct hal_log_cfg cfg = { HAL_LOG_INFO, 1, 1 };
	char out[512];
	size_t n;

	hal_log_setup(&cfg);
	log_capture_begin();
	hal_log(HAL_LOG_INFO, "test.syslog", "x=1");
	n = log_capture_end(out, sizeof(out));
	CHECK(n > 28 && strcmp(out + 28, "level=info event=test.syslog x=1\n") == 0);
	cfg.to_syslog = 0;
	hal_log_setup(&cfg);
}

static void test_log_quote(void)
{
	char out[64];

	CHECK(strcmp(hal_log_quote("a\"b\\c\n\x7f" "d", 8, out, sizeof(out)),
		     "\"a\\\"b\\\\c\\x0a\\x7fd\"") == 0);
	CHECK(strcmp(hal_log_quote("", 0, out, sizeof(out)), "\"\"") == 0);
	CHECK(strcmp(hal_log_quote(NULL, 5, out, sizeof(out)), "\"\"") == 0);
	CHECK(strcmp(hal_log_quote("hello world", 11, out, sizeof(out)),
		     "\"hello world\"") == 0);
	/* n bounds the input (no NUL needed); bytes >= 0x80 pass through. */
	CHECK(strcmp(hal_log_quote("abc\xc3\xa9zz", 5, out, sizeof(out)),
		     "\"abc\xc3\xa9\"") == 0);
	/* Truncation: always quoted, NUL-terminated, marked with "...". */
	CHECK(strcmp(hal_log_quote("abcdefgh", 8, out, 10), "\"abcd...\"") == 0);
	CHECK(strcmp(hal_log_quote("abcdefgh", 8, out, 11), "\"abcdefgh\"") == 0);
	CHECK(strcmp(hal_log_quote("abcdefgh", 8, out, 12), "\"abcdefgh\"") == 0);
	CHECK(strcmp(hal_log_quote("\n\n\n", 3, out, 9), "\"...\"") == 0);
	CHECK(strcmp(hal_log_quote("abc", 3, out, 3), "\"\"") == 0);
	CHECK(strcmp(hal_log_quote("abc", 3, out, 2), "") == 0);
	memset(out, 'X', sizeof(out));
	(void)hal_log_quote("abcdefgh", 8, out, 7);
	CHECK(strlen(out) < 7);
	CHECK(out[7] == 'X');
}

static void test_log_level_parse(void)
{
	CHECK_EQ(hal_log_level_parse("debug"), HAL_LOG_DEBUG);
	CHECK_EQ(hal_log_level_parse("info"), HAL_LOG_INFO);
	CHECK_EQ(hal_log_level_parse("warn"), HAL_LOG_WARN);
	CHECK_EQ(hal_log_level_parse("error"), HAL_LOG_ERROR);
	CHECK_EQ(hal_log_level_parse("INFO"), -1);
	CHECK_EQ(hal_log_level_parse("warning"), -1);
	CHECK_EQ(hal_log_level_parse(""), -1);
	CHECK_EQ(hal_log_level_parse(NULL), -1);
}

static void test_base64(void)
{
	static const struct {
		const char *in, *out;
	} v[] = { /* RFC 4648 section 10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	char out[32];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);

		memset(out, 'X', sizeof(out));
		CHECK_EQ(hal_base64_encode((const uint8_t *)v[i].in, n, out,
					   sizeof(out)), strlen(v[i].out));
		CHECK(strcmp(out, v[i].out) == 0);
	}
	/* "foobar" needs 8 + NUL. */
	CHECK_EQ(hal_base64_encode((const uint8_t *)"foobar", 6, out, 9), 8);
	CHECK_EQ(hal_base64_encode((const uint8_t *)"foobar", 6, out, 8), 0);
	CHECK_EQ(hal_base64_encode((const uint8_t *)"foobar", 6, out, 0), 0);
	CHECK_EQ(hal_base64_encode((const uint8_t *)"\xff\xfe", 2, out, 5), 4);
	CHECK(strcmp(out, "//4=") == 0);
}

static void test_sha(void)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
	uint8_t d[HAL_SHA1_LEN], d2[HAL_SHA1_LEN], d256[HAL_SHA256_LEN];
	char hex[2 * HAL_SHA256_LEN + 1], b64[32];

	hal_sha1_2((const uint8_t *)"abc", 3, NULL, 0, d);
	th_hex(d, sizeof(d), hex);
	CHECK(strcmp(hex, "a9993e364706816aba3e25717850c26c9cd0d89d") == 0);
	hal_sha1_2((const uint8_t *)"a", 1, (const uint8_t *)"bc", 2, d2);
	CHECK_MEM(d, d2, sizeof(d));
	hal_sha1_2(NULL, 0, NULL, 0, d);
	th_hex(d, sizeof(d), hex);
	CHECK(strcmp(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709") == 0);

	/* RFC 6455 section 1.3: the handshake example. */
	hal_sha1_2((const uint8_t *)key, strlen(key), (const uint8_t *)guid,
		   strlen(guid), d);
	CHECK_EQ(hal_base64_encode(d, sizeof(d), b64, sizeof(b64)), 28);
	CHECK(strcmp(b64, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);

	hal_sha256((const uint8_t *)"abc", 3, d256);
	th_hex(d256, sizeof(d256), hex);
	CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
			  "b00361a396177a9cb410ff61f20015ad") == 0);
}

/* RFC 4231 section 4: HMAC-SHA256 test cases 1-4, 6 and 7 (case 5 tests
 * truncation, which hal_hmac_sha256 does not offer). */
static void test_hmac_sha256(void)
{
	static const char data6[] = "Test Using Larger Than Block-Size Key - "
				    "Hash Key First";
	static const char data7[] = "This is a test using a larger than "
		"block-size key and a larger than block-size data. The key "
		"needs to be hashed before being used by the HMAC algorithm.";
	uint8_t key[131], data[50], d[HAL_SHA256_LEN];
	char hex[2 * HAL_SHA256_LEN + 1];
	size_t i;

	memset(key, 0x0b, 20);
	hal_hmac_sha256(key, 20, (const uint8_t *)"Hi There", 8, d);
	th_hex(d, sizeof(d), hex);
	CHECK(strcmp(hex, "b0344c61d8db38535ca8afceaf0bf12b"
			  "881dc200c9833da726e9376c2e32cff7") == 0);
	hal_hmac_sha256((const uint8_t *)"Jefe", 4,
			(const uint8_t *)"what do ya want for nothing?", 28, d);
	th_hex(d, sizeof(d), hex);
	CHECK(strcmp(hex, "5bdcc146bf60754e6a042426089575c7"
			  "5a003f089d2739839dec58b964ec3843") == 0);
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	hal_hmac_sha256(key, 20, data, 50, d);
	th_hex(d, sizeof(d), hex);
	CHECK(strcmp(hex, "773ea91e36800e46854db8ebd09181a7"
			  "2959098b3ef8c122d9635514ced565fe") == 0);
	for (i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	hal_hmac_sha256(key, 25, data, 50, d);
	th_hex(d, sizeof(d), hex);
	CHECK(strcmp(hex, "82558a389a443c0ea4cc819899f2083a"
			  "85f0faa3e578f8077a2e3ff46729665b") == 0);
	memset(key, 0xaa, sizeof(key));
	hal_hmac_sha256(key, 131, (const uint8_t *)data6, strlen(data6), d);
	th_hex(d, sizeof(d), hex);
	CHECK(strcmp(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
			  "8e0bc6213728c5140546040f0ee37f54") == 0);
	hal_hmac_sha256(key, 131, (const uint8_t *)data7, strlen(data7), d);
	th_hex(d, sizeof(d), hex);
	CHECK(strcmp(hex, "9b09ffa71b942fcb27635fbcd5b0e944"
			  "bfdc63644f0713938a7f51535c3a35e2") == 0);
}

static void test_memeq_ct(void)
{
	uint8_t a[40], b[40];

	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	CHECK_EQ(hal_memeq_ct(a, b, sizeof(a)), 0);
	CHECK_EQ(hal_memeq_ct(a, b, 0), 0);
	b[0] ^= 1;
	CHECK(hal_memeq_ct(a, b, sizeof(a)) != 0);
	b[0] ^= 1;
	b[39] ^= 0x80;
	CHECK(hal_memeq_ct(a, b, sizeof(a)) != 0);
	CHECK_EQ(hal_memeq_ct(a, b, 39), 0);
	CHECK_EQ(hal_memeq_ct("alice-token", "alice-token", 11), 0);
	CHECK(hal_memeq_ct("alice-token", "alice-tokex", 11) != 0);
}

int main(void)
{
	/* SIGPIPE stays at its default (fatal) on purpose: a send without
	 * MSG_NOSIGNAL to a closed peer would kill the test. */
	signal(SIGPIPE, SIG_DFL);
	TH_RUN(test_tcp_v4);
	TH_RUN(test_tcp_v6);
	TH_RUN(test_refused);
	TH_RUN(test_unix);
	TH_RUN(test_bad_addresses);
	TH_RUN(test_poll);
	TH_RUN(test_clocks);
	TH_RUN(test_random);
	TH_RUN(test_log_format);
	TH_RUN(test_log_syslog);
	TH_RUN(test_log_redact);
	TH_RUN(test_log_quote);
	TH_RUN(test_log_level_parse);
	TH_RUN(test_base64);
	TH_RUN(test_sha);
	TH_RUN(test_hmac_sha256);
	TH_RUN(test_memeq_ct);
	return th_finish();
}
