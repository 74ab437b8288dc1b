/*
 * fuzz_handle_packet.c - libFuzzer target for the /handle-packet contract
 * engine (net/handle_packet.h): the business-logic server's reply (the
 * untrusted side) and the request body built from a Prepare.
 *
 * The first input byte picks the mode:
 *  - even: the rest is a reply body. Properties: hp_parse_reply always
 *    fills the result; ILP_OK goes with accept/reject and ILP_ERR_INVALID
 *    with an error (code T00 and a reason); an accept's data lies inside
 *    the buffer and is at most HP_DATA_MAX bytes; a reject's code is one
 *    of the mapped codes and agrees with hp_reject_code on its reason;
 *  - odd: the rest is an ILP packet. When it decodes as a Prepare, the
 *    body built from it is JSON that this engine's reader takes back: the
 *    destination, the amount's digits, the data (base64) and isTransit
 *    read back equal, and the body fits HP_BODY_MAX.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "ilp/ilp_packet.h"
#include "net/base64.h"
#include "net/handle_packet.h"
#include "net/json.h"

static uint8_t in[HP_REPLY_MAX + 1];
static char body[HP_BODY_MAX];
static uint8_t data[ILP_DATA_MAX_LEN + 3];
static struct hp_work work;

static bool known_code(const char *c)
{
	static const char *codes[] = { "T04", "R00", "F00", "F03", "F06", "F99", "T00" };
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(c, codes[i]) == 0)
			return true;
	return false;
}

static void fuzz_reply(const uint8_t *p, size_t n)
{
	struct hp_reply r;
	char again[4];
	int rc;

	if (n > sizeof(in))
		return;
	memcpy(in, p, n);
	memset(&r, 0xa5, sizeof(r));
	rc = hp_parse_reply(&work, in, n, &r);
	switch (r.kind) {
	case HP_ACCEPT:
		FUZZ_CHECK(rc == ILP_OK);
		FUZZ_CHECK(r.data_len <= HP_DATA_MAX);
		FUZZ_CHECK(r.data_len == 0 ||
			   (r.data >= in && r.data + r.data_len <= in + n));
		break;
	case HP_REJECT:
		FUZZ_CHECK(rc == ILP_OK);
		FUZZ_CHECK(r.code[3] == '\0' && known_code(r.code));
		FUZZ_CHECK(r.reason != NULL || r.reason_len == 0);
		hp_reject_code(r.reason, r.reason_len, again);
		FUZZ_CHECK(memcmp(again, r.code, 4) == 0);
		FUZZ_CHECK(r.message_len == 0 ||
			   (r.message >= in && r.message + r.message_len <= in + n));
		break;
	case HP_ERROR:
		FUZZ_CHECK(rc == ILP_ERR_INVALID);
		FUZZ_CHECK(memcmp(r.code, "T00", 4) == 0 && r.why != NULL);
		break;
	default:
		FUZZ_CHECK(0);
	}
}

static const struct jnode *member(const struct jdoc *d, const char *key,
				  enum jtype t)
{
	const struct jnode *nd = json_node(d, json_member(d, 0, key));

	FUZZ_CHECK(nd != NULL && nd->type == t);
	return nd;
}

static void fuzz_body(const uint8_t *p, size_t n)
{
	static const uint8_t id[HP_PAYMENT_ID_LEN] = { 0xff, 0xfe, 0 };
	struct ilp_prepare pr;
	const struct jnode *nd;
	size_t len = 0, dl = 0, i;
	uint64_t amount = 0;
	bool transit = n > 0 && (p[n - 1] & 1);
	int rc;

	if (ilp_prepare_decode(p, n, &pr, NULL) != ILP_OK)
		return;
	rc = hp_build_body(&pr, id, transit, body, sizeof(body), &len);
	if (rc == ILP_ERR_RANGE)
		return;
	FUZZ_CHECK(rc == ILP_OK && len <= HP_BODY_MAX);
	json_init(&work.doc, work.nodes, HP_JSON_NODES, HP_JSON_DEPTH);
	FUZZ_CHECK(json_parse(&work.doc, (uint8_t *)body, len) == 0);
	nd = member(&work.doc, "destination", JSON_STRING);
	FUZZ_CHECK(fuzz_same(nd->str, nd->len, pr.destination, pr.destination_len));
	nd = member(&work.doc, "amount", JSON_STRING);
	for (i = 0; i < nd->len; i++) {
		FUZZ_CHECK(nd->str[i] >= '0' && nd->str[i] <= '9');
		amount = amount * 10 + (uint64_t)(nd->str[i] - '0');
	}
	FUZZ_CHECK(amount == pr.amount && nd->len >= 1 &&
		   (nd->len == 1 || nd->str[0] != '0'));
	nd = member(&work.doc, "expiresAt", JSON_STRING);
	FUZZ_CHECK(nd->len == 24 && nd->str[23] == 'Z');
	nd = member(&work.doc, "paymentId", JSON_STRING);
	FUZZ_CHECK(nd->len == 22);
	nd = member(&work.doc, "data", JSON_STRING);
	FUZZ_CHECK(b64_decode((const char *)nd->str, nd->len, data, sizeof(data), &dl) == ILP_OK);
	FUZZ_CHECK(fuzz_same(data, dl, pr.data, pr.data_len));
	nd = member(&work.doc, "isTransit", JSON_BOOL);
	FUZZ_CHECK(fuzz_same(nd->str, nd->len, (const uint8_t *)(transit ? "true" : "false"),
			     transit ? 4 : 5));
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	if (p[0] & 1)
		fuzz_body(p + 1, n - 1);
	else
		fuzz_reply(p + 1, n - 1);
	return 0;
}
