/*
 * json.h - a small strict JSON parser: `ilpctl encode`'s operator input, and
 * the JSON bodies ilpd's HTTP endpoints and clients read (admin API, local
 * delivery replies, settlement engines). Pure: bytes in, a node table out.
 *
 * Memory: the caller owns the node table (struct jnode is 48 bytes on
 * 64-bit targets, 28 on 32-bit) and sizes it for its largest document;
 * struct jdoc is a few words. No heap. Strings are decoded in place in the
 * caller's buffer, which must stay alive as long as the nodes.
 *
 * Accepted: RFC 8259 JSON whose top level is an object, nested at most
 * JSON_MAX_DEPTH containers deep, with no duplicate key in any object,
 * surrounded by optional whitespace and nothing else. Strings must be valid
 * UTF-8 without raw control characters; \u escapes must pair surrogates.
 * Numbers follow the JSON grammar and are kept as their text; json_uint()
 * then accepts only plain non-negative integers.
 */
#ifndef NET_JSON_H
#define NET_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The default nesting bound (ilpctl's); json_init() takes the caller's. */
#define JSON_MAX_DEPTH 3
#define JSON_NONE UINT32_MAX

enum jtype {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct jnode {
	enum jtype type;
	uint32_t child;        /* first member or element, or JSON_NONE */
	uint32_t next;         /* next sibling, or JSON_NONE */
	uint32_t count;        /* members or elements */
	uint8_t *key;          /* member key (decoded), NULL for elements */
	size_t key_len;
	uint8_t *str;          /* string bytes (decoded) or number/literal text */
	size_t len;
};

struct jdoc {
	struct jnode *nodes;   /* the caller's table */
	uint32_t cap;          /* its size in nodes */
	uint32_t n;            /* nodes used; nodes[0] is the top-level object */
	unsigned max_depth;    /* containers nest at most this deep (>= 1) */
	size_t err_off;        /* byte offset of the error */
	const char *err;       /* static reason, NULL on success */
};

/* Binds d to the caller's node table (cap >= 1) with a nesting bound. */
void json_init(struct jdoc *d, struct jnode *nodes, uint32_t cap,
	       unsigned max_depth);

/* Parses buf[0..len) into d (bound by json_init). Returns 0, or -1 with d->err and d->err_off. */
int json_parse(struct jdoc *d, uint8_t *buf, size_t len);

/* The node at index i (i < d->n), or NULL for JSON_NONE. */
const struct jnode *json_node(const struct jdoc *d, uint32_t i);

/* Reads a number node that is a plain integer in [0, max] into *v.
 * Returns 0, -1 if it is not an integer (sign, fraction or exponent) and
 * -2 if it is out of range. The caller checks n->type first. */
int json_uint(const struct jnode *n, uint64_t max, uint64_t *v);

/* Index of the member `key` of object node obj, or JSON_NONE (also when
 * obj is not an object). Keys compare as decoded bytes. */
uint32_t json_member(const struct jdoc *d, uint32_t obj, const char *key);

/* True if n is a string node whose decoded bytes equal s. */
bool json_str_eq(const struct jnode *n, const char *s);

#endif /* NET_JSON_H */
