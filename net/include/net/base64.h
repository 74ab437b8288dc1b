/*
 * base64.h - base64 (RFC 4648 section 4) and base64url (section 5) codecs
 * for the JSON bodies of ilpd's HTTP APIs (ILP data, fulfillments,
 * conditions, payment ids). Pure: bytes in, bytes out; no heap, no state.
 *
 * Encoding writes the standard alphabet with '=' padding (b64_encode) or
 * the URL alphabet without padding (b64url_encode), as Node's
 * Buffer.toString('base64' / 'base64url') does. Decoding (b64_decode)
 * accepts either alphabet (not mixed), with or without padding; padding,
 * when present, must be complete. It refuses whitespace, a lone final
 * character, and non-zero bits after the last byte (so every accepted
 * string is the canonical encoding of its bytes, modulo alphabet/padding).
 */
#ifndef NET_BASE64_H
#define NET_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"

/* Characters b64_encode writes for n bytes (padded). */
#define B64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* Most bytes a base64 string of n characters decodes to. */
#define B64_DECODED_MAX(n) (((n) / 4) * 3 + 2)

/* Writes the encoding of in[0..n) and a terminating NUL into out (cap
 * bytes: at least B64_ENCODED_LEN(n) + 1); *out_len = characters written.
 * ILP_OK or ILP_ERR_OVERFLOW (nothing meaningful written). */
int b64_encode(const uint8_t *in, size_t n, char *out, size_t cap,
	       size_t *out_len) ILP_CHECK_RESULT;
int b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap,
		  size_t *out_len) ILP_CHECK_RESULT;

/* Decodes in[0..n) into out (cap bytes); *out_len = bytes written.
 * ILP_OK, ILP_ERR_INVALID (not base64 as described above) or
 * ILP_ERR_OVERFLOW (more than cap bytes). */
int b64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
	       size_t *out_len) ILP_CHECK_RESULT;

#endif /* NET_BASE64_H */
