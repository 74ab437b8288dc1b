/*
 * admin.c - the admin listener's pages and router: GET /health (JSON),
 * GET /routes and GET /metrics (Prometheus text format 0.0.4), open to
 * every client [admin] allowed_ips admits; the dashboard (GET /) and the
 * /admin/ API (bearer token) are routed to their files. The HTTP server
 * (connections, framing, auth) is httpd.c; fixed buffers, no heap.
 *
 * The JSON shape of /health is the one TOON connector operators monitor:
 * {status, uptime, peersConnected, totalPeers, nodeId, version, address
 * (null until IL-DCP gave one), addressSource,
 *  transport:{type, healthy}} plus per-peer state under "peers", and
 * persistence:{mode, lastSyncAgeMs, recovered} (the durable ledger; status
 * is "unhealthy" while its commits fail, durable.h).
 */
#include "daemon.h"
#include "transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ccp_glue.h"
#include "deliver.h"
#include "local.h"
#include "settle_api.h"
#include "settle_glue.h"
#include "httpd.h"
#include "hal/hal_log.h"
#include "hal/hal_time.h"
#include "net/http.h"

#ifndef ILPD_VERSION
#define ILPD_VERSION "0.1.0"
#endif

/* ---- a bounded text builder -------------------------------------------- */

struct adm_buf {
	char *p;
	size_t cap;
	size_t len;
	bool overflow;
};

static void adm_printf(struct adm_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void adm_printf(struct adm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->overflow = true;
		return;
	}
	b->len += (size_t)n;
}

static const char *const adm_rel[] = { "parent", "peer", "child" };

/* Links in use (configured peers), and how many of them are up. */
static unsigned adm_peers(const struct ilpd_daemon *d, unsigned *up)
{
	size_t i;
	unsigned n = 0;

	*up = 0;
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if (d->link[i].conf == NULL)
			continue;
		n++;
		if (d->link[i].state == LINK_UP)
			(*up)++;
	}
	return n;
}

/* "transport":{...}: the type, whether the proxy answers its probe, the
 * onion service's state and ilpd's own URL (which /health may show: it is
 * not a log). healthy = the proxy answers (socks5) and, with an onion
 * service, it is published. */
static void adm_transport_json(const struct ilpd_daemon *d, struct adm_buf *b)
{
	const struct ilpd_transport_conf *tc = &d->conf->transport;
	bool socks = tc->type == ILPD_TRANSPORT_SOCKS5;
	bool proxy_ok = d->tp != NULL && ilpd_transport_proxy_ok(d->tp);
	enum ilpd_onion_state os = d->tp != NULL ? ilpd_transport_onion_state(d->tp) :
						   ILPD_ONION_ST_OFF;
	const char *url = tc->external_url;
	bool healthy = (!socks || proxy_ok) &&
		       (tc->onion_mode == ILPD_ONION_OFF || os == ILPD_ONION_ST_PUBLISHED);

	if (tc->external_url_auto)
		url = d->tp != NULL ? ilpd_transport_onion_url(d->tp) : "";
	adm_printf(b, "\"transport\":{\"type\":\"%s\",\"healthy\":%s,\"proxyOk\":%s,"
		   "\"onionService\":\"%s\",\"externalUrl\":\"%s\"}",
		   socks ? "socks5" : "direct", healthy ? "true" : "false",
		   socks ? (proxy_ok ? "true" : "false") : "null",
		   ilpd_onion_state_str(os), url);
}

/* "persistence":{...}: the durable ledger's mode, how long ago it last
 * synced (null when off, or before the first sync) and whether the ledger
 * came from an existing state file. */
static void adm_persist_json(const struct ilpd_daemon *d, struct adm_buf *b)
{
	const struct ilpd_durable *du = &d->dur;
	const struct ilpd_persist_stats *st = &du->p.stats;

	adm_printf(b, ",\"persistence\":{\"mode\":\"%s\",", ilpd_durability_name(du->mode));
	if (du->store_open && st->last_sync_ms != 0)
		adm_printf(b, "\"lastSyncAgeMs\":%lld,", (long long)(hal_mono_ms() - st->last_sync_ms));
	else
		adm_printf(b, "\"lastSyncAgeMs\":null,");
	if (du->store_open && ilpd_persist_sync_pending(&du->p))
		adm_printf(b, "\"syncRunningMs\":%lld,",
			   (long long)((hal_mono_us() - du->p.pend_t0) / 1000));
	adm_printf(b, "\"recovered\":%s,\"healthy\":%s}", st->recovered ? "true" : "false",
		   du->failed || ilpd_durable_stalled(du) ? "false" : "true");
}

