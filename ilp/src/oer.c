/*
 * oer.c - canonical OER primitives (length determinants, integers, octet
 * strings), the ILP and BTP timestamps, and the bounded writer.
 *
 * IMPLEMENTATION NOTES
 * - Every reader works on a private copy of the cursor and stores it back
 *   only on ILP_OK, so a failed read never moves *p.
 * - Lengths are compared as "bytes left < n" (never "p + n > end"), so a
 *   hostile length cannot overflow a pointer.
 * - Calendar arithmetic is integer only (proleptic Gregorian). Years are
 *   taken to start on March 1st, so the leap day is the last day of a year,
 *   and are shifted by +400 (one whole 146097-day Gregorian cycle, which
 *   changes no leap rule), so every quantity is non-negative for years
 *   0000..9999 and C's truncating division is floor division. Day 0 of that
 *   count is March 1st of year -400; see oer_days_from_origin().
 */
#include "ilp/oer.h"

#include <string.h>

#define OER_MS_PER_DAY 86400000LL
/* Year shift that keeps March-based years positive for year 0000. */
#define OER_YEAR_SHIFT 400

/* ---- decoding ---------------------------------------------------------- */

static size_t oer_left(const uint8_t *p, const uint8_t *end)
{
	return p < end ? (size_t)(end - p) : 0;
}

int oer_read_length(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *q = *p;
	uint64_t v = 0;
	size_t n, i;
	uint8_t b;

	if (oer_left(q, end) < 1)
		return ILP_ERR_NEED_MORE;
	b = *q++;
	if (b < 0x80) {
		*len = b;
		*p = q;
		return ILP_OK;
	}
	n = (size_t)(b & 0x7f);
	if (n == 0 || n > 8)
		return ILP_ERR_INVALID;
	if (oer_left(q, end) < n)
		return ILP_ERR_NEED_MORE;
	if (q[0] == 0)
		return ILP_ERR_INVALID;            /* leading zero: not minimal */
	if (n == 1 && q[0] < 0x80)
		return ILP_ERR_INVALID;            /* fits the short form */
	for (i = 0; i < n; i++)
		v = (v << 8) | q[i];
	if (v > (uint64_t)SIZE_MAX)
		return ILP_ERR_INVALID;
	*len = (size_t)v;
	*p = q + n;
	return ILP_OK;
}

int oer_read_varuint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t x = 0;
	size_t n, i;
	int r;

	r = oer_read_length(&q, end, &n);
	if (r != ILP_OK)
		return r;
	if (n == 0 || n > 8)
		return ILP_ERR_INVALID;
	if (oer_left(q, end) < n)
		return ILP_ERR_NEED_MORE;
	for (i = 0; i < n; i++)
		x = (x << 8) | q[i];
	*v = x;
	*p = q + n;
	return ILP_OK;
}

int oer_read_u8(const uint8_t **p, const uint8_t *end, uint8_t *v)
{
	if (oer_left(*p, end) < 1)
		return ILP_ERR_NEED_MORE;
	*v = **p;
	*p += 1;
	return ILP_OK;
}

int oer_read_u16(const uint8_t **p, const uint8_t *end, uint16_t *v)
{
	const uint8_t *q = *p;

	if (oer_left(q, end) < 2)
		return ILP_ERR_NEED_MORE;
	*v = (uint16_t)((unsigned)q[0] << 8 | q[1]);
	*p = q + 2;
	return ILP_OK;
}

int oer_read_u32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	if (oer_left(*p, end) < 4)
		return ILP_ERR_NEED_MORE;
	*v = oer_get_be32(*p);
	*p += 4;
	return ILP_OK;
}

int oer_read_u64(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (oer_left(*p, end) < 8)
		return ILP_ERR_NEED_MORE;
	*v = oer_get_be64(*p);
	*p += 8;
	return ILP_OK;
}

int oer_read_fixed(const uint8_t **p, const uint8_t *end, size_t n,
		   const uint8_t **out)
{
	if (oer_left(*p, end) < n)
		return ILP_ERR_NEED_MORE;
	*out = *p;
	*p += n;
	return ILP_OK;
}

