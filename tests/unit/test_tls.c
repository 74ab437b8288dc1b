/*
 * test_tls.c - the TLS engine of net/tls.h, whichever backend is built
 * (only tls.h's API is used). A client and a server tls_conn talk through
 * memory: records are pumped between their sendrec and recvrec channels,
 * optionally a few bytes at a time or with one byte corrupted. Covers the
 * handshake with EC and RSA server keys, application data both ways
 * (0 B .. 40 KiB), SPKI pins, every verification failure (expired, unknown
 * CA, name mismatch, pin mismatch), close_notify, corrupted records, the
 * end of the socket (tls_recvrec_eof: every whole record still delivered,
 * then TLS_ERR_TRUNCATED or TLS_ERR_CLOSED), configuration errors and the
 * trust anchor limits.
 *
 * Usage: test_tls PKI_DIR, where PKI_DIR was filled by
 * tests/tls/make-certs.sh (the ctest fixture test_tls_pki does it).
 */
#include <stdio.h>
#include <string.h>

#include "net/tls.h"
#include "th.h"

#define DEBIAN_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

static const char *pki;
static struct tls_config ccfg, scfg;
static struct tls_conn cli, srv;
static char err[512];
static uint8_t rxbuf[65536];

/* Transfer knobs: bytes per socket "read", and one byte of one direction
 * (0 client->server, 1 server->client) to flip, by offset in that stream. */
static size_t chunk_max;
static int corrupt_dir = -1;
static size_t corrupt_at;
static size_t stream_pos[2];

/* ---- helpers ------------------------------------------------------------- */

