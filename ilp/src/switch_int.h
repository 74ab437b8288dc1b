/*
 * switch_int.h - what the switch's two files share (ilp_switch.c: pending
 * table, Prepares, answers; ilp_switch_conf.c: peers, routes, address).
 * Not for other modules: the API is ilp/ilp_switch.h.
 */
#ifndef ILP_SWITCH_INT_H
#define ILP_SWITCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_switch.h"

#define SW_NIL 0xFFFFu

/* strnlen is POSIX, not C11. */
static inline size_t sw_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

/* Writes <own address>.<name> into buf (cap bytes); returns its length or 0
 * (also while the connector has no address yet). */
size_t sw_child_address(const struct ilp_switch *sw, const struct ilp_peer *p, uint8_t *buf,
			size_t cap);

/* True if `peer` may be routed to: used and not retired. */
bool sw_routable(const struct ilp_switch *sw, uint16_t peer);

#endif /* ILP_SWITCH_INT_H */