/* ilpd's own account (local.h): not a link, so not in "peers"; its
 * balance has the ledger's sign (what the account owes the connector:
 * negative = what the applications received through it, net). */
static void adm_local_json(const struct ilpd_daemon *d, struct adm_buf *b)
{
	const struct ilpd_local_stats *st = ilpd_local_get_stats(d);
	int i = ilpd_local_peer(d);

	if (i < 0) {
		adm_printf(b, ",\"local\":null");
		return;
	}
	adm_printf(b, ",\"local\":{\"name\":\"" ILPD_LOCAL_NAME "\",\"handler\":%s,"
		   "\"balance\":\"%lld\",\"pendingIn\":\"%llu\",\"pendingOut\":\"%llu\","
		   "\"delivered\":%llu,\"answered\":%llu,\"late\":%llu,"
		   "\"wrongCondition\":%llu,\"sent\":%llu}",
		   d->local.handler != NULL ? "true" : "false",
		   (long long)d->sw.ledger.slot[i].balance,
		   (unsigned long long)d->sw.ledger.slot[i].pending_in,
		   (unsigned long long)d->sw.ledger.slot[i].pending_out,
		   (unsigned long long)st->delivered, (unsigned long long)st->answered,
		   (unsigned long long)st->late, (unsigned long long)st->wrong_condition,
		   (unsigned long long)st->sent);
}

size_t ilpd_health_json(const struct ilpd_daemon *d, char *out, size_t cap)
{
	struct adm_buf b = { out, cap, 0, false };
	unsigned up, total = adm_peers(d, &up);
	const char *sep = "";
	size_t i;

	adm_printf(&b, "{\"status\":\"%s\",\"uptime\":%lld,\"peersConnected\":%u,"
		   "\"totalPeers\":%u,\"nodeId\":\"%.*s\",\"version\":\"%s\",",
		   d->stopping ? "stopping" :
		   ilpd_durable_refusing(&d->dur) || ilpd_durable_stalled(&d->dur) ? "unhealthy" :
		   (up == total ? "ok" : "degraded"),
		   (long long)((ev_now(&d->loop) - d->started_mono) / 1000), up,
		   total, (int)d->sw.cfg.address_len, (const char *)d->sw.address,
		   ILPD_VERSION);
	/* address = auto: null until the parent answered (IL-DCP) */
	if (d->sw.cfg.address_len != 0)
		adm_printf(&b, "\"address\":\"%.*s\",", (int)d->sw.cfg.address_len,
			   (const char *)d->sw.address);
	else
		adm_printf(&b, "\"address\":null,");
	adm_printf(&b, "\"addressSource\":\"%s\",", ilpd_ildcp_address_source(d));
	adm_transport_json(d, &b);
	adm_persist_json(d, &b);
	adm_printf(&b, ",\"peers\":[");
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ledger_slot *s = &d->sw.ledger.slot[i];
		const struct ilpd_peer_conf *p = d->link[i].conf;

		if (p == NULL)
			continue;
		adm_printf(&b, "%s{\"name\":\"%s\",\"relation\":\"%s\",\"connected\":%s,"
			   "\"balance\":\"%lld\",\"pendingIn\":\"%llu\",\"pendingOut\":\"%llu\","
			   "\"inFlight\":%u,\"inFlightFrom\":%u,\"maxInFlight\":%u,"
			   "\"inFlightRefused\":%llu,\"rateLimited\":%llu,\"throughputLimited\":%llu,"
			   "\"viaProxy\":%s,\"lastError\":\"%s\"",
			   sep, p->name, adm_rel[p->relation],
			   d->link[i].state == LINK_UP ? "true" : "false",
			   (long long)s->balance, (unsigned long long)s->pending_in,
			   (unsigned long long)s->pending_out, (unsigned)d->sw.peers[i].pending,
			   (unsigned)d->sw.peers[i].pending_from,
			   (unsigned)ilp_switch_peer_max_in_flight(&d->sw, (uint16_t)i),
			   (unsigned long long)d->sw.peers[i].refused_in_flight,
			   (unsigned long long)d->sw.peers[i].refused_rate,
			   (unsigned long long)d->sw.peers[i].refused_throughput,
			   p->outbound && ilpd_peer_via_proxy(&d->conf->transport, p->url.host) ?
			   "true" : "false",
			   d->link[i].last_error != NULL ? d->link[i].last_error : "");
		if (!b.overflow)   /* settlement state (settle_glue.h) */
			b.len += ilpd_settle_health_json(d, (uint16_t)i, b.p + b.len,
							 b.cap - b.len);
		adm_printf(&b, "}");
		sep = ",";
	}
	adm_printf(&b, "]");
	adm_local_json(d, &b);
	adm_printf(&b, "}\n");
	return b.overflow ? 0 : b.len;
}

