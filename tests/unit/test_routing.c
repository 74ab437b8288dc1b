/*
 * test_routing.c - the routing table: prefix validation, longest-prefix
 * match on segment boundaries, default route, replace, remove, full table.
 * Sizes follow the board options, so the test runs on every board.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ilp/ilp_config.h"
#include "ilp/routing.h"
#include "th.h"

/* Static: on the host board the table is about 17 KiB. */
static struct ilp_routes t;

static int add(const char *p, uint16_t peer)
{
	return ilp_routes_add(&t, (const uint8_t *)p, strlen(p), peer);
}

static int del(const char *p)
{
	return ilp_routes_remove(&t, (const uint8_t *)p, strlen(p));
}

static uint16_t look(const char *a)
{
	return ilp_routes_lookup(&t, (const uint8_t *)a, strlen(a));
}

static void test_empty(void)
{
	ilp_routes_init(&t);
	CHECK_EQ(t.count, 0);
	CHECK_EQ(t.default_peer, ILP_ROUTE_NONE);
	CHECK_EQ(look("g.a"), ILP_ROUTE_NONE);
	CHECK_EQ(look(""), ILP_ROUTE_NONE);
	CHECK_EQ(ilp_routes_lookup(&t, NULL, 0), ILP_ROUTE_NONE);
}

static void test_segment_boundaries(void)
{
	ilp_routes_init(&t);
	CHECK_EQ(add("g.a", 1), ILP_OK);
	CHECK_EQ(look("g.a"), 1);
	CHECK_EQ(look("g.a.b"), 1);
	CHECK_EQ(look("g.a.b.c"), 1);
	CHECK_EQ(look("g.ab"), ILP_ROUTE_NONE);
	CHECK_EQ(look("g.a-b"), ILP_ROUTE_NONE);
	CHECK_EQ(look("g"), ILP_ROUTE_NONE);
	CHECK_EQ(look("g."), ILP_ROUTE_NONE);
	CHECK_EQ(look("test.a"), ILP_ROUTE_NONE);
	CHECK_EQ(look("g.A"), ILP_ROUTE_NONE); /* case-sensitive */

	CHECK_EQ(add("g.a.b", 2), ILP_OK);
	CHECK_EQ(look("g.a.b"), 2);
	CHECK_EQ(look("g.a.b.c"), 2);
	CHECK_EQ(look("g.a.bc"), 1);
	CHECK_EQ(look("g.a.c"), 1);
	CHECK_EQ(look("g.a"), 1);

	CHECK_EQ(add("g", 3), ILP_OK);
	CHECK_EQ(look("g.x"), 3);
	CHECK_EQ(look("g.ab"), 3);
	CHECK_EQ(look("g"), 3);
	CHECK_EQ(look("g.a.b.c"), 2);
	CHECK_EQ(look("gg.a"), ILP_ROUTE_NONE);
	CHECK_EQ(t.count, 3);
}

/* Longest match does not depend on insertion order. */
static void test_order_independent(void)
{
	ilp_routes_init(&t);
	CHECK_EQ(add("test.x.y.z", 4), ILP_OK);
	CHECK_EQ(add("test", 1), ILP_OK);
	CHECK_EQ(add("test.x.y", 3), ILP_OK);
	CHECK_EQ(add("test.x", 2), ILP_OK);
	CHECK_EQ(look("test.x.y.z.w"), 4);
	CHECK_EQ(look("test.x.y.w"), 3);
	CHECK_EQ(look("test.x.w"), 2);
	CHECK_EQ(look("test.w"), 1);
	CHECK_EQ(look("test1.x"), ILP_ROUTE_NONE);
}

static void test_default_route(void)
{
	ilp_routes_init(&t);
	ilp_routes_set_default(&t, 4);
	CHECK_EQ(look("test.x"), 4);
	CHECK_EQ(look("private.a"), 4);
	CHECK_EQ(add("g.a", 1), ILP_OK);
	CHECK_EQ(look("g.a.z"), 1);
	CHECK_EQ(look("g.b"), 4);
	ilp_routes_set_default(&t, ILP_ROUTE_NONE);
	CHECK_EQ(look("g.b"), ILP_ROUTE_NONE);
	ilp_routes_set_default(&t, 2);
	ilp_routes_set_default(&t, ILPD_MAX_PEERS); /* out of range: clears */
	CHECK_EQ(t.default_peer, ILP_ROUTE_NONE);
	ilp_routes_set_default(&t, ILPD_MAX_PEERS - 1);
	CHECK_EQ(look("g.b"), ILPD_MAX_PEERS - 1);
}

