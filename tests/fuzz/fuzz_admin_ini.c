/*
 * fuzz_admin_ini.c - libFuzzer target for admin.ini's reader
 * (firmware/admin_ini.c): the peers and routes the admin API keeps, read on
 * top of a configuration file at start-up and reload.
 *
 * Properties checked (a violation traps):
 *  - ilpd_admin_ini_load_text returns 0 or -1; on -1 the message is
 *    "admin.ini:LINE: ..." (or the configuration file's name for a rule it
 *    breaks there), NUL-terminated inside its buffer;
 *  - on 0 the result is a valid configuration: peers within the board
 *    limit, unique names, every route to a known peer;
 *  - on 0 what ilpd would write back (ilpd_admin_ini_render) reads again
 *    on top of the same file with the same peers and routes.
 * ASan/UBSan find the memory errors.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "admin_ini.h"
#include "config.h"
#include "fuzz_util.h"

#define FUZZ_AI_MAX 16384

static const char fuzz_ai_base[] =
	"[node]\naddress = test.a\n[btp]\nlisten = 127.0.0.1:1\n[admin]\nlisten = off\n"
	"[peer alice]\nrelation = child\ntoken = ta\n"
	"[peer bob]\nrelation = peer\ntoken = tb\nurl = ws://127.0.0.1:2/x\n"
	"[routes]\ntest.b = bob\ndefault = bob\n";

static struct ilpd_conf base, conf, again;
static bool base_ok;
static char text[FUZZ_AI_MAX + 1];
static char out[ILPD_ADMIN_INI_MAX + 1];

static void fuzz_ai_valid(const struct ilpd_conf *c)
{
	size_t i, j;

	FUZZ_CHECK(c->npeers <= ILPD_MAX_PEERS && c->nroutes <= ILPD_MAX_ROUTES);
	for (i = 0; i < c->npeers; i++)
		for (j = i + 1; j < c->npeers; j++)
			FUZZ_CHECK(strcmp(c->peer[i].name, c->peer[j].name) != 0);
	for (i = 0; i < c->nroutes; i++)
		FUZZ_CHECK(ilpd_conf_peer_index(c, c->route[i].peer) >= 0);
	FUZZ_CHECK(c->default_route[0] == '\0' || ilpd_conf_peer_index(c, c->default_route) >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ilpd_conf_err err;
	size_t n, i;
	int r;

	if (!base_ok) {
		FUZZ_CHECK(ilpd_conf_load_string(&base, "t.ini", fuzz_ai_base, &err) == 0);
		base_ok = true;
	}
	if (size > FUZZ_AI_MAX)
		return 0;
	memcpy(text, data, size);
	memcpy(&conf, &base, sizeof(conf));
	r = ilpd_admin_ini_load_text(&conf, "admin.ini", text, size, &err);
	FUZZ_CHECK(r == 0 || r == -1);
	if (r != 0) {
		FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		FUZZ_CHECK(strncmp(err.msg, "admin.ini:", 10) == 0 ||
			   strncmp(err.msg, "t.ini:", 6) == 0);
		return 0;
	}
	fuzz_ai_valid(&conf);
	n = ilpd_admin_ini_render(&conf, out, sizeof(out) - 1);
	FUZZ_CHECK(n > 0);
	memcpy(&again, &base, sizeof(again));
	FUZZ_CHECK(ilpd_admin_ini_load_text(&again, "admin.ini", out, n, &err) == 0);
	FUZZ_CHECK(again.npeers == conf.npeers && again.nroutes == conf.nroutes);
	FUZZ_CHECK(strcmp(again.default_route, conf.default_route) == 0);
	for (i = 0; i < conf.npeers; i++) {
		int j = ilpd_conf_peer_index(&again, conf.peer[i].name);

		FUZZ_CHECK(j >= 0);
		FUZZ_CHECK(strcmp(again.peer[j].token, conf.peer[i].token) == 0);
		FUZZ_CHECK(again.peer[j].max_packet_amount == conf.peer[i].max_packet_amount);
	}
	return 0;
}
