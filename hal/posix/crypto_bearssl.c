/* SHA-256 through BearSSL (Debian libbearssl-dev). */
#include "hal/hal_crypto.h"

#include <bearssl_hash.h>

void hal_sha256(const uint8_t *data, size_t len, uint8_t out[HAL_SHA256_LEN])
{
	br_sha256_context ctx;

	br_sha256_init(&ctx);
	br_sha256_update(&ctx, data, len);
	br_sha256_out(&ctx, out);
}
