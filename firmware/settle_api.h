/*
 * settle_api.h - the settlement listener ([settlement] listen): RFC 38's
 * engine -> connector API (settle_api.c says what it serves and how it
 * fails). Memory: SA_CONNS connections, ~13 KiB each, static. No heap.
 */
#ifndef ILPD_SETTLE_API_H
#define ILPD_SETTLE_API_H

#include <stdbool.h>
#include <stddef.h>

struct ilpd_daemon;

/* Connections served at once (the engine makes one or two). */
#define SA_CONNS 4

/* Opens the listener when [settlement] listen is set: 0, or -1 (logged). */
int ilpd_settle_api_open(struct ilpd_daemon *d);
void ilpd_settle_api_close(struct ilpd_daemon *d);
/* Called every settlement tick: answers the credits waiting for the
 * ledger to be durable when `durable`. */
void ilpd_settle_api_poll(struct ilpd_daemon *d);
/* /metrics lines; the length, 0 if it does not fit. */
size_t ilpd_settle_api_metrics_text(char *out, size_t cap);

#endif /* ILPD_SETTLE_API_H */
