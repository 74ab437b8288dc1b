/*
 * test_transport.c - the transport manager (firmware/transport.h) and the
 * process/file HAL (hal/hal_proc.h), against fakes in this process:
 *  - a scripted control port (a small tor emulator on the same event loop)
 *    for the external sequence with SAFECOOKIE (the fake computes the real
 *    HMACs; one with a wrong SERVERHASH must be refused before it gets
 *    anything derived from the cookie), COOKIE-only and password
 *    authentication,
 *    ADD_ONION NEW -> key saved 0600 -> a second start reuses it, HS_DESC
 *    UPLOADED -> published, control connection lost -> starting -> re-added;
 *  - dir mode (hostname file);
 *  - the proxy probe against a fake SOCKS5 listener: up, down, silent;
 *  - managed mode with a fake tor_path (a shell script): the torrc, the
 *    control sequence, bootstrap polling, supervision (exit -> restart
 *    with backoff) and stop (SIGTERM, then SIGKILL for a daemon that
 *    ignores SIGTERM);
 *  - with a tor binary as argv[1]: that tor accepts the generated torrc
 *    (--verify-config) and, started by the manager with DisableNetwork 1
 *    (no traffic leaves the machine), answers the cookie authentication.
 * Every log line is captured (stderr to a file) and checked: the onion id
 * appears only in level=debug lines; cookie, password and key never.
 * Network: 127.0.0.1 only, ephemeral ports; every wait is bounded; every
 * process started is stopped by its pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hal/hal_crypto.h"
#include "hal/hal_log.h"
#include "hal/hal_net.h"
#include "hal/hal_proc.h"
#include "hal/hal_time.h"
#include "net/ev.h"
#include "th.h"
#include "transport.h"

#define ID "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd"
#define KEY "ED25519-V3:8Ekj6uX6QzzKyvRzTnWjyzFLuBCtMxLnz5qzwtfwlGqfNlD6T1uFcCgN5vkdGqtszBiCPTdh5QTDKEB3tGVAYw=="
#define PASSWORD "pa\"ss w\\rd"
#define COOKIE_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static struct ev_loop loop;
static struct ilpd_transport tr;
static int changes;
static char tmpdir[64];
static char logpath[300];

static void on_change(void *user)
{
	(void)user;
	changes++;
}

/* ---- a scripted control port --------------------------------------------- */

struct fake {
	hal_fd lfd;
	int lio;
	uint16_t port;
	hal_fd cfd;
	int cio;
	char in[4096];
	size_t inlen;
	char log[8192];            /* commands received, one per line */
	int conns;
	int progress;              /* managed: bootstrap progress reported */
	bool password;             /* expect AUTHENTICATE "<PASSWORD>" */
	bool upload;               /* send HS_DESC UPLOADED when published */
	bool no_safecookie;        /* PROTOCOLINFO offers COOKIE only */
	bool bad_hash;             /* answer AUTHCHALLENGE with a wrong SERVERHASH */
	bool chal;                 /* AUTHCHALLENGE answered on this connection */
	bool no_newnym;            /* refuse SIGNAL NEWNYM (510) */
	char client_hex[65];       /* the AUTHENTICATE SAFECOOKIE expects */
	char cookie_file[300];
};

static struct fake fk;
static char last_client_hex[65];    /* for the log audit */

static void fake_send(struct fake *f, const char *s)
{
	size_t off = 0, n = strlen(s);
	int64_t end = hal_mono_ms() + 2000;

	while (off < n && f->cfd != HAL_FD_NONE && hal_mono_ms() < end) {
		long r = hal_tcp_send(f->cfd, s + off, n - off);

		if (r > 0)
			off += (size_t)r;
		else if (r != HAL_NET_AGAIN)
			break;
	}
}

static void fake_drop(struct fake *f)
{
	if (f->cfd == HAL_FD_NONE)
		return;
	ev_io_del(&loop, f->cio);
	hal_close(f->cfd);
	f->cfd = HAL_FD_NONE;
}

static void fake_uploaded(struct fake *f)
{
	if (f->upload)
		fake_send(f, "650 HS_DESC UPLOAD " ID " UNKNOWN $AAAA~r1 HSDIR_INDEX=00\r\n"
			  "650 HS_DESC UPLOADED " ID " UNKNOWN $AAAA~r1\r\n");
}

/* What tor does for AUTHCHALLENGE SAFECOOKIE <client nonce>: the two
 * HMACs (control-spec 3.24) over cookie 00..1f | client nonce | server
 * nonce, computed here with hal_hmac_sha256 directly. */
static void fake_challenge(struct fake *f, const char *nonce_hex)
{
	uint8_t m[96], sh[32], ch[32];
	char shex[65], nhex[65], buf[256];
	int i;

	if (strlen(nonce_hex) != 64 || th_unhex(nonce_hex, m + 32, 32) != 32) {
		fake_send(f, "513 Invalid base16 client nonce\r\n");
		return;
	}
	for (i = 0; i < 32; i++) {
		m[i] = (uint8_t)i;
		m[64 + i] = (uint8_t)(0xc0 ^ i);
	}
	hal_hmac_sha256((const uint8_t *)"Tor safe cookie authentication "
			"server-to-controller hash", 56, m, sizeof(m), sh);
	hal_hmac_sha256((const uint8_t *)"Tor safe cookie authentication "
			"controller-to-server hash", 56, m, sizeof(m), ch);
	if (f->bad_hash)
		sh[7] ^= 0x10;
	th_hex(sh, 32, shex);
	th_hex(m + 64, 32, nhex);
	th_hex(ch, 32, f->client_hex);
	memcpy(last_client_hex, f->client_hex, sizeof(last_client_hex));
	f->chal = true;
	(void)snprintf(buf, sizeof(buf), "250 AUTHCHALLENGE SERVERHASH=%s "
		       "SERVERNONCE=%s\r\n", shex, nhex);
	fake_send(f, buf);
}

