/*
 * tls_bearssl.c - net/tls.h on BearSSL 0.6 (Debian's libbearssl-dev).
 *
 * IMPLEMENTATION NOTES
 * - Memory: everything lives in the caller's struct tls_config and struct
 *   tls_conn (see net/tls_bearssl.h); BearSSL never allocates. Loading a
 *   PEM file streams it through a 512-byte stack chunk into BearSSL's PEM
 *   decoder and from there into the X.509 or private-key decoder, so files
 *   of any size load without a file-sized buffer (about 4 KiB of stack).
 *   Files are read with open(2)/read(2): no stdio buffer either.
 * - Trust anchors: every CERTIFICATE object of the CA file is decoded with
 *   br_x509_decoder; its subject DN (streamed straight into the pool by the
 *   decoder's DN callback) and its public key (RSA n and e, or the EC point)
 *   are copied into cfg->u.client.pool, and anchors[] points into it.
 *   Certificates that BearSSL cannot use (a key type or curve it does not
 *   implement) are skipped and counted; malformed PEM, a full table or a
 *   full pool fail the whole load with a message.
 * - Policy (both roles): TLS 1.2 only - BearSSL 0.6 has no TLS 1.3; ECDHE
 *   key exchange with ECDSA or RSA signatures; AES-128/256-GCM and
 *   ChaCha20-Poly1305; SHA-224/256/384/512 for signatures (no SHA-1, no
 *   MD5); RSA keys of at least 2048 bits in certificates. No session cache
 *   (every connection makes a full handshake).
 * - Client without a pin: br_x509_minimal against the anchors, with the
 *   server name checked against the leaf's dNSName SANs (or its CN when it
 *   has no SAN). BearSSL matches DNS names only: an IP-address server name
 *   never matches (use a DNS name or a pin). Certificate validity uses the
 *   system clock (time(NULL) inside x509_minimal: tls.h passes no clock).
 * - Client with a pin (tls_bearssl_pin.c): the validator is struct tls_br_pin, a small
 *   br_x509_class. It feeds the leaf certificate to br_x509_decoder (for the
 *   key the handshake signature is checked with) and, in parallel, walks the
 *   leaf's DER itself to find tbsCertificate.subjectPublicKeyInfo and hash
 *   exactly its bytes (tag, length and contents) with SHA-256 - BearSSL
 *   decodes keys and keeps no SPKI bytes, and re-encoding a decoded key is
 *   not guaranteed to give back the certificate's bytes. The walker is a
 *   streaming state machine (a 6-byte header buffer, no copy of the
 *   certificate): Certificate SEQUENCE -> tbsCertificate SEQUENCE -> skip
 *   [0] version, serial, signature, issuer, validity, subject -> hash the
 *   next element. The chain and the name are then ignored: the pinned key,
 *   and only it, is accepted (the handshake still proves the server holds
 *   its private key).
 * - Errors: BearSSL's sticky engine error is mapped in tls_br_map(); the
 *   pin checker reports BR_ERR_X509_NOT_TRUSTED to the engine and sets its
 *   own flag so that the mismatch is reported as TLS_ERR_PIN_MISMATCH.
 * - End of the socket (tls_recvrec_eof): BearSSL has no such input, so
 *   the adapter keeps `eof` and answers for the engine. BearSSL opens a
 *   record as soon as its last byte is acked and takes no more records
 *   while plaintext waits, so at the end it holds at most one record's
 *   plaintext (still RECVAPP) and maybe part of a record (dropped). Once
 *   RECVAPP is empty, tls_state() says CLOSED and tls_error() tells a
 *   close_notify (the engine's shutdown_recv flag: it may still be
 *   sending its answer) from a truncation or a cut handshake (`app`, set
 *   by the channel calls once BearSSL has shown SENDAPP or RECVAPP).
 * - Randomness: BearSSL seeds itself from the OS; tls_conn_start also
 *   injects 32 bytes from hal_random(), so a missing OS seeder cannot leave
 *   the engine unseeded.
 */
#define _POSIX_C_SOURCE 200809L

#include "net/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hal/hal_crypto.h"
#include "hal/hal_rng.h"

#include "tls_bearssl_int.h"

/* ---- names --------------------------------------------------------------- */

const char *tls_backend(void)
{
	return "bearssl";
}

/* ---- PEM files ----------------------------------------------------------- */

