/*
 * test_config.c - the INI configuration loader (firmware/config.c).
 *
 * The embedded default config loads; good configs load and every field is
 * checked; a table of bad configs each fails with its exact "name:LINE:
 * message"; the files in tests/configs/good and tests/configs/bad (listed
 * here, none skipped) behave as their first line says; no message ever
 * contains a token; board limits (peers, routes, line length) hold.
 * Sizes follow the board options, so the test runs on every board.
 */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* readdir on 32-bit targets under qemu-user */

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "hal/hal_log.h"
#include "ilp/ilp_switch.h"
#include "persist.h"
#include "th.h"

#ifndef ILPD_SOURCE_DIR
#error "ILPD_SOURCE_DIR (the repository path) must be defined"
#endif

/* Static: struct ilpd_conf is tens of KiB on the host board. */
static struct ilpd_conf conf;
static struct ilpd_conf_err err;
static char big[ILPD_MAX_PEERS * 96 + ILPD_MAX_ROUTES * 64 + 4096];

static int load(const char *text)
{
	memset(&err, 0x5a, sizeof(err));
	return ilpd_conf_load_string(&conf, "t.ini", text, &err);
}

/* Loads text that must fail and checks the message starts with want. */
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

#define NODE "[node]\naddress = test.x\n"

static void test_default_config(void)
{
	const struct ilpd_peer_conf *a, *b;

	CHECK_EQ(ilpd_conf_load_string(&conf, "(default)", ilpd_default_config,
				       &err), 0);
	CHECK(strcmp(conf.source, "(default)") == 0);
	CHECK(strcmp(conf.address, "test.ilpd") == 0);
	CHECK(strcmp(conf.asset_code, "XRP") == 0);
	CHECK_EQ(conf.asset_scale, 9);
	CHECK(conf.btp_listen.enabled);
	CHECK(strcmp(conf.btp_listen.host, "127.0.0.1") == 0);
	CHECK_EQ(conf.btp_listen.port, 7768);
	CHECK(conf.admin_listen.enabled);
	CHECK(strcmp(conf.admin_listen.host, "127.0.0.1") == 0);
	CHECK_EQ(conf.admin_listen.port, 7769);
	CHECK_EQ(conf.log_level, HAL_LOG_INFO);
	CHECK_EQ(conf.npeers, 2);
	CHECK_EQ(conf.nroutes, 0);
	CHECK_EQ(conf.default_route[0], '\0');
	a = &conf.peer[ilpd_conf_peer_index(&conf, "alice")];
	b = &conf.peer[ilpd_conf_peer_index(&conf, "bob")];
	CHECK(strcmp(a->token, "alice-token") == 0);
	CHECK(strcmp(b->token, "bob-token") == 0);
	CHECK_EQ(a->relation, ILP_REL_CHILD);
	CHECK_EQ(b->relation, ILP_REL_CHILD);
	CHECK(!a->outbound && !b->outbound);
	CHECK(strcmp(b->asset_code, "XRP") == 0);
	CHECK_EQ(b->rate.scale, 9);
	CHECK_EQ(ilpd_conf_peer_index(&conf, "carol"), -1);
}

/* Every key at its default, given only the required ones. */
static void test_defaults(void)
{
	const struct ilpd_peer_conf *p;

	EXPECT_OK(NODE "[peer p1]\nrelation = peer\ntoken = t\n");
	CHECK(strcmp(conf.source, "t.ini") == 0);
	CHECK(strcmp(conf.address, "test.x") == 0);
	CHECK(strcmp(conf.asset_code, "XRP") == 0);
	CHECK_EQ(conf.asset_scale, 9);
	CHECK(conf.btp_listen.enabled && conf.btp_listen.port == 7768);
	CHECK(conf.admin_listen.enabled && conf.admin_listen.port == 7769);
	CHECK_EQ(conf.auth_timeout_ms, 5000);
	CHECK_EQ(conf.ping_interval_ms, 20000);
	CHECK_EQ(conf.reconnect_min_ms, 100);
	CHECK_EQ(conf.reconnect_max_ms, 30000);
	CHECK_EQ(conf.min_message_window_ms, 1000);
	CHECK_EQ(conf.max_hold_time_ms, 30000);
	CHECK_EQ(conf.log_level, HAL_LOG_INFO);
	CHECK(conf.log_stderr);
	CHECK(!conf.log_syslog);
	CHECK_EQ(conf.npeers, 1);
	p = &conf.peer[0];
	CHECK(strcmp(p->name, "p1") == 0);
	CHECK_EQ(p->relation, ILP_REL_PEER);
	CHECK(!p->outbound);
	CHECK(strcmp(p->username, "p1") == 0);
	CHECK(strcmp(p->asset_code, "XRP") == 0);
	CHECK_EQ(p->rate.num, 1);
	CHECK_EQ(p->rate.den, 1);
	CHECK_EQ(p->rate.scale, 9);
	CHECK_EQ_U64(p->max_packet_amount, UINT64_MAX);
	CHECK(p->min_balance == INT64_MIN);
	CHECK(p->max_balance == INT64_MAX);
	CHECK(p->settle_threshold == INT64_MAX);
	CHECK_EQ(p->max_in_flight, ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT);
	CHECK_EQ(p->line, 3);
}

static const char full_text[] =
	"\xEF\xBB\xBF; a full configuration\r\n"
	"[node]\r\n"
	"address = g.acme.pi        ; inline comment\r\n"
	"asset_code = USD\r\n"
	"asset_scale = 2\r\n"
	"\r\n"
	"  [btp]\n"
	"  listen = [::1]:17768\n"
	"auth_timeout_ms = 250\n"
	"ping_interval_ms = 1\n"
	"reconnect_min_ms = 50\n"
	"reconnect_max_ms = 86400000\n"
	"[admin]\n"
	"listen = off\n"
	"[limits]\n"
	"min_message_window_ms = 500\n"
	"max_hold_time_ms = 500\n"
	"[log]\n"
	"level = debug\n"
	"stderr = OFF\n"
	"syslog = yes\n"
	"[transport]\n"
	"type = direct\n"
	"# hash comment\n"
	"[peer up]\n"
	"relation = parent\n"
	"url = btp+ws://example.org:8080/btp?x=1\n"
	"token = s3cret token with blanks\n"
	"username = me\n"
	"asset_code = EUR\n"
	"asset_scale = 0\n"
	"rate = 1.25\n"
	"max_packet_amount = 18446744073709551615\n"
	"min_balance = -9223372036854775808\n"
	"max_balance = 0\n"
	"settle_threshold = -5\n"
	"[peer kid_1]\n"
	"relation = child\n"
	"url = none\n"
	"token = k\n"
	"max_packet_amount = 0\n"
	"min_balance = 0\n"
	"max_balance = unlimited\n"
	"settle_threshold = none\n"
	"[peer side]\n"
	"relation: peer\n"
	"url = ws://10.0.0.2\n"
	"token = k\n"
	"max_in_flight = 1\n"
	"[routes]\n"
	"g.other = side\n"
	"g = up\n"
	"test.a.b = kid_1\n"
	"default = up\n";

