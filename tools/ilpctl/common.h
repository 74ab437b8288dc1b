/*
 * common.h - value formats shared by decode and encode: hex, ISO-8601 times
 * and decimal amounts. Pure functions, no state.
 */
#ifndef ILPCTL_COMMON_H
#define ILPCTL_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
#define ILPCTL_ISO_LEN 24

/* Decodes hex in[0..n) (either case) into out, which may alias in. Returns
 * the byte count, or -1 for an odd length or a non-hex character. */
long ilpctl_unhex(const uint8_t *in, size_t n, uint8_t *out);

/* Formats ms since the epoch as ISO-8601 UTC with milliseconds. Returns 0,
 * or -1 outside years 0000..9999. */
int ilpctl_iso_format(int64_t ms, char out[ILPCTL_ISO_LEN]);
/* Parses exactly "YYYY-MM-DDTHH:MM:SS.mmmZ" with real calendar values.
 * Returns 0, or -1. */
int ilpctl_iso_parse(const uint8_t *s, size_t n, int64_t *ms);

/* Parses a canonical decimal (no sign, no leading zero unless "0") that
 * fits in 64 bits. Returns 0, -1 if malformed, -2 if above 2^64-1. */
int ilpctl_dec_parse(const uint8_t *s, size_t n, uint64_t *v);

#endif /* ILPCTL_COMMON_H */
