/*
 * admin.c - `ilpctl admin ...`: plumbing for ilpd's admin API (admin.h)
 * and the commands send, get, post, delete.
 *
 *   ilpctl admin [--url URL] [--token T | --token-file F] [--timeout-ms MS]
 *                COMMAND ...
 * URL: http://HOST:PORT[/] [$ILPD_ADMIN_URL, else http://127.0.0.1:7769];
 * the token: --token, --token-file (its first line) or $ILPD_ADMIN_TOKEN.
 *
 * Exit status: 0 on a 2xx answer (send: accepted), 1 otherwise (HTTP
 * error, rejected packet, no connection), 2 on a usage error.
 *
 * Memory: a 512 KiB static response buffer and a 64 KiB request buffer;
 * blocking socket with a timeout; no heap of its own.
 */
#define _POSIX_C_SOURCE 200809L
#include "admin.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net/base64.h"
#include "net/json_out.h"

static char adm_resp[ILPCTL_ADMIN_RESP_MAX + 1];
static char adm_req[96 * 1024];

static int adm_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void adm_synopsis(FILE *f)
{
	fprintf(f, "usage: ilpctl admin [--url URL] [--token T | --token-file F] "
		"[--timeout-ms MS] COMMAND ...\n"
		"commands: send --to ADDRESS --amount N [--data B64 | --data-text TEXT]\n"
		"               [--expires-at ISO] [--condition B64]\n"
		"          get PATH | delete PATH | post PATH JSON | peers ... | routes ...\n"
		"URL defaults to $ILPD_ADMIN_URL, else http://127.0.0.1:7769; the token to\n"
		"$ILPD_ADMIN_TOKEN (ilpctl --help, ADMIN API, has the details)\n");
}

static int adm_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ilpctl admin: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	adm_synopsis(stderr);
	return 2;
}

/* http://host:port[/] */
int ilpctl_admin_url(const char *url, struct ilpctl_admin *a)
{
	const char *h, *c, *e;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	h = url + 7;
	e = strchr(h, '/');
	if (e == NULL)
		e = h + strlen(h);
	if (e[0] == '/' && e[1] != '\0')
		return -1;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(e - h));

		if (rb == NULL || rb[1] != ':')
			return -1;
		c = rb + 1;
		if ((size_t)(rb - h - 1) >= sizeof(a->host))
			return -1;
		memcpy(a->host, h + 1, (size_t)(rb - h - 1));
		a->host[rb - h - 1] = '\0';
	} else {
		c = memchr(h, ':', (size_t)(e - h));
		if (c == NULL || c == h || (size_t)(c - h) >= sizeof(a->host))
			return -1;
		memcpy(a->host, h, (size_t)(c - h));
		a->host[c - h] = '\0';
	}
	if (e == c + 1 || (size_t)(e - c - 1) >= sizeof(a->port))
		return -1;
	memcpy(a->port, c + 1, (size_t)(e - c - 1));
	a->port[e - c - 1] = '\0';
	return 0;
}

