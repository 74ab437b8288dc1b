/*
 * test_persist.c - the durable ledger's glue (firmware/persist.c) over the
 * memory store (hal_store_mem.h) and the POSIX store: a new area, commits
 * after Fulfills pushed through a real switch with a fake clock, recovery
 * by peer name (slots moved by a reload), every start-up refusal, reset,
 * injected write/sync faults and torn writes, the half-ring snapshot and
 * ring wrap over thousands of commits, and the POSIX file (create, lock,
 * size, reopen).
 */
#define _GNU_SOURCE   /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hal/hal_crypto.h"
#include "hal/hal_store_mem.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"
#include "ilp/journal.h"
#include "persist.h"
#include "th.h"

#define T0 1700000000000LL
#define ADDR "test.conn"

static struct ilp_switch sw;
static struct ilpd_persist P;
static struct hal_store st;
static struct hal_store_mem mem;
static uint8_t area[JOURNAL_AREA_SIZE];
static uint8_t area2[JOURNAL_AREA_SIZE];
static uint8_t rbuf[ILP_SWITCH_REPLY_MAX];
static char why[512];
static uint32_t pay_n;

struct peerdef {
	uint16_t slot;
	const char *name;
	uint8_t rel;
	int64_t max_balance;
};

#define NOLIM INT64_MAX
/* The usual configuration: alice (child) 0, bob (peer) 1, up (parent) 2. */
static const struct peerdef three[] = {
	{ 0, "alice", ILP_REL_CHILD, NOLIM },
	{ 1, "bob", ILP_REL_PEER, NOLIM },
	{ 2, "up", ILP_REL_PARENT, NOLIM },
};

static void setup_sw(const char *addr, const struct peerdef *d, size_t n)
{
	struct ilp_switch_cfg cfg = {
		(const uint8_t *)addr, strlen(addr), 1000, 30000, hal_sha256
	};
	size_t i;

	CHECK_EQ(ilp_switch_init(&sw, &cfg), ILP_OK);
	for (i = 0; i < n; i++) {
		struct ilp_peer_cfg c;

		memset(&c, 0, sizeof(c));
		strcpy(c.name, d[i].name);
		strcpy(c.asset_code, "XRP");
		c.relation = d[i].rel;
		c.rate.num = 1;
		c.rate.den = 1;
		c.rate.scale = 9;
		c.max_packet_amount = UINT64_MAX;
		c.min_balance = INT64_MIN;
		c.max_balance = d[i].max_balance;
		c.settle_threshold = INT64_MAX;
		CHECK_EQ(ilp_switch_add_peer(&sw, d[i].slot, &c), ILP_OK);
		ilp_switch_set_peer_up(&sw, d[i].slot, true);
		if (strcmp(d[i].name, "bob") == 0)
			CHECK_EQ(ilp_switch_add_route(&sw, (const uint8_t *)"test.bob", 8,
						      d[i].slot), ILP_OK);
		if (d[i].rel == ILP_REL_PARENT)
			CHECK_EQ(ilp_switch_set_default_route(&sw, d[i].slot), ILP_OK);
	}
}

static int slot_of(const char *name)
{
	size_t i;

	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (sw.peers[i].used && strcmp(sw.peers[i].cfg.name, name) == 0)
			return (int)i;
	return -1;
}

static int64_t bal(const char *name)
{
	int i = slot_of(name);

	CHECK(i >= 0);
	return i < 0 ? -999 : sw.ledger.slot[i].balance;
}

static uint64_t ful(const char *name)
{
	int i = slot_of(name);

	return i < 0 ? 0 : sw.ledger.slot[i].fulfilled_count;
}

/* A Prepare of `amount` from peer `from` to dest, forwarded and fulfilled. */
static void pay(const char *from, const char *dest, uint64_t amount)
{
	uint8_t pkt[512], resp[128], f[32], cond[32];
	struct ilp_prepare pr;
	struct ilp_fulfill ff = { f, (const uint8_t *)"ok", 2 };
	struct ilp_sw_action act;
	size_t len = 0, rlen = 0;
	int src = slot_of(from);

	CHECK(src >= 0);
	memset(f, 0, sizeof(f));
	pay_n++;
	memcpy(f, &pay_n, sizeof(pay_n));
	hal_sha256(f, 32, cond);
	memset(&pr, 0, sizeof(pr));
	pr.amount = amount;
	pr.expires_at = T0 + 10000;
	pr.condition = cond;
	pr.destination = (const uint8_t *)dest;
	pr.destination_len = strlen(dest);
	CHECK_EQ(ilp_prepare_encode(&pr, pkt, sizeof(pkt), &len), ILP_OK);
	CHECK_EQ(ilp_switch_prepare(&sw, T0, (uint16_t)src, pay_n, pkt, len, rbuf, sizeof(rbuf),
				    &act), ILP_OK);
	CHECK_EQ(act.kind, ILP_SW_FORWARD);
	CHECK_EQ(ilp_fulfill_encode(&ff, resp, sizeof(resp), &rlen), ILP_OK);
	CHECK_EQ(ilp_switch_response(&sw, T0 + 1, act.tag, resp, rlen, rbuf, sizeof(rbuf),
				     &act), ILP_OK);
	CHECK_EQ(act.kind, ILP_SW_REPLY);
	CHECK(act.code[0] == '\0');
}

