/* time_posix.c - hal_time over clock_gettime(2) (vDSO on Linux: no system
 * call on the common architectures). */
#include "hal/hal_time.h"

#include <time.h>

static int64_t time_ms(clockid_t id)
{
	struct timespec ts;

	/* Cannot fail for these two clocks with a valid pointer. */
	(void)clock_gettime(id, &ts);
	/* tv_sec is 32 bits on armhf (Debian 12): widen before multiplying. */
	return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

int64_t hal_mono_ms(void)
{
	return time_ms(CLOCK_MONOTONIC);
}

int64_t hal_mono_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + (int64_t)(ts.tv_nsec / 1000);
}

int64_t hal_wall_ms(void)
{
	return time_ms(CLOCK_REALTIME);
}
