/*
 * tests/unit/lb/test_dns.c - lb/dns.c: the names a dns monitor may ask
 * for, its query byte for byte (RFC 1035 4.1), and the verdict on
 * replies dnsmasq sent (tests/fuzz/corpus/dns_reply, captured) and on
 * broken ones, one per rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corpus.h"
#include "dns.h"

static void
test_names(void **state)
{
	char long_label[80], long_name[300];

	(void)state;
	assert_true(lb_dns_name_ok("www.example.test"));
	assert_true(lb_dns_name_ok("www.example.test."));
	assert_true(lb_dns_name_ok("_dns.a-b.c9"));
	assert_false(lb_dns_name_ok(""));
	assert_false(lb_dns_name_ok("."));
	assert_false(lb_dns_name_ok("a..b"));
	assert_false(lb_dns_name_ok(".a"));
	assert_false(lb_dns_name_ok("a b"));
	assert_false(lb_dns_name_ok("a/b"));
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_false(lb_dns_name_ok(long_label));
	long_label[63] = '\0';
	assert_true(lb_dns_name_ok(long_label));
	for (size_t i = 0; i < 254; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[253] = '\0';			/* 127 labels, 253 bytes */
	assert_true(lb_dns_name_ok(long_name));
	long_name[253] = 'a';
	long_name[254] = '\0';
	assert_false(lb_dns_name_ok(long_name));
}

static void
test_query(void **state)
{
	unsigned char q[LB_DNS_QUERY_MAX];
	const unsigned char want[] = { 0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0,
	    0, 0, 0, 0, 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	    4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };

	(void)state;
	assert_int_equal(lb_dns_query("www.example.test", 0xbeef, q),
	    sizeof(want));
	assert_memory_equal(q, want, sizeof(want));
	assert_int_equal(lb_dns_query("www.example.test.", 0xbeef, q),
	    sizeof(want));
	assert_memory_equal(q, want, sizeof(want));
	assert_int_equal(lb_dns_query("bad name", 1, q), 0);
}

/* A capture of the fuzz corpus: its bytes, and its id. */
static size_t
capture(const char *name, unsigned char *buf, size_t size, uint16_t *id)
{
	size_t n = corpus_load(name, buf, size);

	assert_true(n >= 2);
	*id = (uint16_t)(buf[0] << 8 | buf[1]);
	return n;
}

static void
verdict(const char *name, int want, const char *why_has)
{
	unsigned char m[2048];
	uint16_t id;
	size_t n = capture(name, m, sizeof(m), &id);
	const char *why;

	assert_int_equal(lb_dns_answered(m, n, id, &why), want);
	if (want < 0 && strstr(why, why_has) == NULL)
		fail_msg("%s: refused for '%s', not '%s'", name, why, why_has);
	/* another id: not the answer to this query */
	assert_int_equal(lb_dns_answered(m, n, (uint16_t)(id + 1), &why), -1);
}

static void
test_captures(void **state)
{
	(void)state;
	verdict("a-answer.bin", 0, NULL);
	verdict("cname-chain.bin", 0, NULL);
	verdict("txt.bin", 0, NULL);
	verdict("multi-aaaa.bin", 0, NULL);
	verdict("refused.bin", -1, "REFUSED");
	verdict("query-as-reply.bin", -1, "not a response");
	verdict("short.bin", -1, "shorter than a DNS header");
}

/* The answer to "www.example.test" cut at every length: whole, it
 * passes; cut anywhere, it does not. */
static void
test_cut(void **state)
{
	unsigned char m[2048];
	uint16_t id;
	size_t n = capture("a-answer.bin", m, sizeof(m), &id);
	const char *why;

	(void)state;
	for (size_t i = 0; i < n; i++)
		if (lb_dns_answered(m, i, id, &why) == 0)
			fail_msg("accepted cut at %zu of %zu bytes", i, n);
	/* no answer record */
	m[7] = 0;
	assert_int_equal(lb_dns_answered(m, n, id, &why), -1);
	assert_string_equal(why, "no answer record");
	/* a reserved label type in the question */
	m[7] = 1;
	m[12] = 0x40;
	assert_int_equal(lb_dns_answered(m, n, id, &why), -1);
	assert_string_equal(why, "a question cut short");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_captures),
		cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
