/*
 * config.h - ilpd's configuration: one INI file (parsed with Debian's
 * inih), validated strictly, or the embedded default for the board.
 *
 * Every error names the place: "FILE:LINE: message" (LINE 0 for a problem
 * with the file as a whole, e.g. a missing required key). Token values are
 * never echoed in messages. The full key reference, with defaults, is
 * docs/ilpd.8 and `ilpd --help`.
 *
 * Memory: struct ilpd_conf is about ILPD_MAX_PEERS * 520 + ILPD_MAX_ROUTES *
 * (ILPD_ROUTE_PREFIX_MAX + 40) + 1 KiB; two static instances in main.c (the one
 * in use and the spare a SIGHUP parses into). Parsing uses the stack only.
 *
 * Sections and keys (defaults in brackets; times are ms, 1..86400000;
 * lines at most 1024 bytes; reference: docs/configuration.md):
 *   [node]      address (required in every file; the embedded default
 *               config sets test.ilpd),
 *               asset_code [XRP], asset_scale [9]
 *   [btp]       listen = HOST:PORT ["127.0.0.1:7768"; "" or "off" disables],
 *               tls = on|off [off] (the listener speaks wss://; needs
 *               [tls] cert_file and key_file),
 *               auth_timeout_ms [5000], ping_interval_ms [20000],
 *               reconnect_min_ms [100], reconnect_max_ms [30000]
 *   [admin]     listen = HOST:PORT ["127.0.0.1:7769"; "off" disables]
 *   [limits]    min_message_window_ms [1000], max_hold_time_ms [30000]
 *   [log]       level = debug|info|warn|error [info], stderr [true],
 *               syslog [false]
 *   [tls]       ca_file [/etc/ssl/certs/ca-certificates.crt] (trust anchors
 *               for wss:// peers), cert_file, key_file (PEM; the listener's
 *               chain, leaf first, and key). The files are loaded by the TLS
 *               engine while the configuration is validated, so a bad file
 *               is "FILE:LINE: [tls] cert_file: <engine's reason>".
 *   [peer NAME] relation = parent|peer|child (required),
 *               url = ws[s]://HOST:PORT/PATH (outbound: ilpd dials) or none
 *               (inbound: the peer dials ilpd and authenticates with token),
 *               token (required; inbound tokens must be unique),
 *               username [NAME] (sent as auth_username when dialling),
 *               asset_code [node's], asset_scale [node's], rate ["1"],
 *               max_packet_amount [unlimited], min_balance (<= 0)
 *               [unlimited], max_balance (>= 0) [unlimited],
 *               settle_threshold [none] ("unlimited"/"none" may be written),
 *               tls_pin = 64 hex digits (SHA-256 of the server's
 *               SubjectPublicKeyInfo; replaces chain and name checks),
 *               tls_server_name [the URL host] (both for wss:// urls only)
 *   [routes]    PREFIX = PEER (one line per static route),
 *               default = PEER (the default route)
 *   [transport] reserved for SOCKS5/onion (next issue): type = direct only
 */
#ifndef ILPD_CONFIG_FILE_H
#define ILPD_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/amount.h"
#include "ilp/ilp_opts.h"

#define ILPD_CONF_HOST_MAX 255
#define ILPD_CONF_PATH_MAX 255
#define ILPD_CONF_TOKEN_MAX 255
#define ILPD_CONF_ERR_MAX 512

struct ilpd_endpoint {
	bool enabled;
	char host[ILPD_CONF_HOST_MAX + 1];   /* numeric address or host name */
	uint16_t port;
};

/* A parsed ws[s]://host:port/path. */
struct ilpd_url {
	char host[ILPD_CONF_HOST_MAX + 1];
	bool tls;                            /* wss:// (btp+wss://) */
	uint16_t port;                       /* 80 (443 for wss://) if absent */
	char path[ILPD_CONF_PATH_MAX + 1];   /* "/" if absent */
};

