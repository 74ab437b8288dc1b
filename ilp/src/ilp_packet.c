/*
 * ilp_packet.c - ILPv4 Prepare/Fulfill/Reject codec, ILP addresses and the
 * RFC 27 error code table.
 *
 * IMPLEMENTATION NOTES
 * - A decoder first checks the envelope (type byte, canonical length, length
 *   equal to `len`), then reads the fields with `end` narrowed to the
 *   envelope. Inside the envelope a field that runs past the end can never
 *   be completed, so every ILP_ERR_NEED_MORE from a field read becomes
 *   ILP_ERR_INVALID; only a short envelope is ILP_ERR_NEED_MORE.
 * - Encoders validate the view, measure the contents with a counting writer,
 *   check the capacity, and only then write: a failed encode leaves buf
 *   untouched. On ILP_ERR_OVERFLOW *len still receives the size needed.
 * - Every failure sets *why to a string literal naming the field.
 */
#include "ilp/ilp_packet.h"

#include <string.h>

#include "ilp/oer.h"

static void ilp_set_why(const char **why, const char *s)
{
	if (why != NULL)
		*why = s;
}

/* ---- addresses (RFC 15) ---------------------------------------------- */

static bool ilp_segment_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '~' || c == '-';
}

bool ilp_address_segment_valid(const uint8_t *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!ilp_segment_char(s[i]))
			return false;
	return true;
}

static bool ilp_scheme_valid(const uint8_t *s, size_t n)
{
	static const char *const schemes[] = {
		"g", "private", "example", "peer", "self", "test",
		"test1", "test2", "test3", "local"
	};
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i]) == n && memcmp(schemes[i], s, n) == 0)
			return true;
	return false;
}

bool ilp_address_link_local(const uint8_t *addr, size_t len)
{
	return (len >= 4 && memcmp(addr, "peer", 4) == 0 && (len == 4 || addr[4] == '.')) ||
	       (len >= 4 && memcmp(addr, "self", 4) == 0 && (len == 4 || addr[4] == '.'));
}

bool ilp_address_valid(const uint8_t *a, size_t n)
{
	size_t i, start;
	bool scheme = true;

	if (a == NULL || n == 0 || n > ILP_ADDRESS_MAX_LEN)
		return false;
	start = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && a[i] != '.')
			continue;
		if (scheme) {
			if (!ilp_scheme_valid(a, i))
				return false;
			scheme = false;
		} else if (!ilp_address_segment_valid(a + start, i - start)) {
			return false;
		}
		start = i + 1;
	}
	/* The scheme alone ("g") is not an address: one more segment needed. */
	return memchr(a, '.', n) != NULL;
}

bool ilp_address_has_prefix(const uint8_t *addr, size_t alen,
			    const uint8_t *prefix, size_t plen)
{
	if (plen == 0)
		return true;
	if (alen < plen || memcmp(addr, prefix, plen) != 0)
		return false;
	return alen == plen || addr[plen] == '.';
}

/* ---- envelope ---------------------------------------------------------- */

int ilp_packet_measure(const uint8_t *p, size_t avail, size_t *size)
{
	const uint8_t *q;
	size_t clen, hdr;
	int r;

	if (avail < 1)
		return ILP_ERR_NEED_MORE;
	q = p + 1;
	r = oer_read_length(&q, p + avail, &clen);
	if (r != ILP_OK)
		return r;
	hdr = (size_t)(q - p);
	if (clen > SIZE_MAX - hdr)
		return ILP_ERR_INVALID;
	if (avail < hdr + clen)
		return ILP_ERR_NEED_MORE;
	*size = hdr + clen;
	if (p[0] != ILP_TYPE_PREPARE && p[0] != ILP_TYPE_FULFILL &&
	    p[0] != ILP_TYPE_REJECT)
		return ILP_ERR_UNSUPPORTED;
	return ILP_OK;
}

int ilp_packet_type(const uint8_t *pkt, size_t len)
{
	if (pkt == NULL || len < 1)
		return ILP_ERR_INVALID;
	return pkt[0];
}

/* Checks the envelope of a whole packet of type `type` and returns its
 * contents as [*c, *cend). */
