/*
 * ilp_switch.h - the packet switch: the forwarding state machine of one
 * connector, fed with ILP packets and the current time, giving back the
 * packets to send. It never reads a clock, touches a socket or allocates.
 *
 * Memory: struct ilp_switch holds the routing table, the ledger, the peers
 * and the fixed pending-packet table with its expiry heap:
 *   sizeof = ILPD_MAX_PEERS * (sizeof(struct ilp_peer) + 64)
 *          (struct ilp_peer: 296 bytes on LP64; 16 of them are the per-peer
 *          share of the pending table, cfg.max_in_flight with its padding
 *          and the refused_in_flight counter; pending_from counts against it;
 *          168 are the rate and throughput limits: 32 of settings, 16 of
 *          counters, 3 token buckets of 40)
 *          + sizeof(struct ilp_routes)
 *          + ILPD_MAX_PENDING * (sizeof(struct ilp_pending) + 2)
 *          + 2 * ILPD_ADDRESS_MAX + ~200 bytes (one ILPD_ADDRESS_MAX:
 *          the local delivery prefix, ilp_switch_set_local)
 * (exact figures: the build's memory map). Thread/ISR: not reentrant per
 * switch; one switch is driven by one event loop.
 *
 * Flow. The transport receives an ILP Prepare from peer P as BTP request R
 * and calls ilp_switch_prepare(P, tag = R). The action is either
 *   ILP_SW_REPLY   send act.pkt back to P as the response to request R, or
 *   ILP_SW_FORWARD send act.pkt (the caller's buffer, rewritten in place) to
 *                  act.peer and remember act.tag, the pending handle.
 * When the next hop answers, the transport calls ilp_switch_response() with
 * that handle, and the action is a REPLY to P with R. The transport calls
 * ilp_switch_expire() when ilp_switch_next_expiry() has passed, and
 * ilp_switch_abort() when a forwarded packet cannot be delivered.
 *
 * Rules, in order, for a Prepare from peer P (reject codes in brackets):
 *   over the peer's rate_limit (a token per Prepare, any Prepare, checked
 *   first as ilp-connector's rateLimit middleware does) [T05];
 *   malformed [F01]; already expired: expiresAt <= now [R00];
 *   from a child while the connector has no address (IL-DCP pending) [T01];
 *   peer.config: IL-DCP answer to a child [F00 for others];
 *   peer.route.*: given to the CCP hook (ilp_switch_set_ccp), which
 *   answers the zero-data Fulfill or [F00]; without a hook, the Fulfill for
 *   parents and peers (CCP accepted and ignored) [F00 for children]; other peer.* or a wrong peer
 *   condition [F01]; addressed to the connector itself [F02, unless a
 *   local peer is set: ilp_switch_set_local];
 *   amount > P's max packet amount [F08 with received/maximum data];
 *   amount over P's throughput_in bucket [T04, as ilp-connector's
 *   throughput middleware];
 *   the local peer (ilp_switch_set_local) replaces the route when its
 *   prefix matches at least as long a prefix as the route found;
 *   under the connector's own address (own.x) with no child or route at
 *   least as specific as that address: never sent to a parent or the
 *   default route, where it would come back [F02];
 *   no route, or the route leads nowhere [F02]; next hop down [T01];
 *   converted amount does not fit in 64 bits [F03];
 *   converted amount over the next hop's throughput_out bucket [T04];
 *   outgoing expiry = min(expiresAt - min_message_window, now +
 *   max_hold_time); if that leaves less than min_message_window [R02];
 *   P already has max_in_flight packets in flight [T05]; pending table
 *   full [T03]; P's ledger or the next hop's refuses [T04].
 * A Fulfill from the next hop is checked: SHA-256(fulfillment) must equal the
 * condition, else P gets F05 and nothing is committed; a valid one commits
 * both ledger reservations and is relayed unchanged. A Reject is relayed
 * unchanged and releases both reservations. A malformed answer gives P a
 * T00. At the outgoing expiry P gets R00. Rejects the switch makes carry the
 * connector's address as triggeredBy.
 *
 * Money rule: a valid Fulfill received before the outgoing expiry is proof
 * that the payment happened, so it always commits BOTH holds: the next hop
 * was paid (its balance falls), and the source is charged (its reserved hold
 * is committed and its balance rises), also when the Fulfill cannot be
 * delivered to the source (link down, source not reading; see
 * ilp_switch_response_undeliverable). The source's credit limit therefore
 * always binds: colluding accounts cannot make the connector pay the next
 * hop without charging the source. The risk, borne by the source: it is
 * charged for a Fulfill it never saw (it learns the outcome from its own
 * timeout), and its books differ from ours by that amount until settled.
 *
 * Per-peer share of the pending table: a peer may have at most
 * cfg.max_in_flight Prepares of its own in flight (pending_from; amount-0
 * packets count like any other), so one peer cannot take every slot; the
 * next one gets T05 (Rate Limited: the sender, not the connector, is over
 * its share; T03 stays for a full table). 0 in cfg.max_in_flight means
 * ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT.
 */