struct ilpd_peer_conf {
	char name[ILPD_PEER_NAME_MAX + 1];
	uint8_t relation;                    /* enum ilp_relation */
	bool outbound;                       /* url given: ilpd dials */
	struct ilpd_url url;
	char token[ILPD_CONF_TOKEN_MAX + 1];
	char username[ILPD_PEER_NAME_MAX + 1];
	char asset_code[ILPD_ASSET_CODE_MAX + 1];
	struct ilp_rate rate;                /* rate.scale = asset_scale */
	uint64_t max_packet_amount;          /* UINT64_MAX: unlimited */
	int64_t min_balance;                 /* INT64_MIN: unlimited */
	int64_t max_balance;                 /* INT64_MAX: unlimited */
	int64_t settle_threshold;            /* INT64_MAX: none */
	bool has_pin;                        /* tls_pin given */
	uint8_t tls_pin[32];                 /* SHA-256 of the server's SPKI */
	char tls_server_name[ILPD_CONF_HOST_MAX + 1];  /* "" : the URL host */
	int line;                            /* where [peer NAME] starts */
};

/* [tls] and [btp] tls. Lines are where the keys were set (0: default). */
struct ilpd_tls_conf {
	bool listen_tls;                     /* [btp] tls = on */
	char ca_file[ILPD_CONF_PATH_MAX + 1];
	char cert_file[ILPD_CONF_PATH_MAX + 1];   /* "" if not set */
	char key_file[ILPD_CONF_PATH_MAX + 1];    /* "" if not set */
	int ca_line, cert_line, key_line;
};

#define ILPD_TLS_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

struct ilpd_route_conf {
	char prefix[ILPD_ROUTE_PREFIX_MAX + 1];
	char peer[ILPD_PEER_NAME_MAX + 1];
	int line;
};

struct ilpd_conf {
	char source[ILPD_CONF_PATH_MAX + 1];        /* file name or "(default)" */
	char address[ILPD_ADDRESS_MAX + 1];
	char asset_code[ILPD_ASSET_CODE_MAX + 1];
	uint8_t asset_scale;
	struct ilpd_endpoint btp_listen;
	struct ilpd_endpoint admin_listen;
	int64_t auth_timeout_ms;
	int64_t ping_interval_ms;
	int64_t reconnect_min_ms;
	int64_t reconnect_max_ms;
	int64_t min_message_window_ms;
	int64_t max_hold_time_ms;
	int log_level;                       /* enum hal_log_level */
	bool log_stderr;
	bool log_syslog;
	struct ilpd_tls_conf tls;
	struct ilpd_peer_conf peer[ILPD_MAX_PEERS];
	size_t npeers;
	struct ilpd_route_conf route[ILPD_MAX_ROUTES];
	size_t nroutes;
	char default_route[ILPD_PEER_NAME_MAX + 1];   /* "" if none */
};

/* The first error found: "FILE:LINE: message". */
struct ilpd_conf_err {
	char msg[ILPD_CONF_ERR_MAX];
};

/* Loads and validates a file. 0 on success, -1 with err->msg otherwise
 * (then *c is unspecified: load into a spare instance to keep the old one).
 * Reads with open/read and a stack buffer: no heap, no stdio. */
int ilpd_conf_load_file(struct ilpd_conf *c, const char *path,
			struct ilpd_conf_err *err);

/* The same for text held in memory; `name` is used in messages. */
int ilpd_conf_load_string(struct ilpd_conf *c, const char *name,
			  const char *text, struct ilpd_conf_err *err);

/* The board's embedded default configuration (INI text). */
extern const char ilpd_default_config[];

/* Index of the peer named `name`, or -1. */
int ilpd_conf_peer_index(const struct ilpd_conf *c, const char *name);

/* Parses "ws[s]://host[:port][/path]" (btp+ws[s]:// accepted as aliases).
 * 0 on success; -1 with a static reason in *why. wss:// is refused by a
 * build without TLS (ILPD_TLS=none), with a reason saying so. */
int ilpd_url_parse(const char *s, struct ilpd_url *u, const char **why);

/* True if a running daemon can keep its TLS configurations under `n`
 * (the [tls] files and [btp] tls are unchanged); a reload that changes
 * them needs a restart. */
bool ilpd_conf_tls_same(const struct ilpd_conf *o, const struct ilpd_conf *n);

/* True if peer a and b connect the same way over TLS (pin, server name). */
bool ilpd_peer_tls_same(const struct ilpd_peer_conf *a, const struct ilpd_peer_conf *b);

/* True if the configuration has an outbound wss:// peer. */
bool ilpd_conf_needs_tls_client(const struct ilpd_conf *c);

#endif /* ILPD_CONFIG_FILE_H */
