/*
 * test_admin_worst.c - /metrics and /health at their largest fit an admin
 * response (ILPD_ADMIN_OUT_MAX, net_opts.h).
 *
 * A daemon with every peer slot configured (ILPD_MAX_PEERS peers, each
 * named with ILPD_PEER_NAME_MAX bytes, each with a settlement engine,
 * limits, rate and throughput limits) and the longest node address. Once
 * started, every number /metrics or /health prints is set to the widest
 * value of its type (UINT64_MAX, INT64_MIN for signed ones, negative ages
 * where the difference can be negative), whether or not the daemon could
 * reach it, and every word to its longest choice (status "unhealthy",
 * "connected":false, relation "parent", engine "unreachable", ...). The
 * local account is forced on over the last slot as well, so /health holds
 * every peer and the local object together: an upper bound of both real
 * cases (all slots peers, or one of them the local account).
 *
 * The few counters that are file-static in other modules (settle_glue.c's
 * node-wide settlement counters, settle_api.c's two) print as short
 * numbers here; ADM_UNREACHED_SLACK adds what they could print more.
 *
 * The cap is the one httpd.c gives the pages: sizeof(admin_body) - 1024
 * (the 1024 bytes leave room for the HTTP head in the connection's
 * ILPD_ADMIN_OUT_MAX output buffer). A page that does not fit makes
 * ilpd_metrics_text / ilpd_health_json return 0 and the admin listener
 * answer 500.
 *
 * The daemon's event loop is never run after the values are set: they
 * only have to be printed.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ccp_glue.h"
#include "daemon.h"
#include "deliver.h"
#include "settle_glue.h"
#include "th.h"
#include "transport.h"

/* The cap httpd.c's request handler passes to the pages (rs.cap). */
#define ADM_CAP (sizeof(((struct ilpd_daemon *)0)->admin_body) - 1024)

/* Counters printed from file-static state the test cannot set: in
 * settle_glue.c 9 (ilpd_settlements_total x4, ilpd_settlement_credits_total
 * x2, ilpd_settlement_messages_total x3), in settle_api.c 2: up to 20
 * digits each, at most 19 more than the (at least 1) printed here. */
#define ADM_UNREACHED 11u
#define ADM_UNREACHED_SLACK (ADM_UNREACHED * 19u)

/* Longer than any reason a link records as its last error (the longest,
 * TLS_ERR_TRUNCATED's text, has 59 bytes). */
static const char long_error[] =
	"a link failure reason longer than any the daemon records as one";

#if ILPD_PEER_NAME_MAX < 4
#error "test_admin_worst names its peers with 4 bytes at least"
#endif

static struct ilpd_daemon D;
static struct ilpd_conf conf;
static struct ilpd_conf_err err;
static struct ilpd_transport tp;
static char text[2048 + ILPD_MAX_PEERS * 640];
static char address[ILPD_ADDRESS_MAX + 1];
/* Where a page that does not fit is measured. */
static char scratch[4 * ILPD_ADMIN_OUT_MAX];

static void peer_name(char *out, unsigned i)
{
	memset(out, 'n', ILPD_PEER_NAME_MAX);
	(void)snprintf(out + ILPD_PEER_NAME_MAX - 4, 5, "-%03u", i % 1000u);
}

/* "test." then 40-byte segments: exactly ILPD_ADDRESS_MAX bytes. */
static void long_address(void)
{
	size_t i;

	memcpy(address, "test.", 5);
	for (i = 5; i < ILPD_ADDRESS_MAX; i++)
		address[i] = (i - 5) % 41 == 40 ? '.' : (char)('a' + (i % 26));
	if (address[ILPD_ADDRESS_MAX - 1] == '.')
		address[ILPD_ADDRESS_MAX - 1] = 'z';
	address[ILPD_ADDRESS_MAX] = '\0';
}

