/*
 * test_socks5.c - the SOCKS5 client engine (net/socks5.h) against scripted
 * proxy replies: the exact bytes of the greeting, the RFC 1929 request and
 * the CONNECT request (ATYP 3 for every name, 1/4 for literals), every
 * reply code including tor's F0..F7, every protocol violation, replies fed
 * whole and one byte at a time, stream bytes after the reply left
 * unconsumed, argument checks, and the wiping of credentials. No sockets.
 */
#include <string.h>

#include "net/socks5.h"
#include "th.h"

static struct socks5 s5;

/* Output the engine has now, as hex ("" if none). */
static const char *out_hex(const struct socks5 *s)
{
	static char hex[2 * SOCKS5_OUT_MAX + 1];
	const uint8_t *p;
	size_t n = socks5_output(s, &p);

	th_hex(p, n, hex);
	return hex;
}

/* Takes all output (as if the socket took it) and returns it as hex. */
static const char *take_hex(struct socks5 *s)
{
	const uint8_t *p;
	const char *h = out_hex(s);

	socks5_output_done(s, socks5_output(s, &p));
	return h;
}

/* Feeds hex; returns the status; *used as socks5_input. */
static enum socks5_status feed_hex(struct socks5 *s, const char *hex, size_t *used)
{
	uint8_t b[600];
	long n = th_unhex(hex, b, sizeof(b));

	if (n < 0) {
		th_fail(__FILE__, __LINE__, "bad hex in test: %s", hex);
		return SOCKS5_FAILED;
	}
	return socks5_input(s, b, (size_t)n, used);
}

/* True if the bytes of needle occur anywhere in the engine struct. */
static bool struct_holds(const struct socks5 *s, const char *needle)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= sizeof(*s); i++)
		if (memcmp(p + i, needle, n) == 0)
			return true;
	return false;
}

#define REQ_PREFIX "050100"

/* Starts without auth, answers the greeting and returns the request. */
static const char *request_for(const char *host, uint16_t port)
{
	size_t used;

	if (socks5_start(&s5, host, port, NULL, NULL) != 0)
		return "start failed";
	if (strcmp(take_hex(&s5), "050100") != 0)
		return "bad greeting";
	if (feed_hex(&s5, "0500", &used) != SOCKS5_NEED_MORE || used != 2)
		return "method reply not taken";
	return take_hex(&s5);
}

static void test_request_bytes(void)
{
	/* names: ATYP 3, never resolved, sent verbatim */
	CHECK(strcmp(request_for("x.onion", 80),
		     REQ_PREFIX "03" "07" "782e6f6e696f6e" "0050") == 0);
	CHECK(strcmp(request_for("example.com", 443),
		     REQ_PREFIX "03" "0b" "6578616d706c652e636f6d" "01bb") == 0);
	CHECK(strcmp(request_for("localhost", 65535),
		     REQ_PREFIX "03" "09" "6c6f63616c686f7374" "ffff") == 0);
	/* IPv4 literals: ATYP 1 */
	CHECK(strcmp(request_for("127.0.0.1", 7768), REQ_PREFIX "01" "7f000001" "1e58") == 0);
	CHECK(strcmp(request_for("255.0.10.199", 1), REQ_PREFIX "01" "ff000ac7" "0001") == 0);
	/* not IPv4 literals: names */
	CHECK(strcmp(request_for("1.2.3.256", 1), REQ_PREFIX "03" "09" "312e322e332e323536" "0001") == 0);
	CHECK(strcmp(request_for("01.2.3.4", 1), REQ_PREFIX "03" "08" "30312e322e332e34" "0001") == 0);
	CHECK(strcmp(request_for("1.2.3", 1), REQ_PREFIX "03" "05" "312e322e33" "0001") == 0);
	CHECK(strcmp(request_for("1.2.3.4.", 1), REQ_PREFIX "03" "08" "312e322e332e342e" "0001") == 0);
	/* IPv6 literals: ATYP 4 */
	CHECK(strcmp(request_for("::1", 2), REQ_PREFIX "04"
		     "00000000000000000000000000000001" "0002") == 0);
	CHECK(strcmp(request_for("[2001:db8::7]", 2), REQ_PREFIX "04"
		     "20010db8000000000000000000000007" "0002") == 0);
	CHECK(strcmp(request_for("::", 2), REQ_PREFIX "04"
		     "00000000000000000000000000000000" "0002") == 0);
	CHECK(strcmp(request_for("fe80::", 2), REQ_PREFIX "04"
		     "fe800000000000000000000000000000" "0002") == 0);
	CHECK(strcmp(request_for("1:2:3:4:5:6:7:8", 2), REQ_PREFIX "04"
		     "00010002000300040005000600070008" "0002") == 0);
	CHECK(strcmp(request_for("::ffff:10.1.2.3", 2), REQ_PREFIX "04"
		     "00000000000000000000ffff0a010203" "0002") == 0);
	CHECK(strcmp(request_for("ABCD:ef01::2:3", 2), REQ_PREFIX "04"
		     "abcdef01000000000000000000020003" "0002") == 0);
	/* not IPv6 literals: sent as names for the proxy to refuse */
	CHECK(strncmp(request_for("1::2::3", 2), REQ_PREFIX "03", 8) == 0);
	CHECK(strncmp(request_for("1:2:3:4:5:6:7:8:9", 2), REQ_PREFIX "03", 8) == 0);
	CHECK(strncmp(request_for("1:2:3:4:5:6:7::8", 2), REQ_PREFIX "03", 8) == 0);
	CHECK(strncmp(request_for("12345::", 2), REQ_PREFIX "03", 8) == 0);
	CHECK(strncmp(request_for("1:", 2), REQ_PREFIX "03", 8) == 0);
	CHECK(strncmp(request_for(":1", 2), REQ_PREFIX "03", 8) == 0);
	CHECK(strncmp(request_for("[::1", 2), REQ_PREFIX "03", 8) == 0);
	CHECK(strncmp(request_for("::1.2.3.4.5", 2), REQ_PREFIX "03", 8) == 0);
	CHECK(strncmp(request_for("1:2:3:4:5:6:7:1.2.3.4", 2), REQ_PREFIX "03", 8) == 0);
	CHECK(strncmp(request_for("g::1", 2), REQ_PREFIX "03", 8) == 0);
}

