/*
 * ccp.h - CCP, the connector-to-connector route broadcasting protocol
 * (peer.route.control / peer.route.update, as ilp-protocol-ccp 1.2.3 and
 * ilp-connector 23.0.2 speak it): the OER codec and a pure engine that
 * keeps the learned routes (routing.h), our routing table id, epoch and log
 * of changes, and the per-peer sender and receiver state. It never reads a
 * clock, touches a socket or allocates: the caller passes `now` (ms) and
 * sends the payloads it is given inside ILP Prepares (ccp_prepare_encode).
 *
 * Memory: struct ccp = struct ilp_learned (routing.h)
 *   + ILPD_CCP_LOG_MAX * (ILPD_ROUTE_PREFIX_MAX + 2)
 *   + ILPD_MAX_PEERS * ~80 + ILPD_ADDRESS_MAX + ~100 bytes
 *   (host: 139,264 + 33,280 + 5,120 + ... ~ 178 KB; exact: the memory map).
 *
 * Rules (the reference's, see docs/ilpd.8 ROUTING):
 *  - Routes are sent to an account only when it sent us a route control
 *    with mode SYNC and we may send it routes (send_routes: default on for
 *    parents and peers, off for children); a route control from an account
 *    with send_routes off gets F00. Route updates are accepted only from
 *    accounts with receive_routes (same defaults), else F00. We send a route
 *    control SYNC to every account with receive_routes when its link comes
 *    up, and again every broadcast interval until it is Fulfilled.
 *  - What we advertise: our own address (path [own]) and the best learned
 *    route of every prefix with our address prepended to its path; never a
 *    peer's routes back to it (sent as withdrawn), to a parent only routes
 *    learned from children, never a prefix a static route covers exactly.
 *    Children's addresses are covered by our own prefix.
 *  - Every change of what we advertise for a prefix appends it to the log
 *    and increments our epoch (an older entry for the same prefix is
 *    nulled). An update carries the log entries [peer's epoch, to) that fit;
 *    a peer whose epoch is older than the log gets the full table (from 0).
 *    The peer's epoch advances when the update is sent and goes back if it
 *    is not Fulfilled. Next update: 150 ms later while the peer is behind,
 *    else a heartbeat after the broadcast interval. holdDownTime = route
 *    expiry (default 45 s). A route control or update that is not
 *    Fulfilled (or not answered within the interval) is sent again after
 *    1 s, doubling up to the interval (the reference waits the interval:
 *    a peer that is not ready the moment its link comes up would leave
 *    routes unknown for 30 s).
 *  - Received updates: another routing table id drops that peer's routes
 *    and starts from epoch 0; from > epoch (gap) or to < epoch (stale) is
 *    ignored (still Fulfilled); otherwise withdrawals, then additions, and
 *    epoch = to. Import filter: the prefix must lie under our global prefix
 *    (the first segment of our address) and not equal it, must not be our
 *    address or under it, and the path must not contain our address.
 *  - A peer's routes expire holdDownTime after its last update (ilpd is
 *    stricter than ilp-connector here, whose routes never time out; it
 *    sends a heartbeat every 30 s with 45 s hold-down, so they stay), and
 *    are dropped when its link goes down; then its epoch is forgotten and a
 *    new SYNC is sent.
 */
#ifndef ILP_CCP_H
#define ILP_CCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"
#include "ilp/ilp_opts.h"
#include "ilp/routing.h"

#define CCP_CONTROL_DESTINATION "peer.route.control"
#define CCP_UPDATE_DESTINATION "peer.route.update"
#define CCP_TABLE_ID_LEN 16
#define CCP_AUTH_LEN 32

#define CCP_MODE_IDLE 0
#define CCP_MODE_SYNC 1

/* ilp-connector's defaults (routeBroadcastInterval, routeExpiry). */
#define CCP_DEFAULT_INTERVAL_MS 30000u
#define CCP_DEFAULT_EXPIRY_MS 45000u
/* Least gap between updates while a peer is behind. */
#define CCP_CATCHUP_MS 150

/* ---- codec -------------------------------------------------------------- */

struct ccp_control {
	uint8_t mode;
	uint8_t table_id[CCP_TABLE_ID_LEN];
	uint32_t epoch;
	uint64_t features;      /* count; decoded and skipped */
};

/* A decoded route update: the header, and the routes and withdrawals left
 * encoded (checked) for ccp_next_route() / ccp_next_withdrawn(). */
