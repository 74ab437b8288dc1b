/*
 * http_req.h - framing of one HTTP/1.1 request for a small server (the
 * admin listener, firmware/httpd.c): the head (net/http.h) and a body
 * framed by Content-Length only, and the request target's path. Pure:
 * bytes in, a verdict out; no heap, no clock, no I/O.
 *
 * http_req_frame() looks at the bytes received so far, p[0..n):
 * - status -1: incomplete, read more (a head without its end shorter than
 *   ILPD_HTTP_MAX_HEAD, or a body shorter than its Content-Length);
 * - status 0: a whole request: head_len bytes of head, then body_len bytes
 *   of body (bytes after them are not looked at);
 * - an HTTP error status, decided from the head alone (so it never changes
 *   as more bytes arrive): 400 a head that does not parse, Content-Length
 *   not plain digits (at most 12) or given twice with different values,
 *   or a Transfer-Encoding other than chunked; 411 Transfer-Encoding
 *   chunked (bodies need Content-Length); 413 Content-Length over
 *   body_max; 417 an Expect other than 100-continue; 431 no end of head
 *   within ILPD_HTTP_MAX_HEAD bytes.
 * expect_continue: the head asks for "100 Continue" (status -1 or 0).
 *
 * http_req_path() percent-decodes the target's path (origin-form, up to
 * '?' or '#') into path[cap], NUL-terminated: 0, or -1 for a target that
 * does not start with '/', a bad or truncated escape, an escaped NUL, or
 * a path that does not fit. *query_off: where '?' or '#' (or the end) is
 * in the target.
 */
#ifndef NET_HTTP_REQ_H
#define NET_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/http.h"

struct http_req_frame {
	int status;
	size_t head_len;
	size_t body_len;
	bool expect_continue;
};

void http_req_frame(const uint8_t *p, size_t n, size_t body_max, struct http_head *h,
		    struct http_req_frame *r);

int http_req_path(const struct http_str *target, char *path, size_t cap, size_t *query_off);

#endif /* NET_HTTP_REQ_H */
