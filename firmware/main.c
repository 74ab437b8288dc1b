/*
 * main.c - the ilpd daemon: command line, signals and systemd notification
 * around the connector that boot.c owns (every long-lived object is a
 * static pool from pools.def, the list the build's memory map prints); the
 * event loop runs until SIGTERM/SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "admin_ini.h"
#include "config.h"
#include "daemon.h"
#include "hal/hal_log.h"
#include "hal/hal_net.h"
#include "hal/hal_notify.h"
#include "boot.h"
#include "durable.h"

#ifndef ILPD_VERSION
#define ILPD_VERSION "0.1.0"
#endif

/* Called once initialisation is complete. Defined only by the test
 * interposer (tests/alloc/), which counts heap use after this point. */
extern void ilpd_alloc_mark(void) __attribute__((weak));

/* How long in-flight packets may take to finish on SIGTERM. */
#define MAIN_STOP_GRACE_MS 5000

static volatile sig_atomic_t main_stop_signal;
static volatile sig_atomic_t main_hup_signal;

static const char main_usage[] =
"Usage: ilpd [-c FILE | --config FILE] [--reset-ledger]\n"
"       ilpd [-c FILE] --dump-state\n"
"       ilpd --check-config FILE\n"
"       ilpd --print-default-config | --help | --version\n"
"\n"
"ilpd is an Interledger (ILPv4) connector. It accepts and dials BTP 2.0 peers over\n"
"WebSocket, routes ILP Prepare packets by longest ILP-address prefix, converts\n"
"amounts, shortens expiries, holds amounts in a per-peer ledger, and relays\n"
"Fulfills (checking SHA-256(fulfillment) == condition) and Rejects. All tables\n"
"are fixed at build time for the board (see the memory map the build prints).\n"
"\n"
"Options:\n"
"  -c, --config FILE        Run with the INI configuration FILE. Without it, ilpd\n"
"                           runs the board's embedded default (see below).\n"
"  --check-config FILE      Validate FILE and exit: prints 'FILE: ok' (exit 0) or\n"
"                           'FILE:LINE: message' for the first problem (exit 1).\n"
"  --print-default-config   Print the embedded default configuration and exit.\n"
"  --reset-ledger           Start from zero balances: replace the state file\n"
"                           ([ledger] state_file) with a fresh one. Asks nothing;\n"
"                           logs persist.reset (warn) with every balance it\n"
"                           discards. The only way past a refused state file.\n"
"  --dump-state             Recover the state file named by the configuration,\n"
"                           print its balances as JSON on stdout and exit 0\n"
"                           without starting (exit 4 with a 'state: ...' message\n"
"                           if it is damaged, missing or in use by another ilpd).\n"
"  -h, --help               Print this help and exit.\n"
"  -V, --version            Print the version and exit.\n"
"\n"
"Configuration (full reference: man ilpd, docs/configuration.md):\n"
"  [node]       address (or auto: from the parent by IL-DCP), asset_code (XRP),\n"
"               asset_scale (9)\n"
"  [btp]        listen (127.0.0.1:7768 | off), auth_timeout_ms (5000),\n"
"               ping_interval_ms (20000), reconnect_min_ms (100),\n"
"               reconnect_max_ms (30000)\n"
"  [admin]      listen (127.0.0.1:7769 | off): GET /health, /metrics, /routes\n"
"               (open), the admin API under /admin/ (POST /admin/ilp/send, ...):\n"
"               token (or token_file), allowed_ips (127.0.0.0/8, ::1 for /admin/;\n"
"               set: every path), state_dir\n"
"               (<[ledger] state_file's dir>: admin.ini, the API's peers/routes)\n"
"  [limits]     min_message_window_ms (1000), max_hold_time_ms (30000)\n"
"  [log]        level (info), stderr (true), syslog (false)\n"
"  [peer NAME]  relation (parent|peer|child), url (ws://HOST:PORT/PATH to dial;\n"
"               omit to accept the peer), token, username, asset_code, asset_scale,\n"
"               rate (1), max_packet_amount, min_balance, max_balance,\n"
"               settle_threshold, max_in_flight (a quarter of the board's\n"
"               pending table: host 1024; T05 past it, amount-0 packets count),\n"
"               rate_limit, rate_limit_burst (Prepares/s, T05), throughput_in,\n"
"               throughput_out (amount/s, T04): off by default\n"
"  [routes]     PREFIX = PEER, default = PEER\n"
"  [ledger]     durability (sync|interval|off; sync), commit_interval_ms (0;\n"
"               0..1000: sync's group-commit window, delays all output by up\n"
"               to it), sync_interval_ms (1000; 10..60000: interval's period,\n"
"               the most Fulfills a crash can lose), state_file\n"
"               (<state_dir>/ledger.state). sync: a Fulfill is relayed only\n"
"               once its balance change is on disk. Restart to change\n"
"               durability or state_file. See man ilpd, DURABLE LEDGER.\n";

