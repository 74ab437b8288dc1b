/*
 * daemon.h - the running connector: BTP peer links over WebSocket, the
 * packet switch, the admin HTTP endpoints, and graceful shutdown.
 *
 * Memory: struct ilpd_daemon is the switch + ILPD_MAX_CONNS connections
 * (each a struct wsconn with its buffers) + the admin connections + the
 * durable ledger (struct ilpd_durable: the state area's buffers), and with
 * TLS built in one struct tls_conn per connection slot and two struct
 * tls_config; main.c holds exactly one, statically (see the memory map).
 * No heap.
 *
 * TLS: outbound peers with a wss:// url dial over TLS (server name
 * tls_server_name or the URL host; tls_pin replaces chain and name checks);
 * with [btp] tls = on every inbound connection is TLS. A failed handshake
 * is logged as peer.tls_failed (outbound, WARN) or conn.tls_failed
 * (inbound, INFO) with the engine's reason, and an outbound link redials
 * with its normal backoff.
 *
 * Threading: single-threaded; everything runs from ilpd_daemon_step().
 *
 * Links and connections. Every configured peer is a link (same index as
 * its switch peer and ledger slot; not necessarily its index in the
 * configuration, since a reload adds and removes peers). Each link holds
 * its own copy of its peer's settings. A link is up when it has an
 * authenticated connection. Outbound links (url set) dial with jittered
 * exponential backoff that never gives up; inbound links wait for the peer
 * to dial the BTP listener and authenticate with its token. A connection
 * comes from a fixed pool; an inbound one belongs to no link until its
 * first frame authenticates it (within auth_timeout_ms of its accept).
 *
 * Floods. A new inbound connection first waits in the BTP lobby
 * (net/lobby.h) and takes a connection slot only when it sends its first
 * byte. Connections that have not authenticated may hold every slot not
 * needed by a configured peer (at least ILPD_MAX_CONNS - ILPD_MAX_PEERS);
 * when they do, a newcomer evicts the one that made the least progress
 * (closing < handshaking for at least half of auth_timeout_ms), and is
 * refused when every candidate got further (TLS done, or WebSocket open).
 * See docs/ilpd.8, "Connection floods".
 *
 * BTP request ids. ilpd forwards a Prepare to a next hop as a BTP Message
 * whose requestId is the switch's pending handle, so the answer finds its
 * pending packet without a table of its own; a Response is only accepted
 * from the link the packet went to. Requests from a peer are answered
 * with the peer's own requestId. A forwarded packet with no answer is
 * rejected upstream (R00) by the switch at its expiry.
 *
 * Reload (reload.c, on SIGHUP): the new configuration is compared with the
 * running one and applied without touching unchanged peers; see
 * ilpd_daemon_reload().
 */
#ifndef ILPD_DAEMON_H
#define ILPD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "durable.h"
#include "httpd.h"
#include "ildcp_client.h"
#include "local.h"
#include "hal/hal_net.h"
#include "ilp/ilp_switch.h"
#include "net/ev.h"
#include "net/lobby.h"
#include "net/net_opts.h"
#include "net/socks5.h"
#include "net/wsconn.h"

#include "httpc_glue.h"

enum ilpd_link_state {
	LINK_DOWN = 0,       /* no connection; outbound: waiting to redial */
	LINK_CONNECTING,     /* outbound: TCP + WebSocket handshake */
	LINK_AUTH,           /* outbound: auth sent, waiting for the Response */
	LINK_UP
};

struct ilpd_daemon;
struct ilpd_transport;

struct ilpd_link {
	struct ilpd_daemon *d;
	uint16_t index;               /* == switch peer index */
	const struct ilpd_peer_conf *conf;   /* &peer while in use, else NULL */
	struct ilpd_peer_conf peer;   /* the link's own copy of its settings */
	uint8_t state;                /* enum ilpd_link_state */
	int conn;                     /* index in the connection pool, or -1 */
	int timer;                    /* redial or keepalive timer, or -1 */
	int64_t backoff_ms;           /* next redial delay */
	int64_t up_since;             /* monotonic ms */
	int64_t last_rx;              /* monotonic ms of the last frame received */
	uint32_t auth_id;             /* requestId of our auth Message */
	uint64_t idle_mark;           /* bytes received at the last keepalive tick */
	uint8_t idle_ticks;           /* keepalive ticks in a row with nothing received */
	char ip[HAL_IP_STR_MAX];      /* outbound: resolved address of ip_host */
	char ip_host[ILPD_CONF_HOST_MAX + 1];  /* the host name ip was resolved from */
	uint64_t connects;            /* times the link came up */
	uint64_t auth_failures;
	/* Flow control (daemon.c, dm_rx_gate): the next hop of the last
	 * Prepare this link forwarded (-1: none), and since when (monotonic
	 * ms, -1: not) this link is held because that hop's send buffer is
	 * short of ILPD_FWD_HOLD_FREE. */
	int hop;
	int64_t hold_since;
	/* [transport] type = socks5: the link's SOCKS5 engine (used while a
	 * dial goes through the proxy) and the last proxy failure (enum
	 * socks5_error; logged at warn only when it changes). */
	bool via_proxy;               /* the current/last dial used the proxy */
	uint8_t last_socks_err;
	const char *last_error;       /* static reason the link last failed, or NULL */
	uint64_t proxy_failures;
	uint64_t proxy_dials;         /* dials through the proxy (the SOCKS password) */
	uint8_t proxy_timeouts;       /* of those since the link was last up, how many
				       * hit their deadline (ilpd_transport_dial_deadline_ms) */
	struct socks5 socks;
};