static void test_replace(void)
{
	ilp_routes_init(&t);
	CHECK_EQ(add("g.a", 1), ILP_OK);
	CHECK_EQ(add("g.b", 2), ILP_OK);
	CHECK_EQ(add("g.a", 5), ILP_OK);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(look("g.a.q"), 5);
	CHECK_EQ(look("g.b"), 2);
}

static void test_prefix_validation(void)
{
	static const char *const good[] = {
		"g", "private", "example", "peer", "self", "test", "test1",
		"test2", "test3", "local", "g.a", "g.A-b_c~d", "test.alice.bob",
		"private.x.y", "peer.config"
	};
	static const char *const bad[] = {
		"", "g.", ".g", "g..a", "x.a", "x", "G", "G.a", "gg", "test4",
		"privat", "privates", "g a", "g.a/b", "g.a.", "g.a b", "test.",
		"g.\xc3\xa9", "example."
	};
	size_t i;

	ilp_routes_init(&t);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_EQ(add(good[i], 1), ILP_OK);
		if (add(good[i], 1) != ILP_OK)
			th_fail(__FILE__, __LINE__, "good \"%s\"", good[i]);
	}
	CHECK_EQ(t.count, sizeof(good) / sizeof(good[0]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(add(bad[i], 1), ILP_ERR_INVALID);
		if (add(bad[i], 1) != ILP_ERR_INVALID)
			th_fail(__FILE__, __LINE__, "bad \"%s\"", bad[i]);
	}
	CHECK_EQ(t.count, sizeof(good) / sizeof(good[0]));
	CHECK_EQ(ilp_routes_add(&t, NULL, 0, 1), ILP_ERR_INVALID);
	CHECK_EQ(ilp_routes_add(&t, NULL, 3, 1), ILP_ERR_ARG);
	CHECK_EQ(add("g.z", ILPD_MAX_PEERS), ILP_ERR_ARG);
	CHECK_EQ(add("g.z", ILP_ROUTE_NONE), ILP_ERR_ARG);
	CHECK_EQ(add("g.z", ILPD_MAX_PEERS - 1), ILP_OK);
}

static void test_prefix_length(void)
{
	static char p[ILPD_ROUTE_PREFIX_MAX + 2];
	static char a[ILPD_ROUTE_PREFIX_MAX + 8];

	ilp_routes_init(&t);
	memset(p, 'a', sizeof(p));
	p[0] = 'g';
	p[1] = '.';
	p[ILPD_ROUTE_PREFIX_MAX] = '\0';
	CHECK_EQ(strlen(p), ILPD_ROUTE_PREFIX_MAX);
	CHECK_EQ(add(p, 6), ILP_OK);
	snprintf(a, sizeof(a), "%s.x", p);
	CHECK_EQ(look(a), 6);
	CHECK_EQ(look(p), 6);
	p[ILPD_ROUTE_PREFIX_MAX] = 'a';
	p[ILPD_ROUTE_PREFIX_MAX + 1] = '\0';
	CHECK_EQ(add(p, 7), ILP_ERR_RANGE);
	CHECK_EQ(del(p), ILP_ERR_NOT_FOUND);
	CHECK_EQ(t.count, 1);
	/* An address longer than any prefix still matches a short route. */
	CHECK_EQ(add("g", 5), ILP_OK);
	CHECK_EQ(look(p), 5);
}

static void test_full_table(void)
{
	char name[32];
	unsigned i;

	ilp_routes_init(&t);
	for (i = 0; i < ILPD_MAX_ROUTES; i++) {
		snprintf(name, sizeof(name), "g.r%u", i);
		CHECK_EQ(add(name, (uint16_t)(i % ILPD_MAX_PEERS)), ILP_OK);
	}
	CHECK_EQ(t.count, ILPD_MAX_ROUTES);
	CHECK_EQ(add("g.more", 1), ILP_ERR_FULL);
	CHECK_EQ(look("g.more"), ILP_ROUTE_NONE);
	/* Replacing an existing prefix needs no new slot. */
	CHECK_EQ(add("g.r0", 3), ILP_OK);
	CHECK_EQ(look("g.r0.x"), 3);
	snprintf(name, sizeof(name), "g.r%u", ILPD_MAX_ROUTES - 1);
	CHECK_EQ(look(name), (ILPD_MAX_ROUTES - 1) % ILPD_MAX_PEERS);
	CHECK_EQ(del("g.r1"), ILP_OK);
	CHECK_EQ(add("g.more", 1), ILP_OK);
	CHECK_EQ(look("g.more"), 1);
	CHECK_EQ(look("g.r1"), ILP_ROUTE_NONE);
	CHECK_EQ(add("g.r1", 2), ILP_ERR_FULL);
}

