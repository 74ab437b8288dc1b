/*
 * wsconn_tls.c - a wsconn under TLS (net/wsconn.h): the socket side of the
 * TLS engine (net/tls.h) for one connection - feeding records in, taking
 * plaintext into rx, pumping tx's released plaintext out as records, and
 * the end of a TLS stream. The rules are in the notes at the top of
 * wsconn.c ("TLS", "End of a TLS stream"); what the two files share is in
 * wsconn_int.h. Without a TLS backend only the stubs at the end are built.
 * Memory: none of its own (the engine is the connection's tls_conn).
 */
#include <string.h>

#include "hal/hal_net.h"
#include "net/tls.h"

#include "wsconn_int.h"

/* ---- TLS layer (see the notes at the top) -------------------------------- */

#if WSC_TLS

/* The connection is about to end under TLS: the plaintext already taken
 * into rx authenticated, so its frames are parsed first, whatever ends
 * the connection (the engine's close, a send failure). Backpressure is off
 * meanwhile (wsc_tls_final); a callback that ends the connection comes
 * back here and is not parsed for again. */
static void wsc_tls_drain(struct wsconn *c)
{
	if (c->tls_draining || c->rx_len == 0 ||
	    (c->state != WSC_OPEN && c->state != WSC_HANDSHAKE))
		return;
	c->tls_draining = true;
	c->rx_paused = false;
	if (c->state == WSC_HANDSHAKE)
		wsc_handshake(c);
	else
		wsc_frames(c);
	c->tls_draining = false;
}

/* Ends the connection after a TLS-path failure, rx parsed first. */
static bool wsc_tls_fail(struct wsconn *c, const char *reason)
{
	wsc_tls_drain(c);
	wsc_finish(c, reason);
	return false;
}

/* The engine closed: a clean close_notify, the end of the socket (after
 * every plaintext byte was parsed), or a failure with its reason. The
 * plaintext already in rx is parsed first (the engine may close while
 * wsc_tls_read still holds it, e.g. once it has answered a close_notify). */
static bool wsc_tls_ended(struct wsconn *c)
{
	enum tls_error e = tls_error(c->tls);

	wsc_tls_drain(c);
	if (c->state == WSC_CLOSED)
		return false;

	/* A truncation while we were closing anyway cuts nothing we wait for. */
	if (e == TLS_ERR_TRUNCATED && (c->tls_closing || c->state == WSC_CLOSING))
		e = TLS_ERR_CLOSED;
	if (e == TLS_ERR_CLOSED || e == TLS_ERR_TRUNCATED) {
		if (c->tls_closing)
			wsc_finish(c, "closed");
		else if (c->tls_eof == WSC_EOF_ERR)
			wsc_finish(c, "receive failed");
		else
			wsc_finish(c, e == TLS_ERR_CLOSED ? "peer closed the connection"
							  : tls_error_str(e));
		return false;
	}
	c->tls_err = (uint8_t)e;
	wsc_finish(c, tls_error_str(e));
	return false;
}

/* The handshake just finished: a client queues its HTTP upgrade. */
static bool wsc_tls_up(struct wsconn *c)
{
	size_t n = 0;

	c->tls_up = true;
	if (c->ws.role != WS_CLIENT || c->state != WSC_HANDSHAKE)
		return true;
	if (ws_client_request(&c->ws, c->host, c->path, c->tx + c->tx_len,
			      sizeof(c->tx) - c->tx_len, &n) != ILP_OK) {
		wsc_finish(c, "handshake request too large");
		return false;
	}
	c->tx_len += n;
	if (wsc_hold)
		wsc_mark(c);   /* the upgrade waits for its release */
	return true;
}

/* Writes pending records, then moves plaintext from tx into the engine,
 * until the socket blocks or nothing is left. False if the connection
 * ended. */
static bool wsc_tls_pump(struct wsconn *c)
{
	struct tls_conn *t = c->tls;

	for (;;) {
		unsigned st = tls_state(t);
		uint8_t *buf;
		size_t len;

		if ((st & TLS_ST_CLOSED) != 0)
			return wsc_tls_ended(c);
		if ((st & TLS_ST_SENDREC) != 0) {
			long n;

			buf = tls_sendrec_buf(t, &len);
			n = hal_tcp_send(c->fd, buf, len);
			if (n == HAL_NET_AGAIN)
				return true;
			if (n < 0)
				return wsc_tls_fail(c, "send failed");
			tls_sendrec_ack(t, (size_t)n);
			c->bytes_out += (uint64_t)n;
			continue;
		}
		if ((st & TLS_ST_SENDAPP) == 0)
			return true;
		if (!c->tls_up && !wsc_tls_up(c))
			return false;
		if (c->tx_off >= wsc_limit(c))
			return true;
		buf = tls_sendapp_buf(t, &len);
		if (len > wsc_limit(c) - c->tx_off)
			len = wsc_limit(c) - c->tx_off;
		memcpy(buf, c->tx + c->tx_off, len);
		tls_sendapp_ack(t, len);
		c->tx_off += len;
		tls_flush(t);
	}
}

