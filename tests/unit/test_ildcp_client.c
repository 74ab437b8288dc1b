/*
 * test_ildcp_client.c - the IL-DCP client's state machine
 * (firmware/ildcp_client.h) with a fake clock: request on link-up, adopt,
 * same, refusal after a reconnect, the CHECK mode's mismatch, timeouts with
 * a doubling, capped backoff, giving up after ILDCP_MAX_ATTEMPTS, ids that
 * never look like switch handles, rejects and malformed answers.
 */
#include <stdint.h>
#include <string.h>

#include "ildcp_client.h"
#include "ilp/ildcp.h"
#include "ilp/ilp_packet.h"
#include "th.h"

#define T0 1700000000000LL

static uint8_t buf[256];
static size_t len;
static uint32_t id;
static enum ildcp_result res;

static size_t answer(uint8_t *out, size_t cap, const char *addr, const char *code, uint8_t scale)
{
	struct ildcp_response r;
	size_t n = 0;

	r.client_address = (const uint8_t *)addr;
	r.client_address_len = strlen(addr);
	r.asset_code = (const uint8_t *)code;
	r.asset_code_len = strlen(code);
	r.asset_scale = scale;
	CHECK_EQ(ildcp_response_encode(&r, out, cap, &n), ILP_OK);
	return n;
}

static void test_adopt_then_refuse(void)
{
	struct ildcp_sm s;
	uint8_t a[256];
	size_t n;
	struct ilp_prepare p;

	ildcp_sm_init(&s, ILDCP_MODE_AUTO, 3, NULL);
	CHECK_EQ(ildcp_sm_next(&s), INT64_MAX);
	CHECK_EQ(ildcp_sm_poll(&s, T0, buf, sizeof(buf), &len, &id, &res), 0);
	ildcp_sm_link(&s, T0, true);
	CHECK_EQ(ildcp_sm_next(&s), T0);
	CHECK_EQ(ildcp_sm_poll(&s, T0, buf, sizeof(buf), &len, &id, &res), 1);
	CHECK_EQ(id & 0xFFFFu, 0xFFFFu);
	CHECK_EQ(ilp_prepare_decode(buf, len, &p, NULL), ILP_OK);
	CHECK(ildcp_is_request(&p));
	CHECK_EQ(p.expires_at, T0 + ILDCP_TIMEOUT_MS);
	CHECK(ildcp_sm_owns(&s, 3, id));
	CHECK(!ildcp_sm_owns(&s, 2, id));
	CHECK(!ildcp_sm_owns(&s, 3, id + 1));
	n = answer(a, sizeof(a), "test.up.me", "USD", 2);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 5, a, n), ILDCP_R_ADOPT);
	CHECK(s.have);
	CHECK_EQ(strcmp(s.address, "test.up.me"), 0);
	CHECK_EQ(strcmp(s.asset_code, "USD"), 0);
	CHECK_EQ(s.asset_scale, 2);
	CHECK_EQ(ildcp_sm_next(&s), INT64_MAX);
	CHECK(!ildcp_sm_owns(&s, 3, id));
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 6, a, n), ILDCP_R_NONE);   /* a duplicate */

	/* reconnect: same answer, then a different one (refused, kept) */
	ildcp_sm_link(&s, T0 + 100, false);
	ildcp_sm_link(&s, T0 + 200, true);
	CHECK_EQ(ildcp_sm_poll(&s, T0 + 200, buf, sizeof(buf), &len, &id, &res), 1);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 201, a, n), ILDCP_R_SAME);
	ildcp_sm_link(&s, T0 + 300, true);
	CHECK_EQ(ildcp_sm_poll(&s, T0 + 300, buf, sizeof(buf), &len, &id, &res), 1);
	n = answer(a, sizeof(a), "test.other.me", "USD", 2);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 301, a, n), ILDCP_R_REFUSED);
	CHECK_EQ(strcmp(s.address, "test.up.me"), 0);
	CHECK_EQ(strcmp(s.got, "test.other.me"), 0);
	/* the same address with another asset is refused too */
	ildcp_sm_link(&s, T0 + 400, true);
	CHECK_EQ(ildcp_sm_poll(&s, T0 + 400, buf, sizeof(buf), &len, &id, &res), 1);
	n = answer(a, sizeof(a), "test.up.me", "EUR", 2);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 401, a, n), ILDCP_R_REFUSED);
	CHECK_EQ(strcmp(s.asset_code, "USD"), 0);
}