static void test_remove(void)
{
	ilp_routes_init(&t);
	CHECK_EQ(add("g.a", 1), ILP_OK);
	CHECK_EQ(add("g.a.b", 2), ILP_OK);
	CHECK_EQ(add("g.c", 3), ILP_OK);
	CHECK_EQ(del("g.a.b"), ILP_OK);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(look("g.a.b.c"), 1);
	CHECK_EQ(look("g.c"), 3);
	CHECK_EQ(del("g.a.b"), ILP_ERR_NOT_FOUND);
	CHECK_EQ(del("g.a.b.c"), ILP_ERR_NOT_FOUND);
	CHECK_EQ(del("g"), ILP_ERR_NOT_FOUND);
	CHECK_EQ(del(""), ILP_ERR_NOT_FOUND);
	CHECK_EQ(ilp_routes_remove(&t, NULL, 2), ILP_ERR_ARG);
	CHECK_EQ(del("g.a"), ILP_OK);
	CHECK_EQ(del("g.c"), ILP_OK);
	CHECK_EQ(t.count, 0);
	CHECK_EQ(look("g.c"), ILP_ROUTE_NONE);
}

static void test_remove_peer(void)
{
	ilp_routes_init(&t);
	/* Adjacent entries for the same peer, and one at the end. */
	CHECK_EQ(add("g.a", 7), ILP_OK);
	CHECK_EQ(add("g.b", 7), ILP_OK);
	CHECK_EQ(add("g.c", 1), ILP_OK);
	CHECK_EQ(add("g.d", 7), ILP_OK);
	CHECK_EQ(add("g.e", 2), ILP_OK);
	CHECK_EQ(add("g.f", 7), ILP_OK);
	ilp_routes_set_default(&t, 7);
	ilp_routes_remove_peer(&t, 7);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(t.default_peer, ILP_ROUTE_NONE);
	CHECK_EQ(look("g.a"), ILP_ROUTE_NONE);
	CHECK_EQ(look("g.b"), ILP_ROUTE_NONE);
	CHECK_EQ(look("g.d"), ILP_ROUTE_NONE);
	CHECK_EQ(look("g.f"), ILP_ROUTE_NONE);
	CHECK_EQ(look("g.c"), 1);
	CHECK_EQ(look("g.e"), 2);
	/* A default to another peer survives. */
	ilp_routes_set_default(&t, 2);
	ilp_routes_remove_peer(&t, 1);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(t.default_peer, 2);
	CHECK_EQ(look("g.c"), 2);
	ilp_routes_remove_peer(&t, 2);
	CHECK_EQ(t.count, 0);
	CHECK_EQ(look("g.c"), ILP_ROUTE_NONE);
}

/* The run-time report of the compiled options (config_check.c). */
static void test_build_config(void)
{
	struct ilp_build_config c;

	memset(&c, 0, sizeof(c));
	ilp_get_build_config(&c);
	CHECK(c.board != NULL && c.board[0] != '\0');
	CHECK(c.board == NULL || strcmp(c.board, ilp_board_name()) == 0);
#ifdef ILPD_BOARD_NAME
	CHECK(c.board == NULL || strcmp(c.board, ILPD_BOARD_NAME) == 0);
#endif
	CHECK_EQ(c.max_peers, ILPD_MAX_PEERS);
	CHECK_EQ(c.max_routes, ILPD_MAX_ROUTES);
	CHECK_EQ(c.route_prefix_max, ILPD_ROUTE_PREFIX_MAX);
	CHECK_EQ(c.max_pending, ILPD_MAX_PENDING);
	CHECK_EQ(c.peer_name_max, ILPD_PEER_NAME_MAX);
	CHECK_EQ(c.asset_code_max, ILPD_ASSET_CODE_MAX);
	CHECK_EQ(c.address_max, ILPD_ADDRESS_MAX);
	CHECK_EQ(c.ledger_slot_size, 64);
}

int main(void)
{
	TH_RUN(test_empty);
	TH_RUN(test_segment_boundaries);
	TH_RUN(test_order_independent);
	TH_RUN(test_default_route);
	TH_RUN(test_replace);
	TH_RUN(test_prefix_validation);
	TH_RUN(test_prefix_length);
	TH_RUN(test_full_table);
	TH_RUN(test_remove);
	TH_RUN(test_remove_peer);
	TH_RUN(test_build_config);
	return th_finish();
}
