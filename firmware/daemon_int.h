/*
 * daemon_int.h - what daemon.c, auth.c, dial.c and listener.c share inside the daemon
 * (not an interface for the rest of firmware/: that is daemon.h).
 */
#ifndef ILPD_DAEMON_INT_H
#define ILPD_DAEMON_INT_H

#include "daemon.h"

struct btp_frame;

/* The callbacks of every peer connection (daemon.c). */
extern const struct wsconn_cbs ilpd_conn_cbs;

/* daemon.c: carries out a switch action (forward, reply; the local
 * account's included). For local.c. */
void ilpd_sw_dispatch(struct ilpd_daemon *d, const struct ilp_sw_action *act);
/* daemon.c: the next hop's answer (pkt, n) to pending `handle`, delivered
 * to the source, or ended as undeliverable when the source cannot take it
 * (the path a BTP answer takes; local.c's answers too). */
void ilpd_sw_answer(struct ilpd_daemon *d, uint32_t handle, const uint8_t *pkt, size_t n);

/* A free slot of the connection pool, marked used; -1 if none. */
int ilpd_conn_alloc(struct ilpd_daemon *d);

/* auth.c: BTP authentication. Timer: an inbound connection that has not
 * authenticated in time is closed (arg: its struct ilpd_conn). The first
 * frame of inbound connection c (an auth Message with a known token, else
 * refused and closed); the answer to outbound link l's auth Message. */
void ilpd_conn_auth_deadline(struct ev_loop *loop, int id, void *arg);
void ilpd_auth_inbound(struct ilpd_daemon *d, struct ilpd_conn *c,
		       const struct btp_frame *f);
void ilpd_auth_answer(struct ilpd_daemon *d, struct ilpd_link *l,
		      struct ilpd_conn *c, const struct btp_frame *f);

/* daemon.c: a BTP Error / Response frame to connection c; link l goes up
 * (authenticated) or down (with the reason logged). For auth.c. */
void ilpd_send_btp_error(struct ilpd_daemon *d, struct ilpd_conn *c,
			 uint32_t id, const char *code, const char *name,
			 const char *msg);
void ilpd_send_btp_response(struct ilpd_daemon *d, struct ilpd_conn *c, uint32_t id);
void ilpd_link_up(struct ilpd_daemon *d, struct ilpd_link *l);
void ilpd_link_down(struct ilpd_daemon *d, struct ilpd_link *l, const char *reason);

/* Opens the BTP listener and its lobby (listener.c). 0, or -1 after
 * logging why. */
int ilpd_listen(struct ilpd_daemon *d);

/* daemon.c: a random 32-bit value (BTP request ids, jitter). */
uint32_t ilpd_random_u32(void);
/* daemon.c: arms link l's timer to fire in delay ms (ilpd_link_timer). */
void ilpd_link_arm(struct ilpd_daemon *d, struct ilpd_link *l, int64_t delay);
/* daemon.c: schedules link l's next dial with backoff and jitter. */
void ilpd_schedule_dial(struct ilpd_daemon *d, struct ilpd_link *l);

/* dial.c: dials link l now (outbound peers). */
void ilpd_dial(struct ilpd_daemon *d, struct ilpd_link *l);
/* dial.c: a link's timer: dial, or give up an unanswered connect/auth. */
void ilpd_link_timer(struct ev_loop *loop, int id, void *arg);
#if ILPD_HAVE_TLS
/* dial.c: the TLS client / server configurations, loaded once. 0 or -1. */
int ilpd_tls_client_cfg(struct ilpd_daemon *d);
int ilpd_tls_server_cfg(struct ilpd_daemon *d);
#endif

#endif /* ILPD_DAEMON_INT_H */
