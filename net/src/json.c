/*
 * json.c - strict JSON parser into a caller-owned node table; see net/json.h.
 *
 * IMPLEMENTATION NOTES
 * Recursive descent, bounded by the document's max_depth, so the C stack use is fixed.
 * Strings are unescaped in place: the write position never passes the read
 * position (an escape is never shorter than what it stands for), so the rest
 * of the input is intact when it is parsed. Siblings are linked through
 * `next` because a member's own children are allocated between siblings.
 */
#include "net/json.h"

#include <stdbool.h>
#include <string.h>

#include "net/json_out.h"

struct jparse {
	struct jdoc *d;
	uint8_t *buf;
	size_t len;
	size_t pos;
};

static int jp_fail(struct jparse *ps, const char *why)
{
	if (ps->d->err == NULL) {
		ps->d->err = why;
		ps->d->err_off = ps->pos;
	}
	return -1;
}

static void jp_ws(struct jparse *ps)
{
	while (ps->pos < ps->len) {
		uint8_t c = ps->buf[ps->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		ps->pos++;
	}
}

static int jp_peek(const struct jparse *ps)
{
	return ps->pos < ps->len ? ps->buf[ps->pos] : -1;
}

static int jp_hex4(struct jparse *ps, size_t at, uint32_t *v)
{
	size_t i;

	*v = 0;
	if (ps->len - at < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		uint8_t c = ps->buf[at + i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		*v = (*v << 4) | d;
	}
	return 0;
}

static size_t jp_put_utf8(uint8_t *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* Reads the \u escape at ps->pos (just after the backslash-u), combining a
 * surrogate pair; advances past it. */
static int jp_unicode(struct jparse *ps, uint32_t *cp)
{
	uint32_t lo;

	if (jp_hex4(ps, ps->pos, cp) != 0)
		return jp_fail(ps, "bad \\u escape");
	ps->pos += 4;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return jp_fail(ps, "lone surrogate in \\u escape");
	if (*cp < 0xd800 || *cp > 0xdbff)
		return 0;
	if (ps->len - ps->pos < 6 || ps->buf[ps->pos] != '\\' ||
	    ps->buf[ps->pos + 1] != 'u' || jp_hex4(ps, ps->pos + 2, &lo) != 0 ||
	    lo < 0xdc00 || lo > 0xdfff)
		return jp_fail(ps, "lone surrogate in \\u escape");
	ps->pos += 6;
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

/* Decodes one escape at ps->pos (just after the backslash) into out. */
static int jp_escape(struct jparse *ps, uint8_t *out, size_t *n)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	uint32_t cp;
	int c = jp_peek(ps);

	if (c == 'u') {
		ps->pos++;
		if (jp_unicode(ps, &cp) != 0)
			return -1;
		*n = jp_put_utf8(out, cp);
		return 0;
	}
	hit = c > 0 ? strchr(from, c) : NULL;
	if (hit == NULL)
		return jp_fail(ps, "bad escape in string");
	out[0] = (uint8_t)to[hit - from];
	*n = 1;
	ps->pos++;
	return 0;
}

/* Parses the string at ps->pos (the opening quote) in place. */
static int jp_string(struct jparse *ps, uint8_t **s, size_t *n)
{
	uint8_t tmp[4];
	size_t w, k;
	bool valid;

	ps->pos++;
	w = ps->pos;
	*s = ps->buf + w;
	for (;;) {
		int c = jp_peek(ps);

		if (c < 0)
			return jp_fail(ps, "unterminated string");
		if (c == '"')
			break;
		if (c < 0x20)
			return jp_fail(ps, "control character in string");
		if (c == '\\') {
			ps->pos++;
			if (jp_escape(ps, tmp, &k) != 0)
				return -1;
			memcpy(ps->buf + w, tmp, k);
		} else {
			k = jutf8_scan(ps->buf + ps->pos, ps->len - ps->pos, &valid);
			if (!valid)
				return jp_fail(ps, "invalid UTF-8 in string");
			memmove(ps->buf + w, ps->buf + ps->pos, k);
			ps->pos += k;
		}
		w += k;
	}
	*n = (size_t)(ps->buf + w - *s);
	ps->pos++;
	return 0;
}

static size_t jp_digits(struct jparse *ps)
{
	size_t start = ps->pos;

	while (ps->pos < ps->len && ps->buf[ps->pos] >= '0' && ps->buf[ps->pos] <= '9')
		ps->pos++;
	return ps->pos - start;
}

static int jp_number(struct jparse *ps, struct jnode *nd)
{
	size_t start = ps->pos;

	if (jp_peek(ps) == '-')
		ps->pos++;
	if (jp_peek(ps) == '0')
		ps->pos++;
	else if (jp_digits(ps) == 0)
		return jp_fail(ps, "bad number");
	if (jp_peek(ps) == '.') {
		ps->pos++;
		if (jp_digits(ps) == 0)
			return jp_fail(ps, "bad number");
	}
	if (jp_peek(ps) == 'e' || jp_peek(ps) == 'E') {
		ps->pos++;
		if (jp_peek(ps) == '+' || jp_peek(ps) == '-')
			ps->pos++;
		if (jp_digits(ps) == 0)
			return jp_fail(ps, "bad number");
	}
	nd->type = JSON_NUMBER;
	nd->str = ps->buf + start;
	nd->len = ps->pos - start;
	return 0;
}

static int jp_literal(struct jparse *ps, struct jnode *nd, const char *word,
		      enum jtype t)
{
	size_t n = strlen(word);

	if (ps->len - ps->pos < n || memcmp(ps->buf + ps->pos, word, n) != 0)
		return jp_fail(ps, "unexpected character");
	nd->type = t;
	nd->str = ps->buf + ps->pos;
	nd->len = n;
	ps->pos += n;
	return 0;
}

static int jp_value(struct jparse *ps, int depth, uint32_t *idx);

/* Appends child `c` to container `parent` after `*last`. */
static void jp_link(struct jdoc *d, uint32_t parent, uint32_t *last, uint32_t c)
{
	if (*last == JSON_NONE)
		d->nodes[parent].child = c;
	else
		d->nodes[*last].next = c;
	*last = c;
	d->nodes[parent].count++;
}

static bool jp_key_taken(const struct jdoc *d, uint32_t obj, const uint8_t *k,
			 size_t n)
{
	uint32_t i;

	for (i = d->nodes[obj].child; i != JSON_NONE; i = d->nodes[i].next)
		if (d->nodes[i].key_len == n && memcmp(d->nodes[i].key, k, n) == 0)
			return true;
	return false;
}

static int jp_member(struct jparse *ps, int depth, uint32_t obj, uint32_t *last)
{
	uint8_t *key;
	size_t key_len, key_off;
	uint32_t c;

	jp_ws(ps);
	if (jp_peek(ps) != '"')
		return jp_fail(ps, "expected a key");
	key_off = ps->pos;
	if (jp_string(ps, &key, &key_len) != 0)
		return -1;
	if (jp_key_taken(ps->d, obj, key, key_len)) {
		ps->pos = key_off;
		return jp_fail(ps, "duplicate key");
	}
	jp_ws(ps);
	if (jp_peek(ps) != ':')
		return jp_fail(ps, "expected ':'");
	ps->pos++;
	if (jp_value(ps, depth, &c) != 0)
		return -1;
	ps->d->nodes[c].key = key;
	ps->d->nodes[c].key_len = key_len;
	jp_link(ps->d, obj, last, c);
	return 0;
}

/* Parses an object or array body; ps->pos is at the opening bracket. */
static int jp_container(struct jparse *ps, int depth, uint32_t self, char close)
{
	uint32_t last = JSON_NONE, c;

	ps->pos++;
	jp_ws(ps);
	if (jp_peek(ps) == close) {
		ps->pos++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (jp_member(ps, depth, self, &last) != 0)
				return -1;
		} else {
			if (jp_value(ps, depth, &c) != 0)
				return -1;
			jp_link(ps->d, self, &last, c);
		}
		jp_ws(ps);
		if (jp_peek(ps) == close) {
			ps->pos++;
			return 0;
		}
		if (jp_peek(ps) != ',')
			return jp_fail(ps, close == '}' ? "expected ',' or '}'" :
				       "expected ',' or ']'");
		ps->pos++;
	}
}

static int jp_value(struct jparse *ps, int depth, uint32_t *idx)
{
	struct jnode *nd;
	int c;

	jp_ws(ps);
	if (ps->d->n >= ps->d->cap)
		return jp_fail(ps, "too many values");
	*idx = ps->d->n++;
	nd = &ps->d->nodes[*idx];
	memset(nd, 0, sizeof(*nd));
	nd->child = JSON_NONE;
	nd->next = JSON_NONE;
	c = jp_peek(ps);
	switch (c) {
	case '{':
	case '[':
		if ((unsigned)depth >= ps->d->max_depth)
			return jp_fail(ps, "nested too deep");
		nd->type = c == '{' ? JSON_OBJECT : JSON_ARRAY;
		return jp_container(ps, depth + 1, *idx, c == '{' ? '}' : ']');
	case '"':
		nd->type = JSON_STRING;
		return jp_string(ps, &nd->str, &nd->len);
	case 'n':
		return jp_literal(ps, nd, "null", JSON_NULL);
	case 't':
		return jp_literal(ps, nd, "true", JSON_BOOL);
	case 'f':
		return jp_literal(ps, nd, "false", JSON_BOOL);
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return jp_number(ps, nd);
		return jp_fail(ps, c < 0 ? "unexpected end of input" :
			       "unexpected character");
	}
}

void json_init(struct jdoc *d, struct jnode *nodes, uint32_t cap,
	       unsigned max_depth)
{
	memset(d, 0, sizeof(*d));
	d->nodes = nodes;
	d->cap = cap;
	d->max_depth = max_depth;
}

int json_parse(struct jdoc *d, uint8_t *buf, size_t len)
{
	struct jparse ps = { d, buf, len, 0 };
	uint32_t root;

	d->n = 0;
	d->err = NULL;
	d->err_off = 0;
	jp_ws(&ps);
	if (jp_peek(&ps) != '{')
		return jp_fail(&ps, "expected a JSON object");
	if (jp_value(&ps, 0, &root) != 0)
		return -1;
	jp_ws(&ps);
	if (ps.pos != len)
		return jp_fail(&ps, "trailing characters after the object");
	return 0;
}

const struct jnode *json_node(const struct jdoc *d, uint32_t i)
{
	return i == JSON_NONE || i >= d->n ? NULL : &d->nodes[i];
}

int json_uint(const struct jnode *n, uint64_t max, uint64_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n->len; i++) {
		uint8_t c = n->str[i];

		if (c < '0' || c > '9')
			return -1;
		if (*v > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
			return -2;
		*v = *v * 10 + (uint64_t)(c - '0');
	}
	return *v > max ? -2 : 0;
}

uint32_t json_member(const struct jdoc *d, uint32_t obj, const char *key)
{
	size_t kn = strlen(key);
	uint32_t i;

	if (obj >= d->n || d->nodes[obj].type != JSON_OBJECT)
		return JSON_NONE;
	for (i = d->nodes[obj].child; i != JSON_NONE; i = d->nodes[i].next)
		if (d->nodes[i].key_len == kn && memcmp(d->nodes[i].key, key, kn) == 0)
			return i;
	return JSON_NONE;
}

bool json_str_eq(const struct jnode *n, const char *s)
{
	size_t sn = strlen(s);

	return n != NULL && n->type == JSON_STRING && n->len == sn &&
	       (sn == 0 || memcmp(n->str, s, sn) == 0);
}
