/*
 * settlement.c - `ilpctl settlement http://HOST:ADMIN_PORT/ [PEER]`: reads
 * GET /health from ilpd's admin listener and prints, per peer (or the one
 * named), its balance (what the peer owes ilpd) and settlement state:
 *   PEER  BALANCE  SETTLING  SETTLED  CREDITED  ENGINE  FAILURES  LAST_MS
 * ("-" for a peer without a settlement engine).
 *
 * The request is ilpctl admin's (admin.h: ilpctl_admin_call, 5 s timeout).
 * Memory: a copy of the body (ILPCTL_ADMIN_RESP_MAX, static; the JSON
 * reader decodes in place) and a static JSON node table (net/json.h). No
 * heap. Exit 0, 1 on a network/HTTP error or an unknown peer, 2 usage.
 */
#include "settlement.h"

#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "net/json.h"

#define ST_NODES 16384

static char st_buf[ILPCTL_ADMIN_RESP_MAX + 1];
static struct jnode st_nodes[ST_NODES];

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
	struct ilpctl_admin adm;
	const struct jnode *peers, *pe;
	const char *resp;
	char *body;
	size_t n;
	int status;
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
	memset(&adm, 0, sizeof(adm));
	adm.timeout_ms = 5000;
	if (ilpctl_admin_url(argv[1], &adm) != 0) {
		fprintf(stderr, "ilpctl settlement: URL must be http://HOST:PORT[/]\n");
		return 2;
	}
	status = ilpctl_admin_call(&adm, "GET", "/health", NULL, 0, &resp, &n);
	if (status < 0)
		return 1;   /* why is printed */
	if (status != 200) {
		fprintf(stderr, "ilpctl settlement: GET /health: HTTP %d\n", status);
		return 1;
	}
	memcpy(st_buf, resp, n);
	st_buf[n] = '\0';
	body = st_buf;
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
