/*
 * sys_lwip.c - what lwIP needs from the system with NO_SYS=1: the
 * millisecond clock for its timers and LWIP_RAND(). No threads, no
 * semaphores, no mailboxes, no sys_arch protection: lwIP runs only inside
 * hal_poll() and the hal_tcp_* calls, on the event loop's thread.
 */
#include <stdint.h>

#include "hal/hal_rng.h"
#include "hal/hal_time.h"
#include "hal_lwip.h"
#include "lwip/sys.h"

/* lwIP compares times as u32 differences, so the wrap of the truncated
 * monotonic clock (every 49.7 days) is harmless. */
u32_t sys_now(void)
{
	return (u32_t)(uint64_t)hal_mono_ms();
}

uint32_t hal_lwip_rand(void)
{
	uint8_t b[4] = { 0, 0, 0, 0 };

	/* hal_random reads the kernel's CSPRNG and fails only if the kernel
	 * has none; lwIP's randomness (ISNs, ephemeral ports) then degrades
	 * to the clock, which is still better than a constant. */
	if (hal_random(b, sizeof(b)) != 0)
		return (uint32_t)(uint64_t)hal_mono_ms() * 2654435761u;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}
