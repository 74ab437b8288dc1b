/*
 * proc_posix.c - hal_proc over fork/execv/waitpid and plain file calls
 * (Linux).
 *
 * IMPLEMENTATION NOTES
 * - Spawning: fork(2), then in the child only async-signal-safe calls
 *   until execv(2): reset every signal to its default and unblock all,
 *   PR_SET_PDEATHSIG(SIGTERM) on Linux (a crashed ilpd takes its tor with
 *   it; tor's __OwningControllerProcess is the second line), stdin from
 *   /dev/null, stdout/stderr to the log file. Descriptors of ilpd's sockets
 *   carry O_CLOEXEC (hal_net opens them so), so the daemon inherits none.
 *   posix_spawn was not used: its file actions allocate in the parent.
 *   If execv fails the child _exit(127)s, which hal_proc_poll reports.
 * - The last error's errno is kept in a static for hal_proc_strerror().
 * - Atomic replace: open(path.tmp, O_CREAT|O_TRUNC|O_NOFOLLOW) + fchmod
 *   (the umask cannot widen or narrow the mode), full write, fsync, close,
 *   rename, then fsync of the directory so the rename survives a power cut
 *   (a Pi's SD card loses more than a server's disk).
 * - No heap.
 */
#include "hal/hal_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static int proc_errno;

static int proc_fail(void)
{
	proc_errno = errno;
	return HAL_PROC_ERROR;
}

const char *hal_proc_strerror(void)
{
	return proc_errno != 0 ? strerror(proc_errno) : "no error";
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void proc_child(const char *const argv[], const char *log_path)
{
	struct sigaction sa;
	sigset_t all;
	int fd, s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (s = 1; s < NSIG; s++)
		(void)sigaction(s, &sa, NULL);
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
#ifdef __linux__
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		(void)dup2(fd, 0);
		(void)close(fd);
	}
	fd = log_path != NULL ? open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600)
			      : open("/dev/null", O_WRONLY);
	if (fd >= 0) {
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		if (fd > 2)
			(void)close(fd);
	}
	/* execv's argv is char *const[]: the strings are not modified. */
	execv(argv[0], (char *const *)(uintptr_t)argv);
	_exit(127);
}

int hal_proc_spawn(const char *const argv[], const char *log_path, hal_pid *pid)
{
	pid_t p;

	*pid = HAL_PID_NONE;
	if (argv == NULL || argv[0] == NULL) {
		proc_errno = EINVAL;
		return HAL_PROC_ERROR;
	}
	p = fork();
	if (p < 0)
		return proc_fail();
	if (p == 0)
		proc_child(argv, log_path);
	*pid = (hal_pid)p;
	return HAL_PROC_OK;
}

int hal_proc_poll(hal_pid pid, int *code)
{
	int st = 0;
	pid_t r;

	*code = 0;
	if (pid <= 0) {
		proc_errno = ESRCH;
		return HAL_PROC_ERROR;
	}
	do {
		r = waitpid((pid_t)pid, &st, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return proc_fail();
	if (r == 0)
		return HAL_PROC_RUNNING;
	if (WIFSIGNALED(st)) {
		*code = WTERMSIG(st);
		return HAL_PROC_SIGNALLED;
	}
	*code = WEXITSTATUS(st);
	return HAL_PROC_EXITED;
}

int hal_proc_wait_ms(hal_pid pid, int timeout_ms, int *code)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int waited = 0, r;

	for (;;) {
		r = hal_proc_poll(pid, code);
		if (r != HAL_PROC_RUNNING || waited >= timeout_ms)
			return r;
		(void)nanosleep(&ts, NULL);
		waited += 20;
	}
}

int hal_proc_signal(hal_pid pid, enum hal_proc_signal sig)
{
	if (pid <= 0) {
		proc_errno = ESRCH;
		return HAL_PROC_ERROR;
	}
	if (kill((pid_t)pid, sig == HAL_PROC_KILL ? SIGKILL : SIGTERM) != 0)
		return proc_fail();
	return HAL_PROC_OK;
}

hal_pid hal_proc_self(void)
{
	return (hal_pid)getpid();
}

int hal_proc_executable(const char *path)
{
	struct stat st;

	if (path == NULL || path[0] == '\0') {
		proc_errno = ENOENT;
		return HAL_PROC_NOENT;
	}
	if (stat(path, &st) != 0) {
		proc_errno = errno;
		return errno == ENOENT ? HAL_PROC_NOENT : HAL_PROC_ERROR;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0 || access(path, X_OK) != 0) {
		proc_errno = EACCES;
		return HAL_PROC_PERM;
	}
	return HAL_PROC_OK;
}

int hal_file_read(const char *path, void *buf, size_t cap, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char extra;
	int fd;

	*len = 0;
	/* O_NONBLOCK: a FIFO without a writer must not block the open (the
	 * caller is the event loop); it is refused below as not regular. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		proc_errno = errno;
		return errno == ENOENT ? HAL_PROC_NOENT : HAL_PROC_ERROR;
	}
	if (fstat(fd, &st) != 0)
		st.st_mode = 0;
	if (!S_ISREG(st.st_mode)) {
		proc_errno = EINVAL;
		(void)close(fd);
		return HAL_PROC_ERROR;
	}
	for (;;) {
		ssize_t r = read(fd, got < cap ? (char *)buf + got : &extra,
				 got < cap ? cap - got : 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int rc = proc_fail();

			(void)close(fd);
			return rc;
		}
		if (r == 0)
			break;
		if (got >= cap) {
			(void)close(fd);
			return HAL_PROC_TOOBIG;
		}
		got += (size_t)r;
	}
	(void)close(fd);
	*len = got;
	return HAL_PROC_OK;
}

/* dir = the directory part of path ("." if none). */
static int path_dir(const char *path, char dir[HAL_PATH_MAX])
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		memcpy(dir, ".", 2);
		return HAL_PROC_OK;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= HAL_PATH_MAX)
		return HAL_PROC_TOOBIG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return HAL_PROC_OK;
}