static void adm_metric(struct adm_buf *b, const char *name, const char *type,
		       const char *help)
{
	adm_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Proxy dials that failed, the proxy probe, the managed daemon. */
static void adm_transport_metrics(const struct ilpd_daemon *d, struct adm_buf *b)
{
	struct ilpd_transport_counters tc = { 0, 0, 0 };

	if (d->tp != NULL)
		ilpd_transport_counters(d->tp, &tc);
	adm_metric(b, "ilpd_connections_accepted_total", "counter",
		   "Inbound TCP connections accepted on the BTP listener.");
	adm_printf(b, "ilpd_connections_accepted_total %llu\n",
		   (unsigned long long)d->ctr.conns_accepted);
	adm_metric(b, "ilpd_proxy_dial_failures_total", "counter",
		   "Peer dials through the SOCKS5 proxy that did not complete.");
	adm_printf(b, "ilpd_proxy_dial_failures_total %llu\n",
		   (unsigned long long)d->ctr.proxy_failed);
	adm_metric(b, "ilpd_proxy_up", "gauge", "1 if the last proxy probe was answered.");
	adm_printf(b, "ilpd_proxy_up %d\n", d->tp != NULL && ilpd_transport_proxy_ok(d->tp));
	adm_metric(b, "ilpd_proxy_probe_failures_total", "counter", "Proxy probes not answered.");
	adm_printf(b, "ilpd_proxy_probe_failures_total %llu\n",
		   (unsigned long long)tc.probe_failures);
	adm_metric(b, "ilpd_onion_daemon_restarts_total", "counter",
		   "Times the managed tor/anon was started again.");
	adm_printf(b, "ilpd_onion_daemon_restarts_total %llu\n",
		   (unsigned long long)tc.daemon_restarts);
	adm_metric(b, "ilpd_onion_published", "gauge", "1 while the onion service is published.");
	adm_printf(b, "ilpd_onion_published %d\n", d->tp != NULL &&
		   ilpd_transport_onion_state(d->tp) == ILPD_ONION_ST_PUBLISHED);
}

static void adm_packet_metrics(const struct ilpd_daemon *d, struct adm_buf *b)
{
	const struct ilp_switch_stats *st = &d->sw.stats;
	size_t i;

	adm_metric(b, "ilpd_packets_total", "counter", "Packets by result and reject code.");
	adm_printf(b, "ilpd_packets_total{result=\"received\"} %llu\n",
		   (unsigned long long)st->prepares);
	adm_printf(b, "ilpd_packets_total{result=\"forwarded\"} %llu\n",
		   (unsigned long long)st->forwarded);
	adm_printf(b, "ilpd_packets_total{result=\"fulfilled\"} %llu\n",
		   (unsigned long long)st->fulfilled);
	adm_printf(b, "ilpd_packets_total{result=\"rejected\",origin=\"relayed\"} %llu\n",
		   (unsigned long long)st->rejected_relay);
	for (i = 0; ilp_error_table[i].name != NULL; i++) {
		unsigned k = ilp_switch_code_index(ilp_error_table[i].code);

		if (k < 31 && st->local_by_code[k] != 0)
			adm_printf(b, "ilpd_packets_total{result=\"rejected\",origin=\"local\","
				   "code=\"%s\"} %llu\n", ilp_error_table[i].code,
				   (unsigned long long)st->local_by_code[k]);
	}
	adm_metric(b, "ilpd_expired_total", "counter", "Forwarded packets that timed out (R00).");
	adm_printf(b, "ilpd_expired_total %llu\n", (unsigned long long)st->expired);
	adm_metric(b, "ilpd_wrong_fulfillment_total", "counter", "Fulfills with a wrong preimage.");
	adm_printf(b, "ilpd_wrong_fulfillment_total %llu\n", (unsigned long long)st->bad_fulfill);
	adm_metric(b, "ilpd_undeliverable_total", "counter",
		   "Answers the source could not be given (its link was down or full).");
	adm_printf(b, "ilpd_undeliverable_total %llu\n", (unsigned long long)st->undelivered);
	adm_metric(b, "ilpd_charged_undelivered_total", "counter",
		   "Valid Fulfills the source could not be given: the next hop was paid and the source "
		   "was charged all the same (its hold committed).");
	adm_printf(b, "ilpd_charged_undelivered_total %llu\n",
		   (unsigned long long)st->charged_undelivered);
	adm_metric(b, "ilpd_in_flight_refused_total", "counter",
		   "Prepares refused with T05 because their peer had max_in_flight packets in flight "
		   "(per peer: /health inFlightRefused).");
	adm_printf(b, "ilpd_in_flight_refused_total %llu\n",
		   (unsigned long long)st->in_flight_refused);
	adm_metric(b, "ilpd_late_responses_total", "counter", "Answers for packets no longer pending.");
	adm_printf(b, "ilpd_late_responses_total %llu\n", (unsigned long long)st->late_responses);
	adm_metric(b, "ilpd_pending_packets", "gauge", "Packets in flight.");
	adm_printf(b, "ilpd_pending_packets %u\n", (unsigned)st->pending_now);
}

/* The lobbies (net/lobby.h): connections waiting for their first byte. */
static void adm_lobby_metrics(const struct ilpd_daemon *d, struct adm_buf *b)
{
	static const struct {
		const char *name, *type, *help;
	} m[] = {
		{ "ilpd_lobby_waiting", "gauge",
		  "New connections waiting for their first byte (ilpd(8), CONNECTION FLOODS)." },
		{ "ilpd_lobby_capacity", "gauge", "Lobby size per listener." },
		{ "ilpd_lobby_accepted_total", "counter", "Connections accepted into the lobby." },
		{ "ilpd_lobby_evicted_total", "counter",
		  "Idle connections closed to make room in a full lobby (each had its grace period)." },
		{ "ilpd_lobby_idle_closed_total", "counter",
		  "Connections closed for sending nothing within the idle time." },
		{ "ilpd_lobby_paused_total", "counter",
		  "Times a listener stopped accepting because its lobby was full of young connections." },
	};
	const struct lobby *lb[2] = { &d->btp_lobby, &d->admin_lobby };
	const char *listener[2] = { "btp", "admin" };
	const unsigned cap[2] = { ILPD_LOBBY_BTP, ILPD_LOBBY_ADMIN };
	size_t i, k;

	for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		adm_metric(b, m[k].name, m[k].type, m[k].help);
		for (i = 0; i < 2; i++) {
			const struct lobby_stats *st = &lb[i]->st;
			const uint64_t v[] = { lb[i]->n, cap[i], st->accepted, st->evicted,
					       st->idle_closed, st->paused };

			adm_printf(b, "%s{listener=\"%s\"} %llu\n", m[k].name, listener[i],
				   (unsigned long long)v[k]);
		}
	}
}

