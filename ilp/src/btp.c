/*
 * btp.c - BTP 2.0 frame codec (RFC 23), protocol data, auth and `ilp`.
 *
 * IMPLEMENTATION NOTES
 * - A frame is type(1) requestId(4) contents(VarOctetString). The decoder
 *   checks the header and that the frame is exactly `len` bytes before it
 *   looks at the type, so an unknown type with a sound header is
 *   ILP_ERR_UNSUPPORTED (type and requestId filled) and anything else is
 *   ILP_ERR_INVALID. A short frame is ILP_ERR_INVALID too: the caller hands
 *   over whole WebSocket messages, so nothing more will follow.
 * - Fields are read with `end` narrowed to the contents; a field running past
 *   the contents is ILP_ERR_INVALID.
 * - Protocol data is validated completely at decode; btp_pd_next() then only
 *   re-reads entries that are known good. A count that cannot fit in the
 *   remaining bytes (each entry takes at least 3) is refused before any
 *   loop, so a count of 2^64-1 costs nothing.
 * - Encoders measure with a counting writer, check capacity, then write; a
 *   failed encode leaves buf untouched and *len holds the size needed.
 */
#include "ilp/btp.h"

#include <string.h>

#include "ilp/oer.h"

#define BTP_HEADER_LEN 5
/* Smallest encoded entry: empty name, content type, empty data. */
#define BTP_PD_ENTRY_MIN 3

static int btp_fail(const char **why, const char *s)
{
	if (why != NULL)
		*why = s;
	return ILP_ERR_INVALID;
}

