/*
 * encode.c - JSON -> bytes for every kind ilpctl knows: the inverse of
 * decode.c. Every key of a kind is required, no other key is allowed, and
 * every value is checked for type and range before the codec's encoder
 * (which validates again) runs. The encoding is then decoded once more so
 * encode never prints bytes that decode would refuse.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "ilp/btp.h"
#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "ilpctl.h"
#include "net/json.h"

/* Static: too large for the stack, and ilpctl encodes one line at a time.
 * ILPCTL_JSON_NODES bounds the values of one input line. */
#define ILPCTL_JSON_NODES 4608u
static struct jnode enc_nodes[ILPCTL_JSON_NODES];
static struct jdoc enc_doc;
static uint8_t enc_bytes[ILPCTL_BYTES_MAX];
static struct btp_pd_entry enc_entries[ILPCTL_PD_MAX];

/* One encode call: where errors go and which kind they are charged to. */
struct enc {
	const struct jdoc *d;
	enum ilpctl_kind kind;
	struct ilpctl_err *e;
};

#define ENC_KEYS(a) (a), (sizeof(a) / sizeof((a)[0]))

/* Copies an untrusted key into a printable, bounded form for messages. */
static void enc_safe_key(const uint8_t *k, size_t n, char *out, size_t cap)
{
	size_t i, m = n < cap - 1 ? n : cap - 1;

	for (i = 0; i < m; i++)
		out[i] = k[i] >= 0x20 && k[i] < 0x7f ? (char)k[i] : '?';
	out[m] = '\0';
}

/* Matches the members of `obj` against keys[0..n): fills vals[i] with the
 * member named keys[i]; fails on an unknown or a missing key. `where` is
 * prefixed to messages ("protocolData[2]: ..."), or "". */
static int enc_bind(struct enc *c, const struct jnode *obj, const char *where,
		    const char *const *keys, size_t n, const struct jnode **vals)
{
	const struct jnode *m;
	char safe[48];
	size_t i;

	for (i = 0; i < n; i++)
		vals[i] = NULL;
	for (m = json_node(c->d, obj->child); m != NULL; m = json_node(c->d, m->next)) {
		for (i = 0; i < n; i++)
			if (strlen(keys[i]) == m->key_len &&
			    memcmp(keys[i], m->key, m->key_len) == 0)
				break;
		if (i == n) {
			enc_safe_key(m->key, m->key_len, safe, sizeof(safe));
			return ilpctl_fail(c->e, c->kind, "%sunknown key \"%s\"",
					   where, safe);
		}
		vals[i] = m;
	}
	for (i = 0; i < n; i++)
		if (vals[i] == NULL)
			return ilpctl_fail(c->e, c->kind, "%smissing key \"%s\"",
					   where, keys[i]);
	return 0;
}

static int enc_uint(struct enc *c, const struct jnode *v, const char *key,
		    uint64_t max, uint64_t *out)
{
	int r;

	if (v->type != JSON_NUMBER)
		return ilpctl_fail(c->e, c->kind, "%s: expected a number", key);
	r = json_uint(v, max, out);
	if (r == -1)
		return ilpctl_fail(c->e, c->kind,
				   "%s: expected a non-negative integer", key);
	if (r != 0)
		return ilpctl_fail(c->e, c->kind, "%s: out of range (0-%llu)",
				   key, (unsigned long long)max);
	return 0;
}

static int enc_string(struct enc *c, const struct jnode *v, const char *key,
		      const uint8_t **s, size_t *n)
{
	if (v->type != JSON_STRING)
		return ilpctl_fail(c->e, c->kind, "%s: expected a string", key);
	*s = v->str;
	*n = v->len;
	return 0;
}

