/*
 * test_oer.c - OER primitives: length determinants, VarUInt, fixed integers,
 * octet strings, timestamps, calendar and the bounded writer. Vectors from
 * shared/reference/ilp-wire-format.md sections 1.2, 1.4, 1.5, 1.6 and 7.2.
 */
#include <string.h>

#include "ilp/ilp_err.h"
#include "ilp/oer.h"
#include "th.h"

static uint8_t buf[256];

/* Decodes hex as a length determinant; checks result, value and consumed. */
static void check_len_dec(const char *hex, int want_r, size_t want_v,
			  size_t want_used)
{
	const uint8_t *p = buf, *start = buf;
	size_t v = 12345;
	long n = th_unhex(hex, buf, sizeof(buf));
	int r;

	CHECK(n >= 0);
	r = oer_read_length(&p, buf + n, &v);
	if (r != want_r)
		th_fail(__FILE__, __LINE__, "length %s: r=%d want %d", hex, r, want_r);
	if (r == ILP_OK) {
		CHECK_EQ_U64(v, want_v);
		CHECK_EQ(p - start, want_used);
	} else {
		CHECK(p == start);
		CHECK_EQ_U64(v, 12345);
	}
}

static void check_len_enc(size_t v, const char *hex)
{
	uint8_t want[16], out[16];
	struct oer_writer w;
	long n = th_unhex(hex, want, sizeof(want));

	oer_writer_init(&w, out, sizeof(out));
	oer_write_length(&w, v);
	CHECK_EQ(w.err, ILP_OK);
	CHECK_EQ(w.len, n);
	CHECK_MEM(out, want, (size_t)n);
	CHECK_EQ(oer_length_size(v), n);
	check_len_dec(hex, ILP_OK, v, (size_t)n);
}

static void test_length_vectors(void)
{
	check_len_enc(0, "00");
	check_len_enc(5, "05");
	check_len_enc(127, "7f");
	check_len_enc(128, "8180");
	check_len_enc(255, "81ff");
	check_len_enc(256, "820100");
	check_len_enc(32767, "827fff");
	check_len_enc(32768, "828000");
	check_len_enc(65535, "82ffff");
	check_len_enc(65536, "83010000");
	check_len_enc(0xffffffu, "83ffffff");
	check_len_enc(0x1000000u, "8401000000");
}

static void test_length_noncanonical(void)
{
	check_len_dec("80", ILP_ERR_INVALID, 0, 0);
	check_len_dec("8105", ILP_ERR_INVALID, 0, 0);
	check_len_dec("817f", ILP_ERR_INVALID, 0, 0);
	check_len_dec("8200ff", ILP_ERR_INVALID, 0, 0);
	check_len_dec("820080", ILP_ERR_INVALID, 0, 0);
	check_len_dec("83000100", ILP_ERR_INVALID, 0, 0);
	check_len_dec("8400ffffff", ILP_ERR_INVALID, 0, 0);
	/* The JS reference accepts this one (32-bit shift quirk); we do not. */
	check_len_dec("850000000080", ILP_ERR_INVALID, 0, 0);
	check_len_dec("890100000000000000000000", ILP_ERR_INVALID, 0, 0);
	check_len_dec("ff", ILP_ERR_INVALID, 0, 0);
}

static void test_length_truncated(void)
{
	check_len_dec("", ILP_ERR_NEED_MORE, 0, 0);
	check_len_dec("81", ILP_ERR_NEED_MORE, 0, 0);
	check_len_dec("82", ILP_ERR_NEED_MORE, 0, 0);
	check_len_dec("8201", ILP_ERR_NEED_MORE, 0, 0);
	check_len_dec("830100", ILP_ERR_NEED_MORE, 0, 0);
	check_len_dec("88010000000000", ILP_ERR_NEED_MORE, 0, 0);
}

