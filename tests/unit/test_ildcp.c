/*
 * test_ildcp.c - IL-DCP request/response codec and the peer-protocol
 * constants. Vectors from shared/reference/ilp-wire-format.md section 5 and
 * 7.2 (rows 12-13).
 */
#include <string.h>

#include "hal/hal_crypto.h"
#include "ilp/ildcp.h"
#include "ilp/oer.h"
#include "th.h"

static uint8_t pkt[4096];
static uint8_t out[4096];

static size_t unhex(const char *hex, uint8_t *dst, size_t cap)
{
	long n = th_unhex(hex, dst, cap);

	if (n < 0) {
		th_fail(__FILE__, __LINE__, "bad hex in test: %.20s", hex);
		return 0;
	}
	return (size_t)n;
}

static void check_why(const char *why, const char *want)
{
	if (why == NULL || strcmp(why, want) != 0)
		th_fail(__FILE__, __LINE__, "why \"%s\", want \"%s\"",
			why ? why : "(null)", want);
}

#define REQ_2099                                                            \
	"0c460000000000000000323039393031303130303030303030303066687aadf862" \
	"bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f29250b706565722e63" \
	"6f6e66696700"
#define ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"
#define RESP_CHILD "0d38" ZERO32 "1711746573742e706172656e742e6368696c640903585250"
#define RESP_ALICE "0d36" ZERO32 "150f672e6578616d706c652e616c6963650203555344"
#define RESP_KID "0d37" ZERO32 "1610746573742e75702e636f6e6e2e6b69640603555344"
#define REJ_EXPIRED                                                         \
	"0e324630300b746573742e706172656e7421494c2d4443502072657175657374207061" \
	"636b657420697320657870697265642e00"
#define MS_2099 4070908800000LL

static void test_constants(void)
{
	static const uint8_t zero[32];
	uint8_t h[HAL_SHA256_LEN], want[32];

	unhex("66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925",
	      want, sizeof(want));
	CHECK_MEM(ilp_peer_condition, want, 32);
	CHECK_MEM(ilp_peer_fulfillment, zero, 32);
	hal_sha256(ilp_peer_fulfillment, ILP_FULFILLMENT_LEN, h);
	CHECK_MEM(h, ilp_peer_condition, 32);
}