/* --help: [local], ilpd's own account (config_local.c, local.h). */
static const char main_usage_local[] =
"  [local]      ilpd's own account (peer 'local'): handler_url (none;\n"
"               http://127.0.0.1:PORT[/PATH] of the business-logic server,\n"
"               loopback unless allow_remote), prefix (the node's address),\n"
"               notify_transit (false), timeout_margin_ms (500), max_requests\n"
"               (half the HTTP client slots), queue, allow_remote (false),\n"
"               max_balance (unlimited). Condition must be SHA-256(SHA-256(data))\n"
"               or F05. See man ilpd, [local]; docs/applications.md.\n";

/* Settlement's part of --help (its own literal: each stays under 4095 bytes). */
static const char main_usage_settle[] =
"  Settlement   [peer NAME] settlement_engine (none; http://127.0.0.1:PORT of the\n"
"               peer's RFC 38 engine, loopback unless allow_remote_engine, or\n"
"               unix:/PATH of its unix socket, at most 107 bytes; not on lwIP),\n"
"               settle_threshold (none: ilpd pays when the balance falls below\n"
"               it), settle_to (0), settlement_scale (asset_scale);\n"
"               [settlement] listen (off; 127.0.0.1:PORT: the engines' API),\n"
"               allow_remote (false). See man ilpd, SETTLEMENT.\n";

/* --help: every HTTP endpoint ilpd serves or calls. */
static const char main_usage_http[] =
"\n"
"HTTP endpoints (man ilpd, ADMIN ENDPOINTS and SETTLEMENT; docs/applications.md):\n"
"  [admin] listen, open (or to allowed_ips, when it is set):\n"
"    GET /            the dashboard (read-only; /#token=T sends the token)\n"
"    GET /health      JSON status: node, transport, peers, ledger, settlement\n"
"    GET /metrics     Prometheus text\n"
"    GET /routes      the routing table (static, children, CCP-learned)\n"
"  [admin] listen, with 'Authorization: Bearer TOKEN' when [admin] token is set:\n"
"    POST /admin/ilp/send                   send a Prepare from ilpd's own account\n"
"    GET|POST /admin/peers, GET|DELETE /admin/peers/NAME   peers, kept in admin.ini\n"
"    GET|POST /admin/routes, DELETE /admin/routes/PREFIX   routes (PREFIX or default)\n"
"  [settlement] listen, for the settlement engines (RFC 38):\n"
"    POST /accounts/ID/settlements, POST /accounts/ID/messages\n"
"  Called by ilpd: POST <[local] handler_url>/handle-packet (local delivery);\n"
"    POST|DELETE <settlement_engine>/accounts[/ID[/settlements|/messages]].\n";

