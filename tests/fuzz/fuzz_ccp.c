/*
 * fuzz_ccp.c - libFuzzer target for CCP (ilp/include/ilp/ccp.h).
 *
 * Properties checked (a violation traps; ASan catches any read past the
 * input):
 *  - an accepted route control re-encodes (without features) and decodes
 *    to the same mode, table id and epoch;
 *  - an accepted route update: the iterators yield exactly n_routes routes
 *    (each path exactly n_path entries) and n_withdrawn withdrawals; the
 *    update re-encoded with the writer (props dropped) decodes to the same
 *    header, prefixes, paths, auths and withdrawals, and re-encoding that
 *    is byte-identical;
 *  - the engine fed the input as a route update and as a route control from
 *    a peer never crashes, keeps its learned table within capacity with
 *    valid entries, and every update it then produces for another peer
 *    decodes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "ilp/ccp.h"
#include "ilp/ilp_packet.h"

#define FZ_MAX 65536

static uint8_t enc1[FZ_MAX + 64];
static uint8_t enc2[FZ_MAX + 64];
static struct ccp eng;

static void fuzz_control(const uint8_t *d, size_t size)
{
	struct ccp_control c, b;
	size_t len = 0;

	if (ccp_control_decode(d, size, &c) != ILP_OK)
		return;
	FUZZ_CHECK(ccp_control_encode(&c, enc1, sizeof(enc1), &len) == ILP_OK);
	FUZZ_CHECK(ccp_control_decode(enc1, len, &b) == ILP_OK);
	FUZZ_CHECK(b.mode == c.mode && b.epoch == c.epoch && b.features == 0 &&
		   memcmp(b.table_id, c.table_id, CCP_TABLE_ID_LEN) == 0);
}

/* Writes u again with the writer; 0 if it does not fit (skipped). */
static int reencode(const struct ccp_update *u, uint8_t *out, size_t cap, size_t *len)
{
	struct ccp_writer w;
	struct ccp_route r;
	const uint8_t *pos, *p;
	size_t n;

	if (ccp_update_begin(&w, out, cap, u->table_id, u->current_epoch, u->from_epoch,
			     u->to_epoch, u->hold_down_ms, u->speaker, u->speaker_len) != ILP_OK)
		return 0;
	pos = u->routes;
	while (ccp_next_route(u, &pos, &r) == 1)
		if (ccp_update_route(&w, r.prefix, r.prefix_len, NULL, 0, (uint32_t)r.n_path,
				     r.path, r.path_len, r.auth) != ILP_OK)
			return 0;
	pos = u->withdrawn;
	while (ccp_next_withdrawn(u, &pos, &p, &n) == 1)
		if (ccp_update_withdraw(&w, p, n) != ILP_OK)
			return 0;
	FUZZ_CHECK(ccp_update_end(&w, len) == ILP_OK);
	return 1;
}

static bool same_update(const struct ccp_update *a, const struct ccp_update *b)
{
	struct ccp_route ra, rb;
	const uint8_t *pa = a->routes, *pb = b->routes, *xa, *xb;
	size_t na, nb;

	if (memcmp(a->table_id, b->table_id, CCP_TABLE_ID_LEN) != 0 ||
	    a->current_epoch != b->current_epoch || a->from_epoch != b->from_epoch ||
	    a->to_epoch != b->to_epoch || a->hold_down_ms != b->hold_down_ms ||
	    !fuzz_same(a->speaker, a->speaker_len, b->speaker, b->speaker_len) ||
	    a->n_routes != b->n_routes || a->n_withdrawn != b->n_withdrawn)
		return false;
	while (ccp_next_route(a, &pa, &ra) == 1) {
		if (ccp_next_route(b, &pb, &rb) != 1 ||
		    !fuzz_same(ra.prefix, ra.prefix_len, rb.prefix, rb.prefix_len) ||
		    ra.n_path != rb.n_path || !fuzz_same(ra.path, ra.path_len, rb.path, rb.path_len) ||
		    memcmp(ra.auth, rb.auth, CCP_AUTH_LEN) != 0)
			return false;
	}
	pa = a->withdrawn;
	pb = b->withdrawn;
	while (ccp_next_withdrawn(a, &pa, &xa, &na) == 1)
		if (ccp_next_withdrawn(b, &pb, &xb, &nb) != 1 || !fuzz_same(xa, na, xb, nb))
			return false;
	return true;
}

