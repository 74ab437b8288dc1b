/*
 * send.c - `ilpctl send`: N Prepares with W in flight over one BTP link,
 * every Fulfill checked against its condition, counts by result, rate and
 * latency percentiles. Contract: docs/ilpctl.md.
 *
 * IMPLEMENTATION NOTES
 * - The BTP Message carrying the Prepare is encoded once into a template;
 *   each packet patches the request id, the sequence number in the data,
 *   the condition and (when the wall-clock millisecond changed) the
 *   expiry. Per packet: two SHA-256 (fulfillment, condition), two clock
 *   reads, one copy into the WebSocket send buffer; no encoder, no syscall.
 * - In-flight packets live in slots (at most SND_MAX_WINDOW). The request
 *   id is (round << 16) | slot, round in 1..65535, so a reply finds its
 *   slot in O(1) and a stray or late id (including the link's own ids 1
 *   and 2) matches no busy slot.
 * - The window is refilled from the reply callback, inside the event
 *   loop's read dispatch, so a batch of replies turns into a batch of new
 *   Prepares written with one send(2) by wsconn_flush_all(). When the send
 *   buffer is full the refill stops and the main loop retries after the
 *   next flush.
 * - Checking a Fulfill: the slot keeps the expected fulfillment, so the
 *   usual check is a 32-byte compare; only a different fulfillment is
 *   hashed and compared with the condition (it would be a SHA-256 second
 *   preimage), so every Fulfill is checked against its condition with no
 *   third hash per packet.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "btp_client.h"
#include "hal/hal_crypto.h"
#include "hal/hal_rng.h"
#include "hal/hal_time.h"
#include "ilpctl.h"
#include "loadgen.h"

#define SND_MAX_WINDOW 65536u
#define SND_SLOT_MASK 0xffffu
#define SND_TPL_MAX (ILP_PREPARE_MAX_SIZE + 64u)
#define SND_SETUP_MS 10000
#define SND_CLOSE_MS 1000

struct snd_opts {
	const char *url;
	const char *token;
	const char *username;
	const char *to;
	const char *ca, *pin, *server_name;   /* wss:// */
	const char *preimage;                 /* --preimage sink-v1|data */
	bool data_preimage;                   /* fulfillment = SHA-256(data) */
	uint64_t count, window, amount, expiry_ms, data_size, timeout_ms;
};

struct snd_slot {
	uint32_t id;
	uint16_t round;
	bool busy;
	uint64_t t0;
	uint8_t ful[ILP_FULFILLMENT_LEN];
};

static struct {
	struct snd_opts o;
	struct ev_loop loop;
	struct btpc link;
	struct btpc_url url;
	uint8_t run_id[8];
	/* The Prepare's BTP Message, patched per packet. */
	uint8_t tpl[SND_TPL_MAX];
	size_t tpl_len, pkt_off, data_off, cond_off;
	struct ilp_prepare view;
	int64_t tpl_wall;
	/* Progress. */
	bool ready, closed;
	bool closing;             /* we started the close */
	uint64_t sent, answered, fulfilled;
	uint64_t t_first, t_last;
	uint32_t nfree;
	uint16_t free_slot[SND_MAX_WINDOW];
	struct snd_slot slot[SND_MAX_WINDOW];
	struct lg_hist hist;
	struct lg_codes codes;
	uint8_t pkt[SND_TPL_MAX];
	uint8_t data[LG_DATA_MAX];
} snd;

/* ---- options ------------------------------------------------------------- */

static int snd_parse_one(int argc, char **argv, int *i, struct snd_opts *o)
{
	static const struct {
		const char *name;
		uint64_t min, max;
	} nums[] = {
		{ "--count", 1, 4000000000u },
		{ "--window", 1, SND_MAX_WINDOW },
		{ "--amount", 0, UINT64_MAX },
		{ "--expiry-ms", 1, 86400000u },
		{ "--data-size", LG_DATA_MIN, LG_DATA_MAX },
		{ "--timeout-ms", 1, 86400000u },
	};
	uint64_t *const nvals[] = { &o->count, &o->window, &o->amount,
				    &o->expiry_ms, &o->data_size, &o->timeout_ms };
	static const char *const snames[] = { "--url", "--token", "--username", "--to",
					      "--ca", "--pin", "--server-name", "--preimage" };
	const char **const svals[] = { &o->url, &o->token, &o->username, &o->to,
				       &o->ca, &o->pin, &o->server_name, &o->preimage };
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
	for (k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
		r = lg_opt_value(argc, argv, i, nums[k].name, &v);
		if (r < 0)
			return -1;
		if (r > 0)
			return lg_opt_u64("send", nums[k].name, v, nums[k].min,
					  nums[k].max, nvals[k]) == 0 ? 1 : -1;
	}
	return lg_usage("send", "unknown option '%s'", argv[*i]);
}

