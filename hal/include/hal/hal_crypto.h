/*
 * hal_crypto.h - cryptographic primitives from the board's library (BearSSL
 * by default). ilpd never implements a hash itself. Memory: stack only
 * (BearSSL's br_sha256_context, 112 bytes); no heap; reentrant.
 */
#ifndef HAL_CRYPTO_H
#define HAL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define HAL_SHA256_LEN 32

/* out = SHA-256(data[0..len)). Matches ilp_sha256_fn in ilp/ilp_switch.h. */
void hal_sha256(const uint8_t *data, size_t len, uint8_t out[HAL_SHA256_LEN]);

#endif /* HAL_CRYPTO_H */
