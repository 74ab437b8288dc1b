/*
 * admin_ini.c - admin.ini, the peers and routes made by the admin API, on
 * top of the configuration file (see admin_ini.h for the format).
 *
 * IMPLEMENTATION NOTES
 * - Every key goes through the configuration loader's own functions
 *   (conf_begin_peer, conf_set_peer, conf_route, conf_finish_peer,
 *   conf_finish_routes in config_peer.c), so admin.ini and the API get the
 *   configuration file's rules and messages word for word.
 * - A record per configuration says what admin.ini holds: the [peer]
 *   sections, the [routes] keys and the [removed] entries. A peer of the
 *   configuration file that the API changed is both removed and defined
 *   (its whole section is written), so a DELETE of it later records the
 *   removal alone. Records are found by the configuration's address: main.c
 *   has exactly two (the one in use and the spare).
 * - The file is read into and written from one static text buffer; the
 *   reader is ours (lines, sections, key = value), so a value is taken as
 *   it stands, ';' and all, and the API refuses values the file could not
 *   carry (line breaks, control bytes, leading or trailing blanks).
 * - No POSIX here: the file goes through hal_proc.h (hal_file_read,
 *   hal_file_write_atomic, hal_dir_private).
 * Memory: see admin_ini.h. No heap.
 */
#include "admin_ini.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hal/hal_proc.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"

#include "config_int.h"

static struct ilpd_admin_ini_mem ai_mem;

static size_t ai_render(const struct ilpd_conf *c, const struct ilpd_admin_ini_rec *rec, char *buf,
			size_t cap);

/* The bits of the keys a peer of the configuration file surely had (its
 * defaults are filled in already). */
#define AI_BASE_KEYS ((1u << K_PEER_RELATION) | (1u << K_PEER_TOKEN) | \
		      (1u << K_PEER_ASSET_CODE) | (1u << K_PEER_ASSET_SCALE) | \
		      (1u << K_PEER_USERNAME))

/* ---- records --------------------------------------------------------------- */

static struct ilpd_admin_ini_rec *ai_rec_of(const struct ilpd_conf *c)
{
	size_t i;

	for (i = 0; i < 2; i++)
		if (ai_mem.rec[i].owner == c)
			return &ai_mem.rec[i];
	for (i = 0; i < 2; i++) {
		if (ai_mem.rec[i].owner == NULL) {
			ai_mem.rec[i].owner = c;
			return &ai_mem.rec[i];
		}
	}
	/* A third configuration (a test's): take the first record. */
	memset(&ai_mem.rec[0], 0, sizeof(ai_mem.rec[0]));
	ai_mem.rec[0].owner = c;
	return &ai_mem.rec[0];
}

static void ai_rec_clear(struct ilpd_admin_ini_rec *r)
{
	const struct ilpd_conf *o = r->owner;

	r->npeer = r->nrm = r->nroute = r->nrmroute = 0;
	r->owner = o;
}

/* Lists of names: rows of w bytes. */
static int ai_find(const char *rows, size_t w, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows + i * w, s) == 0)
			return (int)i;
	return -1;
}

static void ai_add(char *rows, size_t w, size_t *n, size_t cap, const char *s)
{
	if (ai_find(rows, w, *n, s) >= 0 || *n >= cap || strlen(s) >= w)
		return;
	memcpy(rows + *n * w, s, strlen(s) + 1);
	(*n)++;
}

static void ai_drop(char *rows, size_t w, size_t *n, const char *s)
{
	int i = ai_find(rows, w, *n, s);

	if (i < 0)
		return;
	memmove(rows + (size_t)i * w, rows + ((size_t)i + 1) * w, (*n - (size_t)i - 1) * w);
	(*n)--;
}

#define AI_HAS(r, list, s) (ai_find(&(r)->list[0][0], sizeof((r)->list[0]), (r)->n##list, (s)) >= 0)
#define AI_ADD(r, list, s) ai_add(&(r)->list[0][0], sizeof((r)->list[0]), &(r)->n##list, \
				  sizeof((r)->list) / sizeof((r)->list[0]), (s))
#define AI_DROP(r, list, s) ai_drop(&(r)->list[0][0], sizeof((r)->list[0]), &(r)->n##list, (s))

bool ilpd_admin_ini_has_peer(const struct ilpd_conf *c, const char *name)
{
	const struct ilpd_admin_ini_rec *r = ai_rec_of(c);

	return AI_HAS(r, peer, name);
}