/* One streamed PEM file. begin() is called at each object with its name and
 * sets the decoder's destination (or leaves none to skip the object);
 * end() at the end of each object. Either returns -1 after writing err. */
struct tls_br_pem {
	br_pem_decoder_context pem;
	const char *path;
	unsigned line;
	char *err;
	size_t errcap;
	int (*begin)(struct tls_br_pem *f, const char *name);
	int (*end)(struct tls_br_pem *f);
	void *user;
};

static int tls_br_pem_event(struct tls_br_pem *f, bool *in_obj)
{
	switch (br_pem_decoder_event(&f->pem)) {
	case BR_PEM_BEGIN_OBJ:
		*in_obj = true;
		br_pem_decoder_setdest(&f->pem, NULL, NULL);
		return f->begin(f, br_pem_decoder_name(&f->pem));
	case BR_PEM_END_OBJ:
		*in_obj = false;
		return f->end(f);
	case BR_PEM_ERROR:
		snprintf(f->err, f->errcap, "%s:%u: malformed PEM data", f->path, f->line);
		return -1;
	default:
		return 0;
	}
}

/* Reads f->path to the end through the PEM decoder. 0 or -1. */
static int tls_br_pem_file(struct tls_br_pem *f)
{
	uint8_t chunk[512];
	bool in_obj = false;
	ssize_t got;
	int fd;

	br_pem_decoder_init(&f->pem);
	f->line = 1;
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(f->err, f->errcap, "%s: cannot open: %s", f->path, strerror(errno));
		return -1;
	}
	for (;;) {
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		const uint8_t *p = chunk;
		size_t n = (size_t)got;
		while (n > 0) {
			size_t k = br_pem_decoder_push(&f->pem, p, n);
			for (size_t i = 0; i < k; i++)
				f->line += p[i] == '\n';
			p += k;
			n -= k;
			if (tls_br_pem_event(f, &in_obj) < 0) {
				close(fd);
				return -1;
			}
		}
	}
	close(fd);
	if (got < 0) {
		snprintf(f->err, f->errcap, "%s: read error: %s", f->path, strerror(errno));
		return -1;
	}
	/* A last line without its newline: let the decoder see one. */
	br_pem_decoder_push(&f->pem, "\n", 1);
	if (tls_br_pem_event(f, &in_obj) < 0)
		return -1;
	if (in_obj) {
		snprintf(f->err, f->errcap, "%s: truncated PEM object", f->path);
		return -1;
	}
	return 0;
}

static bool tls_br_is_cert(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
}

/* ---- client configuration: trust anchors --------------------------------- */

struct tls_br_ca_load {
	struct tls_config *cfg;
	br_x509_decoder_context dec;
	size_t mark;                          /* pool_used at the object's start */
	size_t certs;                         /* certificates seen */
	size_t skipped;
	bool in_cert;
	bool overflow;
};

/* Copies n bytes to the anchor pool; NULL (and overflow set) when full. */
static uint8_t *tls_br_ca_copy(struct tls_br_ca_load *ld, const void *src, size_t n)
{
	struct tls_config *cfg = ld->cfg;
	uint8_t *dst;

	if (ld->overflow || n > sizeof(cfg->u.client.pool) - cfg->u.client.pool_used) {
		ld->overflow = true;
		return NULL;
	}
	dst = cfg->u.client.pool + cfg->u.client.pool_used;
	memcpy(dst, src, n);
	cfg->u.client.pool_used += n;
	return dst;
}

static void tls_br_ca_dn(void *ctx, const void *buf, size_t len)
{
	(void)tls_br_ca_copy(ctx, buf, len);
}

static void tls_br_ca_der(void *ctx, const void *buf, size_t len)
{
	struct tls_br_ca_load *ld = ctx;

	br_x509_decoder_push(&ld->dec, buf, len);
}

static int tls_br_ca_begin(struct tls_br_pem *f, const char *name)
{
	struct tls_br_ca_load *ld = f->user;

	ld->in_cert = tls_br_is_cert(name);
	if (!ld->in_cert)
		return 0;
	ld->certs++;
	ld->mark = ld->cfg->u.client.pool_used;
	br_x509_decoder_init(&ld->dec, tls_br_ca_dn, ld);
	br_pem_decoder_setdest(&f->pem, tls_br_ca_der, ld);
	return 0;
}

