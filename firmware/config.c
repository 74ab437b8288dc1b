/*
 * config.c - the INI configuration loader (see config.h): the reader, the
 * common value parsers and the small sections; [peer NAME] and [routes] are
 * in config_peer.c, [transport] and [netif] in config_transport.c, [ledger]
 * in config_ledger.c.
 *
 * IMPLEMENTATION NOTES
 * Parsing is Debian's inih (ini_parse_stream) fed by our own line reader.
 * The reader is the part that knows where we are:
 *  - it counts lines (Debian builds inih with INI_HANDLER_LINENO 0), and
 *    hands inih exactly one whole line per call, so the handler's line is
 *    the reader's line;
 *  - it refuses a line longer than CONF_LINE_MAX as "line too long" instead
 *    of letting inih split it and parse the tail as a new line. Debian's
 *    inih sizes its stack line buffer from the run-time variable
 *    ini_max_line (a VLA, INI_USE_STACK); we set it to CONF_LINE_MAX + 3
 *    (for '\r', '\n' and '\0') before each parse;
 *  - it strips leading blanks, so an indented line is never taken as a
 *    multi-line continuation of the previous value;
 *  - it sees "[section]" lines itself, so empty sections and unknown
 *    sections are reported at their own line (inih only calls the handler
 *    for key = value lines);
 *  - after the first error it returns NULL (end of input): parsing stops.
 * inih's own syntax errors (a line that is neither a section nor key =
 * value) come back as its return value; whichever error is on the earlier
 * line is the one reported.
 *
 * The file is read with open/read through a 512-byte stack buffer: no stdio
 * FILE, so a reload after start-up does not allocate either. All state is
 * in struct conf_parse on the caller's stack (about 1.5 KiB) plus inih's
 * line buffer; the result goes straight into the caller's struct ilpd_conf.
 *
 * Messages never quote values (a token could be anywhere); they quote keys,
 * section and peer names, with non-printable bytes replaced by '?'. The
 * file name in front ("FILE:LINE: ") is escaped (\xNN) and, if long, cut
 * to its tail, so the message is never cut (ilpd_conf_name()); main.c
 * prints the whole escaped name itself.
 *
 * Only regular files are read, opened O_NONBLOCK and checked with fstat
 * first (conf_open_regular): a FIFO at the path would otherwise block
 * --check-config and, worse, a SIGHUP reload inside the event loop.
 * Cross-key rules (required keys, unique inbound tokens, routes to known
 * peers, limits) are checked once the whole file is read, in file order of
 * the thing they are about; a missing [node] address is line 0.
 */
#define _POSIX_C_SOURCE 200809L

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hal/hal_log.h"
#include "ilp/ccp.h"
#include "ilp/ilp_packet.h"
#include "ilp/ilp_switch.h"

#include "config_int.h"

enum { K_NODE_ADDRESS, K_NODE_ASSET_CODE, K_NODE_ASSET_SCALE, K_NODE_RB_INTERVAL,
       K_NODE_ROUTE_EXPIRY };
static const char *const node_keys[] = {
	"address", "asset_code", "asset_scale", "route_broadcast_interval_ms",
	"route_expiry_ms", NULL
};

enum { K_BTP_LISTEN, K_BTP_AUTH, K_BTP_PING, K_BTP_RMIN, K_BTP_RMAX, K_BTP_TLS };
static const char *const btp_keys[] = {
	"listen", "auth_timeout_ms", "ping_interval_ms", "reconnect_min_ms",
	"reconnect_max_ms", "tls", NULL
};

enum { K_ADMIN_LISTEN, K_ADMIN_STATE_DIR, K_ADMIN_TOKEN, K_ADMIN_TOKEN_FILE,
       K_ADMIN_ALLOWED_IPS };
static const char *const admin_keys[] = {
	"listen", "state_dir", "token", "token_file", "allowed_ips", NULL
};

enum { K_LIM_WINDOW, K_LIM_HOLD };
static const char *const limits_keys[] = {
	"min_message_window_ms", "max_hold_time_ms", NULL
};

enum { K_LOG_LEVEL, K_LOG_STDERR, K_LOG_SYSLOG };
static const char *const log_keys[] = { "level", "stderr", "syslog", NULL };

