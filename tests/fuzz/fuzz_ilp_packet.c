/*
 * fuzz_ilp_packet.c - libFuzzer target for ILP Prepare/Fulfill/Reject
 * (ilp/include/ilp/ilp_packet.h).
 *
 * Properties checked (a violation traps):
 *  - ilp_packet_measure returns a known code; OK sizes fit the input and
 *    every shorter prefix of a measured packet is NEED_MORE;
 *  - at most one typed decoder accepts an input, and only for its type byte;
 *    a decoded packet measures exactly len bytes;
 *  - a decoded view encodes (measure-only and real encode agree), and the
 *    encoding decodes to an equal view and re-encodes to the same bytes;
 *  - ilp_prepare_patch on a copy changes amount and expiry, and nothing else.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "ilp/ilp_packet.h"
#include "ilp/oer.h"

static uint8_t enc1[ILP_PACKET_MAX_SIZE];
static uint8_t enc2[ILP_PACKET_MAX_SIZE];
static uint8_t copy[ILP_PACKET_MAX_SIZE + 16];

static int same_prepare(const struct ilp_prepare *a, const struct ilp_prepare *b)
{
	return a->amount == b->amount && a->expires_at == b->expires_at &&
	       memcmp(a->condition, b->condition, ILP_CONDITION_LEN) == 0 &&
	       fuzz_same(a->destination, a->destination_len, b->destination,
			 b->destination_len) &&
	       fuzz_same(a->data, a->data_len, b->data, b->data_len);
}

static int same_fulfill(const struct ilp_fulfill *a, const struct ilp_fulfill *b)
{
	return memcmp(a->fulfillment, b->fulfillment, ILP_FULFILLMENT_LEN) == 0 &&
	       fuzz_same(a->data, a->data_len, b->data, b->data_len);
}

static int same_reject(const struct ilp_reject *a, const struct ilp_reject *b)
{
	return memcmp(a->code, b->code, ILP_CODE_LEN) == 0 &&
	       fuzz_same(a->triggered_by, a->triggered_by_len, b->triggered_by,
			 b->triggered_by_len) &&
	       fuzz_same(a->message, a->message_len, b->message, b->message_len) &&
	       fuzz_same(a->data, a->data_len, b->data, b->data_len);
}

/* Checks that a view points inside pkt[0..len). */
static void check_inside(const uint8_t *pkt, size_t len, const uint8_t *f,
			 size_t flen)
{
	FUZZ_CHECK(f != NULL || flen == 0);
	if (flen == 0)
		return;
	FUZZ_CHECK(f >= pkt && f <= pkt + len && flen <= (size_t)(pkt + len - f));
}

static void fuzz_measure(const uint8_t *d, size_t size)
{
	size_t sz = 0, sz2 = 0, n;
	int r = ilp_packet_measure(d, size, &sz);

	FUZZ_CHECK(fuzz_decode_result_ok(r));
	if (r != ILP_OK)
		return;
	FUZZ_CHECK(sz >= 2 && sz <= size);
	FUZZ_CHECK(d[0] == ILP_TYPE_PREPARE || d[0] == ILP_TYPE_FULFILL ||
		   d[0] == ILP_TYPE_REJECT);
	for (n = 0; n < sz && n < 16; n++)
		FUZZ_CHECK(ilp_packet_measure(d, n, &sz2) == ILP_ERR_NEED_MORE);
	FUZZ_CHECK(ilp_packet_measure(d, sz - 1, &sz2) == ILP_ERR_NEED_MORE);
}

