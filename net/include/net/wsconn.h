/*
 * wsconn.h - one WebSocket connection over non-blocking TCP: the socket,
 * its receive and send buffers, the RFC 6455 engine and the handshake,
 * driven by the event loop. Used by the daemon's peer links and by ilpctl.
 *
 * Memory: struct wsconn is ILPD_CONN_RXBUF + ILPD_CONN_TXBUF +
 * ILPD_WS_MAX_MESSAGE (fragment reassembly) + ~200 bytes; callers keep them
 * in a static pool. No heap.
 *
 * Sending is batched: wsconn_send() appends a frame to the send buffer and
 * marks the connection; wsconn_flush_all(), called once per event-loop
 * iteration (after ev_run_once), writes every marked connection with one
 * send(2) each. Received frames are parsed straight out of the receive
 * buffer; a message handed to on_message() stays valid only during the
 * callback.
 *
 * Holding output (the daemon's durable ledger, sync mode): while
 * wsconn_hold_output(true) is in force, a byte queued in tx is not written
 * until the next wsconn_flush_all() releases it: every path that would
 * write (a full flush list, the writable callback, the TLS engine pumped
 * on a read, the client's upgrade request, close frames) writes only bytes
 * released by an earlier wsconn_flush_all(), and otherwise only marks the
 * connection. So the caller can make an iteration's effects durable
 * between ev_run_once() and wsconn_flush_all() before anything they caused
 * leaves the process. Bytes queued while wsconn_flush_all() runs (by
 * callbacks it triggers: a receive that resumes after backpressure, the
 * last frames of a TLS stream that ends) wait for the next one. TLS
 * records the engine already holds (handshake messages, or plaintext
 * released earlier) may still be written at any time: they carry nothing
 * that was not released. The hold needs every held connection in the
 * flush list: a process may hold at most ILPD_MAX_CONNS + 8 connections.
 *
 * Two-stage release (the sync mode's pipelined group commit): instead of
 * wsconn_flush_all(), wsconn_mark_output() notes, for every connection,
 * the end of what is queued now (when the ledger group is written), and
 * wsconn_release_marked() (when that group's sync is done) releases and
 * writes exactly up to that note; bytes queued after the mark stay held
 * for a later release.
 *
 * Backpressure: while more than ILPD_WSCONN_TX_HIGH bytes wait in the send
 * buffer, received frames are not parsed and the socket is not read; both
 * resume once the backlog drains below half of that. A peer that sends
 * requests but does not read its answers is thus slowed down instead of
 * having answers dropped.
 *
 * Gate (flow control across connections): if the owner sets rx_gate, it is
 * asked before each received frame is parsed; false leaves that frame and
 * everything after it in rx (and in the socket: TCP's window then pushes
 * back on the sender), sets rx_held, and stops reading until the owner
 * calls wsconn_resume(). The daemon uses it to hold a source while the
 * next hop's send buffer drains (firmware/daemon.c). rx_gate belongs to
 * the slot: connect/accept keep it.
 *
 * Life cycle: CONNECTING (client TCP connect) -> HANDSHAKE -> OPEN ->
 * CLOSING (close frame sent, draining) -> CLOSED. A connection in CLOSING
 * is aborted after ILPD_WSCONN_CLOSE_TIMEOUT_MS if the peer never lets its
 * send buffer drain. on_close() is called exactly once, after which the
 * slot may be reused (wsconn_connect/accept).
 *
 * TLS (wss://): wsconn_use_tls() before wsconn_connect/accept puts a started
 * struct tls_conn (net/tls.h) between the socket and the WebSocket engine.
 * Socket bytes go into the TLS engine; its plaintext is copied once into rx
 * and parsed there as on a plain connection. Frames are still built in tx
 * and moved into the engine as the socket takes its records (written before
 * anything is read, BearSSL's run_until order). A client sends its HTTP
 * upgrade only once the TLS handshake is done. A TLS failure ends the
 * connection with the engine's reason (tls_error_str()) as on_close's
 * `reason`, and wsconn.tls_err says which enum tls_error it was (TLS_OK for
 * every other end). Backpressure and the close deadline work as without TLS
 * (the backlog is the plaintext not yet taken by the engine). Without TLS
 * nothing of this runs: one pointer test per I/O event.
 *
 * End of a TLS stream: when the socket ends (the peer's FIN, or a receive
 * error) every message that authenticated before it still reaches
 * on_message, in order, before on_close: the plaintext already decrypted
 * and the whole records still inside the engine are parsed first
 * (tls_recvrec_eof). on_close's reason then says how it ended: "peer
 * closed the connection" after the peer's close_notify, "peer closed the
 * connection without close_notify (truncated)" (tls_error_str of
 * TLS_ERR_TRUNCATED) without one, "receive failed" after an error. Only a
 * partial last record or frame is lost: its bytes never authenticated or
 * never completed. A truncation is not a TLS failure: tls_err stays TLS_OK
 * (the data before it was genuine). While the engine still holds
 * plaintext the connection can send; once it is CLOSED the send backlog
 * can no longer drain, so the last frames are parsed regardless of it.
 *
 * SOCKS5 (TCP -> SOCKS5 -> (TLS) -> WS): wsconn_use_socks() before
 * wsconn_connect puts a started SOCKS5 engine (net/socks5.h) first on the
 * socket. The connect goes to the proxy; state WSC_SOCKS (between
 * CONNECTING and HANDSHAKE) runs the engine's exchange straight from its
 * own buffer and reads the proxy's replies into rx; once the engine says
 * SOCKS5_DONE the bytes after the reply stay in rx (or go into TLS), and
 * the connection goes on exactly as after a direct TCP connect. A timer
 * bounds TCP connect + exchange. A failure there ends the connection with
 * socks5_error_str() as on_close's `reason` and wsconn.socks_err says which
 * enum socks5_error (SOCKS5_OK for every other end). Memory: ~24 bytes more
 * per wsconn; the engine is the caller's.
 */
