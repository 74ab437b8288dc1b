/*
 * test_torctl.c - the tor control protocol engine (net/torctl.h): the
 * reply reader on transcripts in the shape of control-spec's examples and
 * of what Debian's tor 0.4.9 sends, split at every byte; overlong lines,
 * NUL bytes and garbage; the command builders (escaping, refusals,
 * overflow); the PROTOCOLINFO, bootstrap, ADD_ONION and HS_DESC parsers;
 * SAFECOOKIE: the AUTHCHALLENGE builder and reply parser (short, long,
 * non-hex, quoted, repeated and missing values refused) and both HMACs
 * against values computed independently (Python's hmac module).
 */
#include <string.h>

#include "net/torctl.h"
#include "th.h"

#define ID "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd"

/* Everything the reader yields for one input, as text: one line per
 * reader line, "<kind><status><sep>|<text>". */
struct got {
	char text[4096];
	size_t len;
	int lines;
	int rc;          /* ILP_OK, or the first error */
};

static void got_add(struct got *g, const struct torctl_line *l)
{
	static const char kinds[] = "RDE";
	int n = snprintf(g->text + g->len, sizeof(g->text) - g->len, "%c%d%c%s|%s\n",
			 kinds[l->kind], l->status, l->sep, l->async ? "a" : "",
			 l->text);

	CHECK(strlen(l->text) == l->len);
	if (n > 0 && (size_t)n < sizeof(g->text) - g->len)
		g->len += (size_t)n;
	g->lines++;
}

/* Feeds in[0..n) in chunks of `step` bytes (0: all at once). */
static void feed(const char *in, size_t n, size_t step, struct got *g)
{
	struct torctl_reader r;
	struct torctl_line l;
	size_t off = 0, used;

	memset(g, 0, sizeof(*g));
	torctl_reader_init(&r);
	while (off < n) {
		size_t k = step == 0 || n - off < step ? n - off : step;
		size_t c = 0;

		while (c < k) {
			int rc = torctl_read(&r, (const uint8_t *)in + off + c, k - c, &used, &l);

			CHECK(used > 0 && used <= k - c);
			c += used;
			if (rc == ILP_ERR_NEED_MORE) {
				CHECK(c == k);
				break;
			}
			if (rc != ILP_OK) {
				if (g->rc == ILP_OK)
					g->rc = rc;
				return;
			}
			got_add(g, &l);
		}
		off += k;
	}
}

static const char protocolinfo_reply[] =
	"250-PROTOCOLINFO 1\r\n"
	"250-AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD "
	"COOKIEFILE=\"/var/run/tor/control.authcookie\"\r\n"
	"250-VERSION Tor=\"0.4.9.1-alpha\"\r\n"
	"250 OK\r\n";

static void test_reader_transcript(void)
{
	const char *want =
		"R250-|PROTOCOLINFO 1\n"
		"R250-|AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD "
		"COOKIEFILE=\"/var/run/tor/control.authcookie\"\n"
		"R250-|VERSION Tor=\"0.4.9.1-alpha\"\n"
		"R250 |OK\n";
	struct got g;
	size_t step, n = strlen(protocolinfo_reply);

	for (step = 0; step <= n; step++) {
		feed(protocolinfo_reply, n, step, &g);
		CHECK_EQ(g.rc, ILP_OK);
		CHECK_EQ(g.lines, 4);
		if (strcmp(g.text, want) != 0) {
			th_fail(__FILE__, __LINE__, "step %zu: got\n%s", step, g.text);
			break;
		}
	}
}

/* A '+' data block (control-spec 2.3 / 4.1 shape), dot-stuffed lines, an
 * event in between, and bare LF line ends. */
