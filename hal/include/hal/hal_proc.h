/*
 * hal_proc.h - child processes and small private files: what ilpd needs to
 * run a tor/anon daemon itself and to keep its onion key (firmware/
 * transport.c). The POSIX backend is hal/posix/proc_posix.c; a board
 * without processes or files returns HAL_PROC_UNSUPPORTED everywhere.
 *
 * Memory: no objects; paths are built in stack buffers of HAL_PATH_MAX
 * bytes. No heap in ilpd's code; fork(2)/execv(2) may allocate inside libc
 * in the child before exec, which does not touch ilpd's memory.
 * Thread/ISR: call from the event loop's thread only. Every call returns at
 * once except hal_file_write_atomic (fsync) and hal_proc_wait_ms (bounded
 * by its timeout).
 */
#ifndef HAL_PROC_H
#define HAL_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Results (negative) of the calls below; >= 0 is success. */
enum hal_proc_result {
	HAL_PROC_OK = 0,
	HAL_PROC_ERROR = -1,        /* system call failed (errno-style reason
				     * in why, when the call takes one) */
	HAL_PROC_NOENT = -2,        /* no such file or directory */
	HAL_PROC_TOOBIG = -3,       /* file larger than the caller's buffer */
	HAL_PROC_PERM = -4,         /* a private directory is not private
				     * (group/world bits, other owner) */
	HAL_PROC_UNSUPPORTED = -5
};

/* Longest path handled, NUL included. */
#define HAL_PATH_MAX 512

typedef long hal_pid;
#define HAL_PID_NONE (-1L)

/* Starts argv[0] (a path: no PATH search) with arguments argv (NULL
 * terminated) and the parent's environment. stdin is /dev/null; stdout and
 * stderr go to log_path (created 0600, appended) or /dev/null if log_path
 * is NULL. The child gets default signal dispositions and an empty signal
 * mask and, on Linux, SIGTERM when ilpd dies (PR_SET_PDEATHSIG). It stays
 * in ilpd's process group. A program that cannot be executed shows as an
 * exit with status 127. HAL_PROC_OK and *pid, or HAL_PROC_ERROR. */
int hal_proc_spawn(const char *const argv[], const char *log_path, hal_pid *pid);

enum hal_proc_state {
	HAL_PROC_RUNNING = 0,
	HAL_PROC_EXITED = 1,        /* *code = exit status */
	HAL_PROC_SIGNALLED = 2      /* *code = signal number */
};

/* Checks a child without blocking (reaps it once it ended: later calls for
 * the same pid return HAL_PROC_ERROR). Returns an enum hal_proc_state or
 * HAL_PROC_ERROR (not our child). */
int hal_proc_poll(hal_pid pid, int *code);

/* Waits up to timeout_ms for the child to end (polling every 20 ms);
 * returns like hal_proc_poll (HAL_PROC_RUNNING on timeout). */
int hal_proc_wait_ms(hal_pid pid, int timeout_ms, int *code);

enum hal_proc_signal { HAL_PROC_TERM = 0, HAL_PROC_KILL = 1 };
int hal_proc_signal(hal_pid pid, enum hal_proc_signal sig);

/* ilpd's own process id (__OwningControllerProcess). */
hal_pid hal_proc_self(void);

/* HAL_PROC_OK if path is a regular file this process may execute. */
int hal_proc_executable(const char *path);

/* Reads the whole regular file at path into buf (cap bytes; no NUL added):
 * HAL_PROC_OK and *len, HAL_PROC_NOENT, HAL_PROC_TOOBIG (more than cap
 * bytes) or HAL_PROC_ERROR. */
int hal_file_read(const char *path, void *buf, size_t cap, size_t *len);

/* Replaces path with buf[0..n) atomically: writes path.tmp with `mode`
 * (e.g. 0600, umask ignored), fsyncs it, renames it over path and fsyncs
 * the directory. Readers see the old or the new content, never a part. */
int hal_file_write_atomic(const char *path, const void *buf, size_t n,
			  unsigned mode);

/* mkdir -p path, creating missing components with mode 0700. The last
 * component must then be a directory owned by this user with no group or
 * world permission bits (tor refuses its DataDirectory otherwise):
 * HAL_PROC_PERM if not. */
int hal_dir_private(const char *path);

/* A short text for the last HAL_PROC_ERROR of this thread (strerror). */
const char *hal_proc_strerror(void);

#endif /* HAL_PROC_H */
