/*
 * btp_client.c - one BTP link for `ilpctl send` and `ilpctl sink`
 * (btp_client.h).
 *
 * IMPLEMENTATION NOTES
 * - States: IDLE -> CONNECTING -> WANT_AUTH_REPLY -> WANT_ILDCP_REPLY ->
 *   READY -> CLOSED on the client side; LISTENING -> CONNECTING ->
 *   WANT_AUTH -> READY -> LISTENING on the server side. Each frame is
 *   decoded once (btp_frame_decode) and dispatched on (state, type).
 * - Only one WebSocket exists at a time; while a server link has a client
 *   the listener's watcher is idle, so further clients wait in the kernel's
 *   backlog and are served in turn.
 * - Fulfill Responses, the sink's hot path, are a 50-byte template patched
 *   with the request id and fulfillment: no encoder runs per packet.
 * - A reply that does not fit the WebSocket send buffer goes to the spill
 *   queue, drained in order by btpc_poll(); while the spill is not empty,
 *   every new frame goes behind it, so frames never overtake each other.
 * - ilpctl is a POSIX tool: the listener's bound port is read with
 *   getsockname() on the hal_fd, which the POSIX HAL defines as the socket.
 */
#define _POSIX_C_SOURCE 200809L

#include "btp_client.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "hal/hal_crypto.h"
#include "hal/hal_time.h"
#include "ilp/ildcp.h"

#define BTPC_PKT_MAX 1536u
#define BTPC_ILDCP_EXPIRY_MS 30000

static void btpc_ws_open(struct wsconn *c, void *user);
static void btpc_ws_message(struct wsconn *c, uint8_t opcode, uint8_t *data,
			    size_t len, void *user);
static void btpc_ws_close(struct wsconn *c, const char *reason, void *user);

static const struct wsconn_cbs btpc_ws_cbs = {
	.on_open = btpc_ws_open,
	.on_message = btpc_ws_message,
	.on_close = btpc_ws_close,
};

/* ---- URLs --------------------------------------------------------------- */

