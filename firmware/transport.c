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

#include "transport_int.h"



/* ---- small helpers -------------------------------------------------------- */

int64_t tr_now_ms(void)
{
	return hal_mono_ms();
}

void tr_copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void tr_set_why(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || why_len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/* ASCII case-insensitive equality. */
bool tr_ieq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

int64_t tr_backoff_next(int64_t cur)
{
	if (cur < BACKOFF_MIN_MS)
		return BACKOFF_MIN_MS;
	return cur * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : cur * 2;
}

void tr_timer_set(struct ilpd_transport *t, int *id, int64_t delay,
		      ev_timer_cb cb)
{
	ev_timer_del(t->loop, *id);
	*id = ev_timer_add(t->loop, tr_now_ms() + delay, cb, t);
	if (*id < 0)
		hal_log(HAL_LOG_ERROR, "transport.timer_full", "what=transport");
}

void tr_timer_clear(struct ilpd_transport *t, int *id)
{
	if (*id >= 0)
		ev_timer_del(t->loop, *id);
	*id = -1;
}

/* "path/name" into out (HAL_PATH_MAX); false if too long. */
bool tr_join_path(char out[HAL_PATH_MAX], const char *dir, const char *name)
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
void tr_notify(struct ilpd_transport *t, const char *why)
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
	tr_notify(t, "onion timeout");
}

void tr_onion_set(struct ilpd_transport *t, enum ilpd_onion_state s,
		      const char *why)
{
	if (t->onion_state == s)
		return;
	if (s == ILPD_ONION_ST_STARTING && t->onion_state == ILPD_ONION_ST_FAILED)
		return;   /* still failing: keep FAILED until published */
	t->onion_state = (uint8_t)s;
	if (s == ILPD_ONION_ST_STARTING)
		tr_timer_set(t, &t->onion_deadline, t->conf.bootstrap_timeout_ms,
			  onion_deadline_cb);
	else if (s != ILPD_ONION_ST_FAILED)
		tr_timer_clear(t, &t->onion_deadline);
	if (s == ILPD_ONION_ST_PUBLISHED) {
		hal_log(HAL_LOG_INFO, "transport.hs_published", "mode=%u port=%u",
			(unsigned)t->conf.onion_mode, (unsigned)t->onion_port);
		hal_log(HAL_LOG_DEBUG, "transport.hs_url", "url=%s", t->onion_url);
	} else if (s == ILPD_ONION_ST_STARTING) {
		hal_log(HAL_LOG_INFO, "transport.hs_starting", "reason=\"%s\"", why);
	}
	tr_notify(t, why);
}