/* 0 to run, 1 if help was printed, -1 on a usage error (reported). */
static int snd_parse(int argc, char **argv, struct snd_opts *o)
{
	const char *why = NULL;
	int i;

	memset(o, 0, sizeof(*o));
	o->count = 1;
	o->window = 1;
	o->amount = 1;
	o->expiry_ms = 30000;
	o->data_size = LG_DATA_DEFAULT;
	o->timeout_ms = 600000;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			ilpctl_help(stdout);
			return 1;
		}
		if (snd_parse_one(argc, argv, &i, o) < 0)
			return -1;
	}
	if (o->url == NULL)
		return lg_usage("send", "missing --url ws://HOST:PORT");
	if (btpc_url_parse(o->url, &snd.url, &why) != 0)
		return lg_usage("send", "--url: %s", why);
	if (o->token == NULL && !snd.url.has_token)
		return lg_usage("send", "missing --token");
	if (o->to == NULL)
		return lg_usage("send", "missing --to ADDRESS");
	if (!ilp_address_valid((const uint8_t *)o->to, strlen(o->to)))
		return lg_usage("send", "--to: '%s' is not a valid ILP address", o->to);
	if (o->preimage != NULL && strcmp(o->preimage, "data") != 0 &&
	    strcmp(o->preimage, "sink-v1") != 0)
		return lg_usage("send", "--preimage: '%s' is not sink-v1 or data", o->preimage);
	o->data_preimage = o->preimage != NULL && strcmp(o->preimage, "data") == 0;
	if (o->window > o->count)
		o->window = o->count;
	return 0;
}

/* ---- the packet template ---------------------------------------------------- */

static int snd_template(void)
{
	static const uint8_t zero[ILP_CONDITION_LEN];
	struct ilp_prepare p;
	const char *why = NULL;
	size_t n;

	lg_data_fill(snd.data, (size_t)snd.o.data_size, snd.run_id, 0);
	memset(&p, 0, sizeof(p));
	p.amount = snd.o.amount;
	p.expires_at = hal_wall_ms() + (int64_t)snd.o.expiry_ms;
	p.condition = zero;
	p.destination = (const uint8_t *)snd.o.to;
	p.destination_len = strlen(snd.o.to);
	p.data = snd.data;
	p.data_len = (size_t)snd.o.data_size;
	if (ilp_prepare_encode(&p, snd.pkt, sizeof(snd.pkt), &n) != ILP_OK ||
	    btp_ilp_encode(BTP_MESSAGE, 0, snd.pkt, n, snd.tpl, sizeof(snd.tpl),
			   &snd.tpl_len) != ILP_OK)
		return -1;
	snd.pkt_off = snd.tpl_len - n;
	if (ilp_prepare_decode(snd.tpl + snd.pkt_off, n, &snd.view, &why) != ILP_OK)
		return -1;
	snd.data_off = (size_t)(snd.view.data - snd.tpl);
	snd.cond_off = (size_t)(snd.view.condition - snd.tpl);
	snd.tpl_wall = 0;
	return 0;
}

/* Fills the template for packet `seq` in slot `idx` and queues it. */
static void snd_one(uint32_t idx)
{
	struct snd_slot *s = &snd.slot[idx];
	uint8_t *t = snd.tpl;
	int64_t wall = hal_wall_ms();
	uint64_t seq = snd.sent;
	unsigned i;

	if (wall != snd.tpl_wall) {
		if (ilp_prepare_patch(t + snd.pkt_off, &snd.view, snd.o.amount,
				      wall + (int64_t)snd.o.expiry_ms) == ILP_OK)
			snd.tpl_wall = wall;
	}
	s->round = (uint16_t)(s->round + 1 == 0x10000 ? 1 : s->round + 1);
	s->id = (uint32_t)s->round << 16 | idx;
	s->busy = true;
	t[1] = (uint8_t)(s->id >> 24);
	t[2] = (uint8_t)(s->id >> 16);
	t[3] = (uint8_t)(s->id >> 8);
	t[4] = (uint8_t)s->id;
	for (i = 0; i < 8; i++)
		t[snd.data_off + 8 + i] = (uint8_t)(seq >> (56 - 8 * i));
	if (snd.o.data_preimage)   /* local delivery: condition = SHA-256(SHA-256(data)) */
		hal_sha256(t + snd.data_off, (size_t)snd.o.data_size, s->ful);
	else
		lg_fulfillment(t + snd.data_off, (size_t)snd.o.data_size, s->ful);
	hal_sha256(s->ful, ILP_FULFILLMENT_LEN, t + snd.cond_off);
	s->t0 = lg_now_us();
	(void)btpc_send(&snd.link, t, snd.tpl_len);
	snd.sent++;
}