static int adm_send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ilpctl_admin_call(const struct ilpctl_admin *a, const char *method, const char *path,
		      const char *body, size_t body_len, const char **resp, size_t *resp_len)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv;
	char head[1024];
	size_t n = 0;
	int fd = -1, hl, status;
	const char *b, *cl;

	tv.tv_sec = a->timeout_ms / 1000;
	tv.tv_usec = (a->timeout_ms % 1000) * 1000;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(a->host, a->port, &hints, &res) != 0) {
		fprintf(stderr, "ilpctl admin: cannot resolve %s\n", a->host);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "ilpctl admin: %s:%s: cannot connect\n", a->host, a->port);
		return -1;
	}
	hl = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s:%s\r\n%s%s%s"
		      "%sContent-Length: %zu\r\nConnection: close\r\n\r\n", method, path,
		      a->host, a->port, a->token != NULL ? "Authorization: Bearer " : "",
		      a->token != NULL ? a->token : "", a->token != NULL ? "\r\n" : "",
		      body != NULL ? "Content-Type: application/json\r\n" : "", body_len);
	if (hl < 0 || (size_t)hl >= sizeof(head) || adm_send_all(fd, head, (size_t)hl) != 0 ||
	    (body_len > 0 && adm_send_all(fd, body, body_len) != 0)) {
		close(fd);
		fprintf(stderr, "ilpctl admin: sending the request failed\n");
		return -1;
	}
	for (;;) {
		ssize_t r = recv(fd, adm_resp + n, ILPCTL_ADMIN_RESP_MAX - n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			fprintf(stderr, "ilpctl admin: %s\n", errno == EAGAIN ?
				"no answer in time" : strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n >= ILPCTL_ADMIN_RESP_MAX) {
			close(fd);
			fprintf(stderr, "ilpctl admin: answer too large\n");
			return -1;
		}
	}
	close(fd);
	adm_resp[n] = '\0';
	b = strstr(adm_resp, "\r\n\r\n");
	if (strncmp(adm_resp, "HTTP/1.", 7) != 0 || n < 12 || b == NULL ||
	    sscanf(adm_resp + 9, "%3d", &status) != 1) {
		fprintf(stderr, "ilpctl admin: not an HTTP answer\n");
		return -1;
	}
	b += 4;
	*resp = b;
	*resp_len = n - (size_t)(b - adm_resp);
	cl = strstr(adm_resp, "Content-Length: ");
	if (cl != NULL && cl < b) {
		unsigned long want = strtoul(cl + 16, NULL, 10);

		if (want != *resp_len) {
			fprintf(stderr, "ilpctl admin: answer cut short\n");
			return -1;
		}
	}
	return status;
}

int ilpctl_admin_run(const struct ilpctl_admin *a, const char *method, const char *path,
		     const char *body, size_t body_len)
{
	const char *r;
	size_t n;
	int st = ilpctl_admin_call(a, method, path, body, body_len, &r, &n);

	if (st < 0)
		return 1;
	fwrite(r, 1, n, stdout);
	if (n > 0 && r[n - 1] != '\n')
		fputc('\n', stdout);
	if (st < 200 || st > 299) {
		fprintf(stderr, "ilpctl admin: HTTP %d\n", st);
		return 1;
	}
	return 0;
}

/* `admin send --to ADDR --amount N [--data B64 | --data-text TEXT]
 * [--expires-at ISO] [--condition B64]`: exit 0 only when fulfilled. */
static int adm_send(const struct ilpctl_admin *a, int argc, char **argv)
{
	static char data_b64[B64_ENCODED_LEN(32768) + 1];
	const char *to = NULL, *amount = NULL, *data = NULL, *text = NULL, *exp = NULL,
		   *cond = NULL, *r;
	struct jout w;
	size_t n;
	int i, st;

	for (i = 1; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "--to") == 0)
			dst = &to;
		else if (strcmp(argv[i], "--amount") == 0)
			dst = &amount;
		else if (strcmp(argv[i], "--data") == 0)
			dst = &data;
		else if (strcmp(argv[i], "--data-text") == 0)
			dst = &text;
		else if (strcmp(argv[i], "--expires-at") == 0)
			dst = &exp;
		else if (strcmp(argv[i], "--condition") == 0)
			dst = &cond;
		else
			return adm_usage("send: unknown option '%s'", argv[i]);
		if (i + 1 >= argc)
			return adm_usage("send: %s needs a value", argv[i]);
		*dst = argv[++i];
	}
	if (to == NULL || amount == NULL)
		return adm_usage("send: --to and --amount are required");
	if (data != NULL && text != NULL)
		return adm_usage("send: give --data or --data-text, not both");
	if (text != NULL) {
		if (b64_encode((const uint8_t *)text, strlen(text), data_b64, sizeof(data_b64),
			       &n) != 0)
			return adm_usage("send: --data-text is longer than 32767 bytes");
		data = data_b64;
	}
	jout_init(&w, adm_req, sizeof(adm_req));
	jout_begin_object(&w);
	jout_key(&w, "destination");
	jout_utf8(&w, (const uint8_t *)to, strlen(to));
	jout_key(&w, "amount");
	jout_utf8(&w, (const uint8_t *)amount, strlen(amount));
	jout_key(&w, "data");
	jout_utf8(&w, (const uint8_t *)(data != NULL ? data : ""), data != NULL ? strlen(data) : 0);
	if (exp != NULL) {
		jout_key(&w, "expiresAt");
		jout_utf8(&w, (const uint8_t *)exp, strlen(exp));
	}
	if (cond != NULL) {
		jout_key(&w, "executionCondition");
		jout_utf8(&w, (const uint8_t *)cond, strlen(cond));
	}
	jout_end_object(&w);
	if (w.overflow)
		return adm_usage("send: request too large");
	st = ilpctl_admin_call(a, "POST", "/admin/ilp/send", w.buf, w.len, &r, &n);
	if (st < 0)
		return 1;
	fwrite(r, 1, n, stdout);
	if (n > 0 && r[n - 1] != '\n')
		fputc('\n', stdout);
	if (st != 200) {
		fprintf(stderr, "ilpctl admin: HTTP %d\n", st);
		return 1;
	}
	return strstr(r, "\"accepted\":true") != NULL ? 0 : 1;
}

