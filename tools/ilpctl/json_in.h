/*
 * json_in.h - a small strict JSON parser for the one-object-per-line input of
 * `ilpctl encode`.
 *
 * Memory: struct jdoc holds a fixed table of JSON_MAX_NODES nodes (about
 * 200 KiB on 64-bit targets; keep it static); no heap. Strings are decoded in
 * place in the caller's buffer, which must stay alive as long as the nodes.
 *
 * Accepted: RFC 8259 JSON whose top level is an object, nested at most
 * JSON_MAX_DEPTH containers deep, with no duplicate key in any object,
 * surrounded by optional whitespace and nothing else. Strings must be valid
 * UTF-8 without raw control characters; \u escapes must pair surrogates.
 * Numbers follow the JSON grammar and are kept as their text; json_uint()
 * then accepts only plain non-negative integers.
 */
#ifndef ILPCTL_JSON_IN_H
#define ILPCTL_JSON_IN_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_NODES 4608u
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
	struct jnode nodes[JSON_MAX_NODES];
	uint32_t n;            /* nodes used; nodes[0] is the top-level object */
	size_t err_off;        /* byte offset of the error */
	const char *err;       /* static reason, NULL on success */
};

/* Parses buf[0..len) into d. Returns 0, or -1 with d->err and d->err_off. */
int json_parse(struct jdoc *d, uint8_t *buf, size_t len);

/* The node at index i (i < d->n), or NULL for JSON_NONE. */
const struct jnode *json_node(const struct jdoc *d, uint32_t i);

/* Reads a number node that is a plain integer in [0, max] into *v.
 * Returns 0, -1 if it is not an integer (sign, fraction or exponent) and
 * -2 if it is out of range. The caller checks n->type first. */
int json_uint(const struct jnode *n, uint64_t max, uint64_t *v);

#endif /* ILPCTL_JSON_IN_H */