bool ilpd_admin_ini_has_route(const struct ilpd_conf *c, const char *prefix)
{
	const struct ilpd_admin_ini_rec *r = ai_rec_of(c);

	return AI_HAS(r, route, prefix);
}

/* ---- the configuration's tables --------------------------------------------- */

/* Removes peer i, keeping the parse's per-peer key bits in step. */
static void ai_peer_remove(struct conf_parse *st, size_t i)
{
	struct ilpd_conf *c = st->c;

	memmove(&c->peer[i], &c->peer[i + 1], (c->npeers - i - 1) * sizeof(c->peer[0]));
	memmove(&st->peer_keys[i], &st->peer_keys[i + 1],
		(c->npeers - i - 1) * sizeof(st->peer_keys[0]));
	c->npeers--;
}

static int ai_route_index(const struct ilpd_conf *c, const char *prefix)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++)
		if (strcmp(c->route[i].prefix, prefix) == 0)
			return (int)i;
	return -1;
}

/* Removes route `prefix` ("default": the default route); false if none. */
static bool ai_route_remove(struct ilpd_conf *c, const char *prefix)
{
	int i;

	if (strcmp(prefix, "default") == 0) {
		if (c->default_route[0] == '\0')
			return false;
		c->default_route[0] = '\0';
		return true;
	}
	i = ai_route_index(c, prefix);
	if (i < 0)
		return false;
	memmove(&c->route[i], &c->route[i + 1],
		(c->nroutes - (size_t)i - 1) * sizeof(c->route[0]));
	c->nroutes--;
	return true;
}

static void ai_parse_init(struct conf_parse *st, struct ilpd_conf *c,
			  struct ilpd_conf_err *err, const char *name)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	st->c = c;
	st->err = err;
	st->name = name;
	st->fd = -1;
	err->msg[0] = '\0';
	err->line = 0;
	err->text = 0;
	for (i = 0; i < c->npeers; i++)
		st->peer_keys[i] = AI_BASE_KEYS;
}

/* Before admin.ini is read: the configuration file's lines no longer
 * apply (a rule broken by admin.ini, e.g. a route to a peer it removed, is
 * reported at admin.ini:0, the file as a whole). */
static void ai_forget_lines(struct ilpd_conf *c)
{
	size_t i;

	for (i = 0; i < c->npeers; i++)
		c->peer[i].line = 0;
	for (i = 0; i < c->nroutes; i++)
		c->route[i].line = 0;
}

/* The whole-configuration rules, as the loader checks them at the end. */
static void ai_finish(struct conf_parse *st)
{
	const struct ilpd_conf *c = st->c;
	size_t i, parents = 0;

	for (i = 0; i < c->npeers && !st->failed; i++) {
		conf_finish_peer(st, i);
		parents += c->peer[i].relation == ILP_REL_PARENT;
	}
	if (!st->failed)
		conf_finish_routes(st);
	if (!st->failed && c->address[0] == '\0' && parents == 0)
		conf_fail(st, 0, "[node] address = auto needs a parent peer (IL-DCP), "
			  "and none is left");
}

/* ---- reading admin.ini --------------------------------------------------------- */

enum ai_sec { AI_NONE, AI_PEER, AI_ROUTES_SEC, AI_REMOVED };

struct ai_reader {
	struct conf_parse *st;
	struct ilpd_admin_ini_rec *rec;
	enum ai_sec sec;
};

