/*
 * tls_mbedtls.c - the mbedTLS (Debian 2.28) backend of net/tls.h.
 *
 * IMPLEMENTATION NOTES
 * - Byte engine over memory BIOs. mbedtls_ssl_set_bio gets two callbacks
 *   that copy between mbedTLS and the connection's staging queues: rin
 *   (socket bytes in) feeds mb_recv, mb_send appends to rout (records
 *   out). So the record channels (tls_recvrec_*, tls_sendrec_*) are plain
 *   queue operations, and the plaintext channels are two more queues (ain,
 *   aout) filled by mbedtls_ssl_read and drained by mbedtls_ssl_write.
 *   Each queue holds data in buf[off, len) and is compacted (memmove to
 *   the front) only when a caller asks for room.
 * - Every *_ack runs mb_pump(): the handshake while it lasts, then
 *   "seal pending plaintext, open incoming records" until mbedTLS answers
 *   WANT_READ / WANT_WRITE. mbedTLS never blocks: the callbacks answer
 *   WANT_* when a queue is empty or full.
 * - Plaintext is sealed when aout is full or after tls_flush, in records
 *   sized to fit the free space of rout (record expansion included), so
 *   mbedtls_ssl_write normally never sees WANT_WRITE. When it does (rout
 *   filled by a previous record), mbedTLS has already taken the bytes and
 *   must be called again with the same buffer and length (its contract):
 *   wpending keeps that length and aout is not compacted meanwhile.
 * - Verification: the client uses MBEDTLS_SSL_VERIFY_REQUIRED with the
 *   config's CA list and mbedtls_ssl_set_hostname (SNI and the DNS name
 *   check). mbedTLS 2.28 does not match IP addresses, so for an IP literal
 *   no hostname is set and the verify callback looks for the address in
 *   the leaf's subjectAltName iPAddress entries itself. With a pin, the
 *   callback hashes the leaf's SubjectPublicKeyInfo (pk_raw) and, when it
 *   matches, clears the flags of every certificate: a self-signed or
 *   otherwise unverifiable leaf is accepted on its key alone. A mismatch
 *   sets pin_failed (reported as TLS_ERR_PIN_MISMATCH).
 * - Errors: the first one sticks (err). mbedTLS hides allocation failures
 *   behind handshake errors in places (a failed ECDH read is reported as a
 *   bad ServerKeyExchange), so a failure during which the arena refused an
 *   allocation is TLS_ERR_INTERNAL whatever mbedTLS returned.
 * - End of the socket (tls_recvrec_eof): rin takes nothing more, but the
 *   records already in it are still opened as the caller takes plaintext
 *   (mb_pull runs on every tls_recvapp_ack), so a peer that wrote many
 *   records and closed loses none of them. Once mbedTLS wants bytes that
 *   will never come and ain is empty, mb_end_step() closes the engine:
 *   TLS_ERR_TRUNCATED without the peer's close_notify (a partial record
 *   left in rin never authenticated and is dropped), the sticky
 *   TLS_ERR_CLOSED after ours was sent (SHUT).
 * - Memory: the ssl context's buffers and handshake state are in the
 *   arena; they are returned when the connection reaches CLOSED (fatal
 *   error, or close_notify written out), at tls_conn_release, or when the
 *   struct is started again (magic in `live`).
 */
#include "net/tls.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha256.h>

#include "hal/hal_rng.h"
#include "net/tls_arena.h"

#define MB_LIVE 0x4d424c56u   /* "MBLV" */

/* Bits of tls_conn.peer_end. */
#define MB_END_NOTIFY 0x01u   /* the peer's close_notify came */
#define MB_END_EOF 0x02u      /* the socket ended (tls_recvrec_eof) */

enum tls_mb_phase {
	MB_IDLE = 0,          /* not started, or the start failed */
	MB_HANDSHAKE,
	MB_OPEN,
	MB_CLOSING,           /* close_notify to send (after pending data) */
	MB_SHUT,              /* ours sent: reading until the peer's */
	MB_CLOSED
};

static const int mb_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0
};

static const mbedtls_ecp_group_id mb_curves[] = {
	MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
	MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE
};

static const int mb_hashes[] = {
	MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512, MBEDTLS_MD_NONE
};

const char *tls_backend(void)
{
	return "mbedtls";
}

