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
 *   [admin]     listen = HOST:PORT ["127.0.0.1:7769"; "off" disables],
 *               state_dir [the directory of [ledger] state_file] (admin.ini:
 *               peers and routes made by the admin API, admin_ini.h),
 *               token (bearer token every /admin/ call needs; never
 *               echoed) or token_file = PATH (its first line), allowed_ips
 *               [127.0.0.0/8, ::1] (comma-separated addresses or CIDRs;
 *               other clients get 403 on every path; config_admin.c)
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
 *               settle_threshold [none] ("unlimited"/"none" may be written;
 *               ilpd settles when the balance falls below it),
 *               settlement_engine = http://HOST:PORT or unix:/PATH [none],
 *               settle_to [0],
 *               settlement_scale [asset_scale], allow_remote_engine [false]
 *               (config_settle.c, docs/settlement.md),
 *               max_in_flight (1..ILPD_MAX_PENDING)
 *               [ILP_SWITCH_DEFAULT_MAX_IN_FLIGHT: a quarter of the pending
 *               table; Prepares from the peer in flight at once, T05 past it],
 *               tls_pin = 64 hex digits (SHA-256 of the server's
 *               SubjectPublicKeyInfo; replaces chain and name checks),
 *               tls_server_name [the URL host] (both for wss:// urls only)
 *   [routes]    PREFIX = PEER (one line per static route),
 *               default = PEER (the default route)
 *   [transport] type = direct|socks5 [direct], proxy = socks5h://HOST:PORT
 *               (HOST numeric or localhost; socks5:// and other schemes are
 *               refused: local DNS would leak), proxy_scope = all|onion [all],
 *               allow_direct_loopback [false], onion_suffixes [.onion
 *               .anyone .anon], connect_timeout_ms [30000],
 *               onion_connect_timeout_ms [120000], probe_interval_ms [30000],
 *               onion_service = off|managed|external|dir [off], state_dir
 *               [/var/lib/ilpd], tor_path [/usr/bin/tor], torrc_append,
 *               socks_port [9150], control_port [9151], control = HOST:PORT
 *               [127.0.0.1:9051] (external), control_auth = cookie|password
 *               [cookie], control_password, control_cookie_file, hs_dir,
 *               onion_port [BTP port], bootstrap_timeout_ms [300000],
 *               stop_timeout_ms [10000], external_url = auto|URL
 *               (docs/onion.md)
 *   [netif]     lwIP builds only: driver = tap, name [tap0], address =
 *               A.B.C.D/LEN (required), gateway, address6 = X::Y/64,
 *               mtu 1280..1500 [1500] (docs/lwip.md)
 *   [settlement] listen = HOST:PORT [off] (the settlement engines' API;
 *               loopback unless allow_remote = true), allow_remote [false]
 *   [local]     ilpd's own account (local.h, config_local.c):
 *               handler_url = http://HOST[:PORT][/PATH] [none] (local
 *               delivery; loopback only unless allow_remote = true),
 *               prefix [the node's address], notify_transit [false],
 *               timeout_margin_ms 0..60000 [500], max_requests
 *               1..ILPD_HTTPC_SLOTS [half of them, at least 1], queue
 *               0..ILPD_LOCAL_SLOTS [ILPD_LOCAL_SLOTS / 2], allow_remote
 *               [false], max_balance (>= 0) [unlimited] (caps what the
 *               local account sends beyond what it received)
 *   [ledger]    durability = sync|interval|off [sync] (the embedded default
 *               config sets off), commit_interval_ms 0..1000 [0] (sync:
 *               group-commit window; 0 = one sync per loop iteration),
 *               sync_interval_ms 10..60000 [1000] (interval: the period),
 *               state_file [<[transport] state_dir>/ledger.state] (an
 *               absolute path; its directory is created 0700 if missing).
 *               durability and state_file need a restart.
 */
#ifndef ILPD_CONFIG_FILE_H
#define ILPD_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_net.h"
#include "ilp/amount.h"
#include "ilp/ilp_opts.h"

#define ILPD_CONF_HOST_MAX 255
#define ILPD_CONF_PATH_MAX 255
#define ILPD_CONF_TOKEN_MAX 255
#define ILPD_CONF_ERR_MAX 640

struct ilpd_endpoint {
	bool enabled;
	char host[ILPD_CONF_HOST_MAX + 1];   /* numeric address or host name */
	uint16_t port;
};

/* A parsed ws[s]://host:port/path. */
/* A URL. A settlement_engine of unix:/PATH (config_settle.c) is held in
 * the same struct: host is the absolute socket path (it starts with '/',
 * which no host name or address does), port 0, path "" (ilpd_url_is_unix). */
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
	uint32_t max_in_flight;              /* the peer's share of the pending table */
	uint64_t rate_limit;                 /* Prepares per second; 0: off */
	uint64_t rate_limit_burst;           /* 0: = rate_limit */
	uint64_t throughput_in;              /* amount per second; 0: off */
	uint64_t throughput_out;             /* amount per second; 0: off */
	int8_t send_routes;                  /* CCP: -1 by relation (on unless child), 0, 1 */
	int8_t receive_routes;               /* CCP: -1 by relation (on unless child), 0, 1 */
	bool has_pin;                        /* tls_pin given */
	uint8_t tls_pin[32];                 /* SHA-256 of the server's SPKI */
	char tls_server_name[ILPD_CONF_HOST_MAX + 1];  /* "" : the URL host */
	/* Settlement (config_settle.c, docs/settlement.md). */
	bool settle_engine;                  /* settlement_engine given */
	bool allow_remote_engine;            /* [false] */
	bool settle_scale_set;
	uint8_t settle_scale;                /* settlement_scale [asset_scale] */
	int64_t settle_to;                   /* [0] */
	struct ilpd_url settle_url;          /* http://HOST:PORT[/PATH] or unix:/PATH */
	int settle_line, settle_to_line, settle_scale_line;
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

/* [transport] (issue 4; operator guide docs/onion.md). */
enum ilpd_transport_type {
	ILPD_TRANSPORT_DIRECT = 0,           /* type = direct: dial peers directly */
	ILPD_TRANSPORT_SOCKS5                /* type = socks5: dial through proxy */
};

enum ilpd_proxy_scope {
	ILPD_PROXY_ALL = 0,                  /* proxy_scope = all: every peer */
	ILPD_PROXY_ONION                     /* = onion: only onion hosts (explicit
					      * choice; others dial directly) */
};

enum ilpd_onion_mode {
	ILPD_ONION_OFF = 0,                  /* onion_service = off */
	ILPD_ONION_MANAGED,                  /* ilpd runs tor/anon itself */
	ILPD_ONION_EXTERNAL,                 /* ADD_ONION via an existing daemon's
					      * control port */
	ILPD_ONION_DIR                       /* an operator-managed
					      * HiddenServiceDir (hostname file) */
};

enum ilpd_control_auth {
	ILPD_CONTROL_AUTH_COOKIE = 0,        /* control_auth = cookie */
	ILPD_CONTROL_AUTH_PASSWORD           /* = password (control_password) */
};

#define ILPD_ONION_SUFFIX_MAX 4              /* entries in onion_suffixes */
#define ILPD_ONION_SUFFIX_LEN 15             /* chars in one, with its dot */

struct ilpd_transport_conf {
	uint8_t type;                        /* enum ilpd_transport_type */
	uint8_t scope;                       /* enum ilpd_proxy_scope */
	uint8_t onion_mode;                  /* enum ilpd_onion_mode */
	uint8_t control_auth;                /* enum ilpd_control_auth */
	bool allow_direct_loopback;          /* loopback peers skip the proxy */
	bool proxy_managed;                  /* the proxy is the managed daemon's
					      * SocksPort (no `proxy` given) */
	/* proxy = socks5h://HOST:PORT, HOST numeric or "localhost". Managed
	 * mode without proxy: 127.0.0.1:socks_port of the managed daemon. */
	char proxy_host[HAL_IP_STR_MAX];
	uint16_t proxy_port;
	/* onion_suffixes [".onion .anyone .anon"]: hosts that are onion
	 * services (case-insensitive, each starts with '.'). */
	char suffix[ILPD_ONION_SUFFIX_MAX][ILPD_ONION_SUFFIX_LEN + 1];
	size_t nsuffix;
	int64_t connect_timeout_ms;          /* [30000] proxy connect+SOCKS,
					      * clearnet hosts */
	int64_t onion_connect_timeout_ms;    /* [120000] the same, onion hosts */
	int64_t probe_interval_ms;           /* [30000] proxy health probe */
	/* Onion service. */
	char state_dir[ILPD_CONF_PATH_MAX + 1];    /* [/var/lib/ilpd] key, torrc,
						    * DataDirectory (managed) */
	char tor_path[ILPD_CONF_PATH_MAX + 1];     /* [/usr/bin/tor] or anon */
	char torrc_append[ILPD_CONF_PATH_MAX + 1]; /* "" or a file %include'd
						    * into the generated torrc */
	uint16_t socks_port;                 /* [9150] managed SocksPort */
	uint16_t control_port;               /* [9151] managed ControlPort;
					      * external: from `control` */
	char control_host[HAL_IP_STR_MAX];    /* external: control =
						    * HOST:PORT [127.0.0.1:9051] */
	char control_password[ILPD_CONF_TOKEN_MAX + 1]; /* secret: never logged */
	char control_cookie_file[ILPD_CONF_PATH_MAX + 1]; /* "" : from PROTOCOLINFO */
	char hs_dir[ILPD_CONF_PATH_MAX + 1];       /* onion_service = dir */
	uint16_t onion_port;                 /* [BTP listen port] virtual port */
	int64_t bootstrap_timeout_ms;        /* [300000] managed/external:
					      * bootstrap + publish budget */
	int64_t stop_timeout_ms;             /* [10000] managed daemon stop */
	bool external_url_auto;              /* external_url = auto */
	char external_url[ILPD_CONF_HOST_MAX + 1]; /* or a fixed URL, or "" */
	int line;                            /* where [transport] starts */
};

/* [ledger]: the durable ledger (firmware/persist.h, docs/ilpd.8). */
struct ilpd_ledger_conf {
	uint8_t durability;                  /* enum ilpd_durability (persist.h) */
	int64_t commit_interval_ms;          /* [0] sync: group-commit window */
	int64_t sync_interval_ms;            /* [1000] interval: sync period */
	char state_file[ILPD_CONF_PATH_MAX + 1];  /* absolute path */
	int line;                            /* where [ledger] starts, or 0 */
};

/* [local]: ilpd's own account (config_local.c, local.h). */
struct ilpd_local_conf {
	bool handler;                        /* handler_url given */
	struct ilpd_url handler_url;         /* http:// (tls false) */
	char prefix[ILPD_ADDRESS_MAX + 1];   /* "" : the node's address */
	bool notify_transit;                 /* [false] */
	bool allow_remote;                   /* [false]: handler_url loopback only */
	int64_t timeout_margin_ms;           /* [500] */
	int64_t max_requests;                /* concurrent handler requests */
	int64_t queue;                       /* deliveries waiting for a request */
	int64_t max_balance;                 /* INT64_MAX: unlimited */
	int line;                            /* where [local] starts, or 0 */
};

struct ilpd_route_conf {
	char prefix[ILPD_ROUTE_PREFIX_MAX + 1];
	char peer[ILPD_PEER_NAME_MAX + 1];
	int line;
};

/* [admin] auth (config_admin.c): an address or CIDR block clients may
 * connect from, and the bearer token. */
#define ILPD_ADMIN_ALLOW_MAX 16
struct ilpd_cidr {
	uint8_t addr[16];                    /* IPv4 in the first 4 bytes */
	uint8_t bits;                        /* prefix length */
	bool v6;
};
struct ilpd_admin_auth {
	char token[ILPD_CONF_TOKEN_MAX + 1]; /* "" : none */
	struct ilpd_cidr allow[ILPD_ADMIN_ALLOW_MAX];
	size_t nallow;
	int allow_line;                      /* 0: allowed_ips not given (the
					      * default gates /admin/ only) */
	int token_line;                      /* 0: not given */
	int token_file_line;
};
/* A numeric IPv4 or IPv6 address in s[0..n) into addr (IPv4: 4 bytes);
 * 0 or -1 (config_admin.c). */
int ilpd_ip_parse(const char *s, size_t n, uint8_t addr[16], bool *v6);
/* True if the address text ip (as hal_tcp_accept gives it) is inside one
 * of a->allow. */
bool ilpd_admin_ip_allowed(const struct ilpd_admin_auth *a, const char *ip);

struct ilpd_conf {
	char source[ILPD_CONF_PATH_MAX + 1];        /* file name (as ilpd_conf_name()
	                                             * shows it) or "(default)" */
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
	/* [node] CCP (ccp.h): route_broadcast_interval_ms, route_expiry_ms
	 * (ilp-connector's routeBroadcastInterval / routeExpiry). */
	int64_t route_broadcast_interval_ms;
	int64_t route_expiry_ms;
	int log_level;                       /* enum hal_log_level */
	bool log_stderr;
	bool log_syslog;
	struct ilpd_tls_conf tls;
	struct ilpd_transport_conf transport;
	struct hal_netif_conf netif;         /* [netif]: lwIP builds only */
	struct ilpd_ledger_conf ledger;      /* [ledger] */
	struct ilpd_local_conf local;        /* [local] */
	/* [admin] state_dir: where admin.ini (peers and routes made by the
	 * admin API, admin_ini.h) lives; "" : the directory of [ledger]
	 * state_file. */
	char admin_state_dir[ILPD_CONF_PATH_MAX + 1];
	/* [settlement] (config_settle.c): the engine->ilpd API. */
	struct ilpd_endpoint settlement_listen;  /* off by default */
	bool settlement_allow_remote;        /* allow_remote [false] */
	int settlement_line, settlement_listen_line;
	/* [admin] token / token_file ("" : no token: /admin/ is open to the
	 * allowed_ips) and allowed_ips (config_admin.c). */
	struct ilpd_admin_auth admin_auth;
	struct ilpd_peer_conf peer[ILPD_MAX_PEERS];
	size_t npeers;
	struct ilpd_route_conf route[ILPD_MAX_ROUTES];
	size_t nroutes;
	char default_route[ILPD_PEER_NAME_MAX + 1];   /* "" if none */
};

/* The first error found. msg is "FILE:LINE: message" with FILE as
 * ilpd_conf_name() shows it (control bytes escaped, cut to its last
 * ILPD_CONF_NAME_SHOW bytes behind "..."), so the message itself always
 * fits; line is LINE and msg + text is the message alone, for callers
 * that print the whole file name themselves (ilpd --check-config: see
 * ilpd_conf_escape_byte()). */
struct ilpd_conf_err {
	int line;
	size_t text;
	char msg[ILPD_CONF_ERR_MAX];
};

/* Bytes of an escaped file name kept in messages and in ilpd_conf.source. */
#define ILPD_CONF_NAME_SHOW 200

/* How a file name is shown: byte c as itself, or as "\\" or "\xNN" for a
 * backslash and control bytes (0x00..0x1f, 0x7f), so that a name cannot
 * drive the terminal or a log reader. Writes out[0..n) (n <= 4), returns n. */
size_t ilpd_conf_escape_byte(unsigned char c, char out[4]);

/* name (n bytes) escaped into out (cap bytes, NUL-terminated); when it
 * does not fit, "..." and the tail of the escaped name (the file's own
 * name is at the end). Returns out. */
const char *ilpd_conf_name(const char *name, size_t n, char *out, size_t cap);

/* Loads and validates a file. 0 on success, -1 with err->msg otherwise
 * (then *c is unspecified: load into a spare instance to keep the old one).
 * Reads with open/read and a stack buffer: no heap, no stdio. Only a
 * regular file is read: it is opened O_NONBLOCK and checked with fstat
 * first, so a FIFO, a device or a directory is refused at once ("not a
 * regular file") instead of blocking the caller (a SIGHUP reload runs in
 * the event loop). */
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

/* Parses "http://HOST[:PORT][/PATH]" (port 80 if absent, path "/") into
 * u, tls false: [local] handler_url and the HTTP client. Credentials, '#',
 * blanks and other schemes are refused. 0, or -1 with a static reason. */
int ilpd_http_url_parse(const char *s, struct ilpd_url *u, const char **why);

/* True if a running daemon can keep its TLS configurations under `n`
 * (the [tls] files and [btp] tls are unchanged); a reload that changes
 * them needs a restart. */
bool ilpd_conf_tls_same(const struct ilpd_conf *o, const struct ilpd_conf *n);

/* True if peer a and b connect the same way over TLS (pin, server name). */
bool ilpd_peer_tls_same(const struct ilpd_peer_conf *a, const struct ilpd_peer_conf *b);

/* True if host ends in one of t's onion suffixes (case-insensitive). */
bool ilpd_host_is_onion(const struct ilpd_transport_conf *t, const char *host);

/* True for 127.0.0.0/8, ::1 and "localhost". */
bool ilpd_host_is_loopback(const char *host);

/* True if u is a unix socket (settlement_engine = unix:/PATH): u->host is
 * the socket's absolute path. */
static inline bool ilpd_url_is_unix(const struct ilpd_url *u)
{
	return u->host[0] == '/';
}

/* True if a connection to host goes through the SOCKS5 proxy: type =
 * socks5 and (an onion host, or proxy_scope = all unless the host is
 * loopback and allow_direct_loopback is set). Never falls back. */
bool ilpd_peer_via_proxy(const struct ilpd_transport_conf *t, const char *host);

/* True if [transport] and [netif] are the same (a reload cannot change
 * them: they need a restart). */
bool ilpd_conf_transport_same(const struct ilpd_conf *o, const struct ilpd_conf *n);

/* NULL if a running daemon can keep its durable ledger under `n` (the
 * same durability and state_file), else the reason a reload is refused. */
const char *ilpd_conf_ledger_restart(const struct ilpd_conf *o, const struct ilpd_conf *n);

/* The name of a durability (enum ilpd_durability): "sync", "interval" or
 * "off". */
const char *ilpd_durability_name(unsigned mode);

/* True if the configuration has an outbound wss:// peer. */
bool ilpd_conf_needs_tls_client(const struct ilpd_conf *c);

#endif /* ILPD_CONFIG_FILE_H */