#ifndef ILP_SWITCH_H
#define ILP_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/amount.h"
#include "ilp/ilp_err.h"
#include "ilp/ilp_opts.h"
#include "ilp/ilp_packet.h"
#include "ilp/ledger.h"
#include "ilp/limit.h"
#include "ilp/routing.h"

enum ilp_relation {
	ILP_REL_PARENT = 0,
	ILP_REL_PEER = 1,
	ILP_REL_CHILD = 2
};

/* Largest packet the switch itself writes into a reply buffer (Rejects it
 * creates, IL-DCP answers). Caller reply buffers must have this capacity. */
#define ILP_SWITCH_REPLY_MAX (128 + 2 * ILPD_ADDRESS_MAX + ILPD_PEER_NAME_MAX + ILPD_ASSET_CODE_MAX + 128)

/* Defaults from ilp-connector's configuration schema. */
#define ILP_SWITCH_DEFAULT_MIN_MESSAGE_WINDOW_MS 1000
#define ILP_SWITCH_DEFAULT_MAX_HOLD_TIME_MS 30000

/* Default per-peer share of the pending table: a quarter of the table, but
 * never less than the fair share ILPD_MAX_PENDING / ILPD_MAX_PEERS (boards
 * with fewer than 4 peers) and never less than min(16, ILPD_MAX_PENDING).
 * A strict fair share (64 of 4096 on the host board) would refuse ordinary
 * loads of one busy child (the demo keeps 100 in flight, the benchmark
 * 1000); a quarter leaves at least three quarters of the table to everyone
 * else while one peer floods. Host 1024, rpi 512, router 32. */
#define ILP_SW_SHARE_Q_ (ILPD_MAX_PENDING / 4)
#define ILP_SW_SHARE_F_ (ILPD_MAX_PENDING / ILPD_MAX_PEERS)
#define ILP_SW_SHARE_MIN_ (ILPD_MAX_PENDING < 16 ? ILPD_MAX_PENDING : 16)
#define ILP_SW_SHARE_QF_ (ILP_SW_SHARE_Q_ > ILP_SW_SHARE_F_ ? ILP_SW_SHARE_Q_ : ILP_SW_SHARE_F_)
#ifndef ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT
#define ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT \
	((uint32_t)(ILP_SW_SHARE_QF_ > ILP_SW_SHARE_MIN_ ? ILP_SW_SHARE_QF_ : ILP_SW_SHARE_MIN_))
#endif

/* SHA-256 as supplied by the board (BearSSL or mbedTLS). */
typedef void (*ilp_sha256_fn)(const uint8_t *data, size_t len, uint8_t out[32]);

struct ilp_switch_cfg {
	const uint8_t *address;          /* the connector's ILP address */
	size_t address_len;              /* 0: none yet (ilp_switch_set_address) */
	int64_t min_message_window_ms;   /* > 0 */
	int64_t max_hold_time_ms;        /* >= min_message_window_ms */
	ilp_sha256_fn sha256;
};

