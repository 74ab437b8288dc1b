/*
 * arch/cc.h - lwIP's port header for ilpd (NO_SYS=1, raw API, Linux or any
 * C11 target with GCC or clang). lwIP's arch.h includes it first thing, in
 * every translation unit that includes an lwIP header; the options are in
 * boards/<board>/lwipopts.h (see docs/lwip.md).
 *
 *  - Types: lwIP takes u8_t..u32_t, mem_ptr_t and the printf formats from
 *    <stdint.h>/<inttypes.h> (its defaults; nothing to do here).
 *  - Byte order: from the compiler (__BYTE_ORDER__), so the same header
 *    serves x86_64, aarch64, armhf and big-endian s390x. htons/htonl are
 *    the compiler's byte-swap builtins on little-endian targets.
 *  - LWIP_PLATFORM_ASSERT: an lwIP assertion is a bug in ilpd or lwIP (the
 *    network input is checked by LWIP_ERROR and return codes, never
 *    asserted), so it is logged through hal_log (event lwip.assert) and the
 *    process aborts, like ILPD_ASSERT.
 *  - LWIP_PLATFORM_DIAG: lwIP's debug output (LWIP_DEBUG) is printf-style
 *    and unstructured; ilpd does not build it, and refuses LWIP_DEBUG
 *    rather than print to stdout.
 *  - LWIP_RAND and the TCP initial sequence number hook: hal_lwip_rand()
 *    (hal/lwip/sys_lwip.c, from the kernel's CSPRNG through hal_random), so
 *    ISNs and ephemeral ports are not predictable (lwIP's own ISN is a
 *    counter).
 * Memory: no objects; the assert path uses 160 bytes of stack.
 */
#ifndef ILPD_LWIP_ARCH_CC_H
#define ILPD_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stdlib.h>

#include "hal/hal_log.h"

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_BIG_ENDIAN__)
#error "arch/cc.h: the compiler does not say the byte order (__BYTE_ORDER__)"
#endif

/* lwIP's arch.h defines LITTLE_ENDIAN 1234 and BIG_ENDIAN 4321 unless they
 * exist; glibc's <endian.h> (with _DEFAULT_SOURCE) uses the same numbers,
 * so either definition may come first. */
#ifndef LITTLE_ENDIAN
#define LITTLE_ENDIAN 1234
#endif
#ifndef BIG_ENDIAN
#define BIG_ENDIAN 4321
#endif
#ifndef BYTE_ORDER
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BYTE_ORDER BIG_ENDIAN
#else
#define BYTE_ORDER LITTLE_ENDIAN
#endif
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))
#endif

#ifdef LWIP_DEBUG
#error "arch/cc.h: LWIP_DEBUG is not supported (printf-style output); see docs/lwip.md"
#endif
#define LWIP_PLATFORM_DIAG(x) \
	do {                  \
	} while (0)

/* Logs the failed lwIP assertion and aborts. Never returns. */
__attribute__((noreturn)) static inline void
hal_lwip_assert_fail(const char *msg, const char *file, int line)
{
	char q[128];

	hal_log(HAL_LOG_ERROR, "lwip.assert", "msg=%s file=%s line=%d",
		hal_log_quote(msg, __builtin_strlen(msg), q, sizeof(q)), file, line);
	abort();
}
#define LWIP_PLATFORM_ASSERT(x) hal_lwip_assert_fail((x), __FILE__, __LINE__)

/* 32 random bits from the kernel's CSPRNG (hal/lwip/sys_lwip.c). */
uint32_t hal_lwip_rand(void);
#define LWIP_RAND() ((u32_t)hal_lwip_rand())

#endif /* ILPD_LWIP_ARCH_CC_H */