static void test_start_args(void)
{
	char name[300];

	memset(name, 'a', sizeof(name));
	name[255] = '\0';
	CHECK_EQ(socks5_start(&s5, name, 80, NULL, NULL), 0);   /* 255: fits */
	CHECK(strncmp(request_for(name, 80), REQ_PREFIX "03ff6161", 12) == 0);
	name[255] = 'a';
	name[256] = '\0';
	CHECK_EQ(socks5_start(&s5, name, 80, NULL, NULL), -1);  /* 256: too long */
	CHECK_EQ(socks5_start(&s5, NULL, 80, NULL, NULL), -1);
	CHECK_EQ(socks5_start(&s5, "", 80, NULL, NULL), -1);
	CHECK_EQ(socks5_start(&s5, "x.onion", 0, NULL, NULL), -1);
	CHECK_EQ(socks5_start(&s5, "x.onion", 80, "u", NULL), -1);
	CHECK_EQ(socks5_start(&s5, "x.onion", 80, NULL, "p"), -1);
	CHECK_EQ(socks5_start(&s5, "x.onion", 80, "", "p"), -1);
	CHECK_EQ(socks5_start(&s5, "x.onion", 80, "u", ""), -1);
	CHECK_EQ(socks5_start(&s5, "x.onion", 80, name, "p"), -1);
	CHECK_EQ(socks5_start(&s5, "x.onion", 80, "u", name), -1);
	name[255] = '\0';
	CHECK_EQ(socks5_start(&s5, "x.onion", 80, name, name), 0);  /* 255 each */
	CHECK_EQ((long)strlen(out_hex(&s5)), 6);
	/* a failed start leaves the engine unusable, not half-started */
	CHECK_EQ(socks5_start(&s5, "", 80, NULL, NULL), -1);
	CHECK_EQ((long)strlen(out_hex(&s5)), 0);
	CHECK_EQ(socks5_status(&s5), SOCKS5_NEED_MORE);
	{
		size_t used = 9;

		CHECK_EQ(feed_hex(&s5, "0500", &used), SOCKS5_FAILED);
		CHECK_EQ(socks5_error(&s5), SOCKS5_ERR_NOT_STARTED);
		CHECK_EQ(used, 0);
	}
}

static void test_not_started(void)
{
	static struct socks5 zero;
	size_t used = 7;
	uint8_t b = 5;

	CHECK_EQ((long)strlen(out_hex(&zero)), 0);
	CHECK_EQ(socks5_input(&zero, &b, 1, &used), SOCKS5_FAILED);
	CHECK_EQ(used, 0);
	CHECK_EQ(socks5_error(&zero), SOCKS5_ERR_NOT_STARTED);
	CHECK(strcmp(socks5_state_name(&zero), "failed") == 0);
}