/* Copies the decoded key into the pool and fills ta->pkey. */
static void tls_br_ca_key(struct tls_br_ca_load *ld, const br_x509_pkey *pk,
			  br_x509_trust_anchor *ta)
{
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_public_key *r = &pk->key.rsa;
		ta->pkey.key.rsa.n = tls_br_ca_copy(ld, r->n, r->nlen);
		ta->pkey.key.rsa.nlen = r->nlen;
		ta->pkey.key.rsa.e = tls_br_ca_copy(ld, r->e, r->elen);
		ta->pkey.key.rsa.elen = r->elen;
	} else {
		const br_ec_public_key *e = &pk->key.ec;
		ta->pkey.key.ec.curve = e->curve;
		ta->pkey.key.ec.q = tls_br_ca_copy(ld, e->q, e->qlen);
		ta->pkey.key.ec.qlen = e->qlen;
	}
}

static int tls_br_ca_end(struct tls_br_pem *f)
{
	struct tls_br_ca_load *ld = f->user;
	struct tls_config *cfg = ld->cfg;
	const br_x509_pkey *pk;
	br_x509_trust_anchor *ta;
	int e;

	if (!ld->in_cert)
		return 0;
	ld->in_cert = false;
	e = br_x509_decoder_last_error(&ld->dec);
	pk = br_x509_decoder_get_pkey(&ld->dec);
	if (e != 0 || pk == NULL) {
		/* Not usable by BearSSL (e.g. an unsupported curve): skip. */
		cfg->u.client.pool_used = ld->mark;
		ld->overflow = false;
		ld->skipped++;
		return 0;
	}
	if (cfg->u.client.n_anchors == ILPD_TLS_MAX_ANCHORS) {
		snprintf(f->err, f->errcap, "%s:%u: too many CA certificates "
			 "(trust anchor table full, ILPD_TLS_MAX_ANCHORS=%d)",
			 f->path, f->line, ILPD_TLS_MAX_ANCHORS);
		return -1;
	}
	ta = &cfg->u.client.anchors[cfg->u.client.n_anchors];
	ta->dn.data = cfg->u.client.pool + ld->mark;
	ta->dn.len = cfg->u.client.pool_used - ld->mark;
	ta->flags = br_x509_decoder_isCA(&ld->dec) ? BR_X509_TA_CA : 0;
	tls_br_ca_key(ld, pk, ta);
	if (ld->overflow) {
		snprintf(f->err, f->errcap, "%s:%u: trust anchor pool full "
			 "(ILPD_TLS_ANCHOR_BYTES=%d, %zu CA certificates loaded)",
			 f->path, f->line, ILPD_TLS_ANCHOR_BYTES, cfg->u.client.n_anchors);
		return -1;
	}
	cfg->u.client.n_anchors++;
	return 0;
}

int tls_config_client(struct tls_config *cfg, const char *ca_file, char *err, size_t errcap)
{
	struct tls_br_ca_load ld;
	struct tls_br_pem f;

	memset(cfg, 0, sizeof(*cfg));
	memset(&ld, 0, sizeof(ld));
	ld.cfg = cfg;
	f.path = ca_file;
	f.err = err;
	f.errcap = errcap;
	f.begin = tls_br_ca_begin;
	f.end = tls_br_ca_end;
	f.user = &ld;
	if (tls_br_pem_file(&f) < 0) {
		memset(cfg, 0, sizeof(*cfg));
		return -1;
	}
	if (cfg->u.client.n_anchors == 0) {
		snprintf(err, errcap, "%s: no usable CA certificate (%zu found)",
			 ca_file, ld.certs);
		memset(cfg, 0, sizeof(*cfg));
		return -1;
	}
	cfg->u.client.n_skipped = ld.skipped;
	cfg->kind = TLS_BR_CLIENT;
	return 0;
}

/* ---- server configuration: chain and key --------------------------------- */

struct tls_br_chain_load {
	struct tls_config *cfg;
	bool in_cert;
	bool overflow;
};

static void tls_br_chain_der(void *ctx, const void *buf, size_t len)
{
	struct tls_br_chain_load *ld = ctx;
	struct tls_config *cfg = ld->cfg;
	br_x509_certificate *c = &cfg->u.server.chain[cfg->u.server.n_chain];

	if (ld->overflow || len > sizeof(cfg->u.server.chain_pool) - cfg->u.server.chain_used) {
		ld->overflow = true;
		return;
	}
	memcpy(cfg->u.server.chain_pool + cfg->u.server.chain_used, buf, len);
	cfg->u.server.chain_used += len;
	c->data_len += len;
}