static void test_full(void)
{
	const struct ilpd_peer_conf *p;

	EXPECT_OK(full_text);
	CHECK(strcmp(conf.address, "g.acme.pi") == 0);
	CHECK(strcmp(conf.asset_code, "USD") == 0);
	CHECK_EQ(conf.asset_scale, 2);
	CHECK(conf.btp_listen.enabled);
	CHECK(strcmp(conf.btp_listen.host, "::1") == 0);
	CHECK_EQ(conf.btp_listen.port, 17768);
	CHECK_EQ(conf.auth_timeout_ms, 250);
	CHECK_EQ(conf.ping_interval_ms, 1);
	CHECK_EQ(conf.reconnect_min_ms, 50);
	CHECK_EQ(conf.reconnect_max_ms, 86400000);
	CHECK(!conf.admin_listen.enabled);
	CHECK_EQ(conf.min_message_window_ms, 500);
	CHECK_EQ(conf.max_hold_time_ms, 500);
	CHECK_EQ(conf.log_level, HAL_LOG_DEBUG);
	CHECK(!conf.log_stderr);
	CHECK(conf.log_syslog);
	CHECK_EQ(conf.npeers, 3);

	p = &conf.peer[0];
	CHECK(strcmp(p->name, "up") == 0);
	CHECK_EQ(p->line, 25);
	CHECK_EQ(p->relation, ILP_REL_PARENT);
	CHECK(p->outbound);
	CHECK(strcmp(p->url.host, "example.org") == 0);
	CHECK_EQ(p->url.port, 8080);
	CHECK(strcmp(p->url.path, "/btp?x=1") == 0);
	CHECK(strcmp(p->token, "s3cret token with blanks") == 0);
	CHECK(strcmp(p->username, "me") == 0);
	CHECK(strcmp(p->asset_code, "EUR") == 0);
	CHECK_EQ(p->rate.scale, 0);
	CHECK_EQ(p->rate.num, 125);
	CHECK_EQ(p->rate.den, 100);
	CHECK_EQ_U64(p->max_packet_amount, UINT64_MAX);
	CHECK(p->min_balance == INT64_MIN);
	CHECK_EQ(p->max_balance, 0);
	CHECK_EQ(p->settle_threshold, -5);

	p = &conf.peer[1];
	CHECK(strcmp(p->name, "kid_1") == 0);
	CHECK_EQ(p->relation, ILP_REL_CHILD);
	CHECK(!p->outbound);
	CHECK(strcmp(p->asset_code, "USD") == 0);
	CHECK_EQ(p->rate.scale, 2);
	CHECK_EQ_U64(p->max_packet_amount, 0);
	CHECK_EQ(p->min_balance, 0);
	CHECK(p->max_balance == INT64_MAX);
	CHECK(p->settle_threshold == INT64_MAX);

	CHECK_EQ(p->max_in_flight, ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT);

	p = &conf.peer[2];
	CHECK_EQ(p->relation, ILP_REL_PEER);
	CHECK_EQ(p->max_in_flight, 1);
	CHECK(p->outbound);
	CHECK(strcmp(p->url.host, "10.0.0.2") == 0);
	CHECK_EQ(p->url.port, 80);
	CHECK(strcmp(p->url.path, "/") == 0);

	CHECK_EQ(conf.nroutes, 3);
	CHECK(strcmp(conf.route[0].prefix, "g.other") == 0);
	CHECK(strcmp(conf.route[0].peer, "side") == 0);
	CHECK_EQ(conf.route[0].line, 51);   /* after side's max_in_flight line */
	CHECK(strcmp(conf.route[1].prefix, "g") == 0);
	CHECK(strcmp(conf.route[2].prefix, "test.a.b") == 0);
	CHECK(strcmp(conf.route[2].peer, "kid_1") == 0);
	CHECK(strcmp(conf.default_route, "up") == 0);
}

struct bad_case {
	int src_line;
	const char *text;
	const char *want;
};

#define P "[peer a]\nrelation = child\ntoken = t\n"
#define BAD(text, want) { __LINE__, text, want }

