/*
 * test_btp.c - BTP 2.0 frames, protocol data, auth, `ilp` and Error frames.
 * Vectors from shared/reference/ilp-wire-format.md sections 4.6, 4.7, 7.1
 * and 7.2 (rows 17-21).
 */
#include <string.h>

#include "ilp/btp.h"
#include "ilp/oer.h"
#include "th.h"

static uint8_t frame[40000];
static uint8_t out[40000];
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

#define AUTH_ALICE                                                          \
	"0600000001310103046175746800000d617574685f757365726e616d650105616c" \
	"6963650a617574685f746f6b656e0106736563726574"
#define AUTH_EMPTY_USER                                                     \
	"06deadbeef2c0103046175746800000d617574685f757365726e616d6501000a61" \
	"7574685f746f6b656e0106736563726574"
#define AUTH_OK "0100000001020100"
#define AUTH_ERROR                                                          \
	"02000000013d463030104e6f7441636365707465644572726f7213323031373132" \
	"32343136313433322e3237395a12696e76616c696420617574685f746f6b656e01" \
	"00"
#define AUTH_ERROR_OBSERVED                                                 \
	"02000000093d463030104e6f7441636365707465644572726f7213323032363131" \
	"32313232333230362e3839345a12696e76616c696420617574685f746f6b656e01" \
	"00"
#define ILP_PREPARE_FIXTURE                                                 \
	"0c68000000000000006b3230313731323233303132313430353439"            \
	"74e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de1" \
	"0d6578616d706c652e616c696365"                                      \
	"205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0"
#define MSG_PREPARE "061234567872010103696c70006a" ILP_PREPARE_FIXTURE
#define ZERO_FULFILL                                                        \
	"0d210000000000000000000000000000000000000000000000000000000000000000" \
	"00"
#define RESP_FULFILL "01123456782b010103696c700023" ZERO_FULFILL
#define TRANSFER_100 "07000000070a00000000000000640100"
#define MSG_JSON "060000000310010104696e666f02077b2261223a317d"

static const char *const all_valid[] = {
	AUTH_ALICE, AUTH_EMPTY_USER, AUTH_OK, AUTH_ERROR, AUTH_ERROR_OBSERVED,
	MSG_PREPARE, RESP_FULFILL, TRANSFER_100, MSG_JSON
};
#define N_VALID (sizeof(all_valid) / sizeof(all_valid[0]))

static void check_why(const char *why, const char *want)
{
	if (why == NULL || strcmp(why, want) != 0)
		th_fail(__FILE__, __LINE__, "why \"%s\", want \"%s\"",
			why ? why : "(null)", want);
}

/* Re-encodes a decoded frame through btp_frame_encode. Entries are copied
 * into a small array (the tests never use more than 8). */
static int reencode(const struct btp_frame *f, uint8_t *dst, size_t cap,
		    size_t *len)
{
	struct btp_pd_entry e[8];
	struct btp_frame_out o;
	struct btp_pd_iter it;
	int64_t ms = 0;

	memset(&o, 0, sizeof(o));
	o.type = f->type;
	o.request_id = f->request_id;
	o.amount = f->amount;
	o.code = f->code;
	o.name = f->name;
	o.name_len = f->name_len;
	o.data = f->data;
	o.data_len = f->data_len;
	if (f->type == BTP_ERROR) {
		if (btp_error_triggered_at(f, &ms) != ILP_OK)
			return -100;
		o.triggered_at = ms;
	}
	btp_pd_iter_init(&it, &f->pd);
	while (o.entry_count < 8 && btp_pd_next(&it, &e[o.entry_count]))
		o.entry_count++;
	o.entries = e;
	return btp_frame_encode(&o, dst, cap, len);
}

static void test_round_trips(void)
{
	struct btp_frame f;
	size_t i, n, len = 0, sz = 0;
	const char *why = NULL;

	for (i = 0; i < N_VALID; i++) {
		n = unhex(all_valid[i], frame, sizeof(frame));
		why = NULL;
		if (btp_frame_decode(frame, n, &f, &why) != ILP_OK) {
			th_fail(__FILE__, __LINE__, "vector %zu: %s", i,
				why ? why : "?");
			continue;
		}
		CHECK_EQ(btp_frame_measure(frame, n, &sz), ILP_OK);
		CHECK_EQ(sz, n);
		CHECK_EQ(reencode(&f, out, sizeof(out), &len), ILP_OK);
		CHECK_EQ(len, n);
		CHECK_MEM(out, frame, n);
		CHECK_EQ(reencode(&f, NULL, 0, &len), ILP_OK);
		CHECK_EQ(len, n);
		memset(out, 0x5a, n);
		CHECK_EQ(reencode(&f, out, n - 1, &len), ILP_ERR_OVERFLOW);
		CHECK_EQ(out[0], 0x5a);
	}
}