static int tls_br_chain_begin(struct tls_br_pem *f, const char *name)
{
	struct tls_br_chain_load *ld = f->user;
	struct tls_config *cfg = ld->cfg;

	ld->in_cert = tls_br_is_cert(name);
	if (!ld->in_cert)
		return 0;
	if (cfg->u.server.n_chain == TLS_BR_MAX_CHAIN) {
		snprintf(f->err, f->errcap, "%s:%u: more than %d certificates in the chain",
			 f->path, f->line, TLS_BR_MAX_CHAIN);
		return -1;
	}
	cfg->u.server.chain[cfg->u.server.n_chain].data =
		cfg->u.server.chain_pool + cfg->u.server.chain_used;
	cfg->u.server.chain[cfg->u.server.n_chain].data_len = 0;
	br_pem_decoder_setdest(&f->pem, tls_br_chain_der, ld);
	return 0;
}

static int tls_br_chain_end(struct tls_br_pem *f)
{
	struct tls_br_chain_load *ld = f->user;

	if (!ld->in_cert)
		return 0;
	ld->in_cert = false;
	if (ld->overflow) {
		snprintf(f->err, f->errcap, "%s:%u: certificate chain too large "
			 "(ILPD_TLS_CHAIN_BYTES=%d)", f->path, f->line, ILPD_TLS_CHAIN_BYTES);
		return -1;
	}
	ld->cfg->u.server.n_chain++;
	return 0;
}

struct tls_br_key_load {
	br_skey_decoder_context dec;
	int objects;                          /* key objects seen */
	bool in_key;
	bool encrypted;
};

static void tls_br_key_der(void *ctx, const void *buf, size_t len)
{
	struct tls_br_key_load *ld = ctx;

	br_skey_decoder_push(&ld->dec, buf, len);
}

static int tls_br_key_begin(struct tls_br_pem *f, const char *name)
{
	struct tls_br_key_load *ld = f->user;

	if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0)
		ld->encrypted = true;
	ld->in_key = ld->objects == 0 && (strcmp(name, "PRIVATE KEY") == 0 ||
		     strcmp(name, "RSA PRIVATE KEY") == 0 || strcmp(name, "EC PRIVATE KEY") == 0);
	if (!ld->in_key)
		return 0;
	ld->objects++;
	br_skey_decoder_init(&ld->dec);
	br_pem_decoder_setdest(&f->pem, tls_br_key_der, ld);
	return 0;
}

static int tls_br_key_end(struct tls_br_pem *f)
{
	struct tls_br_key_load *ld = f->user;

	ld->in_key = false;
	return 0;
}

/* Copies n bytes of key material to the key pool (sized for the largest
 * key the decoder returns, so it cannot overflow). */
static uint8_t *tls_br_key_copy(struct tls_config *cfg, size_t *used, const uint8_t *src,
				size_t n)
{
	uint8_t *dst = cfg->u.server.key_pool + *used;

	memcpy(dst, src, n);
	*used += n;
	return dst;
}

/* Copies the decoded key into cfg. 0, or -1 if the decoder has none. */
static int tls_br_key_store(struct tls_config *cfg, const br_skey_decoder_context *dec)
{
	size_t used = 0;

	cfg->u.server.key_type = br_skey_decoder_key_type(dec);
	if (cfg->u.server.key_type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *k = br_skey_decoder_get_rsa(dec);
		br_rsa_private_key *d = &cfg->u.server.rsa;
		if (k == NULL)
			return -1;
		d->n_bitlen = k->n_bitlen;
		d->p = tls_br_key_copy(cfg, &used, k->p, k->plen);
		d->plen = k->plen;
		d->q = tls_br_key_copy(cfg, &used, k->q, k->qlen);
		d->qlen = k->qlen;
		d->dp = tls_br_key_copy(cfg, &used, k->dp, k->dplen);
		d->dplen = k->dplen;
		d->dq = tls_br_key_copy(cfg, &used, k->dq, k->dqlen);
		d->dqlen = k->dqlen;
		d->iq = tls_br_key_copy(cfg, &used, k->iq, k->iqlen);
		d->iqlen = k->iqlen;
	} else {
		const br_ec_private_key *k = br_skey_decoder_get_ec(dec);
		if (k == NULL)
			return -1;
		cfg->u.server.ec.curve = k->curve;
		cfg->u.server.ec.x = tls_br_key_copy(cfg, &used, k->x, k->xlen);
		cfg->u.server.ec.xlen = k->xlen;
	}
	return 0;
}