struct ilp_peer_cfg {
	char name[ILPD_PEER_NAME_MAX + 1];     /* NUL-terminated, a valid segment */
	uint8_t relation;                      /* enum ilp_relation */
	char asset_code[ILPD_ASSET_CODE_MAX + 1];
	struct ilp_rate rate;                  /* includes the asset scale */
	uint64_t max_packet_amount;            /* UINT64_MAX: no limit */
	int64_t min_balance;                   /* see ledger.h */
	int64_t max_balance;
	int64_t settle_threshold;
	uint32_t max_in_flight;                /* Prepares from this peer in flight at
						* once; 0: ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT */
	/* Limits (limit.h token buckets; 0: off, the default). */
	uint64_t rate_limit;                   /* Prepares from this peer per second */
	uint64_t rate_burst;                   /* bucket capacity; 0: rate_limit */
	uint64_t throughput_in;                /* amount per second it may send us */
	uint64_t throughput_out;               /* amount per second we may send it */
};

struct ilp_peer {
	struct ilp_peer_cfg cfg;
	bool used;
	bool up;                               /* link ready for packets */
	bool retired;                          /* removed: unroutable, freed when idle */
	uint16_t name_len;
	uint32_t pending;                      /* packets in flight to this peer */
	uint32_t pending_from;                 /* packets in flight from this peer */
	uint64_t refused_in_flight;            /* T05: over max_in_flight (monotonic) */
	uint64_t refused_rate;                 /* T05: over rate_limit (monotonic) */
	uint64_t refused_throughput;           /* T04: over throughput_in/_out (monotonic) */
	struct ilp_bucket rate_bucket;         /* Prepares from it */
	struct ilp_bucket in_bucket;           /* amounts from it */
	struct ilp_bucket out_bucket;          /* amounts to it */
};

/* One forwarded Prepare awaiting its answer. 72 bytes. */
struct ilp_pending {
	uint8_t condition[ILP_CONDITION_LEN];
	int64_t expires_at;                    /* outgoing expiry */
	uint64_t amount_in;
	uint64_t amount_out;
	uint32_t in_tag;
	uint16_t in_peer;
	uint16_t out_peer;
	uint16_t gen;                          /* bumped on every reuse */
	uint16_t heap_pos;                     /* position in the expiry heap */
	uint16_t next_free;
	uint8_t used;
	uint8_t reserved;
};

/* Counters for observability; all monotonic except pending_now. */
struct ilp_switch_stats {
	uint64_t prepares;        /* Prepares received from peers */
	uint64_t forwarded;       /* Prepares sent on */
	uint64_t fulfilled;       /* Fulfills relayed */
	uint64_t rejected_local;  /* Rejects created by the switch */
	uint64_t rejected_relay;  /* Rejects relayed from a next hop */
	uint64_t expired;         /* R00 after a silent next hop */
	uint64_t bad_fulfill;     /* F05 created for a wrong fulfillment */
	uint64_t late_responses;  /* answers for handles no longer pending */
	uint64_t undelivered;     /* answers the source could not be given */
	uint64_t charged_undelivered; /* valid Fulfills the source could not be
				   * given, committed on both sides (it was charged) */
	uint64_t in_flight_refused; /* T05: a peer over its max_in_flight */
	uint64_t local_by_code[32]; /* created rejects per code, see ilp_switch_code_index() */
	uint32_t pending_now;
	uint32_t pending_hwm;     /* high-water mark of the pending table */
	uint64_t pending_full;    /* T03 because the pending table was full */
};

/* CCP hook (ccp.h): handles the data of a peer.route.control (update
 * false) or peer.route.update Prepare from peer `from`. Returns 0 to
 * answer with the zero Fulfill, or -1 with *msg to answer F00. */
typedef int (*ilp_ccp_hook)(void *ctx, int64_t now, uint16_t from, bool update,
			    const uint8_t *data, size_t len, const char **msg);

/* peer.settle hook (RFC 38 engine messages, firmware/settle_glue.c): the
 * data of a peer.settle Prepare from peer `from`, sent with BTP request id
 * `tag`. Returns 0 when it takes the packet and answers it later on the
 * link itself (the switch makes no action and reserves nothing: amount 0
 * is not checked), or -1 with *msg: the switch answers F00 (msg). */
typedef int (*ilp_settle_hook)(void *ctx, uint16_t from, uint32_t tag, int64_t expires_at,
			       const uint8_t *data, size_t len, const char **msg);

