/*
 * transport.c - the transport manager: proxy probe, managed tor/anon
 * daemon, control connection and onion service (see transport.h).
 *
 * IMPLEMENTATION NOTES
 * - Everything runs from event-loop callbacks; each part owns its watcher
 *   and timer ids and deletes them before re-arming (ev ignores stale ids,
 *   so deleting a timer that already fired is harmless). ids are -1 when
 *   nothing is armed.
 * - Control connection: one command in flight at a time (the control
 *   protocol answers in order). t->ctl_state says which reply is awaited;
 *   reply lines are parsed as they come (ctl_reply_line) and the last line
 *   of a reply moves the state machine (ctl_reply_end). 6xx lines are
 *   events and go to ctl_event whatever the state. A reply that does not
 *   come within CTL_REPLY_MS, a malformed line, or the connection closing
 *   all end in ctl_lost(): close, STARTING where the onion died with the
 *   connection (external), reconnect with backoff 1 s .. 60 s.
 * - Sequence, managed: connect (retried every 500 ms while the daemon
 *   starts) -> SAFECOOKIE (below) -> SETEVENTS HS_DESC -> GETINFO
 *   status/bootstrap-phase every second until PROGRESS=100. The onion
 *   service comes from the torrc, its id from <state_dir>/onion_service/
 *   hostname (tor writes it at start-up). External: PROTOCOLINFO 1 ->
 *   AUTHENTICATE -> SETEVENTS HS_DESC -> ADD_ONION.
 * - SAFECOOKIE (managed always; external with cookie auth when offered in
 *   PROTOCOLINFO's METHODS=): AUTHCHALLENGE SAFECOOKIE <32 random bytes> -> tor answers
 *   SERVERHASH and SERVERNONCE -> SERVERHASH is compared in constant time
 *   with our HMAC of cookie | client nonce | server nonce; a mismatch
 *   drops the connection (fail closed, retried with backoff, never
 *   downgraded to COOKIE) before anything derived from the cookie is
 *   sent; a match sends AUTHENTICATE <the controller-to-server HMAC>. The
 *   cookie waits in t->cookie only between the two replies. SETEVENTS goes before
 *   ADD_ONION (and, managed, tor cannot upload before it has bootstrapped,
 *   which takes far longer than our connect), so the UPLOADED event is not
 *   missed.
 * - PUBLISHED means one HSDir accepted the descriptor (HS_DESC UPLOADED
 *   with our id). Dir mode cannot know that: it reads the hostname file of
 *   a HiddenServiceDir another program manages and calls that published.
 * - The key of a new onion (external) is written to <state_dir>/onion_key
 *   (0600, atomically) before the onion counts as up: if it cannot be
 *   saved, the connection is dropped (which removes the onion) and the
 *   whole sequence is retried, so ilpd never advertises an address it
 *   could not get back after a restart.
 * - Secrets: the command buffer is wiped once sent (it holds the cookie in
 *   hex or the password); the key is wiped at stop; reply lines are never
 *   logged (ADD_ONION's carries the private key).
 * - Managed daemon supervision: ilpd_transport_tick() waitpid()s at most
 *   every REAP_MS. An exit restarts the daemon after a backoff that doubles
 *   from 1 s to 60 s and goes back to 1 s once a daemon ran for 60 s.
 */
#include "transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hal/hal_crypto.h"
#include "hal/hal_log.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define STABLE_MS 60000            /* a daemon this old resets the backoff */
#define REAP_MS 200
#define CTL_REPLY_MS 15000         /* a command's reply is overdue */
#define CTL_START_RETRY_MS 500     /* managed: control port not up yet */
#define BOOT_POLL_MS 1000
#define PROBE_TIMEOUT_MS 5000
#define TORRC_MAX 4096
#define VERSION_WAIT_MS 3000       /* `tor_path --version` at start */

static void ctl_connect_cb(struct ev_loop *loop, int id, void *arg);
static void ctl_send_next(struct ilpd_transport *t);
static void ctl_idle(struct ilpd_transport *t);

/* ---- small helpers -------------------------------------------------------- */