static void test_check_mode(void)
{
	struct ildcp_sm s;
	uint8_t a[256];
	size_t n;

	ildcp_sm_init(&s, ILDCP_MODE_CHECK, 0, "test.mine");
	CHECK(s.have);
	ildcp_sm_link(&s, T0, true);
	CHECK_EQ(ildcp_sm_poll(&s, T0, buf, sizeof(buf), &len, &id, &res), 1);
	n = answer(a, sizeof(a), "test.theirs", "XRP", 9);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 1, a, n), ILDCP_R_MISMATCH);
	CHECK_EQ(strcmp(s.address, "test.mine"), 0);
	ildcp_sm_link(&s, T0 + 10, true);
	CHECK_EQ(ildcp_sm_poll(&s, T0 + 10, buf, sizeof(buf), &len, &id, &res), 1);
	n = answer(a, sizeof(a), "test.mine", "XRP", 9);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 11, a, n), ILDCP_R_SAME);

	ildcp_sm_init(&s, ILDCP_MODE_OFF, 0, NULL);
	ildcp_sm_link(&s, T0, true);
	CHECK_EQ(ildcp_sm_next(&s), INT64_MAX);
	CHECK_EQ(ildcp_sm_poll(&s, T0, buf, sizeof(buf), &len, &id, &res), 0);
}

static void test_timeouts_backoff_give_up(void)
{
	struct ildcp_sm s;
	int64_t now = T0, want = ILDCP_BACKOFF_MIN_MS;
	unsigned i;

	ildcp_sm_init(&s, ILDCP_MODE_AUTO, 1, NULL);
	ildcp_sm_link(&s, now, true);
	for (i = 1; i <= ILDCP_MAX_ATTEMPTS; i++) {
		CHECK_EQ(ildcp_sm_poll(&s, now, buf, sizeof(buf), &len, &id, &res), 1);
		CHECK_EQ(ildcp_sm_next(&s), now + ILDCP_TIMEOUT_MS);
		/* not yet */
		CHECK_EQ(ildcp_sm_poll(&s, now + ILDCP_TIMEOUT_MS - 1, buf, sizeof(buf), &len, &id,
				       &res), 0);
		CHECK_EQ(res, ILDCP_R_NONE);
		now += ILDCP_TIMEOUT_MS;
		CHECK_EQ(ildcp_sm_poll(&s, now, buf, sizeof(buf), &len, &id, &res), 0);
		if (i == ILDCP_MAX_ATTEMPTS) {
			CHECK_EQ(res, ILDCP_R_GAVE_UP);
			break;
		}
		CHECK_EQ(res, ILDCP_R_FAILED);
		CHECK_EQ(ildcp_sm_next(&s), now + want);
		CHECK_EQ(ildcp_sm_poll(&s, now + want - 1, buf, sizeof(buf), &len, &id, &res), 0);
		now += want;
		want = want * 2 > ILDCP_BACKOFF_MAX_MS ? ILDCP_BACKOFF_MAX_MS : want * 2;
	}
	CHECK_EQ(s.state, ILDCP_ST_GAVE_UP);
	CHECK_EQ(ildcp_sm_next(&s), INT64_MAX);
	CHECK_EQ(s.failures, ILDCP_MAX_ATTEMPTS);
	CHECK_EQ(strcmp(s.why, "timeout"), 0);
	/* a new link-up starts over */
	ildcp_sm_link(&s, now, true);
	CHECK_EQ(ildcp_sm_poll(&s, now, buf, sizeof(buf), &len, &id, &res), 1);
	/* link down while waiting: nothing due, the answer is not ours */
	ildcp_sm_link(&s, now + 1, false);
	CHECK_EQ(ildcp_sm_next(&s), INT64_MAX);
	CHECK(!ildcp_sm_owns(&s, 1, id));
}

