/*
 * sink.c - `ilpctl sink` (alias `receive`): fulfills every Prepare
 * addressed to it (its address or an address below it) whose condition
 * follows the ilpctl-sink-v1 preimage scheme (loadgen.h); rejects other
 * destinations with F02 and other conditions with F06. Either a child connecting to a BTP server
 * (--url), or a one-client BTP server itself (--listen) for measuring the
 * load tools' own floor with no connector in between.
 * Contract: docs/ilpctl.md.
 *
 * Per Prepare: two SHA-256 (the scheme's fulfillment and its condition),
 * one 50-byte templated Fulfill Response copied into the WebSocket send
 * buffer (btp_client.c), no syscall: replies to a batch of Prepares leave
 * with one send(2) by wsconn_flush_all().
 *
 * --hold-ms MS (for tests of a slow or silent next hop): each Fulfill is
 * sent MS after its Prepare arrived instead of at once, from a FIFO of
 * SNK_HOLD_MAX entries (48 bytes each, static); when it is full the oldest
 * goes out early. Fulfills still held when the sink stops are never sent.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "btp_client.h"
#include "hal/hal_time.h"
#include "ilpctl.h"
#include "loadgen.h"

#define SNK_SETUP_MS 10000
#define SNK_CLOSE_MS 1000
#define SNK_HOLD_MAX 4096

struct snk_held {
	int64_t due;              /* hal_mono_ms() */
	uint32_t id;
	uint8_t f[ILP_FULFILLMENT_LEN];
};

struct snk_opts {
	const char *url;
	const char *listen;
	const char *token;
	const char *username;
	const char *address;
	const char *ca, *pin, *server_name;   /* wss:// */
	uint64_t count, timeout_ms, hold_ms;
};

static struct {
	struct snk_opts o;
	struct ev_loop loop;
	struct btpc link;
	struct btpc_url url;
	char host[BTPC_HOST_MAX + 1];
	uint16_t port;
	bool done, closed, failed;
	bool closing;             /* we started the close */
	uint64_t fulfilled, rejected;
	int64_t last_activity;    /* hal_mono_ms(): idle timeout */
	struct snk_held held[SNK_HOLD_MAX];   /* --hold-ms FIFO */
	uint32_t held_head, held_n;
} snk;

/* ---- options ------------------------------------------------------------- */

static int snk_parse_one(int argc, char **argv, int *i, struct snk_opts *o)
{
	static const char *const snames[] = { "--url", "--listen", "--token",
					      "--username", "--address", "--ca", "--pin",
					      "--server-name" };
	const char **const svals[] = { &o->url, &o->listen, &o->token,
				       &o->username, &o->address, &o->ca, &o->pin,
				       &o->server_name };
	const char *v = NULL;
	size_t k;
	int r;

	for (k = 0; k < sizeof(snames) / sizeof(snames[0]); k++) {
		r = lg_opt_value(argc, argv, i, snames[k], &v);
		if (r != 0) {
			*svals[k] = v;
			return r;
		}
	}
	r = lg_opt_value(argc, argv, i, "--count", &v);
	if (r != 0)
		return r < 0 ? -1 : lg_opt_u64("sink", "--count", v, 1, UINT64_MAX,
						&o->count) == 0 ? 1 : -1;
	r = lg_opt_value(argc, argv, i, "--timeout-ms", &v);
	if (r != 0)
		return r < 0 ? -1 : lg_opt_u64("sink", "--timeout-ms", v, 1, 86400000u,
						&o->timeout_ms) == 0 ? 1 : -1;
	r = lg_opt_value(argc, argv, i, "--hold-ms", &v);
	if (r != 0)
		return r < 0 ? -1 : lg_opt_u64("sink", "--hold-ms", v, 1, 86400000u,
						&o->hold_ms) == 0 ? 1 : -1;
	return lg_usage("sink", "unknown option '%s'", argv[*i]);
}