static void fake_command(struct fake *f, const char *c)
{
	char buf[512];
	size_t n = strlen(f->log);

	(void)snprintf(f->log + n, sizeof(f->log) - n, "%s\n", c);
	if (strcmp(c, "PROTOCOLINFO 1") == 0) {
		(void)snprintf(buf, sizeof(buf), "250-PROTOCOLINFO 1\r\n250-AUTH "
			       "METHODS=COOKIE,%sHASHEDPASSWORD COOKIEFILE=\"%s\"\r\n"
			       "250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n",
			       f->no_safecookie ? "" : "SAFECOOKIE,", f->cookie_file);
		f->chal = false;
		fake_send(f, buf);
	} else if (strncmp(c, "AUTHCHALLENGE SAFECOOKIE ", 25) == 0 &&
		   !f->no_safecookie) {
		fake_challenge(f, c + 25);
	} else if (strncmp(c, "AUTHENTICATE ", 13) == 0) {
		bool ok = f->password ? strcmp(c + 13, "\"pa\\\"ss w\\\\rd\"") == 0
			  : f->chal   ? strcmp(c + 13, f->client_hex) == 0
				      : strcmp(c + 13, COOKIE_HEX) == 0;

		fake_send(f, ok ? "250 OK\r\n" : "515 Authentication failed: wrong\r\n");
	} else if (strcmp(c, "SIGNAL NEWNYM") == 0 && !f->no_newnym) {
		fake_send(f, "250 OK\r\n");
	} else if (strcmp(c, "SETEVENTS HS_DESC") == 0) {
		fake_send(f, "250 OK\r\n");
	} else if (strcmp(c, "GETINFO status/bootstrap-phase") == 0) {
		f->progress = f->progress + 50 > 100 ? 100 : f->progress + 50;
		(void)snprintf(buf, sizeof(buf), "250-status/bootstrap-phase=NOTICE "
			       "BOOTSTRAP PROGRESS=%d TAG=x SUMMARY=\"Loading \\\"x\\\"\"\r\n"
			       "250 OK\r\n", f->progress);
		fake_send(f, buf);
		if (f->progress == 100)
			fake_uploaded(f);
	} else if (strncmp(c, "ADD_ONION NEW:ED25519-V3 ", 25) == 0) {
		fake_send(f, "250-ServiceID=" ID "\r\n250-PrivateKey=" KEY "\r\n250 OK\r\n");
		fake_uploaded(f);
	} else if (strncmp(c, "ADD_ONION " KEY " ", 10 + strlen(KEY) + 1) == 0) {
		fake_send(f, "250-ServiceID=" ID "\r\n250 OK\r\n");
		fake_uploaded(f);
	} else {
		fake_send(f, "510 Unrecognized command\r\n");
	}
}

static void fake_io(struct ev_loop *l, int id, unsigned revents, void *arg)
{
	struct fake *f = arg;
	char *nl;
	long r;

	(void)l;
	(void)id;
	(void)revents;
	r = hal_tcp_recv(f->cfd, f->in + f->inlen, sizeof(f->in) - 1 - f->inlen);
	if (r == HAL_NET_AGAIN)
		return;
	if (r <= 0) {
		fake_drop(f);
		return;
	}
	f->inlen += (size_t)r;
	f->in[f->inlen] = '\0';
	while ((nl = strstr(f->in, "\r\n")) != NULL) {
		size_t used = (size_t)(nl - f->in) + 2;

		*nl = '\0';
		fake_command(f, f->in);
		if (f->cfd == HAL_FD_NONE)
			return;
		memmove(f->in, f->in + used, f->inlen - used + 1);
		f->inlen -= used;
	}
}

static void fake_accept(struct ev_loop *l, int id, unsigned revents, void *arg)
{
	struct fake *f = arg;
	hal_fd c;

	(void)l;
	(void)id;
	(void)revents;
	if (hal_tcp_accept(f->lfd, &c, NULL) != HAL_NET_OK)
		return;
	fake_drop(f);
	f->cfd = c;
	f->inlen = 0;
	f->conns++;
	f->cio = ev_io_add(&loop, c, HAL_POLL_IN, fake_io, f);
}

static void fake_start(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->cfd = HAL_FD_NONE;
	f->upload = true;
	CHECK_EQ(hal_tcp_listen("127.0.0.1", 0, 4, &f->lfd), HAL_NET_OK);
	CHECK_EQ(hal_tcp_local_port(f->lfd, &f->port), HAL_NET_OK);
	f->lio = ev_io_add(&loop, f->lfd, HAL_POLL_IN, fake_accept, f);
}

static void fake_stop(struct fake *f)
{
	fake_drop(f);
	ev_io_del(&loop, f->lio);
	hal_close(f->lfd);
}

/* ---- helpers ---------------------------------------------------------------- */

typedef bool (*cond_fn)(void);

/* Runs the loop (and the manager's tick) until cond() or ms elapsed. */
static bool run_until(cond_fn cond, int ms)
{
	int64_t end = hal_mono_ms() + ms;

	while (!cond() && hal_mono_ms() < end) {
		(void)ev_run_once(&loop, 20);
		ilpd_transport_tick(&tr);
	}
	return cond();
}

static bool is_published(void)
{
	return ilpd_transport_onion_state(&tr) == ILPD_ONION_ST_PUBLISHED;
}

static bool is_starting(void)
{
	return ilpd_transport_onion_state(&tr) == ILPD_ONION_ST_STARTING;
}

static bool proxy_up(void)
{
	return ilpd_transport_proxy_ok(&tr);
}

static bool proxy_down(void)
{
	return !ilpd_transport_proxy_ok(&tr) && tr.n.probe_failures > 0;
}

static bool restarted(void)
{
	return tr.n.daemon_restarts >= 1;
}

static bool authed(void)
{
	return tr.ctl_authed && tr.have_boot;
}

static void path_in(char *out, size_t cap, const char *name)
{
	(void)snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const char *s, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, s, n) == (ssize_t)n);
	(void)fchmod(fd, mode);
	close(fd);
}

static void write_cookie(const char *path)
{
	char c[32];
	int i;

	for (i = 0; i < 32; i++)
		c[i] = (char)i;
	write_file(path, c, 32, 0600);
}

static void base_conf(struct ilpd_transport_conf *c, const char *state)
{
	memset(c, 0, sizeof(*c));
	c->type = ILPD_TRANSPORT_DIRECT;
	(void)snprintf(c->state_dir, sizeof(c->state_dir), "%s/%s", tmpdir, state);
	(void)snprintf(c->control_host, sizeof(c->control_host), "127.0.0.1");
	(void)snprintf(c->tor_path, sizeof(c->tor_path), "/usr/bin/tor");
	(void)snprintf(c->suffix[0], sizeof(c->suffix[0]), ".onion");
	(void)snprintf(c->suffix[1], sizeof(c->suffix[1]), ".anyone");
	c->nsuffix = 2;
	c->socks_port = 9150;
	c->control_port = fk.port;
	c->probe_interval_ms = 30000;
	c->bootstrap_timeout_ms = 20000;
	c->stop_timeout_ms = 2000;
}

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* ---- external mode --------------------------------------------------------- */

