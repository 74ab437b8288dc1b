/*
 * settle_req.c - RFC 38 engine -> connector requests: target and quantity
 * (see settle_req.h). A quantity's amount must be a JSON string of digits
 * (RFC 38); a JSON number is refused. Pure; memory: a node table on the
 * stack.
 */
#include "net/settle_req.h"

#include <stdbool.h>
#include <string.h>

#include "ilp/settle.h"
#include "net/json.h"

static bool sr_id_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '~' || c == '-';
}

int settle_req_target(const uint8_t *t, size_t n, int *kind, const uint8_t **id,
		      size_t *id_len, const char **why)
{
	static const char pre[] = "/accounts/";
	size_t p = sizeof(pre) - 1, s;

	if (n < p || memcmp(t, pre, p) != 0) {
		*why = "unknown path";
		return -1;
	}
	for (s = p; s < n && sr_id_char(t[s]); s++)
		;
	if (s == p || s - p > SETTLE_REQ_ID_MAX || s == n || t[s] != '/') {
		*why = "bad account id in path";
		return -1;
	}
	if (n - s == 12 && memcmp(t + s, "/settlements", 12) == 0) {
		*kind = SETTLE_REQ_SETTLEMENT;
	} else if (n - s == 9 && memcmp(t + s, "/messages", 9) == 0) {
		*kind = SETTLE_REQ_MESSAGE;
	} else {
		*why = "unknown path";
		return -1;
	}
	*id = t + p;
	*id_len = s - p;
	return 0;
}

int settle_req_quantity(uint8_t *body, size_t n, uint64_t *amount, uint8_t *scale,
			const char **why)
{
	struct jnode nodes[SETTLE_REQ_NODES];
	struct jdoc doc;
	const struct jnode *a, *s;
	uint64_t v;
	int r;

	json_init(&doc, nodes, SETTLE_REQ_NODES, 2);
	if (json_parse(&doc, body, n) != 0) {
		*why = "body is not a JSON object";
		return -1;
	}
	a = json_node(&doc, json_member(&doc, 0, "amount"));
	s = json_node(&doc, json_member(&doc, 0, "scale"));
	if (a == NULL || s == NULL) {
		*why = "missing amount or scale";
		return -1;
	}
	if (s->type != JSON_NUMBER || json_uint(s, 255, &v) != 0) {
		*why = "scale must be an integer 0..255";
		return -1;
	}
	*scale = (uint8_t)v;
	/* RFC 38 amounts are strings (a JSON number past 2^53 is not exact in
	 * most engines' languages): {"amount": 1} is refused, as its text says */
	r = a->type == JSON_STRING ? settle_parse_amount(a->str, a->len, amount) : -1;
	if (r != 0) {
		*why = "amount must be a string of digits (0..18446744073709551615)";
		return -1;
	}
	return 0;
}