static void check_bytes(const uint8_t *got, size_t len, const char *hex)
{
	static uint8_t want[4096];
	size_t n = unhex(hex, want, sizeof(want));

	CHECK_EQ(len, n);
	if (len == n)
		CHECK_MEM(got, want, n);
}

static void test_auth_vectors(void)
{
	size_t len = 0;

	CHECK_EQ(btp_auth_encode(1, (const uint8_t *)"alice", 5,
				 (const uint8_t *)"secret", 6, out, sizeof(out),
				 &len), ILP_OK);
	check_bytes(out, len, AUTH_ALICE);
	CHECK_EQ(btp_auth_encode(0xdeadbeefu, (const uint8_t *)"", 0,
				 (const uint8_t *)"secret", 6, out, sizeof(out),
				 &len), ILP_OK);
	check_bytes(out, len, AUTH_EMPTY_USER);
	/* Measure, exact capacity, one byte short. */
	CHECK_EQ(btp_auth_encode(1, (const uint8_t *)"alice", 5,
				 (const uint8_t *)"secret", 6, NULL, 0, &len),
		 ILP_OK);
	CHECK_EQ(len, 55);
	memset(out, 0, 60);
	CHECK_EQ(btp_auth_encode(1, (const uint8_t *)"alice", 5,
				 (const uint8_t *)"secret", 6, out, 54, &len),
		 ILP_ERR_OVERFLOW);
	CHECK_EQ(out[0], 0);
	/* Without a username the entry is left out. */
	CHECK_EQ(btp_auth_encode(2, NULL, 0, (const uint8_t *)"t", 1, out,
				 sizeof(out), &len), ILP_OK);
	check_bytes(out, len, "0600000002170102046175746800000a617574685f746f6b656e010174");
}

