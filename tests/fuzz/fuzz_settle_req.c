/*
 * fuzz_settle_req.c - the settlement listener's request parsers
 * (net/settle_req.h): the first byte picks target or quantity, the rest
 * is the input. Checks: no crash, a parsed id is inside the input and made
 * of address-segment bytes, a parsed scale fits 0..255 by type.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/settle_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[8192];
	const uint8_t *id;
	const char *why;
	size_t n, k;
	uint64_t amount;
	uint8_t scale;
	int kind;

	if (size == 0 || size - 1 > sizeof(buf))
		return 0;
	n = size - 1;
	memcpy(buf, data + 1, n);
	if (data[0] & 1) {
		if (settle_req_target(buf, n, &kind, &id, &k, &why) == 0) {
			if (id < buf || id + k > buf + n || k == 0 || k > SETTLE_REQ_ID_MAX ||
			    (kind != SETTLE_REQ_SETTLEMENT && kind != SETTLE_REQ_MESSAGE))
				__builtin_trap();
		} else if (why == NULL) {
			__builtin_trap();
		}
	} else {
		if (settle_req_quantity(buf, n, &amount, &scale, &why) != 0 && why == NULL)
			__builtin_trap();
	}
	return 0;
}
