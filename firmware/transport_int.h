/*
 * transport_int.h - what the transport's two files share (transport.c:
 * the proxy probe, onion state, the managed daemon, start/stop;
 * transport_ctl.c: the control-port connection and its command sequence).
 * Not for other modules: the API is transport.h, the rules are in the
 * notes at the top of transport.c.
 */
#ifndef ILPD_TRANSPORT_INT_H
#define ILPD_TRANSPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal_proc.h"
#include "net/ev.h"
#include "transport.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define STABLE_MS 60000            /* a daemon this old resets the backoff */
#define REAP_MS 200
#define CTL_REPLY_MS 15000         /* a command's reply is overdue */
#define CTL_START_RETRY_MS 500     /* managed: control port not up yet */
#define BOOT_POLL_MS 1000
#define PROBE_TIMEOUT_MS 5000
#define TORRC_MAX 4096
#define VERSION_WAIT_MS 3000       /* `tor_path --version` at start */

/* transport.c: small helpers */
int64_t tr_now_ms(void);
/* Copies src into dst[cap], cut and NUL-terminated. */
void tr_copy_str(char *dst, size_t cap, const char *src);
void tr_set_why(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ASCII case-insensitive equality. */
bool tr_ieq(const char *a, const char *b);
/* The next reconnect/restart delay: doubles from BACKOFF_MIN_MS to BACKOFF_MAX_MS. */
int64_t tr_backoff_next(int64_t cur);
void tr_timer_set(struct ilpd_transport *t, int *id, int64_t delay, ev_timer_cb cb);
void tr_timer_clear(struct ilpd_transport *t, int *id);
/* dir/name into out; false if it does not fit. */
bool tr_join_path(char out[HAL_PATH_MAX], const char *dir, const char *name);
/* The transport's state changed: the owner's callback, with the reason. */
void tr_notify(struct ilpd_transport *t, const char *why);
/* transport.c: onion state and the proxy probe */
void tr_onion_set(struct ilpd_transport *t, enum ilpd_onion_state s, const char *why);
/* Records our onion as host = id + suffix and builds the URL. */
void tr_onion_known(struct ilpd_transport *t, const char *id, size_t idlen, const char *suffix);
/* Reads <dir>/hostname (a managed or dir-mode onion service). */
int tr_read_hostname(struct ilpd_transport *t, const char *dir);
void tr_probe_soon(struct ilpd_transport *t);

/* transport_ctl.c: the control connection */
void ctl_close(struct ilpd_transport *t);
/* (Re)connects after delay ms. */
void ctl_schedule(struct ilpd_transport *t, int64_t delay);
/* The connection failed or ended: closes it and schedules a retry. */
void ctl_lost(struct ilpd_transport *t, const char *why);
void ctl_idle(struct ilpd_transport *t);
void ctl_send_next(struct ilpd_transport *t);
void ctl_connect_cb(struct ev_loop *loop, int id, void *arg);

#endif /* ILPD_TRANSPORT_INT_H */
