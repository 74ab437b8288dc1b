/*
 * socks5.h - the client side of SOCKS5 (RFC 1928 CONNECT) with
 * username/password authentication (RFC 1929), as a pure byte engine: it
 * never touches a socket and never resolves a name. The caller sends what
 * socks5_output() hands out and feeds the proxy's bytes to socks5_input()
 * until SOCKS5_DONE; from then on the connection carries the tunnelled
 * stream (TLS or WebSocket, see wsconn_use_socks() in net/wsconn.h).
 *
 * "SOCKS5h": a host name, including an onion name (.onion, .anyone,
 * .anon), always goes to the proxy as ATYP 3 (DOMAINNAME) and is resolved
 * there. Only a numeric IPv4 or IPv6 literal is sent as ATYP 1 or 4.
 *
 * Memory: struct socks5 is 796 bytes on every target (the greeting, the
 * authentication request and the CONNECT request, built once by
 * socks5_start, plus a few counters); caller-allocated, one per outbound
 * link; no heap. Thread/ISR: one caller at a time; no global state.
 *
 * Trust: every byte from the proxy is untrusted. A malformed reply ends the
 * exchange with a protocol error (never an assert); the BND address of the
 * reply (IPv4, IPv6, or a domain of any length 1..255) is skipped without
 * being stored, so no reply can overflow anything. The credentials are
 * wiped from the struct as soon as the proxy has answered them, or when the
 * exchange fails.
 *
 * Errors carry no host name: socks5_error_str() is safe to log at any
 * level even when the destination is an onion address.
 */
#ifndef NET_SOCKS5_H
#define NET_SOCKS5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"

/* Longest host name, user name and password (one length octet each). */
#define SOCKS5_NAME_MAX 255

enum socks5_status {
	SOCKS5_NEED_MORE = 0,  /* send output / feed more proxy bytes */
	SOCKS5_DONE,           /* tunnel open: the stream starts here */
	SOCKS5_FAILED          /* see socks5_error(); close the connection */
};

enum socks5_error {
	SOCKS5_OK = 0,
	/* The proxy broke the protocol. */
	SOCKS5_ERR_BAD_VERSION,       /* reply VER is not 5: not a SOCKS5 proxy */
	SOCKS5_ERR_BAD_METHOD,        /* chose a method that was not offered */
	SOCKS5_ERR_BAD_AUTH_VERSION,  /* RFC 1929 reply VER is not 1 */
	SOCKS5_ERR_BAD_REPLY,         /* RSV not 0, unknown ATYP, empty domain */
	/* Negotiation. */
	SOCKS5_ERR_NO_METHOD,         /* 0xFF: no offered method acceptable */
	SOCKS5_ERR_AUTH_FAILED,       /* username/password refused */
	/* CONNECT reply codes (RFC 1928 section 6). */
	SOCKS5_ERR_GENERAL,           /* 01 */
	SOCKS5_ERR_NOT_ALLOWED,       /* 02 */
	SOCKS5_ERR_NET_UNREACHABLE,   /* 03 */
	SOCKS5_ERR_HOST_UNREACHABLE,  /* 04 */
	SOCKS5_ERR_REFUSED,           /* 05 */
	SOCKS5_ERR_TTL_EXPIRED,       /* 06 */
	SOCKS5_ERR_CMD_UNSUPPORTED,   /* 07 */
	SOCKS5_ERR_ATYP_UNSUPPORTED,  /* 08 */
	/* tor's ExtendedErrors (SocksPort flag; also anon). */
	SOCKS5_ERR_ONION_NOT_FOUND,      /* F0 descriptor not found */
	SOCKS5_ERR_ONION_DESC_INVALID,   /* F1 */
	SOCKS5_ERR_ONION_INTRO_FAILED,   /* F2 */
	SOCKS5_ERR_ONION_REND_FAILED,    /* F3 */
	SOCKS5_ERR_ONION_AUTH_MISSING,   /* F4 client authorization missing */
	SOCKS5_ERR_ONION_AUTH_WRONG,     /* F5 client authorization wrong */
	SOCKS5_ERR_ONION_BAD_ADDRESS,    /* F6 invalid onion address */
	SOCKS5_ERR_ONION_INTRO_TIMEOUT,  /* F7 introduction timed out */
	SOCKS5_ERR_UNKNOWN_REPLY,        /* any other REP code */
	/* Misuse: socks5_input/output on an engine not started. */
	SOCKS5_ERR_NOT_STARTED,
	/* Never set by the engine: the connection layer (wsconn) reports the
	 * transport to the proxy failing with these. */
	SOCKS5_ERR_PROXY_TIMEOUT,     /* connect + exchange exceeded the deadline */
	SOCKS5_ERR_PROXY_REFUSED,     /* TCP connect to the proxy refused */
	SOCKS5_ERR_PROXY_UNREACHABLE, /* TCP connect to the proxy failed */
	SOCKS5_ERR_PROXY_CLOSED,      /* proxy closed before its reply ended */
	SOCKS5_ERR_PROXY_IO           /* send/receive to the proxy failed */
};