static void test_bad_answers(void)
{
	struct ildcp_sm s;
	uint8_t a[256];
	size_t n;
	struct ilp_reject rj;

	ildcp_sm_init(&s, ILDCP_MODE_AUTO, 0, NULL);
	ildcp_sm_link(&s, T0, true);
	CHECK_EQ(ildcp_sm_poll(&s, T0, buf, sizeof(buf), &len, &id, &res), 1);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 1, NULL, 0), ILDCP_R_FAILED);   /* BTP error */
	CHECK_EQ(strcmp(s.why, "BTP error"), 0);
	CHECK_EQ(ildcp_sm_next(&s), T0 + 1 + ILDCP_BACKOFF_MIN_MS);
	CHECK_EQ(ildcp_sm_send_failed(&s, T0 + 2), ILDCP_R_NONE);   /* nothing out */

	CHECK_EQ(ildcp_sm_poll(&s, T0 + 1001, buf, sizeof(buf), &len, &id, &res), 1);
	CHECK_EQ(ildcp_sm_send_failed(&s, T0 + 1001), ILDCP_R_FAILED);
	CHECK_EQ(ildcp_sm_next(&s), T0 + 1001 + 2 * ILDCP_BACKOFF_MIN_MS);

	CHECK_EQ(ildcp_sm_poll(&s, T0 + 5000, buf, sizeof(buf), &len, &id, &res), 1);
	memset(&rj, 0, sizeof(rj));
	rj.code = (const uint8_t *)"F00";
	rj.triggered_by = (const uint8_t *)"test.up";
	rj.triggered_by_len = 7;
	CHECK_EQ(ilp_reject_encode(&rj, a, sizeof(a), &n), ILP_OK);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 5001, a, n), ILDCP_R_FAILED);
	CHECK_EQ(strcmp(s.why, "rejected"), 0);

	CHECK_EQ(ildcp_sm_poll(&s, T0 + 20000, buf, sizeof(buf), &len, &id, &res), 1);
	{
		static const uint8_t zero[32];
		struct ilp_fulfill f = { zero, (const uint8_t *)"\x05junk", 5 };

		CHECK_EQ(ilp_fulfill_encode(&f, a, sizeof(a), &n), ILP_OK);
	}
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 20001, a, n), ILDCP_R_FAILED);
	CHECK_EQ(strcmp(s.why, "malformed answer"), 0);
	CHECK(!s.have);
	CHECK_EQ(s.attempts, 4);
	/* a link-local address is never the node's (review: peer.config was taken) */
	CHECK_EQ(ildcp_sm_poll(&s, T0 + 40000, buf, sizeof(buf), &len, &id, &res), 1);
	n = answer(a, sizeof(a), "peer.config", "USD", 2);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 40001, a, n), ILDCP_R_FAILED);
	CHECK_EQ(strcmp(s.why, "address in the peer. or self. scheme"), 0);
	CHECK(!s.have);
	/* and a good one still works after all that */
	CHECK_EQ(ildcp_sm_poll(&s, T0 + 60000, buf, sizeof(buf), &len, &id, &res), 1);
	n = answer(a, sizeof(a), "test.up.me", "USD", 2);
	CHECK_EQ(ildcp_sm_answer(&s, T0 + 60001, a, n), ILDCP_R_ADOPT);
}

int main(void)
{
	TH_RUN(test_adopt_then_refuse);
	TH_RUN(test_check_mode);
	TH_RUN(test_timeouts_backoff_give_up);
	TH_RUN(test_bad_answers);
	return th_finish();
}
