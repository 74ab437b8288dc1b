/*
 * hal_crypto.h - cryptographic primitives from Debian's libraries; ilpd
 * never implements a hash itself. SHA-256 from BearSSL (the packet path),
 * SHA-1 and base64 from mbedTLS (the WebSocket handshake). HMAC-SHA256
 * from BearSSL (tor's SAFECOOKIE control-port authentication).
 * Memory: stack only (at most ~120 bytes of context; hal_hmac_sha256 about
 * 500 bytes, wiped before it returns); no heap; reentrant.
 */
#ifndef HAL_CRYPTO_H
#define HAL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define HAL_SHA256_LEN 32
#define HAL_SHA1_LEN 20

/* out = SHA-256(data[0..len)). Matches ilp_sha256_fn in ilp/ilp_switch.h. */
void hal_sha256(const uint8_t *data, size_t len, uint8_t out[HAL_SHA256_LEN]);

/* out = HMAC-SHA256(key[0..klen), data[0..len)) (RFC 2104; any key
 * length, a key longer than 64 bytes is hashed first). out may not overlap
 * the inputs. */
void hal_hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *data,
		     size_t len, uint8_t out[HAL_SHA256_LEN]);

/* out = SHA-1(a[0..alen) || b[0..blen)). */
void hal_sha1_2(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		uint8_t out[HAL_SHA1_LEN]);

/* Standard base64 with padding into out (cap bytes incl. NUL); returns the
 * length written, or 0 if cap is too small. */
size_t hal_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* Compares n bytes in time that does not depend on the contents. 0 if equal. */
int hal_memeq_ct(const void *a, const void *b, size_t n);

#endif /* HAL_CRYPTO_H */