enum { K_TLS_CA, K_TLS_CERT, K_TLS_KEY };
static const char *const tls_keys[] = { "ca_file", "cert_file", "key_file", NULL };

static const char *const sec_names[SEC_COUNT] = {
	"", "node", "btp", "admin", "limits", "log", "peer", "routes", "transport",
	"tls", "netif", "ledger", "settlement", "local"
};

static const char *const *const sec_keys[SEC_COUNT] = {
	NULL, node_keys, btp_keys, admin_keys, limits_keys, log_keys,
	conf_peer_keys, NULL, conf_transport_keys, tls_keys, conf_netif_keys,
	conf_ledger_keys, conf_settlement_keys, conf_local_keys
};

/* ---- files -------------------------------------------------------------- */

#define CONF_NOT_REGULAR (-2)

/* Opens path for reading if it is a regular file: the fd, -1 (errno set)
 * or CONF_NOT_REGULAR. O_NONBLOCK: opening a FIFO with no writer (or a
 * device) must not block the caller, which may be the event loop. */
static int conf_open_regular(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		(void)close(fd);
		return CONF_NOT_REGULAR;
	}
	return fd;
}

/* ---- messages ------------------------------------------------------------ */

size_t ilpd_conf_escape_byte(unsigned char c, char out[4])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\\') {
		out[0] = '\\';
		out[1] = '\\';
		return 2;
	}
	if (c >= 0x20 && c != 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

const char *ilpd_conf_name(const char *name, size_t n, char *out, size_t cap)
{
	char e[4];
	size_t i, need = 0, w = 0;

	if (cap < 8) {
		if (cap > 0)
			out[0] = '\0';
		return out;
	}
	for (i = 0; i < n; i++)
		need += ilpd_conf_escape_byte((unsigned char)name[i], e);
	i = 0;
	if (need >= cap) {
		/* keep the longest tail that fits behind "..." */
		memcpy(out, "...", 3);
		w = 3;
		while (need > cap - 1 - 3)
			need -= ilpd_conf_escape_byte((unsigned char)name[i++], e);
	}
	for (; i < n; i++) {
		size_t k = ilpd_conf_escape_byte((unsigned char)name[i], e);

		memcpy(out + w, e, k);
		w += k;
	}
	out[w] = '\0';
	return out;
}

/* Records the first error as "NAME:LINE: message"; later ones are dropped.
 * NAME is shown by ilpd_conf_name() in at most ILPD_CONF_NAME_SHOW bytes,
 * so the message always fits (config.h). */
void conf_fail(struct conf_parse *st, int line, const char *fmt, ...)
{
	char show[ILPD_CONF_NAME_SHOW + 1];
	va_list ap;
	int n;

	_Static_assert(ILPD_CONF_ERR_MAX >= ILPD_CONF_NAME_SHOW + 400,
		       "room for the message behind the file name");
	if (st->failed)
		return;
	st->failed = true;
	st->err_line = line;
	st->err->line = line;
	st->err->text = 0;
	n = snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: ",
		     ilpd_conf_name(st->name, strlen(st->name), show, sizeof(show)),
		     line);
	if (n < 0 || (size_t)n >= sizeof(st->err->msg))
		return;
	st->err->text = (size_t)n;
	va_start(ap, fmt);
	(void)vsnprintf(st->err->msg + n, sizeof(st->err->msg) - (size_t)n, fmt,
			ap);
	va_end(ap);
}

/* A printable copy of s[0..n) (at most CONF_NAME_SHOW bytes) for messages. */
const char *conf_show(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, m = n < cap - 1 ? n : cap - 1;

	for (i = 0; i < m; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[m] = '\0';
	return out;
}

/* "[node]" or "[peer alice]" for the current section. */
static const char *conf_sec_label(const struct conf_parse *st, char *out,
				  size_t cap)
{
	if (st->sec == SEC_PEER)
		(void)snprintf(out, cap, "[peer %s]", st->c->peer[st->peer].name);
	else
		(void)snprintf(out, cap, "[%s]", sec_names[st->sec]);
	return out;
}

/* ---- value parsers ------------------------------------------------------- */


/* Unsigned decimal: digits only, no sign, no blanks. */
int conf_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '-' && s[1] >= '0' && s[1] <= '9')
		return NUM_NEGATIVE;
	if (*s == '\0')
		return NUM_GARBAGE;
	for (; *s != '\0'; s++) {
		uint64_t d;

		if (*s < '0' || *s > '9')
			return NUM_GARBAGE;
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return NUM_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	return NUM_OK;
}

