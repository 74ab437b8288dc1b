/*
 * store_posix.c - the POSIX backend of hal_store.h: the state area is one
 * preallocated regular file.
 *
 * Open: an existing file is opened O_RDWR|O_CLOEXEC and locked with
 * flock(LOCK_EX|LOCK_NB) (a second ilpd on the same file gets
 * HAL_STORE_LOCKED); it must be a regular file of exactly `size` bytes
 * (HAL_STORE_SIZE otherwise). A new one is built beside it as
 * "<path>.new" (created 0600, locked, truncated, filled with zeros,
 * fsync'd), renamed into place and its directory fsync'd, so a crash while
 * creating never leaves a short file under the real name. The lock is on
 * the open file description, so it follows the inode through the rename.
 *
 * I/O: pread/pwrite loops (EINTR retried, short transfers continued); sync
 * is fdatasync(2) (the file's size never changes after creation). Every
 * error sets s->why to "<path>: <reason>".
 *
 * Asynchronous sync (hal_store_sync_start/finish): open takes a worker slot
 * (STORE_WORKERS static slots) and starts its thread, with every signal
 * blocked so the daemon's handlers run on the loop's thread. The thread
 * sleeps on a condition variable; sync_start hands it a request, it runs
 * fdatasync on the store's descriptor, publishes the result and errno
 * under the mutex and writes one byte to a non-blocking pipe whose read
 * end is s->sync_fd (the event loop watches it). sync_finish takes the
 * result, drains the pipe, and formats s->why on the caller's thread. With
 * no free slot, or when the thread or pipe cannot be made, the store is
 * synchronous (sync_start NULL in its ops). Close stops and joins the
 * thread (after waiting out a running sync). The caller's rule (no other
 * store call while a sync runs) means the worker never races a write.
 *
 * Boot id (hal_boot_id): the 32 hex digits of
 * /proc/sys/kernel/random/boot_id, read on every call (once per start-up);
 * all zero when it cannot be read. hal_boot_id_set() overrides it (tests).
 *
 * Memory: a 512-byte static block of zeros, 17 bytes of boot id override,
 * and STORE_WORKERS worker slots
 * (~150 bytes each plus the thread's stack, which the C library maps at
 * open, before the daemon counts allocations); no heap in this file.
 * Event-loop thread only (the worker is internal).
 */
#include "hal/hal_store.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Stores open at once with an asynchronous sync (the daemon has one; tests
 * open a few). */
#define STORE_WORKERS 4

static const uint8_t store_zero[HAL_STORE_SECTOR];

/* One sync worker: a thread, its request/answer state and the pipe that
 * tells the event loop a sync is done. */
struct store_worker {
	bool used;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;                    /* the store's descriptor */
	int pipe_rd, pipe_wr;
	bool request;              /* under mu: a sync is asked for */
	bool done;                 /* under mu: its result is ready */
	bool quit;                 /* under mu: the thread must end */
	int rc;                    /* under mu: fdatasync's return */
	int err;                   /* under mu: its errno */
};

static struct store_worker store_workers[STORE_WORKERS];
static pthread_mutex_t store_workers_mu = PTHREAD_MUTEX_INITIALIZER;