static char *ai_trim(char *s, char **end)
{
	while (*s == ' ' || *s == '\t')
		s++;
	while (*end > s && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
		(*end)--;
	**end = '\0';
	return s;
}

static int ai_section(struct ai_reader *rd, char *s, char *end)
{
	struct conf_parse *st = rd->st;
	char show[CONF_NAME_SHOW + 1];
	char *close = memchr(s, ']', (size_t)(end - s)), *name;
	int i;

	if (close == NULL) {
		conf_fail(st, st->line, "missing ']' in section header");
		return -1;
	}
	if (close + 1 != end && close[1] != ';' && close[1] != '#') {
		char *p;

		for (p = close + 1; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		if (p != end && *p != ';' && *p != '#') {
			conf_fail(st, st->line, "text after ']' in section header");
			return -1;
		}
	}
	*close = '\0';
	s++;
	if (strcmp(s, "routes") == 0 || strcmp(s, "removed") == 0) {
		rd->sec = s[2] == 'u' ? AI_ROUTES_SEC : AI_REMOVED;
		return 0;
	}
	if (strncmp(s, "peer", 4) != 0 || (s[4] != ' ' && s[4] != '\t')) {
		conf_fail(st, st->line, "unknown section [%s] in admin.ini (expected [peer NAME], "
			  "[routes] or [removed])", conf_show(s, strlen(s), show, sizeof(show)));
		return -1;
	}
	name = ai_trim(s + 5, &close);
	rd->sec = AI_PEER;
	i = ilpd_conf_peer_index(st->c, name);
	/* A peer of the configuration file: admin.ini's section replaces it. */
	if (i >= 0 && !AI_HAS(rd->rec, peer, name)) {
		ai_peer_remove(st, (size_t)i);
		AI_ADD(rd->rec, rm, name);
	}
	if (conf_begin_peer(st, name, strlen(name)) != 0)
		return -1;
	AI_ADD(rd->rec, peer, name);
	return 0;
}

static int ai_removed(struct ai_reader *rd, const char *key, const char *v)
{
	struct conf_parse *st = rd->st;
	char show[CONF_NAME_SHOW + 1];
	int i;

	if (strcmp(key, "peer") == 0) {
		i = ilpd_conf_peer_index(st->c, v);
		if (i < 0)
			return 0;   /* the configuration file has no such peer now */
		ai_peer_remove(st, (size_t)i);
		/* One admin.ini defined itself goes; a file peer is recorded (if
		 * admin.ini replaced it, its [removed] entry is there already). */
		if (AI_HAS(rd->rec, peer, v))
			AI_DROP(rd->rec, peer, v);
		else
			AI_ADD(rd->rec, rm, v);
		return 0;
	}
	if (strcmp(key, "route") == 0) {
		if (ai_route_remove(st->c, v)) {
			if (AI_HAS(rd->rec, route, v))
				AI_DROP(rd->rec, route, v);
			else
				AI_ADD(rd->rec, rmroute, v);
		}
		return 0;
	}
	conf_fail(st, st->line, "unknown key '%s' in [removed] (peer = NAME or route = PREFIX)",
		  conf_show(key, strlen(key), show, sizeof(show)));
	return -1;
}

static int ai_key(struct ai_reader *rd, char *key, char *v, uint32_t *seen, int *seen_line)
{
	struct conf_parse *st = rd->st;
	char show[CONF_NAME_SHOW + 1];
	int k;

	conf_show(key, strlen(key), show, sizeof(show));
	switch (rd->sec) {
	case AI_NONE:
		conf_fail(st, st->line, "key '%s' outside any section", show);
		return -1;
	case AI_REMOVED:
		return ai_removed(rd, key, v);
	case AI_ROUTES_SEC:
		/* A route of the configuration file: replaced. */
		if (!AI_HAS(rd->rec, route, key) && ai_route_remove(st->c, key))
			AI_ADD(rd->rec, rmroute, key);
		if (conf_route(st, key, v) != 0)
			return -1;
		AI_ADD(rd->rec, route, key);
		return 0;
	case AI_PEER:
		break;
	}
	for (k = 0; conf_peer_keys[k] != NULL; k++)
		if (strcmp(conf_peer_keys[k], key) == 0)
			break;
	if (conf_peer_keys[k] == NULL) {
		conf_fail(st, st->line, "unknown key '%s' in [peer %s]", show,
			  st->c->peer[st->peer].name);
		return -1;
	}
	if (*seen & (1u << k)) {
		conf_fail(st, st->line, "duplicate key '%s' in [peer %s] (first at line %d)",
			  show, st->c->peer[st->peer].name, seen_line[k]);
		return -1;
	}
	*seen |= 1u << k;
	seen_line[k] = st->line;
	st->peer_keys[st->peer] |= 1u << k;
	return conf_set_peer(st, k, v);
}

static int ai_parse(struct conf_parse *st, struct ilpd_admin_ini_rec *rec, char *t, size_t len)
{
	struct ai_reader rd = { st, rec, AI_NONE };
	char *p = t, *end = t + len;
	uint32_t seen = 0;
	int seen_line[CONF_KEYS_MAX];

	while (p < end && !st->failed) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl != NULL ? nl : end, *s, *eq, *key, *kend;

		st->line++;
		s = p;
		p = nl != NULL ? nl + 1 : end;
		if (e - s > CONF_LINE_MAX) {
			conf_fail(st, st->line, "line too long (limit %d bytes)", CONF_LINE_MAX);
			return -1;
		}
		if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
			conf_fail(st, st->line, "NUL byte in line");
			return -1;
		}
		if (st->line == 1 && e - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3;
		s = ai_trim(s, &e);
		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			seen = 0;
			if (ai_section(&rd, s, e) != 0)
				return -1;
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL || eq == s) {
			conf_fail(st, st->line, "syntax error: expected '[section]' or 'key = value'");
			return -1;
		}
		kend = eq;
		key = ai_trim(s, &kend);
		if (ai_key(&rd, key, ai_trim(eq + 1, &e), &seen, seen_line) != 0)
			return -1;
	}
	return st->failed ? -1 : 0;
}