static void test_reader_data_and_events(void)
{
	static const char in[] =
		"650 HS_DESC UPLOADED " ID " UNKNOWN $AAAA~relay\r\n"
		"250+config-text=\r\n"
		"SocksPort 9050\r\n"
		"..hidden\r\n"
		"\n"
		"\r\n"
		".\r\n"
		"250 OK\n"
		"650-STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED\r\n"
		"650 OK\r\n";
	const char *want =
		"R650 a|HS_DESC UPLOADED " ID " UNKNOWN $AAAA~relay\n"
		"R250+|config-text=\n"
		"D250+|SocksPort 9050\n"
		"D250+|.hidden\n"
		"D250+|\n"
		"D250+|\n"
		"E250+|\n"
		"R250 |OK\n"
		"R650-a|STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED\n"
		"R650 a|OK\n";
	struct got g;
	size_t step, n = strlen(in);

	for (step = 0; step <= n; step++) {
		feed(in, n, step, &g);
		CHECK_EQ(g.rc, ILP_OK);
		if (strcmp(g.text, want) != 0) {
			th_fail(__FILE__, __LINE__, "step %zu: got\n%s", step, g.text);
			break;
		}
	}
}

static void test_reader_refusals(void)
{
	static char line[TORCTL_LINE_MAX + 16];
	static const char *bad[] = {
		"hello\r\n", "25 OK\r\n", "2500OK\r\n", "199 x\r\n", "750 x\r\n",
		"250\r\n", "25x OK\r\n", "\r\n", "250*OK\r\n",
	};
	struct torctl_reader r;
	struct torctl_line l;
	struct got g;
	size_t i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		feed(bad[i], strlen(bad[i]), 0, &g);
		CHECK_EQ(g.rc, ILP_ERR_INVALID);
	}
	/* NUL inside a line */
	feed("250 O\0K\r\n", 9, 0, &g);
	CHECK_EQ(g.rc, ILP_ERR_INVALID);
	/* exactly TORCTL_LINE_MAX characters pass, one more fails */
	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	memcpy(line + TORCTL_LINE_MAX, "\r\n", 2);
	feed(line, TORCTL_LINE_MAX + 2, 7, &g);
	CHECK_EQ(g.rc, ILP_OK);
	CHECK_EQ(g.lines, 1);
	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	memcpy(line + TORCTL_LINE_MAX + 1, "\r\n", 2);
	feed(line, TORCTL_LINE_MAX + 3, 0, &g);
	CHECK_EQ(g.rc, ILP_ERR_INVALID);
	/* without any line end: refused as soon as it is too long */
	torctl_reader_init(&r);
	CHECK_EQ(torctl_read(&r, (const uint8_t *)line, TORCTL_LINE_MAX + 1, &used, &l),
		 ILP_ERR_NEED_MORE);
	CHECK_EQ(torctl_read(&r, (const uint8_t *)"x", 1, &used, &l), ILP_ERR_INVALID);
	/* sticky */
	CHECK_EQ(torctl_read(&r, (const uint8_t *)"250 OK\r\n", 8, &used, &l),
		 ILP_ERR_INVALID);
	CHECK_EQ(used, 8);
}

static void test_reader_data_limit(void)
{
	static char in[TORCTL_DATA_MAX + 4096];
	struct got g;
	size_t n = 0;

	n += (size_t)snprintf(in, sizeof(in), "250+x=\r\n");
	while (n + 1002 < sizeof(in) - 16) {
		memset(in + n, 'd', 1000);
		memcpy(in + n + 1000, "\r\n", 2);
		n += 1002;
	}
	memcpy(in + n, ".\r\n250 OK\r\n", 11);
	n += 11;
	feed(in, n, 0, &g);
	CHECK_EQ(g.rc, ILP_ERR_INVALID);
}

