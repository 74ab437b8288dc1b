/*
 * settle_req.h - the requests a settlement engine sends ilpd (RFC 38,
 * engine -> connector; firmware/settle_api.c serves them): the request
 * target and the quantity body. Pure: bytes in, values out; no heap.
 *
 * Target: "/accounts/ID/settlements" or "/accounts/ID/messages", ID 1..
 * SETTLE_REQ_ID_MAX bytes of [A-Za-z0-9_~-] (peer names are ILP address
 * segments; nothing needs decoding), no query, no trailing slash.
 * Quantity: a JSON object {"amount": "<1..20 digits>", "scale": 0..255}
 * (other members ignored); amount as a JSON string (RFC 38) or a plain
 * non-negative integer number; value <= 2^64-1.
 *
 * Memory: the JSON node table on the caller's stack (SETTLE_REQ_NODES *
 * 48 bytes); the body is decoded in place.
 */
#ifndef NET_SETTLE_REQ_H
#define NET_SETTLE_REQ_H

#include <stddef.h>
#include <stdint.h>

#define SETTLE_REQ_ID_MAX 64
#define SETTLE_REQ_NODES 16

enum settle_req_kind {
	SETTLE_REQ_SETTLEMENT = 1,
	SETTLE_REQ_MESSAGE = 2
};

/* 0 with *kind and the id (a view into t), or -1 with a static reason. */
int settle_req_target(const uint8_t *t, size_t n, int *kind, const uint8_t **id,
		      size_t *id_len, const char **why);

/* 0 with the quantity, or -1 with a static reason (the body is changed:
 * strings are decoded in place). */
int settle_req_quantity(uint8_t *body, size_t n, uint64_t *amount, uint8_t *scale,
			const char **why);

#endif /* NET_SETTLE_REQ_H */
