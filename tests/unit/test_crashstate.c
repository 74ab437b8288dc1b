/*
 * test_crashstate.c - crash-state exploration of the durable ledger (issue
 * 11, test 2; the method of ALICE and CrashMonkey, in-process).
 *
 * 1. Record: a switch with four peers forwards a few hundred Prepares (two
 *    sources, two next hops, seeded amounts), the next hops answer with
 *    Fulfills and some Rejects, several per simulated loop iteration, and
 *    the ledger is committed as the daemon does in sync mode with its
 *    pipelined group commit: at the end of an iteration with no sync in
 *    flight, ilpd_persist_commit_start() writes the group and starts its
 *    sync (after half a ring, first a snapshot of what the previous group
 *    wrote: its ops count as that commit's); the next iteration's packets
 *    change the ledger while it runs, then ilpd_persist_commit_finish()
 *    completes it, ilpd_persist_released() writes the release marker and
 *    the group's output "goes" (a release event is logged), and the next
 *    group starts. The run's boot id is CS_BOOT_RUN. A recording store (struct hal_store_ops over a
 *    static buffer, with an asynchronous sync whose completion is logged
 *    when finish takes it) logs every write (offset, bytes) and sync,
 *    tagged with the commit that issued it. For every commit the ledger
 *    (balance and fulfilled count per peer) as it was written is kept: that
 *    is what the sources were told (their Fulfills go out after the sync).
 *    The ring is small (ILPD_JOURNAL_RECORDS=128 for this target), so the
 *    run wraps it and takes many half-ring snapshots.
 * 2. Explore: at every crash point (after each store operation), every disk
 *    state POSIX allows: the content at the last completed sync, plus for
 *    each sector (HAL_STORE_SECTOR) written since, any of its versions (the
 *    synced one, or the one after each write that touched it). Exhaustive
 *    when there are at most CS_EXHAUSTIVE such states (12 sectors written
 *    once each = 4096), else a seeded random sample of CS_SAMPLE plus every
 *    prefix and suffix of the sectors in write order.
 * 3. Check each state: a fresh ilpd_persist_open + ilpd_persist_load into a
 *    fresh switch with the same peers must succeed, the switch must pass its
 *    consistency check, and the recovered books must equal the books of the
 *    last completed sync or of a later commit whose writes had already been
 *    issued at the crash point: never a state no commit produced, never one
 *    older than what was synced (and told upstream).
 * The first start (a zero area initialised by ilpd_persist_load) is explored
 * the same way; there only the zero books are possible, and a refusal is
 * counted apart (the area never held a balance). Power loss reboots the
 * machine: recovery runs with another boot id (CS_BOOT_OTHER), so the
 * release markers are not trusted.
 * 4. The kill -9 model (test_kill_states): the process dies, the page cache
 *    does not - every write issued is in the state, whole, syncs or not;
 *    recovery runs in the same boot (CS_BOOT_RUN). At every point between
 *    two operations (store writes, syncs, releases) the recovered books
 *    must equal those of the last released commit exactly - except between
 *    a release marker's write and the release it announces, where the
 *    released commit or the one about to be released may come back.
 *
 * Env: ILPD_CRASHSTATE_SAMPLE (random states per big crash point; default
 * CS_SAMPLE, 4096 natively, less under qemu: CMakeLists sets it), and
 * ILPD_CRASHSTATE_SEED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/hal_crypto.h"
#include "hal/hal_store.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"
#include "ilp/journal.h"
#include "persist.h"
#include "th.h"

#ifndef CS_SAMPLE
#define CS_SAMPLE 4096
#endif
#define CS_EXHAUSTIVE 4096u
#define CS_ITERATIONS 300
#define CS_PEERS 4
#define CS_AREA JOURNAL_AREA_SIZE
#define CS_MAX_OPS 8192
#define CS_DATA_MAX (8u << 20)
#define CS_MAX_COMMITS (2 * CS_ITERATIONS + 8)   /* groups and live snapshots */
#define CS_MAX_DIRTY 256
#define CS_MAX_OUT 64
#define T0 1700000000000LL
#define ADDR "test.crash"