/* Strips leading zero bytes (for comparing big-endian integers). */
static const uint8_t *tls_br_strip(const uint8_t *p, size_t *n)
{
	while (*n > 0 && *p == 0) {
		p++;
		(*n)--;
	}
	return p;
}

/* 0 if the private key in cfg belongs to the public key pk. */
static int tls_br_key_matches(const struct tls_config *cfg, const br_x509_pkey *pk)
{
	uint8_t buf[BR_X509_BUFSIZE_SIG];
	size_t a, b;
	const uint8_t *pa, *pb;

	if (pk->key_type != cfg->u.server.key_type)
		return -1;
	if (pk->key_type == BR_KEYTYPE_EC) {
		br_ec_public_key pub;
		uint8_t q[BR_EC_KBUF_PUB_MAX_SIZE];
		if (pk->key.ec.curve != cfg->u.server.ec.curve)
			return -1;
		a = br_ec_compute_pub(br_ec_get_default(), &pub, q, &cfg->u.server.ec);
		return a != 0 && a == pk->key.ec.qlen &&
		       memcmp(q, pk->key.ec.q, a) == 0 ? 0 : -1;
	}
	a = br_rsa_compute_modulus_get_default()(NULL, &cfg->u.server.rsa);
	if (a == 0 || a > sizeof(buf))
		return -1;
	a = br_rsa_compute_modulus_get_default()(buf, &cfg->u.server.rsa);
	b = pk->key.rsa.nlen;
	pa = tls_br_strip(buf, &a);
	pb = tls_br_strip(pk->key.rsa.n, &b);
	return a == b && memcmp(pa, pb, a) == 0 ? 0 : -1;
}

/* Decodes the leaf (chain[0]) and checks it against the loaded key. */
static int tls_br_server_check(struct tls_config *cfg, const char *chain_file,
			       const char *key_file, char *err, size_t errcap)
{
	br_x509_decoder_context dec;
	const br_x509_pkey *pk;

	br_x509_decoder_init(&dec, NULL, NULL);
	br_x509_decoder_push(&dec, cfg->u.server.chain[0].data, cfg->u.server.chain[0].data_len);
	pk = br_x509_decoder_get_pkey(&dec);
	if (pk == NULL) {
		snprintf(err, errcap, "%s: cannot decode the first certificate (BearSSL error %d)",
			 chain_file, br_x509_decoder_last_error(&dec));
		return -1;
	}
	if (tls_br_key_matches(cfg, pk) < 0) {
		snprintf(err, errcap, "%s: the private key does not match the certificate in %s",
			 key_file, chain_file);
		return -1;
	}
	cfg->u.server.issuer_key_type = (unsigned)br_x509_decoder_get_signer_key_type(&dec);
	return 0;
}

static int tls_br_server_key(struct tls_config *cfg, const char *key_file, char *err,
			     size_t errcap)
{
	struct tls_br_key_load kl;
	struct tls_br_pem f;
	int e;

	memset(&kl, 0, sizeof(kl));
	f.path = key_file;
	f.err = err;
	f.errcap = errcap;
	f.begin = tls_br_key_begin;
	f.end = tls_br_key_end;
	f.user = &kl;
	if (tls_br_pem_file(&f) < 0)
		return -1;
	if (kl.objects == 0) {
		snprintf(err, errcap, "%s: no private key (PEM RSA or EC)%s", key_file,
			 kl.encrypted ? ": encrypted keys are not supported" : "");
		return -1;
	}
	e = br_skey_decoder_last_error(&kl.dec);
	if (e != 0 || tls_br_key_store(cfg, &kl.dec) < 0) {
		snprintf(err, errcap, "%s: cannot decode the private key (BearSSL error %d)",
			 key_file, e);
		e = -1;
	}
	memset(&kl, 0, sizeof(kl));           /* the decoder held a copy of the key */
	return e != 0 ? -1 : 0;
}

