/*
 * decode.c - bytes -> JSON for every kind ilpctl knows. The field names and
 * their order are the contract of docs/ilpctl.md.
 */
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "ilp/btp.h"
#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "ilpctl.h"

/* Reports a codec failure with the codec's reason. */
static int dec_codec_fail(struct ilpctl_err *e, enum ilpctl_kind k, int r,
			  const char *why)
{
	return ilpctl_fail(e, k, "%s", why != NULL ? why : ilp_result_str(r));
}

/* Writes "key":"<ISO time>" or, if ms is out of range, fails. */
static int dec_time(struct jout *w, const char *key, int64_t ms,
		    struct ilpctl_err *e, enum ilpctl_kind k)
{
	char iso[ILPCTL_ISO_LEN];

	if (ilpctl_iso_format(ms, iso) != 0)
		return ilpctl_fail(e, k, "%s: outside years 0000-9999", key);
	jout_key(w, key);
	jout_utf8(w, (const uint8_t *)iso, sizeof(iso));
	return 0;
}

static int dec_prepare(const uint8_t *b, size_t n, struct jout *w,
		       struct ilpctl_err *e)
{
	struct ilp_prepare p;
	const char *why = NULL;
	int r = ilp_prepare_decode(b, n, &p, &why);

	if (r != ILP_OK)
		return dec_codec_fail(e, ILPCTL_PREPARE, r, why);
	jout_begin_object(w);
	jout_key(w, "type");
	jout_uint(w, ILP_TYPE_PREPARE);
	jout_key(w, "amount");
	jout_uint_string(w, p.amount);
	if (dec_time(w, "expiresAt", p.expires_at, e, ILPCTL_PREPARE) != 0)
		return -1;
	jout_key(w, "executionCondition");
	jout_hex(w, p.condition, ILP_CONDITION_LEN);
	jout_key(w, "destination");
	jout_utf8(w, p.destination, p.destination_len);
	jout_key(w, "data");
	jout_hex(w, p.data, p.data_len);
	jout_end_object(w);
	return 0;
}

static int dec_fulfill(const uint8_t *b, size_t n, struct jout *w,
		       struct ilpctl_err *e)
{
	struct ilp_fulfill f;
	const char *why = NULL;
	int r = ilp_fulfill_decode(b, n, &f, &why);

	if (r != ILP_OK)
		return dec_codec_fail(e, ILPCTL_FULFILL, r, why);
	jout_begin_object(w);
	jout_key(w, "type");
	jout_uint(w, ILP_TYPE_FULFILL);
	jout_key(w, "fulfillment");
	jout_hex(w, f.fulfillment, ILP_FULFILLMENT_LEN);
	jout_key(w, "data");
	jout_hex(w, f.data, f.data_len);
	jout_end_object(w);
	return 0;
}

static int dec_reject(const uint8_t *b, size_t n, struct jout *w,
		      struct ilpctl_err *e)
{
	struct ilp_reject j;
	const char *why = NULL;
	int r = ilp_reject_decode(b, n, &j, &why);

	if (r != ILP_OK)
		return dec_codec_fail(e, ILPCTL_REJECT, r, why);
	jout_begin_object(w);
	jout_key(w, "type");
	jout_uint(w, ILP_TYPE_REJECT);
	jout_key(w, "code");
	jout_utf8(w, j.code, ILP_CODE_LEN);
	jout_key(w, "triggeredBy");
	jout_utf8(w, j.triggered_by, j.triggered_by_len);
	jout_key(w, "message");
	jout_utf8(w, j.message, j.message_len);
	jout_key(w, "data");
	jout_hex(w, j.data, j.data_len);
	jout_end_object(w);
	return 0;
}

static int dec_ilp(const uint8_t *b, size_t n, struct jout *w,
		   struct ilpctl_err *e)
{
	switch (b[0]) {
	case ILP_TYPE_PREPARE:
		return dec_prepare(b, n, w, e);
	case ILP_TYPE_FULFILL:
		return dec_fulfill(b, n, w, e);
	case ILP_TYPE_REJECT:
		return dec_reject(b, n, w, e);
	default:
		return ilpctl_fail(e, ILPCTL_ILP,
				   "type: %u is not an ILP packet type (12, 13, 14)",
				   (unsigned)b[0]);
	}
}

static void dec_btp_pd(const struct btp_frame *f, struct jout *w)
{
	struct btp_pd_iter it;
	struct btp_pd_entry en;

	jout_key(w, "protocolData");
	jout_begin_array(w);
	btp_pd_iter_init(&it, &f->pd);
	while (btp_pd_next(&it, &en)) {
		jout_begin_object(w);
		jout_key(w, "protocolName");
		jout_utf8(w, en.name, en.name_len);
		jout_key(w, "contentType");
		jout_uint(w, en.content_type);
		jout_key(w, "data");
		jout_hex(w, en.data, en.data_len);
		jout_end_object(w);
	}
	jout_end_array(w);
}

static void dec_btp_error(const struct btp_frame *f, struct jout *w)
{
	char iso[ILPCTL_ISO_LEN];
	int64_t ms;

	jout_key(w, "code");
	jout_utf8(w, f->code, BTP_CODE_LEN);
	jout_key(w, "name");
	jout_utf8(w, f->name, f->name_len);
	jout_key(w, "triggeredAt");
	if (btp_error_triggered_at(f, &ms) == ILP_OK &&
	    ilpctl_iso_format(ms, iso) == 0)
		jout_utf8(w, (const uint8_t *)iso, sizeof(iso));
	else
		jout_null(w);
	jout_key(w, "data");
	jout_hex(w, f->data, f->data_len);
}