static void test_external_cookie(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "", keyp[300], buf[256];
	size_t n = 0;
	struct stat st;

	fake_start(&fk);
	path_in(fk.cookie_file, sizeof(fk.cookie_file), "ext-cookie");
	write_cookie(fk.cookie_file);
	base_conf(&c, "ext");
	c.onion_mode = ILPD_ONION_EXTERNAL;
	changes = 0;
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "0.0.0.0", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	CHECK(is_starting());
	CHECK(run_until(is_published, 5000));
	CHECK(strcmp(ilpd_transport_onion_url(&tr), "ws://" ID ".onion:7768") == 0);
	CHECK(changes >= 2);
	/* SAFECOOKIE offered: the challenge first, then the client HMAC; the
	 * cookie itself never crosses the connection */
	CHECK(contains(fk.log, "PROTOCOLINFO 1\nAUTHCHALLENGE SAFECOOKIE "));
	CHECK(contains(fk.log, fk.client_hex));
	CHECK(contains(fk.log, "\nSETEVENTS HS_DESC\nADD_ONION NEW:ED25519-V3 "
		       "Port=7768,127.0.0.1:7768\n"));
	CHECK(!contains(fk.log, COOKIE_HEX));
	CHECK(strcmp(tr.auth_method, "safecookie") == 0);
	/* the key was saved 0600 before the onion counted */
	(void)snprintf(keyp, sizeof(keyp), "%s/onion_key", c.state_dir);
	CHECK(stat(keyp, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(c.state_dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK_EQ(hal_file_read(keyp, buf, sizeof(buf), &n), HAL_PROC_OK);
	CHECK(n == strlen(KEY) + 1 && memcmp(buf, KEY "\n", n) == 0);

	/* the control connection dies: starting, reconnect, re-add the key */
	fk.log[0] = '\0';
	fake_drop(&fk);
	CHECK(run_until(is_starting, 3000));
	CHECK(ilpd_transport_onion_url(&tr)[0] == '\0');
	CHECK(run_until(is_published, 5000));
	CHECK_EQ(tr.n.control_reconnects, 1);
	CHECK(contains(fk.log, "ADD_ONION " KEY " Port=7768,127.0.0.1:7768\n"));
	ilpd_transport_stop(&tr);
	ilpd_transport_stop(&tr);   /* twice is fine */

	/* a new start reuses the saved key from the first command on */
	fk.log[0] = '\0';
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "::1", 7000, on_change, NULL,
				      why, sizeof(why)), 0);
	CHECK(run_until(is_published, 5000));
	CHECK(contains(fk.log, "ADD_ONION " KEY " Port=7768,[::1]:7000\n") ||
	      contains(fk.log, "ADD_ONION " KEY " Port=7000,[::1]:7000\n"));
	CHECK(!contains(fk.log, "NEW:"));
	ilpd_transport_stop(&tr);
	fake_stop(&fk);
}

/* A control port that offers SAFECOOKIE but cannot prove it knows the
 * cookie: refused after AUTHCHALLENGE, never sent AUTHENTICATE (nor the
 * cookie), retried with backoff; each retry is refused the same way. */
static void test_external_safecookie_bad_hash(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "";

	fake_start(&fk);
	fk.bad_hash = true;
	path_in(fk.cookie_file, sizeof(fk.cookie_file), "ext-cookie");
	write_cookie(fk.cookie_file);
	base_conf(&c, "extsc");
	c.onion_mode = ILPD_ONION_EXTERNAL;
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	(void)run_until(is_published, 2500);
	CHECK(is_starting());
	CHECK(!tr.ctl_authed);
	CHECK(fk.conns >= 2 && fk.conns <= 3);    /* backoff 1 s, then 2 s */
	CHECK(contains(fk.log, "PROTOCOLINFO 1\nAUTHCHALLENGE SAFECOOKIE "));
	CHECK(!contains(fk.log, "AUTHENTICATE"));
	CHECK(!contains(fk.log, COOKIE_HEX));
	CHECK(!contains(fk.log, fk.client_hex));
	CHECK(!contains(fk.log, "SETEVENTS"));
	ilpd_transport_stop(&tr);

	/* the same port with the right SERVERHASH is accepted */
	fk.bad_hash = false;
	fk.log[0] = '\0';
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	CHECK(run_until(is_published, 5000));
	CHECK(contains(fk.log, "AUTHENTICATE "));
	ilpd_transport_stop(&tr);
	fake_stop(&fk);
}

/* A daemon that offers COOKIE only (no SAFECOOKIE) still works. */
static void test_external_cookie_only(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "";

	fake_start(&fk);
	fk.no_safecookie = true;
	path_in(fk.cookie_file, sizeof(fk.cookie_file), "ext-cookie");
	write_cookie(fk.cookie_file);
	base_conf(&c, "extco");
	c.onion_mode = ILPD_ONION_EXTERNAL;
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	CHECK(run_until(is_published, 5000));
	CHECK(contains(fk.log, "PROTOCOLINFO 1\nAUTHENTICATE " COOKIE_HEX "\n"
		       "SETEVENTS HS_DESC\n"));
	CHECK(!contains(fk.log, "AUTHCHALLENGE"));
	CHECK(strcmp(tr.auth_method, "cookie") == 0);
	ilpd_transport_stop(&tr);
	fake_stop(&fk);
}

static void test_external_password(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "";

	fake_start(&fk);
	fk.password = true;
	base_conf(&c, "extpw");
	c.onion_mode = ILPD_ONION_EXTERNAL;
	c.control_auth = ILPD_CONTROL_AUTH_PASSWORD;
	(void)snprintf(c.control_password, sizeof(c.control_password), "%s", PASSWORD);
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	CHECK(run_until(is_published, 5000));
	CHECK(contains(fk.log, "AUTHENTICATE \"pa\\\"ss w\\\\rd\"\n"));
	ilpd_transport_stop(&tr);

	/* a wrong password: refused, never published, retried with backoff */
	fk.log[0] = '\0';
	fk.conns = 0;
	(void)snprintf(c.control_password, sizeof(c.control_password), "wrong");
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	(void)run_until(is_published, 1500);
	CHECK(is_starting());
	CHECK(fk.conns >= 1 && fk.conns <= 2);
	CHECK(!contains(fk.log, "ADD_ONION"));
	ilpd_transport_stop(&tr);
	fake_stop(&fk);
}

static void test_external_bad_key_file(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "", p[300];

	fake_start(&fk);
	base_conf(&c, "extbad");
	c.onion_mode = ILPD_ONION_EXTERNAL;
	CHECK_EQ(hal_dir_private(c.state_dir), HAL_PROC_OK);
	(void)snprintf(p, sizeof(p), "%s/onion_key", c.state_dir);
	write_file(p, "garbage\n", 8, 0600);
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), -1);
	CHECK(contains(why, "not an onion key"));
	CHECK_EQ(ilpd_transport_onion_state(&tr), ILPD_ONION_ST_OFF);
	fake_stop(&fk);
}

