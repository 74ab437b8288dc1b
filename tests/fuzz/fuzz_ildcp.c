/*
 * fuzz_ildcp.c - libFuzzer target for IL-DCP (ilp/include/ilp/ildcp.h).
 *
 * Properties checked (a violation traps):
 *  - an accepted request is a valid Prepare to peer.config carrying the
 *    peer-protocol condition;
 *  - an accepted response is a Fulfill with the zero fulfillment and a
 *    valid address; it re-encodes, decodes to the same fields, and the
 *    re-encoding is stable;
 *  - responses built from fuzz-chosen fields either encode and decode back
 *    to the same fields, or are refused because the address is invalid;
 *  - a request encoded for a fuzz-chosen expiry decodes with that expiry.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "ilp/oer.h"

static uint8_t enc1[ILP_FULFILL_MAX_SIZE];
static uint8_t enc2[ILP_FULFILL_MAX_SIZE];

static bool same_response(const struct ildcp_response *a,
			  const struct ildcp_response *b)
{
	return fuzz_same(a->client_address, a->client_address_len,
			 b->client_address, b->client_address_len) &&
	       a->asset_scale == b->asset_scale &&
	       fuzz_same(a->asset_code, a->asset_code_len, b->asset_code,
			 b->asset_code_len);
}

static void fuzz_request(const uint8_t *d, size_t size)
{
	struct ilp_prepare r, p;
	const char *why = NULL;

	if (ildcp_request_decode(d, size, &r, &why) != ILP_OK) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(ilp_prepare_decode(d, size, &p, NULL) == ILP_OK);
	FUZZ_CHECK(ildcp_is_request(&r));
	FUZZ_CHECK(fuzz_same(r.destination, r.destination_len,
			     (const uint8_t *)ILDCP_DESTINATION, ILDCP_DESTINATION_LEN));
	FUZZ_CHECK(memcmp(r.condition, ilp_peer_condition, ILP_CONDITION_LEN) == 0);
	FUZZ_CHECK(r.amount == p.amount && r.expires_at == p.expires_at);
}

/* Encodes r, decodes the result and checks it describes the same fields. */
static void round_trip(const struct ildcp_response *r)
{
	struct ildcp_response b, c;
	struct ilp_fulfill f;
	size_t len1 = 0, len2 = 0, mlen = 0;

	FUZZ_CHECK(ildcp_response_encode(r, NULL, 0, &mlen) == ILP_OK);
	FUZZ_CHECK(ildcp_response_encode(r, enc1, sizeof(enc1), &len1) == ILP_OK);
	FUZZ_CHECK(len1 == mlen);
	FUZZ_CHECK(ildcp_response_decode(enc1, len1, &b, NULL) == ILP_OK);
	FUZZ_CHECK(same_response(r, &b));
	FUZZ_CHECK(ilp_fulfill_decode(enc1, len1, &f, NULL) == ILP_OK);
	FUZZ_CHECK(memcmp(f.fulfillment, ilp_peer_fulfillment, ILP_FULFILLMENT_LEN) == 0);
	FUZZ_CHECK(ildcp_response_encode(&b, enc2, sizeof(enc2), &len2) == ILP_OK);
	FUZZ_CHECK(fuzz_same(enc1, len1, enc2, len2));
	FUZZ_CHECK(ildcp_response_decode(enc2, len2, &c, NULL) == ILP_OK);
	FUZZ_CHECK(same_response(&b, &c));
}

static void fuzz_response(const uint8_t *d, size_t size)
{
	struct ildcp_response r;
	struct ilp_fulfill f;
	const char *why = NULL;

	if (ildcp_response_decode(d, size, &r, &why) != ILP_OK) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(ilp_fulfill_decode(d, size, &f, NULL) == ILP_OK);
	FUZZ_CHECK(memcmp(f.fulfillment, ilp_peer_fulfillment, ILP_FULFILLMENT_LEN) == 0);
	FUZZ_CHECK(ilp_address_valid(r.client_address, r.client_address_len));
	round_trip(&r);
}

/* Builds a response from the input: [scale][alen][address...][code...]. */
static void fuzz_build(const uint8_t *d, size_t size)
{
	struct ildcp_response r;
	size_t alen, len = 0;
	int rc;

	if (size < 2)
		return;
	alen = d[1];
	if (alen > size - 2)
		alen = size - 2;
	r.asset_scale = d[0];
	r.client_address = d + 2;
	r.client_address_len = alen;
	r.asset_code = d + 2 + alen;
	r.asset_code_len = size - 2 - alen;
	if (r.asset_code_len > 64)
		r.asset_code_len = 64;
	rc = ildcp_response_encode(&r, enc1, sizeof(enc1), &len);
	if (!ilp_address_valid(r.client_address, r.client_address_len)) {
		FUZZ_CHECK(rc == ILP_ERR_INVALID);
		return;
	}
	FUZZ_CHECK(rc == ILP_OK);
	round_trip(&r);
}

static void fuzz_request_encode(const uint8_t *d, size_t size)
{
	uint8_t buf[128];
	const uint8_t *p = d;
	int64_t ms = (int64_t)fuzz_take(&p, d + size, 8);
	struct ilp_prepare r;
	size_t len = 0;
	int rc;

	ms = ms % (OER_TIME_MAX_MS + 1);
	if (ms < 0)
		ms = -ms;
	rc = ildcp_request_encode(ms, buf, sizeof(buf), &len);
	FUZZ_CHECK(rc == ILP_OK);
	FUZZ_CHECK(ildcp_request_decode(buf, len, &r, NULL) == ILP_OK);
	FUZZ_CHECK(r.expires_at == ms && r.amount == 0 && r.data_len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > ILP_FULFILL_MAX_SIZE)
		return 0;
	fuzz_request(data, size);
	fuzz_response(data, size);
	fuzz_build(data, size);
	fuzz_request_encode(data, size);
	return 0;
}
