/*
 * transport.h - the transport manager (issue 4): the SOCKS5 proxy's health
 * probe, the managed tor/anon daemon, the control-port connection and the
 * onion service that makes ilpd reachable as ws://<id>.onion:<port>.
 *
 * One static instance lives in firmware/main.c and runs inside the event
 * loop. Nothing here blocks the loop except ilpd_transport_stop() (bounded
 * by stop_timeout_ms) and, managed, ilpd_transport_start() (it runs
 * `tor_path --version` once, bounded by 3 s, to know whether the torrc may
 * enable the onion service's proof-of-work defence: tor 0.4.8 and later).
 * Modes (struct ilpd_transport_conf, firmware/config.h):
 *  - type = socks5: a probe connects to the proxy at start and every
 *    probe_interval_ms, sends the SOCKS5 greeting 05 01 00 and expects
 *    05 xx within a few seconds; proxy_ok is "the last probe answered" (and,
 *    when the proxy is the managed daemon, "that daemon has bootstrapped";
 *    the probe then also runs as soon as the daemon reaches bootstrap 100%,
 *    and its result is forgotten when the daemon exits).
 *  - onion_service = managed: ilpd writes <state_dir>/torrc, starts tor_path
 *    on it, supervises it (restart with backoff 1 s .. 60 s), authenticates
 *    on its control port with the cookie, polls bootstrap and waits for
 *    HS_DESC UPLOADED of the service in <state_dir>/onion_service.
 *  - onion_service = external: control connection to control_host:port,
 *    PROTOCOLINFO, AUTHENTICATE (cookie or password; with a cookie and a
 *    daemon that offers SAFECOOKIE, AUTHCHALLENGE first: the daemon must
 *    prove it knows the cookie before ilpd answers with an HMAC of it, and
 *    the cookie itself is never sent), SETEVENTS HS_DESC,
 *    ADD_ONION with the key kept in <state_dir>/onion_key (created 0600 from
 *    the first ADD_ONION NEW), then HS_DESC UPLOADED. The onion lives as long
 *    as the control connection: on loss it is re-added after reconnecting.
 *  - onion_service = dir: the id is read from <hs_dir>/hostname.
 *
 * Logging: events transport.* (docs/ilpd.8); the onion service's are
 * transport.hs_* ("hidden service"): an event named transport.onion_* would
 * be mangled by hal_log's redaction, which treats "transport.onion" as an
 * onion host name. Onion ids and URLs appear only at DEBUG; control
 * passwords, cookies and keys never.
 *
 * Memory: sizeof(struct ilpd_transport) is 5,376 bytes on 64-bit (a copy
 * of the configuration, 2,024; the control reply reader, 1,056; the
 * command buffer, 1,038; SAFECOOKIE state, 144); static, no heap. It uses 2 I/O watchers and up
 * to 5 timers of the event loop.
 */
#ifndef ILPD_TRANSPORT_H
#define ILPD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hal/hal_net.h"
#include "hal/hal_proc.h"
#include "net/ev.h"
#include "net/torctl.h"

enum ilpd_onion_state {
	ILPD_ONION_ST_OFF = 0,        /* no onion service configured */
	ILPD_ONION_ST_STARTING,       /* daemon / control / publication under way */
	ILPD_ONION_ST_PUBLISHED,      /* descriptor uploaded (dir: hostname read) */
	ILPD_ONION_ST_FAILED          /* not published within bootstrap_timeout_ms
				       * (still trying) */
};

/* Control connection states (ILPD_CTL_WANT_*: a command is in flight). */
enum ilpd_ctl_state {
	ILPD_CTL_IDLE = 0,            /* closed; a retry timer may be armed */
	ILPD_CTL_CONNECTING,
	ILPD_CTL_WANT_PROTOCOLINFO,
	ILPD_CTL_WANT_AUTHCHALLENGE,  /* SAFECOOKIE: the server's proof */
	ILPD_CTL_WANT_AUTH,
	ILPD_CTL_WANT_SETEVENTS,
	ILPD_CTL_WANT_BOOTSTRAP,
	ILPD_CTL_WANT_ADD_ONION,
	ILPD_CTL_WANT_SIGNAL,         /* SIGNAL NEWNYM (ilpd_transport_newnym) */
	ILPD_CTL_READY                /* authenticated, nothing in flight */
};

enum ilpd_probe_state {
	ILPD_PROBE_IDLE = 0,
	ILPD_PROBE_CONNECTING,
	ILPD_PROBE_WANT_REPLY
};