/* Decodes a hex string value in place. */
static int enc_hex(struct enc *c, const struct jnode *v, const char *key,
		   const uint8_t **p, size_t *n)
{
	long r;

	if (v->type != JSON_STRING)
		return ilpctl_fail(c->e, c->kind, "%s: expected a hex string", key);
	r = ilpctl_unhex(v->str, v->len, v->str);
	if (r < 0)
		return ilpctl_fail(c->e, c->kind, "%s: not hex", key);
	*p = v->str;
	*n = (size_t)r;
	return 0;
}

static int enc_hex_fixed(struct enc *c, const struct jnode *v, const char *key,
			 size_t want, const uint8_t **p)
{
	size_t n = 0;

	if (enc_hex(c, v, key, p, &n) != 0)
		return -1;
	if (n != want)
		return ilpctl_fail(c->e, c->kind, "%s: expected %zu bytes, got %zu",
				   key, want, n);
	return 0;
}

static int enc_amount(struct enc *c, const struct jnode *v, const char *key,
		      uint64_t *out)
{
	int r;

	if (v->type != JSON_STRING)
		return ilpctl_fail(c->e, c->kind, "%s: expected a decimal string",
				   key);
	r = ilpctl_dec_parse(v->str, v->len, out);
	if (r == -2)
		return ilpctl_fail(c->e, c->kind, "%s: larger than 2^64-1", key);
	if (r != 0)
		return ilpctl_fail(c->e, c->kind,
				   "%s: not a canonical decimal integer", key);
	return 0;
}

static int enc_time(struct enc *c, const struct jnode *v, const char *key,
		    int64_t *ms)
{
	if (v->type != JSON_STRING)
		return ilpctl_fail(c->e, c->kind, "%s: expected a string", key);
	if (ilpctl_iso_parse(v->str, v->len, ms) != 0)
		return ilpctl_fail(c->e, c->kind,
				   "%s: not a real UTC time of the form YYYY-MM-DDTHH:MM:SS.mmmZ",
				   key);
	return 0;
}

/* Requires "type" to be the given packet type. */
static int enc_type_is(struct enc *c, const struct jnode *v, unsigned want)
{
	uint64_t t;

	if (enc_uint(c, v, "type", 255, &t) != 0)
		return -1;
	if (t != want)
		return ilpctl_fail(c->e, c->kind, "type: expected %u, got %u",
				   want, (unsigned)t);
	return 0;
}

static int enc_codec_fail(struct enc *c, int r)
{
	return ilpctl_fail(c->e, c->kind, "rejected by the encoder (%s)",
			   ilp_result_str(r));
}

static int enc_prepare(struct enc *c, const struct jnode *root, size_t *len)
{
	static const char *const keys[] = { "type", "amount", "expiresAt",
		"executionCondition", "destination", "data" };
	const struct jnode *v[6];
	struct ilp_prepare p;
	int r;

	memset(&p, 0, sizeof(p));
	if (enc_bind(c, root, "", ENC_KEYS(keys), v) != 0 ||
	    enc_type_is(c, v[0], ILP_TYPE_PREPARE) != 0 ||
	    enc_amount(c, v[1], "amount", &p.amount) != 0 ||
	    enc_time(c, v[2], "expiresAt", &p.expires_at) != 0 ||
	    enc_hex_fixed(c, v[3], "executionCondition", ILP_CONDITION_LEN,
			  &p.condition) != 0 ||
	    enc_string(c, v[4], "destination", &p.destination,
		       &p.destination_len) != 0 ||
	    enc_hex(c, v[5], "data", &p.data, &p.data_len) != 0)
		return -1;
	if (!ilp_address_valid(p.destination, p.destination_len))
		return ilpctl_fail(c->e, c->kind,
				   "destination: not a valid ILP address");
	if (p.data_len > ILP_DATA_MAX_LEN)
		return ilpctl_fail(c->e, c->kind, "data: longer than %u bytes",
				   (unsigned)ILP_DATA_MAX_LEN);
	r = ilp_prepare_encode(&p, enc_bytes, sizeof(enc_bytes), len);
	return r == ILP_OK ? 0 : enc_codec_fail(c, r);
}