static int ilp_open_envelope(const uint8_t *pkt, size_t len, uint8_t type,
			     const uint8_t **c, const uint8_t **cend,
			     const char **why)
{
	const uint8_t *q;
	size_t clen;
	int r;

	if (pkt == NULL || len < 1) {
		ilp_set_why(why, "envelope: empty packet");
		return ILP_ERR_NEED_MORE;
	}
	if (pkt[0] != type) {
		ilp_set_why(why, "wrong packet type");
		return ILP_ERR_INVALID;
	}
	q = pkt + 1;
	r = oer_read_length(&q, pkt + len, &clen);
	if (r == ILP_ERR_INVALID) {
		ilp_set_why(why, "envelope: non-canonical length");
		return r;
	}
	if (r != ILP_OK || (size_t)(pkt + len - q) < clen) {
		ilp_set_why(why, "envelope: truncated packet");
		return ILP_ERR_NEED_MORE;
	}
	if ((size_t)(pkt + len - q) > clen) {
		ilp_set_why(why, "trailing bytes after packet");
		return ILP_ERR_INVALID;
	}
	*c = q;
	*cend = q + clen;
	return ILP_OK;
}

/* Maps a field read inside the envelope: NEED_MORE means the field runs past
 * the envelope end, which no more input can fix. */
static int ilp_field(int r, const char *past, const char *noncanon,
		     const char **why)
{
	if (r == ILP_OK)
		return ILP_OK;
	ilp_set_why(why, r == ILP_ERR_NEED_MORE ? past : noncanon);
	return ILP_ERR_INVALID;
}

static int ilp_fail(const char **why, const char *s)
{
	ilp_set_why(why, s);
	return ILP_ERR_INVALID;
}

/* ---- Prepare ----------------------------------------------------------- */