static int open_mem(void)
{
	why[0] = '\0';
	CHECK_EQ(hal_store_open_mem(&st, &mem, area, sizeof(area)), HAL_STORE_OK);
	return ilpd_persist_open(&P, &st, ILPD_DUR_SYNC, 0, why, sizeof(why));
}

/* Opens the area and loads it into a switch configured with d. */
static int start(const char *addr, const struct peerdef *d, size_t n, bool reset)
{
	int r = open_mem();

	setup_sw(addr, d, n);
	if (r != 0 && !reset)
		return r;
	return ilpd_persist_load(&P, &sw, reset, T0, why, sizeof(why));
}

static void expect_refusal(const char *addr, const struct peerdef *d, size_t n,
			   const char *text)
{
	CHECK_EQ(start(addr, d, n, false), -1);
	CHECK(strncmp(why, "state: ", 7) == 0);
	if (strstr(why, text) == NULL)
		th_fail(__FILE__, __LINE__, "refusal '%s' lacks '%s'", why, text);
}

static void fresh(void)
{
	memset(area, 0, sizeof(area));
	CHECK_EQ(start(ADDR, three, 3, false), 0);
}

static void test_sizes(void)
{
	printf("# struct ilpd_persist: %zu bytes; JOURNAL_AREA_SIZE %u bytes (snapshot slot %u, "
	       "ring %u x %u); ILPD_MAX_PEERS %u\n",
	       sizeof(struct ilpd_persist), (unsigned)JOURNAL_AREA_SIZE,
	       (unsigned)JOURNAL_SNAP_BYTES, (unsigned)JOURNAL_RING_RECORDS,
	       (unsigned)JOURNAL_RECORD_SIZE, (unsigned)ILPD_MAX_PEERS);
	CHECK(sizeof(struct ilpd_persist) < 64u * 1024u);
}

static void test_new_area(void)
{
	static const uint8_t zero[64];

	memset(area, 0, sizeof(area));
	CHECK_EQ(open_mem(), 0);
	CHECK(st.created);
	CHECK(!P.stats.recovered);
	setup_sw(ADDR, three, 3);
	CHECK_EQ(ilpd_persist_load(&P, &sw, false, T0, why, sizeof(why)), 0);
	CHECK_EQ(P.stats.snapshots, 1);
	CHECK_EQ(P.stats.syncs, 1);
	CHECK_EQ(P.pos.gen, 1);
	CHECK_EQ(P.active, 0);
	CHECK(memcmp(area, zero, sizeof(zero)) != 0);       /* slot A written */
	CHECK(memcmp(area + JOURNAL_SNAP_BYTES, zero, sizeof(zero)) == 0);
	CHECK(!ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);      /* nothing to write */
	CHECK_EQ(P.stats.syncs, 1);
	/* Reopen: recovered, all zero, gen 2 in slot B. */
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK(P.stats.recovered);
	CHECK_EQ(P.active, 1);
	CHECK_EQ(P.pos.gen, 2);
	CHECK_EQ(bal("alice"), 0);
}