static int dec_btp(const uint8_t *b, size_t n, struct jout *w,
		   struct ilpctl_err *e)
{
	struct btp_frame f;
	const char *why = NULL;
	int r = btp_frame_decode(b, n, &f, &why);

	if (r == ILP_ERR_UNSUPPORTED)
		return ilpctl_fail(e, ILPCTL_BTP, "unknown BTP frame type %u",
				   (unsigned)f.type);
	if (r != ILP_OK)
		return dec_codec_fail(e, ILPCTL_BTP, r, why);
	jout_begin_object(w);
	jout_key(w, "type");
	jout_uint(w, f.type);
	jout_key(w, "requestId");
	jout_uint(w, f.request_id);
	if (f.type == BTP_TRANSFER) {
		jout_key(w, "amount");
		jout_uint_string(w, f.amount);
	} else if (f.type == BTP_ERROR) {
		dec_btp_error(&f, w);
	}
	dec_btp_pd(&f, w);
	jout_end_object(w);
	return 0;
}

static int dec_ildcp_request(const uint8_t *b, size_t n, struct jout *w,
			     struct ilpctl_err *e)
{
	struct ilp_prepare p;
	const char *why = NULL;
	int r = ildcp_request_decode(b, n, &p, &why);

	if (r != ILP_OK)
		return dec_codec_fail(e, ILPCTL_ILDCP_REQUEST, r, why);
	jout_begin_object(w);
	if (dec_time(w, "expiresAt", p.expires_at, e, ILPCTL_ILDCP_REQUEST) != 0)
		return -1;
	jout_end_object(w);
	return 0;
}

static int dec_ildcp_response(const uint8_t *b, size_t n, struct jout *w,
			      struct ilpctl_err *e)
{
	struct ildcp_response rs;
	const char *why = NULL;
	int r = ildcp_response_decode(b, n, &rs, &why);

	if (r != ILP_OK)
		return dec_codec_fail(e, ILPCTL_ILDCP_RESPONSE, r, why);
	jout_begin_object(w);
	jout_key(w, "clientAddress");
	jout_utf8(w, rs.client_address, rs.client_address_len);
	jout_key(w, "assetScale");
	jout_uint(w, rs.asset_scale);
	jout_key(w, "assetCode");
	jout_utf8(w, rs.asset_code, rs.asset_code_len);
	jout_end_object(w);
	return 0;
}

static int dec_f08(const uint8_t *b, size_t n, struct jout *w,
		   struct ilpctl_err *e)
{
	uint64_t received, maximum;

	if (ilp_f08_data_decode(b, n, &received, &maximum) != ILP_OK)
		return ilpctl_fail(e, ILPCTL_F08, "expected %u bytes, got %zu",
				   (unsigned)ILP_F08_DATA_LEN, n);
	jout_begin_object(w);
	jout_key(w, "receivedAmount");
	jout_uint_string(w, received);
	jout_key(w, "maximumAmount");
	jout_uint_string(w, maximum);
	jout_end_object(w);
	return 0;
}

static int dec_auto(const uint8_t *b, size_t n, struct jout *w,
		    struct ilpctl_err *e)
{
	switch (b[0]) {
	case ILP_TYPE_PREPARE:
	case ILP_TYPE_FULFILL:
	case ILP_TYPE_REJECT:
		return dec_ilp(b, n, w, e);
	case BTP_RESPONSE:
	case BTP_ERROR:
	case BTP_MESSAGE:
	case BTP_TRANSFER:
		return dec_btp(b, n, w, e);
	default:
		return ilpctl_fail(e, ILPCTL_AUTO,
				   "first byte %u is neither an ILP packet type (12, 13, 14) "
				   "nor a BTP frame type (1, 2, 6, 7)", (unsigned)b[0]);
	}
}

static int dec_dispatch(enum ilpctl_kind k, const uint8_t *b, size_t n,
			struct jout *w, struct ilpctl_err *e)
{
	switch (k) {
	case ILPCTL_AUTO: return dec_auto(b, n, w, e);
	case ILPCTL_ILP: return dec_ilp(b, n, w, e);
	case ILPCTL_PREPARE: return dec_prepare(b, n, w, e);
	case ILPCTL_FULFILL: return dec_fulfill(b, n, w, e);
	case ILPCTL_REJECT: return dec_reject(b, n, w, e);
	case ILPCTL_BTP: return dec_btp(b, n, w, e);
	case ILPCTL_ILDCP_REQUEST: return dec_ildcp_request(b, n, w, e);
	case ILPCTL_ILDCP_RESPONSE: return dec_ildcp_response(b, n, w, e);
	case ILPCTL_F08: return dec_f08(b, n, w, e);
	case ILPCTL_KIND_COUNT: break;
	}
	return ilpctl_fail(e, k, "unknown kind");
}

int ilpctl_verify(enum ilpctl_kind k, const uint8_t *b, size_t n,
		  struct ilpctl_err *e)
{
	struct jout sink;

	/* A zero-capacity writer drops everything: only the checks run. */
	jout_init(&sink, NULL, 0);
	if (n == 0)
		return ilpctl_fail(e, k, "empty input");
	return dec_dispatch(k, b, n, &sink, e);
}

int ilpctl_decode(enum ilpctl_kind k, uint8_t *line, size_t len,
		  struct jout *w, struct ilpctl_err *e)
{
	long n;

	if (len == 0)
		return ilpctl_fail(e, k, "empty input");
	n = ilpctl_unhex(line, len, line);
	if (n < 0)
		return ilpctl_fail(e, k, "not hex");
	if (dec_dispatch(k, line, (size_t)n, w, e) != 0)
		return -1;
	if (w->overflow)
		return ilpctl_fail(e, k, "output longer than %u bytes",
				   (unsigned)w->cap);
	return 0;
}