/* Signed decimal: an optional '-', then digits. */
static int conf_parse_i64(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	uint64_t m;
	int r = conf_parse_u64(neg ? s + 1 : s, &m);

	if (r != NUM_OK)
		return r == NUM_NEGATIVE ? NUM_GARBAGE : r;
	if (neg) {
		if (m > (uint64_t)INT64_MAX + 1)
			return NUM_RANGE;
		*out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
	} else {
		if (m > (uint64_t)INT64_MAX)
			return NUM_RANGE;
		*out = (int64_t)m;
	}
	return NUM_OK;
}

/* Reports a number error for `key` with the accepted range. */
void conf_num_fail(struct conf_parse *st, const char *key, int r,
		   const char *range)
{
	if (r == NUM_NEGATIVE)
		conf_fail(st, st->line, "'%s' must not be negative", key);
	else if (r == NUM_RANGE)
		conf_fail(st, st->line, "'%s' is out of range (%s)", key, range);
	else
		conf_fail(st, st->line, "'%s' must be a decimal integer (%s)",
			  key, range);
}

/* An integer in [min, max]; 0 or -1 (reported). */
int conf_int(struct conf_parse *st, const char *key, const char *v,
		    int64_t min, int64_t max, int64_t *out)
{
	char range[48];
	int64_t x;
	int r;

	(void)snprintf(range, sizeof(range), "%lld..%lld", (long long)min,
		       (long long)max);
	r = conf_parse_i64(v, &x);
	if (r == NUM_OK && min >= 0 && *v == '-')
		r = NUM_NEGATIVE;
	else if (r == NUM_OK && (x < min || x > max))
		r = NUM_RANGE;
	if (r != NUM_OK) {
		conf_num_fail(st, key, r, range);
		return -1;
	}
	*out = x;
	return 0;
}

int conf_ms(struct conf_parse *st, const char *key, const char *v,
		   int64_t *out)
{
	return conf_int(st, key, v, 1, CONF_MS_MAX, out);
}

bool conf_ieq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;

		if (x != *b)
			return false;
	}
	return *a == *b;
}