int ilp_prepare_decode(const uint8_t *pkt, size_t len, struct ilp_prepare *out,
		       const char **why)
{
	const uint8_t *p, *end, *ts;
	int r;

	r = ilp_open_envelope(pkt, len, ILP_TYPE_PREPARE, &p, &end, why);
	if (r != ILP_OK)
		return r;
	out->contents_off = (size_t)(p - pkt);
	if (ilp_field(oer_read_u64(&p, end, &out->amount),
		      "amount: runs past end of envelope", "", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (ilp_field(oer_read_fixed(&p, end, OER_TIME17_LEN, &ts),
		      "expiresAt: runs past end of envelope", "", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (oer_time17_decode(ts, &out->expires_at) != ILP_OK)
		return ilp_fail(why, "expiresAt: not a valid timestamp");
	if (ilp_field(oer_read_fixed(&p, end, ILP_CONDITION_LEN, &out->condition),
		      "executionCondition: runs past end of envelope", "",
		      why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (ilp_field(oer_read_var_octets(&p, end, &out->destination,
					  &out->destination_len),
		      "destination: runs past end of envelope",
		      "destination: non-canonical length", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (!ilp_address_valid(out->destination, out->destination_len))
		return ilp_fail(why, "destination: not a valid ILP address");
	if (ilp_field(oer_read_var_octets(&p, end, &out->data, &out->data_len),
		      "data: runs past end of envelope",
		      "data: non-canonical length", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (out->data_len > ILP_DATA_MAX_LEN)
		return ilp_fail(why, "data: longer than 32767 bytes");
	return ILP_OK;
}

/* ---- Fulfill ----------------------------------------------------------- */

int ilp_fulfill_decode(const uint8_t *pkt, size_t len, struct ilp_fulfill *out,
		       const char **why)
{
	const uint8_t *p, *end;
	int r;

	r = ilp_open_envelope(pkt, len, ILP_TYPE_FULFILL, &p, &end, why);
	if (r != ILP_OK)
		return r;
	if (ilp_field(oer_read_fixed(&p, end, ILP_FULFILLMENT_LEN,
				     &out->fulfillment),
		      "fulfillment: runs past end of envelope", "", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (ilp_field(oer_read_var_octets(&p, end, &out->data, &out->data_len),
		      "data: runs past end of envelope",
		      "data: non-canonical length", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (out->data_len > ILP_DATA_MAX_LEN)
		return ilp_fail(why, "data: longer than 32767 bytes");
	return ILP_OK;
}

/* ---- Reject ------------------------------------------------------------ */

static bool ilp_code_valid(const uint8_t *code)
{
	size_t i;

	for (i = 0; i < ILP_CODE_LEN; i++)
		if (code[i] < 0x20 || code[i] > 0x7e)
			return false;
	return true;
}

static bool ilp_triggered_by_valid(const uint8_t *a, size_t n)
{
	return n == 0 || ilp_address_valid(a, n);
}

int ilp_reject_decode(const uint8_t *pkt, size_t len, struct ilp_reject *out,
		      const char **why)
{
	const uint8_t *p, *end;
	int r;

	r = ilp_open_envelope(pkt, len, ILP_TYPE_REJECT, &p, &end, why);
	if (r != ILP_OK)
		return r;
	if (ilp_field(oer_read_fixed(&p, end, ILP_CODE_LEN, &out->code),
		      "code: runs past end of envelope", "", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (!ilp_code_valid(out->code))
		return ilp_fail(why, "code: not printable ASCII");
	if (ilp_field(oer_read_var_octets(&p, end, &out->triggered_by,
					  &out->triggered_by_len),
		      "triggeredBy: runs past end of envelope",
		      "triggeredBy: non-canonical length", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (!ilp_triggered_by_valid(out->triggered_by, out->triggered_by_len))
		return ilp_fail(why, "triggeredBy: not a valid ILP address");
	if (ilp_field(oer_read_var_octets(&p, end, &out->message,
					  &out->message_len),
		      "message: runs past end of envelope",
		      "message: non-canonical length", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (out->message_len > ILP_MESSAGE_MAX_LEN)
		return ilp_fail(why, "message: longer than 8191 bytes");
	if (ilp_field(oer_read_var_octets(&p, end, &out->data, &out->data_len),
		      "data: runs past end of envelope",
		      "data: non-canonical length", why) != ILP_OK)
		return ILP_ERR_INVALID;
	if (out->data_len > ILP_DATA_MAX_LEN)
		return ilp_fail(why, "data: longer than 32767 bytes");
	return ILP_OK;
}

/* ---- encoding ---------------------------------------------------------- */

static void ilp_write_prepare_contents(struct oer_writer *w,
				       const struct ilp_prepare *v,
				       const uint8_t ts[OER_TIME17_LEN])
{
	oer_write_u64(w, v->amount);
	oer_write_bytes(w, ts, OER_TIME17_LEN);
	oer_write_bytes(w, v->condition, ILP_CONDITION_LEN);
	oer_write_var_octets(w, v->destination, v->destination_len);
	oer_write_var_octets(w, v->data, v->data_len);
}

static void ilp_write_fulfill_contents(struct oer_writer *w,
				       const struct ilp_fulfill *v)
{
	oer_write_bytes(w, v->fulfillment, ILP_FULFILLMENT_LEN);
	oer_write_var_octets(w, v->data, v->data_len);
}

static void ilp_write_reject_contents(struct oer_writer *w,
				      const struct ilp_reject *v)
{
	oer_write_bytes(w, v->code, ILP_CODE_LEN);
	oer_write_var_octets(w, v->triggered_by, v->triggered_by_len);
	oer_write_var_octets(w, v->message, v->message_len);
	oer_write_var_octets(w, v->data, v->data_len);
}

/* Which contents writer ilp_encode() calls. */
struct ilp_encode_src {
	uint8_t type;
	const struct ilp_prepare *prepare;
	const uint8_t *ts;
	const struct ilp_fulfill *fulfill;
	const struct ilp_reject *reject;
};

static void ilp_write_contents(struct oer_writer *w,
			       const struct ilp_encode_src *s)
{
	if (s->type == ILP_TYPE_PREPARE)
		ilp_write_prepare_contents(w, s->prepare, s->ts);
	else if (s->type == ILP_TYPE_FULFILL)
		ilp_write_fulfill_contents(w, s->fulfill);
	else
		ilp_write_reject_contents(w, s->reject);
}

/* Measures, checks capacity, then writes type + length + contents. */
static int ilp_encode(const struct ilp_encode_src *s, uint8_t *buf, size_t cap,
		      size_t *len)
{
	struct oer_writer w;
	size_t clen, total;

	oer_writer_init(&w, NULL, 0);
	ilp_write_contents(&w, s);
	if (w.err != ILP_OK)
		return w.err;
	clen = w.len;
	total = 1 + oer_length_size(clen) + clen;
	*len = total;
	if (buf == NULL)
		return ILP_OK;
	if (cap < total)
		return ILP_ERR_OVERFLOW;
	oer_writer_init(&w, buf, cap);
	oer_write_u8(&w, s->type);
	oer_write_length(&w, clen);
	ilp_write_contents(&w, s);
	return w.err;
}

static bool ilp_bytes_ok(const uint8_t *p, size_t n)
{
	return n == 0 || p != NULL;
}

int ilp_prepare_encode(const struct ilp_prepare *v, uint8_t *buf, size_t cap,
		       size_t *len)
{
	struct ilp_encode_src s = { ILP_TYPE_PREPARE, v, NULL, NULL, NULL };
	uint8_t ts[OER_TIME17_LEN];

	if (v == NULL || len == NULL || v->condition == NULL ||
	    !ilp_bytes_ok(v->data, v->data_len))
		return ILP_ERR_ARG;
	if (!ilp_address_valid(v->destination, v->destination_len) ||
	    v->data_len > ILP_DATA_MAX_LEN)
		return ILP_ERR_INVALID;
	if (oer_time17_encode(v->expires_at, ts) != ILP_OK)
		return ILP_ERR_INVALID;
	s.ts = ts;
	return ilp_encode(&s, buf, cap, len);
}

int ilp_fulfill_encode(const struct ilp_fulfill *v, uint8_t *buf, size_t cap,
		       size_t *len)
{
	struct ilp_encode_src s = { ILP_TYPE_FULFILL, NULL, NULL, v, NULL };

	if (v == NULL || len == NULL || v->fulfillment == NULL ||
	    !ilp_bytes_ok(v->data, v->data_len))
		return ILP_ERR_ARG;
	if (v->data_len > ILP_DATA_MAX_LEN)
		return ILP_ERR_INVALID;
	return ilp_encode(&s, buf, cap, len);
}

int ilp_reject_encode(const struct ilp_reject *v, uint8_t *buf, size_t cap,
		      size_t *len)
{
	struct ilp_encode_src s = { ILP_TYPE_REJECT, NULL, NULL, NULL, v };

	if (v == NULL || len == NULL || v->code == NULL ||
	    !ilp_bytes_ok(v->triggered_by, v->triggered_by_len) ||
	    !ilp_bytes_ok(v->message, v->message_len) ||
	    !ilp_bytes_ok(v->data, v->data_len))
		return ILP_ERR_ARG;
	if (!ilp_code_valid(v->code) ||
	    !ilp_triggered_by_valid(v->triggered_by, v->triggered_by_len) ||
	    v->message_len > ILP_MESSAGE_MAX_LEN ||
	    v->data_len > ILP_DATA_MAX_LEN)
		return ILP_ERR_INVALID;
	return ilp_encode(&s, buf, cap, len);
}

int ilp_prepare_patch(uint8_t *pkt, const struct ilp_prepare *view,
		      uint64_t amount, int64_t expires_at)
{
	uint8_t ts[OER_TIME17_LEN];

	if (pkt == NULL || view == NULL)
		return ILP_ERR_ARG;
	if (oer_time17_encode(expires_at, ts) != ILP_OK)
		return ILP_ERR_RANGE;
	oer_put_be64(pkt + view->contents_off, amount);
	memcpy(pkt + view->contents_off + 8, ts, OER_TIME17_LEN);
	return ILP_OK;
}

/* ---- error codes (RFC 27) --------------------------------------------- */

const struct ilp_error_info ilp_error_table[] = {
	{ "F00", "Bad Request" },
	{ "F01", "Invalid Packet" },
	{ "F02", "Unreachable" },
	{ "F03", "Invalid Amount" },
	{ "F04", "Insufficient Destination Amount" },
	{ "F05", "Wrong Condition" },
	{ "F06", "Unexpected Payment" },
	{ "F07", "Cannot Receive" },
	{ "F08", "Amount Too Large" },
	{ "F99", "Application Error" },
	{ "T00", "Internal Error" },
	{ "T01", "Peer Unreachable" },
	{ "T02", "Peer Busy" },
	{ "T03", "Connector Busy" },
	{ "T04", "Insufficient Liquidity" },
	{ "T05", "Rate Limited" },
	{ "T99", "Application Error" },
	{ "R00", "Transfer Timed Out" },
	{ "R01", "Insufficient Source Amount" },
	{ "R02", "Insufficient Timeout" },
	{ "R99", "Application Error" },
	{ "", NULL }
};

const char *ilp_error_name(const uint8_t code[ILP_CODE_LEN])
{
	const struct ilp_error_info *e;

	if (code == NULL)
		return NULL;
	for (e = ilp_error_table; e->name != NULL; e++)
		if (memcmp(e->code, code, ILP_CODE_LEN) == 0)
			return e->name;
	return NULL;
}

void ilp_f08_data_encode(uint64_t received, uint64_t maximum,
			 uint8_t out[ILP_F08_DATA_LEN])
{
	oer_put_be64(out, received);
	oer_put_be64(out + 8, maximum);
}

int ilp_f08_data_decode(const uint8_t *data, size_t len, uint64_t *received,
			uint64_t *maximum)
{
	if (data == NULL || len != ILP_F08_DATA_LEN)
		return ILP_ERR_INVALID;
	*received = oer_get_be64(data);
	*maximum = oer_get_be64(data + 8);
	return ILP_OK;
}
