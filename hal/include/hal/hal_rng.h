/*
 * hal_rng.h - cryptographically strong random bytes (getrandom(2) on
 * Linux). Memory: none. Returns 0, or -1 if the source failed (the caller
 * must treat that as fatal at start-up).
 */
#ifndef HAL_RNG_H
#define HAL_RNG_H

#include <stddef.h>

int hal_random(void *buf, size_t n);

#endif /* HAL_RNG_H */