/* PKI_DIR/name, in one of four rotating buffers. */
static const char *P(const char *name)
{
	static char bufs[4][512];
	static unsigned k;
	char *b = bufs[k++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", pki, name);
	return b;
}

/* Reads a pin file (64 hex digits) written by make-certs.sh. */
static bool read_pin(const char *name, uint8_t pin[TLS_PIN_LEN])
{
	char hex[128] = "";
	FILE *f = fopen(P(name), "r");

	if (f == NULL)
		return false;
	if (fgets(hex, sizeof(hex), f) == NULL)
		hex[0] = '\0';
	fclose(f);
	hex[strcspn(hex, "\r\n")] = '\0';
	return th_unhex(hex, pin, TLS_PIN_LEN) == TLS_PIN_LEN;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

/* Moves record bytes from one side to the other while both can. */
static size_t xfer(struct tls_conn *from, struct tls_conn *to, int dir)
{
	size_t total = 0, olen, ilen, n;
	uint8_t *o, *in;

	for (;;) {
		o = tls_sendrec_buf(from, &olen);
		if (o == NULL || olen == 0)
			break;
		in = tls_recvrec_buf(to, &ilen);
		if (in == NULL || ilen == 0)
			break;
		n = min3(olen, ilen, chunk_max);
		memcpy(in, o, n);
		if (dir == corrupt_dir && corrupt_at >= stream_pos[dir] &&
		    corrupt_at < stream_pos[dir] + n)
			in[corrupt_at - stream_pos[dir]] ^= 0x55;
		stream_pos[dir] += n;
		tls_sendrec_ack(from, n);
		tls_recvrec_ack(to, n);
		total += n;
	}
	return total;
}

/* Pumps records both ways until nothing moves (bounded). */
static void pump(void)
{
	for (int i = 0; i < 100000; i++)
		if (xfer(&cli, &srv, 0) + xfer(&srv, &cli, 1) == 0)
			return;
	th_fail(__FILE__, __LINE__, "pump did not settle");
}

static bool both_open(void)
{
	return (tls_state(&cli) & TLS_ST_SENDAPP) && (tls_state(&srv) & TLS_ST_SENDAPP);
}

static void reset_knobs(void)
{
	chunk_max = SIZE_MAX;
	corrupt_dir = -1;
	stream_pos[0] = stream_pos[1] = 0;
}

/* Loads both configurations and starts both ends. 0 or -1. */
static int start(const char *chain, const char *key, const char *ca,
		 const char *name, const uint8_t *pin)
{
	reset_knobs();
	if (tls_config_server(&scfg, P(chain), P(key), err, sizeof(err)) != 0) {
		th_fail(__FILE__, __LINE__, "server config: %s", err);
		return -1;
	}
	if (tls_config_client(&ccfg, P(ca), err, sizeof(err)) != 0) {
		th_fail(__FILE__, __LINE__, "client config: %s", err);
		return -1;
	}
	if (tls_conn_start(&srv, &scfg, TLS_SERVER, NULL, NULL) != 0 ||
	    tls_conn_start(&cli, &ccfg, TLS_CLIENT, name, pin) != 0) {
		th_fail(__FILE__, __LINE__, "tls_conn_start failed");
		return -1;
	}
	return 0;
}

/* Handshake expected to fail on the client with `want`. */
static void expect_client_error(const char *chain, const char *key, const char *ca,
				const char *name, const uint8_t *pin, enum tls_error want)
{
	if (start(chain, key, ca, name, pin) != 0)
		return;
	pump();
	CHECK(!both_open());
	CHECK(tls_state(&cli) & TLS_ST_CLOSED);
	CHECK_EQ(tls_error(&cli), want);
	if (tls_error(&cli) != want)
		printf("  client error: %s\n", tls_error_str(tls_error(&cli)));
	CHECK(tls_sendapp_buf(&cli, &(size_t){ 0 }) == NULL);
}

static uint8_t pattern(size_t i, size_t n)
{
	return (uint8_t)(i * 31u + n + (i >> 8));
}

/* Sends n bytes from one end and reads them at the other. */
static bool send_recv(struct tls_conn *from, struct tls_conn *to, size_t n)
{
	size_t sent = 0, got = 0, len;
	bool same = true;
	uint8_t *b;

	for (int guard = 0; (sent < n || got < n) && guard < 10000; guard++) {
		b = tls_sendapp_buf(from, &len);
		if (sent < n && b != NULL && len > 0) {
			size_t k = len < n - sent ? len : n - sent;
			for (size_t i = 0; i < k; i++)
				b[i] = pattern(sent + i, n);
			tls_sendapp_ack(from, k);
			sent += k;
			tls_flush(from);
		}
		pump();
		while ((b = tls_recvapp_buf(to, &len)) != NULL && len > 0) {
			for (size_t i = 0; i < len && got + i < n; i++)
				same = same && b[i] == pattern(got + i, n);
			got += len;
			tls_recvapp_ack(to, len);
		}
		if ((tls_state(from) | tls_state(to)) & TLS_ST_CLOSED)
			break;
	}
	if (n == 0) {
		tls_flush(from);
		pump();
		return tls_recvapp_buf(to, &len) == NULL;
	}
	return sent == n && got == n && same;
}

/* Writes `copies` copies of PKI_DIR/src into PKI_DIR/dst. */
static bool write_copies(const char *dst, const char *src, int copies)
{
	FILE *in = fopen(P(src), "rb"), *out;
	size_t n;

	if (in == NULL)
		return false;
	n = fread(rxbuf, 1, sizeof(rxbuf), in);
	fclose(in);
	out = fopen(P(dst), "wb");
	if (out == NULL)
		return false;
	for (int i = 0; i < copies; i++)
		fwrite(rxbuf, 1, n, out);
	return fclose(out) == 0 && n > 0;
}

static bool write_text(const char *dst, const char *text)
{
	FILE *out = fopen(P(dst), "wb");

	if (out == NULL)
		return false;
	fputs(text, out);
	return fclose(out) == 0;
}

/* Writes the longest PEM certificate of Debian's CA bundle to
 * PKI_DIR/big.pem. False if there is no bundle. */
static bool largest_bundle_cert(void)
{
	static char line[256], cur[8192], best[8192];
	size_t curlen = 0, bestlen = 0;
	bool in = false;
	FILE *f = fopen(DEBIAN_CA_FILE, "r");

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		if (strncmp(line, "-----BEGIN CERTIFICATE", 22) == 0) {
			in = true;
			curlen = 0;
		}
		if (in && curlen + n < sizeof(cur)) {
			memcpy(cur + curlen, line, n);
			curlen += n;
		}
		if (in && strncmp(line, "-----END CERTIFICATE", 20) == 0) {
			in = false;
			if (curlen > bestlen) {
				memcpy(best, cur, curlen);
				bestlen = curlen;
			}
		}
	}
	fclose(f);
	best[bestlen] = '\0';
	return bestlen > 0 && write_text("big.pem", best);
}

/* ---- tests --------------------------------------------------------------- */

static void test_sizes(void)
{
	printf("  backend %s: sizeof(struct tls_conn) = %zu, sizeof(struct tls_config) = %zu\n",
	       tls_backend(), sizeof(struct tls_conn), sizeof(struct tls_config));
	CHECK(strcmp(tls_backend(), "none") != 0);
	for (int e = TLS_OK; e <= TLS_ERR_TRUNCATED; e++)
		CHECK(tls_error_str((enum tls_error)e)[0] != '\0');
}

static void test_ec_data(void)
{
	static const size_t sizes[] = { 0, 1, 16384, 40960 };
	size_t len;

	if (start("chain.pem", "server.key", "ca.pem", "localhost", NULL) != 0)
		return;
	CHECK(tls_sendapp_buf(&cli, &len) == NULL);   /* not before the handshake */
	CHECK_EQ(tls_error(&cli), TLS_OK);
	pump();
	CHECK(both_open());
	CHECK_EQ(tls_error(&cli), TLS_OK);
	CHECK_EQ(tls_error(&srv), TLS_OK);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK(send_recv(&cli, &srv, sizes[i]));
		CHECK(send_recv(&srv, &cli, sizes[i]));
	}
	CHECK(both_open());
}

