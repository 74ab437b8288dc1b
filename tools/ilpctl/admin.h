/*
 * admin.h - `ilpctl admin ...` (admin.c): a client for ilpd's admin API on
 * its admin listener. admin.c holds the plumbing (URL, bearer token, one
 * blocking HTTP/1.1 request per call) and `admin send`, `get`, `post`,
 * `delete`; other files add subcommands through the hooks below
 * (admin_peers.c: peers, routes).
 *
 * Memory: one static response buffer (ILPCTL_ADMIN_RESP_MAX); no heap of
 * its own.
 */
#ifndef ILPCTL_ADMIN_H
#define ILPCTL_ADMIN_H

#include <stddef.h>

#define ILPCTL_ADMIN_RESP_MAX (512 * 1024)

struct ilpctl_admin {
	char host[256];              /* from the URL */
	char port[16];
	const char *token;           /* NULL: none */
	int timeout_ms;
};

/* "http://HOST:PORT[/]" ([V6] too) into a's host and port: 0 or -1. */
int ilpctl_admin_url(const char *url, struct ilpctl_admin *a);

/* One request: method, path ("/admin/peers"), a JSON body (NULL: none).
 * Returns the HTTP status and *body / *n (NUL-terminated, valid until the
 * next call), or -1 after printing why to stderr (connection, timeout,
 * unreadable answer). */
int ilpctl_admin_call(const struct ilpctl_admin *a, const char *method, const char *path,
		      const char *body, size_t body_len, const char **resp, size_t *resp_len);

/* Runs a call and prints its body on stdout (a newline added if missing);
 * the exit status: 0 for 2xx, 1 for anything else (stderr gets
 * "ilpctl admin: HTTP STATUS"). */
int ilpctl_admin_run(const struct ilpctl_admin *a, const char *method, const char *path,
		     const char *body, size_t body_len);

/* `ilpctl admin [--url URL] [--token T | --token-file F] [--timeout-ms MS] CMD ...` */
int ilpctl_admin_main(int argc, char **argv);

/* Subcommand hooks: argv[0] is "peers" / "routes". Exit status. */
int ilpctl_admin_peers_main(const struct ilpctl_admin *a, int argc, char **argv);
int ilpctl_admin_routes_main(const struct ilpctl_admin *a, int argc, char **argv);

#endif /* ILPCTL_ADMIN_H */