int tls_mbedtls_last_ret(const struct tls_conn *c)
{
	return c->last_ret;
}

/* ---- configuration ---------------------------------------------------- */

#define MB_CFG_CLIENT 0x4d42434cu   /* "MBCL": a loaded client config */
#define MB_CFG_SERVER 0x4d425356u   /* "MBSV": a loaded server config */

/* One PEM certificate being read (config time only). */
static char mb_pem[16384];

static int mb_entropy(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	return hal_random(buf, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

static void mb_cfg_err(char *err, size_t errcap, const char *what, int ret)
{
	char msg[128];

	mbedtls_strerror(ret, msg, sizeof(msg));
	if (err && errcap)
		snprintf(err, errcap, "%s: %s (mbedtls -0x%04x)", what, msg, (unsigned)-ret);
}

static void mb_cfg_free(struct tls_config *cfg)
{
	mbedtls_ssl_config_free(&cfg->conf);
	mbedtls_ctr_drbg_free(&cfg->drbg);
	mbedtls_x509_crt_free(&cfg->certs);
	mbedtls_pk_free(&cfg->key);
	cfg->kind = 0;
}

/* Common part: contexts, RNG, defaults and the policy. A config loaded
 * before (kind) is freed first: its arena memory comes back. */
static int mb_cfg_init(struct tls_config *cfg, int endpoint, char *err, size_t errcap)
{
	static const unsigned char pers[] = "ilpd-tls";
	int ret;

	if (cfg->kind == MB_CFG_CLIENT || cfg->kind == MB_CFG_SERVER)
		mb_cfg_free(cfg);
	cfg->kind = 0;
	mbedtls_ssl_config_init(&cfg->conf);
	mbedtls_ctr_drbg_init(&cfg->drbg);
	mbedtls_x509_crt_init(&cfg->certs);
	mbedtls_pk_init(&cfg->key);
	ret = mbedtls_ctr_drbg_seed(&cfg->drbg, mb_entropy, NULL, pers, sizeof(pers) - 1);
	if (ret != 0) {
		mb_cfg_err(err, errcap, "random generator", ret);
		return -1;
	}
	ret = mbedtls_ssl_config_defaults(&cfg->conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0) {
		mb_cfg_err(err, errcap, "TLS defaults", ret);
		return -1;
	}
	mbedtls_ssl_conf_rng(&cfg->conf, mbedtls_ctr_drbg_random, &cfg->drbg);
	mbedtls_ssl_conf_min_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(&cfg->conf, mb_suites);
	mbedtls_ssl_conf_curves(&cfg->conf, mb_curves);
	mbedtls_ssl_conf_sig_hashes(&cfg->conf, mb_hashes);
	mbedtls_ssl_conf_session_tickets(&cfg->conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
	mbedtls_ssl_conf_renegotiation(&cfg->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	return 0;
}

/* Limits of a certificate list, with the same meaning for both backends:
 * at most max_n certificates and max_bytes of "key material" - for trust
 * anchors the subject DN plus the SubjectPublicKeyInfo (what BearSSL keeps
 * of an anchor), for a server chain the DER certificates. */
struct mb_load {
	const char *path;
	char *err;
	size_t errcap;
	bool anchors;
	size_t max_n, max_bytes;
	size_t n, bytes, skipped;
	unsigned line;
};

/* mbedTLS cannot use this certificate (algorithm it lacks): a bundle may
 * carry some; they are skipped. */
static bool mb_unsupported(int ret)
{
	int hi = -(-ret & 0xff80);

	return hi == MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG || hi == MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE ||
	       hi == MBEDTLS_ERR_X509_UNKNOWN_VERSION || hi == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG ||
	       ret == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG || ret == MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG;
}

/* Parses one PEM block (NUL-terminated, len without the NUL) onto crt. */
static int mb_load_one(struct mb_load *ld, mbedtls_x509_crt *crt, size_t len)
{
	const mbedtls_x509_crt *last;
	char where[600];
	int ret = mbedtls_x509_crt_parse(crt, (const unsigned char *)mb_pem, len + 1);

	snprintf(where, sizeof(where), "%s:%u", ld->path, ld->line);
	if (ret != 0 && ld->anchors && mb_unsupported(ret)) {
		ld->skipped++;
		return 0;
	}
	if (ret != 0) {
		mb_cfg_err(ld->err, ld->errcap, where, ret);
		return -1;
	}
	for (last = crt; last->next; last = last->next)
		;
	ld->n++;
	ld->bytes += ld->anchors ? last->subject_raw.len + last->pk_raw.len : last->raw.len;
	if (ld->n > ld->max_n || ld->bytes > ld->max_bytes) {
		snprintf(ld->err, ld->errcap, "%s: too many %s (%zu certificates, %zu bytes; "
			 "limits %zu and %zu)", where, ld->anchors ? "CA certificates" :
			 "certificates in the chain", ld->n, ld->bytes, ld->max_n, ld->max_bytes);
		return -1;
	}
	return 0;
}

/* Reads every PEM CERTIFICATE block of ld->path onto crt, one at a time
 * (no whole-file buffer in the arena). 0 or -1 with ld->err. */
static int mb_load_certs(struct mb_load *ld, mbedtls_x509_crt *crt)
{
	char line[256];
	size_t len = 0;
	bool in = false;
	int rc = 0;
	FILE *f = fopen(ld->path, "r");

	if (!f) {
		snprintf(ld->err, ld->errcap, "%s: cannot open", ld->path);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		ld->line++;
		if (!in && strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0) {
			in = true;
			len = 0;
		}
		if (!in)
			continue;
		if (len + n >= sizeof(mb_pem)) {
			snprintf(ld->err, ld->errcap, "%s:%u: certificate too large", ld->path, ld->line);
			rc = -1;
			break;
		}
		memcpy(mb_pem + len, line, n + 1);
		len += n;
		if (strncmp(line, "-----END CERTIFICATE-----", 25) == 0) {
			in = false;
			rc = mb_load_one(ld, crt, len);
		}
	}
	fclose(f);
	if (rc == 0 && (in || ld->n == 0)) {
		snprintf(ld->err, ld->errcap, "%s: %s", ld->path, in ? "truncated PEM certificate" :
			 ld->skipped ? "no certificate mbedTLS supports" : "no PEM certificate");
		rc = -1;
	}
	return rc;
}

int tls_config_client(struct tls_config *cfg, const char *ca_file, char *err, size_t errcap)
{
	struct mb_load ld = { .err = err, .errcap = errcap, .anchors = true,
			      .max_n = ILPD_TLS_MAX_ANCHORS, .max_bytes = ILPD_TLS_ANCHOR_BYTES };

	ld.path = ca_file ? ca_file : "/etc/ssl/certs/ca-certificates.crt";
	if (mb_cfg_init(cfg, MBEDTLS_SSL_IS_CLIENT, err, errcap) != 0 ||
	    mb_load_certs(&ld, &cfg->certs) != 0)
		goto fail;
	mbedtls_ssl_conf_authmode(&cfg->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&cfg->conf, &cfg->certs, NULL);
	cfg->kind = MB_CFG_CLIENT;
	return 0;
fail:
	mb_cfg_free(cfg);
	return -1;
}

/* The server's key: loads key_file and checks it against the leaf. */
static int mb_load_key(struct tls_config *cfg, const char *chain_file, const char *key_file,
		       char *err, size_t errcap)
{
	char what[600];
	int ret = mbedtls_pk_parse_keyfile(&cfg->key, key_file, NULL);

	if (ret != 0) {
		mb_cfg_err(err, errcap, key_file, ret);
		return -1;
	}
	ret = mbedtls_pk_check_pair(&cfg->certs.pk, &cfg->key);
	if (ret != 0) {
		snprintf(what, sizeof(what), "%s: the key does not match the certificate in %s",
			 key_file, chain_file);
		mb_cfg_err(err, errcap, what, ret);
		return -1;
	}
	ret = mbedtls_ssl_conf_own_cert(&cfg->conf, &cfg->certs, &cfg->key);
	if (ret != 0) {
		mb_cfg_err(err, errcap, chain_file, ret);
		return -1;
	}
	return 0;
}

int tls_config_server(struct tls_config *cfg, const char *chain_file,
		      const char *key_file, char *err, size_t errcap)
{
	struct mb_load ld = { .path = chain_file, .err = err, .errcap = errcap,
			      .max_n = 8, .max_bytes = ILPD_TLS_CHAIN_BYTES };

	if (mb_cfg_init(cfg, MBEDTLS_SSL_IS_SERVER, err, errcap) != 0 ||
	    mb_load_certs(&ld, &cfg->certs) != 0 ||
	    mb_load_key(cfg, chain_file, key_file, err, errcap) != 0)
		goto fail;
	mbedtls_ssl_conf_authmode(&cfg->conf, MBEDTLS_SSL_VERIFY_NONE);
	cfg->kind = MB_CFG_SERVER;
	return 0;
fail:
	mb_cfg_free(cfg);
	return -1;
}

/* ---- IP literals (mbedTLS 2.28 matches DNS names only) ----------------- */

/* Parses dotted IPv4 into out[4]; 0 or -1. */
static int mb_parse_ipv4(const char *s, uint8_t out[4])
{
	unsigned i, v, digits;

	for (i = 0; i < 4; i++) {
		v = 0;
		digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -1;
		out[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	return *s == '\0' ? 0 : -1;
}

/* Does the leaf's subjectAltName list the address ip (len 4)? Walks the
 * raw extensions: SEQUENCE OF { OID, [BOOLEAN], OCTET STRING }. */
static int mb_san_has_ip(const mbedtls_x509_crt *crt, const uint8_t *ip, size_t iplen)
{
	unsigned char *p = crt->v3_ext.p, *end = p + crt->v3_ext.len, *ext_end;
	size_t len;
	int crit;

	if (!p || mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
				       MBEDTLS_ASN1_SEQUENCE) != 0)
		return 0;
	while (p < end) {
		if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
					 MBEDTLS_ASN1_SEQUENCE) != 0)
			return 0;
		ext_end = p + len;
		if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OID) != 0)
			return 0;
		if (len != MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME) ||
		    memcmp(p, MBEDTLS_OID_SUBJECT_ALT_NAME, len) != 0) {
			p = ext_end;
			continue;
		}
		p += len;
		(void)mbedtls_asn1_get_bool(&p, ext_end, &crit);
		if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0 ||
		    mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_CONSTRUCTED |
					 MBEDTLS_ASN1_SEQUENCE) != 0)
			return 0;
		while (p < ext_end) {
			unsigned char tag = *p++;

			if (mbedtls_asn1_get_len(&p, ext_end, &len) != 0)
				return 0;
			if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && len == iplen &&
			    memcmp(p, ip, iplen) == 0)
				return 1;
			p += len;
		}
		return 0;
	}
	return 0;
}

