/*
 * fuzz_json.c - libFuzzer target for ilpctl's JSON reader
 * (net/json.h), which parses operator input for `ilpctl encode` and the
 * JSON bodies of ilpd's HTTP endpoints and clients.
 *
 * Properties checked (a violation traps):
 *  - json_parse returns 0 or -1; on -1 err is set and err_off <= len;
 *  - on 0: the root is an object; every child/next index is in range and
 *    every node is reached exactly once from the root; counts match the
 *    sibling lists; members have keys, elements do not; no object holds a
 *    key twice; containers nest at most JSON_MAX_DEPTH deep; decoded keys
 *    and strings are valid UTF-8 and lie inside the buffer; number text
 *    follows the JSON grammar; literals are null/true/false;
 *  - json_uint agrees with the number text;
 *  - serialising the tree and parsing that again gives the same tree.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "net/json.h"
#include "net/json_out.h"

#define FUZZ_JSON_MAX_INPUT 16384
#define JSON_MAX_NODES 4608u
#define FUZZ_JSON_OUT_CAP (8 * FUZZ_JSON_MAX_INPUT + 16 * JSON_MAX_NODES)

static uint8_t in1[FUZZ_JSON_MAX_INPUT];
static uint8_t out[FUZZ_JSON_OUT_CAP];
static struct jnode nodes1[JSON_MAX_NODES], nodes2[JSON_MAX_NODES];
static struct jdoc doc1, doc2;
static uint32_t seen;

struct sink {
	uint8_t *buf;
	size_t len;
};

static bool utf8_ok(const uint8_t *s, size_t n)
{
	bool valid = true;
	size_t i = 0;

	while (i < n) {
		i += jutf8_scan(s + i, n - i, &valid);
		if (!valid)
			return false;
	}
	return true;
}

static bool inside(const uint8_t *buf, size_t len, const uint8_t *p, size_t n)
{
	return n == 0 || (p != NULL && p >= buf && p <= buf + len &&
			  n <= (size_t)(buf + len - p));
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else {
		for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
			;
		if (d == 0 || s[i - d] == '0')
			return false;
	}
	if (i < n && s[i] == '.') {
		for (i++, d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
			;
		if (d == 0)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
			;
		if (d == 0)
			return false;
	}
	return i == n;
}

static void check_uint(const struct jnode *nd)
{
	uint64_t v = 0, want = 0;
	bool digits = nd->len > 0, over = false;
	size_t i;
	int r = json_uint(nd, UINT64_MAX, &v);

	for (i = 0; i < nd->len && digits; i++) {
		unsigned c = nd->str[i];

		if (c < '0' || c > '9') {
			digits = false;
		} else {
			if (want > (UINT64_MAX - (c - '0')) / 10)
				over = true;
			want = want * 10 + (c - '0');
		}
	}
	if (digits) {
		FUZZ_CHECK(r == (over ? -2 : 0));
		if (!over) {
			FUZZ_CHECK(v == want);
			FUZZ_CHECK(json_uint(nd, 1000, &v) == (want > 1000 ? -2 : 0));
		}
		return;
	}
	/* Not an integer: -1, or -2 when the digits before the first
	 * non-digit already overflow (the reader stops there). */
	FUZZ_CHECK(r == -1 || (r == -2 && over));
}

static void check_leaf(const uint8_t *buf, size_t len, const struct jnode *nd)
{
	FUZZ_CHECK(nd->child == JSON_NONE && nd->count == 0);
	FUZZ_CHECK(inside(buf, len, nd->str, nd->len));
	switch (nd->type) {
	case JSON_NULL:
		FUZZ_CHECK(nd->len == 4 && memcmp(nd->str, "null", 4) == 0);
		break;
	case JSON_BOOL:
		FUZZ_CHECK((nd->len == 4 && memcmp(nd->str, "true", 4) == 0) ||
			   (nd->len == 5 && memcmp(nd->str, "false", 5) == 0));
		break;
	case JSON_NUMBER:
		FUZZ_CHECK(number_ok(nd->str, nd->len));
		check_uint(nd);
		break;
	case JSON_STRING:
		FUZZ_CHECK(utf8_ok(nd->str, nd->len));
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
	default:
		FUZZ_CHECK(0);
	}
}

static void check_node(const struct jdoc *d, const uint8_t *buf, size_t len,
		       uint32_t idx, int depth)
{
	const struct jnode *nd = json_node(d, idx), *c, *o;
	uint32_t i, j, n = 0;

	FUZZ_CHECK(nd != NULL && ++seen <= d->n);
	if (nd->type != JSON_ARRAY && nd->type != JSON_OBJECT) {
		check_leaf(buf, len, nd);
		return;
	}
	FUZZ_CHECK(depth <= (int)JSON_MAX_DEPTH);
	for (i = nd->child; i != JSON_NONE; i = c->next) {
		c = json_node(d, i);
		FUZZ_CHECK(c != NULL && i > idx && ++n <= nd->count);
		if (nd->type == JSON_ARRAY) {
			FUZZ_CHECK(c->key == NULL && c->key_len == 0);
		} else {
			FUZZ_CHECK(c->key != NULL && inside(buf, len, c->key, c->key_len));
			FUZZ_CHECK(utf8_ok(c->key, c->key_len));
			for (j = nd->child; j != i && nd->count <= 64; j = o->next) {
				o = json_node(d, j);
				FUZZ_CHECK(!fuzz_same(o->key, o->key_len, c->key, c->key_len));
			}
		}
		check_node(d, buf, len, i, depth + 1);
	}
	FUZZ_CHECK(n == nd->count);
}

