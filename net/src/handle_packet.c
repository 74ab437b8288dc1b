/*
 * handle_packet.c - POST /handle-packet bodies and replies (see
 * net/handle_packet.h).
 *
 * IMPLEMENTATION NOTES
 * - The request body is written by hand with a bounded cursor: every value
 *   in it is either ASCII we generate (digits, base64, an ISO date) or an
 *   ILP address, whose grammar has nothing JSON would escape (checked
 *   anyway, so a caller passing an unchecked view cannot break the JSON).
 * - base64 is net/base64.h's codec: data is decoded strictly (canonical
 *   bits, complete padding when present, no whitespace); like Node's
 *   Buffer it also takes the URL alphabet and unpadded strings.
 * - The reply is parsed with net/json.h over a node table in struct
 *   hp_work; strings are decoded in place and the base64 data is then
 *   decoded in place over its own string (3 bytes out per 4 in, so the
 *   writer never passes the reader).
 * - Trust model: the reply is untrusted input. Every failure is an
 *   HP_ERROR result with a static reason, never an assertion.
 * Memory: stack only (a few words); no heap, no globals.
 */
#include "net/handle_packet.h"

#include <string.h>

_Static_assert(HP_JSON_NODES == 512, "HP_JSON_NODES_STR must spell HP_JSON_NODES");

#include "ilp/oer.h"
#include "net/base64.h"

/* ---- request body ------------------------------------------------------ */

struct cur {
	char *buf;
	size_t cap, len;
	bool over;
};

