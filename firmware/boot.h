/*
 * boot.h - the one connector a process runs: the static pools (pools.def)
 * and the start / step / stop sequence that the ilpd daemon (main.c) and
 * the embedded library (embed.c, include/ilpd.h) share, so both start the
 * network, the ledger, the listeners and the transport in the same order.
 *
 * Memory: owns every pool of pools.def (the build's memory map lists them);
 * nothing else. Single-threaded: the caller's event-loop thread only.
 */
#ifndef ILPD_BOOT_H
#define ILPD_BOOT_H

#include <stdbool.h>

struct ilpd_conf;
struct ilpd_daemon;

/* The daemon object and the two configurations (the one in use and the
 * spare a reload parses into; ilpd_boot_reload swaps them). */
struct ilpd_daemon *ilpd_boot_daemon(void);
struct ilpd_conf *ilpd_boot_conf(void);
struct ilpd_conf *ilpd_boot_spare_conf(void);

/* Starts the connector on c (ilpd_boot_conf(), loaded): the network, the
 * durable ledger, the listeners, then the transport. 0, or the daemon's
 * exit status after logging why: 3 (network, listener or transport) or
 * ILPD_EXIT_STATE (the state file was refused). `reset` is
 * --reset-ledger. On failure everything started is stopped again. */
int ilpd_boot_start(const struct ilpd_conf *c, bool reset);

/* One event-loop iteration (waits at most max_wait_ms) plus the transport
 * manager's tick. */
void ilpd_boot_step(int max_wait_ms);

/* Applies the spare configuration (loaded by the caller) like SIGHUP does:
 * 0, or -1 after logging config.reload_failed; ilpd_boot_reload_why() then
 * says why (a static string, until the next reload). */
int ilpd_boot_reload(void);
const char *ilpd_boot_reload_why(void);

/* After ilpd_daemon_stop() and ilpd_daemon_done(): stops the transport and
 * the ledger and logs shutdown.done. */
void ilpd_boot_finish(void);

#endif /* ILPD_BOOT_H */