/* ---- verification ------------------------------------------------------ */

static int mb_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct tls_conn *c = ctx;
	uint8_t h[32];
	unsigned diff = 0, i;

	if (depth != 0) {
		if (c->pinned)
			*flags = 0;
		return 0;
	}
	if (c->ip_name && !mb_san_has_ip(crt, c->ip, sizeof(c->ip)))
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	if (!c->pinned)
		return 0;
	if (mbedtls_sha256_ret(crt->pk_raw.p, crt->pk_raw.len, h, 0) != 0) {
		diff = 1;
	} else {
		for (i = 0; i < TLS_PIN_LEN; i++)
			diff |= (unsigned)(h[i] ^ c->pin[i]);
	}
	if (diff) {
		c->pin_failed = 1;
		*flags |= MBEDTLS_X509_BADCERT_OTHER;
	} else {
		*flags = 0;
	}
	return 0;
}

static enum tls_error mb_map_verify(const struct tls_conn *c, uint32_t f)
{
	if (c->pin_failed)
		return TLS_ERR_PIN_MISMATCH;
	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return TLS_ERR_UNKNOWN_CA;
	if (f & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE))
		return TLS_ERR_EXPIRED;
	if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		return TLS_ERR_NAME_MISMATCH;
	return TLS_ERR_BAD_CERT;
}

