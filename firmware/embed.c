/*
 * embed.c - the embedded C API (include/ilpd.h, libilpd.a): the connector
 * that boot.c runs, driven by the application's code instead of main.c.
 * Local delivery and sends go through the local account (local.h); this
 * file only converts between ilpd.h's plain structs and ILP packets.
 *
 * Memory (static, no heap): the INI text built from settings
 * (ILPD_EMBED_INI_MAX, 16 KiB), one Prepare being built
 * (ILP_PREPARE_MAX_SIZE), and EMBED_SENDS send slots of two pointers each.
 * Rules: single-threaded like the daemon; one connector per process.
 */
#include "ilpd.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "admin_ini.h"
#include "boot.h"
#include "config.h"
#include "daemon.h"
#include "durable.h"
#include "hal/hal_crypto.h"
#include "hal/hal_log.h"
#include "hal/hal_time.h"
#include "ilp/ilp_packet.h"
#include "local.h"

#ifndef ILPD_EMBED_INI_MAX
#define ILPD_EMBED_INI_MAX 16384
#endif

/* Sends in flight at once (each waits for its Fulfill or Reject). */
#define EMBED_SENDS 64

#define EMBED_DEFAULT_EXPIRY_MS 30000

enum embed_state { EMBED_IDLE, EMBED_RUNNING, EMBED_FINISHED };

struct embed_send {
	ilpd_send_done done;
	void *user;
	bool used;
};

static enum embed_state embed_state;
static char embed_ini[ILPD_EMBED_INI_MAX];
static uint8_t embed_pkt[ILP_PREPARE_MAX_SIZE];
static struct embed_send embed_sends[EMBED_SENDS];
static ilpd_packet_handler embed_handler;
static void *embed_handler_user;
static char embed_addr[ILPD_ADDRESS_MAX + 1];

static void embed_err(char *err, size_t cap, const char *what, const char *a)
{
	if (err != NULL && cap > 0)
		snprintf(err, cap, "%s%s", what, a);
}

/* Starts the connector on the configuration loaded into ilpd_boot_conf(). */
static int embed_start(char *err, size_t errcap)
{
	const struct ilpd_conf *c = ilpd_boot_conf();
	struct hal_log_cfg lc = { c->log_level, c->log_stderr, c->log_syslog };
	int r;

	hal_log_setup(&lc);
	hal_log_set_onion_suffixes(c->transport.suffix, c->transport.nsuffix);
	r = ilpd_boot_start(c, false);
	if (r != 0) {
		bool state = r == ILPD_EXIT_STATE;

		embed_err(err, errcap, state ? ilpd_boot_daemon()->dur.why :
			  "network, listener or transport failed to start (see the log)", "");
		return state ? ILPD_E_STATE : ILPD_E_START;
	}
	embed_state = EMBED_RUNNING;
	if (embed_handler != NULL)
		return ilpd_set_packet_handler(embed_handler, embed_handler_user);
	return 0;
}

/* After the configuration: admin.ini (peers and routes the admin API
 * made, admin_ini.h) on top, as the daemon loads it; then the start. */
static int embed_loaded(int r, const struct ilpd_conf_err *e, const char *name,
			char *err, size_t errcap)
{
	struct ilpd_conf_err ae;
	bool present;

	if (r != 0) {
		if (err != NULL && errcap > 0)
			snprintf(err, errcap, "%s:%d: %s", name, e->line, e->msg + e->text);
		return ILPD_E_CONFIG;
	}
	if (ilpd_admin_ini_load(ilpd_boot_conf(), &present, &ae) != 0) {
		char path[ILPD_CONF_PATH_MAX + 16];

		if (ilpd_admin_ini_path(ilpd_boot_conf(), path, sizeof(path)) != 0)
			strcpy(path, "admin.ini");
		if (err != NULL && errcap > 0)
			snprintf(err, errcap, "%s:%d: %s", path, ae.line, ae.msg + ae.text);
		return ILPD_E_CONFIG;
	}
	return embed_start(err, errcap);
}

