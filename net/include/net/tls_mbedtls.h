/*
 * tls_mbedtls.h - the mbedTLS backend's structures for net/tls.h
 * (included by tls.h when ILPD_TLS_MBEDTLS is defined; never include it
 * directly). Contents are private to net/src/tls_mbedtls.c; they are
 * public only so that callers can allocate them (static objects in
 * firmware/).
 *
 * Library: Debian's mbedTLS 2.28 (libmbedtls-dev). TLS 1.2 only: 2.28's
 * TLS 1.3 (MBEDTLS_SSL_PROTO_TLS1_3_EXPERIMENTAL) is a prototype that
 * Debian does not enable and that cannot interoperate.
 *
 * Memory (x86_64 / armhf, default sizes; test_tls_arena prints them):
 *   struct tls_conn   17256 / 17024 bytes: the mbedtls_ssl_context and four
 *                     staging buffers, two of ILPD_TLS_MBED_RECBUF (records
 *                     in, records out) and two of ILPD_TLS_MBED_APPBUF
 *                     (plaintext in, out);
 *                   + arena, per connection: client peak 42.2 / 40.1 KiB
 *                     during the handshake, 38.8 / 37.4 KiB while open;
 *                     server 37.4 / 36.5 KiB peak, 35.6 / 35.3 KiB open.
 *                     Most of it is mbedTLS's two record buffers (2 x 16.7
 *                     KiB, fixed by Debian's MBEDTLS_SSL_IN/OUT_CONTENT_LEN
 *                     and not shrinkable at run time in 2.28); the rest is
 *                     the session (with the peer's certificate chain, kept:
 *                     MBEDTLS_SSL_KEEP_PEER_CERTIFICATE) and, during the
 *                     handshake only, its state. ILPD_TLS_ARENA_PER_CONN.
 *   struct tls_config 1448 / 936 bytes: mbedtls_ssl_config, the CTR-DRBG
 *                     and the list heads; the certificates and the key are
 *                     in the arena for the config's life: ca.pem 0.9 KiB,
 *                     a P-256 server chain and key 3.4 KiB, Debian's CA
 *                     bundle (~150 roots) 427 / 321 KiB
 *                     (ILPD_TLS_ARENA_CONFIG).
 * No libc heap: mbedTLS's calloc/free go to the static arena
 * (net/tls_arena.h). Loading a config opens files with stdio (fopen),
 * which allocates inside glibc: start-up only.
 *
 * Limits shared with the BearSSL backend: a CA file may hold at most
 * ILPD_TLS_MAX_ANCHORS certificates and ILPD_TLS_ANCHOR_BYTES of subject
 * DN + SubjectPublicKeyInfo; a server chain at most 8 certificates and
 * ILPD_TLS_CHAIN_BYTES of DER.
 *
 * Lifetime: a tls_config is referenced (not copied) by the connections
 * started from it: load it in place, never copy or move it, and keep it
 * alive while any of its connections is. Loading it again frees what it
 * held (the static struct starts zeroed). A connection returns its arena
 * memory when it reaches TLS_ST_CLOSED, at tls_conn_release(), or when it
 * is started again.
 * Thread: none; one event loop.
 */
#ifndef NET_TLS_MBEDTLS_H
#define NET_TLS_MBEDTLS_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "net/net_opts.h"

/* Records from the socket not yet taken by mbedTLS, and records from
 * mbedTLS not yet written to the socket (each). mbedTLS assembles whole
 * records in its own buffers, so these only stage bytes: a bigger buffer
 * means fewer, larger socket reads and writes. */
#ifndef ILPD_TLS_MBED_RECBUF
#define ILPD_TLS_MBED_RECBUF 4096
#endif

/* Plaintext decrypted and not yet taken by the caller, and plaintext
 * written by the caller and not yet sealed into records (each). An
 * outgoing record carries at most this much. */
#ifndef ILPD_TLS_MBED_APPBUF
#define ILPD_TLS_MBED_APPBUF 4096
#endif

_Static_assert(ILPD_TLS_MBED_RECBUF >= 256 && ILPD_TLS_MBED_APPBUF >= 256,
	       "TLS staging buffers too small");

/* A byte queue: data in buf[off, len). */
struct tls_mb_q {
	size_t off;
	size_t len;
};

struct tls_config {
	uint32_t kind;                /* magic: loaded as client / server */
	mbedtls_ssl_config conf;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt certs;       /* client: trust anchors; server: chain */
	mbedtls_pk_context key;       /* server: private key */
};

struct tls_conn {
	mbedtls_ssl_context ssl;
	const struct tls_config *cfg;
	uint32_t live;                /* magic: ssl holds arena memory */
	uint8_t phase;                /* enum tls_mb_phase (tls_mbedtls.c) */
	uint8_t err;                  /* enum tls_error, sticky */
	uint8_t role;                 /* enum tls_role */
	uint8_t pinned;               /* pin replaces chain verification */
	uint8_t pin_failed;           /* verify callback: pin differed */
	uint8_t flush;                /* tls_flush asked for all of sapp */
	uint8_t peer_end;             /* how the peer ended: MB_END_* bits (.c) */
	uint8_t ip_name;              /* server_name is an IPv4 literal */
	uint8_t ip[4];                /* ... that address */
	uint8_t pin[TLS_PIN_LEN];
	int last_ret;                 /* last mbedTLS error (diagnostics) */
	uint32_t vflags;              /* verify flags of the handshake */
	size_t wpending;              /* ssl_write to repeat (WANT_WRITE) */
	struct tls_mb_q rin, rout, ain, aout;
	uint8_t rin_buf[ILPD_TLS_MBED_RECBUF];
	uint8_t rout_buf[ILPD_TLS_MBED_RECBUF];
	uint8_t ain_buf[ILPD_TLS_MBED_APPBUF];
	uint8_t aout_buf[ILPD_TLS_MBED_APPBUF];
};

/* The last mbedTLS return code that ended the connection (0 if none), for
 * a debug log line next to tls_error_str(). */
int tls_mbedtls_last_ret(const struct tls_conn *c);

#endif /* NET_TLS_MBEDTLS_H */