/* Greeting (3) + RFC 1929 request (3 + 2 * 255) + CONNECT (7 + 255). */
#define SOCKS5_OUT_MAX (3 + 3 + 2 * SOCKS5_NAME_MAX + 7 + SOCKS5_NAME_MAX)

/* Internal; read only through the functions below. */
struct socks5 {
	uint8_t state;        /* S5_* in socks5.c */
	uint8_t err;          /* enum socks5_error */
	uint8_t rep;          /* raw REP byte of the CONNECT reply, 0 if none */
	uint8_t method;       /* method offered: 0x00 none, 0x02 user/pass */
	uint8_t atyp;         /* ATYP of the reply being read */
	uint8_t pos;          /* bytes read of the reply's fixed header */
	uint16_t skip;        /* BND address + port bytes still to skip */
	uint16_t out_pos;     /* next byte to send */
	uint16_t out_lim;     /* end of what may be sent now */
	uint16_t auth_at;     /* [auth_at, req_at): RFC 1929 request */
	uint16_t req_at;      /* [req_at, out_end): CONNECT request */
	uint16_t out_end;
	uint8_t out[SOCKS5_OUT_MAX];
};

/* Starts (or restarts) an exchange for a CONNECT to host:port.
 * host: a DNS or onion name, sent as ATYP 3 and never resolved here, or a
 * numeric IPv4 literal (ATYP 1) or IPv6 literal, bare or in brackets
 * (ATYP 4); 1..255 bytes. user/pass: RFC 1929 credentials, 1..255 bytes
 * each, or both NULL for "no authentication". With credentials the
 * greeting offers ONLY method 02: tor's IsolateSOCKSAuth then puts each
 * set of credentials on its own circuits, and a proxy that will not
 * authenticate fails closed (SOCKS5_ERR_NO_METHOD). The strings are copied
 * (into the wire messages); the caller may reuse them at once.
 * 0, or -1 (bad arguments: NULL or empty host, any string over 255 bytes,
 * only one of user/pass, an empty user or password, port 0); the engine is
 * then left not started. */
int socks5_start(struct socks5 *s, const char *host, uint16_t port,
		 const char *user, const char *pass) ILP_CHECK_RESULT;

/* Bytes the engine wants sent now: the greeting, then (once the proxy has
 * chosen) the authentication request, then the CONNECT request. *p points
 * into s; valid until the next call on s. 0 when nothing is due. */
size_t socks5_output(const struct socks5 *s, const uint8_t **p);

/* n bytes of the last output were sent (n <= what socks5_output gave). */
void socks5_output_done(struct socks5 *s, size_t n);

/* Feeds bytes from the proxy. *used = bytes consumed; input may be split at
 * any byte boundary. SOCKS5_DONE: the reply is complete, and the bytes
 * after it (p + *used .. p + n) belong to the tunnelled stream and were NOT
 * consumed. SOCKS5_FAILED: stop, see socks5_error(). Once DONE or FAILED,
 * further calls return the same status and consume nothing. */
enum socks5_status socks5_input(struct socks5 *s, const uint8_t *p, size_t n,
				size_t *used);

/* Current status without input (NEED_MORE before the end). */
enum socks5_status socks5_status(const struct socks5 *s);

/* Why the exchange failed (SOCKS5_OK while it has not). */
enum socks5_error socks5_error(const struct socks5 *s);

/* A short static description for logs; never contains a host name. */
const char *socks5_error_str(enum socks5_error e);

/* True for tor's onion-service codes (F0..F7): the destination service,
 * not the proxy or the network, is the problem. */
bool socks5_error_is_onion(enum socks5_error e);

/* Raw REP byte of the CONNECT reply (0 = success, or before any reply:
 * ask socks5_reply_received() which one). */
uint8_t socks5_reply_code(const struct socks5 *s);

/* True once the proxy's CONNECT reply has been read up to its REP byte (a
 * success or a failure code); false before that, e.g. when the proxy
 * refused the TCP connection, chose no method, refused the credentials or
 * closed early. Only then is socks5_reply_code() a code the proxy sent. */
bool socks5_reply_received(const struct socks5 *s);

/* Stable lower-case name of the engine's state, for DEBUG logs. */
const char *socks5_state_name(const struct socks5 *s);

#endif /* NET_SOCKS5_H */