enum { ALICE = 0, CAROL = 1, BOB = 2, DAVE = 3 };
static const char *const cs_names[CS_PEERS] = { "alice", "carol", "bob", "dave" };

/* ---- the recording store ---------------------------------------------- */

struct cs_op {
	uint8_t sync;          /* 1: sync, 0: write */
	int commit;            /* the commit that issued it (0: the first load) */
	uint32_t off, len;     /* write */
	uint32_t data;         /* write: offset in cs_data */
};

static uint8_t live_area[CS_AREA];
static struct cs_op ops[CS_MAX_OPS];
static unsigned n_ops;
static uint8_t cs_data[CS_DATA_MAX];
static uint32_t cs_data_len;
static int cur_commit;
static bool rec_overflow;

/* Release events: after rel_at ops, the output of commit `commit` went;
 * its marker was written by the ops [win_lo, rel_at). */
struct cs_rel {
	unsigned rel_at, win_lo;
	int commit;
};
static struct cs_rel rels[CS_MAX_OPS];
static unsigned n_rels;

static const uint8_t CS_BOOT_RUN[16] = { 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4, 5, 6, 7, 8, 9,
					 10, 11, 12 };
static const uint8_t CS_BOOT_OTHER[16] = { 0x99, 0x88, 0x77, 0x66, 1, 2, 3, 4, 5, 6, 7, 8, 9,
					   10, 11, 12 };

static void cs_release(unsigned win_lo, int commit)
{
	if (n_rels == CS_MAX_OPS) {
		rec_overflow = true;
		return;
	}
	rels[n_rels++] = (struct cs_rel){ n_ops, win_lo, commit };
}

static int rec_read(struct hal_store *s, uint32_t off, void *buf, uint32_t len)
{
	if (off > s->size || len > s->size - off)
		return HAL_STORE_RANGE;
	memcpy(buf, (uint8_t *)s->ctx + off, len);
	return HAL_STORE_OK;
}

static int rec_write(struct hal_store *s, uint32_t off, const void *buf, uint32_t len)
{
	if (off > s->size || len > s->size - off)
		return HAL_STORE_RANGE;
	memcpy((uint8_t *)s->ctx + off, buf, len);
	if (n_ops == CS_MAX_OPS || len > CS_DATA_MAX - cs_data_len) {
		rec_overflow = true;
		return HAL_STORE_OK;
	}
	ops[n_ops] = (struct cs_op){ 0, cur_commit, off, len, cs_data_len };
	memcpy(cs_data + cs_data_len, buf, len);
	cs_data_len += len;
	n_ops++;
	return HAL_STORE_OK;
}

static void rec_log_sync(int commit)
{
	if (n_ops == CS_MAX_OPS) {
		rec_overflow = true;
		return;
	}
	ops[n_ops] = (struct cs_op){ 1, commit, 0, 0, 0 };
	n_ops++;
}

static int rec_sync(struct hal_store *s)
{
	(void)s;
	rec_log_sync(cur_commit);
	return HAL_STORE_OK;
}

/* The asynchronous sync: it completes (is logged, for the commit that
 * started it) when finish takes it. */
static int rec_pending_commit;

static int rec_sync_start(struct hal_store *s)
{
	(void)s;
	rec_pending_commit = cur_commit;
	return HAL_STORE_OK;
}

static int rec_sync_finish(struct hal_store *s, bool wait)
{
	(void)s;
	(void)wait;
	rec_log_sync(rec_pending_commit);
	return HAL_STORE_OK;
}

static void rec_close(struct hal_store *s)
{
	(void)s;
}

static const struct hal_store_ops rec_ops = {
	rec_read, rec_write, rec_sync, rec_close, rec_sync_start, rec_sync_finish
};

/* The store a recovery runs on: a copy of a crash state; writes (the
 * snapshot a load takes) go into the copy, syncs do nothing. */
static int img_write(struct hal_store *s, uint32_t off, const void *buf, uint32_t len)
{
	if (off > s->size || len > s->size - off)
		return HAL_STORE_RANGE;
	memcpy((uint8_t *)s->ctx + off, buf, len);
	return HAL_STORE_OK;
}

