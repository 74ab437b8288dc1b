/*
 * tls_bearssl_pin.c - the BearSSL backend's SPKI pin checker: a
 * br_x509_class that accepts exactly the server key whose
 * SubjectPublicKeyInfo hashes (SHA-256) to the configured pin, walking the
 * leaf certificate's DER as it streams in (the rules are in the notes at
 * the top of tls_bearssl.c, "Client with a pin"). A pure engine: bytes in,
 * a key or a refusal out. Memory: struct tls_br_pin inside the
 * connection's x509 union (net/tls_bearssl.h); no heap.
 */
#include "net/tls.h"

#include <string.h>

#include "hal/hal_crypto.h"

#include "tls_bearssl_int.h"

/* ---- SPKI pin checker (br_x509_class) ------------------------------------ */

enum { PIN_HDR, PIN_SKIP, PIN_HASH, PIN_DONE, PIN_FAIL };

/* Acts on a complete DER header in p->hdr (content length clen). */
static void tls_br_pin_item(struct tls_br_pin *p, uint32_t clen)
{
	uint8_t tag = p->hdr[0];

	p->hlen = 0;
	p->walk = PIN_HDR;
	if (p->depth < 2) {                   /* Certificate, tbsCertificate */
		if (tag != 0x30)
			p->walk = PIN_FAIL;
		p->depth++;
		return;
	}
	if (p->item == 0 && tag == 0xa0) {    /* [0] EXPLICIT version */
		p->remain = clen;
	} else if (p->item < 5) {             /* serial .. subject */
		p->item++;
		p->remain = clen;
	} else {                              /* subjectPublicKeyInfo */
		if (tag != 0x30) {
			p->walk = PIN_FAIL;
			return;
		}
		br_sha256_update(&p->sha, p->hdr, p->hlen_done);
		p->remain = clen;
		p->walk = clen > 0 ? PIN_HASH : PIN_DONE;
		return;
	}
	if (p->remain > 0)
		p->walk = PIN_SKIP;
}

/* Adds one header byte; acts on the header once it is complete. */
static void tls_br_pin_hdr(struct tls_br_pin *p, uint8_t b)
{
	uint32_t clen = 0;
	unsigned nb;

	p->hdr[p->hlen++] = b;
	if (p->hlen == 1) {
		if ((b & 0x1f) == 0x1f)       /* high tag numbers: not in X.509 */
			p->walk = PIN_FAIL;
		return;
	}
	if (p->hdr[1] < 0x80) {
		clen = p->hdr[1];
	} else {
		nb = p->hdr[1] & 0x7fu;
		if (nb == 0 || nb > 4) {      /* indefinite or absurd length */
			p->walk = PIN_FAIL;
			return;
		}
		if (p->hlen < 2 + nb)
			return;
		for (unsigned i = 0; i < nb; i++)
			clen = (clen << 8) | p->hdr[2 + i];
	}
	p->hlen_done = p->hlen;
	tls_br_pin_item(p, clen);
}

static void tls_br_pin_walk(struct tls_br_pin *p, const uint8_t *buf, size_t len)
{
	while (len > 0 && p->walk != PIN_DONE && p->walk != PIN_FAIL) {
		if (p->walk == PIN_HDR) {
			tls_br_pin_hdr(p, *buf++);
			len--;
			continue;
		}
		size_t n = len < p->remain ? len : p->remain;
		if (p->walk == PIN_HASH)
			br_sha256_update(&p->sha, buf, n);
		buf += n;
		len -= n;
		p->remain -= (uint32_t)n;
		if (p->remain == 0)
			p->walk = p->walk == PIN_HASH ? PIN_DONE : PIN_HDR;
	}
}

static struct tls_br_pin *tls_br_pin_of(const br_x509_class **ctx)
{
	return (struct tls_br_pin *)(void *)ctx;
}

static void tls_br_pin_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_br_pin *p = tls_br_pin_of(ctx);

	(void)server_name;
	br_x509_decoder_init(&p->dec, NULL, NULL);
	br_sha256_init(&p->sha);
	p->certs = 0;
	p->remain = 0;
	p->hlen = 0;
	p->depth = 0;
	p->item = 0;
	p->walk = PIN_HDR;
	p->mismatch = 0;
	p->pkey = NULL;
}

static void tls_br_pin_start_cert(const br_x509_class **ctx, uint32_t length)
{
	(void)length;
	tls_br_pin_of(ctx)->certs++;
}

static void tls_br_pin_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct tls_br_pin *p = tls_br_pin_of(ctx);

	if (p->certs != 1)                    /* only the leaf matters */
		return;
	br_x509_decoder_push(&p->dec, buf, len);
	tls_br_pin_walk(p, buf, len);
}

static void tls_br_pin_end_cert(const br_x509_class **ctx)
{
	(void)ctx;
}

static unsigned tls_br_pin_end_chain(const br_x509_class **ctx)
{
	struct tls_br_pin *p = tls_br_pin_of(ctx);
	uint8_t got[32];
	int e;

	if (p->certs == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	e = br_x509_decoder_last_error(&p->dec);
	if (e != 0)
		return (unsigned)e;
	if (p->walk != PIN_DONE)
		return BR_ERR_X509_UNEXPECTED;
	br_sha256_out(&p->sha, got);
	if (hal_memeq_ct(got, p->want, sizeof(got)) != 0) {
		p->mismatch = 1;
		return BR_ERR_X509_NOT_TRUSTED;
	}
	p->pkey = br_x509_decoder_get_pkey(&p->dec);
	return p->pkey != NULL ? 0 : BR_ERR_X509_UNEXPECTED;
}

static const br_x509_pkey *tls_br_pin_get_pkey(const br_x509_class *const *ctx,
					       unsigned *usages)
{
	const struct tls_br_pin *p = (const struct tls_br_pin *)(const void *)ctx;

	if (usages != NULL)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return p->pkey;
}

const br_x509_class tls_br_pin_vtable = {
	sizeof(struct tls_br_pin),
	tls_br_pin_start_chain,
	tls_br_pin_start_cert,
	tls_br_pin_append,
	tls_br_pin_end_cert,
	tls_br_pin_end_chain,
	tls_br_pin_get_pkey,
};