static void check_patch(const uint8_t *d, size_t size, const struct ilp_prepare *v)
{
	struct ilp_prepare pv, after;
	uint64_t amount = ~v->amount;
	int64_t exp = v->expires_at + 1;

	if (exp > OER_TIME_MAX_MS)
		exp = OER_TIME_MIN_MS;
	memcpy(copy, d, size);
	/* The view must describe the copy, so decode the copy itself. */
	FUZZ_CHECK(ilp_prepare_decode(copy, size, &pv, NULL) == ILP_OK);
	FUZZ_CHECK(ilp_prepare_patch(copy, &pv, amount, exp) == ILP_OK);
	FUZZ_CHECK(ilp_prepare_decode(copy, size, &after, NULL) == ILP_OK);
	FUZZ_CHECK(after.amount == amount && after.expires_at == exp);
	FUZZ_CHECK(after.contents_off == v->contents_off);
	after.amount = v->amount;
	after.expires_at = v->expires_at;
	FUZZ_CHECK(same_prepare(&after, v));
	/* Only the 25 patched bytes may differ. */
	FUZZ_CHECK(memcmp(copy, d, v->contents_off) == 0);
	FUZZ_CHECK(memcmp(copy + v->contents_off + 25, d + v->contents_off + 25,
			  size - v->contents_off - 25) == 0);
	FUZZ_CHECK(ilp_prepare_patch(copy, &pv, 0, OER_TIME_MAX_MS + 1) == ILP_ERR_RANGE);
}

static void fuzz_prepare(const uint8_t *d, size_t size)
{
	struct ilp_prepare v, v2;
	const char *why = NULL;
	size_t mlen = 0, len1 = 0, len2 = 0, sz = 0;

	if (ilp_prepare_decode(d, size, &v, &why) != ILP_OK) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(d[0] == ILP_TYPE_PREPARE && ilp_packet_type(d, size) == ILP_TYPE_PREPARE);
	FUZZ_CHECK(ilp_packet_measure(d, size, &sz) == ILP_OK && sz == size);
	FUZZ_CHECK(v.contents_off >= 2 && v.contents_off <= 4);
	FUZZ_CHECK(v.contents_off + 25 + ILP_CONDITION_LEN <= size);
	FUZZ_CHECK(v.amount == oer_get_be64(d + v.contents_off));
	FUZZ_CHECK(v.condition == d + v.contents_off + 25);
	check_inside(d, size, v.destination, v.destination_len);
	check_inside(d, size, v.data, v.data_len);
	FUZZ_CHECK(ilp_address_valid(v.destination, v.destination_len));
	FUZZ_CHECK(v.data_len <= ILP_DATA_MAX_LEN);
	FUZZ_CHECK(ilp_prepare_encode(&v, NULL, 0, &mlen) == ILP_OK);
	FUZZ_CHECK(ilp_prepare_encode(&v, enc1, sizeof(enc1), &len1) == ILP_OK);
	FUZZ_CHECK(len1 == mlen && len1 <= size);
	FUZZ_CHECK(ilp_prepare_encode(&v, enc1, len1 - 1, &len2) == ILP_ERR_OVERFLOW);
	FUZZ_CHECK(ilp_prepare_decode(enc1, len1, &v2, NULL) == ILP_OK);
	FUZZ_CHECK(same_prepare(&v, &v2));
	FUZZ_CHECK(ilp_prepare_encode(&v2, enc2, sizeof(enc2), &len2) == ILP_OK);
	FUZZ_CHECK(fuzz_same(enc1, len1, enc2, len2));
	check_patch(d, size, &v);
}