/* Nothing goes out before the proxy asked for it; partial sends resume. */
static void test_output_pacing(void)
{
	const uint8_t *p;
	size_t used;

	CHECK_EQ(socks5_start(&s5, "peer.example", 7768, NULL, NULL), 0);
	CHECK(strcmp(socks5_state_name(&s5), "want_method") == 0);
	CHECK_EQ(socks5_output(&s5, &p), 3);
	socks5_output_done(&s5, 1);
	CHECK(strcmp(out_hex(&s5), "0100") == 0);
	socks5_output_done(&s5, 99);   /* more than given: clamped */
	CHECK_EQ(socks5_output(&s5, &p), 0);
	CHECK_EQ(feed_hex(&s5, "05", &used), SOCKS5_NEED_MORE);
	CHECK_EQ(socks5_output(&s5, &p), 0);   /* request waits for the method */
	CHECK_EQ(feed_hex(&s5, "00", &used), SOCKS5_NEED_MORE);
	CHECK(strcmp(socks5_state_name(&s5), "want_reply") == 0);
	CHECK_EQ(socks5_output(&s5, &p), 7 + 12);
	socks5_output_done(&s5, 5);
	CHECK_EQ(socks5_output(&s5, &p), 14);
	socks5_output_done(&s5, 14);
	CHECK_EQ(socks5_output(&s5, &p), 0);
	CHECK_EQ(feed_hex(&s5, "05000001000000000000", &used), SOCKS5_DONE);
	CHECK_EQ(used, 10);
	CHECK_EQ(socks5_output(&s5, &p), 0);
	CHECK(strcmp(socks5_state_name(&s5), "done") == 0);
	CHECK(!struct_holds(&s5, "peer.example"));   /* destination wiped */
}

static void test_auth_exchange(void)
{
	size_t used;

	CHECK_EQ(socks5_start(&s5, "abc.onion", 443, "peer-a", "s3cr3t-pw"), 0);
	/* credentials: the greeting offers ONLY method 02 */
	CHECK(strcmp(take_hex(&s5), "050102") == 0);
	CHECK_EQ(feed_hex(&s5, "0502", &used), SOCKS5_NEED_MORE);
	CHECK_EQ(used, 2);
	CHECK(strcmp(out_hex(&s5), "01" "06" "706565722d61" "09" "733363723374"
		     "2d7077") == 0);
	CHECK(struct_holds(&s5, "s3cr3t-pw"));
	(void)take_hex(&s5);
	CHECK_EQ(feed_hex(&s5, "0100", &used), SOCKS5_NEED_MORE);
	CHECK(!struct_holds(&s5, "s3cr3t-pw"));   /* wiped once answered */
	CHECK(!struct_holds(&s5, "peer-a"));
	CHECK(strcmp(take_hex(&s5), REQ_PREFIX "03" "09" "6162632e6f6e696f6e" "01bb") == 0);
	CHECK_EQ(feed_hex(&s5, "05000001000000000000", &used), SOCKS5_DONE);
	CHECK_EQ(socks5_error(&s5), SOCKS5_OK);
	CHECK_EQ(socks5_reply_code(&s5), 0);
}

/* A whole scripted proxy answer, fed at once or in chunks of `chunk`,
 * with the client's output drained in between. Returns the status; *used
 * is the total consumed. */
static enum socks5_status script(const char *user, const char *hex, size_t chunk,
				 size_t *used)
{
	uint8_t b[600];
	long n = th_unhex(hex, b, sizeof(b));
	size_t at = 0;
	enum socks5_status st = SOCKS5_NEED_MORE;

	*used = 0;
	if (n < 0 || socks5_start(&s5, "dest.onion", 80, user, user) != 0)
		return SOCKS5_FAILED;
	while (at < (size_t)n && st == SOCKS5_NEED_MORE) {
		size_t k = (size_t)n - at < chunk ? (size_t)n - at : chunk, u = 0;

		(void)take_hex(&s5);
		st = socks5_input(&s5, b + at, k, &u);
		CHECK(u <= k);
		if (st == SOCKS5_NEED_MORE)
			CHECK_EQ(u, k);   /* an unfinished exchange takes all */
		at += u;
		if (u < k)
			break;
	}
	*used = at;
	return st;
}

