/*
 * fuzz_oer.c - libFuzzer target for the OER primitives (ilp/include/ilp/oer.h).
 *
 * Properties checked (a violation traps):
 *  - every reader returns OK, NEED_MORE or INVALID; on OK the cursor moved
 *    forward and stays within end, on error it did not move;
 *  - a length determinant that decodes re-encodes (oer_write_length) to the
 *    same bytes, and oer_length_size agrees; a VarUInt equals the big-endian
 *    value of its bytes and its minimal re-encoding decodes to the same value;
 *  - every proper prefix of a successfully decoded item is NEED_MORE;
 *  - time17: a decoded window re-encodes to the same 17 bytes and survives
 *    the civil-time round trip; encode succeeds exactly inside the range;
 *  - gtime: decoded values re-encode and decode to the same instant;
 *  - oer_writer: the error is sticky and what was written before an
 *    overflow is a prefix of the full encoding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "ilp/oer.h"

static void check_cursor(int r, const uint8_t *p0, const uint8_t *p,
			 const uint8_t *end)
{
	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_NEED_MORE || r == ILP_ERR_INVALID);
	if (r == ILP_OK)
		FUZZ_CHECK(p >= p0 && p <= end);
	else
		FUZZ_CHECK(p == p0);
}

static uint64_t be_value(const uint8_t *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = (v << 8) | s[i];
	return v;
}

/* Every proper prefix of an item that decoded in k bytes must be NEED_MORE. */
static void check_prefixes_length(const uint8_t *d, size_t k)
{
	size_t n, len;

	for (n = 0; n < k; n++) {
		const uint8_t *p = d;

		FUZZ_CHECK(oer_read_length(&p, d + n, &len) == ILP_ERR_NEED_MORE);
		FUZZ_CHECK(p == d);
	}
}

static void fuzz_length(const uint8_t *d, const uint8_t *end)
{
	const uint8_t *p = d;
	uint8_t buf[OER_LENGTH_MAX_SIZE];
	struct oer_writer w;
	size_t len = 0, k;
	int r = oer_read_length(&p, end, &len);

	check_cursor(r, d, p, end);
	if (r == ILP_ERR_NEED_MORE)
		FUZZ_CHECK((size_t)(end - d) < OER_LENGTH_MAX_SIZE);
	if (r != ILP_OK)
		return;
	k = (size_t)(p - d);
	FUZZ_CHECK(k >= 1 && k <= OER_LENGTH_MAX_SIZE);
	FUZZ_CHECK(oer_length_size(len) == k);
	oer_writer_init(&w, buf, sizeof(buf));
	oer_write_length(&w, len);
	FUZZ_CHECK(w.err == ILP_OK && w.len == k);
	FUZZ_CHECK(memcmp(buf, d, k) == 0);
	check_prefixes_length(d, k);
}

static void fuzz_varuint(const uint8_t *d, const uint8_t *end)
{
	const uint8_t *p = d, *q;
	uint8_t buf[16];
	struct oer_writer w;
	uint64_t v = 0, v2 = 0;
	size_t k, n;
	int r = oer_read_varuint(&p, end, &v);

	check_cursor(r, d, p, end);
	if (r != ILP_OK)
		return;
	k = (size_t)(p - d);
	FUZZ_CHECK(d[0] >= 1 && d[0] <= 8 && k == (size_t)d[0] + 1);
	FUZZ_CHECK(v == be_value(d + 1, d[0]));
	oer_writer_init(&w, buf, sizeof(buf));
	oer_write_varuint(&w, v);
	FUZZ_CHECK(w.err == ILP_OK && w.len >= 2 && w.len <= k);
	if (d[0] == 1 || d[1] != 0)   /* no leading zero: input was minimal */
		FUZZ_CHECK(w.len == k && memcmp(buf, d, k) == 0);
	q = buf;
	FUZZ_CHECK(oer_read_varuint(&q, buf + w.len, &v2) == ILP_OK);
	FUZZ_CHECK(v2 == v && q == buf + w.len);
	for (n = 0; n < k; n++) {
		q = d;
		FUZZ_CHECK(oer_read_varuint(&q, d + n, &v2) == ILP_ERR_NEED_MORE);
		FUZZ_CHECK(q == d);
	}
}