/* s->why = the formatted text, cut to fit. */
__attribute__((format(printf, 2, 3)))
static void store_why(struct hal_store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static int store_fail(struct hal_store *s, int rc, const char *path, const char *what, int err)
{
	if (what != NULL)
		store_why(s, "%s: %s: %s", path, what, strerror(err));
	else
		store_why(s, "%s: %s", path, strerror(err));
	return rc;
}

static bool store_in_range(const struct hal_store *s, uint32_t off, uint32_t len)
{
	return (uint64_t)off + len <= s->size;
}

static int store_read(struct hal_store *s, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *p = buf;

	if (!store_in_range(s, off, len))
		return HAL_STORE_RANGE;
	while (len > 0) {
		ssize_t n = pread(s->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return store_fail(s, HAL_STORE_ERROR, "state file", "read", errno);
		if (n == 0) {
			store_why(s, "state file: read: unexpected end of file");
			return HAL_STORE_ERROR;
		}
		p += n;
		off += (uint32_t)n;
		len -= (uint32_t)n;
	}
	return HAL_STORE_OK;
}

static int store_pwrite_all(int fd, const void *buf, uint32_t len, uint32_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		off += (uint32_t)n;
		len -= (uint32_t)n;
	}
	return 0;
}

static int store_write(struct hal_store *s, uint32_t off, const void *buf, uint32_t len)
{
	if (!store_in_range(s, off, len))
		return HAL_STORE_RANGE;
	if (store_pwrite_all(s->fd, buf, len, off) != 0)
		return store_fail(s, HAL_STORE_ERROR, "state file", "write", errno);
	return HAL_STORE_OK;
}

static int store_sync(struct hal_store *s)
{
	int r;

	do
		r = fdatasync(s->fd);
	while (r != 0 && errno == EINTR);
	if (r != 0)
		return store_fail(s, HAL_STORE_ERROR, "state file", "fdatasync", errno);
	return HAL_STORE_OK;
}

/* ---- the sync worker ------------------------------------------------------ */

static void *store_worker_main(void *arg)
{
	struct store_worker *w = arg;
	uint8_t one = 1;
	int r, e;

	(void)pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->request && !w->quit)
			(void)pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit)
			break;
		w->request = false;
		(void)pthread_mutex_unlock(&w->mu);
		do
			r = fdatasync(w->fd);
		while (r != 0 && errno == EINTR);
		e = r != 0 ? errno : 0;
		(void)pthread_mutex_lock(&w->mu);
		w->rc = r;
		w->err = e;
		w->done = true;
		/* The pipe holds at most one byte per sync: never full. */
		while (write(w->pipe_wr, &one, 1) < 0 && errno == EINTR)
			;
	}
	(void)pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void store_worker_free(struct store_worker *w)
{
	(void)close(w->pipe_rd);
	(void)close(w->pipe_wr);
	(void)pthread_cond_destroy(&w->cv);
	(void)pthread_mutex_destroy(&w->mu);
	(void)pthread_mutex_lock(&store_workers_mu);
	w->used = false;
	(void)pthread_mutex_unlock(&store_workers_mu);
}

/* A worker for fd, or NULL (the store then syncs synchronously). */
static struct store_worker *store_worker_start(int fd)
{
	struct store_worker *w = NULL;
	sigset_t all, old;
	int p[2], i, r;

	(void)pthread_mutex_lock(&store_workers_mu);
	for (i = 0; i < STORE_WORKERS && w == NULL; i++) {
		if (!store_workers[i].used) {
			w = &store_workers[i];
			w->used = true;
		}
	}
	(void)pthread_mutex_unlock(&store_workers_mu);
	if (w == NULL)
		return NULL;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
		(void)pthread_mutex_lock(&store_workers_mu);
		w->used = false;
		(void)pthread_mutex_unlock(&store_workers_mu);
		return NULL;
	}
	w->pipe_rd = p[0];
	w->pipe_wr = p[1];
	w->fd = fd;
	w->request = w->done = w->quit = false;
	w->rc = 0;
	w->err = 0;
	(void)pthread_mutex_init(&w->mu, NULL);
	(void)pthread_cond_init(&w->cv, NULL);
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&w->thread, NULL, store_worker_main, w);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		store_worker_free(w);
		return NULL;
	}
	return w;
}

static void store_worker_stop(struct store_worker *w)
{
	(void)pthread_mutex_lock(&w->mu);
	w->quit = true;
	(void)pthread_cond_signal(&w->cv);
	(void)pthread_mutex_unlock(&w->mu);
	(void)pthread_join(w->thread, NULL);
	store_worker_free(w);
}

static int store_sync_start(struct hal_store *s)
{
	struct store_worker *w = s->ctx;

	(void)pthread_mutex_lock(&w->mu);
	w->request = true;
	w->done = false;
	(void)pthread_cond_signal(&w->cv);
	(void)pthread_mutex_unlock(&w->mu);
	return HAL_STORE_OK;
}