int oer_read_var_octets(const uint8_t **p, const uint8_t *end,
			const uint8_t **data, size_t *len)
{
	const uint8_t *q = *p;
	size_t n;
	int r;

	r = oer_read_length(&q, end, &n);
	if (r != ILP_OK)
		return r;
	if (oer_left(q, end) < n)
		return ILP_ERR_NEED_MORE;
	*data = q;
	*len = n;
	*p = q + n;
	return ILP_OK;
}

/* ---- calendar ---------------------------------------------------------- */

static int oer_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int oer_days_in_month(int y, int m)
{
	static const uint8_t dim[12] = { 31, 28, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31 };

	if (m == 2 && oer_is_leap(y))
		return 29;
	return dim[m - 1];
}

/* Days from the shifted origin (see notes) to the first of March of
 * March-based year yy (already shifted, 0 <= yy <= 10400). Day counts for
 * years 0000..9999 stay below 3.9 million, so 32-bit arithmetic is enough
 * (and avoids 64-bit division helpers on 32-bit targets). */
static int32_t oer_days_to_march(int32_t yy)
{
	return yy * 365 + yy / 4 - yy / 100 + yy / 400;
}

/* Days from the shifted origin to y-m-d (fields already range checked). */
static int32_t oer_days_from_origin(int y, int m, int d)
{
	int32_t yy = (int32_t)y + OER_YEAR_SHIFT - (m <= 2 ? 1 : 0);
	int32_t mi = m <= 2 ? m + 9 : m - 3;    /* 0 = March .. 11 = February */

	/* Month lengths from March repeat 31,30,31,30,31 with period 153 days
	 * per 5 months, so (153 * mi + 2) / 5 is the day offset of month mi. */
	return oer_days_to_march(yy) + (153 * mi + 2) / 5 + (d - 1);
}

/* Days since 1970-01-01 of a valid date. */
static int32_t oer_days_from_civil(int y, int m, int d)
{
	return oer_days_from_origin(y, m, d) - oer_days_from_origin(1970, 1, 1);
}

/* Inverse of oer_days_from_civil for days inside years 0000..9999. */
static void oer_civil_from_days(int32_t days, int *y, int *m, int *d)
{
	int32_t z = days + oer_days_from_origin(1970, 1, 1);
	int32_t yy = z / 146097 * 400 + z % 146097 * 400 / 146097;
	int32_t doy, mi;

	/* yy is an estimate (within one year); correct it. */
	while (yy > 0 && oer_days_to_march(yy) > z)
		yy--;
	while (oer_days_to_march(yy + 1) <= z)
		yy++;
	doy = z - oer_days_to_march(yy);        /* 0 = March 1st */
	mi = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mi + 2) / 5 + 1);
	*m = (int)(mi < 10 ? mi + 3 : mi - 9);
	*y = (int)(yy - OER_YEAR_SHIFT + (*m <= 2 ? 1 : 0));
}

int oer_ms_from_civil(const struct oer_civil *c, int64_t *ms)
{
	int32_t days;

	if (c->year < 0 || c->year > 9999 || c->month < 1 || c->month > 12)
		return ILP_ERR_RANGE;
	if (c->day < 1 || c->day > oer_days_in_month(c->year, c->month))
		return ILP_ERR_RANGE;
	if (c->hour < 0 || c->hour > 23 || c->minute < 0 || c->minute > 59 ||
	    c->second < 0 || c->second > 59 || c->millisecond < 0 ||
	    c->millisecond > 999)
		return ILP_ERR_RANGE;
	days = oer_days_from_civil(c->year, c->month, c->day);
	*ms = (int64_t)days * OER_MS_PER_DAY +
	      (((int32_t)c->hour * 60 + c->minute) * 60 + c->second) * 1000 +
	      c->millisecond;
	return ILP_OK;
}