int ilpd_start_file(const char *path, char *err, size_t errcap)
{
	struct ilpd_conf_err e;

	if (embed_state != EMBED_IDLE || path == NULL) {
		embed_err(err, errcap, embed_state != EMBED_IDLE ? "already started (one "
			  "connector per process, started once)" : "no configuration file", "");
		return ILPD_E_ARG;
	}
	return embed_loaded(ilpd_conf_load_file(ilpd_boot_conf(), path, &e), &e,
			    path, err, errcap);
}

/* Appends s to the INI text; false when it does not fit, or when s is the
 * caller's text (user) and holds a line break, which would inject a line. */
static bool embed_put(size_t *len, const char *s, bool user)
{
	size_t n = strlen(s);

	if ((user && strpbrk(s, "\r\n") != NULL) || n >= sizeof(embed_ini) - *len)
		return false;
	memcpy(embed_ini + *len, s, n);
	*len += n;
	embed_ini[*len] = 0;
	return true;
}

/* The setting on line `line` of the INI text built from s (a section
 * header line counts as its first setting), or n. */
static size_t embed_setting_at(const struct ilpd_setting *s, size_t n, int line)
{
	const char *section = NULL;
	int l = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (section == NULL || strcmp(section, s[i].section) != 0) {
			section = s[i].section;
			if (++l == line)
				return i;
		}
		if (++l == line)
			return i;
	}
	return n;
}

int ilpd_start_settings(const struct ilpd_setting *s, size_t n, char *err,
			size_t errcap)
{
	const char *section = NULL;
	struct ilpd_conf_err e;
	size_t len = 0, i;

	if (embed_state != EMBED_IDLE || (s == NULL && n > 0)) {
		embed_err(err, errcap, embed_state != EMBED_IDLE ? "already started (one "
			  "connector per process, started once)" : "settings is NULL", "");
		return ILPD_E_ARG;
	}
	embed_ini[0] = 0;
	for (i = 0; i < n; i++) {
		bool ok = true;

		if (s[i].section == NULL || s[i].key == NULL || s[i].value == NULL) {
			embed_err(err, errcap, "a setting has a NULL section, key or value", "");
			return ILPD_E_ARG;
		}
		/* Settings of one section are consecutive: a new name opens it. */
		if (section == NULL || strcmp(section, s[i].section) != 0) {
			section = s[i].section;
			ok = embed_put(&len, "[", false) && embed_put(&len, section, true) &&
			     embed_put(&len, "]\n", false);
		}
		ok = ok && embed_put(&len, s[i].key, true) && embed_put(&len, " = ", false) &&
		     embed_put(&len, s[i].value, true) && embed_put(&len, "\n", false);
		if (!ok) {
			embed_err(err, errcap, "a line break in a setting, or the settings "
				  "exceed 16 KiB, at key ", s[i].key);
			return ILPD_E_ARG;
		}
	}
	if (ilpd_conf_load_string(ilpd_boot_conf(), "(settings)", embed_ini, &e) != 0) {
		/* "settings[i]: message": the caller's array index, not a line of
		 * the text built from it; whole-file rules name no setting */
		size_t at = embed_setting_at(s, n, e.line);

		if (err != NULL && errcap > 0) {
			if (at < n)
				snprintf(err, errcap, "settings[%zu] [%s] %s: %s", at,
					 s[at].section, s[at].key, e.msg + e.text);
			else
				snprintf(err, errcap, "settings: %s", e.msg + e.text);
		}
		return ILPD_E_CONFIG;
	}
	return embed_loaded(0, &e, "(settings)", err, errcap);
}

/* ---- local delivery ------------------------------------------------------ */

static void embed_deliver(void *ctx, struct ilpd_daemon *d, uint32_t id,
			  const uint8_t *prepare, size_t n)
{
	struct ilp_prepare p;
	struct ilpd_packet pk;

	(void)ctx;
	if (ilp_prepare_decode(prepare, n, &p, NULL) != ILP_OK) {
		/* The switch decoded it before: our bug if this happens. */
		(void)ilpd_local_reject(d, id, "T00", "internal error", NULL, 0);
		return;
	}
	memset(&pk, 0, sizeof(pk));
	pk.id = id;
	pk.destination = (const char *)p.destination;
	pk.destination_len = p.destination_len;
	pk.amount = p.amount;
	pk.expires_at_ms = p.expires_at;
	pk.condition = p.condition;
	pk.data = p.data;
	pk.data_len = p.data_len;
	if (embed_handler != NULL)
		embed_handler(embed_handler_user, &pk);
	else
		(void)ilpd_local_reject(d, id, "F02", "no packet handler", NULL, 0);
}