static void test_commit_and_recover(void)
{
	char json[2048];

	fresh();
	pay("alice", "test.bob.x", 100);
	pay("alice", "test.bob.x", 50);
	pay("bob", "test.conn.alice", 30);
	pay("alice", "test.up.y", 7);
	CHECK(ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0 + 5), 0);
	CHECK(!ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(P.stats.records, 3);
	CHECK_EQ(P.stats.journal_fill, 3);
	CHECK_EQ(P.stats.last_sync_ms, T0 + 5);
	CHECK_EQ(P.stats.bytes_written, JOURNAL_SNAP_BYTES + 3 * JOURNAL_RECORD_SIZE);
	CHECK_EQ(P.stats.sync_us_bucket[ILPD_PERSIST_BUCKETS - 1], P.stats.syncs);
	pay("bob", "test.conn.alice", 1);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0 + 6), 0);
	CHECK_EQ(P.stats.records, 5);
	CHECK_EQ(bal("alice"), 126);
	CHECK_EQ(bal("bob"), -119);
	CHECK_EQ(bal("up"), -7);

	/* --dump-state of the area as it is. */
	CHECK_EQ(open_mem(), 0);
	CHECK(ilpd_persist_dump_json(&P, json, sizeof(json)) > 0);
	CHECK(strstr(json, "\"address\":\"test.conn\"") != NULL);
	CHECK(strstr(json, "\"alice\":{\"balance\":\"126\",\"fulfilled\":5}") != NULL);
	CHECK(strstr(json, "\"bob\":{\"balance\":\"-119\",\"fulfilled\":4}") != NULL);
	CHECK(strstr(json, "\"generation\":1") != NULL);
	CHECK_EQ(ilpd_persist_dump_json(&P, json, 20), 0);

	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK(P.stats.recovered);
	CHECK_EQ(bal("alice"), 126);
	CHECK_EQ(bal("bob"), -119);
	CHECK_EQ(bal("up"), -7);
	CHECK_EQ_U64(ful("alice"), 5);
	CHECK_EQ_U64(ful("bob"), 4);
	CHECK_EQ_U64(ful("up"), 1);
	CHECK_EQ(sw.ledger.slot[0].pending_in, 0);
	/* It goes on from there. */
	pay("alice", "test.bob.x", 4);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 130);
	CHECK_EQ(bal("bob"), -123);
	CHECK_EQ(P.pos.gen, 3);
}

/* A recovered balance outside the configured (lowered) limit: exempt. */
static void test_exempt_after_lowered_limit(void)
{
	static const struct peerdef tight[] = {
		{ 0, "alice", ILP_REL_CHILD, 100 },
		{ 1, "bob", ILP_REL_PEER, NOLIM },
		{ 2, "up", ILP_REL_PARENT, NOLIM },
	};
	size_t bad;

	fresh();
	pay("alice", "test.bob.x", 500);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	CHECK_EQ(start(ADDR, tight, 3, false), 0);
	CHECK_EQ(bal("alice"), 500);
	CHECK((sw.ledger.slot[0].flags & LEDGER_SLOT_EXEMPT) != 0);
	CHECK_EQ(ledger_check(&sw.ledger, &bad), ILP_OK);
	CHECK((sw.ledger.slot[1].flags & LEDGER_SLOT_EXEMPT) == 0);
}