static void adm_pool_metrics(const struct ilpd_daemon *d, struct adm_buf *b)
{
	adm_metric(b, "ilpd_pool_capacity", "gauge", "Size of each fixed pool.");
	adm_printf(b, "ilpd_pool_capacity{pool=\"pending\"} %u\n", (unsigned)ILPD_MAX_PENDING);
	adm_printf(b, "ilpd_pool_capacity{pool=\"conns\"} %u\n", (unsigned)ILPD_MAX_CONNS);
	adm_metric(b, "ilpd_pool_high_water", "gauge", "Most entries ever in use.");
	adm_printf(b, "ilpd_pool_high_water{pool=\"pending\"} %u\n",
		   (unsigned)d->sw.stats.pending_hwm);
	adm_printf(b, "ilpd_pool_high_water{pool=\"conns\"} %u\n", (unsigned)d->ctr.conns_hwm);
	adm_metric(b, "ilpd_pool_failures_total", "counter", "Requests refused because a pool was full.");
	adm_printf(b, "ilpd_pool_failures_total{pool=\"pending\"} %llu\n",
		   (unsigned long long)d->sw.stats.pending_full);
	adm_printf(b, "ilpd_pool_failures_total{pool=\"conns\"} %llu\n",
		   (unsigned long long)d->ctr.conns_refused);
	adm_printf(b, "ilpd_pool_failures_total{pool=\"conns_evicted\"} %llu\n",
		   (unsigned long long)d->ctr.evicted);
	adm_printf(b, "ilpd_pool_failures_total{pool=\"send_buffer\"} %llu\n",
		   (unsigned long long)d->ctr.tx_full);
	adm_lobby_metrics(d, b);
	adm_metric(b, "ilpd_btp_frames_total", "counter", "BTP frames received.");
	adm_printf(b, "ilpd_btp_frames_total{result=\"ok\"} %llu\n",
		   (unsigned long long)d->ctr.btp_frames_in);
	adm_printf(b, "ilpd_btp_frames_total{result=\"malformed\"} %llu\n",
		   (unsigned long long)d->ctr.btp_bad_frames);
	adm_metric(b, "ilpd_auth_failures_total", "counter", "Refused BTP authentications.");
	adm_printf(b, "ilpd_auth_failures_total %llu\n", (unsigned long long)d->ctr.auth_failures);
	adm_metric(b, "ilpd_tls_handshakes_total", "counter", "TLS handshakes, both directions.");
	adm_printf(b, "ilpd_tls_handshakes_total{result=\"ok\"} %llu\n",
		   (unsigned long long)d->ctr.tls_ok);
	adm_printf(b, "ilpd_tls_handshakes_total{result=\"failed\"} %llu\n",
		   (unsigned long long)d->ctr.tls_failed);
	adm_transport_metrics(d, b);
}