struct ccp_update {
	const uint8_t *table_id;
	uint32_t current_epoch;
	uint32_t from_epoch;
	uint32_t to_epoch;
	uint32_t hold_down_ms;
	const uint8_t *speaker;
	size_t speaker_len;
	uint64_t n_routes;
	const uint8_t *routes;  /* n_routes encoded routes */
	const uint8_t *routes_end;
	uint64_t n_withdrawn;
	const uint8_t *withdrawn;
	const uint8_t *withdrawn_end;
};

struct ccp_route {
	const uint8_t *prefix;
	size_t prefix_len;
	uint64_t n_path;
	const uint8_t *path;    /* n_path VarOctetStrings */
	size_t path_len;        /* bytes */
	const uint8_t *auth;    /* CCP_AUTH_LEN bytes */
	uint64_t n_props;
};

/* Decoders: ILP_OK, or ILP_ERR_INVALID for anything malformed or short.
 * They never read past b + n. Trailing bytes are ignored (as the reference
 * does). */
int ccp_control_decode(const uint8_t *b, size_t n, struct ccp_control *c) ILP_CHECK_RESULT;
int ccp_update_decode(const uint8_t *b, size_t n, struct ccp_update *u) ILP_CHECK_RESULT;
/* Iterators over a decoded update: 1 with the next item, 0 at the end.
 * *pos starts at u->routes (u->withdrawn). */
int ccp_next_route(const struct ccp_update *u, const uint8_t **pos, struct ccp_route *r);
int ccp_next_withdrawn(const struct ccp_update *u, const uint8_t **pos,
		       const uint8_t **prefix, size_t *len);
/* Iterates the path entries of a route: 1 with the next, 0 at the end. */
int ccp_next_path(const struct ccp_route *r, const uint8_t **pos,
		  const uint8_t **entry, size_t *len);

/* Encodes a route control (no features). ILP_ERR_OVERFLOW if cap is short. */
int ccp_control_encode(const struct ccp_control *c, uint8_t *buf, size_t cap,
		       size_t *len) ILP_CHECK_RESULT;

/* Route update writer: begin, add routes, withdrawals, end. A route or
 * withdrawal that does not fit is refused with ILP_ERR_OVERFLOW and the
 * writer keeps what it had (room is kept for the closing count). */
struct ccp_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t count_at;        /* where the current count goes */
	size_t routes_at;       /* where the routes' count is */
	uint32_t n;
	uint32_t n_routes;
	uint8_t phase;          /* 0 routes, 1 withdrawals, 2 done */
};

int ccp_update_begin(struct ccp_writer *w, uint8_t *buf, size_t cap,
		     const uint8_t table_id[CCP_TABLE_ID_LEN], uint32_t current,
		     uint32_t from, uint32_t to, uint32_t hold_down_ms,
		     const uint8_t *speaker, size_t speaker_len) ILP_CHECK_RESULT;
/* A route whose path is `first` (may be NULL) followed by `rest` (path_n
 * entries already OER-encoded, rest_len bytes). auth: 32 bytes or NULL
 * (zeros). No props. */
int ccp_update_route(struct ccp_writer *w, const uint8_t *prefix, size_t len,
		     const uint8_t *first, size_t first_len, uint32_t rest_n,
		     const uint8_t *rest, size_t rest_len, const uint8_t *auth) ILP_CHECK_RESULT;
int ccp_update_withdraw(struct ccp_writer *w, const uint8_t *prefix, size_t len) ILP_CHECK_RESULT;
int ccp_update_end(struct ccp_writer *w, size_t *len) ILP_CHECK_RESULT;

/* Wraps a payload in the ILP Prepare that carries it: amount 0, the peer
 * protocol condition, destination peer.route.control or .update. */
int ccp_prepare_encode(bool update, int64_t expires_at, const uint8_t *data,
		       size_t data_len, uint8_t *buf, size_t cap, size_t *len) ILP_CHECK_RESULT;

/* ---- engine ------------------------------------------------------------- */