/* ---- dir mode -------------------------------------------------------------- */

static void test_dir_mode(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "", p[300];

	fake_start(&fk);
	base_conf(&c, "unused");
	c.onion_mode = ILPD_ONION_DIR;
	(void)snprintf(c.hs_dir, sizeof(c.hs_dir), "%s/hs", tmpdir);
	CHECK_EQ(hal_dir_private(c.hs_dir), HAL_PROC_OK);
	(void)snprintf(p, sizeof(p), "%s/hostname", c.hs_dir);
	write_file(p, ID ".anyone\n", strlen(ID) + 8, 0600);
	c.onion_port = 80;
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	CHECK(is_published());
	CHECK(strcmp(ilpd_transport_onion_url(&tr), "ws://" ID ".anyone:80") == 0);
	ilpd_transport_stop(&tr);

	/* not an onion hostname: stays starting (retried) */
	write_file(p, "example.com\n", 12, 0600);
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	(void)run_until(is_published, 300);
	CHECK(is_starting());
	write_file(p, ID ".onion\n", strlen(ID) + 7, 0600);
	CHECK(run_until(is_published, 3000));
	ilpd_transport_stop(&tr);
	fake_stop(&fk);
}

/* ---- proxy probe ----------------------------------------------------------- */

struct socks_fake {
	hal_fd lfd;
	int lio;
	uint16_t port;
	bool silent;
	hal_fd c[8];
	int nc;
	int accepts;               /* connections accepted (probes) */
};

static struct socks_fake sf;

static void sf_accept(struct ev_loop *l, int id, unsigned revents, void *arg)
{
	struct socks_fake *s = arg;
	hal_fd c;

	(void)l;
	(void)id;
	(void)revents;
	if (hal_tcp_accept(s->lfd, &c, NULL) != HAL_NET_OK)
		return;
	s->accepts++;
	if (s->nc == 8) {
		hal_close(s->c[0]);
		memmove(s->c, s->c + 1, 7 * sizeof(s->c[0]));
		s->nc--;
	}
	s->c[s->nc++] = c;
	/* the answer may come before the greeting: ilpd reads only after
	 * sending it, and this fake runs on ilpd's own loop */
	if (!s->silent)
		(void)hal_tcp_send(c, "\x05\x00", 2);
}

/* A fake SOCKS5 listener on `port` (0: any free one). */
static void sf_start_on(struct socks_fake *s, bool silent, uint16_t port)
{
	memset(s, 0, sizeof(*s));
	s->silent = silent;
	CHECK_EQ(hal_tcp_listen("127.0.0.1", port, 4, &s->lfd), HAL_NET_OK);
	CHECK_EQ(hal_tcp_local_port(s->lfd, &s->port), HAL_NET_OK);
	s->lio = ev_io_add(&loop, s->lfd, HAL_POLL_IN, sf_accept, s);
}

static void sf_start(struct socks_fake *s, bool silent)
{
	sf_start_on(s, silent, 0);
}

static void sf_stop(struct socks_fake *s)
{
	int i;

	ev_io_del(&loop, s->lio);
	hal_close(s->lfd);
	for (i = 0; i < s->nc; i++)
		hal_close(s->c[i]);
	s->nc = 0;
}

static void test_probe(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "", ip[HAL_IP_STR_MAX];
	uint16_t port = 0, p;

	sf_start(&sf, false);
	base_conf(&c, "unused");
	c.type = ILPD_TRANSPORT_SOCKS5;
	(void)snprintf(c.proxy_host, sizeof(c.proxy_host), "localhost");
	c.proxy_port = sf.port;
	c.probe_interval_ms = 200;
	changes = 0;
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	ilpd_transport_proxy(&tr, ip, &port);
	CHECK(strcmp(ip, "127.0.0.1") == 0 && port == sf.port);
	CHECK(!ilpd_transport_proxy_ok(&tr));
	CHECK(run_until(proxy_up, 3000));
	CHECK_EQ(changes, 1);
	CHECK_EQ(ilpd_transport_onion_state(&tr), ILPD_ONION_ST_OFF);
	/* the proxy goes away: down at the next probe */
	p = sf.port;
	sf_stop(&sf);
	CHECK(run_until(proxy_down, 3000));
	CHECK_EQ(changes, 2);
	ilpd_transport_stop(&tr);

	/* a listener that never answers the greeting: timeout, down */
	sf_start(&sf, true);
	c.proxy_port = sf.port;
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	CHECK(run_until(proxy_down, 3000));
	CHECK(!ilpd_transport_proxy_ok(&tr));
	ilpd_transport_stop(&tr);
	sf_stop(&sf);
	(void)p;
}

/* ---- managed mode with a fake tor ---------------------------------------- */

/* A fake tor's answer to --version (the manager asks it at start). */
#define VERSION_SH "case \"$1\" in --version) echo \"Tor version 0.4.9.11.\"; exit 0;; esac\n"

static void make_script(const char *name, const char *body, char *path, size_t cap)
{
	char text[512];
	int n;

	(void)snprintf(path, cap, "%s/%s", tmpdir, name);
	n = snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	write_file(path, text, (size_t)n, 0700);
}