int conf_bool(struct conf_parse *st, const char *key, const char *v,
		     bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (conf_ieq(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (conf_ieq(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	conf_fail(st, st->line,
		  "'%s' must be true or false (or yes/no, on/off, 1/0)", key);
	return -1;
}

/* Copies a non-empty value of printable, non-blank bytes (>= 0x21, UTF-8
 * allowed) into out[cap]; blanks inside are allowed if `blanks`. */
int conf_text(struct conf_parse *st, const char *key, const char *v,
		     char *out, size_t cap, bool blanks)
{
	size_t i, n = strlen(v);

	if (n == 0) {
		conf_fail(st, st->line, "'%s' must not be empty", key);
		return -1;
	}
	if (n >= cap) {
		conf_fail(st, st->line, "'%s' is longer than %zu bytes", key,
			  cap - 1);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch < 0x20 || ch == 0x7f || (ch == ' ' && !blanks)) {
			conf_fail(st, st->line, "'%s' contains a %s", key,
				  ch == ' ' ? "blank" : "control character");
			return -1;
		}
	}
	memcpy(out, v, n + 1);
	return 0;
}

/* ---- sections -------------------------------------------------------------- */

static void conf_defaults(struct ilpd_conf *c, const char *name)
{
	char show[ILPD_CONF_NAME_SHOW + 1];

	_Static_assert(sizeof(c->source) > ILPD_CONF_NAME_SHOW, "source holds a shown name");
	memset(c, 0, sizeof(*c));
	(void)snprintf(c->source, sizeof(c->source), "%s",
		       ilpd_conf_name(name, strlen(name), show, sizeof(show)));
	strcpy(c->asset_code, "XRP");
	c->asset_scale = 9;
	c->btp_listen.enabled = true;
	strcpy(c->btp_listen.host, "127.0.0.1");
	c->btp_listen.port = 7768;
	c->admin_listen.enabled = true;
	strcpy(c->admin_listen.host, "127.0.0.1");
	c->admin_listen.port = 7769;
	conf_admin_defaults(c);
	c->auth_timeout_ms = 5000;
	c->ping_interval_ms = 20000;
	c->reconnect_min_ms = 100;
	c->reconnect_max_ms = 30000;
	c->min_message_window_ms = ILP_SWITCH_DEFAULT_MIN_MESSAGE_WINDOW_MS;
	c->max_hold_time_ms = ILP_SWITCH_DEFAULT_MAX_HOLD_TIME_MS;
	c->route_broadcast_interval_ms = CCP_DEFAULT_INTERVAL_MS;
	c->route_expiry_ms = CCP_DEFAULT_EXPIRY_MS;
	c->log_level = HAL_LOG_INFO;
	c->log_stderr = true;
	c->log_syslog = false;
	strcpy(c->tls.ca_file, ILPD_TLS_DEFAULT_CA_FILE);
	conf_transport_defaults(c);
	conf_ledger_defaults(c);
	conf_local_defaults(c);
}

/* Handles the text between '[' and ']'. */
static int conf_begin_section(struct conf_parse *st, const char *s, size_t n)
{
	char show[CONF_NAME_SHOW + 1];
	size_t i;

	if (n > 4 && memcmp(s, "peer", 4) == 0 && (s[4] == ' ' || s[4] == '\t')) {
		s += 5;
		n -= 5;
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		st->sec = SEC_PEER;
		return conf_begin_peer(st, s, n);
	}
	for (i = 1; i < SEC_COUNT; i++) {
		if (strlen(sec_names[i]) == n && memcmp(sec_names[i], s, n) == 0)
			break;
	}
	if (i == SEC_PEER) {
		conf_fail(st, st->line, "missing peer name: use [peer NAME]");
		return -1;
	}
	if (i == SEC_COUNT) {
		conf_fail(st, st->line, "unknown section [%s]",
			  conf_show(s, n, show, sizeof(show)));
		return -1;
	}
	if (st->sec_line[i] != 0) {
		conf_fail(st, st->line, "duplicate section [%s] (first at line %d)",
			  sec_names[i], st->sec_line[i]);
		return -1;
	}
	st->sec = (enum conf_sec)i;
	st->sec_line[i] = st->line;
	return 0;
}

/* A "[...]" line (leading blanks already gone, no line ending). */
static int conf_section_line(struct conf_parse *st, const char *line, size_t n)
{
	const char *close = memchr(line, ']', n);
	const char *p;

	if (close == NULL) {
		conf_fail(st, st->line, "missing ']' in section header");
		return -1;
	}
	for (p = close + 1; p < line + n; p++) {
		if (*p == ';' || *p == '#')
			break;
		if (*p != ' ' && *p != '\t' && *p != '\r') {
			conf_fail(st, st->line, "text after ']' in section header");
			return -1;
		}
	}
	return conf_begin_section(st, line + 1, (size_t)(close - line - 1));
}

/* ---- keys ------------------------------------------------------------------ */

static int conf_set_node(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_conf *c = st->c;
	size_t n = strlen(v);
	int64_t x;

	switch (k) {
	case K_NODE_ADDRESS:
		if (strcmp(v, "auto") == 0) {   /* from the parent by IL-DCP */
			c->address[0] = '\0';
			return 0;
		}
		if (n > ILPD_ADDRESS_MAX) {
			conf_fail(st, st->line, "'address' is longer than %d bytes "
				  "(board limit)", ILPD_ADDRESS_MAX);
			return -1;
		}
		if (!ilp_address_valid((const uint8_t *)v, n)) {
			conf_fail(st, st->line, "'address' is not a valid ILP address");
			return -1;
		}
		if (ilp_address_link_local((const uint8_t *)v, n)) {
			conf_fail(st, st->line, "'address' must not be in the peer. or self. "
				  "scheme (link-local: peer.config, peer.route.*)");
			return -1;
		}
		memcpy(c->address, v, n + 1);
		return 0;
	case K_NODE_ASSET_CODE:
		return conf_text(st, "asset_code", v, c->asset_code,
				 sizeof(c->asset_code), false);
	case K_NODE_ASSET_SCALE:
		if (conf_int(st, "asset_scale", v, 0, 255, &x) != 0)
			return -1;
		c->asset_scale = (uint8_t)x;
		return 0;
	case K_NODE_RB_INTERVAL:
		return conf_int(st, "route_broadcast_interval_ms", v, 100, 3600000,
				&c->route_broadcast_interval_ms);
	case K_NODE_ROUTE_EXPIRY:
		return conf_int(st, "route_expiry_ms", v, 100, 86400000, &c->route_expiry_ms);
	default:
		return -1;
	}
}

static int conf_set_btp(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_conf *c = st->c;

	switch (k) {
	case K_BTP_LISTEN:
		return conf_listen(st, v, &c->btp_listen);
	case K_BTP_AUTH:
		return conf_ms(st, "auth_timeout_ms", v, &c->auth_timeout_ms);
	case K_BTP_PING:
		return conf_ms(st, "ping_interval_ms", v, &c->ping_interval_ms);
	case K_BTP_RMIN:
		return conf_ms(st, "reconnect_min_ms", v, &c->reconnect_min_ms);
	case K_BTP_RMAX:
		return conf_ms(st, "reconnect_max_ms", v, &c->reconnect_max_ms);
	case K_BTP_TLS:
		return conf_bool(st, "tls", v, &c->tls.listen_tls);
	default:
		return -1;
	}
}

/* [tls]: file names (loaded by the engine at the end, conf_finish_tls). */
static int conf_set_tls(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_tls_conf *t = &st->c->tls;

	switch (k) {
	case K_TLS_CA:
		t->ca_line = st->line;
		return conf_text(st, "ca_file", v, t->ca_file, sizeof(t->ca_file), true);
	case K_TLS_CERT:
		t->cert_line = st->line;
		return conf_text(st, "cert_file", v, t->cert_file, sizeof(t->cert_file), true);
	case K_TLS_KEY:
		t->key_line = st->line;
		return conf_text(st, "key_file", v, t->key_file, sizeof(t->key_file), true);
	default:
		return -1;
	}
}

static int conf_set_log(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_conf *c = st->c;
	int level;

	switch (k) {
	case K_LOG_LEVEL:
		level = hal_log_level_parse(v);
		if (level < 0) {
			conf_fail(st, st->line,
				  "'level' must be debug, info, warn or error");
			return -1;
		}
		c->log_level = level;
		return 0;
	case K_LOG_STDERR:
		return conf_bool(st, "stderr", v, &c->log_stderr);
	case K_LOG_SYSLOG:
		return conf_bool(st, "syslog", v, &c->log_syslog);
	default:
		return -1;
	}
}

static int conf_set_other(struct conf_parse *st, int k, const char *v)
{
	struct ilpd_conf *c = st->c;

	switch (st->sec) {
	case SEC_ADMIN:
		if (k >= K_ADMIN_TOKEN)       /* auth (config_admin.c) */
			return conf_set_admin(st, k - K_ADMIN_TOKEN, v);
		if (k == K_ADMIN_STATE_DIR)   /* admin.ini's directory (admin_ini.h) */
			return conf_admin_state_dir(st, v);
		return conf_listen(st, v, &c->admin_listen);
	case SEC_LIMITS:
		return conf_ms(st, limits_keys[k], v, k == K_LIM_WINDOW ?
			       &c->min_message_window_ms : &c->max_hold_time_ms);
	case SEC_TRANSPORT:
		return conf_set_transport(st, k, v);
	case SEC_NETIF:
		return conf_set_netif(st, k, v);
	case SEC_LEDGER:
		return conf_set_ledger(st, k, v);
	case SEC_SETTLEMENT:
		return conf_set_settlement(st, k, v);
	case SEC_LOCAL:
		return conf_set_local(st, k, v);
	case SEC_NONE:
	case SEC_NODE:
	case SEC_BTP:
	case SEC_LOG:
	case SEC_PEER:
	case SEC_ROUTES:
	case SEC_TLS:
	case SEC_COUNT:
	default:
		return -1;
	}
}

static int conf_find_key(const char *const *keys, const char *name)
{
	int i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], name) == 0)
			return i;
	return -1;
}