static void test_rsa_data(void)
{
	if (start("rsa-server.pem", "rsa-server.key", "ca.pem", "localhost", NULL) != 0)
		return;
	pump();
	CHECK(both_open());
	CHECK(send_recv(&cli, &srv, 1));
	CHECK(send_recv(&srv, &cli, 40960));
	CHECK(send_recv(&cli, &srv, 40960));
}

/* The socket hands over 1 byte at a time during the handshake, then odd
 * sizes: the engine must reassemble records from any split. */
static void test_small_reads(void)
{
	if (start("chain.pem", "server.key", "ca.pem", "localhost", NULL) != 0)
		return;
	chunk_max = 1;
	pump();
	CHECK(both_open());
	chunk_max = 701;
	CHECK(send_recv(&cli, &srv, 40960));
	CHECK(send_recv(&srv, &cli, 40960));
}

static void test_pin(void)
{
	uint8_t pin_self[TLS_PIN_LEN], pin_server[TLS_PIN_LEN];

	CHECK(read_pin("selfsigned.pin", pin_self));
	CHECK(read_pin("server.pin", pin_server));
	/* Self-signed server: no CA knows it, the pin alone is trusted. */
	if (start("selfsigned.pem", "selfsigned.key", "ca.pem", "localhost", pin_self) != 0)
		return;
	pump();
	CHECK(both_open());
	CHECK(send_recv(&cli, &srv, 100));
	/* A pin also works for a CA-signed server. */
	if (start("chain.pem", "server.key", "other-ca.pem", "localhost", pin_server) != 0)
		return;
	pump();
	CHECK(both_open());
	/* Wrong pin. */
	expect_client_error("selfsigned.pem", "selfsigned.key", "ca.pem", "localhost",
			    pin_server, TLS_ERR_PIN_MISMATCH);
	expect_client_error("chain.pem", "server.key", "ca.pem", "localhost",
			    pin_self, TLS_ERR_PIN_MISMATCH);
	pin_server[31] ^= 1;
	expect_client_error("chain.pem", "server.key", "ca.pem", "localhost",
			    pin_server, TLS_ERR_PIN_MISMATCH);
}

