/*
 * test_config_settle.c - the settlement keys (firmware/config_settle.c):
 * per-peer settlement_engine, settle_to, settlement_scale,
 * allow_remote_engine, and [settlement] listen / allow_remote; defaults,
 * the cross-key rules and their "file:line: message" errors; engines on a
 * unix socket (unix:/PATH).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "hal/hal_net.h"
#include "th.h"

static struct ilpd_conf conf;
static struct ilpd_conf_err err;

static int load(const char *text)
{
	memset(&err, 0x5a, sizeof(err));
	return ilpd_conf_load_string(&conf, "t.ini", text, &err);
}

static void expect_err(int line, const char *text, const char *want)
{
	int r = load(text);

	if (r != -1 || strncmp(err.msg, want, strlen(want)) != 0)
		th_fail(__FILE__, line, "got %d \"%s\", want \"%s\"", r,
			r == 0 ? "" : err.msg, want);
}

static void expect_ok(int line, const char *text)
{
	if (load(text) != 0)
		th_fail(__FILE__, line, "unexpected error: %s", err.msg);
}

#define EXPECT_ERR(text, want) expect_err(__LINE__, text, want)
#define EXPECT_OK(text) expect_ok(__LINE__, text)

#define NODE "[node]\naddress = test.x\nasset_scale = 6\n"
#define P "[peer bob]\nrelation = peer\ntoken = t\nurl = ws://127.0.0.1:1/\n"

static void test_defaults(void)
{
	const struct ilpd_peer_conf *p;

	EXPECT_OK(NODE P);
	p = &conf.peer[0];
	CHECK(!p->settle_engine);
	CHECK(!p->allow_remote_engine);
	CHECK_EQ(p->settle_to, 0);
	CHECK_EQ(p->settle_scale, 6);
	CHECK(p->settle_threshold == INT64_MAX);
	CHECK(!conf.settlement_listen.enabled);
	CHECK(!conf.settlement_allow_remote);
}

static void test_full(void)
{
	const struct ilpd_peer_conf *p;

	EXPECT_OK(NODE P
		  "settlement_engine = http://127.0.0.1:3000\n"
		  "settle_threshold = -1000\n"
		  "settle_to = -10\n"
		  "settlement_scale = 9\n"
		  "[settlement]\nlisten = 127.0.0.1:7771\n");
	p = &conf.peer[0];
	CHECK(p->settle_engine);
	CHECK(strcmp(p->settle_url.host, "127.0.0.1") == 0);
	CHECK_EQ(p->settle_url.port, 3000);
	CHECK(strcmp(p->settle_url.path, "") == 0);
	CHECK_EQ(p->settle_threshold, -1000);
	CHECK_EQ(p->settle_to, -10);
	CHECK_EQ(p->settle_scale, 9);
	CHECK(conf.settlement_listen.enabled);
	CHECK_EQ(conf.settlement_listen.port, 7771);

	EXPECT_OK(NODE P "settlement_engine = http://localhost/eng/\n");
	p = &conf.peer[0];
	CHECK_EQ(p->settle_url.port, 80);
	CHECK(strcmp(p->settle_url.path, "/eng") == 0);
	EXPECT_OK(NODE P "settlement_engine = http://[::1]:3000\n");
	EXPECT_OK(NODE P "settlement_engine = http://10.1.2.3:3000\n"
		  "allow_remote_engine = true\n");
	EXPECT_OK(NODE P "settlement_engine = none\n");
	CHECK(!conf.peer[0].settle_engine);
	EXPECT_OK(NODE P "[settlement]\nlisten = 0.0.0.0:7771\nallow_remote = yes\n");
	EXPECT_OK(NODE P "[settlement]\nlisten = off\n");
	CHECK(!conf.settlement_listen.enabled);
	/* the threshold alone (no engine) stays as before: no rule */
	EXPECT_OK(NODE P "settle_threshold = 5\n");
}