/* inih's callback for every key = value line. */
static int conf_handler(void *user, const char *section, const char *name,
			const char *value)
{
	struct conf_parse *st = user;
	char show[CONF_NAME_SHOW + 1], label[CONF_NAME_SHOW + 16];
	int k, r;

	(void)section;   /* inih truncates it; the reader tracks sections */
	if (st->failed)
		return 0;
	conf_show(name, strlen(name), show, sizeof(show));
	if (st->sec == SEC_NONE) {
		conf_fail(st, st->line, "key '%s' outside any section", show);
		return 0;
	}
	if (st->sec == SEC_ROUTES)
		return conf_route(st, name, value) == 0;
	k = conf_find_key(sec_keys[st->sec], name);
	conf_sec_label(st, label, sizeof(label));
	if (k < 0) {
		conf_fail(st, st->line, "unknown key '%s' in %s", show, label);
		return 0;
	}
	if (st->key_line[st->sec][k] != 0) {
		conf_fail(st, st->line, "duplicate key '%s' in %s (first at line %d)",
			  show, label, st->key_line[st->sec][k]);
		return 0;
	}
	st->key_line[st->sec][k] = st->line;
	switch (st->sec) {
	case SEC_NODE:
		r = conf_set_node(st, k, value);
		break;
	case SEC_BTP:
		r = conf_set_btp(st, k, value);
		break;
	case SEC_LOG:
		r = conf_set_log(st, k, value);
		break;
	case SEC_PEER:
		st->peer_keys[st->peer] |= 1u << k;
		r = conf_set_peer(st, k, value);
		break;
	case SEC_TLS:
		r = conf_set_tls(st, k, value);
		break;
	case SEC_NONE:
	case SEC_ADMIN:
	case SEC_LIMITS:
	case SEC_ROUTES:
	case SEC_TRANSPORT:
	case SEC_NETIF:
	case SEC_LEDGER:
	case SEC_SETTLEMENT:
	case SEC_LOCAL:
	case SEC_COUNT:
	default:
		r = conf_set_other(st, k, value);
		break;
	}
	return r == 0;
}