/* The rest of --help (one literal would exceed the 4095 bytes C11 promises). */
static const char main_usage2[] =
"  CCP routes   [node] route_broadcast_interval_ms (30000), route_expiry_ms\n"
"               (45000); [peer NAME] send_routes, receive_routes (on for\n"
"               parent and peer, off for child). Learned routes: GET /routes,\n"
"               ilpctl routes URL. See man ilpd, ROUTING.\n"
"  [tls]        ca_file, cert_file, key_file (wss:// peers and listener)\n"
"  [transport]  type (direct|socks5), proxy (socks5h://HOST:PORT only: socks5://\n"
"               is refused, local DNS would leak), proxy_scope (all|onion),\n"
"               allow_direct_loopback (false), onion_suffixes (.onion .anyone\n"
"               .anon), connect_timeout_ms (30000), onion_connect_timeout_ms\n"
"               (120000), probe_interval_ms (30000), onion_service\n"
"               (off|managed|external|dir), state_dir (/var/lib/ilpd), tor_path\n"
"               (/usr/bin/tor; or anon), torrc_append, socks_port (9150),\n"
"               control_port (9151), control (127.0.0.1:9051), control_auth\n"
"               (cookie|password), control_password, control_cookie_file,\n"
"               hs_dir, onion_port (BTP port), bootstrap_timeout_ms (300000),\n"
"               stop_timeout_ms (10000), external_url (auto|URL).\n"
"               Fail-closed: a peer that goes through the proxy is never dialled\n"
"               directly. Operator guide: docs/onion.md\n"
"  [netif]      lwIP builds only: driver (tap), name (tap0), address (A.B.C.D/LEN),\n"
"               gateway, address6 (X::Y/64), mtu (1280..1500, 1500). See docs/lwip.md\n"
"\n"
"Default configuration (no -c): a DEMO node test.ilpd, BTP on 127.0.0.1:7768,\n"
"admin on 127.0.0.1:7769, inbound children 'alice' (token alice-token) and 'bob'\n"
"(token bob-token), who get the addresses test.ilpd.alice and test.ilpd.bob by\n"
"IL-DCP. It listens on loopback only; its tokens are public, so do not expose\n"
"it. It has [ledger] durability = off: its balances are lost at every restart.\n"
"\n"
"Signals:\n"
"  SIGTERM, SIGINT  Graceful stop: close the listeners, refuse new packets (T03),\n"
"                   let in-flight packets finish for up to 5 s, reject the rest,\n"
"                   close every peer with a WebSocket close, exit 0.\n"
"  SIGHUP           Reload the configuration file (or the embedded default).\n"
"                   An invalid file is refused (config.reload_failed) and ilpd\n"
"                   runs on. Unchanged peers stay connected, packets in flight\n"
"                   continue. A peer whose rate, asset or limits changed keeps\n"
"                   its connection and balance; one whose relation, url, token\n"
"                   or username changed is reconnected; removed peers are\n"
"                   dropped (their packets in flight rejected T01), new ones\n"
"                   started. [routes], [limits], [log] and the [btp] timers\n"
"                   apply at once. A changed [node] address or asset, [btp]\n"
"                   listen, [admin] listen, [tls], [transport] or [netif] needs\n"
"                   a restart: such a reload is\n"
"                   refused as a whole and nothing changes. Success is logged as\n"
"                   config.reloaded peers_added=.. peers_removed=.. ...\n"
"\n"
"Logging: one event per line on stderr (and syslog if enabled), as\n"
"  ts=2026-11-22T10:00:00.123Z level=info event=peer.up peer=alice ...\n"
"Tokens, control passwords and keys are never logged. Onion addresses\n"
"(.onion/.anyone/.anon and bare v3 ids) are replaced by [onion] in every line\n"
"at level info and above; only level=debug shows them.\n"
"\n"
"Exit status: 0 after a clean stop or a successful check; 1 for a configuration\n"
"error; 2 for a usage error; 3 if start-up failed (e.g. a port in use); 4 if\n"
"the state file refused start-up or --dump-state ('state: ...' on stderr:\n"
"damaged, written by a newer ilpd or another node, a configured peer's balance\n"
"missing, in use by another ilpd). ilpd never starts from zero on its own.\n";

