/*
 * admin_peers.c - `ilpctl admin peers ...` and `ilpctl admin routes ...`:
 * ilpd's admin API for peers and static routes (firmware/admin_peers.h)
 * over admin.c's plumbing (URL, bearer token, one request per call).
 *
 *   peers [list]                      GET /admin/peers
 *   peers show NAME                   GET /admin/peers/NAME
 *   peers add NAME KEY=VALUE...       POST /admin/peers (adds, or changes
 *                                     the keys given of an existing peer)
 *   peers del NAME                    DELETE /admin/peers/NAME
 *   routes [list]                     GET /admin/routes
 *   routes add PREFIX PEER [--replace] POST /admin/routes ("default" for
 *                                     the default route)
 *   routes del PREFIX                 DELETE /admin/routes/PREFIX
 *
 * The answer's JSON is printed on stdout; exit 0 for 2xx, 1 otherwise
 * (the error JSON on stdout, "ilpctl admin: HTTP STATUS" on stderr), 2 for
 * a usage error. Values are sent as JSON strings; ilpd checks them with
 * its configuration loader.
 *
 * Memory: a static request body (64 KiB) and path; no heap.
 */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "net/json_out.h"

static char ap_req[64 * 1024];

static const char ap_help[] =
	"usage: ilpctl admin [--url URL] [--token T] peers [list | show NAME |\n"
	"           add NAME KEY=VALUE... | del NAME]\n"
	"       ilpctl admin [--url URL] [--token T] routes [list |\n"
	"           add PREFIX PEER [--replace] | del PREFIX]\n"
	"peers add adds the peer, or changes the keys given of an existing one; the\n"
	"keys are those of a [peer NAME] section (man ilpd). PREFIX \"default\" is the\n"
	"default route. The JSON answer goes to stdout; exit 0 on 2xx, 1 otherwise.\n";

static int ap_usage(const char *what)
{
	fprintf(stderr, "ilpctl admin: %s\n%s", what, ap_help);
	return 2;
}

static bool ap_is_help(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(ap_help, stdout);
		return true;
	}
	return false;
}

/* base + "/" + s, percent-encoding bytes outside [A-Za-z0-9._~-]. */
static int ap_path(char *out, size_t cap, const char *base, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(base);

	if (n + 2 > cap)
		return -1;
	memcpy(out, base, n);
	out[n++] = '/';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' || c == '-';

		if (n + 4 > cap)
			return -1;
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return 0;
}

static void ap_jstr(struct jout *w, const char *key, const char *v, size_t n)
{
	jout_key(w, key);
	jout_utf8(w, (const uint8_t *)v, n);
}

int ilpctl_admin_peers_main(const struct ilpctl_admin *a, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	char path[1024], key[128];
	struct jout w;
	int i;

	if (ap_is_help(argc, argv))
		return 0;
	if (strcmp(sub, "list") == 0) {
		if (argc > 2)
			return ap_usage("peers list takes no arguments");
		return ilpctl_admin_run(a, "GET", "/admin/peers", NULL, 0);
	}
	if (argc < 3)
		return ap_usage("missing the peer's NAME");
	if (ap_path(path, sizeof(path), "/admin/peers", argv[2]) != 0)
		return ap_usage("NAME is too long");
	if (strcmp(sub, "show") == 0 || strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0) {
		if (argc != 3)
			return ap_usage("too many arguments");
		return ilpctl_admin_run(a, sub[0] == 's' ? "GET" : "DELETE", path, NULL, 0);
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "set") != 0)
		return ap_usage("unknown peers command (list, show, add, del)");
	jout_init(&w, ap_req, sizeof(ap_req));
	jout_begin_object(&w);
	ap_jstr(&w, "name", argv[2], strlen(argv[2]));
	for (i = 3; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t kl;

		if (eq == NULL || eq == argv[i])
			return ap_usage("peer settings are KEY=VALUE");
		kl = (size_t)(eq - argv[i]);
		if (kl >= sizeof(key))
			return ap_usage("KEY is too long");
		memcpy(key, argv[i], kl);
		key[kl] = '\0';
		for (size_t k = 0; k < kl; k++)
			if (!((key[k] >= 'a' && key[k] <= 'z') || key[k] == '_' ||
			      (key[k] >= '0' && key[k] <= '9')))
				return ap_usage("KEY must be a configuration key (a-z, 0-9, _)");
		ap_jstr(&w, key, eq + 1, strlen(eq + 1));
	}
	jout_end_object(&w);
	if (w.overflow)
		return ap_usage("the settings are too long");
	return ilpctl_admin_run(a, "POST", "/admin/peers", w.buf, w.len);
}

int ilpctl_admin_routes_main(const struct ilpctl_admin *a, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	char path[1024];
	struct jout w;
	bool replace = false;

	if (ap_is_help(argc, argv))
		return 0;
	if (strcmp(sub, "list") == 0) {
		if (argc > 2)
			return ap_usage("routes list takes no arguments");
		return ilpctl_admin_run(a, "GET", "/admin/routes", NULL, 0);
	}
	if (strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0) {
		if (argc != 3)
			return ap_usage("routes del takes one PREFIX");
		if (ap_path(path, sizeof(path), "/admin/routes", argv[2]) != 0)
			return ap_usage("PREFIX is too long");
		return ilpctl_admin_run(a, "DELETE", path, NULL, 0);
	}
	if (strcmp(sub, "add") != 0)
		return ap_usage("unknown routes command (list, add, del)");
	if (argc == 5 && strcmp(argv[4], "--replace") == 0)
		replace = true;
	else if (argc != 4)
		return ap_usage("routes add takes PREFIX PEER [--replace]");
	jout_init(&w, ap_req, sizeof(ap_req));
	jout_begin_object(&w);
	ap_jstr(&w, "prefix", argv[2], strlen(argv[2]));
	ap_jstr(&w, "peer", argv[3], strlen(argv[3]));
	if (replace) {
		jout_key(&w, "replace");
		jout_raw(&w, "true", 4);
	}
	jout_end_object(&w);
	if (w.overflow)
		return ap_usage("PREFIX or PEER is too long");
	return ilpctl_admin_run(a, "POST", "/admin/routes", w.buf, w.len);
}