static void test_auth_parse(void)
{
	struct btp_frame f;
	struct btp_auth a;
	const char *why = NULL;
	size_t n, len = 0;

	n = unhex(AUTH_ALICE, frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(btp_auth_parse(&f, &a, &why), ILP_OK);
	CHECK_EQ(a.token_len, 6);
	CHECK_MEM(a.token, "secret", 6);
	CHECK(a.username != NULL);
	CHECK_EQ(a.username_len, 5);
	CHECK_MEM(a.username, "alice", 5);

	CHECK_EQ(btp_auth_encode(2, NULL, 0, (const uint8_t *)"", 0, frame,
				 sizeof(frame), &len), ILP_OK);
	CHECK_EQ(btp_frame_decode(frame, len, &f, NULL), ILP_OK);
	CHECK_EQ(btp_auth_parse(&f, &a, &why), ILP_OK);
	CHECK_EQ(a.token_len, 0);
	CHECK(a.username == NULL);

	/* An ilp Message is not auth. */
	n = unhex(MSG_PREPARE, frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(btp_auth_parse(&f, &a, &why), ILP_ERR_INVALID);
	check_why(why, "auth: primary entry is not auth");
	/* A Response with the auth entries is not auth. */
	n = unhex(AUTH_ALICE, frame, sizeof(frame));
	frame[0] = BTP_RESPONSE;
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(btp_auth_parse(&f, &a, &why), ILP_ERR_INVALID);
	check_why(why, "auth: frame is not a Message");
	/* auth without auth_token; auth_token not first. */
	n = unhex("06000000010901010461757468" "0000", frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(btp_auth_parse(&f, &a, &why), ILP_ERR_INVALID);
	check_why(why, "auth: no auth_token entry");
	n = unhex("0600000001170102" "0a617574685f746f6b656e010174"
		  "046175746800" "00", frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(btp_auth_parse(&f, &a, &why), ILP_ERR_INVALID);
	/* Empty protocol data. */
	n = unhex("0600000001020100", frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(btp_auth_parse(&f, &a, &why), ILP_ERR_INVALID);
}

static void test_error_vectors(void)
{
	struct btp_frame f;
	int64_t ms = 0;
	size_t n, len = 0;

	CHECK_EQ(btp_error_encode(1, "F00", "NotAcceptedError", 1514132072279LL,
				  (const uint8_t *)"invalid auth_token", 18, out,
				  sizeof(out), &len), ILP_OK);
	check_bytes(out, len, AUTH_ERROR);
	CHECK_EQ(btp_error_encode(9, "F00", "NotAcceptedError", 1795300326894LL,
				  (const uint8_t *)"invalid auth_token", 18, out,
				  sizeof(out), &len), ILP_OK);
	check_bytes(out, len, AUTH_ERROR_OBSERVED);

	n = unhex(AUTH_ERROR_OBSERVED, frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(f.type, BTP_ERROR);
	CHECK_EQ(f.request_id, 9);
	CHECK_MEM(f.code, "F00", 3);
	CHECK_EQ(f.name_len, 16);
	CHECK_MEM(f.name, "NotAcceptedError", 16);
	CHECK_EQ(f.triggered_at_len, 19);
	CHECK_EQ(f.data_len, 18);
	CHECK_EQ(f.pd.count, 0);
	CHECK_EQ(btp_error_triggered_at(&f, &ms), ILP_OK);
	CHECK_EQ(ms, 1795300326894LL);

	/* 7.2 #21: garbage triggeredAt never fails the frame. */
	n = unhex("02000000011046303001580767617262616765000100", frame,
		  sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(f.triggered_at_len, 7);
	CHECK_EQ(btp_error_triggered_at(&f, &ms), ILP_ERR_INVALID);
	/* Canonical RFC 30 forms are understood. */
	n = unhex("0200000001" "18" "463030" "0158" "0f" "32303137313232343136313433325a"
		  "00" "0100", frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(btp_error_triggered_at(&f, &ms), ILP_OK);
	CHECK_EQ(ms, 1514132072000LL);
	/* Not an Error frame. */
	n = unhex(AUTH_OK, frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK(btp_error_triggered_at(&f, &ms) != ILP_OK);
}

static int dec(const char *hex, struct btp_frame *f, const char **why)
{
	size_t n = unhex(hex, frame, sizeof(frame));

	*why = NULL;
	return btp_frame_decode(frame, n, f, why);
}

/* An Error frame with data_len bytes of data, built without validation. */
static size_t raw_error(size_t data_len)
{
	struct oer_writer w;
	size_t clen = 3 + 2 + 1 + oer_length_size(data_len) + data_len + 2;

	oer_writer_init(&w, frame, sizeof(frame));
	oer_write_u8(&w, BTP_ERROR);
	oer_write_u32(&w, 1);
	oer_write_length(&w, clen);
	oer_write_bytes(&w, (const uint8_t *)"T00", 3);
	oer_write_var_octets(&w, (const uint8_t *)"X", 1);
	oer_write_length(&w, 0);
	oer_write_var_octets(&w, big, data_len);
	oer_write_varuint(&w, 0);
	CHECK_EQ(w.err, ILP_OK);
	return w.len;
}

static void test_error_limits(void)
{
	struct btp_frame f;
	const char *why = NULL;
	size_t len = 0;

	memset(big, 'd', sizeof(big));
	CHECK_EQ(btp_error_encode(1, "T00", "X", 0, big, BTP_ERROR_DATA_MAX,
				  out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(btp_frame_decode(out, len, &f, &why), ILP_OK);
	CHECK_EQ(f.data_len, BTP_ERROR_DATA_MAX);
	CHECK_EQ(btp_error_encode(1, "T00", "X", 0, big, BTP_ERROR_DATA_MAX + 1,
				  out, sizeof(out), &len), ILP_ERR_INVALID);
	CHECK_EQ(btp_error_encode(1, "T\n0", "X", 0, NULL, 0, out, sizeof(out),
				  &len), ILP_ERR_INVALID);
	CHECK_EQ(btp_error_encode(1, "T00", "bad\x01name", 0, NULL, 0, out,
				  sizeof(out), &len), ILP_ERR_INVALID);
	CHECK_EQ(btp_error_encode(1, "T00", "X", OER_TIME_MAX_MS + 1, NULL, 0,
				  out, sizeof(out), &len), ILP_ERR_INVALID);
	/* Decoder side: data 8193, non-printable code or name. */
	len = raw_error(BTP_ERROR_DATA_MAX);
	CHECK_EQ(btp_frame_decode(frame, len, &f, &why), ILP_OK);
	len = raw_error(BTP_ERROR_DATA_MAX + 1);
	CHECK_EQ(btp_frame_decode(frame, len, &f, &why), ILP_ERR_INVALID);
	check_why(why, "data: longer than 8192 bytes");
	CHECK_EQ(dec("0200000001" "09" "46300a" "0158" "00" "00" "0100", &f, &why),
		 ILP_ERR_INVALID);
	check_why(why, "code: not printable ASCII");
	CHECK_EQ(dec("0200000001" "09" "463030" "0109" "00" "00" "0100", &f, &why),
		 ILP_ERR_INVALID);
	check_why(why, "name: not printable ASCII");
	CHECK_EQ(dec("0200000001" "09" "463030" "0158" "00" "00" "0100", &f, &why),
		 ILP_OK);
}

static void test_ilp_vectors(void)
{
	static uint8_t ilp[200];
	struct btp_frame f;
	const uint8_t *p = NULL;
	size_t n, len = 0, plen = 0;

	n = unhex(ILP_PREPARE_FIXTURE, ilp, sizeof(ilp));
	CHECK_EQ(btp_ilp_encode(BTP_MESSAGE, 0x12345678u, ilp, n, out,
				sizeof(out), &len), ILP_OK);
	check_bytes(out, len, MSG_PREPARE);
	CHECK_EQ(btp_frame_decode(out, len, &f, NULL), ILP_OK);
	CHECK(btp_ilp_find(&f, &p, &plen));
	CHECK_EQ(plen, n);
	CHECK_MEM(p, ilp, n);

	n = unhex(ZERO_FULFILL, ilp, sizeof(ilp));
	CHECK_EQ(btp_ilp_encode(BTP_RESPONSE, 0x12345678u, ilp, n, out,
				sizeof(out), &len), ILP_OK);
	check_bytes(out, len, RESP_FULFILL);
	CHECK_EQ(btp_ilp_encode(BTP_TRANSFER, 1, ilp, n, out, sizeof(out), &len),
		 ILP_ERR_ARG);
	CHECK_EQ(btp_ilp_encode(BTP_ERROR, 1, ilp, n, out, sizeof(out), &len),
		 ILP_ERR_ARG);

	/* ilp found anywhere; a Response without one has none. */
	n = unhex("0100000001" "0d" "0102" "017800" "00" "03696c7000" "0101",
		  frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK(btp_ilp_find(&f, &p, &plen));
	CHECK_EQ(plen, 1);
	n = unhex(AUTH_OK, frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK(!btp_ilp_find(&f, &p, &plen));
}

static void test_transfer_and_json(void)
{
	struct btp_frame f;
	struct btp_pd_entry e;
	struct btp_frame_out o;
	size_t n, len = 0;

	n = unhex(TRANSFER_100, frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(f.type, BTP_TRANSFER);
	CHECK_EQ(f.request_id, 7);
	CHECK_EQ_U64(f.amount, 100);
	CHECK_EQ(f.pd.count, 0);
	CHECK(!btp_pd_primary(&f.pd, &e));

	n = unhex(MSG_JSON, frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(f.request_id, 3);
	CHECK(btp_pd_primary(&f.pd, &e));
	CHECK_EQ(e.content_type, BTP_CT_JSON);
	CHECK_EQ(e.name_len, 4);
	CHECK_MEM(e.name, "info", 4);
	CHECK_EQ(e.data_len, 7);
	CHECK_MEM(e.data, "{\"a\":1}", 7);
	CHECK(btp_pd_find(&f.pd, "info", &e));
	CHECK(!btp_pd_find(&f.pd, "inf", &e));
	CHECK(!btp_pd_find(&f.pd, "infox", &e));

	memset(&o, 0, sizeof(o));
	o.type = BTP_MESSAGE;
	o.request_id = 3;
	e.name = (const uint8_t *)"info";
	e.name_len = 4;
	e.content_type = BTP_CT_JSON;
	e.data = (const uint8_t *)"{\"a\":1}";
	e.data_len = 7;
	o.entries = &e;
	o.entry_count = 1;
	CHECK_EQ(btp_frame_encode(&o, out, sizeof(out), &len), ILP_OK);
	check_bytes(out, len, MSG_JSON);
	o.type = 3;
	CHECK_EQ(btp_frame_encode(&o, out, sizeof(out), &len), ILP_ERR_INVALID);
	o.type = 0;
	CHECK_EQ(btp_frame_encode(&o, out, sizeof(out), &len), ILP_ERR_INVALID);
	o.type = BTP_MESSAGE;
	e.name = (const uint8_t *)"in\x7f" "o";
	CHECK_EQ(btp_frame_encode(&o, out, sizeof(out), &len), ILP_ERR_INVALID);
	CHECK_EQ(btp_frame_encode(&o, NULL, 0, &len), ILP_ERR_INVALID);
}

static void test_pd_iteration(void)
{
	struct btp_frame f;
	struct btp_pd_iter it;
	struct btp_pd_entry e;
	size_t n, count = 0;

	n = unhex(AUTH_ALICE, frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK_EQ(f.pd.count, 3);
	btp_pd_iter_init(&it, &f.pd);
	while (btp_pd_next(&it, &e)) {
		if (count == 0)
			CHECK(e.name_len == 4 && e.content_type == 0 && e.data_len == 0);
		if (count == 1)
			CHECK(e.name_len == 13 && e.content_type == 1 && e.data_len == 5);
		if (count == 2)
			CHECK(e.name_len == 10 && e.content_type == 1 && e.data_len == 6);
		count++;
	}
	CHECK_EQ(count, 3);
	CHECK(!btp_pd_next(&it, &e));
	/* Empty names and any content type are valid. */
	n = unhex("0600000001" "08" "0102" "00ff00" "00" "0700", frame, sizeof(frame));
	CHECK_EQ(btp_frame_decode(frame, n, &f, NULL), ILP_OK);
	CHECK(btp_pd_primary(&f.pd, &e));
	CHECK(e.name_len == 0 && e.content_type == 0xff);
}

/* ---- malformed -------------------------------------------------------- */

static void test_malformed(void)
{
	struct btp_frame f;
	const char *why = NULL;
	size_t sz = 0;

	/* #17: removed and unknown types: UNSUPPORTED with type and id. */
	CHECK_EQ(dec("030000000103010000", &f, &why), ILP_ERR_UNSUPPORTED);
	CHECK_EQ(f.type, 3);
	CHECK_EQ(f.request_id, 1);
	CHECK_EQ(dec("00aabbccdd03010000", &f, &why), ILP_ERR_UNSUPPORTED);
	CHECK_EQ(f.type, 0);
	CHECK_EQ_U64(f.request_id, 0xaabbccddu);
	CHECK_EQ(dec("ff0000000500", &f, &why), ILP_ERR_UNSUPPORTED);
	CHECK_EQ(f.type, 0xff);
	CHECK_EQ(f.request_id, 5);
	CHECK_EQ(dec("0800000005" "8101" "00", &f, &why), ILP_ERR_INVALID);
	CHECK_EQ(dec("080000000502", &f, &why), ILP_ERR_INVALID);
	CHECK_EQ(dec("08000000050000", &f, &why), ILP_ERR_INVALID);
	CHECK_EQ(dec("0800000005", &f, &why), ILP_ERR_INVALID);
	/* #18: VarUInt of length 0. */
	CHECK_EQ(dec("01000000010100", &f, &why), ILP_ERR_INVALID);
	check_why(why, "protocolData: count is not a valid VarUInt");
	/* #19: truncated. */
	CHECK_EQ(dec("060000000110010104", &f, &why), ILP_ERR_INVALID);
	unhex("060000000110010104", frame, sizeof(frame));
	CHECK_EQ(btp_frame_measure(frame, 9, &sz), ILP_ERR_NEED_MORE);
	/* #20: count 2, one entry. */
	CHECK_EQ(dec("060000000108010203696c700000", &f, &why), ILP_ERR_INVALID);
	/* Huge counts are refused without looping. */
	CHECK_EQ(dec("06000000010a08ffffffffffffffff00", &f, &why), ILP_ERR_INVALID);
	check_why(why, "protocolData: more entries than bytes");
	CHECK_EQ(dec("06000000010502" "0100" "0000", &f, &why), ILP_ERR_INVALID);
	CHECK_EQ(dec("0600000001050101000000", &f, &why), ILP_OK);
	/* Leading-zero count accepted (VarUInt rule). */
	CHECK_EQ(dec("060000000106020001000000", &f, &why), ILP_OK);
	CHECK_EQ(f.pd.count, 1);
	/* Non-printable names. */
	CHECK_EQ(dec("060000000106010101090000", &f, &why), ILP_ERR_INVALID);
	check_why(why, "protocolData: name is not printable ASCII");
	CHECK_EQ(dec("060000000106010101800000", &f, &why), ILP_ERR_INVALID);
	/* Non-canonical lengths. */
	CHECK_EQ(dec("0600000001" "8103" "010100", &f, &why), ILP_ERR_INVALID);
	check_why(why, "contents: non-canonical length");
	CHECK_EQ(dec("0600000001" "80", &f, &why), ILP_ERR_INVALID);
	CHECK_EQ(dec("0600000001" "07" "0101" "810100" "0000", &f, &why),
		 ILP_ERR_INVALID);
	/* Fields past the contents. */
	CHECK_EQ(dec("0700000001" "04" "00000000", &f, &why), ILP_ERR_INVALID);
	check_why(why, "amount: runs past end of contents");
	CHECK_EQ(dec("0200000001024630", &f, &why), ILP_ERR_INVALID);
	check_why(why, "code: runs past end of contents");
	/* Trailing bytes after the frame; extra bytes inside are ignored. */
	CHECK_EQ(dec(AUTH_OK "00", &f, &why), ILP_ERR_INVALID);
	check_why(why, "trailing bytes after frame");
	CHECK_EQ(dec("0100000001040100dead", &f, &why), ILP_OK);
	CHECK_EQ(f.pd.count, 0);
	/* Short inputs. */
	CHECK_EQ(dec("", &f, &why), ILP_ERR_INVALID);
	CHECK_EQ(dec("01000000", &f, &why), ILP_ERR_INVALID);
	CHECK_EQ(dec("0100000001", &f, &why), ILP_ERR_INVALID);
}

static void check_truncations(const uint8_t *p, size_t n)
{
	struct btp_frame f;
	size_t k, sz = 0;
	int r;

	for (k = 0; k < n; k++) {
		r = btp_frame_measure(p, k, &sz);
		if (r != ILP_ERR_NEED_MORE)
			th_fail(__FILE__, __LINE__, "measure(%zu of %zu) = %d", k, n, r);
		r = btp_frame_decode(p, k, &f, NULL);
		if (r != ILP_ERR_INVALID && r != ILP_ERR_NEED_MORE)
			th_fail(__FILE__, __LINE__, "decode(%zu of %zu) = %d", k, n, r);
	}
}

static void test_truncation_every_byte(void)
{
	size_t i, n;

	for (i = 0; i < N_VALID; i++) {
		n = unhex(all_valid[i], frame, sizeof(frame));
		memcpy(big, frame, n);
		check_truncations(big, n);
	}
}

static void test_boundary_lengths(void)
{
	static const size_t sizes[] = { 0, 127, 128, 255, 256, 32767, 32768 };
	struct btp_frame f;
	const uint8_t *p = NULL;
	size_t i, len = 0, plen = 0, sz = 0, want;

	memset(big, 0x0c, sizeof(big));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_EQ(btp_ilp_encode(BTP_MESSAGE, 1, big, sizes[i], out,
					sizeof(out), &len), ILP_OK);
		want = 2 + 4 + 1 + oer_length_size(sizes[i]) + sizes[i];
		CHECK_EQ(len, 5 + oer_length_size(want) + want);
		CHECK_EQ(btp_frame_measure(out, len, &sz), ILP_OK);
		CHECK_EQ(sz, len);
		CHECK_EQ(btp_frame_decode(out, len, &f, NULL), ILP_OK);
		CHECK(btp_ilp_find(&f, &p, &plen));
		CHECK_EQ(plen, sizes[i]);
		CHECK(p + plen == out + len);
		if (i == 2 || i == 3 || i == 4 || i == 5)
			check_truncations(out, len < 400 ? len : 400);
	}
}

int main(void)
{
	TH_RUN(test_round_trips);
	TH_RUN(test_auth_vectors);
	TH_RUN(test_auth_parse);
	TH_RUN(test_error_vectors);
	TH_RUN(test_error_limits);
	TH_RUN(test_ilp_vectors);
	TH_RUN(test_transfer_and_json);
	TH_RUN(test_pd_iteration);
	TH_RUN(test_malformed);
	TH_RUN(test_truncation_every_byte);
	TH_RUN(test_boundary_lengths);
	return th_finish();
}
