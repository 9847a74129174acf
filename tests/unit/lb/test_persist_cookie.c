/*
 * tests/unit/lb/test_persist_cookie.c - the cookies of cookie
 * persistence (lb/persist_cookie.c): found among others and across
 * Cookie lines, marked in Set-Cookie lines (prefix, rewrite, only the
 * cookie named, a head that has no room left), the dates read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "persist_cookie.h"

static void
check_found(const char *head, const char *name, const char *want)
{
	const char *v;
	size_t vlen;
	bool found = lb_cookie_find(head, strlen(head), name, &v, &vlen);

	if (want == NULL) {
		assert_false(found);
		return;
	}
	assert_true(found);
	assert_int_equal(vlen, strlen(want));
	assert_memory_equal(v, want, vlen);
}

static void
test_find(void **state)
{
	const char *h = "GET / HTTP/1.1\r\nHost: a\r\nCookie: xSRV=1; a=2\r\n"
	    "cookie:  b=3;SRV=m2~abc ; c=4\r\nX-SRV: SRV=no\r\n\r\n";

	(void)state;
	check_found(h, "SRV", "m2~abc");	/* blanks around go */
	check_found(h, "a", "2");
	check_found(h, "c", "4");
	check_found(h, "xSRV", "1");
	check_found(h, "d", NULL);
	check_found("GET / HTTP/1.1\r\nCookie: SRV\r\n\r\n", "SRV", NULL);
	check_found("GET / HTTP/1.1\r\nCookie: SRV=\r\n\r\n", "SRV", "");
}

static void
test_mark(void **state)
{
	char buf[256];
	size_t len;
	const char *h = "HTTP/1.1 200 OK\r\nSet-Cookie: SRV=abc; Path=/\r\n"
	    "Set-Cookie: other=1\r\nset-cookie: SRV=x\r\n\r\n";

	(void)state;
	len = strlen(h);
	memcpy(buf, h, len);
	assert_int_equal(lb_cookie_mark(buf, &len, sizeof(buf), "SRV", true,
	    "m1~"), 2);
	assert_int_equal(len, strlen(h) + 6);
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\nSet-Cookie: SRV=m1~abc; "
	    "Path=/\r\nSet-Cookie: other=1\r\nset-cookie: SRV=m1~x\r\n\r\n",
	    len);
	len = strlen(h);
	memcpy(buf, h, len);
	assert_int_equal(lb_cookie_mark(buf, &len, sizeof(buf), "SRV", false,
	    "m1"), 2);
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\nSet-Cookie: SRV=m1; "
	    "Path=/\r\nSet-Cookie: other=1\r\nset-cookie: SRV=m1\r\n\r\n",
	    len);
	/* no room: -1, the head whole */
	len = strlen(h);
	memcpy(buf, h, len);
	assert_int_equal(lb_cookie_mark(buf, &len, len + 2, "SRV", true,
	    "m1~"), -1);
	assert_int_equal(len, strlen(h));
}

static void
test_dates(void **state)
{
	uint32_t last, first;

	(void)state;
	assert_true(lb_cookie_dates("6b159c81|6b159c80", 17, &last, &first));
	assert_int_equal(last, 0x6b159c81);
	assert_int_equal(first, 0x6b159c80);
	assert_false(lb_cookie_dates("6b159c80|6b159c81", 17, &last, &first));
	assert_false(lb_cookie_dates("6b159c81", 8, &last, &first));
	assert_false(lb_cookie_dates("|1", 2, &last, &first));
	assert_false(lb_cookie_dates("1|", 2, &last, &first));
	assert_false(lb_cookie_dates("1|1x", 4, &last, &first));
	assert_false(lb_cookie_dates("100000000|1", 11, &last, &first));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