static const struct bad_case bad_cases[] = {
	/* structure */
	BAD("[nod]\n", "t.ini:1: unknown section [nod]"),
	BAD("\n[node\n", "t.ini:2: missing ']' in section header"),
	BAD("[node] x\n", "t.ini:1: text after ']' in section header"),
	BAD("address = test.x\n", "t.ini:1: key 'address' outside any section"),
	BAD(NODE "[node]\n", "t.ini:3: duplicate section [node] (first at line 1)"),
	BAD(NODE "oops\n", "t.ini:3: syntax error: expected '[section]' or 'key = value'"),
	BAD(NODE "address = test.y\n",
	    "t.ini:3: duplicate key 'address' in [node] (first at line 2)"),
	BAD(NODE "foo = 1\n", "t.ini:3: unknown key 'foo' in [node]"),
	BAD(NODE P "foo = 1\n", "t.ini:6: unknown key 'foo' in [peer a]"),
	BAD(NODE P "  token = u\n",
	    "t.ini:6: duplicate key 'token' in [peer a] (first at line 5)"),
	BAD(NODE "[peer]\n", "t.ini:3: missing peer name: use [peer NAME]"),
	BAD(NODE "[peer  ]\n", "t.ini:3: missing peer name: use [peer NAME]"),
	BAD(NODE "[peer a.b]\n", "t.ini:3: peer name 'a.b' is not a valid address segment"),
	BAD(NODE "[peer a b]\n", "t.ini:3: peer name 'a b' is not a valid address segment"),
	BAD(NODE "[peer abcdefghijabcdefghijabcdefghijXY]\n",
	    "t.ini:3: peer name 'abcdefghijabcdefghijabcdefghijXY' is longer than"),
	BAD(NODE P "[peer a]\n", "t.ini:6: duplicate peer 'a' (first at line 3)"),
	/* max_in_flight: the peer's share of the pending table, 1..ILPD_MAX_PENDING */
	BAD(NODE P "max_in_flight = 0\n", "t.ini:6: 'max_in_flight' is out of range (1.."),
	BAD(NODE P "max_in_flight = 99999999\n", "t.ini:6: 'max_in_flight' is out of range (1.."),
	BAD(NODE P "max_in_flight = -3\n", "t.ini:6: 'max_in_flight' must not be negative"),
	BAD(NODE P "max_in_flight = many\n", "t.ini:6: 'max_in_flight' must be a decimal integer"),
	/* [transport]: socks5h only, credentials redacted, fail closed */
	BAD(NODE "[transport]\ntype = socks5\n",
	    "t.ini:4: type = socks5 needs 'proxy = socks5h://HOST:PORT' (or "
	    "onion_service = managed, whose SocksPort is then used)"),
	BAD(NODE "[transport]\ntype = tor\n", "t.ini:4: 'type' must be direct or socks5"),
	BAD(NODE "[transport]\ntype = socks5\nproxy = socks5://127.0.0.1:9050\n",
	    "t.ini:5: 'proxy' must be socks5h://HOST:PORT, not socks5://127.0.0.1:9050: "
	    "that scheme has the client resolve host names itself, and local DNS "
	    "would leak every peer's destination"),
	BAD(NODE "[transport]\nproxy = socks5://user:secret@127.0.0.1:9050\n",
	    "t.ini:4: 'proxy' must be socks5h://HOST:PORT, not socks5://***@127.0.0.1:9050"),
	BAD(NODE "[transport]\nproxy = socks4a://127.0.0.1:9050\n",
	    "t.ini:4: 'proxy' must be socks5h://HOST:PORT, not socks4a://127.0.0.1:9050"),
	BAD(NODE "[transport]\nproxy = http://127.0.0.1:8080\n",
	    "t.ini:4: 'proxy' must be socks5h://HOST:PORT (got http://127.0.0.1:8080): "
	    "only socks5h keeps name resolution in the proxy"),
	BAD(NODE "[transport]\nproxy = socks5h://u:pw@127.0.0.1:9050\n",
	    "t.ini:4: 'proxy' must not carry credentials (socks5h://***@127.0.0.1:9050)"),
	BAD(NODE "[transport]\nproxy = socks5h://tor.lan:9050\n",
	    "t.ini:4: 'proxy' (socks5h://tor.lan:9050): the proxy's host must be a "
	    "numeric address"),
	BAD(NODE "[transport]\nproxy = socks5h://127.0.0.1\n",
	    "t.ini:4: 'proxy' (socks5h://127.0.0.1): missing :PORT"),
	BAD(NODE "[transport]\nproxy = socks5h://127.0.0.1:9050\n",
	    "t.ini:4: 'proxy' needs type = socks5 (type is direct)"),
	BAD(NODE "[transport]\nproxy_scope = onion\n",
	    "t.ini:4: 'proxy_scope' needs type = socks5 (type is direct)"),
	BAD(NODE "[transport]\nallow_direct_loopback = yes\n",
	    "t.ini:4: 'allow_direct_loopback' needs type = socks5 (type is direct)"),
	BAD(NODE "[transport]\nproxy_scope = some\n", "t.ini:4: 'proxy_scope' must be all or onion"),
	BAD(NODE "[transport]\nonion_suffixes = onion\n",
	    "t.ini:4: 'onion_suffixes' takes up to 4 names like .onion"),
	BAD(NODE "[transport]\nonion_suffixes = .a .b .c .d .e\n",
	    "t.ini:4: 'onion_suffixes' takes up to 4 names"),
	BAD(NODE "[transport]\nonion_suffixes = ,\n",
	    "t.ini:4: 'onion_suffixes' must list at least one suffix"),
	BAD(NODE "[transport]\nonion_service = on\n",
	    "t.ini:4: 'onion_service' must be off, managed, external or dir"),
	BAD(NODE "[transport]\nonion_service = dir\n",
	    "t.ini:4: onion_service = dir needs 'hs_dir'"),
	BAD(NODE "[transport]\nstate_dir = var/lib/ilpd\n",
	    "t.ini:4: 'state_dir' must be an absolute path"),
	BAD(NODE "[transport]\nonion_service = external\ncontrol_auth = password\n",
	    "t.ini:5: control_auth = password needs 'control_password'"),
	BAD(NODE "[transport]\ncontrol = tor:9051\n",
	    "t.ini:4: 'control' must be HOST:PORT: the host must be a numeric address"),
	BAD(NODE "[transport]\nonion_service = managed\nsocks_port = 9151\n",
	    "t.ini:3: 'socks_port' and 'control_port' must differ"),
	BAD(NODE "[btp]\nlisten = off\n[transport]\nonion_service = managed\n",
	    "t.ini:6: an onion service needs [btp] listen, which is off"),
	BAD(NODE "[transport]\nexternal_url = auto\n",
	    "t.ini:4: external_url = auto needs an onion service"),
	BAD(NODE "[transport]\nexternal_url = http://x\n",
	    "t.ini:4: 'external_url' must be auto or a ws[s]:// URL"),
	BAD(NODE "[peer o]\nrelation = peer\ntoken = t\n"
	    "url = ws://abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz234567.onion/\n",
	    "t.ini:3: peer 'o' has an onion URL: it needs [transport] type = socks5"),
	BAD(NODE "[peer o]\nrelation = peer\ntoken = t\nurl = ws://X.ANYONE:80\n",
	    "t.ini:3: peer 'o' has an onion URL"),
	BAD(NODE "[netif]\naddress = 10.0.0.2/24\n",
	    "t.ini:3: [netif] is for builds with their own TCP/IP stack (lwIP)"),
	BAD(NODE "[netif]\naddress = 10.0.0.2\n",
	    "t.ini:4: 'address' must be an IPv4 address with a prefix length"),
	BAD(NODE "[netif]\naddress = fd00::2/24\n", "t.ini:4: 'address': not a numeric IPv4"),
	BAD(NODE "[netif]\naddress6 = fd00::2/129\n", "t.ini:4: 'address6' must be an IPv6"),
	BAD(NODE "[netif]\ndriver = slip\n", "t.ini:4: 'driver' must be tap"),
	BAD(NODE "[netif]\nmtu = 100\n", "t.ini:4: 'mtu' is out of range (1280..1500)"),
	BAD(NODE "[netif]\naddress6 = fd00::2/48\n",
	    "t.ini:4: 'address6': lwIP takes static IPv6 addresses as /64 only"),
	BAD(NODE "[netif]\naddress6 = fd00::2/64\n",
	    "t.ini:3: [netif] is for builds with their own TCP/IP stack"),
	BAD(NODE "[transport]\nproxy = socks5h://[fe80::g]:9050\n", "t.ini:4: 'proxy'"),
	/* numbers */
	BAD("[node]\nasset_scale = 256\n",
	    "t.ini:2: 'asset_scale' is out of range (0..255)"),
	BAD("[node]\nasset_scale = -1\n", "t.ini:2: 'asset_scale' must not be negative"),
	BAD("[node]\nasset_scale = 9x\n",
	    "t.ini:2: 'asset_scale' must be a decimal integer (0..255)"),
	BAD("[node]\nasset_scale = +9\n",
	    "t.ini:2: 'asset_scale' must be a decimal integer"),
	BAD("[node]\nasset_scale =\n", "t.ini:2: 'asset_scale' must be a decimal integer"),
	BAD("[node]\nasset_scale = 0x10\n", "t.ini:2: 'asset_scale' must be a decimal"),
	BAD("[btp]\nauth_timeout_ms = 0\n",
	    "t.ini:2: 'auth_timeout_ms' is out of range (1..86400000)"),
	BAD("[btp]\nping_interval_ms = 99999999999999999999\n",
	    "t.ini:2: 'ping_interval_ms' is out of range"),
	BAD(NODE P "max_packet_amount = -1\n",
	    "t.ini:6: 'max_packet_amount' must not be negative"),
	BAD(NODE P "max_packet_amount = 18446744073709551616\n",
	    "t.ini:6: 'max_packet_amount' is out of range"),
	BAD(NODE P "min_balance = 1\n", "t.ini:6: 'min_balance' must be <= 0"),
	BAD(NODE P "max_balance = -1\n", "t.ini:6: 'max_balance' must be >= 0"),
	BAD(NODE P "min_balance = -9223372036854775809\n",
	    "t.ini:6: 'min_balance' is out of range"),
	BAD(NODE P "settle_threshold = 1.5\n",
	    "t.ini:6: 'settle_threshold' must be a decimal integer"),
	BAD(NODE P "rate = 0\n", "t.ini:6: 'rate' must be a positive decimal"),
	BAD(NODE P "rate = -1\n", "t.ini:6: 'rate' must be a positive decimal"),
	BAD(NODE P "rate = abc\n", "t.ini:6: 'rate' must be a positive decimal"),
	BAD(NODE P "asset_scale = 300\n", "t.ini:6: 'asset_scale' is out of range (0..255)"),
	BAD(NODE "[limits]\nmin_message_window_ms = 2000\nmax_hold_time_ms = 1999\n",
	    "t.ini:5: 'max_hold_time_ms' must be >= 'min_message_window_ms'"),
	BAD(NODE "[limits]\nmin_message_window_ms = 40000\n",
	    "t.ini:4: 'max_hold_time_ms' must be >= 'min_message_window_ms'"),
	BAD(NODE "[btp]\nreconnect_min_ms = 500\nreconnect_max_ms = 400\n",
	    "t.ini:5: 'reconnect_max_ms' must be >= 'reconnect_min_ms'"),
	/* other value types */
	BAD("[log]\nstderr = maybe\n",
	    "t.ini:2: 'stderr' must be true or false (or yes/no, on/off, 1/0)"),
	BAD("[log]\nsyslog =\n", "t.ini:2: 'syslog' must be true or false"),
	BAD("[log]\nlevel = verbose\n", "t.ini:2: 'level' must be debug, info, warn or error"),
	BAD(NODE "[peer a]\nrelation = friend\n",
	    "t.ini:4: 'relation' must be parent, peer or child"),
	BAD(NODE "[peer a]\nrelation = Child\n",
	    "t.ini:4: 'relation' must be parent, peer or child"),
	BAD("[node]\naddress = nope.x\n", "t.ini:2: 'address' is not a valid ILP address"),
	BAD("[node]\naddress = test\n", "t.ini:2: 'address' is not a valid ILP address"),
	BAD("[node]\naddress = test..x\n", "t.ini:2: 'address' is not a valid ILP address"),
	BAD("[node]\nasset_code = US D\n", "t.ini:2: 'asset_code' contains a blank"),
	BAD("[node]\nasset_code = ABCDEFGHIJKLMNOPQ\n",
	    "t.ini:2: 'asset_code' is longer than 15 bytes"),
	BAD(NODE "[peer a]\ntoken =\n", "t.ini:4: 'token' must not be empty"),
	BAD(NODE "[peer a]\nusername = a b\n", "t.ini:4: 'username' contains a blank"),
	/* listen */
	BAD("[btp]\nlisten = 127.0.0.1\n",
	    "t.ini:2: 'listen' must be HOST:PORT, [IPv6]:PORT or off: missing :PORT"),
	BAD("[btp]\nlisten = 127.0.0.1:0\n", "t.ini:2: 'listen' must be HOST:PORT, "
	    "[IPv6]:PORT or off: bad port (1..65535)"),
	BAD("[btp]\nlisten = 127.0.0.1:65536\n", "t.ini:2: 'listen' must be HOST:PORT"),
	BAD("[admin]\nlisten = ::1:7769\n", "t.ini:2: 'listen' must be HOST:PORT"),
	BAD("[admin]\nlisten = [::1:7769\n", "t.ini:2: 'listen' must be HOST:PORT, "
	    "[IPv6]:PORT or off: missing ']' after an IPv6 address"),
	BAD("[admin]\nlisten = :7769\n", "t.ini:2: 'listen' must be HOST:PORT, "
	    "[IPv6]:PORT or off: missing host"),
	BAD(NODE "[admin]\nlisten = 127.0.0.1:7768\n",
	    "t.ini:4: [admin] listen is the same address as [btp] listen"),
	/* urls */
#if !defined(ILPD_TLS_BEARSSL) && !defined(ILPD_TLS_MBEDTLS)
	BAD(NODE "[peer a]\nurl = wss://h/\n", "t.ini:4: bad 'url': this ilpd was built "
	    "without TLS (wss:// needs ILPD_TLS=bearssl or mbedtls)"),
	BAD(NODE "[peer a]\nurl = btp+wss://h/\n", "t.ini:4: bad 'url': this ilpd was built "
	    "without TLS (wss:// needs ILPD_TLS=bearssl or mbedtls)"),
	BAD(NODE "[btp]\ntls = on\n", "t.ini:4: [btp] tls = on: this ilpd was built without TLS"),
#else
	/* TLS */
	BAD(NODE "[btp]\ntls = on\n",
	    "t.ini:4: [btp] tls = on needs [tls] cert_file and key_file"),
	BAD(NODE "[btp]\ntls = on\nlisten = off\n" "[tls]\ncert_file = c\nkey_file = k\n",
	    "t.ini:4: [btp] tls = on needs [btp] listen, which is off"),
	BAD(NODE "[tls]\ncert_file = " ILPD_SOURCE_DIR "/no-such.pem\nkey_file = k\n",
	    "t.ini:4: [tls] cert_file: cannot open: No such file or directory"),
	BAD(NODE "[tls]\ncert_file = " ILPD_SOURCE_DIR "/README.md\nkey_file = /nope/k.pem\n",
	    "t.ini:5: [tls] key_file: cannot open: No such file or directory"),
	BAD(NODE "[tls]\nca_file = /nope/ca.pem\n" P "url = wss://h/\n",
	    "t.ini:4: [tls] ca_file: cannot open: No such file or directory"),
#endif
	BAD(NODE "[btp]\ntls = maybe\n",
	    "t.ini:4: 'tls' must be true or false (or yes/no, on/off, 1/0)"),
	BAD(NODE "[tls]\ncert = x\n", "t.ini:4: unknown key 'cert' in [tls]"),
	BAD(NODE "[tls]\nkey_file = k\n",
	    "t.ini:4: [tls] cert_file and key_file must be given together"),
	BAD(NODE "[tls]\nca_file =\n", "t.ini:4: 'ca_file' must not be empty"),
	BAD(NODE P "tls_pin = 0123\n", "t.ini:6: 'tls_pin' must be 64 hex digits "
	    "(SHA-256 of the server's SubjectPublicKeyInfo)"),
	BAD(NODE P "tls_pin = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n",
	    "t.ini:6: 'tls_pin' must be 64 hex digits (bad character at position 64)"),
	BAD(NODE P "tls_pin = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
	    "t.ini:3: 'tls_pin' in [peer a] needs a wss:// url"),
	BAD(NODE P "url = ws://h/\ntls_server_name = h\n",
	    "t.ini:3: 'tls_server_name' in [peer a] needs a wss:// url"),
	BAD(NODE P "tls_server_name = a b\n", "t.ini:6: 'tls_server_name' must be a host name "
	    "(letters, digits, '-', '.', '_')"),
	BAD(NODE "[peer a]\nurl = http://h/\n",
	    "t.ini:4: bad 'url': expected ws://HOST[:PORT][/PATH]"),
	BAD(NODE "[peer a]\nurl = btp+ws://u:pw@h:1/\n",
	    "t.ini:4: bad 'url': credentials in URLs are refused (put the secret in 'token')"),
	BAD(NODE "[peer a]\nurl = ws://h:99999/\n", "t.ini:4: bad 'url': bad port (1..65535)"),
	BAD(NODE "[peer a]\nurl = ws://h:/\n", "t.ini:4: bad 'url': bad port (1..65535)"),
	BAD(NODE "[peer a]\nurl = ws:///x\n", "t.ini:4: bad 'url': missing host"),
	BAD(NODE "[peer a]\nurl =\n", "t.ini:4: bad 'url': expected ws://"),
	/* whole-file rules */
	BAD("[log]\nlevel = warn\n", "t.ini:0: missing 'address' in [node]"),
	BAD("", "t.ini:0: missing 'address' in [node]"),
	BAD(NODE "[peer a]\ntoken = t\n", "t.ini:3: missing 'relation' in [peer a]"),
	BAD(NODE "[peer a]\nrelation = child\n", "t.ini:3: missing 'token' in [peer a]"),
	BAD(NODE P "[peer b]\nrelation = peer\ntoken = t\n",
	    "t.ini:6: peer 'b' has the same token as peer 'a' (inbound tokens must be unique)"),
	BAD(NODE "[btp]\nlisten = off\n" P,
	    "t.ini:5: inbound peer 'a' (no url) needs [btp] listen, which is off"),
	BAD(NODE P "[routes]\ng.x = a\ng.y = b\n", "t.ini:8: route to unknown peer 'b'"),
	BAD(NODE P "[routes]\ndefault = zed\n", "t.ini:7: default route to unknown peer 'zed'"),
	BAD(NODE P "[routes]\ndefault = a\ndefault = a\n",
	    "t.ini:8: duplicate key 'default' in [routes] (first at line 7)"),
	BAD(NODE P "[routes]\ng.x = a\ng.x = a\n",
	    "t.ini:8: duplicate route 'g.x' (first at line 7)"),
	BAD(NODE P "[routes]\nbogus.x = a\n",
	    "t.ini:7: route prefix 'bogus.x' is not a valid ILP address or scheme"),
	BAD(NODE P "[routes]\ng.x =\n", "t.ini:7: a route needs a peer name"),
	BAD(NODE P "[routes]\n[routes]\n", "t.ini:7: duplicate section [routes] (first at line 6)"),
	/* [local] handler_url: an IP address or localhost, never a name to
	 * look up (even with allow_remote), never an onion name */
	BAD(NODE "[local]\nallow_remote = yes\nhandler_url = http://shop.lan:3100\n",
	    "t.ini:5: 'handler_url' must have an IP address or localhost as HOST: a "
	    "host name would be looked up (a blocking DNS query) at each request"),
	BAD(NODE "[local]\nhandler_url = http://127.0.0.1.evil.com/\n",
	    "t.ini:4: 'handler_url' must have an IP address or localhost as HOST"),
	BAD(NODE "[local]\nhandler_url = http://abcdefghij234567.onion/\nallow_remote = yes\n",
	    "t.ini:4: 'handler_url' has an onion URL: the handler is not reached through "
	    "the proxy (ilpd never looks onion names up itself); give its IP address or "
	    "localhost"),
	BAD(NODE "[local]\nhandler_url = http://shop.ANON.\nallow_remote = yes\n",
	    "t.ini:4: 'handler_url' has an onion URL"),
};

