/*
 * fuzz_http_req.c - libFuzzer target for the admin listener's request
 * framing (net/http_req.h) and the base64 codec (net/base64.h).
 *
 * Properties (a violation traps; reads outside the input are ASan's):
 * - the status is -1, 0, 400, 411, 413, 417 or 431;
 * - 0: head_len + body_len <= size, body_len <= the limit, and every
 *   proper prefix of the request (head and body) is -1 (incomplete);
 * - an error status decided from a complete head is the same for every
 *   longer input (it never depends on the body bytes);
 * - http_req_path: 0 gives a NUL-terminated path that starts with '/',
 *   holds no NUL inside and fits; query_off <= the target's length;
 * - base64: decoding the input either fails or gives bytes that encode
 *   back to the input (modulo the alphabet and padding the input used).
 */
#include <string.h>

#include "fuzz_util.h"
#include "net/base64.h"
#include "net/http_req.h"

#define BODY_MAX 256

static uint8_t dec[65536];
static char enc[2 * 65536];

static void check_b64(const uint8_t *data, size_t size)
{
	size_t n, l, i, k = size;
	int url = 0;

	if (b64_decode((const char *)data, size, dec, sizeof(dec), &n) != ILP_OK)
		return;
	for (i = 0; i < size; i++)
		if (data[i] == '-' || data[i] == '_')
			url = 1;
	FUZZ_CHECK(b64_encode(dec, n, enc, sizeof(enc), &l) == ILP_OK);
	while (k > 0 && data[k - 1] == '=')
		k--;
	/* the input without padding is the canonical text in its alphabet */
	for (i = 0; i < k; i++) {
		char c = enc[i];

		if (url && c == '+')
			c = '-';
		if (url && c == '/')
			c = '_';
		FUZZ_CHECK(i < l && (uint8_t)c == data[i]);
	}
	FUZZ_CHECK(l - k <= 2);
	for (i = k; i < l; i++)
		FUZZ_CHECK(enc[i] == '=');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h, h2;
	struct http_req_frame r, r2;
	char path[64];
	size_t q;

	check_b64(data, size);
	http_req_frame(data, size, BODY_MAX, &h, &r);
	FUZZ_CHECK(r.status == -1 || r.status == 0 || r.status == 400 || r.status == 411 ||
		   r.status == 413 || r.status == 417 || r.status == 431);
	if (r.status == 0) {
		size_t total = r.head_len + r.body_len, cut;

		FUZZ_CHECK(r.body_len <= BODY_MAX && total <= size && r.head_len > 0);
		for (cut = total > 64 ? total - 64 : 0; cut < total; cut++) {
			http_req_frame(data, cut, BODY_MAX, &h2, &r2);
			FUZZ_CHECK(r2.status == -1);
		}
		if (http_req_path(&h.target, path, sizeof(path), &q) == 0) {
			size_t pl = strlen(path);

			FUZZ_CHECK(path[0] == '/' && pl < sizeof(path) && q <= h.target.n);
		}
	} else if (r.status > 0 && r.status != 431 && r.head_len > 0) {
		/* decided from the head: the head alone gives the same answer */
		http_req_frame(data, r.head_len, BODY_MAX, &h2, &r2);
		FUZZ_CHECK(r2.status == r.status);
	}
	return 0;
}
