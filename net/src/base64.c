/*
 * base64.c - base64 / base64url codecs (net/base64.h). Pure; a 64-byte
 * alphabet table each way, no heap.
 */
#include "net/base64.h"

#include <stdbool.h>

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_enc(const char *alpha, bool pad, const uint8_t *in, size_t n, char *out,
		   size_t cap, size_t *out_len)
{
	size_t need = n / 3 * 4, i, o = 0;

	if (n % 3 != 0)
		need += pad ? 4 : n % 3 + 1;
	*out_len = 0;
	if (n > (SIZE_MAX - 8) / 4 * 3 || cap < need + 1)
		return ILP_ERR_OVERFLOW;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	*out_len = o;
	return ILP_OK;
}

int b64_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *out_len)
{
	return b64_enc(b64_std, true, in, n, out, cap, out_len);
}

int b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *out_len)
{
	return b64_enc(b64_url, false, in, n, out, cap, out_len);
}

/* The 6-bit value of c in the alphabet `kind` settles on (0 unknown, 1
 * standard, 2 url), or -1. */
static int b64_val(char c, int *kind)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '/') {
		if (*kind == 2)
			return -1;
		*kind = 1;
		return c == '+' ? 62 : 63;
	}
	if (c == '-' || c == '_') {
		if (*kind == 1)
			return -1;
		*kind = 2;
		return c == '-' ? 62 : 63;
	}
	return -1;
}

int b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t i, o = 0, body = n, rem;
	uint32_t acc = 0;
	int kind = 0;

	*out_len = 0;
	/* Padding: only as the last one or two characters of a multiple of 4. */
	if (n > 0 && in[n - 1] == '=') {
		body = n - 1;
		if (body > 0 && in[body - 1] == '=')
			body--;
		if (n % 4 != 0 || n - body != (4 - body % 4) % 4 || body % 4 < 2)
			return ILP_ERR_INVALID;
	}
	rem = body % 4;
	if (rem == 1)
		return ILP_ERR_INVALID;
	if (body / 4 * 3 + (rem == 0 ? 0 : rem - 1) > cap)
		return ILP_ERR_OVERFLOW;
	for (i = 0; i < body; i++) {
		int v = b64_val(in[i], &kind);

		if (v < 0)
			return ILP_ERR_INVALID;
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (rem == 2) {
		if ((acc & 0xf) != 0)
			return ILP_ERR_INVALID;
		out[o++] = (uint8_t)(acc >> 4);
	} else if (rem == 3) {
		if ((acc & 0x3) != 0)
			return ILP_ERR_INVALID;
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
	}
	*out_len = o;
	return ILP_OK;
}
