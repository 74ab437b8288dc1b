/*
 * hal_log.h - structured logging: one event per line,
 *
 *   ts=2026-11-22T10:00:00.123Z level=info event=peer.up peer=alice relation=child
 *
 * `event` is a stable dotted name (documented in docs/ilpd.8); the rest are
 * key=value pairs written by the caller's format. Values with spaces or
 * quotes must be written with hal_log_quote(). Secrets (tokens) are never
 * passed here. Lines go to stderr and/or syslog(3) (POSIX backend); when
 * stderr is systemd's journal (JOURNAL_STREAM), each stderr line carries an
 * sd-daemon "<N>" priority prefix.
 * Memory: two 1 KiB line buffers on the stack (three with the journal);
 * no heap.
 */
#ifndef HAL_LOG_H
#define HAL_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum hal_log_level {
	HAL_LOG_DEBUG = 0,
	HAL_LOG_INFO = 1,
	HAL_LOG_WARN = 2,
	HAL_LOG_ERROR = 3
};

struct hal_log_cfg {
	int level;          /* lowest level written */
	int to_stderr;      /* 1: write lines to stderr */
	int to_syslog;      /* 1: also syslog(3) with ident "ilpd" */
};

void hal_log_setup(const struct hal_log_cfg *cfg);
int hal_log_enabled(int level);

/* Writes one line. fmt continues the line after "event=<event> ". */
void hal_log(int level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Copies s into out (cap bytes) as a double-quoted value with \" and \\
 * escaped and control bytes as \xNN; returns out. */
const char *hal_log_quote(const char *s, size_t n, char *out, size_t cap);

/* Onion-address redaction. Every line at level info or above is scrubbed
 * before it is written: a host-name token (letters, digits, '-', '.')
 * that ends in one of the onion suffixes (case-insensitive; default
 * ".onion", ".anyone", ".anon") and any bare 56-character base32 run (a v3
 * onion id) become "[onion]". Debug lines are written as they are. This is
 * the last line of defence: callers still keep onion hosts out of
 * info-level events. hal_log_set_onion_suffixes copies up to
 * HAL_LOG_SUFFIX_MAX suffixes of up to 15 characters (longer are cut). */
#define HAL_LOG_SUFFIX_MAX 4
void hal_log_set_onion_suffixes(const char (*suffix)[16], size_t n);

/* Writes in[0..len) scrubbed as described above into out[0..cap) (cut at
 * cap); returns the length written. No NUL is added. Exposed for tests. */
size_t hal_log_redact(const char *in, size_t len, char *out, size_t cap);

/* Parses "debug", "info", "warn", "error"; -1 if unknown. */
int hal_log_level_parse(const char *s);

#endif /* HAL_LOG_H */