static int snk_parse_check(struct snk_opts *o)
{
	const char *why = NULL;

	if ((o->url == NULL) == (o->listen == NULL))
		return lg_usage("sink", "give exactly one of --url URL and --listen HOST:PORT");
	if (o->url != NULL && btpc_url_parse(o->url, &snk.url, &why) != 0)
		return lg_usage("sink", "--url: %s", why);
	if (o->listen != NULL && btpc_hostport_parse(o->listen, snk.host, &snk.port, &why) != 0)
		return lg_usage("sink", "--listen: %s", why);
	if (o->token == NULL && !snk.url.has_token)
		return lg_usage("sink", "missing --token");
	if (o->token != NULL && o->token[0] == '\0' && o->listen != NULL)
		return lg_usage("sink", "--token: must not be empty with --listen");
	if (o->address == NULL && o->listen != NULL)
		o->address = "private.sink";
	if (o->address != NULL &&
	    (strlen(o->address) + 7 > ILPD_ADDRESS_MAX ||
	     !ilp_address_valid((const uint8_t *)o->address, strlen(o->address))))
		return lg_usage("sink", "--address: '%s' is not a valid ILP address",
				o->address);
	return 0;
}

/* 0 to run, 1 if help was printed, -1 on a usage error (reported). */
static int snk_parse(int argc, char **argv, struct snk_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			ilpctl_help(stdout);
			return 1;
		}
		if (snk_parse_one(argc, argv, &i, o) < 0)
			return -1;
	}
	return snk_parse_check(o);
}

/* ---- callbacks -------------------------------------------------------------- */

static void snk_on_ready(struct btpc *b, void *user)
{
	(void)user;
	snk.last_activity = hal_mono_ms();
	if (snk.o.listen != NULL)
		return;
	if (!b->have_address) {
		if (snk.o.address == NULL) {
			fprintf(stderr, "ilpctl sink: %s (and no --address)\n",
				b->reason[0] != '\0' ? b->reason : "no address");
			snk.failed = true;
			btpc_close(b);
			return;
		}
		fprintf(stderr, "ilpctl sink: warning: %s; using --address\n", b->reason);
		snprintf(b->address, sizeof(b->address), "%s", snk.o.address);
		b->have_address = true;
	}
	printf("sink address=%s\n", b->address);
	fflush(stdout);
}

static void snk_on_reply(struct btpc *b, const struct btp_frame *f,
			 const uint8_t *ilp, size_t n, void *user)
{
	(void)b;
	(void)f;
	(void)ilp;
	(void)n;
	(void)user;   /* the sink sends no requests of its own after IL-DCP */
}

static void snk_fulfilled(struct btpc *b, uint32_t id, const uint8_t f[ILP_FULFILLMENT_LEN])
{
	(void)btpc_fulfill(b, id, f);
	snk.fulfilled++;
	if (snk.o.count != 0 && snk.fulfilled >= snk.o.count)
		snk.done = true;
}

/* Sends the held Fulfills that are due at `now`. */
static void snk_release_held(int64_t now)
{
	while (snk.held_n > 0) {
		struct snk_held *h = &snk.held[snk.held_head];

		if (h->due > now)
			return;
		snk_fulfilled(&snk.link, h->id, h->f);
		snk.held_head = (snk.held_head + 1u) % SNK_HOLD_MAX;
		snk.held_n--;
	}
}

static void snk_hold(struct btpc *b, uint32_t id, const uint8_t f[ILP_FULFILLMENT_LEN])
{
	struct snk_held *h;

	if (snk.held_n == SNK_HOLD_MAX) {   /* full: the oldest goes early */
		h = &snk.held[snk.held_head];
		snk_fulfilled(b, h->id, h->f);
		snk.held_head = (snk.held_head + 1u) % SNK_HOLD_MAX;
		snk.held_n--;
	}
	h = &snk.held[(snk.held_head + snk.held_n) % SNK_HOLD_MAX];
	h->due = hal_mono_ms() + (int64_t)snk.o.hold_ms;
	h->id = id;
	memcpy(h->f, f, ILP_FULFILLMENT_LEN);
	snk.held_n++;
}

static void snk_on_prepare(struct btpc *b, uint32_t id, const struct ilp_prepare *p,
			   void *user)
{
	uint8_t f[ILP_FULFILLMENT_LEN];

	(void)user;
	if (b->have_address &&
	    !ilp_address_has_prefix(p->destination, p->destination_len,
				    (const uint8_t *)b->address, strlen(b->address))) {
		(void)btpc_reject(b, id, "F02", "destination is not this sink's address");
		snk.rejected++;
	} else if (lg_scheme_match(p->data, p->data_len, p->condition, f)) {
		if (snk.o.hold_ms != 0)
			snk_hold(b, id, f);
		else
			snk_fulfilled(b, id, f);
	} else {
		(void)btpc_reject(b, id, "F06",
				  "condition does not follow the ilpctl-sink-v1 scheme");
		snk.rejected++;
	}
	snk.last_activity = ev_now(&snk.loop);
}

