/*
 * loadgen.h - what `ilpctl send` and `ilpctl sink` share: the preimage
 * scheme, the latency histogram, the table of reject codes, option parsing
 * helpers and the entry points called by main.c. docs/ilpctl.md is the
 * user-facing contract.
 *
 * Preimage scheme "ilpctl-sink-v1" (both tools and any third party that
 * wants to play sender or receiver):
 *
 *   data        = run_id (8 bytes, random per send run)
 *                 || sequence (8 bytes, big-endian, 0 for the first packet)
 *                 || zero padding up to --data-size (default 32, min 16)
 *   fulfillment = SHA-256("ilpctl-sink-v1" || data)   (14 ASCII bytes, no NUL)
 *   condition   = SHA-256(fulfillment)
 *
 * The sink fulfills a Prepare when SHA-256(SHA-256(prefix || data)) equals
 * its condition, whatever the data's length. Every packet's data is unique,
 * so no connector can treat two packets as duplicates.
 *
 * Memory: struct lg_hist is LG_HIST_BUCKETS * 8 bytes (~18 KiB), struct
 * lg_codes about 1 KiB; callers keep them static. No heap.
 */
#ifndef ILPCTL_LOADGEN_H
#define ILPCTL_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ilp/ilp_packet.h"

#define LG_SCHEME_PREFIX "ilpctl-sink-v1"
#define LG_SCHEME_PREFIX_LEN 14
#define LG_DATA_MIN 16u
#define LG_DATA_DEFAULT 32u
#define LG_DATA_MAX 32767u

/* Exit statuses of send and sink (decode/encode use the same 0/1/2). */
enum {
	LG_EXIT_OK = 0,
	LG_EXIT_FAIL = 1,     /* something not fulfilled, refused, or broke */
	LG_EXIT_USAGE = 2
};

/* Entry points: argv[0] is the subcommand name. Return the exit status. */
int ilpctl_send_main(int argc, char **argv);
int ilpctl_sink_main(int argc, char **argv);

/* ---- the preimage scheme ------------------------------------------------ */

/* Writes data[0..len) for packet `seq` of run `run_id` (len >= 16). */
void lg_data_fill(uint8_t *data, size_t len, const uint8_t run_id[8], uint64_t seq);

/* fulfillment = SHA-256(prefix || data[0..len)); len <= LG_DATA_MAX. */
void lg_fulfillment(const uint8_t *data, size_t len,
		    uint8_t out[ILP_FULFILLMENT_LEN]);

/* True if the condition of a Prepare with this data follows the scheme;
 * then *fulfillment holds the preimage. Two SHA-256 computations. */
bool lg_scheme_match(const uint8_t *data, size_t len,
		     const uint8_t condition[ILP_CONDITION_LEN],
		     uint8_t fulfillment[ILP_FULFILLMENT_LEN]);

/* ---- clocks -------------------------------------------------------------- */

/* Monotonic microseconds (CLOCK_MONOTONIC; a vDSO call, no syscall). */
uint64_t lg_now_us(void);

/* ---- latency histogram ----------------------------------------------------
 * Log-linear buckets: exact below 128 us, then 64 buckets per power of two
 * (a reported percentile is within 1/64 = 1.6% of the true value). The
 * maximum is kept exactly. Add is O(1) with no branches on the data size. */
#define LG_HIST_SUB 64u
#define LG_HIST_BUCKETS (2u * LG_HIST_SUB + 40u * LG_HIST_SUB)

struct lg_hist {
	uint64_t count;
	uint64_t max;
	uint64_t bucket[LG_HIST_BUCKETS];
};

void lg_hist_add(struct lg_hist *h, uint64_t v);
/* The value at quantile q (0..1): the midpoint of its bucket, clamped to
 * the maximum. 0 if empty. */
uint64_t lg_hist_quantile(const struct lg_hist *h, double q);

/* ---- result codes --------------------------------------------------------
 * Counts by a short name: ILP codes ("F02"), BTP errors ("btp-F00") and the
 * tool's own ("badfulfill", "badreply", "unanswered"). Names are copied;
 * at most LG_CODES_MAX distinct ones, the rest are counted as "other". */
#define LG_CODES_MAX 48
#define LG_CODE_NAME_MAX 15

struct lg_codes {
	size_t n;
	uint64_t other;
	struct {
		char name[LG_CODE_NAME_MAX + 1];
		uint64_t count;
	} e[LG_CODES_MAX];
};

void lg_codes_add(struct lg_codes *c, const char *name, size_t len, uint64_t k);
/* Writes " NAME=count" for every code, sorted by name, then " other=N". */
void lg_codes_print(const struct lg_codes *c, FILE *f);

/* ---- option parsing ------------------------------------------------------ */

/* Parses a decimal in [min, max]. 0, or -1 (reported as a usage error). */
int lg_opt_u64(const char *cmd, const char *opt, const char *s, uint64_t min,
	       uint64_t max, uint64_t *out);

/* Fetches the value of option argv[*i] ("--x V" or "--x=V") into *val.
 * Returns 1 if argv[*i] is that option (and advances *i past a separate
 * value), 0 if it is another argument, -1 if the value is missing
 * (reported). */
int lg_opt_value(int argc, char **argv, int *i, const char *name, const char **val);

/* Prints "ilpctl CMD: MESSAGE" and the --help hint to stderr; returns -1. */
int lg_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Installs SIGINT/SIGTERM handlers that set a flag, and ignores SIGPIPE. */
void lg_signals_install(void);
bool lg_signalled(void);

#endif /* ILPCTL_LOADGEN_H */