static bool pid_gone(hal_pid pid)
{
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void test_managed_fake_tor(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "", p[400], torrc[4096], want[2048];
	size_t n = 0;
	hal_pid pid;

	fake_start(&fk);
	base_conf(&c, "managed");
	c.onion_mode = ILPD_ONION_MANAGED;
	c.type = ILPD_TRANSPORT_SOCKS5;
	make_script("tor-up", VERSION_SH "exec sleep 30", c.tor_path, sizeof(c.tor_path));
	(void)snprintf(c.torrc_append, sizeof(c.torrc_append), "%s/extra.torrc", tmpdir);
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "0.0.0.0", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	pid = tr.pid;
	CHECK(pid > 0);
	(void)snprintf(p, sizeof(p), "%s/torrc", c.state_dir);
	CHECK_EQ(hal_file_read(p, torrc, sizeof(torrc) - 1, &n), HAL_PROC_OK);
	torrc[n] = '\0';
	(void)snprintf(want, sizeof(want),
		       "SocksPort 127.0.0.1:9150 ExtendedErrors\n"
		       "ControlPort 127.0.0.1:%u\nCookieAuthentication 1\n"
		       "DataDirectory %s/tor\nHiddenServiceDir %s/onion_service\n"
		       "HiddenServicePort 7768 127.0.0.1:7768\n"
		       "HiddenServicePoWDefensesEnabled 1\n"
		       "__OwningControllerProcess %ld\n"
		       "Log notice file %s/tor/notice.log\nRunAsDaemon 0\n"
		       "%%include %s\n", (unsigned)fk.port, c.state_dir, c.state_dir,
		       (long)getpid(), c.state_dir, c.torrc_append);
	CHECK(contains(torrc, want));
	if (!contains(torrc, want))
		fprintf(stderr, "torrc:\n%s\nwant:\n%s\n", torrc, want);
	/* what tor would write: cookie and hostname */
	(void)snprintf(p, sizeof(p), "%s/tor/control_auth_cookie", c.state_dir);
	write_cookie(p);
	(void)snprintf(p, sizeof(p), "%s/onion_service", c.state_dir);
	CHECK_EQ(hal_dir_private(p), HAL_PROC_OK);
	(void)snprintf(p, sizeof(p), "%s/onion_service/hostname", c.state_dir);
	write_file(p, ID ".onion\n", strlen(ID) + 7, 0600);
	CHECK(run_until(is_published, 8000));
	/* SAFECOOKIE with the daemon ilpd started: the raw cookie never goes out. */
	CHECK(contains(fk.log, "AUTHCHALLENGE SAFECOOKIE "));
	CHECK(!contains(fk.log, COOKIE_HEX));
	CHECK(contains(fk.log, "\nSETEVENTS HS_DESC\n"
		       "GETINFO status/bootstrap-phase\nGETINFO status/bootstrap-phase\n"));
	CHECK(tr.bootstrapped);
	CHECK(strcmp(ilpd_transport_onion_url(&tr), "ws://" ID ".onion:7768") == 0);
	ilpd_transport_stop(&tr);
	CHECK(pid_gone(pid));
	CHECK_EQ(tr.pid, HAL_PID_NONE);
	fake_stop(&fk);
}

/* The torrc of a managed start with tor_path = a script whose --version
 * prints `version_line`, into torrc (cap bytes). */
static void managed_torrc_with(const char *script, const char *version_line,
			       char *torrc, size_t cap)
{
	struct ilpd_transport_conf c;
	char why[256] = "", body[256], p[400];
	size_t n = 0;

	(void)snprintf(p, sizeof(p), "%s-state", script);
	base_conf(&c, p);
	c.onion_mode = ILPD_ONION_MANAGED;
	(void)snprintf(body, sizeof(body), "case \"$1\" in --version) printf '%s'; "
		       "exit 0;; esac\nexec sleep 30", version_line);
	make_script(script, body, c.tor_path, sizeof(c.tor_path));
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	(void)snprintf(p, sizeof(p), "%s/torrc", c.state_dir);
	torrc[0] = '\0';
	CHECK_EQ(hal_file_read(p, torrc, cap - 1, &n), HAL_PROC_OK);
	torrc[n] = '\0';
	ilpd_transport_stop(&tr);
}

/* Issue 10 point 1: the managed torrc turns on the onion service's
 * proof-of-work defence for a tor that knows it (0.4.8+), right after the
 * service's HiddenServicePort; an older tor or a program that does not say
 * "Tor version" gets no such line (it would refuse the whole torrc). */
static void test_managed_pow(void)
{
	static const struct {
		const char *text;
		int rc;
		unsigned v[4];
		bool pow;
	} cases[] = {
		{ "Tor version 0.4.9.11.\nThis build of Tor is covered by the GNU GPL\n", 0,
		  { 0, 4, 9, 11 }, true },
		{ "Tor version 0.4.8.1-alpha (git-abc).\n", 0, { 0, 4, 8, 1 }, true },
		{ "Tor version 0.4.8.\n", 0, { 0, 4, 8, 0 }, true },
		{ "Tor version 0.4.7.16.\n", 0, { 0, 4, 7, 16 }, false },
		{ "Tor version 0.3.5.8\n", 0, { 0, 3, 5, 8 }, false },
		{ "Tor version 1.0.0.0\n", 0, { 1, 0, 0, 0 }, true },
		{ "Jan 01 [notice] x\nTor version 0.4.9.2-alpha.\n", 0, { 0, 4, 9, 2 }, true },
		{ "Anon version 0.4.9.11\n", -1, { 0, 0, 0, 0 }, false },
		{ "Tor version 0.4\n", -1, { 0, 0, 0, 0 }, false },
		{ "Tor version x.4.9\n", -1, { 0, 0, 0, 0 }, false },
		{ "Tor version 0.4.1234567.1\n", -1, { 0, 0, 0, 0 }, false },
		{ "", -1, { 0, 0, 0, 0 }, false },
	};
	static char torrc[4096];
	unsigned v[4];
	size_t i;
	const char *hs = "HiddenServicePort 7768 127.0.0.1:7768\n";
	char want[128];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		memset(v, 0xff, sizeof(v));
		rc = ilpd_transport_tor_version(cases[i].text, strlen(cases[i].text), v);
		CHECK_EQ(rc, cases[i].rc);
		if (rc == 0) {
			CHECK(memcmp(v, cases[i].v, sizeof(v)) == 0);
			CHECK_EQ(ilpd_transport_tor_has_pow(v), cases[i].pow);
		}
	}
	fake_start(&fk);
	(void)snprintf(want, sizeof(want), "%sHiddenServicePoWDefensesEnabled 1\n", hs);
	managed_torrc_with("tor-049", "Tor version 0.4.9.11.\\n", torrc, sizeof(torrc));
	CHECK(contains(torrc, want));
	managed_torrc_with("tor-047", "Tor version 0.4.7.16.\\n", torrc, sizeof(torrc));
	CHECK(contains(torrc, hs));
	CHECK(!contains(torrc, "PoW"));
	managed_torrc_with("anon-x", "Anon version 0.4.9.11\\n", torrc, sizeof(torrc));
	CHECK(contains(torrc, hs));
	CHECK(!contains(torrc, "PoW"));
	fake_stop(&fk);
}

