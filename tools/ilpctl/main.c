/*
 * main.c - ilpctl: argument parsing, single and batch modes, exit codes.
 * The contract is docs/ilpctl.md. Every buffer is static (no heap); batch
 * mode reads stdin with read(2) so it never waits for more than one line.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ilpctl.h"
#include "net/json_out.h"
#ifdef ILPCTL_LOADGEN
#include "loadgen.h"
#endif
#include "admin.h"
#include "routes.h"
#include "settlement.h"

#ifndef ILPCTL_VERSION
#define ILPCTL_VERSION "unknown"
#endif

enum {
	ILPCTL_EXIT_OK = 0,
	ILPCTL_EXIT_INVALID = 1,
	ILPCTL_EXIT_USAGE = 2,
	ILPCTL_EXIT_IO = 3
};

enum ilpctl_cmd { ILPCTL_CMD_DECODE, ILPCTL_CMD_ENCODE };

struct ilpctl_opts {
	enum ilpctl_cmd cmd;
	enum ilpctl_kind kind;
	bool batch;
	const char *input;   /* the HEX or JSON argument, or NULL */
};

/* One input line (+1 spare byte) and one output line. */
static uint8_t ilpctl_line[ILPCTL_LINE_MAX + 1];
static char ilpctl_out[ILPCTL_OUT_MAX];

/* Batch reader: a chunk of stdin and how much of it is used. */
static struct {
	uint8_t buf[64 * 1024];
	size_t pos, len;
	bool eof;
} ilpctl_rd;

static int ilpctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int ilpctl_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("ilpctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ilpctl --help'.\n", stderr);
	return -1;
}

/* Parses the options after the subcommand. Returns 0 to run, 1 if help was
 * printed, -1 on a usage error (reported). */
static int ilpctl_parse_sub(int argc, char **argv, struct ilpctl_opts *o)
{
	const char *kind = NULL;
	bool only_pos = false;
	int i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!only_pos && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			ilpctl_help(stdout);
			return 1;
		} else if (!only_pos && strcmp(a, "--batch") == 0) {
			o->batch = true;
		} else if (!only_pos && strcmp(a, "--kind") == 0) {
			if (++i == argc)
				return ilpctl_usage("%s needs a KIND", a);
			kind = argv[i];
		} else if (!only_pos && strncmp(a, "--kind=", 7) == 0) {
			kind = a + 7;
		} else if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = true;
		} else if (!only_pos && a[0] == '-' && a[1] != '\0') {
			return ilpctl_usage("unknown option '%s'", a);
		} else if (o->input != NULL) {
			return ilpctl_usage("unexpected argument '%s'", a);
		} else {
			o->input = a;
		}
	}
	if (kind != NULL && ilpctl_kind_parse(kind, &o->kind) != 0)
		return ilpctl_usage("unknown kind '%s'", kind);
	if (o->batch && o->input != NULL)
		return ilpctl_usage("--batch takes no %s argument",
				    o->cmd == ILPCTL_CMD_DECODE ? "HEX" : "JSON");
	if (!o->batch && o->input == NULL)
		return ilpctl_usage("missing %s argument (or --batch)",
				    o->cmd == ILPCTL_CMD_DECODE ? "HEX" : "JSON");
	return 0;
}

static int ilpctl_parse(int argc, char **argv, struct ilpctl_opts *o)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	memset(o, 0, sizeof(*o));
	o->kind = ILPCTL_AUTO;
	if (cmd == NULL)
		return ilpctl_usage("missing command (decode, encode, send or sink)");
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		ilpctl_help(stdout);
		return 1;
	}
	if (strcmp(cmd, "--version") == 0) {
		puts("ilpctl " ILPCTL_VERSION);
		return 1;
	}
	if (strcmp(cmd, "decode") == 0)
		o->cmd = ILPCTL_CMD_DECODE;
	else if (strcmp(cmd, "encode") == 0)
		o->cmd = ILPCTL_CMD_ENCODE;
	else
		return ilpctl_usage("unknown command '%s'", cmd);
	return ilpctl_parse_sub(argc, argv, o);
}

/* Runs one input through decode or encode into w. */
static int ilpctl_run(const struct ilpctl_opts *o, uint8_t *line, size_t len,
		      struct jout *w, struct ilpctl_err *e)
{
	jout_init(w, ilpctl_out, sizeof(ilpctl_out));
	if (o->cmd == ILPCTL_CMD_DECODE)
		return ilpctl_decode(o->kind, line, len, w, e);
	return ilpctl_encode(o->kind, line, len, w, e);
}

static int ilpctl_single(const struct ilpctl_opts *o)
{
	struct ilpctl_err e;
	struct jout w;
	size_t len = strlen(o->input);
	int r;

	if (len > ILPCTL_LINE_MAX)
		r = ilpctl_fail(&e, o->kind, "input longer than %u bytes",
				(unsigned)ILPCTL_LINE_MAX);
	else
		r = ilpctl_run(o, (uint8_t *)memcpy(ilpctl_line, o->input, len),
			       len, &w, &e);
	if (r != 0) {
		fprintf(stderr, "ilpctl: invalid %s: %s\n", e.kind, e.why);
		return ILPCTL_EXIT_INVALID;
	}
	fwrite(w.buf, 1, w.len, stdout);
	fputc('\n', stdout);
	return fflush(stdout) == 0 ? ILPCTL_EXIT_OK : ILPCTL_EXIT_IO;
}