/* Records our onion as host = id + suffix and builds the URL. */
void tr_onion_known(struct ilpd_transport *t, const char *id, size_t idlen,
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
int tr_read_hostname(struct ilpd_transport *t, const char *dir)
{
	char path[HAL_PATH_MAX], buf[128];
	const char *dot;
	size_t n, i;
	bool ok = false;

	if (!tr_join_path(path, dir, "hostname") ||
	    hal_file_read(path, buf, sizeof(buf) - 1, &n) != HAL_PROC_OK)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	dot = memchr(buf, '.', n);
	if (dot == NULL || !torctl_id_valid(buf, (size_t)(dot - buf)))
		return -1;
	for (i = 0; i < t->conf.nsuffix; i++)
		ok = ok || tr_ieq(dot, t->conf.suffix[i]);
	if (t->conf.nsuffix == 0)
		ok = tr_ieq(dot, ".onion");
	if (!ok)
		return -1;
	tr_onion_known(t, buf, (size_t)(dot - buf), dot);
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
	tr_timer_clear(t, &t->probe_deadline);
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
	tr_notify(t, ok ? "" : why);
	tr_timer_set(t, &t->probe_next, t->conf.probe_interval_ms > 0 ?
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
void tr_probe_soon(struct ilpd_transport *t)
{
	if (!t->probe_on || !proxy_is_managed(t) || t->probe_state != ILPD_PROBE_IDLE)
		return;
	hal_log(HAL_LOG_DEBUG, "transport.probe_now", "reason=\"bootstrapped\"");
	tr_timer_set(t, &t->probe_next, 0, probe_start_cb);
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
	tr_timer_set(t, &t->probe_deadline, t->conf.probe_interval_ms > 0 &&
		  t->conf.probe_interval_ms < PROBE_TIMEOUT_MS ?
		  t->conf.probe_interval_ms : PROBE_TIMEOUT_MS, probe_deadline_cb);
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
	if (tr_join_path(out, t->conf.state_dir, "tor/version.out") &&
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
		tr_set_why(why, why_len, "state_dir and torrc_append must not contain "
			"blanks, quotes, backslashes or '#'");
		return -1;
	}
	if (!tr_join_path(path, c->state_dir, "tor") ||
	    (rc = hal_dir_private(c->state_dir)) != HAL_PROC_OK ||
	    (rc = hal_dir_private(path)) != HAL_PROC_OK) {
		tr_set_why(why, why_len, "state_dir %s: %s", c->state_dir,
			rc == HAL_PROC_PERM ? "must be owned by ilpd's user, mode 0700"
					    : hal_proc_strerror());
		return -1;
	}
	if (hal_proc_executable(c->tor_path) != HAL_PROC_OK) {
		tr_set_why(why, why_len, "tor_path %s: not an executable file",
			c->tor_path);
		return -1;
	}
	managed_check_pow(t);
	if (ilpd_torrc_build(t, torrc, sizeof(torrc), &len) != 0 ||
	    !tr_join_path(path, c->state_dir, "torrc") ||
	    hal_file_write_atomic(path, torrc, len, 0600) != HAL_PROC_OK) {
		tr_set_why(why, why_len, "cannot write %s/torrc: %s", c->state_dir,
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

	if (!tr_join_path(torrc, t->conf.state_dir, "torrc") ||
	    !tr_join_path(log, t->conf.state_dir, "tor/daemon.out"))
		return;
	argv[0] = t->conf.tor_path;
	argv[1] = "-f";
	argv[2] = torrc;
	argv[3] = "--ignore-missing-torrc";
	argv[4] = NULL;
	if (hal_proc_spawn(argv, log, &t->pid) != HAL_PROC_OK) {
		hal_log(HAL_LOG_WARN, "transport.daemon_spawn_failed", "reason=\"%s\"",
			hal_proc_strerror());
		t->restart_backoff_ms = tr_backoff_next(t->restart_backoff_ms);
		tr_timer_set(t, &t->restart_timer, t->restart_backoff_ms, restart_cb);
		return;
	}
	t->daemon_started_ms = tr_now_ms();
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
	int64_t ran = tr_now_ms() - t->daemon_started_ms;

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
	t->restart_backoff_ms = tr_backoff_next(t->restart_backoff_ms);
	tr_timer_set(t, &t->restart_timer, t->restart_backoff_ms, restart_cb);
	tr_onion_set(t, ILPD_ONION_ST_STARTING, "daemon exited");
	tr_notify(t, "managed daemon exited");
}

void ilpd_transport_tick(struct ilpd_transport *t)
{
	int64_t now;
	int st, code = 0;

	if (!t->started || t->pid == HAL_PID_NONE)
		return;
	now = tr_now_ms();
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
	if (tr_read_hostname(t, t->conf.hs_dir) == 0) {
		tr_onion_set(t, ILPD_ONION_ST_PUBLISHED, "hostname read");
		return;
	}
	hal_log(HAL_LOG_DEBUG, "transport.hs_dir_unreadable", "dir=%s", t->conf.hs_dir);
	t->ctl_backoff_ms = tr_backoff_next(t->ctl_backoff_ms);
	tr_timer_set(t, &t->ctl_timer, t->ctl_backoff_ms, dir_retry_cb);
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

	if (!tr_join_path(path, t->conf.state_dir, "onion_key"))
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
		tr_set_why(why, why_len, "%s: not an onion key (expected "
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
	tr_copy_str(t->btp_ip, sizeof(t->btp_ip), btp_ip);
	if (t->btp_ip[0] == '[') {        /* "[::1]" -> "::1" */
		size_t n = strlen(t->btp_ip);

		memmove(t->btp_ip, t->btp_ip + 1, n - 1);
		t->btp_ip[n >= 2 ? n - 2 : 0] = '\0';
	}
	t->btp_port = btp_port;
	t->onion_port = c->onion_port != 0 ? c->onion_port : btp_port;
	if (c->proxy_host[0] != '\0') {
		tr_copy_str(t->proxy_ip, sizeof(t->proxy_ip),
			 tr_ieq(c->proxy_host, "localhost") ? "127.0.0.1" : c->proxy_host);
		t->proxy_port = c->proxy_port;
	} else {
		tr_copy_str(t->proxy_ip, sizeof(t->proxy_ip), "127.0.0.1");
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
		tr_onion_set(t, ILPD_ONION_ST_STARTING, "start");
		daemon_spawn(t);
		return 0;
	case ILPD_ONION_EXTERNAL:
		if (hal_dir_private(t->conf.state_dir) != HAL_PROC_OK) {
			tr_set_why(why, why_len, "state_dir %s: %s", t->conf.state_dir,
				"cannot create it, or it is not private (mode 0700)");
			return -1;
		}
		if (load_key(t, why, why_len) != 0)
			return -1;
		tr_onion_set(t, ILPD_ONION_ST_STARTING, "start");
		ctl_schedule(t, 0);
		return 0;
	case ILPD_ONION_DIR:
		tr_onion_set(t, ILPD_ONION_ST_STARTING, "start");
		dir_read(t);
		return 0;
	}
	tr_set_why(why, why_len, "unknown onion_service mode %u", (unsigned)t->conf.onion_mode);
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
		tr_timer_set(t, &t->probe_next, 0, probe_start_cb);
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
	tr_timer_clear(t, &t->probe_next);
	tr_timer_clear(t, &t->restart_timer);
	tr_timer_clear(t, &t->onion_deadline);
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
	tr_copy_str(ip, HAL_IP_STR_MAX, t->proxy_ip);
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