/* The name of link i if it is in use, else NULL (skip it). */
static const char *adm_name(const struct ilpd_daemon *d, size_t i)
{
	return d->link[i].conf != NULL ? d->link[i].conf->name : NULL;
}

/* Per peer with a settlement engine (settle_glue.h; the node-wide counters
 * are settle_glue.c's): one family at a time, as the other peer metrics. */
static void adm_settle_peer_metrics(const struct ilpd_daemon *d, struct adm_buf *b)
{
	static const struct {
		const char *name, *type, *help;
	} m[] = {
		{ "ilpd_peer_settling", "gauge",
		  "Ledger units out of the balance for an open settlement request." },
		{ "ilpd_peer_settled_total", "counter",
		  "Ledger units the engine accepted to pay the peer (since start)." },
		{ "ilpd_peer_credited_total", "counter",
		  "Ledger units credited by incoming settlements (since start)." },
		{ "ilpd_peer_settlement_failures_total", "counter",
		  "Failed engine calls for the peer (no answer, 5xx) and refused settlements (4xx)." },
		{ "ilpd_peer_engine_reachable", "gauge",
		  "1 if the peer's engine answered its last call (even with an error), else 0." },
		{ "ilpd_peer_last_settlement_ms", "gauge",
		  "Wall-clock ms of the last accepted settlement (0: none since start)." },
	};
	const struct settle_peer *st;
	const char *n;
	size_t k, i;

	for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		bool any = false;

		for (i = 0; i < ILPD_MAX_PEERS; i++) {
			if ((n = adm_name(d, i)) == NULL ||
			    (st = ilpd_settle_peer_state(d, (uint16_t)i)) == NULL)
				continue;
			if (!any)
				adm_metric(b, m[k].name, m[k].type, m[k].help);
			any = true;
			/* literal formats: tests/docs/run.sh reads the labels here */
			switch (k) {
			case 0:
				adm_printf(b, "ilpd_peer_settling{peer=\"%s\"} %llu\n", n,
					   (unsigned long long)st->settling);
				break;
			case 1:
				adm_printf(b, "ilpd_peer_settled_total{peer=\"%s\"} %llu\n", n,
					   (unsigned long long)st->settled_total);
				break;
			case 2:
				adm_printf(b, "ilpd_peer_credited_total{peer=\"%s\"} %llu\n", n,
					   (unsigned long long)st->credited_total);
				break;
			case 3:
				adm_printf(b, "ilpd_peer_settlement_failures_total{peer=\"%s\"} %u\n",
					   n, (unsigned)st->failures_total);
				break;
			case 4:
				adm_printf(b, "ilpd_peer_engine_reachable{peer=\"%s\"} %d\n", n,
					   st->engine_up == SETTLE_ENGINE_REACHABLE ||
					   st->engine_up == SETTLE_ENGINE_ERROR);
				break;
			default:
				adm_printf(b, "ilpd_peer_last_settlement_ms{peer=\"%s\"} %lld\n", n,
					   (long long)st->last_ms);
				break;
			}
		}
	}
}