/* Counters for /metrics. */
struct ilpd_transport_counters {
	uint64_t daemon_restarts;     /* managed daemon started again */
	uint64_t probe_failures;      /* proxy probes not answered */
	uint64_t control_reconnects;  /* established control connections lost */
};

struct ilpd_transport {
	struct ilpd_transport_conf conf;      /* copied at start */
	struct ev_loop *loop;
	bool started;
	char btp_ip[HAL_IP_STR_MAX];          /* onion target (never 0.0.0.0) */
	uint16_t btp_port;
	uint16_t onion_port;                  /* conf.onion_port or btp_port */
	void (*on_change)(void *);
	void *user;
	struct ilpd_transport_counters n;

	/* proxy and its probe */
	char proxy_ip[HAL_IP_STR_MAX];
	uint16_t proxy_port;
	bool probe_on;                        /* type = socks5 */
	bool probe_ok;                        /* the last probe answered */
	bool proxy_ok_told;                   /* proxy_ok as last notified */
	uint8_t probe_state;                  /* enum ilpd_probe_state */
	hal_fd probe_fd;
	int probe_io;
	int probe_deadline;                   /* timer: probe gives up */
	int probe_next;                       /* timer: next probe */
	uint8_t probe_rx[2];
	size_t probe_rxn;
	size_t probe_txoff;
	const char *probe_why;                /* last failure (static text) */

	/* managed daemon */
	hal_pid pid;
	int64_t daemon_started_ms;
	int64_t restart_backoff_ms;
	int restart_timer;
	int64_t next_reap_ms;

	/* control connection */
	uint8_t ctl_state;                    /* enum ilpd_ctl_state */
	hal_fd ctl_fd;
	int ctl_io;
	int ctl_timer;                        /* retry, bootstrap poll, dir retry */
	int ctl_watchdog;                     /* timer: reply overdue */
	int64_t ctl_backoff_ms;
	bool ctl_authed;                      /* this connection authenticated */
	bool reply_bad;                       /* a line of this reply was malformed */
	bool have_boot;
	bool bootstrapped;
	int progress;
	struct torctl_reader rd;
	struct torctl_protocolinfo pi;
	struct torctl_onion added;
	const char *auth_method;              /* "safecookie" "cookie" "password" */
	uint8_t cookie[TORCTL_COOKIE_LEN];    /* SAFECOOKIE in flight (secret:
					       * wiped after the check and at
					       * close) */
	uint8_t cnonce[TORCTL_NONCE_LEN];     /* our AUTHCHALLENGE nonce */
	struct torctl_challenge chal;         /* tor's SERVERHASH / SERVERNONCE */
	bool have_chal;
	char out[TORCTL_CMD_MAX];             /* command being sent (may hold a
					       * secret: wiped once sent) */
	size_t out_len;
	size_t out_off;
	char key[TORCTL_KEY_MAX + 1];         /* external: the onion key (secret) */

	/* onion service */
	uint8_t onion_state;                  /* enum ilpd_onion_state */
	uint8_t onion_told;                   /* onion_state as last notified */
	int onion_deadline;                   /* timer: bootstrap_timeout_ms */
	char onion_id[TORCTL_ID_MAX + 1];     /* "" until known */
	char onion_host[TORCTL_ID_MAX + ILPD_ONION_SUFFIX_LEN + 1];
	char onion_url[TORCTL_ID_MAX + ILPD_ONION_SUFFIX_LEN + 16];
	bool newnym_pending;                  /* SIGNAL NEWNYM once READY */
	bool pow;                             /* managed: the torrc enables the
					       * proof-of-work defence */
};

/* Starts what tc asks for, from the event loop `loop`: nothing for
 * type=direct without onion service; the proxy probe for type=socks5; the
 * managed daemon / control connection / hs_dir read for the onion modes.
 * btp_ip/btp_port: where the BTP listener is (the onion maps onion_port ->
 * btp_ip:btp_port; 0.0.0.0 or :: means 127.0.0.1). on_change(user) is
 * called whenever proxy_ok or the onion state changes (the daemon then
 * redials). 0, or -1 with a reason in why (state_dir unusable, tor_path not
 * executable, cannot write torrc, onion_key unreadable). *tc is copied. */
int ilpd_transport_start(struct ilpd_transport *t, struct ev_loop *loop,
			 const struct ilpd_transport_conf *tc, const char *btp_ip,
			 uint16_t btp_port, void (*on_change)(void *), void *user,
			 char *why, size_t why_len);

/* Called from the main loop every iteration (cheap: a waitpid at most
 * every 200 ms): reaps and supervises the managed child. */
