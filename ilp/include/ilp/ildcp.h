/*
 * ildcp.h - IL-DCP (RFC 31): a child asks its parent for its ILP address,
 * asset scale and asset code with an ILP Prepare to `peer.config`.
 *
 * Memory: struct ildcp_response is 40 bytes of pointers into the caller's
 * buffer. No heap, no global state; reentrant.
 */
#ifndef ILP_ILDCP_H
#define ILP_ILDCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"
#include "ilp/ilp_packet.h"

#define ILDCP_DESTINATION "peer.config"
#define ILDCP_DESTINATION_LEN 11

/* The peer-protocol fulfillment (32 zero bytes) and its condition,
 * SHA-256 of it. Shared by IL-DCP and CCP. */
extern const uint8_t ilp_peer_fulfillment[ILP_FULFILLMENT_LEN];
extern const uint8_t ilp_peer_condition[ILP_CONDITION_LEN];

struct ildcp_response {
	const uint8_t *client_address;
	size_t client_address_len;
	uint8_t asset_scale;
	const uint8_t *asset_code;   /* UTF-8, not validated */
	size_t asset_code_len;
};

/* True if p is addressed to peer.config (condition not checked). */
bool ildcp_is_request(const struct ilp_prepare *p);

/* Decodes an IL-DCP request: a Prepare to peer.config with the peer
 * condition. ILP_ERR_INVALID with *why otherwise. */
int ildcp_request_decode(const uint8_t *pkt, size_t len, struct ilp_prepare *out,
			 const char **why) ILP_CHECK_RESULT;

/* Encodes the request Prepare: amount 0, the peer condition, empty data. */
int ildcp_request_encode(int64_t expires_at, uint8_t *buf, size_t cap,
			 size_t *len) ILP_CHECK_RESULT;

/* Decodes the whole response Fulfill: the fulfillment must be all zero and
 * the data must hold a valid address, a scale and a code. */
int ildcp_response_decode(const uint8_t *pkt, size_t len,
			  struct ildcp_response *out,
			  const char **why) ILP_CHECK_RESULT;

/* Encodes the response as a whole Fulfill packet (zero fulfillment). */
int ildcp_response_encode(const struct ildcp_response *r, uint8_t *buf,
			  size_t cap, size_t *len) ILP_CHECK_RESULT;

#endif /* ILP_ILDCP_H */
