/*
 * tls.h - TLS as a pure byte engine between TCP (or SOCKS5) and WebSocket,
 * with two backends chosen at build time (ILPD_TLS = bearssl | mbedtls |
 * none). Neither the event loop nor the WebSocket engine knows which one
 * runs. The shape follows BearSSL's engine: four channels, each a pointer
 * to a buffer plus an acknowledgement of how much was used.
 *
 *   socket bytes in  -> tls_recvrec_buf / tls_recvrec_ack
 *   plaintext out    -> tls_recvapp_buf / tls_recvapp_ack
 *   plaintext in     -> tls_sendapp_buf / tls_sendapp_ack (+ tls_flush)
 *   socket bytes out -> tls_sendrec_buf / tls_sendrec_ack
 *
 * tls_state() says which channels are usable now. The caller's loop is
 * BearSSL's run_until order: write pending records first, then read.
 *
 * Memory: struct tls_conn holds the backend's per-connection context and
 * its record buffers: BearSSL uses caller-provided buffers sized by
 * ILPD_TLS_BUFSIZE (bidirectional); mbedTLS allocates from a fixed static
 * arena (never libc's heap). struct tls_config holds the trust anchors
 * (decoded once from a PEM CA file) or the server chain and key: sizes in
 * ILPD_TLS_MAX_ANCHORS / ILPD_TLS_ANCHOR_BYTES / ILPD_TLS_CHAIN_BYTES.
 * The memory map shows both per board. No heap after tls_config_load_*.
 *
 * Policy: TLS 1.2 (and 1.3 where the library has it), ECDHE key exchange
 * with AES-GCM or ChaCha20-Poly1305 only; the client verifies the chain
 * against the trust anchors and the server name, or (with a pin) the
 * SHA-256 of the server's SubjectPublicKeyInfo. Every failure is one of
 * enum tls_error, with a message fit for logs.
 */
#ifndef NET_TLS_H
#define NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net_opts.h"

enum tls_role { TLS_CLIENT = 0, TLS_SERVER = 1 };

/* Bits of tls_state(). */
#define TLS_ST_CLOSED 0x01u   /* finished; see tls_error() */
#define TLS_ST_SENDREC 0x02u  /* records to write to the socket */
#define TLS_ST_RECVREC 0x04u  /* room for bytes from the socket */
#define TLS_ST_SENDAPP 0x08u  /* room for plaintext (handshake done) */
#define TLS_ST_RECVAPP 0x10u  /* plaintext to read */

enum tls_error {
	TLS_OK = 0,
	TLS_ERR_CLOSED,           /* clean close_notify */
	TLS_ERR_EXPIRED,          /* certificate expired or not yet valid */
	TLS_ERR_UNKNOWN_CA,       /* chain does not lead to a trust anchor */
	TLS_ERR_NAME_MISMATCH,    /* certificate is not for the server name */
	TLS_ERR_PIN_MISMATCH,     /* SPKI SHA-256 differs from the pin */
	TLS_ERR_BAD_CERT,         /* malformed or unsupported certificate */
	TLS_ERR_HANDSHAKE,        /* no common version/suite, alert from peer */
	TLS_ERR_PROTOCOL,         /* malformed records, bad MAC */
	TLS_ERR_INTERNAL,         /* our bug or resource limit */
	TLS_ERR_TRUNCATED         /* the socket ended without close_notify */
};

#define TLS_PIN_LEN 32

struct tls_config;
struct tls_conn;

/* Loads the trust anchors from a PEM file of CA certificates (default
 * /etc/ssl/certs/ca-certificates.crt). 0, or -1 with a message in err. */
int tls_config_client(struct tls_config *cfg, const char *ca_file, char *err, size_t errcap);

/* Loads a server certificate chain (PEM, leaf first) and its private key
 * (PEM, RSA or EC). 0, or -1 with a message in err. */
int tls_config_server(struct tls_config *cfg, const char *chain_file,
		      const char *key_file, char *err, size_t errcap);

/* Starts a connection. Client: server_name is checked against the
 * certificate (and sent as SNI); pin (TLS_PIN_LEN bytes, or NULL) replaces
 * chain verification with an SPKI pin. 0 or -1. */
int tls_conn_start(struct tls_conn *c, const struct tls_config *cfg,
		   enum tls_role role, const char *server_name, const uint8_t *pin);

unsigned tls_state(const struct tls_conn *c);
enum tls_error tls_error(const struct tls_conn *c);
const char *tls_error_str(enum tls_error e);

uint8_t *tls_sendrec_buf(struct tls_conn *c, size_t *len);
void tls_sendrec_ack(struct tls_conn *c, size_t n);
uint8_t *tls_recvrec_buf(struct tls_conn *c, size_t *len);
void tls_recvrec_ack(struct tls_conn *c, size_t n);
uint8_t *tls_sendapp_buf(struct tls_conn *c, size_t *len);
void tls_sendapp_ack(struct tls_conn *c, size_t n);
uint8_t *tls_recvapp_buf(struct tls_conn *c, size_t *len);
void tls_recvapp_ack(struct tls_conn *c, size_t n);

/* The socket reached its end (recv() returned 0, or failed): no more
 * record bytes will come. Nothing the engine already holds is lost:
 * plaintext already decrypted, and every whole record received before the
 * end (opened as tls_recvapp_ack makes room), stays readable through
 * TLS_ST_RECVAPP. Once the last of it is taken the engine is CLOSED, and
 * tls_error() says how the peer ended: TLS_ERR_CLOSED if its close_notify
 * came, else TLS_ERR_TRUNCATED (the bytes of an incomplete last record are
 * dropped: they never authenticated); TLS_ERR_HANDSHAKE if the handshake
 * had not finished. From the call on TLS_ST_RECVREC is never set again;
 * sending still works until CLOSED. A no-op on a closed engine. */
void tls_recvrec_eof(struct tls_conn *c);

/* Pushes buffered plaintext into records now. */
void tls_flush(struct tls_conn *c);

/* Starts a clean close (close_notify). */
void tls_close(struct tls_conn *c);

/* Ends the connection at once, whatever its state, and returns what the
 * backend holds outside the struct (mbedTLS: its arena memory; BearSSL:
 * nothing). Call it when the socket is gone; the struct may then be
 * started again. Safe to call twice, and on a connection never started
 * if the struct was zeroed (static storage is). */
void tls_conn_release(struct tls_conn *c);

/* Name of the backend compiled in: "bearssl", "mbedtls" or "none". */
const char *tls_backend(void);

/* The backend's struct definitions (sizes for the memory map). */
#if defined(ILPD_TLS_BEARSSL)
#include "net/tls_bearssl.h"
#elif defined(ILPD_TLS_MBEDTLS)
#include "net/tls_mbedtls.h"
#endif

#endif /* NET_TLS_H */
