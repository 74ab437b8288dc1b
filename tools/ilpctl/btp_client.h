/*
 * btp_client.h - one BTP link for ilpctl's load tools: a WebSocket client
 * that authenticates as a child and asks IL-DCP for its address, or (sink
 * --listen) a one-client-at-a-time BTP server that checks the token and
 * answers IL-DCP itself. It answers every request the tool does not handle
 * (non-ILP Messages, Transfers, unknown frame types) with a BTP Error F00,
 * so no request is ever left unanswered.
 *
 * Life cycle (client): btpc_connect() -> TCP + WebSocket -> auth Message ->
 * Response (Error: the link fails with the server's reason) -> IL-DCP
 * request (if asked for) -> READY (cbs->on_ready). Server: btpc_listen() ->
 * accept one connection -> WebSocket -> auth Message within
 * BTPC_AUTH_TIMEOUT_MS -> READY; when that client goes, the next is
 * accepted.
 *
 * Sending: btpc_send() queues a whole BTP frame on the WebSocket (batched:
 * the caller's loop calls wsconn_flush_all() after every ev_run_once(), then
 * btpc_poll()). Replies that find the send buffer full wait in a spill queue
 * (BTPC_SPILL bytes) drained by btpc_poll(); a link whose spill overflows is
 * aborted. btpc_can_send() tells a generator whether a new request fits now.
 *
 * TLS (client only): a wss:// (btp+wss://) URL runs the link over TLS
 * (net/tls.h): the server is checked against the CA file cfg.tls_ca
 * (default BTPC_DEFAULT_CA) and the name cfg.tls_server_name (default: the
 * URL host), or only against the SPKI pin cfg.tls_pin (64 hex digits). A
 * TLS failure ends the link with the reason "TLS: <engine's reason>".
 *
 * Memory: struct btpc embeds its struct wsconn (~230 KiB with the host
 * board's buffers) and the spill queue, and with TLS built in one struct
 * tls_config and one struct tls_conn; keep it static. No heap.
 */
#ifndef ILPCTL_BTP_CLIENT_H
#define ILPCTL_BTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_net.h"
#include "ilp/btp.h"
#include "ilp/ilp_packet.h"
#include "net/ev.h"
#include "net/wsconn.h"

#define BTPC_HOST_MAX 255
#define BTPC_PATH_MAX 255
#define BTPC_SECRET_MAX 255
#define BTPC_SPILL (1024u * 1024u)
#define BTPC_AUTH_TIMEOUT_MS 5000
/* Request ids the link uses for itself; a tool's own ids must avoid them. */
#define BTPC_ID_AUTH 1u
#define BTPC_ID_ILDCP 2u
/* Largest frame btpc builds itself (a Reject with a message, an IL-DCP
 * response, a BTP Error). */
#define BTPC_FRAME_MAX 2048u

#define BTPC_DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"

/* A parsed ws[s]://[user[:token]@]host[:port][/path] (btp+ws[s]://
 * accepted). */
struct btpc_url {
	bool tls;                           /* wss:// */
	char host[BTPC_HOST_MAX + 1];       /* without IPv6 brackets */
	char host_hdr[BTPC_HOST_MAX + 8];   /* Host header: host[:port] */
	char path[BTPC_PATH_MAX + 1];       /* "/" if absent */
	uint16_t port;                      /* 80 (wss: 443) if absent */
	bool has_user, has_token;
	char user[BTPC_SECRET_MAX + 1];
	char token[BTPC_SECRET_MAX + 1];    /* never printed */
};

/* Parses url into *u. 0, or -1 with a static reason in *why. */
int btpc_url_parse(const char *url, struct btpc_url *u, const char **why);

/* Parses HOST:PORT or [V6]:PORT; host is resolved later. 0 or -1. */
int btpc_hostport_parse(const char *s, char host[BTPC_HOST_MAX + 1],
			uint16_t *port, const char **why);

enum btpc_state {
	BTPC_IDLE = 0,
	BTPC_LISTENING,          /* server: waiting for a client */
	BTPC_CONNECTING,         /* TCP connect and WebSocket handshake */
	BTPC_WANT_AUTH,          /* server: waiting for the auth Message */
	BTPC_WANT_AUTH_REPLY,    /* client: auth sent */
	BTPC_WANT_ILDCP_REPLY,   /* client: IL-DCP request sent */
	BTPC_READY,
	BTPC_CLOSED              /* client: the link is over */
};

struct btpc;

