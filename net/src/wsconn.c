/*
 * wsconn.c - WebSocket over non-blocking TCP (see wsconn.h).
 *
 * IMPLEMENTATION NOTES
 * - Receive: each readable event reads into the free tail of rx (up to a few
 *   times while the buffer keeps filling), then parses every complete frame
 *   in place with ws_read() and moves the unparsed rest to the front. A
 *   callback may close the connection; parsing stops as soon as the state
 *   is no longer OPEN.
 * - Send: frames are appended to tx; the connection is put on a process-wide
 *   flush list (fixed array) and written by wsconn_flush_all() once per loop
 *   iteration, so a batch of forwarded packets costs one send(2) per peer.
 *   Leftover bytes switch the watcher to HAL_POLL_OUT.
 * - Holding output (wsconn_hold_output): tx_ok is the end of the bytes
 *   released by the last wsconn_flush_all(); while held, every write
 *   (wsc_flush, wsc_tls_pump's plaintext) stops there and a connection
 *   with bytes past it stays in the flush list. wsconn_flush_all() first
 *   releases every listed connection (tx_ok = tx_len), then writes them:
 *   frames that callbacks queue during the writes lie past tx_ok and
 *   wait, and connections marked during it are kept in the list for the
 *   next call. Without a hold tx_ok is ignored (the limit is tx_len).
 * - Two-stage release (the pipelined group commit): wsconn_mark_output()
 *   sets tx_mark = tx_len on every listed connection (the end of what was
 *   queued when the ledger group was written); wsconn_release_marked()
 *   (when that group's sync is done) raises tx_ok to tx_mark and writes
 *   like wsconn_flush_all(), so bytes queued after the mark stay held and
 *   their connections stay listed. tx_ok <= tx_mark <= tx_len is kept
 *   through compaction (wsc_room shifts all three) and an emptied buffer
 *   (all three 0); a full release (wsconn_flush_all) leaves tx_mark behind
 *   tx_ok, which means "nothing marked".
 * - Masking keys (client side) come from a 4 KiB pool of getrandom()
 *   bytes, refilled when used up: strong keys without a syscall per frame.
 * - The flush list and the key pool are the module's only state; one event
 *   loop per process uses them.
 * - TLS (c->tls != NULL; compiled only when a backend is; the code is in
 *   wsconn_tls.c, the two files share wsconn_int.h): every socket
 *   write goes through wsc_tls_pump(), which repeats "write pending records,
 *   else move plaintext from tx into the engine and flush it" until the
 *   socket would block or nothing is left (BearSSL's run_until order: write
 *   first). Reads (wsc_tls_read) move socket bytes into the engine and its
 *   plaintext into rx - the one copy - then the unchanged handshake and
 *   frame parsers run on rx. Plaintext the engine still holds when rx is
 *   full is pulled after parsing made room (wsc_tls_input loops). The
 *   watcher wants OUT only when records wait or plaintext can be taken, and
 *   IN only when the engine takes records, so a handshake that waits on the
 *   other direction never spins. The engine's first SENDAPP marks the
 *   handshake done; a client then queues its HTTP upgrade. The engine is
 *   released (tls_conn_release) in wsc_finish, before on_close.
 * - End of a TLS stream: recv() == 0 (or an error) once the handshake is
 *   done is not the end of the connection but of the input. The engine is
 *   told (tls_recvrec_eof; it then stops asking for records, so the
 *   watcher drops IN), and the read returns normally: plaintext already
 *   in rx, and what the engine still holds, is parsed like any other
 *   (wsc_tls_input loops until the engine is drained, past its usual
 *   per-event bound since no event would come back). The engine reports
 *   CLOSED only once its plaintext is all taken; the last check of
 *   wsc_tls_input then ends the connection with the reason of the end
 *   (wsc_tls_ended). Every TLS-path end (the engine's close, found by
 *   wsc_tls_pump even in the middle of wsc_tls_read, or a send failure)
 *   first parses the plaintext already in rx (wsc_tls_drain). A CLOSED or
 *   ending engine sends nothing more, so wsc_frames ignores backpressure
 *   then (wsc_tls_final) instead of waiting for a backlog that cannot
 *   drain. Before this, the end of the socket finished
 *   the connection at once and lost every message decrypted in the same
 *   read (issue 10: Fulfills written together with the peer's FIN).
 * - SOCKS5 (c->socks != NULL, client only): after the TCP connect the state
 *   is WSC_SOCKS; wsc_socks_io sends the engine's output straight from its
 *   buffer (tx stays empty) and reads the proxy into rx (empty until then),
 *   feeding the engine. On SOCKS5_DONE the unconsumed tail of that read is
 *   moved to the front of rx: without TLS the handshake parser sees it; with
 *   TLS it is fed to the engine as records (wsc_tls_feed). Then the timer
 *   is dropped, c->socks forgotten, and wsc_stream_start does what a direct
 *   connect does. Failures set c->socks_err and end with its string.
 */