static void adm_peer_metrics(const struct ilpd_daemon *d, struct adm_buf *b)
{
	const char *n;
	size_t i;

	adm_metric(b, "ilpd_peer_up", "gauge", "1 if the peer's link is authenticated and up.");
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if ((n = adm_name(d, i)) != NULL)
			adm_printf(b, "ilpd_peer_up{peer=\"%s\"} %d\n", n,
				   d->link[i].state == LINK_UP);
	adm_metric(b, "ilpd_peer_balance", "gauge", "What the peer owes us, in its asset units.");
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if ((n = adm_name(d, i)) != NULL)
			adm_printf(b, "ilpd_peer_balance{peer=\"%s\"} %lld\n", n,
				   (long long)d->sw.ledger.slot[i].balance);
	adm_metric(b, "ilpd_peer_in_flight_amount", "gauge", "Amounts held for packets in flight.");
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if ((n = adm_name(d, i)) == NULL)
			continue;
		adm_printf(b, "ilpd_peer_in_flight_amount{peer=\"%s\",direction=\"in\"} %llu\n",
			   n, (unsigned long long)d->sw.ledger.slot[i].pending_in);
		adm_printf(b, "ilpd_peer_in_flight_amount{peer=\"%s\",direction=\"out\"} %llu\n",
			   n, (unsigned long long)d->sw.ledger.slot[i].pending_out);
	}
	adm_metric(b, "ilpd_peer_in_flight_packets", "gauge",
		   "Prepares from the peer in flight (its share of the pending table; max_in_flight).");
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if ((n = adm_name(d, i)) != NULL)
			adm_printf(b, "ilpd_peer_in_flight_packets{peer=\"%s\"} %u\n", n,
				   (unsigned)d->sw.peers[i].pending_from);
	adm_metric(b, "ilpd_peer_limited_total", "counter",
		   "Prepares refused by the peer's limits: rate (rate_limit, T05), throughput_in "
		   "or throughput_out (T04; counted on the peer whose limit it was).");
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		if ((n = adm_name(d, i)) == NULL)
			continue;
		adm_printf(b, "ilpd_peer_limited_total{peer=\"%s\",limit=\"rate\"} %llu\n", n,
			   (unsigned long long)d->sw.peers[i].refused_rate);
		adm_printf(b, "ilpd_peer_limited_total{peer=\"%s\",limit=\"throughput\"} %llu\n", n,
			   (unsigned long long)d->sw.peers[i].refused_throughput);
	}
	adm_metric(b, "ilpd_peer_bytes_total", "counter", "WebSocket bytes on the peer's current link.");
	for (i = 0; i < ILPD_MAX_PEERS; i++) {
		const struct ilpd_link *l = &d->link[i];
		const struct wsconn *w = l->conn >= 0 ? &d->conn[l->conn].ws : NULL;

		if ((n = adm_name(d, i)) == NULL)
			continue;
		adm_printf(b, "ilpd_peer_bytes_total{peer=\"%s\",direction=\"in\"} %llu\n",
			   n, w ? (unsigned long long)w->bytes_in : 0ULL);
		adm_printf(b, "ilpd_peer_bytes_total{peer=\"%s\",direction=\"out\"} %llu\n",
			   n, w ? (unsigned long long)w->bytes_out : 0ULL);
	}
	adm_metric(b, "ilpd_peer_connects_total", "counter", "Times the peer's link came up.");
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if ((n = adm_name(d, i)) != NULL)
			adm_printf(b, "ilpd_peer_connects_total{peer=\"%s\"} %llu\n", n,
				   (unsigned long long)d->link[i].connects);
	adm_settle_peer_metrics(d, b);
}