/* The first line of a file (the token), into buf. */
static const char *adm_token_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL || fgets(buf, (int)cap, f) == NULL) {
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return buf;
}

int ilpctl_admin_main(int argc, char **argv)
{
	static char tokbuf[512];
	struct ilpctl_admin a;
	const char *url = getenv("ILPD_ADMIN_URL"), *cmd;
	int i;

	memset(&a, 0, sizeof(a));
	a.token = getenv("ILPD_ADMIN_TOKEN");
	if (a.token != NULL && a.token[0] == '\0')
		a.token = NULL;
	a.timeout_ms = 60000;
	if (url == NULL || url[0] == '\0')
		url = "http://127.0.0.1:7769";
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			adm_synopsis(stdout);
			return 0;
		}
		if (i + 1 >= argc)
			return adm_usage("%s needs a value", argv[i]);
		if (strcmp(argv[i], "--url") == 0) {
			url = argv[++i];
		} else if (strcmp(argv[i], "--token") == 0) {
			a.token = argv[++i];
		} else if (strcmp(argv[i], "--token-file") == 0) {
			a.token = adm_token_file(argv[++i], tokbuf, sizeof(tokbuf));
			if (a.token == NULL)
				return adm_usage("cannot read the token file %s", argv[i]);
		} else if (strcmp(argv[i], "--timeout-ms") == 0) {
			a.timeout_ms = atoi(argv[++i]);
			if (a.timeout_ms <= 0)
				return adm_usage("bad --timeout-ms %s", argv[i]);
		} else {
			return adm_usage("unknown option '%s'", argv[i]);
		}
	}
	if (ilpctl_admin_url(url, &a) != 0)
		return adm_usage("URL must be http://HOST:PORT[/], not '%s'", url);
	if (i >= argc)
		return adm_usage("missing command");
	cmd = argv[i];
	argc -= i;
	argv += i;
	if (strcmp(cmd, "send") == 0)
		return adm_send(&a, argc, argv);
	if (strcmp(cmd, "peers") == 0)
		return ilpctl_admin_peers_main(&a, argc, argv);
	if (strcmp(cmd, "routes") == 0)
		return ilpctl_admin_routes_main(&a, argc, argv);
	if (strcmp(cmd, "get") == 0 || strcmp(cmd, "delete") == 0) {
		if (argc != 2 || argv[1][0] != '/')
			return adm_usage("%s takes one PATH (/admin/...)", cmd);
		return ilpctl_admin_run(&a, cmd[0] == 'g' ? "GET" : "DELETE", argv[1], NULL, 0);
	}
	if (strcmp(cmd, "post") == 0) {
		if (argc != 3 || argv[1][0] != '/')
			return adm_usage("post takes PATH and a JSON body");
		return ilpctl_admin_run(&a, "POST", argv[1], argv[2], strlen(argv[2]));
	}
	return adm_usage("unknown command '%s'", cmd);
}