static int btpc_fail_why(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

static int btpc_copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int btpc_port_parse(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Splits "host[:port]" / "[v6][:port]" in s[0..n). has_port tells whether
 * a port was written. */
static int btpc_authority(const char *s, size_t n, char *host, uint16_t *port,
			  bool *has_port, const char **why)
{
	const char *hend, *colon;

	*has_port = false;
	if (n > 0 && s[0] == '[') {
		hend = memchr(s, ']', n);
		if (hend == NULL)
			return btpc_fail_why(why, "unclosed '[' in host");
		if (btpc_copy(host, BTPC_HOST_MAX + 1, s + 1, (size_t)(hend - s - 1)) != 0)
			return btpc_fail_why(why, "host too long");
		colon = hend + 1 < s + n ? hend + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return btpc_fail_why(why, "junk after ']'");
	} else {
		colon = memchr(s, ':', n);
		hend = colon != NULL ? colon : s + n;
		if (btpc_copy(host, BTPC_HOST_MAX + 1, s, (size_t)(hend - s)) != 0)
			return btpc_fail_why(why, "host too long");
	}
	if (host[0] == '\0')
		return btpc_fail_why(why, "empty host");
	if (colon != NULL) {
		if (btpc_port_parse(colon + 1, (size_t)(s + n - colon - 1), port) != 0)
			return btpc_fail_why(why, "bad port");
		*has_port = true;
	}
	return 0;
}

/* user[:token] before '@', stored without any decoding. */
static int btpc_userinfo(struct btpc_url *u, const char *s, size_t n, const char **why)
{
	const char *colon = memchr(s, ':', n);
	size_t un = colon != NULL ? (size_t)(colon - s) : n;

	if (btpc_copy(u->user, sizeof(u->user), s, un) != 0)
		return btpc_fail_why(why, "user name too long");
	u->has_user = true;
	if (colon != NULL) {
		if (btpc_copy(u->token, sizeof(u->token), colon + 1, n - un - 1) != 0)
			return btpc_fail_why(why, "token too long");
		u->has_token = true;
	}
	return 0;
}

int btpc_url_parse(const char *url, struct btpc_url *u, const char **why)
{
	const char *p = url, *slash, *at;
	bool has_port;
	size_t an;

	memset(u, 0, sizeof(*u));
	if (strncmp(p, "btp+ws://", 9) == 0)
		p += 9;
	else if (strncmp(p, "ws://", 5) == 0)
		p += 5;
	else if (strncmp(p, "wss://", 6) == 0 || strncmp(p, "btp+wss://", 10) == 0) {
		p += p[0] == 'w' ? 6 : 10;
		u->tls = true;
	} else
		return btpc_fail_why(why, "URL must start with ws://, wss://, btp+ws:// or btp+wss://");
#if !defined(ILPD_TLS_BEARSSL) && !defined(ILPD_TLS_MBEDTLS)
	if (u->tls)
		return btpc_fail_why(why, "wss://: this ilpctl was built without TLS");
#endif
	slash = strchr(p, '/');
	an = slash != NULL ? (size_t)(slash - p) : strlen(p);
	at = memchr(p, '@', an);
	if (at != NULL) {
		if (btpc_userinfo(u, p, (size_t)(at - p), why) != 0)
			return -1;
		an -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	u->port = u->tls ? 443 : 80;
	if (btpc_authority(p, an, u->host, &u->port, &has_port, why) != 0)
		return -1;
	if (btpc_copy(u->path, sizeof(u->path), slash != NULL ? slash : "/",
		      slash != NULL ? strlen(slash) : 1) != 0)
		return btpc_fail_why(why, "path too long");
	if (strchr(u->host, ':') != NULL)
		snprintf(u->host_hdr, sizeof(u->host_hdr), has_port ? "[%s]:%u" : "[%s]",
			 u->host, (unsigned)u->port);
	else
		snprintf(u->host_hdr, sizeof(u->host_hdr), has_port ? "%s:%u" : "%s",
			 u->host, (unsigned)u->port);
	return 0;
}

int btpc_hostport_parse(const char *s, char host[BTPC_HOST_MAX + 1],
			uint16_t *port, const char **why)
{
	size_t n = strlen(s);
	const char *colon;

	if (n > 0 && s[0] == '[') {
		bool has_port;

		if (btpc_authority(s, n, host, port, &has_port, why) != 0)
			return -1;
		return has_port ? 0 : btpc_fail_why(why, "missing :PORT");
	}
	colon = strrchr(s, ':');
	if (colon == NULL)
		return btpc_fail_why(why, "missing :PORT");
	if (colon == s || btpc_copy(host, BTPC_HOST_MAX + 1, s, (size_t)(colon - s)) != 0)
		return btpc_fail_why(why, "bad host");
	if (btpc_port_parse(colon + 1, strlen(colon + 1), port) != 0)
		return btpc_fail_why(why, "bad port");
	return 0;
}

/* ---- sending -------------------------------------------------------------- */

static bool btpc_open(const struct btpc *b)
{
	return b->ws_live && b->ws.state == WSC_OPEN;
}

bool btpc_can_send(const struct btpc *b, size_t len)
{
	return btpc_open(b) && b->state == BTPC_READY && b->s_off == b->s_len &&
	       wsconn_tx_free(&b->ws) >= wsconn_tx_need(&b->ws, len);
}

static void btpc_fail(struct btpc *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records the first reason the link failed; later ones are consequences. */
static void btpc_fail(struct btpc *b, const char *fmt, ...)
{
	va_list ap;

	if (b->reason[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(b->reason, sizeof(b->reason), fmt, ap);
	va_end(ap);
}

static int btpc_spill(struct btpc *b, const uint8_t *frame, size_t len)
{
	size_t need = 4 + len;

	if (BTPC_SPILL - b->s_len < need && b->s_off > 0) {
		memmove(b->spill, b->spill + b->s_off, b->s_len - b->s_off);
		b->s_len -= b->s_off;
		b->s_off = 0;
	}
	if (BTPC_SPILL - b->s_len < need) {
		btpc_fail(b, "%s", "send backlog overflow (peer not reading)");
		wsconn_abort(&b->ws, "send backlog overflow");
		return -1;
	}
	b->spill[b->s_len] = (uint8_t)(len >> 24);
	b->spill[b->s_len + 1] = (uint8_t)(len >> 16);
	b->spill[b->s_len + 2] = (uint8_t)(len >> 8);
	b->spill[b->s_len + 3] = (uint8_t)len;
	memcpy(b->spill + b->s_len + 4, frame, len);
	b->s_len += need;
	b->spilled++;
	return 0;
}

int btpc_send(struct btpc *b, const uint8_t *frame, size_t len)
{
	if (!btpc_open(b))
		return -1;
	if (b->s_off == b->s_len &&
	    wsconn_send(&b->ws, WS_OP_BINARY, frame, len) == 0)
		return 0;
	return btpc_spill(b, frame, len);
}

static void btpc_drain(struct btpc *b)
{
	while (b->s_off < b->s_len && btpc_open(b)) {
		const uint8_t *h = b->spill + b->s_off;
		size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 |
			     (size_t)h[2] << 8 | h[3];

		if (wsconn_send(&b->ws, WS_OP_BINARY, h + 4, len) != 0)
			return;
		b->s_off += 4 + len;
	}
	b->s_off = 0;
	b->s_len = 0;
}

static void btpc_error(struct btpc *b, uint32_t id, const char *code,
		       const char *name, const char *msg)
{
	size_t len;

	if (btp_error_encode(id, code, name, hal_wall_ms(), (const uint8_t *)msg,
			     strlen(msg), b->frame, sizeof(b->frame), &len) == ILP_OK)
		(void)btpc_send(b, b->frame, len);
}

/* Wraps an ILP packet in a BTP Message/Response and queues it. */
static int btpc_send_ilp(struct btpc *b, uint8_t type, uint32_t id,
			 const uint8_t *pkt, size_t n)
{
	size_t len;

	if (btp_ilp_encode(type, id, pkt, n, b->frame, sizeof(b->frame), &len) != ILP_OK)
		return -1;
	return btpc_send(b, b->frame, len);
}

int btpc_fulfill(struct btpc *b, uint32_t request_id,
		 const uint8_t fulfillment[ILP_FULFILLMENT_LEN])
{
	uint8_t *f = b->frame;

	memcpy(f, b->ful_tpl, b->ful_len);
	f[b->ful_id_off] = (uint8_t)(request_id >> 24);
	f[b->ful_id_off + 1] = (uint8_t)(request_id >> 16);
	f[b->ful_id_off + 2] = (uint8_t)(request_id >> 8);
	f[b->ful_id_off + 3] = (uint8_t)request_id;
	memcpy(f + b->ful_f_off, fulfillment, ILP_FULFILLMENT_LEN);
	return btpc_send(b, f, b->ful_len);
}

int btpc_reject(struct btpc *b, uint32_t request_id, const char code[ILP_CODE_LEN],
		const char *message)
{
	uint8_t pkt[BTPC_PKT_MAX];
	struct ilp_reject r;
	size_t n;

	memset(&r, 0, sizeof(r));
	r.code = (const uint8_t *)code;
	if (b->have_address) {
		r.triggered_by = (const uint8_t *)b->address;
		r.triggered_by_len = strlen(b->address);
	}
	r.message = (const uint8_t *)message;
	r.message_len = strlen(message);
	if (ilp_reject_encode(&r, pkt, sizeof(pkt), &n) != ILP_OK)
		return -1;
	return btpc_send_ilp(b, BTP_RESPONSE, request_id, pkt, n);
}

/* ---- life cycle ------------------------------------------------------------ */

static void btpc_ready(struct btpc *b)
{
	b->state = BTPC_READY;
	b->deadline = 0;
	if (b->cbs->on_ready != NULL)
		b->cbs->on_ready(b, b->user);
}

static void btpc_build_templates(struct btpc *b)
{
	static const uint8_t zero[ILP_FULFILLMENT_LEN];
	struct ilp_fulfill f = { .fulfillment = zero, .data = NULL, .data_len = 0 };
	uint8_t pkt[64];
	size_t n = 0;

	if (ilp_fulfill_encode(&f, pkt, sizeof(pkt), &n) != ILP_OK ||
	    btp_ilp_encode(BTP_RESPONSE, 0, pkt, n, b->ful_tpl, sizeof(b->ful_tpl),
			   &b->ful_len) != ILP_OK) {
		b->ful_len = 0;   /* cannot happen: fixed sizes */
		return;
	}
	b->ful_id_off = 1;
	/* The ILP packet ends the frame; its fulfillment follows type+length. */
	b->ful_f_off = b->ful_len - n + 2;
}

void btpc_init(struct btpc *b, struct ev_loop *loop, const struct btpc_cfg *cfg,
	       const struct btpc_cbs *cbs, void *user)
{
	memset(b, 0, offsetof(struct btpc, frame));
	b->cfg = *cfg;
	b->cbs = cbs;
	b->user = user;
	b->loop = loop;
	b->listen_fd = HAL_FD_NONE;
	b->listen_io = -1;
	b->state = BTPC_IDLE;
	if (cfg->server && cfg->address != NULL) {
		snprintf(b->address, sizeof(b->address), "%s", cfg->address);
		snprintf(b->asset_code, sizeof(b->asset_code), "XRP");
		b->asset_scale = 9;
		b->have_address = true;
	}
	btpc_build_templates(b);
}

#if defined(ILPD_TLS_BEARSSL) || defined(ILPD_TLS_MBEDTLS)
/* 64 hex digits into pin[32]. 0 or -1. */
static int btpc_pin_parse(const char *hex, uint8_t pin[TLS_PIN_LEN])
{
	size_t i;

	if (strlen(hex) != 2 * TLS_PIN_LEN)
		return -1;
	for (i = 0; i < 2 * TLS_PIN_LEN; i++) {
		char ch = hex[i];
		int d = ch >= '0' && ch <= '9' ? ch - '0' :
			ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		pin[i / 2] = (uint8_t)(i % 2 == 0 ? d << 4 : (pin[i / 2] | d));
	}
	return 0;
}

/* wss://: loads the CA file, starts the engine, puts it under the link. */
static int btpc_tls_start(struct btpc *b, const struct btpc_url *url)
{
	const char *name = b->cfg.tls_server_name != NULL ? b->cfg.tls_server_name : url->host;
	uint8_t pin[TLS_PIN_LEN];
	char err[300];

	if (b->cfg.tls_pin != NULL && btpc_pin_parse(b->cfg.tls_pin, pin) != 0) {
		btpc_fail(b, "%s", "TLS: --pin must be 64 hex digits");
		return -1;
	}
	if (tls_config_client(&b->tls_cfg, b->cfg.tls_ca != NULL ? b->cfg.tls_ca : BTPC_DEFAULT_CA,
			      err, sizeof(err)) != 0) {
		btpc_fail(b, "TLS: %s", err);
		return -1;
	}
	if (tls_conn_start(&b->tls, &b->tls_cfg, TLS_CLIENT, name,
			   b->cfg.tls_pin != NULL ? pin : NULL) != 0) {
		tls_conn_release(&b->tls);
		btpc_fail(b, "%s", "TLS: cannot start the engine");
		return -1;
	}
	(void)wsconn_use_tls(&b->ws, &b->tls);
	return 0;
}
#else
static int btpc_tls_start(struct btpc *b, const struct btpc_url *url)
{
	(void)url;
	btpc_fail(b, "%s", "TLS: this ilpctl was built without TLS");
	return -1;
}
#endif

int btpc_connect(struct btpc *b, const struct btpc_url *url)
{
	char ip[HAL_IP_STR_MAX];

	if (hal_resolve(url->host, ip) != HAL_NET_OK) {
		btpc_fail(b, "cannot resolve host %.200s", url->host);
		return -1;
	}
	if (url->tls && btpc_tls_start(b, url) != 0)
		return -1;
	if (wsconn_connect(&b->ws, b->loop, ip, url->port, url->host_hdr, url->path,
			   &btpc_ws_cbs, b) != 0) {
		btpc_fail(b, "cannot connect to %s", ip);
		return -1;
	}
	b->ws_live = true;
	b->state = BTPC_CONNECTING;
	if (b->cfg.setup_timeout_ms > 0)
		b->deadline = hal_mono_ms() + b->cfg.setup_timeout_ms;
	return 0;
}

static void btpc_accept(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	struct btpc *b = arg;
	hal_fd fd;

	(void)id;
	(void)revents;
	if (b->ws_live || hal_tcp_accept(b->listen_fd, &fd, NULL) != HAL_NET_OK)
		return;
	b->reason[0] = '\0';
	b->s_off = 0;
	b->s_len = 0;
	if (wsconn_accept(&b->ws, loop, fd, &btpc_ws_cbs, b) != 0)
		return;
	b->ws_live = true;
	b->state = BTPC_CONNECTING;
	b->deadline = hal_mono_ms() + BTPC_AUTH_TIMEOUT_MS;
	ev_io_want(loop, b->listen_io, 0);
}

static uint16_t btpc_local_port(hal_fd fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)&ss)->sin6_port);
	return 0;
}

int btpc_listen(struct btpc *b, const char *host, uint16_t port, uint16_t *bound_port)
{
	char ip[HAL_IP_STR_MAX];

	if (hal_resolve(host, ip) != HAL_NET_OK) {
		btpc_fail(b, "cannot resolve host %.200s", host);
		return -1;
	}
	if (hal_tcp_listen(ip, port, 16, &b->listen_fd) != HAL_NET_OK) {
		b->listen_fd = HAL_FD_NONE;
		btpc_fail(b, "cannot listen on %s", ip);
		return -1;
	}
	b->listen_io = ev_io_add(b->loop, b->listen_fd, HAL_POLL_IN, btpc_accept, b);
	if (b->listen_io < 0) {
		hal_close(b->listen_fd);
		b->listen_fd = HAL_FD_NONE;
		btpc_fail(b, "%s", "event loop full");
		return -1;
	}
	*bound_port = btpc_local_port(b->listen_fd);
	b->state = BTPC_LISTENING;
	return 0;
}

void btpc_close(struct btpc *b)
{
	if (b->listen_io >= 0)
		ev_io_del(b->loop, b->listen_io);
	if (b->listen_fd != HAL_FD_NONE)
		hal_close(b->listen_fd);
	b->listen_io = -1;
	b->listen_fd = HAL_FD_NONE;
	if (b->ws_live)
		wsconn_close(&b->ws, WS_CLOSE_NORMAL, "done");
	else
		b->state = BTPC_CLOSED;
}

bool btpc_busy(const struct btpc *b)
{
	return b->ws_live;
}

int btpc_poll(struct btpc *b)
{
	int64_t now = hal_mono_ms(), left;

	if (b->s_off < b->s_len)
		btpc_drain(b);
	if (b->deadline == 0 || !b->ws_live)
		return 1000;
	left = b->deadline - now;
	if (left > 0)
		return left > 1000 ? 1000 : (int)left;
	if (b->state == BTPC_WANT_ILDCP_REPLY) {
		snprintf(b->reason, sizeof(b->reason), "IL-DCP request timed out");
		btpc_ready(b);
		b->reason[0] = '\0';
		return 1000;
	}
	btpc_fail(b, "%s", b->state == BTPC_WANT_AUTH ? "client sent no auth in time"
		  : b->state == BTPC_WANT_AUTH_REPLY ? "no answer to auth"
		  : "timed out connecting");
	wsconn_abort(&b->ws, "timeout");
	return 0;
}

/* ---- incoming frames ---------------------------------------------------------- */

/* Copies BTP/ILP text into dst as printable ASCII ('?' for others). */
static const char *btpc_text(char *dst, size_t cap, const uint8_t *s, size_t n)
{
	size_t i;

	if (n >= cap)
		n = cap - 1;
	for (i = 0; i < n; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	dst[n] = '\0';
	return dst;
}

static void btpc_ws_open(struct wsconn *c, void *user)
{
	struct btpc *b = user;
	const char *tok = b->cfg.token != NULL ? b->cfg.token : "";
	const char *usr = b->cfg.username != NULL ? b->cfg.username : "";
	size_t len;

	(void)c;
	if (b->cfg.server) {
		b->state = BTPC_WANT_AUTH;
		return;
	}
	if (btp_auth_encode(BTPC_ID_AUTH, (const uint8_t *)usr, strlen(usr),
			    (const uint8_t *)tok, strlen(tok), b->frame,
			    sizeof(b->frame), &len) != ILP_OK ||
	    wsconn_send(&b->ws, WS_OP_BINARY, b->frame, len) != 0) {
		btpc_fail(b, "%s", "auth message too large");
		wsconn_abort(&b->ws, "auth");
		return;
	}
	b->state = BTPC_WANT_AUTH_REPLY;
}

static void btpc_ws_close(struct wsconn *c, const char *reason, void *user)
{
	struct btpc *b = user;
	bool failed = b->state != BTPC_READY;
	const char *why;

	if (c->tls_err != TLS_OK)
		btpc_fail(b, "TLS: %s", reason);
	why = b->reason[0] != '\0' ? b->reason : reason;
	b->ws_live = false;
	b->deadline = 0;
	b->s_off = 0;
	b->s_len = 0;
	if (b->cfg.server && b->listen_fd != HAL_FD_NONE) {
		b->state = BTPC_LISTENING;
		ev_io_want(b->loop, b->listen_io, HAL_POLL_IN);
	} else {
		b->state = BTPC_CLOSED;
	}
	if (b->cbs->on_close != NULL)
		b->cbs->on_close(b, why, failed, b->user);
	if (b->cfg.server)
		b->reason[0] = '\0';
}

/* Client: the server answered the auth Message. */
static void btpc_auth_reply(struct btpc *b, const struct btp_frame *f)
{
	uint8_t pkt[BTPC_PKT_MAX];
	char code[4], name[64], data[128];
	size_t n;

	if (f->type == BTP_ERROR) {
		snprintf(b->reason, sizeof(b->reason), "auth refused: %s %s: %s",
			 btpc_text(code, sizeof(code), f->code, BTP_CODE_LEN),
			 btpc_text(name, sizeof(name), f->name, f->name_len),
			 btpc_text(data, sizeof(data), f->data, f->data_len));
		wsconn_close(&b->ws, WS_CLOSE_NORMAL, "auth refused");
		return;
	}
	if (!b->cfg.ildcp) {
		btpc_ready(b);
		return;
	}
	if (ildcp_request_encode(hal_wall_ms() + BTPC_ILDCP_EXPIRY_MS, pkt, sizeof(pkt),
				 &n) != ILP_OK ||
	    btpc_send_ilp(b, BTP_MESSAGE, BTPC_ID_ILDCP, pkt, n) != 0) {
		btpc_fail(b, "%s", "cannot send the IL-DCP request");
		wsconn_abort(&b->ws, "ildcp");
		return;
	}
	b->state = BTPC_WANT_ILDCP_REPLY;
}

/* Client: the IL-DCP answer; READY either way, with or without address. */
static void btpc_ildcp_reply(struct btpc *b, const struct btp_frame *f)
{
	struct ildcp_response r;
	struct ilp_reject rj;
	const uint8_t *ilp;
	const char *why = "no ilp entry";
	char c[4], m[128];
	size_t n;

	if (f->type == BTP_ERROR) {
		snprintf(b->reason, sizeof(b->reason), "IL-DCP failed: BTP error %s",
			 btpc_text(c, sizeof(c), f->code, BTP_CODE_LEN));
	} else if (btp_ilp_find(f, &ilp, &n) &&
		   ilp_packet_type(ilp, n) == ILP_TYPE_REJECT &&
		   ilp_reject_decode(ilp, n, &rj, &why) == ILP_OK) {
		snprintf(b->reason, sizeof(b->reason), "IL-DCP failed: %s %s",
			 btpc_text(c, sizeof(c), rj.code, ILP_CODE_LEN),
			 btpc_text(m, sizeof(m), rj.message, rj.message_len));
	} else if (btp_ilp_find(f, &ilp, &n) &&
		   ildcp_response_decode(ilp, n, &r, &why) == ILP_OK &&
		   r.client_address_len < sizeof(b->address)) {
		memcpy(b->address, r.client_address, r.client_address_len);
		b->address[r.client_address_len] = '\0';
		btpc_text(b->asset_code, sizeof(b->asset_code), r.asset_code,
			  r.asset_code_len);
		b->asset_scale = r.asset_scale;
		b->have_address = true;
	} else {
		snprintf(b->reason, sizeof(b->reason), "IL-DCP failed: %s", why);
	}
	btpc_ready(b);
	b->reason[0] = '\0';
}

/* Server: the first frame must be an auth Message with the right token. */
static void btpc_server_auth(struct btpc *b, const struct btp_frame *f)
{
	struct btp_frame_out o;
	struct btp_auth a;
	const char *why = NULL;
	size_t tl = strlen(b->cfg.token), len;
	bool ok;

	if (btp_auth_parse(f, &a, &why) != ILP_OK) {
		btpc_error(b, f->request_id, "F00", "NotAcceptedError",
			   "Auth packet must have auth and auth_token subprotocols");
		btpc_fail(b, "client refused: %s", why);
		wsconn_close(&b->ws, WS_CLOSE_NORMAL, "auth");
		return;
	}
	ok = a.token_len == tl;
	/* Same work whether or not the length matched. */
	ok = hal_memeq_ct(ok ? a.token : (const uint8_t *)b->cfg.token,
			  b->cfg.token, tl) == 0 && ok;
	if (!ok) {
		btpc_error(b, f->request_id, "F00", "NotAcceptedError", "invalid auth_token");
		btpc_fail(b, "%s", "client refused: invalid auth_token");
		wsconn_close(&b->ws, WS_CLOSE_NORMAL, "auth");
		return;
	}
	memset(&o, 0, sizeof(o));
	o.type = BTP_RESPONSE;
	o.request_id = f->request_id;
	if (btp_frame_encode(&o, b->frame, sizeof(b->frame), &len) != ILP_OK ||
	    btpc_send(b, b->frame, len) != 0)
		return;
	btpc_ready(b);
}

/* Server: answers IL-DCP with address + ".client", XRP scale 9. */
static void btpc_ildcp_serve(struct btpc *b, uint32_t id, const uint8_t *ilp, size_t n)
{
	char client[ILP_ADDRESS_MAX_LEN + 1];
	uint8_t pkt[BTPC_PKT_MAX];
	struct ildcp_response r;
	struct ilp_prepare p;
	const char *why = NULL;
	size_t len;
	int k;

	if (ildcp_request_decode(ilp, n, &p, &why) != ILP_OK) {
		(void)btpc_reject(b, id, "F00", why);
		return;
	}
	k = snprintf(client, sizeof(client), "%s.client", b->address);
	r.client_address = (const uint8_t *)client;
	r.client_address_len = k > 0 ? (size_t)k : 0;
	r.asset_scale = b->asset_scale;
	r.asset_code = (const uint8_t *)b->asset_code;
	r.asset_code_len = strlen(b->asset_code);
	if (ildcp_response_encode(&r, pkt, sizeof(pkt), &len) != ILP_OK) {
		(void)btpc_reject(b, id, "F00", "cannot encode the IL-DCP response");
		return;
	}
	(void)btpc_send_ilp(b, BTP_RESPONSE, id, pkt, len);
}

/* A request from the other side: ILP Prepares go to the tool (or IL-DCP),
 * everything else gets a BTP Error F00. */
static void btpc_request(struct btpc *b, const struct btp_frame *f)
{
	struct ilp_prepare p;
	const uint8_t *ilp;
	const char *why = NULL;
	char msg[160];
	size_t n;

	if (f->type == BTP_TRANSFER) {
		btpc_error(b, f->request_id, "F00", "NotAcceptedError",
			   "ilpctl does not accept BTP transfers");
		return;
	}
	if (!btp_ilp_find(f, &ilp, &n)) {
		btpc_error(b, f->request_id, "F00", "NotAcceptedError",
			   "ilpctl only answers the ilp sub-protocol");
		return;
	}
	if (ilp_packet_type(ilp, n) != ILP_TYPE_PREPARE ||
	    ilp_prepare_decode(ilp, n, &p, &why) != ILP_OK) {
		snprintf(msg, sizeof(msg), "not a valid ILP Prepare: %s",
			 why != NULL ? why : "wrong packet type");
		btpc_error(b, f->request_id, "F00", "NotAcceptedError", msg);
		return;
	}
	if (b->cfg.server && ildcp_is_request(&p)) {
		btpc_ildcp_serve(b, f->request_id, ilp, n);
		return;
	}
	b->cbs->on_prepare(b, f->request_id, &p, b->user);
}

static void btpc_reply(struct btpc *b, const struct btp_frame *f)
{
	const uint8_t *ilp = NULL;
	size_t n = 0;

	if (b->state == BTPC_WANT_AUTH_REPLY && f->request_id == BTPC_ID_AUTH) {
		btpc_auth_reply(b, f);
	} else if (b->state == BTPC_WANT_ILDCP_REPLY && f->request_id == BTPC_ID_ILDCP) {
		btpc_ildcp_reply(b, f);
	} else if (b->state == BTPC_READY && b->cbs->on_reply != NULL) {
		if (f->type == BTP_RESPONSE && !btp_ilp_find(f, &ilp, &n))
			ilp = NULL;
		b->cbs->on_reply(b, f, ilp, n, b->user);
	}
}

static void btpc_ws_message(struct wsconn *c, uint8_t opcode, uint8_t *data,
			    size_t len, void *user)
{
	struct btpc *b = user;
	struct btp_frame f;
	const char *why = NULL;
	int r;

	(void)c;
	if (opcode != WS_OP_BINARY)
		return;   /* BTP is binary only; text carries nothing for us */
	r = btp_frame_decode(data, len, &f, &why);
	if (r == ILP_ERR_UNSUPPORTED && b->state != BTPC_WANT_AUTH) {
		btpc_error(b, f.request_id, "F00", "NotAcceptedError",
			   "unsupported BTP frame type");
		return;
	}
	if (r != ILP_OK) {
		btpc_fail(b, "invalid BTP frame: %s", why != NULL ? why : "?");
		wsconn_close(&b->ws, WS_CLOSE_PROTOCOL, "bad frame");
		return;
	}
	if (b->state == BTPC_WANT_AUTH)
		btpc_server_auth(b, &f);
	else if (f.type == BTP_RESPONSE || f.type == BTP_ERROR)
		btpc_reply(b, &f);
	else
		btpc_request(b, &f);
}

void btpc_close_wait(struct btpc *b, int64_t ms)
{
	int64_t until = hal_mono_ms() + ms;

	btpc_close(b);
	wsconn_flush_all();
	while (btpc_busy(b) && hal_mono_ms() < until) {
		if (ev_run_once(b->loop, 50) == HAL_NET_ERROR)
			break;
		wsconn_flush_all();
	}
}