int ilpd_admin_ini_path(const struct ilpd_conf *c, char *out, size_t cap)
{
	const char *dir = c->admin_state_dir;
	size_t n;
	int w;

	if (dir[0] != '\0') {
		n = strlen(dir);
	} else {
		/* the directory of [ledger] state_file (an absolute path) */
		const char *slash = strrchr(c->ledger.state_file, '/');

		dir = c->ledger.state_file;
		n = slash == NULL ? 0 : (size_t)(slash - dir);
		if (n == 0 && slash != NULL)
			n = 1;   /* "/" */
	}
	while (n > 1 && dir[n - 1] == '/')
		n--;
	w = snprintf(out, cap, "%.*s%sadmin.ini", (int)n, dir,
		     n > 0 && dir[n - 1] == '/' ? "" : "/");
	return w < 0 || (size_t)w >= cap ? -1 : 0;
}

int ilpd_admin_ini_load(struct ilpd_conf *c, bool *present, struct ilpd_conf_err *err)
{
	char path[HAL_PATH_MAX];
	struct ilpd_admin_ini_rec *rec = ai_rec_of(c);
	struct conf_parse st;
	size_t len = 0;
	int r;

	*present = false;
	ai_rec_clear(rec);
	if (ilpd_admin_ini_path(c, path, sizeof(path)) != 0) {
		ai_parse_init(&st, c, err, "admin.ini");
		conf_fail(&st, 0, "[admin] state_dir is too long for a file name");
		return -1;
	}
	ai_parse_init(&st, c, err, path);
	r = hal_file_read(path, ai_mem.text, ILPD_ADMIN_INI_MAX, &len);
	if (r == HAL_PROC_NOENT)
		return 0;
	if (r == HAL_PROC_TOOBIG) {
		conf_fail(&st, 0, "larger than %u bytes (board limit)", (unsigned)ILPD_ADMIN_INI_MAX);
		return -1;
	}
	if (r != HAL_PROC_OK) {
		conf_fail(&st, 0, "cannot read: %s", hal_proc_strerror());
		return -1;
	}
	*present = true;
	ai_mem.text[len] = '\0';
	ai_forget_lines(c);
	if (ai_parse(&st, rec, ai_mem.text, len) != 0)
		return -1;
	ai_finish(&st);
	return st.failed ? -1 : 0;
}

int ilpd_admin_ini_load_text(struct ilpd_conf *c, const char *name, char *text, size_t len,
			     struct ilpd_conf_err *err)
{
	struct ilpd_admin_ini_rec *rec = ai_rec_of(c);
	struct conf_parse st;

	ai_rec_clear(rec);
	ai_parse_init(&st, c, err, name);
	ai_forget_lines(c);
	if (ai_parse(&st, rec, text, len) != 0)
		return -1;
	ai_finish(&st);
	return st.failed ? -1 : 0;
}

size_t ilpd_admin_ini_render(const struct ilpd_conf *c, char *buf, size_t cap)
{
	return ai_render(c, ai_rec_of(c), buf, cap);
}

/* ---- changes by the admin API ------------------------------------------------ */

