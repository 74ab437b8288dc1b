/*
 * paid_agent.c - an agent that charges per message, on the embedded ilpd
 * API (include/ilpd.h, libilpd.a).
 *
 * The agent runs a whole connector in its own process: it peers with
 * other connectors over BTP as its configuration says, and every ILP
 * Prepare addressed to its own address space is a message for it: it
 * answers with a receipt when the message paid at least --price, and
 * rejects it with F03 (Invalid Amount) otherwise. With --send it also
 * buys: it sends --count paid messages to DEST and prints each result.
 *
 * It shows the three parts of the API: ilpd_start_file, the packet
 * handler with ilpd_accept/ilpd_reject, ilpd_send_packet; and how to keep
 * your own poll(2) loop with ilpd_fds (use ilpd_step(timeout) if you have
 * none). Output (stdout, one line each): "ready address=A", "sent N
 * accepted|rejected CODE", and on SIGTERM/SIGINT or after the sends,
 * "summary paid=N underpaid=N sent=N accepted=N rejected=N earned=E"
 * (E: received minus spent through ilpd's own account).
 *
 *   paid_agent CONFIG.ini [--price N] [--send DEST --amount A --count N
 *                          [--message TEXT] [--exit]]
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilpd.h"

static volatile sig_atomic_t stop_signal;
static uint64_t price = 1;
static unsigned long paid, underpaid, sent, accepted, rejected;

static void on_signal(int sig)
{
	(void)sig;
	stop_signal = 1;
}

/* A message for us: paid enough gets a receipt, else F03. */
static void on_packet(void *user, const struct ilpd_packet *p)
{
	char receipt[96];
	int n;

	(void)user;
	if (p->amount < price) {
		underpaid++;
		snprintf(receipt, sizeof(receipt), "the price is %llu per message",
			 (unsigned long long)price);
		(void)ilpd_reject(p->id, "F03", receipt);
		return;
	}
	paid++;
	n = snprintf(receipt, sizeof(receipt), "receipt #%lu: %zu bytes, paid %llu",
		     paid, p->data_len, (unsigned long long)p->amount);
	(void)ilpd_accept(p->id, (const uint8_t *)receipt, (size_t)n);
}

static void on_sent(void *user, const struct ilpd_result *r)
{
	unsigned long i = (unsigned long)(uintptr_t)user;

	if (r->accepted) {
		accepted++;
		printf("sent %lu accepted %.*s\n", i, (int)r->data_len,
		       (const char *)r->data);
	} else {
		rejected++;
		printf("sent %lu rejected %s %.*s\n", i, r->code, (int)r->message_len,
		       r->message);
	}
	fflush(stdout);
}

static int usage(void)
{
	fputs("usage: paid_agent CONFIG.ini [--price N] [--send DEST --amount A "
	      "--count N [--message TEXT] [--exit]]\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *dest = NULL, *message = "hello";
	unsigned long count = 0, i;
	uint64_t amount = 0;
	bool exit_after = false;
	char err[512];
	int64_t balance = 0;
	int a, r;

	if (argc < 2)
		return usage();
	for (a = 2; a < argc; a++) {
		bool more = a + 1 < argc;

		if (strcmp(argv[a], "--price") == 0 && more)
			price = strtoull(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--send") == 0 && more)
			dest = argv[++a];
		else if (strcmp(argv[a], "--amount") == 0 && more)
			amount = strtoull(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--count") == 0 && more)
			count = strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--message") == 0 && more)
			message = argv[++a];
		else if (strcmp(argv[a], "--exit") == 0)
			exit_after = true;
		else
			return usage();
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	/* The handler may be set before the start: it is installed with it. */
	ilpd_set_packet_handler(on_packet, NULL);
	r = ilpd_start_file(argv[1], err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "paid_agent: %s\n", err);
		return 1;
	}
	/* With address = auto the address comes from the parent (IL-DCP). */
	for (i = 0; i < 500 && ilpd_address()[0] == 0 && !stop_signal; i++)
		ilpd_step(10);
	printf("ready address=%s\n", ilpd_address());
	fflush(stdout);
	for (i = 0; dest != NULL && i < count; i++) {
		r = ilpd_send_packet(dest, amount, (const uint8_t *)message,
				     strlen(message), NULL, 10000, on_sent,
				     (void *)(uintptr_t)(i + 1));
		if (r != 0) {
			fprintf(stderr, "paid_agent: send %lu refused (%d)\n", i + 1, r);
			rejected++;
		} else {
			sent++;
		}
	}
	/* Our own poll loop: ilpd's descriptors next to anything of ours. */
	while (!ilpd_done()) {
		struct ilpd_pollfd f[64];
		struct pollfd pf[64];
		int timeout;
		size_t n = ilpd_fds(f, 64, &timeout), k;

		if (n > 64)
			n = 64;
		for (k = 0; k < n; k++) {
			pf[k].fd = f[k].fd;
			pf[k].events = f[k].events;
			pf[k].revents = 0;
		}
		(void)poll(pf, (nfds_t)n, timeout);
		ilpd_step(0);
		if (stop_signal || (exit_after && accepted + rejected >= count)) {
			stop_signal = 0;
			exit_after = false;
			ilpd_stop(2000);
		}
	}
	(void)ilpd_balance("local", &balance);
	/* The ledger's sign: what the account owes the connector, so the
	 * agent's earnings are the negative of its own account's balance. */
	printf("summary paid=%lu underpaid=%lu sent=%lu accepted=%lu rejected=%lu "
	       "earned=%lld\n", paid, underpaid, sent, accepted, rejected,
	       -(long long)balance);
	ilpd_finish();
	return 0;
}