static void snd_refill(void)
{
	while (snd.ready && snd.nfree > 0 && snd.sent < snd.o.count &&
	       btpc_can_send(&snd.link, snd.tpl_len))
		snd_one(snd.free_slot[--snd.nfree]);
}

/* ---- replies ------------------------------------------------------------- */

static void snd_count_code(const char *prefix, const uint8_t *code, size_t n)
{
	char name[LG_CODE_NAME_MAX + 1];
	size_t pl = strlen(prefix), i;

	memcpy(name, prefix, pl);
	for (i = 0; i < n && pl + i < LG_CODE_NAME_MAX; i++)
		name[pl + i] = code[i] > 0x20 && code[i] < 0x7f && code[i] != '=' ?
			       (char)code[i] : '?';
	lg_codes_add(&snd.codes, name, pl + i, 1);
}

static bool snd_fulfill_ok(const struct snd_slot *s, const uint8_t *ilp, size_t n)
{
	uint8_t want[ILP_CONDITION_LEN], got[ILP_CONDITION_LEN];
	struct ilp_fulfill f;

	if (ilp_fulfill_decode(ilp, n, &f, NULL) != ILP_OK)
		return false;
	if (memcmp(f.fulfillment, s->ful, ILP_FULFILLMENT_LEN) == 0)
		return true;
	hal_sha256(s->ful, ILP_FULFILLMENT_LEN, want);
	hal_sha256(f.fulfillment, ILP_FULFILLMENT_LEN, got);
	return memcmp(want, got, ILP_CONDITION_LEN) == 0;
}

static void snd_classify(const struct snd_slot *s, const struct btp_frame *f,
			 const uint8_t *ilp, size_t n)
{
	struct ilp_reject rj;
	int type = ilp != NULL ? ilp_packet_type(ilp, n) : -1;

	if (f->type == BTP_ERROR) {
		snd_count_code("btp-", f->code, BTP_CODE_LEN);
	} else if (type == ILP_TYPE_FULFILL) {
		if (snd_fulfill_ok(s, ilp, n))
			snd.fulfilled++;
		else
			lg_codes_add(&snd.codes, "badfulfill", 10, 1);
	} else if (type == ILP_TYPE_REJECT && ilp_reject_decode(ilp, n, &rj, NULL) == ILP_OK) {
		snd_count_code("", rj.code, ILP_CODE_LEN);
	} else {
		lg_codes_add(&snd.codes, "badreply", 8, 1);
	}
}

static void snd_on_reply(struct btpc *b, const struct btp_frame *f,
			 const uint8_t *ilp, size_t n, void *user)
{
	uint32_t idx = f->request_id & SND_SLOT_MASK;
	struct snd_slot *s = &snd.slot[idx];
	uint64_t now;

	(void)b;
	(void)user;
	if (idx >= snd.o.window || !s->busy || s->id != f->request_id)
		return;   /* not ours, or answered already */
	now = lg_now_us();
	lg_hist_add(&snd.hist, now - s->t0);
	snd_classify(s, f, ilp, n);
	s->busy = false;
	snd.free_slot[snd.nfree++] = (uint16_t)idx;
	snd.answered++;
	snd.t_last = now;
	snd_refill();
}

static void snd_on_ready(struct btpc *b, void *user)
{
	(void)user;
	if (b->have_address)
		printf("address=%s asset=%s scale=%u\n", b->address, b->asset_code,
		       (unsigned)b->asset_scale);
	else
		printf("address=unknown\n");
	if (!b->have_address && b->reason[0] != '\0')
		fprintf(stderr, "ilpctl send: warning: %s\n", b->reason);
	fflush(stdout);
	snd.ready = true;
	snd.t_first = lg_now_us();
	snd.t_last = snd.t_first;
	snd_refill();
}

static void snd_on_prepare(struct btpc *b, uint32_t id, const struct ilp_prepare *p,
			   void *user)
{
	(void)p;
	(void)user;
	(void)btpc_reject(b, id, "F06", "ilpctl send does not accept payments");
}

static void snd_on_close(struct btpc *b, const char *reason, bool failed, void *user)
{
	(void)b;
	(void)user;
	snd.closed = true;
	if (!snd.closing && (failed || snd.answered < snd.sent || snd.sent < snd.o.count))
		fprintf(stderr, "ilpctl send: %s\n", reason);
}

