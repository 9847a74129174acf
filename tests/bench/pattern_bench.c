/*
 * tests/bench/pattern_bench.c - what one match of lb/rule_pattern.c
 * costs with a 10-pattern set and with a 100,000-pattern one, for str
 * (-i), beg, ip (IPv4) and ip (IPv6): issue 16 asks that a 100,000-line
 * -f file cost about what a 10-line one does.  Built with the tests,
 * not run by them (timings): run it by hand,
 *     build/tests/pattern_bench [ROUNDS]
 * It prints one line per method: ns per match for each size and their
 * ratio.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "rule_pattern.h"

#define SAMPLES		1024	/* half of them in the set */

/* Writes the pattern or sample of number i into buf. */
typedef int print_fn(char *buf, size_t size, unsigned i);

static int
print_host(char *buf, size_t size, unsigned i)
{
	return snprintf(buf, size, "host-%u.example.com", i);
}

static int
print_path(char *buf, size_t size, unsigned i)
{
	return snprintf(buf, size, "/app%u/", i);
}

static int
print_v4(char *buf, size_t size, unsigned i)
{
	return snprintf(buf, size, "10.%u.%u.%u", (i >> 16) & 255,
	    (i >> 8) & 255, i & 255);
}

static int
print_v6(char *buf, size_t size, unsigned i)
{
	return snprintf(buf, size, "2001:db8:%x:%x::%x", (i >> 16) & 255,
	    (i >> 8) & 255, i & 255);
}

struct kind {
	const char *name;
	enum lb_pat_method method;
	bool icase;
	print_fn *print;
	bool ip;
};

static const struct kind kinds[] = {
	{ "str -i", LB_PAT_STR, true, print_host, false },
	{ "beg", LB_PAT_BEG, false, print_path, false },
	{ "ip v4", LB_PAT_IP, false, print_v4, true },
	{ "ip v6", LB_PAT_IP, false, print_v6, true },
};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct lb_patset *
build(const struct kind *k, unsigned n)
{
	struct lb_patset *set = lb_patset_new(k->method, k->icase);
	char buf[128], err[256];

	if (set == NULL)
		exit(1);
	/* the even numbers: a sample of an odd one is a miss */
	for (unsigned i = 0; i < n; i++) {
		int len = k->print(buf, sizeof(buf), i * 2);

		if (lb_patset_add(set, buf, (size_t)len, err, sizeof(err)) < 0)
			exit((fprintf(stderr, "%s\n", err), 1));
	}
	if (lb_patset_seal(set, err, sizeof(err)) < 0)
		exit((fprintf(stderr, "%s\n", err), 1));
	return set;
}

/* ns per match of SAMPLES samples, half hits, spread over the set. */
static double
run(const struct kind *k, const struct lb_patset *set, unsigned n,
    unsigned rounds)
{
	static struct sockaddr_storage ss[SAMPLES];
	static char text[SAMPLES][128];
	static size_t len[SAMPLES];
	unsigned hits = 0;
	double t0;

	for (unsigned s = 0; s < SAMPLES; s++) {
		unsigned i = 2 * (unsigned)((unsigned long)s * n / SAMPLES) +
		    (s & 1);
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss[s];
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss[s];

		len[s] = (size_t)k->print(text[s], sizeof(text[s]), i);
		if (inet_pton(AF_INET, text[s], &sin->sin_addr) == 1)
			sin->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, text[s], &sin6->sin6_addr) == 1)
			sin6->sin6_family = AF_INET6;
	}
	t0 = now_ns();
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned s = 0; s < SAMPLES; s++)
			hits += k->ip ? lb_patset_match_ip(set,
			    (struct sockaddr *)&ss[s]) :
			    lb_patset_match_str(set, text[s], len[s]);
	if (hits != rounds * SAMPLES / 2)
		fprintf(stderr, "%s: %u hits, not %u\n", k->name, hits,
		    rounds * SAMPLES / 2);
	return (now_ns() - t0) / ((double)rounds * SAMPLES);
}

int
main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;

	printf("%-8s %12s %12s %8s\n", "method", "10 (ns)", "100000 (ns)",
	    "ratio");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct lb_patset *small = build(&kinds[i], 10);
		struct lb_patset *big = build(&kinds[i], 100000);
		double a = run(&kinds[i], small, 10, rounds);
		double b = run(&kinds[i], big, 100000, rounds);

		printf("%-8s %12.1f %12.1f %8.2f\n", kinds[i].name, a, b,
		    b / a);
		lb_patset_free(&small);
		lb_patset_free(&big);
	}
	return 0;
}