static void test_length_size_t(void)
{
	/* 2^32 and 2^56 fit a 64-bit size_t only. */
	int big = SIZE_MAX > 0xffffffffu;

	check_len_dec("850100000000", big ? ILP_OK : ILP_ERR_INVALID,
		      big ? (size_t)((uint64_t)1 << 32 & SIZE_MAX) : 0, 6);
	check_len_dec("880100000000000000", big ? ILP_OK : ILP_ERR_INVALID,
		      big ? (size_t)((uint64_t)1 << 56 & SIZE_MAX) : 0, 9);
	check_len_dec("84ffffffff", ILP_OK, (size_t)0xffffffffu, 5);
	check_len_dec("88ffffffffffffffff", big ? ILP_OK : ILP_ERR_INVALID,
		      SIZE_MAX, 9);
}

static void check_varuint(uint64_t v, const char *hex)
{
	uint8_t want[16], out[16];
	const uint8_t *p = want;
	struct oer_writer w;
	long n = th_unhex(hex, want, sizeof(want));
	uint64_t got = 0;

	oer_writer_init(&w, out, sizeof(out));
	oer_write_varuint(&w, v);
	CHECK_EQ(w.err, ILP_OK);
	CHECK_EQ(w.len, n);
	CHECK_MEM(out, want, (size_t)n);
	CHECK_EQ(oer_read_varuint(&p, want + n, &got), ILP_OK);
	CHECK_EQ_U64(got, v);
	CHECK(p == want + n);
}

static int varuint_dec(const char *hex, uint64_t *v)
{
	const uint8_t *p = buf;
	long n = th_unhex(hex, buf, sizeof(buf));
	int r = oer_read_varuint(&p, buf + n, v);

	if (r != ILP_OK)
		CHECK(p == buf);
	else
		CHECK(p == buf + n);
	return r;
}

static void test_varuint(void)
{
	uint64_t v = 0;

	check_varuint(0, "0100");
	check_varuint(1, "0101");
	check_varuint(255, "01ff");
	check_varuint(256, "020100");
	check_varuint(65536, "03010000");
	check_varuint(UINT64_MAX, "08ffffffffffffffff");
	check_varuint(0x0102030405060708ull, "080102030405060708");
	/* Leading zeros are accepted (section 1.4). */
	CHECK_EQ(varuint_dec("020005", &v), ILP_OK);
	CHECK_EQ_U64(v, 5);
	CHECK_EQ(varuint_dec("080000000000000001", &v), ILP_OK);
	CHECK_EQ_U64(v, 1);
	/* 7.2 #22: length 0 and length 9 are invalid. */
	CHECK_EQ(varuint_dec("00", &v), ILP_ERR_INVALID);
	CHECK_EQ(varuint_dec("09010203040506070809", &v), ILP_ERR_INVALID);
	CHECK_EQ(varuint_dec("80", &v), ILP_ERR_INVALID);
	CHECK_EQ(varuint_dec("", &v), ILP_ERR_NEED_MORE);
	CHECK_EQ(varuint_dec("01", &v), ILP_ERR_NEED_MORE);
	CHECK_EQ(varuint_dec("0301ff", &v), ILP_ERR_NEED_MORE);
}

static void test_fixed_ints(void)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
				      0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
				      0x0d, 0x0e, 0x0f };
	const uint8_t *p = in, *end = in + sizeof(in), *fx = NULL;
	uint8_t v8 = 0;
	uint16_t v16 = 0;
	uint32_t v32 = 0;
	uint64_t v64 = 0;

	CHECK_EQ(oer_read_u8(&p, end, &v8), ILP_OK);
	CHECK_EQ(v8, 0x01);
	CHECK_EQ(oer_read_u16(&p, end, &v16), ILP_OK);
	CHECK_EQ(v16, 0x0203);
	CHECK_EQ(oer_read_u32(&p, end, &v32), ILP_OK);
	CHECK_EQ_U64(v32, 0x04050607u);
	CHECK_EQ(oer_read_u64(&p, end, &v64), ILP_OK);
	CHECK_EQ_U64(v64, 0x08090a0b0c0d0e0full);
	CHECK(p == end);
	p = in + 8;
	CHECK_EQ(oer_read_u64(&p, end, &v64), ILP_ERR_NEED_MORE);
	CHECK(p == in + 8);
	p = in + 12;
	CHECK_EQ(oer_read_u32(&p, end, &v32), ILP_ERR_NEED_MORE);
	p = in + 14;
	CHECK_EQ(oer_read_u16(&p, end, &v16), ILP_ERR_NEED_MORE);
	p = end;
	CHECK_EQ(oer_read_u8(&p, end, &v8), ILP_ERR_NEED_MORE);
	p = in;
	CHECK_EQ(oer_read_fixed(&p, end, 15, &fx), ILP_OK);
	CHECK(fx == in && p == end);
	p = in;
	CHECK_EQ(oer_read_fixed(&p, end, 16, &fx), ILP_ERR_NEED_MORE);
	CHECK(p == in);
	/* Big-endian helpers, byte by byte, on every target. */
	CHECK_EQ_U64(oer_get_be32(in), 0x01020304u);
	CHECK_EQ_U64(oer_get_be64(in), 0x0102030405060708ull);
	oer_put_be32(buf, 0xa1b2c3d4u);
	CHECK(buf[0] == 0xa1 && buf[1] == 0xb2 && buf[2] == 0xc3 && buf[3] == 0xd4);
	oer_put_be64(buf, 0x1122334455667788ull);
	CHECK(buf[0] == 0x11 && buf[3] == 0x44 && buf[4] == 0x55 && buf[7] == 0x88);
}