int ilpd_set_packet_handler(ilpd_packet_handler h, void *user)
{
	struct ilpd_daemon *d = ilpd_boot_daemon();

	embed_handler = h;
	embed_handler_user = user;
	if (embed_state != EMBED_RUNNING)
		return 0;   /* installed by ilpd_start_*() */
	if (h == NULL) {
		ilpd_local_set_handler(d, NULL, NULL);
		return 0;
	}
	if (ilpd_local_enable(d) != 0)
		return ILPD_E_FULL;
	ilpd_local_set_handler(d, embed_deliver, NULL);
	return 0;
}

static int embed_answer_err(int r)
{
	if (r == ILP_ERR_NOT_FOUND)
		return ILPD_E_GONE;
	return r == 0 ? 0 : ILPD_E_ARG;
}

int ilpd_accept(uint32_t id, const uint8_t *data, size_t n)
{
	if (embed_state != EMBED_RUNNING || (data == NULL && n > 0))
		return ILPD_E_ARG;
	return embed_answer_err(ilpd_local_accept(ilpd_boot_daemon(), id, data, n));
}

/* An ILP error code: a class letter (F final, T temporary, R relative)
 * and two digits or capitals, as RFC 0027 lists them ("F99", "T04"). */
static bool embed_code_ok(const char *c)
{
	int i;

	if (c == NULL || strlen(c) != 3 || (c[0] != 'F' && c[0] != 'T' && c[0] != 'R'))
		return false;
	for (i = 1; i < 3; i++)
		if (!((c[i] >= '0' && c[i] <= '9') || (c[i] >= 'A' && c[i] <= 'Z')))
			return false;
	return true;
}

int ilpd_reject(uint32_t id, const char *code, const char *message)
{
	if (embed_state != EMBED_RUNNING || !embed_code_ok(code))
		return ILPD_E_ARG;
	return embed_answer_err(ilpd_local_reject(ilpd_boot_daemon(), id, code,
						  message != NULL ? message : "", NULL, 0));
}

/* ---- sending ------------------------------------------------------------- */

static void embed_sent(void *ctx, const uint8_t *reply, size_t n)
{
	struct embed_send *s = ctx;
	struct ilpd_result r;
	struct ilp_fulfill f;
	struct ilp_reject j;
	ilpd_send_done done = s->done;
	void *user = s->user;

	s->used = false;
	memset(&r, 0, sizeof(r));
	if (n > 0 && reply[0] == ILP_TYPE_FULFILL &&
	    ilp_fulfill_decode(reply, n, &f, NULL) == ILP_OK) {
		r.accepted = true;
		memcpy(r.fulfillment, f.fulfillment, sizeof(r.fulfillment));
		r.data = f.data;
		r.data_len = f.data_len;
	} else if (ilp_reject_decode(reply, n, &j, NULL) == ILP_OK) {
		memcpy(r.code, j.code, 3);
		r.message = (const char *)j.message;
		r.message_len = j.message_len;
		r.triggered_by = (const char *)j.triggered_by;
		r.triggered_by_len = j.triggered_by_len;
		r.data = j.data;
		r.data_len = j.data_len;
	} else {
		memcpy(r.code, "T00", 3);   /* the switch checked it: never seen */
	}
	done(user, &r);
}