/* ---- input ----------------------------------------------------------------- */

static int conf_getc(struct conf_parse *st)
{
	ssize_t n;

	if (st->text != NULL)
		return st->text[st->pos] == '\0' ? EOF :
		       (unsigned char)st->text[st->pos++];
	if (st->bpos == st->blen) {
		do {
			n = read(st->fd, st->buf, sizeof(st->buf));
		} while (n < 0 && errno == EINTR);
		if (n <= 0) {
			if (n < 0)
				st->read_errno = errno;
			return EOF;
		}
		st->blen = (size_t)n;
		st->bpos = 0;
	}
	return st->buf[st->bpos++];
}

/* Drops a UTF-8 byte order mark and leading blanks from str[0..*len). */
static void conf_trim_start(struct conf_parse *st, char *str, size_t *len)
{
	size_t skip = 0;

	if (st->line == 1 && *len >= 3 && memcmp(str, "\xEF\xBB\xBF", 3) == 0)
		skip = 3;
	while (skip < *len && (str[skip] == ' ' || str[skip] == '\t'))
		skip++;
	memmove(str, str + skip, *len - skip);
	*len -= skip;
}

/* inih's fgets-style reader: one whole line per call (see the notes). */
static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *st = stream;
	size_t cap, len = 0;
	int ch;

	if (st->failed || st->read_errno != 0 || num < 4)
		return NULL;
	cap = (size_t)num - 3;
	ch = conf_getc(st);
	if (ch == EOF)
		return NULL;
	st->line++;
	for (; ch != EOF && ch != '\n'; ch = conf_getc(st)) {
		if (ch == 0) {
			conf_fail(st, st->line, "NUL byte in line");
			return NULL;
		}
		if (len == 0 && (ch == ' ' || ch == '\t'))
			continue;
		if (len == cap) {
			conf_fail(st, st->line, "line too long (limit %zu bytes)", cap);
			return NULL;
		}
		str[len++] = (char)ch;
	}
	conf_trim_start(st, str, &len);
	str[len] = '\n';
	str[len + 1] = '\0';
	if (len > 0 && str[0] == '[' && conf_section_line(st, str, len) != 0)
		return NULL;
	return str;
}

