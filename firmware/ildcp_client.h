/*
 * ildcp_client.h - the IL-DCP client (RFC 31): ilpd asks its parent for its
 * ILP address, asset code and scale with a Prepare to peer.config when the
 * parent's link comes up.
 *
 * Two modes. AUTO ([node] address = auto, or no address and a parent): the
 * first answer becomes the node's address (ilp_switch_set_address()) and
 * asset; until then children get T01 (see ilp_switch.h) and /health shows
 * "address": null. CHECK (an address is configured and a parent exists): the
 * answer is only compared, and a different address is logged as a warning;
 * the configured one stays.
 *
 * A later answer (after a reconnect) that differs from the address in use
 * is refused: logged as a warning, the old address stays (packets in flight
 * and children's addresses would otherwise change under them; restart ilpd
 * to take a new one).
 *
 * Timing: a request waits ILDCP_TIMEOUT_MS for its answer; a timeout, a
 * Reject, a malformed answer or a failed send retries after a backoff that
 * doubles from ILDCP_BACKOFF_MIN_MS to ILDCP_BACKOFF_MAX_MS, at most
 * ILDCP_MAX_ATTEMPTS times per link-up; then it gives up until the parent's
 * link comes up again (logged). A link going down stops the exchange.
 *
 * The state machine (ildcp_sm_*) is pure: it takes `now` and gives back
 * what to send, so it is unit-tested with a fake clock (test_ildcp_client).
 * The glue (ilpd_ildcp_*) sends on the daemon's links and logs.
 *
 * Memory: struct ildcp_sm is about ILPD_ADDRESS_MAX + ILPD_ASSET_CODE_MAX +
 * 48 bytes, inside struct ilpd_daemon. No heap. Request ids are
 * (seq << 16) | 0xFFFF: the switch's pending handles never end in 0xFFFF
 * (their low 16 bits index a table smaller than that), so an answer is
 * never mistaken for one to a forwarded packet.
 */
#ifndef ILPD_ILDCP_CLIENT_H
#define ILPD_ILDCP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_opts.h"

#define ILDCP_TIMEOUT_MS 5000
#define ILDCP_BACKOFF_MIN_MS 1000
#define ILDCP_BACKOFF_MAX_MS 30000
#define ILDCP_MAX_ATTEMPTS 8

enum ildcp_mode {
	ILDCP_MODE_OFF = 0,    /* no parent: nothing to ask */
	ILDCP_MODE_CHECK = 1,  /* address configured: compare only */
	ILDCP_MODE_AUTO = 2    /* take the address from the parent */
};

enum ildcp_state {
	ILDCP_ST_IDLE = 0,     /* parent link down */
	ILDCP_ST_DUE,          /* send a request at `due` */
	ILDCP_ST_SENT,         /* request `req_id` out, answer by `due` */
	ILDCP_ST_DONE,         /* answered for this link-up */
	ILDCP_ST_GAVE_UP       /* ILDCP_MAX_ATTEMPTS failed; wait for a new link-up */
};

/* What an answer (or a timeout) meant, for the glue to act on and log. */
enum ildcp_result {
	ILDCP_R_NONE = 0,      /* nothing happened */
	ILDCP_R_ADOPT,         /* AUTO: first address: set it in the switch */
	ILDCP_R_SAME,          /* the same as the address in use */
	ILDCP_R_MISMATCH,      /* CHECK: differs from the configured address (kept) */
	ILDCP_R_REFUSED,       /* a later answer differs (refused, old address kept) */
	ILDCP_R_FAILED,        /* reject/malformed/timeout/send failure: retry later */
	ILDCP_R_GAVE_UP        /* the last attempt failed */
};

struct ildcp_sm {
	uint8_t mode;                          /* enum ildcp_mode */
	uint8_t state;                         /* enum ildcp_state */
	uint8_t attempts;                      /* failed tries this link-up */
	bool have;                             /* address/asset below are valid */
	uint16_t parent;                       /* switch peer index of the parent */
	uint16_t seq;
	uint32_t req_id;
	int64_t due;                           /* wall ms: send, or give up waiting */
	int64_t backoff_ms;
	uint64_t answers;                      /* answers received (any result) */
	uint64_t failures;                     /* failed tries (any reason) */
	uint16_t address_len;
	uint8_t asset_scale;
	char address[ILPD_ADDRESS_MAX + 1];    /* in use (AUTO) or last answered (CHECK) */
	char asset_code[ILPD_ASSET_CODE_MAX + 1];
	/* the last answer, for logging a mismatch or a refusal */
	uint16_t got_len;
	uint8_t got_scale;
	bool conflict;                         /* AUTO: the parent's last answer was
						* refused: its link is not used */
	char got[ILPD_ADDRESS_MAX + 1];
	char got_code[ILPD_ASSET_CODE_MAX + 1];
	const char *why;                       /* last failure, a static string */
};

/* mode and parent as configured; for CHECK, addr is the configured address. */
void ildcp_sm_init(struct ildcp_sm *s, enum ildcp_mode mode, uint16_t parent,
		   const char *addr);

/* The parent's link came up (request due now) or went down. */
void ildcp_sm_link(struct ildcp_sm *s, int64_t now, bool up);

/* When something is due (INT64_MAX: nothing). */
int64_t ildcp_sm_next(const struct ildcp_sm *s);

/* At `now`: if a request is due, writes it (a Prepare to peer.config,
 * expiring at now + ILDCP_TIMEOUT_MS) into buf, sets *id and returns 1; on a
 * timeout of the request out returns 0 with *res FAILED or GAVE_UP; else 0
 * with *res NONE. */
int ildcp_sm_poll(struct ildcp_sm *s, int64_t now, uint8_t *buf, size_t cap,
		  size_t *len, uint32_t *id, enum ildcp_result *res);

/* The request could not be sent: counts as a failed try. */
enum ildcp_result ildcp_sm_send_failed(struct ildcp_sm *s, int64_t now);

/* True if (peer, id) is the answer to our request out. */
bool ildcp_sm_owns(const struct ildcp_sm *s, uint16_t peer, uint32_t id);

/* The parent's answer (an ILP Fulfill or Reject, or NULL for a BTP error)
 * to our request. */
enum ildcp_result ildcp_sm_answer(struct ildcp_sm *s, int64_t now, const uint8_t *pkt,
				  size_t len);

struct ilpd_daemon;

/* Glue (daemon.c calls these). Start: picks the mode from the
 * configuration and inits the switch-side state. */
void ilpd_ildcp_start(struct ilpd_daemon *d);
/* The link of peer `peer` came up or went down. */
void ilpd_ildcp_link(struct ilpd_daemon *d, uint16_t peer, bool up);
/* A BTP answer on peer's link: true if it was ours (consumed). */
bool ilpd_ildcp_answer(struct ilpd_daemon *d, uint16_t peer, uint32_t id,
		       const uint8_t *ilp, size_t ilp_len, bool btp_error);
/* After a reload: peers following the node's asset take the parent's again. */
void ilpd_ildcp_reloaded(struct ilpd_daemon *d);
/* For /health: "address" (NULL: none yet) and "addressSource". */
/* True while Prepares from `peer` are refused: it is the parent and its
 * last IL-DCP answer was refused (another address or asset). */
bool ilpd_ildcp_refusing(const struct ilpd_daemon *d, uint16_t peer);
const char *ilpd_ildcp_address_source(const struct ilpd_daemon *d);

#endif /* ILPD_ILDCP_CLIENT_H */
