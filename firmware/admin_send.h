/*
 * admin_send.h - POST /admin/ilp/send (admin_send.c; the route function is
 * declared in httpd.h): its static memory, so the memory map can count it.
 *
 * Memory: struct ilpd_admin_send_mem, one static object (the memory map
 * lists it as admin_send): ADMIN_SEND_SLOTS sends in flight, a copy of the
 * request body (ILPD_HTTPD_BODY_MAX), the Prepare being built
 * (ILP_PREPARE_MAX_SIZE), its data (ILP_DATA_MAX_LEN), the JSON node table
 * and the buffer asynchronous answers are written into. No heap.
 */
#ifndef ILPD_ADMIN_SEND_H
#define ILPD_ADMIN_SEND_H

#include <stdbool.h>
#include <stdint.h>

#include "httpd.h"
#include "ilp/ilp_packet.h"
#include "net/json.h"

#ifndef ADMIN_SEND_SLOTS
#define ADMIN_SEND_SLOTS 16
#endif

struct ilpd_admin_send_slot {
	struct ilpd_daemon *d;
	bool used;
	uint32_t token;               /* the connection's (ilpd_http_respond) */
	struct ilpd_http_resp *rs;    /* set while ilpd_local_send runs */
	bool answered;                /* the answer came during ilpd_local_send */
};

struct ilpd_admin_send_mem {
	struct ilpd_admin_send_slot slot[ADMIN_SEND_SLOTS];
	uint8_t body[ILPD_HTTPD_BODY_MAX];
	uint8_t pkt[ILP_PREPARE_MAX_SIZE];
	uint8_t data[ILP_DATA_MAX_LEN];
	struct jnode nodes[16];
	char out[ILPD_ADMIN_OUT_MAX - 1024];
};

#endif /* ILPD_ADMIN_SEND_H */
