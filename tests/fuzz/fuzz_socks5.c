/*
 * fuzz_socks5.c - libFuzzer target for the SOCKS5 client engine
 * (net/socks5.h): the input plays the proxy.
 *
 * Input: byte 0 picks the credentials (bit 0: with user/password) and the
 * destination (bits 1-2: a name, an onion name, an IPv4 or an IPv6
 * literal); byte 1 is the chunk size of the incremental pass; the rest is
 * what the proxy sends.
 *
 * Properties (a violation traps; ASan finds out-of-bounds reads):
 * - socks5_input never reports more than it was given, takes everything
 *   while it still needs more, and takes nothing once DONE or FAILED;
 * - output lies inside the engine and never exceeds SOCKS5_OUT_MAX;
 * - DONE only after a well-formed exchange, checked by an independent
 *   reference parser below: the method reply naming the offered method,
 *   the RFC 1929 success (with credentials), then VER 5, REP 0, RSV 0 and a
 *   BND address of the declared type; and exactly those bytes consumed;
 * - FAILED only with an error set, and REP recorded only from a reply;
 * - feeding the bytes in chunks gives the same status, error and count.
 */
#include <string.h>

#include "fuzz_util.h"
#include "net/socks5.h"

static const char *const hosts[4] = {
	"peer.example.net", "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion",
	"192.0.2.7", "2001:db8::1"
};

/* Reference: length of a well-formed successful exchange at the start of
 * p[0..n), 0 if the bytes are not one (or not complete). */
static size_t ref_success(const uint8_t *p, size_t n, bool auth)
{
	size_t at = 2, need;

	if (n < 2 || p[0] != 5 || p[1] != (auth ? 2 : 0))
		return 0;
	if (auth) {
		if (n < 4 || p[2] != 1 || p[3] != 0)
			return 0;
		at = 4;
	}
	if (n < at + 4 || p[at] != 5 || p[at + 1] != 0 || p[at + 2] != 0)
		return 0;
	switch (p[at + 3]) {
	case 1:
		need = at + 4 + 4 + 2;
		break;
	case 4:
		need = at + 4 + 16 + 2;
		break;
	case 3:
		if (n < at + 5 || p[at + 4] == 0)
			return 0;
		need = at + 5 + (size_t)p[at + 4] + 2;
		break;
	default:
		return 0;
	}
	return n >= need ? need : 0;
}

struct result {
	enum socks5_status st;
	enum socks5_error err;
	uint8_t rep;
	size_t used;
};

/* Runs one exchange, feeding at most `chunk` bytes per call. */
static void run(uint8_t cfg, const uint8_t *p, size_t n, size_t chunk, struct result *r)
{
	static struct socks5 s;
	bool auth = (cfg & 1) != 0;
	size_t at = 0;
	enum socks5_status st = SOCKS5_NEED_MORE;

	FUZZ_CHECK(socks5_start(&s, hosts[(cfg >> 1) & 3], 443, auth ? "u" : NULL,
				auth ? "pw" : NULL) == 0);
	while (at < n) {
		const uint8_t *o;
		size_t k = n - at < chunk ? n - at : chunk, used = 99999;
		size_t olen = socks5_output(&s, &o);

		FUZZ_CHECK(olen <= SOCKS5_OUT_MAX);
		FUZZ_CHECK(olen == 0 || (o >= (const uint8_t *)&s &&
					 o + olen <= (const uint8_t *)(&s + 1)));
		socks5_output_done(&s, olen);
		st = socks5_input(&s, p + at, k, &used);
		FUZZ_CHECK(used <= k);
		if (st == SOCKS5_NEED_MORE)
			FUZZ_CHECK(used == k);
		at += used;
		if (st != SOCKS5_NEED_MORE)
			break;
	}
	if (st != SOCKS5_NEED_MORE) {
		size_t again = 1;

		FUZZ_CHECK(socks5_input(&s, p, n, &again) == st && again == 0);
	}
	r->st = st;
	r->err = socks5_error(&s);
	r->rep = socks5_reply_code(&s);
	r->used = at;
	FUZZ_CHECK((st == SOCKS5_FAILED) == (r->err != SOCKS5_OK));
	FUZZ_CHECK(r->err <= SOCKS5_ERR_UNKNOWN_REPLY);
	if (st == SOCKS5_DONE)
		FUZZ_CHECK(r->used == ref_success(p, n, auth) && r->used > 0 && r->rep == 0);
	else
		FUZZ_CHECK(ref_success(p, n, auth) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, parts;

	if (size < 2 || size > 4096)
		return 0;
	run(data[0], data + 2, size - 2, size, &whole);
	run(data[0], data + 2, size - 2, (size_t)(data[1] % 13) + 1, &parts);
	FUZZ_CHECK(whole.st == parts.st && whole.err == parts.err &&
		   whole.rep == parts.rep && whole.used == parts.used);
	return 0;
}
