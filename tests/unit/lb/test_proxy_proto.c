/*
 * tests/unit/lb/test_proxy_proto.c - the PROXY protocol headers edged
 * sends members (lb/proxy_proto.c), byte for byte against HAProxy's
 * proxy-protocol.txt: version 1's text line, version 2's signature,
 * command, family and address block, for IPv4, IPv6, a mix, and
 * addresses of no internet family.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "proxy_proto.h"

static const unsigned char sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

static struct sockaddr_in
v4(const char *a, unsigned port)
{
	struct sockaddr_in s = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };

	assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6
v6(const char *a, unsigned port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6,
	    .sin6_port = htons((uint16_t)port) };

	assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

static void
check_v1(const struct sockaddr *src, const struct sockaddr *dst,
    const char *want)
{
	unsigned char out[LB_PROXY_MAX];
	size_t n = lb_proxy_header(1, src, dst, out);

	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
}

static void
test_v1(void **state)
{
	struct sockaddr_in a = v4("192.0.2.7", 51234), b = v4("10.1.2.3", 443);
	struct sockaddr_in6 c = v6("2001:db8::1", 65535),
	    d = v6("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1);
	struct sockaddr_un u = { .sun_family = AF_UNIX };

	(void)state;
	check_v1((void *)&a, (void *)&b,
	    "PROXY TCP4 192.0.2.7 10.1.2.3 51234 443\r\n");
	check_v1((void *)&c, (void *)&d, "PROXY TCP6 2001:db8::1 "
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff 65535 1\r\n");
	/* an IPv4 client of an IPv6 listener: both as IPv6 */
	check_v1((void *)&a, (void *)&c,
	    "PROXY TCP6 ::ffff:192.0.2.7 2001:db8::1 51234 65535\r\n");
	check_v1((void *)&u, (void *)&b, "PROXY UNKNOWN\r\n");
	check_v1(NULL, (void *)&b, "PROXY UNKNOWN\r\n");
}

static void
test_v1_longest(void **state)
{
	struct sockaddr_in6 a = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    65535);
	unsigned char out[LB_PROXY_MAX];

	(void)state;
	/* the text's own limit is 107 bytes */
	assert_int_equal(lb_proxy_header(1, (void *)&a, (void *)&a, out),
	    104);
	assert_memory_equal(out + 102, "\r\n", 2);
}

static void
test_v2(void **state)
{
	struct sockaddr_in a = v4("192.0.2.7", 51234), b = v4("10.1.2.3", 443);
	struct sockaddr_in6 c = v6("2001:db8::1", 8443);
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	unsigned char out[LB_PROXY_MAX];
	const unsigned char four[] = { 0x21, 0x11, 0x00, 12, 192, 0, 2, 7,
	    10, 1, 2, 3, 0xc8, 0x22, 0x01, 0xbb };
	const unsigned char six[] = { 0x21, 0x21, 0x00, 36 };
	const unsigned char local[] = { 0x20, 0x00, 0x00, 0x00 };

	(void)state;
	assert_int_equal(lb_proxy_header(2, (void *)&a, (void *)&b, out), 28);
	assert_memory_equal(out, sig, 12);
	assert_memory_equal(out + 12, four, sizeof(four));
	assert_int_equal(lb_proxy_header(2, (void *)&a, (void *)&c, out), 52);
	assert_memory_equal(out + 12, six, sizeof(six));
	/* the client, IPv4-mapped, then the listener, then the ports */
	assert_memory_equal(out + 16, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00"
	    "\x02\x07", 16);
	assert_memory_equal(out + 32, &c.sin6_addr, 16);
	assert_memory_equal(out + 48, "\xc8\x22\x20\xfb", 4);
	assert_int_equal(lb_proxy_header(2, (void *)&u, (void *)&b, out), 16);
	assert_memory_equal(out, sig, 12);
	assert_memory_equal(out + 12, local, sizeof(local));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v1_longest),
		cmocka_unit_test(test_v2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
