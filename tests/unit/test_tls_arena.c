/*
 * test_tls_arena.c - the static arena behind the mbedTLS backend
 * (net/tls_arena.h) and what a TLS connection costs in it.
 *
 *  - the allocator alone: zeroing, alignment, overflow, exhaustion,
 *    coalescing, invariants under a random alloc/free mix;
 *  - the link: mbedTLS's own calloc/free reach the arena (--wrap), and a
 *    library that mallocs for itself (Debian's inih) still works: its
 *    free goes through the wrapper to the real free;
 *  - TLS over the engine (client and server in memory): the arena bytes a
 *    connection needs (peak during the handshake, steady while open),
 *    per side; an arena too small at every point of the handshake fails
 *    cleanly with TLS_ERR_INTERNAL; no leak over many handshakes;
 *  - the backend's own IPv4 subjectAltName check.
 *
 * Usage: test_tls_arena PKI_DIR [ROUNDS] (PKI_DIR from make-certs.sh;
 * ROUNDS handshakes for the leak test, default 1000).
 */
#define _XOPEN_SOURCE 700   /* realpath: a libc malloc for the wrap test */
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <mbedtls/bignum.h>
#include <mbedtls/x509_crt.h>

#include "net/tls.h"
#include "net/tls_arena.h"
#include "th.h"

static const char *pki;
static long rounds = 1000;
static struct tls_config ccfg, scfg;
static struct tls_conn cli, srv;
static char err[512];

/* Arena bytes per side: running sum of what each side's calls took, and
 * its peak (every allocation happens inside one side's call). */
static long side_cur[2], side_peak[2];

static size_t in_use(void)
{
	struct tls_arena_stats st;

	tls_arena_stats(&st);
	return st.in_use;
}

/* Runs one engine call for side s, charging its arena delta to s. */
#define SIDE(s, call)                                                        \
	do {                                                                 \
		size_t u_ = in_use();                                        \
		call;                                                        \
		side_cur[s] += (long)in_use() - (long)u_;                    \
		if (side_cur[s] > side_peak[s])                              \
			side_peak[s] = side_cur[s];                          \
	} while (0)

static const char *P(const char *name)
{
	static char bufs[2][512];
	static unsigned k;
	char *b = bufs[k++ % 2];

	snprintf(b, sizeof(bufs[0]), "%s/%s", pki, name);
	return b;
}

/* ---- the allocator --------------------------------------------------- */