static void test_reload_by_name(void)
{
	/* The next run's configuration: bob gone, the others in other slots,
	 * a new peer carol. */
	static const struct peerdef moved[] = {
		{ 5, "up", ILP_REL_PARENT, NOLIM },
		{ 3, "alice", ILP_REL_CHILD, NOLIM },
		{ 0, "carol", ILP_REL_CHILD, NOLIM },
	};
	static const struct peerdef bob_back[] = {
		{ 5, "up", ILP_REL_PARENT, NOLIM },
		{ 3, "alice", ILP_REL_CHILD, NOLIM },
		{ 0, "carol", ILP_REL_CHILD, NOLIM },
		{ 7, "bob", ILP_REL_PEER, NOLIM },
	};
	struct ilp_peer_cfg carol;

	fresh();
	pay("alice", "test.bob.x", 100);
	pay("alice", "test.up.x", 20);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	/* Reload: bob is removed (its balance goes with it), carol added. */
	CHECK_EQ(ilp_switch_retire_peer(&sw, 1), ILP_OK);
	CHECK_EQ(ilp_switch_remove_peer(&sw, 1), 1);
	carol = sw.peers[0].cfg;
	strcpy(carol.name, "carol");
	CHECK_EQ(ilp_switch_add_peer(&sw, 1, &carol), ILP_OK);
	CHECK(ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(ilpd_persist_peers_changed(&P, &sw, T0), 0);
	CHECK_EQ(P.stats.snapshots, 2);
	pay("carol", "test.up.x", 3);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);

	/* Restart with the slots moved: by name. */
	CHECK_EQ(start(ADDR, moved, 3, false), 0);
	CHECK_EQ(slot_of("alice"), 3);
	CHECK_EQ(bal("alice"), 120);
	CHECK_EQ(bal("up"), -23);
	CHECK_EQ(bal("carol"), 3);
	CHECK_EQ(slot_of("bob"), -1);
	pay("alice", "test.up.x", 1);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	/* bob added back: starts at 0; the others keep theirs. */
	CHECK_EQ(start(ADDR, bob_back, 4, false), 0);
	CHECK_EQ(bal("bob"), 0);
	CHECK_EQ(bal("alice"), 121);
	CHECK_EQ(bal("up"), -24);
	CHECK_EQ(bal("carol"), 3);

	/* A commit after a peer was freed without peers_changed snapshots. */
	pay("bob", "test.up.x", 9);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	CHECK_EQ(ilp_switch_retire_peer(&sw, 0), ILP_OK);   /* carol, balance 3 */
	CHECK_EQ(ilp_switch_remove_peer(&sw, 0), 1);
	CHECK(ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	CHECK(!ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(start(ADDR, bob_back + 3, 1, false), -1);  /* alice, up missing */
	CHECK(strstr(why, "peer alice has balance 121") != NULL ||
	      strstr(why, "peer up has balance -33") != NULL);
	CHECK_EQ(start(ADDR, bob_back, 4, false), 0);
	CHECK_EQ(bal("carol"), 0);
	CHECK_EQ(bal("bob"), 9);
	CHECK_EQ(bal("up"), -33);
}

static void test_refusals(void)
{
	static const struct peerdef no_bob[] = {
		{ 0, "alice", ILP_REL_CHILD, NOLIM },
		{ 2, "up", ILP_REL_PARENT, NOLIM },
	};
	static const struct peerdef no_up[] = {
		{ 0, "alice", ILP_REL_CHILD, NOLIM },
		{ 1, "bob", ILP_REL_PEER, NOLIM },
	};
	uint32_t first;

	/* Another node address. */
	fresh();
	pay("alice", "test.bob.x", 10);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	memcpy(area2, area, sizeof(area));
	expect_refusal("test.other", three, 3, "belongs to node \"test.conn\", this is \"test.other\"");
	CHECK(memcmp(area2, area, sizeof(area)) == 0);   /* a refusal writes nothing */

	/* A peer with a balance missing from the configuration. */
	expect_refusal(ADDR, no_bob, 2, "peer bob has balance -10");
	CHECK(memcmp(area2, area, sizeof(area)) == 0);
	CHECK_EQ(bal("alice"), 0);                       /* ledger untouched */
	/* A zero-balance one is dropped. */
	CHECK_EQ(start(ADDR, no_up, 2, false), 0);
	CHECK_EQ(bal("alice"), 10);

	/* A newer format in both slots. */
	memcpy(area, area2, sizeof(area));
	area[8] = 0;
	area[9] = 99;
	area[JOURNAL_SNAP_BYTES + 8] = 0;
	area[JOURNAL_SNAP_BYTES + 9] = 99;
	expect_refusal(ADDR, three, 3, "newer ilpd (format version 99");
	/* In one slot only (the other valid) still refused. */
	memcpy(area, area2, sizeof(area));
	area[9] = 99;
	expect_refusal(ADDR, three, 3, "format version");

	/* Both slots damaged. */
	memcpy(area, area2, sizeof(area));
	area[40] ^= 1;
	area[JOURNAL_SNAP_BYTES + 40] ^= 1;
	expect_refusal(ADDR, three, 3, "both slots damaged");
	CHECK(strstr(why, "--reset-ledger") != NULL);
	/* Only the ring written (slots zero): not a new area either. */
	memcpy(area, area2, sizeof(area));
	memset(area, 0, JOURNAL_RING_OFFSET);
	expect_refusal(ADDR, three, 3, "both slots damaged");
	/* One slot damaged: the other serves (B, then A). */
	memcpy(area, area2, sizeof(area));
	area[JOURNAL_SNAP_BYTES + 70] ^= 0x10;
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 10);
	area[70] ^= 0x10;
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 10);

	/* Damage inside the durable journal: two commits after a snapshot,
	 * the first record flipped; the second group says it was durable. */
	fresh();
	first = P.pos.ring_pos;
	pay("alice", "test.bob.x", 10);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	pay("alice", "test.bob.x", 10);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	memcpy(area2, area, sizeof(area));
	area[journal_ring_offset(first) + 30] ^= 0x04;
	expect_refusal(ADDR, three, 3, "journal damaged at record");
	/* The last record torn instead: a crash, not damage - the first group. */
	memcpy(area, area2, sizeof(area));
	area[journal_ring_offset(first + 3) + 30] ^= 0x04;
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 10);

	/* Another geometry: a snapshot claiming another ring size. */
	memcpy(area, area2, sizeof(area));
	memset(area + JOURNAL_SNAP_BYTES, 0, JOURNAL_SNAP_BYTES);
	{
		struct journal_image img;
		struct journal_pos pos;

		CHECK_EQ(journal_snapshot_decode(area, JOURNAL_SNAP_BYTES, &img, &pos), JOURNAL_OK);
		pos.ring_records = JOURNAL_RING_RECORDS / 2;
		(void)journal_snapshot_encode(area, &img, &pos);
	}
	expect_refusal(ADDR, three, 3, "journal of");
}