int ilpd_send_packet(const char *destination, uint64_t amount,
		     const uint8_t *data, size_t data_len,
		     const uint8_t *condition, int64_t expires_in_ms,
		     ilpd_send_done done, void *user)
{
	struct ilpd_daemon *d = ilpd_boot_daemon();
	uint8_t ful[HAL_SHA256_LEN], cond[HAL_SHA256_LEN];
	struct ilp_prepare p;
	struct embed_send *s = NULL;
	size_t n, i;
	int r;

	if (embed_state != EMBED_RUNNING || destination == NULL || done == NULL ||
	    (data == NULL && data_len > 0) || expires_in_ms < 0)
		return ILPD_E_ARG;
	for (i = 0; i < EMBED_SENDS && s == NULL; i++)
		if (!embed_sends[i].used)
			s = &embed_sends[i];
	if (s == NULL)
		return ILPD_E_FULL;
	if (condition == NULL) {
		hal_sha256(data, data_len, ful);
		hal_sha256(ful, sizeof(ful), cond);
		condition = cond;
	}
	memset(&p, 0, sizeof(p));
	p.amount = amount;
	p.expires_at = hal_wall_ms() +
		       (expires_in_ms > 0 ? expires_in_ms : EMBED_DEFAULT_EXPIRY_MS);
	p.condition = condition;
	p.destination = (const uint8_t *)destination;
	p.destination_len = strlen(destination);
	p.data = data;
	p.data_len = data_len;
	if (ilp_prepare_encode(&p, embed_pkt, sizeof(embed_pkt), &n) != ILP_OK)
		return ILPD_E_ARG;
	if (ilpd_local_enable(d) != 0)
		return ILPD_E_FULL;
	s->done = done;
	s->user = user;
	s->used = true;
	r = ilpd_local_send(d, embed_pkt, n, embed_sent, s);
	if (r != 0) {
		s->used = false;
		return r == ILP_ERR_FULL ? ILPD_E_FULL : ILPD_E_ARG;
	}
	return 0;
}

/* ---- the loop ------------------------------------------------------------- */

void ilpd_step(int max_wait_ms)
{
	if (embed_state == EMBED_RUNNING)
		ilpd_boot_step(max_wait_ms);
}

size_t ilpd_fds(struct ilpd_pollfd *out, size_t cap, int *timeout_ms)
{
	const struct ev_loop *l = &ilpd_boot_daemon()->loop;
	size_t n = 0, i;

	if (timeout_ms != NULL) {
		int64_t wait = l->next_due == INT64_MAX ? 1000 : l->next_due - hal_mono_ms();

		*timeout_ms = wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait;
	}
	if (embed_state != EMBED_RUNNING)
		return 0;
	for (i = 0; i < ILPD_EV_MAX_IO; i++) {
		const struct ev_io *io = &l->io[i];

		if (!io->used || io->want == 0)
			continue;
		if (n < cap && out != NULL) {
			out[n].fd = io->fd;
			out[n].events = (short)(((io->want & HAL_POLL_IN) ? POLLIN : 0) |
						((io->want & HAL_POLL_OUT) ? POLLOUT : 0));
		}
		n++;
	}
	return n;
}

/* ---- state ----------------------------------------------------------------- */

const char *ilpd_address(void)
{
	const struct ilp_switch *sw = &ilpd_boot_daemon()->sw;
	size_t n = sw->cfg.address_len;

	if (n > ILPD_ADDRESS_MAX)
		n = 0;
	memcpy(embed_addr, sw->address, n);
	embed_addr[n] = 0;
	return embed_addr;
}

int ilpd_balance(const char *peer, int64_t *balance)
{
	const struct ilp_switch *sw = &ilpd_boot_daemon()->sw;
	size_t i;

	if (embed_state != EMBED_RUNNING || peer == NULL || balance == NULL)
		return ILPD_E_ARG;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if (sw->peers[i].used && !sw->peers[i].retired &&
		    strcmp(sw->peers[i].cfg.name, peer) == 0) {
			*balance = sw->ledger.slot[i].balance;
			return 0;
		}
	}
	return ILPD_E_ARG;
}

void ilpd_stop(int grace_ms)
{
	if (embed_state == EMBED_RUNNING && !ilpd_boot_daemon()->stopping)
		ilpd_daemon_stop(ilpd_boot_daemon(), grace_ms < 0 ? 0 : grace_ms);
}

bool ilpd_done(void)
{
	return embed_state != EMBED_RUNNING || ilpd_daemon_done(ilpd_boot_daemon());
}

void ilpd_finish(void)
{
	if (embed_state != EMBED_RUNNING)
		return;
	ilpd_boot_finish();
	embed_state = EMBED_FINISHED;
}
