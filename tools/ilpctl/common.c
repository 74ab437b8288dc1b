/*
 * common.c - kinds, errors and value formats shared by decode and encode.
 */
#include "common.h"
#include "ilp/hexdigit.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ilp/oer.h"
#include "ilpctl.h"

static const char *const ilpctl_kind_names[ILPCTL_KIND_COUNT] = {
	[ILPCTL_AUTO] = "auto",
	[ILPCTL_ILP] = "ilp",
	[ILPCTL_PREPARE] = "prepare",
	[ILPCTL_FULFILL] = "fulfill",
	[ILPCTL_REJECT] = "reject",
	[ILPCTL_BTP] = "btp",
	[ILPCTL_ILDCP_REQUEST] = "ildcp_request",
	[ILPCTL_ILDCP_RESPONSE] = "ildcp_response",
	[ILPCTL_F08] = "f08",
};

const char *ilpctl_kind_name(enum ilpctl_kind k)
{
	return (unsigned)k < ILPCTL_KIND_COUNT ? ilpctl_kind_names[k] : "?";
}

int ilpctl_kind_parse(const char *s, enum ilpctl_kind *k)
{
	unsigned i;

	for (i = 0; i < ILPCTL_KIND_COUNT; i++) {
		if (strcmp(s, ilpctl_kind_names[i]) == 0) {
			*k = (enum ilpctl_kind)i;
			return 0;
		}
	}
	return -1;
}

int ilpctl_fail(struct ilpctl_err *e, enum ilpctl_kind k, const char *fmt, ...)
{
	va_list ap;

	/* "invalid auto: ..." would read badly; name what was expected. */
	if (k == ILPCTL_AUTO)
		e->kind = "input";
	else if (k == ILPCTL_ILP)
		e->kind = "ILP packet";
	else
		e->kind = ilpctl_kind_name(k);
	va_start(ap, fmt);
	vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
	return -1;
}


long ilpctl_unhex(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i;

	if (n % 2 != 0 || n / 2 > (unsigned long)LONG_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = ilp_hex_digit(in[2 * i]);
		int lo = ilp_hex_digit(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)((hi << 4) | lo);
	}
	return (long)(n / 2);
}

static void ilpctl_put_digits(char *out, int v, int width)
{
	while (width-- > 0) {
		out[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

int ilpctl_iso_format(int64_t ms, char out[ILPCTL_ISO_LEN])
{
	struct oer_civil c;

	if (oer_civil_from_ms(ms, &c) != ILP_OK)
		return -1;
	memcpy(out, "0000-00-00T00:00:00.000Z", ILPCTL_ISO_LEN);
	ilpctl_put_digits(out, c.year, 4);
	ilpctl_put_digits(out + 5, c.month, 2);
	ilpctl_put_digits(out + 8, c.day, 2);
	ilpctl_put_digits(out + 11, c.hour, 2);
	ilpctl_put_digits(out + 14, c.minute, 2);
	ilpctl_put_digits(out + 17, c.second, 2);
	ilpctl_put_digits(out + 20, c.millisecond, 3);
	return 0;
}

/* Reads `width` ASCII digits; -1 if any is not a digit. */
static int ilpctl_get_digits(const uint8_t *s, int width, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < width; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int ilpctl_iso_parse(const uint8_t *s, size_t n, int64_t *ms)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	struct oer_civil c;
	size_t i;

	if (n != ILPCTL_ISO_LEN)
		return -1;
	for (i = 0; i < n; i++)
		if (shape[i] != 'd' && s[i] != (uint8_t)shape[i])
			return -1;
	if (ilpctl_get_digits(s, 4, &c.year) || ilpctl_get_digits(s + 5, 2, &c.month) ||
	    ilpctl_get_digits(s + 8, 2, &c.day) || ilpctl_get_digits(s + 11, 2, &c.hour) ||
	    ilpctl_get_digits(s + 14, 2, &c.minute) ||
	    ilpctl_get_digits(s + 17, 2, &c.second) ||
	    ilpctl_get_digits(s + 20, 3, &c.millisecond))
		return -1;
	return oer_ms_from_civil(&c, ms) == ILP_OK ? 0 : -1;
}

int ilpctl_dec_parse(const uint8_t *s, size_t n, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		uint64_t d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (uint64_t)(s[i] - '0');
		if (*v > (UINT64_MAX - d) / 10) {
			for (; i < n; i++)
				if (s[i] < '0' || s[i] > '9')
					return -1;
			return -2;
		}
		*v = *v * 10 + d;
	}
	return 0;
}