static int ai_err(struct ilpd_admin_err *e, int status, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int ai_err(struct ilpd_admin_err *e, int status, const char *key, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	(void)snprintf(e->key, sizeof(e->key), "%s", key != NULL ? key : "");
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* The loader's message without its "NAME:LINE: " (a 400). */
static int ai_conf_err(struct ilpd_admin_err *e, const struct ilpd_conf_err *ce,
		       const char *key)
{
	return ai_err(e, 400, key, "%s", ce->msg + ce->text);
}

void ilpd_admin_ini_begin(struct ilpd_conf *next, const struct ilpd_conf *cur)
{
	struct ilpd_admin_ini_rec *rn = ai_rec_of(next);
	const struct ilpd_admin_ini_rec *rc = ai_rec_of(cur);
	const struct ilpd_conf *owner = rn->owner;

	if (next != cur) {
		memcpy(next, cur, sizeof(*next));
		memcpy(rn, rc, sizeof(*rn));
		rn->owner = owner;
	}
}

/* A value the API was given, as a line of admin.ini could carry it. */
static int ai_value_ok(const char *key, const char *v, struct ilpd_admin_err *e)
{
	size_t i, n = strlen(v);

	if (n > CONF_LINE_MAX - 64)
		return ai_err(e, 400, key, "'%s' is longer than %d bytes", key, CONF_LINE_MAX - 64);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch < 0x20 || ch == 0x7f)
			return ai_err(e, 400, key, "'%s' contains a control character", key);
	}
	if (n > 0 && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		return ai_err(e, 400, key, "'%s' must not begin or end with a blank (a "
			      "configuration file could not hold it)", key);
	return 0;
}

int ilpd_admin_ini_set_peer(struct ilpd_conf *next, const char *name,
			    const char *const *keys, const char *const *vals, size_t n,
			    struct ilpd_admin_err *e)
{
	struct ilpd_admin_ini_rec *rec = ai_rec_of(next);
	struct ilpd_conf_err ce;
	struct conf_parse st;
	int i = ilpd_conf_peer_index(next, name), k;
	size_t j;

	ai_parse_init(&st, next, &ce, "admin");
	if (i >= 0) {
		st.peer = (size_t)i;
	} else {
		if (conf_begin_peer(&st, name, strlen(name)) != 0)
			return ai_conf_err(e, &ce, "name");
		st.peer_keys[st.peer] = 0;
	}
	for (j = 0; j < n; j++) {
		for (k = 0; conf_peer_keys[k] != NULL; k++)
			if (strcmp(conf_peer_keys[k], keys[j]) == 0)
				break;
		if (conf_peer_keys[k] == NULL) {
			char show[CONF_NAME_SHOW + 1];

			conf_fail(&st, 0, "unknown key '%s' in [peer %s]",
				  conf_show(keys[j], strlen(keys[j]), show, sizeof(show)), name);
			return ai_conf_err(e, &ce, keys[j]);
		}
		if (ai_value_ok(keys[j], vals[j], e) != 0)
			return -1;
		st.peer_keys[st.peer] |= 1u << k;
		if (conf_set_peer(&st, k, vals[j]) != 0)
			return ai_conf_err(e, &ce, keys[j]);
	}
	/* The rules about this peer alone (required keys, defaults). */
	conf_finish_peer(&st, st.peer);
	if (st.failed) {
		const char *m = ce.msg + ce.text;

		if (strstr(m, "same token") != NULL) {
			(void)ai_conf_err(e, &ce, "token");
			e->status = 409;
			return -1;
		}

		return ai_conf_err(e, &ce, strstr(m, "'relation'") != NULL ? "relation" :
				   strstr(m, "'token'") != NULL || strstr(m, "same token") != NULL ?
				   "token" : strstr(m, "tls_") != NULL ? "tls_pin" :
				   strstr(m, "url") != NULL || strstr(m, "inbound") != NULL ? "url" :
				   "name");
	}
	if (i >= 0 && !AI_HAS(rec, peer, name) && !AI_HAS(rec, rm, name))
		AI_ADD(rec, rm, name);   /* a peer of the configuration file: replaced */
	AI_ADD(rec, peer, name);
	return 0;
}

int ilpd_admin_ini_del_peer(struct ilpd_conf *next, const char *name,
			    struct ilpd_admin_err *e)
{
	struct ilpd_admin_ini_rec *rec = ai_rec_of(next);
	struct conf_parse st;
	struct ilpd_conf_err ce;
	int i = ilpd_conf_peer_index(next, name);
	size_t j;

	if (i < 0)
		return ai_err(e, 404, "name", "no peer '%s'", name);
	for (j = 0; j < next->nroutes; j++)
		if (strcmp(next->route[j].peer, name) == 0)
			return ai_err(e, 409, "name", "peer '%s' has the route '%s': delete it "
				      "first (DELETE /admin/routes/%s)", name, next->route[j].prefix,
				      next->route[j].prefix);
	if (strcmp(next->default_route, name) == 0)
		return ai_err(e, 409, "name", "peer '%s' is the default route: delete it "
			      "first (DELETE /admin/routes/default)", name);
	ai_parse_init(&st, next, &ce, "admin");
	ai_peer_remove(&st, (size_t)i);
	if (AI_HAS(rec, peer, name))
		AI_DROP(rec, peer, name);   /* its [removed] entry, if any, stays */
	else
		AI_ADD(rec, rm, name);
	return 0;
}

int ilpd_admin_ini_set_route(struct ilpd_conf *next, const char *prefix,
			     const char *peer, bool replace, struct ilpd_admin_err *e)
{
	struct ilpd_admin_ini_rec *rec = ai_rec_of(next);
	struct ilpd_conf_err ce;
	struct conf_parse st;
	bool exists = strcmp(prefix, "default") == 0 ? next->default_route[0] != '\0' :
		      ai_route_index(next, prefix) >= 0;

	if (ai_value_ok("prefix", prefix, e) != 0 || ai_value_ok("peer", peer, e) != 0)
		return -1;
	if (exists && !replace)
		return ai_err(e, 409, "prefix", "duplicate route '%s'", prefix);
	if (ilpd_conf_peer_index(next, peer) < 0 && peer[0] != '\0' &&
	    strlen(peer) <= ILPD_PEER_NAME_MAX)
		return ai_err(e, 404, "peer", "route to unknown peer '%s'", peer);
	if (exists && !AI_HAS(rec, route, prefix))
		AI_ADD(rec, rmroute, prefix);   /* the configuration file's: replaced */
	if (exists)
		(void)ai_route_remove(next, prefix);
	ai_parse_init(&st, next, &ce, "admin");
	if (conf_route(&st, prefix, peer) != 0)
		return ai_conf_err(e, &ce, strstr(ce.msg + ce.text, "peer name") != NULL ?
				   "peer" : "prefix");
	AI_ADD(rec, route, prefix);
	return 0;
}

int ilpd_admin_ini_del_route(struct ilpd_conf *next, const char *prefix,
			     struct ilpd_admin_err *e)
{
	struct ilpd_admin_ini_rec *rec = ai_rec_of(next);

	if (!ai_route_remove(next, prefix))
		return ai_err(e, 404, "prefix", "no route '%s'", prefix);
	if (AI_HAS(rec, route, prefix))
		AI_DROP(rec, route, prefix);
	else
		AI_ADD(rec, rmroute, prefix);
	return 0;
}

int ilpd_admin_ini_check(struct ilpd_conf *next, struct ilpd_admin_err *e)
{
	struct ilpd_conf_err ce;
	struct conf_parse st;

	ai_parse_init(&st, next, &ce, "admin");
	ai_finish(&st);
	return st.failed ? ai_conf_err(e, &ce, "") : 0;
}

/* ---- writing admin.ini --------------------------------------------------------- */

struct ai_out {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void ai_put(struct ai_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ai_put(struct ai_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->overflow = true;
	else
		o->len += (size_t)n;
}

bool ilpd_admin_ini_peer_value(const struct ilpd_conf *c, const struct ilpd_peer_conf *p,
			       int k, char *out, size_t cap)
{
	static const char *const rel[] = { "parent", "peer", "child" };
	const uint64_t *u;
	const int64_t *s;
	uint32_t den, f;
	int digits, w = 0;
	size_t i;

	(void)c;
	out[0] = '\0';
	switch (k) {
	case K_PEER_RELATION:
		w = snprintf(out, cap, "%s", rel[p->relation < 3 ? p->relation : 2]);
		break;
	case K_PEER_URL:
		if (!p->outbound)
			return false;
		w = snprintf(out, cap, "%s://%s%s%s:%u%s", p->url.tls ? "wss" : "ws",
			     strchr(p->url.host, ':') != NULL ? "[" : "", p->url.host,
			     strchr(p->url.host, ':') != NULL ? "]" : "", (unsigned)p->url.port,
			     p->url.path);
		break;
	case K_PEER_TOKEN:
		w = snprintf(out, cap, "%s", p->token);
		break;
	case K_PEER_USERNAME:
		w = snprintf(out, cap, "%s", p->username);
		break;
	case K_PEER_ASSET_CODE:
		w = snprintf(out, cap, "%s", p->asset_code);
		break;
	case K_PEER_ASSET_SCALE:
		w = snprintf(out, cap, "%u", (unsigned)p->rate.scale);
		break;
	case K_PEER_RATE:
		if (p->rate.num == 1 && p->rate.den == 1)
			return false;
		for (den = p->rate.den, digits = 0; den > 1 && den % 10 == 0; den /= 10)
			digits++;
		f = p->rate.num % p->rate.den;
		if (digits == 0)
			w = snprintf(out, cap, "%lu", (unsigned long)(p->rate.num / p->rate.den));
		else
			w = snprintf(out, cap, "%lu.%0*lu", (unsigned long)(p->rate.num / p->rate.den),
				     digits, (unsigned long)f);
		break;
	case K_PEER_MAX_PACKET:
		if (p->max_packet_amount == UINT64_MAX)
			return false;
		w = snprintf(out, cap, "%llu", (unsigned long long)p->max_packet_amount);
		break;
	case K_PEER_MIN_BALANCE:
	case K_PEER_MAX_BALANCE:
	case K_PEER_SETTLE:
		s = k == K_PEER_MIN_BALANCE ? &p->min_balance : k == K_PEER_MAX_BALANCE ?
		    &p->max_balance : &p->settle_threshold;
		if (*s == (k == K_PEER_MIN_BALANCE ? INT64_MIN : INT64_MAX))
			return false;
		w = snprintf(out, cap, "%lld", (long long)*s);
		break;
	case K_PEER_TLS_PIN:
		if (!p->has_pin || cap < 2 * sizeof(p->tls_pin) + 1)
			return false;
		for (i = 0; i < sizeof(p->tls_pin); i++)
			(void)snprintf(out + 2 * i, 3, "%02x", p->tls_pin[i]);
		return true;
	case K_PEER_TLS_NAME:
		if (p->tls_server_name[0] == '\0')
			return false;
		w = snprintf(out, cap, "%s", p->tls_server_name);
		break;
	case K_PEER_MAX_IN_FLIGHT:
		if (p->max_in_flight == ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT)
			return false;
		w = snprintf(out, cap, "%lu", (unsigned long)p->max_in_flight);
		break;
	case K_PEER_SEND_ROUTES:
	case K_PEER_RECEIVE_ROUTES:
		digits = k == K_PEER_SEND_ROUTES ? p->send_routes : p->receive_routes;
		if (digits < 0)
			return false;
		w = snprintf(out, cap, "%s", digits ? "true" : "false");
		break;
	case K_PEER_RATE_LIMIT:
	case K_PEER_RATE_BURST:
	case K_PEER_THROUGHPUT_IN:
	case K_PEER_THROUGHPUT_OUT:
		u = k == K_PEER_RATE_LIMIT ? &p->rate_limit : k == K_PEER_RATE_BURST ?
		    &p->rate_limit_burst : k == K_PEER_THROUGHPUT_IN ? &p->throughput_in :
		    &p->throughput_out;
		if (*u == 0)
			return false;
		w = snprintf(out, cap, "%llu", (unsigned long long)*u);
		break;
	case K_PEER_SETTLE_ENGINE:   /* config_settle.c */
		if (!p->settle_engine)
			return false;
		if (ilpd_url_is_unix(&p->settle_url)) {
			w = snprintf(out, cap, "unix:%s", p->settle_url.host);
			break;
		}
		w = snprintf(out, cap, "http://%s%s%s:%u%s",
			     strchr(p->settle_url.host, ':') != NULL ? "[" : "", p->settle_url.host,
			     strchr(p->settle_url.host, ':') != NULL ? "]" : "",
			     (unsigned)p->settle_url.port, p->settle_url.path);
		break;
	case K_PEER_SETTLE_TO:
		if (p->settle_to == 0)
			return false;
		w = snprintf(out, cap, "%lld", (long long)p->settle_to);
		break;
	case K_PEER_SETTLE_SCALE:
		if (!p->settle_scale_set)
			return false;
		w = snprintf(out, cap, "%u", (unsigned)p->settle_scale);
		break;
	case K_PEER_SETTLE_REMOTE:
		if (!p->allow_remote_engine)
			return false;
		w = snprintf(out, cap, "true");
		break;
	default:
		return false;
	}
	return w >= 0 && (size_t)w < cap;
}

const char *ilpd_admin_ini_peer_key(int k, bool *secret)
{
	int i;

	for (i = 0; i < k && conf_peer_keys[i] != NULL; i++)
		;
	*secret = k == K_PEER_TOKEN;
	return k >= 0 && i == k ? conf_peer_keys[k] : NULL;
}

static const char ai_head[] =
	"; admin.ini - peers and routes made by ilpd's admin API (POST/DELETE\n"
	"; /admin/peers, /admin/routes). ilpd rewrites this file on every change\n"
	"; and loads it after the configuration file: see ilpd(8), ADMIN ENDPOINTS.\n";

static size_t ai_render(const struct ilpd_conf *c, const struct ilpd_admin_ini_rec *rec, char *buf,
			size_t cap)
{
	struct ai_out o = { buf, cap, 0, false };
	char v[CONF_LINE_MAX + 1];
	size_t i;
	int k, j;

	ai_put(&o, "%s", ai_head);
	if (rec->nrm + rec->nrmroute > 0)
		ai_put(&o, "\n[removed]\n");
	for (i = 0; i < rec->nrm; i++)
		ai_put(&o, "peer = %s\n", rec->rm[i]);
	for (i = 0; i < rec->nrmroute; i++)
		ai_put(&o, "route = %s\n", rec->rmroute[i]);
	for (i = 0; i < rec->npeer; i++) {
		j = ilpd_conf_peer_index(c, rec->peer[i]);
		if (j < 0)
			continue;
		ai_put(&o, "\n[peer %s]\n", rec->peer[i]);
		for (k = 0; conf_peer_keys[k] != NULL; k++)
			if (ilpd_admin_ini_peer_value(c, &c->peer[j], k, v, sizeof(v)))
				ai_put(&o, "%s = %s\n", conf_peer_keys[k], v);
	}
	if (rec->nroute > 0)
		ai_put(&o, "\n[routes]\n");
	for (i = 0; i < rec->nroute; i++) {
		if (strcmp(rec->route[i], "default") == 0) {
			if (c->default_route[0] != '\0')
				ai_put(&o, "default = %s\n", c->default_route);
			continue;
		}
		j = ai_route_index(c, rec->route[i]);
		if (j >= 0)
			ai_put(&o, "%s = %s\n", rec->route[i], c->route[j].peer);
	}
	return o.overflow ? 0 : o.len;
}

int ilpd_admin_ini_save(const struct ilpd_conf *c, struct ilpd_admin_err *e)
{
	char path[HAL_PATH_MAX], dir[HAL_PATH_MAX];
	size_t n = ai_render(c, ai_rec_of(c), ai_mem.text, sizeof(ai_mem.text));
	char *slash;
	int r;

	if (n == 0)
		return ai_err(e, 500, NULL, "admin.ini would be larger than %u bytes (board limit)",
			      (unsigned)ILPD_ADMIN_INI_MAX);
	if (ilpd_admin_ini_path(c, path, sizeof(path)) != 0)
		return ai_err(e, 500, NULL, "[admin] state_dir is too long for a file name");
	r = hal_file_write_atomic(path, ai_mem.text, n, 0600);
	if (r != HAL_PROC_OK) {
		/* A missing state directory is made (0700), then once more. */
		memcpy(dir, path, sizeof(dir));
		slash = strrchr(dir, '/');
		if (slash != NULL && slash != dir) {
			*slash = '\0';
			(void)hal_dir_private(dir);
			r = hal_file_write_atomic(path, ai_mem.text, n, 0600);
		}
	}
	if (r != HAL_PROC_OK)
		return ai_err(e, 500, NULL, "cannot write admin.ini: %s", hal_proc_strerror());
	return 0;
}

/* [admin] state_dir: an absolute directory (config_int.h). */
int conf_admin_state_dir(struct conf_parse *st, const char *v)
{
	if (conf_text(st, "state_dir", v, st->c->admin_state_dir,
		      sizeof(st->c->admin_state_dir), true) != 0)
		return -1;
	if (v[0] != '/') {
		conf_fail(st, st->line, "'state_dir' must be an absolute path");
		return -1;
	}
	return 0;
}
