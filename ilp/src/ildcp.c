/*
 * ildcp.c - IL-DCP (RFC 31) request and response codec.
 *
 * IMPLEMENTATION NOTES
 * - The peer condition is SHA-256 of 32 zero bytes, kept as a constant
 *   because ilp/ has no hash function (tests/unit/test_ildcp.c recomputes
 *   it with the HAL's SHA-256 to pin the constant).
 * - The response's data is parsed with `end` narrowed to the data: a field
 *   running past it is ILP_ERR_INVALID; bytes after assetCode are ignored.
 * - ildcp_response_encode() writes the Fulfill directly (no scratch buffer
 *   for the data): measure, check capacity, write.
 */
#include "ilp/ildcp.h"

#include <string.h>

#include "ilp/oer.h"

const uint8_t ilp_peer_fulfillment[ILP_FULFILLMENT_LEN] = { 0 };

const uint8_t ilp_peer_condition[ILP_CONDITION_LEN] = {
	0x66, 0x68, 0x7a, 0xad, 0xf8, 0x62, 0xbd, 0x77,
	0x6c, 0x8f, 0xc1, 0x8b, 0x8e, 0x9f, 0x8e, 0x20,
	0x08, 0x97, 0x14, 0x85, 0x6e, 0xe2, 0x33, 0xb3,
	0x90, 0x2a, 0x59, 0x1d, 0x0d, 0x5f, 0x29, 0x25
};

static int ildcp_fail(const char **why, const char *s)
{
	if (why != NULL)
		*why = s;
	return ILP_ERR_INVALID;
}

bool ildcp_is_request(const struct ilp_prepare *p)
{
	return p->destination_len == ILDCP_DESTINATION_LEN &&
	       memcmp(p->destination, ILDCP_DESTINATION,
		      ILDCP_DESTINATION_LEN) == 0;
}

int ildcp_request_decode(const uint8_t *pkt, size_t len, struct ilp_prepare *out,
			 const char **why)
{
	int r;

	r = ilp_prepare_decode(pkt, len, out, why);
	if (r != ILP_OK)
		return r;
	if (!ildcp_is_request(out))
		return ildcp_fail(why, "IL-DCP: destination is not peer.config");
	if (memcmp(out->condition, ilp_peer_condition, ILP_CONDITION_LEN) != 0)
		return ildcp_fail(why, "IL-DCP: condition is not the peer protocol condition");
	return ILP_OK;
}

int ildcp_request_encode(int64_t expires_at, uint8_t *buf, size_t cap,
			 size_t *len)
{
	struct ilp_prepare p;

	memset(&p, 0, sizeof(p));
	p.amount = 0;
	p.expires_at = expires_at;
	p.condition = ilp_peer_condition;
	p.destination = (const uint8_t *)ILDCP_DESTINATION;
	p.destination_len = ILDCP_DESTINATION_LEN;
	p.data = NULL;
	p.data_len = 0;
	return ilp_prepare_encode(&p, buf, cap, len);
}

static int ildcp_parse_data(const uint8_t *p, const uint8_t *end,
			    struct ildcp_response *out, const char **why)
{
	int r;

	r = oer_read_var_octets(&p, end, &out->client_address,
				&out->client_address_len);
	if (r != ILP_OK)
		return ildcp_fail(why, r == ILP_ERR_NEED_MORE ?
				  "clientAddress: runs past end of data" :
				  "clientAddress: non-canonical length");
	if (!ilp_address_valid(out->client_address, out->client_address_len))
		return ildcp_fail(why, "clientAddress: not a valid ILP address");
	if (oer_read_u8(&p, end, &out->asset_scale) != ILP_OK)
		return ildcp_fail(why, "assetScale: runs past end of data");
	r = oer_read_var_octets(&p, end, &out->asset_code,
				&out->asset_code_len);
	if (r != ILP_OK)
		return ildcp_fail(why, r == ILP_ERR_NEED_MORE ?
				  "assetCode: runs past end of data" :
				  "assetCode: non-canonical length");
	return ILP_OK;
}

int ildcp_response_decode(const uint8_t *pkt, size_t len,
			  struct ildcp_response *out, const char **why)
{
	struct ilp_fulfill f;
	int r;

	r = ilp_fulfill_decode(pkt, len, &f, why);
	if (r != ILP_OK)
		return r;
	if (memcmp(f.fulfillment, ilp_peer_fulfillment, ILP_FULFILLMENT_LEN) != 0)
		return ildcp_fail(why, "IL-DCP: fulfillment is not the peer fulfillment");
	return ildcp_parse_data(f.data, f.data + f.data_len, out, why);
}

static void ildcp_write_data(struct oer_writer *w,
			     const struct ildcp_response *r)
{
	oer_write_var_octets(w, r->client_address, r->client_address_len);
	oer_write_u8(w, r->asset_scale);
	oer_write_var_octets(w, r->asset_code, r->asset_code_len);
}

int ildcp_response_encode(const struct ildcp_response *r, uint8_t *buf,
			  size_t cap, size_t *len)
{
	struct oer_writer w;
	size_t dlen, clen, total;

	if (r == NULL || len == NULL ||
	    (r->asset_code_len > 0 && r->asset_code == NULL))
		return ILP_ERR_ARG;
	if (!ilp_address_valid(r->client_address, r->client_address_len))
		return ILP_ERR_INVALID;
	oer_writer_init(&w, NULL, 0);
	ildcp_write_data(&w, r);
	dlen = w.len;
	if (w.err != ILP_OK || dlen > ILP_DATA_MAX_LEN)
		return ILP_ERR_INVALID;
	clen = ILP_FULFILLMENT_LEN + oer_length_size(dlen) + dlen;
	total = 1 + oer_length_size(clen) + clen;
	*len = total;
	if (buf == NULL)
		return ILP_OK;
	if (cap < total)
		return ILP_ERR_OVERFLOW;
	oer_writer_init(&w, buf, cap);
	oer_write_u8(&w, ILP_TYPE_FULFILL);
	oer_write_length(&w, clen);
	oer_write_bytes(&w, ilp_peer_fulfillment, ILP_FULFILLMENT_LEN);
	oer_write_length(&w, dlen);
	ildcp_write_data(&w, r);
	return w.err;
}