static int build_config(void)
{
	size_t len;
	unsigned i;
	int n;

	long_address();
	n = snprintf(text, sizeof(text),
		     "[node]\naddress = %s\nasset_scale = 9\n[btp]\nlisten = off\n"
		     "[admin]\nlisten = off\n[log]\nlevel = error\n[ledger]\ndurability = off\n",
		     address);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	len = (size_t)n;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		char name[ILPD_PEER_NAME_MAX + 1];

		peer_name(name, i);
		n = snprintf(text + len, sizeof(text) - len,
			     "[peer %s]\nrelation = peer\nurl = ws://127.0.0.1:1/\ntoken = token-%u\n"
			     "asset_scale = 9\n"
			     "max_packet_amount = 1000000000\nmin_balance = -5000000000\n"
			     "max_balance = 5000000000\nmax_in_flight = %u\n"
			     "rate_limit = 1000\nrate_limit_burst = 2000\n"
			     "throughput_in = 100000000000\nthroughput_out = 100000000000\n"
			     "settlement_engine = http://127.0.0.1:9/engine/path\n"
			     "settle_threshold = -1000000000\nsettle_to = 0\nsettlement_scale = 9\n",
			     name, i, (unsigned)ILPD_MAX_PENDING);
		if (n < 0 || (size_t)n >= sizeof(text) - len)
			return -1;
		len += (size_t)n;
	}
	return 0;
}

/* Every figure at its widest (see the top). */
static void widen(void)
{
	const char *mode = "";
	unsigned k;
	size_t i;

	D.started_mono = INT64_MAX;          /* uptime: a 17-byte negative */
	D.stopping = false;
	memset(&D.ctr, 0xff, sizeof(D.ctr));
	memset(&D.sw.stats, 0xff, sizeof(D.sw.stats));   /* every reject code too */
	memset(&D.btp_lobby.st, 0xff, sizeof(D.btp_lobby.st));
	memset(&D.admin_lobby.st, 0xff, sizeof(D.admin_lobby.st));
	D.btp_lobby.n = UINT16_MAX;
	D.admin_lobby.n = UINT16_MAX;

	/* "addressSource": the longest text (an IL-DCP conflict) */
	D.ildcp.mode = ILDCP_MODE_AUTO;
	D.ildcp.conflict = true;

	/* transport: socks5, proxy not answering, onion published, the
	 * longest external_url; counters at their widest */
	conf.transport.type = ILPD_TRANSPORT_SOCKS5;
	conf.transport.scope = ILPD_PROXY_ONION;
	conf.transport.external_url_auto = false;
	memset(conf.transport.external_url, 'u', ILPD_CONF_HOST_MAX);
	conf.transport.external_url[ILPD_CONF_HOST_MAX] = '\0';
	tp.started = true;
	tp.probe_on = true;
	tp.probe_ok = false;
	tp.onion_state = ILPD_ONION_ST_PUBLISHED;
	memset(&tp.n, 0xff, sizeof(tp.n));
	D.tp = &tp;

	/* the durable ledger: failed (status "unhealthy"), a sync running for
	 * ~4.6e15 ms, the last one "in the future" (a 20-byte negative age),
	 * the longest mode name */
	for (k = 0; k < 3; k++)
		if (strlen(ilpd_durability_name(k)) > strlen(mode)) {
			mode = ilpd_durability_name(k);
			D.dur.mode = (uint8_t)k;
		}
	D.dur.store_open = true;
	D.dur.failed = true;
	D.dur.p.sync_pending = true;
	D.dur.p.pend_t0 = INT64_MIN / 2;
	D.dur.p.stats.syncs = UINT64_MAX;
	D.dur.p.stats.sync_failures = UINT64_MAX;
	D.dur.p.stats.bytes_written = UINT64_MAX;
	D.dur.p.stats.records = UINT64_MAX;
	D.dur.p.stats.snapshots = UINT64_MAX;
	D.dur.p.stats.sync_us_sum = UINT64_MAX;
	for (k = 0; k < ILPD_PERSIST_BUCKETS; k++)
		D.dur.p.stats.sync_us_bucket[k] = UINT64_MAX;
	D.dur.p.stats.last_sync_ms = INT64_MAX;
	D.dur.p.stats.journal_fill = UINT32_MAX;
	D.dur.p.stats.recovered = false;

	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		struct ilpd_link *l = &D.link[i];
		struct ledger_slot *s = &D.sw.ledger.slot[i];
		struct ilp_peer *p = &D.sw.peers[i];
		struct settle_peer *st = &ilpd_settle_state.peer[i];

		l->state = LINK_DOWN;                 /* "connected":false */
		l->peer.relation = ILP_REL_PARENT;    /* the longest relation */
		l->conn = (int)i;                     /* bytes from a connection */
		D.conn[i].ws.bytes_in = UINT64_MAX;
		D.conn[i].ws.bytes_out = UINT64_MAX;
		l->connects = UINT64_MAX;
		l->last_error = long_error;
		s->balance = INT64_MIN;
		s->pending_in = UINT64_MAX;
		s->pending_out = UINT64_MAX;
		p->pending = UINT32_MAX;
		p->pending_from = UINT32_MAX;
		p->cfg.max_in_flight = UINT32_MAX;
		p->refused_in_flight = UINT64_MAX;
		p->refused_rate = UINT64_MAX;
		p->refused_throughput = UINT64_MAX;
		st->settling = UINT64_MAX;
		st->settled_total = UINT64_MAX;
		st->credited_total = UINT64_MAX;
		st->last_ms = INT64_MIN;
		st->last_amount = UINT64_MAX;
		st->failures = UINT32_MAX;
		st->failures_total = UINT32_MAX;
		st->requests = UINT32_MAX;
		st->credits = UINT32_MAX;
		st->engine_up = SETTLE_ENGINE_UNREACHABLE;
	}

	/* the local account over the last slot (see the top); no handler */
	D.local.on = true;
	D.local.peer = ILPD_MAX_PEERS - 1;
	D.local.handler = NULL;
	memset(&D.local.st, 0xff, sizeof(D.local.st));

	/* CCP and local delivery (node-wide) */
	ilpd_ccp_state.learned.count = UINT16_MAX;
	ilpd_ccp_state.learned.dropped = UINT64_MAX;
	memset(&ilpd_ccp_state.st, 0xff, sizeof(ilpd_ccp_state.st));
	ilpd_ccp_state.st.updates_ignored = 0;   /* added to updates_in */
	memset(&ilpd_deliver_state.st, 0xff, sizeof(ilpd_deliver_state.st));
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* The last line of the n bytes at p (which end with '\n'). */
static const char *last_line(const char *p, size_t n)
{
	size_t i = n - 1;

	while (i > 0 && p[i - 1] != '\n')
		i--;
	return p + i;
}