/* The engine is CLOSED, or the connection is ending (wsc_tls_drain):
 * nothing more will be sent, so backpressure must not hold back the last
 * frames (the backlog will never drain). */
bool wsc_tls_final(const struct wsconn *c)
{
	return c->tls != NULL &&
	       (c->tls_draining || (tls_state(c->tls) & TLS_ST_CLOSED) != 0);
}

unsigned wsc_tls_want(const struct wsconn *c, unsigned want)
{
	unsigned st = tls_state(c->tls);

	if ((st & TLS_ST_RECVREC) == 0)
		want &= ~(unsigned)HAL_POLL_IN;
	if ((st & TLS_ST_SENDAPP) == 0)
		want &= ~(unsigned)HAL_POLL_OUT;   /* plaintext cannot go in yet */
	if ((st & TLS_ST_SENDREC) != 0)
		want |= HAL_POLL_OUT;
	return want;
}

/* Moves the engine's plaintext into rx while there is room. */
static void wsc_tls_pull(struct wsconn *c)
{
	while (c->rx_len < sizeof(c->rx) && (tls_state(c->tls) & TLS_ST_RECVAPP) != 0) {
		size_t len;
		uint8_t *buf = tls_recvapp_buf(c->tls, &len);

		if (len > sizeof(c->rx) - c->rx_len)
			len = sizeof(c->rx) - c->rx_len;
		memcpy(c->rx + c->rx_len, buf, len);
		tls_recvapp_ack(c->tls, len);
		c->rx_len += len;
	}
}

/* Reads records from the socket into the engine and their plaintext into
 * rx; writes what the engine answers (handshake). False if it ended. */
static bool wsc_tls_read(struct wsconn *c)
{
	int i;

	for (i = 0; i < WSC_TLS_READS_PER_EVENT; i++) {
		unsigned st;
		uint8_t *buf;
		size_t len;
		long n;

		wsc_tls_pull(c);
		st = tls_state(c->tls);
		if ((st & TLS_ST_CLOSED) != 0)
			return true;   /* wsc_tls_input parses what came before */
		if ((st & TLS_ST_SENDREC) != 0 || (!c->tls_up && (st & TLS_ST_SENDAPP) != 0)) {
			if (!wsc_tls_pump(c))
				return false;
			st = tls_state(c->tls);
		}
		if ((st & TLS_ST_RECVREC) == 0)
			break;
		buf = tls_recvrec_buf(c->tls, &len);
		n = hal_tcp_recv(c->fd, buf, len);
		if (n == HAL_NET_AGAIN)
			break;
		if (n == 0 && !c->tls_up) {
			c->tls_err = TLS_ERR_HANDSHAKE;
			wsc_finish(c, "connection closed during the TLS handshake");
			return false;
		}
		if (n < 0 && !c->tls_up) {
			wsc_finish(c, "receive failed");
			return false;
		}
		if (n <= 0) {
			/* The end of the stream. What authenticated before it is
			 * still in rx or in the engine: it is parsed first, and
			 * wsc_tls_input ends the connection once the engine, now
			 * draining, reports CLOSED with nothing left. */
			c->tls_eof = n == 0 ? WSC_EOF_FIN : WSC_EOF_ERR;
			tls_recvrec_eof(c->tls);
			break;
		}
		tls_recvrec_ack(c->tls, (size_t)n);
		c->bytes_in += (uint64_t)n;
	}
	wsc_tls_pull(c);
	return (tls_state(c->tls) & TLS_ST_CLOSED) != 0 || wsc_tls_pump(c);
}

/* Reads and parses until the engine has no plaintext left that fits.
 * After the end of the socket nothing will wake us again, so it goes on
 * until the engine is drained (its plaintext is finite: no bound needed;
 * every round parses a frame or ends). */
