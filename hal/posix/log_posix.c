/*
 * log_posix.c - hal_log for Linux: structured lines on stderr and/or
 * syslog(3).
 *
 * IMPLEMENTATION NOTES
 * - A line is built in a stack buffer of HAL_LOG_LINE_MAX bytes:
 *     ts=<UTC, ms> level=<name> event=<event>[ <caller's fmt>]\n
 *   A longer line is cut and ends in "...". Control bytes anywhere in the
 *   line (a stray newline in a value) become '?', so a line is always
 *   exactly one event; values that may hold spaces or quotes must
 *   go through hal_log_quote() anyway.
 * - stderr gets the line with one write(2) (no stdio buffer, so lines from
 *   one process never interleave, and a pipe write <= PIPE_BUF is atomic).
 *   A partial write is finished; a write that would block or fails drops
 *   the rest of the line (logging must not stop the daemon).
 * - syslog: glibc 2.36 formats a message in a 1 KiB stack buffer and
 *   malloc()s only when "<pri>timestamp ident[pid]: " plus the message
 *   does not fit, and localtime_r() loads the time zone (malloc) on first
 *   use. So hal_log_setup() calls tzset() and openlog("ilpd", LOG_PID |
 *   LOG_NDELAY, LOG_DAEMON) at start-up, and each message passed to
 *   syslog() starts at "level=" (syslog stamps its own time) and is cut to
 *   HAL_LOG_SYSLOG_MAX bytes; measured: no allocation per message.
 * - gmtime_r() of UTC needs no time-zone data; hal_log_setup() still makes
 *   one call so that any lazy initialisation inside libc happens there.
 * - Before hal_log_setup() lines go to stderr at level info.
 * - The journal: when JOURNAL_STREAM ("DEV:INODE", set by systemd) names
 *   the file stderr is, hal_log_setup() turns on sd-daemon(3) prefixes:
 *   each stderr line starts with "<3>" (error), "<4>" (warn), "<6>"
 *   (info) or "<7>" (debug), which journald strips and stores as the
 *   line's priority. The prefixed line is built in a third stack buffer
 *   and still written with one write(2).
 * - Lines at info and above pass hal_log_redact() (hal_log.h) after they
 *   are formatted: one pass over the line into a second stack buffer.
 */
#include "hal/hal_log.h"
#include "hal/hal_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define HAL_LOG_LINE_MAX 1024   /* bytes per line, newline included */
#define HAL_LOG_SYSLOG_MAX 900  /* keeps glibc's vsyslog off the heap */

static struct hal_log_cfg log_cfg = { HAL_LOG_INFO, 1, 0 };
static int log_syslog_open;
static int log_journal;   /* 1: stderr is the journal: "<N>" prefixes */

static const char *const log_level_name[] = { "debug", "info", "warn", "error" };

static char log_suffix[HAL_LOG_SUFFIX_MAX][16] = { ".onion", ".anyone", ".anon" };
static size_t log_nsuffix = 3;

void hal_log_set_onion_suffixes(const char (*suffix)[16], size_t n)
{
	size_t i;

	if (n > HAL_LOG_SUFFIX_MAX)
		n = HAL_LOG_SUFFIX_MAX;
	for (i = 0; i < n; i++)
		(void)snprintf(log_suffix[i], sizeof(log_suffix[i]), "%s", suffix[i]);
	log_nsuffix = n;
}

static int log_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int log_b32_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

/* True if tok[0..n) (a host-name token) is an onion name or a bare v3 id. */
static int log_is_onion(const char *tok, size_t n)
{
	size_t i, j;

	while (n > 0 && tok[n - 1] == '.')
		n--;
	if (n == 56) {
		for (i = 0; i < n && log_b32_char(tok[i]); i++)
			;
		if (i == n)
			return 1;
	}
	for (i = 0; i < log_nsuffix; i++) {
		size_t sn = strlen(log_suffix[i]);

		if (sn == 0 || n <= sn)
			continue;
		for (j = 0; j < sn; j++) {
			char c = tok[n - sn + j];

			if ((c >= 'A' && c <= 'Z' ? (char)(c + 32) : c) != log_suffix[i][j])
				break;
		}
		if (j == sn)
			return 1;
	}
	return 0;
}

size_t hal_log_redact(const char *in, size_t len, char *out, size_t cap)
{
	static const char mark[] = "[onion]";
	size_t r = 0, w = 0;

	if (cap == 0)
		return 0;
	while (r < len && w < cap) {
		size_t n = 0;
		const char *src;
		size_t sn;

		if (!log_host_char(in[r])) {
			out[w++] = in[r++];
			continue;
		}
		while (r + n < len && log_host_char(in[r + n]))
			n++;
		src = log_is_onion(in + r, n) ? mark : in + r;
		sn = src == mark ? sizeof(mark) - 1 : n;
		if (sn > cap - w)
			sn = cap - w;
		memcpy(out + w, src, sn);
		w += sn;
		r += n;
	}
	return w;
}

/* 1 if JOURNAL_STREAM names stderr's device and inode (sd-daemon(3)). */
static int log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (js == NULL || fstat(STDERR_FILENO, &st) != 0)
		return 0;
	errno = 0;
	dev = strtoull(js, &end, 10);
	if (errno != 0 || end == js || *end != ':')
		return 0;
	js = end + 1;
	ino = strtoull(js, &end, 10);
	if (errno != 0 || end == js || *end != '\0')
		return 0;
	return dev == (unsigned long long)st.st_dev &&
	       ino == (unsigned long long)st.st_ino;
}