static bool btp_printable(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static bool btp_type_known(uint8_t t)
{
	return t == BTP_RESPONSE || t == BTP_ERROR || t == BTP_MESSAGE ||
	       t == BTP_TRANSFER;
}

int btp_frame_measure(const uint8_t *p, size_t avail, size_t *size)
{
	const uint8_t *q;
	size_t clen, hdr;
	int r;

	if (avail < BTP_HEADER_LEN)
		return ILP_ERR_NEED_MORE;
	q = p + BTP_HEADER_LEN;
	r = oer_read_length(&q, p + avail, &clen);
	if (r != ILP_OK)
		return r;
	hdr = (size_t)(q - p);
	if (clen > SIZE_MAX - hdr)
		return ILP_ERR_INVALID;
	if (avail < hdr + clen)
		return ILP_ERR_NEED_MORE;
	*size = hdr + clen;
	return ILP_OK;
}

/* ---- protocol data ----------------------------------------------------- */

/* Reads one entry; ILP_ERR_INVALID with *why on any defect. */
static int btp_pd_read_entry(const uint8_t **p, const uint8_t *end,
			     struct btp_pd_entry *e, const char **why)
{
	int r;

	r = oer_read_var_octets(p, end, &e->name, &e->name_len);
	if (r != ILP_OK)
		return btp_fail(why, r == ILP_ERR_NEED_MORE ?
				"protocolData: name runs past end of contents" :
				"protocolData: name has a non-canonical length");
	if (!btp_printable(e->name, e->name_len))
		return btp_fail(why, "protocolData: name is not printable ASCII");
	if (oer_read_u8(p, end, &e->content_type) != ILP_OK)
		return btp_fail(why, "protocolData: contentType runs past end of contents");
	r = oer_read_var_octets(p, end, &e->data, &e->data_len);
	if (r != ILP_OK)
		return btp_fail(why, r == ILP_ERR_NEED_MORE ?
				"protocolData: data runs past end of contents" :
				"protocolData: data has a non-canonical length");
	return ILP_OK;
}

static int btp_pd_decode(const uint8_t **p, const uint8_t *end,
			 struct btp_pd *pd, const char **why)
{
	struct btp_pd_entry e;
	uint64_t count, i;
	int r;

	r = oer_read_varuint(p, end, &count);
	if (r != ILP_OK)
		return btp_fail(why, r == ILP_ERR_NEED_MORE ?
				"protocolData: count runs past end of contents" :
				"protocolData: count is not a valid VarUInt");
	if (count > (uint64_t)((size_t)(end - *p) / BTP_PD_ENTRY_MIN))
		return btp_fail(why, "protocolData: more entries than bytes");
	pd->p = *p;
	pd->count = (size_t)count;
	for (i = 0; i < count; i++) {
		r = btp_pd_read_entry(p, end, &e, why);
		if (r != ILP_OK)
			return r;
	}
	pd->end = *p;
	return ILP_OK;
}

void btp_pd_iter_init(struct btp_pd_iter *it, const struct btp_pd *pd)
{
	it->p = pd->p;
	it->end = pd->end;
	it->left = pd->count;
}

bool btp_pd_next(struct btp_pd_iter *it, struct btp_pd_entry *e)
{
	if (it->left == 0 || it->p == NULL)
		return false;
	if (btp_pd_read_entry(&it->p, it->end, e, NULL) != ILP_OK) {
		it->left = 0;
		return false;
	}
	it->left--;
	return true;
}

bool btp_pd_find(const struct btp_pd *pd, const char *name,
		 struct btp_pd_entry *e)
{
	struct btp_pd_iter it;
	size_t n = strlen(name);

	btp_pd_iter_init(&it, pd);
	while (btp_pd_next(&it, e))
		if (e->name_len == n && memcmp(e->name, name, n) == 0)
			return true;
	return false;
}

bool btp_pd_primary(const struct btp_pd *pd, struct btp_pd_entry *e)
{
	struct btp_pd_iter it;

	btp_pd_iter_init(&it, pd);
	return btp_pd_next(&it, e);
}

/* ---- frame decoding ---------------------------------------------------- */

/* Error contents before the protocol data. */
static int btp_error_fields(const uint8_t **p, const uint8_t *end,
			    struct btp_frame *f, const char **why)
{
	int r;

	if (oer_read_fixed(p, end, BTP_CODE_LEN, &f->code) != ILP_OK)
		return btp_fail(why, "code: runs past end of contents");
	if (!btp_printable(f->code, BTP_CODE_LEN))
		return btp_fail(why, "code: not printable ASCII");
	r = oer_read_var_octets(p, end, &f->name, &f->name_len);
	if (r != ILP_OK)
		return btp_fail(why, "name: malformed or runs past end of contents");
	if (!btp_printable(f->name, f->name_len))
		return btp_fail(why, "name: not printable ASCII");
	r = oer_read_var_octets(p, end, &f->triggered_at, &f->triggered_at_len);
	if (r != ILP_OK)
		return btp_fail(why, "triggeredAt: malformed or runs past end of contents");
	r = oer_read_var_octets(p, end, &f->data, &f->data_len);
	if (r != ILP_OK)
		return btp_fail(why, "data: malformed or runs past end of contents");
	if (f->data_len > BTP_ERROR_DATA_MAX)
		return btp_fail(why, "data: longer than 8192 bytes");
	return ILP_OK;
}

/* Checks the header and exact length; returns the contents. */
static int btp_open_frame(const uint8_t *buf, size_t len, struct btp_frame *f,
			  const uint8_t **c, const uint8_t **cend,
			  const char **why)
{
	const uint8_t *q;
	size_t clen;
	int r;

	if (buf == NULL || len < BTP_HEADER_LEN)
		return btp_fail(why, "header: truncated frame");
	f->type = buf[0];
	f->request_id = oer_get_be32(buf + 1);
	q = buf + BTP_HEADER_LEN;
	r = oer_read_length(&q, buf + len, &clen);
	if (r == ILP_ERR_INVALID)
		return btp_fail(why, "contents: non-canonical length");
	if (r != ILP_OK || (size_t)(buf + len - q) < clen)
		return btp_fail(why, "contents: truncated frame");
	if ((size_t)(buf + len - q) > clen)
		return btp_fail(why, "trailing bytes after frame");
	*c = q;
	*cend = q + clen;
	return ILP_OK;
}

int btp_frame_decode(const uint8_t *buf, size_t len, struct btp_frame *f,
		     const char **why)
{
	const uint8_t *p, *end;
	int r;

	memset(f, 0, sizeof(*f));
	r = btp_open_frame(buf, len, f, &p, &end, why);
	if (r != ILP_OK)
		return r;
	if (!btp_type_known(f->type)) {
		if (why != NULL)
			*why = "unsupported frame type";
		return ILP_ERR_UNSUPPORTED;
	}
	if (f->type == BTP_TRANSFER &&
	    oer_read_u64(&p, end, &f->amount) != ILP_OK)
		return btp_fail(why, "amount: runs past end of contents");
	if (f->type == BTP_ERROR) {
		r = btp_error_fields(&p, end, f, why);
		if (r != ILP_OK)
			return r;
	}
	return btp_pd_decode(&p, end, &f->pd, why);
}

int btp_error_triggered_at(const struct btp_frame *f, int64_t *ms)
{
	if (f->type != BTP_ERROR || f->triggered_at == NULL)
		return ILP_ERR_INVALID;
	return oer_gtime_decode(f->triggered_at, f->triggered_at_len, ms);
}

/* ---- frame encoding ---------------------------------------------------- */

static int btp_frame_out_check(const struct btp_frame_out *f,
			       uint8_t ts[OER_GTIME_LEN])
{
	size_t i;

	if (!btp_type_known(f->type))
		return ILP_ERR_INVALID;
	if (f->entry_count > 0 && f->entries == NULL)
		return ILP_ERR_ARG;
	for (i = 0; i < f->entry_count; i++) {
		const struct btp_pd_entry *e = &f->entries[i];

		if ((e->name_len > 0 && e->name == NULL) ||
		    (e->data_len > 0 && e->data == NULL))
			return ILP_ERR_ARG;
		if (!btp_printable(e->name, e->name_len))
			return ILP_ERR_INVALID;
	}
	if (f->type != BTP_ERROR)
		return ILP_OK;
	if (f->code == NULL || (f->name_len > 0 && f->name == NULL) ||
	    (f->data_len > 0 && f->data == NULL))
		return ILP_ERR_ARG;
	if (!btp_printable(f->code, BTP_CODE_LEN) ||
	    !btp_printable(f->name, f->name_len) ||
	    f->data_len > BTP_ERROR_DATA_MAX)
		return ILP_ERR_INVALID;
	if (oer_gtime_encode(f->triggered_at, ts) != ILP_OK)
		return ILP_ERR_INVALID;
	return ILP_OK;
}

static void btp_write_contents(struct oer_writer *w,
			       const struct btp_frame_out *f,
			       const uint8_t ts[OER_GTIME_LEN])
{
	size_t i;

	if (f->type == BTP_TRANSFER)
		oer_write_u64(w, f->amount);
	if (f->type == BTP_ERROR) {
		oer_write_bytes(w, f->code, BTP_CODE_LEN);
		oer_write_var_octets(w, f->name, f->name_len);
		oer_write_var_octets(w, ts, OER_GTIME_LEN);
		oer_write_var_octets(w, f->data, f->data_len);
	}
	oer_write_varuint(w, (uint64_t)f->entry_count);
	for (i = 0; i < f->entry_count; i++) {
		const struct btp_pd_entry *e = &f->entries[i];

		oer_write_var_octets(w, e->name, e->name_len);
		oer_write_u8(w, e->content_type);
		oer_write_var_octets(w, e->data, e->data_len);
	}
}

int btp_frame_encode(const struct btp_frame_out *f, uint8_t *buf, size_t cap,
		     size_t *len)
{
	uint8_t ts[OER_GTIME_LEN];
	struct oer_writer w;
	size_t clen, total;
	int r;

	if (f == NULL || len == NULL)
		return ILP_ERR_ARG;
	r = btp_frame_out_check(f, ts);
	if (r != ILP_OK)
		return r;
	oer_writer_init(&w, NULL, 0);
	btp_write_contents(&w, f, ts);
	if (w.err != ILP_OK)
		return w.err;
	clen = w.len;
	total = BTP_HEADER_LEN + oer_length_size(clen) + clen;
	*len = total;
	if (buf == NULL)
		return ILP_OK;
	if (cap < total)
		return ILP_ERR_OVERFLOW;
	oer_writer_init(&w, buf, cap);
	oer_write_u8(&w, f->type);
	oer_write_u32(&w, f->request_id);
	oer_write_length(&w, clen);
	btp_write_contents(&w, f, ts);
	return w.err;
}

/* ---- auth and ilp ------------------------------------------------------ */

static bool btp_entry_named(const struct btp_pd_entry *e, const char *name)
{
	size_t n = strlen(name);

	return e->name_len == n && memcmp(e->name, name, n) == 0;
}

int btp_auth_parse(const struct btp_frame *f, struct btp_auth *a,
		   const char **why)
{
	struct btp_pd_entry e;

	if (f->type != BTP_MESSAGE)
		return btp_fail(why, "auth: frame is not a Message");
	if (!btp_pd_primary(&f->pd, &e) || !btp_entry_named(&e, BTP_PD_AUTH))
		return btp_fail(why, "auth: primary entry is not auth");
	if (!btp_pd_find(&f->pd, BTP_PD_AUTH_TOKEN, &e))
		return btp_fail(why, "auth: no auth_token entry");
	a->token = e.data;
	a->token_len = e.data_len;
	a->username = NULL;
	a->username_len = 0;
	if (btp_pd_find(&f->pd, BTP_PD_AUTH_USERNAME, &e)) {
		a->username = e.data;
		a->username_len = e.data_len;
	}
	return ILP_OK;
}

static struct btp_pd_entry btp_entry(const char *name, uint8_t ct,
				     const uint8_t *data, size_t n)
{
	struct btp_pd_entry e;

	e.name = (const uint8_t *)name;
	e.name_len = strlen(name);
	e.content_type = ct;
	e.data = data;
	e.data_len = n;
	return e;
}

int btp_auth_encode(uint32_t request_id, const uint8_t *username, size_t ulen,
		    const uint8_t *token, size_t tlen, uint8_t *buf, size_t cap,
		    size_t *len)
{
	struct btp_pd_entry e[3];
	struct btp_frame_out f;
	size_t n = 0;

	e[n++] = btp_entry(BTP_PD_AUTH, BTP_CT_OCTET_STREAM, NULL, 0);
	if (username != NULL)
		e[n++] = btp_entry(BTP_PD_AUTH_USERNAME, BTP_CT_TEXT_UTF8,
				   username, ulen);
	e[n++] = btp_entry(BTP_PD_AUTH_TOKEN, BTP_CT_TEXT_UTF8, token, tlen);
	memset(&f, 0, sizeof(f));
	f.type = BTP_MESSAGE;
	f.request_id = request_id;
	f.entries = e;
	f.entry_count = n;
	return btp_frame_encode(&f, buf, cap, len);
}

int btp_ilp_encode(uint8_t type, uint32_t request_id, const uint8_t *ilp,
		   size_t ilp_len, uint8_t *buf, size_t cap, size_t *len)
{
	struct btp_pd_entry e;
	struct btp_frame_out f;

	if (type != BTP_MESSAGE && type != BTP_RESPONSE)
		return ILP_ERR_ARG;
	e = btp_entry(BTP_PD_ILP, BTP_CT_OCTET_STREAM, ilp, ilp_len);
	memset(&f, 0, sizeof(f));
	f.type = type;
	f.request_id = request_id;
	f.entries = &e;
	f.entry_count = 1;
	return btp_frame_encode(&f, buf, cap, len);
}

bool btp_ilp_find(const struct btp_frame *f, const uint8_t **ilp, size_t *len)
{
	struct btp_pd_entry e;

	if (!btp_pd_find(&f->pd, BTP_PD_ILP, &e))
		return false;
	*ilp = e.data;
	*len = e.data_len;
	return true;
}

int btp_error_encode(uint32_t request_id, const char code[BTP_CODE_LEN],
		     const char *name, int64_t triggered_at, const uint8_t *data,
		     size_t data_len, uint8_t *buf, size_t cap, size_t *len)
{
	struct btp_frame_out f;

	if (code == NULL || name == NULL)
		return ILP_ERR_ARG;
	memset(&f, 0, sizeof(f));
	f.type = BTP_ERROR;
	f.request_id = request_id;
	f.code = (const uint8_t *)code;
	f.name = (const uint8_t *)name;
	f.name_len = strlen(name);
	f.triggered_at = triggered_at;
	f.data = data;
	f.data_len = data_len;
	return btp_frame_encode(&f, buf, cap, len);
}
