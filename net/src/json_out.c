/*
 * json_out.c - bounded JSON writer; see net/json_out.h for the output format.
 */
#include "net/json_out.h"

#include <string.h>

static const char jout_hexdig[] = "0123456789abcdef";

void jout_init(struct jout *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

void jout_raw(struct jout *w, const char *s, size_t n)
{
	if (w->overflow || n == 0)
		return;
	if (n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void jout_byte(struct jout *w, char c)
{
	jout_raw(w, &c, 1);
}

/* A comma is due unless nothing was written yet or the last byte opened a
 * container or ended a key. */
static void jout_sep(struct jout *w)
{
	char last;

	if (w->len == 0 || w->overflow)
		return;
	last = w->buf[w->len - 1];
	if (last != '{' && last != '[' && last != ':')
		jout_byte(w, ',');
}

void jout_begin_object(struct jout *w)
{
	jout_sep(w);
	jout_byte(w, '{');
}

void jout_end_object(struct jout *w)
{
	jout_byte(w, '}');
}

void jout_begin_array(struct jout *w)
{
	jout_sep(w);
	jout_byte(w, '[');
}

void jout_end_array(struct jout *w)
{
	jout_byte(w, ']');
}

void jout_key(struct jout *w, const char *key)
{
	jout_sep(w);
	jout_byte(w, '"');
	jout_raw(w, key, strlen(key));
	jout_raw(w, "\":", 2);
}

size_t jutf8_scan(const uint8_t *s, size_t n, bool *valid)
{
	uint8_t b = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	*valid = true;
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf) {
		need = 1;
	} else if (b >= 0xe0 && b <= 0xef) {
		need = 2;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		need = 3;
		if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
	} else {
		*valid = false;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*valid = false;
			return i;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* Escapes one ASCII byte as JSON.stringify does. */
static void jout_ascii(struct jout *w, uint8_t c)
{
	char esc[6];

	switch (c) {
	case '"': jout_raw(w, "\\\"", 2); return;
	case '\\': jout_raw(w, "\\\\", 2); return;
	case '\b': jout_raw(w, "\\b", 2); return;
	case '\f': jout_raw(w, "\\f", 2); return;
	case '\n': jout_raw(w, "\\n", 2); return;
	case '\r': jout_raw(w, "\\r", 2); return;
	case '\t': jout_raw(w, "\\t", 2); return;
	default: break;
	}
	if (c >= 0x20) {
		jout_byte(w, (char)c);
		return;
	}
	esc[0] = '\\';
	esc[1] = 'u';
	esc[2] = '0';
	esc[3] = '0';
	esc[4] = jout_hexdig[c >> 4];
	esc[5] = jout_hexdig[c & 15];
	jout_raw(w, esc, sizeof(esc));
}

void jout_utf8(struct jout *w, const uint8_t *s, size_t n)
{
	size_t i = 0, k;
	bool valid;

	jout_sep(w);
	jout_byte(w, '"');
	while (i < n && !w->overflow) {
		k = jutf8_scan(s + i, n - i, &valid);
		if (!valid)
			jout_raw(w, "\xef\xbf\xbd", 3);
		else if (k == 1)
			jout_ascii(w, s[i]);
		else
			jout_raw(w, (const char *)(s + i), k);
		i += k;
	}
	jout_byte(w, '"');
}

void jout_hex(struct jout *w, const uint8_t *p, size_t n)
{
	size_t i;

	jout_sep(w);
	jout_byte(w, '"');
	if (!w->overflow && 2 * n > w->cap - w->len)
		w->overflow = true;
	for (i = 0; i < n && !w->overflow; i++) {
		w->buf[w->len++] = jout_hexdig[p[i] >> 4];
		w->buf[w->len++] = jout_hexdig[p[i] & 15];
	}
	jout_byte(w, '"');
}

static void jout_digits(struct jout *w, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0);
	jout_raw(w, tmp + n, sizeof(tmp) - n);
}

void jout_uint(struct jout *w, uint64_t v)
{
	jout_sep(w);
	jout_digits(w, v);
}

void jout_uint_string(struct jout *w, uint64_t v)
{
	jout_sep(w);
	jout_byte(w, '"');
	jout_digits(w, v);
	jout_byte(w, '"');
}

void jout_null(struct jout *w)
{
	jout_sep(w);
	jout_raw(w, "null", 4);
}