static bool mb_is_alloc_failure(int ret)
{
	int hi = -(-ret & 0xff80), lo = -(-ret & 0x7f);

	return hi == MBEDTLS_ERR_SSL_ALLOC_FAILED || hi == MBEDTLS_ERR_X509_ALLOC_FAILED ||
	       hi == MBEDTLS_ERR_PK_ALLOC_FAILED || hi == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
	       hi == MBEDTLS_ERR_CIPHER_ALLOC_FAILED || hi == MBEDTLS_ERR_MD_ALLOC_FAILED ||
	       lo == MBEDTLS_ERR_MPI_ALLOC_FAILED || lo == MBEDTLS_ERR_ASN1_ALLOC_FAILED;
}

/* The tls_error for an mbedTLS failure. */
static enum tls_error mb_map(const struct tls_conn *c, int ret)
{
	int hi = -(-ret & 0xff80);

	if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
		return mb_map_verify(c, c->vflags);
	if (mb_is_alloc_failure(ret))
		return TLS_ERR_INTERNAL;
	switch (hi) {
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
	case MBEDTLS_ERR_SSL_CONN_EOF:
		return TLS_ERR_CLOSED;
	case MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE:
	case MBEDTLS_ERR_SSL_PK_TYPE_MISMATCH:
		return TLS_ERR_BAD_CERT;
	case MBEDTLS_ERR_SSL_INVALID_MAC:
	case MBEDTLS_ERR_SSL_INVALID_RECORD:
	case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
	case MBEDTLS_ERR_SSL_UNEXPECTED_RECORD:
		return TLS_ERR_PROTOCOL;
	case MBEDTLS_ERR_SSL_INTERNAL_ERROR:
	case MBEDTLS_ERR_SSL_BAD_INPUT_DATA:
	case MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE:
	case MBEDTLS_ERR_SSL_HW_ACCEL_FAILED:
	case MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL:
		return TLS_ERR_INTERNAL;
	default:
		break;
	}
	if (hi >= -0x2fff && hi <= -0x2000)      /* X.509 parsing of the peer's chain */
		return TLS_ERR_BAD_CERT;
	return c->phase == MB_HANDSHAKE ? TLS_ERR_HANDSHAKE : TLS_ERR_PROTOCOL;
}

