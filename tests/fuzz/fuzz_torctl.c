/*
 * fuzz_torctl.c - libFuzzer target for the tor control protocol engine
 * (net/torctl.h): the input is a control-port byte stream. Byte 0 picks a
 * chunk size for a second pass (1..256), the rest is read once whole and
 * once in chunks; every reply line is also given to every parser, and to
 * the command builders as an argument.
 *
 * Properties (a violation traps; reads outside the input are ASan's):
 * - torctl_read returns OK, NEED_MORE or INVALID; consumed is 1..n; a line
 *   has 0 <= len <= TORCTL_LINE_MAX, strlen(text) == len, no LF in text,
 *   status 200..699 (async iff >= 600); INVALID is sticky.
 * - Both passes yield the same lines and the same final result.
 * - Parsers return only their documented codes; what they store is a valid
 *   id / key / progress 0..100, NUL-terminated within its buffer.
 * - A builder that accepts an argument writes exactly one CRLF, at the end.
 */
#include <string.h>

#include "fuzz_util.h"
#include "net/torctl.h"

#define MAX_LINES 512

struct pass {
	uint32_t hash[MAX_LINES];
	size_t nlines;
	int rc;
};

static uint32_t fnv(const char *s, size_t n, uint32_t h)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void check_builders(const char *s, size_t n)
{
	char out[TORCTL_CMD_MAX], arg[TORCTL_LINE_MAX + 1];
	size_t len, i, crlf = 0;

	memcpy(arg, s, n);
	arg[n] = '\0';
	if (torctl_cmd_getinfo(out, sizeof(out), arg, &len) == ILP_OK ||
	    torctl_cmd_setevents(out, sizeof(out), arg, &len) == ILP_OK ||
	    torctl_cmd_auth_password(out, sizeof(out), arg, &len) == ILP_OK ||
	    torctl_cmd_add_onion(out, sizeof(out), arg, 80, "127.0.0.1", 1, &len) == ILP_OK) {
		FUZZ_CHECK(len >= 2 && len <= sizeof(out));
		for (i = 0; i < len; i++)
			crlf += out[i] == '\n' || out[i] == '\r';
		FUZZ_CHECK(crlf == 2 && out[len - 2] == '\r' && out[len - 1] == '\n');
	}
}

static void check_parsers(const struct torctl_line *l)
{
	struct torctl_protocolinfo pi;
	struct torctl_bootstrap b;
	struct torctl_onion o;
	struct torctl_hs_desc ev;
	char buf[64];
	size_t used;
	int r;

	torctl_protocolinfo_init(&pi);
	r = torctl_parse_protocolinfo(&pi, l->text, l->len);
	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_INVALID);
	FUZZ_CHECK(memchr(pi.cookie_file, '\0', sizeof(pi.cookie_file)) != NULL);
	r = torctl_parse_bootstrap(l->text, l->len, &b);
	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_INVALID);
	if (r == ILP_OK)
		FUZZ_CHECK(b.progress >= 0 && b.progress <= 100);
	FUZZ_CHECK(memchr(b.summary, '\0', sizeof(b.summary)) != NULL);
	torctl_onion_init(&o);
	r = torctl_parse_add_onion(&o, l->text, l->len);
	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_INVALID);
	FUZZ_CHECK(o.id[0] == '\0' || torctl_id_valid(o.id, strlen(o.id)));
	FUZZ_CHECK(o.key[0] == '\0' || torctl_key_valid(o.key, strlen(o.key)));
	r = torctl_parse_hs_desc(l->text, l->len, &ev);
	FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_INVALID || r == ILP_ERR_NOT_FOUND);
	FUZZ_CHECK(ev.address[0] == '\0' || torctl_id_valid(ev.address, strlen(ev.address)));
	if (l->len > 0 && l->text[0] == '"') {
		r = torctl_unquote(l->text, l->len, buf, sizeof(buf), &used);
		FUZZ_CHECK(r == ILP_OK || r == ILP_ERR_INVALID || r == ILP_ERR_OVERFLOW);
		FUZZ_CHECK(used <= l->len && strlen(buf) < sizeof(buf));
	}
	check_builders(l->text, l->len);
}

static void check_line(const struct torctl_line *l)
{
	FUZZ_CHECK(l->len <= TORCTL_LINE_MAX && strlen(l->text) == l->len);
	FUZZ_CHECK(memchr(l->text, '\n', l->len) == NULL);
	FUZZ_CHECK(l->status >= 200 && l->status <= 699);
	FUZZ_CHECK(l->async == (l->status >= 600));
	FUZZ_CHECK(l->kind <= TORCTL_DATA_END);
}

static void run(const uint8_t *p, size_t n, size_t step, struct pass *ps, bool parse)
{
	struct torctl_reader r;
	struct torctl_line l;
	size_t off = 0, used;
	int rc = ILP_ERR_NEED_MORE;

	memset(ps, 0, sizeof(*ps));
	torctl_reader_init(&r);
	while (off < n) {
		size_t end = step == 0 || n - off < step ? n : off + step;

		while (off < end) {
			rc = torctl_read(&r, p + off, end - off, &used, &l);
			FUZZ_CHECK(rc == ILP_OK || rc == ILP_ERR_NEED_MORE ||
				   rc == ILP_ERR_INVALID);
			FUZZ_CHECK(used >= 1 && used <= end - off);
			off += used;
			if (rc != ILP_OK)
				break;
			check_line(&l);
			if (parse && l.kind == TORCTL_REPLY)
				check_parsers(&l);
			if (ps->nlines < MAX_LINES)
				ps->hash[ps->nlines] = fnv(l.text, l.len,
							   (uint32_t)l.status * 31u + l.kind);
			ps->nlines++;
		}
		if (rc == ILP_ERR_INVALID) {
			FUZZ_CHECK(torctl_read(&r, (const uint8_t *)"250 OK\r\n", 8, &used,
					       &l) == ILP_ERR_INVALID);
			break;
		}
	}
	ps->rc = rc == ILP_ERR_INVALID ? rc : ILP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pass a, b;
	size_t step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	run(data + 1, size - 1, 0, &a, true);
	run(data + 1, size - 1, step, &b, false);
	FUZZ_CHECK(a.rc == b.rc && a.nlines == b.nlines);
	FUZZ_CHECK(memcmp(a.hash, b.hash, sizeof(a.hash)) == 0);
	return 0;
}