static void test_reset(void)
{
	fresh();
	pay("alice", "test.bob.x", 10);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	/* Reset of a good area: zero, generation goes on. */
	CHECK_EQ(start(ADDR, three, 3, true), 0);
	CHECK_EQ(bal("alice"), 0);
	CHECK_EQ(P.pos.gen, 2);
	pay("alice", "test.bob.x", 4);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 4);
	/* Reset of an area that was refused (both slots damaged). */
	area[40] ^= 1;
	area[JOURNAL_SNAP_BYTES + 40] ^= 1;
	expect_refusal(ADDR, three, 3, "both slots damaged");
	CHECK_EQ(ilpd_persist_load(&P, &sw, false, T0, why, sizeof(why)), -1);
	CHECK_EQ(start(ADDR, three, 3, true), 0);
	CHECK_EQ(bal("alice"), 0);
	pay("alice", "test.bob.x", 6);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK(P.stats.recovered);
	CHECK_EQ(bal("alice"), 6);
	CHECK_EQ(bal("bob"), -6);
	/* Reset over a newer format too. */
	area[9] = 99;
	area[JOURNAL_SNAP_BYTES + 9] = 99;
	expect_refusal(ADDR, three, 3, "newer");
	CHECK_EQ(start(ADDR, three, 3, true), 0);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 0);
}

/* Recovers a copy of the area into a fresh switch; the balance of alice. */
static int64_t recover_copy(void)
{
	static struct ilp_switch save;
	static struct ilpd_persist psave;
	static struct hal_store ssave;
	static struct hal_store_mem msave;
	int64_t b;

	save = sw;
	psave = P;
	ssave = st;
	msave = mem;
	memcpy(area2, area, sizeof(area));
	b = start(ADDR, three, 3, false) == 0 ? bal("alice") : -1;
	memcpy(area, area2, sizeof(area));
	sw = save;
	P = psave;
	st = ssave;
	mem = msave;
	st.ctx = &mem;
	return b;
}

static void test_faults(void)
{
	int kind;

	for (kind = 0; kind < 4; kind++) {
		fresh();
		pay("alice", "test.bob.x", 10);
		CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
		pay("alice", "test.bob.x", 5);
		switch (kind) {
		case 0:
			mem.fail_write = mem.writes + 1;
			break;
		case 1:
			mem.fail_sync = mem.syncs + 1;
			break;
		case 2:
			mem.tear_write = mem.writes + 1;
			mem.tear_bytes = 70;   /* the first record and 6 bytes */
			break;
		default:
			mem.tear_write = mem.writes + 1;
			mem.tear_bytes = 0;
			break;
		}
		CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), -1);
		CHECK(P.stats.failed);
		CHECK_EQ(P.stats.sync_failures, 1);
		CHECK(ilpd_persist_dirty(&P, &sw));
		/* A crash now: the last durable state, or the new one. */
		{
			int64_t b = recover_copy();

			CHECK(b == 10 || b == 15);
			if (kind != 1)
				CHECK_EQ(b, 10);
		}
		pay("alice", "test.bob.x", 1);
		/* The retry fails too (a snapshot now), then succeeds. */
		mem.fail_write = mem.writes + 1;
		CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), -1);
		CHECK_EQ(P.stats.sync_failures, 2);
		{
			int64_t b = recover_copy();

			CHECK(b == 10 || b == 15);
		}
		CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
		CHECK(!P.stats.failed);
		CHECK(!ilpd_persist_dirty(&P, &sw));
		CHECK_EQ(recover_copy(), 16);
		pay("alice", "test.bob.x", 2);
		CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
		CHECK_EQ(start(ADDR, three, 3, false), 0);
		CHECK_EQ(bal("alice"), 18);
		CHECK_EQ(bal("bob"), -18);
	}
	/* A failed snapshot at start-up refuses with the reason. */
	fresh();
	CHECK_EQ(open_mem(), 0);
	setup_sw(ADDR, three, 3);
	mem.fail_sync = mem.syncs + 1;
	CHECK_EQ(ilpd_persist_load(&P, &sw, false, T0, why, sizeof(why)), -1);
	CHECK(strstr(why, "state: cannot write") != NULL);
	CHECK(strstr(why, "injected fault") != NULL);
	/* A read error at open. */
	CHECK_EQ(hal_store_open_mem(&st, &mem, area, sizeof(area)), HAL_STORE_OK);
	mem.fail_read = 1;
	CHECK_EQ(ilpd_persist_open(&P, &st, ILPD_DUR_SYNC, 0, why, sizeof(why)), -1);
	CHECK(strstr(why, "state: cannot read") != NULL);
}

/* Thousands of commits: half-ring snapshots, the ring wraps, and a copy
 * of the area recovers the exact balance at every step checked. */