static int img_sync(struct hal_store *s)
{
	(void)s;
	return HAL_STORE_OK;
}

static const struct hal_store_ops img_ops = {
	rec_read, img_write, img_sync, rec_close, NULL, NULL
};

static void store_over(struct hal_store *st, const struct hal_store_ops *o, uint8_t *area,
		       bool created)
{
	memset(st, 0, sizeof(*st));
	st->ops = o;
	st->size = CS_AREA;
	st->fd = -1;
	st->created = created;
	st->ctx = area;
}

/* ---- the switch -------------------------------------------------------- */

struct cs_books {
	int64_t balance[CS_PEERS];
	uint64_t fulfilled[CS_PEERS];
};

static struct ilp_switch sw, rsw;
static struct ilpd_persist live, rp;
static struct cs_books books[CS_MAX_COMMITS];
static int n_commits;   /* books[0..n_commits) */
static uint8_t rbuf[ILP_SWITCH_REPLY_MAX];
static uint64_t rng_state;

static uint32_t cs_rand(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

static void cs_setup(struct ilp_switch *s)
{
	struct ilp_switch_cfg cfg = { (const uint8_t *)ADDR, strlen(ADDR), 1000, 30000,
				      hal_sha256 };
	uint16_t i;

	CHECK_EQ(ilp_switch_init(s, &cfg), ILP_OK);
	for (i = 0; i < CS_PEERS; i++) {
		struct ilp_peer_cfg c;

		memset(&c, 0, sizeof(c));
		strcpy(c.name, cs_names[i]);
		strcpy(c.asset_code, "XRP");
		c.relation = i < BOB ? ILP_REL_CHILD : ILP_REL_PEER;
		c.rate.num = 1;
		c.rate.den = 1;
		c.rate.scale = 9;
		c.max_packet_amount = UINT64_MAX;
		c.min_balance = INT64_MIN / 2;
		c.max_balance = INT64_MAX / 2;
		c.settle_threshold = INT64_MAX;
		CHECK_EQ(ilp_switch_add_peer(s, i, &c), ILP_OK);
		ilp_switch_set_peer_up(s, i, true);
	}
	CHECK_EQ(ilp_switch_add_route(s, (const uint8_t *)"test.bob", 8, BOB), ILP_OK);
	CHECK_EQ(ilp_switch_add_route(s, (const uint8_t *)"test.dave", 9, DAVE), ILP_OK);
}

static void cs_books_of(const struct ilp_switch *s, struct cs_books *b)
{
	int i;

	for (i = 0; i < CS_PEERS; i++) {
		b->balance[i] = s->ledger.slot[i].balance;
		b->fulfilled[i] = s->ledger.slot[i].fulfilled_count;
	}
}

static void fulfillment_for(uint32_t n, uint8_t f[32])
{
	memset(f, 0, 32);
	f[0] = (uint8_t)(n >> 24);
	f[1] = (uint8_t)(n >> 16);
	f[2] = (uint8_t)(n >> 8);
	f[3] = (uint8_t)n;
	f[31] = 0x3c;
}

struct cs_out {
	uint32_t handle, n;
};

/* One simulated loop iteration: a few Prepares in, a few answers back. */
static void cs_iteration(int it, struct cs_out *out, unsigned *n_out, uint32_t *seq)
{
	int64_t now = T0 + it;
	unsigned k, np = 1 + cs_rand() % 3, na = cs_rand() % 5;
	struct ilp_sw_action act;

	for (k = 0; k < np && *n_out < CS_MAX_OUT; k++) {
		uint8_t pkt[256], f[32], cond[32];
		struct ilp_prepare p;
		size_t len = 0;
		uint32_t n = ++*seq;
		uint16_t from = (cs_rand() & 1) ? ALICE : CAROL;

		fulfillment_for(n, f);
		hal_sha256(f, 32, cond);
		memset(&p, 0, sizeof(p));
		p.amount = 1 + cs_rand() % 1000;
		p.expires_at = T0 + 60000;
		p.condition = cond;
		p.destination = (const uint8_t *)((cs_rand() & 1) ? "test.bob.x" : "test.dave.y");
		p.destination_len = strlen((const char *)p.destination);
		p.data = (const uint8_t *)"crash";
		p.data_len = 5;
		CHECK_EQ(ilp_prepare_encode(&p, pkt, sizeof(pkt), &len), ILP_OK);
		CHECK_EQ(ilp_switch_prepare(&sw, now, from, n, pkt, len, rbuf, sizeof(rbuf), &act),
			 ILP_OK);
		if (act.kind == ILP_SW_FORWARD)
			out[(*n_out)++] = (struct cs_out){ act.tag, n };
	}
	for (k = 0; k < na && *n_out > 0; k++) {
		unsigned pick = cs_rand() % *n_out;
		struct cs_out o = out[pick];
		uint8_t resp[256];
		size_t rlen = 0;

		out[pick] = out[--*n_out];
		if (cs_rand() % 5 == 0) {
			struct ilp_reject rj = { (const uint8_t *)"F99", (const uint8_t *)"test.bob", 8,
						 (const uint8_t *)"no", 2, NULL, 0 };

			CHECK_EQ(ilp_reject_encode(&rj, resp, sizeof(resp), &rlen), ILP_OK);
		} else {
			uint8_t f[32];
			struct ilp_fulfill ff = { f, (const uint8_t *)"ok", 2 };

			fulfillment_for(o.n, f);
			CHECK_EQ(ilp_fulfill_encode(&ff, resp, sizeof(resp), &rlen), ILP_OK);
		}
		CHECK_EQ(ilp_switch_response(&sw, now, o.handle, resp, rlen, rbuf, sizeof(rbuf), &act),
			 ILP_OK);
	}
}

/* Records the run: ops[], books[]. */
static void cs_record(void)
{
	struct hal_store st;
	struct cs_out out[CS_MAX_OUT];
	unsigned n_out = 0;
	uint32_t seq = 0;
	char why[160] = "";
	bool pending = false;
	int pending_commit = 0;
	uint64_t snaps;
	unsigned op0, k, last_sync;
	int it, r;

	memset(live_area, 0, sizeof(live_area));
	n_ops = 0;
	n_rels = 0;
	cs_data_len = 0;
	cur_commit = 0;
	store_over(&st, &rec_ops, live_area, true);
	cs_setup(&sw);
	hal_boot_id_set(CS_BOOT_RUN);
	CHECK_EQ(ilpd_persist_open(&live, &st, ILPD_DUR_SYNC, 0, why, sizeof(why)), 0);
	CHECK_EQ(ilpd_persist_load(&live, &sw, false, T0, why, sizeof(why)), 0);
	if (why[0] != '\0' && th_failed_checks > 0)
		printf("  load: %s\n", why);
	CHECK(live.boot_known);
	cs_books_of(&sw, &books[0]);
	n_commits = 1;
	for (it = 1; it <= CS_ITERATIONS + 1; it++) {
		if (it <= CS_ITERATIONS)
			cs_iteration(it, out, &n_out, &seq);
		if (pending) {   /* the group's sync completes in this iteration */
			snaps = live.stats.snapshots;
			cur_commit = pending_commit;
			CHECK(ilpd_persist_sync_pending(&live));
			CHECK_EQ(ilpd_persist_commit_finish(&live, &sw, T0 + it, false), 0);
			CHECK_EQ(live.stats.snapshots, snaps);   /* never at a completion */
			pending = false;
			/* durable.c: the marker, then the group's output goes */
			op0 = n_ops;
			CHECK_EQ(ilpd_persist_released(&live), 0);
			CHECK_EQ(n_ops, op0 + 1);
			cs_release(op0, pending_commit);
		}
		if (it > CS_ITERATIONS || !ilpd_persist_dirty(&live, &sw))
			continue;
		CHECK(n_commits < CS_MAX_COMMITS);
		if (n_commits >= CS_MAX_COMMITS)
			break;
		cur_commit = n_commits;
		snaps = live.stats.snapshots;
		op0 = n_ops;
		r = ilpd_persist_commit_start(&live, &sw, T0 + it);
		CHECK(r == 0 || r == 1);
		pending = r == 1;
		pending_commit = n_commits;
		if (r == 1 && live.stats.snapshots != snaps) {
			/* The half-ring snapshot holds what the previous commit
			 * wrote; it and its marker are that commit's ops. */
			last_sync = op0;
			for (k = op0; k < n_ops; k++)
				if (ops[k].sync)
					last_sync = k;
			for (k = op0; k <= last_sync + 1 && k < n_ops; k++)
				ops[k].commit = n_commits - 1;
		}
		cs_books_of(&sw, &books[n_commits]);   /* as written */
		n_commits++;
		if (r == 0)   /* a snapshot of the ledger now: released at once */
			cs_release(op0, n_commits - 1);
		CHECK(!ilpd_persist_dirty(&live, &sw));
	}
	CHECK(!ilpd_persist_sync_pending(&live));
	CHECK(!rec_overflow);
	printf("  recorded: %u Prepares, %d commits, %u store operations, %u bytes written,"
	       " %llu snapshots, ring %u records\n", (unsigned)seq, n_commits - 1, n_ops,
	       (unsigned)cs_data_len, (unsigned long long)live.stats.snapshots,
	       (unsigned)JOURNAL_RING_RECORDS);
	CHECK(live.stats.snapshots >= 3);   /* start-up + at least two half-ring ones */
	CHECK(n_rels > 100);
}

/* ---- exploration -------------------------------------------------------- */

struct cs_sector {
	uint32_t sector;
	unsigned n_writes;      /* writes since the sync that touched it */
	unsigned first_op;      /* for write order */
};

static uint8_t synced[CS_AREA], probe[CS_AREA];
static struct cs_sector dirty[CS_MAX_DIRTY];
static unsigned n_dirty;
static unsigned choice[CS_MAX_DIRTY];
static unsigned long long n_states, n_points, n_points_exhaustive, n_points_sampled;
static unsigned long long n_refused_init, n_bad, n_dropped;
static unsigned cs_sample;

/* Sector `sec` at version v (0: synced; k: after the k-th write since the
 * last sync that touched it), written into probe. */
static void cs_apply_sector(uint32_t sec, unsigned v, unsigned last_sync, unsigned upto)
{
	uint32_t lo = sec * HAL_STORE_SECTOR, hi = lo + HAL_STORE_SECTOR;
	unsigned i, seen = 0;

	if (hi > CS_AREA)
		hi = CS_AREA;
	for (i = last_sync; i <= upto && seen < v; i++) {
		const struct cs_op *o = &ops[i];
		uint32_t a, b;

		if (o->sync)
			continue;
		a = o->off > lo ? o->off : lo;
		b = o->off + o->len < hi ? o->off + o->len : hi;
		if (a >= b)
			continue;
		memcpy(probe + a, cs_data + o->data + (a - o->off), b - a);
		seen++;
	}
}

static bool cs_books_eq(const struct ilp_switch *s, const struct cs_books *b)
{
	int i;

	for (i = 0; i < CS_PEERS; i++)
		if (s->ledger.slot[i].balance != b->balance[i] ||
		    s->ledger.slot[i].fulfilled_count != b->fulfilled[i])
			return false;
	return true;
}

/* Recovers probe; checks it against books[lo..hi]. */
static void cs_check_state(unsigned point, int lo, int hi, bool init)
{
	struct hal_store st;
	char why[160] = "";
	const char *swhy = NULL;
	int j;

	n_states++;
	store_over(&st, &img_ops, probe, false);
	cs_setup(&rsw);
	if (ilpd_persist_open(&rp, &st, ILPD_DUR_SYNC, 0, why, sizeof(why)) != 0 ||
	    ilpd_persist_load(&rp, &rsw, false, T0, why, sizeof(why)) != 0) {
		if (init) {
			n_refused_init++;
			return;
		}
		if (n_bad++ < 10)
			th_fail(__FILE__, __LINE__, "crash point %u (op %u of %u, commits %d..%d):"
				" recovery refused a state a crash can produce: %s", point, point,
				n_ops, lo, hi, why);
		return;
	}
	if (rp.rp.dropped_groups > 0)
		n_dropped++;
	if (ilp_switch_check(&rsw, &swhy) != ILP_OK) {
		if (n_bad++ < 10)
			th_fail(__FILE__, __LINE__, "crash point %u: recovered switch fails its check: %s",
				point, swhy);
		return;
	}
	for (j = lo; j <= hi; j++)
		if (cs_books_eq(&rsw, &books[j]))
			return;
	if (n_bad++ < 10) {
		th_fail(__FILE__, __LINE__, "crash point %u (commits %d..%d possible): recovered"
			" books alice=%lld carol=%lld bob=%lld dave=%lld match none; last synced"
			" alice=%lld", point, lo, hi, (long long)rsw.ledger.slot[ALICE].balance,
			(long long)rsw.ledger.slot[CAROL].balance,
			(long long)rsw.ledger.slot[BOB].balance,
			(long long)rsw.ledger.slot[DAVE].balance,
			(long long)books[lo].balance[ALICE]);
	}
}

static void cs_build(unsigned last_sync, unsigned upto)
{
	unsigned d;

	memcpy(probe, synced, CS_AREA);
	for (d = 0; d < n_dirty; d++)
		if (choice[d] > 0)
			cs_apply_sector(dirty[d].sector, choice[d], last_sync, upto);
}

/* Every state at the crash point after op `upto`; writes since the last
 * sync are ops[last_sync..upto]. */
static void cs_explore_point(unsigned last_sync, unsigned upto, int lo, int hi, bool init)
{
	unsigned long long total = 1;
	unsigned d, i, k;

	n_points++;
	for (d = 0; d < n_dirty && total <= CS_EXHAUSTIVE; d++)
		total *= dirty[d].n_writes + 1;
	if (total <= CS_EXHAUSTIVE) {
		n_points_exhaustive++;
		memset(choice, 0, sizeof(choice));
		for (;;) {
			cs_build(last_sync, upto);
			cs_check_state(upto, lo, hi, init);
			for (d = 0; d < n_dirty; d++) {   /* mixed-radix increment */
				if (++choice[d] <= dirty[d].n_writes)
					break;
				choice[d] = 0;
			}
			if (d == n_dirty)
				break;
		}
		return;
	}
	n_points_sampled++;
	/* prefixes and suffixes of the sectors in write order (dirty[] is in
	 * first-write order), every sector at its latest version */
	for (k = 0; k <= n_dirty; k++) {
		for (d = 0; d < n_dirty; d++)
			choice[d] = d < k ? dirty[d].n_writes : 0;
		cs_build(last_sync, upto);
		cs_check_state(upto, lo, hi, init);
		for (d = 0; d < n_dirty; d++)
			choice[d] = d >= k ? dirty[d].n_writes : 0;
		cs_build(last_sync, upto);
		cs_check_state(upto, lo, hi, init);
	}
	for (i = 0; i < cs_sample; i++) {
		for (d = 0; d < n_dirty; d++)
			choice[d] = cs_rand() % (dirty[d].n_writes + 1);
		cs_build(last_sync, upto);
		cs_check_state(upto, lo, hi, init);
	}
}

static void cs_note_write(const struct cs_op *o, unsigned idx)
{
	uint32_t s, first = o->off / HAL_STORE_SECTOR,
		 last = (o->off + o->len - 1) / HAL_STORE_SECTOR;
	unsigned d;

	for (s = first; s <= last; s++) {
		for (d = 0; d < n_dirty; d++)
			if (dirty[d].sector == s)
				break;
		if (d == n_dirty) {
			CHECK(n_dirty < CS_MAX_DIRTY);
			if (n_dirty == CS_MAX_DIRTY)
				return;
			dirty[n_dirty++] = (struct cs_sector){ s, 0, idx };
		}
		dirty[d].n_writes++;
	}
}

static void cs_explore(void)
{
	unsigned i, last_sync = 0;   /* first op after the last completed sync */
	int synced_commit = -1;      /* commit of the last completed sync */
	unsigned long long before;

	memset(synced, 0, sizeof(synced));
	n_dirty = 0;
	for (i = 0; i < n_ops; i++) {
		const struct cs_op *o = &ops[i];
		int lo = synced_commit < 0 ? 0 : synced_commit;
		bool init = synced_commit < 0;

		if (o->sync) {
			unsigned k;

			for (k = last_sync; k < i; k++)   /* every write before it is durable */
				if (!ops[k].sync)
					memcpy(synced + ops[k].off, cs_data + ops[k].data, ops[k].len);
			last_sync = i + 1;
			n_dirty = 0;
			synced_commit = o->commit;
			/* the one state after a completed sync: exactly its commit */
			memcpy(probe, synced, CS_AREA);
			n_points++;
			n_points_exhaustive++;
			cs_check_state(i, o->commit, o->commit, false);
			continue;
		}
		cs_note_write(o, i);
		before = n_states;
		cs_explore_point(last_sync, i, lo, o->commit, init);
		(void)before;
	}
}

static void test_crash_states(void)
{
	const char *e = getenv("ILPD_CRASHSTATE_SAMPLE");
	const char *sd = getenv("ILPD_CRASHSTATE_SEED");

	cs_sample = e != NULL ? (unsigned)strtoul(e, NULL, 10) : CS_SAMPLE;
	if (cs_sample == 0)
		cs_sample = 1;
	rng_state = sd != NULL ? strtoull(sd, NULL, 10) : 11;
	printf("  seed %llu, sample %u per big crash point\n", (unsigned long long)rng_state,
	       cs_sample);
	cs_record();
	if (th_failed_checks > 0)
		return;
	/* Power loss: the machine reboots, the markers prove nothing. */
	hal_boot_id_set(CS_BOOT_OTHER);
	n_dropped = 0;
	cs_explore();
	CHECK_EQ(n_dropped, 0);
	printf("  explored: %llu crash points (%llu exhaustively: every subset of the sectors"
	       " written since the last sync, %llu sampled: %u random + all prefixes and"
	       " suffixes), %llu disk states recovered and checked; %llu refused during the"
	       " first start (zero books only), %llu bad\n", n_points, n_points_exhaustive,
	       n_points_sampled, cs_sample, n_states, n_refused_init, n_bad);
	CHECK(n_states > 1000);
	CHECK_EQ(n_bad, 0);
}

/* The kill -9 model over the recorded run (see the top). */
static uint8_t kill_area[CS_AREA];

static void test_kill_states(void)
{
	unsigned i, j = 0;
	int released = 0;
	unsigned long long states0 = n_states, bad0 = n_bad, windows = 0;

	if (n_ops == 0 || th_failed_checks > 0)
		return;
	hal_boot_id_set(CS_BOOT_RUN);
	memset(kill_area, 0, sizeof(kill_area));
	n_dropped = 0;
	for (i = 0; i < n_ops; i++) {
		const struct cs_op *o = &ops[i];
		int hi = released;

		if (!o->sync)
			memcpy(kill_area + o->off, cs_data + o->data, o->len);
		/* after op i, before the releases that follow it */
		if (j < n_rels && rels[j].win_lo <= i && i < rels[j].rel_at) {
			hi = rels[j].commit;
			windows++;
		}
		memcpy(probe, kill_area, CS_AREA);
		cs_check_state(i, released, hi, false);
		/* after each release that follows op i */
		while (j < n_rels && rels[j].rel_at == i + 1) {
			released = rels[j++].commit;
			memcpy(probe, kill_area, CS_AREA);
			cs_check_state(i, released, released, false);
		}
	}
	printf("  kill -9: %llu states (after every store operation and every release), %llu"
	       " in a marker-to-release window, %llu recoveries dropped unreleased groups,"
	       " %llu bad\n", n_states - states0, windows, n_dropped, n_bad - bad0);
	CHECK_EQ(j, n_rels);
	CHECK(n_dropped > 100);
	CHECK_EQ(n_bad, bad0);
	hal_boot_id_set(NULL);
}

int main(void)
{
	TH_RUN(test_crash_states);
	TH_RUN(test_kill_states);
	return th_finish();
}