static void test_request(void)
{
	struct ilp_prepare p;
	const char *why = NULL;
	size_t n, len = 0, k;

	n = unhex(REQ_2099, pkt, sizeof(pkt));
	CHECK_EQ(ildcp_request_encode(MS_2099, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, n);
	CHECK_MEM(out, pkt, n);
	CHECK_EQ(ildcp_request_encode(MS_2099, NULL, 0, &len), ILP_OK);
	CHECK_EQ(len, n);
	memset(out, 0xcc, n);
	CHECK_EQ(ildcp_request_encode(MS_2099, out, n - 1, &len), ILP_ERR_OVERFLOW);
	CHECK_EQ(out[0], 0xcc);
	CHECK_EQ(ildcp_request_encode(OER_TIME_MAX_MS + 1, out, sizeof(out), &len),
		 ILP_ERR_INVALID);

	CHECK_EQ(ildcp_request_decode(pkt, n, &p, &why), ILP_OK);
	CHECK(ildcp_is_request(&p));
	CHECK_EQ_U64(p.amount, 0);
	CHECK_EQ(p.expires_at, MS_2099);
	CHECK_EQ(p.data_len, 0);
	for (k = 0; k < n; k++) {
		int r = ildcp_request_decode(pkt, k, &p, &why);

		if (r != ILP_ERR_NEED_MORE && r != ILP_ERR_INVALID)
			th_fail(__FILE__, __LINE__, "truncated at %zu: %d", k, r);
	}
}

static void test_request_wrong(void)
{
	struct ilp_prepare p;
	const char *why = NULL;
	size_t n;

	/* 7.2 #13: wrong condition. */
	n = unhex(REQ_2099, pkt, sizeof(pkt));
	pkt[2 + 8 + 17] ^= 1;
	CHECK_EQ(ildcp_request_decode(pkt, n, &p, &why), ILP_ERR_INVALID);
	check_why(why, "IL-DCP: condition is not the peer protocol condition");
	CHECK(ildcp_is_request(&p));       /* destination is still right */
	/* Wrong destination: peer.confih, and a longer one. */
	n = unhex(REQ_2099, pkt, sizeof(pkt));
	pkt[n - 2] = 'h';
	CHECK_EQ(ildcp_request_decode(pkt, n, &p, &why), ILP_ERR_INVALID);
	check_why(why, "IL-DCP: destination is not peer.config");
	CHECK(!ildcp_is_request(&p));
	n = unhex("0c4a0000000000000000323039393031303130303030303030303066687aadf862"
		  "bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f29250f706565722e63"
		  "6f6e6669672e78797a00", pkt, sizeof(pkt));
	CHECK_EQ(ildcp_request_decode(pkt, n, &p, &why), ILP_ERR_INVALID);
	check_why(why, "IL-DCP: destination is not peer.config");
	/* A broken Prepare reports the Prepare's reason. */
	n = unhex(REQ_2099, pkt, sizeof(pkt));
	pkt[10] = 'x';
	CHECK_EQ(ildcp_request_decode(pkt, n, &p, &why), ILP_ERR_INVALID);
	check_why(why, "expiresAt: not a valid timestamp");
}

static void check_response(const char *hex, const char *addr, uint8_t scale,
			   const char *code)
{
	struct ildcp_response r;
	const char *why = NULL;
	size_t n = unhex(hex, pkt, sizeof(pkt)), len = 0;

	if (ildcp_response_decode(pkt, n, &r, &why) != ILP_OK) {
		th_fail(__FILE__, __LINE__, "%s: %s", addr, why ? why : "?");
		return;
	}
	CHECK_EQ(r.client_address_len, strlen(addr));
	CHECK_MEM(r.client_address, addr, strlen(addr));
	CHECK_EQ(r.asset_scale, scale);
	CHECK_EQ(r.asset_code_len, strlen(code));
	CHECK_MEM(r.asset_code, code, strlen(code));
	CHECK_EQ(ildcp_response_encode(&r, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, n);
	CHECK_MEM(out, pkt, n);
	CHECK_EQ(ildcp_response_encode(&r, NULL, 0, &len), ILP_OK);
	CHECK_EQ(len, n);
	memset(out, 0xcc, n);
	CHECK_EQ(ildcp_response_encode(&r, out, n - 1, &len), ILP_ERR_OVERFLOW);
	CHECK_EQ(out[0], 0xcc);
}

static void test_response_vectors(void)
{
	check_response(RESP_CHILD, "test.parent.child", 9, "XRP");
	check_response(RESP_ALICE, "g.example.alice", 2, "USD");
	check_response(RESP_KID, "test.up.conn.kid", 6, "USD");
}

static int dec_resp(const char *hex, const char **why)
{
	struct ildcp_response r;
	size_t n = unhex(hex, pkt, sizeof(pkt));

	*why = NULL;
	return ildcp_response_decode(pkt, n, &r, why);
}

static void test_response_wrong(void)
{
	const char *why = NULL;
	size_t n, k;

	/* 7.2 #12: non-zero fulfillment, address "nope". */
	CHECK_EQ(dec_resp("0d38" "0000000000000000000000000000000000000000000000000000000000000001"
			  "1711746573742e706172656e742e6368696c640903585250", &why),
		 ILP_ERR_INVALID);
	check_why(why, "IL-DCP: fulfillment is not the peer fulfillment");
	CHECK_EQ(dec_resp("0d2b" ZERO32 "0a" "046e6f7065" "09" "03585250", &why),
		 ILP_ERR_INVALID);
	check_why(why, "clientAddress: not a valid ILP address");
	/* Data too short for each field. */
	CHECK_EQ(dec_resp("0d2c" ZERO32 "0b" "0b746573742e706172656e", &why),
		 ILP_ERR_INVALID);
	check_why(why, "clientAddress: runs past end of data");
	CHECK_EQ(dec_resp("0d2d" ZERO32 "0c" "0b746573742e706172656e74", &why),
		 ILP_ERR_INVALID);
	check_why(why, "assetScale: runs past end of data");
	CHECK_EQ(dec_resp("0d2e" ZERO32 "0d" "0b746573742e706172656e7409", &why),
		 ILP_ERR_INVALID);
	check_why(why, "assetCode: runs past end of data");
	CHECK_EQ(dec_resp("0d32" ZERO32 "11" "0b746573742e706172656e740904585250", &why),
		 ILP_ERR_INVALID);
	CHECK_EQ(dec_resp("0d21" ZERO32 "00", &why), ILP_ERR_INVALID);
	/* Bytes after assetCode inside data are ignored. */
	CHECK_EQ(dec_resp("0d34" ZERO32 "13" "0b746573742e706172656e74090358525001ff", &why),
		 ILP_OK);
	/* An IL-DCP Reject is not a response. */
	CHECK_EQ(dec_resp(REJ_EXPIRED, &why), ILP_ERR_INVALID);
	check_why(why, "wrong packet type");
	/* Truncation at every byte. */
	n = unhex(RESP_CHILD, out, sizeof(out));
	for (k = 0; k < n; k++) {
		struct ildcp_response r;
		int rr = ildcp_response_decode(out, k, &r, &why);

		if (rr != ILP_ERR_NEED_MORE && rr != ILP_ERR_INVALID)
			th_fail(__FILE__, __LINE__, "truncated at %zu: %d", k, rr);
	}
}

static void test_reject_vector(void)
{
	struct ilp_reject r;
	size_t n = unhex(REJ_EXPIRED, pkt, sizeof(pkt));

	CHECK_EQ(ilp_reject_decode(pkt, n, &r, NULL), ILP_OK);
	CHECK_MEM(r.code, "F00", 3);
	CHECK_MEM(r.triggered_by, "test.parent", 11);
	CHECK_EQ(r.message_len, 33);
	CHECK_MEM(r.message, "IL-DCP request packet is expired.", 33);
}

static void test_response_encode_checks(void)
{
	struct ildcp_response r;
	size_t len = 0;

	memset(&r, 0, sizeof(r));
	r.client_address = (const uint8_t *)"nope";
	r.client_address_len = 4;
	r.asset_scale = 9;
	r.asset_code = (const uint8_t *)"XRP";
	r.asset_code_len = 3;
	CHECK_EQ(ildcp_response_encode(&r, out, sizeof(out), &len), ILP_ERR_INVALID);
	r.client_address = (const uint8_t *)"test.parent.child";
	r.client_address_len = 17;
	CHECK_EQ(ildcp_response_encode(&r, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, 2 + 0x38);
	r.asset_code = NULL;
	r.asset_code_len = 0;
	CHECK_EQ(ildcp_response_encode(&r, out, sizeof(out), &len), ILP_OK);
	CHECK_EQ(len, 2 + 0x35);
}

int main(void)
{
	TH_RUN(test_constants);
	TH_RUN(test_request);
	TH_RUN(test_request_wrong);
	TH_RUN(test_response_vectors);
	TH_RUN(test_response_wrong);
	TH_RUN(test_reject_vector);
	TH_RUN(test_response_encode_checks);
	return th_finish();
}