void hal_log_setup(const struct hal_log_cfg *cfg)
{
	struct tm tm;
	time_t t = 0;

	if (cfg != NULL)
		log_cfg = *cfg;
	if (log_cfg.level < HAL_LOG_DEBUG)
		log_cfg.level = HAL_LOG_DEBUG;
	(void)gmtime_r(&t, &tm);
	log_journal = log_stderr_is_journal();
	if (log_cfg.to_syslog && !log_syslog_open) {
		tzset();
		openlog("ilpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog_open = 1;
	} else if (!log_cfg.to_syslog && log_syslog_open) {
		closelog();
		log_syslog_open = 0;
	}
}

int hal_log_enabled(int level)
{
	return level >= log_cfg.level;
}

/* "ts=2026-11-22T10:00:00.123Z level=info event=x"; returns its length. */
static size_t log_prefix(char *buf, size_t cap, int level, const char *event)
{
	int64_t ms = hal_wall_ms();
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	int r;

	if (gmtime_r(&secs, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	r = snprintf(buf, cap,
		     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s event=%s",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (int)(ms % 1000),
		     log_level_name[level], event != NULL ? event : "-");
	if (r < 0)
		return 0;
	return (size_t)r < cap ? (size_t)r : cap - 1;
}

static void log_write_all(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		n -= (size_t)r;
	}
}

static void log_syslog(int level, const char *msg, size_t n)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };

	if (n > HAL_LOG_SYSLOG_MAX)
		n = HAL_LOG_SYSLOG_MAX;
	syslog(prio[level], "%.*s", (int)n, msg);
}

void hal_log(int level, const char *event, const char *fmt, ...)
{
	char line[HAL_LOG_LINE_MAX + 1];
	size_t len, i;
	const char *lvl;
	va_list ap;
	int r;

	if (level < log_cfg.level || (!log_cfg.to_stderr && !log_cfg.to_syslog))
		return;
	if (level > HAL_LOG_ERROR)
		level = HAL_LOG_ERROR;
	len = log_prefix(line, HAL_LOG_LINE_MAX, level, event);
	if (fmt != NULL && fmt[0] != '\0' && len < HAL_LOG_LINE_MAX - 2) {
		line[len++] = ' ';
		va_start(ap, fmt);
		r = vsnprintf(line + len, HAL_LOG_LINE_MAX - len, fmt, ap);
		va_end(ap);
		if (r < 0) {
			len--;
		} else if ((size_t)r >= HAL_LOG_LINE_MAX - len) {
			len = HAL_LOG_LINE_MAX - 1;
			memcpy(line + len - 3, "...", 3);
		} else {
			len += (size_t)r;
		}
	}
	/* The prefix is clean unless an event name was not; check it all. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			line[i] = '?';
	}
	if (level >= HAL_LOG_INFO) {
		char scrub[HAL_LOG_LINE_MAX + 1];

		len = hal_log_redact(line, len, scrub, HAL_LOG_LINE_MAX - 1);
		memcpy(line, scrub, len);
	}
	line[len] = '\n';
	line[len + 1] = '\0';  /* len + 1 <= HAL_LOG_LINE_MAX: it fits */
	if (log_cfg.to_stderr && log_journal) {
		static const char prio[] = { '7', '6', '4', '3' };
		char jl[HAL_LOG_LINE_MAX + 4];

		jl[0] = '<';
		jl[1] = prio[level];
		jl[2] = '>';
		memcpy(jl + 3, line, len + 1);
		log_write_all(STDERR_FILENO, jl, len + 4);
	} else if (log_cfg.to_stderr) {
		log_write_all(STDERR_FILENO, line, len + 1);
	}
	if (log_cfg.to_syslog && log_syslog_open) {
		lvl = strstr(line, " level=");
		if (lvl != NULL) {
			lvl++;
			log_syslog(level, lvl, len - (size_t)(lvl - line));
		}
	}
}

/* The escaped form of c in esc[4]; returns its length. */
static size_t log_escape(unsigned char c, char esc[4])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		esc[0] = '\\';
		esc[1] = (char)c;
		return 2;
	}
	if (c < 0x20 || c == 0x7f) {
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[c >> 4];
		esc[3] = hex[c & 0xf];
		return 4;
	}
	esc[0] = (char)c;
	return 1;
}

const char *hal_log_quote(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0, i, need, total = 2;
	char esc[4];
	int cut;

	if (out == NULL || cap == 0)
		return "";
	if (cap < 3) {          /* not even "" fits */
		out[0] = '\0';
		return out;
	}
	if (s == NULL)
		n = 0;
	for (i = 0; i < n && total < cap; i++)
		total += log_escape((unsigned char)s[i], esc);
	/* Cut: keep room for "...", the closing quote and the NUL. */
	cut = total + 1 > cap;
	out[o++] = '"';
	for (i = 0; i < n; i++) {
		need = log_escape((unsigned char)s[i], esc);
		if (cut && o + need + 3 + 2 > cap)
			break;
		memcpy(out + o, esc, need);
		o += need;
	}
	if (cut && o + 3 + 2 <= cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

int hal_log_level_parse(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = HAL_LOG_DEBUG; i <= HAL_LOG_ERROR; i++) {
		if (strcmp(s, log_level_name[i]) == 0)
			return i;
	}
	return -1;
}
