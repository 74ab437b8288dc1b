/*
 * rng_posix.c - hal_random over getrandom(2) (the kernel CSPRNG; blocks
 * only until the pool is first initialised at boot). getrandom may return
 * fewer bytes than asked (large requests, signals): loop until done.
 * Kernels before 3.17 lack it (ENOSYS): read /dev/urandom instead.
 */
#include "hal/hal_rng.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/random.h>
#include <unistd.h>

static int rng_urandom(uint8_t *p, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	while (n > 0) {
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	close(fd);
	return 0;
}

int hal_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ENOSYS)
			return rng_urandom(p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}