static void fuzz_fulfill(const uint8_t *d, size_t size)
{
	struct ilp_fulfill v, v2;
	const char *why = NULL;
	size_t mlen = 0, len1 = 0, len2 = 0, sz = 0;

	if (ilp_fulfill_decode(d, size, &v, &why) != ILP_OK) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(d[0] == ILP_TYPE_FULFILL);
	FUZZ_CHECK(ilp_packet_measure(d, size, &sz) == ILP_OK && sz == size);
	check_inside(d, size, v.fulfillment, ILP_FULFILLMENT_LEN);
	check_inside(d, size, v.data, v.data_len);
	FUZZ_CHECK(v.data_len <= ILP_DATA_MAX_LEN);
	FUZZ_CHECK(ilp_fulfill_encode(&v, NULL, 0, &mlen) == ILP_OK);
	FUZZ_CHECK(ilp_fulfill_encode(&v, enc1, sizeof(enc1), &len1) == ILP_OK);
	FUZZ_CHECK(len1 == mlen && len1 <= size);
	FUZZ_CHECK(ilp_fulfill_decode(enc1, len1, &v2, NULL) == ILP_OK);
	FUZZ_CHECK(same_fulfill(&v, &v2));
	FUZZ_CHECK(ilp_fulfill_encode(&v2, enc2, sizeof(enc2), &len2) == ILP_OK);
	FUZZ_CHECK(fuzz_same(enc1, len1, enc2, len2));
}

static void fuzz_reject(const uint8_t *d, size_t size)
{
	struct ilp_reject v, v2;
	const char *why = NULL;
	size_t mlen = 0, len1 = 0, len2 = 0, sz = 0;
	uint64_t rcv = 0, max = 0;

	if (ilp_reject_decode(d, size, &v, &why) != ILP_OK) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(d[0] == ILP_TYPE_REJECT);
	FUZZ_CHECK(ilp_packet_measure(d, size, &sz) == ILP_OK && sz == size);
	check_inside(d, size, v.code, ILP_CODE_LEN);
	check_inside(d, size, v.triggered_by, v.triggered_by_len);
	check_inside(d, size, v.message, v.message_len);
	check_inside(d, size, v.data, v.data_len);
	FUZZ_CHECK(v.triggered_by_len == 0 ||
		   ilp_address_valid(v.triggered_by, v.triggered_by_len));
	FUZZ_CHECK(v.message_len <= ILP_MESSAGE_MAX_LEN && v.data_len <= ILP_DATA_MAX_LEN);
	(void)ilp_error_name(v.code);
	if (ilp_f08_data_decode(v.data, v.data_len, &rcv, &max) == ILP_OK) {
		uint8_t f08[ILP_F08_DATA_LEN];

		ilp_f08_data_encode(rcv, max, f08);
		FUZZ_CHECK(v.data_len >= ILP_F08_DATA_LEN);
		FUZZ_CHECK(memcmp(f08, v.data, ILP_F08_DATA_LEN) == 0);
	}
	FUZZ_CHECK(ilp_reject_encode(&v, NULL, 0, &mlen) == ILP_OK);
	FUZZ_CHECK(ilp_reject_encode(&v, enc1, sizeof(enc1), &len1) == ILP_OK);
	FUZZ_CHECK(len1 == mlen && len1 <= size);
	FUZZ_CHECK(ilp_reject_decode(enc1, len1, &v2, NULL) == ILP_OK);
	FUZZ_CHECK(same_reject(&v, &v2));
	FUZZ_CHECK(ilp_reject_encode(&v2, enc2, sizeof(enc2), &len2) == ILP_OK);
	FUZZ_CHECK(fuzz_same(enc1, len1, enc2, len2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ilp_prepare p;
	struct ilp_fulfill f;
	struct ilp_reject rj;
	int ok = 0;

	if (size > ILP_PACKET_MAX_SIZE)
		return 0;
	fuzz_measure(data, size);
	ok += ilp_prepare_decode(data, size, &p, NULL) == ILP_OK;
	ok += ilp_fulfill_decode(data, size, &f, NULL) == ILP_OK;
	ok += ilp_reject_decode(data, size, &rj, NULL) == ILP_OK;
	FUZZ_CHECK(ok <= 1);
	if (size == 0) {
		FUZZ_CHECK(ilp_packet_type(data, size) == ILP_ERR_INVALID);
		return 0;
	}
	FUZZ_CHECK(ilp_packet_type(data, size) == data[0]);
	fuzz_prepare(data, size);
	fuzz_fulfill(data, size);
	fuzz_reject(data, size);
	return 0;
}