struct ccp_peer {
	bool used;
	bool up;
	bool send_routes;       /* we may send it our routes */
	bool receive_routes;    /* we accept its routes */
	uint8_t rank;           /* ILP_LEARNED_RANK_* */
	/* receiving: its table as we know it */
	uint8_t rx_table[CCP_TABLE_ID_LEN];
	uint32_t rx_epoch;
	int64_t rx_expires;     /* 0: no routes held from it */
	int64_t rx_last;        /* last update accepted (ms), 0 never */
	bool ctl_due;           /* a route control is to be sent */
	bool ctl_inflight;
	int64_t ctl_next;
	/* sending: our table as it knows it */
	uint8_t tx_mode;        /* CCP_MODE_* it asked for */
	bool tx_inflight;
	uint32_t tx_epoch;      /* next epoch it needs */
	uint32_t tx_prev;       /* tx_epoch before the update in flight */
	int64_t tx_next;        /* heartbeat due */
	int64_t tx_hold;        /* no update before (catch-up gap, retry delay) */
	int64_t tx_deadline;    /* the update in flight is given up */
	uint8_t tx_fails;       /* updates in a row not Fulfilled */
	uint8_t ctl_fails;      /* route controls in a row not Fulfilled */
	uint16_t seq;           /* of the last update sent, to match answers */
	uint16_t ctl_seq;       /* of the last route control sent */
	uint32_t full_cursor;   /* full table in chunks: items already sent */
	uint32_t full_prev;     /* full_cursor before the chunk in flight */
	uint32_t full_epoch;    /* our epoch when the chunks began; 0: none */
};

struct ccp_log_entry {
	uint8_t prefix[ILPD_ROUTE_PREFIX_MAX];
	uint16_t len;           /* 0: superseded */
};

struct ccp_stats {
	uint64_t updates_in;        /* route updates accepted */
	uint64_t updates_ignored;   /* gap or stale */
	uint64_t updates_out;       /* route updates sent */
	uint64_t controls_in;
	uint64_t controls_out;
	uint64_t refused;           /* F00: not allowed, or malformed */
	uint64_t routes_filtered;   /* dropped by the import filter or too long */
	uint64_t expired;           /* peers whose routes timed out */
	uint64_t full_tables;       /* updates sent from epoch 0 because the log was short */
	uint64_t truncated;         /* full-table entries that did not fit a message */
};

struct ccp {
	struct ilp_learned learned;
	const struct ilp_routes *statics;   /* static routes, may be NULL */
	struct ccp_peer peer[ILPD_MAX_PEERS];
	uint8_t table_id[CCP_TABLE_ID_LEN];
	uint32_t epoch;
	uint32_t log_base;      /* oldest epoch still in the log */
	struct ccp_log_entry log[ILPD_CCP_LOG_MAX];
	uint8_t own[ILPD_ADDRESS_MAX];
	size_t own_len;
	uint32_t interval_ms;
	uint32_t expiry_ms;
	struct ccp_stats st;
};

/* table_id: 16 random bytes from the caller. interval/expiry 0: defaults. */
void ccp_init(struct ccp *c, const uint8_t table_id[CCP_TABLE_ID_LEN],
	      uint32_t interval_ms, uint32_t expiry_ms);
/* Sets our address (0 length: none yet); the change is logged. */
void ccp_set_own(struct ccp *c, const uint8_t *addr, size_t len);
/* Declares peer `i` (its relation rank and flags); keeps state if it was
 * declared before with the same rank, else resets it. */
void ccp_peer_set(struct ccp *c, uint16_t i, uint8_t rank, bool send_routes,
		  bool receive_routes);
/* Forgets peer i (its routes are dropped). */
void ccp_peer_clear(struct ccp *c, uint16_t i, int64_t now);
void ccp_link_up(struct ccp *c, uint16_t i, int64_t now);
void ccp_link_down(struct ccp *c, uint16_t i, int64_t now);

/* Handles a peer.route.* Prepare's data from peer i. Returns 0 (answer
 * with the zero Fulfill) or -1 with *msg (answer F00). */
int ccp_handle(struct ccp *c, int64_t now, uint16_t i, bool update,
	       const uint8_t *data, size_t len, const char **msg);

/* Gives the next message to send to peer i, if one is due: 1 with its
 * payload in buf (*update: a route update, else a route control) and *seq
 * to give back to ccp_result(), 0 if nothing is due. */
int ccp_poll(struct ccp *c, int64_t now, uint16_t i, uint8_t *buf, size_t cap,
	     size_t *len, bool *update, uint16_t *seq);
/* The answer to message seq of peer i (update or control, as ccp_poll
 * said): ok = Fulfilled. A seq that is not the one in flight is ignored. */
void ccp_result(struct ccp *c, int64_t now, uint16_t i, uint16_t seq, bool update, bool ok);

/* Expires routes whose hold-down passed; returns the peers affected. */
unsigned ccp_expire(struct ccp *c, int64_t now);

/* Earliest time something is due (a message or an expiry), INT64_MAX if none. */
int64_t ccp_next_due(const struct ccp *c);

#endif /* ILP_CCP_H */
