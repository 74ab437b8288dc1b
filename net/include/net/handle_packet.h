/*
 * handle_packet.h - the HTTP business-logic server contract (TOON's
 * standalone mode): the JSON body of `POST /handle-packet` built from an
 * ILP Prepare, and the server's JSON reply read back into an accept (with
 * data for the Fulfill), a reject (with an ILP code) or an error. Also the
 * base64 is net/base64.h's.
 *
 * Request body (one line, keys in this order):
 *   {"paymentId":"<base64url, 16 bytes, no padding>","destination":"<addr>",
 *    "amount":"<decimal>","expiresAt":"YYYY-MM-DDTHH:MM:SS.mmmZ",
 *    "data":"<base64>","isTransit":false}
 * Reply:
 *   {"accept": true, "data": "<base64>"}            data optional, <= 32767
 *                                                    bytes decoded
 *   {"accept": false, "rejectReason": {"code": "...", "message": "..."}}
 *                                                    message optional
 * Unknown members are ignored; anything else (not JSON, accept not a bool,
 * data/code/message not strings, rejectReason not an object, base64 that
 * does not decode, data too long, more than HP_JSON_NODES (512) values in
 * all, containers nested more than HP_JSON_DEPTH deep) is an error result
 * (the caller answers T00) whose reason says which.
 *
 * Reject codes: insufficient_funds T04, expired R00, invalid_request F00,
 * invalid_amount F03, unexpected_payment F06, application_error F99,
 * internal_error T00, timeout T00, anything else F99.
 *
 * Memory: no heap, no globals. hp_build_body writes into the caller's
 * buffer (HP_BODY_MAX bytes always suffice). hp_parse_reply parses the
 * caller's buffer in place (JSON strings and the base64 data are decoded
 * where they lie) using struct hp_work (the JSON node table: 24 KiB on
 * 64-bit targets, 14 KiB on 32-bit) as scratch; the views it returns point into that
 * buffer. Pure: no clock, no I/O, reentrant.
 */
#ifndef NET_HANDLE_PACKET_H
#define NET_HANDLE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_packet.h"
#include "net/json.h"

#define HP_PAYMENT_ID_LEN 16
/* Largest decoded reply data: what an ILP Fulfill can carry. */
#define HP_DATA_MAX ILP_DATA_MAX_LEN
/* base64 length of n bytes, with padding. */
#define HP_B64_LEN(n) ((((size_t)(n) + 2) / 3) * 4)
/* Worst-case request body: fixed text + address + base64 of the data. */
#define HP_BODY_MAX (160 + ILP_ADDRESS_MAX_LEN + HP_B64_LEN(ILP_DATA_MAX_LEN))
/* Largest reply body worth reading: the largest data plus room for a
 * message and other members. Longer replies are errors. */
#define HP_REPLY_MAX (HP_B64_LEN(HP_DATA_MAX) + 8192)
/* JSON values a reply may hold (unknown members count too). */
/* JSON values a reply may hold (the top-level object, its members and
 * everything inside them): room for hundreds of extra members; one more
 * is an error "reply has more than 512 JSON values" (kept in step with
 * HP_JSON_NODES_STR). 512 nodes: 24 KiB on 64-bit, 14 KiB on 32-bit. */
#define HP_JSON_NODES 512
#define HP_JSON_NODES_STR "512"
#define HP_JSON_DEPTH 4

enum hp_kind {
	HP_ACCEPT = 0,
	HP_REJECT = 1,
	HP_ERROR = 2
};

struct hp_reply {
	enum hp_kind kind;
	char code[4];            /* HP_REJECT: the ILP code; HP_ERROR: "T00" */
	const uint8_t *data;     /* HP_ACCEPT: decoded data (in the buffer) */
	size_t data_len;
	const uint8_t *reason;   /* HP_REJECT: the server's code string */
	size_t reason_len;
	const uint8_t *message;  /* HP_REJECT: message (decoded), may be empty */
	size_t message_len;
	const char *why;         /* HP_ERROR: static reason, for the log */
};

struct hp_work {
	struct jdoc doc;
	struct jnode nodes[HP_JSON_NODES];
};

/*
 * Writes the request body for the Prepare `p` into buf[0..cap) and sets
 * *len. payment_id is the caller's 16 random bytes. ILP_ERR_OVERFLOW if cap
 * is too small (HP_BODY_MAX never is), ILP_ERR_RANGE if the expiry is
 * outside years 0000..9999, ILP_ERR_INVALID if the destination holds a byte
 * that would need escaping (a decoded Prepare never does).
 */
int hp_build_body(const struct ilp_prepare *p,
		  const uint8_t payment_id[HP_PAYMENT_ID_LEN], bool is_transit,
		  char *buf, size_t cap, size_t *len) ILP_CHECK_RESULT;

/*
 * Reads the reply buf[0..n) (modified in place) into *out. Always fills
 * *out: kind HP_ERROR with code "T00" and a reason when the reply breaks
 * the contract. Returns ILP_OK for an accept or a reject, ILP_ERR_INVALID
 * for an error result.
 */
int hp_parse_reply(struct hp_work *w, uint8_t *buf, size_t n,
		   struct hp_reply *out);

/* The ILP code for a server's rejectReason.code (table above). */
void hp_reject_code(const uint8_t *reason, size_t n, char code[4]);

#endif /* NET_HANDLE_PACKET_H */