static void test_ring_wrap(void)
{
	uint32_t i, commits = 3 * JOURNAL_RING_RECORDS / 2;
	int64_t want = 0;
	uint64_t snaps0;

	fresh();
	snaps0 = P.stats.snapshots;
	for (i = 0; i < commits; i++) {
		pay("alice", "test.bob.x", 1 + i % 7);
		want += 1 + i % 7;
		if (i % 3 == 0) {
			pay("bob", "test.up.x", 1);
		}
		CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
		/* the half-ring snapshot is the commit after half a ring */
		CHECK(P.stats.journal_fill < JOURNAL_RING_RECORDS / 2 + ILPD_MAX_PEERS);
		if (i % 997 == 0 || i + 1 == commits)
			CHECK_EQ(recover_copy(), want);
	}
	CHECK(P.stats.records > JOURNAL_RING_RECORDS);   /* wrapped */
	CHECK(P.stats.snapshots - snaps0 + 1 >= P.stats.records / (JOURNAL_RING_RECORDS / 2));
	printf("# ring: %u commits, %llu records, %llu snapshots, %llu bytes written\n",
	       (unsigned)commits, (unsigned long long)P.stats.records,
	       (unsigned long long)P.stats.snapshots,
	       (unsigned long long)P.stats.bytes_written);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), want);
	CHECK_EQ(bal("up"), -(int64_t)((commits + 2) / 3));
}

/* Settlement state (issue 15): an open settlement (settling + key) and the
 * incoming credit keys are journaled with the balance, survive a reopen,
 * snapshots (reload, half-ring rotation) and follow their peer by name. */
