/*
 * test_handle_packet.c - the /handle-packet contract engine: base64 and
 * base64url against RFC 4648's vectors and strictness, the request body
 * from a Prepare, every reply shape (accept with and without data, reject
 * with each code, malformed JSON, wrong types, oversized data).
 */
#include <stdio.h>
#include <string.h>

#include "net/base64.h"
#include "net/handle_packet.h"
#include "th.h"

static struct hp_work work;
static uint8_t rbuf[HP_REPLY_MAX + 64];
static char body[HP_BODY_MAX];

static int parse(const char *s, struct hp_reply *r)
{
	size_t n = strlen(s);

	memcpy(rbuf, s, n);
	return hp_parse_reply(&work, rbuf, n, r);
}

/* The data string of an accept: base64 decoded strictly (net/base64.h). */
static void t_data_base64(void)
{
	static const char *bad[] = {
		"Zg=", "Zg===", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\\n",
		"=Zm9", "Zg==Zg==", "Zm=v", "====", "Z", "Zm-/",
	};
	static const char *good[] = { "Zm9v", "Zg==", "Zg", "-_-_" };
	char json[128];
	struct hp_reply r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"accept\":true,\"data\":\"%s\"}", bad[i]);
		if (parse(json, &r) != ILP_ERR_INVALID || r.kind != HP_ERROR)
			th_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(json, sizeof(json), "{\"accept\":true,\"data\":\"%s\"}", good[i]);
		if (parse(json, &r) != ILP_OK || r.kind != HP_ACCEPT)
			th_fail(__FILE__, __LINE__, "refused \"%s\"", good[i]);
	}
	CHECK_EQ(parse("{\"accept\":true,\"data\":\"-_-_\"}", &r), ILP_OK);
	CHECK_EQ(r.data_len, 3);
	CHECK_MEM(r.data, "\xfb\xff\xbf", 3);
}

static void t_body(void)
{
	static const uint8_t id[16] = { 0xfb, 0xff, 0xbf, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0xfe };
	const char *dest = "g.alice.bob";
	struct ilp_prepare p;
	size_t len = 0;
	const char *want =
		"{\"paymentId\":\"-_-_AAECAwQFBgcICQoL_g\",\"destination\":\"g.alice.bob\","
		"\"amount\":\"18446744073709551615\",\"expiresAt\":\"2026-12-07T09:05:03.007Z\","
		"\"data\":\"aGVsbG8=\",\"isTransit\":false}";

	memset(&p, 0, sizeof(p));
	p.amount = UINT64_MAX;
	p.expires_at = 1796634303007LL; /* 2026-12-07T09:05:03.007Z */
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	p.data = (const uint8_t *)"hello";
	p.data_len = 5;
	CHECK_EQ(hp_build_body(&p, id, false, body, sizeof(body), &len), ILP_OK);
	CHECK_EQ(len, strlen(want));
	CHECK_MEM(body, want, strlen(want));
	/* No data, transit, amount 0. */
	p.amount = 0;
	p.data_len = 0;
	CHECK_EQ(hp_build_body(&p, id, true, body, sizeof(body), &len), ILP_OK);
	body[len] = '\0';
	CHECK(strstr(body, "\"amount\":\"0\"") != NULL);
	CHECK(strstr(body, "\"data\":\"\",\"isTransit\":true}") != NULL);
	/* Exactly fits, one byte short. */
	CHECK_EQ(hp_build_body(&p, id, true, body, len, &len), ILP_OK);
	CHECK_EQ(hp_build_body(&p, id, true, body, len - 1, &len), ILP_ERR_OVERFLOW);
	/* A destination that would need escaping, an expiry out of range. */
	p.destination = (const uint8_t *)"g.a\"b";
	p.destination_len = 5;
	CHECK_EQ(hp_build_body(&p, id, false, body, sizeof(body), &len), ILP_ERR_INVALID);
	p.destination = (const uint8_t *)dest;
	p.destination_len = strlen(dest);
	p.expires_at = -62167219200001LL;
	CHECK_EQ(hp_build_body(&p, id, false, body, sizeof(body), &len), ILP_ERR_RANGE);
}

static void t_body_max(void)
{
	static uint8_t data[ILP_DATA_MAX_LEN];
	static uint8_t dest[ILP_ADDRESS_MAX_LEN];
	static const uint8_t id[16] = { 1 };
	struct ilp_prepare p;
	size_t len = 0;

	memset(data, 0xff, sizeof(data));
	memset(dest, 'a', sizeof(dest));
	memcpy(dest, "g.", 2);
	memset(&p, 0, sizeof(p));
	p.amount = UINT64_MAX;
	p.expires_at = 253402300799999LL; /* 9999-12-31T23:59:59.999Z */
	p.destination = dest;
	p.destination_len = sizeof(dest);
	p.data = data;
	p.data_len = sizeof(data);
	CHECK_EQ(hp_build_body(&p, id, true, body, sizeof(body), &len), ILP_OK);
	CHECK(len <= HP_BODY_MAX);
	body[len - 1] = '\0';
	CHECK(strstr(body, "\"expiresAt\":\"9999-12-31T23:59:59.999Z\"") != NULL);
}