static void snk_on_close(struct btpc *b, const char *reason, bool failed, void *user)
{
	(void)b;
	(void)user;
	if (snk.o.listen != NULL) {
		snk.held_n = 0;   /* held answers belonged to the client that left */
		if (failed)
			fprintf(stderr, "ilpctl sink: %s\n", reason);
		return;
	}
	snk.closed = true;
	if (failed) {
		snk.failed = true;
		fprintf(stderr, "ilpctl sink: %s\n", reason);
	} else if (!snk.closing) {
		fprintf(stderr, "ilpctl sink: connection closed: %s\n", reason);
	}
}

static const struct btpc_cbs snk_cbs = {
	.on_ready = snk_on_ready,
	.on_reply = snk_on_reply,
	.on_prepare = snk_on_prepare,
	.on_close = snk_on_close,
};

/* ---- the run ---------------------------------------------------------------- */

static bool snk_idle_expired(void)
{
	return snk.o.timeout_ms > 0 &&
	       hal_mono_ms() - snk.last_activity >= (int64_t)snk.o.timeout_ms;
}

static void snk_loop(void)
{
	int wait = 0;

	while (!snk.closed && !snk.failed && !lg_signalled()) {
		if (snk.done && snk.link.s_off == snk.link.s_len)
			return;
		if (snk_idle_expired()) {
			fprintf(stderr, "ilpctl sink: idle for %llu ms\n",
				(unsigned long long)snk.o.timeout_ms);
			return;
		}
		if (ev_run_once(&snk.loop, wait) == HAL_NET_ERROR) {
			fprintf(stderr, "ilpctl sink: polling failed\n");
			snk.failed = true;
			return;
		}
		snk_release_held(hal_mono_ms());
		wsconn_flush_all();
		wait = btpc_poll(&snk.link);
		wsconn_flush_all();
		if (snk.o.timeout_ms > 0 && wait > 100)
			wait = 100;
		if (snk.held_n > 0 && (wait < 0 || wait > 10))
			wait = 10;
	}
}

static void snk_close(void)
{
	snk.closing = true;
	btpc_close_wait(&snk.link, SNK_CLOSE_MS);
}

static int snk_start(void)
{
	struct btpc_cfg cfg;
	uint16_t bound = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.token = snk.o.token != NULL ? snk.o.token : snk.url.token;
	cfg.username = snk.o.username != NULL ? snk.o.username :
		       snk.url.has_user ? snk.url.user : "";
	cfg.server = snk.o.listen != NULL;
	cfg.ildcp = true;
	cfg.address = snk.o.address;
	cfg.tls_ca = snk.o.ca;
	cfg.tls_pin = snk.o.pin;
	cfg.tls_server_name = snk.o.server_name;
	cfg.setup_timeout_ms = SNK_SETUP_MS;
	btpc_init(&snk.link, &snk.loop, &cfg, &snk_cbs, NULL);
	if (cfg.server) {
		if (btpc_listen(&snk.link, snk.host, snk.port, &bound) != 0)
			goto fail;
		printf("listening port=%u address=%s\n", (unsigned)bound, snk.o.address);
		fflush(stdout);
		return 0;
	}
	if (btpc_connect(&snk.link, &snk.url) == 0)
		return 0;
fail:
	fprintf(stderr, "ilpctl sink: %s\n", snk.link.reason);
	return -1;
}

int ilpctl_sink_main(int argc, char **argv)
{
	int r = snk_parse(argc, argv, &snk.o);
	bool ok;

	if (r != 0)
		return r > 0 ? LG_EXIT_OK : LG_EXIT_USAGE;
	lg_signals_install();
	ev_init(&snk.loop);
	if (snk_start() != 0)
		return LG_EXIT_FAIL;
	snk.last_activity = hal_mono_ms();
	snk_loop();
	snk_close();
	printf("sink fulfilled=%llu rejected=%llu\n", (unsigned long long)snk.fulfilled,
	       (unsigned long long)snk.rejected);
	fflush(stdout);
	ok = !snk.failed && (snk.o.count == 0 || snk.fulfilled >= snk.o.count);
	return ok ? LG_EXIT_OK : LG_EXIT_FAIL;
}