static void test_alloc_basics(void)
{
	struct tls_arena_stats a, b;
	uint8_t *p, *q;

	tls_arena_stats(&a);
	CHECK(a.capacity >= ILPD_TLS_ARENA_BYTES - 64);
	p = __wrap_calloc(10, 7);
	q = __wrap_calloc(1, 1000);
	CHECK(p != NULL && q != NULL);
	if (!p || !q)
		return;
	CHECK_EQ((uintptr_t)p % alignof(max_align_t), 0);
	CHECK_EQ((uintptr_t)q % alignof(max_align_t), 0);
	CHECK(p + 70 <= q || q + 1000 <= p);
	for (int i = 0; i < 70; i++)
		CHECK_EQ(p[i], 0);
	memset(p, 0xab, 70);
	memset(q, 0xcd, 1000);
	__wrap_free(p);
	p = __wrap_calloc(70, 1);                 /* reuses the block: zeroed again */
	CHECK(p != NULL);
	for (int i = 0; p && i < 70; i++)
		CHECK_EQ(p[i], 0);
	tls_arena_stats(&b);
	CHECK(b.in_use > a.in_use);
	CHECK_EQ(b.blocks, a.blocks + 2);
	CHECK_EQ(tls_arena_check(), 0);
	__wrap_free(p);
	__wrap_free(q);
	__wrap_free(NULL);
	tls_arena_stats(&b);
	CHECK_EQ(b.in_use, a.in_use);
	CHECK_EQ(b.largest_free, a.largest_free);    /* coalesced back */

	/* Overflow, too big, exhaustion: NULL and counted. */
	CHECK(__wrap_calloc(SIZE_MAX / 2, 3) == NULL);
	CHECK(__wrap_calloc(1, ILPD_TLS_ARENA_BYTES + 1) == NULL);
	CHECK(__wrap_calloc(1, b.largest_free + 1) == NULL);
	p = __wrap_calloc(1, b.largest_free);
	CHECK(p != NULL);
	CHECK(__wrap_calloc(1, 1) == NULL || b.largest_free < a.capacity / 2);
	__wrap_free(p);
	tls_arena_stats(&b);
	CHECK(b.failures >= a.failures + 3);
	CHECK(b.high_water >= b.capacity / 2);

	/* A pointer inside the arena that is no block: ignored, counted. */
	p = __wrap_calloc(1, 64);
	if (p) {
		__wrap_free(p + 16);
		__wrap_free(p);
		__wrap_free(p);                   /* double free */
	}
	tls_arena_stats(&b);
	CHECK_EQ(b.invalid_frees, a.invalid_frees + 2);
	CHECK_EQ(b.in_use, a.in_use);
	CHECK_EQ(tls_arena_check(), 0);
	tls_arena_reset_high_water();
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

/* Random mix of sizes and lifetimes with content checks. */
static void test_alloc_stress(void)
{
	static uint8_t *slot[512];
	static size_t len[512];
	uint32_t seed = 12345;
	size_t base = in_use();
	bool content_ok = true, check_ok = true;

	for (int op = 0; op < 200000; op++) {
		unsigned i = lcg(&seed) % 512;

		if (slot[i]) {
			for (size_t k = 0; k < len[i]; k++)
				content_ok = content_ok && slot[i][k] == (uint8_t)(i + k);
			__wrap_free(slot[i]);
			slot[i] = NULL;
		} else {
			len[i] = lcg(&seed) % 8 ? 1 + lcg(&seed) % 300 : 1 + lcg(&seed) % 17000;
			slot[i] = __wrap_calloc(1, len[i]);
			for (size_t k = 0; slot[i] && k < len[i]; k++)
				slot[i][k] = (uint8_t)(i + k);
		}
		if (op % 4096 == 0)
			check_ok = check_ok && tls_arena_check() == 0;
	}
	for (unsigned i = 0; i < 512; i++) {
		__wrap_free(slot[i]);
		slot[i] = NULL;
	}
	CHECK(content_ok);
	CHECK(check_ok);
	CHECK_EQ(tls_arena_check(), 0);
	CHECK_EQ(in_use(), base);
}

/* ---- the link ---------------------------------------------------------- */

static int ini_count(void *user, const char *section, const char *name, const char *value)
{
	(void)section;
	(void)name;
	(void)value;
	(*(int *)user)++;
	return 1;
}

static void test_wrap_routing(void)
{
	struct tls_arena_stats a, b;
	mbedtls_mpi x;
	int n = 0;
	char *p;

	/* libmbedcrypto's calloc and free land in the arena. */
	tls_arena_stats(&a);
	mbedtls_mpi_init(&x);
	CHECK_EQ(mbedtls_mpi_lset(&x, 123456789), 0);
	CHECK_EQ(mbedtls_mpi_shift_l(&x, 4000), 0);
	tls_arena_stats(&b);
	CHECK(b.allocs > a.allocs);
	CHECK(b.in_use >= a.in_use + 500);
	mbedtls_mpi_free(&x);
	tls_arena_stats(&b);
	CHECK_EQ(b.in_use, a.in_use);
	CHECK_EQ(b.frees - a.frees, b.allocs - a.allocs);

	/* Another library of the link (Debian's libinih.a refers to malloc,
	 * realloc and free) keeps working under the wrap. */
	CHECK_EQ(ini_parse_string("[a]\nk = v\nk2 = v2\n", ini_count, &n), 0);
	CHECK_EQ(n, 2);
	/* A block from libc's malloc (realpath allocates inside glibc) that
	 * reaches the wrapped free must go to the real free. */
	p = realpath(".", NULL);
	CHECK(p != NULL);
	__wrap_free(p);
	tls_arena_stats(&a);
	CHECK_EQ(a.foreign_frees, b.foreign_frees + 1);
	CHECK_EQ(a.allocs, b.allocs);
	CHECK_EQ(a.in_use, b.in_use);
}

/* ---- TLS in memory ------------------------------------------------------- */

/* Moves records from -> to; arena deltas go to the side that made them. */
static size_t xfer(struct tls_conn *from, int fs, struct tls_conn *to, int ts)
{
	size_t total = 0, olen, ilen, n;
	uint8_t *o, *in;

	for (;;) {
		o = tls_sendrec_buf(from, &olen);
		in = tls_recvrec_buf(to, &ilen);
		if (!o || !olen || !in || !ilen)
			break;
		n = olen < ilen ? olen : ilen;
		memcpy(in, o, n);
		SIDE(fs, tls_sendrec_ack(from, n));
		SIDE(ts, tls_recvrec_ack(to, n));
		total += n;
	}
	return total;
}

static void pump(void)
{
	for (int i = 0; i < 100000; i++)
		if (xfer(&cli, 0, &srv, 1) + xfer(&srv, 1, &cli, 0) == 0)
			return;
	th_fail(__FILE__, __LINE__, "pump did not settle");
}

static int start_pair(void)
{
	int rs = -1, rc = -1;

	SIDE(1, rs = tls_conn_start(&srv, &scfg, TLS_SERVER, NULL, NULL));
	SIDE(0, rc = tls_conn_start(&cli, &ccfg, TLS_CLIENT, "localhost", NULL));
	return rs == 0 && rc == 0 ? 0 : -1;
}

static int side_of(const struct tls_conn *c)
{
	return c == &cli ? 0 : 1;
}

static bool both_open(void)
{
	return (tls_state(&cli) & TLS_ST_SENDAPP) && (tls_state(&srv) & TLS_ST_SENDAPP);
}

/* Sends n bytes from -> to through the engines; true if all arrived. */
static bool transfer(struct tls_conn *from, struct tls_conn *to, size_t n)
{
	size_t sent = 0, got = 0, len;
	uint8_t *b;

	for (int guard = 0; (sent < n || got < n) && guard < 10000; guard++) {
		b = tls_sendapp_buf(from, &len);
		if (b && sent < n) {
			len = len < n - sent ? len : n - sent;
			memset(b, 0x5a, len);
			SIDE(side_of(from), tls_sendapp_ack(from, len));
			sent += len;
			SIDE(side_of(from), tls_flush(from));
		}
		pump();
		while ((b = tls_recvapp_buf(to, &len)) != NULL) {
			got += len;
			SIDE(side_of(to), tls_recvapp_ack(to, len));
		}
		if ((tls_state(from) | tls_state(to)) & TLS_ST_CLOSED)
			break;
	}
	return sent == n && got == n;
}

static void close_pair(void)
{
	tls_close(&cli);
	pump();
	tls_conn_release(&cli);
	tls_conn_release(&srv);
}

static int load_configs(void)
{
	if (tls_config_server(&scfg, P("chain.pem"), P("server.key"), err, sizeof(err)) != 0 ||
	    tls_config_client(&ccfg, P("ca.pem"), err, sizeof(err)) != 0) {
		th_fail(__FILE__, __LINE__, "config: %s", err);
		return -1;
	}
	return 0;
}

static void test_config_cost(void)
{
	size_t u0 = in_use(), us, uc, ub;
	struct tls_arena_stats a, b;
	int rc;

	if (tls_config_server(&scfg, P("chain.pem"), P("server.key"), err, sizeof(err)) != 0) {
		th_fail(__FILE__, __LINE__, "server config: %s", err);
		return;
	}
	us = in_use();
	CHECK_EQ(tls_config_client(&ccfg, P("ca.pem"), err, sizeof(err)), 0);
	uc = in_use();
	tls_arena_stats(&a);
	printf("  arena per config: server (chain.pem, EC key) %zu, client (ca.pem) %zu\n",
	       us - u0, uc - us);
	rc = tls_config_client(&ccfg, "/etc/ssl/certs/ca-certificates.crt", err, sizeof(err));
	ub = in_use();
	if (rc == 0)
		printf("  client config with Debian's CA bundle: %zu arena bytes\n", ub - us);
	else
		printf("  Debian's CA bundle: %s\n", err);
	if (rc == 0 && ILPD_TLS_ARENA_CONFIG >= 262144)   /* boards sized for it */
		CHECK(ub - us <= ILPD_TLS_ARENA_CONFIG);
	CHECK_EQ(load_configs(), 0);                 /* reloading frees the old */
	tls_arena_stats(&b);
	CHECK_EQ(b.blocks, a.blocks);     /* in_use may differ by split slack */
}

/* One handshake + 40 KiB each way + close: the arena per side. Returns
 * the pair's high-water. */
static size_t measure_pair(const char *label)
{
	size_t base;
	struct tls_arena_stats st0, st, end;

	/* Warm-up: an RSA key keeps its blinding values (in the config's
	 * key) from its first use on. */
	CHECK_EQ(start_pair(), 0);
	pump();
	close_pair();
	tls_arena_stats(&st0);
	base = st0.in_use;
	side_cur[0] = side_cur[1] = side_peak[0] = side_peak[1] = 0;
	tls_arena_reset_high_water();
	CHECK_EQ(start_pair(), 0);
	pump();
	CHECK(both_open());
	CHECK(transfer(&cli, &srv, 40960));
	CHECK(transfer(&srv, &cli, 40960));
	tls_arena_stats(&st);
	printf("  arena per connection (%s): client peak %ld steady %ld, server peak %ld"
	       " steady %ld (pair high-water %zu)\n", label, side_peak[0], side_cur[0],
	       side_peak[1], side_cur[1], st.high_water - base);
	CHECK(side_peak[0] <= ILPD_TLS_ARENA_PER_CONN);
	CHECK(side_peak[1] <= ILPD_TLS_ARENA_PER_CONN);
	close_pair();
	CHECK_EQ(tls_error(&cli), TLS_ERR_CLOSED);
	CHECK_EQ(tls_error(&srv), TLS_ERR_CLOSED);
	/* The RSA key's blinding values may grow once more (same blocks). */
	tls_arena_stats(&end);
	CHECK_EQ(end.blocks, st0.blocks);
	CHECK(end.in_use <= base + 1024);
	CHECK_EQ(tls_arena_check(), 0);
	return st.high_water - base;
}

static size_t pair_need;

static void test_conn_cost(void)
{
	printf("  sizeof(struct tls_conn) = %zu, sizeof(struct tls_config) = %zu\n",
	       sizeof(struct tls_conn), sizeof(struct tls_config));
	if (tls_config_server(&scfg, P("rsa-server.pem"), P("rsa-server.key"),
			      err, sizeof(err)) == 0)
		(void)measure_pair("RSA-2048 server");
	else
		th_fail(__FILE__, __LINE__, "rsa config: %s", err);
	if (load_configs() == 0)
		pair_need = measure_pair("P-256 server");
}

/* The arena runs out at every stage of the handshake: the side that asks
 * fails with TLS_ERR_INTERNAL, nothing leaks, the next handshake works. */
static void test_exhaustion(void)
{
	size_t base = in_use();
	long need = (long)pair_need;
	int internal = 0, opened = 0, bad = 0;

	for (long lim = 0; lim <= need + 4096; lim += 1024) {
		tls_arena_set_limit(base + (size_t)lim);
		(void)start_pair();
		pump();
		if (both_open()) {
			opened++;
		} else if (tls_error(&cli) == TLS_ERR_INTERNAL ||
			   tls_error(&srv) == TLS_ERR_INTERNAL) {
			internal++;
			CHECK(tls_state(&cli) & TLS_ST_CLOSED || tls_state(&srv) & TLS_ST_CLOSED);
		} else {
			bad++;
			printf("  limit %ld: client %s, server %s\n", lim,
			       tls_error_str(tls_error(&cli)), tls_error_str(tls_error(&srv)));
		}
		tls_arena_set_limit(0);
		close_pair();
		CHECK_EQ(in_use(), base);
	}
	printf("  limits tried: %d failed cleanly (internal), %d handshakes fit\n",
	       internal, opened);
	CHECK(internal > 10);
	CHECK(opened >= 1);
	CHECK_EQ(bad, 0);
	CHECK_EQ(tls_arena_check(), 0);
	CHECK_EQ(start_pair(), 0);
	pump();
	CHECK(both_open());
	close_pair();
}

/* Many handshakes, some abandoned half-way or restarted live: in_use
 * returns to the baseline every time. */
static void test_no_leak(void)
{
	size_t base = in_use();
	struct tls_arena_stats a, b;
	long ok = 0, back = 0;

	tls_arena_stats(&a);
	for (long i = 0; i < rounds; i++) {
		if (start_pair() != 0)
			break;
		if (i % 10 == 3) {                /* abandoned mid-handshake */
			xfer(&cli, 0, &srv, 1);
			tls_conn_release(&cli);
			tls_conn_release(&srv);
		} else if (i % 10 == 7) {          /* restarted while live */
			pump();
			(void)start_pair();
			pump();
			ok += both_open();
			close_pair();
		} else {
			pump();
			ok += both_open() && transfer(&cli, &srv, 100) && transfer(&srv, &cli, 100);
			close_pair();
		}
		back += in_use() == base;
	}
	tls_arena_stats(&b);
	printf("  %ld rounds: %ld handshakes with data, in_use back to baseline %ld times,"
	       " %lu allocations\n", rounds, ok, back, b.allocs - a.allocs);
	CHECK_EQ(back, rounds);
	CHECK_EQ(ok, rounds - rounds / 10 - (rounds % 10 > 3));
	CHECK_EQ(b.allocs - a.allocs, b.frees - a.frees);
	CHECK_EQ(b.failures, a.failures);
	CHECK_EQ(tls_arena_check(), 0);
}

/* mbedTLS 2.28 matches DNS names only: the backend checks an IPv4 literal
 * against the leaf's subjectAltName iPAddress entries itself (server.pem
 * lists 127.0.0.1) and sends no SNI for it. */
static void test_ip_names(void)
{
	static const struct { const char *name; enum tls_error want; } cases[] = {
		{ "127.0.0.1", TLS_OK }, { "127.0.0.2", TLS_ERR_NAME_MISMATCH },
		{ "10.0.0.1", TLS_ERR_NAME_MISMATCH }, { "localhost", TLS_OK },
		{ "127.0.0.1.", TLS_ERR_NAME_MISMATCH },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(tls_conn_start(&srv, &scfg, TLS_SERVER, NULL, NULL), 0);
		CHECK_EQ(tls_conn_start(&cli, &ccfg, TLS_CLIENT, cases[i].name, NULL), 0);
		pump();
		CHECK_EQ(tls_error(&cli), cases[i].want);
		CHECK(both_open() == (cases[i].want == TLS_OK));
		if (tls_error(&cli) != cases[i].want)
			printf("  %s: %s\n", cases[i].name, tls_error_str(tls_error(&cli)));
		close_pair();
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tls_arena PKI_DIR [ROUNDS]\n");
		return 2;
	}
	pki = argv[1];
	if (argc > 2)
		rounds = strtol(argv[2], NULL, 10);
	printf("  backend %s, ILPD_TLS_ARENA_BYTES = %ld\n", tls_backend(),
	       (long)ILPD_TLS_ARENA_BYTES);
	TH_RUN(test_alloc_basics);
	TH_RUN(test_alloc_stress);
	TH_RUN(test_wrap_routing);
	TH_RUN(test_config_cost);
	TH_RUN(test_conn_cost);
	TH_RUN(test_exhaustion);
	TH_RUN(test_ip_names);
	TH_RUN(test_no_leak);
	return th_finish();
}