#include "net/wsconn.h"

#include <string.h>

#include "hal/hal_rng.h"

#include "wsconn_int.h"

#define WSC_MAX_DIRTY (ILPD_MAX_CONNS + 8)
/* The flush list: each connection at most once before a flush plus once
 * re-marked during it (and stale entries of connections that ended). */
#define WSC_DIRTY_SLOTS (2 * WSC_MAX_DIRTY)

static struct wsconn *wsc_dirty[WSC_DIRTY_SLOTS];
static size_t wsc_ndirty;
bool wsc_hold;              /* wsconn_hold_output (wsconn_int.h) */
static bool wsc_flushing;   /* inside wsconn_flush_all */

static uint8_t wsc_pool[4096];
static size_t wsc_pool_used = sizeof(wsc_pool);

/* ws_random_fn for masking keys and client nonces. */
static int wsc_random(void *buf, size_t n)
{
	uint8_t *out = buf;

	while (n > 0) {
		size_t k;

		if (wsc_pool_used == sizeof(wsc_pool)) {
			if (hal_random(wsc_pool, sizeof(wsc_pool)) != 0)
				return -1;
			wsc_pool_used = 0;
		}
		k = sizeof(wsc_pool) - wsc_pool_used;
		if (k > n)
			k = n;
		memcpy(out, wsc_pool + wsc_pool_used, k);
		wsc_pool_used += k;
		out += k;
		n -= k;
	}
	return 0;
}

static void wsc_io(struct ev_loop *loop, int id, unsigned revents, void *arg);

static void wsc_reset(struct wsconn *c, struct ev_loop *loop,
		      const struct wsconn_cbs *cbs, void *user)
{
	c->loop = loop;
	c->cbs = cbs;
	c->user = user;
	c->dirty = false;
	c->closing_after_flush = false;
	c->rx_paused = false;
	c->rx_held = false;
	c->tls_up = false;
	c->tls_closing = false;
	c->tls_eof = 0;
	c->tls_draining = false;
	c->tls_err = TLS_OK;
	c->socks_err = SOCKS5_OK;
	c->socks_timer = -1;
	c->close_timer = -1;
	c->rx_len = 0;
	c->tx_off = 0;
	c->tx_len = 0;
	c->tx_ok = 0;
	c->tx_mark = 0;
	c->bytes_in = 0;
	c->bytes_out = 0;
	c->io = -1;
	c->fd = HAL_FD_NONE;
}

/* Gives the TLS engine back (it may be started again). */
static void wsc_drop_tls(struct wsconn *c)
{
#if WSC_TLS
	if (c->tls != NULL)
		tls_conn_release(c->tls);
#endif
	c->tls = NULL;
}

int wsconn_use_tls(struct wsconn *c, struct tls_conn *t)
{
#if WSC_TLS
	c->tls = t;
	return 0;
#else
	(void)c;
	(void)t;
	return -1;
#endif
}

