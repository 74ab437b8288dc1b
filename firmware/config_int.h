/*
 * config_int.h - internals shared by the configuration loader's files
 * (config.c: the reader, common value parsers and small sections;
 * config_peer.c: [peer NAME] and [routes];
 * config_transport.c: [transport] and [netif]; config_ledger.c: [ledger]).
 * Not for other modules.
 */
#ifndef ILPD_CONFIG_INT_H
#define ILPD_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Longest line accepted, without its line ending. */
#define CONF_LINE_MAX 1024
/* Longest time value in milliseconds: one day. */
#define CONF_MS_MAX 86400000
/* Longest ILP address (RFC 15). */
#define CONF_ILP_ADDRESS_MAX 1023
#define CONF_KEYS_MAX 32
#define CONF_NAME_SHOW 48   /* bytes of a key/section name quoted in messages */

enum conf_sec {
	SEC_NONE = 0,
	SEC_NODE,
	SEC_BTP,
	SEC_ADMIN,
	SEC_LIMITS,
	SEC_LOG,
	SEC_PEER,
	SEC_ROUTES,
	SEC_TRANSPORT,
	SEC_TLS,
	SEC_NETIF,
	SEC_LEDGER,
	SEC_SETTLEMENT,
	SEC_LOCAL,
	SEC_COUNT
};


/* Everything the parse needs besides the result; on the caller's stack. */
struct conf_parse {
	struct ilpd_conf *c;
	struct ilpd_conf_err *err;
	const char *name;              /* file name for messages */
	/* input: a file descriptor or a NUL-terminated string */
	int fd;
	int read_errno;
	const char *text;
	size_t pos;
	size_t blen, bpos;
	unsigned char buf[512];
	/* position */
	int line;
	bool failed;
	int err_line;
	/* current section */
	enum conf_sec sec;
	size_t peer;                   /* SEC_PEER: index in c->peer */
	int sec_line[SEC_COUNT];       /* first line of each section, 0: absent */
	int key_line[SEC_COUNT][CONF_KEYS_MAX];  /* SEC_PEER: current peer only */
	uint32_t peer_keys[ILPD_MAX_PEERS];      /* bit per peer key given */
	int default_route_line;
};


enum conf_num_err { NUM_OK = 0, NUM_GARBAGE = -1, NUM_NEGATIVE = -2, NUM_RANGE = -3 };

