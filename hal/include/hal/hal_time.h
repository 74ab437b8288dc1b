/*
 * hal_time.h - clocks. Memory: none. Thread/ISR: safe.
 */
#ifndef HAL_TIME_H
#define HAL_TIME_H

#include <stdint.h>

/* Monotonic milliseconds (arbitrary origin, never goes back): timers. */
int64_t hal_mono_ms(void);

/* Monotonic microseconds (same clock as hal_mono_ms): short durations such
 * as a storage sync's latency. */
int64_t hal_mono_us(void);

/* Wall-clock milliseconds since the Unix epoch, UTC: ILP expiries. */
int64_t hal_wall_ms(void);

#endif /* HAL_TIME_H */
