/*
 * ilpd.h - run the ilpd Interledger connector inside your own C program.
 *
 * Link libilpd.a (built with ilpd for one board: its tables and their
 * sizes are the daemon's, listed by the build's memory map) and the Debian
 * libraries it names in ilpd.pc (BearSSL or mbedTLS, inih). The connector
 * is the same code as the ilpd daemon: BTP peers, routing, the durable
 * ledger, the admin listener; this header adds the application's side:
 *
 *   - packets for ilpd's own address space ([local] prefix, default the
 *     node address) go to the packet handler you set, which accepts them
 *     (the Fulfill's fulfillment is SHA-256 of the Prepare's data; a
 *     Prepare whose condition is not SHA-256(SHA-256(data)) is rejected
 *     F05 before your handler sees it) or rejects them with an ILP code;
 *   - ilpd_send_packet() sends a Prepare from ilpd's own account and calls
 *     you back with the Fulfill or Reject.
 *
 * Rules. One connector per process (its memory is static; no heap, also
 * none after start-up). Single-threaded: call every function from the
 * thread that runs the loop (ilpd_step), never from a signal handler.
 * Pointers given to callbacks are valid only during the call.
 * Return values: 0 or a negative ILPD_E* code.
 */
#ifndef ILPD_H
#define ILPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ILPD_E_ARG     (-1)   /* bad argument, or called in the wrong state */
#define ILPD_E_CONFIG  (-2)   /* the configuration was refused (see err) */
#define ILPD_E_START   (-3)   /* network, listener or transport failed */
#define ILPD_E_STATE   (-4)   /* the ledger's state file was refused */
#define ILPD_E_FULL    (-5)   /* no free slot: try again later */
#define ILPD_E_GONE    (-6)   /* the packet is no longer waiting (expired) */

/* One configuration line: `section` is "node", "peer alice", "local", ...
 * exactly as between the brackets of an INI file; key and value as in the
 * file. ilpd's INI reference (man ilpd) documents every key. */
struct ilpd_setting {
	const char *section;
	const char *key;
	const char *value;
};

/* Loads the configuration from an INI file, or from `n` settings, checks it
 * and starts the connector (ledger recovered, listeners open, peers
 * dialled). On ILPD_E_CONFIG, err holds "FILE:LINE: message" (a file) or
 * "settings[I] [SECTION] KEY: message" (I: the index in s; "settings:
 * message" for a rule about the whole configuration); on other errors a
 * reason (also logged). err may be NULL. A connector starts once per
 * process: a second start (also after ilpd_finish) is ILPD_E_ARG. After the
 * configuration, admin.ini in [admin] state_dir is loaded on top, as the
 * daemon does (peers and routes made through the admin API). */
int ilpd_start_file(const char *path, char *err, size_t errcap);
int ilpd_start_settings(const struct ilpd_setting *s, size_t n, char *err,
			size_t errcap);

/* A Prepare delivered to the application. */
struct ilpd_packet {
	uint32_t id;                    /* answer with ilpd_accept/ilpd_reject */
	const char *destination;        /* ILP address, not NUL-terminated */
	size_t destination_len;
	uint64_t amount;                /* in ilpd's own asset and scale */
	int64_t expires_at_ms;          /* Unix time in milliseconds */
	const uint8_t *condition;       /* 32 bytes */
	const uint8_t *data;
	size_t data_len;
};

/* Called for each Prepare delivered locally. Answer it exactly once, in the
 * handler or later (before expires_at_ms; after it ilpd has answered R00):
 * ilpd_accept() fulfills it, ilpd_reject() rejects it. */
typedef void (*ilpd_packet_handler)(void *user, const struct ilpd_packet *p);
int ilpd_set_packet_handler(ilpd_packet_handler h, void *user);

/* Fulfill packet `id` (fulfillment = SHA-256 of its data) with reply data
 * (at most 32767 bytes), or reject it with an ILP error code (F, T or R and
 * two digits or capitals: "F99", "T04"; anything else is ILPD_E_ARG) and a
 * message. ILPD_E_GONE if it is no longer waiting. */
int ilpd_accept(uint32_t id, const uint8_t *data, size_t n);
int ilpd_reject(uint32_t id, const char *code, const char *message);

/* The answer to ilpd_send_packet(). */
struct ilpd_result {
	bool accepted;
	uint8_t fulfillment[32];        /* when accepted */
	const uint8_t *data;            /* Fulfill or Reject data */
	size_t data_len;
	char code[4];                   /* when rejected: "F02", NUL-terminated */
	const char *message;            /* when rejected (not NUL-terminated) */
	size_t message_len;
	const char *triggered_by;       /* when rejected (not NUL-terminated) */
	size_t triggered_by_len;
};
typedef void (*ilpd_send_done)(void *user, const struct ilpd_result *r);

/* Sends `amount` to `destination` from ilpd's own account. The condition is
 * SHA-256(SHA-256(data)) unless `condition` (32 bytes) is given; the expiry
 * is now + expires_in_ms (0: 30 s). `done` is called exactly once, maybe
 * before this returns. */
int ilpd_send_packet(const char *destination, uint64_t amount,
		     const uint8_t *data, size_t data_len,
		     const uint8_t *condition, int64_t expires_in_ms,
		     ilpd_send_done done, void *user);

/* Runs the event loop once, waiting at most max_wait_ms (0: do not wait). */
void ilpd_step(int max_wait_ms);

/* For programs with their own poll(2) loop: fills out[0..cap) with the
 * descriptors ilpd waits on (events as poll's POLLIN/POLLOUT) and
 * *timeout_ms with how long it may sleep; returns how many there are
 * (more than cap: call again with more room). Poll them with your own,
 * then call ilpd_step(0). */
struct ilpd_pollfd {
	int fd;
	short events;
};
size_t ilpd_fds(struct ilpd_pollfd *out, size_t cap, int *timeout_ms);

/* ilpd's ILP address ("" while IL-DCP has not given one) and a peer's
 * balance (ILPD_E_ARG for an unknown peer). The sign is the ledger's: what
 * the account owes the connector. "local" is ilpd's own account, so its
 * balance falls by what your handler accepted and rises by what you sent:
 * -balance is what the application has earned. */
const char *ilpd_address(void);
int ilpd_balance(const char *peer, int64_t *balance);

/* Stops: in-flight packets get up to grace_ms to finish, then the ledger is
 * closed cleanly. Keep calling ilpd_step() until ilpd_done(), then
 * ilpd_finish(). */
void ilpd_stop(int grace_ms);
bool ilpd_done(void);
void ilpd_finish(void);

#ifdef __cplusplus
}
#endif

#endif /* ILPD_H */