static const struct btpc_cbs snd_cbs = {
	.on_ready = snd_on_ready,
	.on_reply = snd_on_reply,
	.on_prepare = snd_on_prepare,
	.on_close = snd_on_close,
};

/* ---- the run ------------------------------------------------------------------ */

static bool snd_finished(void)
{
	return snd.closed || (snd.ready && snd.answered == snd.o.count);
}

/* Runs the loop until the work is done, the link closes, the overall
 * deadline passes or a signal comes. */
static void snd_loop(int64_t deadline)
{
	int wait = 0;

	while (!snd_finished() && !lg_signalled()) {
		int64_t left = deadline - hal_mono_ms();

		if (left <= 0) {
			fprintf(stderr, "ilpctl send: timed out after %llu ms\n",
				(unsigned long long)snd.o.timeout_ms);
			return;
		}
		if (left < wait)
			wait = (int)left;
		if (ev_run_once(&snd.loop, wait) == HAL_NET_ERROR) {
			fprintf(stderr, "ilpctl send: polling failed\n");
			return;
		}
		wsconn_flush_all();
		wait = btpc_poll(&snd.link);
		snd_refill();
		wsconn_flush_all();
	}
}

/* Closes the link cleanly, waiting a little for the close to go out. */
static void snd_close(void)
{
	snd.closing = true;
	btpc_close_wait(&snd.link, SND_CLOSE_MS);
}

static void snd_report(void)
{
	double secs = (double)(snd.t_last - snd.t_first) / 1e6;
	uint64_t unanswered = snd.sent - snd.answered;

	if (snd.ready) {
		printf("rate=%.0f pps answered=%llu elapsed_ms=%.1f\n",
		       secs > 0 ? (double)snd.answered / secs : 0.0,
		       (unsigned long long)snd.answered, secs * 1000.0);
		printf("latency_us p50=%llu p90=%llu p99=%llu max=%llu\n",
		       (unsigned long long)lg_hist_quantile(&snd.hist, 0.50),
		       (unsigned long long)lg_hist_quantile(&snd.hist, 0.90),
		       (unsigned long long)lg_hist_quantile(&snd.hist, 0.99),
		       (unsigned long long)snd.hist.max);
	}
	if (unanswered > 0)
		lg_codes_add(&snd.codes, "unanswered", 10, unanswered);
	printf("sent=%llu fulfilled=%llu rejected=%llu", (unsigned long long)snd.sent,
	       (unsigned long long)snd.fulfilled,
	       (unsigned long long)(snd.sent - snd.fulfilled));
	lg_codes_print(&snd.codes, stdout);
	if (snd.sent < snd.o.count)
		printf(" unsent=%llu", (unsigned long long)(snd.o.count - snd.sent));
	putchar('\n');
	fflush(stdout);
}

int ilpctl_send_main(int argc, char **argv)
{
	struct btpc_cfg cfg;
	uint32_t i;
	int r = snd_parse(argc, argv, &snd.o);

	if (r != 0)
		return r > 0 ? LG_EXIT_OK : LG_EXIT_USAGE;
	if (hal_random(snd.run_id, sizeof(snd.run_id)) != 0 || snd_template() != 0) {
		fprintf(stderr, "ilpctl send: cannot build the packet template\n");
		return LG_EXIT_FAIL;
	}
	for (i = 0; i < snd.o.window; i++)
		snd.free_slot[i] = (uint16_t)(snd.o.window - 1 - i);
	snd.nfree = (uint32_t)snd.o.window;
	lg_signals_install();
	ev_init(&snd.loop);
	memset(&cfg, 0, sizeof(cfg));
	cfg.token = snd.o.token != NULL ? snd.o.token : snd.url.token;
	cfg.username = snd.o.username != NULL ? snd.o.username :
		       snd.url.has_user ? snd.url.user : "";
	cfg.ildcp = true;
	cfg.tls_ca = snd.o.ca;
	cfg.tls_pin = snd.o.pin;
	cfg.tls_server_name = snd.o.server_name;
	cfg.setup_timeout_ms = (int64_t)(snd.o.timeout_ms < SND_SETUP_MS ?
					 snd.o.timeout_ms : SND_SETUP_MS);
	btpc_init(&snd.link, &snd.loop, &cfg, &snd_cbs, NULL);
	if (btpc_connect(&snd.link, &snd.url) != 0) {
		fprintf(stderr, "ilpctl send: %s\n", snd.link.reason);
		snd_report();
		return LG_EXIT_FAIL;
	}
	snd_loop(hal_mono_ms() + (int64_t)snd.o.timeout_ms);
	snd_close();
	snd_report();
	return snd.fulfilled == snd.o.count ? LG_EXIT_OK : LG_EXIT_FAIL;
}
