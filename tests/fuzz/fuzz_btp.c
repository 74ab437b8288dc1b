/*
 * fuzz_btp.c - libFuzzer target for BTP 2.0 frames (ilp/include/ilp/btp.h).
 *
 * Properties checked (a violation traps):
 *  - btp_frame_measure returns a known code, sizes fit, prefixes NEED_MORE;
 *  - a decoded frame has a known type and measures exactly len bytes; an
 *    UNSUPPORTED frame still reports its type and request id;
 *  - iterating the protocol data yields exactly pd.count entries, inside
 *    the frame, with printable ASCII names; btp_pd_primary, btp_pd_find,
 *    btp_ilp_find and btp_auth_parse agree with the iteration;
 *  - re-encoding a decoded frame (up to FUZZ_BTP_MAX_ENTRIES entries)
 *    succeeds, measure-only agrees, and it decodes to the same fields.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "ilp/btp.h"
#include "ilp/oer.h"

#define FUZZ_BTP_MAX_INPUT 65536
#define FUZZ_BTP_MAX_ENTRIES 64

static struct btp_pd_entry entries[FUZZ_BTP_MAX_ENTRIES];
static uint8_t enc[FUZZ_BTP_MAX_INPUT + 256];

static void check_inside(const uint8_t *buf, size_t len, const uint8_t *f,
			 size_t flen)
{
	FUZZ_CHECK(f != NULL || flen == 0);
	if (flen == 0)
		return;
	FUZZ_CHECK(f >= buf && f <= buf + len && flen <= (size_t)(buf + len - f));
}

static bool name_is(const struct btp_pd_entry *e, const char *name)
{
	size_t n = strlen(name);

	return e->name_len == n && memcmp(e->name, name, n) == 0;
}

static bool same_entry(const struct btp_pd_entry *a, const struct btp_pd_entry *b)
{
	return fuzz_same(a->name, a->name_len, b->name, b->name_len) &&
	       a->content_type == b->content_type &&
	       fuzz_same(a->data, a->data_len, b->data, b->data_len);
}

/* The first entry called name, found by plain iteration. */
static bool find_by_iter(const struct btp_pd *pd, const char *name,
			 struct btp_pd_entry *out)
{
	struct btp_pd_iter it;
	struct btp_pd_entry e;

	btp_pd_iter_init(&it, pd);
	while (btp_pd_next(&it, &e)) {
		if (name_is(&e, name)) {
			*out = e;
			return true;
		}
	}
	return false;
}

static void check_find(const struct btp_pd *pd, const char *name)
{
	struct btp_pd_entry a, b;
	bool fa = btp_pd_find(pd, name, &a);
	bool fb = find_by_iter(pd, name, &b);

	FUZZ_CHECK(fa == fb);
	if (fa)
		FUZZ_CHECK(a.name == b.name && same_entry(&a, &b));
}

/* Walks the protocol data; returns the entry count seen. */
static size_t check_entries(const uint8_t *buf, size_t len, const struct btp_frame *f)
{
	struct btp_pd_iter it;
	struct btp_pd_entry e, prim;
	size_t n = 0, i;

	btp_pd_iter_init(&it, &f->pd);
	while (btp_pd_next(&it, &e)) {
		check_inside(buf, len, e.name, e.name_len);
		check_inside(buf, len, e.data, e.data_len);
		for (i = 0; i < e.name_len; i++)
			FUZZ_CHECK(e.name[i] >= 0x20 && e.name[i] <= 0x7e);
		if (n < FUZZ_BTP_MAX_ENTRIES)
			entries[n] = e;
		if (n == 0) {
			FUZZ_CHECK(btp_pd_primary(&f->pd, &prim));
			FUZZ_CHECK(same_entry(&prim, &e));
		}
		n++;
		FUZZ_CHECK(n <= f->pd.count);
	}
	FUZZ_CHECK(n == f->pd.count);
	if (n == 0)
		FUZZ_CHECK(!btp_pd_primary(&f->pd, &prim));
	return n;
}

static void check_auth_ilp(const struct btp_frame *f)
{
	struct btp_auth a;
	struct btp_pd_entry e, tok, user;
	const uint8_t *ilp = NULL;
	size_t ilp_len = 0;
	const char *why = NULL;

	check_find(&f->pd, BTP_PD_ILP);
	check_find(&f->pd, BTP_PD_AUTH_TOKEN);
	FUZZ_CHECK(btp_ilp_find(f, &ilp, &ilp_len) == find_by_iter(&f->pd, BTP_PD_ILP, &e));
	if (btp_ilp_find(f, &ilp, &ilp_len))
		FUZZ_CHECK(fuzz_same(ilp, ilp_len, e.data, e.data_len));
	if (btp_auth_parse(f, &a, &why) != ILP_OK) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(f->type == BTP_MESSAGE);
	FUZZ_CHECK(btp_pd_primary(&f->pd, &e) && name_is(&e, BTP_PD_AUTH));
	FUZZ_CHECK(find_by_iter(&f->pd, BTP_PD_AUTH_TOKEN, &tok));
	FUZZ_CHECK(fuzz_same(a.token, a.token_len, tok.data, tok.data_len));
	if (find_by_iter(&f->pd, BTP_PD_AUTH_USERNAME, &user))
		FUZZ_CHECK(a.username != NULL &&
			   fuzz_same(a.username, a.username_len, user.data, user.data_len));
	else
		FUZZ_CHECK(a.username == NULL);
}

