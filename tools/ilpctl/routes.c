/*
 * routes.c - `ilpctl routes URL`: fetches GET /routes from ilpd's admin
 * listener (http://HOST:PORT[/...]) and prints one route per line:
 *   PREFIX  NEXT_HOP  SOURCE  AGE  PATH
 * then the summary (learned count, capacity, dropped, epoch).
 *
 * Memory: one 256 KiB static response buffer; blocking socket with a 5 s
 * timeout; no heap of its own. Exit 0, 1 on a network/HTTP error, 2 usage.
 */
#define _POSIX_C_SOURCE 200809L
#include "routes.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RT_MAX (256 * 1024)

static char rt_buf[RT_MAX + 1];

/* Splits http://host:port/... into host and port. 0 or -1. */
static int rt_url(const char *url, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *p = url, *h, *c, *e;

	if (strncmp(p, "http://", 7) != 0)
		return -1;
	h = p + 7;
	e = strchr(h, '/');
	if (e == NULL)
		e = h + strlen(h);
	c = memchr(h, ':', (size_t)(e - h));
	if (c == NULL || c == h || (size_t)(c - h) >= hcap || (size_t)(e - c - 1) >= pcap ||
	    e == c + 1)
		return -1;
	memcpy(host, h, (size_t)(c - h));
	host[c - h] = '\0';
	memcpy(port, c + 1, (size_t)(e - c - 1));
	port[e - c - 1] = '\0';
	return 0;
}

static long rt_fetch(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { 5, 0 };
	char req[512];
	long n = 0;
	int fd = -1, rl;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
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
	if (fd < 0)
		return -1;
	rl = snprintf(req, sizeof(req), "GET /routes HTTP/1.1\r\nHost: %s\r\n"
		      "Connection: close\r\n\r\n", host);
	if (rl < 0 || (size_t)rl >= sizeof(req) || send(fd, req, (size_t)rl, 0) != rl) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = recv(fd, rt_buf + n, (size_t)(RT_MAX - n), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
		if (n >= RT_MAX)
			break;
	}
	close(fd);
	rt_buf[n] = '\0';
	return n;
}

/* The string or number after "key": in [p, end); copies into out. */
static const char *rt_field(const char *p, const char *key, char *out, size_t cap)
{
	char pat[32];
	const char *v, *e;
	size_t n;

	(void)snprintf(pat, sizeof(pat), "\"%s\":", key);
	v = strstr(p, pat);
	if (v == NULL)
		return NULL;
	v += strlen(pat);
	if (*v == '"') {
		v++;
		e = strchr(v, '"');
	} else {
		e = v + strcspn(v, ",}]");
	}
	if (e == NULL)
		return NULL;
	n = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
	memcpy(out, v, n);
	out[n] = '\0';
	return e;
}

int ilpctl_routes_main(int argc, char **argv)
{
	char host[256], port[16], prefix[1100], hop[64], src[32], age[32], plen[16];
	const char *body, *p;
	long n;

	if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr, "usage: ilpctl routes http://HOST:ADMIN_PORT/\n"
			"    prints ilpd's routing table (GET /routes): prefix, next hop,\n"
			"    source (local, static, learned, learned-backup, default), age, path length\n");
		return argc == 2 ? 0 : 2;
	}
	if (rt_url(argv[1], host, sizeof(host), port, sizeof(port)) != 0) {
		fprintf(stderr, "ilpctl routes: URL must be http://HOST:PORT[/]\n");
		return 2;
	}
	n = rt_fetch(host, port);
	if (n <= 0) {
		fprintf(stderr, "ilpctl routes: %s:%s: no answer\n", host, port);
		return 1;
	}
	if (strncmp(rt_buf, "HTTP/1.1 200", 12) != 0 || (body = strstr(rt_buf, "\r\n\r\n")) == NULL) {
		fprintf(stderr, "ilpctl routes: %.60s\n", rt_buf);
		return 1;
	}
	body += 4;
	printf("%-40s %-20s %-14s %8s %s\n", "PREFIX", "NEXT_HOP", "SOURCE", "AGE_S", "PATH");
	p = strstr(body, "\"routes\":[");
	while (p != NULL && (p = strstr(p, "{\"prefix\":")) != NULL) {
		if (rt_field(p, "prefix", prefix, sizeof(prefix)) == NULL ||
		    rt_field(p, "next_hop", hop, sizeof(hop)) == NULL ||
		    rt_field(p, "source", src, sizeof(src)) == NULL ||
		    rt_field(p, "age_s", age, sizeof(age)) == NULL)
			break;
		{
			const char *end = strchr(p, '}');
			const char *pl = strstr(p, "\"path_length\":");

			if (pl != NULL && end != NULL && pl < end)
				(void)rt_field(p, "path_length", plen, sizeof(plen));
			else
				strcpy(plen, "-");
			printf("%-40s %-20s %-14s %8s %s\n", prefix, hop, src,
			       strcmp(age, "null") == 0 ? "-" : age, plen);
			if (end == NULL)
				break;
			p = end + 1;
		}
	}
	p = strstr(body, "],\"truncated\":");
	if (p != NULL) {
		char tr[8], le[16], cap[16], dr[24], ep[16];

		if (rt_field(p, "truncated", tr, sizeof(tr)) && rt_field(p, "learned", le, sizeof(le)) &&
		    rt_field(p, "learned_capacity", cap, sizeof(cap)) &&
		    rt_field(p, "learned_dropped", dr, sizeof(dr)) && rt_field(p, "epoch", ep, sizeof(ep)))
			printf("learned %s of %s, dropped %s, epoch %s%s\n", le, cap, dr, ep,
			       strcmp(tr, "true") == 0 ? " (list truncated)" : "");
	}
	return 0;
}
