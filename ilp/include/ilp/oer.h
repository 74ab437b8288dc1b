/*
 * oer.h - canonical OER primitives as used by ILPv4, BTP 2.0, IL-DCP and CCP.
 *
 * Memory: struct oer_writer is 32 bytes on 64-bit targets (16 on 32-bit); no
 * heap; the writer's buffer is owned by the caller. Thread/ISR: reentrant, no
 * global state.
 *
 * Decoders take a cursor (*p) and the end of the readable bytes. On ILP_OK the
 * cursor is advanced past the item; on any error the cursor is unchanged and
 * the result says why: ILP_ERR_NEED_MORE (the input stops before the item
 * does) or ILP_ERR_INVALID (no continuation could make it valid). Decoding is
 * canonical and strict; see docs/deliberate-differences.md for where this
 * differs from the JavaScript reference codecs.
 *
 * Trust: every byte read here may come from a hostile peer. Nothing asserts
 * on input; every length is checked against `end` before it is used.
 */
#ifndef ILP_OER_H
#define ILP_OER_H

#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"

/* Length of the ILP fixed timestamp "YYYYMMDDHHmmSSfff". */
#define OER_TIME17_LEN 17
/* Length of the GeneralizedTime ilpd writes: "YYYYMMDDHHMMSS.fffZ". */
#define OER_GTIME_LEN 19
/* Most bytes a length determinant can take (0x88 + 8 bytes). */
#define OER_LENGTH_MAX_SIZE 9
/* Milliseconds since 1970-01-01T00:00:00Z of 0000-01-01 and 9999-12-31T23:59:59.999Z. */
#define OER_TIME_MIN_MS (-62167219200000LL)
#define OER_TIME_MAX_MS (253402300799999LL)

/* ---- decoding ---------------------------------------------------------- */

/* Reads a length determinant (short form 0..127, long form 0x81..0x88 with the
 * minimal number of bytes and no leading zero). The value must also fit in
 * size_t. Non-canonical forms are ILP_ERR_INVALID. */
int oer_read_length(const uint8_t **p, const uint8_t *end, size_t *len) ILP_CHECK_RESULT;

/* Reads a VarUInt: a length determinant of 1..8 followed by that many
 * big-endian bytes. Leading zero bytes are accepted (as the reference does). */
int oer_read_varuint(const uint8_t **p, const uint8_t *end, uint64_t *v) ILP_CHECK_RESULT;

/* Fixed-size big-endian unsigned integers. */
int oer_read_u8(const uint8_t **p, const uint8_t *end, uint8_t *v) ILP_CHECK_RESULT;
int oer_read_u16(const uint8_t **p, const uint8_t *end, uint16_t *v) ILP_CHECK_RESULT;
int oer_read_u32(const uint8_t **p, const uint8_t *end, uint32_t *v) ILP_CHECK_RESULT;
int oer_read_u64(const uint8_t **p, const uint8_t *end, uint64_t *v) ILP_CHECK_RESULT;

/* Takes exactly n bytes; *out points into the input (zero copy). */
int oer_read_fixed(const uint8_t **p, const uint8_t *end, size_t n,
		   const uint8_t **out) ILP_CHECK_RESULT;

/* Reads a variable-length octet string; *data points into the input. A
 * declared length beyond `end` is ILP_ERR_NEED_MORE (callers inside an
 * enclosing length-delimited block turn that into ILP_ERR_INVALID). */
int oer_read_var_octets(const uint8_t **p, const uint8_t *end,
			const uint8_t **data, size_t *len) ILP_CHECK_RESULT;

/* ---- timestamps -------------------------------------------------------- */

/* Decodes the 17-digit ILP timestamp strictly: ASCII digits only, month
 * 01-12, day valid for the month (leap years per the Gregorian calendar),
 * hour 00-23, minute and second 00-59, milliseconds 000-999. *ms receives
 * milliseconds since the Unix epoch (negative before 1970). */
int oer_time17_decode(const uint8_t s[OER_TIME17_LEN], int64_t *ms) ILP_CHECK_RESULT;

/* Encodes ms as exactly 17 digits. ILP_ERR_RANGE outside years 0000..9999. */
int oer_time17_encode(int64_t ms, uint8_t out[OER_TIME17_LEN]) ILP_CHECK_RESULT;

/* Decodes a BTP GeneralizedTime "YYYYMMDDHHMMSS[.f{1,3}]Z" with the same
 * range rules as oer_time17_decode. */
int oer_gtime_decode(const uint8_t *s, size_t n, int64_t *ms) ILP_CHECK_RESULT;

/* Encodes ms as "YYYYMMDDHHMMSS.fffZ" (19 bytes, what btp-packet writes). */
int oer_gtime_encode(int64_t ms, uint8_t out[OER_GTIME_LEN]) ILP_CHECK_RESULT;

/* Splits ms into calendar fields (UTC). Returns ILP_ERR_RANGE outside years
 * 0000..9999. Used by the JSON printer for ISO-8601 output. */
struct oer_civil {
	int year, month, day, hour, minute, second, millisecond;
};
int oer_civil_from_ms(int64_t ms, struct oer_civil *c) ILP_CHECK_RESULT;
/* The inverse; ILP_ERR_RANGE on a field out of range (no rollover). */
int oer_ms_from_civil(const struct oer_civil *c, int64_t *ms) ILP_CHECK_RESULT;

/* ---- encoding ---------------------------------------------------------- */

/*
 * A bounded writer with a sticky first error. With buf == NULL it only
 * counts: len grows and nothing is written, which measures an encoding
 * before it is written. A write that would pass cap sets err to
 * ILP_ERR_OVERFLOW and writes nothing; every later write is ignored.
 */
struct oer_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

void oer_writer_init(struct oer_writer *w, uint8_t *buf, size_t cap);
void oer_write_u8(struct oer_writer *w, uint8_t v);
void oer_write_u16(struct oer_writer *w, uint16_t v);
void oer_write_u32(struct oer_writer *w, uint32_t v);
void oer_write_u64(struct oer_writer *w, uint64_t v);
void oer_write_bytes(struct oer_writer *w, const uint8_t *src, size_t n);
/* Shortest-form length determinant. */
void oer_write_length(struct oer_writer *w, size_t len);
/* Length determinant + bytes. */
void oer_write_var_octets(struct oer_writer *w, const uint8_t *src, size_t n);
/* Minimal VarUInt (zero is 01 00). */
void oer_write_varuint(struct oer_writer *w, uint64_t v);
/* Bytes a length determinant for len takes. */
size_t oer_length_size(size_t len);

/* Big-endian helpers for in-place patching. */
void oer_put_be64(uint8_t *dst, uint64_t v);
uint64_t oer_get_be64(const uint8_t *src);
uint32_t oer_get_be32(const uint8_t *src);
void oer_put_be32(uint8_t *dst, uint32_t v);

#endif /* ILP_OER_H */
