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
 * (ILPD_ROUTE_PREFIX_MAX + 40) + 1 KiB; one static instance in main.c (two
 * while a SIGHUP reload is validated). Parsing uses the stack only.
 *
 * Sections and keys (defaults in brackets; times are ms, 1..86400000;
 * lines at most 1024 bytes; reference: docs/configuration.md):
 *   [node]      address (required in every file; the embedded default
 *               config sets test.ilpd),
 *               asset_code [XRP], asset_scale [9]
 *   [btp]       listen = HOST:PORT ["127.0.0.1:7768"; "" or "off" disables],
 *               auth_timeout_ms [5000], ping_interval_ms [20000],
 *               reconnect_min_ms [100], reconnect_max_ms [30000]
 *   [admin]     listen = HOST:PORT ["127.0.0.1:7769"; "off" disables]
 *   [limits]    min_message_window_ms [1000], max_hold_time_ms [30000]
 *   [log]       level = debug|info|warn|error [info], stderr [true],
 *               syslog [false]
 *   [peer NAME] relation = parent|peer|child (required),
 *               url = ws://HOST:PORT/PATH (outbound: ilpd dials) or none
 *               (inbound: the peer dials ilpd and authenticates with token),
 *               token (required; inbound tokens must be unique),
 *               username [NAME] (sent as auth_username when dialling),
 *               asset_code [node's], asset_scale [node's], rate ["1"],
 *               max_packet_amount [unlimited], min_balance (<= 0)
 *               [unlimited], max_balance (>= 0) [unlimited],
 *               settle_threshold [none] ("unlimited"/"none" may be written)
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

/* A parsed ws://host:port/path. */
struct ilpd_url {
	char host[ILPD_CONF_HOST_MAX + 1];
	uint16_t port;                       /* 80 if absent */
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
	int line;                            /* where [peer NAME] starts */
};

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

/* Parses "ws://host[:port][/path]" (btp+ws:// accepted as an alias).
 * 0 on success; -1 with a static reason in *why. wss:// is refused until
 * TLS support lands, with a reason saying so. */
int ilpd_url_parse(const char *s, struct ilpd_url *u, const char **why);

#endif /* ILPD_CONFIG_FILE_H */