static void test_bad_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		expect_err(bad_cases[i].src_line, bad_cases[i].text,
			   bad_cases[i].want);
}

/* A recognisable token in every place an error can be raised near it. */
#define SECRET "Zq7-SECRET-TOKEN-9vX"
static const char *const secret_cases[] = {
	NODE "[peer a]\nrelation = child\ntoken = " SECRET "\n"
	"[peer b]\nrelation = child\ntoken = " SECRET "\n",
	NODE "[peer a]\nrelation = child\ntoken = " SECRET "\ntoken = " SECRET "\n",
	NODE "[peer a]\nrelation = child\ntoken = " SECRET "\x01\n",
	NODE "[peer a]\nrelation = child\nurl = ws://u:" SECRET "@h/\n",
	NODE "[peer a]\nrelation = child\nurl = wss://h/" SECRET "\n",
	NODE "[peer a]\nrelation = child\nurl = ws://h:" SECRET "/\n",
	NODE "[peer a]\nrelation = " SECRET "\n",
	NODE "[peer a]\nrelation = child\n" SECRET "\n",
	NODE "[peer a]\nrelation = child\ntoken = x\nrate = " SECRET "\n",
	NODE "[peer a]\nrelation = child\ntoken = x\nusername = " SECRET " x\n",
	NODE "[log]\nlevel = " SECRET "\n",
	NODE "[btp]\nlisten = " SECRET "\n",
	NODE "[transport]\ntype = " SECRET "\n",
	NODE "[transport]\nproxy = socks5://u:" SECRET "@127.0.0.1:9050\n",
	NODE "[transport]\nproxy = socks5h://" SECRET ":" SECRET "@127.0.0.1:9050\n",
	NODE "[transport]\nproxy = http://" SECRET "@127.0.0.1:9050\n",
	NODE "[transport]\nonion_service = managed\ncontrol_password = " SECRET "\n"
	"socks_port = 9151\n",
};

