/*
 * daemon_int.h - what daemon.c and listener.c share inside the daemon
 * (not an interface for the rest of firmware/: that is daemon.h).
 */
#ifndef ILPD_DAEMON_INT_H
#define ILPD_DAEMON_INT_H

#include "daemon.h"

/* The callbacks of every peer connection (daemon.c). */
extern const struct wsconn_cbs ilpd_conn_cbs;

/* A free slot of the connection pool, marked used; -1 if none. */
int ilpd_conn_alloc(struct ilpd_daemon *d);

/* Timer: an inbound connection that has not authenticated in time is
 * closed (arg: its struct ilpd_conn). */
void ilpd_conn_auth_deadline(struct ev_loop *loop, int id, void *arg);

/* Opens the BTP listener and its lobby (listener.c). 0, or -1 after
 * logging why. */
int ilpd_listen(struct ilpd_daemon *d);

#endif /* ILPD_DAEMON_INT_H */