static int store_sync_finish(struct hal_store *s, bool wait)
{
	struct store_worker *w = s->ctx;
	uint8_t drain[8];
	bool done;
	int rc, err;

	for (;;) {
		(void)pthread_mutex_lock(&w->mu);
		done = w->done;
		rc = w->rc;
		err = w->err;
		(void)pthread_mutex_unlock(&w->mu);
		if (done || !wait)
			break;
		{
			struct pollfd pfd = { w->pipe_rd, POLLIN, 0 };

			(void)poll(&pfd, 1, -1);
		}
	}
	if (!done)
		return HAL_STORE_BUSY;
	while (read(w->pipe_rd, drain, sizeof(drain)) > 0)
		;
	(void)pthread_mutex_lock(&w->mu);
	w->done = false;
	(void)pthread_mutex_unlock(&w->mu);
	if (rc != 0)
		return store_fail(s, HAL_STORE_ERROR, "state file", "fdatasync", err);
	return HAL_STORE_OK;
}

static void store_close(struct hal_store *s)
{
	struct store_worker *w = s->ctx;

	if (w != NULL) {
		(void)hal_store_sync_finish(s, true);
		store_worker_stop(w);
	}
	s->ctx = NULL;
	s->sync_fd = -1;
	if (s->fd >= 0)
		(void)close(s->fd);
	s->fd = -1;
}

static const struct hal_store_ops store_posix_ops = {
	store_read, store_write, store_sync, store_close, NULL, NULL
};

static const struct hal_store_ops store_posix_async_ops = {
	store_read, store_write, store_sync, store_close, store_sync_start, store_sync_finish
};

static int store_open_fd(const char *path, int flags, mode_t mode)
{
	int fd;

	do
		fd = open(path, flags, mode);
	while (fd < 0 && errno == EINTR);
	return fd;
}

/* flock(LOCK_EX|LOCK_NB); HAL_STORE_OK, LOCKED or ERROR (why set). */
static int store_lock(struct hal_store *s, int fd, const char *path)
{
	int r;

	do
		r = flock(fd, LOCK_EX | LOCK_NB);
	while (r != 0 && errno == EINTR);
	if (r == 0)
		return HAL_STORE_OK;
	if (errno == EWOULDBLOCK) {
		store_why(s,
			 "%s: locked by another process (another ilpd on this state_dir?)", path);
		return HAL_STORE_LOCKED;
	}
	return store_fail(s, HAL_STORE_ERROR, path, "flock", errno);
}

static int store_fsync(int fd)
{
	int r;

	do
		r = fsync(fd);
	while (r != 0 && errno == EINTR);
	return r;
}

/* fsyncs the directory that holds path (so a new name in it is durable). */
static int store_sync_dir(struct hal_store *s, const char *path)
{
	char dir[512];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd;

	if (slash == NULL) {
		dir[0] = '.';
		n = 1;
	} else {
		n = (size_t)(slash - path);
		if (n == 0)
			n = 1;          /* "/file": the root */
		if (n >= sizeof(dir)) {
			store_why(s, "%s: directory name too long", path);
			return HAL_STORE_ERROR;
		}
		memcpy(dir, path, n);
	}
	dir[n] = '\0';
	fd = store_open_fd(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return store_fail(s, HAL_STORE_ERROR, dir, "open directory", errno);
	if (store_fsync(fd) != 0) {
		int e = errno;

		(void)close(fd);
		return store_fail(s, HAL_STORE_ERROR, dir, "fsync directory", e);
	}
	(void)close(fd);
	return HAL_STORE_OK;
}

/* Builds a zero-filled area at "<path>.new", renames it to path. On
 * HAL_STORE_OK, *fdp is the new file, open and locked. */
static int store_create(struct hal_store *s, const char *path, uint32_t size, int *fdp)
{
	char tmp[512];
	uint32_t off;
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp)) {
		store_why(s, "%s: path too long", path);
		return HAL_STORE_ERROR;
	}
	/* No O_TRUNC: a second ilpd creating at the same moment must not cut
	 * the file under the first one's lock. */
	fd = store_open_fd(tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return store_fail(s, HAL_STORE_ERROR, tmp, "create", errno);
	rc = store_lock(s, fd, tmp);
	if (rc != HAL_STORE_OK)
		goto fail;
	rc = HAL_STORE_ERROR;
	if (ftruncate(fd, 0) != 0) {
		store_fail(s, rc, tmp, "truncate", errno);
		goto fail;
	}
	/* Written zeros, not a hole or fallocate's unwritten extents: every
	 * block is allocated now, so a later write cannot fail with ENOSPC. */
	for (off = 0; off < size; off += HAL_STORE_SECTOR) {
		uint32_t n = size - off < HAL_STORE_SECTOR ? size - off : HAL_STORE_SECTOR;

		if (store_pwrite_all(fd, store_zero, n, off) != 0) {
			store_fail(s, rc, tmp, "preallocate", errno);
			goto fail;
		}
	}
	if (store_fsync(fd) != 0) {
		store_fail(s, rc, tmp, "fsync", errno);
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		store_fail(s, rc, path, "rename", errno);
		goto fail;
	}
	rc = store_sync_dir(s, path);
	if (rc != HAL_STORE_OK)
		goto fail_closed;
	*fdp = fd;
	return HAL_STORE_OK;
fail:
	(void)unlink(tmp);
fail_closed:
	(void)close(fd);
	return rc;
}