/* Forgets the SOCKS5 engine (the caller's) and its deadline. */
static void wsc_drop_socks(struct wsconn *c)
{
	if (c->socks_timer >= 0)
		ev_timer_del(c->loop, c->socks_timer);
	c->socks_timer = -1;
	c->socks = NULL;
}

int wsconn_use_socks(struct wsconn *c, struct socks5 *s, int64_t deadline_ms)
{
	const uint8_t *p;

	if (s == NULL || deadline_ms <= 0 || socks5_output(s, &p) == 0)
		return -1;
	c->socks = s;
	c->socks_ms = deadline_ms;
	return 0;
}

/* Ends the connection: closes the socket and reports once. */
void wsc_finish(struct wsconn *c, const char *reason)
{
	if (c->state == WSC_IDLE || c->state == WSC_CLOSED)
		return;
	if (c->io >= 0)
		ev_io_del(c->loop, c->io);
	if (c->close_timer >= 0)
		ev_timer_del(c->loop, c->close_timer);
	c->close_timer = -1;
	if (c->fd != HAL_FD_NONE)
		hal_close(c->fd);
	c->io = -1;
	c->fd = HAL_FD_NONE;
	c->dirty = false;
	c->state = WSC_CLOSED;
	wsc_drop_tls(c);
	wsc_drop_socks(c);
	if (c->cbs->on_close != NULL)
		c->cbs->on_close(c, reason, c->user);
}

void wsconn_abort(struct wsconn *c, const char *reason)
{
	wsc_finish(c, reason);
}

/* End of the bytes that may be written now. */
size_t wsc_limit(const struct wsconn *c)
{
	return wsc_hold ? c->tx_ok : c->tx_len;
}

/* Drops stale and repeated entries from the flush list (not during a
 * flush: the list is being walked). */
static void wsc_compact(void)
{
	size_t i, k = 0;

	for (i = 0; i < wsc_ndirty; i++) {
		struct wsconn *c = wsc_dirty[i];

		if (c->dirty) {
			c->dirty = false;   /* a repeat of c is dropped */
			wsc_dirty[k++] = c;
		}
	}
	for (i = 0; i < k; i++)
		wsc_dirty[i]->dirty = true;
	wsc_ndirty = k;
}

void wsc_mark(struct wsconn *c)
{
	if (c->dirty)
		return;
	if (wsc_ndirty >= WSC_MAX_DIRTY && !wsc_hold) {
		wsc_flush(c);
		return;
	}
	if (wsc_ndirty == WSC_DIRTY_SLOTS && !wsc_flushing)
		wsc_compact();
	if (wsc_ndirty == WSC_DIRTY_SLOTS)
		return;   /* more connections than a hold supports (wsconn.h) */
	c->dirty = true;
	wsc_dirty[wsc_ndirty++] = c;
}

static int wsc_watch(struct wsconn *c, unsigned want)
{
	c->io = ev_io_add(c->loop, c->fd, want, wsc_io, c);
	return c->io >= 0 ? 0 : -1;
}

static void wsc_socks_deadline(struct ev_loop *loop, int id, void *arg);

int wsconn_connect(struct wsconn *c, struct ev_loop *loop, const char *ip,
		   uint16_t port, const char *host, const char *path,
		   const struct wsconn_cbs *cbs, void *user)
{
	size_t hn = strlen(host), pn = strlen(path);

	wsc_reset(c, loop, cbs, user);
	if (hn > ILPD_WSCONN_HOST_MAX || pn > ILPD_WSCONN_PATH_MAX) {
		wsc_drop_tls(c);
		wsc_drop_socks(c);
		return -1;
	}
	memcpy(c->host, host, hn + 1);
	memcpy(c->path, path, pn + 1);
	ws_init(&c->ws, WS_CLIENT, ILPD_WS_MAX_MESSAGE, c->frag, sizeof(c->frag), wsc_random);
	if (hal_tcp_connect(ip, port, &c->fd) != HAL_NET_OK) {
		wsc_drop_tls(c);
		wsc_drop_socks(c);
		return -1;
	}
	if (c->socks != NULL)
		c->socks_timer = ev_timer_add(loop, ev_now(loop) + c->socks_ms,
					      wsc_socks_deadline, c);
	if (wsc_watch(c, HAL_POLL_OUT) != 0 || (c->socks != NULL && c->socks_timer < 0)) {
		if (c->io >= 0)
			ev_io_del(loop, c->io);
		c->io = -1;
		hal_close(c->fd);
		c->fd = HAL_FD_NONE;
		wsc_drop_tls(c);
		wsc_drop_socks(c);
		return -1;
	}
	c->state = WSC_CONNECTING;
	return 0;
}