struct ilpd_conn {
	struct wsconn ws;
	struct ilpd_daemon *d;
	uint16_t index;
	bool used;
	bool inbound;
	int link;                     /* -1 until authenticated */
	int auth_timer;               /* inbound: deadline for the auth frame */
	int64_t since;                /* monotonic ms when accepted or dialled */
};

/* Counters exported on /metrics (monotonic). */
struct ilpd_counters {
	uint64_t btp_frames_in;
	uint64_t btp_bad_frames;
	uint64_t btp_errors_in;
	uint64_t conns_accepted;
	uint64_t conns_refused;       /* no slot for a connection that sent its first byte */
	uint64_t auth_failures;
	uint64_t tx_full;             /* a frame did not fit a send buffer */
	uint64_t evicted;             /* unauthenticated connections evicted from a slot */
	uint64_t undeliverable;       /* answers the source could not be given */
	uint64_t fwd_holds;           /* sources held while their next hop drained */
	uint64_t tls_ok;              /* TLS handshakes done (both directions) */
	uint64_t proxy_failed;        /* dials the SOCKS5 proxy did not complete */
	uint64_t tls_failed;          /* TLS handshakes that failed */
	uint32_t conns_hwm;
};

/* TLS is compiled in (ILPD_TLS=bearssl or mbedtls). */
#if defined(ILPD_TLS_BEARSSL) || defined(ILPD_TLS_MBEDTLS)
#define ILPD_HAVE_TLS 1
#else
#define ILPD_HAVE_TLS 0
#endif

struct ilpd_daemon {
	const struct ilpd_conf *conf;
	struct ev_loop loop;
	struct ilp_switch sw;
	struct ilpd_link link[ILPD_MAX_PEERS];
	struct ilpd_conn conn[ILPD_MAX_CONNS];
	struct ilpd_http_conn admin[ILPD_MAX_ADMIN_CONNS];   /* httpd.h */
	hal_fd btp_fd;
	hal_fd admin_fd;
	/* New connections wait in a lobby until their first byte (net/lobby.h):
	 * a flood of idle connections never takes a connection slot. */
	struct lobby btp_lobby;
	struct lobby admin_lobby;
	struct lobby_entry btp_lobby_slot[ILPD_LOBBY_BTP];
	struct lobby_entry admin_lobby_slot[ILPD_LOBBY_ADMIN];
	int64_t refused_logged;       /* last conn.refused log (ev_now) */
	int64_t started_mono;
	bool stopping;                /* shutdown under way: no new Prepares */
	bool holding;                 /* some source is held (dm_rx_gate) */
	bool closing;                 /* shutdown: connections being closed */
	uint16_t retired;             /* switch peers removed by a reload, not yet freed */
	int64_t stop_deadline;        /* monotonic: give up on in-flight packets */
	int64_t close_deadline;       /* monotonic: abort connections still open */
	struct ilpd_counters ctr;
	/* The HTTP client pool (httpc_glue.h): local delivery, settlement. */
	struct ilpd_httpc httpc;
	struct ilpd_transport *tp;    /* set by main before start; /health */
	/* The durable ledger (durable.h): state file, commit and hold. */
	struct ilpd_durable dur;
	/* ilpd's own account (local.h): delivery and send tables. */
	struct ilpd_local local;
	/* The IL-DCP client (ildcp_client.h) and its timer (-1: none). */
	struct ildcp_sm ildcp;
	int ildcp_timer;
#if ILPD_HAVE_TLS
	/* TLS: the client configuration (trust anchors; loaded at start when
	 * a peer uses wss://, else at the first wss:// dial), the listener's
	 * (chain and key, when [btp] tls = on), and one engine per connection
	 * slot: tls[i] serves conn[i] while that connection uses TLS. */
	bool tls_client_ready;
	bool tls_server_ready;
	struct tls_config tls_client_cfg;
	struct tls_config tls_server_cfg;
	struct tls_conn tls[ILPD_MAX_CONNS];
#endif
	uint8_t frame[ILPD_WS_MAX_MESSAGE];    /* BTP frame being written */
	uint8_t reply[ILP_SWITCH_REPLY_MAX];   /* switch reply buffer */
	char admin_body[ILPD_ADMIN_OUT_MAX];   /* an admin response being built */
};