static void test_cmd_builders(void)
{
	static const uint8_t cookie[4] = { 0x00, 0x9f, 0xa0, 0xff };
	char out[TORCTL_CMD_MAX], small[8];
	size_t len = 99;

	CHECK_EQ(torctl_cmd_protocolinfo(out, sizeof(out), &len), ILP_OK);
	CHECK(len == 16 && memcmp(out, "PROTOCOLINFO 1\r\n", 16) == 0);
	CHECK_EQ(torctl_cmd_auth_cookie(out, sizeof(out), cookie, 4, &len), ILP_OK);
	CHECK(strcmp(out, "AUTHENTICATE 009fa0ff\r\n") == 0 && len == 23);
	CHECK_EQ(torctl_cmd_auth_password(out, sizeof(out), "a\"b\\c\nd\x7f", &len), ILP_OK);
	CHECK(strcmp(out, "AUTHENTICATE \"a\\\"b\\\\c\\012d\\177\"\r\n") == 0);
	CHECK_EQ(torctl_cmd_auth_password(out, sizeof(out), "", &len), ILP_OK);
	CHECK(strcmp(out, "AUTHENTICATE \"\"\r\n") == 0);
	CHECK_EQ(torctl_cmd_getinfo(out, sizeof(out), "status/bootstrap-phase", &len), ILP_OK);
	CHECK(strcmp(out, "GETINFO status/bootstrap-phase\r\n") == 0);
	CHECK_EQ(torctl_cmd_setevents(out, sizeof(out), "HS_DESC STATUS_CLIENT", &len), ILP_OK);
	CHECK(strcmp(out, "SETEVENTS HS_DESC STATUS_CLIENT\r\n") == 0);
	CHECK_EQ(torctl_cmd_add_onion(out, sizeof(out), NULL, 7768, "127.0.0.1", 7768, &len),
		 ILP_OK);
	CHECK(strcmp(out, "ADD_ONION NEW:ED25519-V3 Port=7768,127.0.0.1:7768\r\n") == 0);
	CHECK_EQ(torctl_cmd_add_onion(out, sizeof(out), "ED25519-V3:YWJj+/==", 80, "::1",
				      9, &len), ILP_OK);
	CHECK(strcmp(out, "ADD_ONION ED25519-V3:YWJj+/== Port=80,[::1]:9\r\n") == 0);
	CHECK_EQ(torctl_cmd_del_onion(out, sizeof(out), ID, &len), ILP_OK);
	CHECK(strcmp(out, "DEL_ONION " ID "\r\n") == 0);
	CHECK_EQ(torctl_cmd_signal(out, sizeof(out), "SHUTDOWN", &len), ILP_OK);
	CHECK(strcmp(out, "SIGNAL SHUTDOWN\r\n") == 0);
	CHECK_EQ(torctl_cmd_takeownership(out, sizeof(out), &len), ILP_OK);
	CHECK(strcmp(out, "TAKEOWNERSHIP\r\n") == 0);
	/* refusals: injection, bad key, bad id, overflow */
	CHECK_EQ(torctl_cmd_getinfo(out, sizeof(out), "a\r\nSIGNAL HALT", &len), ILP_ERR_ARG);
	CHECK_EQ(len, 0);
	CHECK_EQ(torctl_cmd_getinfo(out, sizeof(out), "a b", &len), ILP_ERR_ARG);
	CHECK_EQ(torctl_cmd_getinfo(out, sizeof(out), "", &len), ILP_ERR_ARG);
	CHECK_EQ(torctl_cmd_setevents(out, sizeof(out), "HS_DESC ", &len), ILP_ERR_ARG);
	CHECK_EQ(torctl_cmd_setevents(out, sizeof(out), "A  B", &len), ILP_ERR_ARG);
	CHECK_EQ(torctl_cmd_add_onion(out, sizeof(out), "ED25519-V3:a b", 1, "127.0.0.1",
				      1, &len), ILP_ERR_ARG);
	CHECK_EQ(torctl_cmd_add_onion(out, sizeof(out), "nokey", 1, "127.0.0.1", 1, &len),
		 ILP_ERR_ARG);
	CHECK_EQ(torctl_cmd_add_onion(out, sizeof(out), NULL, 0, "127.0.0.1", 1, &len),
		 ILP_ERR_ARG);
	CHECK_EQ(torctl_cmd_add_onion(out, sizeof(out), NULL, 1, "1.2.3.4,x", 1, &len),
		 ILP_ERR_ARG);
	CHECK_EQ(torctl_cmd_del_onion(out, sizeof(out), "NOTANID", &len), ILP_ERR_ARG);
	CHECK_EQ(torctl_cmd_protocolinfo(small, sizeof(small), &len), ILP_ERR_OVERFLOW);
	CHECK_EQ(len, 0);
	CHECK_EQ(torctl_cmd_protocolinfo(out, 16, &len), ILP_OK);   /* no room for NUL */
	CHECK_EQ(torctl_cmd_protocolinfo(out, 15, &len), ILP_ERR_OVERFLOW);
}