int wsconn_accept(struct wsconn *c, struct ev_loop *loop, hal_fd fd,
		  const struct wsconn_cbs *cbs, void *user)
{
	wsc_reset(c, loop, cbs, user);
	c->socks = NULL;   /* SOCKS is for outbound connections only */
	c->fd = fd;
	c->host[0] = '\0';
	c->path[0] = '\0';
	ws_init(&c->ws, WS_SERVER, ILPD_WS_MAX_MESSAGE, c->frag, sizeof(c->frag), wsc_random);
	if (wsc_watch(c, HAL_POLL_IN) != 0) {
		hal_close(fd);
		c->fd = HAL_FD_NONE;
		wsc_drop_tls(c);
		return -1;
	}
	c->state = WSC_HANDSHAKE;
	return 0;
}

size_t wsconn_tx_need(const struct wsconn *c, size_t len)
{
	return ws_frame_size(&c->ws, len);
}

size_t wsconn_tx_free(const struct wsconn *c)
{
	return sizeof(c->tx) - (c->tx_len - c->tx_off);
}

/* Makes room for `need` bytes at the end of tx, compacting if that helps. */
static bool wsc_room(struct wsconn *c, size_t need)
{
	if (sizeof(c->tx) - c->tx_len >= need)
		return true;
	if (c->tx_len - c->tx_off + need > sizeof(c->tx))
		return false;
	memmove(c->tx, c->tx + c->tx_off, c->tx_len - c->tx_off);
	c->tx_len -= c->tx_off;
	c->tx_ok = c->tx_ok > c->tx_off ? c->tx_ok - c->tx_off : 0;
	c->tx_mark = c->tx_mark > c->tx_off ? c->tx_mark - c->tx_off : 0;
	c->tx_off = 0;
	return true;
}

/* Queues a frame in any state where frames may still be sent. */
static int wsc_queue(struct wsconn *c, uint8_t opcode, const uint8_t *data, size_t len)
{
	size_t n;

	if (!wsc_room(c, ws_frame_size(&c->ws, len)))
		return -1;
	if (ws_write(&c->ws, opcode, data, len, c->tx + c->tx_len,
		     sizeof(c->tx) - c->tx_len, &n) != ILP_OK)
		return -1;
	c->tx_len += n;
	wsc_mark(c);
	return 0;
}

int wsconn_send(struct wsconn *c, uint8_t opcode, const uint8_t *data, size_t len)
{
	if (c->state != WSC_OPEN)
		return -1;
	return wsc_queue(c, opcode, data, len);
}

static void wsc_close_deadline(struct ev_loop *loop, int id, void *arg)
{
	struct wsconn *c = arg;

	(void)loop;
	(void)id;
	c->close_timer = -1;
	wsc_finish(c, "close timed out");
}

/* Queues a close frame and closes the socket once everything is sent, or
 * at the close deadline. */
static void wsc_close_after(struct wsconn *c, uint16_t code)
{
	size_t n;

	if (c->close_timer < 0)
		c->close_timer = ev_timer_add(c->loop, ev_now(c->loop) + ILPD_WSCONN_CLOSE_TIMEOUT_MS,
					      wsc_close_deadline, c);
	if (wsc_room(c, WS_MAX_HEADER + 2) &&
	    ws_write_close(&c->ws, code, c->tx + c->tx_len, sizeof(c->tx) - c->tx_len,
			   &n) == ILP_OK)
		c->tx_len += n;
	c->state = WSC_CLOSING;
	c->closing_after_flush = true;
	wsc_mark(c);
}

