#include "th.h"

#include <stdarg.h>
#include <string.h>

int th_failed_checks;
static int th_passed, th_failed;
static const char *th_current = "(none)";

void th_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	th_failed_checks++;
	fprintf(stderr, "FAIL %s: %s:%d: ", th_current, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void th_run(const char *name, void (*fn)(void))
{
	int before = th_failed_checks;

	th_current = name;
	fn();
	if (th_failed_checks == before) {
		th_passed++;
		printf("ok   %s\n", name);
	} else {
		th_failed++;
		printf("FAIL %s\n", name);
	}
}

int th_finish(void)
{
	printf("%d passed, %d failed\n", th_passed, th_failed);
	if (th_passed + th_failed == 0) {
		printf("no test ran\n");
		return 1;
	}
	return th_failed ? 1 : 0;
}

static int th_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long th_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*hex) {
		int hi, lo;

		if (*hex == ' ' || *hex == '|' || *hex == '\n') {
			hex++;
			continue;
		}
		hi = th_nibble(hex[0]);
		lo = hex[1] ? th_nibble(hex[1]) : -1;
		if (hi < 0 || lo < 0 || n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return (long)n;
}

void th_hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}