struct ilp_switch {
	struct ilp_switch_cfg cfg;
	ilp_ccp_hook ccp_hook;                 /* NULL: CCP accepted and ignored */
	void *ccp_ctx;
	ilp_settle_hook settle_hook;           /* NULL: peer.settle is F01 */
	void *settle_ctx;
	uint8_t address[ILPD_ADDRESS_MAX];
	struct ilp_peer peers[ILPD_MAX_PEERS];
	struct ledger ledger;
	struct ilp_routes routes;
	struct ilp_pending pending[ILPD_MAX_PENDING];
	/* Local delivery (ilp_switch_set_local): the peer, ILP_ROUTE_NONE for
	 * none, and its prefix (length 0: the connector's own address). */
	uint16_t local_peer;
	uint16_t local_prefix_len;
	uint8_t local_prefix[ILPD_ADDRESS_MAX];
	uint16_t heap[ILPD_MAX_PENDING];       /* min-heap of pending indexes by expiry */
	uint16_t heap_len;
	uint16_t free_head;
	struct ilp_switch_stats stats;
};

enum ilp_sw_kind {
	ILP_SW_NONE = 0,
	ILP_SW_FORWARD = 1,
	ILP_SW_REPLY = 2
};

struct ilp_sw_action {
	enum ilp_sw_kind kind;
	uint16_t peer;          /* peer to send to */
	uint32_t tag;           /* FORWARD: pending handle; REPLY: upstream tag */
	const uint8_t *pkt;     /* bytes to send: caller's buffer or reply buffer */
	size_t len;
	char code[4];           /* REPLY: "" for a Fulfill, else the reject code */
};

/* Initialises the switch. ILP_ERR_ARG if the address is invalid or longer
 * than ILPD_ADDRESS_MAX, windows are not positive, or sha256 is NULL. */
int ilp_switch_init(struct ilp_switch *sw, const struct ilp_switch_cfg *cfg) ILP_CHECK_RESULT;

/* Sets the connector's address at run time (IL-DCP: cfg.address_len 0 at
 * init means "no address yet"; until one is set, Prepares from children get
 * T01 and children have no routes). Every child route <old>.<name> becomes
 * <new>.<name>; static routes, the default route, the ledger and packets in
 * flight are untouched (Rejects they get later carry the new address).
 * ILP_ERR_ARG for an invalid address; ILP_ERR_RANGE, nothing changed, if a
 * child's new address would not fit in a route; ILP_ERR_FULL if the routing
 * table had no room for a child route (the address is set). */
int ilp_switch_set_address(struct ilp_switch *sw, const uint8_t *addr,
			   size_t len) ILP_CHECK_RESULT;

/* Adds peer `index` (< ILPD_MAX_PEERS). A child also gets the route
 * <address>.<name>. The peer starts down. ILP_ERR_ARG on a bad name, rate,
 * relation or limits, or an index in use; ILP_ERR_FULL if the child route
 * does not fit. */
int ilp_switch_add_peer(struct ilp_switch *sw, uint16_t index,
			const struct ilp_peer_cfg *cfg) ILP_CHECK_RESULT;

/* Marks a peer's link up or down. Going down does not touch pending packets:
 * call ilp_switch_abort_peer() to reject them. A retired peer stays down. */
void ilp_switch_set_peer_up(struct ilp_switch *sw, uint16_t peer, bool up);

/*
 * Changing peers while packets flow (configuration reload). Every pending
 * packet keeps the amounts it reserved, so commits and releases stay exact
 * whatever changes; a peer's slot is only reused once nothing involving it
 * is in flight (peers[i].pending counts packets to it, pending_from packets
 * from it).
 *
 * ilp_switch_update_peer() replaces the settings of used, unretired peer
 * `index` with cfg (same name): rate, asset, max packet amount and relation
 * apply to the next Prepare; the ledger limits change with
 * ledger_set_limits() (balance and holds stay). A relation change adds or
 * removes the child route <address>.<name>. ILP_ERR_ARG for a bad cfg (as
 * ilp_switch_add_peer), another name, or an unused or retired peer;
 * ILP_ERR_FULL if a new child route does not fit. Nothing changes on error.
 */
int ilp_switch_update_peer(struct ilp_switch *sw, uint16_t index,
			   const struct ilp_peer_cfg *cfg) ILP_CHECK_RESULT;

