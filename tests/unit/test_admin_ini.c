/*
 * test_admin_ini.c - admin.ini (firmware/admin_ini.h): the sections on top
 * of a configuration (replace, add, remove), FILE:LINE errors with the
 * loader's messages, the API's changes and their records, the round trip
 * (a configuration's admin.ini, read back on top of the same file, gives
 * the same peers and routes), and a deterministic mutation run over the
 * reader (every mutated text is read without a crash; under ASan in the
 * asan preset).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "admin_ini.h"
#include "config.h"
#include "th.h"

static struct ilpd_conf conf, next;
static struct ilpd_conf_err err;
static char text[16384], out[65536];

#define BASE "[node]\naddress = test.a\n[btp]\nlisten = 127.0.0.1:1\n[admin]\nlisten = off\n" \
	     "[peer alice]\nrelation = child\ntoken = ta\n" \
	     "[peer bob]\nrelation = peer\ntoken = tb\nurl = ws://127.0.0.1:2/x\n" \
	     "[routes]\ntest.b = bob\ndefault = bob\n"

static int overlay(const char *ini)
{
	CHECK_EQ(ilpd_conf_load_string(&conf, "t.ini", BASE, &err), 0);
	(void)snprintf(text, sizeof(text), "%s", ini);
	return ilpd_admin_ini_load_text(&conf, "admin.ini", text, strlen(text), &err);
}

static void expect_err(int line, const char *ini, const char *want)
{
	int r = overlay(ini);

	if (r != -1 || strncmp(err.msg, want, strlen(want)) != 0)
		th_fail(__FILE__, line, "got %d \"%s\", want \"%s\"", r, r == 0 ? "" : err.msg,
			want);
}

#define EXPECT_ERR(ini, want) expect_err(__LINE__, ini, want)

static void test_overlay(void)
{
	int i;

	CHECK_EQ(overlay(""), 0);
	CHECK_EQ(conf.npeers, 2);
	CHECK_EQ(overlay("; c\n# c\n\n[peer carol]\nrelation = child\ntoken = tc\n"
			 "max_packet_amount = 10\n[routes]\ntest.c = carol\n"), 0);
	CHECK_EQ(conf.npeers, 3);
	i = ilpd_conf_peer_index(&conf, "carol");
	CHECK(i >= 0 && conf.peer[i].max_packet_amount == 10);
	CHECK(strcmp(conf.peer[i].asset_code, "XRP") == 0);   /* defaults as in a file */
	CHECK(ilpd_admin_ini_has_peer(&conf, "carol") && !ilpd_admin_ini_has_peer(&conf, "alice"));
	CHECK(ilpd_admin_ini_has_route(&conf, "test.c"));
	/* a [peer] of the file is replaced as a whole */
	CHECK_EQ(overlay("[peer alice]\nrelation = child\ntoken = ta2\n"), 0);
	i = ilpd_conf_peer_index(&conf, "alice");
	CHECK(i >= 0 && strcmp(conf.peer[i].token, "ta2") == 0);
	CHECK_EQ(conf.npeers, 2);
	/* removals; a stale one is ignored */
	CHECK_EQ(overlay("[removed]\nroute = test.b\nroute = default\npeer = bob\npeer = gone\n"
			 "route = test.zz\n"), 0);
	CHECK_EQ(conf.npeers, 1);
	CHECK_EQ(conf.nroutes, 0);
	CHECK(conf.default_route[0] == '\0');
	/* a route of the file is replaced */
	CHECK_EQ(overlay("[routes]\ntest.b = alice\n"), 0);
	CHECK(conf.nroutes == 1 && strcmp(conf.route[0].peer, "alice") == 0);
}

static void test_errors(void)
{
	EXPECT_ERR("[peer x]\nrelation = cousin\n",
		   "admin.ini:2: 'relation' must be parent, peer or child");
	EXPECT_ERR("[peer x]\nrelation = child\n", "admin.ini:1: missing 'token' in [peer x]");
	EXPECT_ERR("\n[peer x]\nrelation = child\ntoken = t\nbogus = 1\n",
		   "admin.ini:5: unknown key 'bogus' in [peer x]");
	EXPECT_ERR("[peer x]\nrelation = child\ntoken = t\ntoken = u\n",
		   "admin.ini:4: duplicate key 'token' in [peer x] (first at line 3)");
	EXPECT_ERR("[peer x]\nrelation = child\ntoken = ta\n",
		   "admin.ini:1: peer 'x' has the same token as peer 'alice'");
	EXPECT_ERR("[peer x]\nrelation = child\ntoken = t\n[peer x]\n", "admin.ini:4: duplicate peer 'x'");
	EXPECT_ERR("[node]\n", "admin.ini:1: unknown section [node] in admin.ini");
	EXPECT_ERR("key = 1\n", "admin.ini:1: key 'key' outside any section");
	EXPECT_ERR("[routes]\nnope\n", "admin.ini:2: syntax error");
	EXPECT_ERR("[routes]\ntest.q = nobody\n", "admin.ini:2: route to unknown peer 'nobody'");
	EXPECT_ERR("[routes]\nte..st = alice\n", "admin.ini:2: route prefix 'te..st' is not a valid");
	EXPECT_ERR("[removed]\npeer = bob\n", "admin.ini:0: route to unknown peer 'bob'");
	EXPECT_ERR("[removed]\nthing = bob\n", "admin.ini:2: unknown key 'thing' in [removed]");
	EXPECT_ERR("[peer x\n", "admin.ini:1: missing ']'");
	EXPECT_ERR("[routes] x\n", "admin.ini:1: text after ']'");
}