#ifndef NET_WSCONN_H
#define NET_WSCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_net.h"
#include "net/ev.h"
#include "net/net_opts.h"
#include "net/socks5.h"
#include "net/tls.h"
#include "net/ws.h"

enum wsconn_state {
	WSC_IDLE = 0,
	WSC_CONNECTING,
	WSC_SOCKS,        /* client: SOCKS5 exchange with the proxy */
	WSC_HANDSHAKE,
	WSC_OPEN,
	WSC_CLOSING,
	WSC_CLOSED
};

struct wsconn;

struct wsconn_cbs {
	/* The handshake finished: messages may flow. */
	void (*on_open)(struct wsconn *c, void *user);
	/* One binary or text message. */
	void (*on_message)(struct wsconn *c, uint8_t opcode, uint8_t *data,
			   size_t len, void *user);
	/* The connection is gone; `reason` is a static string for logs. */
	void (*on_close)(struct wsconn *c, const char *reason, void *user);
};

struct wsconn {
	uint8_t state;              /* enum wsconn_state */
	bool dirty;                 /* queued in the flush list */
	bool closing_after_flush;   /* close the socket once tx is empty */
	bool rx_paused;             /* backpressure: not reading (see above) */
	bool rx_held;               /* paused by rx_gate until wsconn_resume */
	bool tls_up;                /* TLS: handshake done (plaintext flows) */
	bool tls_closing;           /* TLS: close_notify queued */
	uint8_t tls_err;            /* enum tls_error that ended it, or TLS_OK */
	struct tls_conn *tls;       /* NULL: plain TCP (see above) */
	uint8_t socks_err;          /* enum socks5_error that ended it, or SOCKS5_OK */
	uint8_t tls_eof;            /* TLS: the socket ended (WSC_EOF_* in .c) */
	bool tls_draining;          /* TLS: parsing rx before the end */
	int socks_timer;            /* SOCKS: connect + exchange deadline, or -1 */
	int64_t socks_ms;           /* SOCKS: that deadline's duration */
	struct socks5 *socks;       /* NULL: direct (see above); not owned */
	int close_timer;            /* deadline for CLOSING, or -1 */
	hal_fd fd;
	int io;                     /* event loop watcher id */
	struct ev_loop *loop;
	const struct wsconn_cbs *cbs;
	void *user;
	/* Optional gate before each received frame (see "Gate" above). */
	bool (*rx_gate)(struct wsconn *c, void *user);
	struct ws_conn ws;
	char host[ILPD_WSCONN_HOST_MAX + 1];  /* client: Host header */
	char path[ILPD_WSCONN_PATH_MAX + 1];  /* client: request path; server: received */
	size_t rx_len;
	size_t tx_off;              /* first unsent byte */
	size_t tx_len;              /* end of queued bytes */
	size_t tx_ok;               /* hold: end of the bytes released for sending */
	size_t tx_mark;             /* hold: end of the bytes wsconn_release_marked releases */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint8_t rx[ILPD_CONN_RXBUF];
	uint8_t tx[ILPD_CONN_TXBUF];
	uint8_t frag[ILPD_WS_MAX_MESSAGE];
};