static void test_settlement_state(void)
{
	uint8_t dg[SETTLE_DIGEST];
	const struct settle_key_entry *e;
	int a, b;
	uint32_t i;

	settle_init(&ilpd_settle_state);
	fresh();
	a = slot_of("alice");
	b = slot_of("bob");
	CHECK(a >= 0 && b >= 0);
	/* open a settlement to bob: moved out of the balance, with its key */
	CHECK_EQ(ledger_settle(&sw.ledger, (size_t)b, -500), ILP_OK);
	settle_begin(&ilpd_settle_state.peer[b], 500, 500, 0x77);
	/* a credit from alice's side, with its key */
	memset(dg, 0xA5, sizeof(dg));
	CHECK_EQ(ledger_settle(&sw.ledger, (size_t)a, 40), ILP_OK);
	(void)settle_key_add(&ilpd_settle_state, dg, (uint16_t)a, 4000, 11);
	CHECK(ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	CHECK(!ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(P.stats.records, 3);            /* bob, alice, the key */
	/* kill -9 (reopen without a clean stop): all of it is back */
	settle_init(&ilpd_settle_state);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("bob"), 500);
	CHECK_EQ(bal("alice"), -40);
	CHECK_EQ_U64(ilpd_settle_state.peer[b].settling, 500);
	CHECK_EQ_U64(ilpd_settle_state.peer[b].key, 0x77);
	CHECK_EQ_U64(ilpd_settle_state.peer[a].settling, 0);
	e = settle_key_find(&ilpd_settle_state, dg);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_EQ(e->slot, a);
		CHECK_EQ_U64(e->engine_amount, 4000);
		CHECK_EQ(e->scale, 11);
	}
	/* --dump-state shows the open settlement */
	{
		char json[2048];

		CHECK_EQ(open_mem(), 0);
		CHECK(ilpd_persist_dump_json(&P, json, sizeof(json)) > 0);
		CHECK(strstr(json, "\"bob\":{\"balance\":\"500\",\"fulfilled\":0,"
				   "\"settling\":\"500\"}") != NULL);
		CHECK_EQ(start(ADDR, three, 3, false), 0);
	}
	/* the load wrote a snapshot (version 2) and is clean */
	CHECK(!ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(area[JOURNAL_SNAP_BYTES * P.active + 9], 2);
	/* reopened again from that snapshot alone */
	settle_init(&ilpd_settle_state);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ_U64(ilpd_settle_state.peer[b].settling, 500);
	CHECK(settle_key_find(&ilpd_settle_state, dg) != NULL);
	/* across half-ring rotations */
	for (i = 0; i < JOURNAL_RING_RECORDS; i++) {
		pay("alice", "test.up.x", 1);
		CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	}
	settle_init(&ilpd_settle_state);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ_U64(ilpd_settle_state.peer[b].settling, 500);
	CHECK_EQ_U64(ilpd_settle_state.peer[b].key, 0x77);
	CHECK(settle_key_find(&ilpd_settle_state, dg) != NULL);
	/* accepted: closed, journaled, gone after a reopen; keys stay */
	(void)settle_accepted(&ilpd_settle_state.peer[b],
			      &(struct settle_cfg){ true, -1, 0, 9, 9 }, 500, 9, T0);
	CHECK(ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	settle_init(&ilpd_settle_state);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ_U64(ilpd_settle_state.peer[b].settling, 0);
	CHECK(settle_key_find(&ilpd_settle_state, dg) != NULL);
	/* nothing open and no keys: version 1 snapshots, as before */
	settle_init(&ilpd_settle_state);
	fresh();
	CHECK_EQ(area[JOURNAL_SNAP_BYTES * P.active + 9], 1);
	settle_init(&ilpd_settle_state);
}

static void test_off(void)
{
	CHECK_EQ(ilpd_persist_open(&P, NULL, ILPD_DUR_OFF, 0, why, sizeof(why)), 0);
	setup_sw(ADDR, three, 3);
	CHECK_EQ(ilpd_persist_load(&P, &sw, false, T0, why, sizeof(why)), 0);
	pay("alice", "test.bob.x", 1);
	CHECK(!ilpd_persist_dirty(&P, &sw));
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	CHECK_EQ(ilpd_persist_close(&P, &sw, T0), 0);
}

static void test_posix_store(void)
{
	char dir[] = "/tmp/ilpd-persist.XXXXXX", path[128], newp[160];
	struct hal_store a, b;
	uint8_t buf[600];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/state", dir);
	CHECK_EQ(hal_store_open_posix(&a, path, JOURNAL_AREA_SIZE, false), HAL_STORE_NOENT);
	CHECK(strstr(a.why, path) != NULL);
	CHECK_EQ(hal_store_open_posix(&a, path, JOURNAL_AREA_SIZE, true), HAL_STORE_OK);
	CHECK(a.created);
	snprintf(newp, sizeof(newp), "%s.new", path);
	CHECK(access(newp, F_OK) != 0);
	/* flock is per open file description: a second open is refused even
	 * in the same process. */
	CHECK_EQ(hal_store_open_posix(&b, path, JOURNAL_AREA_SIZE, true), HAL_STORE_LOCKED);
	CHECK(strstr(b.why, "locked") != NULL);
	CHECK_EQ(hal_store_read(&a, JOURNAL_AREA_SIZE - 600, buf, 600), HAL_STORE_OK);
	CHECK(buf[0] == 0 && buf[599] == 0);
	CHECK_EQ(hal_store_read(&a, JOURNAL_AREA_SIZE - 599, buf, 600), HAL_STORE_RANGE);
	CHECK_EQ(hal_store_write(&a, JOURNAL_AREA_SIZE, buf, 1), HAL_STORE_RANGE);

	/* The ledger over the file: survives close and reopen. */
	CHECK_EQ(ilpd_persist_open_named(&P, &a, path, ILPD_DUR_SYNC, 0, why, sizeof(why)), 0);
	setup_sw(ADDR, three, 3);
	CHECK_EQ(ilpd_persist_load(&P, &sw, false, T0, why, sizeof(why)), 0);
	pay("alice", "test.bob.x", 77);
	CHECK_EQ(ilpd_persist_commit(&P, &sw, T0), 0);
	CHECK(P.stats.sync_us_sum > 0 || P.stats.syncs == 2);
	hal_store_close(&a);
	CHECK_EQ(hal_store_open_posix(&a, path, JOURNAL_AREA_SIZE, true), HAL_STORE_OK);
	CHECK(!a.created);
	CHECK_EQ(ilpd_persist_open_named(&P, &a, path, ILPD_DUR_SYNC, 0, why, sizeof(why)), 0);
	setup_sw(ADDR, three, 3);
	CHECK_EQ(ilpd_persist_load(&P, &sw, false, T0, why, sizeof(why)), 0);
	CHECK_EQ(bal("alice"), 77);
	CHECK_EQ(ilpd_persist_close(&P, &sw, T0), 0);
	hal_store_close(&a);

	/* Damage names the file. */
	{
		FILE *f = fopen(path, "r+b");

		CHECK(f != NULL);
		if (f != NULL) {
			memset(buf, 0xff, 64);
			CHECK_EQ(fseek(f, 40, SEEK_SET), 0);
			CHECK_EQ(fwrite(buf, 1, 1, f), 1);
			CHECK_EQ(fseek(f, (long)JOURNAL_SNAP_BYTES + 40, SEEK_SET), 0);
			CHECK_EQ(fwrite(buf, 1, 1, f), 1);
			fclose(f);
		}
	}
	CHECK_EQ(hal_store_open_posix(&a, path, JOURNAL_AREA_SIZE, false), HAL_STORE_OK);
	CHECK_EQ(ilpd_persist_open_named(&P, &a, path, ILPD_DUR_SYNC, 0, why, sizeof(why)), -1);
	CHECK(strstr(why, path) != NULL);
	hal_store_close(&a);

	/* Another size: refused, the file untouched. */
	CHECK_EQ(hal_store_open_posix(&a, path, JOURNAL_AREA_SIZE + 512, true), HAL_STORE_SIZE);
	CHECK(strstr(a.why, "bytes") != NULL);
	CHECK_EQ(hal_store_open_posix(&a, path, JOURNAL_AREA_SIZE, false), HAL_STORE_OK);
	hal_store_close(&a);
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(rmdir(dir), 0);
}

static const uint8_t boot_a[16] = { 0xa1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t boot_b[16] = { 0xb2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t boot_unknown[16];

/* A group as the daemon's sync mode commits it: written, synced, then
 * (released) its marker before its output goes. */
static void group(bool released)
{
	CHECK_EQ(ilpd_persist_commit_start(&P, &sw, T0), 1);
	CHECK_EQ(ilpd_persist_commit_finish(&P, &sw, T0, true), 0);
	if (released)
		CHECK_EQ(ilpd_persist_released(&P), 0);
}

/* Release markers: a group written after the last marker of this boot is
 * dropped (kill -9: its output never left); of another boot, kept (power
 * loss: the marker proves nothing); markers never written without a boot
 * id. */
static void test_release_markers(void)
{
	uint64_t rec;

	hal_boot_id_set(boot_a);
	fresh();
	CHECK(P.boot_known);
	CHECK(P.marker_last);                       /* the start-up snapshot's */
	CHECK_EQ(P.stats.records, 1);
	pay("alice", "test.bob.x", 10);
	group(true);
	CHECK_EQ(P.stats.records, 4);               /* alice, bob + marker */
	CHECK_EQ(ilpd_persist_released(&P), 0);     /* once per group */
	CHECK_EQ(P.stats.records, 4);
	pay("alice", "test.bob.x", 5);
	group(false);                               /* killed before its release */
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 10);
	CHECK_EQ(P.rp.dropped_groups, 1);
	CHECK_EQ(P.rp.dropped_records, 2);
	/* The dropped records are overwritten by what follows. */
	pay("alice", "test.bob.x", 7);
	group(true);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 17);
	CHECK_EQ(P.rp.dropped_groups, 0);
	/* Two unreleased groups (a failed release write, say): both dropped. */
	pay("alice", "test.bob.x", 1);
	group(false);
	pay("bob", "test.conn.alice", 2);
	group(false);
	memcpy(area2, area, sizeof(area));
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 17);
	CHECK_EQ(bal("bob"), -17);
	CHECK_EQ(P.rp.dropped_groups, 2);
	CHECK_EQ(P.rp.dropped_records, 4);
	/* The same area after another boot (power loss): every complete group. */
	memcpy(area, area2, sizeof(area));
	hal_boot_id_set(boot_b);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 17 + 1 - 2);
	CHECK_EQ(bal("bob"), -17 - 1 + 2);
	CHECK_EQ(P.rp.dropped_groups, 0);
	/* --dump-state applies the same rule (open only). */
	memcpy(area, area2, sizeof(area));
	hal_boot_id_set(boot_a);
	CHECK_EQ(open_mem(), 0);
	CHECK_EQ(P.rp.dropped_groups, 2);
	CHECK_EQ(P.img.peer[0].balance, 17);
	/* Unknown boot id: no marker is written, every group is kept. */
	hal_boot_id_set(boot_unknown);
	fresh();
	CHECK(!P.boot_known);
	rec = P.stats.records;
	pay("alice", "test.bob.x", 3);
	group(true);
	CHECK_EQ(P.stats.records, rec + 2);
	pay("alice", "test.bob.x", 4);
	group(false);
	CHECK_EQ(start(ADDR, three, 3, false), 0);
	CHECK_EQ(bal("alice"), 7);
	/* Interval mode writes none either. */
	hal_boot_id_set(boot_a);
	memset(area, 0, sizeof(area));
	CHECK_EQ(hal_store_open_mem(&st, &mem, area, sizeof(area)), HAL_STORE_OK);
	CHECK_EQ(ilpd_persist_open(&P, &st, ILPD_DUR_INTERVAL, 100, why, sizeof(why)), 0);
	setup_sw(ADDR, three, 3);
	CHECK_EQ(ilpd_persist_load(&P, &sw, false, T0, why, sizeof(why)), 0);
	CHECK_EQ(P.stats.records, 0);
	CHECK_EQ(ilpd_persist_released(&P), 0);
	CHECK_EQ(P.stats.records, 0);
	hal_boot_id_set(boot_unknown);
}

int main(void)
{
	/* The other tests run as on a board without a boot id (no markers). */
	hal_boot_id_set(boot_unknown);
	TH_RUN(test_sizes);
	TH_RUN(test_new_area);
	TH_RUN(test_commit_and_recover);
	TH_RUN(test_exempt_after_lowered_limit);
	TH_RUN(test_reload_by_name);
	TH_RUN(test_refusals);
	TH_RUN(test_reset);
	TH_RUN(test_faults);
	TH_RUN(test_ring_wrap);
	TH_RUN(test_release_markers);
	TH_RUN(test_settlement_state);
	TH_RUN(test_off);
	TH_RUN(test_posix_store);
	return th_finish();
}
