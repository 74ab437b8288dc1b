/*
 * settlement.c - `ilpctl settlement http://HOST:ADMIN_PORT/ [PEER]`: reads
 * GET /health from ilpd's admin listener and prints, per peer (or the one
 * named), its balance (what the peer owes ilpd) and settlement state:
 *   PEER  BALANCE  SETTLING  SETTLED  CREDITED  ENGINE  FAILURES  LAST_MS
 * ("-" for a peer without a settlement engine).
 *
 * Memory: a 256 KiB static response buffer and a static JSON node table
 * (net/json.h); blocking socket with a 5 s timeout. No heap. Exit 0, 1 on
 * a network/HTTP error or an unknown peer, 2 usage.
 */
#define _POSIX_C_SOURCE 200809L
#include "settlement.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net/json.h"

#define ST_MAX (256 * 1024)
#define ST_NODES 16384

static char st_buf[ST_MAX + 1];
static struct jnode st_nodes[ST_NODES];

static long st_get(const char *url, const char *path)
{
	char host[256], port[16], req[512];
	const char *h, *c, *e;
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { 5, 0 };
	long n = 0;
	int fd = -1, rl;

	if (strncmp(url, "http://", 7) != 0)
		return -2;
	h = url + 7;
	e = strchr(h, '/');
	if (e == NULL)
		e = h + strlen(h);
	c = memchr(h, ':', (size_t)(e - h));
	if (c == NULL || c == h || (size_t)(c - h) >= sizeof(host) || e == c + 1 ||
	    (size_t)(e - c - 1) >= sizeof(port))
		return -2;
	memcpy(host, h, (size_t)(c - h));
	host[c - h] = '\0';
	memcpy(port, c + 1, (size_t)(e - c - 1));
	port[e - c - 1] = '\0';
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
	rl = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		      path, host);
	if (rl < 0 || (size_t)rl >= sizeof(req) || send(fd, req, (size_t)rl, 0) != rl) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = recv(fd, st_buf + n, (size_t)(ST_MAX - n), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
		if (n >= ST_MAX)
			break;
	}
	close(fd);
	st_buf[n] = '\0';
	return n;
}

/* The text of member key of object obj (string or number), or "-". */
static const char *st_val(const struct jdoc *d, uint32_t obj, const char *key, char *out,
			  size_t cap)
{
	const struct jnode *v = json_node(d, json_member(d, obj, key));
	size_t n;

	if (v == NULL || (v->type != JSON_STRING && v->type != JSON_NUMBER &&
			  v->type != JSON_BOOL))
		return "-";
	n = v->len < cap - 1 ? v->len : cap - 1;
	memcpy(out, v->str, n);
	out[n] = '\0';
	return out;
}

int ilpctl_settlement_main(int argc, char **argv)
{
	struct jdoc doc;
	const struct jnode *peers, *pe;
	char *body;
	long n;
	uint32_t i, s;
	int shown = 0;

	if (argc < 2 || argc > 3 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc >= 2 ? stdout : stderr,
			"usage: ilpctl settlement http://HOST:ADMIN_PORT/ [PEER]\n"
			"    prints each peer's balance (what it owes ilpd) and settlement\n"
			"    state from GET /health: settling (asked of the engine, not yet\n"
			"    accepted), settled and credited totals, engine reachability,\n"
			"    consecutive failures, last settlement (ms since the epoch)\n");
		return argc >= 2 ? 0 : 2;
	}
	n = st_get(argv[1], "/health");
	if (n == -2) {
		fprintf(stderr, "ilpctl settlement: URL must be http://HOST:PORT[/]\n");
		return 2;
	}
	if (n <= 0) {
		fprintf(stderr, "ilpctl settlement: %s: no answer\n", argv[1]);
		return 1;
	}
	body = strstr(st_buf, "\r\n\r\n");
	if (strncmp(st_buf, "HTTP/1.", 7) != 0 || body == NULL) {
		fprintf(stderr, "ilpctl settlement: %.60s\n", st_buf);
		return 1;
	}
	body += 4;
	json_init(&doc, st_nodes, ST_NODES, 6);
	if (json_parse(&doc, (uint8_t *)body, strlen(body)) != 0) {
		fprintf(stderr, "ilpctl settlement: /health is not JSON: %s\n", doc.err);
		return 1;
	}
	peers = json_node(&doc, json_member(&doc, 0, "peers"));
	if (peers == NULL || peers->type != JSON_ARRAY) {
		fprintf(stderr, "ilpctl settlement: /health has no peers\n");
		return 1;
	}
	printf("%-20s %20s %20s %20s %20s %-11s %8s %s\n", "PEER", "BALANCE", "SETTLING",
	       "SETTLED", "CREDITED", "ENGINE", "FAILURES", "LAST_MS");
	for (i = peers->child; i != JSON_NONE; i = pe->next) {
		char nm[64], bal[32], a[32], b[32], c[32], e[16], f[16], l[24];

		pe = json_node(&doc, i);
		(void)st_val(&doc, i, "name", nm, sizeof(nm));
		if (argc == 3 && strcmp(nm, argv[2]) != 0)
			continue;
		shown++;
		s = json_member(&doc, i, "settlement");
		if (s == JSON_NONE) {
			printf("%-20s %20s %20s %20s %20s %-11s %8s %s\n", nm,
			       st_val(&doc, i, "balance", bal, sizeof(bal)), "-", "-", "-", "-", "-",
			       "-");
			continue;
		}
		printf("%-20s %20s %20s %20s %20s %-11s %8s %s\n", nm,
		       st_val(&doc, i, "balance", bal, sizeof(bal)),
		       st_val(&doc, s, "settling", a, sizeof(a)),
		       st_val(&doc, s, "settled", b, sizeof(b)),
		       st_val(&doc, s, "credited", c, sizeof(c)),
		       st_val(&doc, s, "engine", e, sizeof(e)),
		       st_val(&doc, s, "failures", f, sizeof(f)),
		       st_val(&doc, s, "lastSettlementMs", l, sizeof(l)));
	}
	if (argc == 3 && shown == 0) {
		fprintf(stderr, "ilpctl settlement: no peer '%s'\n", argv[2]);
		return 1;
	}
	return 0;
}
