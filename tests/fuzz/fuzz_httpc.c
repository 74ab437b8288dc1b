/*
 * fuzz_httpc.c - libFuzzer target for the HTTP/1.1 client engine
 * (net/httpc.h). Byte 0 picks the options (HEAD request, a small or a
 * large body buffer, the piece size for the second run); the rest is a
 * response, fed once whole and once in pieces.
 *
 * Properties (a violation traps; reads and writes outside the buffers are
 * ASan's):
 * - feed returns OK, NEED_MORE, INVALID or OVERFLOW; NEED_MORE uses every
 *   byte given; OK uses at most what was given, and the response is done.
 * - body_len never exceeds the body buffer's capacity.
 * - Fed whole or in pieces, the result, the status and the reuse decision
 *   are the same, and unless it is an error, the bytes used and the body.
 * - reusable implies done, keep-alive, and a body not delimited by close;
 *   after an error nothing is reusable and the error is returned again.
 * - eof after NEED_MORE returns OK (then done, not reusable), INVALID or
 *   NEED_MORE (nothing received).
 * - The request builder, given the input's first bytes as a path, either
 *   refuses or builds a request that net/http.h parses back with the same
 *   target.
 */
#include <string.h>

#include "fuzz_util.h"
#include "net/httpc.h"

struct run {
	int r;
	size_t used;
	int status;
	size_t body_len;
	bool reusable;
	bool done;
};

static struct httpc_resp R;
static uint8_t body_a[70000], body_b[70000];

static bool result_ok(int r)
{
	return r == ILP_OK || r == ILP_ERR_NEED_MORE || r == ILP_ERR_INVALID ||
	       r == ILP_ERR_OVERFLOW;
}

static void check_state(const struct httpc_resp *r, size_t cap)
{
	FUZZ_CHECK(r->body_len <= cap);
	if (httpc_resp_reusable(r))
		FUZZ_CHECK(httpc_resp_done(r) && r->keep_alive &&
			   r->mode != HTTPC_BODY_CLOSE);
}

static struct run feed(const uint8_t *p, size_t n, size_t step, bool head_req,
		       uint8_t *body, size_t cap)
{
	struct run o = { ILP_ERR_NEED_MORE, 0, 0, 0, false, false };
	size_t off = 0, used;

	httpc_resp_init(&R, body, cap, head_req);
	if (step == 0)
		step = n ? n : 1;
	while (off < n) {
		size_t k = n - off < step ? n - off : step;

		o.r = httpc_resp_feed(&R, p + off, k, &used);
		FUZZ_CHECK(result_ok(o.r));
		FUZZ_CHECK(used <= k);
		o.used += used;
		check_state(&R, cap);
		if (o.r != ILP_ERR_NEED_MORE)
			break;
		FUZZ_CHECK(used == k);
		off += k;
	}
	if (o.r == ILP_OK) {
		FUZZ_CHECK(httpc_resp_done(&R) && httpc_resp_has_head(&R));
		FUZZ_CHECK(httpc_resp_feed(&R, p, n, &used) == ILP_OK && used == 0);
	} else if (o.r != ILP_ERR_NEED_MORE) {
		FUZZ_CHECK(!httpc_resp_reusable(&R) && !httpc_resp_done(&R));
		FUZZ_CHECK(httpc_resp_feed(&R, p, n, &used) == o.r && used == 0);
	}
	o.status = R.status;
	o.body_len = R.body_len;
	o.reusable = httpc_resp_reusable(&R);
	o.done = httpc_resp_done(&R);
	if (o.r == ILP_ERR_NEED_MORE) {
		int e = httpc_resp_eof(&R);

		FUZZ_CHECK(e == ILP_OK || e == ILP_ERR_INVALID || e == ILP_ERR_NEED_MORE);
		if (e == ILP_OK)
			FUZZ_CHECK(httpc_resp_done(&R) && !httpc_resp_reusable(&R));
		if (e == ILP_ERR_NEED_MORE)
			FUZZ_CHECK(n == 0 || R.received == 0);
		check_state(&R, cap);
	}
	return o;
}

static void build(const uint8_t *data, size_t size)
{
	static uint8_t out[1024];
	char path[64];
	struct http_head h;
	size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1, len, c;

	memcpy(path, data, n);
	path[n] = '\0';
	if (httpc_build_request(out, sizeof(out), &len, "POST", "127.0.0.1",
				3100, path, "X-A: 1\r\n", data, size > 512 ? 512 : size)
	    != ILP_OK)
		return;
	FUZZ_CHECK(len <= sizeof(out));
	FUZZ_CHECK(http_parse_request(out, len, &h, &c) == ILP_OK);
	FUZZ_CHECK(http_str_eq(&h.target, path));
	FUZZ_CHECK(http_str_eq(http_find(&h, "host"), "127.0.0.1:3100"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	bool head_req;
	size_t cap, step;

	if (size < 1)
		return 0;
	head_req = (data[0] & 1) != 0;
	cap = (data[0] & 2) ? sizeof(body_a) : 64;
	step = (size_t)(data[0] >> 2) + 1;   /* 1..64 */
	build(data + 1, size - 1);
	a = feed(data + 1, size - 1, 0, head_req, body_a, cap);
	b = feed(data + 1, size - 1, step, head_req, body_b, cap);
	FUZZ_CHECK(a.r == b.r && a.status == b.status &&
		   a.reusable == b.reusable && a.done == b.done);
	if (a.r == ILP_OK || a.r == ILP_ERR_NEED_MORE) {
		FUZZ_CHECK(a.used == b.used);
		FUZZ_CHECK(a.body_len == 0 ||
			   memcmp(body_a, body_b, a.body_len) == 0);
	}
	return 0;
}