/* Retires used peer `index`: it goes down, every route to it (the default
 * route too) is removed, and it can no longer be marked up, routed to or
 * send Prepares. Pending packets are not touched: reject those sent to it
 * with ilp_switch_abort_peer(); those it sent still finish normally (their
 * answers are addressed to it). ILP_ERR_ARG if the peer is not in use. */
int ilp_switch_retire_peer(struct ilp_switch *sw, uint16_t index) ILP_CHECK_RESULT;

/* Frees peer `index` (retired or not) if no packet to or from it is in
 * flight: its routes are removed and its slot and ledger slot cleared (the
 * balance is forgotten: read it first), so ilp_switch_add_peer() may reuse
 * the index. Returns 1 when freed, 0 while packets are pending (nothing
 * changes), ILP_ERR_ARG if the peer is not in use. */
int ilp_switch_remove_peer(struct ilp_switch *sw, uint16_t index);

/* Removes every route, the children's routes and the default route too. */
void ilp_switch_clear_routes(struct ilp_switch *sw);

/* Replaces the whole routing table with a copy of *t (built with routing.h,
 * child routes included). ILP_ERR_ARG, with the table unchanged, if an
 * entry or the default route names a peer that is unused or retired. */
int ilp_switch_set_routes(struct ilp_switch *sw, const struct ilp_routes *t) ILP_CHECK_RESULT;

/* Routes peer.route.* Prepares to `hook` (NULL: the zero Fulfill for
 * parents and peers, F00 for children, as before), and makes lookups
 * consult `learned` after the static routes (NULL: none; routing.h). Both
 * survive ilp_switch_set_routes() and ilp_switch_clear_routes(). */
void ilp_switch_set_ccp(struct ilp_switch *sw, ilp_ccp_hook hook, void *ctx,
			const struct ilp_learned *learned);

/* Routes peer.settle Prepares (with the peer condition) to `hook` (NULL:
 * F01 unknown peer protocol, as before). */
void ilp_switch_set_settle(struct ilp_switch *sw, ilp_settle_hook hook, void *ctx);

/* Local delivery (ilpd's own account, firmware/local.h): peer `peer`
 * receives the Prepares addressed to the connector itself (destination ==
 * its address, F02 without a local peer) and those under `prefix` (len 0:
 * the connector's own address, following ilp_switch_set_address). A static
 * or learned route wins only with a strictly longer prefix (children's
 * <address>.<name> routes always do); a prefix match ties go to the local
 * peer. It is an ordinary peer otherwise (up/down, ledger, limits, expiry:
 * the switch's own R00). peer ILP_ROUTE_NONE turns local delivery off.
 * Survives ilp_switch_set_routes() and ilp_switch_clear_routes(); removing
 * the peer turns it off. ILP_ERR_ARG for an unused or retired peer or an
 * invalid prefix (nothing changed). */
int ilp_switch_set_local(struct ilp_switch *sw, uint16_t peer, const uint8_t *prefix,
			 size_t len) ILP_CHECK_RESULT;

/* Changes the expiry windows (same rules as ilp_switch_cfg); packets in
 * flight keep the expiry they were forwarded with. ILP_ERR_ARG if invalid. */
int ilp_switch_set_windows(struct ilp_switch *sw, int64_t min_message_window_ms,
			   int64_t max_hold_time_ms) ILP_CHECK_RESULT;

/* Static and default routes (see routing.h); the peer must be used and
 * not retired. */
int ilp_switch_add_route(struct ilp_switch *sw, const uint8_t *prefix,
			 size_t len, uint16_t peer) ILP_CHECK_RESULT;
int ilp_switch_set_default_route(struct ilp_switch *sw, uint16_t peer) ILP_CHECK_RESULT;

/* Handles a Prepare (pkt, len) from peer `from`, received with upstream
 * `tag`. pkt is rewritten in place when forwarded. rbuf (rcap >=
 * ILP_SWITCH_REPLY_MAX) receives any reply the switch writes. Always yields
 * an action (REPLY or FORWARD) and ILP_OK, unless the arguments are misused
 * (ILP_ERR_ARG: unknown or retired peer, small rbuf). */