static void put(struct sink *s, const void *p, size_t n)
{
	FUZZ_CHECK(n <= FUZZ_JSON_OUT_CAP - s->len);
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void put_string(struct sink *s, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	put(s, "\"", 1);
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			put(s, "\\", 1);
			put(s, &p[i], 1);
		} else if (p[i] < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[p[i] >> 4], hex[p[i] & 15] };

			put(s, e, sizeof(e));
		} else {
			put(s, &p[i], 1);
		}
	}
	put(s, "\"", 1);
}

static void serialise(const struct jdoc *d, uint32_t idx, struct sink *s)
{
	const struct jnode *nd = json_node(d, idx);
	uint32_t i;

	if (nd->type == JSON_STRING) {
		put_string(s, nd->str, nd->len);
		return;
	}
	if (nd->type != JSON_ARRAY && nd->type != JSON_OBJECT) {
		put(s, nd->str, nd->len);
		return;
	}
	put(s, nd->type == JSON_OBJECT ? "{" : "[", 1);
	for (i = nd->child; i != JSON_NONE; i = json_node(d, i)->next) {
		if (i != nd->child)
			put(s, ",", 1);
		if (nd->type == JSON_OBJECT) {
			put_string(s, json_node(d, i)->key, json_node(d, i)->key_len);
			put(s, ":", 1);
		}
		serialise(d, i, s);
	}
	put(s, nd->type == JSON_OBJECT ? "}" : "]", 1);
}

static void compare(const struct jdoc *a, uint32_t ia, const struct jdoc *b,
		    uint32_t ib)
{
	const struct jnode *x = json_node(a, ia), *y = json_node(b, ib);

	FUZZ_CHECK(x != NULL && y != NULL);
	FUZZ_CHECK(x->type == y->type && x->count == y->count);
	FUZZ_CHECK(fuzz_same(x->key, x->key_len, y->key, y->key_len));
	if (x->type != JSON_ARRAY && x->type != JSON_OBJECT) {
		FUZZ_CHECK(fuzz_same(x->str, x->len, y->str, y->len));
		return;
	}
	for (ia = x->child, ib = y->child; ia != JSON_NONE;
	     ia = json_node(a, ia)->next, ib = json_node(b, ib)->next) {
		FUZZ_CHECK(ib != JSON_NONE);
		compare(a, ia, b, ib);
	}
	FUZZ_CHECK(ib == JSON_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink s = { out, 0 };

	if (size > FUZZ_JSON_MAX_INPUT)
		return 0;
	memcpy(in1, data, size);
	json_init(&doc1, nodes1, JSON_MAX_NODES, JSON_MAX_DEPTH);
	json_init(&doc2, nodes2, JSON_MAX_NODES, JSON_MAX_DEPTH);
	if (json_parse(&doc1, in1, size) != 0) {
		FUZZ_CHECK(doc1.err != NULL && doc1.err_off <= size);
		return 0;
	}
	FUZZ_CHECK(doc1.err == NULL && doc1.n >= 1 && doc1.n <= JSON_MAX_NODES);
	FUZZ_CHECK(doc1.nodes[0].type == JSON_OBJECT && doc1.nodes[0].key == NULL);
	FUZZ_CHECK(doc1.nodes[0].next == JSON_NONE);
	seen = 0;
	check_node(&doc1, in1, size, 0, 1);
	if (doc1.nodes[0].child != JSON_NONE && doc1.nodes[doc1.nodes[0].child].key != NULL &&
	    memchr(doc1.nodes[doc1.nodes[0].child].key, 0,
		   doc1.nodes[doc1.nodes[0].child].key_len) == NULL) {
		/* json_member finds the first member by its (NUL-free) key. */
		char key[64];
		const struct jnode *m = &doc1.nodes[doc1.nodes[0].child];

		if (m->key_len < sizeof(key)) {
			memcpy(key, m->key, m->key_len);
			key[m->key_len] = 0;
			FUZZ_CHECK(json_member(&doc1, 0, key) == doc1.nodes[0].child);
		}
	}
	FUZZ_CHECK(json_member(&doc1, 0, "\x01never a key\x02") == JSON_NONE ||
		   json_member(&doc1, 0, "\x01never a key\x02") < doc1.n);
	FUZZ_CHECK(seen == doc1.n);
	serialise(&doc1, 0, &s);
	FUZZ_CHECK(json_parse(&doc2, out, s.len) == 0);
	FUZZ_CHECK(doc2.n == doc1.n);
	compare(&doc1, 0, &doc2, 0);
	return 0;
}