/* [node] address = auto (or none) takes the address from a parent by
 * IL-DCP (firmware/ildcp_client.h): only with a parent. */
static void test_address_auto(void)
{
	EXPECT_OK("[node]\naddress = auto\n[peer up]\nrelation = parent\nurl = ws://h/\n"
		  "token = t\n[peer c]\nrelation = child\ntoken = c\n");
	CHECK_EQ(conf.address[0], '\0');
	EXPECT_OK("[node]\nasset_code = USD\n[peer up]\nrelation = parent\nurl = ws://h/\n"
		  "token = t\n");
	CHECK_EQ(conf.address[0], '\0');
	EXPECT_ERR("[node]\naddress = auto\n[peer c]\nrelation = child\ntoken = c\n",
		   "t.ini:0: missing 'address' in [node]");
	EXPECT_ERR("[node]\naddress = auto\n[peer p]\nrelation = peer\nurl = ws://h/\ntoken = c\n",
		   "t.ini:0: missing 'address' in [node]");
	EXPECT_OK(NODE "[peer up]\nrelation = parent\nurl = ws://h/\ntoken = t\n");
	CHECK_EQ(strcmp(conf.address, "test.x"), 0);
}

/* [peer] rate: exactly what docs/ilpd.8 says is accepted (issue 12, docs
 * point 5): at most 9 digits after the point (trailing zeros aside), the
 * digits without the point 1..4294967295. */
static void test_rate_accepted(void)
{
	static const struct {
		const char *v;
		uint32_t num, den;
	} ok[] = {
		{ "1", 1, 1 }, { "0.998", 998, 1000 }, { "4294967295", 4294967295u, 1 },
		{ "42949.67295", 4294967295u, 100000 }, { "0.000000001", 1, 1000000000 },
		{ "1.5000000000000", 15, 10 }, { "007", 7, 1 }, { "0.429496729", 429496729, 1000000000 },
	};
	static const char *const bad[] = {
		"4294967296", "429496.72951", "0.0000000001", "0", "0.000", ".5", "5.", "1e3",
		"+1", "-1", "1,5", "0.4294967295",
	};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), NODE "[peer a]\nrelation = child\ntoken = a\nrate = %s\n",
			 ok[i].v);
		if (load(text) != 0) {
			th_fail(__FILE__, __LINE__, "rate = %s refused: %s", ok[i].v, err.msg);
			continue;
		}
		CHECK_EQ(conf.peer[0].rate.num, ok[i].num);
		CHECK_EQ(conf.peer[0].rate.den, ok[i].den);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), NODE "[peer a]\nrelation = child\ntoken = a\nrate = %s\n",
			 bad[i]);
		expect_err(__LINE__, text, "t.ini:6: 'rate' must be a positive decimal (e.g. 1 or "
			   "0.998) with at most 9 digits after the point and its digits without "
			   "the point at most 4294967295");
	}
}

/* [peer] rate_limit, rate_limit_burst, throughput_in, throughput_out
 * (ilp/limit.h; off by default). */
static void test_limit_keys(void)
{
	EXPECT_OK(NODE "[peer a]\nrelation = child\ntoken = a\n");
	CHECK_EQ(conf.peer[0].rate_limit, 0);
	CHECK_EQ(conf.peer[0].rate_limit_burst, 0);
	CHECK_EQ(conf.peer[0].throughput_in, 0);
	CHECK_EQ(conf.peer[0].throughput_out, 0);
	EXPECT_OK(NODE "[peer a]\nrelation = child\ntoken = a\nrate_limit = 100\n"
		  "rate_limit_burst = 500\nthroughput_in = 18446744073709551615\n"
		  "throughput_out = off\n");
	CHECK_EQ(conf.peer[0].rate_limit, 100);
	CHECK_EQ(conf.peer[0].rate_limit_burst, 500);
	CHECK_EQ(conf.peer[0].throughput_in, UINT64_MAX);
	CHECK_EQ(conf.peer[0].throughput_out, 0);
	EXPECT_ERR(NODE "[peer a]\nrelation = child\ntoken = a\nrate_limit = -1\n",
		   "t.ini:6: 'rate_limit' must not be negative");
	EXPECT_ERR(NODE "[peer a]\nrelation = child\ntoken = a\nthroughput_out = 1.5\n",
		   "t.ini:6: 'throughput_out' must be a decimal integer");
	EXPECT_ERR(NODE "[peer a]\nrelation = child\ntoken = a\nthroughput_in = 18446744073709551616\n",
		   "t.ini:6: 'throughput_in' is out of range");
}

static void test_no_secret_in_errors(void)
{
	size_t i;

	for (i = 0; i < sizeof(secret_cases) / sizeof(secret_cases[0]); i++) {
		CHECK_EQ(load(secret_cases[i]), -1);
		if (strstr(err.msg, "SECRET") != NULL)
			th_fail(__FILE__, __LINE__, "case %zu echoes the token: %s",
				i, err.msg);
	}
}

/* [transport]: defaults, the proxy, and which hosts go through it. */
static void test_transport(void)
{
	const struct ilpd_transport_conf *t = &conf.transport;

	CHECK_EQ(load(NODE), 0);
	CHECK_EQ(t->type, ILPD_TRANSPORT_DIRECT);
	CHECK_EQ(t->nsuffix, 3);
	CHECK(!ilpd_peer_via_proxy(t, "x.onion"));   /* direct: nothing proxied */
	CHECK_EQ(load(NODE "[btp]\nlisten = 127.0.0.1:7000\n[transport]\n"
		      "type = socks5\nonion_service = managed\nsocks_port = 9200\n"
		      "external_url = auto\n"), 0);
	CHECK(strcmp(t->proxy_host, "127.0.0.1") == 0 && t->proxy_port == 9200);
	CHECK(t->proxy_managed);
	CHECK_EQ(t->onion_port, 7000);
	CHECK(t->external_url_auto);
	CHECK_EQ(load(NODE "[transport]\ntype = socks5\nproxy = socks5h://[::1]:9050\n"
		      "onion_suffixes = .onion, .Anyone\n"), 0);
	CHECK(strcmp(t->proxy_host, "::1") == 0 && t->proxy_port == 9050);
	CHECK_EQ(load(NODE "[transport]\ntype = socks5\nproxy = socks5h://[fd00::a:9]:9050\n"), 0);
	CHECK(strcmp(t->proxy_host, "fd00::a:9") == 0);
	CHECK_EQ(load(NODE "[transport]\ntype = socks5\nproxy = socks5h://[::1]:9050\n"
		      "onion_suffixes = .onion, .Anyone\n"), 0);
	CHECK_EQ(t->nsuffix, 2);
	CHECK(ilpd_host_is_onion(t, "abc.onion") && ilpd_host_is_onion(t, "ABC.ANYONE."));
	CHECK(!ilpd_host_is_onion(t, "abc.anon") && !ilpd_host_is_onion(t, ".onion"));
	CHECK(!ilpd_host_is_onion(t, "onion.example") && !ilpd_host_is_onion(t, "xonion"));
	CHECK(ilpd_peer_via_proxy(t, "example.com"));
	CHECK(ilpd_peer_via_proxy(t, "127.0.0.1"));  /* no carve-out unless asked */
	CHECK_EQ(load(NODE "[transport]\ntype = socks5\nproxy = socks5h://localhost:9050\n"
		      "allow_direct_loopback = true\n"), 0);
	CHECK(strcmp(t->proxy_host, "127.0.0.1") == 0);
	CHECK(!ilpd_peer_via_proxy(t, "127.0.0.5") && !ilpd_peer_via_proxy(t, "localhost"));
	CHECK(!ilpd_peer_via_proxy(t, "::1") && ilpd_peer_via_proxy(t, "10.0.0.1"));
	CHECK_EQ(load(NODE "[transport]\ntype = socks5\nproxy = socks5h://127.0.0.1:9050\n"
		      "proxy_scope = onion\n"), 0);
	CHECK(!ilpd_peer_via_proxy(t, "example.com") && ilpd_peer_via_proxy(t, "a.anon"));
	CHECK_EQ(load(NODE "[transport]\nonion_service = external\ncontrol = 127.0.0.1:9999\n"
		      "control_auth = password\ncontrol_password = pass word\n"), 0);
	CHECK(strcmp(t->control_password, "pass word") == 0 && t->control_port == 9999);
	CHECK_EQ(load(NODE "[transport]\nonion_service = dir\nhs_dir = /var/lib/tor/ilpd\n"), 0);
	CHECK_EQ(t->onion_mode, ILPD_ONION_DIR);
}

