/*
 * loadgen.c - the preimage scheme, clocks, latency histogram, code table and
 * option helpers shared by `ilpctl send` and `ilpctl sink` (loadgen.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "hal/hal_crypto.h"
#include "loadgen.h"

_Static_assert(sizeof(LG_SCHEME_PREFIX) - 1 == LG_SCHEME_PREFIX_LEN,
	       "scheme prefix length");

/* Prefix and data are hashed from one contiguous buffer (hal_sha256 is
 * one-shot). */
static uint8_t lg_scratch[LG_SCHEME_PREFIX_LEN + LG_DATA_MAX];

void lg_data_fill(uint8_t *data, size_t len, const uint8_t run_id[8], uint64_t seq)
{
	unsigned i;

	memcpy(data, run_id, 8);
	for (i = 0; i < 8; i++)
		data[8 + i] = (uint8_t)(seq >> (56 - 8 * i));
	memset(data + 16, 0, len - 16);
}

void lg_fulfillment(const uint8_t *data, size_t len,
		    uint8_t out[ILP_FULFILLMENT_LEN])
{
	memcpy(lg_scratch, LG_SCHEME_PREFIX, LG_SCHEME_PREFIX_LEN);
	memcpy(lg_scratch + LG_SCHEME_PREFIX_LEN, data, len);
	hal_sha256(lg_scratch, LG_SCHEME_PREFIX_LEN + len, out);
}

bool lg_scheme_match(const uint8_t *data, size_t len,
		     const uint8_t condition[ILP_CONDITION_LEN],
		     uint8_t fulfillment[ILP_FULFILLMENT_LEN])
{
	uint8_t c[ILP_CONDITION_LEN];

	if (len > LG_DATA_MAX)
		return false;
	lg_fulfillment(data, len, fulfillment);
	hal_sha256(fulfillment, ILP_FULFILLMENT_LEN, c);
	return memcmp(c, condition, ILP_CONDITION_LEN) == 0;
}

uint64_t lg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- histogram ----------------------------------------------------------- */

static unsigned lg_msb(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

void lg_hist_add(struct lg_hist *h, uint64_t v)
{
	size_t idx;

	if (v < 2 * LG_HIST_SUB) {
		idx = (size_t)v;
	} else {
		unsigned e = lg_msb(v);   /* >= 7 */
		unsigned sub = (unsigned)(v >> (e - 6)) & (LG_HIST_SUB - 1);

		if (e > 46) {
			e = 46;
			sub = LG_HIST_SUB - 1;
		}
		idx = 2 * LG_HIST_SUB + (size_t)(e - 7) * LG_HIST_SUB + sub;
	}
	h->bucket[idx]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

static uint64_t lg_hist_value(size_t idx)
{
	unsigned e, sub;
	uint64_t width;

	if (idx < 2 * LG_HIST_SUB)
		return idx;
	e = 7 + (unsigned)((idx - 2 * LG_HIST_SUB) / LG_HIST_SUB);
	sub = (unsigned)((idx - 2 * LG_HIST_SUB) % LG_HIST_SUB);
	width = (uint64_t)1 << (e - 6);
	return (LG_HIST_SUB + sub) * width + width / 2;
}

uint64_t lg_hist_quantile(const struct lg_hist *h, double q)
{
	uint64_t rank, seen = 0;
	size_t i;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	for (i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen > rank) {
			uint64_t v = lg_hist_value(i);

			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}

/* ---- codes ---------------------------------------------------------------- */

void lg_codes_add(struct lg_codes *c, const char *name, size_t len, uint64_t k)
{
	size_t i;

	if (len > LG_CODE_NAME_MAX)
		len = LG_CODE_NAME_MAX;
	for (i = 0; i < c->n; i++) {
		if (strlen(c->e[i].name) == len && memcmp(c->e[i].name, name, len) == 0) {
			c->e[i].count += k;
			return;
		}
	}
	if (c->n == LG_CODES_MAX) {
		c->other += k;
		return;
	}
	memcpy(c->e[c->n].name, name, len);
	c->e[c->n].name[len] = '\0';
	c->e[c->n].count = k;
	c->n++;
}

void lg_codes_print(const struct lg_codes *c, FILE *f)
{
	bool done[LG_CODES_MAX] = { false };
	size_t k, i;

	for (k = 0; k < c->n; k++) {
		size_t best = c->n;

		for (i = 0; i < c->n; i++)
			if (!done[i] && (best == c->n ||
					 strcmp(c->e[i].name, c->e[best].name) < 0))
				best = i;
		done[best] = true;
		fprintf(f, " %s=%llu", c->e[best].name,
			(unsigned long long)c->e[best].count);
	}
	if (c->other > 0)
		fprintf(f, " other=%llu", (unsigned long long)c->other);
}

/* ---- options ---------------------------------------------------------------- */

int lg_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ilpctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ilpctl --help'.\n", stderr);
	return -1;
}

int lg_opt_u64(const char *cmd, const char *opt, const char *s, uint64_t min,
	       uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p == '\0')
		return lg_usage(cmd, "%s: expected a number, got ''", opt);
	for (; *p != '\0'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (*p < '0' || *p > '9')
			return lg_usage(cmd, "%s: expected a number, got '%s'", opt, s);
		if (v > (UINT64_MAX - d) / 10)
			return lg_usage(cmd, "%s: '%s' is too large", opt, s);
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return lg_usage(cmd, "%s: '%s' is out of range %llu..%llu", opt, s,
				(unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int lg_opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "ilpctl %s: %s needs a value\nTry 'ilpctl --help'.\n",
			argv[0], name);
		return -1;
	}
	*i += 1;
	*val = argv[*i];
	return 1;
}

static volatile sig_atomic_t lg_sig_flag;

static void lg_on_signal(int sig)
{
	(void)sig;
	lg_sig_flag = 1;
}

void lg_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lg_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

bool lg_signalled(void)
{
	return lg_sig_flag != 0;
}