/* The durable ledger (persist.h): syncs, their latency, bytes, journal. */
static void adm_persist_metrics(const struct ilpd_daemon *d, struct adm_buf *b)
{
	const struct ilpd_persist_stats *st = &d->dur.p.stats;
	unsigned k;

	adm_metric(b, "ilpd_persist_syncs_total", "counter",
		   "Successful syncs of the state file (durable ledger).");
	adm_printf(b, "ilpd_persist_syncs_total %llu\n", (unsigned long long)st->syncs);
	adm_metric(b, "ilpd_persist_sync_failures_total", "counter",
		   "Writes or syncs of the state file that failed.");
	adm_printf(b, "ilpd_persist_sync_failures_total %llu\n",
		   (unsigned long long)st->sync_failures);
	adm_metric(b, "ilpd_persist_sync_seconds", "histogram",
		   "Time a sync of the state file took.");
	for (k = 0; k < ILPD_PERSIST_BUCKETS; k++) {
		if (k == ILPD_PERSIST_BUCKETS - 1)
			adm_printf(b, "ilpd_persist_sync_seconds_bucket{le=\"+Inf\"} %llu\n",
				   (unsigned long long)st->sync_us_bucket[k]);
		else
			adm_printf(b, "ilpd_persist_sync_seconds_bucket{le=\"%u.%06u\"} %llu\n",
				   (unsigned)(ilpd_persist_bucket_us[k] / 1000000u),
				   (unsigned)(ilpd_persist_bucket_us[k] % 1000000u),
				   (unsigned long long)st->sync_us_bucket[k]);
	}
	adm_printf(b, "ilpd_persist_sync_seconds_sum %llu.%06llu\n",
		   (unsigned long long)(st->sync_us_sum / 1000000u),
		   (unsigned long long)(st->sync_us_sum % 1000000u));
	adm_printf(b, "ilpd_persist_sync_seconds_count %llu\n", (unsigned long long)st->syncs);
	adm_metric(b, "ilpd_persist_bytes_written_total", "counter",
		   "Bytes written to the state file (journal records and snapshots).");
	adm_printf(b, "ilpd_persist_bytes_written_total %llu\n",
		   (unsigned long long)st->bytes_written);
	adm_metric(b, "ilpd_persist_records_total", "counter", "Journal records written.");
	adm_printf(b, "ilpd_persist_records_total %llu\n", (unsigned long long)st->records);
	adm_metric(b, "ilpd_persist_journal_fill", "gauge",
		   "Journal records written since the last snapshot.");
	adm_printf(b, "ilpd_persist_journal_fill %u\n", (unsigned)st->journal_fill);
	adm_metric(b, "ilpd_persist_journal_capacity", "gauge",
		   "Records in the journal ring (a snapshot is taken at half of it).");
	adm_printf(b, "ilpd_persist_journal_capacity %u\n",
		   d->dur.store_open ? (unsigned)JOURNAL_RING_RECORDS : 0u);
	adm_metric(b, "ilpd_persist_snapshots_total", "counter",
		   "Ledger snapshots written (start-up, half a journal, reload, stop).");
	adm_printf(b, "ilpd_persist_snapshots_total %llu\n", (unsigned long long)st->snapshots);
	adm_metric(b, "ilpd_persist_healthy", "gauge",
		   "1 unless the last commit failed (new Prepares are then rejected T00) or a sync has run for over 1 s.");
	adm_printf(b, "ilpd_persist_healthy %d\n",
		   !ilpd_durable_refusing(&d->dur) && !ilpd_durable_stalled(&d->dur));
}