static bool ctl_ready(void)
{
	return tr.ctl_state == ILPD_CTL_READY && !tr.newnym_pending;
}

/* Issue 10 point 7: after an onion redial timed out, the daemon asks for
 * SIGNAL NEWNYM (tor forgets stale onion-service client state). It goes
 * when the control connection is idle, once; a refusal keeps the
 * connection (and the onion that lives on it). */
static void test_newnym(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "";

	fake_start(&fk);
	path_in(fk.cookie_file, sizeof(fk.cookie_file), "nn-cookie");
	write_cookie(fk.cookie_file);
	base_conf(&c, "newnym");
	c.onion_mode = ILPD_ONION_EXTERNAL;
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	/* asked before the connection is up: sent once it is idle */
	ilpd_transport_newnym(&tr);
	CHECK(run_until(is_published, 5000));
	CHECK(run_until(ctl_ready, 3000));
	CHECK(contains(fk.log, "ADD_ONION NEW:ED25519-V3 Port=7768,127.0.0.1:7768\n"
		       "SIGNAL NEWNYM\n"));
	fk.log[0] = '\0';
	ilpd_transport_newnym(&tr);
	CHECK(run_until(ctl_ready, 3000));
	CHECK(strcmp(fk.log, "SIGNAL NEWNYM\n") == 0);
	/* refused: logged, the connection and the onion stay */
	fk.no_newnym = true;
	ilpd_transport_newnym(&tr);
	CHECK(run_until(ctl_ready, 3000));
	CHECK_EQ(fk.conns, 1);
	CHECK(is_published());
	CHECK_EQ(tr.n.control_reconnects, 0u);
	ilpd_transport_stop(&tr);
	/* no control connection (type = socks5 only): nothing to do */
	base_conf(&c, "newnym2");
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	ilpd_transport_newnym(&tr);
	CHECK(!tr.newnym_pending);
	ilpd_transport_stop(&tr);
	fake_stop(&fk);
}

static bool is_bootstrapped(void)
{
	return tr.bootstrapped;
}

static bool probe_failed_once(void)
{
	return tr.n.probe_failures > 0 && tr.probe_state == ILPD_PROBE_IDLE;
}

static bool daemon_gone(void)
{
	return tr.pid == HAL_PID_NONE;
}

static bool daemon_back_bootstrapped(void)
{
	return tr.pid != HAL_PID_NONE && tr.bootstrapped;
}

/* Issue 10 point 6: managed, with probe_interval_ms = 30 s. The probe at
 * start finds no SocksPort (the daemon is not up yet); proxy_ok must
 * follow as soon as the daemon reports bootstrap 100% (a probe right
 * then), not at the next periodic probe 30 s later. After the daemon
 * exits and is restarted, proxy_ok is false until the new daemon has
 * bootstrapped and a fresh probe answered. Bounds are a few seconds,
 * far below the 30 s interval. */
static void test_managed_probe_at_bootstrap(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "", p[400];
	uint16_t sport;
	int64_t t_boot;
	int before;

	fake_start(&fk);
	/* a free port with no listener yet: the daemon's SocksPort to be */
	sf_start(&sf, false);
	sport = sf.port;
	sf_stop(&sf);
	base_conf(&c, "managed-probe");
	c.onion_mode = ILPD_ONION_MANAGED;
	c.type = ILPD_TRANSPORT_SOCKS5;
	c.socks_port = sport;
	c.probe_interval_ms = 30000;
	make_script("tor-probe", VERSION_SH "exec sleep 30", c.tor_path, sizeof(c.tor_path));
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	(void)snprintf(p, sizeof(p), "%s/tor/control_auth_cookie", c.state_dir);
	write_cookie(p);
	/* the first probe (at start) fails: nothing listens yet */
	CHECK(run_until(probe_failed_once, 3000));
	CHECK(!tr.bootstrapped);
	CHECK(!ilpd_transport_proxy_ok(&tr));
	/* the daemon's SocksPort opens (tor opens it before it bootstraps) */
	sf_start_on(&sf, false, sport);
	CHECK(run_until(is_bootstrapped, 5000));
	t_boot = hal_mono_ms();
	CHECK(run_until(proxy_up, 3000));
	CHECK(hal_mono_ms() - t_boot < 3000);
	CHECK(sf.accepts >= 1);

	/* the daemon dies: proxy down at once; its SocksPort is gone too */
	before = sf.accepts;
	CHECK(kill((pid_t)tr.pid, SIGKILL) == 0);
	CHECK(run_until(daemon_gone, 3000));
	CHECK(!ilpd_transport_proxy_ok(&tr));
	CHECK(!tr.probe_ok);
	/* restarted after the 1 s backoff, bootstrapped at the first poll (the
	 * fake stays at 100%): a fresh probe makes proxy_ok true again */
	CHECK(run_until(daemon_back_bootstrapped, 5000));
	CHECK(run_until(proxy_up, 3000));
	CHECK(sf.accepts > before);
	CHECK_EQ(tr.n.daemon_restarts, 1u);
	ilpd_transport_stop(&tr);
	sf_stop(&sf);
	fake_stop(&fk);
}

/* Issue 10 point 7: the deadline of a dial through the proxy. A clock-free
 * rule (the daemon passes what it counted), so every case is exact. */