static void t_accept(void)
{
	struct hp_reply r;

	CHECK_EQ(parse("{\"accept\": true, \"data\": \"aGVsbG8=\"}", &r), ILP_OK);
	CHECK_EQ(r.kind, HP_ACCEPT);
	CHECK_EQ(r.data_len, 5);
	CHECK_MEM(r.data, "hello", 5);
	CHECK_EQ(parse("{\"accept\":true}", &r), ILP_OK);
	CHECK_EQ(r.kind, HP_ACCEPT);
	CHECK_EQ(r.data_len, 0);
	CHECK_EQ(parse("{\"accept\":true,\"data\":\"\"}", &r), ILP_OK);
	CHECK_EQ(r.data_len, 0);
	CHECK_EQ(parse("{\"data\":null,\"accept\":true,\"extra\":{\"x\":[1,2]}}", &r), ILP_OK);
	CHECK_EQ(r.kind, HP_ACCEPT);
	/* JSON escapes inside the base64 string are decoded first. */
	CHECK_EQ(parse("{\"accept\":true,\"data\":\"aGVs\\u0062G8=\"}", &r), ILP_OK);
	CHECK_EQ(r.data_len, 5);
	CHECK_MEM(r.data, "hello", 5);
	CHECK_EQ(parse("{\"accept\":true,\"data\":\"aGVsbG8\\u003d\"}", &r), ILP_OK);
	CHECK_EQ(r.data_len, 5);
}

static void t_reject_codes(void)
{
	static const struct { const char *reason, *code; } v[] = {
		{ "insufficient_funds", "T04" }, { "expired", "R00" },
		{ "invalid_request", "F00" }, { "invalid_amount", "F03" },
		{ "unexpected_payment", "F06" }, { "application_error", "F99" },
		{ "internal_error", "T00" }, { "timeout", "T00" },
		{ "something_else", "F99" }, { "", "F99" }, { "EXPIRED", "F99" },
		{ "expired ", "F99" },
	};
	char json[256];
	struct hp_reply r;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(json, sizeof(json),
			 "{\"accept\":false,\"rejectReason\":{\"code\":\"%s\",\"message\":\"no %zu\"}}",
			 v[i].reason, i);
		CHECK_EQ(parse(json, &r), ILP_OK);
		CHECK_EQ(r.kind, HP_REJECT);
		if (strcmp(r.code, v[i].code) != 0)
			th_fail(__FILE__, __LINE__, "%s -> %s, want %s", v[i].reason, r.code, v[i].code);
		CHECK_EQ(r.reason_len, strlen(v[i].reason));
		CHECK(r.message_len >= 4 && memcmp(r.message, "no ", 3) == 0);
	}
	CHECK_EQ(parse("{\"accept\":false,\"rejectReason\":{\"code\":\"expired\"}}", &r), ILP_OK);
	CHECK_EQ(r.kind, HP_REJECT);
	CHECK_EQ(r.message_len, 0);
	CHECK(strcmp(r.code, "R00") == 0);
}

static void t_errors(void)
{
	static const char *bad[] = {
		"",
		"garbage",
		"[true]",
		"{\"accept\":true",
		"{}",
		"{\"accept\":\"true\"}",
		"{\"accept\":1}",
		"{\"accept\":null}",
		"{\"accept\":true,\"data\":5}",
		"{\"accept\":true,\"data\":[]}",
		"{\"accept\":true,\"data\":\"!!!!\"}",
		"{\"accept\":true,\"data\":\"aGVsbG9=\"}",
		"{\"accept\":false}",
		"{\"accept\":false,\"rejectReason\":\"expired\"}",
		"{\"accept\":false,\"rejectReason\":{}}",
		"{\"accept\":false,\"rejectReason\":{\"code\":7}}",
		"{\"accept\":false,\"rejectReason\":{\"code\":\"expired\",\"message\":{}}}",
		"{\"accept\":true,\"accept\":false}",
	};
	struct hp_reply r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &r) != ILP_ERR_INVALID || r.kind != HP_ERROR ||
		    strcmp(r.code, "T00") != 0 || r.why == NULL)
			th_fail(__FILE__, __LINE__, "not an error: %s", bad[i]);
	}
}