size_t ilpd_metrics_text(const struct ilpd_daemon *d, char *out, size_t cap)
{
	struct adm_buf b = { out, cap, 0, false };

	adm_metric(&b, "ilpd_uptime_seconds", "gauge", "Seconds since start.");
	adm_printf(&b, "ilpd_uptime_seconds %lld\n",
		   (long long)((ev_now(&d->loop) - d->started_mono) / 1000));
	adm_packet_metrics(d, &b);
	adm_pool_metrics(d, &b);
	adm_peer_metrics(d, &b);
	adm_persist_metrics(d, &b);
	if (!b.overflow) {   /* CCP (ccp_glue.h) */
		size_t n = ilpd_ccp_metrics_text(b.p + b.len, b.cap - b.len);

		b.overflow = n == 0;
		b.len += n;
	}
	if (!b.overflow) {   /* local delivery (deliver.h) */
		size_t n = ilpd_deliver_metrics_text(b.p + b.len, b.cap - b.len);

		b.overflow = n == 0;
		b.len += n;
	}
	if (!b.overflow) {   /* settlement (settle_glue.h, settle_api.h) */
		size_t n = ilpd_settle_metrics_text(d, b.p + b.len, b.cap - b.len);

		n = n == 0 ? 0 : n + ilpd_settle_api_metrics_text(b.p + b.len + n,
								  b.cap - b.len - n);
		b.overflow = n == 0;
		b.len += n;
	}
	return b.overflow ? 0 : b.len;
}

/* ---- routing (the server itself is httpd.c) ------------------------------ */

static int adm_method(const struct ilpd_http_req *rq, struct ilpd_http_resp *rs,
		      const char *allow)
{
	static char hdr[64];

	(void)snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
	rs->extra_headers = hdr;
	(void)rq;
	return ilpd_http_error(rs, 405, "method not allowed", NULL);
}

static bool adm_under(const char *path, const char *base)
{
	size_t n = strlen(base);

	return strncmp(path, base, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* GET /health, /routes, /metrics (open to every allowed client); the
 * dashboard at GET /; /admin/ paths need the bearer token (httpd.h). */
int ilpd_admin_dispatch(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			struct ilpd_http_resp *rs, uint32_t conn_token)
{
	const char *p = rq->path;
	bool get = strcmp(rq->method, "GET") == 0;
	size_t n;

	if (strcmp(p, "/health") == 0 || strcmp(p, "/routes") == 0 ||
	    strcmp(p, "/metrics") == 0) {
		if (!get)
			return adm_method(rq, rs, "GET");
		if (p[1] == 'h') {
			n = ilpd_health_json(d, rs->body, rs->cap);
		} else if (p[1] == 'r') {
			n = ilpd_routes_json(d, rs->body, rs->cap);
		} else {
			rs->content_type = "text/plain; version=0.0.4";
			n = ilpd_metrics_text(d, rs->body, rs->cap);
		}
		if (n == 0)
			return ilpd_http_error(rs, 500, "response too large", NULL);
		rs->len = n;
		return ILPD_HTTP_DONE;
	}
	if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0 ||
	    strcmp(p, "/favicon.ico") == 0)
		return ilpd_dashboard_route(d, rq, rs, conn_token);
	if (!adm_under(p, "/admin"))
		return ilpd_http_error(rs, 404, "not found", NULL);
	if (!rq->authed)
		return ilpd_http_unauthorized(d, rq, rs);
	if (adm_under(p, "/admin/peers"))
		return ilpd_admin_peers_route(d, rq, rs, conn_token);
	if (adm_under(p, "/admin/routes"))
		return ilpd_admin_routes_route(d, rq, rs, conn_token);
	if (strcmp(p, "/admin/ilp/send") == 0) {
		if (strcmp(rq->method, "POST") != 0)
			return adm_method(rq, rs, "POST");
		return ilpd_admin_send_route(d, rq, rs, conn_token);
	}
	return ilpd_http_error(rs, 404, "not found", NULL);
}

int ilpd_admin_open(struct ilpd_daemon *d)
{
	return ilpd_httpd_open(d);
}

void ilpd_admin_close(struct ilpd_daemon *d)
{
	ilpd_httpd_close(d);
}