/* ---- the engine -------------------------------------------------------- */

static size_t q_avail(const struct tls_mb_q *q)
{
	return q->len - q->off;
}

/* Moves the queue's data to the front of buf when that makes room. */
static void q_compact(struct tls_mb_q *q, uint8_t *buf)
{
	if (q->off == q->len) {
		q->off = q->len = 0;
	} else if (q->off > 0) {
		memmove(buf, buf + q->off, q->len - q->off);
		q->len -= q->off;
		q->off = 0;
	}
}

static void q_take(struct tls_mb_q *q, size_t n)
{
	q->off += n;
	if (q->off >= q->len)
		q->off = q->len = 0;
}

static int mb_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	size_t n;

	if (c->rout.len + len > sizeof(c->rout_buf))
		q_compact(&c->rout, c->rout_buf);
	n = sizeof(c->rout_buf) - c->rout.len;
	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (n > len)
		n = len;
	memcpy(c->rout_buf + c->rout.len, buf, n);
	c->rout.len += n;
	return (int)n;
}

static int mb_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	size_t n = q_avail(&c->rin);

	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;
	memcpy(buf, c->rin_buf + c->rin.off, n);
	q_take(&c->rin, n);
	return (int)n;
}

static void mb_release(struct tls_conn *c)
{
	if (c->live == MB_LIVE)
		mbedtls_ssl_free(&c->ssl);
	c->live = 0;
}

/* Ends the connection with e (the first error sticks); ret is mbedTLS's. */
static void mb_fail(struct tls_conn *c, enum tls_error e, int ret)
{
	if (c->err == TLS_OK)
		c->err = (uint8_t)e;
	if (c->last_ret == 0)
		c->last_ret = ret;
	c->phase = MB_CLOSED;
	c->ain.off = c->ain.len = 0;
	c->aout.off = c->aout.len = 0;
	mb_release(c);
}

/* mbedTLS failed with ret while the arena had refused fails0 times. */
static void mb_fail_ret(struct tls_conn *c, int ret, unsigned long fails0)
{
	enum tls_error e;

	if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
		c->vflags = mbedtls_ssl_get_verify_result(&c->ssl);
	e = tls_arena_failures() != fails0 ? TLS_ERR_INTERNAL : mb_map(c, ret);
	mb_fail(c, e, ret);
}

static bool mb_want(int ret)
{
	return ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE;
}

static void mb_handshake(struct tls_conn *c, unsigned long fails0)
{
	int ret = mbedtls_ssl_handshake(&c->ssl);

	if (ret == 0)
		c->phase = MB_OPEN;
	else if (!mb_want(ret))
		mb_fail_ret(c, ret, fails0);
}

