/*
 * config_ledger.c - the [ledger] section (config.h): how the durable
 * ledger (firmware/persist.h) keeps balances on stable storage.
 *
 *   durability          sync | interval | off [sync]
 *   commit_interval_ms  0..1000 [0]; sync only: the group-commit window
 *                       (0: one sync per loop iteration)
 *   sync_interval_ms    10..60000 [1000]; interval only: the sync period
 *   state_file          an absolute path [<[transport] state_dir>/ledger.state]
 *
 * Rules: a window or period for the other mode is refused at its line (it
 * would silently do nothing); the default state_file is built once
 * [transport] is read and must fit ILPD_CONF_PATH_MAX. Nothing here
 * touches the file system: the daemon creates the directory (0700) and the
 * file when it starts. Memory: struct ilpd_ledger_conf, ~280 bytes, inside
 * struct ilpd_conf. No heap.
 */
#include <stdio.h>
#include <string.h>

#include "config_int.h"
#include "persist.h"

enum { K_LG_DURABILITY, K_LG_COMMIT_MS, K_LG_SYNC_MS, K_LG_STATE_FILE };
const char *const conf_ledger_keys[] = {
	"durability", "commit_interval_ms", "sync_interval_ms", "state_file", NULL
};

static const char *const lg_modes[] = { "sync", "interval", "off" };

const char *ilpd_durability_name(unsigned mode)
{
	return mode < 3 ? lg_modes[mode] : "?";
}

void conf_ledger_defaults(struct ilpd_conf *c)
{
	struct ilpd_ledger_conf *l = &c->ledger;

	memset(l, 0, sizeof(*l));
	l->durability = ILPD_DUR_SYNC;
	l->commit_interval_ms = 0;
	l->sync_interval_ms = 1000;
}

int conf_set_ledger(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_ledger_conf *l = &st->c->ledger;
	unsigned i;

	l->line = st->sec_line[SEC_LEDGER];
	switch (k) {
	case K_LG_DURABILITY:
		for (i = 0; i < 3; i++) {
			if (conf_ieq(v, lg_modes[i])) {
				l->durability = (uint8_t)i;
				return 0;
			}
		}
		conf_fail(st, st->line, "'durability' must be sync, interval or off");
		return -1;
	case K_LG_COMMIT_MS:
		return conf_int(st, "commit_interval_ms", v, 0, 1000, &l->commit_interval_ms);
	case K_LG_SYNC_MS:
		return conf_int(st, "sync_interval_ms", v, 10, 60000, &l->sync_interval_ms);
	case K_LG_STATE_FILE:
		if (conf_text(st, "state_file", v, l->state_file, sizeof(l->state_file),
			      false) != 0)
			return -1;
		if (l->state_file[0] != '/') {
			conf_fail(st, st->line, "'state_file' must be an absolute path");
			return -1;
		}
		if (l->state_file[strlen(l->state_file) - 1] == '/') {
			conf_fail(st, st->line, "'state_file' must name a file, not a directory");
			return -1;
		}
		return 0;
	default:
		return -1;
	}
}

void conf_finish_ledger(struct conf_parse *st)
{
	struct ilpd_conf *c = st->c;
	struct ilpd_ledger_conf *l = &c->ledger;
	const int *kl = st->key_line[SEC_LEDGER];
	int n;

	if (kl[K_LG_COMMIT_MS] != 0 && l->durability != ILPD_DUR_SYNC)
		conf_fail(st, kl[K_LG_COMMIT_MS], "'commit_interval_ms' is for durability = "
			  "sync (durability is %s)", lg_modes[l->durability]);
	if (kl[K_LG_SYNC_MS] != 0 && l->durability != ILPD_DUR_INTERVAL)
		conf_fail(st, kl[K_LG_SYNC_MS], "'sync_interval_ms' is for durability = "
			  "interval (durability is %s)", lg_modes[l->durability]);
	if (l->state_file[0] != '\0')
		return;
	n = snprintf(l->state_file, sizeof(l->state_file), "%s%sledger.state",
		     c->transport.state_dir,
		     c->transport.state_dir[strlen(c->transport.state_dir) - 1] == '/' ? "" : "/");
	if (n < 0 || (size_t)n >= sizeof(l->state_file))
		conf_fail(st, st->sec_line[SEC_LEDGER], "the default 'state_file' "
			  "(<state_dir>/ledger.state) is longer than %d bytes: set "
			  "[ledger] state_file", ILPD_CONF_PATH_MAX);
}

const char *ilpd_conf_ledger_restart(const struct ilpd_conf *o, const struct ilpd_conf *n)
{
	if (o->ledger.durability != n->ledger.durability)
		return "[ledger] durability changed: needs a restart";
	if (strcmp(o->ledger.state_file, n->ledger.state_file) != 0)
		return "[ledger] state_file changed: needs a restart";
	return NULL;
}