static void test_password_worst_case(void)
{
	char pw[TORCTL_PASSWORD_MAX + 2], out[TORCTL_CMD_MAX];
	size_t len;

	memset(pw, '\x01', sizeof(pw));
	pw[TORCTL_PASSWORD_MAX] = '\0';
	CHECK_EQ(torctl_cmd_auth_password(out, sizeof(out), pw, &len), ILP_OK);
	CHECK_EQ(len, 14 + 4 * TORCTL_PASSWORD_MAX + 1 + 2);
	pw[TORCTL_PASSWORD_MAX] = '\x01';
	pw[TORCTL_PASSWORD_MAX + 1] = '\0';
	CHECK_EQ(torctl_cmd_auth_password(out, sizeof(out), pw, &len), ILP_ERR_ARG);
}

static void test_unquote(void)
{
	char out[32];
	size_t used;

	CHECK_EQ(torctl_unquote("\"a\\\"b\\\\c\\n\\101\\x41\" rest", 24, out, sizeof(out),
				&used), ILP_OK);
	CHECK(strcmp(out, "a\"b\\c\nAA") == 0);
	CHECK_EQ(used, 19);
	CHECK_EQ(torctl_unquote("\"\"", 2, out, sizeof(out), &used), ILP_OK);
	CHECK(out[0] == '\0' && used == 2);
	CHECK_EQ(torctl_unquote("\"abc", 4, out, sizeof(out), &used), ILP_ERR_INVALID);
	CHECK_EQ(torctl_unquote("\"a\\", 3, out, sizeof(out), &used), ILP_ERR_INVALID);
	CHECK_EQ(torctl_unquote("\"\\q\"", 4, out, sizeof(out), &used), ILP_ERR_INVALID);
	CHECK_EQ(torctl_unquote("\"\\000\"", 6, out, sizeof(out), &used), ILP_ERR_INVALID);
	CHECK_EQ(torctl_unquote("\"\\777\"", 6, out, sizeof(out), &used), ILP_ERR_INVALID);
	CHECK_EQ(torctl_unquote("\"\\x4\"", 5, out, sizeof(out), &used), ILP_ERR_INVALID);
	CHECK_EQ(torctl_unquote("abc", 3, out, sizeof(out), &used), ILP_ERR_INVALID);
	CHECK_EQ(torctl_unquote("\"abcdef\"", 8, out, 4, &used), ILP_ERR_OVERFLOW);
	CHECK(strcmp(out, "abc") == 0);
}