static void test_dial_deadline_rule(void)
{
	struct ilpd_transport_conf c;
	unsigned k;

	memset(&c, 0, sizeof(c));
	c.connect_timeout_ms = 30000;
	c.onion_connect_timeout_ms = 120000;
	/* clearnet hosts: connect_timeout_ms, whatever happened before */
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, false, false, 0), 30000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, false, true, 0), 30000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, false, true, 7), 30000);
	/* an onion never reached: the whole onion_connect_timeout_ms (cold
	 * circuits are slow) */
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, false, 0), 120000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, false, 3), 120000);
	/* the first two redials after the link was up give up after 10 s,
	 * then 20, 40, 80 s, then the configured 120 s */
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 0), ILPD_ONION_REDIAL_MS);
	CHECK_EQ(ILPD_ONION_REDIAL_MS, 10000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 1), 10000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 2), 20000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 3), 40000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 4), 80000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 5), 120000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 255), 120000);
	/* the waits before a full-length attempt add up to a bounded total */
	{
		int64_t sum = 0;

		for (k = 0; k < 5; k++)
			sum += ilpd_transport_dial_deadline_ms(&c, true, true, k);
		CHECK_EQ(sum, 160000);
	}
	/* never above the configured value, however small */
	c.onion_connect_timeout_ms = 5000;
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 0), 5000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, false, 0), 5000);
	c.onion_connect_timeout_ms = 15000;
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 0), 10000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 1), 10000);
	CHECK_EQ(ilpd_transport_dial_deadline_ms(&c, true, true, 2), 15000);
}

static void test_managed_supervision(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "";
	hal_pid pid;
	int64_t t0;

	fake_start(&fk);
	base_conf(&c, "managed2");
	c.onion_mode = ILPD_ONION_MANAGED;
	make_script("tor-exit", "exit 3", c.tor_path, sizeof(c.tor_path));
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	CHECK(run_until(restarted, 4000));
	CHECK(is_starting());
	ilpd_transport_stop(&tr);

	/* a daemon that ignores SIGTERM is killed after stop_timeout_ms */
	make_script("tor-stubborn", VERSION_SH "trap '' TERM\nexec sleep 30", c.tor_path,
		    sizeof(c.tor_path));
	c.stop_timeout_ms = 300;
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	pid = tr.pid;
	(void)run_until(is_published, 300);   /* let the shell set its trap */
	t0 = hal_mono_ms();
	ilpd_transport_stop(&tr);
	CHECK(hal_mono_ms() - t0 < 2500);
	CHECK(pid_gone(pid));
	fake_stop(&fk);
}

static void test_start_refusals(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "", p[128];

	base_conf(&c, "refuse");
	c.onion_mode = ILPD_ONION_MANAGED;
	make_script("not-exec", "exit 0", c.tor_path, sizeof(c.tor_path));
	CHECK(chmod(c.tor_path, 0600) == 0);
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), -1);
	CHECK(contains(why, "not an executable"));
	/* a state_dir others can read */
	(void)snprintf(c.tor_path, sizeof(c.tor_path), "%s/tor-up", tmpdir);
	(void)snprintf(p, sizeof(p), "%s/open", tmpdir);
	CHECK(mkdir(p, 0755) == 0 && chmod(p, 0755) == 0);
	(void)snprintf(c.state_dir, sizeof(c.state_dir), "%s", p);
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), -1);
	CHECK(contains(why, "mode 0700"));
	(void)snprintf(c.state_dir, sizeof(c.state_dir), "%s/has space", tmpdir);
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), -1);
	CHECK_EQ(ilpd_transport_onion_state(&tr), ILPD_ONION_ST_OFF);
	CHECK(strcmp(ilpd_onion_state_str(ILPD_ONION_ST_FAILED), "failed") == 0);
}

/* ---- hal_proc --------------------------------------------------------------- */

static void test_hal_proc(void)
{
	const char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 7", NULL };
	const char *bad[] = { "/nonexistent/prog", NULL };
	char p[300], buf[64];
	size_t n = 0;
	hal_pid pid;
	int code = 0;
	struct stat st;

	path_in(p, sizeof(p), "proc.log");
	CHECK_EQ(hal_proc_spawn(argv, p, &pid), HAL_PROC_OK);
	CHECK_EQ(hal_proc_wait_ms(pid, 3000, &code), HAL_PROC_EXITED);
	CHECK_EQ(code, 7);
	CHECK_EQ(hal_proc_poll(pid, &code), HAL_PROC_ERROR);   /* reaped */
	CHECK_EQ(hal_file_read(p, buf, sizeof(buf), &n), HAL_PROC_OK);
	CHECK(n == 8 && memcmp(buf, "out\nerr\n", 8) == 0);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ(hal_proc_spawn(bad, NULL, &pid), HAL_PROC_OK);
	CHECK_EQ(hal_proc_wait_ms(pid, 3000, &code), HAL_PROC_EXITED);
	CHECK_EQ(code, 127);
	CHECK_EQ(hal_file_read(p, buf, 4, &n), HAL_PROC_TOOBIG);
	path_in(p, sizeof(p), "nope");
	CHECK_EQ(hal_file_read(p, buf, sizeof(buf), &n), HAL_PROC_NOENT);
	/* a FIFO without a writer: refused at once, never a blocking open */
	path_in(p, sizeof(p), "fifo");
	CHECK_EQ(mkfifo(p, 0600), 0);
	alarm(10);
	CHECK_EQ(hal_file_read(p, buf, sizeof(buf), &n), HAL_PROC_ERROR);
	alarm(0);
	CHECK_EQ(unlink(p), 0);
	path_in(p, sizeof(p), "atomic");
	CHECK_EQ(hal_file_write_atomic(p, "abc", 3, 0600), HAL_PROC_OK);
	CHECK_EQ(hal_file_write_atomic(p, "xy", 2, 0640), HAL_PROC_OK);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_size == 2);
	path_in(p, sizeof(p), "a/b/c");
	CHECK_EQ(hal_dir_private(p), HAL_PROC_OK);
	CHECK_EQ(hal_dir_private(p), HAL_PROC_OK);
	CHECK(chmod(p, 0750) == 0);
	CHECK_EQ(hal_dir_private(p), HAL_PROC_PERM);
	CHECK_EQ(hal_proc_executable("/bin/sh"), HAL_PROC_OK);
	path_in(p, sizeof(p), "atomic");
	CHECK(hal_proc_executable(p) != HAL_PROC_OK);   /* 0640 */
}

/* ---- a real tor, offline ---------------------------------------------------- */

static uint16_t free_port(void)
{
	hal_fd l;
	uint16_t port = 0;

	if (hal_tcp_listen("127.0.0.1", 0, 1, &l) != HAL_NET_OK)
		return 0;
	(void)hal_tcp_local_port(l, &port);
	hal_close(l);
	return port;
}

static const char *real_tor;