void wsconn_close(struct wsconn *c, uint16_t code, const char *reason)
{
	if (c->state == WSC_OPEN) {
		(void)reason;
		wsc_close_after(c, code);
	} else if (c->state != WSC_CLOSING) {
		wsc_finish(c, reason);
	}
}

size_t wsc_backlog(const struct wsconn *c)
{
	return c->tx_len - c->tx_off;
}



/* Watch for output while bytes may be written; for input unless paused. */
void wsc_want(struct wsconn *c)
{
	unsigned want = c->rx_paused ? 0u : HAL_POLL_IN;

	if (wsc_limit(c) > c->tx_off)
		want |= HAL_POLL_OUT;
	if (c->tls != NULL)
		want = wsc_tls_want(c, want);
	ev_io_want(c->loop, c->io, want);
}


void wsc_flush(struct wsconn *c)
{
	if (c->tls != NULL) {
		wsc_tls_flush(c);
		return;
	}
	while (c->tx_off < wsc_limit(c)) {
		long n = hal_tcp_send(c->fd, c->tx + c->tx_off, wsc_limit(c) - c->tx_off);

		if (n == HAL_NET_AGAIN)
			break;
		if (n < 0) {
			wsc_finish(c, "send failed");
			return;
		}
		c->tx_off += (size_t)n;
		c->bytes_out += (uint64_t)n;
	}
	if (c->tx_off == c->tx_len) {
		c->tx_off = 0;
		c->tx_len = 0;
		c->tx_ok = 0;
		c->tx_mark = 0;
		if (c->closing_after_flush) {
			wsc_finish(c, "closed");
			return;
		}
	}
	if (c->rx_paused && !c->rx_held && wsc_backlog(c) <= ILPD_WSCONN_TX_HIGH / 2 &&
	    c->state == WSC_OPEN) {
		c->rx_paused = false;
		wsc_frames(c);
		if (c->state == WSC_CLOSED)
			return;
	}
	if (wsc_hold && c->tx_len > c->tx_ok)
		wsc_mark(c);   /* unreleased bytes wait for wsconn_flush_all */
	wsc_want(c);
}

void wsconn_flush_all(void)
{
	size_t i, n = wsc_ndirty;

	/* Held: release first, then write; what callbacks queue meanwhile
	 * waits. Not held: connections marked meanwhile are written too. */
	for (i = 0; i < n; i++)
		if (wsc_dirty[i]->dirty)
			wsc_dirty[i]->tx_ok = wsc_dirty[i]->tx_len;
	wsc_flushing = true;
	for (i = 0; i < (wsc_hold ? n : wsc_ndirty); i++) {
		struct wsconn *c = wsc_dirty[i];

		if (!c->dirty)
			continue;
		c->dirty = false;
		if (c->state != WSC_IDLE && c->state != WSC_CLOSED &&
		    c->state != WSC_CONNECTING && c->state != WSC_SOCKS)
			wsc_flush(c);
	}
	wsc_flushing = false;
	if (!wsc_hold)
		n = wsc_ndirty;
	/* Held: connections marked during the writes stay listed. */
	memmove(wsc_dirty, wsc_dirty + n, (wsc_ndirty - n) * sizeof(wsc_dirty[0]));
	wsc_ndirty -= n;
}

void wsconn_mark_output(void)
{
	size_t i;

	for (i = 0; i < wsc_ndirty; i++)
		if (wsc_dirty[i]->dirty)
			wsc_dirty[i]->tx_mark = wsc_dirty[i]->tx_len;
}