static void test_protocolinfo(void)
{
	struct torctl_protocolinfo pi;
	const char *l1 = "AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD "
			 "COOKIEFILE=\"/run/tor/a \\\"b\\\".cookie\"";
	const char *l2 = "AUTH METHODS=NULL,FOO";
	const char *l3 = "AUTH METHODS=HASHEDPASSWORD";

	torctl_protocolinfo_init(&pi);
	CHECK_EQ(torctl_parse_protocolinfo(&pi, "PROTOCOLINFO 1", 14), ILP_OK);
	CHECK_EQ(torctl_parse_protocolinfo(&pi, l1, strlen(l1)), ILP_OK);
	CHECK_EQ(torctl_parse_protocolinfo(&pi, "VERSION Tor=\"0.4.9.1\"", 21), ILP_OK);
	CHECK_EQ(torctl_parse_protocolinfo(&pi, "OK", 2), ILP_OK);
	CHECK(pi.have_auth);
	CHECK_EQ(pi.methods, TORCTL_AUTH_COOKIE | TORCTL_AUTH_SAFECOOKIE |
		 TORCTL_AUTH_HASHEDPASSWORD);
	CHECK(strcmp(pi.cookie_file, "/run/tor/a \"b\".cookie") == 0);
	torctl_protocolinfo_init(&pi);
	CHECK_EQ(torctl_parse_protocolinfo(&pi, l2, strlen(l2)), ILP_OK);
	CHECK_EQ(pi.methods, TORCTL_AUTH_NULL);
	CHECK(pi.cookie_file[0] == '\0');
	torctl_protocolinfo_init(&pi);
	CHECK_EQ(torctl_parse_protocolinfo(&pi, l3, strlen(l3)), ILP_OK);
	CHECK_EQ(pi.methods, TORCTL_AUTH_HASHEDPASSWORD);
	/* malformed */
	CHECK_EQ(torctl_parse_protocolinfo(&pi, "AUTH COOKIEFILE=\"/x", 19), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_protocolinfo(&pi, "AUTH COOKIEFILE=/x", 18), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_protocolinfo(&pi, "AUTH COOKIEFILE=\"a\"b", 20),
		 ILP_ERR_INVALID);
}

static void test_bootstrap(void)
{
	struct torctl_bootstrap b;
	const char *g = "status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done "
			"SUMMARY=\"Done\"";
	const char *e = "STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=14 TAG=handshake "
			"SUMMARY=\"Handshaking with a relay\"";
	const char *w = "status/bootstrap-phase=WARN BOOTSTRAP PROGRESS=0 TAG=starting "
			"SUMMARY=\"Starting\" WARNING=\"Network is unreachable\" "
			"REASON=NOROUTE COUNT=1 RECOMMENDATION=warn";

	CHECK_EQ(torctl_parse_bootstrap(g, strlen(g), &b), ILP_OK);
	CHECK(b.progress == 100 && strcmp(b.tag, "done") == 0 &&
	      strcmp(b.summary, "Done") == 0);
	CHECK_EQ(torctl_parse_bootstrap(e, strlen(e), &b), ILP_OK);
	CHECK(b.progress == 14 && strcmp(b.summary, "Handshaking with a relay") == 0);
	CHECK_EQ(torctl_parse_bootstrap(w, strlen(w), &b), ILP_OK);
	CHECK_EQ(b.progress, 0);
	CHECK_EQ(torctl_parse_bootstrap("BOOTSTRAP TAG=x", 15, &b), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_bootstrap("PROGRESS=5", 10, &b), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_bootstrap("BOOTSTRAP PROGRESS=101", 22, &b), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_bootstrap("BOOTSTRAP PROGRESS=-1", 21, &b), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_bootstrap("BOOTSTRAP PROGRESS=", 19, &b), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_bootstrap("BOOTSTRAP PROGRESS=5 SUMMARY=\"x", 31, &b),
		 ILP_ERR_INVALID);
}