static void fuzz_update(const uint8_t *d, size_t size)
{
	struct ccp_update u, b, c;
	struct ccp_route r;
	const uint8_t *pos, *pp, *e;
	size_t el, len1 = 0, len2 = 0;
	uint64_t n = 0, k;

	if (ccp_update_decode(d, size, &u) != ILP_OK)
		return;
	pos = u.routes;
	while (ccp_next_route(&u, &pos, &r) == 1) {
		n++;
		pp = r.path;
		k = 0;
		while (ccp_next_path(&r, &pp, &e, &el) == 1)
			k++;
		FUZZ_CHECK(k == r.n_path);
	}
	FUZZ_CHECK(n == u.n_routes && pos == u.routes_end);
	n = 0;
	pos = u.withdrawn;
	while (ccp_next_withdrawn(&u, &pos, &e, &el) == 1)
		n++;
	FUZZ_CHECK(n == u.n_withdrawn && pos == u.withdrawn_end);
	if (u.n_routes > 0xFFFFu || u.n_withdrawn > 0xFFFFu || !reencode(&u, enc1, sizeof(enc1), &len1))
		return;
	FUZZ_CHECK(ccp_update_decode(enc1, len1, &b) == ILP_OK);
	FUZZ_CHECK(same_update(&u, &b));
	FUZZ_CHECK(reencode(&b, enc2, sizeof(enc2), &len2) == 1);
	FUZZ_CHECK(fuzz_same(enc1, len1, enc2, len2));
	FUZZ_CHECK(ccp_update_decode(enc2, len2, &c) == ILP_OK);
}

static void fuzz_engine(const uint8_t *d, size_t size)
{
	static const uint8_t id[CCP_TABLE_ID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	const char *msg = NULL;
	struct ccp_update u;
	size_t len;
	bool upd;
	uint16_t seq, i;
	int rounds;

	ccp_init(&eng, id, 1000, 3000);
	ccp_set_own(&eng, (const uint8_t *)"test.a", 6);
	ccp_peer_set(&eng, 0, ILP_LEARNED_RANK_PEER, true, true);
	ccp_peer_set(&eng, 1, ILP_LEARNED_RANK_PARENT, true, true);
	ccp_link_up(&eng, 0, 1000);
	ccp_link_up(&eng, 1, 1000);
	(void)ccp_handle(&eng, 1000, 0, true, d, size, &msg);
	(void)ccp_handle(&eng, 1000, 0, false, d, size, &msg);
	FUZZ_CHECK(eng.learned.count <= ILPD_MAX_LEARNED_ROUTES);
	for (i = 0; i < eng.learned.count; i++) {
		const struct ilp_learned_route *r = &eng.learned.r[i];

		FUZZ_CHECK(r->peer == 0 && r->prefix_len <= ILPD_ROUTE_PREFIX_MAX &&
			   r->path_len <= ILPD_LEARNED_PATH_MAX);
		FUZZ_CHECK(ilp_address_valid(r->prefix, r->prefix_len));
	}
	/* peer 1 asks for everything; what it gets must decode */
	{
		static const uint8_t sync[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
						0, 0, 0, 0, 1, 0 };

		FUZZ_CHECK(ccp_handle(&eng, 1000, 1, false, sync, sizeof(sync), &msg) == 0);
	}
	for (rounds = 0; rounds < 4; rounds++) {
		while (ccp_poll(&eng, 1000 + rounds * 200, 1, enc1, 8192, &len, &upd, &seq) == 1) {
			if (upd)
				FUZZ_CHECK(ccp_update_decode(enc1, len, &u) == ILP_OK);
			ccp_result(&eng, 1000 + rounds * 200, 1, seq, upd, true);
		}
	}
	(void)ccp_expire(&eng, (int64_t)1 << 40);   /* past any holdDownTime */
	FUZZ_CHECK(eng.learned.count == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX)
		return 0;
	fuzz_control(data, size);
	fuzz_update(data, size);
	fuzz_engine(data, size);
	return 0;
}