static void test_verify_failures(void)
{
	expect_client_error("expired.pem", "expired.key", "ca.pem", "localhost", NULL,
			    TLS_ERR_EXPIRED);
	expect_client_error("chain.pem", "server.key", "other-ca.pem", "localhost", NULL,
			    TLS_ERR_UNKNOWN_CA);
	expect_client_error("selfsigned.pem", "selfsigned.key", "ca.pem", "localhost", NULL,
			    TLS_ERR_UNKNOWN_CA);
	expect_client_error("wrongname.pem", "wrongname.key", "ca.pem", "localhost", NULL,
			    TLS_ERR_NAME_MISMATCH);
	expect_client_error("chain.pem", "server.key", "ca.pem", "other.example", NULL,
			    TLS_ERR_NAME_MISMATCH);
}

static void test_close_notify(void)
{
	if (start("chain.pem", "server.key", "ca.pem", "localhost", NULL) != 0)
		return;
	pump();
	CHECK(both_open());
	CHECK(send_recv(&cli, &srv, 10));
	tls_close(&cli);
	pump();
	CHECK(tls_state(&srv) & TLS_ST_CLOSED);
	CHECK(tls_state(&cli) & TLS_ST_CLOSED);
	CHECK_EQ(tls_error(&srv), TLS_ERR_CLOSED);
	CHECK_EQ(tls_error(&cli), TLS_ERR_CLOSED);
}

static void test_corrupt(void)
{
	enum tls_error e;

	/* Application data: one flipped byte fails the record's AEAD tag. */
	if (start("chain.pem", "server.key", "ca.pem", "localhost", NULL) != 0)
		return;
	pump();
	CHECK(both_open());
	corrupt_dir = 0;
	corrupt_at = stream_pos[0] + 20;
	CHECK(!send_recv(&cli, &srv, 100));
	CHECK(tls_state(&srv) & TLS_ST_CLOSED);
	CHECK_EQ(tls_error(&srv), TLS_ERR_PROTOCOL);

	/* Handshake: a flipped byte in the ServerHello's random breaks the
	 * signed key exchange (or the Finished check). */
	if (start("chain.pem", "server.key", "ca.pem", "localhost", NULL) != 0)
		return;
	corrupt_dir = 1;
	corrupt_at = 20;
	pump();
	CHECK(!both_open());
	e = tls_error(&cli);
	CHECK(e == TLS_ERR_HANDSHAKE || e == TLS_ERR_PROTOCOL);
	if (e != TLS_ERR_HANDSHAKE && e != TLS_ERR_PROTOCOL)
		printf("  client error: %s\n", tls_error_str(e));
}

/* ---- the end of the socket (tls_recvrec_eof) ----------------------------- */

/* The socket between the two ends: record bytes written, not yet read. */
static uint8_t wire[65536];
static size_t wire_len;

/* Moves every record `from` has into the wire. */
static void to_wire(struct tls_conn *from)
{
	uint8_t *o;
	size_t olen;

	while ((o = tls_sendrec_buf(from, &olen)) != NULL && olen > 0) {
		if (olen > sizeof(wire) - wire_len) {
			th_fail(__FILE__, __LINE__, "wire full");
			return;
		}
		memcpy(wire + wire_len, o, olen);
		wire_len += olen;
		tls_sendrec_ack(from, olen);
	}
}

/* Writes `records` records of `size` bytes of pattern(i, total) from
 * `from` into the wire (one tls_flush each). */
