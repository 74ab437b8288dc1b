/*
 * test_ilp_packet.c - ILPv4 Prepare/Fulfill/Reject, addresses, error codes.
 * Vectors from shared/reference/ilp-wire-format.md sections 2.2-2.4, 3.4,
 * 3.6, 7.1 and 7.2 (where ilpd decides differently from the JS reference,
 * the test checks ilpd's decision).
 */
#include <string.h>

#include "ilp/ilp_packet.h"
#include "ilp/oer.h"
#include "th.h"

static uint8_t pkt[ILP_PACKET_MAX_SIZE + 64];
static uint8_t out[ILP_PACKET_MAX_SIZE + 64];
static uint8_t big[40000];

static size_t unhex(const char *hex, uint8_t *dst, size_t cap)
{
	long n = th_unhex(hex, dst, cap);

	if (n < 0) {
		th_fail(__FILE__, __LINE__, "bad hex in test: %.20s", hex);
		return 0;
	}
	return (size_t)n;
}

#define PREP_FIXTURE                                                        \
	"0c68000000000000006b3230313731323233303132313430353439"            \
	"74e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de1" \
	"0d6578616d706c652e616c696365"                                      \
	"205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0"
#define PREP_MAXAMT                                                         \
	"0c54ffffffffffffffff323031373132323431363134333232373972cd6e8422c4" \
	"07fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f0153637930e672e75732e6e" \
	"657875732e626f620b68656c6c6f20776f726c64"
#define PREP_LEAP                                                           \
	"0c4400000000000000003230323030323239303030303030303030"            \
	"abababababababababababababababababababababababababababababababab" \
	"09707269766174652e6100"
#define PREP_GA                                                             \
	"0c3e0000000000000001323031373132323431363134333232373911111111"     \
	"11111111111111111111111111111111111111111111111111111111"           \
	"03672e6100"
#define FUL_THANKS                                                          \
	"0d2a0101010101010101010101010101010101010101010101010101010101010101" \
	"097468616e6b20796f75"
#define FUL_FIXTURE                                                         \
	"0d41c3866b48749ccf113b2e15c25d2407fbfc14476fe7296bb1bf1bcd9e6e4166" \
	"5020673febd78a33b28e1c0db14c9a06251a05fa831ed4ed91ebcd150e7249c2e600"
#define FUL_ZERO                                                            \
	"0d210000000000000000000000000000000000000000000000000000000000000000" \
	"00"
#define REJ_F02 "0e06463032000000"
#define REJ_R00 "0e1752303006672e636f6e6e0b6578706972c3a920e29c9300"
#define REJ_F99 "0e194639390e672e72656365697665722e626f6200050102030405"
#define REJ_T04                                                             \
	"0e2854303409746573742e636f6e6e196578636565646564206d6178696d756d20" \
	"62616c616e63652e00"
#define REJ_F08                                                             \
	"0e5346303809746573742e636f6e6e347061636b65742073697a6520746f6f206c" \
	"617267652e206d6178416d6f756e743d35302061637475616c416d6f756e743d31" \
	"30301000000000000000640000000000000032"
#define REJ_F01_FIXTURE                                                     \
	"0e41463031" "0e6578616d706c652e75732e626f62"                        \
	"276d697373696e672064657374696e6174696f6e2e206c65646765723d6578616d" \
	"706c652e75732e" "06000000041041"
#define REJ_F05_OBSERVED                                                    \
	"0e3b4630350c746573742e75702e636f6e6e2966756c66696c6c6d656e74206469" \
	"64206e6f74206d617463682065787065637465642076616c75652e00"
#define REJ_F08_OBSERVED                                                    \
	"0e5f4630380c746573742e75702e636f6e6e3d7061636b65742073697a6520746f" \
	"6f206c617267652e206d6178416d6f756e743d313030303030302061637475616c" \
	"416d6f756e743d32303030303030" "10" "00000000001e8480"              \
	"00000000000f4240"

static const char *const all_valid[] = {
	PREP_FIXTURE, PREP_MAXAMT, PREP_LEAP, PREP_GA, FUL_THANKS,
	FUL_FIXTURE, FUL_ZERO, REJ_F02, REJ_R00, REJ_F99, REJ_T04, REJ_F08,
	REJ_F01_FIXTURE, REJ_F05_OBSERVED
};
#define N_VALID (sizeof(all_valid) / sizeof(all_valid[0]))

/* Decodes pkt[0..n) with the decoder for its type and re-encodes it. */
static int decode_any(const uint8_t *p, size_t n, const char **why)
{
	struct ilp_prepare pr;
	struct ilp_fulfill fu;
	struct ilp_reject rj;

	if (n > 0 && p[0] == ILP_TYPE_PREPARE)
		return ilp_prepare_decode(p, n, &pr, why);
	if (n > 0 && p[0] == ILP_TYPE_FULFILL)
		return ilp_fulfill_decode(p, n, &fu, why);
	return ilp_reject_decode(p, n, &rj, why);
}