static void test_url_parse(void)
{
	static const struct {
		const char *url, *host, *path;
		unsigned port;
	} good[] = {
		{ "ws://h", "h", "/", 80 },
		{ "ws://127.0.0.1:7768", "127.0.0.1", "/", 7768 },
		{ "btp+ws://a-b.c_d:1/x/y", "a-b.c_d", "/x/y", 1 },
		{ "ws://[::1]:65535/p?q=1", "::1", "/p?q=1", 65535 },
		{ "ws://[fe80::1]/", "fe80::1", "/", 80 },
	};
	static const char *const bad[] = {
		"", "ws://", "ws:/h", "ws://h:0", "wss://", "wss://h:0",
		"ws://h:65536", "ws://h:1x", "ws://u@h", "ws://u:p@h/", "ws://h h",
		"ws://h/#f", "ws://[::1", "ws://[]:1", "ws://[zz::1]", "ws://h?x",
		"ws://h\x7f", "WS://h", "ws://h:123456/",
	};
	struct ilpd_url u;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&u, 0, sizeof(u));
		if (ilpd_url_parse(good[i].url, &u, &why) != 0) {
			th_fail(__FILE__, __LINE__, "%s: %s", good[i].url, why);
			continue;
		}
		CHECK(why == NULL);
		CHECK(strcmp(u.host, good[i].host) == 0);
		CHECK(strcmp(u.path, good[i].path) == 0);
		CHECK_EQ(u.port, good[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (ilpd_url_parse(bad[i], &u, &why) != -1 || why == NULL)
			th_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
	}
#if defined(ILPD_TLS_BEARSSL) || defined(ILPD_TLS_MBEDTLS)
	memset(&u, 0, sizeof(u));
	CHECK_EQ(ilpd_url_parse("wss://h", &u, &why), 0);
	CHECK(u.tls && u.port == 443 && strcmp(u.host, "h") == 0 && strcmp(u.path, "/") == 0);
	CHECK_EQ(ilpd_url_parse("btp+wss://localhost:7443/btp", &u, &why), 0);
	CHECK(u.tls && u.port == 7443 && strcmp(u.path, "/btp") == 0);
	CHECK_EQ(ilpd_url_parse("ws://h", &u, &why), 0);
	CHECK(!u.tls);
#else
	why = NULL;
	CHECK_EQ(ilpd_url_parse("wss://h", &u, &why), -1);
	CHECK(why != NULL && strstr(why, "built without TLS") != NULL);
#endif
}

/* [tls], [btp] tls and the peer TLS keys load into the right fields. */
static void test_tls_keys(void)
{
	static const uint8_t pin[32] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45,
		0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
		0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
	};

	CHECK_EQ(load(NODE P), 0);
	CHECK(!conf.tls.listen_tls);
	CHECK(strcmp(conf.tls.ca_file, ILPD_TLS_DEFAULT_CA_FILE) == 0);
	CHECK(conf.tls.cert_file[0] == '\0' && conf.tls.key_file[0] == '\0');
	CHECK(!conf.peer[0].has_pin && conf.peer[0].tls_server_name[0] == '\0');
	CHECK(!ilpd_conf_needs_tls_client(&conf));
#if defined(ILPD_TLS_BEARSSL) || defined(ILPD_TLS_MBEDTLS)
	if (load(NODE "[btp]\ntls = on\n[tls]\nca_file = " ILPD_SOURCE_DIR "/README.md\n"
		 "cert_file = " ILPD_SOURCE_DIR "/README.md\nkey_file = " ILPD_SOURCE_DIR
		 "/README.md\n" P "url = wss://h:1/p\n"
		 "tls_pin = 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n"
		 "tls_server_name = node.example\n") != 0) {
		th_fail(__FILE__, __LINE__, "%s", err.msg);
		return;
	}
	CHECK(conf.tls.listen_tls);
	CHECK_EQ(conf.tls.ca_line, 6);
	CHECK_EQ(conf.tls.cert_line, 7);
	CHECK_EQ(conf.tls.key_line, 8);
	CHECK(conf.peer[0].url.tls && conf.peer[0].has_pin);
	CHECK(memcmp(conf.peer[0].tls_pin, pin, sizeof(pin)) == 0);
	CHECK(strcmp(conf.peer[0].tls_server_name, "node.example") == 0);
	CHECK(ilpd_conf_needs_tls_client(&conf));
	{
		static struct ilpd_conf other;

		other = conf;
		CHECK(ilpd_conf_tls_same(&conf, &other));
		CHECK(ilpd_peer_tls_same(&conf.peer[0], &other.peer[0]));
		other.peer[0].tls_pin[31] ^= 1;
		CHECK(!ilpd_peer_tls_same(&conf.peer[0], &other.peer[0]));
		other.tls.cert_file[0] = 'x';
		CHECK(!ilpd_conf_tls_same(&conf, &other));
	}
#else
	(void)pin;
#endif
}

/* Lines up to the limit load; one byte more is "line too long". */
static void test_long_line(void)
{
	static const char head[] = NODE "[peer a]\nrelation = child\ntoken = ";
	size_t n = strlen(head), tok_max = ILPD_CONF_TOKEN_MAX;

	memcpy(big, head, n);
	memset(big + n, 'k', tok_max);
	strcpy(big + n + tok_max, "\n");
	EXPECT_OK(big);
	CHECK_EQ(strlen(conf.peer[0].token), tok_max);
	strcpy(big + n + tok_max, "k\n");
	EXPECT_ERR(big, "t.ini:5: 'token' is longer than 255 bytes");

	/* 1024 bytes of line (a comment) is fine; 1025 is not. */
	memcpy(big, NODE, strlen(NODE));
	n = strlen(NODE);
	big[n] = ';';
	memset(big + n + 1, 'c', 1023);
	strcpy(big + n + 1024, "\n[peer a]\nrelation = child\ntoken = t\n");
	EXPECT_OK(big);
	CHECK_EQ(conf.npeers, 1);
	memset(big + n + 1, 'c', 1024);
	strcpy(big + n + 1025, "\n[peer a]\n");
	EXPECT_ERR(big, "t.ini:3: line too long (limit 1024 bytes)");
	/* Without a final newline too. */
	big[n + 1025] = '\0';
	EXPECT_ERR(big, "t.ini:3: line too long (limit 1024 bytes)");
}

static void test_board_limits(void)
{
	char want[128];
	size_t n, i;

	/* ILPD_MAX_PEERS outbound peers fit; one more does not. */
	n = (size_t)sprintf(big, NODE);
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		n += (size_t)sprintf(big + n, "[peer p%zu]\nrelation = peer\n"
				     "url = ws://h/\ntoken = t\n", i);
	EXPECT_OK(big);
	CHECK_EQ(conf.npeers, ILPD_MAX_PEERS);
	(void)sprintf(big + n, "[peer extra]\n");
	(void)snprintf(want, sizeof(want), "t.ini:%d: too many peers (board limit %d)",
		       3 + 4 * ILPD_MAX_PEERS, ILPD_MAX_PEERS);
	EXPECT_ERR(big, want);

	/* ILPD_MAX_ROUTES static routes fit; one more does not. */
	n = (size_t)sprintf(big, NODE "[peer a]\nrelation = peer\ntoken = t\n[routes]\n");
	for (i = 0; i < ILPD_MAX_ROUTES; i++)
		n += (size_t)sprintf(big + n, "g.r%zu = a\n", i);
	EXPECT_OK(big);
	CHECK_EQ(conf.nroutes, ILPD_MAX_ROUTES);
	(void)sprintf(big + n, "g.extra = a\n");
	(void)snprintf(want, sizeof(want), "t.ini:%d: too many routes (board limit %d)",
		       7 + ILPD_MAX_ROUTES, ILPD_MAX_ROUTES);
	EXPECT_ERR(big, want);

	/* A child takes one route of the table. */
	n = (size_t)sprintf(big, NODE "[peer a]\nrelation = child\ntoken = t\n[routes]\n");
	for (i = 0; i < ILPD_MAX_ROUTES; i++)
		n += (size_t)sprintf(big + n, "g.r%zu = a\n", i);
	(void)snprintf(want, sizeof(want), "t.ini:%d: too many routes: %d static "
		       "routes and 1 child peers exceed the board limit of %d",
		       6 + ILPD_MAX_ROUTES, ILPD_MAX_ROUTES, ILPD_MAX_ROUTES);
	EXPECT_ERR(big, want);
}