static void test_var_octets(void)
{
	const uint8_t *p, *d = NULL;
	size_t n = 0;
	long len;

	len = th_unhex("03616263ff", buf, sizeof(buf));
	p = buf;
	CHECK_EQ(oer_read_var_octets(&p, buf + len, &d, &n), ILP_OK);
	CHECK_EQ(n, 3);
	CHECK(d == buf + 1 && p == buf + 4);
	/* Declared length beyond end: NEED_MORE, cursor unchanged. */
	len = th_unhex("0461626364", buf, sizeof(buf));
	p = buf;
	CHECK_EQ(oer_read_var_octets(&p, buf + len - 1, &d, &n), ILP_ERR_NEED_MORE);
	CHECK(p == buf);
	len = th_unhex("8103616263", buf, sizeof(buf));
	p = buf;
	CHECK_EQ(oer_read_var_octets(&p, buf + len, &d, &n), ILP_ERR_INVALID);
	CHECK(p == buf);
	len = th_unhex("00", buf, sizeof(buf));
	p = buf;
	CHECK_EQ(oer_read_var_octets(&p, buf + len, &d, &n), ILP_OK);
	CHECK_EQ(n, 0);
}

/* ---- timestamps ---------------------------------------------------------- */

static int t17(const char *s, int64_t *ms)
{
	CHECK_EQ(strlen(s), OER_TIME17_LEN);
	return oer_time17_decode((const uint8_t *)s, ms);
}

static void check_t17_ok(const char *s, int64_t want)
{
	uint8_t out[OER_TIME17_LEN];
	int64_t ms = 0;

	if (t17(s, &ms) != ILP_OK) {
		th_fail(__FILE__, __LINE__, "time17 %s rejected", s);
		return;
	}
	CHECK_EQ(ms, want);
	CHECK_EQ(oer_time17_encode(want, out), ILP_OK);
	CHECK_MEM(out, s, OER_TIME17_LEN);
}

static void check_t17_bad(const char *s)
{
	int64_t ms = 77;

	if (t17(s, &ms) != ILP_ERR_INVALID)
		th_fail(__FILE__, __LINE__, "time17 %s accepted", s);
}