/* Refills the reader, flushing stdout first since read() may block.
 * Returns 0, or -1 on an I/O error. */
static int ilpctl_fill(void)
{
	ssize_t r;

	if (fflush(stdout) != 0)
		return -1;
	do
		r = read(STDIN_FILENO, ilpctl_rd.buf, sizeof(ilpctl_rd.buf));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	ilpctl_rd.pos = 0;
	ilpctl_rd.len = (size_t)r;
	ilpctl_rd.eof = r == 0;
	return 0;
}

/* Reads one line (without its newline) into line[0..cap). Returns 1 with a
 * line, 0 at the end of input, -1 on an I/O error. A longer line is skipped
 * to its end and reported through *too_long. */
static int ilpctl_read_line(uint8_t *line, size_t cap, size_t *len, bool *too_long)
{
	bool any = false;

	*len = 0;
	*too_long = false;
	for (;;) {
		const uint8_t *s, *nl;
		size_t avail, take;

		if (ilpctl_rd.pos == ilpctl_rd.len) {
			if (ilpctl_rd.eof || ilpctl_fill() != 0)
				return ilpctl_rd.eof ? (any ? 1 : 0) : -1;
			continue;
		}
		any = true;
		s = ilpctl_rd.buf + ilpctl_rd.pos;
		avail = ilpctl_rd.len - ilpctl_rd.pos;
		nl = memchr(s, '\n', avail);
		take = nl != NULL ? (size_t)(nl - s) : avail;
		if (!*too_long && take > cap - *len)
			*too_long = true;
		if (!*too_long) {
			memcpy(line + *len, s, take);
			*len += take;
		}
		ilpctl_rd.pos += take + (nl != NULL ? 1 : 0);
		if (nl != NULL)
			return 1;
	}
}

/* Prints the result line for one batch input. */
static void ilpctl_batch_result(const struct ilpctl_opts *o, int r,
				struct jout *w, const struct ilpctl_err *e)
{
	if (r == 0) {
		fwrite(w->buf, 1, w->len, stdout);
	} else if (o->cmd == ILPCTL_CMD_DECODE) {
		jout_init(w, ilpctl_out, sizeof(ilpctl_out));
		jout_begin_object(w);
		jout_key(w, "error");
		jout_utf8(w, (const uint8_t *)e->why, strlen(e->why));
		jout_end_object(w);
		fwrite(w->buf, 1, w->len, stdout);
	} else {
		fprintf(stdout, "error: %s", e->why);
	}
	fputc('\n', stdout);
}

static int ilpctl_batch(const struct ilpctl_opts *o)
{
	struct ilpctl_err e;
	struct jout w;
	size_t len;
	bool too_long;
	int r;

	while ((r = ilpctl_read_line(ilpctl_line, ILPCTL_LINE_MAX, &len,
				     &too_long)) == 1) {
		if (len > 0 && ilpctl_line[len - 1] == '\r')
			len--;
		jout_init(&w, ilpctl_out, sizeof(ilpctl_out));
		if (too_long)
			r = ilpctl_fail(&e, o->kind, "input line longer than %u bytes",
					(unsigned)ILPCTL_LINE_MAX);
		else
			r = ilpctl_run(o, ilpctl_line, len, &w, &e);
		ilpctl_batch_result(o, r, &w, &e);
		if (ferror(stdout))
			return ILPCTL_EXIT_IO;
	}
	if (r < 0) {
		fprintf(stderr, "ilpctl: reading standard input: %s\n", strerror(errno));
		return ILPCTL_EXIT_IO;
	}
	return fflush(stdout) == 0 ? ILPCTL_EXIT_OK : ILPCTL_EXIT_IO;
}

int main(int argc, char **argv)
{
	struct ilpctl_opts o;
	int r;

#ifdef ILPCTL_LOADGEN
	if (argc > 1 && strcmp(argv[1], "send") == 0)
		return ilpctl_send_main(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "sink") == 0 || strcmp(argv[1], "receive") == 0))
		return ilpctl_sink_main(argc - 1, argv + 1);
#endif
	if (argc > 1 && strcmp(argv[1], "routes") == 0)
		return ilpctl_routes_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "admin") == 0)
		return ilpctl_admin_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "settlement") == 0)
		return ilpctl_settlement_main(argc - 1, argv + 1);
	r = ilpctl_parse(argc, argv, &o);
	if (r != 0)
		return r > 0 ? ILPCTL_EXIT_OK : ILPCTL_EXIT_USAGE;
	return o.batch ? ilpctl_batch(&o) : ilpctl_single(&o);
}
