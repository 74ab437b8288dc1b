/*
 * httpc.h - the HTTP/1.1 client engine: builds a request into a caller
 * buffer and parses the response incrementally (bytes fed as they arrive).
 * Pure: no heap, no I/O, no clock. firmware/httpc_glue.c runs it over
 * sockets for local delivery (issue 14) and the settlement engines (15).
 *
 * Memory: struct httpc_resp is ILPD_HTTP_MAX_HEAD (4,096) bytes for the
 * head being collected + one struct http_head (ILPD_HTTP_MAX_HEADERS views,
 * ~1 KiB on 64-bit) + ~80 bytes of state, i.e. about 5.2 KiB with the
 * default options. The body goes into a buffer the caller owns
 * (httpc_resp_init), bounded by its capacity.
 *
 * Request (httpc_build_request): "METHOD PATH HTTP/1.1", Host (the URL's
 * host, IPv6 literals in brackets, ":port" unless 80), the caller's extra
 * headers, Content-Type: application/json and Content-Length when a body
 * is given (Content-Length: 0 for POST/PUT/PATCH without one), Connection:
 * keep-alive, then the body. Method, path and extra headers are checked:
 * no CR/LF/control bytes (header injection), extra headers are whole
 * "Name: value\r\n" lines. ILP_ERR_ARG for bad input (caller's bug),
 * ILP_ERR_OVERFLOW when it does not fit.
 *
 * Response (httpc_resp_feed):
 * - The head is collected up to its CRLFCRLF (more than ILPD_HTTP_MAX_HEAD
 *   bytes: ILP_ERR_OVERFLOW) and parsed with http_parse_response (strict;
 *   malformed: ILP_ERR_INVALID). 1xx interim responses are skipped (at most
 *   HTTPC_MAX_INTERIM of them; 101 is refused: ilpd never asks to upgrade).
 * - Body: none for HEAD requests, 204 and 304; else Transfer-Encoding:
 *   chunked (the only coding accepted: anything else, or chunked together
 *   with Content-Length, is ILP_ERR_INVALID), else Content-Length (digits
 *   only; repeated headers must agree), else until the server closes
 *   (httpc_resp_eof). A body larger than the caller's buffer is
 *   ILP_ERR_OVERFLOW (a Content-Length is checked before any body byte).
 * - Chunked: hex size (at most 16 digits), optional extensions ignored but
 *   bounded (the whole size line at most HTTPC_CHUNK_LINE_MAX bytes, no
 *   control bytes), CRLF strictly after the size line and after each
 *   chunk's data; trailers after the last chunk are skipped, at most
 *   HTTPC_TRAILER_MAX bytes in all.
 * - Reuse: httpc_resp_reusable() is true once a response is complete when
 *   it was HTTP/1.1 without "Connection: close", or HTTP/1.0 with
 *   "Connection: keep-alive", and its body was not close-delimited. Bytes
 *   after the end of the response (*used < n on ILP_OK) were never asked
 *   for: a caller must then not reuse the connection.
 * Errors are sticky: once feed returned an error, it returns it again.
 */
#ifndef NET_HTTPC_H
#define NET_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"
#include "net/http.h"
#include "net/net_opts.h"

/* Most 1xx responses skipped before the final one. */
#define HTTPC_MAX_INTERIM 8
/* Longest chunk-size line (size, extensions), without its CRLF. */
#define HTTPC_CHUNK_LINE_MAX 128
/* Most trailer bytes (all trailer lines with their CRLFs) skipped. */
#define HTTPC_TRAILER_MAX 1024

/* Builds a request into out[0..cap); *len receives its length. host is the
 * URL's host (name or numeric; an IPv6 literal without brackets), path
 * starts with '/', extra_headers is NULL or "Name: value\r\n" lines, body
 * is NULL (no body) or n bytes (JSON: Content-Type: application/json).
 * ILP_OK, ILP_ERR_OVERFLOW (cap too small) or ILP_ERR_ARG (bad input). */
int httpc_build_request(uint8_t *out, size_t cap, size_t *len,
			const char *method, const char *host, uint16_t port,
			const char *path, const char *extra_headers,
			const uint8_t *body, size_t n) ILP_CHECK_RESULT;

enum httpc_body_mode {
	HTTPC_BODY_NONE = 0,     /* HEAD, 204, 304: no body */
	HTTPC_BODY_LENGTH,       /* Content-Length */
	HTTPC_BODY_CHUNKED,      /* Transfer-Encoding: chunked */
	HTTPC_BODY_CLOSE         /* until the server closes */
};

struct httpc_resp {
	/* Caller's body buffer. */
	uint8_t *body;
	size_t body_cap;
	size_t body_len;          /* bytes of (decoded) body so far */
	/* Result, valid once the head is in (httpc_resp_has_head). */
	int status;               /* final status, 200.. */
	int minor_version;        /* HTTP/1.x */
	uint8_t mode;             /* enum httpc_body_mode */
	bool keep_alive;          /* the head allows reuse */
	/* Parser state (private). */
	bool head_req;            /* response to a HEAD request */
	uint8_t state;
	uint8_t crlf;             /* bytes of CRLFCRLF matched in the head */
	uint8_t interim;          /* 1xx responses skipped */
	int err;                  /* sticky error, or ILP_OK */
	uint64_t remaining;       /* Content-Length or chunk bytes left */
	uint32_t line_len;        /* chunk-size line / trailer bytes so far */
	uint32_t digits;          /* chunk-size digits */
	uint64_t received;        /* bytes fed and used in all */
	size_t head_len;
	struct http_head head;    /* views into head_buf, after the head */
	uint8_t head_buf[ILPD_HTTP_MAX_HEAD];
};

/* Starts a response. body/cap: where the body goes (cap may be 0 if no
 * body is wanted: any body byte is then ILP_ERR_OVERFLOW). head_req: the
 * request was HEAD (the response has no body whatever it says). */
void httpc_resp_init(struct httpc_resp *r, uint8_t *body, size_t cap,
		     bool head_req);

/* Feeds n bytes. ILP_ERR_NEED_MORE: all used, the response goes on.
 * ILP_OK: the response is complete; *used bytes of p belonged to it
 * (the rest did not). ILP_ERR_INVALID (malformed), ILP_ERR_OVERFLOW (head
 * or body too large): the connection must be closed. Feeding a complete
 * response again returns ILP_OK with *used = 0. */
int httpc_resp_feed(struct httpc_resp *r, const uint8_t *p, size_t n,
		    size_t *used) ILP_CHECK_RESULT;

/* The server closed the connection: ILP_OK if that completes the response
 * (a close-delimited body, or already complete), else ILP_ERR_INVALID
 * (truncated; ILP_ERR_NEED_MORE if not one byte had arrived). */
int httpc_resp_eof(struct httpc_resp *r) ILP_CHECK_RESULT;

/* The final response's head is in: status, headers (httpc_resp_header). */
bool httpc_resp_has_head(const struct httpc_resp *r);
/* The response is complete. */
bool httpc_resp_done(const struct httpc_resp *r);
/* Complete and the connection may carry the next request. */
bool httpc_resp_reusable(const struct httpc_resp *r);
/* Bytes of the response used so far (0: nothing has arrived). */
uint64_t httpc_resp_received(const struct httpc_resp *r);
/* A header of the final response (first of that name), or NULL. */
const struct http_str *httpc_resp_header(const struct httpc_resp *r,
					 const char *name);

#endif /* NET_HTTPC_H */