static void test_changes(void)
{
	const char *k[] = { "relation", "token", "max_balance" };
	const char *v[] = { "child", "td", "5" };
	const char *bk[] = { "relation" }, *bv[] = { "cousin" };
	struct ilpd_admin_err e;
	int i;

	CHECK_EQ(overlay(""), 0);
	ilpd_admin_ini_begin(&next, &conf);
	CHECK_EQ(ilpd_admin_ini_set_peer(&next, "dave", k, v, 3, &e), 0);
	CHECK_EQ(ilpd_admin_ini_set_peer(&next, "dave", bk, bv, 1, &e), -1);
	CHECK(e.status == 400 && strcmp(e.key, "relation") == 0 &&
	      strcmp(e.msg, "'relation' must be parent, peer or child") == 0);
	CHECK_EQ(ilpd_admin_ini_set_peer(&next, "alice", k + 2, v + 2, 1, &e), 0);
	CHECK_EQ(ilpd_admin_ini_del_peer(&next, "bob", &e), -1);
	CHECK_EQ(e.status, 409);
	CHECK_EQ(ilpd_admin_ini_del_route(&next, "test.b", &e), 0);
	CHECK_EQ(ilpd_admin_ini_del_route(&next, "test.b", &e), -1);
	CHECK_EQ(e.status, 404);
	CHECK_EQ(ilpd_admin_ini_set_route(&next, "default", "dave", false, &e), -1);
	CHECK_EQ(e.status, 409);
	CHECK_EQ(ilpd_admin_ini_set_route(&next, "default", "dave", true, &e), 0);
	CHECK_EQ(ilpd_admin_ini_del_peer(&next, "bob", &e), 0);
	CHECK_EQ(ilpd_admin_ini_del_peer(&next, "bob", &e), -1);
	CHECK_EQ(e.status, 404);
	CHECK_EQ(ilpd_admin_ini_check(&next, &e), 0);
	CHECK(ilpd_admin_ini_render(&next, out, sizeof(out)) > 0);
	CHECK(strstr(out, "[removed]\npeer = alice\npeer = bob\nroute = test.b\n"
		     "route = default\n") != NULL);
	CHECK(strstr(out, "[peer alice]\nrelation = child\ntoken = ta\n") != NULL);
	CHECK(strstr(out, "max_balance = 5\n") != NULL);
	CHECK(strstr(out, "[routes]\ndefault = dave\n") != NULL);
	/* read back on top of the same file: the same result */
	CHECK_EQ(ilpd_conf_load_string(&conf, "t.ini", BASE, &err), 0);
	CHECK_EQ(ilpd_admin_ini_load_text(&conf, "admin.ini", out, strlen(out), &err), 0);
	CHECK_EQ(conf.npeers, next.npeers);
	for (i = 0; i < (int)next.npeers; i++) {
		int j = ilpd_conf_peer_index(&conf, next.peer[i].name);

		CHECK(j >= 0);
		if (j < 0)
			continue;
		conf.peer[j].line = next.peer[i].line;
		CHECK(memcmp(&conf.peer[j], &next.peer[i], sizeof(next.peer[i])) == 0);
	}
	CHECK(strcmp(conf.default_route, "dave") == 0 && conf.nroutes == 0);
}

/* Every key of a [peer] at a value other than its default survives the
 * trip through admin.ini. */