static void write_records(struct tls_conn *from, int records, size_t size)
{
	size_t total = (size_t)records * size, sent = 0;

	wire_len = 0;
	for (int r = 0; r < records; r++) {
		size_t left = size;

		for (int guard = 0; left > 0 && guard < 1000; guard++) {
			size_t len;
			uint8_t *b = tls_sendapp_buf(from, &len);

			if (b == NULL || len == 0) {
				tls_flush(from);
				to_wire(from);
				continue;
			}
			if (len > left)
				len = left;
			for (size_t i = 0; i < len; i++)
				b[i] = pattern(sent + i, total);
			tls_sendapp_ack(from, len);
			sent += len;
			left -= len;
		}
		tls_flush(from);
		to_wire(from);
	}
	CHECK_EQ(sent, total);
}

/* The socket of `to` hands over the wire but its last `cut` bytes, then
 * ends: tls_recvrec_eof as soon as the last byte is in (so plaintext is
 * still inside the engine), or with `late` only once the engine has no
 * plaintext left; the plaintext is read 700 bytes at a time. Returns the
 * plaintext bytes read (pattern-checked against `total`). */
static size_t read_to_end(struct tls_conn *to, size_t cut, size_t total, bool late, bool *same)
{
	size_t off = 0, got = 0, end = wire_len - cut;
	bool eof = false;

	*same = true;
	for (int guard = 0; guard < 100000; guard++) {
		size_t len;
		uint8_t *b;

		while (off < end && (b = tls_recvrec_buf(to, &len)) != NULL && len > 0) {
			if (len > end - off)
				len = end - off;
			memcpy(b, wire + off, len);
			tls_recvrec_ack(to, len);
			off += len;
		}
		if (off == end && !eof && (!late || tls_recvapp_buf(to, &len) == NULL)) {
			tls_recvrec_eof(to);
			eof = true;
		}
		if (eof && (tls_state(to) & TLS_ST_RECVREC)) {
			th_fail(__FILE__, __LINE__, "RECVREC after tls_recvrec_eof");
			break;
		}
		b = tls_recvapp_buf(to, &len);
		if (b != NULL && len > 0) {
			if (len > 700)
				len = 700;
			for (size_t i = 0; i < len; i++)
				*same = *same && got + i < total && b[i] == pattern(got + i, total);
			got += len;
			tls_recvapp_ack(to, len);
			continue;
		}
		if (tls_state(to) & TLS_ST_CLOSED)
			break;
		if (eof) {
			th_fail(__FILE__, __LINE__, "ended socket: engine neither CLOSED nor RECVAPP");
			break;
		}
	}
	return got;
}

/* Records, then the socket ends without close_notify: every whole record
 * is read, then TLS_ERR_TRUNCATED; a partial last record is dropped. */
static void eof_case(bool from_client, int records, size_t size, size_t cut, bool late)
{
	struct tls_conn *from = from_client ? &cli : &srv, *to = from_client ? &srv : &cli;
	size_t total = (size_t)records * size, want = cut == 0 ? total : total - size, got;
	bool same;

	if (start("chain.pem", "server.key", "ca.pem", "localhost", NULL) != 0)
		return;
	pump();
	CHECK(both_open());
	write_records(from, records, size);
	got = read_to_end(to, cut, total, late, &same);
	if (got != want)
		printf("  %s -> %s, %d x %zu bytes, cut %zu: read %zu of %zu\n",
		       from_client ? "client" : "server", from_client ? "server" : "client",
		       records, size, cut, got, want);
	CHECK_EQ(got, want);
	CHECK(same);
	CHECK(tls_state(to) & TLS_ST_CLOSED);
	CHECK_EQ(tls_error(to), TLS_ERR_TRUNCATED);
	CHECK(tls_recvrec_buf(to, &(size_t){ 0 }) == NULL);
}

