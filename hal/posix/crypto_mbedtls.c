/*
 * crypto_mbedtls.c - SHA-1 and base64 through Debian's mbedTLS 2.28
 * (libmbedcrypto), for the WebSocket handshake (RFC 6455 section 4.2.2:
 * Sec-WebSocket-Accept = base64(SHA-1(key || GUID))); and the
 * constant-time comparison used for BTP auth tokens.
 * The SHA-1 context (~100 bytes) lives on the stack; mbedTLS allocates
 * nothing for it.
 */
#include "hal/hal_crypto.h"

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>

void hal_sha1_2(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		uint8_t out[HAL_SHA1_LEN])
{
	mbedtls_sha1_context ctx;
	int r;

	/* The _ret functions fail only on hardware-accelerator errors, which
	 * the software build Debian ships does not have. */
	mbedtls_sha1_init(&ctx);
	r = mbedtls_sha1_starts_ret(&ctx);
	if (r == 0 && alen > 0)
		r = mbedtls_sha1_update_ret(&ctx, a, alen);
	if (r == 0 && blen > 0)
		r = mbedtls_sha1_update_ret(&ctx, b, blen);
	if (r == 0)
		r = mbedtls_sha1_finish_ret(&ctx, out);
	mbedtls_sha1_free(&ctx);
	if (r != 0) {
		/* Never hand out a digest that was not computed: a zero
		 * digest makes any handshake check fail. */
		for (size_t i = 0; i < HAL_SHA1_LEN; i++)
			out[i] = 0;
	}
}

size_t hal_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t olen = 0;

	if (out == NULL || cap == 0)
		return 0;
	if (n == 0) {
		/* mbedTLS returns at once for empty input, without the NUL. */
		out[0] = '\0';
		return 0;
	}
	if (mbedtls_base64_encode((unsigned char *)out, cap, &olen, in, n) != 0) {
		out[0] = '\0';
		return 0;
	}
	return olen;
}

int hal_memeq_ct(const void *a, const void *b, size_t n)
{
	/* Volatile reads keep the compiler from turning the loop into an
	 * early-exit comparison; every byte is read whatever it holds. */
	const volatile uint8_t *x = (const volatile uint8_t *)a;
	const volatile uint8_t *y = (const volatile uint8_t *)b;
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc = (uint8_t)(acc | (x[i] ^ y[i]));
	return acc != 0;
}