int ilp_switch_prepare(struct ilp_switch *sw, int64_t now, uint16_t from,
		       uint32_t tag, uint8_t *pkt, size_t len, uint8_t *rbuf,
		       size_t rcap, struct ilp_sw_action *act) ILP_CHECK_RESULT;

/* Handles the next hop's answer (a Fulfill or Reject) to pending `handle`.
 * ILP_ERR_NOT_FOUND (act->kind NONE) if the handle is no longer pending, e.g.
 * it expired first; the late answer is then dropped. */
int ilp_switch_response(struct ilp_switch *sw, int64_t now, uint32_t handle,
			const uint8_t *pkt, size_t len, uint8_t *rbuf,
			size_t rcap, struct ilp_sw_action *act) ILP_CHECK_RESULT;

/* The next hop a live pending handle was forwarded to, or ILP_ROUTE_NONE.
 * The transport checks it before ilp_switch_response(), so a peer cannot
 * answer for a packet that was sent to another peer. */
uint16_t ilp_switch_handle_peer(const struct ilp_switch *sw, uint32_t handle);

/* The source peer of a live handle (where the Prepare came from), or
 * ILP_ROUTE_NONE. The transport checks it can deliver the answer there. */
uint16_t ilp_switch_handle_source(const struct ilp_switch *sw, uint32_t handle);

/* Ends pending `handle` with the next hop's answer when that answer cannot
 * be delivered to the source (its link is down or it does not read). A
 * valid Fulfill before the expiry commits both holds, exactly as a delivered
 * one (see "Money rule" above): the next hop is paid and the source is
 * charged (stats.charged_undelivered). Any other answer releases both holds.
 * Every call counts in stats.undelivered. No action is produced.
 * ILP_ERR_NOT_FOUND if the handle is no longer pending. */
int ilp_switch_response_undeliverable(struct ilp_switch *sw, int64_t now,
				      uint32_t handle, const uint8_t *pkt,
				      size_t len) ILP_CHECK_RESULT;

/* Rejects pending `handle` upstream with `code` ("T01", "F02", ...) and a
 * message, releasing its reservations; for a next hop that could not be
 * reached or answered with a transport error. */
int ilp_switch_abort(struct ilp_switch *sw, uint32_t handle, const char code[3],
		     const char *message, uint8_t *rbuf, size_t rcap,
		     struct ilp_sw_action *act) ILP_CHECK_RESULT;

/* Rejects with T01 one pending packet whose next hop is `peer`. Returns 1
 * with an action, or 0 when none is left. Call until 0 after a peer drops. */
int ilp_switch_abort_peer(struct ilp_switch *sw, uint16_t peer, uint8_t *rbuf,
			  size_t rcap, struct ilp_sw_action *act);

/* Rejects with R00 one pending packet whose outgoing expiry is <= now.
 * Returns 1 with an action, or 0 when none is due. O(log n) per call. */
int ilp_switch_expire(struct ilp_switch *sw, int64_t now, uint8_t *rbuf,
		      size_t rcap, struct ilp_sw_action *act);

/* Earliest outgoing expiry of any pending packet, or INT64_MAX. O(1). */
int64_t ilp_switch_next_expiry(const struct ilp_switch *sw);

/* The in-flight limit in force for peer `peer` (its cfg.max_in_flight, or
 * the default for 0); 0 for an unused peer. */
uint32_t ilp_switch_peer_max_in_flight(const struct ilp_switch *sw, uint16_t peer);

/* Index into stats.local_by_code for a code like "F02" (0..31), or 31. */
unsigned ilp_switch_code_index(const char code[3]);

/* Checks internal consistency: the ledger invariants, that every pending
 * entry's reservations are reflected in the ledger (sum of amount_in per
 * in_peer == pending_in, sum of amount_out per out_peer == pending_out), the
 * per-peer packet counts in both directions, that unused peers hold nothing
 * (no packets, no ledger slot) and retired peers are down, that every route
 * leads to a used, unretired peer, the heap order and the free list.
 * ILP_OK or ILP_ERR_INVALID with *why. */
int ilp_switch_check(const struct ilp_switch *sw, const char **why) ILP_CHECK_RESULT;

#endif /* ILP_SWITCH_H */