static void test_eof_truncated(void)
{
	eof_case(true, 1, 100, 0, false);
	eof_case(true, 5, 3000, 0, false);   /* more than one engine buffer */
	eof_case(false, 5, 3000, 0, false);
	eof_case(true, 40, 50, 0, false);    /* many small records */
	eof_case(false, 3, 1000, 10, false); /* the last record cut short */
	eof_case(true, 3, 1000, 1, false);
	eof_case(true, 5, 3000, 0, true);    /* the end after the last read */
	eof_case(false, 3, 1000, 10, true);
}

/* Records, close_notify, then the socket ends: all read, TLS_ERR_CLOSED. */
static void test_eof_close_notify(void)
{
	for (int k = 0; k < 4; k++) {
		struct tls_conn *from = k % 2 == 0 ? &cli : &srv, *to = k % 2 == 0 ? &srv : &cli;
		bool same;

		if (start("chain.pem", "server.key", "ca.pem", "localhost", NULL) != 0)
			return;
		pump();
		CHECK(both_open());
		write_records(from, 4, 2500);
		tls_close(from);
		to_wire(from);
		CHECK_EQ(read_to_end(to, 0, 10000, k >= 2, &same), 10000);
		CHECK(same);
		CHECK(tls_state(to) & TLS_ST_CLOSED);
		CHECK_EQ(tls_error(to), TLS_ERR_CLOSED);
	}
}

/* The socket ends during the handshake: TLS_ERR_HANDSHAKE, at once. */
static void test_eof_handshake(void)
{
	if (start("chain.pem", "server.key", "ca.pem", "localhost", NULL) != 0)
		return;
	tls_recvrec_eof(&cli);
	CHECK(tls_state(&cli) & TLS_ST_CLOSED);
	CHECK_EQ(tls_error(&cli), TLS_ERR_HANDSHAKE);
	if (start("chain.pem", "server.key", "ca.pem", "localhost", NULL) != 0)
		return;
	(void)xfer(&cli, &srv, 0);         /* the ClientHello only */
	tls_recvrec_eof(&srv);
	CHECK(tls_state(&srv) & TLS_ST_CLOSED);
	CHECK_EQ(tls_error(&srv), TLS_ERR_HANDSHAKE);
	tls_recvrec_eof(&srv);            /* a no-op when closed */
	CHECK_EQ(tls_error(&srv), TLS_ERR_HANDSHAKE);
}