struct outcome {
	const char *user;    /* NULL: no auth */
	const char *reply;   /* everything the proxy sends, hex */
	enum socks5_status st;
	enum socks5_error err;
	size_t used;         /* bytes consumed */
};

static const struct outcome outcomes[] = {
	/* success, with every BND form; "abcd" after the reply is stream data */
	{ NULL, "0500" "05000001" "7f000001" "1f90" "61626364", SOCKS5_DONE, SOCKS5_OK, 12 },
	{ NULL, "0500" "05000004" "00000000000000000000000000000001" "1f90" "6162",
	  SOCKS5_DONE, SOCKS5_OK, 24 },
	{ NULL, "0500" "05000003" "01" "78" "0050" "ff", SOCKS5_DONE, SOCKS5_OK, 10 },
	{ "u", "0502" "0100" "05000001" "00000000" "0000", SOCKS5_DONE, SOCKS5_OK, 14 },
	/* negotiation */
	{ NULL, "05ff", SOCKS5_FAILED, SOCKS5_ERR_NO_METHOD, 2 },
	{ "u", "05ff", SOCKS5_FAILED, SOCKS5_ERR_NO_METHOD, 2 },
	{ "u", "0500", SOCKS5_FAILED, SOCKS5_ERR_BAD_METHOD, 2 },   /* no fallback */
	{ NULL, "0502", SOCKS5_FAILED, SOCKS5_ERR_BAD_METHOD, 2 },
	{ NULL, "0501", SOCKS5_FAILED, SOCKS5_ERR_BAD_METHOD, 2 },
	{ "u", "0502" "0101", SOCKS5_FAILED, SOCKS5_ERR_AUTH_FAILED, 4 },
	{ "u", "0502" "01ff", SOCKS5_FAILED, SOCKS5_ERR_AUTH_FAILED, 4 },
	/* protocol violations */
	{ NULL, "0400", SOCKS5_FAILED, SOCKS5_ERR_BAD_VERSION, 1 },
	{ NULL, "485454502f", SOCKS5_FAILED, SOCKS5_ERR_BAD_VERSION, 1 },
	{ "u", "0502" "0500", SOCKS5_FAILED, SOCKS5_ERR_BAD_AUTH_VERSION, 3 },
	{ NULL, "0500" "04000001", SOCKS5_FAILED, SOCKS5_ERR_BAD_VERSION, 3 },
	{ NULL, "0500" "05000101" "7f000001" "0050", SOCKS5_FAILED, SOCKS5_ERR_BAD_REPLY, 5 },
	{ NULL, "0500" "05000002" "7f000001" "0050", SOCKS5_FAILED, SOCKS5_ERR_BAD_REPLY, 6 },
	{ NULL, "0500" "05000000", SOCKS5_FAILED, SOCKS5_ERR_BAD_REPLY, 6 },
	{ NULL, "0500" "05000003" "00" "0050", SOCKS5_FAILED, SOCKS5_ERR_BAD_REPLY, 7 },
	/* truncated: the proxy stopped early, the engine still waits */
	{ NULL, "0500" "05000001" "7f0000", SOCKS5_NEED_MORE, SOCKS5_OK, 9 },
	{ NULL, "0500" "05000003" "05" "6162", SOCKS5_NEED_MORE, SOCKS5_OK, 9 },
	{ "u", "0502" "01", SOCKS5_NEED_MORE, SOCKS5_OK, 3 },
	{ NULL, "05", SOCKS5_NEED_MORE, SOCKS5_OK, 1 },
};

static void test_outcomes(void)
{
	static const size_t chunks[] = { 1, 2, 3, 600 };
	size_t i, j;

	for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
		const struct outcome *o = &outcomes[i];

		for (j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++) {
			size_t used, chunk = chunks[j];
			enum socks5_status st = script(o->user, o->reply, chunk, &used);

			if (st != o->st || socks5_error(&s5) != o->err || used != o->used)
				th_fail(__FILE__, __LINE__,
					"outcome %zu chunk %zu: status %d err %d used %zu, want %d %d %zu",
					i, chunk, (int)st, (int)socks5_error(&s5), used,
					(int)o->st, (int)o->err, o->used);
		}
	}
}