void ilpd_transport_tick(struct ilpd_transport *t);

/* Stops the managed daemon (SIGTERM, then SIGKILL after stop_timeout_ms),
 * closes the control connection and the probe, cancels every timer.
 * Blocks up to stop_timeout_ms (+2 s after a SIGKILL). Safe to call more
 * than once, and on a manager never started. */
void ilpd_transport_stop(struct ilpd_transport *t);

/* The last probe answered (and the managed daemon, if it is the proxy, is
 * running and bootstrapped). false for type=direct. */
bool ilpd_transport_proxy_ok(const struct ilpd_transport *t);

/* Where outbound SOCKS connects go (numeric ip + port): tc->proxy_host:
 * proxy_port ("localhost" as 127.0.0.1), or the managed daemon's
 * 127.0.0.1:socks_port. */
void ilpd_transport_proxy(const struct ilpd_transport *t, char ip[HAL_IP_STR_MAX],
			  uint16_t *port);

enum ilpd_onion_state ilpd_transport_onion_state(const struct ilpd_transport *t);

/* "off" "starting" "published" "failed". */
const char *ilpd_onion_state_str(enum ilpd_onion_state s);

/* "ws://<id>.onion:<onion_port>" once published, else "". Log it at DEBUG
 * only. */
const char *ilpd_transport_onion_url(const struct ilpd_transport *t);

/* torrc.c: paths go into the torrc unquoted, so one with blanks, quotes,
 * backslashes, '#' or control bytes is refused. */
bool ilpd_torrc_path_ok(const char *p);

/* torrc.c: the managed daemon's torrc for t into out[cap]; 0 and *len, or
 * -1 if it does not fit. */
int ilpd_torrc_build(const struct ilpd_transport *t, char *out, size_t cap, size_t *len);

/* "Tor version A.B.C[.D]" (a line of `tor --version`) anywhere at a line
 * start in text[0..n) into v (D = 0 when absent): 0, or -1 when there is
 * no such line (another program, anon, garbage). Pure. */
int ilpd_transport_tor_version(const char *text, size_t n, unsigned v[4]);

/* Whether tor version v knows HiddenServicePoWDefensesEnabled (0.4.8 and
 * later). */
bool ilpd_transport_tor_has_pow(const unsigned v[4]);

/* First deadline of a redial to an onion after its link was up (ms). */
#define ILPD_ONION_REDIAL_MS 10000

/* The deadline of one dial through the proxy (TCP connect + SOCKS5
 * exchange, until the proxy says "connected"), in ms. Clearnet hosts:
 * connect_timeout_ms. Onion hosts never reached yet (was_up false):
 * onion_connect_timeout_ms, since a cold onion circuit (descriptor fetch,
 * introduction, rendezvous) can take tens of seconds. Onion hosts whose
 * link was up before (a redial after a drop): ILPD_ONION_REDIAL_MS,
 * doubled for each of the `timeouts` dials since the link was last up that
 * ran into their deadline, from the second one on (10, 10, 20, 40, 80 s
 * ...), never above onion_connect_timeout_ms. After a drop (typically:
 * one side's tor restarted) the local tor may still use the service's old
 * descriptor: an introduction point that has not yet seen the old
 * service's circuit die acknowledges the request, and tor then waits for a
 * rendezvous that never comes, without answering the SOCKS request (until
 * its own SocksTimeout, 120 s). Seen on the private network for the first
 * redial and sometimes the second. The short deadlines, and the fresh
 * SOCKS credentials the daemon uses for every attempt (a new circuit
 * isolation), bound that wait. Pure: no clock, no I/O. */
int64_t ilpd_transport_dial_deadline_ms(const struct ilpd_transport_conf *tc, bool onion,
					bool was_up, unsigned timeouts);

/* A dial to an onion whose link was up ran into its deadline: the proxy
 * may hold stale state for that service (an old descriptor whose
 * introduction points still answer). With a control connection to the
 * proxy's daemon (managed, external), sends SIGNAL NEWNYM once it is idle:
 * tor then forgets its onion-service client state (descriptors,
 * introduction-point failures) and new streams get new circuits, so the
 * next redial fetches the service's current descriptor. tor rate-limits
 * NEWNYM itself. Logged as transport.newnym. No-op otherwise. */
void ilpd_transport_newnym(struct ilpd_transport *t);

/* Copies the counters. */
void ilpd_transport_counters(const struct ilpd_transport *t,
			     struct ilpd_transport_counters *out);

#endif /* ILPD_TRANSPORT_H */