static void report(const char *page, size_t n, size_t slack)
{
	long long room = (long long)ADM_CAP - (long long)(n + slack);

	printf("  board %s, ILPD_MAX_PEERS %d, ILPD_ADMIN_OUT_MAX %lu (page cap %lu): "
	       "%s %zu bytes + %zu unreached = %zu, headroom %lld bytes (%lld per peer slot)\n",
	       ILPD_BOARD_NAME, ILPD_MAX_PEERS, (unsigned long)ILPD_ADMIN_OUT_MAX,
	       (unsigned long)ADM_CAP, page, n, slack, n + slack, room, room / ILPD_MAX_PEERS);
}

/* Renders a page into the admin buffer at the server's cap and reports
 * its size; 0 (reported as a failure with what it needs) if it does not
 * fit. */
static size_t render(const char *page,
		     size_t (*fn)(const struct ilpd_daemon *, char *, size_t), size_t slack)
{
	size_t n = fn(&D, D.admin_body, ADM_CAP);

	if (n == 0) {
		/* how much it needs: the same page into the whole buffer */
		size_t m = fn(&D, scratch, sizeof(scratch));

		th_fail(__FILE__, __LINE__, "%s does not fit %lu bytes: it needs %s%zu", page,
			(unsigned long)ADM_CAP, m != 0 ? "" : "more than ",
			m != 0 ? m : sizeof(scratch));
		return 0;
	}
	report(page, n, slack);
	return n;
}