static int64_t now_ms(void)
{
	return hal_mono_ms();
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void set_why(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || why_len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/* ASCII case-insensitive equality. */
static bool ieq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

static int64_t backoff_next(int64_t cur)
{
	if (cur < BACKOFF_MIN_MS)
		return BACKOFF_MIN_MS;
	return cur * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : cur * 2;
}

static void timer_set(struct ilpd_transport *t, int *id, int64_t delay,
		      ev_timer_cb cb)
{
	ev_timer_del(t->loop, *id);
	*id = ev_timer_add(t->loop, now_ms() + delay, cb, t);
	if (*id < 0)
		hal_log(HAL_LOG_ERROR, "transport.timer_full", "what=transport");
}

static void timer_clear(struct ilpd_transport *t, int *id)
{
	if (*id >= 0)
		ev_timer_del(t->loop, *id);
	*id = -1;
}

/* "path/name" into out (HAL_PATH_MAX); false if too long. */
static bool join_path(char out[HAL_PATH_MAX], const char *dir, const char *name)
{
	int n = snprintf(out, HAL_PATH_MAX, "%s/%s", dir, name);

	return n > 0 && n < HAL_PATH_MAX;
}

/* The config loader fills proxy_host with the managed SocksPort and says
 * so in proxy_managed; a hand-made configuration may leave it empty. */
static bool proxy_is_managed(const struct ilpd_transport *t)
{
	return t->conf.onion_mode == ILPD_ONION_MANAGED &&
	       (t->conf.proxy_managed || t->conf.proxy_host[0] == '\0');
}

bool ilpd_transport_proxy_ok(const struct ilpd_transport *t)
{
	if (!t->started || !t->probe_on || !t->probe_ok)
		return false;
	if (proxy_is_managed(t))
		return t->pid != HAL_PID_NONE && t->bootstrapped;
	return true;
}

/* Tells the daemon (on_change) when proxy_ok or the onion state changed
 * since the last call, and logs proxy transitions. */
static void notify(struct ilpd_transport *t, const char *why)
{
	bool ok = ilpd_transport_proxy_ok(t), changed = false;

	if (t->probe_on && ok != t->proxy_ok_told) {
		if (ok)
			hal_log(HAL_LOG_INFO, "transport.proxy_up", "proxy=%s:%u",
				t->proxy_ip, (unsigned)t->proxy_port);
		else
			hal_log(HAL_LOG_WARN, "transport.proxy_down",
				"proxy=%s:%u reason=\"%s\"", t->proxy_ip,
				(unsigned)t->proxy_port, why);
		t->proxy_ok_told = ok;
		changed = true;
	}
	if (t->onion_state != t->onion_told) {
		t->onion_told = t->onion_state;
		changed = true;
	}
	if (changed && t->on_change != NULL)
		t->on_change(t->user);
}

/* ---- onion state ---------------------------------------------------------- */

static void onion_deadline_cb(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_transport *t = arg;

	(void)loop;
	(void)id;
	t->onion_deadline = -1;
	if (t->onion_state != ILPD_ONION_ST_STARTING)
		return;
	t->onion_state = ILPD_ONION_ST_FAILED;
	hal_log(HAL_LOG_WARN, "transport.hs_timeout",
		"mode=%u timeout_ms=%lld progress=%d still_trying=true",
		(unsigned)t->conf.onion_mode, (long long)t->conf.bootstrap_timeout_ms,
		t->progress);
	notify(t, "onion timeout");
}

static void onion_set(struct ilpd_transport *t, enum ilpd_onion_state s,
		      const char *why)
{
	if (t->onion_state == s)
		return;
	if (s == ILPD_ONION_ST_STARTING && t->onion_state == ILPD_ONION_ST_FAILED)
		return;   /* still failing: keep FAILED until published */
	t->onion_state = (uint8_t)s;
	if (s == ILPD_ONION_ST_STARTING)
		timer_set(t, &t->onion_deadline, t->conf.bootstrap_timeout_ms,
			  onion_deadline_cb);
	else if (s != ILPD_ONION_ST_FAILED)
		timer_clear(t, &t->onion_deadline);
	if (s == ILPD_ONION_ST_PUBLISHED) {
		hal_log(HAL_LOG_INFO, "transport.hs_published", "mode=%u port=%u",
			(unsigned)t->conf.onion_mode, (unsigned)t->onion_port);
		hal_log(HAL_LOG_DEBUG, "transport.hs_url", "url=%s", t->onion_url);
	} else if (s == ILPD_ONION_ST_STARTING) {
		hal_log(HAL_LOG_INFO, "transport.hs_starting", "reason=\"%s\"", why);
	}
	notify(t, why);
}

/* Records our onion as host = id + suffix and builds the URL. */
static void onion_known(struct ilpd_transport *t, const char *id, size_t idlen,
			const char *suffix)
{
	memcpy(t->onion_id, id, idlen);
	t->onion_id[idlen] = '\0';
	(void)snprintf(t->onion_host, sizeof(t->onion_host), "%s%s", t->onion_id,
		       suffix);
	(void)snprintf(t->onion_url, sizeof(t->onion_url), "ws://%s:%u",
		       t->onion_host, (unsigned)t->onion_port);
}

/* Reads "<id><suffix>\n" from a HiddenServiceDir's hostname file. The
 * suffix must be one of onion_suffixes (".onion" when none configured). */
static int read_hostname(struct ilpd_transport *t, const char *dir)
{
	char path[HAL_PATH_MAX], buf[128];
	const char *dot;
	size_t n, i;
	bool ok = false;

	if (!join_path(path, dir, "hostname") ||
	    hal_file_read(path, buf, sizeof(buf) - 1, &n) != HAL_PROC_OK)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	dot = memchr(buf, '.', n);
	if (dot == NULL || !torctl_id_valid(buf, (size_t)(dot - buf)))
		return -1;
	for (i = 0; i < t->conf.nsuffix; i++)
		ok = ok || ieq(dot, t->conf.suffix[i]);
	if (t->conf.nsuffix == 0)
		ok = ieq(dot, ".onion");
	if (!ok)
		return -1;
	onion_known(t, buf, (size_t)(dot - buf), dot);
	return 0;
}

/* ---- proxy probe ---------------------------------------------------------- */

static void probe_start_cb(struct ev_loop *loop, int id, void *arg);

static void probe_close(struct ilpd_transport *t)
{
	if (t->probe_io >= 0)
		ev_io_del(t->loop, t->probe_io);
	t->probe_io = -1;
	if (t->probe_fd != HAL_FD_NONE)
		hal_close(t->probe_fd);
	t->probe_fd = HAL_FD_NONE;
	timer_clear(t, &t->probe_deadline);
	t->probe_state = ILPD_PROBE_IDLE;
}

/* One probe ended: record, log the change, arm the next one. */
static void probe_done(struct ilpd_transport *t, bool ok, const char *why)
{
	probe_close(t);
	if (!ok) {
		t->n.probe_failures++;
		t->probe_why = why;
		hal_log(HAL_LOG_DEBUG, "transport.probe_failed", "reason=\"%s\"", why);
	}
	t->probe_ok = ok;
	notify(t, ok ? "" : why);
	timer_set(t, &t->probe_next, t->conf.probe_interval_ms > 0 ?
		  t->conf.probe_interval_ms : 30000, probe_start_cb);
}

static void probe_deadline_cb(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_transport *t = arg;

	(void)loop;
	(void)id;
	t->probe_deadline = -1;
	probe_done(t, false, "no answer to the SOCKS5 greeting");
}

static void probe_io_connecting(struct ilpd_transport *t)
{
	static const uint8_t greeting[3] = { 0x05, 0x01, 0x00 };
	long r;

	if (t->probe_state == ILPD_PROBE_CONNECTING) {
		if (hal_tcp_connect_result(t->probe_fd) != HAL_NET_OK) {
			probe_done(t, false, "connect failed");
			return;
		}
		t->probe_state = ILPD_PROBE_WANT_REPLY;
	}
	while (t->probe_txoff < sizeof(greeting)) {
		r = hal_tcp_send(t->probe_fd, greeting + t->probe_txoff,
				 sizeof(greeting) - t->probe_txoff);
		if (r == HAL_NET_AGAIN)
			return;
		if (r <= 0) {
			probe_done(t, false, "send failed");
			return;
		}
		t->probe_txoff += (size_t)r;
	}
	ev_io_want(t->loop, t->probe_io, HAL_POLL_IN);
}

static void probe_io_cb(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	struct ilpd_transport *t = arg;
	long r;

	(void)loop;
	(void)id;
	if (t->probe_state == ILPD_PROBE_CONNECTING ||
	    t->probe_txoff < 3) {
		if ((revents & (HAL_POLL_OUT | HAL_POLL_ERR)) != 0)
			probe_io_connecting(t);
		return;
	}
	r = hal_tcp_recv(t->probe_fd, t->probe_rx + t->probe_rxn,
			 sizeof(t->probe_rx) - t->probe_rxn);
	if (r == HAL_NET_AGAIN)
		return;
	if (r <= 0) {
		probe_done(t, false, "proxy closed the connection");
		return;
	}
	t->probe_rxn += (size_t)r;
	if (t->probe_rxn < sizeof(t->probe_rx))
		return;
	if (t->probe_rx[0] != 0x05)
		probe_done(t, false, "not a SOCKS5 proxy");
	else
		probe_done(t, true, "");
}

/* The managed daemon just reached bootstrap 100% (at start or after a
 * restart): probe its SocksPort now instead of at the next periodic tick
 * (up to probe_interval_ms away), so proxy_ok follows the daemon within
 * one round trip. A probe already in flight answers for itself. */
static void probe_soon(struct ilpd_transport *t)
{
	if (!t->probe_on || !proxy_is_managed(t) || t->probe_state != ILPD_PROBE_IDLE)
		return;
	hal_log(HAL_LOG_DEBUG, "transport.probe_now", "reason=\"bootstrapped\"");
	timer_set(t, &t->probe_next, 0, probe_start_cb);
}

static void probe_start_cb(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_transport *t = arg;
	hal_fd fd;

	(void)loop;
	(void)id;
	t->probe_next = -1;
	if (t->probe_state != ILPD_PROBE_IDLE)
		return;
	t->probe_rxn = 0;
	t->probe_txoff = 0;
	if (hal_tcp_connect(t->proxy_ip, t->proxy_port, &fd) != HAL_NET_OK) {
		probe_done(t, false, "connect failed");
		return;
	}
	t->probe_fd = fd;
	t->probe_io = ev_io_add(t->loop, fd, HAL_POLL_OUT, probe_io_cb, t);
	if (t->probe_io < 0) {
		probe_done(t, false, "event table full");
		return;
	}
	t->probe_state = ILPD_PROBE_CONNECTING;
	timer_set(t, &t->probe_deadline, t->conf.probe_interval_ms > 0 &&
		  t->conf.probe_interval_ms < PROBE_TIMEOUT_MS ?
		  t->conf.probe_interval_ms : PROBE_TIMEOUT_MS, probe_deadline_cb);
}

/* ---- control connection: plumbing --------------------------------------- */

static void ctl_close(struct ilpd_transport *t)
{
	if (t->ctl_io >= 0)
		ev_io_del(t->loop, t->ctl_io);
	t->ctl_io = -1;
	if (t->ctl_fd != HAL_FD_NONE)
		hal_close(t->ctl_fd);
	t->ctl_fd = HAL_FD_NONE;
	timer_clear(t, &t->ctl_timer);
	timer_clear(t, &t->ctl_watchdog);
	memset(t->out, 0, sizeof(t->out));
	t->out_len = t->out_off = 0;
	memset(&t->added, 0, sizeof(t->added));
	memset(t->cookie, 0, sizeof(t->cookie));
	memset(t->cnonce, 0, sizeof(t->cnonce));
	memset(&t->chal, 0, sizeof(t->chal));
	t->have_chal = false;
	t->ctl_state = ILPD_CTL_IDLE;
	t->ctl_authed = false;
}

static void ctl_schedule(struct ilpd_transport *t, int64_t delay)
{
	timer_set(t, &t->ctl_timer, delay, ctl_connect_cb);
}

/* The connection failed or broke: close and come back later. An
 * established (authenticated) connection counts as a reconnect; the
 * external onion lived on it and must be added again. */
static void ctl_lost(struct ilpd_transport *t, const char *why)
{
	bool was_up = t->ctl_authed;

	ctl_close(t);
	if (was_up) {
		t->n.control_reconnects++;
		hal_log(HAL_LOG_WARN, "transport.control_lost", "reason=\"%s\"", why);
	} else {
		hal_log(HAL_LOG_DEBUG, "transport.control_failed", "reason=\"%s\"", why);
	}
	if (t->conf.onion_mode == ILPD_ONION_EXTERNAL) {
		onion_set(t, ILPD_ONION_ST_STARTING, why);
		t->ctl_backoff_ms = backoff_next(t->ctl_backoff_ms);
		ctl_schedule(t, t->ctl_backoff_ms);
		return;
	}
	/* managed: the daemon's own service survives; reconnect while the
	 * daemon runs (its exit is handled by the supervisor) */
	if (t->pid != HAL_PID_NONE) {
		t->ctl_backoff_ms = backoff_next(t->ctl_backoff_ms);
		ctl_schedule(t, was_up ? t->ctl_backoff_ms : CTL_START_RETRY_MS);
	}
}

static void ctl_watchdog_cb(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_transport *t = arg;

	(void)loop;
	(void)id;
	t->ctl_watchdog = -1;
	ctl_lost(t, "control port did not answer");
}

/* Writes what is left of t->out; wipes it once sent (it may hold the
 * cookie or the password). */
static void ctl_flush(struct ilpd_transport *t)
{
	while (t->out_off < t->out_len) {
		long r = hal_tcp_send(t->ctl_fd, t->out + t->out_off,
				      t->out_len - t->out_off);

		if (r == HAL_NET_AGAIN) {
			ev_io_want(t->loop, t->ctl_io, HAL_POLL_IN | HAL_POLL_OUT);
			return;
		}
		if (r <= 0) {
			ctl_lost(t, "send failed");
			return;
		}
		t->out_off += (size_t)r;
	}
	memset(t->out, 0, sizeof(t->out));
	t->out_len = t->out_off = 0;
	ev_io_want(t->loop, t->ctl_io, HAL_POLL_IN);
}

/* Sends the command built in t->out (rc from the builder) and waits for
 * its reply in state `next`. */
static void ctl_send(struct ilpd_transport *t, int rc, size_t len, uint8_t next)
{
	if (rc != ILP_OK) {
		memset(t->out, 0, sizeof(t->out));
		ctl_lost(t, "cannot build command");
		return;
	}
	t->out_len = len;
	t->out_off = 0;
	t->ctl_state = next;
	t->reply_bad = false;
	timer_set(t, &t->ctl_watchdog, CTL_REPLY_MS, ctl_watchdog_cb);
	ctl_flush(t);
}

/* ---- control connection: the sequence ------------------------------------ */

/* The cookie file's 32 bytes into cookie; 0, or -1 (connection dropped). */
static int ctl_read_cookie(struct ilpd_transport *t, const char *cookie_file,
			   uint8_t cookie[TORCTL_COOKIE_LEN])
{
	size_t n = 0;
	int rc;

	if (cookie_file[0] == '\0') {
		ctl_lost(t, "no cookie file (set control_cookie_file)");
		return -1;
	}
	rc = hal_file_read(cookie_file, cookie, TORCTL_COOKIE_LEN, &n);
	if (rc != HAL_PROC_OK || n != TORCTL_COOKIE_LEN) {
		memset(cookie, 0, TORCTL_COOKIE_LEN);
		ctl_lost(t, rc == HAL_PROC_NOENT ? "cookie file missing"
						  : "cookie file unreadable or not 32 bytes");
		return -1;
	}
	return 0;
}

/* SAFECOOKIE, first half: keep the cookie, send AUTHCHALLENGE with a
 * fresh client nonce. */
static void ctl_safecookie_challenge(struct ilpd_transport *t)
{
	size_t len = 0;
	int rc;

	if (hal_random(t->cnonce, sizeof(t->cnonce)) != 0) {
		memset(t->cookie, 0, sizeof(t->cookie));
		ctl_lost(t, "no random bytes for the SAFECOOKIE nonce");
		return;
	}
	t->have_chal = false;
	t->auth_method = "safecookie";
	rc = torctl_cmd_authchallenge(t->out, sizeof(t->out), t->cnonce, &len);
	ctl_send(t, rc, len, ILPD_CTL_WANT_AUTHCHALLENGE);
}

/* SAFECOOKIE, second half (AUTHCHALLENGE answered 250): tor must have
 * proved it knows the cookie; only then AUTHENTICATE with our HMAC. */
static void ctl_safecookie_answer(struct ilpd_transport *t)
{
	uint8_t want[TORCTL_HASH_LEN], mine[TORCTL_HASH_LEN];
	size_t len = 0;
	bool ok;
	int rc;

	torctl_safecookie(t->cookie, t->cnonce, t->chal.server_nonce, want, mine);
	ok = t->have_chal &&
	     hal_memeq_ct(want, t->chal.server_hash, sizeof(want)) == 0;
	memset(want, 0, sizeof(want));
	memset(t->cookie, 0, sizeof(t->cookie));
	if (!ok) {
		memset(mine, 0, sizeof(mine));
		hal_log(HAL_LOG_WARN, "transport.control_refused",
			"reason=\"control port failed the SAFECOOKIE check\"");
		ctl_lost(t, "SAFECOOKIE check failed");
		return;
	}
	rc = torctl_cmd_auth_cookie(t->out, sizeof(t->out), mine, sizeof(mine), &len);
	memset(mine, 0, sizeof(mine));
	ctl_send(t, rc, len, ILPD_CTL_WANT_AUTH);
}

/* AUTHENTICATE with the password, or the cookie file: SAFECOOKIE for the
 * managed daemon and whenever an external daemon offered it (PROTOCOLINFO
 * read into t->pi), else the cookie's 32 bytes in hex. */
static void ctl_authenticate(struct ilpd_transport *t, const char *cookie_file)
{
	uint8_t cookie[TORCTL_COOKIE_LEN];
	size_t len = 0;
	int rc;

	if (t->conf.onion_mode == ILPD_ONION_EXTERNAL &&
	    t->conf.control_auth == ILPD_CONTROL_AUTH_PASSWORD) {
		t->auth_method = "password";
		rc = torctl_cmd_auth_password(t->out, sizeof(t->out),
					      t->conf.control_password, &len);
		ctl_send(t, rc, len, ILPD_CTL_WANT_AUTH);
		return;
	}
	if (ctl_read_cookie(t, cookie_file, cookie) != 0)
		return;
	/* Managed: ilpd started this tor with CookieAuthentication 1, which
	 * always offers SAFECOOKIE; a port that answers otherwise is not it. */
	if (t->conf.onion_mode == ILPD_ONION_MANAGED ||
	    (t->pi.methods & TORCTL_AUTH_SAFECOOKIE) != 0) {
		memcpy(t->cookie, cookie, sizeof(t->cookie));
		memset(cookie, 0, sizeof(cookie));
		ctl_safecookie_challenge(t);
		return;
	}
	t->auth_method = "cookie";
	rc = torctl_cmd_auth_cookie(t->out, sizeof(t->out), cookie, sizeof(cookie), &len);
	memset(cookie, 0, sizeof(cookie));
	ctl_send(t, rc, len, ILPD_CTL_WANT_AUTH);
}

static void ctl_on_connected(struct ilpd_transport *t)
{
	char path[HAL_PATH_MAX];
	size_t len = 0;
	int rc;

	hal_log(HAL_LOG_DEBUG, "transport.control_connected", "port=%u",
		(unsigned)t->conf.control_port);
	if (t->conf.onion_mode == ILPD_ONION_MANAGED) {
		if (!join_path(path, t->conf.state_dir, "tor/control_auth_cookie")) {
			ctl_lost(t, "state_dir too long");
			return;
		}
		ctl_authenticate(t, path);
		return;
	}
	torctl_protocolinfo_init(&t->pi);
	rc = torctl_cmd_protocolinfo(t->out, sizeof(t->out), &len);
	ctl_send(t, rc, len, ILPD_CTL_WANT_PROTOCOLINFO);
}

/* Saves a new onion key before the onion counts as ours. */
static int save_key(struct ilpd_transport *t, const char *key)
{
	char path[HAL_PATH_MAX], buf[TORCTL_KEY_MAX + 2];
	size_t n = strlen(key);
	int rc;

	if (!join_path(path, t->conf.state_dir, "onion_key"))
		return -1;
	memcpy(buf, key, n);
	buf[n] = '\n';
	rc = hal_file_write_atomic(path, buf, n + 1, 0600);
	memset(buf, 0, sizeof(buf));
	if (rc != HAL_PROC_OK) {
		hal_log(HAL_LOG_ERROR, "transport.hs_key_save_failed",
			"path=%s reason=\"%s\"", path, hal_proc_strerror());
		return -1;
	}
	hal_log(HAL_LOG_INFO, "transport.hs_key_created", "path=%s", path);
	return 0;
}

/* ADD_ONION answered 250: take the id, keep (and first save) the key. */
static void ctl_onion_added(struct ilpd_transport *t)
{
	if (t->added.id[0] == '\0' || (t->key[0] == '\0' && t->added.key[0] == '\0')) {
		ctl_lost(t, "ADD_ONION reply without ServiceID or PrivateKey");
		return;
	}
	if (t->key[0] == '\0') {
		if (save_key(t, t->added.key) != 0) {
			t->onion_state = ILPD_ONION_ST_FAILED;
			notify(t, "cannot save onion key");
			ctl_lost(t, "cannot save the onion key");
			return;
		}
		copy_str(t->key, sizeof(t->key), t->added.key);
	}
	memset(t->added.key, 0, sizeof(t->added.key));
	onion_known(t, t->added.id, strlen(t->added.id), ".onion");
	hal_log(HAL_LOG_INFO, "transport.hs_added", "port=%u", (unsigned)t->onion_port);
	hal_log(HAL_LOG_DEBUG, "transport.hs_added_url", "url=%s", t->onion_url);
	ctl_idle(t);
}

static void boot_poll_cb(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_transport *t = arg;

	(void)loop;
	(void)id;
	t->ctl_timer = -1;
	if (t->ctl_state == ILPD_CTL_READY)
		ctl_send_next(t);
}

/* Idle again after a reply: a NEWNYM asked for meanwhile goes now. */
static void ctl_idle(struct ilpd_transport *t)
{
	size_t len = 0;
	int rc;

	t->ctl_state = ILPD_CTL_READY;
	if (!t->newnym_pending)
		return;
	t->newnym_pending = false;
	rc = torctl_cmd_signal(t->out, sizeof(t->out), "NEWNYM", &len);
	hal_log(HAL_LOG_INFO, "transport.newnym", "reason=\"an onion redial timed out\"");
	ctl_send(t, rc, len, ILPD_CTL_WANT_SIGNAL);
}

void ilpd_transport_newnym(struct ilpd_transport *t)
{
	if (!t->started || (t->conf.onion_mode != ILPD_ONION_MANAGED &&
			    t->conf.onion_mode != ILPD_ONION_EXTERNAL))
		return;
	t->newnym_pending = true;
	if (t->ctl_state == ILPD_CTL_READY)
		ctl_idle(t);
}

/* GETINFO status/bootstrap-phase answered. */
static void ctl_bootstrap_reply(struct ilpd_transport *t)
{
	char dir[HAL_PATH_MAX];

	t->ctl_state = ILPD_CTL_READY;
	if (t->progress < 100) {
		timer_set(t, &t->ctl_timer, BOOT_POLL_MS, boot_poll_cb);
		return;
	}
	if (!t->bootstrapped) {
		t->bootstrapped = true;
		hal_log(HAL_LOG_INFO, "transport.bootstrapped", "progress=100");
		probe_soon(t);
		notify(t, "");
	}
	if (t->onion_id[0] == '\0' && join_path(dir, t->conf.state_dir, "onion_service"))
		(void)read_hostname(t, dir);
	ctl_idle(t);
}

/* The next command after a successful reply (or a bootstrap poll). */
static void ctl_send_next(struct ilpd_transport *t)
{
	size_t len = 0;
	int rc;

	if (t->conf.onion_mode == ILPD_ONION_MANAGED) {
		rc = torctl_cmd_getinfo(t->out, sizeof(t->out),
					"status/bootstrap-phase", &len);
		t->have_boot = false;
		ctl_send(t, rc, len, ILPD_CTL_WANT_BOOTSTRAP);
		return;
	}
	torctl_onion_init(&t->added);
	rc = torctl_cmd_add_onion(t->out, sizeof(t->out), t->key, t->onion_port,
				  t->btp_ip, t->btp_port, &len);
	ctl_send(t, rc, len, ILPD_CTL_WANT_ADD_ONION);
}

/* The last line of a reply came: status decides the next step. */
static void ctl_reply_end(struct ilpd_transport *t, int status)
{
	size_t len = 0;
	uint8_t st = t->ctl_state;
	int rc;

	timer_clear(t, &t->ctl_watchdog);
	if (st == ILPD_CTL_WANT_SIGNAL) {
		if (status != 250)   /* not worth the connection (the onion) */
			hal_log(HAL_LOG_WARN, "transport.control_refused",
				"step=%u status=%d", (unsigned)st, status);
		ctl_idle(t);
		return;
	}
	if (status != 250 || t->reply_bad) {
		hal_log(HAL_LOG_WARN, "transport.control_refused", "step=%u status=%d",
			(unsigned)st, status);
		if (st == ILPD_CTL_WANT_ADD_ONION || st == ILPD_CTL_WANT_AUTH)
			onion_set(t, ILPD_ONION_ST_STARTING, "control command refused");
		ctl_lost(t, status == 515 ? "authentication failed" : "command refused");
		return;
	}
	switch ((enum ilpd_ctl_state)st) {
	case ILPD_CTL_WANT_PROTOCOLINFO:
		ctl_authenticate(t, t->conf.control_cookie_file[0] != '\0' ?
				 t->conf.control_cookie_file : t->pi.cookie_file);
		return;
	case ILPD_CTL_WANT_AUTHCHALLENGE:
		ctl_safecookie_answer(t);
		return;
	case ILPD_CTL_WANT_AUTH:
		t->ctl_authed = true;
		t->ctl_backoff_ms = 0;
		hal_log(HAL_LOG_DEBUG, "transport.control_auth", "method=%s",
			t->auth_method != NULL ? t->auth_method : "-");
		hal_log(HAL_LOG_INFO, "transport.control_up", "mode=%u",
			(unsigned)t->conf.onion_mode);
		rc = torctl_cmd_setevents(t->out, sizeof(t->out), "HS_DESC", &len);
		ctl_send(t, rc, len, ILPD_CTL_WANT_SETEVENTS);
		return;
	case ILPD_CTL_WANT_SETEVENTS:
		ctl_send_next(t);
		return;
	case ILPD_CTL_WANT_BOOTSTRAP:
		ctl_bootstrap_reply(t);
		return;
	case ILPD_CTL_WANT_ADD_ONION:
		ctl_onion_added(t);
		return;
	case ILPD_CTL_WANT_SIGNAL:
	case ILPD_CTL_IDLE:
	case ILPD_CTL_CONNECTING:
	case ILPD_CTL_READY:
		break;
	}
	ctl_lost(t, "unexpected reply");
}

/* One reply line (not an event) for the command in flight. */
static void ctl_reply_line(struct ilpd_transport *t, const struct torctl_line *l)
{
	struct torctl_bootstrap b;
	int rc = ILP_OK;

	if (l->kind != TORCTL_REPLY || l->status != 250)
		return;
	switch ((enum ilpd_ctl_state)t->ctl_state) {
	case ILPD_CTL_WANT_PROTOCOLINFO:
		rc = torctl_parse_protocolinfo(&t->pi, l->text, l->len);
		break;
	case ILPD_CTL_WANT_AUTHCHALLENGE:
		rc = torctl_parse_authchallenge(l->text, l->len, &t->chal);
		t->have_chal = rc == ILP_OK;
		break;
	case ILPD_CTL_WANT_BOOTSTRAP:
		if (strncmp(l->text, "status/bootstrap-phase=", 23) != 0)
			break;
		rc = torctl_parse_bootstrap(l->text, l->len, &b);
		if (rc == ILP_OK) {
			t->have_boot = true;
			t->progress = b.progress;
			hal_log(HAL_LOG_DEBUG, "transport.bootstrap", "progress=%d tag=%s",
				b.progress, b.tag[0] != '\0' ? b.tag : "-");
		}
		break;
	case ILPD_CTL_WANT_ADD_ONION:
		rc = torctl_parse_add_onion(&t->added, l->text, l->len);
		break;
	case ILPD_CTL_IDLE:
	case ILPD_CTL_CONNECTING:
	case ILPD_CTL_WANT_AUTH:
	case ILPD_CTL_WANT_SETEVENTS:
	case ILPD_CTL_WANT_SIGNAL:
	case ILPD_CTL_READY:
		break;
	}
	if (rc != ILP_OK)
		t->reply_bad = true;
}

/* A 650 line: HS_DESC UPLOADED of our service publishes it. */
static void ctl_event(struct ilpd_transport *t, const struct torctl_line *l)
{
	struct torctl_hs_desc ev;
	char dir[HAL_PATH_MAX];

	if (l->kind != TORCTL_REPLY || l->status != 650 ||
	    torctl_parse_hs_desc(l->text, l->len, &ev) != ILP_OK)
		return;
	if (t->onion_id[0] == '\0' && t->conf.onion_mode == ILPD_ONION_MANAGED &&
	    join_path(dir, t->conf.state_dir, "onion_service"))
		(void)read_hostname(t, dir);
	if (t->onion_id[0] == '\0' || strcmp(ev.address, t->onion_id) != 0)
		return;
	if (ev.action == TORCTL_HS_UPLOADED)
		onion_set(t, ILPD_ONION_ST_PUBLISHED, "descriptor uploaded");
	else if (ev.action == TORCTL_HS_FAILED)
		hal_log(HAL_LOG_DEBUG, "transport.hs_desc_failed", "onion=%s", t->onion_id);
}

/* Reads what the control port sent and dispatches every complete line. */
static void ctl_read(struct ilpd_transport *t)
{
	uint8_t buf[1024];
	struct torctl_line l;
	size_t off, used;
	long r;
	int rc;

	for (;;) {
		r = hal_tcp_recv(t->ctl_fd, buf, sizeof(buf));
		if (r == HAL_NET_AGAIN)
			return;
		if (r <= 0) {
			ctl_lost(t, r == 0 ? "control port closed" : "receive failed");
			return;
		}
		for (off = 0; off < (size_t)r; off += used) {
			rc = torctl_read(&t->rd, buf + off, (size_t)r - off, &used, &l);
			if (rc == ILP_ERR_NEED_MORE)
				break;
			if (rc != ILP_OK) {
				ctl_lost(t, "malformed control reply");
				return;
			}
			if (l.async)
				ctl_event(t, &l);
			else if (t->ctl_state > ILPD_CTL_CONNECTING &&
				 t->ctl_state != ILPD_CTL_READY) {
				ctl_reply_line(t, &l);
				if (l.last)
					ctl_reply_end(t, l.status);
			} else {
				ctl_lost(t, "reply without a command");
			}
			if (t->ctl_fd == HAL_FD_NONE)
				return;    /* closed by a handler */
		}
	}
}

static void ctl_io_cb(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	struct ilpd_transport *t = arg;

	(void)loop;
	(void)id;
	if (t->ctl_state == ILPD_CTL_CONNECTING) {
		if ((revents & (HAL_POLL_OUT | HAL_POLL_ERR)) == 0)
			return;
		if (hal_tcp_connect_result(t->ctl_fd) != HAL_NET_OK) {
			ctl_lost(t, "control port refused the connection");
			return;
		}
		ev_io_want(t->loop, t->ctl_io, HAL_POLL_IN);
		ctl_on_connected(t);
		return;
	}
	if ((revents & HAL_POLL_OUT) != 0 && t->out_off < t->out_len)
		ctl_flush(t);
	if (t->ctl_fd != HAL_FD_NONE && (revents & (HAL_POLL_IN | HAL_POLL_ERR)) != 0)
		ctl_read(t);
}

static void ctl_connect_cb(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_transport *t = arg;
	const char *ip = t->conf.onion_mode == ILPD_ONION_MANAGED ? "127.0.0.1"
								  : t->conf.control_host;
	hal_fd fd;

	(void)loop;
	(void)id;
	t->ctl_timer = -1;
	if (t->ctl_fd != HAL_FD_NONE)
		return;
	if (hal_tcp_connect(ip, t->conf.control_port, &fd) != HAL_NET_OK) {
		ctl_lost(t, "cannot connect to the control port");
		return;
	}
	t->ctl_fd = fd;
	t->ctl_io = ev_io_add(t->loop, fd, HAL_POLL_OUT, ctl_io_cb, t);
	if (t->ctl_io < 0) {
		ctl_lost(t, "event table full");
		return;
	}
	torctl_reader_init(&t->rd);
	t->ctl_state = ILPD_CTL_CONNECTING;
	timer_set(t, &t->ctl_watchdog, CTL_REPLY_MS, ctl_watchdog_cb);
}

/* ---- managed daemon ------------------------------------------------------- */

/* Asks tor_path for its version once at start (`--version`, bounded by
 * VERSION_WAIT_MS) and sets t->pow: the onion service's proof-of-work
 * defence goes into the torrc only for a tor that knows the option (an
 * older one would refuse the whole torrc). Logs which applies. */
static void managed_check_pow(struct ilpd_transport *t)
{
	char out[HAL_PATH_MAX], text[2048];
	const char *argv[3];
	unsigned v[4] = { 0, 0, 0, 0 };
	size_t n = 0;
	hal_pid pid;
	int st, code = 0;
	bool known = false;

	t->pow = false;
	argv[0] = t->conf.tor_path;
	argv[1] = "--version";
	argv[2] = NULL;
	if (join_path(out, t->conf.state_dir, "tor/version.out") &&
	    hal_file_write_atomic(out, "", 0, 0600) == HAL_PROC_OK &&
	    hal_proc_spawn(argv, out, &pid) == HAL_PROC_OK) {
		st = hal_proc_wait_ms(pid, VERSION_WAIT_MS, &code);
		if (st == HAL_PROC_RUNNING) {
			(void)hal_proc_signal(pid, HAL_PROC_KILL);
			(void)hal_proc_wait_ms(pid, 1000, &code);
		} else if (st == HAL_PROC_EXITED && code == 0 &&
			   hal_file_read(out, text, sizeof(text), &n) == HAL_PROC_OK) {
			known = ilpd_transport_tor_version(text, n, v) == 0;
		}
	}
	t->pow = known && ilpd_transport_tor_has_pow(v);
	if (known)
		hal_log(HAL_LOG_INFO, "transport.hs_pow", "enabled=%s tor_version=%u.%u.%u.%u%s",
			t->pow ? "true" : "false", v[0], v[1], v[2], v[3],
			t->pow ? "" : " reason=\"needs tor 0.4.8 or later\"");
	else
		hal_log(HAL_LOG_WARN, "transport.hs_pow", "enabled=false reason=\"%s --version "
			"did not report a Tor version\"", t->conf.tor_path);
}

/* mkdir state_dir and state_dir/tor (0700), check tor_path, write torrc. */
static int managed_prepare(struct ilpd_transport *t, char *why, size_t why_len)
{
	const struct ilpd_transport_conf *c = &t->conf;
	char path[HAL_PATH_MAX], torrc[TORRC_MAX];
	size_t len = 0;
	int rc = HAL_PROC_ERROR;

	if (!ilpd_torrc_path_ok(c->state_dir) || !ilpd_torrc_path_ok(c->torrc_append)) {
		set_why(why, why_len, "state_dir and torrc_append must not contain "
			"blanks, quotes, backslashes or '#'");
		return -1;
	}
	if (!join_path(path, c->state_dir, "tor") ||
	    (rc = hal_dir_private(c->state_dir)) != HAL_PROC_OK ||
	    (rc = hal_dir_private(path)) != HAL_PROC_OK) {
		set_why(why, why_len, "state_dir %s: %s", c->state_dir,
			rc == HAL_PROC_PERM ? "must be owned by ilpd's user, mode 0700"
					    : hal_proc_strerror());
		return -1;
	}
	if (hal_proc_executable(c->tor_path) != HAL_PROC_OK) {
		set_why(why, why_len, "tor_path %s: not an executable file",
			c->tor_path);
		return -1;
	}
	managed_check_pow(t);
	if (ilpd_torrc_build(t, torrc, sizeof(torrc), &len) != 0 ||
	    !join_path(path, c->state_dir, "torrc") ||
	    hal_file_write_atomic(path, torrc, len, 0600) != HAL_PROC_OK) {
		set_why(why, why_len, "cannot write %s/torrc: %s", c->state_dir,
			hal_proc_strerror());
		return -1;
	}
	return 0;
}

static void restart_cb(struct ev_loop *loop, int id, void *arg);

/* Starts tor_path -f <state_dir>/torrc; on failure retries with backoff. */
static void daemon_spawn(struct ilpd_transport *t)
{
	char torrc[HAL_PATH_MAX], log[HAL_PATH_MAX];
	const char *argv[6];

	if (!join_path(torrc, t->conf.state_dir, "torrc") ||
	    !join_path(log, t->conf.state_dir, "tor/daemon.out"))
		return;
	argv[0] = t->conf.tor_path;
	argv[1] = "-f";
	argv[2] = torrc;
	argv[3] = "--ignore-missing-torrc";
	argv[4] = NULL;
	if (hal_proc_spawn(argv, log, &t->pid) != HAL_PROC_OK) {
		hal_log(HAL_LOG_WARN, "transport.daemon_spawn_failed", "reason=\"%s\"",
			hal_proc_strerror());
		t->restart_backoff_ms = backoff_next(t->restart_backoff_ms);
		timer_set(t, &t->restart_timer, t->restart_backoff_ms, restart_cb);
		return;
	}
	t->daemon_started_ms = now_ms();
	t->next_reap_ms = t->daemon_started_ms + REAP_MS;
	t->bootstrapped = false;
	t->progress = 0;
	hal_log(HAL_LOG_INFO, "transport.daemon_started", "pid=%ld path=%s",
		(long)t->pid, t->conf.tor_path);
	ctl_schedule(t, CTL_START_RETRY_MS);
}

static void restart_cb(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_transport *t = arg;

	(void)loop;
	(void)id;
	t->restart_timer = -1;
	if (t->pid != HAL_PID_NONE || !t->started)
		return;
	t->n.daemon_restarts++;
	daemon_spawn(t);
}

/* The child ended (state from hal_proc_poll): everything that depended on
 * it goes down; a restart is scheduled with backoff. */
static void daemon_exited(struct ilpd_transport *t, int state, int code)
{
	int64_t ran = now_ms() - t->daemon_started_ms;

	hal_log(HAL_LOG_WARN, "transport.daemon_exit", "pid=%ld status=%s code=%d ran_ms=%lld",
		(long)t->pid, state == HAL_PROC_SIGNALLED ? "signalled" : "exited", code,
		(long long)ran);
	t->pid = HAL_PID_NONE;
	t->bootstrapped = false;
	t->progress = 0;
	if (proxy_is_managed(t))
		t->probe_ok = false;   /* its SocksPort went with it: the next
					* bootstrap probes afresh (probe_soon) */
	ctl_close(t);
	if (ran >= STABLE_MS)
		t->restart_backoff_ms = 0;
	t->restart_backoff_ms = backoff_next(t->restart_backoff_ms);
	timer_set(t, &t->restart_timer, t->restart_backoff_ms, restart_cb);
	onion_set(t, ILPD_ONION_ST_STARTING, "daemon exited");
	notify(t, "managed daemon exited");
}

void ilpd_transport_tick(struct ilpd_transport *t)
{
	int64_t now;
	int st, code = 0;

	if (!t->started || t->pid == HAL_PID_NONE)
		return;
	now = now_ms();
	if (now < t->next_reap_ms)
		return;
	t->next_reap_ms = now + REAP_MS;
	st = hal_proc_poll(t->pid, &code);
	if (st == HAL_PROC_RUNNING)
		return;
	if (st == HAL_PROC_ERROR)
		code = -1;
	daemon_exited(t, st, code);
}

/* ---- dir mode ------------------------------------------------------------- */

static void dir_retry_cb(struct ev_loop *loop, int id, void *arg);

/* Reads <hs_dir>/hostname; retries with backoff until it is there. */
static void dir_read(struct ilpd_transport *t)
{
	if (read_hostname(t, t->conf.hs_dir) == 0) {
		onion_set(t, ILPD_ONION_ST_PUBLISHED, "hostname read");
		return;
	}
	hal_log(HAL_LOG_DEBUG, "transport.hs_dir_unreadable", "dir=%s", t->conf.hs_dir);
	t->ctl_backoff_ms = backoff_next(t->ctl_backoff_ms);
	timer_set(t, &t->ctl_timer, t->ctl_backoff_ms, dir_retry_cb);
}

static void dir_retry_cb(struct ev_loop *loop, int id, void *arg)
{
	struct ilpd_transport *t = arg;

	(void)loop;
	(void)id;
	t->ctl_timer = -1;
	dir_read(t);
}

/* ---- start, stop, accessors ----------------------------------------------- */

/* External: the saved key, if any (absent: ADD_ONION NEW). */
static int load_key(struct ilpd_transport *t, char *why, size_t why_len)
{
	char path[HAL_PATH_MAX];
	size_t n = 0;
	int rc;

	if (!join_path(path, t->conf.state_dir, "onion_key"))
		return -1;
	rc = hal_file_read(path, t->key, sizeof(t->key) - 1, &n);
	if (rc == HAL_PROC_NOENT) {
		t->key[0] = '\0';
		return 0;
	}
	while (rc == HAL_PROC_OK && n > 0 && (t->key[n - 1] == '\n' || t->key[n - 1] == '\r'))
		n--;
	t->key[rc == HAL_PROC_OK ? n : 0] = '\0';
	if (rc != HAL_PROC_OK || !torctl_key_valid(t->key, n)) {
		memset(t->key, 0, sizeof(t->key));
		set_why(why, why_len, "%s: not an onion key (expected "
			"ED25519-V3:<base64>; remove it to get a new address)", path);
		return -1;
	}
	return 0;
}

static void init_ids(struct ilpd_transport *t)
{
	t->probe_fd = t->ctl_fd = HAL_FD_NONE;
	t->probe_io = t->probe_deadline = t->probe_next = -1;
	t->ctl_io = t->ctl_timer = t->ctl_watchdog = -1;
	t->restart_timer = t->onion_deadline = -1;
	t->pid = HAL_PID_NONE;
}

/* Proxy address and BTP target (0.0.0.0 / :: become 127.0.0.1). */
static void init_addrs(struct ilpd_transport *t, const char *btp_ip, uint16_t btp_port)
{
	const struct ilpd_transport_conf *c = &t->conf;

	if (btp_ip == NULL || btp_ip[0] == '\0' || strcmp(btp_ip, "0.0.0.0") == 0 ||
	    strcmp(btp_ip, "::") == 0 || strcmp(btp_ip, "[::]") == 0)
		btp_ip = "127.0.0.1";
	copy_str(t->btp_ip, sizeof(t->btp_ip), btp_ip);
	if (t->btp_ip[0] == '[') {        /* "[::1]" -> "::1" */
		size_t n = strlen(t->btp_ip);

		memmove(t->btp_ip, t->btp_ip + 1, n - 1);
		t->btp_ip[n >= 2 ? n - 2 : 0] = '\0';
	}
	t->btp_port = btp_port;
	t->onion_port = c->onion_port != 0 ? c->onion_port : btp_port;
	if (c->proxy_host[0] != '\0') {
		copy_str(t->proxy_ip, sizeof(t->proxy_ip),
			 ieq(c->proxy_host, "localhost") ? "127.0.0.1" : c->proxy_host);
		t->proxy_port = c->proxy_port;
	} else {
		copy_str(t->proxy_ip, sizeof(t->proxy_ip), "127.0.0.1");
		t->proxy_port = c->socks_port;
	}
}

static int start_onion(struct ilpd_transport *t, char *why, size_t why_len)
{
	switch ((enum ilpd_onion_mode)t->conf.onion_mode) {
	case ILPD_ONION_OFF:
		return 0;
	case ILPD_ONION_MANAGED:
		if (managed_prepare(t, why, why_len) != 0)
			return -1;
		onion_set(t, ILPD_ONION_ST_STARTING, "start");
		daemon_spawn(t);
		return 0;
	case ILPD_ONION_EXTERNAL:
		if (hal_dir_private(t->conf.state_dir) != HAL_PROC_OK) {
			set_why(why, why_len, "state_dir %s: %s", t->conf.state_dir,
				"cannot create it, or it is not private (mode 0700)");
			return -1;
		}
		if (load_key(t, why, why_len) != 0)
			return -1;
		onion_set(t, ILPD_ONION_ST_STARTING, "start");
		ctl_schedule(t, 0);
		return 0;
	case ILPD_ONION_DIR:
		onion_set(t, ILPD_ONION_ST_STARTING, "start");
		dir_read(t);
		return 0;
	}
	set_why(why, why_len, "unknown onion_service mode %u", (unsigned)t->conf.onion_mode);
	return -1;
}

int ilpd_transport_start(struct ilpd_transport *t, struct ev_loop *loop,
			 const struct ilpd_transport_conf *tc, const char *btp_ip,
			 uint16_t btp_port, void (*on_change)(void *), void *user,
			 char *why, size_t why_len)
{
	memset(t, 0, sizeof(*t));
	init_ids(t);
	t->conf = *tc;
	t->loop = loop;
	t->on_change = on_change;
	t->user = user;
	init_addrs(t, btp_ip, btp_port);
	t->probe_on = tc->type == ILPD_TRANSPORT_SOCKS5;
	t->started = true;
	if (start_onion(t, why, why_len) != 0) {
		ilpd_transport_stop(t);
		return -1;
	}
	if (t->probe_on)
		timer_set(t, &t->probe_next, 0, probe_start_cb);
	hal_log(HAL_LOG_INFO, "transport.started", "type=%s onion_service=%s",
		t->probe_on ? "socks5" : "direct",
		tc->onion_mode == ILPD_ONION_MANAGED ? "managed" :
		tc->onion_mode == ILPD_ONION_EXTERNAL ? "external" :
		tc->onion_mode == ILPD_ONION_DIR ? "dir" : "off");
	return 0;
}

/* SIGTERM, wait, SIGKILL, wait: bounded by stop_timeout_ms + 2 s. */
static void daemon_stop(struct ilpd_transport *t)
{
	int64_t limit = t->conf.stop_timeout_ms > 0 ? t->conf.stop_timeout_ms : 10000;
	int st, code = 0;

	if (t->pid == HAL_PID_NONE)
		return;
	(void)hal_proc_signal(t->pid, HAL_PROC_TERM);
	st = hal_proc_wait_ms(t->pid, limit > 600000 ? 600000 : (int)limit, &code);
	if (st == HAL_PROC_RUNNING) {
		hal_log(HAL_LOG_WARN, "transport.daemon_kill", "pid=%ld waited_ms=%lld",
			(long)t->pid, (long long)limit);
		(void)hal_proc_signal(t->pid, HAL_PROC_KILL);
		st = hal_proc_wait_ms(t->pid, 2000, &code);
	}
	hal_log(HAL_LOG_INFO, "transport.daemon_stopped", "pid=%ld status=%s code=%d",
		(long)t->pid, st == HAL_PROC_SIGNALLED ? "signalled" :
		st == HAL_PROC_EXITED ? "exited" : "unknown", code);
	t->pid = HAL_PID_NONE;
}

void ilpd_transport_stop(struct ilpd_transport *t)
{
	if (!t->started)
		return;
	probe_close(t);
	ctl_close(t);
	timer_clear(t, &t->probe_next);
	timer_clear(t, &t->restart_timer);
	timer_clear(t, &t->onion_deadline);
	daemon_stop(t);
	memset(t->key, 0, sizeof(t->key));
	memset(t->conf.control_password, 0, sizeof(t->conf.control_password));
	t->started = false;
	t->probe_ok = false;
	t->bootstrapped = false;
	t->onion_state = ILPD_ONION_ST_OFF;
	t->onion_told = ILPD_ONION_ST_OFF;
	t->proxy_ok_told = false;
}

void ilpd_transport_proxy(const struct ilpd_transport *t, char ip[HAL_IP_STR_MAX],
			  uint16_t *port)
{
	copy_str(ip, HAL_IP_STR_MAX, t->proxy_ip);
	*port = t->proxy_port;
}

enum ilpd_onion_state ilpd_transport_onion_state(const struct ilpd_transport *t)
{
	return (enum ilpd_onion_state)t->onion_state;
}

const char *ilpd_onion_state_str(enum ilpd_onion_state s)
{
	switch (s) {
	case ILPD_ONION_ST_OFF: return "off";
	case ILPD_ONION_ST_STARTING: return "starting";
	case ILPD_ONION_ST_PUBLISHED: return "published";
	case ILPD_ONION_ST_FAILED: return "failed";
	}
	return "unknown";
}

const char *ilpd_transport_onion_url(const struct ilpd_transport *t)
{
	return t->onion_state == ILPD_ONION_ST_PUBLISHED ? t->onion_url : "";
}

void ilpd_transport_counters(const struct ilpd_transport *t,
			     struct ilpd_transport_counters *out)
{
	*out = t->n;
}

int64_t ilpd_transport_dial_deadline_ms(const struct ilpd_transport_conf *tc, bool onion,
					bool was_up, unsigned timeouts)
{
	int64_t full = onion ? tc->onion_connect_timeout_ms : tc->connect_timeout_ms;
	int64_t d = ILPD_ONION_REDIAL_MS;

	if (!onion || !was_up)
		return full;
	/* 10 s, 10 s (a second stale answer is common: see transport.h), then
	 * doubling */
	for (; timeouts > 1 && d < full; timeouts--)
		d *= 2;
	return d < full ? d : full;
}