/* The plaintext length for the next record: what fits in rout. */
static size_t mb_chunk(struct tls_conn *c)
{
	size_t have = q_avail(&c->aout), room;
	int exp = mbedtls_ssl_get_record_expansion(&c->ssl);
	int max = mbedtls_ssl_get_max_out_record_payload(&c->ssl);

	if (c->rout.off > 0 && c->rout.len == sizeof(c->rout_buf))
		q_compact(&c->rout, c->rout_buf);
	room = sizeof(c->rout_buf) - c->rout.len;
	if (exp < 0 || max <= 0 || room <= (size_t)exp)
		return 0;
	room -= (size_t)exp;
	if (have > room)
		have = room;
	return have > (size_t)max ? (size_t)max : have;
}

/* Seals pending plaintext into records (all of it after tls_flush or
 * tls_close, else only a full buffer). */
static void mb_push(struct tls_conn *c, unsigned long fails0)
{
	while (c->phase == MB_OPEN || c->phase == MB_CLOSING) {
		size_t n = c->wpending;
		int ret;

		if (n == 0) {
			if (q_avail(&c->aout) == 0)
				break;
			if (!c->flush && c->aout.len < sizeof(c->aout_buf))
				break;
			n = mb_chunk(c);
			if (n == 0)
				break;
		}
		ret = mbedtls_ssl_write(&c->ssl, c->aout_buf + c->aout.off, n);
		if (ret > 0) {
			c->wpending = 0;
			q_take(&c->aout, (size_t)ret);
			if (q_avail(&c->aout) == 0)
				c->flush = 0;
		} else if (mb_want(ret)) {
			c->wpending = n;
			break;
		} else {
			mb_fail_ret(c, ret, fails0);
		}
	}
}

/* Opens incoming records into ain while there is room. */
static void mb_pull(struct tls_conn *c, unsigned long fails0)
{
	while (c->phase == MB_OPEN || c->phase == MB_SHUT) {
		int ret;

		if (c->ain.len == sizeof(c->ain_buf))
			q_compact(&c->ain, c->ain_buf);
		if (c->ain.len == sizeof(c->ain_buf))
			break;
		ret = mbedtls_ssl_read(&c->ssl, c->ain_buf + c->ain.len,
				       sizeof(c->ain_buf) - c->ain.len);
		if (ret > 0) {
			c->ain.len += (size_t)ret;
		} else if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			/* Answer with our close_notify (unless it went first);
			 * pending writes are discarded (RFC 5246 7.2.1). */
			if (c->err == TLS_OK)
				c->err = TLS_ERR_CLOSED;
			c->aout.off = c->aout.len = 0;
			c->flush = 0;
			c->peer_end |= MB_END_NOTIFY;
			if (c->phase == MB_SHUT)
				mb_fail(c, TLS_ERR_CLOSED, 0);
			else
				c->phase = MB_CLOSING;
		} else if (ret == 0 || mb_want(ret)) {
			break;
		} else {
			mb_fail_ret(c, ret, fails0);
		}
	}
}

/* CLOSING: once pending plaintext is sealed, writes close_notify; then
 * waits for the peer's (SHUT), unless that came first. */
static void mb_close_step(struct tls_conn *c, unsigned long fails0)
{
	int ret;

	if (q_avail(&c->aout) > 0 || c->wpending > 0) {
		c->flush = 1;
		mb_push(c, fails0);
		if (c->phase != MB_CLOSING || q_avail(&c->aout) > 0 || c->wpending > 0)
			return;
	}
	ret = mbedtls_ssl_close_notify(&c->ssl);
	if (mb_want(ret))
		return;
	if (c->err == TLS_OK)
		c->err = TLS_ERR_CLOSED;
	if ((c->peer_end & MB_END_NOTIFY) || ret != 0) {
		c->phase = MB_CLOSED;
		mb_release(c);
	} else {
		c->phase = MB_SHUT;
	}
}

/* After tls_recvrec_eof: once every whole record is opened and its
 * plaintext taken, nothing more can come; the connection is over. A
 * CLOSING engine first writes its close_notify (mb_close_step). */