/* Address and prefix lengths against the board's limits. */
static void test_lengths(void)
{
	size_t n, seg;
	char want[160];

	/* A node address of exactly ILPD_ADDRESS_MAX bytes loads. */
	n = (size_t)sprintf(big, "[node]\naddress = test.");
	memset(big + n, 'a', ILPD_ADDRESS_MAX - 5);
	n += ILPD_ADDRESS_MAX - 5;
	strcpy(big + n, "\n");
	EXPECT_OK(big);
	CHECK_EQ(strlen(conf.address), ILPD_ADDRESS_MAX);
	strcpy(big + n, "a\n");
	(void)snprintf(want, sizeof(want), "t.ini:2: 'address' is longer than %d bytes",
		       ILPD_ADDRESS_MAX);
	EXPECT_ERR(big, want);

	/* A child address must fit a route prefix. */
	seg = ILPD_ROUTE_PREFIX_MAX - 5 - 1 - 1;   /* "test." + seg + "." + "k" */
	if (seg > ILPD_ADDRESS_MAX - 5)
		seg = ILPD_ADDRESS_MAX - 5;
	n = (size_t)sprintf(big, "[node]\naddress = test.");
	memset(big + n, 'a', seg);
	n += seg;
	(void)sprintf(big + n, "\n[peer k]\nrelation = child\ntoken = t\n");
	if (5 + seg + 2 <= ILPD_ROUTE_PREFIX_MAX)
		EXPECT_OK(big);
	(void)sprintf(big + n, "\n[peer kk]\nrelation = child\ntoken = t\n");
	if (5 + seg + 3 > ILPD_ROUTE_PREFIX_MAX) {
		(void)snprintf(want, sizeof(want), "t.ini:3: child address of peer "
			       "'kk' (%zu bytes) is longer than %d bytes (board limit)",
			       5 + seg + 3, ILPD_ROUTE_PREFIX_MAX);
		EXPECT_ERR(big, want);
	}
	/* The same name as a parent needs no child route. */
	(void)sprintf(big + n, "\n[peer kk]\nrelation = parent\ntoken = t\n");
	EXPECT_OK(big);

	/* Route prefix length. */
	n = (size_t)sprintf(big, NODE P "[routes]\ng.");
	memset(big + n, 'r', ILPD_ROUTE_PREFIX_MAX - 2);
	n += ILPD_ROUTE_PREFIX_MAX - 2;
	strcpy(big + n, " = a\n");
	EXPECT_OK(big);
	strcpy(big + n, "r = a\n");
	(void)snprintf(want, sizeof(want), "t.ini:7: route prefix is longer than %d "
		       "bytes (board limit)", ILPD_ROUTE_PREFIX_MAX);
	EXPECT_ERR(big, want);
}

/* Reads the "; expect: MESSAGE" first line of a bad file. */
static int read_expect(const char *path, char *out, size_t cap)
{
	static const char tag[] = "; expect: ";
	FILE *f = fopen(path, "r");
	char line[512];
	size_t n;

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL) {
		(void)fclose(f);
		return -1;
	}
	(void)fclose(f);
	if (strncmp(line, tag, strlen(tag)) != 0)
		return -1;
	n = strcspn(line + strlen(tag), "\r\n");
	if (n >= cap)
		return -1;
	memcpy(out, line + strlen(tag), n);
	out[n] = '\0';
	return 0;
}

#define CONFIGS ILPD_SOURCE_DIR "/tests/configs/"

static const char *const good_files[] = {
	"minimal.ini", "full.ini", "outbound-parent.ini", "ipv6.ini",
	"crlf-bom-indent.ini", "default-equivalent.ini", "onion-managed.ini",
	"ledger.ini", "settlement.ini",
};

static const char *const bad_files[] = {
	"unknown-section.ini", "unknown-key.ini", "duplicate-key.ini",
	"duplicate-peer.ini", "bad-number.ini", "negative-number.ini",
	"bad-bool.ini", "bad-relation.ini", "bad-address.ini",
	"bad-peer-name.ini", "long-peer-name.ini", "wss-url.ini",
	"tls-pin-plain-url.ini", "tls-cert-without-key.ini",
	"url-credentials.ini", "missing-relation.ini", "missing-token.ini",
	"missing-address.ini", "shared-token.ini", "route-unknown-peer.ini",
	"bad-route-prefix.ini", "min-balance-positive.ini",
	"max-balance-negative.ini", "bad-rate.ini", "asset-scale-range.ini",
	"address-link-local.ini",
	"bad-listen.ini", "hold-below-window.ini", "bad-log-level.ini",
	"transport-socks5.ini", "line-too-long.ini", "syntax-error.ini",
	"key-outside-section.ini", "ledger-durability.ini", "ledger-relative-path.ini",
	"ledger-commit-range.ini", "ledger-sync-range.ini", "ledger-window-mode.ini",
	"ledger-period-mode.ini", "settle-to-threshold.ini", "settlement-engine-remote.ini",
	"handler-url-name.ini", "settlement-engine-onion.ini", "settlement-listen-name.ini",
	"settlement-scale-range.ini", "settlement-engine-unix-relative.ini",
	"settlement-engine-unix-long.ini",
};

static void test_files(void)
{
	char path[512], want[512];
	size_t i, dir = strlen(CONFIGS "bad/");

	for (i = 0; i < sizeof(good_files) / sizeof(good_files[0]); i++) {
		(void)snprintf(path, sizeof(path), CONFIGS "good/%s", good_files[i]);
		if (ilpd_conf_load_file(&conf, path, &err) != 0)
			th_fail(__FILE__, __LINE__, "%s", err.msg);
		else
			CHECK(strcmp(conf.source, path) == 0 || strlen(path) > 255);
	}
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		(void)snprintf(path, sizeof(path), CONFIGS "bad/%s", bad_files[i]);
		if (read_expect(path, want, sizeof(want)) != 0) {
			th_fail(__FILE__, __LINE__, "%s: no '; expect:' first line", path);
			continue;
		}
		if (ilpd_conf_load_file(&conf, path, &err) != -1) {
			th_fail(__FILE__, __LINE__, "%s loaded", path);
			continue;
		}
		/* The message names the path given; the expectation its base name. */
		if (strncmp(err.msg, path, dir) != 0 ||
		    strcmp(err.msg + dir, want) != 0)
			th_fail(__FILE__, __LINE__, "got \"%s\", want \"%s\"",
				err.msg, want);
	}
	CHECK_EQ(ilpd_conf_load_file(&conf, CONFIGS "no-such-file.ini", &err), -1);
	CHECK(strcmp(err.msg, CONFIGS "no-such-file.ini:0: cannot open: "
		     "No such file or directory") == 0);
	/* a directory is not read at all */
	CHECK_EQ(ilpd_conf_load_file(&conf, CONFIGS, &err), -1);
	CHECK(strstr(err.msg, ":0: not a regular file") != NULL);
}

/* A FIFO (or any non-regular file) is refused without blocking; the file
 * name in err.msg is escaped and cut to its tail, the message is whole,
 * and err.line / err.text give the parts for printing the whole name. */