static int reencode(const uint8_t *p, size_t n, uint8_t *dst, size_t cap,
		    size_t *len)
{
	struct ilp_prepare pr;
	struct ilp_fulfill fu;
	struct ilp_reject rj;

	switch (p[0]) {
	case ILP_TYPE_PREPARE:
		if (ilp_prepare_decode(p, n, &pr, NULL) != ILP_OK)
			return -100;
		return ilp_prepare_encode(&pr, dst, cap, len);
	case ILP_TYPE_FULFILL:
		if (ilp_fulfill_decode(p, n, &fu, NULL) != ILP_OK)
			return -100;
		return ilp_fulfill_encode(&fu, dst, cap, len);
	default:
		if (ilp_reject_decode(p, n, &rj, NULL) != ILP_OK)
			return -100;
		return ilp_reject_encode(&rj, dst, cap, len);
	}
}

static void test_round_trips(void)
{
	size_t i, n, len = 0, msize = 0;
	const char *why = NULL;

	for (i = 0; i < N_VALID; i++) {
		n = unhex(all_valid[i], pkt, sizeof(pkt));
		CHECK(n > 0);
		why = NULL;
		if (decode_any(pkt, n, &why) != ILP_OK)
			th_fail(__FILE__, __LINE__, "vector %zu: %s", i,
				why ? why : "?");
		CHECK_EQ(ilp_packet_measure(pkt, n, &msize), ILP_OK);
		CHECK_EQ(msize, n);
		CHECK_EQ(ilp_packet_type(pkt, n), pkt[0]);
		memset(out, 0, n + 1);
		if (reencode(pkt, n, out, sizeof(out), &len) != ILP_OK) {
			th_fail(__FILE__, __LINE__, "vector %zu re-encode", i);
			continue;
		}
		CHECK_EQ(len, n);
		CHECK_MEM(out, pkt, n);
		/* Measure only, then exact capacity, then one byte short. */
		CHECK_EQ(reencode(pkt, n, NULL, 0, &len), ILP_OK);
		CHECK_EQ(len, n);
		CHECK_EQ(reencode(pkt, n, out, n, &len), ILP_OK);
		memset(out, 0x5a, n);
		CHECK_EQ(reencode(pkt, n, out, n - 1, &len), ILP_ERR_OVERFLOW);
		CHECK_EQ(out[0], 0x5a);
		CHECK_EQ(out[n - 2], 0x5a);
	}
}

static void test_prepare_fixture_fields(void)
{
	static const uint8_t cond0[4] = { 0x74, 0xe1, 0x13, 0x6d };
	struct ilp_prepare p;
	size_t n = unhex(PREP_FIXTURE, pkt, sizeof(pkt));

	CHECK_EQ(ilp_prepare_decode(pkt, n, &p, NULL), ILP_OK);
	CHECK_EQ_U64(p.amount, 107);
	CHECK_EQ(p.expires_at, 1513992100549LL);
	CHECK_MEM(p.condition, cond0, 4);
	CHECK(p.condition == pkt + 2 + 8 + 17);
	CHECK_EQ(p.destination_len, 13);
	CHECK_MEM(p.destination, "example.alice", 13);
	CHECK_EQ(p.data_len, 32);
	CHECK_EQ(p.data[0], 0x5d);
	CHECK_EQ(p.contents_off, 2);

	n = unhex(PREP_MAXAMT, pkt, sizeof(pkt));
	CHECK_EQ(ilp_prepare_decode(pkt, n, &p, NULL), ILP_OK);
	CHECK_EQ_U64(p.amount, UINT64_MAX);
	CHECK_EQ(p.expires_at, 1514132072279LL);
	CHECK_EQ(p.destination_len, 14);
	CHECK_MEM(p.destination, "g.us.nexus.bob", 14);
	CHECK_EQ(p.data_len, 11);
	CHECK_MEM(p.data, "hello world", 11);
}