int oer_civil_from_ms(int64_t ms, struct oer_civil *c)
{
	int64_t q;
	int32_t days, rem;

	if (ms < OER_TIME_MIN_MS || ms > OER_TIME_MAX_MS)
		return ILP_ERR_RANGE;
	q = ms / OER_MS_PER_DAY;                /* |q| < 3.7 million */
	days = (int32_t)q;
	rem = (int32_t)(ms - q * OER_MS_PER_DAY);
	if (rem < 0) {
		rem += (int32_t)OER_MS_PER_DAY;
		days--;
	}
	oer_civil_from_days(days, &c->year, &c->month, &c->day);
	c->millisecond = (int)(rem % 1000);
	rem /= 1000;
	c->second = (int)(rem % 60);
	rem /= 60;
	c->minute = (int)(rem % 60);
	c->hour = (int)(rem / 60);
	return ILP_OK;
}

/* ---- timestamps -------------------------------------------------------- */

/* Parses n ASCII digits; -1 if any byte is not a digit. */
static int oer_digits(const uint8_t *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static void oer_put_digits(uint8_t *out, int v, size_t n)
{
	while (n-- > 0) {
		out[n] = (uint8_t)('0' + v % 10);
		v /= 10;
	}
}

/* Parses "YYYYMMDDHHMMSS" into c (millisecond left alone). */
static int oer_parse_14(const uint8_t *s, struct oer_civil *c)
{
	c->year = oer_digits(s, 4);
	c->month = oer_digits(s + 4, 2);
	c->day = oer_digits(s + 6, 2);
	c->hour = oer_digits(s + 8, 2);
	c->minute = oer_digits(s + 10, 2);
	c->second = oer_digits(s + 12, 2);
	if (c->year < 0 || c->month < 0 || c->day < 0 || c->hour < 0 ||
	    c->minute < 0 || c->second < 0)
		return ILP_ERR_INVALID;
	return ILP_OK;
}

static void oer_format_14(const struct oer_civil *c, uint8_t *out)
{
	oer_put_digits(out, c->year, 4);
	oer_put_digits(out + 4, c->month, 2);
	oer_put_digits(out + 6, c->day, 2);
	oer_put_digits(out + 8, c->hour, 2);
	oer_put_digits(out + 10, c->minute, 2);
	oer_put_digits(out + 12, c->second, 2);
}

int oer_time17_decode(const uint8_t s[OER_TIME17_LEN], int64_t *ms)
{
	struct oer_civil c;

	if (oer_parse_14(s, &c) != ILP_OK)
		return ILP_ERR_INVALID;
	c.millisecond = oer_digits(s + 14, 3);
	if (c.millisecond < 0)
		return ILP_ERR_INVALID;
	if (oer_ms_from_civil(&c, ms) != ILP_OK)
		return ILP_ERR_INVALID;
	return ILP_OK;
}

int oer_time17_encode(int64_t ms, uint8_t out[OER_TIME17_LEN])
{
	struct oer_civil c;

	if (oer_civil_from_ms(ms, &c) != ILP_OK)
		return ILP_ERR_RANGE;
	oer_format_14(&c, out);
	oer_put_digits(out + 14, c.millisecond, 3);
	return ILP_OK;
}

int oer_gtime_decode(const uint8_t *s, size_t n, int64_t *ms)
{
	struct oer_civil c;
	size_t nfrac;
	int frac;

	if (n < 15 || n > 19 || n == 16 || s[n - 1] != 'Z')
		return ILP_ERR_INVALID;
	if (oer_parse_14(s, &c) != ILP_OK)
		return ILP_ERR_INVALID;
	c.millisecond = 0;
	if (n > 15) {
		if (s[14] != '.')
			return ILP_ERR_INVALID;
		nfrac = n - 16;                 /* 1..3 digits */
		frac = oer_digits(s + 15, nfrac);
		if (frac < 0)
			return ILP_ERR_INVALID;
		while (nfrac++ < 3)
			frac *= 10;
		c.millisecond = frac;
	}
	if (oer_ms_from_civil(&c, ms) != ILP_OK)
		return ILP_ERR_INVALID;
	return ILP_OK;
}

int oer_gtime_encode(int64_t ms, uint8_t out[OER_GTIME_LEN])
{
	struct oer_civil c;

	if (oer_civil_from_ms(ms, &c) != ILP_OK)
		return ILP_ERR_RANGE;
	oer_format_14(&c, out);
	out[14] = '.';
	oer_put_digits(out + 15, c.millisecond, 3);
	out[18] = 'Z';
	return ILP_OK;
}

/* ---- encoding ---------------------------------------------------------- */

void oer_writer_init(struct oer_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->err = ILP_OK;
}

void oer_write_bytes(struct oer_writer *w, const uint8_t *src, size_t n)
{
	if (w->err != ILP_OK)
		return;
	if (n > SIZE_MAX - w->len) {
		w->err = ILP_ERR_OVERFLOW;
		return;
	}
	if (w->buf != NULL) {
		if (w->cap - w->len < n) {
			w->err = ILP_ERR_OVERFLOW;
			return;
		}
		if (n > 0)
			memcpy(w->buf + w->len, src, n);
	}
	w->len += n;
}

void oer_write_u8(struct oer_writer *w, uint8_t v)
{
	oer_write_bytes(w, &v, 1);
}

void oer_write_u16(struct oer_writer *w, uint16_t v)
{
	uint8_t b[2];

	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
	oer_write_bytes(w, b, 2);
}

void oer_write_u32(struct oer_writer *w, uint32_t v)
{
	uint8_t b[4];

	oer_put_be32(b, v);
	oer_write_bytes(w, b, 4);
}

void oer_write_u64(struct oer_writer *w, uint64_t v)
{
	uint8_t b[8];

	oer_put_be64(b, v);
	oer_write_bytes(w, b, 8);
}

/* Bytes needed for v in big-endian without leading zeros (at least 1). */
static size_t oer_uint_bytes(uint64_t v)
{
	size_t n = 1;

	while (n < 8 && (v >> (8 * n)) != 0)
		n++;
	return n;
}

size_t oer_length_size(size_t len)
{
	if (len < 0x80)
		return 1;
	return 1 + oer_uint_bytes((uint64_t)len);
}

/* Writes the n low bytes of v, big-endian. */
static void oer_write_uint_n(struct oer_writer *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	oer_put_be64(b, v);
	oer_write_bytes(w, b + 8 - n, n);
}

void oer_write_length(struct oer_writer *w, size_t len)
{
	size_t n;

	if (len < 0x80) {
		oer_write_u8(w, (uint8_t)len);
		return;
	}
	n = oer_uint_bytes((uint64_t)len);
	oer_write_u8(w, (uint8_t)(0x80 | n));
	oer_write_uint_n(w, (uint64_t)len, n);
}

void oer_write_var_octets(struct oer_writer *w, const uint8_t *src, size_t n)
{
	oer_write_length(w, n);
	oer_write_bytes(w, src, n);
}

void oer_write_varuint(struct oer_writer *w, uint64_t v)
{
	size_t n = oer_uint_bytes(v);

	oer_write_u8(w, (uint8_t)n);
	oer_write_uint_n(w, v, n);
}

/* ---- big-endian helpers ------------------------------------------------ */

void oer_put_be64(uint8_t *dst, uint64_t v)
{
	oer_put_be32(dst, (uint32_t)(v >> 32));
	oer_put_be32(dst + 4, (uint32_t)v);
}

uint64_t oer_get_be64(const uint8_t *src)
{
	return (uint64_t)oer_get_be32(src) << 32 | oer_get_be32(src + 4);
}

uint32_t oer_get_be32(const uint8_t *src)
{
	return (uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 |
	       (uint32_t)src[2] << 8 | (uint32_t)src[3];
}

void oer_put_be32(uint8_t *dst, uint32_t v)
{
	dst[0] = (uint8_t)(v >> 24);
	dst[1] = (uint8_t)(v >> 16);
	dst[2] = (uint8_t)(v >> 8);
	dst[3] = (uint8_t)v;
}
