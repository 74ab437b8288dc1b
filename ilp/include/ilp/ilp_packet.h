/*
 * ilp_packet.h - ILPv4 Prepare, Fulfill and Reject (RFC 27), ILP addresses
 * (RFC 15) and the ILP error code table.
 *
 * Memory: the views below are 56..72 bytes of pointers and lengths into the
 * caller's buffer (zero copy); they are valid only while that buffer is. No
 * heap, no global state; reentrant.
 *
 * Decoders take one whole packet: `len` must be exactly the envelope's length
 * (bytes after the envelope are ILP_ERR_INVALID). Bytes after the last field
 * inside the envelope are accepted and ignored, as RFC 30 asks for
 * extensibility. Addresses must match RFC 15's grammar (no byte >= 0x80),
 * timestamps must be real dates, data <= 32767 bytes, message <= 8191.
 * On failure `*why` (if not NULL) gets a static one-line reason.
 */
#ifndef ILP_PACKET_H
#define ILP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"

enum ilp_packet_type {
	ILP_TYPE_PREPARE = 12,
	ILP_TYPE_FULFILL = 13,
	ILP_TYPE_REJECT = 14
};

#define ILP_ADDRESS_MAX_LEN 1023
#define ILP_DATA_MAX_LEN 32767
#define ILP_MESSAGE_MAX_LEN 8191
#define ILP_CONDITION_LEN 32
#define ILP_FULFILLMENT_LEN 32
#define ILP_CODE_LEN 3

/* Worst-case encoded sizes: type + 3-byte length + contents (RFC 27 limits). */
#define ILP_PREPARE_MAX_SIZE (1 + 3 + 8 + 17 + 32 + (3 + ILP_ADDRESS_MAX_LEN) + (3 + ILP_DATA_MAX_LEN))
#define ILP_FULFILL_MAX_SIZE (1 + 3 + 32 + (3 + ILP_DATA_MAX_LEN))
#define ILP_REJECT_MAX_SIZE (1 + 3 + 3 + (3 + ILP_ADDRESS_MAX_LEN) + (3 + ILP_MESSAGE_MAX_LEN) + (3 + ILP_DATA_MAX_LEN))
#define ILP_PACKET_MAX_SIZE ILP_REJECT_MAX_SIZE

/* Prepare view. amount/expires_at are decoded copies; the pointers reference
 * the packet. contents_off is where the amount starts, so the packet can be
 * rewritten in place by ilp_prepare_patch(). */
struct ilp_prepare {
	uint64_t amount;
	int64_t expires_at;          /* ms since the Unix epoch, UTC */
	const uint8_t *condition;    /* ILP_CONDITION_LEN bytes */
	const uint8_t *destination;
	size_t destination_len;
	const uint8_t *data;
	size_t data_len;
	size_t contents_off;
};

struct ilp_fulfill {
	const uint8_t *fulfillment;  /* ILP_FULFILLMENT_LEN bytes */
	const uint8_t *data;
	size_t data_len;
};

struct ilp_reject {
	const uint8_t *code;         /* ILP_CODE_LEN printable ASCII bytes */
	const uint8_t *triggered_by; /* empty or a valid ILP address */
	size_t triggered_by_len;
	const uint8_t *message;      /* UTF-8 by convention; not validated */
	size_t message_len;
	const uint8_t *data;
	size_t data_len;
};

/* Finds the total size of the packet starting at p: ILP_ERR_NEED_MORE until
 * the type and length determinant are complete and the whole packet is
 * present; ILP_ERR_INVALID on a non-canonical determinant; ILP_ERR_UNSUPPORTED
 * when the type byte is not 12, 13 or 14 (size is still set). */
int ilp_packet_measure(const uint8_t *p, size_t avail, size_t *size) ILP_CHECK_RESULT;

/* Type byte of a whole packet, or ILP_ERR_INVALID if empty. */
int ilp_packet_type(const uint8_t *pkt, size_t len);

int ilp_prepare_decode(const uint8_t *pkt, size_t len, struct ilp_prepare *out,
		       const char **why) ILP_CHECK_RESULT;
int ilp_fulfill_decode(const uint8_t *pkt, size_t len, struct ilp_fulfill *out,
		       const char **why) ILP_CHECK_RESULT;
int ilp_reject_decode(const uint8_t *pkt, size_t len, struct ilp_reject *out,
		      const char **why) ILP_CHECK_RESULT;

/* Encoders write one whole packet into buf (cap bytes) and set *len. With
 * buf == NULL they only measure. Inputs are validated as the decoder would
 * (address grammar, lengths, timestamp range): ILP_ERR_INVALID if not, and
 * ILP_ERR_OVERFLOW if cap is too small. */
int ilp_prepare_encode(const struct ilp_prepare *v, uint8_t *buf, size_t cap,
		       size_t *len) ILP_CHECK_RESULT;
int ilp_fulfill_encode(const struct ilp_fulfill *v, uint8_t *buf, size_t cap,
		       size_t *len) ILP_CHECK_RESULT;
int ilp_reject_encode(const struct ilp_reject *v, uint8_t *buf, size_t cap,
		      size_t *len) ILP_CHECK_RESULT;

/* Rewrites amount and expiry of a decoded Prepare in place (the bytes `view`
 * was decoded from). ILP_ERR_RANGE if expires_at is outside years 0..9999. */
int ilp_prepare_patch(uint8_t *pkt, const struct ilp_prepare *view,
		      uint64_t amount, int64_t expires_at) ILP_CHECK_RESULT;

/* ---- addresses (RFC 15) ---------------------------------------------- */

/* True for an address in the link-local schemes "peer" (peer.config,
 * peer.route.*: messages between two peers) and "self": never a
 * connector's own address. */
bool ilp_address_link_local(const uint8_t *addr, size_t len);

/* True if a[0..n) is a valid ILP address: 1..1023 bytes, scheme one of g,
 * private, example, peer, self, test, test1, test2, test3, local, followed
 * by one or more "." segments of [A-Za-z0-9_~-]+. */
bool ilp_address_valid(const uint8_t *a, size_t n);

/* True if s[0..n) is a valid single segment ([A-Za-z0-9_~-]+). */
bool ilp_address_segment_valid(const uint8_t *s, size_t n);

/* True if prefix matches addr on a segment boundary: addr == prefix, or addr
 * starts with prefix followed by '.'. An empty prefix matches everything. */
bool ilp_address_has_prefix(const uint8_t *addr, size_t alen,
			    const uint8_t *prefix, size_t plen);

/* ---- error codes (RFC 27) --------------------------------------------- */

struct ilp_error_info {
	char code[4];      /* "F02" */
	const char *name;  /* "Unreachable" */
};

/* Name of a known code ("Unreachable" for "F02"), or NULL if unknown. */
const char *ilp_error_name(const uint8_t code[ILP_CODE_LEN]);
/* The whole table, terminated by an entry with name == NULL. */
extern const struct ilp_error_info ilp_error_table[];

/* F08 Amount Too Large data: received and maximum amounts (16 bytes). */
#define ILP_F08_DATA_LEN 16
void ilp_f08_data_encode(uint64_t received, uint64_t maximum,
			 uint8_t out[ILP_F08_DATA_LEN]);
int ilp_f08_data_decode(const uint8_t *data, size_t len, uint64_t *received,
			uint64_t *maximum) ILP_CHECK_RESULT;

#endif /* ILP_PACKET_H */