static void test_leap_prepare_vector(void)
{
	static const char want[] = PREP_LEAP;
	uint8_t cond[32];
	struct ilp_prepare p;
	size_t n, len = 0;

	memset(cond, 0xab, sizeof(cond));
	memset(&p, 0, sizeof(p));
	p.amount = 0;
	p.expires_at = 1582934400000LL;
	p.condition = cond;
	p.destination = (const uint8_t *)"private.a";
	p.destination_len = 9;
	n = unhex(want, pkt, sizeof(pkt));
	CHECK_EQ(ilp_prepare_encode(&p, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, n);
	CHECK_MEM(out, pkt, n);
}

static void test_fulfill_reject_fields(void)
{
	struct ilp_fulfill f;
	struct ilp_reject r;
	size_t n;

	n = unhex(FUL_THANKS, pkt, sizeof(pkt));
	CHECK_EQ(ilp_fulfill_decode(pkt, n, &f, NULL), ILP_OK);
	CHECK_EQ(f.fulfillment[0], 1);
	CHECK_EQ(f.fulfillment[31], 1);
	CHECK_EQ(f.data_len, 9);
	CHECK_MEM(f.data, "thank you", 9);

	n = unhex(REJ_F02, pkt, sizeof(pkt));
	CHECK_EQ(ilp_reject_decode(pkt, n, &r, NULL), ILP_OK);
	CHECK_MEM(r.code, "F02", 3);
	CHECK_EQ(r.triggered_by_len, 0);
	CHECK_EQ(r.message_len, 0);
	CHECK_EQ(r.data_len, 0);

	n = unhex(REJ_R00, pkt, sizeof(pkt));
	CHECK_EQ(ilp_reject_decode(pkt, n, &r, NULL), ILP_OK);
	CHECK_MEM(r.code, "R00", 3);
	CHECK_MEM(r.triggered_by, "g.conn", 6);
	CHECK_EQ(r.message_len, 11);
	CHECK_MEM(r.message, "expir\xc3\xa9 \xe2\x9c\x93", 11);

	n = unhex(REJ_F99, pkt, sizeof(pkt));
	CHECK_EQ(ilp_reject_decode(pkt, n, &r, NULL), ILP_OK);
	CHECK_EQ(r.data_len, 5);
	CHECK_MEM(r.data, "\x01\x02\x03\x04\x05", 5);

	n = unhex(REJ_F01_FIXTURE, pkt, sizeof(pkt));
	CHECK_EQ(ilp_reject_decode(pkt, n, &r, NULL), ILP_OK);
	CHECK_MEM(r.triggered_by, "example.us.bob", 14);
	CHECK_EQ(r.message_len, 39);
}

static void test_f08(void)
{
	uint8_t d[ILP_F08_DATA_LEN], want[16];
	struct ilp_reject r;
	uint64_t rx = 0, mx = 0;
	size_t n;

	unhex("00000000000000640000000000000032", want, sizeof(want));
	ilp_f08_data_encode(100, 50, d);
	CHECK_MEM(d, want, 16);
	CHECK_EQ(ilp_f08_data_decode(d, 16, &rx, &mx), ILP_OK);
	CHECK_EQ_U64(rx, 100);
	CHECK_EQ_U64(mx, 50);
	CHECK_EQ(ilp_f08_data_decode(d, 15, &rx, &mx), ILP_ERR_INVALID);
	CHECK_EQ(ilp_f08_data_decode(d, 17, &rx, &mx), ILP_ERR_INVALID);
	CHECK_EQ(ilp_f08_data_decode(d, 0, &rx, &mx), ILP_ERR_INVALID);

	n = unhex(REJ_F08, pkt, sizeof(pkt));
	CHECK_EQ(ilp_reject_decode(pkt, n, &r, NULL), ILP_OK);
	CHECK_EQ(ilp_f08_data_decode(r.data, r.data_len, &rx, &mx), ILP_OK);
	CHECK_EQ_U64(rx, 100);
	CHECK_EQ_U64(mx, 50);
	n = unhex(REJ_F08_OBSERVED, pkt, sizeof(pkt));
	CHECK_EQ(ilp_reject_decode(pkt, n, &r, NULL), ILP_OK);
	CHECK_EQ(ilp_f08_data_decode(r.data, r.data_len, &rx, &mx), ILP_OK);
	CHECK_EQ_U64(rx, 2000000);
	CHECK_EQ_U64(mx, 1000000);
}

/* Section 7.1 "generated" vectors: check the length bytes they name. */
static void test_generated_vectors(void)
{
	static const char dest[] = "test.bob.~psk.abc-DEF_123";
	uint8_t cond[32], data[200];
	struct ilp_prepare p, q;
	struct ilp_fulfill f;
	size_t len = 0;

	memset(cond, 0x11, sizeof(cond));
	memset(data, 0x42, sizeof(data));
	memset(&p, 0, sizeof(p));
	p.amount = 5;
	p.expires_at = 1514132072279LL;
	p.condition = cond;
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	p.data = data;
	p.data_len = 200;
	CHECK_EQ(ilp_prepare_encode(&p, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, 4 + 285);
	CHECK(out[0] == 0x0c && out[1] == 0x82 && out[2] == 0x01 && out[3] == 0x1d);
	CHECK(out[4 + 8 + 17 + 32 + 1 + 25] == 0x81);
	CHECK(out[4 + 8 + 17 + 32 + 1 + 25 + 1] == 0xc8);
	CHECK_EQ(ilp_prepare_decode(out, len, &q, NULL), ILP_OK);
	CHECK_EQ(q.contents_off, 4);
	CHECK_EQ(q.data_len, 200);

	memset(cond, 0x02, sizeof(cond));
	memset(&f, 0, sizeof(f));
	f.fulfillment = cond;
	f.data = data;
	f.data_len = 130;
	CHECK_EQ(ilp_fulfill_encode(&f, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, 3 + 164);
	CHECK(out[0] == 0x0d && out[1] == 0x81 && out[2] == 0xa4);
	CHECK(out[3 + 32] == 0x81 && out[3 + 33] == 0x82);
}

/* ---- truncation ---------------------------------------------------------- */

static void check_truncations(const uint8_t *p, size_t n)
{
	size_t k, sz = 0;
	int r;

	for (k = 0; k < n; k++) {
		r = ilp_packet_measure(p, k, &sz);
		if (r != ILP_ERR_NEED_MORE)
			th_fail(__FILE__, __LINE__, "measure(%zu of %zu) = %d", k, n, r);
		r = decode_any(p, k, NULL);
		if (r != ILP_ERR_NEED_MORE && r != ILP_ERR_INVALID)
			th_fail(__FILE__, __LINE__, "decode(%zu of %zu) = %d", k, n, r);
	}
}

static void test_truncation_every_byte(void)
{
	size_t i, n;

	for (i = 0; i < N_VALID; i++) {
		n = unhex(all_valid[i], pkt, sizeof(pkt));
		/* Decode the prefix in a buffer of its own length (ASan). */
		memcpy(big, pkt, n);
		check_truncations(big, n);
	}
}

/* Builds a Prepare with raw writer calls (no validation) into pkt. */
static size_t raw_prepare(const char *ts, const uint8_t *dest, size_t dlen,
			  size_t data_len, const uint8_t *tail, size_t tail_len)
{
	struct oer_writer w;
	size_t clen;
	uint8_t cond[32];

	memset(cond, 0x33, sizeof(cond));
	memset(big, 0x44, sizeof(big));
	clen = 8 + 17 + 32 + oer_length_size(dlen) + dlen +
	       oer_length_size(data_len) + data_len + tail_len;
	oer_writer_init(&w, pkt, sizeof(pkt));
	oer_write_u8(&w, ILP_TYPE_PREPARE);
	oer_write_length(&w, clen);
	oer_write_u64(&w, 1000);
	oer_write_bytes(&w, (const uint8_t *)ts, 17);
	oer_write_bytes(&w, cond, 32);
	oer_write_var_octets(&w, dest, dlen);
	oer_write_var_octets(&w, big, data_len);
	oer_write_bytes(&w, tail, tail_len);
	CHECK_EQ(w.err, ILP_OK);
	return w.len;
}

#define TS_OK "20171224161432279"

static int dec_prepare(size_t n, const char **why)
{
	struct ilp_prepare p;

	*why = NULL;
	return ilp_prepare_decode(pkt, n, &p, why);
}

static void check_why(const char *why, const char *want)
{
	if (why == NULL || strcmp(why, want) != 0)
		th_fail(__FILE__, __LINE__, "why \"%s\", want \"%s\"",
			why ? why : "(null)", want);
}

static void test_truncation_boundaries(void)
{
	static const size_t sizes[] = { 0, 1, 70, 71, 72, 127, 128, 255, 256,
					300, 1000, 32767 };
	size_t i, n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = raw_prepare(TS_OK, (const uint8_t *)"g.a", 3, sizes[i], NULL, 0);
		memcpy(out, pkt, n);
		check_truncations(out, n);
	}
}

/* ---- malformed (section 7.2) -------------------------------------------- */

static void test_malformed_envelope(void)
{
	const char *why = NULL;
	size_t n, sz = 0;
	struct ilp_fulfill f;

	/* #1: destination length written as 81 03. */
	n = unhex("0c3f0000000000000001323031373132323431363134333232373911111111"
		  "11111111111111111111111111111111111111111111111111111111"
		  "8103672e6100", pkt, sizeof(pkt));
	CHECK_EQ(ilp_packet_measure(pkt, n, &sz), ILP_OK);
	CHECK_EQ(dec_prepare(n, &why), ILP_ERR_INVALID);
	check_why(why, "destination: non-canonical length");
	/* #2: envelope length 80. */
	n = unhex(PREP_GA, pkt, sizeof(pkt));
	pkt[1] = 0x80;
	CHECK_EQ(ilp_packet_measure(pkt, n, &sz), ILP_ERR_INVALID);
	CHECK_EQ(dec_prepare(n, &why), ILP_ERR_INVALID);
	check_why(why, "envelope: non-canonical length");
	n = unhex("0c813e", pkt, sizeof(pkt));
	CHECK_EQ(ilp_packet_measure(pkt, n, &sz), ILP_ERR_INVALID);
	CHECK_EQ(dec_prepare(n, &why), ILP_ERR_INVALID);
	check_why(why, "envelope: non-canonical length");
	/* #3: 62 declared, 40 present. */
	n = unhex(PREP_GA, pkt, sizeof(pkt));
	CHECK_EQ(ilp_packet_measure(pkt, 42, &sz), ILP_ERR_NEED_MORE);
	CHECK_EQ(dec_prepare(42, &why), ILP_ERR_NEED_MORE);
	CHECK(why != NULL);
	/* #7: unknown type, wrong type. */
	n = unhex(PREP_GA, pkt, sizeof(pkt));
	pkt[0] = 0x0f;
	sz = 0;
	CHECK_EQ(ilp_packet_measure(pkt, n, &sz), ILP_ERR_UNSUPPORTED);
	CHECK_EQ(sz, n);
	CHECK_EQ(ilp_packet_measure(pkt, n - 1, &sz), ILP_ERR_NEED_MORE);
	CHECK_EQ(dec_prepare(n, &why), ILP_ERR_INVALID);
	check_why(why, "wrong packet type");
	n = unhex(FUL_ZERO, pkt, sizeof(pkt));
	CHECK_EQ(dec_prepare(n, &why), ILP_ERR_INVALID);
	check_why(why, "wrong packet type");
	/* #8: trailing bytes after the envelope are invalid here. */
	n = unhex(PREP_GA "00", pkt, sizeof(pkt));
	CHECK_EQ(ilp_packet_measure(pkt, n, &sz), ILP_OK);
	CHECK_EQ(sz, n - 1);
	CHECK_EQ(dec_prepare(n, &why), ILP_ERR_INVALID);
	check_why(why, "trailing bytes after packet");
	/* #9: fulfill with a 20-byte fulfillment. */
	n = unhex("0d15" "0101010101010101010101010101010101010101" "00",
		  pkt, sizeof(pkt));
	CHECK_EQ(ilp_fulfill_decode(pkt, n, &f, &why), ILP_ERR_INVALID);
	check_why(why, "fulfillment: runs past end of envelope");
	/* Empty input. */
	CHECK_EQ(ilp_packet_measure(pkt, 0, &sz), ILP_ERR_NEED_MORE);
	CHECK_EQ(ilp_packet_type(pkt, 0), ILP_ERR_INVALID);
	CHECK(ilp_fulfill_decode(pkt, 0, &f, &why) == ILP_ERR_NEED_MORE);
}

static void test_malformed_inside(void)
{
	static const uint8_t tail[] = { 0xde, 0xad, 0xbe, 0xef };
	struct ilp_prepare p;
	const char *why = NULL;
	size_t n, len = 0;

	/* #8: bytes after the last field inside the envelope are ignored,
	 * and re-encoding drops them. */
	n = raw_prepare(TS_OK, (const uint8_t *)"g.a", 3, 2, tail, sizeof(tail));
	CHECK_EQ(ilp_prepare_decode(pkt, n, &p, &why), ILP_OK);
	CHECK_EQ(p.data_len, 2);
	CHECK_EQ(ilp_prepare_encode(&p, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, n - sizeof(tail));
	/* A field running past the envelope end is INVALID, not NEED_MORE. */
	n = raw_prepare(TS_OK, (const uint8_t *)"g.a", 3, 10, NULL, 0);
	pkt[1] = (uint8_t)(pkt[1] - 5);
	CHECK_EQ(dec_prepare(n - 5, &why), ILP_ERR_INVALID);
	check_why(why, "data: runs past end of envelope");
	n = raw_prepare(TS_OK, (const uint8_t *)"g.a", 3, 0, NULL, 0);
	pkt[1] = 20;
	CHECK_EQ(dec_prepare(22, &why), ILP_ERR_INVALID);
	check_why(why, "expiresAt: runs past end of envelope");
	pkt[1] = 5;
	CHECK_EQ(dec_prepare(7, &why), ILP_ERR_INVALID);
	check_why(why, "amount: runs past end of envelope");
	pkt[1] = 8 + 17 + 10;
	CHECK_EQ(dec_prepare(2 + 8 + 17 + 10, &why), ILP_ERR_INVALID);
	check_why(why, "executionCondition: runs past end of envelope");
	pkt[1] = 8 + 17 + 32;
	CHECK_EQ(dec_prepare(2 + 8 + 17 + 32, &why), ILP_ERR_INVALID);
	check_why(why, "destination: runs past end of envelope");
	/* Data limit. */
	n = raw_prepare(TS_OK, (const uint8_t *)"g.a", 3, 32768, NULL, 0);
	CHECK_EQ(dec_prepare(n, &why), ILP_ERR_INVALID);
	check_why(why, "data: longer than 32767 bytes");
	n = raw_prepare(TS_OK, (const uint8_t *)"g.a", 3, 32767, NULL, 0);
	CHECK_EQ(dec_prepare(n, &why), ILP_OK);
}

static void check_dest(const char *d, size_t dlen, int want)
{
	const char *why = NULL;
	size_t n = raw_prepare(TS_OK, (const uint8_t *)d, dlen, 0, NULL, 0);
	int r = dec_prepare(n, &why);

	if (r != want)
		th_fail(__FILE__, __LINE__, "destination \"%.*s\": %d want %d",
			(int)(dlen > 40 ? 40 : dlen), d, r, want);
	if (want != ILP_OK)
		check_why(why, "destination: not a valid ILP address");
}

static void check_ts(const char *ts, int want)
{
	const char *why = NULL;
	size_t n = raw_prepare(ts, (const uint8_t *)"g.a", 3, 0, NULL, 0);
	int r = dec_prepare(n, &why);

	if (r != want)
		th_fail(__FILE__, __LINE__, "expiresAt %s: %d want %d", ts, r, want);
	if (want != ILP_OK)
		check_why(why, "expiresAt: not a valid timestamp");
}

static void test_malformed_fields(void)
{
	static char addr[1100];

	/* #4 */
	check_dest("g", 1, ILP_ERR_INVALID);
	check_dest("g.a b", 5, ILP_ERR_INVALID);
	check_dest("foo.bar", 7, ILP_ERR_INVALID);
	check_dest("g.a.", 4, ILP_ERR_INVALID);
	check_dest("", 0, ILP_ERR_INVALID);
	/* #8: bit 7 is not stripped here. */
	check_dest("\xe7.\xe1", 3, ILP_ERR_INVALID);
	check_dest("g.\xe1", 3, ILP_ERR_INVALID);
	memset(addr, 'a', sizeof(addr));
	addr[0] = 'g';
	addr[1] = '.';
	check_dest(addr, 1023, ILP_OK);
	check_dest(addr, 1024, ILP_ERR_INVALID);
	check_dest("peer.config", 11, ILP_OK);
	/* #5 and #6 (the reference accepts #6 with rollover; we do not). */
	check_ts("abcdefghijklmnopq", ILP_ERR_INVALID);
	check_ts("19700101000000000", ILP_OK);
	check_ts("20171324161432200", ILP_ERR_INVALID);
	check_ts("20171224240000000", ILP_ERR_INVALID);
	check_ts("20161231235960852", ILP_ERR_INVALID);
	check_ts(" 2017122416143227", ILP_ERR_INVALID);
}

static int dec_reject(size_t n, struct ilp_reject *r, const char **why)
{
	*why = NULL;
	return ilp_reject_decode(pkt, n, r, why);
}

static void test_malformed_reject(void)
{
	struct ilp_reject r;
	const char *why = NULL;
	size_t n;

	/* #10 */
	n = unhex("0e144630300e6e6f7420616e20616464726573730000", pkt, sizeof(pkt));
	CHECK_EQ(dec_reject(n, &r, &why), ILP_ERR_INVALID);
	check_why(why, "triggeredBy: not a valid ILP address");
	/* #11: unknown code and non-UTF-8 message are accepted. */
	n = unhex("0e0b5a5a5a03672e6102fffe00", pkt, sizeof(pkt));
	CHECK_EQ(dec_reject(n, &r, &why), ILP_OK);
	CHECK_MEM(r.code, "ZZZ", 3);
	CHECK(ilp_error_name(r.code) == NULL);
	CHECK_EQ(r.message_len, 2);
	/* Code bytes must be printable. */
	n = unhex("0e0646300a000000", pkt, sizeof(pkt));
	CHECK_EQ(dec_reject(n, &r, &why), ILP_ERR_INVALID);
	check_why(why, "code: not printable ASCII");
	n = unhex("0e06463080000000", pkt, sizeof(pkt));
	CHECK_EQ(dec_reject(n, &r, &why), ILP_ERR_INVALID);
	n = unhex("0e06202020000000", pkt, sizeof(pkt));
	CHECK_EQ(dec_reject(n, &r, &why), ILP_OK);
	n = unhex("0e0446303200", pkt, sizeof(pkt));
	CHECK_EQ(dec_reject(n, &r, &why), ILP_ERR_INVALID);
	check_why(why, "message: runs past end of envelope");
	n = unhex("0e024630", pkt, sizeof(pkt));
	CHECK_EQ(dec_reject(n, &r, &why), ILP_ERR_INVALID);
	check_why(why, "code: runs past end of envelope");
}

static size_t raw_reject(size_t msg_len, size_t data_len)
{
	struct oer_writer w;
	size_t clen;

	memset(big, 'm', sizeof(big));
	clen = 3 + 1 + oer_length_size(msg_len) + msg_len +
	       oer_length_size(data_len) + data_len;
	oer_writer_init(&w, pkt, sizeof(pkt));
	oer_write_u8(&w, ILP_TYPE_REJECT);
	oer_write_length(&w, clen);
	oer_write_bytes(&w, (const uint8_t *)"T00", 3);
	oer_write_length(&w, 0);
	oer_write_var_octets(&w, big, msg_len);
	oer_write_var_octets(&w, big, data_len);
	CHECK_EQ(w.err, ILP_OK);
	return w.len;
}

static void test_reject_limits(void)
{
	struct ilp_reject r;
	const char *why = NULL;
	size_t n, len = 0;

	n = raw_reject(8191, 32767);
	CHECK_EQ(dec_reject(n, &r, &why), ILP_OK);
	CHECK_EQ(n, ILP_REJECT_MAX_SIZE - 3 - ILP_ADDRESS_MAX_LEN + 1);
	CHECK_EQ(ilp_reject_encode(&r, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, n);
	CHECK_MEM(out, pkt, n);
	n = raw_reject(8192, 0);
	CHECK_EQ(dec_reject(n, &r, &why), ILP_ERR_INVALID);
	check_why(why, "message: longer than 8191 bytes");
	n = raw_reject(0, 32768);
	CHECK_EQ(dec_reject(n, &r, &why), ILP_ERR_INVALID);
	check_why(why, "data: longer than 32767 bytes");
}

/* ---- boundary lengths through the encoder ------------------------------- */

static void test_boundary_lengths(void)
{
	static const size_t sizes[] = { 0, 127, 128, 255, 256, 32767 };
	static const uint8_t hdr[][3] = { { 0, 0, 0 }, { 0x7f }, { 0x81, 0x80 },
					  { 0x81, 0xff }, { 0x82, 0x01, 0x00 },
					  { 0x82, 0x7f, 0xff } };
	uint8_t ful[32];
	struct ilp_fulfill f, g;
	size_t i, len = 0, dl, off;

	memset(ful, 7, sizeof(ful));
	memset(big, 0x99, sizeof(big));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.fulfillment = ful;
		f.data = big;
		f.data_len = sizes[i];
		CHECK_EQ(ilp_fulfill_encode(&f, out, sizeof(out), &len), ILP_OK);
		dl = oer_length_size(sizes[i]);
		off = 1 + oer_length_size(32 + dl + sizes[i]) + 32;
		CHECK_EQ(len, off + dl + sizes[i]);
		if (i > 0)
			CHECK_MEM(out + off, hdr[i], dl);
		CHECK_EQ(ilp_fulfill_decode(out, len, &g, NULL), ILP_OK);
		CHECK_EQ(g.data_len, sizes[i]);
		CHECK(g.data == out + off + dl);
	}
	/* Envelope length crossing 127/128: data 94 -> contents 127. */
	f.data_len = 94;
	CHECK_EQ(ilp_fulfill_encode(&f, out, sizeof(out), &len), ILP_OK);
	CHECK(out[1] == 0x7f && len == 129);
	f.data_len = 95;
	CHECK_EQ(ilp_fulfill_encode(&f, out, sizeof(out), &len), ILP_OK);
	CHECK(out[1] == 0x81 && out[2] == 0x80 && len == 131);
	f.data_len = 32768;
	CHECK_EQ(ilp_fulfill_encode(&f, out, sizeof(out), &len), ILP_ERR_INVALID);
	CHECK_EQ(ilp_fulfill_encode(&f, NULL, 0, &len), ILP_ERR_INVALID);
}

/* ---- encoder validation --------------------------------------------------- */

static void test_encoder_validation(void)
{
	uint8_t cond[32];
	struct ilp_prepare p;
	struct ilp_reject r;
	size_t len = 0;

	memset(cond, 1, sizeof(cond));
	memset(&p, 0, sizeof(p));
	p.condition = cond;
	p.expires_at = 0;
	p.destination = (const uint8_t *)"g.a";
	p.destination_len = 3;
	CHECK_EQ(ilp_prepare_encode(&p, NULL, 0, &len), ILP_OK);
	CHECK_EQ(len, 2 + 8 + 17 + 32 + 4 + 1);
	memset(out, 0x77, 100);
	CHECK_EQ(ilp_prepare_encode(&p, out, len - 1, &len), ILP_ERR_OVERFLOW);
	CHECK_EQ(out[0], 0x77);
	p.destination = (const uint8_t *)"g.";
	p.destination_len = 2;
	CHECK_EQ(ilp_prepare_encode(&p, out, sizeof(out), &len), ILP_ERR_INVALID);
	CHECK_EQ(ilp_prepare_encode(&p, NULL, 0, &len), ILP_ERR_INVALID);
	p.destination = (const uint8_t *)"g.a";
	p.destination_len = 3;
	p.expires_at = OER_TIME_MAX_MS + 1;
	CHECK_EQ(ilp_prepare_encode(&p, out, sizeof(out), &len), ILP_ERR_INVALID);
	p.expires_at = OER_TIME_MIN_MS;
	CHECK_EQ(ilp_prepare_encode(&p, out, sizeof(out), &len), ILP_OK);
	p.data = big;
	p.data_len = 32768;
	CHECK_EQ(ilp_prepare_encode(&p, out, sizeof(out), &len), ILP_ERR_INVALID);
	CHECK_EQ(out[0], 0x0c);

	memset(&r, 0, sizeof(r));
	r.code = (const uint8_t *)"F0\n";
	CHECK_EQ(ilp_reject_encode(&r, out, sizeof(out), &len), ILP_ERR_INVALID);
	r.code = (const uint8_t *)"F02";
	r.triggered_by = (const uint8_t *)"nope";
	r.triggered_by_len = 4;
	CHECK_EQ(ilp_reject_encode(&r, out, sizeof(out), &len), ILP_ERR_INVALID);
	r.triggered_by_len = 0;
	r.message = big;
	r.message_len = 8192;
	CHECK_EQ(ilp_reject_encode(&r, out, sizeof(out), &len), ILP_ERR_INVALID);
	r.message_len = 0;
	CHECK_EQ(ilp_reject_encode(&r, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, 8);
	CHECK(unhex(REJ_F02, pkt, sizeof(pkt)) == 8);
	CHECK_MEM(out, pkt, 8);
}

static void test_prepare_patch(void)
{
	struct ilp_prepare p, q;
	size_t n;

	n = unhex(PREP_FIXTURE, pkt, sizeof(pkt));
	CHECK_EQ(ilp_prepare_decode(pkt, n, &p, NULL), ILP_OK);
	CHECK_EQ(ilp_prepare_patch(pkt, &p, 99, 1514132072279LL), ILP_OK);
	CHECK_EQ(ilp_prepare_decode(pkt, n, &q, NULL), ILP_OK);
	CHECK_EQ_U64(q.amount, 99);
	CHECK_EQ(q.expires_at, 1514132072279LL);
	CHECK_MEM(pkt + 2 + 8, "20171224161432279", 17);
	CHECK_EQ(pkt[9], 99);
	CHECK_EQ(ilp_prepare_patch(pkt, &p, 5, OER_TIME_MAX_MS + 1), ILP_ERR_RANGE);
	CHECK_EQ(pkt[9], 99);      /* untouched on error */
	CHECK_EQ(ilp_prepare_patch(pkt, &p, 5, -62167219200001LL), ILP_ERR_RANGE);
	/* 3-byte envelope: contents at offset 4. */
	n = raw_prepare(TS_OK, (const uint8_t *)"g.a", 3, 300, NULL, 0);
	CHECK_EQ(ilp_prepare_decode(pkt, n, &p, NULL), ILP_OK);
	CHECK_EQ(p.contents_off, 4);
	CHECK_EQ(ilp_prepare_patch(pkt, &p, UINT64_MAX, 0), ILP_OK);
	CHECK_EQ(ilp_prepare_decode(pkt, n, &q, NULL), ILP_OK);
	CHECK_EQ_U64(q.amount, UINT64_MAX);
	CHECK_EQ(q.expires_at, 0);
}

/* ---- addresses --------------------------------------------------------- */

static bool av(const char *s)
{
	return ilp_address_valid((const uint8_t *)s, strlen(s));
}

static void test_addresses(void)
{
	static const char *const schemes[] = { "g", "private", "example", "peer",
					       "self", "test", "test1", "test2",
					       "test3", "local" };
	static char a[1100];
	size_t i;
	char tmp[32];

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		strcpy(tmp, schemes[i]);
		CHECK(!av(tmp));
		strcat(tmp, ".a");
		CHECK(av(tmp));
		strcat(tmp, ".b-c_d~E9");
		CHECK(av(tmp));
	}
	CHECK(!av("g"));
	CHECK(!av("g."));
	CHECK(!av("g.a."));
	CHECK(!av("g..a"));
	CHECK(!av(".g.a"));
	CHECK(!av("g.a b"));
	CHECK(!av("g.a/b"));
	CHECK(!av("g.a+b"));
	CHECK(!av("test4.a"));
	CHECK(!av("test0.a"));
	CHECK(!av("tes.a"));
	CHECK(!av("G.a"));
	CHECK(!av("gg.a"));
	CHECK(!av("foo.bar"));
	CHECK(!av(""));
	CHECK(!av("g.\xc3\xa9"));
	CHECK(!av("g.a\x80"));
	CHECK(!av("g.\xff"));
	CHECK(av("peer.config"));
	CHECK(av("peer.route.control"));
	CHECK(av("test.bob.~psk.abc-DEF_123"));
	CHECK(av("g.us.nexus.bob"));
	CHECK(!ilp_address_valid((const uint8_t *)"g.a\0b", 5));
	CHECK(!ilp_address_valid(NULL, 0));
	memset(a, 'x', sizeof(a));
	memcpy(a, "test.", 5);
	CHECK(ilp_address_valid((const uint8_t *)a, 1023));
	CHECK(!ilp_address_valid((const uint8_t *)a, 1024));
	a[600] = '.';
	CHECK(ilp_address_valid((const uint8_t *)a, 1023));
	a[601] = '.';
	CHECK(!ilp_address_valid((const uint8_t *)a, 1023));

	CHECK(ilp_address_segment_valid((const uint8_t *)"a-b_c~9Z", 8));
	CHECK(!ilp_address_segment_valid((const uint8_t *)"", 0));
	CHECK(!ilp_address_segment_valid((const uint8_t *)"a.b", 3));
	CHECK(!ilp_address_segment_valid((const uint8_t *)"a b", 3));
}

static bool hp(const char *a, const char *p)
{
	return ilp_address_has_prefix((const uint8_t *)a, strlen(a),
				      (const uint8_t *)p, strlen(p));
}

static void test_prefix(void)
{
	CHECK(hp("g.a.b", "g.a"));
	CHECK(hp("g.a", "g.a"));
	CHECK(hp("g.a", ""));
	CHECK(hp("g.a.b", "g"));
	CHECK(!hp("g.ab", "g.a"));
	CHECK(!hp("g.a", "g.a.b"));
	CHECK(!hp("g.b", "g.a"));
	CHECK(!hp("test.a", "test1"));
}

static void test_error_table(void)
{
	static const char *const want[][2] = {
		{ "F00", "Bad Request" }, { "F01", "Invalid Packet" },
		{ "F02", "Unreachable" }, { "F03", "Invalid Amount" },
		{ "F04", "Insufficient Destination Amount" },
		{ "F05", "Wrong Condition" }, { "F06", "Unexpected Payment" },
		{ "F07", "Cannot Receive" }, { "F08", "Amount Too Large" },
		{ "F99", "Application Error" }, { "T00", "Internal Error" },
		{ "T01", "Peer Unreachable" }, { "T02", "Peer Busy" },
		{ "T03", "Connector Busy" }, { "T04", "Insufficient Liquidity" },
		{ "T05", "Rate Limited" }, { "T99", "Application Error" },
		{ "R00", "Transfer Timed Out" },
		{ "R01", "Insufficient Source Amount" },
		{ "R02", "Insufficient Timeout" }, { "R99", "Application Error" }
	};
	size_t i, n = sizeof(want) / sizeof(want[0]);
	const char *name;

	for (i = 0; i < n; i++) {
		name = ilp_error_name((const uint8_t *)want[i][0]);
		if (name == NULL || strcmp(name, want[i][1]) != 0)
			th_fail(__FILE__, __LINE__, "%s -> %s", want[i][0],
				name ? name : "(null)");
		CHECK(strcmp(ilp_error_table[i].code, want[i][0]) == 0);
		CHECK(ilp_error_table[i].name != NULL);
	}
	CHECK(ilp_error_table[n].name == NULL);
	CHECK(ilp_error_name((const uint8_t *)"ZZZ") == NULL);
	CHECK(ilp_error_name((const uint8_t *)"F09") == NULL);
	CHECK(ilp_error_name((const uint8_t *)"f02") == NULL);
}

int main(void)
{
	TH_RUN(test_round_trips);
	TH_RUN(test_prepare_fixture_fields);
	TH_RUN(test_leap_prepare_vector);
	TH_RUN(test_fulfill_reject_fields);
	TH_RUN(test_f08);
	TH_RUN(test_generated_vectors);
	TH_RUN(test_truncation_every_byte);
	TH_RUN(test_truncation_boundaries);
	TH_RUN(test_malformed_envelope);
	TH_RUN(test_malformed_inside);
	TH_RUN(test_malformed_fields);
	TH_RUN(test_malformed_reject);
	TH_RUN(test_reject_limits);
	TH_RUN(test_boundary_lengths);
	TH_RUN(test_encoder_validation);
	TH_RUN(test_prepare_patch);
	TH_RUN(test_addresses);
	TH_RUN(test_prefix);
	TH_RUN(test_error_table);
	return th_finish();
}