static void test_add_onion_and_hs_desc(void)
{
	struct torctl_onion o;
	struct torctl_hs_desc ev;
	const char *key = "PrivateKey=ED25519-V3:8Ekj6uX6QzzKyvRzTnWjyzFLuBCtMxLnz5qzwtfwlG"
			  "qfNlD6T1uFcCgN5vkdGqtszBiCPTdh5QTDKEB3tGVAYw==";
	const char *up = "HS_DESC UPLOADED " ID " UNKNOWN "
			 "$F1B8D4C1A0D9AE43F3BD1D5C6D4F8C2BDA8C4F34~relay "
			 "HSDIR_INDEX=abc";

	torctl_onion_init(&o);
	CHECK_EQ(torctl_parse_add_onion(&o, "ServiceID=" ID, 10 + strlen(ID)), ILP_OK);
	CHECK_EQ(torctl_parse_add_onion(&o, key, strlen(key)), ILP_OK);
	CHECK_EQ(torctl_parse_add_onion(&o, "OK", 2), ILP_OK);
	CHECK(strcmp(o.id, ID) == 0);
	CHECK(strncmp(o.key, "ED25519-V3:8Ekj", 15) == 0 && strlen(o.key) == 99);
	CHECK_EQ(torctl_parse_add_onion(&o, "ServiceID=ABC", 13), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_add_onion(&o, "PrivateKey=ED25519-V3:a\"b", 25),
		 ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_add_onion(&o, "PrivateKey=:abc", 15), ILP_ERR_INVALID);

	CHECK_EQ(torctl_parse_hs_desc(up, strlen(up), &ev), ILP_OK);
	CHECK(ev.action == TORCTL_HS_UPLOADED && strcmp(ev.address, ID) == 0);
	CHECK_EQ(torctl_parse_hs_desc("HS_DESC FAILED " ID " NO_AUTH $X REASON=UPLOAD_REJECTED",
				      15 + strlen(ID) + 37, &ev), ILP_OK);
	CHECK_EQ(ev.action, TORCTL_HS_FAILED);
	CHECK_EQ(torctl_parse_hs_desc("HS_DESC UPLOAD " ID " UNKNOWN $X", 15 + strlen(ID) + 11,
				      &ev), ILP_OK);
	CHECK_EQ(ev.action, TORCTL_HS_UPLOAD);
	CHECK_EQ(torctl_parse_hs_desc("HS_DESC REQUESTED UNKNOWN x", 27, &ev), ILP_OK);
	CHECK(ev.action == TORCTL_HS_OTHER && ev.address[0] == '\0');
	CHECK_EQ(torctl_parse_hs_desc("HS_DESC UPLOADED nope x", 23, &ev), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_hs_desc("HS_DESC UPLOADED", 16, &ev), ILP_ERR_INVALID);
	CHECK_EQ(torctl_parse_hs_desc("CIRC 1 BUILT", 12, &ev), ILP_ERR_NOT_FOUND);
	CHECK(torctl_id_valid(ID, 56));
	CHECK(!torctl_id_valid(ID "a", 57));
	CHECK(!torctl_id_valid("vww6ybal4bd7szm1", 16));
}

#define H64A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define H64B "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F"

