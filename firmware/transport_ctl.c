/*
 * transport_ctl.c - the transport's control-port connection to tor/anon
 * (transport.h): connect, authenticate (SAFECOOKIE, cookie, password),
 * wait for bootstrap, ADD_ONION with the saved key (external mode) and
 * save a new one, NEWNYM, and the reply/event parsing through the torctl
 * engine (net/torctl.h). The rules are in the notes at the top of
 * transport.c; what the two files share is in transport_int.h.
 * Memory: none of its own (struct ilpd_transport holds the buffers).
 */
#include <stdio.h>
#include <string.h>

#include "hal/hal_crypto.h"
#include "hal/hal_log.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"

#include "transport_int.h"

/* ---- control connection: plumbing --------------------------------------- */

void ctl_close(struct ilpd_transport *t)
{
	if (t->ctl_io >= 0)
		ev_io_del(t->loop, t->ctl_io);
	t->ctl_io = -1;
	if (t->ctl_fd != HAL_FD_NONE)
		hal_close(t->ctl_fd);
	t->ctl_fd = HAL_FD_NONE;
	tr_timer_clear(t, &t->ctl_timer);
	tr_timer_clear(t, &t->ctl_watchdog);
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

void ctl_schedule(struct ilpd_transport *t, int64_t delay)
{
	tr_timer_set(t, &t->ctl_timer, delay, ctl_connect_cb);
}

/* The connection failed or broke: close and come back later. An
 * established (authenticated) connection counts as a reconnect; the
 * external onion lived on it and must be added again. */
void ctl_lost(struct ilpd_transport *t, const char *why)
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
		tr_onion_set(t, ILPD_ONION_ST_STARTING, why);
		t->ctl_backoff_ms = tr_backoff_next(t->ctl_backoff_ms);
		ctl_schedule(t, t->ctl_backoff_ms);
		return;
	}
	/* managed: the daemon's own service survives; reconnect while the
	 * daemon runs (its exit is handled by the supervisor) */
	if (t->pid != HAL_PID_NONE) {
		t->ctl_backoff_ms = tr_backoff_next(t->ctl_backoff_ms);
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
	tr_timer_set(t, &t->ctl_watchdog, CTL_REPLY_MS, ctl_watchdog_cb);
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
		if (!tr_join_path(path, t->conf.state_dir, "tor/control_auth_cookie")) {
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

	if (!tr_join_path(path, t->conf.state_dir, "onion_key"))
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
			tr_notify(t, "cannot save onion key");
			ctl_lost(t, "cannot save the onion key");
			return;
		}
		tr_copy_str(t->key, sizeof(t->key), t->added.key);
	}
	memset(t->added.key, 0, sizeof(t->added.key));
	tr_onion_known(t, t->added.id, strlen(t->added.id), ".onion");
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
void ctl_idle(struct ilpd_transport *t)
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
		tr_timer_set(t, &t->ctl_timer, BOOT_POLL_MS, boot_poll_cb);
		return;
	}
	if (!t->bootstrapped) {
		t->bootstrapped = true;
		hal_log(HAL_LOG_INFO, "transport.bootstrapped", "progress=100");
		tr_probe_soon(t);
		tr_notify(t, "");
	}
	if (t->onion_id[0] == '\0' && tr_join_path(dir, t->conf.state_dir, "onion_service"))
		(void)tr_read_hostname(t, dir);
	ctl_idle(t);
}

/* The next command after a successful reply (or a bootstrap poll). */
void ctl_send_next(struct ilpd_transport *t)
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

	tr_timer_clear(t, &t->ctl_watchdog);
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
			tr_onion_set(t, ILPD_ONION_ST_STARTING, "control command refused");
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
	    tr_join_path(dir, t->conf.state_dir, "onion_service"))
		(void)tr_read_hostname(t, dir);
	if (t->onion_id[0] == '\0' || strcmp(ev.address, t->onion_id) != 0)
		return;
	if (ev.action == TORCTL_HS_UPLOADED)
		tr_onion_set(t, ILPD_ONION_ST_PUBLISHED, "descriptor uploaded");
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

void ctl_connect_cb(struct ev_loop *loop, int id, void *arg)
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
	tr_timer_set(t, &t->ctl_watchdog, CTL_REPLY_MS, ctl_watchdog_cb);
}