static void test_bad(void)
{
	EXPECT_ERR(NODE P "settlement_engine = https://127.0.0.1:3000\n",
		   "t.ini:8: bad 'settlement_engine': must be http://");
	EXPECT_ERR(NODE P "settlement_engine = http://\n",
		   "t.ini:8: bad 'settlement_engine': missing host");
	EXPECT_ERR(NODE P "settlement_engine = http://u:p@127.0.0.1:3000\n",
		   "t.ini:8: bad 'settlement_engine': credentials");
	EXPECT_ERR(NODE P "settlement_engine = http://127.0.0.1:99999\n",
		   "t.ini:8: bad 'settlement_engine'");
	EXPECT_ERR(NODE P "settlement_engine = http://10.1.2.3:3000\n",
		   "t.ini:8: 'settlement_engine' of peer 'bob' is not loopback");
	/* a host name would be looked up at each request (blocking), an onion
	 * name by the local DNS: both refused, even with allow_remote_engine */
	EXPECT_ERR(NODE P "settlement_engine = http://engine.lan:3000\n"
		   "allow_remote_engine = true\n",
		   "t.ini:8: 'settlement_engine' of peer 'bob' must have an IP address "
		   "or localhost as HOST: a host name would be looked up (a blocking DNS "
		   "query) at each request");
	EXPECT_ERR(NODE P "settlement_engine = http://127.evil.com:3000\n",
		   "t.ini:8: 'settlement_engine' of peer 'bob' must have an IP address");
	EXPECT_ERR(NODE P "settlement_engine = http://abcdefghij234567.onion:3000\n"
		   "allow_remote_engine = true\n",
		   "t.ini:8: 'settlement_engine' of peer 'bob' has an onion URL: engines "
		   "are not reached through the proxy (ilpd never looks onion names up "
		   "itself)");
	EXPECT_ERR(NODE P "settlement_engine = http://x.example.onion./\n",
		   "t.ini:8: 'settlement_engine' of peer 'bob' has an onion URL");
	EXPECT_ERR(NODE P "settlement_engine = http://127.0.0.1:3000\n"
		   "settle_threshold = -10\nsettle_to = -10\n",
		   "t.ini:10: 'settle_to' (-10) of peer 'bob' must be greater than "
		   "'settle_threshold' (-10)");
	EXPECT_ERR(NODE P "settlement_engine = http://127.0.0.1:3000\n"
		   "settle_threshold = 1\n",
		   "t.ini:8: 'settle_to' (0) of peer 'bob' must be greater");
	EXPECT_ERR(NODE P "settlement_scale = 256\n", "t.ini:8: 'settlement_scale'");
	/* scales more than 19 apart: 10^20 passes 2^64-1, nothing converts */
	EXPECT_ERR(NODE P "settlement_engine = http://127.0.0.1:3000\nsettlement_scale = 26\n",
		   "t.ini:9: 'settlement_scale' (26) of peer 'bob' is more than 19 from its "
		   "asset_scale (6): amounts between the two scales do not fit in 64 bits");
	EXPECT_ERR(NODE P "asset_scale = 30\nsettlement_scale = 10\n",
		   "t.ini:9: 'settlement_scale' (10) of peer 'bob' is more than 19 from its "
		   "asset_scale (30)");
	EXPECT_OK(NODE P "settlement_engine = http://127.0.0.1:3000\nsettlement_scale = 25\n");
	EXPECT_OK(NODE P "asset_scale = 25\n");
	EXPECT_ERR(NODE P "settle_to = 1.5\n", "t.ini:8: 'settle_to'");
	EXPECT_ERR(NODE P "allow_remote_engine = maybe\n", "t.ini:8: 'allow_remote_engine'");
	EXPECT_ERR(NODE P "settle_to = 1\nsettle_to = 2\n",
		   "t.ini:9: duplicate key 'settle_to'");
	EXPECT_ERR(NODE P "[settlement]\nlisten = 0.0.0.0:7771\n",
		   "t.ini:9: [settlement] listen must be a loopback address");
	EXPECT_ERR(NODE P "[settlement]\nport = 1\n", "t.ini:9: unknown key 'port'");
	/* a host name is refused, even one that starts like a loopback address */
	EXPECT_ERR(NODE P "[settlement]\nlisten = 127.evil.example:7771\n",
		   "t.ini:9: [settlement] listen must have an IP address or localhost as "
		   "HOST, not the name '127.evil.example'");
	EXPECT_ERR(NODE P "[settlement]\nlisten = engine.lan:7771\nallow_remote = true\n",
		   "t.ini:9: [settlement] listen must have an IP address or localhost");
	EXPECT_OK(NODE P "[settlement]\nlisten = localhost:7771\n");
	EXPECT_OK(NODE P "[settlement]\nlisten = [::1]:7771\n");
}