static void put(struct cur *c, const char *s, size_t n)
{
	if (c->over || n > c->cap - c->len) {
		c->over = true;
		return;
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
}

static void puts_(struct cur *c, const char *s)
{
	put(c, s, strlen(s));
}

static void put_digits(struct cur *c, uint64_t v, size_t width)
{
	char t[20];
	size_t i = 0;

	do {
		t[sizeof(t) - 1 - i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 || i < width);
	put(c, t + sizeof(t) - i, i);
}

/* base64 (url: base64url, unpadded) of p[0..n). The codec also writes a
 * NUL, so it needs one byte more than it keeps. */
static void put_b64(struct cur *c, const uint8_t *p, size_t n, bool url)
{
	size_t w = 0;
	int r;

	if (c->over || n == 0)
		return;
	r = url ? b64url_encode(p, n, c->buf + c->len, c->cap - c->len, &w) :
		  b64_encode(p, n, c->buf + c->len, c->cap - c->len, &w);
	if (r != ILP_OK)
		c->over = true;
	else
		c->len += w;
}

int hp_build_body(const struct ilp_prepare *p,
		  const uint8_t payment_id[HP_PAYMENT_ID_LEN], bool is_transit,
		  char *buf, size_t cap, size_t *len)
{
	struct cur c = { buf, cap, 0, false };
	struct oer_civil t;
	size_t i;

	for (i = 0; i < p->destination_len; i++) {
		uint8_t b = p->destination[i];

		if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\')
			return ILP_ERR_INVALID;
	}
	if (oer_civil_from_ms(p->expires_at, &t) != ILP_OK)
		return ILP_ERR_RANGE;
	puts_(&c, "{\"paymentId\":\"");
	put_b64(&c, payment_id, HP_PAYMENT_ID_LEN, true);
	puts_(&c, "\",\"destination\":\"");
	put(&c, (const char *)p->destination, p->destination_len);
	puts_(&c, "\",\"amount\":\"");
	put_digits(&c, p->amount, 1);
	puts_(&c, "\",\"expiresAt\":\"");
	put_digits(&c, (uint64_t)t.year, 4);
	puts_(&c, "-");
	put_digits(&c, (uint64_t)t.month, 2);
	puts_(&c, "-");
	put_digits(&c, (uint64_t)t.day, 2);
	puts_(&c, "T");
	put_digits(&c, (uint64_t)t.hour, 2);
	puts_(&c, ":");
	put_digits(&c, (uint64_t)t.minute, 2);
	puts_(&c, ":");
	put_digits(&c, (uint64_t)t.second, 2);
	puts_(&c, ".");
	put_digits(&c, (uint64_t)t.millisecond, 3);
	puts_(&c, "Z\",\"data\":\"");
	put_b64(&c, p->data, p->data_len, false);
	puts_(&c, is_transit ? "\",\"isTransit\":true}" : "\",\"isTransit\":false}");
	if (c.over)
		return ILP_ERR_OVERFLOW;
	*len = c.len;
	return ILP_OK;
}

/* ---- reply ------------------------------------------------------------- */

static const struct {
	const char *reason;
	char code[4];
} hp_codes[] = {
	{ "insufficient_funds", "T04" },
	{ "expired", "R00" },
	{ "invalid_request", "F00" },
	{ "invalid_amount", "F03" },
	{ "unexpected_payment", "F06" },
	{ "application_error", "F99" },
	{ "internal_error", "T00" },
	{ "timeout", "T00" },
};

void hp_reject_code(const uint8_t *reason, size_t n, char code[4])
{
	size_t i;

	for (i = 0; i < sizeof(hp_codes) / sizeof(hp_codes[0]); i++) {
		if (strlen(hp_codes[i].reason) == n &&
		    memcmp(hp_codes[i].reason, reason, n) == 0) {
			memcpy(code, hp_codes[i].code, 4);
			return;
		}
	}
	memcpy(code, "F99", 4);
}

static int hp_error(struct hp_reply *out, const char *why)
{
	memset(out, 0, sizeof(*out));
	out->kind = HP_ERROR;
	memcpy(out->code, "T00", 4);
	out->why = why;
	return ILP_ERR_INVALID;
}

int hp_parse_reply(struct hp_work *w, uint8_t *buf, size_t n,
		   struct hp_reply *out)
{
	const struct jnode *acc, *nd, *rr, *code, *msg;
	uint32_t i;
	size_t dl;

	if (n > HP_REPLY_MAX)
		return hp_error(out, "reply too long");
	json_init(&w->doc, w->nodes, HP_JSON_NODES, HP_JSON_DEPTH);
	if (json_parse(&w->doc, buf, n) != 0) {
		/* Valid JSON past our bounds is not "not JSON": say which. */
		if (w->doc.err != NULL && strcmp(w->doc.err, "too many values") == 0)
			return hp_error(out, "reply has more than " HP_JSON_NODES_STR
					" JSON values");
		if (w->doc.err != NULL && strcmp(w->doc.err, "nested too deep") == 0)
			return hp_error(out, "reply nests containers too deep");
		return hp_error(out, "reply is not a JSON object");
	}
	memset(out, 0, sizeof(*out));
	acc = json_node(&w->doc, json_member(&w->doc, 0, "accept"));
	if (acc == NULL)
		return hp_error(out, "no accept member");
	if (acc->type != JSON_BOOL)
		return hp_error(out, "accept is not a boolean");
	if (acc->len == 4 && memcmp(acc->str, "true", 4) == 0) {
		out->kind = HP_ACCEPT;
		i = json_member(&w->doc, 0, "data");
		nd = json_node(&w->doc, i);
		if (nd == NULL || nd->type == JSON_NULL)
			return ILP_OK;
		if (nd->type != JSON_STRING)
			return hp_error(out, "data is not a string");
		if (nd->len > HP_B64_LEN(HP_DATA_MAX))
			return hp_error(out, "data too long");
		/* In place: the codec reads a group before writing it. */
		switch (b64_decode((const char *)nd->str, nd->len, nd->str,
				   HP_DATA_MAX, &dl)) {
		case ILP_OK:
			break;
		case ILP_ERR_OVERFLOW:
			return hp_error(out, "data too long");
		default:
			return hp_error(out, "data is not base64");
		}
		out->data = nd->str;
		out->data_len = dl;
		return ILP_OK;
	}
	out->kind = HP_REJECT;
	i = json_member(&w->doc, 0, "rejectReason");
	rr = json_node(&w->doc, i);
	if (rr == NULL)
		return hp_error(out, "no rejectReason member");
	if (rr->type != JSON_OBJECT)
		return hp_error(out, "rejectReason is not an object");
	code = json_node(&w->doc, json_member(&w->doc, i, "code"));
	if (code == NULL || code->type != JSON_STRING)
		return hp_error(out, "rejectReason.code is not a string");
	msg = json_node(&w->doc, json_member(&w->doc, i, "message"));
	if (msg != NULL && msg->type != JSON_STRING && msg->type != JSON_NULL)
		return hp_error(out, "rejectReason.message is not a string");
	hp_reject_code(code->str, code->len, out->code);
	out->reason = code->str;
	out->reason_len = code->len;
	if (msg != NULL && msg->type == JSON_STRING) {
		out->message = msg->str;
		out->message_len = msg->len;
	}
	return ILP_OK;
}
