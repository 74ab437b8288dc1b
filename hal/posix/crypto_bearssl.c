/* SHA-256 and HMAC-SHA256 through BearSSL (Debian libbearssl-dev). */
#include "hal/hal_crypto.h"

#include <string.h>

#include <bearssl_hash.h>
#include <bearssl_hmac.h>

void hal_sha256(const uint8_t *data, size_t len, uint8_t out[HAL_SHA256_LEN])
{
	br_sha256_context ctx;

	br_sha256_init(&ctx);
	br_sha256_update(&ctx, data, len);
	br_sha256_out(&ctx, out);
}

void hal_hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *data,
		     size_t len, uint8_t out[HAL_SHA256_LEN])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	/* br_hmac_out writes the full digest size (out_len 0 = natural). */
	br_hmac_key_init(&kc, &br_sha256_vtable, key, klen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, data, len);
	(void)br_hmac_out(&hc, out);
	/* both contexts hold key-derived state (the padded-key hashes) */
	memset(&hc, 0, sizeof(hc));
	memset(&kc, 0, sizeof(kc));
}