static void fuzz_fixed_ints(const uint8_t *d, const uint8_t *end)
{
	size_t avail = (size_t)(end - d);
	const uint8_t *p;
	uint8_t v8 = 0;
	uint16_t v16 = 0;
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	int r;

	p = d;
	r = oer_read_u8(&p, end, &v8);
	check_cursor(r, d, p, end);
	FUZZ_CHECK((r == ILP_OK) == (avail >= 1));
	if (r == ILP_OK)
		FUZZ_CHECK(p == d + 1 && v8 == d[0]);
	p = d;
	r = oer_read_u16(&p, end, &v16);
	check_cursor(r, d, p, end);
	FUZZ_CHECK((r == ILP_OK) == (avail >= 2));
	if (r == ILP_OK)
		FUZZ_CHECK(p == d + 2 && v16 == be_value(d, 2));
	p = d;
	r = oer_read_u32(&p, end, &v32);
	check_cursor(r, d, p, end);
	FUZZ_CHECK((r == ILP_OK) == (avail >= 4));
	if (r == ILP_OK) {
		FUZZ_CHECK(p == d + 4 && v32 == be_value(d, 4));
		FUZZ_CHECK(oer_get_be32(d) == v32);
	}
	p = d;
	r = oer_read_u64(&p, end, &v64);
	check_cursor(r, d, p, end);
	FUZZ_CHECK((r == ILP_OK) == (avail >= 8));
	if (r == ILP_OK) {
		uint8_t back[8];

		FUZZ_CHECK(p == d + 8 && v64 == be_value(d, 8));
		FUZZ_CHECK(oer_get_be64(d) == v64);
		oer_put_be64(back, v64);
		FUZZ_CHECK(memcmp(back, d, 8) == 0);
	}
}

static void fuzz_octets(const uint8_t *d, const uint8_t *end)
{
	const uint8_t *p = d, *q = d, *data = NULL, *fixed = NULL;
	size_t len = 0, plen = 0, n;
	int r = oer_read_var_octets(&p, end, &data, &len);
	int rl = oer_read_length(&q, end, &plen);

	check_cursor(r, d, p, end);
	if (rl != ILP_OK)
		FUZZ_CHECK(r == rl);
	if (r == ILP_OK) {
		FUZZ_CHECK(rl == ILP_OK && plen == len && data == q);
		FUZZ_CHECK(len <= (size_t)(end - data) && p == data + len);
		for (n = 0; n < (size_t)(p - d); n++) {
			q = d;
			FUZZ_CHECK(oer_read_var_octets(&q, d + n, &data, &len) ==
				   ILP_ERR_NEED_MORE);
			FUZZ_CHECK(q == d);
		}
	} else if (rl == ILP_OK) {
		FUZZ_CHECK(r == ILP_ERR_NEED_MORE && plen > (size_t)(end - q));
	}
	if (d == end)
		return;
	n = d[0];
	p = d + 1;
	r = oer_read_fixed(&p, end, n, &fixed);
	check_cursor(r, d + 1, p, end);
	FUZZ_CHECK((r == ILP_OK) == (n <= (size_t)(end - d - 1)));
	if (r == ILP_OK)
		FUZZ_CHECK(fixed == d + 1 && p == d + 1 + n);
}

static void check_civil(int64_t ms)
{
	struct oer_civil c;
	int64_t back = 0;

	FUZZ_CHECK(oer_civil_from_ms(ms, &c) == ILP_OK);
	FUZZ_CHECK(c.year >= 0 && c.year <= 9999 && c.month >= 1 && c.month <= 12);
	FUZZ_CHECK(c.day >= 1 && c.day <= 31 && c.hour >= 0 && c.hour <= 23);
	FUZZ_CHECK(c.minute >= 0 && c.minute <= 59 && c.second >= 0 && c.second <= 59);
	FUZZ_CHECK(c.millisecond >= 0 && c.millisecond <= 999);
	FUZZ_CHECK(oer_ms_from_civil(&c, &back) == ILP_OK && back == ms);
}

static void fuzz_time17_window(const uint8_t *s)
{
	uint8_t out[OER_TIME17_LEN];
	int64_t ms = 0;
	size_t i;

	if (oer_time17_decode(s, &ms) != ILP_OK)
		return;
	for (i = 0; i < OER_TIME17_LEN; i++)
		FUZZ_CHECK(s[i] >= '0' && s[i] <= '9');
	FUZZ_CHECK(ms >= OER_TIME_MIN_MS && ms <= OER_TIME_MAX_MS);
	FUZZ_CHECK(oer_time17_encode(ms, out) == ILP_OK);
	FUZZ_CHECK(memcmp(out, s, OER_TIME17_LEN) == 0);
	check_civil(ms);
}