/* A 255-byte BND domain (any length is skipped correctly). */
static void test_long_bnd_domain(void)
{
	char hex[2 * 300 + 1];
	size_t used, i;

	strcpy(hex, "0500" "05000003" "ff");
	for (i = 0; i < 255; i++)
		strcat(hex, "61");
	strcat(hex, "0050" "0102");
	CHECK_EQ(script(NULL, hex, 600, &used), SOCKS5_DONE);
	CHECK_EQ(used, 2 + 5 + 255 + 2);
	CHECK_EQ(script(NULL, hex, 1, &used), SOCKS5_DONE);
	CHECK_EQ(used, 2 + 5 + 255 + 2);
}

struct code_case {
	uint8_t rep;
	enum socks5_error err;
	bool onion;
};

static const struct code_case codes[] = {
	{ 0x01, SOCKS5_ERR_GENERAL, false },
	{ 0x02, SOCKS5_ERR_NOT_ALLOWED, false },
	{ 0x03, SOCKS5_ERR_NET_UNREACHABLE, false },
	{ 0x04, SOCKS5_ERR_HOST_UNREACHABLE, false },
	{ 0x05, SOCKS5_ERR_REFUSED, false },
	{ 0x06, SOCKS5_ERR_TTL_EXPIRED, false },
	{ 0x07, SOCKS5_ERR_CMD_UNSUPPORTED, false },
	{ 0x08, SOCKS5_ERR_ATYP_UNSUPPORTED, false },
	{ 0xF0, SOCKS5_ERR_ONION_NOT_FOUND, true },
	{ 0xF1, SOCKS5_ERR_ONION_DESC_INVALID, true },
	{ 0xF2, SOCKS5_ERR_ONION_INTRO_FAILED, true },
	{ 0xF3, SOCKS5_ERR_ONION_REND_FAILED, true },
	{ 0xF4, SOCKS5_ERR_ONION_AUTH_MISSING, true },
	{ 0xF5, SOCKS5_ERR_ONION_AUTH_WRONG, true },
	{ 0xF6, SOCKS5_ERR_ONION_BAD_ADDRESS, true },
	{ 0xF7, SOCKS5_ERR_ONION_INTRO_TIMEOUT, true },
	{ 0x09, SOCKS5_ERR_UNKNOWN_REPLY, false },
	{ 0x80, SOCKS5_ERR_UNKNOWN_REPLY, false },
	{ 0xEF, SOCKS5_ERR_UNKNOWN_REPLY, false },
	{ 0xF8, SOCKS5_ERR_UNKNOWN_REPLY, false },
	{ 0xFF, SOCKS5_ERR_UNKNOWN_REPLY, false },
};

static void test_reply_codes(void)
{
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char hex[64];
		size_t used;

		/* tor's failure reply: 10 bytes, all-zero IPv4 */
		snprintf(hex, sizeof(hex), "0500" "05%02x0001000000000000", codes[i].rep);
		CHECK_EQ(script(NULL, hex, 600, &used), SOCKS5_FAILED);
		CHECK_EQ(used, 4);   /* decided at the REP byte */
		CHECK_EQ(socks5_error(&s5), codes[i].err);
		CHECK_EQ(socks5_reply_code(&s5), codes[i].rep);
		CHECK_EQ(socks5_error_is_onion(socks5_error(&s5)), codes[i].onion);
		CHECK(!struct_holds(&s5, "dest.onion"));
		/* a proxy that closes right after REP gives the same answer */
		snprintf(hex, sizeof(hex), "0500" "05%02x", codes[i].rep);
		CHECK_EQ(script(NULL, hex, 1, &used), SOCKS5_FAILED);
		CHECK_EQ(socks5_error(&s5), codes[i].err);
	}
	CHECK(strcmp(socks5_error_str(SOCKS5_ERR_ONION_NOT_FOUND),
		     "onion service not found (not published or offline)") == 0);
	CHECK(strcmp(socks5_error_str(SOCKS5_ERR_PROXY_TIMEOUT), "proxy connect timed out") == 0);
	CHECK(strcmp(socks5_error_str(SOCKS5_ERR_PROXY_REFUSED), "proxy refused the connection") == 0);
	CHECK(strcmp(socks5_error_str(SOCKS5_ERR_PROXY_CLOSED), "proxy closed the connection") == 0);
}

/* socks5_reply_received(): true only once the proxy sent the CONNECT
 * reply's REP byte, so a failure before it (e.g. 0x00 here) is never
 * reported as a REP code the proxy sent. */