/* ---- whole-file rules ------------------------------------------------------ */

/* The line of the first of two keys that is set, else the section's. */
static int conf_key_line(const struct conf_parse *st, enum conf_sec s, int a,
			 int b)
{
	if (st->key_line[s][a] != 0)
		return st->key_line[s][a];
	if (st->key_line[s][b] != 0)
		return st->key_line[s][b];
	return st->sec_line[s];
}

static void conf_finish_globals(struct conf_parse *st)
{
	const struct ilpd_conf *c = st->c;
	const struct ilpd_endpoint *b = &c->btp_listen, *a = &c->admin_listen;
	size_t i, parents = 0;

	for (i = 0; i < c->npeers; i++)
		parents += c->peer[i].relation == ILP_REL_PARENT;
	/* address = auto (or none) with a parent: IL-DCP (ildcp_client.h) */
	if (c->address[0] == '\0' && parents == 0)
		conf_fail(st, 0, "missing 'address' in [node]");
	if (c->max_hold_time_ms < c->min_message_window_ms)
		conf_fail(st, conf_key_line(st, SEC_LIMITS, K_LIM_HOLD, K_LIM_WINDOW),
			  "'max_hold_time_ms' must be >= 'min_message_window_ms'");
	if (c->reconnect_max_ms < c->reconnect_min_ms)
		conf_fail(st, conf_key_line(st, SEC_BTP, K_BTP_RMAX, K_BTP_RMIN),
			  "'reconnect_max_ms' must be >= 'reconnect_min_ms'");
	if (a->enabled && b->enabled && a->port == b->port &&
	    strcmp(a->host, b->host) == 0)
		conf_fail(st, conf_key_line(st, SEC_ADMIN, K_ADMIN_LISTEN,
					    K_ADMIN_LISTEN),
			  "[admin] listen is the same address as [btp] listen");
}

#if defined(ILPD_TLS_BEARSSL) || defined(ILPD_TLS_MBEDTLS)
#define CONF_HAVE_TLS 1
#else
#define CONF_HAVE_TLS 0
#endif

/* A [tls] file must be readable now; its contents are loaded by the TLS
 * engine when the daemon starts (the engine's own reasons are reported
 * then, at the same FILE:LINE). Validation does not load them: a reload
 * would otherwise parse the CA bundle a second time (and the mbedTLS
 * backend never gives a loaded configuration's memory back). */
static void conf_tls_file(struct conf_parse *st, const char *key, const char *path,
			  int line)
{
	int fd = conf_open_regular(path), e = errno;

	if (fd == CONF_NOT_REGULAR)
		conf_fail(st, line, "[tls] %s: not a regular file", key);
	else if (fd < 0)
		conf_fail(st, line, "[tls] %s: cannot open: %s", key, strerror(e));
	else
		(void)close(fd);
}

static void conf_finish_tls(struct conf_parse *st)
{
	const struct ilpd_conf *c = st->c;
	const struct ilpd_tls_conf *t = &c->tls;
	int on_line = st->key_line[SEC_BTP][K_BTP_TLS];
	bool cert = t->cert_file[0] != '\0', key = t->key_file[0] != '\0';

	if (t->listen_tls && !CONF_HAVE_TLS)
		conf_fail(st, on_line, "[btp] tls = on: this ilpd was built without TLS");
	if (t->listen_tls && !c->btp_listen.enabled)
		conf_fail(st, on_line, "[btp] tls = on needs [btp] listen, which is off");
	if (t->listen_tls && (!cert || !key))
		conf_fail(st, on_line, "[btp] tls = on needs [tls] cert_file and key_file");
	if (cert != key)
		conf_fail(st, cert ? t->cert_line : t->key_line,
			  "[tls] cert_file and key_file must be given together");
	if (st->failed)
		return;
	if (cert)
		conf_tls_file(st, "cert_file", t->cert_file, t->cert_line);
	if (key)
		conf_tls_file(st, "key_file", t->key_file, t->key_line);
	if (ilpd_conf_needs_tls_client(c) || t->ca_line != 0)
		conf_tls_file(st, "ca_file", t->ca_file, t->ca_line);
}

