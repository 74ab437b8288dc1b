/*
 * good_tu.c - a fixture for toolchain/check-lwip-opts.cmake, never compiled
 * into anything: system headers that do not touch lwIP's option names, then
 * lwIP's headers. The ctest lwip_opts_check_good_tu requires the check to
 * pass it (so the check is not failing everything).
 */
#include <poll.h>
#include <string.h>

#include "lwip/opt.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

unsigned int good_tu_pool_bufsize(void);
unsigned int good_tu_pool_bufsize(void)
{
	return PBUF_POOL_BUFSIZE;
}