/* Builds the switch from the configuration, opens the listeners and
 * starts dialling outbound peers. 0, or -1 after logging why. */
int ilpd_daemon_start(struct ilpd_daemon *d, const struct ilpd_conf *conf);

/* The transport changed (the proxy answers again, or the onion service
 * came up): outbound links waiting to redial dial again soon, with their
 * backoff reset. */
void ilpd_daemon_transport_changed(struct ilpd_daemon *d);

/* conn.flood: a listener's lobby is full (called at most once per
 * LOBBY_FULL_REPORT_MS per listener). */
void ilpd_log_lobby_full(const struct lobby *lb, const char *listener);

/* [btp] auth_timeout_ms changed (reload): the lobby follows it. */
void ilpd_daemon_timeouts_changed(struct ilpd_daemon *d);

/* Runs one event-loop iteration (waiting at most max_wait_ms, less when
 * the durable ledger has a commit or held output due), then expires
 * pending packets, commits the ledger as [ledger] durability says and
 * flushes the send buffers (durable.h). */
void ilpd_daemon_step(struct ilpd_daemon *d, int max_wait_ms);

/* Begins a graceful stop: closes the listeners, refuses new Prepares
 * (T03), lets in-flight packets finish until grace_ms has passed. */
void ilpd_daemon_stop(struct ilpd_daemon *d, int64_t grace_ms);

/* True once a stop has finished: nothing in flight (or the grace period
 * ended, and what was left was rejected), every connection closed. */
bool ilpd_daemon_done(struct ilpd_daemon *d);

/* Applies a new, validated configuration to the running daemon (reload.c):
 * non-reloadable settings ([node] address and asset, [btp] listen, [admin]
 * listen) must be unchanged, else the whole reload is refused. Peers are
 * matched by name: unchanged ones are not touched; economic changes (rate,
 * asset, limits) apply in place; identity changes (relation, url, token,
 * username) replace the settings and drop the connection; removed peers
 * are taken down and their slot is freed once no packet involving them is
 * in flight; new peers get a free slot. Routes, [limits], [log] and the
 * [btp] timers are replaced. On success d->conf becomes `next` (which must
 * then stay alive, unchanged, until the next reload) and 0 is returned;
 * on refusal -1 with a static reason in *why, and nothing changed. Logs
 * config.reloaded or nothing (the caller logs the refusal). */
int ilpd_daemon_reload(struct ilpd_daemon *d, const struct ilpd_conf *next,
		       const char **why);

/* Frees the switch slots of removed peers that are idle now (reload.c);
 * ilpd_daemon_step() calls it while d->retired != 0. */
void ilpd_reload_progress(struct ilpd_daemon *d);

/* Link management shared by daemon.c and reload.c. */
/* The switch settings for a configured peer. */
void ilpd_peer_switch_cfg(const struct ilpd_peer_conf *p, struct ilp_peer_cfg *pc);
/* Puts a copy of *p in unused link i (switch peer i must exist) and dials
 * it if it is outbound. */
void ilpd_link_open(struct ilpd_daemon *d, uint16_t i, const struct ilpd_peer_conf *p);
/* Drops link l's connection if it has one (packets in flight to it are
 * rejected upstream with T01). keep: the link stays and redials (outbound)
 * or waits for its peer (inbound) with its current settings; !keep: the
 * link becomes unused. */
void ilpd_link_drop(struct ilpd_daemon *d, struct ilpd_link *l, const char *reason,
		    bool keep);

/* Admin endpoints (admin.c). */
int ilpd_admin_open(struct ilpd_daemon *d);
void ilpd_admin_close(struct ilpd_daemon *d);
/* Writes the /health JSON or /metrics text into out; returns its length,
 * or 0 if it did not fit. */
size_t ilpd_health_json(const struct ilpd_daemon *d, char *out, size_t cap);
size_t ilpd_metrics_text(const struct ilpd_daemon *d, char *out, size_t cap);

#endif /* ILPD_DAEMON_H */