/* settlement_engine = unix:/ABSOLUTE/PATH: host = the path, port 0, path
 * "", local without allow_remote_engine; relative, empty, unix://, too
 * long and control characters refused at the key's line. */
static void test_unix(void)
{
	const struct ilpd_peer_conf *p;
	char v[HAL_UNIX_PATH_MAX + 2], text[512];

	if (!hal_net_has_unix()) {   /* the lwIP backend */
		EXPECT_ERR(NODE P "settlement_engine = unix:/run/ilpd/eng.sock\n",
			   "t.ini:8: bad 'settlement_engine': unix sockets are not "
			   "available in this build (lwIP); use http://IP:PORT");
		return;
	}
	EXPECT_OK(NODE P "settlement_engine = unix:/run/ilpd/eng.sock\n"
		  "settle_threshold = -1000\n");
	p = &conf.peer[0];
	CHECK(p->settle_engine);
	CHECK(!p->allow_remote_engine);
	CHECK(ilpd_url_is_unix(&p->settle_url));
	CHECK(strcmp(p->settle_url.host, "/run/ilpd/eng.sock") == 0);
	CHECK_EQ(p->settle_url.port, 0);
	CHECK(strcmp(p->settle_url.path, "") == 0);
	CHECK(!p->settle_url.tls);
	/* the http:// forms are not unix sockets */
	EXPECT_OK(NODE P "settlement_engine = http://127.0.0.1:3000/eng\n");
	CHECK(!ilpd_url_is_unix(&conf.peer[0].settle_url));
	/* the longest path a socket address holds: 107 bytes */
	v[0] = '/';
	memset(v + 1, 'e', HAL_UNIX_PATH_MAX - 1);
	v[HAL_UNIX_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), NODE P "settlement_engine = unix:%s\n", v);
	EXPECT_OK(text);
	CHECK(strcmp(conf.peer[0].settle_url.host, v) == 0);
	/* one byte more */
	v[HAL_UNIX_PATH_MAX] = 'e';
	v[HAL_UNIX_PATH_MAX + 1] = '\0';
	snprintf(text, sizeof(text), NODE P "settlement_engine = unix:%s\n", v);
	EXPECT_ERR(text, "t.ini:8: bad 'settlement_engine': the unix socket path is "
		   "longer than the 107 bytes a socket address holds");
	EXPECT_ERR(NODE P "settlement_engine = unix:run/eng.sock\n",
		   "t.ini:8: bad 'settlement_engine': the unix socket path must be "
		   "absolute (unix:/ABSOLUTE/PATH)");
	EXPECT_ERR(NODE P "settlement_engine = unix:\n",
		   "t.ini:8: bad 'settlement_engine': missing path (unix:/ABSOLUTE/PATH)");
	EXPECT_ERR(NODE P "settlement_engine = unix://run/eng.sock\n",
		   "t.ini:8: bad 'settlement_engine': write unix:/ABSOLUTE/PATH");
	EXPECT_ERR(NODE P "settlement_engine = unix:/run/a\tb.sock\n",
		   "t.ini:8: bad 'settlement_engine'");
	EXPECT_ERR(NODE P "settlement_engine = UNIX:/run/eng.sock\n",
		   "t.ini:8: bad 'settlement_engine': must be http://HOST:PORT or unix:/PATH");
	/* the other rules still apply to a unix engine */
	EXPECT_ERR(NODE P "settlement_engine = unix:/run/eng.sock\n"
		   "settle_threshold = 1\n",
		   "t.ini:8: 'settle_to' (0) of peer 'bob' must be greater");
}

int main(void)
{
	TH_RUN(test_defaults);
	TH_RUN(test_full);
	TH_RUN(test_bad);
	TH_RUN(test_unix);
	return th_finish();
}