int tls_config_server(struct tls_config *cfg, const char *chain_file,
		      const char *key_file, char *err, size_t errcap)
{
	struct tls_br_chain_load cl;
	struct tls_br_pem f;

	memset(cfg, 0, sizeof(*cfg));
	memset(&cl, 0, sizeof(cl));
	cl.cfg = cfg;
	f.path = chain_file;
	f.err = err;
	f.errcap = errcap;
	f.begin = tls_br_chain_begin;
	f.end = tls_br_chain_end;
	f.user = &cl;
	if (tls_br_pem_file(&f) < 0)
		goto fail;
	if (cfg->u.server.n_chain == 0) {
		snprintf(err, errcap, "%s: no certificate", chain_file);
		goto fail;
	}
	if (tls_br_server_key(cfg, key_file, err, errcap) < 0 ||
	    tls_br_server_check(cfg, chain_file, key_file, err, errcap) < 0)
		goto fail;
	cfg->kind = TLS_BR_SERVER;
	return 0;
fail:
	memset(cfg, 0, sizeof(*cfg));
	return -1;
}

/* ---- connections --------------------------------------------------------- */

static const uint16_t tls_br_suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

/* Hash functions for handshake signatures and certificate signatures. */
static const struct {
	int id;
	const br_hash_class *impl;
} tls_br_hashes[] = {
	{ br_sha224_ID, &br_sha224_vtable },
	{ br_sha256_ID, &br_sha256_vtable },
	{ br_sha384_ID, &br_sha384_vtable },
	{ br_sha512_ID, &br_sha512_vtable },
};
#define TLS_BR_NHASH (sizeof(tls_br_hashes) / sizeof(tls_br_hashes[0]))