int hal_store_open_posix(struct hal_store *s, const char *path, uint32_t size, bool create)
{
	struct stat sb;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->sync_fd = -1;
	s->size = size;
	fd = store_open_fd(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
	if (fd < 0 && errno == ENOENT) {
		if (!create)
			return store_fail(s, HAL_STORE_NOENT, path, NULL, ENOENT);
		rc = store_create(s, path, size, &fd);
		if (rc != HAL_STORE_OK)
			return rc;
		s->created = true;
	} else if (fd < 0) {
		return store_fail(s, HAL_STORE_ERROR, path, NULL, errno);
	} else {
		rc = store_lock(s, fd, path);
		if (rc != HAL_STORE_OK) {
			(void)close(fd);
			return rc;
		}
	}
	if (fstat(fd, &sb) != 0) {
		rc = store_fail(s, HAL_STORE_ERROR, path, "fstat", errno);
		(void)close(fd);
		return rc;
	}
	if (!S_ISREG(sb.st_mode)) {
		store_why(s, "%s: not a regular file", path);
		(void)close(fd);
		return HAL_STORE_ERROR;
	}
	if ((uint64_t)sb.st_size != size) {
		store_why(s, "%s: %lld bytes, this build's state area is %u",
			 path, (long long)sb.st_size, (unsigned)size);
		(void)close(fd);
		return HAL_STORE_SIZE;
	}
	s->fd = fd;
	s->ops = &store_posix_ops;
	s->ctx = store_worker_start(fd);
	if (s->ctx != NULL) {
		s->ops = &store_posix_async_ops;
		s->sync_fd = ((struct store_worker *)s->ctx)->pipe_rd;
	}
	return HAL_STORE_OK;
}

/* ---- boot id -------------------------------------------------------------- */

static bool store_boot_set;
static uint8_t store_boot_id[16];

void hal_boot_id_set(const uint8_t id[16])
{
	store_boot_set = id != NULL;
	if (id != NULL)
		memcpy(store_boot_id, id, sizeof(store_boot_id));
}

static int store_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool hal_boot_id(uint8_t id[16])
{
	char text[64];
	ssize_t n;
	size_t i, k = 0;
	bool any = false;
	int fd, v;

	memset(id, 0, 16);
	if (store_boot_set) {
		memcpy(id, store_boot_id, 16);
		for (i = 0; i < 16; i++)
			any = any || id[i] != 0;
		return any;
	}
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	do
		n = read(fd, text, sizeof(text) - 1);
	while (n < 0 && errno == EINTR);
	(void)close(fd);
	if (n <= 0)
		return false;
	for (i = 0; i < (size_t)n && k < 32; i++) {
		if (text[i] == '-')
			continue;
		v = store_hex(text[i]);
		if (v < 0)
			break;
		id[k / 2] = (uint8_t)((unsigned)id[k / 2] << 4 | (unsigned)v);
		k++;
	}
	if (k != 32) {
		memset(id, 0, 16);
		return false;
	}
	for (i = 0; i < 16; i++)
		any = any || id[i] != 0;
	return any;
}