static void main_on_signal(int sig)
{
	if (sig == SIGHUP)
		main_hup_signal = 1;
	else
		main_stop_signal = 1;
}

static void main_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Writes a file name with its control bytes escaped (config.h), whole:
 * in parts, so no buffer limits how long a path may be. */
static void main_put_name(FILE *f, const char *name)
{
	char e[4];

	for (; *name != '\0'; name++)
		(void)fwrite(e, 1, ilpd_conf_escape_byte((unsigned char)*name, e), f);
}

/* admin.ini (admin_ini.h: peers and routes made by the admin API) on top
 * of c: 0, or -1 after printing PATH:LINE: message. */
static int main_load_admin(struct ilpd_conf *c, bool *present)
{
	struct ilpd_conf_err err;
	char path[ILPD_CONF_PATH_MAX + 16];

	if (ilpd_admin_ini_load(c, present, &err) == 0)
		return 0;
	main_put_name(stderr, ilpd_admin_ini_path(c, path, sizeof(path)) == 0 ? path :
		      "admin.ini");
	fprintf(stderr, ":%d: %s\n", err.line, err.msg + err.text);
	return -1;
}

/* --check-config: "PATH: ok (...)" for admin.ini, when there is one. */
static bool main_admin_present;

static void main_check_admin(const struct ilpd_conf *c)
{
	char path[ILPD_CONF_PATH_MAX + 16];
	size_t i, np = 0, nr = 0;

	if (!main_admin_present || ilpd_admin_ini_path(c, path, sizeof(path)) != 0)
		return;
	for (i = 0; i < c->npeers; i++)
		np += ilpd_admin_ini_has_peer(c, c->peer[i].name);
	for (i = 0; i < c->nroutes; i++)
		nr += ilpd_admin_ini_has_route(c, c->route[i].prefix);
	nr += c->default_route[0] != '\0' && ilpd_admin_ini_has_route(c, "default");
	main_put_name(stdout, path);
	printf(": ok (admin API: %zu peers, %zu routes set there)\n", np, nr);
}

static int main_load(struct ilpd_conf *c, const char *path)
{
	struct ilpd_conf_err err;
	bool admin_ini;
	int r;

	if (path != NULL)
		r = ilpd_conf_load_file(c, path, &err);
	else
		r = ilpd_conf_load_string(c, "(default)", ilpd_default_config, &err);
	if (r != 0) {
		/* FILE:LINE: message, with the whole FILE (err.msg may cut it) */
		main_put_name(stderr, path != NULL ? path : "(default)");
		fprintf(stderr, ":%d: %s\n", err.line, err.msg + err.text);
		return r;
	}
	r = main_load_admin(c, &admin_ini);
	main_admin_present = admin_ini;
	return r;
}

/* SIGHUP: load the file into the spare configuration and apply it. */
static void main_reload(const char *path)
{
	struct ilpd_conf *spare = ilpd_boot_spare_conf();
	struct ilpd_conf_err err;
	bool admin_ini;
	char q[ILPD_CONF_ERR_MAX + 64];
	int r;

	if (path != NULL)
		r = ilpd_conf_load_file(spare, path, &err);
	else
		r = ilpd_conf_load_string(spare, "(default)", ilpd_default_config, &err);
	if (r != 0) {
		hal_log(HAL_LOG_ERROR, "config.reload_failed", "reason=%s",
			hal_log_quote(err.msg, strlen(err.msg), q, sizeof(q)));
		return;
	}
	/* then admin.ini, as at start-up (admin_ini.h) */
	if (ilpd_admin_ini_load(spare, &admin_ini, &err) != 0) {
		hal_log(HAL_LOG_ERROR, "config.reload_failed", "reason=%s",
			hal_log_quote(err.msg, strlen(err.msg), q, sizeof(q)));
		return;
	}
	(void)ilpd_boot_reload();
}

