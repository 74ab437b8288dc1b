/*
 * test_settle_req.c - net/settle_req.h: the settlement listener's request
 * targets and quantity bodies (RFC 38 engine -> connector), good and bad.
 */
#include <stdint.h>
#include <string.h>

#include "net/settle_req.h"
#include "th.h"

static int target(const char *t, int *kind, char *id)
{
	const uint8_t *p;
	size_t n;
	const char *why;
	int r = settle_req_target((const uint8_t *)t, strlen(t), kind, &p, &n, &why);

	if (r == 0) {
		memcpy(id, p, n);
		id[n] = '\0';
	}
	return r;
}

static void test_target(void)
{
	int kind = 0;
	char id[80];

	CHECK_EQ(target("/accounts/bob/settlements", &kind, id), 0);
	CHECK_EQ(kind, SETTLE_REQ_SETTLEMENT);
	CHECK(strcmp(id, "bob") == 0);
	CHECK_EQ(target("/accounts/a_b-c~9/messages", &kind, id), 0);
	CHECK_EQ(kind, SETTLE_REQ_MESSAGE);
	CHECK(strcmp(id, "a_b-c~9") == 0);
	CHECK_EQ(target("/accounts/bob/settlements/", &kind, id), -1);
	CHECK_EQ(target("/accounts/bob/settlements?x=1", &kind, id), -1);
	CHECK_EQ(target("/accounts//settlements", &kind, id), -1);
	CHECK_EQ(target("/accounts/b%6fb/settlements", &kind, id), -1);
	CHECK_EQ(target("/accounts/bob", &kind, id), -1);
	CHECK_EQ(target("/accounts/bob/", &kind, id), -1);
	CHECK_EQ(target("/accounts", &kind, id), -1);
	CHECK_EQ(target("/", &kind, id), -1);
	CHECK_EQ(target("", &kind, id), -1);
	CHECK_EQ(target("/accounts/bob/settle", &kind, id), -1);
	CHECK_EQ(target("/accounts/bob/messagesX", &kind, id), -1);
	CHECK_EQ(target("/accounts/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/messages",
			&kind, id), -1);
}

static int qty(const char *body, uint64_t *a, uint8_t *s)
{
	uint8_t buf[256];
	const char *why;
	size_t n = strlen(body);

	memcpy(buf, body, n);
	return settle_req_quantity(buf, n, a, s, &why);
}

static void test_quantity(void)
{
	uint64_t a;
	uint8_t s;

	CHECK_EQ(qty("{\"amount\":\"1000\",\"scale\":9}", &a, &s), 0);
	CHECK_EQ_U64(a, 1000);
	CHECK_EQ(s, 9);
	CHECK_EQ(qty(" {\"scale\":0, \"amount\":\"18446744073709551615\", \"x\":[1]} ", &a, &s), 0);
	CHECK_EQ_U64(a, UINT64_MAX);
	CHECK_EQ(s, 0);
	CHECK_EQ(qty("{\"amount\":\"42\",\"scale\":255}", &a, &s), 0);
	CHECK_EQ_U64(a, 42);
	CHECK_EQ(s, 255);
	/* RFC 38 amounts are strings: a JSON number is refused, with the text */
	CHECK_EQ(qty("{\"amount\":42,\"scale\":2}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":0,\"scale\":2}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"18446744073709551616\",\"scale\":1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"-1\",\"scale\":1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":-1,\"scale\":1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"1.5\",\"scale\":1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":1.5,\"scale\":1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"abc\",\"scale\":1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"\",\"scale\":1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":null,\"scale\":1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"1\",\"scale\":256}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"1\",\"scale\":-1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"1\",\"scale\":\"9\"}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"1\"}", &a, &s), -1);
	CHECK_EQ(qty("{\"scale\":1}", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"1\",\"scale\":1", &a, &s), -1);
	CHECK_EQ(qty("[1]", &a, &s), -1);
	CHECK_EQ(qty("", &a, &s), -1);
	CHECK_EQ(qty("{\"amount\":\"1\",\"amount\":\"2\",\"scale\":1}", &a, &s), -1);
}

int main(void)
{
	TH_RUN(test_target);
	TH_RUN(test_quantity);
	return th_finish();
}