struct btpc_cbs {
	/* Authenticated (client: and IL-DCP answered, or not asked for). */
	void (*on_ready)(struct btpc *b, void *user);
	/* A Response or Error to a request id of the tool's own. `ilp` is the
	 * Response's `ilp` entry (NULL if none or an Error). Valid only during
	 * the call. */
	void (*on_reply)(struct btpc *b, const struct btp_frame *f,
			 const uint8_t *ilp, size_t ilp_len, void *user);
	/* An ILP Prepare (not IL-DCP on a server). The tool must answer with
	 * btpc_fulfill() or btpc_reject(), in the call. */
	void (*on_prepare)(struct btpc *b, uint32_t request_id,
			   const struct ilp_prepare *p, void *user);
	/* Client: the link ended (`failed`: before READY). Server: a client
	 * left; the link listens again. `reason` is a static or link-owned
	 * string. */
	void (*on_close)(struct btpc *b, const char *reason, bool failed, void *user);
};

struct btpc_cfg {
	bool server;
	const char *token;            /* client: sent; server: required */
	const char *username;         /* client: auth_username ("" if NULL) */
	bool ildcp;                   /* client: ask for the address */
	const char *address;          /* server: own address; client gets
					 address + ".client" */
	int64_t setup_timeout_ms;     /* client: connect..READY */
	const char *tls_ca;           /* wss: CA file (NULL: BTPC_DEFAULT_CA) */
	const char *tls_pin;          /* wss: 64 hex digits, or NULL */
	const char *tls_server_name;  /* wss: NULL: the URL host */
};

struct btpc {
	uint8_t state;                /* enum btpc_state */
	struct btpc_cfg cfg;
	const struct btpc_cbs *cbs;
	void *user;
	struct ev_loop *loop;
	int64_t deadline;             /* hal_mono_ms(); 0: none */
	hal_fd listen_fd;
	int listen_io;
	bool ws_live;                 /* ws between connect/accept and on_close */
	char reason[256];             /* why the link failed */
	/* Learned by IL-DCP (client) or own (server). */
	char address[ILP_ADDRESS_MAX_LEN + 1];
	char asset_code[32];
	uint8_t asset_scale;
	bool have_address;
	/* Fulfill Response template: patched with id and fulfillment. */
	uint8_t ful_tpl[64];
	size_t ful_len, ful_id_off, ful_f_off;
	/* Spill queue: [u32 len][frame] records in spill[s_off..s_len). */
	size_t s_off, s_len;
	uint64_t spilled;
	uint8_t frame[BTPC_FRAME_MAX];
	uint8_t spill[BTPC_SPILL];
	struct wsconn ws;
#if defined(ILPD_TLS_BEARSSL) || defined(ILPD_TLS_MBEDTLS)
	struct tls_config tls_cfg;
	struct tls_conn tls;
#endif
};

void btpc_init(struct btpc *b, struct ev_loop *loop, const struct btpc_cfg *cfg,
	       const struct btpc_cbs *cbs, void *user);

/* Client: connects to url's host (resolved now, blocking). 0, or -1 with
 * b->reason set (no on_close). */
int btpc_connect(struct btpc *b, const struct btpc_url *url);

/* Server: listens on host:port (numeric or resolved); *bound_port receives
 * the actual port (for port 0). 0, or -1 with b->reason. */
int btpc_listen(struct btpc *b, const char *host, uint16_t port, uint16_t *bound_port);

/* Call after wsconn_flush_all() in each loop iteration: drains the spill
 * queue and enforces deadlines. Returns the ms until the next deadline
 * (capped at 1000), for ev_run_once. */
int btpc_poll(struct btpc *b);

/* True if a frame of `len` bytes can be queued now without spilling. */
bool btpc_can_send(const struct btpc *b, size_t len);

/* Queues one BTP frame (spilled if the send buffer is full). 0, or -1 if
 * the link is not open (or the spill overflowed; the link is aborted). */
int btpc_send(struct btpc *b, const uint8_t *frame, size_t len);

/* Answers an ILP Prepare. */
int btpc_fulfill(struct btpc *b, uint32_t request_id,
		 const uint8_t fulfillment[ILP_FULFILLMENT_LEN]);
int btpc_reject(struct btpc *b, uint32_t request_id, const char code[ILP_CODE_LEN],
		const char *message);

/* Starts a clean close (WebSocket close frame) and stops listening. */
void btpc_close(struct btpc *b);

/* True while a WebSocket exists (open or closing). */
bool btpc_busy(const struct btpc *b);

/* Closes the link and runs the event loop until the close has gone out or
 * `ms` milliseconds have passed. */
void btpc_close_wait(struct btpc *b, int64_t ms);

#endif /* ILPCTL_BTP_CLIENT_H */
