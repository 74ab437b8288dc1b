/*
 * test_embed.c - the embedded API's configuration from settings and its
 * state rules (include/ilpd.h), in one process (one connector per process,
 * so the checks run in order on the same instance):
 *  - calls before the start are refused (ILPD_E_ARG / nothing to step);
 *  - a value with a line break is refused before anything is parsed (it
 *    would inject a key);
 *  - an unknown key is ILPD_E_CONFIG with "(settings):LINE: message";
 *  - a valid set starts: the address is the configured one, "local" has a
 *    balance of 0, an unknown peer is ILPD_E_ARG, a second start is
 *    refused; ilpd_fds lists the two listeners; a send to an address with
 *    no route gets F02 through the callback; ilpd_stop/ilpd_done/ilpd_finish.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ilpd.h"

static int failures;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static int done_calls;
static char done_code[4];

static void on_done(void *user, const struct ilpd_result *r)
{
	(void)user;
	done_calls++;
	memcpy(done_code, r->accepted ? "ok!" : r->code, 4);
}

int main(void)
{
	const struct ilpd_setting inject[] = {
		{ "node", "address", "test.embed\n[peer evil]" },
	};
	const struct ilpd_setting unknown[] = {
		{ "node", "address", "test.embed" },
		{ "node", "colour", "blue" },
	};
	char btp[32], adm[32];
	/* Ports below the ephemeral range, from the PID (as the scripts do). */
	const int port = 22000 + (int)(getpid() % 5000) * 2;
	const struct ilpd_setting good[] = {
		{ "node", "address", "test.embed" },
		{ "btp", "listen", btp },
		{ "admin", "listen", adm },
		{ "log", "level", "warn" },
		{ "ledger", "durability", "off" },
	};
	struct ilpd_pollfd f[16];
	char err[256];
	int64_t bal = 99;
	int timeout = -1, i;

	snprintf(btp, sizeof(btp), "127.0.0.1:%d", port);
	snprintf(adm, sizeof(adm), "127.0.0.1:%d", port + 1);
	CHECK(ilpd_accept(1, NULL, 0) == ILPD_E_ARG);
	CHECK(ilpd_send_packet("test.x", 1, NULL, 0, NULL, 0, on_done, NULL) == ILPD_E_ARG);
	CHECK(ilpd_fds(f, 16, &timeout) == 0);
	CHECK(ilpd_done());

	err[0] = 0;
	CHECK(ilpd_start_settings(inject, 1, err, sizeof(err)) == ILPD_E_ARG);
	CHECK(strstr(err, "line break") != NULL);

	err[0] = 0;
	CHECK(ilpd_start_settings(unknown, 2, err, sizeof(err)) == ILPD_E_CONFIG);
	CHECK(strncmp(err, "settings[1] [node] colour: ", 27) == 0);
	CHECK(strstr(err, "colour") != NULL);

	if (ilpd_start_settings(good, sizeof(good) / sizeof(good[0]), err, sizeof(err)) != 0) {
		fprintf(stderr, "FAIL: start: %s\n", err);
		return 1;
	}
	CHECK(strcmp(ilpd_address(), "test.embed") == 0);
	err[0] = 0;
	CHECK(ilpd_start_settings(good, 1, err, sizeof(err)) == ILPD_E_ARG);
	CHECK(strstr(err, "already started") != NULL);
	CHECK(ilpd_fds(f, 16, &timeout) >= 2);
	CHECK(timeout >= 0 && timeout <= 1000);
	CHECK(ilpd_balance("nobody", &bal) == ILPD_E_ARG);

	CHECK(ilpd_send_packet("test.elsewhere.x", 5, (const uint8_t *)"hi", 2, NULL, 0,
			       on_done, NULL) == 0);
	for (i = 0; i < 100 && done_calls == 0; i++)
		ilpd_step(10);
	CHECK(done_calls == 1);
	CHECK(strcmp(done_code, "F02") == 0);
	CHECK(ilpd_balance("local", &bal) == 0 && bal == 0);
	CHECK(ilpd_reject(12345, "F99", "nothing waits") == ILPD_E_GONE);
	CHECK(ilpd_reject(12345, "XYZ", "not an ILP code") == ILPD_E_ARG);
	CHECK(ilpd_reject(12345, "F9", "too short") == ILPD_E_ARG);
	CHECK(ilpd_reject(12345, "f99", "lower case") == ILPD_E_ARG);

	ilpd_stop(100);
	for (i = 0; i < 300 && !ilpd_done(); i++)
		ilpd_step(10);
	CHECK(ilpd_done());
	ilpd_finish();
	CHECK(done_calls == 1);
	if (failures == 0)
		puts("test_embed: all checks passed");
	return failures == 0 ? 0 : 1;
}
