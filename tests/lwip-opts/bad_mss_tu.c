/*
 * bad_mss_tu.c - a fixture for toolchain/check-lwip-opts.cmake, never
 * compiled into anything: it includes glibc's <netinet/tcp.h> AFTER lwIP's
 * headers, the way Debian's liblwip did through its posix/inet.h, so the
 * rest of this file sees TCP_MSS 512 instead of lwipopts.h's 1460 (and a
 * different PBUF_POOL_BUFSIZE). The ctest lwip_opts_check_catches_mss_clash
 * requires the check to flag it.
 */
#include "lwip/opt.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#include <netinet/tcp.h>

/* What memp.c would size its buffers with, had it been built like this. */
unsigned int bad_mss_tu_pool_bufsize(void);
unsigned int bad_mss_tu_pool_bufsize(void)
{
	return PBUF_POOL_BUFSIZE;
}