static int main_run(const struct ilpd_conf *c, const char *path, bool reset)
{
	struct hal_log_cfg lc = { c->log_level, c->log_stderr, c->log_syslog };
	struct ilpd_daemon *d = ilpd_boot_daemon();
	int r;

	hal_log_setup(&lc);
	hal_notify_init();   /* before tor starts: children must not inherit it */
	hal_log_set_onion_suffixes(c->transport.suffix, c->transport.nsuffix);
	main_signals();
	r = ilpd_boot_start(c, reset);
	if (r != 0)
		return r;
	/* Ledger recovered, listeners up: systemd's Type=notify may go on. */
	hal_notify("READY=1\nSTATUS=running");
	if (ilpd_alloc_mark)
		ilpd_alloc_mark();
	for (;;) {
		ilpd_boot_step(d->stopping ? 20 : 1000);
		if (main_stop_signal) {
			main_stop_signal = 0;
			hal_notify("STOPPING=1");
			ilpd_daemon_stop(d, MAIN_STOP_GRACE_MS);
		}
		if (main_hup_signal) {
			main_hup_signal = 0;
			hal_notify("RELOADING=1");
			main_reload(path);
			hal_notify("READY=1");
		}
		if (ilpd_daemon_done(d))
			break;
	}
	ilpd_boot_finish();
	return 0;
}

/* --dump-state: the recovered balances as JSON (into the daemon's admin
 * buffer: nothing else runs). */
static int main_dump_state(const struct ilpd_conf *c)
{
	struct ilpd_daemon *d = ilpd_boot_daemon();
	size_t n = ilpd_durable_dump(&d->dur, c, d->admin_body, sizeof(d->admin_body));

	if (n == 0) {
		fprintf(stderr, "%s\n", d->dur.why);
		return ILPD_EXIT_STATE;
	}
	fwrite(d->admin_body, 1, n, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	bool reset = false, dump = false;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(main_usage, stdout);
			fputs(main_usage_local, stdout);
			fputs(main_usage2, stdout);
			fputs(main_usage_settle, stdout);
			fputs(main_usage_http, stdout);
			return 0;
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("ilpd %s (board %s)\n", ILPD_VERSION, ILPD_BOARD_NAME);
			return 0;
		}
		if (strcmp(a, "--print-default-config") == 0) {
			fputs(ilpd_default_config, stdout);
			return 0;
		}
		if (strcmp(a, "--check-config") == 0 && i + 1 < argc) {
			if (main_load(ilpd_boot_conf(), argv[i + 1]) != 0)
				return 1;
			main_put_name(stdout, argv[i + 1]);
			fputs(": ok\n", stdout);
			main_check_admin(ilpd_boot_conf());
			return 0;
		}
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
			path = argv[++i];
			continue;
		}
		if (strcmp(a, "--reset-ledger") == 0 || strcmp(a, "--dump-state") == 0) {
			*(a[2] == 'r' ? &reset : &dump) = true;
			continue;
		}
		fprintf(stderr, "ilpd: unknown or incomplete option '%s' (see ilpd --help)\n", a);
		return 2;
	}
	if (reset && dump) {
		fputs("ilpd: --reset-ledger and --dump-state exclude each other\n", stderr);
		return 2;
	}
	if (main_load(ilpd_boot_conf(), path) != 0)
		return 1;
	if (dump)
		return main_dump_state(ilpd_boot_conf());
	if (reset && ilpd_boot_conf()->ledger.durability == ILPD_DUR_OFF) {
		fputs("ilpd: --reset-ledger: [ledger] durability = off: there is no state "
		      "file to reset\n", stderr);
		return 2;
	}
	return main_run(ilpd_boot_conf(), path, reset);
}