/* Starts a client connection to ip:port (numeric) with the given Host header
 * value and path. 0, or -1 if the connect could not even start (on_close is
 * then NOT called). */
int wsconn_connect(struct wsconn *c, struct ev_loop *loop, const char *ip,
		   uint16_t port, const char *host, const char *path,
		   const struct wsconn_cbs *cbs, void *user);

/* Puts TLS under the next wsconn_connect() or wsconn_accept() on c: t
 * must have been started with tls_conn_start() (client role for connect,
 * server for accept). The wsconn owns t from here until the connection
 * ends (on_close, or a failed connect/accept), then calls
 * tls_conn_release(t); t may then be started again. 0, or -1 if this
 * build has no TLS (ILPD_TLS=none; t is left alone). */
int wsconn_use_tls(struct wsconn *c, struct tls_conn *t);

/* Puts a started SOCKS5 engine under the next wsconn_connect() on c: the
 * connect then goes to the PROXY's numeric ip:port (wsconn_connect's ip and
 * port; its host and path are still the WebSocket's Host header and path),
 * the engine's exchange runs first, and only after SOCKS5_DONE does TLS (if
 * any, wsconn_use_tls) start and the HTTP upgrade go out, exactly as after a
 * direct TCP connect. deadline_ms (> 0) bounds TCP connect + SOCKS exchange
 * from wsconn_connect on. On timeout or a SOCKS failure the connection ends
 * via on_close with reason = socks5_error_str(c->socks_err) ("proxy connect
 * timed out", "proxy refused the connection", "proxy closed the
 * connection", or the proxy's answer such as "onion service not found (not
 * published or offline)"). The wsconn does not own s: the caller keeps it
 * (one per link); the wsconn forgets it when the connection ends or the
 * connect fails. 0, or -1 (s not started, or deadline_ms <= 0). */
int wsconn_use_socks(struct wsconn *c, struct socks5 *s, int64_t deadline_ms);

/* Takes over an accepted socket as the server side. 0 or -1 (fd closed). */
int wsconn_accept(struct wsconn *c, struct ev_loop *loop, hal_fd fd,
		  const struct wsconn_cbs *cbs, void *user);

/* Queues one message (WS_OP_BINARY / WS_OP_TEXT / WS_OP_PING). 0, or -1 if
 * the connection is not open or the send buffer lacks room (nothing
 * queued). */
int wsconn_send(struct wsconn *c, uint8_t opcode, const uint8_t *data, size_t len);

/* Bytes a message of len would need / bytes free in the send buffer. */
size_t wsconn_tx_need(const struct wsconn *c, size_t len);
size_t wsconn_tx_free(const struct wsconn *c);

/* Starts a clean close (close frame, then the socket once flushed); on_close
 * follows. Safe to call in any state; a no-op once closed. */
void wsconn_close(struct wsconn *c, uint16_t code, const char *reason);

/* Closes the socket at once (no close frame); on_close follows. */
void wsconn_abort(struct wsconn *c, const char *reason);

/* Writes every connection with queued bytes. Call after each ev_run_once.
 * While output is held, this is what releases it: every byte queued
 * before the call may go (see "Holding output" above). */
void wsconn_flush_all(void);

/* Reads again after rx_gate said no (a no-op unless rx_held); the gate is
 * asked again before the next frame. */
void wsconn_resume(struct wsconn *c);

/* Holds (true) or stops holding (false) output for every connection of
 * the process; see "Holding output" above. Off at start. */
void wsconn_hold_output(bool on);

/* Marks the end of every connection's queued bytes (see "Two-stage
 * release" above); a later mark replaces an earlier one. */
void wsconn_mark_output(void);

/* Releases and writes the bytes queued up to the last wsconn_mark_output();
 * later ones wait. Without a hold: wsconn_flush_all(). */
void wsconn_release_marked(void);

/* True if some connection has bytes waiting for wsconn_flush_all() (while
 * output is held: bytes not yet released). */
bool wsconn_output_waiting(void);

#endif /* NET_WSCONN_H */
