/*
 * tests/unit/lb/test_rule_pattern_mt.c - sealed pattern sets of
 * lb/rule_pattern.c matched from several threads at once, as worker
 * threads do: the sets are only read, and each thread has its own regex
 * match data.  Every thread must get the answers one thread gets.
 * Built under ThreadSanitizer by tests/run.sh's tsan pass.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "rule_pattern.h"

#define THREADS		4
#define PATTERNS	10000
#define ROUNDS		20000

struct sets {
	struct lb_patset *str;
	struct lb_patset *beg;
	struct lb_patset *reg;
	struct lb_patset *ip;
	struct lb_patset *num;
};

struct worker {
	const struct sets *sets;
	unsigned id;
	unsigned wrong;		/* answers that differ from the rule */
};

static struct lb_patset *
load(enum lb_pat_method m, bool icase, const char *text, size_t len)
{
	struct lb_patset *set = lb_patset_new(m, icase);
	char err[256] = "";

	assert_non_null(set);
	if (lb_patset_load(set, text, len, "mt", err, sizeof(err)) < 0 ||
	    lb_patset_seal(set, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return set;
}

static void
make_sets(struct sets *s)
{
	size_t cap = (size_t)PATTERNS * 24, n = 0, m = 0;
	char *names = malloc(cap), *addrs = malloc(cap);
	static const char res[] = "^/v[0-9]+/users/[0-9]+$\n"
		"\\.(php|asp)x?$\n(?i)select.+from\n";

	assert_non_null(names);
	assert_non_null(addrs);
	for (int i = 0; i < PATTERNS; i++) {
		n += (size_t)snprintf(names + n, cap - n, "/p%d/\n", i * 2);
		m += (size_t)snprintf(addrs + m, cap - m, "10.%d.%d.0/24\n",
		    i >> 8, i & 255);
	}
	s->str = load(LB_PAT_STR, true, names, n);
	s->beg = load(LB_PAT_BEG, false, names, n);
	s->ip = load(LB_PAT_IP, false, addrs, m);
	s->reg = load(LB_PAT_REG, false, res, sizeof(res) - 1);
	s->num = load(LB_PAT_INT, false, "0:99\n1000:\n", 11);
	free(names);
	free(addrs);
}

/* One round's samples, and whether each answer is the right one. */
static unsigned
round_wrong(const struct sets *s, unsigned r)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned k = r % (PATTERNS * 2), wrong = 0;
	/* set whole: PCRE2's JIT code reads past a sample's end, which
	 * valgrind (it cannot follow JIT code) reports as uninitialised */
	char buf[64] = "";
	int n;

	n = snprintf(buf, sizeof(buf), "/P%u/", k);
	wrong += lb_patset_match_str(s->str, buf, (size_t)n) != (k % 2 == 0);
	n = snprintf(buf, sizeof(buf), "/p%u/x", k);
	wrong += lb_patset_match_str(s->beg, buf, (size_t)n) != (k % 2 == 0);
	n = snprintf(buf, sizeof(buf), "/v%u/users/%u%s", k, r,
	    r % 3 ? "" : "/x");
	wrong += lb_patset_match_str(s->reg, buf, (size_t)n) != (r % 3 != 0);
	sin.sin_addr.s_addr = htonl(0x0a000000u | (k << 8) | (r & 255));
	wrong += lb_patset_match_ip(s->ip, (struct sockaddr *)&sin) !=
	    (k < PATTERNS);
	wrong += lb_patset_match_int(s->num, (int64_t)k) !=
	    (k < 100 || k >= 1000);
	return wrong;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	if (lb_pat_thread_init() < 0)
		return NULL;
	for (unsigned r = 0; r < ROUNDS; r++)
		w->wrong += round_wrong(w->sets, r * THREADS + w->id);
	lb_pat_thread_done();
	return w;
}

static void
test_four_threads(void **state)
{
	struct sets s;
	struct worker w[THREADS];
	pthread_t t[THREADS];

	(void)state;
	make_sets(&s);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .sets = &s, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main,
		    &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		void *ret;

		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_ptr_equal(ret, &w[i]);
		assert_int_equal(w[i].wrong, 0);
	}
	lb_patset_free(&s.str);
	lb_patset_free(&s.beg);
	lb_patset_free(&s.reg);
	lb_patset_free(&s.ip);
	lb_patset_free(&s.num);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_four_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
