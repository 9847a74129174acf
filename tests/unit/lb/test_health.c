/*
 * tests/unit/lb/test_health.c - lb/health.c: the rise/fall state machine,
 * status expectations, and how the edge's own failures are told apart
 * and reported.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "health.h"

static void
starts_up(void **state)
{
	struct lb_health h;

	(void)state;
	lb_health_init(&h);
	assert_true(h.up);
	assert_int_equal(lb_health_record(&h, true, 2, 3), LB_HEALTH_SAME);
	assert_true(h.up);
}

static void
first_probe_failing_takes_it_down_at_once(void **state)
{
	struct lb_health h;

	(void)state;
	lb_health_init(&h);
	assert_int_equal(lb_health_record(&h, false, 2, 3),
	    LB_HEALTH_WENT_DOWN);
	assert_false(h.up);
}

static void
fall_consecutive_failures(void **state)
{
	struct lb_health h;

	(void)state;
	lb_health_init(&h);
	lb_health_record(&h, true, 2, 3);
	assert_int_equal(lb_health_record(&h, false, 2, 3), LB_HEALTH_SAME);
	assert_int_equal(lb_health_record(&h, false, 2, 3), LB_HEALTH_SAME);
	/* a success in between starts the count again */
	assert_int_equal(lb_health_record(&h, true, 2, 3), LB_HEALTH_SAME);
	assert_int_equal(lb_health_record(&h, false, 2, 3), LB_HEALTH_SAME);
	assert_int_equal(lb_health_record(&h, false, 2, 3), LB_HEALTH_SAME);
	assert_true(h.up);
	assert_int_equal(lb_health_record(&h, false, 2, 3),
	    LB_HEALTH_WENT_DOWN);
	assert_false(h.up);
	assert_int_equal(lb_health_record(&h, false, 2, 3), LB_HEALTH_SAME);
}

static void
rise_consecutive_successes(void **state)
{
	struct lb_health h;

	(void)state;
	lb_health_init(&h);
	lb_health_record(&h, false, 2, 3);
	assert_int_equal(lb_health_record(&h, true, 2, 3), LB_HEALTH_SAME);
	assert_int_equal(lb_health_record(&h, false, 2, 3), LB_HEALTH_SAME);
	assert_int_equal(lb_health_record(&h, true, 2, 3), LB_HEALTH_SAME);
	assert_false(h.up);
	assert_int_equal(lb_health_record(&h, true, 2, 3), LB_HEALTH_WENT_UP);
	assert_true(h.up);
}

static void
rise_and_fall_of_one(void **state)
{
	struct lb_health h;

	(void)state;
	lb_health_init(&h);
	lb_health_record(&h, true, 1, 1);
	assert_int_equal(lb_health_record(&h, false, 1, 1),
	    LB_HEALTH_WENT_DOWN);
	assert_int_equal(lb_health_record(&h, true, 1, 1), LB_HEALTH_WENT_UP);
}

static void
status_default_and_ranges(void **state)
{
	struct lb_expect_status e;
	char buf[128];

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_true(lb_expect_status(&e, 200));
	assert_true(lb_expect_status(&e, 399));
	assert_false(lb_expect_status(&e, 404));
	assert_false(lb_expect_status(&e, 500));
	lb_expect_status_fmt(&e, buf, sizeof(buf));
	assert_string_equal(buf, "200-399");
	assert_int_equal(lb_expect_status_add(&e, "200-299"), 0);
	assert_int_equal(lb_expect_status_add(&e, "404"), 0);
	assert_true(lb_expect_status(&e, 204));
	assert_true(lb_expect_status(&e, 404));
	assert_false(lb_expect_status(&e, 301));
	lb_expect_status_fmt(&e, buf, sizeof(buf));
	assert_string_equal(buf, "200-299 404");
}

static void
status_parse_errors(void **state)
{
	static const char *const bad[] = { "", "2000", "99", "600", "20x",
	    "300-200", "200-", "-300", "200-600", "2OO", "200-3999" };
	struct lb_expect_status e;

	(void)state;
	memset(&e, 0, sizeof(e));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lb_expect_status_add(&e, bad[i]), -1);
	assert_int_equal(e.n, 0);
	for (int i = 0; i < LB_EXPECT_MAX; i++)
		assert_int_equal(lb_expect_status_add(&e, "200"), 0);
	assert_int_equal(lb_expect_status_add(&e, "201"), -1);
}

static void
slow_start_ramp(void **state)
{
	(void)state;
	/* no slow-start, or over: the full weight, at scale */
	assert_int_equal(lb_slow_start_weight(3, 0, 0), 3 * LB_WEIGHT_SCALE);
	assert_int_equal(lb_slow_start_weight(3, 30000, 30000),
	    3 * LB_WEIGHT_SCALE);
	assert_int_equal(lb_slow_start_weight(3, 99999, 30000),
	    3 * LB_WEIGHT_SCALE);
	/* just up: a trickle, never nothing */
	assert_int_equal(lb_slow_start_weight(3, 0, 30000), 1);
	assert_int_equal(lb_slow_start_weight(1, 1, 30000), 1);
	/* linear in between */
	assert_int_equal(lb_slow_start_weight(4, 15000, 30000),
	    2 * LB_WEIGHT_SCALE);
	assert_int_equal(lb_slow_start_weight(4, 7500, 30000),
	    LB_WEIGHT_SCALE);
	for (uint64_t t = 0; t < 30000; t += 1000)
		assert_true(lb_slow_start_weight(2, t, 30000) <=
		    lb_slow_start_weight(2, t + 1000, 30000));
}

