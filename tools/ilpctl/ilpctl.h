/*
 * ilpctl.h - shared declarations of the ilpctl tool: the kinds it knows, the
 * error record every step fills, the buffer limits, and the decode/encode
 * entry points. docs/ilpctl.md is the user-facing contract.
 *
 * Memory: every buffer is a static array owned by main.c and passed down; no
 * heap. The limits below bound one input line and one output line.
 */
#ifndef ILPCTL_H
#define ILPCTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net/json_out.h"

/* Longest input line (hex or JSON), in bytes, without the newline. A hex
 * line can therefore carry up to ILPCTL_LINE_MAX / 2 bytes; a BTP frame
 * carrying the largest ILP packet (about 42 KiB) needs about 84 KiB. */
#define ILPCTL_LINE_MAX (1024u * 1024u)
/* Largest binary encoding produced by encode. */
#define ILPCTL_BYTES_MAX (512u * 1024u)
/* Longest output line. A decode can expand a byte into up to 16 characters
 * (a one-byte protocol data entry); overflow is reported, never truncated. */
#define ILPCTL_OUT_MAX (8u * 1024u * 1024u)
/* Most protocol data entries encode accepts in one BTP frame (decode has no
 * limit other than the line length). */
#define ILPCTL_PD_MAX 1024u

enum ilpctl_kind {
	ILPCTL_AUTO,
	ILPCTL_ILP,
	ILPCTL_PREPARE,
	ILPCTL_FULFILL,
	ILPCTL_REJECT,
	ILPCTL_BTP,
	ILPCTL_ILDCP_REQUEST,
	ILPCTL_ILDCP_RESPONSE,
	ILPCTL_F08,
	ILPCTL_KIND_COUNT
};

/* Why an input was refused. `kind` is the most specific kind known when the
 * error was found ("prepare" once `auto` has dispatched to a Prepare);
 * `why` is one line, "field: reason" where a field is to blame. */
struct ilpctl_err {
	const char *kind;
	char why[240];
};

/* Name of a kind as written on the command line ("ildcp_response"). */
const char *ilpctl_kind_name(enum ilpctl_kind k);
/* Parses a kind name; returns 0 and sets *k, or -1 if unknown. */
int ilpctl_kind_parse(const char *s, enum ilpctl_kind *k);

/* Sets e->kind and formats e->why. Always returns -1. */
int ilpctl_fail(struct ilpctl_err *e, enum ilpctl_kind k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Decodes one line of hex (line[0..len), modified in place) as kind `k` and
 * writes one JSON object to w. Returns 0, or -1 with *e filled. An output
 * overflow of w is reported as an error too. */
int ilpctl_decode(enum ilpctl_kind k, uint8_t *line, size_t len,
		  struct jout *w, struct ilpctl_err *e);

/* Encodes one line of JSON (line[0..len), modified in place) as kind `k`
 * and writes lowercase hex to w. The encoding is decoded again before it is
 * printed, so encode never prints what decode would refuse. Returns 0, or
 * -1 with *e filled. */
int ilpctl_encode(enum ilpctl_kind k, uint8_t *line, size_t len,
		  struct jout *w, struct ilpctl_err *e);

/* Prints the --help text. */
void ilpctl_help(FILE *f);

/* Decodes b[0..n) as kind `k` without printing: 0 if decode would accept
 * it, else -1 with the decoder's reason in *e. */
int ilpctl_verify(enum ilpctl_kind k, const uint8_t *b, size_t n,
		  struct ilpctl_err *e);

#endif /* ILPCTL_H */