/* Records the first error as "NAME:LINE: message"; later ones are dropped. */
void conf_fail(struct conf_parse *st, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A printable copy of s[0..n) (at most cap - 1 bytes) for messages. */
const char *conf_show(const char *s, size_t n, char *out, size_t cap);
/* Unsigned decimal: digits only. 0 (NUM_OK) or a negative conf_num_err. */
int conf_parse_u64(const char *s, uint64_t *out);
/* An integer in [min, max]; 0 or -1 (reported). */
int conf_int(struct conf_parse *st, const char *key, const char *v,
	     int64_t min, int64_t max, int64_t *out);
/* Milliseconds, 1..CONF_MS_MAX; 0 or -1 (reported). */
int conf_ms(struct conf_parse *st, const char *key, const char *v, int64_t *out);
/* ASCII case-insensitive equality, b in lower case. */
bool conf_ieq(const char *a, const char *b);

/* NULL if host h of an http:// URL ilpd calls ([local] handler_url, a
 * settlement_engine) is an IP address or localhost; else why not:
 * onion_why for an onion name, else that a name would be looked up
 * (blocking) at each request (config_url.c). */
const char *conf_host_literal(const struct ilpd_conf *c, const char *h, const char *onion_why);
/* true/false, yes/no, on/off, 1/0; 0 or -1 (reported). */
int conf_bool(struct conf_parse *st, const char *key, const char *v, bool *out);
/* A non-empty printable value into out[cap]; 0 or -1 (reported). */
int conf_text(struct conf_parse *st, const char *key, const char *v,
	      char *out, size_t cap, bool blanks);
/* "HOST[:PORT]" or "[V6][:PORT]" in s[0..n): NULL, or a static reason. */
const char *conf_hostport(const char *s, size_t n, char *host, uint16_t *port,
			  uint16_t def_port);
/* A character allowed in a host name: letters, digits, '-', '.', '_'. */
bool conf_host_char(char ch);
/* A listen address: HOST:PORT or "off" into *e; 0 or -1 (reported). */
int conf_listen(struct conf_parse *st, const char *v, struct ilpd_endpoint *e);

/* Reports a number error for `key` with the accepted range. */
void conf_num_fail(struct conf_parse *st, const char *key, int r, const char *range);

/* config_peer.c: [peer NAME] and [routes] */
enum {
	K_PEER_RELATION, K_PEER_URL, K_PEER_TOKEN, K_PEER_USERNAME,
	K_PEER_ASSET_CODE, K_PEER_ASSET_SCALE, K_PEER_RATE, K_PEER_MAX_PACKET,
	K_PEER_MIN_BALANCE, K_PEER_MAX_BALANCE, K_PEER_SETTLE, K_PEER_TLS_PIN,
	K_PEER_TLS_NAME, K_PEER_MAX_IN_FLIGHT, K_PEER_SEND_ROUTES, K_PEER_RECEIVE_ROUTES,
	K_PEER_RATE_LIMIT, K_PEER_RATE_BURST, K_PEER_THROUGHPUT_IN, K_PEER_THROUGHPUT_OUT,
	K_PEER_SETTLE_ENGINE, K_PEER_SETTLE_TO, K_PEER_SETTLE_SCALE, K_PEER_SETTLE_REMOTE
};
extern const char *const conf_peer_keys[];
/* Starts [peer NAME]: name checks, duplicates, board limit. */
int conf_begin_peer(struct conf_parse *st, const char *name, size_t n);
int conf_set_peer(struct conf_parse *st, int k, const char *v);
/* [routes]: PREFIX = PEER, default = PEER. Peers are resolved at the end. */
int conf_route(struct conf_parse *st, const char *key, const char *v);
/* Whole-file rules: peer i (in file order), then the routes. */
void conf_finish_peer(struct conf_parse *st, size_t i);
void conf_finish_routes(struct conf_parse *st);

/* config_transport.c */
extern const char *const conf_transport_keys[];
extern const char *const conf_netif_keys[];
void conf_transport_defaults(struct ilpd_conf *c);
int conf_set_transport(struct conf_parse *st, int k, const char *v);
int conf_set_netif(struct conf_parse *st, int k, const char *v);
/* Cross-key rules of [transport] and [netif] (after peers are read). */
void conf_finish_transport(struct conf_parse *st);

/* config_settle.c: the settlement keys of [peer NAME] and [settlement]. */
extern const char *const conf_settlement_keys[];
int conf_set_peer_settle(struct conf_parse *st, int k, const char *v);
void conf_finish_peer_settle(struct conf_parse *st, size_t i);
int conf_set_settlement(struct conf_parse *st, int k, const char *v);
void conf_finish_settlement(struct conf_parse *st);

/* admin_ini.c: [admin] state_dir (an absolute directory). */
int conf_admin_state_dir(struct conf_parse *st, const char *v);

/* config_local.c: [local] (ilpd's own account, local.h) */
extern const char *const conf_local_keys[];
void conf_local_defaults(struct ilpd_conf *c);
int conf_set_local(struct conf_parse *st, int k, const char *v);
/* Cross-key rules (handler_url loopback unless allow_remote; the peer
 * name "local" is ilpd's own account). */
void conf_finish_local(struct conf_parse *st);

/* config_admin.c: [admin] token, token_file, allowed_ips (k: 0, 1, 2). */
void conf_admin_defaults(struct ilpd_conf *c);
int conf_set_admin(struct conf_parse *st, int k, const char *v);

/* config_ledger.c */
extern const char *const conf_ledger_keys[];
void conf_ledger_defaults(struct ilpd_conf *c);
int conf_set_ledger(struct conf_parse *st, int k, const char *v);
/* state_file's default (after [transport] state_dir is known). */
void conf_finish_ledger(struct conf_parse *st);

#endif /* ILPD_CONFIG_INT_H */