/* The policy common to both roles (see the notes at the top). */
static void tls_br_policy(br_ssl_engine_context *cc)
{
	br_ssl_engine_set_versions(cc, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(cc, tls_br_suites,
				 sizeof(tls_br_suites) / sizeof(tls_br_suites[0]));
	for (size_t i = 0; i < TLS_BR_NHASH; i++)
		br_ssl_engine_set_hash(cc, tls_br_hashes[i].id, tls_br_hashes[i].impl);
	br_ssl_engine_set_prf_sha256(cc, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(cc, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(cc);
	br_ssl_engine_set_default_chapol(cc);
	br_ssl_engine_set_default_ec(cc);
}

static void tls_br_minimal(struct tls_conn *c, const struct tls_config *cfg)
{
	br_x509_minimal_context *xm = &c->x509.minimal;

	br_x509_minimal_init(xm, &br_sha256_vtable, cfg->u.client.anchors,
			     cfg->u.client.n_anchors);
	for (size_t i = 0; i < TLS_BR_NHASH; i++)
		br_x509_minimal_set_hash(xm, tls_br_hashes[i].id, tls_br_hashes[i].impl);
	br_x509_minimal_set_rsa(xm, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(xm, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
	br_x509_minimal_set_minrsa(xm, 256);  /* 2048 bits */
	br_ssl_engine_set_x509(c->cc, &xm->vtable);
}

static int tls_br_client(struct tls_conn *c, const struct tls_config *cfg,
			 const char *server_name, const uint8_t *pin)
{
	br_ssl_client_context *cl = &c->eng.client;

	if (cfg->kind != TLS_BR_CLIENT || (pin == NULL && (server_name == NULL ||
							    server_name[0] == '\0')))
		return -1;
	br_ssl_client_zero(cl);
	c->cc = &cl->eng;
	tls_br_policy(c->cc);
	br_ssl_engine_set_default_rsavrfy(c->cc);
	br_ssl_engine_set_default_ecdsa(c->cc);
	if (pin != NULL) {
		c->pinned = 1;
		c->x509.pin.vtable = &tls_br_pin_vtable;
		memcpy(c->x509.pin.want, pin, TLS_PIN_LEN);
		br_ssl_engine_set_x509(c->cc, &c->x509.pin.vtable);
	} else {
		tls_br_minimal(c, cfg);
	}
	return 0;
}

static int tls_br_server(struct tls_conn *c, const struct tls_config *cfg)
{
	br_ssl_server_context *sv = &c->eng.server;

	if (cfg->kind != TLS_BR_SERVER)
		return -1;
	br_ssl_server_zero(sv);
	c->cc = &sv->eng;
	tls_br_policy(c->cc);
	if (cfg->u.server.key_type == BR_KEYTYPE_RSA)
		br_ssl_server_set_single_rsa(sv, cfg->u.server.chain, cfg->u.server.n_chain,
					     &cfg->u.server.rsa, BR_KEYTYPE_SIGN,
					     br_rsa_private_get_default(),
					     br_rsa_pkcs1_sign_get_default());
	else
		br_ssl_server_set_single_ec(sv, cfg->u.server.chain, cfg->u.server.n_chain,
					    &cfg->u.server.ec, BR_KEYTYPE_SIGN,
					    cfg->u.server.issuer_key_type, br_ec_get_default(),
					    br_ecdsa_sign_asn1_get_default());
	return 0;
}

int tls_conn_start(struct tls_conn *c, const struct tls_config *cfg,
		   enum tls_role role, const char *server_name, const uint8_t *pin)
{
	uint8_t seed[32];
	int ok;

	c->role = (uint8_t)role;
	c->pinned = 0;
	c->app = 0;
	c->eof = 0;
	c->failed = 1;
	c->cc = NULL;
	if (role == TLS_CLIENT ? tls_br_client(c, cfg, server_name, pin) < 0
			       : tls_br_server(c, cfg) < 0)
		return -1;
	br_ssl_engine_set_buffer(c->cc, c->iobuf, sizeof(c->iobuf), 1);
	if (hal_random(seed, sizeof(seed)) < 0)
		return -1;
	br_ssl_engine_inject_entropy(c->cc, seed, sizeof(seed));
	memset(seed, 0, sizeof(seed));
	if (role == TLS_CLIENT)
		ok = br_ssl_client_reset(&c->eng.client, server_name, 0);
	else
		ok = br_ssl_server_reset(&c->eng.server);
	if (!ok)
		return -1;
	c->failed = 0;
	return 0;
}

unsigned tls_state(const struct tls_conn *c)
{
	unsigned st, r = 0;

	if (c->failed)
		return TLS_ST_CLOSED;
	st = br_ssl_engine_current_state(c->cc);
	if (c->eof && !(st & BR_SSL_CLOSED)) {
		/* Nothing more comes in: what is left is the plaintext. */
		st &= ~(unsigned)BR_SSL_RECVREC;
		if (!(st & BR_SSL_RECVAPP))
			return TLS_ST_CLOSED;
	}
	if (st & BR_SSL_CLOSED)
		r |= TLS_ST_CLOSED;
	if (st & BR_SSL_SENDREC)
		r |= TLS_ST_SENDREC;
	if (st & BR_SSL_RECVREC)
		r |= TLS_ST_RECVREC;
	if (st & BR_SSL_SENDAPP)
		r |= TLS_ST_SENDAPP;
	if (st & BR_SSL_RECVAPP)
		r |= TLS_ST_RECVAPP;
	return r;
}

/* BearSSL's error code -> enum tls_error (see tls.h). */
static enum tls_error tls_br_map(const struct tls_conn *c, int err)
{
	if (err == BR_ERR_OK)
		return TLS_ERR_CLOSED;
	if (c->pinned && c->x509.pin.mismatch)
		return TLS_ERR_PIN_MISMATCH;
	if (err >= BR_ERR_RECV_FATAL_ALERT)   /* received or sent fatal alert */
		return TLS_ERR_HANDSHAKE;
	if (err >= BR_ERR_X509_OK && err < BR_ERR_RECV_FATAL_ALERT) {
		switch (err) {
		case BR_ERR_X509_EXPIRED: return TLS_ERR_EXPIRED;
		case BR_ERR_X509_NOT_TRUSTED: return TLS_ERR_UNKNOWN_CA;
		case BR_ERR_X509_BAD_SERVER_NAME: return TLS_ERR_NAME_MISMATCH;
		default: return TLS_ERR_BAD_CERT;
		}
	}
	switch (err) {
	case BR_ERR_BAD_PARAM:
	case BR_ERR_BAD_STATE:
	case BR_ERR_NO_RANDOM:
	case BR_ERR_IO:
		return TLS_ERR_INTERNAL;
	case BR_ERR_UNSUPPORTED_VERSION:
	case BR_ERR_BAD_CCS:
	case BR_ERR_BAD_HANDSHAKE:
	case BR_ERR_OVERSIZED_ID:
	case BR_ERR_BAD_CIPHER_SUITE:
	case BR_ERR_BAD_COMPRESSION:
	case BR_ERR_BAD_FRAGLEN:
	case BR_ERR_BAD_SECRENEG:
	case BR_ERR_EXTRA_EXTENSION:
	case BR_ERR_BAD_SNI:
	case BR_ERR_BAD_HELLO_DONE:
	case BR_ERR_BAD_FINISHED:
	case BR_ERR_RESUME_MISMATCH:
	case BR_ERR_INVALID_ALGORITHM:
	case BR_ERR_BAD_SIGNATURE:
	case BR_ERR_WRONG_KEY_USAGE:
	case BR_ERR_NO_CLIENT_AUTH:
		return TLS_ERR_HANDSHAKE;
	default:                              /* bad MAC, length, type, version */
		return TLS_ERR_PROTOCOL;
	}
}

enum tls_error tls_error(const struct tls_conn *c)
{
	unsigned st;

	if (c->failed)
		return TLS_ERR_INTERNAL;
	st = br_ssl_engine_current_state(c->cc);
	if (st & BR_SSL_CLOSED)
		return tls_br_map(c, br_ssl_engine_last_error(c->cc));
	if (!c->eof || (st & BR_SSL_RECVAPP))
		return TLS_OK;
	/* The socket ended and the plaintext is all taken (tls_state). The
	 * engine sets shutdown_recv when the peer's close_notify comes (and
	 * may still be sending its answer); close_received is documented for
	 * the same but BearSSL 0.6 leaves it 0 here. */
	if (c->cc->shutdown_recv || c->cc->close_received)
		return TLS_ERR_CLOSED;
	return c->app ? TLS_ERR_TRUNCATED : TLS_ERR_HANDSHAKE;
}

/* Notes that the handshake finished (BearSSL shows application data
 * channels only after it). */
static void tls_br_note(struct tls_conn *c)
{
	if (!c->failed && !c->app && (br_ssl_engine_current_state(c->cc) & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
		c->app = 1;
}

void tls_recvrec_eof(struct tls_conn *c)
{
	if (c->failed)
		return;
	tls_br_note(c);
	c->eof = 1;
}

uint8_t *tls_sendrec_buf(struct tls_conn *c, size_t *len)
{
	if (c->failed) {
		*len = 0;
		return NULL;
	}
	return br_ssl_engine_sendrec_buf(c->cc, len);
}

void tls_sendrec_ack(struct tls_conn *c, size_t n)
{
	br_ssl_engine_sendrec_ack(c->cc, n);
	tls_br_note(c);
}

uint8_t *tls_recvrec_buf(struct tls_conn *c, size_t *len)
{
	if (c->failed || c->eof) {
		*len = 0;
		return NULL;
	}
	return br_ssl_engine_recvrec_buf(c->cc, len);
}

void tls_recvrec_ack(struct tls_conn *c, size_t n)
{
	if (c->failed || c->eof)
		return;
	br_ssl_engine_recvrec_ack(c->cc, n);
	tls_br_note(c);
}

uint8_t *tls_sendapp_buf(struct tls_conn *c, size_t *len)
{
	if (c->failed) {
		*len = 0;
		return NULL;
	}
	return br_ssl_engine_sendapp_buf(c->cc, len);
}

void tls_sendapp_ack(struct tls_conn *c, size_t n)
{
	br_ssl_engine_sendapp_ack(c->cc, n);
	tls_br_note(c);
}

uint8_t *tls_recvapp_buf(struct tls_conn *c, size_t *len)
{
	if (c->failed) {
		*len = 0;
		return NULL;
	}
	return br_ssl_engine_recvapp_buf(c->cc, len);
}

void tls_recvapp_ack(struct tls_conn *c, size_t n)
{
	br_ssl_engine_recvapp_ack(c->cc, n);
	tls_br_note(c);
}

void tls_flush(struct tls_conn *c)
{
	if (!c->failed)
		br_ssl_engine_flush(c->cc, 0);
}

void tls_close(struct tls_conn *c)
{
	if (!c->failed)
		br_ssl_engine_close(c->cc);
}

/* BearSSL holds nothing outside the struct: ending the connection only
 * marks it finished (tls_conn_start resets it). */
void tls_conn_release(struct tls_conn *c)
{
	c->failed = 1;
}