static int conf_run(struct conf_parse *st)
{
	size_t i;
	int r;

	conf_defaults(st->c, st->name);
	st->err->msg[0] = '\0';
	st->err->line = 0;
	st->err->text = 0;
	ini_max_line = CONF_LINE_MAX + 3;
	r = ini_parse_stream(conf_reader, st, conf_handler, st);
	if (st->read_errno != 0)
		conf_fail(st, st->line, "read error: %s", strerror(st->read_errno));
	if (r > 0 && (!st->failed || r < st->err_line)) {
		st->failed = false;
		conf_fail(st, r, "syntax error: expected '[section]' or "
			  "'key = value'");
	} else if (r < 0) {
		conf_fail(st, 0, "cannot parse (inih error %d)", r);
	}
	if (st->failed)
		return -1;
	conf_finish_globals(st);
	for (i = 0; i < st->c->npeers && !st->failed; i++)
		conf_finish_peer(st, i);
	if (!st->failed)
		conf_finish_routes(st);
	if (!st->failed)
		conf_finish_tls(st);
	if (!st->failed)
		conf_finish_transport(st);
	if (!st->failed)
		conf_finish_ledger(st);
	if (!st->failed)
		conf_finish_settlement(st);
	if (!st->failed)
		conf_finish_local(st);
	return st->failed ? -1 : 0;
}

/* ---- public ---------------------------------------------------------------- */

int ilpd_conf_load_string(struct ilpd_conf *c, const char *name,
			  const char *text, struct ilpd_conf_err *err)
{
	struct conf_parse st;

	memset(&st, 0, sizeof(st));
	st.c = c;
	st.err = err;
	st.name = name;
	st.fd = -1;
	st.text = text;
	return conf_run(&st);
}

int ilpd_conf_load_file(struct ilpd_conf *c, const char *path,
			struct ilpd_conf_err *err)
{
	struct conf_parse st;
	int r;

	memset(&st, 0, sizeof(st));
	st.c = c;
	st.err = err;
	st.name = path;
	st.fd = conf_open_regular(path);
	if (st.fd == CONF_NOT_REGULAR) {
		conf_defaults(c, path);
		conf_fail(&st, 0, "not a regular file (a FIFO, device or directory "
			  "is never read)");
		return -1;
	}
	if (st.fd < 0) {
		int e = errno;

		conf_defaults(c, path);
		conf_fail(&st, 0, "cannot open: %s", strerror(e));
		return -1;
	}
	r = conf_run(&st);
	(void)close(st.fd);
	return r;
}

bool ilpd_conf_needs_tls_client(const struct ilpd_conf *c)
{
	size_t i;

	for (i = 0; i < c->npeers; i++)
		if (c->peer[i].outbound && c->peer[i].url.tls)
			return true;
	return false;
}

bool ilpd_conf_tls_same(const struct ilpd_conf *o, const struct ilpd_conf *n)
{
	return o->tls.listen_tls == n->tls.listen_tls &&
	       strcmp(o->tls.ca_file, n->tls.ca_file) == 0 &&
	       strcmp(o->tls.cert_file, n->tls.cert_file) == 0 &&
	       strcmp(o->tls.key_file, n->tls.key_file) == 0;
}

bool ilpd_peer_tls_same(const struct ilpd_peer_conf *a, const struct ilpd_peer_conf *b)
{
	return a->url.tls == b->url.tls && a->has_pin == b->has_pin &&
	       memcmp(a->tls_pin, b->tls_pin, sizeof(a->tls_pin)) == 0 &&
	       strcmp(a->tls_server_name, b->tls_server_name) == 0;
}

int ilpd_conf_peer_index(const struct ilpd_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->npeers; i++)
		if (strcmp(c->peer[i].name, name) == 0)
			return (int)i;
	return -1;
}
