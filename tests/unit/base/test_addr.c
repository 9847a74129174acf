/*
 * tests/unit/base/test_addr.c - base/addr.c's addr_fmt: IPv4 written
 * without printf, compared with inet_ntop over the edge values and a
 * walk through the whole space; IPv6, a buffer too small for the fast
 * path, another family; addr_port, addr_wildcard and addr_same.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

static void
check_v4(uint32_t a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char got[INET6_ADDRSTRLEN], want[INET_ADDRSTRLEN];

	sin.sin_addr.s_addr = htonl(a);
	addr_fmt(got, sizeof(got), (struct sockaddr *)&sin);
	assert_non_null(inet_ntop(AF_INET, &sin.sin_addr, want,
	    sizeof(want)));
	assert_string_equal(got, want);
}

static void
test_v4(void **state)
{
	static const uint32_t edges[] = { 0, 0xffffffffu, 0x7f000001u,
	    0x0a09630du, 0x64640a01u, 0xc0a80001u, 0x01020304u };

	(void)state;
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		check_v4(edges[i]);
	/* every byte value in every place, and a stride over the rest */
	for (uint32_t b = 0; b < 256; b++)
		for (int sh = 0; sh < 32; sh += 8)
			check_v4(b << sh | 0x01010101u);
	for (uint64_t a = 0; a <= 0xffffffffu; a += 65521)
		check_v4((uint32_t)a);
}

static void
test_others(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr sa = { .sa_family = AF_UNIX };
	char buf[INET6_ADDRSTRLEN], small[8];

	(void)state;
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	addr_fmt(buf, sizeof(buf), (struct sockaddr *)&sin6);
	assert_string_equal(buf, "2001:db8::1");
	/* too small for the address: "unknown", cut to the buffer */
	sin.sin_addr.s_addr = htonl(0xc0a80001u);
	addr_fmt(small, sizeof(small), (struct sockaddr *)&sin);
	assert_string_equal(small, "unknown");
	addr_fmt(buf, sizeof(buf), &sa);
	assert_string_equal(buf, "unknown");
}

/* addr_port: the port of IPv4 and IPv6 addresses, in host order; -1
 * for none. */
static void
test_port(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(443) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(65535) };
	struct sockaddr sa = { .sa_family = AF_UNIX };

	(void)state;
	assert_int_equal(addr_port((struct sockaddr *)&sin), 443);
	assert_int_equal(addr_port((struct sockaddr *)&sin6), 65535);
	assert_int_equal(addr_port(&sa), -1);
	assert_int_equal(addr_port(NULL), -1);
}

static struct sockaddr_storage
ss(const char *text, uint16_t port)
{
	struct sockaddr_storage a = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&a;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a;

	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
	return a;
}

/* addr_same: the address alone, whatever the ports; families apart;
 * neither IPv4 nor IPv6 is never the same. */
static void
test_same(void **state)
{
	struct sockaddr_storage a = ss("192.0.2.1", 80), b = ss("192.0.2.1",
	    443), c = ss("192.0.2.2", 80), d = ss("2001:db8::1", 80),
	    e = ss("2001:db8::1", 0), f = ss("2001:db8::2", 80),
	    g = ss("::ffff:192.0.2.1", 80), u = { .ss_family = AF_UNIX };

	(void)state;
	assert_true(addr_same(&a, &b));
	assert_false(addr_same(&a, &c));
	assert_true(addr_same(&d, &e));
	assert_false(addr_same(&d, &f));
	assert_false(addr_same(&a, &g));
	assert_false(addr_same(&a, &d));
	assert_false(addr_same(&u, &u));
}

/* addr_wildcard: 0.0.0.0 and :: whatever the port; no other address,
 * no other family. */
static void
test_wildcard(void **state)
{
	struct sockaddr_storage a = ss("0.0.0.0", 80), b = ss("::", 0),
	    c = ss("192.0.2.1", 80), d = ss("::1", 80),
	    e = ss("::ffff:0.0.0.0", 80), u = { .ss_family = AF_UNIX };

	(void)state;
	assert_true(addr_wildcard(&a));
	assert_true(addr_wildcard(&b));
	assert_false(addr_wildcard(&c));
	assert_false(addr_wildcard(&d));
	assert_false(addr_wildcard(&e));
	assert_false(addr_wildcard(&u));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_wildcard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