static int write_all(int fd, const void *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t r = write(fd, (const char *)buf + off, n - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return proc_fail();
		off += (size_t)r;
	}
	return HAL_PROC_OK;
}

static void fsync_dir(const char *path)
{
	char dir[HAL_PATH_MAX];
	int fd;

	if (path_dir(path, dir) != HAL_PROC_OK)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		(void)close(fd);
	}
}

int hal_file_write_atomic(const char *path, const void *buf, size_t n,
			  unsigned mode)
{
	char tmp[HAL_PATH_MAX];
	size_t pl = strlen(path);
	int fd, rc;

	if (pl == 0 || pl + 5 > sizeof(tmp)) {
		proc_errno = ENAMETOOLONG;
		return HAL_PROC_ERROR;
	}
	memcpy(tmp, path, pl);
	memcpy(tmp + pl, ".tmp", 5);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  (mode_t)(mode & 0777));
	if (fd < 0)
		return proc_fail();
	rc = fchmod(fd, (mode_t)(mode & 0777)) == 0 ? HAL_PROC_OK : proc_fail();
	if (rc == HAL_PROC_OK)
		rc = write_all(fd, buf, n);
	if (rc == HAL_PROC_OK && fsync(fd) != 0)
		rc = proc_fail();
	if (close(fd) != 0 && rc == HAL_PROC_OK)
		rc = proc_fail();
	if (rc == HAL_PROC_OK && rename(tmp, path) != 0)
		rc = proc_fail();
	if (rc != HAL_PROC_OK) {
		(void)unlink(tmp);
		return rc;
	}
	fsync_dir(path);
	return HAL_PROC_OK;
}

/* mkdir one component; an existing one is fine. */
static int mkdir_one(const char *p)
{
	if (mkdir(p, 0700) == 0 || errno == EEXIST)
		return HAL_PROC_OK;
	proc_errno = errno;
	return errno == ENOENT ? HAL_PROC_NOENT : HAL_PROC_ERROR;
}

int hal_dir_private(const char *path)
{
	char p[HAL_PATH_MAX];
	struct stat st;
	size_t n, i;
	int rc;

	n = path != NULL ? strlen(path) : 0;
	if (n == 0 || n >= sizeof(p)) {
		proc_errno = n == 0 ? ENOENT : ENAMETOOLONG;
		return HAL_PROC_ERROR;
	}
	memcpy(p, path, n + 1);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (i = 1; i < n; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		rc = mkdir_one(p);
		p[i] = '/';
		if (rc != HAL_PROC_OK)
			return rc;
	}
	if ((rc = mkdir_one(p)) != HAL_PROC_OK)
		return rc;
	if (stat(p, &st) != 0)
		return proc_fail();
	if (!S_ISDIR(st.st_mode)) {
		proc_errno = ENOTDIR;
		return HAL_PROC_ERROR;
	}
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		proc_errno = EACCES;
		return HAL_PROC_PERM;
	}
	return HAL_PROC_OK;
}