static void test_metrics(void)
{
	char name[ILPD_PEER_NAME_MAX + 1], want[128];
	const char *last;
	size_t n;

	n = render("/metrics", ilpd_metrics_text, ADM_UNREACHED_SLACK);
	if (n == 0)
		return;
	CHECK(n + ADM_UNREACHED_SLACK <= ADM_CAP);
	CHECK(n < sizeof(D.admin_body) && D.admin_body[n - 1] == '\n');
	D.admin_body[n] = '\0';
	CHECK_EQ(strlen(D.admin_body), n);
	/* the last family is settle_api.c's */
	last = last_line(D.admin_body, n);
	if (strncmp(last, "ilpd_settlement_api_errors_total ", 33) != 0)
		th_fail(__FILE__, __LINE__, "/metrics ends with: %s", last);
	/* all peers, in the last per-peer family too, at their widest */
	CHECK_EQ(count(D.admin_body, "ilpd_peer_last_settlement_ms{peer=\""), ILPD_MAX_PEERS);
	peer_name(name, ILPD_MAX_PEERS - 1);
	(void)snprintf(want, sizeof(want), "ilpd_peer_last_settlement_ms{peer=\"%s\"} %" PRId64
		       "\n", name, INT64_MIN);
	if (strstr(D.admin_body, want) == NULL)
		th_fail(__FILE__, __LINE__, "/metrics lacks %s", want);
	(void)snprintf(want, sizeof(want), "ilpd_peer_balance{peer=\"%s\"} %" PRId64 "\n",
		       name, INT64_MIN);
	if (strstr(D.admin_body, want) == NULL)
		th_fail(__FILE__, __LINE__, "/metrics lacks %s", want);
	CHECK(strstr(D.admin_body, "code=\"F99\"} 18446744073709551615\n") != NULL);
	CHECK(strstr(D.admin_body, "ilpd_local_transit_failed_total 18446744073709551615\n")
	      != NULL);
	CHECK(strstr(D.admin_body, "ilpd_ccp_expired_total 18446744073709551615\n") != NULL);
}

static void test_health(void)
{
	static const char tail[] = ",\"sent\":18446744073709551615}}\n";
	char name[ILPD_PEER_NAME_MAX + 1], want[128];
	size_t n;

	n = render("/health", ilpd_health_json, 0);
	if (n == 0)
		return;
	CHECK(n <= ADM_CAP && n < sizeof(D.admin_body));
	D.admin_body[n] = '\0';
	CHECK_EQ(strlen(D.admin_body), n);
	CHECK(strncmp(D.admin_body, "{\"status\":\"unhealthy\",", 22) == 0);
	CHECK_EQ(count(D.admin_body, ",\"settlement\":{\"engine\":\"unreachable\","),
		 ILPD_MAX_PEERS);
	peer_name(name, ILPD_MAX_PEERS - 1);
	(void)snprintf(want, sizeof(want), "{\"name\":\"%s\",\"relation\":\"parent\"", name);
	if (strstr(D.admin_body, want) == NULL)
		th_fail(__FILE__, __LINE__, "/health lacks %s", want);
	/* it ends with the local account, then the object */
	if (n < sizeof(tail) || strcmp(D.admin_body + n - (sizeof(tail) - 1), tail) != 0)
		th_fail(__FILE__, __LINE__, "/health ends with: %s",
			n < 80 ? D.admin_body : D.admin_body + n - 80);
}

int main(int argc, char **argv)
{
	unsigned i;

	if (build_config() != 0) {
		fprintf(stderr, "config text too long\n");
		return 1;
	}
	if (ilpd_conf_load_string(&conf, "worst.ini", text, &err) != 0) {
		fprintf(stderr, "config: %s\n", err.msg);
		return 1;
	}
	if (ilpd_daemon_start(&D, &conf) != 0) {
		fprintf(stderr, "daemon start\n");
		return 1;
	}
	/* every slot is a configured peer with a settlement engine */
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if (D.link[i].conf == NULL || ilpd_settle_peer_state(&D, (uint16_t)i) == NULL ||
		    strlen(D.link[i].conf->name) != ILPD_PEER_NAME_MAX) {
			fprintf(stderr, "peer slot %u: not a settlement peer\n", i);
			return 1;
		}
	}
	if (D.sw.cfg.address_len != ILPD_ADDRESS_MAX) {
		fprintf(stderr, "address: %u bytes\n", (unsigned)D.sw.cfg.address_len);
		return 1;
	}
	widen();
	/* --dump: print both pages whole (to see where the bytes go) */
	if (argc > 1 && strcmp(argv[1], "--dump") == 0) {
		size_t n = ilpd_metrics_text(&D, scratch, sizeof(scratch));

		fwrite(scratch, 1, n, stdout);
		n = ilpd_health_json(&D, scratch, sizeof(scratch));
		fwrite(scratch, 1, n, stdout);
		return 0;
	}
	TH_RUN(test_metrics);
	TH_RUN(test_health);
	return th_finish();
}
