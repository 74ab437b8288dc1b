/* lwIP options for the development host (ILPD_NET=lwip, preset host-lwip).
 * Generous like the rest of this board: a 16-segment (23,360-byte) receive
 * window and send buffer per connection keep a benchmark's traffic flowing
 * over a TAP device. Everything else: hal/lwip/include/lwipopts_common.h
 * and docs/lwip.md. */
#ifndef ILPD_LWIPOPTS_H
#define ILPD_LWIPOPTS_H
#define ILPD_LWIP_WND_MSS 16
#define ILPD_LWIP_SNDBUF_MSS 16
#include "lwipopts_common.h"
#endif