static void test_config_errors(void)
{
	err[0] = '\0';
	CHECK_EQ(tls_config_client(&ccfg, P("no-such-file.pem"), err, sizeof(err)), -1);
	CHECK(strstr(err, "no-such-file.pem") != NULL);
	CHECK(write_text("garbage.pem", "this is not a certificate\n\x01\x02\xff\n"));
	err[0] = '\0';
	CHECK_EQ(tls_config_client(&ccfg, P("garbage.pem"), err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	CHECK(write_text("badpem.pem", "-----BEGIN CERTIFICATE-----\nMIIB!!!not base64\n"
			 "-----END CERTIFICATE-----\n"));
	err[0] = '\0';
	CHECK_EQ(tls_config_client(&ccfg, P("badpem.pem"), err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	err[0] = '\0';                        /* a key is not a CA certificate */
	CHECK_EQ(tls_config_client(&ccfg, P("ca.key"), err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	printf("  e.g. %s\n", err);

	err[0] = '\0';
	CHECK_EQ(tls_config_server(&scfg, P("chain.pem"), P("no-such.key"), err, sizeof(err)), -1);
	CHECK(strstr(err, "no-such.key") != NULL);
	err[0] = '\0';
	CHECK_EQ(tls_config_server(&scfg, P("server.key"), P("server.key"), err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	err[0] = '\0';
	CHECK_EQ(tls_config_server(&scfg, P("chain.pem"), P("chain.pem"), err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	err[0] = '\0';                        /* key of another certificate */
	CHECK_EQ(tls_config_server(&scfg, P("chain.pem"), P("wrongname.key"), err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	err[0] = '\0';
	CHECK_EQ(tls_config_server(&scfg, P("rsa-server.pem"), P("server.key"), err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	printf("  e.g. %s\n", err);
	CHECK_EQ(tls_config_server(&scfg, P("rsa-server.pem"), P("rsa-server.key"), err, sizeof(err)), 0);
}

static void test_start_errors(void)
{
	CHECK_EQ(tls_config_client(&ccfg, P("ca.pem"), err, sizeof(err)), 0);
	/* A client must name the server (or pin its key). */
	CHECK_EQ(tls_conn_start(&cli, &ccfg, TLS_CLIENT, NULL, NULL), -1);
	CHECK_EQ(tls_conn_start(&cli, &ccfg, TLS_CLIENT, "", NULL), -1);
}

static void test_anchor_limits(void)
{
	/* One anchor more than the table holds. */
	CHECK(write_copies("many.pem", "ca.pem", ILPD_TLS_MAX_ANCHORS + 1));
	err[0] = '\0';
	CHECK_EQ(tls_config_client(&ccfg, P("many.pem"), err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	printf("  e.g. %s\n", err);
	/* Exactly full (a P-256 anchor with a short DN takes < 128 bytes). */
	if (ILPD_TLS_MAX_ANCHORS * 128 <= ILPD_TLS_ANCHOR_BYTES) {
		CHECK(write_copies("many.pem", "ca.pem", ILPD_TLS_MAX_ANCHORS));
		CHECK_EQ(tls_config_client(&ccfg, P("many.pem"), err, sizeof(err)), 0);
	}
	/* Byte pool: the largest certificate of Debian's bundle (a 4096-bit
	 * RSA root: more than 512 bytes of key alone) as often as the table
	 * allows must overflow a pool smaller than 520 bytes per anchor. */
	if (ILPD_TLS_ANCHOR_BYTES < ILPD_TLS_MAX_ANCHORS * 520 && largest_bundle_cert()) {
		CHECK(write_copies("many.pem", "big.pem", ILPD_TLS_MAX_ANCHORS));
		err[0] = '\0';
		CHECK_EQ(tls_config_client(&ccfg, P("many.pem"), err, sizeof(err)), -1);
		CHECK(err[0] != '\0');
		printf("  e.g. %s\n", err);
	}
}

/* Debian's CA bundle must fit the default pool (host and rpi boards). */
static void test_system_bundle(void)
{
	FILE *f = fopen(DEBIAN_CA_FILE, "r");
	int rc;

	if (f == NULL) {
		printf("  %s: not present, skipped\n", DEBIAN_CA_FILE);
		return;
	}
	fclose(f);
	rc = tls_config_client(&ccfg, DEBIAN_CA_FILE, err, sizeof(err));
	printf("  %s: %s\n", DEBIAN_CA_FILE, rc == 0 ? "loaded" : err);
	if (ILPD_TLS_MAX_ANCHORS >= 160 && ILPD_TLS_ANCHOR_BYTES >= 81920)
		CHECK_EQ(rc, 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_tls PKI_DIR (made by tests/tls/make-certs.sh)\n");
		return 2;
	}
	pki = argv[1];
	reset_knobs();
	TH_RUN(test_sizes);
	TH_RUN(test_ec_data);
	TH_RUN(test_rsa_data);
	TH_RUN(test_small_reads);
	TH_RUN(test_pin);
	TH_RUN(test_verify_failures);
	TH_RUN(test_close_notify);
	TH_RUN(test_corrupt);
	TH_RUN(test_eof_truncated);
	TH_RUN(test_eof_close_notify);
	TH_RUN(test_eof_handshake);
	TH_RUN(test_config_errors);
	TH_RUN(test_start_errors);
	TH_RUN(test_anchor_limits);
	TH_RUN(test_system_bundle);
	return th_finish();
}
