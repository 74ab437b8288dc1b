/*
 * http.h - a bounded HTTP/1.1 message-head parser (request or response
 * line plus headers) for the WebSocket handshake and the admin endpoints.
 * Pure: bytes in, views out. Memory: struct http_head holds
 * ILPD_HTTP_MAX_HEADERS pointer pairs (~32 bytes each); no heap.
 *
 * http_parse_*() returns ILP_OK once "\r\n\r\n" ends the head (*consumed =
 * head length), ILP_ERR_NEED_MORE before that (nothing consumed; more than
 * ILPD_HTTP_MAX_HEAD bytes without an end is ILP_ERR_INVALID), and
 * ILP_ERR_INVALID for a malformed line, too many headers, or bytes outside
 * visible ASCII in names. Bodies are not parsed (ilpd's requests have none).
 * The grammar is strict (RFC 9112): lines end in CRLF only, one SP between
 * the parts of the start line, "HTTP/1.<digit>", names are tokens followed
 * directly by ':', values hold no control bytes but HTAB, and obs-fold is
 * refused. A response's reason phrase may be missing. *consumed is 0
 * unless ILP_OK; every view points inside [p, p + *consumed).
 */
#ifndef NET_HTTP_H
#define NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"
#include "net/net_opts.h"

struct http_str {
	const uint8_t *p;
	size_t n;
};

struct http_header {
	struct http_str name;
	struct http_str value;   /* leading and trailing blanks trimmed */
};

struct http_head {
	struct http_str method;  /* request: "GET"; response: empty */
	struct http_str target;  /* request: "/path?q" */
	int status;              /* response: 101, 200, ...; request: 0 */
	int minor_version;       /* HTTP/1.x */
	struct http_header h[ILPD_HTTP_MAX_HEADERS];
	size_t nh;
};

int http_parse_request(const uint8_t *p, size_t n, struct http_head *out,
		       size_t *consumed) ILP_CHECK_RESULT;
int http_parse_response(const uint8_t *p, size_t n, struct http_head *out,
			size_t *consumed) ILP_CHECK_RESULT;

/* First header named `name` (ASCII case-insensitive), or NULL. */
const struct http_str *http_find(const struct http_head *h, const char *name);

/* True if a comma-separated header value contains token (case-insensitive),
 * e.g. "Connection: keep-alive, Upgrade" contains "upgrade". */
bool http_has_token(const struct http_str *v, const char *token);

/* True if s equals the NUL-terminated c (case-sensitive / -insensitive). */
bool http_str_eq(const struct http_str *s, const char *c);
bool http_str_ieq(const struct http_str *s, const char *c);

#endif /* NET_HTTP_H */