static void
expect_body(void **state)
{
	static const char body[] = "{\"status\":\"ok\",\"db\":\"up\"}";
	pcre2_code *re;
	int err;
	PCRE2_SIZE off;

	(void)state;
	assert_true(lb_expect_body(body, strlen(body), "", NULL));
	assert_true(lb_expect_body(body, strlen(body), "\"ok\"", NULL));
	assert_false(lb_expect_body(body, strlen(body), "down", NULL));
	/* only the given length counts */
	assert_false(lb_expect_body(body, 5, "ok", NULL));
	re = pcre2_compile((PCRE2_SPTR)"\"db\":\"(up|degraded)\"",
	    PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	assert_non_null(re);
	assert_true(lb_expect_body(body, strlen(body), "x", re));
	assert_false(lb_expect_body("{\"db\":\"down\"}", 13, "x", re));
	pcre2_code_free(re);
}

static void
local_errors_are_the_edges(void **state)
{
	/* EADDRNOTAVAIL: a source-address the host lacks, or no local
	 * port left; the edge's either way, never the member's fault */
	static const int local[] = { EMFILE, ENFILE, ENOBUFS, ENOMEM,
	    EADDRNOTAVAIL };
	/* the member's or the network's: a retry elsewhere may succeed */
	static const int remote[] = { 0, ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH,
	    ENETUNREACH, ECONNRESET, EPIPE, EAGAIN };

	(void)state;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		assert_non_null(lb_err_local(local[i]));
	for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
		assert_null(lb_err_local(remote[i]));
	assert_string_equal(lb_err_local(EMFILE),
	    "the edge's descriptor limit");
}

static void
local_trouble_one_line_per_interval(void **state)
{
	struct lb_local_trouble t = { 0 };
	unsigned long n = 0;
	double span = -1;

	(void)state;
	/* the first failure is said at once */
	assert_true(lb_local_trouble_note(&t, 100.0, 1.0, &n, &span));
	assert_int_equal(n, 1);
	assert_true(span == 0);
	/* then counted quietly for an interval ... */
	for (int i = 1; i <= 56; i++)
		assert_false(lb_local_trouble_note(&t, 100.0 + i * 0.01, 1.0,
		    &n, &span));
	/* ... and the next line says how many, over how long */
	assert_true(lb_local_trouble_note(&t, 101.0, 1.0, &n, &span));
	assert_int_equal(n, 57);
	assert_true(span > 0.99 && span < 1.01);
	assert_false(lb_local_trouble_note(&t, 101.5, 1.0, &n, &span));
	assert_true(lb_local_trouble_note(&t, 102.5, 1.0, &n, &span));
	assert_int_equal(n, 2);
	assert_true(span > 1.49 && span < 1.51);
}

static void
local_trouble_over(void **state)
{
	struct lb_local_trouble t = { 0 };
	unsigned long n = 0;
	double span;

	(void)state;
	/* no trouble, nothing to say */
	assert_false(lb_local_trouble_over(&t, 10.0, 1.0, &n));
	assert_true(lb_local_trouble_note(&t, 10.0, 1.0, &n, &span));
	assert_false(lb_local_trouble_note(&t, 10.2, 1.0, &n, &span));
	/* a success within the interval: said later, not now */
	assert_false(lb_local_trouble_over(&t, 10.3, 1.0, &n));
	assert_false(lb_local_trouble_note(&t, 10.4, 1.0, &n, &span));
	assert_false(lb_local_trouble_over(&t, 10.5, 1.0, &n));
	/* the first success an interval after the last line says it, with
	 * the failures no line reported yet */
	assert_true(lb_local_trouble_over(&t, 11.0, 1.0, &n));
	assert_int_equal(n, 2);
	assert_false(lb_local_trouble_over(&t, 11.05, 1.0, &n));
	/* failures coming back right after: counted, said an interval
	 * after the "over" line, so alternating never floods the log */
	assert_false(lb_local_trouble_note(&t, 11.1, 1.0, &n, &span));
	assert_true(lb_local_trouble_note(&t, 12.0, 1.0, &n, &span));
	assert_int_equal(n, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(starts_up),
		cmocka_unit_test(first_probe_failing_takes_it_down_at_once),
		cmocka_unit_test(fall_consecutive_failures),
		cmocka_unit_test(rise_consecutive_successes),
		cmocka_unit_test(rise_and_fall_of_one),
		cmocka_unit_test(status_default_and_ranges),
		cmocka_unit_test(status_parse_errors),
		cmocka_unit_test(slow_start_ramp),
		cmocka_unit_test(expect_body),
		cmocka_unit_test(local_errors_are_the_edges),
		cmocka_unit_test(local_trouble_one_line_per_interval),
		cmocka_unit_test(local_trouble_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
