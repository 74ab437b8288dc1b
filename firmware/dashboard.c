/*
 * dashboard.c - GET / on the admin listener: the dashboard page for the
 * appliance's owner (firmware/dashboard/index.html, compiled in
 * gzip-compressed by dashboard/embed.cmake), and GET /favicon.ico (204, so
 * browsers stop asking).
 *
 * The page is static and holds no data, so it is served without a token (a
 * browser cannot send one when it navigates); its script reads /health,
 * /metrics, /routes and /admin/peers itself, sending the token from the
 * URL fragment (/#token=T; browsers never send a fragment to the server).
 * Read-only: it makes GET requests only.
 *
 * Headers: a Content-Security-Policy that lets only the page's own inline
 * style and script run (by their SHA-256, computed at build time) and
 * allows fetches to the same origin only, nothing from anywhere else;
 * Cache-Control: no-store; nosniff, no referrer, no framing. The page goes
 * out gzip-compressed (that way it fits the response buffer of every
 * board: ~8 KB instead of ~23 KB); a client whose Accept-Encoding rules
 * gzip out gets 406 (one without Accept-Encoding takes any coding, RFC
 * 9110, and gets gzip).
 *
 * Memory: the compressed page in read-only data; no RAM of its own (the
 * page is copied into the connection's response buffer). No heap.
 */
#include "httpd.h"

#include <string.h>

#include "dashboard_page.h"

_Static_assert(sizeof(ilpd_dashboard_gz) + 2048 <= ILPD_ADMIN_OUT_MAX,
	       "the dashboard page must fit an admin response (ILPD_ADMIN_OUT_MAX)");

static const char dash_headers[] =
	"Content-Encoding: gzip\r\n"
	"Vary: Accept-Encoding\r\n"
	"Cache-Control: no-store\r\n"
	"Content-Security-Policy: " ILPD_DASHBOARD_CSP "\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"X-Frame-Options: DENY\r\n"
	"Referrer-Policy: no-referrer\r\n";

static char dash_lower(uint8_t c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* True if [p, p + n) is `word` (ASCII, case-insensitive). */
static bool dash_ieq(const uint8_t *p, size_t n, const char *word)
{
	size_t i;

	if (n != strlen(word))
		return false;
	for (i = 0; i < n; i++)
		if (dash_lower(p[i]) != word[i])
			return false;
	return true;
}

/* One Accept-Encoding element "coding[;q=V]": true if it names gzip (or *)
 * with a weight above zero. */
static bool dash_element_gzip(const uint8_t *p, size_t n)
{
	size_t i = 0, name;

	while (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t')
		i++;
	name = i;
	if (!dash_ieq(p, name, "gzip") && !dash_ieq(p, name, "x-gzip") && !dash_ieq(p, name, "*"))
		return false;
	/* the weight: refused only by q=0, q=0., q=0.0, q=0.00, q=0.000 */
	for (; i + 1 < n; i++) {
		if (dash_lower(p[i]) == 'q' && p[i + 1] == '=') {
			size_t k = i + 2;

			if (k >= n || p[k] != '0')
				return true;
			for (k++; k < n && (p[k] == '.' || p[k] == '0'); k++)
				;
			return k < n && p[k] >= '1' && p[k] <= '9';
		}
	}
	return true;
}

/* May the answer be gzip-coded? No header: any coding is acceptable. */
static bool dash_gzip_ok(const struct http_head *h)
{
	const struct http_str *v = h != NULL ? http_find(h, "Accept-Encoding") : NULL;
	size_t i = 0;

	if (v == NULL)
		return true;
	while (i < v->n) {
		size_t start, end;

		while (i < v->n && (v->p[i] == ' ' || v->p[i] == '\t' || v->p[i] == ','))
			i++;
		start = i;
		while (i < v->n && v->p[i] != ',')
			i++;
		end = i;
		if (end > start && dash_element_gzip(v->p + start, end - start))
			return true;
	}
	return false;
}

int ilpd_dashboard_route(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			 struct ilpd_http_resp *rs, uint32_t conn_token)
{
	(void)d;
	(void)conn_token;
	if (strcmp(rq->method, "GET") != 0) {
		rs->extra_headers = "Allow: GET\r\n";
		return ilpd_http_error(rs, 405, "the dashboard is read-only: GET only", NULL);
	}
	if (strcmp(rq->path, "/favicon.ico") == 0) {
		rs->status = 204;
		rs->content_type = "image/x-icon";
		rs->len = 0;
		rs->extra_headers = "Cache-Control: max-age=86400\r\n";
		return ILPD_HTTP_DONE;
	}
	if (strcmp(rq->path, "/") != 0 && strcmp(rq->path, "/index.html") != 0)
		return ilpd_http_error(rs, 404, "not found", NULL);
	if (!dash_gzip_ok(rq->head)) {
		rs->extra_headers = "Vary: Accept-Encoding\r\n";
		return ilpd_http_error(rs, 406, "the dashboard is served gzip-compressed only "
				       "(send Accept-Encoding: gzip)", NULL);
	}
	if (sizeof(ilpd_dashboard_gz) > rs->cap)   /* the _Static_assert's margin was too small */
		return ilpd_http_error(rs, 500, "dashboard larger than the response buffer", NULL);
	memcpy(rs->body, ilpd_dashboard_gz, sizeof(ilpd_dashboard_gz));
	rs->len = sizeof(ilpd_dashboard_gz);
	rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
	rs->extra_headers = dash_headers;
	return ILPD_HTTP_DONE;
}
