/*
 * wsconn_int.h - what wsconn.c (WebSocket over non-blocking TCP, the send
 * path, the hold, SOCKS5) and wsconn_tls.c (the same connection under
 * TLS) share. Not for other modules: the API is net/wsconn.h, the rules
 * are in the notes at the top of wsconn.c.
 */
#ifndef NET_WSCONN_INT_H
#define NET_WSCONN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "net/wsconn.h"

#define WSC_READS_PER_EVENT 4
/* Record reads per readable event with TLS (a record is read in two parts:
 * header, then body). */
#define WSC_TLS_READS_PER_EVENT 16

#if defined(ILPD_TLS_BEARSSL) || defined(ILPD_TLS_MBEDTLS)
#define WSC_TLS 1
#else
#define WSC_TLS 0
#endif

/* Values of wsconn.tls_eof: how the socket under TLS ended. */
#define WSC_EOF_FIN 1   /* recv() returned 0 */
#define WSC_EOF_ERR 2   /* recv() failed */

/* wsconn_hold_output() is in force. */
extern bool wsc_hold;

/* wsconn.c */
void wsc_finish(struct wsconn *c, const char *reason);
/* End of the bytes that may be written now (tx_ok when held, else tx_len). */
size_t wsc_limit(const struct wsconn *c);
/* Puts c on the flush list (once). */
void wsc_mark(struct wsconn *c);
/* Plaintext queued and not yet written. */
size_t wsc_backlog(const struct wsconn *c);
/* Parses every complete frame in rx. */
void wsc_frames(struct wsconn *c);
/* The HTTP upgrade, either side. */
void wsc_handshake(struct wsconn *c);
/* Sets the watcher's interest from the connection's state. */
void wsc_want(struct wsconn *c);
void wsc_flush(struct wsconn *c);

/* wsconn_tls.c (stubs that do nothing without a TLS backend) */
bool wsc_tls_final(const struct wsconn *c);
unsigned wsc_tls_want(const struct wsconn *c, unsigned want);
void wsc_tls_input(struct wsconn *c);
bool wsc_tls_feed(struct wsconn *c);
void wsc_tls_flush(struct wsconn *c);
void wsc_tls_io(struct wsconn *c, unsigned revents);

#endif /* NET_WSCONN_INT_H */