static void mb_end_step(struct tls_conn *c)
{
	if (!(c->peer_end & MB_END_EOF) || q_avail(&c->ain) > 0)
		return;
	if (c->phase == MB_HANDSHAKE)
		mb_fail(c, TLS_ERR_HANDSHAKE, MBEDTLS_ERR_SSL_CONN_EOF);
	else if (c->phase == MB_OPEN || c->phase == MB_SHUT)
		mb_fail(c, TLS_ERR_TRUNCATED, MBEDTLS_ERR_SSL_CONN_EOF);
}

/* Runs mbedTLS until it waits for the socket or the caller. */
static void mb_pump(struct tls_conn *c)
{
	unsigned long fails0 = tls_arena_failures();

	if (c->phase == MB_HANDSHAKE)
		mb_handshake(c, fails0);
	if (c->phase == MB_OPEN) {
		mb_push(c, fails0);
		mb_pull(c, fails0);
	}
	if (c->phase == MB_CLOSING)
		mb_close_step(c, fails0);
	if (c->phase == MB_SHUT)
		mb_pull(c, fails0);
	mb_end_step(c);
}

/* ---- starting and ending ------------------------------------------------ */

static int mb_start_client(struct tls_conn *c, const char *server_name, const uint8_t *pin)
{
	int ret;

	if (pin) {
		memcpy(c->pin, pin, TLS_PIN_LEN);
		c->pinned = 1;
	}
	if (server_name && mb_parse_ipv4(server_name, c->ip) == 0) {
		c->ip_name = 1;                   /* no SNI for addresses */
	} else if (server_name) {
		ret = mbedtls_ssl_set_hostname(&c->ssl, server_name);
		if (ret != 0) {
			mb_fail(c, TLS_ERR_INTERNAL, ret);
			return -1;
		}
	}
	mbedtls_ssl_set_verify(&c->ssl, mb_verify, c);
	return 0;
}

int tls_conn_start(struct tls_conn *c, const struct tls_config *cfg,
		   enum tls_role role, const char *server_name, const uint8_t *pin)
{
	int ret;

	mb_release(c);
	memset(c, 0, offsetof(struct tls_conn, rin_buf));
	c->cfg = cfg;
	c->role = (uint8_t)role;
	mbedtls_ssl_init(&c->ssl);
	if (server_name && !server_name[0])
		server_name = NULL;
	/* A client checks a name or a pin; a config serves one role. */
	if ((role == TLS_CLIENT && !server_name && !pin) || !cfg ||
	    cfg->kind != (role == TLS_CLIENT ? MB_CFG_CLIENT : MB_CFG_SERVER)) {
		mb_fail(c, TLS_ERR_INTERNAL, 0);
		return -1;
	}
	c->live = MB_LIVE;
	ret = mbedtls_ssl_setup(&c->ssl, &cfg->conf);
	if (ret != 0) {
		mb_fail(c, TLS_ERR_INTERNAL, ret);
		return -1;
	}
	if (role == TLS_CLIENT && mb_start_client(c, server_name, pin) != 0)
		return -1;
	mbedtls_ssl_set_bio(&c->ssl, c, mb_send, mb_recv, NULL);
	c->phase = MB_HANDSHAKE;
	mb_pump(c);
	return 0;
}

void tls_close(struct tls_conn *c)
{
	switch ((enum tls_mb_phase)c->phase) {
	case MB_HANDSHAKE:
		mb_fail(c, TLS_ERR_CLOSED, 0);
		break;
	case MB_OPEN:
		c->phase = MB_CLOSING;
		mb_pump(c);
		break;
	case MB_IDLE:
	case MB_CLOSING:
	case MB_SHUT:
	case MB_CLOSED:
		break;
	}
}

void tls_conn_release(struct tls_conn *c)
{
	if (c->phase != MB_IDLE && c->phase != MB_CLOSED)
		mb_fail(c, TLS_ERR_CLOSED, 0);
	mb_release(c);
	c->rin.off = c->rin.len = 0;
	c->rout.off = c->rout.len = 0;
}

/* ---- state and channels -------------------------------------------------- */