static void fuzz_gtime(const uint8_t *s, size_t n)
{
	uint8_t out[OER_GTIME_LEN];
	int64_t ms = 0, back = 0;

	if (oer_gtime_decode(s, n, &ms) != ILP_OK)
		return;
	FUZZ_CHECK(n >= 15 && s[n - 1] == 'Z');
	FUZZ_CHECK(ms >= OER_TIME_MIN_MS && ms <= OER_TIME_MAX_MS);
	FUZZ_CHECK(oer_gtime_encode(ms, out) == ILP_OK);
	FUZZ_CHECK(oer_gtime_decode(out, sizeof(out), &back) == ILP_OK && back == ms);
	if (n == OER_GTIME_LEN)
		FUZZ_CHECK(memcmp(out, s, n) == 0);
}

/* Encoders driven by an arbitrary 64-bit instant. */
static void fuzz_time_encode(int64_t ms)
{
	uint8_t t17[OER_TIME17_LEN], gt[OER_GTIME_LEN];
	int in_range = ms >= OER_TIME_MIN_MS && ms <= OER_TIME_MAX_MS;
	int64_t back = 0;
	struct oer_civil c;

	FUZZ_CHECK((oer_time17_encode(ms, t17) == ILP_OK) == in_range);
	FUZZ_CHECK((oer_gtime_encode(ms, gt) == ILP_OK) == in_range);
	FUZZ_CHECK((oer_civil_from_ms(ms, &c) == ILP_OK) == in_range);
	if (!in_range)
		return;
	FUZZ_CHECK(oer_time17_decode(t17, &back) == ILP_OK && back == ms);
	FUZZ_CHECK(oer_gtime_decode(gt, sizeof(gt), &back) == ILP_OK && back == ms);
	check_civil(ms);
}

/* Writes one length, one VarUInt and one octet string with capacity cap. */
static void write_sample(struct oer_writer *w, size_t len, uint64_t v,
			 const uint8_t *d, size_t n)
{
	oer_write_length(w, len);
	oer_write_varuint(w, v);
	oer_write_var_octets(w, d, n);
	oer_write_u16(w, (uint16_t)v);
}

static void fuzz_writer(const uint8_t *d, const uint8_t *end)
{
	static uint8_t full[512], part[512];
	const uint8_t *p = d;
	struct oer_writer m, w;
	size_t cap = (size_t)fuzz_take(&p, end, 2) % sizeof(part);
	size_t len = (size_t)fuzz_take(&p, end, 8);
	uint64_t v = fuzz_take(&p, end, 8);
	size_t n = (size_t)(end - p) > 200 ? 200 : (size_t)(end - p);

	oer_writer_init(&m, NULL, 0);
	write_sample(&m, len, v, p, n);
	FUZZ_CHECK(m.err == ILP_OK && m.len <= sizeof(full));
	oer_writer_init(&w, full, sizeof(full));
	write_sample(&w, len, v, p, n);
	FUZZ_CHECK(w.err == ILP_OK && w.len == m.len);
	oer_writer_init(&w, part, cap);
	write_sample(&w, len, v, p, n);
	if (cap >= m.len) {
		FUZZ_CHECK(w.err == ILP_OK && w.len == m.len);
		FUZZ_CHECK(memcmp(part, full, m.len) == 0);
		return;
	}
	FUZZ_CHECK(w.err == ILP_ERR_OVERFLOW && w.len <= cap);
	FUZZ_CHECK(memcmp(part, full, w.len) == 0);
	n = w.len;
	oer_write_u8(&w, 0);
	FUZZ_CHECK(w.err == ILP_ERR_OVERFLOW && w.len == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size;
	const uint8_t *p = data;
	size_t i;

	fuzz_length(data, end);
	fuzz_varuint(data, end);
	fuzz_fixed_ints(data, end);
	fuzz_octets(data, end);
	for (i = 0; i + OER_TIME17_LEN <= size && i < 32; i++)
		fuzz_time17_window(data + i);
	if (size <= 64)
		fuzz_gtime(data, size);
	for (i = 15; i <= 24 && i <= size; i++)
		fuzz_gtime(data, i);
	fuzz_time_encode((int64_t)fuzz_take(&p, end, 8));
	if (size >= 8) {
		/* also a value near the supported range, where the edges are */
		int64_t near = (int64_t)(oer_get_be64(data) % 600000000000000ULL);

		fuzz_time_encode(near - 300000000000000LL);
	}
	fuzz_writer(data, end);
	return 0;
}