static void test_real_tor(void)
{
	struct ilpd_transport_conf c;
	char why[256] = "", torrc[300], extra[128], hostname[300], buf[128];
	const char *argv[6];
	size_t n = 0;
	hal_pid pid;
	int code = -1;

	base_conf(&c, "realtor");
	c.onion_mode = ILPD_ONION_MANAGED;
	(void)snprintf(c.tor_path, sizeof(c.tor_path), "%s", real_tor);
	c.socks_port = free_port();
	c.control_port = free_port();
	c.stop_timeout_ms = 5000;
	path_in(extra, sizeof(extra), "offline.torrc");
	/* no traffic leaves the machine */
	write_file(extra, "DisableNetwork 1\nGeoIPFile \"\"\nGeoIPv6File \"\"\n", 45, 0600);
	(void)snprintf(c.torrc_append, sizeof(c.torrc_append), "%s", extra);
	CHECK_EQ(ilpd_transport_start(&tr, &loop, &c, "127.0.0.1", 7768, on_change, NULL,
				      why, sizeof(why)), 0);
	/* the control port answers the cookie and the bootstrap query */
	CHECK(run_until(authed, 30000));
	CHECK(!tr.bootstrapped);
	(void)snprintf(hostname, sizeof(hostname), "%s/onion_service/hostname", c.state_dir);
	CHECK_EQ(hal_file_read(hostname, buf, sizeof(buf), &n), HAL_PROC_OK);
	CHECK(n == 63 && memcmp(buf + 56, ".onion\n", 7) == 0);
	ilpd_transport_stop(&tr);
	CHECK_EQ(tr.pid, HAL_PID_NONE);

	/* and it accepts the torrc as written, with the proof-of-work
	 * defence when this tor is 0.4.8 or later (it says which) */
	(void)snprintf(torrc, sizeof(torrc), "%s/torrc", c.state_dir);
	{
		static char text[4096];
		unsigned v[4];
		char vf[300];

		(void)snprintf(vf, sizeof(vf), "%s/tor/version.out", c.state_dir);
		n = 0;
		CHECK_EQ(hal_file_read(vf, text, sizeof(text) - 1, &n), HAL_PROC_OK);
		CHECK_EQ(ilpd_transport_tor_version(text, n, v), 0);
		n = 0;
		CHECK_EQ(hal_file_read(torrc, text, sizeof(text) - 1, &n), HAL_PROC_OK);
		text[n] = '\0';
		CHECK_EQ(contains(text, "\nHiddenServicePoWDefensesEnabled 1\n"),
			 ilpd_transport_tor_has_pow(v));
	}
	argv[0] = real_tor;
	argv[1] = "--verify-config";
	argv[2] = "-f";
	argv[3] = torrc;
	argv[4] = NULL;
	path_in(extra, sizeof(extra), "verify.log");
	CHECK_EQ(hal_proc_spawn(argv, extra, &pid), HAL_PROC_OK);
	CHECK_EQ(hal_proc_wait_ms(pid, 30000, &code), HAL_PROC_EXITED);
	CHECK_EQ(code, 0);
	if (code != HAL_PROC_EXITED)
		(void)hal_proc_signal(pid, HAL_PROC_KILL);
}

/* ---- the log audit ---------------------------------------------------------- */

static void test_log_audit(void)
{
	static char text[1 << 20];
	char *line, *save = NULL;
	size_t n = 0;
	int lines = 0;

	fflush(stderr);
	CHECK_EQ(hal_file_read(logpath, text, sizeof(text) - 1, &n), HAL_PROC_OK);
	text[n] = '\0';
	CHECK(contains(text, "level=debug event=transport.hs_url url=ws://" ID));
	CHECK(contains(text, "level=info event=transport.hs_published"));
	CHECK(contains(text, "level=debug event=transport.control_auth method=safecookie"));
	CHECK(contains(text, "level=warn event=transport.control_refused "
		       "reason=\"control port failed the SAFECOOKIE check\""));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		lines++;
		if (strncmp(line, "FAIL ", 5) == 0)
			fprintf(stderr, "%s\n", line);   /* th_fail while redirected */
		if (contains(line, ID) && !contains(line, "level=debug"))
			th_fail(__FILE__, __LINE__, "onion id above debug: %s", line);
		if (contains(line, COOKIE_HEX) || contains(line, "8Ekj6uX6") ||
		    contains(line, "pa\\\"ss") || contains(line, "pa\"ss") ||
		    (last_client_hex[0] != '\0' && contains(line, last_client_hex)))
			th_fail(__FILE__, __LINE__, "secret in log: %s", line);
	}
	CHECK(lines > 10);
}

int main(int argc, char **argv)
{
	struct hal_log_cfg lc = { HAL_LOG_DEBUG, 1, 0 };
	int saved, fd;

	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/ilpd-test-transport.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	real_tor = argc > 1 ? argv[1] : NULL;
	/* every log line of the run goes to a file the audit reads */
	(void)snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	saved = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (saved < 0 || fd < 0 || dup2(fd, 2) < 0)
		return 1;
	close(fd);
	hal_log_setup(&lc);
	ev_init(&loop);
	TH_RUN(test_hal_proc);
	TH_RUN(test_external_cookie);
	TH_RUN(test_external_safecookie_bad_hash);
	TH_RUN(test_external_cookie_only);
	TH_RUN(test_external_password);
	TH_RUN(test_external_bad_key_file);
	TH_RUN(test_dir_mode);
	TH_RUN(test_probe);
	TH_RUN(test_managed_fake_tor);
	TH_RUN(test_managed_supervision);
	TH_RUN(test_managed_probe_at_bootstrap);
	TH_RUN(test_dial_deadline_rule);
	TH_RUN(test_managed_pow);
	TH_RUN(test_newnym);
	TH_RUN(test_start_refusals);
	if (real_tor != NULL) {
		if (hal_proc_executable(real_tor) != HAL_PROC_OK) {
			th_fail(__FILE__, __LINE__, "%s is not installed: run "
				"toolchain/install-deps.sh (Debian package tor)", real_tor);
		} else {
			TH_RUN(test_real_tor);
		}
	}
	fflush(stderr);
	dup2(saved, 2);
	TH_RUN(test_log_audit);
	if (th_failed_checks > 0) {
		fprintf(stderr, "log of the run: %s\n", logpath);
	} else {
		const char *rm[] = { "/bin/rm", "-rf", tmpdir, NULL };
		hal_pid pid;
		int code;

		if (hal_proc_spawn(rm, NULL, &pid) == HAL_PROC_OK)
			(void)hal_proc_wait_ms(pid, 10000, &code);
	}
	return th_finish();
}