static void compare_frames(const struct btp_frame *a, const struct btp_frame *b,
			   bool time_known, int64_t ms)
{
	struct btp_pd_iter it;
	struct btp_pd_entry e;
	size_t i = 0;
	int64_t ms2 = 0;

	FUZZ_CHECK(a->type == b->type && a->request_id == b->request_id);
	if (a->type == BTP_TRANSFER)
		FUZZ_CHECK(a->amount == b->amount);
	if (a->type == BTP_ERROR) {
		FUZZ_CHECK(memcmp(a->code, b->code, BTP_CODE_LEN) == 0);
		FUZZ_CHECK(fuzz_same(a->name, a->name_len, b->name, b->name_len));
		FUZZ_CHECK(fuzz_same(a->data, a->data_len, b->data, b->data_len));
		FUZZ_CHECK(btp_error_triggered_at(b, &ms2) == ILP_OK);
		if (time_known)
			FUZZ_CHECK(ms2 == ms);
	}
	FUZZ_CHECK(a->pd.count == b->pd.count);
	btp_pd_iter_init(&it, &b->pd);
	while (btp_pd_next(&it, &e)) {
		FUZZ_CHECK(i < a->pd.count && same_entry(&entries[i], &e));
		i++;
	}
	FUZZ_CHECK(i == a->pd.count);
}

static void check_reencode(const struct btp_frame *f, size_t n)
{
	struct btp_frame_out o;
	struct btp_frame f2;
	size_t mlen = 0, len = 0, sz = 0;
	int64_t ms = 0;
	bool time_known = false;

	if (n > FUZZ_BTP_MAX_ENTRIES)
		return;
	memset(&o, 0, sizeof(o));
	o.type = f->type;
	o.request_id = f->request_id;
	o.amount = f->amount;
	o.code = f->code;
	o.name = f->name;
	o.name_len = f->name_len;
	o.data = f->data;
	o.data_len = f->data_len;
	o.entries = entries;
	o.entry_count = n;
	if (f->type == BTP_ERROR) {
		time_known = btp_error_triggered_at(f, &ms) == ILP_OK;
		if (time_known)
			FUZZ_CHECK(ms >= OER_TIME_MIN_MS && ms <= OER_TIME_MAX_MS);
		o.triggered_at = time_known ? ms : 0;
	}
	FUZZ_CHECK(btp_frame_encode(&o, NULL, 0, &mlen) == ILP_OK);
	FUZZ_CHECK(btp_frame_encode(&o, enc, sizeof(enc), &len) == ILP_OK);
	FUZZ_CHECK(len == mlen && len > 0);
	FUZZ_CHECK(btp_frame_encode(&o, enc, len - 1, &sz) == ILP_ERR_OVERFLOW);
	FUZZ_CHECK(btp_frame_measure(enc, len, &sz) == ILP_OK && sz == len);
	FUZZ_CHECK(btp_frame_decode(enc, len, &f2, NULL) == ILP_OK);
	compare_frames(f, &f2, time_known, ms);
}

static void fuzz_measure(const uint8_t *d, size_t size)
{
	size_t sz = 0, sz2 = 0, n;
	int r = btp_frame_measure(d, size, &sz);

	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_NEED_MORE || r == ILP_ERR_INVALID);
	if (r != ILP_OK)
		return;
	FUZZ_CHECK(sz >= 6 && sz <= size);
	for (n = 0; n < sz && n < 16; n++)
		FUZZ_CHECK(btp_frame_measure(d, n, &sz2) == ILP_ERR_NEED_MORE);
	FUZZ_CHECK(btp_frame_measure(d, sz - 1, &sz2) == ILP_ERR_NEED_MORE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btp_frame f;
	const char *why = NULL;
	size_t sz = 0, n;
	int r;

	if (size > FUZZ_BTP_MAX_INPUT)
		return 0;
	fuzz_measure(data, size);
	memset(&f, 0, sizeof(f));
	r = btp_frame_decode(data, size, &f, &why);
	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_INVALID || r == ILP_ERR_UNSUPPORTED ||
		   r == ILP_ERR_NEED_MORE);
	if (r == ILP_ERR_UNSUPPORTED) {
		FUZZ_CHECK(size >= 5 && f.type == data[0]);
		FUZZ_CHECK(f.request_id == oer_get_be32(data + 1));
		FUZZ_CHECK(f.type != BTP_RESPONSE && f.type != BTP_ERROR &&
			   f.type != BTP_MESSAGE && f.type != BTP_TRANSFER);
	}
	if (r != ILP_OK) {
		FUZZ_CHECK(why != NULL || r == ILP_ERR_UNSUPPORTED);
		return 0;
	}
	FUZZ_CHECK(f.type == BTP_RESPONSE || f.type == BTP_ERROR ||
		   f.type == BTP_MESSAGE || f.type == BTP_TRANSFER);
	FUZZ_CHECK(f.type == data[0] && f.request_id == oer_get_be32(data + 1));
	FUZZ_CHECK(btp_frame_measure(data, size, &sz) == ILP_OK && sz == size);
	if (f.type == BTP_ERROR) {
		check_inside(data, size, f.code, BTP_CODE_LEN);
		check_inside(data, size, f.name, f.name_len);
		check_inside(data, size, f.triggered_at, f.triggered_at_len);
		check_inside(data, size, f.data, f.data_len);
		FUZZ_CHECK(f.data_len <= BTP_ERROR_DATA_MAX);
	}
	n = check_entries(data, size, &f);
	check_auth_ilp(&f);
	check_reencode(&f, n);
	return 0;
}
