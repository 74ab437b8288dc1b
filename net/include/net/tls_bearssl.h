/*
 * tls_bearssl.h - the BearSSL backend's structures for net/tls.h (included
 * by tls.h when ILPD_TLS_BEARSSL is defined; never include it directly).
 * Contents are private to net/src/tls_bearssl.c; they are public only so
 * that callers can allocate them (static objects in firmware/).
 *
 * Memory (BearSSL 0.6, Debian; default net_opts.h; measured by test_tls):
 *   struct tls_conn   40,488 bytes on 64-bit targets (x86_64, aarch64,
 *                     s390x), 40,016 on armhf: the client or server engine
 *                     context (union), the X.509 validator (BearSSL's
 *                     minimal validator or the SPKI pin checker, union) and
 *                     the ILPD_TLS_BUFSIZE record buffer (33,178 bytes).
 *   struct tls_config 94,240 bytes on 64-bit, 88,080 on armhf: client =
 *                     ILPD_TLS_MAX_ANCHORS x 64 bytes (32 on armhf) +
 *                     ILPD_TLS_ANCHOR_BYTES; server = chain pool
 *                     (ILPD_TLS_CHAIN_BYTES) + key pool (1,536); a union.
 * test_tls prints the exact figures. No heap, ever: BearSSL works only in
 * caller-provided memory.
 *
 * Lifetime: a tls_config is referenced (not copied) by the connections
 * started from it and holds pointers into itself: load it in place, never
 * copy or move it, and keep it alive while any of its connections is.
 * Thread: none; one event loop.
 */
#ifndef NET_TLS_BEARSSL_H
#define NET_TLS_BEARSSL_H

#include <bearssl.h>

#include "net/net_opts.h"

/* Full-size records both ways (see ILPD_TLS_BUFSIZE). */
_Static_assert(ILPD_TLS_BUFSIZE >= BR_SSL_BUFSIZE_BIDI,
	       "ILPD_TLS_BUFSIZE must be at least BR_SSL_BUFSIZE_BIDI (33178)");

/* Certificates in a server chain (leaf + intermediates). */
#define TLS_BR_MAX_CHAIN 8
/* Private key bytes: the RSA CRT parts of a 4096-bit key (5 x 256) or an
 * EC scalar; the same bound as BearSSL's own key decoder. */
#define TLS_BR_KEY_BYTES (3 * BR_X509_BUFSIZE_SIG)

enum tls_br_kind { TLS_BR_NONE = 0, TLS_BR_CLIENT, TLS_BR_SERVER };

struct tls_config {
	uint8_t kind;                         /* enum tls_br_kind */
	union {
		struct {
			size_t n_anchors;
			size_t n_skipped;             /* unusable by BearSSL */
			size_t pool_used;
			br_x509_trust_anchor anchors[ILPD_TLS_MAX_ANCHORS];
			uint8_t pool[ILPD_TLS_ANCHOR_BYTES];
		} client;
		struct {
			size_t n_chain;
			size_t chain_used;
			br_x509_certificate chain[TLS_BR_MAX_CHAIN];
			uint8_t chain_pool[ILPD_TLS_CHAIN_BYTES];
			int key_type;                 /* BR_KEYTYPE_RSA / _EC */
			unsigned issuer_key_type;     /* key type of the leaf's signer */
			br_rsa_private_key rsa;
			br_ec_private_key ec;
			uint8_t key_pool[TLS_BR_KEY_BYTES];
		} server;
	} u;
};

/* SPKI pin checker: an X.509 "validator" (br_x509_class) that hashes the
 * leaf certificate's DER SubjectPublicKeyInfo as it streams by and decodes
 * the leaf's public key; the rest of the chain is ignored. */
struct tls_br_pin {
	const br_x509_class *vtable;          /* first: BearSSL's object model */
	br_x509_decoder_context dec;
	br_sha256_context sha;
	uint8_t want[32];                     /* the pin */
	uint32_t certs;                       /* certificates started */
	uint32_t remain;                      /* bytes left in the current item */
	uint8_t hdr[6];                       /* DER tag + length being read */
	uint8_t hlen;
	uint8_t hlen_done;                    /* length of the last full header */
	uint8_t depth;                        /* 0 Certificate, 1 tbs, 2 items */
	uint8_t item;                         /* tbsCertificate items seen */
	uint8_t walk;                         /* walker state */
	uint8_t mismatch;                     /* end_chain: pin differed */
	const br_x509_pkey *pkey;             /* the leaf's key, once checked */
};

struct tls_conn {
	union {
		br_ssl_client_context client;
		br_ssl_server_context server;
	} eng;
	union {
		br_x509_minimal_context minimal;
		struct tls_br_pin pin;
	} x509;
	br_ssl_engine_context *cc;            /* &eng.client.eng or server */
	uint8_t role;                         /* enum tls_role */
	uint8_t failed;                       /* tls_conn_start failed */
	uint8_t pinned;                       /* x509.pin is in use */
	uint8_t app;                          /* the handshake finished */
	uint8_t eof;                          /* tls_recvrec_eof was called */
	uint8_t iobuf[ILPD_TLS_BUFSIZE];
};

#endif /* NET_TLS_BEARSSL_H */
