/*
 * selftest.c - proves alloc_count.so counts: allocates before the mark
 * (not counted), marks through the same weak hook ilpd uses, then makes
 * exactly one malloc. Under the interposer the report must say
 * armed=1 allocs_after_mark=1 frees_after_mark=0. With argument "free" it
 * also frees the block after the mark (frees_after_mark=1); with "nomark"
 * it never marks (armed=0). No stdio after the mark: a first printf would
 * allocate its buffer and spoil the count.
 */
#include <stdlib.h>
#include <string.h>

extern void ilpd_alloc_mark(void) __attribute__((weak));

void *volatile keep;

int main(int argc, char **argv)
{
	int do_free = argc > 1 && strcmp(argv[1], "free") == 0;
	int no_mark = argc > 1 && strcmp(argv[1], "nomark") == 0;

	keep = malloc(100);
	free(keep);
	keep = calloc(4, 8);
	if (!no_mark && ilpd_alloc_mark)
		ilpd_alloc_mark();
	keep = malloc(64);
	if (!keep)
		return 2;
	if (do_free)
		free(keep);
	return 0;
}