static int enc_fulfill(struct enc *c, const struct jnode *root, size_t *len)
{
	static const char *const keys[] = { "type", "fulfillment", "data" };
	const struct jnode *v[3];
	struct ilp_fulfill f;
	int r;

	memset(&f, 0, sizeof(f));
	if (enc_bind(c, root, "", ENC_KEYS(keys), v) != 0 ||
	    enc_type_is(c, v[0], ILP_TYPE_FULFILL) != 0 ||
	    enc_hex_fixed(c, v[1], "fulfillment", ILP_FULFILLMENT_LEN,
			  &f.fulfillment) != 0 ||
	    enc_hex(c, v[2], "data", &f.data, &f.data_len) != 0)
		return -1;
	if (f.data_len > ILP_DATA_MAX_LEN)
		return ilpctl_fail(c->e, c->kind, "data: longer than %u bytes",
				   (unsigned)ILP_DATA_MAX_LEN);
	r = ilp_fulfill_encode(&f, enc_bytes, sizeof(enc_bytes), len);
	return r == ILP_OK ? 0 : enc_codec_fail(c, r);
}

/* True if s[0..n) is n printable ASCII characters (0x20-0x7e). */
static bool enc_printable(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static int enc_code(struct enc *c, const struct jnode *v, const uint8_t **code)
{
	size_t n = 0;

	if (enc_string(c, v, "code", code, &n) != 0)
		return -1;
	if (n != 3 || !enc_printable(*code, n))
		return ilpctl_fail(c->e, c->kind,
				   "code: expected 3 printable ASCII characters");
	return 0;
}

static int enc_reject(struct enc *c, const struct jnode *root, size_t *len)
{
	static const char *const keys[] = { "type", "code", "triggeredBy",
		"message", "data" };
	const struct jnode *v[5];
	struct ilp_reject j;
	int r;

	memset(&j, 0, sizeof(j));
	if (enc_bind(c, root, "", ENC_KEYS(keys), v) != 0 ||
	    enc_type_is(c, v[0], ILP_TYPE_REJECT) != 0 ||
	    enc_code(c, v[1], &j.code) != 0 ||
	    enc_string(c, v[2], "triggeredBy", &j.triggered_by,
		       &j.triggered_by_len) != 0 ||
	    enc_string(c, v[3], "message", &j.message, &j.message_len) != 0 ||
	    enc_hex(c, v[4], "data", &j.data, &j.data_len) != 0)
		return -1;
	if (j.triggered_by_len != 0 &&
	    !ilp_address_valid(j.triggered_by, j.triggered_by_len))
		return ilpctl_fail(c->e, c->kind,
				   "triggeredBy: not a valid ILP address");
	if (j.message_len > ILP_MESSAGE_MAX_LEN)
		return ilpctl_fail(c->e, c->kind, "message: longer than %u bytes",
				   (unsigned)ILP_MESSAGE_MAX_LEN);
	if (j.data_len > ILP_DATA_MAX_LEN)
		return ilpctl_fail(c->e, c->kind, "data: longer than %u bytes",
				   (unsigned)ILP_DATA_MAX_LEN);
	r = ilp_reject_encode(&j, enc_bytes, sizeof(enc_bytes), len);
	return r == ILP_OK ? 0 : enc_codec_fail(c, r);
}

/* Fills one protocol data entry from element i of the array. */
static int enc_pd_entry(struct enc *c, const struct jnode *el, size_t i,
			struct btp_pd_entry *en)
{
	static const char *const keys[] = { "protocolName", "contentType", "data" };
	const struct jnode *v[3];
	char where[32], kn[48], kc[48], kd[48];
	uint64_t ct;

	snprintf(where, sizeof(where), "protocolData[%zu]", i);
	snprintf(kn, sizeof(kn), "%s.protocolName", where);
	snprintf(kc, sizeof(kc), "%s.contentType", where);
	snprintf(kd, sizeof(kd), "%s.data", where);
	if (el->type != JSON_OBJECT)
		return ilpctl_fail(c->e, c->kind, "%s: expected an object", where);
	strcat(where, ": ");
	if (enc_bind(c, el, where, ENC_KEYS(keys), v) != 0 ||
	    enc_string(c, v[0], kn, &en->name, &en->name_len) != 0 ||
	    enc_uint(c, v[1], kc, 255, &ct) != 0 ||
	    enc_hex(c, v[2], kd, &en->data, &en->data_len) != 0)
		return -1;
	if (!enc_printable(en->name, en->name_len))
		return ilpctl_fail(c->e, c->kind, "%s: not printable ASCII", kn);
	en->content_type = (uint8_t)ct;
	return 0;
}

/* Fills enc_entries from the "protocolData" array. */
static int enc_pd(struct enc *c, const struct jnode *arr, size_t *count)
{
	const struct jnode *el;
	size_t i = 0;

	if (arr == NULL || arr->type != JSON_ARRAY)
		return ilpctl_fail(c->e, c->kind, "protocolData: expected an array");
	if (arr->count > ILPCTL_PD_MAX)
		return ilpctl_fail(c->e, c->kind,
				   "protocolData: more than %u entries",
				   (unsigned)ILPCTL_PD_MAX);
	for (el = json_node(c->d, arr->child); el != NULL;
	     el = json_node(c->d, el->next), i++)
		if (enc_pd_entry(c, el, i, &enc_entries[i]) != 0)
			return -1;
	*count = i;
	return 0;
}

/* The member named key of obj, or NULL. */
static const struct jnode *enc_member(const struct enc *c,
				      const struct jnode *obj, const char *key)
{
	const struct jnode *m;

	for (m = json_node(c->d, obj->child); m != NULL; m = json_node(c->d, m->next))
		if (strlen(key) == m->key_len && memcmp(key, m->key, m->key_len) == 0)
			return m;
	return NULL;
}

/* Reads "type" (0-255) before the rest of the object is bound. */
static int enc_peek_type(struct enc *c, const struct jnode *root, uint64_t *t)
{
	const struct jnode *v = enc_member(c, root, "type");

	if (v == NULL)
		return ilpctl_fail(c->e, c->kind, "missing key \"type\"");
	return enc_uint(c, v, "type", 255, t);
}

static int enc_btp_error(struct enc *c, const struct jnode *root,
			 struct btp_frame_out *f, const struct jnode **pd)
{
	static const char *const keys[] = { "type", "requestId", "code", "name",
		"triggeredAt", "data", "protocolData" };
	const struct jnode *v[7];
	uint64_t id;

	if (enc_bind(c, root, "", ENC_KEYS(keys), v) != 0 ||
	    enc_uint(c, v[1], "requestId", UINT32_MAX, &id) != 0 ||
	    enc_code(c, v[2], &f->code) != 0 ||
	    enc_string(c, v[3], "name", &f->name, &f->name_len) != 0 ||
	    enc_time(c, v[4], "triggeredAt", &f->triggered_at) != 0 ||
	    enc_hex(c, v[5], "data", &f->data, &f->data_len) != 0)
		return -1;
	if (!enc_printable(f->name, f->name_len))
		return ilpctl_fail(c->e, c->kind, "name: not printable ASCII");
	if (f->data_len > BTP_ERROR_DATA_MAX)
		return ilpctl_fail(c->e, c->kind, "data: longer than %u bytes",
				   (unsigned)BTP_ERROR_DATA_MAX);
	f->request_id = (uint32_t)id;
	*pd = v[6];
	return 0;
}

static int enc_btp_other(struct enc *c, const struct jnode *root,
			 struct btp_frame_out *f, const struct jnode **pd)
{
	static const char *const keys[] = { "type", "requestId", "protocolData" };
	static const char *const tkeys[] = { "type", "requestId", "amount",
		"protocolData" };
	const struct jnode *v[4];
	uint64_t id;

	if (f->type == BTP_TRANSFER) {
		if (enc_bind(c, root, "", ENC_KEYS(tkeys), v) != 0 ||
		    enc_amount(c, v[2], "amount", &f->amount) != 0)
			return -1;
		v[2] = v[3];
	} else if (enc_bind(c, root, "", ENC_KEYS(keys), v) != 0) {
		return -1;
	}
	if (enc_uint(c, v[1], "requestId", UINT32_MAX, &id) != 0)
		return -1;
	f->request_id = (uint32_t)id;
	*pd = v[2];
	return 0;
}

static int enc_btp(struct enc *c, const struct jnode *root, size_t *len)
{
	struct btp_frame_out f;
	const struct jnode *pd = NULL;
	uint64_t t;
	int r;

	memset(&f, 0, sizeof(f));
	if (enc_peek_type(c, root, &t) != 0)
		return -1;
	f.type = (uint8_t)t;
	switch (t) {
	case BTP_ERROR:
		r = enc_btp_error(c, root, &f, &pd);
		break;
	case BTP_RESPONSE:
	case BTP_MESSAGE:
	case BTP_TRANSFER:
		r = enc_btp_other(c, root, &f, &pd);
		break;
	default:
		return ilpctl_fail(c->e, c->kind, "type: unknown BTP frame type %u",
				   (unsigned)t);
	}
	if (r != 0 || enc_pd(c, pd, &f.entry_count) != 0)
		return -1;
	f.entries = enc_entries;
	r = btp_frame_encode(&f, enc_bytes, sizeof(enc_bytes), len);
	return r == ILP_OK ? 0 : enc_codec_fail(c, r);
}

static int enc_ildcp_request(struct enc *c, const struct jnode *root, size_t *len)
{
	static const char *const keys[] = { "expiresAt" };
	const struct jnode *v[1];
	int64_t ms;
	int r;

	if (enc_bind(c, root, "", ENC_KEYS(keys), v) != 0 ||
	    enc_time(c, v[0], "expiresAt", &ms) != 0)
		return -1;
	r = ildcp_request_encode(ms, enc_bytes, sizeof(enc_bytes), len);
	return r == ILP_OK ? 0 : enc_codec_fail(c, r);
}

static int enc_ildcp_response(struct enc *c, const struct jnode *root, size_t *len)
{
	static const char *const keys[] = { "clientAddress", "assetScale",
		"assetCode" };
	const struct jnode *v[3];
	struct ildcp_response rs;
	uint64_t scale;
	int r;

	memset(&rs, 0, sizeof(rs));
	if (enc_bind(c, root, "", ENC_KEYS(keys), v) != 0 ||
	    enc_string(c, v[0], "clientAddress", &rs.client_address,
		       &rs.client_address_len) != 0 ||
	    enc_uint(c, v[1], "assetScale", 255, &scale) != 0 ||
	    enc_string(c, v[2], "assetCode", &rs.asset_code,
		       &rs.asset_code_len) != 0)
		return -1;
	if (!ilp_address_valid(rs.client_address, rs.client_address_len))
		return ilpctl_fail(c->e, c->kind,
				   "clientAddress: not a valid ILP address");
	rs.asset_scale = (uint8_t)scale;
	r = ildcp_response_encode(&rs, enc_bytes, sizeof(enc_bytes), len);
	return r == ILP_OK ? 0 : enc_codec_fail(c, r);
}

static int enc_f08(struct enc *c, const struct jnode *root, size_t *len)
{
	static const char *const keys[] = { "receivedAmount", "maximumAmount" };
	const struct jnode *v[2];
	uint64_t received, maximum;

	if (enc_bind(c, root, "", ENC_KEYS(keys), v) != 0 ||
	    enc_amount(c, v[0], "receivedAmount", &received) != 0 ||
	    enc_amount(c, v[1], "maximumAmount", &maximum) != 0)
		return -1;
	ilp_f08_data_encode(received, maximum, enc_bytes);
	*len = ILP_F08_DATA_LEN;
	return 0;
}

/* Turns auto/ilp into the specific kind named by "type". */
static int enc_resolve(struct enc *c, const struct jnode *root)
{
	uint64_t t;

	if (c->kind != ILPCTL_AUTO && c->kind != ILPCTL_ILP)
		return 0;
	if (enc_peek_type(c, root, &t) != 0)
		return -1;
	if (t == ILP_TYPE_PREPARE)
		c->kind = ILPCTL_PREPARE;
	else if (t == ILP_TYPE_FULFILL)
		c->kind = ILPCTL_FULFILL;
	else if (t == ILP_TYPE_REJECT)
		c->kind = ILPCTL_REJECT;
	else if (c->kind == ILPCTL_AUTO && (t == BTP_RESPONSE || t == BTP_ERROR ||
					    t == BTP_MESSAGE || t == BTP_TRANSFER))
		c->kind = ILPCTL_BTP;
	else if (c->kind == ILPCTL_ILP)
		return ilpctl_fail(c->e, c->kind,
				   "type: %u is not an ILP packet type (12, 13, 14)",
				   (unsigned)t);
	else
		return ilpctl_fail(c->e, c->kind,
				   "type: %u is neither an ILP packet type (12, 13, 14) "
				   "nor a BTP frame type (1, 2, 6, 7)", (unsigned)t);
	return 0;
}

static int enc_dispatch(struct enc *c, const struct jnode *root, size_t *len)
{
	switch (c->kind) {
	case ILPCTL_PREPARE: return enc_prepare(c, root, len);
	case ILPCTL_FULFILL: return enc_fulfill(c, root, len);
	case ILPCTL_REJECT: return enc_reject(c, root, len);
	case ILPCTL_BTP: return enc_btp(c, root, len);
	case ILPCTL_ILDCP_REQUEST: return enc_ildcp_request(c, root, len);
	case ILPCTL_ILDCP_RESPONSE: return enc_ildcp_response(c, root, len);
	case ILPCTL_F08: return enc_f08(c, root, len);
	case ILPCTL_AUTO:
	case ILPCTL_ILP:
	case ILPCTL_KIND_COUNT:
		break;
	}
	return ilpctl_fail(c->e, c->kind, "unknown kind");
}

static void enc_write_hex(struct jout *w, const uint8_t *p, size_t n)
{
	static const char dig[] = "0123456789abcdef";
	char chunk[128];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		chunk[k++] = dig[p[i] >> 4];
		chunk[k++] = dig[p[i] & 15];
		if (k == sizeof(chunk)) {
			jout_raw(w, chunk, k);
			k = 0;
		}
	}
	jout_raw(w, chunk, k);
}

int ilpctl_encode(enum ilpctl_kind k, uint8_t *line, size_t len,
		  struct jout *w, struct ilpctl_err *e)
{
	struct enc c = { &enc_doc, k, e };
	size_t n = 0;

	if (len == 0)
		return ilpctl_fail(e, k, "empty input");
	json_init(&enc_doc, enc_nodes, ILPCTL_JSON_NODES, JSON_MAX_DEPTH);
	if (json_parse(&enc_doc, line, len) != 0)
		return ilpctl_fail(e, k, "bad JSON at offset %zu: %s",
				   enc_doc.err_off, enc_doc.err);
	if (enc_resolve(&c, &enc_doc.nodes[0]) != 0 ||
	    enc_dispatch(&c, &enc_doc.nodes[0], &n) != 0 ||
	    ilpctl_verify(c.kind, enc_bytes, n, e) != 0)
		return -1;
	enc_write_hex(w, enc_bytes, n);
	if (w->overflow)
		return ilpctl_fail(e, c.kind, "output longer than %u bytes",
				   (unsigned)w->cap);
	return 0;
}