void wsc_tls_input(struct wsconn *c)
{
	int guard;

	for (guard = 0; guard < WSC_TLS_READS_PER_EVENT || c->tls_eof != 0; guard++) {
		size_t before;

		if (!wsc_tls_read(c))
			return;
		if (c->state == WSC_CLOSING) {
			c->rx_len = 0;   /* draining after our close */
			if ((tls_state(c->tls) & TLS_ST_RECVAPP) == 0)
				break;
			continue;
		}
		before = c->rx_len;
		if (before > 0 && c->state == WSC_HANDSHAKE)
			wsc_handshake(c);
		else if (before > 0 && c->state == WSC_OPEN)
			wsc_frames(c);
		if (c->state == WSC_CLOSED)
			return;
		if (before == 0 || c->rx_paused || c->rx_len == before ||
		    (tls_state(c->tls) & TLS_ST_RECVAPP) == 0)
			break;
	}
	/* The engine ended after the last records: once their plaintext is
	 * parsed, the connection ends too. */
	if (c->state != WSC_CLOSED &&
	    (tls_state(c->tls) & (TLS_ST_CLOSED | TLS_ST_RECVAPP)) == TLS_ST_CLOSED)
		(void)wsc_tls_ended(c);
}

/* Hands the bytes that followed the proxy's reply (in rx) to the engine as
 * records. A TLS server never speaks first, so the engine fails on them,
 * or takes them; bytes it will not take end the connection. */
bool wsc_tls_feed(struct wsconn *c)
{
	size_t off = 0;

	while (off < c->rx_len && (tls_state(c->tls) & TLS_ST_RECVREC) != 0) {
		size_t len;
		uint8_t *buf = tls_recvrec_buf(c->tls, &len);

		if (len > c->rx_len - off)
			len = c->rx_len - off;
		memcpy(buf, c->rx + off, len);
		tls_recvrec_ack(c->tls, len);
		off += len;
	}
	if (off < c->rx_len && (tls_state(c->tls) & TLS_ST_CLOSED) == 0) {
		c->rx_len = 0;
		c->tls_err = TLS_ERR_PROTOCOL;
		wsc_finish(c, tls_error_str(TLS_ERR_PROTOCOL));
		return false;
	}
	c->rx_len = 0;
	return true;
}

void wsc_tls_flush(struct wsconn *c)
{
	if (!wsc_tls_pump(c))
		return;
	if (c->tx_off == c->tx_len) {
		c->tx_off = 0;
		c->tx_len = 0;
		c->tx_ok = 0;
		c->tx_mark = 0;
		if (c->closing_after_flush && (tls_state(c->tls) & TLS_ST_SENDREC) == 0) {
			if (!c->tls_closing && c->tls_up) {
				c->tls_closing = true;
				tls_close(c->tls);   /* close_notify */
				if (!wsc_tls_pump(c))
					return;
			}
			if ((tls_state(c->tls) & TLS_ST_SENDREC) == 0) {
				wsc_finish(c, "closed");
				return;
			}
		}
	}
	if (c->rx_paused && !c->rx_held && wsc_backlog(c) <= ILPD_WSCONN_TX_HIGH / 2 &&
	    c->state == WSC_OPEN) {
		c->rx_paused = false;
		wsc_frames(c);
		if (c->state == WSC_CLOSED)
			return;
		if (!c->rx_paused)
			wsc_tls_input(c);
		if (c->state == WSC_CLOSED)
			return;
	}
	if (wsc_hold && c->tx_len > c->tx_ok)
		wsc_mark(c);   /* unreleased bytes wait for wsconn_flush_all */
	wsc_want(c);
}

void wsc_tls_io(struct wsconn *c, unsigned revents)
{
	if ((revents & HAL_POLL_OUT) != 0) {
		wsc_flush(c);
		if (c->state == WSC_CLOSED)
			return;
	}
	if ((revents & (HAL_POLL_IN | HAL_POLL_ERR)) != 0 && !c->rx_paused) {
		wsc_tls_input(c);
		if (c->state == WSC_CLOSED)
			return;
	}
	wsc_want(c);
}

#else /* no TLS backend: c->tls is always NULL, none of this runs */

bool wsc_tls_feed(struct wsconn *c)
{
	wsc_finish(c, "no TLS in this build");
	return false;
}

void wsc_tls_input(struct wsconn *c)
{
	wsc_finish(c, "no TLS in this build");
}

unsigned wsc_tls_want(const struct wsconn *c, unsigned want)
{
	(void)c;
	return want;
}

bool wsc_tls_final(const struct wsconn *c)
{
	(void)c;
	return false;
}

void wsc_tls_flush(struct wsconn *c)
{
	wsc_finish(c, "no TLS in this build");
}

void wsc_tls_io(struct wsconn *c, unsigned revents)
{
	(void)revents;
	wsc_finish(c, "no TLS in this build");
}

#endif