unsigned tls_state(const struct tls_conn *c)
{
	unsigned s = 0;

	if (q_avail(&c->rout) > 0)
		s |= TLS_ST_SENDREC;
	if (q_avail(&c->ain) > 0)
		s |= TLS_ST_RECVAPP;
	switch ((enum tls_mb_phase)c->phase) {
	case MB_OPEN:
	case MB_HANDSHAKE:
	case MB_SHUT:
		if (!(c->peer_end & MB_END_EOF) &&
		    (c->rin.len < sizeof(c->rin_buf) || c->rin.off > 0))
			s |= TLS_ST_RECVREC;
		if (c->phase == MB_OPEN && (c->aout.len < sizeof(c->aout_buf) ||
					    (c->aout.off > 0 && c->wpending == 0)))
			s |= TLS_ST_SENDAPP;
		return s;
	case MB_CLOSING:
		return s;
	case MB_IDLE:
	case MB_CLOSED:
		break;
	}
	/* A clean close is final once its bytes are out and read; after the
	 * end of the socket once read (nobody takes the bytes out). */
	if (c->err == TLS_ERR_CLOSED && (s & TLS_ST_RECVAPP))
		return s;
	if (c->err == TLS_ERR_CLOSED && s != 0 && !(c->peer_end & MB_END_EOF))
		return s;
	return s | TLS_ST_CLOSED;
}

enum tls_error tls_error(const struct tls_conn *c)
{
	return (enum tls_error)c->err;
}

uint8_t *tls_sendrec_buf(struct tls_conn *c, size_t *len)
{
	*len = q_avail(&c->rout);
	return *len ? c->rout_buf + c->rout.off : NULL;
}

void tls_sendrec_ack(struct tls_conn *c, size_t n)
{
	if (n > q_avail(&c->rout))
		n = q_avail(&c->rout);
	q_take(&c->rout, n);
	mb_pump(c);
}

uint8_t *tls_recvrec_buf(struct tls_conn *c, size_t *len)
{
	if ((c->phase != MB_HANDSHAKE && c->phase != MB_OPEN && c->phase != MB_SHUT) ||
	    (c->peer_end & MB_END_EOF)) {
		*len = 0;
		return NULL;
	}
	if (c->rin.len == sizeof(c->rin_buf) || c->rin.off == c->rin.len)
		q_compact(&c->rin, c->rin_buf);
	*len = sizeof(c->rin_buf) - c->rin.len;
	return *len ? c->rin_buf + c->rin.len : NULL;
}

void tls_recvrec_ack(struct tls_conn *c, size_t n)
{
	if ((c->phase != MB_HANDSHAKE && c->phase != MB_OPEN && c->phase != MB_SHUT) ||
	    (c->peer_end & MB_END_EOF))
		return;
	if (n > sizeof(c->rin_buf) - c->rin.len)
		n = sizeof(c->rin_buf) - c->rin.len;
	c->rin.len += n;
	mb_pump(c);
}

uint8_t *tls_sendapp_buf(struct tls_conn *c, size_t *len)
{
	if (c->phase != MB_OPEN) {
		*len = 0;
		return NULL;
	}
	if (c->wpending == 0 && c->aout.len == sizeof(c->aout_buf))
		q_compact(&c->aout, c->aout_buf);
	*len = sizeof(c->aout_buf) - c->aout.len;
	return *len ? c->aout_buf + c->aout.len : NULL;
}

void tls_sendapp_ack(struct tls_conn *c, size_t n)
{
	if (c->phase != MB_OPEN)
		return;
	if (n > sizeof(c->aout_buf) - c->aout.len)
		n = sizeof(c->aout_buf) - c->aout.len;
	c->aout.len += n;
	if (c->aout.len == sizeof(c->aout_buf))
		mb_pump(c);
}

uint8_t *tls_recvapp_buf(struct tls_conn *c, size_t *len)
{
	*len = q_avail(&c->ain);
	return *len ? c->ain_buf + c->ain.off : NULL;
}

void tls_recvapp_ack(struct tls_conn *c, size_t n)
{
	if (n > q_avail(&c->ain))
		n = q_avail(&c->ain);
	q_take(&c->ain, n);
	mb_pump(c);
}

void tls_recvrec_eof(struct tls_conn *c)
{
	c->peer_end |= MB_END_EOF;   /* tls_conn_start clears it */
	if (c->phase != MB_IDLE && c->phase != MB_CLOSED)
		mb_pump(c);
}

void tls_flush(struct tls_conn *c)
{
	if (c->phase != MB_OPEN)
		return;
	if (q_avail(&c->aout) > 0)
		c->flush = 1;
	mb_pump(c);
}