static void test_file_names(void)
{
	char dir[] = "/tmp/ilpd-test-config.XXXXXX", path[1400], show[64];
	const char *want = "not a regular file";
	size_t n;

	if (mkdtemp(dir) == NULL) {
		th_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return;
	}
	(void)snprintf(path, sizeof(path), "%s/fifo.ini", dir);
	CHECK_EQ(mkfifo(path, 0600), 0);
	alarm(10);   /* a blocking open would hang: fail loudly instead */
	CHECK_EQ(ilpd_conf_load_file(&conf, path, &err), -1);
	alarm(0);
	CHECK(strstr(err.msg, ":0: not a regular file") != NULL);
	CHECK_EQ(err.line, 0);
	CHECK(strncmp(err.msg + err.text, want, strlen(want)) == 0);
	(void)unlink(path);
	/* a long name: cut to "..." + tail in err.msg, the message intact */
	n = (size_t)snprintf(path, sizeof(path), "%s/", dir);
	memset(path + n, 'd', sizeof(path) - n - 1);
	path[sizeof(path) - 1] = '\0';
	memcpy(path + sizeof(path) - 12, "/x\x1b[2J.ini", 11);
	CHECK_EQ(ilpd_conf_load_file(&conf, path, &err), -1);
	CHECK(strncmp(err.msg, "...", 3) == 0);
	CHECK(strstr(err.msg, "/x\\x1b[2J.ini:0: cannot open: ") != NULL);
	CHECK(strchr(err.msg, 0x1b) == NULL);
	CHECK(strlen(err.msg) < ILPD_CONF_NAME_SHOW + 64);
	CHECK(strcmp(err.msg + err.text, "cannot open: File name too long") == 0 ||
	      strcmp(err.msg + err.text, "cannot open: No such file or directory") == 0);
	CHECK(strncmp(conf.source, "...", 3) == 0 && strchr(conf.source, 0x1b) == NULL);
	/* the escaping itself */
	CHECK(strcmp(ilpd_conf_name("a\\b\x7f\n\x01\xc3\xa9", 8, show, sizeof(show)),
		     "a\\\\b\\x7f\\x0a\\x01\xc3\xa9") == 0);
	CHECK(strcmp(ilpd_conf_name("0123456789\x1b", 11, show, 12), "...6789\\x1b") == 0);
	CHECK(strcmp(ilpd_conf_name("short", 5, show, 12), "short") == 0);
	CHECK_EQ(rmdir(dir), 0);
}

/* [ledger]: defaults (sync, state_file under [transport] state_dir), the
 * embedded default's off, and what a reload may not change. */
static void test_ledger(void)
{
	static struct ilpd_conf other;

	CHECK_EQ(load("[node]\naddress = test.x\n"), 0);
	CHECK_EQ(conf.ledger.durability, ILPD_DUR_SYNC);
	CHECK_EQ(conf.ledger.commit_interval_ms, 0);
	CHECK_EQ(conf.ledger.sync_interval_ms, 1000);
	CHECK(strcmp(conf.ledger.state_file, "/var/lib/ilpd/ledger.state") == 0);
	CHECK_EQ(load("[node]\naddress = test.x\n[transport]\nstate_dir = /srv/ilpd/\n"
		      "[ledger]\ncommit_interval_ms = 2\n"), 0);
	CHECK(strcmp(conf.ledger.state_file, "/srv/ilpd/ledger.state") == 0);
	CHECK_EQ(conf.ledger.commit_interval_ms, 2);
	CHECK_EQ(ilpd_conf_load_string(&other, "(default)", ilpd_default_config, &err), 0);
	CHECK_EQ(other.ledger.durability, ILPD_DUR_OFF);
	CHECK(ilpd_conf_ledger_restart(&conf, &other) != NULL);
	CHECK_EQ(load("[node]\naddress = test.x\n[ledger]\nstate_file = /a/b.state\n"), 0);
	other = conf;
	CHECK(ilpd_conf_ledger_restart(&conf, &other) == NULL);
	other.ledger.sync_interval_ms = 20;
	CHECK(ilpd_conf_ledger_restart(&conf, &other) == NULL);
	strcpy(other.ledger.state_file, "/a/c.state");
	CHECK(strstr(ilpd_conf_ledger_restart(&conf, &other), "state_file") != NULL);
	CHECK(strcmp(ilpd_durability_name(ILPD_DUR_INTERVAL), "interval") == 0);
}

/* good/default-equivalent.ini gives the embedded default's settings. */
static void test_default_equivalent(void)
{
	static struct ilpd_conf def;
	size_t i;

	CHECK_EQ(ilpd_conf_load_string(&def, "(default)", ilpd_default_config,
				       &err), 0);
	CHECK_EQ(ilpd_conf_load_file(&conf, CONFIGS "good/default-equivalent.ini",
				     &err), 0);
	CHECK(strcmp(conf.address, def.address) == 0);
	CHECK(strcmp(conf.asset_code, def.asset_code) == 0);
	CHECK_EQ(conf.asset_scale, def.asset_scale);
	CHECK(memcmp(&conf.btp_listen, &def.btp_listen, sizeof(def.btp_listen)) == 0);
	CHECK(memcmp(&conf.admin_listen, &def.admin_listen, sizeof(def.admin_listen)) == 0);
	CHECK_EQ(conf.auth_timeout_ms, def.auth_timeout_ms);
	CHECK_EQ(conf.ping_interval_ms, def.ping_interval_ms);
	CHECK_EQ(conf.reconnect_min_ms, def.reconnect_min_ms);
	CHECK_EQ(conf.reconnect_max_ms, def.reconnect_max_ms);
	CHECK_EQ(conf.min_message_window_ms, def.min_message_window_ms);
	CHECK_EQ(conf.max_hold_time_ms, def.max_hold_time_ms);
	CHECK_EQ(conf.log_level, def.log_level);
	CHECK_EQ(conf.log_stderr, def.log_stderr);
	CHECK_EQ(conf.log_syslog, def.log_syslog);
	CHECK_EQ(conf.ledger.durability, def.ledger.durability);
	CHECK(strcmp(conf.ledger.state_file, def.ledger.state_file) == 0);
	CHECK_EQ(conf.ledger.commit_interval_ms, def.ledger.commit_interval_ms);
	CHECK_EQ(conf.ledger.sync_interval_ms, def.ledger.sync_interval_ms);
	CHECK_EQ(conf.npeers, def.npeers);
	CHECK_EQ(conf.nroutes, def.nroutes);
	for (i = 0; i < def.npeers && i < conf.npeers; i++) {
		struct ilpd_peer_conf a = conf.peer[i], b = def.peer[i];

		a.line = b.line = 0;   /* the only field allowed to differ */
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	}
}

/* Every .ini file on disk is in the lists above: none is silently skipped. */
static void check_listed(const char *dir, const char *const *names, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t found = 0, i, len;

	if (d == NULL) {
		th_fail(__FILE__, __LINE__, "cannot open %s", dir);
		return;
	}
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (e == NULL)
			break;
		len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 4, ".ini") != 0)
			continue;
		found++;
		for (i = 0; i < n; i++)
			if (strcmp(names[i], e->d_name) == 0)
				break;
		if (i == n)
			th_fail(__FILE__, __LINE__, "%s%s is not listed in test_config.c",
				dir, e->d_name);
	}
	if (errno != 0)
		th_fail(__FILE__, __LINE__, "readdir %s: %s", dir, strerror(errno));
	(void)closedir(d);
	CHECK_EQ(found, n);
}

static void test_files_listed(void)
{
	check_listed(CONFIGS "good/", good_files,
		     sizeof(good_files) / sizeof(good_files[0]));
	check_listed(CONFIGS "bad/", bad_files,
		     sizeof(bad_files) / sizeof(bad_files[0]));
}

/* A failed load leaves the message; a good one clears it. */
static void test_reuse(void)
{
	CHECK_EQ(load("[nod]\n"), -1);
	CHECK_EQ(load(NODE), 0);
	CHECK_EQ(err.msg[0], '\0');
	CHECK_EQ(conf.npeers, 0);
	CHECK_EQ(conf.nroutes, 0);
}

int main(void)
{
	TH_RUN(test_default_config);
	TH_RUN(test_address_auto);
	TH_RUN(test_limit_keys);
	TH_RUN(test_rate_accepted);
	TH_RUN(test_ledger);
	TH_RUN(test_defaults);
	TH_RUN(test_full);
	TH_RUN(test_bad_table);
	TH_RUN(test_no_secret_in_errors);
	TH_RUN(test_transport);
	TH_RUN(test_url_parse);
	TH_RUN(test_tls_keys);
	TH_RUN(test_long_line);
	TH_RUN(test_board_limits);
	TH_RUN(test_lengths);
	TH_RUN(test_files);
	TH_RUN(test_file_names);
	TH_RUN(test_files_listed);
	TH_RUN(test_default_equivalent);
	TH_RUN(test_reuse);
	return th_finish();
}