static void test_reply_received(void)
{
	static const struct {
		const char *user, *reply;
		bool received;
		uint8_t rep;
	} rows[] = {
		{ NULL, "", false, 0 },                          /* nothing yet */
		{ NULL, "05", false, 0 },
		{ NULL, "05ff", false, 0 },                      /* no method */
		{ "u", "0502" "0101", false, 0 },                /* auth refused */
		{ "u", "0502", false, 0 },                       /* waits for auth */
		{ NULL, "0500", false, 0 },                      /* waits for the reply */
		{ NULL, "0500" "05", false, 0 },                 /* VER only */
		{ NULL, "0500" "04", false, 0 },                 /* bad VER */
		{ NULL, "0500" "0500", true, 0 },                /* REP 00, then closed */
		{ NULL, "0500" "0505", true, 5 },                /* refused by the proxy */
		{ NULL, "0500" "05f0", true, 0xF0 },
		{ NULL, "0500" "05000000", true, 0 },            /* bad ATYP after REP */
		{ NULL, "0500" "05000001" "7f000001" "0050", true, 0 },   /* done */
	};
	size_t i, used;
	struct socks5 zero;

	memset(&zero, 0, sizeof(zero));
	CHECK(!socks5_reply_received(&zero));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		(void)script(rows[i].user, rows[i].reply, 600, &used);
		if (socks5_reply_received(&s5) != rows[i].received)
			th_fail(__FILE__, __LINE__, "row %zu (%s): received=%d", i,
				rows[i].reply, (int)socks5_reply_received(&s5));
		CHECK_EQ(socks5_reply_code(&s5), rows[i].rep);
	}
	/* a new exchange forgets the last reply */
	CHECK(strcmp(request_for("again.example", 1), REQ_PREFIX "03" "0d"
		     "616761696e2e6578616d706c65" "0001") == 0);
	CHECK(!socks5_reply_received(&s5));
}

/* Every error has its own short string, with no host in it. */
static void test_error_strings(void)
{
	int a, b;

	for (a = SOCKS5_OK; a <= SOCKS5_ERR_PROXY_IO; a++) {
		const char *sa = socks5_error_str((enum socks5_error)a);

		CHECK(sa != NULL && strlen(sa) > 1 && strlen(sa) < 64);
		CHECK(strstr(sa, ".onion") == NULL && strstr(sa, "%") == NULL);
		for (b = a + 1; b <= SOCKS5_ERR_PROXY_IO; b++)
			CHECK(strcmp(sa, socks5_error_str((enum socks5_error)b)) != 0);
	}
	CHECK(!socks5_error_is_onion(SOCKS5_ERR_UNKNOWN_REPLY));
	CHECK(!socks5_error_is_onion(SOCKS5_ERR_REFUSED));
	CHECK(!socks5_error_is_onion(SOCKS5_OK));
}

/* After the end, input is not consumed and the status does not change. */
static void test_after_end(void)
{
	size_t used = 5;

	CHECK_EQ(script(NULL, "0500" "05000001" "00000000" "0000", 600, &used), SOCKS5_DONE);
	CHECK_EQ(feed_hex(&s5, "050000", &used), SOCKS5_DONE);
	CHECK_EQ(used, 0);
	CHECK_EQ(script(NULL, "05ff", 600, &used), SOCKS5_FAILED);
	CHECK_EQ(feed_hex(&s5, "0500", &used), SOCKS5_FAILED);
	CHECK_EQ(used, 0);
	CHECK_EQ(socks5_error(&s5), SOCKS5_ERR_NO_METHOD);
	CHECK_EQ((long)strlen(out_hex(&s5)), 0);
	/* the same struct starts again cleanly */
	CHECK(strcmp(request_for("again.example", 1), REQ_PREFIX "03" "0d"
		     "616761696e2e6578616d706c65" "0001") == 0);
	CHECK_EQ(socks5_error(&s5), SOCKS5_OK);
	CHECK_EQ(socks5_reply_code(&s5), 0);
}

int main(void)
{
	TH_RUN(test_request_bytes);
	TH_RUN(test_start_args);
	TH_RUN(test_not_started);
	TH_RUN(test_output_pacing);
	TH_RUN(test_auth_exchange);
	TH_RUN(test_outcomes);
	TH_RUN(test_long_bnd_domain);
	TH_RUN(test_reply_codes);
	TH_RUN(test_reply_received);
	TH_RUN(test_error_strings);
	TH_RUN(test_after_end);
	return th_finish();
}
