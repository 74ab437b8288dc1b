/*
 * json_out.h - a bounded JSON writer into a caller-owned buffer.
 *
 * Memory: struct jout is 32 bytes on 64-bit targets; the buffer belongs to
 * the caller. A write that would pass `cap` sets the sticky `overflow` flag
 * and writes nothing more, so a result is either complete or flagged.
 *
 * Separators are implicit: a key or a value written after a complete value
 * gets its comma automatically (the writer looks at the last byte it wrote).
 * The output is byte-identical to Node's JSON.stringify of the same object:
 * strings escape `"` and `\`, the control characters \b \f \n \r \t in their
 * short form and every other byte below 0x20 as \u00xx (lowercase hex); all
 * other characters, DEL and non-ASCII included, are written as UTF-8.
 */
#ifndef NET_JSON_OUT_H
#define NET_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jout {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void jout_init(struct jout *w, char *buf, size_t cap);
/* Appends n bytes as they are (no separator, no escaping). */
void jout_raw(struct jout *w, const char *s, size_t n);

void jout_begin_object(struct jout *w);
void jout_end_object(struct jout *w);
void jout_begin_array(struct jout *w);
void jout_end_array(struct jout *w);
/* Writes "key": (key is a NUL-terminated ASCII literal needing no escapes). */
void jout_key(struct jout *w, const char *key);

/* Writes s[0..n) as a JSON string, decoding it as UTF-8 the way the WHATWG
 * decoder (and so Node's Buffer.toString('utf8')) does: each maximal subpart
 * of an ill-formed sequence becomes one U+FFFD. */
void jout_utf8(struct jout *w, const uint8_t *s, size_t n);
/* Writes p[0..n) as a JSON string of lowercase hex. */
void jout_hex(struct jout *w, const uint8_t *p, size_t n);
/* Writes v as a JSON number. */
void jout_uint(struct jout *w, uint64_t v);
/* Writes v as a JSON string of decimal digits ("107"). */
void jout_uint_string(struct jout *w, uint64_t v);
void jout_null(struct jout *w);

/*
 * Scans one UTF-8 sequence at s[0..n), n >= 1, by the WHATWG rules. Returns
 * the number of bytes it covers (>= 1) and sets *valid. When *valid is false
 * the returned bytes are one maximal subpart of an ill-formed sequence (one
 * U+FFFD); the byte after it starts the next scan.
 */
size_t jutf8_scan(const uint8_t *s, size_t n, bool *valid);

#endif /* NET_JSON_OUT_H */