static void t_sizes(void)
{
	static uint8_t raw[HP_DATA_MAX + 1];
	struct hp_reply r;
	size_t n, b;

	memset(raw, 0xa5, sizeof(raw));
	/* The largest data. */
	n = (size_t)snprintf((char *)rbuf, sizeof(rbuf), "{\"accept\":true,\"data\":\"");
	CHECK_EQ(b64_encode(raw, HP_DATA_MAX, (char *)rbuf + n, sizeof(rbuf) - n, &b), ILP_OK);
	n += b;
	memcpy(rbuf + n, "\"}", 2);
	n += 2;
	CHECK_EQ(hp_parse_reply(&work, rbuf, n, &r), ILP_OK);
	CHECK_EQ(r.kind, HP_ACCEPT);
	CHECK_EQ(r.data_len, HP_DATA_MAX);
	CHECK_MEM(r.data, raw, HP_DATA_MAX);
	/* One byte more. */
	n = (size_t)snprintf((char *)rbuf, sizeof(rbuf), "{\"accept\":true,\"data\":\"");
	CHECK_EQ(b64_encode(raw, HP_DATA_MAX + 1, (char *)rbuf + n, sizeof(rbuf) - n, &b), ILP_OK);
	n += b;
	memcpy(rbuf + n, "\"}", 2);
	n += 2;
	CHECK_EQ(hp_parse_reply(&work, rbuf, n, &r), ILP_ERR_INVALID);
	CHECK_EQ(r.kind, HP_ERROR);
	/* A reply longer than HP_REPLY_MAX is refused unparsed. */
	memset(rbuf, ' ', sizeof(rbuf));
	memcpy(rbuf, "{\"accept\":true}", 15);
	CHECK_EQ(hp_parse_reply(&work, rbuf, HP_REPLY_MAX + 1, &r), ILP_ERR_INVALID);
	CHECK_EQ(hp_parse_reply(&work, rbuf, HP_REPLY_MAX, &r), ILP_OK);
	/* More values than the node table holds. */
	n = (size_t)snprintf((char *)rbuf, sizeof(rbuf), "{\"accept\":true,\"x\":[");
	for (b = 0; b < HP_JSON_NODES; b++)
		n += (size_t)snprintf((char *)rbuf + n, sizeof(rbuf) - n, "%s1", b ? "," : "");
	n += (size_t)snprintf((char *)rbuf + n, sizeof(rbuf) - n, "]}");
	CHECK_EQ(hp_parse_reply(&work, rbuf, n, &r), ILP_ERR_INVALID);
	CHECK(r.why != NULL && strcmp(r.why, "reply has more than 512 JSON values") == 0);
	/* Too deep is said as such, not as "not a JSON object". */
	n = (size_t)snprintf((char *)rbuf, sizeof(rbuf),
			     "{\"accept\":true,\"x\":[[[[[[1]]]]]]}");
	CHECK_EQ(hp_parse_reply(&work, rbuf, n, &r), ILP_ERR_INVALID);
	CHECK(r.why != NULL && strcmp(r.why, "reply nests containers too deep") == 0);
}

/* Other members are ignored: 300 extra members (an application's own
 * fields) still give the Fulfill; the table holds 512 values in all. */
static void t_many_members(void)
{
	struct hp_reply r;
	size_t n, b;

	n = (size_t)snprintf((char *)rbuf, sizeof(rbuf), "{\"accept\":true");
	for (b = 0; b < 300; b++)
		n += (size_t)snprintf((char *)rbuf + n, sizeof(rbuf) - n, ",\"m%zu\":%zu", b, b);
	n += (size_t)snprintf((char *)rbuf + n, sizeof(rbuf) - n, ",\"data\":\"AQID\"}");
	CHECK_EQ(hp_parse_reply(&work, rbuf, n, &r), ILP_OK);
	CHECK_EQ(r.kind, HP_ACCEPT);
	CHECK_EQ(r.data_len, 3);
	/* 511 values in all (the object and 510 members): still fine. */
	n = (size_t)snprintf((char *)rbuf, sizeof(rbuf), "{\"accept\":false,"
			     "\"rejectReason\":{\"code\":\"expired\"}");
	for (b = 0; b < 511 - 4; b++)
		n += (size_t)snprintf((char *)rbuf + n, sizeof(rbuf) - n, ",\"m%zu\":null", b);
	n += (size_t)snprintf((char *)rbuf + n, sizeof(rbuf) - n, "}");
	CHECK_EQ(hp_parse_reply(&work, rbuf, n, &r), ILP_OK);
	CHECK_EQ(r.kind, HP_REJECT);
	CHECK(memcmp(r.code, "R00", 4) == 0);
	/* One value more than the table: the reason says so. */
	n--;
	n += (size_t)snprintf((char *)rbuf + n, sizeof(rbuf) - n, ",\"y\":1,\"z\":2}");
	CHECK_EQ(hp_parse_reply(&work, rbuf, n, &r), ILP_ERR_INVALID);
	CHECK(r.why != NULL && strcmp(r.why, "reply has more than 512 JSON values") == 0);
}

int main(void)
{
	TH_RUN(t_data_base64);
	TH_RUN(t_body);
	TH_RUN(t_body_max);
	TH_RUN(t_accept);
	TH_RUN(t_reject_codes);
	TH_RUN(t_errors);
	TH_RUN(t_sizes);
	TH_RUN(t_many_members);
	return th_finish();
}