void wsconn_release_marked(void)
{
	size_t i, n = wsc_ndirty;

	if (!wsc_hold) {
		wsconn_flush_all();
		return;
	}
	for (i = 0; i < n; i++) {
		struct wsconn *c = wsc_dirty[i];

		if (c->dirty && c->tx_mark > c->tx_ok)
			c->tx_ok = c->tx_mark;
	}
	wsc_flushing = true;
	for (i = 0; i < n; i++) {
		struct wsconn *c = wsc_dirty[i];

		if (!c->dirty)
			continue;
		c->dirty = false;
		if (c->state != WSC_IDLE && c->state != WSC_CLOSED &&
		    c->state != WSC_CONNECTING && c->state != WSC_SOCKS)
			wsc_flush(c);   /* re-lists c if bytes past tx_ok remain */
		else if (c->state != WSC_IDLE && c->state != WSC_CLOSED && c->tx_len > c->tx_ok)
			wsc_mark(c);
	}
	wsc_flushing = false;
	memmove(wsc_dirty, wsc_dirty + n, (wsc_ndirty - n) * sizeof(wsc_dirty[0]));
	wsc_ndirty -= n;
}

void wsconn_resume(struct wsconn *c)
{
	if (!c->rx_held)
		return;
	c->rx_held = false;
	if (c->state != WSC_OPEN || !c->rx_paused)
		return;
	c->rx_paused = false;
	wsc_frames(c);   /* may pause again (own backlog or the gate) */
	if (c->state == WSC_CLOSED)
		return;
	if (!c->rx_paused && c->tls != NULL)
		wsc_tls_input(c);
	if (c->state == WSC_CLOSED)
		return;
	wsc_want(c);
}

void wsconn_hold_output(bool on)
{
	wsc_hold = on;
}

bool wsconn_output_waiting(void)
{
	size_t i;

	for (i = 0; i < wsc_ndirty; i++)
		if (wsc_dirty[i]->dirty)
			return true;
	return false;
}

/* Handles one engine event. Returns false when parsing must stop. */
static bool wsc_event(struct wsconn *c, const struct ws_event *ev)
{
	switch (ev->type) {
	case WS_EV_NONE:
	case WS_EV_PONG:
		return true;
	case WS_EV_MESSAGE:
		c->cbs->on_message(c, ev->opcode, ev->data, ev->len, c->user);
		return c->state == WSC_OPEN;
	case WS_EV_PING:
		if (wsc_queue(c, WS_OP_PONG, ev->data, ev->len) != 0)
			wsc_finish(c, "send buffer full");
		return c->state == WSC_OPEN;
	case WS_EV_CLOSE:
		wsc_close_after(c, ev->close_code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL
									: ev->close_code);
		return false;
	case WS_EV_ERROR:
		wsc_close_after(c, ev->close_code);
		return false;
	}
	return false;
}

/* Parses every complete frame in rx. */
void wsc_frames(struct wsconn *c)
{
	size_t off = 0;

	while (off < c->rx_len && c->state == WSC_OPEN) {
		struct ws_event ev;
		size_t used = 0;

		if (wsc_backlog(c) > ILPD_WSCONN_TX_HIGH && !wsc_tls_final(c)) {
			c->rx_paused = true;
			wsc_mark(c);
			break;
		}
		/* The owner's gate (flow control across connections): the
		 * next frame waits until wsconn_resume(). */
		if (c->rx_gate != NULL && !wsc_tls_final(c)) {
			if (!c->rx_gate(c, c->user)) {
				c->rx_paused = true;
				c->rx_held = true;
				wsc_mark(c);
				break;
			}
			c->rx_held = false;
		}
		if (ws_read(&c->ws, c->rx + off, c->rx_len - off, &used, &ev) != ILP_OK)
			break;
		off += used;
		if (!wsc_event(c, &ev))
			break;
	}
	if (c->state == WSC_CLOSED)
		return;
	if (off > 0) {
		memmove(c->rx, c->rx + off, c->rx_len - off);
		c->rx_len -= off;
	}
	if (c->state == WSC_OPEN && !c->rx_paused && c->rx_len == sizeof(c->rx))
		wsc_close_after(c, WS_CLOSE_TOO_BIG);
}

/* Runs the handshake over the bytes in rx; on success continues with any
 * frames that followed the head. */