static void test_time17(void)
{
	check_t17_ok("20171224161432279", 1514132072279LL);
	check_t17_ok("20171223012140549", 1513992100549LL);
	check_t17_ok("20200229000000000", 1582934400000LL);
	check_t17_ok("20990101000000000", 4070908800000LL);
	/* Epoch itself is valid here (the JS reference rejects it). */
	check_t17_ok("19700101000000000", 0);
	check_t17_ok("19691231235959999", -1);
	check_t17_ok("00010101000000000", -62135596800000LL);
	check_t17_ok("00000101000000000", OER_TIME_MIN_MS);
	check_t17_ok("99991231235959999", OER_TIME_MAX_MS);
	check_t17_ok("20000229120000000", 951825600000LL);
	check_t17_ok("19000301000000000", -2203891200000LL);
	check_t17_ok("00000229000000000", OER_TIME_MIN_MS + 59LL * 86400000);

	check_t17_bad("abcdefghijklmnopq");
	check_t17_bad("20171324161432200");   /* month 13 */
	check_t17_bad("20170024161432200");   /* month 00 */
	check_t17_bad("20171200161432200");   /* day 00 */
	check_t17_bad("20171232161432200");   /* day 32 */
	check_t17_bad("20170431000000000");   /* April 31 */
	check_t17_bad("20171224240000000");   /* hour 24 */
	check_t17_bad("20171224236000000");   /* minute 60 */
	check_t17_bad("20161231235960852");   /* second 60 */
	check_t17_bad(" 2017122416143227");   /* leading space */
	check_t17_bad("2017122416143227 ");
	check_t17_bad("2017-12-24T16:14Z");
	check_t17_bad("20171224161432+79");
	check_t17_bad("2017122416143227a");
	check_t17_bad("20170229000000000");   /* 2017 not leap */
	check_t17_bad("19000229000000000");   /* 1900 not leap */
	check_t17_bad("21000229000000000");
	check_t17_bad("20170230000000000");
	check_t17_ok("20160229000000000", 1456704000000LL);
	check_t17_ok("24000229000000000", 13574563200000LL);
}

static void test_time17_range(void)
{
	uint8_t out[OER_TIME17_LEN];
	uint8_t gt[OER_GTIME_LEN];

	memset(out, 'x', sizeof(out));
	CHECK_EQ(oer_time17_encode(OER_TIME_MIN_MS - 1, out), ILP_ERR_RANGE);
	CHECK_EQ(oer_time17_encode(OER_TIME_MAX_MS + 1, out), ILP_ERR_RANGE);
	CHECK_EQ(oer_time17_encode(INT64_MIN, out), ILP_ERR_RANGE);
	CHECK_EQ(oer_time17_encode(INT64_MAX, out), ILP_ERR_RANGE);
	CHECK_EQ(out[0], 'x');
	CHECK_EQ(oer_gtime_encode(OER_TIME_MAX_MS + 1, gt), ILP_ERR_RANGE);
	CHECK_EQ(oer_gtime_encode(OER_TIME_MIN_MS - 1, gt), ILP_ERR_RANGE);
	CHECK_EQ(oer_time17_encode(-62167219199999LL, out), ILP_OK);
	CHECK_MEM(out, "00000101000000001", OER_TIME17_LEN);
	/* Negative ms before 1970 with a sub-second part. */
	CHECK_EQ(oer_time17_encode(-1500, out), ILP_OK);
	CHECK_MEM(out, "19691231235958500", OER_TIME17_LEN);
}

static int gt(const char *s, int64_t *ms)
{
	return oer_gtime_decode((const uint8_t *)s, strlen(s), ms);
}