static void test_authchallenge(void)
{
	struct torctl_challenge c;
	uint8_t nonce[TORCTL_NONCE_LEN];
	char out[128], big[200];
	size_t len = 0, i;
	const char *ok = "AUTHCHALLENGE SERVERHASH=" H64A " SERVERNONCE=" H64B;
	const char *bad[] = {
		"AUTHCHALLENGE SERVERHASH=" H64A,
		"AUTHCHALLENGE SERVERNONCE=" H64B,
		"AUTHCHALLENGEX SERVERHASH=" H64A " SERVERNONCE=" H64B,
		"AUTHCHALLENGE=1 SERVERHASH=" H64A " SERVERNONCE=" H64B,
		"SERVERHASH=" H64A " SERVERNONCE=" H64B,
		"AUTHCHALLENGE SERVERHASH=" H64A "0 SERVERNONCE=" H64B,
		"AUTHCHALLENGE SERVERHASH=0" H64A " SERVERNONCE=" H64B,
		"AUTHCHALLENGE SERVERHASH=" H64A " SERVERNONCE=4041",
		"AUTHCHALLENGE SERVERHASH= SERVERNONCE=" H64B,
		"AUTHCHALLENGE SERVERHASH SERVERNONCE=" H64B,
		"AUTHCHALLENGE SERVERHASH=\"" H64A "\" SERVERNONCE=" H64B,
		"AUTHCHALLENGE SERVERHASH=" H64A " SERVERHASH=" H64A " SERVERNONCE=" H64B,
		"AUTHCHALLENGE SERVERHASH=" H64A " SERVERNONCE=" H64B " SERVERNONCE=" H64B,
		"AUTHCHALLENGE SERVERHASH=g00102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f SERVERNONCE=" H64B,
		"",
	};

	for (i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	CHECK_EQ(torctl_cmd_authchallenge(out, sizeof(out), nonce, &len), ILP_OK);
	CHECK(strcmp(out, "AUTHCHALLENGE SAFECOOKIE a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
			  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf\r\n") == 0);
	CHECK_EQ(len, strlen(out));
	CHECK_EQ(torctl_cmd_authchallenge(out, 90, nonce, &len), ILP_ERR_OVERFLOW);
	CHECK_EQ(len, 0);

	CHECK_EQ(torctl_parse_authchallenge(ok, strlen(ok), &c), ILP_OK);
	for (i = 0; i < 32; i++) {
		CHECK_EQ(c.server_hash[i], i);
		CHECK_EQ(c.server_nonce[i], 0x40 + i);
	}
	/* unknown words are allowed (the spec may add some) */
	(void)snprintf(big, sizeof(big), "AUTHCHALLENGE X=\"a b\" SERVERNONCE=%s "
		       "FUTURE SERVERHASH=%s", H64B, H64A);
	CHECK_EQ(torctl_parse_authchallenge(big, strlen(big), &c), ILP_OK);
	CHECK_EQ(c.server_hash[31], 0x1f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0x77, sizeof(c));
		CHECK_EQ(torctl_parse_authchallenge(bad[i], strlen(bad[i]), &c),
			 ILP_ERR_INVALID);
		CHECK_EQ(c.server_hash[0], 0);
		CHECK_EQ(c.server_nonce[31], 0);
	}
	/* never reads past n: the same text cut short */
	CHECK_EQ(torctl_parse_authchallenge(ok, strlen(ok) - 1, &c), ILP_ERR_INVALID);
}

static void test_safecookie_hashes(void)
{
	uint8_t m[96], sh[TORCTL_HASH_LEN], ch[TORCTL_HASH_LEN];
	char hex[2 * TORCTL_HASH_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	/* cookie 00..1f, client nonce 20..3f, server nonce 40..5f */
	torctl_safecookie(m, m + 32, m + 64, sh, ch);
	th_hex(sh, sizeof(sh), hex);
	CHECK(strcmp(hex, "3c8780ab52365c0d080750447e5f64da"
			  "bc00428c6c434579c2043e18c1f85389") == 0);
	th_hex(ch, sizeof(ch), hex);
	CHECK(strcmp(hex, "b47642df2d5abb84f69e6d02d41bed6b"
			  "44aee33e69562528a82166fc98bc0b1e") == 0);
	m[95] ^= 1;
	torctl_safecookie(m, m + 32, m + 64, sh, ch);
	th_hex(sh, sizeof(sh), hex);
	CHECK(strcmp(hex, "3c8780ab52365c0d080750447e5f64da"
			  "bc00428c6c434579c2043e18c1f85389") != 0);
}

int main(void)
{
	TH_RUN(test_reader_transcript);
	TH_RUN(test_reader_data_and_events);
	TH_RUN(test_reader_refusals);
	TH_RUN(test_reader_data_limit);
	TH_RUN(test_cmd_builders);
	TH_RUN(test_password_worst_case);
	TH_RUN(test_unquote);
	TH_RUN(test_protocolinfo);
	TH_RUN(test_bootstrap);
	TH_RUN(test_add_onion_and_hs_desc);
	TH_RUN(test_authchallenge);
	TH_RUN(test_safecookie_hashes);
	return th_finish();
}