void wsc_handshake(struct wsconn *c)
{
	const char *why = "bad handshake";
	size_t used = 0, out = 0;
	int r;

	if (c->ws.role == WS_CLIENT) {
		r = ws_client_response(&c->ws, c->rx, c->rx_len, &used, &why);
	} else {
		if (!wsc_room(c, 512)) {
			wsc_finish(c, "send buffer full");
			return;
		}
		r = ws_server_handshake(&c->ws, c->rx, c->rx_len, &used, c->path,
					sizeof(c->path), c->tx + c->tx_len,
					sizeof(c->tx) - c->tx_len, &out, &why);
		c->tx_len += out;
		if (out > 0)
			wsc_mark(c);
	}
	if (r == ILP_ERR_NEED_MORE) {
		if (c->rx_len == sizeof(c->rx))
			wsc_finish(c, "handshake too large");
		return;
	}
	if (r != ILP_OK) {
		c->closing_after_flush = true;
		c->state = WSC_CLOSING;
		if (c->ws.role == WS_CLIENT || out == 0)
			wsc_finish(c, why);
		return;
	}
	memmove(c->rx, c->rx + used, c->rx_len - used);
	c->rx_len -= used;
	c->state = WSC_OPEN;
	if (c->cbs->on_open != NULL)
		c->cbs->on_open(c, c->user);
	wsc_frames(c);
}

/* Reads what the socket has; returns false if the connection ended. */
static bool wsc_read(struct wsconn *c)
{
	int i;

	for (i = 0; i < WSC_READS_PER_EVENT && c->rx_len < sizeof(c->rx); i++) {
		size_t space = sizeof(c->rx) - c->rx_len;
		long n = hal_tcp_recv(c->fd, c->rx + c->rx_len, space);

		if (n == HAL_NET_AGAIN)
			break;
		if (n == 0) {
			wsc_finish(c, "peer closed the connection");
			return false;
		}
		if (n < 0) {
			wsc_finish(c, "receive failed");
			return false;
		}
		c->rx_len += (size_t)n;
		c->bytes_in += (uint64_t)n;
		if ((size_t)n < space)
			break;
	}
	return true;
}


/* The byte stream to the server is open (directly or through the proxy,
 * whose reply may have been followed by stream bytes, now in rx). */
static void wsc_stream_start(struct wsconn *c)
{
	size_t n = 0;

	c->state = WSC_HANDSHAKE;
	if (c->tls != NULL) {
		/* The upgrade request waits for the TLS handshake (wsc_tls_up). */
		bool fed = c->rx_len > 0;

		if (!wsc_tls_feed(c))
			return;
		wsc_flush(c);
		if (fed && c->state != WSC_CLOSED)
			wsc_tls_input(c);
		return;
	}
	if (ws_client_request(&c->ws, c->host, c->path, c->tx, sizeof(c->tx), &n) != ILP_OK) {
		wsc_finish(c, "handshake request too large");
		return;
	}
	c->tx_len = n;
	wsc_flush(c);
	if (c->state == WSC_HANDSHAKE && c->rx_len > 0)
		wsc_handshake(c);
}

/* ---- SOCKS5 layer (see the notes at the top) ----------------------------- */

static void wsc_socks_fail(struct wsconn *c, enum socks5_error e)
{
	c->socks_err = (uint8_t)e;
	wsc_finish(c, socks5_error_str(e));
}

static void wsc_socks_deadline(struct ev_loop *loop, int id, void *arg)
{
	struct wsconn *c = arg;

	(void)loop;
	(void)id;
	c->socks_timer = -1;
	wsc_socks_fail(c, SOCKS5_ERR_PROXY_TIMEOUT);
}

/* Sends what the engine has for the proxy; false if the connection ended. */
static bool wsc_socks_send(struct wsconn *c)
{
	const uint8_t *p;
	size_t n;

	while ((n = socks5_output(c->socks, &p)) > 0) {
		long k = hal_tcp_send(c->fd, p, n);

		if (k == HAL_NET_AGAIN)
			break;
		if (k < 0) {
			wsc_socks_fail(c, SOCKS5_ERR_PROXY_IO);
			return false;
		}
		socks5_output_done(c->socks, (size_t)k);
		c->bytes_out += (uint64_t)k;
	}
	return true;
}