static void test_gtime(void)
{
	uint8_t out[OER_GTIME_LEN];
	int64_t ms = 0;

	CHECK_EQ(gt("20171224161432.279Z", &ms), ILP_OK);
	CHECK_EQ(ms, 1514132072279LL);
	CHECK_EQ(gt("20171224161432Z", &ms), ILP_OK);
	CHECK_EQ(ms, 1514132072000LL);
	CHECK_EQ(gt("20171224161432.2Z", &ms), ILP_OK);
	CHECK_EQ(ms, 1514132072200LL);
	CHECK_EQ(gt("20171224161432.27Z", &ms), ILP_OK);
	CHECK_EQ(ms, 1514132072270LL);
	CHECK_EQ(gt("20171224161432.007Z", &ms), ILP_OK);
	CHECK_EQ(ms, 1514132072007LL);
	ms = 5;
	CHECK_EQ(gt("garbage", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("20171224161432.Z", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("20171224161432.2790Z", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("20171224161432279Z", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("20171224161432.279", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("20171224161432,279Z", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("20171224161432.2a9Z", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("20171324161432.279Z", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("20171224161460.279Z", &ms), ILP_ERR_INVALID);
	CHECK_EQ(gt("2017122416143Z", &ms), ILP_ERR_INVALID);
	CHECK_EQ(ms, 5);

	CHECK_EQ(oer_gtime_encode(1514132072279LL, out), ILP_OK);
	CHECK_MEM(out, "20171224161432.279Z", OER_GTIME_LEN);
	CHECK_EQ(oer_gtime_encode(1514764800000LL, out), ILP_OK);
	CHECK_MEM(out, "20180101000000.000Z", OER_GTIME_LEN);
	CHECK_EQ(gt("20180101000000.000Z", &ms), ILP_OK);
	CHECK_EQ(ms, 1514764800000LL);
}

static void test_civil_fields(void)
{
	struct oer_civil c;
	int64_t ms = 0;

	CHECK_EQ(oer_civil_from_ms(1514132072279LL, &c), ILP_OK);
	CHECK(c.year == 2017 && c.month == 12 && c.day == 24 && c.hour == 16 &&
	      c.minute == 14 && c.second == 32 && c.millisecond == 279);
	CHECK_EQ(oer_civil_from_ms(-1, &c), ILP_OK);
	CHECK(c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 23 &&
	      c.minute == 59 && c.second == 59 && c.millisecond == 999);
	CHECK_EQ(oer_civil_from_ms(OER_TIME_MIN_MS, &c), ILP_OK);
	CHECK(c.year == 0 && c.month == 1 && c.day == 1 && c.hour == 0);
	CHECK_EQ(oer_civil_from_ms(OER_TIME_MIN_MS - 1, &c), ILP_ERR_RANGE);
	CHECK_EQ(oer_civil_from_ms(OER_TIME_MAX_MS + 1, &c), ILP_ERR_RANGE);

	c.year = 2017; c.month = 12; c.day = 24;
	c.hour = 16; c.minute = 14; c.second = 32; c.millisecond = 279;
	CHECK_EQ(oer_ms_from_civil(&c, &ms), ILP_OK);
	CHECK_EQ(ms, 1514132072279LL);
	c.millisecond = 1000;
	CHECK_EQ(oer_ms_from_civil(&c, &ms), ILP_ERR_RANGE);
	c.millisecond = -1;
	CHECK_EQ(oer_ms_from_civil(&c, &ms), ILP_ERR_RANGE);
	c.millisecond = 0; c.second = 60;
	CHECK_EQ(oer_ms_from_civil(&c, &ms), ILP_ERR_RANGE);
	c.second = 0; c.hour = 24;
	CHECK_EQ(oer_ms_from_civil(&c, &ms), ILP_ERR_RANGE);
	c.hour = 0; c.month = 13;
	CHECK_EQ(oer_ms_from_civil(&c, &ms), ILP_ERR_RANGE);
	c.month = 2; c.day = 29;
	CHECK_EQ(oer_ms_from_civil(&c, &ms), ILP_ERR_RANGE);
	c.year = 10000; c.day = 1;
	CHECK_EQ(oer_ms_from_civil(&c, &ms), ILP_ERR_RANGE);
	c.year = -1;
	CHECK_EQ(oer_ms_from_civil(&c, &ms), ILP_ERR_RANGE);
}

static int test_leap(int y)
{
	if (y % 400 == 0)
		return 1;
	if (y % 100 == 0)
		return 0;
	return y % 4 == 0;
}

static int test_dim(int y, int m)
{
	if (m == 2)
		return 28 + test_leap(y);
	if (m == 4 || m == 6 || m == 9 || m == 11)
		return 30;
	return 31;
}

/* Walks every day of years 0000..9999 with an independent calendar and
 * checks both directions of the conversion (and the 17-digit form). */
static void test_civil_every_day(void)
{
	int y = 0, m = 1, d = 1, bad = 0;
	int32_t tod = 0;
	int64_t day = OER_TIME_MIN_MS / 86400000, ms, back;
	struct oer_civil c;

	for (;;) {
		/* A different time of day each day, covering every field. */
		tod = (tod + 7919 * 997) % 86400000;
		ms = day * 86400000 + tod;
		if (oer_civil_from_ms(ms, &c) != ILP_OK || c.year != y ||
		    c.month != m || c.day != d ||
		    oer_ms_from_civil(&c, &back) != ILP_OK || back != ms) {
			if (bad++ < 5)
				th_fail(__FILE__, __LINE__, "day %04d-%02d-%02d", y, m, d);
		}
		if (y == 9999 && m == 12 && d == 31)
			break;
		day++;
		if (++d > test_dim(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(day, OER_TIME_MAX_MS / 86400000);
	CHECK_EQ(y, 9999);
}

static void test_time17_round_trips(void)
{
	uint8_t s[OER_TIME17_LEN];
	int64_t ms, back = 0, step = 9876543211LL;
	int bad = 0;

	for (ms = OER_TIME_MIN_MS; ms <= OER_TIME_MAX_MS; ms += step) {
		if (oer_time17_encode(ms, s) != ILP_OK ||
		    oer_time17_decode(s, &back) != ILP_OK || back != ms)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

/* ---- writer ---------------------------------------------------------- */

static void test_writer(void)
{
	static const uint8_t abc[] = { 'a', 'b', 'c' };
	struct oer_writer w;
	uint8_t out[8];

	oer_writer_init(&w, NULL, 0);
	oer_write_u64(&w, 1);
	oer_write_var_octets(&w, abc, 3);
	oer_write_length(&w, 300);
	oer_write_varuint(&w, 0);
	CHECK_EQ(w.err, ILP_OK);
	CHECK_EQ(w.len, 8 + 4 + 3 + 2);

	memset(out, 0xee, sizeof(out));
	oer_writer_init(&w, out, 4);
	oer_write_u16(&w, 0x0102);
	oer_write_u32(&w, 0x03040506u);    /* does not fit: nothing written */
	CHECK_EQ(w.err, ILP_ERR_OVERFLOW);
	CHECK_EQ(w.len, 2);
	CHECK(out[0] == 1 && out[1] == 2 && out[2] == 0xee);
	oer_write_u8(&w, 9);               /* sticky: ignored */
	CHECK_EQ(w.len, 2);
	CHECK_EQ(out[2], 0xee);

	oer_writer_init(&w, out, 4);
	oer_write_u32(&w, 0x0a0b0c0du);
	CHECK_EQ(w.err, ILP_OK);
	CHECK_EQ(w.len, 4);
	CHECK(out[0] == 0x0a && out[3] == 0x0d);
	oer_write_bytes(&w, abc, 0);
	CHECK_EQ(w.err, ILP_OK);
	oer_write_u8(&w, 1);
	CHECK_EQ(w.err, ILP_ERR_OVERFLOW);

	oer_writer_init(&w, out, sizeof(out));
	oer_write_varuint(&w, 0);
	oer_write_u16(&w, 0xbeef);
	CHECK(out[0] == 1 && out[1] == 0 && out[2] == 0xbe && out[3] == 0xef);
}

static void test_result_str(void)
{
	CHECK(strcmp(ilp_result_str(ILP_OK), "ok") == 0);
	CHECK(strcmp(ilp_result_str(ILP_ERR_NEED_MORE), "need more") == 0);
	CHECK(strcmp(ilp_result_str(ILP_ERR_INVALID), "invalid") == 0);
	CHECK(strcmp(ilp_result_str(ILP_ERR_OVERFLOW), "overflow") == 0);
	CHECK(ilp_result_str(ILP_ERR_ARG) != NULL);
	CHECK(strcmp(ilp_result_str(-100), "unknown result") == 0);
	CHECK(strcmp(ilp_result_str(ILP_ERR_UNSUPPORTED),
		     ilp_result_str(ILP_ERR_FULL)) != 0);
}

int main(void)
{
	TH_RUN(test_length_vectors);
	TH_RUN(test_length_noncanonical);
	TH_RUN(test_length_truncated);
	TH_RUN(test_length_size_t);
	TH_RUN(test_varuint);
	TH_RUN(test_fixed_ints);
	TH_RUN(test_var_octets);
	TH_RUN(test_time17);
	TH_RUN(test_time17_range);
	TH_RUN(test_gtime);
	TH_RUN(test_civil_fields);
	TH_RUN(test_civil_every_day);
	TH_RUN(test_time17_round_trips);
	TH_RUN(test_writer);
	TH_RUN(test_result_str);
	return th_finish();
}