static void test_round_trip(void)
{
	static const char full[] =
		"[peer zed]\nrelation = peer\nurl = wss://[::1]:4430/btp?x\ntoken = tz z\n"
		"username = zz\nasset_code = EUR\nasset_scale = 2\nrate = 0.0125\n"
		"max_packet_amount = 77\nmin_balance = -5\nmax_balance = 6\nsettle_threshold = -3\n"
		"tls_pin = 00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"
		"tls_server_name = example.org\nmax_in_flight = 3\nsend_routes = false\n"
		"receive_routes = true\nrate_limit = 9\nrate_limit_burst = 10\n"
		"throughput_in = 11\nthroughput_out = 12\n"
		"settlement_engine = http://127.0.0.1:3000/eng\nsettle_to = 4\n"
		"settlement_scale = 7\nallow_remote_engine = true\n";
	struct ilpd_peer_conf a;
	int i;

	if (overlay(full) != 0) {
		th_fail(__FILE__, __LINE__, "%s", err.msg);
		return;
	}
	i = ilpd_conf_peer_index(&conf, "zed");
	CHECK(i >= 0);
	if (i < 0)
		return;
	a = conf.peer[i];
	CHECK(ilpd_admin_ini_render(&conf, out, sizeof(out)) > 0);
	CHECK_EQ(ilpd_conf_load_string(&conf, "t.ini", BASE, &err), 0);
	if (ilpd_admin_ini_load_text(&conf, "admin.ini", out, strlen(out), &err) != 0) {
		th_fail(__FILE__, __LINE__, "%s\n%s", err.msg, out);
		return;
	}
	i = ilpd_conf_peer_index(&conf, "zed");
	CHECK(i >= 0);
	if (i < 0)
		return;
	conf.peer[i].line = a.line;
	conf.peer[i].settle_line = a.settle_line;
	conf.peer[i].settle_to_line = a.settle_to_line;
	conf.peer[i].settle_scale_line = a.settle_scale_line;
	if (memcmp(&conf.peer[i], &a, sizeof(a)) != 0)
		th_fail(__FILE__, __LINE__, "round trip differs:\n%s", out);
}

/* A unix socket engine is written back as unix:/PATH and read back the
 * same. */
static void test_round_trip_unix(void)
{
	static const char full[] =
		"[peer yan]\nrelation = peer\ntoken = ty\n"
		"settlement_engine = unix:/run/ilpd/yan engine.sock\n";
	struct ilpd_peer_conf a;
	int i;

	if (overlay(full) != 0) {
		th_fail(__FILE__, __LINE__, "%s", err.msg);
		return;
	}
	i = ilpd_conf_peer_index(&conf, "yan");
	CHECK(i >= 0);
	if (i < 0)
		return;
	a = conf.peer[i];
	CHECK(ilpd_url_is_unix(&a.settle_url));
	CHECK(ilpd_admin_ini_render(&conf, out, sizeof(out)) > 0);
	CHECK(strstr(out, "settlement_engine = unix:/run/ilpd/yan engine.sock\n") != NULL);
	CHECK_EQ(ilpd_conf_load_string(&conf, "t.ini", BASE, &err), 0);
	if (ilpd_admin_ini_load_text(&conf, "admin.ini", out, strlen(out), &err) != 0) {
		th_fail(__FILE__, __LINE__, "%s\n%s", err.msg, out);
		return;
	}
	i = ilpd_conf_peer_index(&conf, "yan");
	CHECK(i >= 0);
	if (i < 0)
		return;
	conf.peer[i].line = a.line;
	conf.peer[i].settle_line = a.settle_line;
	if (memcmp(&conf.peer[i], &a, sizeof(a)) != 0)
		th_fail(__FILE__, __LINE__, "round trip differs:\n%s", out);
}

/* Mutations of a valid admin.ini: none crashes or reads past its text. */
static void test_mutations(void)
{
	static const char seed[] =
		"[removed]\npeer = alice\npeer = bob\nroute = test.b\n"
		     "route = default\n"
		"[peer carol]\nrelation = child\ntoken = tc\nrate = 1.5\nurl = ws://h:1/p\n"
		"[routes]\ntest.c = carol\ndefault = carol\n";
	static const char alphabet[] = "[]=;#\n\r\t .\0x-9aZ\xef\xbb\xbf";
	uint32_t x = 12345;
	size_t n = sizeof(seed) - 1;
	int round, m;

	for (round = 0; round < 20000; round++) {
		size_t len = n;

		memcpy(text, seed, n);
		for (m = 0; m < 1 + round % 4; m++) {
			size_t pos;

			x = x * 1103515245u + 12345u;
			pos = (x >> 8) % (len + 1);
			x = x * 1103515245u + 12345u;
			switch ((x >> 16) % 3) {
			case 0:   /* replace */
				if (pos < len)
					text[pos] = alphabet[(x >> 4) % (sizeof(alphabet) - 1)];
				break;
			case 1:   /* delete */
				if (pos < len) {
					memmove(text + pos, text + pos + 1, len - pos - 1);
					len--;
				}
				break;
			default:  /* insert */
				memmove(text + pos + 1, text + pos, len - pos);
				text[pos] = alphabet[(x >> 4) % (sizeof(alphabet) - 1)];
				len++;
				break;
			}
		}
		CHECK_EQ(ilpd_conf_load_string(&conf, "t.ini", BASE, &err), 0);
		if (ilpd_admin_ini_load_text(&conf, "admin.ini", text, len, &err) != 0)
			CHECK(strncmp(err.msg, "admin.ini:", 10) == 0 || strncmp(err.msg, "t.ini:", 6) == 0);
	}
}

int main(void)
{
	TH_RUN(test_overlay);
	TH_RUN(test_errors);
	TH_RUN(test_changes);
	TH_RUN(test_round_trip);
	TH_RUN(test_round_trip_unix);
	TH_RUN(test_mutations);
	return th_finish();
}