/* Reads the proxy's replies into rx and feeds them to the engine. On
 * SOCKS5_DONE the bytes after the reply are left at the front of rx.
 * False if the connection ended. */
static bool wsc_socks_recv(struct wsconn *c)
{
	int i;

	for (i = 0; i < WSC_READS_PER_EVENT; i++) {
		long n = hal_tcp_recv(c->fd, c->rx, sizeof(c->rx));
		size_t used = 0;
		enum socks5_status st;

		if (n == HAL_NET_AGAIN)
			break;
		if (n <= 0) {
			wsc_socks_fail(c, n == 0 ? SOCKS5_ERR_PROXY_CLOSED : SOCKS5_ERR_PROXY_IO);
			return false;
		}
		c->bytes_in += (uint64_t)n;
		st = socks5_input(c->socks, c->rx, (size_t)n, &used);
		if (st == SOCKS5_FAILED) {
			wsc_socks_fail(c, socks5_error(c->socks));
			return false;
		}
		if (st == SOCKS5_DONE) {
			c->rx_len = (size_t)n - used;
			memmove(c->rx, c->rx + used, c->rx_len);
			break;
		}
	}
	return true;
}

static void wsc_socks_io(struct wsconn *c, unsigned revents)
{
	const uint8_t *p;

	if (!wsc_socks_send(c))
		return;
	if ((revents & (HAL_POLL_IN | HAL_POLL_ERR)) != 0 && !wsc_socks_recv(c))
		return;
	if (socks5_status(c->socks) == SOCKS5_DONE) {
		wsc_drop_socks(c);
		wsc_stream_start(c);
		return;
	}
	if (!wsc_socks_send(c))   /* the next request, if a reply came */
		return;
	ev_io_want(c->loop, c->io,
		   HAL_POLL_IN | (socks5_output(c->socks, &p) > 0 ? HAL_POLL_OUT : 0u));
}

static void wsc_connected(struct wsconn *c)
{
	int r = hal_tcp_connect_result(c->fd);

	if (r != HAL_NET_OK && c->socks != NULL) {
		wsc_socks_fail(c, r == HAL_NET_REFUSED ? SOCKS5_ERR_PROXY_REFUSED
						       : SOCKS5_ERR_PROXY_UNREACHABLE);
		return;
	}
	if (r != HAL_NET_OK) {
		wsc_finish(c, r == HAL_NET_REFUSED ? "connection refused" : "connect failed");
		return;
	}
	if (c->socks != NULL) {
		c->state = WSC_SOCKS;
		wsc_socks_io(c, 0);
		return;
	}
	wsc_stream_start(c);
}


static void wsc_io(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	struct wsconn *c = arg;

	(void)loop;
	(void)id;
	if (c->state == WSC_CONNECTING) {
		wsc_connected(c);
		return;
	}
	if (c->state == WSC_SOCKS) {
		wsc_socks_io(c, revents);
		return;
	}
	if (c->tls != NULL) {
		wsc_tls_io(c, revents);
		return;
	}
	if ((revents & HAL_POLL_OUT) != 0) {
		wsc_flush(c);
		if (c->state == WSC_CLOSED)
			return;
	}
	if ((revents & (HAL_POLL_IN | HAL_POLL_ERR)) == 0)
		return;
	if (c->state == WSC_CLOSING) {
		/* Draining after our close: discard what arrives. */
		c->rx_len = 0;
		if (wsc_read(c))
			c->rx_len = 0;
		return;
	}
	if (c->rx_paused)
		return;
	if (!wsc_read(c))
		return;
	if (c->state == WSC_HANDSHAKE)
		wsc_handshake(c);
	else if (c->state == WSC_OPEN)
		wsc_frames(c);
}
